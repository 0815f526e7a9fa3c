#pragma once

#include "bridge/ops_target.h"
#include "ops/redrive.h"
#include "ops/redrive_outcomes.h"
#include "store/redrive_store.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QThread>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace logdeck::ui {

class RedriveWorker;
class RedriveRunWorker;

/// A dry-run plan as the redrive dialog shows it: the counts of ops::RedrivePlan, without the
/// dead letters themselves.
struct RedrivePlanSummary
{
    ops::RedriveSpec spec;
    std::int64_t selected = 0;
    std::int64_t toMove = 0;
    std::int64_t toSkip = 0;
    std::int64_t permanent = 0; ///< of those to move, the ones that failed permanently
    std::map<std::string, std::int64_t> byGroup, byTenant, byErrorClass, byTarget;
    std::map<std::string, std::int64_t> permanentByErrorClass; ///< of those to move

    bool allPermanent() const { return toMove > 0 && permanent == toMove; }
};

/// One redrive task as the task panel lists it.
struct RedriveTaskInfo
{
    store::RedriveTaskRow row;
    std::optional<double> rate; ///< nothing when the task's spec cannot be read
    QString target; ///< "retry", "original" or a topic; "?" when unreadable
    bool finished = false;
};
using RedriveTaskList = std::vector<RedriveTaskInfo>;

/// A task's dead letters, where each went, and (when the cluster answered) what became of it.
struct RedriveTaskOutcomes
{
    ops::RedriveTaskDetails details;
    ops::RedriveOutcomeIndex outcomes;
    bool outcomesKnown = false;
    QString outcomesError; ///< why the outcomes are unknown
};
using RedriveTaskOutcomesPtr = std::shared_ptr<const RedriveTaskOutcomes>;

/// DLQ redrive for the console: the dry-run plan, starting a task, listing tasks, pausing,
/// resuming and cancelling one, and the per-message outcomes of a task, each on the service's
/// thread with the same `ops::` calls as `logdeck-cli dlq redrive|tasks|pause|resume|cancel`,
/// answered by a signal carrying the id its call returned. With an engine in this process
/// its redrive runner moves the records; attached, as the CLI does without a running engine,
/// a task is created in the target's data directory and run here, on a second thread, until
/// it ends or the target changes (then it is paused, never left running without a runner).
/// Answers for an earlier target are dropped.
class RedriveService : public QObject
{
    Q_OBJECT

public:
    explicit RedriveService(QObject *parent = nullptr);
    ~RedriveService() override;

    /// Where redrives act from now on; an unset target fails every call until the next.
    void setTarget(const OpsTarget &target);
    /// Lets go of the target; a task run here is paused. Returns when done.
    void stop();
    const OpsTarget &target() const { return m_target; }

    /// The dry-run plan of `spec` (`dlq redrive --dry-run`): answered by `planned`.
    std::uint64_t plan(const ops::RedriveSpec &spec);
    /// Plans `spec` again and creates the task (`--execute`): answered by `started`.
    std::uint64_t start(const ops::RedriveSpec &spec);
    /// The newest tasks, newest first: answered by `tasksListed`.
    std::uint64_t listTasks();
    /// Answered by `taskChanged`.
    std::uint64_t pause(const QString &taskId);
    std::uint64_t resume(const QString &taskId);
    std::uint64_t cancel(const QString &taskId);
    /// Every dead letter of the task and its outcome: answered by `outcomesReady`.
    std::uint64_t requestOutcomes(const QString &taskId);

    /// While on, lists the tasks every second (tasksListed with request id 0) and, for
    /// `taskId` when given, its outcomes (outcomesReady with id 0) while the task runs or an
    /// outcome is still to come, less often when reading them takes long.
    void setPolling(bool on, const QString &taskId = {});

    static constexpr int kPollIntervalMs = 1000;
    static constexpr int kTaskLimit = 100;

Q_SIGNALS:
    void planned(std::uint64_t requestId, const logdeck::ui::RedrivePlanSummary &plan,
                 const QString &error);
    void started(std::uint64_t requestId, const QString &taskId, const QString &error);
    void tasksListed(std::uint64_t requestId, const logdeck::ui::RedriveTaskList &tasks,
                     const QString &error);
    /// After pause, resume or cancel: the task's state now, or why it did not change.
    void taskChanged(std::uint64_t requestId, const QString &taskId, const QString &state,
                     const QString &error);
    void outcomesReady(std::uint64_t requestId, const QString &taskId,
                       const logdeck::ui::RedriveTaskOutcomesPtr &outcomes, const QString &error);
    /// A task run in this process (attached) stopped: its state, or why it could not run.
    void runEnded(const QString &taskId, const QString &state, const QString &error);

private:
    friend class RedriveWorker;
    friend class RedriveRunWorker;
    std::uint64_t post(std::function<void(RedriveWorker &, std::uint64_t)> work);
    void stopRuns(std::uint64_t generation);

    QThread m_thread;
    QThread m_runThread;
    RedriveWorker *m_worker;
    RedriveRunWorker *m_runWorker;
    OpsTarget m_target;
    std::uint64_t m_lastRequest = 0;
    /// Shared with the run thread: the generation whose runs may go on, and their stop flag.
    std::mutex m_runMutex;
    std::uint64_t m_runGeneration = 0;
    std::atomic<bool> m_stopRun {false};
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(logdeck::ui::RedrivePlanSummary)
Q_DECLARE_METATYPE(logdeck::ui::RedriveTaskList)
Q_DECLARE_METATYPE(logdeck::ui::RedriveTaskOutcomesPtr)
