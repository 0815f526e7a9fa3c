#pragma once
// What the bridge hands to the console's thread: immutable pictures of the cluster and the
// pipeline, made on a worker thread once a second.

#include "engine.h"
#include "ops/control_plane.h"
#include "ops/lag_monitor.h"

#include <QMetaType>
#include <QString>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace logdeck::ui {

/// How the console reaches its pipeline.
enum class ConsoleMode {
    /// The whole pipeline in this process on an embedded mock cluster, with demo controls.
    Demo,
    /// The pipeline's groups and collector in this process, on a real cluster.
    Host,
    /// Observing and steering a real cluster: no group joined, no listener opened.
    Attach,
};

/// "demo", "host", "attach".
QString modeName(ConsoleMode mode);

/// The collector's figures over the last second; each nullopt when unknown (no collector
/// in reach, or no traffic to measure yet). Never 0 for unknown.
struct IngestFigures
{
    bool known = false; ///< a collector (this process's, or engines' heartbeats) was read
    std::optional<double> eventsPerSecond;
    std::optional<double> p50Ms;
    std::optional<double> p99Ms;
    std::optional<double> errorRate; ///< 5xx answers / requests, 0..1
    bool spilling = false;
    std::optional<std::int64_t> outboxDepth;
    QString url; ///< this process's collector, or empty
};

/// A hosted group's own counters, from this process's engine or an engine's heartbeat.
struct HostedGroupFigures
{
    std::string group;
    std::string state; ///< "running", "paused", "stopped"
    std::string instance; ///< the engine that runs it
    std::optional<double> processedPerSecond;
    std::optional<std::int64_t> processed;
    std::optional<std::int64_t> retried;
    std::optional<std::int64_t> deadLettered;
};

struct ConsoleSnapshot
{
    ConsoleMode mode = ConsoleMode::Attach;
    std::uint64_t generation = 0; ///< changes when the console connects again
    std::int64_t atMs = 0;
    /// The cluster has been asked at least once; until then `connected` means nothing.
    bool clusterChecked = true;
    bool connected = false;
    QString error; ///< why the cluster did not answer, when it did not
    QString bootstrapServers;
    QString clusterId; ///< empty when the cluster does not say
    int brokerCount = -1; ///< -1: unknown
    bool brokersDown = false; ///< demo mode: the demo controls stopped the mock brokers
    std::optional<DemoTraffic> traffic; ///< demo mode's simulated traffic
    IngestFigures ingest;
    std::vector<EngineStatus::Topic> topics; ///< the pipeline's topics on the cluster
    /// Every group on the cluster with its lag; an empty snapshot before the first sample.
    std::shared_ptr<const ops::LagSnapshot> lag;
    std::vector<HostedGroupFigures> hostedGroups;
    std::vector<ops::EngineHeartbeat> engines; ///< live engines on logdeck.status
    /// Every engine's latest heartbeat on logdeck.status, silent and stopped ones included
    /// (ops::engineLiveness tells them apart); in every mode.
    std::vector<ops::EngineHeartbeat> heartbeats;
    /// The instance id of the engine in this process (demo and host mode), else empty.
    std::string inProcessInstance;
    QString enginesError; ///< why logdeck.status could not be read, when it could not

    const HostedGroupFigures *hosted(const std::string &group) const;
};

using ConsoleSnapshotPtr = std::shared_ptr<const ConsoleSnapshot>;

} // namespace logdeck::ui

Q_DECLARE_METATYPE(logdeck::ui::ConsoleSnapshotPtr)
