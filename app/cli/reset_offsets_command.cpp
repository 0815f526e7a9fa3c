// `logdeck-cli groups reset-offsets | pause | resume` and `logdeck-cli fleet`: the commands
// that steer groups, through the engine's ops services.

#include "cli/cli.h"
#include "cli/data_options.h"
#include "cli/table.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/numbers.h"
#include "common/private_files.h"
#include "common/time_format.h"
#include "engine_info.h"
#include "ops/control_plane.h"
#include "ops/group_control.h"
#include "ops/offset_reset.h"
#include "store/audit_log.h"
#include "store/database.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string_view>
#include <variant>

namespace logdeck::cli {

namespace {

const QString kStrategies[] = {
    QStringLiteral("to-earliest"), QStringLiteral("to-latest"), QStringLiteral("to-current"),
    QStringLiteral("to-offset"),   QStringLiteral("shift-by"),  QStringLiteral("to-datetime"),
    QStringLiteral("by-duration"), QStringLiteral("from-file"),
};

/// The cluster of the command line and whether it is the embedded mock cluster (known from
/// the engine.json of an embedded engine; --broker names a real cluster).
Result<ops::ResetContext> contextFrom(const QCommandLineParser &parser)
{
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        return fail(cluster.error());
    }
    ops::ResetContext context;
    context.cluster = std::move(*cluster);
    context.dataDir = dataDirFrom(parser);
    if (!parser.isSet(QStringLiteral("broker"))) {
        auto info = readEngineInfo(context.dataDir);
        context.mockCluster = info && info->mode == "embedded";
    }
    return context;
}

/// The engines' heartbeats on the command line's cluster; the exit code when that fails.
std::variant<std::vector<ops::EngineHeartbeat>, int>
heartbeatsFrom(const QCommandLineParser &parser)
{
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        printError(cluster.error().message);
        return cluster.error().code == Error::Code::InvalidArgument ? UsageError : RuntimeError;
    }
    auto heartbeats = ops::readHeartbeats(*cluster, std::chrono::seconds(15));
    if (!heartbeats) {
        printError(heartbeats.error().message);
        return RuntimeError;
    }
    return std::move(*heartbeats);
}

std::string timeOrDash(std::int64_t ms)
{
    return ms > 0 ? formatRfc3339(ms) : std::string("-");
}

void printPlan(const ops::ResetPlan &plan, bool execute)
{
    Table table({"TOPIC", "PARTITION", "CURRENT", "NEW", "LOG-END", "MESSAGES", "NEW-OFFSET-TIME",
                 "CURRENT-OFFSET-TIME"});
    table.alignRight(1).alignRight(2).alignRight(3).alignRight(4).alignRight(5);
    std::int64_t reread = 0;
    std::int64_t skipped = 0;
    for (const auto &p : plan.partitions) {
        const std::int64_t delta = p.reread();
        const std::string messages = delta > 0 ? "re-read " + std::to_string(delta)
            : delta < 0                        ? "skip " + std::to_string(-delta)
                                               : std::string("-");
        (delta > 0 ? reread : skipped) += delta > 0 ? delta : -delta;
        table.addRow({p.topic, std::to_string(p.partition),
                      p.current < 0 ? std::string("-") : std::to_string(p.current),
                      std::to_string(p.target), std::to_string(p.logEnd), messages,
                      timeOrDash(p.targetTimestampMs), timeOrDash(p.currentTimestampMs)});
    }
    table.print();
    std::fprintf(stderr,
                 "Group '%s' %s: %zu partition(s), %lld message(s) to re-read, %lld to skip%s\n",
                 plan.group.c_str(), plan.strategy.c_str(), plan.partitions.size(),
                 static_cast<long long>(reread), static_cast<long long>(skipped),
                 plan.rebuild ? ", rebuilding derived state" : "");
    if (!plan.hostedBy.empty()) {
        std::string hosts;
        for (const auto &h : plan.hostedBy) {
            hosts += (hosts.empty() ? "" : ", ") + h;
        }
        std::fprintf(stderr, "Run by Logdeck engine(s) %s: %s\n", hosts.c_str(),
                     execute ? "they pause it, apply the offsets and resume it"
                             : "--execute pauses it there, applies the offsets and resumes it");
    }
    for (const auto &warning : plan.warnings) {
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
    }
    if (!execute) {
        std::fputs("Dry run: nothing changed. Add --execute to apply this plan.\n", stderr);
    }
}

