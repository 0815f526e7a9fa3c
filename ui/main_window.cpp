#include "main_window.h"

#include "bridge/console_session.h"
#include "dialogs/connect_dialog.h"
#include "dialogs/redrive_dialog.h"
#include "models/lag_models.h"
#include "views/audit_page.h"
#include "views/demo_controls.h"
#include "views/fleet_page.h"
#include "views/dlq_page.h"
#include "views/redrive_tasks_panel.h"
#include "views/lag_page.h"
#include "views/replay_page.h"
#include "views/overview_page.h"
#include "views/tenants_page.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

#include <algorithm>

namespace logdeck::ui {

namespace {

struct PageInfo
{
    MainWindow::Page page;
    const char *name;
    const char *title;
    /// For the pages still to come: what they will show, and the command that does it today.
    const char *comingText;
};

constexpr PageInfo kPages[] = {
    {MainWindow::Page::Overview, "overview", QT_TRANSLATE_NOOP("MainWindow", "Overview"), nullptr},
    {MainWindow::Page::Lag, "lag", QT_TRANSLATE_NOOP("MainWindow", "Lag"), nullptr},
    {MainWindow::Page::DeadLetters, "dlq", QT_TRANSLATE_NOOP("MainWindow", "Dead letters"),
     nullptr},
    {MainWindow::Page::Replay, "replay", QT_TRANSLATE_NOOP("MainWindow", "Replay"), nullptr},
    {MainWindow::Page::Tenants, "tenants", QT_TRANSLATE_NOOP("MainWindow", "Tenants"), nullptr},
    {MainWindow::Page::Fleet, "fleet", QT_TRANSLATE_NOOP("MainWindow", "Fleet"), nullptr},
    {MainWindow::Page::Audit, "audit", QT_TRANSLATE_NOOP("MainWindow", "Audit"), nullptr},
};

QLabel *statusField(QWidget *parent, const QString &name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(name);
    label->setTextFormat(Qt::RichText);
    label->setContentsMargins(6, 0, 6, 0);
    return label;
}

QString dot(const QString &colour)
{
    return QStringLiteral("<span style='color:%1'>●</span> ").arg(colour);
}

const QString kGreen = QStringLiteral("#1b7f3b");
const QString kAmber = QStringLiteral("#b26a00");
const QString kRed = QStringLiteral("#c01c28");
const QString kGrey = QStringLiteral("#6b6b6b");

} // namespace

QString MainWindow::pageName(Page page)
{
    for (const auto &info : kPages) {
        if (info.page == page) {
            return QString::fromLatin1(info.name);
        }
    }
    return {};
}

std::optional<MainWindow::Page> MainWindow::pageFromName(const QString &name)
{
    for (const auto &info : kPages) {
        if (name == QLatin1String(info.name)) {
            return info.page;
        }
    }
    return std::nullopt;
}

MainWindow::MainWindow(ConsoleSession *session, QWidget *parent)
    : QMainWindow(parent)
    , m_session(session)
    , m_navigation(new QListWidget(this))
    , m_pages(new QStackedWidget(this))
    , m_welcome(nullptr)
    , m_welcomeText(new QLabel(this))
    , m_banner(new QLabel(this))
    , m_overview(new OverviewPage(this))
    , m_lag(new LagPage(session->feed(), session->control(), this))
    , m_replay(new ReplayPage(session->feed(), this))
    , m_dlq(new DlqPage(session, this))
    , m_redriveTasks(new RedriveTasksPanel(session->redrive(), this))
    , m_demo(new DemoControls(session->control(), this))
    , m_tenants(new TenantsPage(this))
    , m_fleet(new FleetPage(session->control(), this))
    , m_audit(new AuditPage(this))
    , m_demoDock(new QDockWidget(tr("Demo controls"), this))
    , m_modeField(statusField(this, QStringLiteral("statusMode")))
    , m_clusterField(statusField(this, QStringLiteral("statusCluster")))
    , m_brokersField(statusField(this, QStringLiteral("statusBrokers")))
    , m_healthField(statusField(this, QStringLiteral("statusHealth")))
    , m_spillField(statusField(this, QStringLiteral("statusSpill")))
{
    setWindowTitle(tr("Logdeck"));
    setWindowIcon(QIcon(QStringLiteral(":/logdeck/logdeck.png")));
    resize(1280, 800);

    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setFixedWidth(150);
    m_navigation->setFrameShape(QFrame::NoFrame);
    m_navigation->setSpacing(2);
    m_navigation->setStyleSheet(
        QStringLiteral("QListWidget { background: palette(window); padding-top: 8px; }"
                       "QListWidget::item { padding: 7px 12px; border-radius: 4px; }"
                       "QListWidget::item:selected { background: palette(highlight); "
                       "color: palette(highlighted-text); }"));
    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::RichText);
    m_banner->hide();

