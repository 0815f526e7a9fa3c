#include "models/audit_models.h"

#include "models/time_text.h"

#include <QBrush>
#include <QColor>
#include <algorithm>

namespace logdeck::ui {

namespace {

const QColor kRed(0xc0, 0x1c, 0x28);
const QColor kGreen(0x1b, 0x7f, 0x3b);
const QColor kGrey(0x8a, 0x8a, 0x8a);
const QColor kChanged(0xff, 0xf4, 0xd6);

} // namespace

AuditLogModel::AuditLogModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void AuditLogModel::setEntries(const AuditEntriesPtr &entries)
{
    std::vector<store::AuditEntry> newestFirst;
    if (entries) {
        newestFirst.assign(entries->rbegin(), entries->rend());
    }
    for (const auto &entry : newestFirst) {
        m_operations.insert(entry.operation);
    }
    if (std::ranges::equal(newestFirst, m_entries, {}, &store::AuditEntry::id,
                           &store::AuditEntry::id)) {
        return;
    }
    beginResetModel();
    m_entries = std::move(newestFirst);
    endResetModel();
}

const store::AuditEntry *AuditLogModel::entryAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_entries[static_cast<std::size_t>(row)] : nullptr;
}

int AuditLogModel::rowOf(std::int64_t id) const
{
    const auto found = std::ranges::find(m_entries, id, &store::AuditEntry::id);
    return found == m_entries.end() ? -1 : static_cast<int>(found - m_entries.begin());
}

QStringList AuditLogModel::operationsSeen() const
{
    QStringList operations;
    for (const auto &operation : m_operations) {
        operations << QString::fromStdString(operation);
    }
    return operations;
}

int AuditLogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

int AuditLogModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditLogModel::data(const QModelIndex &index, int role) const
{
    const store::AuditEntry *entry = index.isValid() ? entryAt(index.row()) : nullptr;
    if (entry == nullptr) {
        return {};
    }
    const auto column = static_cast<Column>(index.column());
    if (role == Qt::ForegroundRole && column == Result) {
        return QBrush(entry->result == "ok" ? kGreen : kRed);
    }
    if (role == Qt::ToolTipRole && (column == Result || column == Parameters)) {
        return QString::fromStdString(column == Result ? entry->result : entry->parameters);
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (column) {
    case Time:
        return timestampText(entry->atMs);
    case Who:
        return QString::fromStdString(ops::auditActor(*entry));
    case Operation:
        return QString::fromStdString(entry->operation);
    case Target:
        return entry->target.empty() ? QStringLiteral("–") : QString::fromStdString(entry->target);
    case Result:
        return QString::fromStdString(entry->result);
    case Parameters:
        return QString::fromStdString(entry->parameters);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant AuditLogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(section)) {
    case Time:
        return tr("Time");
    case Who:
        return tr("User@host");
    case Operation:
        return tr("Operation");
    case Target:
        return tr("Target");
    case Result:
        return tr("Result");
    case Parameters:
        return tr("Parameters");
    case ColumnCount:
        break;
    }
    return {};
}

AuditChangeModel::AuditChangeModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void AuditChangeModel::setEntry(const store::AuditEntry *entry)
{
    beginResetModel();
    m_changes = entry != nullptr ? ops::auditChanges(*entry) : std::vector<ops::AuditChange> {};
    endResetModel();
}

int AuditChangeModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_changes.size());
}

int AuditChangeModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant AuditChangeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount()) {
        return {};
    }
    const ops::AuditChange &change = m_changes[static_cast<std::size_t>(index.row())];
    const auto column = static_cast<Column>(index.column());
    const std::string &value = column == Before ? change.before : change.after;
    if (role == Qt::BackgroundRole && change.changed()) {
        return QBrush(kChanged);
    }
    if (role == Qt::ForegroundRole && column != Field) {
        if (value.empty()) {
            return QBrush(kGrey);
        }
        if (change.changed()) {
            return QBrush(column == Before ? kRed : kGreen);
        }
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (column) {
    case Field:
        return change.field.empty() ? tr("(whole)") : QString::fromStdString(change.field);
    case Before:
    case After:
        return value.empty() ? tr("(absent)") : QString::fromStdString(value);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant AuditChangeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(section)) {
    case Field:
        return tr("Field");
    case Before:
        return tr("Before");
    case After:
        return tr("After");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace logdeck::ui
