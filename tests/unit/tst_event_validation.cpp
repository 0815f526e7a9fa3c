// The collector's body rules without HTTP: RFC 3339 times, UUIDv7 ids, event validation.

#include "collector/event_validation.h"
#include "collector/uuid7.h"
#include "common/time_format.h"

#include <QTest>
#include <nlohmann/json.hpp>

using namespace logdeck;
using namespace logdeck::collector;
using nlohmann::json;

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
        // client's strings must come back exactly.
        const std::string campaign = "say \"hi\" \\ tab\there \x01 é";
        json event = {{"campaignId", campaign},
                      {"type", "click"},
                      {"occurredAt", "2026-11-26T15:04:05Z"},
                      {"attributes", {{"note", "line\nbreak \"q\""}}}};
        const auto result = validateEvent(event, "acme", 1795705445123);
        QVERIFY(result.has_value());
        const json value = json::parse(result->value, nullptr, false);
        QVERIFY2(!value.is_discarded(), result->value.c_str());
        QCOMPARE(value["campaignId"].get<std::string>(), campaign);
        QCOMPARE(value["attributes"]["note"].get<std::string>(), std::string("line\nbreak \"q\""));
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
