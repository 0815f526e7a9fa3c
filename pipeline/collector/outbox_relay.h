#pragma once

#include "common/result.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace logdeck::kafka {
class Producer;
}

namespace logdeck::collector {

/// Publishes the outbox to Kafka on its own thread and SQLite connection. It holds a lease
/// so only one relay per database publishes; it sends rows in id order, deletes only the
/// contiguous acknowledged prefix, and on the first failure stops and retries from there,
/// never skipping a row. Rows after a failed one that were acknowledged anyway are sent
/// again: downstream consumers are idempotent.
class OutboxRelay
{
public:
    /// Called on the relay thread after rows up to `throughId` are in Kafka and deleted.
    using DeliveredHandler = std::function<void(std::int64_t throughId, std::int64_t count)>;

    struct Options
    {
        std::string databasePath;
        std::string owner; ///< lease owner: this engine instance
        std::size_t batchSize = 2000;
        std::chrono::milliseconds ackTimeout {15000}; ///< longer than message.timeout.ms
        std::chrono::milliseconds idlePoll {200};
        std::chrono::milliseconds retryBackoff {250};
        /// A WAL longer than this is to be started over (takeWalRestart). Rarely: the
        /// writer's catch-up checkpoint syncs the WAL and the database while spilled
        /// requests wait (11 ms on average, 300 ms at worst, in a 60 s broker outage at
        /// 5,000 events/s with a 16 MiB bound).
        std::int64_t walRestartBytes = std::int64_t(256) << 20;
    };

    static Result<std::unique_ptr<OutboxRelay>> start(Options options, kafka::Producer &producer,
                                                      DeliveredHandler onDelivered);
    ~OutboxRelay();
    OutboxRelay(const OutboxRelay &) = delete;
    OutboxRelay &operator=(const OutboxRelay &) = delete;

    /// New rows were committed: look now instead of at the next poll.
    void wake();

    /// True once after the checkpointer found the WAL longer than it should grow: the
    /// database's writer should then checkpoint on its own connection, between two of its
    /// transactions, so that the checkpoint catches up and the next transaction starts
    /// the WAL over.
    bool takeWalRestart();

    /// Finishes the batch in flight and stops. Idempotent.
    void stop();

    /// Rows waiting, and the age of the oldest, as of the relay's last look.
    std::int64_t depth() const { return m_depth.load(std::memory_order_relaxed); }
    std::int64_t oldestAgeMs() const;

private:
    struct Impl;
    explicit OutboxRelay(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
    std::atomic<std::int64_t> m_depth {0};
};

} // namespace logdeck::collector
