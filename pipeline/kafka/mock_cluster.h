#pragma once

#include "common/result.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace logdeck::kafka {

/// librdkafka's in-process mock cluster: real Kafka protocol on loopback ports, no broker
/// to install. For the embedded demo mode and for fault injection; it lacks timestamp
/// lookup, group listing and description, and topic creation by protocol.
class MockCluster
{
public:
    static Result<std::unique_ptr<MockCluster>> create(int brokers);
    ~MockCluster();
    MockCluster(const MockCluster &) = delete;
    MockCluster &operator=(const MockCluster &) = delete;

    /// "127.0.0.1:port,..." for clients' bootstrap.servers.
    std::string bootstrapServers() const;
    int brokerCount() const { return m_brokers; }

    Result<void> createTopic(const std::string &name, int partitions);

    /// Takes a broker down (its connections fail) or brings it back: a broker outage on demand.
    Result<void> setBrokerDown(std::int32_t brokerId);
    Result<void> setBrokerUp(std::int32_t brokerId);
    /// Delays every answer of a broker by `rtt` (0: none): a broker that is up but stalled.
    Result<void> setBrokerRoundTrip(std::int32_t brokerId, std::chrono::milliseconds rtt);
    /// Makes `brokerId` the leader of one partition: with setBrokerRoundTrip, one
    /// partition's leader stalls while the others go on acknowledging.
    Result<void> setPartitionLeader(const std::string &topic, std::int32_t partition,
                                    std::int32_t brokerId);

private:
    MockCluster(rd_kafka_s *owner, rd_kafka_mock_cluster_s *cluster, int brokers);

    rd_kafka_s *m_owner;
    rd_kafka_mock_cluster_s *m_cluster;
    int m_brokers;
};

} // namespace logdeck::kafka
