#include "store/database.h"

#include "common/log.h"
#include "common/private_files.h"
#include "store/sqlite_support.h"

#include <array>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>
#include <utility>
#include <vector>

namespace logdeck::store {

namespace {

// The schema, one entry per version: entry i takes a database from version i to i + 1, in
// one transaction. To change the schema, append an entry; never edit one that has shipped.
constexpr auto kMigrations = std::to_array<std::string_view>({
    // 1: tenants and their API keys (SHA-256 only), campaigns, the outbox, relay leases.
    R"sql(
CREATE TABLE tenants(
    id TEXT PRIMARY KEY,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE api_keys(
    hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
CREATE INDEX api_keys_by_tenant ON api_keys(tenant_id);
CREATE TABLE campaigns(
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY(tenant_id, id)
);
CREATE TABLE outbox(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL, -- JSON array of [name, base64 of value]
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE leases(
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
)sql",
    // 2: the processing groups' state. Each group keeps it in its own file
    // (DATA/groups/<group>.db) and uses its part: committed offsets and dedup keys (every
    // group), per-minute rollups (analytics), stored events (persister), counters and alerts
    // (fraud). A dedup key's bucket is the event's occurredAt floored to the hour, in ms.
    R"sql(
CREATE TABLE consumer_offsets(
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY(group_id, topic, partition)
) WITHOUT ROWID;
CREATE TABLE processed_events(
    group_id TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    tenant TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY(group_id, bucket, tenant, event_id)
) WITHOUT ROWID;
CREATE TABLE rollups(
    tenant TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    type TEXT NOT NULL,
    minute_ms INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY(tenant, campaign_id, type, minute_ms)
) WITHOUT ROWID;
CREATE TABLE events(
    tenant TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    occurred_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    payload TEXT NOT NULL,
    -- Time first: inserts stay at the recent end of each tenant's range even with random
    -- client ids (a key that leads with a random id spreads them over the whole index).
    PRIMARY KEY(tenant, occurred_at_ms, event_id)
) WITHOUT ROWID;
CREATE INDEX events_by_position ON events(topic, partition, offset);
CREATE TABLE fraud_counters(
    tenant TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start_ms INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY(tenant, subject, window_start_ms)
) WITHOUT ROWID;
CREATE TABLE fraud_alerts(
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start_ms INTEGER NOT NULL,
    count INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE(tenant, rule, subject, window_start_ms)
);
)sql",
    // 3: operations, in the engine's database: the audit log of every mutating operation,
    // DLQ redrive tasks and their ledger (dead-letter coordinates -> where the record went),
    // and the lag monitor's downsampled history.
    R"sql(
-- A reset's offsets, which the group resumes from even where Kafka's committed offset is
-- ahead (it may not have been moved: the mock cluster refuses commits from outside a
-- group that once had members); cleared by the group's next saved batch.
ALTER TABLE consumer_offsets ADD COLUMN reset_pending INTEGER NOT NULL DEFAULT 0;
CREATE TABLE audit_log(
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    user TEXT NOT NULL,
    host TEXT NOT NULL,
    operation TEXT NOT NULL,
    target TEXT NOT NULL,
    parameters TEXT NOT NULL,
    before TEXT NOT NULL,
    after TEXT NOT NULL,
    result TEXT NOT NULL
);
CREATE TABLE redrive_tasks(
    id TEXT PRIMARY KEY,
    created_at_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    spec TEXT NOT NULL,
    state TEXT NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    moved INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    updated_at_ms INTEGER NOT NULL,
    started_at_ms INTEGER,
    finished_at_ms INTEGER,
    error TEXT,
    runner TEXT,
    lease_until_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX redrive_tasks_by_state ON redrive_tasks(state);
CREATE TABLE redrive_items(
    task_id TEXT NOT NULL,
    dlq_topic TEXT NOT NULL,
    dlq_partition INTEGER NOT NULL,
    dlq_offset INTEGER NOT NULL,
    state TEXT NOT NULL,
    event_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    failing_group TEXT NOT NULL,
    error_class TEXT NOT NULL,
    target_topic TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY(task_id, dlq_topic, dlq_partition, dlq_offset)
) WITHOUT ROWID;
CREATE TABLE redrive_ledger(
    dlq_topic TEXT NOT NULL,
    dlq_partition INTEGER NOT NULL,
    dlq_offset INTEGER NOT NULL,
    redrive_count INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    tenant TEXT NOT NULL,
    failing_group TEXT NOT NULL,
    target_topic TEXT NOT NULL,
    target_partition INTEGER NOT NULL,
    target_offset INTEGER NOT NULL,
    redriven_by TEXT NOT NULL,
    redriven_at_ms INTEGER NOT NULL,
    PRIMARY KEY(dlq_topic, dlq_partition, dlq_offset, redrive_count)
);
CREATE INDEX redrive_ledger_by_event ON redrive_ledger(event_id);
CREATE INDEX redrive_ledger_by_tenant ON redrive_ledger(tenant);
CREATE INDEX redrive_ledger_by_task ON redrive_ledger(task_id);
CREATE TABLE lag_history(
    resolution_s INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    at_s INTEGER NOT NULL,
    lag_messages INTEGER NOT NULL,
    lag_seconds REAL,
    rate REAL,
    status TEXT NOT NULL,
    PRIMARY KEY(resolution_s, group_id, at_s)
) WITHOUT ROWID;
)sql",
});

constexpr int kBusyTimeoutMs = 5000;

std::string hintFor(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "; another process is writing to the database, try again";
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return "; check that the file and its directory exist and are writable";
    case SQLITE_FULL:
        return "; free some disk space";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "; the file is damaged or not a Logdeck database: move it aside";
    default:
        return {};
    }
}

/// Runs `sql` (one or more statements), discarding rows.
Result<void> execute(sqlite3 *db, const std::string &sql, std::string_view context)
{
    if (const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) {
        return fail(detail::toError(db, rc, context));
    }
    return {};
}

} // namespace

namespace detail {

Error toError(sqlite3 *db, int rc, std::string_view context)
{
    std::string message(context);
    message += ": ";
    message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if (const char *file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
        file != nullptr && *file != '\0') {
        message += std::string(" (") + file + ")";
    }
    Error error = Error::io(message + hintFor(rc));
    error.retriable = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    return error;
}

Result<Statement> Statement::prepare(sqlite3 *db, std::string_view sql, bool persistent)
{
    sqlite3_stmt *statement = nullptr;
    const int rc =
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                           persistent ? SQLITE_PREPARE_PERSISTENT : 0, &statement, nullptr);
    if (rc != SQLITE_OK) {
        return fail(toError(db, rc, "cannot prepare an SQL statement"));
    }
    if (statement == nullptr) {
        return fail(Error::internal("cannot prepare an empty SQL statement"));
    }
    return Statement(statement);
}

Statement::Statement(sqlite3_stmt *statement)
    : m_statement(statement)
{
}

Statement::Statement(Statement &&other) noexcept
    : m_statement(std::exchange(other.m_statement, nullptr))
    , m_bindError(other.m_bindError)
{
}

Statement &Statement::operator=(Statement &&other) noexcept
{
    std::swap(m_statement, other.m_statement);
    std::swap(m_bindError, other.m_bindError);
    return *this;
}

Statement::~Statement()
{
    sqlite3_finalize(m_statement);
}

// SQLite binds a null pointer as SQL NULL, so an empty value always gets a real pointer:
// an empty key is a zero-length blob, not a NULL that a NOT NULL column refuses.
Statement &Statement::bindText(int index, std::string_view text)
{
    return bindText(index, text, SQLITE_TRANSIENT);
}

Statement &Statement::bindTextView(int index, std::string_view text)
{
    return bindText(index, text, SQLITE_STATIC);
}

Statement &Statement::bindText(int index, std::string_view text, void (*lifetime)(void *))
{
    const int rc = sqlite3_bind_text64(m_statement, index, text.empty() ? "" : text.data(),
                                       text.size(), lifetime, SQLITE_UTF8);
    if (m_bindError == SQLITE_OK) {
        m_bindError = rc;
    }
    return *this;
}

Statement &Statement::bindBlob(int index, std::string_view bytes)
{
    const int rc = sqlite3_bind_blob64(m_statement, index, bytes.empty() ? "" : bytes.data(),
                                       bytes.size(), SQLITE_TRANSIENT);
    if (m_bindError == SQLITE_OK) {
        m_bindError = rc;
    }
    return *this;
}

Statement &Statement::bindDouble(int index, double value)
{
    const int rc = sqlite3_bind_double(m_statement, index, value);
    if (m_bindError == SQLITE_OK) {
        m_bindError = rc;
    }
    return *this;
}

Statement &Statement::bindInt64(int index, std::int64_t value)
{
    const int rc = sqlite3_bind_int64(m_statement, index, value);
    if (m_bindError == SQLITE_OK) {
        m_bindError = rc;
    }
    return *this;
}

Statement &Statement::bindNull(int index)
{
    const int rc = sqlite3_bind_null(m_statement, index);
    if (m_bindError == SQLITE_OK) {
        m_bindError = rc;
    }
    return *this;
}

Result<Statement::Step> Statement::step(std::string_view context)
{
    if (m_bindError != SQLITE_OK) {
        Error error = toError(nullptr, m_bindError, context);
        reset();
        return fail(std::move(error));
    }
    const int rc = sqlite3_step(m_statement);
    if (rc == SQLITE_ROW) {
        return Step::Row;
    }
    if (rc == SQLITE_DONE) {
        sqlite3_reset(m_statement);
        return Step::Done;
    }
    Error error = toError(sqlite3_db_handle(m_statement), rc, context);
    sqlite3_reset(m_statement);
    return fail(std::move(error));
}

std::int64_t Statement::columnInt64(int index) const
{
    return sqlite3_column_int64(m_statement, index);
}

double Statement::columnDouble(int index) const
{
    return sqlite3_column_double(m_statement, index);
}

std::string Statement::columnText(int index) const
{
    const auto *text = sqlite3_column_text(m_statement, index);
    if (text == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char *>(text),
            static_cast<std::size_t>(sqlite3_column_bytes(m_statement, index))};
}

std::string Statement::columnBlob(int index) const
{
    const void *bytes = sqlite3_column_blob(m_statement, index);
    if (bytes == nullptr) {
        return {};
    }
    return {static_cast<const char *>(bytes),
            static_cast<std::size_t>(sqlite3_column_bytes(m_statement, index))};
}

bool Statement::columnIsNull(int index) const
{
    return sqlite3_column_type(m_statement, index) == SQLITE_NULL;
}

void Statement::reset()
{
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
    m_bindError = SQLITE_OK;
}

} // namespace detail

Result<std::unique_ptr<Database>> Database::open(const std::string &path)
{
    if (const auto parent = std::filesystem::path(path).parent_path(); !parent.empty()) {
        if (auto created = createPrivateDirectory(parent.string()); !created) {
            return fail(created.error());
        }
    }
    // SQLite would create the file 0644; its -wal and -shm files take the file's mode.
    if (auto created = createPrivateFile(path); !created) {
        return fail(created.error());
    }
    // SQLite's memory statistics take a global mutex around every allocation; nothing
    // reads them. Only possible before SQLite initializes: later it is refused, harmlessly.
    static const int kNoMemoryStatistics = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)kNoMemoryStatistics;
    sqlite3 *handle = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    // SQLite allocates a handle even when opening fails; the Database closes it either way.
    std::unique_ptr<Database> db(new Database(handle, path));
    if (rc != SQLITE_OK) {
        return fail(detail::toError(nullptr, rc, "cannot open the database " + path));
    }
    // The busy timeout comes first so that switching to WAL waits for other connections.
    sqlite3_busy_timeout(handle, kBusyTimeoutMs);
    // A WAL that grew past 320 MiB in a burst is cut back to that when it starts over, so
    // the disk is given back; below it, starting over reuses the file's blocks (the
    // collector's outbox starts its WAL over at about 256 MiB, see OutboxRelay).
    // A 64 MiB page cache (SQLite's default is 2 MiB) keeps more of a large dedup index in
    // memory; SQLite allocates it only as pages are used, so a small database costs no more.
    if (auto set = execute(handle,
                           "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                           "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536; "
                           "PRAGMA journal_size_limit=335544320;",
                           "cannot open the database");
        !set) {
        return fail(set.error());
    }
    if (auto migrated = db->migrate(); !migrated) {
        return fail(migrated.error());
    }
    return db;
}

