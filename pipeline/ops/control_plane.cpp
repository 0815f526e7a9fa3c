#include "ops/control_plane.h"

#include "common/json_depth.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time_format.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "kafka/topic_catalog.h"
#include "store/audit_log.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>
#include <limits>
#include <type_traits>

namespace logdeck::ops {

namespace {

using json = nlohmann::json;

// Commands and acknowledgements share logdeck.control; this header tells them apart.
constexpr const char *kMessageHeader = "logdeck-message";
constexpr const char *kCommandMessage = "command";
constexpr const char *kAckMessage = "ack";

// Heartbeats are few and small; reading the last ones is enough to find every live engine
// even before compaction has run.
constexpr std::int64_t kHeartbeatsToRead = 20000;

const std::string &controlTopic()
{
    static const std::string topic(kafka::topics::kControl);
    return topic;
}

const std::string &statusTopic()
{
    static const std::string topic(kafka::topics::kStatus);
    return topic;
}

std::string randomSuffix()
{
    static thread_local std::mt19937_64 random {std::random_device {}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    for (int i = 0; i < 12; ++i) {
        text.push_back(kHex[random() % 16]);
    }
    return text;
}

json toJson(const EngineHeartbeat &h)
{
    json groups = json::array();
    for (const auto &g : h.groups) {
        json partitions = json::array();
        for (const auto &p : g.partitions) {
            partitions.push_back({{"topic", p.topic},
                                  {"partition", p.partition},
                                  {"nextOffset", p.nextOffset},
                                  {"lastRecordTimestampMs", p.lastRecordTimestampMs}});
        }
        groups.push_back({{"group", g.group},
                          {"state", g.state},
                          {"processed", g.processed},
                          {"deadLettered", g.deadLettered},
                          {"processedPerSecond", g.processedPerSecond},
                          {"partitions", partitions}});
    }
    return {{"instance", h.instance},
            {"host", h.host},
            {"pid", h.pid},
            {"version", h.version},
            {"mode", h.mode},
            {"dataDir", h.dataDir},
            {"collector", h.collector},
            {"startedAtMs", h.startedAtMs},
            {"sentAtMs", h.sentAtMs},
            {"stopping", h.stopping},
            {"eventsAccepted", h.eventsAccepted},
            {"outboxDepth", h.outboxDepth},
            {"groups", groups}};
}

/// A field of a control-plane record that is there with the wrong type.
struct BadField
{
    std::string message;
};

/// "a number", "an object": what a value is, for messages.
std::string kindOf(const json &value)
{
    const std::string name = value.type_name();
    return (name.front() == 'a' || name.front() == 'o' ? "an " : "a ") + name;
}

/// j[key] as T, `fallback` when it is absent or null; BadField naming it otherwise.
template<typename T>
T field(const json &j, const char *key, T fallback)
{
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return fallback;
    }
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>) {
        if (std::is_same_v<T, std::string> ? !it->is_string() : !it->is_boolean()) {
            throw BadField {std::string("field '") + key + "' is " + kindOf(*it)};
        }
    } else if (!it->is_number()) {
        throw BadField {std::string("field '") + key + "' is " + kindOf(*it)};
    } else if constexpr (!std::is_floating_point_v<T>) {
        // A whole number that fits: converting 1e30 or 2^64-1 to T is undefined behaviour.
        const bool fits = it->is_number_unsigned()
            ? it->template get<std::uint64_t>()
                <= static_cast<std::uint64_t>(std::numeric_limits<T>::max())
            : it->is_number_integer()
                && it->template get<std::int64_t>() >= std::numeric_limits<T>::min()
                && it->template get<std::int64_t>() <= std::numeric_limits<T>::max();
        if (!fits) {
            throw BadField {std::string("field '") + key + "' is not a whole number in range"};
        }
    }
    return it->get<T>();
}

/// j[key] as a list (empty when absent); BadField when it is something else.
const json &listField(const json &j, const char *key)
{
    static const json empty = json::array();
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return empty;
    }
    if (!it->is_array()) {
        throw BadField {std::string("field '") + key + "' is " + kindOf(*it) + ", not a list"};
    }
    return *it;
}

