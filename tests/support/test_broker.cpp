#include "support/test_broker.h"

#include "kafka/partitioner.h"

#include <QCoreApplication>
#include <QDebug>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTest>
#include <atomic>
#include <cstdlib>
#include <unistd.h>

namespace logdeck::test {

std::string brokerBootstrap()
{
    const QByteArray dir = qgetenv("LOGDECK_TEST_BROKER_DIR");
    if (dir.isEmpty()) {
        qFatal("LOGDECK_TEST_BROKER_DIR is not set: run this test through ctest, whose "
               "kafka_broker fixture starts the broker");
    }
    QFile file(QString::fromLocal8Bit(dir) + QStringLiteral("/bootstrap"));
    if (!file.open(QIODevice::ReadOnly)) {
        qFatal("the test broker's address file %s is missing: did kafka_broker_start fail?",
               qPrintable(file.fileName()));
    }
    return file.readAll().trimmed().toStdString();
}

kafka::ClientSettings brokerSettings()
{
    return {{"bootstrap.servers", brokerBootstrap()}};
}

QString kafkaClasspath()
{
    // The version is tests/kafka/pom.xml's kafka.version; the cache is scripts/kafka's.
    return qEnvironmentVariable("LOGDECK_CACHE", QDir::homePath() + QStringLiteral("/.cache/logdeck"))
        + QStringLiteral("/kafka-4.1.1/libs/*");
}

bool produceAll(const std::vector<kafka::OutgoingRecord> &records)
{
    auto producer = kafka::Producer::create(brokerSettings());
    if (!producer) {
        return false;
    }
    std::atomic<int> failed {0};
    for (const auto &record : records) {
        if (!(*producer)->produce(
                record, [&](const kafka::DeliveryReport &r) { failed += r.error ? 1 : 0; })) {
            return false;
        }
    }
    return (*producer)->flush(std::chrono::seconds(60)).has_value() && failed == 0;
}

std::string uniqueName(const std::string &prefix)
{
    static std::atomic<int> counter {0};
    return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

int javaPartitionForKey(const std::string &key, int partitions)
{
    return kafka::partitionForKey(key, partitions);
}

namespace {

bool runKafkaScript(const QStringList &arguments)
{
    QProcess script;
    script.start(qEnvironmentVariable("LOGDECK_TEST_KAFKA_SCRIPT"), arguments);
    if (!script.waitForFinished(120000) || script.exitCode() != 0) {
        qWarning() << "scripts/kafka" << arguments << "failed:" << script.readAllStandardError();
        return false;
    }
    return true;
}

} // namespace

OwnBroker::OwnBroker()
    : m_dir(std::make_unique<QTemporaryDir>())
{
    if (!runKafkaScript({QStringLiteral("start"), QStringLiteral("--fresh"),
                         QStringLiteral("--dir"), m_dir->path()})) {
        return;
    }
    QFile address(m_dir->filePath(QStringLiteral("bootstrap")));
    if (address.open(QIODevice::ReadOnly)) {
        m_bootstrap = address.readAll().trimmed().toStdString();
    }
}

OwnBroker::~OwnBroker()
{
    stop();
}

bool OwnBroker::stop()
{
    return runKafkaScript({QStringLiteral("stop"), QStringLiteral("--dir"), m_dir->path()});
}

bool OwnBroker::restart()
{
    return runKafkaScript({QStringLiteral("start"), QStringLiteral("--dir"), m_dir->path()});
}

} // namespace logdeck::test
