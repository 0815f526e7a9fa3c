#include "consume/group_runtime.h"

#include "common/json_depth.h"
#include "common/log.h"
#include "common/numbers.h"
#include "common/thread_name.h"
#include "common/time_format.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/producer.h"
#include "kafka/record_headers.h"
#include "kafka/topic_catalog.h"
#include "store/database.h"
#include "store/group_store.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <span>
#include <thread>

namespace logdeck::consume {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using kafka::TopicPartition;

constexpr std::chrono::seconds kAckTimeout {30};
constexpr std::chrono::seconds kFailureBackoff {1};
constexpr std::chrono::milliseconds kKafkaCommitInterval {500};
// Dedup keys pruned per transaction: a few milliseconds of the group's thread, so a large
// backlog (a first pass over months of keys) never holds batches up for long.
constexpr std::int64_t kPruneChunk = 5000;

/// The offsets Kafka holds for `options.group` on its source topic (empty when none).
Result<std::vector<kafka::TopicPartitionOffset>> kafkaOffsetsOf(const GroupOptions &options)
{
    auto admin = kafka::AdminClient::create(options.kafka);
    if (!admin) {
        return fail(admin.error());
    }
    auto counts = (*admin)->partitionCounts(std::chrono::seconds(10));
    if (!counts) {
        return fail(counts.error());
    }
    std::vector<TopicPartition> partitions;
    if (const auto it = counts->find(options.sourceTopic); it != counts->end()) {
        for (int p = 0; p < it->second; ++p) {
            partitions.push_back({options.sourceTopic, p});
        }
    }
    if (partitions.empty()) {
        return std::vector<kafka::TopicPartitionOffset> {};
    }
    return (*admin)->committedOffsets(options.group, std::chrono::seconds(10), partitions);
}

/// A store found empty (truncated to 0 bytes) while Kafka holds offsets for the group has
/// lost the group's state: resuming from Kafka's offsets would quietly start its counts
/// from zero. Refused unless the loss is accepted. A store that is missing altogether is
/// a data directory new to the group (a first start, or another engine joining): allowed,
/// and said at warning level when Kafka has offsets.
Result<void> checkStoreAgainstKafka(const GroupOptions &options, bool existed, bool empty)
{
    if (existed && !empty) {
        return {};
    }
    auto offsets = kafkaOffsetsOf(options);
    if (!offsets) {
        if (!empty) {
            return {}; // a new store: nothing to lose, whatever Kafka holds
        }
        return fail(Error::unavailable("group '" + options.group + "': its store is empty and "
                                       "Kafka's offsets for the group cannot be read ("
                                       + offsets.error().message + "); not starting it"));
    }
    if (offsets->empty()) {
        return {};
    }
    const std::string path = store::GroupStore::pathFor(options.dataDir, options.group);
    if (!empty) {
        log::warn("group.new_store", {{"group", options.group},
                                      {"store", path},
                                      {"note", "this data directory has no state for the group: "
                                               "it starts from the group's offsets in Kafka"}});
        return {};
    }
    if (options.acceptStateLoss) {
        log::warn("group.state_loss_accepted",
                  {{"group", options.group}, {"store", path},
                   {"note", "the store was empty; going on from Kafka's offsets"}});
        return {};
    }
    return fail(Error {
        Error::Code::StateLost,
        "group '" + options.group + "': its store " + path
            + " is empty (0 bytes) while Kafka holds committed offsets for the group, so its "
              "state (counts, dedup keys) is lost; not starting it. Either rebuild the state by "
              "replaying from the earliest offset: logdeck-cli groups reset-offsets --group "
            + options.group + " --topic " + options.sourceTopic + " --data " + options.dataDir
            + " --to-earliest --rebuild --execute; or accept the loss and go on from Kafka's "
              "offsets: run with --accept-state-loss "
            + options.group,
        false});
}

} // namespace

bool carriesPoisonMarker(const Event &event)
{
    const auto marker = event.attributes.find("logdeck.poison");
    return marker != event.attributes.end() && marker->second == "true";
}

bool isPermanentErrorClass(std::string_view errorClass)
{
    if (errorClass.starts_with(error_class::kQualifier)) {
        errorClass.remove_prefix(error_class::kQualifier.size());
    }
    return errorClass == error_class::kSchemaError || errorClass == error_class::kPoisonEvent;
}

Failure failureOf(std::string_view errorClass, std::string message)
{
    return Failure {isPermanentErrorClass(errorClass), std::string(errorClass), std::move(message)};
}

namespace {

/// Reads a record value of the form the collector writes without building a DOM (which cost
/// a map node and strings per field of every event, and nlohmann's lexer a few
/// nanoseconds per character): one object whose values are strings, and an "attributes"
/// object of strings, every string printable ASCII without escapes. scan() is false for
/// anything else (numbers, nested values, escapes, other bytes, a repeated "attributes",
/// invalid JSON), which parseEvent then parses as JSON: what scan() accepts is valid JSON
/// that both paths read alike (a repeated field: the last one wins).
class SimpleEventScanner
{
public:
    /// `compact`: also false for whitespace between tokens and for a name repeated within
    /// an object, so that what scan() accepts is exactly what nlohmann's ordered_json
    /// dump() writes for it.
    explicit SimpleEventScanner(std::string_view text, bool compact = false)
        : m_text(text)
        , m_compact(compact)
    {
    }

    std::string_view tenant;
    std::string_view id;
    std::string_view campaignId;
    std::string_view type;
    std::string_view occurredAt;
    std::string_view receivedAt;
    std::vector<std::pair<std::string_view, std::string_view>> attributes;

