#include "views/dlq_page.h"

#include "bridge/console_session.h"
#include "models/dead_letter_model.h"
#include "ops/record_address.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

namespace logdeck::ui {

namespace {

const QString kRed = QStringLiteral("#c01c28");
const QString kAmber = QStringLiteral("#b26a00");
const QString kGrey = QStringLiteral("#6b6b6b");
/// An empty topic is looked at again this often while the page is shown.
constexpr int kEmptyRefreshMs = 3000;

QString number(std::int64_t n)
{
    return QLocale().toString(static_cast<qint64>(n));
}

QString html(const QString &text)
{
    return text.toHtmlEscaped();
}

QString html(const std::string &text)
{
    return QString::fromStdString(text).toHtmlEscaped();
}

QString unknownOr(const QString &text)
{
    return text.isEmpty() ? QStringLiteral("<span style='color:%1'>unknown</span>").arg(kGrey)
                          : html(text);
}

QTableView *makeTable(QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->setWordWrap(false);
    view->verticalHeader()->hide();
    // Fixed heights and widths: nothing is measured over a million rows.
    view->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setHighlightSections(false);
    return view;
}

QLineEdit *filterField(const QString &placeholder, QWidget *parent)
{
    auto *edit = new QLineEdit(parent);
    edit->setPlaceholderText(placeholder);
    edit->setClearButtonEnabled(true);
    return edit;
}

std::string fieldText(const QLineEdit *edit)
{
    return edit->text().trimmed().toStdString();
}

std::optional<std::string> optionalField(const QLineEdit *edit)
{
    const std::string text = fieldText(edit);
    return text.empty() ? std::nullopt : std::optional(text);
}

} // namespace

DlqPage::DlqPage(ConsoleSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_service(new DeadLetterService(this))
    , m_model(new DeadLetterModel(m_service, this))
    , m_groups(new DeadLetterGroupModel(this))
    , m_groupsSorted(new QSortFilterProxyModel(this))
    , m_topic(new QComboBox(this))
    , m_group(filterField(tr("failing group"), this))
    , m_tenant(filterField(tr("tenant"), this))
    , m_errorClass(filterField(tr("error class"), this))
    , m_originalTopic(filterField(tr("original topic"), this))
    , m_since(filterField(tr("since (15m, 2h, 1d or RFC 3339)"), this))
    , m_until(filterField(tr("until (same forms)"), this))
    , m_text(filterField(tr("text in the message or the value"), this))
    , m_grouped(new QCheckBox(tr("Grouped"), this))
    , m_status(new QLabel(this))
    , m_error(new QLabel(this))
    , m_views(new QStackedWidget(this))
    , m_table(makeTable(this))
    , m_groupTable(makeTable(this))
    , m_detailTitle(new QLabel(this))
    , m_detail(new QTextBrowser(this))
    , m_copy(new QPushButton(tr("Copy"), this))
    , m_exportSelected(new QPushButton(tr("Export selected…"), this))
    , m_exportAll(new QPushButton(tr("Export all matching…"), this))
    , m_exportStatus(new QLabel(this))
    , m_redriveSelected(new QPushButton(tr("Redrive selected…"), this))
    , m_redriveAll(new QPushButton(tr("Redrive all matching…"), this))
    , m_autoRefresh(new QTimer(this))
{
    setObjectName(QStringLiteral("dlqPage"));
    m_applied.topic.clear();

    m_table->setObjectName(QStringLiteral("deadLetters"));
    m_table->setModel(m_model);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    const int character = fontMetrics().horizontalAdvance(QLatin1Char('0'));
    const std::pair<int, int> widths[] = {
        {DeadLetterModel::Time, 20},       {DeadLetterModel::Tenant, 10},
        {DeadLetterModel::Group, 11},      {DeadLetterModel::ErrorClass, 16},
        {DeadLetterModel::Message, 36},    {DeadLetterModel::Attempts, 9},
        {DeadLetterModel::Origin, 22},     {DeadLetterModel::RedriveState, 14}};
    for (const auto &[column, chars] : widths) {
        m_table->setColumnWidth(column, chars * character);
    }
    m_table->setColumnWidth(DeadLetterModel::Time,
                            fontMetrics().horizontalAdvance(QStringLiteral("2026-12-04 10:30:28.861"))
                                + 2 * character);
    m_groupsSorted->setSourceModel(m_groups);
    m_groupsSorted->setSortRole(DeadLetterGroupModel::SortRole);
    m_groupTable->setObjectName(QStringLiteral("deadLetterGroups"));
    m_groupTable->setModel(m_groupsSorted);
    m_groupTable->setSortingEnabled(true);
    m_groupTable->sortByColumn(DeadLetterGroupModel::Count, Qt::DescendingOrder);
    m_groupTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_groupTable->setToolTip(tr("Click a row to list its dead letters."));
    for (int column = 0; column < DeadLetterGroupModel::ColumnCount; ++column) {
        m_groupTable->setColumnWidth(column, 22 * character);
    }
    m_views->addWidget(m_table);
    m_views->addWidget(m_groupTable);

    m_status->setObjectName(QStringLiteral("dlqStatus"));
    m_error->setObjectName(QStringLiteral("dlqError"));
    m_error->setStyleSheet(QStringLiteral("color: %1;").arg(kRed));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_exportStatus->setObjectName(QStringLiteral("dlqExportStatus"));

    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_status);
    statusRow->addWidget(m_error, 1);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addLayout(statusRow);
    leftLayout->addWidget(m_views, 1);
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_redriveSelected);
    actions->addWidget(m_redriveAll);
    actions->addStretch();
    actions->addWidget(m_exportStatus);
    actions->addWidget(m_exportSelected);
    actions->addWidget(m_exportAll);
    leftLayout->addLayout(actions);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(left);
    splitter->addWidget(createDetailPane());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({560, 440});
    splitter->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 8);
    layout->addWidget(createFilterBar());
    layout->addWidget(splitter, 1);

    m_redriveSelected->setToolTip(tr("Send the selected dead letters back to be processed "
                                     "again: a preview comes first."));
    m_redriveAll->setToolTip(tr("Send every dead letter the filter matches back: a preview "
                                "comes first."));
    setMutationsAllowed(false);

    m_autoRefresh->setInterval(kEmptyRefreshMs);
    connect(m_autoRefresh, &QTimer::timeout, this, [this] {
        if (m_model->atEnd() && m_model->rowCount() == 0 && m_model->error().isEmpty()
            && m_target.isSet()) {
            refresh();
        }
    });

    connect(m_model, &DeadLetterModel::stateChanged, this, &DlqPage::updateStatus);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &, int first) {
        // The first rows of a query: the oldest is shown in the pane.
        if (first == 0 && !m_table->selectionModel()->hasSelection()) {
            m_table->selectRow(0);
        }
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, &DlqPage::selectionChanged);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &DlqPage::selectionChanged);
    connect(m_groupTable, &QTableView::clicked, this, &DlqPage::groupActivated);
    connect(m_service, &DeadLetterService::detailReady, this, &DlqPage::showDetail);
    connect(m_service, &DeadLetterService::countsReady, this, &DlqPage::showCounts);
    connect(m_service, &DeadLetterService::topicsListed, this, &DlqPage::showTopics);
    connect(m_service, &DeadLetterService::countProgress, this,
            [this](std::uint64_t id, qint64 scanned, qint64 total) {
                if (id == m_countRequest) {
                    m_countStatus = tr("counting… %1 of %2 records").arg(number(scanned), number(total));
                    updateStatus();
                }
            });
    connect(m_service, &DeadLetterService::exportProgress, this,
            [this](std::uint64_t id, qint64 written, qint64 scanned, qint64 total) {
                if (id == m_exportRequest) {
                    m_exportStatus->setText(tr("exporting… %1 written, %2 of %3 records read")
                                                .arg(number(written), number(scanned), number(total)));
                }
            });
    connect(m_service, &DeadLetterService::exportFinished, this,
            [this](std::uint64_t id, qint64 written, const QString &error) {
                if (id != m_exportRequest) {
                    return;
                }
                m_exportRequest = 0;
                m_exportStatus->setStyleSheet(error.isEmpty() ? QString()
                                                              : QStringLiteral("color: %1;").arg(kRed));
                m_exportStatus->setText(
                    error.isEmpty() ? (written == 1 ? tr("1 dead letter exported")
                                                    : tr("%1 dead letters exported").arg(number(written)))
                                    : tr("Export failed: %1").arg(error));
                Q_EMIT exportFinished(written, error);
            });
    connect(m_redriveSelected, &QPushButton::clicked, this, [this] { requestRedrive(true); });
    connect(m_redriveAll, &QPushButton::clicked, this, [this] { requestRedrive(false); });
    connect(m_copy, &QPushButton::clicked, this, &DlqPage::copyDetail);
    connect(m_exportSelected, &QPushButton::clicked, this, [this] { chooseExport(true); });
    connect(m_exportAll, &QPushButton::clicked, this, [this] { chooseExport(false); });

    if (m_session != nullptr) {
        connect(m_session, &ConsoleSession::targetChanged, this, &DlqPage::setTarget);
        setTarget(m_session->target());
    }
    updateStatus();
}

