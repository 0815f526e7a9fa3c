#include "engine.h"

#include "collector/collector.h"
#include "common/log.h"
#include "common/time_format.h"
#include "consume/processor.h"
#include "engine_info.h"
#include "kafka/admin_client.h"
#include "kafka/mock_cluster.h"
#include "kafka/topic_catalog.h"
#include "loadgen/load_generator.h"
#include "logdeck_version.h"
#include "store/database.h"
#include "store/tenant_store.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <unistd.h>

namespace logdeck {

namespace {

constexpr const char *kDemoTenants[] = {"acme", "globex", "initech"};

std::string makeInstanceId()
{
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::mt19937 random {std::random_device {}()};
    return std::string(host) + "-" + std::to_string(::getpid()) + "-"
        + std::to_string(random() % 100000);
}

} // namespace

struct Engine::Impl
{
    Config config;
    std::string instanceId = makeInstanceId();
    std::unique_ptr<kafka::MockCluster> mockCluster;
    std::unique_ptr<collector::Collector> collector;
    std::map<std::string, std::unique_ptr<consume::GroupRuntime>> groups;
    std::atomic<bool> stopTraffic {false};
    std::thread traffic;
    mutable std::mutex groupsMutex; // /metrics and commands read groups from other threads
    std::string bootstrap;
    std::string dataDir;
    bool temporaryDataDir = false;
    std::vector<std::pair<std::string, std::string>> demoKeys;
    bool running = false;
    mutable std::mutex mutex; // guards running and bootstrap against status queries

    Result<void> prepareDataDir()
    {
        std::error_code ec;
        if (config.embedded && config.dataDir.empty()) {
            // Embedded mode keeps nothing unless told where to.
            std::string pattern =
                (std::filesystem::temp_directory_path(ec) / "logdeck-embedded-XXXXXX").string();
            if (::mkdtemp(pattern.data()) == nullptr) {
                return fail(Error::io("cannot create a temporary data directory under " + pattern));
            }
            dataDir = pattern;
            temporaryDataDir = true;
            return {};
        }
        dataDir = config.effectiveDataDir();
        std::filesystem::create_directories(dataDir, ec);
        if (ec) {
            return fail(
                Error::io("cannot create data directory '" + dataDir + "': " + ec.message()));
        }
        return {};
    }

    Result<void> createDemoTenants()
    {
        auto db = store::Database::open(store::Database::pathIn(dataDir));
        if (!db) {
            return fail(db.error());
        }
        store::TenantStore tenants(**db);
        for (const char *name : kDemoTenants) {
            auto key = tenants.addTenant(name);
            if (!key) {
                key = tenants.addKey(name); // the tenant is there from an earlier run
            }
            if (!key) {
                return fail(key.error());
            }
            demoKeys.emplace_back(name, *key);
        }
        return {};
    }

    Result<void> startCollector()
    {
        const auto listen = config.listenAddress();
        if (!listen) {
            return {};
        }
        collector::CollectorOptions options;
        options.http.host = listen->first;
        options.http.port = listen->second;
        options.http.threads = config.httpThreads;
        options.databasePath = store::Database::pathIn(dataDir);
        options.kafka = config.kafka;
        options.kafka["bootstrap.servers"] = bootstrap;
        options.instanceId = instanceId;
        options.produceTimeout = std::chrono::milliseconds(config.produceTimeoutMs);
        // /metrics shows the groups too; they start after the collector, so look them up late.
        options.extraMetrics = [this] {
            return consume::renderGroupMetrics(groupMetrics());
        };
        auto started = collector::Collector::start(std::move(options));
        if (!started) {
            return fail(started.error());
        }
        collector = std::move(*started);
        return {};
    }

    Result<void> startGroups()
    {
        for (const auto &name : config.groups) {
            auto processor = consume::makeProcessor(name);
            if (!processor) {
                std::string known;
                for (const auto &k : consume::knownProcessors()) {
                    known += (known.empty() ? "" : ", ") + k;
                }
                return fail(Error::invalid("unknown group '" + name
                                           + "' in groups: known groups are " + known));
            }
            const auto settings = config.settingsFor(name);
            consume::GroupOptions options;
            options.group = name;
            options.dataDir = dataDir;
            options.kafka = config.kafka;
            options.kafka["bootstrap.servers"] = bootstrap;
            options.batchSize = static_cast<std::size_t>(settings.batchSize);
            options.retry.maxAttempts = settings.maxAttempts;
            options.retry.backoff.clear();
            for (const int ms : settings.backoffMs) {
                options.retry.backoff.emplace_back(ms);
            }
            options.faults = {settings.transientFailureRate,
                              std::chrono::milliseconds(settings.addedLatencyMs),
                              settings.poisonIsPermanent};
            auto runtime = consume::GroupRuntime::start(std::move(options), std::move(processor));
            if (!runtime) {
                return fail(runtime.error());
            }
            const std::lock_guard lock(groupsMutex);
            groups[name] = std::move(*runtime);
        }
        return {};
    }

