#pragma once

#include "common/result.h"
#include "ops/dead_letters.h"

#include <QCommandLineParser>
#include <QJsonObject>
#include <string>

namespace logdeck::cli {

/// The selection options every `dlq` command takes: --topic, --group, --tenant,
/// --error-class, --original-topic, --since, --until, --text.
void addDeadLetterFilterOptions(QCommandLineParser &parser);

/// The filter those options give. InvalidArgument for a time that is not RFC 3339 or a
/// duration (15m, 2h, 1d), a --since in the future, or a --since not before --until.
Result<ops::DeadLetterFilter> deadLetterFilterFrom(const QCommandLineParser &parser);

using ops::deadLetterJson;

/// The exit code for an error from the engine: 2 for bad input, 1 for anything else.
int exitCodeFor(const Error &error);

} // namespace logdeck::cli

namespace logdeck::cli::dlq {

// The `dlq` subcommands that work on redrive tasks (dlq_redrive_command.cpp). Each takes
// the program name followed by the subcommand's own arguments.
int redrive(const QStringList &arguments);
int tasks(const QStringList &arguments);
/// pause, resume or cancel.
int controlTask(const QString &command, const QStringList &arguments);

} // namespace logdeck::cli::dlq
