// The SQLite store: schema migrations, tenants and their hashed API keys, the transactional
// outbox and the relay's lease, on real database files in a temporary directory.

#include "store/database.h"
#include "store/outbox.h"
#include "store/tenant_store.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <sys/stat.h>

using namespace logdeck;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<store::Database> openOrFail(const std::string &path)
{
    auto db = store::Database::open(path);
    if (!db) {
        qWarning("cannot open %s: %s", path.c_str(), db.error().message.c_str());
        return nullptr;
    }
    return std::move(*db);
}

/// Every byte SQLite keeps for the database: the file and, if still there, its WAL.
QByteArray databaseBytes(const std::string &path)
{
    QByteArray bytes;
    for (const std::string &file : {path, path + "-wal"}) {
        QFile f(QString::fromStdString(file));
        if (f.open(QIODevice::ReadOnly)) {
            bytes += f.readAll();
        }
    }
    return bytes;
}

store::OutboxRecord record(std::string topic, std::string key, std::string value,
                           kafka::Headers headers = {}, std::int64_t createdAtMs = 0)
{
    store::OutboxRecord r;
    r.topic = std::move(topic);
    r.key = std::move(key);
    r.value = std::move(value);
    r.headers = std::move(headers);
    r.createdAtMs = createdAtMs;
    return r;
}

} // namespace

class TestStore : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_path;

