// DLQ browsing and redrive against the real broker: the three header conventions decoded
// and filtered through `dlq list`; a 1,000-record redrive held to its rate, paused,
// resumed and cancelled; the ledger and the redriven records' headers; skip unless
// --force; outcomes with a hosted group; a task that survives SIGKILL of its engine; and
// list + redrive against `logdeck-cli run --embedded` in another process.

#include "common/time_format.h"
#include "consume/group_runtime.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "kafka/record_headers.h"
#include "kafka/topic_catalog.h"
#include "ops/redrive.h"
#include "ops/redrive_outcomes.h"
#include "ops/redrive_runner.h"
#include "store/database.h"
#include "store/redrive_store.h"
#include "support/cli_runner.h"
#include "support/test_broker.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>
#include <atomic>
#include <csignal>
#include <map>
#include <thread>

using namespace logdeck;
using namespace std::chrono_literals;
namespace h = kafka::headers;

namespace {

constexpr auto kTimeout = 30s;

std::string eventValue(const std::string &id, const std::string &tenant, bool poison)
{
    const std::string at = formatRfc3339(nowMillis() - 60000);
    return R"({"id":")" + id + R"(","tenant":")" + tenant
        + R"(","campaignId":"c-1","type":"click","occurredAt":")" + at + R"(","receivedAt":")" + at
        + R"(","attributes":{"device":"mobile")" + (poison ? R"(,"logdeck.poison":true)" : "")
        + "}}";
}

/// A dead letter as a Logdeck group writes it.
kafka::OutgoingRecord logdeckDeadLetter(const std::string &topic, const std::string &id,
                                        const std::string &tenant, const std::string &group,
                                        const std::string &errorClass, bool poison = false)
{
    return {topic,
            std::nullopt,
            tenant,
            eventValue(id, tenant, poison),
            {{h::kEventId, id},
             {h::kTenantId, tenant},
             {h::kContentType, "application/json"},
             {h::kOriginalTopic, "events.raw"},
             {h::kOriginalPartition, "1"},
             {h::kOriginalOffset, "42"},
             {h::kOriginalTimestamp, std::to_string(nowMillis() - 60000)},
             {h::kFailingGroup, group},
             {h::kErrorClass, errorClass},
             {h::kErrorMessage, "failed on " + id},
             {h::kAttempts, "5"},
             {h::kDeadLetteredAt, formatRfc3339(nowMillis())},
             {h::kSpringExceptionClass, "dev.logdeck." + errorClass},
             {h::kSpringExceptionMessage, "failed on " + id}},
            0};
}

bool createTopics(const std::vector<std::string> &names, int partitions = 3)
{
    auto admin = kafka::AdminClient::create(test::brokerSettings());
    if (!admin) {
        return false;
    }
    std::vector<kafka::TopicSpec> specs;
    for (const auto &name : names) {
        specs.push_back({name, partitions, {}});
    }
    return (*admin)->createTopics(specs, kTimeout).has_value();
}

/// Every record of `topic` now.
std::vector<kafka::ConsumedRecord> readAll(const std::string &topic)
{
    std::vector<kafka::ConsumedRecord> records;
    ops::DeadLetterFilter filter;
    filter.topic = topic;
    auto letters = ops::readDeadLetters(test::brokerSettings(), filter, kTimeout);
    if (!letters) {
        return records;
    }
    for (auto &l : *letters) {
        records.push_back(
            {l.topic, l.partition, l.offset, l.timestampMs, l.key, l.value, l.headers});
    }
    return records;
}

/// The first `count` records of partition 0 of `topic`, as Kafka holds them (null values
/// included); fewer when they do not arrive within the timeout.
std::vector<kafka::ConsumedRecord> readPartitionZero(const std::string &topic, std::size_t count)
{
    std::vector<kafka::ConsumedRecord> records;
    auto consumer = kafka::Consumer::create(test::brokerSettings(), test::uniqueName("reader"));
    if (!consumer || !(*consumer)->assign({{topic, 0, 0}})) {
        return records;
    }
    QDeadlineTimer deadline(kTimeout);
    while (records.size() < count && !deadline.hasExpired()) {
        auto batch = (*consumer)->poll(count - records.size(), 500ms);
        if (!batch) {
            break;
        }
        std::ranges::move(*batch, std::back_inserter(records));
    }
    return records;
}

