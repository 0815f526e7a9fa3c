#include "ops/lag_monitor.h"

#include "common/log.h"
#include "common/thread_name.h"
#include "common/time_format.h"
#include "kafka/admin_client.h"
#include "store/database.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

namespace logdeck::ops {

using kafka::TopicPartition;

std::vector<HostedGroup> hostedGroupsOf(const std::string &instance,
                                        const std::vector<consume::GroupMetrics> &groups)
{
    std::vector<HostedGroup> hosted;
    for (const auto &metrics : groups) {
        HostedGroup group;
        group.instance = instance;
        group.status = hostedGroupStatus(metrics);
        hosted.push_back(std::move(group));
    }
    return hosted;
}

std::vector<HostedGroup> hostedGroupsOf(const std::vector<EngineHeartbeat> &heartbeats)
{
    std::vector<HostedGroup> hosted;
    for (const auto &engine : liveEngines(heartbeats, kHeartbeatFreshness)) {
        for (const auto &group : engine.groups) {
            hosted.push_back({engine.instance, group, engine.sentAtMs});
        }
    }
    return hosted;
}

const GroupLag *LagSnapshot::find(const std::string &group) const
{
    const auto it = std::ranges::find(groups, group, &GroupLag::group);
    return it == groups.end() ? nullptr : &*it;
}

namespace {

/// Committed and log-end offsets of one partition at one sample, behind the rates.
/// A committed offset reported by a heartbeat is as old as the heartbeat: its time is kept
/// apart from the sample's, so that a rate is not computed from a stale value.
struct OffsetSample
{
    std::int64_t committed = 0;
    std::int64_t committedAtMs = 0;
    std::int64_t logEnd = 0;
    std::int64_t atMs = 0;
};

/// Per second over the span of `samples`, of `value` seen at `time`; nullopt below two
/// distinct times.
std::optional<double> ratePerSecond(const std::deque<OffsetSample> &samples,
                                    std::int64_t OffsetSample::*value,
                                    std::int64_t OffsetSample::*time)
{
    if (samples.size() < 2 || samples.back().*time <= samples.front().*time) {
        return std::nullopt;
    }
    return static_cast<double>(samples.back().*value - samples.front().*value) * 1000.0
        / static_cast<double>(samples.back().*time - samples.front().*time);
}

/// The member of `description` that holds `tp`, or null.
const kafka::GroupMember *holderOf(const kafka::GroupDescription &description,
                                   const TopicPartition &tp)
{
    for (const auto &member : description.members) {
        if (std::ranges::find(member.assignment, tp) != member.assignment.end()) {
            return &member;
        }
    }
    return nullptr;
}

} // namespace

struct LagSampler::State
{
    struct PartitionWindow
    {
        std::vector<CommitSample> commits; ///< Burrow's window (a few entries)
        std::deque<OffsetSample> samples; ///< every sample, for the rates
    };
    std::map<std::pair<std::string, TopicPartition>, PartitionWindow> windows;
    std::map<TopicPartition, LogEndTimeline> timelines;
};

LagSampler::LagSampler(LagSamplingOptions options)
    : m_options(std::move(options))
    , m_state(std::make_unique<State>())
{
    m_options.windowSize = std::max<std::size_t>(m_options.windowSize, 2);
}

LagSampler::~LagSampler() = default;

Result<LagSnapshot> LagSampler::sampleOnce(kafka::AdminClient &admin,
                                           const std::vector<HostedGroup> &hosted)
{
    const auto timeout = m_options.requestTimeout;
    LagSnapshot snapshot;
    std::map<std::string, GroupLag> groups;
    std::map<std::string, const HostedGroup *> hostedByName;
    for (const auto &h : hosted) {
        hostedByName[h.status.group] = &h;
    }
    const auto wanted = [&](const std::string &group) {
        return m_options.onlyGroup.empty() || group == m_options.onlyGroup;
    };

    auto listing = admin.listGroups(timeout);
    const bool canDescribe = listing.has_value();
    std::set<std::string> listed;
    if (listing) {
        for (const auto &g : *listing) {
            if (wanted(g.group)) {
                groups[g.group].state = g.state;
                listed.insert(g.group);
            }
        }
    } else if (hosted.empty()) {
        return fail(listing.error());
    } else {
        snapshot.note = listing.error().code == Error::Code::Unsupported
            ? std::string("this cluster (the embedded mock cluster) cannot list consumer "
                          "groups: showing the groups Logdeck engines run")
            : "the cluster cannot list consumer groups (" + listing.error().message
                + "): showing the groups Logdeck engines run";
    }
    for (const auto &[name, h] : hostedByName) {
        if (wanted(name)) {
            groups[name].hostedBy = h->instance;
        }
    }

    // Committed offsets (and members, where the cluster can describe groups) per group.
    std::map<std::string, kafka::GroupDescription> descriptions;
    std::set<TopicPartition> partitions;
    std::map<std::string, std::map<TopicPartition, std::int64_t>> committed;
    std::map<std::string, std::map<TopicPartition, std::int64_t>> committedAt; // when older
    for (auto &[name, group] : groups) {
        group.group = name;
        // Offsets are fetched only once the group's coordinator has answered a describe:
        // librdkafka 2.0.2 crashes on a NOT_COORDINATOR answer to an admin OffsetFetch
        // (confluentinc/librdkafka#5040), which a broker gives while its coordinator loads.
        bool coordinatorReady = false;
        if (canDescribe) {
            // Not the admin DescribeConsumerGroups: one that times out while the broker is
            // down aborts the engine when the broker returns (librdkafka#4605), and a sample
            // every second meets every broker restart. describeGroup asks the brokers
            // directly (AdminClient::describeGroup); while they are down it fails, and the
            // sample shows no lag it cannot know.
            if (auto description = admin.describeGroup(name, timeout)) {
                coordinatorReady = true;
                group.state = description->state;
                group.members = static_cast<int>(description->members.size());
                for (const auto &member : description->members) {
                    partitions.insert(member.assignment.begin(), member.assignment.end());
                    for (const auto &tp : member.assignment) {
                        committed[name].try_emplace(tp, -1);
                    }
                }
                descriptions[name] = std::move(*description);
            } else if (description.error().code != Error::Code::NotFound) {
                group.error = description.error().message;
            } else if (listed.contains(name)) {
                // Listed, yet unknown to the classic describe: a group on Kafka 4's consumer
                // protocol (KIP-848), which librdkafka 2.0.2 cannot describe. Its coordinator
                // answered the listing, so its offsets can be fetched; its members stay
                // unknown (-1), and so does its health until commits are seen to move.
                coordinatorReady = true;
                group.membersUnknown = true;
                group.error = "the group's members cannot be read (a consumer-protocol group, "
                              "KIP-848?): lag is from its committed offsets, members unknown";
            }
        }
        if (coordinatorReady) {
            if (auto offsets = admin.committedOffsets(name, timeout)) {
                for (const auto &tpo : *offsets) {
                    const TopicPartition tp {tpo.topic, tpo.partition};
                    committed[name][tp] = tpo.offset;
                    partitions.insert(tp);
                }
            } else {
                group.error = offsets.error().message;
            }
        }
        if (const auto it = hostedByName.find(name); it != hostedByName.end()) {
            if (group.state.empty()) {
                group.state = it->second->status.state;
            }
            // The group's own position: committed to its SQLite with each batch, to
            // Kafka right after.
            for (const auto &p : it->second->status.partitions) {
                const TopicPartition tp {p.topic, p.partition};
                auto &offset = committed[name][tp];
                if (p.nextOffset > offset) {
                    offset = p.nextOffset;
                    if (it->second->reportedAtMs > 0) {
                        committedAt[name][tp] = it->second->reportedAtMs;
                    }
                }
                partitions.insert(tp);
            }
        }
    }

    std::map<TopicPartition, std::int64_t> logEnds;
    if (!partitions.empty()) {
        auto ends = admin.logEndOffsets({partitions.begin(), partitions.end()}, timeout);
        if (!ends) {
            return fail(ends.error());
        }
        for (const auto &tpo : *ends) {
            logEnds[{tpo.topic, tpo.partition}] = tpo.offset;
        }
    }
    const std::int64_t now = nowMillis();
    snapshot.sampledAtMs = now;
    for (const auto &[tp, end] : logEnds) {
        m_state->timelines.try_emplace(tp).first->second.add(end, now);
    }

    const auto windowSize = m_options.windowSize;
    const std::int64_t minStopAfterMs =
        static_cast<std::int64_t>(windowSize) * m_options.interval.count();
    for (auto &[name, group] : groups) {
        const auto hostedIt = hostedByName.find(name);
        const HostedGroup *host = hostedIt == hostedByName.end() ? nullptr : hostedIt->second;
        const auto descriptionIt = descriptions.find(name);
        // Nobody consumes: Kafka says the group has no member, and no engine runs it.
        const bool knownStopped = descriptionIt != descriptions.end()
            && descriptionIt->second.members.empty()
            && (host == nullptr || host->status.state != "running");
        double drainMax = 0;
        bool drainKnown = false;
        bool timeLagUnknown = false; // a partition with lag whose time lag is not known
        for (const auto &[tp, offset] : committed[name]) {
            PartitionLag p;
            p.topic = tp.topic;
            p.partition = tp.partition;
            p.committedOffset = offset;
            const auto endIt = logEnds.find(tp);
            p.logEndOffset = endIt == logEnds.end() ? -1 : endIt->second;
            const bool known = p.committedOffset >= 0 && p.logEndOffset >= 0;
            p.lag = known ? std::max<std::int64_t>(p.logEndOffset - p.committedOffset, 0) : -1;

            // Alive: a member (or a running hosted group) holds the partition. Burrow sees a
            // live consumer's commits even when its offset stands still; an offset change is
            // a commit whoever made it.
            bool alive = false;
            if (descriptionIt != descriptions.end()) {
                if (const auto *member = holderOf(descriptionIt->second, tp)) {
                    alive = true;
                    p.consumerId = member->memberId;
                    p.host = member->host;
                    p.clientId = member->clientId;
                }
            }
            const HostedGroupStatus::Partition *hostedPartition = nullptr;
            if (host != nullptr) {
                const auto &parts = host->status.partitions;
                const auto it = std::ranges::find_if(parts, [&](const auto &hp) {
                    return hp.topic == tp.topic && hp.partition == tp.partition;
                });
                if (it != parts.end()) {
                    hostedPartition = &*it;
                    alive = alive || host->status.state == "running";
                    if (p.clientId.empty()) {
                        p.clientId = host->instance;
                    }
                }
            }

            if (known) {
                auto &window = m_state->windows[{name, tp}];
                const auto reported = committedAt[name].find(tp);
                window.samples.push_back(
                    {p.committedOffset,
                     reported == committedAt[name].end() ? now : reported->second, p.logEndOffset,
                     now});
                while (window.samples.size() > windowSize) {
                    window.samples.pop_front();
                }
                if (window.commits.empty() || alive
                    || window.commits.back().offset != p.committedOffset) {
                    window.commits.push_back({p.committedOffset, p.lag, now});
                    if (window.commits.size() > windowSize) {
                        window.commits.erase(window.commits.begin());
                    }
                }
                p.status =
                    evaluatePartition(window.commits, windowSize, p.lag, now, minStopAfterMs);
                if (group.membersUnknown && p.lag > 0 && window.commits.size() < 2) {
                    p.status = worseOf(p.status, LagStatus::Unknown);
                }
                if (knownStopped && p.lag > 0 && window.commits.size() < 2) {
                    // Lag waits, no member is there to read it, and no commit has been seen
                    // to move: stopped, not OK on the strength of one sample. (A consumer
                    // that commits without joining, as Flink's does, shows its moves next.)
                    p.status = worseOf(p.status, LagStatus::Stop);
                }
                p.consumeRate = ratePerSecond(window.samples, &OffsetSample::committed,
                                              &OffsetSample::committedAtMs);
                p.produceRate =
                    ratePerSecond(window.samples, &OffsetSample::logEnd, &OffsetSample::atMs);
                if (p.lag == 0) {
                    p.timeLagSeconds = 0.0;
                    p.timeToDrainSeconds = 0.0;
                } else {
                    if (hostedPartition != nullptr && hostedPartition->lastRecordTimestampMs > 0
                        && hostedPartition->nextOffset == p.committedOffset) {
                        p.timeLagExact = true;
                        p.timeLagSeconds = std::max<double>(
                            static_cast<double>(now - hostedPartition->lastRecordTimestampMs)
                                / 1000.0,
                            0.0);
                    } else if (const auto at =
                                   m_state->timelines.at(tp).timeAtOffset(p.committedOffset)) {
                        p.timeLagSeconds =
                            std::max<double>(static_cast<double>(now - *at) / 1000.0, 0.0);
                    }
                    if (p.consumeRate && p.produceRate) {
                        const double drainRate = *p.consumeRate - *p.produceRate;
                        p.timeToDrainSeconds = drainRate > 0
                            ? static_cast<double>(p.lag) / drainRate
                            : std::numeric_limits<double>::infinity();
                    }
                }
            }

            if (p.lag > 0) {
                group.lag += p.lag;
            }
            if (p.timeLagSeconds) {
                group.timeLagSeconds =
                    std::max(group.timeLagSeconds.value_or(0.0), *p.timeLagSeconds);
            } else if (p.lag != 0) {
                timeLagUnknown = true;
            }
            if (p.consumeRate) {
                group.consumeRate = group.consumeRate.value_or(0.0) + *p.consumeRate;
            }
            if (p.timeToDrainSeconds) {
                drainKnown = true;
                drainMax = std::max(drainMax, *p.timeToDrainSeconds);
            }
            group.status = worseOf(group.status, p.status);
            if (std::ranges::find(group.topics, tp.topic) == group.topics.end()) {
                group.topics.push_back(tp.topic);
            }
            group.partitions.push_back(std::move(p));
        }
        if (drainKnown) {
            group.timeToDrainSeconds = drainMax;
        }
        if (timeLagUnknown) {
            // The largest of the known ones could be far below the truth: unknown, not 0s.
            group.timeLagSeconds.reset();
        }
        snapshot.groups.push_back(std::move(group));
    }
    // Forget partitions that are gone (a group deleted, a topic removed).
    std::erase_if(m_state->windows, [&](const auto &entry) {
        return entry.second.samples.empty() || entry.second.samples.back().atMs != now;
    });
    std::erase_if(m_state->timelines,
                  [&](const auto &entry) { return !logEnds.contains(entry.first); });
    return snapshot;
}

struct LagMonitor::Impl
{
    Options options;
    std::unique_ptr<kafka::AdminClient> admin;
    std::unique_ptr<store::Database> database; ///< owned by the thread once it runs
    std::thread thread;
    std::mutex mutex; // guards stopping and the fields below it
    std::condition_variable wake;
    bool stopping = false;
    std::shared_ptr<const LagSnapshot> latest = std::make_shared<LagSnapshot>();
    std::map<std::string, std::deque<store::LagHistoryPoint>> memory;

