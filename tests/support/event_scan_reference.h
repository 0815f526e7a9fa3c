#pragma once
// The collector's two implementations of the body rules side by side: the one-pass scanner
// (event_scan.h) against the DOM reference (parseBody + validateEvent). Plain C++, so that
// both the unit tests and the fuzz targets (tests/fuzz/) use it.

#include "collector/event_scan.h"

#include <string>
#include <string_view>

namespace logdeck::test {

/// The receipt time both sides are given.
inline constexpr std::int64_t kReferenceReceivedAt = 1795705445999;

/// Empty when scanEvent and the DOM reference answer `body` alike; otherwise what differs.
std::string singleDifferences(std::string_view body);

/// The same for scanBatch and the DOM's batch rules.
std::string batchDifferences(std::string_view body, std::size_t maxEvents = 1000);

} // namespace logdeck::test
