#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace logdeck::store {

/// The dedup key of one event, viewing the caller's strings.
struct DedupKey
{
    std::string_view tenant;
    std::string_view eventId;
    std::int64_t occurredAtMs = 0;
};

class Database;

/// One processing group's own state in its own database file (`DATA/groups/<group>.db`,
/// so a slow group never holds another group's write lock): the next offset per partition
/// and the dedup keys of the events it has processed. Used on the group's thread, inside
/// the batch's transaction.
///
/// Dedup keys are (tenant, event id) bucketed by the second of the event's occurredAt: a
/// client's retry, a load generator's duplicate and the relay's re-send all repeat the
/// event as it was, occurredAt included, so they land in the same bucket; and since events
/// arrive roughly in time order, inserts touch only the recent end of the index, which
/// keeps them fast at tens of millions of rows with random ids (bench/dedup_bench.cpp).
/// A re-sent event whose occurredAt changed is not recognized. Keys older than the window
/// are pruned.
class GroupStore
{
public:
    /// `DATA/groups/<group>.db`.
    static std::string pathFor(const std::string &dataDir, const std::string &group);

    GroupStore(Database &db, std::string group);
    ~GroupStore();
    GroupStore(const GroupStore &) = delete;
    GroupStore &operator=(const GroupStore &) = delete;

    /// The next offset to read per partition, as last committed with a batch.
    Result<std::vector<kafka::TopicPartitionOffset>> loadOffsets();

    /// Records next offsets (inside the caller's transaction).
    Result<void> saveOffsets(const std::vector<kafka::TopicPartitionOffset> &offsets);

    /// Records a reset's offsets (inside the caller's transaction): the group resumes from
    /// them even where Kafka's committed offset is ahead, until it saves its next batch.
    Result<void> saveResetOffsets(const std::vector<kafka::TopicPartitionOffset> &offsets);

    /// The partitions whose saved offset is a reset the group has not resumed from yet.
    Result<std::vector<kafka::TopicPartition>> pendingResets();

    /// Records that the event was processed; false when it already was (a duplicate).
    Result<bool> markProcessed(const std::string &tenant, const std::string &eventId,
                               std::int64_t occurredAtMs);

    /// markProcessed for each of `keys`, with the same outcome as calling it on each in
    /// turn: isNew[i] is false when the key was held already or is repeated earlier in
    /// `keys`. The keys are inserted in key order, so that the inserts walk the index
    /// instead of jumping around it. On failure nothing is known of any key.
    Result<void> markProcessed(std::span<const DedupKey> keys, std::vector<char> &isNew);

    /// Removes the key markProcessed added, for an event that then failed and will come
    /// back through the retry path, or for a replay (inside the caller's transaction); false
    /// when the key was not there.
    Result<bool> forgetProcessed(const std::string &tenant, const std::string &eventId,
                                 std::int64_t occurredAtMs);

    /// Deletes the dedup keys of the seconds before the second of `cutoffMs` (keys of that second
    /// stay, even of events that occurred before `cutoffMs`), the oldest first and at most
    /// `limit` of them (a bounded transaction); returns how many.
    Result<std::int64_t> pruneProcessedBefore(std::int64_t cutoffMs,
                                              std::int64_t limit = INT64_MAX);

    /// Deletes `tenant`'s dedup keys of events that occurred at `fromMs` (a whole second)
    /// or later, for a replay with --rebuild; returns how many.
    Result<std::int64_t> forgetProcessedFrom(const std::string &tenant, std::int64_t fromMs);

    /// Dedup keys held.
    Result<std::int64_t> processedCount();

    /// Whether the dedup key of the event is held: the group processed it (or dead-lettered
    /// it: a permanent failure keeps its key) and the key is not pruned yet.
    Result<bool> isProcessed(const std::string &tenant, const std::string &eventId,
                             std::int64_t occurredAtMs);

    /// The dedup window: keys of events older than this are pruned (default 7 days).
    static constexpr std::chrono::hours kDedupWindow {24 * 7};

private:
    Result<void> writeOffsets(const std::vector<kafka::TopicPartitionOffset> &offsets, bool reset);
    struct Statements;
    Database &m_db;
    std::string m_group;
    std::vector<std::uint32_t> m_order; ///< markProcessed's key order, reused
    std::unique_ptr<Statements> m_statements;
};

} // namespace logdeck::store
