// A processing group's store: the schema migration that adds the groups' tables, committed
// offsets per group, and the dedup keys that let a group skip events it has processed, on
// real database files in a temporary directory.

#include "store/database.h"
#include "store/group_store.h"
#include "store/tenant_store.h"

#include <QTemporaryDir>
#include <QTest>

using namespace logdeck;

namespace {

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kNoon = 1'795'694'400'000; ///< 2026-11-26T12:00:00Z, on an hour

std::unique_ptr<store::Database> openOrFail(const std::string &path)
{
    auto db = store::Database::open(path);
    if (!db) {
        qWarning("cannot open %s: %s", path.c_str(), db.error().message.c_str());
        return nullptr;
    }
    return std::move(*db);
}

/// Every column and index of schema version 2 that the groups use, as queries that fail
/// when one is missing.
const char *const kVersion2Queries[] = {
    "SELECT group_id, topic, partition, next_offset, updated_at_ms FROM consumer_offsets",
    "SELECT group_id, bucket, tenant, event_id FROM processed_events",
    "SELECT tenant, campaign_id, type, minute_ms, count FROM rollups",
    "SELECT tenant, event_id, type, campaign_id, occurred_at_ms, received_at_ms, topic, "
    "partition, offset, payload FROM events",
    "SELECT * FROM events INDEXED BY events_by_position WHERE topic = 't' AND partition = 0",
    "SELECT tenant, subject, window_start_ms, count FROM fraud_counters",
    "SELECT id, tenant, rule, subject, window_start_ms, count, created_at_ms FROM fraud_alerts",
};

/// Schema version 1 as it shipped, to make a database the way an older Logdeck left it.
constexpr const char *kVersion1Schema = R"sql(
CREATE TABLE v1.tenants(
    id TEXT PRIMARY KEY,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE v1.api_keys(
    hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
);
CREATE INDEX v1.api_keys_by_tenant ON api_keys(tenant_id);
CREATE TABLE v1.campaigns(
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY(tenant_id, id)
);
CREATE TABLE v1.outbox(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE v1.leases(
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
INSERT INTO v1.tenants(id, created_at_ms) VALUES('acme', 1);
PRAGMA v1.user_version = 1;
)sql";

const std::string kNew = "new";
const std::string kDuplicate = "duplicate";

/// What markProcessed said: kNew, kDuplicate or the error.
std::string mark(store::GroupStore &groupStore, const std::string &tenant, const std::string &id,
                 std::int64_t occurredAtMs)
{
    auto result = groupStore.markProcessed(tenant, id, occurredAtMs);
    if (!result) {
        return result.error().message;
    }
    return *result ? kNew : kDuplicate;
}

std::int64_t countOf(store::GroupStore &groupStore)
{
    return groupStore.processedCount().value_or(-1);
}

} // namespace

class TestGroupStore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_path;

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_path = store::GroupStore::pathFor(m_dir->path().toStdString(), "analytics");
    }

    void pathIsUnderTheGroupsDirectory()
    {
        QCOMPARE(store::GroupStore::pathFor("/var/lib/logdeck", "fraud"),
                 std::string("/var/lib/logdeck/groups/fraud.db"));
    }

    void aFreshDatabaseGetsTheGroupTables()
    {
        auto db = openOrFail(m_path); // creates DATA/groups/ as well
        QVERIFY(db);
        QCOMPARE(db->schemaVersion().value_or(-1), store::Database::latestSchemaVersion());
        for (const char *query : kVersion2Queries) {
            auto ran = db->exec(query);
            QVERIFY2(ran.has_value(), ran ? query : ran.error().message.c_str());
        }
    }

