#include "views/fleet_page.h"

#include "bridge/group_control.h"
#include "models/fleet_models.h"
#include "views/page_widgets.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace logdeck::ui {

FleetPage::FleetPage(GroupControl *control, QWidget *parent)
    : QWidget(parent)
    , m_control(control)
    , m_fleet(new FleetModel(this))
    , m_fleetView(makeRowTable(m_fleet, this))
    , m_groups(new EngineGroupModel(this))
    , m_groupView(makeRowTable(m_groups, this))
    , m_summary(new QLabel(this))
    , m_groupTitle(new QLabel(this))
    , m_steer(new QPushButton(this))
    , m_steerOutcome(new QLabel(this))
    , m_steerNote(new QLabel(this))
{
    setObjectName(QStringLiteral("fleetPage"));
    for (QTableView *view : {m_fleetView, m_groupView}) {
        view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    }
    m_fleetView->setObjectName(QStringLiteral("fleetEngines"));
    m_groupView->setObjectName(QStringLiteral("fleetGroups"));
    m_summary->setObjectName(QStringLiteral("fleetSummary"));
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setWordWrap(true);
    m_groupTitle->setTextFormat(Qt::RichText);
    m_steer->setObjectName(QStringLiteral("fleetSteer"));
    m_steer->hide();
    m_steerOutcome->setObjectName(QStringLiteral("fleetSteerOutcome"));
    m_steerOutcome->setTextFormat(Qt::RichText);
    m_steerOutcome->setWordWrap(true);
    m_steerNote->setTextFormat(Qt::RichText);
    m_steerNote->setWordWrap(true);
    m_steerNote->setText(
        tr("<span style='color:#6b6b6b'>Pause and resume act on the selected engine only, "
           "through logdeck.control addressed to it: the group keeps running on the other "
           "engines (the Lag page pauses it everywhere). Audited.</span>"));
    m_steerNote->hide();

    auto *title = new QLabel(tr("<span style='font-size:large;font-weight:600'>Fleet</span>"),
                             this);
    auto *top = new QWidget(this);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    auto *titleRow = new QHBoxLayout;
    titleRow->addWidget(title);
    titleRow->addSpacing(12);
    titleRow->addWidget(m_summary, 1);
    topLayout->addLayout(titleRow);
    topLayout->addWidget(m_fleetView, 1);

    auto *bottom = new QWidget(this);
    auto *bottomLayout = new QVBoxLayout(bottom);
    bottomLayout->setContentsMargins(0, 6, 0, 0);
    auto *steerRow = new QHBoxLayout;
    steerRow->addWidget(m_groupTitle);
    steerRow->addStretch();
    steerRow->addWidget(m_steerOutcome, 1);
    steerRow->addWidget(m_steer);
    bottomLayout->addLayout(steerRow);
    bottomLayout->addWidget(m_groupView, 1);
    bottomLayout->addWidget(m_steerNote);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(top);
    splitter->addWidget(bottom);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 12, 16, 12);
    layout->addWidget(splitter, 1);

    connect(m_fleetView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &FleetPage::engineSelected);
    connect(m_groupView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &FleetPage::updateSteerButton);
    connect(m_steer, &QPushButton::clicked, this, [this] {
        const ops::HostedGroupStatus *group = m_groups->groupAt(m_groupView->currentIndex().row());
        if (group == nullptr) {
            return;
        }
        const bool pause = group->state != "paused";
        m_steerOutcome->setText(pause ? tr("pausing…") : tr("resuming…"));
        m_steering = true;
        m_steer->setEnabled(false);
        m_steerRequest = m_control->steerGroupOn(selectedInstance(),
                                                 QString::fromStdString(group->group), pause);
    });
    connect(m_control, &GroupControl::finished, this,
            [this](std::uint64_t id, const QString &description, const QString &error) {
                if (id != m_steerRequest) {
                    return;
                }
                m_steerOutcome->setText(
                    error.isEmpty()
                        ? tr("<span style='color:#1b7f3b'>%1: done</span>")
                              .arg(description.toHtmlEscaped())
                        : tr("<span style='color:#c01c28'>%1 failed: %2</span>")
                              .arg(description.toHtmlEscaped(), error.toHtmlEscaped()));
                m_steering = false;
                updateSteerButton();
            });
    engineSelected();
}

