#pragma once
// Watching a cluster from outside: what `logdeck-cli groups|lag` and the console's attach
// mode share. It never joins a consumer group and never commits: lag comes from the admin
// API, engines from their heartbeats on logdeck.status.

#include "common/result.h"
#include "kafka/admin_client.h"
#include "kafka/client_settings.h"
#include "ops/control_plane.h"
#include "ops/lag_monitor.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace logdeck::ops {

/// A cluster as an observer sees it at one moment.
struct ClusterView
{
    std::string clusterId; ///< empty when the cluster does not say
    int brokerCount = 0;
    std::vector<kafka::TopicInfo> topics;
};

/// Long-lived clients for observing one cluster: an admin client and a lag sampler whose
/// windows (rates, health, time lag) build up over repeated samples. Not thread-safe: one
/// owner (a worker thread) calls it.
class ClusterObserver
{
public:
    static Result<std::unique_ptr<ClusterObserver>> open(kafka::ClientSettings cluster,
                                                         LagSamplingOptions sampling = {});
    ~ClusterObserver();
    ClusterObserver(const ClusterObserver &) = delete;
    ClusterObserver &operator=(const ClusterObserver &) = delete;

    /// Brokers, cluster id and topics. Unavailable when no broker answers in `timeout`.
    Result<ClusterView> describe(std::chrono::milliseconds timeout);

    /// Every engine's latest heartbeat, read again when the last read is older than
    /// `maxAge` (engines send one every 2 s); the error of the last read when it failed.
    Result<std::vector<EngineHeartbeat>> heartbeats(std::chrono::milliseconds maxAge);

    /// One lag sample of every group, hosted groups taken from the engines' heartbeats.
    Result<LagSnapshot> sampleLag();

    const kafka::ClientSettings &cluster() const { return m_cluster; }
    kafka::AdminClient &admin() { return *m_admin; }

private:
    ClusterObserver(kafka::ClientSettings cluster, std::unique_ptr<kafka::AdminClient> admin,
                    LagSamplingOptions sampling);

    kafka::ClientSettings m_cluster;
    std::unique_ptr<kafka::AdminClient> m_admin;
    LagSampler m_sampler;
    std::chrono::steady_clock::time_point m_heartbeatsReadAt {};
    Result<std::vector<EngineHeartbeat>> m_heartbeats = std::vector<EngineHeartbeat> {};
};

} // namespace logdeck::ops
