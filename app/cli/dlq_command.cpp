#include "cli/cli.h"
#include "cli/data_options.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/time_format.h"
#include "ops/dead_letters.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cstdio>

namespace logdeck::cli {

namespace {

QJsonObject toJson(const ops::DeadLetter &d)
{
    return {
        {QStringLiteral("eventId"), QString::fromStdString(d.eventId)},
        {QStringLiteral("tenant"), QString::fromStdString(d.tenant)},
        {QStringLiteral("group"), QString::fromStdString(d.group)},
        {QStringLiteral("errorClass"), QString::fromStdString(d.errorClass)},
        {QStringLiteral("errorMessage"), QString::fromStdString(d.errorMessage)},
        {QStringLiteral("attempts"), d.attempts},
        {QStringLiteral("originalTopic"), QString::fromStdString(d.originalTopic)},
        {QStringLiteral("originalPartition"), d.originalPartition},
        {QStringLiteral("originalOffset"), static_cast<qint64>(d.originalOffset)},
        {QStringLiteral("deadLetteredAt"), QString::fromStdString(formatRfc3339(d.timestampMs))},
        {QStringLiteral("topic"), QString::fromStdString(d.topic)},
        {QStringLiteral("partition"), d.partition},
        {QStringLiteral("offset"), static_cast<qint64>(d.offset)},
        {QStringLiteral("convention"), QString::fromStdString(d.convention)}};
}

void printTable(const std::vector<ops::DeadLetter> &letters)
{
    std::printf("%-24s  %-36s  %-12s  %-12s  %-16s  %8s  %s\n", "DEAD-LETTERED", "EVENT", "TENANT",
                "GROUP", "ERROR", "ATTEMPTS", "ORIGIN");
    for (const auto &d : letters) {
        std::printf("%-24s  %-36s  %-12s  %-12s  %-16s  %8d  %s[%d]@%lld\n",
                    formatRfc3339(d.timestampMs).c_str(), d.eventId.c_str(), d.tenant.c_str(),
                    d.group.c_str(), d.errorClass.c_str(), d.attempts, d.originalTopic.c_str(),
                    d.originalPartition, static_cast<long long>(d.originalOffset));
    }
    std::fprintf(stderr, "%zu dead-lettered record(s)\n", letters.size());
}

} // namespace

int dlqCommand(const QStringList &arguments)
{
    const QString synopsis =
        QStringLiteral("dlq list [--topic T] [--data DIR | --broker LIST] [--json]");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Lists dead-lettered records with their failure: Logdeck's own headers, Spring Kafka's\n"
        "kafka_dlt-* and Kafka Connect's __connect.errors.* are all decoded. The cluster is the\n"
        "running engine's (from the data directory) unless --broker is given."));
    parser.addPositionalArgument(QStringLiteral("list"),
                                 QStringLiteral("List the records of the topic."));
    parser.addOption({QStringLiteral("topic"),
                      QStringLiteral("The dead-letter topic (default events.dlq)."),
                      QStringLiteral("name"), QStringLiteral("events.dlq")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print a JSON array.")});
    addDataOption(parser);
    addClusterOptions(parser);
    int exitCode = Ok;
    if (!parseCommandLine(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1 || positional.first() != QLatin1String("list")) {
        printError(positional.isEmpty() ? QStringLiteral("dlq needs a command: list")
                                        : QStringLiteral("unknown dlq command '%1'")
                                              .arg(positional.join(QLatin1Char(' '))));
        std::fprintf(stderr, "Usage: logdeck-cli %s\n", qPrintable(synopsis));
        return UsageError;
    }
    log::setLevel(log::Level::Warn);
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        printError(cluster.error().message);
        return cluster.error().code == Error::Code::InvalidArgument ? UsageError : RuntimeError;
    }
    auto letters = ops::readDeadLetters(
        *cluster, parser.value(QStringLiteral("topic")).toStdString(), std::chrono::seconds(15));
    if (!letters) {
        printError(letters.error().message);
        return RuntimeError;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const auto &d : *letters) {
            array.append(toJson(d));
        }
        std::fputs(QJsonDocument(array).toJson(QJsonDocument::Indented).constData(), stdout);
    } else {
        printTable(*letters);
    }
    return Ok;
}

} // namespace logdeck::cli
