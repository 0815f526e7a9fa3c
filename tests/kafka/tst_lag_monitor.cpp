// Lag against a real broker: `groups describe` reports exactly what Kafka holds for a group
// with known commits, unknown groups and bad usage fail with the right exit codes, the
// monitor judges a group by Burrow's rules as its commits advance, go backwards and stop
// while records keep coming, and its history survives a restart.

#include "common/time_format.h"
#include "kafka/admin_client.h"
#include "kafka/producer.h"
#include "ops/lag_monitor.h"
#include "store/database.h"
#include "support/cli_runner.h"
#include "support/test_broker.h"
#include "support/wait.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace logdeck;
using namespace std::chrono_literals;

using test::waitFor;

namespace {

constexpr int kPartitions = 3;
constexpr auto kTimeout = 10s;

/// Produces `perPartition` records to each partition of `topic`.
bool produce(const std::string &topic, int perPartition)
{
    static auto producer = kafka::Producer::create(test::brokerSettings());
    if (!producer) {
        return false;
    }
    for (int p = 0; p < kPartitions; ++p) {
        for (int i = 0; i < perPartition; ++i) {
            kafka::OutgoingRecord record;
            record.topic = topic;
            record.partition = p;
            record.key = "k";
            record.value = "v" + std::to_string(i);
            if (!(*producer)->produce(record)) {
                return false;
            }
        }
    }
    return (*producer)->flush(kTimeout).has_value();
}

/// `logdeck-cli groups describe GROUP --json` on the test broker.
test::CliOutcome describeJson(const std::string &group)
{
    return test::runCli({QStringLiteral("groups"), QStringLiteral("describe"),
                         QString::fromStdString(group), QStringLiteral("--broker"),
                         QString::fromStdString(test::brokerBootstrap()), QStringLiteral("--json")});
}

} // namespace

class TestLagMonitor : public QObject
{
    Q_OBJECT

    std::unique_ptr<kafka::AdminClient> m_admin;
    std::string m_topic;

private Q_SLOTS:
    void initTestCase()
    {
        auto admin = kafka::AdminClient::create(test::brokerSettings());
        QVERIFY(admin.has_value());
        m_admin = std::move(*admin);
        m_topic = test::uniqueName("lag");
        QVERIFY(m_admin->createTopics({{m_topic, kPartitions, {}}}, kTimeout).has_value());
        QVERIFY(produce(m_topic, 20));
        // A fresh broker loads its group coordinator for a few seconds after it starts.
        const std::string probe = test::uniqueName("lag-probe");
        QVERIFY(waitFor(
            [&] {
                return m_admin->alterGroupOffsets(probe, {{m_topic, 0, 0}}, kTimeout)
                    && m_admin->listGroups(kTimeout);
            },
            30s));
    }

