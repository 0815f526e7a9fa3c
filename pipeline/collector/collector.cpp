#include "collector/collector.h"

#include "collector/event_scan.h"
#include "collector/event_validation.h"
#include "collector/outbox_relay.h"
#include "collector/uuid7.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/time_format.h"
#include "kafka/producer.h"
#include "store/campaign_store.h"
#include "store/database.h"
#include "store/outbox.h"
#include "store/tenant_store.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

namespace logdeck::collector {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kSpillGroupCommit = 5000;
/// Spilled events are committed at most this often: each commit writes whole pages to the
/// WAL (the outbox's last leaf and its id counter), so at 5,000 events/s a commit per
/// event or two wrote 37 MB/s, and the file system's writeback of that stalled the
/// writer. Gathering for up to 1 ms cuts it about fourfold (docs/profiles.md).
constexpr std::chrono::microseconds kSpillCommitInterval {1000};
constexpr std::chrono::seconds kAuthRefresh {2};
/// How long the start waits for the cluster's metadata before it opens the listener anyway.
constexpr std::chrono::seconds kWarmUpTimeout {3};
/// The end of a spill under load: once the relay has at most this many rows left and is
/// delivering, the writer stops appending and holds new events (unanswered) until the relay
/// is through, then hands them to the producer in order. Without it a spill under sustained
/// load would end only if the relay outran the load.
constexpr std::int64_t kCatchUpRows = 5000;
/// The longest the writer holds events for the catch-up; past it (the relay is slower
/// than it looked) it appends them again and does not hold for kCatchUpPause.
constexpr std::chrono::milliseconds kMaxCatchUp {500};
constexpr std::chrono::seconds kCatchUpPause {1};
/// The relay counts as delivering when it delivered within this.
constexpr std::chrono::seconds kRelayRecent {1};
/// While the relay drains a backlog of more than kCatchUpRows and Kafka acknowledges, the
/// writer appends one new event for every kDrainShare rows the relay delivers; the others
/// wait in memory, unanswered. So the backlog shrinks however hard clients push: without it
/// the spill ends only if the relay outruns the writer, which on a busy machine depends on
/// which of the two threads gets the cores.
constexpr std::int64_t kDrainShare = 2;
/// The stall watch has two levels. Kafka silent (nothing acknowledged while an event waited,
/// both for the silent bound: a stopped, stuck or shutting-down broker) hands over at the
/// silent bound, stallTimeout. Kafka acknowledging while the oldest event is left behind
/// (one partition's leader stuck) hands over at the partial bound, kPartialStallFactor times
/// stallTimeout. Each bound grows to kSlowAckFactor times the slowest acknowledgement of the
/// last one or two windows: a broker that is slow but answering (a deep queue of batches, a
/// loaded machine, a first delivery that waited for metadata) trips neither.
constexpr int kPartialStallFactor = 10;
constexpr int kSlowAckFactor = 4;
constexpr std::chrono::seconds kSlowAckWindow {5};
/// The stall watch looks at most this often, however many events are in flight.
constexpr std::chrono::milliseconds kMinStallCheck {5};

/// The two producers of the load-following linger (CollectorOptions::busyInFlight).
enum Lane : std::uint8_t
{
    kPrompt = 0,
    kBatching = 1,
};
/// Each lane's linger, as librdkafka's linger.ms and as the gauge's value.
constexpr std::array<const char *, 2> kLaneLingerSetting {"0.2", "1"};
constexpr std::array<double, 2> kLaneLingerSeconds {0.0002, 0.001};
constexpr Lane otherLane(Lane lane)
{
    return lane == kPrompt ? kBatching : kPrompt;
}

/// Completes one event: true once it is durable (in Kafka or in the outbox).
using EventDone = std::function<void(bool durable)>;

struct SpillJob
{
    kafka::OutgoingRecord record;
    EventDone done;
};

/// When a request arrived, read and formatted once for all its events: the record's
/// `received-at` header and the value's `receivedAt` are the same instant.
struct ReceivedAt
{
    explicit ReceivedAt(std::int64_t at)
        : ms(at)
        , text(formatRfc3339(at))
    {
    }
    std::int64_t ms;
    std::string text;
};

struct CampaignJob
{
    std::string tenant;
    std::string id;
    std::string name;
    kafka::OutgoingRecord event;
    std::function<void(int status, std::string error)> done;
};

HttpResponse jsonResponse(int status, std::string body)
{
    return {status, std::move(body), "application/json", {}};
}

HttpResponse rejection(const RejectedEvent &rejected)
{
    return jsonResponse(rejected.status, errorBody(rejected));
}

HttpResponse unavailable()
{
    HttpResponse response =
        jsonResponse(503, errorBody({503, "the event could not be stored; retry later", ""}));
    response.headers.emplace_back("Retry-After", "5");
    return response;
}

std::string_view pathOf(std::string_view target)
{
    return target.substr(0, target.find('?'));
}

bool isJson(std::string_view contentType)
{
    std::string media(contentType.substr(0, contentType.find(';')));
    std::erase_if(media, [](char c) { return c == ' ' || c == '\t'; });
    std::ranges::transform(media, media.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    return media == "application/json";
}

} // namespace

struct Collector::Impl
{
    CollectorOptions options;
    CollectorMetrics metrics;
    std::unique_ptr<kafka::Producer> producer; ///< the batching lane's; the relay's too
    std::unique_ptr<kafka::Producer> promptProducer; ///< null: the linger does not follow
    double fixedLingerSeconds = kLaneLingerSeconds[kBatching]; ///< without a prompt producer
    std::unique_ptr<OutboxRelay> relay;
    std::unique_ptr<HttpServer> server;

    // API keys: SHA-256 of the key → tenant, refreshed from SQLite by the writer thread.
    mutable std::shared_mutex authMutex;
    std::unordered_map<std::string, std::string> tenantsByKeyHash;

    // The spill gate. While `spilling`, every new event goes through the outbox; it ends
    // once the relay has delivered everything the writer appended.
    mutable std::mutex gateMutex;
    std::condition_variable writerWake;
    bool spilling = false;
    bool writing = false;
    bool writerStopping = false;
    std::int64_t lastAppendedId = 0;
    std::int64_t deliveredThroughId = 0;
    Clock::time_point relayedAt {}; ///< when the relay last delivered
    Clock::time_point catchUpSince {}; ///< the writer holds events since (epoch: it does not)
    Clock::time_point noCatchUpBefore {};
    std::int64_t drainCredit = 0; ///< rows the relay delivered since the writer last paced
    std::deque<SpillJob> spillQueue;
    std::deque<CampaignJob> campaignQueue;
    std::unique_ptr<store::Database> writerDb;
    std::thread writer;

