#include "kafka/admin_client.h"

#include "kafka/consumer.h"
#include "kafka/rdkafka_support.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <span>
#include <thread>

namespace logdeck::kafka {

using detail::EventPtr;
using detail::PartitionListPtr;
using detail::QueuePtr;
using detail::toError;

namespace {

/// How long to wait before asking again while a partition's leadership moves.
constexpr std::chrono::milliseconds kLeaderRetryPause {20};

PartitionListPtr toList(const std::vector<TopicPartitionOffset> &offsets)
{
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto &o : offsets) {
        rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset =
            o.offset;
    }
    return list;
}

std::vector<TopicPartitionOffset> fromList(const rd_kafka_topic_partition_list_t *list)
{
    std::vector<TopicPartitionOffset> result;
    if (list == nullptr) {
        return result;
    }
    for (int i = 0; i < list->cnt; ++i) {
        result.push_back({list->elems[i].topic, list->elems[i].partition, list->elems[i].offset});
    }
    std::ranges::sort(result);
    return result;
}

/// The first per-partition error of `list`, if any.
Result<void> partitionErrors(const rd_kafka_topic_partition_list_t *list, const std::string &what)
{
    for (int i = 0; list != nullptr && i < list->cnt; ++i) {
        if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return fail(toError(list->elems[i].err,
                                what + " " + list->elems[i].topic + "["
                                    + std::to_string(list->elems[i].partition) + "]"));
        }
    }
    return {};
}

/// The one group result of a group admin request, its error checked.
Result<const rd_kafka_group_result_t *> singleGroupResult(const rd_kafka_group_result_t **groups,
                                                          size_t count, const std::string &what)
{
    if (count != 1) {
        return fail(Error::internal(what + ": the cluster answered for " + std::to_string(count)
                                    + " groups"));
    }
    if (const rd_kafka_error_t *error = rd_kafka_group_result_error(groups[0])) {
        return fail(
            toError(rd_kafka_error_code(error), what + " (" + rd_kafka_error_string(error) + ")"));
    }
    return groups[0];
}

} // namespace

Result<std::unique_ptr<AdminClient>> AdminClient::create(const ClientSettings &settings)
{
    auto conf = detail::makeConf(settings, {});
    if (!conf) {
        return fail(conf.error());
    }
    // A producer handle is the lightest client type that can issue admin requests.
    auto handle = detail::makeHandle(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!handle) {
        return fail(handle.error());
    }
    return std::unique_ptr<AdminClient>(new AdminClient(handle->release(), settings));
}

AdminClient::AdminClient(rd_kafka_s *handle, ClientSettings settings)
    : m_handle(handle)
    , m_settings(std::move(settings))
{
}

AdminClient::~AdminClient()
{
    m_offsetReaders.clear();
    rd_kafka_destroy(m_handle);
}

Result<ClusterMetadata> AdminClient::describeCluster(std::chrono::milliseconds timeout)
{
    const rd_kafka_metadata_t *raw = nullptr;
    const auto err =
        rd_kafka_metadata(m_handle, 1, nullptr, &raw, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(Error::unavailable(std::string("no Kafka broker answered within ")
                                       + std::to_string(timeout.count()) + " ms ("
                                       + rd_kafka_err2str(err) + ")"));
    }
    ClusterMetadata result;
    for (int i = 0; i < raw->broker_cnt; ++i) {
        result.brokers.push_back({raw->brokers[i].id, raw->brokers[i].host, raw->brokers[i].port});
    }
    for (int i = 0; i < raw->topic_cnt; ++i) {
        const auto &topic = raw->topics[i];
        const std::string name = topic.topic;
        if (name.starts_with("__") || topic.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            continue;
        }
        const std::span partitions(topic.partitions,
                                   static_cast<std::size_t>(topic.partition_cnt));
        const bool led = !partitions.empty()
            && std::ranges::all_of(partitions, [](const rd_kafka_metadata_partition_t &p) {
                   return p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.leader >= 0;
               });
        result.topics.push_back({name, topic.partition_cnt, led});
    }
    rd_kafka_metadata_destroy(raw);
    // Cached by librdkafka from the metadata answer above: no second round trip.
    if (char *id = rd_kafka_clusterid(m_handle, 0); id != nullptr) {
        result.clusterId = id;
        rd_kafka_mem_free(m_handle, id);
    }
    std::ranges::sort(result.brokers, {}, &BrokerInfo::id);
    std::ranges::sort(result.topics, {}, &TopicInfo::name);
    return result;
}

