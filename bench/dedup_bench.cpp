// Dedup insert rate of a processing group: GroupStore::markProcessed (hour-bucketed key) against
// a plain unique index on (tenant, event_id), both on a fresh database file with the store's
// own settings (Database::open). Events carry random UUIDv4-like ids from 100 tenants, their
// occurredAt advances like a live stream, 1% are re-sent duplicates, and they are committed in
// transactions of 1,000 as a group's batches are. The rate is printed per million events.
// With --prune-window S, GroupStore also prunes as a group's runtime does: after each batch,
// one transaction deleting at most 5,000 keys older than S seconds of event time; a window of
// N / rate seconds keeps N rows at steady state (2,000 s: 10M rows at 5,000 events/s).
//
//   logdeck_dedup_bench [--events N] [--rate EVENTS_PER_S] [--cache-kib K] [--only WHICH]
//                       [--prune-window SECONDS] [--json]

#include "store/database.h"
#include "store/group_store.h"

#include <QTemporaryDir>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sqlite3.h>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace logdeck;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kReportEvery = 1'000'000;
constexpr std::int64_t kBatch = 1'000;
constexpr int kTenants = 100;
constexpr std::size_t kRecent = 10'000; ///< duplicates re-send one of the last 10,000 events
constexpr std::int64_t kStartMs = 1'767'226'620'000; ///< 2026-01-01T00:17:00Z

struct Options
{
    std::int64_t events = 10'000'000;
    std::int64_t eventsPerSecond = 5'000; ///< of event time
    std::int64_t cacheKib = 0; ///< 0: the store's own setting
    std::string only; ///< "group", "naive" or both
    std::int64_t pruneWindowSeconds = 0; ///< of event time; 0: no pruning
    bool json = false;
};

/// Keys pruned per transaction, as GroupRuntime does (kPruneChunk there).
constexpr std::int64_t kPruneChunk = 5'000;

struct Event
{
    std::string tenant;
    std::string id;
    std::int64_t occurredAtMs = 0;
};

/// The events of one run, the same for every variant: a seeded generator, so the variants
/// insert identical keys in identical order.
class EventStream
{
public:
    explicit EventStream(std::int64_t eventsPerSecond)
        : m_eventsPerSecond(eventsPerSecond)
    {
        for (int t = 0; t < kTenants; ++t) {
            std::array<char, 16> name {};
            std::snprintf(name.data(), name.size(), "tenant-%02d", t);
            m_tenants.emplace_back(name.data());
        }
        m_recent.reserve(kRecent);
    }

    /// The next event and whether it re-sends an earlier one.
    std::pair<const Event &, bool> next()
    {
        const bool duplicate = !m_recent.empty() && m_random() % 100 == 0;
        if (duplicate) {
            return {m_recent[m_random() % m_recent.size()], true};
        }
        Event event;
        event.tenant = m_tenants[m_random() % m_tenants.size()];
        event.id = uuid4();
        // A live stream: event time advances steadily, give or take two seconds of skew.
        const auto jitter = static_cast<std::int64_t>(m_random() % 4'001) - 2'000;
        event.occurredAtMs = kStartMs + m_sequence * 1'000 / m_eventsPerSecond + jitter;
        ++m_sequence;
        if (m_recent.size() < kRecent) {
            m_recent.push_back(std::move(event));
            return {m_recent.back(), false};
        }
        Event &slot = m_recent[m_next];
        m_next = (m_next + 1) % kRecent;
        slot = std::move(event);
        return {slot, false};
    }

private:
    std::string uuid4()
    {
        static constexpr char kHex[] = "0123456789abcdef";
        std::array<std::uint64_t, 2> words {m_random(), m_random()};
        std::array<unsigned char, 16> bytes {};
        std::memcpy(bytes.data(), words.data(), bytes.size());
        bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
        bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
        std::string text;
        text.reserve(36);
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10) {
                text += '-';
            }
            text += kHex[bytes[i] >> 4];
            text += kHex[bytes[i] & 0x0f];
        }
        return text;
    }

    std::mt19937_64 m_random {20260101};
    std::int64_t m_eventsPerSecond;
    std::int64_t m_sequence = 0;
    std::vector<std::string> m_tenants;
    std::vector<Event> m_recent;
    std::size_t m_next = 0;
};

