#include "dialogs/redrive_dialog.h"

#include "widgets/figures.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTextDocumentFragment>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <functional>

namespace logdeck::ui {

namespace {

constexpr int kShownPerSection = 12;

QString qs(const std::string &text)
{
    return QString::fromStdString(text);
}

QLabel *errorLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setWordWrap(true);
    label->setStyleSheet(QStringLiteral("color: #c01c28;"));
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->hide();
    return label;
}

void showError(QLabel *label, const QString &text)
{
    label->setText(text);
    label->setVisible(!text.isEmpty());
}

/// "100/s", "2,500/s", "0.5/s": the exact rate, not a rounded figure.
QString rateText(double perSecond)
{
    if (perSecond == std::floor(perSecond) && perSecond < 1e9) {
        return QStringLiteral("%1/s").arg(formatCount(static_cast<qint64>(perSecond)));
    }
    return QStringLiteral("%1/s").arg(perSecond, 0, 'g', 4);
}

QString messages(std::int64_t count)
{
    return count == 1 ? RedriveDialog::tr("1 message")
                      : RedriveDialog::tr("%1 messages").arg(formatCount(count));
}

/// Planning errors about the target go beside the target field.
bool concernsTarget(const QString &error)
{
    return error.contains(QLatin1String("target topic"))
        || error.contains(QLatin1String("retry topic"))
        || error.contains(QLatin1String("original topic"))
        || error.contains(QLatin1String("--to"));
}

QString classesOf(const std::map<std::string, std::int64_t> &byClass)
{
    QStringList names;
    for (const auto &[name, count] : byClass) {
        names << QStringLiteral("%1 × %2").arg(qs(name), formatCount(count));
    }
    return names.join(QStringLiteral(", "));
}

} // namespace

