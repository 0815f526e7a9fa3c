#include "collector/metrics.h"

#include <algorithm>
#include <utility>

namespace logdeck::collector {

using prometheus::formatValue;
using prometheus::TextWriter;

void Histogram::observe(std::chrono::nanoseconds duration)
{
    const double seconds = std::chrono::duration<double>(duration).count();
    std::size_t bucket = 0;
    while (bucket < kBounds.size() && seconds > kBounds[bucket]) {
        ++bucket;
    }
    m_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    m_count.fetch_add(1, std::memory_order_relaxed);
    m_sumNanos.fetch_add(static_cast<std::uint64_t>(duration.count()), std::memory_order_relaxed);
}

CollectorCounters CollectorMetrics::counters() const
{
    CollectorCounters result;
    result.eventsAccepted = eventsAccepted.load(std::memory_order_relaxed);
    result.eventsRejected = eventsRejected.load(std::memory_order_relaxed);
    const auto single = m_ingestSingle.counts();
    const auto batch = m_ingestBatch.counts();
    for (std::size_t i = 0; i < single.size(); ++i) {
        result.ingestLatency[i] = single[i] + batch[i];
    }
    const std::lock_guard lock(m_mutex);
    for (const auto &[routeAndStatus, count] : m_requests) {
        result.requests += count;
        if (routeAndStatus.second >= 500) {
            result.serverErrors += count;
        }
    }
    return result;
}

Histogram::Counts Histogram::counts() const
{
    Counts result {};
    for (std::size_t i = 0; i < result.size(); ++i) {
        result[i] = m_buckets[i].load(std::memory_order_relaxed);
    }
    return result;
}

std::optional<double> Histogram::quantile(const Counts &counts, double q)
{
    std::uint64_t total = 0;
    for (const auto count : counts) {
        total += count;
    }
    if (total == 0) {
        return std::nullopt;
    }
    const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
    double below = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        const double inBucket = static_cast<double>(counts[i]);
        if (below + inBucket >= rank && inBucket > 0) {
            if (i == kBounds.size()) {
                return kBounds.back(); // beyond the last bound: the bound is all that is known
            }
            const double lower = i == 0 ? 0.0 : kBounds[i - 1];
            return lower + (kBounds[i] - lower) * (rank - below) / inBucket;
        }
        below += inBucket;
    }
    return kBounds.back();
}

double Histogram::sumSeconds() const
{
    return static_cast<double>(m_sumNanos.load(std::memory_order_relaxed)) / 1e9;
}

void Histogram::render(TextWriter &out, std::string_view name, const std::string &labels) const
{
    const auto perBucket = counts();
    out.histogram(name, labels, kBounds, perBucket, sumSeconds());
}

void CollectorMetrics::countRequest(std::string_view route, int status)
{
    const std::lock_guard lock(m_mutex);
    ++m_requests[{std::string(route), status}];
}

void CollectorMetrics::observeIngest(std::string_view route, std::chrono::nanoseconds duration)
{
    (route == "/v1/events:batch" ? m_ingestBatch : m_ingestSingle).observe(duration);
}

std::string CollectorMetrics::render(const CollectorGauges &gauges) const
{
    TextWriter out;
    out.text().reserve(8192);
    out.family("logdeck_http_requests_total", "counter",
               "HTTP requests the collector answered, by route and status code.");
    {
        const std::lock_guard lock(m_mutex);
        for (const auto &[key, count] : m_requests) {
            out.sample("logdeck_http_requests_total",
                       {{"route", key.first}, {"status", std::to_string(key.second)}},
                       formatValue(count));
        }
    }
    out.family("logdeck_ingest_latency_seconds", "histogram",
               "Time from receiving an event request to its response, by ingest route.");
    m_ingestSingle.render(out, "logdeck_ingest_latency_seconds",
                          TextWriter::labels({{"route", "/v1/events"}}));
    m_ingestBatch.render(out, "logdeck_ingest_latency_seconds",
                         TextWriter::labels({{"route", "/v1/events:batch"}}));
    out.family("logdeck_produce_latency_seconds", "histogram",
               "Time from handing a record to the producer to the broker's acknowledgement.");
    produceLatency.render(out, "logdeck_produce_latency_seconds", {});
    out.family("logdeck_outbox_wal_checkpoint_seconds", "histogram",
               "The outbox writer's own checkpoints, which let the WAL start over while "
               "events spill; spilled requests wait for them.");
    walCatchUp.render(out, "logdeck_outbox_wal_checkpoint_seconds", {});
    struct Counter
    {
        const char *name;
        const char *help;
        const std::atomic<std::uint64_t> *value;
    };
    const Counter counters[] = {
        {"logdeck_events_accepted_total",
         "Events answered 202: produced to Kafka or committed to the outbox.", &eventsAccepted},
        {"logdeck_events_rejected_total",
         "Events refused as invalid (a body that is not JSON is not counted).", &eventsRejected},
        {"logdeck_events_spilled_total", "Events committed to the outbox instead of Kafka.",
         &eventsSpilled},
        {"logdeck_events_handed_over_total",
         "Events taken from the producer into the outbox when Kafka stopped acknowledging.",
         &eventsHandedOver},
        {"logdeck_events_relayed_total", "Outbox rows the relay delivered to Kafka.",
         &eventsRelayed},
        {"logdeck_spill_failures_total",
         "Events that neither Kafka nor the outbox could take (answered 503).", &spillFailures},
        {"logdeck_producer_linger_switches_total",
         "Times new events moved between the prompt producer and the batching one as the "
         "load changed.",
         &lingerSwitches},
        {"logdeck_outbox_wal_restarts_total",
         "Times the outbox's WAL was fully copied into the database by the writer's "
         "checkpoint, so it starts over instead of growing.",
         &walRestarts},
    };
    for (const auto &counter : counters) {
        out.family(counter.name, "counter", counter.help);
        out.sample(counter.name, formatValue(counter.value->load(std::memory_order_relaxed)));
    }
    out.family("logdeck_producer_queue_depth", "gauge",
               "Records waiting in the producer or in flight to the broker.");
    out.sample("logdeck_producer_queue_depth", formatValue(gauges.producerQueueDepth));
    out.family("logdeck_producer_linger_seconds", "gauge",
               "The linger of the producer new events go to (it follows the load).");
    out.sample("logdeck_producer_linger_seconds", formatValue(gauges.producerLingerSeconds));
    out.family("logdeck_outbox_depth", "gauge", "Outbox rows not yet delivered to Kafka.");
    out.sample("logdeck_outbox_depth", formatValue(gauges.outboxDepth));
    out.family("logdeck_spill_active", "gauge",
               "1 while new events go through the outbox, else 0.");
    out.sample("logdeck_spill_active", gauges.spilling ? "1" : "0");
    out.family("logdeck_relay_lag_seconds", "gauge",
               "Age of the oldest undelivered outbox row; 0 when the outbox is empty.");
    out.sample("logdeck_relay_lag_seconds", formatValue(gauges.relayLagSeconds));
    return std::move(out.text());
}

} // namespace logdeck::collector