/// `text` as one shell word: as it is when it holds only safe characters, else in single
/// quotes.
std::string shellQuoted(const std::string &text)
{
    const bool safe = !text.empty() && std::ranges::all_of(text, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0
            || std::string_view("_./:,@=+-").find(c) != std::string_view::npos;
    });
    if (safe) {
        return text;
    }
    std::string quoted = "'";
    for (const char c : text) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
}

/// Writes `text` to `path`; a file it creates gets `newFileMode` when given.
Result<void> writeFile(const QString &path, const std::string &text,
                       std::optional<QFile::Permissions> newFileMode = std::nullopt)
{
    QFile file(path);
    constexpr auto mode = QIODevice::WriteOnly | QIODevice::Truncate;
    if (!(newFileMode ? file.open(mode, *newFileMode) : file.open(mode))
        || file.write(text.data(), static_cast<qint64>(text.size()))
            != static_cast<qint64>(text.size())) {
        return fail(Error::io("cannot write '" + path.toStdString()
                              + "': " + file.errorString().toStdString()));
    }
    return {};
}

/// Reads the strategy and scope options into a request; a usage error names the problem.
Result<ops::ResetRequest> requestFrom(const QCommandLineParser &parser)
{
    ops::ResetRequest request;
    request.group = parser.value(QStringLiteral("group")).toStdString();
    if (request.group.empty()) {
        return fail(Error::invalid("--group is required"));
    }
    QStringList chosen;
    for (const QString &name : kStrategies) {
        if (parser.isSet(name)) {
            chosen << QStringLiteral("--") + name;
        }
    }
    if (chosen.size() != 1) {
        return fail(Error::invalid(
            chosen.isEmpty()
                ? std::string("give one strategy: --to-earliest, --to-latest, "
                              "--to-current, --to-offset, --shift-by, "
                              "--to-datetime, --by-duration or --from-file")
                : "give one strategy, not " + chosen.join(QStringLiteral(" and ")).toStdString()));
    }
    const auto number = [&](const QString &name) -> Result<std::int64_t> {
        const auto value = parseInt64Exact(parser.value(name).toStdString());
        if (!value) {
            return fail(Error::invalid("--" + name.toStdString() + " expects a whole number, not '"
                                       + parser.value(name).toStdString() + "'"));
        }
        return *value;
    };
    const std::int64_t now = nowMillis();
    if (parser.isSet(QStringLiteral("to-earliest"))) {
        request.strategy = ops::ResetStrategy::ToEarliest;
    } else if (parser.isSet(QStringLiteral("to-latest"))) {
        request.strategy = ops::ResetStrategy::ToLatest;
    } else if (parser.isSet(QStringLiteral("to-current"))) {
        request.strategy = ops::ResetStrategy::ToCurrent;
    } else if (parser.isSet(QStringLiteral("to-offset"))) {
        request.strategy = ops::ResetStrategy::ToOffset;
        auto offset = number(QStringLiteral("to-offset"));
        if (!offset) {
            return fail(offset.error());
        }
        if (*offset < 0) {
            return fail(Error::invalid("--to-offset must be 0 or more"));
        }
        request.offset = *offset;
    } else if (parser.isSet(QStringLiteral("shift-by"))) {
        request.strategy = ops::ResetStrategy::ShiftBy;
        auto shift = number(QStringLiteral("shift-by"));
        if (!shift) {
            return fail(shift.error());
        }
        request.offset = *shift;
    } else if (parser.isSet(QStringLiteral("to-datetime"))) {
        request.strategy = ops::ResetStrategy::ToDatetime;
        const std::string text = parser.value(QStringLiteral("to-datetime")).toStdString();
        const auto at = ops::parseResetDatetime(text);
        if (!at) {
            return fail(Error::invalid("--to-datetime: " + at.error().message));
        }
        if (*at > now) {
            return fail(Error::invalid("--to-datetime: " + text + " is in the future"));
        }
        request.timestampMs = *at;
    } else if (parser.isSet(QStringLiteral("by-duration"))) {
        request.strategy = ops::ResetStrategy::ByDuration;
        auto duration =
            ops::parseIsoDuration(parser.value(QStringLiteral("by-duration")).toStdString());
        if (!duration) {
            return fail(Error::invalid("--by-duration: " + duration.error().message));
        }
        request.timestampMs = now - duration->count();
    } else {
        request.strategy = ops::ResetStrategy::FromFile;
        const QString path = parser.value(QStringLiteral("from-file"));
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            return fail(Error::invalid("--from-file: cannot read '" + path.toStdString()
                                       + "': " + file.errorString().toStdString()));
        }
        auto offsets = ops::parseOffsetsCsv(file.readAll().toStdString());
        if (!offsets) {
            return fail(Error::invalid("--from-file " + path.toStdString() + ": "
                                       + offsets.error().message));
        }
        request.fileOffsets = std::move(*offsets);
    }
    request.allTopics = parser.isSet(QStringLiteral("all-topics"));
    for (const QString &topic : parser.values(QStringLiteral("topic"))) {
        const QStringList parts = topic.split(QLatin1Char(':'));
        auto &partitions = request.topics[parts.first().toStdString()];
        if (parts.first().isEmpty() || parts.size() > 2) {
            return fail(
                Error::invalid("--topic expects T or T:P,P..., not '" + topic.toStdString() + "'"));
        }
        if (parts.size() == 2) {
            for (const QString &p : parts.at(1).split(QLatin1Char(','))) {
                const auto partition = parseInt64Exact(p.toStdString());
                if (!partition || *partition < 0 || *partition > INT32_MAX) {
                    return fail(Error::invalid("--topic " + topic.toStdString() + ": '"
                                               + p.toStdString() + "' is not a partition number"));
                }
                partitions.push_back(static_cast<std::int32_t>(*partition));
            }
        }
    }
    const bool fromFile = request.strategy == ops::ResetStrategy::FromFile;
    if (fromFile && (request.allTopics || !request.topics.empty())) {
        return fail(Error::invalid("--from-file takes its partitions from the file: drop "
                                   "--all-topics and --topic"));
    }
    if (!fromFile && request.allTopics == !request.topics.empty()) {
        return fail(Error::invalid(request.allTopics
                                       ? "give --all-topics or --topic, not both"
                                       : "no scope: give --all-topics or --topic T[:P,P...]"));
    }
    request.rebuild = parser.isSet(QStringLiteral("rebuild"));
    return request;
}

} // namespace

