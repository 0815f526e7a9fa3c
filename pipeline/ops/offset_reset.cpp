#include "ops/offset_reset.h"

#include "common/log.h"
#include "common/numbers.h"
#include "common/private_files.h"
#include "common/time_format.h"
#include "consume/processor.h"
#include "kafka/admin_client.h"
#include "kafka/consumer.h"
#include "kafka/partition_scan.h"
#include "ops/record_address.h"
#include "store/audit_log.h"
#include "store/database.h"
#include "store/group_store.h"
#include "store/sqlite_support.h"

#include <QDateTime>
#include <QFile>
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace logdeck::ops {

namespace {

using json = nlohmann::json;
using kafka::TopicPartition;
using kafka::TopicPartitionOffset;

constexpr std::string_view kRawTopic = "events.raw";

/// How long a paused group may take to leave: a member that is not told to leave is
/// dropped by the coordinator after its session timeout (45 s by default).
constexpr std::chrono::seconds kEmptyGroupWait {60};

/// The timestamp of the record at each position (0 where there is none), read with a
/// consumer that joins no group. Positions at the log end are left out by the caller.
std::map<TopicPartition, std::int64_t> timestampsAt(const kafka::ClientSettings &cluster,
                                                    const std::vector<TopicPartitionOffset> &at,
                                                    std::chrono::milliseconds timeout)
{
    std::map<TopicPartition, std::int64_t> found;
    if (at.empty()) {
        return found;
    }
    auto consumer = kafka::Consumer::create(cluster, "logdeck-reset-planner");
    if (!consumer || !(*consumer)->assign(at)) {
        return found;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (found.size() < at.size() && std::chrono::steady_clock::now() < deadline) {
        auto batch = (*consumer)->poll(500, std::chrono::milliseconds(100));
        if (!batch) {
            break;
        }
        for (const auto &record : *batch) {
            found.try_emplace({record.topic, record.partition}, record.timestampMs);
        }
    }
    return found;
}

/// Embedded mode's lookup by time: the first offset of `topic`[partition] whose record was
/// received at or after `timestampMs`, from the persister's index. Beyond the index, the
/// persister's own position (records after it are not indexed yet, so the replay starts
/// there at the latest).
Result<std::int64_t> offsetFromIndex(const std::string &dataDir, const std::string &topic,
                                     std::int32_t partition, std::int64_t timestampMs)
{
    const std::string path = store::GroupStore::pathFor(dataDir, "persister");
    if (topic != kRawTopic || !std::filesystem::exists(path)) {
        return fail(Error::invalid(
            "this cluster cannot look up offsets by time (the embedded mock cluster), and "
            "the persister's event index covers only events.raw of an engine whose data "
            "directory is here: use --to-offset, --shift-by or --from-file for "
            + formatPartition(topic, partition)));
    }
    auto db = store::Database::open(path);
    if (!db) {
        return fail(db.error());
    }
    auto select = store::detail::Statement::prepare((*db)->handle(), R"sql(
        SELECT offset FROM events WHERE topic = ?1 AND partition = ?2 AND received_at_ms >= ?3
        ORDER BY offset LIMIT 1)sql");
    if (!select) {
        return fail(select.error());
    }
    select->bindText(1, topic).bindInt64(2, partition).bindInt64(3, timestampMs);
    auto row = select->step("looking up a time in the event index");
    if (!row) {
        return fail(row.error());
    }
    if (*row == store::detail::Statement::Step::Row) {
        const std::int64_t offset = select->columnInt64(0);
        select->reset();
        return offset;
    }
    store::GroupStore offsets(**db, "persister");
    auto positions = offsets.loadOffsets();
    if (!positions) {
        return fail(positions.error());
    }
    for (const auto &p : *positions) {
        if (p.topic == topic && p.partition == partition) {
            return p.offset;
        }
    }
    return std::int64_t {0};
}

/// The first offset of `topic`[partition] whose record is at or after `timestampMs`.
Result<std::int64_t> offsetForTime(const ResetContext &context, kafka::AdminClient &admin,
                                   const std::string &topic, std::int32_t partition,
                                   std::int64_t timestampMs)
{
    if (context.mockCluster) {
        return offsetFromIndex(context.dataDir, topic, partition, timestampMs);
    }
    auto found = admin.offsetsForTimes({{topic, partition, timestampMs}}, context.timeout);
    if (!found) {
        return fail(found.error());
    }
    return found->front().offset;
}

/// --rebuild works on whole minutes, the coarsest unit of the groups' derived rows (the
/// analytics rollups): each replayed partition's tenants are rebuilt from the minute of
/// the record at the asked offset, so the replay starts at that minute's first record.
Result<void> extendForRebuild(const ResetContext &context, kafka::AdminClient &admin,
                              ResetPlan &plan)
{
    constexpr std::int64_t kMinuteMs = 60'000;
    for (auto &p : plan.partitions) {
        if (p.reread() <= 0 || p.current < 0 || p.targetTimestampMs <= 0) {
            continue;
        }
        p.rebuildFromMs = p.targetTimestampMs - p.targetTimestampMs % kMinuteMs;
        auto start = offsetForTime(context, admin, p.topic, p.partition, p.rebuildFromMs);
        if (!start) {
            return fail(start.error());
        }
        if (*start < p.target) {
            plan.warnings.push_back(
                formatPartition(p.topic, p.partition) + ": --rebuild starts at "
                + formatRfc3339(p.rebuildFromMs) + ", offset " + std::to_string(*start) + ", "
                + std::to_string(p.target - *start) + " record(s) before the asked offset");
            p.target = std::max(*start, p.logStart);
        }
    }
    return {};
}

std::string describeStrategy(const ResetRequest &r)
{
    switch (r.strategy) {
    case ResetStrategy::ToEarliest:
        return "--to-earliest";
    case ResetStrategy::ToLatest:
        return "--to-latest";
    case ResetStrategy::ToCurrent:
        return "--to-current";
    case ResetStrategy::ToOffset:
        return "--to-offset " + std::to_string(r.offset);
    case ResetStrategy::ShiftBy:
        return "--shift-by " + std::to_string(r.offset);
    case ResetStrategy::ToDatetime:
        return "--to-datetime " + formatRfc3339(r.timestampMs);
    case ResetStrategy::ByDuration:
        return "--by-duration (to " + formatRfc3339(r.timestampMs) + ")";
    case ResetStrategy::FromFile:
        return "--from-file";
    }
    return {};
}

json offsetsJson(const ResetPlan &plan, bool current)
{
    json list = json::array();
    for (const auto &p : plan.partitions) {
        list.push_back({{"topic", p.topic},
                        {"partition", p.partition},
                        {"offset", current ? p.current : p.target}});
    }
    return list;
}

} // namespace

Result<std::vector<TopicPartitionOffset>> parseOffsetsCsv(const std::string &text)
{
    std::vector<TopicPartitionOffset> offsets;
    std::set<TopicPartition> seen;
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (line.empty()) {
            continue;
        }
        const auto where = "line " + std::to_string(number) + " ('" + line + "'): ";
        std::vector<std::string> fields;
        std::stringstream split(line);
        for (std::string field; std::getline(split, field, ',');) {
            fields.push_back(field);
        }
        if (fields.size() != 3 || fields[0].empty()) {
            return fail(Error::invalid(where + "expected topic,partition,offset"));
        }
        const auto partition = parseInt64Exact(fields[1]);
        const auto offset = parseInt64Exact(fields[2]);
        if (!partition || *partition < 0 || *partition > INT32_MAX) {
            return fail(Error::invalid(where + "the partition is not a number ≥ 0"));
        }
        if (!offset || *offset < 0) {
            return fail(Error::invalid(where + "the offset is not a number ≥ 0"));
        }
        const TopicPartition tp {fields[0], static_cast<std::int32_t>(*partition)};
        if (!seen.insert(tp).second) {
            return fail(
                Error::invalid(where + formatPartition(tp.topic, tp.partition) + " appears twice"));
        }
        offsets.push_back({tp.topic, tp.partition, *offset});
    }
    if (offsets.empty()) {
        return fail(
            Error::invalid("the offsets file has no rows (expected topic,partition,offset)"));
    }
    return offsets;
}

std::string toOffsetsCsv(const ResetPlan &plan, bool currentOffsets)
{
    std::string csv;
    for (const auto &p : plan.partitions) {
        const std::int64_t offset = currentOffsets ? p.current : p.target;
        if (offset < 0) {
            continue; // nothing was committed: there is nothing to go back to
        }
        csv += p.topic + "," + std::to_string(p.partition) + "," + std::to_string(offset) + "\n";
    }
    return csv;
}

Result<std::int64_t> parseResetDatetime(const std::string &text)
{
    if (const auto at = parseRfc3339(text)) {
        return *at;
    }
    // Kafka's form has no zone: local time. The T must be upper-case there too.
    for (const QLatin1String format : {QLatin1String("yyyy-MM-dd'T'HH:mm:ss.zzz"),
                                       QLatin1String("yyyy-MM-dd'T'HH:mm:ss")}) {
        const QDateTime local = QDateTime::fromString(QString::fromStdString(text), format);
        if (local.isValid()) {
            return local.toMSecsSinceEpoch();
        }
    }
    return fail(Error::invalid("'" + text
                               + "' is not a time like 2026-11-26T10:00:00Z (RFC 3339, with a "
                                 "zone) or 2026-11-26T10:00:00.000 (local time)"));
}

Result<std::chrono::milliseconds> parseIsoDuration(const std::string &text)
{
    const auto bad = [&] {
        return fail(Error::invalid("'" + text
                                   + "' is not a duration like PT30M, PT1H30M, P1DT12H or PT45S"));
    };
    if (text.size() < 3 || (text[0] != 'P' && text[0] != 'p')) {
        return bad();
    }
    double totalMs = 0;
    bool inTime = false;
    bool any = false;
    std::string number;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
        if (c == 'T') {
            if (inTime || !number.empty()) {
                return bad();
            }
            inTime = true;
            continue;
        }
        if ((c >= '0' && c <= '9') || c == '.') {
            number.push_back(c);
            continue;
        }
        if (number.empty()) {
            return bad();
        }
        char *end = nullptr;
        const double value = std::strtod(number.c_str(), &end);
        if (end == nullptr || *end != '\0') {
            return bad();
        }
        number.clear();
        any = true;
        if (c == 'D' && !inTime) {
            totalMs += value * 86'400'000;
        } else if (c == 'H' && inTime) {
            totalMs += value * 3'600'000;
        } else if (c == 'M' && inTime) {
            totalMs += value * 60'000;
        } else if (c == 'S' && inTime) {
            totalMs += value * 1000;
        } else {
            return bad();
        }
    }
    if (!any || !number.empty() || totalMs <= 0) {
        return bad();
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(totalMs));
}

