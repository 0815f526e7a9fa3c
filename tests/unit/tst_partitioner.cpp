// The tenant -> partition mapping must be the one Java clients use, or a tenant's events
// would be looked for on the wrong partition. The expected values come from murmur2 hashes
// that Apache Kafka's own UtilsTest.testMurmur2 asserts, made positive and taken modulo the
// partition count as Kafka's default partitioner does.

#include "kafka/partitioner.h"

#include <QTest>

using namespace logdeck;

class TestPartitioner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void agreesWithJavaClients_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<qint64>("javaMurmur2");
        // Kafka's UtilsTest.testMurmur2 cases.
        QTest::newRow("21") << "21" << qint64 {-973932308};
        QTest::newRow("foobar") << "foobar" << qint64 {-790332482};
        QTest::newRow("a-little-bit-long-string")
            << "a-little-bit-long-string" << qint64 {-985981536};
        QTest::newRow("a-little-bit-longer-string")
            << "a-little-bit-longer-string" << qint64 {-1486304829};
        QTest::newRow("long") << "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"
                              << qint64 {-58897971};
        QTest::newRow("abc") << "abc" << qint64 {479470107};
    }

    void agreesWithJavaClients()
    {
        QFETCH(QString, key);
        QFETCH(qint64, javaMurmur2);
        const std::uint32_t positive = static_cast<std::uint32_t>(javaMurmur2) & 0x7fffffffU;
        const std::string text = key.toStdString();
        for (const int partitions : {1, 3, 6, 7, 1000}) {
            QCOMPARE(kafka::partitionForKey(text, partitions),
                     static_cast<std::int32_t>(positive % static_cast<std::uint32_t>(partitions)));
        }
    }
};

QTEST_GUILESS_MAIN(TestPartitioner)
#include "tst_partitioner.moc"
