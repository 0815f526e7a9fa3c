#pragma once

#include "common/result.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace logdeck::log {

enum class Level { Debug, Info, Warn, Error, Off };

/// One key=value pair of a structured log line.
using Field = std::pair<std::string_view, std::string>;

/// Structured logging to stderr, one logfmt line per event
/// (`ts=... level=info event=engine.started bootstrap=127.0.0.1:9092`), safe from any thread.
void setLevel(Level level);
Level level();
bool enabled(Level level);
Result<Level> parseLevel(std::string_view name);

/// The current time as RFC 3339 UTC with milliseconds, e.g. 2026-11-26T15:04:05.123Z.
std::string utcTimestamp();

void write(Level level, std::string_view event, std::initializer_list<Field> fields = {});
inline void debug(std::string_view event, std::initializer_list<Field> fields = {})
{
    write(Level::Debug, event, fields);
}
inline void info(std::string_view event, std::initializer_list<Field> fields = {})
{
    write(Level::Info, event, fields);
}
inline void warn(std::string_view event, std::initializer_list<Field> fields = {})
{
    write(Level::Warn, event, fields);
}
inline void error(std::string_view event, std::initializer_list<Field> fields = {})
{
    write(Level::Error, event, fields);
}

} // namespace logdeck::log
