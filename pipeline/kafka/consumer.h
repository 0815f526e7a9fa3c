#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_queue_s;
struct rd_kafka_message_s;

namespace logdeck::kafka {

/// One record read from a topic.
struct ConsumedRecord
{
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::int64_t timestampMs = 0;
    std::string key;
    std::string value;
    Headers headers;
    bool valueIsNull = false; ///< a null value (a tombstone); `value` is then empty
};

/// Called on the consumer's thread, inside poll(), when the group assigns or takes away
/// partitions. onAssigned returns where to start reading each partition (an offset of
/// kUseCommitted, -1001, means the group's committed offset or auto.offset.reset).
/// onRevoked runs before the partitions are given up; `lost` is true when they were lost
/// (session timeout) rather than handed over, so nothing of them may be committed.
struct RebalanceHandler
{
    std::function<std::vector<TopicPartitionOffset>(const std::vector<TopicPartition> &)>
        onAssigned;
    std::function<void(const std::vector<TopicPartition> &, bool lost)> onRevoked;
};

/// A librdkafka consumer in a consumer group. Owned and used by one thread; offsets are
/// committed explicitly, never automatically.
class Consumer
{
public:
    static constexpr std::int64_t kUseCommitted = -1001;

    /// Creates a consumer of `groupId` from librdkafka `settings`. Auto-commit is off and
    /// a new group starts from the earliest offset unless the settings say otherwise.
    static Result<std::unique_ptr<Consumer>> create(const ClientSettings &settings,
                                                    const std::string &groupId,
                                                    RebalanceHandler rebalance = {});
    ~Consumer();
    Consumer(const Consumer &) = delete;
    Consumer &operator=(const Consumer &) = delete;

    /// Reads exactly these partitions from these offsets, outside any group rebalancing.
    Result<void> assign(const std::vector<TopicPartitionOffset> &positions);

    /// Joins the group for `topics`; partitions arrive through the group's rebalances.
    Result<void> subscribe(const std::vector<std::string> &topics);

    /// Reads up to `maxRecords`, waiting at most `timeout` in total. Returns what arrived
    /// (possibly nothing); fails only on errors that stop consumption.
    Result<std::vector<ConsumedRecord>> poll(std::size_t maxRecords,
                                             std::chrono::milliseconds timeout);

    /// poll() into `records`, whose first `count` elements are the records read (the
    /// vector may hold more: their strings keep their capacity, so a loop that polls into
    /// the same vector allocates nothing for most records). What is buffered is taken in
    /// one call; only an empty buffer is waited on, and for one record, not a full batch.
    Result<void> pollInto(std::vector<ConsumedRecord> &records, std::size_t &count,
                          std::size_t maxRecords, std::chrono::milliseconds timeout);

    /// Commits `offsets` (each the next offset to read), synchronously or in the background.
    Result<void> commit(const std::vector<TopicPartitionOffset> &offsets, bool async = false);

    /// Stops fetching `partitions` (records already fetched stay until a seek) / starts again.
    Result<void> pause(const std::vector<TopicPartition> &partitions);
    Result<void> resume(const std::vector<TopicPartition> &partitions);

    /// Moves the read position of assigned partitions; fetched records past it are dropped.
    Result<void> seek(const std::vector<TopicPartitionOffset> &positions);

    /// The group's committed offsets for `partitions` (-1001 where none is committed).
    Result<std::vector<TopicPartitionOffset>>
    committed(const std::vector<TopicPartition> &partitions, std::chrono::milliseconds timeout);

    /// The partitions currently assigned to this member.
    Result<std::vector<TopicPartition>> assignment() const;

    /// Leaves the group cleanly. Called by the destructor if not called before.
    void close();

private:
    Consumer();
    static void rebalanceCallback(rd_kafka_s *handle, int err, void *partitions, void *opaque);

    /// Moves `message` into records[count] (reusing its strings) unless it is an error
    /// event; destroys it either way. Fails on errors that stop consumption.
    Result<void> take(rd_kafka_message_s *message, std::vector<ConsumedRecord> &records,
                      std::size_t &count);

    rd_kafka_s *m_handle = nullptr;
    rd_kafka_queue_s *m_queue = nullptr; ///< the group's queue, read in batches
    std::vector<rd_kafka_message_s *> m_messages; ///< one batch read from m_queue, reused
    RebalanceHandler m_rebalance;
    bool m_closed = false;
};

} // namespace logdeck::kafka
