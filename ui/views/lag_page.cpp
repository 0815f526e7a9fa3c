#include "views/lag_page.h"

#include "bridge/cluster_feed.h"
#include "bridge/group_control.h"
#include "models/lag_models.h"
#include "widgets/figures.h"
#include "widgets/lag_chart.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>

namespace logdeck::ui {

namespace {

const QString kMessages = QObject::tr("Lag (messages)");
const QString kSeconds = QObject::tr("Time lag (seconds)");

QTableView *makeTable(QAbstractItemModel *model, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setModel(model);
    view->setSortingEnabled(true);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    // Columns fit their figures: a few dozen rows at 1 Hz measure cheaply.
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setHighlightSections(false);
    return view;
}

QSortFilterProxyModel *sortedBy(QAbstractItemModel *source, QObject *parent)
{
    auto *proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(source);
    proxy->setSortRole(SortRole);
    proxy->setDynamicSortFilter(true);
    return proxy;
}

ChartPoint messagesPoint(const store::LagHistoryPoint &point)
{
    return {point.atMs, static_cast<double>(point.lagMessages)};
}

ChartPoint secondsPoint(const store::LagHistoryPoint &point)
{
    return {point.atMs, point.lagSeconds.value_or(std::nan(""))};
}

struct WindowChoice
{
    const char *label;
    std::chrono::seconds length;
};

constexpr WindowChoice kWindows[] = {
    {QT_TRANSLATE_NOOP("LagPage", "Last minute"), std::chrono::minutes(1)},
    {QT_TRANSLATE_NOOP("LagPage", "Last 5 minutes"), std::chrono::minutes(5)},
    {QT_TRANSLATE_NOOP("LagPage", "Last 15 minutes"), std::chrono::minutes(15)},
    {QT_TRANSLATE_NOOP("LagPage", "Last hour"), std::chrono::hours(1)},
    {QT_TRANSLATE_NOOP("LagPage", "Last 6 hours"), std::chrono::hours(6)},
    {QT_TRANSLATE_NOOP("LagPage", "Last 24 hours"), std::chrono::hours(24)},
    {QT_TRANSLATE_NOOP("LagPage", "Last 7 days"), std::chrono::hours(24 * 7)},
};

} // namespace

LagPage::LagPage(ClusterFeed *feed, GroupControl *control, QWidget *parent)
    : QWidget(parent)
    , m_feed(feed)
    , m_control(control)
    , m_steer(new QPushButton(this))
    , m_steerOutcome(new QLabel(this))
    , m_groups(new GroupLagModel(this))
    , m_groupsSorted(sortedBy(m_groups, this))
    , m_groupView(makeTable(m_groupsSorted, this))
    , m_partitions(new PartitionLagModel(this))
    , m_partitionsSorted(sortedBy(m_partitions, this))
    , m_partitionView(makeTable(m_partitionsSorted, this))
    , m_title(new QLabel(this))
    , m_status(new QLabel(this))
    , m_figures(new QLabel(this))
    , m_windowChoice(new QComboBox(this))
    , m_chart(new LagChart(this))
{
    m_groupView->setObjectName(QStringLiteral("lagGroups"));
    m_partitionView->setObjectName(QStringLiteral("lagPartitions"));
    m_groupView->sortByColumn(GroupLagModel::Group, Qt::AscendingOrder);
    m_partitionView->sortByColumn(PartitionLagModel::Partition, Qt::AscendingOrder);
    m_partitionView->setSelectionMode(QAbstractItemView::NoSelection);

    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.35);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_status->setTextFormat(Qt::RichText);
    m_status->setWordWrap(true);
    m_figures->setTextFormat(Qt::RichText);
    m_figures->setWordWrap(true);
    for (const auto &choice : kWindows) {
        m_windowChoice->addItem(tr(choice.label), static_cast<qint64>(choice.length.count()));
    }
    m_windowChoice->setCurrentIndex(1);
    m_windowChoice->setToolTip(tr("The span of the chart: the last hour at 1 s, beyond it at 1 min"));
    m_chart->setWindow(m_window);
    m_chart->setMinimumHeight(220);

