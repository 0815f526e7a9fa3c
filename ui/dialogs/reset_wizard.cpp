#include "dialogs/reset_wizard.h"

#include "widgets/figures.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTimeZone>
#include <QVBoxLayout>
#include <algorithm>
#include <fstream>
#include <sstream>

namespace logdeck::ui {

namespace {

constexpr ops::ResetStrategy kStrategies[] = {
    ops::ResetStrategy::ToDatetime, ops::ResetStrategy::ByDuration, ops::ResetStrategy::ShiftBy,
    ops::ResetStrategy::ToOffset,   ops::ResetStrategy::ToEarliest, ops::ResetStrategy::ToLatest,
    ops::ResetStrategy::ToCurrent,  ops::ResetStrategy::FromFile,
};

const char *strategyLabel(ops::ResetStrategy strategy)
{
    switch (strategy) {
    case ops::ResetStrategy::ToDatetime:
        return QT_TRANSLATE_NOOP("ResetWizard", "To a date and time");
    case ops::ResetStrategy::ByDuration:
        return QT_TRANSLATE_NOOP("ResetWizard", "Back by a duration");
    case ops::ResetStrategy::ShiftBy:
        return QT_TRANSLATE_NOOP("ResetWizard", "Shift by a number of messages");
    case ops::ResetStrategy::ToOffset:
        return QT_TRANSLATE_NOOP("ResetWizard", "To an offset");
    case ops::ResetStrategy::ToEarliest:
        return QT_TRANSLATE_NOOP("ResetWizard", "To the earliest offset");
    case ops::ResetStrategy::ToLatest:
        return QT_TRANSLATE_NOOP("ResetWizard", "To the latest offset (skip everything)");
    case ops::ResetStrategy::ToCurrent:
        return QT_TRANSLATE_NOOP("ResetWizard", "To the current offset");
    case ops::ResetStrategy::FromFile:
        return QT_TRANSLATE_NOOP("ResetWizard", "From a file of offsets");
    }
    return "";
}

/// The steps a reset goes through, for the checklist before they arrive.
std::vector<ops::ResetStep> expectedSteps(bool hosted)
{
    if (hosted) {
        return {ops::ResetStep::Stopping, ops::ResetStep::Empty, ops::ResetStep::Applying,
                ops::ResetStep::Applied, ops::ResetStep::Resumed};
    }
    return {ops::ResetStep::CheckingMembers, ops::ResetStep::Empty, ops::ResetStep::Applying,
            ops::ResetStep::Applied};
}

QString stepLabel(ops::ResetStep step)
{
    switch (step) {
    case ops::ResetStep::Stopping:
        return ResetWizard::tr("Stop the group in the Logdeck engines that run it");
    case ops::ResetStep::CheckingMembers:
        return ResetWizard::tr("Check that the group has no active members");
    case ops::ResetStep::Empty:
        return ResetWizard::tr("Group is empty");
    case ops::ResetStep::Applying:
        return ResetWizard::tr("Apply the new offsets (no cancel from here on)");
    case ops::ResetStep::Applied:
        return ResetWizard::tr("Offsets applied to every partition");
    case ops::ResetStep::Resumed:
        return ResetWizard::tr("Group resumed");
    case ops::ResetStep::Cancelled:
        return ResetWizard::tr("Cancelled: nothing moved");
    case ops::ResetStep::Failed:
        return ResetWizard::tr("Failed: nothing moved");
    }
    return {};
}

QString timeOrDash(std::int64_t ms)
{
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                  : QStringLiteral("–");
}

QString plural(qint64 n, const QString &one, const QString &many)
{
    return (n == 1 ? one : many).arg(formatCount(n));
}

QTableWidgetItem *cell(const QString &text, bool number = false)
{
    auto *item = new QTableWidgetItem(text);
    if (number) {
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    return item;
}

} // namespace

QString strategyName(ops::ResetStrategy strategy)
{
    switch (strategy) {
    case ops::ResetStrategy::ToDatetime:
        return QStringLiteral("--to-datetime");
    case ops::ResetStrategy::ByDuration:
        return QStringLiteral("--by-duration");
    case ops::ResetStrategy::ShiftBy:
        return QStringLiteral("--shift-by");
    case ops::ResetStrategy::ToOffset:
        return QStringLiteral("--to-offset");
    case ops::ResetStrategy::ToEarliest:
        return QStringLiteral("--to-earliest");
    case ops::ResetStrategy::ToLatest:
        return QStringLiteral("--to-latest");
    case ops::ResetStrategy::ToCurrent:
        return QStringLiteral("--to-current");
    case ops::ResetStrategy::FromFile:
        return QStringLiteral("--from-file");
    }
    return {};
}

ResetWizard::ResetWizard(ResetService *service, QString group, GroupPartitions partitions,
                         QWidget *parent)
    : QDialog(parent)
    , m_service(service)
    , m_group(std::move(group))
    , m_partitions(std::move(partitions))
    , m_stages(new QStackedWidget(this))
    , m_back(new QPushButton(tr("Back"), this))
    , m_next(new QPushButton(tr("Preview"), this))
    , m_execute(new QPushButton(tr("Reset offsets"), this))
    , m_cancel(new QPushButton(tr("Cancel reset"), this))
    , m_close(new QPushButton(tr("Close"), this))
{
    setWindowTitle(tr("Reset offsets of %1").arg(m_group));
    setObjectName(QStringLiteral("resetWizard"));
    resize(880, 560);
    m_stages->addWidget(createChoose());
    m_stages->addWidget(createPreview());
    m_stages->addWidget(createRun());

    m_execute->setObjectName(QStringLiteral("resetExecute"));
    m_cancel->setObjectName(QStringLiteral("resetCancel"));
    m_next->setDefault(true);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_back);
    buttons->addStretch();
    buttons->addWidget(m_next);
    buttons->addWidget(m_execute);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_close);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_stages, 1);
    layout->addLayout(buttons);

    connect(m_back, &QPushButton::clicked, this, [this] { setStage(Stage::Choose); });
    connect(m_next, &QPushButton::clicked, this, &ResetWizard::preview);
    connect(m_execute, &QPushButton::clicked, this, &ResetWizard::execute);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_service->cancel()) {
            m_cancel->setEnabled(false);
            m_cancel->setText(tr("Cancelling…"));
        }
    });
    connect(m_close, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_service, &ResetService::planReady, this, &ResetWizard::showPreview);
    connect(m_service, &ResetService::stepReached, this, &ResetWizard::showStep);
    connect(m_service, &ResetService::executeFinished, this, &ResetWizard::showFinished);
    setStage(Stage::Choose);
    strategyChanged();
}

