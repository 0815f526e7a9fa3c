// `logdeck-cli rollups` as an operator meets it: the analytics group's counts as a table with
// a total, as JSON, for one tenant, an empty answer where the group never ran, and exit
// code 2 with the usage for bad arguments.

#include "common/time_format.h"
#include "consume/processor.h"
#include "store/database.h"
#include "store/group_store.h"
#include "support/cli_runner.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <deque>

using namespace logdeck;

namespace {

const std::int64_t kMinute = *parseRfc3339("2026-11-26T15:04:00Z");

struct Spec
{
    const char *tenant;
    const char *campaignId;
    const char *type;
    std::int64_t occurredAtMs;
    int times;
};

/// Runs events through the analytics processor into `dataDir`/groups/analytics.db.
bool countThroughAnalytics(const std::string &dataDir, const std::vector<Spec> &specs)
{
    auto db = store::Database::open(store::GroupStore::pathFor(dataDir, "analytics"));
    if (!db) {
        qWarning("%s", db.error().message.c_str());
        return false;
    }
    std::deque<kafka::ConsumedRecord> records;
    std::vector<consume::Event> events;
    for (const Spec &spec : specs) {
        for (int i = 0; i < spec.times; ++i) {
            kafka::ConsumedRecord &record = records.emplace_back();
            record.topic = "events.raw";
            record.offset = static_cast<std::int64_t>(records.size());
            consume::Event &event = events.emplace_back();
            event.record = &record;
            event.tenant = spec.tenant;
            event.eventId = "e-" + std::to_string(records.size());
            event.campaignId = spec.campaignId;
            event.type = spec.type;
            event.occurredAtMs = spec.occurredAtMs;
        }
    }
    auto transaction = store::Transaction::begin(**db);
    if (!transaction) {
        qWarning("%s", transaction.error().message.c_str());
        return false;
    }
    auto processed = consume::makeProcessor("analytics")->process(events, **db);
    if (!processed) {
        qWarning("%s", processed.error().message.c_str());
        return false;
    }
    if (auto committed = transaction->commit(); !committed) {
        qWarning("%s", committed.error().message.c_str());
        return false;
    }
    return true;
}

QString minute(std::int64_t ms)
{
    return QString::fromStdString(formatRfc3339(ms));
}

} // namespace

