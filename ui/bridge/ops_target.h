#pragma once

#include "bridge/console_snapshot.h"
#include "engine.h"
#include "kafka/client_settings.h"

#include <QMetaType>
#include <cstdint>
#include <memory>
#include <string>

namespace logdeck::ui {

/// Where the console's operations act, as the session knows it: the pages' services (dead
/// letters, replay, tenants, audit) take it rather than asking the session, so that each
/// runs the same `ops::` call as `logdeck-cli` with the same cluster and data directory.
struct OpsTarget
{
    /// The session's connection this target belongs to; answers for an older one are
    /// dropped.
    std::uint64_t generation = 0;
    ConsoleMode mode = ConsoleMode::Attach;
    /// Settings for a new Kafka client of the cluster (the mock cluster's in demo mode).
    kafka::ClientSettings cluster;
    /// The data directory holding the audit log, redrive tasks and reset undo files: the
    /// engine's in demo and host mode, the configured one (`--data`, LOGDECK_DATA or the
    /// platform's) when attached.
    std::string dataDir;
    /// The embedded mock cluster, which can neither look up offsets by time nor describe
    /// groups.
    bool mockCluster = false;
    /// The engine in this process (demo and host mode); null when attached.
    std::shared_ptr<Engine> engine;

    /// False before the session has connected, and after it stopped.
    bool isSet() const { return !cluster.empty(); }
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(logdeck::ui::OpsTarget)