Result<ResetPlan> planReset(const ResetContext &context, const ResetRequest &request)
{
    if (request.group.empty()) {
        return fail(Error::invalid("--group is required"));
    }
    const bool byTime = request.strategy == ResetStrategy::ToDatetime
        || request.strategy == ResetStrategy::ByDuration;
    if (byTime && request.timestampMs > nowMillis()) {
        return fail(
            Error::invalid("the time " + formatRfc3339(request.timestampMs) + " is in the future"));
    }
    auto admin = kafka::AdminClient::create(context.cluster);
    if (!admin) {
        return fail(admin.error());
    }
    auto counts = (*admin)->partitionCounts(context.timeout);
    if (!counts) {
        return fail(counts.error());
    }
    // The mock cluster answers only for named partitions: name them all.
    std::vector<TopicPartition> everyPartition;
    if (context.mockCluster) {
        for (const auto &[topic, count] : *counts) {
            for (std::int32_t p = 0; p < count; ++p) {
                everyPartition.push_back({topic, p});
            }
        }
    }
    auto committed = (*admin)->committedOffsets(request.group, context.timeout, everyPartition);
    if (!committed) {
        return fail(committed.error());
    }

    ResetPlan plan;
    plan.group = request.group;
    plan.strategy = describeStrategy(request);
    plan.rebuild = request.rebuild;
    if (request.rebuild && !consume::makeProcessor(request.group)) {
        return fail(
            Error::invalid("--rebuild rebuilds the state of Logdeck's own groups (analytics, "
                           "persister, enrichment, fraud); '"
                           + request.group + "' is not one"));
    }

    // Who runs the group: live Logdeck engines, and the members the cluster reports.
    if (auto heartbeats = readHeartbeats(context.cluster, context.timeout); heartbeats) {
        plan.hostedBy = enginesRunning(*heartbeats, request.group);
    }
    plan.groupState = "unknown";
    if (!context.mockCluster) {
        auto description = (*admin)->describeGroup(request.group, context.timeout);
        if (description) {
            plan.groupState = description->state;
            std::string foreign;
            for (const auto &m : description->members) {
                const std::string name = m.memberId + " (" + m.clientId + "@" + m.host + ")";
                plan.activeMembers.push_back(name);
                if (!plan.hostedBy.empty()
                    && std::ranges::none_of(plan.hostedBy, [&](const std::string &host) {
                           return m.clientId == groupMemberClientId(host, request.group);
                       })) {
                    foreign += (foreign.empty() ? "" : ", ") + name;
                }
            }
            if (!foreign.empty()) {
                plan.warnings.push_back("the group has members that Logdeck does not control: "
                                        + foreign + "; --execute will refuse until they stop");
            }
        } else if (description.error().code == Error::Code::NotFound) {
            plan.groupState = "Dead";
            // Listed but not describable: a group on Kafka 4's consumer protocol (KIP-848),
            // whose members librdkafka 2.0.2 cannot read.
            if (auto listing = (*admin)->listGroups(context.timeout)) {
                const auto it = std::ranges::find(*listing, request.group,
                                                  &kafka::GroupListing::group);
                if (it != listing->end()) {
                    plan.groupState = it->state;
                    plan.warnings.push_back(
                        "the group's members cannot be read (a consumer-protocol group, "
                        "KIP-848?): if it has members, Kafka refuses --execute until they stop");
                }
            }
        } else {
            return fail(description.error());
        }
    }
    const bool known = !committed->empty() || !plan.hostedBy.empty() || plan.groupState != "Dead";
    if (!known) {
        return fail(Error::notFound("consumer group '" + request.group
                                    + "' does not exist (no committed offsets, no members, "
                                      "no Logdeck engine runs it)"));
    }

    // The partitions in scope.
    std::vector<TopicPartitionOffset> scope; // offset: the strategy's argument per partition
    const auto checkPartition = [&](const std::string &topic,
                                    std::int32_t partition) -> Result<void> {
        const auto count = counts->find(topic);
        if (count == counts->end()) {
            return fail(Error::invalid("topic '" + topic + "' does not exist"));
        }
        if (partition < 0 || partition >= count->second) {
            return fail(Error::invalid("partition " + std::to_string(partition) + " of '" + topic
                                       + "' does not exist (it has " + std::to_string(count->second)
                                       + " partitions)"));
        }
        return {};
    };
    if (request.strategy == ResetStrategy::FromFile) {
        for (const auto &row : request.fileOffsets) {
            if (auto ok = checkPartition(row.topic, row.partition); !ok) {
                return fail(Error::invalid("--from-file: " + ok.error().message));
            }
            scope.push_back(row);
        }
    } else if (request.allTopics) {
        for (const auto &c : *committed) {
            scope.push_back({c.topic, c.partition, 0});
        }
        if (scope.empty()) {
            return fail(Error::invalid("group '" + request.group
                                       + "' has no committed offsets, so --all-topics names "
                                         "nothing: name the topics with --topic"));
        }
    } else if (!request.topics.empty()) {
        for (const auto &[topic, partitions] : request.topics) {
            if (auto ok = checkPartition(topic, 0); !ok && partitions.empty()) {
                return fail(ok.error());
            }
            if (partitions.empty()) {
                for (std::int32_t p = 0; p < counts->at(topic); ++p) {
                    scope.push_back({topic, p, 0});
                }
            }
            for (const std::int32_t p : partitions) {
                if (auto ok = checkPartition(topic, p); !ok) {
                    return fail(ok.error());
                }
                scope.push_back({topic, p, 0});
            }
        }
    } else {
        return fail(Error::invalid("no scope: give --all-topics or --topic T[:P,P...]"));
    }

    std::vector<TopicPartition> partitions;
    for (const auto &s : scope) {
        partitions.push_back({s.topic, s.partition});
    }
    std::vector<TopicPartitionOffset> earliestQuery;
    for (const auto &tp : partitions) {
        earliestQuery.push_back({tp.topic, tp.partition, kafka::AdminClient::kEarliest});
    }
    auto starts = (*admin)->offsetsForTimes(earliestQuery, context.timeout);
    if (!starts) {
        return fail(starts.error());
    }
    auto ends = (*admin)->logEndOffsets(partitions, context.timeout);
    if (!ends) {
        return fail(ends.error());
    }
    const auto lookup = [](const std::vector<TopicPartitionOffset> &list,
                           const TopicPartitionOffset &at) {
        const auto it = std::ranges::find_if(list, [&](const TopicPartitionOffset &o) {
            return o.topic == at.topic && o.partition == at.partition;
        });
        return it == list.end() ? std::int64_t {-1} : it->offset;
    };

    // The strategy's target for each partition.
    std::vector<TopicPartitionOffset> byTimeTargets;
    if (byTime && !context.mockCluster) {
        std::vector<TopicPartitionOffset> query;
        for (const auto &tp : partitions) {
            query.push_back({tp.topic, tp.partition, request.timestampMs});
        }
        auto found = (*admin)->offsetsForTimes(query, context.timeout);
        if (!found) {
            return fail(found.error());
        }
        byTimeTargets = std::move(*found);
    }
    for (const auto &s : scope) {
        PartitionReset p;
        p.topic = s.topic;
        p.partition = s.partition;
        p.current = lookup(*committed, s);
        p.logStart = std::max<std::int64_t>(0, lookup(*starts, s));
        p.logEnd = std::max<std::int64_t>(0, lookup(*ends, s));
        const std::int64_t base = p.current >= 0 ? p.current : p.logEnd;
        std::int64_t target = 0;
        switch (request.strategy) {
        case ResetStrategy::ToEarliest:
            target = p.logStart;
            break;
        case ResetStrategy::ToLatest:
            target = p.logEnd;
            break;
        case ResetStrategy::ToCurrent:
            target = base;
            break;
        case ResetStrategy::ToOffset:
            target = request.offset;
            break;
        case ResetStrategy::ShiftBy:
            target = base + request.offset;
            break;
        case ResetStrategy::ToDatetime:
        case ResetStrategy::ByDuration:
            if (context.mockCluster) {
                auto indexed =
                    offsetFromIndex(context.dataDir, p.topic, p.partition, request.timestampMs);
                if (!indexed) {
                    return fail(indexed.error());
                }
                target = *indexed;
            } else {
                target = lookup(byTimeTargets, s);
            }
            break;
        case ResetStrategy::FromFile:
            target = s.offset;
            break;
        }
        // As kafka-consumer-groups does: an offset outside the log moves to its nearest end.
        p.clamped = target < p.logStart || target > p.logEnd;
        p.target = std::clamp(target, p.logStart, p.logEnd);
        if (p.clamped) {
            plan.warnings.push_back(formatPartition(p.topic, p.partition) + ": offset "
                                    + std::to_string(target) + " is outside the log ["
                                    + std::to_string(p.logStart) + ", " + std::to_string(p.logEnd)
                                    + "]; using " + std::to_string(p.target));
        }
        plan.partitions.push_back(p);
    }
    std::ranges::sort(plan.partitions, [](const PartitionReset &a, const PartitionReset &b) {
        return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
    });

    // The time span: the records at the current and the new offsets.
    std::vector<TopicPartitionOffset> targetsToRead;
    std::vector<TopicPartitionOffset> currentsToRead;
    for (const auto &p : plan.partitions) {
        if (p.target < p.logEnd) {
            targetsToRead.push_back({p.topic, p.partition, p.target});
        }
        if (p.current >= 0 && p.current < p.logEnd) {
            currentsToRead.push_back({p.topic, p.partition, p.current});
        }
    }
    const auto targetTimes = timestampsAt(context.cluster, targetsToRead, std::chrono::seconds(5));
    const auto currentTimes =
        timestampsAt(context.cluster, currentsToRead, std::chrono::seconds(5));
    for (auto &p : plan.partitions) {
        if (const auto t = targetTimes.find({p.topic, p.partition}); t != targetTimes.end()) {
            p.targetTimestampMs = t->second;
        }
        if (const auto t = currentTimes.find({p.topic, p.partition}); t != currentTimes.end()) {
            p.currentTimestampMs = t->second;
        }
    }

    if (request.rebuild) {
        if (auto extended = extendForRebuild(context, **admin, plan); !extended) {
            return fail(extended.error());
        }
    }
    const bool rewinds = std::ranges::any_of(
        plan.partitions, [](const PartitionReset &p) { return p.reread() > 0; });
    // Only Logdeck's groups keep dedup state: one an engine runs, or one with a store here.
    std::error_code storeError;
    const bool dedupState = !plan.hostedBy.empty()
        || std::filesystem::exists(store::GroupStore::pathFor(context.dataDir, plan.group),
                                   storeError);
    if (rewinds && !request.rebuild && dedupState) {
        plan.warnings.push_back(
            "without --rebuild, events this group already processed are skipped by its dedup "
            "state, so the replay changes nothing for them");
    }
    if (!plan.activeMembers.empty() && plan.hostedBy.empty()) {
        plan.warnings.push_back("the group has active members and no Logdeck engine runs it: "
                                "--execute will refuse until they stop");
    }
    return plan;
}

