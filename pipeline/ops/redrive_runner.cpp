#include "ops/redrive_runner.h"

#include "common/log.h"
#include "common/thread_name.h"
#include "common/time_format.h"
#include "kafka/partition_scan.h"
#include "kafka/producer.h"
#include "ops/redrive.h"
#include "store/audit_log.h"
#include "store/database.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

namespace logdeck::ops {

namespace {

using namespace std::chrono_literals;
namespace state = redrive_state;

constexpr std::int64_t kLeaseMs = 10000; // renewed every second while the task runs
constexpr auto kLeaseRenewal = 1s;
constexpr int kChunkSize = 500; // items read from the DLQ at a time: bounds memory
constexpr int kMaxConsecutiveFailures = 20;
constexpr auto kAckTimeout = 60s;
constexpr auto kReadTimeout = 30s;
constexpr auto kLongestSleep = 100ms; // so pause, cancel and stop are seen promptly

/// Produces `records` and waits for every delivery report, in order.
std::vector<kafka::DeliveryReport> produceAndWait(kafka::Producer &producer,
                                                  const std::vector<kafka::OutgoingRecord> &records)
{
    struct Acks
    {
        std::mutex mutex;
        std::condition_variable done;
        std::size_t outstanding = 0;
        std::vector<kafka::DeliveryReport> reports;
    };
    // Shared: a report that comes after the timeout must not touch a dead frame.
    auto acks = std::make_shared<Acks>();
    acks->reports.resize(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        {
            const std::lock_guard lock(acks->mutex);
            ++acks->outstanding;
        }
        auto queued = producer.produce(records[i], [acks, i](const kafka::DeliveryReport &r) {
            const std::lock_guard lock(acks->mutex);
            acks->reports[i] = r;
            if (--acks->outstanding == 0) {
                acks->done.notify_all();
            }
        });
        if (!queued) {
            const std::lock_guard lock(acks->mutex);
            --acks->outstanding;
            acks->reports[i].error = queued.error();
        }
    }
    std::unique_lock lock(acks->mutex);
    if (!acks->done.wait_for(lock, kAckTimeout, [&] { return acks->outstanding == 0; })) {
        for (auto &report : acks->reports) {
            if (!report.error && report.offset < 0) {
                report.error = Error::timeout("no acknowledgement from the broker in time");
                report.possiblyPersisted = true;
            }
        }
    }
    return acks->reports;
}

/// One run of one task: its database, its lease and its rate.
class TaskRun
{
public:
    TaskRun(const RedriveRunnerOptions &options, std::string taskId, store::Database &db,
            const std::atomic<bool> &stop)
        : m_options(options)
        , m_taskId(std::move(taskId))
        , m_tasks(db)
        , m_stop(stop)
    {
    }

    Result<store::RedriveTaskRow> run(bool waitWhilePaused)
    {
        auto claimed = m_tasks.claim(m_taskId, m_options.runnerId, nowMillis(), kLeaseMs);
        if (!claimed) {
            return fail(claimed.error());
        }
        if (!*claimed) {
            return fail(
                Error::unavailable("redrive task " + m_taskId + " is being run by another runner"));
        }
        auto result = loop(waitWhilePaused);
        (void)m_tasks.release(m_taskId, m_options.runnerId);
        return result;
    }

private:
    Result<store::RedriveTaskRow> current()
    {
        auto row = m_tasks.task(m_taskId);
        if (!row) {
            return fail(row.error());
        }
        if (!*row) {
            return fail(Error::notFound("no redrive task '" + m_taskId + "'"));
        }
        return **row;
    }

