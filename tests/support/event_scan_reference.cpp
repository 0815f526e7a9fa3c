#include "support/event_scan_reference.h"

#include "collector/event_validation.h"

#include <nlohmann/json.hpp>

namespace logdeck::test {

namespace {

using namespace logdeck::collector;
using nlohmann::json;

using Result = std::expected<IngestEvent, RejectedEvent>;

/// What POST /v1/events did before the scanner: a DOM, then validateEvent.
Result referenceEvent(std::string_view body)
{
    auto parsed = parseBody(body);
    if (!parsed) {
        return std::unexpected(parsed.error());
    }
    return validateEvent(*parsed, "acme", kReferenceReceivedAt);
}

/// What POST /v1/events:batch did before the scanner, through its DOM.
std::expected<ScannedEvents, RejectedEvent> referenceBatch(std::string_view body,
                                                           std::size_t maxEvents)
{
    auto parsed = parseBody(body);
    if (!parsed) {
        return std::unexpected(parsed.error());
    }
    json &document = *parsed;
    json *events = document.is_array() ? &document : nullptr;
    if (document.is_object()) {
        for (const auto &[key, value] : document.items()) {
            if (key != "events") {
                return std::unexpected(unknownField(key));
            }
        }
    }
    if (document.is_object() && document.contains("events")) {
        events = &document["events"];
    }
    if (events == nullptr || !events->is_array()) {
        return std::unexpected(RejectedEvent {422, R"(a batch is {"events": [ ... ]})", "events"});
    }
    if (events->empty()) {
        return std::unexpected(RejectedEvent {422, "the batch has no events", "events"});
    }
    if (events->size() > maxEvents) {
        return std::unexpected(RejectedEvent {413,
                                              "a batch holds at most " + std::to_string(maxEvents)
                                                  + " events, not "
                                                  + std::to_string(events->size()),
                                              "events"});
    }
    ScannedEvents results;
    for (const auto &event : *events) {
        results.push_back(validateEvent(event, "acme", kReferenceReceivedAt));
    }
    return results;
}

/// Empty when both say the same; otherwise what differs.
std::string differences(const Result &expected, const Result &got)
{
    if (expected.has_value() != got.has_value()) {
        return expected
            ? "expected accepted, got " + std::to_string(got.error().status) + " "
                + got.error().error + " (" + got.error().field + ")"
            : "expected " + std::to_string(expected.error().status) + " " + expected.error().error
                + " (" + expected.error().field + "), got accepted: " + got->value;
    }
    if (!expected) {
        if (expected.error().status != got.error().status
            || expected.error().error != got.error().error
            || expected.error().field != got.error().field) {
            return "expected " + std::to_string(expected.error().status) + " "
                + expected.error().error + " (" + expected.error().field + "), got "
                + std::to_string(got.error().status) + " " + got.error().error + " ("
                + got.error().field + ")";
        }
        return {};
    }
    // A server id is random: compare the values with the reference's id swapped in.
    std::string value = got->value;
    if (expected->id != got->id) {
        if (expected->id.size() != 36 || got->id.size() != 36 || got->id[14] != '7') {
            return "ids differ: " + expected->id + " vs " + got->id;
        }
        value.replace(value.find(got->id), got->id.size(), expected->id);
    }
    if (value != expected->value) {
        return "values differ:\n  expected " + expected->value + "\n  got      " + got->value;
    }
    if (expected->poison != got->poison || expected->occurredAtMs != got->occurredAtMs
        || expected->campaignId != got->campaignId || expected->type != got->type) {
        return "fields differ";
    }
    return {};
}

} // namespace

std::string batchDifferences(std::string_view body, std::size_t maxEvents)
{
    const auto expected = referenceBatch(body, maxEvents);
    const auto got = scanBatch(body, "acme", kReferenceReceivedAt, maxEvents);
    if (!expected || !got) {
        const Result e =
            expected ? Result(IngestEvent {}) : Result(std::unexpected(expected.error()));
        const Result g = got ? Result(IngestEvent {}) : Result(std::unexpected(got.error()));
        if (expected.has_value() != got.has_value()) {
            return "batch: " + differences(e, g);
        }
        const std::string d = differences(e, g);
        return d.empty() ? d : "batch: " + d;
    }
    if (expected->size() != got->size()) {
        return "batch sizes differ";
    }
    for (std::size_t i = 0; i < expected->size(); ++i) {
        const std::string d = differences((*expected)[i], (*got)[i]);
        if (!d.empty()) {
            return "event " + std::to_string(i) + ": " + d;
        }
    }
    return {};
}

std::string singleDifferences(std::string_view body)
{
    return differences(referenceEvent(body), scanEvent(body, "acme", kReferenceReceivedAt));
}

} // namespace logdeck::test
