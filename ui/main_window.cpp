#include "main_window.h"

#include "bridge/engine_bridge.h"

#include <QAction>
#include <QApplication>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>

namespace logdeck::ui {

namespace {

const QString kGreen = QStringLiteral("#2e9d4f");
const QString kAmber = QStringLiteral("#d08a00");
const QString kRed = QStringLiteral("#c62828");

QString modeName(bool embedded)
{
    return embedded ? QObject::tr("Embedded mock cluster") : QObject::tr("Kafka cluster");
}

} // namespace

MainWindow::MainWindow(EngineBridge *bridge, QWidget *parent)
    : QMainWindow(parent)
    , m_bridge(bridge)
    , m_pages(new QStackedWidget(this))
    , m_welcome(new QLabel(this))
    , m_summary(new QLabel(this))
    , m_topicModel(new QStandardItemModel(0, 3, this))
    , m_topicView(new QTableView(this))
    , m_groupModel(new QStandardItemModel(0, 8, this))
    , m_groupView(new QTableView(this))
    , m_connection(new QLabel(this))
{
    setWindowTitle(tr("Logdeck"));
    setWindowIcon(QIcon(QStringLiteral(":/logdeck/logdeck.png")));
    resize(1100, 680);

    m_welcome->setObjectName(QStringLiteral("welcome"));
    m_welcome->setAlignment(Qt::AlignCenter);
    m_welcome->setWordWrap(true);
    m_welcome->setTextFormat(Qt::RichText);

    m_topicModel->setHorizontalHeaderLabels({tr("Topic"), tr("Partitions"), tr("Role")});
    setUpTable(m_topicView, m_topicModel);
    m_groupModel->setHorizontalHeaderLabels({tr("Group"), tr("State"), tr("Events/s"),
                                             tr("Processed"), tr("Duplicates"), tr("Retried"),
                                             tr("Dead-lettered"), tr("Last error")});
    setUpTable(m_groupView, m_groupModel);

    auto *overview = new QWidget(this);
    auto *layout = new QVBoxLayout(overview);
    layout->setContentsMargins(16, 16, 16, 16);
    m_summary->setTextFormat(Qt::RichText);
    layout->addWidget(m_summary);
    layout->addSpacing(8);
    layout->addWidget(new QLabel(tr("<b>Consumer groups</b>"), overview));
    layout->addWidget(m_groupView, 1);
    layout->addSpacing(8);
    layout->addWidget(new QLabel(tr("<b>Pipeline topics</b>"), overview));
    layout->addWidget(m_topicView, 2);

    m_pages->addWidget(m_welcome);
    m_pages->addWidget(overview);
    setCentralWidget(m_pages);
    showWelcome(QString());

    statusBar()->addPermanentWidget(m_connection);
    setConnection(kRed, tr("Not connected"));
    createMenus();

    connect(m_bridge, &EngineBridge::engineStarting, this, &MainWindow::showStarting);
    connect(m_bridge, &EngineBridge::engineFailed, this, &MainWindow::showFailure);
    connect(m_bridge, &EngineBridge::statusUpdated, this, &MainWindow::showStatus);
    connect(m_bridge, &EngineBridge::commandFinished, this,
            [this](const QString &description, const QString &error) {
                statusBar()->showMessage(error.isEmpty()
                                             ? tr("%1: done").arg(description)
                                             : tr("%1 failed: %2").arg(description, error),
                                         8000);
            });
}

void MainWindow::setUpTable(QTableView *view, QStandardItemModel *model)
{
    view->setModel(model);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 10);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setStretchLastSection(true);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *demo = file->addAction(tr("Start Embedded &Demo"), this, &MainWindow::startDemo);
    demo->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    file->addAction(tr("&Connect to Cluster…"), this, &MainWindow::connectToCluster);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    QAction *refresh = view->addAction(tr("&Refresh"), m_bridge, &EngineBridge::refreshNow);
    refresh->setShortcut(QKeySequence::Refresh);

