#include "cli/data_options.h"

#include "cli/usage.h"
#include "config.h"
#include "engine_info.h"

#include <filesystem>

namespace logdeck::cli {

void addDataOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("data"),
                      QStringLiteral("The engine's data directory (default: $LOGDECK_DATA, else "
                                     "$XDG_DATA_HOME/logdeck or ~/.local/share/logdeck)."),
                      QStringLiteral("dir")});
}

std::string dataDirFrom(const QCommandLineParser &parser)
{
    Config config;
    config.dataDir = parser.isSet(QStringLiteral("data"))
        ? parser.value(QStringLiteral("data")).toStdString()
        : qEnvironmentVariable("LOGDECK_DATA").toStdString();
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
    parser.addOption(
        {QStringLiteral("broker"),
         QStringLiteral("Kafka bootstrap servers (default: the running engine's, from the data "
                        "directory's engine.json)."),
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
    if (parser.isSet(QStringLiteral("broker"))) {
        settings["bootstrap.servers"] = parser.value(QStringLiteral("broker")).toStdString();
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
