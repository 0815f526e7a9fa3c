#include "cli/cli.h"
#include "cli/data_options.h"
#include "cli/lag_view.h"
#include "cli/stop_signals.h"
#include "cli/usage.h"
#include "common/log.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <cstdio>

namespace logdeck::cli {

namespace {

/// What one-shot figures measure, for each command's --help.
const char *const kOneShotNote =
    "\n\nOne-shot: the cluster is sampled twice, one second apart. LAG and offsets are exact;\n"
    "RATE, TIME-TO-DRAIN and interpolated TIME-LAG come from those two samples. A group's\n"
    "STATUS is the running engine's monitor's (Burrow's rules over a full window) when an\n"
    "engine runs on the data directory and --broker is not given; otherwise, and for each\n"
    "partition, Burrow's rules over the two samples, which show REWIND but not yet WARN,\n"
    "STALL or STOP: follow a group with 'logdeck-cli lag --group G --watch' for those.\n"
    "TIME-LAG is exact (*) for groups a Logdeck engine runs.";

constexpr std::chrono::milliseconds kOneShotGap {1000};

/// Parses the common options of a groups subcommand, runs `checkArguments` (which may fill
/// in `sampling`) and takes a one-shot sample. Returns the exit code when it should stop
/// there.
std::optional<int> sampleForCommand(QCommandLineParser &parser, const QStringList &arguments,
                                    const QString &synopsis, ops::LagSamplingOptions &sampling,
                                    std::optional<ops::LagSnapshot> &snapshot,
                                    const std::function<std::optional<int>()> &checkArguments)
{
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    if (auto bad = checkArguments()) {
        std::fprintf(stderr, "Usage: logdeck-cli %s\n", qPrintable(synopsis));
        return bad;
    }
    log::setLevel(log::Level::Warn);
    auto session = LagSession::open(parser, sampling);
    if (!session) {
        printError(session.error().message);
        return session.error().code == Error::Code::InvalidArgument ? UsageError : RuntimeError;
    }
    const StopSignals stopSignals;
    auto sampled = (*session)->sampleTwice(kOneShotGap);
    if (!sampled) {
        printError(sampled.error().message);
        return RuntimeError;
    }
    if (!sampled->note.empty()) {
        printError(sampled->note);
    }
    snapshot = std::move(*sampled);
    return std::nullopt;
}

int listGroups(const QStringList &arguments)
{
    const QString synopsis =
        QStringLiteral("groups list [--data DIR | --broker LIST [-X prop=value]...] [--json]");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Lists every consumer group of the cluster with its state, members, "
                       "topics, total lag,\nlargest time lag, consumption rate, time to drain, "
                       "health (Burrow's rules) and the\nLogdeck engine that runs it.")
        + QString::fromUtf8(kOneShotNote));
    ops::LagSamplingOptions sampling;
    std::optional<ops::LagSnapshot> snapshot;
    const auto noPositional = [&]() -> std::optional<int> {
        if (!parser.positionalArguments().isEmpty()) {
            printError(QStringLiteral("groups list takes no arguments"));
            return UsageError;
        }
        return std::nullopt;
    };
    if (auto done =
            sampleForCommand(parser, arguments, synopsis, sampling, snapshot, noPositional)) {
        return *done;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const auto &group : snapshot->groups) {
            array.append(toJson(group, false));
        }
        std::fputs(QJsonDocument(array).toJson(QJsonDocument::Indented).constData(), stdout);
        return Ok;
    }
    std::vector<std::vector<std::string>> rows {groupHeader()};
    for (const auto &group : snapshot->groups) {
        rows.push_back(groupRow(group));
    }
    printColumns(rows);
    std::fprintf(stderr, "%zu consumer group(s)\n", snapshot->groups.size());
    return Ok;
}

