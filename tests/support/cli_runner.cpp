#include "support/cli_runner.h"

#include <QDeadlineTimer>
#include <QDebug>
#include <csignal>
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

QMap<QString, QString> startCliEngine(QProcess &process, const QStringList &arguments,
                                      const QProcessEnvironment &environment)
{
    QMap<QString, QString> values;
    process.setProcessEnvironment(environment);
    process.start(cliPath(), QStringList {QStringLiteral("run")} + arguments);
    if (!process.waitForStarted(5000)) {
        return values;
    }
    QDeadlineTimer deadline(30000);
    while (!process.canReadLine() && !deadline.hasExpired()
           && process.state() == QProcess::Running) {
        process.waitForReadyRead(200);
    }
    process.waitForReadyRead(300);
    while (process.canReadLine()) {
        const QString line = QString::fromUtf8(process.readLine()).trimmed();
        const qsizetype equals = line.indexOf(QLatin1Char('='));
        values.insert(line.left(equals), line.mid(equals + 1));
    }
    return values;
}

int stopCliEngine(QProcess &process)
{
    ::kill(static_cast<pid_t>(process.processId()), SIGTERM);
    if (!process.waitForFinished(20000)) {
        process.kill();
        process.waitForFinished();
        return -1;
    }
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

} // namespace logdeck::test
