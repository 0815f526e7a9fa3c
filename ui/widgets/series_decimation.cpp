#include "widgets/series_decimation.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace logdeck::ui {

namespace {

qint64 floorDiv(qint64 a, qint64 b)
{
    const qint64 quotient = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? quotient - 1 : quotient;
}

bool earlier(const ChartPoint &point, qint64 timeMs)
{
    return point.timeMs < timeMs;
}

bool laterThan(qint64 timeMs, const ChartPoint &point)
{
    return timeMs < point.timeMs;
}

} // namespace

bool ChartPoint::isKnown() const
{
    return std::isfinite(value);
}

qint64 touchedBuckets(qint64 fromMs, qint64 toMs, qint64 bucketMs)
{
    if (toMs < fromMs || bucketMs <= 0) {
        return 0;
    }
    return floorDiv(toMs, bucketMs) - floorDiv(fromMs, bucketMs) + 1;
}

std::vector<ChartPoint> decimateMinMax(std::span<const ChartPoint> points, qint64 fromMs,
                                       qint64 toMs, qint64 bucketMs)
{
    std::vector<ChartPoint> result;
    if (toMs < fromMs || bucketMs <= 0) {
        return result;
    }
    const auto begin = std::lower_bound(points.begin(), points.end(), fromMs, earlier);
    const auto end = std::upper_bound(begin, points.end(), toMs, laterThan);
    const auto inRange = std::span<const ChartPoint>(begin, end);
    if (inRange.empty()) {
        return result;
    }

    constexpr std::size_t none = std::numeric_limits<std::size_t>::max();
    std::size_t lastKnown = none;
    for (std::size_t i = inRange.size(); i-- > 0;) {
        if (inRange[i].isKnown()) {
            lastKnown = i;
            break;
        }
    }
    std::size_t firstKnown = none;

    result.reserve(std::min<std::size_t>(
        inRange.size(), static_cast<std::size_t>(2 * touchedBuckets(fromMs, toMs, bucketMs) + 2)));

    std::size_t bucketStart = 0;
    while (bucketStart < inRange.size()) {
        const qint64 bucket = floorDiv(inRange[bucketStart].timeMs, bucketMs);
        std::size_t minIndex = none;
        std::size_t maxIndex = none;
        std::size_t bucketEnd = bucketStart;
        for (; bucketEnd < inRange.size()
             && floorDiv(inRange[bucketEnd].timeMs, bucketMs) == bucket;
             ++bucketEnd) {
            const ChartPoint &point = inRange[bucketEnd];
            if (!point.isKnown()) {
                continue;
            }
            if (firstKnown == none) {
                firstKnown = bucketEnd;
            }
            if (minIndex == none || point.value < inRange[minIndex].value) {
                minIndex = bucketEnd;
            }
            if (maxIndex == none || point.value > inRange[maxIndex].value) {
                maxIndex = bucketEnd;
            }
        }

        if (minIndex == none) {
            // Only unknown values here: one break, unless the previous point already is one.
            if (result.empty() || result.back().isKnown()) {
                result.push_back(inRange[bucketStart]);
            }
        } else {
            std::size_t kept[4] = {minIndex, maxIndex, none, none};
            std::size_t keptCount = 2;
            if (firstKnown >= bucketStart && firstKnown < bucketEnd) {
                kept[keptCount++] = firstKnown;
            }
            if (lastKnown >= bucketStart && lastKnown < bucketEnd) {
                kept[keptCount++] = lastKnown;
            }
            std::sort(kept, kept + keptCount);
            const auto *keptEnd = std::unique(kept, kept + keptCount);
            for (const auto *index = kept; index != keptEnd; ++index) {
                result.push_back(inRange[*index]);
            }
        }
        bucketStart = bucketEnd;
    }
    return result;
}

SeriesBuffer::SeriesBuffer(std::size_t capacity, std::chrono::milliseconds maxAge)
    : m_capacity(std::max(capacity, kMinimumCapacity))
    , m_maxAge(maxAge)
{
}

bool SeriesBuffer::append(ChartPoint point)
{
    if (!isEmpty() && point.timeMs < m_points.back().timeMs) {
        return false;
    }
    m_points.push_back(point);
    dropOlderThan(point.timeMs - m_maxAge.count());
    if (size() > m_capacity) {
        thinOlderHalf();
    }
    return true;
}

void SeriesBuffer::replaceAll(std::vector<ChartPoint> points)
{
    const auto byTime = [](const ChartPoint &a, const ChartPoint &b) {
        return a.timeMs < b.timeMs;
    };
    if (!std::is_sorted(points.begin(), points.end(), byTime)) {
        std::stable_sort(points.begin(), points.end(), byTime);
    }
    m_points = std::move(points);
    m_first = 0;
    if (!m_points.empty()) {
        dropOlderThan(m_points.back().timeMs - m_maxAge.count());
    }
    while (size() > m_capacity) {
        thinOlderHalf();
    }
}

void SeriesBuffer::clear()
{
    m_points.clear();
    m_first = 0;
}

std::span<const ChartPoint> SeriesBuffer::points() const
{
    return std::span<const ChartPoint>(m_points).subspan(m_first);
}

std::span<const ChartPoint> SeriesBuffer::pointsIn(qint64 fromMs, qint64 toMs) const
{
    const auto all = points();
    const auto begin = std::lower_bound(all.begin(), all.end(), fromMs, earlier);
    const auto end = std::upper_bound(begin, all.end(), toMs, laterThan);
    return {begin, end};
}

bool SeriesBuffer::hasKnownValue() const
{
    return std::ranges::any_of(points(), &ChartPoint::isKnown);
}

void SeriesBuffer::dropOlderThan(qint64 timeMs)
{
    const auto all = points();
    if (all.empty() || all.front().timeMs >= timeMs) {
        return;
    }
    m_first += static_cast<std::size_t>(
        std::lower_bound(all.begin(), all.end(), timeMs, earlier) - all.begin());
    if (m_first >= m_capacity / 4) {
        m_points.erase(m_points.begin(), m_points.begin() + static_cast<std::ptrdiff_t>(m_first));
        m_first = 0;
    }
}

void SeriesBuffer::thinOlderHalf()
{
    const auto all = points();
    const auto older = all.first(all.size() / 2);
    // An eighth of the capacity in buckets keeps at most a quarter of it (two points a
    // bucket), so the next thinning is about a quarter of the capacity of appends away.
    const auto buckets = static_cast<qint64>(m_capacity / 8);
    const qint64 spanMs = older.back().timeMs - older.front().timeMs + 1;
    const qint64 bucketMs = std::max<qint64>(1, (spanMs + buckets - 1) / buckets);
    std::vector<ChartPoint> thinned =
        decimateMinMax(older, older.front().timeMs, older.back().timeMs, bucketMs);
    thinned.insert(thinned.end(), all.begin() + static_cast<std::ptrdiff_t>(older.size()),
                   all.end());
    m_points = std::move(thinned);
    m_first = 0;
}

} // namespace logdeck::ui
