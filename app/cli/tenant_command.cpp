#include "cli/cli.h"
#include "cli/data_options.h"
#include "cli/table.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/time_format.h"
#include "ops/record_address.h"
#include "ops/tenant_inspector.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <algorithm>
#include <cstdio>
#include <optional>

namespace logdeck::cli {

namespace {

QString synopsis()
{
    return QStringLiteral("tenant inspect TENANT [--since T] [--until T] [--type X] [--limit N]\n"
                          "       [--event ID] [--group G]... [--scan] [--json | --csv]\n"
                          "       [--data DIR] [--broker LIST] [-X property=value]");
}

int usageError(const QString &message)
{
    printError(message);
    std::fprintf(stderr,
                 "Usage: logdeck-cli %s\n\n'logdeck-cli tenant --help' describes the options.\n",
                 qPrintable(synopsis()));
    return UsageError;
}

/// An RFC 3339 time, or a duration before now: 90s, 15m, 2h, 7d.
std::optional<std::int64_t> parseTime(const QString &text)
{
    if (const auto absolute = parseRfc3339(text.toStdString())) {
        return absolute;
    }
    static const std::pair<QChar, std::int64_t> kUnits[] = {{QLatin1Char('s'), 1000},
                                                            {QLatin1Char('m'), 60'000},
                                                            {QLatin1Char('h'), 3'600'000},
                                                            {QLatin1Char('d'), 86'400'000}};
    if (text.size() < 2) {
        return std::nullopt;
    }
    bool ok = false;
    const qint64 amount = text.chopped(1).toLongLong(&ok);
    const auto unit =
        std::ranges::find(kUnits, text.back(), &std::pair<QChar, std::int64_t>::first);
    if (!ok || amount < 0 || unit == std::end(kUnits)) {
        return std::nullopt;
    }
    return nowMillis() - amount * unit->second;
}

QString timeText(std::int64_t ms)
{
    return ms > 0 ? QString::fromStdString(formatRfc3339(ms)) : QStringLiteral("-");
}

QJsonValue timeJson(std::int64_t ms)
{
    return ms > 0 ? QJsonValue(QString::fromStdString(formatRfc3339(ms))) : QJsonValue();
}

QJsonObject eventObject(const ops::InspectedEvent &event)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(ops::eventJson(event))).object();
}

QString text(std::string_view view)
{
    return QString::fromUtf8(view.data(), static_cast<qsizetype>(view.size()));
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
QString csvField(const QString &field)
{
    if (!field.contains(QLatin1Char(',')) && !field.contains(QLatin1Char('"'))
        && !field.contains(QLatin1Char('\n')) && !field.contains(QLatin1Char('\r'))) {
        return field;
    }
    QString quoted = field;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

void printCsvRow(const QStringList &fields)
{
    QStringList escaped;
    for (const QString &field : fields) {
        escaped.append(csvField(field));
    }
    std::fputs(qPrintable(escaped.join(QLatin1Char(',')) + QLatin1String("\r\n")), stdout);
}

/// Prints `rows` (the header first) through the shared Table.
void printColumns(const std::vector<QStringList> &rows)
{
    std::vector<std::vector<std::string>> cells;
    cells.reserve(rows.size());
    for (const auto &row : rows) {
        std::vector<std::string> &line = cells.emplace_back();
        for (const QString &cell : row) {
            line.push_back(cell.toStdString());
        }
    }
    cli::printColumns(cells);
}

void printInspection(const ops::TenantInspection &inspection, bool json, bool csv)
{
    if (json) {
        QJsonArray groups;
        for (const auto &group : inspection.groups) {
            groups.append(QString::fromStdString(group));
        }
        QJsonArray events;
        for (const auto &event : inspection.events) {
            events.append(eventObject(event));
        }
        const QJsonObject document {
            {QStringLiteral("tenant"), QString::fromStdString(inspection.tenant)},
            {QStringLiteral("partition"), inspection.partition},
            {QStringLiteral("source"), text(ops::sourceName(inspection.source))},
            {QStringLiteral("scannedRecords"), static_cast<qint64>(inspection.scannedRecords)},
            {QStringLiteral("truncated"), inspection.truncated},
            {QStringLiteral("groups"), groups},
            {QStringLiteral("events"), events}};
        std::fputs(QJsonDocument(document).toJson(QJsonDocument::Indented).constData(), stdout);
        return;
    }
    // The table's headers are upper case; CSV's name the groups exactly.
    QStringList header {QStringLiteral("time"), QStringLiteral("event"), QStringLiteral("type"),
                        QStringLiteral("partition"), QStringLiteral("offset")};
    if (!csv) {
        for (auto &field : header) {
            field = field.toUpper();
        }
    }
    for (const auto &group : inspection.groups) {
        const QString name = QString::fromStdString(group);
        header.append(csv ? name : name.toUpper());
    }
    std::vector<QStringList> rows;
    for (const auto &event : inspection.events) {
        QStringList row {timeText(event.occurredAtMs), QString::fromStdString(event.eventId),
                         QString::fromStdString(event.type), QString::number(event.partition),
                         QString::number(event.offset)};
        for (const auto &group : inspection.groups) {
            const auto state = event.states.find(group);
            row.append(state != event.states.end() ? text(ops::stateName(state->second))
                                                   : QStringLiteral("-"));
        }
        rows.push_back(std::move(row));
    }
    if (csv) {
        printCsvRow(header);
        for (const auto &row : rows) {
            printCsvRow(row);
        }
        return;
    }
    rows.insert(rows.begin(), header);
    printColumns(rows);
}

void printTrace(const ops::EventTrace &trace, bool json, bool csv)
{
    auto where = [](const ops::Hop &hop) {
        return hop.topic.empty() ? QString()
                                 : QString::fromStdString(ops::formatRecordAddress(
                                       hop.topic, hop.partition, hop.offset));
    };
    if (json) {
        QJsonArray hops;
        for (const auto &hop : trace.hops) {
            QJsonObject object {{QStringLiteral("time"), timeJson(hop.atMs)},
                                {QStringLiteral("hop"), text(ops::hopName(hop.kind))},
                                {QStringLiteral("group"), QString::fromStdString(hop.group)},
                                {QStringLiteral("detail"), QString::fromStdString(hop.detail)}};
            if (!hop.topic.empty()) {
                object.insert(QStringLiteral("topic"), QString::fromStdString(hop.topic));
                object.insert(QStringLiteral("partition"), hop.partition);
                object.insert(QStringLiteral("offset"), static_cast<qint64>(hop.offset));
            }
            hops.append(object);
        }
        const QJsonObject document {
            {QStringLiteral("tenant"), QString::fromStdString(trace.tenant)},
            {QStringLiteral("source"), text(ops::sourceName(trace.source))},
            {QStringLiteral("event"), eventObject(trace.event)},
            {QStringLiteral("hops"), hops}};
        std::fputs(QJsonDocument(document).toJson(QJsonDocument::Indented).constData(), stdout);
        return;
    }
    std::vector<QStringList> rows;
    for (const auto &hop : trace.hops) {
        rows.push_back({timeText(hop.atMs), text(ops::hopName(hop.kind)),
                        QString::fromStdString(hop.group), where(hop),
                        QString::fromStdString(hop.detail)});
    }
    if (csv) {
        printCsvRow({QStringLiteral("time"), QStringLiteral("hop"), QStringLiteral("group"),
                     QStringLiteral("where"), QStringLiteral("detail")});
        for (const auto &row : rows) {
            printCsvRow(row);
        }
        return;
    }
    rows.insert(rows.begin(),
                {QStringLiteral("TIME"), QStringLiteral("HOP"), QStringLiteral("GROUP"),
                 QStringLiteral("WHERE"), QStringLiteral("DETAIL")});
    printColumns(rows);
}

int exitCodeFor(const Error &error)
{
    return error.code == Error::Code::InvalidArgument ? UsageError : RuntimeError;
}

} // namespace

int tenantCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Shows where a tenant's events are: in time order, each event's state in every group\n"
        "hosted on the data directory: processed, pending (not read yet), retry (waiting on\n"
        "the group's retry topic), dlq (dead-lettered) or redriven (sent back, not read yet).\n"
        "Events come from the persister's index, and from the tenant's partition of\n"
        "events.raw where the index does not cover it. --event follows one event through\n"
        "every hop with times. To add tenants or manage their API keys, see 'logdeck-cli\n"
        "tenants'."));
    parser.addPositionalArgument(QStringLiteral("inspect"),
                                 QStringLiteral("Inspect the tenant's events."));
    parser.addPositionalArgument(QStringLiteral("tenant"), QStringLiteral("The tenant id."),
                                 QStringLiteral("TENANT"));
    const QCommandLineOption since(
        QStringLiteral("since"),
        QStringLiteral("Events that occurred at or after T: RFC 3339, or a duration ago (15m, "
                       "2h, 7d)."),
        QStringLiteral("T"));
    const QCommandLineOption until(QStringLiteral("until"),
                                   QStringLiteral("Events that occurred at or before T."),
                                   QStringLiteral("T"));
    const QCommandLineOption type(QStringLiteral("type"),
                                  QStringLiteral("Only events of this type."), QStringLiteral("X"));
    const QCommandLineOption limit(
        QStringLiteral("limit"), QStringLiteral("The newest N events of the range (default 100)."),
        QStringLiteral("N"), QStringLiteral("100"));
    const QCommandLineOption event(QStringLiteral("event"),
                                   QStringLiteral("Follow this event through every hop."),
                                   QStringLiteral("ID"));
    const QCommandLineOption group(
        QStringLiteral("group"),
        QStringLiteral("A group to report (repeatable; default: every group hosted on the data "
                       "directory)."),
        QStringLiteral("G"));
    const QCommandLineOption scan(
        QStringLiteral("scan"),
        QStringLiteral("Ignore the persister's index and read the tenant's partition."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    const QCommandLineOption csv(QStringLiteral("csv"), QStringLiteral("Print CSV (RFC 4180)."));
    parser.addOptions({since, until, type, limit, event, group, scan, json, csv});
    addDataOption(parser);
    addClusterOptions(parser);
    int exitCode = Ok;
    if (!parseCommandLine(parser, arguments, synopsis(), exitCode)) {
        return exitCode;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty()) {
        return usageError(QStringLiteral("tenant needs a command: inspect"));
    }
    if (positional.first() != QLatin1String("inspect")) {
        return usageError(QStringLiteral("unknown tenant command '%1' (to manage tenants and "
                                         "keys, use 'logdeck-cli tenants')")
                              .arg(positional.first()));
    }
    if (positional.size() != 2) {
        return usageError(positional.size() < 2
                              ? QStringLiteral("tenant inspect needs a TENANT")
                              : QStringLiteral("unexpected argument '%1'").arg(positional.at(2)));
    }
    if (parser.isSet(json) && parser.isSet(csv)) {
        return usageError(QStringLiteral("--json and --csv exclude each other"));
    }

    ops::TenantQuery query;
    query.tenant = positional.at(1).toStdString();
    for (const auto &[option, target] :
         {std::pair {&since, &query.sinceMs}, std::pair {&until, &query.untilMs}}) {
        if (!parser.isSet(*option)) {
            continue;
        }
        const QString value = parser.value(*option);
        *target = parseTime(value);
        if (!*target) {
            return usageError(QStringLiteral("--%1 '%2' is not a time: give RFC 3339 "
                                             "(2026-11-26T15:04:05Z) or a duration ago (15m, "
                                             "2h, 7d)")
                                  .arg(option->names().first(), value));
        }
    }
    if (query.sinceMs && *query.sinceMs > nowMillis()) {
        return usageError(QStringLiteral("--since %1 is in the future: no event can have "
                                         "occurred yet")
                              .arg(QString::fromStdString(formatRfc3339(*query.sinceMs))));
    }
    bool limitOk = false;
    query.limit = parser.value(limit).toInt(&limitOk);
    if (!limitOk || query.limit <= 0) {
        return usageError(
            QStringLiteral("--limit expects a positive number, not '%1'").arg(parser.value(limit)));
    }
    query.type = parser.value(type).toStdString();
    query.scanOnly = parser.isSet(scan);
    for (const QString &name : parser.values(group)) {
        query.groups.push_back(name.toStdString());
    }

    log::setLevel(log::Level::Warn);
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        printError(cluster.error().message);
        return exitCodeFor(cluster.error());
    }
    const ops::InspectorSources sources {*cluster, dataDirFrom(parser)};
    if (parser.isSet(event)) {
        auto trace = ops::traceEvent(sources, query, parser.value(event).toStdString());
        if (!trace) {
            printError(trace.error().message);
            return exitCodeFor(trace.error());
        }
        printTrace(*trace, parser.isSet(json), parser.isSet(csv));
        return Ok;
    }
    auto inspection = ops::inspectTenant(sources, query);
    if (!inspection) {
        printError(inspection.error().message);
        return exitCodeFor(inspection.error());
    }
    printInspection(*inspection, parser.isSet(json), parser.isSet(csv));
    std::fprintf(stderr, "logdeck-cli: %zu event(s) of tenant '%s' on events.raw:%d, from %s",
                 inspection->events.size(), query.tenant.c_str(), inspection->partition,
                 std::string(ops::sourceName(inspection->source)).c_str());
    if (inspection->scannedRecords > 0) {
        std::fprintf(stderr, " (%lld records scanned)",
                     static_cast<long long>(inspection->scannedRecords));
    }
    std::fputs(inspection->truncated ? "; older events left out: narrow --since or raise --limit\n"
                                     : "\n",
               stderr);
    return Ok;
}

} // namespace logdeck::cli
