#pragma once

#include "bridge/ops_target.h"
#include "ops/offset_reset.h"

#include <QObject>
#include <QString>
#include <QThread>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace logdeck::ui {

class ResetWorker;

using ResetPlanPtr = std::shared_ptr<const ops::ResetPlan>;
using ResetOutcomePtr = std::shared_ptr<const ops::ResetOutcome>;

/// Offset resets for the replay page, on the service's own thread, through the same `ops::`
/// calls as `logdeck-cli groups reset-offsets`: plan, execute (with its steps as they
/// happen, and cancel until the apply step), the history of past resets and the plan that
/// undoes one. Each call returns a request id that its answer carries; answers for an older
/// target (another connection) are dropped.
class ResetService : public QObject
{
    Q_OBJECT

public:
    explicit ResetService(QObject *parent = nullptr);
    ~ResetService() override;

    /// Where the resets act: the cluster, the data directory (audit log, undo files) and
    /// whether the cluster is the embedded mock cluster.
    void setTarget(const OpsTarget &target);
    const OpsTarget &target() const { return m_target; }
    /// The context `ops::` calls get for the current target.
    ops::ResetContext context() const;

    std::uint64_t plan(const ops::ResetRequest &request);
    /// Runs `plan`; stepReached reports each step, executeFinished the end.
    std::uint64_t execute(const ops::ResetPlan &plan);
    /// Cancels the running execute; false when none runs or its apply step has started.
    bool cancel();
    bool isExecuting() const { return m_running != nullptr; }
    /// Past resets, newest first; `group`'s only when not empty.
    std::uint64_t history(const QString &group = {});
    /// The plan that undoes `record` (a --from-file plan of its undo file).
    std::uint64_t undoPlan(const ops::ResetRecord &record);

Q_SIGNALS:
    /// `error` is empty when `plan` is set.
    void planReady(std::uint64_t requestId, logdeck::ui::ResetPlanPtr plan, const QString &error);
    void stepReached(std::uint64_t requestId, logdeck::ops::ResetStep step, const QString &text,
                     qint64 atMs);
    /// `error` is empty when `outcome` is set (which may say it was cancelled).
    void executeFinished(std::uint64_t requestId, logdeck::ui::ResetOutcomePtr outcome,
                         const QString &error);
    void historyReady(std::uint64_t requestId, const std::vector<logdeck::ops::ResetRecord> &resets,
                      const QString &error);

private:
    /// Runs `work` on the service's thread; its answer is delivered on this object's thread
    /// unless the target changed meanwhile.
    void post(std::function<std::function<void()>()> work);
    /// Makes a plan on the service's thread; planReady answers.
    std::uint64_t postPlan(std::function<Result<ops::ResetPlan>(const ops::ResetContext &)> make);
    bool current(std::uint64_t generation) const { return generation == m_target.generation; }

    QThread m_thread;
    ResetWorker *m_worker;
    OpsTarget m_target;
    std::uint64_t m_lastRequest = 0;
    std::shared_ptr<ops::ResetCancellation> m_running;
};

} // namespace logdeck::ui