/// Redrives every dead letter of `cluster` (--broker and --topic) to `target` with the CLI
/// in the foreground, and reads back the `count` records it wrote; none when it failed.
std::vector<kafka::ConsumedRecord> redriveAllTo(const QStringList &cluster,
                                                const std::string &target, std::size_t count)
{
    QTemporaryDir data;
    const auto redrive = test::runCli(QStringList {"dlq", "redrive", "--data", data.path(), "--all",
                                                   "--to", QString::fromStdString(target),
                                                   "--execute"}
                                          + cluster,
                                      QProcessEnvironment::systemEnvironment(), 60000);
    if (!redrive.out.contains(QStringLiteral("completed: %1 moved").arg(count))) {
        qWarning("%s", qPrintable(redrive.out + redrive.err));
        return {};
    }
    return readPartitionZero(target, count);
}

/// The record among `records` whose event-id header is `eventId`.
const kafka::ConsumedRecord *withEventId(const std::vector<kafka::ConsumedRecord> &records,
                                         const std::string &eventId)
{
    const auto found = std::ranges::find_if(records, [&](const kafka::ConsumedRecord &r) {
        return kafka::headerValue(r.headers, h::kEventId) == eventId;
    });
    return found == records.end() ? nullptr : &*found;
}

QJsonDocument json(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8());
}

std::int64_t ledgerRows(const std::string &dataDir, const std::string &taskId)
{
    auto db = store::Database::open(store::Database::pathIn(dataDir));
    if (!db) {
        return -1;
    }
    auto rows = store::RedriveStore(**db).ledgerOfTask(taskId);
    return rows ? static_cast<std::int64_t>(rows->size()) : -1;
}

store::RedriveTaskRow taskRow(const std::string &dataDir, const std::string &taskId)
{
    auto db = store::Database::open(store::Database::pathIn(dataDir));
    if (!db) {
        return {};
    }
    auto row = store::RedriveStore(**db).task(taskId);
    return row && *row ? **row : store::RedriveTaskRow {};
}

QString bootstrap()
{
    return QString::fromStdString(test::brokerBootstrap());
}

} // namespace

