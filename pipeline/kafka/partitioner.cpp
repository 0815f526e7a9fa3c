#include "kafka/partitioner.h"

namespace logdeck::kafka {

namespace {

/// org.apache.kafka.common.utils.Utils.murmur2, byte for byte.
std::uint32_t murmur2(std::string_view key)
{
    const auto *data = reinterpret_cast<const std::uint8_t *>(key.data());
    const auto length = static_cast<std::uint32_t>(key.size());
    constexpr std::uint32_t kSeed = 0x9747b28c;
    constexpr std::uint32_t kMix = 0x5bd1e995;
    constexpr int kShift = 24;
    std::uint32_t h = kSeed ^ length;
    const std::uint32_t whole = length / 4;
    for (std::uint32_t i = 0; i < whole; ++i) {
        const std::uint32_t at = i * 4;
        std::uint32_t k = data[at] | (data[at + 1] << 8) | (data[at + 2] << 16)
            | (static_cast<std::uint32_t>(data[at + 3]) << 24);
        k *= kMix;
        k ^= k >> kShift;
        k *= kMix;
        h *= kMix;
        h ^= k;
    }
    const std::uint32_t tail = length & ~3U;
    switch (length % 4) {
    case 3:
        h ^= static_cast<std::uint32_t>(data[tail + 2]) << 16;
        [[fallthrough]];
    case 2:
        h ^= static_cast<std::uint32_t>(data[tail + 1]) << 8;
        [[fallthrough]];
    case 1:
        h ^= data[tail];
        h *= kMix;
    }
    h ^= h >> 13;
    h *= kMix;
    h ^= h >> 15;
    return h;
}

} // namespace

std::int32_t partitionForKey(std::string_view key, int partitions)
{
    if (partitions <= 0) {
        return 0;
    }
    // Java's Utils.toPositive masks the sign bit rather than taking the absolute value.
    return static_cast<std::int32_t>((murmur2(key) & 0x7fffffffU)
                                     % static_cast<std::uint32_t>(partitions));
}

} // namespace logdeck::kafka
