// The load generator's latency histogram: percentiles of known distributions within its
// precision (3 significant digits), merging, the exact maximum, and the empty histogram.

#include "loadgen/latency_histogram.h"

#include <QTest>
#include <algorithm>
#include <cmath>
#include <random>

using namespace logdeck::loadgen;
using namespace std::chrono_literals;

namespace {

/// The histogram promises 1/1024 relative precision, plus its 1 µs unit.
bool withinPrecision(double actualMs, double expectedMs)
{
    return std::abs(actualMs - expectedMs) <= expectedMs / 1024 + 0.002;
}

/// The exact percentile of sorted samples, as the histogram defines it: the smallest value
/// with at least `percent` of the samples at or below it.
double exactPercentile(const std::vector<std::chrono::nanoseconds> &sorted, double percent)
{
    const auto rank =
        std::max<std::size_t>(1, std::size_t(std::ceil(percent / 100 * double(sorted.size()))));
    return double(sorted[rank - 1].count()) / 1e6;
}

} // namespace

class TestLatencyHistogram : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyHistogramIsZero()
    {
        const LatencyHistogram histogram;
        QCOMPARE(histogram.count(), std::int64_t(0));
        QCOMPARE(histogram.percentile(50), 0.0);
        QCOMPARE(histogram.percentile(99.9), 0.0);
        QCOMPARE(histogram.max(), 0.0);
        QCOMPARE(histogram.mean(), 0.0);
    }

    void uniformMillisecondsAreExactToAMicrosecond()
    {
        // 1, 2, ..., 10000 µs: percentile p is p% of 10 ms.
        LatencyHistogram histogram;
        for (int micros = 1; micros <= 10000; ++micros) {
            histogram.record(std::chrono::microseconds(micros));
        }
        QCOMPARE(histogram.count(), std::int64_t(10000));
        for (const double p : {1.0, 25.0, 50.0, 90.0, 95.0, 99.0, 99.9}) {
            const double expected = p / 100 * 10.0;
            QVERIFY2(withinPrecision(histogram.percentile(p), expected),
                     qPrintable(QStringLiteral("p%1 = %2 ms, expected %3 ms")
                                    .arg(p)
                                    .arg(histogram.percentile(p))
                                    .arg(expected)));
        }
        QCOMPARE(histogram.max(), 10.0);
        QCOMPARE(histogram.percentile(100), 10.0);
        QCOMPARE(histogram.min(), 0.001);
        QVERIFY(std::abs(histogram.mean() - 5.0005) < 0.01);
    }

    void bimodalDistributionIsNotAnAverage()
    {
        // 90% fast answers at 1 ms, 10% slow ones at 200 ms: the tail must show.
        LatencyHistogram histogram;
        for (int i = 0; i < 900; ++i) {
            histogram.record(1ms);
        }
        for (int i = 0; i < 100; ++i) {
            histogram.record(200ms);
        }
        QVERIFY(withinPrecision(histogram.percentile(50), 1.0));
        QVERIFY(withinPrecision(histogram.percentile(90), 1.0));
        QVERIFY(withinPrecision(histogram.percentile(91), 200.0));
        QVERIFY(withinPrecision(histogram.percentile(99), 200.0));
        QCOMPARE(histogram.max(), 200.0);
    }

    void logUniformSamplesStayWithinPrecision()
    {
        // Values spread over 1 µs .. 60 s on a log scale, the histogram's whole range.
        std::mt19937_64 random(42);
        std::uniform_real_distribution<double> exponent(0, std::log(60e9 / 1e3));
        std::vector<std::chrono::nanoseconds> samples;
        LatencyHistogram histogram;
        for (int i = 0; i < 100000; ++i) {
            const auto value =
                std::chrono::nanoseconds(std::int64_t(1e3 * std::exp(exponent(random))));
            samples.push_back(value);
            histogram.record(value);
        }
        std::sort(samples.begin(), samples.end());
        for (const double p : {0.1, 10.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99}) {
            const double expected = exactPercentile(samples, p);
            QVERIFY2(withinPrecision(histogram.percentile(p), expected),
                     qPrintable(QStringLiteral("p%1 = %2 ms, expected %3 ms")
                                    .arg(p)
                                    .arg(histogram.percentile(p))
                                    .arg(expected)));
        }
        QCOMPARE(histogram.max(), double(samples.back().count()) / 1e6);
        QVERIFY(histogram.percentile(99.99) <= histogram.max());
    }

    void maxIsExactBeyondTheTrackedRange()
    {
        LatencyHistogram histogram;
        histogram.record(2min);
        histogram.record(1500ns);
        histogram.record(-5ms); // a clock step; counts as zero rather than corrupting the counts
        QCOMPARE(histogram.count(), std::int64_t(3));
        QCOMPARE(histogram.max(), 120000.0);
        QVERIFY(withinPrecision(histogram.percentile(60), 0.0015));
        // Above 60 s the histogram saturates; the percentile says "at least 60 s".
        QVERIFY(histogram.percentile(99) >= 60000.0 * (1 - 1.0 / 1024));
    }

    void subMicrosecondSamplesCount()
    {
        LatencyHistogram histogram;
        histogram.record(300ns);
        QCOMPARE(histogram.count(), std::int64_t(1));
        QCOMPARE(histogram.max(), 0.0003);
        QCOMPARE(histogram.percentile(50), 0.0003);
    }

    void mergeEqualsRecordingEverything()
    {
        LatencyHistogram all;
        LatencyHistogram odd;
        LatencyHistogram even;
        for (int micros = 1; micros <= 50000; micros += 7) {
            const auto value = std::chrono::microseconds(micros);
            all.record(value);
            ((micros / 7) % 2 ? odd : even).record(value);
        }
        odd.record(3s);
        all.record(3s);

        LatencyHistogram merged;
        merged.merge(LatencyHistogram()); // merging nothing changes nothing
        QCOMPARE(merged.count(), std::int64_t(0));
        merged.merge(even);
        merged.merge(odd);
        QCOMPARE(merged.count(), all.count());
        QCOMPARE(merged.max(), 3000.0);
        QCOMPARE(merged.min(), all.min());
        for (const double p : {0.0, 10.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
            QCOMPARE(merged.percentile(p), all.percentile(p));
        }

        merged.reset();
        QCOMPARE(merged.count(), std::int64_t(0));
        QCOMPARE(merged.max(), 0.0);
        QCOMPARE(merged.percentile(50), 0.0);
    }
};

QTEST_APPLESS_MAIN(TestLatencyHistogram)
#include "tst_latency_histogram.moc"
