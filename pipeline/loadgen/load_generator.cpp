#include "loadgen/load_generator.h"

#include "common/json_depth.h"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <charconv>
#include <cmath>
#include <ctime>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string_view>
#include <thread>

namespace logdeck::loadgen {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// How long a stopped run waits for the answers to requests in flight.
constexpr auto DrainTimeout = 5s;
/// How often each I/O thread looks at the stop flag and the clock.
constexpr auto ControlInterval = 10ms;
/// After a refused connection, a connection waits this long, doubling up to MaxBackoff,
/// so that a collector that is down is not hammered with connects.
constexpr auto MinBackoff = 50ms;
constexpr auto MaxBackoff = 1000ms;
/// The run gives up early when this many connects failed and none ever succeeded.
constexpr int RefusalsBeforeGivingUp = 3;
/// Event ids kept per I/O thread for resends, shared out among the keys in use.
constexpr std::size_t RememberedEventsPerThread = 65536;
constexpr std::size_t MaxRememberedPerKey = 4096;
constexpr std::size_t MinRememberedPerKey = 16;

// ---- options ----------------------------------------------------------------------------

struct Target
{
    std::string host; ///< without IPv6 brackets, for the resolver
    std::string port;
    std::string hostHeader; ///< as written in the URL
    std::string pathPrefix; ///< "" or "/prefix", no trailing slash
};

bool isPrintableToken(std::string_view text)
{
    return std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

Result<Target> parseUrl(std::string_view url)
{
    auto bad = [&](std::string_view why) {
        return fail(Error::invalid("--url must look like http://127.0.0.1:8080 (" + std::string(why)
                                   + "), got '" + std::string(url) + "'"));
    };
    constexpr std::string_view scheme = "http://";
    if (url.starts_with("https://")) {
        return bad("HTTPS is not supported");
    }
    if (!url.starts_with(scheme)) {
        return bad("it must start with http://");
    }
    std::string_view rest = url.substr(scheme.size());
    const std::size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    if (authority.empty()) {
        return bad("no host");
    }
    if (!isPrintableToken(authority) || authority.find_first_of("@?#") != std::string_view::npos) {
        return bad("a bad character in the host");
    }
    if (!isPrintableToken(path) || path.find_first_of("?#") != std::string_view::npos) {
        return bad("a query, fragment or space in the path");
    }
    while (path.ends_with('/')) {
        path.remove_suffix(1);
    }

    Target target;
    target.hostHeader = std::string(authority);
    target.pathPrefix = std::string(path);
    std::string_view portText;
    if (authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos || close == 1) {
            return bad("an unclosed IPv6 address");
        }
        target.host = std::string(authority.substr(1, close - 1));
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty() && !after.starts_with(':')) {
            return bad("junk after the IPv6 address");
        }
        portText = after.empty() ? std::string_view() : after.substr(1);
    } else {
        const std::size_t colon = authority.rfind(':');
        target.host = std::string(authority.substr(0, colon));
        portText =
            colon == std::string_view::npos ? std::string_view() : authority.substr(colon + 1);
        if (target.host.empty()) {
            return bad("no host");
        }
    }
    if (portText.empty()) {
        target.port = "80";
    } else {
        int port = 0;
        const auto [end, error] =
            std::from_chars(portText.data(), portText.data() + portText.size(), port);
        if (error != std::errc() || end != portText.data() + portText.size() || port < 1
            || port > 65535) {
            return bad("the port must be 1..65535");
        }
        target.port = std::string(portText);
    }
    return target;
}

// ---- events -----------------------------------------------------------------------------

/// splitmix64: fast, tiny state, and plenty random for ids and coin flips. One per thread.
class Random
{
public:
    explicit Random(std::uint64_t seed)
        : m_state(seed)
    {
    }

