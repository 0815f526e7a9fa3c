#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace logdeck {

/// The whole of `text` as a base-10 integer, or `fallback` when it is not one (header
/// values, environment variables).
/// The whole of `text` as a base-10 integer, or nothing when it is not one.
inline std::optional<std::int64_t> parseInt64Exact(std::string_view text)
{
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

/// The whole of `text` as a base-10 integer, or `fallback` when it is not one (header
/// values, environment variables).
inline std::int64_t parseInt64(std::string_view text, std::int64_t fallback)
{
    return parseInt64Exact(text).value_or(fallback);
}

} // namespace logdeck
