// The console's costs (scripts/bench-console): launch to the first lag chart point, RSS and
// CPU of the demo (the whole pipeline in process at 200 requests/s), and the CPU of the Lag
// page fed 50 groups × 64 partitions at 1 Hz. Prints one JSON object per measure.
//
//   logdeck_console_bench [--idle-seconds N] [--load-seconds N]

#include "bridge/console_session.h"
#include "main_window.h"
#include "process_stats.h"
#include "views/lag_page.h"
#include "widgets/lag_chart.h"

#include <QApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QStandardPaths>
#include <QTimer>
#include <cstdio>
#include <functional>
#include <sys/resource.h>
#include <unistd.h>

using namespace logdeck;
using namespace logdeck::ui;

using bench::rssKib;

namespace {

double cpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/// Milliseconds since this process started (from /proc/self/stat's start time).
double msSinceProcessStart()
{
    QFile stat(QStringLiteral("/proc/self/stat"));
    QFile uptime(QStringLiteral("/proc/uptime"));
    if (!stat.open(QIODevice::ReadOnly) || !uptime.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QByteArray statText = stat.readAll();
    const QList<QByteArray> fields = statText.mid(statText.lastIndexOf(')') + 2).split(' ');
    const double startTicks = fields.value(19).toDouble(); // field 22 of the whole line
    const double up = uptime.readAll().split(' ').first().toDouble();
    return (up - startTicks / static_cast<double>(sysconf(_SC_CLK_TCK))) * 1000.0;
}

/// Runs the event loop for `ms` (blocking in it, not spinning: the CPU figures are the
/// console's, not the wait's).
void waitMs(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

/// Runs the event loop until `done` holds (checked every 10 ms) or `timeoutMs` passed.
void waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    QEventLoop loop;
    QTimer check;
    check.setInterval(10);
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done()) {
            loop.quit();
        }
    });
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    check.start();
    loop.exec();
}

std::shared_ptr<const ops::LagSnapshot> syntheticLag(int groups, int partitions, std::int64_t atMs,
                                                     int tick)
{
    auto snapshot = std::make_shared<ops::LagSnapshot>();
    snapshot->sampledAtMs = atMs;
    for (int g = 0; g < groups; ++g) {
        ops::GroupLag group;
        group.group = "group-" + std::to_string(g);
        group.state = "Stable";
        group.members = 4;
        group.consumeRate = 1000.0 + g;
        group.timeLagSeconds = (tick * 7 + g) % 60;
        for (int p = 0; p < partitions; ++p) {
            ops::PartitionLag partition;
            partition.topic = "events.raw";
            partition.partition = p;
            partition.logEndOffset = 1'000'000 + tick * 100;
            partition.lag = (tick * 13 + p * 7 + g) % 500;
            partition.committedOffset = partition.logEndOffset - partition.lag;
            partition.consumeRate = 15.0;
            partition.produceRate = 15.0;
            group.lag += partition.lag;
            group.partitions.push_back(partition);
        }
        snapshot->groups.push_back(std::move(group));
    }
    return snapshot;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true); // leave the user's settings alone
    int idleSeconds = 30;
    int loadSeconds = 60;
    const QStringList arguments = QApplication::arguments();
    for (int i = 1; i + 1 < arguments.size(); ++i) {
        if (arguments.at(i) == QLatin1String("--idle-seconds")) {
            idleSeconds = arguments.at(i + 1).toInt();
        } else if (arguments.at(i) == QLatin1String("--load-seconds")) {
            loadSeconds = arguments.at(i + 1).toInt();
        }
    }

    {
        // Launch to first chart, then the demo running, as a user sees it.
        ConsoleSession session;
        MainWindow window(&session);
        window.show();
        Config config;
        config.embedded = true;
        if (qEnvironmentVariableIsSet("LOGDECK_BENCH_TRACE")) {
            QObject::connect(session.feed(), &ClusterFeed::snapshotReady, &window,
                             [](const ConsoleSnapshotPtr &snapshot) {
                                 std::fprintf(stderr, "trace %.0f ms: lag sampled %lld, %zu groups\n",
                                              msSinceProcessStart(),
                                              snapshot->lag ? static_cast<long long>(snapshot->lag->sampledAtMs) : -1LL,
                                              snapshot->lag ? snapshot->lag->groups.size() : 0);
                             });
        }
        session.start(ConsoleMode::Demo, config);
        QObject::connect(&session, &ConsoleSession::started, &window,
                         [&window] { window.showPage(MainWindow::Page::Lag); });
        waitUntil(
            [&window] {
                return window.lagPage()->chart()->shownPointCount(QObject::tr("Lag (messages)"))
                    > 0;
            },
            30000);
        std::printf("{\"case\": \"console-first-chart\", \"ms\": %.0f}\n", msSinceProcessStart());
        std::fflush(stdout);

        waitMs(5000); // settle
        const double cpu0 = cpuSeconds();
        QElapsedTimer wall;
        wall.start();
        waitMs(idleSeconds * 1000);
        const double cpu = (cpuSeconds() - cpu0) / (static_cast<double>(wall.elapsed()) / 1000.0);
        std::printf("{\"case\": \"console-demo\", \"seconds\": %d, \"cpuPercentOfCore\": %.1f, "
                    "\"rssMiB\": %.1f}\n",
                    idleSeconds, cpu * 100.0, static_cast<double>(rssKib()) / 1024.0);
        std::fflush(stdout);
        session.stop();
    }

    {
        // The Lag page alone, fed a large cluster at 1 Hz (the snapshots are made here too:
        // their cost is inside the figure).
        ClusterFeed feed;
        GroupControl control;
        LagPage page(&feed, &control);
        page.resize(1280, 800);
        page.show();
        int tick = 0;
        QTimer timer;
        timer.setInterval(1000);
        QObject::connect(&timer, &QTimer::timeout, &page, [&] {
            auto snapshot = std::make_shared<ConsoleSnapshot>();
            snapshot->connected = true;
            snapshot->lag =
                syntheticLag(50, 64, QDateTime::currentMSecsSinceEpoch(), ++tick);
            page.showSnapshot(snapshot);
        });
        timer.start();
        waitMs(3000);
        const double cpu0 = cpuSeconds();
        QElapsedTimer wall;
        wall.start();
        waitMs(loadSeconds * 1000);
        const double cpu = (cpuSeconds() - cpu0) / (static_cast<double>(wall.elapsed()) / 1000.0);
        std::printf("{\"case\": \"console-lag-50x64\", \"seconds\": %d, \"cpuPercentOfCore\": %.1f, "
                    "\"redraws\": %d, \"rssMiB\": %.1f}\n",
                    loadSeconds, cpu * 100.0, page.chart()->redrawCount(),
                    static_cast<double>(rssKib()) / 1024.0);
    }
    return 0;
}
