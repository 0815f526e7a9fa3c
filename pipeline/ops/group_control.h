#pragma once
// Pausing and resuming a Logdeck group wherever it runs: what `logdeck-cli groups
// pause|resume` and the console's attach mode share.

#include "common/result.h"
#include "kafka/client_settings.h"
#include "ops/control_plane.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace logdeck::ops {

struct GroupSteerOutcome
{
    std::vector<std::string> engines; ///< the live engines that run the group
    std::vector<ControlAck> acks; ///< their answers; empty when none came in time
    bool ok = false; ///< every engine acknowledged and did it
    std::string result; ///< "ok", or what went wrong (as audited)
    std::int64_t auditId = 0; ///< 0 when the audit record could not be written
    std::string auditError; ///< why not, then
};

/// Sends group.pause or group.resume to every live engine in `heartbeats` that runs
/// `group` and waits up to `timeout` for their answers; the operation, its engines and its
/// result, with each engine's state before and after, go to the audit log of `auditDataDir`
/// (skipped when empty). NotFound, with nothing
/// sent, when no live engine runs the group.
Result<GroupSteerOutcome> steerGroup(const kafka::ClientSettings &cluster,
                                     const std::vector<EngineHeartbeat> &heartbeats,
                                     const std::string &group, bool pause,
                                     const std::string &auditDataDir,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(15));

/// The same for the one live engine `instance` (addressed by its instance id on
/// logdeck.control): the group keeps running in every other engine. NotFound, with nothing
/// sent, when that engine is not alive or does not run the group.
Result<GroupSteerOutcome> steerGroupOn(const kafka::ClientSettings &cluster,
                                       const std::vector<EngineHeartbeat> &heartbeats,
                                       const std::string &instance, const std::string &group,
                                       bool pause, const std::string &auditDataDir,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(15));

/// The audit record's before and after of a pause or resume: {"state": {instance: state}}
/// for each engine, the state as its heartbeat said and as it is once its answer came in.
struct GroupSteerAudit
{
    std::string before;
    std::string after;
};
GroupSteerAudit steerAudit(const std::vector<EngineHeartbeat> &heartbeats,
                           const std::string &group, bool pause, const GroupSteerOutcome &outcome);

} // namespace logdeck::ops
