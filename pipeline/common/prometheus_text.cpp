#include "common/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace logdeck::prometheus {

std::string formatValue(double value)
{
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    // Whole numbers below 2^53 are exact as integers: a count stays a count.
    if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0) {
        return std::to_string(static_cast<std::int64_t>(value));
    }
    std::array<char, 32> text {};
    const auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() ? std::string(text.data(), end) : std::string("NaN");
}

std::string formatValue(std::int64_t value)
{
    return std::to_string(value);
}

std::string formatValue(std::uint64_t value)
{
    return std::to_string(value);
}

std::string escapeLabelValue(std::string_view value)
{
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string TextWriter::labels(Labels labels)
{
    std::string out;
    for (const auto &[name, value] : labels) {
        if (!out.empty()) {
            out += ',';
        }
        out.append(name).append("=\"").append(escapeLabelValue(value)).append("\"");
    }
    return out;
}

void TextWriter::family(std::string_view name, std::string_view type, std::string_view help)
{
    m_text.append("# HELP ").append(name).append(" ").append(help).append("\n");
    m_text.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void TextWriter::sample(std::string_view name, const std::string &value)
{
    sample(name, std::string(), value);
}

void TextWriter::sample(std::string_view name, Labels labelPairs, const std::string &value)
{
    sample(name, labels(labelPairs), value);
}

void TextWriter::sample(std::string_view name, const std::string &labelText,
                        const std::string &value)
{
    m_text.append(name);
    if (!labelText.empty()) {
        m_text.append("{").append(labelText).append("}");
    }
    m_text.append(" ").append(value).append("\n");
}

void TextWriter::histogram(std::string_view name, const std::string &labelText,
                           std::span<const double> bounds, std::span<const std::uint64_t> counts,
                           double sumSeconds)
{
    const std::string bucket = std::string(name) + "_bucket";
    const std::string prefix = labelText.empty() ? std::string() : labelText + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        const std::string le = i < bounds.size() ? formatValue(bounds[i]) : "+Inf";
        sample(bucket, prefix + "le=\"" + le + "\"", formatValue(cumulative));
    }
    sample(std::string(name) + "_sum", labelText, formatValue(sumSeconds));
    sample(std::string(name) + "_count", labelText, formatValue(cumulative));
}

void DurationHistogram::observe(std::chrono::nanoseconds duration)
{
    const double seconds = std::chrono::duration<double>(duration).count();
    std::size_t bucket = 0;
    while (bucket < kBounds.size() && seconds > kBounds[bucket]) {
        ++bucket;
    }
    ++counts[bucket];
    sumSeconds += seconds;
}

void DurationHistogram::add(const DurationHistogram &other)
{
    for (std::size_t i = 0; i < counts.size(); ++i) {
        counts[i] += other.counts[i];
    }
    sumSeconds += other.sumSeconds;
}

namespace {

/// The fields of /proc/self/stat after the command name (field 3, the state, is [0]).
std::vector<std::string> statFields()
{
    std::ifstream file("/proc/self/stat");
    std::string line;
    std::getline(file, line);
    const auto close = line.rfind(')'); // the command name may hold spaces and parentheses
    if (close == std::string::npos) {
        return {};
    }
    std::istringstream rest(line.substr(close + 1));
    std::vector<std::string> fields;
    for (std::string field; rest >> field;) {
        fields.push_back(field);
    }
    return fields;
}

std::optional<double> bootTimeSeconds()
{
    std::ifstream file("/proc/stat");
    for (std::string line; std::getline(file, line);) {
        if (line.starts_with("btime ")) {
            return std::stod(line.substr(6));
        }
    }
    return std::nullopt;
}

std::optional<double> field(const std::vector<std::string> &fields, std::size_t index)
{
    if (index >= fields.size()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    const auto &text = fields[index];
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return static_cast<double>(value);
}

} // namespace

void appendProcessMetrics(TextWriter &out)
{
    const auto fields = statFields();
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double pageSize = static_cast<double>(::sysconf(_SC_PAGESIZE));
    // proc(5): utime 14, stime 15, starttime 22, vsize 23, rss 24; [0] is field 3.
    const auto utime = field(fields, 11);
    const auto stime = field(fields, 12);
    const auto start = field(fields, 19);
    const auto vsize = field(fields, 20);
    const auto rss = field(fields, 21);
    if (utime && stime && ticks > 0) {
        out.family("process_cpu_seconds_total", "counter",
                   "Total user and system CPU time spent in seconds.");
        out.sample("process_cpu_seconds_total", formatValue((*utime + *stime) / ticks));
    }
    if (rss && pageSize > 0) {
        out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        out.sample("process_resident_memory_bytes", formatValue(*rss * pageSize));
    }
    if (vsize) {
        out.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        out.sample("process_virtual_memory_bytes", formatValue(*vsize));
    }
    if (const auto boot = bootTimeSeconds(); boot && start && ticks > 0) {
        out.family("process_start_time_seconds", "gauge",
                   "Start time of the process since unix epoch in seconds.");
        out.sample("process_start_time_seconds", formatValue(*boot + *start / ticks));
    }
    std::error_code ec;
    std::int64_t fds = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
        ++fds;
    }
    if (!ec) {
        out.family("process_open_fds", "gauge", "Number of open file descriptors.");
        out.sample("process_open_fds", formatValue(fds));
    }
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        out.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
        out.sample("process_max_fds", formatValue(static_cast<std::uint64_t>(limit.rlim_cur)));
    }
}

} // namespace logdeck::prometheus
