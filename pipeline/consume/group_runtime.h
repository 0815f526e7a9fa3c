#pragma once

#include "common/prometheus_text.h"
#include "common/result.h"
#include "consume/processor.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace logdeck::consume {

/// Failures put in on purpose, for demos and tests. Changeable while the group runs.
struct FaultInjection
{
    double transientFailureRate = 0; ///< fraction of events failed with a transient error
    std::chrono::milliseconds addedLatency {0}; ///< extra time per batch
    bool poisonIsPermanent = true; ///< the load generator's poison marker dead-letters an event
    /// At most this many records per batch (0: the group's batchSize). With added latency
    /// it caps the group's rate, so that it falls behind its source (the demo's slow down).
    std::size_t maxBatch = 0;
};

/// How often and when a transiently failed event is tried again. `maxAttempts` counts
/// every try, the first included; `backoff[i]` is the wait before try i + 2 (the last
/// value repeats).
struct RetryPolicy
{
    int maxAttempts = 5;
    std::vector<std::chrono::milliseconds> backoff = {
        std::chrono::seconds(1), std::chrono::seconds(5), std::chrono::seconds(30),
        std::chrono::minutes(2)};
    std::chrono::milliseconds
    delayBefore(int attempt) const; ///< attempt: the try about to happen, ≥ 2
};

struct GroupOptions
{
    std::string group; ///< also the processor's name
    std::string dataDir;
    kafka::ClientSettings kafka; ///< bootstrap.servers and other client properties
    std::string sourceTopic = "events.raw";
    std::string deadLetterTopic = "events.dlq";
    std::size_t batchSize = 1000;
    std::chrono::milliseconds batchWait {100};
    RetryPolicy retry;
    FaultInjection faults;
    /// The consumer's client.id; a Logdeck engine sets "logdeck-<instance>-<group>", so that
    /// its members can be told apart in Kafka's tools and from foreign members.
    std::string clientId;
    /// Dedup keys of events older than this are pruned, in bounded transactions between
    /// batches, one pass every `pruneInterval`.
    std::chrono::hours dedupWindow {24 * 7};
    std::chrono::milliseconds pruneInterval {60000};
    /// Start even when the group's store was found empty while Kafka holds offsets for the
    /// group: the state it had is given up (`run --accept-state-loss GROUP`). Without it,
    /// start fails with Error::Code::StateLost and a message that offers the ways on.
    bool acceptStateLoss = false;
};


/// One partition as the group last saw it.
struct PartitionProgress
{
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t nextOffset = -1; ///< committed with the last batch
    std::int64_t lastRecordTimestampMs = 0; ///< Kafka timestamp of the last record processed
    bool waitingForRetry = false; ///< a retry partition paused until its next record is due
};

/// A snapshot of a group's counters (monotonic since start) and state.
struct GroupMetrics
{
    std::string group;
    bool running = false;
    bool paused = false;
    int assignedPartitions = 0; ///< source and retry partitions this member holds
    std::int64_t processed = 0; ///< events the processor handled successfully
    std::int64_t batches = 0;
    std::int64_t retried = 0; ///< events sent to the retry topic
    std::int64_t deadLettered = 0;
    std::int64_t duplicates = 0; ///< dedup hits: events already processed
    double lastBatchMs = 0;
    prometheus::DurationHistogram batchDuration; ///< every batch's duration since start
    double processedPerSecond = 0; ///< over the last few seconds
    std::vector<PartitionProgress> partitions;
    std::string lastError;
};

/// Runs one processing group: one thread that owns the group's Kafka consumer (reading the
/// source topic and the group's retry topic), its producer for retries, dead letters and
/// outputs, and its SQLite database. Each batch is processed, its results, dedup keys and
/// next offsets committed in one SQLite transaction, and only then are the offsets stored
/// in Kafka. Failed events leave only after their retry or dead-letter record is
/// acknowledged. A retry record that is not due yet pauses its partition (and seeks back
/// to it) instead of sleeping, so the source topic keeps flowing.
class GroupRuntime
{
public:
    static Result<std::unique_ptr<GroupRuntime>> start(GroupOptions options,
                                                       std::unique_ptr<Processor> processor);
    ~GroupRuntime();
    GroupRuntime(const GroupRuntime &) = delete;
    GroupRuntime &operator=(const GroupRuntime &) = delete;

    /// Stops after the batch in hand, leaving the group cleanly. Idempotent.
    void stop();

    /// Stops fetching (the member stays in the group) / starts again.
    void pause();
    void resume();

    void setFaults(const FaultInjection &faults);

    GroupMetrics metrics() const;

    /// The retry topic of `group`.
    static std::string retryTopicOf(const std::string &group);

private:
    struct Impl;
    explicit GroupRuntime(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace logdeck::consume