std::string Database::pathIn(const std::string &dataDir)
{
    return dataDir + "/logdeck.db";
}

int Database::latestSchemaVersion()
{
    return static_cast<int>(kMigrations.size());
}

Database::Database(sqlite3 *handle, std::string path)
    : m_handle(handle)
    , m_path(std::move(path))
{
}

Database::~Database()
{
    // close_v2 defers the close until statements cached elsewhere are finalized.
    sqlite3_close_v2(m_handle);
}

Result<void> Database::exec(std::string_view sql)
{
    return execute(m_handle, std::string(sql), "cannot run SQL");
}

Result<std::optional<Database::WalCheckpoint>> Database::checkpointWal()
{
    WalCheckpoint done;
    const int rc = sqlite3_wal_checkpoint_v2(m_handle, "main", SQLITE_CHECKPOINT_PASSIVE,
                                             &done.walFrames, &done.copiedFrames);
    if (rc == SQLITE_BUSY) {
        return std::optional<WalCheckpoint>();
    }
    if (rc != SQLITE_OK) {
        return fail(detail::toError(m_handle, rc, "cannot checkpoint the WAL"));
    }
    return std::optional<WalCheckpoint>(done);
}

Result<int> Database::schemaVersion()
{
    auto statement = detail::Statement::prepare(m_handle, "PRAGMA user_version");
    if (!statement) {
        return fail(statement.error());
    }
    auto row = statement->step("cannot read the schema version");
    if (!row) {
        return fail(row.error());
    }
    return static_cast<int>(statement->columnInt64(0));
}