    void aVersion1DatabaseIsMigratedAndKeepsItsData()
    {
        const std::string oldPath = m_dir->filePath(QStringLiteral("old.db")).toStdString();
        {
            // A scratch connection writes the version 1 file through ATTACH, with the SQL that
            // version 1 ran.
            auto scratch = openOrFail(m_dir->filePath(QStringLiteral("scratch.db")).toStdString());
            QVERIFY(scratch);
            auto attached = scratch->exec("ATTACH DATABASE '" + oldPath + "' AS v1");
            QVERIFY2(attached.has_value(), attached ? "" : attached.error().message.c_str());
            auto created = scratch->exec(kVersion1Schema);
            QVERIFY2(created.has_value(), created ? "" : created.error().message.c_str());
            QVERIFY(scratch->exec("DETACH DATABASE v1").has_value());
        }
        auto db = openOrFail(oldPath);
        QVERIFY(db);
        QCOMPARE(db->schemaVersion().value_or(-1), store::Database::latestSchemaVersion());
        for (const char *query : kVersion2Queries) {
            auto ran = db->exec(query);
            QVERIFY2(ran.has_value(), ran ? query : ran.error().message.c_str());
        }
        auto tenants = store::TenantStore(*db).list();
        QVERIFY(tenants.has_value());
        QCOMPARE(tenants->size(), std::size_t(1));
        QCOMPARE(tenants->front().id, std::string("acme"));
    }

    void offsetsAreSavedPerGroupAndUpdatedInPlace()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore analytics(*db, "analytics");
        store::GroupStore fraud(*db, "fraud");
        auto initial = analytics.loadOffsets();
        QVERIFY(initial.has_value());
        QVERIFY(initial->empty());

        QVERIFY(analytics.saveOffsets({{"events.raw", 0, 10}, {"events.raw", 1, 20}}).has_value());
        QVERIFY(fraud.saveOffsets({{"events.raw", 0, 99}}).has_value());
        QVERIFY(analytics.saveOffsets({{"events.raw", 1, 25}, {"events.retry.analytics", 2, 3}})
                    .has_value());

