#include "views/redrive_tasks_panel.h"

#include "models/redrive_models.h"
#include "widgets/figures.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QTextDocumentFragment>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>

namespace logdeck::ui {

namespace {

/// Draws the progress column as a bar with its "moved / total" text.
class ProgressDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        const QVariant fraction = index.data(RedriveTaskModel::FractionRole);
        if (!fraction.isValid()) {
            QStyledItemDelegate::paint(painter, option, index);
            return;
        }
        QStyleOptionViewItem background = option;
        initStyleOption(&background, index);
        background.text.clear();
        const QWidget *widget = option.widget;
        QStyle *style = widget != nullptr ? widget->style() : QApplication::style();
        style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

        QStyleOptionProgressBar bar;
        bar.rect = option.rect.adjusted(3, 3, -3, -3);
        bar.minimum = 0;
        bar.maximum = 1000;
        bar.progress = static_cast<int>(fraction.toDouble() * 1000);
        bar.text = index.data().toString();
        bar.textVisible = true;
        bar.textAlignment = Qt::AlignCenter;
        bar.state = option.state | QStyle::State_Horizontal;
        bar.palette = option.palette;
        bar.fontMetrics = option.fontMetrics;
        style->drawControl(QStyle::CE_ProgressBar, &bar, painter, widget);
    }

    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QSize size = QStyledItemDelegate::sizeHint(option, index);
        size.setWidth(std::max(size.width() + 24, 140));
        return size;
    }
};

QTableView *tableFor(QAbstractItemModel *model, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 10);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setStretchLastSection(true);
    return view;
}

} // namespace

