#include "engine_info.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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
    std::filesystem::rename(temporary, path, ec);
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

} // namespace logdeck