private Q_SLOTS:
    void init()
    {
        // A new directory per test function: no test sees another's rows. The database sits
        // in a directory that does not exist yet, which open() creates.
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_path = store::Database::pathIn(m_dir->path().toStdString() + "/nested/data");
    }

    void migrationsCreateTheSchemaAndReopeningKeepsData()
    {
        {
            auto db = openOrFail(m_path);
            QVERIFY(db);
            QCOMPARE(db->schemaVersion().value_or(-1), store::Database::latestSchemaVersion());
            for (const char *query : {
                     "SELECT id, created_at_ms FROM tenants",
                     "SELECT hash, tenant_id, created_at_ms, revoked_at_ms FROM api_keys",
                     "SELECT tenant_id, id, name, created_at_ms FROM campaigns",
                     "SELECT id, topic, key, value, headers, created_at_ms FROM outbox",
                     "SELECT name, owner, expires_at_ms FROM leases",
                 }) {
                auto ran = db->exec(query);
                QVERIFY2(ran.has_value(), ran ? query : ran.error().message.c_str());
            }
            QVERIFY(store::TenantStore(*db).addTenant("acme").has_value());
        }
        auto reopened = openOrFail(m_path);
        QVERIFY(reopened);
        QCOMPARE(reopened->schemaVersion().value_or(-1), store::Database::latestSchemaVersion());
        auto tenants = store::TenantStore(*reopened).list();
        QVERIFY(tenants.has_value());
        QCOMPARE(tenants->size(), size_t(1));
        QCOMPARE(tenants->front().id, std::string("acme"));
    }

    void aNewerDatabaseIsRefused()
    {
        {
            auto db = openOrFail(m_path);
            QVERIFY(db);
            QVERIFY(db->exec("PRAGMA user_version = 99").has_value());
        }
        auto db = store::Database::open(m_path);
        QVERIFY(!db.has_value());
        const QString message = QString::fromStdString(db.error().message);
        QVERIFY2(message.contains(QString::fromStdString(m_path)), qPrintable(message));
        QVERIFY2(message.contains("version 99"), qPrintable(message));
        QVERIFY2(message.contains("newer Logdeck"), qPrintable(message));
    }

    /// logdeck.db (tenants' key hashes) was 0644 in a 0755 directory: readable by anyone.
    void aNewDataDirectoryAndItsDatabaseAreTheOwnersOnly()
    {
        {
            auto db = store::Database::open(m_path);
            QVERIFY(db.has_value());
            store::TenantStore tenants(**db);
            QVERIFY(tenants.addTenant("acme").has_value()); // a write: the -wal file exists
            const auto mode = [](const std::string &path) {
                struct stat info {};
                return ::stat(path.c_str(), &info) == 0 ? (info.st_mode & 0777) : 01000;
            };
            QCOMPARE(mode(m_path), 0600u);
            QCOMPARE(mode(m_path + "-wal"), 0600u);
            const std::string data = m_dir->path().toStdString() + "/nested/data";
            QCOMPARE(mode(data), 0700u);
            QCOMPARE(mode(m_dir->path().toStdString() + "/nested"), 0700u);
        }
    }

    void anUnwritableDataDirectoryIsNamed()
    {
        QFile blocker(m_dir->filePath("file"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        const std::string path = store::Database::pathIn(blocker.fileName().toStdString() + "/sub");
        auto db = store::Database::open(path);
        QVERIFY(!db.has_value());
        QCOMPARE(db.error().code, Error::Code::Io);
        QVERIFY2(db.error().message.find(blocker.fileName().toStdString()) != std::string::npos,
                 db.error().message.c_str());
    }

    void badTenantNamesAreRefused_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("empty") << "";
        QTest::newRow("upper case") << "Acme";
        QTest::newRow("space") << "ac me";
        QTest::newRow("punctuation") << "acme!";
        QTest::newRow("path") << "../acme";
        QTest::newRow("dot") << "acme.io";
        QTest::newRow("non-ascii") << "acmé";
        QTest::newRow("65 characters") << QString(65, QLatin1Char('a'));
    }

    void badTenantNamesAreRefused()
    {
        QFETCH(QString, name);
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::TenantStore tenants(*db);
        auto added = tenants.addTenant(name.toStdString());
        QVERIFY(!added.has_value());
        QCOMPARE(added.error().code, Error::Code::InvalidArgument);
        const QString message = QString::fromStdString(added.error().message);
        QVERIFY2(message.contains("'" + name + "'"), qPrintable(message));
        QVERIFY2(message.contains("1 to 64 characters of a-z, 0-9"), qPrintable(message));
        QVERIFY(tenants.list()->empty());
    }

    void goodTenantNamesAreAccepted()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::TenantStore tenants(*db);
        for (const std::string &name : {std::string("a"), std::string("acme_eu-1"),
                                        std::string(64, 'z'), std::string("0-_")}) {
            auto added = tenants.addTenant(name);
            QVERIFY2(added.has_value(), added ? "" : added.error().message.c_str());
        }
        QCOMPARE(tenants.list()->size(), size_t(4));
    }

    void aDuplicateTenantIsRefusedAndNothingHalfWritten()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::TenantStore tenants(*db);
        QVERIFY(tenants.addTenant("acme").has_value());
        auto again = tenants.addTenant("acme");
        QVERIFY(!again.has_value());
        QVERIFY2(again.error().message.starts_with("tenant 'acme' already exists"),
                 again.error().message.c_str());

        auto all = tenants.list();
        QVERIFY(all.has_value());
        QCOMPARE(all->size(), size_t(1));
        QCOMPARE(all->front().activeKeys, 1);
        QCOMPARE(tenants.activeKeyHashes()->size(), size_t(1));
    }

    void keysAreStoredOnlyAsHashes()
    {
        std::string key;
        {
            auto db = openOrFail(m_path);
            QVERIFY(db);
            store::TenantStore tenants(*db);
            auto added = tenants.addTenant("acme");
            QVERIFY(added.has_value());
            key = *added;
            QVERIFY2(QRegularExpression("^ldk_[0-9a-f]{32}$")
                         .match(QString::fromStdString(key))
                         .hasMatch(),
                     key.c_str());
            auto other = tenants.addKey("acme");
            QVERIFY(other.has_value());
            QVERIFY(*other != key);

            const auto hashes = tenants.activeKeyHashes();
            QVERIFY(hashes.has_value());
            QCOMPARE(hashes->size(), size_t(2));
            QCOMPARE(hashes->at(store::TenantStore::hashKey(key)), std::string("acme"));
        }
        const std::string hash = store::TenantStore::hashKey(key);
        QCOMPARE(hash.size(), size_t(64));
        const QByteArray bytes = databaseBytes(m_path);
        QVERIFY(bytes.contains(QByteArray::fromStdString(hash))); // the scan does see the rows
        QVERIFY(!bytes.contains(QByteArray::fromStdString(key)));
        QVERIFY(!bytes.contains(QByteArray::fromStdString(key.substr(4))));
    }

    void keysResolveToTheirTenantUntilRevoked()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::TenantStore tenants(*db);
        const std::string acme = tenants.addTenant("acme").value_or("");
        const std::string acme2 = tenants.addKey("acme").value_or("");
        const std::string globex = tenants.addTenant("globex").value_or("");
        QVERIFY(!acme.empty() && !acme2.empty() && !globex.empty());

        QCOMPARE(tenants.tenantForKey(acme)->value_or(""), std::string("acme"));
        QCOMPARE(tenants.tenantForKey(globex)->value_or(""), std::string("globex"));
        QVERIFY(!tenants.tenantForKey("ldk_00000000000000000000000000000000")->has_value());
        QVERIFY(!tenants.tenantForKey("")->has_value());

        QCOMPARE(tenants.revoke("acme").value_or(-1), 2);
        QVERIFY(!tenants.tenantForKey(acme)->has_value());
        QVERIFY(!tenants.tenantForKey(acme2)->has_value());
        QCOMPARE(tenants.tenantForKey(globex)->value_or(""), std::string("globex"));
        QCOMPARE(tenants.revoke("acme").value_or(-1), 0);

        const auto all = tenants.list();
        QVERIFY(all.has_value());
        QCOMPARE(all->size(), size_t(2));
        QCOMPARE(all->at(0).id, std::string("acme")); // sorted by id
        QCOMPARE(all->at(0).activeKeys, 0);
        QCOMPARE(all->at(1).activeKeys, 1);
        QVERIFY(all->at(0).createdAtMs > 0);

        // A new key works again after a revoke.
        const std::string fresh = tenants.addKey("acme").value_or("");
        QCOMPARE(tenants.tenantForKey(fresh)->value_or(""), std::string("acme"));
    }

    void unknownTenantsAreNotFound()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::TenantStore tenants(*db);
        auto revoked = tenants.revoke("nobody");
        QVERIFY(!revoked.has_value());
        QCOMPARE(revoked.error().code, Error::Code::NotFound);
        QVERIFY2(revoked.error().message.find("'nobody'") != std::string::npos,
                 revoked.error().message.c_str());
        auto key = tenants.addKey("nobody");
        QVERIFY(!key.has_value());
        QCOMPARE(key.error().code, Error::Code::NotFound);
        QVERIFY(tenants.activeKeyHashes()->empty());
    }

    void outboxKeepsOrderAndRemovesOnlyThePrefix()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::Outbox outbox(*db);
        QCOMPARE(outbox.depth().value_or(-1), 0);
        QVERIFY(!outbox.oldestCreatedAtMs()->has_value());
        QCOMPARE(outbox.lastId().value_or(-1), 0);

        std::vector<std::int64_t> ids;
        for (int i = 0; i < 5; ++i) {
            auto id = outbox.append(
                record("events.raw", "acme", "event-" + std::to_string(i), {}, 1000 + i));
            QVERIFY2(id.has_value(), id ? "" : id.error().message.c_str());
            ids.push_back(*id);
        }
        QVERIFY(std::ranges::is_sorted(ids));
        QCOMPARE(outbox.depth().value_or(-1), 5);
        QCOMPARE(outbox.lastId().value_or(-1), ids.back());
        QCOMPARE(outbox.oldestCreatedAtMs()->value_or(-1), 1000);

        auto all = outbox.fetch(0, 100);
        QVERIFY(all.has_value());
        QCOMPARE(all->size(), size_t(5));
        for (std::size_t i = 0; i < all->size(); ++i) {
            QCOMPARE(all->at(i).id, ids[i]);
            QCOMPARE(all->at(i).value, "event-" + std::to_string(i));
            QCOMPARE(all->at(i).topic, std::string("events.raw"));
            QCOMPARE(all->at(i).createdAtMs, std::int64_t(1000 + i));
        }
        auto page = outbox.fetch(ids[1], 2);
        QVERIFY(page.has_value());
        QCOMPARE(page->size(), size_t(2));
        QCOMPARE(page->at(0).id, ids[2]);
        QCOMPARE(page->at(1).id, ids[3]);

        QVERIFY(outbox.removeThrough(ids[2]).has_value());
        QCOMPARE(outbox.depth().value_or(-1), 2);
        QCOMPARE(outbox.oldestCreatedAtMs()->value_or(-1), 1003);
        auto rest = outbox.fetch(0, 100);
        QVERIFY(rest.has_value());
        QCOMPARE(rest->size(), size_t(2));
        QCOMPARE(rest->at(0).id, ids[3]);
        QCOMPARE(rest->at(1).id, ids[4]);

        // Ids are never reused, even once the outbox is empty.
        QVERIFY(outbox.removeThrough(ids[4]).has_value());
        QCOMPARE(outbox.depth().value_or(-1), 0);
        auto next = outbox.append(record("events.raw", "acme", "later"));
        QVERIFY(next.has_value());
        QVERIFY(*next > ids.back());
        QVERIFY(outbox.fetch(0, 1)->front().createdAtMs > 0); // 0 means now
    }

    void outboxRecordsRoundTripBytes()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::Outbox outbox(*db);
        const std::string binary("\0\xff\xfe\x01\"\\,]", 9);
        const kafka::Headers headers = {{"trace-id", "abc123"},
                                        {"binary", binary},
                                        {"empty", ""},
                                        {"utf8", "héllo wörld"},
                                        {"trace-id", "duplicate names are kept"}};
        const auto original = record("events.raw", std::string("k\0y", 3), binary, headers);
        QVERIFY(outbox.append(original).has_value());
        QVERIFY(outbox.append(record("events.dlq", "", "")).has_value());

        auto fetched = outbox.fetch(0, 10);
        QVERIFY(fetched.has_value());
        QCOMPARE(fetched->size(), size_t(2));
        QCOMPARE(fetched->at(0).key, original.key);
        QCOMPARE(fetched->at(0).value, original.value);
        QCOMPARE(fetched->at(0).headers, headers);
        QCOMPARE(fetched->at(1).topic, std::string("events.dlq"));
        QVERIFY(fetched->at(1).key.empty());
        QVERIFY(fetched->at(1).value.empty());
        QVERIFY(fetched->at(1).headers.empty());
    }

    void appendsFollowTheCallersTransaction()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::Outbox outbox(*db);
        {
            auto transaction = store::Transaction::begin(*db);
            QVERIFY(transaction.has_value());
            for (int i = 0; i < 3; ++i) {
                QVERIFY(outbox.append(record("events.raw", "acme", "discarded")).has_value());
            }
            QCOMPARE(outbox.depth().value_or(-1), 3); // visible inside the transaction
        } // not committed: rolled back
        QCOMPARE(outbox.depth().value_or(-1), 0);

        auto transaction = store::Transaction::begin(*db);
        QVERIFY(transaction.has_value());
        QVERIFY(outbox.append(record("events.raw", "acme", "kept")).has_value());
        QVERIFY(transaction->commit().has_value());
        QCOMPARE(outbox.depth().value_or(-1), 1);
        QCOMPARE(outbox.fetch(0, 10)->front().value, std::string("kept"));
    }

    void aLeaseHasOneOwnerUntilItExpires()
    {
        auto db = openOrFail(m_path);
        QVERIFY(db);
        store::Outbox outbox(*db);
        QCOMPARE(outbox.acquireLease("relay", "engine-a", 60s).value_or(false), true);
        QCOMPARE(outbox.acquireLease("relay", "engine-b", 60s).value_or(true), false);
        QCOMPARE(outbox.acquireLease("relay", "engine-a", 60s).value_or(false), true); // renews
        QCOMPARE(outbox.acquireLease("other", "engine-b", 60s).value_or(false), true);

        QVERIFY(outbox.releaseLease("relay", "engine-b").has_value()); // not b's: no effect
        QCOMPARE(outbox.acquireLease("relay", "engine-b", 60s).value_or(true), false);
        QVERIFY(outbox.releaseLease("relay", "engine-a").has_value());
        QCOMPARE(outbox.acquireLease("relay", "engine-b", 60s).value_or(false), true);

        // A lease its owner stops renewing passes to the next engine once it expires.
        QCOMPARE(outbox.acquireLease("short", "engine-a", 50ms).value_or(false), true);
        QCOMPARE(outbox.acquireLease("short", "engine-b", 60s).value_or(true), false);
        QTRY_VERIFY_WITH_TIMEOUT(outbox.acquireLease("short", "engine-b", 60s).value_or(false),
                                 5000);
        QCOMPARE(outbox.acquireLease("short", "engine-a", 60s).value_or(true), false);
    }

    void twoConnectionsSeeEachOthersCommits()
    {
        auto writer = openOrFail(m_path);
        auto reader = openOrFail(m_path);
        QVERIFY(writer && reader);

        QVERIFY(store::TenantStore(*writer).addTenant("acme").has_value());
        auto seen = store::TenantStore(*reader).list();
        QVERIFY(seen.has_value());
        QCOMPARE(seen->size(), size_t(1));

        store::Outbox writerOutbox(*writer);
        store::Outbox readerOutbox(*reader);
        auto transaction = store::Transaction::begin(*writer);
        QVERIFY(transaction.has_value());
        QVERIFY(writerOutbox.append(record("events.raw", "acme", "v")).has_value());
        // WAL: the reader is not blocked by the open write transaction, and does not see it.
        QCOMPARE(readerOutbox.depth().value_or(-1), 0);
        QVERIFY(transaction->commit().has_value());
        QCOMPARE(readerOutbox.depth().value_or(-1), 1);
        QCOMPARE(readerOutbox.fetch(0, 10)->front().value, std::string("v"));

        // The relay side removes what the writer appended.
        QVERIFY(readerOutbox.removeThrough(readerOutbox.lastId().value_or(0)).has_value());
        QCOMPARE(writerOutbox.depth().value_or(-1), 0);
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