    /// An event in the producer's hands. It is answered once: by its delivery report, or by
    /// the hand-over to the outbox when Kafka stops acknowledging, whichever comes first.
    /// It deletes itself after its report (which librdkafka gives every accepted record).
    struct InFlight final : kafka::DeliveryListener
    {
        InFlight(Impl &impl, SpillJob &&job)
            : owner(impl)
            , record(std::move(job.record))
            , done(std::move(job.done))
        {
        }
        void delivered(const kafka::DeliveryReport &report) override
        {
            const std::unique_ptr<InFlight> self(this);
            owner.settle(*this, report);
        }

        Impl &owner;
        kafka::OutgoingRecord record; ///< read by the hand-over (a copy) while produced
        EventDone done;
        Clock::time_point sentAt;
        std::atomic<bool> answered {false};
        // Links of Impl's list of events in flight; guarded by Impl::inFlightMutex.
        bool listed = false;
        Lane lane = kBatching;
        InFlight *older = nullptr;
        InFlight *newer = nullptr;
    };

    // Events in the producer's hands, oldest first, linked through the entries (no node
    // to allocate per event): what the hand-over moves to the outbox, and, by the age of
    // the first, how a stall is seen.
    mutable std::mutex inFlightMutex;
    InFlight *oldestInFlight = nullptr;
    InFlight *newestInFlight = nullptr;
    // The load-following linger, guarded by inFlightMutex. New events go to `lane`. Right
    // after a switch, while the other lane still has events in flight, they wait in `switchHeld`
    // (unanswered, not yet produced) until it has none: a tenant's events would otherwise
    // race each other through two producers. The thread that sees the last one settle
    // produces the held events in order (`releasing`).
    Lane lane = kPrompt;
    std::array<std::size_t, 2> inFlightOn {};
    bool switching = false;
    bool releasing = false;
    std::vector<std::unique_ptr<InFlight>> switchHeld;
    Clock::time_point lastBusyAt {};
    // When Kafka last acknowledged an event (steady-clock ticks; 0 until the first: a new
    // producer's first delivery waits for metadata and a producer id, which is no stall).
    std::atomic<Clock::rep> lastAckAt {0};
    // The slowest acknowledgement (steady-clock ticks) in this window and the one before;
    // the writer thread turns the windows over.
    std::atomic<Clock::rep> slowestAckNow {0};
    Clock::rep slowestAckBefore = 0;
    Clock::time_point ackWindowStart = Clock::now();

    std::atomic<bool> kafkaHealthy {true};
    std::atomic<bool> databaseHealthy {true};
    std::atomic<bool> shutDown {false};

    // ---- HTTP routing -------------------------------------------------------------------

    void handle(HttpRequest &&request, Responder respond)
    {
        const std::string_view path = pathOf(request.target);
        struct Route
        {
            std::string_view path;
            std::string_view method;
            void (Impl::*handler)(HttpRequest &&, Responder);
        };
        static constexpr Route routes[] = {
            {"/v1/events", "POST", &Impl::ingestOne},
            {"/v1/events:batch", "POST", &Impl::ingestBatch},
            {"/v1/campaigns", "POST", &Impl::createCampaign},
            {"/healthz", "GET", &Impl::healthz},
            {"/readyz", "GET", &Impl::readyz},
            {"/metrics", "GET", &Impl::metricsEndpoint},
        };
        for (const auto &route : routes) {
            if (route.path != path) {
                continue;
            }
            Responder counted = [this, route = std::string(route.path),
                                 respond = std::move(respond),
                                 receivedAt = request.receivedAt](HttpResponse response) {
                metrics.countRequest(route, response.status);
                if (route.starts_with("/v1/events")) {
                    metrics.observeIngest(route, Clock::now() - receivedAt);
                }
                respond(std::move(response));
            };
            // HEAD is GET without the body, which the server leaves out of every HEAD answer.
            const bool isGet = route.method == "GET";
            if (request.method != route.method && !(isGet && request.method == "HEAD")) {
                const std::string allowed = isGet ? "GET, HEAD" : std::string(route.method);
                HttpResponse response = jsonResponse(
                    405, errorBody({405, std::string(path) + " accepts " + allowed + " only", ""}));
                response.headers.emplace_back("Allow", allowed);
                counted(std::move(response));
                return;
            }
            (this->*route.handler)(std::move(request), std::move(counted));
            return;
        }
        metrics.countRequest("other", 404);
        respond(jsonResponse(404, errorBody({404, "no such endpoint: " + std::string(path), ""})));
    }

    /// The tenant of the request's API key (Authorization: Bearer, or X-Api-Key).
    std::optional<std::string> authenticate(const HttpRequest &request) const
    {
        std::string_view key = request.apiKey;
        const std::string_view bearerKey = this->bearerKey(request);
        if (key.empty()) {
            key = bearerKey;
        }
        if (key.empty()) {
            return std::nullopt;
        }
        const std::string hash = store::TenantStore::hashKey(std::string(key));
        const std::shared_lock lock(authMutex);
        const auto it = tenantsByKeyHash.find(hash);
        return it == tenantsByKeyHash.end() ? std::nullopt : std::optional(it->second);
    }

    /// The key of `Authorization: Bearer <key>`, or empty.
    static std::string_view bearerKey(const HttpRequest &request)
    {
        constexpr std::string_view bearer = "Bearer ";
        const std::string_view header = request.authorization;
        return header.size() > bearer.size() && header.substr(0, bearer.size()) == bearer
            ? header.substr(bearer.size())
            : std::string_view();
    }

    /// Common checks of the write endpoints; answers and returns nullopt when one fails.
    std::optional<std::pair<std::string, json>> admit(const HttpRequest &request,
                                                      const Responder &respond)
    {
        auto tenant = admitTenant(request, respond);
        if (!tenant) {
            return std::nullopt;
        }
        auto body = parseBody(request.body);
        if (!body) {
            respond(rejection(body.error()));
            return std::nullopt;
        }
        return std::make_pair(std::move(*tenant), std::move(*body));
    }

