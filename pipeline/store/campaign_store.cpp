#include "store/campaign_store.h"

#include "store/database.h"
#include "store/sqlite_support.h"

namespace logdeck::store {

CampaignStore::CampaignStore(Database &db)
    : m_db(db)
{
}

Result<bool> CampaignStore::create(const std::string &tenant, const std::string &id,
                                   const std::string &name, std::int64_t createdAtMs)
{
    auto insert = detail::Statement::prepare(
        m_db.handle(),
        "INSERT INTO campaigns(tenant_id, id, name, created_at_ms) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(tenant_id, id) DO NOTHING");
    if (!insert) {
        return fail(insert.error());
    }
    insert->bindText(1, tenant).bindText(2, id).bindText(3, name).bindInt64(4, createdAtMs);
    if (auto step = insert->step("creating campaign '" + id + "'"); !step) {
        return fail(step.error());
    }
    return sqlite3_changes(m_db.handle()) == 1;
}

} // namespace logdeck::store
