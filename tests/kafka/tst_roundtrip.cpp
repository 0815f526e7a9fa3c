// Produce and consume through Logdeck's Kafka wrappers. Built twice from this file:
// tst_kafka_roundtrip against the real broker of the kafka_broker fixture, and
// tst_mock_roundtrip against librdkafka's mock cluster (LOGDECK_TEST_ON_MOCK).

#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/mock_cluster.h"
#include "kafka/producer.h"
#include "support/test_broker.h"

#include <QTest>
#include <atomic>
#include <map>
#include <mutex>

using namespace logdeck;
using namespace logdeck::kafka;
using namespace std::chrono_literals;

class TestRoundTrip : public QObject
{
    Q_OBJECT

private:
    static constexpr int kPartitions = 6;
    std::unique_ptr<MockCluster> m_mock;
    ClientSettings m_settings;

    void createTopic(const std::string &name)
    {
        if (m_mock) {
            QVERIFY(m_mock->createTopic(name, kPartitions).has_value());
            return;
        }
        auto admin = AdminClient::create(m_settings);
        QVERIFY(admin.has_value());
        auto created = (*admin)->createTopics({{name, kPartitions, {}}}, 15s);
        QVERIFY2(created.has_value(), created ? "" : created.error().message.c_str());
    }

    /// Reads from `consumer` until `count` records arrived or 30 s passed.
    static std::vector<ConsumedRecord> readAll(Consumer &consumer, std::size_t count)
    {
        std::vector<ConsumedRecord> all;
        QDeadlineTimer deadline(30s);
        while (all.size() < count && !deadline.hasExpired()) {
            auto batch = consumer.poll(500, 500ms);
            if (!batch) {
                qWarning() << "poll failed:" << batch.error().message.c_str();
                break;
            }
            std::ranges::move(*batch, std::back_inserter(all));
        }
        return all;
    }

private Q_SLOTS:
    void initTestCase()
    {
#ifdef LOGDECK_TEST_ON_MOCK
        auto mock = MockCluster::create(3);
        QVERIFY(mock.has_value());
        m_mock = std::move(*mock);
        m_settings = {{ "bootstrap.servers", m_mock->bootstrapServers() }};
#else
        m_settings = test::brokerSettings();
#endif
    }

    void producedRecordsArriveKeyedWithHeadersAndCommitted()
    {
        const std::string topic = test::uniqueName("roundtrip");
        createTopic(topic);

        auto producer = Producer::create(m_settings);
        QVERIFY(producer.has_value());
        constexpr int kRecords = 200;
        std::mutex mutex;
        std::map<std::string, DeliveryReport> reports; // by value
        std::atomic<int> delivered {0};
        for (int i = 0; i < kRecords; ++i) {
            OutgoingRecord record;
            record.topic = topic;
            record.key = "tenant-" + std::to_string(i % 17);
            record.value = R"({"n":)" + std::to_string(i) + "}";
            record.headers = {{"event-id", "e" + std::to_string(i)}, {"tenant-id", record.key}};
            auto queued = (*producer)->produce(
                record, [&, value = record.value](const DeliveryReport &report) {
                    const std::lock_guard lock(mutex);
                    reports[value] = report;
                    ++delivered;
                });
            QVERIFY2(queued.has_value(), queued ? "" : queued.error().message.c_str());
        }
        QVERIFY((*producer)->flush(20s).has_value());
        QCOMPARE(delivered.load(), kRecords);
        for (const auto &[value, report] : reports) {
            QVERIFY2(!report.error.has_value(), report.error ? report.error->message.c_str() : "");
            QVERIFY(report.offset >= 0);
        }

        auto consumer = Consumer::create(m_settings, test::uniqueName("roundtrip-group"));
        QVERIFY(consumer.has_value());
        QVERIFY((*consumer)->subscribe({topic}).has_value());
        const auto records = readAll(**consumer, kRecords);
        QCOMPARE(int(records.size()), kRecords);

        std::map<std::int32_t, std::int64_t> nextOffsets;
        for (const auto &record : records) {
            // Keyed by tenant, on the partition a Java client would choose.
            QCOMPARE(record.partition, test::javaPartitionForKey(record.key, kPartitions));
            QCOMPARE(headerValue(record.headers, "tenant-id"), record.key);
            const auto &report = reports.at(record.value);
            QCOMPARE(report.partition, record.partition);
            QCOMPARE(report.offset, record.offset);
            QVERIFY(record.timestampMs > 0);
            nextOffsets[record.partition] =
                std::max(nextOffsets[record.partition], record.offset + 1);
        }

        std::vector<TopicPartitionOffset> commit;
        std::vector<TopicPartition> partitions;
        for (const auto &[partition, next] : nextOffsets) {
            commit.push_back({topic, partition, next});
            partitions.push_back({topic, partition});
        }
        QVERIFY((*consumer)->commit(commit).has_value());
        auto committed = (*consumer)->committed(partitions, 10s);
        QVERIFY(committed.has_value());
        QCOMPARE(*committed, commit);
    }