Result<void> AdminClient::createTopics(const std::vector<TopicSpec> &topics,
                                       std::chrono::milliseconds timeout)
{
    auto cluster = describeCluster(timeout);
    if (!cluster) {
        return fail(cluster.error());
    }
    std::vector<const TopicSpec *> missing;
    for (const auto &spec : topics) {
        if (!std::ranges::any_of(cluster->topics,
                                 [&](const TopicInfo &t) { return t.name == spec.name; })) {
            missing.push_back(&spec);
        }
    }
    if (missing.empty()) {
        return {};
    }
    const int replication = std::clamp(static_cast<int>(cluster->brokers.size()), 1, 3);
    std::vector<rd_kafka_NewTopic_t *> newTopics;
    char errstr[512];
    auto destroyNewTopics = [&] {
        rd_kafka_NewTopic_destroy_array(newTopics.data(), newTopics.size());
    };
    for (const TopicSpec *spec : missing) {
        rd_kafka_NewTopic_t *newTopic = rd_kafka_NewTopic_new(spec->name.c_str(), spec->partitions,
                                                              replication, errstr, sizeof errstr);
        if (newTopic == nullptr) {
            destroyNewTopics();
            return fail(Error::invalid("topic '" + spec->name + "': " + errstr));
        }
        for (const auto &[name, value] : spec->config) {
            rd_kafka_NewTopic_set_config(newTopic, name.c_str(), value.c_str());
        }
        newTopics.push_back(newTopic);
    }
    detail::QueuePtr queue(rd_kafka_queue_new(m_handle));
    rd_kafka_AdminOptions_t *options =
        rd_kafka_AdminOptions_new(m_handle, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout.count()), errstr,
                                                sizeof errstr);
    rd_kafka_CreateTopics(m_handle, newTopics.data(), newTopics.size(), options, queue.get());
    rd_kafka_AdminOptions_destroy(options);
    destroyNewTopics();

    detail::EventPtr event(
        rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000));
    if (!event) {
        return fail(Error::timeout("creating topics timed out"));
    }
    if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(rd_kafka_event_error(event.get()), "creating topics"));
    }
    const auto *result = rd_kafka_event_CreateTopics_result(event.get());
    size_t count = 0;
    const rd_kafka_topic_result_t **results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count; ++i) {
        const auto err = rd_kafka_topic_result_error(results[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            return fail(detail::toError(err,
                                        std::string("creating topic '")
                                            + rd_kafka_topic_result_name(results[i]) + "'"));
        }
    }
    // The controller answers once the topic is committed; brokers learn of it a little
    // later. Until then a metadata or watermark request right after this call would say the
    // topic does not exist, so wait until every partition has a leader.
    const auto allLed = [&](const ClusterMetadata &now) {
        return std::ranges::all_of(missing, [&](const TopicSpec *spec) {
            const auto info = std::ranges::find(now.topics, spec->name, &TopicInfo::name);
            return info != now.topics.end() && info->led;
        });
    };
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto now = describeCluster(timeout); !now || !allLed(*now);
         now = describeCluster(timeout)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return fail(Error::unavailable(
                "topics created, but their partitions had no leader within "
                + std::to_string(timeout.count()) + " ms"));
        }
        std::this_thread::sleep_for(kLeaderRetryPause);
    }
    return {};
}

Result<Watermarks> AdminClient::watermarks(const std::string &topic, std::int32_t partition,
                                           std::chrono::milliseconds timeout)
{
    // Leadership moves (a broker restarts, a new topic's leader is being elected): the
    // metadata can name a leader that does not lead yet. librdkafka refreshes its metadata
    // on such an answer, so asking again within the call's time usually succeeds.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        Watermarks result;
        const auto err = rd_kafka_query_watermark_offsets(
            m_handle, topic.c_str(), partition, &result.low, &result.high,
            static_cast<int>(std::max<std::int64_t>(left.count(), 1)));
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return result;
        }
        const bool leaderMoving = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION
                                  || err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
        if (!leaderMoving || std::chrono::steady_clock::now() + kLeaderRetryPause >= deadline) {
            return fail(detail::toError(
                err, "reading watermarks of " + topic + ":" + std::to_string(partition)));
        }
        std::this_thread::sleep_for(kLeaderRetryPause);
    }
}

