// `logdeck-cli groups reset-offsets` against a plain consumer group on the real broker: every
// kafka-consumer-groups strategy moves every partition to the offset Kafka then reports,
// a dry run changes nothing, --export and the undo file round-trip through --from-file, and
// each bad input is refused with its reason and the right exit code before anything moves.

#include "common/time_format.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "kafka/topic_catalog.h"
#include "ops/control_plane.h"
#include "ops/offset_reset.h"
#include "support/cli_runner.h"
#include "support/test_broker.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <condition_variable>
#include <mutex>
#include <sys/stat.h>

using namespace logdeck;

namespace {

constexpr int kPartitions = 3;
constexpr int kRecordsPerPartition = 10;
constexpr std::int64_t kMinuteMs = 60'000;

/// The baseline the tests start from: partition -> committed offset.
const std::vector<std::int64_t> kBaseline = {5, 7, 2};

std::vector<std::int64_t> committedBy(const std::string &group, const std::string &topic)
{
    // A consumer's own OffsetFetch: a different path from the admin call the CLI uses.
    auto consumer = kafka::Consumer::create(test::brokerSettings(), group);
    if (!consumer) {
        return {};
    }
    std::vector<kafka::TopicPartition> partitions;
    for (int p = 0; p < kPartitions; ++p) {
        partitions.push_back({topic, p});
    }
    auto committed = (*consumer)->committed(partitions, std::chrono::seconds(10));
    std::vector<std::int64_t> offsets;
    if (committed) {
        for (const auto &c : *committed) {
            offsets.push_back(c.offset);
        }
    }
    (*consumer)->close();
    return offsets;
}

bool commitOffsets(const std::string &group, const std::string &topic,
                   const std::vector<std::int64_t> &offsets)
{
    auto consumer = kafka::Consumer::create(test::brokerSettings(), group);
    if (!consumer) {
        return false;
    }
    std::vector<kafka::TopicPartitionOffset> positions;
    for (int p = 0; p < kPartitions; ++p) {
        positions.push_back({topic, p, offsets[static_cast<std::size_t>(p)]});
    }
    const bool ok = (*consumer)->assign(positions) && (*consumer)->commit(positions);
    (*consumer)->close();
    return ok;
}

QString iso(std::int64_t ms)
{
    return QString::fromStdString(formatRfc3339(ms));
}

} // namespace

class TestResetOffsets : public QObject
{
    Q_OBJECT

    std::string m_topic;
    std::string m_group;
    std::int64_t m_firstTimestampMs = 0;
    QTemporaryDir m_dir;

    test::CliOutcome reset(QStringList arguments) const
    {
        arguments.prepend(QStringLiteral("reset-offsets"));
        arguments.prepend(QStringLiteral("groups"));
        arguments << QStringLiteral("--broker") << QString::fromStdString(test::brokerBootstrap())
                  << QStringLiteral("--data") << m_dir.path();
        return test::runCli(arguments);
    }

    QStringList scoped(QStringList arguments) const
    {
        return arguments << QStringLiteral("--group") << QString::fromStdString(m_group)
                         << QStringLiteral("--topic") << QString::fromStdString(m_topic);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_topic = test::uniqueName("reset");
        m_group = test::uniqueName("reset-group");
        auto admin = kafka::AdminClient::create(test::brokerSettings());
        QVERIFY(admin);
        QVERIFY((*admin)->createTopics({{m_topic, kPartitions, {}}}, std::chrono::seconds(30)));
        // Record i of every partition carries the time first + i minutes, so a lookup by
        // time has one right answer.
        m_firstTimestampMs = (nowMillis() - 60 * kMinuteMs) / kMinuteMs * kMinuteMs;
        auto producer = kafka::Producer::create(test::brokerSettings());
        QVERIFY(producer);
        std::mutex mutex;
        std::condition_variable done;
        int acknowledged = 0;
        int failed = 0;
        for (int p = 0; p < kPartitions; ++p) {
            for (int i = 0; i < kRecordsPerPartition; ++i) {
                kafka::OutgoingRecord record {m_topic, p,
                                              "k",     "v" + std::to_string(i),
                                              {},      m_firstTimestampMs + i * kMinuteMs};
                QVERIFY((*producer)->produce(record, [&](const kafka::DeliveryReport &r) {
                    const std::lock_guard lock(mutex);
                    (r.error ? failed : acknowledged) += 1;
                    done.notify_all();
                }));
            }
        }
        std::unique_lock lock(mutex);
        QVERIFY(done.wait_for(lock, std::chrono::seconds(30), [&] {
            return acknowledged + failed == kPartitions * kRecordsPerPartition;
        }));
        QCOMPARE(failed, 0);
    }

