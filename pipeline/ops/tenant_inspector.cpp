#include "ops/tenant_inspector.h"

#include "common/numbers.h"
#include "common/time_format.h"
#include "consume/processor.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/partition_scan.h"
#include "kafka/partitioner.h"
#include "kafka/topic_catalog.h"
#include "ops/dead_letters.h"
#include "ops/record_address.h"
#include "store/database.h"
#include "store/event_index.h"
#include "store/group_store.h"
#include "store/redrive_store.h"
#include "store/tenant_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <system_error>
#include <unordered_map>

namespace logdeck::ops {

namespace {

using kafka::TopicPartition;

const std::string kRawTopic(kafka::topics::kRaw);
const std::string kDeadLetterTopic(kafka::topics::kDeadLetter);
constexpr std::string_view kPersister = "persister";

bool fileExists(const std::string &path)
{
    std::error_code ec;
    return std::filesystem::exists(path, ec);
}

/// A retry or dead-letter record of the tenant. Logdeck writes the same header names on
/// both, so decodeDeadLetter reads either.
struct FailureCopy
{
    DeadLetter letter;
    int attempt = 0; ///< retry records: the try they are for
    std::int64_t dueAtMs = 0; ///< retry records: when that try may run
    std::optional<InspectedEvent> event; ///< the event the record carries, when it parses
};

/// One consumer group as the inspector sees it: how far it has read each partition, its
/// dedup keys when it is hosted on the data directory, and the tenant's retry records.
struct GroupView
{
    std::string name;
    std::map<TopicPartition, std::int64_t> committed; ///< next offset to read
    std::unique_ptr<store::Database> db;
    std::unique_ptr<store::GroupStore> store;
    std::vector<FailureCopy> retries;

    bool hasRead(const TopicPartition &tp, std::int64_t offset) const
    {
        const auto it = committed.find(tp);
        return it != committed.end() && it->second > offset;
    }

    std::optional<std::int64_t> committedOn(const TopicPartition &tp) const
    {
        const auto it = committed.find(tp);
        return it != committed.end() ? std::optional(it->second) : std::nullopt;
    }
};

InspectedEvent toInspected(const consume::Event &event)
{
    InspectedEvent inspected;
    inspected.eventId = event.eventId;
    inspected.type = event.type;
    inspected.campaignId = event.campaignId;
    inspected.occurredAtMs = event.occurredAtMs;
    inspected.receivedAtMs = event.receivedAtMs;
    return inspected;
}

/// Reads everything one inspection needs, then answers from it.
class Inspection
{
public:
    Inspection(const InspectorSources &sources, const TenantQuery &query)
        : m_sources(sources)
        , m_query(query)
    {
    }

    /// Opens the cluster and the groups, then collects the events: `eventId` alone, or the
    /// query's range when it is empty.
    Result<void> read(const std::string &eventId)
    {
        if (auto opened = open(); !opened) {
            return opened;
        }
        return collect(eventId);
    }

    TenantInspection inspection() const
    {
        TenantInspection result;
        result.tenant = m_query.tenant;
        result.partition = m_rawPartition;
        for (const auto &group : m_groups) {
            result.groups.push_back(group.name);
        }
        result.source = m_source;
        result.scannedRecords = m_scannedRecords;
        result.truncated = m_truncated;
        result.events = m_events;
        return result;
    }

