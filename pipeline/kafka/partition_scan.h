#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "kafka/consumer.h"

#include <chrono>
#include <cstdint>
#include <functional>

namespace logdeck::kafka {

/// A stretch of one partition: offsets `from` up to, not including, `until`.
struct PartitionRange
{
    TopicPartition partition;
    std::int64_t from = 0;
    std::int64_t until = 0;

    std::int64_t size() const { return until > from ? until - from : 0; }
};

/// Reads every record of `range` in offset order, outside any consumer group (nothing is
/// committed), and hands each to `visit`. Returns how many records were read. Fails with
/// Timeout when the end of the range is not reached within `timeout`.
Result<std::int64_t> scanPartition(const ClientSettings &settings, const PartitionRange &range,
                                   const std::function<void(const ConsumedRecord &)> &visit,
                                   std::chrono::milliseconds timeout);

} // namespace logdeck::kafka
