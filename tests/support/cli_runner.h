#pragma once

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

} // namespace logdeck::test
