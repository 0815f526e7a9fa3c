#include "support/test_broker.h"

#include <QCoreApplication>
#include <QFile>
#include <QTest>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <unistd.h>

namespace logdeck::test {

std::string brokerBootstrap()
{
    const QByteArray dir = qgetenv("LOGDECK_TEST_BROKER_DIR");
    if (dir.isEmpty()) {
        qFatal("LOGDECK_TEST_BROKER_DIR is not set: run this test through ctest, whose "
               "kafka_broker fixture starts the broker");
    }
    QFile file(QString::fromLocal8Bit(dir) + QStringLiteral("/bootstrap"));
    if (!file.open(QIODevice::ReadOnly)) {
        qFatal("the test broker's address file %s is missing: did kafka_broker_start fail?",
               qPrintable(file.fileName()));
    }
    return file.readAll().trimmed().toStdString();
}

kafka::ClientSettings brokerSettings()
{
    return {{"bootstrap.servers", brokerBootstrap()}};
}

std::string uniqueName(const std::string &prefix)
{
    static std::atomic<int> counter {0};
    return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

int javaPartitionForKey(const std::string &key, int partitions)
{
    // org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c.
    const auto *data = reinterpret_cast<const std::uint8_t *>(key.data());
    const std::int32_t length = static_cast<std::int32_t>(key.size());
    const std::uint32_t seed = 0x9747b28c;
    const std::uint32_t m = 0x5bd1e995;
    const int r = 24;
    std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);
    const std::int32_t length4 = length / 4;
    for (std::int32_t i = 0; i < length4; ++i) {
        const std::int32_t i4 = i * 4;
        std::uint32_t k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16)
            | (static_cast<std::uint32_t>(data[i4 + 3]) << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    switch (length % 4) {
    case 3:
        h ^= static_cast<std::uint32_t>(data[(length & ~3) + 2]) << 16;
        [[fallthrough]];
    case 2:
        h ^= static_cast<std::uint32_t>(data[(length & ~3) + 1]) << 8;
        [[fallthrough]];
    case 1:
        h ^= data[length & ~3];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return static_cast<int>((h & 0x7fffffffU) % static_cast<std::uint32_t>(partitions));
}

} // namespace logdeck::test
