#pragma once

#include <QStringList>

namespace logdeck::cli {

/// Exit codes of every logdeck-cli command.
enum ExitCode { Ok = 0, RuntimeError = 1, UsageError = 2 };

/// `logdeck-cli run`: the headless engine, until SIGINT or SIGTERM.
int runCommand(const QStringList &arguments);

/// `logdeck-cli loadgen`: sends events to a collector at a set rate and reports latency.
int loadgenCommand(const QStringList &arguments);

/// `logdeck-cli tenants`: adds tenants, issues and revokes their API keys, lists them.
int tenantsCommand(const QStringList &arguments);

/// `logdeck-cli rollups`: prints the analytics group's counts per tenant, campaign, type and
/// minute.
int rollupsCommand(const QStringList &arguments);

/// `logdeck-cli dlq`: dead-lettered records, decoded.
int dlqCommand(const QStringList &arguments);

} // namespace logdeck::cli
