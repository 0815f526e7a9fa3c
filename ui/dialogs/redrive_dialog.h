#pragma once

#include "bridge/redrive_service.h"

#include <QDialog>
#include <QString>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTimer;
class QTreeWidget;

namespace logdeck::ui {

/// Redrives the dead letters the DLQ page selected (ids, or everything its filter matches):
/// where to (the failing group's retry topic, the original topic, or a named one), how fast
/// and whether to move those already redriven again. Whenever an input changes, a dry-run
/// plan (the `dlq redrive --dry-run` of the CLI) is computed on the service's thread and
/// shown: what moves and what is skipped, by group, tenant, error class and target topic,
/// with a warning when every record to move failed permanently and will fail again. A
/// planning error appears beside the input it concerns. The start button says what it does
/// and creates the task, which the engine (or, attached, the service) runs.
class RedriveDialog : public QDialog
{
    Q_OBJECT

public:
    /// `selection` holds the dead-letter topic and the ids or filter (and `all`) to redrive;
    /// its target, rate and force are the fields' first values. `selectionText` says in
    /// words what was selected ("3 selected dead letters").
    RedriveDialog(RedriveService *service, const ops::RedriveSpec &selection,
                  const QString &selectionText, QWidget *parent = nullptr);

    /// The task the dialog will create, from the selection and the fields as they are.
    ops::RedriveSpec spec() const;
    /// The plan shown, for the fields as they are; nothing while planning or after an error.
    const std::optional<RedrivePlanSummary> &plan() const { return m_plan; }

    QComboBox *targetChoice() const { return m_target; }
    QLineEdit *topicEdit() const { return m_topic; }
    QLineEdit *rateEdit() const { return m_rate; }
    QCheckBox *forceBox() const { return m_force; }
    QPushButton *startButton() const { return m_start; }
    /// The texts as shown (empty when hidden).
    QString planText() const;
    QString warningText() const;
    QString targetError() const;
    QString rateError() const;
    QString planError() const;

    /// Target choices, in the combo box's order.
    enum TargetChoice { RetryTopic, OriginalTopic, NamedTopic };

    static constexpr int kDebounceMs = 300;

Q_SIGNALS:
    /// The task was created; the dialog closes.
    void taskStarted(const QString &taskId);

private:
    void inputsChanged();
    void requestPlan();
    void showPlan(std::uint64_t requestId, const RedrivePlanSummary &plan, const QString &error);
    void startRedrive();
    void showStarted(std::uint64_t requestId, const QString &taskId, const QString &error);
    /// The rate field's value, or why it is not one.
    std::optional<double> rate(QString *problem = nullptr) const;
    void updateStartButton();

    RedriveService *m_service;
    ops::RedriveSpec m_selection;
    QComboBox *m_target;
    QLineEdit *m_topic;
    QLabel *m_targetError;
    QLineEdit *m_rate;
    QLabel *m_rateError;
    QCheckBox *m_force;
    QLabel *m_planStatus;
    QLabel *m_warning;
    QTreeWidget *m_breakdown;
    QLabel *m_planError;
    QLabel *m_startError;
    QPushButton *m_start;
    QTimer *m_debounce;
    std::optional<RedrivePlanSummary> m_plan;
    std::uint64_t m_planRequest = 0;
    std::uint64_t m_startRequest = 0;
};

/// What `selection` selects, in words: "3 selected dead letters", "all matching: tenant=acme,
/// error class=PoisonEvent", "every dead letter".
QString redriveSelectionText(const ops::RedriveSpec &selection);

/// Opens the redrive dialog for `selection` (not modal; it deletes itself when closed) and
/// returns it, e.g. from the DLQ page's redriveRequested. Without `selectionText`, it says
/// what redriveSelectionText says.
RedriveDialog *openRedriveDialog(QWidget *parent, RedriveService *service,
                                 const ops::RedriveSpec &selection,
                                 const QString &selectionText = {});

} // namespace logdeck::ui