    m_welcome = createWelcome();
    m_pages->addWidget(m_welcome);
    for (const auto &info : kPages) {
        QWidget *page = nullptr;
        if (info.page == Page::Overview) {
            page = m_overview;
        } else if (info.page == Page::Lag) {
            page = m_lag;
        } else if (info.page == Page::Replay) {
            page = m_replay;
        } else if (info.page == Page::Tenants) {
            page = m_tenants;
        } else if (info.page == Page::Fleet) {
            page = m_fleet;
        } else if (info.page == Page::Audit) {
            page = m_audit;
        } else if (info.page == Page::DeadLetters) {
            // The redrive tasks under the dead letters they move.
            auto *split = new QSplitter(Qt::Vertical, this);
            split->setObjectName(QStringLiteral("dlqSplit"));
            split->addWidget(m_dlq);
            split->addWidget(m_redriveTasks);
            split->setStretchFactor(0, 3);
            split->setStretchFactor(1, 1);
            split->setSizes({560, 180}); // the dead letters first; the tasks below, resizable
            // Without a task the panel is its title line and the dead letters take the
            // rest, with no handle to drag between them; the first task brings its tables
            // and the handle back at a quarter of the page.
            const int handleWidth = split->handleWidth();
            split->setHandleWidth(m_redriveTasks->isCollapsed() ? 0 : handleWidth);
            connect(m_redriveTasks, &RedriveTasksPanel::collapsedChanged, split,
                    [split, handleWidth](bool collapsed) {
                        split->setHandleWidth(collapsed ? 0 : handleWidth);
                        if (collapsed) {
                            return;
                        }
                        const int total = split->height();
                        const int tasks = std::max(
                            total / 4, split->widget(1)->minimumSizeHint().height());
                        split->setSizes({total - tasks, tasks});
                    });
            page = split;
        } else {
            auto *coming = new QLabel(
                QStringLiteral("<h2>%1</h2><p>%2</p>")
                    .arg(tr(info.title), tr(info.comingText)),
                this);
            coming->setObjectName(QStringLiteral("coming-") + QString::fromLatin1(info.name));
            coming->setAlignment(Qt::AlignTop | Qt::AlignLeft);
            coming->setWordWrap(true);
            coming->setTextFormat(Qt::RichText);
            coming->setMargin(24);
            coming->setMaximumWidth(720);
            page = coming;
        }
        addPage(info.page, tr(info.title), page);
    }

    auto *central = new QWidget(this);
    auto *centralLayout = new QHBoxLayout(central);
    centralLayout->setContentsMargins(0, 0, 0, 0);
    centralLayout->setSpacing(0);
    centralLayout->addWidget(m_navigation);
    auto *right = new QVBoxLayout;
    right->setContentsMargins(0, 0, 0, 0);
    right->addWidget(m_banner);
    right->addWidget(m_pages, 1);
    centralLayout->addLayout(right, 1);
    setCentralWidget(central);

