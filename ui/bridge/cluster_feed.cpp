#include "bridge/cluster_feed.h"

#include "engine.h"
#include "kafka/topic_catalog.h"
#include "ops/cluster_observer.h"

#include <QDateTime>
#include <QTimer>
#include <algorithm>
#include <deque>
#include <map>

namespace logdeck::ui {

namespace {

constexpr std::chrono::milliseconds kStatusTimeout {2000};
constexpr std::chrono::milliseconds kHeartbeatAge {2000};
/// Attach mode keeps the lag history of its own samples: an hour at 1 s per group.
constexpr std::size_t kAttachHistoryPoints = 3600;
constexpr int kFirstSampleRetryMs = 100;

std::int64_t nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

/// A counter's rate between two reads; nullopt on the first read or when it went back.
class RateTracker
{
public:
    std::optional<double> update(const std::string &key, std::int64_t value, std::int64_t atMs)
    {
        auto &last = m_last[key];
        std::optional<double> rate;
        if (last.atMs > 0 && atMs > last.atMs && value >= last.value) {
            rate = static_cast<double>(value - last.value) * 1000.0
                / static_cast<double>(atMs - last.atMs);
        } else if (last.atMs == atMs && last.rate) {
            rate = last.rate; // the same heartbeat again: its rate stands
            return rate;
        }
        last = {value, atMs, rate};
        return rate;
    }
    void clear() { m_last.clear(); }

private:
    struct Read
    {
        std::int64_t value = 0;
        std::int64_t atMs = 0;
        std::optional<double> rate;
    };
    std::map<std::string, Read> m_last;
};

std::vector<EngineStatus::Topic> pipelineTopicsOf(const std::vector<kafka::TopicInfo> &topics)
{
    std::vector<EngineStatus::Topic> result;
    for (const auto &topic : topics) {
        if (auto role = kafka::topics::roleOf(topic.name); !role.empty()) {
            result.push_back({topic.name, topic.partitions, std::move(role)});
        }
    }
    return result;
}

} // namespace

QString modeName(ConsoleMode mode)
{
    switch (mode) {
    case ConsoleMode::Demo:
        return QStringLiteral("demo");
    case ConsoleMode::Host:
        return QStringLiteral("host");
    case ConsoleMode::Attach:
        return QStringLiteral("attach");
    }
    return {};
}

const HostedGroupFigures *ConsoleSnapshot::hosted(const std::string &group) const
{
    const auto it = std::ranges::find(hostedGroups, group, &HostedGroupFigures::group);
    return it == hostedGroups.end() ? nullptr : &*it;
}

/// Lives on the feed's thread; every member runs there.
class FeedWorker : public QObject
{
    Q_OBJECT

public:
    void followEngine(std::shared_ptr<Engine> engine, ConsoleMode mode, std::uint64_t generation)
    {
        reset(generation, mode);
        m_engine = std::move(engine);
        startTimer();
    }

    void observe(const kafka::ClientSettings &cluster, std::uint64_t generation)
    {
        reset(generation, ConsoleMode::Attach);
        m_cluster = cluster;
        startTimer();
    }

    void stop() { reset(m_generation, m_mode); }

    void tick()
    {
        auto snapshot = std::make_shared<ConsoleSnapshot>();
        snapshot->mode = m_mode;
        snapshot->generation = m_generation;
        snapshot->atMs = nowMs();
        if (m_engine) {
            sampleEngine(*snapshot);
            // Until the engine's monitor has its first sample, look again soon rather than
            // a whole interval later: the first chart point comes that much sooner.
            if (!snapshot->lag || snapshot->lag->sampledAtMs == 0) {
                QTimer::singleShot(kFirstSampleRetryMs, this, &FeedWorker::tickIfFollowing);
            }
        } else if (!m_cluster.empty()) {
            sampleCluster(*snapshot);
        } else {
            return;
        }
        Q_EMIT snapshotReady(std::move(snapshot));
        if (m_engine) {
            m_clusterStatus = m_engine->queryStatus(kStatusTimeout);
            readHeartbeats();
        }
    }

