// The HTTP load generator against a small in-test collector stand-in (Boost.Beast on its own
// thread) that answers like the real one, rejects some requests with 503, and records what
// it saw: ids, keys, bodies. Also `logdeck-cli loadgen` as a process against the same server.

#include "loadgen/load_generator.h"
#include "support/cli_runner.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

using namespace logdeck;
using namespace logdeck::loadgen;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

/// What the stand-in collector saw and answered.
struct Seen
{
    std::int64_t requests = 0;
    std::int64_t events = 0;
    std::int64_t connections = 0;
    std::map<int, std::int64_t> statuses; ///< per event, as answered
    std::vector<std::string> ids; ///< every event id, resends included
    std::set<std::string> acceptedIds; ///< ids answered 202 at least once
    std::set<std::string> acceptedPoisonIds;
    std::int64_t poisonEvents = 0;
    std::map<std::string, std::int64_t> authorizations;
    std::map<std::string, std::int64_t> paths;
    std::map<int, std::int64_t> eventsPerRequest;
    std::vector<std::string> problems; ///< malformed requests or events, resends that differ
};

/// How the stand-in collector misbehaves.
struct Behaviour
{
    int rejectEvery = 0; ///< every n-th request is answered 503
    int rejectEventEvery = 0; ///< in batches, every n-th event is answered 422
    int closeEvery = 0; ///< every n-th response closes the connection
    std::chrono::milliseconds delay {0}; ///< before each answer
    /// Requests slowRequests.first .. .second (1-based, in arrival order) wait slowDelay.
    std::pair<std::int64_t, std::int64_t> slowRequests {0, 0};
    std::chrono::milliseconds slowDelay {0};
    bool silent = false; ///< read requests, never answer
};

class TestServer
{
public:
    explicit TestServer(Behaviour behaviour = {})
        : m_behaviour(behaviour)
        , m_acceptor(m_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))
    {
        accept();
        m_thread = std::thread([this] { m_io.run(); });
    }

    ~TestServer()
    {
        m_io.stop();
        m_thread.join();
    }

    std::string url() const
    {
        return "http://127.0.0.1:" + std::to_string(m_acceptor.local_endpoint().port());
    }

    Seen seen() const
    {
        const std::lock_guard lock(m_mutex);
        return m_seen;
    }

