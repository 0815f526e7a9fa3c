#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "kafka/consumer.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
    std::string key;
    kafka::Headers headers; ///< as the record carries them
    int redriveCount = 0; ///< how many redrives the event went through before this failure
};

/// Decodes the headers of a dead-letter record.
DeadLetter decodeDeadLetter(const kafka::ConsumedRecord &record);

/// "topic:partition:offset", the coordinates that name one dead letter.
std::string coordinatesOf(const DeadLetter &letter);

/// The criteria every `dlq` command selects dead letters by. Empty criteria match all.
struct DeadLetterFilter
{
    std::string topic = "events.dlq"; ///< the dead-letter topic to read
    std::string group; ///< failing group (Spring: consumer group, Connect: connector)
    std::string tenant;
    /// Exact, or the last component of a qualified name: "PoisonEvent" matches
    /// "dev.logdeck.PoisonEvent".
    std::string errorClass;
    std::string originalTopic;
    std::optional<std::int64_t> sinceMs; ///< dead-lettered at or after (record timestamp)
    std::optional<std::int64_t> untilMs; ///< dead-lettered before
    std::string text; ///< substring of the error message or the value, ignoring ASCII case

    bool matches(const DeadLetter &letter) const;
    /// True when no criterion narrows the selection (the topic alone).
    bool selectsEverything() const;
};

/// Reads every record of `filter.topic` present now (from the first offset to the log end),
/// without joining a group, and keeps the decoded ones `filter` matches, oldest first.
/// NotFound when the topic does not exist.
Result<std::vector<DeadLetter>> readDeadLetters(const kafka::ClientSettings &settings,
                                                const DeadLetterFilter &filter,
                                                std::chrono::milliseconds timeout);

/// Parses "topic:partition:offset" (the topic may itself contain ':'); nothing when `id`
/// is not such coordinates (then it is an event id).
std::optional<kafka::TopicPartitionOffset> parseCoordinates(std::string_view id);

/// The dead letters among `letters` that `id` names: the one at coordinates
/// "topic:partition:offset", or every one of an event id (an event can be dead-lettered
/// more than once).
std::vector<DeadLetter> findDeadLetters(const std::vector<DeadLetter> &letters,
                                        const std::string &id);

} // namespace logdeck::ops