    Result<EventTrace> trace()
    {
        if (m_events.empty()) {
            return fail(Error::notFound("event '" + m_eventId + "' of tenant '" + m_query.tenant
                                        + "' is neither in the event index nor on "
                                        + formatPartition(kRawTopic, m_rawPartition)
                                        + "; check the id ('logdeck-cli tenant inspect "
                                        + m_query.tenant + "' lists the tenant's events)"));
        }
        EventTrace trace;
        trace.tenant = m_query.tenant;
        trace.event = m_events.front();
        trace.source = m_source;
        const InspectedEvent &event = trace.event;
        trace.hops.push_back(
            {Hop::Kind::Accepted, {}, event.receivedAtMs, {}, -1, -1, "accepted by the collector"});
        Hop logged {Hop::Kind::Logged, {}, 0, kRawTopic, event.partition, event.offset, {}};
        if (event.offset >= 0) {
            auto timestamp = recordTimestamp({kRawTopic, event.partition}, event.offset);
            if (!timestamp) {
                return fail(timestamp.error());
            }
            logged.atMs = *timestamp;
        } else {
            logged.detail = "its position on " + kRawTopic + " is not known";
        }
        trace.hops.push_back(std::move(logged));
        // Each group's hops are in order already; sorting by time interleaves the groups,
        // and a hop without a time sorts with the hop before it.
        std::vector<std::pair<std::int64_t, Hop>> groupHops;
        for (const auto &group : m_groups) {
            std::int64_t sortTime = trace.hops.back().atMs;
            for (Hop &hop : hopsOf(group, event)) {
                sortTime = std::max(sortTime, hop.atMs);
                groupHops.emplace_back(sortTime, std::move(hop));
            }
        }
        std::ranges::stable_sort(groupHops, {}, &std::pair<std::int64_t, Hop>::first);
        for (auto &[time, hop] : groupHops) {
            trace.hops.push_back(std::move(hop));
        }
        return trace;
    }

private:
    Result<void> open()
    {
        if (m_query.tenant.empty()) {
            return fail(Error::invalid("name the tenant to inspect"));
        }
        if (m_query.sinceMs && m_query.untilMs && *m_query.sinceMs > *m_query.untilMs) {
            return fail(Error::invalid("the time range ends before it starts: --until "
                                       + formatRfc3339(*m_query.untilMs) + " is before --since "
                                       + formatRfc3339(*m_query.sinceMs)));
        }
        auto admin = kafka::AdminClient::create(m_sources.cluster);
        if (!admin) {
            return fail(admin.error());
        }
        m_admin = std::move(*admin);
        auto counts = m_admin->partitionCounts(m_sources.timeout);
        if (!counts) {
            return fail(counts.error());
        }
        m_partitionCounts = std::move(*counts);
        if (!m_partitionCounts.contains(kRawTopic)) {
            return fail(Error::notFound("the cluster has no " + kRawTopic
                                        + " topic: no Logdeck engine has run on it; check "
                                          "--broker or the data directory"));
        }
        m_rawPartition = partitionOf(kRawTopic);
        if (auto read = readLedger(); !read) {
            return read;
        }
        const std::vector<std::string> names =
            m_query.groups.empty() ? hostedGroups(m_sources.dataDir) : m_query.groups;
        for (const auto &name : names) {
            auto view = openGroup(name);
            if (!view) {
                return fail(view.error());
            }
            m_groups.push_back(std::move(*view));
        }
        return {};
    }

    /// The tenant's events of the query's range (or the one event `eventId`), from the
    /// index where it covers them and from the partition otherwise, plus the retry and
    /// dead-letter records and redrives that decide their states.
    Result<void> collect(const std::string &eventId)
    {
        m_eventId = eventId;
        for (auto &group : m_groups) {
            if (auto read = readRetries(group); !read) {
                return read;
            }
        }
        if (auto read = readDeadLetters(); !read) {
            return read;
        }
        if (auto read = readEvents(); !read) {
            return read;
        }
        addEventsOnlyInFailureCopies();
        std::ranges::sort(m_events, [](const InspectedEvent &a, const InspectedEvent &b) {
            return std::tie(a.occurredAtMs, a.eventId) < std::tie(b.occurredAtMs, b.eventId);
        });
        const auto limit = static_cast<std::size_t>(std::max(m_query.limit, 0));
        if (m_eventId.empty() && m_events.size() > limit) {
            m_events.erase(m_events.begin(),
                           m_events.begin() + static_cast<std::ptrdiff_t>(m_events.size() - limit));
            m_truncated = true;
        }
        for (auto &event : m_events) {
            for (const auto &group : m_groups) {
                auto state = stateOf(group, event);
                if (!state) {
                    return fail(state.error());
                }
                event.states[group.name] = *state;
            }
        }
        if (m_events.empty()) {
            return checkTenantKnown();
        }
        return {};
    }

