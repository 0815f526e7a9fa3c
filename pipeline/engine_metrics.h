#pragma once

#include "consume/group_runtime.h"
#include "ops/lag_monitor.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace logdeck {

/// The counters of a group's runtimes that have stopped in this process. A reset stops the
/// group's runtime and starts a new one whose own counters begin at 0; adding what the
/// stopped ones counted keeps the group's counters from going back within one process, as
/// Prometheus counters must. Not thread-safe: the engine holds it under its groups' lock.
class GroupCounterCarry
{
public:
    /// Adds the counters of `final`, the last metrics of a runtime that has stopped.
    void retire(const consume::GroupMetrics &final);
    /// `current` with the retired runtimes' counters of its group added.
    consume::GroupMetrics carried(consume::GroupMetrics current) const;
    /// `group` as it stands while no runtime runs it: the retired counters, not running.
    consume::GroupMetrics stopped(const std::string &group) const;

private:
    std::map<std::string, consume::GroupMetrics> m_retired;
};

/// What the engine's part of /metrics is made of, read at the scrape.
struct EngineMetricsInput
{
    std::string instanceId;
    /// Every hosted group: running ones as their runtime reports them, stopped or refused
    /// ones with `running` false; counters carried (GroupCounterCarry).
    std::vector<consume::GroupMetrics> groups;
    /// The lag monitor's latest sample (null or sampledAtMs 0: none yet); only the groups
    /// this engine hosts are exported.
    std::shared_ptr<const ops::LagSnapshot> lag;
};

/// The engine's families in Prometheus text format: build info, per group counters, state
/// and batch durations, per partition lag, time lag and last record timestamp, and the
/// process metrics (docs/operations.md, "Metrics").
std::string renderEngineMetrics(const EngineMetricsInput &input);

} // namespace logdeck
