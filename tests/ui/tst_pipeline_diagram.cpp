// The overview's pipeline diagram: figures read "–" when unknown and never 0, a click on a
// group's card reports that group, an unknown health is never painted green, eight groups
// fit a 1000×600 page without overlapping, and realistic pipelines render to PNGs under
// the temporary directory for a look.

#include "widgets/figures.h"
#include "widgets/pipeline_diagram.h"

#include <QDir>
#include <QSignalSpy>
#include <QTest>
#include <cmath>
#include <limits>

using namespace logdeck::ui;

namespace {

DiagramGroup group(const QString &name, const QString &state, Health health,
                   const QString &healthText)
{
    DiagramGroup g;
    g.name = name;
    g.state = state;
    g.health = health;
    g.healthText = healthText;
    return g;
}

/// A pipeline as the overview sees it on a busy afternoon: one group paused, one with
/// dead letters, one the engine knows nothing about yet.
PipelineDiagramData realisticPipeline()
{
    PipelineDiagramData data;
    data.collector.running = true;
    data.collector.eventsPerSecond = 412.6;
    data.collector.p50Ms = 3.2;
    data.collector.p99Ms = 18.4;
    data.collector.errorRate = 0.0031;
    data.collector.outboxDepth = 0;
    data.collector.url = "http://0.0.0.0:8080/v1/events";
    data.source.name = "events.raw";
    data.source.producePerSecond = 412.6;
    data.source.messages = 18'432'117;

    DiagramGroup analytics = group("analytics", "running", Health::Ok, "OK");
    analytics.consumePerSecond = 410.2;
    analytics.lag = 37;
    analytics.timeLagSeconds = 0.4;
    analytics.retrying = 0;
    analytics.deadLettered = 0;

    DiagramGroup persister = group("persister", "paused", Health::Stopped, "Paused by operator");
    persister.consumePerSecond = 0;
    persister.lag = 12'408;
    persister.timeLagSeconds = 1847;
    persister.retrying = 0;
    persister.deadLettered = 0;

    DiagramGroup enrichment =
        group("enrichment", "running", Health::Warning, "DLQ growing: 14 in the last 5 min");
    enrichment.consumePerSecond = 398.0;
    enrichment.lag = 1204;
    enrichment.timeLagSeconds = 3;
    enrichment.retrying = 6;
    enrichment.deadLettered = 14;
    enrichment.outputTopic = "events.enriched";

    DiagramGroup fraud =
        group("fraud", "running", Health::Unknown, "No offsets from the broker yet");
    fraud.hostedHere = false;

    data.groups = {analytics, persister, enrichment, fraud};
    return data;
}

PipelineDiagramData eightGroups()
{
    PipelineDiagramData data = realisticPipeline();
    DiagramGroup extra = group("billing-export", "running", Health::Ok, "OK");
    extra.consumePerSecond = 1520;
    extra.lag = 2'400'000;
    extra.timeLagSeconds = 5 * 3600 + 125;
    extra.retrying = 0;
    extra.deadLettered = 0;
    data.groups.push_back(extra);
    extra.name = "search-indexer";
    extra.health = Health::Error;
    extra.healthText = "STALL: committed offsets not moving";
    extra.timeLagSeconds = std::numeric_limits<double>::infinity();
    extra.outputTopic = "search.documents";
    data.groups.push_back(extra);
    extra.name = "notifications";
    extra.health = Health::Ok;
    extra.healthText = "OK";
    extra.outputTopic.clear();
    data.groups.push_back(extra);
    extra.name = "audit-trail-archiver-with-a-rather-long-name";
    extra.outputTopic = "audit.archive.v2.partitioned-by-tenant";
    data.groups.push_back(extra);
    return data;
}

std::vector<QRect> allNodes(const PipelineDiagram &diagram)
{
    std::vector<QRect> rects{diagram.collectorRect(), diagram.sourceRect()};
    for (const DiagramGroup &g : diagram.data().groups) {
        rects.push_back(diagram.groupRect(g.name));
        for (auto chip : {PipelineDiagram::Chip::Retry, PipelineDiagram::Chip::DeadLetter,
                          PipelineDiagram::Chip::Output}) {
            const QRect rect = diagram.chipRect(g.name, chip);
            if (!rect.isNull()) {
                rects.push_back(rect);
            }
        }
    }
    return rects;
}

QString savedPng(PipelineDiagram &diagram, const QString &name)
{
    const QString path = QDir::temp().filePath(name);
    return diagram.grab().save(path) ? path : QString();
}

} // namespace