Result<void> Database::migrate()
{
    const int latest = latestSchemaVersion();
    for (;;) {
        auto version = schemaVersion();
        if (!version) {
            return fail(version.error());
        }
        if (*version > latest) {
            return fail(Error::invalid("the database " + m_path + " has schema version "
                                       + std::to_string(*version) + " but this Logdeck knows "
                                       + std::to_string(latest)
                                       + " at most: it was written by a newer Logdeck; "
                                         "upgrade Logdeck or use another data directory"));
        }
        if (*version == latest) {
            return {};
        }
        auto transaction = Transaction::begin(*this);
        if (!transaction) {
            return fail(transaction.error());
        }
        // Another process may have migrated while this one waited for the write lock.
        auto current = schemaVersion();
        if (!current) {
            return fail(current.error());
        }
        if (*current != *version) {
            continue;
        }
        const int next = *version + 1;
        const std::string context =
            "cannot migrate the database to schema version " + std::to_string(next);
        if (auto applied = execute(
                m_handle, std::string(kMigrations[static_cast<std::size_t>(next - 1)]), context);
            !applied) {
            return fail(applied.error());
        }
        if (auto set = execute(m_handle, "PRAGMA user_version = " + std::to_string(next), context);
            !set) {
            return fail(set.error());
        }
        if (auto committed = transaction->commit(); !committed) {
            return fail(committed.error());
        }
        log::info("store.migrated", {{"path", m_path}, {"schema_version", std::to_string(next)}});
    }
}

