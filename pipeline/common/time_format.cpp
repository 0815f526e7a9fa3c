#include "common/time_format.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace logdeck {

namespace {

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool readDigits(std::string_view text, std::size_t &pos, std::size_t count, int &value)
{
    if (pos + count > text.size()) {
        return false;
    }
    value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    pos += count;
    return true;
}

bool expect(std::string_view text, std::size_t &pos, char c)
{
    if (pos < text.size() && text[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

bool isLeap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

} // namespace

std::int64_t nowMillis()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string formatRfc3339(std::int64_t unixMillis)
{
    // Years 1970 to 9999 without snprintf: the collector formats times for every event.
    constexpr std::int64_t kYear10000 = 253402300800000; // 10000-01-01T00:00:00Z
    if (unixMillis >= 0 && unixMillis < kYear10000) {
        const std::int64_t days = unixMillis / 86400000;
        const auto msOfDay = static_cast<int>(unixMillis % 86400000);
        // Howard Hinnant's civil_from_days.
        const std::int64_t z = days + 719468;
        const std::int64_t era = z / 146097;
        const auto doe = static_cast<unsigned>(z - era * 146097);
        const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        const unsigned mp = (5 * doy + 2) / 153;
        const unsigned day = doy - (153 * mp + 2) / 5 + 1;
        const unsigned month = mp < 10 ? mp + 3 : mp - 9;
        const auto year = static_cast<unsigned>(yoe + era * 400 + (month <= 2 ? 1 : 0));
        std::string text(24, '0');
        const auto put = [&text](std::size_t at, unsigned value, int width) {
            for (int i = width - 1; i >= 0; --i) {
                text[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
                value /= 10;
            }
        };
        put(0, year, 4);
        text[4] = '-';
        put(5, month, 2);
        text[7] = '-';
        put(8, day, 2);
        text[10] = 'T';
        put(11, static_cast<unsigned>(msOfDay / 3600000), 2);
        text[13] = ':';
        put(14, static_cast<unsigned>(msOfDay / 60000 % 60), 2);
        text[16] = ':';
        put(17, static_cast<unsigned>(msOfDay / 1000 % 60), 2);
        text[19] = '.';
        put(20, static_cast<unsigned>(msOfDay % 1000), 3);
        text[23] = 'Z';
        return text;
    }
    const std::chrono::sys_time<std::chrono::milliseconds> time {
        std::chrono::milliseconds(unixMillis)};
    const auto days = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day date {days};
    const std::chrono::hh_mm_ss clock {time - days};
    char text[32];
    std::snprintf(
        text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
        static_cast<int>(clock.seconds().count()), static_cast<int>(clock.subseconds().count()));
    return text;
}

std::optional<std::int64_t> parseRfc3339(std::string_view text)
{
    std::size_t pos = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!readDigits(text, pos, 4, year) || !expect(text, pos, '-')
        || !readDigits(text, pos, 2, month) || !expect(text, pos, '-')
        || !readDigits(text, pos, 2, day)) {
        return std::nullopt;
    }
    if (!(expect(text, pos, 'T') || expect(text, pos, 't') || expect(text, pos, ' '))) {
        return std::nullopt;
    }
    if (!readDigits(text, pos, 2, hour) || !expect(text, pos, ':')
        || !readDigits(text, pos, 2, minute) || !expect(text, pos, ':')
        || !readDigits(text, pos, 2, second)) {
        return std::nullopt;
    }
    static constexpr int monthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1
        || day > monthDays[month - 1] + (month == 2 && isLeap(year) ? 1 : 0) || hour > 23
        || minute > 59 || second > 60) {
        return std::nullopt;
    }
    int millis = 0;
    if (expect(text, pos, '.')) {
        const std::size_t start = pos;
        int scale = 100;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            millis += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start) {
            return std::nullopt;
        }
    }
    int offsetMinutes = 0;
    if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
        // UTC
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        int offsetHours = 0;
        int offsetMins = 0;
        if (!readDigits(text, pos, 2, offsetHours) || !expect(text, pos, ':')
            || !readDigits(text, pos, 2, offsetMins) || offsetHours > 23 || offsetMins > 59) {
            return std::nullopt;
        }
        offsetMinutes = sign * (offsetHours * 60 + offsetMins);
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }
    if (second == 60) {
        // A leap second, which Unix time cannot name: the minute's last millisecond keeps it
        // after every other instant of that minute.
        second = 59;
        millis = 999;
    }
    const std::int64_t days =
        daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const std::int64_t seconds =
        days * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
    return seconds * 1000 + millis;
}

std::optional<std::int64_t> parseTimePoint(std::string_view text, std::int64_t nowMs)
{
    if (const auto absolute = parseRfc3339(text)) {
        return absolute;
    }
    if (text.size() < 2) {
        return std::nullopt;
    }
    std::int64_t unitMs = 0;
    switch (text.back()) {
    case 's':
        unitMs = 1000;
        break;
    case 'm':
        unitMs = 60 * 1000;
        break;
    case 'h':
        unitMs = 3600 * 1000;
        break;
    case 'd':
        unitMs = 86400 * 1000;
        break;
    case 'w':
        unitMs = 7 * 86400 * 1000;
        break;
    default:
        return std::nullopt;
    }
    std::int64_t amount = 0;
    const std::string_view digits = text.substr(0, text.size() - 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), amount);
    if (ec != std::errc() || end != digits.data() + digits.size() || amount < 0
        || amount > 100 * 365 * 86400000LL / unitMs) {
        return std::nullopt;
    }
    return nowMs - amount * unitMs;
}

} // namespace logdeck
