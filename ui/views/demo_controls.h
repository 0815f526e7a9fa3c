#pragma once

#include "bridge/console_snapshot.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QSpinBox;

namespace logdeck::ui {

class GroupControl;

/// Demo mode's "break things on purpose" panel: the simulated traffic (rate, tenants,
/// duplicates, poison), one group's pause, failure rate and added latency, and the mock
/// brokers down or up. Only for a pipeline running in the console on the embedded cluster.
class DemoControls : public QWidget
{
    Q_OBJECT

public:
    explicit DemoControls(GroupControl *control, QWidget *parent = nullptr);

    void showSnapshot(const ConsoleSnapshotPtr &snapshot);
    /// The group the group controls act on.
    QString selectedGroup() const;
    void selectGroup(const QString &group);

    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *slowButton() const { return m_slow; }
    QPushButton *brokersButton() const { return m_brokers; }

private:
    void applyTraffic();
    void applyFaults(double failureRate, int latencyMs);
    void showOutcome(std::uint64_t requestId, const QString &description, const QString &error);

    GroupControl *m_control;
    ConsoleSnapshotPtr m_snapshot;
    QSpinBox *m_rate;
    QSpinBox *m_tenants;
    QDoubleSpinBox *m_duplicates;
    QDoubleSpinBox *m_poison;
    QComboBox *m_group;
    QPushButton *m_pause;
    QDoubleSpinBox *m_failures;
    QSpinBox *m_latency;
    QPushButton *m_slow;
    QPushButton *m_brokers;
    QLabel *m_outcome;
    bool m_trafficShown = false;
};

} // namespace logdeck::ui
