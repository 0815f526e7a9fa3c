// `logdeck-cli audit list`: every tenant key change is in the audit log with when, who and
// where, and never the key itself; --operation and --limit narrow the list.

#include "store/audit_log.h"
#include "support/cli_runner.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace logdeck;

class TestCliAudit : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    test::CliOutcome cli(const QStringList &arguments) const
    {
        return test::runCli(arguments + QStringList {"--data", m_dir.path()});
    }

    QJsonArray auditJson(const QStringList &options = {}) const
    {
        const auto listed = cli(QStringList {"audit", "list", "--json"} + options);
        if (listed.exitCode != 0) {
            qWarning() << "audit list --json failed:" << listed.err;
        }
        return QJsonDocument::fromJson(listed.out.toUtf8()).array();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(test::cliPath()), "LOGDECK_CLI must point at logdeck-cli");
        QVERIFY(m_dir.isValid());
    }

    void emptyBeforeAnyChange()
    {
        QCOMPARE(auditJson(), QJsonArray());
        QVERIFY(!QFile::exists(m_dir.filePath("logdeck.db")));
    }

    void keyChangesAreRecordedWithoutTheKey()
    {
        const auto added = cli({"tenants", "add", "acme"});
        QCOMPARE(added.exitCode, 0);
        const QString firstKey = added.out.trimmed();
        const auto another = cli({"tenants", "key", "acme"});
        QCOMPARE(another.exitCode, 0);
        const QString secondKey = another.out.trimmed();
        QCOMPARE(cli({"tenants", "revoke", "acme"}).exitCode, 0);
        QCOMPARE(cli({"tenants", "revoke", "nobody"}).exitCode, 1);

        const QJsonArray entries = auditJson();
        QCOMPARE(entries.size(), 4);
        const QStringList operations {"tenants.add", "tenants.key", "tenants.revoke",
                                      "tenants.revoke"};
        const int keysAfter[] = {1, 2, 0, -1};
        for (qsizetype i = 0; i < entries.size(); ++i) {
            const QJsonObject entry = entries.at(i).toObject();
            QCOMPARE(entry.value("operation").toString(), operations.at(i));
            QCOMPARE(entry.value("user").toString(),
                     QString::fromStdString(store::AuditLog::currentUser()));
            QCOMPARE(entry.value("host").toString(),
                     QString::fromStdString(store::AuditLog::currentHost()));
            QVERIFY(!entry.value("at").toString().isEmpty());
            const QJsonObject after = entry.value("after").toObject();
            if (keysAfter[i] < 0) {
                QCOMPARE(entry.value("target").toString(), QStringLiteral("nobody"));
                QVERIFY(entry.value("result").toString().contains("nobody"));
                QCOMPARE(after.value("exists").toBool(), false);
            } else {
                QCOMPARE(entry.value("target").toString(), QStringLiteral("acme"));
                QCOMPARE(entry.value("result").toString(), QStringLiteral("ok"));
                QCOMPARE(after.value("activeKeys").toInt(), keysAfter[i]);
            }
        }
        QCOMPARE(entries.at(0).toObject().value("before").toObject().value("exists").toBool(),
                 false);
        // Secrets never appear in the audit log, in any output format.
        const QString table = cli({"audit", "list"}).out;
        for (const QString &output : {QString::fromUtf8(QJsonDocument(entries).toJson()), table}) {
            QVERIFY(!output.contains(firstKey));
            QVERIFY(!output.contains(secondKey));
        }
        QVERIFY(table.contains("tenants.key"));
    }

    void operationAndLimitNarrowTheList()
    {
        const QJsonArray revokes = auditJson({"--operation", "tenants.revoke"});
        QCOMPARE(revokes.size(), 2);
        const QJsonArray newest = auditJson({"--limit", "1"});
        QCOMPARE(newest.size(), 1);
        QCOMPARE(newest.first().toObject().value("target").toString(), QStringLiteral("nobody"));
    }

    void badInputIsAUsageError()
    {
        QCOMPARE(cli({"audit"}).exitCode, 2);
        QCOMPARE(cli({"audit", "show"}).exitCode, 2);
        QCOMPARE(cli({"audit", "list", "--limit", "0"}).exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestCliAudit)
#include "tst_cli_audit.moc"
