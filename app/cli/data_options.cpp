#include "cli/data_options.h"

#include "cli/usage.h"
#include "common/engine_options.h"
#include "config.h"
#include "engine_info.h"

#include <filesystem>
#include <optional>
#include <set>

namespace logdeck::cli {

void addDataOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("data"),
                      QStringLiteral("The engine's data directory (default: $LOGDECK_DATA, else "
                                     "the newest engine running here (on the --broker's cluster, "
                                     "when given), else $XDG_DATA_HOME/logdeck or "
                                     "~/.local/share/logdeck)."),
                      QStringLiteral("dir")});
}

namespace {

/// The --broker value (or --bootstrap-server, -b), for parsers that may lack the option.
std::optional<std::string> brokerFrom(const QCommandLineParser &parser)
{
    for (const QString &name : parser.optionNames()) {
        if (name == QLatin1String("broker") || name == QLatin1String("bootstrap-server")
            || name == QLatin1String("b")) {
            return parser.value(name).toStdString();
        }
    }
    return std::nullopt;
}

/// "b:2,a:1" and "a:1, b:2" name the same cluster.
std::set<std::string> serverSet(const std::string &list)
{
    std::set<std::string> servers;
    for (const QString &server :
         QString::fromStdString(list).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        servers.insert(server.trimmed().toStdString());
    }
    return servers;
}

} // namespace

std::string dataDirFrom(const QCommandLineParser &parser)
{
    Config config;
    config.dataDir = parser.isSet(QStringLiteral("data"))
        ? parser.value(QStringLiteral("data")).toStdString()
        : qEnvironmentVariable("LOGDECK_DATA").toStdString();
    if (config.dataDir.empty()) {
        // The newest engine running here (on the --broker's cluster, when one is given).
        const auto broker = brokerFrom(parser);
        for (const auto &engine : runningEngines()) {
            if (!broker || serverSet(*broker) == serverSet(engine.info.bootstrap)) {
                return engine.dataDir;
            }
        }
    }
    return config.effectiveDataDir();
}

Result<std::string> existingDataDirFrom(const QCommandLineParser &parser)
{
    std::string dir = dataDirFrom(parser);
    if (std::error_code ec; !std::filesystem::is_directory(dir, ec)) {
        return fail(Error::notFound("no data directory at " + dir
                                    + ": give the --data of an engine, or create one with "
                                      "'logdeck-cli run --data "
                                    + dir + " ...' or 'logdeck-cli tenants add NAME --data " + dir
                                    + "'"));
    }
    return dir;
}

void addClusterOptions(QCommandLineParser &parser)
{
    parser.addOption({app::brokerOptionNames(),
                      QStringLiteral("Kafka bootstrap servers, host:port,... (default: the "
                                     "running engine's, from the data directory's engine.json)."),
                      QStringLiteral("list")});
    parser.addOption(
        {QStringList {QStringLiteral("X")},
         QStringLiteral("Set a librdkafka client property, e.g. -X security.protocol=SSL."),
         QStringLiteral("property=value")});
}

bool parseClusterCommand(QCommandLineParser &parser, const QStringList &arguments,
                         const QString &synopsis, int &exitCode)
{
    addDataOption(parser);
    addClusterOptions(parser);
    return parseCommandLine(parser, arguments, synopsis, exitCode);
}

Result<kafka::ClientSettings> clusterFrom(const QCommandLineParser &parser)
{
    kafka::ClientSettings settings;
    for (const QString &property : parser.values(QStringLiteral("X"))) {
        const qsizetype equals = property.indexOf(QLatin1Char('='));
        if (equals <= 0) {
            return fail(
                Error::invalid("-X expects property=value, not '" + property.toStdString() + "'"));
        }
        settings[property.left(equals).toStdString()] = property.mid(equals + 1).toStdString();
    }
    // Told apart from the engines' clients in Kafka's tools and logs.
    settings.try_emplace("client.id", "logdeck-cli");
    if (const auto broker = brokerFrom(parser)) {
        settings["bootstrap.servers"] = *broker;
        return settings;
    }
    auto dataDir = existingDataDirFrom(parser);
    if (!dataDir) {
        return fail(dataDir.error());
    }
    auto info = readEngineInfo(*dataDir);
    if (!info) {
        return fail(info.error());
    }
    settings["bootstrap.servers"] = info->bootstrap;
    return settings;
}

} // namespace logdeck::cli
