// The tenant inspector against a real engine on the real broker: one tenant with events in
// every state (processed by all, pending in a paused group, waiting in retry, dead-lettered,
// redriven), reported exactly by `logdeck-cli tenant inspect` as JSON and CSV, from the
// persister's index and from a scan of the partition alike; `--event` follows one event
// through its hops in time order. Then the same command against an embedded engine
// running in another process.

#include "common/time_format.h"
#include "engine.h"
#include "kafka/producer.h"
#include "kafka/topic_catalog.h"
#include "ops/tenant_inspector.h"
#include "store/database.h"
#include "store/tenant_store.h"
#include "support/cli_runner.h"
#include "support/test_broker.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <future>

using namespace logdeck;
using namespace std::chrono_literals;

namespace {

/// Event id → group → state, as the inspector and the CLI both report it.
using States = QMap<QString, QMap<QString, QString>>;

const QString kAnalytics = QStringLiteral("analytics");
const QString kPersister = QStringLiteral("persister");

std::string eventValue(const std::string &tenant, const std::string &id, std::int64_t occurredAt,
                       bool poison)
{
    return R"({"id":")" + id + R"(","tenant":")" + tenant
        + R"(","campaignId":"spring-sale","type":"click","occurredAt":")"
        + formatRfc3339(occurredAt) + R"(","receivedAt":")" + formatRfc3339(occurredAt + 5)
        + R"(","attributes":{"device":"mobile")" + (poison ? R"(,"logdeck.poison":true)" : "")
        + "}}";
}

/// Produces one record and returns where it landed.
kafka::DeliveryReport produce(kafka::Producer &producer, const kafka::OutgoingRecord &record)
{
    auto delivered = std::make_shared<std::promise<kafka::DeliveryReport>>();
    auto future = delivered->get_future();
    if (auto queued = producer.produce(
            record, [delivered](const kafka::DeliveryReport &r) { delivered->set_value(r); });
        !queued) {
        kafka::DeliveryReport failed;
        failed.error = queued.error();
        return failed;
    }
    return future.wait_for(30s) == std::future_status::ready ? future.get()
                                                             : kafka::DeliveryReport {};
}

States statesOf(const ops::TenantInspection &inspection)
{
    States states;
    for (const auto &event : inspection.events) {
        auto &row = states[QString::fromStdString(event.eventId)];
        for (const auto &[group, state] : event.states) {
            row[QString::fromStdString(group)] = QString::fromLatin1(ops::stateName(state).data());
        }
    }
    return states;
}

States statesOf(const QJsonArray &events)
{
    States states;
    for (const auto &value : events) {
        const QJsonObject event = value.toObject();
        auto &row = states[event.value(QStringLiteral("eventId")).toString()];
        const QJsonObject perGroup = event.value(QStringLiteral("states")).toObject();
        for (auto it = perGroup.begin(); it != perGroup.end(); ++it) {
            row[it.key()] = it.value().toString();
        }
    }
    return states;
}

QStringList idsOf(const QJsonArray &events)
{
    QStringList ids;
    for (const auto &value : events) {
        ids.append(value.toObject().value(QStringLiteral("eventId")).toString());
    }
    return ids;
}

QJsonObject parseObject(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

} // namespace