    // Break things on purpose, to watch retries, dead letters and lag (demo controls).
    QMenu *groups = menuBar()->addMenu(tr("&Groups"));
    groups->addAction(tr("&Pause Selected Group"), this, [this] {
        if (const QString group = selectedGroup(); !group.isEmpty()) {
            m_bridge->pauseGroup(group);
        }
    });
    groups->addAction(tr("&Resume Selected Group"), this, [this] {
        if (const QString group = selectedGroup(); !group.isEmpty()) {
            m_bridge->resumeGroup(group);
        }
    });
    groups->addSeparator();
    groups->addAction(tr("Fail &20% of Events (Transient)"), this,
                      [this] { changeSelectedGroupFaults(0.2, 0); });
    groups->addAction(tr("&Slow Down by 500 ms per Batch"), this,
                      [this] { changeSelectedGroupFaults(0, 500); });
    groups->addAction(tr("&Clear Injected Faults"), this,
                      [this] { changeSelectedGroupFaults(0, 0); });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Logdeck"), this, [this] {
        QMessageBox::about(this, tr("About Logdeck"),
                           tr("<h3>Logdeck %1</h3><p>A console for Kafka event pipelines: lag, "
                              "dead letters, replay and tenant tracing, with the pipeline "
                              "built in.</p>")
                               .arg(QString::fromStdString(logdeck::version())));
    });
}

void MainWindow::setConnection(const QString &colour, const QString &text)
{
    m_connection->setText(
        QStringLiteral("<span style='color:%1'>●</span> %2").arg(colour, text.toHtmlEscaped()));
}

QString MainWindow::connectionText() const
{
    return m_connection->text();
}

void MainWindow::showStarting(bool embedded, const QString &bootstrapServers)
{
    const QString target = embedded ? modeName(true) : bootstrapServers;
    setConnection(kAmber, tr("Connecting to %1…").arg(target));
    statusBar()->showMessage(tr("Starting the engine…"));
}

void MainWindow::showWelcome(const QString &failure)
{
    QString text;
    if (!failure.isEmpty()) {
        text = tr("<h2 style='color:%1'>Cannot start the engine</h2><p>%2</p><hr>")
                   .arg(kRed, failure.toHtmlEscaped());
    }
    text += tr("<h2>Not connected</h2>"
               "<p>Start the embedded demo pipeline with <b>File → Start Embedded Demo</b> "
               "(or run <code>logdeck --demo</code>),<br>or connect to a Kafka cluster with "
               "<b>File → Connect to Cluster…</b> (<code>logdeck --broker HOST:PORT</code>).</p>");
    m_welcome->setText(text);
    m_pages->setCurrentWidget(m_welcome);
}

void MainWindow::showFailure(const QString &message)
{
    setConnection(kRed, tr("Not connected"));
    statusBar()->clearMessage();
    // Not a modal box: the window stays usable and the reason stays visible.
    showWelcome(message);
}

