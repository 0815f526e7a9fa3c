#pragma once
// Qt item models over the feed's lag snapshots: every group of the cluster, and one group's
// partitions. Both update in place when the rows stay the same (the common case at 1 Hz),
// so selection and scroll position survive each tick.

#include "ops/lag_monitor.h"

#include <QAbstractTableModel>
#include <memory>
#include <string>
#include <vector>

namespace logdeck::ui {

/// Text and colour for Burrow's statuses, shared by the tables and the charts.
QString lagStatusText(ops::LagStatus status);
QColor lagStatusColour(ops::LagStatus status);
/// Why a group has the status, in Burrow's terms: one sentence.
QString lagStatusReason(ops::LagStatus status);

/// Data roles beyond Qt's: the raw value behind a cell, for sorting and for tests.
enum LagRole {
    SortRole = Qt::UserRole + 1,
    StatusRole, ///< the row's ops::LagStatus as int
};

class GroupLagModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Group,
        Status,
        Lag,
        TimeLag,
        ConsumeRate,
        ProduceRate,
        TimeToDrain,
        State,
        Members,
        HostedBy,
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;

    void setSnapshot(std::shared_ptr<const ops::LagSnapshot> snapshot);
    const ops::GroupLag *groupAt(int row) const;
    int rowOf(const std::string &group) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const ops::LagSnapshot> m_snapshot;
};

class PartitionLagModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Topic,
        Partition,
        Committed,
        LogEnd,
        Lag,
        TimeLag,
        ConsumeRate,
        Status,
        Owner,
        ColumnCount
    };

    using QAbstractTableModel::QAbstractTableModel;

    /// Shows `group`'s partitions from `snapshot`; none when the group is not in it.
    void setGroup(std::shared_ptr<const ops::LagSnapshot> snapshot, const std::string &group);
    const std::string &group() const { return m_group; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    const std::vector<ops::PartitionLag> &partitions() const;

    std::shared_ptr<const ops::LagSnapshot> m_snapshot;
    std::string m_group;
    const ops::GroupLag *m_found = nullptr;
};

} // namespace logdeck::ui