QWidget *ResetWizard::createChoose()
{
    auto *page = new QWidget(this);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    m_strategy = new QComboBox(page);
    m_strategy->setObjectName(QStringLiteral("resetStrategy"));
    for (const auto strategy : kStrategies) {
        m_strategy->addItem(tr(strategyLabel(strategy)) + QStringLiteral("   ")
                                + strategyName(strategy),
                            static_cast<int>(strategy));
    }
    form->addRow(tr("Strategy:"), m_strategy);

    // One argument editor per strategy, in kStrategies' order.
    m_arguments = new QStackedWidget(page);
    {
        auto *w = new QWidget(m_arguments);
        auto *row = new QHBoxLayout(w);
        row->setContentsMargins(0, 0, 0, 0);
        m_dateTime = new QDateTimeEdit(QDateTime::currentDateTime().addSecs(-3600), w);
        m_dateTime->setObjectName(QStringLiteral("resetDateTime"));
        m_dateTime->setCalendarPopup(true);
        m_dateTime->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        m_timeZone = new QComboBox(w);
        m_timeZone->setObjectName(QStringLiteral("resetTimeZone"));
        m_timeZone->setEditable(true);
        m_timeZone->setInsertPolicy(QComboBox::NoInsert);
        const QByteArray local = QTimeZone::systemTimeZoneId();
        m_timeZone->addItem(tr("Local time (%1)").arg(QString::fromUtf8(local)), local);
        m_timeZone->addItem(QStringLiteral("UTC"), QByteArrayLiteral("UTC"));
        for (const QByteArray &id : QTimeZone::availableTimeZoneIds()) {
            m_timeZone->addItem(QString::fromUtf8(id), id);
        }
        row->addWidget(m_dateTime);
        row->addWidget(new QLabel(tr("in"), w));
        row->addWidget(m_timeZone, 1);
        m_arguments->addWidget(w);
    }
    {
        auto *w = new QWidget(m_arguments);
        auto *row = new QHBoxLayout(w);
        row->setContentsMargins(0, 0, 0, 0);
        m_durationValue = new QSpinBox(w);
        m_durationValue->setRange(1, 100000);
        m_durationValue->setValue(30);
        m_durationUnit = new QComboBox(w);
        m_durationUnit->addItem(tr("minutes ago"), 60);
        m_durationUnit->addItem(tr("hours ago"), 3600);
        m_durationUnit->addItem(tr("days ago"), 86400);
        row->addWidget(m_durationValue);
        row->addWidget(m_durationUnit);
        row->addStretch();
        m_arguments->addWidget(w);
    }
    const auto numberEdit = [&](const QString &placeholder, bool negative) {
        auto *edit = new QLineEdit(m_arguments);
        edit->setPlaceholderText(placeholder);
        edit->setValidator(new QRegularExpressionValidator(
            QRegularExpression(negative ? QStringLiteral("-?[0-9]{1,18}")
                                        : QStringLiteral("[0-9]{1,18}")),
            edit));
        m_arguments->addWidget(edit);
        return edit;
    };
    m_shift = numberEdit(tr("messages: negative goes back (-1000), positive skips ahead"), true);
    m_shift->setObjectName(QStringLiteral("resetShift"));
    m_offset = numberEdit(tr("the offset, the same on every partition in scope"), false);
    m_offset->setObjectName(QStringLiteral("resetOffset"));
    for (int i = 0; i < 3; ++i) { // earliest, latest, current: no argument
        m_arguments->addWidget(new QWidget(m_arguments));
    }
    {
        auto *w = new QWidget(m_arguments);
        auto *row = new QHBoxLayout(w);
        row->setContentsMargins(0, 0, 0, 0);
        m_file = new QLineEdit(w);
        m_file->setObjectName(QStringLiteral("resetFile"));
        m_file->setPlaceholderText(tr("a CSV of topic,partition,offset (an --export or undo file)"));
        auto *browse = new QPushButton(tr("Browse…"), w);
        connect(browse, &QPushButton::clicked, this, [this] {
            const QString path = QFileDialog::getOpenFileName(
                this, tr("Offsets file"), m_file->text(), tr("Offsets (*.csv);;All files (*)"));
            if (!path.isEmpty()) {
                m_file->setText(path);
            }
        });
        row->addWidget(m_file, 1);
        row->addWidget(browse);
        m_arguments->addWidget(w);
    }
    form->addRow(QString(), m_arguments);
    m_strategyNote = new QLabel(page);
    m_strategyNote->setObjectName(QStringLiteral("resetStrategyNote"));
    m_strategyNote->setWordWrap(true);
    m_strategyNote->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
    form->addRow(QString(), m_strategyNote);

    // Scope.
    m_scope = new QButtonGroup(page);
    auto *scopeBox = new QWidget(page);
    auto *scopeLayout = new QVBoxLayout(scopeBox);
    scopeLayout->setContentsMargins(0, 0, 0, 0);
    auto *all = new QRadioButton(tr("Every topic the group has offsets on"), scopeBox);
    auto *oneTopic = new QRadioButton(tr("One topic:"), scopeBox);
    auto *some = new QRadioButton(tr("Chosen partitions:"), scopeBox);
    m_scope->addButton(all, 0);
    m_scope->addButton(oneTopic, 1);
    m_scope->addButton(some, 2);
    m_topic = new QComboBox(scopeBox);
    m_chosenPartitions = new QListWidget(scopeBox);
    m_chosenPartitions->setObjectName(QStringLiteral("resetPartitions"));
    m_chosenPartitions->setMaximumHeight(110);
    for (const auto &[topic, list] : m_partitions) {
        m_topic->addItem(QString::fromStdString(topic));
        for (const auto p : list) {
            auto *item = new QListWidgetItem(
                QStringLiteral("%1 [%2]").arg(QString::fromStdString(topic)).arg(p),
                m_chosenPartitions);
            item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            item->setCheckState(Qt::Unchecked);
            item->setData(Qt::UserRole, QString::fromStdString(topic));
            item->setData(Qt::UserRole + 1, p);
        }
    }
    all->setChecked(true);
    auto *topicRow = new QHBoxLayout;
    topicRow->addWidget(oneTopic);
    topicRow->addWidget(m_topic, 1);
    scopeLayout->addWidget(all);
    scopeLayout->addLayout(topicRow);
    scopeLayout->addWidget(some);
    scopeLayout->addWidget(m_chosenPartitions);
    form->addRow(tr("Scope:"), scopeBox);

    m_rebuild = new QCheckBox(tr("Rebuild the group's state from the replayed events (--rebuild)"),
                              page);
    m_rebuild->setObjectName(QStringLiteral("resetRebuild"));
    auto *rebuildNote = new QLabel(
        tr("Without it, events the group already processed are skipped by its dedup state, so "
           "a replay changes nothing for them. With it (Logdeck's own groups), in the same "
           "transaction as the offset change, the group forgets those events' dedup keys and "
           "what it derived from them (rollup counts, index rows, fraud counters), from the "
           "minute of the first replayed record, so the replay counts them again exactly once."),
        page);
    rebuildNote->setWordWrap(true);
    rebuildNote->setStyleSheet(QStringLiteral("color: palette(placeholder-text);"));
    form->addRow(QString(), m_rebuild);
    form->addRow(QString(), rebuildNote);

    m_chooseError = new QLabel(page);
    m_chooseError->setObjectName(QStringLiteral("resetChooseError"));
    m_chooseError->setWordWrap(true);
    m_chooseError->setStyleSheet(QStringLiteral("color: #c01c28;"));
    form->addRow(QString(), m_chooseError);

    auto *layout = new QVBoxLayout(page);
    auto *title = new QLabel(tr("<h3>1. Where should %1 start reading?</h3>").arg(m_group.toHtmlEscaped()),
                             page);
    layout->addWidget(title);
    layout->addLayout(form);
    layout->addStretch();

    connect(m_strategy, &QComboBox::currentIndexChanged, this, &ResetWizard::strategyChanged);
    const auto scopeChanged = [this] {
        const int id = m_scope->checkedId();
        m_topic->setEnabled(id == 1);
        m_chosenPartitions->setEnabled(id == 2);
    };
    connect(m_scope, &QButtonGroup::idClicked, this, scopeChanged);
    scopeChanged();
    return page;
}

