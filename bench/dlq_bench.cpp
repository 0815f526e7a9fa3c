// The dead-letter page over a million dead letters (scripts/bench-dlq): produces them to a
// topic of the broker given, then drives the real page and model the console shows and
// measures time to the first rows, the scroll to the end (peak resident memory), a tenant
// filter's first rows and the grouped count. Prints one JSON object per measure.
//
//   logdeck_dlq_bench --broker HOST:PORT --produce [--count N] [--partitions N]
//       produces the dead letters to a new topic and prints its name;
//   logdeck_dlq_bench --broker HOST:PORT --topic T
//       measures the page over T (a process of its own: the producer's memory is not in it).

#include "bridge/ops_target.h"
#include "common/time_format.h"
#include "kafka/admin_client.h"
#include "kafka/producer.h"
#include "kafka/record_headers.h"
#include "models/dead_letter_model.h"
#include "process_stats.h"
#include "views/dlq_page.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QScrollBar>
#include <QTableView>
#include <QTimer>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <random>
#include <vector>

using namespace logdeck;
using namespace logdeck::ui;
namespace h = kafka::headers;

using bench::rssKib;

namespace {

/// Runs the event loop until `done` holds (checked every 2 ms) or `timeoutMs` passed.
bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (!done()) {
        if (clock.elapsed() > timeoutMs) {
            return false;
        }
        QEventLoop loop;
        QTimer::singleShot(2, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

std::string rfc3339(std::int64_t ms)
{
    return formatRfc3339(ms);
}

/// `count` dead letters as Logdeck's groups write them: 50 tenants, 4 groups, 6 errors,
/// an event of about 300 bytes, dead-lettered over the last day in order.
bool produce(const kafka::ClientSettings &settings, const std::string &topic, int partitions,
             std::int64_t count)
{
    auto admin = kafka::AdminClient::create(settings);
    if (!admin || !(*admin)->createTopics({{topic, partitions, {}}}, std::chrono::seconds(30))) {
        std::fprintf(stderr, "cannot create %s\n", topic.c_str());
        return false;
    }
    kafka::ClientSettings fast = settings;
    fast["linger.ms"] = "50";
    fast["batch.size"] = "1000000";
    fast["compression.type"] = "lz4";
    auto producer = kafka::Producer::create(fast);
    if (!producer) {
        std::fprintf(stderr, "%s\n", producer.error().message.c_str());
        return false;
    }
    static const char *const groups[] = {"analytics", "persister", "enrichment", "fraud"};
    static const char *const errors[] = {"PoisonEvent", "SchemaMismatch", "InvalidCampaign",
                                         "TimeoutException", "TenantSuspended", "EnrichmentFailed"};
    static const char *const messages[] = {
        "the event carries the logdeck.poison marker",
        "field 'occurredAt' is not an RFC 3339 time",
        "campaign 'spring-sale' is not known for this tenant",
        "the enrichment service did not answer within 2000 ms",
        "tenant is suspended: events are not processed",
        "geo lookup failed: address 203.0.113.7 is not in the database"};
    std::atomic<std::int64_t> failed {0};
    const std::int64_t now = QDateTime::currentMSecsSinceEpoch();
    const std::int64_t start = now - 86'400'000;
    std::mt19937 random(7);
    for (std::int64_t i = 0; i < count; ++i) {
        const std::string id = "0b1e" + std::to_string(10'000'000 + i) + "-5c2a-4f3e-9d1a-7e6b2c4d8f10";
        const std::string tenant = "tenant-" + std::to_string(random() % 50);
        const int kind = static_cast<int>(random() % 6);
        const std::string group = groups[random() % 4];
        const std::int64_t at = start + i * 86'400'000 / count;
        const std::string value = R"({"id":")" + id + R"(","tenant":")" + tenant
            + R"(","campaignId":"spring-sale","type":"click","occurredAt":")" + rfc3339(at - 5000)
            + R"(","receivedAt":")" + rfc3339(at - 4000)
            + R"(","attributes":{"device":"mobile","country":"DE","page":"/checkout/step-2","amount":"12.50"}})";
        kafka::OutgoingRecord record {
            topic,
            static_cast<std::int32_t>(i % partitions),
            tenant,
            value,
            {{h::kEventId, id},
             {h::kTenantId, tenant},
             {h::kContentType, "application/json"},
             {h::kOriginalTopic, "events.raw"},
             {h::kOriginalPartition, std::to_string(random() % 12)},
             {h::kOriginalOffset, std::to_string(i)},
             {h::kOriginalTimestamp, std::to_string(at - 4000)},
             {h::kFailingGroup, group},
             {h::kErrorClass, errors[kind]},
             {h::kErrorMessage, messages[kind]},
             {h::kAttempts, kind == 3 ? "5" : "1"},
             {h::kDeadLetteredAt, rfc3339(at)}},
            at,
            false};
        for (int tries = 0;; ++tries) {
            auto queued = (*producer)->produce(
                record, [&failed](const kafka::DeliveryReport &r) { failed += r.error ? 1 : 0; });
            if (queued) {
                break;
            }
            if (tries > 1000) {
                std::fprintf(stderr, "%s\n", queued.error().message.c_str());
                return false;
            }
            (*producer)->flush(std::chrono::milliseconds(100)); // the local queue is full
        }
    }
    if (!(*producer)->flush(std::chrono::minutes(5)) || failed > 0) {
        std::fprintf(stderr, "%lld records failed\n", static_cast<long long>(failed.load()));
        return false;
    }
    return true;
}

