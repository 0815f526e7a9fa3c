#pragma once

#include "common/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace logdeck::store {

class Database;
struct AuditEntry;

/// Tenants and their API keys. A key is shown in plain text once, when it is made; the
/// database keeps only its SHA-256, so a copy of the file holds no working key.
class TenantStore
{
public:
    /// One tenant as list() reports it.
    struct Tenant
    {
        std::string id;
        std::int64_t createdAtMs = 0;
        int activeKeys = 0; ///< keys not revoked
    };

    /// Works on `db`, which must outlive the store and belongs to the same thread.
    explicit TenantStore(Database &db);

    /// Checks a tenant name: 1 to 64 characters of a-z, 0-9, '_' and '-'. The error names
    /// the name and the rule.
    static Result<void> validateName(const std::string &name);

    /// Creates tenant `name` (its id) and its first API key in one transaction, and returns
    /// the key. Fails if the name is invalid or already taken.
    Result<std::string> addTenant(const std::string &name);

    /// Issues another API key for an existing tenant and returns it; NotFound if there is
    /// no such tenant.
    Result<std::string> addKey(const std::string &tenant);

    /// Every tenant with its count of active keys, sorted by id.
    Result<std::vector<Tenant>> list();

    /// Revokes every active key of the tenant and returns how many there were; NotFound if
    /// there is no such tenant.
    Result<int> revoke(const std::string &tenant);

    /// The tenant that owns `key`, or nothing if the key is unknown or revoked.
    Result<std::optional<std::string>> tenantForKey(const std::string &key);

    /// SHA-256 hex → tenant id of every active key, for an in-memory authentication cache.
    Result<std::unordered_map<std::string, std::string>> activeKeyHashes();

    /// The SHA-256 of `key` in lower-case hex, as the database stores it.
    static std::string hashKey(const std::string &key);

    /// The tenant's count of active keys; -1 when there is no such tenant (or it cannot be
    /// read).
    int activeKeysOf(const std::string &tenant);

    /// The audit entry of a change to a tenant's keys ("tenants.add", "tenants.add-key",
    /// "tenants.revoke"): parameters {"tenant"}, before and after {"exists", "activeKeys"}
    /// (`keys` -1: the tenant did not exist). Counts only, never a key.
    static AuditEntry keyChangeAuditEntry(const std::string &operation, const std::string &tenant,
                                          int keysBefore, int keysAfter, const std::string &result);

private:
    Database &m_db;
};

} // namespace logdeck::store
