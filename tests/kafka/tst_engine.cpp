// The engine starts on a real cluster and on the embedded mock cluster, creates the
// pipeline's topics, and reports what it is connected to.

#include "engine.h"
#include "kafka/topic_catalog.h"
#include "support/test_broker.h"

#include <QTemporaryDir>
#include <QTest>

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
