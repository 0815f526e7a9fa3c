// The paged dead-letter reader against the real broker: its pages put together are exactly
// what readDeadLetters returns (with and without a filter), a cursor resumes where a reader
// stopped, an empty or missing topic says so, one letter is read back by its coordinates,
// the grouped counts agree with the letters, and dead-letter topics are found by name.

#include "kafka/admin_client.h"
#include "kafka/producer.h"
#include "kafka/record_headers.h"
#include "ops/dead_letters.h"
#include "support/test_broker.h"

#include <QTest>
#include <atomic>
#include <map>

using namespace logdeck;
using namespace std::chrono_literals;
namespace h = kafka::headers;

namespace {

constexpr auto kTimeout = 30s;
constexpr std::int64_t kBaseMs = 1795705440000;

bool createTopic(const std::string &name, int partitions)
{
    auto admin = kafka::AdminClient::create(test::brokerSettings());
    return admin && (*admin)->createTopics({{name, partitions, {}}}, kTimeout).has_value();
}

const char *const kTenants[] = {"acme", "globex", "initech", "umbrella"};
const char *const kGroups[] = {"analytics", "persister", "enrichment"};
const char *const kErrors[] = {"PoisonEvent", "SchemaMismatch", "Timeout"};

/// `count` Logdeck dead letters spread over 3 partitions, each partition's timestamps
/// rising, interleaved across partitions and with ties between them.
std::vector<kafka::OutgoingRecord> deadLetters(const std::string &topic, int count)
{
    std::vector<kafka::OutgoingRecord> records;
    for (int i = 0; i < count; ++i) {
        const int partition = (i * 7) % 3;
        const std::string id = "e-" + std::to_string(i);
        const std::string tenant = kTenants[i % 4];
        records.push_back(
            {topic,
             partition,
             tenant,
             R"({"id":")" + id + R"(","tenant":")" + tenant + R"(","n":)" + std::to_string(i)
                 + "}",
             {{h::kEventId, id},
              {h::kTenantId, tenant},
              {h::kOriginalTopic, "events.raw"},
              {h::kOriginalPartition, std::to_string(partition)},
              {h::kOriginalOffset, std::to_string(i)},
              {h::kOriginalTimestamp, std::to_string(kBaseMs)},
              {h::kFailingGroup, kGroups[i % 3]},
              {h::kErrorClass, kErrors[(i / 3) % 3]},
              {h::kErrorMessage, (i % 10 == 0 ? "needle in " : "failed on ") + id},
              {h::kAttempts, "5"}},
             kBaseMs + (i / 2) * 10, // pairs share a timestamp
             false});
    }
    return records;
}

std::vector<std::string> coordinates(const std::vector<ops::DeadLetter> &letters)
{
    std::vector<std::string> result;
    for (const auto &l : letters) {
        result.push_back(ops::coordinatesOf(l));
    }
    return result;
}

/// Every page of a reader, as coordinates; empty and a failure on error.
std::vector<std::string> readPages(const ops::DeadLetterFilter &filter, std::size_t pageSize,
                                   std::optional<ops::DeadLetterCursor> from = {})
{
    auto reader =
        ops::DeadLetterReader::open(test::brokerSettings(), filter, kTimeout, {false, from});
    if (!reader) {
        qWarning("%s", reader.error().message.c_str());
        return {};
    }
    std::vector<std::string> result;
    for (int pages = 0; !(*reader)->atEnd() && pages < 100000; ++pages) {
        auto page = (*reader)->nextPage(pageSize, kTimeout);
        if (!page) {
            qWarning("%s", page.error().message.c_str());
            return {};
        }
        for (const auto &s : *page) {
            result.push_back(filter.topic + ":" + std::to_string(s.partition) + ":"
                             + std::to_string(s.offset));
        }
    }
    return result;
}

} // namespace

class TestDeadLetterPages : public QObject
{
    Q_OBJECT

    std::string m_topic;
    static constexpr int kCount = 2500;

private Q_SLOTS:
    void initTestCase()
    {
        m_topic = test::uniqueName("pages") + ".dlq";
        QVERIFY(createTopic(m_topic, 3));
        QVERIFY(test::produceAll(deadLetters(m_topic, kCount)));
    }

    void pagesConcatenateToTheWholeRead_data()
    {
        QTest::addColumn<int>("pageSize");
        QTest::newRow("1") << 1;
        QTest::newRow("7") << 7;
        QTest::newRow("1000") << 1000;
        QTest::newRow("everything") << 100000;
    }

