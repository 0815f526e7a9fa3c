// The lag monitor inside an embedded engine: the mock cluster cannot list or describe
// groups, yet the engine's own groups are all covered, with exact time lag from the records
// they processed; a paused group is judged STOP, also by `groups list` in another process
// (which finds the engine's groups in its heartbeats), and its history is kept.

#include "common/time_format.h"
#include "engine.h"
#include "support/cli_runner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <thread>

using namespace logdeck;
using namespace std::chrono_literals;

class TestEngineLag : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hostedGroupsAreMonitoredWithExactTimeLag()
    {
        Config config;
        config.embedded = true;
        config.demoRate = 200;
        config.lagIntervalMs = 200;
        Engine engine(config);
        auto started = engine.start();
        QVERIFY2(started.has_value(), started ? "" : started.error().message.c_str());
        const std::int64_t startedAt = nowMillis();

        const auto covered = [&] {
            const auto snapshot = engine.lagSnapshot();
            for (const auto &name : config.groups) {
                const auto *group = snapshot->find(name);
                if (group == nullptr || group->hostedBy.empty() || group->partitions.empty()
                    || !group->timeLagSeconds) {
                    return false;
                }
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(covered(), 30000);

        // Paused, a group falls behind: its time lag comes from the last record it
        // processed, and with no commits for the window's time it is STOP.
        QVERIFY(engine.pauseGroup("analytics").has_value());
        const auto stoppedWithExactLag = [&] {
            const auto snapshot = engine.lagSnapshot();
            const auto *group = snapshot->find("analytics");
            if (group == nullptr || group->status != ops::LagStatus::Stop) {
                return false;
            }
            return std::ranges::any_of(group->partitions, [](const ops::PartitionLag &p) {
                return p.lag > 0 && p.timeLagExact && p.timeLagSeconds.value_or(0) > 0;
            });
        };
        QTRY_VERIFY_WITH_TIMEOUT(stoppedWithExactLag(), 30000);
        const auto *others = engine.lagSnapshot()->find("persister");
        QVERIFY(others != nullptr);
        QVERIFY2(others->status != ops::LagStatus::Stop, "a running group keeps committing");

        // From another process, `groups list` takes the group's health from this monitor.
        const auto listed = test::runCli(
            {QStringLiteral("groups"), QStringLiteral("list"), QStringLiteral("--data"),
             QString::fromStdString(engine.dataDir()), QStringLiteral("--json")});
        QVERIFY2(listed.exitCode == 0, qPrintable(listed.err));
        bool sawAnalytics = false;
        for (const auto &entry : QJsonDocument::fromJson(listed.out.toUtf8()).array()) {
            const QJsonObject group = entry.toObject();
            if (group[QStringLiteral("group")].toString() == QLatin1String("analytics")) {
                sawAnalytics = true;
                QCOMPARE(group[QStringLiteral("status")].toString(), QStringLiteral("STOP"));
                QCOMPARE(group[QStringLiteral("statusSource")].toString(),
                         QStringLiteral("monitor"));
                QVERIFY(!group[QStringLiteral("hostedBy")].toString().isEmpty());
            }
        }
        QVERIFY2(sawAnalytics, qPrintable(listed.out));

        auto history = engine.lagHistory("analytics", startedAt, nowMillis());
        QVERIFY2(history.has_value(), history ? "" : history.error().message.c_str());
        QVERIFY(!history->empty());
        QCOMPARE(history->back().status, std::string("STOP"));
        QVERIFY(history->back().lagMessages > 0);

        engine.stop();
        QCOMPARE(engine.lagSnapshot()->sampledAtMs, std::int64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestEngineLag)
#include "tst_engine_lag.moc"