RedriveDialog::RedriveDialog(RedriveService *service, const ops::RedriveSpec &selection,
                             const QString &selectionText, QWidget *parent)
    : QDialog(parent)
    , m_service(service)
    , m_selection(selection)
    , m_target(new QComboBox(this))
    , m_topic(new QLineEdit(this))
    , m_targetError(errorLabel(this))
    , m_rate(new QLineEdit(this))
    , m_rateError(errorLabel(this))
    , m_force(new QCheckBox(tr("Also redrive dead letters that were redriven before"), this))
    , m_planStatus(new QLabel(this))
    , m_warning(new QLabel(this))
    , m_breakdown(new QTreeWidget(this))
    , m_planError(errorLabel(this))
    , m_startError(errorLabel(this))
    , m_start(new QPushButton(this))
    , m_debounce(new QTimer(this))
{
    setWindowTitle(tr("Redrive dead letters"));
    setObjectName(QStringLiteral("redriveDialog"));

    auto *layout = new QVBoxLayout(this);
    auto *heading = new QLabel(
        tr("<b>Redrive %1</b> from <code>%2</code>")
            .arg(selectionText.toHtmlEscaped(), qs(selection.filter.topic).toHtmlEscaped()),
        this);
    heading->setWordWrap(true);
    layout->addWidget(heading);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_target->addItem(tr("Retry topic of the failing group"));
    m_target->addItem(tr("Original topic (every group reading it sees the event again)"));
    m_target->addItem(tr("Another topic:"));
    m_topic->setPlaceholderText(tr("topic name"));
    auto *targetRow = new QHBoxLayout;
    targetRow->addWidget(m_target, 2);
    targetRow->addWidget(m_topic, 1);
    auto *targetBox = new QVBoxLayout;
    targetBox->addLayout(targetRow);
    targetBox->addWidget(m_targetError);
    form->addRow(tr("Send to:"), targetBox);

    auto *rateRow = new QHBoxLayout;
    m_rate->setMaximumWidth(100);
    m_rate->setAlignment(Qt::AlignRight);
    rateRow->addWidget(m_rate);
    rateRow->addWidget(new QLabel(tr("messages per second (1 to %1)")
                                      .arg(formatCount(
                                          static_cast<qint64>(ops::RedriveSpec::kMaxRate))),
                                  this));
    rateRow->addStretch();
    auto *rateBox = new QVBoxLayout;
    rateBox->addLayout(rateRow);
    rateBox->addWidget(m_rateError);
    form->addRow(tr("Rate:"), rateBox);
    form->addRow(QString(), m_force);
    layout->addLayout(form);

    auto *planTitle = new QLabel(tr("<b>Dry run</b>"), this);
    layout->addWidget(planTitle);
    m_planStatus->setWordWrap(true);
    m_planStatus->setTextFormat(Qt::RichText);
    layout->addWidget(m_planStatus);
    m_warning->setWordWrap(true);
    m_warning->setObjectName(QStringLiteral("permanentWarning"));
    m_warning->hide();
    layout->addWidget(m_warning);
    layout->addWidget(m_planError);
    m_breakdown->setColumnCount(2);
    m_breakdown->setHeaderLabels({tr("Moves"), tr("Messages")});
    m_breakdown->setRootIsDecorated(true);
    m_breakdown->setUniformRowHeights(true);
    m_breakdown->header()->setStretchLastSection(false);
    m_breakdown->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_breakdown->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_breakdown->setMinimumHeight(180);
    layout->addWidget(m_breakdown, 1);

    layout->addWidget(m_startError);
    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(QDialogButtonBox::Cancel);
    buttons->addButton(m_start, QDialogButtonBox::AcceptRole);
    m_start->setDefault(true);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_start, &QPushButton::clicked, this, &RedriveDialog::startRedrive);
    layout->addWidget(buttons);

    // The selection's own target, rate and force are the fields' first values.
    switch (selection.target.kind) {
    case ops::RedriveTarget::Kind::Retry:
        m_target->setCurrentIndex(RetryTopic);
        break;
    case ops::RedriveTarget::Kind::Original:
        m_target->setCurrentIndex(OriginalTopic);
        break;
    case ops::RedriveTarget::Kind::Topic:
        m_target->setCurrentIndex(NamedTopic);
        m_topic->setText(qs(selection.target.topic));
        break;
    }
    m_rate->setText(QString::number(selection.ratePerSecond, 'g', 10));
    m_force->setChecked(selection.force);
    m_topic->setVisible(m_target->currentIndex() == NamedTopic);

    m_debounce->setSingleShot(true);
    m_debounce->setInterval(kDebounceMs);
    connect(m_debounce, &QTimer::timeout, this, &RedriveDialog::requestPlan);
    connect(m_target, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_topic->setVisible(index == NamedTopic);
        if (index == NamedTopic) {
            m_topic->setFocus();
        }
        inputsChanged();
    });
    connect(m_topic, &QLineEdit::textChanged, this, &RedriveDialog::inputsChanged);
    connect(m_rate, &QLineEdit::textChanged, this, &RedriveDialog::inputsChanged);
    connect(m_force, &QCheckBox::toggled, this, &RedriveDialog::inputsChanged);
    connect(m_service, &RedriveService::planned, this, &RedriveDialog::showPlan);
    connect(m_service, &RedriveService::started, this, &RedriveDialog::showStarted);

    resize(640, 520);
    inputsChanged();
}

ops::RedriveSpec RedriveDialog::spec() const
{
    ops::RedriveSpec spec = m_selection;
    switch (m_target->currentIndex()) {
    case RetryTopic:
        spec.target = {ops::RedriveTarget::Kind::Retry, {}};
        break;
    case OriginalTopic:
        spec.target = {ops::RedriveTarget::Kind::Original, {}};
        break;
    default:
        spec.target = {ops::RedriveTarget::Kind::Topic, m_topic->text().trimmed().toStdString()};
        break;
    }
    bool ok = false;
    const double value = m_rate->text().trimmed().toDouble(&ok);
    spec.ratePerSecond = ok ? value : 0;
    spec.force = m_force->isChecked();
    return spec;
}

std::optional<double> RedriveDialog::rate(QString *problem) const
{
    bool ok = false;
    const double value = m_rate->text().trimmed().toDouble(&ok);
    if (ok && value >= 1 && value <= ops::RedriveSpec::kMaxRate) {
        return value;
    }
    if (problem != nullptr) {
        *problem = tr("The rate must be a number of messages per second from 1 to %1.")
                       .arg(formatCount(static_cast<qint64>(ops::RedriveSpec::kMaxRate)));
    }
    return std::nullopt;
}