    void init() { QVERIFY(commitOffsets(m_group, m_topic, kBaseline)); }

    void everyStrategyMovesEveryPartition_data()
    {
        QTest::addColumn<QStringList>("strategy");
        QTest::addColumn<QList<qint64>>("expected");
        QTest::newRow("to-earliest") << QStringList {"--to-earliest"} << QList<qint64> {0, 0, 0};
        QTest::newRow("to-latest") << QStringList {"--to-latest"} << QList<qint64> {10, 10, 10};
        QTest::newRow("to-current") << QStringList {"--to-current"} << QList<qint64> {5, 7, 2};
        QTest::newRow("to-offset") << QStringList {"--to-offset", "4"} << QList<qint64> {4, 4, 4};
        QTest::newRow("to-offset past the end is clamped")
            << QStringList {"--to-offset", "50"} << QList<qint64> {10, 10, 10};
        QTest::newRow("shift-by back")
            << QStringList {"--shift-by", "-3"} << QList<qint64> {2, 4, 0}; // 2 - 3 clamps to 0
        QTest::newRow("shift-by forward")
            << QStringList {"--shift-by", "4"} << QList<qint64> {9, 10, 6};
    }

    void everyStrategyMovesEveryPartition()
    {
        QFETCH(QStringList, strategy);
        QFETCH(QList<qint64>, expected);
        const auto outcome = reset(scoped(strategy) << QStringLiteral("--execute"));
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const auto offsets = committedBy(m_group, m_topic);
        QCOMPARE(offsets, std::vector<std::int64_t>(expected.begin(), expected.end()));
    }