    void pagesConcatenateToTheWholeRead()
    {
        QFETCH(int, pageSize);
        ops::DeadLetterFilter filter;
        filter.topic = m_topic;
        auto all = ops::readDeadLetters(test::brokerSettings(), filter, kTimeout);
        QVERIFY2(all, all ? "" : all.error().message.c_str());
        QCOMPARE(all->size(), std::size_t(kCount));
        const auto paged = readPages(filter, static_cast<std::size_t>(pageSize));
        const auto whole = coordinates(*all);
        QCOMPARE(paged.size(), whole.size());
        for (std::size_t i = 0; i < whole.size(); ++i) {
            QVERIFY2(paged[i] == whole[i], (std::to_string(i) + " " + paged[i] + " vs " + whole[i]).c_str());
        }
        // Oldest first; ties by partition, then offset.
        for (std::size_t i = 1; i < all->size(); ++i) {
            const auto &a = (*all)[i - 1];
            const auto &b = (*all)[i];
            QVERIFY(std::tie(a.timestampMs, a.partition, a.offset)
                    < std::tie(b.timestampMs, b.partition, b.offset));
        }
    }

    void summariesCarryTheRowsFields()
    {
        ops::DeadLetterFilter filter;
        filter.topic = m_topic;
        auto reader = ops::DeadLetterReader::open(test::brokerSettings(), filter, kTimeout, {});
        QVERIFY(reader);
        QCOMPARE((*reader)->total(), std::int64_t(kCount));
        auto page = (*reader)->nextPage(1, kTimeout);
        QVERIFY(page);
        QCOMPARE(page->size(), std::size_t(1));
        const auto &first = page->front();
        QCOMPARE(first.eventId, std::string("e-0"));
        QCOMPARE(first.tenant, std::string("acme"));
        QCOMPARE(first.group, std::string("analytics"));
        QCOMPARE(first.errorClass, std::string("PoisonEvent"));
        QCOMPARE(first.errorMessage, std::string("needle in e-0"));
        QCOMPARE(first.attempts, 5);
        QCOMPARE(first.convention, std::string("logdeck"));
        QCOMPARE(first.originalTopic, std::string("events.raw"));
        QCOMPARE(first.timestampMs, kBaseMs);
        QVERIFY(!(*reader)->atEnd());
    }

    void filtersWhilePaging_data()
    {
        QTest::addColumn<QString>("tenant");
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("text");
        QTest::newRow("tenant") << "globex" << "" << "";
        QTest::newRow("group and tenant") << "acme" << "persister" << "";
        QTest::newRow("text") << "" << "" << "NEEDLE";
        QTest::newRow("nothing matches") << "nobody" << "" << "";
    }

    void filtersWhilePaging()
    {
        QFETCH(QString, tenant);
        QFETCH(QString, group);
        QFETCH(QString, text);
        ops::DeadLetterFilter filter;
        filter.topic = m_topic;
        filter.tenant = tenant.toStdString();
        filter.group = group.toStdString();
        filter.text = text.toStdString();
        filter.sinceMs = kBaseMs + 100;
        auto all = ops::readDeadLetters(test::brokerSettings(), filter, kTimeout);
        QVERIFY(all);
        for (const auto &l : *all) {
            QVERIFY(filter.matches(l));
        }
        QCOMPARE(readPages(filter, 33), coordinates(*all));
    }

    void aCursorResumesWhereTheReaderStopped()
    {
        ops::DeadLetterFilter filter;
        filter.topic = m_topic;
        filter.tenant = "initech";
        const auto whole = readPages(filter, 1000);
        QCOMPARE(whole.size(), std::size_t(kCount / 4));

        auto reader = ops::DeadLetterReader::open(test::brokerSettings(), filter, kTimeout, {});
        QVERIFY(reader);
        std::vector<std::string> head;
        for (int i = 0; i < 3; ++i) {
            auto page = (*reader)->nextPage(50, kTimeout);
            QVERIFY(page);
            for (const auto &s : *page) {
                head.push_back(m_topic + ":" + std::to_string(s.partition) + ":"
                               + std::to_string(s.offset));
            }
        }
        const ops::DeadLetterCursor cursor = (*reader)->cursor();
        QCOMPARE(cursor.next.size(), std::size_t(3));
        reader->reset();

        auto rest = readPages(filter, 64, cursor);
        head.insert(head.end(), rest.begin(), rest.end());
        QCOMPARE(head, whole);
    }

    void anEmptyTopicEndsAtOnce()
    {
        const std::string topic = test::uniqueName("empty") + ".dlq";
        QVERIFY(createTopic(topic, 2));
        ops::DeadLetterFilter filter;
        filter.topic = topic;
        auto reader = ops::DeadLetterReader::open(test::brokerSettings(), filter, kTimeout, {});
        QVERIFY2(reader, reader ? "" : reader.error().message.c_str());
        QVERIFY((*reader)->atEnd());
        QCOMPARE((*reader)->total(), std::int64_t(0));
        auto page = (*reader)->nextPage(100, kTimeout);
        QVERIFY(page);
        QVERIFY(page->empty());
        auto counts = ops::countDeadLetters(test::brokerSettings(), filter, kTimeout);
        QVERIFY(counts);
        QCOMPARE(counts->matched, std::int64_t(0));
    }

