#include "models/fleet_models.h"

#include "models/time_text.h"
#include "widgets/chip_delegate.h"
#include "widgets/figures.h"

#include <QBrush>
#include <QFont>
#include <algorithm>

namespace logdeck::ui {

namespace {

const QColor kGrey(0x8a, 0x8a, 0x8a);

bool sameEngines(const std::vector<ops::EngineHeartbeat> &a,
                 const std::vector<ops::EngineHeartbeat> &b)
{
    return std::ranges::equal(a, b, {}, &ops::EngineHeartbeat::instance,
                              &ops::EngineHeartbeat::instance);
}

} // namespace

FleetModel::FleetModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

QColor FleetModel::livenessColour(ops::EngineLiveness liveness)
{
    switch (liveness) {
    case ops::EngineLiveness::Alive:
        return QColor(0x1b, 0x7f, 0x3b);
    case ops::EngineLiveness::Silent:
        return QColor(0xc0, 0x1c, 0x28);
    case ops::EngineLiveness::Stopped:
        break;
    }
    return kGrey;
}

QColor FleetModel::groupStateColour(const std::string &state)
{
    if (state == "running") {
        return QColor(0x1b, 0x7f, 0x3b);
    }
    if (state == "paused") {
        return QColor(0xb2, 0x6a, 0x00);
    }
    if (state == "refused" || state == "stopped") {
        return QColor(0xc0, 0x1c, 0x28);
    }
    return kGrey;
}

void FleetModel::setEngines(std::vector<ops::EngineHeartbeat> engines, std::int64_t nowMs)
{
    std::ranges::sort(engines, {}, &ops::EngineHeartbeat::instance);
    m_nowMs = nowMs;
    if (sameEngines(engines, m_engines)) {
        m_engines = std::move(engines);
        if (!m_engines.empty()) {
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        }
        return;
    }
    beginResetModel();
    m_engines = std::move(engines);
    endResetModel();
}

const ops::EngineHeartbeat *FleetModel::engineAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_engines[static_cast<std::size_t>(row)] : nullptr;
}

int FleetModel::rowOf(const QString &instance) const
{
    const std::string id = instance.toStdString();
    const auto found = std::ranges::find(m_engines, id, &ops::EngineHeartbeat::instance);
    return found == m_engines.end() ? -1 : static_cast<int>(found - m_engines.begin());
}

ops::EngineLiveness FleetModel::livenessAt(int row) const
{
    return ops::engineLiveness(*engineAt(row), m_nowMs, ops::kHeartbeatFreshness);
}

int FleetModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_engines.size());
}

int FleetModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FleetModel::data(const QModelIndex &index, int role) const
{
    const ops::EngineHeartbeat *engine = index.isValid() ? engineAt(index.row()) : nullptr;
    if (engine == nullptr) {
        return {};
    }
    const auto liveness = livenessAt(index.row());
    const bool alive = liveness == ops::EngineLiveness::Alive;
    const auto column = static_cast<Column>(index.column());
    const std::int64_t age = m_nowMs - engine->sentAtMs;
    if (role == kChipsRole && column == Groups) {
        QVariantList chips;
        for (const auto &group : engine->groups) {
            // A running group is named only (green); any other state is spelled out.
            chips.append(chip(QString::fromStdString(group.state == "running"
                                                         ? group.group
                                                         : group.group + ": " + group.state),
                              alive ? groupStateColour(group.state) : kGrey));
        }
        return chips;
    }
    if (role == Qt::ForegroundRole) {
        if (column == State) {
            return QBrush(livenessColour(liveness));
        }
        return alive ? QVariant() : QVariant(QBrush(kGrey));
    }
    if (role == Qt::FontRole && column == State) {
        QFont font;
        font.setBold(true);
        return font;
    }
    if (role == Qt::ToolTipRole && column == Groups) {
        QStringList lines;
        for (const auto &group : engine->groups) {
            lines << QString::fromStdString(group.group + ": " + group.state);
        }
        return lines.join(QLatin1Char('\n'));
    }
    if (role == Qt::ToolTipRole) {
        switch (liveness) {
        case ops::EngineLiveness::Alive:
            return tr("Alive: its heartbeat is under %1 s old.")
                .arg(ops::kHeartbeatFreshness.count() / 1000);
        case ops::EngineLiveness::Silent:
            return tr("Silent: no heartbeat for %1 (crashed, hung or cut off from the cluster). "
                      "Its groups' states are as it last said.")
                .arg(durationText(age));
        case ops::EngineLiveness::Stopped:
            return tr("Stopped: its last heartbeat said it was stopping.");
        }
        return {};
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (column) {
    case Instance:
        return QString::fromStdString(engine->instance);
    case State:
        return liveness == ops::EngineLiveness::Silent ? tr("silent (stale)")
                                                       : QString::fromLatin1(
                                                             ops::livenessName(liveness).data(),
                                                             static_cast<qsizetype>(
                                                                 ops::livenessName(liveness).size()));
    case Host:
        return engine->pid > 0 ? QStringLiteral("%1 (pid %2)")
                                     .arg(QString::fromStdString(engine->host))
                                     .arg(engine->pid)
                               : QString::fromStdString(engine->host);
    case Version:
        return engine->version.empty() ? QStringLiteral("–") : QString::fromStdString(engine->version);
    case Mode:
        return engine->mode.empty() ? QStringLiteral("–") : QString::fromStdString(engine->mode);
    case Uptime:
        return engine->startedAtMs > 0 && engine->sentAtMs >= engine->startedAtMs
            ? durationText(engine->sentAtMs - engine->startedAtMs)
            : QStringLiteral("–");
    case LastHeartbeat:
        return engine->sentAtMs > 0 ? tr("%1 ago").arg(durationText(std::max<std::int64_t>(0, age)))
                                    : QStringLiteral("–");
    case Groups:
        return engine->groups.empty() ? tr("no groups") : QVariant();
    case ColumnCount:
        break;
    }
    return {};
}

QVariant FleetModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(section)) {
    case Instance:
        return tr("Instance");
    case State:
        return tr("State");
    case Host:
        return tr("Host");
    case Version:
        return tr("Version");
    case Mode:
        return tr("Mode");
    case Uptime:
        return tr("Uptime");
    case LastHeartbeat:
        return tr("Last heartbeat");
    case Groups:
        return tr("Groups");
    case ColumnCount:
        break;
    }
    return {};
}

