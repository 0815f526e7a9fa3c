#include "store/audit_log.h"

#include "common/time_format.h"
#include "store/database.h"
#include "store/sqlite_support.h"

#include <pwd.h>
#include <unistd.h>

namespace logdeck::store {

using detail::Statement;

AuditLog::AuditLog(Database &db)
    : m_db(db)
{
}

std::string AuditLog::currentUser()
{
    if (const passwd *entry = getpwuid(geteuid()); entry != nullptr && entry->pw_name != nullptr) {
        return entry->pw_name;
    }
    return "uid " + std::to_string(geteuid());
}

std::string AuditLog::currentHost()
{
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) {
        return "unknown";
    }
    return name;
}

Result<std::int64_t> AuditLog::append(AuditEntry entry)
{
    if (entry.atMs == 0) {
        entry.atMs = nowMillis();
    }
    if (entry.user.empty()) {
        entry.user = currentUser();
    }
    if (entry.host.empty()) {
        entry.host = currentHost();
    }
    auto insert = Statement::prepare(
        m_db.handle(),
        "INSERT INTO audit_log(at_ms, user, host, operation, target, parameters, "
        "before, after, result) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!insert) {
        return fail(insert.error());
    }
    insert->bindInt64(1, entry.atMs)
        .bindText(2, entry.user)
        .bindText(3, entry.host)
        .bindText(4, entry.operation)
        .bindText(5, entry.target)
        .bindText(6, entry.parameters)
        .bindText(7, entry.before)
        .bindText(8, entry.after)
        .bindText(9, entry.result);
    if (auto done = insert->step("appending to the audit log"); !done) {
        return fail(done.error());
    }
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(m_db.handle()));
}

Result<std::vector<AuditEntry>> AuditLog::list(int limit, const std::string &operation)
{
    auto select = Statement::prepare(
        m_db.handle(),
        "SELECT id, at_ms, user, host, operation, target, parameters, before, after, result "
        "FROM (SELECT * FROM audit_log WHERE ?1 = '' OR operation = ?1 ORDER BY id DESC "
        "LIMIT ?2) ORDER BY id");
    if (!select) {
        return fail(select.error());
    }
    select->bindText(1, operation).bindInt64(2, limit);
    std::vector<AuditEntry> entries;
    for (;;) {
        auto step = select->step("reading the audit log");
        if (!step) {
            return fail(step.error());
        }
        if (*step == Statement::Step::Done) {
            break;
        }
        entries.push_back({select->columnInt64(0), select->columnInt64(1), select->columnText(2),
                           select->columnText(3), select->columnText(4), select->columnText(5),
                           select->columnText(6), select->columnText(7), select->columnText(8),
                           select->columnText(9)});
    }
    return entries;
}

Result<std::int64_t> AuditLog::appendTo(const std::string &dataDir, AuditEntry entry)
{
    auto db = Database::open(Database::pathIn(dataDir));
    if (!db) {
        return fail(db.error());
    }
    return AuditLog(**db).append(std::move(entry));
}

} // namespace logdeck::store