    std::int32_t partitionOf(const std::string &topic) const
    {
        return kafka::partitionForKey(m_query.tenant, m_partitionCounts.at(topic));
    }

    Result<GroupView> openGroup(const std::string &name)
    {
        GroupView view;
        view.name = name;
        const std::string path = store::GroupStore::pathFor(m_sources.dataDir, name);
        if (fileExists(path)) {
            auto db = store::Database::open(path);
            if (!db) {
                return fail(db.error());
            }
            view.db = std::move(*db);
            view.store = std::make_unique<store::GroupStore>(*view.db, name);
            auto saved = view.store->loadOffsets();
            if (!saved) {
                return fail(saved.error());
            }
            for (const auto &o : *saved) {
                view.committed[{o.topic, o.partition}] = o.offset;
            }
        }
        if (!view.store) {
            // Kafka reports a group it never heard of as dead (NotFound here); the mock
            // cluster cannot describe groups at all, and then the check is skipped.
            auto description = m_admin->describeGroup(name, m_sources.timeout);
            if (!description && description.error().code == Error::Code::NotFound) {
                return fail(Error::notFound("unknown group '" + name + "': it does not run on "
                                            + m_sources.dataDir
                                            + " and the cluster does not know it"));
            }
        }
        // The group commits to SQLite first and to Kafka after, and another engine may
        // own a partition now: the further of the two is how far the group has read.
        auto fromCluster = committedOnCluster(name);
        if (!fromCluster && !view.store) {
            return fail(fromCluster.error());
        }
        if (fromCluster) {
            for (const auto &o : *fromCluster) {
                auto &offset = view.committed[{o.topic, o.partition}];
                offset = std::max(offset, o.offset);
            }
        }
        return view;
    }

    /// What `group` has committed on the partitions that decide the tenant's states: its
    /// partition of events.raw and of the group's retry topic, and where its dead letters
    /// were redriven to. Asked through a consumer handle of the group that never joins it:
    /// AdminClient::committedOffsets would do, but librdkafka 2.0.2 crashes when an admin
    /// handle's offset fetch meets a coordinator that moves or is still loading, as on a
    /// fresh broker (a null consumer group in its NOT_COORDINATOR path, librdkafka#5040).
    Result<std::vector<kafka::TopicPartitionOffset>> committedOnCluster(const std::string &group)
    {
        std::set<TopicPartition> partitions {{kRawTopic, m_rawPartition}};
        if (const std::string retry = kafka::topics::retryTopic(group);
            m_partitionCounts.contains(retry)) {
            partitions.insert({retry, partitionOf(retry)});
        }
        for (const auto &redrive : m_redrives) {
            if (redrive.failingGroup == group) {
                partitions.insert({redrive.targetTopic, redrive.targetPartition});
            }
        }
        auto consumer = kafka::Consumer::create(m_sources.cluster, group);
        if (!consumer) {
            return fail(consumer.error());
        }
        auto committed =
            (*consumer)->committed({partitions.begin(), partitions.end()}, m_sources.timeout);
        if (!committed) {
            return fail(committed.error());
        }
        std::erase_if(*committed,
                      [](const kafka::TopicPartitionOffset &o) { return o.offset < 0; });
        return committed;
    }

    /// The last maxScanRecords records of the tenant's partition of `topic`, from `from`
    /// at the earliest (the first offset when not given).
    Result<kafka::PartitionRange> tailOf(const std::string &topic,
                                         std::optional<std::int64_t> from = std::nullopt)
    {
        const TopicPartition tp {topic, partitionOf(topic)};
        auto marks = m_admin->watermarks(tp.topic, tp.partition, m_sources.timeout);
        if (!marks) {
            return fail(marks.error());
        }
        kafka::PartitionRange range {tp, std::max(marks->low, from.value_or(marks->low)),
                                     marks->high};
        if (range.size() > m_sources.maxScanRecords) {
            range.from = range.until - m_sources.maxScanRecords;
            // Older events are left out; older retry and dead-letter records are of events
            // that long since left those states.
            m_truncated = m_truncated || topic == kRawTopic;
        }
        return range;
    }

