#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace logdeck::store {

class Database;
namespace detail {
class Statement;
}

/// One record waiting in the outbox to be produced to Kafka.
struct OutboxRecord
{
    std::int64_t id = 0; ///< set by the database: increasing, never reused
    std::string topic;
    std::string key;
    std::string value;
    kafka::Headers headers; ///< values may hold any bytes
    std::int64_t createdAtMs = 0; ///< 0 when appending: now
};

/// The transactional outbox: records written to SQLite in the same transaction as the state
/// they describe, then produced to Kafka by a relay, which removes them once acknowledged.
/// A named lease makes sure only one relay at a time works on it.
class Outbox
{
public:
    /// Works on `db`, which must outlive the outbox and belongs to the same thread.
    explicit Outbox(Database &db);
    ~Outbox();
    Outbox(const Outbox &) = delete;
    Outbox &operator=(const Outbox &) = delete;

    /// Appends a record and returns its id. A plain INSERT: it joins the caller's open
    /// Transaction if there is one, so a group commit of many appends is one transaction.
    Result<std::int64_t> append(const OutboxRecord &record);

    /// Up to `limit` records with an id above `afterId`, in id order.
    Result<std::vector<OutboxRecord>> fetch(std::int64_t afterId, std::size_t limit);

    /// Deletes every record with an id up to and including `id`: the relay passes the end
    /// of the prefix Kafka has acknowledged without a gap.
    Result<void> removeThrough(std::int64_t id);

    /// The number of records waiting.
    Result<std::int64_t> depth();

    /// The id of the newest waiting record, or 0 when the outbox is empty.
    Result<std::int64_t> lastId();

    /// When the first waiting record was appended, or nothing if the outbox is empty.
    Result<std::optional<std::int64_t>> oldestCreatedAtMs();

    /// Takes or renews the lease `name` for `owner` until now + `ttl`. Succeeds (true) when
    /// the lease is free, expired or already `owner`'s; false while another owner holds it.
    Result<bool> acquireLease(const std::string &name, const std::string &owner,
                              std::chrono::milliseconds ttl);

    /// Gives the lease up if `owner` holds it, so another relay can take it at once.
    Result<void> releaseLease(const std::string &name, const std::string &owner);

private:
    Database &m_db;
    // Prepared once, on first use: the collector appends thousands of records a second.
    std::unique_ptr<detail::Statement> m_append;
    std::unique_ptr<detail::Statement> m_fetch;
    // The relay reads both after every batch.
    std::unique_ptr<detail::Statement> m_depth;
    std::unique_ptr<detail::Statement> m_oldest;
};

} // namespace logdeck::store