class TestRedrive : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(test::cliPath()), "LOGDECK_CLI must be set"); }

    void listDecodesAndFiltersEveryConvention()
    {
        const std::string dlq = test::uniqueName("dlq-conventions");
        QVERIFY(createTopics({dlq}));
        std::vector<kafka::OutgoingRecord> records;
        for (int i = 0; i < 4; ++i) {
            records.push_back(logdeckDeadLetter(dlq, "ev-" + std::to_string(i),
                                                i % 2 ? "acme" : "globex", "analytics",
                                                "PoisonEvent"));
        }
        records.push_back({dlq,
                           std::nullopt,
                           "order-7",
                           R"({"id":"spring-1","total":12})",
                           {{h::kSpringOriginalTopic, "orders"},
                            {h::kSpringOriginalPartition, h::toBigEndian(3, 4)},
                            {h::kSpringOriginalOffset, h::toBigEndian(9876543210ULL, 8)},
                            {h::kSpringOriginalTimestamp, h::toBigEndian(1795705440000ULL, 8)},
                            {h::kSpringOriginalGroup, "billing"},
                            {h::kSpringExceptionClass,
                             "org.springframework.kafka.listener.ListenerExecutionFailedException"},
                            {h::kSpringExceptionMessage, "Listener failed: bad total"}},
                           0});
        records.push_back(
            {dlq,
             std::nullopt,
             "row-1",
             "not json at all",
             {{h::kConnectTopic, "inventory"},
              {h::kConnectPartition, "2"},
              {h::kConnectOffset, "17"},
              {h::kConnectConnector, "jdbc-sink"},
              {h::kConnectExceptionClass, "org.apache.kafka.connect.errors.DataException"},
              {h::kConnectExceptionMessage, "Converting byte[] to Kafka Connect data failed"}},
             0});
        QVERIFY(test::produceAll(records));

        auto list = [&](QStringList filters) {
            filters = QStringList {"dlq",       "list",    "--broker",
                                   bootstrap(), "--topic", QString::fromStdString(dlq),
                                   "--json"}
                + filters;
            const auto outcome = test::runCli(filters);
            return std::make_pair(outcome.exitCode, json(outcome.out).array());
        };
        auto [code, all] = list({});
        QCOMPARE(code, 0);
        QCOMPARE(all.size(), 6);

        auto [springCode, spring] = list({"--group", "billing"});
        QCOMPARE(springCode, 0);
        QCOMPARE(spring.size(), 1);
        const QJsonObject s = spring.first().toObject();
        QCOMPARE(s.value("convention").toString(), QStringLiteral("spring"));
        QCOMPARE(s.value("originalTopic").toString(), QStringLiteral("orders"));
        QCOMPARE(s.value("originalPartition").toInt(), 3);
        QCOMPARE(s.value("originalOffset").toInteger(), 9876543210LL);
        QCOMPARE(s.value("eventId").toString(), QStringLiteral("spring-1"));
        QCOMPARE(s.value("tenant").toString(), QStringLiteral("order-7"));

        auto [connectCode, connect] = list({"--error-class", "DataException"});
        QCOMPARE(connectCode, 0);
        QCOMPARE(connect.size(), 1);
        const QJsonObject c = connect.first().toObject();
        QCOMPARE(c.value("convention").toString(), QStringLiteral("connect"));
        QCOMPARE(c.value("group").toString(), QStringLiteral("jdbc-sink"));
        QCOMPARE(c.value("originalTopic").toString(), QStringLiteral("inventory"));
        QCOMPARE(c.value("originalOffset").toInteger(), 17);

        QCOMPARE(list({"--tenant", "acme"}).second.size(), 2);
        QCOMPARE(
            list({"--original-topic", "events.raw", "--error-class", "PoisonEvent"}).second.size(),
            4);
        QCOMPARE(list({"--text", "BAD TOTAL"}).second.size(), 1); // message, any case
        QCOMPARE(list({"--text", "not json"}).second.size(), 1); // value
        QCOMPARE(list({"--since", "10m"}).second.size(), 6);
        QCOMPARE(list({"--until", "10m"}).second.size(), 0);

        // Bad input: usage errors exit 2, runtime errors 1, and nothing is created.
        QCOMPARE(list({"--since", "tomorrow"}).first, 2);
        QCOMPARE(list({"--since", "2099-01-01T00:00:00Z"}).first, 2);
        QCOMPARE(list({"--no-such-option"}).first, 2);
        const auto unknownTopic =
            test::runCli({"dlq", "list", "--broker", bootstrap(), "--topic", "no-such-dlq-topic"});
        QCOMPARE(unknownTopic.exitCode, 1);
        QVERIFY(unknownTopic.err.contains("topic 'no-such-dlq-topic' does not exist"));

        QTemporaryDir data;
        auto redrive = [&](const QStringList &more) {
            return test::runCli(QStringList {"dlq", "redrive", "--broker", bootstrap(), "--data",
                                             data.path(), "--topic", QString::fromStdString(dlq)}
                                + more);
        };
        QCOMPARE(redrive({"--execute"}).exitCode, 2); // no selection
        QCOMPARE(redrive({"--all", "--rate", "abc"}).exitCode, 2);
        QCOMPARE(redrive({"--all", "--rate", "0"}).exitCode, 2);
        QCOMPARE(redrive({"--all", "--dry-run", "--execute"}).exitCode, 2);
        const auto noRetryTopic = redrive({"--group", "billing", "--execute"});
        QCOMPARE(noRetryTopic.exitCode, 1); // events.retry.billing does not exist
        QVERIFY2(noRetryTopic.err.contains("events.retry.billing"), qPrintable(noRetryTopic.err));
        const auto unknownId = redrive({"--ids", "no-such-event", "--execute"});
        QCOMPARE(unknownId.exitCode, 1);
        const auto unknownTarget = redrive({"--all", "--to", "no-such-target", "--execute"});
        QCOMPARE(unknownTarget.exitCode, 1);
        QVERIFY(unknownTarget.err.contains("no-such-target"));
        auto db = store::Database::open(store::Database::pathIn(data.path().toStdString()));
        QVERIFY(db.has_value());
        QCOMPARE(store::RedriveStore(**db).tasks(10)->size(), std::size_t(0));
        const auto unknownTask = test::runCli({"dlq", "cancel", "rd-nope", "--data", data.path()});
        QCOMPARE(unknownTask.exitCode, 1);
    }

    void foreignCoordinatesAreUnknownNotInventedAndNotRedriven()
    {
        const std::string dlq = test::uniqueName("dlq-coordinates");
        const std::string target = test::uniqueName("target-coordinates");
        QVERIFY(createTopics({dlq, target}, 1));
        auto spring = [&](const std::string &id, const std::string &topic,
                          kafka::Headers coordinates) {
            kafka::OutgoingRecord r {dlq, std::nullopt, "k-" + id, "{\"id\":\"" + id + "\"}",
                                     std::move(coordinates), 0};
            r.headers.insert(r.headers.begin(), {h::kSpringOriginalTopic, topic});
            r.headers.push_back({h::kSpringOriginalGroup, "billing"});
            r.headers.push_back({h::kSpringExceptionClass, "java.lang.IllegalStateException"});
            return r;
        };
        // 3 and 5 bytes used to decode as payments[66051]@1099494718715, missing ones as 0.
        QVERIFY(test::produceAll(
            {spring("spring-bad", "payments",
                    {{h::kSpringOriginalPartition, std::string("\x01\x02\x03", 3)},
                     {h::kSpringOriginalOffset, std::string("\x01\x00\x00\x00\x0b", 5)}}),
             spring("spring-text", "orders",
                    {{h::kSpringOriginalPartition, "7"},
                     {h::kSpringOriginalOffset, "12345"},
                     {h::kSpringOriginalTimestamp, "1795705440000"}}),
             spring("spring-missing", "orders", {})}));

        const QStringList cluster = {"--broker", bootstrap(), "--topic",
                                     QString::fromStdString(dlq)};
        const auto listed = test::runCli(QStringList {"dlq", "list", "--json"} + cluster);
        QCOMPARE(listed.exitCode, 0);
        std::map<QString, QJsonObject> byId;
        for (const auto &letter : json(listed.out).array()) {
            byId[letter.toObject().value("eventId").toString()] = letter.toObject();
        }
        auto notes = [&](const QString &id) {
            return byId[id].value("notes").toVariant().toStringList().join('\n');
        };
        // Unknown is null with a note naming the header, never a number.
        QVERIFY2(byId["spring-bad"].value("originalPartition").isNull(), qPrintable(listed.out));
        QVERIFY(byId["spring-bad"].value("originalOffset").isNull());
        QVERIFY2(notes("spring-bad").contains("kafka_dlt-original-partition")
                     && notes("spring-bad").contains("kafka_dlt-original-offset"),
                 qPrintable(notes("spring-bad")));
        QCOMPARE(byId["spring-text"].value("originalPartition").toInt(), 7);
        QCOMPARE(byId["spring-text"].value("originalOffset").toInteger(), 12345);
        QVERIFY(notes("spring-text").isEmpty());
        QVERIFY(byId["spring-missing"].value("originalPartition").isNull());
        QVERIFY(byId["spring-missing"].value("originalOffset").isNull());
        QVERIFY2(notes("spring-missing").contains("kafka_dlt-original-offset is missing"),
                 qPrintable(notes("spring-missing")));
        const auto table = test::runCli(QStringList {"dlq", "list"} + cluster);
        QVERIFY2(table.out.contains("payments:?:?") && table.out.contains("orders:7:12345")
                     && !table.out.contains("66051") && !table.out.contains("orders:0:0"),
                 qPrintable(table.out));

        // A redrive copies on the coordinates that are known, and only those.
        const auto redriven = redriveAllTo(cluster, target, 3);
        QCOMPARE(redriven.size(), std::size_t(3));
        for (const auto &[id, topic] : {std::pair {"spring-bad", "payments"},
                                        std::pair {"spring-missing", "orders"}}) {
            const auto *record = withEventId(redriven, id);
            QVERIFY(record != nullptr);
            QCOMPARE(kafka::headerValue(record->headers, h::kOriginalTopic), std::string(topic));
            for (const char *invented :
                 {h::kOriginalPartition, h::kOriginalOffset, h::kOriginalTimestamp}) {
                QVERIFY2(std::ranges::none_of(record->headers,
                                              [&](const kafka::Header &header) {
                                                  return header.name == invented;
                                              }),
                         qPrintable(QStringLiteral("%1 carries %2").arg(id, invented)));
            }
        }
        const auto *text = withEventId(redriven, "spring-text");
        QVERIFY(text != nullptr);
        QCOMPARE(kafka::headerValue(text->headers, h::kOriginalPartition), std::string("7"));
        QCOMPARE(kafka::headerValue(text->headers, h::kOriginalOffset), std::string("12345"));
        QCOMPARE(kafka::headerValue(text->headers, h::kOriginalTimestamp),
                 std::string("1795705440000"));
    }

    void nullAndBinaryValuesSurviveShowAndRedrive()
    {
        const std::string dlq = test::uniqueName("dlq-values");
        const std::string target = test::uniqueName("target-values");
        QVERIFY(createTopics({dlq, target}, 1));
        auto tombstone = logdeckDeadLetter(dlq, "null-1", "acme", "analytics", "Malformed");
        tombstone.value.clear();
        tombstone.valueIsNull = true;
        const std::string binary("\x00\x01\x7f\x80\xfe\xff caf\xc3\xa9", 12);
        auto bytes = logdeckDeadLetter(dlq, "binary-1", "acme", "analytics", "Malformed");
        bytes.value = binary;
        auto empty = logdeckDeadLetter(dlq, "empty-1", "acme", "analytics", "Malformed");
        empty.value.clear();
        QVERIFY(test::produceAll({tombstone, bytes, empty}));

        const QStringList cluster = {"--broker", bootstrap(), "--topic",
                                     QString::fromStdString(dlq)};
        auto show = [&](const char *id, const QStringList &json = {}) {
            return test::runCli(QStringList {"dlq", "show", id} + cluster + json).out;
        };
        auto shownJson = [&](const char *id) {
            return json(show(id, {"--json"})).array().first().toObject();
        };
        // Null stays null, bytes that are not UTF-8 text are shown in base64, empty is "".
        QVERIFY2(shownJson("null-1").value("value").isNull(),
                 qPrintable(show("null-1", {"--json"})));
        QVERIFY2(show("null-1").contains("value: null"), qPrintable(show("null-1")));
        const QJsonObject shownBytes = shownJson("binary-1");
        QCOMPARE(shownBytes.value("valueEncoding").toString(), QStringLiteral("base64"));
        QCOMPARE(QByteArray::fromBase64(shownBytes.value("value").toString().toLatin1()),
                 QByteArray::fromStdString(binary));
        const QString bytesText = show("binary-1");
        QVERIFY2(bytesText.contains("value (base64):")
                     && bytesText.contains(QByteArray::fromStdString(binary).toBase64()),
                 qPrintable(bytesText));
        const QJsonObject shownEmpty = shownJson("empty-1");
        QVERIFY(shownEmpty.value("value").isString());
        QCOMPARE(shownEmpty.value("value").toString(), QString());

        // A redrive writes the values exactly as they were: the null one a tombstone again.
        const auto redriven = redriveAllTo(cluster, target, 3);
        QCOMPARE(redriven.size(), std::size_t(3));
        const auto *nullAgain = withEventId(redriven, "null-1");
        QVERIFY(nullAgain != nullptr);
        QVERIFY(nullAgain->valueIsNull);
        const auto *bytesAgain = withEventId(redriven, "binary-1");
        QVERIFY(bytesAgain != nullptr);
        QCOMPARE(bytesAgain->value, binary);
        const auto *emptyAgain = withEventId(redriven, "empty-1");
        QVERIFY(emptyAgain != nullptr);
        QVERIFY(!emptyAgain->valueIsNull && emptyAgain->value.empty());
    }

    void thousandAtARateWithPauseResumeCancelAndSkip()
    {
        const std::string dlq = test::uniqueName("dlq-thousand");
        const std::string group = test::uniqueName("rd-group");
        const std::string retry = kafka::topics::retryTopic(group);
        QVERIFY(createTopics({dlq, retry}));
        constexpr int kTotal = 1000;
        std::vector<kafka::OutgoingRecord> records;
        for (int i = 0; i < kTotal; ++i) {
            records.push_back(logdeckDeadLetter(dlq, "ev-" + std::to_string(i),
                                                "tenant-" + std::to_string(i % 5), group,
                                                i % 3 ? "Timeout" : "SchemaError"));
        }
        QVERIFY(test::produceAll(records));

        QTemporaryDir data;
        const std::string dataDir = data.path().toStdString();
        auto db = store::Database::open(store::Database::pathIn(dataDir));
        QVERIFY(db.has_value());
        ops::RedriveSpec spec;
        spec.filter.topic = dlq;
        spec.all = true;
        spec.ratePerSecond = 200;
        auto plan = ops::planRedrive(test::brokerSettings(), **db, spec, kTimeout);
        QVERIFY2(plan.has_value(), plan ? "" : plan.error().message.c_str());
        QCOMPARE(plan->toMove, std::int64_t(kTotal));
        QCOMPARE(plan->byTarget.at(retry), std::int64_t(kTotal));
        auto taskId = ops::createRedriveTask(**db, *plan, "tester@test");
        QVERIFY(taskId.has_value());

        ops::RedriveRunnerOptions options;
        options.cluster = test::brokerSettings();
        options.dataDir = dataDir;
        options.runnerId = "test-runner";
        std::atomic<bool> stop {false};
        Result<store::RedriveTaskRow> left = fail(Error::internal("not run"));
        const auto started = std::chrono::steady_clock::now();
        std::thread runner([&] { left = ops::runRedriveTask(options, *taskId, stop, true); });
        auto joinRunner = qScopeGuard([&] {
            stop = true;
            runner.join();
        });
        auto moved = [&] {
            return taskRow(dataDir, *taskId).moved;
        };

        // Never above the rate: moved(t) <= burst + rate * t, sampled until 300 moved.
        const double burst = 20; // the runner's bucket holds a tenth of a second
        QDeadlineTimer deadline(30s);
        std::int64_t now = 0;
        while ((now = moved()) < 300 && !deadline.hasExpired()) {
            const double t =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            QVERIFY2(static_cast<double>(now) <= burst + 200 * t,
                     qPrintable(QStringLiteral("%1 moved after %2 s").arg(now).arg(t)));
            QTest::qWait(25);
        }
        QVERIFY(now >= 300);

        // Pause: progress stops.
        QVERIFY(ops::pauseRedriveTask(**db, *taskId).has_value());
        QTest::qWait(500); // the batch in hand, if any, completes
        const std::int64_t paused = moved();
        QTest::qWait(1000);
        QCOMPARE(moved(), paused);
        QCOMPARE(taskRow(dataDir, *taskId).state, std::string("paused"));

        // Resume: progress again.
        QVERIFY(ops::resumeRedriveTask(**db, *taskId).has_value());
        QTRY_VERIFY_WITH_TIMEOUT(moved() >= paused + 100, 10000);

        // Cancel: the runner stops, nothing moves after, moved < total.
        auto cancelled = ops::cancelRedriveTask(**db, *taskId);
        QVERIFY(cancelled.has_value());
        joinRunner.dismiss();
        runner.join();
        QVERIFY2(left.has_value(), left ? "" : left.error().message.c_str());
        QCOMPARE(left->state, std::string("cancelled"));
        const std::int64_t final = moved();
        QVERIFY(final < kTotal);
        QTest::qWait(500);
        QCOMPARE(moved(), final);
        QCOMPARE(ledgerRows(dataDir, *taskId), final);

        // The records on the retry topic: one per move, with the redrive headers and none
        // of the failure's.
        const auto onTarget = readAll(retry);
        QCOMPARE(static_cast<std::int64_t>(onTarget.size()), final);
        for (const auto &record : onTarget) {
            QCOMPARE(kafka::headerValue(record.headers, h::kRedriveCount), std::string("1"));
            QCOMPARE(kafka::headerValue(record.headers, h::kRedriveTask), *taskId);
            QCOMPARE(kafka::headerValue(record.headers, h::kRedrivenBy),
                     std::string("tester@test"));
            QVERIFY(!kafka::headerValue(record.headers, h::kRedrivenAt).empty());
            QCOMPARE(kafka::headerValue(record.headers, h::kOriginalTopic),
                     std::string("events.raw"));
            for (const auto &header : record.headers) {
                QVERIFY2(!header.name.starts_with("error-") && header.name != h::kAttempts
                             && !header.name.starts_with("kafka_dlt-")
                             && header.name != h::kFailingGroup,
                         header.name.c_str());
            }
            QVERIFY(record.key.starts_with("tenant-"));
        }

        // The same selection again: what moved is skipped, the rest moves.
        auto again = ops::planRedrive(test::brokerSettings(), **db, spec, kTimeout);
        QVERIFY(again.has_value());
        QCOMPARE(again->toSkip, final);
        QCOMPARE(again->toMove, kTotal - final);
        spec.ratePerSecond = 5000;
        again->spec.ratePerSecond = 5000;
        auto second = ops::createRedriveTask(**db, *again, "tester@test");
        QVERIFY(second.has_value());
        std::atomic<bool> noStop {false};
        auto done = ops::runRedriveTask(options, *second, noStop, false);
        QVERIFY2(done.has_value(), done ? "" : done.error().message.c_str());
        QCOMPARE(done->state, std::string("completed"));
        QCOMPARE(done->moved, kTotal - final);
        QCOMPARE(done->skipped, final);

        // Everything is redriven now: a third plan skips all, unless forced.
        auto third = ops::planRedrive(test::brokerSettings(), **db, spec, kTimeout);
        QVERIFY(third.has_value());
        QCOMPARE(third->toSkip, std::int64_t(kTotal));
        QCOMPARE(third->toMove, std::int64_t(0));
        spec.force = true;
        auto forced = ops::planRedrive(test::brokerSettings(), **db, spec, kTimeout);
        QVERIFY(forced.has_value());
        QCOMPARE(forced->toMove, std::int64_t(kTotal));
    }

    void outcomesFollowTheHostedGroup()
    {
        const std::string raw = test::uniqueName("raw-outcomes");
        const std::string dlq = test::uniqueName("dlq-outcomes");
        const std::string group = test::uniqueName("rd-analytics");
        QVERIFY(createTopics({raw, dlq, kafka::topics::retryTopic(group)}));
        QTemporaryDir data;
        const std::string dataDir = data.path().toStdString();
        auto startGroup = [&] {
            consume::GroupOptions options;
            options.group = group;
            options.dataDir = dataDir;
            options.kafka = test::brokerSettings();
            options.sourceTopic = raw;
            options.deadLetterTopic = dlq;
            auto runtime = consume::GroupRuntime::start(std::move(options),
                                                        consume::makeProcessor("analytics"));
            return runtime ? std::move(*runtime) : nullptr;
        };
        // 10 good events processed, 5 poison ones dead-lettered by the group itself.
        std::vector<kafka::OutgoingRecord> events;
        for (int i = 0; i < 15; ++i) {
            const std::string id = "out-" + std::to_string(i);
            events.push_back({raw,
                              std::nullopt,
                              "acme",
                              eventValue(id, "acme", i >= 10),
                              {{h::kEventId, id}, {h::kTenantId, "acme"}},
                              0});
        }
        QVERIFY(test::produceAll(events));
        {
            auto runtime = startGroup();
            QVERIFY(runtime != nullptr);
            QTRY_VERIFY_WITH_TIMEOUT(
                runtime->metrics().processed == 10 && runtime->metrics().deadLettered == 5, 60000);
        }
        // The good ones failed too, say, before a fix: their dead letters, whose events the
        // group's dedup already holds.
        std::vector<kafka::OutgoingRecord> failedBefore;
        for (int i = 0; i < 10; ++i) {
            failedBefore.push_back(
                logdeckDeadLetter(dlq, "out-" + std::to_string(i), "acme", group, "Timeout"));
        }
        QVERIFY(test::produceAll(failedBefore));

        // Redrive all 15 through the CLI, in the foreground (no engine on this data dir).
        const auto redrive = test::runCli({"dlq", "redrive", "--broker", bootstrap(), "--data",
                                           data.path(), "--topic", QString::fromStdString(dlq),
                                           "--all", "--rate", "1000", "--execute"},
                                          QProcessEnvironment::systemEnvironment(), 60000);
        QCOMPARE(redrive.exitCode, 0);
        QVERIFY2(redrive.out.contains("completed: 15 moved"), qPrintable(redrive.out));
        const QString taskId = redrive.out.section(QStringLiteral("task="), 1).section('\n', 0, 0);

        auto outcomes = [&] {
            const auto shown = test::runCli(
                {"dlq", "tasks", taskId, "--broker", bootstrap(), "--data", data.path(), "--json"},
                QProcessEnvironment::systemEnvironment(), 60000);
            return json(shown.out).object().value("outcomes").toObject();
        };
        QCOMPARE(outcomes().value("notReached").toInt(), 15); // the group is not running

        auto runtime = startGroup();
        QVERIFY(runtime != nullptr);
        QTRY_VERIFY_WITH_TIMEOUT(
            runtime->metrics().processed == 10 && runtime->metrics().deadLettered == 5, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(outcomes().value("processed").toInt() == 10, 30000);
        const QJsonObject last = outcomes();
        QCOMPARE(last.value("deadLetteredAgain").toInt(), 5);
        QCOMPARE(last.value("notReached").toInt(), 0);
    }

    void taskSurvivesAnEngineKill()
    {
        const std::string dlq = test::uniqueName("dlq-restart");
        const std::string target = test::uniqueName("target-restart");
        QVERIFY(createTopics({dlq, target}));
        constexpr int kTotal = 300;
        std::vector<kafka::OutgoingRecord> records;
        for (int i = 0; i < kTotal; ++i) {
            records.push_back(
                logdeckDeadLetter(dlq, "rs-" + std::to_string(i), "acme", "analytics", "Timeout"));
        }
        QVERIFY(test::produceAll(records));
        QTemporaryDir data;
        const std::string dataDir = data.path().toStdString();
        QFile config(data.filePath("engine-config.json"));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(R"({"groups": [], "listen": "off"})");
        config.close();
        const QStringList run = {"run",       "--broker", bootstrap(),       "--data",
                                 data.path(), "--config", config.fileName(), "--log-level",
                                 "warn"};
        auto startEngine = [&](QProcess &engine) {
            engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            engine.start(test::cliPath(), run);
            QDeadlineTimer deadline(30s);
            while (!deadline.hasExpired()) {
                engine.waitForReadyRead(200);
                if (engine.readAllStandardOutput().contains("bootstrap.servers=")) {
                    return true;
                }
            }
            return false;
        };
        QProcess engine;
        QVERIFY(startEngine(engine));
        auto stopEngine = qScopeGuard([&] {
            engine.terminate();
            engine.waitForFinished(15000);
        });
        const auto created =
            test::runCli({"dlq", "redrive", "--data", data.path(), "--topic",
                          QString::fromStdString(dlq), "--all", "--to",
                          QString::fromStdString(target), "--rate", "60", "--execute", "--detach"});
        QCOMPARE(created.exitCode, 0);
        const std::string taskId =
            created.out.section(QStringLiteral("task="), 1).section('\n', 0, 0).toStdString();
        QVERIFY(!taskId.empty());
        QTRY_VERIFY_WITH_TIMEOUT(taskRow(dataDir, taskId).moved >= 60, 20000);
        ::kill(static_cast<pid_t>(engine.processId()), SIGKILL);
        QVERIFY(engine.waitForFinished(10000));
        const std::int64_t atKill = taskRow(dataDir, taskId).moved;
        QVERIFY(atKill < kTotal);
        QCOMPARE(taskRow(dataDir, taskId).state, std::string("running"));

        QVERIFY(startEngine(engine)); // takes the task over once the dead runner's lease ends
        QTRY_VERIFY_WITH_TIMEOUT(taskRow(dataDir, taskId).state == "completed", 60000);
        const auto task = taskRow(dataDir, taskId);
        QCOMPARE(task.moved, std::int64_t(kTotal));
        QCOMPARE(task.skipped + task.failed, std::int64_t(0));
        QCOMPARE(ledgerRows(dataDir, taskId), std::int64_t(kTotal)); // one row per dead letter
        // A kill between an acknowledgement and its ledger write re-sends at most one batch.
        const auto onTarget = static_cast<std::int64_t>(readAll(target).size());
        QVERIFY2(onTarget >= kTotal && onTarget <= kTotal + 6,
                 qPrintable(QString::number(onTarget)));
    }

    void embeddedEngineListsAndRedrives()
    {
        QTemporaryDir data;
        QProcess engine;
        engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        engine.start(test::cliPath(),
                     {"run", "--embedded", "--data", data.path(), "--log-level", "warn"});
        auto stopEngine = qScopeGuard([&] {
            engine.terminate();
            engine.waitForFinished(15000);
        });
        QVERIFY(engine.waitForStarted(5000));
        // The demo traffic carries a few poison events: wait for their dead letters.
        QJsonArray letters;
        QDeadlineTimer deadline(60s);
        while (letters.isEmpty() && !deadline.hasExpired()) {
            QTest::qWait(1000);
            const auto listed = test::runCli(
                {"dlq", "list", "--data", data.path(), "--group", "analytics", "--json"});
            letters = json(listed.out).array();
        }
        QVERIFY(!letters.isEmpty());
        QCOMPARE(letters.first().toObject().value("convention").toString(),
                 QStringLiteral("logdeck"));
        const QString id = letters.first().toObject().value("id").toString();
        const auto redrive =
            test::runCli({"dlq", "redrive", "--data", data.path(), "--ids", id, "--execute"},
                         QProcessEnvironment::systemEnvironment(), 60000);
        QCOMPARE(redrive.exitCode, 0);
        QVERIFY2(redrive.out.contains("completed: 1 moved"), qPrintable(redrive.out));
        const auto shown = test::runCli({"dlq", "show", id, "--data", data.path(), "--json"});
        QCOMPARE(shown.exitCode, 0);
        const QJsonArray history =
            json(shown.out).array().first().toObject().value("redrives").toArray();
        QCOMPARE(history.size(), 1);
        // A poison event fails again: its outcome says so once the group has been at it.
        const QString taskId = redrive.out.section(QStringLiteral("task="), 1).section('\n', 0, 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            json(test::runCli({"dlq", "tasks", taskId, "--data", data.path(), "--json"}).out)
                    .object()
                    .value("outcomes")
                    .toObject()
                    .value("deadLetteredAgain")
                    .toInt()
                == 1,
            30000);
    }
};

QTEST_GUILESS_MAIN(TestRedrive)
#include "tst_redrive.moc"
