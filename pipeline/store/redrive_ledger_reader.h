#pragma once

#include "common/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace logdeck::store {

class Database;

/// One row of `redrive_ledger` (engine database): a dead letter sent back, and where to.
struct RedriveRecord
{
    std::string dlqTopic;
    std::int32_t dlqPartition = 0;
    std::int64_t dlqOffset = 0;
    int redriveCount = 0;
    std::string taskId;
    std::string eventId;
    std::string tenant;
    std::string failingGroup;
    std::string targetTopic;
    std::int32_t targetPartition = 0;
    std::int64_t targetOffset = 0;
    std::string redrivenBy;
    std::int64_t redrivenAtMs = 0;
};

/// Every redrive of `tenant`'s dead letters, oldest first.
Result<std::vector<RedriveRecord>> redrivesOfTenant(Database &db, const std::string &tenant);

} // namespace logdeck::store