void print(const char *json)
{
    std::printf("%s\n", json);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    const QStringList arguments = QApplication::arguments();
    const auto option = [&](const QString &name, const QString &fallback) {
        const auto at = arguments.indexOf(name);
        return at >= 0 && at + 1 < arguments.size() ? arguments.at(at + 1) : fallback;
    };
    const std::string broker = option(QStringLiteral("--broker"), {}).toStdString();
    const std::int64_t count = option(QStringLiteral("--count"), QStringLiteral("1000000")).toLongLong();
    const int partitions = option(QStringLiteral("--partitions"), QStringLiteral("6")).toInt();
    if (broker.empty() || count <= 0 || partitions <= 0) {
        std::fprintf(stderr, "usage: logdeck_dlq_bench --broker HOST:PORT (--produce [--count N] "
                             "[--partitions N] | --topic T)\n");
        return 2;
    }
    const kafka::ClientSettings settings {{"bootstrap.servers", broker}};
    if (arguments.contains(QStringLiteral("--produce"))) {
        const std::string topic =
            "bench-" + std::to_string(QDateTime::currentMSecsSinceEpoch()) + ".dlq";
        QElapsedTimer clock;
        clock.start();
        if (!produce(settings, topic, partitions, count)) {
            return 1;
        }
        std::fprintf(stderr, "produced %lld dead letters in %.1f s\n",
                     static_cast<long long>(count), static_cast<double>(clock.elapsed()) / 1000);
        std::printf("%s\n", topic.c_str());
        return 0;
    }
    const std::string topic = option(QStringLiteral("--topic"), {}).toStdString();
    if (topic.empty()) {
        std::fprintf(stderr, "logdeck_dlq_bench: --produce or --topic T\n");
        return 2;
    }
    QElapsedTimer clock;
    OpsTarget target;
    target.generation = 1;
    target.mode = ConsoleMode::Attach;
    target.cluster = settings;
    DlqPage page(nullptr);
    page.resize(1280, 800);
    page.show();
    page.setTarget(target); // reads events.dlq, which this broker does not have
    waitUntil([&] { return !page.model()->isReading(); }, 30'000);
    const long rssBefore = rssKib();

    // Open the topic: first rows, three times.
    std::vector<double> firsts;
    for (int run = 0; run < 3; ++run) {
        page.setTopic(QStringLiteral("events.dlq")); // somewhere else first
        waitUntil([&] { return !page.model()->isReading(); }, 30'000);
        clock.restart();
        page.setTopic(QString::fromStdString(topic));
        if (!waitUntil([&] { return page.model()->rowCount() > 0; }, 60'000)) {
            std::fprintf(stderr, "no rows: %s\n", qPrintable(page.errorText()));
            return 1;
        }
        QApplication::processEvents(); // painted
        firsts.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6);
    }
    std::ranges::sort(firsts);
    print(qPrintable(QStringLiteral(R"({"case":"dlq-first-rows","ms":%1,"runs":[%2,%3,%4],"count":%5})")
                         .arg(firsts[1], 0, 'f', 1)
                         .arg(firsts[0], 0, 'f', 1)
                         .arg(firsts[1], 0, 'f', 1)
                         .arg(firsts[2], 0, 'f', 1)
                         .arg(page.model()->total())));

    // Scroll to the end as a user dragging the scroll bar down would: each time the view
    // shows the last row, it asks for the next page.
    long peak = rssKib();
    clock.restart();
    QTableView *table = page.table();
    double slowestPageMs = 0;
    QElapsedTimer pageClock;
    while (!page.model()->atEnd()) {
        const int rows = page.model()->rowCount();
        pageClock.restart();
        table->scrollToBottom();
        if (!waitUntil([&] { return page.model()->rowCount() > rows || page.model()->atEnd()
                                    || !page.model()->error().isEmpty(); },
                       60'000)
            || !page.model()->error().isEmpty()) {
            std::fprintf(stderr, "scrolling stopped at %d rows: %s\n", rows,
                         qPrintable(page.errorText()));
            return 1;
        }
        const double pageMs = static_cast<double>(pageClock.nsecsElapsed()) / 1e6;
        if (pageMs > 250) {
            std::fprintf(stderr, "page after row %d took %.0f ms\n", rows, pageMs);
        }
        slowestPageMs = std::max(slowestPageMs, pageMs);
        peak = std::max(peak, rssKib());
    }
    const double scrollSeconds = static_cast<double>(clock.elapsed()) / 1000;
    print(qPrintable(QStringLiteral(R"({"case":"dlq-scroll-to-end","rows":%1,"seconds":%2,"slowestPageMs":%3,"peakRssMiB":%4,"rssBeforeMiB":%5,"modelMiB":%6})")
                         .arg(page.model()->rowCount())
                         .arg(scrollSeconds, 0, 'f', 1)
                         .arg(slowestPageMs, 0, 'f', 0)
                         .arg(static_cast<double>(peak) / 1024, 0, 'f', 0)
                         .arg(static_cast<double>(rssBefore) / 1024, 0, 'f', 0)
                         .arg(static_cast<double>(page.model()->bytesUsed()) / 1048576, 0, 'f', 0)));

    // A tenant filter: its first rows.
    clock.restart();
    page.setFilterFields({}, QStringLiteral("tenant-7"), {});
    if (!waitUntil([&] { return page.model()->rowCount() > 0; }, 60'000)) {
        std::fprintf(stderr, "no rows for tenant-7: %s\n", qPrintable(page.errorText()));
        return 1;
    }
    QApplication::processEvents();
    const double filterMs = static_cast<double>(clock.nsecsElapsed()) / 1e6;
    print(qPrintable(QStringLiteral(R"({"case":"dlq-filter-first-rows","ms":%1,"filter":"tenant"})")
                         .arg(filterMs, 0, 'f', 1)));

    // The grouped view over the whole topic.
    page.setFilterFields({}, {}, {});
    clock.restart();
    page.setGrouped(true);
    if (!waitUntil([&] { return page.groupModel()->rowCount() > 0; }, 300'000)) {
        std::fprintf(stderr, "no counts: %s\n", qPrintable(page.errorText()));
        return 1;
    }
    print(qPrintable(QStringLiteral(R"({"case":"dlq-grouped-count","seconds":%1,"groups":%2})")
                         .arg(static_cast<double>(clock.elapsed()) / 1000, 0, 'f', 1)
                         .arg(page.groupModel()->rowCount())));
    return 0;
}