void RedriveDialog::inputsChanged()
{
    m_plan.reset();
    m_planRequest = 0;
    showError(m_startError, {});
    QString problem;
    showError(m_rateError, rate(&problem) ? QString() : problem);
    showError(m_targetError,
              m_target->currentIndex() == NamedTopic && m_topic->text().trimmed().isEmpty()
                  ? tr("Name the topic to send the dead letters to.")
                  : QString());
    showError(m_planError, {});
    m_warning->hide();
    m_breakdown->clear();
    if (!m_rateError->isHidden() || !m_targetError->isHidden()) {
        m_debounce->stop();
        m_planStatus->setText(tr("<i>No plan until the fields above are right.</i>"));
    } else {
        m_planStatus->setText(tr("<i>Planning…</i>"));
        m_debounce->start();
    }
    updateStartButton();
}

void RedriveDialog::requestPlan()
{
    if (!rate() || !m_targetError->isHidden()) {
        return;
    }
    m_planRequest = m_service->plan(spec());
}

void RedriveDialog::showPlan(std::uint64_t requestId, const RedrivePlanSummary &plan,
                             const QString &error)
{
    if (requestId == 0 || requestId != m_planRequest) {
        return; // an answer for inputs that have changed since
    }
    m_planRequest = 0;
    if (!error.isEmpty()) {
        m_planStatus->setText(tr("<i>No plan.</i>"));
        if (concernsTarget(error)) {
            showError(m_targetError, error);
        } else {
            showError(m_planError, error);
        }
        updateStartButton();
        return;
    }
    m_plan = plan;
    QString status;
    if (plan.toMove == 0) {
        status = tr("<b>Nothing to move</b>: all %1 selected were redriven before. Tick the box "
                    "above to move them again.")
                     .arg(formatCount(plan.toSkip));
    } else {
        status = tr("<b>%1 to move</b>").arg(formatCount(plan.toMove));
        if (plan.toSkip > 0) {
            status += tr(", %1 skipped: redriven before (tick the box above to move them "
                         "again)")
                          .arg(formatCount(plan.toSkip));
        }
        const double seconds = static_cast<double>(plan.toMove) / plan.spec.ratePerSecond;
        status += tr(". About %1 at %2.")
                      .arg(formatSeconds(seconds).toHtmlEscaped(),
                           rateText(plan.spec.ratePerSecond).toHtmlEscaped());
    }
    m_planStatus->setText(status);

    if (plan.permanent > 0) {
        const QString classes = classesOf(plan.permanentByErrorClass).toHtmlEscaped();
        if (plan.allPermanent()) {
            m_warning->setText(
                tr("<b>Every one of the %1 to move failed permanently</b> (%2). Its failing "
                   "group gives up on such an event at once: they will be dead-lettered "
                   "again unless the cause has been fixed.")
                    .arg(formatCount(plan.toMove), classes));
            m_warning->setStyleSheet(QStringLiteral(
                "QLabel { background: #fbe3e4; color: #8b1a1a; border: 1px solid #c01c28; "
                "border-radius: 3px; padding: 6px; }"));
        } else {
            m_warning->setText(tr("%1 of the %2 to move failed permanently (%3) and will most "
                                  "likely be dead-lettered again.")
                                   .arg(formatCount(plan.permanent), formatCount(plan.toMove),
                                        classes));
            m_warning->setStyleSheet(QStringLiteral(
                "QLabel { background: #fdf0dc; color: #6b4100; border: 1px solid #b26a00; "
                "border-radius: 3px; padding: 6px; }"));
        }
        m_warning->show();
    }

    m_breakdown->clear();
    auto section = [&](const QString &title, const std::map<std::string, std::int64_t> &counts,
                       bool markPermanent) {
        auto *top = new QTreeWidgetItem(m_breakdown, {title, QString()});
        QFont bold = top->font(0);
        bold.setBold(true);
        top->setFont(0, bold);
        // Largest first; the rest summed up.
        std::vector<std::pair<std::string, std::int64_t>> sorted(counts.begin(), counts.end());
        std::ranges::stable_sort(sorted, std::greater<>(),
                                 &std::pair<std::string, std::int64_t>::second);
        std::int64_t rest = 0;
        int restNames = 0;
        for (std::size_t i = 0; i < sorted.size(); ++i) {
            if (i >= kShownPerSection) {
                rest += sorted[i].second;
                ++restNames;
                continue;
            }
            auto *child =
                new QTreeWidgetItem(top, {qs(sorted[i].first), formatCount(sorted[i].second)});
            child->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
            if (markPermanent && plan.permanentByErrorClass.contains(sorted[i].first)) {
                child->setText(0, tr("%1 (permanent)").arg(qs(sorted[i].first)));
                child->setForeground(0, QColor(0xc0, 0x1c, 0x28));
            }
        }
        if (restNames > 0) {
            auto *child = new QTreeWidgetItem(
                top, {tr("… %1 more").arg(restNames), formatCount(rest)});
            child->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        }
        top->setExpanded(true);
    };
    if (plan.toMove > 0) {
        section(tr("To topic"), plan.byTarget, false);
        section(tr("By failing group"), plan.byGroup, false);
        section(tr("By tenant"), plan.byTenant, false);
        section(tr("By error class"), plan.byErrorClass, true);
    }
    updateStartButton();
}

