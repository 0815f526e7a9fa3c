#pragma once

#include "bridge/console_snapshot.h"

#include <QWidget>
#include <cstdint>

class QLabel;
class QPushButton;
class QTableView;

namespace logdeck::ui {

class EngineGroupModel;
class FleetModel;
class GroupControl;

/// The Logdeck engines on the cluster, from their heartbeats on logdeck.status: instance,
/// state (alive, silent, stopped, by `logdeck-cli fleet`'s rule), host, version, uptime,
/// last heartbeat and groups; for the selected engine its groups, each of which can be
/// paused or resumed on that engine alone (GroupControl::steerGroupOn).
class FleetPage : public QWidget
{
    Q_OBJECT

public:
    FleetPage(GroupControl *control, QWidget *parent = nullptr);

    void showSnapshot(const ConsoleSnapshotPtr &snapshot);
    /// Selects an engine's row.
    void selectEngine(const QString &instance);
    void selectGroup(const QString &group);

    /// Shows or hides pause and resume (read-only mode hides them).
    void setMutationsAllowed(bool allowed);
    bool mutationsVisible() const;

    FleetModel *fleetModel() const { return m_fleet; }
    EngineGroupModel *groupModel() const { return m_groups; }
    QPushButton *steerButton() const { return m_steer; }
    /// The summary line above the engines, as shown.
    QString summaryText() const;
    /// The outcome beside the steer button, as shown.
    QString steerOutcomeText() const;

private:
    void engineSelected();
    void updateSteerButton();
    QString selectedInstance() const;
    QString selectedGroup() const;

    GroupControl *m_control;
    FleetModel *m_fleet;
    QTableView *m_fleetView;
    EngineGroupModel *m_groups;
    QTableView *m_groupView;
    QLabel *m_summary;
    QLabel *m_groupTitle;
    QPushButton *m_steer;
    QLabel *m_steerOutcome;
    QLabel *m_steerNote;
    bool m_mutationsAllowed = false;
    std::uint64_t m_steerRequest = 0;
    bool m_steering = false;
    QString m_inProcessInstance;
};

} // namespace logdeck::ui
