#include "store/event_index.h"

#include "store/database.h"
#include "store/sqlite_support.h"

#include <algorithm>

namespace logdeck::store {

using detail::Statement;

EventIndex::EventIndex(Database &db)
    : m_db(db)
{
}

Result<std::vector<IndexedEvent>> EventIndex::find(const EventFilter &filter)
{
    // The tenant and time bounds walk the primary key; type and id only filter that range.
    auto select = Statement::prepare(m_db.handle(), R"sql(
        SELECT tenant, event_id, type, campaign_id, occurred_at_ms, received_at_ms, topic,
               partition, offset
        FROM events
        WHERE tenant = ?1 AND occurred_at_ms BETWEEN ?2 AND ?3
          AND (?4 = '' OR type = ?4) AND (?5 = '' OR event_id = ?5)
        ORDER BY occurred_at_ms DESC, event_id DESC
        LIMIT ?6)sql");
    if (!select) {
        return fail(select.error());
    }
    select->bindText(1, filter.tenant)
        .bindInt64(2, filter.sinceMs)
        .bindInt64(3, filter.untilMs)
        .bindText(4, filter.type)
        .bindText(5, filter.eventId)
        .bindInt64(6, filter.limit);
    std::vector<IndexedEvent> events;
    for (;;) {
        auto row = select->step("cannot read the event index of tenant '" + filter.tenant + "'");
        if (!row) {
            return fail(row.error());
        }
        if (*row == Statement::Step::Done) {
            break;
        }
        events.push_back({select->columnText(0), select->columnText(1), select->columnText(2),
                          select->columnText(3), select->columnInt64(4), select->columnInt64(5),
                          select->columnText(6), static_cast<std::int32_t>(select->columnInt64(7)),
                          select->columnInt64(8)});
    }
    std::ranges::reverse(events);
    return events;
}

} // namespace logdeck::store
