// The four shipped processors: analytics (per-minute rollups), persister (the event index),
// enrichment (device and country, republished to events.enriched) and fraud (click bursts).
// Each writes only to its own group's database, inside the runtime's transaction.

#include "common/json_depth.h"
#include "common/log.h"
#include "common/time_format.h"
#include "consume/processor.h"
#include "store/database.h"
#include "store/sqlite_support.h"

#include <algorithm>
#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace logdeck::consume {

namespace {

using Step = store::detail::Statement::Step;

constexpr std::int64_t kMinuteMs = 60'000;

/// The click-burst rule: this many clicks from one subject within one window raise an alert.
constexpr std::int64_t kClickBurstThreshold = 50;
constexpr std::int64_t kClickBurstWindowMs = 10'000;
constexpr std::string_view kClickBurstRule = "click-burst";

constexpr std::string_view kEnrichedTopic = "events.enriched";

/// `ms` floored to a multiple of `size` (also before 1970).
std::int64_t floorTo(std::int64_t ms, std::int64_t size)
{
    const std::int64_t remainder = ms % size;
    return ms - (remainder < 0 ? remainder + size : remainder);
}

/// Mixes `value` into `seed` (boost::hash_combine's recipe).
void combine(std::size_t &seed, std::size_t value)
{
    seed ^= value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
}

/// A batch that processed every event and produced nothing downstream.
BatchResult allProcessed(std::size_t count)
{
    BatchResult result;
    result.failures.resize(count);
    return result;
}

/// Statements prepared once and reused for every batch (SQLite's persistent statements).
/// A processor serves one group's connection; handed another, it prepares them again.
class StatementCache
{
public:
    Result<store::detail::Statement *> get(store::Database &db, std::size_t slot,
                                           std::string_view sql)
    {
        if (db.handle() != m_connection) {
            // Finalizing lets a connection that was closed meanwhile finish closing.
            m_slots = {};
            m_connection = db.handle();
        }
        auto &statement = m_slots.at(slot);
        if (!statement) {
            auto prepared = store::detail::Statement::prepare(db.handle(), sql, true);
            if (!prepared) {
                return fail(prepared.error());
            }
            statement.emplace(std::move(*prepared));
        }
        return &*statement;
    }

private:
    sqlite3 *m_connection = nullptr;
    std::array<std::optional<store::detail::Statement>, 2> m_slots;
};

/// Makes a batch's writes all or nothing inside the caller's transaction: if process()
/// fails half-way, what it wrote is undone even if the caller were to commit anyway.
class Savepoint
{
public:
    static Result<Savepoint> begin(store::Database &db)
    {
        if (auto begun = db.exec("SAVEPOINT logdeck_processor"); !begun) {
            return fail(begun.error());
        }
        return Savepoint(db);
    }

    Savepoint(Savepoint &&other) noexcept
        : m_db(std::exchange(other.m_db, nullptr))
    {
    }
    Savepoint &operator=(Savepoint &&) = delete;
    Savepoint(const Savepoint &) = delete;
    Savepoint &operator=(const Savepoint &) = delete;

    ~Savepoint()
    {
        if (m_db == nullptr) {
            return;
        }
        // Fails when SQLite already rolled back the whole transaction (a full disk), which
        // undid the batch's writes too.
        if (auto undone = m_db->exec("ROLLBACK TO logdeck_processor; RELEASE logdeck_processor");
            !undone) {
            log::debug("processor.savepoint_rollback_failed", {{"error", undone.error().message}});
        }
    }

    Result<void> release()
    {
        auto released = m_db->exec("RELEASE logdeck_processor");
        if (released) {
            m_db = nullptr;
        }
        return released;
    }

private:
    explicit Savepoint(store::Database &db)
        : m_db(&db)
    {
    }

    store::Database *m_db;
};

/// Counts of equal keys within one batch. Keys view the batch's events, so a batch costs
/// one allocation per distinct key, not per event; the table is emptied before process()
/// returns and its buckets are reused by the next batch.
template<typename Key, typename Hash>
class BatchCounter
{
public:
    void add(const Key &key) { ++m_counts[key]; }

    /// The counts sorted by key (neighbouring B-tree pages for the upserts), and the table
    /// emptied.
    const std::vector<std::pair<Key, std::int64_t>> &takeSorted()
    {
        m_sorted.assign(m_counts.begin(), m_counts.end());
        m_counts.clear();
        std::ranges::sort(m_sorted, {}, &std::pair<Key, std::int64_t>::first);
        return m_sorted;
    }

