#include "engine_info.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/file.h>
#include <unistd.h>

namespace logdeck {

namespace {
std::string fileIn(const std::string &dataDir)
{
    return dataDir + "/engine.json";
}
} // namespace

Result<void> writeEngineInfo(const std::string &dataDir, const EngineInfo &info)
{
    const nlohmann::json doc = {{"instance", info.instance},   {"pid", info.pid},
                                {"mode", info.mode},           {"bootstrap", info.bootstrap},
                                {"collector", info.collector}, {"startedAt", info.startedAt}};
    const std::string path = fileIn(dataDir);
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << doc.dump(2) << '\n';
        if (!out) {
            return fail(Error::io("cannot write " + temporary));
        }
    }
    std::error_code ec;
    std::filesystem::permissions(temporary, std::filesystem::perms::owner_read
                                     | std::filesystem::perms::owner_write, ec);
    if (!ec) {
        std::filesystem::rename(temporary, path, ec);
    }
    if (ec) {
        return fail(Error::io("cannot write " + path + ": " + ec.message()));
    }
    return {};
}

Result<EngineInfo> readEngineInfo(const std::string &dataDir)
{
    const std::string path = fileIn(dataDir);
    std::ifstream in(path);
    if (!in) {
        return fail(
            Error {Error::Code::NotFound,
                   "no running engine found in " + dataDir
                       + " (no engine.json): start one with 'logdeck-cli run', or give --broker",
                   false});
    }
    std::stringstream text;
    text << in.rdbuf();
    const auto doc = nlohmann::json::parse(text.str(), nullptr, false);
    if (!doc.is_object() || !doc.contains("bootstrap") || !doc["bootstrap"].is_string()) {
        return fail(Error::invalid(path + " is not an engine description"));
    }
    EngineInfo info;
    info.instance = doc.value("instance", "");
    info.pid = doc.value("pid", std::int64_t(0));
    info.mode = doc.value("mode", "");
    info.bootstrap = doc.value("bootstrap", "");
    info.collector = doc.value("collector", "");
    info.startedAt = doc.value("startedAt", "");
    return info;
}

void removeEngineInfo(const std::string &dataDir)
{
    std::error_code ec;
    std::filesystem::remove(fileIn(dataDir), ec);
}

Result<std::unique_ptr<DataDirLock>> DataDirLock::acquire(const std::string &dataDir)
{
    const std::string path = dataDir + "/engine.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return fail(Error::io("cannot open " + path + ": " + std::strerror(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        char holder[32] = {};
        const auto n = ::pread(fd, holder, sizeof holder - 1, 0);
        ::close(fd);
        if (error != EWOULDBLOCK) {
            return fail(Error::io("cannot lock " + path + ": " + std::strerror(error)));
        }
        std::string pid(holder, n > 0 ? static_cast<std::size_t>(n) : 0);
        pid.erase(pid.find_last_not_of(" \n") + 1);
        return fail(Error::invalid("the data directory " + dataDir
                                   + " is in use by another engine (pid "
                                   + (pid.empty() ? std::string("unknown") : pid)
                                   + "); stop that engine first, or give this one another --data"));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        const int error = errno;
        ::close(fd);
        return fail(Error::io("cannot write " + path + ": " + std::strerror(error)));
    }
    return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock()
{
    ::close(m_fd); // releases the flock
}

namespace {

bool processAlive(std::int64_t pid)
{
    // Signal 0 only asks whether the process exists; EPERM means it does, as another user.
    return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM);
}

std::string registryFile(const std::string &instance)
{
    std::string name = instance;
    std::ranges::replace_if(
        name, [](char c) { return c == '/' || c == '\0'; }, '_');
    return engineRegistryDir() + "/" + name + ".json";
}

} // namespace

std::string engineRegistryDir()
{
    const char *runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime != nullptr && *runtime == '/') {
        return std::string(runtime) + "/logdeck/engines";
    }
    std::error_code ec;
    const std::string temp = std::filesystem::temp_directory_path(ec).string();
    return (temp.empty() ? std::string("/tmp") : temp) + "/logdeck-" + std::to_string(::getuid())
        + "/engines";
}

Result<void> registerEngine(const std::string &dataDir, const EngineInfo &info)
{
    const std::filesystem::path dir = engineRegistryDir();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    // Private: the paths of a user's data directories are theirs.
    std::filesystem::permissions(dir.parent_path(), std::filesystem::perms::owner_all, ec);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    std::error_code absoluteError;
    const std::string absolute = std::filesystem::absolute(dataDir, absoluteError).string();
    const std::string path = registryFile(info.instance);
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << nlohmann::json {{"dataDir", absoluteError ? dataDir : absolute}, {"pid", info.pid}}.dump() << '\n';
        if (!out) {
            return fail(Error::io("cannot write " + temporary));
        }
    }
    std::filesystem::rename(temporary, path, ec);
    if (ec) {
        return fail(Error::io("cannot write " + path + ": " + ec.message()));
    }
    return {};
}

void unregisterEngine(const std::string &instance)
{
    std::error_code ec;
    std::filesystem::remove(registryFile(instance), ec);
}

std::vector<RunningEngine> runningEngines()
{
    std::vector<RunningEngine> engines;
    std::error_code ec;
    std::filesystem::directory_iterator entries(engineRegistryDir(), ec);
    for (int seen = 0; !ec && entries != std::filesystem::directory_iterator() && seen < 10000;
         entries.increment(ec), ++seen) {
        const std::filesystem::path path = entries->path();
        if (path.extension() != ".json") {
            continue;
        }
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        const auto doc = nlohmann::json::parse(text.str(), nullptr, false);
        const std::string dataDir =
            doc.is_object() && doc.contains("dataDir") && doc["dataDir"].is_string()
            ? doc["dataDir"].get<std::string>()
            : std::string();
        const std::int64_t pid = doc.is_object() ? doc.value("pid", std::int64_t(0)) : 0;
        auto info = dataDir.empty() ? Result<EngineInfo>(fail(Error::invalid("no dataDir")))
                                    : readEngineInfo(dataDir);
        if (!processAlive(pid) || !info || info->pid != pid) {
            std::error_code removeError;
            std::filesystem::remove(path, removeError);
            continue;
        }
        engines.push_back({dataDir, std::move(*info)});
    }
    std::ranges::sort(engines, [](const RunningEngine &a, const RunningEngine &b) {
        return a.info.startedAt > b.info.startedAt;
    });
    return engines;
}

bool engineRunsOn(const std::string &dataDir)
{
    const auto info = readEngineInfo(dataDir);
    return info && processAlive(info->pid);
}

} // namespace logdeck