        const std::vector<kafka::TopicPartitionOffset> expected {
            {"events.raw", 0, 10}, {"events.raw", 1, 25}, {"events.retry.analytics", 2, 3}};
        auto loaded = analytics.loadOffsets();
        QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().message.c_str());
        QCOMPARE(*loaded, expected);
        QCOMPARE(fraud.loadOffsets().value_or(std::vector<kafka::TopicPartitionOffset> {}),
                 (std::vector<kafka::TopicPartitionOffset> {{"events.raw", 0, 99}}));

        // A new connection, as after a restart, reads what was committed.
        db.reset();
        auto reopened = openOrFail(m_path);
        QVERIFY(reopened);
        QCOMPARE(store::GroupStore(*reopened, "analytics")
                     .loadOffsets()
                     .value_or(std::vector<kafka::TopicPartitionOffset> {}),
                 expected);
    }

    void anEventIsNewOnlyOncePerTenantAndGroup()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore analytics(*db, "analytics");
        store::GroupStore fraud(*db, "fraud");
        const std::int64_t at = kNoon + 1234;

        QCOMPARE(mark(analytics, "acme", "e-1", at), kNew);
        QCOMPARE(mark(analytics, "acme", "e-1", at), kDuplicate);
        QCOMPARE(mark(analytics, "globex", "e-1", at), kNew); // same id, another tenant
        QCOMPARE(mark(fraud, "acme", "e-1", at), kNew); // same event, another group
        QCOMPARE(mark(analytics, "acme", "e-2", at), kNew);
        QCOMPARE(mark(fraud, "acme", "e-1", at), kDuplicate);

        QCOMPARE(countOf(analytics), std::int64_t(3));
        QCOMPARE(countOf(fraud), std::int64_t(1));
    }

    /// A batch's keys are inserted in key order, not in the batch's: the outcome must be
    /// what marking them one at a time gives, copies within the batch included.
    void aBatchMarksKeysAsOneAtATimeWould()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore batched(*db, "batched");
        store::GroupStore single(*db, "single");
        struct Key
        {
            std::string tenant;
            std::string id;
            std::int64_t at;
        };
        // Held before the batch by both.
        const std::vector<Key> held = {{"acme", "e-3", kNoon}, {"globex", "e-9", kNoon + 2000}};
        for (const auto &k : held) {
            QCOMPARE(mark(batched, k.tenant, k.id, k.at), kNew);
            QCOMPARE(mark(single, k.tenant, k.id, k.at), kNew);
        }
        // Out of key order, with copies in the batch (also of held keys), several tenants
        // and seconds, and one id in two seconds.
        const std::vector<Key> batch = {
            {"initech", "e-5", kNoon + 5000}, {"acme", "e-3", kNoon},
            {"globex", "e-1", kNoon + 999},   {"acme", "e-2", kNoon + 1000},
            {"initech", "e-5", kNoon + 5000}, {"acme", "e-1", kNoon},
            {"globex", "e-9", kNoon + 2500},  {"acme", "e-2", kNoon + 1000},
            {"acme", "e-2", kNoon + 2000},    {"acme", "e-0", kNoon + 999},
            {"globex", "e-1", kNoon + 999},
        };
        std::vector<store::DedupKey> keys;
        for (const auto &k : batch) {
            keys.push_back({k.tenant, k.id, k.at});
        }
        std::vector<char> isNew;
        auto marked = batched.markProcessed(keys, isNew);
        QVERIFY2(marked, marked ? "" : marked.error().message.c_str());
        QCOMPARE(isNew.size(), batch.size());
        QStringList expected;
        QStringList actual;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            expected << QString::fromStdString(
                mark(single, batch[i].tenant, batch[i].id, batch[i].at));
            actual << QString::fromStdString(isNew[i] != 0 ? kNew : kDuplicate);
        }
        QCOMPARE(actual, expected);
        QCOMPARE(expected.count(QString::fromStdString(kNew)), 6);
        QCOMPARE(countOf(batched), countOf(single));
        for (const auto &k : batch) {
            QCOMPARE(batched.isProcessed(k.tenant, k.id, k.at).value_or(false), true);
        }
        // An empty batch marks nothing.
        QVERIFY(batched.markProcessed({}, isNew).has_value());
        QVERIFY(isNew.empty());
    }

    void aRolledBackBatchLeavesNoDedupKey()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore analytics(*db, "analytics");
        {
            auto transaction = store::Transaction::begin(*db);
            QVERIFY(transaction.has_value());
            QCOMPARE(mark(analytics, "acme", "e-1", kNoon), kNew);
            QCOMPARE(mark(analytics, "acme", "e-1", kNoon), kDuplicate);
        } // not committed
        QCOMPARE(countOf(analytics), std::int64_t(0));

        auto transaction = store::Transaction::begin(*db);
        QVERIFY(transaction.has_value());
        QCOMPARE(mark(analytics, "acme", "e-1", kNoon), kNew);
        QVERIFY(analytics.saveOffsets({{"events.raw", 0, 1}}).has_value());
        QVERIFY(transaction->commit().has_value());
        QCOMPARE(mark(analytics, "acme", "e-1", kNoon), kDuplicate);
        QCOMPARE(countOf(analytics), std::int64_t(1));
    }

    void aForgottenEventIsNewAgain()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore analytics(*db, "analytics");
        QCOMPARE(mark(analytics, "acme", "e-1", kNoon), kNew);
        QCOMPARE(mark(analytics, "acme", "e-2", kNoon), kNew);
        QVERIFY(analytics.forgetProcessed("acme", "e-1", kNoon).has_value());
        QCOMPARE(mark(analytics, "acme", "e-1", kNoon), kNew);
        QCOMPARE(mark(analytics, "acme", "e-2", kNoon), kDuplicate);
        QCOMPARE(countOf(analytics), std::int64_t(2));
    }

    void isProcessedFindsTheKeyInItsSecondOnly()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore analytics(*db, "analytics");
        QCOMPARE(mark(analytics, "acme", "e-1", kNoon + 250), kNew);
        auto processed = [&](const std::string &tenant, std::int64_t at) {
            auto found = analytics.isProcessed(tenant, "e-1", at);
            return found.has_value() && *found;
        };
        QVERIFY(processed("acme", kNoon + 999)); // any time in the same second
        QVERIFY(!processed("acme", kNoon + 1000)); // the next second is another bucket
        QVERIFY(!processed("globex", kNoon + 250));
        QVERIFY(!store::GroupStore(*db, "fraud").isProcessed("acme", "e-1", kNoon).value());
    }

    void pruningRemovesOnlySecondsBeforeTheCutoffsSecond()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore analytics(*db, "analytics");
        store::GroupStore fraud(*db, "fraud");
        const std::int64_t cutoff = kNoon + 500; // 12:00:00.500

        QCOMPARE(mark(analytics, "acme", "two-hours-ago", kNoon - 2 * kHourMs), kNew);
        QCOMPARE(mark(analytics, "acme", "11:59:59.999", kNoon - 1), kNew);
        QCOMPARE(mark(analytics, "acme", "12:00", kNoon), kNew); // before the cutoff, same second
        QCOMPARE(mark(analytics, "globex", "12:29", cutoff - 100), kNew);
        QCOMPARE(mark(analytics, "acme", "12:45", cutoff + 45 * 60'000), kNew);
        QCOMPARE(mark(fraud, "acme", "two-hours-ago", kNoon - 2 * kHourMs), kNew);

        auto pruned = analytics.pruneProcessedBefore(cutoff);
        QVERIFY2(pruned.has_value(), pruned ? "" : pruned.error().message.c_str());
        QCOMPARE(*pruned, std::int64_t(2));
        QCOMPARE(countOf(analytics), std::int64_t(3));
        QCOMPARE(mark(analytics, "acme", "12:00", kNoon), kDuplicate);
        QCOMPARE(mark(analytics, "globex", "12:29", cutoff - 100), kDuplicate);
        QCOMPARE(mark(analytics, "acme", "12:45", cutoff + 45 * 60'000), kDuplicate);
        QCOMPARE(mark(analytics, "acme", "11:59:59.999", kNoon - 1), kNew); // pruned: new again
        QCOMPARE(countOf(fraud), std::int64_t(1)); // another group's keys are its own

        QCOMPARE(analytics.pruneProcessedBefore(cutoff).value_or(-1), std::int64_t(1));
        QCOMPARE(analytics.pruneProcessedBefore(cutoff).value_or(-1), std::int64_t(0));
    }

    void pruningIsBoundedAndTakesTheOldestFirst()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore analytics(*db, "analytics");
        for (int i = 0; i < 10; ++i) {
            QCOMPARE(mark(analytics, "acme", "old-" + std::to_string(i), kNoon - (10 - i) * 1000),
                     kNew);
        }
        QCOMPARE(mark(analytics, "acme", "recent", kNoon + 1000), kNew);
        QCOMPARE(analytics.pruneProcessedBefore(kNoon, 4).value_or(-1), std::int64_t(4));
        QCOMPARE(countOf(analytics), std::int64_t(7));
        // The four oldest seconds went; the next ones are still held.
        QCOMPARE(mark(analytics, "acme", "old-4", kNoon - 6000), kDuplicate);
        QCOMPARE(mark(analytics, "acme", "old-3", kNoon - 7000), kNew);
        QCOMPARE(analytics.pruneProcessedBefore(kNoon, 4).value_or(-1), std::int64_t(4));
        QCOMPARE(analytics.pruneProcessedBefore(kNoon, 4).value_or(-1), std::int64_t(3));
        QCOMPARE(analytics.pruneProcessedBefore(kNoon, 4).value_or(-1), std::int64_t(0));
        QCOMPARE(countOf(analytics), std::int64_t(1)); // "recent" stays
    }

    void bucketsBeforeTheEpochFloorDownward()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::GroupStore analytics(*db, "analytics");
        QCOMPARE(mark(analytics, "acme", "just-before-1970", -1), kNew);
        QCOMPARE(mark(analytics, "acme", "1970", 0), kNew);
        // -1 ms belongs to the second that starts at -1 s, which is before the bucket of 0.
        QCOMPARE(analytics.pruneProcessedBefore(0).value_or(-1), std::int64_t(1));
        QCOMPARE(countOf(analytics), std::int64_t(1));
    }
};

QTEST_GUILESS_MAIN(TestGroupStore)
#include "tst_group_store.moc"