    m_demoDock->setObjectName(QStringLiteral("demoDock"));
    m_demoDock->setWidget(m_demo);
    m_demoDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::RightDockWidgetArea, m_demoDock);
    m_demoDock->hide();

    for (QLabel *field : {m_modeField, m_clusterField, m_brokersField, m_healthField, m_spillField}) {
        statusBar()->addPermanentWidget(field);
    }
    m_modeField->setText(dot(kGrey) + tr("Not connected"));
    createMenus();

    m_navigation->setEnabled(false);
    m_pages->setCurrentWidget(m_welcome);
    connect(m_navigation, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && m_connected) {
            m_pages->setCurrentIndex(row + 1);
        }
    });
    connect(m_overview, &OverviewPage::groupActivated, this, [this](const QString &group) {
        m_lag->selectGroup(group);
        m_demo->selectGroup(group);
        showPage(Page::Lag);
    });
    connect(m_session, &ConsoleSession::starting, this, &MainWindow::showStarting);
    connect(m_session, &ConsoleSession::started, this, &MainWindow::showStarted);
    connect(m_session, &ConsoleSession::failed, this, &MainWindow::showFailure);
    connect(m_session, &ConsoleSession::warning, this, [this](const QString &message) {
        m_warning = message;
        showBanner(message, false);
    });
    connect(m_session->feed(), &ClusterFeed::snapshotReady, this, &MainWindow::showSnapshot);
    connect(m_dlq, &DlqPage::redriveRequested, this, [this](const ops::RedriveSpec &spec) {
        auto *dialog = openRedriveDialog(this, m_session->redrive(), spec);
        connect(dialog, &RedriveDialog::taskStarted, m_redriveTasks,
                &RedriveTasksPanel::selectTask);
    });
    connect(m_session, &ConsoleSession::targetChanged, m_replay, &ReplayPage::setTarget);
    m_replay->setTarget(m_session->target());
    connect(m_session, &ConsoleSession::targetChanged, this, [this](const OpsTarget &target) {
        m_tenants->setTarget(target);
        m_audit->setTarget(target);
    });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::addPage(Page page, const QString &title, QWidget *widget)
{
    auto *item = new QListWidgetItem(title, m_navigation);
    item->setData(Qt::UserRole, static_cast<int>(page));
    m_pages->addWidget(widget);
}

QWidget *MainWindow::createWelcome()
{
    auto *page = new QWidget(this);
    page->setObjectName(QStringLiteral("welcome"));
    auto *layout = new QVBoxLayout(page);
    layout->addStretch();
    m_welcomeText->setAlignment(Qt::AlignCenter);
    m_welcomeText->setWordWrap(true);
    m_welcomeText->setTextFormat(Qt::RichText);
    layout->addWidget(m_welcomeText);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch();
    auto *demo = new QPushButton(tr("Start the demo"), page);
    demo->setDefault(true);
    auto *connectButton = new QPushButton(tr("Connect to a cluster…"), page);
    buttons->addWidget(demo);
    buttons->addWidget(connectButton);
    buttons->addStretch();
    layout->addLayout(buttons);
    layout->addStretch(2);
    connect(demo, &QPushButton::clicked, this, &MainWindow::startDemo);
    connect(connectButton, &QPushButton::clicked, this, &MainWindow::connectToCluster);
    m_welcomeText->setText(
        tr("<h2>Logdeck</h2><p>A console for Kafka event pipelines: lag, dead letters, replay "
           "and tenant tracing.</p><p><b>Start the demo</b> to run the whole pipeline here on an "
           "embedded cluster with simulated traffic, or <b>connect</b> to a Kafka cluster to "
           "watch it without joining any of its groups.</p>"));
    return page;
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *demo = file->addAction(tr("Start the &Demo"), this, &MainWindow::startDemo);
    demo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    QAction *connectAction =
        file->addAction(tr("&Connect to a Cluster…"), this, &MainWindow::connectToCluster);
    connectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    int number = 1;
    for (const auto &info : kPages) {
        QAction *action = view->addAction(tr(info.title), this, [this, page = info.page] {
            showPage(page);
        });
        action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_0 + number++)));
    }
    view->addSeparator();
    QAction *refresh = view->addAction(tr("&Refresh"), this, [this] {
        m_session->feed()->refreshNow();
        if (m_pages->currentWidget() == m_tenants) {
            m_tenants->refresh();
        } else if (m_pages->currentWidget() == m_audit) {
            m_audit->refresh();
        }
    });
    refresh->setShortcut(QKeySequence::Refresh);
    view->addAction(m_demoDock->toggleViewAction());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Logdeck"), this, [this] {
        QMessageBox::about(this, tr("About Logdeck"),
                           tr("<h3>Logdeck %1</h3><p>A console for Kafka event pipelines: lag, "
                              "dead letters, replay and tenant tracing, with the pipeline "
                              "built in.</p>")
                               .arg(QString::fromStdString(logdeck::version())));
    });
}

