#pragma once

#include "common/prometheus_text.h"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace logdeck::collector {

/// A Prometheus histogram with fixed buckets, updated lock-free from any thread.
class Histogram
{
public:
    /// Upper bounds in seconds: 0.25 ms to 10 s, fine-grained where ingest latency lives.
    static constexpr std::array<double, 16> kBounds = {0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005,
                                                       0.0075,  0.01,   0.025, 0.05,  0.1,   0.25,
                                                       0.5,     1.0,    2.5,   10.0};

    /// Observations per bucket (the last is +Inf), as one consistent-enough read.
    using Counts = std::array<std::uint64_t, kBounds.size() + 1>;

    void observe(std::chrono::nanoseconds duration);
    Counts counts() const;
    /// The `q` quantile (0..1) in seconds of the observations in `counts` (typically the
    /// difference of two reads: a window), interpolated inside its bucket as Prometheus's
    /// histogram_quantile does; nullopt when there are none.
    static std::optional<double> quantile(const Counts &counts, double q);
    double sumSeconds() const;
    /// Appends the histogram's series (no HELP or TYPE) with `labels` (`a="x"` or empty).
    void render(prometheus::TextWriter &out, std::string_view name,
                const std::string &labels) const;

private:
    std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> m_buckets {};
    std::atomic<std::uint64_t> m_count {0};
    std::atomic<std::uint64_t> m_sumNanos {0};
};

/// Point-in-time values the collector reads when /metrics is asked for.
struct CollectorGauges
{
    std::int64_t producerQueueDepth = 0;
    std::int64_t outboxDepth = 0;
    bool spilling = false;
    double producerLingerSeconds = 0; ///< the linger of the producer new events go to
    double relayLagSeconds = 0; ///< age of the oldest undelivered outbox row
};

/// The collector's counters at one moment, for rates over a window (the console's overview).
struct CollectorCounters
{
    std::uint64_t eventsAccepted = 0;
    std::uint64_t eventsRejected = 0;
    std::uint64_t requests = 0;
    std::uint64_t serverErrors = 0; ///< requests answered 5xx
    Histogram::Counts ingestLatency {};
};

/// The collector's counters and histograms, rendered as Prometheus text at /metrics.
class CollectorMetrics
{
public:
    void countRequest(std::string_view route, int status);
    /// Request received → response ready, on the ingest route `route` ("/v1/events" or
    /// "/v1/events:batch").
    void observeIngest(std::string_view route, std::chrono::nanoseconds duration);

    Histogram produceLatency; ///< record handed to the producer → broker acknowledgement
    /// The writer's checkpoints that let the outbox's WAL start over (they hold spills up).
    Histogram walCatchUp;
    std::atomic<std::uint64_t> eventsAccepted {0};
    std::atomic<std::uint64_t> eventsRejected {0};
    std::atomic<std::uint64_t> eventsSpilled {0};
    /// Spilled while still in the producer's hands, when Kafka stopped acknowledging.
    std::atomic<std::uint64_t> eventsHandedOver {0};
    std::atomic<std::uint64_t> eventsRelayed {0};
    std::atomic<std::uint64_t> spillFailures {0};
    /// Moves of new events between the prompt and the batching producer.
    std::atomic<std::uint64_t> lingerSwitches {0};
    /// Times the outbox's WAL started over after the writer's catch-up checkpoint.
    std::atomic<std::uint64_t> walRestarts {0};

    std::string render(const CollectorGauges &gauges) const;
    CollectorCounters counters() const;

private:
    Histogram m_ingestSingle; ///< /v1/events
    Histogram m_ingestBatch; ///< /v1/events:batch
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, int>, std::uint64_t> m_requests;
};

} // namespace logdeck::collector