QWidget *ResetWizard::createPreview()
{
    auto *page = new QWidget(this);
    m_previewTitle = new QLabel(page);
    m_previewTitle->setTextFormat(Qt::RichText);
    m_previewTable = new QTableWidget(0, 8, page);
    m_previewTable->setObjectName(QStringLiteral("resetPreview"));
    m_previewTable->setHorizontalHeaderLabels({tr("Topic"), tr("Partition"), tr("Current"),
                                               tr("New"), tr("Log end"), tr("Messages"),
                                               tr("Record at new offset"),
                                               tr("Record at current offset")});
    m_previewTable->verticalHeader()->hide();
    m_previewTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_previewTable->setSelectionMode(QAbstractItemView::NoSelection);
    m_previewTable->setAlternatingRowColors(true);
    m_previewTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_previewTable->horizontalHeader()->setStretchLastSection(true);
    m_summary = new QLabel(page);
    m_summary->setObjectName(QStringLiteral("resetSummary"));
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);
    m_warnings = new QLabel(page);
    m_warnings->setObjectName(QStringLiteral("resetWarnings"));
    m_warnings->setTextFormat(Qt::RichText);
    m_warnings->setWordWrap(true);
    m_confirm = new QLineEdit(page);
    m_confirm->setObjectName(QStringLiteral("resetConfirm"));
    m_confirm->setPlaceholderText(m_group);
    auto *confirmRow = new QHBoxLayout;
    confirmRow->addWidget(
        new QLabel(tr("Type the group's name, <b>%1</b>, to reset it:").arg(m_group.toHtmlEscaped()),
                   page));
    confirmRow->addWidget(m_confirm, 1);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(m_previewTitle);
    layout->addWidget(m_previewTable, 1);
    layout->addWidget(m_summary);
    layout->addWidget(m_warnings);
    layout->addLayout(confirmRow);
    connect(m_confirm, &QLineEdit::textChanged, this, &ResetWizard::updateButtons);
    return page;
}

