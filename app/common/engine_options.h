#pragma once

#include "config.h"

#include <QCommandLineParser>

namespace logdeck::app {

/// --broker's names: also --bootstrap-server (Kafka's tools) and -b (kcat).
QStringList brokerOptionNames();

/// Adds the options that choose and tune the engine's cluster, shared by `logdeck` and
/// `logdeck-cli run` so both read a config the same way: --config, --broker, --data,
/// --listen, --log-level and -X property=value (librdkafka properties, as kcat takes them).
void addEngineOptions(QCommandLineParser &parser);

/// Builds the Config: the --config file (if any), then LOGDECK_* variables, then flags.
/// `embedded` comes from the caller's own flag (--embedded or --demo).
Result<Config> configFromOptions(const QCommandLineParser &parser, bool embedded);

} // namespace logdeck::app
