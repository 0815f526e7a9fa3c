#include "consume/rollup_reader.h"

#include "store/database.h"
#include "store/group_store.h"
#include "store/sqlite_support.h"

#include <filesystem>
#include <system_error>

namespace logdeck::consume {

Result<std::vector<RollupRow>> readRollups(const std::string &dataDir, const std::string &tenant,
                                           const std::string &group)
{
    const std::string path = store::GroupStore::pathFor(dataDir, group);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        if (ec) {
            return fail(Error::io("cannot read " + path + ": " + ec.message()
                                  + "; check the data directory's permissions"));
        }
        return std::vector<RollupRow> {};
    }
    auto db = store::Database::open(path);
    if (!db) {
        return fail(db.error());
    }
    // Two statements rather than "?1 = '' OR tenant = ?1", which would scan every tenant.
    auto select = store::detail::Statement::prepare((*db)->handle(),
                                                    tenant.empty() ? R"sql(
        SELECT tenant, campaign_id, type, minute_ms, count FROM rollups
        ORDER BY tenant, campaign_id, type, minute_ms)sql"
                                                                   : R"sql(
        SELECT tenant, campaign_id, type, minute_ms, count FROM rollups WHERE tenant = ?1
        ORDER BY tenant, campaign_id, type, minute_ms)sql");
    if (!select) {
        return fail(select.error());
    }
    if (!tenant.empty()) {
        select->bindText(1, tenant);
    }
    std::vector<RollupRow> rows;
    for (;;) {
        auto row = select->step("cannot read the analytics rollups");
        if (!row) {
            return fail(row.error());
        }
        if (*row == store::detail::Statement::Step::Done) {
            return rows;
        }
        rows.push_back({select->columnText(0), select->columnText(1), select->columnText(2),
                        select->columnInt64(3), select->columnInt64(4)});
    }
}

} // namespace logdeck::consume
