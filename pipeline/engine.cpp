#include "engine.h"

#include "collector/collector.h"
#include "common/log.h"
#include "common/private_files.h"
#include "common/time_format.h"
#include "consume/processor.h"
#include "engine_info.h"
#include "engine_metrics.h"
#include "kafka/admin_client.h"
#include "kafka/mock_cluster.h"
#include "kafka/topic_catalog.h"
#include "loadgen/load_generator.h"
#include "logdeck_version.h"
#include "ops/audit_trail.h"
#include "ops/control_plane.h"
#include "ops/offset_reset.h"
#include "ops/redrive_runner.h"
#include "store/audit_log.h"
#include "store/database.h"
#include "store/tenant_store.h"

#include <QScopeGuard>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
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
    std::set<std::string> stoppedGroups; // hosted, but stopped for a reset; under groupsMutex
    std::unique_ptr<DataDirLock> dataDirLock; // held from start to stop
    std::set<std::string> refusedGroups; // lost stores (the log says why); under groupsMutex
    GroupCounterCarry carriedCounters; // stopped runtimes' counters; under groupsMutex
    std::unique_ptr<ops::ControlAgent> controlAgent;
    Engine *self = nullptr; // the redrive commands go through the engine's public API
    std::int64_t startedAtMs = 0;
    std::shared_ptr<ops::LagMonitor> lagMonitor; // guarded by mutex; readers take a copy
    std::unique_ptr<ops::RedriveRunner> redriveRunner;
    std::atomic<bool> stopTraffic {false};
    std::thread traffic;
    DemoTraffic demoTraffic; // under trafficMutex, as are traffic's start and stop
    mutable std::mutex trafficMutex;
    std::atomic<bool> brokersDown {false};
    // One admin client for status queries, made on first use: a new one per query cost a
    // connection and a metadata round trip every 2 s.
    mutable std::mutex statusAdminMutex;
    mutable std::unique_ptr<kafka::AdminClient> statusAdmin;
    mutable std::mutex groupsMutex; // /metrics and commands read groups from other threads
    std::string bootstrap;
    std::string dataDir;
    bool temporaryDataDir = false;
    std::int64_t auditIdAtStart = 0; // the demo tenants' entries, in a temporary directory
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
        if (auto created = createPrivateDirectory(dataDir); !created) {
            return fail(created.error());
        }
        // Two engines on one directory would share the groups' databases and remove each
        // other's engine.json.
        auto locked = DataDirLock::acquire(dataDir);
        if (!locked) {
            return fail(locked.error());
        }
        dataDirLock = std::move(*locked);
        return {};
    }

    Result<void> createDemoTenants()
    {
        auto db = store::Database::open(store::Database::pathIn(dataDir));
        if (!db) {
            return fail(db.error());
        }
        store::TenantStore tenants(**db);
        store::AuditLog audit(**db);
        for (const char *name : kDemoTenants) {
            // Audited like `logdeck-cli tenants add`: a key made is a key change.
            const int keysBefore = tenants.activeKeysOf(name);
            const bool add = keysBefore < 0;
            auto key = add ? tenants.addTenant(name)
                           : tenants.addKey(name); // the tenant is there from an earlier run
            auto entry = store::TenantStore::keyChangeAuditEntry(
                add ? "tenants.add" : "tenants.add-key", name, keysBefore,
                tenants.activeKeysOf(name), key ? "ok" : key.error().message);
            entry.parameters = nlohmann::json {{"tenant", name}, {"via", "demo"}}.dump();
            if (auto appended = audit.append(std::move(entry)); !appended) {
                log::warn("engine.audit_failed", {{"error", appended.error().message}});
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
        // Told apart from the groups' consumers in Kafka's tools and logs.
        options.kafka.try_emplace("client.id", "logdeck-" + instanceId + "-collector");
        options.instanceId = instanceId;
        options.produceTimeout = std::chrono::milliseconds(config.produceTimeoutMs);
        options.stallTimeout = std::chrono::milliseconds(config.stallTimeoutMs);
        // /metrics shows the groups too; they start after the collector, so look them up late.
        options.extraMetrics = [this] {
            return metricsText();
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
            if (auto started = startGroup(name); !started) {
                if (started.error().code != Error::Code::StateLost) {
                    return started;
                }
                // The other groups go on; this one waits for an operator's choice.
                log::error("group.refused", {{"group", name}, {"error", started.error().message}});
                const std::lock_guard lock(groupsMutex);
                refusedGroups.insert(name);
            }
        }
        return {};
    }

    Result<void> startGroup(const std::string &name)
    {
        {
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
            options.faults = {.transientFailureRate = settings.transientFailureRate,
                              .addedLatency = std::chrono::milliseconds(settings.addedLatencyMs),
                              .poisonIsPermanent = settings.poisonIsPermanent};
            options.dedupWindow = std::chrono::hours(config.dedupWindowHours);
            options.clientId = ops::groupMemberClientId(instanceId, name);
            options.acceptStateLoss =
                config.acceptStateLoss.contains(name) || config.acceptStateLoss.contains("all");
            auto runtime = consume::GroupRuntime::start(std::move(options), std::move(processor));
            if (!runtime) {
                return fail(runtime.error());
            }
            const std::lock_guard lock(groupsMutex);
            groups[name] = std::move(*runtime);
            stoppedGroups.erase(name);
            refusedGroups.erase(name);
        }
        return {};
    }

    /// Stops one group's runtime, so that its member leaves the group (a reset needs an
    /// empty group); it stays hosted here, reported as stopped, until startGroup.
    Result<void> stopGroup(const std::string &name)
    {
        consume::GroupRuntime *stopping = nullptr;
        {
            const std::lock_guard lock(groupsMutex);
            const auto it = groups.find(name);
            if (it == groups.end()) {
                if (stoppedGroups.contains(name) || refusedGroups.contains(name)) {
                    return {}; // not running already
                }
                return fail(Error::notFound("group '" + name + "' is not run by this engine"));
            }
            stopping = it->second.get();
        }
        // Joins the group's thread; the consumer leaves the group. Only this (the control)
        // thread removes a runtime while the engine runs, so it is still in `groups`, and
        // /metrics keeps counting it until its final counters are carried over.
        stopping->stop();
        std::unique_ptr<consume::GroupRuntime> runtime;
        {
            const std::lock_guard lock(groupsMutex);
            const auto it = groups.find(name);
            if (it != groups.end()) {
                carriedCounters.retire(it->second->metrics());
                runtime = std::move(it->second);
                groups.erase(it);
                stoppedGroups.insert(name);
            }
        }
        runtime.reset();
        log::info("group.stopped", {{"group", name}});
        return {};
    }

    /// Pauses or resumes a hosted group asked in-process (the console), audited with the
    /// group's state here before and after, as ops::steerGroup records it for the cluster.
    Result<void> steerHere(const std::string &group, bool pause)
    {
        std::string before;
        if (auto done = withGroup(group,
                                  [&](consume::GroupRuntime &runtime) {
                                      before = runtime.metrics().paused ? "paused" : "running";
                                      pause ? runtime.pause() : runtime.resume();
                                  });
            !done) {
            return done;
        }
        log::info(pause ? "group.paused" : "group.resumed", {{"group", group}});
        audit(pause ? "groups.pause" : "groups.resume", group,
              nlohmann::json {{"state", {{instanceId, before}}}}.dump(),
              nlohmann::json {{"state", {{instanceId, pause ? "paused" : "running"}}}}.dump());
        return {};
    }

    /// Records an operation asked of this engine in-process (the console) in the audit log.
    void audit(const std::string &operation, const std::string &target,
               const std::string &before = "{}", const std::string &after = "{}") const
    {
        store::AuditEntry entry;
        entry.operation = operation;
        entry.target = target;
        entry.parameters = nlohmann::json {{"via", "console"}, {"engines", {instanceId}}}.dump();
        entry.before = before;
        entry.after = after;
        if (auto appended = store::AuditLog::appendTo(dataDir, entry); !appended) {
            log::warn("engine.audit_failed", {{"error", appended.error().message}});
        }
    }

    bool hosts(const std::string &name) const
    {
        const std::lock_guard lock(groupsMutex);
        return groups.contains(name) || stoppedGroups.contains(name)
            || refusedGroups.contains(name);
    }

    ops::EngineHeartbeat heartbeat() const
    {
        ops::EngineHeartbeat h;
        h.host = store::AuditLog::currentHost();
        h.pid = ::getpid();
        h.version = LOGDECK_VERSION;
        h.mode = config.embedded ? "embedded" : "broker";
        h.dataDir = dataDir;
        h.collector = collectorUrl();
        h.startedAtMs = startedAtMs;
        if (collector) {
            h.outboxDepth = collector->gauges().outboxDepth;
        }
        for (const auto &m : groupMetrics()) {
            h.groups.push_back(ops::hostedGroupStatus(m));
        }
        const std::lock_guard lock(groupsMutex);
        for (const auto &name : stoppedGroups) {
            h.groups.push_back({name, "stopped", 0, 0, 0, {}});
        }
        for (const auto &name : refusedGroups) {
            h.groups.push_back({name, "refused", 0, 0, 0, {}});
        }
        return h;
    }

    /// Acts on a command from logdeck.control addressed to this engine or its groups.
    ops::ControlAck handleCommand(const ops::ControlCommand &command)
    {
        const auto arguments = nlohmann::json::parse(command.arguments, nullptr, false);
        std::string group = arguments.is_object() ? arguments.value("group", "") : "";
        if (command.target.starts_with("group:")) {
            group = command.target.substr(6);
        }
        Result<void> done = fail(Error::invalid("unknown operation '" + command.operation + "'"));
        std::string message;
        std::string result = "{}";
        if (command.operation == "group.pause" || command.operation == "group.resume") {
            const bool pause = command.operation == "group.pause";
            done = withGroup(group, [pause](consume::GroupRuntime &runtime) {
                pause ? runtime.pause() : runtime.resume();
            });
            message = "group '" + group + "' " + (pause ? "paused" : "resumed");
        } else if (command.operation == "group.stop") {
            done = stopGroup(group);
            message = "group '" + group + "' stopped";
        } else if (command.operation == "group.start") {
            done = hosts(group) ? startGroup(group)
                                : fail(Error::notFound("group '" + group + "' is not hosted here"));
            message = "group '" + group + "' started";
        } else if (command.operation == "group.apply-offsets") {
            done = applyOffsets(arguments, message, result);
        } else if (command.operation.starts_with("redrive.")) {
            done = redriveCommand(command, arguments, message);
        }
        if (!done) {
            return {command.id, instanceId, false, done.error().message, "{}"};
        }
        return {command.id, instanceId, true, message, result};
    }

    /// redrive.start (arguments: the spec) and redrive.pause|resume|cancel ({"task": id}).
    Result<void> redriveCommand(const ops::ControlCommand &command, const nlohmann::json &arguments,
                                std::string &message)
    {
        if (command.operation == "redrive.start") {
            auto spec = ops::RedriveSpec::fromJson(command.arguments);
            if (!spec) {
                return fail(spec.error());
            }
            auto task = self->startRedrive(*spec, command.issuedBy);
            if (!task) {
                return fail(task.error());
            }
            message = "redrive task " + *task + " started";
            return {};
        }
        const std::string task = arguments.is_object() ? arguments.value("task", "") : "";
        Result<store::RedriveTaskRow> row =
            fail(Error::invalid("unknown operation '" + command.operation + "'"));
        if (command.operation == "redrive.pause") {
            row = self->pauseRedrive(task);
        } else if (command.operation == "redrive.resume") {
            row = self->resumeRedrive(task);
        } else if (command.operation == "redrive.cancel") {
            row = self->cancelRedrive(task);
        }
        if (!row) {
            return fail(row.error());
        }
        message = "redrive task " + row->id + " is " + row->state;
        return {};
    }

    /// The engine's part of an orchestrated reset: the group is stopped here already.
    Result<void> applyOffsets(const nlohmann::json &arguments, std::string &message,
                              std::string &result)
    {
        if (!arguments.is_object() || !arguments.contains("plan")) {
            return fail(Error::invalid("group.apply-offsets needs a plan"));
        }
        auto plan = ops::resetPlanFromJson(arguments["plan"].dump());
        if (!plan) {
            return fail(plan.error());
        }
        {
            const std::lock_guard lock(groupsMutex);
            if (groups.contains(plan->group)) {
                return fail(Error::invalid("group '" + plan->group
                                           + "' is running here: stop it before a reset"));
            }
        }
        ops::ResetContext context;
        context.cluster = config.kafka;
        context.cluster["bootstrap.servers"] = bootstrap;
        context.dataDir = dataDir;
        context.mockCluster = config.embedded;
        auto forgotten =
            ops::applyResetLocally(context, *plan, arguments.value("commitToKafka", false));
        if (!forgotten) {
            return fail(forgotten.error());
        }
        message = "offsets of " + std::to_string(plan->partitions.size())
            + " partition(s) applied; " + std::to_string(*forgotten)
            + " event(s) forgotten for the rebuild";
        result = nlohmann::json {{"forgottenEvents", *forgotten}}.dump();
        return {};
    }

    Result<void> startControlAgent()
    {
        ops::ControlAgent::Options options;
        options.cluster = config.kafka;
        options.cluster["bootstrap.servers"] = bootstrap;
        options.instance = instanceId;
        options.heartbeat = [this] {
            return heartbeat();
        };
        options.hosts = [this](const std::string &name) {
            return hosts(name);
        };
        options.handle = [this](const ops::ControlCommand &c) {
            return handleCommand(c);
        };
        auto agent = ops::ControlAgent::start(std::move(options));
        if (!agent) {
            return fail(agent.error());
        }
        controlAgent = std::move(*agent);
        return {};
    }

    /// Samples every group's lag, this engine's own with exact time lag.
    /// Runs the data directory's DLQ redrive tasks, those left unfinished by an earlier run
    /// first.
    Result<void> startRedriveRunner()
    {
        ops::RedriveRunnerOptions options;
        options.cluster = config.kafka;
        options.cluster["bootstrap.servers"] = bootstrap;
        options.dataDir = dataDir;
        options.runnerId = instanceId;
        auto started = ops::RedriveRunner::start(std::move(options));
        if (!started) {
            return fail(started.error());
        }
        redriveRunner = std::move(*started);
        return {};
    }

    /// Opens this engine's database for one call from any thread.
    Result<std::unique_ptr<store::Database>> openDatabase() const
    {
        if (dataDir.empty()) {
            return fail(Error::unavailable("the engine is not running"));
        }
        return store::Database::open(store::Database::pathIn(dataDir));
    }

    Result<void> startLagMonitor()
    {
        ops::LagMonitor::Options options;
        options.cluster = config.kafka;
        options.cluster["bootstrap.servers"] = bootstrap;
        options.databasePath = store::Database::pathIn(dataDir);
        options.sampling.interval = std::chrono::milliseconds(config.lagIntervalMs);
        options.hostedGroups = [this] {
            return ops::hostedGroupsOf(instanceId, groupMetrics());
        };
        auto started = ops::LagMonitor::start(std::move(options));
        if (!started) {
            return fail(started.error());
        }
        const std::lock_guard lock(mutex);
        lagMonitor = std::move(*started);
        return {};
    }

    std::shared_ptr<ops::LagMonitor> currentLagMonitor() const
    {
        const std::lock_guard lock(mutex);
        return lagMonitor;
    }

    /// Embedded mode's simulated traffic: the load generator against this engine's own
    /// collector, with a few duplicates and poison events so retries and dead letters show.
    /// Called with trafficMutex held.
    void startDemoTraffic()
    {
        if (!config.embedded || demoTraffic.rate <= 0 || !collector || demoKeys.empty()) {
            return;
        }
        loadgen::LoadOptions load;
        load.url = collectorUrl();
        for (const auto &[tenant, key] : demoKeys) {
            load.keys.push_back(key);
        }
        load.tenants = demoTraffic.tenants;
        load.rate = demoTraffic.rate;
        load.connections = 4;
        load.duration = std::chrono::hours(24 * 365);
        load.dupRate = demoTraffic.duplicateRate;
        load.poisonRate = demoTraffic.poisonRate;
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
        for (const auto &[name, runtime] : stopping) {
            runtime->stop(); // joins the group's thread
        }
        // A start after this stop goes on counting from here (the console restarts engines).
        {
            const std::lock_guard lock(groupsMutex);
            for (const auto &[name, runtime] : stopping) {
                carriedCounters.retire(runtime->metrics());
            }
        }
        stopping.clear();
    }

    std::vector<consume::GroupMetrics> groupMetrics() const
    {
        const std::lock_guard lock(groupsMutex);
        std::vector<consume::GroupMetrics> result;
        for (const auto &[name, runtime] : groups) {
            result.push_back(carriedCounters.carried(runtime->metrics()));
        }
        return result;
    }

    std::string metricsText() const
    {
        EngineMetricsInput input;
        input.instanceId = instanceId;
        input.groups = groupMetrics();
        {
            const std::lock_guard lock(groupsMutex);
            for (const auto *names : {&stoppedGroups, &refusedGroups}) {
                for (const auto &name : *names) {
                    input.groups.push_back(carriedCounters.stopped(name));
                }
            }
        }
        if (const auto monitor = currentLagMonitor()) {
            input.lag = monitor->snapshot();
        }
        return renderEngineMetrics(input);
    }

    /// Runs `action` on a running group under groupsMutex: stopGroup, on the control
    /// thread, cannot free the runtime meanwhile. `action` must be quick (it sets flags).
    Result<void> withGroup(const std::string &name,
                           const std::function<void(consume::GroupRuntime &)> &action) const
    {
        const std::lock_guard lock(groupsMutex);
        const auto it = groups.find(name);
        if (it == groups.end()) {
            return fail(Error {Error::Code::NotFound,
                               "group '" + name + "' is not run by this engine", false});
        }
        action(*it->second);
        return {};
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
        } else if (auto registered = registerEngine(dataDir, info); !registered) {
            log::warn("engine.not_registered", {{"error", registered.error().message}});
        }
    }

    /// The newest audit entry's id, 0 when there is none.
    std::int64_t lastAuditId() const
    {
        ops::AuditFilter filter;
        filter.limit = 1;
        const auto entries = ops::readAuditLog(dataDir, filter);
        return entries && !entries->empty() ? entries->back().id : 0;
    }

    /// Removes an embedded run's temporary data directory, unless someone recorded an
    /// operation there (an audit entry after the demo tenants', or an undo file): then it
    /// stays, and the log says where.
    void removeTemporaryDataDir() const
    {
        std::error_code ec;
        const bool undoFiles = std::filesystem::exists(std::filesystem::path(dataDir) / "resets", ec);
        if (undoFiles || lastAuditId() > auditIdAtStart) {
            log::warn("engine.data_kept",
                      {{"dir", dataDir},
                       {"hint", "it holds the audit log and undo files of operations on this "
                                "embedded run (its mock cluster is gone); delete it when done, "
                                "or give --data DIR to choose the place"}});
            return;
        }
        std::filesystem::remove_all(dataDir, ec);
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
    d->self = this;
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
    // The data directory first: a second engine on it stops here, before it touches Kafka.
    if (auto ready = d->prepareDataDir(); !ready) {
        return ready;
    }
    // Whatever fails from here on undoes what was started, and lets the directory go.
    auto started = qScopeGuard([this] {
        d->redriveRunner.reset();
        d->stopGroups();
        d->collector.reset();
        d->mockCluster.reset();
        if (d->temporaryDataDir) {
            std::error_code ec;
            std::filesystem::remove_all(d->dataDir, ec);
        }
        d->dataDirLock.reset();
    });
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
    Result<void> ready;
    if (d->config.embedded) {
        ready = d->createDemoTenants();
    }
    if (ready) {
        ready = d->startCollector();
    }
    if (ready) {
        ready = d->startGroups();
    }
    if (ready) {
        ready = d->startLagMonitor();
    }
    if (ready) {
        ready = d->startRedriveRunner();
    }
    if (!ready) {
        return ready;
    }
    started.dismiss();
    d->startedAtMs = nowMillis();
    if (d->temporaryDataDir) {
        d->auditIdAtStart = d->lastAuditId();
    }
    if (auto agent = d->startControlAgent(); !agent) {
        // The pipeline runs without it; only remote commands and the fleet view are missing.
        log::warn("engine.control_plane_unavailable", {{"error", agent.error().message}});
    }
    d->writeEngineFile();
    if (isOpenToOthers(d->dataDir)) {
        // A directory made by an older version or by hand: said, not changed.
        log::warn("engine.data_dir_open",
                  {{"dir", d->dataDir},
                   {"hint", "other users may read API key hashes and events here; chmod 700 it "
                            "to keep them out"}});
    }
    {
        const std::lock_guard lock(d->trafficMutex);
        d->demoTraffic.rate = d->config.demoRate;
        d->startDemoTraffic();
    }
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
    // The control plane first (its last heartbeat says the engine is stopping), then
    // traffic, then the collector (it answers or spills what it has in flight), then the
    // groups.
    if (d->controlAgent) {
        d->controlAgent->stop();
        d->controlAgent.reset();
    }
    {
        const std::lock_guard lock(d->trafficMutex);
        d->stopDemoTraffic();
    }
    {
        std::shared_ptr<ops::LagMonitor> monitor;
        {
            const std::lock_guard lock(d->mutex);
            monitor.swap(d->lagMonitor);
        }
        if (monitor) {
            monitor->stop();
        }
    }
    if (d->collector) {
        d->collector->shutdown();
        d->collector.reset();
    }
    if (d->redriveRunner) {
        d->redriveRunner->stop(); // after the batch in hand; its task resumes at next start
        d->redriveRunner.reset();
    }
    d->stopGroups();
    {
        const std::lock_guard lock(d->statusAdminMutex);
        d->statusAdmin.reset();
    }
    d->mockCluster.reset();
    d->brokersDown = false;
    unregisterEngine(d->instanceId);
    removeEngineInfo(d->dataDir);
    if (d->temporaryDataDir) {
        d->removeTemporaryDataDir();
    }
    d->dataDirLock.reset();
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
    return (d->collector ? d->collector->metricsText() : std::string()) + d->metricsText();
}

std::vector<consume::GroupMetrics> Engine::groupMetrics() const
{
    return d->groupMetrics();
}

Result<void> Engine::pauseGroup(const std::string &group)
{
    return d->steerHere(group, true);
}

Result<void> Engine::resumeGroup(const std::string &group)
{
    return d->steerHere(group, false);
}

Result<void> Engine::setGroupFaults(const std::string &group, const consume::FaultInjection &faults)
{
    return d->withGroup(group,
                        [&faults](consume::GroupRuntime &runtime) { runtime.setFaults(faults); });
}

DemoTraffic Engine::demoTraffic() const
{
    const std::lock_guard lock(d->trafficMutex);
    return d->demoTraffic;
}

Result<void> Engine::setDemoTraffic(const DemoTraffic &traffic)
{
    if (!d->config.embedded) {
        return fail(Error::invalid("simulated traffic runs in embedded mode only"));
    }
    if (!(traffic.rate >= 0 && traffic.rate <= 100000) || traffic.tenants < 0
        || !(traffic.duplicateRate >= 0 && traffic.duplicateRate <= 1)
        || !(traffic.poisonRate >= 0 && traffic.poisonRate <= 1)) {
        return fail(Error::invalid(
            "traffic needs a rate of 0 to 100000 requests/s, tenants >= 0, and duplicate and "
            "poison rates between 0 and 1"));
    }
    if (!isRunning()) {
        return fail(Error::unavailable("the engine is not running"));
    }
    const std::lock_guard lock(d->trafficMutex);
    d->stopDemoTraffic();
    d->demoTraffic = traffic;
    d->startDemoTraffic();
    log::info("engine.demo_traffic", {{"rate", std::to_string(traffic.rate)},
                                       {"tenants", std::to_string(traffic.tenants)},
                                       {"duplicate_rate", std::to_string(traffic.duplicateRate)},
                                       {"poison_rate", std::to_string(traffic.poisonRate)}});
    return {};
}

Result<void> Engine::setBrokersDown(bool down)
{
    if (!d->config.embedded || !d->mockCluster) {
        return fail(Error::invalid("brokers can be stopped on the embedded cluster only"));
    }
    for (int broker = 1; broker <= d->mockCluster->brokerCount(); ++broker) {
        auto changed = down ? d->mockCluster->setBrokerDown(broker)
                            : d->mockCluster->setBrokerUp(broker);
        if (!changed) {
            return changed;
        }
    }
    d->brokersDown = down;
    log::warn(down ? "engine.mock_brokers_down" : "engine.mock_brokers_up", {});
    return {};
}

bool Engine::brokersDown() const
{
    return d->brokersDown.load();
}

std::shared_ptr<const ops::LagSnapshot> Engine::lagSnapshot() const
{
    const auto monitor = d->currentLagMonitor();
    if (!monitor) {
        return std::make_shared<const ops::LagSnapshot>();
    }
    return monitor->snapshot();
}

Result<std::string> Engine::startRedrive(const ops::RedriveSpec &spec,
                                         const std::string &requestedBy)
{
    auto db = d->openDatabase();
    if (!db) {
        return fail(db.error());
    }
    auto plan = ops::planRedrive(clientSettings(), **db, spec, kConnectTimeout);
    if (!plan) {
        return fail(plan.error());
    }
    auto id = ops::createRedriveTask(**db, *plan, requestedBy);
    if (id && d->redriveRunner) {
        d->redriveRunner->wake();
    }
    return id;
}

Result<store::RedriveTaskRow> Engine::pauseRedrive(const std::string &taskId)
{
    auto db = d->openDatabase();
    if (!db) {
        return fail(db.error());
    }
    return ops::pauseRedriveTask(**db, taskId);
}

Result<store::RedriveTaskRow> Engine::resumeRedrive(const std::string &taskId)
{
    auto db = d->openDatabase();
    if (!db) {
        return fail(db.error());
    }
    auto resumed = ops::resumeRedriveTask(**db, taskId);
    if (resumed && d->redriveRunner) {
        d->redriveRunner->wake();
    }
    return resumed;
}

Result<store::RedriveTaskRow> Engine::cancelRedrive(const std::string &taskId)
{
    auto db = d->openDatabase();
    if (!db) {
        return fail(db.error());
    }
    return ops::cancelRedriveTask(**db, taskId);
}

Result<std::vector<store::RedriveTaskRow>> Engine::redriveTasks(int limit) const
{
    auto db = d->openDatabase();
    if (!db) {
        return fail(db.error());
    }
    return store::RedriveStore(**db).tasks(limit);
}

Result<std::vector<store::LagHistoryPoint>>
Engine::lagHistory(const std::string &group, std::int64_t fromMs, std::int64_t toMs) const
{
    const auto monitor = d->currentLagMonitor();
    if (!monitor) {
        return fail(Error::unavailable("the engine is not running: no lag history"));
    }
    return monitor->history(group, fromMs, toMs);
}

std::string Engine::instanceId() const
{
    return d->instanceId;
}

kafka::ClientSettings Engine::clientSettings() const
{
    kafka::ClientSettings settings = d->config.kafka;
    settings["bootstrap.servers"] = bootstrapServers();
    return settings;
}

EngineStatus Engine::localStatus() const
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
        status.collectorCounters = d->collector->counters();
    }
    status.groups = groupMetrics();
    return status;
}

EngineStatus Engine::queryStatus(std::chrono::milliseconds timeout) const
{
    EngineStatus status = localStatus();
    const std::lock_guard lock(d->statusAdminMutex);
    if (!d->statusAdmin) {
        auto admin = kafka::AdminClient::create(clientSettings());
        if (!admin) {
            status.error = admin.error().message;
            return status;
        }
        d->statusAdmin = std::move(*admin);
    }
    auto cluster = d->statusAdmin->describeCluster(timeout);
    if (!cluster) {
        status.error = cluster.error().message;
        return status;
    }
    status.connected = true;
    status.brokerCount = static_cast<int>(cluster->brokers.size());
    status.clusterId = cluster->clusterId;
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
