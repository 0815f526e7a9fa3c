// The collector's body rules without HTTP: RFC 3339 times, UUIDv7 ids, event validation.

#include "collector/event_scan.h"
#include "collector/event_validation.h"
#include "collector/uuid7.h"
#include "common/time_format.h"
#include "support/event_scan_reference.h"

#include <QTest>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

using namespace logdeck;
using namespace logdeck::collector;
using nlohmann::json;

namespace {

constexpr std::int64_t kReceivedAt = test::kReferenceReceivedAt;
using test::batchDifferences;
using test::singleDifferences;

/// formatRfc3339 as it was, with snprintf.
std::string referenceFormat(std::int64_t unixMillis)
{
    const std::chrono::sys_time<std::chrono::milliseconds> time {
        std::chrono::milliseconds(unixMillis)};
    const auto days = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day date {days};
    const std::chrono::hh_mm_ss clock {time - days};
    char text[32];
    std::snprintf(
        text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
        static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
    return text;
}

/// Random JSON-ish text for the differential test: valid most of the time, with the
/// corners that matter (escapes, duplicates, key order, odd numbers, bad UTF-8).
class Generator
{
public:
    explicit Generator(std::uint32_t seed)
        : m_random(seed)
    {
    }

    std::string batch()
    {
        std::string events = "[";
        const int count = pick(6) == 0 ? 0 : 1 + pick(5);
        for (int i = 0; i < count; ++i) {
            events += (i ? "," : "") + space() + event() + space();
        }
        events += "]";
        switch (pick(10)) {
        case 0:
            return space() + events + space();
        case 1:
            return R"({"events":{}})";
        case 2:
            return R"({"events":[]})";
        case 3:
            return R"({"events":)" + events + R"(,"events":)" + value(2) + "}";
        case 4:
            return R"({"x":)" + value(2) + R"(,"events":)" + events + "}";
        case 5:
            return R"({"events":)" + events + R"(,"tenant":"t","a":1})";
        case 6:
            return value(2);
        default:
            return "{" + space() + R"("events")" + space() + ":" + space() + events + space() + "}";
        }
    }

    std::string event()
    {
        static const std::vector<std::string> ids = {R"("e-1")",
                                                     R"("a:b.c_d-E9")",
                                                     R"("")",
                                                     R"("has space")",
                                                     "5",
                                                     "null",
                                                     R"("\u0041bc")",
                                                     R"("é")",
                                                     "\"" + std::string(128, 'x') + "\"",
                                                     "\"" + std::string(129, 'x') + "\""};
        static const std::vector<std::string> campaigns = {
            R"("c-1")",
            R"("")",
            R"("say \"hi\" \\ \/ \b\f\n\r\t \u0001 \u00e9 é")",
            "1",
            R"("\ud83d\ude00")",
            "\"" + std::string(128, 'c') + "\"",
            "\"" + std::string(129, 'c') + "\"",
            R"("\u0000")",
            R"("c\u007f")",
            "\"c\x7f\"",
            "[]"};
        static const std::vector<std::string> types = {
            R"("click")", R"("view.page_1-x")", R"("Click")",
            R"("")",      R"("cl\u0069ck")",    "\"" + std::string(65, 't') + "\"",
            "true"};
        static const std::vector<std::string> times = {R"("2026-11-26T15:04:05Z")",
                                                       R"("2026-11-26T15:04:05.123Z")",
                                                       R"("2026-11-26T16:04:05.5+01:00")",
                                                       R"("yesterday")",
                                                       "1700000000",
                                                       R"("2026-11-26t15:04:05z")",
                                                       R"("2026-11-26T15:04:05\u005a")",
                                                       R"("2024-02-29T23:59:60Z")",
                                                       R"("0000-01-01T00:00:00+00:01")",
                                                       R"("9999-12-31T23:59:59.999-23:59")",
                                                       R"("1969-12-31T23:59:59.999Z")",
                                                       R"("1970-01-01T00:00:00Z")",
                                                       R"("2016-12-31T23:59:60.5Z")"};
        static const std::vector<std::string> others = {
            R"("tenant")", R"("tenantId")", R"("colour")",      R"("zz")",
            R"("Id")",     R"("")",         R"("t\u0065nant")", R"("a\u0000")"};
        std::vector<std::string> members;
        if (pick(5) != 0) {
            members.push_back(R"("id":)" + choose(ids));
        }
        if (pick(12) != 0) {
            members.push_back(R"("campaignId":)" + choose(campaigns));
        }
        if (pick(12) != 0) {
            members.push_back(R"("type":)" + choose(types));
        }
        if (pick(12) != 0) {
            members.push_back(R"("occurredAt":)" + choose(times));
        }
        if (pick(4) != 0) {
            members.push_back(R"("attributes":)" + (pick(8) == 0 ? value(2) : object(3)));
        }
        if (pick(8) == 0) {
            members.push_back(others[pick(others.size())] + ":" + value(1));
        }
        if (pick(8) == 0 && !members.empty()) {
            members.push_back(members[pick(members.size())]); // a duplicate key
        }
        std::shuffle(members.begin(), members.end(), m_random);
        std::string text = "{" + space();
        for (std::size_t i = 0; i < members.size(); ++i) {
            text += (i ? "," : "") + space() + members[i] + space();
        }
        return text + "}";
    }

    std::string value(int depth)
    {
        static const std::vector<std::string> scalars = {"0",
                                                         "-0",
                                                         "-0.0",
                                                         "1.0",
                                                         "1e2",
                                                         "1E+2",
                                                         "1.5e-7",
                                                         "0.1",
                                                         "100",
                                                         "-12",
                                                         "123456789012345678901234567890",
                                                         "-9223372036854775808",
                                                         "-9223372036854775809",
                                                         "18446744073709551615",
                                                         "18446744073709551616",
                                                         "1e-400",
                                                         "4.9e-324",
                                                         "2.2250738585072014e-308",
                                                         "1.7976931348623157e308",
                                                         "true",
                                                         "false",
                                                         "null",
                                                         R"("")",
                                                         R"("a")",
                                                         R"("\u00e9é")",
                                                         R"("\ud83d\ude00😀")",
                                                         R"("\/")",
                                                         "\"a\\\"b\"",
                                                         R"("\\")",
                                                         R"("\b\f\n\r\t")",
                                                         R"("\u0000")",
                                                         R"("\u001F\u007f")",
                                                         R"("\u0041")",
                                                         "\"\x7f\"",
                                                         "\"\xF0\x9F\x98\x80\"",
                                                         R"("logdeck.poison")"};
        static const std::vector<std::string> broken = {R"("\uD834")",
                                                        R"("\uDC00")",
                                                        R"("\uD834\u0041")",
                                                        "\"\xC0\x80\"",
                                                        "\"\xED\xA0\x80\"",
                                                        "\"\xF4\x90\x80\x80\"",
                                                        "\"\xE0\x80\xAF\"",
                                                        "\"\xff\"",
                                                        "\"\x01\"",
                                                        "01",
                                                        "1.",
                                                        ".5",
                                                        "+1",
                                                        "-",
                                                        "tru",
                                                        "nul",
                                                        "1e400",
                                                        "-1e400"};
        if (pick(40) == 0) {
            return broken[pick(broken.size())];
        }
        if (depth <= 0 || pick(3) != 0) {
            return scalars[pick(scalars.size())];
        }
        if (pick(2) == 0) {
            return object(depth);
        }
        std::string text = "[" + space();
        const int count = pick(4);
        for (int i = 0; i < count; ++i) {
            text += (i ? "," : "") + space() + value(depth - 1) + space();
        }
        return text + "]";
    }

    std::string object(int depth)
    {
        static const std::vector<std::string> keys = {R"("a")",
                                                      R"("b")",
                                                      R"("c")",
                                                      R"("logdeck.poison")",
                                                      R"("logdeck\u002epoison")",
                                                      R"("A")",
                                                      R"("é")",
                                                      R"("\u0061")",
                                                      R"("")",
                                                      R"("aa")",
                                                      R"("\u0000")",
                                                      R"("\"")",
                                                      R"("\ud83d\ude00")",
                                                      R"("\u001f")",
                                                      "\"a\x7f\"",
                                                      R"("~")"};
        const int count = pick(5);
        std::vector<std::string> chosen;
        for (int i = 0; i < count; ++i) {
            chosen.push_back(keys[pick(keys.size())]);
        }
        if (pick(2) == 0) {
            std::ranges::sort(chosen); // sorted raw keys: the scanner's fast path, mostly
        }
        std::string text = "{" + space();
        for (int i = 0; i < count; ++i) {
            text += (i ? "," : "") + space() + chosen[static_cast<std::size_t>(i)] + space() + ":"
                + space()
                + (pick(4) == 0
                           && chosen[static_cast<std::size_t>(i)].find("poison")
                               != std::string::npos
                       ? std::string(pick(2) ? "true" : "false")
                       : value(depth - 1));
        }
        return text + "}";
    }

