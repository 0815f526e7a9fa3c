#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "ops/control_plane.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
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

/// Parses --to-datetime: an RFC 3339 date-time (2026-11-26T10:00:00Z, offsets and fractions
/// allowed), or kafka-consumer-groups' zone-less YYYY-MM-DDTHH:mm:SS.sss (or without the
/// fraction) as this machine's local time, as Kafka's tool reads it. Unix milliseconds; an
/// error naming both forms otherwise.
Result<std::int64_t> parseResetDatetime(const std::string &text);

/// Validates the request against the cluster and computes the plan. Unknown group, topic
/// or partition, a time in the future and an empty scope are refused with the reason.
Result<ResetPlan> planReset(const ResetContext &context, const ResetRequest &request);

/// The steps of an executed reset, in the order they happen. A group that Logdeck engines
/// run: Stopping, Empty, Applying, Applied, Resumed. Another group: CheckingMembers,
/// Applying, Applied. A cancelled reset ends with Cancelled (after Resumed when it had
/// stopped the group); a failed one with Failed.
enum class ResetStep {
    Stopping, ///< the engines that run the group are told to stop it
    CheckingMembers, ///< the group must have no members (a group no engine runs)
    Empty, ///< the group has no members: offsets may move
    Applying, ///< the offsets are being applied: no cancel from here on
    Applied, ///< every partition moved
    Resumed, ///< the engines run the group again
    Cancelled, ///< cancelled before the apply step: nothing moved
    Failed, ///< refused or failed: nothing moved
};

/// "stopping", "checking-members", "empty", "applying", "applied", "resumed", "cancelled",
/// "failed".
std::string_view resetStepName(ResetStep step);

/// One step as it happens.
struct ResetProgress
{
    ResetStep step = ResetStep::Stopping;
    std::string text; ///< what happened, for a person
    std::int64_t atMs = 0;
};

/// Called on executeReset's thread as each step starts or ends.
using ResetProgressHandler = std::function<void(const ResetProgress &)>;

/// Cancels an executeReset from another thread, until its apply step starts.
class ResetCancellation
{
public:
    /// Asks the reset to stop; true when it will (the apply step has not started), false
    /// when it is too late.
    bool cancel()
    {
        int expected = Open;
        return m_state.compare_exchange_strong(expected, Cancelled) || expected == Cancelled;
    }
    bool isCancelled() const { return m_state.load() == Cancelled; }
    /// The reset enters its apply step; false when it was cancelled first.
    bool beginApplying()
    {
        int expected = Open;
        return m_state.compare_exchange_strong(expected, Applying);
    }

private:
    enum { Open, Cancelled, Applying };
    std::atomic<int> m_state {Open};
};

/// What an executed reset did.
struct ResetOutcome
{
    ResetPlan plan;
    std::vector<std::string> steps; ///< what was done, in order
    std::int64_t forgottenEvents = 0; ///< dedup keys removed by --rebuild
    std::int64_t auditId = 0;
    /// Cancelled before the apply step: nothing moved (the group was resumed).
    bool cancelled = false;
    /// The previous offsets, as --from-file reads them (DATA/resets/GROUP-MS.undo.csv);
    /// empty when the group had no committed offset to go back to.
    std::string undoPath;
};

/// Writes the plan's current offsets to DATA/resets/GROUP-MS.undo.csv (directory 0700, file
/// 0600) and returns its path; empty when no partition had a committed offset.
Result<std::string> writeUndoFile(const std::string &dataDir, const ResetPlan &plan);

/// Applies `plan`: first writes the undo file (if that fails nothing moves); for a group
/// that live engines host, pauses it in every one of them (through logdeck.control), waits
/// until the group is empty, applies the offsets (and the rebuild) and resumes it; for
/// another group, refuses while it has members. Every partition moves or none does.
/// `progress` hears each step; `cancellation` stops the reset until the apply step starts
/// (what was paused is resumed, nothing moves, `cancelled` is set). Writes an audit record
/// either way (ok, failed or cancelled).
Result<ResetOutcome> executeReset(const ResetContext &context, const ResetPlan &plan,
                                  const ResetProgressHandler &progress = {},
                                  ResetCancellation *cancellation = nullptr);

/// A past reset, from the audit log.
struct ResetRecord
{
    std::int64_t auditId = 0;
    std::int64_t atMs = 0;
    std::string user;
    std::string host;
    std::string group;
    std::string strategy;
    bool rebuild = false;
    std::string result; ///< the audit record's result
    bool ok = false; ///< every partition moved
    bool cancelled = false;
    /// The offsets before and after (after = before when nothing moved).
    std::vector<kafka::TopicPartitionOffset> before;
    std::vector<kafka::TopicPartitionOffset> after;
    std::string undoPath; ///< the undo file, when recorded and still there
};

/// The newest `limit` resets of DATA (the audit log's groups.reset-offsets records), newest
/// first; only `group`'s when not empty. No audit log yet: none.
Result<std::vector<ResetRecord>> listResets(const std::string &dataDir, int limit = 200,
                                            const std::string &group = {});

/// The request that undoes `record`: --from-file of its undo file, or of its previous
/// offsets when the file is gone. Refused for a reset that moved nothing.
Result<ResetRequest> undoRequest(const ResetRecord &record);

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
