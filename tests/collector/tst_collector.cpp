// The HTTP collector through real HTTP against the real broker: what a 202 means, every
// bad input, batches, campaigns through the outbox, and no loss when the broker goes away
// (real broker stopped, mock brokers down, engine killed while spilling).

#include "collector/collector.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/mock_cluster.h"
#include "kafka/partitioner.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/tenant_store.h"
#include "support/http_client.h"
#include "support/test_broker.h"
#include "support/wait.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace logdeck;
using namespace std::chrono_literals;

namespace {

constexpr int kPartitions = 6;

QJsonObject parse(const std::string &body)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(body)).object();
}

std::string eventJson(const std::string &id, int sequence = 0, const std::string &type = "click")
{
    std::string json = "{";
    if (!id.empty()) {
        json += R"("id":")" + id + R"(",)";
    }
    json += R"("campaignId":"c-1","type":")" + type
        + R"(","occurredAt":"2026-11-26T15:04:05.123Z",)"
          R"("attributes":{"seq":)"
        + std::to_string(sequence) + R"(,"device":"mobile"}})";
    return json;
}

/// A collector on its own topic and database, with tenants made for the test.
struct Harness
{
    QTemporaryDir dir;
    std::string topic;
    std::map<std::string, std::string> keys; // tenant → API key
    std::unique_ptr<collector::Collector> collector;
    kafka::ClientSettings settings;
    std::chrono::milliseconds stallTimeout = collector::CollectorOptions().stallTimeout;
    /// Runs on the new topic before the collector starts (e.g. to place partition leaders).
    std::function<bool(const std::string &topic)> prepareTopic;
    /// Changes the collector's options before it starts.
    std::function<void(collector::CollectorOptions &)> tune;

    bool start(const kafka::ClientSettings &clientSettings, const std::vector<std::string> &tenants,
               std::chrono::milliseconds produceTimeout = 2000ms,
               kafka::MockCluster *mock = nullptr)
    {
        settings = clientSettings;
        topic = test::uniqueName("ingest");
        if (mock != nullptr) {
            if (!mock->createTopic(topic, kPartitions)) {
                return false;
            }
        } else {
            auto admin = kafka::AdminClient::create(settings);
            if (!admin || !(*admin)->createTopics({{topic, kPartitions, {}}}, 15s)) {
                qWarning() << "cannot create" << topic.c_str();
                return false;
            }
        }
        if (prepareTopic && !prepareTopic(topic)) {
            return false;
        }
        const std::string path = store::Database::pathIn(dir.path().toStdString());
        {
            auto db = store::Database::open(path);
            if (!db) {
                return false;
            }
            store::TenantStore store(**db);
            for (const auto &tenant : tenants) {
                auto key = store.addTenant(tenant);
                if (!key) {
                    return false;
                }
                keys[tenant] = *key;
            }
        }
        collector::CollectorOptions options;
        options.http.port = 0;
        options.databasePath = path;
        options.kafka = settings;
        options.instanceId = "test";
        options.topic = topic;
        options.produceTimeout = produceTimeout;
        options.stallTimeout = stallTimeout;
        if (tune) {
            tune(options);
        }
        auto started = collector::Collector::start(std::move(options));
        if (!started) {
            qWarning() << started.error().message.c_str();
            return false;
        }
        collector = std::move(*started);
        return true;
    }

    std::unique_ptr<test::HttpClient> client() const
    {
        return std::make_unique<test::HttpClient>("127.0.0.1", collector->port());
    }

    /// Reads the topic until `count` records arrived or 45 s passed.
    /// At least `count` records, and every id of `mustSee` (by event-id header): a count
    /// alone can be reached with second copies while first copies are still unread.
    std::vector<kafka::ConsumedRecord> read(std::size_t count,
                                            std::set<std::string> mustSee = {}) const
    {
        std::vector<kafka::ConsumedRecord> records;
        auto consumer = kafka::Consumer::create(settings, test::uniqueName("reader"));
        if (!consumer || !(*consumer)->subscribe({topic})) {
            return records;
        }
        QDeadlineTimer deadline(45s);
        while ((records.size() < count || !mustSee.empty()) && !deadline.hasExpired()) {
            auto batch = (*consumer)->poll(10000, 300ms);
            if (batch) {
                for (const auto &record : *batch) {
                    mustSee.erase(kafka::headerValue(record.headers, "event-id"));
                }
                std::ranges::move(*batch, std::back_inserter(records));
            }
        }
        if (!mustSee.empty()) {
            qWarning() << "read" << records.size() << "records in 45 s;" << mustSee.size()
                       << "accepted events not among them";
        }
        // Anything more that is already there (nothing should be).
        for (int i = 0; i < 3; ++i) {
            if (auto batch = (*consumer)->poll(1000, 300ms)) {
                std::ranges::move(*batch, std::back_inserter(records));
            }
        }
        return records;
    }
};

/// Sends events from one thread per tenant until told to stop, remembering what was accepted.
class TrafficDriver
{
public:
    /// One thread per tenant, each sending without pause: single events, or batches of
    /// `eventsPerRequest` to the batch endpoint when it is above 1. Event ids are
    /// `idPrefix`, the tenant and a sequence number.
    TrafficDriver(const Harness &harness, std::uint16_t port, int eventsPerRequest = 1,
                  std::string idPrefix = {})
        : m_eventsPerRequest(eventsPerRequest)
        , m_idPrefix(std::move(idPrefix))
    {
        for (const auto &[tenant, key] : harness.keys) {
            m_accepted[tenant];
            m_threads.emplace_back(
                [this, port, tenant = tenant, key = key] { run(port, tenant, key); });
        }
    }
    ~TrafficDriver() { stop(); }

    void stop()
    {
        m_stop = true;
        for (auto &thread : m_threads) {
            if (thread.joinable()) {
                thread.join();
            }
        }
    }

