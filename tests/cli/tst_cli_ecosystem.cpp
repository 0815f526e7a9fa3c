// logdeck-cli as an on-call engineer who knows Kafka's tools and kcat meets it: the embedded
// flow without --data, Kafka's option names, client ids in kafka-consumer-groups, a reset
// of a plain Kafka group whose printed undo line works, dlq --limit/--tail, and loadgen
// saying when it missed its rate. Real broker where Kafka is involved.

#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "support/cli_runner.h"
#include "support/test_broker.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>
#include <csignal>

using namespace logdeck;
using namespace std::chrono_literals;

namespace {

constexpr int kPartitions = 2;

/// An environment of its own: the engine registry in `runtime`, the default data directory
/// under `dataHome` (both temporary), no LOGDECK_DATA.
struct Isolated
{
    Isolated()
    {
        environment.remove(QStringLiteral("LOGDECK_DATA"));
        environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
        environment.insert(QStringLiteral("XDG_DATA_HOME"), dataHome.path());
    }

    QTemporaryDir runtime;
    QTemporaryDir dataHome;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
};

/// `logdeck-cli run --embedded` in an environment of its own, as in the README's first
/// terminal; a test stops it with test::stopCliEngine, or it is killed when it goes.
struct EmbeddedEngine : Isolated
{
    EmbeddedEngine()
        : values(test::startCliEngine(process, {QStringLiteral("--embedded")}, environment))
    {
    }

    /// Runs `fleet` until it lists `text` (the engine's first heartbeat takes a moment) or
    /// fails, for 30 s at the most: its last outcome.
    test::CliOutcome fleetListing(const QString &text) const
    {
        const QDeadlineTimer heartbeat(30s);
        test::CliOutcome fleet;
        for (int attempt = 0; attempt < 300; ++attempt) {
            fleet = test::runCli({QStringLiteral("fleet")}, environment);
            if (fleet.exitCode != 0 || fleet.out.contains(text) || heartbeat.hasExpired()) {
                break;
            }
            QTest::qWait(100);
        }
        return fleet;
    }

