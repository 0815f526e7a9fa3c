#pragma once

#include "engine.h"
#include "kafka/client_settings.h"

#include <QObject>
#include <QThread>
#include <memory>
#include <string>

namespace logdeck::ui {

class ControlWorker;

/// The console's commands: pause and resume a group, and demo mode's fault, traffic and
/// broker controls. Each runs on the service's thread and answers with `finished` carrying
/// the id that its call returned. A hosted group is steered in this process; attached, the
/// command goes through logdeck.control to every engine that runs the group, as
/// `logdeck-cli groups pause` does (the same ops::steerGroup), and is audited.
class GroupControl : public QObject
{
    Q_OBJECT

public:
    explicit GroupControl(QObject *parent = nullptr);
    ~GroupControl() override;

    /// Commands go to this process's engine.
    void useEngine(std::shared_ptr<Engine> engine);
    /// Commands go through `cluster`'s logdeck.control; audit records go to `auditDataDir`.
    void useCluster(kafka::ClientSettings cluster, std::string auditDataDir);
    /// No target: every command fails until one of the above. Returns when done.
    void stop();

    std::uint64_t pauseGroup(const QString &group);
    std::uint64_t resumeGroup(const QString &group);
    /// Pauses or resumes `group` in the one engine `instance` only (this process's engine
    /// directly, any other through logdeck.control addressed to it; ops::steerGroupOn).
    std::uint64_t steerGroupOn(const QString &instance, const QString &group, bool pause);
    /// Demo mode only (the engine refuses otherwise).
    std::uint64_t setGroupFaults(const QString &group, const consume::FaultInjection &faults);
    std::uint64_t setTraffic(const DemoTraffic &traffic);
    std::uint64_t setBrokersDown(bool down);

Q_SIGNALS:
    /// `error` is empty on success.
    void finished(std::uint64_t requestId, const QString &description, const QString &error);

private:
    std::uint64_t post(const QString &description,
                       std::function<QString(ControlWorker &)> command);

    QThread m_thread;
    ControlWorker *m_worker;
    std::uint64_t m_lastRequest = 0;
};

} // namespace logdeck::ui