    void nullEmptyAndBinaryValuesArriveAsWritten()
    {
        const std::string topic = test::uniqueName("values");
        createTopic(topic);
        auto producer = Producer::create(m_settings);
        QVERIFY(producer.has_value());
        std::string binary;
        for (int byte = 0; byte < 256; ++byte) {
            binary += static_cast<char>(byte);
        }
        OutgoingRecord tombstone {topic, 0, "k", {}, {}, 0};
        tombstone.valueIsNull = true;
        for (const auto &record :
             {tombstone, OutgoingRecord {topic, 0, "k", {}, {}, 0},
              OutgoingRecord {topic, 0, "k", binary, {}, 0}}) {
            QVERIFY((*producer)->produce(record).has_value());
        }
        QVERIFY((*producer)->flush(20s).has_value());

        auto consumer = Consumer::create(m_settings, test::uniqueName("values-group"));
        QVERIFY(consumer.has_value());
        QVERIFY((*consumer)->assign({{topic, 0, 0}}).has_value());
        const auto records = readAll(**consumer, 3);
        QCOMPARE(records.size(), std::size_t(3));
        QVERIFY(records[0].valueIsNull);
        QVERIFY(!records[1].valueIsNull);
        QCOMPARE(records[1].value, std::string());
        QVERIFY(!records[2].valueIsNull);
        QCOMPARE(records[2].value, binary);
    }

    void deliveryFailsWhenEveryBrokerIsDown()
    {
        if (!m_mock) {
            return; // the real broker's outage tests belong to the ingest suite
        }
        const std::string topic = test::uniqueName("outage");
        createTopic(topic);
        for (int broker = 1; broker <= 3; ++broker) {
            QVERIFY(m_mock->setBrokerDown(broker).has_value());
        }
        ClientSettings settings = m_settings;
        settings["message.timeout.ms"] = "1500";
        auto producer = Producer::create(settings);
        QVERIFY(producer.has_value());
        std::atomic<bool> done {false};
        DeliveryReport outcome;
        QVERIFY((*producer)
                    ->produce({topic, std::nullopt, "k", "v", {}, 0},
                              [&](const DeliveryReport &r) {
                                  outcome = r;
                                  done = true;
                              })
                    .has_value());
        QTRY_VERIFY_WITH_TIMEOUT(done.load(), 10000);
        QVERIFY(outcome.error.has_value());
        QVERIFY(outcome.error->retriable);
        for (int broker = 1; broker <= 3; ++broker) {
            QVERIFY(m_mock->setBrokerUp(broker).has_value());
        }
    }

    void badClientPropertyIsNamed()
    {
        ClientSettings settings = m_settings;
        settings["linger.msec"] = "5";
        auto producer = Producer::create(settings);
        QVERIFY(!producer.has_value());
        QVERIFY2(producer.error().message.find("linger.msec") != std::string::npos,
                 producer.error().message.c_str());
        QCOMPARE(producer.error().code, Error::Code::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestRoundTrip)
#include "tst_roundtrip.moc"
