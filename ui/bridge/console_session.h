#pragma once

#include "bridge/cluster_feed.h"
#include "bridge/console_snapshot.h"
#include "bridge/group_control.h"
#include "bridge/ops_target.h"
#include "bridge/redrive_service.h"
#include "config.h"

#include <QObject>
#include <QThread>
#include <memory>

namespace logdeck::ui {

class SessionWorker;

/// What the console is connected to, and how: it starts and stops the engine of demo and
/// host mode on its own thread (a start blocks for seconds), or attaches to a cluster
/// without one, and points the feed and the group control at it.
class ConsoleSession : public QObject
{
    Q_OBJECT

public:
    explicit ConsoleSession(QObject *parent = nullptr);
    ~ConsoleSession() override;

    /// Stops whatever runs and connects anew. Demo takes `config` as an embedded one; host
    /// runs the configured groups and collector here; attach runs nothing here.
    void start(ConsoleMode mode, const Config &config);
    /// Stops the engine (if any) and the services; returns when done.
    void stop();

    ConsoleMode mode() const { return m_mode; }
    bool isReadOnly() const { return m_readOnly; }
    /// Hides every mutating action: the views ask before they show one.
    void setReadOnly(bool readOnly) { m_readOnly = readOnly; }

    ClusterFeed *feed() { return &m_feed; }
    GroupControl *control() { return &m_control; }
    /// DLQ redrive, pointed at target().
    RedriveService *redrive() { return &m_redrive; }
    /// Where operations act now; not set (isSet() false) while connecting or stopped.
    const OpsTarget &target() const { return m_target; }

Q_SIGNALS:
    void starting(logdeck::ui::ConsoleMode mode, const QString &bootstrapServers);
    void started(logdeck::ui::ConsoleMode mode, const QString &bootstrapServers);
    void failed(const QString &message);
    /// Something the user should know before going on (e.g. host mode joins groups that
    /// already have members elsewhere).
    void warning(const QString &message);
    /// The target changed: set once connected, cleared when connecting anew or stopping.
    void targetChanged(const logdeck::ui::OpsTarget &target);

private:
    void engineStarted(std::shared_ptr<Engine> engine, ConsoleMode mode);
    void setTarget(OpsTarget target);

    QThread m_thread;
    SessionWorker *m_worker;
    ClusterFeed m_feed;
    GroupControl m_control;
    RedriveService m_redrive;
    ConsoleMode m_mode = ConsoleMode::Attach;
    bool m_readOnly = false;
    std::uint64_t m_generation = 0;
    OpsTarget m_target;
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(std::shared_ptr<logdeck::Engine>)