Result<std::int64_t> applyResetLocally(const ResetContext &context, const ResetPlan &plan,
                                       bool commitToKafka)
{
    auto db = store::Database::open(store::GroupStore::pathFor(context.dataDir, plan.group));
    if (!db) {
        return fail(db.error());
    }
    // The replayed records are read before the transaction: no lock is held on the network.
    // They name the tenants to rebuild, each from its partition's rebuild time, and the
    // poisoned events among them, whose keys stay so the replay does not dead-letter them
    // again.
    std::map<std::string, std::int64_t> rebuildFrom; // tenant -> time
    std::vector<kafka::ConsumedRecord> poisonedRecords;
    for (const auto &p : plan.partitions) {
        if (!plan.rebuild || p.rebuildFromMs <= 0 || p.current <= p.target) {
            continue;
        }
        auto read = kafka::scanPartition(
            context.cluster, {{p.topic, p.partition}, p.target, p.current},
            [&](const kafka::ConsumedRecord &record) {
                consume::Event event;
                if (!consume::parseEvent(record, event)) {
                    return;
                }
                auto [at, added] = rebuildFrom.try_emplace(event.tenant, p.rebuildFromMs);
                if (!added) {
                    at->second = std::min(at->second, p.rebuildFromMs);
                }
                if (consume::carriesPoisonMarker(event)) {
                    poisonedRecords.push_back(record);
                }
            },
            std::chrono::minutes(5));
        if (!read) {
            return fail(read.error());
        }
    }
    auto processor = consume::makeProcessor(plan.group);
    if (plan.rebuild && !processor) {
        return fail(Error::invalid("--rebuild works for Logdeck's own groups; '" + plan.group
                                   + "' is not one"));
    }

    auto transaction = store::Transaction::begin(**db);
    if (!transaction) {
        return fail(transaction.error());
    }
    store::GroupStore state(**db, plan.group);
    std::int64_t forgotten = 0;
    for (const auto &[tenant, fromMs] : rebuildFrom) {
        auto removed = state.forgetProcessedFrom(tenant, fromMs);
        if (!removed) {
            return fail(removed.error());
        }
        forgotten += *removed;
        if (auto deleted = processor->forgetFrom(**db, tenant, fromMs); !deleted) {
            return fail(deleted.error());
        }
    }
    for (const auto &record : poisonedRecords) {
        consume::Event event;
        consume::parseEvent(record, event);
        if (event.occurredAtMs >= rebuildFrom[event.tenant]) {
            if (auto kept = state.markProcessed(event.tenant, event.eventId, event.occurredAtMs);
                !kept) {
                return fail(kept.error());
            }
        }
    }
    std::vector<TopicPartitionOffset> offsets;
    for (const auto &p : plan.partitions) {
        offsets.push_back({p.topic, p.partition, p.target});
    }
    if (auto saved = state.saveResetOffsets(offsets); !saved) {
        return fail(saved.error());
    }
    // Kafka last: if it refuses, the transaction rolls back and nothing has changed. The
    // mock cluster takes commits only from the group's members: the group commits these
    // offsets itself when it resumes (the saved offsets are marked as a reset).
    if (commitToKafka && !context.mockCluster) {
        auto admin = kafka::AdminClient::create(context.cluster);
        if (!admin) {
            return fail(admin.error());
        }
        if (auto altered = (*admin)->alterGroupOffsets(plan.group, offsets, context.timeout);
            !altered) {
            return fail(altered.error());
        }
        if (auto committed = transaction->commit(); !committed) {
            // Put Kafka back so that neither store has moved.
            std::vector<TopicPartitionOffset> previous;
            for (const auto &p : plan.partitions) {
                if (p.current >= 0) {
                    previous.push_back({p.topic, p.partition, p.current});
                }
            }
            if (auto restored = (*admin)->alterGroupOffsets(plan.group, previous, context.timeout);
                !restored) {
                log::error("reset.kafka_not_restored",
                           {{"group", plan.group}, {"error", restored.error().message}});
            }
            return fail(committed.error());
        }
        return forgotten;
    }
    if (auto committed = transaction->commit(); !committed) {
        return fail(committed.error());
    }
    return forgotten;
}