QWidget *ResetWizard::createRun()
{
    auto *page = new QWidget(this);
    m_steps = new QListWidget(page);
    m_steps->setObjectName(QStringLiteral("resetSteps"));
    m_steps->setSelectionMode(QAbstractItemView::NoSelection);
    m_steps->setSpacing(3);
    m_runError = new QLabel(page);
    m_runError->setObjectName(QStringLiteral("resetRunError"));
    m_runError->setWordWrap(true);
    m_runError->setTextFormat(Qt::RichText);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(new QLabel(tr("<h3>3. Resetting %1</h3>").arg(m_group.toHtmlEscaped()), page));
    layout->addWidget(m_steps, 1);
    layout->addWidget(m_runError);
    return page;
}

void ResetWizard::strategyChanged()
{
    const int index = std::max(0, m_strategy->currentIndex());
    m_arguments->setCurrentIndex(index);
    const auto strategy = kStrategies[index];
    const bool byTime =
        strategy == ops::ResetStrategy::ToDatetime || strategy == ops::ResetStrategy::ByDuration;
    QString note;
    if (byTime && m_service->target().mockCluster) {
        note = tr("The demo's embedded cluster cannot look up offsets by time: the time is looked "
                  "up in the persister's event index instead, which covers events.raw only. For "
                  "other topics use an offset, a shift or a file.");
    } else if (byTime) {
        note = tr("Each partition moves to its first record at or after this time.");
    } else if (strategy == ops::ResetStrategy::FromFile) {
        note = tr("The file names its partitions: the scope below is not used.");
    } else if (strategy == ops::ResetStrategy::ToOffset) {
        note = tr("An offset outside a partition's log moves to its nearest end.");
    }
    m_strategyNote->setText(note);
    m_strategyNote->setVisible(!note.isEmpty());
}