    void describeMatchesWhatKafkaReports()
    {
        const std::string group = test::uniqueName("lag-describe");
        QVERIFY(m_admin
                    ->alterGroupOffsets(group, {{m_topic, 0, 10}, {m_topic, 1, 5}, {m_topic, 2, 0}},
                                        kTimeout)
                    .has_value());
        auto committed = m_admin->committedOffsets(group, kTimeout);
        QVERIFY2(committed.has_value(), committed ? "" : committed.error().message.c_str());
        QCOMPARE(committed->size(), std::size_t(kPartitions));

        const auto outcome = describeJson(group);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const QJsonObject json = QJsonDocument::fromJson(outcome.out.toUtf8()).object();
        QCOMPARE(json[QStringLiteral("group")].toString().toStdString(), group);
        QCOMPARE(json[QStringLiteral("state")].toString(), QStringLiteral("Empty"));
        const QJsonArray partitions = json[QStringLiteral("partitions")].toArray();
        QCOMPARE(partitions.size(), qsizetype(kPartitions));
        std::int64_t total = 0;
        for (const auto &c : *committed) {
            auto end = m_admin->watermarks(c.topic, c.partition, kTimeout);
            QVERIFY(end.has_value());
            const QJsonObject row = partitions.at(c.partition).toObject();
            QCOMPARE(row[QStringLiteral("topic")].toString().toStdString(), c.topic);
            QCOMPARE(row[QStringLiteral("partition")].toInt(), c.partition);
            QCOMPARE(row[QStringLiteral("currentOffset")].toInteger(), c.offset);
            QCOMPARE(row[QStringLiteral("logEndOffset")].toInteger(), end->high);
            QCOMPARE(row[QStringLiteral("lag")].toInteger(), end->high - c.offset);
            total += end->high - c.offset;
        }
        QCOMPARE(json[QStringLiteral("lag")].toInteger(), total);
        QCOMPARE(total, 20 * kPartitions - 15);

        // The table has kafka-consumer-groups' columns and then Logdeck's.
        const auto table = test::runCli({QStringLiteral("groups"), QStringLiteral("describe"),
                                         QString::fromStdString(group), QStringLiteral("--broker"),
                                         QString::fromStdString(test::brokerBootstrap())});
        QCOMPARE(table.exitCode, 0);
        QVERIFY2(table.out.startsWith(QStringLiteral("GROUP")), qPrintable(table.out));
        for (const char *column : {"CURRENT-OFFSET", "LOG-END-OFFSET", "CONSUMER-ID", "TIME-LAG",
                                   "TIME-TO-DRAIN", "STATUS"}) {
            QVERIFY2(table.out.contains(QLatin1String(column)), column);
        }

        // `groups list` and `lag` show the group with the same total.
        const auto list = test::runCli(
            {QStringLiteral("groups"), QStringLiteral("list"), QStringLiteral("--broker"),
             QString::fromStdString(test::brokerBootstrap()), QStringLiteral("--json")});
        QVERIFY2(list.exitCode == 0, qPrintable(list.err));
        bool listed = false;
        for (const auto &entry : QJsonDocument::fromJson(list.out.toUtf8()).array()) {
            if (entry.toObject()[QStringLiteral("group")].toString().toStdString() == group) {
                listed = true;
                QCOMPARE(entry.toObject()[QStringLiteral("lag")].toInteger(), total);
            }
        }
        QVERIFY(listed);
        const auto watch = test::runCli(
            {QStringLiteral("lag"), QStringLiteral("--group"), QString::fromStdString(group),
             QStringLiteral("--watch"), QStringLiteral("--interval"), QStringLiteral("0.2"),
             QStringLiteral("--count"), QStringLiteral("3"), QStringLiteral("--json"),
             QStringLiteral("--broker"), QString::fromStdString(test::brokerBootstrap())});
        QVERIFY2(watch.exitCode == 0, qPrintable(watch.err));
        const auto lines = watch.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), qsizetype(3));
        const auto last = QJsonDocument::fromJson(lines.last().toUtf8()).object();
        QCOMPARE(last[QStringLiteral("groups")]
                     .toArray()
                     .at(0)
                     .toObject()[QStringLiteral("lag")]
                     .toInteger(),
                 total);
    }

    /// A group nobody consumes, with lag on one partition whose time lag cannot be known
    /// from one sample: its time lag once read 0s (the largest of the known ones) and its
    /// status OK (one commit is not judged). Unknown is unknown, and stopped with lag is STOP.
    void unknownTimeLagIsUnknownAndAStoppedGroupIsNotOk()
    {
        const std::string group = test::uniqueName("lag-stopped");
        QVERIFY(m_admin
                    ->alterGroupOffsets(group, {{m_topic, 0, 10}, {m_topic, 1, 20}, {m_topic, 2, 20}},
                                        kTimeout)
                    .has_value());
        const auto outcome = describeJson(group);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const QJsonObject json = QJsonDocument::fromJson(outcome.out.toUtf8()).object();
        QCOMPARE(json[QStringLiteral("lag")].toInteger(), 10);
        QVERIFY2(json[QStringLiteral("timeLagSeconds")].isNull(), qPrintable(outcome.out));
        QCOMPARE(json[QStringLiteral("status")].toString(), QStringLiteral("STOP"));
        const QJsonArray partitions = json[QStringLiteral("partitions")].toArray();
        QCOMPARE(partitions.at(0).toObject()[QStringLiteral("status")].toString(),
                 QStringLiteral("STOP"));
        QCOMPARE(partitions.at(1).toObject()[QStringLiteral("status")].toString(),
                 QStringLiteral("OK")); // no lag there
        QCOMPARE(partitions.at(1).toObject()[QStringLiteral("timeLagSeconds")].toDouble(), 0.0);
    }

    /// A group on Kafka 4's consumer protocol (KIP-848), which librdkafka 2.0.2 cannot
    /// describe, once showed lag 0 and OK while kafka-consumer-groups showed its lag. Its
    /// lag comes from its committed offsets, its members and health are unknown, and a
    /// reset's dry run warns.
    void consumerProtocolGroupShowsItsLagAndUnknownMembers()
    {
        const std::string group = test::uniqueName("lag-kip848");
        const QString libs = test::kafkaClasspath();
        QProcess consumer;
        consumer.start(QStringLiteral("java"),
                       {QStringLiteral("-cp"), libs,
                        QStringLiteral("org.apache.kafka.tools.consumer.ConsoleConsumer"),
                        QStringLiteral("--bootstrap-server"),
                        QString::fromStdString(test::brokerBootstrap()), QStringLiteral("--topic"),
                        QString::fromStdString(m_topic), QStringLiteral("--group"),
                        QString::fromStdString(group), QStringLiteral("--consumer-property"),
                        QStringLiteral("group.protocol=consumer"),
                        QStringLiteral("--from-beginning"), QStringLiteral("--max-messages"),
                        QStringLiteral("10")});
        QVERIFY(consumer.waitForFinished(90000));
        QVERIFY2(consumer.exitCode() == 0, consumer.readAllStandardError().constData());

        auto committed = m_admin->committedOffsets(group, kTimeout);
        QVERIFY2(committed.has_value(), committed ? "" : committed.error().message.c_str());
        std::int64_t expected = 0;
        for (int p = 0; p < kPartitions; ++p) {
            auto end = m_admin->watermarks(m_topic, p, kTimeout);
            QVERIFY(end.has_value());
            const auto it = std::ranges::find(*committed, p, &kafka::TopicPartitionOffset::partition);
            expected += end->high - (it == committed->end() ? 0 : it->offset);
        }
        QVERIFY(expected > 0);

        const auto outcome = describeJson(group);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const QJsonObject json = QJsonDocument::fromJson(outcome.out.toUtf8()).object();
        QCOMPARE(json[QStringLiteral("lag")].toInteger(), expected);
        QVERIFY(json[QStringLiteral("members")].isNull());
        QCOMPARE(json[QStringLiteral("status")].toString(), QStringLiteral("UNKNOWN"));
        QVERIFY2(json[QStringLiteral("error")].toString().contains(QStringLiteral("KIP-848")),
                 qPrintable(outcome.out));

        const auto plan = test::runCli(
            {QStringLiteral("groups"), QStringLiteral("reset-offsets"), QStringLiteral("--group"),
             QString::fromStdString(group), QStringLiteral("--topic"),
             QString::fromStdString(m_topic), QStringLiteral("--to-earliest"),
             QStringLiteral("--broker"), QString::fromStdString(test::brokerBootstrap())});
        QCOMPARE(plan.exitCode, 0);
        QVERIFY2(plan.err.contains(QStringLiteral("the group's members cannot be read"))
                     || plan.out.contains(QStringLiteral("the group's members cannot be read")),
                 qPrintable(plan.out + plan.err));
    }

    void badGroupsAndUsage()
    {
        const QString broker = QString::fromStdString(test::brokerBootstrap());
        const auto unknown = test::runCli({QStringLiteral("groups"), QStringLiteral("describe"),
                                           QStringLiteral("no-such-group-here"),
                                           QStringLiteral("--broker"), broker});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains(QStringLiteral("'no-such-group-here'")),
                 qPrintable(unknown.err));
        QVERIFY(unknown.out.isEmpty());

        const auto missing = test::runCli({QStringLiteral("groups"), QStringLiteral("describe"),
                                           QStringLiteral("--broker"), broker});
        QCOMPARE(missing.exitCode, 2);
        QCOMPARE(test::runCli({QStringLiteral("groups"), QStringLiteral("frobnicate")}).exitCode,
                 2);
        QCOMPARE(test::runCli({QStringLiteral("lag"), QStringLiteral("--count"),
                               QStringLiteral("2"), QStringLiteral("--broker"), broker})
                     .exitCode,
                 2);
        QCOMPARE(test::runCli({QStringLiteral("lag"), QStringLiteral("--watch"),
                               QStringLiteral("--interval"), QStringLiteral("0"),
                               QStringLiteral("--broker"), broker})
                     .exitCode,
                 2);
    }

    void healthFollowsBurrowsRulesAndHistorySurvivesARestart()
    {
        const std::string group = test::uniqueName("lag-health");
        QTemporaryDir dir;
        const std::string database = store::Database::pathIn(dir.path().toStdString());
        ops::LagMonitor::Options options;
        options.cluster = test::brokerSettings();
        options.databasePath = database;
        options.sampling.interval = 200ms;
        options.sampling.windowSize = 5;
        options.sampling.onlyGroup = group;
        const std::int64_t startedAt = nowMillis();
        auto monitor = ops::LagMonitor::start(options);
        QVERIFY(monitor.has_value());
        const auto statusOf = [&]() -> std::string {
            const auto snapshot = (*monitor)->snapshot();
            const auto *g = snapshot->find(group);
            return g == nullptr ? "" : std::string(ops::lagStatusName(g->status));
        };

        // Commits advance while records keep coming: OK, with a rate and a time lag.
        std::int64_t offset = 0;
        const auto commitNext = [&] {
            offset += 1;
            return m_admin->alterGroupOffsets(group, {{m_topic, 0, offset}}, kTimeout).has_value()
                && produce(m_topic, 1);
        };
        QVERIFY(commitNext());
        QVERIFY(waitFor(
            [&] {
                const bool committed = commitNext();
                const auto snapshot = (*monitor)->snapshot();
                const auto *g = snapshot->find(group);
                return committed && g != nullptr && g->consumeRate.value_or(0) > 0
                    && g->timeLagSeconds.has_value() && g->status == ops::LagStatus::Ok;
            },
            20s));

        // The offset goes back (a reset): REWIND.
        QVERIFY(m_admin->alterGroupOffsets(group, {{m_topic, 0, 1}}, kTimeout).has_value());
        QVERIFY2(waitFor([&] { return statusOf() == "REWIND"; }, 10s), statusOf().c_str());

        // Commits stop while records keep coming: STOP once the window's time has passed.
        QVERIFY2(waitFor([&] { return produce(m_topic, 1) && statusOf() == "STOP"; }, 20s),
                 statusOf().c_str());
        const auto snapshot = (*monitor)->snapshot();
        const auto &partition = snapshot->find(group)->partitions.at(0);
        QCOMPARE(partition.committedOffset, std::int64_t(1));
        QVERIFY(partition.lag > 0);
        QCOMPARE(*partition.consumeRate, 0.0);
        QVERIFY2(!std::isfinite(partition.timeToDrainSeconds.value_or(0)),
                 "a stopped group with lag never drains");
        (*monitor)->stop();

        // The history is in SQLite: a new monitor serves it from there. (It watches another
        // group, so that its own first samples do not mix in.)
        options.sampling.onlyGroup = group + "-other";
        auto restarted = ops::LagMonitor::start(options);
        QVERIFY(restarted.has_value());
        auto history = (*restarted)->history(group, startedAt - 1000, nowMillis());
        QVERIFY2(history.has_value(), history ? "" : history.error().message.c_str());
        // One row per second: the test ran for more than two.
        QVERIFY2(history->size() >= 2, std::to_string(history->size()).c_str());
        QVERIFY(history->front().atMs >= startedAt - 1000);
        QCOMPARE(history->back().status, std::string("STOP"));
        QVERIFY(history->back().lagMessages > 0);
    }
};

QTEST_GUILESS_MAIN(TestLagMonitor)
#include "tst_lag_monitor.moc"
