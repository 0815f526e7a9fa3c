// The Tenants, Fleet and Audit pages under the offscreen platform: the tenant timeline's
// state chips from a scripted inspection, an event's path, the fleet's stale engine from a
// scripted snapshot, and against the embedded demo engine: a real tenant's events, the
// engine in this process on the Fleet page, a pause on it and that pause in the audit log
// with its before and after.

#include "bridge/console_session.h"
#include "main_window.h"
#include "models/audit_models.h"
#include "models/fleet_models.h"
#include "models/tenant_models.h"
#include "ops/record_address.h"
#include "support/demo_config.h"
#include "views/audit_page.h"
#include "views/fleet_page.h"
#include "views/tenants_page.h"
#include "widgets/chip_delegate.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace logdeck;
using namespace logdeck::ui;

namespace {

const std::int64_t kNowMs = QDateTime::currentMSecsSinceEpoch();

/// Five events of tenant acme, each in another state in "analytics"; "persister" knows
/// only the first (the others' state there is unknown).
TenantInspectionPtr scriptedInspection()
{
    auto inspection = std::make_shared<ops::TenantInspection>();
    inspection->tenant = "acme";
    inspection->partition = 3;
    inspection->groups = {"analytics", "persister"};
    const ops::EventState states[] = {ops::EventState::Processed, ops::EventState::Pending,
                                      ops::EventState::InRetry, ops::EventState::DeadLettered,
                                      ops::EventState::Redriven};
    int i = 0;
    for (const auto state : states) {
        ops::InspectedEvent event;
        event.eventId = "ev-" + std::to_string(i);
        event.type = i % 2 == 0 ? "click" : "view";
        event.campaignId = "spring";
        event.occurredAtMs = kNowMs - 60'000 + i * 1000; // oldest first, as ops returns them
        event.receivedAtMs = event.occurredAtMs + 5;
        event.partition = 3;
        event.offset = 100 + i;
        event.states["analytics"] = state;
        if (i == 0) {
            event.states["persister"] = ops::EventState::Processed;
        }
        inspection->events.push_back(event);
        ++i;
    }
    return inspection;
}

/// The chips of `row`'s States cell as "text" strings and their colours.
QVariantList chipsOf(const TenantTimelineModel &model, int row)
{
    return model.index(row, TenantTimelineModel::States).data(kChipsRole).toList();
}

QString chipText(const QVariant &chipValue)
{
    return chipValue.toMap().value(QStringLiteral("text")).toString();
}

QColor chipColour(const QVariant &chipValue)
{
    return chipValue.toMap().value(QStringLiteral("colour")).value<QColor>();
}

ops::EngineHeartbeat heartbeat(const std::string &instance, std::int64_t sentAtMs)
{
    ops::EngineHeartbeat h;
    h.instance = instance;
    h.host = "host-" + instance;
    h.pid = 42;
    h.version = "0.1.0";
    h.mode = "broker";
    h.startedAtMs = sentAtMs - 3'600'000;
    h.sentAtMs = sentAtMs;
    h.groups.push_back({"analytics", "running", 10, 0, 1.5, {}});
    h.groups.push_back({"persister", "paused", 5, 1, 0, {}});
    return h;
}

} // namespace

