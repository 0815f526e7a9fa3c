#pragma once

#include "bridge/tenant_service.h"

#include <QAbstractTableModel>
#include <QColor>
#include <optional>
#include <vector>

namespace logdeck::ui {

/// The colour of an event's state in a group; grey for unknown (nullopt).
QColor eventStateColour(std::optional<ops::EventState> state);
/// "processed", "pending", "retry", "DLQ", "redriven"; "unknown" for nullopt.
QString eventStateLabel(std::optional<ops::EventState> state);

/// A tenant's events, newest first (the time of day; the date and the campaign in the
/// tooltips), each with a chip per group for its state there
/// (kChipsRole on the States column; a group the inspection could not tell is "unknown",
/// grey). Filters by state, group and free text narrow the rows without a new inspection.
class TenantTimelineModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Time, Event, Type, Where, States, ColumnCount };

    struct Filter
    {
        /// Only events in this state (in `group`, or in any group when it is empty).
        std::optional<ops::EventState> state;
        QString group; ///< also shows only this group's chip
        QString text; ///< in the event id, type or campaign (case-insensitive)
    };

    explicit TenantTimelineModel(QObject *parent = nullptr);

    void setInspection(TenantInspectionPtr inspection);
    TenantInspectionPtr inspection() const { return m_inspection; }
    void setFilter(const Filter &filter);
    const Filter &filter() const { return m_filter; }

    /// The event on `row`, or null.
    const ops::InspectedEvent *eventAt(int row) const;
    /// The row showing `eventId`, or -1.
    int rowOf(const QString &eventId) const;
    /// The events shown, newest first.
    std::vector<ops::InspectedEvent> shownEvents() const;
    /// The groups whose chips are shown.
    std::vector<std::string> shownGroups() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    void rebuild();
    bool accepts(const ops::InspectedEvent &event) const;

    TenantInspectionPtr m_inspection;
    Filter m_filter;
    std::vector<int> m_rows; ///< indexes into m_inspection->events, newest first
};

/// An event's path through the pipeline (ops::EventTrace): one row per hop in time order,
/// with its time, the time since the collector accepted it, the group, where its record is
/// and what happened.
class EventPathModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { Time, Since, Hop, Group, Where, Detail, ColumnCount };

    explicit EventPathModel(QObject *parent = nullptr);

    void setTrace(EventTracePtr trace);
    EventTracePtr trace() const { return m_trace; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    EventTracePtr m_trace;
};

} // namespace logdeck::ui
