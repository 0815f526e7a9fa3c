#pragma once

#include "bridge/console_snapshot.h"
#include "bridge/ops_target.h"
#include "bridge/reset_service.h"
#include "dialogs/reset_wizard.h"
#include "store/lag_history.h"
#include "widgets/lag_chart.h"

#include <QPointer>
#include <QWidget>
#include <cstdint>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace logdeck::ui {

class ClusterFeed;

/// Replay: pick any consumer group of the cluster, see its partitions (committed and end
/// offsets, lag, health, the member that holds each), reset its offsets with the wizard
/// (preview, typed confirmation, live steps) and watch it catch up on the lag chart. Below,
/// the history of past resets from the audit log, each with Undo (a preview of the plan
/// back to the offsets before it, then the same confirmation).
class ReplayPage : public QWidget
{
    Q_OBJECT

public:
    ReplayPage(ClusterFeed *feed, QWidget *parent = nullptr);

    void setTarget(const OpsTarget &target);
    void showSnapshot(const ConsoleSnapshotPtr &snapshot);
    void selectGroup(const QString &group);
    QString selectedGroup() const { return m_group; }

    /// Shows or hides reset and undo (read-only mode hides them).
    void setMutationsAllowed(bool allowed);
    bool mutationsVisible() const;

    /// Opens the reset wizard for the selected group (null when none is selected or
    /// mutations are not allowed).
    ResetWizard *openWizard();
    /// Asks for the plan that undoes the history's `row` and opens the wizard at its preview.
    void undoRow(int row);
    /// Reads the history again.
    void refreshHistory();

    ResetService *service() { return &m_service; }
    QComboBox *groupChoice() const { return m_groupChoice; }
    QTableWidget *partitionTable() const { return m_partitions; }
    QTableWidget *historyTable() const { return m_history; }
    QPushButton *resetButton() const { return m_reset; }
    QPushButton *undoButton() const { return m_undo; }
    LagChart *chart() const { return m_chart; }
    ResetWizard *wizard() const { return m_wizard; }
    const std::vector<ops::ResetRecord> &resets() const { return m_resets; }

Q_SIGNALS:
    /// The history table shows a fresh read.
    void historyShown();

private:
    void groupChosen();
    void showGroup();
    void showHistory(std::uint64_t requestId, const std::vector<ops::ResetRecord> &resets,
                     const QString &error);
    void showUndoPlan(std::uint64_t requestId, const ResetPlanPtr &plan, const QString &error);
    void requestChartHistory();
    void showChartHistory(std::uint64_t requestId, const QString &group,
                          const std::vector<store::LagHistoryPoint> &points, const QString &error);
    void updateButtons();
    ResetWizard *createWizard();

    ClusterFeed *m_feed;
    ResetService m_service;
    ConsoleSnapshotPtr m_snapshot;
    QString m_group;
    bool m_mutationsAllowed = false;
    QComboBox *m_groupChoice;
    QLabel *m_groupLine;
    QPushButton *m_reset;
    QTableWidget *m_partitions;
    LagChart *m_chart;
    QTableWidget *m_history;
    QLabel *m_historyNote;
    QPushButton *m_undo;
    QLabel *m_undoError;
    QPointer<ResetWizard> m_wizard;
    std::vector<ops::ResetRecord> m_resets;
    std::uint64_t m_historyRequest = 0;
    std::uint64_t m_undoRequest = 0;
    std::uint64_t m_chartRequest = 0;
    std::int64_t m_lastPointMs = 0;
    /// Live points shown while the chart's history request was out.
    std::vector<ChartPoint> m_liveSinceRequest;
};

} // namespace logdeck::ui
