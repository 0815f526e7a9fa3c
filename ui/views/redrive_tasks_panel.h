#pragma once

#include "bridge/redrive_service.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QSplitter;
class QTableView;

namespace logdeck::ui {

class RedriveOutcomeModel;
class RedriveTaskModel;

/// The DLQ redrive tasks, newest first: state, progress, rate, target, start and finish;
/// pause, resume and cancel for the selected one (hidden in read-only mode); and what became
/// of each dead letter of the selected task (moved, skipped, failed again, processed). While
/// shown it follows the tasks every second and the selected task's outcomes while they can
/// still change, all read on the service's thread. Until a task exists the panel is its
/// title line alone (collapsed), so that what it sits under gets the space.
class RedriveTasksPanel : public QWidget
{
    Q_OBJECT

public:
    explicit RedriveTasksPanel(RedriveService *service, QWidget *parent = nullptr);

    /// Shows or hides pause, resume and cancel (hidden until allowed).
    void setMutationsAllowed(bool allowed);
    bool mutationsVisible() const;

    /// Selects `taskId` now, or once it is listed (e.g. the task the dialog just started).
    void selectTask(const QString &taskId);
    QString selectedTask() const;

    RedriveTaskModel *taskModel() const { return m_tasks; }
    RedriveOutcomeModel *outcomeModel() const { return m_outcomes; }
    QTableView *taskView() const { return m_taskView; }
    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *resumeButton() const { return m_resume; }
    QPushButton *cancelButton() const { return m_cancel; }
    /// The line above the outcome table, and the panel's status line, as shown.
    QString outcomeSummary() const;
    QString statusText() const;
    /// Whether only the title line shows: no task is known (yet).
    bool isCollapsed() const { return m_collapsed; }

Q_SIGNALS:
    /// The tables were hidden (no task) or shown again (a task exists).
    void collapsedChanged(bool collapsed);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void showTasks(std::uint64_t requestId, const RedriveTaskList &tasks, const QString &error);
    void showOutcomes(std::uint64_t requestId, const QString &taskId,
                      const RedriveTaskOutcomesPtr &outcomes, const QString &error);
    void showChange(std::uint64_t requestId, const QString &taskId, const QString &state,
                    const QString &error);
    void selectionChanged();
    void updateButtons();
    void updateSummary(const QString &error = {});
    void setStatus(const QString &text, bool error);
    void setCollapsed(bool collapsed);
    void fitCollapsed();

    RedriveService *m_service;
    RedriveTaskModel *m_tasks;
    RedriveOutcomeModel *m_outcomes;
    QTableView *m_taskView;
    QTableView *m_outcomeView;
    QLabel *m_status;
    QLabel *m_summary;
    QLabel *m_none; ///< beside the title while no task exists
    QSplitter *m_tables; ///< the tasks and the selected one's outcomes
    QPushButton *m_pause;
    QPushButton *m_resume;
    QPushButton *m_cancel;
    QString m_selected;
    QString m_wanted; ///< to select once listed
    bool m_mutationsAllowed = false; ///< until the window says the session may change things
    bool m_tasksKnown = false;
    bool m_listFailed = false; ///< the status line shows why the tasks are unknown
    bool m_collapsed = false;
};

} // namespace logdeck::ui
