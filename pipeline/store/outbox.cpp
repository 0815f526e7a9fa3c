#include "store/outbox.h"

#include "common/time_format.h"
#include "store/database.h"
#include "store/sqlite_support.h"

#include <QByteArray>
#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

namespace logdeck::store {

namespace {

using nlohmann::json;

// Headers are stored as a JSON array of [name, value] pairs with the value in base64, since
// Kafka header values are bytes and JSON strings must be UTF-8. Header names are text in
// Kafka; a name that is not UTF-8 is stored with U+FFFD in place of the bad bytes.
std::string encodeHeaders(const kafka::Headers &headers)
{
    auto pairs = json::array();
    for (const auto &header : headers) {
        const auto value = QByteArray::fromRawData(header.value.data(),
                                                   static_cast<qsizetype>(header.value.size()));
        pairs.push_back(json::array({header.name, value.toBase64().toStdString()}));
    }
    return pairs.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<kafka::Headers> decodeHeaders(const std::string &text, std::int64_t id)
{
    const auto malformed = [id] {
        return fail(Error::internal("outbox record " + std::to_string(id)
                                    + " has malformed headers; the database was changed by "
                                      "something other than Logdeck"));
    };
    const json pairs = json::parse(text, nullptr, false);
    if (!pairs.is_array()) {
        return malformed();
    }
    kafka::Headers headers;
    headers.reserve(pairs.size());
    for (const auto &pair : pairs) {
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
            return malformed();
        }
        auto value = QByteArray::fromBase64Encoding(
            QByteArray::fromStdString(pair[1].get_ref<const std::string &>()),
            QByteArray::AbortOnBase64DecodingErrors);
        if (!value) {
            return malformed();
        }
        headers.push_back({pair[0].get<std::string>(), value.decoded.toStdString()});
    }
    return headers;
}

} // namespace

Outbox::Outbox(Database &db)
    : m_db(db)
{
}

Outbox::~Outbox() = default;

Result<std::int64_t> Outbox::append(const OutboxRecord &record)
{
    auto insert = detail::cached(m_db, m_append, R"sql(
        INSERT INTO outbox(topic, key, value, headers, created_at_ms)
        VALUES(?1, ?2, ?3, ?4, ?5))sql");
    if (!insert) {
        return fail(insert.error());
    }
    (*insert)
        ->bindText(1, record.topic)
        .bindBlob(2, record.key)
        .bindBlob(3, record.value)
        .bindText(4, encodeHeaders(record.headers))
        .bindInt64(5, record.createdAtMs != 0 ? record.createdAtMs : nowMillis());
    if (auto done = (*insert)->step("cannot append to the outbox"); !done) {
        return fail(done.error());
    }
    return sqlite3_last_insert_rowid(m_db.handle());
}

Result<std::vector<OutboxRecord>> Outbox::fetch(std::int64_t afterId, std::size_t limit)
{
    auto select = detail::cached(m_db, m_fetch, R"sql(
        SELECT id, topic, key, value, headers, created_at_ms FROM outbox
        WHERE id > ?1 ORDER BY id LIMIT ?2)sql");
    if (!select) {
        return fail(select.error());
    }
    detail::Statement &statement = **select;
    const auto maxLimit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    statement.bindInt64(1, afterId)
        .bindInt64(2, static_cast<std::int64_t>(std::min(limit, maxLimit)));
    std::vector<OutboxRecord> records;
    for (;;) {
        auto row = statement.step("cannot read the outbox");
        if (!row) {
            return fail(row.error());
        }
        if (*row == detail::Statement::Step::Done) {
            return records;
        }
        OutboxRecord record;
        record.id = statement.columnInt64(0);
        record.topic = statement.columnText(1);
        record.key = statement.columnBlob(2);
        record.value = statement.columnBlob(3);
        auto headers = decodeHeaders(statement.columnText(4), record.id);
        if (!headers) {
            statement.reset(); // a cached statement left mid-way would pin a read snapshot
            return fail(headers.error());
        }
        record.headers = std::move(*headers);
        record.createdAtMs = statement.columnInt64(5);
        records.push_back(std::move(record));
    }
}

Result<void> Outbox::removeThrough(std::int64_t id)
{
    auto remove = detail::Statement::prepare(m_db.handle(), "DELETE FROM outbox WHERE id <= ?1");
    if (!remove) {
        return fail(remove.error());
    }
    remove->bindInt64(1, id);
    if (auto done = remove->step("cannot remove relayed records from the outbox"); !done) {
        return fail(done.error());
    }
    return {};
}

Result<std::int64_t> Outbox::depth()
{
    // Rows are appended with increasing ids and removed only from the front
    // (removeThrough), so the ids left are contiguous: two index lookups instead of a
    // COUNT(*), which walks the whole table (about 1 s at 10M rows).
    auto count = detail::cached(m_db, m_depth, R"sql(
        SELECT COALESCE((SELECT MAX(id) FROM outbox) - (SELECT MIN(id) FROM outbox) + 1, 0))sql");
    if (!count) {
        return fail(count.error());
    }
    if (auto row = (*count)->step("cannot count the outbox records"); !row) {
        return fail(row.error());
    }
    const std::int64_t rows = (*count)->columnInt64(0);
    (*count)->reset(); // a cached statement left mid-way would pin a read snapshot
    return rows;
}

Result<std::int64_t> Outbox::lastId()
{
    auto select =
        detail::Statement::prepare(m_db.handle(), "SELECT COALESCE(MAX(id), 0) FROM outbox");
    if (!select) {
        return fail(select.error());
    }
    if (auto row = select->step("cannot read the newest outbox record"); !row) {
        return fail(row.error());
    }
    return select->columnInt64(0);
}

Result<std::optional<std::int64_t>> Outbox::oldestCreatedAtMs()
{
    auto select = detail::cached(m_db, m_oldest,
                                 "SELECT created_at_ms FROM outbox ORDER BY id LIMIT 1");
    if (!select) {
        return fail(select.error());
    }
    auto row = (*select)->step("cannot read the oldest outbox record");
    if (!row) {
        return fail(row.error());
    }
    std::optional<std::int64_t> createdAtMs;
    if (*row == detail::Statement::Step::Row) {
        createdAtMs = (*select)->columnInt64(0);
    }
    (*select)->reset();
    return createdAtMs;
}

Result<bool> Outbox::acquireLease(const std::string &name, const std::string &owner,
                                  std::chrono::milliseconds ttl)
{
    // One statement, so taking the lease is atomic even between processes: the update
    // only happens when the lease is ours or has expired.
    auto upsert = detail::Statement::prepare(m_db.handle(), R"sql(
        INSERT INTO leases(name, owner, expires_at_ms) VALUES(?1, ?2, ?3)
        ON CONFLICT(name) DO UPDATE SET owner = excluded.owner,
                                        expires_at_ms = excluded.expires_at_ms
        WHERE leases.owner = excluded.owner OR leases.expires_at_ms <= ?4)sql");
    if (!upsert) {
        return fail(upsert.error());
    }
    const std::int64_t now = nowMillis();
    upsert->bindText(1, name).bindText(2, owner).bindInt64(3, now + ttl.count()).bindInt64(4, now);
    if (auto done = upsert->step("cannot take the lease '" + name + "'"); !done) {
        return fail(done.error());
    }
    return sqlite3_changes(m_db.handle()) > 0;
}

Result<void> Outbox::releaseLease(const std::string &name, const std::string &owner)
{
    auto remove = detail::Statement::prepare(m_db.handle(),
                                             "DELETE FROM leases WHERE name = ?1 AND owner = ?2");
    if (!remove) {
        return fail(remove.error());
    }
    remove->bindText(1, name).bindText(2, owner);
    if (auto done = remove->step("cannot release the lease '" + name + "'"); !done) {
        return fail(done.error());
    }
    return {};
}

} // namespace logdeck::store
