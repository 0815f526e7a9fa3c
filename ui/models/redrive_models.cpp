#include "models/redrive_models.h"

#include "widgets/figures.h"

#include <QDateTime>

namespace logdeck::ui {

namespace {

const QColor kGreen(0x1b, 0x7f, 0x3b);
const QColor kAmber(0xb2, 0x6a, 0x00);
const QColor kRed(0xc0, 0x1c, 0x28);
const QColor kGrey(0x6b, 0x6b, 0x6b);

QString qs(const std::string &text)
{
    return QString::fromStdString(text);
}

/// "15:04:05" today, "2026-11-26 15:04:05" before; "–" when unknown.
QString timeText(std::optional<std::int64_t> ms)
{
    if (!ms || *ms <= 0) {
        return QStringLiteral("–");
    }
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(*ms);
    return at.date() == QDate::currentDate() ? at.toString(QStringLiteral("HH:mm:ss"))
                                             : at.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QColor stateColour(const std::string &state)
{
    namespace s = ops::redrive_state;
    if (state == s::kCompleted) {
        return kGreen;
    }
    if (state == s::kFailed) {
        return kRed;
    }
    if (state == s::kPaused || state == s::kCancelled) {
        return kAmber;
    }
    return {};
}

} // namespace

void RedriveTaskModel::setTasks(RedriveTaskList tasks)
{
    const bool sameRows = tasks.size() == m_tasks.size()
        && std::equal(tasks.begin(), tasks.end(), m_tasks.begin(),
                      [](const RedriveTaskInfo &a, const RedriveTaskInfo &b) {
                          return a.row.id == b.row.id;
                      });
    if (!sameRows) {
        beginResetModel();
        m_tasks = std::move(tasks);
        endResetModel();
        return;
    }
    m_tasks = std::move(tasks);
    if (!m_tasks.empty()) {
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    }
}

int RedriveTaskModel::rowOf(const QString &taskId) const
{
    const std::string id = taskId.toStdString();
    for (std::size_t i = 0; i < m_tasks.size(); ++i) {
        if (m_tasks[i].row.id == id) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

const RedriveTaskInfo *RedriveTaskModel::task(int row) const
{
    return row >= 0 && row < rowCount() ? &m_tasks[static_cast<std::size_t>(row)] : nullptr;
}

int RedriveTaskModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_tasks.size());
}

int RedriveTaskModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RedriveTaskModel::data(const QModelIndex &index, int role) const
{
    const RedriveTaskInfo *info = task(index.row());
    if (info == nullptr || index.column() < 0 || index.column() >= ColumnCount) {
        return {};
    }
    const store::RedriveTaskRow &t = info->row;
    if (role == FractionRole && index.column() == Progress) {
        return t.total > 0 ? QVariant(static_cast<double>(t.moved + t.skipped + t.failed)
                                      / static_cast<double>(t.total))
                           : QVariant();
    }
    if (role == Qt::ForegroundRole) {
        if (index.column() == State) {
            const QColor colour = stateColour(t.state);
            return colour.isValid() ? QVariant(colour) : QVariant();
        }
        if ((index.column() == Started && !t.startedAtMs)
            || (index.column() == Finished && !t.finishedAtMs)
            || (index.column() == Rate && !info->rate)) {
            return kGrey;
        }
        return {};
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == State && !t.error.empty()) {
            return qs(t.error);
        }
        if (index.column() == Progress) {
            return tr("%1 moved, %2 skipped, %3 not moved, of %4")
                .arg(formatCount(t.moved), formatCount(t.skipped), formatCount(t.failed),
                     formatCount(t.total));
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        return index.column() == Rate ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(index.column())) {
    case Task:
        return qs(t.id);
    case State:
        return t.error.empty() ? qs(t.state) : tr("%1: %2").arg(qs(t.state), qs(t.error));
    case Progress:
        return tr("%1 / %2").arg(formatCount(t.moved), formatCount(t.total));
    case Rate:
        return info->rate ? formatRate(*info->rate) : QStringLiteral("–");
    case Target:
        return info->target;
    case Started:
        return timeText(t.startedAtMs);
    case Finished:
        return timeText(t.finishedAtMs);
    case CreatedBy:
        return qs(t.createdBy);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant RedriveTaskModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(section)) {
    case Task:
        return tr("Task");
    case State:
        return tr("State");
    case Progress:
        return tr("Moved");
    case Rate:
        return tr("Rate");
    case Target:
        return tr("To");
    case Started:
        return tr("Started");
    case Finished:
        return tr("Finished");
    case CreatedBy:
        return tr("By");
    case ColumnCount:
        break;
    }
    return {};
}

QString outcomeName(RedriveItemOutcome outcome)
{
    switch (outcome) {
    case RedriveItemOutcome::Pending:
        return RedriveOutcomeModel::tr("pending");
    case RedriveItemOutcome::Moved:
        return RedriveOutcomeModel::tr("moved");
    case RedriveItemOutcome::NotReached:
        return RedriveOutcomeModel::tr("not processed yet");
    case RedriveItemOutcome::Processed:
        return RedriveOutcomeModel::tr("processed");
    case RedriveItemOutcome::FailedAgain:
        return RedriveOutcomeModel::tr("failed again");
    case RedriveItemOutcome::Skipped:
        return RedriveOutcomeModel::tr("skipped");
    case RedriveItemOutcome::NotMoved:
        return RedriveOutcomeModel::tr("not moved");
    case RedriveItemOutcome::Cancelled:
        return RedriveOutcomeModel::tr("cancelled");
    }
    return {};
}

QColor outcomeColour(RedriveItemOutcome outcome)
{
    switch (outcome) {
    case RedriveItemOutcome::Processed:
        return kGreen;
    case RedriveItemOutcome::FailedAgain:
    case RedriveItemOutcome::NotMoved:
        return kRed;
    case RedriveItemOutcome::Skipped:
    case RedriveItemOutcome::Cancelled:
        return kAmber;
    case RedriveItemOutcome::Pending:
    case RedriveItemOutcome::Moved:
    case RedriveItemOutcome::NotReached:
        break;
    }
    return kGrey;
}

RedriveItemOutcome outcomeOf(const ops::RedriveTaskItem &item, const RedriveTaskOutcomes &all)
{
    const std::string &state = item.item.state;
    if (state == "skipped") {
        return RedriveItemOutcome::Skipped;
    }
    if (state == "failed") {
        return RedriveItemOutcome::NotMoved;
    }
    if (state == "cancelled") {
        return RedriveItemOutcome::Cancelled;
    }
    if (state != "moved") {
        return RedriveItemOutcome::Pending;
    }
    if (!all.outcomesKnown) {
        return RedriveItemOutcome::Moved;
    }
    const auto *row = all.outcomes.latestOf(item.key(), all.details.task.id);
    if (row == nullptr) {
        return RedriveItemOutcome::Moved; // redriven again since, by another task
    }
    switch (row->outcome) {
    case ops::RedriveOutcome::Processed:
        return RedriveItemOutcome::Processed;
    case ops::RedriveOutcome::DeadLetteredAgain:
        return RedriveItemOutcome::FailedAgain;
    case ops::RedriveOutcome::NotReached:
        break;
    }
    return RedriveItemOutcome::NotReached;
}

void RedriveOutcomeModel::setOutcomes(RedriveTaskOutcomesPtr outcomes)
{
    std::vector<RedriveItemOutcome> kinds;
    if (outcomes) {
        kinds.reserve(outcomes->details.items.size());
        for (const auto &item : outcomes->details.items) {
            kinds.push_back(outcomeOf(item, *outcomes));
        }
    }
    const bool sameRows = outcomes && m_outcomes
        && outcomes->details.task.id == m_outcomes->details.task.id
        && outcomes->details.items.size() == m_outcomes->details.items.size();
    if (!sameRows) {
        beginResetModel();
        m_outcomes = std::move(outcomes);
        m_kinds = std::move(kinds);
        endResetModel();
        return;
    }
    m_outcomes = std::move(outcomes);
    m_kinds = std::move(kinds);
    if (rowCount() > 0) {
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    }
}

RedriveItemOutcome RedriveOutcomeModel::outcome(int row) const
{
    return m_kinds.at(static_cast<std::size_t>(row));
}

int RedriveOutcomeModel::count(RedriveItemOutcome outcome) const
{
    return static_cast<int>(std::count(m_kinds.begin(), m_kinds.end(), outcome));
}

int RedriveOutcomeModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_kinds.size());
}

int RedriveOutcomeModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RedriveOutcomeModel::data(const QModelIndex &index, int role) const
{
    if (!m_outcomes || index.row() < 0 || index.row() >= rowCount() || index.column() < 0
        || index.column() >= ColumnCount) {
        return {};
    }
    const auto &entry = m_outcomes->details.items[static_cast<std::size_t>(index.row())];
    const store::RedriveItemRow &item = entry.item;
    const RedriveItemOutcome kind = m_kinds[static_cast<std::size_t>(index.row())];
    if (role == Qt::ForegroundRole) {
        if (index.column() == Outcome) {
            return outcomeColour(kind);
        }
        return index.column() == Target && !entry.move ? QVariant(kGrey) : QVariant();
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) {
        return {};
    }
    auto orDash = [](const std::string &text) {
        return text.empty() ? QStringLiteral("–") : qs(text);
    };
    switch (static_cast<Column>(index.column())) {
    case DeadLetter:
        return QStringLiteral("%1:%2:%3")
            .arg(qs(item.dlqTopic))
            .arg(item.dlqPartition)
            .arg(item.dlqOffset);
    case Event:
        return orDash(item.eventId);
    case Tenant:
        return orDash(item.tenant);
    case Group:
        return orDash(item.failingGroup);
    case ErrorClass:
        return orDash(item.errorClass);
    case Target:
        if (entry.move) {
            return QStringLiteral("%1:%2:%3")
                .arg(qs(entry.move->targetTopic))
                .arg(entry.move->targetPartition)
                .arg(entry.move->targetOffset);
        }
        return orDash(item.targetTopic);
    case Outcome:
        return outcomeName(kind);
    case Detail: {
        if (!item.note.empty()) {
            return qs(item.note);
        }
        if (kind == RedriveItemOutcome::Moved && !m_outcomes->outcomesKnown) {
            return tr("outcome unknown: %1").arg(m_outcomes->outcomesError);
        }
        const auto *row = m_outcomes->outcomes.latestOf(entry.key(), m_outcomes->details.task.id);
        return row != nullptr ? qs(row->detail) : QString();
    }
    case ColumnCount:
        break;
    }
    return {};
}

QVariant RedriveOutcomeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(section)) {
    case DeadLetter:
        return tr("Dead letter");
    case Event:
        return tr("Event");
    case Tenant:
        return tr("Tenant");
    case Group:
        return tr("Failing group");
    case ErrorClass:
        return tr("Error class");
    case Target:
        return tr("Sent to");
    case Outcome:
        return tr("Outcome");
    case Detail:
        return tr("Detail");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace logdeck::ui