    bool matchesQuery(const consume::Event &event) const
    {
        if (event.tenant != m_query.tenant) {
            return false;
        }
        if (!m_eventId.empty()) {
            return event.eventId == m_eventId;
        }
        return (!m_query.sinceMs || event.occurredAtMs >= *m_query.sinceMs)
            && (!m_query.untilMs || event.occurredAtMs <= *m_query.untilMs)
            && (m_query.type.empty() || event.type == m_query.type);
    }

    Result<std::vector<FailureCopy>> readFailureCopies(const std::string &topic)
    {
        std::vector<FailureCopy> copies;
        if (!m_partitionCounts.contains(topic)) {
            return copies;
        }
        auto range = tailOf(topic);
        if (!range) {
            return fail(range.error());
        }
        auto read = kafka::scanPartition(
            m_sources.cluster, *range,
            [&](const kafka::ConsumedRecord &record) {
                FailureCopy copy {decodeDeadLetter(record), 0, 0, std::nullopt};
                if (copy.letter.tenant != m_query.tenant) {
                    return;
                }
                copy.attempt =
                    static_cast<int>(parseInt64(kafka::headerValue(record.headers, "attempt"), 0));
                copy.dueAtMs = parseInt64(kafka::headerValue(record.headers, "due-at-ms"), 0);
                consume::Event event;
                if (consume::parseEvent(record, event) && matchesQuery(event)) {
                    copy.event = toInspected(event);
                    if (copy.letter.originalTopic == kRawTopic) {
                        copy.event->partition = copy.letter.originalPartition.value_or(-1);
                        copy.event->offset = copy.letter.originalOffset.value_or(-1);
                    }
                }
                copies.push_back(std::move(copy));
            },
            m_sources.timeout);
        if (!read) {
            return fail(read.error());
        }
        return copies;
    }

    Result<void> readRetries(GroupView &group)
    {
        auto copies = readFailureCopies(kafka::topics::retryTopic(group.name));
        if (!copies) {
            return fail(copies.error());
        }
        group.retries = std::move(*copies);
        return {};
    }

    Result<void> readDeadLetters()
    {
        auto copies = readFailureCopies(kDeadLetterTopic);
        if (!copies) {
            return fail(copies.error());
        }
        m_deadLetters = std::move(*copies);
        return {};
    }

    Result<void> readLedger()
    {
        const std::string path = store::Database::pathIn(m_sources.dataDir);
        if (!fileExists(path)) {
            return {};
        }
        auto db = store::Database::open(path);
        if (!db) {
            return fail(db.error());
        }
        auto redrives = store::RedriveStore(**db).ledgerOfTenant(m_query.tenant);
        if (!redrives) {
            return fail(redrives.error());
        }
        m_redrives = std::move(*redrives);
        return {};
    }

    Result<void> readEvents()
    {
        const GroupView *persister = nullptr;
        for (const auto &group : m_groups) {
            if (group.name == kPersister && group.store) {
                persister = &group;
            }
        }
        const TopicPartition raw {kRawTopic, m_rawPartition};
        // The index covers the partition below the persister's committed offset: only
        // where this data directory's persister has read the partition at all.
        const auto indexedUpTo =
            persister != nullptr && !m_query.scanOnly ? persister->committedOn(raw) : std::nullopt;
        std::optional<std::int64_t> scanFrom;
        if (indexedUpTo) {
            if (auto read = readIndex(*persister); !read) {
                return read;
            }
            scanFrom = *indexedUpTo;
        } else if (m_query.sinceMs && m_eventId.empty()) {
            auto start = offsetAtTime(raw, *m_query.sinceMs);
            if (!start) {
                return fail(start.error());
            }
            scanFrom = *start;
        }
        auto range = tailOf(kRawTopic, scanFrom);
        if (!range) {
            return fail(range.error());
        }
        auto scanned = kafka::scanPartition(
            m_sources.cluster, *range,
            [&](const kafka::ConsumedRecord &record) {
                consume::Event event;
                if (!consume::parseEvent(record, event) || !matchesQuery(event)) {
                    return;
                }
                InspectedEvent inspected = toInspected(event);
                inspected.partition = record.partition;
                inspected.offset = record.offset;
                addEvent(std::move(inspected));
            },
            m_sources.timeout);
        if (!scanned) {
            return fail(scanned.error());
        }
        m_scannedRecords = *scanned;
        m_source = !indexedUpTo ? EventSource::PartitionScan
            : *scanned > 0      ? EventSource::IndexAndScan
                                : EventSource::Index;
        return {};
    }

