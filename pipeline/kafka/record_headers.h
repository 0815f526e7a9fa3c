#pragma once
// The header names of the record contract (docs/architecture.md, "Kafka topics and the
// record contract"), spelled once for the groups that write them and the tools that read
// them: the retry and dead-letter router, the DLQ reader and redrive.

#include <cstdint>
#include <string>

namespace logdeck::kafka::headers {

// On every event record.
inline constexpr const char *kEventId = "event-id";
inline constexpr const char *kTenantId = "tenant-id";
inline constexpr const char *kContentType = "content-type";
inline constexpr const char *kReceivedAt = "received-at";

// Added by a group's retry and dead-letter router.
inline constexpr const char *kOriginalTopic = "original-topic";
inline constexpr const char *kOriginalPartition = "original-partition";
inline constexpr const char *kOriginalOffset = "original-offset";
inline constexpr const char *kOriginalTimestamp = "original-timestamp";
inline constexpr const char *kFailingGroup = "failing-group";
inline constexpr const char *kErrorClass = "error-class";
inline constexpr const char *kErrorMessage = "error-message";
inline constexpr const char *kAttempt = "attempt"; ///< retry records: the try about to happen
inline constexpr const char *kDueAt = "due-at";
inline constexpr const char *kDueAtMs = "due-at-ms";
inline constexpr const char *kAttempts = "attempts"; ///< dead letters: tries made
inline constexpr const char *kDeadLetteredAt = "dead-lettered-at";

// Added by a redrive; redrive-count is carried through later retries and dead letters.
inline constexpr const char *kRedriveCount = "redrive-count";
inline constexpr const char *kRedrivenBy = "redriven-by";
inline constexpr const char *kRedrivenAt = "redriven-at";
inline constexpr const char *kRedriveTask = "redrive-task";

// Spring Kafka's dead-letter headers (numbers are big-endian binary).
inline constexpr const char *kSpringPrefix = "kafka_dlt-";
inline constexpr const char *kSpringOriginalTopic = "kafka_dlt-original-topic";
inline constexpr const char *kSpringOriginalPartition = "kafka_dlt-original-partition";
inline constexpr const char *kSpringOriginalOffset = "kafka_dlt-original-offset";
inline constexpr const char *kSpringOriginalTimestamp = "kafka_dlt-original-timestamp";
inline constexpr const char *kSpringOriginalTimestampType = "kafka_dlt-original-timestamp-type";
inline constexpr const char *kSpringOriginalGroup = "kafka_dlt-original-consumer-group";
inline constexpr const char *kSpringExceptionPrefix = "kafka_dlt-exception-";
inline constexpr const char *kSpringExceptionClass = "kafka_dlt-exception-fqcn";
inline constexpr const char *kSpringExceptionMessage = "kafka_dlt-exception-message";

// Kafka Connect's error-context headers (errors.deadletterqueue.context.headers.enable).
inline constexpr const char *kConnectPrefix = "__connect.errors.";
inline constexpr const char *kConnectTopic = "__connect.errors.topic";
inline constexpr const char *kConnectPartition = "__connect.errors.partition";
inline constexpr const char *kConnectOffset = "__connect.errors.offset";
inline constexpr const char *kConnectConnector = "__connect.errors.connector.name";
inline constexpr const char *kConnectExceptionClass = "__connect.errors.exception.class.name";
inline constexpr const char *kConnectExceptionMessage = "__connect.errors.exception.message";

/// `value` as `bytes` big-endian bytes: Spring's encoding of partitions (4) and offsets and
/// timestamps (8).
inline std::string toBigEndian(std::uint64_t value, int bytes)
{
    std::string out(static_cast<std::size_t>(bytes), '\0');
    for (int i = bytes - 1; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xFF);
        value >>= 8;
    }
    return out;
}

/// The big-endian integer in `bytes`; 4-byte values are sign-extended (Java ints).
inline std::int64_t fromBigEndian(const std::string &bytes)
{
    std::uint64_t value = 0;
    for (const char c : bytes) {
        value = (value << 8) | static_cast<unsigned char>(c);
    }
    if (bytes.size() == 4 && (value & 0x80000000U) != 0) {
        return static_cast<std::int64_t>(value) - (std::int64_t(1) << 32);
    }
    return static_cast<std::int64_t>(value);
}

} // namespace logdeck::kafka::headers