    void toDatetimeFindsTheFirstRecordAtOrAfterIt()
    {
        // Half a minute after record 4: record 5 is the first at or after it.
        const auto at = iso(m_firstTimestampMs + 4 * kMinuteMs + 30'000);
        const auto outcome =
            reset(scoped({QStringLiteral("--to-datetime"), at}) << QStringLiteral("--execute"));
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QCOMPARE(committedBy(m_group, m_topic), (std::vector<std::int64_t> {5, 5, 5}));
    }

    void byDurationCountsBackFromNow()
    {
        // Records are a minute apart: name a duration half-way between two of them, so the
        // second it takes to run the command cannot change the answer.
        const std::int64_t now = nowMillis();
        const std::int64_t back = now - (m_firstTimestampMs + 6 * kMinuteMs + 30'000);
        const auto outcome = reset(
            scoped({QStringLiteral("--by-duration"), QStringLiteral("PT%1S").arg(back / 1000)})
            << QStringLiteral("--execute"));
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QCOMPARE(committedBy(m_group, m_topic), (std::vector<std::int64_t> {7, 7, 7}));
    }

    void kafkaItselfReportsTheResetOffsets()
    {
        const auto outcome = reset(scoped({QStringLiteral("--to-offset"), QStringLiteral("3")})
                                   << QStringLiteral("--execute"));
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        // Kafka's own kafka-consumer-groups, from the broker's jars.
        const QString libs = test::kafkaClasspath();
        QProcess tool;
        tool.start(QStringLiteral("java"),
                   {QStringLiteral("-cp"), libs,
                    QStringLiteral("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"),
                    QStringLiteral("--bootstrap-server"),
                    QString::fromStdString(test::brokerBootstrap()), QStringLiteral("--describe"),
                    QStringLiteral("--group"), QString::fromStdString(m_group)});
        QVERIFY(tool.waitForFinished(60000));
        const QString described = QString::fromUtf8(tool.readAllStandardOutput());
        int rows = 0;
        for (const QString &line : described.split(QLatin1Char('\n'))) {
            const QStringList columns = line.simplified().split(QLatin1Char(' '));
            if (columns.size() >= 4 && columns.at(1) == QString::fromStdString(m_topic)) {
                QCOMPARE(columns.at(3), QStringLiteral("3")); // CURRENT-OFFSET
                ++rows;
            }
        }
        QVERIFY2(rows == kPartitions, qPrintable(described + tool.readAllStandardError()));
    }

    void aDryRunPrintsThePlanAndChangesNothing()
    {
        const auto outcome = reset(scoped({QStringLiteral("--to-earliest")}));
        QCOMPARE(outcome.exitCode, 0);
        QCOMPARE(committedBy(m_group, m_topic), kBaseline);
        // One row per partition: current, new, log end and what will be re-read.
        for (int p = 0; p < kPartitions; ++p) {
            const QRegularExpression row(
                QStringLiteral("%1\\s+%2\\s+%3\\s+0\\s+10\\s+re-read %3")
                    .arg(QRegularExpression::escape(QString::fromStdString(m_topic)))
                    .arg(p)
                    .arg(kBaseline[static_cast<std::size_t>(p)]));
            QVERIFY2(row.match(outcome.out).hasMatch(), qPrintable(outcome.out));
        }
        QVERIFY2(outcome.err.contains(QStringLiteral("Dry run: nothing changed")),
                 qPrintable(outcome.err));
        // The time span: the record at the new offset is the first one.
        QVERIFY(outcome.out.contains(iso(m_firstTimestampMs)));
    }

    void exportAndTheUndoFileRoundTrip()
    {
        const QString exported = m_dir.filePath(QStringLiteral("plan.csv"));
        auto outcome = reset(scoped({QStringLiteral("--shift-by"), QStringLiteral("-1")})
                             << QStringLiteral("--export") << exported);
        QCOMPARE(outcome.exitCode, 0);
        QFile file(exported);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString csv = QString::fromUtf8(file.readAll());
        const QString t = QString::fromStdString(m_topic);
        QCOMPARE(csv, QStringLiteral("%1,0,4\n%1,1,6\n%1,2,1\n").arg(t));
        QCOMPARE(committedBy(m_group, m_topic), kBaseline); // a dry run, even with --export

        outcome = reset({QStringLiteral("--group"), QString::fromStdString(m_group),
                         QStringLiteral("--from-file"), exported, QStringLiteral("--execute")});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QCOMPARE(committedBy(m_group, m_topic), (std::vector<std::int64_t> {4, 6, 1}));

        // The execute saved the previous offsets and says how to put them back.
        const auto undo =
            QRegularExpression(QStringLiteral("--from-file (\\S+) --execute")).match(outcome.err);
        QVERIFY2(undo.hasMatch(), qPrintable(outcome.err));
        // Private like the rest of the data directory.
        for (const auto &[path, mode] : {std::pair {undo.captured(1), 0600},
                                         {QFileInfo(undo.captured(1)).path(), 0700}}) {
            struct stat info {};
            QCOMPARE(::stat(path.toLocal8Bit().constData(), &info), 0);
            QCOMPARE(static_cast<int>(info.st_mode & 07777), mode);
        }
        outcome =
            reset({QStringLiteral("--group"), QString::fromStdString(m_group),
                   QStringLiteral("--from-file"), undo.captured(1), QStringLiteral("--execute")});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QCOMPARE(committedBy(m_group, m_topic), kBaseline);
    }

    /// Through ops, as the console calls it.
    ops::ResetContext opsContext() const
    {
        ops::ResetContext context;
        context.cluster = test::brokerSettings();
        context.dataDir = m_dir.path().toStdString();
        return context;
    }

    ops::ResetPlan earliestPlan() const
    {
        ops::ResetRequest request;
        request.group = m_group;
        request.strategy = ops::ResetStrategy::ToEarliest;
        request.topics[m_topic] = {};
        auto plan = ops::planReset(opsContext(), request);
        return plan ? *plan : ops::ResetPlan {};
    }

    void executeReportsItsStepsInOrder()
    {
        const auto plan = earliestPlan();
        QCOMPARE(plan.partitions.size(), std::size_t {kPartitions});
        std::vector<ops::ResetStep> steps;
        std::int64_t lastAt = 0;
        const auto outcome = ops::executeReset(opsContext(), plan, [&](const ops::ResetProgress &p) {
            QVERIFY(p.atMs >= lastAt && !p.text.empty());
            lastAt = p.atMs;
            steps.push_back(p.step);
        });
        QVERIFY2(outcome, outcome ? "" : outcome.error().message.c_str());
        // No Logdeck engine runs this group: nothing to stop or resume.
        QCOMPARE(steps, (std::vector<ops::ResetStep> {ops::ResetStep::CheckingMembers,
                                                      ops::ResetStep::Empty,
                                                      ops::ResetStep::Applying,
                                                      ops::ResetStep::Applied}));
        QCOMPARE(committedBy(m_group, m_topic), (std::vector<std::int64_t> {0, 0, 0}));
        // The undo file holds the previous offsets; the history names it, and undoing it is
        // a --from-file plan back to them.
        QVERIFY(QFile::exists(QString::fromStdString(outcome->undoPath)));
        auto history = ops::listResets(m_dir.path().toStdString(), 50, m_group);
        QVERIFY(history);
        QVERIFY(!history->empty());
        const auto &last = history->front();
        QCOMPARE(last.auditId, outcome->auditId);
        QVERIFY(last.ok);
        QCOMPARE(last.strategy, std::string("--to-earliest"));
        QCOMPARE(last.undoPath, outcome->undoPath);
        QVERIFY(!last.user.empty());
        auto undo = ops::undoRequest(last);
        QVERIFY2(undo, undo ? "" : undo.error().message.c_str());
        QCOMPARE(undo->strategy, ops::ResetStrategy::FromFile);
        auto undoPlan = ops::planReset(opsContext(), *undo);
        QVERIFY2(undoPlan, undoPlan ? "" : undoPlan.error().message.c_str());
        QCOMPARE(undoPlan->partitions.size(), std::size_t {kPartitions});
        for (const auto &p : undoPlan->partitions) {
            QCOMPARE(p.current, std::int64_t {0});
            QCOMPARE(p.target, kBaseline[static_cast<std::size_t>(p.partition)]);
        }
        QVERIFY(ops::executeReset(opsContext(), *undoPlan));
        QCOMPARE(committedBy(m_group, m_topic), kBaseline);
    }

    void aResetCancelledBeforeItsApplyStepMovesNothing()
    {
        const auto plan = earliestPlan();
        QCOMPARE(plan.partitions.size(), std::size_t {kPartitions});
        ops::ResetCancellation cancellation;
        std::vector<ops::ResetStep> steps;
        const auto outcome = ops::executeReset(
            opsContext(), plan,
            [&](const ops::ResetProgress &p) {
                steps.push_back(p.step);
                if (p.step == ops::ResetStep::CheckingMembers) {
                    QVERIFY(cancellation.cancel());
                }
            },
            &cancellation);
        QVERIFY2(outcome, outcome ? "" : outcome.error().message.c_str());
        QVERIFY(outcome->cancelled);
        QCOMPARE(steps, (std::vector<ops::ResetStep> {ops::ResetStep::CheckingMembers,
                                                      ops::ResetStep::Cancelled}));
        QCOMPARE(committedBy(m_group, m_topic), kBaseline);
        QVERIFY(outcome->undoPath.empty());
        auto history = ops::listResets(m_dir.path().toStdString(), 50, m_group);
        QVERIFY(history && !history->empty());
        QCOMPARE(history->front().auditId, outcome->auditId);
        QVERIFY(history->front().cancelled);
        QVERIFY(!history->front().ok);
        QVERIFY(!ops::undoRequest(history->front()));

        // Once the apply step has started, a cancel is too late and the reset completes.
        ops::ResetCancellation late;
        bool lateRefused = false;
        const auto applied = ops::executeReset(
            opsContext(), plan,
            [&](const ops::ResetProgress &p) {
                if (p.step == ops::ResetStep::Applying) {
                    lateRefused = !late.cancel();
                }
            },
            &late);
        QVERIFY(applied);
        QVERIFY(lateRefused);
        QVERIFY(!applied->cancelled);
        QCOMPARE(committedBy(m_group, m_topic), (std::vector<std::int64_t> {0, 0, 0}));
    }

    void badInputIsRefusedBeforeAnythingChanges_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("reason");
        const QString group = QString::fromStdString(m_group);
        const QString topic = QString::fromStdString(m_topic);
        QTest::newRow("no scope") << QStringList {"--group", group, "--to-earliest", "--execute"}
                                  << 2 << "no scope";
        QTest::newRow("no strategy")
            << QStringList {"--group", group, "--topic", topic, "--execute"} << 2
            << "give one strategy";
        QTest::newRow("two strategies")
            << QStringList {"--group", group, "--topic", topic, "--to-earliest", "--to-latest"} << 2
            << "not --to-earliest and --to-latest";
        QTest::newRow("no group") << QStringList {"--topic", topic, "--to-earliest"} << 2
                                  << "--group is required";
        QTest::newRow("time in the future") << QStringList {
            "--group",  group, "--topic", topic, "--to-datetime", iso(nowMillis() + 3'600'000),
            "--execute"} << 2 << "is in the future";
        QTest::newRow("not a time") << QStringList {"--group",       group,       "--topic",  topic,
                                                    "--to-datetime", "yesterday", "--execute"}
                                    << 2 << "is not a time like 2026-11-26T10:00:00Z";
        QTest::newRow("not a duration")
            << QStringList {"--group", group, "--topic", topic, "--by-duration", "2h", "--execute"}
            << 2 << "is not a duration";
        QTest::newRow("dry-run and execute")
            << QStringList {"--group",       group,       "--topic",  topic,
                            "--to-earliest", "--dry-run", "--execute"}
            << 2 << "not both";
        QTest::newRow("unknown topic")
            << QStringList {"--group",       group,           "--topic",
                            "no-such-topic", "--to-earliest", "--execute"}
            << 1 << "topic 'no-such-topic' does not exist";
        QTest::newRow("partition that does not exist")
            << QStringList {"--group",      group,           "--topic",
                            topic + ":1,7", "--to-earliest", "--execute"}
            << 1 << "partition 7 of '" + topic + "' does not exist (it has 3 partitions)";
        QTest::newRow("unknown group")
            << QStringList {"--group", "no-such-group-anywhere", "--topic",
                            topic,     "--to-earliest",          "--execute"}
            << 1 << "consumer group 'no-such-group-anywhere' does not exist";
    }

    void badInputIsRefusedBeforeAnythingChanges()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QString, reason);
        const auto outcome = reset(arguments);
        QCOMPARE(outcome.exitCode, exitCode);
        QVERIFY2(outcome.err.contains(reason), qPrintable(outcome.err));
        QCOMPARE(committedBy(m_group, m_topic), kBaseline);
    }

    void aCsvWithABadRowIsRefusedNamingTheLine()
    {
        const QString t = QString::fromStdString(m_topic);
        const QStringList files = {
            QStringLiteral("%1,0,1\n%1,x,2\n").arg(t), // line 2: partition
            QStringLiteral("%1,0,1\n%1,1\n").arg(t), // line 2: columns
            QStringLiteral("%1,0,1\n%1,0,2\n").arg(t), // line 2: twice
            QStringLiteral("%1,0,1\n%1,9,2\n").arg(t), // partition 9 does not exist
        };
        const QStringList reasons = {QStringLiteral("line 2"), QStringLiteral("line 2"),
                                     QStringLiteral("appears twice"),
                                     QStringLiteral("partition 9")};
        for (int i = 0; i < files.size(); ++i) {
            const QString path = m_dir.filePath(QStringLiteral("bad-%1.csv").arg(i));
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(files.at(i).toUtf8());
            file.close();
            const auto outcome =
                reset({QStringLiteral("--group"), QString::fromStdString(m_group),
                       QStringLiteral("--from-file"), path, QStringLiteral("--execute")});
            QVERIFY2(outcome.exitCode != 0 && outcome.err.contains(reasons.at(i)),
                     qPrintable(outcome.err));
            QCOMPARE(committedBy(m_group, m_topic), kBaseline);
        }
    }

    void aCommandNobodyAcknowledgesTimesOutNamingTheEngine()
    {
        auto admin = kafka::AdminClient::create(test::brokerSettings());
        QVERIFY(admin);
        // Only the control plane's topics: other tests share this broker.
        std::vector<kafka::TopicSpec> controlPlane;
        for (const auto &spec : kafka::topics::pipelineTopics({}, 1)) {
            if (spec.name.starts_with("logdeck.")) {
                controlPlane.push_back(spec);
            }
        }
        QVERIFY((*admin)->createTopics(controlPlane, std::chrono::seconds(30)));
        const auto started = std::chrono::steady_clock::now();
        auto acks = ops::sendCommand(test::brokerSettings(),
                                     {{}, "engine-that-is-gone", "group.pause", "{}", {}, 0},
                                     {"engine-that-is-gone"}, std::chrono::seconds(2));
        QVERIFY(!acks);
        QCOMPARE(acks.error().code, Error::Code::Timeout);
        QVERIFY2(acks.error().message.find("from engine-that-is-gone") != std::string::npos,
                 acks.error().message.c_str());
        QVERIFY(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));

        // From the CLI: a group no live engine runs.
        const auto outcome = test::runCli({QStringLiteral("groups"), QStringLiteral("pause"),
                                           QStringLiteral("analytics"), QStringLiteral("--broker"),
                                           QString::fromStdString(test::brokerBootstrap()),
                                           QStringLiteral("--data"), m_dir.path()});
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY2(
            outcome.err.contains(QStringLiteral("no live Logdeck engine runs group 'analytics'")),
            qPrintable(outcome.err));
    }

    void activeMembersAreNamedAndNothingMoves()
    {
        // A member of the group that Logdeck does not run.
        kafka::ClientSettings settings = test::brokerSettings();
        settings["client.id"] = "billing-service";
        auto member = kafka::Consumer::create(settings, m_group);
        QVERIFY(member);
        QVERIFY((*member)->subscribe({m_topic}));
        auto admin = kafka::AdminClient::create(test::brokerSettings());
        QVERIFY(admin);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        bool joined = false;
        while (!joined && std::chrono::steady_clock::now() < deadline) {
            (void)(*member)->poll(10, std::chrono::milliseconds(200));
            auto description = (*admin)->describeGroup(m_group, std::chrono::seconds(5));
            joined = description && description->state == "Stable";
        }
        QVERIFY(joined);
        const auto outcome =
            reset(scoped({QStringLiteral("--to-earliest")}) << QStringLiteral("--execute"));
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY2(outcome.err.contains(QStringLiteral("billing-service")), qPrintable(outcome.err));
        QVERIFY2(outcome.err.contains(QStringLiteral("active members")), qPrintable(outcome.err));
        (*member)->close();
        QCOMPARE(committedBy(m_group, m_topic), kBaseline);
    }
};

QTEST_GUILESS_MAIN(TestResetOffsets)
#include "tst_reset_offsets.moc"
