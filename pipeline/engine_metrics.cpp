#include "engine_metrics.h"

#include "common/prometheus_text.h"
#include "logdeck_version.h"

#include <librdkafka/rdkafka.h>

#include <functional>

namespace logdeck {

using prometheus::formatValue;
using prometheus::TextWriter;

namespace {

/// Adds `from`'s counters and batch durations to `to`'s.
void addCounters(consume::GroupMetrics &to, const consume::GroupMetrics &from)
{
    to.processed += from.processed;
    to.batches += from.batches;
    to.retried += from.retried;
    to.deadLettered += from.deadLettered;
    to.duplicates += from.duplicates;
    to.batchDuration.add(from.batchDuration);
}

} // namespace

void GroupCounterCarry::retire(const consume::GroupMetrics &final)
{
    auto &retired = m_retired[final.group];
    retired.group = final.group;
    addCounters(retired, final);
}

consume::GroupMetrics GroupCounterCarry::carried(consume::GroupMetrics current) const
{
    if (const auto it = m_retired.find(current.group); it != m_retired.end()) {
        addCounters(current, it->second);
    }
    return current;
}

consume::GroupMetrics GroupCounterCarry::stopped(const std::string &group) const
{
    const auto it = m_retired.find(group);
    consume::GroupMetrics result = it == m_retired.end() ? consume::GroupMetrics {} : it->second;
    result.group = group;
    result.running = false;
    result.paused = false;
    return result;
}

namespace {

void appendGroups(TextWriter &out, const std::vector<consume::GroupMetrics> &groups)
{
    using Value = std::function<std::string(const consume::GroupMetrics &)>;
    const auto perGroup = [&](const char *name, const char *type, const char *help,
                              const Value &value) {
        out.family(name, type, help);
        for (const auto &g : groups) {
            out.sample(name, {{"group", g.group}}, value(g));
        }
    };
    const auto counter = [&](const char *name, const char *help,
                             std::int64_t consume::GroupMetrics::*field) {
        perGroup(name, "counter", help, [field](const auto &g) { return formatValue(g.*field); });
    };
    const auto flag = [&](const char *name, const char *help,
                          bool consume::GroupMetrics::*field) {
        perGroup(name, "gauge", help,
                 [field](const auto &g) { return std::string(g.*field ? "1" : "0"); });
    };
    counter("logdeck_group_processed_total",
            "Events a group's processor handled successfully in this process.",
            &consume::GroupMetrics::processed);
    counter("logdeck_group_retried_total",
            "Events a group sent to its retry topic after a transient failure.",
            &consume::GroupMetrics::retried);
    counter("logdeck_group_dead_lettered_total", "Events a group sent to the dead-letter topic.",
            &consume::GroupMetrics::deadLettered);
    counter("logdeck_group_duplicates_total",
            "Events a group skipped because their id was processed before.",
            &consume::GroupMetrics::duplicates);
    flag("logdeck_group_paused", "1 while the group is paused, else 0.",
         &consume::GroupMetrics::paused);
    flag("logdeck_group_running",
         "1 while the group's consumer runs in this engine (paused included), 0 while it is "
         "stopped (for an offset reset) or refused.",
         &consume::GroupMetrics::running);

    out.family("logdeck_group_batch_duration_seconds", "histogram",
               "Time a group took to process and commit one batch.");
    for (const auto &g : groups) {
        out.histogram("logdeck_group_batch_duration_seconds",
                      TextWriter::labels({{"group", g.group}}),
                      prometheus::DurationHistogram::kBounds, g.batchDuration.counts,
                      g.batchDuration.sumSeconds);
    }

    out.family("logdeck_group_last_record_timestamp_seconds", "gauge",
               "Kafka timestamp of the last record a group processed on a partition (absent "
               "before the first).");
    for (const auto &g : groups) {
        for (const auto &p : g.partitions) {
            if (p.lastRecordTimestampMs <= 0) {
                continue; // nothing processed there yet: unknown, not 1970
            }
            out.sample("logdeck_group_last_record_timestamp_seconds",
                       {{"group", g.group},
                        {"topic", p.topic},
                        {"partition", std::to_string(p.partition)}},
                       formatValue(static_cast<double>(p.lastRecordTimestampMs) / 1000.0));
        }
    }
}

void appendLag(TextWriter &out, const std::string &instanceId, const ops::LagSnapshot *lag)
{
    out.family("logdeck_lag_sample_timestamp_seconds", "gauge",
               "When the lag monitor last sampled the groups' offsets (absent before the first "
               "sample).");
    if (lag != nullptr && lag->sampledAtMs > 0) {
        out.sample("logdeck_lag_sample_timestamp_seconds",
                   formatValue(static_cast<double>(lag->sampledAtMs) / 1000.0));
    }
    out.family("logdeck_group_lag_messages", "gauge",
               "Log-end offset minus the group's committed offset on a partition (absent while "
               "either is unknown).");
    const auto hosted = [&](const ops::GroupLag &group) { return group.hostedBy == instanceId; };
    if (lag != nullptr) {
        for (const auto &group : lag->groups) {
            if (!hosted(group)) {
                continue;
            }
            for (const auto &p : group.partitions) {
                if (p.lag >= 0) {
                    out.sample("logdeck_group_lag_messages",
                               {{"group", group.group},
                                {"topic", p.topic},
                                {"partition", std::to_string(p.partition)}},
                               formatValue(p.lag));
                }
            }
        }
    }
    out.family("logdeck_group_time_lag_seconds", "gauge",
               "Seconds since a group's position on a partition was the head of the log "
               "(absent while unknown).");
    if (lag != nullptr) {
        for (const auto &group : lag->groups) {
            if (!hosted(group)) {
                continue;
            }
            for (const auto &p : group.partitions) {
                if (p.timeLagSeconds) {
                    out.sample("logdeck_group_time_lag_seconds",
                               {{"group", group.group},
                                {"topic", p.topic},
                                {"partition", std::to_string(p.partition)}},
                               formatValue(*p.timeLagSeconds));
                }
            }
        }
    }
}

} // namespace

std::string renderEngineMetrics(const EngineMetricsInput &input)
{
    TextWriter out;
    out.text().reserve(16384);
    out.family("logdeck_build_info", "gauge",
               "Always 1; the labels name the engine's version and its librdkafka.");
    out.sample("logdeck_build_info",
               {{"version", LOGDECK_VERSION}, {"librdkafka", rd_kafka_version_str()}}, "1");
    appendGroups(out, input.groups);
    appendLag(out, input.instanceId, input.lag.get());
    prometheus::appendProcessMetrics(out);
    return std::move(out.text());
}

} // namespace logdeck
