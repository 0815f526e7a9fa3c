#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logdeck {

/// Everything an engine needs to start, from one JSON file, then `LOGDECK_*` environment
/// variables, then command-line flags (each overrides the one before). docs/operations.md
/// lists every key.
struct Config
{
    /// Run against librdkafka's in-process mock cluster instead of a real cluster.
    bool embedded = false;
    /// librdkafka properties by their own names, `bootstrap.servers` included.
    kafka::ClientSettings kafka;
    /// Where the engine keeps its SQLite database. Empty: the platform's data directory.
    std::string dataDir;
    /// Partitions of each event topic the engine creates.
    int partitions = 6;
    /// Brokers of the embedded mock cluster.
    int mockBrokers = 3;
    /// The processing groups this engine runs; each gets a retry topic. `fraud` is off
    /// unless listed: adding a consumer is a config change.
    std::vector<std::string> groups = {"analytics", "persister", "enrichment"};
    /// Groups that may start although their store was found empty while Kafka holds offsets
    /// for them (their state is given up); "all" for every group. Command line only.
    std::set<std::string> acceptStateLoss;

    /// Per-group tuning and fault injection ("groupSettings": {"analytics": {...}}).
    struct GroupSettings
    {
        double transientFailureRate = 0;
        int addedLatencyMs = 0;
        bool poisonIsPermanent = true;
        int maxAttempts = 5;
        std::vector<int> backoffMs = {1000, 5000, 30000, 120000};
        int batchSize = 1000;
    };
    std::map<std::string, GroupSettings> groupSettings;

    /// The settings of `group`: its entry in groupSettings, or the defaults.
    GroupSettings settingsFor(const std::string &group) const;
    std::string logLevel = "info";
    /// Where the HTTP collector listens, "host:port". Empty: 127.0.0.1:8080, or any free
    /// port in embedded mode. "off": no collector.
    std::string listen;
    /// message.timeout.ms of the collector's producer: past it an event is spilled.
    int produceTimeoutMs = 2000;
    /// The collector's stall watch: how long Kafka may acknowledge nothing while an event
    /// waits before the events in flight are handed to the outbox (at once when every broker
    /// is down); an event left behind while others are acknowledged waits 10 times as long.
    /// Both grow to 4 times the slowest recent acknowledgement.
    int stallTimeoutMs = 100;
    /// I/O threads of the collector (1 or 2 suit a 2-core machine).
    int httpThreads = 1;
    /// Embedded mode only: simulated traffic into the collector, events per second (0: none).
    int demoRate = 200;
    /// Dedup keys of events older than this many hours are pruned (1 to 8760; 7 days).
    int dedupWindowHours = 168;
    /// How often the lag monitor samples every consumer group's offsets (100 to 60000).
    int lagIntervalMs = 1000;

    /// Parses a JSON config. Unknown keys and wrong types are errors that name the key.
    static Result<Config> fromJson(std::string_view text);
    static Result<Config> fromFile(const std::string &path);

    /// Applies LOGDECK_EMBEDDED, LOGDECK_BROKER, LOGDECK_DATA, LOGDECK_LOG_LEVEL,
    /// LOGDECK_PARTITIONS and LOGDECK_KAFKA_<PROPERTY> (underscores become dots:
    /// LOGDECK_KAFKA_SECURITY_PROTOCOL sets security.protocol).
    Result<void> applyEnvironment(const std::map<std::string, std::string> &environment);

    /// This process's environment, for applyEnvironment().
    static std::map<std::string, std::string> processEnvironment();

    /// Checks that the settings make sense together, naming the first one that does not.
    Result<void> validate() const;

    /// `dataDir`, or the platform's data directory ($XDG_DATA_HOME/logdeck, else
    /// ~/.local/share/logdeck) when it is empty.
    std::string effectiveDataDir() const;

    /// The collector's address after defaults: host and port (0: any free port), or
    /// nullopt when the collector is off.
    std::optional<std::pair<std::string, std::uint16_t>> listenAddress() const;

    std::string bootstrapServers() const;
    void setBootstrapServers(const std::string &servers);
};

} // namespace logdeck