QWidget *DlqPage::createFilterBar()
{
    auto *bar = new QWidget(this);
    auto *grid = new QGridLayout(bar);
    grid->setContentsMargins(0, 0, 0, 6);
    m_topic->setObjectName(QStringLiteral("dlqTopic"));
    m_topic->setEditable(true);
    m_topic->setMinimumContentsLength(18);
    m_topic->setInsertPolicy(QComboBox::NoInsert);
    m_topic->setToolTip(tr("The dead-letter topic: the cluster's topics named *.dlq, *-dlt or "
                           "*.DLT, or type any topic."));
    auto *apply = new QPushButton(tr("Apply"), bar);
    apply->setDefault(true);
    auto *clear = new QPushButton(tr("Clear"), bar);
    auto *reload = new QPushButton(tr("Refresh"), bar);
    reload->setToolTip(tr("Read the topic again from its start, with what arrived since."));
    auto *topicLabel = new QLabel(tr("Topic"), bar);
    grid->addWidget(topicLabel, 0, 0);
    grid->addWidget(m_topic, 0, 1);
    grid->addWidget(m_group, 0, 2);
    grid->addWidget(m_tenant, 0, 3);
    grid->addWidget(m_errorClass, 0, 4);
    grid->addWidget(m_grouped, 0, 5);
    grid->addWidget(reload, 0, 6);
    grid->addWidget(m_originalTopic, 1, 1);
    grid->addWidget(m_since, 1, 2);
    grid->addWidget(m_until, 1, 3);
    grid->addWidget(m_text, 1, 4);
    grid->addWidget(apply, 1, 5);
    grid->addWidget(clear, 1, 6);
    grid->setColumnStretch(2, 1);
    grid->setColumnStretch(3, 1);
    grid->setColumnStretch(4, 2);
    for (QLineEdit *edit : {m_group, m_tenant, m_errorClass, m_originalTopic, m_since, m_until, m_text}) {
        connect(edit, &QLineEdit::returnPressed, this, &DlqPage::applyFilter);
    }
    connect(apply, &QPushButton::clicked, this, &DlqPage::applyFilter);
    connect(clear, &QPushButton::clicked, this, &DlqPage::clearFilter);
    connect(reload, &QPushButton::clicked, this, &DlqPage::refresh);
    connect(m_topic, &QComboBox::activated, this, [this] { applyFilter(); });
    connect(m_topic->lineEdit(), &QLineEdit::returnPressed, this, &DlqPage::applyFilter);
    connect(m_grouped, &QCheckBox::toggled, this, &DlqPage::setGrouped);
    return bar;
}

