#pragma once

#include "common/result.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace logdeck::kafka {

/// librdkafka client properties, passed through by their own names (as `kcat -X` does):
/// `bootstrap.servers`, `security.protocol`, `sasl.*`, `ssl.*`, timeouts.
using ClientSettings = std::map<std::string, std::string>;

/// True for property names whose values must never be logged or shown.
bool isSecretProperty(const std::string &name);

/// A copy of `settings` with secret values replaced by "[redacted]".
ClientSettings redacted(const ClientSettings &settings);

/// Checks every property name and value the way librdkafka will when a client is made,
/// without contacting any broker; the error names the first bad property.
Result<void> checkClientSettings(const ClientSettings &settings);

struct TopicPartition
{
    std::string topic;
    std::int32_t partition = 0;
    auto operator<=>(const TopicPartition &) const = default;
};

struct TopicPartitionOffset
{
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    auto operator<=>(const TopicPartitionOffset &) const = default;
};

struct Header
{
    std::string name;
    std::string value;
    bool operator==(const Header &) const = default;
};
using Headers = std::vector<Header>;

/// The value of the first header named `name`, or an empty string.
std::string headerValue(const Headers &headers, const std::string &name);

} // namespace logdeck::kafka
