#include "ops/dead_letters.h"

#include "common/numbers.h"
#include "kafka/admin_client.h"

#include <map>
#include <nlohmann/json.hpp>

namespace logdeck::ops {

namespace {

std::int64_t fromBigEndian(const std::string &bytes)
{
    std::uint64_t value = 0;
    for (const char c : bytes) {
        value = (value << 8) | static_cast<unsigned char>(c);
    }
    // Sign-extend 4-byte ints.
    if (bytes.size() == 4 && (value & 0x80000000U) != 0) {
        return static_cast<std::int64_t>(value) - (std::int64_t(1) << 32);
    }
    return static_cast<std::int64_t>(value);
}

bool has(const kafka::Headers &headers, const std::string &name)
{
    return std::ranges::any_of(headers, [&](const kafka::Header &h) { return h.name == name; });
}

} // namespace

DeadLetter decodeDeadLetter(const kafka::ConsumedRecord &record)
{
    const auto &h = record.headers;
    auto header = [&](const char *name) {
        return kafka::headerValue(h, name);
    };
    DeadLetter d;
    d.topic = record.topic;
    d.partition = record.partition;
    d.offset = record.offset;
    d.timestampMs = record.timestampMs;
    d.value = record.value;
    d.tenant = header("tenant-id").empty() ? record.key : header("tenant-id");
    d.eventId = header("event-id");
    if (d.eventId.empty()) {
        const auto value = nlohmann::json::parse(record.value, nullptr, false);
        if (value.is_object() && value.contains("id") && value["id"].is_string()) {
            d.eventId = value["id"].get<std::string>();
        }
    }
    if (has(h, "failing-group")) {
        d.convention = "logdeck";
        d.group = header("failing-group");
        d.errorClass = header("error-class");
        d.errorMessage = header("error-message");
        d.attempts = static_cast<int>(parseInt64(header("attempts"), 1));
        d.originalTopic = header("original-topic");
        d.originalPartition =
            static_cast<std::int32_t>(parseInt64(header("original-partition"), -1));
        d.originalOffset = parseInt64(header("original-offset"), -1);
        d.originalTimestampMs = parseInt64(header("original-timestamp"), 0);
    } else if (has(h, "kafka_dlt-original-topic")) {
        d.convention = "spring";
        d.group = header("kafka_dlt-original-consumer-group");
        d.errorClass = header("kafka_dlt-exception-fqcn");
        d.errorMessage = header("kafka_dlt-exception-message");
        d.attempts = 1;
        d.originalTopic = header("kafka_dlt-original-topic");
        d.originalPartition =
            static_cast<std::int32_t>(fromBigEndian(header("kafka_dlt-original-partition")));
        d.originalOffset = fromBigEndian(header("kafka_dlt-original-offset"));
        d.originalTimestampMs = fromBigEndian(header("kafka_dlt-original-timestamp"));
    } else if (has(h, "__connect.errors.topic")) {
        d.convention = "connect";
        d.group = header("__connect.errors.connector.name");
        d.errorClass = header("__connect.errors.exception.class.name");
        d.errorMessage = header("__connect.errors.exception.message");
        d.attempts = 1;
        d.originalTopic = header("__connect.errors.topic");
        d.originalPartition =
            static_cast<std::int32_t>(parseInt64(header("__connect.errors.partition"), -1));
        d.originalOffset = parseInt64(header("__connect.errors.offset"), -1);
    } else {
        d.convention = "unknown";
    }
    return d;
}

Result<std::vector<DeadLetter>> readDeadLetters(const kafka::ClientSettings &settings,
                                                const std::string &topic,
                                                std::chrono::milliseconds timeout)
{
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
        return fail(Error {Error::Code::NotFound, "topic '" + topic + "' does not exist", false});
    }
    std::vector<kafka::TopicPartitionOffset> starts;
    std::map<std::int32_t, std::int64_t> ends;
    for (std::int32_t p = 0; p < info->partitions; ++p) {
        auto marks = (*admin)->watermarks(topic, p, timeout);
        if (!marks) {
            return fail(marks.error());
        }
        if (marks->high > marks->low) {
            starts.push_back({topic, p, marks->low});
            ends[p] = marks->high;
        }
    }
    std::vector<DeadLetter> result;
    if (starts.empty()) {
        return result;
    }
    auto consumer = kafka::Consumer::create(settings, "logdeck-dlq-reader");
    if (!consumer) {
        return fail(consumer.error());
    }
    if (auto assigned = (*consumer)->assign(starts); !assigned) {
        return fail(assigned.error());
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ends.empty() && std::chrono::steady_clock::now() < deadline) {
        auto batch = (*consumer)->poll(1000, std::chrono::milliseconds(200));
        if (!batch) {
            return fail(batch.error());
        }
        for (const auto &record : *batch) {
            const auto end = ends.find(record.partition);
            if (end == ends.end()) {
                continue;
            }
            result.push_back(decodeDeadLetter(record));
            if (record.offset + 1 >= end->second) {
                ends.erase(end);
            }
        }
    }
    if (!ends.empty()) {
        return fail(Error::timeout("reading " + topic + " did not reach the end in time"));
    }
    std::ranges::sort(result, [](const DeadLetter &a, const DeadLetter &b) {
        return a.timestampMs != b.timestampMs ? a.timestampMs < b.timestampMs : a.offset < b.offset;
    });
    return result;
}

} // namespace logdeck::ops
