#include "models/tenant_models.h"

#include "models/time_text.h"
#include "ops/record_address.h"
#include "widgets/chip_delegate.h"

#include <QBrush>
#include <QFont>

namespace logdeck::ui {

namespace {

QString text(std::string_view view)
{
    return QString::fromUtf8(view.data(), static_cast<qsizetype>(view.size()));
}

/// A record's address in the one notation (topic:partition:offset), "–" when not known.
QString where(const std::string &topic, std::int32_t partition, std::int64_t offset)
{
    if (topic.empty() || partition < 0) {
        return QStringLiteral("–");
    }
    return QString::fromStdString(ops::formatRecordAddress(
        topic, partition, offset >= 0 ? std::optional(offset) : std::nullopt));
}

std::optional<ops::EventState> stateIn(const ops::InspectedEvent &event, const std::string &group)
{
    const auto found = event.states.find(group);
    return found != event.states.end() ? std::optional(found->second) : std::nullopt;
}

QColor hopColour(ops::Hop::Kind kind)
{
    switch (kind) {
    case ops::Hop::Kind::Processed:
        return eventStateColour(ops::EventState::Processed);
    case ops::Hop::Kind::Pending:
        return eventStateColour(ops::EventState::Pending);
    case ops::Hop::Kind::Retried:
        return eventStateColour(ops::EventState::InRetry);
    case ops::Hop::Kind::DeadLettered:
        return eventStateColour(ops::EventState::DeadLettered);
    case ops::Hop::Kind::Redriven:
        return eventStateColour(ops::EventState::Redriven);
    case ops::Hop::Kind::Accepted:
    case ops::Hop::Kind::Logged:
        break;
    }
    return QColor(0x44, 0x4b, 0x55);
}

} // namespace

QColor eventStateColour(std::optional<ops::EventState> state)
{
    if (!state) {
        return QColor(0x8a, 0x8a, 0x8a);
    }
    switch (*state) {
    case ops::EventState::Processed:
        return QColor(0x1b, 0x7f, 0x3b);
    case ops::EventState::Pending:
        return QColor(0x1f, 0x6f, 0xb2);
    case ops::EventState::InRetry:
        return QColor(0xb2, 0x6a, 0x00);
    case ops::EventState::DeadLettered:
        return QColor(0xc0, 0x1c, 0x28);
    case ops::EventState::Redriven:
        return QColor(0x7b, 0x3f, 0xb2);
    }
    return QColor(0x8a, 0x8a, 0x8a);
}

QString eventStateLabel(std::optional<ops::EventState> state)
{
    if (!state) {
        return QObject::tr("unknown");
    }
    return *state == ops::EventState::DeadLettered ? QStringLiteral("DLQ") : text(ops::stateName(*state));
}

TenantTimelineModel::TenantTimelineModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void TenantTimelineModel::setInspection(TenantInspectionPtr inspection)
{
    beginResetModel();
    m_inspection = std::move(inspection);
    rebuild();
    endResetModel();
}

void TenantTimelineModel::setFilter(const Filter &filter)
{
    beginResetModel();
    m_filter = filter;
    rebuild();
    endResetModel();
}

bool TenantTimelineModel::accepts(const ops::InspectedEvent &event) const
{
    if (!m_filter.text.isEmpty()) {
        const bool found = QString::fromStdString(event.eventId).contains(m_filter.text, Qt::CaseInsensitive)
            || QString::fromStdString(event.type).contains(m_filter.text, Qt::CaseInsensitive)
            || QString::fromStdString(event.campaignId).contains(m_filter.text, Qt::CaseInsensitive);
        if (!found) {
            return false;
        }
    }
    if (!m_filter.state) {
        return true;
    }
    for (const auto &group : shownGroups()) {
        if (stateIn(event, group) == m_filter.state) {
            return true;
        }
    }
    return false;
}

void TenantTimelineModel::rebuild()
{
    m_rows.clear();
    if (!m_inspection) {
        return;
    }
    const auto &events = m_inspection->events;
    for (int i = static_cast<int>(events.size()) - 1; i >= 0; --i) {
        if (accepts(events[static_cast<std::size_t>(i)])) {
            m_rows.push_back(i);
        }
    }
}

std::vector<std::string> TenantTimelineModel::shownGroups() const
{
    if (!m_inspection) {
        return {};
    }
    if (m_filter.group.isEmpty()) {
        return m_inspection->groups;
    }
    return {m_filter.group.toStdString()};
}

const ops::InspectedEvent *TenantTimelineModel::eventAt(int row) const
{
    if (row < 0 || row >= static_cast<int>(m_rows.size())) {
        return nullptr;
    }
    return &m_inspection->events[static_cast<std::size_t>(m_rows[static_cast<std::size_t>(row)])];
}

int TenantTimelineModel::rowOf(const QString &eventId) const
{
    const std::string id = eventId.toStdString();
    for (int row = 0; row < rowCount(); ++row) {
        if (eventAt(row)->eventId == id) {
            return row;
        }
    }
    return -1;
}

std::vector<ops::InspectedEvent> TenantTimelineModel::shownEvents() const
{
    std::vector<ops::InspectedEvent> events;
    events.reserve(m_rows.size());
    for (int row = 0; row < rowCount(); ++row) {
        events.push_back(*eventAt(row));
    }
    return events;
}

int TenantTimelineModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int TenantTimelineModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TenantTimelineModel::data(const QModelIndex &index, int role) const
{
    const ops::InspectedEvent *event = index.isValid() ? eventAt(index.row()) : nullptr;
    if (event == nullptr) {
        return {};
    }
    const auto column = static_cast<Column>(index.column());
    if (role == kChipsRole && column == States) {
        QVariantList chips;
        for (const auto &group : shownGroups()) {
            const auto state = stateIn(*event, group);
            chips.append(chip(QString::fromStdString(group) + QStringLiteral(": ")
                                  + eventStateLabel(state),
                              eventStateColour(state)));
        }
        return chips;
    }
    if (role == Qt::ToolTipRole && column == States) {
        QStringList lines;
        for (const auto &group : shownGroups()) {
            lines << QString::fromStdString(group) + QStringLiteral(": ")
                    + eventStateLabel(stateIn(*event, group));
        }
        return lines.join(QLatin1Char('\n'));
    }
    if (role == Qt::ToolTipRole) {
        return tr("%1\nevent %2\ntype %3, campaign %4\nreceived %5")
            .arg(timestampText(event->occurredAtMs), QString::fromStdString(event->eventId),
                 QString::fromStdString(event->type),
                 event->campaignId.empty() ? QStringLiteral("–")
                                           : QString::fromStdString(event->campaignId),
                 timestampText(event->receivedAtMs));
    }
    if (role == Qt::ForegroundRole && column == Where && event->partition < 0) {
        return QBrush(eventStateColour(std::nullopt));
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (column) {
    case Time:
        return timeOfDayText(event->occurredAtMs);
    case Event:
        return QString::fromStdString(event->eventId);
    case Type:
        return QString::fromStdString(event->type);
    case States:
        return {};
    case Where:
        return where("events.raw", event->partition, event->offset);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant TenantTimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(section)) {
    case Time:
        return tr("Occurred");
    case Event:
        return tr("Event");
    case Type:
        return tr("Type");
    case States:
        return tr("State in each group");
    case Where:
        return tr("Record");
    case ColumnCount:
        break;
    }
    return {};
}

EventPathModel::EventPathModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void EventPathModel::setTrace(EventTracePtr trace)
{
    beginResetModel();
    m_trace = std::move(trace);
    endResetModel();
}

int EventPathModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_trace ? 0 : static_cast<int>(m_trace->hops.size());
}

int EventPathModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventPathModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !m_trace || index.row() >= rowCount()) {
        return {};
    }
    const ops::Hop &hop = m_trace->hops[static_cast<std::size_t>(index.row())];
    const auto column = static_cast<Column>(index.column());
    if (role == kChipsRole && column == Hop) {
        return QVariantList {chip(text(ops::hopName(hop.kind)), hopColour(hop.kind))};
    }
    if (role == Qt::ForegroundRole && (column == Time || column == Since) && hop.atMs <= 0) {
        return QBrush(eventStateColour(std::nullopt));
    }
    if (role == Qt::ToolTipRole && column == Detail) {
        return QString::fromStdString(hop.detail);
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    const std::int64_t acceptedMs = m_trace->event.receivedAtMs;
    switch (column) {
    case Time:
        return hop.atMs > 0 ? timestampText(hop.atMs) : tr("unknown");
    case Since:
        return hop.atMs > 0 && acceptedMs > 0
            ? QStringLiteral("+") + durationText(std::max<std::int64_t>(0, hop.atMs - acceptedMs))
            : QStringLiteral("–");
    case Hop:
        return text(ops::hopName(hop.kind));
    case Group:
        return hop.group.empty() ? QStringLiteral("–") : QString::fromStdString(hop.group);
    case Where:
        return where(hop.topic, hop.partition, hop.offset);
    case Detail:
        return QString::fromStdString(hop.detail);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant EventPathModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (static_cast<Column>(section)) {
    case Time:
        return tr("Time");
    case Since:
        return tr("Since accepted");
    case Hop:
        return tr("Hop");
    case Group:
        return tr("Group");
    case Where:
        return tr("Record");
    case Detail:
        return tr("Detail");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace logdeck::ui