    Result<store::RedriveTaskRow> loop(bool waitWhilePaused)
    {
        auto row = current();
        if (!row) {
            return row;
        }
        auto spec = RedriveSpec::fromJson(row->spec);
        if (!spec) {
            return fail(spec.error());
        }
        m_force = spec->force;
        m_redrivenBy = row->createdBy;
        const double burst = std::max(1.0, std::floor(spec->ratePerSecond / 10));
        m_batchLimit = static_cast<int>(burst);
        TokenBucket bucket(spec->ratePerSecond, burst);
        auto lastLease = std::chrono::steady_clock::now();
        int consecutiveFailures = 0;
        for (;;) {
            row = current();
            if (!row || m_stop) {
                return row;
            }
            if (std::chrono::steady_clock::now() - lastLease >= kLeaseRenewal) {
                auto renewed = m_tasks.claim(m_taskId, m_options.runnerId, nowMillis(), kLeaseMs);
                if (!renewed) {
                    return fail(renewed.error());
                }
                if (!*renewed) {
                    return fail(Error::unavailable("redrive task " + m_taskId
                                                   + " was taken over by another runner"));
                }
                lastLease = std::chrono::steady_clock::now();
            }
            if (row->state == state::kPending) {
                // New, or resumed: this runner holds the lease, so it runs it.
                if (auto started = m_tasks.transition(m_taskId, {state::kPending}, state::kRunning);
                    !started) {
                    return fail(started.error());
                }
                continue;
            }
            if (row->state == state::kPaused) {
                if (!waitWhilePaused) {
                    return row;
                }
                std::this_thread::sleep_for(
                    std::min<std::chrono::milliseconds>(m_options.idlePoll, kLongestSleep));
                continue;
            }
            if (row->state != state::kRunning) {
                return row; // completed, cancelled or failed
            }
            if (m_chunk.empty()) {
                auto loaded = loadChunk();
                if (!loaded) {
                    return fail(loaded.error());
                }
                if (m_chunk.empty()) {
                    if (auto done =
                            m_tasks.transition(m_taskId, {state::kRunning}, state::kCompleted);
                        !done) {
                        return fail(done.error());
                    }
                    return current();
                }
                continue;
            }
            const int granted = bucket.take(std::min<int>(m_batchLimit, m_chunk.size()));
            if (granted == 0) {
                std::this_thread::sleep_for(
                    std::min<std::chrono::milliseconds>(bucket.timeUntilNext(), kLongestSleep));
                continue;
            }
            auto moved = moveBatch(granted, bucket);
            if (!moved) {
                return fail(moved.error());
            }
            consecutiveFailures = *moved ? 0 : consecutiveFailures + m_lastBatchFailures;
            if (consecutiveFailures >= kMaxConsecutiveFailures) {
                (void)m_tasks.transition(m_taskId, {state::kRunning}, state::kFailed,
                                         "stopped after " + std::to_string(consecutiveFailures)
                                             + " failed produces in a row: " + m_lastError
                                             + "; `dlq resume` tries the rest again");
                return current();
            }
            if (m_options.onProgress) {
                if (auto now = current()) {
                    m_options.onProgress(*now);
                }
            }
        }
    }

    /// The next pending items and their records, read from the DLQ a partition at a time.
    Result<void> loadChunk()
    {
        auto items = m_tasks.pendingItems(m_taskId, kChunkSize);
        if (!items) {
            return fail(items.error());
        }
        std::map<kafka::TopicPartition, std::pair<std::int64_t, std::int64_t>> spans;
        std::set<kafka::TopicPartitionOffset> wanted;
        for (const auto &item : *items) {
            const kafka::TopicPartition tp {item.dlqTopic, item.dlqPartition};
            auto [span, fresh] = spans.try_emplace(tp, item.dlqOffset, item.dlqOffset + 1);
            span->second.first = std::min(span->second.first, item.dlqOffset);
            span->second.second = std::max(span->second.second, item.dlqOffset + 1);
            wanted.insert({item.dlqTopic, item.dlqPartition, item.dlqOffset});
        }
        m_letters.clear();
        for (const auto &[tp, span] : spans) {
            auto scanned = kafka::scanPartition(
                m_options.cluster, {tp, span.first, span.second},
                [&](const kafka::ConsumedRecord &record) {
                    const kafka::TopicPartitionOffset at {record.topic, record.partition,
                                                          record.offset};
                    if (wanted.contains(at)) {
                        m_letters.emplace(at, decodeDeadLetter(record));
                    }
                },
                kReadTimeout);
            if (!scanned) {
                return fail(scanned.error());
            }
        }
        for (auto &item : *items) {
            if (m_letters.contains({item.dlqTopic, item.dlqPartition, item.dlqOffset})) {
                m_chunk.push_back(std::move(item));
            } else if (auto recorded = m_tasks.recordOutcome(
                           item, "failed", "the record is no longer in the topic (retention?)");
                       !recorded) {
                return fail(recorded.error());
            }
        }
        return {};
    }