void MainWindow::showStatus(const std::shared_ptr<const EngineStatus> &status)
{
    const bool embedded = status->mode == EngineStatus::Mode::Embedded;
    const QString bootstrap = QString::fromStdString(status->bootstrapServers);
    statusBar()->clearMessage();
    if (!status->connected) {
        setConnection(kRed, tr("Unreachable: %1").arg(bootstrap));
        statusBar()->showMessage(QString::fromStdString(status->error));
    } else {
        const QString brokers =
            status->brokerCount == 1 ? tr("1 broker") : tr("%1 brokers").arg(status->brokerCount);
        setConnection(kGreen,
                      tr("Connected · %1 · %2 · %3").arg(modeName(embedded), brokers, bootstrap));
    }
    QString collector = tr("off");
    if (!status->collectorUrl.empty()) {
        collector = QStringLiteral("<code>%1/v1/events</code>")
                        .arg(QString::fromStdString(status->collectorUrl).toHtmlEscaped());
        if (status->spilling) {
            collector += tr(" · <span style='color:%1'>broker unavailable: spilling to the outbox "
                            "(%2 waiting)</span>")
                             .arg(kAmber)
                             .arg(status->outboxDepth);
        }
    }
    m_summary->setText(tr("<h2>%1</h2><p>Bootstrap servers: <code>%2</code><br>Brokers: %3 · "
                          "Pipeline topics: %4<br>Collector: %5</p>")
                           .arg(modeName(embedded), bootstrap.toHtmlEscaped())
                           .arg(status->brokerCount)
                           .arg(status->topics.size())
                           .arg(collector));
    // Update the group rows in place, so the user's selection survives each refresh.
    auto number = [](double value) {
        return QLocale().toString(value, 'f', 0);
    };
    if (m_groupModel->rowCount() != static_cast<int>(status->groups.size())) {
        m_groupModel->setRowCount(0);
        for (std::size_t i = 0; i < status->groups.size(); ++i) {
            QList<QStandardItem *> row;
            for (int column = 0; column < m_groupModel->columnCount(); ++column) {
                auto *item = new QStandardItem;
                if (column >= 2 && column <= 6) {
                    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
                }
                row.append(item);
            }
            m_groupModel->appendRow(row);
        }
    }
    for (int row = 0; row < static_cast<int>(status->groups.size()); ++row) {
        const auto &group = status->groups[static_cast<std::size_t>(row)];
        const QString state = group.paused ? tr("paused")
            : group.running                ? tr("running")
                                           : tr("stopped");
        const QStringList texts = {QString::fromStdString(group.group),
                                   state,
                                   number(group.processedPerSecond),
                                   number(static_cast<double>(group.processed)),
                                   number(static_cast<double>(group.duplicates)),
                                   number(static_cast<double>(group.retried)),
                                   number(static_cast<double>(group.deadLettered)),
                                   QString::fromStdString(group.lastError)};
        for (int column = 0; column < texts.size(); ++column) {
            m_groupModel->item(row, column)->setText(texts[column]);
        }
    }
    m_topicModel->setRowCount(0);
    for (const auto &topic : status->topics) {
        auto *partitions = new QStandardItem(QString::number(topic.partitions));
        partitions->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_topicModel->appendRow({new QStandardItem(QString::fromStdString(topic.name)), partitions,
                                 new QStandardItem(QString::fromStdString(topic.role))});
    }
    m_pages->setCurrentIndex(1);
    Q_EMIT statusShown();
}

QString MainWindow::selectedGroup() const
{
    const QModelIndexList rows = m_groupView->selectionModel()->selectedRows(0);
    if (rows.isEmpty()) {
        statusBar()->showMessage(tr("Select a group in the Consumer groups table first."), 5000);
        return {};
    }
    return rows.first().data().toString();
}

void MainWindow::changeSelectedGroupFaults(double failureRate, int latencyMs)
{
    const QString group = selectedGroup();
    if (group.isEmpty()) {
        return;
    }
    consume::FaultInjection faults;
    faults.transientFailureRate = failureRate;
    faults.addedLatency = std::chrono::milliseconds(latencyMs);
    m_bridge->setGroupFaults(group, faults);
}

void MainWindow::startDemo()
{
    Config config;
    config.embedded = true;
    m_bridge->startEngine(config);
}

void MainWindow::connectToCluster()
{
    bool ok = false;
    const QString servers =
        QInputDialog::getText(this, tr("Connect to Cluster"),
                              tr("Bootstrap servers (host:port, comma-separated):"),
                              QLineEdit::Normal, QStringLiteral("127.0.0.1:9092"), &ok)
            .trimmed();
    if (!ok || servers.isEmpty()) {
        return;
    }
    Config config;
    config.setBootstrapServers(servers.toStdString());
    m_bridge->startEngine(config);
}

} // namespace logdeck::ui
