#include "kafka/producer.h"

#include "common/log.h"
#include "common/thread_name.h"
#include "kafka/rdkafka_support.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <sys/eventfd.h>
#include <unistd.h>

namespace logdeck::kafka {

namespace {

const ClientSettings &producerDefaults()
{
    static const ClientSettings defaults = {
        {"enable.idempotence", "true"},    {"acks", "all"},
        {"partitioner", "murmur2_random"}, {"linger.ms", "1"},
        {"socket.nagle.disable", "true"},  {"message.timeout.ms", "30000"},
    };
    return defaults;
}

/// A DeliveryHandler as a listener: it deletes itself once it has run.
class HandlerListener final : public DeliveryListener
{
public:
    explicit HandlerListener(Producer::DeliveryHandler handler)
        : m_handler(std::move(handler))
    {
    }
    void delivered(const DeliveryReport &report) override
    {
        const std::unique_ptr<HandlerListener> self(this);
        m_handler(report);
    }

private:
    Producer::DeliveryHandler m_handler;
};

void deliveryCallback(rd_kafka_t * /*handle*/, const rd_kafka_message_t *message, void * /*opaque*/)
{
    auto *listener = static_cast<DeliveryListener *>(message->_private);
    if (listener == nullptr) {
        return;
    }
    DeliveryReport report;
    report.topic = rd_kafka_topic_name(message->rkt);
    report.partition = message->partition;
    report.offset = message->offset;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        report.error = detail::toError(message->err, "delivery to " + report.topic + " failed");
        report.possiblyPersisted =
            rd_kafka_message_status(message) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED;
    }
    listener->delivered(report);
}

void errorCallback(rd_kafka_t * /*handle*/, int err, const char *reason, void *opaque)
{
    // The only client-level error the producer acts on: the rest are retried by librdkafka
    // and end, if at all, in a failed delivery report. librdkafka logs errors only while
    // no error callback is set, so they are logged here.
    log::debug("kafka.producer.error",
               {{"error", rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err))},
                {"reason", reason != nullptr ? reason : ""}});
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || opaque == nullptr) {
        return;
    }
    if (const auto &handler = *static_cast<Producer::BrokersDownHandler *>(opaque)) {
        handler(reason != nullptr ? reason : "all brokers are down");
    }
}

} // namespace

Result<std::unique_ptr<Producer>> Producer::create(const ClientSettings &settings,
                                                   BrokersDownHandler onBrokersDown,
                                                   Reports reports)
{
    auto conf = detail::makeConf(settings, producerDefaults());
    if (!conf) {
        return fail(conf.error());
    }
    auto brokersDown = std::make_unique<BrokersDownHandler>(std::move(onBrokersDown));
    rd_kafka_conf_set_dr_msg_cb(conf->get(), deliveryCallback);
    rd_kafka_conf_set_error_cb(conf->get(), errorCallback);
    rd_kafka_conf_set_opaque(conf->get(), brokersDown.get());
    auto handle = detail::makeHandle(RD_KAFKA_PRODUCER, std::move(*conf));
    if (!handle) {
        return fail(handle.error());
    }
    int reportsFd = -1;
    if (reports == Reports::OnDemand) {
        reportsFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (reportsFd < 0) {
            return fail(Error::io(std::string("cannot create the producer's eventfd: ")
                                  + std::strerror(errno)));
        }
        // librdkafka writes the 8-byte counter increment when a report lands on an
        // empty queue; serveReports() reads it and empties the queue.
        static constexpr std::array<char, 8> one {1, 0, 0, 0, 0, 0, 0, 0};
        rd_kafka_queue_t *reportQueue = rd_kafka_queue_get_main(handle->get());
        rd_kafka_queue_io_event_enable(reportQueue, reportsFd, one.data(), one.size());
        rd_kafka_queue_destroy(reportQueue);
    }
    return std::unique_ptr<Producer>(
        new Producer(handle->release(), std::move(brokersDown), reportsFd));
}

Producer::Producer(rd_kafka_s *handle, std::unique_ptr<BrokersDownHandler> onBrokersDown,
                   int reportsFd)
    : m_onBrokersDown(std::move(onBrokersDown))
    , m_handle(handle)
    , m_reportsFd(reportsFd)
{
    if (m_reportsFd < 0) {
        m_pollThread = std::thread([this] {
            nameThisThread("ld-produce-poll");
            pollLoop();
        });
    }
}

