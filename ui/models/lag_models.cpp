#include "models/lag_models.h"

#include "widgets/figures.h"

#include <QColor>
#include <QCoreApplication>
#include <QLocale>
#include <algorithm>
#include <cmath>

namespace logdeck::ui {

namespace {

const QString kUnknown = QStringLiteral("–");

QString exactCount(std::int64_t value)
{
    return value >= 0 ? QLocale().toString(static_cast<qint64>(value)) : kUnknown;
}

/// Sort key of an optional figure: unknown sorts below every known value.
QVariant sortKey(std::optional<double> value)
{
    if (!value) {
        return -1.0;
    }
    return std::isfinite(*value) ? *value : 1e300;
}

QVariant statusCell(ops::LagStatus status, int role)
{
    switch (role) {
    case Qt::DisplayRole:
        return lagStatusText(status);
    case Qt::ForegroundRole:
        return lagStatusColour(status);
    case SortRole:
    case StatusRole:
        return static_cast<int>(status);
    default:
        return {};
    }
}

/// A horizontal header's title from a model's column titles.
template<std::size_t N>
QVariant headerTitle(const char *const (&titles)[N], int section, Qt::Orientation orientation,
                     int role)
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0
        || section >= static_cast<int>(N)) {
        return {};
    }
    return QCoreApplication::translate("LagModels", titles[section]);
}

} // namespace

QString lagStatusText(ops::LagStatus status)
{
    return QString::fromUtf8(ops::lagStatusName(status));
}

QString lagStatusReason(ops::LagStatus status)
{
    switch (status) {
    case ops::LagStatus::Ok:
        return QObject::tr("caught up within the window, or its lag is going down");
    case ops::LagStatus::Unknown:
        return QObject::tr("lag is waiting and its members cannot be read (a group on Kafka's "
                           "new consumer protocol)");
    case ops::LagStatus::Warn:
        return QObject::tr("commits advance, but lag grew across the whole window");
    case ops::LagStatus::Rewind:
        return QObject::tr("the committed offset went backwards (usually an offset reset)");
    case ops::LagStatus::Stall:
        return QObject::tr("members are committing, but the offset does not move");
    case ops::LagStatus::Stop:
        return QObject::tr("no commit for longer than the window, with lag waiting");
    }
    return {};
}

QColor lagStatusColour(ops::LagStatus status)
{
    switch (status) {
    case ops::LagStatus::Ok:
        return QColor(0x1b, 0x7f, 0x3b);
    case ops::LagStatus::Warn:
    case ops::LagStatus::Rewind:
        return QColor(0xb2, 0x6a, 0x00);
    case ops::LagStatus::Stall:
    case ops::LagStatus::Stop:
        return QColor(0xc0, 0x1c, 0x28);
    case ops::LagStatus::Unknown:
        break;
    }
    return QColor(0x6b, 0x6b, 0x6b);
}

void GroupLagModel::setSnapshot(std::shared_ptr<const ops::LagSnapshot> snapshot)
{
    const auto names = [](const ops::LagSnapshot *s) {
        std::vector<std::string> result;
        if (s != nullptr) {
            for (const auto &group : s->groups) {
                result.push_back(group.group);
            }
        }
        return result;
    };
    if (names(m_snapshot.get()) == names(snapshot.get())) {
        m_snapshot = std::move(snapshot);
        if (rowCount() > 0) {
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        }
        return;
    }
    beginResetModel();
    m_snapshot = std::move(snapshot);
    endResetModel();
}

const ops::GroupLag *GroupLagModel::groupAt(int row) const
{
    if (!m_snapshot || row < 0 || row >= static_cast<int>(m_snapshot->groups.size())) {
        return nullptr;
    }
    return &m_snapshot->groups[static_cast<std::size_t>(row)];
}

int GroupLagModel::rowOf(const std::string &group) const
{
    if (!m_snapshot) {
        return -1;
    }
    const auto it = std::ranges::find(m_snapshot->groups, group, &ops::GroupLag::group);
    return it == m_snapshot->groups.end() ? -1
                                          : static_cast<int>(it - m_snapshot->groups.begin());
}

int GroupLagModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_snapshot ? 0 : static_cast<int>(m_snapshot->groups.size());
}

int GroupLagModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GroupLagModel::data(const QModelIndex &index, int role) const
{
    const ops::GroupLag *group = groupAt(index.row());
    if (group == nullptr || !index.isValid()) {
        return {};
    }
    std::optional<double> produceRate;
    for (const auto &partition : group->partitions) {
        if (partition.produceRate) {
            produceRate = produceRate.value_or(0) + *partition.produceRate;
        }
    }
    const bool display = role == Qt::DisplayRole;
    const bool sort = role == SortRole;
    switch (index.column()) {
    case Group:
        if (display || sort) {
            return QString::fromStdString(group->group);
        }
        if (role == Qt::ToolTipRole && !group->error.empty()) {
            return QString::fromStdString(group->error);
        }
        break;
    case State:
        if (display || sort) {
            return group->state.empty() ? kUnknown : QString::fromStdString(group->state);
        }
        break;
    case Members:
        if (display) {
            return group->members >= 0 ? QString::number(group->members) : kUnknown;
        }
        if (sort) {
            return group->members;
        }
        break;
    case Lag:
        if (display) {
            return exactCount(group->lag);
        }
        if (sort) {
            return static_cast<qint64>(group->lag);
        }
        break;
    case TimeLag:
        if (display) {
            return formatSeconds(group->timeLagSeconds);
        }
        if (sort) {
            return sortKey(group->timeLagSeconds);
        }
        break;
    case ConsumeRate:
        if (display) {
            return formatRate(group->consumeRate);
        }
        if (sort) {
            return sortKey(group->consumeRate);
        }
        break;
    case ProduceRate:
        if (display) {
            return formatRate(produceRate);
        }
        if (sort) {
            return sortKey(produceRate);
        }
        break;
    case TimeToDrain:
        if (display) {
            return formatSeconds(group->timeToDrainSeconds);
        }
        if (sort) {
            return sortKey(group->timeToDrainSeconds);
        }
        break;
    case Status:
        if (role == Qt::ToolTipRole) {
            return group->statusFromMonitor
                ? tr("Judged by the engine's lag monitor over a full window")
                : tr("Judged from the console's own samples");
        }
        return statusCell(group->status, role);
    case HostedBy:
        if (display || sort) {
            return group->hostedBy.empty() ? tr("not Logdeck")
                                           : QString::fromStdString(group->hostedBy);
        }
        break;
    default:
        break;
    }
    if (role == Qt::TextAlignmentRole
        && ((index.column() >= Lag && index.column() <= TimeToDrain) || index.column() == Members)) {
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant GroupLagModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    static constexpr const char *kTitles[ColumnCount] = {
        QT_TRANSLATE_NOOP("LagModels", "Group"),      QT_TRANSLATE_NOOP("LagModels", "Status"),
        QT_TRANSLATE_NOOP("LagModels", "Lag"),        QT_TRANSLATE_NOOP("LagModels", "Time lag"),
        QT_TRANSLATE_NOOP("LagModels", "Consumed/s"), QT_TRANSLATE_NOOP("LagModels", "Produced/s"),
        QT_TRANSLATE_NOOP("LagModels", "Drains in"),  QT_TRANSLATE_NOOP("LagModels", "State"),
        QT_TRANSLATE_NOOP("LagModels", "Members"),    QT_TRANSLATE_NOOP("LagModels", "Engine")};
    return headerTitle(kTitles, section, orientation, role);
}

void PartitionLagModel::setGroup(std::shared_ptr<const ops::LagSnapshot> snapshot,
                                 const std::string &group)
{
    const ops::GroupLag *found = snapshot ? snapshot->find(group) : nullptr;
    const auto keys = [](const ops::GroupLag *g) {
        std::vector<std::pair<std::string, std::int32_t>> result;
        if (g != nullptr) {
            for (const auto &p : g->partitions) {
                result.emplace_back(p.topic, p.partition);
            }
        }
        return result;
    };
    if (group == m_group && keys(found) == keys(m_found)) {
        m_snapshot = std::move(snapshot);
        m_found = found;
        if (rowCount() > 0) {
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        }
        return;
    }
    beginResetModel();
    m_snapshot = std::move(snapshot);
    m_group = group;
    m_found = found;
    endResetModel();
}

const std::vector<ops::PartitionLag> &PartitionLagModel::partitions() const
{
    static const std::vector<ops::PartitionLag> none;
    return m_found != nullptr ? m_found->partitions : none;
}

int PartitionLagModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(partitions().size());
}

int PartitionLagModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PartitionLagModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount()) {
        return {};
    }
    const ops::PartitionLag &p = partitions()[static_cast<std::size_t>(index.row())];
    const bool display = role == Qt::DisplayRole;
    const bool sort = role == SortRole;
    if (role == Qt::TextAlignmentRole && index.column() >= Partition
        && index.column() <= ConsumeRate) {
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    }
    switch (index.column()) {
    case Topic:
        return display || sort ? QVariant(QString::fromStdString(p.topic)) : QVariant();
    case Partition:
        return display || sort ? QVariant(p.partition) : QVariant();
    case Committed:
        return display ? QVariant(exactCount(p.committedOffset))
             : sort    ? QVariant(static_cast<qint64>(p.committedOffset))
                       : QVariant();
    case LogEnd:
        return display ? QVariant(exactCount(p.logEndOffset))
             : sort    ? QVariant(static_cast<qint64>(p.logEndOffset))
                       : QVariant();
    case Lag:
        return display ? QVariant(exactCount(p.lag))
             : sort    ? QVariant(static_cast<qint64>(p.lag))
                       : QVariant();
    case TimeLag:
        if (role == Qt::ToolTipRole) {
            return p.timeLagExact ? tr("Exact: from the hosting engine's record timestamps")
                                  : tr("Interpolated from the log end's growth");
        }
        return display ? QVariant(formatSeconds(p.timeLagSeconds)
                                  + (p.timeLagExact ? QString() : QStringLiteral(" ~")))
             : sort    ? sortKey(p.timeLagSeconds)
                       : QVariant();
    case ConsumeRate:
        return display ? QVariant(formatRate(p.consumeRate))
             : sort    ? sortKey(p.consumeRate)
                       : QVariant();
    case Status:
        return statusCell(p.status, role);
    case Owner:
        if (display || sort) {
            if (p.consumerId.empty()) {
                // Members the cluster would not describe (the mock cluster, KIP-848) are
                // unknown, not absent.
                return m_found->members < 0 ? tr("unknown") : tr("no member");
            }
            return QStringLiteral("%1 @ %2")
                .arg(QString::fromStdString(p.clientId.empty() ? p.consumerId : p.clientId),
                     QString::fromStdString(p.host));
        }
        if (role == Qt::ToolTipRole) {
            return QString::fromStdString(p.consumerId);
        }
        return {};
    default:
        return {};
    }
}

QVariant PartitionLagModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    static constexpr const char *kTitles[ColumnCount] = {
        QT_TRANSLATE_NOOP("LagModels", "Topic"),    QT_TRANSLATE_NOOP("LagModels", "Partition"),  QT_TRANSLATE_NOOP("LagModels", "Committed"),
        QT_TRANSLATE_NOOP("LagModels", "Log end"),  QT_TRANSLATE_NOOP("LagModels", "Lag"),        QT_TRANSLATE_NOOP("LagModels", "Time lag"),
        QT_TRANSLATE_NOOP("LagModels", "Consumed/s"), QT_TRANSLATE_NOOP("LagModels", "Status"),   QT_TRANSLATE_NOOP("LagModels", "Owner")};
    return headerTitle(kTitles, section, orientation, role);
}

} // namespace logdeck::ui
