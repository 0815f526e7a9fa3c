#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

struct rd_kafka_s;

namespace logdeck::kafka {

/// One record to append to a topic. Without a partition, the configured partitioner picks
/// one from the key (Logdeck uses murmur2_random, as Java clients do).
struct OutgoingRecord
{
    std::string topic;
    std::optional<std::int32_t> partition;
    std::string key;
    std::string value;
    Headers headers;
    std::int64_t timestampMs = 0; ///< 0: the producer's clock
    bool valueIsNull = false; ///< write a null value (a tombstone) rather than `value`
};

/// What the broker said about one produced record.
struct DeliveryReport
{
    std::optional<Error> error; ///< empty when the broker acknowledged the record
    /// When delivery failed: true if the record may have been written anyway (a timeout
    /// after sending), so a retry may duplicate it.
    bool possiblyPersisted = false;
    std::string topic;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
};

/// Receives the delivery report of one record produced with it. The producer does not own
/// it: it must live until delivered() runs, which happens once for every record produce()
/// accepted. For a caller that keeps its own state per record, this saves the two
/// allocations a DeliveryHandler costs.
class DeliveryListener
{
public:
    virtual void delivered(const DeliveryReport &report) = 0;

protected:
    ~DeliveryListener() = default;
};

/// A librdkafka producer. Its delivery handlers run in the order the broker acknowledges
/// records, on the producer's own poll thread, or, with Reports::OnDemand, on whichever
/// thread calls serveReports() when reportsFd() becomes readable (an event loop that
/// answers requests itself saves a thread hop per acknowledgement). They must not block.
class Producer
{
public:
    using DeliveryHandler = std::function<void(const DeliveryReport &)>;
    /// Called where delivery handlers run when librdkafka reports every broker down; must
    /// not block.
    using BrokersDownHandler = std::function<void(const std::string &reason)>;
    enum class Reports
    {
        PollThread, ///< a thread of the producer serves them
        OnDemand, ///< the owner calls serveReports() when reportsFd() is readable
    };

    /// Creates the producer. `settings` hold librdkafka properties; Logdeck's defaults
    /// (idempotence, acks=all, murmur2_random) apply where a setting is absent.
    static Result<std::unique_ptr<Producer>> create(const ClientSettings &settings,
                                                    BrokersDownHandler onBrokersDown = {},
                                                    Reports reports = Reports::PollThread);

    ~Producer();
    Producer(const Producer &) = delete;
    Producer &operator=(const Producer &) = delete;

    /// Enqueues a record; `onDelivery` is called once with its outcome. Fails at once
    /// (without calling `onDelivery`) when the local queue is full or the record is bad.
    Result<void> produce(const OutgoingRecord &record, DeliveryHandler onDelivery = {});
    /// The same, reporting to `listener` (see DeliveryListener).
    Result<void> produce(const OutgoingRecord &record, DeliveryListener &listener);

    /// Fetches `topic`'s metadata (connecting to the cluster on the way), so that the first
    /// records do not wait for it. Fails when no broker answered within `timeout`.
    Result<void> warmUp(const std::string &topic, std::chrono::milliseconds timeout);

    /// Waits until every queued record has a delivery report, or the timeout passes.
    Result<void> flush(std::chrono::milliseconds timeout);

    /// Records waiting in the local queue or in flight.
    int queueLength() const;

    /// Reports::OnDemand: a descriptor that becomes readable when reports wait (-1 else).
    int reportsFd() const { return m_reportsFd; }
    /// Reports::OnDemand: runs the handlers of every waiting report on the calling thread.
    void serveReports();

private:
    Producer(rd_kafka_s *handle, std::unique_ptr<BrokersDownHandler> onBrokersDown,
             int reportsFd);
    void pollLoop();
    /// Enqueues a copy of `record`; `listener` (may be null) gets its report.
    Result<void> enqueue(const OutgoingRecord &record, DeliveryListener *listener);

    std::unique_ptr<BrokersDownHandler> m_onBrokersDown; ///< the handle's opaque: outlives it
    rd_kafka_s *m_handle;
    int m_reportsFd = -1; ///< an eventfd librdkafka writes to; -1 with a poll thread
    std::atomic<bool> m_stopping {false};
    std::thread m_pollThread;
};

} // namespace logdeck::kafka
