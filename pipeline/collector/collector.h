#pragma once

#include "collector/http_server.h"
#include "collector/metrics.h"
#include "common/result.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace logdeck::collector {

/// Everything the collector needs; the Engine fills it from Config.
struct CollectorOptions
{
    HttpServerOptions http;
    std::string databasePath;
    kafka::ClientSettings kafka;
    std::string instanceId;
    std::string topic = "events.raw";
    /// message.timeout.ms: how long the broker may take before an event is spilled to the
    /// outbox instead. Well below any client's HTTP deadline.
    std::chrono::milliseconds produceTimeout {2000};
    /// The stall watch: when Kafka has acknowledged nothing for this long while an event
    /// waited as long, or has left the oldest event waiting 10 times this long while
    /// acknowledging others (both bounds grow to 4 times the slowest recent
    /// acknowledgement), the collector hands every event in flight to the outbox (it does
    /// at once when every broker is down).
    std::chrono::milliseconds stallTimeout {100};
    std::size_t maxBatchEvents = 1000;
    /// The outbox's WAL is started over once it is this long (OutboxRelay::Options).
    std::int64_t walRestartBytes = std::int64_t(256) << 20;
    /// The linger that follows the load: while few events wait for Kafka a prompt producer
    /// (linger.ms 0.2) sends them, once `busyInFlight` wait a batching one (linger.ms 1),
    /// and back to the prompt one after at most `quietInFlight` waited for `quietFor`. A
    /// `linger.ms` in the Kafka settings turns it off (one producer with that linger).
    std::size_t busyInFlight = 64;
    std::size_t quietInFlight = 16;
    std::chrono::milliseconds quietFor {1000};
    /// More Prometheus text for /metrics (the engine's consumer groups), called per scrape.
    std::function<std::string()> extraMetrics;
};

/// The HTTP front door of the pipeline. It answers 202 once an event is durable: acknowledged
/// by Kafka (idempotent producer, acks=all) or, when Kafka cannot take it in time, committed
/// to the SQLite outbox ("spill"), from which the relay publishes it later. While spilled
/// events wait, new events go through the outbox too, so each tenant's order holds. When
/// every broker is down, or the stall watch sees Kafka stop answering (see `stallTimeout`),
/// the events in flight are handed to the outbox rather than left to time out.
/// Only when neither path works does it answer 503 with Retry-After.
class Collector
{
public:
    static Result<std::unique_ptr<Collector>> start(CollectorOptions options);
    ~Collector();
    Collector(const Collector &) = delete;
    Collector &operator=(const Collector &) = delete;

    std::uint16_t port() const;

    /// Stops taking connections, answers or spills every request in flight (waiting at
    /// most `grace`), then stops the relay and the producer. Idempotent.
    void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(10));

    bool spilling() const;
    CollectorGauges gauges() const;
    CollectorCounters counters() const;
    std::string metricsText() const;

private:
    struct Impl;
    explicit Collector(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace logdeck::collector
