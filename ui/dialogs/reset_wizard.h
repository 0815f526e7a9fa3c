#pragma once

#include "bridge/reset_service.h"
#include "ops/offset_reset.h"

#include <QDialog>
#include <QString>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;

namespace logdeck::ui {

/// The partitions a group has offsets on, for the wizard's scope: topic -> partitions.
using GroupPartitions = std::map<std::string, std::vector<std::int32_t>>;

/// Resets a group's offsets in three steps: choose (one of kafka-consumer-groups' eight
/// strategies, the scope, --rebuild), preview (the engine's plan: current → new offsets per
/// partition, messages re-read or skipped, the time span, who runs the group, warnings)
/// with typed confirmation (the group's name), and run (the steps as they happen, cancel
/// until the offsets are being applied). Opened with a ready plan (an undo), it starts at
/// the preview. Everything runs through the ResetService: the same ops:: calls as
/// `logdeck-cli groups reset-offsets`.
class ResetWizard : public QDialog
{
    Q_OBJECT

public:
    enum class Stage { Choose, Preview, Run };

    ResetWizard(ResetService *service, QString group, GroupPartitions partitions,
                QWidget *parent = nullptr);

    /// Starts at the preview of `plan` (an undo), titled `title`.
    void showPlan(const ResetPlanPtr &plan, const QString &title);

    Stage stage() const;
    /// The request the choices on the first step make; the reason when they make none.
    std::optional<ops::ResetRequest> request(QString *why = nullptr) const;
    /// Selects a strategy (index in kafka-consumer-groups' order: to-datetime, by-duration,
    /// shift-by, to-offset, to-earliest, to-latest, to-current, from-file).
    void setStrategy(ops::ResetStrategy strategy);
    /// Asks for the preview of the current choices.
    void preview();
    /// The plan shown on the preview step (null before).
    ResetPlanPtr plan() const { return m_plan; }

    QTableWidget *previewTable() const { return m_previewTable; }
    QLineEdit *confirmation() const { return m_confirm; }
    QPushButton *executeButton() const { return m_execute; }
    QPushButton *cancelButton() const { return m_cancel; }
    /// The steps as shown on the run step, in order ("✓ Stopping the group" ...).
    QStringList shownSteps() const;
    /// The outcome of the run (null before it ends, or when it failed).
    ResetOutcomePtr outcome() const { return m_outcome; }
    QString errorText() const;
    QString summaryText() const;
    QString strategyNote() const;

    /// Refused while a reset runs: it cannot be left half-watched.
    void reject() override;

Q_SIGNALS:
    /// The reset ended (applied, cancelled or failed).
    void resetFinished();

private:
    QWidget *createChoose();
    QWidget *createPreview();
    QWidget *createRun();
    void strategyChanged();
    void showPreview(std::uint64_t requestId, const ResetPlanPtr &plan, const QString &error);
    void execute();
    void showStep(std::uint64_t requestId, ops::ResetStep step, const QString &text, qint64 atMs);
    void showFinished(std::uint64_t requestId, const ResetOutcomePtr &outcome,
                      const QString &error);
    void setStage(Stage stage);
    void updateButtons();

    ResetService *m_service;
    QString m_group;
    GroupPartitions m_partitions;
    QStackedWidget *m_stages;
    // Choose
    QComboBox *m_strategy;
    QStackedWidget *m_arguments;
    QDateTimeEdit *m_dateTime;
    QComboBox *m_timeZone;
    QSpinBox *m_durationValue;
    QComboBox *m_durationUnit;
    QLineEdit *m_shift;
    QLineEdit *m_offset;
    QLineEdit *m_file;
    QLabel *m_strategyNote;
    QButtonGroup *m_scope;
    QComboBox *m_topic;
    QListWidget *m_chosenPartitions;
    QCheckBox *m_rebuild;
    QLabel *m_chooseError;
    // Preview
    QLabel *m_previewTitle;
    QTableWidget *m_previewTable;
    QLabel *m_summary;
    QLabel *m_warnings;
    QLineEdit *m_confirm;
    // Run
    QListWidget *m_steps;
    QLabel *m_runError;
    // Buttons
    QPushButton *m_back;
    QPushButton *m_next;
    QPushButton *m_execute;
    QPushButton *m_cancel;
    QPushButton *m_close;

    ResetPlanPtr m_plan;
    ResetOutcomePtr m_outcome;
    bool m_undo = false;
    bool m_running = false;
    bool m_applying = false;
    std::uint64_t m_planRequest = 0;
    std::uint64_t m_executeRequest = 0;
    QString m_error;
};

/// "--to-earliest", "--to-datetime", ...: the strategy's command line name.
QString strategyName(ops::ResetStrategy strategy);

} // namespace logdeck::ui