    Result<void> readIndex(const GroupView &persister)
    {
        store::EventFilter filter;
        filter.tenant = m_query.tenant;
        filter.eventId = m_eventId;
        if (m_eventId.empty()) {
            filter.sinceMs = m_query.sinceMs.value_or(filter.sinceMs);
            filter.untilMs = m_query.untilMs.value_or(filter.untilMs);
            filter.type = m_query.type;
            // One more than asked, to tell whether --limit cut the list.
            filter.limit = std::max(m_query.limit, 0) + 1;
        }
        auto rows = store::EventIndex(*persister.db).find(filter);
        if (!rows) {
            return fail(rows.error());
        }
        for (const auto &row : *rows) {
            InspectedEvent event;
            event.eventId = row.eventId;
            event.type = row.type;
            event.campaignId = row.campaignId;
            event.occurredAtMs = row.occurredAtMs;
            event.receivedAtMs = row.receivedAtMs;
            if (row.topic == kRawTopic) {
                event.partition = row.partition;
                event.offset = row.offset;
            } else if (const FailureCopy *retry = retryAt(persister, row)) {
                // Indexed from a retry record: that record says where the event came from.
                event.partition = retry->letter.originalPartition.value_or(-1);
                event.offset = retry->letter.originalOffset.value_or(-1);
            }
            addEvent(std::move(event));
        }
        return {};
    }

    static const FailureCopy *retryAt(const GroupView &group, const store::IndexedEvent &row)
    {
        const auto it = std::ranges::find_if(group.retries, [&](const FailureCopy &copy) {
            return copy.letter.topic == row.topic && copy.letter.partition == row.partition
                && copy.letter.offset == row.offset && copy.letter.originalTopic == kRawTopic;
        });
        return it != group.retries.end() ? &*it : nullptr;
    }

    /// The first offset of `tp` whose record is at or after `timestampMs`. A cluster that
    /// cannot look up by time (librdkafka's mock cluster answers the log end for every
    /// time) gives the first offset: the caller then scans the whole partition.
    Result<std::int64_t> offsetAtTime(const TopicPartition &tp, std::int64_t timestampMs)
    {
        auto marks = m_admin->watermarks(tp.topic, tp.partition, m_sources.timeout);
        if (!marks) {
            return fail(marks.error());
        }
        if (marks->low >= marks->high) {
            return marks->low;
        }
        // Every record is after 1970: the log end for time 0 means no lookup by time.
        auto probe = m_admin->offsetsForTimes({{tp.topic, tp.partition, 0}}, m_sources.timeout);
        if (!probe) {
            return fail(probe.error());
        }
        if (probe->empty() || probe->front().offset >= marks->high) {
            return marks->low;
        }
        auto found =
            m_admin->offsetsForTimes({{tp.topic, tp.partition, timestampMs}}, m_sources.timeout);
        if (!found) {
            return fail(found.error());
        }
        return found->empty() ? marks->low : found->front().offset;
    }

    Result<std::int64_t> recordTimestamp(const TopicPartition &tp, std::int64_t offset)
    {
        std::int64_t timestamp = 0;
        auto read = kafka::scanPartition(
            m_sources.cluster, {tp, offset, offset + 1},
            [&](const kafka::ConsumedRecord &record) { timestamp = record.timestampMs; },
            m_sources.timeout);
        if (!read) {
            return fail(read.error());
        }
        return timestamp;
    }

