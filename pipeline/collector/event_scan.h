#pragma once
// Private to pipeline/: the collector's request bodies checked and turned into record values
// in one pass over the text, without building a JSON DOM (docs/profiles.md). The rules,
// messages and record values are exactly those of parseBody + validateEvent, which stay as
// the reference the unit tests compare against.

#include "collector/event_validation.h"

#include <cstddef>
#include <vector>

namespace logdeck::collector {

/// One result per event of a batch, by index.
using ScannedEvents = std::vector<std::expected<IngestEvent, RejectedEvent>>;

/// Checks the body of `POST /v1/events`: 400 when it is not JSON, otherwise validateEvent's
/// answer for it.
std::expected<IngestEvent, RejectedEvent>
scanEvent(std::string_view body, const std::string &tenant, std::int64_t receivedAtMs);

/// Checks the body of `POST /v1/events:batch` (`{"events": [...]}` or a bare array): 400 when
/// it is not JSON, 422 when the envelope has another key or it is not a non-empty list of
/// events, 413 when it has more than `maxEvents`; otherwise validateEvent's answer for each
/// event.
std::expected<ScannedEvents, RejectedEvent> scanBatch(std::string_view body,
                                                      const std::string &tenant,
                                                      std::int64_t receivedAtMs,
                                                      std::size_t maxEvents);

/// The answer of `POST /v1/events:batch`, `{"results":[...]}` with one entry per event as
/// json::dump() writes them (keys sorted, no spaces). It is written while the events are
/// checked, as if every valid event will be stored; `finish` turns the entries of events
/// that could not be stored into 503s.
class BatchAnswer
{
public:
    explicit BatchAnswer(std::size_t events);

    /// The next entry: a refused event, or an accepted one (202 unless finish says not).
    void refused(const RejectedEvent &rejected);
    void accepted(std::string_view id);

    /// The text once every event is done; `stored[i]` is 0 for an event that could not be
    /// stored. Leaves the answer empty.
    std::string finish(const std::vector<std::uint8_t> &stored);

private:
    std::string m_text;
    std::vector<std::size_t> m_entryEnds;
};

/// Appends `text` (valid UTF-8) as a JSON string exactly as nlohmann::json::dump() writes it.
void appendJsonString(std::string &out, std::string_view text);

} // namespace logdeck::collector