void ResetWizard::setStrategy(ops::ResetStrategy strategy)
{
    m_strategy->setCurrentIndex(m_strategy->findData(static_cast<int>(strategy)));
}

QString ResetWizard::strategyNote() const
{
    return m_strategyNote->text();
}

std::optional<ops::ResetRequest> ResetWizard::request(QString *why) const
{
    const auto refuse = [&](const QString &reason) -> std::optional<ops::ResetRequest> {
        if (why != nullptr) {
            *why = reason;
        }
        return std::nullopt;
    };
    ops::ResetRequest r;
    r.group = m_group.toStdString();
    r.strategy = kStrategies[std::max(0, m_strategy->currentIndex())];
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    switch (r.strategy) {
    case ops::ResetStrategy::ToDatetime: {
        const QTimeZone zone(m_timeZone->currentData().toByteArray().isEmpty()
                                 ? m_timeZone->currentText().toUtf8()
                                 : m_timeZone->currentData().toByteArray());
        if (!zone.isValid()) {
            return refuse(tr("'%1' is not a time zone").arg(m_timeZone->currentText()));
        }
        const QDateTime at(m_dateTime->date(), m_dateTime->time(), zone);
        r.timestampMs = at.toMSecsSinceEpoch();
        if (r.timestampMs > now) {
            return refuse(tr("%1 is in the future").arg(at.toString(Qt::ISODate)));
        }
        break;
    }
    case ops::ResetStrategy::ByDuration:
        r.timestampMs = now
            - static_cast<qint64>(m_durationValue->value()) * m_durationUnit->currentData().toLongLong()
                * 1000;
        break;
    case ops::ResetStrategy::ShiftBy:
    case ops::ResetStrategy::ToOffset: {
        const QLineEdit *edit = r.strategy == ops::ResetStrategy::ShiftBy ? m_shift : m_offset;
        bool ok = false;
        r.offset = edit->text().toLongLong(&ok);
        if (!ok) {
            return refuse(r.strategy == ops::ResetStrategy::ShiftBy
                              ? tr("Give the number of messages to shift by.")
                              : tr("Give the offset to move to."));
        }
        break;
    }
    case ops::ResetStrategy::FromFile: {
        std::ifstream in(m_file->text().toStdString());
        if (m_file->text().isEmpty() || !in) {
            return refuse(tr("Choose a file of offsets that can be read."));
        }
        std::stringstream text;
        text << in.rdbuf();
        auto offsets = ops::parseOffsetsCsv(text.str());
        if (!offsets) {
            return refuse(QString::fromStdString(offsets.error().message));
        }
        r.fileOffsets = std::move(*offsets);
        break;
    }
    default:
        break;
    }
    if (r.strategy != ops::ResetStrategy::FromFile) {
        switch (m_scope->checkedId()) {
        case 0:
            r.allTopics = true;
            break;
        case 1:
            if (m_topic->currentText().isEmpty()) {
                return refuse(tr("The group has no topic to choose."));
            }
            r.topics[m_topic->currentText().toStdString()] = {};
            break;
        default:
            for (int i = 0; i < m_chosenPartitions->count(); ++i) {
                const auto *item = m_chosenPartitions->item(i);
                if (item->checkState() == Qt::Checked) {
                    r.topics[item->data(Qt::UserRole).toString().toStdString()].push_back(
                        item->data(Qt::UserRole + 1).toInt());
                }
            }
            if (r.topics.empty()) {
                return refuse(tr("Tick at least one partition."));
            }
        }
    }
    r.rebuild = m_rebuild->isChecked();
    return r;
}