QWidget *DlqPage::createDetailPane()
{
    auto *pane = new QWidget(this);
    auto *layout = new QVBoxLayout(pane);
    layout->setContentsMargins(6, 0, 0, 0);
    auto *top = new QHBoxLayout;
    m_detailTitle->setObjectName(QStringLiteral("dlqDetailTitle"));
    m_detailTitle->setTextFormat(Qt::RichText);
    m_detailTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    top->addWidget(m_detailTitle, 1);
    m_copy->setToolTip(tr("Copy the dead letter as JSON (fields, headers, key and value)."));
    top->addWidget(m_copy);
    layout->addLayout(top);
    m_detail->setObjectName(QStringLiteral("dlqDetail"));
    m_detail->setOpenLinks(false);
    m_detail->setLineWrapMode(QTextEdit::WidgetWidth);
    layout->addWidget(m_detail, 1);
    m_detailTitle->setText(tr("<b>No dead letter selected</b>"));
    m_copy->setEnabled(false);
    return pane;
}

void DlqPage::setTarget(const OpsTarget &target)
{
    m_target = target;
    m_service->setTarget(target);
    m_shownDetail.reset();
    m_detailCoordinates.clear();
    m_groups->setCounts(nullptr);
    if (!target.isSet()) {
        m_applied = {};
        m_applied.topic.clear();
        updateStatus();
        return;
    }
    m_topicsRequest = m_service->listTopics();
    if (m_topic->currentText().trimmed().isEmpty()) {
        m_topic->setEditText(QString::fromStdString(ops::DeadLetterFilter {}.topic));
    }
    applyFilter();
}