    std::uint64_t next()
    {
        std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    /// Uniform in [0, 1).
    double uniform() { return double(next() >> 11) * 0x1.0p-53; }

    /// Uniform in [0, n).
    std::uint32_t below(std::uint32_t n)
    {
        return std::uint32_t((std::uint64_t(std::uint32_t(next())) * n) >> 32);
    }

private:
    std::uint64_t m_state;
};

constexpr std::array<std::string_view, 3> Devices = {"mobile", "desktop", "tablet"};
constexpr std::array<std::string_view, 10> Countries = {"DE", "US", "FR", "GB", "NL",
                                                        "ES", "IT", "PL", "SE", "JP"};
// Weighted like a real funnel: many views, fewer clicks, few purchases.
constexpr std::array<std::string_view, 20> EventTypes = {
    "view",  "view",  "view",        "view",        "view",     "view",  "view",
    "view",  "view",  "view",        "click",       "click",    "click", "click",
    "click", "click", "add_to_cart", "add_to_cart", "purchase", "signup"};

constexpr std::size_t UuidLength = 36;
constexpr std::size_t TimestampLength = 24; // 2026-11-26T15:04:05.123Z

/// One event as sent, kept while a request or the resend ring refers to it, so that a
/// resend repeats the same event and its first 202 is counted once.
struct EventRecord
{
    std::array<char, UuidLength> id {};
    std::array<char, TimestampLength> occurredAt {};
    std::uint32_t references = 0;
    std::uint16_t campaign = 1;
    std::uint8_t type = 0;
    std::uint8_t device = 0;
    std::uint8_t country = 0;
    bool poison = false;
    bool accepted = false;
};

void writeUuidV4(Random &random, std::array<char, UuidLength> &out)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::array<std::uint8_t, 16> bytes {};
    const std::uint64_t high = random.next();
    const std::uint64_t low = random.next();
    for (int i = 0; i < 8; ++i) {
        bytes[std::size_t(i)] = std::uint8_t(high >> (56 - 8 * i));
        bytes[std::size_t(i) + 8] = std::uint8_t(low >> (56 - 8 * i));
    }
    bytes[6] = std::uint8_t((bytes[6] & 0x0f) | 0x40); // version 4
    bytes[8] = std::uint8_t((bytes[8] & 0x3f) | 0x80); // RFC 4122 variant
    std::size_t pos = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[pos++] = '-';
        }
        out[pos++] = hex[bytes[i] >> 4];
        out[pos++] = hex[bytes[i] & 0x0f];
    }
}

/// RFC 3339 UTC timestamps with milliseconds; formats the date part once per second.
class TimestampCache
{
public:
    void now(std::array<char, TimestampLength> &out)
    {
        const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
        const std::int64_t second = millis / 1000;
        if (second != m_second) {
            m_second = second;
            const auto seconds = std::time_t(second);
            std::tm utc {};
            gmtime_r(&seconds, &utc);
            std::strftime(m_prefix.data(), m_prefix.size(), "%Y-%m-%dT%H:%M:%S", &utc);
        }
        std::copy_n(m_prefix.data(), 19, out.data());
        const int ms = int(millis % 1000);
        out[19] = '.';
        out[20] = char('0' + ms / 100);
        out[21] = char('0' + ms / 10 % 10);
        out[22] = char('0' + ms % 10);
        out[23] = 'Z';
    }

private:
    std::int64_t m_second = -1;
    std::array<char, 20> m_prefix {};
};

/// The events of one I/O thread: a pool of records with a free list, and per key a
/// bounded ring of recent events to pick resends from. Memory stays bounded by the rings
/// plus the events in flight, however long the run.
class EventStore
{
public:
    EventStore(std::size_t keys, std::size_t ringCapacity)
        : m_rings(keys)
        , m_ringCapacity(ringCapacity)
    {
        for (auto &ring : m_rings) {
            ring.slots.reserve(ringCapacity);
        }
    }

    std::uint32_t create()
    {
        if (!m_free.empty()) {
            const std::uint32_t index = m_free.back();
            m_free.pop_back();
            m_records[index] = EventRecord {};
            return index;
        }
        m_records.emplace_back();
        return std::uint32_t(m_records.size() - 1);
    }

    EventRecord &at(std::uint32_t index) { return m_records[index]; }

    void retain(std::uint32_t index) { ++m_records[index].references; }

    void release(std::uint32_t index)
    {
        if (--m_records[index].references == 0) {
            m_free.push_back(index);
        }
    }

    /// Keeps `index` as a candidate for resends of `key`, dropping the oldest when full.
    void remember(std::size_t key, std::uint32_t index)
    {
        Ring &ring = m_rings[key];
        retain(index);
        if (ring.slots.size() < m_ringCapacity) {
            ring.slots.push_back(index);
            return;
        }
        release(ring.slots[ring.next]);
        ring.slots[ring.next] = index;
        ring.next = (ring.next + 1) % m_ringCapacity;
    }

    /// A random earlier event of `key`, if it has any.
    std::optional<std::uint32_t> earlier(std::size_t key, Random &random)
    {
        const Ring &ring = m_rings[key];
        if (ring.slots.empty()) {
            return std::nullopt;
        }
        return ring.slots[random.below(std::uint32_t(ring.slots.size()))];
    }

private:
    struct Ring
    {
        std::vector<std::uint32_t> slots;
        std::size_t next = 0;
    };

