#include "bridge/console_session.h"

#include "engine.h"
#include "kafka/admin_client.h"

namespace logdeck::ui {

namespace {

constexpr std::chrono::milliseconds kGroupCheckTimeout {5000};

/// Host mode on a real cluster joins the configured groups: say so when they already have
/// members, whose partitions would then be shared with this console.
QString membersElsewhere(const Config &config)
{
    kafka::ClientSettings cluster = config.kafka;
    cluster["bootstrap.servers"] = config.bootstrapServers();
    auto admin = kafka::AdminClient::create(cluster);
    if (!admin) {
        return {};
    }
    QStringList busy;
    for (const auto &group : config.groups) {
        auto description = (*admin)->describeGroup(group, kGroupCheckTimeout);
        if (description && !description->members.empty()) {
            busy << QStringLiteral("%1 (%2 member(s))")
                        .arg(QString::fromStdString(group))
                        .arg(description->members.size());
        }
    }
    if (busy.isEmpty()) {
        return {};
    }
    return ConsoleSession::tr(
               "Host mode joined groups that already have members elsewhere: %1. Their "
               "partitions are now shared with this console; attach mode only observes.")
        .arg(busy.join(QStringLiteral(", ")));
}

} // namespace

/// Owns the engine's start and stop on the session's thread.
class SessionWorker : public QObject
{
    Q_OBJECT

public:
    void start(ConsoleMode mode, Config config, std::uint64_t generation)
    {
        stop();
        if (mode == ConsoleMode::Attach) {
            return;
        }
        config.embedded = mode == ConsoleMode::Demo;
        if (mode == ConsoleMode::Host) {
            if (const QString warning = membersElsewhere(config); !warning.isEmpty()) {
                m_warning = warning;
            }
        }
        auto engine = std::make_shared<Engine>(std::move(config));
        if (auto started = engine->start(); !started) {
            Q_EMIT failed(generation, QString::fromStdString(started.error().message));
            return;
        }
        m_engine = engine;
        Q_EMIT engineStarted(generation, engine, mode);
        if (!m_warning.isEmpty()) {
            Q_EMIT warning(generation, m_warning);
            m_warning.clear();
        }
    }

    void stop()
    {
        if (m_engine) {
            m_engine->stop();
            m_engine.reset();
        }
    }

Q_SIGNALS:
    void engineStarted(std::uint64_t generation, std::shared_ptr<logdeck::Engine> engine,
                       logdeck::ui::ConsoleMode mode);
    void failed(std::uint64_t generation, const QString &message);
    void warning(std::uint64_t generation, const QString &message);

private:
    std::shared_ptr<Engine> m_engine;
    QString m_warning;
};

ConsoleSession::ConsoleSession(QObject *parent)
    : QObject(parent)
    , m_worker(new SessionWorker)
{
    qRegisterMetaType<std::shared_ptr<logdeck::Engine>>();
    qRegisterMetaType<logdeck::ui::ConsoleMode>();
    qRegisterMetaType<logdeck::ui::OpsTarget>();
    m_thread.setObjectName(QStringLiteral("logdeck-session"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &SessionWorker::engineStarted, this,
            [this](std::uint64_t generation, const std::shared_ptr<Engine> &engine,
                   ConsoleMode mode) {
                if (generation == m_generation) {
                    engineStarted(engine, mode);
                }
            });
    connect(m_worker, &SessionWorker::failed, this,
            [this](std::uint64_t generation, const QString &message) {
                if (generation == m_generation) {
                    Q_EMIT failed(message);
                }
            });
    connect(m_worker, &SessionWorker::warning, this,
            [this](std::uint64_t generation, const QString &message) {
                if (generation == m_generation) {
                    Q_EMIT warning(message);
                }
            });
    m_thread.start();
}

ConsoleSession::~ConsoleSession()
{
    stop();
    m_thread.quit();
    m_thread.wait();
}

void ConsoleSession::start(ConsoleMode mode, const Config &config)
{
    m_feed.stop();
    m_control.stop();
    m_mode = mode;
    const auto generation = ++m_generation;
    setTarget(OpsTarget {});
    const QString bootstrap = mode == ConsoleMode::Demo
        ? tr("embedded mock cluster")
        : QString::fromStdString(config.bootstrapServers());
    Q_EMIT starting(mode, bootstrap);
    if (mode == ConsoleMode::Attach) {
        QMetaObject::invokeMethod(
            m_worker, [worker = m_worker] { worker->stop(); }, Qt::QueuedConnection);
        kafka::ClientSettings cluster = config.kafka;
        cluster["bootstrap.servers"] = config.bootstrapServers();
        m_feed.observe(cluster);
        m_control.useCluster(cluster, config.effectiveDataDir());
        OpsTarget target;
        target.mode = mode;
        target.cluster = cluster;
        target.dataDir = config.effectiveDataDir();
        setTarget(std::move(target));
        Q_EMIT started(mode, bootstrap);
        return;
    }
    QMetaObject::invokeMethod(
        m_worker,
        [worker = m_worker, mode, config, generation] { worker->start(mode, config, generation); },
        Qt::QueuedConnection);
}

void ConsoleSession::engineStarted(std::shared_ptr<Engine> engine, ConsoleMode mode)
{
    const QString bootstrap = QString::fromStdString(engine->bootstrapServers());
    m_feed.followEngine(engine, mode);
    m_control.useEngine(engine);
    OpsTarget target;
    target.mode = mode;
    target.cluster = engine->clientSettings();
    target.dataDir = engine->dataDir();
    target.mockCluster = mode == ConsoleMode::Demo;
    target.engine = std::move(engine);
    setTarget(std::move(target));
    Q_EMIT started(mode, bootstrap);
}

void ConsoleSession::setTarget(OpsTarget target)
{
    target.generation = m_generation;
    m_target = std::move(target);
    m_redrive.setTarget(m_target);
    Q_EMIT targetChanged(m_target);
}

void ConsoleSession::stop()
{
    ++m_generation;
    if (m_target.isSet()) {
        setTarget(OpsTarget {});
    }
    m_feed.stop();
    m_control.stop();
    m_redrive.stop();
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker] { worker->stop(); }, Qt::BlockingQueuedConnection);
}

} // namespace logdeck::ui

#include "console_session.moc"
