#pragma once

#include "common/result.h"

#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <string_view>

struct sqlite3;

namespace logdeck::store {

/// A Logdeck SQLite database: the engine's (tenants and API keys, campaigns, the outbox and
/// leases) or a processing group's (offsets, dedup keys and the group's own tables); every
/// file has the whole schema. One connection, owned by one thread; other threads and
/// processes open their own connection to the same file. WAL mode lets readers run alongside
/// the one writer.
class Database
{
public:
    /// Opens or creates the database at `path` (mode 0600), creating its parent directories
    /// (0700, see createPrivateDirectory); sets WAL
    /// mode, synchronous=NORMAL, a 5 s busy timeout, foreign keys and a page cache of up to
    /// 64 MiB; and migrates the schema to the latest version. A database written by a newer
    /// Logdeck is refused.
    static Result<std::unique_ptr<Database>> open(const std::string &path);

    /// The database file of a data directory: `dataDir`/logdeck.db.
    static std::string pathIn(const std::string &dataDir);

    /// The schema version this build creates and understands.
    static int latestSchemaVersion();

    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    /// Runs one or more SQL statements, discarding any rows they return.
    Result<void> exec(std::string_view sql);

    /// What a WAL checkpoint did: the frames in the WAL and how many of them are now copied
    /// into the database. All copied means the next write transaction starts the WAL over
    /// from its beginning instead of appending.
    struct WalCheckpoint
    {
        int walFrames = 0;
        int copiedFrames = 0;
        bool allCopied() const { return copiedFrames == walFrames; }
    };

    /// Copies what it can of the WAL into the database without waiting for readers or
    /// writers (a PASSIVE checkpoint). An empty result when another connection's checkpoint
    /// is running.
    Result<std::optional<WalCheckpoint>> checkpointWal();

    /// The schema version of the open file (PRAGMA user_version).
    Result<int> schemaVersion();

    const std::string &path() const { return m_path; }

    /// The raw connection, for pipeline/store's own classes.
    sqlite3 *handle() const { return m_handle; }

private:
    Database(sqlite3 *handle, std::string path);
    Result<void> migrate();

    sqlite3 *m_handle;
    std::string m_path;
};

/// A write transaction. It begins with BEGIN IMMEDIATE, so it takes the write lock up front
/// (waiting up to the busy timeout) instead of failing half-way through. It is rolled back
/// on destruction unless commit() succeeded.
class Transaction
{
public:
    /// Begins a transaction on `db`, which must outlive it.
    static Result<Transaction> begin(Database &db);

    Transaction(Transaction &&other) noexcept;
    Transaction &operator=(Transaction &&) = delete;
    Transaction(const Transaction &) = delete;
    Transaction &operator=(const Transaction &) = delete;
    ~Transaction();

    /// Commits. On failure the transaction stays open and is rolled back on destruction.
    Result<void> commit();

private:
    explicit Transaction(Database &db);

    Database *m_db; ///< null once committed or moved from
};

} // namespace logdeck::store
