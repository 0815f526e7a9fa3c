#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct rd_kafka_s;

namespace logdeck::kafka {

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
};

/// What the cluster says about itself.
struct ClusterMetadata
{
    std::vector<BrokerInfo> brokers;
    std::vector<TopicInfo> topics; ///< sorted by name; internal topics left out
};

/// The low and high watermark of a partition (first offset and log-end offset).
struct Watermarks
{
    std::int64_t low = 0;
    std::int64_t high = 0;
};

/// Cluster administration: topics and metadata. Calls block up to their timeout; call
/// them from a worker thread, never the UI thread.
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

private:
    explicit AdminClient(rd_kafka_s *handle);
    rd_kafka_s *m_handle;
};

} // namespace logdeck::kafka
