#include "bridge/group_control.h"

#include "ops/control_plane.h"
#include "ops/group_control.h"

#include <functional>

namespace logdeck::ui {

namespace {

QString errorOf(const Result<void> &result)
{
    return result ? QString() : QString::fromStdString(result.error().message);
}

} // namespace

/// Lives on the service's thread; every member runs there.
class ControlWorker : public QObject
{
    Q_OBJECT

public:
    std::shared_ptr<Engine> engine;
    kafka::ClientSettings cluster;
    std::string auditDataDir;

    QString steer(const QString &group, bool pause)
    {
        const std::string name = group.toStdString();
        if (engine) {
            return errorOf(pause ? engine->pauseGroup(name) : engine->resumeGroup(name));
        }
        return steerThroughCluster(cluster, auditDataDir,
                                   [&](const std::vector<ops::EngineHeartbeat> &heartbeats) {
                                       return ops::steerGroup(cluster, heartbeats, name, pause,
                                                              auditDataDir);
                                   });
    }

    QString steerOn(const QString &instance, const QString &group, bool pause)
    {
        const std::string id = instance.toStdString();
        if (engine && engine->instanceId() == id) {
            return steer(group, pause);
        }
        // Another engine, even next to this process's: through the cluster's logdeck.control.
        const kafka::ClientSettings settings = engine ? engine->clientSettings() : cluster;
        const std::string auditDir = engine ? engine->dataDir() : auditDataDir;
        return steerThroughCluster(settings, auditDir,
                                   [&](const std::vector<ops::EngineHeartbeat> &heartbeats) {
                                       return ops::steerGroupOn(settings, heartbeats, id,
                                                                group.toStdString(), pause,
                                                                auditDir);
                                   });
    }

    QString steerThroughCluster(
        const kafka::ClientSettings &settings, const std::string &auditDir,
        const std::function<Result<ops::GroupSteerOutcome>(
            const std::vector<ops::EngineHeartbeat> &)> &command)
    {
        if (settings.empty()) {
            return tr("not connected");
        }
        auto heartbeats = ops::readHeartbeats(settings, std::chrono::seconds(3));
        if (!heartbeats) {
            return tr("cannot read the engines' heartbeats: %1")
                .arg(QString::fromStdString(heartbeats.error().message));
        }
        auto outcome = command(*heartbeats);
        if (!outcome) {
            return QString::fromStdString(outcome.error().message);
        }
        if (!outcome->ok) {
            return QString::fromStdString(outcome->result);
        }
        if (!auditDir.empty() && !outcome->auditError.empty()) {
            return tr("done, but the audit record was not written: %1")
                .arg(QString::fromStdString(outcome->auditError));
        }
        return {};
    }

    QString withEngine(const std::function<Result<void>(Engine &)> &command)
    {
        if (!engine) {
            return tr("only a pipeline running in the console can do this");
        }
        return errorOf(command(*engine));
    }
};

GroupControl::GroupControl(QObject *parent)
    : QObject(parent)
    , m_worker(new ControlWorker)
{
    m_thread.setObjectName(QStringLiteral("logdeck-control"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

GroupControl::~GroupControl()
{
    stop();
    m_thread.quit();
    m_thread.wait();
}

void GroupControl::useEngine(std::shared_ptr<Engine> engine)
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, engine = std::move(engine)]() mutable {
            worker->engine = std::move(engine);
            worker->cluster.clear();
        },
        Qt::QueuedConnection);
}

void GroupControl::useCluster(kafka::ClientSettings cluster, std::string auditDataDir)
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, cluster = std::move(cluster), dir = std::move(auditDataDir)] {
            worker->engine.reset();
            worker->cluster = cluster;
            worker->auditDataDir = dir;
        },
        Qt::QueuedConnection);
}

void GroupControl::stop()
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker] {
            worker->engine.reset();
            worker->cluster.clear();
        },
        Qt::BlockingQueuedConnection);
}

std::uint64_t GroupControl::post(const QString &description,
                                 std::function<QString(ControlWorker &)> command)
{
    const auto id = ++m_lastRequest;
    QMetaObject::invokeMethod(
        m_worker,
        [this, worker = m_worker, id, description, command = std::move(command)] {
            const QString error = command(*worker);
            // Queued to the service's thread, where `this` lives.
            QMetaObject::invokeMethod(
                this, [this, id, description, error] { Q_EMIT finished(id, description, error); },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
    return id;
}

std::uint64_t GroupControl::pauseGroup(const QString &group)
{
    return post(tr("Pause %1").arg(group),
                [group](ControlWorker &worker) { return worker.steer(group, true); });
}

std::uint64_t GroupControl::resumeGroup(const QString &group)
{
    return post(tr("Resume %1").arg(group),
                [group](ControlWorker &worker) { return worker.steer(group, false); });
}

std::uint64_t GroupControl::steerGroupOn(const QString &instance, const QString &group,
                                         bool pause)
{
    return post((pause ? tr("Pause %1 on %2") : tr("Resume %1 on %2")).arg(group, instance),
                [instance, group, pause](ControlWorker &worker) {
                    return worker.steerOn(instance, group, pause);
                });
}

std::uint64_t GroupControl::setGroupFaults(const QString &group,
                                           const consume::FaultInjection &faults)
{
    return post(tr("Change faults of %1").arg(group), [group, faults](ControlWorker &worker) {
        return worker.withEngine([&](Engine &engine) {
            return engine.setGroupFaults(group.toStdString(), faults);
        });
    });
}

std::uint64_t GroupControl::setTraffic(const DemoTraffic &traffic)
{
    return post(tr("Change traffic"), [traffic](ControlWorker &worker) {
        return worker.withEngine([&](Engine &engine) { return engine.setDemoTraffic(traffic); });
    });
}

std::uint64_t GroupControl::setBrokersDown(bool down)
{
    return post(down ? tr("Stop the brokers") : tr("Start the brokers"),
                [down](ControlWorker &worker) {
                    return worker.withEngine(
                        [&](Engine &engine) { return engine.setBrokersDown(down); });
                });
}

} // namespace logdeck::ui

#include "group_control.moc"
