#include "kafka/consumer.h"

#include "common/log.h"
#include "kafka/rdkafka_support.h"

namespace logdeck::kafka {

namespace {

const ClientSettings &consumerDefaults()
{
    static const ClientSettings defaults = {
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", "earliest"},
        // The eager protocol: librdkafka 2.0.2's cooperative-sticky consumer can hang on close.
        {"partition.assignment.strategy", "range,roundrobin"},
        {"enable.partition.eof", "false"},
    };
    return defaults;
}

/// Reads the message's headers into `result`, reusing its elements' strings.
void readHeaders(const rd_kafka_message_t *message, Headers &result)
{
    std::size_t count = 0;
    rd_kafka_headers_t *headers = nullptr;
    if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name = nullptr;
        const void *value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size)
             == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            if (count == result.size()) {
                result.emplace_back();
            }
            Header &header = result[count++];
            header.name.assign(name);
            if (value != nullptr) {
                header.value.assign(static_cast<const char *>(value), size);
            } else {
                header.value.clear();
            }
        }
    }
    result.resize(count);
}

detail::PartitionListPtr toList(const std::vector<TopicPartition> &partitions)
{
    detail::PartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const auto &tp : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    }
    return list;
}

detail::PartitionListPtr toList(const std::vector<TopicPartitionOffset> &offsets)
{
    detail::PartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto &tpo : offsets) {
        rd_kafka_topic_partition_list_add(list.get(), tpo.topic.c_str(), tpo.partition)->offset =
            tpo.offset;
    }
    return list;
}

} // namespace

Result<std::unique_ptr<Consumer>> Consumer::create(const ClientSettings &settings,
                                                   const std::string &groupId,
                                                   RebalanceHandler rebalance)
{
    if (groupId.empty()) {
        return fail(Error::invalid("a consumer needs a group id"));
    }
    ClientSettings withGroup = settings;
    withGroup["group.id"] = groupId;
    auto conf = detail::makeConf(withGroup, consumerDefaults());
    if (!conf) {
        return fail(conf.error());
    }
    // The consumer object must exist before the handle: it is the rebalance callback's opaque.
    std::unique_ptr<Consumer> consumer(new Consumer());
    consumer->m_rebalance = std::move(rebalance);
    if (consumer->m_rebalance.onAssigned || consumer->m_rebalance.onRevoked) {
        rd_kafka_conf_set_rebalance_cb(
            conf->get(),
            [](rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *partitions,
               void *opaque) { rebalanceCallback(rk, err, partitions, opaque); });
        rd_kafka_conf_set_opaque(conf->get(), consumer.get());
    }
    auto handle = detail::makeHandle(RD_KAFKA_CONSUMER, std::move(*conf));
    if (!handle) {
        return fail(handle.error());
    }
    consumer->m_handle = handle->release();
    rd_kafka_poll_set_consumer(consumer->m_handle);
    // The group's queue, where poll_set_consumer sent every partition's records and the
    // rebalance events.
    consumer->m_queue = rd_kafka_queue_get_consumer(consumer->m_handle);
    return consumer;
}

Consumer::Consumer() = default;

void Consumer::rebalanceCallback(rd_kafka_s *handle, int err, void *partitions, void *opaque)
{
    auto *self = static_cast<Consumer *>(opaque);
    auto *list = static_cast<rd_kafka_topic_partition_list_t *>(partitions);
    std::vector<TopicPartition> changed;
    for (int i = 0; i < list->cnt; ++i) {
        changed.push_back({list->elems[i].topic, list->elems[i].partition});
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (self->m_rebalance.onAssigned) {
            for (const auto &start : self->m_rebalance.onAssigned(changed)) {
                if (auto *element = rd_kafka_topic_partition_list_find(list, start.topic.c_str(),
                                                                       start.partition)) {
                    element->offset = start.offset;
                }
            }
        }
        rd_kafka_assign(handle, list);
        return;
    }
    if (self->m_rebalance.onRevoked) {
        self->m_rebalance.onRevoked(changed, rd_kafka_assignment_lost(handle) != 0);
    }
    rd_kafka_assign(handle, nullptr);
}

Consumer::~Consumer()
{
    close();
    if (m_queue != nullptr) {
        rd_kafka_queue_destroy(m_queue);
    }
    if (m_handle != nullptr) {
        rd_kafka_destroy(m_handle);
    }
}

void Consumer::close()
{
    if (m_closed || m_handle == nullptr) {
        return;
    }
    m_closed = true;
    if (const auto err = rd_kafka_consumer_close(m_handle); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log::warn("kafka.consumer.close_failed", {{"error", rd_kafka_err2str(err)}});
    }
}

Result<void> Consumer::subscribe(const std::vector<std::string> &topics)
{
    detail::PartitionListPtr list(
        rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto &topic : topics) {
        rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (const auto err = rd_kafka_subscribe(m_handle, list.get());
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "cannot subscribe"));
    }
    return {};
}

Result<std::vector<ConsumedRecord>> Consumer::poll(std::size_t maxRecords,
                                                   std::chrono::milliseconds timeout)
{
    std::vector<ConsumedRecord> records;
    std::size_t count = 0;
    if (auto polled = pollInto(records, count, maxRecords, timeout); !polled) {
        return fail(polled.error());
    }
    records.resize(count);
    return records;
}

