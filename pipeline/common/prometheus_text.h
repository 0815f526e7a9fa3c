#pragma once
// Prometheus text exposition format 0.0.4: value formatting, label escaping, families and
// their samples, histograms from bucket counts, and the process metrics every Prometheus
// client library exports.

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace logdeck::prometheus {

/// A sample value as Prometheus reads it back exactly: integers as integers, other values
/// in their shortest round-trippable form, NaN and infinities as "NaN", "+Inf", "-Inf".
std::string formatValue(double value);
std::string formatValue(std::int64_t value);
std::string formatValue(std::uint64_t value);

/// `value` escaped for a label value: backslash, double quote and newline.
std::string escapeLabelValue(std::string_view value);

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// Builds one exposition: each family's HELP and TYPE once, then its samples.
class TextWriter
{
public:
    /// Starts a family; `type` is counter, gauge, histogram or untyped.
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, const std::string &value);
    void sample(std::string_view name, Labels labels, const std::string &value);
    void sample(std::string_view name, const std::string &labels, const std::string &value);

    /// One histogram series: `counts` per bucket (not cumulative), one more than `bounds`
    /// (the last is +Inf); `labels` already formatted (`a="x",b="y"`) or empty.
    void histogram(std::string_view name, const std::string &labels,
                   std::span<const double> bounds, std::span<const std::uint64_t> counts,
                   double sumSeconds);

    /// Formats labels as `a="x",b="y"`, values escaped.
    static std::string labels(Labels labels);

    std::string &text() { return m_text; }

private:
    std::string m_text;
};

/// A plain (not thread-safe) duration histogram for a snapshot struct updated under its
/// owner's lock: a group's batch durations.
struct DurationHistogram
{
    /// Upper bounds in seconds: 1 ms to 60 s.
    static constexpr std::array<double, 14> kBounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05,  0.1,    0.25,  0.5,  1.0,
                                                       2.5,   5.0,    10.0,  60.0};
    std::array<std::uint64_t, kBounds.size() + 1> counts {}; ///< the last is +Inf
    double sumSeconds = 0;

    void observe(std::chrono::nanoseconds duration);
    void add(const DurationHistogram &other); ///< bucket by bucket
};

/// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
/// process_start_time_seconds, process_open_fds and process_max_fds of this process, read
/// from /proc/self; a value /proc does not give is left out.
void appendProcessMetrics(TextWriter &out);

} // namespace logdeck::prometheus
