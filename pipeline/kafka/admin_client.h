#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct rd_kafka_s;

namespace logdeck::kafka {

class Consumer;

/// A topic to create.
struct TopicSpec
{
    std::string name;
    int partitions = 1;
    std::map<std::string, std::string> config; ///< e.g. cleanup.policy=compact
    bool operator==(const TopicSpec &) const = default;
};

struct BrokerInfo
{
    std::int32_t id = 0;
    std::string host;
    int port = 0;
};

struct TopicInfo
{
    std::string name;
    int partitions = 0;
    bool led = false; ///< every partition has a leader (a new topic's may not yet)
};

/// What the cluster says about itself.
struct ClusterMetadata
{
    std::string clusterId; ///< empty when the cluster did not say (the mock cluster, old brokers)
    std::vector<BrokerInfo> brokers;
    std::vector<TopicInfo> topics; ///< sorted by name; internal topics left out
};

/// The low and high watermark of a partition (first offset and log-end offset).
struct Watermarks
{
    std::int64_t low = 0;
    std::int64_t high = 0;
};

/// A consumer group as the cluster lists it.
struct GroupListing
{
    std::string group;
    std::string state; ///< "Stable", "Empty", "PreparingRebalance", "Dead", ...
    bool simple = false; ///< a group that only commits offsets, with no members
};

/// One member of a consumer group and the partitions it holds.
struct GroupMember
{
    std::string memberId;
    std::string clientId;
    std::string host;
    std::vector<TopicPartition> assignment;
};

/// A consumer group's state and members.
struct GroupDescription
{
    std::string group;
    std::string state;
    std::vector<GroupMember> members;
};

/// Cluster administration: topics, metadata, consumer groups and offsets. Calls block up to their
/// timeout; call them from a worker thread, never the UI thread.
class AdminClient
{
public:
    static Result<std::unique_ptr<AdminClient>> create(const ClientSettings &settings);
    ~AdminClient();
    AdminClient(const AdminClient &) = delete;
    AdminClient &operator=(const AdminClient &) = delete;

    /// Brokers and topics. Fails with Unavailable when no broker answers in time.
    Result<ClusterMetadata> describeCluster(std::chrono::milliseconds timeout);

    /// Creates the topics that do not exist yet; existing topics are left as they are.
    /// The replication factor is min(3, brokers).
    Result<void> createTopics(const std::vector<TopicSpec> &topics,
                              std::chrono::milliseconds timeout);

    Result<Watermarks> watermarks(const std::string &topic, std::int32_t partition,
                                  std::chrono::milliseconds timeout);

    /// The partition count of every topic the cluster has, internal topics left out.
    Result<std::map<std::string, int>> partitionCounts(std::chrono::milliseconds timeout);

    /// Every consumer group the cluster knows. The mock cluster cannot list groups: it
    /// answers Unsupported.
    Result<std::vector<GroupListing>> listGroups(std::chrono::milliseconds timeout);

    /// A group's state and members. NotFound for a group the cluster does not know (a group
    /// that never existed is reported by Kafka as "Dead" with no members). Asks each broker
    /// with the classic ListGroups and DescribeGroups, not through the group's coordinator,
    /// so that a broker restart cannot abort the process (see admin_client.cpp).
    Result<GroupDescription> describeGroup(const std::string &group,
                                           std::chrono::milliseconds timeout);

    /// The offsets `group` has committed, sorted: for `partitions`, or for every partition
    /// it has committed for when `partitions` is empty (the mock cluster answers only for
    /// named partitions). Partitions without a committed offset are left out.
    Result<std::vector<TopicPartitionOffset>>
    committedOffsets(const std::string &group, std::chrono::milliseconds timeout,
                     const std::vector<TopicPartition> &partitions = {});

    /// Commits `offsets` for `group` as one request. Kafka refuses it while the group has
    /// members; the error then says the group is not empty.
    Result<void> alterGroupOffsets(const std::string &group,
                                   const std::vector<TopicPartitionOffset> &offsets,
                                   std::chrono::milliseconds timeout);

    /// For each (topic, partition, timestamp in ms): the first offset whose record
    /// timestamp is at or after it, or the log-end offset when there is none. The special
    /// timestamps kLatest and kEarliest give the log-end and first offsets.
    Result<std::vector<TopicPartitionOffset>>
    offsetsForTimes(const std::vector<TopicPartitionOffset> &timestamps,
                    std::chrono::milliseconds timeout);

    /// Log-end (high watermark) offsets of `partitions`, in one request per broker.
    Result<std::vector<TopicPartitionOffset>>
    logEndOffsets(const std::vector<TopicPartition> &partitions, std::chrono::milliseconds timeout);

    static constexpr std::int64_t kLatest = -1;
    static constexpr std::int64_t kEarliest = -2;

private:
    AdminClient(rd_kafka_s *handle, ClientSettings settings);
    rd_kafka_s *m_handle;
    ClientSettings m_settings; ///< for the consumer handles that read committed offsets
    /// One consumer handle per group, kept: the lag monitor asks every second.
    std::map<std::string, std::unique_ptr<Consumer>> m_offsetReaders;
    std::mutex m_offsetReadersMutex;
};

} // namespace logdeck::kafka
