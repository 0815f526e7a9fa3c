#pragma once
// Private to pipeline/: JSON that arrives from outside (record values, control messages,
// dead-letter payloads) is parsed only when it nests no deeper than a fixed bound.
// nlohmann's parser is iterative, but dump(), comparisons and copies recurse: a record
// nesting 100,000 levels overflowed a consumer thread's stack before this bound existed.

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string_view>

namespace logdeck {

/// The deepest nesting any JSON from Kafka may have: an event (1) with attributes (2)
/// whose values nest the collector's 32 levels, with room to spare.
inline constexpr std::size_t kMaxJsonDepth = 64;

/// How deep `text` nests its arrays and objects (0 for a scalar), counted without parsing;
/// brackets inside strings do not count. Stops counting above `limit`.
std::size_t jsonNestingDepth(std::string_view text, std::size_t limit = kMaxJsonDepth + 1);

/// nlohmann::json::parse without exceptions, refusing (a discarded value) text that nests
/// deeper than kMaxJsonDepth.
nlohmann::json parseJsonBounded(std::string_view text);

} // namespace logdeck
