#pragma once

#include "common/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace logdeck::store {

/// One row of `redrive_ledger` (engine database): a dead letter sent back, and where to.
struct RedriveRecord
{
    std::string dlqTopic;
    std::int32_t dlqPartition = 0;
    std::int64_t dlqOffset = 0;
    int redriveCount = 0;
    std::string taskId;
    std::string eventId;
    std::string tenant;
    std::string failingGroup;
    std::string targetTopic;
    std::int32_t targetPartition = 0;
    std::int64_t targetOffset = 0;
    std::string redrivenBy;
    std::int64_t redrivenAtMs = 0;
};

class Database;

/// What the ledger and the live tasks say of one dead letter.
struct DeadLetterRedriveState
{
    int redriven = 0; ///< times the ledger says it was redriven
    bool inTask = false; ///< a pending, running or paused task still has it to move
};

/// One `redrive_tasks` row: a DLQ redrive task and its progress.
struct RedriveTaskRow
{
    std::string id;
    std::int64_t createdAtMs = 0;
    std::string createdBy; ///< user@host
    std::string spec = "{}"; ///< JSON: the selection, the target, the rate, force
    std::string state; ///< see ops::RedriveState
    std::int64_t total = 0;
    std::int64_t moved = 0;
    std::int64_t skipped = 0;
    std::int64_t failed = 0;
    std::int64_t updatedAtMs = 0;
    std::optional<std::int64_t> startedAtMs;
    std::optional<std::int64_t> finishedAtMs;
    std::string error;
    std::string runner; ///< who holds the lease: "<instance>" of an engine or a CLI process
    std::int64_t leaseUntilMs = 0;
};

/// One `redrive_items` row: a dead letter a task selected, and what became of it.
struct RedriveItemRow
{
    std::string taskId;
    std::string dlqTopic;
    std::int32_t dlqPartition = 0;
    std::int64_t dlqOffset = 0;
    std::string state = "pending"; ///< pending, moved, skipped, failed, cancelled
    std::string eventId;
    std::string tenant;
    std::string failingGroup;
    std::string errorClass;
    std::string targetTopic;
    std::string note; ///< why it was skipped or failed
};

/// The redrive tables of the engine database (DATA/logdeck.db): tasks, the dead letters
/// each selected, and the ledger of every redrive. Several processes share them (an engine
/// runs the tasks, the CLI creates, pauses and cancels them): every change is one
/// statement or one transaction, and a task is run only by the holder of its lease.
class RedriveStore
{
public:
    /// Works on `db`, which must outlive the store and belongs to the same thread.
    explicit RedriveStore(Database &db);

    /// Inserts the task and its selection in one transaction.
    Result<void> insertTask(const RedriveTaskRow &task, const std::vector<RedriveItemRow> &items);

    /// The task, or nothing when there is no such id.
    Result<std::optional<RedriveTaskRow>> task(const std::string &id);

    /// The newest `limit` tasks, newest first.
    Result<std::vector<RedriveTaskRow>> tasks(int limit);

    /// Tasks that want a runner (pending or running), oldest first.
    Result<std::vector<std::string>> runnableTaskIds();

    /// Takes or renews the lease on a task for `runner` until `nowMs + leaseMs`; false when
    /// another runner holds an unexpired lease.
    Result<bool> claim(const std::string &id, const std::string &runner, std::int64_t nowMs,
                       std::int64_t leaseMs);

    /// Gives the lease up, if `runner` holds it.
    Result<void> release(const std::string &id, const std::string &runner);

    /// Moves the task to `to` if its state is one of `from`; returns the state it left, or
    /// nothing when it was in none of them. Terminal states set finished_at; "running" sets
    /// started_at once; "cancelled" also cancels the items still pending.
    Result<std::optional<std::string>> transition(const std::string &id,
                                                  const std::vector<std::string> &from,
                                                  const std::string &to,
                                                  const std::string &error = {});

    /// Up to `limit` items of the task still pending, in (topic, partition, offset) order.
    Result<std::vector<RedriveItemRow>> pendingItems(const std::string &taskId, int limit);

    /// Every item of the task, in (topic, partition, offset) order.
    Result<std::vector<RedriveItemRow>> items(const std::string &taskId);

    /// One transaction per acknowledged batch: a ledger row for each record, its item marked
    /// moved and the task's moved count raised.
    Result<void> recordMoves(const std::string &taskId, const std::vector<RedriveRecord> &moves);

    /// Marks an item skipped or failed with the reason, and counts it in the task.
    Result<void> recordOutcome(const RedriveItemRow &item, const std::string &state,
                               const std::string &note);

    /// The redrive count of the latest redrive of a dead letter (0: never redriven).
    Result<int> redriveCount(const std::string &dlqTopic, std::int32_t dlqPartition,
                             std::int64_t dlqOffset);

    /// The redrive state of each dead letter of `dlqTopic` at (partition, offset), in order.
    Result<std::vector<DeadLetterRedriveState>>
    redriveStates(const std::string &dlqTopic,
                  const std::vector<std::pair<std::int32_t, std::int64_t>> &coordinates);

    /// Ledger rows of one dead letter, of one task, or of one event id, oldest first.
    Result<std::vector<RedriveRecord>> ledgerOfDeadLetter(const std::string &dlqTopic,
                                                          std::int32_t dlqPartition,
                                                          std::int64_t dlqOffset);
    Result<std::vector<RedriveRecord>> ledgerOfTask(const std::string &taskId);
    Result<std::vector<RedriveRecord>> ledgerOfEvent(const std::string &eventId);
    Result<std::vector<RedriveRecord>> ledgerOfTenant(const std::string &tenant);

private:
    Database &m_db;
};

} // namespace logdeck::store
