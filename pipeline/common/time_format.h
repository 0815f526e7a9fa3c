#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace logdeck {

/// Milliseconds since the Unix epoch, now.
std::int64_t nowMillis();

/// RFC 3339 UTC with milliseconds: 2026-11-26T15:04:05.123Z.
std::string formatRfc3339(std::int64_t unixMillis);

/// Parses an RFC 3339 date-time (`2026-11-26T15:04:05Z`, fractional seconds and numeric
/// offsets allowed, `t`/`z` and a space separator too) into Unix milliseconds. A leap second
/// (`23:59:60`, any fraction) reads as the last millisecond of its minute (`23:59:59.999`).
std::optional<std::int64_t> parseRfc3339(std::string_view text);

/// A point in time for --since/--until options: an RFC 3339 date-time, or a duration back
/// from `nowMs` as a whole number and a unit (`30s`, `15m`, `2h`, `1d`, `1w`).
std::optional<std::int64_t> parseTimePoint(std::string_view text, std::int64_t nowMs);

} // namespace logdeck
