// The console attached to a real broker where an engine (logdeck-cli run) processes events:
// it shows every group's lag and the engine, steers a group through logdeck.control with
// an audit record, and never joins a group, commits, or opens a listener.

#include "bridge/console_session.h"
#include "common/time_format.h"
#include "engine_info.h"
#include "kafka/admin_client.h"
#include "kafka/producer.h"
#include "store/audit_log.h"
#include "store/database.h"
#include "support/cli_runner.h"
#include "support/test_broker.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <fstream>
#include <set>
#include <sstream>

using namespace logdeck;
using namespace logdeck::ui;

namespace {

constexpr int kEvents = 300;

bool produceEvents(const kafka::ClientSettings &cluster)
{
    auto producer = kafka::Producer::create(cluster);
    if (!producer) {
        return false;
    }
    const std::string at = formatRfc3339(QDateTime::currentMSecsSinceEpoch());
    for (int i = 0; i < kEvents; ++i) {
        const std::string tenant = "tenant-" + std::to_string(i % 3);
        const std::string value = "{\"id\":\"attach-" + std::to_string(i) + "\",\"tenant\":\""
            + tenant + "\",\"type\":\"view\",\"campaignId\":\"c1\",\"occurredAt\":\"" + at
            + "\",\"receivedAt\":\"" + at + "\",\"attributes\":{}}";
        if (!(*producer)->produce({"events.raw", std::nullopt, tenant, value, {}, 0, false})) {
            return false;
        }
    }
    return (*producer)->flush(std::chrono::seconds(20)).has_value();
}

/// The socket inodes this process listens on (TCP, IPv4 and IPv6).
std::set<std::string> listeningSockets()
{
    std::set<std::string> mine;
    for (const QString &fd : QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::System)) {
        const QString target = QFile::symLinkTarget(QStringLiteral("/proc/self/fd/") + fd);
        if (target.contains(QStringLiteral("socket:["))) {
            mine.insert(target.section(QLatin1Char('['), 1).chopped(1).toStdString());
        }
    }
    std::set<std::string> listening;
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        std::ifstream in(table);
        std::string line;
        std::getline(in, line); // header
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid
                >> timeout >> inode;
            if (state == "0A" && mine.contains(inode)) {
                listening.insert(local);
            }
        }
    }
    return listening;
}

std::map<std::string, std::size_t> membersOf(kafka::AdminClient &admin,
                                             const std::vector<std::string> &groups)
{
    std::map<std::string, std::size_t> members;
    for (const auto &group : groups) {
        auto description = admin.describeGroup(group, std::chrono::seconds(10));
        members[group] = description ? description->members.size() : 9999;
    }
    return members;
}

} // namespace

