// Records a hostile or broken producer can write, read by the code that reads them in an
// engine: the groups' record-value parser and the control plane's decoders. Each refuses
// what it cannot use with a reason, and none of them crashes or throws, whatever the bytes.

#include "common/json_depth.h"
#include "consume/processor.h"
#include "ops/control_plane.h"

#include <QTest>
#include <nlohmann/json.hpp>
#include <random>

using namespace logdeck;

namespace {

const std::string kGoodValue =
    R"({"id":"e-1","tenant":"acme","campaignId":"spring","type":"click",)"
    R"("occurredAt":"2026-11-26T15:04:05.000Z","receivedAt":"2026-11-26T15:04:05.250Z",)"
    R"("attributes":{"country":"DE"}})";

kafka::ConsumedRecord recordWith(std::string value)
{
    kafka::ConsumedRecord record;
    record.topic = "events.raw";
    record.key = "acme";
    record.value = std::move(value);
    return record;
}

/// The good value with `attributes` replaced.
std::string withAttributes(const std::string &attributes)
{
    std::string value = kGoodValue;
    value.replace(value.find(R"({"country":"DE"})"), 16, attributes);
    return value;
}

/// Random bytes, good values cut short, and good values with bytes changed.
std::vector<std::string> hostileValues(int count)
{
    std::mt19937 random(20261204);
    std::vector<std::string> values;
    const std::string alphabet = "{}[],:\"\\ 0-e.tu\x80\xff\x01xE+n";
    for (int i = 0; i < count; ++i) {
        std::string value = kGoodValue;
        switch (i % 3) {
        case 0:
            value.resize(random() % 200);
            for (char &c : value) {
                c = alphabet[random() % alphabet.size()];
            }
            break;
        case 1:
            value.resize(random() % value.size());
            break;
        default:
            for (int n = 0; n < 4; ++n) {
                value[random() % value.size()] = static_cast<char>(random() % 256);
            }
        }
        values.push_back(std::move(value));
    }
    return values;
}

} // namespace