void MainWindow::showPage(Page page)
{
    if (!m_connected) {
        return;
    }
    m_navigation->setCurrentRow(static_cast<int>(page));
}

MainWindow::Page MainWindow::currentPage() const
{
    return static_cast<Page>(std::max(0, m_pages->currentIndex() - 1));
}

QString MainWindow::statusText() const
{
    static const QRegularExpression tags(QStringLiteral("<[^>]*>"));
    QStringList parts;
    for (const QLabel *field :
         {m_modeField, m_clusterField, m_brokersField, m_healthField, m_spillField}) {
        QString plain = field->text();
        plain.remove(tags).remove(QStringLiteral("●"));
        if (!plain.trimmed().isEmpty()) {
            parts << plain.trimmed();
        }
    }
    return parts.join(QStringLiteral(" | "));
}

QString MainWindow::bannerText() const
{
    return m_banner->isHidden() ? QString() : m_banner->text();
}

bool MainWindow::mutationsVisible() const
{
    return !m_demoDock->isHidden() || m_lag->mutationsVisible() || m_dlq->mutationsVisible()
        || m_redriveTasks->mutationsVisible() || m_replay->mutationsVisible()
        || m_fleet->mutationsVisible();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QMainWindow::closeEvent(event);
}

void MainWindow::showStarting(ConsoleMode mode, const QString &bootstrapServers)
{
    m_connected = false;
    m_warning.clear();
    m_banner->hide();
    m_navigation->setEnabled(false);
    m_pages->setCurrentWidget(m_welcome);
    m_welcomeText->setText(
        mode == ConsoleMode::Demo
            ? tr("<h2>Starting the demo…</h2><p>An embedded Kafka cluster, the collector and the "
                 "processing groups are starting in this process.</p>")
            : tr("<h2>Connecting to %1…</h2>").arg(bootstrapServers.toHtmlEscaped()));
    m_modeField->setText(dot(kAmber) + tr("Connecting (%1)").arg(modeName(mode)));
}

void MainWindow::showStarted(ConsoleMode mode)
{
    m_connected = true;
    m_navigation->setEnabled(true);
    m_demoDock->setVisible(mode == ConsoleMode::Demo && !m_session->isReadOnly());
    updateMutations();
    if (m_navigation->currentRow() < 0) {
        m_navigation->setCurrentRow(0);
    }
    m_pages->setCurrentIndex(m_navigation->currentRow() + 1);
    const QString readOnly = m_session->isReadOnly() ? tr(", read-only") : QString();
    m_modeField->setText(dot(kGreen)
                         + (mode == ConsoleMode::Demo     ? tr("Demo (embedded cluster)")
                            : mode == ConsoleMode::Host   ? tr("Host: pipeline runs here")
                                                          : tr("Attached: observing"))
                         + readOnly);
}

void MainWindow::showFailure(const QString &message)
{
    m_connected = false;
    m_navigation->setEnabled(false);
    m_pages->setCurrentWidget(m_welcome);
    m_welcomeText->setText(tr("<h2>Could not start</h2><p style='color:#c01c28'>%1</p><p>Start the "
                              "demo, or connect to another cluster.</p>")
                               .arg(message.toHtmlEscaped()));
    m_modeField->setText(dot(kRed) + tr("Not connected"));
}

void MainWindow::showBanner(const QString &text, bool error)
{
    if (text.isEmpty()) {
        m_banner->hide();
        m_banner->clear();
        return;
    }
    m_banner->setStyleSheet(
        error ? QStringLiteral("QLabel#banner { background: #fbe3e4; color: #8a1620; "
                               "border-bottom: 1px solid #e8b4b8; padding: 8px 14px; }")
              : QStringLiteral("QLabel#banner { background: #fff4d6; color: #6b4a00; "
                               "border-bottom: 1px solid #ecd9a0; padding: 8px 14px; }"));
    m_banner->setText(text.toHtmlEscaped());
    m_banner->show();
}

void MainWindow::updateMutations()
{
    m_lag->setMutationsAllowed(!m_session->isReadOnly());
    m_replay->setMutationsAllowed(!m_session->isReadOnly());
    m_fleet->setMutationsAllowed(!m_session->isReadOnly());
    m_dlq->setMutationsAllowed(!m_session->isReadOnly());
    m_redriveTasks->setMutationsAllowed(!m_session->isReadOnly());
}

