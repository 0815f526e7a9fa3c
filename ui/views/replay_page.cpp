#include "views/replay_page.h"

#include "bridge/cluster_feed.h"
#include "dialogs/reset_wizard.h"
#include "models/lag_models.h"
#include "widgets/figures.h"
#include "widgets/lag_chart.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

namespace logdeck::ui {

namespace {

const QString kLag = QObject::tr("Lag (messages)");
constexpr std::chrono::minutes kChartWindow {5};
const QColor kGrey(0x6b, 0x6b, 0x6b);

QTableWidget *makeTable(const QStringList &headers, QWidget *parent)
{
    auto *table = new QTableWidget(0, static_cast<int>(headers.size()), parent);
    table->setHorizontalHeaderLabels(headers);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 8);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setAlternatingRowColors(true);
    table->setWordWrap(false);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setStretchLastSection(true);
    table->horizontalHeader()->setHighlightSections(false);
    return table;
}

QTableWidgetItem *cell(const QString &text, bool number = false, bool unknown = false)
{
    auto *item = new QTableWidgetItem(text);
    if (number) {
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (unknown) {
        item->setForeground(kGrey);
    }
    return item;
}

QTableWidgetItem *offsetCell(std::int64_t value)
{
    return value >= 0 ? cell(formatCount(value), true) : cell(QStringLiteral("–"), true, true);
}

QString offsetsText(const std::vector<kafka::TopicPartitionOffset> &offsets)
{
    QStringList parts;
    for (const auto &o : offsets) {
        parts << QStringLiteral("%1[%2]=%3")
                     .arg(QString::fromStdString(o.topic))
                     .arg(o.partition)
                     .arg(o.offset);
    }
    return parts.join(QStringLiteral(", "));
}

} // namespace

ReplayPage::ReplayPage(ClusterFeed *feed, QWidget *parent)
    : QWidget(parent)
    , m_feed(feed)
    , m_groupChoice(new QComboBox(this))
    , m_groupLine(new QLabel(this))
    , m_reset(new QPushButton(tr("Reset offsets…"), this))
    , m_partitions(makeTable({tr("Topic"), tr("Partition"), tr("Committed"), tr("Log end"),
                              tr("Lag"), tr("State"), tr("Member")},
                             this))
    , m_chart(new LagChart(this))
    , m_history(makeTable({tr("Time"), tr("Group"), tr("Strategy"), tr("Partitions"), tr("Who"),
                           tr("Result")},
                          this))
    , m_historyNote(new QLabel(this))
    , m_undo(new QPushButton(tr("Undo…"), this))
    , m_undoError(new QLabel(this))
{
    m_groupChoice->setObjectName(QStringLiteral("replayGroup"));
    m_groupChoice->setMinimumWidth(260);
    m_groupChoice->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_reset->setObjectName(QStringLiteral("replayReset"));
    m_undo->setObjectName(QStringLiteral("replayUndo"));
    m_partitions->setObjectName(QStringLiteral("replayPartitions"));
    m_partitions->setSelectionMode(QAbstractItemView::NoSelection);
    m_history->setObjectName(QStringLiteral("replayHistory"));
    m_history->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_history->setSelectionMode(QAbstractItemView::SingleSelection);
    m_groupLine->setTextFormat(Qt::RichText);
    m_groupLine->setWordWrap(true);
    m_historyNote->setTextFormat(Qt::RichText);
    m_undoError->setTextFormat(Qt::RichText);
    m_undoError->setWordWrap(true);
    m_chart->setWindow(kChartWindow);
    m_chart->setMinimumHeight(180);
    m_reset->setToolTip(tr("Preview first; the reset runs only after you type the group's name"));

    auto *top = new QHBoxLayout;
    auto *groupLabel = new QLabel(tr("Consumer group:"), this);
    QFont bold = groupLabel->font();
    bold.setBold(true);
    groupLabel->setFont(bold);
    top->addWidget(groupLabel);
    top->addWidget(m_groupChoice);
    top->addSpacing(12);
    top->addWidget(m_reset);
    top->addStretch();

    auto *upper = new QWidget(this);
    auto *upperLayout = new QVBoxLayout(upper);
    upperLayout->setContentsMargins(0, 0, 0, 0);
    upperLayout->addLayout(top);
    upperLayout->addWidget(m_groupLine);
    auto *middle = new QSplitter(Qt::Horizontal, upper);
    middle->addWidget(m_partitions);
    auto *chartBox = new QWidget(middle);
    auto *chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addWidget(new QLabel(tr("<b>Catch-up</b> (the group's lag, last 5 minutes)"),
                                      chartBox));
    chartLayout->addWidget(m_chart, 1);
    middle->addWidget(chartBox);
    middle->setStretchFactor(0, 3);
    middle->setStretchFactor(1, 2);
    upperLayout->addWidget(middle, 1);

    auto *lower = new QWidget(this);
    auto *lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 6, 0, 0);
    auto *historyTitle = new QHBoxLayout;
    historyTitle->addWidget(new QLabel(tr("<b>Past resets</b>"), lower));
    historyTitle->addWidget(m_historyNote, 1);
    historyTitle->addWidget(m_undoError);
    historyTitle->addWidget(m_undo);
    lowerLayout->addLayout(historyTitle);
    lowerLayout->addWidget(m_history, 1);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(upper);
    split->addWidget(lower);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);
    layout->addWidget(split);

    connect(m_groupChoice, &QComboBox::activated, this, &ReplayPage::groupChosen);
    connect(m_reset, &QPushButton::clicked, this, [this] { openWizard(); });
    connect(m_undo, &QPushButton::clicked, this, [this] {
        const auto rows = m_history->selectionModel()->selectedRows();
        if (!rows.isEmpty()) {
            undoRow(rows.first().row());
        }
    });
    connect(m_history->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ReplayPage::updateButtons);
    connect(&m_service, &ResetService::historyReady, this, &ReplayPage::showHistory);
    connect(&m_service, &ResetService::planReady, this, &ReplayPage::showUndoPlan);
    connect(&m_service, &ResetService::executeFinished, this, [this] { refreshHistory(); });
    connect(m_feed, &ClusterFeed::historyReady, this, &ReplayPage::showChartHistory);
    showGroup();
    updateButtons();
}

