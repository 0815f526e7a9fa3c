#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "store/redrive_store.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace logdeck::store {
class Database;
}

namespace logdeck::ops {

/// What became of a redriven event, as seen from its failing group.
enum class RedriveOutcome {
    NotReached, ///< the group's committed offset on the target partition is not past it yet
    Processed, ///< the group's committed offset passed it and it did not fail again
    DeadLetteredAgain, ///< a newer dead letter of the same event, marked as redriven, exists
};

const char *toString(RedriveOutcome outcome);

/// One ledger row and its outcome.
struct RedriveOutcomeRow
{
    store::RedriveRecord redrive;
    RedriveOutcome outcome = RedriveOutcome::NotReached;
    std::string detail; ///< the offset compared, or the new dead letter's coordinates
};

/// The outcome of each redrive in `redrives`. A group's committed offset is the larger of
/// what Kafka holds for it and, for a group this data directory hosts, what its database
/// (DATA/groups/<group>.db) committed with its last batch. The dead-letter topics the
/// redrives came from are read for newer dead letters of the same events.
Result<std::vector<RedriveOutcomeRow>>
redriveOutcomes(const kafka::ClientSettings &cluster, const std::string &dataDir,
                const std::vector<store::RedriveRecord> &redrives,
                std::chrono::milliseconds timeout);

/// Outcome rows arranged for showing them: counts per task, and each dead letter's latest.
struct RedriveOutcomeIndex
{
    /// (dead-letter topic, partition, offset)
    using Key = std::tuple<std::string, std::int32_t, std::int64_t>;
    std::map<std::string, std::map<RedriveOutcome, std::int64_t>> perTask;
    std::map<Key, RedriveOutcomeRow> latest;

    explicit RedriveOutcomeIndex(const std::vector<RedriveOutcomeRow> &rows = {});
    /// How many redrives of `taskId` have `outcome`.
    std::int64_t count(const std::string &taskId, RedriveOutcome outcome) const;
    /// The outcome of the dead letter at `key` when its latest redrive was `taskId`'s.
    const RedriveOutcomeRow *latestOf(const Key &key, const std::string &taskId) const;
};

/// One dead letter a task selected: its item row and, once moved, where it went.
struct RedriveTaskItem
{
    store::RedriveItemRow item;
    std::optional<store::RedriveRecord> move; ///< the ledger row of this task's move
    RedriveOutcomeIndex::Key key() const
    {
        return {item.dlqTopic, item.dlqPartition, item.dlqOffset};
    }
};

/// A task, each dead letter it selected with where it went, and the ledger rows of its
/// moves (for redriveOutcomes). NotFound for an unknown task.
struct RedriveTaskDetails
{
    store::RedriveTaskRow task;
    std::vector<RedriveTaskItem> items;
    std::vector<store::RedriveRecord> ledger;
};
Result<RedriveTaskDetails> redriveTaskDetails(store::Database &db, const std::string &taskId);

} // namespace logdeck::ops