    void run()
    {
        LagSampler sampler(options.sampling);
        std::optional<store::LagHistory> history;
        if (database) {
            history.emplace(*database);
        }
        std::int64_t lastPruneMs = 0;
        std::string lastError;
        for (;;) {
            const auto started = std::chrono::steady_clock::now();
            const auto hosted =
                options.hostedGroups ? options.hostedGroups() : std::vector<HostedGroup> {};
            auto sample = sampler.sampleOnce(*admin, hosted);
            if (sample) {
                lastError.clear();
                record(*sample, history ? &*history : nullptr, lastPruneMs);
            } else if (sample.error().message != lastError) {
                lastError = sample.error().message; // log a failure once, not every second
                log::warn("lag.sample_failed", {{"error", lastError}});
            }
            std::unique_lock lock(mutex);
            if (wake.wait_until(lock, started + options.sampling.interval,
                                [this] { return stopping; })) {
                return;
            }
        }
    }

    void record(LagSnapshot &sample, store::LagHistory *history, std::int64_t &lastPruneMs)
    {
        std::vector<std::pair<std::string, store::LagHistoryPoint>> points;
        for (const auto &group : sample.groups) {
            points.push_back({group.group,
                              {sample.sampledAtMs, group.lag, group.timeLagSeconds,
                               group.consumeRate, std::string(lagStatusName(group.status))}});
        }
        {
            const std::lock_guard lock(mutex);
            latest = std::make_shared<const LagSnapshot>(std::move(sample));
            for (const auto &[group, point] : points) {
                auto &ring = memory[group];
                ring.push_back(point);
                while (ring.size() > kMemoryPoints) {
                    ring.pop_front();
                }
            }
        }
        if (history == nullptr) {
            return;
        }
        if (auto written = history->record(points); !written) {
            log::warn("lag.history_not_written", {{"error", written.error().message}});
        }
        const std::int64_t now = nowMillis();
        if (now - lastPruneMs >= 60000) {
            lastPruneMs = now;
            if (auto pruned = history->prune(now); !pruned) {
                log::warn("lag.history_not_pruned", {{"error", pruned.error().message}});
            }
        }
    }
};

Result<std::unique_ptr<LagMonitor>> LagMonitor::start(Options options)
{
    auto impl = std::make_unique<Impl>();
    auto admin = kafka::AdminClient::create(options.cluster);
    if (!admin) {
        return fail(admin.error());
    }
    impl->admin = std::move(*admin);
    if (!options.databasePath.empty()) {
        auto database = store::Database::open(options.databasePath);
        if (!database) {
            return fail(database.error());
        }
        impl->database = std::move(*database);
    }
    impl->options = std::move(options);
    Impl *raw = impl.get();
    impl->thread = std::thread([raw] {
        nameThisThread("ld-lag");
        raw->run();
    });
    return std::unique_ptr<LagMonitor>(new LagMonitor(std::move(impl)));
}

LagMonitor::LagMonitor(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

LagMonitor::~LagMonitor()
{
    stop();
}

void LagMonitor::stop()
{
    {
        const std::lock_guard lock(d->mutex);
        d->stopping = true;
    }
    d->wake.notify_all();
    if (d->thread.joinable()) {
        d->thread.join();
    }
}

std::shared_ptr<const LagSnapshot> LagMonitor::snapshot() const
{
    const std::lock_guard lock(d->mutex);
    return d->latest;
}

Result<std::vector<store::LagHistoryPoint>>
LagMonitor::history(const std::string &group, std::int64_t fromMs, std::int64_t toMs) const
{
    {
        const std::lock_guard lock(d->mutex);
        const auto it = d->memory.find(group);
        if (it != d->memory.end() && !it->second.empty() && it->second.front().atMs <= fromMs) {
            std::vector<store::LagHistoryPoint> points;
            for (const auto &point : it->second) {
                if (point.atMs >= fromMs && point.atMs <= toMs) {
                    points.push_back(point);
                }
            }
            return points;
        }
    }
    if (d->options.databasePath.empty()) {
        return std::vector<store::LagHistoryPoint> {};
    }
    // The monitor thread owns its connection; a reader opens its own.
    auto database = store::Database::open(d->options.databasePath);
    if (!database) {
        return fail(database.error());
    }
    return store::LagHistory(**database).read(group, fromMs, toMs, nowMillis());
}

} // namespace logdeck::ops
