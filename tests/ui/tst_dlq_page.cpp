// The dead-letter page. Its table model pages through a million rows from a scripted source
// under QAbstractItemModelTester, asking for a page only when one is wanted, in bounded
// memory. Against the embedded engine in demo mode: poison events become dead letters that
// the page lists, the detail pane decodes their headers and value, the grouped view counts
// them and narrows the table, export writes JSON lines, and redrive asks for the right
// selection (and is hidden when read-only).

#include "bridge/console_session.h"
#include "models/dead_letter_model.h"
#include "support/demo_config.h"
#include "views/dlq_page.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <fstream>
#include <map>

// The page's redrive signal carries it; the redrive dialog's side may declare it too.
Q_DECLARE_METATYPE(logdeck::ops::RedriveSpec)

using namespace logdeck;
using namespace logdeck::ui;

namespace {

constexpr std::int64_t kStartMs = 1795705440000;

/// Resident memory of this process, in bytes (Linux).
std::int64_t residentBytes()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            return std::stoll(line.substr(6)) * 1024;
        }
    }
    return -1;
}

/// Pages of realistic rows, as many as `total`, each answered on the next event-loop turn.
class ScriptedSource : public DeadLetterPageSource
{
public:
    explicit ScriptedSource(std::int64_t total)
        : m_total(total)
    {}

    std::uint64_t startQuery(const ops::DeadLetterFilter &filter) override
    {
        m_filter = filter;
        m_next = 0;
        return ++m_query;
    }

    void requestPage(int pageSize) override
    {
        ++requests;
        QTimer::singleShot(0, this, [this, pageSize, query = m_query] {
            auto page = std::make_shared<DeadLetterPage>();
            page->query = query;
            static const char *const errors[] = {"PoisonEvent", "SchemaMismatch",
                                                 "dev.acme.billing.InvoiceRejected",
                                                 "TimeoutException", "NullPointerException",
                                                 "TenantSuspended"};
            static const char *const groups[] = {"analytics", "persister", "enrichment", "fraud"};
            for (int i = 0; i < pageSize && m_next < m_total; ++i, ++m_next) {
                ops::DeadLetterSummary s;
                s.partition = static_cast<std::int32_t>(m_next % 6);
                s.offset = m_next / 6;
                s.timestampMs = kStartMs + m_next * 3;
                s.eventId = "e-" + std::to_string(m_next);
                s.tenant = "tenant-" + std::to_string(m_next % 50);
                s.group = groups[m_next % 4];
                s.errorClass = errors[m_next % 6];
                s.errorMessage = "failed on event e-" + std::to_string(m_next)
                    + ": field 'amount' is not a number";
                s.attempts = 5;
                s.originalTopic = "events.raw";
                s.originalPartition = static_cast<std::int32_t>(m_next % 12);
                s.originalOffset = m_next;
                s.convention = "logdeck";
                page->rows.push_back(std::move(s));
                page->redrive.push_back({true, static_cast<int>(m_next % 7 == 0), false});
            }
            page->atEnd = m_next >= m_total;
            page->scanned = m_next;
            page->total = m_total;
            Q_EMIT pageArrived(page);
        });
    }

    int requests = 0;

private:
    std::int64_t m_total;
    std::int64_t m_next = 0;
    std::uint64_t m_query = 0;
    ops::DeadLetterFilter m_filter;
};

} // namespace

class TestDlqPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    /// A page at a time, only when asked: the first with the query, the next only when the
    /// view is scrolled to the bottom.
    void fetchesOnlyOnDemand()
    {
        // No model tester here: it fetches more itself after every change.
        ScriptedSource source(50'000);
        DeadLetterModel model(&source);
        QTableView view;
        view.resize(900, 500);
        view.setModel(&model);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));

        ops::DeadLetterFilter filter;
        filter.topic = "events.dlq";
        model.setQuery(filter);
        QTRY_COMPARE(model.rowCount(), DeadLetterModel::kPageSize);
        QTest::qWait(200); // events the view may act on: none of them fetches
        QCOMPARE(source.requests, 1);
        QVERIFY(model.canFetchMore({}));
        QCOMPARE(model.data(model.index(0, DeadLetterModel::Tenant)).toString(),
                 QStringLiteral("tenant-0"));
        QCOMPARE(model.data(model.index(7, DeadLetterModel::RedriveState)).toString(),
                 QStringLiteral("redriven once"));
        QCOMPARE(model.data(model.index(1, DeadLetterModel::RedriveState)).toString(),
                 QStringLiteral("none"));
        QCOMPARE(model.data(model.index(3, DeadLetterModel::Origin)).toString(),
                 QStringLiteral("events.raw:3:3"));
        QCOMPARE(model.data(model.index(8, 0), DeadLetterModel::CoordinatesRole).toString(),
                 QStringLiteral("events.dlq:2:1"));

        view.scrollToBottom();
        QTRY_COMPARE(model.rowCount(), 2 * DeadLetterModel::kPageSize);
        QCOMPARE(source.requests, 2);
        QTest::qWait(100);
        QCOMPARE(source.requests, 2);
    }

    /// A million rows, page after page to the end, under the model tester (which checks
    /// every row after each page, and asks for the next itself: pages of 100,000 keep its
    /// quadratic checking to seconds); the memory they take stays what a desktop affords.
    void pagesThroughAMillionRowsInBoundedMemory()
    {
        constexpr int kRows = 1'000'000;
        constexpr int kPage = 100'000;
        ScriptedSource source(kRows);
        DeadLetterModel model(&source);
        model.setPageSize(kPage);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ops::DeadLetterFilter filter;
        filter.topic = "events.dlq";
        const std::int64_t before = residentBytes();
        QVERIFY(before > 0);
        model.setQuery(filter);
        QElapsedTimer clock;
        clock.start();
        for (int rows = 0; !model.atEnd() && clock.elapsed() < 240'000;) {
            QTRY_VERIFY_WITH_TIMEOUT(model.rowCount() > rows || model.atEnd(), 60'000);
            rows = model.rowCount();
            QCOMPARE(rows % kPage, 0);
            model.fetchMore({}); // when the tester has not asked already
        }
        QVERIFY(model.atEnd());
        QCOMPARE(model.rowCount(), kRows);
        QCOMPARE(source.requests, kRows / kPage);
        QVERIFY(!model.canFetchMore({}));

        // The last row is the millionth, read back as a user would see it.
        const int last = kRows - 1;
        QCOMPARE(model.data(model.index(last, DeadLetterModel::Message)).toString(),
                 QStringLiteral("failed on event e-999999: field 'amount' is not a number"));
        QCOMPARE(model.data(model.index(last, DeadLetterModel::ErrorClass)).toString(),
                 QStringLiteral("TimeoutException"));
        QCOMPARE(model.data(model.index(last, DeadLetterModel::Tenant)).toString(),
                 QStringLiteral("tenant-49"));

        const std::int64_t grown = residentBytes() - before;
        const double perRow = static_cast<double>(model.bytesUsed()) / kRows;
        qInfo("1,000,000 rows: model holds %.0f bytes a row (%.1f MB); resident memory grew "
              "%.1f MB",
              perRow, static_cast<double>(model.bytesUsed()) / 1e6, static_cast<double>(grown) / 1e6);
        // A row's fixed part is 64 bytes, its message about 55: never a copy per string.
        QVERIFY2(perRow < 140, qPrintable(QString::number(perRow)));
        // A million dead letters in under 250 MB of the user's memory.
        QVERIFY2(grown < 250'000'000, qPrintable(QString::number(grown)));

        // A new query lets all of it go.
        filter.tenant = "tenant-1";
        model.setQuery(filter);
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(model.bytesUsed() < 1'000'000);
    }

    /// The embedded engine with poison events: their dead letters on the page, one decoded
    /// in the detail pane, grouped counts that narrow the table, export and redrive.
    void deadLettersOfTheDemo()
    {
        ConsoleSession session;
        DlqPage page(&session);
        page.resize(1400, 800);
        page.setMutationsAllowed(true);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.statusText().contains(QStringLiteral("Not connected")));

        session.start(ConsoleMode::Demo, test::demoConfig());
        QTRY_VERIFY_WITH_TIMEOUT(session.target().isSet(), 30000);
        DemoTraffic traffic;
        traffic.rate = 200;
        traffic.poisonRate = 0.05;
        session.control()->setTraffic(traffic);

        // Dead letters appear: the page looks again while the topic is empty.
        QTRY_VERIFY_WITH_TIMEOUT(page.model()->rowCount() > 0, 60000);
        QVERIFY(page.errorText().isEmpty());
        // The first is selected and decoded: Logdeck's headers, flagged nowhere.
        QTRY_VERIFY_WITH_TIMEOUT(!page.detailText().isEmpty(), 15000);
        const QString detail = page.detailText();
        QVERIFY2(detail.contains(QStringLiteral("failing-group")), qPrintable(detail));
        QVERIFY(detail.contains(QStringLiteral("Logdeck headers")));
        QVERIFY(detail.contains(QStringLiteral("PoisonEvent")));
        QVERIFY(detail.contains(QStringLiteral("logdeck.poison"))); // the JSON value
        QVERIFY(detail.contains(QStringLiteral("Value (JSON)")));
        QCOMPARE(page.model()->data(page.model()->index(0, DeadLetterModel::ErrorClass)).toString(),
                 QStringLiteral("PoisonEvent"));
        QVERIFY(page.statusText().contains(QStringLiteral("dead letter")));

        // More arrive: refresh, then wait until a few are there.
        QTRY_VERIFY_WITH_TIMEOUT((page.refresh(), QTest::qWait(500), page.model()->rowCount() >= 8),
                                 60000);
        QTRY_VERIFY_WITH_TIMEOUT(page.model()->atEnd() && !page.model()->isReading(), 15000);
        const int all = page.model()->rowCount();
        // Merged from the topic's partitions, each in its log's order, none twice. (Not
        // strictly by time: the groups' producers stamp records before they reach the
        // partition, so a partition's own times can step back by a few milliseconds.)
        std::map<int, qint64> lastOffset;
        for (int row = 0; row < all; ++row) {
            const int partition = page.model()->partitionAt(row);
            const qint64 offset = page.model()->offsetAt(row);
            QVERIFY(!lastOffset.contains(partition) || lastOffset[partition] < offset);
            lastOffset[partition] = offset;
        }

        // Grouped: counts by error class × group × tenant that add up to what the table
        // held then (more may have arrived since).
        page.setGrouped(true);
        QTRY_VERIFY_WITH_TIMEOUT(page.groupModel()->rowCount() > 0, 15000);
        std::int64_t counted = 0;
        for (int row = 0; row < page.groupModel()->rowCount(); ++row) {
            counted += page.groupModel()->groupAt(row)->count;
        }
        QVERIFY2(counted >= all, qPrintable(QStringLiteral("%1 < %2").arg(counted).arg(all)));
        QVERIFY(page.statusText().contains(QStringLiteral("groups")));
        // Clicking a group lists its letters only.
        const QModelIndex first = page.groupTable()->model()->index(0, 0);
        QTest::mouseClick(page.groupTable()->viewport(), Qt::LeftButton, {},
                          page.groupTable()->visualRect(first).center());
        QTRY_VERIFY_WITH_TIMEOUT(!page.groupTable()->isVisible() && page.model()->atEnd()
                                     && page.model()->rowCount() > 0,
                                 15000);
        const ops::DeadLetterFilter narrowed = page.currentFilter();
        QVERIFY(!narrowed.group.empty());
        QVERIFY(!narrowed.tenant.empty());
        for (int row = 0; row < page.model()->rowCount(); ++row) {
            QCOMPARE(page.model()->data(page.model()->index(row, DeadLetterModel::Tenant)).toString(),
                     QString::fromStdString(narrowed.tenant));
            QCOMPARE(page.model()->data(page.model()->index(row, DeadLetterModel::Group)).toString(),
                     QString::fromStdString(narrowed.group));
        }

        // Export everything the filter matches: one JSON object a line, with the headers.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("letters.jsonl"));
        QSignalSpy exported(&page, &DlqPage::exportFinished);
        page.exportTo(path, false);
        QVERIFY(exported.wait(30000));
        QCOMPARE(exported.first().at(1).toString(), QString());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QVERIFY(lines.size() >= page.model()->rowCount());
        for (const QByteArray &line : lines) {
            const QJsonObject object = QJsonDocument::fromJson(line).object();
            QCOMPARE(object.value(QStringLiteral("tenant")).toString(),
                     QString::fromStdString(narrowed.tenant));
            QVERIFY(object.value(QStringLiteral("headers")).toObject().contains(
                QStringLiteral("failing-group")));
        }

        // Redrive: the selection by coordinates; all matching by the filter.
        QSignalSpy redrive(&page, &DlqPage::redriveRequested);
        page.table()->selectRow(0);
        QVERIFY(page.redriveSelectedButton()->isVisible());
        page.redriveSelectedButton()->click();
        QCOMPARE(redrive.size(), 1);
        const auto selected = redrive.at(0).at(0).value<ops::RedriveSpec>();
        QCOMPARE(selected.ids.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(selected.ids.front()),
                 page.model()->data(page.model()->index(0, 0), DeadLetterModel::CoordinatesRole)
                     .toString());
        QCOMPARE(selected.filter.topic, std::string("events.dlq"));
        QVERIFY(!selected.all);
        page.redriveAllButton()->click();
        QCOMPARE(redrive.size(), 2);
        const auto matching = redrive.at(1).at(0).value<ops::RedriveSpec>();
        QVERIFY(matching.ids.empty());
        QCOMPARE(matching.filter.tenant, narrowed.tenant);
        QCOMPARE(matching.filter.group, narrowed.group);
        QVERIFY(!matching.all);

        // Read-only: no redrive.
        page.setMutationsAllowed(false);
        QVERIFY(!page.mutationsVisible());
        QVERIFY(!page.redriveSelectedButton()->isVisible());

        // A topic that does not exist: said beside the status, in red, with the reason.
        page.setTopic(QStringLiteral("no-such.dlq"));
        QTRY_VERIFY_WITH_TIMEOUT(page.errorText().contains(QStringLiteral("does not exist")), 15000);
        session.stop();
    }
};

QTEST_MAIN(TestDlqPage)
#include "tst_dlq_page.moc"