    std::vector<EventRecord> m_records;
    std::vector<std::uint32_t> m_free;
    std::vector<Ring> m_rings;
    std::size_t m_ringCapacity;
};

void appendInt(std::string &out, std::uint64_t value)
{
    std::array<char, 24> digits {};
    const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), result.ptr);
}

void appendEvent(std::string &out, const EventRecord &event)
{
    out += R"({"id":")";
    out.append(event.id.data(), event.id.size());
    out += R"(","campaignId":"c-)";
    appendInt(out, event.campaign);
    out += R"(","type":")";
    out += EventTypes[event.type];
    out += R"(","occurredAt":")";
    out.append(event.occurredAt.data(), event.occurredAt.size());
    out += R"(","attributes":{"device":")";
    out += Devices[event.device];
    out += R"(","country":")";
    out += Countries[event.country];
    out += '"';
    if (event.poison) {
        out += R"(,"logdeck.poison":true)";
    }
    out += "}}";
}

// ---- HTTP -------------------------------------------------------------------------------

/// A Beast response parser that keeps only what the load generator needs (status,
/// keep-alive, body) in buffers it reuses, so a response costs no heap allocation once
/// the connection is warm. Beast's own message parser would build a header map per
/// response.
class ResponseParser final : public http::basic_parser<false>
{
public:
    explicit ResponseParser(std::string &body)
        : m_body(body)
    {
        m_body.clear();
    }

    int status() const { return m_status; }
    const std::string &body() const { return m_body; }

private:
    void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                         beast::error_code &) override
    {
    }
    void on_response_impl(int code, beast::string_view, int, beast::error_code &) override
    {
        m_status = code;
    }
    void on_field_impl(http::field, beast::string_view, beast::string_view,
                       beast::error_code &) override
    {
    }
    void on_header_impl(beast::error_code &) override { }
    void on_body_init_impl(const boost::optional<std::uint64_t> &, beast::error_code &) override { }
    std::size_t on_body_impl(beast::string_view body, beast::error_code &) override
    {
        m_body.append(body.data(), body.size());
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code &) override { }
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                   beast::error_code &) override
    {
        m_body.append(body.data(), body.size());
        return body.size();
    }
    void on_finish_impl(beast::error_code &) override { }

    std::string &m_body;
    int m_status = 0;
};

/// State that the I/O threads share: the stop conditions.
struct SharedState
{
    const std::atomic<bool> *stop = nullptr;
    std::atomic<bool> giveUp {false};
    std::atomic<bool> connectedOnce {false};
    std::atomic<int> refusals {0};
};

/// What every I/O thread needs to know, fixed for the run.
struct RunPlan
{
    const LoadOptions *options = nullptr;
    std::string url; ///< for messages
    tcp::endpoint endpoint;
    /// Per key in use, the request line and headers up to "Content-Length: ".
    std::vector<std::string> heads;
    Clock::time_point start;
    Clock::time_point deadline;
};

/// One keep-alive connection and the request it is working on. Its buffers live as long
/// as the connection, so steady-state requests reuse their capacity.
struct Connection
{
    enum class State { Idle, Busy, Backoff, Closed };

    explicit Connection(asio::io_context &io)
        : socket(io)
        , backoffTimer(io)
    {
    }

    std::array<asio::const_buffer, 3> requestBuffers() const
    {
        return {asio::buffer(*head), asio::buffer(lengthLine), asio::buffer(body)};
    }

    tcp::socket socket;
    asio::steady_timer backoffTimer;
    State state = State::Idle;
    bool connected = false;
    bool retried = false;
    int answeredOnSocket = 0;
    std::chrono::milliseconds backoff {0};

    const std::string *head = nullptr;
    std::string lengthLine;
    std::string body;
    std::vector<std::uint32_t> events;
    Clock::time_point intended;

    beast::flat_buffer readBuffer;
    std::string responseBody;
    std::optional<ResponseParser> parser;
};

/// One I/O thread: its own io_context, connections, events and counters, so the threads
/// share nothing but the stop flags and never lock per request.
class Worker
{
public:
    Worker(const RunPlan &plan, SharedState &shared, int index, int connections, double rate,
           double phase)
        : m_plan(plan)
        , m_options(*plan.options)
        , m_shared(shared)
        , m_io(1)
        , m_controlTimer(m_io)
        , m_scheduleTimer(m_io)
        , m_drainTimer(m_io)
        , m_random(std::random_device {}() ^ (std::uint64_t(std::random_device {}()) << 32)
                   ^ std::uint64_t(index))
        , m_store(plan.heads.size(),
                  std::clamp(RememberedEventsPerThread / plan.heads.size(), MinRememberedPerKey,
                             MaxRememberedPerKey))
        , m_nextKey(std::size_t(index) % plan.heads.size())
        , m_openLoop(rate > 0)
        , m_intervalNanos(rate > 0 ? 1e9 / rate : 0)
        , m_phase(phase)
    {
        m_connections.reserve(std::size_t(connections));
        for (int i = 0; i < connections; ++i) {
            m_connections.push_back(std::make_unique<Connection>(m_io));
        }
    }

