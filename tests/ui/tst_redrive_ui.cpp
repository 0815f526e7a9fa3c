// DLQ redrive in the console: the dialog builds the task the user asked for and refuses a
// bad rate; against the embedded engine, poison dead letters are planned (with the warning
// that they will fail again), redriven, followed in the task panel to their outcome, paused,
// resumed and cancelled; attached without an engine, the console runs the task itself.

#include "bridge/console_session.h"
#include "consume/processor.h"
#include "dialogs/redrive_dialog.h"
#include "models/redrive_models.h"
#include "ops/redrive.h"
#include "support/demo_config.h"
#include "views/redrive_tasks_panel.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace logdeck;
using namespace logdeck::ui;

namespace {

ops::RedriveSpec filterSelection()
{
    ops::RedriveSpec spec;
    spec.filter.topic = "events.dlq";
    spec.filter.tenant = "acme";
    spec.filter.errorClass = "PoisonEvent";
    return spec;
}

/// With LOGDECK_TEST_SCREENSHOTS=DIR, writes `widget` as DIR/NAME.png to look at.
void screenshot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("LOGDECK_TEST_SCREENSHOTS");
    if (!dir.isEmpty()) {
        QDir().mkpath(dir);
        QVERIFY(widget->grab().save(QDir(dir).filePath(name + QStringLiteral(".png"))));
    }
}

const RedriveTaskInfo *taskIn(const RedriveTasksPanel &panel, const QString &taskId)
{
    return panel.taskModel()->task(panel.taskModel()->rowOf(taskId));
}

QString stateOf(const RedriveTasksPanel &panel, const QString &taskId)
{
    const auto *task = taskIn(panel, taskId);
    return task != nullptr ? QString::fromStdString(task->row.state) : QString();
}

} // namespace

class TestRedriveUi : public QObject
{
    Q_OBJECT

