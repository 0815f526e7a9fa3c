#include "views/tenants_page.h"

#include "models/tenant_models.h"
#include "kafka/topic_catalog.h"
#include "models/time_text.h"
#include "ops/record_address.h"
#include "views/page_widgets.h"

#include <QComboBox>
#include <QCompleter>
#include <QDateTime>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <optional>

namespace logdeck::ui {

namespace {

constexpr ops::EventState kStates[] = {ops::EventState::Processed, ops::EventState::Pending,
                                       ops::EventState::InRetry, ops::EventState::DeadLettered,
                                       ops::EventState::Redriven};

/// The newest events an inspection shows.
constexpr int kInspectLimit = 500;

QString text(std::string_view view)
{
    return QString::fromUtf8(view.data(), static_cast<qsizetype>(view.size()));
}

QString address(const std::string &topic, std::int32_t partition, std::int64_t offset)
{
    return QString::fromStdString(ops::formatRecordAddress(topic, partition, offset));
}

/// Where the inspected events are on events.raw: the addresses of the oldest and the newest
/// record, or the tenant's partition while no record of it is known.
QString eventsSpan(const ops::TenantInspection &inspection)
{
    const std::string topic(kafka::topics::kRaw);
    std::optional<std::int64_t> first;
    std::optional<std::int64_t> last;
    for (const auto &event : inspection.events) {
        if (event.partition == inspection.partition && event.offset >= 0) {
            first = std::min(first.value_or(event.offset), event.offset);
            last = std::max(last.value_or(event.offset), event.offset);
        }
    }
    if (!first) {
        return QObject::tr("on partition %1 of %2").arg(inspection.partition).arg(text(topic));
    }
    if (*first == *last) {
        return QObject::tr("at %1").arg(address(topic, inspection.partition, *first));
    }
    return QObject::tr("at %1 to %2")
        .arg(address(topic, inspection.partition, *first),
             address(topic, inspection.partition, *last));
}

} // namespace

TenantsPage::TenantsPage(QWidget *parent)
    : QWidget(parent)
    , m_tenantChoice(new QComboBox(this))
    , m_range(new QComboBox(this))
    , m_stateFilter(new QComboBox(this))
    , m_groupFilter(new QComboBox(this))
    , m_textFilter(new QLineEdit(this))
    , m_inspectButton(new QPushButton(tr("Inspect"), this))
    , m_exportButton(new QPushButton(tr("Export…"), this))
    , m_status(new QLabel(this))
    , m_timeline(new TenantTimelineModel(this))
    , m_timelineView(makeRowTable(m_timeline, this))
    , m_eventTitle(new QLabel(this))
    , m_pathSummary(new QLabel(this))
    , m_path(new EventPathModel(this))
    , m_pathView(makeRowTable(m_path, this))
    , m_poll(new QTimer(this))
{
    setObjectName(QStringLiteral("tenantsPage"));
    m_tenantChoice->setObjectName(QStringLiteral("tenantChoice"));
    m_tenantChoice->setEditable(true);
    m_tenantChoice->setInsertPolicy(QComboBox::NoInsert);
    m_tenantChoice->setMinimumWidth(180);
    m_tenantChoice->lineEdit()->setPlaceholderText(tr("tenant id"));
    m_tenantChoice->completer()->setCompletionMode(QCompleter::PopupCompletion);
    m_tenantChoice->completer()->setFilterMode(Qt::MatchContains);
    addTimeRanges(m_range, 24 * 3'600'000LL);
    m_stateFilter->setObjectName(QStringLiteral("tenantStateFilter"));
    m_stateFilter->addItem(tr("Any state"), -1);
    for (const auto state : kStates) {
        m_stateFilter->addItem(eventStateLabel(state), static_cast<int>(state));
    }
    m_groupFilter->setObjectName(QStringLiteral("tenantGroupFilter"));
    m_groupFilter->addItem(tr("Every group"), QString());
    m_textFilter->setObjectName(QStringLiteral("tenantTextFilter"));
    m_textFilter->setPlaceholderText(tr("Event id, type or campaign"));
    m_textFilter->setClearButtonEnabled(true);
    m_inspectButton->setDefault(true);
    m_exportButton->setToolTip(tr("Write the events shown to a file, one JSON object a line"));
    m_exportButton->setEnabled(false);

    auto *title = new QLabel(tr("<span style='font-size:large;font-weight:600'>Tenants</span>"),
                             this);
    auto *searchRow = new QHBoxLayout;
    searchRow->addWidget(title);
    searchRow->addSpacing(12);
    searchRow->addWidget(new QLabel(tr("Tenant"), this));
    searchRow->addWidget(m_tenantChoice);
    searchRow->addWidget(m_range);
    searchRow->addWidget(m_inspectButton);
    searchRow->addStretch();
    searchRow->addWidget(m_exportButton);

    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(new QLabel(tr("Show"), this));
    filterRow->addWidget(m_stateFilter);
    filterRow->addWidget(new QLabel(tr("in"), this));
    filterRow->addWidget(m_groupFilter);
    filterRow->addWidget(m_textFilter, 1);

    m_status->setObjectName(QStringLiteral("tenantStatus"));
    m_status->setTextFormat(Qt::RichText);
    m_status->setWordWrap(true);

    m_timelineView->setObjectName(QStringLiteral("tenantTimeline"));
    auto *header = m_timelineView->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->resizeSection(TenantTimelineModel::Time, 100);
    header->resizeSection(TenantTimelineModel::Event, 110);
    header->resizeSection(TenantTimelineModel::Type, 80);
    // A record address grows with its offset: the column always shows it whole.
    header->setSectionResizeMode(TenantTimelineModel::Where, QHeaderView::ResizeToContents);
    m_pathView->setObjectName(QStringLiteral("tenantEventPath"));
    m_pathView->setSelectionMode(QAbstractItemView::NoSelection);
    m_pathView->setAlternatingRowColors(false);
    auto *pathHeader = m_pathView->horizontalHeader();
    pathHeader->setSectionResizeMode(QHeaderView::Interactive);
    pathHeader->resizeSection(EventPathModel::Time, 190);
    pathHeader->resizeSection(EventPathModel::Since, 100);
    pathHeader->resizeSection(EventPathModel::Hop, 120);
    pathHeader->resizeSection(EventPathModel::Group, 100);
    pathHeader->resizeSection(EventPathModel::Where, 190);

    m_eventTitle->setTextFormat(Qt::RichText);
    m_eventTitle->setText(tr("<b>Event path</b> <span style='color:#6b6b6b'>— select an event "
                             "to follow it through every hop</span>"));
    m_pathSummary->setTextFormat(Qt::RichText);
    m_pathSummary->setWordWrap(true);
    m_pathSummary->setObjectName(QStringLiteral("tenantPathSummary"));

    auto *detail = new QWidget(this);
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 6, 0, 0);
    detailLayout->addWidget(m_eventTitle);
    detailLayout->addWidget(m_pathSummary);
    detailLayout->addWidget(m_pathView, 1);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_timelineView);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 12, 16, 12);
    layout->addLayout(searchRow);
    layout->addLayout(filterRow);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);

    connect(m_inspectButton, &QPushButton::clicked, this,
            [this] { inspect(m_tenantChoice->currentText().trimmed()); });
    connect(m_tenantChoice->lineEdit(), &QLineEdit::returnPressed, this,
            [this] { inspect(m_tenantChoice->currentText().trimmed()); });
    connect(m_tenantChoice, &QComboBox::activated, this,
            [this](int row) { inspect(m_tenantChoice->itemText(row)); });
    connect(m_range, &QComboBox::activated, this, [this] { refresh(); });
    connect(m_stateFilter, &QComboBox::currentIndexChanged, this, &TenantsPage::applyFilter);
    connect(m_groupFilter, &QComboBox::currentIndexChanged, this, &TenantsPage::applyFilter);
    connect(m_textFilter, &QLineEdit::textChanged, this, &TenantsPage::applyFilter);
    connect(m_exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export events"), m_inspected + QStringLiteral("-events.jsonl"),
            tr("JSON lines (*.jsonl);;All files (*)"));
        if (!path.isEmpty()) {
            exportTo(path);
        }
    });
    connect(m_timelineView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TenantsPage::eventSelected);
    connect(&m_service, &TenantService::tenantsListed, this, &TenantsPage::showTenants);
    connect(&m_service, &TenantService::inspected, this, &TenantsPage::showInspection);
    connect(&m_service, &TenantService::traced, this, &TenantsPage::showTrace);
    connect(&m_service, &TenantService::exported, this,
            [this](std::uint64_t id, const QString &path, int events, const QString &error) {
                if (id != m_exportRequest) {
                    return;
                }
                m_exportButton->setEnabled(true);
                m_status->setText(
                    error.isEmpty()
                        ? (events == 1 ? tr("1 event written to %1")
                                       : tr("%1 events written to %2").arg(events))
                              .arg(path.toHtmlEscaped())
                        : QStringLiteral("<span style='color:#c01c28'>%1</span>")
                              .arg(tr("Export failed: %1").arg(error).toHtmlEscaped()));
                Q_EMIT exportFinished(path, error);
            });
    m_status->setText(tr("Pick a tenant to see its events and where each one is."));
    m_poll->setInterval(kPollIntervalMs);
    connect(m_poll, &QTimer::timeout, this, [this] {
        if (!m_inspecting) {
            refresh();
        }
    });
}

void TenantsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_inspecting) {
        refresh();
    }
    m_poll->start();
}

void TenantsPage::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_poll->stop();
}

void TenantsPage::setTarget(const OpsTarget &target)
{
    m_target = target;
    m_service.setTarget(target);
    m_inspectRequest = 0;
    m_traceRequest = 0;
    m_inspecting = false;
    m_timeline->setInspection(nullptr);
    m_path->setTrace(nullptr);
    if (!target.isSet()) {
        return;
    }
    // The demo opens on its first tenant, so that the page shows what it does at once.
    m_preselect = target.mode == ConsoleMode::Demo && m_inspected.isEmpty();
    m_tenantsRequest = m_service.listTenants();
    if (!m_inspected.isEmpty()) {
        inspect(m_inspected);
    }
}

QString TenantsPage::tenant() const
{
    return m_inspected;
}

QString TenantsPage::statusText() const
{
    return m_status->text();
}

void TenantsPage::showTenants(std::uint64_t id, const QStringList &tenants, const QString &error)
{
    if (id != m_tenantsRequest) {
        return;
    }
    m_tenants = tenants;
    const QString typed = m_tenantChoice->currentText();
    m_tenantChoice->clear();
    m_tenantChoice->addItems(tenants);
    m_tenantChoice->setEditText(typed);
    if (!error.isEmpty()) {
        m_tenantChoice->setToolTip(tr("The known tenants could not be read: %1").arg(error));
    }
    if (m_preselect && !tenants.isEmpty() && m_inspected.isEmpty()) {
        m_preselect = false;
        inspect(tenants.first());
    }
}