void DlqPage::setMutationsAllowed(bool allowed)
{
    m_mutationsAllowed = allowed;
    m_redriveSelected->setVisible(allowed);
    m_redriveAll->setVisible(allowed);
    selectionChanged();
}

bool DlqPage::mutationsVisible() const
{
    return !m_redriveSelected->isHidden() || !m_redriveAll->isHidden();
}

void DlqPage::setTopic(const QString &topic)
{
    m_topic->setEditText(topic);
    applyFilter();
}

void DlqPage::setFilterFields(const QString &group, const QString &tenant,
                              const QString &errorClass, const QString &text)
{
    m_group->setText(group);
    m_tenant->setText(tenant);
    m_errorClass->setText(errorClass);
    m_text->setText(text);
    applyFilter();
}

void DlqPage::applyFilter()
{
    ops::DeadLetterFilter filter;
    filter.topic = m_topic->currentText().trimmed().toStdString();
    filter.group = fieldText(m_group);
    filter.tenant = fieldText(m_tenant);
    filter.errorClass = fieldText(m_errorClass);
    filter.originalTopic = fieldText(m_originalTopic);
    filter.text = fieldText(m_text);
    if (filter.topic.empty()) {
        m_error->setText(tr("Name a dead-letter topic."));
        return;
    }
    if (auto times = m_service->setTimes(filter, optionalField(m_since), optionalField(m_until));
        !times.isEmpty()) {
        m_error->setText(times);
        return;
    }
    startQuery(filter);
}

void DlqPage::clearFilter()
{
    for (QLineEdit *edit :
         {m_group, m_tenant, m_errorClass, m_originalTopic, m_since, m_until, m_text}) {
        edit->clear();
    }
    applyFilter();
}

void DlqPage::refresh()
{
    if (!m_applied.topic.empty()) {
        startQuery(m_applied);
    }
}

void DlqPage::startQuery(const ops::DeadLetterFilter &filter)
{
    if (!m_target.isSet()) {
        return;
    }
    m_applied = filter;
    m_error->clear();
    m_shownDetail.reset();
    m_model->setQuery(filter);
    if (m_grouped->isChecked()) {
        m_countStatus = tr("counting…");
        m_countRequest = m_service->countGroups(filter);
    } else {
        m_groups->setCounts(nullptr);
        m_countRequest = 0;
        m_countStatus.clear();
    }
    updateStatus();
}

void DlqPage::setGrouped(bool grouped)
{
    if (m_grouped->isChecked() != grouped) {
        m_grouped->setChecked(grouped); // comes back here through toggled
        return;
    }
    m_views->setCurrentWidget(grouped ? static_cast<QWidget *>(m_groupTable) : m_table);
    if (grouped && m_target.isSet() && !m_applied.topic.empty()) {
        m_countStatus = tr("counting…");
        m_countRequest = m_service->countGroups(m_applied);
    } else if (!grouped) {
        m_service->cancelBulk();
        m_countRequest = 0;
        m_countStatus.clear();
    }
    updateStatus();
}

void DlqPage::groupActivated(const QModelIndex &index)
{
    const ops::DeadLetterGroupCount *group =
        m_groups->groupAt(m_groupsSorted->mapToSource(index).row());
    if (group == nullptr) {
        return;
    }
    m_grouped->setChecked(false);
    setFilterFields(QString::fromStdString(group->group), QString::fromStdString(group->tenant),
                    QString::fromStdString(group->errorClass), m_text->text());
}

