#include "collector/event_validation.h"

#include "collector/uuid7.h"
#include "common/time_format.h"

#include <algorithm>
#include <vector>
#include <nlohmann/json.hpp>

namespace logdeck::collector {

namespace {

/// formatRfc3339 of the request's receipt time, which every event of a batch shares.
const std::string &receivedAtText(std::int64_t receivedAtMs)
{
    thread_local std::int64_t lastMs = -1;
    thread_local std::string lastText;
    if (receivedAtMs != lastMs) {
        lastText = formatRfc3339(receivedAtMs);
        lastMs = receivedAtMs;
    }
    return lastText;
}

using nlohmann::json;

std::unexpected<RejectedEvent> reject(std::string error, std::string field, int status = 422)
{
    return std::unexpected<RejectedEvent>(
        RejectedEvent {status, std::move(error), std::move(field)});
}

bool isIdCharacter(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'
        || c == ':';
}

bool isTypeCharacter(char c)
{
    return std::islower(static_cast<unsigned char>(c))
        || std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
}

/// How deep `value` nests (a scalar 0, an empty container 1), without recursion.
std::size_t nestingDepth(const json &value)
{
    std::size_t deepest = 0;
    std::vector<std::pair<const json *, std::size_t>> pending {{&value, 1}};
    while (!pending.empty()) {
        const auto [node, level] = pending.back();
        pending.pop_back();
        if (!node->is_structured()) {
            continue;
        }
        deepest = std::max(deepest, level);
        for (const auto &child : *node) {
            pending.emplace_back(&child, level + 1);
        }
    }
    return deepest;
}

} // namespace

bool hasControlCharacter(std::string_view text)
{
    return std::ranges::any_of(text, [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte == 0x7f;
    });
}

bool hasKeyWithControlCharacter(const json &object)
{
    for (const auto &[key, value] : object.items()) {
        if (hasControlCharacter(key)) {
            return true;
        }
    }
    return false;
}

RejectedEvent unknownField(const std::string &key)
{
    if (key == "tenant" || key == "tenantId") {
        return {422, "the tenant comes from the API key, not the body", key};
    }
    return {422, "unknown field '" + key + "'", key};
}

void appendQuoted(std::string &out, std::string_view text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

std::expected<json, RejectedEvent> parseBody(std::string_view body)
{
    // nlohmann's lexer takes a NUL byte for the end of the input, so `{"a":1}\0junk` would
    // parse; no JSON text holds one outside a string, and inside one it must be escaped.
    if (body.find('\0') != std::string_view::npos) {
        return reject("the body is not valid JSON", "", 400);
    }
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        return reject("the body is not valid JSON", "", 400);
    }
    return parsed;
}

std::expected<IngestEvent, RejectedEvent>
validateEvent(const json &event, const std::string &tenant, std::int64_t receivedAtMs)
{
    if (!event.is_object()) {
        return reject("an event must be a JSON object", "");
    }
    for (const auto &[key, value] : event.items()) {
        if (key != "id" && key != "campaignId" && key != "type" && key != "occurredAt"
            && key != "attributes") {
            return std::unexpected(unknownField(key));
        }
    }
    IngestEvent result;
    if (const auto it = event.find("id"); it != event.end()) {
        if (!it->is_string() || it->get_ref<const std::string &>().empty()
            || it->get_ref<const std::string &>().size() > kMaxIdLength
            || !std::ranges::all_of(it->get_ref<const std::string &>(), isIdCharacter)) {
            return reject("id must be 1 to 128 characters of letters, digits, '-', '_', '.' or ':'",
                          "id");
        }
        result.id = it->get<std::string>();
    } else {
        result.id = makeUuid7(receivedAtMs);
    }

    const auto campaign = event.find("campaignId");
    if (campaign == event.end()) {
        return reject("campaignId is required", "campaignId");
    }
    if (!campaign->is_string() || campaign->get_ref<const std::string &>().empty()
        || campaign->get_ref<const std::string &>().size() > 128) {
        return reject("campaignId must be a string of 1 to 128 characters", "campaignId");
    }
    if (hasControlCharacter(campaign->get_ref<const std::string &>())) {
        return reject(std::string(kCampaignIdControl), "campaignId");
    }
    result.campaignId = campaign->get<std::string>();

    const auto type = event.find("type");
    if (type == event.end()) {
        return reject("type is required", "type");
    }
    if (!type->is_string() || type->get_ref<const std::string &>().empty()
        || type->get_ref<const std::string &>().size() > 64
        || !std::ranges::all_of(type->get_ref<const std::string &>(), isTypeCharacter)) {
        return reject("type must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'", "type");
    }
    result.type = type->get<std::string>();

    const auto occurred = event.find("occurredAt");
    if (occurred == event.end()) {
        return reject("occurredAt is required", "occurredAt");
    }
    const auto occurredMs = occurred->is_string()
        ? parseRfc3339(occurred->get_ref<const std::string &>())
        : std::nullopt;
    if (!occurredMs) {
        return reject("occurredAt must be an RFC 3339 date-time, e.g. 2026-11-26T15:04:05Z",
                      "occurredAt");
    }
    if (*occurredMs < kEarliestOccurredAtMs || *occurredMs > kLatestOccurredAtMs) {
        return reject(std::string(kOccurredAtOutOfRange), "occurredAt");
    }
    result.occurredAtMs = *occurredMs;

    const auto attributes = event.find("attributes");
    if (attributes != event.end()) {
        if (!attributes->is_object()) {
            return reject("attributes must be a JSON object", "attributes");
        }
        if (nestingDepth(*attributes) > kMaxAttributeDepth) {
            return reject(std::string(kAttributesTooDeep), "attributes");
        }
        if (attributes->size() > kMaxAttributes) {
            return reject("attributes may have at most 64 keys", "attributes");
        }
        if (hasKeyWithControlCharacter(*attributes)) {
            return reject(std::string(kAttributeKeyControl), "attributes");
        }
        const auto poison = attributes->find(kPoisonAttribute);
        result.poison = poison != attributes->end() && poison->is_boolean() && poison->get<bool>();
    }

    // The record value is written as text: building a JSON object per event and
    // serializing it cost a large share of the batch endpoint's time (docs/profiles.md).
    std::string &value = result.value;
    value.reserve(256);
    value += R"({"id":)";
    appendQuoted(value, result.id);
    value += R"(,"tenant":)";
    appendQuoted(value, tenant);
    value += R"(,"campaignId":)";
    appendQuoted(value, result.campaignId);
    value += R"(,"type":)";
    appendQuoted(value, result.type);
    value += R"(,"occurredAt":")";
    value += formatRfc3339(result.occurredAtMs);
    value += R"(","receivedAt":")";
    value += receivedAtText(receivedAtMs);
    value += R"(","attributes":)";
    value += attributes != event.end() ? attributes->dump() : std::string("{}");
    value += '}';
    return result;
}

std::string errorBody(const RejectedEvent &rejected)
{
    return json {{"error", rejected.error}, {"field", rejected.field}}.dump();
}

} // namespace logdeck::collector
