// A running engine (logdeck-cli run on its own real broker) fed what a hostile client or a
// foreign producer can send: each input gets a clear 4xx or a dead letter with an error
// class, the engine stays up and keeps processing, and nothing valid is lost.

#include "engine_info.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "ops/control_plane.h"
#include "store/database.h"
#include "store/tenant_store.h"
#include "support/cli_runner.h"
#include "support/engine_process.h"
#include "support/http_client.h"
#include "support/test_broker.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <memory>
#include <unistd.h>

using namespace logdeck;
using namespace std::chrono_literals;

namespace {

std::string eventBody(const std::string &id, const std::string &attributes = "{}")
{
    return R"({"id":")" + id
        + R"(","campaignId":"spring","type":"click","occurredAt":"2026-11-26T15:04:05Z","attributes":)"
        + attributes + "}";
}

} // namespace

class TestHostileEngine : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::OwnBroker> m_broker;
    QTemporaryDir m_data;
    QProcess m_engine;
    std::string m_key;
    quint16 m_port = 0;
    std::unique_ptr<test::HttpClient> m_http;
    std::unique_ptr<kafka::Producer> m_producer;
    std::int64_t m_goodEvents = 0;

    std::string data() const { return m_data.path().toStdString(); }
    QString bootstrap() const { return QString::fromStdString(m_broker->bootstrap()); }

    QStringList runArguments() const
    {
        return {"run",    "--broker", bootstrap(), "--data",      m_data.path(),
                "--listen", QStringLiteral("127.0.0.1:%1").arg(m_port), "--log-level", "warn"};
    }

    /// Starts the engine with `extra` arguments; true once it printed its collector address.
    bool startEngine(const QStringList &extra, QProcess::ProcessChannelMode mode)
    {
        m_engine.setProcessChannelMode(mode);
        m_engine.start(test::cliPath(), runArguments() + extra);
        QDeadlineTimer deadline(60s);
        QByteArray out;
        while (!deadline.hasExpired() && !out.contains("collector=")
               && m_engine.state() != QProcess::NotRunning) {
            m_engine.waitForReadyRead(200);
            out += m_engine.readAllStandardOutput();
        }
        return out.contains("collector=");
    }

    /// Produces `value` to `topic` as any client could, and waits for the broker's ack.
    void produceRaw(const std::string &topic, const std::string &key, const std::string &value,
                    kafka::Headers headers = {})
    {
        QVERIFY(m_producer->produce({topic, std::nullopt, key, value, std::move(headers), 0})
                    .has_value());
        QVERIFY(m_producer->flush(10s).has_value());
    }

    /// A valid event is accepted and counted: the engine is alive and processing.
    void engineStillProcesses()
    {
        QCOMPARE(m_engine.state(), QProcess::Running);
        const auto answer =
            m_http->postJson("/v1/events", m_key, eventBody("good-" + std::to_string(m_goodEvents)));
        QCOMPARE(answer.status, 202);
        ++m_goodEvents;
        QTRY_COMPARE_WITH_TIMEOUT(test::analyticsTotal(data()), m_goodEvents, 30000);
        QCOMPARE(m_engine.state(), QProcess::Running);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_broker = std::make_unique<test::OwnBroker>();
        QVERIFY2(!m_broker->bootstrap().empty(), "the test's own broker did not start");
        {
            auto db = store::Database::open(store::Database::pathIn(data()));
            QVERIFY(db.has_value());
            auto key = store::TenantStore(**db).addTenant("acme");
            QVERIFY(key.has_value());
            m_key = *key;
        }
        m_port = test::freeLocalPort();
        QVERIFY2(startEngine({}, QProcess::ForwardedErrorChannel), "the engine did not start");
        m_http = std::make_unique<test::HttpClient>("127.0.0.1", m_port);
        auto producer = kafka::Producer::create(m_broker->settings());
        QVERIFY(producer.has_value());
        m_producer = std::move(*producer);
        engineStillProcesses();
    }

    void cleanupTestCase()
    {
        if (m_engine.state() == QProcess::Running) {
            ::kill(static_cast<pid_t>(m_engine.processId()), SIGTERM);
            QVERIFY(m_engine.waitForFinished(30000));
            QCOMPARE(m_engine.exitCode(), 0);
        }
    }

    /// 100,000 levels of attributes once got a 202, then killed every group on every
    /// restart; with unsorted keys it killed the request thread.
    void deepAttributesGet422NamingTheField()
    {
        const std::string deep = std::string(100000, '[') + std::string(100000, ']');
        for (const std::string &attributes : {R"({"a":)" + deep + "}", R"({"b":1,"a":)" + deep + "}"}) {
            const auto answer = m_http->postJson("/v1/events", m_key, eventBody("deep", attributes));
            QCOMPARE(answer.status, 422);
            const auto body = QJsonDocument::fromJson(QByteArray::fromStdString(answer.body)).object();
            QCOMPARE(body.value("field").toString(), QStringLiteral("attributes"));
            QCOMPARE(body.value("error").toString(),
                     QStringLiteral("attributes may nest at most 32 levels deep"));
        }
        engineStillProcesses();
    }

    /// A producer that bypasses the collector: every group dead-letters what it cannot read,
    /// with SchemaError and the reason, and goes on.
    void unreadableRecordsAreDeadLettered()
    {
        const std::string deep = std::string(100000, '[') + std::string(100000, ']');
        produceRaw("events.raw", "acme", eventBody("deep-record", R"({"a":)" + deep + "}"));
        produceRaw("events.raw", "acme", std::string("\xff\x00garbage", 9));
        engineStillProcesses();
        QJsonArray letters;
        QDeadlineTimer deadline(60s);
        while (!deadline.hasExpired() && letters.size() < 2) {
            const auto listed = test::runCli({"dlq", "list", "--broker", bootstrap(), "--group",
                                              "analytics", "--json"});
            QCOMPARE(listed.exitCode, 0);
            letters = QJsonDocument::fromJson(listed.out.toUtf8()).array();
            if (letters.size() < 2) {
                QTest::qWait(500);
            }
        }
        QCOMPARE(letters.size(), 2);
        QStringList messages;
        for (const auto &letter : letters) {
            QCOMPARE(letter.toObject().value("errorClass").toString(), QStringLiteral("SchemaError"));
            messages << letter.toObject().value("errorMessage").toString();
        }
        messages.sort();
        QCOMPARE(messages,
                 QStringList({"the record value is not a Logdeck event: the record value is not "
                              "valid JSON",
                              "the record value is not a Logdeck event: the record value nests "
                              "deeper than 64 levels"}));
    }

    /// {"id":1} on logdeck.control once terminated every engine; foreign heartbeats on
    /// logdeck.status are skipped by the fleet view.
    void foreignControlAndStatusRecordsAreSkipped()
    {
        const kafka::Headers command = {{"logdeck-message", "command"}};
        produceRaw("logdeck.control", "x", R"({"id":1})", command);
        produceRaw("logdeck.control", "x", "\xff not json", command);
        produceRaw("logdeck.control", "x", std::string(10000, '[') + std::string(10000, ']'),
                   command);
        produceRaw("logdeck.status", "foreign", R"({"instance":"foreign","pid":"12"})");
        produceRaw("logdeck.status", "garbage", "\x01\x02");
        engineStillProcesses();

        const auto fleet = test::runCli({"fleet", "--broker", bootstrap(), "--json"});
        QCOMPARE(fleet.exitCode, 0);
        const QJsonArray engines = QJsonDocument::fromJson(fleet.out.toUtf8()).array();
        QCOMPARE(engines.size(), 1);
        const auto info = readEngineInfo(data());
        QVERIFY(info.has_value());
        QCOMPARE(engines.at(0).toObject().value("instance").toString(),
                 QString::fromStdString(info->instance));

        // A command whose arguments have the wrong types is refused in its ack.
        ops::ControlCommand pause;
        pause.target = info->instance;
        pause.operation = "group.pause";
        pause.arguments = R"({"group":7})";
        const auto acks = ops::sendCommand(m_broker->settings(), pause, {info->instance}, 30s);
        QVERIFY2(acks.has_value(), acks ? "" : acks.error().message.c_str());
        QCOMPARE(acks->size(), std::size_t(1));
        QVERIFY(!acks->front().ok);
        QVERIFY2(acks->front().message.starts_with("the arguments of group.pause do not fit"),
                 acks->front().message.c_str());
        engineStillProcesses();
    }

    /// A reset of a Logdeck group that also has a member Logdeck does not control once
    /// stopped the group for 60 s before it refused. It refuses at once, naming the member,
    /// and the group keeps running.
    void resetRefusesAtOnceWithAForeignMember()
    {
        auto foreign = kafka::Consumer::create(
            {{"bootstrap.servers", m_broker->bootstrap()}, {"client.id", "foreign-tool"}},
            "analytics");
        QVERIFY(foreign.has_value());
        QVERIFY((*foreign)->subscribe({"events.raw"}).has_value());
        const auto describeMembers = [&] {
            auto admin = kafka::AdminClient::create(m_broker->settings());
            auto description = admin ? (*admin)->describeGroup("analytics", 5s)
                                     : Result<kafka::GroupDescription>(fail(admin.error()));
            return description ? description->members.size() : std::size_t(0);
        };
        QDeadlineTimer joined(60s);
        while (!joined.hasExpired() && describeMembers() < 2) {
            (void)(*foreign)->poll(100, 200ms); // the member joins inside poll
        }
        QCOMPARE(describeMembers(), std::size_t(2));

        QElapsedTimer elapsed;
        elapsed.start();
        const auto reset = test::runCli({"groups", "reset-offsets", "--group", "analytics",
                                         "--topic", "events.raw", "--to-earliest", "--broker",
                                         bootstrap(), "--data", m_data.path(), "--execute"},
                                        QProcessEnvironment::systemEnvironment(), 120000);
        QVERIFY2(reset.exitCode != 0, qPrintable(reset.out));
        QVERIFY2(reset.err.contains("active members that Logdeck does not control")
                     && reset.err.contains("foreign-tool"),
                 qPrintable(reset.err));
        QVERIFY2(elapsed.elapsed() < 30000, qPrintable(QString::number(elapsed.elapsed())));
        (*foreign)->close();
        engineStillProcesses(); // never stopped
    }

    /// A group store truncated to 0 bytes was once recreated in silence, and the engine
    /// went on from Kafka's offsets: rollups fell from 224,306 to 0. Now the group is
    /// refused with the ways on, the other groups run, and accepting the loss is explicit.
    void truncatedGroupStoreIsRefused()
    {
        const std::string store = data() + "/groups/analytics.db";
        QVERIFY(QFileInfo(QString::fromStdString(store)).size() > 0);
        ::kill(static_cast<pid_t>(m_engine.processId()), SIGTERM);
        QVERIFY(m_engine.waitForFinished(30000));
        QCOMPARE(m_engine.exitCode(), 0);
        QVERIFY(::truncate(store.c_str(), 0) == 0);

        QVERIFY(startEngine({}, QProcess::SeparateChannels)); // its log is read below
        QByteArray errors;
        QDeadlineTimer deadline(30s);
        while (!deadline.hasExpired() && !errors.contains("group.refused")) {
            m_engine.waitForReadyRead(200);
            errors += m_engine.readAllStandardError();
        }
        QVERIFY2(errors.contains("group.refused"), errors.constData());
        QVERIFY(errors.contains("groups/analytics.db is empty (0 bytes) while Kafka holds "
                                "committed offsets for the group"));
        QVERIFY(errors.contains("--to-earliest --rebuild --execute"));
        QVERIFY(errors.contains("--accept-state-loss analytics"));
        // The other groups run; the refused one is shown as such, not as healthy.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto fleet = test::runCli({"fleet", "--broker", bootstrap(), "--json"});
                const auto engines = QJsonDocument::fromJson(fleet.out.toUtf8()).array();
                for (const auto &engine : engines) {
                    for (const auto &group : engine.toObject().value("groups").toArray()) {
                        if (group.toObject().value("group").toString() == "analytics") {
                            return group.toObject().value("state").toString() == "refused";
                        }
                    }
                }
                return false;
            }(),
            30000);
        QCOMPARE(test::analyticsTotal(data()), std::int64_t(0)); // nothing recreated behind the user

        // Accepting the loss is explicit, and then the group runs again.
        ::kill(static_cast<pid_t>(m_engine.processId()), SIGTERM);
        QVERIFY(m_engine.waitForFinished(30000));
        QVERIFY(startEngine({"--accept-state-loss", "analytics"}, QProcess::ForwardedErrorChannel));
        m_goodEvents = 0; // the analytics counts start again from here
        engineStillProcesses();
    }

    /// A second engine on the same data directory once joined the same groups with the
    /// same databases and, on exit, removed the first one's engine.json.
    void secondEngineOnTheSameDataDirectoryIsRefused()
    {
        QProcess second;
        second.start(test::cliPath(), runArguments());
        QVERIFY(second.waitForFinished(60000));
        QCOMPARE(second.exitCode(), 1);
        const QString error = QString::fromUtf8(second.readAllStandardError());
        QVERIFY2(error.contains(QStringLiteral("is in use by another engine (pid %1)")
                                    .arg(m_engine.processId())),
                 qPrintable(error));
        QVERIFY(readEngineInfo(data()).has_value());
        engineStillProcesses();
    }
};

QTEST_GUILESS_MAIN(TestHostileEngine)
#include "tst_hostile_engine.moc"
