#include "store/lag_history.h"

#include "store/database.h"
#include "store/sqlite_support.h"

namespace logdeck::store {

using detail::Statement;

namespace {

void bindOptional(Statement &statement, int index, const std::optional<double> &value)
{
    if (value) {
        statement.bindDouble(index, *value);
    } else {
        statement.bindNull(index);
    }
}

std::optional<double> optionalColumn(const Statement &statement, int index)
{
    if (statement.columnIsNull(index)) {
        return std::nullopt;
    }
    return statement.columnDouble(index);
}

} // namespace

LagHistory::LagHistory(Database &db)
    : m_db(db)
{
}

// Finalizes the cached statements (a Database destroyed first deferred its close until now).
LagHistory::~LagHistory() = default;

Result<void> LagHistory::record(const std::vector<std::pair<std::string, LagHistoryPoint>> &samples)
{
    auto insertFine = detail::cached(m_db, m_insertFine, R"sql(
INSERT OR REPLACE INTO lag_history(resolution_s, group_id, at_s, lag_messages, lag_seconds,
                                   rate, status)
VALUES(1, ?1, ?2, ?3, ?4, ?5, ?6))sql");
    if (!insertFine) {
        return fail(insertFine.error());
    }
    // max() of SQLite is NULL when either side is: coalesce keeps a known time lag.
    auto mergeCoarse = detail::cached(m_db, m_mergeCoarse, R"sql(
INSERT INTO lag_history(resolution_s, group_id, at_s, lag_messages, lag_seconds, rate, status)
VALUES(60, ?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT(resolution_s, group_id, at_s) DO UPDATE SET
    lag_messages = max(lag_messages, excluded.lag_messages),
    lag_seconds = max(coalesce(lag_seconds, excluded.lag_seconds),
                      coalesce(excluded.lag_seconds, lag_seconds)),
    rate = coalesce(excluded.rate, rate),
    status = excluded.status)sql");
    if (!mergeCoarse) {
        return fail(mergeCoarse.error());
    }
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return fail(transaction.error());
    }
    for (const auto &[group, point] : samples) {
        const std::int64_t atS = point.atMs / 1000;
        for (auto [statement, bucket] :
             {std::pair {*insertFine, atS}, std::pair {*mergeCoarse, atS / 60 * 60}}) {
            statement->bindText(1, group).bindInt64(2, bucket).bindInt64(3, point.lagMessages);
            bindOptional(*statement, 4, point.lagSeconds);
            bindOptional(*statement, 5, point.rate);
            statement->bindText(6, point.status);
            if (auto done = statement->step("recording lag history"); !done) {
                return fail(done.error());
            }
        }
    }
    return transaction->commit();
}

Result<void> LagHistory::prune(std::int64_t nowMs)
{
    auto remove = Statement::prepare(m_db.handle(), R"sql(
DELETE FROM lag_history
WHERE (resolution_s = 1 AND at_s < ?1) OR (resolution_s = 60 AND at_s < ?2))sql");
    if (!remove) {
        return fail(remove.error());
    }
    remove->bindInt64(1, nowMs / 1000 - kFineRetentionS)
        .bindInt64(2, nowMs / 1000 - kCoarseRetentionS);
    if (auto done = remove->step("pruning lag history"); !done) {
        return fail(done.error());
    }
    return {};
}

Result<std::vector<LagHistoryPoint>> LagHistory::read(const std::string &group, std::int64_t fromMs,
                                                      std::int64_t toMs, std::int64_t nowMs)
{
    const std::int64_t resolution =
        fromMs / 1000 >= nowMs / 1000 - kFineRetentionS ? kFineResolutionS : kCoarseResolutionS;
    auto select = Statement::prepare(m_db.handle(), R"sql(
SELECT at_s, lag_messages, lag_seconds, rate, status FROM lag_history
WHERE resolution_s = ?1 AND group_id = ?2 AND at_s BETWEEN ?3 AND ?4 ORDER BY at_s)sql");
    if (!select) {
        return fail(select.error());
    }
    select->bindInt64(1, resolution)
        .bindText(2, group)
        .bindInt64(3, resolution == kFineResolutionS ? fromMs / 1000 : fromMs / 1000 / 60 * 60)
        .bindInt64(4, toMs / 1000);
    std::vector<LagHistoryPoint> points;
    for (;;) {
        auto step = select->step("reading lag history");
        if (!step) {
            return fail(step.error());
        }
        if (*step == Statement::Step::Done) {
            break;
        }
        points.push_back({select->columnInt64(0) * 1000, select->columnInt64(1),
                          optionalColumn(*select, 2), optionalColumn(*select, 3),
                          select->columnText(4)});
    }
    return points;
}

} // namespace logdeck::store