/// Parses `value` and decodes it with `decode`, turning whatever it is not into an error.
template<typename Decode>
auto decodeRecord(std::string_view value, const char *what, Decode decode)
    -> Result<decltype(decode(json()))>
{
    const json j = parseJsonBounded(value);
    const auto bad = [what](const std::string &problem) {
        return fail(Error::invalid(std::string("not ") + what + ": " + problem));
    };
    if (j.is_discarded()) {
        return bad("the value is not JSON, or nests deeper than 64 levels");
    }
    if (!j.is_object()) {
        return bad("the value is " + kindOf(j) + ", not an object");
    }
    try {
        return decode(j);
    } catch (const BadField &e) {
        return bad(e.message);
    } catch (const json::exception &e) {
        return bad(e.what());
    }
}

EngineHeartbeat heartbeatFromJson(const json &j)
{
    EngineHeartbeat h;
    h.instance = field(j, "instance", std::string());
    h.host = field(j, "host", std::string());
    h.pid = field(j, "pid", std::int64_t {0});
    h.version = field(j, "version", std::string());
    h.mode = field(j, "mode", std::string());
    h.dataDir = field(j, "dataDir", std::string());
    h.collector = field(j, "collector", std::string());
    h.startedAtMs = field(j, "startedAtMs", std::int64_t {0});
    h.sentAtMs = field(j, "sentAtMs", std::int64_t {0});
    h.stopping = field(j, "stopping", false);
    h.eventsAccepted = field(j, "eventsAccepted", std::int64_t {0});
    h.outboxDepth = field(j, "outboxDepth", std::int64_t {0});
    for (const auto &g : listField(j, "groups")) {
        if (!g.is_object()) {
            throw BadField {"an entry of 'groups' is not an object"};
        }
        HostedGroupStatus group;
        group.group = field(g, "group", std::string());
        group.state = field(g, "state", std::string());
        group.processed = field(g, "processed", std::int64_t {0});
        group.deadLettered = field(g, "deadLettered", std::int64_t {0});
        group.processedPerSecond = field(g, "processedPerSecond", 0.0);
        for (const auto &p : listField(g, "partitions")) {
            if (!p.is_object()) {
                throw BadField {"an entry of 'partitions' is not an object"};
            }
            group.partitions.push_back({field(p, "topic", std::string()),
                                        field(p, "partition", 0),
                                        field(p, "nextOffset", std::int64_t {-1}),
                                        field(p, "lastRecordTimestampMs", std::int64_t {0})});
        }
        h.groups.push_back(std::move(group));
    }
    return h;
}

json toJson(const ControlCommand &c)
{
    return {{"id", c.id},
            {"target", c.target},
            {"operation", c.operation},
            {"arguments", parseJsonBounded(c.arguments)},
            {"issuedBy", c.issuedBy},
            {"issuedAtMs", c.issuedAtMs}};
}

/// j[key] as JSON text ("{}" when absent); parseJsonBounded already bounded its depth.
std::string jsonText(const json &j, const char *key)
{
    const auto it = j.find(key);
    return it == j.end() || it->is_discarded() ? std::string("{}") : it->dump();
}

ControlCommand commandFromJson(const json &j)
{
    return {field(j, "id", std::string()),        field(j, "target", std::string()),
            field(j, "operation", std::string()), jsonText(j, "arguments"),
            field(j, "issuedBy", std::string()),  field(j, "issuedAtMs", std::int64_t {0})};
}

json toJson(const ControlAck &a)
{
    return {{"commandId", a.commandId},
            {"instance", a.instance},
            {"ok", a.ok},
            {"message", a.message},
            {"result", parseJsonBounded(a.result)}};
}