void FleetPage::showSnapshot(const ConsoleSnapshotPtr &snapshot)
{
    const std::int64_t now =
        snapshot->atMs > 0 ? snapshot->atMs : QDateTime::currentMSecsSinceEpoch();
    const QString selected = selectedInstance();
    const QString group = selectedGroup();
    // Every engine's latest heartbeat, silent and stopped ones included; a feed that only
    // knows the live ones still shows those.
    m_fleet->setEngines(snapshot->heartbeats.empty() ? snapshot->engines : snapshot->heartbeats,
                        now);
    m_inProcessInstance = QString::fromStdString(snapshot->inProcessInstance);
    int alive = 0;
    int silent = 0;
    int stopped = 0;
    for (int row = 0; row < m_fleet->rowCount(); ++row) {
        switch (m_fleet->livenessAt(row)) {
        case ops::EngineLiveness::Alive:
            ++alive;
            break;
        case ops::EngineLiveness::Silent:
            ++silent;
            break;
        case ops::EngineLiveness::Stopped:
            ++stopped;
            break;
        }
    }
    QString summary;
    if (m_fleet->rowCount() == 0) {
        summary = snapshot->enginesError.isEmpty()
            ? tr("No Logdeck engine has reported on logdeck.status yet.")
            : tr("<span style='color:#c01c28'>logdeck.status cannot be read: %1</span>")
                  .arg(snapshot->enginesError.toHtmlEscaped());
    } else {
        summary = (alive == 1 ? tr("<b>1</b> engine alive") : tr("<b>%1</b> engines alive").arg(alive));
        if (silent > 0) {
            summary += QStringLiteral(" · <span style='color:#c01c28'><b>%1</b></span>")
                           .arg(silent == 1 ? tr("1 silent (no heartbeat for over %1 s)")
                                                  .arg(ops::kHeartbeatFreshness.count() / 1000)
                                            : tr("%1 silent (no heartbeat for over %2 s)")
                                                  .arg(silent)
                                                  .arg(ops::kHeartbeatFreshness.count() / 1000));
        }
        if (stopped > 0) {
            summary += QStringLiteral(" · <span style='color:#6b6b6b'>%1</span>")
                           .arg(stopped == 1 ? tr("1 stopped") : tr("%1 stopped").arg(stopped));
        }
        summary += tr(" <span style='color:#6b6b6b'>— from their heartbeats on "
                      "logdeck.status</span>");
        if (!snapshot->enginesError.isEmpty()) {
            summary += QStringLiteral(" · <span style='color:#c01c28'>%1</span>")
                           .arg(tr("last read failed: %1").arg(snapshot->enginesError).toHtmlEscaped());
        }
    }
    m_summary->setText(summary);
    if (!selected.isEmpty() && m_fleet->rowOf(selected) >= 0) {
        selectEngine(selected);
    } else if (m_fleet->rowCount() > 0 && !m_fleetView->currentIndex().isValid()) {
        selectEngine(m_inProcessInstance.isEmpty() || m_fleet->rowOf(m_inProcessInstance) < 0
                         ? QString::fromStdString(m_fleet->engineAt(0)->instance)
                         : m_inProcessInstance);
    }
    engineSelected();
    if (!group.isEmpty()) {
        selectGroup(group);
    }
}

void FleetPage::selectEngine(const QString &instance)
{
    const int row = m_fleet->rowOf(instance);
    if (row >= 0 && m_fleetView->currentIndex().row() != row) {
        m_fleetView->setCurrentIndex(m_fleet->index(row, 0));
    }
}

void FleetPage::selectGroup(const QString &group)
{
    const int row = m_groups->rowOf(group);
    if (row >= 0 && m_groupView->currentIndex().row() != row) {
        m_groupView->setCurrentIndex(m_groups->index(row, 0));
    }
}

QString FleetPage::selectedInstance() const
{
    const ops::EngineHeartbeat *engine = m_fleet->engineAt(m_fleetView->currentIndex().row());
    return engine != nullptr ? QString::fromStdString(engine->instance) : QString();
}

QString FleetPage::selectedGroup() const
{
    const ops::HostedGroupStatus *group = m_groups->groupAt(m_groupView->currentIndex().row());
    return group != nullptr ? QString::fromStdString(group->group) : QString();
}

void FleetPage::engineSelected()
{
    const int row = m_fleetView->currentIndex().row();
    const ops::EngineHeartbeat *engine = m_fleet->engineAt(row);
    const QString group = selectedGroup();
    m_groups->setEngine(engine);
    if (engine == nullptr) {
        m_groupTitle->setText(tr("<b>Groups</b> <span style='color:#6b6b6b'>— select an "
                                 "engine</span>"));
    } else {
        const bool here = QString::fromStdString(engine->instance) == m_inProcessInstance;
        m_groupTitle->setText(
            tr("<b>Groups on %1</b>%2")
                .arg(QString::fromStdString(engine->instance).toHtmlEscaped(),
                     here ? tr(" <span style='color:#6b6b6b'>(the engine in this console)</span>")
                          : QString()));
        if (!group.isEmpty()) {
            selectGroup(group);
        }
        if (!m_groupView->currentIndex().isValid() && m_groups->rowCount() > 0) {
            m_groupView->setCurrentIndex(m_groups->index(0, 0));
        }
    }
    updateSteerButton();
}

void FleetPage::updateSteerButton()
{
    const int engineRow = m_fleetView->currentIndex().row();
    const ops::HostedGroupStatus *group = m_groups->groupAt(m_groupView->currentIndex().row());
    const bool alive = m_fleet->engineAt(engineRow) != nullptr
        && m_fleet->livenessAt(engineRow) == ops::EngineLiveness::Alive;
    const bool steerable =
        group != nullptr && (group->state == "running" || group->state == "paused");
    m_steer->setVisible(m_mutationsAllowed && group != nullptr);
    m_steerNote->setVisible(m_mutationsAllowed);
    if (group == nullptr) {
        return;
    }
    const QString name = QString::fromStdString(group->group);
    m_steer->setText(group->state == "paused" ? tr("Resume %1 on this engine").arg(name)
                                              : tr("Pause %1 on this engine").arg(name));
    m_steer->setEnabled(!m_steering && alive && steerable);
    m_steer->setToolTip(!alive ? tr("The engine is not alive: it cannot take commands.")
                        : !steerable ? tr("The group is %1 on this engine.")
                                           .arg(QString::fromStdString(group->state))
                                     : QString());
}

void FleetPage::setMutationsAllowed(bool allowed)
{
    m_mutationsAllowed = allowed;
    updateSteerButton();
}

bool FleetPage::mutationsVisible() const
{
    return m_mutationsAllowed && !m_steer->isHidden();
}

QString FleetPage::summaryText() const
{
    return m_summary->text();
}

QString FleetPage::steerOutcomeText() const
{
    return m_steerOutcome->text();
}

} // namespace logdeck::ui