    void run()
    {
        try {
            begin();
            m_io.run();
        } catch (const std::exception &error) {
            noteError(std::string("load generator failed: ") + error.what());
        }
        if (!m_stoppedAt) {
            m_stoppedAt = Clock::now();
        }
    }

    void addTo(LoadReport &report, std::string &firstError, Clock::time_point &firstErrorAt) const
    {
        report.sent += m_sent;
        report.requests += m_requests;
        report.accepted += m_accepted;
        report.distinctAccepted += m_distinctAccepted;
        report.distinctPoisonAccepted += m_distinctPoisonAccepted;
        for (std::size_t status = 0; status < m_statuses.size(); ++status) {
            if (m_statuses[status] != 0) {
                report.statuses[int(status)] += m_statuses[status];
            }
        }
        report.latency.merge(m_latency);
        if (report.timeline.size() < m_timeline.size()) {
            report.timeline.resize(m_timeline.size());
        }
        for (std::size_t second = 0; second < m_timeline.size(); ++second) {
            report.timeline[second].add(m_timeline[second]);
        }
        if (!m_firstError.empty() && (firstError.empty() || m_firstErrorAt < firstErrorAt)) {
            firstError = m_firstError;
            firstErrorAt = m_firstErrorAt;
        }
    }

    Clock::time_point stoppedAt() const { return m_stoppedAt.value_or(m_plan.start); }

private:
    void begin()
    {
        armControlTimer();
        if (isStopRequested()) {
            beginStop();
            return;
        }
        if (m_openLoop) {
            for (auto it = m_connections.rbegin(); it != m_connections.rend(); ++it) {
                m_idle.push_back(it->get());
            }
            pump();
        } else {
            const auto now = Clock::now();
            for (auto &connection : m_connections) {
                send(*connection, now);
            }
        }
    }

    bool isStopRequested() const
    {
        return (m_shared.stop && m_shared.stop->load(std::memory_order_relaxed))
            || m_shared.giveUp.load(std::memory_order_relaxed) || Clock::now() >= m_plan.deadline;
    }

    void armControlTimer()
    {
        m_controlTimer.expires_after(ControlInterval);
        m_controlTimer.async_wait([this](const beast::error_code &error) {
            if (error || m_stopping) {
                return;
            }
            if (isStopRequested()) {
                beginStop();
            } else {
                armControlTimer();
            }
        });
    }

    void recordInTimeline(Clock::time_point sent, Clock::duration latency)
    {
        const auto second = std::chrono::duration_cast<std::chrono::seconds>(sent - m_plan.start);
        const auto index = std::size_t(std::max<std::int64_t>(second.count(), 0));
        if (index >= m_timeline.size()) {
            m_timeline.resize(index + 1);
        }
        LatencySecond &slot = m_timeline[index];
        const double ms = std::chrono::duration<double, std::milli>(latency).count();
        ++slot.requests;
        slot.over1ms += ms > 1 ? 1 : 0;
        slot.over10ms += ms > 10 ? 1 : 0;
        slot.over100ms += ms > 100 ? 1 : 0;
        slot.maxMs = std::max(slot.maxMs, ms);
    }

    // ---- scheduling ----

    Clock::time_point intendedTime(std::int64_t k) const
    {
        return m_plan.start
            + std::chrono::nanoseconds(std::int64_t((double(k) + m_phase) * m_intervalNanos));
    }

    /// Open loop: hands every request that is due to an idle connection. A request that is
    /// due while every connection is busy stays due; its wait counts in its latency.
    void pump()
    {
        if (m_stopping) {
            return;
        }
        const auto now = Clock::now();
        while (!m_idle.empty()) {
            const auto due = intendedTime(m_nextRequest);
            if (due >= m_plan.deadline) {
                return; // the schedule is done; the control timer ends the run
            }
            if (due > now) {
                if (!m_scheduleArmed) {
                    m_scheduleArmed = true;
                    m_scheduleTimer.expires_at(due);
                    m_scheduleTimer.async_wait([this](const beast::error_code &error) {
                        m_scheduleArmed = false;
                        if (!error) {
                            pump();
                        }
                    });
                }
                return;
            }
            Connection *connection = m_idle.back();
            m_idle.pop_back();
            ++m_nextRequest;
            send(*connection, due);
        }
    }