void DlqPage::showCounts(std::uint64_t requestId, const DeadLetterCountsPtr &counts,
                         const QString &error)
{
    if (requestId != m_countRequest) {
        return;
    }
    m_countRequest = 0;
    if (!error.isEmpty()) {
        m_countStatus.clear();
        m_error->setText(tr("Cannot count: %1").arg(error));
    } else {
        m_groups->setCounts(counts);
        m_countStatus = tr("%1 dead letters in %2 groups, of %3 records")
                            .arg(number(counts->matched),
                                 number(static_cast<std::int64_t>(counts->groups.size())),
                                 number(counts->scanned));
    }
    updateStatus();
}

void DlqPage::showTopics(std::uint64_t requestId, const QStringList &topics, const QString &error)
{
    if (requestId != m_topicsRequest) {
        return;
    }
    const QString current = m_topic->currentText();
    m_topic->clear();
    m_topic->addItems(topics);
    m_topic->setEditText(current);
    if (!error.isEmpty()) {
        m_topic->setToolTip(tr("The cluster's topics could not be listed: %1").arg(error));
    }
}

void DlqPage::updateStatus()
{
    if (!m_target.isSet()) {
        m_status->setText(tr("Not connected"));
        return;
    }
    if (m_grouped->isChecked()) {
        m_status->setText(m_countStatus);
        return;
    }
    const int shown = m_model->rowCount();
    const QString rows = shown == 1 ? tr("1 shown") : tr("%1 shown").arg(number(shown));
    QString status;
    if (m_model->isReading()) {
        const QString progress =
            m_model->total() > 0 ? tr("reading… %1 of %2 records")
                                       .arg(number(m_model->scanned()), number(m_model->total()))
                                 : tr("reading…");
        status = shown > 0 ? rows + QStringLiteral(" · ") + progress : progress;
    } else if (!m_model->error().isEmpty()) {
        status = rows;
    } else if (!m_model->atEnd()) {
        status = rows + QStringLiteral(" · ") + tr("more on scroll");
    } else if (shown == 0) {
        status = m_applied.selectsEverything()
            ? tr("No dead letters in %1").arg(QString::fromStdString(m_applied.topic))
            : tr("No dead letter matches, of %1 records").arg(number(m_model->total()));
    } else {
        status = (shown == 1 ? tr("1 dead letter") : tr("%1 dead letters").arg(number(shown)))
            + (m_applied.selectsEverything()
                   ? QString()
                   : tr(" match, of %1 records").arg(number(m_model->total())));
    }
    m_status->setText(status);
    if (!m_model->error().isEmpty()) {
        m_error->setText(tr("Cannot read %1: %2")
                             .arg(QString::fromStdString(m_applied.topic), m_model->error()));
    }
}

std::vector<int> DlqPage::selectedRows() const
{
    std::vector<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows()) {
        rows.push_back(index.row());
    }
    std::ranges::sort(rows);
    return rows;
}

void DlqPage::selectionChanged()
{
    const auto rows = selectedRows();
    m_redriveSelected->setEnabled(!rows.empty());
    m_exportSelected->setEnabled(!rows.empty() && m_exportRequest == 0);
    if (rows.empty()) {
        m_detailCoordinates.clear();
        m_shownDetail.reset();
        m_detailTitle->setText(tr("<b>No dead letter selected</b>"));
        m_detail->clear();
        m_copy->setEnabled(false);
        return;
    }
    const int row = rows.front();
    const QString coordinates = m_model->coordinatesAt(row);
    if (coordinates == m_detailCoordinates) {
        return;
    }
    m_detailCoordinates = coordinates;
    m_detailTitle->setText(tr("<b>%1</b> <span style='color:%2'>reading…</span>")
                               .arg(html(coordinates), kGrey));
    m_detailRequest =
        m_service->fetchDetail(m_applied.topic, m_model->partitionAt(row), m_model->offsetAt(row));
}