Result<Transaction> Transaction::begin(Database &db)
{
    if (auto begun = execute(db.handle(), "BEGIN IMMEDIATE", "cannot begin a transaction");
        !begun) {
        return fail(begun.error());
    }
    return Transaction(db);
}

Transaction::Transaction(Database &db)
    : m_db(&db)
{
}

Transaction::Transaction(Transaction &&other) noexcept
    : m_db(std::exchange(other.m_db, nullptr))
{
}

Transaction::~Transaction()
{
    // Some errors (a full disk, an I/O error) already rolled the transaction back.
    if (m_db == nullptr || sqlite3_get_autocommit(m_db->handle()) != 0) {
        return;
    }
    if (auto rolledBack = execute(m_db->handle(), "ROLLBACK", "cannot roll back a transaction");
        !rolledBack) {
        log::warn("store.rollback_failed", {{"error", rolledBack.error().message}});
    }
}

Result<void> Transaction::commit()
{
    if (m_db == nullptr) {
        return fail(Error::internal("commit of a transaction that is no longer open"));
    }
    if (auto committed = execute(m_db->handle(), "COMMIT", "cannot commit a transaction");
        !committed) {
        return fail(committed.error());
    }
    m_db = nullptr;
    return {};
}

Result<detail::Statement *> detail::cached(Database &db, std::unique_ptr<Statement> &slot,
                                           std::string_view sql)
{
    if (!slot) {
        auto prepared = Statement::prepare(db.handle(), sql, /*persistent=*/true);
        if (!prepared) {
            return fail(prepared.error());
        }
        slot = std::make_unique<Statement>(std::move(*prepared));
    }
    return slot.get();
}

} // namespace logdeck::store