    bool scan()
    {
        bool sawAttributes = false;
        if (!object([&](std::string_view name) {
                if (name == "attributes") {
                    if (sawAttributes) {
                        return false;
                    }
                    sawAttributes = true;
                    return object([&](std::string_view attribute) {
                        std::string_view value;
                        if (!string(value)) {
                            return false;
                        }
                        attributes.emplace_back(attribute, value);
                        return true;
                    });
                }
                std::string_view value;
                if (!string(value)) {
                    return false;
                }
                if (name == "tenant") {
                    tenant = value;
                } else if (name == "id") {
                    id = value;
                } else if (name == "campaignId") {
                    campaignId = value;
                } else if (name == "type") {
                    type = value;
                } else if (name == "occurredAt") {
                    occurredAt = value;
                } else if (name == "receivedAt") {
                    receivedAt = value;
                }
                return true;
            })) {
            return false;
        }
        skipSpace();
        return m_pos == m_text.size();
    }

private:
    void skipSpace()
    {
        if (m_compact) {
            return; // a space is then not the expected token: scan() fails
        }
        while (m_pos < m_text.size()
               && (m_text[m_pos] == ' ' || m_text[m_pos] == '\n' || m_text[m_pos] == '\r'
                   || m_text[m_pos] == '\t')) {
            ++m_pos;
        }
    }

    bool consume(char c)
    {
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == c) {
            ++m_pos;
            return true;
        }
        return false;
    }

    bool string(std::string_view &value)
    {
        if (!consume('"')) {
            return false;
        }
        const std::size_t start = m_pos;
        for (; m_pos < m_text.size(); ++m_pos) {
            const auto c = static_cast<unsigned char>(m_text[m_pos]);
            if (c == '"') {
                value = m_text.substr(start, m_pos - start);
                ++m_pos;
                return true;
            }
            if (c < 0x20 || c > 0x7e || c == '\\') {
                return false;
            }
        }
        return false;
    }

    /// An object whose members `member` reads after their name and colon.
    template<typename Member>
    bool object(const Member &member)
    {
        if (!consume('{')) {
            return false;
        }
        if (consume('}')) {
            return true;
        }
        std::vector<std::string_view> names;
        do {
            std::string_view name;
            if (!string(name) || !consume(':')) {
                return false;
            }
            if (m_compact) {
                if (std::ranges::find(names, name) != names.end()) {
                    return false;
                }
                names.push_back(name);
            }
            if (!member(name)) {
                return false;
            }
        } while (consume(','));
        return consume('}');
    }

    std::string_view m_text;
    bool m_compact = false;
    std::size_t m_pos = 0;
};

/// parseEvent through a DOM: any valid JSON value that nests no deeper than kMaxJsonDepth
/// (dump() below recurses once per level).
bool parseEventDom(const kafka::ConsumedRecord &record, Event &event, std::string *problem)
{
    auto refuse = [problem](const char *why) {
        if (problem != nullptr) {
            *problem = why;
        }
        return false;
    };
    if (jsonNestingDepth(record.value) > kMaxJsonDepth) {
        return refuse("the record value nests deeper than 64 levels");
    }
    json value = json::parse(record.value, nullptr, false);
    if (value.is_discarded()) {
        return refuse("the record value is not valid JSON");
    }
    if (!value.is_object()) {
        return refuse("the record value is not a JSON object");
    }
    event.record = &record;
    auto text = [&](const char *name) {
        const auto it = value.find(name);
        return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    event.tenant = text("tenant");
    if (event.tenant.empty()) {
        event.tenant = record.key;
    }
    event.eventId = text("id");
    if (event.eventId.empty()) {
        event.eventId = kafka::headerValue(record.headers, kafka::headers::kEventId);
    }
    event.campaignId = text("campaignId");
    event.type = text("type");
    event.occurredAtMs = parseRfc3339(text("occurredAt")).value_or(record.timestampMs);
    event.receivedAtMs = parseRfc3339(text("receivedAt")).value_or(record.timestampMs);
    if (const auto attributes = value.find("attributes");
        attributes != value.end() && attributes->is_object()) {
        for (const auto &[name, attribute] : attributes->items()) {
            // Invalid UTF-8 cannot reach here: the parser refused it above.
            event.attributes[name] =
                attribute.is_string() ? attribute.get<std::string>() : attribute.dump();
        }
    }
    if (event.eventId.empty() || event.type.empty()) {
        return refuse("the record value has no event id or type");
    }
    return true;
}

} // namespace

bool isCompactEventValue(std::string_view value)
{
    return SimpleEventScanner(value, true).scan();
}

bool parseEvent(const kafka::ConsumedRecord &record, Event &event, std::string *problem)
{
    // `event` may be one of an earlier batch: its strings keep their capacity.
    event.record = &record;
    event.tenant.clear();
    event.eventId.clear();
    event.campaignId.clear();
    event.type.clear();
    event.occurredAtMs = 0;
    event.receivedAtMs = 0;
    SimpleEventScanner fields(record.value);
    if (!fields.scan()) {
        event.attributes.clear();
        return parseEventDom(record, event, problem);
    }
    event.record = &record;
    event.tenant = fields.tenant.empty() ? std::string_view(record.key) : fields.tenant;
    if (!fields.id.empty()) {
        event.eventId = fields.id;
    } else {
        event.eventId = kafka::headerValue(record.headers, kafka::headers::kEventId);
    }
    event.campaignId = fields.campaignId;
    event.type = fields.type;
    event.occurredAtMs = parseRfc3339(fields.occurredAt).value_or(record.timestampMs);
    event.receivedAtMs = parseRfc3339(fields.receivedAt).value_or(record.timestampMs);
    // Events of one source mostly carry the same attribute names: when this one's are those
    // the map holds, its nodes are kept and only the values assigned.
    auto &attributes = event.attributes;
    bool sameNames = attributes.size() == fields.attributes.size();
    for (std::size_t i = 0; sameNames && i < fields.attributes.size(); ++i) {
        sameNames = attributes.contains(std::string(fields.attributes[i].first));
    }
    if (!sameNames) {
        attributes.clear();
    }
    for (const auto &[name, value] : fields.attributes) {
        std::string key(name);
        if (const auto it = attributes.find(key); it != attributes.end()) {
            it->second.assign(value);
        } else {
            attributes.emplace(std::move(key), std::string(value));
        }
    }
    if (event.eventId.empty() || event.type.empty()) {
        if (problem != nullptr) {
            *problem = "the record value has no event id or type";
        }
        return false;
    }
    return true;
}

