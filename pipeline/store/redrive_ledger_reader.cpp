#include "store/redrive_ledger_reader.h"

#include "store/database.h"
#include "store/sqlite_support.h"

namespace logdeck::store {

using detail::Statement;

Result<std::vector<RedriveRecord>> redrivesOfTenant(Database &db, const std::string &tenant)
{
    auto select = Statement::prepare(db.handle(), R"sql(
        SELECT dlq_topic, dlq_partition, dlq_offset, redrive_count, task_id, event_id, tenant,
               failing_group, target_topic, target_partition, target_offset, redriven_by,
               redriven_at_ms
        FROM redrive_ledger WHERE tenant = ?1
        ORDER BY redriven_at_ms, dlq_topic, dlq_partition, dlq_offset, redrive_count)sql");
    if (!select) {
        return fail(select.error());
    }
    select->bindText(1, tenant);
    std::vector<RedriveRecord> records;
    for (;;) {
        auto row = select->step("cannot read the redrive ledger of tenant '" + tenant + "'");
        if (!row) {
            return fail(row.error());
        }
        if (*row == Statement::Step::Done) {
            return records;
        }
        records.push_back({select->columnText(0), static_cast<std::int32_t>(select->columnInt64(1)),
                           select->columnInt64(2), static_cast<int>(select->columnInt64(3)),
                           select->columnText(4), select->columnText(5), select->columnText(6),
                           select->columnText(7), select->columnText(8),
                           static_cast<std::int32_t>(select->columnInt64(9)),
                           select->columnInt64(10), select->columnText(11),
                           select->columnInt64(12)});
    }
}

} // namespace logdeck::store
