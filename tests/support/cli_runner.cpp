#include "support/cli_runner.h"

#include <QDebug>
#include <QProcess>

namespace logdeck::test {

QString cliPath()
{
    return qEnvironmentVariable("LOGDECK_CLI");
}

CliOutcome runCli(const QStringList &arguments, const QProcessEnvironment &environment,
                  int timeoutMs)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(cliPath(), arguments);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        qWarning() << "logdeck-cli" << arguments << "did not finish in" << timeoutMs << "ms";
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

} // namespace logdeck::test