EngineGroupModel::EngineGroupModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void EngineGroupModel::setEngine(const ops::EngineHeartbeat *engine)
{
    std::vector<ops::HostedGroupStatus> groups;
    if (engine != nullptr) {
        groups = engine->groups;
    }
    if (std::ranges::equal(groups, m_groups, {}, &ops::HostedGroupStatus::group,
                           &ops::HostedGroupStatus::group)) {
        m_groups = std::move(groups);
        if (!m_groups.empty()) {
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        }
        return;
    }
    beginResetModel();
    m_groups = std::move(groups);
    endResetModel();
}

const ops::HostedGroupStatus *EngineGroupModel::groupAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_groups[static_cast<std::size_t>(row)] : nullptr;
}

int EngineGroupModel::rowOf(const QString &group) const
{
    const std::string name = group.toStdString();
    const auto found = std::ranges::find(m_groups, name, &ops::HostedGroupStatus::group);
    return found == m_groups.end() ? -1 : static_cast<int>(found - m_groups.begin());
}

int EngineGroupModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_groups.size());
}

int EngineGroupModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EngineGroupModel::data(const QModelIndex &index, int role) const
{
    const ops::HostedGroupStatus *group = index.isValid() ? groupAt(index.row()) : nullptr;
    if (group == nullptr) {
        return {};
    }
    const auto column = static_cast<Column>(index.column());
    if (role == kChipsRole && column == State) {
        return QVariantList {chip(QString::fromStdString(group->state),
                                  FleetModel::groupStateColour(group->state))};
    }
    if (role == Qt::TextAlignmentRole
        && (column == Processed || column == DeadLettered || column == Rate)) {
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (column) {
    case Group:
        return QString::fromStdString(group->group);
    case State:
        return QString::fromStdString(group->state);
    case Processed:
        return formatCount(group->processed);
    case DeadLettered:
        return formatCount(group->deadLettered);
    case Rate:
        return formatRate(group->processedPerSecond);
    case Partitions: {
        QStringList parts;
        for (const auto &partition : group->partitions) {
            parts << QStringLiteral("%1[%2]").arg(QString::fromStdString(partition.topic)).arg(partition.partition);
        }
        return parts.isEmpty() ? QStringLiteral("–") : parts.join(QStringLiteral(", "));
    }
    case ColumnCount:
        break;
    }
    return {};
}

QVariant EngineGroupModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(section)) {
    case Group:
        return tr("Group");
    case State:
        return tr("State");
    case Processed:
        return tr("Processed");
    case DeadLettered:
        return tr("Dead-lettered");
    case Rate:
        return tr("Rate");
    case Partitions:
        return tr("Partitions held");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace logdeck::ui
