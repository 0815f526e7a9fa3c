#include "kafka/mock_cluster.h"

#include "kafka/rdkafka_support.h"

#include <librdkafka/rdkafka_mock.h>

namespace logdeck::kafka {

Result<std::unique_ptr<MockCluster>> MockCluster::create(int brokers)
{
    if (brokers < 1) {
        return fail(Error::invalid("a mock cluster needs at least one broker"));
    }
    auto conf = detail::makeConf({}, {});
    if (!conf) {
        return fail(conf.error());
    }
    auto owner = detail::makeHandle(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!owner) {
        return fail(owner.error());
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(owner->get(), brokers);
    if (cluster == nullptr) {
        return fail(Error::internal("librdkafka could not start a mock cluster"));
    }
    return std::unique_ptr<MockCluster>(new MockCluster(owner->release(), cluster, brokers));
}

MockCluster::MockCluster(rd_kafka_s *owner, rd_kafka_mock_cluster_s *cluster, int brokers)
    : m_owner(owner)
    , m_cluster(cluster)
    , m_brokers(brokers)
{
}

MockCluster::~MockCluster()
{
    rd_kafka_mock_cluster_destroy(m_cluster);
    rd_kafka_destroy(m_owner);
}

std::string MockCluster::bootstrapServers() const
{
    return rd_kafka_mock_cluster_bootstraps(m_cluster);
}

Result<void> MockCluster::createTopic(const std::string &name, int partitions)
{
    const int replication = std::min(m_brokers, 3);
    const auto err = rd_kafka_mock_topic_create(m_cluster, name.c_str(), partitions, replication);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        return fail(detail::toError(err, "creating mock topic '" + name + "'"));
    }
    return {};
}

Result<void> MockCluster::setBrokerDown(std::int32_t brokerId)
{
    if (const auto err = rd_kafka_mock_broker_set_down(m_cluster, brokerId);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(
            detail::toError(err, "taking mock broker " + std::to_string(brokerId) + " down"));
    }
    return {};
}

Result<void> MockCluster::setBrokerUp(std::int32_t brokerId)
{
    if (const auto err = rd_kafka_mock_broker_set_up(m_cluster, brokerId);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(
            detail::toError(err, "bringing mock broker " + std::to_string(brokerId) + " up"));
    }
    return {};
}

Result<void> MockCluster::setBrokerRoundTrip(std::int32_t brokerId, std::chrono::milliseconds rtt)
{
    if (const auto err =
            rd_kafka_mock_broker_set_rtt(m_cluster, brokerId, static_cast<int>(rtt.count()));
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "delaying mock broker " + std::to_string(brokerId)));
    }
    return {};
}

Result<void> MockCluster::setPartitionLeader(const std::string &topic, std::int32_t partition,
                                             std::int32_t brokerId)
{
    if (const auto err =
            rd_kafka_mock_partition_set_leader(m_cluster, topic.c_str(), partition, brokerId);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "moving the leader of " + topic + "/"
                                             + std::to_string(partition) + " to mock broker "
                                             + std::to_string(brokerId)));
    }
    return {};
}

} // namespace logdeck::kafka
