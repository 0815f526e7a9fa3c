// logdeck-cli as a user meets it: help, version, usage errors, an unreachable broker, and
// `run` on the embedded mock cluster and on the real broker.

#include "kafka/admin_client.h"
#include "support/cli_runner.h"
#include "support/test_broker.h"

#include <QDir>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <sys/stat.h>

using namespace logdeck;
using namespace std::chrono_literals;

class TestCli : public QObject
{
    Q_OBJECT

private:
    static test::CliOutcome runCli(const QStringList &arguments, int timeoutMs = 30000)
    {
        return test::runCli(arguments, QProcessEnvironment::systemEnvironment(), timeoutMs);
    }

    static QMap<QString, QString> startEngine(QProcess &process, const QStringList &arguments)
    {
        return test::startCliEngine(process, arguments);
    }

    static int stopEngine(QProcess &process) { return test::stopCliEngine(process); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(test::cliPath()), "LOGDECK_CLI must point at logdeck-cli");
    }

    void versionAndHelp()
    {
        const auto version = runCli({QStringLiteral("--version")});
        QCOMPARE(version.exitCode, 0);
        QVERIFY(version.out.startsWith(QStringLiteral("logdeck-cli 0.")));

        const auto help = runCli({QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains(QStringLiteral("Usage: logdeck-cli <command>")));
        QVERIFY(help.out.contains(QStringLiteral("run ")));

        const auto runHelp = runCli({QStringLiteral("run"), QStringLiteral("--help")});
        QCOMPARE(runHelp.exitCode, 0);
        for (const char *option : {"--embedded", "--broker", "--config", "--data", "-X"}) {
            QVERIFY2(runHelp.out.contains(QLatin1String(option)), option);
        }
    }

    void usageErrorsExitTwoWithUsageOnStderr_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("no command") << QStringList {} << "Usage: logdeck-cli";
        QTest::newRow("unknown flag") << QStringList {"--bogus"} << "unknown option '--bogus'";
        QTest::newRow("unknown command")
            << QStringList {"frobnicate"} << "unknown command 'frobnicate'";
        QTest::newRow("unknown run flag")
            << QStringList {"run", "--bogus"} << "Unknown option 'bogus'";
        QTest::newRow("run without cluster") << QStringList {"run"} << "--broker";
        QTest::newRow("bad -X") << QStringList {"run", "--embedded", "-X", "acks"}
                                << "property=value";
        QTest::newRow("missing config")
            << QStringList {"run", "--config", "/nonexistent.json"} << "/nonexistent.json";
        QTest::newRow("stray argument") << QStringList {"run", "--embedded", "extra"} << "'extra'";
    }

    void usageErrorsExitTwoWithUsageOnStderr()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const auto outcome = runCli(arguments);
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY2(outcome.err.contains(message), qPrintable(outcome.err));
        QVERIFY(outcome.out.isEmpty());
    }

    void unreachableBrokerIsOneClearLine()
    {
        // Port 1 on loopback: nothing listens there.
        const auto outcome = runCli(
            {QStringLiteral("run"), QStringLiteral("--broker"), QStringLiteral("127.0.0.1:1")});
        QCOMPARE(outcome.exitCode, 1);
        const QStringList lines = outcome.err.trimmed().split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().startsWith(
                     QStringLiteral("logdeck-cli: cannot reach Kafka at 127.0.0.1:1")),
                 qPrintable(lines.first()));
    }

    void runEmbeddedServesThePipelineTopicsUntilSigterm()
    {
        QProcess engine;
        const auto values = startEngine(engine, {QStringLiteral("--embedded")});
        const QString bootstrap = values.value(QStringLiteral("bootstrap.servers"));
        QVERIFY2(bootstrap.startsWith(QStringLiteral("127.0.0.1:")), qPrintable(bootstrap));
        // The collector and the demo tenants' keys, for scripts and the load generator.
        QVERIFY(values.value(QStringLiteral("collector"))
                    .startsWith(QStringLiteral("http://127.0.0.1:")));
        for (const char *tenant : {"key.acme", "key.globex", "key.initech"}) {
            QVERIFY2(values.value(QLatin1String(tenant)).startsWith(QStringLiteral("ldk_")),
                     tenant);
        }

        auto admin = kafka::AdminClient::create({{"bootstrap.servers", bootstrap.toStdString()}});
        QVERIFY(admin.has_value());
        auto cluster = (*admin)->describeCluster(5s);
        QVERIFY2(cluster.has_value(), cluster ? "" : cluster.error().message.c_str());
        QCOMPARE(cluster->brokers.size(), size_t(3));
        QVERIFY(std::ranges::any_of(cluster->topics, [](const auto &t) {
            return t.name == "events.raw" && t.partitions == 6;
        }));
        admin->reset();

        QCOMPARE(stopEngine(engine), 0);
        QVERIFY(engine.readAllStandardError().contains("event=engine.stopped"));
    }

    void runAgainstTheRealBroker()
    {
        QProcess engine;
        QTemporaryDir data;
        const auto values =
            startEngine(engine,
                        {QStringLiteral("--broker"),
                         QString::fromStdString(test::brokerBootstrap()), QStringLiteral("--data"),
                         data.path(), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
        QCOMPARE(values.value(QStringLiteral("bootstrap.servers")).toStdString(),
                 test::brokerBootstrap());
        QVERIFY(values.value(QStringLiteral("collector"))
                    .startsWith(QStringLiteral("http://127.0.0.1:")));
        // The engine tells the other commands where it runs.
        QFile engineFile(data.filePath(QStringLiteral("engine.json")));
        QVERIFY(engineFile.open(QIODevice::ReadOnly));
        QVERIFY(engineFile.readAll().contains(test::brokerBootstrap().c_str()));
        auto admin = kafka::AdminClient::create(test::brokerSettings());
        QVERIFY(admin.has_value());
        auto cluster = (*admin)->describeCluster(5s);
        QVERIFY(cluster.has_value());
        for (const char *topic :
             {"events.raw", "events.dlq", "events.retry.analytics", "logdeck.status"}) {
            QVERIFY2(std::ranges::any_of(cluster->topics,
                                         [&](const auto &t) { return t.name == topic; }),
                     topic);
        }
        QCOMPARE(stopEngine(engine), 0);
        QVERIFY(!QFile::exists(data.filePath(QStringLiteral("engine.json"))));
    }

    void runKeepsItsFilesPrivate()
    {
        // A directory left open by an older version or by hand: warned about, not changed.
        QTemporaryDir temporary;
        const QString data = temporary.filePath(QStringLiteral("open"));
        QVERIFY(QDir().mkdir(data));
        QVERIFY(::chmod(data.toLocal8Bit().constData(), 0755) == 0);
        QProcess engine;
        const auto values = startEngine(
            engine, {QStringLiteral("--embedded"), QStringLiteral("--data"), data,
                     QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
        QVERIFY(!values.value(QStringLiteral("collector")).isEmpty());
        const QDir groups(data + QStringLiteral("/groups"));
        QTRY_VERIFY_WITH_TIMEOUT(!groups.entryList({QStringLiteral("*.db")}, QDir::Files).isEmpty(),
                                 15000);
        const auto modeOf = [](const QString &path) {
            struct stat info {};
            return ::stat(path.toLocal8Bit().constData(), &info) == 0
                ? static_cast<int>(info.st_mode & 07777)
                : -1;
        };
        QCOMPARE(modeOf(data), 0755);
        QCOMPARE(modeOf(groups.path()), 0700);
        QStringList files {data + QStringLiteral("/engine.json"),
                           data + QStringLiteral("/engine.lock")};
        for (const QDir &dir : {QDir(data), groups}) {
            for (const QString &name :
                 dir.entryList({QStringLiteral("*.db"), QStringLiteral("*.db-wal"),
                                QStringLiteral("*.db-shm")},
                               QDir::Files)) {
                files << dir.filePath(name);
            }
        }
        QVERIFY(files.size() > 3);
        for (const QString &file : files) {
            QVERIFY2(modeOf(file) == 0600, qPrintable(file + QStringLiteral(": ")
                                                      + QString::number(modeOf(file), 8)));
        }
        QCOMPARE(stopEngine(engine), 0);
        const QByteArray log = engine.readAllStandardError();
        QVERIFY2(log.contains("event=engine.data_dir_open"), log.constData());
    }

    void listenAddressInUseIsOneClearLine()
    {
        QProcess first;
        const auto values = startEngine(first, {QStringLiteral("--embedded")});
        const QString url = values.value(QStringLiteral("collector"));
        QVERIFY(!url.isEmpty());
        const QString taken = url.mid(QStringLiteral("http://").size());
        const auto second = runCli({QStringLiteral("run"), QStringLiteral("--embedded"),
                                    QStringLiteral("--listen"), taken});
        QCOMPARE(second.exitCode, 1);
        QVERIFY2(second.err.contains(QStringLiteral("cannot listen on ") + taken),
                 qPrintable(second.err));
        QCOMPARE(stopEngine(first), 0);
    }

    void dlqFindsTheClusterOrSaysWhy()
    {
        QTemporaryDir empty;
        const auto noCommand = runCli({QStringLiteral("dlq")});
        QCOMPARE(noCommand.exitCode, 2);
        QVERIFY(noCommand.err.contains(QStringLiteral("dlq needs a command: list")));
        const auto noEngine = runCli({QStringLiteral("dlq"), QStringLiteral("list"),
                                      QStringLiteral("--data"), empty.path()});
        QCOMPARE(noEngine.exitCode, 1);
        QVERIFY2(noEngine.err.contains(QStringLiteral("no running engine found")),
                 qPrintable(noEngine.err));
        const auto noTopic =
            runCli({QStringLiteral("dlq"), QStringLiteral("list"), QStringLiteral("--broker"),
                    QString::fromStdString(test::brokerBootstrap()), QStringLiteral("--topic"),
                    QStringLiteral("no-such-dlq")});
        QCOMPARE(noTopic.exitCode, 1);
        QVERIFY2(noTopic.err.contains(QStringLiteral("topic 'no-such-dlq' does not exist")),
                 qPrintable(noTopic.err));
    }

    void badListenAddressIsAUsageError()
    {
        const auto outcome = runCli({QStringLiteral("run"), QStringLiteral("--embedded"),
                                     QStringLiteral("--listen"), QStringLiteral("localhost")});
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY(outcome.err.contains(QStringLiteral("listen address 'localhost'")));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
