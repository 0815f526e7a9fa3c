#include "collector/uuid7.h"

#include <array>
#include <chrono>
#include <random>

namespace logdeck::collector {

namespace {

std::uint64_t randomBits()
{
    // One generator per thread, seeded from the OS: ids need uniqueness, not secrecy.
    thread_local std::mt19937_64 generator {std::random_device {}()};
    return generator();
}

} // namespace

std::string makeUuid7(std::int64_t unixMillis)
{
    std::array<std::uint8_t, 16> bytes {};
    const auto millis = static_cast<std::uint64_t>(unixMillis);
    for (int i = 0; i < 6; ++i) {
        bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(millis >> (40 - 8 * i));
    }
    const std::uint64_t a = randomBits();
    const std::uint64_t b = randomBits();
    for (int i = 0; i < 2; ++i) {
        bytes[static_cast<std::size_t>(6 + i)] = static_cast<std::uint8_t>(a >> (8 * i));
    }
    for (int i = 0; i < 8; ++i) {
        bytes[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(b >> (8 * i));
    }
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x70); // version 7
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80); // variant 10
    static constexpr char hex[] = "0123456789abcdef";
    std::string text;
    text.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            text += '-';
        }
        text += hex[bytes[i] >> 4];
        text += hex[bytes[i] & 0x0F];
    }
    return text;
}

std::string makeUuid7()
{
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return makeUuid7(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

} // namespace logdeck::collector
