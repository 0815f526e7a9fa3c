#include "kafka/topic_catalog.h"

namespace logdeck::kafka::topics {

std::string retryTopic(std::string_view group)
{
    return std::string(kRetryPrefix) + std::string(group);
}

std::string roleOf(std::string_view topic)
{
    if (topic == kRaw) {
        return "Accepted events, keyed by tenant";
    }
    if (topic == kDeadLetter) {
        return "Dead letters from every group";
    }
    if (topic == kEnriched) {
        return "Output of the enrichment group";
    }
    if (topic == kControl) {
        return "Commands to engines";
    }
    if (topic == kStatus) {
        return "Engine heartbeats (compacted)";
    }
    if (topic.starts_with(kRetryPrefix)) {
        return "Retry path of group '" + std::string(topic.substr(kRetryPrefix.size())) + "'";
    }
    return {};
}

std::vector<TopicSpec> pipelineTopics(const std::vector<std::string> &groups, int partitions)
{
    std::vector<TopicSpec> specs = {
        {std::string(kRaw), partitions, {}},
        {std::string(kDeadLetter), partitions, {}},
        {std::string(kEnriched), partitions, {}},
        // Commands are few and must keep their order: one partition.
        {std::string(kControl), 1, {}},
        // Heartbeats keyed by instance id; compaction keeps the latest per engine.
        {std::string(kStatus), 1, {{"cleanup.policy", "compact"}}},
    };
    for (const auto &group : groups) {
        specs.push_back({retryTopic(group), partitions, {}});
    }
    return specs;
}

} // namespace logdeck::kafka::topics
