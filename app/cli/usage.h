#pragma once

#include <QCommandLineParser>
#include <QString>

namespace logdeck::cli {

/// Parses a command's arguments. On a bad flag it prints the error and the command's usage
/// to stderr and returns false; for --help it prints the usage to stdout and returns false
/// with `exitCode` 0.
bool parseCommandLine(QCommandLineParser &parser, const QStringList &arguments,
                      const QString &synopsis, int &exitCode);

/// Prints one diagnostic line to stderr: "logdeck-cli: <message>".
void printError(const QString &message);
void printError(const std::string &message);

} // namespace logdeck::cli
