#pragma once
// A record's address, one notation everywhere: Logdeck prints `topic:partition:offset`
// and reads that or kcat's and Kafka's logs' `topic[partition]@offset`.

#include "common/result.h"
#include "kafka/client_settings.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logdeck::ops {

/// "topic:partition:offset", as every command and page prints a record's address.
std::string formatRecordAddress(const std::string &topic, std::int32_t partition,
                                std::int64_t offset);

/// "topic:partition", a partition in the same notation.
std::string formatPartition(const std::string &topic, std::int32_t partition);

/// The same with parts that may be unknown, each shown as "?".
std::string formatRecordAddress(const std::string &topic, std::optional<std::int32_t> partition,
                                std::optional<std::int64_t> offset);

/// Parses "topic:partition:offset" (the topic may itself contain ':') or
/// "topic[partition]@offset". InvalidArgument naming the part that is wrong: an empty text,
/// no topic, a partition or offset that is not a whole number in range, or neither form.
Result<kafka::TopicPartitionOffset> parseRecordAddress(std::string_view text);

/// Whether `text` is meant as a record address rather than an event id: it holds two ':'
/// or a '[' (event ids hold neither), so that a mistyped address gets parseRecordAddress's
/// error instead of "not found".
bool looksLikeRecordAddress(std::string_view text);

} // namespace logdeck::ops
