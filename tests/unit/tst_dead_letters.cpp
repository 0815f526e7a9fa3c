// Dead letters decode the same whoever wrote them: Logdeck, Spring Kafka or Kafka Connect.

#include "kafka/record_headers.h"
#include "ops/dead_letters.h"

#include <QTest>

using namespace logdeck;

namespace {

std::string bigEndian(std::uint64_t value, int bytes)
{
    return kafka::headers::toBigEndian(value, bytes);
}

kafka::ConsumedRecord record(kafka::Headers headers)
{
    kafka::ConsumedRecord r;
    r.topic = "events.dlq";
    r.partition = 2;
    r.offset = 77;
    r.timestampMs = 1795705445123;
    r.key = "acme";
    r.value = R"({"id":"e-42","tenant":"acme"})";
    r.headers = std::move(headers);
    return r;
}

} // namespace

class TestDeadLetters : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decodesLogdecksHeaders()
    {
        const auto d = ops::decodeDeadLetter(record({{"event-id", "e-42"},
                                                     {"tenant-id", "acme"},
                                                     {"failing-group", "analytics"},
                                                     {"error-class", "PoisonEvent"},
                                                     {"error-message", "poisoned"},
                                                     {"attempts", "5"},
                                                     {"original-topic", "events.raw"},
                                                     {"original-partition", "4"},
                                                     {"original-offset", "1234"},
                                                     {"original-timestamp", "1795705440000"}}));
        QCOMPARE(d.convention, std::string("logdeck"));
        QCOMPARE(d.eventId, std::string("e-42"));
        QCOMPARE(d.group, std::string("analytics"));
        QCOMPARE(d.errorClass, std::string("PoisonEvent"));
        QCOMPARE(d.attempts, 5);
        QCOMPARE(d.originalTopic, std::string("events.raw"));
        QCOMPARE(d.originalPartition, 4);
        QCOMPARE(d.originalOffset, std::int64_t(1234));
        QCOMPARE(d.originalTimestampMs, std::int64_t(1795705440000));
        QCOMPARE(d.partition, 2);
        QCOMPARE(d.offset, std::int64_t(77));
    }

    void decodesSpringKafkasBinaryHeaders()
    {
        const auto d = ops::decodeDeadLetter(
            record({{"kafka_dlt-original-topic", "orders"},
                    {"kafka_dlt-original-partition", bigEndian(3, 4)},
                    {"kafka_dlt-original-offset", bigEndian(9876543210ULL, 8)},
                    {"kafka_dlt-original-timestamp", bigEndian(1795705440000ULL, 8)},
                    {"kafka_dlt-original-consumer-group", "billing"},
                    {"kafka_dlt-exception-fqcn",
                     "org.springframework.kafka.listener.ListenerExecutionFailedException"},
                    {"kafka_dlt-exception-message", "Listener failed"}}));
        QCOMPARE(d.convention, std::string("spring"));
        QCOMPARE(d.originalTopic, std::string("orders"));
        QCOMPARE(d.originalPartition, 3);
        QCOMPARE(d.originalOffset, std::int64_t(9876543210LL));
        QCOMPARE(d.originalTimestampMs, std::int64_t(1795705440000));
        QCOMPARE(d.group, std::string("billing"));
        QVERIFY(d.errorClass.ends_with("ListenerExecutionFailedException"));
        QCOMPARE(d.errorMessage, std::string("Listener failed"));
        // No event-id header: the id comes from the value.
        QCOMPARE(d.eventId, std::string("e-42"));
        QCOMPARE(d.tenant, std::string("acme"));
    }

    void decodesKafkaConnectsHeaders()
    {
        const auto d =
            ops::decodeDeadLetter(record({{"__connect.errors.topic", "clicks"},
                                          {"__connect.errors.partition", "1"},
                                          {"__connect.errors.offset", "555"},
                                          {"__connect.errors.connector.name", "s3-sink"},
                                          {"__connect.errors.exception.class.name",
                                           "org.apache.kafka.connect.errors.DataException"},
                                          {"__connect.errors.exception.message", "bad schema"}}));
        QCOMPARE(d.convention, std::string("connect"));
        QCOMPARE(d.originalTopic, std::string("clicks"));
        QCOMPARE(d.originalPartition, 1);
        QCOMPARE(d.originalOffset, std::int64_t(555));
        QCOMPARE(d.group, std::string("s3-sink"));
        QCOMPARE(d.errorMessage, std::string("bad schema"));
    }

    void unknownRecordsStillList()
    {
        const auto d = ops::decodeDeadLetter(record({}));
        QCOMPARE(d.convention, std::string("unknown"));
        QCOMPARE(d.eventId, std::string("e-42"));
        QCOMPARE(d.offset, std::int64_t(77));
    }
};

QTEST_GUILESS_MAIN(TestDeadLetters)
#include "tst_dead_letters.moc"
