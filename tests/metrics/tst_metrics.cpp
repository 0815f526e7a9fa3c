// /metrics of a running embedded engine as Prometheus reads it: the exposition passes the
// Prometheus client library's parser and the naming conventions (check_exposition.py); the
// timestamp a time lag is computed from comes back exactly; every partition of every group
// has lag and time-lag series; the ingest histogram tells the single and batch routes
// apart; and no counter goes back while a group is paused, resumed, or stopped, reset and
// started again by `groups reset-offsets --execute`.

#include "engine.h"
#include "support/cli_runner.h"
#include "support/http_client.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <cstdlib>
#include <map>

using namespace logdeck;

namespace {

constexpr int kPartitions = 2;
const std::vector<std::string> kGroups = {"analytics", "persister"};

/// One scrape: the text, and each series (name with its labels) with its value.
struct Scrape
{
    int status = 0;
    std::string text;
    std::map<std::string, double> values;
    std::map<std::string, std::string> raw; ///< the value as written

    bool has(const std::string &series) const { return values.contains(series); }
    double value(const std::string &series) const
    {
        const auto it = values.find(series);
        return it == values.end() ? std::nan("") : it->second;
    }
};

Scrape scrape(test::HttpClient &client)
{
    Scrape result;
    const auto response = client.request("GET", "/metrics");
    result.status = response.status;
    result.text = response.body;
    std::size_t start = 0;
    while (start < result.text.size()) {
        auto end = result.text.find('\n', start);
        if (end == std::string::npos) {
            end = result.text.size();
        }
        const std::string line = result.text.substr(start, end - start);
        start = end + 1;
        const auto space = line.rfind(' ');
        if (line.empty() || line.front() == '#' || space == std::string::npos) {
            continue;
        }
        const std::string value = line.substr(space + 1);
        result.raw[line.substr(0, space)] = value;
        result.values[line.substr(0, space)] = std::strtod(value.c_str(), nullptr);
    }
    return result;
}

std::string series(const std::string &name, const std::string &group)
{
    return name + "{group=\"" + group + "\"}";
}

std::string series(const std::string &name, const std::string &group, int partition)
{
    return name + "{group=\"" + group + "\",topic=\"events.raw\",partition=\""
        + std::to_string(partition) + "\"}";
}

/// Counter-like series: counters, and histograms' buckets, counts and sums.
bool isCumulative(const std::string &name)
{
    const auto base = name.substr(0, name.find('{'));
    return base.ends_with("_total") || base.ends_with("_bucket") || base.ends_with("_count")
        || base.ends_with("_sum");
}

/// The first counter of `before` that `after` has lower or has lost, or empty.
std::string wentBack(const Scrape &before, const Scrape &after)
{
    for (const auto &[name, value] : before.values) {
        if (!isCumulative(name)) {
            continue;
        }
        if (!after.has(name)) {
            return name + " disappeared (was " + before.raw.at(name) + ")";
        }
        if (after.value(name) < value) {
            return name + " went back from " + before.raw.at(name) + " to " + after.raw.at(name);
        }
    }
    return {};
}

/// Runs check_exposition.py on `text`: its exit code, and what it printed.
std::pair<int, QString> checkExposition(const std::string &text)
{
    QProcess python;
    python.setProcessChannelMode(QProcess::MergedChannels);
    python.start(QStringLiteral(LOGDECK_PYTHON), {QStringLiteral(LOGDECK_CHECK_EXPOSITION)});
    if (!python.waitForStarted(10000)) {
        return {-1, QStringLiteral("cannot run " LOGDECK_PYTHON)};
    }
    python.write(QByteArray::fromStdString(text));
    python.closeWriteChannel();
    if (!python.waitForFinished(30000)) {
        python.kill();
        python.waitForFinished(5000);
        return {-1, QStringLiteral("check_exposition.py hung")};
    }
    return {python.exitCode(), QString::fromUtf8(python.readAll())};
}

double nowSeconds()
{
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theCheckerRefusesWhatPrometheusWouldNot()
    {
        // A family without a TYPE, two sharing one HELP, a precomputed rate, a rounded
        // timestamp in a counter without _total: each is reported.
        const auto [code, output] = checkExposition(
            "# HELP a_total Events counted.\n# TYPE a_total counter\na_total 1\n"
            "# HELP b_total Events counted.\n# TYPE b_total counter\nb_total 2\n"
            "# HELP c_per_second Rate.\n# TYPE c_per_second gauge\nc_per_second 3\n"
            "# HELP d Stamp.\n# TYPE d counter\nd 1.79634e+09\n"
            "e 1\n");
        QCOMPARE(code, 1);
        for (const char *expected : {"share the HELP", "precomputed rate", "only counters end",
                                     "e has no TYPE"}) {
            QVERIFY2(output.contains(QLatin1String(expected)), qPrintable(output));
        }
    }

    void runningEngineExportsWhatPrometheusExpects()
    {
        QTemporaryDir data;
        QVERIFY(data.isValid());
        Config config;
        config.embedded = true;
        config.dataDir = data.path().toStdString();
        config.groups = kGroups;
        config.partitions = kPartitions;
        config.demoRate = 100;
        config.lagIntervalMs = 200;
        Engine engine(config);
        auto started = engine.start();
        QVERIFY2(started.has_value(), started ? "" : started.error().message.c_str());
        const std::string url = engine.collectorUrl();
        const auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
        test::HttpClient client("127.0.0.1", port);

        // Every partition of every group gets its lag and time-lag series once sampled.
        const auto covered = [&](const Scrape &s) {
            for (const auto &group : kGroups) {
                for (int p = 0; p < kPartitions; ++p) {
                    if (!s.has(series("logdeck_group_lag_messages", group, p))
                        || !s.has(series("logdeck_group_time_lag_seconds", group, p))
                        || !s.has(series("logdeck_group_last_record_timestamp_seconds", group,
                                         p))) {
                        return false;
                    }
                }
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(covered(scrape(client)), 30000);

        // Both ingest routes are told apart in the latency histogram.
        const auto keys = engine.demoKeys();
        QVERIFY(!keys.empty());
        const auto batch = client.postJson(
            "/v1/events:batch", keys.front().second,
            R"({"events":[{"campaignId":"c-1","type":"click","occurredAt":"2026-11-26T15:04:05.123Z"}]})");
        QCOMPARE(batch.status, 200);

        Scrape first = scrape(client);
        QCOMPARE(first.status, 200);
        const auto [code, output] = checkExposition(first.text);
        QVERIFY2(code == 0, qPrintable(output));
        QVERIFY(first.value("logdeck_ingest_latency_seconds_count{route=\"/v1/events:batch\"}")
                >= 1);
        QVERIFY(first.value("logdeck_ingest_latency_seconds_count{route=\"/v1/events\"}") > 0);
        for (const auto &group : kGroups) {
            QVERIFY(first.value(series("logdeck_group_processed_total", group)) > 0);
            QVERIFY(first.value(series("logdeck_group_batch_duration_seconds_count", group)) > 0);
            QCOMPARE(first.value(series("logdeck_group_running", group)), 1.0);
            for (int p = 0; p < kPartitions; ++p) {
                QVERIFY(first.value(series("logdeck_group_lag_messages", group, p)) >= 0);
                QVERIFY(first.value(series("logdeck_group_time_lag_seconds", group, p)) >= 0);
            }
        }
        QVERIFY(first.text.find("logdeck_build_info{version=\"") != std::string::npos);
        QVERIFY(first.value("process_resident_memory_bytes") > 1e6);
        QVERIFY(first.value("process_open_fds") > 0);
        QVERIFY(first.value("process_cpu_seconds_total") > 0);
        QVERIFY(std::abs(first.value("process_start_time_seconds") - nowSeconds()) < 3600);
        QVERIFY(std::abs(first.value("logdeck_lag_sample_timestamp_seconds") - nowSeconds())
                < 60);

        // Paused, analytics' last record timestamps stay put: /metrics gives them back to the
        // millisecond, as time lag needs (%.6g was ~1000 s off).
        QVERIFY(engine.pauseGroup("analytics").has_value());
        QTRY_COMPARE_WITH_TIMEOUT(scrape(client).value(series("logdeck_group_paused", "analytics")),
                                  1.0, 10000);
        Scrape paused = scrape(client);
        QVERIFY2(wentBack(first, paused).empty(), wentBack(first, paused).c_str());
        int compared = 0;
        for (const auto &g : engine.groupMetrics()) {
            if (g.group != "analytics") {
                continue;
            }
            for (const auto &p : g.partitions) {
                if (p.topic != "events.raw" || p.lastRecordTimestampMs <= 0) {
                    continue;
                }
                const auto name =
                    series("logdeck_group_last_record_timestamp_seconds", "analytics", p.partition);
                QVERIFY2(paused.raw[name].find_first_of("eE") == std::string::npos,
                         paused.raw[name].c_str());
                QCOMPARE(paused.value(name) * 1000.0,
                         static_cast<double>(p.lastRecordTimestampMs));
                QVERIFY(std::abs(paused.value(name) - nowSeconds()) < 120);
                ++compared;
            }
        }
        QCOMPARE(compared, kPartitions);
        QVERIFY(engine.resumeGroup("analytics").has_value());
        QTRY_COMPARE_WITH_TIMEOUT(scrape(client).value(series("logdeck_group_paused", "analytics")),
                                  0.0, 10000);

        // A reset stops analytics' runtime and starts a new one: its counters go on from
        // where they were, scraped all along.
        Scrape before = scrape(client);
        QVERIFY2(wentBack(paused, before).empty(), wentBack(paused, before).c_str());
        const double processedBefore =
            before.value(series("logdeck_group_processed_total", "analytics"));
        QProcess reset;
        reset.setProcessChannelMode(QProcess::MergedChannels);
        reset.start(test::cliPath(),
                    {QStringLiteral("groups"), QStringLiteral("reset-offsets"),
                     QStringLiteral("--group"), QStringLiteral("analytics"),
                     QStringLiteral("--topic"), QStringLiteral("events.raw"),
                     QStringLiteral("--to-latest"), QStringLiteral("--execute"),
                     QStringLiteral("--data"), data.path()});
        QVERIFY(reset.waitForStarted(10000));
        int scrapes = 0;
        QElapsedTimer resetTime;
        resetTime.start();
        while (reset.state() != QProcess::NotRunning && resetTime.elapsed() < 120000) {
            reset.waitForFinished(100);
            Scrape now = scrape(client);
            QVERIFY2(wentBack(before, now).empty(), wentBack(before, now).c_str());
            before = std::move(now);
            ++scrapes;
        }
        QVERIFY2(reset.state() == QProcess::NotRunning, "the reset did not finish in 120 s");
        QVERIFY2(reset.exitCode() == 0, reset.readAll().constData());
        QVERIFY(scrapes > 0);
        // Started again, it counts on from the total before the reset.
        QTRY_VERIFY_WITH_TIMEOUT(
            engine.lagSnapshot()->find("analytics") != nullptr
                && scrape(client).value(series("logdeck_group_running", "analytics")) == 1.0
                && scrape(client).value(series("logdeck_group_processed_total", "analytics"))
                    > processedBefore + 20,
            30000);
        Scrape after = scrape(client);
        QVERIFY2(wentBack(before, after).empty(), wentBack(before, after).c_str());
        engine.stop();
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
