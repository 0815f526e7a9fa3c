#pragma once

#include "engine.h"

#include <QMainWindow>
#include <memory>

class QLabel;
class QStackedWidget;
class QStandardItemModel;
class QTableView;

namespace logdeck::ui {

class EngineBridge;

/// The console's main window: menus, the cluster overview and a status bar that always
/// says what Logdeck is connected to.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(EngineBridge *bridge, QWidget *parent = nullptr);

    /// The status bar's connection text, as shown.
    QString connectionText() const;
    /// Pipeline topics as listed on the overview: topic, partitions, role.
    QStandardItemModel *topicModel() const { return m_topicModel; }
    /// Consumer groups as listed on the overview.
    QStandardItemModel *groupModel() const { return m_groupModel; }

Q_SIGNALS:
    /// A status snapshot has been shown (the window is showing live cluster data).
    void statusShown();

private:
    void createMenus();
    static void setUpTable(QTableView *view, QStandardItemModel *model);
    void showStarting(bool embedded, const QString &bootstrapServers);
    void showWelcome(const QString &failure);
    void showFailure(const QString &message);
    void showStatus(const std::shared_ptr<const EngineStatus> &status);
    void setConnection(const QString &colour, const QString &text);
    void startDemo();
    void connectToCluster();
    /// The group selected in the groups table, or empty.
    QString selectedGroup() const;
    void changeSelectedGroupFaults(double failureRate, int latencyMs);

    EngineBridge *m_bridge;
    QStackedWidget *m_pages;
    QLabel *m_welcome;
    QLabel *m_summary;
    QStandardItemModel *m_topicModel;
    QTableView *m_topicView;
    QStandardItemModel *m_groupModel;
    QTableView *m_groupView;
    QLabel *m_connection;
};

} // namespace logdeck::ui
