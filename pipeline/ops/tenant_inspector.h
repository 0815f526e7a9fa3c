#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logdeck::ops {

/// Where one event stands in one consumer group. When several apply, the first in this
/// order wins (docs/operations.md, "Tenant inspector"):
///   Redriven      its latest dead letter for the group was redriven, and the group has not
///                 read the redriven copy yet;
///   DeadLettered  its latest dead letter for the group was not redriven;
///   InRetry       a retry record of it waits on the group's retry topic, unread;
///   Pending       the group's committed offset on events.raw is at or below the event;
///   Processed     none of the above: the group read it and finished with it (for a group
///                 hosted on the data directory, its dedup key confirms it).
enum class EventState { Processed, Pending, InRetry, DeadLettered, Redriven };

/// "processed", "pending", "retry", "dlq", "redriven".
std::string_view stateName(EventState state);

/// Where the inspector reads: the cluster, the data directory of the engine that hosts the
/// groups (their DATA/groups/<group>.db, the redrive ledger and the tenants in
/// DATA/logdeck.db), and how long and how far it may read.
struct InspectorSources
{
    kafka::ClientSettings cluster;
    std::string dataDir;
    std::chrono::milliseconds timeout {30000};
    /// At most this many records are read from one partition; older ones are left out.
    std::int64_t maxScanRecords = 500000;
};

/// Which of a tenant's events to inspect.
struct TenantQuery
{
    std::string tenant;
    std::optional<std::int64_t> sinceMs; ///< occurredAt at or after
    std::optional<std::int64_t> untilMs; ///< occurredAt at or before
    std::string type; ///< empty: every type
    int limit = 100; ///< the newest `limit` events of the range
    bool scanOnly = false; ///< ignore the persister's index, scan the partition
    std::vector<std::string> groups; ///< empty: every group hosted on the data directory
};

/// One event of the tenant and its state in each group.
struct InspectedEvent
{
    std::string eventId;
    std::string type;
    std::string campaignId;
    std::int64_t occurredAtMs = 0;
    std::int64_t receivedAtMs = 0; ///< when the collector accepted it
    std::int32_t partition = -1; ///< of events.raw; -1 when not known
    std::int64_t offset = -1; ///< on events.raw; -1 when not known
    std::map<std::string, EventState> states; ///< by group
};

/// Where the events were found: the persister's index; the index plus a scan of the
/// partition's records it has not indexed yet; or a scan of the partition alone (no
/// persister here, it does not own the partition, or scanOnly).
enum class EventSource { Index, IndexAndScan, PartitionScan };

/// One event as a JSON object on one line, as `logdeck-cli tenant inspect --json` and the
/// console's export write it: time, eventId, type, campaignId, receivedAt (RFC 3339, null
/// when not known), partition, offset and states (group → stateName).
std::string eventJson(const InspectedEvent &event);

/// "index", "index+scan", "scan".
std::string_view sourceName(EventSource source);

/// A tenant's events in time order (occurredAt, then event id) with their states.
struct TenantInspection
{
    std::string tenant;
    std::int32_t partition = 0; ///< the tenant's partition of events.raw
    std::vector<std::string> groups; ///< the columns of `states`, sorted
    EventSource source = EventSource::Index;
    std::int64_t scannedRecords = 0; ///< records read from events.raw
    /// The scan stopped at maxScanRecords, or --limit cut the list: older events exist.
    bool truncated = false;
    std::vector<InspectedEvent> events;
};

/// One step of an event's way through the pipeline.
struct Hop
{
    enum class Kind { Accepted, Logged, Retried, DeadLettered, Redriven, Processed, Pending };
    Kind kind = Kind::Accepted;
    std::string group; ///< empty for Accepted and Logged
    std::int64_t atMs = 0; ///< 0: not known (a group records no time for processing)
    std::string topic; ///< where the record of this hop is, when there is one
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::string detail;
};

/// "accepted", "logged", "retried", "dead-lettered", "redriven", "processed", "pending".
std::string_view hopName(Hop::Kind kind);

/// One event followed through every hop, in time order; hops without a time keep their
/// place after the hop that led to them.
struct EventTrace
{
    std::string tenant;
    InspectedEvent event;
    EventSource source = EventSource::Index;
    std::vector<Hop> hops;
};

/// The tenant's events and their state per group. NotFound when the tenant is neither in
/// DATA/logdeck.db nor has any event; InvalidArgument for a bad query. Blocks on the
/// cluster and the disk: call it from a worker thread.
Result<TenantInspection> inspectTenant(const InspectorSources &sources, const TenantQuery &query);

/// Follows `eventId` of `query.tenant` through every hop (query's groups and scanOnly
/// apply; its time range, type and limit do not). NotFound when the event is not found.
Result<EventTrace> traceEvent(const InspectorSources &sources, const TenantQuery &query,
                              const std::string &eventId);

/// The tenants of DATA/logdeck.db, sorted; none when there is no database (it is not
/// created). Reads the disk: not on a UI thread.
Result<std::vector<std::string>> knownTenants(const std::string &dataDir);

/// The groups with a database in `dataDir`/groups, sorted.
std::vector<std::string> hostedGroups(const std::string &dataDir);

} // namespace logdeck::ops