int describeGroup(const QStringList &arguments)
{
    const QString synopsis = QStringLiteral(
        "groups describe (GROUP | --group GROUP) [--data DIR | --broker LIST [-X prop=value]...]\n"
        "       [--json]");
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Describes a consumer group per partition, with the columns of\n"
                       "kafka-consumer-groups --describe plus TIME-LAG, RATE, TIME-TO-DRAIN and "
                       "STATUS.")
        + QString::fromUtf8(kOneShotNote));
    parser.addPositionalArgument(QStringLiteral("GROUP"), QStringLiteral("The consumer group."));
    const QCommandLineOption groupOption(
        QStringLiteral("group"),
        QStringLiteral("The consumer group, as kafka-consumer-groups takes it."),
        QStringLiteral("group"));
    parser.addOption(groupOption);
    ops::LagSamplingOptions sampling;
    const auto oneGroup = [&]() -> std::optional<int> {
        QStringList groups = parser.positionalArguments();
        groups += parser.values(groupOption);
        if (groups.size() != 1 || groups.first().isEmpty()) {
            printError(QStringLiteral("groups describe needs exactly one GROUP (or --group GROUP)"));
            return UsageError;
        }
        sampling.onlyGroup = groups.first().toStdString();
        return std::nullopt;
    };
    std::optional<ops::LagSnapshot> snapshot;
    if (auto done = sampleForCommand(parser, arguments, synopsis, sampling, snapshot, oneGroup)) {
        return *done;
    }
    const std::string &group = sampling.onlyGroup;
    const ops::GroupLag *found = snapshot->find(group);
    if (found == nullptr) {
        printError("consumer group '" + group
                   + "' does not exist: no committed offsets and no members on this cluster "
                     "('logdeck-cli groups list' shows the groups there are)");
        return RuntimeError;
    }
    if (!found->error.empty()) {
        printError("group '" + group + "': " + found->error);
    }
    if (parser.isSet(QStringLiteral("json"))) {
        std::fputs(QJsonDocument(toJson(*found, true)).toJson(QJsonDocument::Indented).constData(),
                   stdout);
        return Ok;
    }
    std::vector<std::vector<std::string>> rows {
        {"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID",
         "HOST", "CLIENT-ID", "TIME-LAG", "RATE", "TIME-TO-DRAIN", "STATUS"}};
    const auto orDash = [](const std::string &text) {
        return text.empty() ? "-" : text;
    };
    const auto offset = [](std::int64_t value) {
        return value >= 0 ? std::to_string(value) : std::string("-");
    };
    for (const auto &partition : found->partitions) {
        rows.push_back(
            {found->group, partition.topic, std::to_string(partition.partition),
             offset(partition.committedOffset), offset(partition.logEndOffset),
             offset(partition.lag), orDash(partition.consumerId), orDash(partition.host),
             orDash(partition.clientId),
             formatDuration(partition.timeLagSeconds) + (partition.timeLagExact ? "*" : ""),
             formatRate(partition.consumeRate), formatDuration(partition.timeToDrainSeconds),
             std::string(ops::lagStatusName(partition.status))});
    }
    printColumns(rows);
    std::fprintf(stderr, "group '%s': %s, %s\n", found->group.c_str(),
                 found->state.empty() ? "state unknown" : found->state.c_str(),
                 std::string(ops::lagStatusName(found->status)).c_str());
    return Ok;
}

struct Subcommand
{
    const char *name;
    const char *summary;
    int (*run)(const QStringList &arguments);
};

/// `groups` subcommands: adding one is one row here and one function.
constexpr Subcommand kSubcommands[] = {
    {"list", "Every consumer group with its lag, time lag and health", listGroups},
    {"describe", "One group per partition, like kafka-consumer-groups --describe", describeGroup},
    {"reset-offsets", "Move a group's offsets to replay or skip (dry run by default)",
     groupsResetOffsetsCommand},
    {"pause", "Pause a Logdeck group in every engine that runs it", groupsPauseCommand},
    {"resume", "Resume a paused Logdeck group", groupsResumeCommand},
};

void printSubcommands(std::FILE *out)
{
    std::fputs("Usage: logdeck-cli groups <command> [options]\n\nCommands:\n", out);
    for (const auto &subcommand : kSubcommands) {
        std::fprintf(out, "  %-14s %s\n", subcommand.name, subcommand.summary);
    }
    std::fputs("\n'logdeck-cli groups <command> --help' describes a command's options.\n", out);
}

} // namespace

int groupsCommand(const QStringList &arguments)
{
    if (arguments.size() < 2) {
        printError(QStringLiteral("groups needs a command"));
        printSubcommands(stderr);
        return UsageError;
    }
    const QString name = arguments.at(1);
    if (name == QLatin1String("--help") || name == QLatin1String("-h")) {
        printSubcommands(stdout);
        return Ok;
    }
    for (const auto &subcommand : kSubcommands) {
        if (name == QLatin1String(subcommand.name)) {
            QStringList rest = arguments.mid(2);
            rest.prepend(arguments.at(0));
            return subcommand.run(rest);
        }
    }
    printError(QStringLiteral("unknown groups command '%1'").arg(name));
    printSubcommands(stderr);
    return UsageError;
}

} // namespace logdeck::cli
