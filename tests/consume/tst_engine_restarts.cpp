// The whole engine as a process against its own real broker: traffic from the load
// generator with duplicates and poison, the engine killed with SIGKILL three times and
// restarted, and in the end the analytics counts equal the distinct valid events in
// events.raw exactly: nothing lost, nothing counted twice.

#include "kafka/consumer.h"
#include "loadgen/load_generator.h"
#include "store/database.h"
#include "store/tenant_store.h"
#include "support/cli_runner.h"
#include "support/engine_process.h"
#include "support/test_broker.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <set>
#include <thread>

using namespace logdeck;
using namespace std::chrono_literals;

class TestEngineRestarts : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sigkillThreeTimesKeepsCountsExact()
    {
        test::OwnBroker broker;
        QTemporaryDir dataDir;
        QVERIFY2(!broker.bootstrap().empty(), "the test's own broker did not start");
        const QString bootstrap = QString::fromStdString(broker.bootstrap());
        const std::string data = dataDir.path().toStdString();

        std::vector<std::string> keys;
        {
            auto db = store::Database::open(store::Database::pathIn(data));
            QVERIFY(db.has_value());
            store::TenantStore tenants(**db);
            for (const char *name : {"acme", "globex"}) {
                auto key = tenants.addTenant(name);
                QVERIFY(key.has_value());
                keys.push_back(*key);
            }
        }
        const quint16 port = test::freeLocalPort();
        const QStringList arguments = {"run",
                                       "--broker",
                                       bootstrap,
                                       "--data",
                                       dataDir.path(),
                                       "--listen",
                                       QStringLiteral("127.0.0.1:%1").arg(port),
                                       "--log-level",
                                       "warn"};
        auto startEngine = [&](QProcess &engine) {
            engine.setProcessChannelMode(QProcess::ForwardedErrorChannel);
            engine.start(test::cliPath(), arguments);
            QDeadlineTimer deadline(30s);
            while (!deadline.hasExpired()) {
                engine.waitForReadyRead(200);
                if (engine.readAllStandardOutput().contains("collector=")) {
                    return true;
                }
            }
            return false;
        };

        QProcess engine;
        QVERIFY(startEngine(engine));
        loadgen::LoadOptions load;
        load.url = QStringLiteral("http://127.0.0.1:%1").arg(port).toStdString();
        load.keys = keys;
        load.rate = 800;
        load.connections = 8;
        load.duration = 14s;
        load.dupRate = 0.01;
        load.poisonRate = 0.005;
        Result<loadgen::LoadReport> report = fail(Error::internal("not run"));
        std::thread traffic([&] { report = loadgen::runLoad(load); });

        for (int kill = 0; kill < 3; ++kill) {
            QTest::qWait(3000);
            ::kill(static_cast<pid_t>(engine.processId()), SIGKILL);
            QVERIFY(engine.waitForFinished(10000));
            QVERIFY2(startEngine(engine), "the engine did not come back after SIGKILL");
        }
        traffic.join();
        QVERIFY2(report.has_value(), report ? "" : report.error().message.c_str());
        qInfo("load: %lld sent, %lld accepted (%lld distinct, %lld poison), %lld without an answer",
              static_cast<long long>(report->sent), static_cast<long long>(report->accepted),
              static_cast<long long>(report->distinctAccepted),
              static_cast<long long>(report->distinctPoisonAccepted),
              static_cast<long long>(report->transportErrors()));
        QVERIFY(report->distinctAccepted > 5000);

        // The truth: the distinct valid events in events.raw. Events a killed engine had
        // in flight may be there without a 202; every 202 must be there.
        std::set<std::string> valid;
        std::set<std::string> poison;
        {
            auto consumer =
                kafka::Consumer::create({{"bootstrap.servers", bootstrap.toStdString()}}, "truth");
            QVERIFY(consumer.has_value());
            QVERIFY((*consumer)->subscribe({"events.raw"}).has_value());
            QDeadlineTimer deadline(60s);
            int idle = 0;
            while (!deadline.hasExpired() && idle < 10) {
                auto batch = (*consumer)->poll(2000, 300ms);
                idle = batch && batch->empty() ? idle + 1 : 0;
                if (batch) {
                    for (const auto &record : *batch) {
                        const auto value =
                            QJsonDocument::fromJson(QByteArray::fromStdString(record.value))
                                .object();
                        const std::string id = value.value("id").toString().toStdString();
                        const bool isPoison =
                            value.value("attributes").toObject().value("logdeck.poison").toBool();
                        (isPoison ? poison : valid).insert(id);
                    }
                }
            }
        }
        QVERIFY(static_cast<std::int64_t>(valid.size() + poison.size())
                >= report->distinctAccepted);
        QTRY_COMPARE_WITH_TIMEOUT(test::analyticsTotal(data), static_cast<std::int64_t>(valid.size()),
                                  90000);
        QTest::qWait(2000); // and it stays there
        QCOMPARE(test::analyticsTotal(data), static_cast<std::int64_t>(valid.size()));
        ::kill(static_cast<pid_t>(engine.processId()), SIGTERM);
        QVERIFY(engine.waitForFinished(30000));
        QCOMPARE(engine.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestEngineRestarts)
#include "tst_engine_restarts.moc"
