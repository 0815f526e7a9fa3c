// An operator's replay, end to end, against an engine in another process: on the real broker
// (its own, since the engine's topic and group names are fixed) and on the embedded mock
// cluster. A bug "corrupts" the analytics rollups; `groups reset-offsets --to-datetime
// --rebuild --execute` pauses the group in that engine through logdeck.control, rewinds it,
// rebuilds its state from that minute and resumes it, and the rollups come back exactly as
// the events make them, poisoned events not dead-lettered twice. Without --rebuild the plan
// warns that dedup swallows the replay. `fleet` shows the engine; `groups pause|resume`
// steer it.

#include "common/time_format.h"
#include "consume/rollup_reader.h"
#include "engine_info.h"
#include "kafka/admin_client.h"
#include "kafka/producer.h"
#include "ops/control_plane.h"
#include "ops/offset_reset.h"
#include "store/audit_log.h"
#include "store/database.h"
#include "store/group_store.h"
#include "support/cli_runner.h"
#include "support/test_broker.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

using namespace logdeck;

namespace {

constexpr std::int64_t kMinuteMs = 60'000;
const char *const kTenants[] = {"acme", "globex", "initech"};
constexpr int kEventsPerTenant = 100;
constexpr int kPoisonPerTenant = 1;

/// Polls `condition` every 200 ms for at most `seconds`.
bool waitFor(const std::function<bool()> &condition, int seconds)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return condition();
}

std::vector<consume::RollupRow> rollups(const std::string &dataDir)
{
    auto rows = consume::readRollups(dataDir, "");
    return rows ? *rows : std::vector<consume::RollupRow> {};
}

std::int64_t total(const std::vector<consume::RollupRow> &rows)
{
    std::int64_t sum = 0;
    for (const auto &row : rows) {
        sum += row.count;
    }
    return sum;
}

bool sameRollups(const std::vector<consume::RollupRow> &a, const std::vector<consume::RollupRow> &b)
{
    return a.size() == b.size()
        && std::equal(a.begin(), a.end(), b.begin(), [](const auto &x, const auto &y) {
               return x.tenant == y.tenant && x.campaignId == y.campaignId && x.type == y.type
                   && x.minuteMs == y.minuteMs && x.count == y.count;
           });
}

/// Events a minute apart per tenant... six seconds apart, over ten minutes from `base`,
/// each with a Kafka timestamp equal to its occurredAt, as a real-time client sends them.
bool produceEvents(const kafka::ClientSettings &cluster, std::int64_t base)
{
    auto producer = kafka::Producer::create(cluster);
    if (!producer) {
        return false;
    }
    std::mutex mutex;
    std::condition_variable done;
    int acknowledged = 0;
    int failed = 0;
    int sent = 0;
    for (int i = 0; i < kEventsPerTenant; ++i) {
        for (const char *tenant : kTenants) {
            const std::int64_t at = base + i * 6000;
            const bool poison = i % (kEventsPerTenant / kPoisonPerTenant) == 50;
            QJsonObject attributes;
            if (poison) {
                attributes.insert(QStringLiteral("logdeck.poison"), QStringLiteral("true"));
            }
            const QJsonObject event {
                {QStringLiteral("id"), QStringLiteral("%1-%2").arg(QLatin1String(tenant)).arg(i)},
                {QStringLiteral("tenant"), QLatin1String(tenant)},
                {QStringLiteral("type"),
                 i % 3 == 0 ? QStringLiteral("click") : QStringLiteral("view")},
                {QStringLiteral("campaignId"), QStringLiteral("c%1").arg(i % 2)},
                {QStringLiteral("occurredAt"), QString::fromStdString(formatRfc3339(at))},
                {QStringLiteral("receivedAt"), QString::fromStdString(formatRfc3339(at))},
                {QStringLiteral("attributes"), attributes}};
            kafka::OutgoingRecord record {
                "events.raw",
                std::nullopt,
                tenant,
                QJsonDocument(event).toJson(QJsonDocument::Compact).toStdString(),
                {{"event-id", event.value(QStringLiteral("id")).toString().toStdString()},
                 {"tenant-id", tenant}},
                at};
            ++sent;
            if (!(*producer)->produce(record, [&](const kafka::DeliveryReport &r) {
                    const std::lock_guard lock(mutex);
                    (r.error ? failed : acknowledged) += 1;
                    done.notify_all();
                })) {
                return false;
            }
        }
    }
    std::unique_lock lock(mutex);
    return done.wait_for(lock, std::chrono::seconds(30), [&] {
        return acknowledged + failed == sent;
    }) && failed == 0;
}