    void addEvent(InspectedEvent event)
    {
        // The first copy wins, as in the persister's index: a redrive to events.raw
        // appends a second copy of the same event.
        if (m_eventIds.insert(event.eventId).second) {
            m_events.push_back(std::move(event));
        }
    }

    /// Events that no group finished yet are in neither the index nor (when the index
    /// covers their offsets) the scan: their retry and dead-letter copies carry them.
    void addEventsOnlyInFailureCopies()
    {
        auto addFrom = [&](const std::vector<FailureCopy> &copies) {
            for (const auto &copy : copies) {
                if (copy.event && copy.letter.originalTopic == kRawTopic) {
                    addEvent(*copy.event);
                }
            }
        };
        addFrom(m_deadLetters);
        for (const auto &group : m_groups) {
            addFrom(group.retries);
        }
    }

    const FailureCopy *latestDeadLetter(const GroupView &group, const InspectedEvent &event) const
    {
        const FailureCopy *latest = nullptr;
        for (const auto &copy : m_deadLetters) {
            if (copy.letter.eventId == event.eventId && copy.letter.group == group.name
                && (latest == nullptr || copy.letter.offset > latest->letter.offset)) {
                latest = &copy;
            }
        }
        return latest;
    }

    /// The latest redrive of `deadLetter`, or nullptr.
    const store::RedriveRecord *redriveOf(const DeadLetter &deadLetter) const
    {
        const store::RedriveRecord *latest = nullptr;
        for (const auto &redrive : m_redrives) {
            if (redrive.dlqTopic == deadLetter.topic && redrive.dlqPartition == deadLetter.partition
                && redrive.dlqOffset == deadLetter.offset
                && (latest == nullptr || redrive.redriveCount > latest->redriveCount)) {
                latest = &redrive;
            }
        }
        return latest;
    }

    bool isRedriveTarget(const DeadLetter &record) const
    {
        return std::ranges::any_of(m_redrives, [&](const store::RedriveRecord &redrive) {
            return redrive.targetTopic == record.topic
                && redrive.targetPartition == record.partition
                && redrive.targetOffset == record.offset;
        });
    }

    /// The precedence documented on EventState.
    Result<EventState> stateOf(const GroupView &group, const InspectedEvent &event) const
    {
        if (const FailureCopy *deadLetter = latestDeadLetter(group, event)) {
            const store::RedriveRecord *redrive = redriveOf(deadLetter->letter);
            if (redrive == nullptr) {
                return EventState::DeadLettered;
            }
            if (!group.hasRead({redrive->targetTopic, redrive->targetPartition},
                               redrive->targetOffset)) {
                return EventState::Redriven;
            }
        }
        const bool retryWaits = std::ranges::any_of(group.retries, [&](const FailureCopy &copy) {
            return copy.letter.eventId == event.eventId
                && !group.hasRead({copy.letter.topic, copy.letter.partition}, copy.letter.offset);
        });
        if (retryWaits) {
            return EventState::InRetry;
        }
        if (event.offset >= 0) {
            return group.hasRead({kRawTopic, event.partition}, event.offset) ? EventState::Processed
                                                                             : EventState::Pending;
        }
        // No position on events.raw (a retry record that is gone indexed it): the dedup
        // key decides where there is one.
        if (group.store) {
            auto processed =
                group.store->isProcessed(m_query.tenant, event.eventId, event.occurredAtMs);
            if (!processed) {
                return fail(processed.error());
            }
            return *processed ? EventState::Processed : EventState::Pending;
        }
        return EventState::Processed;
    }

