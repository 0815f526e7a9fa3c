#include "views/audit_page.h"

#include "models/audit_models.h"
#include "models/time_text.h"
#include "views/page_widgets.h"

#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace logdeck::ui {

namespace {

/// The newest entries the page shows.
constexpr int kLimit = 1000;

QPlainTextEdit *jsonBox(QWidget *parent)
{
    auto *box = new QPlainTextEdit(parent);
    box->setReadOnly(true);
    box->setLineWrapMode(QPlainTextEdit::NoWrap);
    box->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    return box;
}

QWidget *titled(const QString &title, QWidget *content, QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto *label = new QLabel(title, box);
    label->setTextFormat(Qt::RichText);
    layout->addWidget(label);
    layout->addWidget(content, 1);
    return box;
}

} // namespace

AuditPage::AuditPage(QWidget *parent)
    : QWidget(parent)
    , m_operation(new QComboBox(this))
    , m_target(new QLineEdit(this))
    , m_text(new QLineEdit(this))
    , m_range(new QComboBox(this))
    , m_status(new QLabel(this))
    , m_log(new AuditLogModel(this))
    , m_logView(makeRowTable(m_log, this))
    , m_entryTitle(new QLabel(this))
    , m_parameters(jsonBox(this))
    , m_changes(new AuditChangeModel(this))
    , m_changeView(new QTableView(this))
    , m_before(jsonBox(this))
    , m_after(jsonBox(this))
    , m_poll(new QTimer(this))
{
    setObjectName(QStringLiteral("auditPage"));
    m_operation->setObjectName(QStringLiteral("auditOperation"));
    m_operation->addItem(tr("Every operation"), QString());
    m_operation->setMinimumWidth(190);
    m_target->setObjectName(QStringLiteral("auditTarget"));
    m_target->setPlaceholderText(tr("Group, tenant or task"));
    m_target->setClearButtonEnabled(true);
    m_target->setMinimumWidth(180);
    m_text->setObjectName(QStringLiteral("auditText"));
    m_text->setPlaceholderText(tr("Any text: user, host, parameters, before, after, result"));
    m_text->setClearButtonEnabled(true);
    addTimeRanges(m_range, 0);
    m_status->setObjectName(QStringLiteral("auditStatus"));
    m_status->setTextFormat(Qt::RichText);

    m_logView->setObjectName(QStringLiteral("auditLog"));
    m_logView->verticalHeader()->setDefaultSectionSize(m_logView->fontMetrics().height() + 8);
    m_logView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_logView->horizontalHeader()->setStretchLastSection(true);

    m_changeView->setObjectName(QStringLiteral("auditChanges"));
    m_changeView->setModel(m_changes);
    m_changeView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_changeView->setSelectionMode(QAbstractItemView::NoSelection);
    m_changeView->setWordWrap(false);
    m_changeView->verticalHeader()->hide();
    m_changeView->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_changeView->horizontalHeader()->setHighlightSections(false);

    m_entryTitle->setTextFormat(Qt::RichText);
    m_entryTitle->setWordWrap(true);
    m_entryTitle->setObjectName(QStringLiteral("auditEntryTitle"));

    auto *title = new QLabel(tr("<span style='font-size:large;font-weight:600'>Audit</span>"),
                             this);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(title);
    filterRow->addSpacing(12);
    filterRow->addWidget(m_operation);
    filterRow->addWidget(m_target);
    filterRow->addWidget(m_text, 1);
    filterRow->addWidget(m_range);

    auto *sides = new QSplitter(Qt::Vertical, this);
    sides->addWidget(titled(tr("<b>Before</b>"), m_before, this));
    sides->addWidget(titled(tr("<b>After</b>"), m_after, this));
    auto *detail = new QSplitter(Qt::Horizontal, this);
    detail->addWidget(titled(tr("<b>Parameters</b>"), m_parameters, this));
    detail->addWidget(titled(tr("<b>Before → after</b> <span style='color:#6b6b6b'>(changed "
                                "fields highlighted)</span>"),
                             m_changeView, this));
    detail->addWidget(sides);
    detail->setSizes({280, 360, 280});

    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 6, 0, 0);
    bottomLayout->addWidget(m_entryTitle);
    bottomLayout->addWidget(detail, 1);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_logView);
    splitter->addWidget(bottom);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 12, 16, 12);
    layout->addLayout(filterRow);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);

    m_poll->setInterval(kPollIntervalMs);
    connect(m_poll, &QTimer::timeout, this, &AuditPage::refresh);
    connect(m_operation, &QComboBox::activated, this, &AuditPage::refresh);
    connect(m_range, &QComboBox::activated, this, &AuditPage::refresh);
    connect(m_target, &QLineEdit::textChanged, this, &AuditPage::refresh);
    connect(m_text, &QLineEdit::textChanged, this, &AuditPage::refresh);
    connect(m_logView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AuditPage::entrySelected);
    connect(&m_reader, &AuditReader::read, this, &AuditPage::showLog);
    entrySelected();
}

