#pragma once
// Private to pipeline/store: the one place that includes <sqlite3.h>. It wraps prepared
// statements and maps SQLite's errors to Logdeck's Error. Defined in database.cpp.

#include "common/result.h"

#include <cstdint>
#include <memory>
#include <sqlite3.h>
#include <string>
#include <string_view>

namespace logdeck::store::detail {

/// An Io error for a failed SQLite call: `context` (what was being done), SQLite's own words,
/// the database file when `db` is given, and what to do where that is clear. A busy or
/// locked database is retriable.
Error toError(sqlite3 *db, int rc, std::string_view context);

/// A prepared statement, finalized on destruction. Binding never fails on the spot: the
/// first bind error is kept and reported by the next step(), so call sites stay linear.
/// step() resets the statement when it reports Done or an error, so a statement stepped
/// to its end holds no read snapshot and can be bound and run again.
class Statement
{
public:
    enum class Step { Row, Done };

    /// Compiles `sql`. `persistent` tells SQLite the statement is cached and reused.
    static Result<Statement> prepare(sqlite3 *db, std::string_view sql, bool persistent = false);

    Statement(Statement &&other) noexcept;
    Statement &operator=(Statement &&other) noexcept;
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    ~Statement();

    /// Parameters are numbered from 1, as ?1 in SQL. Values are copied.
    Statement &bindText(int index, std::string_view text);
    /// bindText without the copy, for hot statements: `text` must stay valid and unchanged
    /// until the statement is stepped to its end, reset or bound again.
    Statement &bindTextView(int index, std::string_view text);
    Statement &bindBlob(int index, std::string_view bytes);
    Statement &bindInt64(int index, std::int64_t value);
    Statement &bindDouble(int index, double value);
    Statement &bindNull(int index);

    /// Runs to the next row. `context` says what the caller was doing, for the error.
    Result<Step> step(std::string_view context);

    /// Columns of the current row, numbered from 0.
    std::int64_t columnInt64(int index) const;
    double columnDouble(int index) const;
    std::string columnText(int index) const;
    std::string columnBlob(int index) const;
    bool columnIsNull(int index) const;

    /// Makes the statement ready to run again and clears its bindings.
    void reset();

private:
    explicit Statement(sqlite3_stmt *statement);
    /// `lifetime`: SQLITE_TRANSIENT (copied) or SQLITE_STATIC (viewed).
    Statement &bindText(int index, std::string_view text, void (*lifetime)(void *));

    sqlite3_stmt *m_statement = nullptr;
    int m_bindError = SQLITE_OK;
};

} // namespace logdeck::store::detail

namespace logdeck::store {
class Database;
}

namespace logdeck::store::detail {

/// The statement in `slot`, prepared (persistent) on first use and kept as long as the
/// slot: the store classes' cache of their hot statements.
Result<Statement *> cached(Database &db, std::unique_ptr<Statement> &slot, std::string_view sql);

} // namespace logdeck::store::detail
