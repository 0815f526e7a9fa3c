#include "collector/outbox_relay.h"

#include "common/log.h"
#include "common/thread_name.h"
#include "common/time_format.h"
#include "kafka/producer.h"
#include "store/database.h"
#include "store/outbox.h"

#include <vector>

namespace logdeck::collector {

namespace {
constexpr const char *kLeaseName = "outbox-relay";
constexpr std::chrono::milliseconds kLeaseTtl {10000};
/// How often the relay's checkpointer copies the WAL into the database.
constexpr std::chrono::milliseconds kCheckpointInterval {250};
/// A WAL frame: a 4 KiB page and its 24-byte header.
constexpr std::int64_t kWalFrameBytes = 4096 + 24;
} // namespace

struct OutboxRelay::Impl
{
    Options options;
    kafka::Producer &producer;
    DeliveredHandler onDelivered;
    std::unique_ptr<store::Database> db;
    std::unique_ptr<store::Outbox> outbox;
    std::atomic<std::int64_t> *depth = nullptr;
    std::atomic<std::int64_t> oldestCreatedAtMs {0};

    std::unique_ptr<store::Database> checkpointDb;
    std::atomic<bool> walRestartWanted {false};

    std::mutex mutex;
    std::condition_variable wakeUp;
    std::condition_variable stopWake; ///< the checkpointer's
    bool woken = false;
    bool stopping = false;
    std::thread thread;
    std::thread checkpointer;

    Impl(Options o, kafka::Producer &p, DeliveredHandler handler)
        : options(std::move(o))
        , producer(p)
        , onDelivered(std::move(handler))
    {
    }

    /// Sleeps until woken, stopped, or `timeout`; returns false when stopping.
    bool waitFor(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(mutex);
        wakeUp.wait_for(lock, timeout, [&] { return woken || stopping; });
        woken = false;
        return !stopping;
    }

    bool isStopping()
    {
        const std::lock_guard lock(mutex);
        return stopping;
    }

    /// Reads the rows waiting and the oldest one's age (two index lookups each).
    void refreshGauges()
    {
        if (auto rows = outbox->depth()) {
            depth->store(*rows, std::memory_order_relaxed);
        }
        if (auto oldest = outbox->oldestCreatedAtMs()) {
            oldestCreatedAtMs.store(oldest->value_or(0), std::memory_order_relaxed);
        }
    }

    /// Sends `rows` and returns how many from the front were acknowledged in a row.
    std::size_t publish(const std::vector<store::OutboxRecord> &rows)
    {
        struct Acks
        {
            std::mutex mutex;
            std::condition_variable done;
            std::vector<int> state; // 0 waiting, 1 acknowledged, -1 failed
            std::size_t outstanding = 0;
        };
        auto acks = std::make_shared<Acks>();
        acks->state.assign(rows.size(), 0);
        std::size_t sent = 0;
        for (; sent < rows.size(); ++sent) {
            const auto &row = rows[sent];
            {
                const std::lock_guard lock(acks->mutex);
                ++acks->outstanding;
            }
            auto queued = producer.produce(
                {row.topic, std::nullopt, row.key, row.value, row.headers, row.createdAtMs},
                [acks, sent](const kafka::DeliveryReport &report) {
                    const std::lock_guard lock(acks->mutex);
                    acks->state[sent] = report.error ? -1 : 1;
                    if (--acks->outstanding == 0) {
                        acks->done.notify_all();
                    }
                });
            if (!queued) {
                const std::lock_guard lock(acks->mutex);
                --acks->outstanding;
                break; // the local queue is full or the broker unknown: retry from here later
            }
        }
        std::unique_lock lock(acks->mutex);
        acks->done.wait_for(lock, options.ackTimeout, [&] { return acks->outstanding == 0; });
        std::size_t prefix = 0;
        while (prefix < sent && acks->state[prefix] == 1) {
            ++prefix;
        }
        return prefix;
    }

    /// Copies the WAL into the database every kCheckpointInterval, on its own thread and
    /// connection. The collector's writer never checkpoints on its own (its connection and
    /// the relay's have wal_autocheckpoint=0): a checkpoint's fsyncs took up to 280 ms there,
    /// and every spilled request waited behind them. Nor does the relay's loop: while Kafka is
    /// down it waits seconds in each publish, and the checkpoint after it had a big WAL to
    /// sync beside the writer's appends (docs/profiles.md, broker outage). PASSIVE never
    /// blocks the writer's commits, but it never catches up with a writer that commits every
    /// few hundred µs either, and SQLite starts the WAL over only once all of it is copied:
    /// so past walRestartBytes it asks the writer to finish the job (takeWalRestart).
    void checkpointLoop()
    {
        while (waitForStop(kCheckpointInterval)) {
            auto done = checkpointDb->checkpointWal();
            if (!done) {
                log::warn("collector.relay.checkpoint_failed", {{"error", done.error().message}});
            } else if (*done
                       && (*done)->walFrames * kWalFrameBytes > options.walRestartBytes) {
                walRestartWanted.store(true, std::memory_order_relaxed);
            }
        }
    }