    /// The text with a byte deleted, inserted or replaced now and then.
    std::string mutate(std::string text)
    {
        static const std::string bytes = "{}[],:\"\\ 0-e.tu\x80\xff\x01xE+";
        const int mutations = pick(4) == 0 ? 1 + pick(2) : 0;
        for (int i = 0; i < mutations && !text.empty(); ++i) {
            const std::size_t at = pick(text.size());
            switch (pick(4)) {
            case 0:
                text.erase(at, 1);
                break;
            case 1:
                text.insert(at, 1, bytes[pick(bytes.size())]);
                break;
            case 2:
                text[at] = bytes[pick(bytes.size())];
                break;
            default:
                text.resize(at);
                break;
            }
        }
        return text;
    }

private:
    std::size_t pick(std::size_t n)
    {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(m_random);
    }
    const std::string &choose(const std::vector<std::string> &choices)
    {
        return pick(2) == 0 ? choices.front() : choices[pick(choices.size())];
    }
    std::string space()
    {
        static const std::vector<std::string> spaces = {"", "", "", "", " ", "\n\t ", "\r\n"};
        return spaces[pick(spaces.size())];
    }

    std::mt19937 m_random;
};

} // namespace

class TestEventValidation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesRfc3339_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("millis");
        QTest::newRow("utc") << "1970-01-01T00:00:00Z" << qint64(0);
        QTest::newRow("millis") << "2026-11-26T15:04:05.123Z" << qint64(1795705445123);
        QTest::newRow("micros truncate") << "2026-11-26T15:04:05.123999Z" << qint64(1795705445123);
        QTest::newRow("offset") << "2026-11-26T16:04:05.123+01:00" << qint64(1795705445123);
        QTest::newRow("negative offset")
            << "2026-11-26T10:04:05.123-05:00" << qint64(1795705445123);
        QTest::newRow("lower case") << "2026-11-26t15:04:05.123z" << qint64(1795705445123);
        QTest::newRow("leap day") << "2024-02-29T00:00:00Z" << qint64(1709164800000);
        // A leap second is the last millisecond of its minute, whatever its fraction.
        QTest::newRow("leap second") << "2016-12-31T23:59:60Z" << qint64(1483228799999);
        QTest::newRow("leap second fraction") << "2016-12-31T23:59:60.5Z" << qint64(1483228799999);
        QTest::newRow("leap second offset")
            << "2017-01-01T00:59:60+01:00" << qint64(1483228799999);
    }

    void parsesRfc3339()
    {
        QFETCH(QString, text);
        QFETCH(qint64, millis);
        const auto parsed = parseRfc3339(text.toStdString());
        QVERIFY(parsed.has_value());
        QCOMPARE(*parsed, millis);
    }

    void rejectsBadTimes_data()
    {
        QTest::addColumn<QString>("text");
        for (const char *bad :
             {"", "yesterday", "2026-11-26", "2026-11-26T15:04:05", "2026-13-01T00:00:00Z",
              "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-26T24:00:00Z",
              "2026-11-26T15:04:05.Z", "2026-11-26T15:04:05Zjunk", "2026-11-26T15:04:05+0100"}) {
            QTest::newRow(bad) << QString::fromLatin1(bad);
        }
    }

    void rejectsBadTimes()
    {
        QFETCH(QString, text);
        QVERIFY(!parseRfc3339(text.toStdString()).has_value());
    }

    void formatsRfc3339RoundTrip()
    {
        QCOMPARE(formatRfc3339(1795705445123), std::string("2026-11-26T15:04:05.123Z"));
        QCOMPARE(formatRfc3339(0), std::string("1970-01-01T00:00:00.000Z"));
        const std::int64_t now = nowMillis();
        QCOMPARE(*parseRfc3339(formatRfc3339(now)), now);
    }

    void uuid7IsTimeOrderedAndVersioned()
    {
        const std::string a = makeUuid7(1795705445123);
        const std::string b = makeUuid7(1795705445124);
        QCOMPARE(a.size(), size_t(36));
        QCOMPARE(a[14], '7');
        QVERIFY(std::string("89ab").find(a[19]) != std::string::npos);
        QVERIFY(a < b);
        QVERIFY(a.starts_with("01a21862-9b03-7"));
        QVERIFY(makeUuid7() != makeUuid7());
    }

    void validEventBecomesARecordValue()
    {
        const json event = json::parse(R"({"id":"e-1","campaignId":"c-9","type":"click",
            "occurredAt":"2026-11-26T16:04:05.5+01:00","attributes":{"country":"DE","logdeck.poison":true}})");
        const auto result = validateEvent(event, "acme", 1795705445999);
        QVERIFY(result.has_value());
        QCOMPARE(result->id, std::string("e-1"));
        QVERIFY(result->poison);
        const json value = json::parse(result->value);
        QCOMPARE(value["tenant"].get<std::string>(), std::string("acme"));
        QCOMPARE(value["occurredAt"].get<std::string>(), std::string("2026-11-26T15:04:05.500Z"));
        QCOMPARE(value["receivedAt"].get<std::string>(), std::string("2026-11-26T15:04:05.999Z"));
        QCOMPARE(value["attributes"]["country"].get<std::string>(), std::string("DE"));
    }

    void textIsEscapedInTheRecordValue()
    {
        // The value is written as text: quotes, backslashes and control characters in the
        // client's strings must come back exactly (campaign ids may not have the latter).
        const std::string campaign = "say \"hi\" \\ é";
        const std::string note = "line\nbreak \"q\" tab\there \x01";
        json event = {{"campaignId", campaign},
                      {"type", "click"},
                      {"occurredAt", "2026-11-26T15:04:05Z"},
                      {"attributes", {{"note", note}}}};
        const auto result = validateEvent(event, "acme", 1795705445123);
        QVERIFY(result.has_value());
        const json value = json::parse(result->value, nullptr, false);
        QVERIFY2(!value.is_discarded(), result->value.c_str());
        QCOMPARE(value["campaignId"].get<std::string>(), campaign);
        QCOMPARE(value["attributes"]["note"].get<std::string>(), note);
        QCOMPARE(value["id"].get<std::string>(), result->id);

        event.erase("attributes");
        const auto bare = validateEvent(event, "acme", 1795705445123);
        QVERIFY(bare.has_value());
        QVERIFY(json::parse(bare->value)["attributes"].empty());
    }

    void missingIdGetsAServerId()
    {
        const json event =
            json::parse(R"({"campaignId":"c","type":"view","occurredAt":"2026-11-26T15:04:05Z"})");
        const auto result = validateEvent(event, "acme", 1795705445123);
        QVERIFY(result.has_value());
        QCOMPARE(result->id.size(), size_t(36));
        QCOMPARE(result->id[14], '7');
        QVERIFY(!result->poison);
    }

    void invalidEventsNameTheField_data()
    {
        QTest::addColumn<QString>("body");
        QTest::addColumn<QString>("field");
        const QString ok = QStringLiteral(
            R"("campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z")");
        QTest::newRow("id number") << QString("{\"id\":5," + ok + "}") << "id";
        QTest::newRow("id too long")
            << QString("{\"id\":\"" + QString(129, QLatin1Char('a')) + "\"," + ok + "}") << "id";
        QTest::newRow("empty campaign")
            << R"({"campaignId":"","type":"click","occurredAt":"2026-11-26T15:04:05Z"})"
            << "campaignId";
        QTest::newRow("type upper case")
            << R"({"campaignId":"c","type":"Click","occurredAt":"2026-11-26T15:04:05Z"})"
            << "type";
        QTest::newRow("occurredAt number")
            << R"({"campaignId":"c","type":"click","occurredAt":1700000000})"
            << "occurredAt";
        QTest::newRow("tenantId") << QString("{\"tenantId\":\"x\"," + ok + "}") << "tenantId";
        QTest::newRow("too many attributes") << [&] {
            QString attrs;
            for (int i = 0; i < 65; ++i) {
                attrs +=
                    QStringLiteral("%1\"k%2\":1").arg(i ? QStringLiteral(",") : QString()).arg(i);
            }
            return QString("{" + ok + ",\"attributes\":{" + attrs + "}}");
        }() << "attributes";
    }

    void invalidEventsNameTheField()
    {
        QFETCH(QString, body);
        QFETCH(QString, field);
        const auto result = validateEvent(json::parse(body.toStdString()), "acme", 0);
        QVERIFY(!result.has_value());
        QCOMPARE(result.error().status, 422);
        QCOMPARE(QString::fromStdString(result.error().field), field);
        QVERIFY(!result.error().error.empty());
    }

    void formatMatchesTheSnprintfFormat()
    {
        for (const std::int64_t ms :
             {std::int64_t(0), std::int64_t(1), std::int64_t(999), std::int64_t(86399999),
              std::int64_t(86400000), std::int64_t(951782400000), std::int64_t(1709164800000),
              std::int64_t(1795705445123), std::int64_t(253402300799999),
              std::int64_t(253402300800000), std::int64_t(-1), std::int64_t(-62167219200000),
              std::int64_t(-62167219200001)}) {
            QCOMPARE(formatRfc3339(ms), referenceFormat(ms));
        }
        std::mt19937_64 random(7);
        for (int i = 0; i < 200000; ++i) {
            const auto ms = static_cast<std::int64_t>(random() % 253402300800000ULL);
            QCOMPARE(formatRfc3339(ms), referenceFormat(ms));
        }
    }

    /// The scanner against parseBody + validateEvent, case by case.
    void scannerAgreesWithTheDom_data()
    {
        QTest::addColumn<QByteArray>("body");
        const std::string ok =
            R"("campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z")";
        const auto row = [](const char *name, const std::string &body) {
            QTest::newRow(name) << QByteArray::fromStdString(body);
        };
        row("plain", "{" + ok + "}");
        row("client id", R"({"id":"e-1",)" + ok + "}");
        row("bench event",
            R"({"campaignId":"c-1","type":"click","occurredAt":"2026-11-26T15:04:05Z","attributes":{"page":"/pricing","ref":"newsletter"}})");
        row("whitespace and BOM",
            "\xEF\xBB\xBF \n{ \"id\" : \"x\" ,\t" + ok
                + " ,\r\n \"attributes\" : { \"b\" : [ 1 , 2 ] , \"c\" : { } } } \n");
        row("half a BOM", "\xEF\xBB{" + ok + "}");
        row("escaped keys",
            R"({"\u0069d":"x","c\u0061mpaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("escaped values",
            "{\"id\":\"\\u0041\\u003a\",\"campaignId\":\"\\\"\\\\\\/"
            "\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\\u00e9\\ud83d\\ude00\",\"type\":\"cl\\u0069ck\","
            "\"occurredAt\":\"2026-11-26T15:04:05\\u005A\"}");
        row("raw UTF-8",
            R"({"campaignId":"é😀","type":"click","occurredAt":"2026-11-26T15:04:05Z","attributes":{"é":"😀","\u00e8":"x"}})");
        row("attribute escapes",
            "{" + ok
                + ",\"attributes\":{\"a\":\"\\u0041\\/"
                  "\\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\\u007f\",\"b\":\"\\ud834\\udd1e\"}}");
        row("nested attributes",
            "{" + ok
                + R"(,"attributes":{"a":{"x":[1,{"y":null,"z":[true,false]}],"y":{}},"b":[],"c":[[[]]]}})");
        row("unsorted attributes", "{" + ok + R"(,"attributes":{"b":1,"a":2}})");
        row("attribute key escaped control", "{" + ok + R"(,"attributes":{"a":1,"b\u0000":2}})");
        row("attribute key escaped DEL", "{" + ok + R"(,"attributes":{"\u007f":1}})");
        row("attribute key raw DEL", "{" + ok + ",\"attributes\":{\"a\x7f\":1}}");
        row("attribute key tab, unsorted", "{" + ok + R"(,"attributes":{"b":1,"a\t":2}})");
        row("attribute key control, duplicate",
            "{" + ok + R"(,"attributes":{"\u0001":1,"\u0001":2}})");
        row("nested attribute key control is allowed",
            "{" + ok + R"(,"attributes":{"a":{"\u0001":1}}})");
        row("attribute value control is allowed", "{" + ok + R"(,"attributes":{"a":"\u0001"}})");
        row("attribute key control and too deep",
            "{" + ok + R"(,"attributes":{"\u0001":)" + std::string(40, '[') + std::string(40, ']')
                + "}}");
        row("attribute key control and too many keys", [&] {
            std::string attrs = R"("\u0001":1)";
            for (int i = 0; i < 64; ++i) {
                attrs += ",\"k" + std::to_string(100 + i) + "\":1";
            }
            return "{" + ok + ",\"attributes\":{" + attrs + "}}";
        }());
        row("unsorted nested", "{" + ok + R"(,"attributes":{"a":{"z":1,"y":2}}})");
        row("duplicate attribute", "{" + ok + R"(,"attributes":{"a":1,"a":2}})");
        row("escaped duplicate", "{" + ok + R"(,"attributes":{"a":1,"\u0061":2}})");
        row("poison", "{" + ok + R"(,"attributes":{"logdeck.poison":true}})");
        row("poison false", "{" + ok + R"(,"attributes":{"logdeck.poison":false}})");
        row("poison string", "{" + ok + R"(,"attributes":{"logdeck.poison":"true"}})");
        row("poison escaped", "{" + ok + R"(,"attributes":{"logdeck\u002epoison":true}})");
        row("poison nested", "{" + ok + R"(,"attributes":{"x":{"logdeck.poison":true}}})");
        row("poison duplicate",
            "{" + ok + R"(,"attributes":{"logdeck.poison":true,"logdeck.poison":false}})");
        row("poison duplicate 2",
            "{" + ok + R"(,"attributes":{"logdeck.poison":false,"logdeck.poison":true}})");
        row("numbers",
            "{" + ok
                + R"(,"attributes":{"a":0,"b":-0,"c":-0.0,"d":1.0,"e":1e2,"f":1E+2,"g":1.5e-7,"h":123456789012345678901234567890,"i":-9223372036854775808,"j":-9223372036854775809,"k":18446744073709551615,"l":18446744073709551616,"m":1e-400,"n":4.9e-324,"o":0.1,"p":1.7976931348623157e308,"q":-12,"r":100.000,"s":5e-1}})");
        row("number overflow", "{" + ok + R"(,"attributes":{"a":1e400}})");
        row("negative overflow", "{" + ok + R"(,"x":-1e400})");
        row("huge integer", "{" + ok + R"(,"attributes":{"a":)" + std::string(400, '9') + "}}");
        row("leading zero", "{" + ok + R"(,"attributes":{"a":01}})");
        row("bare dot", "{" + ok + R"(,"attributes":{"a":1.}})");
        row("plus", "{" + ok + R"(,"attributes":{"a":+1}})");
        row("64 attributes", [&] {
            std::string attrs;
            for (int i = 0; i < 64; ++i) {
                attrs += (i ? "," : "") + ("\"k" + std::to_string(100 + i) + "\":1");
            }
            return "{" + ok + ",\"attributes\":{" + attrs + "}}";
        }());
        row("65 attributes", [&] {
            std::string attrs;
            for (int i = 0; i < 65; ++i) {
                attrs += (i ? "," : "") + ("\"k" + std::to_string(100 + i) + "\":1");
            }
            return "{" + ok + ",\"attributes\":{" + attrs + "}}";
        }());
        row("65 keys, 64 distinct", [&] {
            std::string attrs;
            for (int i = 0; i < 64; ++i) {
                attrs += (i ? "," : "") + ("\"k" + std::to_string(100 + i) + "\":1");
            }
            return "{" + ok + ",\"attributes\":{" + attrs + ",\"k100\":2}}";
        }());
        row("attributes null", "{" + ok + R"(,"attributes":null})");
        row("attributes array", "{" + ok + R"(,"attributes":[1]})");
        row("attributes twice", "{" + ok + R"(,"attributes":{"a":1},"attributes":{"b":2}})");
        row("attributes then not", "{" + ok + R"(,"attributes":{"a":1},"attributes":"x"})");
        row("id twice", R"({"id":5,"id":"ok",)" + ok + "}");
        row("id twice bad last", R"({"id":"ok","id":5,)" + ok + "}");
        row("unknown keys sorted", "{" + ok + R"(,"zeta":1,"alpha":2,"tenant":"x"})");
        row("tenant first", "{" + ok + R"(,"zeta":1,"tenant":"x"})");
        row("tenantId", "{" + ok + R"(,"tenantId":"x"})");
        row("escaped tenant", "{" + ok + R"(,"t\u0065nant":"x"})");
        row("empty key", "{" + ok + R"(,"":1})");
        row("key with NUL", "{" + ok + R"(,"id\u0000":1})");
        row("unknown key with quote", "{" + ok + ",\"a\\\"b\\n\":1}");
        row("unknown before missing field", R"({"x":1})");
        row("missing campaign", R"({"type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("missing all", "{}");
        row("campaign 128",
            R"({"campaignId":")" + std::string(128, 'c')
                + R"(","type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("campaign 129",
            R"({"campaignId":")" + std::string(129, 'c')
                + R"(","type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("campaign escaped 128",
            R"({"campaignId":")" + std::string(127, 'c')
                + R"(\n","type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row(
            "campaign multibyte", R"({"campaignId":")" + [] {
                std::string s;
                for (int i = 0; i < 65; ++i)
                    s += "é";
                return s;
            }() + R"(","type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("campaign escaped control",
            R"({"campaignId":"c\u0001","type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("campaign escaped DEL",
            R"({"campaignId":"c\u007f","type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("campaign raw DEL",
            "{\"campaignId\":\"c\x7f\",\"type\":\"click\",\"occurredAt\":\"2026-11-26T15:04:05Z\"}");
        row("campaign escaped newline, type bad",
            R"({"campaignId":"\n","type":"Click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("campaign U+0080 is no control character",
            R"({"campaignId":"c\u0080","type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("campaign number",
            R"({"campaignId":7,"type":"click","occurredAt":"2026-11-26T15:04:05Z"})");
        row("type escaped upper",
            R"({"campaignId":"c","type":"\u0043lick","occurredAt":"2026-11-26T15:04:05Z"})");
        row("type 64",
            R"({"campaignId":"c","type":")" + std::string(64, 't')
                + R"(","occurredAt":"2026-11-26T15:04:05Z"})");
        row("type 65",
            R"({"campaignId":"c","type":")" + std::string(65, 't')
                + R"(","occurredAt":"2026-11-26T15:04:05Z"})");
        row("id 128", "{\"id\":\"" + std::string(128, 'i') + "\"," + ok + "}");
        row("id 129", "{\"id\":\"" + std::string(129, 'i') + "\"," + ok + "}");
        row("id non-ASCII", R"({"id":"é",)" + ok + "}");
        row("id empty", R"({"id":"",)" + ok + "}");
        row("id null", R"({"id":null,)" + ok + "}");
        row("occurredAt offset",
            R"({"campaignId":"c","type":"click","occurredAt":"2026-11-26T16:04:05.5+01:00"})");
        row("occurredAt leap second",
            R"({"campaignId":"c","type":"click","occurredAt":"2024-02-29T23:59:60Z"})");
        row("occurredAt year 0",
            R"({"campaignId":"c","type":"click","occurredAt":"0000-01-01T00:00:00+00:01"})");
        row("occurredAt year 10000",
            R"({"campaignId":"c","type":"click","occurredAt":"9999-12-31T23:59:59.999-23:59"})");
        row("occurredAt before 1970",
            R"({"campaignId":"c","type":"click","occurredAt":"1969-12-31T23:59:59.999Z"})");
        row("occurredAt 1970",
            R"({"campaignId":"c","type":"click","occurredAt":"1970-01-01T00:00:00Z"})");
        row("occurredAt year 0000",
            R"({"campaignId":"c","type":"click","occurredAt":"0000-01-01T00:00:00Z"})");
        row("occurredAt last instant",
            R"({"campaignId":"c","type":"click","occurredAt":"9999-12-31T23:59:59.999Z"})");
        row("occurredAt leap second fraction",
            R"({"campaignId":"c","type":"click","occurredAt":"2016-12-31T23:59:60.5Z"})");
        row("occurredAt out of range, attributes bad",
            R"({"campaignId":"c","type":"click","occurredAt":"1969-01-01T00:00:00Z","attributes":1})");
        row("occurredAt bad", R"({"campaignId":"c","type":"click","occurredAt":"yesterday"})");
        row("occurredAt number", R"({"campaignId":"c","type":"click","occurredAt":1700000000})");
        row("not an object", "[1]");
        row("a string", R"("x")");
        row("empty body", "");
        row("only spaces", "  ");
        row("trailing garbage", "{" + ok + "} x");
        row("two objects", "{" + ok + "}{}");
        row("trailing comma", "{" + ok + ",}");
        row("comment", "{" + ok + "/**/}");
        row("single quotes", "{'campaignId':'c'}");
        row("lone high surrogate", "{" + ok + R"(,"attributes":{"a":"\ud834"}})");
        row("lone low surrogate", "{" + ok + R"(,"attributes":{"a":"\udc00"}})");
        row("surrogate then other", "{" + ok + R"(,"attributes":{"a":"\ud834\u0041"}})");
        row("bad escape", "{" + ok + R"(,"attributes":{"a":"\x"}})");
        row("short unicode escape", "{" + ok + R"(,"attributes":{"a":"\u12"}})");
        row("raw control character", "{" + ok + ",\"attributes\":{\"a\":\"\x01\"}}");
        row("raw tab", "{" + ok + ",\"attributes\":{\"a\":\"\t\"}}");
        row("overlong UTF-8", "{" + ok + ",\"attributes\":{\"a\":\"\xC0\x80\"}}");
        row("UTF-8 surrogate", "{" + ok + ",\"attributes\":{\"a\":\"\xED\xA0\x80\"}}");
        row("UTF-8 past U+10FFFF", "{" + ok + ",\"attributes\":{\"a\":\"\xF4\x90\x80\x80\"}}");
        row("truncated UTF-8", "{" + ok + ",\"attributes\":{\"a\":\"\xE2\x82\"}}");
        row("stray continuation byte", "{" + ok + ",\"attributes\":{\"a\":\"\x80\"}}");
        row("invalid UTF-8 in unknown key", "{" + ok + ",\"\xff\":1}");
        row("NUL byte",
            std::string("{") + ok + ",\"attributes\":{\"a\":" + std::string(1, '\0') + "}}");
        row("deep attributes",
            "{" + ok + R"(,"attributes":{"a":)" + std::string(5000, '[') + std::string(5000, ']')
                + "}}");
        row("deep unsorted attributes",
            "{" + ok + R"(,"attributes":{"b":1,"a":)" + std::string(3000, '[')
                + std::string(3000, ']') + "}}");
        row("deep unknown field",
            "{" + ok + R"(,"x":)" + std::string(20000, '[') + std::string(20000, ']') + "}");
        row("unclosed deep", "{" + ok + R"(,"attributes":{"a":)" + std::string(5000, '[') + "}}");
        // nlohmann's lexer stops at a NUL byte: the reference must not take what follows.
        row("a NUL byte after the event", "{" + ok + "}" + std::string(1, '\0') + "junk");
        row("a NUL byte after a string", R"(",")" + std::string(1, '\0') + "{");
        // kMaxAttributeDepth: the attributes object is level 1.
        row("attributes 32 levels deep",
            "{" + ok + R"(,"attributes":{"a":)" + std::string(31, '[') + std::string(31, ']')
                + "}}");
        row("attributes 33 levels deep",
            "{" + ok + R"(,"attributes":{"a":)" + std::string(32, '[') + std::string(32, ']')
                + "}}");
        row("attributes 33 levels deep, empty innermost object",
            "{" + ok + R"(,"attributes":{"a":)" + std::string(31, '[') + "{}"
                + std::string(31, ']') + "}}");
        row("unsorted attributes 33 levels deep",
            "{" + ok + R"(,"attributes":{"b":1,"a":)" + std::string(32, '[')
                + std::string(32, ']') + "}}");
        row("deep attributes and too many keys", [&] {
            std::string keys;
            for (int i = 0; i < 70; ++i) {
                keys += "\"k" + std::to_string(100 + i) + "\":1,";
            }
            return "{" + ok + R"(,"attributes":{)" + keys + R"("z":)" + std::string(40, '[')
                + std::string(40, ']') + "}}";
        }());
    }

    void scannerAgreesWithTheDom()
    {
        QFETCH(QByteArray, body);
        const std::string text = body.toStdString();
        const std::string single = singleDifferences(text);
        QVERIFY2(single.empty(), single.c_str());
        // The same event in a batch, alone and between two good ones.
        const std::string alone = batchDifferences(R"({"events":[)" + text + "]}");
        QVERIFY2(alone.empty(), alone.c_str());
        const std::string good =
            R"({"id":"g","campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z"})";
        const std::string among = batchDifferences("[" + good + "," + text + "," + good + "]");
        QVERIFY2(among.empty(), among.c_str());
    }

    /// Rules both implementations follow (the rows above show that they agree).
    void eventsAreRefusedByName_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("error");
        const std::string ok =
            R"("campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z")";
        const auto row = [](const char *name, const std::string &body, const char *field,
                            std::string_view error) {
            QTest::newRow(name) << QByteArray::fromStdString(body) << QString(field)
                                << QString::fromUtf8(error.data(), qsizetype(error.size()));
        };
        row("campaignId with a control character",
            R"({"campaignId":"a\u001fb","type":"click","occurredAt":"2026-11-26T15:04:05Z"})",
            "campaignId", kCampaignIdControl);
        row("campaignId with DEL",
            "{\"campaignId\":\"a\x7f\",\"type\":\"click\",\"occurredAt\":\"2026-11-26T15:04:05Z\"}",
            "campaignId", kCampaignIdControl);
        row("attribute key with a control character",
            "{" + ok + R"(,"attributes":{"a":1,"line\nbreak":2}})", "attributes",
            kAttributeKeyControl);
        row("unsorted attribute key with DEL", "{" + ok + ",\"attributes\":{\"z\":1,\"\x7f\":2}}",
            "attributes", kAttributeKeyControl);
        row("occurredAt before 1970",
            R"({"campaignId":"c","type":"click","occurredAt":"1969-12-31T23:59:59.999Z"})",
            "occurredAt", kOccurredAtOutOfRange);
        row("occurredAt year 0000",
            R"({"campaignId":"c","type":"click","occurredAt":"0000-01-01T00:00:00Z"})",
            "occurredAt", kOccurredAtOutOfRange);
        row("occurredAt in year 10000 once in UTC",
            R"({"campaignId":"c","type":"click","occurredAt":"9999-12-31T23:59:59.999-00:01"})",
            "occurredAt", kOccurredAtOutOfRange);
    }

    void eventsAreRefusedByName()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, field);
        QFETCH(QString, error);
        const auto single = scanEvent(body.toStdString(), "acme", kReceivedAt);
        QVERIFY(!single.has_value());
        QCOMPARE(single.error().status, 422);
        QCOMPARE(QString::fromStdString(single.error().field), field);
        QCOMPARE(QString::fromStdString(single.error().error), error);
        const auto batch = scanBatch("[" + body.toStdString() + "]", "acme", kReceivedAt, 10);
        QVERIFY(batch.has_value());
        QCOMPARE(batch->size(), size_t(1));
        QVERIFY(!batch->front().has_value());
        QCOMPARE(QString::fromStdString(batch->front().error().field), field);
    }

    void occurredAtRangeMessageSaysTheRange()
    {
        QVERIFY(kOccurredAtOutOfRange.find("1970-01-01T00:00:00Z") != std::string_view::npos);
        QCOMPARE(parseRfc3339("9999-12-31T23:59:59.999Z"), std::optional(kLatestOccurredAtMs));
        QCOMPARE(parseRfc3339("1970-01-01T00:00:00Z"), std::optional(kEarliestOccurredAtMs));
    }

    void leapSecondIsTheLastMillisecondOfItsMinute()
    {
        const auto result = scanEvent(
            R"({"campaignId":"c","type":"click","occurredAt":"2016-12-31T23:59:60Z"})", "acme",
            kReceivedAt);
        QVERIFY(result.has_value());
        QVERIFY2(result->value.find(R"("occurredAt":"2016-12-31T23:59:59.999Z")")
                     != std::string::npos,
                 result->value.c_str());
    }

    void batchEnvelopeKeysAreCheckedLikeAnEventsKeys()
    {
        const std::string event =
            R"({"campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z"})";
        const auto refused = scanBatch(R"({"events":[)" + event + R"(],"x":1})", "acme",
                                       kReceivedAt, 10);
        QVERIFY(!refused.has_value());
        QCOMPARE(refused.error().status, 422);
        QCOMPARE(refused.error().field, std::string("x"));
        QCOMPARE(refused.error().error, std::string("unknown field 'x'"));
        const auto tenant = scanBatch(R"({"tenant":"t","events":[)" + event + "]}", "acme",
                                      kReceivedAt, 10);
        QVERIFY(!tenant.has_value());
        QCOMPARE(tenant.error().field, std::string("tenant"));
        QVERIFY(scanBatch("[" + event + "]", "acme", kReceivedAt, 10).has_value());
        QVERIFY(scanBatch(R"({"events":[)" + event + "]}", "acme", kReceivedAt, 10).has_value());
    }

    void batchBodiesAgreeWithTheDom_data()
    {
        QTest::addColumn<QByteArray>("body");
        const std::string event =
            R"({"campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z"})";
        const auto row = [](const char *name, const std::string &body) {
            QTest::newRow(name) << QByteArray::fromStdString(body);
        };
        row("events", R"({"events":[)" + event + "," + event + "]}");
        row("bare array", "[" + event + "]");
        row("other keys", R"({"a":1,"events":[)" + event + R"(],"z":{"events":1}})");
        row("unknown key after the events", R"({"events":[)" + event + R"(],"x":1})");
        row("unknown keys, smallest named", R"({"z":1,"events":[)" + event + R"(],"b":2,"c":3})");
        row("tenant in the envelope", R"({"events":[)" + event + R"(],"tenant":"t"})");
        row("escaped unknown key", R"({"events":[)" + event + R"(],"\u0078":1})");
        row("unknown key and events not a list", R"({"events":1,"x":1})");
        row("unknown key and no events", R"({"x":[]})");
        row("unknown key and empty events", R"({"events":[],"x":1})");
        row("unknown key and malformed", R"({"events":[)" + event + R"(],"x":})");
        row("escaped events key", R"({"\u0065vents":[)" + event + "]}");
        row("events twice",
            R"({"events":[)" + event + R"(],"events":[)" + event + "," + event + "]}");
        row("events then not a list", R"({"events":[)" + event + R"(],"events":{}})");
        row("not a list then events", R"({"events":1,"events":[)" + event + "]}");
        row("no events", R"({"a":[]})");
        row("empty object", "{}");
        row("events not a list", R"({"events":{}})");
        row("events null", R"({"events":null})");
        row("empty events", R"({"events":[]})");
        row("empty array", "[]");
        row("a number", "1");
        row("nested array", "[[" + event + "]]");
        row("events not objects", R"({"events":[1,"x",null,[],{}]})");
        row("malformed after the events", R"({"events":[)" + event + "],}");
        row("malformed event", R"({"events":[)" + event + ",{]}");
        row(
            "1000 events", R"({"events":[)" + [&] {
                std::string s;
                for (int i = 0; i < 1000; ++i)
                    s += (i ? "," : "") + event;
                return s;
            }() + "]}");
        row(
            "1001 events", R"({"events":[)" + [&] {
                std::string s;
                for (int i = 0; i < 1001; ++i)
                    s += (i ? "," : "") + event;
                return s;
            }() + "]}");
        row(
            "1001 empty objects", R"({"events":[)" + [&] {
                std::string s;
                for (int i = 0; i < 1001; ++i)
                    s += (i ? ",{}" : "{}");
                return s;
            }() + "]}");
        row(
            "1001 then malformed", R"({"events":[)" + [&] {
                std::string s;
                for (int i = 0; i < 1001; ++i)
                    s += (i ? ",{}" : "{}");
                return s;
            }() + ",{]}");
    }

    void batchBodiesAgreeWithTheDom()
    {
        QFETCH(QByteArray, body);
        const std::string d = batchDifferences(body.toStdString());
        QVERIFY2(d.empty(), d.c_str());
    }

    /// Random and randomly broken bodies: the scanner and the DOM agree on every one.
    void scannerAgreesWithTheDomOnRandomBodies()
    {
        Generator generator(20261127);
        int accepted = 0;
        int notJson = 0;
        for (int i = 0; i < 30000; ++i) {
            const std::string single = generator.mutate(generator.event());
            const std::string d = singleDifferences(single);
            QVERIFY2(d.empty(), (d + "\nbody: " + single).c_str());
            const auto result = scanEvent(single, "acme", kReceivedAt);
            accepted += result.has_value() ? 1 : 0;
            notJson += !result && result.error().status == 400 ? 1 : 0;
            const std::string batch = generator.mutate(generator.batch());
            const std::string b = batchDifferences(batch, 4);
            QVERIFY2(b.empty(), (b + "\nbody: " + batch).c_str());
        }
        qInfo("random events: %d accepted, %d not JSON of 30000", accepted, notJson);
        QVERIFY(accepted > 2500);
        QVERIFY(notJson > 1000);
    }

    void veryDeepAttributesAreRefusedWithoutExhaustingTheStack()
    {
        // 400,000 levels fit in a 1 MiB body: refused by name, with sorted keys (the
        // one-pass rewrite) and unsorted ones (which once went through the DOM's recursive
        // dump() and overflowed the request thread's stack).
        const std::string deep = std::string(400000, '[') + std::string(400000, ']');
        const std::string head =
            R"({"campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z","attributes":)";
        for (const std::string &attributes : {R"({"a":)" + deep + "}", R"({"b":1,"a":)" + deep + "}"}) {
            const auto result = scanEvent(head + attributes + "}", "acme", kReceivedAt);
            QVERIFY(!result.has_value());
            QCOMPARE(result.error().status, 422);
            QCOMPARE(result.error().field, std::string("attributes"));
            QCOMPARE(result.error().error, std::string(kAttributesTooDeep));
        }
        const std::string body = head + R"({"a":)" + deep + "}}";
        const auto unclosed = scanEvent(body.substr(0, body.size() - 3), "acme", kReceivedAt);
        QVERIFY(!unclosed.has_value());
        QCOMPARE(unclosed.error().status, 400);
    }

    void batchAnswerIsWhatDumpWrote()
    {
        BatchAnswer answer(3);
        answer.accepted("e-1");
        answer.refused({422, "unknown field 'a\"b'", "a\"b"});
        answer.accepted("e-3");
        const std::string all = BatchAnswer(answer).finish({1, 1, 1});
        json expected = {
            {"results",
             {{{"index", 0}, {"id", "e-1"}, {"status", 202}},
              {{"index", 1}, {"status", 422}, {"error", "unknown field 'a\"b'"}, {"field", "a\"b"}},
              {{"index", 2}, {"id", "e-3"}, {"status", 202}}}}};
        QCOMPARE(all, expected.dump());
        const std::string failed = answer.finish({0, 1, 0});
        for (const int i : {0, 2}) {
            expected["results"][i]["status"] = 503;
            expected["results"][i]["error"] = "the event could not be stored; retry later";
        }
        QCOMPARE(failed, expected.dump());
    }

    void jsonStringsAreEscapedAsDumpDoes()
    {
        std::string text;
        for (int c = 0; c < 0x80; ++c) {
            text += static_cast<char>(c);
        }
        text += "é😀\x7f";
        std::string out;
        appendJsonString(out, text);
        QCOMPARE(out, json(text).dump());
    }

    void malformedBodyIs400()
    {
        const auto parsed = parseBody("{\"a\":");
        QVERIFY(!parsed.has_value());
        QCOMPARE(parsed.error().status, 400);
        QCOMPARE(json::parse(errorBody(parsed.error()))["field"].get<std::string>(), std::string());
    }
};

QTEST_GUILESS_MAIN(TestEventValidation)
#include "tst_event_validation.moc"