ops::TenantQuery TenantsPage::query() const
{
    ops::TenantQuery query;
    query.tenant = m_inspected.toStdString();
    query.limit = kInspectLimit;
    if (const qint64 since = rangeStartMs(m_range); since > 0) {
        query.sinceMs = since;
    }
    return query;
}

void TenantsPage::inspect(const QString &tenant)
{
    if (tenant.isEmpty()) {
        return;
    }
    m_inspected = tenant;
    if (m_tenantChoice->currentText() != tenant) {
        m_tenantChoice->setEditText(tenant);
    }
    if (m_timeline->inspection() == nullptr
        || m_timeline->inspection()->tenant != tenant.toStdString()) {
        m_status->setText(tr("Inspecting %1…").arg(tenant.toHtmlEscaped()));
    }
    m_inspecting = true;
    m_inspectRequest = m_service.inspect(query());
}

void TenantsPage::refresh()
{
    if (!m_inspected.isEmpty()) {
        inspect(m_inspected);
    }
}

void TenantsPage::exportTo(const QString &path)
{
    m_exportButton->setEnabled(false);
    m_status->setText(tr("Writing %1…").arg(path.toHtmlEscaped()));
    m_exportRequest = m_service.exportEvents(path, m_timeline->shownEvents());
}

void TenantsPage::showInspection(std::uint64_t id, const TenantInspectionPtr &inspection,
                                 const QString &error)
{
    if (id != m_inspectRequest) {
        return;
    }
    m_inspecting = false;
    const ops::InspectedEvent *selected = m_timeline->eventAt(m_timelineView->currentIndex().row());
    const QString selectedId = selected != nullptr ? QString::fromStdString(selected->eventId)
                                                   : QString();
    if (!error.isEmpty()) {
        m_timeline->setInspection(nullptr);
        m_exportButton->setEnabled(false);
        m_status->setText(QStringLiteral("<span style='color:#c01c28'>%1</span>")
                              .arg(error.toHtmlEscaped()));
        Q_EMIT inspectionShown(error);
        return;
    }
    // The group filter's choices are the inspection's groups.
    const QString group = m_groupFilter->currentData().toString();
    {
        const QSignalBlocker blocker(m_groupFilter);
        m_groupFilter->clear();
        m_groupFilter->addItem(tr("Every group"), QString());
        for (const auto &name : inspection->groups) {
            m_groupFilter->addItem(QString::fromStdString(name), QString::fromStdString(name));
        }
        m_groupFilter->setCurrentIndex(std::max(0, m_groupFilter->findData(group)));
    }
    m_timeline->setInspection(inspection);
    applyFilter();
    const auto events = inspection->events.size();
    QString status =
        (events == 1 ? tr("<b>1</b> event of <b>%1</b>").arg(m_inspected.toHtmlEscaped())
                     : tr("<b>%1</b> events of <b>%2</b>").arg(events).arg(m_inspected.toHtmlEscaped()))
        + QStringLiteral(" ") + eventsSpan(*inspection).toHtmlEscaped()
        + tr(", from %1").arg(text(ops::sourceName(inspection->source)));
    if (inspection->scannedRecords > 0) {
        status += tr(" (%1 records scanned)").arg(inspection->scannedRecords);
    }
    if (inspection->groups.empty()) {
        status += tr(" · <span style='color:#6b6b6b'>no group hosted on the data directory: states "
                     "unknown</span>");
    }
    if (inspection->truncated) {
        status += tr(" · <span style='color:#b26a00'>older events left out: narrow the time "
                     "range</span>");
    }
    status += tr(" · newest first · inspected %1, again every %2 s while shown")
                  .arg(QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")))
                  .arg(kPollIntervalMs / 1000);
    if (events == 0) {
        status += tr("<br><span style='color:#6b6b6b'>No event of this tenant in the time range "
                     "yet: widen the range, or send some.</span>");
    }
    m_status->setText(status);
    m_exportButton->setEnabled(m_timeline->rowCount() > 0);
    int row = selectedId.isEmpty() ? -1 : m_timeline->rowOf(selectedId);
    if (row < 0 && m_timeline->rowCount() > 0) {
        row = 0;
    }
    if (row >= 0) {
        m_timelineView->setCurrentIndex(m_timeline->index(row, 0));
    }
    Q_EMIT inspectionShown({});
}

void TenantsPage::applyFilter()
{
    TenantTimelineModel::Filter filter;
    const int state = m_stateFilter->currentData().toInt();
    if (state >= 0) {
        filter.state = static_cast<ops::EventState>(state);
    }
    filter.group = m_groupFilter->currentData().toString();
    filter.text = m_textFilter->text().trimmed();
    m_timeline->setFilter(filter);
    m_exportButton->setEnabled(m_timeline->rowCount() > 0);
    if (m_timeline->rowCount() > 0 && !m_timelineView->currentIndex().isValid()) {
        m_timelineView->setCurrentIndex(m_timeline->index(0, 0));
    }
}

void TenantsPage::eventSelected()
{
    const ops::InspectedEvent *event = m_timeline->eventAt(m_timelineView->currentIndex().row());
    if (event == nullptr) {
        return;
    }
    const QString id = QString::fromStdString(event->eventId);
    if (m_path->trace() && m_path->trace()->event.eventId == event->eventId
        && m_path->trace()->tenant == m_inspected.toStdString()) {
        // The same event after a refresh: follow it again for its latest hops.
        m_traceRequest = m_service.trace(query(), id);
        return;
    }
    m_eventTitle->setText(tr("<b>Event path</b> %1 <span style='color:#6b6b6b'>(%2, %3) — "
                             "following it…</span>")
                              .arg(id.toHtmlEscaped(),
                                   QString::fromStdString(event->type).toHtmlEscaped(),
                                   timestampText(event->occurredAtMs)));
    m_pathSummary->clear();
    m_path->setTrace(nullptr);
    m_traceRequest = m_service.trace(query(), id);
}

void TenantsPage::showTrace(std::uint64_t id, const EventTracePtr &trace, const QString &error)
{
    if (id != m_traceRequest) {
        return;
    }
    if (!error.isEmpty()) {
        m_pathSummary->setText(QStringLiteral("<span style='color:#c01c28'>%1</span>")
                                   .arg(error.toHtmlEscaped()));
        Q_EMIT traceShown(error);
        return;
    }
    m_path->setTrace(trace);
    m_eventTitle->setText(tr("<b>Event path</b> %1 <span style='color:#6b6b6b'>(%2, occurred "
                             "%3, from %4)</span>")
                              .arg(QString::fromStdString(trace->event.eventId).toHtmlEscaped(),
                                   QString::fromStdString(trace->event.type).toHtmlEscaped(),
                                   timestampText(trace->event.occurredAtMs),
                                   text(ops::sourceName(trace->source))));
    QStringList steps;
    for (const auto &hop : trace->hops) {
        QString step = text(ops::hopName(hop.kind));
        if (!hop.group.empty()) {
            step = QString::fromStdString(hop.group) + QStringLiteral(": ") + step;
        } else if (hop.kind == ops::Hop::Kind::Accepted) {
            step = tr("collector");
        } else if (hop.kind == ops::Hop::Kind::Logged) {
            step = hop.partition >= 0 && hop.offset >= 0
                ? address(hop.topic, hop.partition, hop.offset)
                : QString::fromStdString(hop.topic);
        }
        steps << step.toHtmlEscaped();
    }
    m_pathSummary->setText(steps.join(QStringLiteral(" &nbsp;→&nbsp; ")));
    Q_EMIT traceShown({});
}

} // namespace logdeck::ui
