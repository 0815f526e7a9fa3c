#pragma once

#include "common/result.h"

#include <cstdint>
#include <string>

namespace logdeck::store {

class Database;

/// Campaigns of tenants: the business rows that POST /v1/campaigns writes in the same
/// transaction as their `campaign.created` outbox event.
class CampaignStore
{
public:
    explicit CampaignStore(Database &db);

    /// Inserts the campaign; false (and nothing written) when the tenant already has one
    /// with this id. Runs inside the caller's transaction.
    Result<bool> create(const std::string &tenant, const std::string &id, const std::string &name,
                        std::int64_t createdAtMs);

private:
    Database &m_db;
};

} // namespace logdeck::store
