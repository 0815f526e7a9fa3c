#pragma once

#include <atomic>
#include <csignal>

namespace logdeck::cli {

/// Set by SIGINT or SIGTERM while a StopSignals lives.
inline std::atomic<bool> g_stopRequested {false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" inline void requestStop(int)
{
    g_stopRequested.store(true);
}

/// Routes SIGINT and SIGTERM to g_stopRequested for as long as it lives. SA_RESETHAND: a
/// second Ctrl+C ends the process at once if stopping takes too long for the user.
class StopSignals
{
public:
    StopSignals()
    {
        g_stopRequested.store(false);
        struct sigaction action = {};
        action.sa_handler = requestStop;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        sigaction(SIGINT, &action, &m_previousInt);
        sigaction(SIGTERM, &action, &m_previousTerm);
    }
    ~StopSignals()
    {
        sigaction(SIGINT, &m_previousInt, nullptr);
        sigaction(SIGTERM, &m_previousTerm, nullptr);
    }
    StopSignals(const StopSignals &) = delete;
    StopSignals &operator=(const StopSignals &) = delete;

private:
    struct sigaction m_previousInt = {};
    struct sigaction m_previousTerm = {};
};

} // namespace logdeck::cli
