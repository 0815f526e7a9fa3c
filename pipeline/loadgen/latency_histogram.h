#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace logdeck::loadgen {

/// A log-linear latency histogram in the manner of HdrHistogram: three significant digits
/// (a recorded value is off by at most 1/1024 of itself) from 1 µs to 60 s, in a fixed
/// 136 KiB of counts whatever the number of samples. Values above 60 s are counted as
/// 60 s; max() still reports the exact largest value. Not thread-safe: give each thread its
/// own histogram and merge() them.
class LatencyHistogram
{
public:
    LatencyHistogram();

    /// Adds one sample. Negative durations count as zero.
    void record(std::chrono::nanoseconds value);

    /// Adds every sample of `other` to this histogram.
    void merge(const LatencyHistogram &other);

    /// Forgets every sample.
    void reset();

    /// The number of samples recorded.
    std::int64_t count() const { return m_count; }

    /// The value, in milliseconds, below or at which `percent` percent of the samples lie
    /// (0..100; 50 is the median). Within the histogram's precision, never above max().
    /// 0 when the histogram is empty.
    double percentile(double percent) const;

    /// The largest sample in milliseconds, exactly as recorded; 0 when empty.
    double max() const;

    /// The smallest sample in milliseconds, exactly as recorded; 0 when empty.
    double min() const;

    /// The arithmetic mean in milliseconds, from the bucketed values; 0 when empty.
    double mean() const;

    /// The largest value the histogram tells apart from its neighbours (60 s).
    static constexpr std::chrono::microseconds highestTrackable()
    {
        return std::chrono::seconds(60);
    }

private:
    static int countsIndex(std::int64_t micros);
    static std::int64_t highestEquivalentMicros(int index);

    std::vector<std::int64_t> m_counts;
    std::int64_t m_count = 0;
    std::int64_t m_minNanos = 0;
    std::int64_t m_maxNanos = 0;
};

} // namespace logdeck::loadgen
