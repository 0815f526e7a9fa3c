#pragma once

#include "common/result.h"
#include "consume/group_runtime.h"
#include "kafka/client_settings.h"
#include "ops/control_plane.h"
#include "ops/lag_evaluation.h"
#include "store/lag_history.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace logdeck::kafka {
class AdminClient;
}

namespace logdeck::ops {

/// A group Logdeck runs, in this process or in an engine known from its heartbeat.
struct HostedGroup
{
    std::string instance; ///< the engine that runs it
    HostedGroupStatus status;
    /// When `status` was true: the heartbeat's time; 0 for now (this engine's own groups).
    std::int64_t reportedAtMs = 0;
};

/// This engine's groups as HostedGroups ("running", or "paused").
std::vector<HostedGroup> hostedGroupsOf(const std::string &instance,
                                        const std::vector<consume::GroupMetrics> &groups);

/// The groups of the engines whose heartbeats are live.
std::vector<HostedGroup> hostedGroupsOf(const std::vector<EngineHeartbeat> &heartbeats);

/// One partition of a group, as sampled.
struct PartitionLag
{
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t committedOffset = -1; ///< -1: the group has not committed here
    std::int64_t logEndOffset = -1;
    std::int64_t lag = -1; ///< log end - committed; -1 when either is unknown
    /// Seconds since the group's position was the head of the log; nullopt when unknown.
    std::optional<double> timeLagSeconds;
    bool timeLagExact = false; ///< from the hosting engine's record timestamps
    std::optional<double> consumeRate; ///< messages committed per second over the window
    std::optional<double> produceRate; ///< log-end growth per second over the window
    /// lag / (consumeRate - produceRate); +infinity when not draining; nullopt: too few samples.
    std::optional<double> timeToDrainSeconds;
    LagStatus status = LagStatus::Ok;
    std::string consumerId; ///< the member holding the partition, when known
    std::string host;
    std::string clientId;
};

/// One consumer group, as sampled.
struct GroupLag
{
    std::string group;
    std::string state; ///< Kafka's ("Stable", "Empty", ...), or the hosting engine's
    int members = -1; ///< -1: unknown (the cluster cannot describe groups, or this one)
    bool membersUnknown = false; ///< listed but not describable (a KIP-848 group)
    std::vector<std::string> topics;
    std::int64_t lag = 0; ///< summed over partitions with a known lag
    std::optional<double> timeLagSeconds; ///< the largest of its partitions'
    std::optional<double> consumeRate; ///< summed over partitions
    std::optional<double> timeToDrainSeconds; ///< the longest of its partitions'
    LagStatus status = LagStatus::Ok; ///< its worst partition's
    /// `status` comes from a running engine's monitor (a full window), not from this sample.
    bool statusFromMonitor = false;
    std::string hostedBy; ///< the engine instance running it, or empty
    std::string error; ///< why the group could not be sampled, or empty
    std::vector<PartitionLag> partitions; ///< sorted by topic and partition
};

/// Every group's lag at one moment; immutable once made.
struct LagSnapshot
{
    std::int64_t sampledAtMs = 0;
    std::vector<GroupLag> groups; ///< sorted by name
    std::string note; ///< e.g. why only hosted groups are shown
    const GroupLag *find(const std::string &group) const;
};

struct LagSamplingOptions
{
    /// Commits in Burrow's sliding window (and samples behind the rates).
    std::size_t windowSize = 10;
    /// The sampling interval: a window holding a single commit is judged STOP only after
    /// windowSize intervals without one.
    std::chrono::milliseconds interval {1000};
    std::chrono::milliseconds requestTimeout {5000};
    std::string onlyGroup; ///< empty: every group
};

/// Samples the lag of every consumer group and keeps, between samples, what health, rates
/// and time lag need: each partition's commit window and each topic partition's log-end
/// timeline. Not thread-safe: one owner calls sampleOnce() repeatedly.
class LagSampler
{
public:
    explicit LagSampler(LagSamplingOptions options = {});
    ~LagSampler();
    LagSampler(const LagSampler &) = delete;
    LagSampler &operator=(const LagSampler &) = delete;

    /// Every group the cluster lists (or, when it cannot list groups, as the embedded mock
    /// cluster cannot, the hosted ones), with `hosted` supplying exact time lag and the
    /// hosting engine. Blocks for a few admin requests.
    Result<LagSnapshot> sampleOnce(kafka::AdminClient &admin,
                                   const std::vector<HostedGroup> &hosted);

private:
    struct State;
    LagSamplingOptions m_options;
    std::unique_ptr<State> m_state;
};

/// The engine's lag monitor: one thread sampling every interval, keeping the latest snapshot
/// and an hour of each group's lag in memory, and writing history to `lag_history`.
class LagMonitor
{
public:
    struct Options
    {
        kafka::ClientSettings cluster;
        std::string databasePath; ///< where lag_history is; empty: keep no history
        LagSamplingOptions sampling;
        std::function<std::vector<HostedGroup>()> hostedGroups; ///< called on the thread
    };

    static Result<std::unique_ptr<LagMonitor>> start(Options options);
    ~LagMonitor();
    LagMonitor(const LagMonitor &) = delete;
    LagMonitor &operator=(const LagMonitor &) = delete;

    /// Joins the thread. Idempotent.
    void stop();

    /// The latest sample; an empty snapshot (sampledAtMs 0) before the first.
    std::shared_ptr<const LagSnapshot> snapshot() const;

    /// `group`'s lag from `fromMs` to `toMs`, oldest first: from memory for the last hour,
    /// else from lag_history (1 min resolution past the hour).
    Result<std::vector<store::LagHistoryPoint>>
    history(const std::string &group, std::int64_t fromMs, std::int64_t toMs) const;

    /// Points kept in memory per group: an hour at 1 s.
    static constexpr std::size_t kMemoryPoints = 3600;

private:
    struct Impl;
    explicit LagMonitor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace logdeck::ops
