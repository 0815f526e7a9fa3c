#pragma once

#include <QString>
#include <cstdint>

namespace logdeck::ui {

/// A Unix ms time as the console's tables show it, in local time to the millisecond
/// ("2026-12-04 09:30:42.123"); "–" for 0 (not known).
QString timestampText(std::int64_t unixMs);

/// The same, short for a list of recent times: "09:30:42.123" today, "12-03 09:30:42.123"
/// another day of this year, the whole timestamp otherwise.
QString timeOfDayText(std::int64_t unixMs);

/// A duration in ms, short: "–" when negative (unknown), "850 ms", "4.2 s", "3m07s", …
QString durationText(std::int64_t ms);

} // namespace logdeck::ui
