#pragma once

#include <QtGlobal>
#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

namespace logdeck::ui {

/// One sample of a time series: milliseconds since the epoch and a value. A NaN (or any
/// non-finite) value means "unknown at that time", a gap, never zero.
struct ChartPoint
{
    qint64 timeMs = 0;
    double value = 0;

    bool isKnown() const;
    friend bool operator==(const ChartPoint &, const ChartPoint &) = default;
};

/// Reduces the points of `points` (sorted by time) that lie in [fromMs, toMs] to what a
/// plot with buckets `bucketMs` wide can show. Buckets are aligned to multiples of
/// `bucketMs` since the epoch, so a window that slides keeps its shape between redraws.
///
/// Each bucket with a known value keeps its minimum and its maximum (one point if they are
/// the same); the first and last known points of the range are kept too; points keep their
/// own times and come out in time order. A bucket holding only unknown points becomes one
/// unknown point (a break), and consecutive breaks merge into one; an unknown point in a
/// bucket that also has known values is narrower than a bucket and is not kept. Time
/// without any points is not a break: a producer marks "unknown" with a NaN point.
///
/// The result has at most 2 × touched buckets + 2 points, where touched buckets is
/// floor(toMs / bucketMs) - floor(fromMs / bucketMs) + 1.
std::vector<ChartPoint> decimateMinMax(std::span<const ChartPoint> points, qint64 fromMs,
                                       qint64 toMs, qint64 bucketMs);

/// The buckets [fromMs, toMs] touches when cut into `bucketMs` wide aligned buckets.
qint64 touchedBuckets(qint64 fromMs, qint64 toMs, qint64 bucketMs);

/// A bounded time series, oldest first. Points are appended in time order.
///
/// It never holds more than `capacity` points: when full, the older half is thinned with
/// decimateMinMax to about a quarter of the capacity, so the newest half stays at full
/// resolution while older points keep their minima, maxima and wide gaps at a coarser one.
/// Points older than `maxAge` before the newest point are dropped.
class SeriesBuffer
{
public:
    static constexpr std::size_t kDefaultCapacity = 16384;
    static constexpr std::size_t kMinimumCapacity = 64;
    static constexpr std::chrono::milliseconds kDefaultMaxAge = std::chrono::days(7);

    /// A capacity below kMinimumCapacity is raised to it.
    explicit SeriesBuffer(std::size_t capacity = kDefaultCapacity,
                          std::chrono::milliseconds maxAge = kDefaultMaxAge);

    /// Adds a point at or after the newest one; an older point is dropped (returns false).
    bool append(ChartPoint point);
    /// Replaces every point (e.g. history loaded from the engine); sorts them by time.
    void replaceAll(std::vector<ChartPoint> points);
    void clear();

    /// All points, oldest first.
    std::span<const ChartPoint> points() const;
    /// The points with fromMs <= time <= toMs.
    std::span<const ChartPoint> pointsIn(qint64 fromMs, qint64 toMs) const;
    /// Whether any point holds a known value.
    bool hasKnownValue() const;

    std::size_t size() const { return m_points.size() - m_first; }
    bool isEmpty() const { return size() == 0; }
    std::size_t capacity() const { return m_capacity; }
    std::chrono::milliseconds maxAge() const { return m_maxAge; }

private:
    void dropOlderThan(qint64 timeMs);
    void thinOlderHalf();

    std::size_t m_capacity;
    std::chrono::milliseconds m_maxAge;
    // Dropped points stay in front of m_first until there are many of them, so dropping
    // one point a second does not move the whole buffer each time.
    std::vector<ChartPoint> m_points;
    std::size_t m_first = 0;
};

} // namespace logdeck::ui