    /// A connection finished a request (or a backoff) and can take the next one.
    void connectionFree(Connection &connection)
    {
        if (!m_stopping && isStopRequested()) {
            beginStop();
        }
        if (m_stopping) {
            close(connection);
            connection.state = Connection::State::Closed;
            if (m_busy == 0) {
                finish();
            }
            return;
        }
        connection.state = Connection::State::Idle;
        if (m_openLoop) {
            m_idle.push_back(&connection);
            pump();
        } else {
            send(connection, Clock::now());
        }
    }

    void beginStop()
    {
        if (m_stopping) {
            return;
        }
        m_stopping = true;
        m_stoppedAt = std::min(Clock::now(), m_plan.deadline);
        m_controlTimer.cancel();
        m_scheduleTimer.cancel();
        m_idle.clear();
        for (auto &connection : m_connections) {
            if (connection->state == Connection::State::Idle
                || connection->state == Connection::State::Backoff) {
                connection->backoffTimer.cancel();
                close(*connection);
                connection->state = Connection::State::Closed;
            }
        }
        if (m_busy == 0) {
            finish();
            return;
        }
        m_drainTimer.expires_after(DrainTimeout);
        m_drainTimer.async_wait([this](const beast::error_code &error) {
            if (error) {
                return;
            }
            // Closing aborts the reads in flight; their handlers count the events as
            // transport errors and the io_context runs out of work.
            m_drainExpired = true;
            for (auto &connection : m_connections) {
                if (connection->state == Connection::State::Busy) {
                    close(*connection);
                }
            }
        });
    }

    void finish()
    {
        m_drainTimer.cancel();
        m_controlTimer.cancel();
        m_scheduleTimer.cancel();
    }

    // ---- one request ----

    void send(Connection &connection, Clock::time_point intended)
    {
        connection.state = Connection::State::Busy;
        connection.intended = intended;
        connection.retried = false;
        connection.parser.reset(); // got_some() must speak of this request, not the last one
        buildRequest(connection);
        ++m_busy;
        if (connection.connected) {
            write(connection);
        } else {
            connect(connection);
        }
    }

    void buildRequest(Connection &connection)
    {
        const std::size_t key = m_nextKey;
        m_nextKey = (m_nextKey + 1) % m_plan.heads.size();
        connection.head = &m_plan.heads[key];

        std::array<char, TimestampLength> now {};
        m_clock.now(now);
        const int count = m_options.batch;
        std::string &body = connection.body;
        body.clear();
        connection.events.clear();
        if (count > 1) {
            body += R"({"events":[)";
        }
        for (int i = 0; i < count; ++i) {
            std::uint32_t index = 0;
            std::optional<std::uint32_t> earlier;
            if (m_options.dupRate > 0 && m_random.uniform() < m_options.dupRate) {
                earlier = m_store.earlier(key, m_random);
            }
            if (earlier) {
                index = *earlier;
            } else {
                index = m_store.create();
                EventRecord &event = m_store.at(index);
                writeUuidV4(m_random, event.id);
                event.occurredAt = now;
                event.campaign =
                    std::uint16_t(1 + m_random.below(std::uint32_t(m_options.campaigns)));
                event.type = std::uint8_t(m_random.below(EventTypes.size()));
                event.device = std::uint8_t(m_random.below(Devices.size()));
                event.country = std::uint8_t(m_random.below(Countries.size()));
                event.poison =
                    m_options.poisonRate > 0 && m_random.uniform() < m_options.poisonRate;
                if (m_options.dupRate > 0) {
                    m_store.remember(key, index);
                }
            }
            m_store.retain(index);
            connection.events.push_back(index);
            if (i > 0) {
                body += ',';
            }
            appendEvent(body, m_store.at(index));
        }
        if (count > 1) {
            body += "]}";
        }
        connection.lengthLine.clear();
        appendInt(connection.lengthLine, body.size());
        connection.lengthLine += "\r\n\r\n";
    }

    void connect(Connection &connection)
    {
        connection.readBuffer.consume(connection.readBuffer.size());
        connection.socket.async_connect(
            m_plan.endpoint, [this, &connection](const beast::error_code &error) {
                if (error) {
                    close(connection);
                    const bool aborted = m_drainExpired;
                    if (!aborted && !m_shared.connectedOnce.load(std::memory_order_relaxed)
                        && m_shared.refusals.fetch_add(1, std::memory_order_relaxed) + 1
                            >= RefusalsBeforeGivingUp) {
                        m_shared.giveUp.store(true, std::memory_order_relaxed);
                    }
                    failRequest(connection,
                                aborted ? drainMessage()
                                        : "cannot connect to " + m_plan.url + ": " + error.message()
                                        + "; is the collector running?",
                                !aborted);
                    return;
                }
                m_shared.connectedOnce.store(true, std::memory_order_relaxed);
                beast::error_code ignored;
                connection.socket.set_option(tcp::no_delay(true), ignored);
                connection.connected = true;
                connection.answeredOnSocket = 0;
                connection.backoff = 0ms;
                write(connection);
            });
    }