/// "partition:committed/end ..." of `group` on events.raw, for failure messages.
QString positions(kafka::AdminClient &admin, const std::string &group, int partitions)
{
    std::vector<kafka::TopicPartition> raw;
    for (int p = 0; p < partitions; ++p) {
        raw.push_back({"events.raw", p});
    }
    auto ends = admin.logEndOffsets(raw, std::chrono::seconds(5));
    auto committed = admin.committedOffsets(group, std::chrono::seconds(5), raw);
    QString text;
    for (int p = 0; p < partitions && ends && committed; ++p) {
        const auto at =
            std::ranges::find_if(*committed, [&](const auto &c) { return c.partition == p; });
        text += QStringLiteral("%1:%2/%3 ")
                    .arg(p)
                    .arg(at == committed->end() ? -1 : at->offset)
                    .arg((*ends)[static_cast<std::size_t>(p)].offset);
    }
    return text;
}

/// Whether `group` has committed the log end of every events.raw partition.
bool caughtUp(kafka::AdminClient &admin, const std::string &group, int partitions)
{
    std::vector<kafka::TopicPartition> raw;
    for (int p = 0; p < partitions; ++p) {
        raw.push_back({"events.raw", p});
    }
    auto ends = admin.logEndOffsets(raw, std::chrono::seconds(5));
    auto committed = admin.committedOffsets(group, std::chrono::seconds(5), raw);
    if (!ends || !committed) {
        return false;
    }
    for (const auto &end : *ends) {
        const auto at = std::ranges::find_if(*committed, [&](const auto &c) {
            return c.topic == end.topic && c.partition == end.partition;
        });
        if (end.offset > 0 && (at == committed->end() || at->offset != end.offset)) {
            return false;
        }
    }
    return true;
}

std::int64_t deadLetters(kafka::AdminClient &admin, int partitions)
{
    std::vector<kafka::TopicPartition> dlq;
    for (int p = 0; p < partitions; ++p) {
        dlq.push_back({"events.dlq", p});
    }
    auto ends = admin.logEndOffsets(dlq, std::chrono::seconds(5));
    std::int64_t sum = 0;
    for (const auto &end : ends.value_or(std::vector<kafka::TopicPartitionOffset> {})) {
        sum += end.offset;
    }
    return sum;
}

/// The engine heartbeat's state of `group`, from `logdeck-cli fleet --json`.
QString groupStateInFleet(const QString &dataDir, const QString &group)
{
    const auto outcome = test::runCli(
        {QStringLiteral("fleet"), QStringLiteral("--json"), QStringLiteral("--data"), dataDir});
    for (const auto engine : QJsonDocument::fromJson(outcome.out.toUtf8()).array()) {
        for (const auto g : engine.toObject().value(QStringLiteral("groups")).toArray()) {
            if (g.toObject().value(QStringLiteral("group")).toString() == group) {
                return g.toObject().value(QStringLiteral("state")).toString();
            }
        }
    }
    return {};
}

} // namespace

class TestResetReplay : public QObject
{
    Q_OBJECT

