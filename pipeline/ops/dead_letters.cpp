#include "ops/dead_letters.h"

#include "common/numbers.h"
#include "kafka/admin_client.h"
#include "kafka/partition_scan.h"
#include "kafka/record_headers.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace logdeck::ops {

namespace {

namespace h = kafka::headers;

bool has(const kafka::Headers &headers, const std::string &name)
{
    return std::ranges::any_of(headers, [&](const kafka::Header &hd) { return hd.name == name; });
}

bool containsIgnoringCase(std::string_view haystack, std::string_view needle)
{
    const auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    const auto found =
        std::ranges::search(haystack, needle, [&](char a, char b) { return lower(a) == lower(b); });
    return needle.empty() || !found.empty();
}

bool errorClassMatches(const std::string &actual, const std::string &wanted)
{
    return actual == wanted
        || (actual.size() > wanted.size() && actual.ends_with(wanted)
            && actual[actual.size() - wanted.size() - 1] == '.');
}

} // namespace

DeadLetter decodeDeadLetter(const kafka::ConsumedRecord &record)
{
    const auto &hs = record.headers;
    auto header = [&](const char *name) {
        return kafka::headerValue(hs, name);
    };
    DeadLetter d;
    d.topic = record.topic;
    d.partition = record.partition;
    d.offset = record.offset;
    d.timestampMs = record.timestampMs;
    d.value = record.value;
    d.key = record.key;
    d.headers = record.headers;
    d.tenant = header(h::kTenantId).empty() ? record.key : header(h::kTenantId);
    d.eventId = header(h::kEventId);
    d.redriveCount = static_cast<int>(parseInt64(header(h::kRedriveCount), 0));
    if (d.eventId.empty()) {
        const auto value = nlohmann::json::parse(record.value, nullptr, false);
        if (value.is_object() && value.contains("id") && value["id"].is_string()) {
            d.eventId = value["id"].get<std::string>();
        }
    }
    if (has(hs, h::kFailingGroup)) {
        d.convention = "logdeck";
        d.group = header(h::kFailingGroup);
        d.errorClass = header(h::kErrorClass);
        d.errorMessage = header(h::kErrorMessage);
        d.attempts = static_cast<int>(parseInt64(header(h::kAttempts), 1));
        d.originalTopic = header(h::kOriginalTopic);
        d.originalPartition =
            static_cast<std::int32_t>(parseInt64(header(h::kOriginalPartition), -1));
        d.originalOffset = parseInt64(header(h::kOriginalOffset), -1);
        d.originalTimestampMs = parseInt64(header(h::kOriginalTimestamp), 0);
    } else if (has(hs, h::kSpringOriginalTopic)) {
        d.convention = "spring";
        d.group = header(h::kSpringOriginalGroup);
        d.errorClass = header(h::kSpringExceptionClass);
        d.errorMessage = header(h::kSpringExceptionMessage);
        d.attempts = 1;
        d.originalTopic = header(h::kSpringOriginalTopic);
        d.originalPartition =
            static_cast<std::int32_t>(h::fromBigEndian(header(h::kSpringOriginalPartition)));
        d.originalOffset = h::fromBigEndian(header(h::kSpringOriginalOffset));
        d.originalTimestampMs = h::fromBigEndian(header(h::kSpringOriginalTimestamp));
    } else if (has(hs, h::kConnectTopic)) {
        d.convention = "connect";
        d.group = header(h::kConnectConnector);
        d.errorClass = header(h::kConnectExceptionClass);
        d.errorMessage = header(h::kConnectExceptionMessage);
        d.attempts = 1;
        d.originalTopic = header(h::kConnectTopic);
        d.originalPartition =
            static_cast<std::int32_t>(parseInt64(header(h::kConnectPartition), -1));
        d.originalOffset = parseInt64(header(h::kConnectOffset), -1);
    } else {
        d.convention = "unknown";
    }
    return d;
}

