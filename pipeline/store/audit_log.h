#pragma once

#include "common/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace logdeck::store {

class Database;

/// One mutating operation as the audit log keeps it. `parameters`, `before` and `after`
/// are JSON texts ("{}" when there is nothing to say).
struct AuditEntry
{
    std::int64_t id = 0; ///< assigned on append
    std::int64_t atMs = 0; ///< 0: now
    std::string user; ///< empty: the OS user running this process
    std::string host; ///< empty: this machine's host name
    std::string operation; ///< e.g. "groups.reset-offsets", "dlq.redrive", "tenants.add"
    std::string target; ///< the group, task or tenant operated on
    std::string parameters = "{}";
    std::string before = "{}";
    std::string after = "{}";
    std::string result = "ok"; ///< "ok", or what went wrong
};

/// The append-only `audit_log` table of the engine's database (DATA/logdeck.db): every
/// reset, redrive, pause, resume and tenant key change, whoever made it.
class AuditLog
{
public:
    /// Works on `db`, which must outlive the log and belongs to the same thread.
    explicit AuditLog(Database &db);

    /// Appends `entry`, filling in the time, user and host when empty; returns its id.
    Result<std::int64_t> append(AuditEntry entry);

    /// The newest `limit` entries, oldest first; only those of `operation` when not empty.
    Result<std::vector<AuditEntry>> list(int limit = 1000, const std::string &operation = {});

    /// Opens DATA/logdeck.db and appends `entry`: for callers that hold no connection.
    static Result<std::int64_t> appendTo(const std::string &dataDir, AuditEntry entry);

    /// The OS user and the host name this process runs as.
    static std::string currentUser();
    static std::string currentHost();

private:
    Database &m_db;
};

} // namespace logdeck::store