void ResetWizard::preview()
{
    QString why;
    const auto r = request(&why);
    if (!r) {
        m_chooseError->setText(why);
        return;
    }
    m_chooseError->setText(tr("Asking the cluster for the plan…"));
    m_chooseError->setStyleSheet(QString());
    m_planRequest = m_service->plan(*r);
    m_next->setEnabled(false);
}

void ResetWizard::showPlan(const ResetPlanPtr &plan, const QString &title)
{
    m_undo = true;
    m_planRequest = 0;
    setWindowTitle(title);
    showPreview(0, plan, {});
}

void ResetWizard::showPreview(std::uint64_t requestId, const ResetPlanPtr &plan,
                              const QString &error)
{
    if (requestId != m_planRequest) {
        return;
    }
    m_planRequest = 0;
    m_next->setEnabled(true);
    if (!plan) {
        m_chooseError->setStyleSheet(QStringLiteral("color: #c01c28;"));
        m_chooseError->setText(tr("No plan: %1").arg(error));
        return;
    }
    m_chooseError->clear();
    m_plan = plan;
    m_previewTitle->setText(tr("<h3>2. Preview: %1 %2</h3>")
                                .arg(QString::fromStdString(plan->group).toHtmlEscaped(),
                                     QString::fromStdString(plan->strategy).toHtmlEscaped()));
    m_previewTable->setRowCount(static_cast<int>(plan->partitions.size()));
    qint64 reread = 0;
    qint64 skipped = 0;
    std::int64_t spanFrom = 0;
    std::int64_t spanTo = 0;
    int row = 0;
    for (const auto &p : plan->partitions) {
        const qint64 delta = p.reread();
        (delta > 0 ? reread : skipped) += std::abs(delta);
        QString messages = QStringLiteral("–");
        if (delta > 0) {
            messages = tr("re-read %1").arg(formatCount(delta));
        } else if (delta < 0) {
            messages = tr("skip %1").arg(formatCount(-delta));
        }
        if (delta != 0) {
            const std::int64_t a = std::min(p.targetTimestampMs, p.currentTimestampMs);
            const std::int64_t b = std::max(p.targetTimestampMs, p.currentTimestampMs);
            if (a > 0 && (spanFrom == 0 || a < spanFrom)) {
                spanFrom = a;
            }
            spanTo = std::max(spanTo, b);
        }
        m_previewTable->setItem(row, 0, cell(QString::fromStdString(p.topic)));
        m_previewTable->setItem(row, 1, cell(QString::number(p.partition), true));
        m_previewTable->setItem(
            row, 2, cell(p.current < 0 ? QStringLiteral("–") : QString::number(p.current), true));
        auto *target = cell(QString::number(p.target), true);
        QFont bold = target->font();
        bold.setBold(true);
        target->setFont(bold);
        if (p.clamped) {
            target->setToolTip(tr("Outside the log: moved to its nearest end"));
        }
        m_previewTable->setItem(row, 3, target);
        m_previewTable->setItem(row, 4, cell(QString::number(p.logEnd), true));
        auto *messagesCell = cell(messages, true);
        messagesCell->setForeground(delta > 0 ? QColor(0x1a, 0x5f, 0xb4)
                                    : delta < 0 ? QColor(0xc0, 0x1c, 0x28)
                                                : QColor(0x6b, 0x6b, 0x6b));
        m_previewTable->setItem(row, 5, messagesCell);
        m_previewTable->setItem(row, 6, cell(timeOrDash(p.targetTimestampMs)));
        m_previewTable->setItem(row, 7, cell(timeOrDash(p.currentTimestampMs)));
        ++row;
    }
    QString summary =
        tr("<b>%1</b> · <b>%2</b> · <b>%3</b>")
            .arg(plural(static_cast<qint64>(plan->partitions.size()), tr("%1 partition"),
                        tr("%1 partitions")),
                 plural(reread, tr("%1 message re-read"), tr("%1 messages re-read")),
                 plural(skipped, tr("%1 message skipped"), tr("%1 messages skipped")));
    if (spanFrom > 0 && spanTo > spanFrom) {
        summary += tr("<br>Time span: %1 → %2 (%3)")
                       .arg(timeOrDash(spanFrom), timeOrDash(spanTo),
                            formatSeconds(static_cast<double>(spanTo - spanFrom) / 1000.0));
    } else {
        summary += tr("<br>Time span: <span style='color:#6b6b6b'>unknown</span> (no record "
                      "times at both ends)");
    }
    summary += tr("<br>Affected tenants: <span style='color:#6b6b6b'>unknown</span> — the plan "
                  "does not name them (<code>logdeck-cli tenant events</code> shows a tenant's "
                  "events)");
    if (plan->rebuild) {
        summary += tr("<br>--rebuild: the group's derived state is rebuilt from the replayed "
                      "events");
    }
    const QString state = QString::fromStdString(plan->groupState);
    summary += tr("<br>Group state: %1").arg(state == QStringLiteral("unknown") || state.isEmpty()
                                                   ? tr("<span style='color:#6b6b6b'>unknown</span>")
                                                   : state.toHtmlEscaped());
    if (!plan->hostedBy.empty()) {
        QStringList hosts;
        for (const auto &h : plan->hostedBy) {
            hosts << QString::fromStdString(h).toHtmlEscaped();
        }
        summary += tr("<br>Run by Logdeck engine(s) %1: they stop the group, the offsets move "
                      "once it is empty, and they resume it.")
                       .arg(hosts.join(QStringLiteral(", ")));
    }
    m_summary->setText(summary);
    QStringList warnings;
    for (const auto &m : plan->activeMembers) {
        if (plan->hostedBy.empty()) {
            warnings << tr("Active member: %1").arg(QString::fromStdString(m).toHtmlEscaped());
        }
    }
    for (const auto &w : plan->warnings) {
        warnings << QString::fromStdString(w).toHtmlEscaped();
    }
    m_warnings->setText(warnings.isEmpty()
                            ? QString()
                            : QStringLiteral("<span style='color:#9c6500'>⚠ %1</span>")
                                  .arg(warnings.join(QStringLiteral("<br>⚠ "))));
    m_warnings->setVisible(!warnings.isEmpty());
    m_confirm->clear();
    setStage(Stage::Preview);
}