namespace {

/// Runs one admin request: `submit` issues it on a fresh queue with options for `op`, and
/// the result event is returned once its top-level error is checked.
Result<EventPtr>
runAdmin(rd_kafka_t *handle, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout,
         const std::string &what,
         const std::function<void(rd_kafka_AdminOptions_t *, rd_kafka_queue_t *)> &submit)
{
    QueuePtr queue(rd_kafka_queue_new(handle));
    rd_kafka_AdminOptions_t *options = rd_kafka_AdminOptions_new(handle, op);
    char errstr[512];
    rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout.count()), errstr,
                                              sizeof errstr);
    submit(options, queue.get());
    rd_kafka_AdminOptions_destroy(options);
    EventPtr event(rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 1000));
    if (!event) {
        return fail(
            Error::timeout(what + " timed out after " + std::to_string(timeout.count()) + " ms"));
    }
    if (const auto err = rd_kafka_event_error(event.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(toError(err, what + " (" + rd_kafka_event_error_string(event.get()) + ")"));
    }
    return event;
}

} // namespace

Result<std::map<std::string, int>> AdminClient::partitionCounts(std::chrono::milliseconds timeout)
{
    auto cluster = describeCluster(timeout);
    if (!cluster) {
        return fail(cluster.error());
    }
    std::map<std::string, int> counts;
    for (const auto &topic : cluster->topics) {
        counts[topic.name] = topic.partitions;
    }
    return counts;
}

Result<std::vector<GroupListing>> AdminClient::listGroups(std::chrono::milliseconds timeout)
{
    // librdkafka 2.0.2 busy-waits for the brokers of a fan-out admin request: while every
    // broker is down, ListConsumerGroups keeps two of its threads reconnecting (about 2,700
    // refused connects per second, 85% of a core) until it times out, and a lag monitor
    // that lists groups every second never lets them rest. A metadata request waits
    // without spinning, so it goes first and the listing only follows once a broker answered.
    const auto started = std::chrono::steady_clock::now();
    const rd_kafka_metadata_t *brokers = nullptr;
    if (const auto err =
            rd_kafka_metadata(m_handle, 0, nullptr, &brokers, static_cast<int>(timeout.count()));
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(toError(err, "listing consumer groups: no Kafka broker answered within "
                                     + std::to_string(timeout.count()) + " ms"));
    }
    rd_kafka_metadata_destroy(brokers);
    timeout = std::max(std::chrono::milliseconds(1),
                       timeout
                           - std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - started));
    auto event =
        runAdmin(m_handle, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout, "listing consumer groups",
                 [&](rd_kafka_AdminOptions_t *options, rd_kafka_queue_t *queue) {
                     rd_kafka_ListConsumerGroups(m_handle, options, queue);
                 });
    if (!event) {
        return fail(event.error());
    }
    const auto *result = rd_kafka_event_ListConsumerGroups_result(event->get());
    size_t errorCount = 0;
    const rd_kafka_error_t **errors =
        rd_kafka_ListConsumerGroups_result_errors(result, &errorCount);
    size_t count = 0;
    const rd_kafka_ConsumerGroupListing_t **listings =
        rd_kafka_ListConsumerGroups_result_valid(result, &count);
    if (count == 0 && errorCount > 0) {
        return fail(toError(rd_kafka_error_code(errors[0]),
                            std::string("listing consumer groups (")
                                + rd_kafka_error_string(errors[0]) + ")"));
    }
    std::vector<GroupListing> groups;
    for (size_t i = 0; i < count; ++i) {
        groups.push_back(
            {rd_kafka_ConsumerGroupListing_group_id(listings[i]),
             rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(listings[i])),
             rd_kafka_ConsumerGroupListing_is_simple_consumer_group(listings[i]) != 0});
    }
    std::ranges::sort(groups, {}, &GroupListing::group);
    return groups;
}