ControlAck ackFromJson(const json &j)
{
    return {field(j, "commandId", std::string()), field(j, "instance", std::string()),
            field(j, "ok", false), field(j, "message", std::string()), jsonText(j, "result")};
}

/// Produces one record and waits for the broker's acknowledgement. The report may come
/// after the wait gave up (when the producer is destroyed, it purges the record and
/// reports it), so what it writes to is shared, not on this stack.
Result<void> produceAndWait(kafka::Producer &producer, const kafka::OutgoingRecord &record,
                            std::chrono::milliseconds timeout)
{
    struct Waiter
    {
        std::mutex mutex;
        std::condition_variable done;
        std::optional<kafka::DeliveryReport> report;
    };
    auto waiter = std::make_shared<Waiter>();
    auto produced = producer.produce(record, [waiter](const kafka::DeliveryReport &r) {
        const std::lock_guard lock(waiter->mutex);
        waiter->report = r;
        waiter->done.notify_all();
    });
    if (!produced) {
        return produced;
    }
    std::unique_lock lock(waiter->mutex);
    if (!waiter->done.wait_for(lock, timeout, [&] { return waiter->report.has_value(); })) {
        return fail(Error::timeout("the broker did not acknowledge a record on " + record.topic
                                   + " within " + std::to_string(timeout.count()) + " ms"));
    }
    if (waiter->report->error) {
        return fail(*waiter->report->error);
    }
    return {};
}

/// The watermarks of `topic`[0], or nothing when no engine has created the topic yet.
Result<std::optional<kafka::Watermarks>>
controlPlaneWatermarks(const kafka::ClientSettings &cluster, const std::string &topic,
                       std::chrono::milliseconds timeout)
{
    auto admin = kafka::AdminClient::create(cluster);
    if (!admin) {
        return fail(admin.error());
    }
    auto topics = (*admin)->partitionCounts(timeout);
    if (!topics) {
        return fail(topics.error());
    }
    if (!topics->contains(topic)) {
        return std::optional<kafka::Watermarks> {};
    }
    auto marks = (*admin)->watermarks(topic, 0, timeout);
    if (!marks) {
        return fail(marks.error());
    }
    return std::optional<kafka::Watermarks> {*marks};
}

Result<std::int64_t> tryLogEndOf(const kafka::ClientSettings &cluster, const std::string &topic,
                                 std::chrono::milliseconds timeout)
{
    auto marks = controlPlaneWatermarks(cluster, topic, timeout);
    if (!marks) {
        return fail(marks.error());
    }
    if (!*marks) {
        return fail(Error::notFound(
            "topic " + topic + " does not exist: no Logdeck engine has run on this cluster"));
    }
    return (*marks)->high;
}

/// The log-end offset of the single-partition topic `topic`. A topic just created may
/// have no leader yet: that is retried until `timeout`.
Result<std::int64_t> logEndOf(const kafka::ClientSettings &cluster, const std::string &topic,
                              std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto end = tryLogEndOf(cluster, topic, timeout);
        if (end || end.error().code == Error::Code::NotFound
            || std::chrono::steady_clock::now() + std::chrono::milliseconds(250) >= deadline) {
            return end;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
}

} // namespace

std::string groupMemberClientId(const std::string &instance, const std::string &group)
{
    return "logdeck-" + instance + "-" + group;
}

Result<EngineHeartbeat> decodeHeartbeat(std::string_view value)
{
    return decodeRecord(value, "a heartbeat", heartbeatFromJson);
}

Result<ControlCommand> decodeCommand(std::string_view value)
{
    return decodeRecord(value, "a control command", commandFromJson);
}

Result<ControlAck> decodeAck(std::string_view value)
{
    return decodeRecord(value, "a control acknowledgement", ackFromJson);
}