void ResetWizard::execute()
{
    if (!m_plan || m_confirm->text() != m_group || m_running) {
        return;
    }
    m_steps->clear();
    for (const auto step : expectedSteps(!m_plan->hostedBy.empty())) {
        auto *item = new QListWidgetItem(QStringLiteral("○  ") + stepLabel(step), m_steps);
        item->setData(Qt::UserRole, static_cast<int>(step));
        item->setForeground(QColor(0x6b, 0x6b, 0x6b));
    }
    m_runError->clear();
    m_error.clear();
    m_outcome.reset();
    m_running = true;
    m_applying = false;
    m_executeRequest = m_service->execute(*m_plan);
    setStage(Stage::Run);
}

void ResetWizard::showStep(std::uint64_t requestId, ops::ResetStep step, const QString &text,
                           qint64 atMs)
{
    if (requestId != m_executeRequest) {
        return;
    }
    if (step == ops::ResetStep::Applying) {
        m_applying = true;
    }
    QListWidgetItem *item = nullptr;
    for (int i = 0; i < m_steps->count() && item == nullptr; ++i) {
        if (m_steps->item(i)->data(Qt::UserRole).toInt() == static_cast<int>(step)) {
            item = m_steps->item(i);
        }
    }
    if (item == nullptr) {
        item = new QListWidgetItem(m_steps);
        item->setData(Qt::UserRole, static_cast<int>(step));
    }
    const bool bad = step == ops::ResetStep::Failed || step == ops::ResetStep::Cancelled;
    const QString at =
        QDateTime::fromMSecsSinceEpoch(atMs).toString(QStringLiteral("HH:mm:ss.zzz"));
    // The engine's words are shown where they add to the label: why it failed or stopped.
    item->setText(bad ? QStringLiteral("✗  %1  %2: %3").arg(at, stepLabel(step), text)
                      : QStringLiteral("✓  %1  %2").arg(at, stepLabel(step)));
    item->setToolTip(text);
    item->setForeground(bad ? QColor(0xc0, 0x1c, 0x28) : palette().color(QPalette::Text));
    updateButtons();
}

