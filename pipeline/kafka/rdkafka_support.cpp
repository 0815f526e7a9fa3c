#include "kafka/rdkafka_support.h"

#include "common/log.h"

namespace logdeck::kafka::detail {

namespace {

void logCallback(const rd_kafka_t *handle, int level, const char *facility, const char *message)
{
    // librdkafka's syslog levels: 0-3 errors, 4 warning, 5-6 info, 7 debug. Its warnings
    // repeat every few seconds while a broker is down, so they stay at debug; Logdeck
    // reports the condition once, from the operation that failed.
    log::debug("kafka.client",
               {{"client", rd_kafka_name(handle)},
                {"syslog_level", std::to_string(level)},
                {"facility", facility},
                {"message", message}});
}

bool isRetriable(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
        return true;
    default:
        return false;
    }
}

Error::Code codeFor(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        return Error::Code::Timeout;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        return Error::Code::Unavailable;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
        return Error::Code::NotFound;
    case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
        return Error::Code::Unsupported;
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
        return Error::Code::InvalidArgument;
    default:
        return Error::Code::Kafka;
    }
}

} // namespace

Result<ConfPtr> makeConf(const ClientSettings &settings, const ClientSettings &defaults)
{
    ConfPtr conf(rd_kafka_conf_new());
    char errstr[512];
    auto apply = [&](const ClientSettings &properties) -> Result<void> {
        for (const auto &[name, value] : properties) {
            if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr)
                != RD_KAFKA_CONF_OK) {
                return fail(Error::invalid("Kafka client property '" + name + "': " + errstr));
            }
        }
        return {};
    };
    if (auto ok = apply(defaults); !ok) {
        return fail(ok.error());
    }
    if (auto ok = apply(settings); !ok) {
        return fail(ok.error());
    }
    rd_kafka_conf_set_log_cb(conf.get(), logCallback);
    return conf;
}

Result<HandlePtr> makeHandle(rd_kafka_type_t type, ConfPtr conf)
{
    char errstr[512];
    rd_kafka_t *handle = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
    if (handle == nullptr) {
        return fail(Error::invalid(std::string("cannot create Kafka client: ") + errstr));
    }
    conf.release(); // rd_kafka_new took ownership
    return HandlePtr(handle);
}

Error toError(rd_kafka_resp_err_t err, const std::string &context)
{
    return {codeFor(err), context + ": " + rd_kafka_err2str(err), isRetriable(err)};
}

Error toError(rd_kafka_error_t *error, const std::string &context)
{
    Error result {codeFor(rd_kafka_error_code(error)),
                  context + ": " + rd_kafka_error_string(error),
                  rd_kafka_error_is_retriable(error) != 0};
    rd_kafka_error_destroy(error);
    return result;
}

} // namespace logdeck::kafka::detail

namespace logdeck::kafka {

Result<void> checkClientSettings(const ClientSettings &settings)
{
    if (auto conf = detail::makeConf(settings, {}); !conf) {
        return fail(conf.error());
    }
    return {};
}

} // namespace logdeck::kafka