    /// Moves up to `count` items; returns whether any record was acknowledged (or none was
    /// tried: skips only).
    Result<bool> moveBatch(int count, TokenBucket &bucket)
    {
        std::vector<store::RedriveItemRow> batch;
        std::vector<kafka::OutgoingRecord> records;
        std::vector<int> redriveCounts;
        const std::int64_t now = nowMillis();
        for (int i = 0; i < count && !m_chunk.empty(); ++i) {
            store::RedriveItemRow item = std::move(m_chunk.front());
            m_chunk.pop_front();
            const kafka::TopicPartitionOffset at {item.dlqTopic, item.dlqPartition, item.dlqOffset};
            // The ledger, not the plan: another task may have redriven it since.
            auto previous = m_tasks.redriveCount(item.dlqTopic, item.dlqPartition, item.dlqOffset);
            if (!previous) {
                return fail(previous.error());
            }
            if (*previous > 0 && !m_force) {
                bucket.giveBack(1);
                auto recorded =
                    m_tasks.recordOutcome(item, "skipped",
                                          "already redriven " + std::to_string(*previous)
                                              + " time(s); --force redrives "
                                                "it again");
                if (!recorded) {
                    return fail(recorded.error());
                }
                continue;
            }
            const DeadLetter &letter = m_letters.at(at);
            records.push_back({item.targetTopic, std::nullopt, letter.tenant, letter.value,
                               redriveHeaders(letter, letter.redriveCount + *previous + 1,
                                              m_redrivenBy, now, m_taskId),
                               0, letter.valueIsNull}); // a tombstone stays one
            redriveCounts.push_back(*previous + 1);
            batch.push_back(std::move(item));
        }
        m_lastBatchFailures = 0;
        if (batch.empty()) {
            return true;
        }
        kafka::Producer *out = producer();
        if (out == nullptr) {
            return fail(Error::unavailable("cannot create a producer: " + m_createError));
        }
        const auto reports = produceAndWait(*out, records);
        std::vector<store::RedriveRecord> moves;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const auto &item = batch[i];
            const auto &report = reports[i];
            if (report.error) {
                ++m_lastBatchFailures;
                m_lastError = report.error->message;
                auto recorded = m_tasks.recordOutcome(item, "failed",
                                                      "produce failed: " + report.error->message);
                if (!recorded) {
                    return fail(recorded.error());
                }
                continue;
            }
            moves.push_back({item.dlqTopic, item.dlqPartition, item.dlqOffset, redriveCounts[i],
                             m_taskId, item.eventId, item.tenant, item.failingGroup, report.topic,
                             report.partition, report.offset, m_redrivenBy, now});
        }
        if (auto recorded = m_tasks.recordMoves(m_taskId, moves); !recorded) {
            // The records are on the target but not in the ledger: a rerun may send them again.
            log::warn("redrive.ledger_write_failed",
                      {{"task", m_taskId}, {"error", recorded.error().message}});
            return fail(recorded.error());
        }
        return !moves.empty();
    }

    kafka::Producer *producer()
    {
        if (!m_producer) {
            kafka::ClientSettings settings = m_options.cluster;
            settings.try_emplace("message.timeout.ms", "30000");
            auto created = kafka::Producer::create(settings);
            if (created) {
                m_producer = std::move(*created);
            } else {
                m_createError = created.error().message;
            }
        }
        return m_producer.get();
    }

    const RedriveRunnerOptions &m_options;
    std::string m_taskId;
    store::RedriveStore m_tasks;
    const std::atomic<bool> &m_stop;
    bool m_force = false;
    std::string m_redrivenBy;
    int m_batchLimit = 1;
    std::deque<store::RedriveItemRow> m_chunk;
    std::map<kafka::TopicPartitionOffset, DeadLetter> m_letters;
    std::unique_ptr<kafka::Producer> m_producer;
    std::string m_createError;
    int m_lastBatchFailures = 0;
    std::string m_lastError;
};

} // namespace

TokenBucket::TokenBucket(double ratePerSecond, double burst)
    : m_rate(ratePerSecond)
    , m_burst(std::max(1.0, burst))
{
}

void TokenBucket::refill(Clock::time_point now)
{
    const double elapsed = std::chrono::duration<double>(now - m_last).count();
    if (elapsed > 0) {
        m_tokens = std::min(m_burst, m_tokens + elapsed * m_rate);
        m_last = now;
    }
}

int TokenBucket::take(int wanted, Clock::time_point now)
{
    refill(now);
    const int granted = std::min(wanted, static_cast<int>(std::floor(m_tokens)));
    if (granted <= 0) {
        return 0;
    }
    m_tokens -= granted;
    return granted;
}

