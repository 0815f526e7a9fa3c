#include "kafka/admin_client.h"

#include "kafka/rdkafka_support.h"

#include <algorithm>

namespace logdeck::kafka {

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
    return std::unique_ptr<AdminClient>(new AdminClient(handle->release()));
}

AdminClient::AdminClient(rd_kafka_s *handle)
    : m_handle(handle)
{
}

AdminClient::~AdminClient()
{
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
        result.topics.push_back({name, topic.partition_cnt});
    }
    rd_kafka_metadata_destroy(raw);
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
    return {};
}

Result<Watermarks> AdminClient::watermarks(const std::string &topic, std::int32_t partition,
                                           std::chrono::milliseconds timeout)
{
    Watermarks result;
    const auto err =
        rd_kafka_query_watermark_offsets(m_handle, topic.c_str(), partition, &result.low,
                                         &result.high, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(
            err, "reading watermarks of " + topic + "[" + std::to_string(partition) + "]"));
    }
    return result;
}

} // namespace logdeck::kafka
