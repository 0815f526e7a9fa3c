// The replay page against the embedded engine (demo mode): the wizard's preview is the
// engine's plan for the same request, typed confirmation gates the reset, the steps show in
// order, the group catches up on the lag chart, the history offers undo with a preview, and
// read-only mode hides every action. Without a cluster: the wizard says that the mock cluster
// cannot look up offsets by time.

#include "bridge/cluster_feed.h"
#include "bridge/console_session.h"
#include "dialogs/reset_wizard.h"
#include "main_window.h"
#include "support/demo_config.h"
#include "views/replay_page.h"
#include "widgets/lag_chart.h"

#include <QDir>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>

using namespace logdeck;
using namespace logdeck::ui;

namespace {

/// Saves `widget`'s picture when LOGDECK_TEST_SHOTS names a directory.
void saveShot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("LOGDECK_TEST_SHOTS");
    if (!dir.isEmpty()) {
        QVERIFY(widget->grab().save(QDir(dir).filePath(name)));
    }
}

/// The wizard's preview table, row by row: topic, partition, current, new.
QStringList previewRows(QTableWidget *table)
{
    QStringList rows;
    for (int r = 0; r < table->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < 4; ++c) {
            cells << table->item(r, c)->text();
        }
        rows << cells.join(QLatin1Char(' '));
    }
    return rows;
}

QStringList planRows(const ops::ResetPlan &plan)
{
    QStringList rows;
    for (const auto &p : plan.partitions) {
        rows << QStringLiteral("%1 %2 %3 %4")
                    .arg(QString::fromStdString(p.topic))
                    .arg(p.partition)
                    .arg(p.current < 0 ? QStringLiteral("–") : QString::number(p.current))
                    .arg(p.target);
    }
    return rows;
}

} // namespace

class TestReplayPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void readOnlyHidesResetAndUndo()
    {
        ClusterFeed feed;
        ReplayPage page(&feed);
        page.setMutationsAllowed(false);
        QVERIFY(!page.mutationsVisible());
        QVERIFY(page.resetButton()->isHidden());
        QVERIFY(page.undoButton()->isHidden());
        QCOMPARE(page.openWizard(), nullptr);
        page.setMutationsAllowed(true);
        QVERIFY(page.mutationsVisible());
    }

    void theMockClusterCannotLookUpOffsetsByTime()
    {
        ResetService service;
        OpsTarget target;
        target.mockCluster = true;
        service.setTarget(target);
        ResetWizard wizard(&service, QStringLiteral("analytics"), {{"events.raw", {0, 1}}});
        wizard.setStrategy(ops::ResetStrategy::ToDatetime);
        QVERIFY2(wizard.strategyNote().contains(QStringLiteral("cannot look up offsets by time")),
                 qPrintable(wizard.strategyNote()));
        wizard.setStrategy(ops::ResetStrategy::ByDuration);
        QVERIFY(wizard.strategyNote().contains(QStringLiteral("cannot look up offsets by time")));
        wizard.setStrategy(ops::ResetStrategy::ToEarliest);
        QVERIFY(!wizard.strategyNote().contains(QStringLiteral("cannot look up")));
    }

    /// The operator's replay on the demo pipeline, end to end through the page.
    void resetToEarliestInDemoMode()
    {
        ConsoleSession session;
        MainWindow window(&session);
        window.resize(1280, 800);
        window.show();
        ConsoleSnapshotPtr last;
        connect(&window, &MainWindow::snapshotShown, this,
                [&last](const ConsoleSnapshotPtr &snapshot) { last = snapshot; });
        session.start(ConsoleMode::Demo, test::demoConfig());
        const auto analyticsLag = [&]() -> std::int64_t {
            const auto *group = last && last->lag ? last->lag->find("analytics") : nullptr;
            return group != nullptr ? group->lag : -1;
        };
        const auto analyticsState = [&]() -> std::string {
            const auto *hosted = last ? last->hosted("analytics") : nullptr;
            return hosted != nullptr ? hosted->state : std::string();
        };
        QTRY_VERIFY_WITH_TIMEOUT(last && last->hosted("analytics") != nullptr
                                     && analyticsLag() >= 0,
                                 30000);
        window.showPage(MainWindow::Page::Replay);
        ReplayPage *page = window.replayPage();
        QVERIFY(page->mutationsVisible());
        page->selectGroup(QStringLiteral("analytics"));
        QTRY_VERIFY_WITH_TIMEOUT(page->partitionTable()->rowCount() > 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(page->historyTable()->rowCount() == 0
                                     && page->resetButton()->isEnabled(),
                                 10000);

        // Paused, the group commits nothing: the preview and a plan made now must agree.
        session.control()->pauseGroup(QStringLiteral("analytics"));
        QTRY_VERIFY_WITH_TIMEOUT(analyticsState() == "paused", 15000);
        ResetWizard *wizard = page->openWizard();
        QVERIFY(wizard != nullptr);
        QVERIFY(wizard->isVisible());
        wizard->setStrategy(ops::ResetStrategy::ToEarliest);
        const auto request = wizard->request();
        QVERIFY(request);
        wizard->preview();
        QTRY_COMPARE_WITH_TIMEOUT(wizard->stage(), ResetWizard::Stage::Preview, 30000);
        QVERIFY(wizard->plan());
        const auto plan = ops::planReset(page->service()->context(), *request);
        QVERIFY2(plan, plan ? "" : plan.error().message.c_str());
        QVERIFY(!plan->partitions.empty());
        QCOMPARE(previewRows(wizard->previewTable()), planRows(*plan));
        QCOMPARE(planRows(*wizard->plan()), planRows(*plan));
        for (const auto &p : plan->partitions) {
            QCOMPARE(p.target, p.logStart); // to the earliest
        }
        QVERIFY(wizard->summaryText().contains(QStringLiteral("re-read")));
        QVERIFY(wizard->summaryText().contains(QStringLiteral("Affected tenants")));
        saveShot(wizard, QStringLiteral("replay-wizard-preview.png"));

        // Typed confirmation: only the exact name enables the reset.
        QVERIFY(!wizard->executeButton()->isEnabled());
        for (const QString &typed : {QStringLiteral("analytic"), QStringLiteral("Analytics"),
                                     QStringLiteral("analytics "), QStringLiteral("")}) {
            wizard->confirmation()->setText(typed);
            QVERIFY2(!wizard->executeButton()->isEnabled(), qPrintable(typed));
        }
        wizard->confirmation()->setText(QStringLiteral("analytics"));
        QVERIFY(wizard->executeButton()->isEnabled());

        // Cancelled at once, before its apply step: nothing moves and the history says so.
        wizard->executeButton()->click();
        QCOMPARE(wizard->stage(), ResetWizard::Stage::Run);
        QVERIFY(wizard->cancelButton()->isEnabled());
        wizard->cancelButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(wizard->outcome() || !wizard->errorText().isEmpty(), 90000);
        QVERIFY2(wizard->errorText().isEmpty(), qPrintable(wizard->errorText()));
        QVERIFY(wizard->outcome()->cancelled);
        QVERIFY2(wizard->shownSteps().last().contains(QStringLiteral("Cancelled")),
                 qPrintable(wizard->shownSteps().join(QLatin1Char('\n'))));
        QVERIFY(!wizard->shownSteps().join(QLatin1Char('\n')).contains(QStringLiteral("✓")));
        const auto unchanged = ops::planReset(page->service()->context(), *request);
        QVERIFY(unchanged);
        QCOMPARE(planRows(*unchanged), planRows(*plan));
        QTRY_VERIFY_WITH_TIMEOUT(page->historyTable()->rowCount() == 1, 10000);
        QVERIFY(page->resets().front().cancelled);
        page->historyTable()->selectRow(0);
        QVERIFY(!page->undoButton()->isEnabled()); // nothing moved: nothing to undo
        wizard->close();

        // Again, to the end.
        wizard = page->openWizard();
        QVERIFY(wizard != nullptr);
        wizard->setStrategy(ops::ResetStrategy::ToEarliest);
        wizard->preview();
        QTRY_COMPARE_WITH_TIMEOUT(wizard->stage(), ResetWizard::Stage::Preview, 30000);
        QCOMPARE(planRows(*wizard->plan()), planRows(*plan));
        wizard->confirmation()->setText(QStringLiteral("analytics"));
        wizard->executeButton()->click();
        QCOMPARE(wizard->stage(), ResetWizard::Stage::Run);

        // The steps tick in order; then the group runs again and catches up.
        QTRY_VERIFY_WITH_TIMEOUT(wizard->outcome() || !wizard->errorText().isEmpty(), 90000);
        QVERIFY2(wizard->errorText().isEmpty(), qPrintable(wizard->errorText()));
        QVERIFY(!wizard->outcome()->cancelled);
        const QStringList steps = wizard->shownSteps();
        QCOMPARE(steps.size(), 5);
        const QStringList expected = {QStringLiteral("Stop the group"),
                                      QStringLiteral("Group is empty"),
                                      QStringLiteral("Apply the new offsets"),
                                      QStringLiteral("Offsets applied"),
                                      QStringLiteral("Group resumed")};
        for (int i = 0; i < 5; ++i) {
            QVERIFY2(steps[i].startsWith(QStringLiteral("✓  ")) && steps[i].contains(expected[i]),
                     qPrintable(steps[i]));
        }
        QVERIFY(!wizard->cancelButton()->isEnabled());
        saveShot(wizard, QStringLiteral("replay-wizard-steps.png"));
        wizard->close();
        // The reset stopped and started the group: it runs, whatever it did before.
        QTRY_VERIFY_WITH_TIMEOUT(analyticsState() == "running" || analyticsState() == "paused",
                                 15000);
        if (analyticsState() == "paused") {
            session.control()->resumeGroup(QStringLiteral("analytics"));
        }
        QTRY_VERIFY_WITH_TIMEOUT(analyticsState() == "running", 15000);
        // Caught up: every partition known again and the lag back to a few batches.
        const auto analyticsPartitions = [&]() -> std::size_t {
            const auto *group = last && last->lag ? last->lag->find("analytics") : nullptr;
            return group != nullptr ? group->partitions.size() : 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(analyticsPartitions() == plan->partitions.size()
                                     && analyticsLag() >= 0 && analyticsLag() < 300,
                                 60000);
        QTRY_COMPARE_WITH_TIMEOUT(page->partitionTable()->rowCount(),
                                  static_cast<int>(plan->partitions.size()), 5000);
        QVERIFY(page->chart()->shownPointCount(QObject::tr("Lag (messages)")) > 0);

        // The history has it, and Undo previews the plan back to the offsets before it.
        QTRY_VERIFY_WITH_TIMEOUT(page->historyTable()->rowCount() == 2, 10000);
        const auto &record = page->resets().front(); // newest first
        QVERIFY(record.ok);
        QCOMPARE(record.group, std::string("analytics"));
        QCOMPARE(record.strategy, std::string("--to-earliest"));
        QVERIFY(page->historyTable()->item(0, 4)->text().contains(
            QString::fromStdString(record.user)));
        page->historyTable()->selectRow(0);
        saveShot(&window, QStringLiteral("replay-page-after-reset.png"));
        QVERIFY(page->undoButton()->isEnabled());
        page->undoButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(page->wizard() && page->wizard()->plan(), 30000);
        ResetWizard *undo = page->wizard();
        QCOMPARE(undo->stage(), ResetWizard::Stage::Preview);
        QCOMPARE(undo->plan()->strategy, std::string("--from-file"));
        QCOMPARE(undo->plan()->partitions.size(), record.before.size());
        for (const auto &p : undo->plan()->partitions) {
            const auto before = std::ranges::find_if(record.before, [&](const auto &o) {
                return o.topic == p.topic && o.partition == p.partition;
            });
            QVERIFY(before != record.before.end());
            QCOMPARE(p.target, std::clamp(before->offset, p.logStart, p.logEnd));
        }
        QVERIFY(!undo->executeButton()->isEnabled());
        undo->confirmation()->setText(QStringLiteral("analytics"));
        QVERIFY(undo->executeButton()->isEnabled());
        undo->close();

        // Read-only: the same page offers neither reset nor undo.
        session.setReadOnly(true);
        session.stop();
        last.reset();
        session.start(ConsoleMode::Demo, test::demoConfig());
        QTRY_VERIFY_WITH_TIMEOUT(last && last->hosted("analytics") != nullptr, 30000);
        QVERIFY(!page->mutationsVisible());
        QVERIFY(!window.mutationsVisible());
        session.stop();
    }
};

QTEST_MAIN(TestReplayPage)
#include "tst_replay_page.moc"
