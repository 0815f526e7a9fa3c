#include "ops/lag_evaluation.h"

#include <algorithm>
#include <array>

namespace logdeck::ops {

namespace {

constexpr std::array<std::string_view, 6> kStatusNames = {"OK",     "UNKNOWN", "WARN",
                                                          "REWIND", "STALL",   "STOP"};

} // namespace

std::string_view lagStatusName(LagStatus status)
{
    return kStatusNames.at(static_cast<std::size_t>(status));
}

std::optional<LagStatus> lagStatusFromName(std::string_view name)
{
    const auto it = std::ranges::find(kStatusNames, name);
    if (it == kStatusNames.end()) {
        return std::nullopt;
    }
    return static_cast<LagStatus>(it - kStatusNames.begin());
}

LagStatus worseOf(LagStatus a, LagStatus b)
{
    return std::max(a, b);
}

LagStatus evaluatePartition(std::span<const CommitSample> window, std::size_t windowSize,
                            std::int64_t currentLag, std::int64_t nowMs,
                            std::int64_t minStopAfterMs)
{
    if (currentLag <= 0 || window.empty()) {
        return LagStatus::Ok;
    }
    const std::int64_t span = window.back().atMs - window.front().atMs;
    if (nowMs - window.back().atMs > std::max(span, minStopAfterMs)) {
        return LagStatus::Stop;
    }
    if (std::ranges::any_of(window, [](const CommitSample &s) { return s.lag <= 0; })) {
        return LagStatus::Ok;
    }
    const auto pairs = [&](auto test) {
        for (std::size_t i = 1; i < window.size(); ++i) {
            if (!test(window[i - 1], window[i])) {
                return false;
            }
        }
        return true;
    };
    if (!pairs([](const CommitSample &a, const CommitSample &b) { return b.offset >= a.offset; })) {
        return LagStatus::Rewind;
    }
    if (window.size() < windowSize) {
        return LagStatus::Ok;
    }
    if (pairs([](const CommitSample &a, const CommitSample &b) { return b.offset == a.offset; })) {
        return LagStatus::Stall;
    }
    if (pairs([](const CommitSample &a, const CommitSample &b) { return b.lag >= a.lag; })
        && window.back().lag > window.front().lag) {
        return LagStatus::Warn;
    }
    return LagStatus::Ok;
}

LogEndTimeline::LogEndTimeline(std::size_t capacity)
    : m_capacity(std::max<std::size_t>(capacity, 4))
{
}

void LogEndTimeline::add(std::int64_t logEndOffset, std::int64_t atMs)
{
    if (!m_points.empty() && logEndOffset < m_points.back().offset) {
        m_points.clear();
    }
    const std::size_t n = m_points.size();
    if (n >= 2 && m_points[n - 1].offset == logEndOffset
        && m_points[n - 2].offset == logEndOffset) {
        m_points.back().atMs = atMs; // a flat run keeps its first and its last point
        return;
    }
    m_points.push_back({logEndOffset, atMs});
    if (m_points.size() > m_capacity) {
        // Thin the older half: the table reaches further back, at a coarser grain.
        std::deque<Point> thinned;
        const std::size_t half = m_points.size() / 2;
        for (std::size_t i = 0; i < m_points.size(); ++i) {
            if (i >= half || i % 2 == 0) {
                thinned.push_back(m_points[i]);
            }
        }
        m_points.swap(thinned);
    }
}

std::optional<std::int64_t> LogEndTimeline::timeAtOffset(std::int64_t offset) const
{
    if (m_points.empty() || offset > m_points.back().offset) {
        return std::nullopt;
    }
    const Point &first = m_points.front();
    const Point &last = m_points.back();
    if (offset < first.offset) {
        if (last.offset == first.offset || last.atMs == first.atMs) {
            return std::nullopt;
        }
        const double msPerOffset = static_cast<double>(last.atMs - first.atMs)
            / static_cast<double>(last.offset - first.offset);
        return first.atMs
            - static_cast<std::int64_t>(static_cast<double>(first.offset - offset) * msPerOffset);
    }
    // The first point above `offset`; the one before it is the last at or below it.
    const auto above = std::ranges::upper_bound(m_points, offset, {}, &Point::offset);
    const Point &below = *std::prev(above);
    if (above == m_points.end()) {
        return below.atMs;
    }
    const double fraction = static_cast<double>(offset - below.offset)
        / static_cast<double>(above->offset - below.offset);
    return below.atMs
        + static_cast<std::int64_t>(fraction * static_cast<double>(above->atMs - below.atMs));
}

} // namespace logdeck::ops