void ResetWizard::showFinished(std::uint64_t requestId, const ResetOutcomePtr &outcome,
                               const QString &error)
{
    if (requestId != m_executeRequest) {
        return;
    }
    m_running = false;
    m_outcome = outcome;
    m_error = error;
    // Steps that never came: the reset stopped before them.
    for (int i = 0; i < m_steps->count(); ++i) {
        auto *item = m_steps->item(i);
        if (item->text().startsWith(QStringLiteral("○"))) {
            item->setText(QStringLiteral("–  ") + stepLabel(static_cast<ops::ResetStep>(
                                                      item->data(Qt::UserRole).toInt()))
                          + tr(" (not done)"));
            item->setForeground(QColor(0x6b, 0x6b, 0x6b));
        }
    }
    if (!error.isEmpty()) {
        m_runError->setText(
            QStringLiteral("<span style='color:#c01c28'><b>%1</b> %2</span>")
                .arg(tr("The reset was not applied:"), error.toHtmlEscaped()));
    } else if (outcome && outcome->cancelled) {
        m_runError->setText(tr("Cancelled before the offsets moved: nothing changed."));
    } else if (outcome) {
        QString done = tr("<b>Done.</b> Every partition moved (audit record %1).")
                           .arg(outcome->auditId);
        if (outcome->plan.rebuild) {
            done += tr(" %1 processed event(s) forgotten for the rebuild.")
                        .arg(outcome->forgottenEvents);
        }
        if (!outcome->undoPath.empty()) {
            done += tr("<br>The previous offsets are saved in %1: Undo in the history puts "
                       "them back.")
                        .arg(QString::fromStdString(outcome->undoPath).toHtmlEscaped());
        }
        done += tr("<br>The catch-up shows on the page's lag chart.");
        m_runError->setText(done);
    }
    updateButtons();
    Q_EMIT resetFinished();
}

void ResetWizard::setStage(Stage stage)
{
    m_stages->setCurrentIndex(static_cast<int>(stage));
    updateButtons();
}

ResetWizard::Stage ResetWizard::stage() const
{
    return static_cast<Stage>(m_stages->currentIndex());
}

void ResetWizard::updateButtons()
{
    const Stage s = stage();
    m_back->setVisible(s == Stage::Preview && !m_undo);
    m_next->setVisible(s == Stage::Choose);
    m_execute->setVisible(s == Stage::Preview);
    m_execute->setEnabled(s == Stage::Preview && m_plan && !m_plan->partitions.empty()
                          && m_confirm->text() == m_group);
    m_execute->setToolTip(m_execute->isEnabled()
                              ? tr("Moves every partition of the preview, or none")
                              : tr("Type the group's name to enable"));
    m_cancel->setVisible(s == Stage::Run);
    m_cancel->setEnabled(m_running && !m_applying && m_cancel->text() == tr("Cancel reset"));
    if (!m_running) {
        m_cancel->setText(tr("Cancel reset"));
        m_cancel->setEnabled(false);
    }
    m_close->setEnabled(!m_running);
}

void ResetWizard::reject()
{
    if (!m_running) {
        QDialog::reject();
    }
}

QStringList ResetWizard::shownSteps() const
{
    QStringList steps;
    for (int i = 0; i < m_steps->count(); ++i) {
        steps << m_steps->item(i)->text();
    }
    return steps;
}

QString ResetWizard::errorText() const
{
    return m_error;
}

QString ResetWizard::summaryText() const
{
    return m_summary->text();
}

} // namespace logdeck::ui
