#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "kafka/consumer.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace logdeck::ops {

/// One dead-lettered record, decoded from whichever convention wrote it: Logdeck's own
/// headers, Spring Kafka's `kafka_dlt-*`, or Kafka Connect's `__connect.errors.*`.
struct DeadLetter
{
    std::string topic; ///< the dead-letter topic
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::int64_t timestampMs = 0;
    std::string eventId;
    std::string tenant;
    std::string group; ///< the failing consumer group
    std::string errorClass;
    std::string errorMessage;
    int attempts = 0;
    std::string originalTopic;
    std::int32_t originalPartition = -1;
    std::int64_t originalOffset = -1;
    std::int64_t originalTimestampMs = 0;
    std::string convention; ///< "logdeck", "spring" or "connect"
    std::string value;
};

/// Decodes the headers of a dead-letter record.
DeadLetter decodeDeadLetter(const kafka::ConsumedRecord &record);

/// Reads every record of `topic` present now (from the first offset to the log end),
/// without joining a group, and decodes it.
Result<std::vector<DeadLetter>> readDeadLetters(const kafka::ClientSettings &settings,
                                                const std::string &topic,
                                                std::chrono::milliseconds timeout);

} // namespace logdeck::ops