namespace {

/// Reads Kafka's consumer-protocol MemberAssignment (version, then [topic, [partition]],
/// then user data, big-endian): the partitions a member holds. Nullopt when malformed.
std::optional<std::vector<TopicPartition>> parseConsumerAssignment(const void *data, int size)
{
    std::vector<TopicPartition> result;
    if (data == nullptr || size <= 0) {
        return result; // a member that holds nothing yet
    }
    const auto *bytes = static_cast<const unsigned char *>(data);
    const auto length = static_cast<std::size_t>(size);
    std::size_t at = 0;
    const auto read = [&](std::size_t width, std::int64_t &value) {
        if (length - at < width) {
            return false;
        }
        std::uint64_t raw = 0;
        for (std::size_t i = 0; i < width; ++i) {
            raw = (raw << 8U) | bytes[at + i];
        }
        at += width;
        value = width == 2 ? static_cast<std::int16_t>(raw) : static_cast<std::int32_t>(raw);
        return true;
    };
    std::int64_t version = 0;
    std::int64_t topics = 0;
    if (!read(2, version) || version < 0 || !read(4, topics) || topics < 0) {
        return std::nullopt;
    }
    for (std::int64_t t = 0; t < topics; ++t) {
        std::int64_t nameLength = 0;
        if (!read(2, nameLength) || nameLength < 0
            || length - at < static_cast<std::size_t>(nameLength)) {
            return std::nullopt;
        }
        const std::string topic(reinterpret_cast<const char *>(bytes + at),
                                static_cast<std::size_t>(nameLength));
        at += static_cast<std::size_t>(nameLength);
        std::int64_t partitions = 0;
        if (!read(4, partitions) || partitions < 0) {
            return std::nullopt;
        }
        for (std::int64_t p = 0; p < partitions; ++p) {
            std::int64_t partition = 0;
            if (!read(4, partition)) {
                return std::nullopt;
            }
            result.push_back({topic, static_cast<std::int32_t>(partition)});
        }
    }
    std::ranges::sort(result);
    return result; // the user data that may follow is not Logdeck's
}

struct GroupListDeleter
{
    void operator()(const rd_kafka_group_list *list) const { rd_kafka_group_list_destroy(list); }
};

} // namespace

Result<GroupDescription> AdminClient::describeGroup(const std::string &group,
                                                    std::chrono::milliseconds timeout)
{
    // Through the classic ListGroups + DescribeGroups that rd_kafka_list_groups sends to
    // each broker itself, not the admin API's DescribeConsumerGroups: librdkafka 2.0.2
    // aborts (rd_kafka_enq_once_del_source_return: `eonce->refcnt > 0`,
    // confluentinc/librdkafka#4605) when a coordinator-targeted admin request times out
    // while its coordinator is unreachable and the coordinator comes back later, as a
    // broker restart does. rd_kafka_list_groups uses no coordinator lookup and forgets
    // its requests cleanly at its timeout.
    const std::string what = "describing consumer group '" + group + "'";
    const rd_kafka_group_list *raw = nullptr;
    const auto err =
        rd_kafka_list_groups(m_handle, group.c_str(), &raw, static_cast<int>(timeout.count()));
    const std::unique_ptr<const rd_kafka_group_list, GroupListDeleter> list(raw);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__PARTIAL) {
        return fail(toError(err, what));
    }
    const rd_kafka_group_info *found = nullptr;
    rd_kafka_resp_err_t groupError = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int i = 0; list && i < list->group_cnt; ++i) {
        const auto &info = list->groups[i];
        if (info.group == nullptr || group != info.group) {
            continue;
        }
        if (info.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            found = &info;
            break;
        }
        groupError = info.err; // e.g. NOT_COORDINATOR from a broker that does not hold it
    }
    if (found == nullptr) {
        if (err == RD_KAFKA_RESP_ERR__PARTIAL) {
            // Some broker did not answer: it may be the group's coordinator. Unknown.
            return fail(toError(err, what));
        }
        if (groupError != RD_KAFKA_RESP_ERR_NO_ERROR
            && groupError != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
            return fail(toError(groupError, what));
        }
        return fail(Error::notFound("consumer group '" + group + "' does not exist"));
    }
    GroupDescription result;
    result.group = group;
    result.state = found->state != nullptr ? found->state : "";
    const bool consumerProtocol =
        found->protocol_type != nullptr && std::string(found->protocol_type) == "consumer";
    for (int i = 0; i < found->member_cnt; ++i) {
        const auto &member = found->members[i];
        GroupMember m;
        m.memberId = member.member_id != nullptr ? member.member_id : "";
        m.clientId = member.client_id != nullptr ? member.client_id : "";
        m.host = member.client_host != nullptr ? member.client_host : "";
        if (consumerProtocol) {
            auto assignment =
                parseConsumerAssignment(member.member_assignment, member.member_assignment_size);
            if (!assignment) {
                return fail(Error::internal(what + ": member '" + m.memberId
                                            + "' has an assignment that cannot be read"));
            }
            m.assignment = std::move(*assignment);
        }
        result.members.push_back(std::move(m));
    }
    if (result.state == "Dead" && result.members.empty()) {
        return fail(Error::notFound("consumer group '" + group + "' does not exist"));
    }
    return result;
}

