#include "store/redrive_store.h"

#include "common/time_format.h"
#include "store/database.h"
#include "store/sqlite_support.h"

#include <algorithm>
#include <functional>

namespace logdeck::store {

using detail::Statement;

namespace {

constexpr const char *kTaskColumns =
    "id, created_at_ms, created_by, spec, state, total, moved, skipped, failed, updated_at_ms, "
    "started_at_ms, finished_at_ms, coalesce(error, ''), coalesce(runner, ''), lease_until_ms";

constexpr const char *kItemColumns = "task_id, dlq_topic, dlq_partition, dlq_offset, state, "
                                     "event_id, tenant, failing_group, error_class, "
                                     "target_topic, note";

constexpr const char *kLedgerColumns =
    "dlq_topic, dlq_partition, dlq_offset, redrive_count, task_id, event_id, tenant, "
    "failing_group, target_topic, target_partition, target_offset, redriven_by, redriven_at_ms";

bool isTerminal(const std::string &state)
{
    return state == "completed" || state == "cancelled" || state == "failed";
}

/// Steps `statement` to its end, handing each row to `row`.
Result<void> eachRow(Statement &statement, std::string_view context,
                     const std::function<void(const Statement &)> &row)
{
    for (;;) {
        auto step = statement.step(context);
        if (!step) {
            return fail(step.error());
        }
        if (*step == Statement::Step::Done) {
            return {};
        }
        row(statement);
    }
}

/// Runs a statement that returns no rows.
Result<void> run(Statement &statement, std::string_view context)
{
    auto step = statement.step(context);
    if (!step) {
        return fail(step.error());
    }
    statement.reset();
    return {};
}

std::optional<std::int64_t> optionalInt(const Statement &s, int column)
{
    return s.columnIsNull(column) ? std::nullopt : std::optional(s.columnInt64(column));
}

RedriveTaskRow taskFrom(const Statement &s)
{
    return {s.columnText(0),  s.columnInt64(1), s.columnText(2),    s.columnText(3),
            s.columnText(4),  s.columnInt64(5), s.columnInt64(6),   s.columnInt64(7),
            s.columnInt64(8), s.columnInt64(9), optionalInt(s, 10), optionalInt(s, 11),
            s.columnText(12), s.columnText(13), s.columnInt64(14)};
}

RedriveItemRow itemFrom(const Statement &s)
{
    return {s.columnText(0),  s.columnText(1), static_cast<std::int32_t>(s.columnInt64(2)),
            s.columnInt64(3), s.columnText(4), s.columnText(5),
            s.columnText(6),  s.columnText(7), s.columnText(8),
            s.columnText(9),  s.columnText(10)};
}

RedriveRecord ledgerFrom(const Statement &s)
{
    return {s.columnText(0),   static_cast<std::int32_t>(s.columnInt64(1)),
            s.columnInt64(2),  static_cast<int>(s.columnInt64(3)),
            s.columnText(4),   s.columnText(5),
            s.columnText(6),   s.columnText(7),
            s.columnText(8),   static_cast<std::int32_t>(s.columnInt64(9)),
            s.columnInt64(10), s.columnText(11),
            s.columnInt64(12)};
}

/// Runs a query and converts each row with `from`. `bind` binds its parameters.
template<typename Row>
Result<std::vector<Row>> selectRows(Database &db, const std::string &sql, std::string_view context,
                                    const std::function<void(Statement &)> &bind,
                                    Row (*from)(const Statement &))
{
    auto select = Statement::prepare(db.handle(), sql);
    if (!select) {
        return fail(select.error());
    }
    bind(*select);
    std::vector<Row> rows;
    auto read = eachRow(*select, context, [&](const Statement &s) { rows.push_back(from(s)); });
    if (!read) {
        return fail(read.error());
    }
    return rows;
}

std::string idFrom(const Statement &s)
{
    return s.columnText(0);
}

} // namespace

RedriveStore::RedriveStore(Database &db)
    : m_db(db)
{
}

Result<void> RedriveStore::insertTask(const RedriveTaskRow &task,
                                      const std::vector<RedriveItemRow> &items)
{
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return fail(transaction.error());
    }
    auto insertTask = Statement::prepare(m_db.handle(), R"sql(
        INSERT INTO redrive_tasks(id, created_at_ms, created_by, spec, state, total,
                                  updated_at_ms)
        VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?2))sql");
    if (!insertTask) {
        return fail(insertTask.error());
    }
    insertTask->bindText(1, task.id)
        .bindInt64(2, task.createdAtMs)
        .bindText(3, task.createdBy)
        .bindText(4, task.spec)
        .bindText(5, task.state)
        .bindInt64(6, task.total);
    if (auto done = run(*insertTask, "cannot create redrive task " + task.id); !done) {
        return done;
    }
    auto insertItem = Statement::prepare(m_db.handle(), R"sql(
        INSERT INTO redrive_items(task_id, dlq_topic, dlq_partition, dlq_offset, state,
                                  event_id, tenant, failing_group, error_class, target_topic)
        VALUES(?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9))sql");
    if (!insertItem) {
        return fail(insertItem.error());
    }
    for (const auto &item : items) {
        insertItem->bindText(1, task.id)
            .bindText(2, item.dlqTopic)
            .bindInt64(3, item.dlqPartition)
            .bindInt64(4, item.dlqOffset)
            .bindText(5, item.eventId)
            .bindText(6, item.tenant)
            .bindText(7, item.failingGroup)
            .bindText(8, item.errorClass)
            .bindText(9, item.targetTopic);
        if (auto done = run(*insertItem, "cannot record the selection of task " + task.id); !done) {
            return done;
        }
    }
    return transaction->commit();
}