class TestTenantsFleetAudit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void timelineShowsEachStateNewestFirst()
    {
        TenantTimelineModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setInspection(scriptedInspection());
        QCOMPARE(model.rowCount(), 5);
        // Newest first: the redriven one (the last) on top.
        QCOMPARE(model.index(0, TenantTimelineModel::Event).data().toString(),
                 QStringLiteral("ev-4"));
        // Where each event is, in the one record notation.
        QCOMPARE(model.headerData(TenantTimelineModel::Where, Qt::Horizontal).toString(),
                 QStringLiteral("Record"));
        QCOMPARE(model.index(0, TenantTimelineModel::Where).data().toString(),
                 QStringLiteral("events.raw:3:104"));
        const std::pair<QString, ops::EventState> expected[] = {
            {QStringLiteral("analytics: redriven"), ops::EventState::Redriven},
            {QStringLiteral("analytics: DLQ"), ops::EventState::DeadLettered},
            {QStringLiteral("analytics: retry"), ops::EventState::InRetry},
            {QStringLiteral("analytics: pending"), ops::EventState::Pending},
            {QStringLiteral("analytics: processed"), ops::EventState::Processed},
        };
        QSet<QRgb> colours;
        for (int row = 0; row < 5; ++row) {
            const QVariantList chips = chipsOf(model, row);
            QCOMPARE(chips.size(), 2); // one per group
            QCOMPARE(chipText(chips.at(0)), expected[row].first);
            QCOMPARE(chipColour(chips.at(0)), eventStateColour(expected[row].second));
            colours.insert(chipColour(chips.at(0)).rgb());
        }
        QCOMPARE(colours.size(), 5); // each state has its own colour
        // persister knows only ev-0: the others are unknown, grey, never "processed".
        QCOMPARE(chipText(chipsOf(model, 4).at(1)), QStringLiteral("persister: processed"));
        QCOMPARE(chipText(chipsOf(model, 0).at(1)), QStringLiteral("persister: unknown"));
        QCOMPARE(chipColour(chipsOf(model, 0).at(1)), eventStateColour(std::nullopt));
        QVERIFY(!colours.contains(eventStateColour(std::nullopt).rgb()));

        // Filters: a state, a group, free text.
        TenantTimelineModel::Filter filter;
        filter.state = ops::EventState::DeadLettered;
        model.setFilter(filter);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.eventAt(0)->eventId, std::string("ev-3"));
        filter.state = ops::EventState::Processed;
        filter.group = QStringLiteral("persister");
        model.setFilter(filter);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(chipsOf(model, 0).size(), 1);
        QCOMPARE(chipText(chipsOf(model, 0).at(0)), QStringLiteral("persister: processed"));
        filter = {};
        filter.text = QStringLiteral("VIEW");
        model.setFilter(filter);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.shownEvents().size(), std::size_t(2));
    }

    void tenantsPageFiltersAndExportsWhatItShows()
    {
        TenantsPage page;
        // A scripted inspection as the service would hand it.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        page.timelineModel()->setInspection(scriptedInspection());
        page.stateFilter()->setCurrentIndex(page.stateFilter()->findText(QStringLiteral("retry")));
        QCOMPARE(page.timelineModel()->rowCount(), 1);
        page.stateFilter()->setCurrentIndex(0);
        page.textFilter()->setText(QStringLiteral("click"));
        QCOMPARE(page.timelineModel()->rowCount(), 3);
        QSignalSpy exported(&page, &TenantsPage::exportFinished);
        const QString path = dir.filePath(QStringLiteral("acme.jsonl"));
        page.exportTo(path);
        QVERIFY(exported.wait(10000));
        QCOMPARE(exported.first().at(1).toString(), QString());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines.first().contains("\"eventId\":\"ev-4\""));
        QVERIFY(lines.first().contains("\"analytics\":\"redriven\""));
    }

    void eventPathShowsEveryHopWithTimes()
    {
        auto trace = std::make_shared<ops::EventTrace>();
        trace->tenant = "acme";
        trace->event = scriptedInspection()->events.at(3);
        const std::int64_t t0 = trace->event.receivedAtMs;
        trace->hops = {
            {ops::Hop::Kind::Accepted, "", t0, "", -1, -1, "collector"},
            {ops::Hop::Kind::Logged, "", t0 + 3, "events.raw", 3, 103, ""},
            {ops::Hop::Kind::Retried, "analytics", t0 + 40, "events.retry.analytics", 1, 7, "Timeout"},
            {ops::Hop::Kind::DeadLettered, "analytics", t0 + 2500, "events.dlq", 0, 9, "gave up"},
            {ops::Hop::Kind::Redriven, "analytics", t0 + 90'000, "events.raw", 3, 500, ""},
            {ops::Hop::Kind::Processed, "persister", 0, "", -1, -1, "its dedup key is recorded"},
        };
        EventPathModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setTrace(trace);
        QCOMPARE(model.rowCount(), 6);
        QCOMPARE(model.index(2, EventPathModel::Hop).data().toString(), QStringLiteral("retried"));
        QCOMPARE(model.index(2, EventPathModel::Since).data().toString(), QStringLiteral("+40 ms"));
        QCOMPARE(model.index(3, EventPathModel::Where).data().toString(),
                 QStringLiteral("events.dlq:0:9"));
        QCOMPARE(model.index(3, EventPathModel::Since).data().toString(), QStringLiteral("+2.5 s"));
        // A hop without a time says so; it is not given the epoch.
        QCOMPARE(model.index(5, EventPathModel::Time).data().toString(), QStringLiteral("unknown"));
        QCOMPARE(model.index(5, EventPathModel::Since).data().toString(), QStringLiteral("–"));
    }

    void fleetMarksAStaleEngineAndKeepsTheLiveOne()
    {
        GroupControl control;
        FleetPage page(&control);
        QAbstractItemModelTester tester(page.fleetModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester groupTester(page.groupModel(),
                                             QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto snapshot = std::make_shared<ConsoleSnapshot>();
        snapshot->atMs = kNowMs;
        snapshot->heartbeats = {heartbeat("engine-live", kNowMs - 1500),
                                heartbeat("engine-old", kNowMs - 5 * 60'000)};
        snapshot->engines = {snapshot->heartbeats.front()};
        page.setMutationsAllowed(true);
        page.showSnapshot(snapshot);

        FleetModel *model = page.fleetModel();
        QCOMPARE(model->rowCount(), 2);
        const int live = model->rowOf(QStringLiteral("engine-live"));
        const int old = model->rowOf(QStringLiteral("engine-old"));
        QCOMPARE(model->index(live, FleetModel::State).data().toString(), QStringLiteral("alive"));
        QCOMPARE(model->index(old, FleetModel::State).data().toString(),
                 QStringLiteral("silent (stale)"));
        QCOMPARE(model->index(old, FleetModel::State).data(Qt::ForegroundRole).value<QBrush>().color(),
                 FleetModel::livenessColour(ops::EngineLiveness::Silent));
        QCOMPARE(model->index(old, FleetModel::LastHeartbeat).data().toString(),
                 QStringLiteral("5m00s ago"));
        QCOMPARE(model->index(live, FleetModel::Uptime).data().toString(), QStringLiteral("1h00m"));
        QVERIFY(page.summaryText().contains(QStringLiteral("1 silent")));
        // The same rule as logdeck-cli fleet.
        QCOMPARE(ops::engineLiveness(snapshot->heartbeats.back(), kNowMs, ops::kHeartbeatFreshness),
                 ops::EngineLiveness::Silent);

        // The live engine's groups can be steered; the silent one's cannot.
        page.selectEngine(QStringLiteral("engine-live"));
        QCOMPARE(page.groupModel()->rowCount(), 2);
        page.selectGroup(QStringLiteral("persister"));
        QVERIFY(page.steerButton()->isVisibleTo(&page));
        QCOMPARE(page.steerButton()->text(), QStringLiteral("Resume persister on this engine"));
        QVERIFY(page.steerButton()->isEnabled());
        page.selectEngine(QStringLiteral("engine-old"));
        QVERIFY(!page.steerButton()->isEnabled());
        // Read-only hides the action.
        page.setMutationsAllowed(false);
        QVERIFY(!page.steerButton()->isVisibleTo(&page));
        QVERIFY(!page.mutationsVisible());
    }

    void auditModelsShowBeforeAndAfter()
    {
        auto entries = std::make_shared<std::vector<store::AuditEntry>>();
        store::AuditEntry pause;
        pause.id = 1;
        pause.atMs = kNowMs - 1000;
        pause.user = "ops";
        pause.host = "box";
        pause.operation = "groups.pause";
        pause.target = "analytics";
        pause.parameters = R"({"engines":["e1"]})";
        pause.before = R"({"state":{"e1":"running"}})";
        pause.after = R"({"state":{"e1":"paused"}})";
        store::AuditEntry failed = pause;
        failed.id = 2;
        failed.operation = "groups.resume";
        failed.result = "e1: timed out";
        entries->push_back(pause);
        entries->push_back(failed);
        AuditLogModel log;
        QAbstractItemModelTester tester(&log, QAbstractItemModelTester::FailureReportingMode::QtTest);
        log.setEntries(entries);
        QCOMPARE(log.rowCount(), 2);
        QCOMPARE(log.index(0, AuditLogModel::Operation).data().toString(),
                 QStringLiteral("groups.resume")); // newest first
        QCOMPARE(log.index(0, AuditLogModel::Who).data().toString(), QStringLiteral("ops@box"));
        QCOMPARE(log.operationsSeen(),
                 (QStringList {QStringLiteral("groups.pause"), QStringLiteral("groups.resume")}));
        AuditChangeModel changes;
        QAbstractItemModelTester changeTester(&changes,
                                              QAbstractItemModelTester::FailureReportingMode::QtTest);
        changes.setEntry(log.entryAt(1));
        QCOMPARE(changes.rowCount(), 1);
        QCOMPARE(changes.index(0, AuditChangeModel::Field).data().toString(),
                 QStringLiteral("state.e1"));
        QCOMPARE(changes.index(0, AuditChangeModel::Before).data().toString(),
                 QStringLiteral("\"running\""));
        QCOMPARE(changes.index(0, AuditChangeModel::After).data().toString(),
                 QStringLiteral("\"paused\""));
        QVERIFY(changes.index(0, AuditChangeModel::After).data(Qt::BackgroundRole).isValid());
    }

    void demoEngineTenantFleetAndAudit()
    {
        ConsoleSession session;
        MainWindow window(&session);
        window.show();
        session.start(ConsoleMode::Demo, test::demoConfig());

        // Tenants: the first demo tenant is preselected and its real events appear, with a
        // known state in the groups hosted here.
        TenantsPage *tenants = window.tenantsPage();
        QTRY_VERIFY_WITH_TIMEOUT(!tenants->knownTenants().isEmpty(), 30000);
        QCOMPARE(tenants->tenant(), tenants->knownTenants().first());
        // The demo's first events may still be on their way: inspect again until they show.
        QSignalSpy inspected(tenants, &TenantsPage::inspectionShown);
        for (int attempt = 0; attempt < 100 && tenants->timelineModel()->rowCount() == 0;
             ++attempt) {
            if (inspected.isEmpty()) {
                QVERIFY(inspected.wait(30000));
            }
            QVERIFY2(inspected.takeFirst().at(0).toString().isEmpty(),
                     qPrintable(tenants->statusText()));
            if (tenants->timelineModel()->rowCount() == 0) {
                tenants->refresh();
            }
        }
        QVERIFY(tenants->timelineModel()->rowCount() > 0);
        const auto inspection = tenants->timelineModel()->inspection();
        QCOMPARE(inspection->tenant, tenants->tenant().toStdString());
        QVERIFY(!inspection->groups.empty());
        QVERIFY(std::ranges::any_of(inspection->events, [](const ops::InspectedEvent &event) {
            return !event.states.empty();
        }));
        // Record addresses as topic:partition:offset, in the status line and whole in the
        // timeline's Record column.
        const ops::InspectedEvent &newest = inspection->events.back();
        QVERIFY(newest.offset >= 0);
        const QString newestAddress = QString::fromStdString(
            ops::formatRecordAddress("events.raw", newest.partition, newest.offset));
        QVERIFY2(tenants->statusText().contains(newestAddress), qPrintable(tenants->statusText()));
        QVERIFY2(!tenants->statusText().contains(QStringLiteral("events.raw[")),
                 qPrintable(tenants->statusText()));
        QTableView *timeline = tenants->timelineView();
        QCOMPARE(timeline->model()->index(0, TenantTimelineModel::Where).data().toString(),
                 newestAddress);
        const int addressWidth = timeline->fontMetrics().horizontalAdvance(newestAddress);
        QTRY_VERIFY_WITH_TIMEOUT(
            timeline->columnWidth(TenantTimelineModel::Where) > addressWidth, 5000);
        // The selected event's path starts at the collector.
        QTRY_VERIFY_WITH_TIMEOUT(tenants->pathModel()->rowCount() > 0, 30000);
        QCOMPARE(tenants->pathModel()->index(0, EventPathModel::Hop).data().toString(),
                 QStringLiteral("accepted"));

        // Fleet: the engine in this process, from its own heartbeat, alive.
        FleetPage *fleet = window.fleetPage();
        const QString instance =
            QString::fromStdString(session.target().engine->instanceId());
        QTRY_VERIFY_WITH_TIMEOUT(fleet->fleetModel()->rowOf(instance) >= 0, 30000);
        QCOMPARE(fleet->fleetModel()->livenessAt(fleet->fleetModel()->rowOf(instance)),
                 ops::EngineLiveness::Alive);
        QVERIFY(window.mutationsVisible());

        // Pause analytics on this engine from the Fleet page; it shows up in the audit log
        // with its before and after.
        window.showPage(MainWindow::Page::Fleet);
        fleet->selectEngine(instance);
        QTRY_VERIFY_WITH_TIMEOUT(fleet->groupModel()->rowOf(QStringLiteral("analytics")) >= 0,
                                 30000);
        fleet->selectGroup(QStringLiteral("analytics"));
        QTRY_VERIFY_WITH_TIMEOUT(fleet->steerButton()->isEnabled()
                                     && fleet->steerButton()->text().startsWith(QStringLiteral("Pause")),
                                 15000);
        fleet->steerButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(fleet->steerOutcomeText().contains(QStringLiteral("done")), 30000);
        QTRY_VERIFY_WITH_TIMEOUT(
            fleet->groupModel()->index(fleet->groupModel()->rowOf(QStringLiteral("analytics")),
                                       EngineGroupModel::State)
                    .data()
                    .toString()
                == QStringLiteral("paused"),
            30000);

        AuditPage *audit = window.auditPage();
        window.showPage(MainWindow::Page::Audit);
        QTRY_VERIFY_WITH_TIMEOUT(audit->logModel()->rowCount() > 0, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(
            audit->logModel()->index(0, AuditLogModel::Operation).data().toString(),
            QStringLiteral("groups.pause"), 15000);
        QCOMPARE(audit->logModel()->index(0, AuditLogModel::Target).data().toString(),
                 QStringLiteral("analytics"));
        audit->logView()->setCurrentIndex(audit->logModel()->index(0, 0));
        QVERIFY(audit->parametersText().contains(QStringLiteral("console")));
        AuditChangeModel *changes = audit->changeModel();
        QCOMPARE(changes->rowCount(), 1);
        QCOMPARE(changes->index(0, AuditChangeModel::Field).data().toString(),
                 QStringLiteral("state.") + instance);
        QCOMPARE(changes->index(0, AuditChangeModel::Before).data().toString(),
                 QStringLiteral("\"running\""));
        QCOMPARE(changes->index(0, AuditChangeModel::After).data().toString(),
                 QStringLiteral("\"paused\""));

        // Resumed through the session's GroupControl: the live poll brings it in on top;
        // filtering by operation keeps only the pause.
        QSignalSpy finished(session.control(), &GroupControl::finished);
        session.control()->resumeGroup(QStringLiteral("analytics"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QCOMPARE(finished.first().at(2).toString(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(
            audit->logModel()->index(0, AuditLogModel::Operation).data().toString(),
            QStringLiteral("groups.resume"), 3 * AuditPage::kPollIntervalMs + 5000);
        QSignalSpy shown(audit, &AuditPage::logShown);
        audit->setOperationFilter(QStringLiteral("groups.pause"));
        QVERIFY(shown.wait(10000));
        QCOMPARE(audit->logModel()->rowCount(), 1);
        QCOMPARE(audit->logModel()->index(0, AuditLogModel::Operation).data().toString(),
                 QStringLiteral("groups.pause"));
        audit->textFilter()->setText(QStringLiteral("no-such-text"));
        QTRY_COMPARE_WITH_TIMEOUT(audit->logModel()->rowCount(), 0, 10000);
        session.stop();
    }
};

QTEST_MAIN(TestTenantsFleetAudit)
#include "tst_tenants_fleet_audit.moc"