    std::vector<Hop> hopsOf(const GroupView &group, const InspectedEvent &event) const
    {
        std::vector<Hop> hops;
        for (const auto &copy : group.retries) {
            // A redriven copy on the retry topic is the redrive hop's record, not a retry.
            if (copy.letter.eventId != event.eventId || isRedriveTarget(copy.letter)) {
                continue;
            }
            const DeadLetter &l = copy.letter;
            std::string detail = "attempt " + std::to_string(copy.attempt);
            if (copy.dueAtMs > 0) {
                detail += " due " + formatRfc3339(copy.dueAtMs);
            }
            if (!l.errorClass.empty()) {
                detail += " after " + l.errorClass + ": " + l.errorMessage;
            }
            hops.push_back({Hop::Kind::Retried, group.name, l.timestampMs, l.topic, l.partition,
                            l.offset, std::move(detail)});
        }
        for (const auto &copy : m_deadLetters) {
            const DeadLetter &l = copy.letter;
            if (l.eventId != event.eventId || l.group != group.name) {
                continue;
            }
            hops.push_back(
                {Hop::Kind::DeadLettered, group.name, l.timestampMs, l.topic, l.partition, l.offset,
                 l.errorClass + ": " + l.errorMessage + " (after " + std::to_string(l.attempts)
                     + " attempt" + (l.attempts == 1 ? "" : "s") + ")"});
            for (const auto &redrive : m_redrives) {
                if (redrive.dlqTopic == l.topic && redrive.dlqPartition == l.partition
                    && redrive.dlqOffset == l.offset) {
                    hops.push_back({Hop::Kind::Redriven, group.name, redrive.redrivenAtMs,
                                    redrive.targetTopic, redrive.targetPartition,
                                    redrive.targetOffset,
                                    "redrive " + std::to_string(redrive.redriveCount) + " by "
                                        + redrive.redrivenBy + " (task " + redrive.taskId + ")"});
                }
            }
        }
        // Hops without a record of their own close the list; their time is not recorded.
        std::ranges::stable_sort(hops, [](const Hop &a, const Hop &b) { return a.atMs < b.atMs; });
        const auto state = event.states.find(group.name);
        if (state == event.states.end()) {
            return hops;
        }
        const TopicPartition raw {kRawTopic, event.partition};
        if (state->second == EventState::Pending) {
            const std::string partition = formatPartition(kRawTopic, event.partition);
            const auto committed = group.committedOn(raw);
            std::string detail = committed ? "the group's committed offset on " + partition + " is "
                    + std::to_string(*committed) + ", not past the event yet"
                                           : "the group has committed nothing on " + partition;
            hops.push_back({Hop::Kind::Pending, group.name, 0, {}, -1, -1, std::move(detail)});
        } else if (state->second == EventState::Processed) {
            hops.push_back(processedHop(group, event));
        }
        return hops;
    }

    Hop processedHop(const GroupView &group, const InspectedEvent &event) const
    {
        Hop hop {Hop::Kind::Processed, group.name, 0, {}, -1, -1, {}};
        if (group.name == kPersister && group.db) {
            store::EventFilter filter;
            filter.tenant = m_query.tenant;
            filter.eventId = event.eventId;
            filter.limit = 1;
            if (auto rows = store::EventIndex(*group.db).find(filter); rows && !rows->empty()) {
                const auto &row = rows->front();
                hop.topic = row.topic;
                hop.partition = row.partition;
                hop.offset = row.offset;
                hop.detail = "in the event index";
                return hop;
            }
        }
        if (group.store) {
            auto key = group.store->isProcessed(m_query.tenant, event.eventId, event.occurredAtMs);
            hop.detail = key && *key ? "its dedup key is recorded"
                                     : "the group read past it (its dedup key is pruned or "
                                       "kept by another engine)";
        } else {
            hop.detail = "the group's committed offset is past it";
        }
        return hop;
    }

    Result<void> checkTenantKnown()
    {
        const std::string path = store::Database::pathIn(m_sources.dataDir);
        auto tenants = knownTenants(m_sources.dataDir);
        if (!tenants) {
            return fail(tenants.error());
        }
        if (std::ranges::find(*tenants, m_query.tenant) != tenants->end()) {
            return {};
        }
        return fail(Error::notFound("unknown tenant '" + m_query.tenant + "': it is not in " + path
                                    + " and has no events on " + kRawTopic
                                    + "; 'logdeck-cli tenants list' shows the known tenants"));
    }