Result<void> Consumer::pollInto(std::vector<ConsumedRecord> &records, std::size_t &count,
                                std::size_t maxRecords, std::chrono::milliseconds timeout)
{
    count = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (count < maxRecords) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        // What is buffered already is taken many at a time (one call, not one per record).
        std::size_t got = 0;
        if (m_queue != nullptr) {
            m_messages.resize(maxRecords - count);
            const auto taken = rd_kafka_consume_batch_queue(m_queue, 0, m_messages.data(),
                                                            m_messages.size());
            got = taken > 0 ? static_cast<std::size_t>(taken) : 0;
        }
        if (got == 0) {
            if (count > 0 && m_queue != nullptr) {
                break; // the buffer is drained: return what arrived
            }
            // Nothing buffered: wait for one record, not for a full batch. Once something
            // has arrived, only take what is already buffered.
            const int wait =
                count == 0 ? static_cast<int>(std::max<std::int64_t>(left.count(), 0)) : 0;
            rd_kafka_message_t *message = rd_kafka_consumer_poll(m_handle, wait);
            if (message == nullptr) {
                if (count > 0 || left.count() <= 0) {
                    break;
                }
                continue;
            }
            m_messages.resize(1);
            m_messages[0] = message;
            got = 1;
        }
        for (std::size_t i = 0; i < got; ++i) {
            if (auto taken = take(m_messages[i], records, count); !taken) {
                for (std::size_t j = i + 1; j < got; ++j) {
                    rd_kafka_message_destroy(m_messages[j]);
                }
                return taken;
            }
        }
    }
    return {};
}

Result<void> Consumer::take(rd_kafka_message_t *message, std::vector<ConsumedRecord> &records,
                            std::size_t &count)
{
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const rd_kafka_resp_err_t err = message->err;
        const std::string text = rd_kafka_message_errstr(message);
        rd_kafka_message_destroy(message);
        if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            return {};
        }
        if (err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
            || err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
            || err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
            return fail(detail::toError(err, "consuming failed (" + text + ")"));
        }
        log::debug("kafka.consumer.transient_error", {{"error", text}});
        return {};
    }
    if (count == records.size()) {
        records.emplace_back();
    }
    ConsumedRecord &record = records[count++];
    record.topic.assign(rd_kafka_topic_name(message->rkt));
    record.partition = message->partition;
    record.offset = message->offset;
    record.timestampMs = rd_kafka_message_timestamp(message, nullptr);
    if (message->key != nullptr) {
        record.key.assign(static_cast<const char *>(message->key), message->key_len);
    } else {
        record.key.clear();
    }
    record.valueIsNull = message->payload == nullptr;
    if (message->payload != nullptr) {
        record.value.assign(static_cast<const char *>(message->payload), message->len);
    } else {
        record.value.clear();
    }
    readHeaders(message, record.headers);
    rd_kafka_message_destroy(message);
    return {};
}

Result<void> Consumer::commit(const std::vector<TopicPartitionOffset> &offsets, bool async)
{
    if (offsets.empty()) {
        return {};
    }
    auto list = toList(offsets);
    if (const auto err = rd_kafka_commit(m_handle, list.get(), async ? 1 : 0);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "committing offsets"));
    }
    return {};
}

Result<void> Consumer::assign(const std::vector<TopicPartitionOffset> &positions)
{
    auto list = toList(positions);
    if (const auto err = rd_kafka_assign(m_handle, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "assigning partitions"));
    }
    return {};
}

Result<void> Consumer::pause(const std::vector<TopicPartition> &partitions)
{
    auto list = toList(partitions);
    if (const auto err = rd_kafka_pause_partitions(m_handle, list.get());
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "pausing partitions"));
    }
    return {};
}

Result<void> Consumer::resume(const std::vector<TopicPartition> &partitions)
{
    auto list = toList(partitions);
    if (const auto err = rd_kafka_resume_partitions(m_handle, list.get());
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "resuming partitions"));
    }
    return {};
}

Result<void> Consumer::seek(const std::vector<TopicPartitionOffset> &positions)
{
    if (positions.empty()) {
        return {};
    }
    auto list = toList(positions);
    // Timeout 0: asynchronous, which avoids librdkafka 2.0's blocking-seek timeouts.
    if (rd_kafka_error_t *error = rd_kafka_seek_partitions(m_handle, list.get(), 0)) {
        return fail(detail::toError(error, "seeking"));
    }
    return {};
}

Result<std::vector<TopicPartitionOffset>>
Consumer::committed(const std::vector<TopicPartition> &partitions,
                    std::chrono::milliseconds timeout)
{
    std::vector<TopicPartitionOffset> request;
    request.reserve(partitions.size());
    for (const auto &tp : partitions) {
        request.push_back({tp.topic, tp.partition, RD_KAFKA_OFFSET_INVALID});
    }
    auto list = toList(request);
    if (const auto err =
            rd_kafka_committed(m_handle, list.get(), static_cast<int>(timeout.count()));
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "reading committed offsets"));
    }
    std::vector<TopicPartitionOffset> result;
    for (int i = 0; i < list->cnt; ++i) {
        const auto &element = list->elems[i];
        result.push_back({element.topic, element.partition, element.offset});
    }
    return result;
}

Result<std::vector<TopicPartition>> Consumer::assignment() const
{
    rd_kafka_topic_partition_list_t *raw = nullptr;
    if (const auto err = rd_kafka_assignment(m_handle, &raw); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "reading the assignment"));
    }
    detail::PartitionListPtr list(raw);
    std::vector<TopicPartition> result;
    for (int i = 0; i < list->cnt; ++i) {
        result.push_back({list->elems[i].topic, list->elems[i].partition});
    }
    return result;
}

} // namespace logdeck::kafka