    void aMissingTopicIsNotFound()
    {
        ops::DeadLetterFilter filter;
        filter.topic = test::uniqueName("missing") + ".dlq";
        auto reader = ops::DeadLetterReader::open(test::brokerSettings(), filter, kTimeout, {});
        QVERIFY(!reader);
        QCOMPARE(reader.error().code, Error::Code::NotFound);
        QVERIFY(reader.error().message.find("does not exist") != std::string::npos);
        auto counts = ops::countDeadLetters(test::brokerSettings(), filter, kTimeout);
        QVERIFY(!counts);
        QCOMPARE(counts.error().code, Error::Code::NotFound);
    }

    void oneLetterIsReadBackByItsCoordinates()
    {
        ops::DeadLetterFilter filter;
        filter.topic = m_topic;
        auto all = ops::readDeadLetters(test::brokerSettings(), filter, kTimeout);
        QVERIFY(all);
        const ops::DeadLetter &wanted = (*all)[1234];
        auto letter = ops::readDeadLetterAt(
            test::brokerSettings(), {m_topic, wanted.partition, wanted.offset}, kTimeout);
        QVERIFY2(letter, letter ? "" : letter.error().message.c_str());
        QCOMPARE(letter->eventId, wanted.eventId);
        QCOMPARE(letter->value, wanted.value);
        QCOMPARE(letter->headers.size(), wanted.headers.size());
        QVERIFY(!letter->value.empty());

        auto beyond =
            ops::readDeadLetterAt(test::brokerSettings(), {m_topic, 0, 1'000'000}, kTimeout);
        QVERIFY(!beyond);
        QCOMPARE(beyond.error().code, Error::Code::NotFound);
    }

    void countsAgreeWithTheLetters()
    {
        ops::DeadLetterFilter filter;
        filter.topic = m_topic;
        filter.group = "analytics";
        auto all = ops::readDeadLetters(test::brokerSettings(), filter, kTimeout);
        QVERIFY(all);
        std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> expected;
        for (const auto &l : *all) {
            ++expected[{l.errorClass, l.group, l.tenant}];
        }
        std::int64_t lastTotal = 0;
        int calls = 0;
        auto counts = ops::countDeadLetters(test::brokerSettings(), filter, kTimeout,
                                            [&](std::int64_t, std::int64_t total) {
                                                lastTotal = total;
                                                ++calls;
                                                return true;
                                            });
        QVERIFY(counts);
        QVERIFY(calls > 0);
        QCOMPARE(lastTotal, std::int64_t(kCount));
        QCOMPARE(counts->scanned, std::int64_t(kCount));
        QCOMPARE(counts->matched, static_cast<std::int64_t>(all->size()));
        QCOMPARE(counts->groups.size(), expected.size());
        for (std::size_t i = 0; i < counts->groups.size(); ++i) {
            const auto &g = counts->groups[i];
            QCOMPARE(g.count, (expected[{g.errorClass, g.group, g.tenant}]));
            QVERIFY(i == 0 || counts->groups[i - 1].count >= g.count);
        }
        auto stopped = ops::countDeadLetters(test::brokerSettings(), filter, kTimeout,
                                             [](std::int64_t, std::int64_t) { return false; });
        QVERIFY(!stopped);
        QCOMPARE(stopped.error().code, Error::Code::Cancelled);
    }

    void deadLetterTopicsAreFoundByName()
    {
        const std::string plain = test::uniqueName("plain");
        const std::string spring = test::uniqueName("orders") + "-dlt";
        QVERIFY(createTopic(plain, 1));
        QVERIFY(createTopic(spring, 1));
        auto topics = ops::listDeadLetterTopics(test::brokerSettings(), kTimeout);
        QVERIFY(topics);
        QVERIFY(std::ranges::find(*topics, m_topic) != topics->end());
        QVERIFY(std::ranges::find(*topics, spring) != topics->end());
        QVERIFY(std::ranges::find(*topics, plain) == topics->end());
        QVERIFY(ops::looksLikeDeadLetterTopic("orders.DLT"));
        QVERIFY(ops::looksLikeDeadLetterTopic("events.dlq"));
        QVERIFY(!ops::looksLikeDeadLetterTopic(".dlq"));
        QVERIFY(!ops::looksLikeDeadLetterTopic("events.raw"));
    }
};

QTEST_GUILESS_MAIN(TestDeadLetterPages)
#include "tst_dead_letter_pages.moc"
