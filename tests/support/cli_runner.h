#pragma once

#include <QMap>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace logdeck::test {

/// What a finished logdeck-cli run left behind. exitCode is -1 when it crashed or hung.
struct CliOutcome
{
    int exitCode = -1;
    QString out;
    QString err;
};

/// The logdeck-cli under test (LOGDECK_CLI, set by CTest).
QString cliPath();

/// Runs logdeck-cli with `arguments` to completion (killed after `timeoutMs`).
CliOutcome runCli(const QStringList &arguments,
                  const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment(),
                  int timeoutMs = 30000);

/// Starts `logdeck-cli run <arguments>` in `process` and returns the key=value lines it
/// prints once ready (bootstrap.servers, collector, data, key.<tenant>); empty when it did
/// not get that far in 30 s.
QMap<QString, QString>
startCliEngine(QProcess &process, const QStringList &arguments,
               const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment());

/// Stops it with SIGTERM: its exit code, or -1 when it crashed or had to be killed.
int stopCliEngine(QProcess &process);

} // namespace logdeck::test