    void tickIfFollowing()
    {
        if (m_engine) {
            tick();
        }
    }

    void history(std::uint64_t id, const QString &group, qint64 fromMs, qint64 toMs)
    {
        const std::string name = group.toStdString();
        if (m_engine) {
            auto points = m_engine->lagHistory(name, fromMs, toMs);
            Q_EMIT historyReady(id, group, points ? *points : std::vector<store::LagHistoryPoint> {},
                                points ? QString() : QString::fromStdString(points.error().message));
            return;
        }
        std::vector<store::LagHistoryPoint> points;
        if (const auto it = m_attachHistory.find(name); it != m_attachHistory.end()) {
            for (const auto &point : it->second) {
                if (point.atMs >= fromMs && point.atMs <= toMs) {
                    points.push_back(point);
                }
            }
        }
        Q_EMIT historyReady(id, group, points, {});
    }

Q_SIGNALS:
    void snapshotReady(logdeck::ui::ConsoleSnapshotPtr snapshot);
    void historyReady(std::uint64_t requestId, const QString &group,
                      const std::vector<logdeck::store::LagHistoryPoint> &points,
                      const QString &error);

private:
    void reset(std::uint64_t generation, ConsoleMode mode)
    {
        if (m_timer) {
            m_timer->stop();
        }
        m_engine.reset();
        m_clusterStatus.reset();
        m_observer.reset();
        m_heartbeats = std::vector<ops::EngineHeartbeat> {};
        m_cluster.clear();
        m_rates.clear();
        m_lastIngest.reset();
        m_attachHistory.clear();
        m_generation = generation;
        m_mode = mode;
    }

    void startTimer()
    {
        if (!m_timer) {
            m_timer = new QTimer(this);
            m_timer->setInterval(ClusterFeed::kIntervalMs);
            connect(m_timer, &QTimer::timeout, this, &FeedWorker::tick);
        }
        m_timer->start();
        tick();
    }

    /// The fleet next to this process's engine, read after a tick like the cluster's status
    /// (the observer reads logdeck.status again every kHeartbeatAge at most).
    void readHeartbeats()
    {
        if (m_clusterStatus && !m_clusterStatus->connected) {
            return;
        }
        if (!m_observer) {
            auto observer = ops::ClusterObserver::open(m_engine->clientSettings());
            if (!observer) {
                m_heartbeats = fail(observer.error());
                return;
            }
            m_observer = std::move(*observer);
        }
        m_heartbeats = m_observer->heartbeats(kHeartbeatAge);
    }

    void sampleEngine(ConsoleSnapshot &snapshot)
    {
        snapshot.inProcessInstance = m_engine->instanceId();
        if (m_heartbeats) {
            snapshot.heartbeats = *m_heartbeats;
            snapshot.engines = ops::liveEngines(*m_heartbeats, ops::kHeartbeatFreshness);
        } else {
            snapshot.enginesError = QString::fromStdString(m_heartbeats.error().message);
        }
        // The cluster's answer is the one asked for after the previous tick: a first connection
        // can take seconds, and the engine's own figures should not wait for it.
        const EngineStatus status = m_engine->localStatus();
        snapshot.bootstrapServers = QString::fromStdString(status.bootstrapServers);
        snapshot.clusterChecked = m_clusterStatus.has_value();
        if (m_clusterStatus) {
            snapshot.connected = m_clusterStatus->connected;
            snapshot.error = QString::fromStdString(m_clusterStatus->error);
            snapshot.clusterId = QString::fromStdString(m_clusterStatus->clusterId);
            snapshot.brokerCount = m_clusterStatus->connected ? m_clusterStatus->brokerCount : -1;
            snapshot.topics = m_clusterStatus->topics;
        }
        snapshot.lag = m_engine->lagSnapshot();
        if (m_mode == ConsoleMode::Demo) {
            snapshot.brokersDown = m_engine->brokersDown();
            snapshot.traffic = m_engine->demoTraffic();
        }
        IngestFigures &ingest = snapshot.ingest;
        ingest.url = QString::fromStdString(status.collectorUrl);
        if (status.collectorCounters) {
            ingest.known = true;
            ingest.spilling = status.spilling;
            ingest.outboxDepth = status.outboxDepth;
            measureIngest(ingest, *status.collectorCounters, snapshot.atMs);
        }
        const std::string instance = m_engine->instanceId();
        for (const auto &group : status.groups) {
            HostedGroupFigures figures;
            figures.group = group.group;
            figures.state = !group.running ? "stopped" : group.paused ? "paused" : "running";
            figures.instance = instance;
            figures.processed = group.processed;
            figures.retried = group.retried;
            figures.deadLettered = group.deadLettered;
            figures.processedPerSecond =
                m_rates.update("group:" + group.group, group.processed, snapshot.atMs);
            snapshot.hostedGroups.push_back(std::move(figures));
        }
    }

