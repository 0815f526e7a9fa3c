#include "ops/redrive_outcomes.h"

#include "kafka/admin_client.h"
#include "ops/dead_letters.h"
#include "store/database.h"
#include "store/group_store.h"
#include "store/redrive_store.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace logdeck::ops {

namespace {

using Offsets = std::map<kafka::TopicPartition, std::int64_t>;

/// The next offset `group` will read per partition, from Kafka and from the group's own
/// database when this data directory hosts it.
Result<Offsets> committedOffsets(kafka::AdminClient &admin, const std::string &dataDir,
                                 const std::string &group, std::chrono::milliseconds timeout)
{
    Offsets offsets;
    auto keep = [&](const kafka::TopicPartitionOffset &o) {
        auto &slot = offsets[{o.topic, o.partition}];
        slot = std::max(slot, o.offset);
    };
    auto fromKafka = admin.committedOffsets(group, timeout);
    // Only a cluster that cannot be reached is an error: a group Kafka does not know, or a
    // mock cluster that cannot say, has no offsets there.
    if (!fromKafka && fromKafka.error().retriable) {
        return fail(fromKafka.error());
    }
    if (fromKafka) {
        std::ranges::for_each(*fromKafka, keep);
    }
    const std::string path = store::GroupStore::pathFor(dataDir, group);
    if (std::error_code ec; std::filesystem::exists(path, ec)) {
        auto db = store::Database::open(path);
        if (!db) {
            return fail(db.error());
        }
        auto fromDb = store::GroupStore(**db, group).loadOffsets();
        if (!fromDb) {
            return fail(fromDb.error());
        }
        std::ranges::for_each(*fromDb, keep);
    }
    return offsets;
}

} // namespace

const char *toString(RedriveOutcome outcome)
{
    switch (outcome) {
    case RedriveOutcome::NotReached:
        return "not reached";
    case RedriveOutcome::Processed:
        return "processed";
    case RedriveOutcome::DeadLetteredAgain:
        return "dead-lettered again";
    }
    return "unknown";
}

Result<std::vector<RedriveOutcomeRow>>
redriveOutcomes(const kafka::ClientSettings &cluster, const std::string &dataDir,
                const std::vector<store::RedriveRecord> &redrives,
                std::chrono::milliseconds timeout)
{
    std::vector<RedriveOutcomeRow> rows;
    if (redrives.empty()) {
        return rows;
    }
    // Dead letters of redriven events, by event id.
    std::map<std::string, std::vector<DeadLetter>> failedAgain;
    std::set<std::string> dlqTopics;
    for (const auto &r : redrives) {
        dlqTopics.insert(r.dlqTopic);
    }
    for (const auto &topic : dlqTopics) {
        DeadLetterFilter filter;
        filter.topic = topic;
        auto letters = readDeadLetters(cluster, filter, timeout);
        if (!letters) {
            return fail(letters.error());
        }
        for (auto &letter : *letters) {
            if (letter.redriveCount > 0) {
                failedAgain[letter.eventId].push_back(std::move(letter));
            }
        }
    }
    auto admin = kafka::AdminClient::create(cluster);
    if (!admin) {
        return fail(admin.error());
    }
    std::map<std::string, Offsets> committed;
    for (const auto &r : redrives) {
        RedriveOutcomeRow row {r, RedriveOutcome::NotReached, {}};
        const auto again = failedAgain.find(r.eventId);
        const DeadLetter *newer = nullptr;
        if (again != failedAgain.end()) {
            for (const auto &letter : again->second) {
                if (letter.timestampMs >= r.redrivenAtMs) {
                    newer = &letter;
                    break;
                }
            }
        }
        if (newer != nullptr) {
            row.outcome = RedriveOutcome::DeadLetteredAgain;
            row.detail = coordinatesOf(*newer) + ": " + newer->errorClass;
        } else {
            auto offsets = committed.find(r.failingGroup);
            if (offsets == committed.end()) {
                auto read = committedOffsets(**admin, dataDir, r.failingGroup, timeout);
                if (!read) {
                    return fail(read.error());
                }
                offsets = committed.emplace(r.failingGroup, std::move(*read)).first;
            }
            const auto at = offsets->second.find({r.targetTopic, r.targetPartition});
            const std::int64_t next = at == offsets->second.end() ? -1 : at->second;
            row.outcome =
                next > r.targetOffset ? RedriveOutcome::Processed : RedriveOutcome::NotReached;
            row.detail = r.failingGroup + " is at offset "
                + (next < 0 ? std::string("none") : std::to_string(next)) + " of " + r.targetTopic
                + "[" + std::to_string(r.targetPartition) + "], the record at "
                + std::to_string(r.targetOffset);
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

RedriveOutcomeIndex::RedriveOutcomeIndex(const std::vector<RedriveOutcomeRow> &rows)
{
    for (const auto &row : rows) {
        perTask[row.redrive.taskId][row.outcome] += 1;
        latest[{row.redrive.dlqTopic, row.redrive.dlqPartition, row.redrive.dlqOffset}] = row;
    }
}

std::int64_t RedriveOutcomeIndex::count(const std::string &taskId, RedriveOutcome outcome) const
{
    const auto task = perTask.find(taskId);
    if (task == perTask.end()) {
        return 0;
    }
    const auto it = task->second.find(outcome);
    return it == task->second.end() ? 0 : it->second;
}

const RedriveOutcomeRow *RedriveOutcomeIndex::latestOf(const Key &key,
                                                       const std::string &taskId) const
{
    const auto it = latest.find(key);
    return it != latest.end() && it->second.redrive.taskId == taskId ? &it->second : nullptr;
}

Result<RedriveTaskDetails> redriveTaskDetails(store::Database &db, const std::string &taskId)
{
    store::RedriveStore store(db);
    auto task = store.task(taskId);
    if (!task) {
        return fail(task.error());
    }
    if (!*task) {
        return fail(Error::notFound("no redrive task '" + taskId
                                    + "'; `logdeck-cli dlq tasks` lists them"));
    }
    auto items = store.items(taskId);
    if (!items) {
        return fail(items.error());
    }
    auto ledger = store.ledgerOfTask(taskId);
    if (!ledger) {
        return fail(ledger.error());
    }
    RedriveTaskDetails details;
    details.task = std::move(**task);
    std::map<RedriveOutcomeIndex::Key, const store::RedriveRecord *> moves;
    for (const auto &r : *ledger) {
        moves[{r.dlqTopic, r.dlqPartition, r.dlqOffset}] = &r;
    }
    details.items.reserve(items->size());
    for (auto &item : *items) {
        RedriveTaskItem row {std::move(item), std::nullopt};
        if (const auto move = moves.find(row.key()); move != moves.end()) {
            row.move = *move->second;
        }
        details.items.push_back(std::move(row));
    }
    details.ledger = std::move(*ledger);
    return details;
}

} // namespace logdeck::ops
