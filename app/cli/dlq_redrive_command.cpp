// `dlq redrive`, `dlq tasks`, `dlq pause|resume|cancel`: DLQ redrive as a task. The task
// lives in the data directory's database; the engine running on it moves the records, or,
// when none runs, this process does in the foreground with the same runner.

#include "cli/cli.h"
#include "cli/data_options.h"
#include "cli/dlq_options.h"
#include "cli/stop_signals.h"
#include "cli/table.h"
#include "cli/usage.h"
#include "common/time_format.h"
#include "engine_info.h"
#include "ops/record_address.h"
#include "ops/redrive.h"
#include "ops/redrive_outcomes.h"
#include "ops/redrive_runner.h"
#include "store/database.h"
#include "store/redrive_store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

namespace logdeck::cli::dlq {

namespace {

using namespace std::chrono_literals;
namespace state = ops::redrive_state;

constexpr std::chrono::seconds kClusterTimeout {30};

QString qs(const std::string &text)
{
    return QString::fromStdString(text);
}

double rateOf(const store::RedriveTaskRow &task)
{
    const auto spec = ops::RedriveSpec::fromJson(task.spec);
    return spec ? spec->ratePerSecond : 0;
}

std::string targetOf(const store::RedriveTaskRow &task)
{
    const auto spec = ops::RedriveSpec::fromJson(task.spec);
    return spec ? spec->target.toString() : std::string("?");
}

std::int64_t durationMs(const store::RedriveTaskRow &task)
{
    if (!task.startedAtMs) {
        return 0;
    }
    return task.finishedAtMs.value_or(nowMillis()) - *task.startedAtMs;
}

/// The engine database of the data directory; NotFound when there is none (no task can
/// exist there).
Result<std::unique_ptr<store::Database>> openExisting(const std::string &dataDir)
{
    const std::string path = store::Database::pathIn(dataDir);
    if (std::error_code ec; !std::filesystem::exists(path, ec)) {
        return fail(Error::notFound("no Logdeck database in " + dataDir
                                    + ": no redrive task can exist there (see --data)"));
    }
    return store::Database::open(path);
}

Result<store::RedriveTaskRow> findTask(store::Database &db, const std::string &taskId)
{
    auto task = store::RedriveStore(db).task(taskId);
    if (!task) {
        return fail(task.error());
    }
    if (!*task) {
        return fail(Error::notFound("no redrive task '" + taskId
                                    + "'; `logdeck-cli dlq tasks` lists them"));
    }
    return **task;
}

void printProgress(const store::RedriveTaskRow &task)
{
    std::fprintf(stderr, "%s: %s, %lld/%lld moved, %lld skipped, %lld failed\n", task.id.c_str(),
                 task.state.c_str(), static_cast<long long>(task.moved),
                 static_cast<long long>(task.total), static_cast<long long>(task.skipped),
                 static_cast<long long>(task.failed));
}

void printReport(const store::RedriveTaskRow &task)
{
    std::printf("task %s %s: %lld moved, %lld skipped, %lld failed of %lld in %.1f s%s%s\n",
                task.id.c_str(), task.state.c_str(), static_cast<long long>(task.moved),
                static_cast<long long>(task.skipped), static_cast<long long>(task.failed),
                static_cast<long long>(task.total), static_cast<double>(durationMs(task)) / 1000,
                task.error.empty() ? "" : ": ", task.error.c_str());
}

/// Runs the task here until it finishes, printing progress; Ctrl+C pauses it.
int runInForeground(const kafka::ClientSettings &cluster, const std::string &dataDir,
                    const std::string &taskId)
{
    ops::RedriveRunnerOptions options;
    options.cluster = cluster;
    options.dataDir = dataDir;
    options.runnerId = ops::foregroundRunnerId("cli");
    auto lastPrint = std::chrono::steady_clock::now();
    options.onProgress = [&](const store::RedriveTaskRow &task) {
        if (std::chrono::steady_clock::now() - lastPrint >= 1s) {
            printProgress(task);
            lastPrint = std::chrono::steady_clock::now();
        }
    };
    std::fprintf(stderr,
                 "logdeck-cli: no engine runs on %s: running task %s here (Ctrl+C pauses it)\n",
                 dataDir.c_str(), taskId.c_str());
    const StopSignals signals;
    auto left =
        ops::runRedriveTaskHere(options, taskId, g_stopRequested, /*waitWhilePaused=*/true);
    if (!left) {
        printError(left.error().message);
        return RuntimeError;
    }
    if (left->state == state::kPaused) {
        std::fprintf(stderr, "logdeck-cli: task %s paused; `logdeck-cli dlq resume %s` goes on\n",
                     taskId.c_str(), taskId.c_str());
    }
    printReport(*left);
    return Ok;
}

/// Follows a task the engine runs until it finishes (or Ctrl+C, which leaves it running).
int follow(const std::string &dataDir, const std::string &taskId)
{
    const StopSignals signals;
    auto db = store::Database::open(store::Database::pathIn(dataDir));
    if (!db) {
        printError(db.error().message);
        return RuntimeError;
    }
    for (;;) {
        auto task = findTask(**db, taskId);
        if (!task) {
            printError(task.error().message);
            return RuntimeError;
        }
        if (ops::isFinishedRedriveState(task->state)) {
            printReport(*task);
            return Ok;
        }
        if (g_stopRequested) {
            std::fprintf(stderr, "logdeck-cli: stopped following; task %s goes on in the engine\n",
                         taskId.c_str());
            return Ok;
        }
        printProgress(*task);
        for (int i = 0; i < 10 && !g_stopRequested; ++i) {
            std::this_thread::sleep_for(100ms);
        }
    }
}

QJsonObject planJson(const ops::RedrivePlan &plan)
{
    auto counts = [](const std::map<std::string, std::int64_t> &by) {
        QJsonObject object;
        for (const auto &[name, count] : by) {
            object.insert(qs(name), static_cast<qint64>(count));
        }
        return object;
    };
    QJsonArray skipped;
    for (const auto &c : plan.candidates) {
        if (c.skip) {
            skipped.append(qs(ops::coordinatesOf(c.letter)));
        }
    }
    return {{QStringLiteral("topic"), qs(plan.spec.filter.topic)},
            {QStringLiteral("selected"), static_cast<qint64>(plan.candidates.size())},
            {QStringLiteral("toMove"), static_cast<qint64>(plan.toMove)},
            {QStringLiteral("toSkip"), static_cast<qint64>(plan.toSkip)},
            {QStringLiteral("permanent"), static_cast<qint64>(plan.permanent)},
            {QStringLiteral("rate"), plan.spec.ratePerSecond},
            {QStringLiteral("byTarget"), counts(plan.byTarget)},
            {QStringLiteral("byGroup"), counts(plan.byGroup)},
            {QStringLiteral("byTenant"), counts(plan.byTenant)},
            {QStringLiteral("byErrorClass"), counts(plan.byErrorClass)},
            {QStringLiteral("alreadyRedriven"), skipped}};
}

void printPlan(const ops::RedrivePlan &plan, bool dryRun)
{
    std::printf("%zu dead letter(s) selected from %s: %lld to move, %lld already redriven "
                "(skipped%s)\n",
                plan.candidates.size(), plan.spec.filter.topic.c_str(),
                static_cast<long long>(plan.toMove), static_cast<long long>(plan.toSkip),
                plan.spec.force ? "" : "; --force moves them again");
    auto printCounts = [](const char *title, const std::map<std::string, std::int64_t> &by) {
        std::printf("  %-12s", title);
        for (const auto &[name, count] : by) {
            std::printf(" %s=%lld", name.c_str(), static_cast<long long>(count));
        }
        std::printf("\n");
    };
    printCounts("to topic:", plan.byTarget);
    printCounts("by group:", plan.byGroup);
    printCounts("by tenant:", plan.byTenant);
    printCounts("by error:", plan.byErrorClass);
    if (plan.toSkip > 0) {
        constexpr int kShown = 10;
        std::printf("  skipped:   ");
        int shown = 0;
        for (const auto &c : plan.candidates) {
            if (c.skip && shown++ < kShown) {
                std::printf(" %s (redriven %dx)", ops::coordinatesOf(c.letter).c_str(),
                            c.previousRedrives);
            }
        }
        std::printf("%s\n", plan.toSkip > kShown ? " ..." : "");
    }
    if (plan.allPermanent()) {
        std::string classes;
        for (const auto &[name, count] : plan.byErrorClass) {
            classes += (classes.empty() ? "" : ", ") + name;
        }
        std::printf("  warning:    every one to move failed permanently (%s): they will most "
                    "likely be dead-lettered again unless the cause was fixed\n",
                    classes.c_str());
    }
    std::printf("  at %g msg/s: about %.0f s\n", plan.spec.ratePerSecond,
                static_cast<double>(plan.toMove) / plan.spec.ratePerSecond);
    if (dryRun) {
        std::printf("dry run: nothing moved; --execute runs it as a task\n");
    }
}

Result<std::vector<std::string>> idsFrom(const QCommandLineParser &parser)
{
    std::vector<std::string> ids;
    for (const QString &value : parser.values(QStringLiteral("ids"))) {
        for (const QString &id : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            ids.push_back(id.trimmed().toStdString());
        }
    }
    if (parser.isSet(QStringLiteral("ids")) && ids.empty()) {
        return fail(Error::invalid("--ids needs at least one event id or record address (topic:partition:offset)"));
    }
    return ids;
}

/// Outcome counts per task, and the outcome of each redrive, when the cluster answers.
struct Outcomes
{
    ops::RedriveOutcomeIndex index;
    bool known = false;
};

Outcomes outcomesOf(const QCommandLineParser &parser, const std::string &dataDir,
                    const std::vector<store::RedriveRecord> &ledger)
{
    Outcomes outcomes;
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        std::fprintf(stderr, "logdeck-cli: outcomes unknown: %s\n",
                     cluster.error().message.c_str());
        return outcomes;
    }
    auto rows = ops::redriveOutcomes(*cluster, dataDir, ledger, kClusterTimeout);
    if (!rows) {
        std::fprintf(stderr, "logdeck-cli: outcomes unknown: %s\n", rows.error().message.c_str());
        return outcomes;
    }
    outcomes.known = true;
    outcomes.index = ops::RedriveOutcomeIndex(*rows);
    return outcomes;
}

QJsonObject taskJson(const store::RedriveTaskRow &task, const Outcomes &outcomes)
{
    QJsonObject object {
        {QStringLiteral("id"), qs(task.id)},
        {QStringLiteral("state"), qs(task.state)},
        {QStringLiteral("total"), static_cast<qint64>(task.total)},
        {QStringLiteral("moved"), static_cast<qint64>(task.moved)},
        {QStringLiteral("skipped"), static_cast<qint64>(task.skipped)},
        {QStringLiteral("failed"), static_cast<qint64>(task.failed)},
        {QStringLiteral("rate"), rateOf(task)},
        {QStringLiteral("target"), qs(targetOf(task))},
        {QStringLiteral("createdBy"), qs(task.createdBy)},
        {QStringLiteral("createdAt"), qs(formatRfc3339(task.createdAtMs))},
        {QStringLiteral("durationMs"), static_cast<qint64>(durationMs(task))},
        {QStringLiteral("error"), qs(task.error)},
        {QStringLiteral("runner"), qs(task.runner)},
    };
    if (outcomes.known) {
        auto count = [&](ops::RedriveOutcome o) {
            return static_cast<qint64>(outcomes.index.count(task.id, o));
        };
        object.insert(
            QStringLiteral("outcomes"),
            QJsonObject {{QStringLiteral("processed"), count(ops::RedriveOutcome::Processed)},
                         {QStringLiteral("deadLetteredAgain"),
                          count(ops::RedriveOutcome::DeadLetteredAgain)},
                         {QStringLiteral("notReached"), count(ops::RedriveOutcome::NotReached)}});
    }
    return object;
}

void printTasks(const std::vector<store::RedriveTaskRow> &tasks, const Outcomes &outcomes)
{
    Table table(
        {"TASK", "STATE", "MOVED/TOTAL", "SKIPPED", "FAILED", "RATE", "TO", "CREATED", "OUTCOMES"});
    table.alignRight(2).alignRight(3).alignRight(4).alignRight(5);
    for (const auto &task : tasks) {
        const QJsonObject o = taskJson(task, outcomes).value(QStringLiteral("outcomes")).toObject();
        const std::string progress = std::to_string(task.moved) + "/" + std::to_string(task.total);
        const std::string outcome = outcomes.known
            ? std::to_string(o.value(QStringLiteral("processed")).toInteger()) + " processed, "
                + std::to_string(o.value(QStringLiteral("deadLetteredAgain")).toInteger())
                + " dead-lettered again, "
                + std::to_string(o.value(QStringLiteral("notReached")).toInteger()) + " not reached"
            : "unknown";
        table.addRow({task.id, task.state, progress, std::to_string(task.skipped),
                      std::to_string(task.failed), QString::number(rateOf(task)).toStdString(),
                      targetOf(task), formatRfc3339(task.createdAtMs),
                      outcome + " (by " + task.createdBy + ")"});
    }
    table.print();
}

/// One task in detail: each selected dead letter, where it went, and what became of it.
int printTaskDetails(QCommandLineParser &parser, store::Database &db, const std::string &dataDir,
                     const std::string &taskId, bool json)
{
    auto details = ops::redriveTaskDetails(db, taskId);
    if (!details) {
        printError(details.error().message);
        return RuntimeError;
    }
    const Outcomes outcomes = outcomesOf(parser, dataDir, details->ledger);
    QJsonArray rows;
    for (const auto &entry : details->items) {
        const auto &[item, move] = entry;
        QJsonObject row {{QStringLiteral("id"),
                          qs(ops::formatRecordAddress(item.dlqTopic, item.dlqPartition,
                                                      item.dlqOffset))},
                         {QStringLiteral("eventId"), qs(item.eventId)},
                         {QStringLiteral("tenant"), qs(item.tenant)},
                         {QStringLiteral("group"), qs(item.failingGroup)},
                         {QStringLiteral("errorClass"), qs(item.errorClass)},
                         {QStringLiteral("state"), qs(item.state)},
                         {QStringLiteral("note"), qs(item.note)}};
        if (move) {
            row.insert(QStringLiteral("target"),
                       qs(ops::formatRecordAddress(move->targetTopic, move->targetPartition,
                                                   move->targetOffset)));
        }
        if (const auto *outcome = outcomes.index.latestOf(entry.key(), taskId)) {
            row.insert(QStringLiteral("outcome"), QString::fromLatin1(toString(outcome->outcome)));
            row.insert(QStringLiteral("outcomeDetail"), qs(outcome->detail));
        }
        rows.append(row);
    }
    QJsonObject object = taskJson(details->task, outcomes);
    object.insert(QStringLiteral("items"), rows);
    if (json) {
        std::fputs(QJsonDocument(object).toJson(QJsonDocument::Indented).constData(), stdout);
        return Ok;
    }
    printTasks({details->task}, outcomes);
    std::printf("\n");
    Table items({"DEAD-LETTER", "EVENT", "TENANT", "GROUP", "STATE", "TARGET", "OUTCOME"});
    for (const auto &value : rows) {
        const QJsonObject row = value.toObject();
        auto text = [&](const char *name) {
            const QString cell = row.value(QString::fromLatin1(name)).toString();
            return cell.isEmpty() ? std::string("-") : cell.toStdString();
        };
        const std::string note = text("note");
        items.addRow({text("id"), text("eventId"), text("tenant"), text("group"), text("state"),
                      text("target"), note == "-" ? text("outcome") : note});
    }
    items.print();
    return Ok;
}

} // namespace