std::chrono::milliseconds RetryPolicy::delayBefore(int attempt) const
{
    if (backoff.empty()) {
        return std::chrono::seconds(1);
    }
    const auto index = static_cast<std::size_t>(std::max(attempt - 2, 0));
    return backoff[std::min(index, backoff.size() - 1)];
}

struct GroupRuntime::Impl
{
    GroupOptions options;
    std::unique_ptr<Processor> processor;
    std::string retryTopic;
    std::unique_ptr<store::Database> db;
    std::unique_ptr<store::GroupStore> store;
    std::unique_ptr<kafka::Producer> producer;
    std::unique_ptr<kafka::Consumer> consumer;
    std::thread thread;
    std::atomic<bool> stopping {false};
    std::atomic<bool> pauseRequested {false};
    bool pausedNow = false;
    bool pauseStale = false; // new partitions arrived while paused

    std::set<TopicPartition> assigned;
    std::vector<kafka::TopicPartitionOffset> resetToCommit; ///< see commitReset()
    std::map<TopicPartition, std::int64_t> retryDueAt; // paused retry partitions
    std::map<TopicPartition, std::int64_t> lastCommitted; // next offsets of the last batch
    // Kafka's copy of the offsets (SQLite holds the truth) goes out at most every
    // kKafkaCommitInterval: a group at the log end finishes a batch every millisecond, and
    // one OffsetCommit per batch queued so many requests at the coordinator that the
    // group's heartbeats waited behind them past the session timeout.
    std::map<TopicPartition, std::int64_t> kafkaCommitDue;
    Clock::time_point nextPrune {}; // the first pass right after start
    std::int64_t prunedThisPass = 0;
    Clock::time_point lastKafkaCommit {};
    std::mt19937_64 random {std::random_device {}()};
    /// The batch being processed (and the strings of earlier ones, reused by the next poll).
    std::vector<kafka::ConsumedRecord> polledRecords;
    // processBatch's vectors, reused from batch to batch: a batch's vectors are large
    // enough that allocating and freeing them made malloc consolidate its free lists every
    // batch, and an event's strings and attribute nodes keep their memory.
    std::vector<Event> batchEvents;
    std::vector<Event> freshEvents; ///< the fresh events when some are not, for the processor
    std::vector<std::optional<Failure>> batchFailures;
    std::vector<std::size_t> batchFresh;
    std::vector<store::DedupKey> batchKeys;
    std::vector<std::size_t> batchKeyOf; ///< index into batchKeys per event, or npos
    std::vector<char> batchIsNew;

    mutable std::mutex metricsMutex;
    GroupMetrics metrics;
    FaultInjection faults;
    std::map<TopicPartition, PartitionProgress> progress;
    std::deque<std::pair<Clock::time_point, std::int64_t>> rateSamples;

    FaultInjection currentFaults() const
    {
        const std::lock_guard lock(metricsMutex);
        return faults;
    }

    void setError(const std::string &message)
    {
        log::warn("group.error", {{"group", options.group}, {"error", message}});
        const std::lock_guard lock(metricsMutex);
        metrics.lastError = message;
    }

    // ---- rebalances (called inside poll, on this thread) ---------------------------------

    std::vector<kafka::TopicPartitionOffset>
    onAssigned(const std::vector<TopicPartition> &partitions)
    {
        std::vector<kafka::TopicPartitionOffset> starts;
        std::map<TopicPartition, std::int64_t> saved;
        if (auto offsets = store->loadOffsets()) {
            for (const auto &o : *offsets) {
                saved[{o.topic, o.partition}] = o.offset;
            }
        } else {
            setError("reading saved offsets: " + offsets.error().message);
        }
        // Another engine may have owned a partition since this one saved its offset: Kafka's
        // committed offset is then ahead. After a crash between the SQLite commit and the
        // Kafka commit, SQLite is ahead. The larger of the two is where to resume, except
        // after a reset, whose offsets stand (and are committed to Kafka on the next poll).
        std::set<TopicPartition> reset;
        if (auto pending = store->pendingResets()) {
            reset.insert(pending->begin(), pending->end());
        }
        std::map<TopicPartition, std::int64_t> committed;
        const auto fromKafka = consumer->committed(partitions, std::chrono::seconds(10));
        if (fromKafka) {
            for (const auto &o : *fromKafka) {
                committed[{o.topic, o.partition}] = o.offset;
            }
        }
        for (const auto &tp : partitions) {
            assigned.insert(tp);
            std::int64_t start = kafka::Consumer::kUseCommitted;
            if (const auto it = saved.find(tp); it != saved.end()) {
                start = it->second;
            }
            if (const auto it = committed.find(tp); it != committed.end() && it->second >= 0
                && !(reset.contains(tp) && saved.contains(tp))) {
                start = std::max(start, it->second);
            }
            if (reset.contains(tp) && saved.contains(tp)) {
                resetToCommit.push_back({tp.topic, tp.partition, start});
            } else if (fromKafka && saved.contains(tp)
                       && (!committed.contains(tp) || committed[tp] < start)) {
                // SQLite is ahead (a crash between its commit and Kafka's): tell Kafka now,
                // or a partition without new records keeps showing lag that is not there.
                // Only when Kafka's offset was read: it may be ahead, from another engine.
                kafkaCommitDue[tp] = start;
                lastCommitted[tp] = start;
            }
            starts.push_back({tp.topic, tp.partition, start});
        }
        if (pausedNow) {
            pauseStale = true;
        }
        {
            const std::lock_guard lock(metricsMutex);
            metrics.assignedPartitions = static_cast<int>(assigned.size());
        }
        log::info("group.assigned",
                  {{"group", options.group}, {"partitions", std::to_string(partitions.size())}});
        return starts;
    }

