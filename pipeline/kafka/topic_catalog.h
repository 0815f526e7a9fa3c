#pragma once

#include "kafka/admin_client.h"

#include <string>
#include <string_view>
#include <vector>

namespace logdeck::kafka::topics {

/// The topics of the pipeline (docs/architecture.md, "Topics").
inline constexpr std::string_view kRaw = "events.raw";
inline constexpr std::string_view kDeadLetter = "events.dlq";
inline constexpr std::string_view kEnriched = "events.enriched";
inline constexpr std::string_view kControl = "logdeck.control";
inline constexpr std::string_view kStatus = "logdeck.status";
inline constexpr std::string_view kRetryPrefix = "events.retry.";

/// `events.retry.<group>`: the retry path of one processing group.
std::string retryTopic(std::string_view group);

/// What a pipeline topic is for, in a few words (empty for other topics).
std::string roleOf(std::string_view topic);

/// Every topic the pipeline needs for `groups`, with `partitions` partitions for the event
/// topics. Control and status have one partition each; status is compacted.
std::vector<TopicSpec> pipelineTopics(const std::vector<std::string> &groups, int partitions);

} // namespace logdeck::kafka::topics
