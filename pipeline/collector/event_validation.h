#pragma once
// Private to pipeline/: the collector's request body rules, kept apart from HTTP so they
// can be tested on their own.

#include <cstdint>
#include <expected>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace logdeck::collector {

/// An event that passed validation, ready to become a Kafka record.
struct IngestEvent
{
    std::string id; ///< the client's id, or a server-assigned UUIDv7
    std::string campaignId;
    std::string type;
    std::int64_t occurredAtMs = 0;
    bool poison = false; ///< carries the load generator's poison marker
    std::string value; ///< the record value: the event as JSON, with tenant and receivedAt
};

/// Why a request or event was refused: the HTTP status (400 malformed, 422 invalid,
/// 413 too large) and the field at fault ("" for the body as a whole).
struct RejectedEvent
{
    int status = 422;
    std::string error;
    std::string field;
};

/// The marker that makes every processor treat an event as a permanent failure.
inline constexpr std::string_view kPoisonAttribute = "logdeck.poison";

/// Limits on one event.
inline constexpr std::size_t kMaxIdLength = 128;
inline constexpr std::size_t kMaxAttributes = 64;
/// How deep attributes may nest, the attributes object itself being level 1: deeper values
/// are refused with 422 (consumers and the DLQ tools then never meet them).
inline constexpr std::size_t kMaxAttributeDepth = 32;
inline constexpr std::string_view kAttributesTooDeep = "attributes may nest at most 32 levels deep";
/// occurredAt's range: Unix time from the epoch up to the last instant with a four-digit
/// year, so that the record value's occurredAt is RFC 3339 that every consumer reads back.
inline constexpr std::int64_t kEarliestOccurredAtMs = 0; // 1970-01-01T00:00:00Z
inline constexpr std::int64_t kLatestOccurredAtMs = 253402300799999; // 9999-12-31T23:59:59.999Z
inline constexpr std::string_view kOccurredAtOutOfRange =
    "occurredAt must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z";
inline constexpr std::string_view kCampaignIdControl =
    "campaignId must not contain control characters (U+0000 to U+001F, U+007F)";
inline constexpr std::string_view kAttributeKeyControl =
    "attribute keys must not contain control characters (U+0000 to U+001F, U+007F)";

/// True when `text` holds a control character, U+0000 to U+001F or U+007F: campaign ids and
/// attribute keys end up in tables, logs and CSV exports, where they would break lines.
bool hasControlCharacter(std::string_view text);

/// True when one of the object's own keys (not those of nested objects) has a control
/// character.
bool hasKeyWithControlCharacter(const nlohmann::json &object);

/// The answer to a key that an event, or a batch's envelope, does not have.
RejectedEvent unknownField(const std::string &key);

/// Checks one event object and builds its record value for `tenant`. A missing id gets a
/// UUIDv7; a client id is kept so that a client's retry is deduplicated downstream.
std::expected<IngestEvent, RejectedEvent>
validateEvent(const nlohmann::json &event, const std::string &tenant, std::int64_t receivedAtMs);

/// Parses a request body, or says why it is not JSON (400).
std::expected<nlohmann::json, RejectedEvent> parseBody(std::string_view body);

/// Appends `text` to `out` as a JSON string, quoted, with quotes, backslashes and control
/// characters escaped: how the record value's own fields are written.
void appendQuoted(std::string &out, std::string_view text);

/// `{"error": ..., "field": ...}` for a refused request.
std::string errorBody(const RejectedEvent &rejected);

} // namespace logdeck::collector