    /// Rates and latency quantiles of the collector since the previous tick.
    void measureIngest(IngestFigures &ingest, const collector::CollectorCounters &counters,
                       std::int64_t atMs)
    {
        if (m_lastIngest && atMs > m_lastIngestAtMs
            && counters.eventsAccepted >= m_lastIngest->eventsAccepted) {
            const double seconds = static_cast<double>(atMs - m_lastIngestAtMs) / 1000.0;
            ingest.eventsPerSecond =
                static_cast<double>(counters.eventsAccepted - m_lastIngest->eventsAccepted)
                / seconds;
            const auto requests = counters.requests - m_lastIngest->requests;
            if (requests > 0) {
                ingest.errorRate =
                    static_cast<double>(counters.serverErrors - m_lastIngest->serverErrors)
                    / static_cast<double>(requests);
            }
            collector::Histogram::Counts window {};
            for (std::size_t i = 0; i < window.size(); ++i) {
                window[i] = counters.ingestLatency[i] - m_lastIngest->ingestLatency[i];
            }
            const auto toMs = [](std::optional<double> value) -> std::optional<double> {
                return value ? std::optional(*value * 1000.0) : std::nullopt;
            };
            ingest.p50Ms = toMs(collector::Histogram::quantile(window, 0.50));
            ingest.p99Ms = toMs(collector::Histogram::quantile(window, 0.99));
        }
        m_lastIngest = counters;
        m_lastIngestAtMs = atMs;
    }

    void sampleCluster(ConsoleSnapshot &snapshot)
    {
        snapshot.bootstrapServers = QString::fromStdString(m_cluster.at("bootstrap.servers"));
        if (!m_observer) {
            auto observer = ops::ClusterObserver::open(m_cluster);
            if (!observer) {
                snapshot.error = QString::fromStdString(observer.error().message);
                return;
            }
            m_observer = std::move(*observer);
        }
        auto view = m_observer->describe(kStatusTimeout);
        if (!view) {
            snapshot.error = QString::fromStdString(view.error().message);
            return;
        }
        snapshot.connected = true;
        snapshot.clusterId = QString::fromStdString(view->clusterId);
        snapshot.brokerCount = view->brokerCount;
        snapshot.topics = pipelineTopicsOf(view->topics);

        auto heartbeats = m_observer->heartbeats(kHeartbeatAge);
        if (heartbeats) {
            snapshot.heartbeats = *heartbeats;
            snapshot.engines = ops::liveEngines(*heartbeats, ops::kHeartbeatFreshness);
        } else {
            snapshot.enginesError = QString::fromStdString(heartbeats.error().message);
        }
        IngestFigures &ingest = snapshot.ingest;
        if (!snapshot.engines.empty()) {
            // Heartbeats carry counters, not latencies: p50 and p99 stay unknown here.
            ingest.known = true;
            std::int64_t outbox = 0;
            std::optional<double> rate = 0.0;
            for (const auto &engine : snapshot.engines) {
                outbox += engine.outboxDepth;
                const auto engineRate =
                    m_rates.update("engine:" + engine.instance, engine.eventsAccepted, engine.sentAtMs);
                rate = rate && engineRate ? std::optional(*rate + *engineRate) : std::nullopt;
                for (const auto &group : engine.groups) {
                    HostedGroupFigures figures;
                    figures.group = group.group;
                    figures.state = group.state;
                    figures.instance = engine.instance;
                    figures.processed = group.processed;
                    figures.deadLettered = group.deadLettered;
                    figures.processedPerSecond = m_rates.update(
                        "group:" + engine.instance + "/" + group.group, group.processed,
                        engine.sentAtMs);
                    snapshot.hostedGroups.push_back(std::move(figures));
                }
            }
            ingest.outboxDepth = outbox;
            ingest.spilling = outbox > 0;
            ingest.eventsPerSecond = rate;
        }

        auto lag = m_observer->sampleLag();
        if (!lag) {
            snapshot.error = QString::fromStdString(lag.error().message);
            return;
        }
        for (const auto &group : lag->groups) {
            auto &points = m_attachHistory[group.group];
            points.push_back({lag->sampledAtMs, group.lag, group.timeLagSeconds, group.consumeRate,
                              std::string(ops::lagStatusName(group.status))});
            if (points.size() > kAttachHistoryPoints) {
                points.pop_front();
            }
        }
        snapshot.lag = std::make_shared<const ops::LagSnapshot>(std::move(*lag));
    }

