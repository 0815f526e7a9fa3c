#include "cli/cli.h"
#include "cli/data_options.h"
#include "cli/table.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/time_format.h"
#include "ops/audit_trail.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cstdio>

namespace logdeck::cli {

namespace {

QString synopsis()
{
    return QStringLiteral("audit list [--operation OP] [--limit N] [--json] [--data DIR]");
}

int usageError(const QString &message)
{
    printError(message);
    std::fprintf(stderr,
                 "Usage: logdeck-cli %s\n\n'logdeck-cli audit --help' describes the options.\n",
                 qPrintable(synopsis()));
    return UsageError;
}

/// The parameters, before and after texts are JSON already: embed them as JSON, or as
/// the text they are if something wrote invalid JSON.
QJsonValue embeddedJson(const std::string &text)
{
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromStdString(text));
    if (document.isObject()) {
        return document.object();
    }
    if (document.isArray()) {
        return document.array();
    }
    return QString::fromStdString(text);
}

void printJson(const std::vector<store::AuditEntry> &entries)
{
    QJsonArray array;
    for (const auto &entry : entries) {
        array.append(QJsonObject {
            {QStringLiteral("id"), static_cast<qint64>(entry.id)},
            {QStringLiteral("at"), QString::fromStdString(formatRfc3339(entry.atMs))},
            {QStringLiteral("user"), QString::fromStdString(entry.user)},
            {QStringLiteral("host"), QString::fromStdString(entry.host)},
            {QStringLiteral("operation"), QString::fromStdString(entry.operation)},
            {QStringLiteral("target"), QString::fromStdString(entry.target)},
            {QStringLiteral("parameters"), embeddedJson(entry.parameters)},
            {QStringLiteral("before"), embeddedJson(entry.before)},
            {QStringLiteral("after"), embeddedJson(entry.after)},
            {QStringLiteral("result"), QString::fromStdString(entry.result)},
        });
    }
    std::fputs(QJsonDocument(array).toJson(QJsonDocument::Indented).constData(), stdout);
}

void printTable(const std::vector<store::AuditEntry> &entries)
{
    Table table({"ID", "TIME", "USER@HOST", "OPERATION", "TARGET", "RESULT", "PARAMETERS"});
    table.alignRight(0);
    for (const auto &entry : entries) {
        table.addRow({std::to_string(entry.id), formatRfc3339(entry.atMs), ops::auditActor(entry),
                      entry.operation, entry.target, entry.result,
                      ops::auditParametersText(entry.parameters)});
    }
    table.print();
}

} // namespace

int auditCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Lists the audit log of the data directory: every mutating operation (offset resets,\n"
        "redrives, pauses and resumes, tenant and API key changes) with when, the OS user and\n"
        "host, the parameters, the state before and after, and the result. Secrets (API keys,\n"
        "passwords) are never recorded."));
    parser.addPositionalArgument(QStringLiteral("list"),
                                 QStringLiteral("List the newest entries, oldest first."));
    const QCommandLineOption operation(
        QStringLiteral("operation"),
        QStringLiteral("Only entries of this operation, e.g. tenants.add, groups.reset-offsets."),
        QStringLiteral("OP"));
    const QCommandLineOption limit(QStringLiteral("limit"),
                                   QStringLiteral("The newest N entries (default 100)."),
                                   QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print a JSON array."));
    parser.addOptions({operation, limit, json});
    addDataOption(parser);
    int exitCode = Ok;
    if (!parseCommandLine(parser, arguments, synopsis(), exitCode)) {
        return exitCode;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1 || positional.first() != QLatin1String("list")) {
        return usageError(positional.isEmpty() ? QStringLiteral("audit needs a command: list")
                                               : QStringLiteral("unknown audit command '%1'")
                                                     .arg(positional.join(QLatin1Char(' '))));
    }
    bool limitOk = false;
    const int count = parser.value(limit).toInt(&limitOk);
    if (!limitOk || count <= 0) {
        return usageError(
            QStringLiteral("--limit expects a positive number, not '%1'").arg(parser.value(limit)));
    }

    log::setLevel(log::Level::Warn);
    const auto dataDir = existingDataDirFrom(parser);
    if (!dataDir) {
        printError(dataDir.error().message);
        return RuntimeError;
    }
    ops::AuditFilter filter;
    filter.operation = parser.value(operation).toStdString();
    filter.limit = count;
    auto listed = ops::readAuditLog(*dataDir, filter);
    if (!listed) {
        printError(listed.error().message);
        return RuntimeError;
    }
    const std::vector<store::AuditEntry> &entries = *listed;
    if (parser.isSet(json)) {
        printJson(entries);
    } else {
        printTable(entries);
    }
    return Ok;
}

} // namespace logdeck::cli
