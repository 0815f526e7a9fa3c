// Config parsing, environment overrides and validation: every bad input gets an error
// that names the offending key, variable or flag.

#include "config.h"
#include "kafka/client_settings.h"
#include "kafka/topic_catalog.h"

#include <QTest>

using namespace logdeck;

class TestConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesAFullConfig()
    {
        auto config = Config::fromJson(R"({
            "embedded": false,
            "kafka": {"bootstrap.servers": "10.0.0.1:9092", "linger.ms": 2, "enable.idempotence": true},
            "data": "/var/lib/logdeck",
            "partitions": 12,
            "groups": ["analytics", "persister"],
            "logLevel": "debug"
        })");
        QVERIFY2(config.has_value(), config ? "" : config.error().message.c_str());
        QCOMPARE(config->bootstrapServers(), std::string("10.0.0.1:9092"));
        QCOMPARE(config->kafka.at("linger.ms"), std::string("2"));
        QCOMPARE(config->kafka.at("enable.idempotence"), std::string("true"));
        QCOMPARE(config->dataDir, std::string("/var/lib/logdeck"));
        QCOMPARE(config->partitions, 12);
        QCOMPARE(config->groups.size(), size_t(2));
        QVERIFY(config->validate().has_value());
    }

    void rejectsBadConfigs_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not json") << "{\"kafka\": "
                                  << "not valid JSON";
        QTest::newRow("not an object") << "[1, 2]"
                                       << "must be a JSON object";
        QTest::newRow("unknown key") << R"({"partitons": 6})"
                                     << "unknown config key 'partitons'";
        QTest::newRow("partitions as text") << R"({"partitions": "six"})"
                                            << "'partitions' must be a positive";
        QTest::newRow("zero partitions") << R"({"partitions": 0})"
                                         << "'partitions' must be a positive";
        QTest::newRow("kafka not an object") << R"({"kafka": "localhost"})"
                                             << "'kafka' must be an object";
        QTest::newRow("kafka value an array") << R"({"kafka": {"acks": [1]}})"
                                              << "'kafka.acks' must be";
        QTest::newRow("groups not strings") << R"({"groups": [1]})"
                                            << "'groups' must be an array";
        QTest::newRow("group settings not an object")
            << R"({"groupSettings": {"analytics": 3}})"
            << "'groupSettings.analytics' must be an object";
        QTest::newRow("failure rate above 1")
            << R"({"groupSettings": {"analytics": {"transientFailureRate": 1.5}}})"
            << "'groupSettings.analytics.transientFailureRate' must be a number from 0 to 1";
        QTest::newRow("unknown group setting")
            << R"({"groupSettings": {"analytics": {"retries": 3}}})"
            << "unknown config key 'groupSettings.analytics.retries'";
        QTest::newRow("empty backoff")
            << R"({"groupSettings": {"fraud": {"backoffMs": []}}})"
            << "'groupSettings.fraud.backoffMs' must be a non-empty array";
        QTest::newRow("embedded as text") << R"({"embedded": "yes"})"
                                          << "'embedded' must be true or false";
    }

    void rejectsBadConfigs()
    {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        auto config = Config::fromJson(json.toStdString());
        QVERIFY(!config.has_value());
        QVERIFY2(QString::fromStdString(config.error().message).contains(expected),
                 config.error().message.c_str());
        QCOMPARE(config.error().code, Error::Code::InvalidArgument);
    }

    void groupSettingsAreRead()
    {
        auto config = Config::fromJson(R"({"groups": ["analytics", "fraud"],
            "groupSettings": {"fraud": {"transientFailureRate": 0.2, "addedLatencyMs": 50,
                                        "poisonIsPermanent": false, "maxAttempts": 3,
                                        "backoffMs": [100, 200], "batchSize": 10}}})");
        QVERIFY(config.has_value());
        const auto fraud = config->settingsFor("fraud");
        QCOMPARE(fraud.transientFailureRate, 0.2);
        QCOMPARE(fraud.addedLatencyMs, 50);
        QVERIFY(!fraud.poisonIsPermanent);
        QCOMPARE(fraud.maxAttempts, 3);
        QCOMPARE(fraud.backoffMs, (std::vector<int> {100, 200}));
        QCOMPARE(fraud.batchSize, 10);
        // A group without an entry gets the defaults.
        QCOMPARE(config->settingsFor("analytics").maxAttempts, 5);
        QCOMPARE(config->settingsFor("analytics").transientFailureRate, 0.0);
    }

    void missingFileIsNamed()
    {
        auto config = Config::fromFile("/nonexistent/logdeck.json");
        QVERIFY(!config.has_value());
        QVERIFY(config.error().message.find("/nonexistent/logdeck.json") != std::string::npos);
    }

    void environmentOverridesTheFile()
    {
        Config config;
        config.setBootstrapServers("from-file:9092");
        auto applied = config.applyEnvironment({{"LOGDECK_BROKER", "from-env:9092"},
                                                {"LOGDECK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"},
                                                {"LOGDECK_PARTITIONS", "3"},
                                                {"LOGDECK_EMBEDDED", "true"},
                                                {"LOGDECK_CACHE", "/tmp/ignored"},
                                                {"PATH", "/usr/bin"}});
        QVERIFY(applied.has_value());
        QCOMPARE(config.bootstrapServers(), std::string("from-env:9092"));
        QCOMPARE(config.kafka.at("security.protocol"), std::string("SASL_SSL"));
        QCOMPARE(config.kafka.size(), size_t(2)); // other LOGDECK_* variables are the scripts'
        QCOMPARE(config.partitions, 3);
        QVERIFY(config.embedded);
    }

    void badEnvironmentValuesAreNamed_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("value");
        QTest::newRow("partitions") << "LOGDECK_PARTITIONS"
                                    << "many";
        QTest::newRow("negative partitions") << "LOGDECK_PARTITIONS"
                                             << "-1";
        QTest::newRow("embedded") << "LOGDECK_EMBEDDED"
                                  << "perhaps";
    }

    void badEnvironmentValuesAreNamed()
    {
        QFETCH(QString, name);
        QFETCH(QString, value);
        Config config;
        const Config before = config;
        auto applied = config.applyEnvironment({{name.toStdString(), value.toStdString()}});
        QVERIFY(!applied.has_value());
        QVERIFY(QString::fromStdString(applied.error().message).contains(name));
        QCOMPARE(config.partitions, before.partitions);
        QCOMPARE(config.embedded, before.embedded);
    }

    void validationNamesTheProblem_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no cluster") << "{}"
                                    << "--broker";
        QTest::newRow("bad group") << R"({"embedded": true, "groups": ["fraud scoring"]})"
                                   << "'fraud scoring'";
        QTest::newRow("bad log level") << R"({"embedded": true, "logLevel": "loud"})"
                                       << "'loud'";
        QTest::newRow("too many partitions") << R"({"embedded": true, "partitions": 5000})"
                                             << "partitions";
        QTest::newRow("lag interval too short") << R"({"embedded": true, "lagIntervalMs": 10})"
                                                << "lagIntervalMs";
        QTest::newRow("stall timeout too short") << R"({"embedded": true, "stallTimeoutMs": 5})"
                                                 << "stallTimeoutMs";
        QTest::newRow("unknown Kafka property")
            << R"({"embedded": true, "kafka": {"linger.msec": "5"}})"
            << "Kafka client property 'linger.msec'";
    }

    void validationNamesTheProblem()
    {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        auto config = Config::fromJson(json.toStdString());
        QVERIFY(config.has_value());
        auto valid = config->validate();
        QVERIFY(!valid.has_value());
        QVERIFY2(QString::fromStdString(valid.error().message).contains(expected),
                 valid.error().message.c_str());
    }

    void secretsAreRedacted()
    {
        const kafka::ClientSettings settings = {{"sasl.password", "hunter2"},
                                                {"ssl.key.password", "s3cret"},
                                                {"sasl.username", "alice"},
                                                {"bootstrap.servers", "b:9092"}};
        const auto shown = kafka::redacted(settings);
        QCOMPARE(shown.at("sasl.password"), std::string("[redacted]"));
        QCOMPARE(shown.at("ssl.key.password"), std::string("[redacted]"));
        QCOMPARE(shown.at("sasl.username"), std::string("alice"));
        QCOMPARE(shown.at("bootstrap.servers"), std::string("b:9092"));
    }

    void topicCatalogCoversThePipeline()
    {
        const auto specs = kafka::topics::pipelineTopics({"analytics", "fraud"}, 6);
        auto find = [&](const std::string &name) {
            return std::ranges::find(specs, name, &kafka::TopicSpec::name);
        };
        for (const char *name :
             {"events.raw", "events.dlq", "events.enriched", "logdeck.control", "logdeck.status",
              "events.retry.analytics", "events.retry.fraud"}) {
            QVERIFY2(find(name) != specs.end(), name);
        }
        QCOMPARE(specs.size(), size_t(7));
        QCOMPARE(find("events.raw")->partitions, 6);
        QCOMPARE(find("logdeck.status")->config.at("cleanup.policy"), std::string("compact"));
        QCOMPARE(kafka::topics::roleOf("events.retry.fraud"),
                 std::string("Retry path of group 'fraud'"));
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