std::chrono::milliseconds TokenBucket::timeUntilNext(Clock::time_point now) const
{
    const double elapsed = std::chrono::duration<double>(now - m_last).count();
    const double missing = 1.0 - std::min(m_burst, m_tokens + elapsed * m_rate);
    if (missing <= 0) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(missing / m_rate * 1000)));
}

void TokenBucket::giveBack(int tokens)
{
    m_tokens = std::min(m_burst, m_tokens + tokens);
}

Result<store::RedriveTaskRow> runRedriveTask(const RedriveRunnerOptions &options,
                                             const std::string &taskId,
                                             const std::atomic<bool> &stop, bool waitWhilePaused)
{
    auto db = store::Database::open(store::Database::pathIn(options.dataDir));
    if (!db) {
        return fail(db.error());
    }
    TaskRun run(options, taskId, **db, stop);
    return run.run(waitWhilePaused);
}

std::string foregroundRunnerId(const std::string &program)
{
    return program + "-" + store::AuditLog::currentHost() + "-" + std::to_string(::getpid());
}

Result<store::RedriveTaskRow> runRedriveTaskHere(const RedriveRunnerOptions &options,
                                                 const std::string &taskId,
                                                 const std::atomic<bool> &stop,
                                                 bool waitWhilePaused)
{
    auto left = runRedriveTask(options, taskId, stop, waitWhilePaused);
    if (!left || !stop || isFinishedRedriveState(left->state)) {
        return left;
    }
    auto db = store::Database::open(store::Database::pathIn(options.dataDir));
    if (!db) {
        return fail(db.error());
    }
    // Paused from running or pending; a task paused meanwhile stays as it is.
    if (auto paused = pauseRedriveTask(**db, taskId); paused) {
        return *paused;
    }
    auto now = store::RedriveStore(**db).task(taskId);
    if (!now) {
        return fail(now.error());
    }
    return now->value_or(*left);
}

struct RedriveRunner::Impl
{
    RedriveRunnerOptions options;
    std::atomic<bool> stopping {false};
    std::mutex mutex;
    std::condition_variable wakeUp;
    bool woken = false;
    std::thread thread;

    void loop()
    {
        auto db = store::Database::open(store::Database::pathIn(options.dataDir));
        if (!db) {
            log::warn("redrive.runner_failed", {{"error", db.error().message}});
            return;
        }
        store::RedriveStore tasks(**db);
        while (!stopping) {
            auto ids = tasks.runnableTaskIds();
            if (!ids) {
                log::warn("redrive.tasks_unreadable", {{"error", ids.error().message}});
            }
            for (const auto &id : ids ? *ids : std::vector<std::string>()) {
                if (stopping) {
                    break;
                }
                auto ran = runRedriveTask(options, id, stopping, false);
                if (ran) {
                    log::info("redrive.task_left",
                              {{"task", id},
                               {"state", ran->state},
                               {"moved", std::to_string(ran->moved)},
                               {"total", std::to_string(ran->total)}});
                } else if (ran.error().code != Error::Code::Unavailable) {
                    log::warn("redrive.task_failed",
                              {{"task", id}, {"error", ran.error().message}});
                }
            }
            std::unique_lock lock(mutex);
            wakeUp.wait_for(lock, options.idlePoll, [&] { return woken || stopping.load(); });
            woken = false;
        }
    }
};

RedriveRunner::RedriveRunner(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

Result<std::unique_ptr<RedriveRunner>> RedriveRunner::start(RedriveRunnerOptions options)
{
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    std::unique_ptr<RedriveRunner> runner(new RedriveRunner(std::move(impl)));
    runner->d->thread = std::thread([raw = runner->d.get()] {
        nameThisThread("ld-redrive");
        raw->loop();
    });
    return runner;
}

RedriveRunner::~RedriveRunner()
{
    stop();
}

void RedriveRunner::wake()
{
    const std::lock_guard lock(d->mutex);
    d->woken = true;
    d->wakeUp.notify_all();
}

void RedriveRunner::stop()
{
    {
        const std::lock_guard lock(d->mutex);
        d->stopping = true;
        d->wakeUp.notify_all();
    }
    if (d->thread.joinable()) {
        d->thread.join();
    }
}

} // namespace logdeck::ops
