#include "common/engine_options.h"

namespace logdeck::app {

QStringList brokerOptionNames()
{
    return {QStringLiteral("broker"), QStringLiteral("bootstrap-server"), QStringLiteral("b")};
}

void addEngineOptions(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("config"),
                      QStringLiteral("Read settings from the JSON config <file>."),
                      QStringLiteral("file")});
    parser.addOption(
        {brokerOptionNames(),
         QStringLiteral("Kafka bootstrap servers, e.g. 127.0.0.1:9092 (bootstrap.servers)."),
         QStringLiteral("list")});
    parser.addOption({QStringLiteral("data"),
                      QStringLiteral("Keep the engine's database in <dir>."),
                      QStringLiteral("dir")});
    parser.addOption({QStringLiteral("listen"),
                      QStringLiteral("The HTTP collector's address, host:port, or off "
                                     "(default 127.0.0.1:8080; any free port when embedded)."),
                      QStringLiteral("addr")});
    parser.addOption({QStringLiteral("log-level"),
                      QStringLiteral("debug, info, warn, error or off (default info)."),
                      QStringLiteral("level")});
    parser.addOption(
        {QStringLiteral("accept-state-loss"),
         QStringLiteral("Start <group> (or all) although its store was found empty while Kafka "
                        "holds offsets for it: its counts and dedup keys are given up."),
         QStringLiteral("group")});
    parser.addOption(
        {QStringList {QStringLiteral("X")},
         QStringLiteral("Set a librdkafka client property, e.g. -X security.protocol=SSL."),
         QStringLiteral("property=value")});
}

Result<Config> configFromOptions(const QCommandLineParser &parser, bool embedded)
{
    Config config;
    if (parser.isSet(QStringLiteral("config"))) {
        auto loaded = Config::fromFile(parser.value(QStringLiteral("config")).toStdString());
        if (!loaded) {
            return loaded;
        }
        config = std::move(*loaded);
    }
    if (auto applied = config.applyEnvironment(Config::processEnvironment()); !applied) {
        return fail(applied.error());
    }
    if (embedded) {
        config.embedded = true;
    }
    if (parser.isSet(QStringLiteral("broker"))) {
        config.setBootstrapServers(parser.value(QStringLiteral("broker")).toStdString());
    }
    if (parser.isSet(QStringLiteral("data"))) {
        config.dataDir = parser.value(QStringLiteral("data")).toStdString();
    }
    if (parser.isSet(QStringLiteral("listen"))) {
        config.listen = parser.value(QStringLiteral("listen")).toStdString();
    }
    if (parser.isSet(QStringLiteral("log-level"))) {
        config.logLevel = parser.value(QStringLiteral("log-level")).toStdString();
    }
    for (const QString &group : parser.values(QStringLiteral("accept-state-loss"))) {
        config.acceptStateLoss.insert(group.toStdString());
    }
    for (const QString &property : parser.values(QStringLiteral("X"))) {
        const qsizetype equals = property.indexOf(QLatin1Char('='));
        if (equals <= 0) {
            return fail(
                Error::invalid("-X expects property=value, not '" + property.toStdString() + "'"));
        }
        config.kafka[property.left(equals).toStdString()] = property.mid(equals + 1).toStdString();
    }
    if (auto valid = config.validate(); !valid) {
        return fail(valid.error());
    }
    return config;
}

} // namespace logdeck::app
