#include "ops/redrive.h"
#include "ops/record_address.h"

#include "common/time_format.h"
#include "consume/processor.h"
#include "kafka/admin_client.h"
#include "kafka/record_headers.h"
#include "kafka/topic_catalog.h"
#include "store/audit_log.h"
#include "store/database.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

namespace logdeck::ops {

namespace {

using nlohmann::json;
namespace h = kafka::headers;

std::string newTaskId()
{
    // Sortable by creation time, short enough to type.
    const std::string at = formatRfc3339(nowMillis()); // 2026-11-26T15:04:05.123Z
    std::string compact;
    for (const char c : at.substr(0, 19)) {
        if (c != '-' && c != ':') {
            compact += c == 'T' ? '-' : c;
        }
    }
    std::mt19937 random {std::random_device {}()};
    char suffix[8];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(random() & 0xffff));
    return "rd-" + compact + "-" + suffix;
}

std::string userAtHost()
{
    return store::AuditLog::currentUser() + "@" + store::AuditLog::currentHost();
}

bool isFailureHeader(const std::string &name)
{
    static const std::set<std::string> exact = {
        h::kFailingGroup, h::kErrorClass, h::kErrorMessage, h::kAttempt,
        h::kAttempts,     h::kDueAt,      h::kDueAtMs,      h::kDeadLetteredAt,
        h::kRedriveCount, h::kRedrivenBy, h::kRedrivenAt,   h::kRedriveTask};
    return exact.contains(name) || name.starts_with(h::kSpringPrefix)
        || name.starts_with(h::kConnectPrefix);
}

json filterToJson(const DeadLetterFilter &f)
{
    json j = {{"topic", f.topic},           {"group", f.group}, {"tenant", f.tenant},
              {"errorClass", f.errorClass}, {"text", f.text},   {"originalTopic", f.originalTopic}};
    if (f.sinceMs) {
        j["sinceMs"] = *f.sinceMs;
    }
    if (f.untilMs) {
        j["untilMs"] = *f.untilMs;
    }
    return j;
}

DeadLetterFilter filterFromJson(const json &j)
{
    DeadLetterFilter f;
    f.topic = j.value("topic", f.topic);
    f.group = j.value("group", "");
    f.tenant = j.value("tenant", "");
    f.errorClass = j.value("errorClass", "");
    f.text = j.value("text", "");
    f.originalTopic = j.value("originalTopic", "");
    if (j.contains("sinceMs")) {
        f.sinceMs = j["sinceMs"].get<std::int64_t>();
    }
    if (j.contains("untilMs")) {
        f.untilMs = j["untilMs"].get<std::int64_t>();
    }
    return f;
}

/// The state change of pause, resume and cancel, audited.
Result<store::RedriveTaskRow> changeState(store::Database &db, const std::string &taskId,
                                          const std::vector<std::string> &from,
                                          const std::string &to, const std::string &operation)
{
    store::RedriveStore tasks(db);
    auto previous = tasks.transition(taskId, from, to);
    if (!previous) {
        return fail(previous.error());
    }
    auto now = tasks.task(taskId);
    if (!now) {
        return fail(now.error());
    }
    if (!*now) {
        return fail(Error::notFound("no redrive task '" + taskId
                                    + "'; `logdeck-cli dlq tasks` lists them"));
    }
    if (!*previous) {
        std::string allowed;
        for (const auto &state : from) {
            allowed += (allowed.empty() ? "" : " or ") + state;
        }
        return fail(Error::invalid("redrive task " + taskId + " is " + (*now)->state + "; only a "
                                   + allowed + " task can be made " + to));
    }
    store::AuditEntry entry;
    entry.operation = operation;
    entry.target = taskId;
    entry.before = json {{"state", **previous}}.dump();
    entry.after = json {{"state", (*now)->state}, {"moved", (*now)->moved}}.dump();
    if (auto audited = store::AuditLog(db).append(entry); !audited) {
        return fail(audited.error());
    }
    return **now;
}

} // namespace

RedriveTarget RedriveTarget::parse(const std::string &text)
{
    if (text == "retry") {
        return {Kind::Retry, {}};
    }
    if (text == "original") {
        return {Kind::Original, {}};
    }
    return {Kind::Topic, text};
}

std::string RedriveTarget::toString() const
{
    switch (kind) {
    case Kind::Retry:
        return "retry";
    case Kind::Original:
        return "original";
    case Kind::Topic:
        break;
    }
    return topic;
}

