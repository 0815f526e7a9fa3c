#include "cli/cli.h"
#include "cli/table.h"
#include "cli/data_options.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/time_format.h"
#include "config.h"
#include "store/audit_log.h"
#include "store/database.h"
#include "store/tenant_store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cstdio>

namespace logdeck::cli {

namespace {

using Tenant = store::TenantStore::Tenant;

QString synopsis()
{
    return QStringLiteral("tenants add NAME [--data DIR]\n"
                          "       logdeck-cli tenants key NAME [--data DIR]\n"
                          "       logdeck-cli tenants list [--data DIR] [--json]\n"
                          "       logdeck-cli tenants revoke NAME [--data DIR]");
}

int usageError(const QString &message)
{
    printError(message);
    std::fprintf(stderr,
                 "Usage: logdeck-cli %s\n\n'logdeck-cli tenants --help' describes the options.\n",
                 qPrintable(synopsis()));
    return UsageError;
}

void printTable(const std::vector<Tenant> &tenants)
{
    Table table({"TENANT", "KEYS", "CREATED"});
    table.alignRight(1);
    for (const auto &tenant : tenants) {
        table.addRow({tenant.id, std::to_string(tenant.activeKeys),
                      formatRfc3339(tenant.createdAtMs)});
    }
    table.print();
}

void printJson(const std::vector<Tenant> &tenants)
{
    QJsonArray array;
    for (const auto &tenant : tenants) {
        array.append(QJsonObject {
            {QStringLiteral("tenant"), QString::fromStdString(tenant.id)},
            {QStringLiteral("activeKeys"), tenant.activeKeys},
            {QStringLiteral("createdAt"),
             QString::fromStdString(formatRfc3339(tenant.createdAtMs))},
        });
    }
    std::fputs(QJsonDocument(array).toJson(QJsonDocument::Indented).constData(), stdout);
}

/// The tenant's count of active keys, or -1 when there is no such tenant (or it cannot be
/// told): the before and after of an audit entry.
/// Appends the audit entry of a key change: counts of active keys, never a key. Returns
/// false (having said why) when the entry could not be written.
bool auditKeyChange(store::Database &db, const std::string &operation, const std::string &name,
                    int keysBefore, int keysAfter, const std::string &result)
{
    auto entry =
        store::TenantStore::keyChangeAuditEntry(operation, name, keysBefore, keysAfter, result);
    if (auto appended = store::AuditLog(db).append(std::move(entry)); !appended) {
        printError("the change was made but not written to the audit log: "
                   + appended.error().message);
        return false;
    }
    return true;
}

} // namespace

int tenantsCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Manages the tenants that may send events to the collector, and their API keys.\n"
        "  add NAME     creates a tenant and prints its first API key\n"
        "  key NAME     prints another API key for the tenant\n"
        "  list         lists the tenants with their count of active keys\n"
        "  revoke NAME  revokes every API key of the tenant\n"
        "A key is printed once, alone on stdout; only its SHA-256 is kept. Every change is\n"
        "written to the audit log (logdeck-cli audit list), without the key. To see where a\n"
        "tenant's events are, use 'logdeck-cli tenant inspect'."));
    parser.addPositionalArgument(QStringLiteral("command"),
                                 QStringLiteral("add, key, list or revoke."));
    parser.addPositionalArgument(QStringLiteral("name"),
                                 QStringLiteral("The tenant: 1 to 64 characters of a-z, 0-9, _ and "
                                                "-."),
                                 QStringLiteral("[NAME]"));
    const QCommandLineOption json(QStringLiteral("json"),
                                  QStringLiteral("list: print a JSON array instead of a table."));
    addDataOption(parser);
    parser.addOption(json);
    int exitCode = Ok;
    if (!parseCommandLine(parser, arguments, synopsis(), exitCode)) {
        return exitCode;
    }

    const QStringList positional = parser.positionalArguments();
    if (positional.isEmpty()) {
        return usageError(QStringLiteral("tenants needs a command: add, key, list or revoke"));
    }
    const QString command = positional.first();
    const bool list = command == QLatin1String("list");
    if (!list && command != QLatin1String("add") && command != QLatin1String("key")
        && command != QLatin1String("revoke")) {
        return usageError(QStringLiteral("unknown tenants command '%1'").arg(command));
    }
    const qsizetype expected = list ? 1 : 2;
    if (positional.size() < expected) {
        return usageError(QStringLiteral("tenants %1 needs a tenant NAME").arg(command));
    }
    if (positional.size() > expected) {
        return usageError(QStringLiteral("unexpected argument '%1'").arg(positional.at(expected)));
    }
    if (parser.isSet(json) && !list) {
        return usageError(QStringLiteral("--json applies to 'tenants list' only"));
    }
    const std::string name = list ? std::string() : positional.at(1).toStdString();
    if (!list) {
        if (auto valid = store::TenantStore::validateName(name); !valid) {
            printError(valid.error().message);
            return UsageError;
        }
    }

    // The store's info lines (a schema migration on first use) would only bury this
    // command's one line of output; warnings and errors still show.
    log::setLevel(log::Level::Warn);
    // Only `add` may make a new data directory: the others on a typo would show nothing.
    const auto dataDir =
        command == QLatin1String("add") ? dataDirFrom(parser) : existingDataDirFrom(parser);
    if (!dataDir) {
        printError(dataDir.error().message);
        return RuntimeError;
    }
    auto db = store::Database::open(store::Database::pathIn(*dataDir));
    if (!db) {
        printError(db.error().message);
        return RuntimeError;
    }
    store::TenantStore tenants(**db);

    if (list) {
        auto all = tenants.list();
        if (!all) {
            printError(all.error().message);
            return RuntimeError;
        }
        if (parser.isSet(json)) {
            printJson(*all);
        } else {
            printTable(*all);
        }
        return Ok;
    }
    const std::string operation = "tenants." + command.toStdString();
    const int keysBefore = tenants.activeKeysOf(name);
    if (command == QLatin1String("revoke")) {
        auto revoked = tenants.revoke(name);
        const bool audited =
            auditKeyChange(**db, operation, name, keysBefore, tenants.activeKeysOf(name),
                           revoked ? "ok" : revoked.error().message);
        if (!revoked) {
            printError(revoked.error().message);
            return RuntimeError;
        }
        std::fprintf(stderr, "logdeck-cli: revoked %d API key%s of tenant '%s'\n", *revoked,
                     *revoked == 1 ? "" : "s", name.c_str());
        return audited ? Ok : RuntimeError;
    }
    const bool add = command == QLatin1String("add");
    auto key = add ? tenants.addTenant(name) : tenants.addKey(name);
    const bool audited =
        auditKeyChange(**db, operation, name, keysBefore, tenants.activeKeysOf(name),
                       key ? "ok" : key.error().message);
    if (!key) {
        printError(key.error().message);
        return RuntimeError;
    }
    // Printed even when the audit entry failed: the key exists now and is shown only once.
    std::printf("%s\n", key->c_str());
    std::fprintf(stderr,
                 "logdeck-cli: %s tenant '%s'; this API key is shown only once: store it now\n",
                 add ? "created" : "added a key for", name.c_str());
    return audited ? Ok : RuntimeError;
}

} // namespace logdeck::cli
