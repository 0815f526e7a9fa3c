// `logdeck-cli run --check-config`, as the packaged service's operator uses it: the settings
// loaded the way `run` loads them (file, then LOGDECK_* variables, then flags), a summary on
// stdout and exit 0, or one line naming the problem and exit 2; no broker contacted and no
// data directory made.

#include "support/cli_runner.h"

#include <QDir>
#include <QFile>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

using namespace logdeck;

class TestCliCheckConfig : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    /// The test's environment without any LOGDECK_* variable, plus `extra`.
    static QProcessEnvironment environment(const QStringList &extra = {})
    {
        QProcessEnvironment env;
        const auto system = QProcessEnvironment::systemEnvironment();
        for (const QString &name : system.keys()) {
            if (!name.startsWith(QStringLiteral("LOGDECK_")) || name == QStringLiteral("LOGDECK_CLI")) {
                env.insert(name, system.value(name));
            }
        }
        for (const QString &assignment : extra) {
            const qsizetype equals = assignment.indexOf(QLatin1Char('='));
            env.insert(assignment.left(equals), assignment.mid(equals + 1));
        }
        return env;
    }

    /// Writes `text` to a config file in the test's directory and returns its path.
    QString writeConfig(const QString &name, const QByteArray &text) const
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text) != text.size()) {
            qFatal("cannot write %s", qPrintable(path));
        }
        return path;
    }

    static QStringList lines(const QString &text)
    {
        return text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void helpDescribesIt()
    {
        const auto help = test::runCli({"run", "--help"}, environment());
        QCOMPARE(help.exitCode, 0);
        QVERIFY2(help.out.contains("--check-config"), qPrintable(help.out));
    }

    void goodConfigPrintsASummaryAndStartsNothing()
    {
        const QString data = m_dir.filePath("never-created");
        // Nothing listens on port 1: a check that tried to connect would fail or hang.
        const QString config = writeConfig(
            "good.json", R"({"kafka": {"bootstrap.servers": "127.0.0.1:1", "sasl.password": "hunter2"},
                              "data": ")" + data.toUtf8() + R"(", "groups": ["analytics", "fraud"]})");
        const auto outcome =
            test::runCli({"run", "--check-config", "--config", config}, environment(), 10000);
        QCOMPARE(outcome.exitCode, 0);
        QCOMPARE(lines(outcome.out), (QStringList {"config=" + config, "mode=broker",
                                                   "bootstrap.servers=127.0.0.1:1", "data=" + data,
                                                   "listen=127.0.0.1:8080",
                                                   "groups=analytics,fraud"}));
        QVERIFY2(outcome.err.isEmpty(), qPrintable(outcome.err));
        QVERIFY(!outcome.out.contains("hunter2"));
        QVERIFY2(!QDir(data).exists(), "--check-config made the data directory");
    }

    void environmentThenFlagsOverrideTheFile()
    {
        const QString config = writeConfig(
            "layers.json", R"({"kafka": {"bootstrap.servers": "file:9092"}, "listen": "off"})");
        const auto fromEnvironment =
            test::runCli({"run", "--check-config", "--config", config},
                         environment({"LOGDECK_BROKER=env:9092", "LOGDECK_DATA=/srv/env"}));
        QCOMPARE(fromEnvironment.exitCode, 0);
        QVERIFY2(fromEnvironment.out.contains("bootstrap.servers=env:9092\n"),
                 qPrintable(fromEnvironment.out));
        QVERIFY(fromEnvironment.out.contains("data=/srv/env\n"));
        QVERIFY(fromEnvironment.out.contains("listen=off\n"));

        const auto fromFlags = test::runCli(
            {"run", "--check-config", "--config", config, "--broker", "flag:9092", "--data",
             "/srv/flag", "--listen", "[::1]:9000"},
            environment({"LOGDECK_BROKER=env:9092", "LOGDECK_DATA=/srv/env"}));
        QCOMPARE(fromFlags.exitCode, 0);
        QVERIFY2(fromFlags.out.contains("bootstrap.servers=flag:9092\n"), qPrintable(fromFlags.out));
        QVERIFY(fromFlags.out.contains("data=/srv/flag\n"));
        QVERIFY(fromFlags.out.contains("listen=[::1]:9000\n"));
    }

    void embeddedNeedsNoFile()
    {
        const auto outcome = test::runCli({"run", "--check-config", "--embedded", "--data",
                                           m_dir.filePath("embedded")},
                                          environment());
        QCOMPARE(outcome.exitCode, 0);
        QVERIFY2(outcome.out.startsWith("config=(none)\nmode=embedded\n"), qPrintable(outcome.out));
        QVERIFY(outcome.out.contains("listen=127.0.0.1:0 (any free port)\n"));
    }

    void badConfigsAreNamed_data()
    {
        QTest::addColumn<QByteArray>("json"); // empty: no file at all
        QTest::addColumn<QStringList>("extra"); // more arguments, or NAME=value variables
        QTest::addColumn<QString>("error");

        const QByteArray broker = R"("kafka": {"bootstrap.servers": "127.0.0.1:9092"})";
        QTest::newRow("missing file") << QByteArray() << QStringList {} << "cannot read config file";
        QTest::newRow("not JSON") << QByteArray("{\"kafka\": ") << QStringList {}
                                  << "the config is not valid JSON";
        QTest::newRow("misspelt key") << "{" + broker + R"(, "partitons": 6})" << QStringList {}
                                      << "unknown config key 'partitons'";
        QTest::newRow("wrong type") << "{" + broker + R"(, "partitions": "six"})"
                                    << QStringList {}
                                    << "config key 'partitions' must be a positive whole number";
        QTest::newRow("no cluster") << QByteArray("{}") << QStringList {} << "no Kafka cluster given";
        QTest::newRow("listen without port") << "{" + broker + R"(, "listen": "8080"})"
                                             << QStringList {} << "listen address '8080'";
        QTest::newRow("bad log level") << "{" + broker + R"(, "logLevel": "loud"})"
                                       << QStringList {} << "'loud'";
        QTest::newRow("bad group name") << "{" + broker + R"(, "groups": ["fraud scoring"]})"
                                        << QStringList {} << "group name 'fraud scoring'";
        QTest::newRow("misspelt Kafka property")
            << QByteArray(R"({"kafka": {"bootstrap.servers": "h:9092", "security.protocl": "SSL"}})")
            << QStringList {} << "Kafka client property 'security.protocl'";
        QTest::newRow("bad Kafka value")
            << QByteArray(R"({"kafka": {"bootstrap.servers": "h:9092", "security.protocol": "TLS"}})")
            << QStringList {} << "Kafka client property 'security.protocol'";
        QTest::newRow("bad variable") << "{" + broker + "}"
                                      << QStringList {"LOGDECK_PARTITIONS=zero"}
                                      << "LOGDECK_PARTITIONS must be a positive whole number";
        QTest::newRow("bad -X flag") << "{" + broker + "}"
                                     << QStringList {"-X", "linger.ms=soon"}
                                     << "Kafka client property 'linger.ms'";
        QTest::newRow("stray argument") << "{" + broker + "}" << QStringList {"extra"}
                                        << "run takes no arguments, got 'extra'";
    }

    void badConfigsAreNamed()
    {
        QFETCH(QByteArray, json);
        QFETCH(QStringList, extra);
        QFETCH(QString, error);
        const QString config = json.isEmpty() ? m_dir.filePath("missing.json")
                                              : writeConfig("bad.json", json);
        QStringList arguments {"run", "--check-config", "--config", config};
        QStringList variables;
        for (const QString &word : extra) {
            (word.startsWith("LOGDECK_") ? variables : arguments) << word;
        }
        const auto outcome = test::runCli(arguments, environment(variables), 10000);
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY2(outcome.out.isEmpty(), qPrintable(outcome.out));
        const QStringList said = lines(outcome.err);
        QCOMPARE(said.size(), 1);
        QVERIFY2(said.first().startsWith("logdeck-cli: ") && said.first().contains(error),
                 qPrintable(outcome.err));
    }
};

QTEST_GUILESS_MAIN(TestCliCheckConfig)
#include "tst_cli_check_config.moc"
