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

/// Where a dead letter first failed, as its headers say. A coordinate whose header is
/// missing or unreadable is unknown (nothing), never a made-up number, and has a note.
struct DeadLetterOrigin
{
    std::string convention; ///< "logdeck", "spring", "connect" or "unknown"
    std::string topic; ///< empty when unknown
    std::optional<std::int32_t> partition;
    std::optional<std::int64_t> offset;
    std::optional<std::int64_t> timestampMs;
    std::vector<std::string> notes; ///< one per missing or unreadable header, naming it
};

/// Decodes the origin from dead-letter headers of any convention: Logdeck's and Kafka
/// Connect's numbers in decimal text, Spring Kafka's as 4-byte (partition) or 8-byte
/// (offset, timestamp) big-endian binary or in decimal text. Takes any bytes, never throws.
DeadLetterOrigin decodeDeadLetterOrigin(const kafka::Headers &headers);

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
    std::optional<std::int32_t> originalPartition; ///< nothing when unknown
    std::optional<std::int64_t> originalOffset; ///< nothing when unknown
    std::optional<std::int64_t> originalTimestampMs; ///< nothing when unknown
    std::vector<std::string> notes; ///< what in the headers was missing or unreadable
    std::string convention; ///< "logdeck", "spring", "connect" or "unknown"
    std::string value;
    bool valueIsNull = false; ///< a null value (a tombstone); `value` is then empty
    std::string key;
    kafka::Headers headers; ///< as the record carries them
    int redriveCount = 0; ///< how many redrives the event went through before this failure
};

/// Decodes the headers of a dead-letter record.
DeadLetter decodeDeadLetter(const kafka::ConsumedRecord &record);

/// "topic:partition:offset", the coordinates that name one dead letter.
std::string coordinatesOf(const DeadLetter &letter);

/// "topic[partition]@offset" where the dead letter first failed, "?" for what is unknown.
std::string originOf(const DeadLetter &letter);

/// A record value as people are shown it: a null value stays null; UTF-8 text without
/// control characters (tab and line breaks allowed) as it is; any other bytes in base64,
/// so that nothing is dropped or replaced.
struct ShownValue
{
    enum class Encoding { Null, Text, Base64 };
    Encoding encoding = Encoding::Null;
    std::string text; ///< empty for Null

    /// "null", "text" or "base64".
    const char *encodingName() const;
};
ShownValue showValue(const DeadLetter &letter);

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