    /// Embedded mode's simulated traffic: the load generator against this engine's own
    /// collector, with a few duplicates and poison events so retries and dead letters show.
    void startDemoTraffic()
    {
        if (!config.embedded || config.demoRate <= 0 || !collector || demoKeys.empty()) {
            return;
        }
        loadgen::LoadOptions load;
        load.url = collectorUrl();
        for (const auto &[tenant, key] : demoKeys) {
            load.keys.push_back(key);
        }
        load.rate = config.demoRate;
        load.connections = 4;
        load.duration = std::chrono::hours(24 * 365);
        load.dupRate = 0.01;
        load.poisonRate = 0.002;
        stopTraffic = false;
        traffic = std::thread([this, load] {
            if (auto report = loadgen::runLoad(load, &stopTraffic); !report) {
                log::warn("engine.demo_traffic_failed", {{"error", report.error().message}});
            }
        });
    }

    void stopDemoTraffic()
    {
        stopTraffic = true;
        if (traffic.joinable()) {
            traffic.join();
        }
    }

    void stopGroups()
    {
        std::map<std::string, std::unique_ptr<consume::GroupRuntime>> stopping;
        {
            const std::lock_guard lock(groupsMutex);
            stopping.swap(groups);
        }
        stopping.clear(); // joins each group's thread
    }

    std::vector<consume::GroupMetrics> groupMetrics() const
    {
        const std::lock_guard lock(groupsMutex);
        std::vector<consume::GroupMetrics> result;
        for (const auto &[name, runtime] : groups) {
            result.push_back(runtime->metrics());
        }
        return result;
    }

    Result<consume::GroupRuntime *> group(const std::string &name) const
    {
        const std::lock_guard lock(groupsMutex);
        const auto it = groups.find(name);
        if (it == groups.end()) {
            return fail(Error {Error::Code::NotFound,
                               "group '" + name + "' is not run by this engine", false});
        }
        return it->second.get();
    }

    std::string collectorUrl() const
    {
        if (!collector) {
            return {};
        }
        const auto listen = config.listenAddress();
        const bool v6 = listen->first.find(':') != std::string::npos;
        return "http://" + (v6 ? "[" + listen->first + "]" : listen->first) + ":"
            + std::to_string(collector->port());
    }

