// The lag chart and its decimation: what is drawn keeps every pixel column's minimum and
// maximum and the latest value, unknown values are gaps and never zero, memory stays
// bounded, and a burst of data costs one redraw. Also measures the CPU time of a live feed
// of 50 groups × 64 partitions (printed, not asserted).

#include "widgets/lag_chart.h"
#include "widgets/series_decimation.h"

#include <QChart>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QElapsedTimer>
#include <QLegend>
#include <QLineSeries>
#include <QRandomGenerator>
#include <QTest>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>

using namespace logdeck::ui;
using namespace std::chrono_literals;

namespace {

const double kUnknown = std::numeric_limits<double>::quiet_NaN();
constexpr qint64 kStartMs = 1'700'000'000'000;

// A lag that wanders up and down around a few thousand messages, one point a step.
std::vector<ChartPoint> randomWalk(qint64 startMs, qint64 stepMs, int count, quint32 seed)
{
    QRandomGenerator random(seed);
    std::vector<ChartPoint> points;
    points.reserve(static_cast<std::size_t>(count));
    double value = 5000;
    for (int i = 0; i < count; ++i) {
        value = std::max(0.0, value + random.bounded(2001) - 1000);
        points.push_back({startMs + i * stepMs, value});
    }
    return points;
}

std::chrono::nanoseconds processCpuTime()
{
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

bool contains(const std::vector<ChartPoint> &points, const ChartPoint &point)
{
    return std::ranges::find(points, point) != points.end();
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// The points every line of the chart holds, whichever series they draw.
QList<QPointF> allShownPoints(const LagChart &chart)
{
    QList<QPointF> points;
    for (QAbstractSeries *series : chart.chart()->series()) {
        points += static_cast<QLineSeries *>(series)->points();
    }
    return points;
}

int linesWithPoints(const LagChart &chart)
{
    const auto series = chart.chart()->series();
    return static_cast<int>(std::ranges::count_if(series, [](QAbstractSeries *line) {
        return static_cast<QLineSeries *>(line)->count() > 0;
    }));
}

} // namespace

class TestLagChart : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decimationKeepsEveryBucketsExtremes_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<qint64>("fromOffsetMs");
        QTest::addColumn<qint64>("toOffsetMs");
        QTest::addColumn<qint64>("bucketMs");
        QTest::newRow("an hour at 1 Hz into 800 columns") << 3600 << qint64(0) << qint64(3'599'000)
                                                          << qint64(4500);
        QTest::newRow("a window starting mid-series")
            << 10000 << qint64(123'456) << qint64(9'000'000) << qint64(37'000);
        QTest::newRow("everything in one bucket") << 1000 << qint64(0) << qint64(999'000)
                                                  << qint64(10'000'000);
    }

    void decimationKeepsEveryBucketsExtremes()
    {
        QFETCH(int, count);
        QFETCH(qint64, fromOffsetMs);
        QFETCH(qint64, toOffsetMs);
        QFETCH(qint64, bucketMs);
        const auto points = randomWalk(kStartMs, 1000, count, 7);
        const qint64 fromMs = kStartMs + fromOffsetMs;
        const qint64 toMs = kStartMs + toOffsetMs;

        const auto reduced = decimateMinMax(points, fromMs, toMs, bucketMs);

        QVERIFY(std::ranges::is_sorted(reduced, {}, &ChartPoint::timeMs));
        QVERIFY(static_cast<qint64>(reduced.size())
                <= 2 * touchedBuckets(fromMs, toMs, bucketMs) + 2);
        std::map<qint64, std::pair<double, double>> extremes; // bucket -> min, max
        std::vector<ChartPoint> inRange;
        for (const ChartPoint &point : points) {
            if (point.timeMs < fromMs || point.timeMs > toMs) {
                continue;
            }
            inRange.push_back(point);
            const auto [it, added] =
                extremes.try_emplace(point.timeMs / bucketMs, point.value, point.value);
            it->second.first = std::min(it->second.first, point.value);
            it->second.second = std::max(it->second.second, point.value);
        }
        for (const ChartPoint &point : reduced) {
            QVERIFY2(contains(inRange, point), "a kept point is one of the input's");
        }
        for (const auto &[bucket, minMax] : extremes) {
            const auto inBucket = [&](const ChartPoint &point) {
                return point.timeMs / bucketMs == bucket;
            };
            QVERIFY(std::ranges::any_of(reduced, [&](const ChartPoint &point) {
                return inBucket(point) && point.value == minMax.first;
            }));
            QVERIFY(std::ranges::any_of(reduced, [&](const ChartPoint &point) {
                return inBucket(point) && point.value == minMax.second;
            }));
        }
        QCOMPARE(reduced.front(), inRange.front());
        QCOMPARE(reduced.back(), inRange.back());
        QVERIFY(reduced.size() < inRange.size());
    }

    void decimationOfSparsePointsKeepsThemAll()
    {
        const auto points = randomWalk(kStartMs, 1000, 60, 3);
        const auto reduced =
            decimateMinMax(points, kStartMs - 1000, kStartMs + 60'000, 100);
        QCOMPARE(reduced, points);
        // Points outside the range are left out.
        const auto middle = decimateMinMax(points, kStartMs + 10'000, kStartMs + 19'000, 100);
        QCOMPARE(middle.size(), std::size_t(10));
        QCOMPARE(middle.front(), points[10]);
        QCOMPARE(middle.back(), points[19]);
        QVERIFY(decimateMinMax(points, kStartMs + 100'000, kStartMs + 200'000, 100).empty());
    }

    void decimationKeepsGapsAsBreaks()
    {
        // 300 s at 1 Hz, unknown from 100 s to 159 s, one lone unknown at 205 s.
        std::vector<ChartPoint> points;
        for (int i = 0; i < 300; ++i) {
            const bool unknown = (i >= 100 && i < 160) || i == 205;
            points.push_back({kStartMs + i * 1000, unknown ? kUnknown : 100.0 + i});
        }
        const auto reduced = decimateMinMax(points, kStartMs, kStartMs + 299'000, 10'000);

        const auto unknown = std::ranges::count_if(reduced, [](const ChartPoint &point) {
            return !point.isKnown();
        });
        // The minute-long gap; the lone unknown second is narrower than a column.
        QCOMPARE(unknown, std::ptrdiff_t(1));
        const auto gap = std::ranges::find_if(reduced, [](const ChartPoint &point) {
            return !point.isKnown();
        });
        QVERIFY(gap != reduced.begin() && gap + 1 != reduced.end());
        QVERIFY((gap - 1)->timeMs < kStartMs + 100'000);
        QVERIFY((gap + 1)->timeMs >= kStartMs + 160'000);
        // Nothing drawn as zero: every known point is one of the input's values.
        for (const ChartPoint &point : reduced) {
            QVERIFY(!point.isKnown() || point.value >= 100);
        }

        // At full resolution the lone unknown second is a break too.
        const auto fine = decimateMinMax(points, kStartMs, kStartMs + 299'000, 1000);
        QCOMPARE(std::ranges::count_if(fine,
                                       [](const ChartPoint &point) { return !point.isKnown(); }),
                 std::ptrdiff_t(2));

        const std::vector<ChartPoint> allUnknown(100, ChartPoint{kStartMs, kUnknown});
        const auto none = decimateMinMax(allUnknown, kStartMs, kStartMs + 1000, 10);
        QCOMPARE(none.size(), std::size_t(1));
        QVERIFY(!none.front().isKnown());
    }

    void seriesBufferStaysBounded()
    {
        SeriesBuffer buffer(1024, 30 * 24h);
        QRandomGenerator random(11);
        std::vector<ChartPoint> newest;
        std::size_t largest = 0;
        for (int i = 0; i < 100'000; ++i) {
            double value = 1000 + random.bounded(1000);
            if (i == 20'000) {
                value = 1e9; // an old spike
            } else if (i == 40'000) {
                value = 0; // an old dip
            }
            const ChartPoint point{kStartMs + i * 1000LL, value};
            QVERIFY(buffer.append(point));
            largest = std::max(largest, buffer.size());
            if (i >= 100'000 - 512) {
                newest.push_back(point);
            }
        }
        QVERIFY(largest <= 1024);
        const auto points = buffer.points();
        QVERIFY(std::ranges::is_sorted(points, {}, &ChartPoint::timeMs));
        QCOMPARE(points.front().timeMs, kStartMs); // thinned, not dropped
        // The newest half is kept at full resolution; older extremes survive thinning.
        QVERIFY(std::ranges::equal(points.last(512), newest));
        QVERIFY(std::ranges::any_of(points, [](const ChartPoint &p) { return p.value == 1e9; }));
        QVERIFY(std::ranges::any_of(points, [](const ChartPoint &p) { return p.value == 0; }));
        // Out-of-order points are refused.
        QVERIFY(!buffer.append({kStartMs, 1}));

        // Points older than maxAge before the newest are dropped.
        SeriesBuffer recent(1024, 60s);
        for (int i = 0; i < 200; ++i) {
            recent.append({kStartMs + i * 1000LL, 1});
        }
        QCOMPARE(recent.points().front().timeMs, kStartMs + 139'000);
        QCOMPARE(recent.size(), std::size_t(61));
        QCOMPARE(recent.pointsIn(kStartMs + 150'000, kStartMs + 159'999).size(), std::size_t(10));

        // History can come unsorted and large.
        auto history = randomWalk(kStartMs, 1000, 50'000, 5);
        std::ranges::reverse(history);
        SeriesBuffer loaded(1024, 30 * 24h);
        loaded.replaceAll(history);
        QVERIFY(loaded.size() <= 1024);
        QVERIFY(std::ranges::is_sorted(loaded.points(), {}, &ChartPoint::timeMs));
        QCOMPARE(loaded.points().back().timeMs, kStartMs + 49'999'000);
        QVERIFY(loaded.hasKnownValue());
    }

    void chartCoalescesABurstIntoOneRedraw()
    {
        LagChart chart;
        chart.resize(1000, 500);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        QTRY_VERIFY(chart.redrawCount() >= 1);
        const int before = chart.redrawCount();

        const qint64 now = nowMs();
        double largest = 0;
        for (int group = 0; group < 50; ++group) {
            const QString name = QStringLiteral("group-%1").arg(group);
            const auto points =
                randomWalk(now - 3'599'000, 1000, 3600, static_cast<quint32>(group));
            for (const ChartPoint &point : points) {
                chart.appendPoint(name, LagChart::Unit::Messages, point);
                largest = std::max(largest, point.value);
            }
        }
        QCOMPARE(chart.redrawCount(), before); // nothing is drawn while data comes in
        QTRY_COMPARE(chart.redrawCount(), before + 1);

        // Once more, with the axes' labels settled, to compare against the plot's width.
        QTRY_VERIFY_WITH_TIMEOUT(chart.redrawCount() >= before + 2, 10000);
        const auto columns = static_cast<qsizetype>(chart.chart()->plotArea().width());
        QVERIFY(columns > 500);
        for (const QString &name : chart.seriesNames()) {
            QVERIFY(chart.shownPointCount(name) > 100);
            QVERIFY2(chart.shownPointCount(name) <= 2 * columns + 4,
                     qPrintable(QStringLiteral("%1 shows %2 points in %3 columns")
                                    .arg(name)
                                    .arg(chart.shownPointCount(name))
                                    .arg(columns)));
        }
        QCOMPARE(chart.seriesNames().size(), qsizetype(50));
        const QValueAxis *messages = chart.valueAxis(LagChart::Unit::Messages);
        QCOMPARE(messages->min(), 0.0);
        QVERIFY(messages->max() >= largest);
        QVERIFY(messages->max() <= largest * 1.5);
        QVERIFY(messages->isVisible());
        QVERIFY(!chart.valueAxis(LagChart::Unit::Seconds)->isVisible());
        QVERIFY(chart.notice().isEmpty());
    }

    void unknownIsEmptyNeverZero()
    {
        LagChart chart;
        chart.resize(800, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const qint64 now = nowMs();
        std::vector<ChartPoint> unknown;
        for (int i = 0; i < 3600; ++i) {
            unknown.push_back({now - (3599 - i) * 1000LL, kUnknown});
        }
        chart.setSeries(QStringLiteral("orders"), LagChart::Unit::Seconds, unknown);
        int redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        QCOMPARE(chart.shownPointCount(QStringLiteral("orders")), 0);
        QVERIFY(allShownPoints(chart).isEmpty());
        QCOMPARE(chart.notice(), QStringLiteral("No data yet"));
        QCOMPARE(chart.chart()->series().front()->name(), QStringLiteral("orders (no data yet)"));
        QVERIFY(chart.valueAxis(LagChart::Unit::Seconds)->isVisible());
        QVERIFY(!chart.valueAxis(LagChart::Unit::Messages)->isVisible());

        // Known values with a ten-minute gap: two lines, nothing inside the gap, no zeros.
        std::vector<ChartPoint> gapped;
        for (int i = 0; i < 3600; ++i) {
            const bool inGap = i >= 1800 && i < 2400;
            gapped.push_back({now - (3599 - i) * 1000LL, inGap ? kUnknown : 200.0 + i % 50});
        }
        chart.setSeries(QStringLiteral("orders"), LagChart::Unit::Seconds, gapped);
        redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        QVERIFY(chart.notice().isEmpty());
        QCOMPARE(chart.chart()->series().front()->name(), QStringLiteral("orders"));
        QCOMPARE(linesWithPoints(chart), 2);
        const qint64 gapFrom = now - (3599 - 1800) * 1000LL;
        const qint64 gapTo = now - (3599 - 2400) * 1000LL;
        for (const QPointF &point : allShownPoints(chart)) {
            QVERIFY(point.y() >= 200);
            QVERIFY(point.x() < static_cast<qreal>(gapFrom)
                    || point.x() >= static_cast<qreal>(gapTo));
        }
        QVERIFY(chart.valueAxis(LagChart::Unit::Seconds)->max() >= 249);

        // The latest point is drawn, at the right edge.
        chart.appendPoint(QStringLiteral("orders"), LagChart::Unit::Seconds, {now + 1000, 321});
        redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        const auto shown = allShownPoints(chart);
        QVERIFY(std::ranges::any_of(shown, [&](const QPointF &point) {
            return point.x() == static_cast<qreal>(now + 1000) && point.y() == 321;
        }));
        QVERIFY(chart.timeAxis()->max().toMSecsSinceEpoch() >= now + 1000);
    }

    void windowSetsTheTimeAxis()
    {
        LagChart chart;
        chart.resize(800, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.appendPoint(QStringLiteral("orders"), LagChart::Unit::Messages, {nowMs(), 10});

        chart.setWindow(1h);
        int redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        QCOMPARE(chart.timeAxis()->format(), QStringLiteral("hh:mm:ss"));
        const QDateTime max = chart.timeAxis()->max();
        QCOMPARE(chart.timeAxis()->min().secsTo(max), qint64(3600));
        QVERIFY(std::abs(max.toMSecsSinceEpoch() - nowMs()) < 5000);

        chart.setWindow(24h);
        redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        QCOMPARE(chart.timeAxis()->format(), QStringLiteral("dd MMM hh:mm"));
        QCOMPARE(chart.timeAxis()->min().secsTo(chart.timeAxis()->max()), qint64(24 * 3600));

        chart.setWindow(1s);
        QCOMPARE(chart.window(), LagChart::kShortestWindow);
        chart.setWindow(std::chrono::days(30));
        QCOMPARE(chart.window(), LagChart::kLongestWindow);
    }

    void seriesAreRemoved()
    {
        LagChart chart;
        chart.resize(800, 400);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const qint64 now = nowMs();
        chart.setSeries(QStringLiteral("a"), LagChart::Unit::Messages,
                        randomWalk(now - 60'000, 1000, 60, 1));
        chart.setSeries(QStringLiteral("b"), LagChart::Unit::Seconds,
                        randomWalk(now - 60'000, 1000, 60, 2));
        int redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        QCOMPARE(linesWithPoints(chart), 2);

        chart.removeSeries(QStringLiteral("a"));
        QCOMPARE(chart.seriesNames(), QStringList{QStringLiteral("b")});
        QCOMPARE(chart.chart()->series().size(), qsizetype(1));
        redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        QVERIFY(!chart.valueAxis(LagChart::Unit::Messages)->isVisible());

        chart.clear();
        QVERIFY(chart.seriesNames().isEmpty());
        QVERIFY(chart.chart()->series().isEmpty());
        redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        QCOMPARE(chart.notice(), QStringLiteral("No data yet"));
    }

    void rendersReadably()
    {
        LagChart chart;
        chart.resize(960, 420);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        const qint64 now = nowMs();
        // A backlog builds up 40 minutes ago and drains; the engine lost the cluster for
        // three minutes (unknown lag) ten minutes ago.
        std::vector<ChartPoint> messages;
        std::vector<ChartPoint> seconds;
        QRandomGenerator random(42);
        double backlog = 0;
        for (int age = 3599; age >= 0; --age) {
            const qint64 timeMs = now - age * 1000LL;
            if (age <= 780 && age > 600) {
                messages.push_back({timeMs, kUnknown});
                seconds.push_back({timeMs, kUnknown});
                continue;
            }
            if (age <= 2400 && age > 1900) {
                backlog += 400 + random.bounded(200);
            } else {
                backlog = std::max(0.0, backlog - 250 - random.bounded(100.0));
            }
            const double steady = 1500 + random.bounded(1500);
            messages.push_back({timeMs, steady + backlog});
            seconds.push_back({timeMs, (steady + backlog) / 900.0 + random.bounded(1.0)});
        }
        chart.setSeries(QStringLiteral("enricher · messages"), LagChart::Unit::Messages, messages);
        chart.setSeries(QStringLiteral("enricher · time"), LagChart::Unit::Seconds, seconds);
        int redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws);
        redraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > redraws); // axes' labels settled
        const QImage image = chart.grab().toImage();
        QCOMPARE(linesWithPoints(chart), 4); // two series, each broken by the gap

        // Both lines are on the picture.
        const auto hasColour = [&](QRgb colour) {
            for (int y = 0; y < image.height(); ++y) {
                for (int x = 0; x < image.width(); ++x) {
                    if ((image.pixel(x, y) & 0xffffff) == (colour & 0xffffff)) {
                        return true;
                    }
                }
            }
            return false;
        };
        QVERIFY(hasColour(0x1f77b4));
        QVERIFY(hasColour(0xff7f0e));
        const QString path = qEnvironmentVariable("LOGDECK_LAG_CHART_PNG");
        if (!path.isEmpty()) {
            QVERIFY(image.save(path));
            // The same backlog in a week's window, with the time axis's long format.
            chart.setWindow(std::chrono::days(7));
            redraws = chart.redrawCount();
            QTRY_VERIFY(chart.redrawCount() > redraws);
            QVERIFY(chart.grab().save(QString(path).replace(QStringLiteral(".png"),
                                                            QStringLiteral("-7d.png"))));
            chart.clear();
            redraws = chart.redrawCount();
            QTRY_VERIFY(chart.redrawCount() > redraws);
            QVERIFY(chart.grab().save(QString(path).replace(QStringLiteral(".png"),
                                                            QStringLiteral("-empty.png"))));
        }
    }

    // 50 groups × 64 partitions, each group's lag summed over its partitions once a
    // second, for LOGDECK_LAG_CHART_SECONDS (10) seconds of wall time, into a chart with an
    // hour of history: all 100 series (messages and seconds) in one chart, the worst case,
    // or the one group a Lag page shows. Prints the CPU time used.
    void feedsFiftyGroupsAtOneHertz_data()
    {
        QTest::addColumn<bool>("allGroups");
        QTest::newRow("50 groups in one chart") << true;
        QTest::newRow("one group's chart") << false;
    }

    void feedsFiftyGroupsAtOneHertz()
    {
        QFETCH(bool, allGroups);
        constexpr int groups = 50;
        constexpr int partitions = 64;
        const int seconds = qEnvironmentVariableIntValue("LOGDECK_LAG_CHART_SECONDS") > 0
            ? qEnvironmentVariableIntValue("LOGDECK_LAG_CHART_SECONDS")
            : 10;
        LagChart chart;
        chart.resize(1200, 600);
        if (allGroups) {
            chart.chart()->legend()->hide(); // 100 entries would leave no room for the plot
        }
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));

        const int shownGroups = allGroups ? groups : 1;
        const qint64 start = nowMs();
        for (int group = 0; group < shownGroups; ++group) {
            const auto history =
                randomWalk(start - 3'600'000, 1000, 3600, static_cast<quint32>(group));
            std::vector<ChartPoint> historySeconds;
            for (const ChartPoint &point : history) {
                historySeconds.push_back({point.timeMs, point.value / 500});
            }
            chart.setSeries(QStringLiteral("g%1 messages").arg(group), LagChart::Unit::Messages,
                            history);
            chart.setSeries(QStringLiteral("g%1 seconds").arg(group), LagChart::Unit::Seconds,
                            historySeconds);
        }
        const int firstRedraws = chart.redrawCount();
        QTRY_VERIFY(chart.redrawCount() > firstRedraws);

        QRandomGenerator random(2024);
        std::vector<qint64> lags(static_cast<std::size_t>(groups * partitions), 100);
        std::chrono::nanoseconds feedCpu{0};
        const int redrawsBefore = chart.redrawCount();
        QElapsedTimer wall;
        wall.start();
        const auto cpuBefore = processCpuTime();
        for (int second = 1; second <= seconds; ++second) {
            const auto feedStart = processCpuTime();
            const qint64 timeMs = start + wall.elapsed();
            for (int group = 0; group < groups; ++group) {
                qint64 total = 0;
                for (int partition = 0; partition < partitions; ++partition) {
                    qint64 &lag = lags[static_cast<std::size_t>(group * partitions + partition)];
                    lag = std::max<qint64>(0, lag + random.bounded(21) - 10);
                    total += lag;
                }
                if (group < shownGroups) {
                    chart.appendPoint(QStringLiteral("g%1 messages").arg(group),
                                      LagChart::Unit::Messages,
                                      {timeMs, static_cast<double>(total)});
                    chart.appendPoint(QStringLiteral("g%1 seconds").arg(group),
                                      LagChart::Unit::Seconds,
                                      {timeMs, static_cast<double>(total) / 500});
                }
            }
            feedCpu += processCpuTime() - feedStart;
            // The next second's data comes at its time; redraws and paints happen meanwhile.
            QTest::qWait(static_cast<int>(std::max<qint64>(0, second * 1000LL - wall.elapsed())));
        }
        const auto totalCpu = processCpuTime() - cpuBefore;
        const double wallMs = static_cast<double>(wall.elapsed());
        const int redraws = chart.redrawCount() - redrawsBefore;
        const double cpuMs = std::chrono::duration<double, std::milli>(totalCpu).count();
        qInfo("%s: %d groups x %d partitions at 1 Hz, %d series shown with an hour of history, "
              "%d s: %.1f %% of a core (%.1f ms CPU a second; summing and appending %.2f ms of "
              "it); %d redraws, %.1f ms CPU each with painting, redraw delay now %lld ms",
              QTest::currentDataTag(), groups, partitions, 2 * shownGroups, seconds,
              100 * cpuMs / wallMs, cpuMs * 1000 / wallMs,
              std::chrono::duration<double, std::milli>(feedCpu).count() / seconds, redraws,
              redraws > 0 ? (cpuMs - std::chrono::duration<double, std::milli>(feedCpu).count())
                      / redraws
                          : 0.0,
              static_cast<long long>(chart.redrawDelay().count()));
        QVERIFY(redraws > 0);
        QVERIFY(redraws <= seconds * 4 + 1);
        for (const QString &name : chart.seriesNames()) {
            QVERIFY(chart.shownPointCount(name) > 0);
        }
    }
};

QTEST_MAIN(TestLagChart)
#include "tst_lag_chart.moc"