    void onRevoked(const std::vector<TopicPartition> &partitions, bool lost)
    {
        // Nothing is in flight here: batches are processed between polls. Records already
        // polled for these partitions are dropped by processBatch (not assigned any more).
        // Batches commit to Kafka in the background; make sure the next owner sees the last
        // one before it starts, or it would process those events again.
        if (!lost) {
            std::vector<kafka::TopicPartitionOffset> handOver;
            for (const auto &tp : partitions) {
                if (const auto it = lastCommitted.find(tp); it != lastCommitted.end()) {
                    handOver.push_back({tp.topic, tp.partition, it->second});
                }
            }
            if (auto committed = consumer->commit(handOver, false); !committed) {
                setError("handing over offsets: " + committed.error().message);
            }
        }
        for (const auto &tp : partitions) {
            lastCommitted.erase(tp);
            kafkaCommitDue.erase(tp);
            assigned.erase(tp);
            retryDueAt.erase(tp);
        }
        {
            const std::lock_guard lock(metricsMutex);
            for (const auto &tp : partitions) {
                progress.erase(tp);
            }
            metrics.assignedPartitions = static_cast<int>(assigned.size());
        }
        log::info("group.revoked",
                  {{"group", options.group},
                   {"partitions", std::to_string(partitions.size())},
                   {"lost", lost ? "true" : "false"}});
    }

    // ---- the loop ------------------------------------------------------------------------

    void run()
    {
        while (!stopping.load()) {
            applyPause();
            resumeDueRetries();
            std::size_t count = 0;
            const std::size_t maxBatch = currentFaults().maxBatch;
            auto polled = consumer->pollInto(
                polledRecords, count,
                maxBatch > 0 ? std::min(options.batchSize, maxBatch) : options.batchSize,
                options.batchWait);
            commitReset(); // before the batch: the assignment may have come in this poll
            if (!polled) {
                setError(polled.error().message);
                std::this_thread::sleep_for(kFailureBackoff);
                continue;
            }
            if (count > 0) {
                processBatch(std::span<const kafka::ConsumedRecord>(polledRecords.data(), count));
            }
            commitToKafka();
            pruneDedupKeys();
        }
        consumer->close();
    }

    /// Deletes dedup keys older than the window, kPruneChunk per transaction and one chunk
    /// per turn of the loop, until a pass finds no more; then waits for the next pass.
    void pruneDedupKeys()
    {
        const auto now = Clock::now();
        if (now < nextPrune) {
            return;
        }
        const std::int64_t cutoff =
            nowMillis()
            - std::chrono::duration_cast<std::chrono::milliseconds>(options.dedupWindow).count();
        Result<std::int64_t> pruned = fail(Error::internal("not run"));
        if (auto transaction = store::Transaction::begin(*db)) {
            pruned = store->pruneProcessedBefore(cutoff, kPruneChunk);
            if (pruned) {
                if (auto committed = transaction->commit(); !committed) {
                    pruned = fail(committed.error());
                }
            }
        } else {
            pruned = fail(transaction.error());
        }
        if (!pruned) {
            log::warn("group.prune_failed",
                      {{"group", options.group}, {"error", pruned.error().message}});
            nextPrune = now + options.pruneInterval;
            return;
        }
        prunedThisPass += *pruned;
        if (*pruned == kPruneChunk) {
            return; // more to do: the next turn of the loop, after the next batch
        }
        if (prunedThisPass > 0) {
            log::info("group.dedup_pruned", {{"group", options.group},
                                             {"keys", std::to_string(prunedThisPass)}});
        }
        prunedThisPass = 0;
        nextPrune = now + options.pruneInterval;
    }

    /// Sends the batches' offsets to Kafka in the background, once per kKafkaCommitInterval.
    void commitToKafka()
    {
        const auto now = Clock::now();
        if (kafkaCommitDue.empty() || now - lastKafkaCommit < kKafkaCommitInterval) {
            return;
        }
        std::vector<kafka::TopicPartitionOffset> due;
        for (const auto &[tp, next] : kafkaCommitDue) {
            if (assigned.contains(tp)) {
                due.push_back({tp.topic, tp.partition, next});
            }
        }
        kafkaCommitDue.clear();
        lastKafkaCommit = now;
        (void)consumer->commit(due, true);
    }

