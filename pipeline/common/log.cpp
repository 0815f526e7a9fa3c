#include "common/log.h"

#include "common/time_format.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace logdeck::log {

namespace {

std::atomic<Level> g_level {Level::Info};
std::mutex g_writeMutex;

constexpr std::string_view levelName(Level level)
{
    switch (level) {
    case Level::Debug:
        return "debug";
    case Level::Info:
        return "info";
    case Level::Warn:
        return "warn";
    case Level::Error:
        return "error";
    case Level::Off:
        return "off";
    }
    return "info";
}

// logfmt: quote values with spaces, quotes or '='; escape quotes and newlines.
void appendValue(std::string &line, std::string_view value)
{
    const bool quote = value.empty() || value.find_first_of(" \"=\n\t") != std::string_view::npos;
    if (!quote) {
        line += value;
        return;
    }
    line += '"';
    for (const char c : value) {
        if (c == '"' || c == '\\') {
            line += '\\';
            line += c;
        } else if (c == '\n') {
            line += "\\n";
        } else {
            line += c;
        }
    }
    line += '"';
}

} // namespace

std::string utcTimestamp()
{
    return formatRfc3339(nowMillis());
}

void setLevel(Level level)
{
    g_level.store(level, std::memory_order_relaxed);
}

Level level()
{
    return g_level.load(std::memory_order_relaxed);
}

bool enabled(Level level)
{
    return level != Level::Off && level >= g_level.load(std::memory_order_relaxed);
}

Result<Level> parseLevel(std::string_view name)
{
    for (const Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error, Level::Off}) {
        if (name == levelName(l)) {
            return l;
        }
    }
    return fail(Error::invalid("unknown log level '" + std::string(name)
                               + "': use debug, info, warn, error or off"));
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields)
{
    if (!enabled(level)) {
        return;
    }
    std::string line =
        "ts=" + utcTimestamp() + " level=" + std::string(levelName(level)) + " event=";
    appendValue(line, event);
    for (const auto &[key, value] : fields) {
        line += ' ';
        line += key;
        line += '=';
        appendValue(line, value);
    }
    line += '\n';
    const std::lock_guard lock(g_writeMutex);
    std::fputs(line.c_str(), stderr);
}

} // namespace logdeck::log