class TestConsoleAttach : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void observesWithoutJoining()
    {
        test::OwnBroker broker;
        QVERIFY2(!broker.bootstrap().empty(), "the test's own broker did not start");
        QTemporaryDir data;
        QTemporaryDir consoleData;
        const QString configPath = data.filePath(QStringLiteral("logdeck.json"));
        {
            QFile config(configPath);
            QVERIFY(config.open(QIODevice::WriteOnly));
            config.write("{\"groups\": [\"analytics\", \"persister\"], \"partitions\": 3, "
                         "\"listen\": \"off\", \"lagIntervalMs\": 1000}");
        }
        QProcess engine;
        engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        engine.start(test::cliPath(),
                     {QStringLiteral("run"), QStringLiteral("--config"), configPath,
                      QStringLiteral("--data"), data.path(), QStringLiteral("--broker"),
                      QString::fromStdString(broker.bootstrap())});
        auto stopEngine = qScopeGuard([&] {
            engine.terminate();
            if (!engine.waitForFinished(20000)) {
                engine.kill();
                engine.waitForFinished(5000);
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(readEngineInfo(data.path().toStdString()).has_value(), 60000);
        QVERIFY(produceEvents(broker.settings()));

        auto admin = kafka::AdminClient::create(broker.settings());
        QVERIFY(admin);
        const std::vector<std::string> groups = {"analytics", "persister"};
        QTRY_VERIFY_WITH_TIMEOUT(membersOf(**admin, groups)
                                     == (std::map<std::string, std::size_t> {{"analytics", 1},
                                                                             {"persister", 1}}),
                                 30000);
        auto listed = (*admin)->listGroups(std::chrono::seconds(10));
        QVERIFY(listed);
        std::set<std::string> groupsBefore;
        for (const auto &group : *listed) {
            groupsBefore.insert(group.group);
        }
        const auto listenersBefore = listeningSockets();

        ConsoleSession session;
        ConsoleSnapshotPtr last;
        connect(session.feed(), &ClusterFeed::snapshotReady, this,
                [&last](const ConsoleSnapshotPtr &snapshot) { last = snapshot; });
        Config config;
        config.setBootstrapServers(broker.bootstrap());
        config.dataDir = consoleData.path().toStdString();
        session.start(ConsoleMode::Attach, config);

        // Every group with its lag, the engine's groups marked as hosted, the engine seen.
        const auto sawPipeline = [&] {
            if (!last || !last->lag || last->engines.empty()) {
                return false;
            }
            for (const auto &name : groups) {
                const auto *group = last->lag->find(name);
                if (group == nullptr || group->hostedBy.empty() || group->partitions.empty()
                    || group->partitions.front().committedOffset < 0) {
                    return false;
                }
            }
            return true;
        };
        QTRY_VERIFY_WITH_TIMEOUT(sawPipeline(), 30000);
        QVERIFY(last->connected);
        QCOMPARE(last->brokerCount, 1);
        QVERIFY(!last->clusterId.isEmpty());
        // Every event produced is committed by analytics, as the console reads it.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                std::int64_t sum = 0;
                for (const auto &partition : last->lag->find("analytics")->partitions) {
                    if (partition.topic == "events.raw") {
                        sum += std::max<std::int64_t>(partition.committedOffset, 0);
                    }
                }
                return sum == kEvents;
            }(),
            30000);

        // Steering through logdeck.control: the engine pauses analytics; audited here.
        QSignalSpy finished(session.control(), &GroupControl::finished);
        session.control()->pauseGroup(QStringLiteral("analytics"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
        QCOMPARE(finished.first().at(2).toString(), QString());
        QTRY_VERIFY_WITH_TIMEOUT(last->hosted("analytics") != nullptr
                                     && last->hosted("analytics")->state == "paused",
                                 15000);
        session.control()->resumeGroup(QStringLiteral("analytics"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 30000);
        QCOMPARE(finished.at(1).at(2).toString(), QString());
        auto database = store::Database::open(store::Database::pathIn(config.dataDir));
        QVERIFY(database);
        store::AuditLog audit(**database);
        auto entries = audit.list(10);
        QVERIFY(entries);
        QCOMPARE(entries->size(), std::size_t(2));
        QCOMPARE(entries->front().operation, std::string("groups.pause"));
        QCOMPARE(entries->back().operation, std::string("groups.resume"));

        // Nothing joined, nothing new on the cluster's group list, no listener opened.
        QCOMPARE(membersOf(**admin, groups),
                 (std::map<std::string, std::size_t> {{"analytics", 1}, {"persister", 1}}));
        auto listedAfter = (*admin)->listGroups(std::chrono::seconds(10));
        QVERIFY(listedAfter);
        for (const auto &group : *listedAfter) {
            QVERIFY2(groupsBefore.contains(group.group),
                     qPrintable(QString::fromStdString("a new group appeared: " + group.group)));
        }
        QCOMPARE(listeningSockets(), listenersBefore);
        QVERIFY(last->ingest.url.isEmpty());
        session.stop();
    }
};

QTEST_MAIN(TestConsoleAttach)
#include "tst_console_attach.moc"
