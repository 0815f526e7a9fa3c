#pragma once

#include <chrono>
#include <thread>

namespace logdeck::test {

/// Waits (bounded) until `condition` holds, polling every 100 ms; true when it does.
template<typename Condition>
bool waitFor(Condition condition, std::chrono::milliseconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return condition();
}

} // namespace logdeck::test