class TestTenantInspector : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_data;
    std::unique_ptr<Engine> m_engine;
    std::string m_tenant;
    States m_expected;
    QStringList m_idsInTimeOrder;

    ops::InspectorSources sources() const
    {
        return {test::brokerSettings(), m_data.path().toStdString()};
    }

    ops::TenantInspection inspect(bool scanOnly = false) const
    {
        ops::TenantQuery query;
        query.tenant = m_tenant;
        query.scanOnly = scanOnly;
        auto inspection = ops::inspectTenant(sources(), query);
        if (!inspection) {
            qWarning("inspection failed: %s", inspection.error().message.c_str());
            return {};
        }
        return *inspection;
    }

    /// Waits until the inspector reports `expected` for the events it names.
    bool reaches(const States &expected, std::chrono::milliseconds timeout)
    {
        QDeadlineTimer deadline(timeout);
        States seen;
        while (!deadline.hasExpired()) {
            seen = statesOf(inspect());
            bool all = true;
            for (auto it = expected.begin(); it != expected.end(); ++it) {
                all = all && seen.value(it.key()) == it.value();
            }
            if (all) {
                return true;
            }
            QTest::qWait(200);
        }
        qWarning() << "expected" << expected << "but the inspector reports" << seen;
        return false;
    }

    bool isPaused(const std::string &group) const
    {
        const auto groups = m_engine->groupMetrics();
        return std::ranges::any_of(
            groups, [&](const consume::GroupMetrics &g) { return g.group == group && g.paused; });
    }

    QStringList cli(const QStringList &options) const
    {
        return QStringList {QStringLiteral("tenant"), QStringLiteral("inspect"),
                            QString::fromStdString(m_tenant), QStringLiteral("--data"),
                            m_data.path()}
        + options;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(test::cliPath()), "LOGDECK_CLI must point at logdeck-cli");
        QVERIFY(m_data.isValid());
        Config config;
        config.setBootstrapServers(test::brokerBootstrap());
        config.listen = "off";
        config.dataDir = m_data.path().toStdString();
        config.groups = {"analytics", "persister"};
        // A retried event waits ten minutes: long enough to be seen in retry.
        Config::GroupSettings analytics;
        analytics.backoffMs = {600000};
        config.groupSettings["analytics"] = analytics;
        m_engine = std::make_unique<Engine>(config);
        auto started = m_engine->start();
        QVERIFY2(started.has_value(), started ? "" : started.error().message.c_str());

        m_tenant = test::uniqueName("inspect");
        {
            auto db = store::Database::open(store::Database::pathIn(config.dataDir));
            QVERIFY(db.has_value());
            QVERIFY(store::TenantStore(**db).addTenant(m_tenant).has_value());
        }
        auto producer = kafka::Producer::create(test::brokerSettings());
        QVERIFY(producer.has_value());
        const std::int64_t base = nowMillis() - 60'000;
        int sent = 0;
        auto send = [&](const std::string &id, bool poison) {
            const std::int64_t occurredAt = base + 1000 * sent++;
            const auto report = produce(**producer,
                                        {std::string(kafka::topics::kRaw),
                                         std::nullopt,
                                         m_tenant,
                                         eventValue(m_tenant, id, occurredAt, poison),
                                         {{"event-id", id},
                                          {"tenant-id", m_tenant},
                                          {"received-at", formatRfc3339(occurredAt + 5)}},
                                         0});
            m_idsInTimeOrder.append(QString::fromStdString(id));
            return !report.error && report.offset >= 0;
        };

        // Processed by every group, and dead-lettered by every group.
        QVERIFY(send("done-1", false));
        QVERIFY(send("done-2", false));
        QVERIFY(send("poison-1", true));
        QVERIFY(send("poison-2", true));
        States expected;
        for (const char *id : {"done-1", "done-2"}) {
            expected[QLatin1String(id)] = {{kAnalytics, "processed"}, {kPersister, "processed"}};
        }
        for (const char *id : {"poison-1", "poison-2"}) {
            expected[QLatin1String(id)] = {{kAnalytics, "dlq"}, {kPersister, "dlq"}};
        }
        QVERIFY(reaches(expected, 60s));

        // In retry for analytics, which fails everything for now; processed by the persister.
        QVERIFY(m_engine->setGroupFaults("analytics", {1.0, 0ms, true}).has_value());
        QVERIFY(send("retrying", false));
        expected[QStringLiteral("retrying")] = {{kAnalytics, "retry"}, {kPersister, "processed"}};
        QVERIFY(reaches(expected, 60s));

        // Pending in analytics, paused; processed by the persister.
        QVERIFY(m_engine->pauseGroup("analytics").has_value());
        QTRY_VERIFY_WITH_TIMEOUT(isPaused("analytics"), 10000);
        QVERIFY(send("waiting", false));
        expected[QStringLiteral("waiting")] = {{kAnalytics, "pending"}, {kPersister, "processed"}};
        QVERIFY(reaches(expected, 60s));

        // Redriven: poison-2's analytics dead letter goes back to analytics' retry topic, as
        // the redrive task does, and the paused group has not read it.
        ops::TenantQuery query;
        query.tenant = m_tenant;
        auto trace = ops::traceEvent(sources(), query, "poison-2");
        QVERIFY2(trace.has_value(), trace ? "" : trace.error().message.c_str());
        const auto deadLetter = std::ranges::find_if(trace->hops, [](const ops::Hop &hop) {
            return hop.kind == ops::Hop::Kind::DeadLettered && hop.group == "analytics";
        });
        QVERIFY(deadLetter != trace->hops.end());
        const auto copy =
            produce(**producer,
                    {kafka::topics::retryTopic("analytics"),
                     std::nullopt,
                     m_tenant,
                     eventValue(m_tenant, "poison-2", base + 3000, true),
                     {{"event-id", "poison-2"}, {"tenant-id", m_tenant}, {"redrive-count", "1"}},
                     0});
        QVERIFY(!copy.error);
        auto engineDb = store::Database::open(store::Database::pathIn(config.dataDir));
        QVERIFY(engineDb.has_value());
        const std::string insert = "INSERT INTO redrive_ledger VALUES('" + deadLetter->topic + "', "
            + std::to_string(deadLetter->partition) + ", " + std::to_string(deadLetter->offset)
            + ", 1, 'task-1', 'poison-2', '" + m_tenant + "', 'analytics', '" + copy.topic + "', "
            + std::to_string(copy.partition) + ", " + std::to_string(copy.offset) + ", 'oncall', "
            + std::to_string(nowMillis()) + ")";
        QVERIFY((*engineDb)->exec(insert).has_value());
        expected[QStringLiteral("poison-2")][kAnalytics] = QStringLiteral("redriven");
        QVERIFY(reaches(expected, 30s));
        m_expected = expected;
    }

    void cleanupTestCase()
    {
        if (m_engine) {
            m_engine->stop();
        }
    }

    void jsonReportsEveryStateExactly()
    {
        const auto outcome = test::runCli(cli({QStringLiteral("--json")}));
        QCOMPARE(outcome.exitCode, 0);
        const QJsonObject report = parseObject(outcome.out);
        QCOMPARE(report.value(QStringLiteral("tenant")).toString(),
                 QString::fromStdString(m_tenant));
        QCOMPARE(report.value(QStringLiteral("groups")).toArray(),
                 QJsonArray({kAnalytics, kPersister}));
        // The persister has read everything: its index alone answers.
        QCOMPARE(report.value(QStringLiteral("source")).toString(), QStringLiteral("index"));
        const QJsonArray events = report.value(QStringLiteral("events")).toArray();
        QCOMPARE(idsOf(events), m_idsInTimeOrder);
        QCOMPARE(statesOf(events), m_expected);
        for (const auto &value : events) {
            const QJsonObject event = value.toObject();
            QCOMPARE(event.value(QStringLiteral("partition")).toInt(),
                     test::javaPartitionForKey(m_tenant, 6));
            QVERIFY(event.value(QStringLiteral("offset")).toInteger() >= 0);
        }
        QVERIFY(outcome.err.contains(QStringLiteral("6 event(s)")));
    }

    void csvHasTheSameRowsAsJson()
    {
        const auto json = test::runCli(cli({QStringLiteral("--json")}));
        const auto csv = test::runCli(cli({QStringLiteral("--csv")}));
        QCOMPARE(csv.exitCode, 0);
        const QJsonArray events = parseObject(json.out).value(QStringLiteral("events")).toArray();
        QStringList lines = csv.out.split(QStringLiteral("\r\n"), Qt::SkipEmptyParts);
        QCOMPARE(lines.takeFirst(),
                 QStringLiteral("time,event,type,partition,offset,analytics,persister"));
        QCOMPARE(lines.size(), events.size());
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const QJsonObject event = events.at(i).toObject();
            const QJsonObject states = event.value(QStringLiteral("states")).toObject();
            const QStringList expected {
                event.value(QStringLiteral("time")).toString(),
                event.value(QStringLiteral("eventId")).toString(),
                event.value(QStringLiteral("type")).toString(),
                QString::number(event.value(QStringLiteral("partition")).toInt()),
                QString::number(event.value(QStringLiteral("offset")).toInteger()),
                states.value(kAnalytics).toString(),
                states.value(kPersister).toString()};
            QCOMPARE(lines.at(i).split(QLatin1Char(',')), expected);
        }
    }

    void partitionScanFindsWhatTheIndexHolds()
    {
        const auto outcome =
            test::runCli(cli({QStringLiteral("--json"), QStringLiteral("--scan")}));
        QCOMPARE(outcome.exitCode, 0);
        const QJsonObject report = parseObject(outcome.out);
        QCOMPARE(report.value(QStringLiteral("source")).toString(), QStringLiteral("scan"));
        const QJsonArray events = report.value(QStringLiteral("events")).toArray();
        QCOMPARE(idsOf(events), m_idsInTimeOrder);
        QCOMPARE(statesOf(events), m_expected);
        const QJsonArray indexed = parseObject(test::runCli(cli({QStringLiteral("--json")})).out)
                                       .value(QStringLiteral("events"))
                                       .toArray();
        QCOMPARE(events, indexed);
    }

    void eventTraceFollowsEveryHopInOrder_data()
    {
        QTest::addColumn<QString>("event");
        QTest::addColumn<QStringList>("hops"); // "hop group"
        QTest::newRow("processed by all")
            << "done-1"
            << QStringList {"accepted ", "logged ", "processed analytics", "processed persister"};
        QTest::newRow("retried") << "retrying"
                                 << QStringList {"accepted ", "logged ", "retried analytics",
                                                 "processed persister"};
        QTest::newRow("pending") << "waiting"
                                 << QStringList {"accepted ", "logged ", "pending analytics",
                                                 "processed persister"};
        QTest::newRow("dead-lettered and redriven")
            << "poison-2"
            << QStringList {"accepted ", "logged ", "dead-lettered analytics",
                            "dead-lettered persister", "redriven analytics"};
    }

    void eventTraceFollowsEveryHopInOrder()
    {
        QFETCH(QString, event);
        QFETCH(QStringList, hops);
        const auto outcome =
            test::runCli(cli({QStringLiteral("--event"), event, QStringLiteral("--json")}));
        QCOMPARE(outcome.exitCode, 0);
        const QJsonObject trace = parseObject(outcome.out);
        QCOMPARE(trace.value(QStringLiteral("event")).toObject().value(QStringLiteral("eventId")),
                 QJsonValue(event));
        QStringList seen;
        QString lastTime;
        for (const auto &value : trace.value(QStringLiteral("hops")).toArray()) {
            const QJsonObject hop = value.toObject();
            const QString kind = hop.value(QStringLiteral("hop")).toString();
            seen.append(kind + QLatin1Char(' ') + hop.value(QStringLiteral("group")).toString());
            const QJsonValue time = hop.value(QStringLiteral("time"));
            // Every hop with a record has its time, and times never go back.
            if (kind != QLatin1String("processed") && kind != QLatin1String("pending")) {
                QVERIFY2(time.isString(), qPrintable(kind));
            }
            if (time.isString()) {
                QVERIFY2(time.toString() >= lastTime, qPrintable(outcome.out));
                lastTime = time.toString();
            }
        }
        // The two groups' hops interleave by time; compare each group's own order.
        for (const QString &group : {QString(), kAnalytics, kPersister}) {
            auto ofGroup = [&](const QStringList &list) {
                QStringList mine;
                for (const QString &hop : list) {
                    if (hop.section(QLatin1Char(' '), 1) == group) {
                        mine.append(hop);
                    }
                }
                return mine;
            };
            QCOMPARE(ofGroup(seen), ofGroup(hops));
        }
        QCOMPARE(seen.size(), hops.size());
        QCOMPARE(seen.first(), QStringLiteral("accepted "));
        QCOMPARE(seen.at(1), QStringLiteral("logged "));
    }

    void badInputIsRefused_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown tenant")
            << QStringList {"tenant", "inspect", "nobody-here", "--data", "DATA"} << 1
            << "unknown tenant 'nobody-here'";
        QTest::newRow("bad time") << QStringList {"--since", "yesterday"} << 2 << "not a time";
        QTest::newRow("since in the future")
            << QStringList {"--since", "2099-01-01T00:00:00Z"} << 2 << "in the future";
        QTest::newRow("range ends first")
            << QStringList {"--since", "2h", "--until", "3h"} << 2 << "ends before it starts";
        QTest::newRow("json and csv") << QStringList {"--json", "--csv"} << 2 << "--csv";
        QTest::newRow("unknown group")
            << QStringList {"--group", "no-such-group"} << 1 << "unknown group 'no-such-group'";
        QTest::newRow("unknown event")
            << QStringList {"--event", "no-such-event"} << 1 << "event 'no-such-event'";
    }

    void badInputIsRefused()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        if (arguments.first() == QLatin1String("tenant")) {
            arguments.replace(arguments.indexOf(QStringLiteral("DATA")), m_data.path());
        } else {
            arguments = cli(arguments);
        }
        const auto outcome = test::runCli(arguments);
        QCOMPARE(outcome.exitCode, exitCode);
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.err));
    }

    void embeddedEngineInAnotherProcess()
    {
        QTemporaryDir data;
        QProcess engine;
        engine.start(test::cliPath(),
                     {QStringLiteral("run"), QStringLiteral("--embedded"), QStringLiteral("--data"),
                      data.path()});
        QVERIFY(engine.waitForStarted(5000));
        QString tenant;
        QDeadlineTimer ready(30s);
        while (tenant.isEmpty() && !ready.hasExpired() && engine.state() == QProcess::Running) {
            engine.waitForReadyRead(200);
            while (engine.canReadLine()) {
                const QString line = QString::fromUtf8(engine.readLine()).trimmed();
                if (line.startsWith(QLatin1String("key."))) {
                    tenant = line.mid(4, line.indexOf(QLatin1Char('=')) - 4);
                }
            }
        }
        QVERIFY2(!tenant.isEmpty(), "the embedded engine printed no demo tenant");
        const QStringList inspect {QStringLiteral("tenant"),
                                   QStringLiteral("inspect"),
                                   tenant,
                                   QStringLiteral("--data"),
                                   data.path(),
                                   QStringLiteral("--limit"),
                                   QStringLiteral("20"),
                                   QStringLiteral("--json")};
        // The demo traffic reaches the tenant within seconds.
        QJsonArray events;
        QJsonObject report;
        QDeadlineTimer deadline(60s);
        while (events.isEmpty() && !deadline.hasExpired()) {
            const auto outcome = test::runCli(inspect);
            report = parseObject(outcome.out);
            events = report.value(QStringLiteral("events")).toArray();
            if (events.isEmpty()) {
                QTest::qWait(500);
            }
        }
        QVERIFY2(!events.isEmpty(), "no event of the demo tenant was found");
        QVERIFY(events.size() <= 20);
        for (const auto &value : events) {
            const QJsonObject states = value.toObject().value(QStringLiteral("states")).toObject();
            QCOMPARE(states.keys(),
                     QStringList({kAnalytics, QStringLiteral("enrichment"), kPersister}));
        }
        const QString id = events.first().toObject().value(QStringLiteral("eventId")).toString();
        const auto traced = test::runCli({QStringLiteral("tenant"), QStringLiteral("inspect"),
                                          tenant, QStringLiteral("--data"), data.path(),
                                          QStringLiteral("--event"), id, QStringLiteral("--json")});
        QCOMPARE(traced.exitCode, 0);
        const QJsonArray hops = parseObject(traced.out).value(QStringLiteral("hops")).toArray();
        QVERIFY(hops.size() >= 3);
        QCOMPARE(hops.at(0).toObject().value(QStringLiteral("hop")).toString(),
                 QStringLiteral("accepted"));
        QCOMPARE(hops.at(1).toObject().value(QStringLiteral("hop")).toString(),
                 QStringLiteral("logged"));
        ::kill(static_cast<pid_t>(engine.processId()), SIGTERM);
        QVERIFY(engine.waitForFinished(15000));
    }
};

QTEST_GUILESS_MAIN(TestTenantInspector)
#include "tst_tenant_inspector.moc"