HostedGroupStatus hostedGroupStatus(const consume::GroupMetrics &metrics)
{
    HostedGroupStatus status;
    status.group = metrics.group;
    status.state = !metrics.running ? "stopped" : (metrics.paused ? "paused" : "running");
    status.processed = metrics.processed;
    status.deadLettered = metrics.deadLettered;
    status.processedPerSecond = metrics.processedPerSecond;
    for (const auto &p : metrics.partitions) {
        status.partitions.push_back({p.topic, p.partition, p.nextOffset, p.lastRecordTimestampMs});
    }
    return status;
}

Result<std::vector<EngineHeartbeat>> readHeartbeats(const kafka::ClientSettings &cluster,
                                                    std::chrono::milliseconds timeout)
{
    auto found = controlPlaneWatermarks(cluster, statusTopic(), timeout);
    if (!found) {
        return fail(found.error());
    }
    if (!*found) {
        return std::vector<EngineHeartbeat> {}; // no engine has run on this cluster
    }
    const kafka::Watermarks *marks = &**found;
    std::map<std::string, EngineHeartbeat> latest;
    if (marks->high > marks->low) {
        auto consumer = kafka::Consumer::create(cluster, "logdeck-status-reader-" + randomSuffix());
        if (!consumer) {
            return fail(consumer.error());
        }
        const std::int64_t start = std::max(marks->low, marks->high - kHeartbeatsToRead);
        if (auto assigned = (*consumer)->assign({{statusTopic(), 0, start}}); !assigned) {
            return fail(assigned.error());
        }
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        bool atEnd = false;
        while (!atEnd && std::chrono::steady_clock::now() < deadline) {
            auto batch = (*consumer)->poll(1000, std::chrono::milliseconds(200));
            if (!batch) {
                return fail(batch.error());
            }
            for (const auto &record : *batch) {
                atEnd = atEnd || record.offset + 1 >= marks->high;
                auto heartbeat = decodeHeartbeat(record.value);
                if (!heartbeat) {
                    log::warn("control.bad_heartbeat", {{"key", record.key},
                                                        {"offset", std::to_string(record.offset)},
                                                        {"error", heartbeat.error().message}});
                    continue;
                }
                latest[record.key] = std::move(*heartbeat);
            }
        }
        if (!atEnd) {
            return fail(Error::timeout("reading " + statusTopic() + " did not reach its end in "
                                       + std::to_string(timeout.count()) + " ms"));
        }
    }
    std::vector<EngineHeartbeat> result;
    for (auto &[instance, heartbeat] : latest) {
        result.push_back(std::move(heartbeat));
    }
    return result;
}

std::vector<std::string> enginesRunning(const std::vector<EngineHeartbeat> &heartbeats,
                                        const std::string &group)
{
    std::vector<std::string> instances;
    for (const auto &engine : liveEngines(heartbeats, kHeartbeatFreshness)) {
        if (std::ranges::any_of(engine.groups,
                                [&](const HostedGroupStatus &g) { return g.group == group; })) {
            instances.push_back(engine.instance);
        }
    }
    return instances;
}

std::string_view livenessName(EngineLiveness liveness)
{
    switch (liveness) {
    case EngineLiveness::Alive:
        return "alive";
    case EngineLiveness::Silent:
        return "silent";
    case EngineLiveness::Stopped:
        return "stopped";
    }
    return "unknown";
}

EngineLiveness engineLiveness(const EngineHeartbeat &heartbeat, std::int64_t nowMs,
                              std::chrono::milliseconds freshness)
{
    if (heartbeat.stopping) {
        return EngineLiveness::Stopped;
    }
    return heartbeat.sentAtMs >= nowMs - freshness.count() ? EngineLiveness::Alive
                                                           : EngineLiveness::Silent;
}