    /// A reset's offsets, taken on assignment, go to Kafka as this member's commit (the
    /// mock cluster takes no other) before any batch, and then stop overriding Kafka's.
    void commitReset()
    {
        if (resetToCommit.empty()) {
            return;
        }
        auto committed = consumer->commit(resetToCommit, false);
        if (committed) {
            auto transaction = store::Transaction::begin(*db);
            committed = transaction ? store->saveOffsets(resetToCommit) : fail(transaction.error());
            if (committed) {
                committed = transaction->commit();
            }
        }
        // Tried once: the next batch's commit carries the partition on from the reset anyway.
        resetToCommit.clear();
        if (!committed) {
            setError("committing the reset offsets: " + committed.error().message);
        }
    }

    void applyPause()
    {
        const bool wanted = pauseRequested.load();
        if (wanted == pausedNow && !pauseStale) {
            return;
        }
        std::vector<TopicPartition> all(assigned.begin(), assigned.end());
        if (wanted) {
            (void)consumer->pause(all);
        } else {
            std::vector<TopicPartition> resumable;
            std::ranges::copy_if(all, std::back_inserter(resumable), [&](const TopicPartition &tp) {
                return !retryDueAt.contains(tp);
            });
            (void)consumer->resume(resumable);
        }
        pausedNow = wanted;
        pauseStale = false;
        const std::lock_guard lock(metricsMutex);
        metrics.paused = wanted;
    }

    void resumeDueRetries()
    {
        const std::int64_t now = nowMillis();
        std::vector<TopicPartition> due;
        for (auto it = retryDueAt.begin(); it != retryDueAt.end();) {
            if (it->second <= now) {
                due.push_back(it->first);
                it = retryDueAt.erase(it);
            } else {
                ++it;
            }
        }
        if (!due.empty() && !pausedNow) {
            (void)consumer->resume(due);
        }
    }

    kafka::OutgoingRecord failureRecord(const Event &event, const kafka::ConsumedRecord &record,
                                        const Failure &failure, std::int64_t now, bool &deadLetter)
    {
        const bool fromRetry = record.topic == retryTopic;
        const int attempt = fromRetry ? static_cast<int>(parseInt64(
                                kafka::headerValue(record.headers, kafka::headers::kAttempt), 1))
                                      : 1;
        deadLetter = failure.permanent || attempt >= options.retry.maxAttempts;
        auto original = [&](const char *name, const std::string &own) {
            const std::string carried = kafka::headerValue(record.headers, name);
            return fromRetry && !carried.empty() ? carried : own;
        };
        namespace h = kafka::headers;
        const std::string originalTopic = original(h::kOriginalTopic, record.topic);
        const std::string originalPartition =
            original(h::kOriginalPartition, std::to_string(record.partition));
        const std::string originalOffset =
            original(h::kOriginalOffset, std::to_string(record.offset));
        const std::string originalTimestamp =
            original(h::kOriginalTimestamp, std::to_string(record.timestampMs));
        kafka::Headers headers;
        for (const char *name : {h::kEventId, h::kTenantId, h::kContentType, h::kReceivedAt}) {
            headers.push_back({name, kafka::headerValue(record.headers, name)});
        }
        if (headers[0].value.empty()) {
            headers[0].value = event.eventId;
        }
        headers.insert(headers.end(),
                       {{h::kOriginalTopic, originalTopic},
                        {h::kOriginalPartition, originalPartition},
                        {h::kOriginalOffset, originalOffset},
                        {h::kOriginalTimestamp, originalTimestamp},
                        {h::kFailingGroup, options.group},
                        {h::kErrorClass, failure.errorClass},
                        {h::kErrorMessage, failure.message}});
        // A redriven event that fails again says so, for the redrive's outcome report.
        if (const std::string redrives = kafka::headerValue(record.headers, h::kRedriveCount);
            !redrives.empty()) {
            headers.push_back({h::kRedriveCount, redrives});
        }
        kafka::OutgoingRecord out {deadLetter ? options.deadLetterTopic : retryTopic,
                                   std::nullopt,
                                   record.key,
                                   record.value,
                                   {},
                                   0,
                                   record.valueIsNull}; // a tombstone is passed on as one
        if (deadLetter) {
            headers.push_back({h::kAttempts, std::to_string(attempt)});
            headers.push_back({h::kDeadLetteredAt, formatRfc3339(now)});
            // Spring Kafka's names and encodings, for tools built for Spring's DLTs.
            auto binary = [](const std::string &number, int bytes) {
                return h::toBigEndian(static_cast<std::uint64_t>(parseInt64(number, 0)), bytes);
            };
            headers.push_back({h::kSpringOriginalTopic, originalTopic});
            headers.push_back({h::kSpringOriginalPartition, binary(originalPartition, 4)});
            headers.push_back({h::kSpringOriginalOffset, binary(originalOffset, 8)});
            headers.push_back({h::kSpringOriginalTimestamp, binary(originalTimestamp, 8)});
            headers.push_back({h::kSpringOriginalTimestampType, "CreateTime"});
            headers.push_back({h::kSpringOriginalGroup, options.group});
            headers.push_back({h::kSpringExceptionClass,
                               std::string(error_class::kQualifier) + failure.errorClass});
            headers.push_back({h::kSpringExceptionMessage, failure.message});
        } else {
            const std::int64_t dueAt = now + options.retry.delayBefore(attempt + 1).count();
            headers.push_back({h::kAttempt, std::to_string(attempt + 1)});
            headers.push_back({h::kDueAt, formatRfc3339(dueAt)});
            headers.push_back({h::kDueAtMs, std::to_string(dueAt)});
        }
        out.headers = std::move(headers);
        return out;
    }

