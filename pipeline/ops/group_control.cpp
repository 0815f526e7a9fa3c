#include "ops/group_control.h"

#include "store/audit_log.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace logdeck::ops {

namespace {

/// Sends the command to `engines` (addressed to the group, or to the one instance when
/// `instance` is set) and audits it.
GroupSteerOutcome steer(const kafka::ClientSettings &cluster,
                        const std::vector<EngineHeartbeat> &heartbeats,
                        std::vector<std::string> engines, const std::string &instance,
                        const std::string &group, bool pause, const std::string &auditDataDir,
                        std::chrono::milliseconds timeout)
{
    GroupSteerOutcome outcome;
    outcome.engines = std::move(engines);
    ControlCommand command;
    command.target = instance.empty() ? "group:" + group : instance;
    command.operation = pause ? "group.pause" : "group.resume";
    command.arguments = instance.empty() ? "{}" : nlohmann::json {{"group", group}}.dump();
    auto acks = sendCommand(cluster, command, outcome.engines, timeout);
    outcome.ok = acks.has_value();
    outcome.result = acks ? "ok" : acks.error().message;
    if (acks) {
        outcome.acks = std::move(*acks);
        for (const auto &ack : outcome.acks) {
            if (!ack.ok) {
                outcome.ok = false;
                outcome.result = ack.instance + ": " + ack.message;
            }
        }
    }
    if (!auditDataDir.empty()) {
        store::AuditEntry entry;
        entry.operation = pause ? "groups.pause" : "groups.resume";
        entry.target = group;
        entry.parameters = nlohmann::json {{"engines", outcome.engines}}.dump();
        const auto audit = steerAudit(heartbeats, group, pause, outcome);
        entry.before = audit.before;
        entry.after = audit.after;
        entry.result = outcome.result;
        if (auto audited = store::AuditLog::appendTo(auditDataDir, entry)) {
            outcome.auditId = *audited;
        } else {
            outcome.auditError = audited.error().message;
        }
    }
    return outcome;
}

} // namespace

GroupSteerAudit steerAudit(const std::vector<EngineHeartbeat> &heartbeats,
                           const std::string &group, bool pause, const GroupSteerOutcome &outcome)
{
    nlohmann::json before = nlohmann::json::object();
    for (const auto &heartbeat : heartbeats) {
        if (std::ranges::find(outcome.engines, heartbeat.instance) == outcome.engines.end()) {
            continue;
        }
        for (const auto &hosted : heartbeat.groups) {
            if (hosted.group == group) {
                before[heartbeat.instance] = hosted.state;
            }
        }
    }
    nlohmann::json after = before;
    for (const auto &ack : outcome.acks) {
        if (ack.ok) {
            after[ack.instance] = pause ? "paused" : "running";
        }
    }
    return {nlohmann::json {{"state", before}}.dump(), nlohmann::json {{"state", after}}.dump()};
}

Result<GroupSteerOutcome> steerGroup(const kafka::ClientSettings &cluster,
                                     const std::vector<EngineHeartbeat> &heartbeats,
                                     const std::string &group, bool pause,
                                     const std::string &auditDataDir,
                                     std::chrono::milliseconds timeout)
{
    auto engines = enginesRunning(heartbeats, group);
    if (engines.empty()) {
        return fail(Error::notFound("no live Logdeck engine runs group '" + group
                                    + "' ('logdeck-cli fleet' lists the engines and their groups)"));
    }
    return steer(cluster, heartbeats, std::move(engines), {}, group, pause, auditDataDir, timeout);
}

Result<GroupSteerOutcome> steerGroupOn(const kafka::ClientSettings &cluster,
                                       const std::vector<EngineHeartbeat> &heartbeats,
                                       const std::string &instance, const std::string &group,
                                       bool pause, const std::string &auditDataDir,
                                       std::chrono::milliseconds timeout)
{
    const auto running = enginesRunning(heartbeats, group);
    if (std::ranges::find(running, instance) == running.end()) {
        return fail(Error::notFound("engine '" + instance + "' is not alive or does not run group '"
                                    + group
                                    + "' ('logdeck-cli fleet' lists the engines and their groups)"));
    }
    return steer(cluster, heartbeats, {instance}, instance, group, pause, auditDataDir, timeout);
}

} // namespace logdeck::ops
