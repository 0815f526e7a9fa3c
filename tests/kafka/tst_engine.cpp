// The engine starts on a real cluster and on the embedded mock cluster, creates the
// pipeline's topics, and reports what it is connected to.

#include "engine.h"
#include "kafka/topic_catalog.h"
#include "ops/control_plane.h"
#include "support/test_broker.h"

#include <QTemporaryDir>
#include <QTest>
#include <atomic>
#include <thread>
#include <unistd.h>

using namespace logdeck;
using namespace std::chrono_literals;

class TestEngine : public QObject
{
    Q_OBJECT

private:
    static void verifyPipelineTopics(const EngineStatus &status, const Config &config)
    {
        QVERIFY2(status.connected, status.error.c_str());
        const auto expected = kafka::topics::pipelineTopics(config.groups, config.partitions);
        QCOMPARE(status.topics.size(), expected.size());
        for (const auto &spec : expected) {
            const auto it = std::ranges::find(status.topics, spec.name, &EngineStatus::Topic::name);
            QVERIFY2(it != status.topics.end(), spec.name.c_str());
            QCOMPARE(it->partitions, spec.partitions);
            QVERIFY(!it->role.empty());
        }
    }

private Q_SLOTS:
    void brokerModeCreatesThePipelineTopics()
    {
        QTemporaryDir first;
        QTemporaryDir second;
        Config config;
        config.setBootstrapServers(test::brokerBootstrap());
        config.partitions = 6;
        config.listen = "127.0.0.1:0";
        config.dataDir = first.path().toStdString();
        Engine engine(config);
        auto started = engine.start();
        QVERIFY2(started.has_value(), started ? "" : started.error().message.c_str());
        QVERIFY(engine.isRunning());
        const auto status = engine.queryStatus(5s);
        QCOMPARE(status.mode, EngineStatus::Mode::Broker);
        QCOMPARE(status.brokerCount, 1);
        QCOMPARE(status.bootstrapServers, test::brokerBootstrap());
        verifyPipelineTopics(status, config);

        // A second engine on the same cluster finds the topics there and changes nothing.
        config.dataDir = second.path().toStdString();
        Engine other(config);
        QVERIFY(other.start().has_value());
        verifyPipelineTopics(other.queryStatus(5s), config);
    }

    void embeddedModeRunsAMockCluster()
    {
        Config config;
        config.embedded = true;
        config.mockBrokers = 3;
        Engine engine(config);
        QVERIFY(engine.start().has_value());
        const auto status = engine.queryStatus(5s);
        QCOMPARE(status.mode, EngineStatus::Mode::Embedded);
        QCOMPARE(status.brokerCount, 3);
        QVERIFY(status.bootstrapServers.starts_with("127.0.0.1:"));
        verifyPipelineTopics(status, config);
        engine.stop();
        QVERIFY(!engine.isRunning());
        // Once stopped, the mock cluster is gone and says so.
        const auto after = engine.queryStatus(1s);
        QVERIFY(!after.connected);
        QVERIFY(!after.error.empty());
    }

    /// A second engine on a data directory once shared the groups' databases with the
    /// first and removed its engine.json on exit.
    void secondEngineOnADataDirectoryIsRefused()
    {
        QTemporaryDir data;
        Config config;
        config.embedded = true;
        config.dataDir = data.path().toStdString();
        config.listen = "127.0.0.1:0";
        Engine first(config);
        QVERIFY(first.start().has_value());
        Engine second(config);
        const auto refused = second.start();
        QVERIFY(!refused.has_value());
        QCOMPARE(refused.error().message,
                 "the data directory " + config.dataDir + " is in use by another engine (pid "
                     + std::to_string(::getpid())
                     + "); stop that engine first, or give this one another --data");
        QVERIFY(first.isRunning());
        first.stop();
        QVERIFY(second.start().has_value()); // the lock went with the first engine
    }

    /// pauseGroup on one thread while the control plane stops and starts the group on
    /// another: the runtime is never used after stopGroup freed it (a raw pointer used to
    /// escape the lock; the sanitizer runs of this test catch a regression).
    void pauseRacesWithStopFromTheControlPlane()
    {
        Config config;
        config.embedded = true;
        config.listen = "127.0.0.1:0";
        config.demoRate = 0;
        Engine engine(config);
        QVERIFY(engine.start().has_value());
        const kafka::ClientSettings cluster {{"bootstrap.servers", engine.bootstrapServers()}};
        std::atomic<bool> done {false};
        std::atomic<int> paused {0};
        std::atomic<int> absent {0};
        std::thread console([&] {
            for (int i = 0; i < 200000 && !done; ++i) {
                const auto result = i % 2 == 0 ? engine.pauseGroup("analytics")
                                                : engine.resumeGroup("analytics");
                (result ? paused : absent).fetch_add(1);
            }
        });
        for (int round = 0; round < 6; ++round) {
            for (const char *operation : {"group.stop", "group.start"}) {
                ops::ControlCommand command;
                command.target = "group:analytics";
                command.operation = operation;
                const auto acks = ops::sendCommand(cluster, command, {}, 15s);
                QVERIFY2(acks.has_value(), acks ? "" : acks.error().message.c_str());
                QVERIFY2(acks->front().ok, acks->front().message.c_str());
            }
        }
        done = true;
        console.join();
        QVERIFY(paused > 0);
        QVERIFY(absent > 0); // the console did meet the group stopped
        QVERIFY(engine.resumeGroup("analytics").has_value());
    }

    void invalidConfigIsRefusedBeforeConnecting()
    {
        Config config; // neither embedded nor a broker
        Engine engine(config);
        auto started = engine.start();
        QVERIFY(!started.has_value());
        QCOMPARE(started.error().code, Error::Code::InvalidArgument);
        QVERIFY(!engine.isRunning());
    }
};

QTEST_GUILESS_MAIN(TestEngine)
#include "tst_engine.moc"