Result<std::optional<RedriveTaskRow>> RedriveStore::task(const std::string &id)
{
    auto rows = selectRows(
        m_db, std::string("SELECT ") + kTaskColumns + " FROM redrive_tasks WHERE id = ?1",
        "cannot read redrive task " + id, [&](Statement &s) { s.bindText(1, id); }, &taskFrom);
    if (!rows) {
        return fail(rows.error());
    }
    return rows->empty() ? std::nullopt : std::optional(rows->front());
}

Result<std::vector<RedriveTaskRow>> RedriveStore::tasks(int limit)
{
    return selectRows(
        m_db,
        std::string("SELECT ") + kTaskColumns
            + " FROM redrive_tasks ORDER BY created_at_ms DESC, id DESC LIMIT ?1",
        "cannot list redrive tasks", [&](Statement &s) { s.bindInt64(1, limit); }, &taskFrom);
}

Result<std::vector<std::string>> RedriveStore::runnableTaskIds()
{
    return selectRows(
        m_db,
        "SELECT id FROM redrive_tasks WHERE state IN ('pending', 'running') "
        "ORDER BY created_at_ms, id",
        "cannot list runnable redrive tasks", [](Statement &) {}, &idFrom);
}

Result<bool> RedriveStore::claim(const std::string &id, const std::string &runner,
                                 std::int64_t nowMs, std::int64_t leaseMs)
{
    auto update = Statement::prepare(m_db.handle(), R"sql(
        UPDATE redrive_tasks SET runner = ?2, lease_until_ms = ?3
        WHERE id = ?1 AND (runner IS NULL OR runner = ?2 OR lease_until_ms < ?4))sql");
    if (!update) {
        return fail(update.error());
    }
    update->bindText(1, id).bindText(2, runner).bindInt64(3, nowMs + leaseMs).bindInt64(4, nowMs);
    if (auto done = run(*update, "cannot take the lease of redrive task " + id); !done) {
        return fail(done.error());
    }
    return sqlite3_changes(m_db.handle()) == 1;
}