std::string toJson(const ResetPlan &plan)
{
    json partitions = json::array();
    for (const auto &p : plan.partitions) {
        partitions.push_back({{"topic", p.topic},
                              {"partition", p.partition},
                              {"current", p.current},
                              {"target", p.target},
                              {"logStart", p.logStart},
                              {"logEnd", p.logEnd},
                              {"reread", p.reread()},
                              {"currentTimestampMs", p.currentTimestampMs},
                              {"targetTimestampMs", p.targetTimestampMs},
                              {"clamped", p.clamped},
                              {"rebuildFromMs", p.rebuildFromMs}});
    }
    return json {{"group", plan.group},
                 {"strategy", plan.strategy},
                 {"rebuild", plan.rebuild},
                 {"groupState", plan.groupState},
                 {"activeMembers", plan.activeMembers},
                 {"hostedBy", plan.hostedBy},
                 {"warnings", plan.warnings},
                 {"partitions", partitions}}
        .dump();
}

Result<ResetPlan> resetPlanFromJson(const std::string &text)
{
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("partitions")) {
        return fail(Error::invalid("not a reset plan"));
    }
    ResetPlan plan;
    plan.group = j.value("group", "");
    plan.strategy = j.value("strategy", "");
    plan.rebuild = j.value("rebuild", false);
    plan.groupState = j.value("groupState", "");
    plan.activeMembers = j.value("activeMembers", std::vector<std::string> {});
    plan.hostedBy = j.value("hostedBy", std::vector<std::string> {});
    plan.warnings = j.value("warnings", std::vector<std::string> {});
    for (const auto &p : j["partitions"]) {
        PartitionReset r;
        r.topic = p.value("topic", "");
        r.partition = p.value("partition", 0);
        r.current = p.value("current", std::int64_t {-1});
        r.target = p.value("target", std::int64_t {0});
        r.logStart = p.value("logStart", std::int64_t {0});
        r.logEnd = p.value("logEnd", std::int64_t {0});
        r.currentTimestampMs = p.value("currentTimestampMs", std::int64_t {0});
        r.targetTimestampMs = p.value("targetTimestampMs", std::int64_t {0});
        r.clamped = p.value("clamped", false);
        r.rebuildFromMs = p.value("rebuildFromMs", std::int64_t {0});
        plan.partitions.push_back(r);
    }
    if (plan.group.empty()) {
        return fail(Error::invalid("the reset plan names no group"));
    }
    return plan;
}