    /// Sleeps `timeout` unless stopped; returns false when stopping. (Not woken by wake().)
    bool waitForStop(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(mutex);
        stopWake.wait_for(lock, timeout, [&] { return stopping; });
        return !stopping;
    }

    void run()
    {
        bool leased = false;
        auto leaseRenewedAt = std::chrono::steady_clock::time_point {};
        std::int64_t afterId = 0;
        while (!isStopping()) {
            const auto now = std::chrono::steady_clock::now();
            if (!leased || now - leaseRenewedAt > kLeaseTtl / 3) {
                auto lease = outbox->acquireLease(kLeaseName, options.owner, kLeaseTtl);
                const bool had = leased;
                leased = lease && *lease;
                leaseRenewedAt = now;
                if (!leased) {
                    if (had || !lease) {
                        log::warn(
                            "collector.relay.lease_lost",
                            {{"error", lease ? "held by another engine" : lease.error().message}});
                    }
                    waitFor(std::chrono::seconds(1));
                    continue;
                }
            }
            auto rows = outbox->fetch(afterId, options.batchSize);
            if (!rows) {
                log::error("collector.relay.read_failed", {{"error", rows.error().message}});
                waitFor(std::chrono::seconds(1));
                continue;
            }
            if (rows->empty()) {
                refreshGauges();
                waitFor(options.idlePoll);
                continue;
            }
            const std::size_t delivered = publish(*rows);
            bool removed = false;
            if (delivered > 0) {
                const std::int64_t throughId = (*rows)[delivered - 1].id;
                if (auto done = outbox->removeThrough(throughId); !done) {
                    log::error("collector.relay.mark_failed", {{"error", done.error().message}});
                } else {
                    afterId = throughId;
                    removed = true;
                }
            }
            refreshGauges();
            if (removed) {
                onDelivered(afterId, static_cast<std::int64_t>(delivered));
            }
            if (delivered < rows->size()) {
                waitFor(options.retryBackoff);
            }
        }
        if (leased) {
            (void)outbox->releaseLease(kLeaseName, options.owner);
        }
    }
};

Result<std::unique_ptr<OutboxRelay>> OutboxRelay::start(Options options, kafka::Producer &producer,
                                                        DeliveredHandler onDelivered)
{
    auto impl = std::make_unique<Impl>(std::move(options), producer, std::move(onDelivered));
    auto db = store::Database::open(impl->options.databasePath);
    if (!db) {
        return fail(db.error());
    }
    impl->db = std::move(*db);
    if (auto noCheckpoints = impl->db->exec("PRAGMA wal_autocheckpoint=0"); !noCheckpoints) {
        return fail(noCheckpoints.error());
    }
    auto checkpointDb = store::Database::open(impl->options.databasePath);
    if (!checkpointDb) {
        return fail(checkpointDb.error());
    }
    impl->checkpointDb = std::move(*checkpointDb);
    impl->outbox = std::make_unique<store::Outbox>(*impl->db);
    std::unique_ptr<OutboxRelay> relay(new OutboxRelay(std::move(impl)));
    relay->d->depth = &relay->m_depth;
    relay->d->refreshGauges();
    relay->d->thread = std::thread([impl = relay->d.get()] {
        nameThisThread("ld-relay");
        impl->run();
    });
    relay->d->checkpointer = std::thread([impl = relay->d.get()] {
        nameThisThread("ld-checkpoint");
        impl->checkpointLoop();
    });
    return relay;
}

bool OutboxRelay::takeWalRestart()
{
    return d->walRestartWanted.exchange(false, std::memory_order_relaxed);
}

OutboxRelay::OutboxRelay(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

OutboxRelay::~OutboxRelay()
{
    stop();
}

void OutboxRelay::wake()
{
    const std::lock_guard lock(d->mutex);
    d->woken = true;
    d->wakeUp.notify_one();
}

void OutboxRelay::stop()
{
    {
        const std::lock_guard lock(d->mutex);
        d->stopping = true;
        d->wakeUp.notify_one();
        d->stopWake.notify_all();
    }
    if (d->thread.joinable()) {
        d->thread.join();
    }
    if (d->checkpointer.joinable()) {
        d->checkpointer.join();
    }
}

std::int64_t OutboxRelay::oldestAgeMs() const
{
    const std::int64_t oldest = d->oldestCreatedAtMs.load(std::memory_order_relaxed);
    return oldest == 0 || depth() == 0 ? 0 : std::max<std::int64_t>(0, nowMillis() - oldest);
}

} // namespace logdeck::collector