    int accepted() const { return m_acceptedCount.load(); }
    int failed() const { return m_failedCount.load(); }
    /// The longest any request waited for its answer.
    std::chrono::milliseconds slowest() const { return std::chrono::milliseconds(m_slowestMs.load()); }
    std::map<std::string, std::vector<std::string>> acceptedIds() const
    {
        const std::lock_guard lock(m_mutex);
        return m_accepted;
    }

private:
    void run(std::uint16_t port, const std::string &tenant, const std::string &key)
    {
        test::HttpClient client("127.0.0.1", port);
        const bool batched = m_eventsPerRequest > 1;
        for (int sequence = 0; !m_stop && sequence < 100000 * m_eventsPerRequest;) {
            std::vector<std::string> ids;
            std::string body = batched ? R"({"events":[)" : "";
            for (int i = 0; i < m_eventsPerRequest; ++i, ++sequence) {
                ids.push_back(m_idPrefix + tenant + "-" + std::to_string(sequence));
                body += (i > 0 ? "," : "") + eventJson(ids.back(), sequence);
            }
            if (batched) {
                body += "]}";
            }
            const auto sentAt = std::chrono::steady_clock::now();
            const auto result =
                client.postJson(batched ? "/v1/events:batch" : "/v1/events", key, body);
            const auto waitedMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - sentAt)
                                      .count();
            for (auto slowest = m_slowestMs.load();
                 waitedMs > slowest && !m_slowestMs.compare_exchange_weak(slowest, waitedMs);) {
            }
            const std::vector<int> statuses = eventStatuses(result, ids.size());
            const std::lock_guard lock(m_mutex);
            for (std::size_t i = 0; i < ids.size(); ++i) {
                if (statuses[i] == 202) {
                    m_accepted[tenant].push_back(ids[i]);
                    ++m_acceptedCount;
                } else {
                    ++m_failedCount;
                    qWarning() << "event" << ids[i].c_str() << "answered" << statuses[i]
                               << result.body.c_str() << result.error.c_str();
                }
            }
        }
    }

    /// Each event's status: the answer's own for a single event, the result's for a batch
    /// (200 with one status per event); 0 where the answer does not say.
    std::vector<int> eventStatuses(const test::HttpResult &result, std::size_t events) const
    {
        if (m_eventsPerRequest == 1) {
            return {result.status};
        }
        std::vector<int> statuses(events, result.status == 200 ? 0 : result.status);
        const QJsonArray results = QJsonDocument::fromJson(QByteArray::fromStdString(result.body))
                                       .object()
                                       .value(QStringLiteral("results"))
                                       .toArray();
        for (qsizetype i = 0; result.status == 200 && i < results.size()
             && static_cast<std::size_t>(i) < events;
             ++i) {
            statuses[static_cast<std::size_t>(i)] =
                results[i].toObject().value(QStringLiteral("status")).toInt();
        }
        return statuses;
    }

    const int m_eventsPerRequest;
    const std::string m_idPrefix;
    std::atomic<bool> m_stop {false};
    std::atomic<int> m_acceptedCount {0};
    std::atomic<int> m_failedCount {0};
    std::atomic<std::int64_t> m_slowestMs {0};
    mutable std::mutex m_mutex;
    std::map<std::string, std::vector<std::string>> m_accepted;
    std::vector<std::thread> m_threads;
};

/// Every accepted event is in `records`, and each tenant's first copies are in the order
/// the tenant sent them. Returns the number of duplicate copies (allowed: an event whose
/// delivery was only possibly persisted before it was spilled may appear twice).
int verifyNoLossInOrder(const std::map<std::string, std::vector<std::string>> &accepted,
                        const std::vector<kafka::ConsumedRecord> &records)
{
    std::map<std::string, std::vector<std::string>> seen; // tenant → first occurrences in log order
    std::set<std::string> ids;
    int duplicates = 0;
    std::map<std::pair<std::string, int>, std::vector<const kafka::ConsumedRecord *>> byPartition;
    for (const auto &record : records) {
        byPartition[{record.key, record.partition}].push_back(&record);
    }
    for (auto &[where, list] : byPartition) {
        std::ranges::sort(list, {}, &kafka::ConsumedRecord::offset);
        for (const auto *record : list) {
            const std::string id = kafka::headerValue(record->headers, "event-id");
            if (!ids.insert(id).second) {
                ++duplicates;
                continue;
            }
            seen[record->key].push_back(id);
        }
    }
    for (const auto &[tenant, sent] : accepted) {
        const auto &got = seen[tenant];
        std::set<std::string> gotSet(got.begin(), got.end());
        for (const auto &id : sent) {
            if (!gotSet.contains(id)) {
                qWarning() << "lost accepted event" << id.c_str();
                return -1;
            }
        }
        // Order: the tenant's accepted ids appear in the log in the order they were sent.
        std::vector<std::string> inLog;
        const std::set<std::string> sentSet(sent.begin(), sent.end());
        for (const auto &id : got) {
            if (sentSet.contains(id)) {
                inLog.push_back(id);
            }
        }
        if (inLog != sent) {
            const auto [stray, expected] = std::ranges::mismatch(inLog, sent);
            qWarning() << "tenant" << tenant.c_str() << "events out of order: the log has"
                       << stray->c_str() << "where" << expected->c_str() << "was sent";
            return -2;
        }
    }
    return duplicates;
}

/// The value of an unlabelled counter in Prometheus text, or -1.
double counter(const std::string &metrics, const std::string &name)
{
    const auto at = metrics.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(metrics.substr(at + name.size() + 2));
}

