#pragma once

#include "common/result.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace logdeck::store {

class Database;

/// One event as the persister indexed it: its fields and the Kafka record it was read from
/// (events.raw, or the persister's retry topic when it succeeded on a later attempt).
struct IndexedEvent
{
    std::string tenant;
    std::string eventId;
    std::string type;
    std::string campaignId;
    std::int64_t occurredAtMs = 0;
    std::int64_t receivedAtMs = 0;
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
};

/// Which indexed events to read: one tenant, occurredAt within [sinceMs, untilMs], and
/// optionally one type or one event id (empty: any).
struct EventFilter
{
    std::string tenant;
    std::int64_t sinceMs = std::numeric_limits<std::int64_t>::min();
    std::int64_t untilMs = std::numeric_limits<std::int64_t>::max();
    std::string type;
    std::string eventId;
    int limit = 1000;
};

/// Reads the persister's event index (table `events` of DATA/groups/persister.db), keyed by
/// tenant and time so that one tenant's range is one index walk.
class EventIndex
{
public:
    /// Works on `db`, which must outlive the index and belongs to the same thread.
    explicit EventIndex(Database &db);

    /// The newest `filter.limit` matching events, oldest first (ties by event id).
    Result<std::vector<IndexedEvent>> find(const EventFilter &filter);

private:
    Database &m_db;
};

} // namespace logdeck::store
