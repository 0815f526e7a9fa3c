#pragma once

#include "bridge/audit_reader.h"

#include <QAbstractTableModel>
#include <QStringList>
#include <set>
#include <vector>

namespace logdeck::ui {

/// The audit log, newest first: time, who, operation, target, result and parameters.
/// A failed operation's result is red.
class AuditLogModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Time, Who, Operation, Target, Result, Parameters, ColumnCount };

    explicit AuditLogModel(QObject *parent = nullptr);

    /// `entries` oldest first, as read; nothing changes when they are the ones shown.
    void setEntries(const AuditEntriesPtr &entries);
    const store::AuditEntry *entryAt(int row) const;
    int rowOf(std::int64_t id) const;
    /// Every operation seen in any read so far, sorted: the operation filter's choices.
    QStringList operationsSeen() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<store::AuditEntry> m_entries; ///< newest first
    std::set<std::string> m_operations;
};

/// One audit entry's before and after side by side, one row per field (ops::auditChanges);
/// a changed field is highlighted, its old value red and its new one green.
class AuditChangeModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Field, Before, After, ColumnCount };

    explicit AuditChangeModel(QObject *parent = nullptr);

    void setEntry(const store::AuditEntry *entry);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<ops::AuditChange> m_changes;
};

} // namespace logdeck::ui