Result<void> RedriveStore::release(const std::string &id, const std::string &runner)
{
    auto update = Statement::prepare(m_db.handle(), R"sql(
        UPDATE redrive_tasks SET runner = NULL, lease_until_ms = 0
        WHERE id = ?1 AND runner = ?2)sql");
    if (!update) {
        return fail(update.error());
    }
    update->bindText(1, id).bindText(2, runner);
    return run(*update, "cannot release redrive task " + id);
}

Result<std::optional<std::string>> RedriveStore::transition(const std::string &id,
                                                            const std::vector<std::string> &from,
                                                            const std::string &to,
                                                            const std::string &error)
{
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return fail(transaction.error());
    }
    auto current = task(id);
    if (!current) {
        return fail(current.error());
    }
    if (!*current || std::ranges::find(from, (*current)->state) == from.end()) {
        return std::optional<std::string>();
    }
    const std::int64_t now = nowMillis();
    auto update = Statement::prepare(m_db.handle(), R"sql(
        UPDATE redrive_tasks
        SET state = ?2, updated_at_ms = ?3,
            started_at_ms = CASE WHEN ?2 = 'running' THEN coalesce(started_at_ms, ?3)
                                 ELSE started_at_ms END,
            finished_at_ms = CASE WHEN ?4 THEN ?3 ELSE NULL END,
            error = CASE WHEN ?5 = '' THEN error ELSE ?5 END
        WHERE id = ?1)sql");
    if (!update) {
        return fail(update.error());
    }
    update->bindText(1, id)
        .bindText(2, to)
        .bindInt64(3, now)
        .bindInt64(4, isTerminal(to) ? 1 : 0)
        .bindText(5, error);
    if (auto done = run(*update, "cannot change the state of redrive task " + id); !done) {
        return fail(done.error());
    }
    if (to == "cancelled") {
        auto cancelItems = Statement::prepare(m_db.handle(), R"sql(
            UPDATE redrive_items SET state = 'cancelled', note = 'the task was cancelled'
            WHERE task_id = ?1 AND state = 'pending')sql");
        if (!cancelItems) {
            return fail(cancelItems.error());
        }
        cancelItems->bindText(1, id);
        if (auto done = run(*cancelItems, "cannot cancel the items of task " + id); !done) {
            return fail(done.error());
        }
    }
    if (auto committed = transaction->commit(); !committed) {
        return fail(committed.error());
    }
    return std::optional<std::string>((*current)->state);
}

Result<std::vector<RedriveItemRow>> RedriveStore::pendingItems(const std::string &taskId, int limit)
{
    return selectRows(
        m_db,
        std::string("SELECT ") + kItemColumns
            + " FROM redrive_items WHERE task_id = ?1 AND state = 'pending' "
              "ORDER BY dlq_topic, dlq_partition, dlq_offset LIMIT ?2",
        "cannot read the pending items of task " + taskId,
        [&](Statement &s) { s.bindText(1, taskId).bindInt64(2, limit); }, &itemFrom);
}

Result<std::vector<RedriveItemRow>> RedriveStore::items(const std::string &taskId)
{
    return selectRows(
        m_db,
        std::string("SELECT ") + kItemColumns
            + " FROM redrive_items WHERE task_id = ?1 "
              "ORDER BY dlq_topic, dlq_partition, dlq_offset",
        "cannot read the items of task " + taskId, [&](Statement &s) { s.bindText(1, taskId); },
        &itemFrom);
}

