// The lag monitor's judgement without Kafka: Burrow's rules on crafted commit windows, a
// group taking its worst partition, kafka-lag-exporter's interpolation of the log end's
// history, and the lag_history table's retention.

#include "ops/lag_evaluation.h"
#include "store/database.h"
#include "store/lag_history.h"

#include <QTemporaryDir>
#include <QTest>
#include <vector>

using namespace logdeck;
using logdeck::ops::CommitSample;
using logdeck::ops::LagStatus;

Q_DECLARE_METATYPE(std::vector<CommitSample>)
Q_DECLARE_METATYPE(logdeck::ops::LagStatus)

namespace {

constexpr std::size_t kWindow = 5;
constexpr std::int64_t kMinStopMs = 5000;

/// Commits one second apart from t = 0, with the given offsets and lags.
std::vector<CommitSample> window(std::vector<std::int64_t> offsets, std::vector<std::int64_t> lags)
{
    std::vector<CommitSample> samples;
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        samples.push_back({offsets[i], lags[i], static_cast<std::int64_t>(i) * 1000});
    }
    return samples;
}

} // namespace

class TestLagEvaluation : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void burrowRules_data()
    {
        QTest::addColumn<std::vector<CommitSample>>("commits");
        QTest::addColumn<qint64>("currentLag");
        QTest::addColumn<qint64>("nowMs");
        QTest::addColumn<LagStatus>("expected");

        const auto moving = window({10, 20, 30, 40, 50}, {50, 40, 30, 20, 10});
        QTest::newRow("no lag now is OK, whatever the window")
            << window({10, 10, 10, 10, 10}, {5, 5, 5, 5, 5}) << qint64(0) << qint64(4500)
            << LagStatus::Ok;
        QTest::newRow("no commits yet")
            << std::vector<CommitSample> {} << qint64(7) << qint64(1000) << LagStatus::Ok;
        QTest::newRow("catching up") << moving << qint64(10) << qint64(4500) << LagStatus::Ok;
        QTest::newRow("STOP: silent past the minimum, window span shorter")
            << moving << qint64(10) << qint64(4000 + kMinStopMs + 1) << LagStatus::Stop;
        QTest::newRow("not STOP yet at the minimum")
            << moving << qint64(10) << qint64(4000 + kMinStopMs) << LagStatus::Ok;
        const auto slow = std::vector<CommitSample> {{10, 5, 0}, {20, 5, 10000}, {30, 5, 20000}};
        QTest::newRow("STOP waits for the window's span when it is longer")
            << slow << qint64(5) << qint64(20000 + 20000) << LagStatus::Ok;
        QTest::newRow("STOP past the window's span")
            << slow << qint64(5) << qint64(20000 + 20001) << LagStatus::Stop;
        QTest::newRow("STOP even after zero lag in the window")
            << window({10, 20, 30}, {0, 0, 3}) << qint64(3) << qint64(60000) << LagStatus::Stop;
        QTest::newRow("zero lag in the window is OK")
            << window({10, 10, 10, 10, 10}, {0, 1, 2, 3, 4}) << qint64(4) << qint64(4500)
            << LagStatus::Ok;
        QTest::newRow("REWIND: an offset went backwards")
            << window({10, 20, 5}, {9, 9, 30}) << qint64(30) << qint64(2500) << LagStatus::Rewind;
        QTest::newRow("STALL: a full window of the same offset")
            << window({10, 10, 10, 10, 10}, {5, 6, 7, 8, 9}) << qint64(9) << qint64(4500)
            << LagStatus::Stall;
        QTest::newRow("no STALL on a partial window")
            << window({10, 10, 10, 10}, {5, 6, 7, 8}) << qint64(8) << qint64(3500) << LagStatus::Ok;
        QTest::newRow("WARN: commits move, lag never falls and grows")
            << window({10, 20, 30, 40, 50}, {5, 6, 6, 8, 9}) << qint64(9) << qint64(4500)
            << LagStatus::Warn;
        QTest::newRow("steady lag at the producer's pace is OK")
            << window({10, 20, 30, 40, 50}, {5, 5, 5, 5, 5}) << qint64(5) << qint64(4500)
            << LagStatus::Ok;
        QTest::newRow("one dip in the lag is OK") << window({10, 20, 30, 40, 50}, {5, 6, 4, 8, 9})
                                                  << qint64(9) << qint64(4500) << LagStatus::Ok;
    }

    void burrowRules()
    {
        QFETCH(std::vector<CommitSample>, commits);
        QFETCH(qint64, currentLag);
        QFETCH(qint64, nowMs);
        QFETCH(LagStatus, expected);
        const auto status = ops::evaluatePartition(commits, kWindow, currentLag, nowMs, kMinStopMs);
        QCOMPARE(ops::lagStatusName(status), ops::lagStatusName(expected));
    }

    void groupTakesItsWorstPartition()
    {
        const std::vector<LagStatus> partitions = {LagStatus::Ok, LagStatus::Rewind,
                                                   LagStatus::Warn, LagStatus::Ok};
        LagStatus group = LagStatus::Ok;
        for (const auto status : partitions) {
            group = ops::worseOf(group, status);
        }
        QCOMPARE(ops::lagStatusName(group), std::string_view("REWIND"));
        QCOMPARE(ops::worseOf(LagStatus::Stall, LagStatus::Stop), LagStatus::Stop);
        QCOMPARE(ops::worseOf(LagStatus::Warn, LagStatus::Ok), LagStatus::Warn);
        for (const auto name : {"OK", "WARN", "REWIND", "STALL", "STOP"}) {
            QCOMPARE(ops::lagStatusName(*ops::lagStatusFromName(name)), std::string_view(name));
        }
        QVERIFY(!ops::lagStatusFromName("ERR"));
    }

    void interpolation()
    {
        ops::LogEndTimeline timeline;
        QVERIFY(!timeline.timeAtOffset(0));
        timeline.add(100, 1000);
        QVERIFY2(!timeline.timeAtOffset(50), "one point: no rate to extrapolate with");
        QCOMPARE(timeline.timeAtOffset(100), std::optional<std::int64_t>(1000));
        timeline.add(200, 2000);
        timeline.add(300, 3000);
        // On a point, between points, at the head, beyond the head, before the first point.
        QCOMPARE(timeline.timeAtOffset(200), std::optional<std::int64_t>(2000));
        QCOMPARE(timeline.timeAtOffset(150), std::optional<std::int64_t>(1500));
        QCOMPARE(timeline.timeAtOffset(300), std::optional<std::int64_t>(3000));
        QVERIFY(!timeline.timeAtOffset(301));
        QCOMPARE(timeline.timeAtOffset(50), std::optional<std::int64_t>(500));
    }

    void flatRunsKeepTheirEnds()
    {
        ops::LogEndTimeline timeline;
        timeline.add(100, 1000);
        timeline.add(100, 2000);
        timeline.add(100, 3000);
        QCOMPARE(timeline.size(), std::size_t(2));
        // The log end was at 100 until t = 3000: a consumer at 100 was caught up until then.
        QCOMPARE(timeline.timeAtOffset(100), std::optional<std::int64_t>(3000));
        QVERIFY2(!timeline.timeAtOffset(90), "no growth yet to extrapolate with");
        timeline.add(200, 4000);
        QCOMPARE(timeline.timeAtOffset(150), std::optional<std::int64_t>(3500));
        QCOMPARE(timeline.timeAtOffset(100), std::optional<std::int64_t>(3000));
    }

    void aShrinkingLogStartsAgain()
    {
        ops::LogEndTimeline timeline;
        timeline.add(500, 1000);
        timeline.add(600, 2000);
        timeline.add(10, 3000);
        QCOMPARE(timeline.size(), std::size_t(1));
        QCOMPARE(timeline.timeAtOffset(10), std::optional<std::int64_t>(3000));
    }

    void aFullTableThinsItsPast()
    {
        ops::LogEndTimeline timeline(10);
        for (std::int64_t i = 0; i <= 100; ++i) {
            timeline.add(i * 10, i * 1000);
        }
        QVERIFY(timeline.size() <= 10);
        // The oldest point and the head stay; a steady rate interpolates exactly anywhere.
        QCOMPARE(timeline.timeAtOffset(0), std::optional<std::int64_t>(0));
        QCOMPARE(timeline.timeAtOffset(1000), std::optional<std::int64_t>(100000));
        QCOMPARE(timeline.timeAtOffset(555), std::optional<std::int64_t>(55500));
    }

    void historyKeepsAnHourFineAndAWeekCoarse()
    {
        QTemporaryDir dir;
        auto db = store::Database::open(store::Database::pathIn(dir.path().toStdString()));
        QVERIFY(db.has_value());
        store::LagHistory history(**db);
        const std::int64_t now = 1'800'000'000'000; // a minute boundary: 30,000,000 min
        // Two samples in one minute and one two hours ago.
        QVERIFY(history
                    .record({{"g", {now - 2 * 3600 * 1000, 7, 1.5, 2.0, "OK"}},
                             {"h", {now - 2 * 3600 * 1000, 1, std::nullopt, std::nullopt, "OK"}}})
                    .has_value());
        QVERIFY(history.record({{"g", {now + 1000, 40, 4.0, 10.0, "WARN"}}}).has_value());
        QVERIFY(history.record({{"g", {now + 2000, 30, std::nullopt, 12.0, "STOP"}}}).has_value());

        auto fine = history.read("g", now, now + 5000, now + 5000);
        QVERIFY(fine.has_value());
        QCOMPARE(fine->size(), std::size_t(2));
        QCOMPARE(fine->at(0).lagMessages, 40);
        QCOMPARE(fine->at(1).status, std::string("STOP"));
        QVERIFY(!fine->at(1).lagSeconds);

        // The minute keeps its largest lag and time lag, and its latest status and rate.
        auto coarse = history.read("g", now - 3 * 3600 * 1000, now + 5000, now + 5000);
        QVERIFY(coarse.has_value());
        QCOMPARE(coarse->size(), std::size_t(2));
        QCOMPARE(coarse->at(1).atMs, now);
        QCOMPARE(coarse->at(1).lagMessages, 40);
        QCOMPARE(coarse->at(1).lagSeconds, std::optional<double>(4.0));
        QCOMPARE(coarse->at(1).rate, std::optional<double>(12.0));
        QCOMPARE(coarse->at(1).status, std::string("STOP"));

        // An hour on, the 1 s rows go; a week on, the minutes too.
        QVERIFY(history.prune(now + 3700 * 1000).has_value());
        QCOMPARE(history.read("g", now, now + 5000, now + 5000)->size(), std::size_t(0));
        QCOMPARE(history.read("g", now - 3 * 3600 * 1000, now + 5000, now + 3700 * 1000)->size(),
                 std::size_t(2));
        QVERIFY(history.prune(now + 8LL * 24 * 3600 * 1000).has_value());
        QCOMPARE(history.read("g", now - 3 * 3600 * 1000, now + 5000, now)->size(), std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestLagEvaluation)
#include "tst_lag_evaluation.moc"