    /// Produces `records` and waits for every acknowledgement; false if any failed.
    bool produceAll(const std::vector<kafka::OutgoingRecord> &records, std::string &error)
    {
        if (records.empty()) {
            return true;
        }
        struct Acks
        {
            std::mutex mutex;
            std::condition_variable done;
            std::size_t outstanding = 0;
            std::string firstError;
        };
        auto acks = std::make_shared<Acks>();
        for (const auto &record : records) {
            {
                const std::lock_guard lock(acks->mutex);
                ++acks->outstanding;
            }
            auto queued = producer->produce(record, [acks](const kafka::DeliveryReport &report) {
                const std::lock_guard lock(acks->mutex);
                if (report.error && acks->firstError.empty()) {
                    acks->firstError = report.error->message;
                }
                if (--acks->outstanding == 0) {
                    acks->done.notify_all();
                }
            });
            if (!queued) {
                const std::lock_guard lock(acks->mutex);
                --acks->outstanding;
                if (acks->firstError.empty()) {
                    acks->firstError = queued.error().message;
                }
                break;
            }
        }
        std::unique_lock lock(acks->mutex);
        if (!acks->done.wait_for(lock, kAckTimeout, [&] { return acks->outstanding == 0; })) {
            error = "records were not acknowledged in time";
            return false;
        }
        error = acks->firstError;
        return error.empty();
    }

    void rewind(const std::map<TopicPartition, std::int64_t> &firstOffsets)
    {
        std::vector<kafka::TopicPartitionOffset> positions;
        for (const auto &[tp, offset] : firstOffsets) {
            if (assigned.contains(tp)) {
                positions.push_back({tp.topic, tp.partition, offset});
            }
        }
        (void)consumer->seek(positions);
        std::this_thread::sleep_for(kFailureBackoff);
    }

