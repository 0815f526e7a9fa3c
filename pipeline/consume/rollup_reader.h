#pragma once

#include "common/result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace logdeck::consume {

/// One row of the analytics group's rollups: how many events of a tenant's campaign and
/// type occurred in one minute (`minuteMs`, the minute's start in Unix milliseconds).
struct RollupRow
{
    std::string tenant;
    std::string campaignId;
    std::string type;
    std::int64_t minuteMs = 0;
    std::int64_t count = 0;
};

/// The analytics group's rollups in `dataDir` (DATA/groups/analytics.db), of one tenant or
/// of all when `tenant` is empty, ordered by tenant, campaign, type and minute. Reads
/// alongside a running engine (WAL). No database yet (the group never ran there) is an
/// empty result, not an error; a directory that does not exist is left uncreated.
/// `group` names a group that runs the analytics processor under another name.
Result<std::vector<RollupRow>> readRollups(const std::string &dataDir, const std::string &tenant,
                                           const std::string &group = "analytics");

} // namespace logdeck::consume
