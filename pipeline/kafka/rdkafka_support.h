#pragma once
// Private to pipeline/kafka: the one place that turns ClientSettings into librdkafka
// configuration and owns the handle deleters.

#include "common/result.h"
#include "kafka/client_settings.h"

#include <librdkafka/rdkafka.h>
#include <memory>
#include <string>

namespace logdeck::kafka::detail {

struct HandleDeleter
{
    void operator()(rd_kafka_t *handle) const { rd_kafka_destroy(handle); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct ConfDeleter
{
    void operator()(rd_kafka_conf_t *conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct QueueDeleter
{
    void operator()(rd_kafka_queue_t *queue) const { rd_kafka_queue_destroy(queue); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

struct EventDeleter
{
    void operator()(rd_kafka_event_t *event) const { rd_kafka_event_destroy(event); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

struct PartitionListDeleter
{
    void operator()(rd_kafka_topic_partition_list_t *list) const
    {
        rd_kafka_topic_partition_list_destroy(list);
    }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

/// Builds a librdkafka configuration from `settings` plus `defaults` (settings win) and
/// routes librdkafka's own logging into Logdeck's log at debug level, so an unreachable
/// broker does not flood stderr. Names the bad property on failure.
Result<ConfPtr> makeConf(const ClientSettings &settings, const ClientSettings &defaults);

/// Creates a client handle; the configuration is consumed on success.
Result<HandlePtr> makeHandle(rd_kafka_type_t type, ConfPtr conf);

/// Maps a librdkafka error code to Logdeck's Error, keeping librdkafka's text.
Error toError(rd_kafka_resp_err_t err, const std::string &context);

/// Same for an rd_kafka_error_t, which it destroys.
Error toError(rd_kafka_error_t *error, const std::string &context);

} // namespace logdeck::kafka::detail