Result<void> RedriveStore::recordMoves(const std::string &taskId,
                                       const std::vector<RedriveRecord> &moves)
{
    if (moves.empty()) {
        return {};
    }
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return fail(transaction.error());
    }
    auto insert = Statement::prepare(m_db.handle(),
                                     std::string("INSERT INTO redrive_ledger(") + kLedgerColumns
                                         + ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                           "?11, ?12, ?13)");
    auto markItem = Statement::prepare(m_db.handle(), R"sql(
        UPDATE redrive_items SET state = 'moved', note = ''
        WHERE task_id = ?1 AND dlq_topic = ?2 AND dlq_partition = ?3 AND dlq_offset = ?4)sql");
    auto count = Statement::prepare(m_db.handle(), R"sql(
        UPDATE redrive_tasks SET moved = moved + ?2, updated_at_ms = ?3 WHERE id = ?1)sql");
    if (!insert || !markItem || !count) {
        return fail(!insert ? insert.error() : !markItem ? markItem.error() : count.error());
    }
    const std::string context = "cannot record the redrives of task " + taskId;
    for (const auto &m : moves) {
        insert->bindText(1, m.dlqTopic)
            .bindInt64(2, m.dlqPartition)
            .bindInt64(3, m.dlqOffset)
            .bindInt64(4, m.redriveCount)
            .bindText(5, m.taskId)
            .bindText(6, m.eventId)
            .bindText(7, m.tenant)
            .bindText(8, m.failingGroup)
            .bindText(9, m.targetTopic)
            .bindInt64(10, m.targetPartition)
            .bindInt64(11, m.targetOffset)
            .bindText(12, m.redrivenBy)
            .bindInt64(13, m.redrivenAtMs);
        markItem->bindText(1, taskId)
            .bindText(2, m.dlqTopic)
            .bindInt64(3, m.dlqPartition)
            .bindInt64(4, m.dlqOffset);
        if (auto done = run(*insert, context); !done) {
            return done;
        }
        if (auto done = run(*markItem, context); !done) {
            return done;
        }
    }
    count->bindText(1, taskId)
        .bindInt64(2, static_cast<std::int64_t>(moves.size()))
        .bindInt64(3, nowMillis());
    if (auto done = run(*count, context); !done) {
        return done;
    }
    return transaction->commit();
}

Result<void> RedriveStore::recordOutcome(const RedriveItemRow &item, const std::string &state,
                                         const std::string &note)
{
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return fail(transaction.error());
    }
    auto markItem = Statement::prepare(m_db.handle(), R"sql(
        UPDATE redrive_items SET state = ?5, note = ?6
        WHERE task_id = ?1 AND dlq_topic = ?2 AND dlq_partition = ?3 AND dlq_offset = ?4)sql");
    // The column to raise is one of two fixed names, never user input.
    auto count =
        Statement::prepare(m_db.handle(),
                           state == "skipped" ? "UPDATE redrive_tasks SET skipped = skipped + 1, "
                                                "updated_at_ms = ?2 WHERE id = ?1"
                                              : "UPDATE redrive_tasks SET failed = failed + 1, "
                                                "updated_at_ms = ?2 WHERE id = ?1");
    if (!markItem || !count) {
        return fail(!markItem ? markItem.error() : count.error());
    }
    markItem->bindText(1, item.taskId)
        .bindText(2, item.dlqTopic)
        .bindInt64(3, item.dlqPartition)
        .bindInt64(4, item.dlqOffset)
        .bindText(5, state)
        .bindText(6, note);
    count->bindText(1, item.taskId).bindInt64(2, nowMillis());
    const std::string context = "cannot record the outcome of an item of task " + item.taskId;
    if (auto done = run(*markItem, context); !done) {
        return done;
    }
    if (auto done = run(*count, context); !done) {
        return done;
    }
    return transaction->commit();
}

Result<int> RedriveStore::redriveCount(const std::string &dlqTopic, std::int32_t dlqPartition,
                                       std::int64_t dlqOffset)
{
    auto rows = selectRows(
        m_db,
        "SELECT coalesce(max(redrive_count), 0) FROM redrive_ledger "
        "WHERE dlq_topic = ?1 AND dlq_partition = ?2 AND dlq_offset = ?3",
        "cannot read the redrive ledger",
        [&](Statement &s) {
            s.bindText(1, dlqTopic).bindInt64(2, dlqPartition).bindInt64(3, dlqOffset);
        },
        +[](const Statement &s) { return static_cast<int>(s.columnInt64(0)); });
    if (!rows) {
        return fail(rows.error());
    }
    return rows->empty() ? 0 : rows->front();
}

