#include "bridge/engine_bridge.h"

#include <QTimer>
#include <functional>

namespace logdeck::ui {

/// Owns the Engine on the bridge's worker thread. Every member runs on that thread.
class EngineWorker : public QObject
{
    Q_OBJECT

public:
    void start(const Config &config)
    {
        stop();
        m_engine = std::make_unique<Engine>(config);
        if (auto started = m_engine->start(); !started) {
            m_engine.reset();
            Q_EMIT failed(QString::fromStdString(started.error().message));
            return;
        }
        Q_EMIT started(QString::fromStdString(m_engine->bootstrapServers()));
        if (!m_timer) {
            m_timer = new QTimer(this);
            m_timer->setInterval(EngineBridge::kRefreshIntervalMs);
            connect(m_timer, &QTimer::timeout, this, &EngineWorker::refresh);
        }
        m_timer->start();
        refresh();
    }

    void refresh()
    {
        if (!m_engine) {
            return;
        }
        auto status =
            std::make_shared<const EngineStatus>(m_engine->queryStatus(std::chrono::seconds(3)));
        Q_EMIT statusUpdated(std::move(status));
    }

    /// Runs `command` on the engine, reports it, and refreshes the status.
    void runCommand(const QString &description,
                    const std::function<Result<void>(Engine &)> &command)
    {
        if (!m_engine) {
            Q_EMIT commandFinished(description, tr("the engine is not running"));
            return;
        }
        const auto result = command(*m_engine);
        Q_EMIT commandFinished(description,
                               result ? QString() : QString::fromStdString(result.error().message));
        refresh();
    }

    void stop()
    {
        if (m_timer) {
            m_timer->stop();
        }
        m_engine.reset();
    }

Q_SIGNALS:
    void started(const QString &bootstrapServers);
    void failed(const QString &message);
    void statusUpdated(std::shared_ptr<const logdeck::EngineStatus> status);
    void commandFinished(const QString &description, const QString &error);

private:
    std::unique_ptr<Engine> m_engine;
    QTimer *m_timer = nullptr;
};

EngineBridge::EngineBridge(QObject *parent)
    : QObject(parent)
    , m_worker(new EngineWorker)
{
    qRegisterMetaType<std::shared_ptr<const logdeck::EngineStatus>>();
    m_thread.setObjectName(QStringLiteral("logdeck-engine"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &EngineWorker::started, this, &EngineBridge::engineStarted);
    connect(m_worker, &EngineWorker::failed, this, &EngineBridge::engineFailed);
    connect(m_worker, &EngineWorker::statusUpdated, this, &EngineBridge::statusUpdated);
    connect(m_worker, &EngineWorker::commandFinished, this, &EngineBridge::commandFinished);
    m_thread.start();
}

EngineBridge::~EngineBridge()
{
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker] { worker->stop(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
}

void EngineBridge::startEngine(const Config &config)
{
    Q_EMIT engineStarting(config.embedded, QString::fromStdString(config.bootstrapServers()));
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, config] { worker->start(config); }, Qt::QueuedConnection);
}

void EngineBridge::refreshNow()
{
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker] { worker->refresh(); }, Qt::QueuedConnection);
}

void EngineBridge::pauseGroup(const QString &group)
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, group] {
            worker->runCommand(
                tr("Pause %1").arg(group),
                [name = group.toStdString()](Engine &engine) { return engine.pauseGroup(name); });
        },
        Qt::QueuedConnection);
}

void EngineBridge::resumeGroup(const QString &group)
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, group] {
            worker->runCommand(
                tr("Resume %1").arg(group),
                [name = group.toStdString()](Engine &engine) { return engine.resumeGroup(name); });
        },
        Qt::QueuedConnection);
}

void EngineBridge::setGroupFaults(const QString &group, const consume::FaultInjection &faults)
{
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, group, faults] {
            worker->runCommand(tr("Change faults of %1").arg(group),
                               [name = group.toStdString(), faults](Engine &engine) {
                                   return engine.setGroupFaults(name, faults);
                               });
        },
        Qt::QueuedConnection);
}

} // namespace logdeck::ui

#include "engine_bridge.moc"