class TestHostileRecords : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void nestingDepthIgnoresBracketsInStrings()
    {
        QCOMPARE(jsonNestingDepth("1"), std::size_t(0));
        QCOMPARE(jsonNestingDepth("{}"), std::size_t(1));
        QCOMPARE(jsonNestingDepth(R"({"a":[[{"b":[]}]]})"), std::size_t(5));
        QCOMPARE(jsonNestingDepth("{\"a\":\"[[[[\\\"[[[[\"}"), std::size_t(1)); // {"a":"[[[[\"[[[["}
        QCOMPARE(jsonNestingDepth(std::string(100000, '[')), kMaxJsonDepth + 1); // stops early
        QVERIFY(parseJsonBounded(std::string(65, '[') + std::string(65, ']')).is_discarded());
        QVERIFY(parseJsonBounded(std::string(64, '[') + std::string(64, ']')).is_array());
    }

    /// 100,000 levels once overflowed every group's thread (nlohmann's dump() recurses).
    void deepRecordValueIsRefusedWithAReason()
    {
        const std::string deep = std::string(100000, '[') + std::string(100000, ']');
        for (const std::string &attributes :
             {R"({"a":)" + deep + "}", R"({"b":"x","a":)" + deep + "}"}) {
            const auto record = recordWith(withAttributes(attributes));
            consume::Event event;
            std::string problem;
            QVERIFY(!consume::parseEvent(record, event, &problem));
            QCOMPARE(problem, std::string("the record value nests deeper than 64 levels"));
        }
        // What the collector lets through (32 levels of attributes) is read.
        const auto record = recordWith(
            withAttributes(R"({"a":)" + std::string(31, '[') + std::string(31, ']') + "}"));
        consume::Event event;
        QVERIFY(consume::parseEvent(record, event));
        QCOMPARE(event.attributes.at("a"), std::string(31, '[') + std::string(31, ']'));
    }

    void otherUnreadableValuesSayWhy_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QString>("problem");
        QTest::newRow("empty") << QByteArray() << "the record value is not valid JSON";
        QTest::newRow("binary") << QByteArray("\x00\xff\x80", 3)
                                << "the record value is not valid JSON";
        QTest::newRow("invalid UTF-8 in a string")
            << QByteArray::fromStdString(withAttributes("{\"a\":\"\xff\"}"))
            << "the record value is not valid JSON";
        QTest::newRow("array") << QByteArray("[1,2]") << "the record value is not a JSON object";
        QTest::newRow("no id") << QByteArray(R"({"type":"click"})")
                               << "the record value has no event id or type";
    }

    void otherUnreadableValuesSayWhy()
    {
        QFETCH(QByteArray, value);
        QFETCH(QString, problem);
        const auto record = recordWith(value.toStdString());
        consume::Event event;
        std::string why;
        QVERIFY(!consume::parseEvent(record, event, &why));
        QCOMPARE(QString::fromStdString(why), problem);
    }

    void anyBytesAreSafeForTheGroups()
    {
        int parsed = 0;
        for (const auto &value : hostileValues(30000)) {
            const auto record = recordWith(value);
            consume::Event event;
            std::string problem;
            const bool ok = consume::parseEvent(record, event, &problem);
            parsed += ok ? 1 : 0;
            QVERIFY2(ok || !problem.empty(), value.c_str());
        }
        QVERIFY(parsed > 0); // some changed bytes land in a string and leave it valid
    }

    /// {"id":1} on logdeck.control once threw nlohmann's type_error on the control thread
    /// of every engine, which terminated them.
    void controlCommandOfWrongTypesIsAnError_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("id a number") << QByteArray(R"({"id":1})")
                                     << "not a control command: field 'id' is a number";
        QTest::newRow("operation an object")
            << QByteArray(R"({"id":"c","operation":{}})")
            << "not a control command: field 'operation' is an object";
        QTest::newRow("issuedAtMs text") << QByteArray(R"({"id":"c","issuedAtMs":"now"})")
                                         << "not a control command: field 'issuedAtMs' is a string";
        QTest::newRow("issuedAtMs beyond int64") // once undefined behaviour (found by fuzzing)
            << QByteArray(R"({"id":"c","issuedAtMs":3591410891995555555555555555555558})")
            << "not a control command: field 'issuedAtMs' is not a whole number in range";
        QTest::newRow("issuedAtMs a fraction")
            << QByteArray(R"({"id":"c","issuedAtMs":1.5})")
            << "not a control command: field 'issuedAtMs' is not a whole number in range";
        QTest::newRow("array") << QByteArray("[]")
                               << "not a control command: the value is an array, not an object";
        QTest::newRow("not JSON") << QByteArray("\xff{")
                                  << "not a control command: the value is not JSON, or nests "
                                     "deeper than 64 levels";
        QTest::newRow("deep arguments")
            << QByteArray::fromStdString(R"({"id":"c","arguments":)" + std::string(5000, '[')
                                         + std::string(5000, ']') + "}")
            << "not a control command: the value is not JSON, or nests deeper than 64 levels";
    }

    void controlCommandOfWrongTypesIsAnError()
    {
        QFETCH(QByteArray, value);
        QFETCH(QString, message);
        const auto command = ops::decodeCommand(value.toStdString());
        QVERIFY(!command.has_value());
        QCOMPARE(QString::fromStdString(command.error().message), message);
    }

    void heartbeatOfWrongTypesIsAnError_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("pid text") << QByteArray(R"({"instance":"i","pid":"12"})")
                                  << "not a heartbeat: field 'pid' is a string";
        QTest::newRow("groups a number") << QByteArray(R"({"groups":5})")
                                         << "not a heartbeat: field 'groups' is a number, not a list";
        QTest::newRow("group not an object") << QByteArray(R"({"groups":[1]})")
                                             << "not a heartbeat: an entry of 'groups' is not an object";
        QTest::newRow("partition of text")
            << QByteArray(R"({"groups":[{"group":"g","partitions":[{"partition":"0"}]}]})")
            << "not a heartbeat: field 'partition' is a string";
        QTest::newRow("partition beyond int")
            << QByteArray(R"({"groups":[{"group":"g","partitions":[{"partition":4294967296}]}]})")
            << "not a heartbeat: field 'partition' is not a whole number in range";
        QTest::newRow("stopping a number") << QByteArray(R"({"stopping":1})")
                                           << "not a heartbeat: field 'stopping' is a number";
    }

    void heartbeatOfWrongTypesIsAnError()
    {
        QFETCH(QByteArray, value);
        QFETCH(QString, message);
        const auto heartbeat = ops::decodeHeartbeat(value.toStdString());
        QVERIFY(!heartbeat.has_value());
        QCOMPARE(QString::fromStdString(heartbeat.error().message), message);
    }

    void wellFormedRecordsStillDecode()
    {
        const auto command = ops::decodeCommand(
            R"({"id":"c-1","target":"group:analytics","operation":"group.pause",)"
            R"("arguments":{"group":"analytics"},"issuedBy":"ops@host","issuedAtMs":5})");
        QVERIFY(command.has_value());
        QCOMPARE(command->operation, std::string("group.pause"));
        QCOMPARE(command->arguments, std::string(R"({"group":"analytics"})"));
        QCOMPARE(command->issuedAtMs, std::int64_t(5));
        const auto heartbeat = ops::decodeHeartbeat(
            R"({"instance":"i-1","pid":42,"groups":[{"group":"g","state":"running",)"
            R"("partitions":[{"topic":"events.raw","partition":3,"nextOffset":9}]}]})");
        QVERIFY(heartbeat.has_value());
        QCOMPARE(heartbeat->pid, std::int64_t(42));
        QCOMPARE(heartbeat->groups.at(0).partitions.at(0).nextOffset, std::int64_t(9));
        const auto ack = ops::decodeAck(R"({"commandId":"c-1","instance":"i-1","ok":true})");
        QVERIFY(ack.has_value());
        QVERIFY(ack->ok);
    }

    void anyBytesAreSafeForTheControlPlane()
    {
        // Each value either decodes or is an error with a message; none throws.
        const auto refusal = [](const auto &decoded) {
            return decoded ? std::string() : decoded.error().message;
        };
        int refused = 0;
        for (const auto &value : hostileValues(20000)) {
            for (const auto &message :
                 {refusal(ops::decodeCommand(value)), refusal(ops::decodeHeartbeat(value)),
                  refusal(ops::decodeAck(value))}) {
                refused += message.starts_with("not a") ? 1 : 0;
            }
        }
        QVERIFY(refused > 30000);
    }
};

QTEST_GUILESS_MAIN(TestHostileRecords)
#include "tst_hostile_records.moc"