    void clear()
    {
        m_counts.clear();
        m_sorted.clear();
    }

private:
    std::unordered_map<Key, std::int64_t, Hash> m_counts;
    std::vector<std::pair<Key, std::int64_t>> m_sorted;
};

// ---- analytics ----------------------------------------------------------------------------

struct RollupKey
{
    std::string_view tenant;
    std::string_view campaignId;
    std::string_view type;
    std::int64_t minuteMs = 0;
    auto operator<=>(const RollupKey &) const = default;
};

struct RollupKeyHash
{
    std::size_t operator()(const RollupKey &key) const
    {
        const std::hash<std::string_view> text;
        std::size_t seed = text(key.tenant);
        combine(seed, text(key.campaignId));
        combine(seed, text(key.type));
        combine(seed, std::hash<std::int64_t> {}(key.minuteMs));
        return seed;
    }
};

/// The end of a counting processor's batch: writes the counter's sorted counts (if any)
/// with `write`, empties the counter and reports every event processed.
template<typename Counter, typename Write>
Result<BatchResult> flushCounts(Counter &counter, std::size_t events, const Write &write)
{
    const auto &counts = counter.takeSorted();
    auto written = counts.empty() ? Result<void>() : write(counts);
    counter.clear();
    if (!written) {
        return fail(written.error());
    }
    return allProcessed(events);
}

/// Deletes `tenant`'s rows of `table` whose `timeColumn` is `fromMs` or later: forgetFrom()
/// of the processors, whose tables are all keyed by tenant and event time.
Result<void> deleteFrom(store::Database &db, const std::string &table,
                        const std::string &timeColumn, const std::string &tenant,
                        std::int64_t fromMs)
{
    auto remove = store::detail::Statement::prepare(
        db.handle(), "DELETE FROM " + table + " WHERE tenant = ?1 AND " + timeColumn + " >= ?2");
    if (!remove) {
        return fail(remove.error());
    }
    remove->bindText(1, tenant).bindInt64(2, fromMs);
    if (auto done = remove->step("cannot delete from " + table + " for a rebuild"); !done) {
        return fail(done.error());
    }
    return {};
}

/// Counts events per tenant, campaign, type and minute of occurredAt (table `rollups`).
class AnalyticsProcessor final : public Processor
{
public:
    std::string_view name() const override { return "analytics"; }

    Result<BatchResult> process(std::span<const Event> events, store::Database &db) override
    {
        for (const Event &event : events) {
            m_counter.add({event.tenant, event.campaignId, event.type,
                           floorTo(event.occurredAtMs, kMinuteMs)});
        }
        return flushCounts(m_counter, events.size(),
                           [&](const auto &counts) { return write(counts, db); });
    }

    Result<void> forgetFrom(store::Database &db, const std::string &tenant,
                            std::int64_t fromMs) override
    {
        return deleteFrom(db, "rollups", "minute_ms", tenant, fromMs);
    }

private:
    Result<void> write(const std::vector<std::pair<RollupKey, std::int64_t>> &counts,
                       store::Database &db)
    {
        auto upsert = m_statements.get(db, 0, R"sql(
            INSERT INTO rollups(tenant, campaign_id, type, minute_ms, count)
            VALUES(?1, ?2, ?3, ?4, ?5)
            ON CONFLICT(tenant, campaign_id, type, minute_ms)
            DO UPDATE SET count = count + excluded.count)sql");
        if (!upsert) {
            return fail(upsert.error());
        }
        auto savepoint = Savepoint::begin(db);
        if (!savepoint) {
            return fail(savepoint.error());
        }
        for (const auto &[key, count] : counts) {
            (*upsert)
                ->bindTextView(1, key.tenant)
                .bindTextView(2, key.campaignId)
                .bindTextView(3, key.type)
                .bindInt64(4, key.minuteMs)
                .bindInt64(5, count);
            if (auto done = (*upsert)->step("cannot update the analytics rollups"); !done) {
                return fail(done.error());
            }
        }
        return savepoint->release();
    }

    StatementCache m_statements;
    BatchCounter<RollupKey, RollupKeyHash> m_counter;
};

// ---- persister ----------------------------------------------------------------------------

/// Indexes every event with its Kafka position and payload (table `events`). A redelivery
/// that the dedup window missed keeps the first row.
class PersisterProcessor final : public Processor
{
public:
    std::string_view name() const override { return "persister"; }

