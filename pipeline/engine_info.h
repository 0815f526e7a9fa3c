#pragma once

#include "common/result.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace logdeck {

/// What a running engine tells the other commands about itself, in `DATA/engine.json`:
/// where its cluster and its collector are. Embedded mode included, so `logdeck-cli dlq`
/// finds the mock cluster of a `logdeck-cli run --embedded` in another terminal.
struct EngineInfo
{
    std::string instance;
    std::int64_t pid = 0;
    std::string mode; ///< "embedded" or "broker"
    std::string bootstrap;
    std::string collector; ///< http://host:port, or empty
    std::string startedAt;
};

/// Writes `info` to `dataDir`/engine.json (atomically: a temporary file renamed over it).
Result<void> writeEngineInfo(const std::string &dataDir, const EngineInfo &info);

/// Reads `dataDir`/engine.json. NotFound, with advice, when no engine has written one.
Result<EngineInfo> readEngineInfo(const std::string &dataDir);

/// Removes `dataDir`/engine.json.
void removeEngineInfo(const std::string &dataDir);

/// True when the engine that wrote `dataDir`/engine.json is alive on this machine: it runs
/// the data directory's redrive tasks, so no other process should.
bool engineRunsOn(const std::string &dataDir);

/// An engine running on this machine, as the registry of running engines lists it.
struct RunningEngine
{
    std::string dataDir;
    EngineInfo info; ///< its data directory's engine.json
};

/// The registry of the engines this user runs on this machine, one file per engine naming
/// its data directory (embedded engines' temporary ones included), so that commands without
/// --data find them: $XDG_RUNTIME_DIR/logdeck/engines, else $TMPDIR/logdeck-UID/engines.
std::string engineRegistryDir();

/// Lists the engine `info` (its instance, pid and start) on `dataDir` in the registry.
Result<void> registerEngine(const std::string &dataDir, const EngineInfo &info);

/// Takes the engine `instance` off the registry.
void unregisterEngine(const std::string &instance);

/// The registered engines that are alive (their process exists and their data directory's
/// engine.json names it), newest start first. Entries of engines that died are removed.
std::vector<RunningEngine> runningEngines();

/// An exclusive lock on a data directory, held while an engine runs there: an flock on
/// `dataDir`/engine.lock, which holds the pid of its holder. The kernel lets it go when the
/// process ends, SIGKILL included, so a stale lock never blocks a restart.
class DataDirLock
{
public:
    /// Fails, naming the holder's pid, when another process holds the lock.
    static Result<std::unique_ptr<DataDirLock>> acquire(const std::string &dataDir);
    ~DataDirLock();
    DataDirLock(const DataDirLock &) = delete;
    DataDirLock &operator=(const DataDirLock &) = delete;

private:
    explicit DataDirLock(int fd)
        : m_fd(fd)
    {
    }
    int m_fd = -1;
};

} // namespace logdeck