Result<std::vector<TopicPartitionOffset>>
AdminClient::committedOffsets(const std::string &group, std::chrono::milliseconds timeout,
                              const std::vector<TopicPartition> &partitions)
{
    // Through a consumer handle of the group (which never joins it), not the admin API's
    // ListConsumerGroupOffsets: librdkafka 2.0.2 can crash when that request gets
    // NOT_COORDINATOR, which a broker answers while it loads the group's coordinator
    // (confluentinc/librdkafka#5040). The handle needs the partitions named, as the mock
    // cluster does anyway: "every partition" is every partition of every topic.
    std::vector<TopicPartition> wanted = partitions;
    if (wanted.empty()) {
        auto counts = partitionCounts(timeout);
        if (!counts) {
            return fail(counts.error());
        }
        for (const auto &[topic, count] : *counts) {
            for (std::int32_t p = 0; p < count; ++p) {
                wanted.push_back({topic, p});
            }
        }
    }
    std::vector<TopicPartitionOffset> result;
    if (wanted.empty()) {
        return result;
    }
    const std::lock_guard lock(m_offsetReadersMutex);
    auto &reader = m_offsetReaders[group];
    if (!reader) {
        auto consumer = Consumer::create(m_settings, group);
        if (!consumer) {
            m_offsetReaders.erase(group);
            return fail(consumer.error());
        }
        reader = std::move(*consumer);
    }
    auto committed = reader->committed(wanted, timeout);
    if (!committed) {
        return fail(Error {committed.error().code,
                           "reading the committed offsets of group '" + group
                               + "': " + committed.error().message,
                           committed.error().retriable});
    }
    for (const auto &tpo : *committed) {
        if (tpo.offset >= 0) {
            result.push_back(tpo);
        }
    }
    std::ranges::sort(result);
    return result;
}

Result<void> AdminClient::alterGroupOffsets(const std::string &group,
                                            const std::vector<TopicPartitionOffset> &offsets,
                                            std::chrono::milliseconds timeout)
{
    const std::string what = "committing new offsets for group '" + group + "'";
    auto list = toList(offsets);
    rd_kafka_AlterConsumerGroupOffsets_t *request =
        rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get());
    auto event =
        runAdmin(m_handle, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout, what,
                 [&](rd_kafka_AdminOptions_t *options, rd_kafka_queue_t *queue) {
                     rd_kafka_AlterConsumerGroupOffsets(m_handle, &request, 1, options, queue);
                 });
    rd_kafka_AlterConsumerGroupOffsets_destroy(request);
    if (!event) {
        return fail(event.error());
    }
    size_t count = 0;
    const rd_kafka_group_result_t **groups = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(event->get()), &count);
    auto single = singleGroupResult(groups, count, what);
    if (!single) {
        return fail(single.error());
    }
    return partitionErrors(rd_kafka_group_result_partitions(*single), what);
}

Result<std::vector<TopicPartitionOffset>>
AdminClient::offsetsForTimes(const std::vector<TopicPartitionOffset> &timestamps,
                             std::chrono::milliseconds timeout)
{
    if (timestamps.empty()) {
        return std::vector<TopicPartitionOffset> {};
    }
    auto list = toList(timestamps);
    const auto err =
        rd_kafka_offsets_for_times(m_handle, list.get(), static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(toError(err, "looking up offsets"));
    }
    if (auto ok = partitionErrors(list.get(), "looking up the offset of"); !ok) {
        return fail(ok.error());
    }
    auto result = fromList(list.get());
    // No record at or after the timestamp: the answer is the log end.
    const bool onlyLatest = std::ranges::all_of(
        timestamps, [](const TopicPartitionOffset &t) { return t.offset == kLatest; });
    std::vector<TopicPartitionOffset> pastTheEnd;
    for (const auto &tpo : result) {
        if (tpo.offset < 0 && !onlyLatest) {
            pastTheEnd.push_back({tpo.topic, tpo.partition, kLatest});
        }
    }
    if (!pastTheEnd.empty()) {
        auto ends = offsetsForTimes(pastTheEnd, timeout);
        if (!ends) {
            return fail(ends.error());
        }
        for (auto &tpo : result) {
            const auto end = std::ranges::find_if(*ends, [&](const TopicPartitionOffset &e) {
                return e.topic == tpo.topic && e.partition == tpo.partition;
            });
            if (tpo.offset < 0 && end != ends->end()) {
                tpo.offset = end->offset;
            }
        }
    }
    return result;
}

Result<std::vector<TopicPartitionOffset>>
AdminClient::logEndOffsets(const std::vector<TopicPartition> &partitions,
                           std::chrono::milliseconds timeout)
{
    std::vector<TopicPartitionOffset> query;
    for (const auto &tp : partitions) {
        query.push_back({tp.topic, tp.partition, kLatest});
    }
    return offsetsForTimes(query, timeout);
}

} // namespace logdeck::kafka
