#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "ops/control_plane.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace logdeck::ops {

/// kafka-consumer-groups' reset strategies, by the same names.
enum class ResetStrategy {
    ToEarliest, ///< --to-earliest
    ToLatest, ///< --to-latest
    ToCurrent, ///< --to-current
    ToOffset, ///< --to-offset N
    ShiftBy, ///< --shift-by N
    ToDatetime, ///< --to-datetime ISO8601
    ByDuration, ///< --by-duration PnDTnHnMnS
    FromFile, ///< --from-file CSV
};

/// What to reset: the group, the strategy and its argument, and the scope.
struct ResetRequest
{
    std::string group;
    ResetStrategy strategy = ResetStrategy::ToCurrent;
    std::int64_t offset = 0; ///< ToOffset: the offset; ShiftBy: the shift
    std::int64_t timestampMs = 0; ///< ToDatetime and ByDuration: the instant to go back to
    std::vector<kafka::TopicPartitionOffset> fileOffsets; ///< FromFile
    bool allTopics = false; ///< every topic the group has committed offsets for
    /// --topic T (all partitions: empty list) or T:P,P; FromFile takes its scope from the file.
    std::map<std::string, std::vector<std::int32_t>> topics;
    bool rebuild = false;
};

/// One partition of a plan.
struct PartitionReset
{
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t current = -1; ///< the group's committed offset; -1: none yet
    std::int64_t target = 0; ///< the new offset
    std::int64_t logStart = 0;
    std::int64_t logEnd = 0;
    std::int64_t currentTimestampMs = 0; ///< of the record at `current`; 0: none there
    std::int64_t targetTimestampMs = 0; ///< of the record at `target`; 0: none there
    bool clamped = false; ///< the asked offset was outside [logStart, logEnd]
    /// --rebuild: the group's state of this partition's tenants is rebuilt from this time
    /// (the minute of the record at the asked offset; `target` moved back to it); 0: none.
    std::int64_t rebuildFromMs = 0;

    /// Records that will be read again (> 0) or skipped (< 0).
    std::int64_t reread() const { return (current < 0 ? logEnd : current) - target; }
};

/// What a reset will do, computed without changing anything.
struct ResetPlan
{
    std::string group;
    std::string strategy; ///< as given, e.g. "--to-datetime 2026-11-26T10:00:00Z"
    std::vector<PartitionReset> partitions; ///< sorted by topic and partition
    bool rebuild = false;
    std::string groupState; ///< "Stable", "Empty", ... ; "unknown" where it cannot be described
    std::vector<std::string> activeMembers; ///< "member-id (client-id@host)"
    std::vector<std::string> hostedBy; ///< live engines that run the group
    std::vector<std::string> warnings;
};

/// Where the plan is made: the cluster, the data directory holding the group's SQLite
/// state, the persister's index and the audit log, and whether the cluster is the embedded
/// mock cluster (which can neither look up offsets by time nor describe groups).
struct ResetContext
{
    kafka::ClientSettings cluster;
    std::string dataDir;
    bool mockCluster = false;
    std::chrono::milliseconds timeout {15000};
};

/// Parses kafka-consumer-groups' CSV (`topic,partition,offset` per line). Names the line
/// and the problem of the first bad row.
Result<std::vector<kafka::TopicPartitionOffset>> parseOffsetsCsv(const std::string &text);

/// The plan in the CSV that --from-file reads: the new offsets, or the current ones
/// (the undo file).
std::string toOffsetsCsv(const ResetPlan &plan, bool currentOffsets);

/// Parses an ISO 8601 duration of days, hours, minutes and seconds (PnDTnHnMnS, as
/// kafka-consumer-groups' --by-duration).
Result<std::chrono::milliseconds> parseIsoDuration(const std::string &text);

/// Validates the request against the cluster and computes the plan. Unknown group, topic
/// or partition, a time in the future and an empty scope are refused with the reason.
Result<ResetPlan> planReset(const ResetContext &context, const ResetRequest &request);

/// What an executed reset did.
struct ResetOutcome
{
    ResetPlan plan;
    std::vector<std::string> steps; ///< what was done, in order
    std::int64_t forgottenEvents = 0; ///< dedup keys removed by --rebuild
    std::int64_t auditId = 0;
};

/// Applies `plan`: for a group that live engines host, pauses it in every one of them
/// (through logdeck.control), waits until the group is empty, applies the offsets (and the
/// rebuild) and resumes it; for another group, refuses while it has members. Every
/// partition moves or none does. Writes an audit record either way.
Result<ResetOutcome> executeReset(const ResetContext &context, const ResetPlan &plan);

/// The engine's part of a reset, run where the group's SQLite file is: in one SQLite
/// transaction, for --rebuild deletes, for every tenant with events in the replayed
/// ranges, its dedup keys and derived rows from the partition's rebuild time onward;
/// stores the new offsets; and, when `commitToKafka`, commits them to the group in Kafka:
/// either all of it happens or none. The group must not be running. Returns how many dedup
/// keys were deleted.
Result<std::int64_t> applyResetLocally(const ResetContext &context, const ResetPlan &plan,
                                       bool commitToKafka);

/// The plan as JSON (for control commands and --json) and back.
std::string toJson(const ResetPlan &plan);
Result<ResetPlan> resetPlanFromJson(const std::string &text);

} // namespace logdeck::ops