    void write(Connection &connection)
    {
        asio::async_write(connection.socket, connection.requestBuffers(),
                          [this, &connection](const beast::error_code &error, std::size_t) {
                              if (error) {
                                  ioFailed(connection, error);
                                  return;
                              }
                              read(connection);
                          });
    }

    void read(Connection &connection)
    {
        connection.parser.emplace(connection.responseBody);
        http::async_read(connection.socket, connection.readBuffer, *connection.parser,
                         [this, &connection](const beast::error_code &error, std::size_t) {
                             if (error) {
                                 ioFailed(connection, error);
                                 return;
                             }
                             ++connection.answeredOnSocket;
                             answered(connection);
                         });
    }

    void ioFailed(Connection &connection, const beast::error_code &error)
    {
        const bool gotSome = connection.parser && connection.parser->got_some();
        close(connection);
        const bool staleKeepAlive = error == http::error::end_of_stream || error == asio::error::eof
            || error == asio::error::connection_reset || error == asio::error::broken_pipe;
        // A server may close a keep-alive connection just as we reuse it; send once more on
        // a fresh one. The event ids make a resend harmless even if the first one arrived.
        if (staleKeepAlive && !gotSome && connection.answeredOnSocket > 0 && !connection.retried
            && !m_drainExpired) {
            connection.retried = true;
            connect(connection);
            return;
        }
        failRequest(connection,
                    m_drainExpired ? drainMessage()
                                   : "request to " + m_plan.url + " failed: " + error.message(),
                    false);
    }

    std::string drainMessage() const
    {
        return "no answer from " + m_plan.url + " within 5 s after the run ended";
    }

    void failRequest(Connection &connection, const std::string &message, bool backOff)
    {
        noteError(message);
        ++m_requests;
        for (const std::uint32_t index : connection.events) {
            countEvent(index, 0);
        }
        connection.events.clear();
        --m_busy;
        if (backOff && !m_stopping) {
            connection.backoff =
                std::clamp(connection.backoff * 2, std::chrono::milliseconds(MinBackoff),
                           std::chrono::milliseconds(MaxBackoff));
            connection.state = Connection::State::Backoff;
            connection.backoffTimer.expires_after(connection.backoff);
            connection.backoffTimer.async_wait([this, &connection](const beast::error_code &error) {
                if (!error && connection.state == Connection::State::Backoff) {
                    connectionFree(connection);
                }
            });
            return;
        }
        connectionFree(connection);
    }

    void answered(Connection &connection)
    {
        const auto latency = Clock::now() - connection.intended;
        m_latency.record(latency);
        recordInTimeline(connection.intended, latency);
        ++m_requests;
        const int status = connection.parser->status();
        const bool batch = m_options.batch > 1;
        if (batch && status == 200) {
            countBatchResults(connection);
        } else {
            if (status >= 400 && m_firstError.empty()) {
                noteError("HTTP " + std::to_string(status) + " from " + m_plan.url + ": "
                          + connection.responseBody.substr(0, 200));
            }
            for (const std::uint32_t index : connection.events) {
                countEvent(index, status);
            }
        }
        connection.events.clear();
        if (!connection.parser->keep_alive()) {
            close(connection);
        }
        --m_busy;
        connectionFree(connection);
    }