private:
    struct Session : std::enable_shared_from_this<Session>
    {
        Session(TestServer &owner, tcp::socket accepted)
            : server(owner)
            , socket(std::move(accepted))
            , timer(socket.get_executor())
        {
        }

        void read()
        {
            request = {};
            http::async_read(socket, buffer, request,
                             [self = shared_from_this()](beast::error_code error, std::size_t) {
                                 if (!error) {
                                     self->answer();
                                 }
                             });
        }

        void answer()
        {
            if (server.m_behaviour.silent) {
                read(); // keep the connection open and never answer
                return;
            }
            std::int64_t number = 0;
            response = server.handle(request, number);
            const Behaviour &behaviour = server.m_behaviour;
            const bool slow =
                number >= behaviour.slowRequests.first && number <= behaviour.slowRequests.second;
            if (const auto delay = slow ? behaviour.slowDelay : behaviour.delay; delay > 0ms) {
                timer.expires_after(delay);
                timer.async_wait([self = shared_from_this()](beast::error_code) { self->write(); });
            } else {
                write();
            }
        }

        void write()
        {
            http::async_write(socket, response,
                              [self = shared_from_this()](beast::error_code error, std::size_t) {
                                  if (error || !self->response.keep_alive()) {
                                      beast::error_code ignored;
                                      self->socket.shutdown(tcp::socket::shutdown_send, ignored);
                                      return;
                                  }
                                  self->read();
                              });
        }

        TestServer &server;
        tcp::socket socket;
        asio::steady_timer timer;
        beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::response<http::string_body> response;
    };

    void accept()
    {
        m_acceptor.async_accept([this](beast::error_code error, tcp::socket socket) {
            if (error) {
                return;
            }
            {
                const std::lock_guard lock(m_mutex);
                ++m_seen.connections;
            }
            std::make_shared<Session>(*this, std::move(socket))->read();
            accept();
        });
    }

    /// Checks one event as the collector's contract describes it; returns its id.
    QString checkEvent(const QJsonObject &event, const std::string &raw)
    {
        static const QRegularExpression uuidV4(QStringLiteral(
            "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
        static const QRegularExpression rfc3339(
            QStringLiteral(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)"));
        static const QRegularExpression campaign(QStringLiteral("^c-[0-9]+$"));
        const QString id = event.value(QStringLiteral("id")).toString();
        const QJsonObject attributes = event.value(QStringLiteral("attributes")).toObject();
        if (!uuidV4.match(id).hasMatch()
            || !rfc3339.match(event.value(QStringLiteral("occurredAt")).toString()).hasMatch()
            || !campaign.match(event.value(QStringLiteral("campaignId")).toString()).hasMatch()
            || event.value(QStringLiteral("type")).toString().isEmpty()
            || attributes.value(QStringLiteral("device")).toString().isEmpty()
            || attributes.value(QStringLiteral("country")).toString().isEmpty()) {
            m_seen.problems.push_back("malformed event: " + raw);
        }
        const QJsonValue poison = attributes.value(QStringLiteral("logdeck.poison"));
        if (!poison.isUndefined() && poison != QJsonValue(true)) {
            m_seen.problems.push_back("bad poison marker: " + raw);
        }
        const std::string key = id.toStdString();
        const QByteArray compact = QJsonDocument(event).toJson(QJsonDocument::Compact);
        const auto [it, inserted] = m_bodies.emplace(key, compact);
        if (!inserted && it->second != compact) {
            m_seen.problems.push_back("a resend differs from the first send: " + raw);
        }
        m_seen.ids.push_back(key);
        return id;
    }

    void count(const QJsonObject &event, const QString &id, int status)
    {
        ++m_seen.events;
        ++m_seen.statuses[status];
        const bool poison = event.value(QStringLiteral("attributes"))
                                .toObject()
                                .value(QStringLiteral("logdeck.poison"))
            == QJsonValue(true);
        m_seen.poisonEvents += poison ? 1 : 0;
        if (status == 202) {
            m_seen.acceptedIds.insert(id.toStdString());
            if (poison) {
                m_seen.acceptedPoisonIds.insert(id.toStdString());
            }
        }
    }

    http::response<http::string_body> handle(const http::request<http::string_body> &request,
                                             std::int64_t &number)
    {
        const std::lock_guard lock(m_mutex);
        number = ++m_seen.requests;
        const std::string path(request.target());
        ++m_seen.paths[path];
        ++m_seen.authorizations[std::string(request[http::field::authorization])];
        if (request.method() != http::verb::post
            || request[http::field::content_type] != "application/json") {
            m_seen.problems.push_back("not a JSON POST: " + path);
        }

        const QJsonDocument document = QJsonDocument::fromJson(
            QByteArray(request.body().data(), qsizetype(request.body().size())));
        const bool batch = path == "/v1/events:batch";
        QJsonArray events;
        if (batch) {
            events = document.object().value(QStringLiteral("events")).toArray();
        } else if (document.isObject()) {
            events.append(document.object());
        }
        if (events.isEmpty()) {
            m_seen.problems.push_back("no events in: " + request.body());
        }
        ++m_seen.eventsPerRequest[int(events.size())];

        const bool reject = m_behaviour.rejectEvery > 0 && number % m_behaviour.rejectEvery == 0;
        http::response<http::string_body> response {
            reject ? http::status::service_unavailable
                   : (batch ? http::status::ok : http::status::accepted),
            request.version()};
        response.set(http::field::content_type, "application/json");
        QJsonArray results;
        for (qsizetype i = 0; i < events.size(); ++i) {
            const QJsonObject event = events.at(i).toObject();
            const QString id = checkEvent(event, QJsonDocument(event).toJson().toStdString());
            int status = reject ? 503 : 202;
            if (!reject && batch && m_behaviour.rejectEventEvery > 0
                && ++m_batchEvents % m_behaviour.rejectEventEvery == 0) {
                status = 422;
            }
            count(event, id, status);
            if (status == 422) {
                results.append(
                    QJsonObject {{QStringLiteral("index"), int(i)},
                                 {QStringLiteral("status"), 422},
                                 {QStringLiteral("error"), QStringLiteral("unknown type")},
                                 {QStringLiteral("field"), QStringLiteral("type")}});
            } else {
                results.append(
                    QJsonObject {{QStringLiteral("id"), id}, {QStringLiteral("status"), 202}});
            }
        }
        if (reject) {
            response.set(http::field::retry_after, "1");
            response.body() = R"({"error":"busy, retry later","field":""})";
        } else if (batch) {
            response.body() = QJsonDocument(QJsonObject {{QStringLiteral("results"), results}})
                                  .toJson(QJsonDocument::Compact)
                                  .toStdString();
        } else {
            response.body() = R"({"id":")"
                + events.at(0).toObject().value(QStringLiteral("id")).toString().toStdString()
                + R"(","status":"accepted"})";
        }
        const bool close = m_behaviour.closeEvery > 0 && number % m_behaviour.closeEvery == 0;
        response.keep_alive(request.keep_alive() && !close);
        response.prepare_payload();
        return response;
    }

    const Behaviour m_behaviour;
    asio::io_context m_io;
    tcp::acceptor m_acceptor;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    Seen m_seen;
    std::map<std::string, QByteArray> m_bodies;
    std::int64_t m_batchEvents = 0;
};

