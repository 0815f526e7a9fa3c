// The rules of DLQ selection and redrive that need no broker: filters, ids and times, the
// headers a redriven record carries, the token bucket's bound, and the task store's states,
// leases and ledger.

#include "common/time_format.h"
#include "kafka/record_headers.h"
#include "ops/dead_letters.h"
#include "ops/redrive.h"
#include "ops/redrive_runner.h"
#include "store/database.h"
#include "store/redrive_store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace logdeck;
using namespace std::chrono_literals;
namespace h = kafka::headers;

namespace {

ops::DeadLetter letter()
{
    ops::DeadLetter d;
    d.topic = "events.dlq";
    d.partition = 2;
    d.offset = 77;
    d.timestampMs = 1'000'000;
    d.eventId = "e-1";
    d.tenant = "acme";
    d.group = "analytics";
    d.errorClass = "dev.logdeck.PoisonEvent";
    d.errorMessage = "The event carries the Poison marker";
    d.originalTopic = "events.raw";
    d.value = R"({"id":"e-1","type":"click"})";
    return d;
}

} // namespace

class TestRedriveRules : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void filterMatchesEachCriterion_data()
    {
        QTest::addColumn<int>("criterion");
        QTest::addColumn<QString>("value");
        QTest::addColumn<bool>("matches");
        // 0 group, 1 tenant, 2 error class, 3 original topic, 4 text
        QTest::newRow("group") << 0 << "analytics" << true;
        QTest::newRow("other group") << 0 << "persister" << false;
        QTest::newRow("tenant") << 1 << "acme" << true;
        QTest::newRow("other tenant") << 1 << "globex" << false;
        QTest::newRow("qualified class") << 2 << "dev.logdeck.PoisonEvent" << true;
        QTest::newRow("class's last part") << 2 << "PoisonEvent" << true;
        QTest::newRow("part of a name") << 2 << "Event" << false;
        QTest::newRow("original topic") << 3 << "events.raw" << true;
        QTest::newRow("other original") << 3 << "orders" << false;
        QTest::newRow("message, any case") << 4 << "poison MARKER" << true;
        QTest::newRow("value") << 4 << "\"click\"" << true;
        QTest::newRow("no text") << 4 << "timeout" << false;
    }

    void filterMatchesEachCriterion()
    {
        QFETCH(int, criterion);
        QFETCH(QString, value);
        QFETCH(bool, matches);
        ops::DeadLetterFilter filter;
        std::string *fields[] = {&filter.group, &filter.tenant, &filter.errorClass,
                                 &filter.originalTopic, &filter.text};
        *fields[criterion] = value.toStdString();
        QVERIFY(!filter.selectsEverything());
        QCOMPARE(filter.matches(letter()), matches);
    }

    void timeWindowIsSinceInclusiveUntilExclusive()
    {
        ops::DeadLetterFilter filter;
        filter.sinceMs = 1'000'000;
        QVERIFY(filter.matches(letter()));
        filter.sinceMs = 1'000'001;
        QVERIFY(!filter.matches(letter()));
        filter.sinceMs.reset();
        filter.untilMs = 1'000'000;
        QVERIFY(!filter.matches(letter()));
        filter.untilMs = 1'000'001;
        QVERIFY(filter.matches(letter()));
    }

    void timePointsAreRfc3339OrDurationsAgo()
    {
        const std::int64_t now = 1'795'705'445'000;
        QCOMPARE(parseTimePoint("15m", now), std::optional(now - 15 * 60'000));
        QCOMPARE(parseTimePoint("2h", now), std::optional(now - 2 * 3'600'000));
        QCOMPARE(parseTimePoint("1d", now), std::optional(now - 86'400'000));
        QCOMPARE(parseTimePoint("30s", now), std::optional(now - 30'000));
        QCOMPARE(parseTimePoint("2026-11-26T15:04:05Z", now), parseRfc3339("2026-11-26T15:04:05Z"));
        for (const char *bad : {"", "m", "1h2", "-5m", "5", "5y", "yesterday"}) {
            QVERIFY2(!parseTimePoint(bad, now), bad);
        }
    }

    void idsAreCoordinatesOrEventIds()
    {
        const auto plain = ops::parseCoordinates("events.dlq:2:77");
        QVERIFY(plain.has_value());
        QCOMPARE(plain->topic, std::string("events.dlq"));
        QCOMPARE(plain->partition, 2);
        QCOMPARE(plain->offset, std::int64_t(77));
        QCOMPARE(ops::parseCoordinates("ns:topic:0:5")->topic, std::string("ns:topic"));
        for (const char *eventId :
             {"e-1", "0193a4b2-7c1d-7e00-8000-000000000001", "t:-1:3", ":1:2", "t:1:x"}) {
            QVERIFY2(!ops::parseCoordinates(eventId), eventId);
        }
        const std::vector<ops::DeadLetter> letters = {letter()};
        QCOMPARE(ops::findDeadLetters(letters, "events.dlq:2:77").size(), std::size_t(1));
        QCOMPARE(ops::findDeadLetters(letters, "e-1").size(), std::size_t(1));
        QCOMPARE(ops::findDeadLetters(letters, "events.dlq:2:78").size(), std::size_t(0));
    }

    void redrivenHeadersDropTheFailureAndSayWhoRedrove()
    {
        ops::DeadLetter d = letter();
        d.headers = {{h::kEventId, "e-1"},
                     {h::kTenantId, "acme"},
                     {h::kContentType, "application/json"},
                     {h::kReceivedAt, "2026-11-26T15:04:05Z"},
                     {h::kOriginalTopic, "events.raw"},
                     {h::kOriginalOffset, "4"},
                     {h::kFailingGroup, "analytics"},
                     {h::kErrorClass, "PoisonEvent"},
                     {h::kErrorMessage, "poisoned"},
                     {h::kAttempts, "5"},
                     {h::kAttempt, "5"},
                     {h::kDueAt, "x"},
                     {h::kDueAtMs, "1"},
                     {h::kDeadLetteredAt, "x"},
                     {h::kRedriveCount, "1"},
                     {h::kSpringExceptionClass, "dev.logdeck.PoisonEvent"},
                     {h::kSpringOriginalTopic, "events.raw"},
                     {"__connect.errors.topic", "t"}};
        const auto out = ops::redriveHeaders(d, 2, "ops@host", 1'795'705'445'000, "rd-1");
        const std::vector<std::string> kept = {h::kEventId,       h::kTenantId,
                                               h::kContentType,   h::kReceivedAt,
                                               h::kOriginalTopic, h::kOriginalOffset};
        for (const auto &name : kept) {
            QVERIFY2(!kafka::headerValue(out, name).empty(), name.c_str());
        }
        for (const auto &header : out) {
            const bool stale = header.name.starts_with("error-") || header.name == h::kAttempts
                || header.name == h::kAttempt || header.name.starts_with("due-at")
                || header.name == h::kFailingGroup || header.name == h::kDeadLetteredAt
                || header.name.starts_with("kafka_dlt-") || header.name.starts_with("__connect.");
            QVERIFY2(!stale, header.name.c_str());
        }
        QCOMPARE(std::ranges::count(out, std::string(h::kRedriveCount), &kafka::Header::name), 1);
        QCOMPARE(kafka::headerValue(out, h::kRedriveCount), std::string("2"));
        QCOMPARE(kafka::headerValue(out, h::kRedrivenBy), std::string("ops@host"));
        QCOMPARE(kafka::headerValue(out, h::kRedriveTask), std::string("rd-1"));
        QCOMPARE(kafka::headerValue(out, h::kRedrivenAt), formatRfc3339(1'795'705'445'000));
    }

    void springDeadLettersGainLogdecksHeaders()
    {
        ops::DeadLetter d = letter();
        d.originalTopic = "orders";
        d.originalPartition = 3;
        d.originalOffset = 9;
        d.headers = {{h::kSpringOriginalTopic, "orders"},
                     {h::kSpringOriginalPartition, h::toBigEndian(3, 4)}};
        const auto out = ops::redriveHeaders(d, 1, "ops@host", 0, "rd-1");
        QCOMPARE(kafka::headerValue(out, h::kEventId), std::string("e-1"));
        QCOMPARE(kafka::headerValue(out, h::kTenantId), std::string("acme"));
        QCOMPARE(kafka::headerValue(out, h::kOriginalTopic), std::string("orders"));
        QCOMPARE(kafka::headerValue(out, h::kOriginalPartition), std::string("3"));
        QCOMPARE(kafka::headerValue(out, h::kOriginalOffset), std::string("9"));
        QVERIFY(kafka::headerValue(out, h::kSpringOriginalTopic).empty());
    }

    void tokenBucketNeverExceedsRatePlusBurst()
    {
        ops::TokenBucket bucket(200, 20);
        const auto start = ops::TokenBucket::Clock::now();
        std::int64_t taken = 0;
        for (int ms = 0; ms <= 5000; ms += 3) {
            const auto now = start + std::chrono::milliseconds(ms);
            taken += bucket.take(50, now);
            QVERIFY(static_cast<double>(taken) <= 20 + 200 * (ms / 1000.0) + 1);
        }
        QVERIFY(taken >= 950); // and it does give the rate
        QVERIFY(bucket.timeUntilNext(start + 5000ms) <= 5ms);
    }

    void specValidatesAndRoundTrips()
    {
        ops::RedriveSpec spec;
        QVERIFY(!spec.validate()); // no selection
        spec.filter.tenant = "acme";
        QVERIFY(spec.validate().has_value());
        spec.ratePerSecond = 0;
        QCOMPARE(spec.validate().error().code, Error::Code::InvalidArgument);
        spec.ratePerSecond = 10001;
        QVERIFY(!spec.validate());
        spec.ratePerSecond = 25;
        spec.ids = {"events.dlq:0:1", "e-9"};
        spec.target = ops::RedriveTarget::parse("orders");
        spec.force = true;
        spec.filter.sinceMs = 5;
        const auto back = ops::RedriveSpec::fromJson(spec.toJson());
        QVERIFY(back.has_value());
        QCOMPARE(back->ids, spec.ids);
        QCOMPARE(back->target.toString(), std::string("orders"));
        QCOMPARE(back->ratePerSecond, 25.0);
        QVERIFY(back->force);
        QCOMPARE(back->filter.tenant, std::string("acme"));
        QCOMPARE(back->filter.sinceMs, std::optional<std::int64_t>(5));
        QCOMPARE(ops::RedriveTarget::parse("retry").kind, ops::RedriveTarget::Kind::Retry);
        QCOMPARE(ops::RedriveTarget::parse("original").kind, ops::RedriveTarget::Kind::Original);
    }

    void storeKeepsStatesLeasesAndLedger()
    {
        QTemporaryDir dir;
        auto db = store::Database::open(store::Database::pathIn(dir.path().toStdString()));
        QVERIFY(db.has_value());
        store::RedriveStore tasks(**db);
        store::RedriveTaskRow task;
        task.id = "rd-1";
        task.createdAtMs = nowMillis();
        task.createdBy = "ops@host";
        task.state = "pending";
        task.total = 3;
        std::vector<store::RedriveItemRow> items;
        for (int i = 0; i < 3; ++i) {
            items.push_back({"rd-1",
                             "events.dlq",
                             0,
                             i,
                             "pending",
                             "e-" + std::to_string(i),
                             "acme",
                             "analytics",
                             "PoisonEvent",
                             "events.retry.analytics",
                             {}});
        }
        QVERIFY(tasks.insertTask(task, items).has_value());
        QCOMPARE(*tasks.runnableTaskIds(), std::vector<std::string> {"rd-1"});

        // One runner at a time, until its lease runs out.
        QVERIFY(*tasks.claim("rd-1", "a", 1000, 10000));
        QVERIFY(!*tasks.claim("rd-1", "b", 2000, 10000));
        QVERIFY(*tasks.claim("rd-1", "b", 12000, 10000));

        // Resume applies only to a paused task; pause to a pending or running one.
        QCOMPARE(ops::resumeRedriveTask(**db, "rd-1").error().code, Error::Code::InvalidArgument);
        QCOMPARE(ops::pauseRedriveTask(**db, "rd-1")->state, std::string("paused"));
        QCOMPARE(ops::resumeRedriveTask(**db, "rd-1")->state, std::string("pending"));
        QCOMPARE(ops::pauseRedriveTask(**db, "rd-nope").error().code, Error::Code::NotFound);

        store::RedriveRecord move {"events.dlq",
                                   0,
                                   0,
                                   1,
                                   "rd-1",
                                   "e-0",
                                   "acme",
                                   "analytics",
                                   "events.retry.analytics",
                                   1,
                                   40,
                                   "ops@host",
                                   nowMillis()};
        QVERIFY(tasks.recordMoves("rd-1", {move}).has_value());
        QCOMPARE(*tasks.redriveCount("events.dlq", 0, 0), 1);
        QCOMPARE(*tasks.redriveCount("events.dlq", 0, 1), 0);
        QVERIFY(tasks.recordOutcome(items[1], "skipped", "already redriven").has_value());
        QCOMPARE(tasks.pendingItems("rd-1", 10)->size(), std::size_t(1));

        const auto cancelled = ops::cancelRedriveTask(**db, "rd-1");
        QVERIFY(cancelled.has_value());
        QCOMPARE(cancelled->state, std::string("cancelled"));
        QCOMPARE(cancelled->moved, std::int64_t(1));
        QCOMPARE(cancelled->skipped, std::int64_t(1));
        QVERIFY(cancelled->finishedAtMs.has_value());
        QCOMPARE(tasks.items("rd-1")->back().state, std::string("cancelled"));
        QVERIFY(tasks.runnableTaskIds()->empty());
        QCOMPARE(tasks.ledgerOfTask("rd-1")->size(), std::size_t(1));
        QCOMPARE(tasks.ledgerOfEvent("e-0")->front().targetOffset, std::int64_t(40));
        QCOMPARE(ops::cancelRedriveTask(**db, "rd-1").error().code, Error::Code::InvalidArgument);
    }
};

QTEST_GUILESS_MAIN(TestRedriveRules)
#include "tst_redrive_rules.moc"