std::string coordinatesOf(const DeadLetter &letter)
{
    return letter.topic + ":" + std::to_string(letter.partition) + ":"
        + std::to_string(letter.offset);
}

bool DeadLetterFilter::matches(const DeadLetter &d) const
{
    return (group.empty() || d.group == group) && (tenant.empty() || d.tenant == tenant)
        && (errorClass.empty() || errorClassMatches(d.errorClass, errorClass))
        && (originalTopic.empty() || d.originalTopic == originalTopic)
        && (!sinceMs || d.timestampMs >= *sinceMs) && (!untilMs || d.timestampMs < *untilMs)
        && (text.empty() || containsIgnoringCase(d.errorMessage, text)
            || containsIgnoringCase(d.value, text));
}

bool DeadLetterFilter::selectsEverything() const
{
    return group.empty() && tenant.empty() && errorClass.empty() && originalTopic.empty()
        && !sinceMs && !untilMs && text.empty();
}

Result<std::vector<DeadLetter>> readDeadLetters(const kafka::ClientSettings &settings,
                                                const DeadLetterFilter &filter,
                                                std::chrono::milliseconds timeout)
{
    const std::string &topic = filter.topic;
    auto admin = kafka::AdminClient::create(settings);
    if (!admin) {
        return fail(admin.error());
    }
    auto cluster = (*admin)->describeCluster(timeout);
    if (!cluster) {
        return fail(cluster.error());
    }
    const auto info = std::ranges::find(cluster->topics, topic, &kafka::TopicInfo::name);
    if (info == cluster->topics.end()) {
        return fail(Error::notFound("topic '" + topic + "' does not exist"));
    }
    std::vector<DeadLetter> result;
    for (std::int32_t p = 0; p < info->partitions; ++p) {
        auto marks = (*admin)->watermarks(topic, p, timeout);
        if (!marks) {
            return fail(marks.error());
        }
        auto scanned = kafka::scanPartition(
            settings, {{topic, p}, marks->low, marks->high},
            [&](const kafka::ConsumedRecord &record) {
                DeadLetter letter = decodeDeadLetter(record);
                if (filter.matches(letter)) {
                    result.push_back(std::move(letter));
                }
            },
            timeout);
        if (!scanned) {
            return fail(scanned.error());
        }
    }
    std::ranges::sort(result, [](const DeadLetter &a, const DeadLetter &b) {
        return std::tie(a.timestampMs, a.partition, a.offset)
            < std::tie(b.timestampMs, b.partition, b.offset);
    });
    return result;
}

std::optional<kafka::TopicPartitionOffset> parseCoordinates(std::string_view id)
{
    const auto lastColon = id.rfind(':');
    if (lastColon == std::string_view::npos || lastColon == 0) {
        return std::nullopt;
    }
    const auto middleColon = id.rfind(':', lastColon - 1);
    if (middleColon == std::string_view::npos || middleColon == 0) {
        return std::nullopt;
    }
    const auto partition = parseInt64Exact(id.substr(middleColon + 1, lastColon - middleColon - 1));
    const auto offset = parseInt64Exact(id.substr(lastColon + 1));
    if (!partition || !offset || *partition < 0 || *partition > INT32_MAX || *offset < 0) {
        return std::nullopt;
    }
    return kafka::TopicPartitionOffset {std::string(id.substr(0, middleColon)),
                                        static_cast<std::int32_t>(*partition), *offset};
}

std::vector<DeadLetter> findDeadLetters(const std::vector<DeadLetter> &letters,
                                        const std::string &id)
{
    std::vector<DeadLetter> found;
    const auto coordinates = parseCoordinates(id);
    for (const auto &letter : letters) {
        const bool named = coordinates
            ? letter.topic == coordinates->topic && letter.partition == coordinates->partition
                && letter.offset == coordinates->offset
            : letter.eventId == id;
        if (named) {
            found.push_back(letter);
        }
    }
    return found;
}

} // namespace logdeck::ops