struct Interval
{
    std::int64_t throughEvents = 0;
    double eventsPerSecond = 0;
};

struct RunResult
{
    std::string name;
    std::vector<Interval> intervals;
    double overallEventsPerSecond = 0;
    std::int64_t duplicatesSent = 0;
    std::int64_t duplicatesFound = 0;
    std::uintmax_t fileBytes = 0;
    std::int64_t prunedKeys = 0;
    double pruneSeconds = 0; ///< in prune transactions, included in the rates above
    double slowestPruneMs = 0;
    std::int64_t rowsAtEnd = 0;
    std::string error;
};

/// Marks one event processed; true when it was new.
using MarkFn = std::function<Result<bool>(const Event &)>;
/// Runs between batches (pruning); may fail.
using AfterBatchFn = std::function<Result<void>(RunResult &)>;

RunResult run(const std::string &name, store::Database &db, const MarkFn &mark,
              const Options &options, const AfterBatchFn &afterBatch = {})
{
    RunResult result;
    result.name = name;
    EventStream stream(options.eventsPerSecond);
    const auto start = Clock::now();
    auto intervalStart = start;
    std::int64_t done = 0;
    while (done < options.events) {
        auto transaction = store::Transaction::begin(db);
        if (!transaction) {
            result.error = transaction.error().message;
            return result;
        }
        const std::int64_t end = std::min(done + kBatch, options.events);
        for (; done < end; ++done) {
            const auto [event, duplicate] = stream.next();
            auto marked = mark(event);
            if (!marked) {
                result.error = marked.error().message;
                return result;
            }
            result.duplicatesSent += duplicate ? 1 : 0;
            result.duplicatesFound += *marked ? 0 : 1;
        }
        if (auto committed = transaction->commit(); !committed) {
            result.error = committed.error().message;
            return result;
        }
        if (afterBatch) {
            if (auto after = afterBatch(result); !after) {
                result.error = after.error().message;
                return result;
            }
        }
        if (done % kReportEvery == 0 || done == options.events) {
            const auto now = Clock::now();
            const std::int64_t count =
                done - (result.intervals.empty() ? 0 : result.intervals.back().throughEvents);
            const double seconds = std::chrono::duration<double>(now - intervalStart).count();
            result.intervals.push_back({done, static_cast<double>(count) / seconds});
            std::fprintf(stderr, "%-12s %6.1fM events: %9.0f events/s\n", name.c_str(),
                         static_cast<double>(done) / 1e6, result.intervals.back().eventsPerSecond);
            intervalStart = now;
        }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    result.overallEventsPerSecond = static_cast<double>(options.events) / seconds;
    return result;
}

RunResult failed(std::string name, std::string error)
{
    RunResult result;
    result.name = std::move(name);
    result.error = std::move(error);
    return result;
}

std::uintmax_t fileBytes(const std::string &path)
{
    std::uintmax_t total = 0;
    for (const std::string &file : {path, path + "-wal"}) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(file, ec);
        total += ec ? 0 : size;
    }
    return total;
}

Result<std::unique_ptr<store::Database>> openDatabase(const std::string &path,
                                                      const Options &options)
{
    auto db = store::Database::open(path);
    if (db && options.cacheKib > 0) {
        if (auto set = (*db)->exec("PRAGMA cache_size=-" + std::to_string(options.cacheKib));
            !set) {
            return fail(set.error());
        }
    }
    return db;
}