class TestCliRollups : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;

    /// `logdeck-cli rollups <arguments> --data <this test's directory>`.
    test::CliOutcome rollups(const QStringList &arguments) const
    {
        return test::runCli(QStringList {"rollups"} + arguments
                            + QStringList {"--data", m_dir->path()});
    }

    static QJsonObject parseJson(const test::CliOutcome &outcome)
    {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(outcome.out.toUtf8(), &error);
        if (error.error != QJsonParseError::NoError || !document.isObject()) {
            qWarning() << "not a JSON object:" << outcome.out << outcome.err;
        }
        return document.object();
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
        QVERIFY(countThroughAnalytics(m_dir->path().toStdString(),
                                      {
                                          {"acme", "spring", "view", kMinute + 1'000, 3},
                                          {"acme", "spring", "view", kMinute + 61'000, 2},
                                          {"acme", "spring", "click", kMinute + 5'000, 4},
                                          {"globex", "launch", "view", kMinute, 10},
                                      }));
    }

    void theTableListsEveryCountAndTheTotal()
    {
        const auto outcome = rollups({});
        QCOMPARE(outcome.exitCode, 0);
        QVERIFY2(outcome.err.isEmpty(), qPrintable(outcome.err));
        const QStringList lines = outcome.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 6);
        QCOMPARE(lines[0].split(' ', Qt::SkipEmptyParts),
                 QStringList({"TENANT", "CAMPAIGN", "TYPE", "MINUTE", "COUNT"}));
        QStringList body;
        for (const QString &line : lines.mid(1, 4)) {
            body << line.split(' ', Qt::SkipEmptyParts).join(' ');
        }
        QCOMPARE(body,
                 QStringList({
                     "acme spring click " + minute(kMinute) + " 4",
                     "acme spring view " + minute(kMinute) + " 3",
                     "acme spring view " + minute(kMinute + 60'000) + " 2",
                     "globex launch view " + minute(kMinute) + " 10",
                 }));
        QCOMPARE(lines[5].split(' ', Qt::SkipEmptyParts), QStringList({"TOTAL", "19"}));
        // The counts and the total line up in one right-aligned column.
        for (const QString &line : lines) {
            QCOMPARE(line.size(), lines[0].size());
        }
    }

    void jsonHasTheRowsAndTheirTotal()
    {
        const auto outcome = rollups({"--json"});
        QCOMPARE(outcome.exitCode, 0);
        const QJsonObject json = parseJson(outcome);
        QCOMPARE(json.value("total").toInteger(), 19);
        const QJsonArray rows = json.value("rows").toArray();
        QCOMPARE(rows.size(), 4);
        const QJsonObject first = rows.first().toObject();
        QCOMPARE(first.value("tenant").toString(), QString("acme"));
        QCOMPARE(first.value("campaignId").toString(), QString("spring"));
        QCOMPARE(first.value("type").toString(), QString("click"));
        QCOMPARE(first.value("minute").toString(), minute(kMinute));
        QCOMPARE(first.value("count").toInteger(), 4);
        qint64 sum = 0;
        for (const auto &row : rows) {
            sum += row.toObject().value("count").toInteger();
            QCOMPARE(row.toObject().keys(),
                     QStringList({"campaignId", "count", "minute", "tenant", "type"}));
        }
        QCOMPARE(sum, json.value("total").toInteger());
    }

    void aTenantFilterKeepsOnlyItsRows_data()
    {
        QTest::addColumn<QString>("tenant");
        QTest::addColumn<int>("rows");
        QTest::addColumn<qint64>("total");
        QTest::newRow("acme") << "acme" << 3 << qint64(9);
        QTest::newRow("globex") << "globex" << 1 << qint64(10);
        QTest::newRow("unknown tenant") << "initech" << 0 << qint64(0);
    }

    void aTenantFilterKeepsOnlyItsRows()
    {
        QFETCH(QString, tenant);
        QFETCH(int, rows);
        QFETCH(qint64, total);
        const QJsonObject json = parseJson(rollups({"--tenant", tenant, "--json"}));
        QCOMPARE(json.value("total").toInteger(), total);
        const QJsonArray array = json.value("rows").toArray();
        QCOMPARE(array.size(), rows);
        qint64 sum = 0;
        for (const auto &row : array) {
            QCOMPARE(row.toObject().value("tenant").toString(), tenant);
            sum += row.toObject().value("count").toInteger();
        }
        QCOMPARE(sum, total);

        const auto table = rollups({"--tenant", tenant});
        QCOMPARE(table.exitCode, 0);
        const QStringList lines = table.out.trimmed().split('\n');
        QCOMPARE(lines.size(), rows + 2);
        QCOMPARE(lines.last().split(' ', Qt::SkipEmptyParts),
                 QStringList({"TOTAL", QString::number(total)}));
    }

    void aDataDirectoryWhereTheGroupNeverRanIsEmpty()
    {
        // (A data directory that does not exist is an error: tst_cli_tenants.)
        const QString empty = m_dir->filePath("nothing-here");
        QVERIFY(QDir().mkdir(empty));
        const auto json = test::runCli({"rollups", "--data", empty, "--json"});
        QCOMPARE(json.exitCode, 0);
        QVERIFY2(json.err.isEmpty(), qPrintable(json.err));
        const QJsonObject object = parseJson(json);
        QCOMPARE(object.value("total").toInteger(), 0);
        QVERIFY(object.value("rows").isArray());
        QVERIFY(object.value("rows").toArray().isEmpty());

        const auto table = test::runCli({"rollups", "--data", empty});
        QCOMPARE(table.exitCode, 0);
        const QStringList lines = table.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[1].split(' ', Qt::SkipEmptyParts), QStringList({"TOTAL", "0"}));
        QVERIFY(QDir(empty).isEmpty()); // a read creates nothing
    }

    void theDataDirectoryComesFromLogdeckDataWithoutTheFlag()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert("LOGDECK_DATA", m_dir->path());
        const auto outcome = test::runCli({"rollups", "--json"}, environment);
        QCOMPARE(outcome.exitCode, 0);
        QCOMPARE(parseJson(outcome).value("total").toInteger(), 19);
    }

    void usageErrorsExitTwoWithUsageOnStderr_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown flag") << QStringList {"--bogus"} << "Unknown option 'bogus'";
        QTest::newRow("missing tenant value") << QStringList {"--tenant"} << "Missing value";
        QTest::newRow("extra argument") << QStringList {"acme"} << "unexpected argument 'acme'";
        QTest::newRow("bad tenant name")
            << QStringList {"--tenant", "Acme Corp"} << "invalid tenant name 'Acme Corp'";
    }

    void usageErrorsExitTwoWithUsageOnStderr()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const auto outcome = test::runCli(QStringList {"rollups"} + arguments);
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.err));
        QVERIFY2(outcome.err.contains("Usage: logdeck-cli rollups"), qPrintable(outcome.err));
        QVERIFY(outcome.out.isEmpty());
    }

    void helpNamesTheOptions()
    {
        const auto help = test::runCli({"rollups", "--help"});
        QCOMPARE(help.exitCode, 0);
        for (const char *text :
             {"rollups [--data DIR] [--tenant T] [--json]", "--data", "--tenant", "--json"}) {
            QVERIFY2(help.out.contains(QLatin1String(text)), text);
        }
        const auto top = test::runCli({"--help"});
        QVERIFY(top.out.contains(QRegularExpression("rollups\\s+Print the analytics group's")));
    }
};

QTEST_GUILESS_MAIN(TestCliRollups)
#include "tst_cli_rollups.moc"
