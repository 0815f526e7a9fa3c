// One notation for a record's address, read in both spellings, and --to-datetime's forms:
// every bad input and the error it gets.

#include "ops/offset_reset.h"
#include "ops/record_address.h"

#include <QDateTime>
#include <QTest>
#include <cstdlib>
#include <ctime>

using namespace logdeck;

class TestRecordAddress : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bothSpellingsRead_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("topic");
        QTest::addColumn<int>("partition");
        QTest::addColumn<qint64>("offset");
        QTest::newRow("colons") << "events.dlq:2:77" << "events.dlq" << 2 << qint64(77);
        QTest::newRow("brackets") << "events.dlq[2]@77" << "events.dlq" << 2 << qint64(77);
        QTest::newRow("topic with a colon") << "ns:topic:0:5" << "ns:topic" << 0 << qint64(5);
        QTest::newRow("largest partition")
            << "t[2147483647]@0" << "t" << 2147483647 << qint64(0);
    }
    void bothSpellingsRead()
    {
        QFETCH(QString, text);
        const auto address = ops::parseRecordAddress(text.toStdString());
        QVERIFY2(address.has_value(), address ? "" : address.error().message.c_str());
        QFETCH(QString, topic);
        QFETCH(int, partition);
        QFETCH(qint64, offset);
        QCOMPARE(QString::fromStdString(address->topic), topic);
        QCOMPARE(address->partition, partition);
        QCOMPARE(address->offset, offset);
    }

    void badAddressesNameTheirProblem_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error");
        QTest::newRow("empty") << "" << "an empty record address";
        QTest::newRow("just a topic") << "orders" << "it needs a topic, a partition and an offset";
        QTest::newRow("no offset") << "orders:1" << "it needs a topic, a partition and an offset";
        QTest::newRow("no topic") << ":1:2" << "no topic";
        QTest::newRow("no topic, brackets") << "[1]@2" << "no topic";
        QTest::newRow("partition not a number") << "t:x:2" << "the partition 'x'";
        QTest::newRow("negative partition") << "t:-1:2" << "the partition '-1'";
        QTest::newRow("partition too large") << "t:2147483648:2" << "the partition '2147483648'";
        QTest::newRow("offset not a number") << "t:1:y" << "the offset 'y'";
        QTest::newRow("negative offset") << "t[1]@-5" << "the offset '-5'";
        QTest::newRow("empty offset") << "t[1]@" << "the offset ''";
        QTest::newRow("empty partition") << "t[]@3" << "the partition ''";
        QTest::newRow("bracket not closed") << "t[1@5" << "'[' without ']@'";
        QTest::newRow("no at") << "t[1]5" << "'[' without ']@'";
        QTest::newRow("spaces") << "t: 1:2" << "the partition ' 1'";
    }
    void badAddressesNameTheirProblem()
    {
        QFETCH(QString, text);
        QFETCH(QString, error);
        const auto address = ops::parseRecordAddress(text.toStdString());
        QVERIFY(!address.has_value());
        QCOMPARE(address.error().code, Error::Code::InvalidArgument);
        const QString message = QString::fromStdString(address.error().message);
        QVERIFY2(message.contains(error), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("topic:partition:offset or "
                                                 "topic[partition]@offset")),
                 qPrintable(message));
    }

    void addressesArePrintedOneWay()
    {
        QCOMPARE(ops::formatRecordAddress("orders", 3, 42), std::string("orders:3:42"));
        QCOMPARE(ops::formatPartition("orders", 3), std::string("orders:3"));
        QCOMPARE(ops::formatRecordAddress("", std::nullopt, std::nullopt), std::string("?:?:?"));
        QVERIFY(ops::looksLikeRecordAddress("t:1:x"));
        QVERIFY(ops::looksLikeRecordAddress("t[1]@2"));
        QVERIFY(!ops::looksLikeRecordAddress("0b5e3c1e-8a9f-4c6e-9d43-3c1f2a7b9e10"));
    }

    void toDatetimeTakesKafkasLocalForm()
    {
        // A zone of its own, with a half-hour offset and no daylight saving time.
        qputenv("TZ", "Asia/Kolkata");
        ::tzset();
        const auto local = ops::parseResetDatetime("2026-11-26T10:00:00.250");
        QVERIFY(local.has_value());
        QCOMPARE(*local, *ops::parseResetDatetime("2026-11-26T04:30:00.250Z"));
        QCOMPARE(*ops::parseResetDatetime("2026-11-26T10:00:00"),
                 *ops::parseResetDatetime("2026-11-26T10:00:00+05:30"));
        for (const char *bad : {"yesterday", "2026-11-26", "2026-11-26 10:00:00.000",
                                "2026-13-01T10:00:00.000", "2026-11-26T10:00:00.5",
                                "2026-11-26T25:00:00.000", " 2026-11-26T10:00:00.000"}) {
            const auto at = ops::parseResetDatetime(bad);
            QVERIFY2(!at.has_value(), bad);
            QVERIFY2(at.error().message.find("is not a time like 2026-11-26T10:00:00Z (RFC 3339, "
                                             "with a zone) or 2026-11-26T10:00:00.000 (local "
                                             "time)")
                         != std::string::npos,
                     at.error().message.c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestRecordAddress)
#include "tst_record_address.moc"
