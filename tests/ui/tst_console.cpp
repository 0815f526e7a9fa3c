// The console under the offscreen platform: the lag models and page fed by scripted
// snapshots, read-only mode, the overview's picture of a paused group, and the embedded
// pipeline's live rates through the bridge.

#include "bridge/console_session.h"
#include "main_window.h"
#include "models/dead_letter_model.h"
#include "models/lag_models.h"
#include "support/demo_config.h"
#include "views/demo_controls.h"
#include "views/dlq_page.h"
#include "views/lag_page.h"
#include "views/overview_page.h"
#include "views/redrive_tasks_panel.h"
#include "widgets/lag_chart.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <cmath>

using namespace logdeck;
using namespace logdeck::ui;

namespace {

/// Scripted samples end near now: the chart shows the window up to the wall clock.
const std::int64_t kStartMs = QDateTime::currentMSecsSinceEpoch() - 1000 * 1000;

/// A cluster of `groups` groups × `partitions` partitions at second `second`: each group's
/// lag grows by its index every second; group 0 is STALL and has an unknown time lag.
std::shared_ptr<const ops::LagSnapshot> scriptedLag(int groups, int partitions, int second)
{
    auto snapshot = std::make_shared<ops::LagSnapshot>();
    snapshot->sampledAtMs = kStartMs + second * 1000LL;
    for (int g = 0; g < groups; ++g) {
        ops::GroupLag group;
        group.group = "group-" + std::to_string(100 + g);
        group.state = "Stable";
        group.members = 2;
        group.hostedBy = g % 2 == 0 ? "engine-a" : "";
        group.status = g == 0 ? ops::LagStatus::Stall : ops::LagStatus::Ok;
        if (g != 0) {
            group.timeLagSeconds = 1.5 * g;
        }
        group.consumeRate = 100.0 * g;
        for (int p = 0; p < partitions; ++p) {
            ops::PartitionLag partition;
            partition.topic = "events.raw";
            partition.partition = p;
            partition.logEndOffset = 1000 + second * 10;
            partition.lag = static_cast<std::int64_t>(g) * second;
            partition.committedOffset = partition.logEndOffset - partition.lag;
            partition.produceRate = 10;
            partition.status = group.status;
            group.lag += partition.lag;
            group.partitions.push_back(partition);
        }
        snapshot->groups.push_back(std::move(group));
    }
    return snapshot;
}

ConsoleSnapshotPtr scriptedSnapshot(int groups, int partitions, int second)
{
    auto snapshot = std::make_shared<ConsoleSnapshot>();
    snapshot->mode = ConsoleMode::Attach;
    snapshot->connected = true;
    snapshot->atMs = kStartMs + second * 1000LL;
    snapshot->brokerCount = 3;
    snapshot->lag = scriptedLag(groups, partitions, second);
    return snapshot;
}

} // namespace

class TestConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Window layout and profiles go to a test location, not the user's settings.
        QStandardPaths::setTestModeEnabled(true);
    }

    void groupModelShowsEachGroupAndUnknownAsUnknown()
    {
        GroupLagModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSnapshot(scriptedLag(3, 4, 10));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.index(0, GroupLagModel::Group).data().toString(), QStringLiteral("group-100"));
        QCOMPARE(model.index(0, GroupLagModel::Status).data().toString(), QStringLiteral("STALL"));
        QCOMPARE(model.index(0, GroupLagModel::Status).data(Qt::ForegroundRole).value<QColor>(),
                 lagStatusColour(ops::LagStatus::Stall));
        // Group 0's time lag is unknown: a dash, never 0s.
        QCOMPARE(model.index(0, GroupLagModel::TimeLag).data().toString(), QStringLiteral("–"));
        QCOMPARE(model.index(2, GroupLagModel::Lag).data().toString(), QStringLiteral("80"));
        QCOMPARE(model.index(1, GroupLagModel::HostedBy).data().toString(),
                 QStringLiteral("not Logdeck"));
        QCOMPARE(model.index(2, GroupLagModel::ProduceRate).data().toString(),
                 QStringLiteral("40/s"));

        // The same groups again: rows stay (no reset), values move.
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        model.setSnapshot(scriptedLag(3, 4, 20));
        QCOMPARE(resets.size(), 0);
        QCOMPARE(model.index(2, GroupLagModel::Lag).data().toString(), QStringLiteral("160"));
        // A group more: the rows change.
        model.setSnapshot(scriptedLag(4, 4, 21));
        QCOMPARE(resets.size(), 1);
        QCOMPARE(model.rowCount(), 4);
        model.setSnapshot(nullptr);
        QCOMPARE(model.rowCount(), 0);
    }

    void partitionModelFollowsTheSelectedGroup()
    {
        PartitionLagModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setGroup(scriptedLag(2, 64, 5), "group-101");
        QCOMPARE(model.rowCount(), 64);
        QCOMPARE(model.index(63, PartitionLagModel::Partition).data().toInt(), 63);
        QCOMPARE(model.index(0, PartitionLagModel::Lag).data().toString(), QStringLiteral("5"));
        QCOMPARE(model.index(0, PartitionLagModel::Owner).data().toString(),
                 QStringLiteral("no member"));
        model.setGroup(scriptedLag(2, 64, 6), "group-101");
        QCOMPARE(model.index(0, PartitionLagModel::Lag).data().toString(), QStringLiteral("6"));
        model.setGroup(scriptedLag(2, 64, 6), "no-such-group");
        QCOMPARE(model.rowCount(), 0);
    }

    /// Thousands of points from a scripted source: the chart holds the selected group's lag,
    /// the table every group, the status line the selected group's health and reason.
    void lagPageShowsAScriptedCluster()
    {
        ClusterFeed feed; // never started: history answers are empty
        GroupControl control;
        LagPage page(&feed, &control);
        page.resize(1200, 800);
        page.show();
        QAbstractItemModelTester groupTester(
            page.groupModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester partitionTester(
            page.partitionModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        constexpr int kSeconds = 900;
        for (int second = 1; second <= kSeconds; ++second) {
            page.showSnapshot(scriptedSnapshot(50, 64, second));
        }
        QCOMPARE(page.groupModel()->rowCount(), 50);
        // The first Logdeck group is chosen at once, and it is STALL.
        QCOMPARE(page.selectedGroup(), QStringLiteral("group-100"));
        QVERIFY2(page.statusText().contains(QStringLiteral("STALL")), qPrintable(page.statusText()));
        QCOMPARE(page.partitionModel()->rowCount(), 64);

        page.selectGroup(QStringLiteral("group-103"));
        QCOMPARE(page.selectedGroup(), QStringLiteral("group-103"));
        for (int second = kSeconds + 1; second <= kSeconds + 30; ++second) {
            page.showSnapshot(scriptedSnapshot(50, 64, second));
        }
        QVERIFY(page.statusText().contains(QStringLiteral("OK")));
        // 30 live points of group-103, at most two per pixel column once drawn.
        QTRY_VERIFY(page.chart()->shownPointCount(QObject::tr("Lag (messages)")) > 0);
        QVERIFY(page.chart()->shownPointCount(QObject::tr("Lag (messages)")) <= 30);
        // Its lag at the last second: 3 per partition per second × 64 partitions.
        QCOMPARE(page.groupModel()
                     ->index(page.groupModel()->rowOf("group-103"), GroupLagModel::Lag)
                     .data(SortRole)
                     .toLongLong(),
                 3LL * (kSeconds + 30) * 64);
        // Attached and not read-only, but no engine figures for group-103: nothing to pause.
        page.setMutationsAllowed(true);
        QVERIFY(!page.mutationsVisible());
    }

    void overviewShowsAPausedGroupAsStopped()
    {
        auto snapshot = std::make_shared<ConsoleSnapshot>(*scriptedSnapshot(2, 3, 5));
        snapshot->mode = ConsoleMode::Demo;
        snapshot->hostedGroups = {{"group-100", "paused", "me", 0.0, 10, 0, 2},
                                  {"group-101", "running", "me", 120.0, 10, 0, 0}};
        const PipelineDiagramData data = OverviewPage::diagramData(*snapshot);
        QCOMPARE(data.groups.size(), std::size_t(2));
        QCOMPARE(data.groups[0].name, QStringLiteral("group-100"));
        QCOMPARE(data.groups[0].health, Health::Stopped);
        QVERIFY(data.groups[0].healthText.startsWith(QStringLiteral("Paused")));
        QCOMPARE(data.groups[0].deadLettered, std::optional<qint64>(2));
        QCOMPARE(data.groups[1].health, Health::Ok);
        QCOMPARE(data.groups[1].consumePerSecond, std::optional<double>(120.0));
        // A group whose lag was not sampled yet is unknown, not OK.
        snapshot->lag = std::make_shared<const ops::LagSnapshot>();
        QCOMPARE(OverviewPage::diagramData(*snapshot).groups[1].health, Health::Unknown);
        // No collector figures: unknown, not zero.
        QVERIFY(!OverviewPage::diagramData(*snapshot).collector.eventsPerSecond);
    }

    /// One embedded engine through the bridge: live, non-zero rates from the first ticks, a
    /// pause that the overview and the status bar show, the redrive tasks panel folded to
    /// its title line until a task exists, and read-only hiding every action.
    void embeddedPipelineLive()
    {
        ConsoleSession session;
        MainWindow window(&session);
        window.show();
        QVERIFY(window.statusText().contains(QStringLiteral("Not connected")));
        QVERIFY(!window.mutationsVisible());

        ConsoleSnapshotPtr last;
        connect(&window, &MainWindow::snapshotShown, this,
                [&last](const ConsoleSnapshotPtr &snapshot) { last = snapshot; });
        session.start(ConsoleMode::Demo, test::demoConfig());
        QTRY_VERIFY_WITH_TIMEOUT(last && last->ingest.eventsPerSecond.value_or(0) > 50, 30000);
        QVERIFY(window.statusText().contains(QStringLiteral("Demo")));
        QVERIFY(window.statusText().contains(QStringLiteral("3 brokers")));
        QVERIFY(last->ingest.p99Ms.has_value());
        // Rates: the demo sends 200 requests/s (an open loop that may catch up on a late
        // start); the first measured second is not inflated as a rate since start once was
        // (6,978/s).
        QVERIFY2(*last->ingest.eventsPerSecond < 1000,
                 qPrintable(QString::number(*last->ingest.eventsPerSecond)));
        QTRY_VERIFY_WITH_TIMEOUT(last->hosted("analytics") != nullptr
                                     && last->hosted("analytics")->processedPerSecond.value_or(0) > 0,
                                 30000);
        QVERIFY(window.mutationsVisible());
        QVERIFY(window.demoControls()->isVisibleTo(&window));

        // Pause analytics from the demo controls: the overview shows it stopped.
        window.demoControls()->selectGroup(QStringLiteral("analytics"));
        window.demoControls()->pauseButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(last->hosted("analytics")->state == "paused", 15000);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const auto &group : window.overviewPage()->diagram()->data().groups) {
                    if (group.name == QLatin1String("analytics")) {
                        return group.health == Health::Stopped;
                    }
                }
                return false;
            }(),
            5000);
        window.demoControls()->pauseButton()->click(); // resume
        QTRY_VERIFY_WITH_TIMEOUT(last->hosted("analytics")->state == "running", 15000);

        // No redrive task yet: the dead letters get the page, the tasks panel its title line.
        window.showPage(MainWindow::Page::DeadLetters);
        RedriveTasksPanel *tasks = window.redriveTasksPanel();
        const auto *noTask = tasks->findChild<QLabel *>(QStringLiteral("redriveNoTask"));
        QVERIFY(noTask != nullptr);
        QTRY_VERIFY_WITH_TIMEOUT(noTask->isVisible(), 15000);
        QVERIFY(tasks->isCollapsed());
        QVERIFY(!tasks->taskView()->isVisible());
        // Nothing to drag: no handle between the dead letters and the title line.
        const auto *split = window.findChild<QSplitter *>(QStringLiteral("dlqSplit"));
        QVERIFY(split != nullptr);
        QCOMPARE(split->handleWidth(), 0);
        QTRY_VERIFY2_WITH_TIMEOUT(tasks->height() * 8 < window.dlqPage()->height(),
                                  qPrintable(QStringLiteral("tasks %1 px, dead letters %2 px")
                                                 .arg(tasks->height())
                                                 .arg(window.dlqPage()->height())),
                                  5000);
        // A redrive of the dead letters so far: the panel's tables come back, with room.
        QTRY_VERIFY_WITH_TIMEOUT(window.dlqPage()->model()->rowCount() > 0, 60000);
        ops::RedriveSpec redrive;
        redrive.filter.topic = "events.dlq";
        redrive.filter.untilMs = QDateTime::currentMSecsSinceEpoch();
        QSignalSpy started(session.redrive(), &RedriveService::started);
        session.redrive()->start(redrive);
        QVERIFY(started.wait(30000));
        QVERIFY2(started.first().at(2).toString().isEmpty(),
                 qPrintable(started.first().at(2).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(!tasks->isCollapsed(), 15000);
        QVERIFY(tasks->taskView()->isVisible());
        QVERIFY(split->handleWidth() > 0);
        QTRY_VERIFY2_WITH_TIMEOUT(tasks->height() * 5 > window.dlqPage()->height(),
                                  qPrintable(QStringLiteral("tasks %1 px, dead letters %2 px")
                                                 .arg(tasks->height())
                                                 .arg(window.dlqPage()->height())),
                                  5000);

        // The newcomer's flow: slow analytics down, watch its lag climb on the Lag page's
        // chart, speed it up, watch it drain.
        const auto analyticsLag = [&]() -> std::int64_t {
            const auto *group = last && last->lag ? last->lag->find("analytics") : nullptr;
            return group != nullptr ? group->lag : -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(analyticsLag() >= 0 && analyticsLag() < 300, 30000);
        window.showPage(MainWindow::Page::Lag);
        window.lagPage()->selectGroup(QStringLiteral("analytics"));
        window.demoControls()->slowButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(analyticsLag() > 1000, 40000);
        QVERIFY(window.lagPage()->chart()->shownPointCount(QObject::tr("Lag (messages)")) > 0);
        window.demoControls()->slowButton()->click(); // speed up
        QTRY_VERIFY_WITH_TIMEOUT(analyticsLag() < 300, 40000);

        // The brokers stop: a banner says so and the window keeps answering; they come back.
        QVERIFY(window.bannerText().isEmpty());
        window.demoControls()->brokersButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(window.bannerText().contains(QStringLiteral("does not answer")),
                                 20000);
        QVERIFY(window.statusText().contains(QStringLiteral("brokers stopped"))
                || window.statusText().contains(QStringLiteral("unreachable")));
        window.demoControls()->brokersButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(window.bannerText().isEmpty(), 30000);

        // Read-only: the same session shows no action at all.
        session.stop();
        session.setReadOnly(true);
        last.reset();
        session.start(ConsoleMode::Demo, test::demoConfig());
        QTRY_VERIFY_WITH_TIMEOUT(last && last->hosted("analytics") != nullptr, 30000);
        QVERIFY(window.statusText().contains(QStringLiteral("read-only")));
        QVERIFY(!window.mutationsVisible());
        QVERIFY(!window.demoControls()->isVisibleTo(&window));
        session.stop();
    }

    void pagesHaveNamesAndPlaceholdersSaySo()
    {
        for (const QString &name : {QStringLiteral("overview"), QStringLiteral("lag"),
                                   QStringLiteral("dlq"), QStringLiteral("replay"),
                                   QStringLiteral("tenants"), QStringLiteral("fleet"),
                                   QStringLiteral("audit")}) {
            const auto page = MainWindow::pageFromName(name);
            QVERIFY2(page.has_value(), qPrintable(name));
            QCOMPARE(MainWindow::pageName(*page), name);
        }
        QVERIFY(!MainWindow::pageFromName(QStringLiteral("lags")));
    }
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
