#include "collector/metrics.h"

#include <algorithm>
#include <cstdio>

namespace logdeck::collector {

namespace {

std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

void appendHeader(std::string &out, std::string_view name, std::string_view help,
                  std::string_view type)
{
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void appendSample(std::string &out, std::string_view name, std::string_view labels,
                  const std::string &value)
{
    out.append(name);
    if (!labels.empty()) {
        out.append("{").append(labels).append("}");
    }
    out.append(" ").append(value).append("\n");
}

} // namespace

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
    result.ingestLatency = ingestLatency.counts();
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

void Histogram::render(std::string &out, std::string_view name, std::string_view help) const
{
    appendHeader(out, name, help, "histogram");
    const std::string bucketName = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBounds.size(); ++i) {
        cumulative += m_buckets[i].load(std::memory_order_relaxed);
        appendSample(out, bucketName, "le=\"" + number(kBounds[i]) + "\"",
                     std::to_string(cumulative));
    }
    cumulative += m_buckets[kBounds.size()].load(std::memory_order_relaxed);
    appendSample(out, bucketName, "le=\"+Inf\"", std::to_string(cumulative));
    appendSample(out, std::string(name) + "_sum", "",
                 number(static_cast<double>(m_sumNanos.load(std::memory_order_relaxed)) / 1e9));
    appendSample(out, std::string(name) + "_count", "",
                 std::to_string(m_count.load(std::memory_order_relaxed)));
}

void CollectorMetrics::countRequest(std::string_view route, int status)
{
    const std::lock_guard lock(m_mutex);
    ++m_requests[{std::string(route), status}];
}

std::string CollectorMetrics::render(const CollectorGauges &gauges) const
{
    std::string out;
    out.reserve(4096);
    appendHeader(out, "logdeck_http_requests_total", "HTTP requests by route and status.",
                 "counter");
    {
        const std::lock_guard lock(m_mutex);
        for (const auto &[key, count] : m_requests) {
            appendSample(out, "logdeck_http_requests_total",
                         "route=\"" + key.first + "\",status=\"" + std::to_string(key.second)
                             + "\"",
                         std::to_string(count));
        }
    }
    ingestLatency.render(out, "logdeck_ingest_latency_seconds",
                         "Time from receiving an event request to its response.");
    produceLatency.render(
        out, "logdeck_produce_latency_seconds",
        "Time from handing a record to the producer to the broker's acknowledgement.");
    const std::pair<const char *, const std::atomic<std::uint64_t> *> counters[] = {
        {"logdeck_events_accepted_total", &eventsAccepted},
        {"logdeck_events_rejected_total", &eventsRejected},
        {"logdeck_events_spilled_total", &eventsSpilled},
        {"logdeck_events_handed_over_total", &eventsHandedOver},
        {"logdeck_events_relayed_total", &eventsRelayed},
        {"logdeck_spill_failures_total", &spillFailures},
    };
    for (const auto &[name, counter] : counters) {
        appendHeader(out, name, "Events counted by the collector.", "counter");
        appendSample(out, name, "", std::to_string(counter->load(std::memory_order_relaxed)));
    }
    appendHeader(out, "logdeck_producer_queue_depth",
                 "Records waiting in the producer or in flight.", "gauge");
    appendSample(out, "logdeck_producer_queue_depth", "",
                 std::to_string(gauges.producerQueueDepth));
    appendHeader(out, "logdeck_outbox_depth", "Outbox rows not yet delivered to Kafka.", "gauge");
    appendSample(out, "logdeck_outbox_depth", "", std::to_string(gauges.outboxDepth));
    appendHeader(out, "logdeck_spill_active", "1 while new events go through the outbox.", "gauge");
    appendSample(out, "logdeck_spill_active", "", gauges.spilling ? "1" : "0");
    appendHeader(out, "logdeck_relay_lag_seconds", "Age of the oldest undelivered outbox row.",
                 "gauge");
    appendSample(out, "logdeck_relay_lag_seconds", "", number(gauges.relayLagSeconds));
    return out;
}

} // namespace logdeck::collector
