#pragma once

#include "kafka/client_settings.h"

#include <QString>
#include <string>

namespace logdeck::test {

/// The bootstrap address of the real broker that CTest's kafka_broker fixture started
/// (scripts/kafka start). Fails the calling test when the fixture is missing: real-broker
/// tests never skip.
std::string brokerBootstrap();

/// Client settings for that broker.
kafka::ClientSettings brokerSettings();

/// A topic or group name no other test run uses: "<prefix>-<pid>-<counter>".
std::string uniqueName(const std::string &prefix);

/// The partition a Java Kafka client's default partitioner picks for `key` (murmur2,
/// positive, modulo `partitions`): the reference Logdeck's producer must agree with.
int javaPartitionForKey(const std::string &key, int partitions);

} // namespace logdeck::test