void DlqPage::showDetail(std::uint64_t requestId, const DeadLetterDetailPtr &detail)
{
    if (requestId != m_detailRequest) {
        return;
    }
    m_shownDetail = detail;
    if (!detail->error.isEmpty()) {
        m_detailTitle->setText(tr("<b>%1</b>").arg(html(m_detailCoordinates)));
        m_detail->setHtml(tr("<p style='color:%1'>Cannot read this dead letter: %2</p>")
                              .arg(kRed, html(detail->error)));
        m_copy->setEnabled(false);
        return;
    }
    const ops::DeadLetter &d = detail->letter;
    m_detailTitle->setText(tr("<b>%1</b>").arg(html(ops::coordinatesOf(d))));
    m_copy->setEnabled(true);

    QString page;
    const auto row = [](const QString &name, const QString &valueHtml) {
        return QStringLiteral("<tr><td style='white-space:nowrap; color:#555; padding-right:10px'>%1</td><td>%2</td></tr>")
            .arg(name, valueHtml);
    };
    const auto known = [](const auto &value) {
        return value ? html(QString::number(*value))
                     : QStringLiteral("<span style='color:%1'>unknown</span>").arg(kGrey);
    };
    page += QStringLiteral("<table cellspacing='0' cellpadding='1'>");
    page += row(tr("Dead-lettered"),
                html(QDateTime::fromMSecsSinceEpoch(d.timestampMs).toString(Qt::ISODateWithMs)));
    page += row(tr("Event"), unknownOr(QString::fromStdString(d.eventId)));
    page += row(tr("Tenant"), unknownOr(QString::fromStdString(d.tenant)));
    page += row(tr("Failing group"), unknownOr(QString::fromStdString(d.group)));
    page += row(tr("Error class"), unknownOr(QString::fromStdString(d.errorClass)));
    page += row(tr("Message"), unknownOr(QString::fromStdString(d.errorMessage)));
    page += row(tr("Attempts"), QString::number(d.attempts));
    page += row(tr("Origin"), html(ops::originOf(d)));
    page += row(tr("Original time"),
                d.originalTimestampMs
                    ? html(QDateTime::fromMSecsSinceEpoch(*d.originalTimestampMs).toString(Qt::ISODateWithMs))
                    : known(d.originalTimestampMs));
    page += row(tr("Headers from"), html(QString::fromStdString(d.convention)));
    QString redrives;
    if (!detail->historyError.isEmpty()) {
        redrives = QStringLiteral("<span style='color:%1'>%2</span>")
                       .arg(kRed, html(tr("cannot read the ledger: %1").arg(detail->historyError)));
    } else if (detail->history.empty()) {
        redrives = tr("none recorded here");
    } else {
        QStringList lines;
        for (const auto &r : detail->history) {
            lines << html(tr("#%1 %2 by %3 → %4")
                              .arg(r.redriveCount)
                              .arg(QDateTime::fromMSecsSinceEpoch(r.redrivenAtMs).toString(Qt::ISODate),
                                   QString::fromStdString(r.redrivenBy),
                                   QString::fromStdString(ops::formatRecordAddress(
                                       r.targetTopic, r.targetPartition, r.targetOffset))));
        }
        redrives = lines.join(QStringLiteral("<br>"));
    }
    page += row(tr("Redrives"), redrives);
    page += QStringLiteral("</table>");

    if (!d.notes.empty()) {
        page += QStringLiteral("<p style='color:%1'><b>%2</b><br>").arg(kAmber, tr("Header problems"));
        for (const auto &note : d.notes) {
            page += QStringLiteral("⚠ %1<br>").arg(html(note));
        }
        page += QStringLiteral("</p>");
    }

    // Headers by convention: Logdeck's, Spring's kafka_dlt-*, Connect's __connect.errors.*.
    QString traces;
    const std::pair<QString, QString> families[] = {
        {QStringLiteral("Logdeck"), tr("Logdeck headers")},
        {QStringLiteral("Spring"), tr("Spring Kafka headers (kafka_dlt-*)")},
        {QStringLiteral("Connect"), tr("Kafka Connect headers (__connect.errors.*)")},
        {QStringLiteral("Other"), tr("Other headers")}};
    for (const auto &[family, title] : families) {
        QString rows;
        for (const DecodedHeader &h : detail->headers) {
            if (h.family != family) {
                continue;
            }
            if (h.multiline) {
                traces += QStringLiteral("<h4>%1</h4><pre>%2</pre>").arg(html(h.name), html(h.value));
                continue;
            }
            const QString problem = h.problem.isEmpty()
                ? QString()
                : QStringLiteral(" <span style='color:%1'>⚠ %2</span>").arg(kAmber, html(h.problem));
            // The name above its value: Spring's and Connect's names are long.
            rows += QStringLiteral("<tr><td><code style='color:#555'>%1</code></td></tr>"
                                   "<tr><td style='padding-left:14px; padding-bottom:3px'>%2%3</td></tr>")
                        .arg(html(h.name), html(h.value), problem);
        }
        if (!rows.isEmpty()) {
            page += QStringLiteral("<h4>%1</h4><table cellspacing='0' cellpadding='1'>%2</table>")
                        .arg(html(title), rows);
        }
    }
    if (detail->headers.empty()) {
        page += tr("<h4>Headers</h4><p>None.</p>");
    }
    page += traces;
    page += QStringLiteral("<h4>%1</h4>").arg(tr("Key"));
    page += d.key.empty() ? tr("<p style='color:%1'>none</p>").arg(kGrey)
                          : QStringLiteral("<pre>%1</pre>").arg(html(d.key));
    page += QStringLiteral("<h4>%1 <span style='font-weight:normal; color:#555'>(%2)</span></h4>")
                .arg(tr("Value"), html(detail->valueKind));
    if (!detail->valueText.isEmpty()) {
        page += QStringLiteral("<pre>%1</pre>").arg(html(detail->valueText));
    }
    m_detail->setHtml(page);
    Q_EMIT detailShown(QString::fromStdString(ops::coordinatesOf(d)));
}

