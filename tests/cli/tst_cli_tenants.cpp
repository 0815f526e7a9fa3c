// `logdeck-cli tenants` as an operator meets it: a key printed alone on stdout, a table and
// JSON listing, revocation, and exit codes 1 (runtime) and 2 (usage) with one clear line.

#include "support/cli_runner.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <sys/stat.h>

using namespace logdeck;

class TestCliTenants : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;

    /// `logdeck-cli tenants <arguments> --data <this test's directory>`.
    test::CliOutcome tenants(const QStringList &arguments) const
    {
        return test::runCli(QStringList {"tenants"} + arguments
                            + QStringList {"--data", m_dir->path()});
    }

    QJsonArray listJson() const
    {
        const auto listed = tenants({"list", "--json"});
        if (listed.exitCode != 0) {
            qWarning() << "tenants list --json failed:" << listed.err;
        }
        return QJsonDocument::fromJson(listed.out.toUtf8()).array();
    }

    /// The permission bits of `path`, -1 when it is missing.
    static int modeOf(const QString &path)
    {
        struct stat info {};
        return ::stat(path.toLocal8Bit().constData(), &info) == 0
            ? static_cast<int>(info.st_mode & 07777)
            : -1;
    }

    static bool isKey(const QString &text)
    {
        return QRegularExpression("^ldk_[0-9a-f]{32}$").match(text).hasMatch();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(test::cliPath()), "LOGDECK_CLI must point at logdeck-cli");
    }

    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void addPrintsTheKeyAloneAndListShowsIt()
    {
        const auto added = tenants({"add", "acme"});
        QCOMPARE(added.exitCode, 0);
        QVERIFY2(added.out.endsWith('\n') && added.out.count('\n') == 1, qPrintable(added.out));
        QVERIFY2(isKey(added.out.trimmed()), qPrintable(added.out));
        QVERIFY2(added.err.contains("shown only once"), qPrintable(added.err));

        const auto table = tenants({"list"});
        QCOMPARE(table.exitCode, 0);
        const QStringList lines = table.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        QVERIFY2(lines[0].split(' ', Qt::SkipEmptyParts)
                     == QStringList({"TENANT", "KEYS", "CREATED"}),
                 qPrintable(lines[0]));
        const QStringList row = lines[1].split(' ', Qt::SkipEmptyParts);
        QCOMPARE(row.size(), 3);
        QCOMPARE(row[0], QString("acme"));
        QCOMPARE(row[1], QString("1"));
        QVERIFY2(QDateTime::fromString(row[2], Qt::ISODateWithMs).isValid(), qPrintable(row[2]));

        const QJsonArray json = listJson();
        QCOMPARE(json.size(), 1);
        const QJsonObject acme = json.first().toObject();
        QCOMPARE(acme.value("tenant").toString(), QString("acme"));
        QCOMPARE(acme.value("activeKeys").toInt(), 1);
        const QString createdAt = acme.value("createdAt").toString();
        QVERIFY2(createdAt.endsWith('Z'), qPrintable(createdAt));
        const QDateTime created = QDateTime::fromString(createdAt, Qt::ISODateWithMs);
        QVERIFY2(created.isValid(), qPrintable(createdAt));
        QVERIFY(qAbs(created.secsTo(QDateTime::currentDateTimeUtc())) < 600);
    }

    void keyAddsAnotherAndRevokeRemovesAll()
    {
        const auto first = tenants({"add", "acme"});
        QCOMPARE(first.exitCode, 0);
        const auto second = tenants({"key", "acme"});
        QCOMPARE(second.exitCode, 0);
        QVERIFY2(isKey(second.out.trimmed()), qPrintable(second.out));
        QVERIFY(second.out != first.out);
        QCOMPARE(listJson().first().toObject().value("activeKeys").toInt(), 2);

        const auto revoked = tenants({"revoke", "acme"});
        QCOMPARE(revoked.exitCode, 0);
        QVERIFY(revoked.out.isEmpty());
        QVERIFY2(revoked.err.contains("revoked 2 API keys"), qPrintable(revoked.err));
        QCOMPARE(listJson().first().toObject().value("activeKeys").toInt(), 0);
        QVERIFY(tenants({"list"}).out.contains(QRegularExpression("acme\\s+0\\s")));
    }

    void aDuplicateTenantExitsOne()
    {
        QCOMPARE(tenants({"add", "acme"}).exitCode, 0);
        const auto again = tenants({"add", "acme"});
        QCOMPARE(again.exitCode, 1);
        QVERIFY(again.out.isEmpty());
        QCOMPARE(again.err.trimmed().count('\n'), 0);
        QVERIFY2(again.err.startsWith("logdeck-cli: tenant 'acme' already exists"),
                 qPrintable(again.err));
        QCOMPARE(listJson().first().toObject().value("activeKeys").toInt(), 1);
    }

    void addMakesAPrivateDataDirectory()
    {
        const QString fresh = m_dir->filePath("new/data");
        const auto added =
            test::runCli({"tenants", "add", "acme", "--data", fresh});
        QCOMPARE(added.exitCode, 0);
        QCOMPARE(modeOf(fresh), 0700);
        QCOMPARE(modeOf(fresh + "/logdeck.db"), 0600);
        for (const char *suffix : {"-wal", "-shm"}) {
            const int mode = modeOf(fresh + "/logdeck.db" + suffix);
            QVERIFY2(mode == -1 || mode == 0600, suffix); // SQLite may have removed them
        }

        // An existing directory keeps the mode its owner gave it; the files are private.
        const QString open = m_dir->filePath("open");
        QVERIFY(QDir().mkdir(open));
        QVERIFY(::chmod(open.toLocal8Bit().constData(), 0755) == 0);
        QCOMPARE(test::runCli({"tenants", "add", "acme", "--data", open}).exitCode, 0);
        QCOMPARE(modeOf(open), 0755);
        QCOMPARE(modeOf(open + "/logdeck.db"), 0600);
    }

    /// Every command but `run` and `tenants add` refuses a data directory that is not there,
    /// and creates nothing.
    void missingDataDirectoryIsAnError_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("rollups") << QStringList {"rollups"};
        QTest::newRow("rollups --json") << QStringList {"rollups", "--json"};
        QTest::newRow("tenants list") << QStringList {"tenants", "list"};
        QTest::newRow("tenants key") << QStringList {"tenants", "key", "acme"};
        QTest::newRow("tenants revoke") << QStringList {"tenants", "revoke", "acme"};
        QTest::newRow("audit list") << QStringList {"audit", "list"};
        QTest::newRow("dlq list") << QStringList {"dlq", "list"};
        QTest::newRow("groups list") << QStringList {"groups", "list"};
        QTest::newRow("lag") << QStringList {"lag"};
        QTest::newRow("fleet") << QStringList {"fleet"};
        QTest::newRow("tenant inspect") << QStringList {"tenant", "inspect", "acme"};
    }

    void missingDataDirectoryIsAnError()
    {
        QFETCH(QStringList, arguments);
        const QString typo = m_dir->filePath("typo");
        const auto outcome = test::runCli(arguments + QStringList {"--data", typo});
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY(outcome.out.isEmpty());
        QVERIFY2(outcome.err.contains("no data directory at " + typo)
                     && outcome.err.contains("tenants add"),
                 qPrintable(outcome.err));
        QVERIFY(!QFileInfo::exists(typo));
    }

    void unknownTenantsExitOneNamingThem_data()
    {
        QTest::addColumn<QString>("command");
        QTest::newRow("revoke") << "revoke";
        QTest::newRow("key") << "key";
    }

    void unknownTenantsExitOneNamingThem()
    {
        QFETCH(QString, command);
        const auto outcome = tenants({command, "nobody"});
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY(outcome.out.isEmpty());
        QCOMPARE(outcome.err.trimmed().count('\n'), 0);
        QVERIFY2(outcome.err.startsWith("logdeck-cli: unknown tenant 'nobody'"),
                 qPrintable(outcome.err));
    }

    void usageErrorsExitTwoWithUsageOnStderr_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("no subcommand") << QStringList {} << "needs a command";
        QTest::newRow("missing name") << QStringList {"add"} << "tenants add needs a tenant NAME";
        QTest::newRow("missing revoke name") << QStringList {"revoke"} << "needs a tenant NAME";
        QTest::newRow("unknown subcommand")
            << QStringList {"frobnicate"} << "unknown tenants command 'frobnicate'";
        QTest::newRow("unknown flag")
            << QStringList {"list", "--bogus"} << "Unknown option 'bogus'";
        QTest::newRow("extra argument") << QStringList {"add", "acme", "extra"} << "'extra'";
        QTest::newRow("json on add") << QStringList {"add", "acme", "--json"} << "--json";
    }

    void usageErrorsExitTwoWithUsageOnStderr()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const auto outcome = tenants(arguments);
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.err));
        QVERIFY2(outcome.err.contains("Usage: logdeck-cli tenants"), qPrintable(outcome.err));
        QVERIFY(outcome.out.isEmpty());
        QVERIFY(!QFile::exists(m_dir->filePath("logdeck.db"))); // nothing was opened
    }

    void aBadTenantNameExitsTwoWithTheRule()
    {
        const auto outcome = tenants({"add", "Acme Corp"});
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY2(outcome.err.contains("invalid tenant name 'Acme Corp'"), qPrintable(outcome.err));
        QVERIFY2(outcome.err.contains("a-z, 0-9"), qPrintable(outcome.err));
        QVERIFY(outcome.out.isEmpty());
    }

    void helpListsTheSubcommands()
    {
        const auto help = test::runCli({"tenants", "--help"});
        QCOMPARE(help.exitCode, 0);
        for (const char *text : {"tenants add NAME", "tenants key NAME", "tenants list",
                                 "tenants revoke NAME", "--data", "--json"}) {
            QVERIFY2(help.out.contains(QLatin1String(text)), text);
        }
        const auto top = test::runCli({"--help"});
        QVERIFY(top.out.contains(QRegularExpression("tenants\\s+Manage tenants")));
    }

    void anUnwritableDataDirectoryExitsOne()
    {
        QFile blocker(m_dir->filePath("not-a-directory"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const auto outcome =
            test::runCli({"tenants", "add", "acme", "--data", blocker.fileName() + "/data"});
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY(outcome.out.isEmpty());
        QCOMPARE(outcome.err.trimmed().count('\n'), 0);
        QVERIFY2(outcome.err.startsWith("logdeck-cli: cannot create the data directory"),
                 qPrintable(outcome.err));
        QVERIFY2(outcome.err.contains(blocker.fileName()), qPrintable(outcome.err));
    }

    void theDataDirectoryComesFromLogdeckDataWithoutTheFlag()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert("LOGDECK_DATA", m_dir->path());
        QCOMPARE(test::runCli({"tenants", "add", "acme"}, environment).exitCode, 0);
        QVERIFY(QFile::exists(m_dir->filePath("logdeck.db")));
        QCOMPARE(listJson().size(), 1); // --data points at the same directory
    }
};

QTEST_GUILESS_MAIN(TestCliTenants)
#include "tst_cli_tenants.moc"