    /// engine.json in the data directory tells the CLI's other commands where this engine's
    /// cluster and collector are.
    void writeEngineFile() const
    {
        EngineInfo info {instanceId, ::getpid(),     config.embedded ? "embedded" : "broker",
                         bootstrap,  collectorUrl(), formatRfc3339(nowMillis())};
        if (auto written = writeEngineInfo(dataDir, info); !written) {
            log::warn("engine.info_not_written", {{"error", written.error().message}});
        }
    }
};

std::string version()
{
    return LOGDECK_VERSION;
}

Engine::Engine(Config config)
    : d(std::make_unique<Impl>())
{
    d->config = std::move(config);
}

Engine::~Engine()
{
    stop();
}

Result<void> Engine::start()
{
    if (auto valid = d->config.validate(); !valid) {
        return valid;
    }
    const auto specs = kafka::topics::pipelineTopics(d->config.groups, d->config.partitions);
    std::string bootstrap;
    if (d->config.embedded) {
        auto cluster = kafka::MockCluster::create(d->config.mockBrokers);
        if (!cluster) {
            return fail(cluster.error());
        }
        for (const auto &spec : specs) {
            if (auto created = (*cluster)->createTopic(spec.name, spec.partitions); !created) {
                return created;
            }
        }
        bootstrap = (*cluster)->bootstrapServers();
        d->mockCluster = std::move(*cluster);
    } else {
        bootstrap = d->config.bootstrapServers();
        auto admin = kafka::AdminClient::create(d->config.kafka);
        if (!admin) {
            return fail(admin.error());
        }
        if (auto cluster = (*admin)->describeCluster(kConnectTimeout); !cluster) {
            return fail(Error::unavailable("cannot reach Kafka at " + bootstrap + ": "
                                           + cluster.error().message
                                           + "; check --broker and the kafka.* settings"));
        }
        if (auto created = (*admin)->createTopics(specs, kConnectTimeout); !created) {
            return created;
        }
    }
    {
        const std::lock_guard lock(d->mutex);
        d->bootstrap = bootstrap;
    }
    auto ready = d->prepareDataDir();
    if (ready && d->config.embedded) {
        ready = d->createDemoTenants();
    }
    if (ready) {
        ready = d->startCollector();
    }
    if (ready) {
        ready = d->startGroups();
    }
    if (!ready) {
        d->stopGroups();
        d->collector.reset();
        d->mockCluster.reset();
        if (d->temporaryDataDir) {
            std::error_code ec;
            std::filesystem::remove_all(d->dataDir, ec);
        }
        return ready;
    }
    d->writeEngineFile();
    d->startDemoTraffic();
    {
        const std::lock_guard lock(d->mutex);
        d->running = true;
    }
    log::info("engine.started",
              {{"mode", d->config.embedded ? "embedded" : "broker"},
               {"bootstrap", bootstrap},
               {"collector", d->collectorUrl()},
               {"data", d->dataDir},
               {"topics", std::to_string(specs.size())}});
    return {};
}

void Engine::stop()
{
    {
        const std::lock_guard lock(d->mutex);
        if (!d->running) {
            return;
        }
        d->running = false;
    }
    // Traffic first, then the collector (it answers or spills what it has in flight),
    // then the groups.
    d->stopDemoTraffic();
    if (d->collector) {
        d->collector->shutdown();
        d->collector.reset();
    }
    d->stopGroups();
    d->mockCluster.reset();
    removeEngineInfo(d->dataDir);
    std::error_code ec;
    if (d->temporaryDataDir) {
        std::filesystem::remove_all(d->dataDir, ec);
    }
    log::info("engine.stopped");
}

bool Engine::isRunning() const
{
    const std::lock_guard lock(d->mutex);
    return d->running;
}

const Config &Engine::config() const
{
    return d->config;
}

std::string Engine::bootstrapServers() const
{
    const std::lock_guard lock(d->mutex);
    return d->bootstrap.empty() ? d->config.bootstrapServers() : d->bootstrap;
}

std::string Engine::collectorUrl() const
{
    return d->collectorUrl();
}

std::string Engine::dataDir() const
{
    return d->dataDir;
}

std::vector<std::pair<std::string, std::string>> Engine::demoKeys() const
{
    return d->demoKeys;
}

std::string Engine::metricsText() const
{
    return (d->collector ? d->collector->metricsText() : std::string())
        + consume::renderGroupMetrics(d->groupMetrics());
}

std::vector<consume::GroupMetrics> Engine::groupMetrics() const
{
    return d->groupMetrics();
}

Result<void> Engine::pauseGroup(const std::string &group)
{
    auto runtime = d->group(group);
    if (!runtime) {
        return fail(runtime.error());
    }
    (*runtime)->pause();
    log::info("group.paused", {{"group", group}});
    return {};
}

Result<void> Engine::resumeGroup(const std::string &group)
{
    auto runtime = d->group(group);
    if (!runtime) {
        return fail(runtime.error());
    }
    (*runtime)->resume();
    log::info("group.resumed", {{"group", group}});
    return {};
}

Result<void> Engine::setGroupFaults(const std::string &group, const consume::FaultInjection &faults)
{
    auto runtime = d->group(group);
    if (!runtime) {
        return fail(runtime.error());
    }
    (*runtime)->setFaults(faults);
    return {};
}

kafka::ClientSettings Engine::clientSettings() const
{
    kafka::ClientSettings settings = d->config.kafka;
    settings["bootstrap.servers"] = bootstrapServers();
    return settings;
}

EngineStatus Engine::queryStatus(std::chrono::milliseconds timeout) const
{
    EngineStatus status;
    status.mode = d->config.embedded ? EngineStatus::Mode::Embedded : EngineStatus::Mode::Broker;
    status.bootstrapServers = bootstrapServers();
    status.checkedAt = std::chrono::system_clock::now();
    if (d->collector) {
        status.collectorUrl = d->collectorUrl();
        const auto gauges = d->collector->gauges();
        status.spilling = gauges.spilling;
        status.outboxDepth = gauges.outboxDepth;
    }
    status.groups = groupMetrics();
    auto admin = kafka::AdminClient::create(clientSettings());
    if (!admin) {
        status.error = admin.error().message;
        return status;
    }
    auto cluster = (*admin)->describeCluster(timeout);
    if (!cluster) {
        status.error = cluster.error().message;
        return status;
    }
    status.connected = true;
    status.brokerCount = static_cast<int>(cluster->brokers.size());
    const auto specs = kafka::topics::pipelineTopics(d->config.groups, d->config.partitions);
    for (const auto &topic : cluster->topics) {
        const bool ours = std::ranges::any_of(
            specs, [&](const kafka::TopicSpec &s) { return s.name == topic.name; });
        if (ours) {
            status.topics.push_back(
                {topic.name, topic.partitions, kafka::topics::roleOf(topic.name)});
        }
    }
    return status;
}

} // namespace logdeck
