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

/// `logdeck-cli dlq`: dead letters decoded and filtered (list, show) and redriven as tasks
/// (redrive, tasks, pause, resume, cancel).
int dlqCommand(const QStringList &arguments);

/// `logdeck-cli tenant inspect`: a tenant's events and their state in every group.
int tenantCommand(const QStringList &arguments);

/// `logdeck-cli audit list`: the audit log of mutating operations.
int auditCommand(const QStringList &arguments);

/// `logdeck-cli groups`: consumer groups, listed or described per partition with lag.
int groupsCommand(const QStringList &arguments);

/// `logdeck-cli lag`: consumer lag, time lag and health, once or refreshed.
int lagCommand(const QStringList &arguments);

/// `logdeck-cli groups reset-offsets`: moves a group's offsets, orchestrating Logdeck's
/// own groups (pause, apply, resume), with --rebuild for replays.
int groupsResetOffsetsCommand(const QStringList &arguments);

/// `logdeck-cli groups pause|resume GROUP`: through logdeck.control.
int groupsPauseCommand(const QStringList &arguments);
int groupsResumeCommand(const QStringList &arguments);

/// `logdeck-cli fleet`: the engines on the cluster, from their heartbeats.
int fleetCommand(const QStringList &arguments);

} // namespace logdeck::cli