std::string_view resetStepName(ResetStep step)
{
    switch (step) {
    case ResetStep::Stopping:
        return "stopping";
    case ResetStep::CheckingMembers:
        return "checking-members";
    case ResetStep::Empty:
        return "empty";
    case ResetStep::Applying:
        return "applying";
    case ResetStep::Applied:
        return "applied";
    case ResetStep::Resumed:
        return "resumed";
    case ResetStep::Cancelled:
        return "cancelled";
    case ResetStep::Failed:
        return "failed";
    }
    return "unknown";
}

Result<std::string> writeUndoFile(const std::string &dataDir, const ResetPlan &plan)
{
    const std::string csv = toOffsetsCsv(plan, true);
    if (csv.empty()) {
        return std::string();
    }
    const std::string dir = (std::filesystem::path(dataDir) / "resets").string();
    if (auto made = createPrivateDirectory(dir); !made) {
        return fail(made.error());
    }
    const std::string path =
        (std::filesystem::path(dir) / (plan.group + "-" + std::to_string(nowMillis()) + ".undo.csv"))
            .string();
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate,
                   QFile::ReadOwner | QFile::WriteOwner)
        || file.write(csv.data(), static_cast<qint64>(csv.size())) != static_cast<qint64>(csv.size())
        || !file.flush()) {
        return fail(Error::io("cannot write the undo file '" + path
                              + "': " + file.errorString().toStdString()));
    }
    return path;
}