    void processBatch(std::span<const kafka::ConsumedRecord> records)
    {
        const auto started = Clock::now();
        const std::int64_t now = nowMillis();
        const FaultInjection injected = currentFaults();

        std::vector<const kafka::ConsumedRecord *> ready;
        std::set<TopicPartition> deferred;
        std::map<TopicPartition, std::int64_t> firstOffsets;
        std::map<TopicPartition, std::int64_t> nextOffsets;
        // Records come in runs of one partition: the partition's lookups are done once a partition.
        const kafka::ConsumedRecord *runStart = nullptr;
        TopicPartition partition;
        bool usable = false;
        std::int64_t *runNext = nullptr;
        for (const auto &record : records) {
            if (runStart == nullptr || record.partition != runStart->partition
                || record.topic != runStart->topic) {
                runStart = &record;
                partition = {record.topic, record.partition};
                usable = assigned.contains(partition) && !deferred.contains(partition);
                runNext = nullptr;
            }
            if (!usable) {
                continue;
            }
            if (record.topic == retryTopic) {
                const std::int64_t due =
                    parseInt64(kafka::headerValue(record.headers, kafka::headers::kDueAtMs), 0);
                if (due > now) {
                    // Not due: wait on the partition, not in the loop.
                    (void)consumer->pause({partition});
                    (void)consumer->seek({{partition.topic, partition.partition, record.offset}});
                    retryDueAt[partition] = due;
                    deferred.insert(partition);
                    usable = false;
                    continue;
                }
            }
            if (runNext == nullptr) {
                firstOffsets.try_emplace(partition, record.offset);
                runNext = &nextOffsets[partition];
            }
            *runNext = record.offset + 1;
            ready.push_back(&record);
        }
        if (ready.empty()) {
            return;
        }

        auto transaction = store::Transaction::begin(*db);
        if (!transaction) {
            setError(transaction.error().message);
            rewind(firstOffsets);
            return;
        }
        // Dedup first, so that a duplicate of an event that is dead-lettered is not
        // dead-lettered twice. A redriven record (redrive-count header) is processed even
        // though its key exists: someone chose to run it again.
        // The batch's events are the first ready.size() of batchEvents, which only grows.
        if (batchEvents.size() < ready.size()) {
            batchEvents.resize(ready.size());
        }
        const std::span<Event> events(batchEvents.data(), ready.size());
        std::vector<std::optional<Failure>> &failures = batchFailures;
        failures.assign(ready.size(), std::nullopt);
        std::vector<std::size_t> &fresh = batchFresh;
        fresh.clear();
        std::int64_t duplicates = 0;
        std::uniform_real_distribution<double> chance(0.0, 1.0);
        // A failed event's key must go, or it would be skipped as a duplicate when it
        // comes back; if that cannot be done, the whole batch runs again.
        bool forgotten = true;
        std::set<std::tuple<std::string, std::string, std::int64_t>> forgottenKeys;
        auto forget = [&](std::size_t i) {
            if (auto removed = store->forgetProcessed(events[i].tenant, events[i].eventId,
                                                      events[i].occurredAtMs);
                !removed) {
                setError(removed.error().message);
                forgotten = false;
            }
            forgottenKeys.emplace(events[i].tenant, events[i].eventId, events[i].occurredAtMs);
        };
        // Parse every record, then mark the events' dedup keys in one pass in key order.
        std::vector<store::DedupKey> &keys = batchKeys;
        keys.clear();
        std::vector<std::size_t> &keyOf = batchKeyOf;
        keyOf.assign(ready.size(), std::string::npos);
        for (std::size_t i = 0; i < ready.size(); ++i) {
            std::string problem;
            if (!parseEvent(*ready[i], events[i], &problem)) {
                failures[i] = failureOf(error_class::kSchemaError,
                                        "the record value is not a Logdeck event: " + problem);
                continue;
            }
            keyOf[i] = keys.size();
            keys.push_back({events[i].tenant, events[i].eventId, events[i].occurredAtMs});
        }
        if (auto marked = store->markProcessed(keys, batchIsNew); !marked) {
            setError(marked.error().message);
            rewind(firstOffsets);
            return;
        }
        for (std::size_t i = 0; i < ready.size(); ++i) {
            if (keyOf[i] == std::string::npos) {
                continue; // not an event
            }
            bool isNew = batchIsNew[keyOf[i]] != 0;
            if (!isNew && !forgottenKeys.empty()
                && forgottenKeys.contains({events[i].tenant, events[i].eventId,
                                           events[i].occurredAtMs})) {
                // An earlier copy in this batch failed and gave its key back: as when the
                // keys are marked one at a time, this copy takes it.
                auto again = store->markProcessed(events[i].tenant, events[i].eventId,
                                                  events[i].occurredAtMs);
                if (!again) {
                    setError(again.error().message);
                    rewind(firstOffsets);
                    return;
                }
                isNew = *again;
                forgottenKeys.erase({events[i].tenant, events[i].eventId, events[i].occurredAtMs});
            }
            if (!isNew
                && kafka::headerValue(ready[i]->headers, kafka::headers::kRedriveCount).empty()) {
                ++duplicates;
                continue;
            }
            if (injected.poisonIsPermanent && carriesPoisonMarker(events[i])) {
                failures[i] = failureOf(error_class::kPoisonEvent,
                                        "the event carries the logdeck.poison marker");
            } else if (injected.transientFailureRate > 0
                       && chance(random) < injected.transientFailureRate) {
                failures[i] =
                    failureOf(error_class::kInjectedFailure,
                              "a transient failure injected by the group's fault settings");
                forget(i); // it comes back through the retry path
            } else {
                fresh.push_back(i);
            }
        }
        // When every event is fresh (the usual batch) the processor reads them in place;
        // otherwise the fresh ones are moved to it and back (not copied): a failure record
        // or forget() below still reads them.
        const bool allFresh = fresh.size() == events.size();
        if (!allFresh) {
            freshEvents.clear();
            freshEvents.reserve(fresh.size());
            for (const std::size_t i : fresh) {
                freshEvents.push_back(std::move(events[i]));
            }
        }
        auto result =
            processor->process(allFresh ? std::span<const Event>(events) : freshEvents, *db);
        if (!allFresh) {
            for (std::size_t j = 0; j < fresh.size(); ++j) {
                events[fresh[j]] = std::move(freshEvents[j]);
            }
        }
        if (!result) {
            setError(result.error().message);
            rewind(firstOffsets);
            return;
        }
        std::int64_t processed = 0;
        for (std::size_t j = 0; j < fresh.size(); ++j) {
            if (j < result->failures.size() && result->failures[j]) {
                const std::size_t i = fresh[j];
                failures[i] = result->failures[j];
                if (!failures[i]->permanent) {
                    forget(i); // processable again when it comes back
                }
            } else {
                ++processed;
            }
        }

        if (!forgotten) {
            rewind(firstOffsets);
            return;
        }

        std::vector<kafka::OutgoingRecord> outgoing = std::move(result->outputs);
        std::int64_t retried = 0;
        std::int64_t deadLettered = 0;
        for (std::size_t i = 0; i < ready.size(); ++i) {
            if (failures[i]) {
                bool deadLetter = false;
                outgoing.push_back(
                    failureRecord(events[i], *ready[i], *failures[i], now, deadLetter));
                (deadLetter ? deadLettered : retried) += 1;
            }
        }
        std::string error;
        if (!produceAll(outgoing, error)) {
            setError("publishing outputs, retries and dead letters: " + error);
            rewind(firstOffsets);
            return;
        }

        std::vector<kafka::TopicPartitionOffset> commit;
        for (const auto &[tp, next] : nextOffsets) {
            commit.push_back({tp.topic, tp.partition, next});
        }
        if (auto saved = store->saveOffsets(commit); !saved) {
            setError(saved.error().message);
            rewind(firstOffsets);
            return;
        }
        if (auto committed = transaction->commit(); !committed) {
            setError(committed.error().message);
            rewind(firstOffsets);
            return;
        }
        // SQLite holds the truth now; Kafka's copy is for tools that read group offsets
        // and for the next owner of a partition (handed over at once on revocation).
        for (const auto &o : commit) {
            lastCommitted[{o.topic, o.partition}] = o.offset;
            kafkaCommitDue[{o.topic, o.partition}] = o.offset;
        }
        commitToKafka();

        if (injected.addedLatency.count() > 0) {
            const auto until = Clock::now() + injected.addedLatency;
            while (Clock::now() < until && !stopping.load()) {
                std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
                    std::chrono::milliseconds(20), injected.addedLatency));
            }
        }
        recordMetrics(ready, nextOffsets, processed, duplicates, retried, deadLettered,
                      Clock::now() - started);
    }

    void recordMetrics(const std::vector<const kafka::ConsumedRecord *> &ready,
                       const std::map<TopicPartition, std::int64_t> &nextOffsets,
                       std::int64_t processed, std::int64_t duplicates, std::int64_t retried,
                       std::int64_t deadLettered, Clock::duration took)
    {
        const std::lock_guard lock(metricsMutex);
        metrics.processed += processed;
        metrics.duplicates += duplicates;
        metrics.retried += retried;
        metrics.deadLettered += deadLettered;
        metrics.batches += 1;
        metrics.lastBatchMs = std::chrono::duration<double, std::milli>(took).count();
        metrics.batchDuration.observe(took);
        metrics.lastError.clear();
        const kafka::ConsumedRecord *runStart = nullptr;
        PartitionProgress *p = nullptr;
        for (const auto *record : ready) {
            if (runStart == nullptr || record->partition != runStart->partition
                || record->topic != runStart->topic) {
                runStart = record;
                p = &progress[{record->topic, record->partition}];
                p->topic = record->topic;
                p->partition = record->partition;
            }
            p->lastRecordTimestampMs = std::max(p->lastRecordTimestampMs, record->timestampMs);
        }
        for (const auto &[tp, next] : nextOffsets) {
            progress[tp].nextOffset = next;
        }
        const auto now = Clock::now();
        rateSamples.emplace_back(now, metrics.processed);
        while (rateSamples.size() > 2
               && now - rateSamples.front().first > std::chrono::seconds(5)) {
            rateSamples.pop_front();
        }
    }

    GroupMetrics snapshot() const
    {
        const std::lock_guard lock(metricsMutex);
        GroupMetrics copy = metrics;
        copy.running = thread.joinable() && !stopping.load();
        for (const auto &[tp, p] : progress) {
            copy.partitions.push_back(p);
        }
        if (rateSamples.size() >= 2) {
            const auto span =
                std::chrono::duration<double>(rateSamples.back().first - rateSamples.front().first)
                    .count();
            if (span > 0 && Clock::now() - rateSamples.back().first < std::chrono::seconds(5)) {
                copy.processedPerSecond =
                    static_cast<double>(rateSamples.back().second - rateSamples.front().second)
                    / span;
            }
        }
        return copy;
    }
};