    ConsoleMode m_mode = ConsoleMode::Attach;
    std::uint64_t m_generation = 0;
    QTimer *m_timer = nullptr;
    std::shared_ptr<Engine> m_engine;
    std::optional<EngineStatus> m_clusterStatus; ///< the engine's cluster, as last asked
    kafka::ClientSettings m_cluster;
    std::unique_ptr<ops::ClusterObserver> m_observer;
    /// Demo and host mode: the engines' heartbeats, read after each tick.
    Result<std::vector<ops::EngineHeartbeat>> m_heartbeats = std::vector<ops::EngineHeartbeat> {};
    RateTracker m_rates;
    std::optional<collector::CollectorCounters> m_lastIngest;
    std::int64_t m_lastIngestAtMs = 0;
    std::map<std::string, std::deque<store::LagHistoryPoint>> m_attachHistory;
};

ClusterFeed::ClusterFeed(QObject *parent)
    : QObject(parent)
    , m_worker(new FeedWorker)
{
    qRegisterMetaType<ConsoleSnapshotPtr>();
    qRegisterMetaType<std::vector<store::LagHistoryPoint>>();
    m_thread.setObjectName(QStringLiteral("logdeck-feed"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    // A snapshot of an earlier connection, still queued, is dropped.
    connect(m_worker, &FeedWorker::snapshotReady, this, [this](const ConsoleSnapshotPtr &snapshot) {
        if (snapshot->generation == m_generation) {
            Q_EMIT snapshotReady(snapshot);
        }
    });
    connect(m_worker, &FeedWorker::historyReady, this, &ClusterFeed::historyReady);
    m_thread.start();
}

ClusterFeed::~ClusterFeed()
{
    stop();
    m_thread.quit();
    m_thread.wait();
}

void ClusterFeed::followEngine(std::shared_ptr<Engine> engine, ConsoleMode mode)
{
    const auto generation = ++m_generation;
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, engine = std::move(engine), mode, generation]() mutable {
            worker->followEngine(std::move(engine), mode, generation);
        },
        Qt::QueuedConnection);
}

void ClusterFeed::observe(kafka::ClientSettings cluster)
{
    const auto generation = ++m_generation;
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, cluster = std::move(cluster), generation] {
            worker->observe(cluster, generation);
        },
        Qt::QueuedConnection);
}

void ClusterFeed::stop()
{
    ++m_generation;
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker] { worker->stop(); }, Qt::BlockingQueuedConnection);
}

std::uint64_t ClusterFeed::requestHistory(const QString &group, qint64 fromMs, qint64 toMs)
{
    const auto id = ++m_lastRequest;
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, id, group, fromMs, toMs] { worker->history(id, group, fromMs, toMs); },
        Qt::QueuedConnection);
    return id;
}

void ClusterFeed::refreshNow()
{
    QMetaObject::invokeMethod(m_worker, [worker = m_worker] { worker->tick(); }, Qt::QueuedConnection);
}

} // namespace logdeck::ui

#include "cluster_feed.moc"
