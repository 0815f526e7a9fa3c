#include "engine.h"

#include "common/log.h"
#include "kafka/admin_client.h"
#include "kafka/mock_cluster.h"
#include "kafka/topic_catalog.h"
#include "logdeck_version.h"

#include <algorithm>
#include <mutex>

namespace logdeck {

struct Engine::Impl
{
    Config config;
    std::unique_ptr<kafka::MockCluster> mockCluster;
    std::string bootstrap;
    bool running = false;
    mutable std::mutex mutex; // guards running and bootstrap against status queries
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
        d->running = true;
    }
    log::info("engine.started", {{"mode", d->config.embedded ? "embedded" : "broker"},
                                 {"bootstrap", bootstrap},
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
    d->mockCluster.reset();
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
        const bool ours = std::ranges::any_of(specs, [&](const kafka::TopicSpec &s) { return s.name == topic.name; });
        if (ours) {
            status.topics.push_back({topic.name, topic.partitions, kafka::topics::roleOf(topic.name)});
        }
    }
    return status;
}

} // namespace logdeck