    Result<BatchResult> process(std::span<const Event> events, store::Database &db) override
    {
        auto insert = m_statements.get(db, 0, R"sql(
            INSERT OR IGNORE INTO events(tenant, event_id, type, campaign_id, occurred_at_ms,
                                         received_at_ms, topic, partition, offset, payload)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10))sql");
        if (!insert) {
            return fail(insert.error());
        }
        auto savepoint = Savepoint::begin(db);
        if (!savepoint) {
            return fail(savepoint.error());
        }
        // In primary-key order the inserts walk the index instead of jumping between
        // tenants. The sort is stable, so of two copies in one batch the first still wins.
        m_order.resize(events.size());
        for (std::size_t i = 0; i < events.size(); ++i) {
            m_order[i] = &events[i];
        }
        std::ranges::stable_sort(m_order, [](const Event *a, const Event *b) {
            return std::tie(a->tenant, a->occurredAtMs, a->eventId)
                < std::tie(b->tenant, b->occurredAtMs, b->eventId);
        });
        static const kafka::ConsumedRecord kNoRecord;
        for (const Event *next : m_order) {
            const Event &event = *next;
            const kafka::ConsumedRecord &record =
                event.record != nullptr ? *event.record : kNoRecord;
            // The event and its record outlive the step: bound without copies.
            (*insert)
                ->bindTextView(1, event.tenant)
                .bindTextView(2, event.eventId)
                .bindTextView(3, event.type)
                .bindTextView(4, event.campaignId)
                .bindInt64(5, event.occurredAtMs)
                .bindInt64(6, event.receivedAtMs)
                .bindTextView(7, record.topic)
                .bindInt64(8, record.partition)
                .bindInt64(9, record.offset)
                .bindTextView(10, record.value);
            if (auto done = (*insert)->step("cannot store an event in the event index"); !done) {
                return fail(done.error());
            }
        }
        if (auto released = savepoint->release(); !released) {
            return fail(released.error());
        }
        return allProcessed(events.size());
    }

    Result<void> forgetFrom(store::Database &db, const std::string &tenant,
                            std::int64_t fromMs) override
    {
        return deleteFrom(db, "events", "occurred_at_ms", tenant, fromMs);
    }

private:
    StatementCache m_statements;
    std::vector<const Event *> m_order; ///< reused from batch to batch
};

// ---- enrichment ---------------------------------------------------------------------------

const std::string *attribute(const Event &event, const std::string &name)
{
    const auto found = event.attributes.find(name);
    return found != event.attributes.end() && !found->second.empty() ? &found->second : nullptr;
}

bool contains(const std::string &text, std::string_view part)
{
    return text.find(part) != std::string::npos;
}

/// The "device" attribute (lower-cased), else a guess from "userAgent", else "unknown".
/// Tablets are checked first because an iPad's user agent also says "Mobile".
std::string deviceOf(const Event &event)
{
    static const std::string kDevice = "device";
    static const std::string kUserAgent = "userAgent";
    if (const std::string *device = attribute(event, kDevice)) {
        std::string lower = *device;
        std::ranges::transform(lower, lower.begin(), [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        });
        return lower;
    }
    const std::string *agent = attribute(event, kUserAgent);
    if (agent == nullptr) {
        return "unknown";
    }
    if (contains(*agent, "iPad") || contains(*agent, "Tablet")) {
        return "tablet";
    }
    if (contains(*agent, "Mobile") || contains(*agent, "Android") || contains(*agent, "iPhone")) {
        return "mobile";
    }
    return "desktop";
}