/// A loopback port that nothing listens on (bound once, then released).
int unusedPort()
{
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return acceptor.local_endpoint().port();
}

LoadOptions options(const std::string &url, std::chrono::milliseconds duration = 400ms)
{
    LoadOptions options;
    options.url = url;
    options.keys = {"key-one"};
    options.duration = duration;
    options.connections = 4;
    return options;
}

std::int64_t statusCount(const std::map<int, std::int64_t> &statuses, int status)
{
    const auto it = statuses.find(status);
    return it == statuses.end() ? 0 : it->second;
}

QString describe(const Seen &seen)
{
    QStringList lines;
    for (const auto &problem : seen.problems) {
        lines << QString::fromStdString(problem);
        if (lines.size() > 3) {
            break;
        }
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace

class TestLoadGenerator : public QObject
{
    Q_OBJECT

private:
    static test::CliOutcome runCli(const QStringList &arguments)
    {
        return test::runCli(QStringList {QStringLiteral("loadgen")} + arguments);
    }

private Q_SLOTS:
    void closedLoopCountsWhatTheServerAnswered()
    {
        TestServer server({.rejectEvery = 7});
        auto load = options(server.url());
        load.connections = 8;
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        const Seen seen = server.seen();
        QVERIFY2(seen.problems.empty(), qPrintable(describe(seen)));

        QVERIFY(report->requests > 50);
        QCOMPARE(report->sent, seen.events);
        QCOMPARE(report->requests, seen.requests);
        QCOMPARE(report->statuses, seen.statuses);
        QVERIFY(statusCount(report->statuses, 503) > 0);
        QCOMPARE(report->accepted, statusCount(seen.statuses, 202));
        QCOMPARE(report->distinctAccepted, std::int64_t(seen.acceptedIds.size()));
        QCOMPARE(report->distinctAccepted, report->accepted); // no resends asked for
        QCOMPARE(report->latency.count(), report->requests);
        QVERIFY(report->latency.percentile(50) > 0);
        QVERIFY(report->latency.percentile(99) <= report->latency.max());
        QCOMPARE(seen.paths.size(), std::size_t(1));
        QCOMPARE(seen.paths.begin()->first, std::string("/v1/events"));
        QCOMPARE(seen.eventsPerRequest, (std::map<int, std::int64_t> {{1, seen.requests}}));
        QVERIFY(seen.connections <= 8);
        QVERIFY(report->elapsedSeconds > 0.35 && report->elapsedSeconds < 1.0);
        QVERIFY(std::abs(report->achievedRate - double(report->requests) / report->elapsedSeconds)
                < 1e-6);
    }

    void openLoopHoldsTheRate()
    {
        TestServer server;
        auto load = options(server.url(), 1000ms);
        load.rate = 200;
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        QCOMPARE(report->requests, server.seen().requests);
        QVERIFY2(report->requests >= 150 && report->requests <= 250,
                 qPrintable(QString::number(report->requests)));
        QVERIFY2(report->achievedRate >= 150 && report->achievedRate <= 250,
                 qPrintable(QString::number(report->achievedRate)));
        QCOMPARE(statusCount(report->statuses, 202), report->sent);
    }

    void openLoopCountsTheWaitForAConnection()
    {
        // One connection, answers after 20 ms (50/s), asked for 100/s: requests queue up, and
        // their latency runs from when they should have been sent, not from when they were.
        TestServer server({.delay = 20ms});
        auto load = options(server.url(), 1000ms);
        load.rate = 100;
        load.connections = 1;
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        QVERIFY2(report->requests >= 35 && report->requests <= 60,
                 qPrintable(QString::number(report->requests)));
        QVERIFY2(report->latency.max() > 300, qPrintable(QString::number(report->latency.max())));
        QVERIFY(report->latency.percentile(10) < 100);
    }

    void theTimelineShowsWhenRequestsWereSlow()
    {
        // 100 requests/s for 3 s; the server holds the 101st to 150th (sent in the second
        // second) for 150 ms. Only that second shows requests over 100 ms.
        TestServer server({.slowRequests = {101, 150}, .slowDelay = 150ms});
        auto load = options(server.url(), 3000ms);
        load.rate = 100;
        load.connections = 32;
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        QVERIFY2(report->timeline.size() == 3, qPrintable(QString::number(report->timeline.size())));
        std::int64_t requests = 0;
        for (const auto &second : report->timeline) {
            requests += second.requests;
            QVERIFY(second.over100ms <= second.over10ms && second.over10ms <= second.over1ms
                    && second.over1ms <= second.requests);
        }
        QCOMPARE(requests, report->requests);
        QCOMPARE(report->timeline[0].over100ms, std::int64_t(0));
        QCOMPARE(report->timeline[1].over100ms, std::int64_t(50));
        QCOMPARE(report->timeline[2].over100ms, std::int64_t(0));
        QVERIFY(report->timeline[1].maxMs >= 150);
        QCOMPARE(report->timeline[1].maxMs, report->latency.max());
    }

    void resendsReuseIdsAndCountThemOnce()
    {
        TestServer server({.rejectEvery = 5});
        auto load = options(server.url());
        load.dupRate = 0.5;
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        const Seen seen = server.seen();
        QVERIFY2(seen.problems.empty(), qPrintable(describe(seen)));
        const std::set<std::string> distinct(seen.ids.begin(), seen.ids.end());
        const double resent = 1 - double(distinct.size()) / double(seen.ids.size());
        QVERIFY2(resent > 0.35 && resent < 0.55, qPrintable(QString::number(resent)));
        QCOMPARE(report->sent, std::int64_t(seen.ids.size()));
        QCOMPARE(report->accepted, statusCount(seen.statuses, 202));
        QCOMPARE(report->distinctAccepted, std::int64_t(seen.acceptedIds.size()));
        QVERIFY(report->distinctAccepted < report->accepted);
    }

    void poisonEventsCarryTheMarker()
    {
        TestServer server({.rejectEvery = 4});
        auto load = options(server.url());
        load.poisonRate = 0.3;
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        const Seen seen = server.seen();
        QVERIFY2(seen.problems.empty(), qPrintable(describe(seen)));
        const double share = double(seen.poisonEvents) / double(seen.events);
        QVERIFY2(share > 0.2 && share < 0.4, qPrintable(QString::number(share)));
        QVERIFY(!seen.acceptedPoisonIds.empty());
        QCOMPARE(report->distinctPoisonAccepted, std::int64_t(seen.acceptedPoisonIds.size()));
    }

    void batchesCarryManyEventsEach()
    {
        TestServer server({.rejectEvery = 6, .rejectEventEvery = 4});
        auto load = options(server.url());
        load.batch = 10;
        load.dupRate = 0.2;
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        const Seen seen = server.seen();
        QVERIFY2(seen.problems.empty(), qPrintable(describe(seen)));
        QCOMPARE(seen.paths,
                 (std::map<std::string, std::int64_t> {{"/v1/events:batch", seen.requests}}));
        QCOMPARE(seen.eventsPerRequest, (std::map<int, std::int64_t> {{10, seen.requests}}));
        QCOMPARE(report->requests, seen.requests);
        QCOMPARE(report->sent, 10 * seen.requests);
        QCOMPARE(report->statuses, seen.statuses);
        QVERIFY(statusCount(report->statuses, 422) > 0);
        QVERIFY(statusCount(report->statuses, 503) > 0);
        QCOMPARE(report->distinctAccepted, std::int64_t(seen.acceptedIds.size()));
        QCOMPARE(report->latency.count(), report->requests);
    }

    void keysGoRoundRobinOverTheTenants()
    {
        TestServer server;
        auto load = options(server.url(), 300ms);
        load.keys = {"k1", "k2", "k3", "k4"};
        load.tenants = 3;
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        const auto seen = server.seen().authorizations;
        QCOMPARE(seen.size(), std::size_t(3));
        std::int64_t fewest = report->requests;
        std::int64_t most = 0;
        for (const char *key : {"Bearer k1", "Bearer k2", "Bearer k3"}) {
            QVERIFY2(seen.contains(key), key);
            fewest = std::min(fewest, seen.at(key));
            most = std::max(most, seen.at(key));
        }
        // Each I/O thread goes round-robin on its own, so the shares differ by a request or two.
        QVERIFY2(most - fewest <= 2, qPrintable(QStringLiteral("%1 .. %2").arg(fewest).arg(most)));
    }

    void reconnectsWhenTheServerCloses()
    {
        TestServer server({.closeEvery = 3});
        auto load = options(server.url(), 300ms);
        const auto report = runLoad(load);
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        const Seen seen = server.seen();
        QVERIFY(seen.connections > 4);
        QCOMPARE(statusCount(report->statuses, 0), std::int64_t(0));
        QCOMPARE(report->sent, seen.events);
        QVERIFY2(report->firstError.empty(), report->firstError.c_str());
    }

    void rejectsBadOptions_data()
    {
        QTest::addColumn<QString>("option");
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no scheme") << "url:127.0.0.1:8080" << 0.0 << "--url must look like";
        QTest::newRow("https") << "url:https://127.0.0.1:8443" << 0.0 << "HTTPS is not supported";
        QTest::newRow("no host") << "url:http://:8080" << 0.0 << "--url";
        QTest::newRow("bad port") << "url:http://127.0.0.1:99999" << 0.0 << "--url";
        QTest::newRow("no keys") << "keys" << 0.0 << "--key is required";
        QTest::newRow("key with space") << "key with space" << 0.0 << "--key #1";
        QTest::newRow("too many tenants") << "tenants" << 2.0 << "--tenants";
        QTest::newRow("negative tenants") << "tenants" << -1.0 << "--tenants";
        QTest::newRow("negative rate") << "rate" << -1.0 << "--rate must be ≥ 0";
        QTest::newRow("no connections") << "connections" << 0.0 << "--connections";
        QTest::newRow("too many connections") << "connections" << 10001.0 << "--connections";
        QTest::newRow("zero duration") << "duration" << 0.0 << "--duration must be > 0";
        QTest::newRow("no batch") << "batch" << 0.0 << "--batch";
        QTest::newRow("huge batch") << "batch" << 1001.0 << "--batch";
        QTest::newRow("dup rate above 1") << "dupRate" << 1.5 << "--dup-rate";
        QTest::newRow("negative poison rate") << "poisonRate" << -0.1 << "--poison-rate";
    }

    void rejectsBadOptions()
    {
        QFETCH(QString, option);
        QFETCH(double, value);
        QFETCH(QString, expected);
        LoadOptions load = options("http://127.0.0.1:8080");
        if (option.startsWith("url:")) {
            load.url = option.mid(4).toStdString();
        } else if (option == "keys") {
            load.keys.clear();
        } else if (option == "key with space") {
            load.keys = {"a key"};
        } else if (option == "tenants") {
            load.tenants = int(value);
        } else if (option == "rate") {
            load.rate = value;
        } else if (option == "connections") {
            load.connections = int(value);
        } else if (option == "duration") {
            load.duration = std::chrono::milliseconds(std::int64_t(value));
        } else if (option == "batch") {
            load.batch = int(value);
        } else if (option == "dupRate") {
            load.dupRate = value;
        } else if (option == "poisonRate") {
            load.poisonRate = value;
        }
        QElapsedTimer timer;
        timer.start();
        const auto report = runLoad(load);
        QVERIFY(!report.has_value());
        QCOMPARE(report.error().code, Error::Code::InvalidArgument);
        QVERIFY2(QString::fromStdString(report.error().message).contains(expected),
                 report.error().message.c_str());
        QVERIFY(timer.elapsed() < 100); // refused before any network work
    }

    void refusedConnectionsAreCountedNotHung_data()
    {
        QTest::addColumn<double>("rate");
        QTest::newRow("closed loop") << 0.0;
        QTest::newRow("open loop") << 100.0;
    }

    void refusedConnectionsAreCountedNotHung()
    {
        QFETCH(double, rate);
        auto load = options("http://127.0.0.1:" + std::to_string(unusedPort()), 20000ms);
        load.rate = rate;
        QElapsedTimer timer;
        timer.start();
        const auto report = runLoad(load);
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        QVERIFY(report->requests > 0);
        QCOMPARE(statusCount(report->statuses, 0), report->sent);
        QCOMPARE(report->answered(), std::int64_t(0));
        QCOMPARE(report->latency.count(), std::int64_t(0));
        QVERIFY2(QString::fromStdString(report->firstError)
                     .contains(QString::fromStdString("cannot connect to " + load.url)),
                 report->firstError.c_str());
    }

    void stopFlagEndsTheRunEarly()
    {
        TestServer server;
        std::atomic<bool> stop {false};
        std::thread stopper([&stop] {
            std::this_thread::sleep_for(200ms);
            stop = true;
        });
        QElapsedTimer timer;
        timer.start();
        const auto report = runLoad(options(server.url(), 60000ms), &stop);
        stopper.join();
        QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        QVERIFY(report->requests > 0);
        QVERIFY(report->elapsedSeconds < 1.5);
        QCOMPARE(report->sent, server.seen().events);
    }

    void unansweredRequestsAreDrainedWithABound()
    {
        // A server that never answers: the run ends after its duration plus the 5 s drain,
        // and the requests in flight count as transport errors.
        TestServer server({.silent = true});
        QElapsedTimer timer;
        timer.start();
        const auto report = runLoad(options(server.url(), 200ms));
        QVERIFY2(timer.elapsed() < 8000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        QCOMPARE(report->requests, std::int64_t(4)); // one per connection, never answered
        QCOMPARE(statusCount(report->statuses, 0), report->sent);
        QVERIFY2(QString::fromStdString(report->firstError).contains("no answer"),
                 report->firstError.c_str());
    }

    void cliPrintsAJsonReport()
    {
        if (!QFile::exists(test::cliPath())) {
            QFAIL("LOGDECK_CLI does not point at a built logdeck-cli");
        }
        TestServer server;
        const auto outcome =
            runCli({"--url", QString::fromStdString(server.url()), "--key", "a,b", "--key", "c",
                    "--duration", "0.3", "--connections", "2", "--batch", "5", "--json"});
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.err));
        const QStringList lines = outcome.out.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 1);
        const QJsonObject json = QJsonDocument::fromJson(lines.first().toUtf8()).object();
        const Seen seen = server.seen();
        QCOMPARE(std::int64_t(json.value("sent").toInteger()), seen.events);
        QCOMPARE(std::int64_t(json.value("requests").toInteger()), seen.requests);
        QCOMPARE(std::int64_t(json.value("accepted").toInteger()), seen.events);
        QCOMPARE(std::int64_t(json.value("statuses").toObject().value("202").toInteger()),
                 seen.events);
        QCOMPARE(std::int64_t(json.value("distinctAccepted").toInteger()),
                 std::int64_t(seen.acceptedIds.size()));
        QCOMPARE(std::int64_t(json.value("errors").toInteger()), std::int64_t(0));
        for (const char *key :
             {"distinctPoisonAccepted", "achievedRate", "eventsPerSecond", "elapsedSeconds"}) {
            QVERIFY2(json.value(key).isDouble(), key);
        }
        const QJsonObject latency = json.value("latencyMs").toObject();
        for (const char *key : {"p50", "p95", "p99", "max"}) {
            QVERIFY2(latency.value(key).toDouble() > 0, key);
        }
        const QJsonArray timeline = json.value("timeline").toArray();
        QCOMPARE(timeline.size(), 1); // a 0.3 s run
        const QJsonObject second = timeline.first().toObject();
        QCOMPARE(std::int64_t(second.value("requests").toInteger()), seen.requests);
        QCOMPARE(second.value("maxMs").toDouble(), latency.value("max").toDouble());
        for (const char *key : {"over1ms", "over10ms", "over100ms"}) {
            QVERIFY2(second.value(key).isDouble(), key);
        }
        QCOMPARE(seen.authorizations.size(), std::size_t(3));
    }

    void cliPrintsATextReportAndStopsOnSigint()
    {
        if (!QFile::exists(test::cliPath())) {
            QFAIL("LOGDECK_CLI does not point at a built logdeck-cli");
        }
        TestServer server;
        QProcess process;
        process.start(test::cliPath(),
                      {"loadgen", "--url", QString::fromStdString(server.url()), "--key", "k",
                       "--duration", "60", "--rate", "500"});
        QVERIFY(process.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(server.seen().requests > 20, 10000);
        ::kill(pid_t(process.processId()), SIGINT);
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitCode(), 0);
        const QString out = QString::fromUtf8(process.readAllStandardOutput());
        QVERIFY2(out.contains("req/s") && out.contains("202: ") && out.contains("p99"),
                 qPrintable(out));
    }

    void cliExitCodes()
    {
        if (!QFile::exists(test::cliPath())) {
            QFAIL("LOGDECK_CLI does not point at a built logdeck-cli");
        }
        const auto noKey = runCli({"--url", "http://127.0.0.1:8080"});
        QCOMPARE(noKey.exitCode, 2);
        QVERIFY2(noKey.err.contains("--key"), qPrintable(noKey.err));

        const auto notANumber =
            runCli({"--url", "http://127.0.0.1:8080", "--key", "k", "--rate", "fast"});
        QCOMPARE(notANumber.exitCode, 2);
        QVERIFY2(notANumber.err.contains("--rate must be a number"), qPrintable(notANumber.err));

        const auto outOfRange =
            runCli({"--url", "http://127.0.0.1:8080", "--key", "k", "--batch", "5000"});
        QCOMPARE(outOfRange.exitCode, 2);
        QVERIFY2(outOfRange.err.contains("--batch"), qPrintable(outOfRange.err));

        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(unusedPort());
        const auto refused = runCli({"--url", url, "--key", "k", "--duration", "30"});
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains("cannot connect to " + url), qPrintable(refused.err));
        QCOMPARE(refused.err.trimmed().count(QLatin1Char('\n')), 0);
        QVERIFY(refused.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestLoadGenerator)
#include "tst_load_generator.moc"