RunResult runGroupStore(const std::string &dir, const Options &options)
{
    const std::string path = store::GroupStore::pathFor(dir, "bench");
    auto db = openDatabase(path, options);
    if (!db) {
        return failed("GroupStore", db.error().message);
    }
    store::GroupStore groupStore(**db, "bench");
    std::int64_t latestMs = 0;
    AfterBatchFn prune;
    if (options.pruneWindowSeconds > 0) {
        prune = [&](RunResult &result) -> Result<void> {
            const auto start = Clock::now();
            auto transaction = store::Transaction::begin(**db);
            if (!transaction) {
                return fail(transaction.error());
            }
            auto pruned = groupStore.pruneProcessedBefore(
                latestMs - options.pruneWindowSeconds * 1000, kPruneChunk);
            if (!pruned) {
                return fail(pruned.error());
            }
            if (auto committed = transaction->commit(); !committed) {
                return fail(committed.error());
            }
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
            result.prunedKeys += *pruned;
            result.pruneSeconds += ms / 1000;
            result.slowestPruneMs = std::max(result.slowestPruneMs, ms);
            return {};
        };
    }
    RunResult result = run(
        options.pruneWindowSeconds > 0 ? "GroupStore pruning" : "GroupStore", **db,
        [&](const Event &event) {
            latestMs = event.occurredAtMs;
            return groupStore.markProcessed(event.tenant, event.id, event.occurredAtMs);
        },
        options, prune);
    result.fileBytes = fileBytes(path);
    result.rowsAtEnd = groupStore.processedCount().value_or(-1);
    return result;
}

/// The baseline: one unique index on (tenant, event_id), so random ids land anywhere in it.
RunResult runNaive(const std::string &dir, const Options &options)
{
    const std::string path = dir + "/naive.db";
    auto db = openDatabase(path, options);
    if (!db) {
        return failed("unique index", db.error().message);
    }
    if (auto created = (*db)->exec("CREATE TABLE naive(tenant TEXT NOT NULL, event_id TEXT NOT "
                                   "NULL, UNIQUE(tenant, event_id))");
        !created) {
        return failed("unique index", created.error().message);
    }
    sqlite3 *handle = (*db)->handle();
    sqlite3_stmt *insert = nullptr;
    constexpr std::string_view sql = "INSERT OR IGNORE INTO naive(tenant, event_id) VALUES(?1, ?2)";
    if (sqlite3_prepare_v3(handle, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &insert, nullptr)
        != SQLITE_OK) {
        return failed("unique index", sqlite3_errmsg(handle));
    }
    RunResult result = run(
        "unique index", **db,
        [&](const Event &event) -> Result<bool> {
            sqlite3_bind_text(insert, 1, event.tenant.data(), static_cast<int>(event.tenant.size()),
                              SQLITE_STATIC);
            sqlite3_bind_text(insert, 2, event.id.data(), static_cast<int>(event.id.size()),
                              SQLITE_STATIC);
            const int rc = sqlite3_step(insert);
            sqlite3_reset(insert);
            if (rc != SQLITE_DONE) {
                return fail(Error::io(std::string("insert failed: ") + sqlite3_errmsg(handle)));
            }
            return sqlite3_changes(handle) == 1;
        },
        options);
    sqlite3_finalize(insert);
    result.fileBytes = fileBytes(path);
    return result;
}

bool parseCount(std::string_view text, std::int64_t &value)
{
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() && value > 0;
}

