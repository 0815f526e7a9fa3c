#include "cli/cli.h"
#include "cli/data_options.h"
#include "cli/lag_view.h"
#include "cli/stop_signals.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/time_format.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <cstdio>
#include <unistd.h>

namespace logdeck::cli {

namespace {

void printJson(const ops::LagSnapshot &snapshot, bool withPartitions, bool oneLine)
{
    QJsonArray groups;
    for (const auto &group : snapshot.groups) {
        groups.append(toJson(group, withPartitions));
    }
    const QJsonObject object {
        {QStringLiteral("sampledAt"), QString::fromStdString(formatRfc3339(snapshot.sampledAtMs))},
        {QStringLiteral("groups"), groups}};
    std::fputs(QJsonDocument(object)
                   .toJson(oneLine ? QJsonDocument::Compact : QJsonDocument::Indented)
                   .constData(),
               stdout);
    if (oneLine) {
        std::fputc('\n', stdout);
    }
}

/// One group per row; with --group, that group's partitions.
void printTable(const ops::LagSnapshot &snapshot, const std::string &onlyGroup)
{
    std::vector<std::vector<std::string>> rows;
    if (onlyGroup.empty()) {
        rows.push_back(groupHeader());
        for (const auto &group : snapshot.groups) {
            rows.push_back(groupRow(group));
        }
    } else if (const ops::GroupLag *group = snapshot.find(onlyGroup)) {
        rows.push_back(
            {"TOPIC", "PARTITION", "LAG", "TIME-LAG", "RATE", "TIME-TO-DRAIN", "STATUS"});
        for (const auto &p : group->partitions) {
            rows.push_back({p.topic, std::to_string(p.partition),
                            p.lag >= 0 ? std::to_string(p.lag) : "-",
                            formatDuration(p.timeLagSeconds) + (p.timeLagExact ? "*" : ""),
                            formatRate(p.consumeRate), formatDuration(p.timeToDrainSeconds),
                            std::string(ops::lagStatusName(p.status))});
        }
        rows.push_back({"total", "", std::to_string(group->lag),
                        formatDuration(group->timeLagSeconds), formatRate(group->consumeRate),
                        formatDuration(group->timeToDrainSeconds),
                        std::string(ops::lagStatusName(group->status))});
    }
    printColumns(rows);
}

} // namespace

int lagCommand(const QStringList &arguments)
{
    const QString synopsis = QStringLiteral("lag [--group G] [--watch [--interval S] [--count N]] "
                                            "[--json] [--data DIR | --broker LIST]");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Shows consumer lag: messages, time lag (seconds since the group's position was the\n"
        "head of the log: exact (*) for groups a Logdeck engine runs, interpolated from the\n"
        "log end's history for others), consumption rate, time to drain (∞: not draining)\n"
        "and health by Burrow's rules (OK, WARN, REWIND, STALL, STOP) over a window of the\n"
        "last 10 samples.\n\n"
        "One-shot (no --watch): two samples one second apart; rates, time lag and health can\n"
        "only be as good as two samples (WARN, STALL and STOP need a full window). --watch\n"
        "samples every --interval until Ctrl+C (or --count refreshes) and builds the window;\n"
        "with --json it prints one JSON object per line per refresh."));
    parser.addOption({QStringLiteral("group"), QStringLiteral("Only this group, per partition."),
                      QStringLiteral("name")});
    parser.addOption({QStringLiteral("watch"), QStringLiteral("Refresh until interrupted.")});
    parser.addOption({QStringLiteral("interval"),
                      QStringLiteral("Seconds between refreshes (default 1; 0.1 to 3600)."),
                      QStringLiteral("seconds"), QStringLiteral("1")});
    parser.addOption({QStringLiteral("count"),
                      QStringLiteral("With --watch: stop after this many refreshes."),
                      QStringLiteral("n")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    const auto usageError = [&](const QString &message) {
        printError(message);
        std::fprintf(stderr, "Usage: logdeck-cli %s\n", qPrintable(synopsis));
        return UsageError;
    };
    if (!parser.positionalArguments().isEmpty()) {
        return usageError(QStringLiteral("lag takes no arguments; use --group G for one group"));
    }
    bool ok = false;
    const double intervalSeconds = parser.value(QStringLiteral("interval")).toDouble(&ok);
    if (!ok || intervalSeconds < 0.1 || intervalSeconds > 3600) {
        return usageError(
            QStringLiteral("--interval must be a number of seconds from 0.1 to 3600"));
    }
    int count = 0;
    if (parser.isSet(QStringLiteral("count"))) {
        count = parser.value(QStringLiteral("count")).toInt(&ok);
        if (!ok || count < 1) {
            return usageError(QStringLiteral("--count must be a positive whole number"));
        }
    }
    const bool watch = parser.isSet(QStringLiteral("watch"));
    if (!watch
        && (parser.isSet(QStringLiteral("count")) || parser.isSet(QStringLiteral("interval")))) {
        return usageError(QStringLiteral("--interval and --count go with --watch"));
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    const auto interval =
        std::chrono::milliseconds(static_cast<std::int64_t>(intervalSeconds * 1000.0));

    log::setLevel(log::Level::Warn);
    ops::LagSamplingOptions sampling;
    sampling.onlyGroup = parser.value(QStringLiteral("group")).toStdString();
    sampling.interval = interval;
    auto session = LagSession::open(parser, sampling);
    if (!session) {
        printError(session.error().message);
        return session.error().code == Error::Code::InvalidArgument ? UsageError : RuntimeError;
    }
    const StopSignals stopSignals;
    const bool clearScreen = watch && !json && ::isatty(STDOUT_FILENO) == 1;
    std::string lastNote;
    for (int refresh = 1;; ++refresh) {
        // The first answer compares two samples; later ones extend the same window.
        auto snapshot = refresh == 1
            ? (*session)->sampleTwice(std::min(interval, std::chrono::milliseconds(1000)))
            : (*session)->sample();
        if (!snapshot) {
            if (snapshot.error().code == Error::Code::Cancelled) {
                return Ok;
            }
            printError(snapshot.error().message);
            if (!watch) {
                return RuntimeError;
            }
        } else {
            if (snapshot->note != lastNote) {
                lastNote = snapshot->note;
                printError(lastNote);
            }
            if (!sampling.onlyGroup.empty() && snapshot->find(sampling.onlyGroup) == nullptr
                && !watch) {
                printError("consumer group '" + sampling.onlyGroup
                           + "' does not exist on this cluster");
                return RuntimeError;
            }
            if (clearScreen) {
                std::fputs("\033[H\033[2J", stdout);
            }
            if (json) {
                printJson(*snapshot, !sampling.onlyGroup.empty(), watch);
            } else {
                if (watch) {
                    std::printf("%s\n", formatRfc3339(snapshot->sampledAtMs).c_str());
                }
                printTable(*snapshot, sampling.onlyGroup);
            }
            std::fflush(stdout);
        }
        if (!watch || (count > 0 && refresh >= count) || !sleepUnlessStopped(interval)) {
            return Ok;
        }
    }
}

} // namespace logdeck::cli
