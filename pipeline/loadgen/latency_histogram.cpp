#include "loadgen/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace logdeck::loadgen {

namespace {

// HdrHistogram's layout with a unit of 1 µs and 3 significant digits: values below 2048 µs
// have one bucket each; above that, each doubling of the value range ("bucket") is split
// into 1024 equal sub-buckets, so a bucket's width is at most 1/1024 of its values.
constexpr int SubBucketHalfCountMagnitude = 10;
constexpr std::int64_t SubBucketHalfCount = std::int64_t(1) << SubBucketHalfCountMagnitude;
constexpr std::int64_t SubBucketMask = 2 * SubBucketHalfCount - 1;
constexpr int LeadingZeroCountBase = 64 - SubBucketHalfCountMagnitude - 1;
// 2048 µs << 15 = 67 s, the first power-of-two range that holds 60 s.
constexpr int BucketCount = 16;
constexpr int CountsLength = (BucketCount + 1) * int(SubBucketHalfCount);
constexpr std::int64_t HighestMicros = LatencyHistogram::highestTrackable().count();

constexpr double nanosToMillis(std::int64_t nanos)
{
    return double(nanos) / 1e6;
}

} // namespace

LatencyHistogram::LatencyHistogram()
    : m_counts(CountsLength, 0)
{
}

int LatencyHistogram::countsIndex(std::int64_t micros)
{
    const auto value = std::uint64_t(micros);
    const int bucket =
        LeadingZeroCountBase - std::countl_zero(value | std::uint64_t(SubBucketMask));
    const auto subBucket = std::int64_t(value >> bucket);
    return int(((std::int64_t(bucket) + 1) << SubBucketHalfCountMagnitude)
               + (subBucket - SubBucketHalfCount));
}

std::int64_t LatencyHistogram::highestEquivalentMicros(int index)
{
    int bucket = (index >> SubBucketHalfCountMagnitude) - 1;
    std::int64_t subBucket = (index & (SubBucketHalfCount - 1)) + SubBucketHalfCount;
    if (bucket < 0) {
        subBucket -= SubBucketHalfCount;
        bucket = 0;
    }
    const std::int64_t lowest = subBucket << bucket;
    return lowest + (std::int64_t(1) << bucket) - 1;
}

void LatencyHistogram::record(std::chrono::nanoseconds value)
{
    const std::int64_t nanos = std::max<std::int64_t>(0, value.count());
    const std::int64_t micros = std::min(nanos / 1000, HighestMicros);
    ++m_counts[std::size_t(countsIndex(micros))];
    if (m_count == 0 || nanos < m_minNanos) {
        m_minNanos = nanos;
    }
    m_maxNanos = std::max(m_maxNanos, nanos);
    ++m_count;
}

void LatencyHistogram::merge(const LatencyHistogram &other)
{
    if (other.m_count == 0) {
        return;
    }
    for (std::size_t i = 0; i < m_counts.size(); ++i) {
        m_counts[i] += other.m_counts[i];
    }
    m_minNanos = m_count == 0 ? other.m_minNanos : std::min(m_minNanos, other.m_minNanos);
    m_maxNanos = std::max(m_maxNanos, other.m_maxNanos);
    m_count += other.m_count;
}

void LatencyHistogram::reset()
{
    std::fill(m_counts.begin(), m_counts.end(), 0);
    m_count = 0;
    m_minNanos = 0;
    m_maxNanos = 0;
}

double LatencyHistogram::percentile(double percent) const
{
    if (m_count == 0) {
        return 0;
    }
    if (!(percent > 0)) {
        return min();
    }
    if (percent >= 100) {
        return max();
    }
    const auto target = std::clamp<std::int64_t>(
        std::int64_t(std::ceil(percent / 100 * double(m_count))), 1, m_count);
    std::int64_t seen = 0;
    for (int i = 0; i < CountsLength; ++i) {
        seen += m_counts[std::size_t(i)];
        if (seen >= target) {
            // The top of the sample's bucket, as HdrHistogram reports it; the exact extremes
            // bound it, since a bucket may be wider than the samples it holds.
            const std::int64_t nanos = highestEquivalentMicros(i) * 1000 + 999;
            return nanosToMillis(std::clamp(nanos, m_minNanos, m_maxNanos));
        }
    }
    return max();
}

double LatencyHistogram::max() const
{
    return nanosToMillis(m_maxNanos);
}

double LatencyHistogram::min() const
{
    return nanosToMillis(m_minNanos);
}

double LatencyHistogram::mean() const
{
    if (m_count == 0) {
        return 0;
    }
    double sum = 0;
    for (int i = 0; i < CountsLength; ++i) {
        if (const std::int64_t n = m_counts[std::size_t(i)]; n != 0) {
            const std::int64_t high = highestEquivalentMicros(i);
            const std::int64_t width = i < 2 * SubBucketHalfCount
                ? 1
                : std::int64_t(1) << ((i >> SubBucketHalfCountMagnitude) - 1);
            // Midpoint of the bucket, in µs, plus half a unit for the truncated nanoseconds.
            sum += double(n) * (double(high) - double(width - 1) / 2 + 0.5);
        }
    }
    return sum / double(m_count) / 1000;
}

} // namespace logdeck::loadgen