int usage()
{
    std::fprintf(stderr,
                 "usage: logdeck_dedup_bench [--events N] [--rate EVENTS_PER_S] "
                 "[--cache-kib K] [--only group|naive] [--prune-window S] [--json]\n"
                 "  --events N        events per variant (default 10000000)\n"
                 "  --rate R          events per second of event time (default 5000)\n"
                 "  --cache-kib K     override the page cache (default: the store's)\n"
                 "  --only WHICH      run one variant: group (GroupStore) or naive\n"
                 "  --prune-window S  GroupStore prunes keys older than S s of event time\n"
                 "  --json            print the result as JSON\n");
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool hasValue = i + 1 < argc;
        if (arg == "--json") {
            options.json = true;
        } else if (arg == "--events" && hasValue) {
            if (!parseCount(argv[++i], options.events)) {
                return usage();
            }
        } else if (arg == "--rate" && hasValue) {
            if (!parseCount(argv[++i], options.eventsPerSecond)) {
                return usage();
            }
        } else if (arg == "--cache-kib" && hasValue) {
            if (!parseCount(argv[++i], options.cacheKib)) {
                return usage();
            }
        } else if (arg == "--prune-window" && hasValue) {
            if (!parseCount(argv[++i], options.pruneWindowSeconds)) {
                return usage();
            }
        } else if (arg == "--only" && hasValue) {
            options.only = argv[++i];
            if (options.only != "group" && options.only != "naive") {
                return usage();
            }
        } else {
            return usage();
        }
    }

    QTemporaryDir dir;
    if (!dir.isValid()) {
        std::fprintf(stderr, "cannot create a temporary directory\n");
        return 1;
    }
    const std::string dirPath = dir.path().toStdString();
    std::vector<RunResult> results;
    if (options.only != "naive") {
        results.push_back(runGroupStore(dirPath, options));
    }
    if (options.only != "group") {
        results.push_back(runNaive(dirPath, options));
    }

    int status = 0;
    nlohmann::json json = {{"events", options.events},
                           {"eventTimeRatePerSecond", options.eventsPerSecond},
                           {"batch", kBatch},
                           {"runs", nlohmann::json::array()}};
    for (const RunResult &result : results) {
        if (!result.error.empty()) {
            std::fprintf(stderr, "%s: %s\n", result.name.c_str(), result.error.c_str());
            status = 1;
        } else if (result.duplicatesFound != result.duplicatesSent) {
            std::fprintf(stderr, "%s: %lld duplicates sent but %lld found\n", result.name.c_str(),
                         static_cast<long long>(result.duplicatesSent),
                         static_cast<long long>(result.duplicatesFound));
            status = 1;
        }
        nlohmann::json intervals = nlohmann::json::array();
        for (const Interval &interval : result.intervals) {
            intervals.push_back({{"throughEvents", interval.throughEvents},
                                 {"eventsPerSecond", interval.eventsPerSecond}});
        }
        json["runs"].push_back({{"name", result.name},
                                {"intervals", intervals},
                                {"overallEventsPerSecond", result.overallEventsPerSecond},
                                {"duplicatesSent", result.duplicatesSent},
                                {"duplicatesFound", result.duplicatesFound},
                                {"fileBytes", result.fileBytes},
                                {"prunedKeys", result.prunedKeys},
                                {"pruneSeconds", result.pruneSeconds},
                                {"slowestPruneMs", result.slowestPruneMs},
                                {"rowsAtEnd", result.rowsAtEnd},
                                {"error", result.error}});
    }
    if (options.json) {
        std::printf("%s\n", json.dump(2).c_str());
        return status;
    }
    std::printf("%lld events per variant, %lld events/s of event time, transactions of %lld\n",
                static_cast<long long>(options.events),
                static_cast<long long>(options.eventsPerSecond), static_cast<long long>(kBatch));
    for (const RunResult &result : results) {
        std::printf("\n%s (%.0f MiB on disk, %lld duplicates found of %lld sent)\n",
                    result.name.c_str(), static_cast<double>(result.fileBytes) / (1 << 20),
                    static_cast<long long>(result.duplicatesFound),
                    static_cast<long long>(result.duplicatesSent));
        for (const Interval &interval : result.intervals) {
            std::printf("  through %6.1fM: %9.0f events/s\n",
                        static_cast<double>(interval.throughEvents) / 1e6,
                        interval.eventsPerSecond);
        }
        std::printf("  overall:        %9.0f events/s\n", result.overallEventsPerSecond);
        if (result.prunedKeys > 0) {
            std::printf("  pruned %lld keys in %.1f s (slowest transaction %.1f ms); %lld rows "
                        "held at the end\n",
                        static_cast<long long>(result.prunedKeys), result.pruneSeconds,
                        result.slowestPruneMs, static_cast<long long>(result.rowsAtEnd));
        }
    }
    return status;
}