    /// admit's checks of the API key and the content type, which leave the body unread:
    /// the event endpoints scan it without a DOM (event_scan.h).
    std::optional<std::string> admitTenant(const HttpRequest &request, const Responder &respond)
    {
        // Two different keys: which tenant is meant cannot be known, so neither is taken.
        if (const auto bearer = bearerKey(request);
            !bearer.empty() && !request.apiKey.empty() && bearer != request.apiKey) {
            respond(jsonResponse(
                400, errorBody({400,
                                "Authorization and X-Api-Key carry different keys: send one key",
                                "X-Api-Key"})));
            return std::nullopt;
        }
        auto tenant = authenticate(request);
        if (!tenant) {
            HttpResponse response = jsonResponse(
                401,
                errorBody({401, "missing or unknown API key: send Authorization: Bearer <key>",
                           "Authorization"}));
            response.headers.emplace_back("WWW-Authenticate", "Bearer");
            respond(std::move(response));
            return std::nullopt;
        }
        if (!isJson(request.contentType)) {
            respond(jsonResponse(415,
                                 errorBody({415,
                                            "Content-Type must be application/json, not '"
                                                + request.contentType + "'",
                                            "Content-Type"})));
            return std::nullopt;
        }
        return tenant;
    }

    void ingestOne(HttpRequest &&request, Responder respond)
    {
        const auto tenant = admitTenant(request, respond);
        if (!tenant) {
            return;
        }
        const ReceivedAt receivedAt(nowMillis());
        auto event = scanEvent(request.body, *tenant, receivedAt.ms);
        if (!event) {
            if (event.error().status != 400) { // 400: the body is not JSON, not a bad event
                metrics.eventsRejected.fetch_add(1, std::memory_order_relaxed);
            }
            respond(rejection(event.error()));
            return;
        }
        std::string body = R"({"id":)";
        appendJsonString(body, event->id);
        body += R"(,"status":"accepted"})";
        submit(*tenant, std::move(*event), receivedAt,
               [this, respond = std::move(respond), body = std::move(body)](bool durable) mutable {
                   if (!durable) {
                       respond(unavailable());
                       return;
                   }
                   metrics.eventsAccepted.fetch_add(1, std::memory_order_relaxed);
                   respond(jsonResponse(202, std::move(body)));
               });
    }

    void ingestBatch(HttpRequest &&request, Responder respond)
    {
        const auto tenant = admitTenant(request, respond);
        if (!tenant) {
            return;
        }
        const ReceivedAt receivedAt(nowMillis());
        auto events = scanBatch(request.body, *tenant, receivedAt.ms, options.maxBatchEvents);
        if (!events) {
            respond(rejection(events.error()));
            return;
        }
        // One answer for the whole batch, written when its last event is durable or refused.
        // The batch deletes itself then: each event's callback holds a plain pointer and
        // its index, small enough for std::function to keep without an allocation.
        struct Batch
        {
            Batch(Impl &impl, std::size_t events, Responder answerWith)
                : owner(impl)
                , answer(events)
                , stored(events, 1)
                , respond(std::move(answerWith))
            {
            }
            void eventDone(std::size_t index, bool durable)
            {
                if (durable) {
                    owner.metrics.eventsAccepted.fetch_add(1, std::memory_order_relaxed);
                } else {
                    stored[index] = 0;
                }
                if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                    finish();
                }
            }
            void finish()
            {
                const std::unique_ptr<Batch> self(this);
                respond(jsonResponse(200, answer.finish(stored)));
            }
            Impl &owner;
            BatchAnswer answer;
            std::vector<std::uint8_t> stored; ///< per event; written before `remaining` drops
            std::atomic<std::size_t> remaining {0};
            Responder respond;
        };
        auto *batch = new Batch(*this, events->size(), std::move(respond));
        std::size_t valid = 0;
        for (const auto &event : *events) {
            if (event) {
                ++valid;
                batch->answer.accepted(event->id);
            } else {
                metrics.eventsRejected.fetch_add(1, std::memory_order_relaxed);
                batch->answer.refused(event.error());
            }
        }
        batch->remaining.store(valid, std::memory_order_relaxed);
        if (valid == 0) {
            batch->finish();
            return;
        }
        for (std::size_t index = 0; index < events->size(); ++index) {
            auto &event = (*events)[index];
            if (event) {
                submit(*tenant, std::move(*event), receivedAt,
                       [batch, index](bool durable) { batch->eventDone(index, durable); });
            }
        }
    }

    void createCampaign(HttpRequest &&request, Responder respond)
    {
        auto admitted = admit(request, respond);
        if (!admitted) {
            return;
        }
        const json &body = admitted->second;
        if (!body.is_object()) {
            respond(rejection({422, "a campaign must be a JSON object", ""}));
            return;
        }
        for (const auto &[key, value] : body.items()) {
            if (key != "id" && key != "name") {
                respond(rejection({422, "unknown field '" + key + "'", key}));
                return;
            }
        }
        const auto name = body.find("name");
        if (name == body.end() || !name->is_string() || name->get_ref<const std::string &>().empty()
            || name->get_ref<const std::string &>().size() > 200) {
            respond(rejection({422, "name must be a string of 1 to 200 characters", "name"}));
            return;
        }
        std::string id;
        if (const auto it = body.find("id"); it != body.end()) {
            if (!it->is_string() || it->get_ref<const std::string &>().empty()
                || it->get_ref<const std::string &>().size() > 128) {
                respond(rejection({422, "id must be a string of 1 to 128 characters", "id"}));
                return;
            }
            id = it->get<std::string>();
        } else {
            id = makeUuid7();
        }
        const ReceivedAt now(nowMillis());
        const std::string eventId = makeUuid7(now.ms);
        json value = {{"id", eventId},
                      {"tenant", admitted->first},
                      {"campaignId", id},
                      {"type", "campaign.created"},
                      {"occurredAt", now.text},
                      {"receivedAt", now.text},
                      {"attributes", {{"name", name->get<std::string>()}}}};
        CampaignJob job {admitted->first, id, name->get<std::string>(),
                         makeRecord(admitted->first, eventId, value.dump(), now), {}};
        job.done = [respond = std::move(respond), id, eventId](int status, std::string error) {
            if (status == 201) {
                respond(jsonResponse(
                    201, json {{"id", id}, {"eventId", eventId}, {"status", "created"}}.dump()));
            } else if (status == 409) {
                respond(jsonResponse(409, errorBody({409, error, "id"})));
            } else {
                respond(unavailable());
            }
        };
        {
            const std::lock_guard lock(gateMutex);
            campaignQueue.push_back(std::move(job));
        }
        writerWake.notify_one();
    }

