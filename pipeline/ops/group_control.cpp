#include "ops/group_control.h"

#include "store/audit_log.h"

#include <nlohmann/json.hpp>

namespace logdeck::ops {

Result<GroupSteerOutcome> steerGroup(const kafka::ClientSettings &cluster,
                                     const std::vector<EngineHeartbeat> &heartbeats,
                                     const std::string &group, bool pause,
                                     const std::string &auditDataDir,
                                     std::chrono::milliseconds timeout)
{
    GroupSteerOutcome outcome;
    outcome.engines = enginesRunning(heartbeats, group);
    if (outcome.engines.empty()) {
        return fail(Error::notFound("no live Logdeck engine runs group '" + group
                                    + "' ('logdeck-cli fleet' lists the engines and their groups)"));
    }
    auto acks = sendCommand(cluster,
                            {{}, "group:" + group, pause ? "group.pause" : "group.resume", "{}", {}, 0},
                            outcome.engines, timeout);
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
        entry.result = outcome.result;
        if (auto audited = store::AuditLog::appendTo(auditDataDir, entry)) {
            outcome.auditId = *audited;
        } else {
            outcome.auditError = audited.error().message;
        }
    }
    return outcome;
}

} // namespace logdeck::ops
