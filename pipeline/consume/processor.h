#pragma once

#include "common/result.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace logdeck::store {
class Database;
}

namespace logdeck::consume {

/// One event of `events.raw` (or a retry topic) as a processor sees it: the Kafka record
/// and the fields of the collector's record value, parsed once by the runtime.
struct Event
{
    const kafka::ConsumedRecord *record = nullptr;
    std::string tenant;
    std::string eventId;
    std::string campaignId;
    std::string type;
    std::int64_t occurredAtMs = 0;
    std::int64_t receivedAtMs = 0;
    /// Attribute values as text (strings as they are, other JSON values serialized).
    std::map<std::string, std::string> attributes;
};

/// Why an event could not be processed. A transient failure goes to the group's retry
/// topic; a permanent one (or the last attempt) goes to the dead-letter topic.
struct Failure
{
    bool permanent = false;
    std::string errorClass; ///< e.g. "SchemaError", "TimeoutError"
    std::string message;
};

/// The error classes of the runtime and the shipped processors. A permanent one fails the
/// same event the same way however often it is tried, so the runtime dead-letters it at once
/// rather than through the retry topic; a redrive of it fails again unless its cause (the
/// processor, or the fault that put it there) has changed.
namespace error_class {
inline constexpr const char *kSchemaError = "SchemaError"; ///< not an event: permanent
inline constexpr const char *kPoisonEvent = "PoisonEvent"; ///< the poison marker: permanent
inline constexpr const char *kInjectedFailure = "InjectedFailure"; ///< a demo fault: transient
/// How Spring Kafka's headers qualify the runtime's classes ("dev.logdeck.PoisonEvent").
inline constexpr std::string_view kQualifier = "dev.logdeck.";
} // namespace error_class

/// Whether `errorClass`, bare or qualified as Spring's headers carry it, is one the runtime
/// treats as permanent. A class it does not know (another application's) is not.
bool isPermanentErrorClass(std::string_view errorClass);

/// A failure of `errorClass`, permanent exactly when isPermanentErrorClass says so.
Failure failureOf(std::string_view errorClass, std::string message);

/// What one batch produced: per event, nothing (processed) or a Failure; and records to
/// publish downstream (enrichment's output), which the runtime acknowledges before it
/// commits the batch's input offsets.
struct BatchResult
{
    std::vector<std::optional<Failure>> failures; ///< same size and order as the batch
    std::vector<kafka::OutgoingRecord> outputs;
};

/// A processing group's logic. A new group is a new Processor plus one config entry; the
/// collector never changes. process() runs on the group's thread inside the transaction
/// that also records dedup keys and offsets, so its writes commit or vanish with them. It
/// sees only events new to the group (the runtime deduplicates) and must write nothing
/// for an event it reports as failed.
class Processor
{
public:
    virtual ~Processor() = default;

    /// The group name: "analytics", "persister", "enrichment", "fraud".
    virtual std::string_view name() const = 0;

    virtual Result<BatchResult> process(std::span<const Event> events, store::Database &db) = 0;

    /// Deletes what process() derived for `tenant` from events that occurred at `fromMs`
    /// or later (a minute boundary): the rows a replay with --rebuild recomputes. Runs
    /// inside the caller's transaction.
    virtual Result<void> forgetFrom(store::Database &db, const std::string &tenant,
                                    std::int64_t fromMs) = 0;
};

/// Reads the collector's record value into `event` (which points at `record`); false when
/// the value is not an event, with the reason in `problem` when given. Whatever `event`
/// held before is replaced; its strings and attribute nodes are reused, so a runtime keeps
/// its events from batch to batch. Any byte sequence is
/// safe here: values nesting deeper than kMaxJsonDepth are refused before they are parsed.
bool parseEvent(const kafka::ConsumedRecord &record, Event &event,
                std::string *problem = nullptr);

/// Whether `value` is an object in the compact form the collector writes, which nlohmann's
/// ordered_json parses and dumps back unchanged: no whitespace between tokens, no name twice
/// in an object, string values and an "attributes" object of strings, every string
/// printable ASCII without escapes.
bool isCompactEventValue(std::string_view value);

/// The load generator's poison marker (attribute logdeck.poison = "true"): the runtime
/// dead-letters such an event at once and keeps its dedup key, so a copy is not
/// dead-lettered twice.
bool carriesPoisonMarker(const Event &event);

/// The shipped processors by group name; nullptr for an unknown name.
std::unique_ptr<Processor> makeProcessor(std::string_view group);

/// The names makeProcessor knows.
std::vector<std::string> knownProcessors();

} // namespace logdeck::consume