int groupsResetOffsetsCommand(const QStringList &arguments)
{
    const QString synopsis = QStringLiteral(
        "groups reset-offsets --group GROUP <strategy> (--all-topics | --topic T[:P,P...]...)\n"
        "       [--rebuild] [--dry-run | --execute] [--export FILE] [--json]\n"
        "       [--data DIR | --broker LIST [-X prop=value]...]");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Moves a consumer group's committed offsets, with kafka-consumer-groups' strategies.\n"
        "The default is a dry run that prints the plan: per partition the current and new\n"
        "offset, the messages that will be re-read or skipped, and the times of the records at\n"
        "both offsets. --execute applies it: a group run by Logdeck engines (here or remote) is\n"
        "paused through logdeck.control, the offsets move once the group is empty, and it is\n"
        "resumed; any other group must have no active members. Either every partition moves or\n"
        "none does. The previous offsets are saved for undo in DATA/resets/ and the reset is\n"
        "written to the audit log in DATA/logdeck.db, DATA being --data, else the newest engine\n"
        "running here on the same cluster, else the default data directory; both are printed,\n"
        "with the undo command to run as it stands.\n\n"
        "--rebuild (Logdeck's groups) makes a replay count: in the same transaction as the\n"
        "offset change it deletes the dedup keys of the events between the new and the current\n"
        "offset, and what the group derived from them (analytics: their counts in rollups;\n"
        "persister: their rows in the event index; fraud: their clicks in fraud_counters and\n"
        "alerts that no longer reach the threshold; enrichment: nothing, its outputs are\n"
        "published again). Without it, already-processed events are skipped by dedup.\n\n"
        "Strategies: --to-earliest, --to-latest, --to-current, --to-offset N, --shift-by N,\n"
        "--to-datetime 2026-11-26T10:00:00Z (RFC 3339) or 2026-11-26T10:00:00.000 (no zone:\n"
        "local time, as kafka-consumer-groups reads it), --by-duration PT1H30M (P1DT2H...),\n"
        "--from-file CSV "
        "(topic,partition,offset per line, as --export writes).\n\n"
        "Exit codes: 0 done, 1 refused or failed by the cluster (unknown group, topic or\n"
        "partition, active members, broker down), 2 bad usage (strategy, scope, time, file)."));
    parser.addOption(
        {QStringLiteral("group"), QStringLiteral("The consumer group."), QStringLiteral("group")});
    parser.addOption({QStringLiteral("to-earliest"), QStringLiteral("The first offset.")});
    parser.addOption({QStringLiteral("to-latest"), QStringLiteral("The log end.")});
    parser.addOption({QStringLiteral("to-current"), QStringLiteral("The committed offset.")});
    parser.addOption(
        {QStringLiteral("to-offset"), QStringLiteral("An absolute offset."), QStringLiteral("n")});
    parser.addOption({QStringLiteral("shift-by"),
                      QStringLiteral("Move by N (negative: back) from the committed offset."),
                      QStringLiteral("n")});
    parser.addOption({QStringLiteral("to-datetime"),
                      QStringLiteral("The first record at or after this time."),
                      QStringLiteral("time")});
    parser.addOption({QStringLiteral("by-duration"),
                      QStringLiteral("The first record at or after now minus this duration."),
                      QStringLiteral("duration")});
    parser.addOption({QStringLiteral("from-file"),
                      QStringLiteral("Offsets from a CSV file (topic,partition,offset)."),
                      QStringLiteral("file")});
    parser.addOption({QStringLiteral("all-topics"),
                      QStringLiteral("Every topic the group has committed offsets for.")});
    parser.addOption({QStringLiteral("topic"),
                      QStringLiteral("A topic, or some of its partitions (T:0,2); repeatable."),
                      QStringLiteral("topic")});
    parser.addOption({QStringLiteral("rebuild"),
                      QStringLiteral("Forget what the group derived from the replayed events.")});
    parser.addOption({QStringLiteral("dry-run"), QStringLiteral("Print the plan (default).")});
    parser.addOption({QStringLiteral("execute"), QStringLiteral("Apply the plan.")});
    parser.addOption({QStringLiteral("export"),
                      QStringLiteral("Write the new offsets as CSV to this file."),
                      QStringLiteral("file")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print the plan as JSON.")});
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    const auto usage = [&](const std::string &message) {
        printError(message);
        std::fprintf(stderr, "Usage: logdeck-cli %s\n", qPrintable(synopsis));
        return UsageError;
    };
    if (!parser.positionalArguments().isEmpty()) {
        return usage("unexpected argument '" + parser.positionalArguments().first().toStdString()
                     + "'");
    }
    if (parser.isSet(QStringLiteral("dry-run")) && parser.isSet(QStringLiteral("execute"))) {
        return usage("give --dry-run or --execute, not both");
    }
    auto request = requestFrom(parser);
    if (!request) {
        return usage(request.error().message);
    }
    log::setLevel(log::Level::Warn);
    auto context = contextFrom(parser);
    if (!context) {
        printError(context.error().message);
        return context.error().code == Error::Code::InvalidArgument ? UsageError : RuntimeError;
    }
    auto plan = ops::planReset(*context, *request);
    if (!plan) {
        printError(plan.error().message);
        return RuntimeError;
    }
    const bool execute = parser.isSet(QStringLiteral("execute"));
    if (parser.isSet(QStringLiteral("json"))) {
        std::printf("%s\n", ops::toJson(*plan).c_str());
    } else {
        printPlan(*plan, execute);
    }
    if (parser.isSet(QStringLiteral("export"))) {
        if (auto written =
                writeFile(parser.value(QStringLiteral("export")), ops::toOffsetsCsv(*plan, false));
            !written) {
            printError(written.error().message);
            return RuntimeError;
        }
    }
    if (!execute) {
        return Ok;
    }
    auto outcome = ops::executeReset(*context, *plan);
    if (!outcome) {
        printError("the reset was not applied: " + outcome.error().message);
        return RuntimeError;
    }
    for (const auto &step : outcome->steps) {
        std::fprintf(stderr, "  %s\n", step.c_str());
    }
    std::fprintf(
        stderr, "Reset applied to every partition of the plan%s (audit record %lld in %s).\n",
        plan->rebuild
            ? (", " + std::to_string(outcome->forgottenEvents) + " event(s) forgotten").c_str()
            : "",
        static_cast<long long>(outcome->auditId),
        store::Database::pathIn(context->dataDir).c_str());
    if (outcome->undoPath.empty()) {
        std::fputs("Nothing to undo: the group had no committed offsets before.\n", stderr);
    } else {
        // The same cluster and data directory as this run, so that it works as printed.
        std::string undo = "logdeck-cli groups reset-offsets --group " + shellQuoted(plan->group)
            + " --from-file " + shellQuoted(outcome->undoPath) + " --execute";
        if (parser.isSet(QStringLiteral("broker"))) {
            undo += " --broker " + shellQuoted(parser.value(QStringLiteral("broker")).toStdString());
        }
        undo += " --data " + shellQuoted(context->dataDir);
        std::fprintf(stderr, "Undo file: %s\nUndo: %s%s\n", outcome->undoPath.c_str(), undo.c_str(),
                     parser.isSet(QStringLiteral("X")) ? " (with this run's -X options)" : "");
    }
    return Ok;
}

namespace {

/// `groups pause|resume GROUP`: the command goes to every live engine that runs the group.
int steerGroup(const QStringList &arguments, bool pause)
{
    const char *verb = pause ? "pause" : "resume";
    const QString synopsis =
        QStringLiteral("groups %1 GROUP [--data DIR | --broker LIST]").arg(QLatin1String(verb));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        pause ? QStringLiteral("Stops a Logdeck group fetching in every engine that runs it (its "
                               "members stay in the group), through logdeck.control.")
              : QStringLiteral("Lets a paused Logdeck group fetch again in every engine that "
                               "runs it, through logdeck.control."));
    parser.addPositionalArgument(QStringLiteral("GROUP"), QStringLiteral("The group."));
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    if (parser.positionalArguments().size() != 1) {
        printError(QStringLiteral("groups %1 needs exactly one GROUP").arg(QLatin1String(verb)));
        std::fprintf(stderr, "Usage: logdeck-cli %s\n", qPrintable(synopsis));
        return UsageError;
    }
    log::setLevel(log::Level::Warn);
    const std::string group = parser.positionalArguments().first().toStdString();
    auto heartbeats = heartbeatsFrom(parser);
    if (const int *exit = std::get_if<int>(&heartbeats)) {
        return *exit;
    }
    auto outcome =
        ops::steerGroup(*clusterFrom(parser), std::get<std::vector<ops::EngineHeartbeat>>(heartbeats),
                        group, pause, dataDirFrom(parser));
    if (!outcome) {
        printError(outcome.error().message);
        return RuntimeError;
    }
    for (const auto &ack : outcome->acks) {
        std::printf("%s: %s%s\n", ack.instance.c_str(), ack.ok ? "" : "refused: ",
                    ack.message.c_str());
    }
    if (!outcome->auditError.empty()) {
        printError("the audit record was not written: " + outcome->auditError);
    }
    if (!outcome->ok) {
        printError(outcome->result);
        return RuntimeError;
    }
    return Ok;
}

} // namespace