    void healthz(HttpRequest &&, Responder respond)
    {
        respond(jsonResponse(200, R"({"status":"ok"})"));
    }

    void readyz(HttpRequest &&, Responder respond)
    {
        // Ready while events can be made durable: through Kafka, or through the outbox.
        const bool kafkaUp = kafkaHealthy.load();
        const bool dbUp = databaseHealthy.load();
        const bool ready = dbUp || kafkaUp;
        respond(jsonResponse(ready ? 200 : 503,
                             json {{"ready", ready},
                                   {"kafka", kafkaUp ? "up" : "down"},
                                   {"outbox", dbUp ? "up" : "down"},
                                   {"spilling", isSpilling()}}
                                 .dump()));
    }

    void metricsEndpoint(HttpRequest &&, Responder respond)
    {
        std::string text = metrics.render(gauges());
        if (options.extraMetrics) {
            text += options.extraMetrics();
        }
        respond({200, std::move(text), "text/plain; version=0.0.4; charset=utf-8", {}});
    }

    // ---- the produce path ---------------------------------------------------------------

    kafka::OutgoingRecord makeRecord(const std::string &tenant, std::string eventId,
                                     std::string value, const ReceivedAt &receivedAt) const
    {
        return {options.topic,
                std::nullopt,
                tenant,
                std::move(value),
                {{"event-id", std::move(eventId)},
                 {"tenant-id", tenant},
                 {"content-type", "application/json"},
                 {"received-at", receivedAt.text}},
                receivedAt.ms};
    }

    void submit(const std::string &tenant, IngestEvent &&event, const ReceivedAt &receivedAt,
                EventDone done)
    {
        SpillJob job {makeRecord(tenant, std::move(event.id), std::move(event.value), receivedAt),
                      std::move(done)};
        {
            const std::lock_guard lock(gateMutex);
            if (spilling) {
                spillQueue.push_back(std::move(job));
                writerWake.notify_one();
                return;
            }
        }
        if (auto refused = produceDirect(job)) {
            spill(std::move(job), *refused);
        }
    }

    /// Hands an event to the producer of the current lane, tracked in flight until its
    /// delivery report (or held while the lanes switch). When the producer refuses it,
    /// returns why and gives the event back in `job`.
    std::optional<std::string> produceDirect(SpillJob &job)
    {
        auto entry = std::make_unique<InFlight>(*this, std::move(job));
        entry->sentAt = Clock::now();
        {
            const std::lock_guard lock(inFlightMutex);
            followLoad(entry->sentAt);
            if (switching) {
                switchHeld.push_back(std::move(entry));
                return std::nullopt;
            }
            trackLocked(*entry);
        }
        return sendTracked(std::move(entry), job);
    }

    /// Produces a tracked entry. When the producer refuses it, returns why and gives the
    /// event back in `job` (unless the hand-over took it meanwhile).
    std::optional<std::string> sendTracked(std::unique_ptr<InFlight> entry, SpillJob &job)
    {
        kafka::Producer &target = entry->lane == kPrompt ? *promptProducer : *producer;
        auto queued = target.produce(entry->record, *entry);
        if (queued) {
            entry.release(); // deletes itself after its delivery report
            return std::nullopt;
        }
        untrack(*entry);
        if (entry->answered.exchange(true)) {
            return std::nullopt; // the hand-over took it to the outbox meanwhile
        }
        job.record = std::move(entry->record);
        job.done = std::move(entry->done);
        return queued.error().message;
    }

    /// Called with inFlightMutex held, per new event: picks the lane by how many events
    /// wait for Kafka now. Switching holds new events until the old lane has none in flight.
    void followLoad(Clock::time_point now)
    {
        if (!promptProducer || switching) {
            return;
        }
        const std::size_t waiting = inFlightOn[kPrompt] + inFlightOn[kBatching];
        if (waiting > options.quietInFlight) {
            lastBusyAt = now;
        }
        const bool busy = lane == kPrompt && waiting >= options.busyInFlight;
        const bool quiet = lane == kBatching && now - lastBusyAt >= options.quietFor;
        if (!busy && !quiet) {
            return;
        }
        lane = otherLane(lane);
        switching = inFlightOn[otherLane(lane)] > 0;
        metrics.lingerSwitches.fetch_add(1, std::memory_order_relaxed);
    }

    /// Produces the events held by a lane switch, in arrival order, on the new lane. New
    /// events keep queueing behind them until none is left. If the producer refuses one,
    /// it and every event after it go to the outbox, in order.
    void releaseHeld()
    {
        for (;;) {
            std::vector<std::unique_ptr<InFlight>> batch;
            {
                const std::lock_guard lock(inFlightMutex);
                if (switchHeld.empty()) {
                    switching = false;
                    releasing = false;
                    return;
                }
                batch.swap(switchHeld);
                for (auto &entry : batch) {
                    trackLocked(*entry);
                }
            }
            for (std::size_t i = 0; i < batch.size(); ++i) {
                SpillJob job;
                if (auto refused = sendTracked(std::move(batch[i]), job)) {
                    spillRefusedRelease(std::move(job), batch, i + 1, *refused);
                    return;
                }
            }
        }
    }

    /// releaseHeld's way out when the producer refused one: that event, the rest of the
    /// batch and the events still held go to the outbox in order, and the switch ends.
    void spillRefusedRelease(SpillJob &&refused, std::vector<std::unique_ptr<InFlight>> &batch,
                             std::size_t rest, const std::string &reason)
    {
        for (std::size_t i = rest; i < batch.size(); ++i) {
            untrack(*batch[i]); // not produced: nobody else answers them
        }
        {
            const std::lock_guard gate(gateMutex);
            const std::lock_guard lock(inFlightMutex);
            startSpilling(reason);
            if (refused.done) {
                spillQueue.push_back(std::move(refused));
            }
            for (std::size_t i = rest; i < batch.size(); ++i) {
                if (!batch[i]->answered.exchange(true)) {
                    spillQueue.push_back({std::move(batch[i]->record), std::move(batch[i]->done)});
                }
            }
            spillHeldLocked();
            releasing = false;
        }
        writerWake.notify_one();
    }

    /// Called with gateMutex and inFlightMutex held: the held events go to the outbox (after
    /// everything before them), and the switch ends. Returns how many.
    std::size_t spillHeldLocked()
    {
        const std::size_t count = switchHeld.size();
        for (auto &entry : switchHeld) {
            spillQueue.push_back({std::move(entry->record), std::move(entry->done)});
        }
        switchHeld.clear();
        switching = false;
        return count;
    }