    QProcess process;
    /// What it printed once ready: bootstrap.servers, collector, data, key.<tenant>.
    QMap<QString, QString> values;
};

/// A new topic of kPartitions partitions holding `records` records (round robin, keyed "k";
/// record i stamped `firstMs` + i minutes when `firstMs` is given), and `group` committed at
/// `committed` on it, as a plain Kafka consumer would.
bool seedGroup(const std::string &topic, const std::string &group, int records,
               const std::vector<std::int64_t> &committed, std::int64_t firstMs = 0)
{
    auto admin = kafka::AdminClient::create(test::brokerSettings());
    if (!admin || !(*admin)->createTopics({{topic, kPartitions, {}}}, 30s)) {
        return false;
    }
    std::vector<kafka::OutgoingRecord> outgoing;
    for (int i = 0; i < records; ++i) {
        outgoing.push_back({topic, i % kPartitions, "k", "v" + std::to_string(i), {},
                            firstMs > 0 ? firstMs + i * 60'000 : 0, false});
    }
    auto consumer = kafka::Consumer::create(test::brokerSettings(), group);
    if (!test::produceAll(outgoing) || !consumer) {
        return false;
    }
    std::vector<kafka::TopicPartitionOffset> positions;
    for (int p = 0; p < kPartitions; ++p) {
        positions.push_back({topic, p, committed[static_cast<std::size_t>(p)]});
    }
    const bool ok = (*consumer)->assign(positions) && (*consumer)->commit(positions);
    (*consumer)->close();
    return ok;
}

std::vector<std::int64_t> committedBy(const std::string &group, const std::string &topic)
{
    std::vector<std::int64_t> offsets(kPartitions, -1);
    auto admin = kafka::AdminClient::create(test::brokerSettings());
    if (!admin) {
        return offsets;
    }
    auto committed = (*admin)->committedOffsets(group, 10s, {});
    if (committed) {
        for (const auto &c : *committed) {
            if (c.topic == topic && c.partition < kPartitions) {
                offsets[static_cast<std::size_t>(c.partition)] = c.offset;
            }
        }
    }
    return offsets;
}

} // namespace

class TestCliEcosystem : public QObject
{
    Q_OBJECT

private:
    QString broker() const { return QString::fromStdString(test::brokerBootstrap()); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(test::cliPath()), "LOGDECK_CLI must point at logdeck-cli");
    }

    /// The README's flow: `run --embedded` in one terminal, then `fleet`, `groups list` and
    /// `audit list` in another, with no --data.
    void embeddedEngineIsFoundWithoutData()
    {
        EmbeddedEngine engine;
        const auto &environment = engine.environment;
        const auto &values = engine.values;
        const QString data = values.value(QStringLiteral("data"));
        QVERIFY2(!data.isEmpty() && QFile::exists(data + QStringLiteral("/engine.json")),
                 qPrintable(data));
        QVERIFY(values.value(QStringLiteral("collector")).startsWith(QStringLiteral("http://")));

        // The engine's first heartbeat may take a moment; then fleet lists it.
        const auto fleet = engine.fleetListing(QStringLiteral("embedded"));
        QVERIFY2(fleet.exitCode == 0, qPrintable(fleet.err));
        QVERIFY2(fleet.out.contains(QStringLiteral("embedded")), qPrintable(fleet.out));
        const auto groups = test::runCli({QStringLiteral("groups"), QStringLiteral("list")},
                                         environment);
        QVERIFY2(groups.exitCode == 0, qPrintable(groups.err));
        QVERIFY2(groups.out.contains(QStringLiteral("analytics")), qPrintable(groups.out));
        // The audit log is the engine's: its demo tenants are in it.
        const auto audit =
            test::runCli({QStringLiteral("audit"), QStringLiteral("list")}, environment);
        QVERIFY2(audit.exitCode == 0 && audit.out.contains(QStringLiteral("tenants.add")),
                 qPrintable(audit.out + audit.err));
        // Tables: no trailing blanks, every row as wide as its content needs.
        for (const QString &line : audit.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            QVERIFY2(!line.endsWith(QLatin1Char(' ')), qPrintable(line));
        }

        // Loadgen says when it missed its rate: one connection cannot send 200000 req/s.
        const auto load = test::runCli(
            {QStringLiteral("loadgen"), QStringLiteral("--url"),
             values.value(QStringLiteral("collector")), QStringLiteral("--key"),
             values.value(QStringLiteral("key.acme")), QStringLiteral("--rate"),
             QStringLiteral("200000"), QStringLiteral("--connections"), QStringLiteral("1"),
             QStringLiteral("--duration"), QStringLiteral("1"), QStringLiteral("--json")},
            environment, 60000);
        QVERIFY2(load.exitCode == 0, qPrintable(load.err));
        QVERIFY2(load.err.contains(QStringLiteral("WARNING: missed the target rate: target "
                                                  "200000.0 req/s")),
                 qPrintable(load.err));
        const QJsonObject report = QJsonDocument::fromJson(load.out.toUtf8()).object();
        QCOMPARE(report.value(QStringLiteral("missedTargetRate")).toBool(), true);
        QCOMPARE(report.value(QStringLiteral("targetRate")).toDouble(), 200000.0);
        QVERIFY(report.value(QStringLiteral("requestsNotSent")).toDouble() > 0);

        QCOMPARE(test::stopCliEngine(engine.process), 0);
        // Registered no more: the commands say so rather than reach a stopped engine.
        const auto after = test::runCli({QStringLiteral("fleet")}, environment);
        QCOMPARE(after.exitCode, 1);
        QVERIFY2(after.err.contains(QStringLiteral("no data directory"))
                     || after.err.contains(QStringLiteral("no running engine")),
                 qPrintable(after.err));
        // Nobody operated on it beyond the demo: the temporary directory is gone.
        QVERIFY(!QFile::exists(data));
    }

    /// An operation on an embedded run keeps its data directory, and the log says where.
    void embeddedRunKeepsItsAuditAndUndoFiles()
    {
        EmbeddedEngine engine;
        const QString data = engine.values.value(QStringLiteral("data"));
        QVERIFY(!data.isEmpty());
        const auto fleet = engine.fleetListing(QStringLiteral("analytics"));
        QVERIFY2(fleet.out.contains(QStringLiteral("analytics")), qPrintable(fleet.out + fleet.err));
        const auto paused = test::runCli(
            {QStringLiteral("groups"), QStringLiteral("pause"), QStringLiteral("analytics")},
            engine.environment);
        QVERIFY2(paused.exitCode == 0, qPrintable(paused.err));
        QCOMPARE(test::stopCliEngine(engine.process), 0);
        const QString log = QString::fromUtf8(engine.process.readAllStandardError());
        QVERIFY2(log.contains(QStringLiteral("event=engine.data_kept")), qPrintable(log));
        QVERIFY(QFile::exists(data + QStringLiteral("/logdeck.db")));
        QDir(data).removeRecursively();
    }

    /// Kafka's and kcat's names for --broker, on a command that takes one.
    void bootstrapServerAndBAreBroker_data()
    {
        QTest::addColumn<QString>("option");
        QTest::newRow("--broker") << QStringLiteral("--broker");
        QTest::newRow("--bootstrap-server") << QStringLiteral("--bootstrap-server");
        QTest::newRow("-b") << QStringLiteral("-b");
    }
    void bootstrapServerAndBAreBroker()
    {
        QFETCH(QString, option);
        const Isolated isolated;
        const auto listed = test::runCli({QStringLiteral("dlq"), QStringLiteral("list"), option,
                                          broker(), QStringLiteral("--topic"),
                                          QStringLiteral("no-such-dlq")},
                                         isolated.environment);
        // It reached the broker: the answer is about the topic, not the option.
        QCOMPARE(listed.exitCode, 1);
        QVERIFY2(listed.err.contains(QStringLiteral("topic 'no-such-dlq' does not exist")),
                 qPrintable(listed.err));
    }

    /// An engine's consumers are told apart in Kafka's own kafka-consumer-groups by their
    /// client.id, logdeck-<instance>-<group>; `groups describe --group G` shows the same.
    void clientIdsShowInKafkasTools()
    {
        const Isolated isolated;
        QTemporaryDir data;
        const auto &environment = isolated.environment;
        QProcess engine;
        const auto values = test::startCliEngine(engine,
                                        {QStringLiteral("--bootstrap-server"), broker(),
                                         QStringLiteral("--data"), data.path(),
                                         QStringLiteral("--listen"), QStringLiteral("off")},
                                        environment);
        QCOMPARE(values.value(QStringLiteral("data")), data.path());
        QFile engineFile(data.filePath(QStringLiteral("engine.json")));
        QVERIFY(engineFile.open(QIODevice::ReadOnly));
        const QString instance = QJsonDocument::fromJson(engineFile.readAll())
                                     .object()
                                     .value(QStringLiteral("instance"))
                                     .toString();
        QVERIFY(!instance.isEmpty());
        const QString clientId = QStringLiteral("logdeck-%1-persister").arg(instance);

        auto admin = kafka::AdminClient::create(test::brokerSettings());
        QVERIFY(admin.has_value());
        QDeadlineTimer joined(60s);
        bool member = false;
        while (!member && !joined.hasExpired()) {
            const auto described = (*admin)->describeGroup("persister", 5s);
            member = described
                && std::ranges::any_of(described->members, [&](const auto &m) {
                       return m.clientId == clientId.toStdString();
                   });
            if (!member) {
                QTest::qWait(500);
            }
        }
        QVERIFY2(member, qPrintable(clientId));

        QProcess tool;
        tool.start(QStringLiteral("java"),
                   {QStringLiteral("-cp"), test::kafkaClasspath(),
                    QStringLiteral("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"),
                    QStringLiteral("--bootstrap-server"), broker(), QStringLiteral("--describe"),
                    QStringLiteral("--group"), QStringLiteral("persister"),
                    QStringLiteral("--members")});
        QVERIFY(tool.waitForFinished(60000));
        const QString members = QString::fromUtf8(tool.readAllStandardOutput());
        QVERIFY2(members.contains(clientId), qPrintable(members + tool.readAllStandardError()));

        const auto described = test::runCli(
            {QStringLiteral("groups"), QStringLiteral("describe"), QStringLiteral("--group"),
             QStringLiteral("persister"), QStringLiteral("-b"), broker()},
            environment);
        QVERIFY2(described.exitCode == 0, qPrintable(described.err));
        QVERIFY2(described.out.contains(clientId), qPrintable(described.out));
        QCOMPARE(test::stopCliEngine(engine), 0);
    }

    /// A reset with --broker and no engine here: it says where the audit row and the undo
    /// file went, the undo line works as printed, and a plain Kafka group gets no word
    /// about dedup state.
    void resetOfAPlainGroupUndoesAsPrinted()
    {
        const std::string topic = test::uniqueName("cli-eco");
        const std::string group = test::uniqueName("cli-eco-group");
        QVERIFY(seedGroup(topic, group, 10, {4, 3}));
        const Isolated isolated;
        const auto &environment = isolated.environment;
        const auto reset = test::runCli(
            {QStringLiteral("groups"), QStringLiteral("reset-offsets"), QStringLiteral("--group"),
             QString::fromStdString(group), QStringLiteral("--topic"),
             QString::fromStdString(topic), QStringLiteral("--to-earliest"),
             QStringLiteral("--bootstrap-server"), broker(), QStringLiteral("--execute")},
            environment, 60000);
        QVERIFY2(reset.exitCode == 0, qPrintable(reset.err));
        QCOMPARE(committedBy(group, topic), (std::vector<std::int64_t> {0, 0}));
        QVERIFY2(!reset.err.contains(QStringLiteral("dedup")), qPrintable(reset.err));
        const QString dataDir = isolated.dataHome.path() + QStringLiteral("/logdeck");
        QVERIFY2(reset.err.contains(QStringLiteral("in %1/logdeck.db").arg(dataDir)),
                 qPrintable(reset.err));
        const QRegularExpression undoLine(QStringLiteral("^Undo: logdeck-cli (.*)$"),
                                          QRegularExpression::MultilineOption);
        const auto match = undoLine.match(reset.err);
        QVERIFY2(match.hasMatch(), qPrintable(reset.err));
        QVERIFY2(match.captured(1).contains(QStringLiteral("--data ") + dataDir),
                 qPrintable(match.captured(1)));

        // The printed line, run by a shell as it stands.
        QProcess shell;
        QProcessEnvironment shellEnvironment = environment;
        shellEnvironment.insert(QStringLiteral("PATH"),
                                QFileInfo(test::cliPath()).absolutePath() + QLatin1Char(':')
                                    + environment.value(QStringLiteral("PATH")));
        shell.setProcessEnvironment(shellEnvironment);
        shell.start(QStringLiteral("sh"),
                    {QStringLiteral("-c"), QStringLiteral("logdeck-cli ") + match.captured(1)});
        QVERIFY(shell.waitForFinished(60000));
        QVERIFY2(shell.exitCode() == 0, shell.readAllStandardError().constData());
        QCOMPARE(committedBy(group, topic), (std::vector<std::int64_t> {4, 3}));

        // Both resets are in that audit log.
        const auto audit =
            test::runCli({QStringLiteral("audit"), QStringLiteral("list"), QStringLiteral("--data"),
                          dataDir, QStringLiteral("--operation"),
                          QStringLiteral("groups.reset-offsets")},
                         environment);
        QCOMPARE(audit.out.split(QLatin1Char('\n')).filter(QString::fromStdString(group)).size(),
                 2);
    }

    /// A local time as Kafka's tool takes it, in a zone 5:30 ahead of UTC: records stamped a
    /// minute apart, the reset to 90 s after the first lands on each partition's second.
    void resetToAZoneLessLocalTime()
    {
        const std::string topic = test::uniqueName("cli-eco-time");
        const std::string group = test::uniqueName("cli-eco-time-group");
        const qint64 firstMs = QDateTime::currentMSecsSinceEpoch() - 86'400'000;
        QVERIFY(seedGroup(topic, group, 4, {0, 0}, firstMs));
        Isolated isolated;
        QProcessEnvironment &environment = isolated.environment;
        environment.insert(QStringLiteral("TZ"), QStringLiteral("Asia/Kolkata"));
        const QString local =
            QDateTime::fromMSecsSinceEpoch(firstMs + 90'000, QTimeZone("Asia/Kolkata"))
                .toString(QStringLiteral("yyyy-MM-dd'T'HH:mm:ss.zzz"));
        const auto reset = test::runCli(
            {QStringLiteral("groups"), QStringLiteral("reset-offsets"), QStringLiteral("--group"),
             QString::fromStdString(group), QStringLiteral("--topic"),
             QString::fromStdString(topic), QStringLiteral("--to-datetime"), local,
             QStringLiteral("-b"), broker(), QStringLiteral("--execute")},
            environment, 60000);
        QVERIFY2(reset.exitCode == 0, qPrintable(reset.err));
        QCOMPARE(committedBy(group, topic), (std::vector<std::int64_t> {1, 1}));
    }

    /// --limit reads the oldest N, --tail the newest N; both spellings of an address work
    /// in `dlq show`, and a bad one is named.
    void dlqLimitTailAndAddresses()
    {
        const std::string topic = test::uniqueName("cli-eco") + ".dlq";
        auto admin = kafka::AdminClient::create(test::brokerSettings());
        QVERIFY(admin.has_value());
        QVERIFY((*admin)->createTopics({{topic, 1, {}}}, 30s));
        std::vector<kafka::OutgoingRecord> records;
        for (int i = 0; i < 6; ++i) {
            records.push_back({topic, 0, "k", "{}", {}, 1'700'000'000'000 + i * 1000, false});
        }
        QVERIFY(test::produceAll(records));
        const Isolated isolated;
        const auto &environment = isolated.environment;
        const auto list = [&](const QStringList &extra) {
            return test::runCli(QStringList {QStringLiteral("dlq"), QStringLiteral("list"),
                                             QStringLiteral("-b"), broker(),
                                             QStringLiteral("--topic"),
                                             QString::fromStdString(topic)}
                                    + extra,
                                environment);
        };
        const QString name = QString::fromStdString(topic);
        const auto first = list({QStringLiteral("--limit"), QStringLiteral("2")});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY(first.out.contains(name + QStringLiteral(":0:0"))
                && first.out.contains(name + QStringLiteral(":0:1"))
                && !first.out.contains(name + QStringLiteral(":0:2")));
        const auto last = list({QStringLiteral("--tail"), QStringLiteral("2")});
        QVERIFY2(last.exitCode == 0, qPrintable(last.err));
        QVERIFY(last.out.contains(name + QStringLiteral(":0:4"))
                && last.out.contains(name + QStringLiteral(":0:5"))
                && !last.out.contains(name + QStringLiteral(":0:3")));
        for (const QString &line : first.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            QVERIFY2(!line.endsWith(QLatin1Char(' ')), qPrintable(line));
        }
        const auto bad = list({QStringLiteral("--tail"), QStringLiteral("0")});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.contains(QStringLiteral("--tail expects a positive whole number")));
        const auto both = list({QStringLiteral("--tail"), QStringLiteral("1"),
                                QStringLiteral("--limit"), QStringLiteral("1")});
        QCOMPARE(both.exitCode, 2);
        QVERIFY(both.err.contains(QStringLiteral("give --limit or --tail, not both")));

        for (const QString &address :
             QStringList {name + QStringLiteral(":0:3"), name + QStringLiteral("[0]@3")}) {
            const auto shown = test::runCli({QStringLiteral("dlq"), QStringLiteral("show"), address,
                                             QStringLiteral("-b"), broker()},
                                            environment);
            QVERIFY2(shown.exitCode == 0, qPrintable(address + shown.err));
            QVERIFY2(shown.out.contains(QStringLiteral("id:")) && shown.out.contains(name + ":0:3"),
                     qPrintable(shown.out));
            // Field names as words.
            QVERIFY2(shown.out.contains(QStringLiteral("original topic:")), qPrintable(shown.out));
        }
        const auto badAddress = test::runCli({QStringLiteral("dlq"), QStringLiteral("show"),
                                              name + QStringLiteral(":zero:3"),
                                              QStringLiteral("-b"), broker()},
                                             environment);
        QCOMPARE(badAddress.exitCode, 2);
        QVERIFY2(badAddress.err.contains(QStringLiteral("the partition 'zero'")),
                 qPrintable(badAddress.err));
    }

    /// Kafka's option spelling for describe, and its errors.
    void describeTakesGroupAsOptionOrArgument()
    {
        const Isolated isolated;
        const auto both = test::runCli({QStringLiteral("groups"), QStringLiteral("describe"),
                                        QStringLiteral("a"), QStringLiteral("--group"),
                                        QStringLiteral("b"), QStringLiteral("-b"), broker()},
                                       isolated.environment);
        QCOMPARE(both.exitCode, 2);
        QVERIFY2(both.err.contains(QStringLiteral("needs exactly one GROUP (or --group GROUP)")),
                 qPrintable(both.err));
        const auto missing = test::runCli(
            {QStringLiteral("groups"), QStringLiteral("describe"), QStringLiteral("--group"),
             QString::fromStdString(test::uniqueName("no-such-group")), QStringLiteral("-b"),
             broker()},
            isolated.environment, 60000);
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(QStringLiteral("does not exist")), qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestCliEcosystem)
#include "tst_cli_ecosystem.moc"