    /// Starts the demo with more poison than usual; `deadLettered` follows `group`'s count.
    void startPoisonedDemo(ConsoleSession &session, const char *group, std::int64_t &deadLettered)
    {
        connect(session.feed(), &ClusterFeed::snapshotReady, this,
                [group, &deadLettered](const ConsoleSnapshotPtr &snapshot) {
                    if (const auto *figures = snapshot->hosted(group)) {
                        deadLettered = figures->deadLettered.value_or(0);
                    }
                });
        session.start(ConsoleMode::Demo, test::demoConfig());
        QTRY_VERIFY_WITH_TIMEOUT(session.target().isSet(), 30000);
        QVERIFY(session.target().engine != nullptr);
        DemoTraffic traffic;
        traffic.poisonRate = 0.05;
        session.control()->setTraffic(traffic);
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void permanentFailuresAreTheEnginesOwn()
    {
        QVERIFY(consume::isPermanentErrorClass("PoisonEvent"));
        QVERIFY(consume::isPermanentErrorClass("SchemaError"));
        QVERIFY(consume::isPermanentErrorClass("dev.logdeck.PoisonEvent")); // Spring's header
        QVERIFY(!consume::isPermanentErrorClass("InjectedFailure"));
        QVERIFY(!consume::isPermanentErrorClass("com.acme.PoisonEvent")); // someone else's
        QVERIFY(!consume::isPermanentErrorClass("Timeout"));
        QVERIFY(!consume::isPermanentErrorClass(""));
        // The runtime's failures take their permanence from the same rule.
        QVERIFY(consume::failureOf(consume::error_class::kPoisonEvent, "x").permanent);
        QVERIFY(!consume::failureOf(consume::error_class::kInjectedFailure, "x").permanent);

        ops::DeadLetter letter;
        letter.errorClass = "dev.logdeck.SchemaError";
        QVERIFY(ops::isPermanentFailure(letter));
        letter.errorClass = "TimeoutError";
        QVERIFY(!ops::isPermanentFailure(letter));

        ops::RedrivePlan plan;
        QVERIFY(!plan.allPermanent()); // nothing to move: nothing to warn of
        plan.toMove = 3;
        plan.permanent = 2;
        QVERIFY(!plan.allPermanent());
        plan.permanent = 3;
        QVERIFY(plan.allPermanent());
    }

    void dialogBuildsTheTaskFromAFilter()
    {
        RedriveService service; // no target: the plan fails, the fields still make the task
        RedriveDialog dialog(&service, filterSelection(),
                             QStringLiteral("all matching: tenant=acme, error class=PoisonEvent"));
        ops::RedriveSpec spec = dialog.spec();
        QCOMPARE(spec.filter.topic, std::string("events.dlq"));
        QCOMPARE(spec.filter.tenant, std::string("acme"));
        QCOMPARE(spec.filter.errorClass, std::string("PoisonEvent"));
        QVERIFY(spec.ids.empty());
        QVERIFY(!spec.all);
        QCOMPARE(spec.target.kind, ops::RedriveTarget::Kind::Retry);
        QCOMPARE(spec.ratePerSecond, ops::RedriveSpec::kDefaultRate);
        QVERIFY(!spec.force);

        dialog.targetChoice()->setCurrentIndex(RedriveDialog::OriginalTopic);
        dialog.rateEdit()->setText(QStringLiteral("250"));
        dialog.forceBox()->setChecked(true);
        spec = dialog.spec();
        QCOMPARE(spec.target.kind, ops::RedriveTarget::Kind::Original);
        QCOMPARE(spec.ratePerSecond, 250.0);
        QVERIFY(spec.force);
        QVERIFY(spec.validate().has_value());

        // A named topic: the field must name one.
        dialog.targetChoice()->setCurrentIndex(RedriveDialog::NamedTopic);
        QVERIFY(dialog.targetError().contains(QStringLiteral("Name the topic")));
        QVERIFY(!dialog.startButton()->isEnabled());
        dialog.topicEdit()->setText(QStringLiteral(" orders.retry "));
        QVERIFY(dialog.targetError().isEmpty());
        spec = dialog.spec();
        QCOMPARE(spec.target.kind, ops::RedriveTarget::Kind::Topic);
        QCOMPARE(spec.target.topic, std::string("orders.retry"));
        QCOMPARE(spec.toJson(), ops::RedriveSpec::fromJson(spec.toJson())->toJson());

        // The whole topic.
        ops::RedriveSpec everything;
        everything.all = true;
        RedriveDialog all(&service, everything, QStringLiteral("every dead letter"));
        QVERIFY(all.spec().all);
        QVERIFY(all.spec().filter.selectsEverything());
        QCOMPARE(redriveSelectionText(everything), QStringLiteral("every dead letter"));
        QCOMPARE(redriveSelectionText(filterSelection()),
                 QStringLiteral("all matching: tenant=acme, error class=PoisonEvent"));

        // Without a cluster the plan fails and says why, beside the plan; nothing can start.
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.planError().isEmpty(), 5000);
        QVERIFY2(dialog.planError().contains(QStringLiteral("not connected")),
                 qPrintable(dialog.planError()));
        QVERIFY(!dialog.startButton()->isEnabled());
    }

    void dialogBuildsTheTaskFromASelection()
    {
        RedriveService service;
        ops::RedriveSpec selection;
        selection.filter.topic = "orders.dlq";
        selection.ids = {"orders.dlq:0:5", "orders.dlq:1:7", "orders.dlq:1:9"};
        RedriveDialog dialog(&service, selection, QStringLiteral("3 selected dead letters"));
        const ops::RedriveSpec spec = dialog.spec();
        QCOMPARE(spec.filter.topic, std::string("orders.dlq"));
        QCOMPARE(spec.ids, selection.ids);
        QVERIFY(!spec.all);
        QVERIFY(spec.filter.selectsEverything()); // the ids select, no filter narrows them
        QCOMPARE(spec.target.kind, ops::RedriveTarget::Kind::Retry);
        QVERIFY(spec.validate().has_value());
        QCOMPARE(redriveSelectionText(selection), QStringLiteral("3 selected dead letters"));

        // Opened for the DLQ page's request: not modal, gone when closed.
        QPointer<RedriveDialog> opened = openRedriveDialog(nullptr, &service, selection);
        QVERIFY(opened->isVisible());
        QVERIFY(!opened->isModal());
        QCOMPARE(opened->spec().ids, selection.ids);
        opened->close();
        QTRY_VERIFY(opened.isNull());
    }

    void badRateIsRefusedWithAMessage_data()
    {
        QTest::addColumn<QString>("rate");
        QTest::addColumn<bool>("accepted");
        QTest::newRow("zero") << "0" << false;
        QTest::newRow("negative") << "-5" << false;
        QTest::newRow("below one") << "0.5" << false;
        QTest::newRow("above the maximum") << "10001" << false;
        QTest::newRow("not a number") << "fast" << false;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("one") << "1" << true;
        QTest::newRow("maximum") << "10000" << true;
        QTest::newRow("fraction") << "2.5" << true;
    }

