// The main window under the offscreen platform: it starts empty and says so, connects to
// the embedded engine through the bridge and shows the live cluster, and shows a failure
// without blocking.

#include "bridge/engine_bridge.h"
#include "main_window.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTableView>
#include <QTest>

using namespace logdeck;
using namespace logdeck::ui;

class TestMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startsDisconnectedWithAHint()
    {
        EngineBridge bridge;
        MainWindow window(&bridge);
        window.show();
        QVERIFY(window.connectionText().contains(QStringLiteral("Not connected")));
        QCOMPARE(window.topicModel()->rowCount(), 0);
        QCOMPARE(window.windowTitle(), QStringLiteral("Logdeck"));
    }

    void showsTheEmbeddedClusterLive()
    {
        EngineBridge bridge;
        MainWindow window(&bridge);
        QAbstractItemModelTester tester(window.topicModel(),
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        window.show();
        Config config;
        config.embedded = true;
        bridge.startEngine(config);
        QTRY_VERIFY_WITH_TIMEOUT(window.connectionText().contains(QStringLiteral("Connected")),
                                 20000);
        QVERIFY(window.connectionText().contains(QStringLiteral("3 brokers")));
        QVERIFY(window.connectionText().contains(QStringLiteral("127.0.0.1:")));
        auto *model = window.topicModel();
        QCOMPARE(model->rowCount(), 8);
        // The embedded pipeline's processing groups are listed and running.
        QTRY_COMPARE_WITH_TIMEOUT(window.groupModel()->rowCount(), 3, 10000);
        QCOMPARE(window.groupModel()->findItems(QStringLiteral("analytics")).size(), 1);
        QCOMPARE(window.groupModel()->item(0, 1)->text(), QStringLiteral("running"));

        // The Groups menu's pause reaches the engine; the table says so, and the
        // selection survives the refreshes.
        QSignalSpy finished(&bridge, &EngineBridge::commandFinished);
        const int analytics =
            window.groupModel()->findItems(QStringLiteral("analytics")).first()->row();
        auto *view = window.findChildren<QTableView *>().first();
        for (auto *table : window.findChildren<QTableView *>()) {
            if (table->model() == window.groupModel()) {
                view = table;
            }
        }
        view->selectRow(analytics);
        bridge.pauseGroup(QStringLiteral("analytics"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(finished.first().at(1).toString(), QString());
        QTRY_COMPARE_WITH_TIMEOUT(window.groupModel()->item(analytics, 1)->text(),
                                  QStringLiteral("paused"), 10000);
        QVERIFY(view->selectionModel()->isRowSelected(analytics, {}));
        bridge.pauseGroup(QStringLiteral("no-such-group"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 10000);
        QVERIFY(
            finished.last().at(1).toString().contains(QStringLiteral("not run by this engine")));
        const auto raw = model->findItems(QStringLiteral("events.raw"));
        QCOMPARE(raw.size(), 1);
        QCOMPARE(model->item(raw.first()->row(), 1)->text(), QStringLiteral("6"));
        QVERIFY(!model->item(raw.first()->row(), 2)->text().isEmpty());
    }

    void unreachableClusterIsReportedWithoutBlocking()
    {
        EngineBridge bridge;
        MainWindow window(&bridge);
        window.show();
        QSignalSpy failed(&bridge, &EngineBridge::engineFailed);
        Config config;
        config.setBootstrapServers("127.0.0.1:1");
        bridge.startEngine(config);
        // While the engine tries, the window keeps answering and says what it is doing.
        QVERIFY(window.connectionText().contains(QStringLiteral("Connecting to 127.0.0.1:1")));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 20000);
        QVERIFY(failed.first().first().toString().contains(
            QStringLiteral("cannot reach Kafka at 127.0.0.1:1")));
        QVERIFY(window.connectionText().contains(QStringLiteral("Not connected")));
        QVERIFY(window.findChild<QLabel *>(QStringLiteral("welcome"))
                    ->text()
                    .contains(QStringLiteral("cannot reach Kafka")));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