Result<std::vector<DeadLetterRedriveState>>
RedriveStore::redriveStates(const std::string &dlqTopic,
                            const std::vector<std::pair<std::int32_t, std::int64_t>> &coordinates)
{
    const std::string_view context = "cannot read the redrive state of dead letters";
    auto ledger = Statement::prepare(
        m_db.handle(), "SELECT count(*) FROM redrive_ledger "
                       "WHERE dlq_topic = ?1 AND dlq_partition = ?2 AND dlq_offset = ?3");
    if (!ledger) {
        return fail(ledger.error());
    }
    // Items are keyed by task first: a walk over the few live tasks, a seek in each.
    auto live = Statement::prepare(
        m_db.handle(),
        "SELECT count(*) FROM redrive_tasks t JOIN redrive_items i ON i.task_id = t.id "
        "WHERE t.state IN ('pending', 'running', 'paused') AND i.state = 'pending' "
        "AND i.dlq_topic = ?1 AND i.dlq_partition = ?2 AND i.dlq_offset = ?3");
    if (!live) {
        return fail(live.error());
    }
    std::vector<DeadLetterRedriveState> states;
    states.reserve(coordinates.size());
    for (const auto &[partition, offset] : coordinates) {
        DeadLetterRedriveState state;
        for (Statement *s : {&*ledger, &*live}) {
            s->reset();
            s->bindText(1, dlqTopic).bindInt64(2, partition).bindInt64(3, offset);
            auto step = s->step(context);
            if (!step) {
                return fail(step.error());
            }
            const std::int64_t count = *step == Statement::Step::Row ? s->columnInt64(0) : 0;
            if (s == &*ledger) {
                state.redriven = static_cast<int>(count);
            } else {
                state.inTask = count > 0;
            }
        }
        states.push_back(state);
    }
    return states;
}

namespace {

Result<std::vector<RedriveRecord>> ledgerWhere(Database &db, const std::string &where,
                                               const std::function<void(Statement &)> &bind)
{
    return selectRows(db,
                      std::string("SELECT ") + kLedgerColumns + " FROM redrive_ledger WHERE "
                          + where
                          + " ORDER BY redriven_at_ms, dlq_topic, dlq_partition, dlq_offset, "
                            "redrive_count",
                      "cannot read the redrive ledger", bind, &ledgerFrom);
}

} // namespace

Result<std::vector<RedriveRecord>> RedriveStore::ledgerOfDeadLetter(const std::string &dlqTopic,
                                                                    std::int32_t dlqPartition,
                                                                    std::int64_t dlqOffset)
{
    return ledgerWhere(
        m_db, "dlq_topic = ?1 AND dlq_partition = ?2 AND dlq_offset = ?3", [&](Statement &s) {
            s.bindText(1, dlqTopic).bindInt64(2, dlqPartition).bindInt64(3, dlqOffset);
        });
}

Result<std::vector<RedriveRecord>> RedriveStore::ledgerOfTask(const std::string &taskId)
{
    return ledgerWhere(m_db, "task_id = ?1", [&](Statement &s) { s.bindText(1, taskId); });
}

Result<std::vector<RedriveRecord>> RedriveStore::ledgerOfEvent(const std::string &eventId)
{
    return ledgerWhere(m_db, "event_id = ?1", [&](Statement &s) { s.bindText(1, eventId); });
}

Result<std::vector<RedriveRecord>> RedriveStore::ledgerOfTenant(const std::string &tenant)
{
    return ledgerWhere(m_db, "tenant = ?1", [&](Statement &s) { s.bindText(1, tenant); });
}

} // namespace logdeck::store