void MainWindow::showSnapshot(const ConsoleSnapshotPtr &snapshot)
{
    if (!m_connected) {
        return;
    }
    if (snapshot->clusterChecked && !snapshot->connected) {
        showBanner(tr("The cluster does not answer (%1). Retrying every second; the figures below "
                      "are the last known.")
                       .arg(snapshot->error),
                   true);
    } else {
        showBanner(m_warning, false);
    }
    m_overview->showSnapshot(snapshot);
    m_lag->showSnapshot(snapshot);
    m_replay->showSnapshot(snapshot);
    m_fleet->showSnapshot(snapshot);
    if (snapshot->mode == ConsoleMode::Demo) {
        m_demo->showSnapshot(snapshot);
    }

    m_clusterField->setText(
        snapshot->clusterId.isEmpty()
            ? tr("Cluster %1").arg(snapshot->bootstrapServers.toHtmlEscaped())
            : tr("Cluster %1").arg(snapshot->clusterId.toHtmlEscaped()));
    m_clusterField->setToolTip(snapshot->bootstrapServers);
    m_brokersField->setText(snapshot->brokerCount >= 0
                                ? (snapshot->brokerCount == 1 ? tr("1 broker") : tr("%1 brokers").arg(snapshot->brokerCount))
                                : tr("brokers unknown"));
    if (snapshot->brokersDown) {
        m_brokersField->setText(dot(kRed) + tr("brokers stopped"));
    }

    // Engine health: the worst status of the groups Logdeck runs.
    int stopped = 0;
    int unwell = 0;
    int known = 0;
    if (snapshot->lag) {
        for (const auto &group : snapshot->lag->groups) {
            if (group.hostedBy.empty() && snapshot->hosted(group.group) == nullptr) {
                continue;
            }
            ++known;
            if (group.status == ops::LagStatus::Stall || group.status == ops::LagStatus::Stop) {
                ++stopped;
            } else if (group.status != ops::LagStatus::Ok) {
                ++unwell;
            }
        }
    }
    for (const auto &hosted : snapshot->hostedGroups) {
        if (hosted.state == "paused") {
            ++unwell;
        }
    }
    if (!snapshot->clusterChecked) {
        m_healthField->setText(dot(kGrey) + tr("asking the cluster…"));
    } else if (!snapshot->connected) {
        m_healthField->setText(dot(kRed) + tr("cluster unreachable"));
    } else if (known == 0 && snapshot->hostedGroups.empty()) {
        m_healthField->setText(dot(kGrey) + (snapshot->mode == ConsoleMode::Attach
                                                 ? tr("no Logdeck engine seen")
                                                 : tr("groups starting")));
    } else if (stopped > 0) {
        m_healthField->setText(dot(kRed) + (stopped == 1 ? tr("1 group stalled or stopped") : tr("%1 groups stalled or stopped").arg(stopped)));
    } else if (unwell > 0) {
        m_healthField->setText(dot(kAmber) + (unwell == 1 ? tr("1 group needs a look") : tr("%1 groups need a look").arg(unwell)));
    } else {
        m_healthField->setText(dot(kGreen) + tr("groups healthy"));
    }
    if (!snapshot->ingest.known) {
        m_spillField->setText(tr("spill unknown"));
    } else if (snapshot->ingest.spilling) {
        m_spillField->setText(dot(kAmber) + tr("spilling to the outbox"));
    } else {
        m_spillField->setText(tr("not spilling"));
    }
    Q_EMIT snapshotShown(snapshot);
}

void MainWindow::startDemo()
{
    Config config;
    config.embedded = true;
    m_session->setReadOnly(false);
    m_session->start(ConsoleMode::Demo, config);
}

void MainWindow::connectToCluster()
{
    ConnectDialog dialog(this);
    if (dialog.exec() != QDialog::Accepted) {
        return;
    }
    const ConnectionProfile profile = dialog.profile();
    if (profile.mode == ConsoleMode::Demo) {
        startDemo();
        return;
    }
    Config config;
    config.kafka = profile.properties;
    config.kafka["bootstrap.servers"] = profile.bootstrapServers.toStdString();
    m_session->setReadOnly(profile.readOnly);
    m_session->start(profile.mode, config);
}

} // namespace logdeck::ui
