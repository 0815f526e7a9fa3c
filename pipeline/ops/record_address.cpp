#include "ops/record_address.h"

#include "common/numbers.h"

#include <algorithm>
#include <limits>

namespace logdeck::ops {

namespace {

constexpr const char *kForms = "topic:partition:offset or topic[partition]@offset";

Error invalid(std::string_view text, const std::string &problem)
{
    return Error::invalid("'" + std::string(text) + "' is not a record address: " + problem
                          + " (give " + kForms + ")");
}

Result<kafka::TopicPartitionOffset> build(std::string_view text, std::string_view topic,
                                          std::string_view partition, std::string_view offset)
{
    if (topic.empty()) {
        return fail(invalid(text, "no topic"));
    }
    const auto p = parseInt64Exact(partition);
    if (!p || *p < 0 || *p > std::numeric_limits<std::int32_t>::max()) {
        return fail(invalid(text, "the partition '" + std::string(partition)
                                      + "' is not a whole number from 0 to 2147483647"));
    }
    const auto o = parseInt64Exact(offset);
    if (!o || *o < 0) {
        return fail(invalid(text, "the offset '" + std::string(offset)
                                      + "' is not a whole number from 0"));
    }
    return kafka::TopicPartitionOffset {std::string(topic), static_cast<std::int32_t>(*p), *o};
}

} // namespace

std::string formatPartition(const std::string &topic, std::int32_t partition)
{
    return topic + ":" + std::to_string(partition);
}

std::string formatRecordAddress(const std::string &topic, std::int32_t partition,
                                std::int64_t offset)
{
    return formatPartition(topic, partition) + ":" + std::to_string(offset);
}

std::string formatRecordAddress(const std::string &topic, std::optional<std::int32_t> partition,
                                std::optional<std::int64_t> offset)
{
    const auto known = [](const auto &number) {
        return number ? std::to_string(*number) : std::string("?");
    };
    return (topic.empty() ? "?" : topic) + ":" + known(partition) + ":" + known(offset);
}

Result<kafka::TopicPartitionOffset> parseRecordAddress(std::string_view text)
{
    if (text.empty()) {
        return fail(Error::invalid(std::string("an empty record address (give ") + kForms + ")"));
    }
    if (const auto open = text.find('['); open != std::string_view::npos) {
        const auto close = text.find("]@", open);
        if (close == std::string_view::npos) {
            return fail(invalid(text, "'[' without ']@'"));
        }
        return build(text, text.substr(0, open), text.substr(open + 1, close - open - 1),
                     text.substr(close + 2));
    }
    const auto last = text.rfind(':');
    const auto middle = last == std::string_view::npos || last == 0
        ? std::string_view::npos
        : text.rfind(':', last - 1);
    if (middle == std::string_view::npos) {
        return fail(invalid(text, "it needs a topic, a partition and an offset"));
    }
    return build(text, text.substr(0, middle), text.substr(middle + 1, last - middle - 1),
                 text.substr(last + 1));
}

bool looksLikeRecordAddress(std::string_view text)
{
    return std::ranges::count(text, ':') >= 2 || text.find('[') != std::string_view::npos;
}

} // namespace logdeck::ops
