#pragma once

#include "engine.h"

#include <QObject>
#include <QThread>
#include <memory>

namespace logdeck::ui {

class EngineWorker;

/// The console's only way to the engine. The engine lives on a worker thread; the bridge
/// sends it commands through queued calls and receives immutable status snapshots through
/// queued signals, so no engine or network call ever runs on the UI thread.
class EngineBridge : public QObject
{
    Q_OBJECT

public:
    explicit EngineBridge(QObject *parent = nullptr);
    ~EngineBridge() override;

    /// Stops any running engine and starts one from `config` on the worker thread.
    void startEngine(const Config &config);

    /// Asks for a fresh status snapshot now instead of at the next tick.
    void refreshNow();

    /// Demo and operations controls for one hosted group. The outcome arrives as
    /// commandFinished, then a fresh status.
    void pauseGroup(const QString &group);
    void resumeGroup(const QString &group);
    void setGroupFaults(const QString &group, const consume::FaultInjection &faults);

    static constexpr int kRefreshIntervalMs = 2000;

Q_SIGNALS:
    void engineStarting(bool embedded, const QString &bootstrapServers);
    void engineStarted(const QString &bootstrapServers);
    void engineFailed(const QString &message);
    void statusUpdated(std::shared_ptr<const logdeck::EngineStatus> status);
    /// A group command finished; `error` is empty on success.
    void commandFinished(const QString &description, const QString &error);

private:
    QThread m_thread;
    EngineWorker *m_worker;
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(std::shared_ptr<const logdeck::EngineStatus>)