    /// A batch answer: one result per event, in order (or placed by its "index").
    void countBatchResults(Connection &connection)
    {
        const std::size_t count = connection.events.size();
        m_batchStatuses.assign(count, 0);
        // Bounded: any server may answer, and result.dump() below recurses.
        const auto json = parseJsonBounded(connection.responseBody);
        const nlohmann::json *results = nullptr;
        if (json.is_object()) {
            const auto it = json.find("results");
            if (it != json.end() && it->is_array()) {
                results = &*it;
            }
        }
        if (!results || results->size() != count) {
            noteError("malformed batch answer from " + m_plan.url + ": expected "
                      + std::to_string(count)
                      + " results, got: " + connection.responseBody.substr(0, 200));
        }
        if (results) {
            for (std::size_t i = 0; i < results->size() && i < count; ++i) {
                const auto &result = (*results)[i];
                if (!result.is_object()) {
                    continue;
                }
                std::size_t slot = i;
                if (const auto index = result.find("index"); index != result.end()
                    && index->is_number_unsigned() && index->get<std::size_t>() < count) {
                    slot = index->get<std::size_t>();
                }
                if (const auto status = result.find("status");
                    status != result.end() && status->is_number_integer()) {
                    m_batchStatuses[slot] = std::clamp(status->get<int>(), 0, 999);
                }
                if (m_firstError.empty() && m_batchStatuses[slot] >= 400) {
                    noteError("event rejected by " + m_plan.url + ": " + result.dump());
                }
            }
        }
        for (std::size_t i = 0; i < count; ++i) {
            countEvent(connection.events[i], m_batchStatuses[i]);
        }
    }

    void countEvent(std::uint32_t index, int status)
    {
        ++m_sent;
        ++m_statuses[std::size_t(std::clamp(status, 0, 999))];
        EventRecord &event = m_store.at(index);
        if (status == 202) {
            ++m_accepted;
            if (!event.accepted) {
                event.accepted = true;
                ++m_distinctAccepted;
                if (event.poison) {
                    ++m_distinctPoisonAccepted;
                }
            }
        }
        m_store.release(index);
    }

    void close(Connection &connection)
    {
        beast::error_code ignored;
        connection.socket.close(ignored);
        connection.connected = false;
    }

    void noteError(const std::string &message)
    {
        if (m_firstError.empty()) {
            m_firstError = message;
            m_firstErrorAt = Clock::now();
        }
    }

    const RunPlan &m_plan;
    const LoadOptions &m_options;
    SharedState &m_shared;
    asio::io_context m_io;
    asio::steady_timer m_controlTimer;
    asio::steady_timer m_scheduleTimer;
    asio::steady_timer m_drainTimer;
    std::vector<std::unique_ptr<Connection>> m_connections;
    std::vector<Connection *> m_idle;

    Random m_random;
    TimestampCache m_clock;
    EventStore m_store;
    std::size_t m_nextKey;

    const bool m_openLoop;
    const double m_intervalNanos;
    const double m_phase;
    std::int64_t m_nextRequest = 0;
    bool m_scheduleArmed = false;

    int m_busy = 0;
    bool m_stopping = false;
    bool m_drainExpired = false;
    std::optional<Clock::time_point> m_stoppedAt;

    std::int64_t m_sent = 0;
    std::int64_t m_requests = 0;
    std::int64_t m_accepted = 0;
    std::int64_t m_distinctAccepted = 0;
    std::int64_t m_distinctPoisonAccepted = 0;
    std::array<std::int64_t, 1000> m_statuses {};
    std::vector<int> m_batchStatuses;
    LatencyHistogram m_latency;
    std::vector<LatencySecond> m_timeline;
    std::string m_firstError;
    Clock::time_point m_firstErrorAt;
};

std::string headFor(const Target &target, bool batch, const std::string &key)
{
    std::string head = "POST " + target.pathPrefix + (batch ? "/v1/events:batch" : "/v1/events")
        + " HTTP/1.1\r\nHost: " + target.hostHeader + "\r\nAuthorization: Bearer " + key
        + "\r\nContent-Type: application/json\r\nUser-Agent: logdeck-loadgen\r\n"
          "Content-Length: ";
    return head;
}

} // namespace

void LatencySecond::add(const LatencySecond &other)
{
    requests += other.requests;
    over1ms += other.over1ms;
    over10ms += other.over10ms;
    over100ms += other.over100ms;
    maxMs = std::max(maxMs, other.maxMs);
}

std::int64_t LoadReport::transportErrors() const
{
    const auto it = statuses.find(0);
    return it == statuses.end() ? 0 : it->second;
}

std::int64_t LoadReport::answered() const
{
    return sent - transportErrors();
}

