#include "ops/dead_letters.h"

#include "common/json_depth.h"
#include "common/numbers.h"
#include "kafka/admin_client.h"
#include "kafka/partition_scan.h"
#include "kafka/record_headers.h"

#include <QByteArray>
#include <QUtf8StringView>
#include <algorithm>
#include <climits>
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

/// Reads the coordinates of one convention's headers into an origin, noting each header
/// that is missing or unreadable.
class OriginReader
{
public:
    OriginReader(const kafka::Headers &headers, DeadLetterOrigin &origin)
        : m_headers(headers), m_origin(origin)
    {}

    std::string text(const char *name)
    {
        const std::string value = kafka::headerValue(m_headers, name);
        if (value.empty()) {
            note(name, has(m_headers, name) ? "is empty" : "is missing");
        }
        return value;
    }

    /// A number of at most `max` in decimal text or, when `binaryBytes` is not 0, in exactly
    /// that many big-endian bytes (Spring's encoding). A binary value whose bytes are all
    /// digits reads as text: as binary it would be a partition or offset beyond 800 million.
    std::optional<std::int64_t> number(const char *name, std::int64_t max, int binaryBytes = 0)
    {
        if (!has(m_headers, name)) {
            note(name, "is missing");
            return std::nullopt;
        }
        const std::string value = kafka::headerValue(m_headers, name);
        std::optional<std::int64_t> number = parseInt64Exact(value);
        if (!number && binaryBytes > 0 && value.size() == static_cast<std::size_t>(binaryBytes)) {
            number = h::fromBigEndian(value);
        }
        if (!number && binaryBytes == 0) {
            note(name, "is not a decimal number");
            return std::nullopt;
        }
        if (!number) {
            note(name, "is " + std::to_string(value.size())
                     + " bytes long: neither a big-endian number of "
                     + std::to_string(binaryBytes) + " bytes nor decimal digits");
            return std::nullopt;
        }
        if (*number < 0 || *number > max) {
            note(name, "is out of range (" + std::to_string(*number) + ")");
            return std::nullopt;
        }
        return number;
    }

    std::optional<std::int32_t> partition(const char *name, int binaryBytes = 0)
    {
        const auto value = number(name, INT32_MAX, binaryBytes);
        if (!value) {
            return std::nullopt;
        }
        return static_cast<std::int32_t>(*value);
    }

private:
    void note(const char *name, const std::string &problem)
    {
        m_origin.notes.push_back(std::string(name) + " " + problem);
    }

    const kafka::Headers &m_headers;
    DeadLetterOrigin &m_origin;
};

} // namespace

DeadLetterOrigin decodeDeadLetterOrigin(const kafka::Headers &headers)
{
    constexpr std::int64_t kMax = INT64_MAX;
    DeadLetterOrigin origin;
    OriginReader read(headers, origin);
    if (has(headers, h::kFailingGroup)) {
        origin.convention = "logdeck";
        origin.topic = read.text(h::kOriginalTopic);
        origin.partition = read.partition(h::kOriginalPartition);
        origin.offset = read.number(h::kOriginalOffset, kMax);
        origin.timestampMs = read.number(h::kOriginalTimestamp, kMax);
    } else if (has(headers, h::kSpringOriginalTopic)) {
        origin.convention = "spring";
        origin.topic = read.text(h::kSpringOriginalTopic);
        origin.partition = read.partition(h::kSpringOriginalPartition, 4);
        origin.offset = read.number(h::kSpringOriginalOffset, kMax, 8);
        origin.timestampMs = read.number(h::kSpringOriginalTimestamp, kMax, 8);
    } else if (has(headers, h::kConnectTopic)) {
        origin.convention = "connect"; // Connect records no original timestamp
        origin.topic = read.text(h::kConnectTopic);
        origin.partition = read.partition(h::kConnectPartition);
        origin.offset = read.number(h::kConnectOffset, kMax);
    } else {
        origin.convention = "unknown";
    }
    return origin;
}

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
    d.valueIsNull = record.valueIsNull;
    d.key = record.key;
    d.headers = record.headers;
    d.tenant = header(h::kTenantId).empty() ? record.key : header(h::kTenantId);
    d.eventId = header(h::kEventId);
    d.redriveCount = static_cast<int>(parseInt64(header(h::kRedriveCount), 0));
    if (d.eventId.empty()) {
        const auto value = parseJsonBounded(record.value);
        if (value.is_object() && value.contains("id") && value["id"].is_string()) {
            d.eventId = value["id"].get<std::string>();
        }
    }
    DeadLetterOrigin origin = decodeDeadLetterOrigin(hs);
    d.convention = origin.convention;
    d.originalTopic = std::move(origin.topic);
    d.originalPartition = origin.partition;
    d.originalOffset = origin.offset;
    d.originalTimestampMs = origin.timestampMs;
    d.notes = std::move(origin.notes);
    if (d.convention == "logdeck") {
        d.group = header(h::kFailingGroup);
        d.errorClass = header(h::kErrorClass);
        d.errorMessage = header(h::kErrorMessage);
        d.attempts = static_cast<int>(parseInt64(header(h::kAttempts), 1));
    } else if (d.convention == "spring") {
        d.group = header(h::kSpringOriginalGroup);
        d.errorClass = header(h::kSpringExceptionClass);
        d.errorMessage = header(h::kSpringExceptionMessage);
        d.attempts = 1;
    } else if (d.convention == "connect") {
        d.group = header(h::kConnectConnector);
        d.errorClass = header(h::kConnectExceptionClass);
        d.errorMessage = header(h::kConnectExceptionMessage);
        d.attempts = 1;
    }
    return d;
}

std::string coordinatesOf(const DeadLetter &letter)
{
    return letter.topic + ":" + std::to_string(letter.partition) + ":"
        + std::to_string(letter.offset);
}

std::string originOf(const DeadLetter &letter)
{
    const auto known = [](const auto &number) {
        return number ? std::to_string(*number) : std::string("?");
    };
    return (letter.originalTopic.empty() ? "?" : letter.originalTopic) + "["
        + known(letter.originalPartition) + "]@" + known(letter.originalOffset);
}

const char *ShownValue::encodingName() const
{
    switch (encoding) {
    case Encoding::Null:
        return "null";
    case Encoding::Text:
        return "text";
    case Encoding::Base64:
        break;
    }
    return "base64";
}

ShownValue showValue(const DeadLetter &letter)
{
    if (letter.valueIsNull) {
        return {};
    }
    const auto bytes = QByteArray::fromRawData(letter.value.data(),
                                               static_cast<qsizetype>(letter.value.size()));
    const bool printable = std::ranges::all_of(letter.value, [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r';
    });
    if (printable && QUtf8StringView(bytes).isValidUtf8()) {
        return {ShownValue::Encoding::Text, letter.value};
    }
    return {ShownValue::Encoding::Base64, bytes.toBase64().toStdString()};
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
