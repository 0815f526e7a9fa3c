#include "cli/lag_view.h"

#include "cli/data_options.h"
#include "cli/stop_signals.h"
#include "cli/usage.h"
#include "store/database.h"
#include "store/lag_history.h"

#include <QJsonArray>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace logdeck::cli {

namespace {

/// How old the engine monitor's last status may be and still stand for the group's.
constexpr std::chrono::milliseconds kMonitorFreshness {5000};

QJsonValue jsonNumber(std::optional<double> value)
{
    if (!value || !std::isfinite(*value)) {
        return QJsonValue::Null;
    }
    return std::round(*value * 1000.0) / 1000.0;
}

/// The drain figures of JSON output: seconds when finite, and whether the lag is going down.
void addDrain(QJsonObject &object, std::optional<double> seconds)
{
    object[QStringLiteral("timeToDrainSeconds")] = jsonNumber(seconds);
    object[QStringLiteral("draining")] =
        seconds ? QJsonValue(std::isfinite(*seconds)) : QJsonValue(QJsonValue::Null);
}

QJsonObject toJson(const ops::PartitionLag &p)
{
    QJsonObject object {
        {QStringLiteral("topic"), QString::fromStdString(p.topic)},
        {QStringLiteral("partition"), p.partition},
        {QStringLiteral("currentOffset"),
         p.committedOffset >= 0 ? QJsonValue(static_cast<qint64>(p.committedOffset))
                                : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("logEndOffset"),
         p.logEndOffset >= 0 ? QJsonValue(static_cast<qint64>(p.logEndOffset))
                             : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("lag"),
         p.lag >= 0 ? QJsonValue(static_cast<qint64>(p.lag)) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("timeLagSeconds"), jsonNumber(p.timeLagSeconds)},
        {QStringLiteral("timeLagExact"), p.timeLagExact},
        {QStringLiteral("rate"), jsonNumber(p.consumeRate)},
        {QStringLiteral("produceRate"), jsonNumber(p.produceRate)},
        {QStringLiteral("status"), QString::fromUtf8(ops::lagStatusName(p.status))},
        {QStringLiteral("consumerId"), QString::fromStdString(p.consumerId)},
        {QStringLiteral("host"), QString::fromStdString(p.host)},
        {QStringLiteral("clientId"), QString::fromStdString(p.clientId)}};
    addDrain(object, p.timeToDrainSeconds);
    return object;
}

} // namespace

LagSession::LagSession(std::unique_ptr<ops::ClusterObserver> observer)
    : m_observer(std::move(observer))
{
}

Result<std::unique_ptr<LagSession>> LagSession::open(const QCommandLineParser &parser,
                                                     ops::LagSamplingOptions options)
{
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        return fail(cluster.error());
    }
    auto observer = ops::ClusterObserver::open(std::move(*cluster), std::move(options));
    if (!observer) {
        return fail(observer.error());
    }
    std::unique_ptr<LagSession> session(new LagSession(std::move(*observer)));
    if (!parser.isSet(QStringLiteral("broker"))) {
        // The cluster came from engine.json: that engine's monitor keeps lag_history here.
        session->m_engineDatabase = store::Database::pathIn(dataDirFrom(parser));
    }
    return session;
}

void LagSession::useMonitorStatus(ops::LagSnapshot &snapshot) const
{
    if (m_engineDatabase.empty() || !std::filesystem::exists(m_engineDatabase)) {
        return;
    }
    auto database = store::Database::open(m_engineDatabase);
    if (!database) {
        return; // the sampled status stands
    }
    store::LagHistory history(**database);
    const std::int64_t now = snapshot.sampledAtMs;
    for (auto &group : snapshot.groups) {
        auto points = history.read(group.group, now - kMonitorFreshness.count(), now, now);
        if (!points || points->empty()) {
            continue;
        }
        if (const auto status = ops::lagStatusFromName(points->back().status)) {
            group.status = *status;
            group.statusFromMonitor = true;
        }
    }
}

Result<ops::LagSnapshot> LagSession::sample()
{
    // Every sample reads the heartbeats afresh: one-shot answers are a second apart.
    if (auto heartbeats = m_observer->heartbeats(std::chrono::milliseconds::zero());
        !heartbeats && !m_heartbeatWarned) {
        m_heartbeatWarned = true;
        printError("no engine heartbeats (" + heartbeats.error().message
                   + "): time lag is interpolated for every group");
    }
    return m_observer->sampleLag();
}

