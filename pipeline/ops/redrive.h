#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "ops/dead_letters.h"
#include "store/redrive_store.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace logdeck::store {
class Database;
}

namespace logdeck::ops {

/// Where a redrive sends dead letters.
struct RedriveTarget
{
    enum class Kind {
        Retry, ///< the failing group's retry topic: only that group sees the record again
        Original, ///< the topic the record first failed on: every group reading it sees it
        Topic, ///< a named topic, which must exist
    };
    Kind kind = Kind::Retry;
    std::string topic; ///< for Kind::Topic

    /// "retry", "original", or a topic name.
    static RedriveTarget parse(const std::string &text);
    std::string toString() const;
};

/// What a redrive selects, where it sends it, and how fast.
struct RedriveSpec
{
    DeadLetterFilter filter; ///< its topic is the dead-letter topic to read
    /// Event ids or "topic:partition:offset"; when given, the filter narrows within them.
    std::vector<std::string> ids;
    bool all = false; ///< the whole topic: required when neither ids nor criteria select
    RedriveTarget target;
    double ratePerSecond = kDefaultRate;
    bool force = false; ///< redrive dead letters the ledger says were already redriven

    static constexpr double kDefaultRate = 100;
    static constexpr double kMaxRate = 10000;

    /// InvalidArgument when the selection is missing or the rate is out of range.
    Result<void> validate() const;
    std::string toJson() const;
    static Result<RedriveSpec> fromJson(const std::string &json);
};

/// One dead letter a redrive selected, and where it would go.
struct RedriveCandidate
{
    DeadLetter letter;
    std::string targetTopic;
    int previousRedrives = 0; ///< from the ledger
    bool skip = false; ///< already redriven and not forced
};

/// What a redrive would do: `dlq redrive --dry-run` prints it, --execute runs it.
struct RedrivePlan
{
    RedriveSpec spec;
    std::vector<RedriveCandidate> candidates;
    std::int64_t toMove = 0;
    std::int64_t toSkip = 0;
    /// Of those to move, the ones whose failure was permanent (isPermanentFailure).
    std::int64_t permanent = 0;
    std::map<std::string, std::int64_t> byGroup, byTenant, byErrorClass, byTarget;

    /// Something moves, and every record that moves failed permanently: the redrive will
    /// most likely only dead-letter them again.
    bool allPermanent() const { return toMove > 0 && permanent == toMove; }
};

/// Whether `letter` failed with an error the engine treats as permanent (a SchemaError, a
/// PoisonEvent: consume::isPermanentErrorClass), so that redriving it as it is fails again.
bool isPermanentFailure(const DeadLetter &letter);

/// Selects the dead letters of `spec`, resolves each one's target and checks that every
/// target topic exists, then looks the selection up in the ledger. Refuses, changing
/// nothing, when the selection is empty or names an id that is not there, or when a target
/// cannot be resolved or does not exist (InvalidArgument for bad input, NotFound for a
/// missing topic or id).
Result<RedrivePlan> planRedrive(const kafka::ClientSettings &cluster, store::Database &db,
                                const RedriveSpec &spec, std::chrono::milliseconds timeout);

/// Creates a pending task from `plan` (its selection snapshotted in redrive_items) and
/// appends a "dlq.redrive" audit entry; returns the task id. A runner (the engine's, or the
/// CLI's in the foreground) then moves the records.
Result<std::string> createRedriveTask(store::Database &db, const RedrivePlan &plan,
                                      const std::string &requestedBy = {});

/// Task states: pending → running → completed | failed, with paused and cancelled.
namespace redrive_state {
inline constexpr const char *kPending = "pending";
inline constexpr const char *kRunning = "running";
inline constexpr const char *kPaused = "paused";
inline constexpr const char *kCompleted = "completed";
inline constexpr const char *kCancelled = "cancelled";
inline constexpr const char *kFailed = "failed";
} // namespace redrive_state

/// Completed, cancelled or failed: no runner works on the task (a failed one can be resumed).
bool isFinishedRedriveState(const std::string &state);

/// Pause (pending or running), resume (paused, or failed to try its pending items again)
/// and cancel (anything not finished). The runner sees the change before its next batch.
/// Each appends an audit entry ("dlq.redrive.pause", ...). NotFound for an unknown task;
/// InvalidArgument, naming the state, when the task is in a state the change does not apply
/// to.
Result<store::RedriveTaskRow> pauseRedriveTask(store::Database &db, const std::string &taskId);
Result<store::RedriveTaskRow> resumeRedriveTask(store::Database &db, const std::string &taskId);
Result<store::RedriveTaskRow> cancelRedriveTask(store::Database &db, const std::string &taskId);

/// The headers of a redriven record: `letter`'s, less those that describe the failure
/// (error-*, attempt(s), due-at*, failing-group, dead-lettered-at, kafka_dlt-*,
/// __connect.errors.* and an earlier redrive's), with event-id, tenant-id and original-*
/// filled in from the decoded letter where absent, and redrive-count, redriven-by,
/// redriven-at and redrive-task added.
kafka::Headers redriveHeaders(const DeadLetter &letter, int redriveCount,
                              const std::string &redrivenBy, std::int64_t redrivenAtMs,
                              const std::string &taskId);

} // namespace logdeck::ops
