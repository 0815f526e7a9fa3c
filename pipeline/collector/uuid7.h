#pragma once

#include <cstdint>
#include <string>

namespace logdeck::collector {

/// A UUIDv7 (RFC 9562) in canonical text form: 48 bits of Unix milliseconds, then random
/// bits, so ids the server assigns sort by time and keep the dedup index's inserts local.
std::string makeUuid7(std::int64_t unixMillis);

/// makeUuid7 with the current time.
std::string makeUuid7();

} // namespace logdeck::collector
