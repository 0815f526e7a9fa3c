#pragma once
// What `groups` and `lag` share: sampling the cluster behind the command's options, and
// showing lag figures the same way in tables and JSON.

#include "cli/table.h"
#include "common/result.h"
#include "ops/cluster_observer.h"

#include <QCommandLineParser>
#include <QJsonObject>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace logdeck::cli {

/// A lag sampler of the cluster named by --broker / --data, with the hosted groups that
/// engines announce in their heartbeats.
class LagSession
{
public:
    /// Connects to the cluster of `parser`'s options (addClusterOptions, addDataOption).
    static Result<std::unique_ptr<LagSession>> open(const QCommandLineParser &parser,
                                                    ops::LagSamplingOptions options);

    /// One sample: the engines' heartbeats, then every group's offsets.
    Result<ops::LagSnapshot> sample();

    /// A one-shot answer: two samples `gap` apart, so that rates, time lag and the
    /// rewind check have something to compare. When an engine runs on the data directory
    /// (no --broker), each group's status is its monitor's latest, judged over a full window.
    Result<ops::LagSnapshot> sampleTwice(std::chrono::milliseconds gap);

private:
    explicit LagSession(std::unique_ptr<ops::ClusterObserver> observer);

    /// Takes each group's status from the engine's lag_history when it is fresh.
    void useMonitorStatus(ops::LagSnapshot &snapshot) const;

    std::unique_ptr<ops::ClusterObserver> m_observer;
    bool m_heartbeatWarned = false;
    std::string m_engineDatabase; ///< the running engine's database, or empty
};

/// "-" (unknown), "∞", "0s", "42s", "3m07s", "5h02m".
std::string formatDuration(std::optional<double> seconds);

/// Messages per second: "-" (unknown), "0", "12.5", "1200".
std::string formatRate(std::optional<double> perSecond);

/// The group as JSON, its partitions included when `withPartitions`.
QJsonObject toJson(const ops::GroupLag &group, bool withPartitions);

/// The table rows shared by `groups list` and `lag`: one per group.
std::vector<std::string> groupRow(const ops::GroupLag &group);
std::vector<std::string> groupHeader();

/// Sleeps up to `duration`, returning early (false) when SIGINT or SIGTERM arrived.
bool sleepUnlessStopped(std::chrono::milliseconds duration);

} // namespace logdeck::cli