int redrive(const QStringList &arguments)
{
    const QString synopsis = QStringLiteral(
        "dlq redrive [filters | --ids ID,... | --all] [--to retry|original|TOPIC] [--rate N] "
        "[--force] [--dry-run | --execute] [--detach]");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Sends dead letters back, as a task with a rate limit, progress, pause and cancel.\n"
        "--dry-run (the default) prints what would move. --execute creates the task: the engine\n"
        "running on the data directory runs it, or, when none runs, this command does in the\n"
        "foreground. A dead letter already redriven is skipped unless --force."));
    addDeadLetterFilterOptions(parser);
    parser.addOptions({
        {QStringLiteral("ids"),
         QStringLiteral("Only these dead letters: event ids or record addresses "
                        "(topic:partition:offset or topic[partition]@offset), comma separated "
                        "(repeatable)."),
         QStringLiteral("ID,...")},
        {QStringLiteral("all"), QStringLiteral("Select the whole topic.")},
        {QStringLiteral("to"),
         QStringLiteral("retry (the failing group's retry topic, default), original (the topic "
                        "it failed on), or a topic name."),
         QStringLiteral("target"), QStringLiteral("retry")},
        {QStringLiteral("rate"),
         QStringLiteral("Messages per second, at most 10000 (default 100)."), QStringLiteral("N"),
         QStringLiteral("100")},
        {QStringLiteral("force"), QStringLiteral("Redrive dead letters already redriven too.")},
        {QStringLiteral("dry-run"), QStringLiteral("Print the plan only (the default).")},
        {QStringLiteral("execute"), QStringLiteral("Create the task and run it.")},
        {QStringLiteral("detach"),
         QStringLiteral("With --execute and a running engine: return once the task is created.")},
        {QStringLiteral("json"), QStringLiteral("Print the plan as JSON.")},
    });
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    auto usage = [&](const std::string &message) {
        printError(message);
        std::fprintf(stderr, "Usage: logdeck-cli %s\n", qPrintable(synopsis));
        return UsageError;
    };
    if (!parser.positionalArguments().isEmpty()) {
        return usage("dlq redrive takes no arguments; select with --ids or filters");
    }
    const bool execute = parser.isSet(QStringLiteral("execute"));
    if (execute && parser.isSet(QStringLiteral("dry-run"))) {
        return usage("--dry-run and --execute exclude each other");
    }
    if (parser.isSet(QStringLiteral("detach")) && !execute) {
        return usage("--detach goes with --execute");
    }
    auto filter = deadLetterFilterFrom(parser);
    if (!filter) {
        return usage(filter.error().message);
    }
    auto ids = idsFrom(parser);
    if (!ids) {
        return usage(ids.error().message);
    }
    bool rateOk = false;
    const double rate = parser.value(QStringLiteral("rate")).toDouble(&rateOk);
    if (!rateOk) {
        return usage("--rate '" + parser.value(QStringLiteral("rate")).toStdString()
                     + "' is not a number of messages per second");
    }
    ops::RedriveSpec spec;
    spec.filter = *filter;
    spec.ids = *ids;
    // Coordinates name their topic: `--ids orders.dlq:0:5` needs no --topic.
    if (const auto first = ids->empty() ? std::nullopt : ops::parseCoordinates(ids->front());
        first && !parser.isSet(QStringLiteral("topic"))) {
        spec.filter.topic = first->topic;
    }
    spec.all = parser.isSet(QStringLiteral("all"));
    spec.target = ops::RedriveTarget::parse(parser.value(QStringLiteral("to")).toStdString());
    spec.ratePerSecond = rate;
    spec.force = parser.isSet(QStringLiteral("force"));
    if (auto valid = spec.validate(); !valid) {
        return usage(valid.error().message);
    }

    const std::string dataDir = dataDirFrom(parser);
    const bool engineRunning = engineRunsOn(dataDir);
    if (parser.isSet(QStringLiteral("detach")) && !engineRunning) {
        printError("--detach needs an engine running on " + dataDir
                   + " to run the task; start `logdeck-cli run` there or drop --detach");
        return RuntimeError;
    }
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        printError(cluster.error().message);
        return exitCodeFor(cluster.error());
    }
    auto db = store::Database::open(store::Database::pathIn(dataDir));
    if (!db) {
        printError(db.error().message);
        return RuntimeError;
    }
    auto plan = ops::planRedrive(*cluster, **db, spec, kClusterTimeout);
    if (!plan) {
        printError(plan.error().message);
        return exitCodeFor(plan.error());
    }
    if (parser.isSet(QStringLiteral("json")) && !execute) {
        std::fputs(QJsonDocument(planJson(*plan)).toJson(QJsonDocument::Indented).constData(),
                   stdout);
        return Ok;
    }
    printPlan(*plan, !execute);
    if (!execute) {
        return Ok;
    }
    auto taskId = ops::createRedriveTask(**db, *plan);
    if (!taskId) {
        printError(taskId.error().message);
        return RuntimeError;
    }
    std::printf("task=%s\n", taskId->c_str());
    std::fflush(stdout);
    if (!engineRunning) {
        return runInForeground(*cluster, dataDir, *taskId);
    }
    if (parser.isSet(QStringLiteral("detach"))) {
        std::fprintf(stderr,
                     "logdeck-cli: the engine on %s runs task %s; `dlq tasks %s` shows it\n",
                     dataDir.c_str(), taskId->c_str(), taskId->c_str());
        return Ok;
    }
    return follow(dataDir, *taskId);
}