    /// Called with inFlightMutex held.
    void trackLocked(InFlight &entry)
    {
        entry.lane = lane;
        ++inFlightOn[entry.lane];
        entry.older = newestInFlight;
        entry.newer = nullptr;
        (newestInFlight != nullptr ? newestInFlight->newer : oldestInFlight) = &entry;
        newestInFlight = &entry;
        entry.listed = true;
    }

    void untrack(InFlight &entry)
    {
        {
            const std::lock_guard lock(inFlightMutex);
            if (!entry.listed) {
                return;
            }
            (entry.older != nullptr ? entry.older->newer : oldestInFlight) = entry.newer;
            (entry.newer != nullptr ? entry.newer->older : newestInFlight) = entry.older;
            entry.listed = false;
            --inFlightOn[entry.lane];
            if (!switching || releasing || inFlightOn[otherLane(lane)] > 0) {
                return;
            }
            releasing = true; // the old lane is empty: this thread releases the held events
        }
        releaseHeld();
    }

    /// Keeps the slowest acknowledgement of the stall watch's window (only of events not
    /// handed over: a handed-over event's late copy measures the stall, not the broker).
    void noteAcknowledgement(Clock::duration waited)
    {
        for (Clock::rep slowest = slowestAckNow.load(std::memory_order_relaxed);
             waited.count() > slowest
             && !slowestAckNow.compare_exchange_weak(slowest, waited.count(),
                                                     std::memory_order_relaxed);) {
        }
    }

    /// The delivery report of an event produced directly.
    void settle(InFlight &entry, const kafka::DeliveryReport &report)
    {
        untrack(entry);
        const auto now = Clock::now();
        if (!report.error) {
            lastAckAt.store(now.time_since_epoch().count(), std::memory_order_relaxed);
            kafkaHealthy.store(true, std::memory_order_relaxed);
        }
        if (entry.answered.exchange(true)) {
            return; // handed over to the outbox already; a delivery now is a duplicate
        }
        if (!report.error) {
            const auto waited = now - entry.sentAt;
            metrics.produceLatency.observe(waited);
            noteAcknowledgement(waited);
            entry.done(true);
            return;
        }
        kafkaHealthy.store(false, std::memory_order_relaxed);
        spill({std::move(entry.record), std::move(entry.done)}, report.error->message);
    }

    /// Called with gateMutex held.
    void startSpilling(const std::string &reason)
    {
        if (!spilling) {
            spilling = true;
            log::warn("collector.spill.started", {{"reason", reason}});
        }
    }

    void spill(SpillJob &&job, const std::string &reason)
    {
        {
            const std::lock_guard lock(gateMutex);
            startSpilling(reason);
            spillQueue.push_back(std::move(job));
        }
        writerWake.notify_one();
    }

    /// Kafka stopped acknowledging (all of it, or one partition's leader): new events go to
    /// the outbox, and so do all the events in the producer's hands, oldest first, instead
    /// of waiting for their timeout. The producer may still deliver some of them later,
    /// always before the relay's copy; consumers drop the second copy by event id.
    void handOver(const std::string &reason)
    {
        kafkaHealthy.store(false, std::memory_order_relaxed);
        std::size_t handed = 0;
        {
            // Both locks at once: an event submitted meanwhile (the next of a batch) must
            // queue behind the ones handed over, or its tenant's order breaks.
            const std::lock_guard gate(gateMutex);
            const std::lock_guard lock(inFlightMutex);
            if (oldestInFlight == nullptr && switchHeld.empty()) {
                return; // an idle producer losing its connection is no reason to spill
            }
            startSpilling(reason);
            for (InFlight *entry = oldestInFlight; entry != nullptr; entry = entry->newer) {
                entry->listed = false;
                // A copy of the record: the producer may still be reading it.
                if (!entry->answered.exchange(true)) {
                    spillQueue.push_back({entry->record, std::move(entry->done)});
                    ++handed;
                }
            }
            oldestInFlight = newestInFlight = nullptr;
            inFlightOn = {};
            handed += spillHeldLocked(); // newer than every event in flight
        }
        if (handed == 0) {
            return;
        }
        metrics.eventsHandedOver.fetch_add(handed, std::memory_order_relaxed);
        log::warn("collector.spill.handed_over", {{"events", std::to_string(handed)}});
        writerWake.notify_one();
    }

    /// The stall watch (two levels, see kPartialStallFactor): hands every event in flight to
    /// the outbox when Kafka has gone silent or has left the oldest event behind. Before the
    /// producer's first acknowledgement it waits: a new producer's first delivery waits for
    /// metadata and a producer id, which is slow but no stall. Returns when to look again.
    Clock::time_point handOverIfStalled()
    {
        const auto now = Clock::now();
        if (now - ackWindowStart >= kSlowAckWindow) {
            slowestAckBefore = slowestAckNow.exchange(0, std::memory_order_relaxed);
            ackWindowStart = now;
        }
        const Clock::duration slowAcks =
            kSlowAckFactor
            * Clock::duration(
                std::max(slowestAckBefore, slowestAckNow.load(std::memory_order_relaxed)));
        const Clock::duration silentBound =
            std::max<Clock::duration>(options.stallTimeout, slowAcks);
        const Clock::duration partialBound =
            std::max<Clock::duration>(kPartialStallFactor * options.stallTimeout, slowAcks);
        Clock::time_point oldest;
        {
            const std::lock_guard lock(inFlightMutex);
            if (oldestInFlight == nullptr) {
                return now + options.stallTimeout;
            }
            oldest = oldestInFlight->sentAt;
        }
        const Clock::rep lastAck = lastAckAt.load(std::memory_order_relaxed);
        if (lastAck == 0) {
            return now + options.stallTimeout;
        }
        const Clock::time_point acknowledgedAt {Clock::duration(lastAck)};
        const bool silent = now - acknowledgedAt >= silentBound && now - oldest >= silentBound;
        const bool leftBehind = now - oldest >= partialBound;
        if (!silent && !leftBehind) {
            // When either level would be reached if nothing is acknowledged meanwhile.
            const auto next = std::min(oldest + partialBound,
                                       std::max(oldest, acknowledgedAt) + silentBound);
            return std::max(next, now + kMinStallCheck);
        }
        using std::chrono::duration_cast;
        using std::chrono::milliseconds;
        const auto ms = [](Clock::duration d) {
            return std::to_string(duration_cast<milliseconds>(d).count()) + " ms";
        };
        handOver(silent ? "Kafka acknowledged nothing for " + ms(now - acknowledgedAt)
                              + " while an event waited " + ms(now - oldest) + " (bound "
                              + ms(silentBound)
                              + ": stallTimeoutMs, or 4 times the slowest recent acknowledgement)"
                        : "an event waited " + ms(now - oldest)
                              + " while Kafka acknowledged others (bound " + ms(partialBound)
                              + ": 10 times stallTimeoutMs, or 4 times the slowest recent "
                                "acknowledgement)");
        return now + options.stallTimeout;
    }