    auto *detail = new QWidget(this);
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(12, 4, 0, 0);
    auto *titleRow = new QHBoxLayout;
    titleRow->addWidget(m_title);
    titleRow->addSpacing(12);
    titleRow->addWidget(m_steer);
    titleRow->addWidget(m_steerOutcome);
    titleRow->addStretch();
    titleRow->addWidget(new QLabel(tr("Window:"), detail));
    titleRow->addWidget(m_windowChoice);
    detailLayout->addLayout(titleRow);
    detailLayout->addWidget(m_status);
    detailLayout->addWidget(m_figures);
    auto *detailSplit = new QSplitter(Qt::Vertical, detail);
    detailSplit->addWidget(m_chart);
    detailSplit->addWidget(m_partitionView);
    detailSplit->setStretchFactor(0, 3);
    detailSplit->setStretchFactor(1, 2);
    detailLayout->addWidget(detailSplit, 1);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_groupView);
    split->addWidget(detail);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setSizes({440, 660});
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);
    layout->addWidget(split);

    connect(m_groupView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &LagPage::groupSelected);
    connect(m_windowChoice, &QComboBox::currentIndexChanged, this, [this](int index) {
        setWindow(std::chrono::seconds(m_windowChoice->itemData(index).toLongLong()));
    });
    connect(m_feed, &ClusterFeed::historyReady, this, &LagPage::showHistory);
    m_steer->setObjectName(QStringLiteral("lagSteer"));
    m_steer->hide();
    m_steerOutcome->setTextFormat(Qt::RichText);
    connect(m_steer, &QPushButton::clicked, this, [this] {
        const auto *hosted = m_snapshot ? m_snapshot->hosted(m_group.toStdString()) : nullptr;
        const bool paused = hosted != nullptr && hosted->state == "paused";
        m_steerOutcome->setText(paused ? tr("resuming…") : tr("pausing…"));
        paused ? m_control->resumeGroup(m_group) : m_control->pauseGroup(m_group);
    });
    connect(m_control, &GroupControl::finished, this,
            [this](std::uint64_t, const QString &description, const QString &error) {
                m_steerOutcome->setText(
                    error.isEmpty() ? tr("%1: done").arg(description.toHtmlEscaped())
                                    : QStringLiteral("<span style='color:#c01c28'>%1</span>")
                                          .arg(error.toHtmlEscaped()));
            });
    showGroupDetail();
}

void LagPage::showSnapshot(const ConsoleSnapshotPtr &snapshot)
{
    m_snapshot = snapshot;
    m_groups->setSnapshot(snapshot->lag);
    if (m_group.isEmpty() && m_groups->rowCount() > 0) {
        // The first Logdeck group, else the first group: something to look at at once.
        QString first;
        for (int row = 0; row < m_groups->rowCount() && first.isEmpty(); ++row) {
            if (!m_groups->groupAt(row)->hostedBy.empty()) {
                first = QString::fromStdString(m_groups->groupAt(row)->group);
            }
        }
        selectGroup(first.isEmpty() ? QString::fromStdString(m_groups->groupAt(0)->group) : first);
    }
    m_partitions->setGroup(snapshot->lag, m_group.toStdString());
    if (snapshot->lag && !m_group.isEmpty()) {
        if (const auto *group = snapshot->lag->find(m_group.toStdString());
            group != nullptr && snapshot->lag->sampledAtMs > m_lastPointMs) {
            m_lastPointMs = snapshot->lag->sampledAtMs;
            const store::LagHistoryPoint point {snapshot->lag->sampledAtMs, group->lag,
                                                group->timeLagSeconds, group->consumeRate, {}};
            m_chart->appendPoint(kMessages, LagChart::Unit::Messages, messagesPoint(point));
            m_chart->appendPoint(kSeconds, LagChart::Unit::Seconds, secondsPoint(point));
            if (m_historyRequest != 0) {
                m_liveSinceRequest.push_back(point);
            }
        }
    }
    showGroupDetail();
}

