#pragma once

#include "bridge/console_snapshot.h"
#include "kafka/client_settings.h"
#include "store/lag_history.h"

#include <QObject>
#include <QThread>
#include <memory>
#include <vector>

namespace logdeck {
class Engine;
}

namespace logdeck::ui {

class FeedWorker;

/// The console's live data: once a second, on its own thread and with long-lived clients, it
/// samples the cluster (the hosted engine's status and lag monitor, or, attached, the admin
/// API and the engines' heartbeats) and publishes a ConsoleSnapshot. Lag history for the
/// charts is read on the same thread on request.
class ClusterFeed : public QObject
{
    Q_OBJECT

public:
    explicit ClusterFeed(QObject *parent = nullptr);
    ~ClusterFeed() override;

    /// Follows the engine of this process (demo or host mode).
    void followEngine(std::shared_ptr<Engine> engine, ConsoleMode mode);
    /// Observes `cluster` without joining a group (attach mode).
    void observe(kafka::ClientSettings cluster);
    /// Stops sampling and lets go of the engine or the clients; returns when done.
    void stop();

    /// Asks for `group`'s lag from `fromMs` to `toMs`; historyReady answers with the id.
    std::uint64_t requestHistory(const QString &group, qint64 fromMs, qint64 toMs);

    /// Samples now instead of at the next tick.
    void refreshNow();

    static constexpr int kIntervalMs = 1000;

Q_SIGNALS:
    void snapshotReady(logdeck::ui::ConsoleSnapshotPtr snapshot);
    void historyReady(std::uint64_t requestId, const QString &group,
                      const std::vector<logdeck::store::LagHistoryPoint> &points,
                      const QString &error);

private:
    QThread m_thread;
    FeedWorker *m_worker;
    std::uint64_t m_generation = 0;
    std::uint64_t m_lastRequest = 0;
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(std::vector<logdeck::store::LagHistoryPoint>)
