#pragma once

#include "bridge/console_snapshot.h"

#include <QMainWindow>
#include <optional>

class QDockWidget;
class QLabel;
class QListWidget;
class QStackedWidget;

namespace logdeck::ui {

class ConsoleSession;
class AuditPage;
class DemoControls;
class FleetPage;
class DlqPage;
class RedriveTasksPanel;
class LagPage;
class OverviewPage;
class ReplayPage;
class TenantsPage;

/// The console's main window: navigation between the pages, a banner for a lost cluster or
/// a warning, and a status bar that always says the mode, the cluster, its brokers, the
/// engine's health and whether the collector spills.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    enum class Page { Overview, Lag, DeadLetters, Replay, Tenants, Fleet, Audit };

    /// "overview", "lag", "dlq", "replay", "tenants", "fleet", "audit".
    static QString pageName(Page page);
    static std::optional<Page> pageFromName(const QString &name);

    explicit MainWindow(ConsoleSession *session, QWidget *parent = nullptr);

    void showPage(Page page);
    Page currentPage() const;

    OverviewPage *overviewPage() const { return m_overview; }
    LagPage *lagPage() const { return m_lag; }
    ReplayPage *replayPage() const { return m_replay; }
    DlqPage *dlqPage() const { return m_dlq; }
    RedriveTasksPanel *redriveTasksPanel() const { return m_redriveTasks; }
    DemoControls *demoControls() const { return m_demo; }
    TenantsPage *tenantsPage() const { return m_tenants; }
    FleetPage *fleetPage() const { return m_fleet; }
    AuditPage *auditPage() const { return m_audit; }
    /// The status bar's fields, joined, as shown.
    QString statusText() const;
    /// The banner's text; empty when it is hidden.
    QString bannerText() const;
    /// Whether any control that changes the cluster or the pipeline can be reached.
    bool mutationsVisible() const;

Q_SIGNALS:
    /// A snapshot has been shown on every page.
    void snapshotShown(logdeck::ui::ConsoleSnapshotPtr snapshot);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    QWidget *createWelcome();
    void addPage(Page page, const QString &title, QWidget *widget);
    void showStarting(ConsoleMode mode, const QString &bootstrapServers);
    void showStarted(ConsoleMode mode);
    void showFailure(const QString &message);
    void showSnapshot(const ConsoleSnapshotPtr &snapshot);
    void showBanner(const QString &text, bool error);
    void updateMutations();
    void startDemo();
    void connectToCluster();

    ConsoleSession *m_session;
    QListWidget *m_navigation;
    QStackedWidget *m_pages;
    QWidget *m_welcome;
    QLabel *m_welcomeText;
    QLabel *m_banner;
    OverviewPage *m_overview;
    LagPage *m_lag;
    ReplayPage *m_replay;
    DlqPage *m_dlq;
    RedriveTasksPanel *m_redriveTasks;
    DemoControls *m_demo;
    TenantsPage *m_tenants;
    FleetPage *m_fleet;
    AuditPage *m_audit;
    QDockWidget *m_demoDock;
    QLabel *m_modeField;
    QLabel *m_clusterField;
    QLabel *m_brokersField;
    QLabel *m_healthField;
    QLabel *m_spillField;
    QString m_warning;
    bool m_connected = false;
};

} // namespace logdeck::ui
