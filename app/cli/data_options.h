#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <QCommandLineParser>
#include <string>

namespace logdeck::cli {

/// --data DIR, for commands that read an engine's data directory.
void addDataOption(QCommandLineParser &parser);

/// --data, else LOGDECK_DATA, else the data directory of the newest engine running on this
/// machine (on the cluster of --broker, when given; see runningEngines), else the platform's
/// data directory. Only LOGDECK_DATA is read from the environment, so that a bad engine
/// variable cannot block these commands.
std::string dataDirFrom(const QCommandLineParser &parser);

/// dataDirFrom, for commands that read the data directory: a missing one is an error naming
/// it (a typo would otherwise show an empty table, or create a database). Only `run` and
/// `tenants add` create a data directory.
Result<std::string> existingDataDirFrom(const QCommandLineParser &parser);

/// --broker LIST (also spelt --bootstrap-server and -b, as Kafka's tools and kcat have it)
/// and -X property=value, for commands that talk to the cluster.
void addClusterOptions(QCommandLineParser &parser);

/// Adds --data, --broker and -X to `parser` and parses `arguments` (see parseCommandLine):
/// false, with `exitCode` set, when the command stops there (a bad flag, or --help).
bool parseClusterCommand(QCommandLineParser &parser, const QStringList &arguments,
                         const QString &synopsis, int &exitCode);

/// The cluster to talk to: --broker (with -X properties) if given, else the one the engine
/// running on the data directory recorded in its engine.json. client.id is "logdeck-cli"
/// unless -X sets it.
Result<kafka::ClientSettings> clusterFrom(const QCommandLineParser &parser);

} // namespace logdeck::cli
