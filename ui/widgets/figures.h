#pragma once

#include <QString>
#include <QtGlobal>
#include <optional>

namespace logdeck::ui {

// Short, fixed-width-friendly renderings of live figures for diagrams and tables. An
// unknown figure (std::nullopt, NaN) always reads "–", never "0": a zero on a console
// claims the pipeline is idle when we simply don't know. Figures use English digits and
// separators whatever the system locale, so a figure reads the same in every screenshot.

/// Events per second: "–", "0/s", "<0.1/s", "12.5/s", "120/s", "1.2k/s", "3.4M/s".
QString formatRate(std::optional<double> perSecond);

/// A count of messages: "–", "0", "1,234", "999,999", "1.2M", "35M", "2.1G".
QString formatCount(std::optional<qint64> count);

/// A duration such as a time lag: "–", "0s", "<1s", "42s", "3m07s", "5h02m", "2d03h",
/// and "∞" for +infinity (nothing will ever catch up). A negative duration, which clock
/// skew between hosts can produce, reads "0s".
QString formatSeconds(std::optional<double> seconds);

/// A latency given in milliseconds: "–", "0.4 ms", "12 ms", "1.2 s".
QString formatMilliseconds(std::optional<double> milliseconds);

/// A fraction 0..1 as a percentage: "–", "0%", "<0.1%", "0.3%", "12%", "100%".
QString formatPercent(std::optional<double> fraction);

} // namespace logdeck::ui