    void replayWithRebuild(bool embedded)
    {
        std::unique_ptr<test::OwnBroker> broker;
        if (!embedded) {
            broker = std::make_unique<test::OwnBroker>();
            QVERIFY2(!broker->bootstrap().empty(), "the test's own broker did not start");
        }
        QTemporaryDir data;
        QVERIFY(data.isValid());
        const QString configPath = data.filePath(QStringLiteral("logdeck.json"));
        {
            QFile config(configPath);
            QVERIFY(config.open(QIODevice::WriteOnly));
            config.write(R"({"groups": ["analytics", "persister"], "partitions": 3,
                             "listen": "off", "lagIntervalMs": 1000})");
        }
        QStringList arguments = {QStringLiteral("run"), QStringLiteral("--config"), configPath,
                                 QStringLiteral("--data"), data.path()};
        if (embedded) {
            arguments << QStringLiteral("--embedded");
        } else {
            arguments << QStringLiteral("--broker") << QString::fromStdString(broker->bootstrap());
        }
        QProcess engine;
        auto environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("LOGDECK_DEMO_RATE"), QStringLiteral("0"));
        engine.setProcessEnvironment(environment);
        engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        engine.start(test::cliPath(), arguments);
        auto stopEngine = qScopeGuard([&] {
            engine.terminate();
            if (!engine.waitForFinished(20000)) {
                engine.kill();
                engine.waitForFinished(5000);
            }
        });
        const std::string dataDir = data.path().toStdString();
        QVERIFY2(waitFor([&] { return readEngineInfo(dataDir).has_value(); }, 60),
                 "the engine did not start");
        const auto info = readEngineInfo(dataDir);
        const kafka::ClientSettings cluster = {{"bootstrap.servers", info->bootstrap}};
        QVERIFY2(
            waitFor([&] { return groupStateInFleet(data.path(), "analytics") == "running"; }, 30),
            "fleet does not show the engine running analytics");

        const std::int64_t base = (nowMillis() - 30 * kMinuteMs) / kMinuteMs * kMinuteMs;
        QVERIFY(produceEvents(cluster, base));
        auto admin = kafka::AdminClient::create(cluster);
        QVERIFY(admin);
        const std::int64_t expectedTotal =
            std::size(kTenants) * (kEventsPerTenant - kPoisonPerTenant);
        QVERIFY2(waitFor(
                     [&] {
                         return total(rollups(dataDir)) == expectedTotal
                             && caughtUp(**admin, "analytics", 3)
                             && caughtUp(**admin, "persister", 3);
                     },
                     90),
                 qPrintable(QStringLiteral("rollups total %1").arg(total(rollups(dataDir)))));
        const auto truth = rollups(dataDir);
        QVERIFY(waitFor([&] { return deadLetters(**admin, 3) >= 2 * std::ssize(kTenants); }, 30));
        const std::int64_t deadLettersBefore = deadLetters(**admin, 3);

        // A bug inflates the counts from minute 5 on.
        const std::int64_t resetAt = base + 5 * kMinuteMs;
        {
            auto db = store::Database::open(store::GroupStore::pathFor(dataDir, "analytics"));
            QVERIFY(db);
            QVERIFY((*db)->exec("UPDATE rollups SET count = count + 1000 WHERE minute_ms >= "
                                + std::to_string(resetAt)));
        }
        QVERIFY(!sameRollups(rollups(dataDir), truth));

        const QStringList reset = {
            QStringLiteral("groups"),        QStringLiteral("reset-offsets"),
            QStringLiteral("--group"),       QStringLiteral("analytics"),
            QStringLiteral("--topic"),       QStringLiteral("events.raw"),
            QStringLiteral("--to-datetime"), QString::fromStdString(formatRfc3339(resetAt)),
            QStringLiteral("--data"),        data.path()};
        // Without --rebuild the plan says the replay would change nothing.
        auto outcome = test::runCli(reset);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY2(outcome.err.contains(QStringLiteral("without --rebuild")),
                 qPrintable(outcome.err));
        QVERIFY(outcome.err.contains(QStringLiteral("Dry run")));

        outcome = test::runCli(QStringList(reset)
                                   << QStringLiteral("--rebuild") << QStringLiteral("--execute"),
                               QProcessEnvironment::systemEnvironment(), 120000);
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.out + outcome.err));
        QVERIFY2(outcome.err.contains(QStringLiteral("Reset applied")), qPrintable(outcome.err));
        QVERIFY2(outcome.err.contains(QStringLiteral("group.stop acknowledged by 1 engine")),
                 qPrintable(outcome.err));
        // The dedup keys of every event from that minute on: events 50 to 99 of each tenant.
        QVERIFY2(outcome.err.contains(QStringLiteral(", %1 event(s) forgotten")
                                          .arg(std::size(kTenants) * (kEventsPerTenant - 50))),
                 qPrintable(outcome.err));

        // The group resumes by itself and replays; the rollups are the events' again.
        QVERIFY2(waitFor([&] { return sameRollups(rollups(dataDir), truth); }, 90),
                 qPrintable(QStringLiteral("rollups total %1, expected %2")
                                .arg(total(rollups(dataDir)))
                                .arg(expectedTotal)));
        QVERIFY2(waitFor([&] { return caughtUp(**admin, "analytics", 3); }, 30),
                 qPrintable(positions(**admin, "analytics", 3)));
        QCOMPARE(deadLetters(**admin, 3), deadLettersBefore);
        QVERIFY(
            waitFor([&] { return groupStateInFleet(data.path(), "analytics") == "running"; }, 15));

        // The audit log has the reset with its before and after.
        {
            auto db = store::Database::open(store::Database::pathIn(dataDir));
            QVERIFY(db);
            auto entries = store::AuditLog(**db).list(10, "groups.reset-offsets");
            QVERIFY(entries);
            QCOMPARE(entries->size(), std::size_t {1});
            QCOMPARE(entries->front().target, std::string("analytics"));
            QVERIFY(entries->front().result.starts_with("ok"));
            QVERIFY(entries->front().before != entries->front().after);
        }

        // Through ops, as the console calls it: the steps arrive in order, and a reset
        // cancelled once the group is empty resumes the group and moves nothing.
        ops::ResetContext context;
        context.cluster = cluster;
        context.dataDir = dataDir;
        context.mockCluster = embedded;
        ops::ResetRequest request;
        request.group = "analytics";
        request.strategy = ops::ResetStrategy::ToCurrent;
        request.topics["events.raw"] = {};
        auto plan = ops::planReset(context, request);
        QVERIFY2(plan, plan ? "" : plan.error().message.c_str());
        std::vector<ops::ResetStep> steps;
        const auto record = [&](const ops::ResetProgress &p) {
            QVERIFY(p.atMs > 0 && !p.text.empty());
            steps.push_back(p.step);
        };
        auto executed = ops::executeReset(context, *plan, record);
        QVERIFY2(executed, executed ? "" : executed.error().message.c_str());
        QCOMPARE(steps, (std::vector<ops::ResetStep> {ops::ResetStep::Stopping,
                                                      ops::ResetStep::Empty,
                                                      ops::ResetStep::Applying,
                                                      ops::ResetStep::Applied,
                                                      ops::ResetStep::Resumed}));
        QVERIFY(!executed->cancelled);
        QVERIFY(waitFor([&] { return caughtUp(**admin, "analytics", 3); }, 30));

        request.strategy = ops::ResetStrategy::ToEarliest;
        plan = ops::planReset(context, request);
        QVERIFY2(plan, plan ? "" : plan.error().message.c_str());
        const QString committedBefore = positions(**admin, "analytics", 3);
        steps.clear();
        ops::ResetCancellation cancellation;
        bool refusedTooLate = false;
        executed = ops::executeReset(
            context, *plan,
            [&](const ops::ResetProgress &p) {
                steps.push_back(p.step);
                if (p.step == ops::ResetStep::Empty) {
                    QVERIFY(cancellation.cancel());
                }
                if (p.step == ops::ResetStep::Resumed) {
                    refusedTooLate = !cancellation.cancel();
                }
            },
            &cancellation);
        QVERIFY2(executed, executed ? "" : executed.error().message.c_str());
        QVERIFY(executed->cancelled);
        QVERIFY(!refusedTooLate); // a cancelled reset stays cancelled
        QCOMPARE(steps, (std::vector<ops::ResetStep> {ops::ResetStep::Stopping,
                                                      ops::ResetStep::Empty,
                                                      ops::ResetStep::Resumed,
                                                      ops::ResetStep::Cancelled}));
        QVERIFY(executed->undoPath.empty()); // nothing moved: nothing to undo
        QCOMPARE(positions(**admin, "analytics", 3), committedBefore);
        QVERIFY(
            waitFor([&] { return groupStateInFleet(data.path(), "analytics") == "running"; }, 15));
        auto history = ops::listResets(dataDir, 10, "analytics");
        QVERIFY(history);
        QCOMPARE(history->size(), std::size_t {3});
        QVERIFY(history->front().cancelled);
        QVERIFY2(history->front().result.starts_with("cancelled"), history->front().result.c_str());
        QVERIFY(!ops::undoRequest(history->front())); // a cancelled reset has nothing to undo
        QVERIFY(history->at(1).ok && !history->at(1).undoPath.empty());

        // Pause and resume through the control plane.
        outcome =
            test::runCli({QStringLiteral("groups"), QStringLiteral("pause"),
                          QStringLiteral("analytics"), QStringLiteral("--data"), data.path()});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY(
            waitFor([&] { return groupStateInFleet(data.path(), "analytics") == "paused"; }, 15));
        outcome =
            test::runCli({QStringLiteral("groups"), QStringLiteral("resume"),
                          QStringLiteral("analytics"), QStringLiteral("--data"), data.path()});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        QVERIFY(
            waitFor([&] { return groupStateInFleet(data.path(), "analytics") == "running"; }, 15));
        // Redrive tasks are steered the same way; the engine answers for an unknown task.
        auto heartbeats = ops::readHeartbeats(cluster, std::chrono::seconds(10));
        QVERIFY(heartbeats);
        const auto hosts = ops::enginesRunning(*heartbeats, "analytics");
        QCOMPARE(hosts.size(), std::size_t {1});
        auto acks = ops::sendCommand(
            cluster, {{}, hosts.front(), "redrive.cancel", R"({"task": "no-such-task"})", {}, 0},
            hosts, std::chrono::seconds(15));
        QVERIFY2(acks, acks ? "" : acks.error().message.c_str());
        QVERIFY(!acks->front().ok);
        QVERIFY2(acks->front().message.find("no-such-task") != std::string::npos,
                 acks->front().message.c_str());

        outcome = test::runCli({QStringLiteral("groups"), QStringLiteral("pause"),
                                QStringLiteral("fraud"), QStringLiteral("--data"), data.path()});
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY2(outcome.err.contains(QStringLiteral("no live Logdeck engine runs group 'fraud'")),
                 qPrintable(outcome.err));
    }

private Q_SLOTS:
    void replayWithRebuildOnTheRealBroker() { replayWithRebuild(false); }
    void replayWithRebuildEmbedded() { replayWithRebuild(true); }
};

QTEST_GUILESS_MAIN(TestResetReplay)
#include "tst_reset_replay.moc"