Result<ResetOutcome> executeReset(const ResetContext &context, const ResetPlan &plan,
                                  const ResetProgressHandler &progress,
                                  ResetCancellation *cancellation)
{
    ResetOutcome outcome;
    outcome.plan = plan;
    const auto report = [&](ResetStep step, const std::string &text) {
        if (progress) {
            progress({step, text, nowMillis()});
        }
    };
    const auto cancelled = [&] { return cancellation != nullptr && cancellation->isCancelled(); };
    auto admin = kafka::AdminClient::create(context.cluster);
    if (!admin) {
        report(ResetStep::Failed, admin.error().message);
        return fail(admin.error());
    }
    // Engines that run the group now (the plan may be old).
    auto heartbeats = readHeartbeats(context.cluster, context.timeout);
    if (!heartbeats) {
        report(ResetStep::Failed, heartbeats.error().message);
        return fail(heartbeats.error());
    }
    const std::vector<std::string> hosts = enginesRunning(*heartbeats, plan.group);
    // The undo file before anything is stopped or moved: if it cannot be written, nothing
    // moves.
    auto undo = writeUndoFile(context.dataDir, plan);
    if (!undo) {
        report(ResetStep::Failed, undo.error().message);
        return fail(undo.error());
    }
    outcome.undoPath = *undo;
    const auto command = [&](const std::string &target, const std::string &operation,
                             const std::string &arguments,
                             const std::vector<std::string> &awaitFrom) -> Result<void> {
        auto acks = sendCommand(context.cluster, {{}, target, operation, arguments, {}, 0},
                                awaitFrom, std::chrono::seconds(30));
        if (!acks) {
            return fail(acks.error());
        }
        for (const auto &ack : *acks) {
            if (!ack.ok) {
                return fail(Error::internal("engine " + ack.instance + " could not " + operation
                                            + ": " + ack.message));
            }
        }
        for (const auto &ack : *acks) {
            const json result = json::parse(ack.result, nullptr, false);
            if (result.is_object()) {
                outcome.forgottenEvents += result.value("forgottenEvents", std::int64_t {0});
            }
        }
        outcome.steps.push_back(operation + " acknowledged by " + std::to_string(acks->size())
                                + " engine(s)");
        return {};
    };
    // The group's members; with `foreignOnly`, those that are not an engine of `hosts`.
    const auto members = [&](bool foreignOnly = false) -> Result<std::vector<std::string>> {
        if (context.mockCluster) {
            return std::vector<std::string> {}; // cannot describe: the engines' acks stand for it
        }
        auto description = (*admin)->describeGroup(plan.group, context.timeout);
        if (!description) {
            if (description.error().code == Error::Code::NotFound) {
                return std::vector<std::string> {};
            }
            return fail(description.error());
        }
        std::vector<std::string> names;
        for (const auto &m : description->members) {
            const bool ours = std::ranges::any_of(hosts, [&](const std::string &host) {
                return m.clientId == groupMemberClientId(host, plan.group);
            });
            if (!foreignOnly || !ours) {
                names.push_back(m.memberId + " (" + m.clientId + "@" + m.host + ")");
            }
        }
        return names;
    };
    const auto joined = [](const std::vector<std::string> &names) {
        std::string text;
        for (const auto &n : names) {
            text += (text.empty() ? "" : ", ") + n;
        }
        return text;
    };
    const std::string hostList = joined(hosts);

    const std::string groupTarget = "group:" + plan.group;
    bool stopped = false;
    const auto apply = [&]() -> Result<void> {
        if (cancelled()) {
            return {};
        }
        if (!hosts.empty()) {
            // Members no engine controls would keep the group from emptying: refuse before
            // stopping anything, rather than after a minute with the group stopped.
            auto foreign = members(true);
            if (!foreign) {
                return fail(foreign.error());
            }
            if (!foreign->empty()) {
                return fail(Error::invalid(
                    "group '" + plan.group + "' has active members that Logdeck does not "
                    + "control: " + joined(*foreign) + "; stop them and try again"));
            }
            report(ResetStep::Stopping, "stopping the group in " + hostList);
            stopped = true; // from here on, resume whatever happens
            if (auto done = command(groupTarget, "group.stop", "{}", hosts); !done) {
                return done;
            }
        } else {
            report(ResetStep::CheckingMembers, "no Logdeck engine runs the group: it must have "
                                               "no active members");
        }
        // Kafka accepts new offsets only for an empty group.
        const auto deadline = std::chrono::steady_clock::now() + kEmptyGroupWait;
        for (;;) {
            if (cancelled()) {
                return {};
            }
            auto active = members();
            if (!active) {
                return fail(active.error());
            }
            if (active->empty()) {
                break;
            }
            if (hosts.empty() || std::chrono::steady_clock::now() >= deadline) {
                return fail(Error::invalid(
                    "group '" + plan.group + "' has active members that Logdeck does not "
                    + "control: " + joined(*active) + "; stop them and try again"));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
        outcome.steps.push_back("group is empty");
        report(ResetStep::Empty, "the group has no active members");
        if (cancellation != nullptr && !cancellation->beginApplying()) {
            return {}; // cancelled: nothing moves
        }
        report(ResetStep::Applying, "applying the offsets of " + std::to_string(plan.partitions.size())
                                        + " partition(s)");
        if (hosts.empty()) {
            if (std::filesystem::exists(store::GroupStore::pathFor(context.dataDir, plan.group))) {
                auto forgotten = applyResetLocally(context, plan, true);
                if (!forgotten) {
                    return fail(forgotten.error());
                }
                outcome.forgottenEvents = *forgotten;
                outcome.steps.push_back("offsets applied in Kafka and in the group's database");
                report(ResetStep::Applied, outcome.steps.back());
                return {};
            }
            if (plan.rebuild) {
                return fail(Error::invalid("--rebuild needs the group's database, and no "
                                           "engine runs '"
                                           + plan.group + "' and "
                                           + store::GroupStore::pathFor(context.dataDir, plan.group)
                                           + " does not exist"));
            }
            std::vector<TopicPartitionOffset> offsets;
            for (const auto &p : plan.partitions) {
                offsets.push_back({p.topic, p.partition, p.target});
            }
            if (auto altered = (*admin)->alterGroupOffsets(plan.group, offsets, context.timeout);
                !altered) {
                return altered;
            }
            outcome.steps.push_back("offsets applied in Kafka");
            report(ResetStep::Applied, outcome.steps.back());
            return {};
        }
        // The first engine commits to Kafka inside its transaction; the others then align
        // their own databases.
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            const json arguments = {{"plan", json::parse(toJson(plan))}, {"commitToKafka", i == 0}};
            if (auto applied =
                    command(hosts[i], "group.apply-offsets", arguments.dump(), {hosts[i]});
                !applied) {
                return applied;
            }
        }
        report(ResetStep::Applied, "offsets applied by " + hostList);
        return {};
    };

    auto applied = apply();
    outcome.cancelled = applied && cancelled();
    if (stopped) {
        // Resume whatever happened: a failed or cancelled reset must not leave the group
        // stopped.
        if (auto started = command(groupTarget, "group.start", "{}", hosts); !started) {
            outcome.steps.push_back("resume failed: " + started.error().message);
            if (applied) {
                applied = fail(started.error());
            }
        } else {
            report(ResetStep::Resumed, "the group runs again in " + hostList);
        }
    }

    store::AuditEntry entry;
    entry.operation = "groups.reset-offsets";
    entry.target = plan.group;
    entry.parameters = json {{"strategy", plan.strategy},
                             {"rebuild", plan.rebuild},
                             {"hostedBy", hosts},
                             {"undoFile", outcome.undoPath}}
                           .dump();
    const bool moved = applied && !outcome.cancelled;
    entry.before = offsetsJson(plan, true).dump();
    entry.after = moved ? offsetsJson(plan, false).dump() : entry.before;
    entry.result = outcome.cancelled ? std::string("cancelled before the offsets moved: nothing "
                                                   "changed")
        : applied                    ? std::string("ok: every partition moved")
                                     : "failed, no partition moved: " + applied.error().message;
    if (auto audited = store::AuditLog::appendTo(context.dataDir, entry); audited) {
        outcome.auditId = *audited;
    } else {
        log::warn("reset.audit_failed", {{"error", audited.error().message}});
    }
    if (!moved && !outcome.undoPath.empty()) {
        // Nothing moved: there is nothing to undo.
        std::error_code ignored;
        std::filesystem::remove(outcome.undoPath, ignored);
        outcome.undoPath.clear();
    }
    if (!applied) {
        report(ResetStep::Failed, applied.error().message);
        return fail(applied.error());
    }
    if (outcome.cancelled) {
        outcome.steps.push_back("cancelled before the offsets moved: nothing changed");
        report(ResetStep::Cancelled, outcome.steps.back());
    }
    return outcome;
}

namespace {

std::vector<TopicPartitionOffset> offsetsFromJson(const std::string &text)
{
    std::vector<TopicPartitionOffset> offsets;
    const json list = json::parse(text, nullptr, false);
    if (!list.is_array()) {
        return offsets;
    }
    for (const auto &o : list) {
        if (o.is_object()) {
            offsets.push_back({o.value("topic", ""), o.value("partition", 0),
                               o.value("offset", std::int64_t {-1})});
        }
    }
    return offsets;
}

} // namespace

Result<std::vector<ResetRecord>> listResets(const std::string &dataDir, int limit,
                                            const std::string &group)
{
    std::vector<ResetRecord> records;
    const std::string path = store::Database::pathIn(dataDir);
    // No database yet: nothing was ever done here, and listing must not create one.
    if (std::error_code ec; !std::filesystem::exists(path, ec)) {
        return records;
    }
    auto db = store::Database::open(path);
    if (!db) {
        return fail(db.error());
    }
    auto entries = store::AuditLog(**db).list(limit, "groups.reset-offsets");
    if (!entries) {
        return fail(entries.error());
    }
    for (auto it = entries->rbegin(); it != entries->rend(); ++it) {
        if (!group.empty() && it->target != group) {
            continue;
        }
        ResetRecord r;
        r.auditId = it->id;
        r.atMs = it->atMs;
        r.user = it->user;
        r.host = it->host;
        r.group = it->target;
        r.result = it->result;
        r.ok = it->result.starts_with("ok");
        r.cancelled = it->result.starts_with("cancelled");
        const json parameters = json::parse(it->parameters, nullptr, false);
        if (parameters.is_object()) {
            r.strategy = parameters.value("strategy", "");
            r.rebuild = parameters.value("rebuild", false);
            const std::string undoFile = parameters.value("undoFile", "");
            if (std::error_code ec; !undoFile.empty() && std::filesystem::exists(undoFile, ec)) {
                r.undoPath = undoFile;
            }
        }
        r.before = offsetsFromJson(it->before);
        r.after = offsetsFromJson(it->after);
        records.push_back(std::move(r));
    }
    return records;
}

Result<ResetRequest> undoRequest(const ResetRecord &record)
{
    if (!record.ok) {
        return fail(Error::invalid("reset " + std::to_string(record.auditId) + " of '"
                                   + record.group + "' moved nothing: there is nothing to undo"));
    }
    ResetRequest request;
    request.group = record.group;
    request.strategy = ResetStrategy::FromFile;
    if (!record.undoPath.empty()) {
        QFile file(QString::fromStdString(record.undoPath));
        if (!file.open(QIODevice::ReadOnly)) {
            return fail(Error::io("cannot read the undo file '" + record.undoPath
                                  + "': " + file.errorString().toStdString()));
        }
        auto offsets = parseOffsetsCsv(file.readAll().toStdString());
        if (!offsets) {
            return fail(Error::invalid("the undo file " + record.undoPath + ": "
                                       + offsets.error().message));
        }
        request.fileOffsets = std::move(*offsets);
        return request;
    }
    for (const auto &o : record.before) {
        if (o.offset >= 0) {
            request.fileOffsets.push_back(o);
        }
    }
    if (request.fileOffsets.empty()) {
        return fail(Error::invalid("reset " + std::to_string(record.auditId) + " of '"
                                   + record.group
                                   + "': the group had no committed offsets before it, so there "
                                     "is nothing to go back to"));
    }
    return request;
}

} // namespace logdeck::ops