/// How a test breaks Kafka and mends it again.
struct Outage
{
    std::function<bool()> begin;
    std::function<bool()> end;
    bool handOver = false; ///< the events in flight must be handed to the outbox
    const char *label = "";
    /// The spill must end while the traffic goes on, not only once it stops.
    bool endsUnderLoad = false;
    /// Events per request: above 1, the traffic goes to the batch endpoint.
    int eventsPerRequest = 1;
    /// Events accepted during the outage before it ends.
    int acceptedDuring = 300;
    /// With endsUnderLoad: how long the spill may go on after Kafka is back.
    std::chrono::milliseconds spillEndsWithin {30000};
};

/// Sends events from three tenants through `outage`: the collector must start spilling
/// while Kafka is away, keep answering 202, drain its outbox once Kafka is back, and leave
/// every accepted event in Kafka, in order per tenant.
/// With `maxWait`, no request may wait that long for its answer (the outage lasts longer).
void runThroughOutage(Harness &h, const Outage &outage,
                      std::optional<std::chrono::milliseconds> maxWait = std::nullopt)
{
    TrafficDriver traffic(h, h.collector->port(), outage.eventsPerRequest);
    QTRY_VERIFY_WITH_TIMEOUT(traffic.accepted() >= 150, 30000);
    QVERIFY(outage.begin());
    QTRY_VERIFY_WITH_TIMEOUT(h.collector->spilling(), 20000);
    const int atOutage = traffic.accepted();
    QTRY_VERIFY_WITH_TIMEOUT(traffic.accepted() >= atOutage + outage.acceptedDuring, 20000);
    if (outage.handOver) {
        QVERIFY(counter(h.collector->metricsText(), "logdeck_events_handed_over_total") > 0);
    }
    QVERIFY(outage.end());
    const int atRecovery = traffic.accepted();
    QTRY_VERIFY_WITH_TIMEOUT(traffic.accepted() >= atRecovery + 150, 60000);
    if (outage.endsUnderLoad) {
        QTRY_VERIFY_WITH_TIMEOUT(!h.collector->spilling(), outage.spillEndsWithin.count());
        const int atDirect = traffic.accepted();
        QTRY_VERIFY_WITH_TIMEOUT(traffic.accepted() >= atDirect + 300, 30000);
    }
    traffic.stop();
    QCOMPARE(traffic.failed(), 0);
    if (maxWait) {
        QVERIFY2(traffic.slowest() < *maxWait,
                 qPrintable(QStringLiteral("a request waited %1 ms for its answer")
                                .arg(traffic.slowest().count())));
    }
    QTRY_VERIFY_WITH_TIMEOUT(!h.collector->spilling() && h.collector->gauges().outboxDepth == 0,
                             90000);

    const auto acceptedIds = traffic.acceptedIds();
    std::set<std::string> everyAccepted;
    for (const auto &[tenant, ids] : acceptedIds) {
        everyAccepted.insert(ids.begin(), ids.end());
    }
    const auto records = h.read(static_cast<std::size_t>(traffic.accepted()), everyAccepted);
    const int duplicates = verifyNoLossInOrder(acceptedIds, records);
    QVERIFY2(duplicates >= 0, "an accepted event was lost or reordered");
    // Nothing in Kafka that was not accepted: each accepted id once, plus second copies.
    QCOMPARE(records.size(), static_cast<std::size_t>(traffic.accepted() + duplicates));
    qInfo("%s: %d accepted, %zu records in Kafka, %d duplicate copies", outage.label,
          traffic.accepted(), records.size(), duplicates);
}

} // namespace