Result<void> RedriveSpec::validate() const
{
    if (ids.empty() && !all && filter.selectsEverything()) {
        return fail(Error::invalid("a redrive needs a selection: --ids, a filter (--group, "
                                   "--tenant, --error-class, --original-topic, --since, "
                                   "--until, --text), or --all for the whole topic"));
    }
    for (const auto &id : ids) {
        if (looksLikeRecordAddress(id)) {
            if (auto address = parseRecordAddress(id); !address) {
                return fail(address.error());
            }
        }
    }
    if (!(ratePerSecond > 0) || ratePerSecond > kMaxRate) {
        return fail(Error::invalid("the rate must be more than 0 and at most "
                                   + std::to_string(static_cast<int>(kMaxRate))
                                   + " messages per second"));
    }
    if (target.kind == RedriveTarget::Kind::Topic && target.topic.empty()) {
        return fail(Error::invalid("--to needs retry, original or a topic name"));
    }
    if (filter.sinceMs && filter.untilMs && *filter.sinceMs >= *filter.untilMs) {
        return fail(Error::invalid("--since must be before --until"));
    }
    return {};
}

std::string RedriveSpec::toJson() const
{
    return json {
        {"filter", filterToJson(filter)}, {"ids", ids},    {"all", all}, {"to", target.toString()},
        {"rate", ratePerSecond},          {"force", force}}
        .dump();
}

Result<RedriveSpec> RedriveSpec::fromJson(const std::string &text)
{
    const json j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
        return fail(Error::invalid("a redrive task's spec is not a JSON object"));
    }
    RedriveSpec spec;
    try {
        spec.filter = filterFromJson(j.value("filter", json::object()));
        spec.ids = j.value("ids", std::vector<std::string>());
        spec.all = j.value("all", false);
        spec.target = RedriveTarget::parse(j.value("to", std::string("retry")));
        spec.ratePerSecond = j.value("rate", kDefaultRate);
        spec.force = j.value("force", false);
    } catch (const json::exception &e) {
        return fail(Error::invalid(std::string("a redrive task's spec is malformed: ") + e.what()));
    }
    return spec;
}

bool isPermanentFailure(const DeadLetter &letter)
{
    return consume::isPermanentErrorClass(letter.errorClass);
}

bool isFinishedRedriveState(const std::string &state)
{
    return state == redrive_state::kCompleted || state == redrive_state::kCancelled
        || state == redrive_state::kFailed;
}

Result<RedrivePlan> planRedrive(const kafka::ClientSettings &cluster, store::Database &db,
                                const RedriveSpec &spec, std::chrono::milliseconds timeout)
{
    if (auto valid = spec.validate(); !valid) {
        return fail(valid.error());
    }
    DeadLetterFilter wholeTopic;
    wholeTopic.topic = spec.filter.topic;
    auto letters = readDeadLetters(cluster, wholeTopic, timeout);
    if (!letters) {
        return fail(letters.error());
    }
    RedrivePlan plan;
    plan.spec = spec;
    std::set<std::string> chosen; // coordinates, so an id named twice is moved once
    auto choose = [&](const DeadLetter &letter) {
        if (spec.filter.matches(letter) && chosen.insert(coordinatesOf(letter)).second) {
            plan.candidates.push_back({letter, {}, 0, false});
        }
    };
    if (spec.ids.empty()) {
        std::ranges::for_each(*letters, choose);
    }
    for (const auto &id : spec.ids) {
        const auto named = findDeadLetters(*letters, id);
        if (named.empty()) {
            return fail(Error::notFound("no dead letter '" + id + "' in " + spec.filter.topic
                                        + " (an id is an event id, or a record address topic:partition:offset or "
                                          "topic[partition]@offset)"));
        }
        std::ranges::for_each(named, choose);
    }
    if (plan.candidates.empty()) {
        return fail(
            Error::notFound("no dead letter in " + spec.filter.topic + " matches the selection"));
    }

    auto admin = kafka::AdminClient::create(cluster);
    if (!admin) {
        return fail(admin.error());
    }
    auto topics = (*admin)->partitionCounts(timeout);
    if (!topics) {
        return fail(topics.error());
    }
    std::set<std::string> missing;
    store::RedriveStore ledger(db);
    for (auto &candidate : plan.candidates) {
        const DeadLetter &d = candidate.letter;
        switch (spec.target.kind) {
        case RedriveTarget::Kind::Retry:
            if (d.group.empty()) {
                return fail(Error::invalid("dead letter " + coordinatesOf(d)
                                           + " names no failing group, so it has no retry "
                                             "topic: redrive it --to original or --to TOPIC"));
            }
            candidate.targetTopic = kafka::topics::retryTopic(d.group);
            break;
        case RedriveTarget::Kind::Original:
            if (d.originalTopic.empty()) {
                return fail(Error::invalid("dead letter " + coordinatesOf(d)
                                           + " names no original topic: redrive it --to TOPIC"));
            }
            candidate.targetTopic = d.originalTopic;
            break;
        case RedriveTarget::Kind::Topic:
            candidate.targetTopic = spec.target.topic;
            break;
        }
        if (!topics->contains(candidate.targetTopic)) {
            missing.insert(candidate.targetTopic);
        }
        auto count = ledger.redriveCount(d.topic, d.partition, d.offset);
        if (!count) {
            return fail(count.error());
        }
        candidate.previousRedrives = *count;
        candidate.skip = *count > 0 && !spec.force;
        (candidate.skip ? plan.toSkip : plan.toMove) += 1;
        if (!candidate.skip) {
            plan.byGroup[d.group.empty() ? "(none)" : d.group] += 1;
            plan.byTenant[d.tenant.empty() ? "(none)" : d.tenant] += 1;
            plan.byErrorClass[d.errorClass.empty() ? "(none)" : d.errorClass] += 1;
            plan.byTarget[candidate.targetTopic] += 1;
            plan.permanent += isPermanentFailure(d) ? 1 : 0;
        }
    }
    if (!missing.empty()) {
        std::string names;
        for (const auto &name : missing) {
            names += (names.empty() ? "" : ", ") + name;
        }
        return fail(
            Error::notFound("target topic(s) " + names + " do not exist; nothing was redriven"));
    }
    return plan;
}

