#include "cli/cli.h"
#include "cli/table.h"
#include "cli/data_options.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/time_format.h"
#include "config.h"
#include "consume/rollup_reader.h"
#include "store/tenant_store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cstdio>
#include <string>

namespace logdeck::cli {

namespace {

using consume::RollupRow;

QString synopsis()
{
    return QStringLiteral("rollups [--data DIR] [--tenant T] [--json]");
}

int usageError(const QString &message)
{
    printError(message);
    std::fprintf(stderr,
                 "Usage: logdeck-cli %s\n\n'logdeck-cli rollups --help' describes the options.\n",
                 qPrintable(synopsis()));
    return UsageError;
}

std::int64_t totalOf(const std::vector<RollupRow> &rows)
{
    std::int64_t total = 0;
    for (const auto &row : rows) {
        total += row.count;
    }
    return total;
}

void printTable(const std::vector<RollupRow> &rows)
{
    Table table({"TENANT", "CAMPAIGN", "TYPE", "MINUTE", "COUNT"});
    table.alignRight(4);
    for (const auto &row : rows) {
        table.addRow({row.tenant, row.campaignId, row.type, formatRfc3339(row.minuteMs),
                      std::to_string(row.count)});
    }
    table.addRow({"TOTAL", "", "", "", std::to_string(totalOf(rows))});
    table.print();
}

void printJson(const std::vector<RollupRow> &rows)
{
    QJsonArray array;
    for (const auto &row : rows) {
        array.append(QJsonObject {
            {QStringLiteral("tenant"), QString::fromStdString(row.tenant)},
            {QStringLiteral("campaignId"), QString::fromStdString(row.campaignId)},
            {QStringLiteral("type"), QString::fromStdString(row.type)},
            {QStringLiteral("minute"), QString::fromStdString(formatRfc3339(row.minuteMs))},
            {QStringLiteral("count"), static_cast<qint64>(row.count)},
        });
    }
    const QJsonObject document {
        {QStringLiteral("total"), static_cast<qint64>(totalOf(rows))},
        {QStringLiteral("rows"), array},
    };
    std::fputs(QJsonDocument(document).toJson(QJsonDocument::Indented).constData(), stdout);
}

} // namespace

int rollupsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Prints the analytics group's event counts per tenant, campaign, type and minute of\n"
        "occurrence (UTC), and their total. Reads the group's database in the data directory;\n"
        "a running engine is not needed, and a directory where the group never ran prints an\n"
        "empty table."));
    const QCommandLineOption tenant(QStringLiteral("tenant"),
                                    QStringLiteral("Only the counts of this tenant."),
                                    QStringLiteral("name"));
    const QCommandLineOption json(
        QStringLiteral("json"),
        QStringLiteral("Print one JSON object {\"total\", \"rows\"} instead of a table."));
    addDataOption(parser);
    parser.addOption(tenant);
    parser.addOption(json);
    int exitCode = Ok;
    if (!parseCommandLine(parser, arguments, synopsis(), exitCode)) {
        return exitCode;
    }
    if (const QStringList positional = parser.positionalArguments(); !positional.isEmpty()) {
        return usageError(QStringLiteral("unexpected argument '%1'").arg(positional.first()));
    }
    const std::string tenantName =
        parser.isSet(tenant) ? parser.value(tenant).toStdString() : std::string();
    if (parser.isSet(tenant)) {
        if (auto valid = store::TenantStore::validateName(tenantName); !valid) {
            return usageError(QString::fromStdString(valid.error().message));
        }
    }

    // A schema migration's info line would only get in the way of the table.
    log::setLevel(log::Level::Warn);
    const auto dataDir = existingDataDirFrom(parser);
    if (!dataDir) {
        printError(dataDir.error().message);
        return RuntimeError;
    }
    auto rows = consume::readRollups(*dataDir, tenantName);
    if (!rows) {
        printError(rows.error().message);
        return RuntimeError;
    }
    if (parser.isSet(json)) {
        printJson(*rows);
    } else {
        printTable(*rows);
    }
    return Ok;
}

} // namespace logdeck::cli
