#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct rd_kafka_s;

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
};

/// A librdkafka consumer in a consumer group. Owned and used by one thread; offsets are
/// committed explicitly, never automatically.
class Consumer
{
public:
    /// Creates a consumer of `groupId` from librdkafka `settings`. Auto-commit is off and
    /// a new group starts from the earliest offset unless the settings say otherwise.
    static Result<std::unique_ptr<Consumer>> create(const ClientSettings &settings,
                                                    const std::string &groupId);
    ~Consumer();
    Consumer(const Consumer &) = delete;
    Consumer &operator=(const Consumer &) = delete;

    /// Joins the group for `topics`; partitions arrive through the group's rebalances.
    Result<void> subscribe(const std::vector<std::string> &topics);

    /// Reads up to `maxRecords`, waiting at most `timeout` in total. Returns what arrived
    /// (possibly nothing); fails only on errors that stop consumption.
    Result<std::vector<ConsumedRecord>> poll(std::size_t maxRecords,
                                             std::chrono::milliseconds timeout);

    /// Commits `offsets` (each the next offset to read) synchronously.
    Result<void> commit(const std::vector<TopicPartitionOffset> &offsets);

    /// The group's committed offsets for `partitions` (-1001 where none is committed).
    Result<std::vector<TopicPartitionOffset>>
    committed(const std::vector<TopicPartition> &partitions, std::chrono::milliseconds timeout);

    /// The partitions currently assigned to this member.
    Result<std::vector<TopicPartition>> assignment() const;

    /// Leaves the group cleanly. Called by the destructor if not called before.
    void close();

private:
    explicit Consumer(rd_kafka_s *handle);

    rd_kafka_s *m_handle;
    bool m_closed = false;
};

} // namespace logdeck::kafka