Result<std::string> createRedriveTask(store::Database &db, const RedrivePlan &plan,
                                      const std::string &requestedBy)
{
    store::RedriveTaskRow task;
    task.id = newTaskId();
    task.createdAtMs = nowMillis();
    task.createdBy = requestedBy.empty() ? userAtHost() : requestedBy;
    task.spec = plan.spec.toJson();
    task.state = redrive_state::kPending;
    task.total = static_cast<std::int64_t>(plan.candidates.size());
    std::vector<store::RedriveItemRow> items;
    items.reserve(plan.candidates.size());
    for (const auto &c : plan.candidates) {
        const DeadLetter &d = c.letter;
        items.push_back({task.id,
                         d.topic,
                         d.partition,
                         d.offset,
                         "pending",
                         d.eventId,
                         d.tenant,
                         d.group,
                         d.errorClass,
                         c.targetTopic,
                         {}});
    }
    if (auto inserted = store::RedriveStore(db).insertTask(task, items); !inserted) {
        return fail(inserted.error());
    }
    store::AuditEntry entry;
    entry.operation = "dlq.redrive";
    entry.target = task.id;
    entry.parameters = task.spec;
    entry.after =
        json {{"state", task.state}, {"total", task.total}, {"alreadyRedriven", plan.toSkip}}
            .dump();
    if (auto audited = store::AuditLog(db).append(entry); !audited) {
        return fail(audited.error());
    }
    return task.id;
}

Result<store::RedriveTaskRow> pauseRedriveTask(store::Database &db, const std::string &taskId)
{
    return changeState(db, taskId, {redrive_state::kPending, redrive_state::kRunning},
                       redrive_state::kPaused, "dlq.redrive.pause");
}

Result<store::RedriveTaskRow> resumeRedriveTask(store::Database &db, const std::string &taskId)
{
    // A resumed task goes back to pending: whichever runner is free takes it.
    return changeState(db, taskId, {redrive_state::kPaused, redrive_state::kFailed},
                       redrive_state::kPending, "dlq.redrive.resume");
}

Result<store::RedriveTaskRow> cancelRedriveTask(store::Database &db, const std::string &taskId)
{
    return changeState(db, taskId,
                       {redrive_state::kPending, redrive_state::kRunning, redrive_state::kPaused,
                        redrive_state::kFailed},
                       redrive_state::kCancelled, "dlq.redrive.cancel");
}

kafka::Headers redriveHeaders(const DeadLetter &letter, int redriveCount,
                              const std::string &redrivenBy, std::int64_t redrivenAtMs,
                              const std::string &taskId)
{
    kafka::Headers out;
    for (const auto &header : letter.headers) {
        if (!isFailureHeader(header.name)) {
            out.push_back(header);
        }
    }
    auto ensure = [&](const char *name, const std::string &value) {
        const bool present =
            std::ranges::any_of(out, [&](const kafka::Header &hd) { return hd.name == name; });
        if (!present && !value.empty()) {
            out.push_back({name, value});
        }
    };
    // Spring and Connect dead letters carry these only in their own headers.
    ensure(h::kEventId, letter.eventId);
    ensure(h::kTenantId, letter.tenant);
    ensure(h::kOriginalTopic, letter.originalTopic);
    // Only what the headers gave: an unknown coordinate is left out, never made up.
    if (letter.originalPartition) {
        ensure(h::kOriginalPartition, std::to_string(*letter.originalPartition));
    }
    if (letter.originalOffset) {
        ensure(h::kOriginalOffset, std::to_string(*letter.originalOffset));
    }
    if (letter.originalTimestampMs) {
        ensure(h::kOriginalTimestamp, std::to_string(*letter.originalTimestampMs));
    }
    out.push_back({h::kRedriveCount, std::to_string(redriveCount)});
    out.push_back({h::kRedrivenBy, redrivenBy});
    out.push_back({h::kRedrivenAt, formatRfc3339(redrivenAtMs)});
    out.push_back({h::kRedriveTask, taskId});
    return out;
}

} // namespace logdeck::ops