    bool isSpilling() const
    {
        const std::lock_guard lock(gateMutex);
        return spilling;
    }

    /// Called with gateMutex held.
    void endSpillIfDrained()
    {
        if (spilling && spillQueue.empty() && !writing && lastAppendedId <= deliveredThroughId) {
            spilling = false;
            log::info("collector.spill.ended",
                      {{"delivered_through", std::to_string(deliveredThroughId)}});
        }
    }

    void onRelayed(std::int64_t throughId, std::int64_t count)
    {
        metrics.eventsRelayed.fetch_add(static_cast<std::uint64_t>(count),
                                        std::memory_order_relaxed);
        kafkaHealthy.store(true, std::memory_order_relaxed);
        {
            const std::lock_guard lock(gateMutex);
            deliveredThroughId = std::max(deliveredThroughId, throughId);
            relayedAt = Clock::now();
            drainCredit += count;
            endSpillIfDrained();
        }
        writerWake.notify_one(); // a catch-up may be complete
    }

    /// Called with gateMutex held, on the writer thread: whether to leave new spilled
    /// events in memory for now, because the relay is about to deliver the last rows.
    bool holdForCatchUp(Clock::time_point now)
    {
        const bool near = spilling && !writerStopping && now >= noCatchUpBefore
            && lastAppendedId - deliveredThroughId <= kCatchUpRows
            && kafkaHealthy.load(std::memory_order_relaxed) && now - relayedAt < kRelayRecent;
        if (!near) {
            catchUpSince = {};
            return false;
        }
        if (catchUpSince == Clock::time_point {}) {
            catchUpSince = now;
        }
        if (now - catchUpSince > kMaxCatchUp) {
            log::warn("collector.spill.catch_up_abandoned",
                      {{"rows_left", std::to_string(lastAppendedId - deliveredThroughId)}});
            catchUpSince = {};
            noCatchUpBefore = now + kCatchUpPause;
            return false;
        }
        return true;
    }

    /// Called with gateMutex held: whether the relay is draining a backlog while Kafka
    /// acknowledges, so the writer paces its appends (kDrainShare).
    bool drainingBacklog(Clock::time_point now) const
    {
        return spilling && lastAppendedId - deliveredThroughId > kCatchUpRows
            && kafkaHealthy.load(std::memory_order_relaxed) && now - relayedAt < kRelayRecent;
    }

    /// Called with gateMutex held: how many queued events the writer may append now.
    std::size_t appendAllowance(Clock::time_point now) const
    {
        return drainingBacklog(now) ? static_cast<std::size_t>(drainCredit / kDrainShare)
                                    : kSpillGroupCommit;
    }

    /// Called with gateMutex held: the relay delivered every appended row while Kafka
    /// acknowledges, so the events waiting in memory can go to the producer directly.
    bool readyToResume() const
    {
        return spilling && !writing && !spillQueue.empty() && lastAppendedId <= deliveredThroughId
            && kafkaHealthy.load(std::memory_order_relaxed);
    }

    /// Ends a spill under load: hands the held events to the producer in arrival order
    /// (the gate stays closed meanwhile, so newer events queue behind them), then opens it.
    /// If the producer refuses one, it and the rest go back to the front of the queue for
    /// the outbox, in order.
    void resumeDirect()
    {
        std::size_t resumed = 0;
        for (int round = 0; round < 1000; ++round) {
            std::deque<SpillJob> held;
            {
                const std::lock_guard lock(gateMutex);
                if (!readyToResume()) {
                    catchUpSince = {};
                    endSpillIfDrained();
                    break;
                }
                held.swap(spillQueue);
            }
            while (!held.empty()) {
                if (auto refused = produceDirect(held.front())) {
                    log::warn("collector.spill.resume_refused", {{"error", *refused}});
                    const std::lock_guard lock(gateMutex);
                    spillQueue.insert(spillQueue.begin(), std::make_move_iterator(held.begin()),
                                      std::make_move_iterator(held.end()));
                    noCatchUpBefore = Clock::now() + kCatchUpPause;
                    return;
                }
                held.pop_front();
                ++resumed;
            }
        }
        log::info("collector.spill.caught_up", {{"events", std::to_string(resumed)}});
    }

    // ---- the writer thread: spills, campaigns and the key cache --------------------------

    void refreshKeys(store::TenantStore &tenants)
    {
        auto keys = tenants.activeKeyHashes();
        if (!keys) {
            log::warn("collector.auth.refresh_failed", {{"error", keys.error().message}});
            return;
        }
        const std::unique_lock lock(authMutex);
        tenantsByKeyHash = std::move(*keys);
    }

    static store::OutboxRecord toOutbox(const kafka::OutgoingRecord &record)
    {
        return {0, record.topic, record.key, record.value, record.headers, record.timestampMs};
    }

    void writeSpills(store::Outbox &outbox, std::vector<SpillJob> &jobs)
    {
        std::int64_t lastId = 0;
        bool ok = true;
        {
            auto transaction = store::Transaction::begin(*writerDb);
            ok = transaction.has_value();
            for (std::size_t i = 0; ok && i < jobs.size(); ++i) {
                auto id = outbox.append(toOutbox(jobs[i].record));
                ok = id.has_value();
                if (ok) {
                    lastId = *id;
                } else {
                    log::error("collector.spill.write_failed", {{"error", id.error().message}});
                }
            }
            if (ok) {
                auto committed = transaction->commit();
                ok = committed.has_value();
                if (!ok) {
                    log::error("collector.spill.commit_failed",
                               {{"error", committed.error().message}});
                }
            }
        }
        databaseHealthy.store(ok, std::memory_order_relaxed);
        if (ok) {
            const std::lock_guard lock(gateMutex);
            lastAppendedId = std::max(lastAppendedId, lastId);
            metrics.eventsSpilled.fetch_add(jobs.size(), std::memory_order_relaxed);
        } else {
            metrics.spillFailures.fetch_add(jobs.size(), std::memory_order_relaxed);
        }
        relay->wake();
        for (auto &job : jobs) {
            job.done(ok);
        }
    }

