#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "store/redrive_store.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace logdeck::ops {

/// Allows `ratePerSecond` on average and at most `burst` at once: over any interval of t
/// seconds at most burst + rate·t are taken.
class TokenBucket
{
public:
    using Clock = std::chrono::steady_clock;

    TokenBucket(double ratePerSecond, double burst);

    /// Takes up to `wanted` whole tokens if at least one is there; returns how many (0:
    /// none yet, see timeUntilNext).
    int take(int wanted, Clock::time_point now = Clock::now());

    /// How long until one token is there.
    std::chrono::milliseconds timeUntilNext(Clock::time_point now = Clock::now()) const;

    /// Gives back tokens taken but not used (a skipped record moves nothing).
    void giveBack(int tokens);

private:
    void refill(Clock::time_point now);

    double m_rate;
    double m_burst;
    double m_tokens = 1;
    Clock::time_point m_last = Clock::now();
};

/// Where a redrive runner works, and under which name it holds task leases.
struct RedriveRunnerOptions
{
    kafka::ClientSettings cluster;
    std::string dataDir; ///< the engine database DATA/logdeck.db holds the tasks
    std::string runnerId; ///< unique per process: the engine instance, or "cli-<host>-<pid>"
    std::chrono::milliseconds idlePoll {500}; ///< how often a waiting runner looks again
    /// Called after each batch with the task as stored (on the runner's thread).
    std::function<void(const store::RedriveTaskRow &)> onProgress;
};

/// Runs one redrive task in the calling thread until it completes, fails, is cancelled,
/// is paused (or, with `waitWhilePaused`, until it is resumed), or `stop` is set (the task
/// then stays running for the next runner). Each record is produced, and only once the
/// broker acknowledged it are its ledger row written and its item marked moved, batch by
/// batch at the task's rate. Returns the task as it was left. Unavailable when another
/// runner holds the task's lease.
Result<store::RedriveTaskRow> runRedriveTask(const RedriveRunnerOptions &options,
                                             const std::string &taskId,
                                             const std::atomic<bool> &stop, bool waitWhilePaused);

/// The runner id of a process that runs tasks itself, e.g. "cli-<host>-<pid>".
std::string foregroundRunnerId(const std::string &program);

/// Runs the task in this process because no engine runs on the data directory (`dlq
/// redrive --execute`, `dlq resume`, the console attached): runRedriveTask, except that a
/// stop pauses the task if it is not finished, so that none is left running without a
/// runner (resuming it goes on). Returns the task as stored at the end.
Result<store::RedriveTaskRow> runRedriveTaskHere(const RedriveRunnerOptions &options,
                                                 const std::string &taskId,
                                                 const std::atomic<bool> &stop,
                                                 bool waitWhilePaused);

/// The engine's redrive worker: one thread that runs the pending and running tasks of the
/// data directory one at a time, oldest first, picking them up again after a restart.
class RedriveRunner
{
public:
    static Result<std::unique_ptr<RedriveRunner>> start(RedriveRunnerOptions options);
    ~RedriveRunner();
    RedriveRunner(const RedriveRunner &) = delete;
    RedriveRunner &operator=(const RedriveRunner &) = delete;

    /// Looks for new tasks now rather than at the next poll.
    void wake();

    /// Stops after the batch in hand; running tasks stay running for the next start.
    void stop();

private:
    struct Impl;
    explicit RedriveRunner(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace logdeck::ops