class TestCollector : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void acceptedMeansInKafkaOnTheTenantsPartition()
    {
        Harness h;
        QVERIFY(h.start(test::brokerSettings(), {"acme", "globex"}));
        auto client = h.client();
        const auto withId =
            client->postJson("/v1/events", h.keys["acme"], eventJson("client-id-1", 1));
        QCOMPARE(withId.status, 202);
        QCOMPARE(parse(withId.body).value(QStringLiteral("id")).toString(),
                 QStringLiteral("client-id-1"));
        const auto withoutId = client->postJson("/v1/events", h.keys["globex"], eventJson("", 2));
        QCOMPARE(withoutId.status, 202);
        const QString serverId = parse(withoutId.body).value(QStringLiteral("id")).toString();
        QVERIFY2(QRegularExpression(
                     QStringLiteral(
                         "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))
                     .match(serverId)
                     .hasMatch(),
                 qPrintable(serverId));

        const auto records = h.read(2);
        QCOMPARE(records.size(), size_t(2));
        for (const auto &record : records) {
            const std::string tenant = record.key;
            QVERIFY(tenant == "acme" || tenant == "globex");
            QCOMPARE(record.partition, test::javaPartitionForKey(tenant, kPartitions));
            QCOMPARE(kafka::headerValue(record.headers, "tenant-id"), tenant);
            QCOMPARE(kafka::headerValue(record.headers, "content-type"),
                     std::string("application/json"));
            QVERIFY(!kafka::headerValue(record.headers, "received-at").empty());
            const auto value = parse(record.value);
            QCOMPARE(value.value(QStringLiteral("tenant")).toString().toStdString(), tenant);
            QCOMPARE(value.value(QStringLiteral("type")).toString(), QStringLiteral("click"));
            QCOMPARE(value.value(QStringLiteral("occurredAt")).toString(),
                     QStringLiteral("2026-11-26T15:04:05.123Z"));
            const std::string expectedId =
                tenant == "acme" ? "client-id-1" : serverId.toStdString();
            QCOMPARE(kafka::headerValue(record.headers, "event-id"), expectedId);
            QCOMPARE(value.value(QStringLiteral("id")).toString().toStdString(), expectedId);
        }
    }

    void badInputGetsAClearAnswerAndNeverReachesKafka_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("contentType");
        QTest::addColumn<QString>("auth");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("field");
        const QString json = QStringLiteral("application/json");
        const QString key = QStringLiteral("KEY");
        QTest::newRow("malformed JSON")
            << "POST"
            << "/v1/events" << json << key << QByteArray("{\"campaignId\": ") << 400 << "";
        QTest::newRow("not an object")
            << "POST"
            << "/v1/events" << json << key << QByteArray("[1]") << 422 << "";
        QTest::newRow("missing campaignId")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(R"({"type":"click","occurredAt":"2026-11-26T15:04:05Z"})") << 422
            << "campaignId";
        QTest::newRow("missing type")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(R"({"campaignId":"c","occurredAt":"2026-11-26T15:04:05Z"})") << 422
            << "type";
        QTest::newRow("bad occurredAt")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(R"({"campaignId":"c","type":"click","occurredAt":"yesterday"})") << 422
            << "occurredAt";
        QTest::newRow("tenant in body")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(
                   R"({"tenant":"globex","campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z"})")
            << 422 << "tenant";
        QTest::newRow("unknown field")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(
                   R"({"campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z","colour":"red"})")
            << 422 << "colour";
        QTest::newRow("attributes not an object")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(
                   R"({"campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z","attributes":[1]})")
            << 422 << "attributes";
        QTest::newRow("bad id")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(
                   R"({"id":"has space","campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z"})")
            << 422 << "id";
        QTest::newRow("body over 1 MiB")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(R"({"campaignId":")") + QByteArray(2 << 20, 'x') + QByteArray(R"("})")
            << 413 << "";
        QTest::newRow("wrong content type")
            << "POST"
            << "/v1/events"
            << "text/plain" << key << QByteArray::fromStdString(eventJson("x1")) << 415
            << "Content-Type";
        QTest::newRow("missing key")
            << "POST"
            << "/v1/events" << json << "" << QByteArray::fromStdString(eventJson("x2")) << 401
            << "Authorization";
        QTest::newRow("unknown key")
            << "POST"
            << "/v1/events" << json << "ldk_wrong" << QByteArray::fromStdString(eventJson("x3"))
            << 401 << "Authorization";
        QTest::newRow("unknown route")
            << "POST"
            << "/v1/evnets" << json << key << QByteArray("{}") << 404 << "";
        QTest::newRow("wrong method") << "GET"
                                      << "/v1/events" << json << key << QByteArray() << 405 << "";
        QTest::newRow("batch too big")
            << "POST"
            << "/v1/events:batch" << json << key
            << QByteArray("{\"events\":[") + QByteArray("{},").repeated(1000) + QByteArray("{}]}")
            << 413 << "events";
        // Bearer the tenant's key and X-Api-Key another: once silently took X-Api-Key's.
        QTest::newRow("two different keys")
            << "POST"
            << "/v1/events" << json << QStringLiteral("KEY+OTHER")
            << QByteArray(R"({"campaignId":"c","type":"click","occurredAt":"2026-11-26T15:04:05Z"})")
            << 400 << "X-Api-Key";
        QTest::newRow("control character in campaignId")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(
                   R"({"campaignId":"c\u0007","type":"click","occurredAt":"2026-11-26T15:04:05Z"})")
            << 422 << "campaignId";
        QTest::newRow("control character in an attribute key")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray("{\"campaignId\":\"c\",\"type\":\"click\",\"occurredAt\":"
                          "\"2026-11-26T15:04:05Z\",\"attributes\":{\"a\x7f\":1}}")
            << 422 << "attributes";
        QTest::newRow("occurredAt before 1970")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(
                   R"({"campaignId":"c","type":"click","occurredAt":"1969-12-31T23:59:59.999Z"})")
            << 422 << "occurredAt";
        QTest::newRow("occurredAt year 0000")
            << "POST"
            << "/v1/events" << json << key
            << QByteArray(
                   R"({"campaignId":"c","type":"click","occurredAt":"0000-01-01T00:00:00Z"})")
            << 422 << "occurredAt";
        QTest::newRow("unknown key in a batch's envelope")
            << "POST"
            << "/v1/events:batch" << json << key
            << QByteArray::fromStdString(R"({"events":[)" + eventJson("x4") + R"(],"x":1})")
            << 422 << "x";
        QTest::newRow("batch not a list") << "POST"
                                          << "/v1/events:batch" << json << key
                                          << QByteArray(R"({"events":{}})") << 422 << "events";
    }

    void badInputGetsAClearAnswerAndNeverReachesKafka()
    {
        QFETCH(QString, method);
        QFETCH(QString, target);
        QFETCH(QString, contentType);
        QFETCH(QString, auth);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, field);
        Harness h;
        QVERIFY(h.start(test::brokerSettings(), {"acme"}));
        std::map<std::string, std::string> headers {{"Content-Type", contentType.toStdString()}};
        if (auth == QStringLiteral("KEY")) {
            headers["Authorization"] = "Bearer " + h.keys["acme"];
        } else if (auth == QStringLiteral("KEY+OTHER")) {
            headers["Authorization"] = "Bearer " + h.keys["acme"];
            headers["X-Api-Key"] = "ldk_another_key";
        } else if (!auth.isEmpty()) {
            headers["Authorization"] = "Bearer " + auth.toStdString();
        }
        auto client = h.client();
        const auto result = client->request(method.toStdString(), target.toStdString(),
                                            body.toStdString(), headers);
        QCOMPARE(result.status, status);
        const auto answer = parse(result.body);
        QVERIFY2(!answer.value(QStringLiteral("error")).toString().isEmpty(), result.body.c_str());
        QCOMPARE(answer.value(QStringLiteral("field")).toString(), field);
        if (status == 405) {
            QCOMPARE(result.headers.at("allow"), std::string("POST"));
        }

        // Nothing of it reached Kafka: the next good event is the topic's only record.
        auto next = h.client();
        QCOMPARE(next->postJson("/v1/events", h.keys["acme"], eventJson("sentinel")).status, 202);
        const auto records = h.read(1);
        QCOMPARE(records.size(), size_t(1));
        QCOMPARE(kafka::headerValue(records.front().headers, "event-id"), std::string("sentinel"));
    }

    void headIsGetWithoutABodyOnAKeptAliveConnection()
    {
        Harness h;
        QVERIFY(h.start(test::brokerSettings(), {"acme"}));
        auto client = h.client();
        for (const char *path : {"/healthz", "/readyz", "/metrics"}) {
            const auto head = client->request("HEAD", path);
            QCOMPARE(head.status, 200);
            QVERIFY(head.body.empty());
            QVERIFY2(head.headers.contains("content-length"), path);
            const auto get = client->request("GET", path);
            QCOMPARE(get.status, 200);
            QVERIFY(!get.body.empty());
        }
        const auto headOfPost = client->request("HEAD", "/v1/events");
        QCOMPARE(headOfPost.status, 405);
        QCOMPARE(headOfPost.headers.at("allow"), std::string("POST"));
        QVERIFY(headOfPost.body.empty());
        QCOMPARE(client->request("HEAD", "/nowhere").status, 404);
        const auto postToGet = client->request("POST", "/healthz");
        QCOMPARE(postToGet.status, 405);
        QCOMPARE(postToGet.headers.at("allow"), std::string("GET, HEAD"));
        // A body after any HEAD answer would have broken the next answer on this connection.
        QCOMPARE(client->postJson("/v1/events", h.keys["acme"], eventJson("after-head")).status,
                 202);
        QCOMPARE(client->connectionsOpened(), 1);
    }

    void differentKeysInTheTwoKeyHeadersAreRefused()
    {
        Harness h;
        QVERIFY(h.start(test::brokerSettings(), {"acme", "globex"}));
        auto client = h.client();
        const auto post = [&](const std::string &bearer, const std::string &apiKey,
                              const std::string &id) {
            return client->request("POST", "/v1/events", eventJson(id),
                                   {{"Authorization", "Bearer " + bearer},
                                    {"X-Api-Key", apiKey},
                                    {"Content-Type", "application/json"}});
        };
        for (const auto &[bearer, apiKey] :
             {std::pair {h.keys["acme"], h.keys["globex"]}, {h.keys["acme"], "ldk_unknown"}}) {
            const auto refused = post(bearer, apiKey, "two-keys");
            QCOMPARE(refused.status, 400);
            const QString error = parse(refused.body).value(QStringLiteral("error")).toString();
            QVERIFY2(error.contains(QStringLiteral("Authorization"))
                         && error.contains(QStringLiteral("X-Api-Key")),
                     qPrintable(error));
        }
        QCOMPARE(post(h.keys["globex"], h.keys["globex"], "same-key").status, 202);
        const auto records = h.read(1);
        QCOMPARE(records.size(), size_t(1));
        QCOMPARE(kafka::headerValue(records.front().headers, "event-id"), std::string("same-key"));
        QCOMPARE(records.front().key, std::string("globex"));
    }

    void batchAnswersPerEvent()
    {
        Harness h;
        QVERIFY(h.start(test::brokerSettings(), {"acme"}));
        std::string body = R"({"events":[)";
        for (int i = 0; i < 10; ++i) {
            if (i > 0) {
                body += ",";
            }
            body += (i == 3 || i == 7)
                ? R"({"campaignId":"c","type":"Not Valid","occurredAt":"2026-11-26T15:04:05Z"})"
                : eventJson("b-" + std::to_string(i), i);
        }
        body += "]}";
        const auto result = h.client()->postJson("/v1/events:batch", h.keys["acme"], body);
        QCOMPARE(result.status, 200);
        const auto results = parse(result.body).value(QStringLiteral("results")).toArray();
        QCOMPARE(results.size(), 10);
        for (int i = 0; i < 10; ++i) {
            const auto entry = results.at(i).toObject();
            QCOMPARE(entry.value(QStringLiteral("index")).toInt(), i);
            if (i == 3 || i == 7) {
                QCOMPARE(entry.value(QStringLiteral("status")).toInt(), 422);
                QCOMPARE(entry.value(QStringLiteral("field")).toString(), QStringLiteral("type"));
            } else {
                QCOMPARE(entry.value(QStringLiteral("status")).toInt(), 202);
                QCOMPARE(entry.value(QStringLiteral("id")).toString().toStdString(),
                         "b-" + std::to_string(i));
            }
        }
        const auto records = h.read(8);
        QCOMPARE(records.size(), size_t(8));
    }

    void campaignGoesThroughTheOutbox()
    {
        Harness h;
        QVERIFY(h.start(test::brokerSettings(), {"acme"}));
        auto client = h.client();
        const auto created = client->postJson("/v1/campaigns", h.keys["acme"],
                                              R"({"id":"spring-sale","name":"Spring sale"})");
        QCOMPARE(created.status, 201);
        const auto again = client->postJson("/v1/campaigns", h.keys["acme"],
                                            R"({"id":"spring-sale","name":"Again"})");
        QCOMPARE(again.status, 409);
        QCOMPARE(parse(again.body).value(QStringLiteral("field")).toString(), QStringLiteral("id"));
        const auto noName = client->postJson("/v1/campaigns", h.keys["acme"], R"({"id":"x"})");
        QCOMPARE(noName.status, 422);
        QCOMPARE(parse(noName.body).value(QStringLiteral("field")).toString(),
                 QStringLiteral("name"));

        const auto records = h.read(1);
        QCOMPARE(records.size(), size_t(1));
        const auto value = parse(records.front().value);
        QCOMPARE(value.value(QStringLiteral("type")).toString(),
                 QStringLiteral("campaign.created"));
        QCOMPARE(value.value(QStringLiteral("campaignId")).toString(),
                 QStringLiteral("spring-sale"));
        QCOMPARE(records.front().key, std::string("acme"));
        QTRY_COMPARE_WITH_TIMEOUT(h.collector->gauges().outboxDepth, std::int64_t(0), 10000);
    }

    void healthReadinessAndMetrics()
    {
        Harness h;
        QVERIFY(h.start(test::brokerSettings(), {"acme"}));
        auto client = h.client();
        QCOMPARE(client->request("GET", "/healthz").status, 200);
        const auto ready = client->request("GET", "/readyz");
        QCOMPARE(ready.status, 200);
        QCOMPARE(parse(ready.body).value(QStringLiteral("ready")).toBool(), true);
        QCOMPARE(client->postJson("/v1/events", h.keys["acme"], eventJson("m1")).status, 202);
        QCOMPARE(client->postJson("/v1/events", "nope", eventJson("m2")).status, 401);
        const auto metrics = client->request("GET", "/metrics");
        QCOMPARE(metrics.status, 200);
        QVERIFY(metrics.headers.at("content-type").starts_with("text/plain"));
        for (const char *line :
             {"logdeck_http_requests_total{route=\"/v1/events\",status=\"202\"} 1",
              "logdeck_http_requests_total{route=\"/v1/events\",status=\"401\"} 1",
              "logdeck_ingest_latency_seconds_count{route=\"/v1/events\"} 2",
              "logdeck_produce_latency_seconds_count 1",
              "logdeck_outbox_depth ", "logdeck_spill_active 0", "logdeck_producer_queue_depth ",
              "logdeck_relay_lag_seconds "}) {
            QVERIFY2(metrics.body.find(line) != std::string::npos, line);
        }
    }

    void theLingerFollowsTheLoadAndKeepsEachTenantsOrder()
    {
        // Low bounds, so that each tenant's first batch of 50 switches the lanes in its
        // middle: its later events wait for the prompt producer's earlier ones.
        Harness h;
        h.tune = [](collector::CollectorOptions &options) {
            options.busyInFlight = 32;
            options.quietInFlight = 4;
            options.quietFor = 50ms;
        };
        QVERIFY(h.start(test::brokerSettings(), {"acme", "globex", "initech"}));
        QCOMPARE(h.collector->gauges().producerLingerSeconds, 0.0002);
        const auto switches = [&h] {
            return counter(h.collector->metricsText(), "logdeck_producer_linger_switches_total");
        };
        std::map<std::string, std::vector<std::string>> accepted;
        int total = 0;
        const auto collect = [&](TrafficDriver &traffic) {
            traffic.stop();
            QCOMPARE(traffic.failed(), 0);
            for (const auto &[tenant, ids] : traffic.acceptedIds()) {
                accepted[tenant].insert(accepted[tenant].end(), ids.begin(), ids.end());
            }
            total += traffic.accepted();
        };
        for (int round = 0; round < 3; ++round) {
            const double before = switches();
            {
                TrafficDriver batches(h, h.collector->port(), 50,
                                      "r" + std::to_string(round) + "b-");
                QTRY_VERIFY_WITH_TIMEOUT(batches.accepted() >= 3000 && switches() > before
                                             && h.collector->gauges().producerLingerSeconds == 0.001,
                                         30000);
                collect(batches);
            }
            {
                // One request at a time per tenant: at most 3 in flight, so quiet.
                TrafficDriver singles(h, h.collector->port(), 1,
                                      "r" + std::to_string(round) + "s-");
                QTRY_VERIFY_WITH_TIMEOUT(singles.accepted() >= 300
                                             && h.collector->gauges().producerLingerSeconds == 0.0002,
                                         30000);
                collect(singles);
            }
        }
        QVERIFY2(switches() >= 6, qPrintable(QString::number(switches())));

        std::set<std::string> everyAccepted;
        for (const auto &[tenant, ids] : accepted) {
            everyAccepted.insert(ids.begin(), ids.end());
        }
        const auto records = h.read(static_cast<std::size_t>(total), everyAccepted);
        const int duplicates = verifyNoLossInOrder(accepted, records);
        QVERIFY2(duplicates >= 0, "an accepted event was lost or reordered");
        QCOMPARE(records.size(), static_cast<std::size_t>(total + duplicates));
        qInfo("%d accepted over %.0f lane switches, %d duplicate copies", total, switches(),
              duplicates);
    }

    void mockBrokersDownSpillsAndLosesNothing()
    {
        auto mock = kafka::MockCluster::create(1);
        QVERIFY(mock.has_value());
        Harness h;
        QVERIFY(h.start({{"bootstrap.servers", (*mock)->bootstrapServers()}}, {"t1", "t2", "t3"},
                        1000ms, mock->get()));
        runThroughOutage(h,
                         {[&] { return (*mock)->setBrokerDown(1).has_value(); },
                          [&] { return (*mock)->setBrokerUp(1).has_value(); }, false,
                          "mock outage"});
    }

    void theOutboxWalStaysBoundedWhileEventsSpill()
    {
        // Sixteen tenants send single events without pause while the only broker is down,
        // so the writer commits to the outbox every few hundred µs. A checkpoint beside such
        // a writer never copies the whole WAL, and SQLite starts a WAL over only once all of
        // it is copied: without the writer's own catch-up checkpoints the WAL grows by
        // about 1 KiB per event (some 100 MiB here, more at a faster pace), and each write
        // that extends the file can stall every spilled request on the file system's block
        // allocation. The bound is 8 MiB here (256 MiB by default).
        auto mock = kafka::MockCluster::create(1);
        QVERIFY(mock.has_value());
        std::vector<std::string> tenants;
        for (int i = 1; i <= 16; ++i) {
            tenants.push_back("t" + std::to_string(i));
        }
        Harness h;
        h.tune = [](collector::CollectorOptions &options) { options.walRestartBytes = 8 << 20; };
        QVERIFY(h.start({{"bootstrap.servers", (*mock)->bootstrapServers()}}, tenants, 120s,
                        mock->get()));
        TrafficDriver traffic(h, h.collector->port());
        QVERIFY(test::waitFor([&] { return traffic.accepted() >= 500; }, 30s));
        QVERIFY((*mock)->setBrokerDown(1));
        QVERIFY(test::waitFor(
            [&] { return counter(h.collector->metricsText(), "logdeck_spill_active") == 1; },
            30s));
        const double spilledBefore =
            counter(h.collector->metricsText(), "logdeck_events_spilled_total");
        QVERIFY(test::waitFor(
            [&] {
                return counter(h.collector->metricsText(), "logdeck_events_spilled_total")
                    >= spilledBefore + 100000;
            },
            120s));
        traffic.stop();
        QCOMPARE(traffic.failed(), 0);

        // The WAL file keeps the size it reached (it is cut back only past 320 MiB), so its
        // size is the most it held: 8 MiB before a restart plus what one round of the
        // checkpointer lets through.
        const std::string path = store::Database::pathIn(h.dir.path().toStdString());
        const qint64 walBytes = QFileInfo(QString::fromStdString(path + "-wal")).size();
        qInfo("%d events accepted, the WAL reached %.1f MiB, %.0f restarts", traffic.accepted(),
              double(walBytes) / (1 << 20),
              counter(h.collector->metricsText(), "logdeck_outbox_wal_restarts_total"));
        QVERIFY2(walBytes <= 32 << 20, "the outbox's WAL grew past 32 MiB");
        QVERIFY(counter(h.collector->metricsText(), "logdeck_outbox_wal_restarts_total") > 0);
        // Nothing the restarts went over is missing: every spilled event is a row.
        auto db = store::Database::open(path);
        QVERIFY(db.has_value());
        auto rows = store::Outbox(**db).depth();
        QVERIFY(rows.has_value());
        QCOMPARE(double(*rows),
                 counter(h.collector->metricsText(), "logdeck_events_spilled_total"));
        QVERIFY((*mock)->setBrokerUp(1));
    }

    void stalledBrokerHandsEventsToTheOutbox()
    {
        // The broker stays up but answers nothing for 30 s: no connection fails, so only
        // the stall watch (1 s without an acknowledgement) can start the spill in time.
        auto mock = kafka::MockCluster::create(1);
        QVERIFY(mock.has_value());
        Harness h;
        QVERIFY(h.start({{"bootstrap.servers", (*mock)->bootstrapServers()}}, {"t1", "t2", "t3"},
                        120s, mock->get()));
        runThroughOutage(h,
                         {[&] { return (*mock)->setBrokerRoundTrip(1, 30s).has_value(); },
                          [&] { return (*mock)->setBrokerRoundTrip(1, 0ms).has_value(); }, true,
                          "stalled broker"});
    }

    void stalledPartitionLeaderHandsOverWhileOthersAcknowledge()
    {
        // Two mock brokers: broker 2 leads only tenant t1's partition, broker 1 the others.
        // Broker 2 then answers nothing for 15 s while broker 1 goes on acknowledging the
        // other tenants' events, so Kafka as a whole never goes quiet: only the watch on the
        // oldest waiting event can answer t1's requests before the stall ends.
        auto mock = kafka::MockCluster::create(2);
        QVERIFY(mock.has_value());
        const std::int32_t stalled = kafka::partitionForKey("t1", kPartitions);
        std::vector<std::string> tenants {"t1"};
        for (int i = 2; tenants.size() < 3 && i < 50; ++i) {
            const std::string name = "t" + std::to_string(i);
            if (kafka::partitionForKey(name, kPartitions) != stalled) {
                tenants.push_back(name);
            }
        }
        QCOMPARE(tenants.size(), std::size_t(3));
        Harness h;
        h.stallTimeout = 200ms;
        h.prepareTopic = [&](const std::string &topic) {
            for (std::int32_t p = 0; p < kPartitions; ++p) {
                if (!(*mock)->setPartitionLeader(topic, p, p == stalled ? 2 : 1)) {
                    return false;
                }
            }
            return true;
        };
        QVERIFY(h.start({{"bootstrap.servers", (*mock)->bootstrapServers()}}, tenants, 120s,
                        mock->get()));
        // The stall lasts 15 s and the produce timeout is 120 s: no request may wait 5 s.
        runThroughOutage(h,
                         {[&] { return (*mock)->setBrokerRoundTrip(2, 15s).has_value(); },
                          [&] { return (*mock)->setBrokerRoundTrip(2, 0ms).has_value(); }, true,
                          "stalled partition leader"},
                         5s);
    }

    void aStallUnderSustainedLoadEndsWhileTheLoadGoesOn()
    {
        // Thirty-two tenants send without pause, one connection each, through a 2 s stall
        // of the only broker and on after it. Through the outbox they keep the writer busy
        // all the time, so the spill must end by the catch-up (the writer holds new events
        // while the relay delivers the last rows, then hands them to the producer), while
        // the load goes on.
        auto mock = kafka::MockCluster::create(1);
        QVERIFY(mock.has_value());
        std::vector<std::string> tenants;
        for (int i = 1; i <= 32; ++i) {
            tenants.push_back("t" + std::to_string(i));
        }
        Harness h;
        h.stallTimeout = 200ms;
        QVERIFY(h.start({{"bootstrap.servers", (*mock)->bootstrapServers()}}, tenants, 120s,
                        mock->get()));
        Outage stall {[&] { return (*mock)->setBrokerRoundTrip(1, 2s).has_value(); },
                      [&] { return (*mock)->setBrokerRoundTrip(1, 0ms).has_value(); }, true,
                      "stall under sustained load"};
        stall.endsUnderLoad = true;
        runThroughOutage(h, stall);
    }

    void realBrokerStoppedSpillsAndLosesNothing()
    {
        test::OwnBroker broker;
        QVERIFY2(!broker.bootstrap().empty(), "the test's own broker did not start");
        // A produce timeout far beyond the test's waits: the spill must come from the
        // producer reporting every broker down, with the events in flight handed over.
        Harness h;
        QVERIFY(h.start({{"bootstrap.servers", broker.bootstrap()}}, {"t1", "t2", "t3"}, 120s));
        runThroughOutage(h,
                         {[&] { return broker.stop(); }, [&] { return broker.restart(); }, true,
                          "broker outage"});
    }

    void realBrokerStoppedUnderSustainedBatchLoadLosesNothing()
    {
        // Eight tenants send batches of 25 without pause while the broker stops and starts
        // again, so the outbox holds tens of thousands of events when it is back. The writer
        // takes batches faster than the relay delivers them: the spill ends while the load
        // goes on only because the writer paces its appends to the relay's deliveries.
        test::OwnBroker broker;
        QVERIFY2(!broker.bootstrap().empty(), "the test's own broker did not start");
        std::vector<std::string> tenants;
        for (int i = 1; i <= 8; ++i) {
            tenants.push_back("t" + std::to_string(i));
        }
        Harness h;
        QVERIFY(h.start({{"bootstrap.servers", broker.bootstrap()}}, tenants, 120s));
        Outage outage {[&] { return broker.stop(); }, [&] { return broker.restart(); }, true,
                       "broker outage under sustained batch load"};
        outage.endsUnderLoad = true;
        outage.eventsPerRequest = 25;
        outage.acceptedDuring = 20000;
        outage.spillEndsWithin = 120s;
        runThroughOutage(h, outage);
    }

    void engineKilledWhileSpillingLosesNothing()
    {
        test::OwnBroker broker;
        QTemporaryDir dataDir;
        QVERIFY2(!broker.bootstrap().empty(), "the test's own broker did not start");
        const QString bootstrap = QString::fromStdString(broker.bootstrap());

        std::string key;
        {
            auto db = store::Database::open(store::Database::pathIn(dataDir.path().toStdString()));
            QVERIFY(db.has_value());
            auto added = store::TenantStore(**db).addTenant("acme");
            QVERIFY(added.has_value());
            key = *added;
        }
        const QStringList engineArguments = {QStringLiteral("run"),
                                             QStringLiteral("--broker"),
                                             bootstrap,
                                             QStringLiteral("--data"),
                                             dataDir.path(),
                                             QStringLiteral("--listen"),
                                             QStringLiteral("127.0.0.1:0"),
                                             QStringLiteral("--log-level"),
                                             QStringLiteral("warn")};
        auto startEngine = [&](QProcess &engine) -> std::uint16_t {
            engine.start(qEnvironmentVariable("LOGDECK_CLI"), engineArguments);
            engine.waitForStarted(5000);
            QDeadlineTimer deadline(30s);
            while (!deadline.hasExpired() && engine.state() == QProcess::Running) {
                engine.waitForReadyRead(200);
                while (engine.canReadLine()) {
                    const QString line = QString::fromUtf8(engine.readLine()).trimmed();
                    if (line.startsWith(QStringLiteral("collector=http://127.0.0.1:"))) {
                        return static_cast<std::uint16_t>(
                            line.section(QLatin1Char(':'), -1).toUInt());
                    }
                }
            }
            qWarning() << engine.readAllStandardError();
            return 0;
        };

        QProcess first;
        const std::uint16_t port = startEngine(first);
        QVERIFY(port != 0);
        QVERIFY(broker.stop());
        std::vector<std::string> accepted;
        {
            test::HttpClient client("127.0.0.1", port);
            for (int i = 0; i < 300; ++i) {
                const std::string id = "k-" + std::to_string(i);
                const auto result = client.postJson("/v1/events", key, eventJson(id, i));
                QCOMPARE(result.status, 202);
                accepted.push_back(id);
            }
            const auto metrics = client.request("GET", "/metrics");
            QVERIFY2(metrics.body.find("logdeck_spill_active 1") != std::string::npos,
                     "the engine is not spilling");
        }
        ::kill(static_cast<pid_t>(first.processId()), SIGKILL);
        QVERIFY(first.waitForFinished(10000));

        QVERIFY(broker.restart());
        QProcess second;
        const std::uint16_t secondPort = startEngine(second);
        QVERIFY(secondPort != 0);
        test::HttpClient client("127.0.0.1", secondPort);
        QTRY_VERIFY_WITH_TIMEOUT(
            client.request("GET", "/metrics").body.find("logdeck_outbox_depth 0\n")
                != std::string::npos,
            60000);

        kafka::ClientSettings settings {{"bootstrap.servers", bootstrap.toStdString()}};
        auto consumer = kafka::Consumer::create(settings, test::uniqueName("killed"));
        QVERIFY(consumer.has_value());
        QVERIFY((*consumer)->subscribe({"events.raw"}).has_value());
        std::set<std::string> ids;
        std::size_t copies = 0;
        QDeadlineTimer deadline(45s);
        while (ids.size() < accepted.size() && !deadline.hasExpired()) {
            if (auto batch = (*consumer)->poll(1000, 300ms)) {
                for (const auto &record : *batch) {
                    ids.insert(kafka::headerValue(record.headers, "event-id"));
                    ++copies;
                }
            }
        }
        for (const auto &id : accepted) {
            QVERIFY2(ids.contains(id), id.c_str());
        }
        qInfo("engine killed while spilling: %zu accepted, %zu copies in Kafka", accepted.size(),
              copies);
        // Stopped while the broker is down, the engine exits cleanly. Its last heartbeat
        // waits 5 s for an acknowledgement; the report came later, when the producer purged
        // the record, and was written into the finished wait's stack frame: exit 139.
        QVERIFY(broker.stop());
        ::kill(static_cast<pid_t>(second.processId()), SIGTERM);
        QVERIFY(second.waitForFinished(45000));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCollector)
#include "tst_collector.moc"