void ReplayPage::setTarget(const OpsTarget &target)
{
    m_service.setTarget(target);
    m_resets.clear();
    m_history->setRowCount(0);
    if (target.isSet()) {
        refreshHistory();
    }
}

void ReplayPage::showSnapshot(const ConsoleSnapshotPtr &snapshot)
{
    m_snapshot = snapshot;
    QStringList groups;
    if (snapshot->lag) {
        for (const auto &g : snapshot->lag->groups) {
            groups << QString::fromStdString(g.group);
        }
    }
    QStringList shown;
    for (int i = 0; i < m_groupChoice->count(); ++i) {
        shown << m_groupChoice->itemText(i);
    }
    if (groups != shown) {
        const QSignalBlocker blocker(m_groupChoice);
        m_groupChoice->clear();
        m_groupChoice->addItems(groups);
        m_groupChoice->setCurrentIndex(static_cast<int>(groups.indexOf(m_group)));
    }
    if (m_group.isEmpty() && !groups.isEmpty()) {
        // The first Logdeck group, else the first one.
        QString first = groups.first();
        for (const auto &g : snapshot->lag->groups) {
            if (!g.hostedBy.empty()) {
                first = QString::fromStdString(g.group);
                break;
            }
        }
        selectGroup(first);
    }
    if (snapshot->lag && !m_group.isEmpty()) {
        if (const auto *group = snapshot->lag->find(m_group.toStdString());
            group != nullptr && snapshot->lag->sampledAtMs > m_lastPointMs) {
            m_lastPointMs = snapshot->lag->sampledAtMs;
            const ChartPoint point {snapshot->lag->sampledAtMs, static_cast<double>(group->lag)};
            m_chart->appendPoint(kLag, LagChart::Unit::Messages, point);
            if (m_chartRequest != 0) {
                m_liveSinceRequest.push_back(point);
            }
        }
    }
    showGroup();
}

void ReplayPage::selectGroup(const QString &group)
{
    m_group = group;
    {
        const QSignalBlocker blocker(m_groupChoice);
        m_groupChoice->setCurrentIndex(m_groupChoice->findText(group));
    }
    m_chart->clear();
    m_lastPointMs = 0;
    requestChartHistory();
    showGroup();
    updateButtons();
}

void ReplayPage::groupChosen()
{
    selectGroup(m_groupChoice->currentText());
}