Result<void> validateLoadOptions(const LoadOptions &options)
{
    if (auto target = parseUrl(options.url); !target) {
        return fail(target.error());
    }
    if (options.keys.empty()) {
        return fail(Error::invalid("--key is required: give at least one API key"));
    }
    for (std::size_t i = 0; i < options.keys.size(); ++i) {
        const std::string &key = options.keys[i];
        if (key.empty() || !isPrintableToken(key) || key.find(',') != std::string::npos) {
            return fail(
                Error::invalid("--key #" + std::to_string(i + 1)
                               + " must be non-empty printable ASCII without spaces or commas"));
        }
    }
    if (options.tenants < 0 || std::size_t(options.tenants) > options.keys.size()) {
        return fail(Error::invalid("--tenants must be between 0 (all keys) and the number of keys ("
                                   + std::to_string(options.keys.size()) + ")"));
    }
    if (!std::isfinite(options.rate) || options.rate < 0) {
        return fail(Error::invalid("--rate must be ≥ 0 (0 = as fast as the answers come)"));
    }
    if (options.connections < 1 || options.connections > 10000) {
        return fail(Error::invalid("--connections must be between 1 and 10000"));
    }
    if (options.duration <= std::chrono::milliseconds::zero()) {
        return fail(Error::invalid("--duration must be > 0"));
    }
    if (options.batch < 1 || options.batch > 1000) {
        return fail(Error::invalid("--batch must be between 1 and 1000"));
    }
    if (!(options.dupRate >= 0 && options.dupRate <= 1)) {
        return fail(Error::invalid("--dup-rate must be between 0 and 1"));
    }
    if (!(options.poisonRate >= 0 && options.poisonRate <= 1)) {
        return fail(Error::invalid("--poison-rate must be between 0 and 1"));
    }
    if (options.campaigns < 1 || options.campaigns > 65535) {
        return fail(Error::invalid("--campaigns must be between 1 and 65535"));
    }
    return {};
}

namespace {

Result<LoadReport> runLoadUnchecked(const LoadOptions &options, const std::atomic<bool> *stop)
{
    if (auto valid = validateLoadOptions(options); !valid) {
        return fail(valid.error());
    }
    const Target target = *parseUrl(options.url);

    RunPlan plan;
    plan.options = &options;
    plan.url = options.url;
    {
        asio::io_context io;
        tcp::resolver resolver(io);
        beast::error_code error;
        const auto results = resolver.resolve(target.host, target.port, error);
        if (error || results.empty()) {
            return fail(Error::unavailable("cannot resolve '" + target.host + "' of --url "
                                           + options.url + ": " + error.message()));
        }
        // Prefer IPv4: "localhost" often resolves to ::1 first while servers listen on
        // 127.0.0.1.
        plan.endpoint = results.begin()->endpoint();
        for (const auto &entry : results) {
            if (entry.endpoint().address().is_v4()) {
                plan.endpoint = entry.endpoint();
                break;
            }
        }
    }
    const std::size_t keys =
        options.tenants == 0 ? options.keys.size() : std::size_t(options.tenants);
    for (std::size_t i = 0; i < keys; ++i) {
        plan.heads.push_back(headFor(target, options.batch > 1, options.keys[i]));
    }

    // Two I/O threads when there is enough work to share; each owns half the connections
    // and, in an open loop, half the rate with its schedule shifted by half an interval.
    const bool twoThreads = options.connections >= 2 && (options.rate == 0 || options.rate >= 2000);
    const int threads = twoThreads ? 2 : 1;
    SharedState shared;
    shared.stop = stop;
    plan.start = Clock::now();
    plan.deadline = plan.start + options.duration;
    std::vector<std::unique_ptr<Worker>> workers;
    for (int i = 0; i < threads; ++i) {
        const int connections =
            options.connections / threads + (i < options.connections % threads ? 1 : 0);
        const double rate = options.rate * connections / options.connections;
        workers.push_back(
            std::make_unique<Worker>(plan, shared, i, connections, rate, double(i) / threads));
    }
    std::vector<std::thread> helpers;
    for (std::size_t i = 1; i < workers.size(); ++i) {
        helpers.emplace_back([&worker = *workers[i]] { worker.run(); });
    }
    workers.front()->run();
    for (auto &helper : helpers) {
        helper.join();
    }

    LoadReport report;
    Clock::time_point stoppedAt = plan.start;
    Clock::time_point firstErrorAt;
    for (const auto &worker : workers) {
        worker->addTo(report, report.firstError, firstErrorAt);
        stoppedAt = std::max(stoppedAt, worker->stoppedAt());
    }
    report.elapsedSeconds = std::chrono::duration<double>(stoppedAt - plan.start).count();
    if (report.elapsedSeconds > 0) {
        report.achievedRate = double(report.requests) / report.elapsedSeconds;
        report.eventsPerSecond = double(report.sent) / report.elapsedSeconds;
    }
    return report;
}

} // namespace

Result<LoadReport> runLoad(const LoadOptions &options, const std::atomic<bool> *stop)
{
    // Exceptions (out of memory, no thread) stay inside the engine as an Error.
    try {
        return runLoadUnchecked(options, stop);
    } catch (const std::exception &error) {
        return fail(Error::internal(std::string("load generator failed: ") + error.what()));
    }
}
} // namespace logdeck::loadgen