int tasks(const QStringList &arguments)
{
    const QString synopsis = QStringLiteral("dlq tasks [TASK] [--watch] [--json] [--limit N]");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Lists redrive tasks: state, progress, rate, who created them, and what became of the\n"
        "redriven events (processed by the failing group, dead-lettered again, or not reached\n"
        "yet). With TASK: every dead letter of the task."));
    parser.addPositionalArgument(QStringLiteral("TASK"), QStringLiteral("One task in detail."));
    parser.addOptions({
        {QStringLiteral("watch"), QStringLiteral("Refresh every 2 s until Ctrl+C.")},
        {QStringLiteral("json"), QStringLiteral("Print JSON.")},
        {QStringLiteral("limit"), QStringLiteral("The newest N tasks (default 20)."),
         QStringLiteral("N"), QStringLiteral("20")},
    });
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    const QStringList positional = parser.positionalArguments();
    bool limitOk = false;
    const int limit = parser.value(QStringLiteral("limit")).toInt(&limitOk);
    if (positional.size() > 1 || !limitOk || limit <= 0) {
        printError(positional.size() > 1 ? QStringLiteral("dlq tasks takes at most one TASK")
                                         : QStringLiteral("--limit needs a positive number"));
        return UsageError;
    }
    const std::string dataDir = dataDirFrom(parser);
    auto db = openExisting(dataDir);
    if (!db) {
        printError(db.error().message);
        return RuntimeError;
    }
    const bool json = parser.isSet(QStringLiteral("json"));
    const StopSignals signals;
    for (;;) {
        if (parser.isSet(QStringLiteral("watch"))) {
            std::printf("\n%s\n", formatRfc3339(nowMillis()).c_str());
        }
        if (positional.size() == 1) {
            const int code =
                printTaskDetails(parser, **db, dataDir, positional.first().toStdString(), json);
            if (code != Ok) {
                return code;
            }
        } else {
            store::RedriveStore store(**db);
            auto rows = store.tasks(limit);
            if (!rows) {
                printError(rows.error().message);
                return RuntimeError;
            }
            std::vector<store::RedriveRecord> ledger;
            for (const auto &task : *rows) {
                auto moves = store.ledgerOfTask(task.id);
                if (!moves) {
                    printError(moves.error().message);
                    return RuntimeError;
                }
                ledger.insert(ledger.end(), moves->begin(), moves->end());
            }
            const Outcomes outcomes = outcomesOf(parser, dataDir, ledger);
            if (json) {
                QJsonArray array;
                for (const auto &task : *rows) {
                    array.append(taskJson(task, outcomes));
                }
                std::fputs(QJsonDocument(array).toJson(QJsonDocument::Indented).constData(),
                           stdout);
            } else {
                printTasks(*rows, outcomes);
            }
        }
        std::fflush(stdout);
        if (!parser.isSet(QStringLiteral("watch"))) {
            return Ok;
        }
        for (int i = 0; i < 20 && !g_stopRequested; ++i) {
            std::this_thread::sleep_for(100ms);
        }
        if (g_stopRequested) {
            return Ok;
        }
    }
}

