#include "ops/cluster_observer.h"

namespace logdeck::ops {

namespace {

constexpr std::chrono::milliseconds kHeartbeatReadTimeout {3000};

} // namespace

ClusterObserver::ClusterObserver(kafka::ClientSettings cluster,
                                 std::unique_ptr<kafka::AdminClient> admin,
                                 LagSamplingOptions sampling)
    : m_cluster(std::move(cluster))
    , m_admin(std::move(admin))
    , m_sampler(std::move(sampling))
{
}

ClusterObserver::~ClusterObserver() = default;

Result<std::unique_ptr<ClusterObserver>> ClusterObserver::open(kafka::ClientSettings cluster,
                                                               LagSamplingOptions sampling)
{
    auto admin = kafka::AdminClient::create(cluster);
    if (!admin) {
        return fail(admin.error());
    }
    return std::unique_ptr<ClusterObserver>(
        new ClusterObserver(std::move(cluster), std::move(*admin), std::move(sampling)));
}

Result<ClusterView> ClusterObserver::describe(std::chrono::milliseconds timeout)
{
    auto metadata = m_admin->describeCluster(timeout);
    if (!metadata) {
        return fail(metadata.error());
    }
    return ClusterView {metadata->clusterId, static_cast<int>(metadata->brokers.size()),
                        std::move(metadata->topics)};
}

Result<std::vector<EngineHeartbeat>> ClusterObserver::heartbeats(std::chrono::milliseconds maxAge)
{
    const auto now = std::chrono::steady_clock::now();
    if (m_heartbeatsReadAt == std::chrono::steady_clock::time_point {}
        || now - m_heartbeatsReadAt >= maxAge) {
        m_heartbeats = readHeartbeats(m_cluster, kHeartbeatReadTimeout);
        m_heartbeatsReadAt = now;
    }
    return m_heartbeats;
}

Result<LagSnapshot> ClusterObserver::sampleLag()
{
    std::vector<HostedGroup> hosted;
    // Without heartbeats the groups are still shown, only not as hosted.
    if (auto engines = heartbeats(std::chrono::seconds(2))) {
        hosted = hostedGroupsOf(*engines);
    }
    return m_sampler.sampleOnce(*m_admin, hosted);
}

} // namespace logdeck::ops