std::vector<EngineHeartbeat> liveEngines(const std::vector<EngineHeartbeat> &heartbeats,
                                         std::chrono::milliseconds freshness)
{
    const std::int64_t now = nowMillis();
    std::vector<EngineHeartbeat> live;
    for (const auto &h : heartbeats) {
        if (engineLiveness(h, now, freshness) == EngineLiveness::Alive) {
            live.push_back(h);
        }
    }
    return live;
}

Result<std::vector<ControlAck>> sendCommand(const kafka::ClientSettings &cluster,
                                            ControlCommand command,
                                            const std::vector<std::string> &awaitFrom,
                                            std::chrono::milliseconds timeout)
{
    if (command.id.empty()) {
        command.id = "cmd-" + randomSuffix();
    }
    if (command.issuedBy.empty()) {
        command.issuedBy = store::AuditLog::currentUser() + "@" + store::AuditLog::currentHost();
    }
    command.issuedAtMs = nowMillis();
    // Acknowledgements come after the command: read from the log end as it is before it.
    auto start = logEndOf(cluster, controlTopic(), timeout);
    if (!start) {
        return fail(start.error());
    }
    auto consumer = kafka::Consumer::create(cluster, "logdeck-control-reader-" + randomSuffix());
    if (!consumer) {
        return fail(consumer.error());
    }
    if (auto assigned = (*consumer)->assign({{controlTopic(), 0, *start}}); !assigned) {
        return fail(assigned.error());
    }
    auto producer = kafka::Producer::create(cluster);
    if (!producer) {
        return fail(producer.error());
    }
    const kafka::OutgoingRecord record {controlTopic(),
                                        0,
                                        command.target,
                                        toJson(command).dump(),
                                        {{kMessageHeader, kCommandMessage}},
                                        0};
    if (auto sent = produceAndWait(**producer, record, timeout); !sent) {
        return fail(sent.error());
    }
    std::set<std::string> waitingFor(awaitFrom.begin(), awaitFrom.end());
    std::vector<ControlAck> acks;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto batch = (*consumer)->poll(100, std::chrono::milliseconds(100));
        if (!batch) {
            return fail(batch.error());
        }
        for (const auto &r : *batch) {
            if (kafka::headerValue(r.headers, kMessageHeader) != kAckMessage
                || r.key != command.id) {
                continue;
            }
            auto ack = decodeAck(r.value);
            if (!ack) {
                log::warn("control.bad_ack", {{"command", command.id},
                                              {"error", ack.error().message}});
                continue;
            }
            acks.push_back(std::move(*ack));
            waitingFor.erase(acks.back().instance);
        }
        if (!acks.empty() && waitingFor.empty()) {
            return acks;
        }
    }
    std::string missing;
    for (const auto &instance : waitingFor) {
        missing += (missing.empty() ? "" : ", ") + instance;
    }
    return fail(Error::timeout("no acknowledgement of '" + command.operation + "' for "
                               + command.target + " within "
                               + std::to_string(timeout.count() / 1000) + " s"
                               + (missing.empty() ? std::string(": no engine acts on that target")
                                                  : std::string(" from ") + missing)
                               + " (is the engine running and connected to this cluster?)"));
}

struct ControlAgent::Impl
{
    Options options;
    std::unique_ptr<kafka::Producer> producer;
    std::unique_ptr<kafka::Consumer> consumer;
    std::atomic<bool> stopping {false};
    std::thread thread;
    bool stopped = false;

    void publishHeartbeat(bool last)
    {
        EngineHeartbeat heartbeat = options.heartbeat();
        heartbeat.instance = options.instance;
        heartbeat.sentAtMs = nowMillis();
        heartbeat.stopping = last;
        const kafka::OutgoingRecord record {
            statusTopic(), 0, options.instance, toJson(heartbeat).dump(), {}, 0};
        // A heartbeat that cannot be sent now is replaced by the next one.
        if (auto sent = last ? produceAndWait(*producer, record, std::chrono::seconds(5))
                             : producer->produce(record);
            !sent) {
            log::debug("control.heartbeat_failed", {{"error", sent.error().message}});
        }
    }