/// The "country" attribute upper-cased when it is two ASCII letters, else "ZZ" (unknown).
std::string countryOf(const Event &event)
{
    static const std::string kCountry = "country";
    const std::string *country = attribute(event, kCountry);
    const auto isLetter = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    };
    if (country == nullptr || country->size() != 2 || !std::ranges::all_of(*country, isLetter)) {
        return "ZZ";
    }
    std::string upper = *country;
    std::ranges::transform(upper, upper.begin(), [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    return upper;
}

/// Adds "enriched": {"device", "country"} to each event and publishes it to
/// events.enriched, keyed by tenant. Writes nothing to its database.
class EnrichmentProcessor final : public Processor
{
public:
    std::string_view name() const override { return "enrichment"; }

    /// Enrichment keeps nothing of its own: a replay publishes its outputs again, and
    /// readers of events.enriched deduplicate by event id.
    Result<void> forgetFrom(store::Database &, const std::string &, std::int64_t) override
    {
        return {};
    }

    Result<BatchResult> process(std::span<const Event> events, store::Database &) override
    {
        BatchResult result;
        result.failures.resize(events.size());
        result.outputs.reserve(events.size());
        for (std::size_t i = 0; i < events.size(); ++i) {
            const Event &event = events[i];
            kafka::OutgoingRecord output;
            if (!enrichedValue(event, output.value)) {
                result.failures[i] = failureOf(error_class::kSchemaError, notAnObject(event));
                continue;
            }
            output.topic = kEnrichedTopic;
            output.key = event.tenant;
            output.timestampMs = event.receivedAtMs; // as on events.raw, not the retry's time
            output.headers.reserve(kCopiedHeaders.size() + 1);
            for (const std::string_view headerName : kCopiedHeaders) {
                const auto header =
                    std::ranges::find(event.record->headers, headerName, &kafka::Header::name);
                if (header != event.record->headers.end()) {
                    output.headers.push_back(*header);
                }
            }
            output.headers.push_back({"enriched-by", "logdeck"});
            result.outputs.push_back(std::move(output));
        }
        return result;
    }

private:
    /// The input's value with "enriched": {"device", "country"} added; false when the value
    /// is not a JSON object.
    static bool enrichedValue(const Event &event, std::string &out)
    {
        if (event.record == nullptr) {
            return false;
        }
        const std::string &input = event.record->value;
        const std::string device = deviceOf(event);
        const std::string country = countryOf(event);
        // The collector's compact form: what the JSON path below would write is the input
        // with the member appended before the closing brace, so it is spliced in without
        // parsing and serializing the value.
        if (isPlainText(device) && isPlainText(country) && isCompactEventValue(input)
            && input.find("\"enriched\"") == std::string::npos) {
            out.reserve(input.size() + 48 + device.size());
            out.append(input, 0, input.size() - 1);
            if (input.size() > 2) {
                out += ',';
            }
            out.append("\"enriched\":{\"device\":\"")
                .append(device)
                .append("\",\"country\":\"")
                .append(country)
                .append("\"}}");
            return true;
        }
        // ordered_json keeps the producer's key order, so the output reads like the input;
        // dump() recurses, hence the depth bound.
        if (jsonNestingDepth(input) > kMaxJsonDepth) {
            return false;
        }
        nlohmann::ordered_json value = nlohmann::ordered_json::parse(input, nullptr, false);
        if (!value.is_object()) {
            return false;
        }
        value["enriched"] = {{"device", device}, {"country", country}};
        out = value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
        return true;
    }

    /// Text that JSON writes as it is: printable ASCII without quotes or backslashes.
    static bool isPlainText(std::string_view text)
    {
        return std::ranges::all_of(
            text, [](char c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; });
    }

    /// The record contract's headers; retry and dead-letter headers of the input stay behind.
    static constexpr std::array<std::string_view, 4> kCopiedHeaders = {
        "event-id", "tenant-id", "content-type", "received-at"};

    static std::string notAnObject(const Event &event)
    {
        std::string where = event.record != nullptr
            ? event.record->topic + "/" + std::to_string(event.record->partition) + "@"
                + std::to_string(event.record->offset)
            : std::string("an unknown position");
        return "the record value at " + where
            + " is not a JSON object; the collector writes only objects, so another producer "
              "wrote this record";
    }
};

// ---- fraud --------------------------------------------------------------------------------

struct WindowKey
{
    std::string_view tenant;
    std::string_view subject;
    std::int64_t windowStartMs = 0;
    auto operator<=>(const WindowKey &) const = default;
};

struct WindowKeyHash
{
    std::size_t operator()(const WindowKey &key) const
    {
        const std::hash<std::string_view> text;
        std::size_t seed = text(key.tenant);
        combine(seed, text(key.subject));
        combine(seed, std::hash<std::int64_t> {}(key.windowStartMs));
        return seed;
    }
};

/// The click-burst rule: counts clicks per tenant and subject (the "source" attribute,
/// else "ip", else "unknown") per 10-second window of occurredAt in `fraud_counters`, and
/// raises one `fraud_alerts` row when a window reaches kClickBurstThreshold.
class FraudProcessor final : public Processor
{
public:
    std::string_view name() const override { return "fraud"; }

    Result<BatchResult> process(std::span<const Event> events, store::Database &db) override
    {
        count(events);
        return flushCounts(m_counter, events.size(),
                           [&](const auto &counts) { return write(counts, db); });
    }

    Result<void> forgetFrom(store::Database &db, const std::string &tenant,
                            std::int64_t fromMs) override
    {
        auto counters = deleteFrom(db, "fraud_counters", "window_start_ms", tenant, fromMs);
        if (!counters) {
            return counters;
        }
        return deleteFrom(db, "fraud_alerts", "window_start_ms", tenant, fromMs);
    }

private:
    /// Adds the batch's clicks to m_counter, per tenant, subject and window.
    void count(std::span<const Event> events)
    {
        static const std::string kSource = "source";
        static const std::string kIp = "ip";
        for (const Event &event : events) {
            if (event.type != "click") {
                continue;
            }
            const std::string *subject = attribute(event, kSource);
            if (subject == nullptr) {
                subject = attribute(event, kIp);
            }
            // A view of the event's own text: the key must not outlive what it points at.
            const std::string_view subjectText =
                subject != nullptr ? std::string_view(*subject) : std::string_view("unknown");
            m_counter.add(
                {event.tenant, subjectText, floorTo(event.occurredAtMs, kClickBurstWindowMs)});
        }
    }

    Result<void> write(const std::vector<std::pair<WindowKey, std::int64_t>> &counts,
                       store::Database &db)
    {
        auto upsert = m_statements.get(db, 0, R"sql(
            INSERT INTO fraud_counters(tenant, subject, window_start_ms, count)
            VALUES(?1, ?2, ?3, ?4)
            ON CONFLICT(tenant, subject, window_start_ms)
            DO UPDATE SET count = count + excluded.count
            RETURNING count)sql");
        if (!upsert) {
            return fail(upsert.error());
        }
        auto alert = m_statements.get(db, 1, R"sql(
            INSERT OR IGNORE INTO fraud_alerts(tenant, rule, subject, window_start_ms, count,
                                               created_at_ms)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6))sql");
        if (!alert) {
            return fail(alert.error());
        }
        auto savepoint = Savepoint::begin(db);
        if (!savepoint) {
            return fail(savepoint.error());
        }
        for (const auto &[key, added] : counts) {
            (*upsert)
                ->bindText(1, key.tenant)
                .bindText(2, key.subject)
                .bindInt64(3, key.windowStartMs)
                .bindInt64(4, added);
            auto row = (*upsert)->step("cannot update the fraud counters");
            if (!row) {
                return fail(row.error());
            }
            const std::int64_t total = *row == Step::Row ? (*upsert)->columnInt64(0) : added;
            if (*row == Step::Row) {
                if (auto done = (*upsert)->step("cannot update the fraud counters"); !done) {
                    return fail(done.error());
                }
            }
            // Only the batch that crosses the threshold raises the alert; the unique key
            // keeps a replay of that batch from raising it twice.
            if (total < kClickBurstThreshold || total - added >= kClickBurstThreshold) {
                continue;
            }
            (*alert)
                ->bindText(1, key.tenant)
                .bindText(2, kClickBurstRule)
                .bindText(3, key.subject)
                .bindInt64(4, key.windowStartMs)
                .bindInt64(5, total)
                .bindInt64(6, nowMillis());
            if (auto done = (*alert)->step("cannot record a fraud alert"); !done) {
                return fail(done.error());
            }
        }
        return savepoint->release();
    }

    StatementCache m_statements;
    BatchCounter<WindowKey, WindowKeyHash> m_counter;
};

} // namespace

std::unique_ptr<Processor> makeProcessor(std::string_view group)
{
    if (group == "analytics") {
        return std::make_unique<AnalyticsProcessor>();
    }
    if (group == "persister") {
        return std::make_unique<PersisterProcessor>();
    }
    if (group == "enrichment") {
        return std::make_unique<EnrichmentProcessor>();
    }
    if (group == "fraud") {
        return std::make_unique<FraudProcessor>();
    }
    return nullptr;
}

std::vector<std::string> knownProcessors()
{
    return {"analytics", "persister", "enrichment", "fraud"};
}

} // namespace logdeck::consume
