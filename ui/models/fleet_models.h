#pragma once

#include "ops/control_plane.h"

#include <QAbstractTableModel>
#include <QColor>
#include <cstdint>
#include <vector>

namespace logdeck::ui {

/// The engines on the cluster from their heartbeats on logdeck.status, with their liveness
/// by the rule `logdeck-cli fleet` uses (ops::engineLiveness): a silent or stopped engine
/// is marked (its state in red or grey, the row greyed) and stays listed.
class FleetModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Instance, State, Host, Version, Mode, Uptime, LastHeartbeat, Groups, ColumnCount };

    explicit FleetModel(QObject *parent = nullptr);

    /// The engines as of `nowMs`; rows keep their place when the same engines come again.
    void setEngines(std::vector<ops::EngineHeartbeat> engines, std::int64_t nowMs);

    const ops::EngineHeartbeat *engineAt(int row) const;
    int rowOf(const QString &instance) const;
    ops::EngineLiveness livenessAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    static QColor livenessColour(ops::EngineLiveness liveness);
    static QColor groupStateColour(const std::string &state);

private:
    std::vector<ops::EngineHeartbeat> m_engines;
    std::int64_t m_nowMs = 0;
};

/// The groups one engine runs, from its heartbeat: state, counters and partitions.
class EngineGroupModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Group, State, Processed, DeadLettered, Rate, Partitions, ColumnCount };

    explicit EngineGroupModel(QObject *parent = nullptr);

    void setEngine(const ops::EngineHeartbeat *engine);
    const ops::HostedGroupStatus *groupAt(int row) const;
    int rowOf(const QString &group) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<ops::HostedGroupStatus> m_groups;
};

} // namespace logdeck::ui