class TestPipelineDiagram : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void formatsRates_data()
    {
        QTest::addColumn<std::optional<double>>("value");
        QTest::addColumn<QString>("text");
        QTest::newRow("unknown") << std::optional<double>() << QString("–");
        QTest::newRow("not a number") << std::optional<double>(std::nan("")) << QString("–");
        QTest::newRow("counter reset") << std::optional<double>(-3.0) << QString("–");
        QTest::newRow("idle") << std::optional<double>(0.0) << QString("0/s");
        QTest::newRow("trickle") << std::optional<double>(0.01) << QString("<0.1/s");
        QTest::newRow("whole") << std::optional<double>(3.0) << QString("3/s");
        QTest::newRow("decimal") << std::optional<double>(12.5) << QString("12.5/s");
        QTest::newRow("hundreds") << std::optional<double>(412.6) << QString("413/s");
        QTest::newRow("thousands") << std::optional<double>(1234.0) << QString("1.2k/s");
        QTest::newRow("rounds up a unit") << std::optional<double>(999.7) << QString("1k/s");
        QTest::newRow("millions") << std::optional<double>(3.4e6) << QString("3.4M/s");
    }
    void formatsRates()
    {
        QFETCH(std::optional<double>, value);
        QFETCH(QString, text);
        QCOMPARE(formatRate(value), text);
    }

    void formatsCounts_data()
    {
        QTest::addColumn<std::optional<qint64>>("value");
        QTest::addColumn<QString>("text");
        QTest::newRow("unknown") << std::optional<qint64>() << QString("–");
        QTest::newRow("zero") << std::optional<qint64>(0) << QString("0");
        QTest::newRow("thousands") << std::optional<qint64>(1234) << QString("1,234");
        QTest::newRow("just below a million") << std::optional<qint64>(999'999)
                                              << QString("999,999");
        QTest::newRow("millions") << std::optional<qint64>(1'234'567) << QString("1.2M");
        QTest::newRow("tens of millions") << std::optional<qint64>(18'432'117)
                                          << QString("18.4M");
        QTest::newRow("hundreds of millions") << std::optional<qint64>(352'000'000)
                                              << QString("352M");
        QTest::newRow("billions") << std::optional<qint64>(2'100'000'000) << QString("2.1G");
        QTest::newRow("negative") << std::optional<qint64>(-12) << QString("-12");
    }
    void formatsCounts()
    {
        QFETCH(std::optional<qint64>, value);
        QFETCH(QString, text);
        QCOMPARE(formatCount(value), text);
    }

    void formatsSeconds_data()
    {
        QTest::addColumn<std::optional<double>>("value");
        QTest::addColumn<QString>("text");
        QTest::newRow("unknown") << std::optional<double>() << QString("–");
        QTest::newRow("not a number") << std::optional<double>(std::nan("")) << QString("–");
        QTest::newRow("caught up") << std::optional<double>(0.0) << QString("0s");
        QTest::newRow("clock skew") << std::optional<double>(-2.0) << QString("0s");
        QTest::newRow("under a second") << std::optional<double>(0.4) << QString("<1s");
        QTest::newRow("seconds") << std::optional<double>(42.0) << QString("42s");
        QTest::newRow("rounds to a minute") << std::optional<double>(59.7) << QString("1m00s");
        QTest::newRow("minutes") << std::optional<double>(187.0) << QString("3m07s");
        QTest::newRow("hours") << std::optional<double>(5 * 3600 + 125.0) << QString("5h02m");
        QTest::newRow("days") << std::optional<double>(2 * 86400 + 3 * 3600 + 60.0)
                              << QString("2d03h");
        QTest::newRow("never") << std::optional<double>(std::numeric_limits<double>::infinity())
                               << QString("∞");
    }
    void formatsSeconds()
    {
        QFETCH(std::optional<double>, value);
        QFETCH(QString, text);
        QCOMPARE(formatSeconds(value), text);
    }

    void formatsLatencyAndErrorRates()
    {
        QCOMPARE(formatMilliseconds(std::nullopt), QString("–"));
        QCOMPARE(formatMilliseconds(0.0), QString("0 ms"));
        QCOMPARE(formatMilliseconds(3.24), QString("3.2 ms"));
        QCOMPARE(formatMilliseconds(18.4), QString("18 ms"));
        QCOMPARE(formatMilliseconds(1250.0), QString("1.3 s"));
        QCOMPARE(formatPercent(std::nullopt), QString("–"));
        QCOMPARE(formatPercent(0.0), QString("0%"));
        QCOMPARE(formatPercent(0.0001), QString("<0.1%"));
        QCOMPARE(formatPercent(0.0031), QString("0.3%"));
        QCOMPARE(formatPercent(0.125), QString("13%"));
        QCOMPARE(formatPercent(1.0), QString("100%"));
    }

    void clickingAGroupReportsIt()
    {
        PipelineDiagram diagram;
        diagram.setData(realisticPipeline());
        diagram.resize(1000, 600);
        diagram.show();
        QVERIFY(QTest::qWaitForWindowExposed(&diagram));
        QSignalSpy activated(&diagram, &PipelineDiagram::groupActivated);

        for (const QString &name : {QString("enrichment"), QString("fraud")}) {
            const QRect card = diagram.groupRect(name);
            QVERIFY(!card.isEmpty());
            QCOMPARE(diagram.groupAt(card.center()), name);
            QTest::mouseClick(&diagram, Qt::LeftButton, {}, card.center());
            QCOMPARE(activated.size(), 1);
            QCOMPARE(activated.takeFirst().at(0).toString(), name);
        }

        // Neither the collector, a chip nor the empty canvas is a group.
        QTest::mouseClick(&diagram, Qt::LeftButton, {}, diagram.collectorRect().center());
        QTest::mouseClick(&diagram, Qt::LeftButton, {},
                          diagram.chipRect("enrichment", PipelineDiagram::Chip::DeadLetter)
                              .center());
        QTest::mouseClick(&diagram, Qt::LeftButton, {}, QPoint(2, 2));
        // A press on one card released on another is not a click.
        QTest::mousePress(&diagram, Qt::LeftButton, {}, diagram.groupRect("analytics").center());
        QTest::mouseRelease(&diagram, Qt::LeftButton, {},
                            diagram.groupRect("persister").center());
        QCOMPARE(activated.size(), 0);
        QVERIFY(diagram.groupRect("no-such-group").isNull());
    }

    void hoveringAGroupShowsItIsClickable()
    {
        PipelineDiagram diagram;
        diagram.setData(realisticPipeline());
        diagram.resize(1000, 400);
        diagram.show();
        QVERIFY(QTest::qWaitForWindowExposed(&diagram));
        QTest::mouseMove(&diagram, diagram.groupRect("enrichment").center());
        QTRY_COMPARE(diagram.cursor().shape(), Qt::PointingHandCursor);
        QVERIFY(!savedPng(diagram, "pipeline_diagram_hover.png").isEmpty());
        QTest::mouseMove(&diagram, diagram.sourceRect().center());
        QTRY_COMPARE(diagram.cursor().shape(), Qt::ArrowCursor);
    }

    void tooltipsGiveTheFullHealthReason()
    {
        PipelineDiagramData data = eightGroups();
        PipelineDiagram diagram;
        diagram.setData(data);
        diagram.resize(900, 600);
        // The card is too narrow for this reason, so the tooltip is where it is read.
        const QString tip = diagram.toolTipAt(diagram.groupRect("search-indexer").center());
        QVERIFY2(tip.contains("STALL: committed offsets not moving"), qPrintable(tip));
        QVERIFY(tip.contains("search.documents"));
        const QString unknown = diagram.toolTipAt(diagram.groupRect("fraud").center());
        QVERIFY2(unknown.contains("lag – messages"), qPrintable(unknown));
        QVERIFY(unknown.contains("another engine"));
        const QString deadLetters = diagram.toolTipAt(
            diagram.chipRect("enrichment", PipelineDiagram::Chip::DeadLetter).center());
        QVERIFY2(deadLetters.contains("14 messages"), qPrintable(deadLetters));
        QCOMPARE(diagram.toolTipAt(QPoint(1, 1)), QString());
    }

    void unknownHealthIsNeverPaintedOk()
    {
        const QList<Health> all{Health::Ok, Health::Warning, Health::Error, Health::Stopped,
                                Health::Unknown};
        for (Health a : all) {
            for (Health b : all) {
                QCOMPARE(PipelineDiagram::healthColour(a) == PipelineDiagram::healthColour(b),
                         a == b);
            }
        }

        PipelineDiagram diagram;
        diagram.setData(realisticPipeline());
        diagram.resize(1000, 600);
        const QImage image = diagram.grab().toImage();
        const auto bandColour = [&](const QString &name) {
            const QRect card = diagram.groupRect(name);
            return QColor(image.pixel(card.left() + 2, card.center().y()));
        };
        QCOMPARE(bandColour("fraud"), PipelineDiagram::healthColour(Health::Unknown));
        QCOMPARE(bandColour("analytics"), PipelineDiagram::healthColour(Health::Ok));
        QCOMPARE(bandColour("persister"), PipelineDiagram::healthColour(Health::Stopped));
        QVERIFY(bandColour("fraud") != PipelineDiagram::healthColour(Health::Ok));
    }

    void deadLettersTurnTheirChipRed()
    {
        PipelineDiagram diagram;
        diagram.setData(realisticPipeline());
        diagram.resize(1000, 600);
        const QImage image = diagram.grab().toImage();
        const auto fill = [&](const QString &name) {
            const QRect chip = diagram.chipRect(name, PipelineDiagram::Chip::DeadLetter);
            return QColor(image.pixel(chip.left() + 4, chip.center().y()));
        };
        const QColor withDeadLetters = fill("enrichment");
        const QColor without = fill("analytics");
        QVERIFY2(withDeadLetters.red() > withDeadLetters.green() + 10,
                 qPrintable(withDeadLetters.name()));
        QVERIFY2(without.red() <= without.green(), qPrintable(without.name()));
    }

    void layoutFitsWithoutOverlap_data()
    {
        QTest::addColumn<int>("groups");
        QTest::addColumn<QSize>("size");
        QTest::newRow("8 groups, 1000×600") << 8 << QSize(1000, 600);
        QTest::newRow("8 groups, 900×600") << 8 << QSize(900, 600);
        QTest::newRow("8 groups, 1600×900") << 8 << QSize(1600, 900);
        QTest::newRow("4 groups, 900×400") << 4 << QSize(900, 400);
        QTest::newRow("1 group, 900×300") << 1 << QSize(900, 300);
    }
    void layoutFitsWithoutOverlap()
    {
        QFETCH(int, groups);
        QFETCH(QSize, size);
        PipelineDiagramData data = eightGroups();
        data.groups.resize(std::size_t(groups));
        PipelineDiagram diagram;
        diagram.setData(data);
        const QSize minimum = diagram.minimumSizeHint();
        QVERIFY2(minimum.width() <= size.width() && minimum.height() <= size.height(),
                 qPrintable(QString("minimum %1×%2").arg(minimum.width()).arg(minimum.height())));
        diagram.resize(size);

        const std::vector<QRect> nodes = allNodes(diagram);
        int expected = 2;
        for (const DiagramGroup &g : data.groups) {
            expected += g.outputTopic.isEmpty() ? 3 : 4;
        }
        QCOMPARE(int(nodes.size()), expected);
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            QVERIFY(!nodes[i].isEmpty());
            QVERIFY2(diagram.rect().contains(nodes[i]), qPrintable(QString::number(i)));
            for (std::size_t j = i + 1; j < nodes.size(); ++j) {
                QVERIFY2(!nodes[i].intersects(nodes[j]),
                         qPrintable(QString("%1 and %2").arg(i).arg(j)));
            }
        }
        // Left to right: collector, source topic, the groups, their chips.
        const QRect card = diagram.groupRect(data.groups.front().name);
        QVERIFY(diagram.collectorRect().right() < diagram.sourceRect().left());
        QVERIFY(diagram.sourceRect().right() < card.left());
        QVERIFY(card.right()
                < diagram.chipRect(data.groups.front().name, PipelineDiagram::Chip::Retry).left());
    }

    void rendersARealisticPipeline()
    {
        PipelineDiagram diagram;
        diagram.setData(realisticPipeline());
        diagram.resize(1200, diagram.sizeHint().height());
        QVERIFY(!savedPng(diagram, "pipeline_diagram.png").isEmpty());
        diagram.resize(900, diagram.sizeHint().height());
        QVERIFY(!savedPng(diagram, "pipeline_diagram_900.png").isEmpty());
        diagram.resize(1600, diagram.sizeHint().height());
        QVERIFY(!savedPng(diagram, "pipeline_diagram_1600.png").isEmpty());

        diagram.setData(eightGroups());
        diagram.resize(1000, 600);
        QVERIFY(!savedPng(diagram, "pipeline_diagram_8_groups.png").isEmpty());

        // Dark palettes get the same diagram with their own card and text colours.
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x30));
        dark.setColor(QPalette::WindowText, QColor(0xdf, 0xe1, 0xe5));
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
        dark.setColor(QPalette::Text, QColor(0xdf, 0xe1, 0xe5));
        dark.setColor(QPalette::Highlight, QColor(0x35, 0x74, 0xf0));
        diagram.setPalette(dark);
        diagram.setData(realisticPipeline());
        diagram.resize(1200, diagram.sizeHint().height());
        QVERIFY(!savedPng(diagram, "pipeline_diagram_dark.png").isEmpty());

        diagram.setData({});
        diagram.resize(900, diagram.sizeHint().height());
        QVERIFY(!savedPng(diagram, "pipeline_diagram_empty.png").isEmpty());
    }
};

QTEST_MAIN(TestPipelineDiagram)
#include "tst_pipeline_diagram.moc"