void ReplayPage::showGroup()
{
    const ops::GroupLag *group =
        m_snapshot && m_snapshot->lag ? m_snapshot->lag->find(m_group.toStdString()) : nullptr;
    if (group == nullptr) {
        m_partitions->setRowCount(0);
        m_groupLine->setText(
            m_group.isEmpty()
                ? (m_snapshot && m_snapshot->lag && m_snapshot->lag->sampledAtMs > 0
                       ? tr("No consumer group on this cluster yet.")
                       : tr("Waiting for the first sample of the cluster's groups…"))
                : tr("%1 is not on the cluster now.").arg(m_group.toHtmlEscaped()));
        updateButtons();
        return;
    }
    const QString state = group->state.empty()
        ? tr("<span style='color:#6b6b6b'>state unknown</span>")
        : QString::fromStdString(group->state).toHtmlEscaped();
    const QString members = group->members >= 0
        ? (group->members == 1 ? tr("1 member") : tr("%1 members").arg(group->members))
        : tr("<span style='color:#6b6b6b'>members unknown</span>");
    const QString runBy = group->hostedBy.empty()
        ? tr("not run by Logdeck: a reset needs it to have no active members")
        : tr("run by Logdeck engine %1: a reset stops it there, moves the offsets and resumes it")
              .arg(QString::fromStdString(group->hostedBy).toHtmlEscaped());
    const QString lag = group->partitions.empty()
        ? tr("<span style='color:#6b6b6b'>lag unknown (no partition sampled yet)</span>")
        : tr("lag <b>%1</b>").arg(formatCount(group->lag).toHtmlEscaped());
    m_groupLine->setText(
        tr("%1 · %2 · %3 · <span style='color:%4;font-weight:600'>%5</span> · %6")
            .arg(state, members, lag, lagStatusColour(group->status).name(),
                 lagStatusText(group->status), runBy));
    m_partitions->setRowCount(static_cast<int>(group->partitions.size()));
    int row = 0;
    for (const auto &p : group->partitions) {
        m_partitions->setItem(row, 0, cell(QString::fromStdString(p.topic)));
        m_partitions->setItem(row, 1, cell(QString::number(p.partition), true));
        m_partitions->setItem(row, 2, offsetCell(p.committedOffset));
        m_partitions->setItem(row, 3, offsetCell(p.logEndOffset));
        m_partitions->setItem(row, 4, offsetCell(p.lag));
        auto *status = cell(lagStatusText(p.status));
        status->setForeground(lagStatusColour(p.status));
        m_partitions->setItem(row, 5, status);
        const QString member = p.consumerId.empty()
            ? QString()
            : QStringLiteral("%1 (%2@%3)")
                  .arg(QString::fromStdString(p.consumerId), QString::fromStdString(p.clientId),
                       QString::fromStdString(p.host));
        m_partitions->setItem(row, 6,
                              member.isEmpty()
                                  ? cell(group->members < 0 ? tr("unknown") : tr("none"), false,
                                         true)
                                  : cell(member));
        ++row;
    }
    updateButtons();
}

void ReplayPage::setMutationsAllowed(bool allowed)
{
    m_mutationsAllowed = allowed;
    if (!allowed && m_wizard && !m_service.isExecuting()) {
        m_wizard->close();
    }
    updateButtons();
}

bool ReplayPage::mutationsVisible() const
{
    return !m_reset->isHidden() || !m_undo->isHidden();
}

void ReplayPage::updateButtons()
{
    m_reset->setVisible(m_mutationsAllowed);
    m_undo->setVisible(m_mutationsAllowed);
    m_reset->setEnabled(!m_group.isEmpty() && m_service.target().isSet());
    const auto rows = m_history->selectionModel()->selectedRows();
    const int row = rows.isEmpty() ? -1 : rows.first().row();
    const bool undoable = row >= 0 && row < static_cast<int>(m_resets.size())
        && m_resets[static_cast<std::size_t>(row)].ok;
    m_undo->setEnabled(undoable && m_undoRequest == 0);
    m_undo->setToolTip(undoable ? tr("Preview the plan back to the offsets before this reset")
                                : tr("Select a reset that moved offsets"));
}

ResetWizard *ReplayPage::createWizard()
{
    if (m_wizard) {
        m_wizard->close();
        m_wizard->deleteLater();
    }
    GroupPartitions partitions;
    if (m_snapshot && m_snapshot->lag) {
        if (const auto *group = m_snapshot->lag->find(m_group.toStdString())) {
            for (const auto &p : group->partitions) {
                partitions[p.topic].push_back(p.partition);
            }
        }
    }
    m_wizard = new ResetWizard(&m_service, m_group, std::move(partitions), this);
    m_wizard->setAttribute(Qt::WA_DeleteOnClose);
    return m_wizard;
}

ResetWizard *ReplayPage::openWizard()
{
    if (!m_mutationsAllowed || m_group.isEmpty()) {
        return nullptr;
    }
    auto *wizard = createWizard();
    wizard->open();
    return wizard;
}

