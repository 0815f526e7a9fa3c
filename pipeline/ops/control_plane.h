#pragma once

#include "common/result.h"
#include "consume/group_runtime.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace logdeck::ops {

/// One hosted group's state in an engine heartbeat.
struct HostedGroupStatus
{
    struct Partition
    {
        std::string topic;
        std::int32_t partition = 0;
        std::int64_t nextOffset = -1; ///< committed with the group's last batch
        std::int64_t lastRecordTimestampMs = 0; ///< of the last record the group processed
    };
    std::string group;
    std::string state; ///< "running", "paused" or "stopped"
    std::int64_t processed = 0;
    std::int64_t deadLettered = 0;
    double processedPerSecond = 0;
    std::vector<Partition> partitions; ///< those this engine holds
};

/// A hosted group's metrics as its engine's heartbeat reports them.
HostedGroupStatus hostedGroupStatus(const consume::GroupMetrics &metrics);

/// What an engine says about itself on `logdeck.status` (compacted, keyed by instance id)
/// every few seconds.
struct EngineHeartbeat
{
    std::string instance;
    std::string host;
    std::int64_t pid = 0;
    std::string version;
    std::string mode; ///< "embedded" or "broker"
    std::string dataDir;
    std::string collector; ///< http://host:port, or empty
    std::int64_t startedAtMs = 0;
    std::int64_t sentAtMs = 0;
    bool stopping = false; ///< the engine's last heartbeat before it stops
    std::int64_t eventsAccepted = 0;
    std::int64_t outboxDepth = 0;
    std::vector<HostedGroupStatus> groups;
};

/// A command on `logdeck.control`. Engines act on those addressed to them (by instance id)
/// or to a group they host (target "group:<name>").
struct ControlCommand
{
    std::string id; ///< filled in by sendCommand when empty
    std::string target; ///< an instance id, or "group:<name>"
    std::string operation; ///< "group.pause", "group.resume", "group.reset-offsets",
                           ///< "redrive.start", "redrive.pause", "redrive.resume", "redrive.cancel"
    std::string arguments = "{}"; ///< JSON
    std::string issuedBy; ///< user@host
    std::int64_t issuedAtMs = 0;
};

/// An engine's answer to a command, also on `logdeck.control`.
struct ControlAck
{
    std::string commandId;
    std::string instance; ///< the engine that acted
    bool ok = false;
    std::string message; ///< what was done, or why not
    std::string result = "{}"; ///< JSON
};

/// The client.id of an engine's member of `group`: "logdeck-<instance>-<group>".
std::string groupMemberClientId(const std::string &instance, const std::string &group);

/// Decoders of the records on `logdeck.status` and `logdeck.control`. Any bytes are safe:
/// a value that is not what an engine writes (not JSON, nested too deep, a field of the
/// wrong type) is an error naming the problem, which the readers log and skip.
Result<EngineHeartbeat> decodeHeartbeat(std::string_view value);
Result<ControlCommand> decodeCommand(std::string_view value);
Result<ControlAck> decodeAck(std::string_view value);

/// The latest heartbeat of every engine on the cluster (stopped engines included, marked
/// `stopping`), read from `logdeck.status` without joining a group.
Result<std::vector<EngineHeartbeat>> readHeartbeats(const kafka::ClientSettings &cluster,
                                                    std::chrono::milliseconds timeout);

/// Whether an engine is alive, as `logdeck-cli fleet` and the console's Fleet page say:
///   Alive    not stopping, and its heartbeat was sent within the freshness window;
///   Silent   its last heartbeat is older than that (crashed, hung or cut off);
///   Stopped  its last heartbeat said it was stopping.
enum class EngineLiveness { Alive, Silent, Stopped };

/// "alive", "silent", "stopped".
std::string_view livenessName(EngineLiveness liveness);

/// `heartbeat`'s liveness at `nowMs` (Unix ms).
EngineLiveness engineLiveness(const EngineHeartbeat &heartbeat, std::int64_t nowMs,
                              std::chrono::milliseconds freshness);

/// Heartbeats of engines that are alive: not stopping, and sent within `freshness`.
std::vector<EngineHeartbeat> liveEngines(const std::vector<EngineHeartbeat> &heartbeats,
                                         std::chrono::milliseconds freshness);

/// The instance ids of the live engines in `heartbeats` that run `group`.
std::vector<std::string> enginesRunning(const std::vector<EngineHeartbeat> &heartbeats,
                                        const std::string &group);

/// Publishes `command` and waits for the acknowledgements of every engine in `awaitFrom`
/// (the first one when it is empty). Timeout, naming the engines that did not answer, when
/// they do not all acknowledge within `timeout`.
Result<std::vector<ControlAck>> sendCommand(const kafka::ClientSettings &cluster,
                                            ControlCommand command,
                                            const std::vector<std::string> &awaitFrom,
                                            std::chrono::milliseconds timeout);

/// The engine's side of the control plane, on its own thread: publishes a heartbeat every
/// `heartbeatInterval` and acts on the commands addressed to this engine or to a group it
/// hosts, acknowledging each. Commands published before it started are not acted on.
class ControlAgent
{
public:
    struct Options
    {
        kafka::ClientSettings cluster;
        std::string instance;
        std::chrono::milliseconds heartbeatInterval {2000};
        std::function<EngineHeartbeat()> heartbeat; ///< the engine's state now
        std::function<bool(const std::string &group)> hosts; ///< is this group run here?
        std::function<ControlAck(const ControlCommand &)> handle; ///< runs on the agent thread
    };

    static Result<std::unique_ptr<ControlAgent>> start(Options options);
    ~ControlAgent();
    ControlAgent(const ControlAgent &) = delete;
    ControlAgent &operator=(const ControlAgent &) = delete;

    /// Publishes a last heartbeat marked `stopping` and joins the thread. Idempotent.
    void stop();

private:
    struct Impl;
    explicit ControlAgent(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

/// How long a heartbeat counts as alive: three missed intervals.
inline constexpr std::chrono::milliseconds kHeartbeatFreshness {10000};

} // namespace logdeck::ops
