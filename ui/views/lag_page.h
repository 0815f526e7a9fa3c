#pragma once

#include "bridge/console_snapshot.h"
#include "store/lag_history.h"

#include <QWidget>
#include <chrono>
#include <cstdint>

class QComboBox;
class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace logdeck::ui {

class ClusterFeed;
class GroupControl;
class GroupLagModel;
class LagChart;
class PartitionLagModel;

/// Every consumer group of the cluster (Logdeck's and others'), and for the selected one its
/// lag in messages and seconds over a chosen window, its health with the reason, consume
/// against produce rate, time to drain, and its partitions.
class LagPage : public QWidget
{
    Q_OBJECT

public:
    LagPage(ClusterFeed *feed, GroupControl *control, QWidget *parent = nullptr);

    void showSnapshot(const ConsoleSnapshotPtr &snapshot);
    /// Selects `group` (the overview's diagram jumps here).
    void selectGroup(const QString &group);
    QString selectedGroup() const;
    void setWindow(std::chrono::seconds window);

    GroupLagModel *groupModel() const { return m_groups; }
    PartitionLagModel *partitionModel() const { return m_partitions; }
    LagChart *chart() const { return m_chart; }
    /// The selected group's health line, as shown.
    QString statusText() const;

    /// Shows or hides pause and resume (read-only mode hides them).
    void setMutationsAllowed(bool allowed);
    bool mutationsVisible() const;
    QPushButton *steerButton() const { return m_steer; }

private:
    void groupSelected();
    void requestHistory();
    void showHistory(std::uint64_t requestId, const QString &group,
                     const std::vector<store::LagHistoryPoint> &points, const QString &error);
    void showGroupDetail();

    void updateSteerButton();

    ClusterFeed *m_feed;
    GroupControl *m_control;
    QPushButton *m_steer;
    QLabel *m_steerOutcome;
    bool m_mutationsAllowed = false;
    ConsoleSnapshotPtr m_snapshot;
    GroupLagModel *m_groups;
    QSortFilterProxyModel *m_groupsSorted;
    QTableView *m_groupView;
    PartitionLagModel *m_partitions;
    QSortFilterProxyModel *m_partitionsSorted;
    QTableView *m_partitionView;
    QLabel *m_title;
    QLabel *m_status;
    QLabel *m_figures;
    QComboBox *m_windowChoice;
    LagChart *m_chart;
    QString m_group;
    std::chrono::seconds m_window {std::chrono::minutes(5)};
    std::uint64_t m_historyRequest = 0;
    std::int64_t m_lastPointMs = 0;
    /// Live points shown while the history request was out: kept when the history arrives.
    std::vector<store::LagHistoryPoint> m_liveSinceRequest;
};

} // namespace logdeck::ui