Result<ops::LagSnapshot> LagSession::sampleTwice(std::chrono::milliseconds gap)
{
    if (auto first = sample(); !first) {
        return first;
    }
    if (!sleepUnlessStopped(gap)) {
        return fail(Error::cancelled("interrupted"));
    }
    auto second = sample();
    if (second) {
        useMonitorStatus(*second);
    }
    return second;
}

std::string formatDuration(std::optional<double> seconds)
{
    if (!seconds) {
        return "-";
    }
    if (!std::isfinite(*seconds)) {
        return "∞";
    }
    const auto whole = static_cast<long long>(std::llround(*seconds));
    char text[32];
    if (whole < 60) {
        std::snprintf(text, sizeof text, "%llds", whole);
    } else if (whole < 3600) {
        std::snprintf(text, sizeof text, "%lldm%02llds", whole / 60, whole % 60);
    } else {
        std::snprintf(text, sizeof text, "%lldh%02lldm", whole / 3600, whole % 3600 / 60);
    }
    return text;
}

std::string formatRate(std::optional<double> perSecond)
{
    if (!perSecond) {
        return "-";
    }
    char text[32];
    std::snprintf(text, sizeof text, std::abs(*perSecond) < 100 ? "%.1f" : "%.0f", *perSecond);
    return text;
}

QJsonObject toJson(const ops::GroupLag &group, bool withPartitions)
{
    QJsonArray topics;
    for (const auto &topic : group.topics) {
        topics.append(QString::fromStdString(topic));
    }
    QJsonObject object {
        {QStringLiteral("group"), QString::fromStdString(group.group)},
        {QStringLiteral("state"), QString::fromStdString(group.state)},
        {QStringLiteral("members"),
         group.members >= 0 ? QJsonValue(group.members) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("topics"), topics},
        {QStringLiteral("lag"), static_cast<qint64>(group.lag)},
        {QStringLiteral("timeLagSeconds"), jsonNumber(group.timeLagSeconds)},
        {QStringLiteral("rate"), jsonNumber(group.consumeRate)},
        {QStringLiteral("status"), QString::fromUtf8(ops::lagStatusName(group.status))},
        {QStringLiteral("statusSource"),
         group.statusFromMonitor ? QStringLiteral("monitor") : QStringLiteral("samples")},
        {QStringLiteral("hostedBy"), QString::fromStdString(group.hostedBy)}};
    addDrain(object, group.timeToDrainSeconds);
    if (!group.error.empty()) {
        object[QStringLiteral("error")] = QString::fromStdString(group.error);
    }
    if (withPartitions) {
        QJsonArray partitions;
        for (const auto &p : group.partitions) {
            partitions.append(toJson(p));
        }
        object[QStringLiteral("partitions")] = partitions;
    }
    return object;
}

std::vector<std::string> groupHeader()
{
    return {"GROUP",    "STATE", "MEMBERS",       "TOPICS", "LAG",
            "TIME-LAG", "RATE",  "TIME-TO-DRAIN", "STATUS", "HOSTED-BY"};
}

std::vector<std::string> groupRow(const ops::GroupLag &group)
{
    std::string topics;
    for (const auto &topic : group.topics) {
        topics += (topics.empty() ? "" : ",") + topic;
    }
    return {group.group,
            group.state.empty() ? "-" : group.state,
            group.members >= 0 ? std::to_string(group.members) : "-",
            topics.empty() ? "-" : topics,
            std::to_string(group.lag),
            formatDuration(group.timeLagSeconds),
            formatRate(group.consumeRate),
            formatDuration(group.timeToDrainSeconds),
            std::string(ops::lagStatusName(group.status)),
            group.hostedBy.empty() ? "-" : group.hostedBy};
}

bool sleepUnlessStopped(std::chrono::milliseconds duration)
{
    const auto until = std::chrono::steady_clock::now() + duration;
    while (!g_stopRequested.load()) {
        const auto left = until - std::chrono::steady_clock::now();
        if (left <= std::chrono::milliseconds::zero()) {
            return true;
        }
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
    }
    return false;
}

} // namespace logdeck::cli
