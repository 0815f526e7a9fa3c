#pragma once

#include <cstdint>
#include <string_view>

namespace logdeck::kafka {

/// The partition that librdkafka's `murmur2_random` partitioner and Java clients' default
/// partitioner both pick for a non-empty `key` among `partitions`: murmur2 (seed
/// 0x9747b28c) made positive, modulo the count. Logdeck keys every event record by tenant,
/// so this names the one partition that holds a tenant's events.
std::int32_t partitionForKey(std::string_view key, int partitions);

} // namespace logdeck::kafka
