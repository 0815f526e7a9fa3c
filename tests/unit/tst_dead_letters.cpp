// Dead letters decode the same whoever wrote them: Logdeck, Spring Kafka or Kafka Connect.

#include "kafka/record_headers.h"
#include "ops/dead_letters.h"

#include <QJsonObject>
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
    void summaryKeepsTheRowAndCutsTheMessageAtACharacter()
    {
        auto letter = ops::decodeDeadLetter(record({{"failing-group", "analytics"},
                                                    {"error-class", "PoisonEvent"},
                                                    {"error-message", std::string(9, 'x') + "é!"},
                                                    {"original-topic", "events.raw"}}));
        const auto whole = ops::summarize(letter);
        QCOMPARE(whole.errorMessage, letter.errorMessage);
        QCOMPARE(whole.tenant, std::string("acme"));
        QCOMPARE(whole.partition, 2);
        QCOMPARE(whole.offset, std::int64_t(77));
        QVERIFY(whole.noteCount > 0); // original partition, offset and timestamp are missing
        // "é" is two bytes at 9 and 10: a cut at 10 must not split it.
        const auto cut = ops::summarize(letter, 10);
        QCOMPARE(cut.errorMessage, std::string(9, 'x') + "\u2026");
        const auto json = ops::deadLetterRecordJson(letter);
        QCOMPARE(json.value(QStringLiteral("valueEncoding")).toString(), QStringLiteral("text"));
        QCOMPARE(json.value(QStringLiteral("headers")).toObject().value(QStringLiteral("failing-group")).toString(),
                 QStringLiteral("analytics"));
    }

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
        QCOMPARE(d.originalPartition, std::optional<std::int32_t>(4));
        QCOMPARE(d.originalOffset, std::optional<std::int64_t>(1234));
        QCOMPARE(d.originalTimestampMs, std::optional<std::int64_t>(1795705440000));
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
        QCOMPARE(d.originalPartition, std::optional<std::int32_t>(3));
        QCOMPARE(d.originalOffset, std::optional<std::int64_t>(9876543210LL));
        QCOMPARE(d.originalTimestampMs, std::optional<std::int64_t>(1795705440000));
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
        QCOMPARE(d.originalPartition, std::optional<std::int32_t>(1));
        QCOMPARE(d.originalOffset, std::optional<std::int64_t>(555));
        QCOMPARE(d.group, std::string("s3-sink"));
        QCOMPARE(d.errorMessage, std::string("bad schema"));
    }

    void wrongLengthOrMissingCoordinatesAreUnknownAndNamed()
    {
        const auto origin = ops::decodeDeadLetterOrigin(
            {{"kafka_dlt-original-topic", "payments"},
             {"kafka_dlt-original-partition", std::string("\x01\x02\x03", 3)},
             {"kafka_dlt-original-offset", std::string("\x00\x00\x01\x00\x0b", 5)}});
        QCOMPARE(origin.convention, std::string("spring"));
        QCOMPARE(origin.topic, std::string("payments"));
        QVERIFY(!origin.partition && !origin.offset && !origin.timestampMs);
        QCOMPARE(origin.notes.size(), std::size_t(3));
        QVERIFY(origin.notes[0].starts_with("kafka_dlt-original-partition is 3 bytes long"));
        QVERIFY(origin.notes[1].starts_with("kafka_dlt-original-offset is 5 bytes long"));
        QCOMPARE(origin.notes[2], std::string("kafka_dlt-original-timestamp is missing"));

        ops::DeadLetter letter = ops::decodeDeadLetter(record(
            {{"kafka_dlt-original-topic", "orders"}, {"kafka_dlt-exception-fqcn", "E"}}));
        QCOMPARE(ops::originOf(letter), std::string("orders:?:?"));
        QCOMPARE(letter.notes.size(), std::size_t(3));
    }

    void numbersWrittenAsTextAreAccepted()
    {
        const auto spring = ops::decodeDeadLetterOrigin({{"kafka_dlt-original-topic", "orders"},
                                                         {"kafka_dlt-original-partition", "7"},
                                                         {"kafka_dlt-original-offset", "12345"},
                                                         {"kafka_dlt-original-timestamp",
                                                          "1795705440000"}});
        QCOMPARE(spring.partition, std::optional<std::int32_t>(7));
        QCOMPARE(spring.offset, std::optional<std::int64_t>(12345));
        QCOMPARE(spring.timestampMs, std::optional<std::int64_t>(1795705440000));
        QVERIFY(spring.notes.empty());
        // Eight digits are text, not the 8-byte big-endian 0x3132333435363738.
        QCOMPARE(ops::decodeDeadLetterOrigin({{"kafka_dlt-original-topic", "orders"},
                                              {"kafka_dlt-original-offset", "12345678"}})
                     .offset,
                 std::optional<std::int64_t>(12345678));
    }

    void badTextAndNegativeNumbersAreUnknownAndNamed()
    {
        const auto connect =
            ops::decodeDeadLetterOrigin({{"__connect.errors.topic", "clicks"},
                                         {"__connect.errors.partition", "one"},
                                         {"__connect.errors.offset", "-5"}});
        QCOMPARE(connect.convention, std::string("connect"));
        QVERIFY(!connect.partition && !connect.offset);
        QCOMPARE(connect.notes,
                 (std::vector<std::string> {"__connect.errors.partition is not a decimal number",
                                            "__connect.errors.offset is out of range (-5)"}));
        // Spring's -1 as a 4-byte int, and a partition beyond a Java int as text.
        const auto spring = ops::decodeDeadLetterOrigin(
            {{"kafka_dlt-original-topic", "orders"},
             {"kafka_dlt-original-partition", kafka::headers::toBigEndian(0xFFFFFFFF, 4)},
             {"kafka_dlt-original-offset", "9"},
             {"kafka_dlt-original-timestamp", bigEndian(1, 8)}});
        QVERIFY(!spring.partition);
        QCOMPARE(spring.notes,
                 (std::vector<std::string> {"kafka_dlt-original-partition is out of range (-1)"}));
        QVERIFY(!ops::decodeDeadLetterOrigin({{"failing-group", "g"},
                                              {"original-topic", "events.raw"},
                                              {"original-partition", "4294967296"}})
                     .partition);
    }

    void nullEmptyTextAndBinaryValuesAreShownApart()
    {
        auto shown = [](const std::string &value, bool isNull = false) {
            auto r = record({});
            r.value = value;
            r.valueIsNull = isNull;
            return ops::showValue(ops::decodeDeadLetter(r));
        };
        const auto null = shown({}, true);
        QCOMPARE(null.encoding, ops::ShownValue::Encoding::Null);
        QCOMPARE(std::string(null.encodingName()), std::string("null"));
        QCOMPARE(shown({}).encoding, ops::ShownValue::Encoding::Text);
        QCOMPARE(shown("caf\xc3\xa9\n\ttab").text, std::string("caf\xc3\xa9\n\ttab"));
        const std::string bytes("\x00\x80\xff", 3);
        const auto binary = shown(bytes);
        QCOMPARE(binary.encoding, ops::ShownValue::Encoding::Base64);
        QCOMPARE(binary.text, std::string("AID/"));
        QCOMPARE(shown("\xc3").encoding, ops::ShownValue::Encoding::Base64); // cut UTF-8
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