void ReplayPage::undoRow(int row)
{
    if (!m_mutationsAllowed || row < 0 || row >= static_cast<int>(m_resets.size())) {
        return;
    }
    m_undoError->setText(tr("Planning the undo…"));
    m_undoRequest = m_service.undoPlan(m_resets[static_cast<std::size_t>(row)]);
    updateButtons();
}

void ReplayPage::showUndoPlan(std::uint64_t requestId, const ResetPlanPtr &plan,
                              const QString &error)
{
    if (requestId != m_undoRequest) {
        return;
    }
    m_undoRequest = 0;
    updateButtons();
    if (!plan) {
        m_undoError->setText(QStringLiteral("<span style='color:#c01c28'>%1</span>")
                                 .arg(tr("No undo: %1").arg(error).toHtmlEscaped()));
        return;
    }
    m_undoError->clear();
    selectGroup(QString::fromStdString(plan->group));
    auto *wizard = createWizard();
    wizard->showPlan(plan, tr("Undo a reset of %1").arg(QString::fromStdString(plan->group)));
    wizard->open();
}

void ReplayPage::refreshHistory()
{
    m_historyRequest = m_service.history();
}

void ReplayPage::showHistory(std::uint64_t requestId, const std::vector<ops::ResetRecord> &resets,
                             const QString &error)
{
    if (requestId != m_historyRequest) {
        return;
    }
    m_resets = resets;
    m_history->setRowCount(static_cast<int>(resets.size()));
    int row = 0;
    for (const auto &r : resets) {
        m_history->setItem(row, 0,
                           cell(QDateTime::fromMSecsSinceEpoch(r.atMs)
                                    .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))));
        m_history->setItem(row, 1, cell(QString::fromStdString(r.group)));
        m_history->setItem(row, 2,
                           cell(QString::fromStdString(r.strategy)
                                + (r.rebuild ? QStringLiteral(" --rebuild") : QString())));
        auto *partitions = cell(QString::number(r.before.size()), true);
        partitions->setToolTip(tr("Before: %1\nAfter: %2")
                                   .arg(offsetsText(r.before), offsetsText(r.after)));
        m_history->setItem(row, 3, partitions);
        m_history->setItem(row, 4,
                           cell(QStringLiteral("%1@%2").arg(QString::fromStdString(r.user),
                                                            QString::fromStdString(r.host))));
        auto *result = cell(QString::fromStdString(r.result));
        result->setForeground(r.ok ? QColor(0x26, 0xa2, 0x69)
                              : r.cancelled ? kGrey
                                            : QColor(0xc0, 0x1c, 0x28));
        m_history->setItem(row, 5, result);
        ++row;
    }
    m_historyNote->setText(
        !error.isEmpty()
            ? QStringLiteral("<span style='color:#c01c28'>%1</span>")
                  .arg(tr("The audit log could not be read: %1").arg(error).toHtmlEscaped())
        : resets.empty()
            ? tr("<span style='color:#6b6b6b'>none in this data directory's audit log</span>")
            : tr("<span style='color:#6b6b6b'>from the audit log; select one to undo it</span>"));
    updateButtons();
    Q_EMIT historyShown();
}

void ReplayPage::requestChartHistory()
{
    if (m_group.isEmpty()) {
        return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    m_liveSinceRequest.clear();
    m_chartRequest = m_feed->requestHistory(
        m_group, now - std::chrono::duration_cast<std::chrono::milliseconds>(kChartWindow).count(),
        now);
}

void ReplayPage::showChartHistory(std::uint64_t requestId, const QString &group,
                                  const std::vector<store::LagHistoryPoint> &points,
                                  const QString &error)
{
    if (requestId != m_chartRequest || group != m_group) {
        return;
    }
    m_chartRequest = 0;
    if (!error.isEmpty()) {
        m_chart->setToolTip(tr("History could not be read: %1").arg(error));
    }
    std::vector<ChartPoint> messages;
    messages.reserve(points.size() + m_liveSinceRequest.size());
    for (const auto &point : points) {
        messages.push_back({point.atMs, static_cast<double>(point.lagMessages)});
    }
    // Samples that arrived while the history was read follow it.
    const std::int64_t historyEnd = points.empty() ? 0 : points.back().atMs;
    for (const auto &point : m_liveSinceRequest) {
        if (point.timeMs > historyEnd) {
            messages.push_back(point);
        }
    }
    m_liveSinceRequest.clear();
    m_lastPointMs = std::max(m_lastPointMs, historyEnd);
    m_chart->setSeries(kLag, LagChart::Unit::Messages, std::move(messages));
}

} // namespace logdeck::ui