void AuditPage::setTarget(const OpsTarget &target)
{
    m_reader.setTarget(target);
    m_request = 0;
    m_log->setEntries(nullptr);
    entrySelected();
    if (target.isSet() && isVisible()) {
        refresh();
    }
}

ops::AuditFilter AuditPage::filter() const
{
    ops::AuditFilter filter;
    filter.operation = m_operation->currentData().toString().toStdString();
    filter.target = m_target->text().trimmed().toStdString();
    filter.text = m_text->text().trimmed().toStdString();
    if (const qint64 since = rangeStartMs(m_range); since > 0) {
        filter.sinceMs = since;
    }
    filter.limit = kLimit;
    return filter;
}

void AuditPage::refresh()
{
    if (!m_reader.target().isSet()) {
        m_status->setText(tr("Not connected."));
        return;
    }
    m_request = m_reader.request(filter());
}

void AuditPage::setOperationFilter(const QString &operation)
{
    int index = m_operation->findData(operation);
    if (index < 0) {
        m_operation->addItem(operation, operation);
        index = m_operation->count() - 1;
    }
    m_operation->setCurrentIndex(index);
    refresh();
}

void AuditPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
    m_poll->start();
}

void AuditPage::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_poll->stop();
}

QString AuditPage::parametersText() const
{
    return m_parameters->toPlainText();
}

QString AuditPage::statusText() const
{
    return m_status->text();
}

void AuditPage::showLog(std::uint64_t id, const AuditEntriesPtr &entries, const QString &error)
{
    if (id != m_request) {
        return;
    }
    if (!error.isEmpty()) {
        m_status->setText(QStringLiteral("<span style='color:#c01c28'>%1</span>")
                              .arg(tr("The audit log cannot be read: %1").arg(error).toHtmlEscaped()));
        Q_EMIT logShown(error);
        return;
    }
    const store::AuditEntry *selected = m_log->entryAt(m_logView->currentIndex().row());
    const std::int64_t selectedId = selected != nullptr ? selected->id : 0;
    m_log->setEntries(entries);
    // New operations join the filter's choices; the choice made stays.
    for (const QString &operation : m_log->operationsSeen()) {
        if (m_operation->findData(operation) < 0) {
            m_operation->addItem(operation, operation);
        }
    }
    const int row = m_log->rowOf(selectedId);
    if (row >= 0) {
        if (m_logView->currentIndex().row() != row) {
            m_logView->setCurrentIndex(m_log->index(row, 0));
        }
    } else if (m_log->rowCount() > 0) {
        m_logView->setCurrentIndex(m_log->index(0, 0));
    }
    entrySelected();
    const int count = m_log->rowCount();
    m_status->setText(
        (count == 0 ? (m_operation->currentIndex() == 0 && m_target->text().isEmpty()
                               && m_text->text().isEmpty() && m_range->currentData().toLongLong() == 0
                           ? tr("Nothing audited here yet: pauses, resumes, offset resets, "
                                "redrives and tenant key changes appear as they happen.")
                           : tr("No audited operation matches the filters."))
         : count == 1 ? tr("<b>1</b> operation")
                      : tr("<b>%1</b> operations").arg(count))
        + tr(" <span style='color:#6b6b6b'>· newest first · %1 · read %2, again every %3 s "
             "while shown (F5 now)</span>")
              .arg(QString::fromStdString(m_reader.target().dataDir).toHtmlEscaped(),
                   QDateTime::currentDateTime().toString(QStringLiteral("HH:mm:ss")))
              .arg(kPollIntervalMs / 1000));
    Q_EMIT logShown({});
}

void AuditPage::entrySelected()
{
    const store::AuditEntry *entry = m_log->entryAt(m_logView->currentIndex().row());
    m_changes->setEntry(entry);
    m_changeView->resizeRowsToContents();
    if (entry == nullptr) {
        m_entryTitle->setText(tr("<span style='color:#6b6b6b'>Select an operation to see its "
                                 "parameters and its before and after.</span>"));
        m_parameters->clear();
        m_before->clear();
        m_after->clear();
        return;
    }
    const bool ok = entry->result == "ok";
    m_entryTitle->setText(
        tr("<b>%1</b> on <b>%2</b> by %3 at %4 — %5")
            .arg(QString::fromStdString(entry->operation).toHtmlEscaped(),
                 QString::fromStdString(entry->target.empty() ? "–" : entry->target).toHtmlEscaped(),
                 QString::fromStdString(ops::auditActor(*entry)).toHtmlEscaped(),
                 timestampText(entry->atMs),
                 QStringLiteral("<span style='color:%1'>%2</span>")
                     .arg(ok ? QStringLiteral("#1b7f3b") : QStringLiteral("#c01c28"),
                          QString::fromStdString(entry->result).toHtmlEscaped())));
    m_parameters->setPlainText(QString::fromStdString(ops::indentedJson(entry->parameters)));
    m_before->setPlainText(QString::fromStdString(ops::indentedJson(entry->before)));
    m_after->setPlainText(QString::fromStdString(ops::indentedJson(entry->after)));
}

} // namespace logdeck::ui
