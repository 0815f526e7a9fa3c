#pragma once

#include "common/result.h"
#include "loadgen/latency_histogram.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace logdeck::loadgen {

/// What `logdeck-cli loadgen` sends to a collector, and how fast.
struct LoadOptions
{
    /// The collector, `http://host:port` with an optional path prefix; plain HTTP only.
    std::string url;
    /// API keys; requests go round-robin over the first `tenants` keys.
    std::vector<std::string> keys;
    /// How many of `keys` to use; 0 = all of them.
    int tenants = 0;
    /// Requests per second spread over the connections; 0 = closed loop (each connection
    /// sends its next request as soon as the previous one is answered).
    double rate = 0;
    /// Keep-alive connections to open.
    int connections = 16;
    /// How long to send for.
    std::chrono::milliseconds duration {10000};
    /// Events per request: 1 = `POST /v1/events`, more = `POST /v1/events:batch`.
    int batch = 1;
    /// Fraction of events that resend an earlier event of the same key (same id, same body).
    double dupRate = 0;
    /// Fraction of new events marked `"logdeck.poison": true`.
    double poisonRate = 0;
    /// Campaign ids are drawn from c-1 .. c-<campaigns>.
    int campaigns = 20;
};

/// The answered requests whose send was scheduled (open loop) or made (closed loop) in one
/// second of the run, so a report shows when latency rose: an outage's first second, a
/// checkpoint, a pause.
struct LatencySecond
{
    std::int64_t requests = 0;
    std::int64_t over1ms = 0; ///< of those, the ones slower than 1 ms
    std::int64_t over10ms = 0; ///< slower than 10 ms
    std::int64_t over100ms = 0; ///< slower than 100 ms
    double maxMs = 0;

    void add(const LatencySecond &other);
};

/// The outcome of a run. Every event sent has exactly one status: the HTTP status of its
/// request, or of its entry in a batch response, or 0 when the transport failed (refused
/// connection, reset, no answer before the drain timeout) or the answer could not be read.
/// So the statuses add up to `sent`.
struct LoadReport
{
    std::int64_t sent = 0; ///< events sent (or attempted, when the transport failed)
    std::int64_t requests = 0; ///< requests sent or attempted
    std::int64_t accepted = 0; ///< events answered 202, resends included
    std::map<int, std::int64_t>
        statuses; ///< HTTP status (per event) -> events; 0 = transport error
    std::int64_t distinctAccepted = 0; ///< distinct event ids answered 202 at least once
    std::int64_t distinctPoisonAccepted = 0; ///< of those, the ones carrying the poison marker
    double achievedRate = 0; ///< requests per second over elapsedSeconds
    double eventsPerSecond = 0; ///< events per second over elapsedSeconds
    /// The sending window: from the start until the duration passed, the stop flag was
    /// raised or every connection had been refused. Responses that arrive after it, while
    /// the run drains, still count.
    double elapsedSeconds = 0;
    /// Per answered request, in ms. In an open loop it runs from the request's scheduled send
    /// time, so time spent waiting for a free connection counts.
    LatencyHistogram latency;
    /// The same requests by the second of the run they were sent in (index 0 = the first
    /// second); responses that arrive while the run drains count in their send's second.
    std::vector<LatencySecond> timeline;
    /// The first transport or protocol error, with the address it concerns; empty if none.
    std::string firstError;

    /// Events that got a transport error (status 0).
    std::int64_t transportErrors() const;
    /// Events that got any HTTP answer (every status but 0).
    std::int64_t answered() const;
};

/// Sends events to the collector at `options.url` for `options.duration`, or until `*stop`
/// becomes true, then waits up to 5 s for the responses in flight. Runs its own I/O threads
/// (one or two) and blocks until they finish.
///
/// Fails with InvalidArgument, naming the flag as `logdeck-cli loadgen` spells it, when an
/// option is out of range, and with Unavailable when the host cannot be resolved. A
/// collector that refuses connections is not a failure: the report counts those events
/// under status 0 and says why in `firstError`; the run ends early when no connection
/// could ever be opened.
Result<LoadReport> runLoad(const LoadOptions &options, const std::atomic<bool> *stop = nullptr);

/// Checks `options` as runLoad does, without sending anything.
Result<void> validateLoadOptions(const LoadOptions &options);

} // namespace logdeck::loadgen
