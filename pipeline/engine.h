#pragma once

#include "common/result.h"
#include "collector/metrics.h"
#include "config.h"
#include "consume/group_runtime.h"
#include "ops/lag_monitor.h"
#include "ops/redrive.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace logdeck {

/// A picture of the engine and its cluster at one moment; immutable once made, so it can
/// be handed to the console's thread as it is.
struct EngineStatus
{
    enum class Mode { Embedded, Broker };
    struct Topic
    {
        std::string name;
        int partitions = 0;
        std::string role; ///< what the pipeline uses it for
    };

    Mode mode = Mode::Broker;
    bool connected = false;
    std::string bootstrapServers;
    int brokerCount = 0;
    std::string clusterId; ///< empty when the cluster does not say
    std::vector<Topic> topics; ///< the pipeline's topics as the cluster reports them
    std::string error; ///< why the cluster could not be reached, when it could not
    std::string collectorUrl; ///< empty when the collector is off
    bool spilling = false; ///< the collector is writing new events to its outbox
    std::int64_t outboxDepth = 0;
    /// The collector's counters, for rates between two statuses; nullopt when it is off.
    std::optional<collector::CollectorCounters> collectorCounters;
    std::vector<consume::GroupMetrics> groups; ///< the processing groups this engine runs
    std::chrono::system_clock::time_point checkedAt;
};

/// Embedded mode's simulated traffic into the engine's own collector (the demo controls).
struct DemoTraffic
{
    double rate = 200; ///< requests per second; 0 stops the traffic
    int tenants = 0; ///< how many demo tenants send; 0: all of them
    double duplicateRate = 0.01; ///< fraction of events sent twice (same id)
    double poisonRate = 0.002; ///< fraction of events that fail in every group
};

/// The pipeline engine, built from one Config and used alike by the console (logdeck) and
/// the headless CLI (logdeck-cli). In embedded mode it runs librdkafka's mock cluster in
/// process; otherwise it talks to the cluster in `bootstrap.servers`.
class Engine
{
public:
    explicit Engine(Config config);
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    /// Brings the cluster up (embedded) or checks that it answers, then creates the
    /// pipeline's topics where missing. Blocks for at most the connect timeout.
    Result<void> start();

    /// Stops every engine thread and, in embedded mode, the mock cluster. Idempotent.
    void stop();

    bool isRunning() const;
    const Config &config() const;

    /// The address clients use: the mock cluster's in embedded mode.
    std::string bootstrapServers() const;

    /// "http://host:port" of the running collector, or empty.
    std::string collectorUrl() const;

    /// The data directory in use (a temporary one in embedded mode without --data).
    std::string dataDir() const;

    /// Embedded mode's demo tenants and the API keys made for them at start: (tenant, key).
    std::vector<std::pair<std::string, std::string>> demoKeys() const;

    /// The collector's and the groups' metrics in Prometheus text format.
    std::string metricsText() const;

    /// The groups this engine runs, as they are now.
    std::vector<consume::GroupMetrics> groupMetrics() const;

    /// Pauses or resumes fetching for one hosted group (the console's commands; audited);
    /// NotFound for a group not run here.
    Result<void> pauseGroup(const std::string &group);
    Result<void> resumeGroup(const std::string &group);
    Result<void> setGroupFaults(const std::string &group, const consume::FaultInjection &faults);

    /// Embedded mode only (InvalidArgument otherwise): the simulated traffic now, and a
    /// change to it, which restarts the load generator with the new figures.
    DemoTraffic demoTraffic() const;
    Result<void> setDemoTraffic(const DemoTraffic &traffic);

    /// Embedded mode only: takes every mock broker down, or brings them back, so that the
    /// collector spills to its outbox and the groups stall as in a real outage.
    Result<void> setBrokersDown(bool down);
    bool brokersDown() const;

    /// Every consumer group's lag as last sampled (every lagIntervalMs, on the lag
    /// monitor's thread); an empty snapshot before the first sample or when stopped.
    std::shared_ptr<const ops::LagSnapshot> lagSnapshot() const;

    /// `group`'s lag from `fromMs` to `toMs` (Unix ms), oldest first: 1 s points for the
    /// last hour, 1 min points for 7 days. Reads SQLite past the hour: not on the UI thread.
    Result<std::vector<store::LagHistoryPoint>>
    lagHistory(const std::string &group, std::int64_t fromMs, std::int64_t toMs) const;

    /// This engine's instance id: its key on logdeck.status and its address on
    /// logdeck.control.
    std::string instanceId() const;

    /// DLQ redrive tasks (docs/operations.md, "Dead letters and redrive"). startRedrive plans
    /// the redrive (reading the dead-letter topic: not on the UI thread), refuses it before
    /// anything changes when the selection or a target is bad, and creates a task that this
    /// engine's redrive runner moves at the spec's rate; it returns the task id. Pause,
    /// resume and cancel take effect before the runner's next batch; each is audited.
    Result<std::string> startRedrive(const ops::RedriveSpec &spec,
                                     const std::string &requestedBy = {});
    Result<store::RedriveTaskRow> pauseRedrive(const std::string &taskId);
    Result<store::RedriveTaskRow> resumeRedrive(const std::string &taskId);
    Result<store::RedriveTaskRow> cancelRedrive(const std::string &taskId);
    /// The newest `limit` redrive tasks of this engine's data directory, newest first.
    Result<std::vector<store::RedriveTaskRow>> redriveTasks(int limit = 100) const;

    /// Client settings for a new Kafka client of this engine's cluster.
    kafka::ClientSettings clientSettings() const;

    /// Asks the cluster for its brokers and topics. Blocks up to `timeout`: call it from a
    /// worker thread.
    EngineStatus queryStatus(std::chrono::milliseconds timeout) const;
    /// The same without asking the cluster (connected false, no brokers or topics): the
    /// collector's and the groups' figures, at once.
    EngineStatus localStatus() const;

    static constexpr std::chrono::milliseconds kConnectTimeout {10000};

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

/// Logdeck's version, e.g. "0.1.0".
std::string version();

} // namespace logdeck