    void writeCampaign(store::Outbox &outbox, store::CampaignStore &campaigns, CampaignJob &job)
    {
        int status = 503;
        std::string error;
        std::int64_t id = 0;
        if (auto transaction = store::Transaction::begin(*writerDb)) {
            auto created = campaigns.create(job.tenant, job.id, job.name, job.event.timestampMs);
            if (created && !*created) {
                status = 409;
                error = "campaign '" + job.id + "' already exists";
            } else if (created) {
                auto appended = outbox.append(toOutbox(job.event));
                if (appended && transaction->commit()) {
                    status = 201;
                    id = *appended;
                }
            }
        }
        if (status == 201) {
            const std::lock_guard lock(gateMutex);
            lastAppendedId = std::max(lastAppendedId, id);
            relay->wake();
        }
        job.done(status, error);
    }

    /// Keeps the WAL from growing without bound while events spill: a checkpoint between
    /// two of the writer's transactions copies what the relay's checkpointer could not
    /// (the last few pages since its pass), so the next commit starts the WAL over. Without
    /// it the WAL grew by 37 MB/s at 5,000 spilled events/s, and the writes that extended
    /// it stalled on block allocation (docs/profiles.md, broker outage).
    void catchUpCheckpoint()
    {
        const auto started = Clock::now();
        auto done = writerDb->checkpointWal();
        if (!done) {
            log::warn("collector.spill.checkpoint_failed", {{"error", done.error().message}});
            return;
        }
        metrics.walCatchUp.observe(Clock::now() - started);
        if (*done && (*done)->allCopied()) {
            metrics.walRestarts.fetch_add(1, std::memory_order_relaxed);
        }
    }

    void writerLoop()
    {
        store::Outbox outbox(*writerDb);
        store::TenantStore tenants(*writerDb);
        store::CampaignStore campaigns(*writerDb);
        auto keysRefreshedAt = Clock::now();
        auto spillCommittedAt = Clock::time_point {};
        while (true) {
            // The writer also runs the stall watch: it wakes when the oldest event in
            // flight would reach stallTimeout, not on a fixed tick.
            const auto nextWatch = std::min(handOverIfStalled(), keysRefreshedAt + kAuthRefresh);
            std::vector<SpillJob> spills;
            std::deque<CampaignJob> newCampaigns;
            bool resume = false;
            {
                std::unique_lock lock(gateMutex);
                // While it holds events for a catch-up it looks again every few ms.
                auto wakeBy = catchUpSince == Clock::time_point {}
                    ? nextWatch
                    : std::min(nextWatch, Clock::now() + kMinStallCheck);
                const auto nextSpillCommit = spillCommittedAt + kSpillCommitInterval;
                if (nextSpillCommit > Clock::now()) {
                    wakeBy = std::min(wakeBy, nextSpillCommit);
                }
                writerWake.wait_until(lock, wakeBy, [&] {
                    const auto now = Clock::now();
                    return writerStopping || !campaignQueue.empty() || readyToResume()
                        || (!spillQueue.empty() && now >= nextSpillCommit
                            && !holdForCatchUp(now) && appendAllowance(now) > 0);
                });
                if (writerStopping && spillQueue.empty() && campaignQueue.empty()) {
                    break;
                }
                const auto now = Clock::now();
                resume = !writerStopping && readyToResume();
                const bool hold = resume || (!writerStopping && holdForCatchUp(now));
                const std::size_t allowance =
                    writerStopping ? kSpillGroupCommit : appendAllowance(now);
                const bool paced = !writerStopping && now < nextSpillCommit;
                const std::size_t take = hold || paced
                    ? 0
                    : std::min({spillQueue.size(), kSpillGroupCommit, allowance});
                drainCredit = drainingBacklog(now)
                    ? drainCredit - static_cast<std::int64_t>(take) * kDrainShare
                    : 0;
                spills.reserve(take);
                for (std::size_t i = 0; i < take; ++i) {
                    spills.push_back(std::move(spillQueue.front()));
                    spillQueue.pop_front();
                }
                newCampaigns.swap(campaignQueue);
                writing = !spills.empty() || !newCampaigns.empty();
            }
            if (resume) {
                resumeDirect();
            }
            if (!spills.empty()) {
                spillCommittedAt = Clock::now();
                writeSpills(outbox, spills);
                if (relay->takeWalRestart()) {
                    catchUpCheckpoint();
                }
            }
            for (auto &job : newCampaigns) {
                writeCampaign(outbox, campaigns, job);
            }
            {
                const std::lock_guard lock(gateMutex);
                writing = false;
                endSpillIfDrained();
            }
            if (Clock::now() - keysRefreshedAt >= kAuthRefresh) {
                refreshKeys(tenants);
                keysRefreshedAt = Clock::now();
            }
        }
    }

    CollectorGauges gauges() const
    {
        CollectorGauges g;
        g.producerQueueDepth = (producer ? producer->queueLength() : 0)
            + (promptProducer ? promptProducer->queueLength() : 0);
        {
            const std::lock_guard lock(inFlightMutex);
            g.producerLingerSeconds =
                promptProducer ? kLaneLingerSeconds[lane] : fixedLingerSeconds;
        }
        g.outboxDepth = relay ? relay->depth() : 0;
        g.spilling = isSpilling();
        g.relayLagSeconds = relay ? static_cast<double>(relay->oldestAgeMs()) / 1000.0 : 0.0;
        return g;
    }
};

