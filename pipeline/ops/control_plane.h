#pragma once

#include "common/result.h"
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

/// The latest heartbeat of every engine on the cluster (stopped engines included, marked
/// `stopping`), read from `logdeck.status` without joining a group.
Result<std::vector<EngineHeartbeat>> readHeartbeats(const kafka::ClientSettings &cluster,
                                                    std::chrono::milliseconds timeout);

/// Heartbeats of engines that are alive: not stopping, and sent within `freshness`.
std::vector<EngineHeartbeat> liveEngines(const std::vector<EngineHeartbeat> &heartbeats,
                                         std::chrono::milliseconds freshness);

/// Publishes `command` and waits for the first acknowledgement. Timeout, naming the
/// target, when no engine acknowledges within `timeout`.
Result<ControlAck> sendCommand(const kafka::ClientSettings &cluster, ControlCommand command,
                               std::chrono::milliseconds timeout);

} // namespace logdeck::ops