QString DlqPage::statusText() const
{
    return m_status->text();
}

QString DlqPage::errorText() const
{
    return m_error->text();
}

QString DlqPage::detailText() const
{
    return m_shownDetail ? m_detail->toPlainText() : QString();
}

QString DlqPage::exportStatusText() const
{
    return m_exportStatus->text();
}

void DlqPage::requestRedrive(bool selectedOnly)
{
    if (!m_mutationsAllowed || m_applied.topic.empty()) {
        return;
    }
    ops::RedriveSpec spec;
    if (selectedOnly) {
        const auto rows = selectedRows();
        if (rows.empty()) {
            return;
        }
        spec.filter.topic = m_applied.topic;
        for (int row : rows) {
            spec.ids.push_back(m_model->coordinatesAt(row).toStdString());
        }
    } else {
        spec.filter = m_applied;
        spec.all = m_applied.selectsEverything();
    }
    Q_EMIT redriveRequested(spec);
}

void DlqPage::copyDetail()
{
    if (m_shownDetail && m_shownDetail->error.isEmpty()) {
        QApplication::clipboard()->setText(m_shownDetail->recordJson);
    }
}

void DlqPage::chooseExport(bool selectedOnly)
{
    const QString path = QFileDialog::getSaveFileName(
        this, selectedOnly ? tr("Export the selected dead letters") : tr("Export every matching dead letter"),
        QStringLiteral("dead-letters.jsonl"), tr("JSON lines (*.jsonl);;All files (*)"));
    if (!path.isEmpty()) {
        exportTo(path, selectedOnly);
    }
}

void DlqPage::exportTo(const QString &path, bool selectedOnly)
{
    if (m_applied.topic.empty()) {
        return;
    }
    std::vector<std::pair<std::int32_t, std::int64_t>> coordinates;
    if (selectedOnly) {
        for (int row : selectedRows()) {
            coordinates.emplace_back(m_model->partitionAt(row), m_model->offsetAt(row));
        }
        if (coordinates.empty()) {
            return;
        }
    }
    if (m_countRequest != 0) { // one count or export at a time: the export goes first
        m_countRequest = 0;
        m_countStatus.clear();
        updateStatus();
    }
    m_exportStatus->setStyleSheet({});
    m_exportStatus->setText(tr("exporting…"));
    m_exportRequest = m_service->exportLetters(m_applied, std::move(coordinates), path);
}

void DlqPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_autoRefresh->start();
}

void DlqPage::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_autoRefresh->stop();
}

} // namespace logdeck::ui
