#include "cli/cli.h"
#include "cli/stop_signals.h"
#include "cli/usage.h"
#include "loadgen/load_generator.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <optional>
#include <sys/resource.h>

namespace logdeck::cli {

namespace {

/// Each connection is a file descriptor; lift the soft limit (often 1024) towards the hard
/// one so that --connections 5000 is not a wall of "Too many open files".
void allowDescriptors(int connections)
{
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return;
    }
    const rlim_t wanted = rlim_t(connections) + 64;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
        limit.rlim_cur =
            limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

std::optional<double> numberOption(const QCommandLineParser &parser, const QString &name)
{
    bool ok = false;
    const QString text = parser.value(name).trimmed();
    const double value = text.toDouble(&ok);
    if (!ok || !std::isfinite(value)) {
        printError(QStringLiteral("--%1 must be a number, got '%2'").arg(name, parser.value(name)));
        return std::nullopt;
    }
    return value;
}

std::optional<int> integerOption(const QCommandLineParser &parser, const QString &name)
{
    bool ok = false;
    const int value = parser.value(name).trimmed().toInt(&ok);
    if (!ok) {
        printError(
            QStringLiteral("--%1 must be a whole number, got '%2'").arg(name, parser.value(name)));
        return std::nullopt;
    }
    return value;
}

QString statusSummary(const loadgen::LoadReport &report)
{
    QStringList parts;
    for (const auto &[status, count] : report.statuses) {
        if (status == 0) {
            parts << QStringLiteral("transport error %1").arg(count);
        } else {
            parts << QStringLiteral("%1: %2").arg(status).arg(count);
        }
    }
    return parts.isEmpty() ? QStringLiteral("none") : parts.join(QStringLiteral(", "));
}

void printText(const loadgen::LoadReport &report)
{
    const auto line = [](const char *label, const QString &text) {
        std::printf("%-12s%s\n", label, qPrintable(text));
    };
    line("requests",
         QStringLiteral("%1 in %2 s: %3 req/s")
             .arg(report.requests)
             .arg(report.elapsedSeconds, 0, 'f', 2)
             .arg(report.achievedRate, 0, 'f', 1));
    line("events",
         QStringLiteral("%1 sent: %2 events/s")
             .arg(report.sent)
             .arg(report.eventsPerSecond, 0, 'f', 1));
    line("statuses", statusSummary(report));
    line("accepted",
         QStringLiteral("%1 (%2 distinct ids, %3 of them poison)")
             .arg(report.accepted)
             .arg(report.distinctAccepted)
             .arg(report.distinctPoisonAccepted));
    line("latency",
         QStringLiteral("p50 %1 ms, p95 %2 ms, p99 %3 ms, max %4 ms")
             .arg(report.latency.percentile(50), 0, 'f', 3)
             .arg(report.latency.percentile(95), 0, 'f', 3)
             .arg(report.latency.percentile(99), 0, 'f', 3)
             .arg(report.latency.max(), 0, 'f', 3));
    if (const auto slowest = std::max_element(report.timeline.begin(), report.timeline.end(),
                                              [](const auto &a, const auto &b) {
                                                  return a.maxMs < b.maxMs;
                                              });
        slowest != report.timeline.end() && report.timeline.size() > 1) {
        line("slowest",
             QStringLiteral("second %1: max %2 ms, %3 of %4 requests over 10 ms")
                 .arg(slowest - report.timeline.begin())
                 .arg(slowest->maxMs, 0, 'f', 3)
                 .arg(slowest->over10ms)
                 .arg(slowest->requests));
    }
    if (!report.firstError.empty()) {
        line("first error", QString::fromStdString(report.firstError));
    }
}

/// How far a --rate run fell short of its target: the requests it should have sent over
/// its sending window and the ones it did not send. Nothing for a closed loop, or when the
/// run kept up (within 1% and one request of the schedule).
struct RateShortfall
{
    double targetRate = 0; ///< requests per second asked for
    std::int64_t due = 0; ///< requests the schedule held
    std::int64_t notSent = 0; ///< requests not sent
    std::int64_t eventsNotSent = 0;
};

std::optional<RateShortfall> shortfallOf(const loadgen::LoadOptions &options,
                                         const loadgen::LoadReport &report)
{
    if (!(options.rate > 0) || report.elapsedSeconds <= 0) {
        return std::nullopt;
    }
    const auto due = static_cast<std::int64_t>(std::floor(options.rate * report.elapsedSeconds));
    const std::int64_t notSent = due - report.requests;
    if (notSent <= 1 || notSent <= due / 100) {
        return std::nullopt;
    }
    return RateShortfall {options.rate, due, notSent, notSent * options.batch};
}

/// Says, loudly, on stderr that the run missed its target rate, and what would help.
void warnShortfall(const RateShortfall &shortfall, const loadgen::LoadReport &report,
                   const loadgen::LoadOptions &options)
{
    std::fprintf(stderr,
                 "logdeck-cli: WARNING: missed the target rate: target %.1f req/s, achieved %.1f "
                 "req/s; %lld of %lld scheduled requests (%lld events) not sent. The collector "
                 "or the %d connection(s) could not keep up: raise --connections, or lower "
                 "--rate.\n",
                 shortfall.targetRate, report.achievedRate,
                 static_cast<long long>(shortfall.notSent), static_cast<long long>(shortfall.due),
                 static_cast<long long>(shortfall.eventsNotSent), options.connections);
}

QJsonArray timelineJson(const std::vector<loadgen::LatencySecond> &timeline)
{
    QJsonArray seconds;
    for (const auto &second : timeline) {
        seconds.append(QJsonObject {
            {QStringLiteral("requests"), double(second.requests)},
            {QStringLiteral("over1ms"), double(second.over1ms)},
            {QStringLiteral("over10ms"), double(second.over10ms)},
            {QStringLiteral("over100ms"), double(second.over100ms)},
            {QStringLiteral("maxMs"), second.maxMs},
        });
    }
    return seconds;
}

void printJson(const loadgen::LoadReport &report, const std::optional<RateShortfall> &shortfall)
{
    QJsonObject statuses;
    for (const auto &[status, count] : report.statuses) {
        statuses.insert(QString::number(status), double(count));
    }
    const QJsonObject latency {
        {QStringLiteral("p50"), report.latency.percentile(50)},
        {QStringLiteral("p95"), report.latency.percentile(95)},
        {QStringLiteral("p99"), report.latency.percentile(99)},
        {QStringLiteral("max"), report.latency.max()},
    };
    QJsonObject json {
        {QStringLiteral("sent"), double(report.sent)},
        {QStringLiteral("requests"), double(report.requests)},
        {QStringLiteral("accepted"), double(report.accepted)},
        {QStringLiteral("statuses"), statuses},
        {QStringLiteral("distinctAccepted"), double(report.distinctAccepted)},
        {QStringLiteral("distinctPoisonAccepted"), double(report.distinctPoisonAccepted)},
        {QStringLiteral("achievedRate"), report.achievedRate},
        {QStringLiteral("eventsPerSecond"), report.eventsPerSecond},
        {QStringLiteral("elapsedSeconds"), report.elapsedSeconds},
        {QStringLiteral("latencyMs"), latency},
        {QStringLiteral("errors"), double(report.transportErrors())},
        {QStringLiteral("timeline"), timelineJson(report.timeline)},
    };
    if (!report.firstError.empty()) {
        json.insert(QStringLiteral("firstError"), QString::fromStdString(report.firstError));
    }
    json.insert(QStringLiteral("missedTargetRate"), shortfall.has_value());
    if (shortfall) {
        json.insert(QStringLiteral("targetRate"), shortfall->targetRate);
        json.insert(QStringLiteral("scheduledRequests"), double(shortfall->due));
        json.insert(QStringLiteral("requestsNotSent"), double(shortfall->notSent));
        json.insert(QStringLiteral("eventsNotSent"), double(shortfall->eventsNotSent));
    }
    std::printf("%s\n", QJsonDocument(json).toJson(QJsonDocument::Compact).constData());
}

} // namespace

int loadgenCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Sends events to a Logdeck collector over HTTP/1.1 keep-alive connections and reports\n"
        "the achieved rate, the statuses and the latency. With --rate it sends on a fixed\n"
        "schedule and measures latency from each request's scheduled send time; without it each\n"
        "connection sends as soon as its previous request is answered. When a --rate run falls\n"
        "behind its schedule (more than 1%), a WARNING on stderr gives the target, the achieved\n"
        "rate and the requests and events not sent, and --json adds missedTargetRate,\n"
        "targetRate, scheduledRequests, requestsNotSent and eventsNotSent. The report also\n"
        "names the second with the slowest request; --json's timeline has, per second of the\n"
        "run (by send time), the requests answered, how many took over 1, 10 and 100 ms, and\n"
        "the slowest. Ctrl+C stops early and still prints the report."));
    const auto value = [](const char *name, const char *description, const char *valueName) {
        return QCommandLineOption(QString::fromLatin1(name), QString::fromUtf8(description),
                                  QString::fromLatin1(valueName));
    };
    parser.addOption(value("url", "The collector, e.g. http://127.0.0.1:8080.", "url"));
    parser.addOption(value("key", "An API key; repeat it or separate keys with commas.", "key"));
    parser.addOption(value("tenants", "Use only the first <n> keys (default: all).", "n"));
    parser.addOption(
        value("rate", "Requests per second; 0 = as fast as answers come (default 0).", "r"));
    parser.addOption(value("connections", "Keep-alive connections, 1..10000 (default 16).", "c"));
    parser.addOption(value("duration", "How long to send, in seconds (default 10).", "s"));
    parser.addOption(
        value("batch", "Events per request; >1 uses /v1/events:batch (default 1).", "b"));
    parser.addOption(
        value("dup-rate", "Fraction of events that resend an earlier event (default 0).", "p"));
    parser.addOption(
        value("poison-rate", "Fraction of events marked logdeck.poison (default 0).", "p"));
    parser.addOption(
        value("campaigns", "Campaign ids to draw from, c-1..c-<n> (default 20).", "n"));
    const QCommandLineOption json(QStringLiteral("json"),
                                  QStringLiteral("Print the report as one JSON object."));
    parser.addOption(json);
    int exitCode = Ok;
    if (!parseCommandLine(parser, arguments,
                          QStringLiteral("loadgen --url URL --key KEY [options]"), exitCode)) {
        return exitCode;
    }
    if (!parser.positionalArguments().isEmpty()) {
        printError(QStringLiteral("loadgen takes no arguments, got '%1'")
                       .arg(parser.positionalArguments().first()));
        return UsageError;
    }
    if (!parser.isSet(QStringLiteral("url"))) {
        printError(QStringLiteral("--url is required, e.g. --url http://127.0.0.1:8080"));
        return UsageError;
    }
    if (!parser.isSet(QStringLiteral("key"))) {
        printError(QStringLiteral("--key is required: give at least one API key"));
        return UsageError;
    }

    loadgen::LoadOptions options;
    options.url = parser.value(QStringLiteral("url")).toStdString();
    for (const QString &keys : parser.values(QStringLiteral("key"))) {
        for (const QString &key : keys.split(QLatin1Char(','))) {
            options.keys.push_back(key.trimmed().toStdString());
        }
    }
    const auto setInteger = [&](const char *name, int &target) {
        const QString option = QString::fromLatin1(name);
        if (!parser.isSet(option)) {
            return true;
        }
        const auto parsed = integerOption(parser, option);
        target = parsed.value_or(target);
        return parsed.has_value();
    };
    const auto setNumber = [&](const char *name, double &target) {
        const QString option = QString::fromLatin1(name);
        if (!parser.isSet(option)) {
            return true;
        }
        const auto parsed = numberOption(parser, option);
        target = parsed.value_or(target);
        return parsed.has_value();
    };
    double seconds = double(options.duration.count()) / 1000;
    if (!setInteger("tenants", options.tenants) || !setInteger("connections", options.connections)
        || !setInteger("batch", options.batch) || !setInteger("campaigns", options.campaigns)
        || !setNumber("rate", options.rate) || !setNumber("dup-rate", options.dupRate)
        || !setNumber("poison-rate", options.poisonRate) || !setNumber("duration", seconds)) {
        return UsageError;
    }
    if (seconds > 1e7) {
        printError(QStringLiteral("--duration must be at most 10000000 seconds"));
        return UsageError;
    }
    // A positive duration shorter than a millisecond still runs for one.
    options.duration = std::chrono::milliseconds(
        seconds > 0 ? std::max<long long>(1, std::llround(seconds * 1000)) : 0);
    if (auto valid = loadgen::validateLoadOptions(options); !valid) {
        printError(valid.error().message);
        return UsageError;
    }

    allowDescriptors(options.connections);
    std::optional<Result<loadgen::LoadReport>> result;
    {
        const StopSignals stopSignals;
        result.emplace(loadgen::runLoad(options, &g_stopRequested));
    }
    if (!*result) {
        printError(result->error().message);
        return result->error().code == Error::Code::InvalidArgument ? UsageError : RuntimeError;
    }
    const loadgen::LoadReport &report = **result;
    if (report.requests > 0 && report.answered() == 0) {
        // Nothing ever answered: one line that says where and why, not a report of zeros.
        printError(report.firstError.empty() ? "no answer from " + options.url : report.firstError);
        return RuntimeError;
    }
    const auto shortfall = shortfallOf(options, report);
    if (parser.isSet(json)) {
        printJson(report, shortfall);
    } else {
        printText(report);
    }
    if (shortfall) {
        warnShortfall(*shortfall, report, options);
    }
    return Ok;
}

} // namespace logdeck::cli