    void badRateIsRefusedWithAMessage()
    {
        QFETCH(QString, rate);
        QFETCH(bool, accepted);
        RedriveService service;
        RedriveDialog dialog(&service, filterSelection(), QStringLiteral("some"));
        QVERIFY(dialog.rateError().isEmpty());
        dialog.rateEdit()->setText(rate);
        if (accepted) {
            QVERIFY(dialog.rateError().isEmpty());
            QCOMPARE(dialog.spec().ratePerSecond, rate.toDouble());
        } else {
            QVERIFY(dialog.rateError().contains(QStringLiteral("from 1 to 10,000")));
            QVERIFY(dialog.planText().contains(QStringLiteral("No plan")));
            QVERIFY(!dialog.startButton()->isEnabled());
        }
    }

    /// The whole flow against the embedded engine: poison dead letters, a plan that warns
    /// they will fail again, the task run by the engine's runner, its outcome per message,
    /// and pause, resume and cancel from the panel.
    void redrivesPoisonThroughTheEngine()
    {
        ConsoleSession session;
        RedriveTasksPanel panel(session.redrive());
        QAbstractItemModelTester taskTester(panel.taskModel(),
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester outcomeTester(
            panel.outcomeModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        panel.resize(1100, 520);
        QVERIFY(!panel.mutationsVisible()); // until the window allows them
        panel.setMutationsAllowed(true);
        panel.show();

        std::int64_t deadLettered = 0;
        startPoisonedDemo(session, "analytics", deadLettered);
        if (QTest::currentTestFailed()) {
            return;
        }
        QTRY_VERIFY_WITH_TIMEOUT(deadLettered >= 5, 60000);
        panel.taskView()->setFocus();

        // Every poison dead letter of analytics up to now.
        ops::RedriveSpec selection;
        selection.filter.topic = "events.dlq";
        selection.filter.group = "analytics";
        selection.filter.errorClass = "PoisonEvent";
        selection.filter.untilMs = QDateTime::currentMSecsSinceEpoch();
        RedriveDialog dialog(session.redrive(), selection, redriveSelectionText(selection));
        dialog.show();
        QTRY_VERIFY_WITH_TIMEOUT(dialog.plan().has_value(), 30000);
        QVERIFY2(dialog.planError().isEmpty(), qPrintable(dialog.planError()));
        const std::int64_t toMove = dialog.plan()->toMove;
        QVERIFY(toMove >= 1);
        QCOMPARE(dialog.plan()->toSkip, std::int64_t(0));
        QCOMPARE(dialog.plan()->byTarget.at("events.retry.analytics"), toMove);
        QCOMPARE(dialog.plan()->byErrorClass.at("PoisonEvent"), toMove);
        QVERIFY(dialog.plan()->allPermanent());
        QVERIFY2(dialog.warningText().contains(QStringLiteral("failed permanently")),
                 qPrintable(dialog.warningText()));
        QVERIFY(dialog.planText().contains(QStringLiteral("%1 to move").arg(toMove)));
        QVERIFY(dialog.startButton()->isEnabled());
        QCOMPARE(dialog.startButton()->text(),
                 toMove == 1 ? QStringLiteral("Redrive 1 message at 100/s")
                             : QStringLiteral("Redrive %1 messages at 100/s").arg(toMove));

        // A topic that does not exist: the planning error says so beside the target.
        dialog.targetChoice()->setCurrentIndex(RedriveDialog::NamedTopic);
        dialog.topicEdit()->setText(QStringLiteral("no-such-topic"));
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.targetError().isEmpty(), 30000);
        QVERIFY2(dialog.targetError().contains(QStringLiteral("no-such-topic"))
                     && dialog.targetError().contains(QStringLiteral("do not exist")),
                 qPrintable(dialog.targetError()));
        QVERIFY(!dialog.plan().has_value());
        QVERIFY(!dialog.startButton()->isEnabled());
        screenshot(&dialog, QStringLiteral("redrive-dialog-error"));
        dialog.targetChoice()->setCurrentIndex(RedriveDialog::RetryTopic);

        // A faster rate: planned again (debounced), the button says so.
        dialog.rateEdit()->setText(QStringLiteral("500"));
        QVERIFY(!dialog.startButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(dialog.plan().has_value(), 30000);
        QVERIFY(dialog.startButton()->text().endsWith(QStringLiteral(" at 500/s")));
        screenshot(&dialog, QStringLiteral("redrive-dialog"));

        QSignalSpy started(&dialog, &RedriveDialog::taskStarted);
        dialog.startButton()->click();
        QVERIFY(started.wait(30000));
        const QString taskId = started.first().first().toString();
        QVERIFY(taskId.startsWith(QStringLiteral("rd-")));
        QVERIFY(!dialog.isVisible());

        // The panel lists it, newest first, and follows it to completed.
        panel.selectTask(taskId);
        QTRY_COMPARE_WITH_TIMEOUT(panel.selectedTask(), taskId, 10000);
        QCOMPARE(panel.taskModel()->rowOf(taskId), 0);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(panel, taskId), QStringLiteral("completed"), 30000);
        const RedriveTaskInfo *task = taskIn(panel, taskId);
        QCOMPARE(task->row.total, toMove);
        QCOMPARE(task->row.moved, toMove);
        QCOMPARE(task->rate, std::optional<double>(500));
        QCOMPARE(task->target, QStringLiteral("retry"));
        QVERIFY(task->row.finishedAtMs.has_value());
        QCOMPARE(panel.taskModel()
                     ->index(0, RedriveTaskModel::Progress)
                     .data(RedriveTaskModel::FractionRole)
                     .toDouble(),
                 1.0);

        // Each poison event is processed by analytics again and fails again.
        QTRY_COMPARE_WITH_TIMEOUT(panel.outcomeModel()->rowCount(), static_cast<int>(toMove),
                                  15000);
        QTRY_COMPARE_WITH_TIMEOUT(panel.outcomeModel()->count(RedriveItemOutcome::FailedAgain),
                                  static_cast<int>(toMove), 60000);
        QCOMPARE(panel.outcomeModel()->index(0, RedriveOutcomeModel::Outcome).data().toString(),
                 QStringLiteral("failed again"));
        QVERIFY(panel.outcomeModel()
                    ->index(0, RedriveOutcomeModel::Target)
                    .data()
                    .toString()
                    .startsWith(QStringLiteral("events.retry.analytics:")));
        QVERIFY2(panel.outcomeSummary().contains(QStringLiteral("%1 failed again").arg(toMove)),
                 qPrintable(panel.outcomeSummary()));
        screenshot(&panel, QStringLiteral("redrive-tasks-panel"));

        // The same selection again is skipped, unless forced: forced, at 1/s, it runs long
        // enough to be paused, resumed and cancelled from the panel.
        RedriveDialog again(session.redrive(), selection, QStringLiteral("the same"));
        QTRY_VERIFY_WITH_TIMEOUT(again.plan().has_value(), 30000);
        QCOMPARE(again.plan()->toMove, std::int64_t(0));
        QCOMPARE(again.plan()->toSkip, toMove);
        QVERIFY(again.planText().contains(QStringLiteral("Nothing to move")));
        QVERIFY(!again.startButton()->isEnabled());
        again.forceBox()->setChecked(true);
        again.rateEdit()->setText(QStringLiteral("1"));
        QTRY_VERIFY_WITH_TIMEOUT(again.plan().has_value(), 30000);
        QCOMPARE(again.plan()->toMove, toMove);
        QSignalSpy startedAgain(&again, &RedriveDialog::taskStarted);
        again.startButton()->click();
        QVERIFY(startedAgain.wait(30000));
        const QString slowId = startedAgain.first().first().toString();
        panel.selectTask(slowId);
        QTRY_COMPARE_WITH_TIMEOUT(panel.selectedTask(), slowId, 10000);
        QCOMPARE(panel.taskModel()->rowOf(slowId), 0); // newest first
        QVERIFY(panel.mutationsVisible());
        if (toMove > 2) {
            QTRY_VERIFY_WITH_TIMEOUT(panel.pauseButton()->isEnabled(), 10000);
            panel.pauseButton()->click();
            QTRY_COMPARE_WITH_TIMEOUT(stateOf(panel, slowId), QStringLiteral("paused"), 10000);
            QVERIFY(panel.resumeButton()->isEnabled());
            QVERIFY(!panel.pauseButton()->isEnabled());
            screenshot(&panel, QStringLiteral("redrive-tasks-panel-paused"));
            panel.resumeButton()->click();
            QTRY_VERIFY_WITH_TIMEOUT(stateOf(panel, slowId) == QStringLiteral("running")
                                         || stateOf(panel, slowId) == QStringLiteral("pending"),
                                     10000);
            QTRY_VERIFY_WITH_TIMEOUT(panel.cancelButton()->isEnabled(), 5000);
            panel.cancelButton()->click();
            QTRY_COMPARE_WITH_TIMEOUT(stateOf(panel, slowId), QStringLiteral("cancelled"), 10000);
            QTRY_VERIFY_WITH_TIMEOUT(panel.outcomeModel()->count(RedriveItemOutcome::Cancelled) > 0,
                                     15000);
            QVERIFY(!panel.cancelButton()->isEnabled());
        }
        // A change the task's state does not allow is refused with the reason.
        QSignalSpy changed(session.redrive(), &RedriveService::taskChanged);
        session.redrive()->pause(taskId); // completed
        QVERIFY(changed.wait(10000));
        QVERIFY(changed.last().at(3).toString().contains(QStringLiteral("completed")));
        QTRY_VERIFY_WITH_TIMEOUT(panel.statusText().contains(QStringLiteral("completed")), 5000);

        // Read-only: no pause, resume or cancel.
        panel.setMutationsAllowed(false);
        QVERIFY(!panel.mutationsVisible());
        session.stop();
        QTRY_COMPARE_WITH_TIMEOUT(panel.taskModel()->rowCount(), 0, 5000);
    }

    /// Attached to a cluster with no engine on the data directory, the console creates the
    /// task there and runs it itself, as `dlq redrive --execute` does.
    void attachedRunsTheTaskHere()
    {
        ConsoleSession session;
        std::int64_t deadLettered = 0;
        startPoisonedDemo(session, "persister", deadLettered);
        if (QTest::currentTestFailed()) {
            return;
        }
        QTRY_VERIFY_WITH_TIMEOUT(deadLettered >= 2, 60000);

        // The demo's mock cluster, observed as if attached: no engine, an empty data dir.
        QTemporaryDir data;
        OpsTarget attached;
        attached.generation = 1;
        attached.mode = ConsoleMode::Attach;
        attached.cluster = session.target().cluster;
        attached.dataDir = data.path().toStdString();
        RedriveService service;
        service.setTarget(attached);
        RedriveTasksPanel panel(&service);
        panel.show();
        QTRY_VERIFY_WITH_TIMEOUT(panel.outcomeSummary().contains(QStringLiteral("No redrive task")),
                                 10000);
        // No task: the panel is its title line alone; the first task brings the tables.
        QVERIFY(panel.isCollapsed());
        QVERIFY(!panel.taskView()->isVisible());
        QVERIFY(panel.maximumHeight() < 4 * panel.fontMetrics().height());
        QSignalSpy collapsed(&panel, &RedriveTasksPanel::collapsedChanged);

        ops::RedriveSpec selection;
        selection.filter.topic = "events.dlq";
        selection.filter.group = "persister";
        selection.filter.untilMs = QDateTime::currentMSecsSinceEpoch();
        RedriveDialog dialog(&service, selection, QStringLiteral("persister's dead letters"));
        dialog.rateEdit()->setText(QStringLiteral("1000"));
        QTRY_VERIFY_WITH_TIMEOUT(dialog.plan().has_value(), 30000);
        const std::int64_t toMove = dialog.plan()->toMove;
        QVERIFY(toMove >= 2);
        QSignalSpy started(&dialog, &RedriveDialog::taskStarted);
        dialog.startButton()->click();
        QVERIFY(started.wait(30000));
        const QString taskId = started.first().first().toString();
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(panel, taskId), QStringLiteral("completed"), 30000);
        QCOMPARE(taskIn(panel, taskId)->row.moved, toMove);
        QVERIFY(!panel.isCollapsed());
        QCOMPARE(collapsed.size(), 1);
        QCOMPARE(collapsed.first().first().toBool(), false);
        QVERIFY(panel.taskView()->isVisible());
        QVERIFY(QFile::exists(data.filePath(QStringLiteral("logdeck.db"))));
        // Each dead letter with where it went.
        panel.selectTask(taskId);
        QTRY_COMPARE_WITH_TIMEOUT(panel.outcomeModel()->rowCount(), static_cast<int>(toMove),
                                  15000);
        service.stop();
        session.stop();
    }
};

QTEST_MAIN(TestRedriveUi)
#include "tst_redrive_ui.moc"