void RedriveDialog::updateStartButton()
{
    const auto shownRate = rate();
    if (m_plan && m_plan->toMove > 0 && shownRate) {
        m_start->setText(
            tr("Redrive %1 at %2").arg(messages(m_plan->toMove), rateText(*shownRate)));
    } else {
        m_start->setText(tr("Redrive"));
    }
    m_start->setEnabled(m_plan && m_plan->toMove > 0 && shownRate && m_startRequest == 0);
}

void RedriveDialog::startRedrive()
{
    if (!m_plan || m_plan->toMove == 0 || m_startRequest != 0) {
        return;
    }
    m_startRequest = m_service->start(spec());
    m_start->setText(tr("Starting…"));
    updateStartButton();
}

void RedriveDialog::showStarted(std::uint64_t requestId, const QString &taskId,
                                const QString &error)
{
    if (requestId == 0 || requestId != m_startRequest) {
        return;
    }
    m_startRequest = 0;
    if (!error.isEmpty()) {
        showError(m_startError, tr("Nothing was redriven: %1").arg(error));
        updateStartButton();
        return;
    }
    Q_EMIT taskStarted(taskId);
    accept();
}

QString RedriveDialog::planText() const
{
    return QTextDocumentFragment::fromHtml(m_planStatus->text()).toPlainText();
}

QString RedriveDialog::warningText() const
{
    if (m_warning->isHidden()) {
        return {};
    }
    return QTextDocumentFragment::fromHtml(m_warning->text()).toPlainText();
}

QString RedriveDialog::targetError() const
{
    return m_targetError->isHidden() ? QString() : m_targetError->text();
}

QString RedriveDialog::rateError() const
{
    return m_rateError->isHidden() ? QString() : m_rateError->text();
}

QString RedriveDialog::planError() const
{
    return m_planError->isHidden() ? QString() : m_planError->text();
}

QString redriveSelectionText(const ops::RedriveSpec &selection)
{
    const ops::DeadLetterFilter &f = selection.filter;
    QStringList criteria;
    auto add = [&](const QString &name, const std::string &value) {
        if (!value.empty()) {
            criteria << QStringLiteral("%1=%2").arg(name, qs(value));
        }
    };
    add(RedriveDialog::tr("group"), f.group);
    add(RedriveDialog::tr("tenant"), f.tenant);
    add(RedriveDialog::tr("error class"), f.errorClass);
    add(RedriveDialog::tr("original topic"), f.originalTopic);
    if (!f.text.empty()) {
        criteria << RedriveDialog::tr("text \"%1\"").arg(qs(f.text));
    }
    auto time = [](std::int64_t ms) {
        return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    };
    if (f.sinceMs) {
        criteria << RedriveDialog::tr("since %1").arg(time(*f.sinceMs));
    }
    if (f.untilMs) {
        criteria << RedriveDialog::tr("until %1").arg(time(*f.untilMs));
    }
    const QString narrowed = criteria.join(QStringLiteral(", "));
    if (!selection.ids.empty()) {
        const QString ids = selection.ids.size() == 1
            ? RedriveDialog::tr("1 selected dead letter")
            : RedriveDialog::tr("%1 selected dead letters")
                  .arg(formatCount(static_cast<qint64>(selection.ids.size())));
        return narrowed.isEmpty() ? ids : RedriveDialog::tr("%1 (%2)").arg(ids, narrowed);
    }
    if (!narrowed.isEmpty()) {
        return RedriveDialog::tr("all matching: %1").arg(narrowed);
    }
    return RedriveDialog::tr("every dead letter");
}

RedriveDialog *openRedriveDialog(QWidget *parent, RedriveService *service,
                                 const ops::RedriveSpec &selection, const QString &selectionText)
{
    auto *dialog = new RedriveDialog(
        service, selection,
        selectionText.isEmpty() ? redriveSelectionText(selection) : selectionText, parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
    return dialog;
}

} // namespace logdeck::ui