    const InspectorSources &m_sources;
    const TenantQuery &m_query;
    std::string m_eventId;
    std::unique_ptr<kafka::AdminClient> m_admin;
    std::map<std::string, int> m_partitionCounts;
    std::int32_t m_rawPartition = 0;
    std::vector<GroupView> m_groups;
    std::vector<FailureCopy> m_deadLetters;
    std::vector<store::RedriveRecord> m_redrives;
    std::vector<InspectedEvent> m_events;
    std::set<std::string> m_eventIds;
    EventSource m_source = EventSource::Index;
    std::int64_t m_scannedRecords = 0;
    bool m_truncated = false;
};

} // namespace

std::string_view stateName(EventState state)
{
    switch (state) {
    case EventState::Processed:
        return "processed";
    case EventState::Pending:
        return "pending";
    case EventState::InRetry:
        return "retry";
    case EventState::DeadLettered:
        return "dlq";
    case EventState::Redriven:
        return "redriven";
    }
    return "unknown";
}

std::string_view sourceName(EventSource source)
{
    switch (source) {
    case EventSource::Index:
        return "index";
    case EventSource::IndexAndScan:
        return "index+scan";
    case EventSource::PartitionScan:
        return "scan";
    }
    return "unknown";
}

Result<std::vector<std::string>> knownTenants(const std::string &dataDir)
{
    const std::string path = store::Database::pathIn(dataDir);
    std::vector<std::string> ids;
    if (!fileExists(path)) {
        return ids;
    }
    auto db = store::Database::open(path);
    if (!db) {
        return fail(db.error());
    }
    auto tenants = store::TenantStore(**db).list();
    if (!tenants) {
        return fail(tenants.error());
    }
    for (const auto &tenant : *tenants) {
        ids.push_back(tenant.id);
    }
    return ids;
}

std::string eventJson(const InspectedEvent &event)
{
    const auto time = [](std::int64_t ms) {
        return ms > 0 ? nlohmann::json(formatRfc3339(ms)) : nlohmann::json();
    };
    nlohmann::json states = nlohmann::json::object();
    for (const auto &[group, state] : event.states) {
        states[group] = std::string(stateName(state));
    }
    return nlohmann::json {{"time", time(event.occurredAtMs)},
                           {"eventId", event.eventId},
                           {"type", event.type},
                           {"campaignId", event.campaignId},
                           {"receivedAt", time(event.receivedAtMs)},
                           {"partition", event.partition},
                           {"offset", event.offset},
                           {"states", states}}
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string_view hopName(Hop::Kind kind)
{
    switch (kind) {
    case Hop::Kind::Accepted:
        return "accepted";
    case Hop::Kind::Logged:
        return "logged";
    case Hop::Kind::Retried:
        return "retried";
    case Hop::Kind::DeadLettered:
        return "dead-lettered";
    case Hop::Kind::Redriven:
        return "redriven";
    case Hop::Kind::Processed:
        return "processed";
    case Hop::Kind::Pending:
        return "pending";
    }
    return "unknown";
}

std::vector<std::string> hostedGroups(const std::string &dataDir)
{
    std::vector<std::string> groups;
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(dataDir + "/groups", ec)) {
        if (entry.path().extension() == ".db") {
            groups.push_back(entry.path().stem().string());
        }
    }
    std::ranges::sort(groups);
    return groups;
}

Result<TenantInspection> inspectTenant(const InspectorSources &sources, const TenantQuery &query)
{
    Inspection inspection(sources, query);
    if (auto read = inspection.read({}); !read) {
        return fail(read.error());
    }
    return inspection.inspection();
}

Result<EventTrace> traceEvent(const InspectorSources &sources, const TenantQuery &query,
                              const std::string &eventId)
{
    if (eventId.empty()) {
        return fail(Error::invalid("name the event to follow"));
    }
    Inspection inspection(sources, query);
    if (auto read = inspection.read(eventId); !read) {
        return fail(read.error());
    }
    return inspection.trace();
}

} // namespace logdeck::ops