Result<std::unique_ptr<Collector>> Collector::start(CollectorOptions options)
{
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    Impl &d = *impl;

    auto db = store::Database::open(d.options.databasePath);
    if (!db) {
        return fail(db.error());
    }
    d.writerDb = std::move(*db);
    // Spilled requests wait for the writer's commits: it leaves checkpoints (and their
    // fsyncs) to the relay's connection, so a commit only appends to the WAL.
    if (auto noCheckpoints = d.writerDb->exec("PRAGMA wal_autocheckpoint=0"); !noCheckpoints) {
        return fail(noCheckpoints.error());
    }
    {
        store::TenantStore tenants(*d.writerDb);
        d.refreshKeys(tenants);
        store::Outbox outbox(*d.writerDb);
        auto depth = outbox.depth();
        auto lastId = outbox.lastId();
        if (!depth || !lastId) {
            return fail(!depth ? depth.error() : lastId.error());
        }
        if (*depth > 0) {
            // Events spilled before a restart come first: keep spilling until they are out.
            d.spilling = true;
            d.lastAppendedId = *lastId;
            log::warn("collector.spill.resumed", {{"outbox_depth", std::to_string(*depth)}});
        }
    }

    kafka::ClientSettings settings = d.options.kafka;
    settings["message.timeout.ms"] = std::to_string(d.options.produceTimeout.count());
    settings.try_emplace("queue.buffering.max.messages", "200000");
    // A linger.ms in the settings (or its alias) fixes the linger: one producer. Else the
    // batching producer gets 1 ms and a prompt one 0.2 ms (CollectorOptions::busyInFlight).
    std::optional<std::string> fixedLinger;
    for (const char *name : {"linger.ms", "queue.buffering.max.ms"}) {
        if (const auto it = settings.find(name); it != settings.end()) {
            fixedLinger = it->second;
        }
    }
    if (!fixedLinger) {
        settings["linger.ms"] = kLaneLingerSetting[kBatching];
    }
    // The producers' reports are served on the HTTP I/O thread (watched below), which then
    // writes the 202 itself: no poll thread between the broker's ack and the answer.
    const auto onBrokersDown = [&d](const std::string &reason) {
        d.handOver("every broker is down: " + reason);
    };
    auto producer =
        kafka::Producer::create(settings, onBrokersDown, kafka::Producer::Reports::OnDemand);
    if (!producer) {
        return fail(producer.error());
    }
    d.producer = std::move(*producer);
    if (fixedLinger) {
        d.lane = kBatching;
        d.fixedLingerSeconds = std::strtod(fixedLinger->c_str(), nullptr) / 1000.0;
    } else {
        kafka::ClientSettings prompt = settings;
        prompt["linger.ms"] = kLaneLingerSetting[kPrompt];
        if (const auto id = settings.find("client.id"); id != settings.end()) {
            prompt["client.id"] = id->second + "-prompt"; // told apart in the broker's metrics
        }
        if (auto created = kafka::Producer::create(prompt, onBrokersDown,
                                                   kafka::Producer::Reports::OnDemand)) {
            d.promptProducer = std::move(*created);
            d.lane = kPrompt;
        } else {
            log::warn("collector.prompt_producer_failed", {{"error", created.error().message}});
            d.lane = kBatching;
        }
    }
    // The first requests would otherwise wait for the connection and the topic's metadata
    // (about half a second: a fresh collector under load answered its first thousands of
    // requests late). A cluster that does not answer now is no reason not to start: the
    // outbox takes the events.
    if (auto warm = d.producer->warmUp(d.options.topic, kWarmUpTimeout); !warm) {
        log::warn("collector.kafka_not_ready", {{"error", warm.error().message}});
    } else if (d.promptProducer) {
        (void)d.promptProducer->warmUp(d.options.topic, kWarmUpTimeout);
    }

    OutboxRelay::Options relayOptions;
    relayOptions.databasePath = d.options.databasePath;
    relayOptions.owner = d.options.instanceId;
    relayOptions.ackTimeout = d.options.produceTimeout + std::chrono::seconds(5);
    relayOptions.walRestartBytes = d.options.walRestartBytes;
    auto relay = OutboxRelay::start(
        relayOptions, *d.producer,
        [&d](std::int64_t through, std::int64_t count) { d.onRelayed(through, count); });
    if (!relay) {
        return fail(relay.error());
    }
    d.relay = std::move(*relay);
    d.writer = std::thread([&d] {
        nameThisThread("ld-outbox-write");
        d.writerLoop();
    });

    auto server = HttpServer::start(d.options.http, [&d](HttpRequest &&request, Responder respond) {
        d.handle(std::move(request), std::move(respond));
    });
    if (!server) {
        std::unique_ptr<Collector> partial(new Collector(std::move(impl)));
        partial->shutdown(std::chrono::milliseconds(0));
        return fail(server.error());
    }
    d.server = std::move(*server);
    d.server->watch(d.producer->reportsFd(), [&d] { d.producer->serveReports(); });
    if (d.promptProducer) {
        d.server->watch(d.promptProducer->reportsFd(), [&d] { d.promptProducer->serveReports(); });
    }
    log::info("collector.started",
              {{"listen", d.options.http.host + ":" + std::to_string(d.server->port())},
               {"database", d.options.databasePath}});
    return std::unique_ptr<Collector>(new Collector(std::move(impl)));
}

Collector::Collector(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

Collector::~Collector()
{
    shutdown();
}

std::uint16_t Collector::port() const
{
    return d->server ? d->server->port() : 0;
}

void Collector::shutdown(std::chrono::milliseconds grace)
{
    if (d->shutDown.exchange(true)) {
        return;
    }
    if (d->server) {
        d->server->stopAccepting();
        const auto deadline = Clock::now() + grace;
        while (d->server->pendingResponses() > 0 && Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    // Records still in flight are delivered or fail into the spill queue here. The prompt
    // producer twice: events held by a lane switch go out once the other lane is empty.
    const auto flushTimeout = d->options.produceTimeout + std::chrono::seconds(2);
    for (kafka::Producer *lane : {d->promptProducer.get(), d->producer.get(),
                                  d->promptProducer.get()}) {
        if (lane != nullptr) {
            (void)lane->flush(flushTimeout);
        }
    }
    if (d->relay) {
        d->relay->stop();
    }
    if (d->writer.joinable()) {
        {
            const std::lock_guard lock(d->gateMutex);
            d->writerStopping = true;
        }
        d->writerWake.notify_one();
        d->writer.join();
    }
    if (d->server) {
        d->server->stopWatching(); // the producer's reports are served by its destructor now
    }
    d->promptProducer.reset();
    d->producer.reset();
    if (d->server) {
        d->server->stop();
    }
    log::info("collector.stopped",
              {{"spilled", std::to_string(d->metrics.eventsSpilled.load())},
               {"accepted", std::to_string(d->metrics.eventsAccepted.load())}});
}

bool Collector::spilling() const
{
    return d->isSpilling();
}

CollectorGauges Collector::gauges() const
{
    return d->gauges();
}

CollectorCounters Collector::counters() const
{
    return d->metrics.counters();
}

std::string Collector::metricsText() const
{
    return d->metrics.render(d->gauges());
}

} // namespace logdeck::collector