std::string GroupRuntime::retryTopicOf(const std::string &group)
{
    return kafka::topics::retryTopic(group);
}

Result<std::unique_ptr<GroupRuntime>> GroupRuntime::start(GroupOptions options,
                                                          std::unique_ptr<Processor> processor)
{
    if (!processor) {
        return fail(Error::invalid("group '" + options.group + "' has no processor"));
    }
    auto impl = std::make_unique<Impl>();
    Impl &d = *impl;
    d.options = std::move(options);
    d.processor = std::move(processor);
    d.retryTopic = retryTopicOf(d.options.group);
    d.faults = d.options.faults;
    d.metrics.group = d.options.group;

    const std::string storePath = store::GroupStore::pathFor(d.options.dataDir, d.options.group);
    std::error_code ec;
    const bool storeExisted = std::filesystem::exists(storePath, ec);
    const bool storeEmpty = storeExisted && std::filesystem::file_size(storePath, ec) == 0;
    if (auto lost = checkStoreAgainstKafka(d.options, storeExisted, storeEmpty); !lost) {
        return fail(lost.error());
    }
    auto db = store::Database::open(storePath);
    if (!db) {
        return fail(db.error());
    }
    d.db = std::move(*db);
    d.store = std::make_unique<store::GroupStore>(*d.db, d.options.group);

    auto producer = kafka::Producer::create(d.options.kafka);
    if (!producer) {
        return fail(producer.error());
    }
    d.producer = std::move(*producer);

    kafka::ClientSettings consumerSettings = d.options.kafka;
    // Generous enough for a slow batch with injected latency; librdkafka 2.0.2 leaves the
    // group when a poll comes later than this.
    consumerSettings.try_emplace("max.poll.interval.ms", "300000");
    consumerSettings.try_emplace("session.timeout.ms", "10000");
    consumerSettings.try_emplace("heartbeat.interval.ms", "1000");
    // The broker answers a fetch once 64 KiB are there or 50 ms have passed, not as soon as
    // one record is: a group that keeps up at 5,000 events/s then takes batches of about 150
    // events instead of 3. Its engine's CPU fell from 26% to 4% of a core and the broker's
    // from 84% to 48% (fewer fetches to serve), for up to 50 ms more before a group sees an
    // event. A backlog fills the fetch at once.
    consumerSettings.try_emplace("fetch.min.bytes", "65536");
    consumerSettings.try_emplace("fetch.wait.max.ms", "50");
    if (!d.options.clientId.empty()) {
        consumerSettings.try_emplace("client.id", d.options.clientId);
    }
    kafka::RebalanceHandler rebalance {
        [&d](const std::vector<TopicPartition> &partitions) { return d.onAssigned(partitions); },
        [&d](const std::vector<TopicPartition> &partitions, bool lost) {
            d.onRevoked(partitions, lost);
        }};
    auto consumer =
        kafka::Consumer::create(consumerSettings, d.options.group, std::move(rebalance));
    if (!consumer) {
        return fail(consumer.error());
    }
    d.consumer = std::move(*consumer);
    if (auto subscribed = d.consumer->subscribe({d.options.sourceTopic, d.retryTopic});
        !subscribed) {
        return fail(subscribed.error());
    }
    d.thread = std::thread([&d] {
        nameThisThread(("ld-g-" + d.options.group).c_str());
        d.run();
    });
    log::info(
        "group.started",
        {{"group", d.options.group}, {"source", d.options.sourceTopic}, {"retry", d.retryTopic}});
    return std::unique_ptr<GroupRuntime>(new GroupRuntime(std::move(impl)));
}

GroupRuntime::GroupRuntime(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

GroupRuntime::~GroupRuntime()
{
    stop();
}

void GroupRuntime::stop()
{
    if (d->stopping.exchange(true)) {
        return;
    }
    if (d->thread.joinable()) {
        d->thread.join();
    }
    log::info("group.stopped", {{"group", d->options.group}});
}

void GroupRuntime::pause()
{
    d->pauseRequested.store(true);
}

void GroupRuntime::resume()
{
    d->pauseRequested.store(false);
}

void GroupRuntime::setFaults(const FaultInjection &faults)
{
    const std::lock_guard lock(d->metricsMutex);
    d->faults = faults;
}

GroupMetrics GroupRuntime::metrics() const
{
    return d->snapshot();
}

} // namespace logdeck::consume