RedriveTasksPanel::RedriveTasksPanel(RedriveService *service, QWidget *parent)
    : QWidget(parent)
    , m_service(service)
    , m_tasks(new RedriveTaskModel(this))
    , m_outcomes(new RedriveOutcomeModel(this))
    , m_taskView(tableFor(m_tasks, this))
    , m_outcomeView(tableFor(m_outcomes, this))
    , m_status(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_none(new QLabel(tr("<i>No redrive task yet: “Redrive selected…” or “Redrive all "
                           "matching…” starts one.</i>"),
                        this))
    , m_tables(new QSplitter(Qt::Vertical, this))
    , m_pause(new QPushButton(tr("Pause"), this))
    , m_resume(new QPushButton(tr("Resume"), this))
    , m_cancel(new QPushButton(tr("Cancel task"), this))
{
    setObjectName(QStringLiteral("redriveTasksPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *top = new QHBoxLayout;
    auto *title = new QLabel(tr("<b>Redrive tasks</b>"), this);
    top->addWidget(title);
    m_none->setObjectName(QStringLiteral("redriveNoTask"));
    m_none->setStyleSheet(QStringLiteral("color: #6b6b6b;"));
    m_none->hide();
    top->addWidget(m_none);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    top->addWidget(m_status, 1);
    top->addWidget(m_pause);
    top->addWidget(m_resume);
    top->addWidget(m_cancel);
    layout->addLayout(top);

    m_taskView->setItemDelegateForColumn(RedriveTaskModel::Progress,
                                         new ProgressDelegate(m_taskView));
    m_taskView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_taskView->horizontalHeader()->setStretchLastSection(true);

    auto *outcomesBox = new QWidget(this);
    auto *outcomesLayout = new QVBoxLayout(outcomesBox);
    outcomesLayout->setContentsMargins(0, 4, 0, 0);
    m_summary->setWordWrap(true);
    m_summary->setTextFormat(Qt::RichText);
    outcomesLayout->addWidget(m_summary);
    m_outcomeView->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_outcomeView->setColumnWidth(RedriveOutcomeModel::DeadLetter, 150);
    m_outcomeView->setColumnWidth(RedriveOutcomeModel::Event, 150);
    m_outcomeView->setColumnWidth(RedriveOutcomeModel::Tenant, 80);
    m_outcomeView->setColumnWidth(RedriveOutcomeModel::Group, 100);
    m_outcomeView->setColumnWidth(RedriveOutcomeModel::ErrorClass, 110);
    m_outcomeView->setColumnWidth(RedriveOutcomeModel::Target, 190);
    m_outcomeView->setColumnWidth(RedriveOutcomeModel::Outcome, 120);
    outcomesLayout->addWidget(m_outcomeView);

    m_tables->addWidget(m_taskView);
    m_tables->addWidget(outcomesBox);
    m_tables->setStretchFactor(0, 2);
    m_tables->setStretchFactor(1, 3);
    m_tables->setChildrenCollapsible(false);
    layout->addWidget(m_tables, 1);

    connect(m_service, &RedriveService::tasksListed, this, &RedriveTasksPanel::showTasks);
    connect(m_service, &RedriveService::outcomesReady, this, &RedriveTasksPanel::showOutcomes);
    connect(m_service, &RedriveService::taskChanged, this, &RedriveTasksPanel::showChange);
    connect(m_service, &RedriveService::runEnded, this,
            [this](const QString &taskId, const QString &state, const QString &error) {
                if (!error.isEmpty()) {
                    setStatus(tr("Task %1 %2: %3")
                                  .arg(taskId, state.isEmpty() ? tr("did not run") : state, error),
                              true);
                }
            });
    connect(m_taskView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RedriveTasksPanel::selectionChanged);
    connect(m_pause, &QPushButton::clicked, this, [this] { m_service->pause(m_selected); });
    connect(m_resume, &QPushButton::clicked, this, [this] { m_service->resume(m_selected); });
    connect(m_cancel, &QPushButton::clicked, this, [this] { m_service->cancel(m_selected); });
    updateButtons();
    updateSummary();
    // The tasks are not known yet: nothing to show but the title until they are.
    setCollapsed(true);
}

void RedriveTasksPanel::setMutationsAllowed(bool allowed)
{
    m_mutationsAllowed = allowed;
    updateButtons();
}

bool RedriveTasksPanel::mutationsVisible() const
{
    return !m_pause->isHidden() || !m_resume->isHidden() || !m_cancel->isHidden();
}

void RedriveTasksPanel::selectTask(const QString &taskId)
{
    const int row = m_tasks->rowOf(taskId);
    if (row < 0) {
        m_wanted = taskId;
        m_service->listTasks();
        return;
    }
    m_wanted.clear();
    m_taskView->selectRow(row);
}

QString RedriveTasksPanel::selectedTask() const
{
    return m_selected;
}

QString RedriveTasksPanel::outcomeSummary() const
{
    return QTextDocumentFragment::fromHtml(m_summary->text()).toPlainText();
}

QString RedriveTasksPanel::statusText() const
{
    return m_status->text();
}

void RedriveTasksPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_service->setPolling(true, m_selected);
}

void RedriveTasksPanel::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_service->setPolling(false);
}

void RedriveTasksPanel::showTasks(std::uint64_t, const RedriveTaskList &tasks,
                                  const QString &error)
{
    if (!error.isEmpty()) {
        setStatus(tr("Tasks unknown: %1").arg(error), true);
        m_listFailed = true;
        return;
    }
    if (m_listFailed) {
        setStatus({}, false);
        m_listFailed = false;
    }
    m_tasksKnown = true;
    const QString selected = m_selected;
    m_tasks->setTasks(tasks);
    // A reset loses the selection: keep the task that was selected, or the one wanted.
    const QString keep = !m_wanted.isEmpty() ? m_wanted : selected;
    if (const int row = m_tasks->rowOf(keep); row >= 0) {
        if (m_selected != keep || !m_taskView->selectionModel()->hasSelection()) {
            m_taskView->selectRow(row);
        }
        if (keep == m_wanted) {
            m_wanted.clear();
        }
    } else if (m_tasks->rowCount() > 0 && m_wanted.isEmpty() && selected.isEmpty()) {
        m_taskView->selectRow(0); // the newest
    } else if (m_tasks->rowCount() == 0 && !m_selected.isEmpty()) {
        selectionChanged();
    }
    if (m_tasks->rowCount() == 0) {
        updateSummary();
    }
    m_none->setVisible(m_tasks->rowCount() == 0);
    setCollapsed(m_tasks->rowCount() == 0);
    updateButtons();
}

void RedriveTasksPanel::selectionChanged()
{
    const auto rows = m_taskView->selectionModel()->selectedRows();
    const RedriveTaskInfo *info = rows.isEmpty() ? nullptr : m_tasks->task(rows.first().row());
    const QString selected = info != nullptr ? QString::fromStdString(info->row.id) : QString();
    if (selected != m_selected) {
        m_selected = selected;
        m_outcomes->setOutcomes(nullptr);
        if (isVisible()) {
            m_service->setPolling(true, m_selected);
        }
        updateSummary();
    }
    updateButtons();
}

void RedriveTasksPanel::showOutcomes(std::uint64_t, const QString &taskId,
                                     const RedriveTaskOutcomesPtr &outcomes, const QString &error)
{
    if (taskId != m_selected) {
        return;
    }
    if (!error.isEmpty()) {
        updateSummary(error);
        return;
    }
    m_outcomes->setOutcomes(outcomes);
    updateSummary();
}

void RedriveTasksPanel::showChange(std::uint64_t, const QString &taskId, const QString &state,
                                   const QString &error)
{
    if (!error.isEmpty()) {
        setStatus(error, true);
        return;
    }
    setStatus(tr("Task %1 is %2.").arg(taskId, state), false);
    m_service->listTasks();
}

void RedriveTasksPanel::updateButtons()
{
    const int row = m_tasks->rowOf(m_selected);
    const RedriveTaskInfo *info = m_tasks->task(row);
    const std::string state = info != nullptr ? info->row.state : std::string();
    namespace s = ops::redrive_state;
    m_pause->setVisible(m_mutationsAllowed);
    m_resume->setVisible(m_mutationsAllowed);
    m_cancel->setVisible(m_mutationsAllowed);
    m_pause->setEnabled(state == s::kPending || state == s::kRunning);
    m_resume->setEnabled(state == s::kPaused || state == s::kFailed);
    m_cancel->setEnabled(info != nullptr && state != s::kCompleted && state != s::kCancelled);
}

void RedriveTasksPanel::updateSummary(const QString &error)
{
    if (m_selected.isEmpty()) {
        m_summary->setText(
            m_tasksKnown && m_tasks->rowCount() == 0
                ? tr("<i>No redrive task yet.</i>")
                : tr("<i>Select a task to see what became of each dead letter.</i>"));
        return;
    }
    if (!error.isEmpty()) {
        m_summary->setText(
            tr("<b>%1</b>: <span style='color:#c01c28'>%2</span>")
                .arg(m_selected.toHtmlEscaped(), error.toHtmlEscaped()));
        return;
    }
    const auto outcomes = m_outcomes->outcomes();
    if (!outcomes) {
        m_summary->setText(tr("<b>%1</b>: <i>reading its dead letters…</i>")
                               .arg(m_selected.toHtmlEscaped()));
        return;
    }
    using O = RedriveItemOutcome;
    auto part = [&](O kind) {
        const int n = m_outcomes->count(kind);
        const QString text = QStringLiteral("%1 %2").arg(formatCount(n), outcomeName(kind));
        return n > 0 && kind != O::NotReached && kind != O::Moved && kind != O::Pending
            ? QStringLiteral("<span style='color:%1'>%2</span>")
                  .arg(outcomeColour(kind).name(), text.toHtmlEscaped())
            : text.toHtmlEscaped();
    };
    const int moved = m_outcomes->count(O::Processed) + m_outcomes->count(O::FailedAgain)
        + m_outcomes->count(O::NotReached) + m_outcomes->count(O::Moved);
    QString text = tr("<b>%1</b>: %2 of %3 moved")
                       .arg(m_selected.toHtmlEscaped(), formatCount(moved),
                            formatCount(m_outcomes->rowCount()));
    if (outcomes->outcomesKnown) {
        text += QStringLiteral(" (%1, %2, %3)")
                    .arg(part(O::Processed), part(O::FailedAgain), part(O::NotReached));
    } else {
        text += tr(" (<span style='color:#6b6b6b'>outcomes unknown: %1</span>)")
                    .arg(outcomes->outcomesError.toHtmlEscaped());
    }
    QStringList others;
    for (const O kind : {O::Pending, O::Skipped, O::NotMoved, O::Cancelled}) {
        if (m_outcomes->count(kind) > 0) {
            others << part(kind);
        }
    }
    if (!others.isEmpty()) {
        text += QStringLiteral("; ") + others.join(QStringLiteral(", "));
    }
    m_summary->setText(text);
}

void RedriveTasksPanel::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #c01c28;") : QString());
    fitCollapsed();
}

void RedriveTasksPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitCollapsed(); // a wrapped status line may need another height
}

void RedriveTasksPanel::setCollapsed(bool collapsed)
{
    if (collapsed == m_collapsed) {
        return;
    }
    m_collapsed = collapsed;
    m_tables->setVisible(!collapsed);
    if (collapsed) {
        fitCollapsed();
    } else {
        setMaximumHeight(QWIDGETSIZE_MAX);
    }
    Q_EMIT collapsedChanged(collapsed);
}

void RedriveTasksPanel::fitCollapsed()
{
    if (!m_collapsed) {
        return;
    }
    // At most the title line's height: a splitter above gives the rest to its other side.
    QLayout *lines = layout();
    lines->activate();
    setMaximumHeight(lines->hasHeightForWidth() ? lines->totalHeightForWidth(width())
                                                : lines->totalSizeHint().height());
}

} // namespace logdeck::ui