int controlTask(const QString &command, const QStringList &arguments)
{
    const QString synopsis = QStringLiteral("dlq %1 TASK [--data DIR]").arg(command);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        command == QLatin1String("resume")
            ? QStringLiteral("Resumes a paused (or failed) task. When no engine runs on the data "
                             "directory, runs it here in the foreground.")
            : QStringLiteral("Changes a redrive task's state; the runner sees it before its next "
                             "batch."));
    parser.addPositionalArgument(QStringLiteral("TASK"), QStringLiteral("The task id."));
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    if (parser.positionalArguments().size() != 1) {
        printError(QStringLiteral("dlq %1 needs one TASK id").arg(command));
        return UsageError;
    }
    const std::string taskId = parser.positionalArguments().first().toStdString();
    const std::string dataDir = dataDirFrom(parser);
    auto db = openExisting(dataDir);
    if (!db) {
        printError(db.error().message);
        return RuntimeError;
    }
    const bool foreground = command == QLatin1String("resume") && !engineRunsOn(dataDir);
    kafka::ClientSettings cluster;
    if (foreground) {
        // Checked before the state changes, so a resume that cannot run changes nothing.
        auto settings = clusterFrom(parser);
        if (!settings) {
            printError(settings.error().message
                       + "; with no engine running, resume needs "
                         "--broker to run the task here");
            return exitCodeFor(settings.error());
        }
        cluster = *settings;
    }
    auto changed = command == QLatin1String("pause") ? ops::pauseRedriveTask(**db, taskId)
        : command == QLatin1String("resume")         ? ops::resumeRedriveTask(**db, taskId)
                                                     : ops::cancelRedriveTask(**db, taskId);
    if (!changed) {
        printError(changed.error().message);
        return RuntimeError;
    }
    std::printf("task %s %s: %lld/%lld moved\n", taskId.c_str(), changed->state.c_str(),
                static_cast<long long>(changed->moved), static_cast<long long>(changed->total));
    std::fflush(stdout);
    if (foreground) {
        return runInForeground(cluster, dataDir, taskId);
    }
    return Ok;
}

} // namespace logdeck::cli::dlq