    bool addressedToUs(const ControlCommand &command) const
    {
        if (command.target == options.instance) {
            return true;
        }
        constexpr std::string_view groupPrefix = "group:";
        return command.target.starts_with(groupPrefix)
            && options.hosts(command.target.substr(groupPrefix.size()));
    }

    void act(const kafka::ConsumedRecord &record)
    {
        if (kafka::headerValue(record.headers, kMessageHeader) != kCommandMessage) {
            return;
        }
        auto decoded = decodeCommand(record.value);
        if (!decoded) {
            log::warn("control.bad_command", {{"offset", std::to_string(record.offset)},
                                              {"error", decoded.error().message}});
            return;
        }
        const ControlCommand &command = *decoded;
        if (!addressedToUs(command)) {
            return;
        }
        log::info("control.command",
                  {{"id", command.id},
                   {"operation", command.operation},
                   {"target", command.target},
                   {"by", command.issuedBy}});
        ControlAck ack;
        try {
            ack = options.handle(command);
        } catch (const std::exception &e) {
            // A command's arguments come from anyone who can write to the topic: one that
            // does not fit is refused, and the engine goes on.
            log::warn("control.bad_arguments", {{"id", command.id}, {"error", e.what()}});
            ack.ok = false;
            ack.message = "the arguments of " + command.operation + " do not fit: " + e.what();
        }
        ack.commandId = command.id;
        ack.instance = options.instance;
        const kafka::OutgoingRecord reply {
            controlTopic(), 0, command.id, toJson(ack).dump(), {{kMessageHeader, kAckMessage}}, 0};
        if (auto sent = producer->produce(reply); !sent) {
            log::warn("control.ack_failed", {{"id", command.id}, {"error", sent.error().message}});
        }
    }

    void run()
    {
        auto nextHeartbeat = std::chrono::steady_clock::now();
        while (!stopping) {
            if (std::chrono::steady_clock::now() >= nextHeartbeat) {
                publishHeartbeat(false);
                nextHeartbeat = std::chrono::steady_clock::now() + options.heartbeatInterval;
            }
            auto batch = consumer->poll(100, std::chrono::milliseconds(200));
            if (!batch) {
                log::debug("control.poll_failed", {{"error", batch.error().message}});
                continue;
            }
            for (const auto &record : *batch) {
                act(record);
            }
        }
    }
};

Result<std::unique_ptr<ControlAgent>> ControlAgent::start(Options options)
{
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    auto start = logEndOf(impl->options.cluster, controlTopic(), std::chrono::seconds(10));
    if (!start) {
        return fail(start.error());
    }
    auto producer = kafka::Producer::create(impl->options.cluster);
    if (!producer) {
        return fail(producer.error());
    }
    auto consumer =
        kafka::Consumer::create(impl->options.cluster, "logdeck-control-" + impl->options.instance);
    if (!consumer) {
        return fail(consumer.error());
    }
    if (auto assigned = (*consumer)->assign({{controlTopic(), 0, *start}}); !assigned) {
        return fail(assigned.error());
    }
    impl->producer = std::move(*producer);
    impl->consumer = std::move(*consumer);
    Impl *raw = impl.get();
    impl->thread = std::thread([raw] {
        nameThisThread("ld-control");
        raw->run();
    });
    return std::unique_ptr<ControlAgent>(new ControlAgent(std::move(impl)));
}

ControlAgent::ControlAgent(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

ControlAgent::~ControlAgent()
{
    stop();
}

void ControlAgent::stop()
{
    if (d->stopped) {
        return;
    }
    d->stopped = true;
    d->stopping = true;
    if (d->thread.joinable()) {
        d->thread.join();
    }
    d->publishHeartbeat(true);
    d->consumer->close();
}

} // namespace logdeck::ops