int groupsPauseCommand(const QStringList &arguments)
{
    return steerGroup(arguments, true);
}

int groupsResumeCommand(const QStringList &arguments)
{
    return steerGroup(arguments, false);
}

int fleetCommand(const QStringList &arguments)
{
    const QString synopsis =
        QStringLiteral("fleet [--all] [--json] [--data DIR | --broker LIST [-X prop=value]...]");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Lists the Logdeck engines on the cluster from their heartbeats on logdeck.status:\n"
        "instance, host, version, mode, the groups each runs and their state. An engine is\n"
        "alive while its heartbeat is under 10 s old; --all also shows stopped and silent ones."));
    parser.addOption({QStringLiteral("all"), QStringLiteral("Also stopped and silent engines.")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    log::setLevel(log::Level::Warn);
    auto read = heartbeatsFrom(parser);
    if (const int *exit = std::get_if<int>(&read)) {
        return *exit;
    }
    const auto &heartbeats = std::get<std::vector<ops::EngineHeartbeat>>(read);
    const std::int64_t now = nowMillis();
    const auto stateOf = [&](const ops::EngineHeartbeat &h) {
        return ops::engineLiveness(h, now, ops::kHeartbeatFreshness);
    };
    const bool all = parser.isSet(QStringLiteral("all"));
    QJsonArray array;
    Table table({"INSTANCE", "STATE", "HOST", "VERSION", "MODE", "LAST-HEARTBEAT", "GROUPS"});
    int shown = 0;
    for (const auto &h : heartbeats) {
        const std::string state(ops::livenessName(stateOf(h)));
        if (!all && stateOf(h) != ops::EngineLiveness::Alive) {
            continue;
        }
        ++shown;
        std::string groups;
        QJsonArray groupArray;
        for (const auto &g : h.groups) {
            groups += (groups.empty() ? "" : ", ") + g.group + " (" + g.state + ")";
            groupArray.append(
                QJsonObject {{QStringLiteral("group"), QString::fromStdString(g.group)},
                             {QStringLiteral("state"), QString::fromStdString(g.state)},
                             {QStringLiteral("processed"), static_cast<qint64>(g.processed)}});
        }
        if (parser.isSet(QStringLiteral("json"))) {
            array.append(
                QJsonObject {{QStringLiteral("instance"), QString::fromStdString(h.instance)},
                             {QStringLiteral("state"), QString::fromStdString(state)},
                             {QStringLiteral("host"), QString::fromStdString(h.host)},
                             {QStringLiteral("pid"), static_cast<qint64>(h.pid)},
                             {QStringLiteral("version"), QString::fromStdString(h.version)},
                             {QStringLiteral("mode"), QString::fromStdString(h.mode)},
                             {QStringLiteral("collector"), QString::fromStdString(h.collector)},
                             {QStringLiteral("lastHeartbeat"),
                              QString::fromStdString(formatRfc3339(h.sentAtMs))},
                             {QStringLiteral("groups"), groupArray}});
        } else {
            table.addRow({h.instance, state, h.host, h.version, h.mode, formatRfc3339(h.sentAtMs),
                          groups.empty() ? "-" : groups});
        }
    }
    if (parser.isSet(QStringLiteral("json"))) {
        std::fputs(QJsonDocument(array).toJson(QJsonDocument::Indented).constData(), stdout);
    } else {
        table.print();
    }
    std::fprintf(stderr, "%d engine(s)%s\n", shown, all ? "" : " alive");
    return Ok;
}

} // namespace logdeck::cli
