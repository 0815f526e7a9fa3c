#include "ops/control_plane.h"

#include "common/log.h"
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

EngineHeartbeat heartbeatFromJson(const json &j)
{
    EngineHeartbeat h;
    h.instance = j.value("instance", "");
    h.host = j.value("host", "");
    h.pid = j.value("pid", std::int64_t {0});
    h.version = j.value("version", "");
    h.mode = j.value("mode", "");
    h.dataDir = j.value("dataDir", "");
    h.collector = j.value("collector", "");
    h.startedAtMs = j.value("startedAtMs", std::int64_t {0});
    h.sentAtMs = j.value("sentAtMs", std::int64_t {0});
    h.stopping = j.value("stopping", false);
    h.eventsAccepted = j.value("eventsAccepted", std::int64_t {0});
    h.outboxDepth = j.value("outboxDepth", std::int64_t {0});
    for (const auto &g : j.value("groups", json::array())) {
        HostedGroupStatus group;
        group.group = g.value("group", "");
        group.state = g.value("state", "");
        group.processed = g.value("processed", std::int64_t {0});
        group.deadLettered = g.value("deadLettered", std::int64_t {0});
        group.processedPerSecond = g.value("processedPerSecond", 0.0);
        for (const auto &p : g.value("partitions", json::array())) {
            group.partitions.push_back({p.value("topic", ""), p.value("partition", 0),
                                        p.value("nextOffset", std::int64_t {-1}),
                                        p.value("lastRecordTimestampMs", std::int64_t {0})});
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
            {"arguments", json::parse(c.arguments, nullptr, false)},
            {"issuedBy", c.issuedBy},
            {"issuedAtMs", c.issuedAtMs}};
}

std::string jsonText(const json &j, const char *key)
{
    const auto it = j.find(key);
    return it == j.end() || it->is_discarded() ? std::string("{}") : it->dump();
}

ControlCommand commandFromJson(const json &j)
{
    return {j.value("id", ""),        j.value("target", ""),
            j.value("operation", ""), jsonText(j, "arguments"),
            j.value("issuedBy", ""),  j.value("issuedAtMs", std::int64_t {0})};
}

json toJson(const ControlAck &a)
{
    return {{"commandId", a.commandId},
            {"instance", a.instance},
            {"ok", a.ok},
            {"message", a.message},
            {"result", json::parse(a.result, nullptr, false)}};
}

ControlAck ackFromJson(const json &j)
{
    return {j.value("commandId", ""), j.value("instance", ""), j.value("ok", false),
            j.value("message", ""), jsonText(j, "result")};
}

/// Produces one record and waits for the broker's acknowledgement.
Result<void> produceAndWait(kafka::Producer &producer, const kafka::OutgoingRecord &record,
                            std::chrono::milliseconds timeout)
{
    std::mutex mutex;
    std::condition_variable done;
    std::optional<kafka::DeliveryReport> report;
    auto produced = producer.produce(record, [&](const kafka::DeliveryReport &r) {
        const std::lock_guard lock(mutex);
        report = r;
        done.notify_all();
    });
    if (!produced) {
        return produced;
    }
    std::unique_lock lock(mutex);
    if (!done.wait_for(lock, timeout, [&] { return report.has_value(); })) {
        return fail(Error::timeout("the broker did not acknowledge a record on " + record.topic
                                   + " within " + std::to_string(timeout.count()) + " ms"));
    }
    if (report->error) {
        return fail(*report->error);
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
                const json value = json::parse(record.value, nullptr, false);
                if (value.is_object()) {
                    latest[record.key] = heartbeatFromJson(value);
                }
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

std::vector<EngineHeartbeat> liveEngines(const std::vector<EngineHeartbeat> &heartbeats,
                                         std::chrono::milliseconds freshness)
{
    const std::int64_t oldest = nowMillis() - freshness.count();
    std::vector<EngineHeartbeat> live;
    for (const auto &h : heartbeats) {
        if (!h.stopping && h.sentAtMs >= oldest) {
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
            const json value = json::parse(r.value, nullptr, false);
            if (!value.is_object()) {
                continue;
            }
            acks.push_back(ackFromJson(value));
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
        const json value = json::parse(record.value, nullptr, false);
        if (!value.is_object()) {
            return;
        }
        const ControlCommand command = commandFromJson(value);
        if (!addressedToUs(command)) {
            return;
        }
        log::info("control.command",
                  {{"id", command.id},
                   {"operation", command.operation},
                   {"target", command.target},
                   {"by", command.issuedBy}});
        ControlAck ack = options.handle(command);
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
    impl->thread = std::thread([raw] { raw->run(); });
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