Producer::~Producer()
{
    // Give queued records a bounded chance to be delivered, then fail the rest so every
    // delivery handler runs exactly once before the handle goes away.
    rd_kafka_flush(m_handle, 5000);
    rd_kafka_purge(m_handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    m_stopping.store(true);
    if (m_pollThread.joinable()) {
        m_pollThread.join();
    }
    rd_kafka_poll(m_handle, 0);
    if (m_reportsFd >= 0) {
        rd_kafka_queue_t *reportQueue = rd_kafka_queue_get_main(m_handle);
        rd_kafka_queue_io_event_enable(reportQueue, -1, nullptr, 0);
        rd_kafka_queue_destroy(reportQueue);
    }
    rd_kafka_destroy(m_handle);
    if (m_reportsFd >= 0) {
        ::close(m_reportsFd);
    }
}

void Producer::serveReports()
{
    std::uint64_t count = 0;
    // Read first, then empty the queue: a report that lands after the last poll finds the
    // queue empty and writes again, so none is left waiting unseen.
    (void)!::read(m_reportsFd, &count, sizeof count);
    for (int round = 0; rd_kafka_poll(m_handle, 0) > 0; ++round) {
        if (round == 64) {
            // Still more: be called again rather than hold the caller's thread.
            const std::uint64_t again = 1;
            (void)!::write(m_reportsFd, &again, sizeof again);
            return;
        }
    }
}

void Producer::pollLoop()
{
    while (!m_stopping.load(std::memory_order_relaxed)) {
        rd_kafka_poll(m_handle, 100);
    }
}

Result<void> Producer::produce(const OutgoingRecord &record, DeliveryHandler onDelivery)
{
    if (!onDelivery) {
        return enqueue(record, nullptr);
    }
    auto listener = std::make_unique<HandlerListener>(std::move(onDelivery));
    auto queued = enqueue(record, listener.get());
    if (queued) {
        listener.release(); // deletes itself once its report has run
    }
    return queued;
}

Result<void> Producer::produce(const OutgoingRecord &record, DeliveryListener &listener)
{
    return enqueue(record, &listener);
}

Result<void> Producer::enqueue(const OutgoingRecord &record, DeliveryListener *listener)
{
    rd_kafka_headers_t *headers = nullptr;
    if (!record.headers.empty()) {
        headers = rd_kafka_headers_new(record.headers.size());
        for (const auto &header : record.headers) {
            rd_kafka_header_add(headers, header.name.data(),
                                static_cast<ssize_t>(header.name.size()), header.value.data(),
                                static_cast<ssize_t>(header.value.size()));
        }
    }
    // rd_kafka_produceva rather than the producev macros, whose C casts trip -Wold-style-cast.
    std::array<rd_kafka_vu_t, 8> fields {};
    fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    fields[0].u.cstr = record.topic.c_str();
    fields[1].vtype = RD_KAFKA_VTYPE_PARTITION;
    fields[1].u.i32 = record.partition.value_or(RD_KAFKA_PARTITION_UA);
    fields[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    fields[2].u.i = RD_KAFKA_MSG_F_COPY;
    fields[3].vtype = RD_KAFKA_VTYPE_KEY;
    fields[3].u.mem = {const_cast<char *>(record.key.data()), record.key.size()};
    fields[4].vtype = RD_KAFKA_VTYPE_VALUE;
    // librdkafka writes a NULL payload as a null value, any other pointer as bytes.
    if (!record.valueIsNull) {
        fields[4].u.mem = {const_cast<char *>(record.value.data()), record.value.size()};
    }
    fields[5].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
    fields[5].u.i64 = record.timestampMs;
    fields[6].vtype = RD_KAFKA_VTYPE_OPAQUE;
    fields[6].u.ptr = listener;
    std::size_t count = 7;
    if (headers != nullptr) {
        fields[7].vtype = RD_KAFKA_VTYPE_HEADERS;
        fields[7].u.headers = headers;
        count = 8;
    }
    if (rd_kafka_error_t *error = rd_kafka_produceva(m_handle, fields.data(), count)) {
        if (headers != nullptr) {
            rd_kafka_headers_destroy(headers); // ownership passes only on success
        }
        return fail(detail::toError(error, "cannot produce to " + record.topic));
    }
    return {};
}

Result<void> Producer::warmUp(const std::string &topic, std::chrono::milliseconds timeout)
{
    rd_kafka_topic_t *handle = rd_kafka_topic_new(m_handle, topic.c_str(), nullptr);
    if (handle == nullptr) {
        return fail(Error::invalid("cannot use topic '" + topic + "'"));
    }
    const rd_kafka_metadata_t *metadata = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(m_handle, 0, handle, &metadata, static_cast<int>(timeout.count()));
    if (metadata != nullptr) {
        rd_kafka_metadata_destroy(metadata);
    }
    rd_kafka_topic_destroy(handle);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "reading the metadata of '" + topic + "'"));
    }
    return {};
}

Result<void> Producer::flush(std::chrono::milliseconds timeout)
{
    const rd_kafka_resp_err_t err = rd_kafka_flush(m_handle, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return fail(detail::toError(err, "flushing the producer"));
    }
    return {};
}

int Producer::queueLength() const
{
    return rd_kafka_outq_len(m_handle);
}

} // namespace logdeck::kafka
