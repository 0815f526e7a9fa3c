#pragma once

#include "kafka/client_settings.h"
#include "kafka/producer.h"

#include <QString>
#include <QTemporaryDir>
#include <memory>
#include <string>
#include <vector>

namespace logdeck::test {

/// The bootstrap address of the real broker that CTest's kafka_broker fixture started
/// (scripts/kafka start). Fails the calling test when the fixture is missing: real-broker
/// tests never skip.
std::string brokerBootstrap();

/// Client settings for that broker.
kafka::ClientSettings brokerSettings();

/// The classpath of the broker's jars and Kafka's own tools (java -cp), as scripts/kafka
/// fetched them.
QString kafkaClasspath();

/// Produces `records` to the test broker and waits for every acknowledgement; false when
/// any failed.
bool produceAll(const std::vector<kafka::OutgoingRecord> &records);

/// A topic or group name no other test run uses: "<prefix>-<pid>-<counter>".
std::string uniqueName(const std::string &prefix);

/// The partition a Java Kafka client's default partitioner picks for `key` (murmur2,
/// positive, modulo `partitions`): the reference Logdeck's producer must agree with.
int javaPartitionForKey(const std::string &key, int partitions);

/// A broker of the test's own (scripts/kafka start --fresh in a temporary directory),
/// stopped on destruction: for tests that run whole engines, whose topic and group names
/// are fixed, or that stop the broker. Fails the test (empty bootstrap) when it cannot start.
class OwnBroker
{
public:
    OwnBroker();
    ~OwnBroker();
    OwnBroker(const OwnBroker &) = delete;
    OwnBroker &operator=(const OwnBroker &) = delete;

    /// host:port, empty when the broker did not start.
    const std::string &bootstrap() const { return m_bootstrap; }
    kafka::ClientSettings settings() const { return {{"bootstrap.servers", m_bootstrap}}; }

    /// scripts/kafka stop / start on the same directory: the data and port are kept.
    bool stop();
    bool restart();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_bootstrap;
};

} // namespace logdeck::test
