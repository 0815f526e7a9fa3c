#include "store/tenant_store.h"

#include "common/time_format.h"
#include "store/audit_log.h"
#include "store/database.h"
#include "store/sqlite_support.h"

#include <nlohmann/json.hpp>

#include <QByteArray>
#include <QCryptographicHash>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <sys/random.h>

namespace logdeck::store {

namespace {

constexpr std::size_t kMaxNameLength = 64;

Error unknownTenant(const std::string &tenant)
{
    return {Error::Code::NotFound,
            "unknown tenant '" + tenant + "'; 'logdeck-cli tenants list' shows the tenants", false};
}

/// "ldk_" and 32 hex digits from 16 bytes of the kernel's CSPRNG.
Result<std::string> generateKey()
{
    std::array<char, 16> bytes {};
    std::size_t filled = 0;
    while (filled < bytes.size()) {
        const ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
        if (n < 0 && errno != EINTR) {
            return fail(Error::internal(std::string("cannot generate an API key: getrandom: ")
                                        + std::strerror(errno)));
        }
        filled += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    return "ldk_" + QByteArray(bytes.data(), bytes.size()).toHex().toStdString();
}

Result<bool> tenantExists(sqlite3 *db, const std::string &tenant)
{
    auto select = detail::Statement::prepare(db, "SELECT 1 FROM tenants WHERE id = ?1");
    if (!select) {
        return fail(select.error());
    }
    select->bindText(1, tenant);
    auto row = select->step("cannot look up tenant '" + tenant + "'");
    if (!row) {
        return fail(row.error());
    }
    return *row == detail::Statement::Step::Row;
}

/// Adds a new key for `tenant` and returns it in plain text.
Result<std::string> insertKey(sqlite3 *db, const std::string &tenant, std::int64_t nowMs)
{
    auto key = generateKey();
    if (!key) {
        return fail(key.error());
    }
    auto insert = detail::Statement::prepare(
        db, "INSERT INTO api_keys(hash, tenant_id, created_at_ms) VALUES(?1, ?2, ?3)");
    if (!insert) {
        return fail(insert.error());
    }
    insert->bindText(1, TenantStore::hashKey(*key)).bindText(2, tenant).bindInt64(3, nowMs);
    if (auto done = insert->step("cannot add an API key for tenant '" + tenant + "'"); !done) {
        return fail(done.error());
    }
    return key;
}

} // namespace

TenantStore::TenantStore(Database &db)
    : m_db(db)
{
}

Result<void> TenantStore::validateName(const std::string &name)
{
    const bool valid =
        !name.empty() && name.size() <= kMaxNameLength && std::ranges::all_of(name, [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
        });
    if (!valid) {
        return fail(Error::invalid("invalid tenant name '" + name
                                   + "': use 1 to 64 characters of a-z, 0-9, '_' and '-'"));
    }
    return {};
}

Result<std::string> TenantStore::addTenant(const std::string &name)
{
    if (auto valid = validateName(name); !valid) {
        return fail(valid.error());
    }
    auto transaction = Transaction::begin(m_db);
    if (!transaction) {
        return fail(transaction.error());
    }
    auto insert = detail::Statement::prepare(
        m_db.handle(),
        "INSERT INTO tenants(id, created_at_ms) VALUES(?1, ?2) ON CONFLICT(id) DO NOTHING");
    if (!insert) {
        return fail(insert.error());
    }
    const std::int64_t now = nowMillis();
    insert->bindText(1, name).bindInt64(2, now);
    if (auto done = insert->step("cannot add tenant '" + name + "'"); !done) {
        return fail(done.error());
    }
    if (sqlite3_changes(m_db.handle()) == 0) {
        return fail(Error::invalid("tenant '" + name + "' already exists; 'logdeck-cli tenants key "
                                   + name + "' issues another API key"));
    }
    auto key = insertKey(m_db.handle(), name, now);
    if (!key) {
        return fail(key.error());
    }
    if (auto committed = transaction->commit(); !committed) {
        return fail(committed.error());
    }
    return key;
}

Result<std::string> TenantStore::addKey(const std::string &tenant)
{
    auto found = tenantExists(m_db.handle(), tenant);
    if (!found) {
        return fail(found.error());
    }
    if (!*found) {
        return fail(unknownTenant(tenant));
    }
    return insertKey(m_db.handle(), tenant, nowMillis());
}

Result<std::vector<TenantStore::Tenant>> TenantStore::list()
{
    auto select = detail::Statement::prepare(m_db.handle(), R"sql(
        SELECT t.id, t.created_at_ms, COUNT(k.hash)
        FROM tenants t
        LEFT JOIN api_keys k ON k.tenant_id = t.id AND k.revoked_at_ms IS NULL
        GROUP BY t.id
        ORDER BY t.id)sql");
    if (!select) {
        return fail(select.error());
    }
    std::vector<Tenant> tenants;
    for (;;) {
        auto row = select->step("cannot list the tenants");
        if (!row) {
            return fail(row.error());
        }
        if (*row == detail::Statement::Step::Done) {
            return tenants;
        }
        tenants.push_back({select->columnText(0), select->columnInt64(1),
                           static_cast<int>(select->columnInt64(2))});
    }
}

Result<int> TenantStore::revoke(const std::string &tenant)
{
    auto found = tenantExists(m_db.handle(), tenant);
    if (!found) {
        return fail(found.error());
    }
    if (!*found) {
        return fail(unknownTenant(tenant));
    }
    auto update = detail::Statement::prepare(m_db.handle(), R"sql(
        UPDATE api_keys SET revoked_at_ms = ?1
        WHERE tenant_id = ?2 AND revoked_at_ms IS NULL)sql");
    if (!update) {
        return fail(update.error());
    }
    update->bindInt64(1, nowMillis()).bindText(2, tenant);
    if (auto done = update->step("cannot revoke the API keys of tenant '" + tenant + "'"); !done) {
        return fail(done.error());
    }
    return sqlite3_changes(m_db.handle());
}

Result<std::optional<std::string>> TenantStore::tenantForKey(const std::string &key)
{
    auto select = detail::Statement::prepare(
        m_db.handle(), "SELECT tenant_id FROM api_keys WHERE hash = ?1 AND revoked_at_ms IS NULL");
    if (!select) {
        return fail(select.error());
    }
    select->bindText(1, hashKey(key));
    auto row = select->step("cannot look up an API key");
    if (!row) {
        return fail(row.error());
    }
    if (*row == detail::Statement::Step::Done) {
        return std::nullopt;
    }
    return select->columnText(0);
}

Result<std::unordered_map<std::string, std::string>> TenantStore::activeKeyHashes()
{
    auto select = detail::Statement::prepare(
        m_db.handle(), "SELECT hash, tenant_id FROM api_keys WHERE revoked_at_ms IS NULL");
    if (!select) {
        return fail(select.error());
    }
    std::unordered_map<std::string, std::string> hashes;
    for (;;) {
        auto row = select->step("cannot read the API keys");
        if (!row) {
            return fail(row.error());
        }
        if (*row == detail::Statement::Step::Done) {
            return hashes;
        }
        hashes.emplace(select->columnText(0), select->columnText(1));
    }
}

std::string TenantStore::hashKey(const std::string &key)
{
    return QCryptographicHash::hash(QByteArrayView(key.data(), static_cast<qsizetype>(key.size())),
                                    QCryptographicHash::Sha256)
        .toHex()
        .toStdString();
}

int TenantStore::activeKeysOf(const std::string &tenant)
{
    auto all = list();
    if (!all) {
        return -1;
    }
    const auto found = std::ranges::find(*all, tenant, &Tenant::id);
    return found != all->end() ? found->activeKeys : -1;
}

AuditEntry TenantStore::keyChangeAuditEntry(const std::string &operation,
                                            const std::string &tenant, int keysBefore,
                                            int keysAfter, const std::string &result)
{
    const auto keys = [](int activeKeys) {
        return (activeKeys < 0 ? nlohmann::json {{"exists", false}}
                               : nlohmann::json {{"exists", true}, {"activeKeys", activeKeys}})
            .dump();
    };
    AuditEntry entry;
    entry.operation = operation;
    entry.target = tenant;
    entry.parameters = nlohmann::json {{"tenant", tenant}}.dump();
    entry.before = keys(keysBefore);
    entry.after = keys(keysAfter);
    entry.result = result;
    return entry;
}

} // namespace logdeck::store