void LagPage::selectGroup(const QString &group)
{
    const int row = m_groups->rowOf(group.toStdString());
    if (row < 0) {
        m_group = group;
        groupSelected();
        return;
    }
    const QModelIndex index = m_groupsSorted->mapFromSource(m_groups->index(row, 0));
    m_groupView->selectionModel()->select(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_groupView->scrollTo(index);
}

QString LagPage::selectedGroup() const
{
    return m_group;
}

void LagPage::setWindow(std::chrono::seconds window)
{
    m_window = window;
    for (int i = 0; i < m_windowChoice->count(); ++i) {
        if (m_windowChoice->itemData(i).toLongLong() == window.count()) {
            m_windowChoice->setCurrentIndex(i);
        }
    }
    m_chart->setWindow(window);
    requestHistory();
}

void LagPage::setMutationsAllowed(bool allowed)
{
    m_mutationsAllowed = allowed;
    updateSteerButton();
}

bool LagPage::mutationsVisible() const
{
    return !m_steer->isHidden();
}

/// Pause and resume are offered for a Logdeck group (one an engine runs) only: Kafka's
/// own consumers cannot be told to pause.
void LagPage::updateSteerButton()
{
    const auto *hosted = m_snapshot ? m_snapshot->hosted(m_group.toStdString()) : nullptr;
    m_steer->setVisible(m_mutationsAllowed && hosted != nullptr);
    m_steer->setText(hosted != nullptr && hosted->state == "paused" ? tr("Resume") : tr("Pause"));
    m_steer->setToolTip(m_snapshot && m_snapshot->mode == ConsoleMode::Attach
                            ? tr("Sent through logdeck.control to every engine that runs the "
                                 "group; audited")
                            : tr("Pauses fetching in this console's engine; audited"));
}

QString LagPage::statusText() const
{
    return m_status->text();
}

void LagPage::groupSelected()
{
    const QModelIndexList rows = m_groupView->selectionModel()->selectedRows();
    if (!rows.isEmpty()) {
        const auto *group = m_groups->groupAt(m_groupsSorted->mapToSource(rows.first()).row());
        if (group != nullptr) {
            m_group = QString::fromStdString(group->group);
        }
    }
    m_partitions->setGroup(m_snapshot ? m_snapshot->lag : nullptr, m_group.toStdString());
    m_chart->clear();
    m_lastPointMs = 0;
    requestHistory();
    showGroupDetail();
}

void LagPage::requestHistory()
{
    if (m_group.isEmpty()) {
        return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_liveSinceRequest.clear();
    m_historyRequest = m_feed->requestHistory(
        m_group, now - std::chrono::duration_cast<std::chrono::milliseconds>(m_window).count(),
        now);
}

void LagPage::showHistory(std::uint64_t requestId, const QString &group,
                          const std::vector<store::LagHistoryPoint> &points, const QString &error)
{
    if (requestId != m_historyRequest || group != m_group) {
        return; // an answer to an earlier selection or window
    }
    m_historyRequest = 0;
    if (!error.isEmpty()) {
        m_chart->setToolTip(tr("History could not be read: %1").arg(error));
    }
    std::vector<ChartPoint> messages;
    std::vector<ChartPoint> seconds;
    messages.reserve(points.size());
    seconds.reserve(points.size());
    for (const auto &point : points) {
        messages.push_back(messagesPoint(point));
        seconds.push_back(secondsPoint(point));
    }
    // Samples that arrived while the history was read follow it.
    const std::int64_t historyEnd = points.empty() ? 0 : points.back().atMs;
    for (const auto &point : m_liveSinceRequest) {
        if (point.atMs > historyEnd) {
            messages.push_back(messagesPoint(point));
            seconds.push_back(secondsPoint(point));
        }
    }
    m_liveSinceRequest.clear();
    m_lastPointMs = std::max(m_lastPointMs, historyEnd);
    m_chart->setSeries(kMessages, LagChart::Unit::Messages, std::move(messages));
    m_chart->setSeries(kSeconds, LagChart::Unit::Seconds, std::move(seconds));
}

void LagPage::showGroupDetail()
{
    updateSteerButton();
    const ops::GroupLag *group =
        m_snapshot && m_snapshot->lag ? m_snapshot->lag->find(m_group.toStdString()) : nullptr;
    if (group == nullptr) {
        m_title->setText(m_group.isEmpty() ? tr("No group selected") : m_group);
        m_status->setText(m_snapshot && m_snapshot->lag && m_snapshot->lag->sampledAtMs > 0
                              ? tr("Select a consumer group on the left.")
                              : tr("Waiting for the first lag sample…"));
        m_figures->clear();
        return;
    }
    m_title->setText(QString::fromStdString(group->group));
    QString status = QStringLiteral("<span style='color:%1;font-weight:600'>%2</span> — %3")
                         .arg(lagStatusColour(group->status).name(), lagStatusText(group->status),
                              lagStatusReason(group->status).toHtmlEscaped());
    if (!group->statusFromMonitor && group->hostedBy.empty()) {
        status += tr(" <span style='color:#6b6b6b'>(judged from this console's samples)</span>");
    }
    if (!group->error.empty()) {
        status += QStringLiteral("<br><span style='color:#c01c28'>%1</span>")
                      .arg(QString::fromStdString(group->error).toHtmlEscaped());
    }
    m_status->setText(status);
    std::optional<double> produced;
    for (const auto &partition : group->partitions) {
        if (partition.produceRate) {
            produced = produced.value_or(0) + *partition.produceRate;
        }
    }
    const QString members = group->members >= 0 ? QString::number(group->members) : tr("unknown");
    m_figures->setText(
        tr("Lag <b>%1</b> messages · time lag <b>%2</b> · consumed <b>%3</b> against produced "
           "<b>%4</b> · drains in <b>%5</b> · %6 · members %7 · %8")
            .arg(formatCount(group->lag).toHtmlEscaped(),
                 formatSeconds(group->timeLagSeconds).toHtmlEscaped(),
                 formatRate(group->consumeRate).toHtmlEscaped(),
                 formatRate(produced).toHtmlEscaped(),
                 formatSeconds(group->timeToDrainSeconds).toHtmlEscaped(),
                 group->state.empty() ? tr("state unknown")
                                      : QString::fromStdString(group->state).toHtmlEscaped(),
                 members,
                 group->hostedBy.empty()
                     ? tr("not run by Logdeck")
                     : tr("run by %1").arg(QString::fromStdString(group->hostedBy).toHtmlEscaped())));
}

} // namespace logdeck::ui
