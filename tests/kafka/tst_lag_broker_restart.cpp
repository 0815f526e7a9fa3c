// The lag monitor and group descriptions across a broker stop and restart, on a broker of
// the test's own: describing a group while the broker is down answers an error within its
// timeout, the process survives the broker's return (librdkafka 2.0.2's admin
// DescribeConsumerGroups aborted it then, confluentinc/librdkafka#4605), no lag is recorded
// while it cannot be known, and lag is known again once the broker is back. While the
// broker is down the monitor's retries wait instead of spinning (librdkafka 2.0.2's
// ListConsumerGroups reconnects in a tight loop until it times out).

#include "common/time_format.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "ops/lag_monitor.h"
#include "support/test_broker.h"
#include "support/wait.h"

#include <QTest>
#include <algorithm>
#include <sys/resource.h>
#include <thread>

using namespace logdeck;
using namespace std::chrono_literals;

using test::waitFor;

namespace {

constexpr int kPartitions = 3;
constexpr int kPerPartition = 10;
constexpr auto kTimeout = 10s;
constexpr auto kShortTimeout = 1s;
constexpr int kCycles = 3;

/// The total lag of `group` in `snapshot` when every one of its partitions has a known
/// lag; nullopt otherwise.
std::optional<std::int64_t> knownLag(const ops::LagSnapshot &snapshot, const std::string &group)
{
    const ops::GroupLag *found = snapshot.find(group);
    if (found == nullptr || found->partitions.size() != std::size_t(kPartitions)
        || std::ranges::any_of(found->partitions,
                               [](const ops::PartitionLag &p) { return p.lag < 0; })) {
        return std::nullopt;
    }
    return found->lag;
}

/// The CPU time this process (every thread) uses while the caller sleeps for `period`.
std::chrono::duration<double> cpuUsedDuring(std::chrono::milliseconds period)
{
    const auto used = [] {
        rusage usage {};
        getrusage(RUSAGE_SELF, &usage);
        return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    };
    const double before = used();
    std::this_thread::sleep_for(period);
    return std::chrono::duration<double>(used() - before);
}

} // namespace

class TestLagBrokerRestart : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void groupsAndLagSurviveBrokerRestarts()
    {
        test::OwnBroker broker;
        QVERIFY(!broker.bootstrap().empty());
        auto admin = kafka::AdminClient::create(broker.settings());
        QVERIFY(admin.has_value());
        const std::string topic = "restart-lag";
        const std::string group = "restart-lag-group";
        QVERIFY((*admin)->createTopics({{topic, kPartitions, {}}}, kTimeout).has_value());
        {
            auto producer = kafka::Producer::create(broker.settings());
            QVERIFY(producer.has_value());
            for (int p = 0; p < kPartitions; ++p) {
                for (int i = 0; i < kPerPartition; ++i) {
                    QVERIFY((*producer)->produce({topic, p, "k", "v", {}, 0, false}).has_value());
                }
            }
            QVERIFY((*producer)->flush(kTimeout).has_value());
        }

        // A live member: the description names it and the partitions it holds.
        {
            auto consumer = kafka::Consumer::create(broker.settings(), group);
            QVERIFY(consumer.has_value());
            QVERIFY((*consumer)->subscribe({topic}).has_value());
            QVERIFY(waitFor(
                [&] {
                    (void)(*consumer)->poll(100, 100ms);
                    auto assigned = (*consumer)->assignment();
                    return assigned && assigned->size() == std::size_t(kPartitions);
                },
                60s));
            QVERIFY((*consumer)
                        ->commit({{topic, 0, 4}, {topic, 1, 2}, {topic, 2, kPerPartition}})
                        .has_value());
            std::optional<kafka::GroupDescription> live;
            QVERIFY(waitFor(
                [&] {
                    auto description = (*admin)->describeGroup(group, kTimeout);
                    if (description && description->state == "Stable") {
                        live = std::move(*description);
                    }
                    return live.has_value();
                },
                30s));
            QCOMPARE(live->members.size(), std::size_t(1));
            const std::vector<kafka::TopicPartition> all {{topic, 0}, {topic, 1}, {topic, 2}};
            QCOMPARE(live->members.front().assignment, all);
            QVERIFY(!live->members.front().memberId.empty());
            (*consumer)->close();
        }
        const std::int64_t expectedLag = (kPerPartition - 4) + (kPerPartition - 2) + 0;

        ops::LagMonitor::Options options;
        options.cluster = broker.settings();
        options.sampling.interval = 200ms;
        options.sampling.requestTimeout = kShortTimeout;
        auto monitor = ops::LagMonitor::start(std::move(options));
        QVERIFY(monitor.has_value());
        QVERIFY(waitFor([&] { return knownLag(*(*monitor)->snapshot(), group) == expectedLag; },
                        30s));

        for (int cycle = 0; cycle < kCycles; ++cycle) {
            QVERIFY(broker.stop());
            const std::int64_t downAtMs = nowMillis();
            // Describing a group whose coordinator is gone: an error (the group is not
            // known not to exist) within about its timeout, never a description.
            for (int i = 0; i < 3; ++i) {
                const auto started = std::chrono::steady_clock::now();
                auto description = (*admin)->describeGroup(group, kShortTimeout);
                QVERIFY(!description.has_value());
                QVERIFY2(description.error().code != Error::Code::NotFound,
                         description.error().message.c_str());
                QVERIFY(std::chrono::steady_clock::now() - started < kShortTimeout + 5s);
            }
            // The monitor goes on trying every 200 ms, and waits while it does: less than a
            // tenth of a core over 2 s (the spinning retries took about 85% of one).
            const auto used = cpuUsedDuring(2s);
            QVERIFY2(used < 200ms, qPrintable(QString::number(used.count())));
            // While the broker is down the monitor takes no sample: its last one stays the
            // last known, and no lag is recorded for these seconds.
            QVERIFY((*monitor)->snapshot()->sampledAtMs <= downAtMs);
            const std::int64_t restartAtMs = nowMillis();
            auto down = (*monitor)->history(group, downAtMs + 1, restartAtMs);
            QVERIFY(down.has_value());
            QVERIFY(down->empty());

            QVERIFY(broker.restart());
            // Back: lag is known again from a fresh sample, and descriptions answer.
            QVERIFY(waitFor(
                [&] {
                    const auto snapshot = (*monitor)->snapshot();
                    return snapshot->sampledAtMs > restartAtMs
                        && knownLag(*snapshot, group) == expectedLag;
                },
                60s));
            QVERIFY(waitFor([&] { return (*admin)->describeGroup(group, kTimeout).has_value(); },
                            30s));
        }
        (*monitor)->stop();
    }
};

QTEST_GUILESS_MAIN(TestLagBrokerRestart)
#include "tst_lag_broker_restart.moc"
