#pragma once

#include "bridge/redrive_service.h"

#include <QAbstractTableModel>
#include <QColor>

namespace logdeck::ui {

/// The redrive tasks, newest first, as the service lists them. A refresh of the same tasks
/// changes values in place (no reset), so the selection and the scroll position stay.
class RedriveTaskModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Task, State, Progress, Rate, Target, Started, Finished, CreatedBy, ColumnCount };
    /// Progress column: moved/total as a fraction 0..1 (a double), or invalid when unknown.
    static constexpr int FractionRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    void setTasks(RedriveTaskList tasks);
    const RedriveTaskList &tasks() const { return m_tasks; }
    /// The row of `taskId`, or -1.
    int rowOf(const QString &taskId) const;
    const RedriveTaskInfo *task(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    RedriveTaskList m_tasks;
};

/// What became of one dead letter of a task, from its item state and the outcome the
/// failing group's progress shows.
enum class RedriveItemOutcome {
    Pending, ///< not moved yet
    Moved, ///< moved; what became of it is unknown (the cluster did not answer)
    NotReached, ///< moved; the failing group has not read it yet
    Processed, ///< moved and processed by the failing group
    FailedAgain, ///< moved and dead-lettered again
    Skipped, ///< already redriven (not forced), or skipped by the runner
    NotMoved, ///< the move failed
    Cancelled, ///< the task was cancelled before it moved
};

/// "pending", "moved", "not processed yet", "processed", "failed again", "skipped",
/// "not moved", "cancelled".
QString outcomeName(RedriveItemOutcome outcome);
QColor outcomeColour(RedriveItemOutcome outcome);
RedriveItemOutcome outcomeOf(const ops::RedriveTaskItem &item, const RedriveTaskOutcomes &all);

/// The dead letters of one task with their outcome.
class RedriveOutcomeModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        DeadLetter,
        Event,
        Tenant,
        Group,
        ErrorClass,
        Target,
        Outcome,
        Detail,
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;

    void setOutcomes(RedriveTaskOutcomesPtr outcomes);
    RedriveTaskOutcomesPtr outcomes() const { return m_outcomes; }
    RedriveItemOutcome outcome(int row) const;
    /// How many rows have `outcome`.
    int count(RedriveItemOutcome outcome) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    RedriveTaskOutcomesPtr m_outcomes;
    std::vector<RedriveItemOutcome> m_kinds;
};

} // namespace logdeck::ui
