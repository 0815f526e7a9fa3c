#include "config.h"

#include "common/log.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

extern char **environ;

namespace logdeck {

namespace {

using nlohmann::json;

Result<int> parsePositive(const std::string &name, const std::string &text)
{
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
        return fail(Error::invalid(name + " must be a positive whole number, not '" + text + "'"));
    }
    return value;
}

Result<bool> parseBool(const std::string &name, const std::string &text)
{
    if (text == "1" || text == "true" || text == "yes") {
        return true;
    }
    if (text == "0" || text == "false" || text == "no" || text.empty()) {
        return false;
    }
    return fail(Error::invalid(name + " must be true or false, not '" + text + "'"));
}

std::string typeError(const std::string &key, const char *expected)
{
    return "config key '" + key + "' must be " + expected;
}

Result<Config::GroupSettings> parseGroupSettings(const std::string &group, const json &entry)
{
    const std::string where = "groupSettings." + group;
    if (!entry.is_object()) {
        return fail(Error::invalid(typeError(where, "an object")));
    }
    Config::GroupSettings settings;
    for (const auto &[key, value] : entry.items()) {
        const std::string name = where + "." + key;
        if (key == "transientFailureRate") {
            if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1) {
                return fail(Error::invalid(typeError(name, "a number from 0 to 1")));
            }
            settings.transientFailureRate = value.get<double>();
        } else if (key == "poisonIsPermanent") {
            if (!value.is_boolean()) {
                return fail(Error::invalid(typeError(name, "true or false")));
            }
            settings.poisonIsPermanent = value.get<bool>();
        } else if (key == "addedLatencyMs" || key == "maxAttempts" || key == "batchSize") {
            const int minimum = key == "addedLatencyMs" ? 0 : 1;
            if (!value.is_number_integer() || value.get<int>() < minimum) {
                return fail(Error::invalid(typeError(
                    name, minimum == 0 ? "a whole number ≥ 0" : "a positive whole number")));
            }
            (key == "addedLatencyMs"    ? settings.addedLatencyMs
                 : key == "maxAttempts" ? settings.maxAttempts
                                        : settings.batchSize) = value.get<int>();
        } else if (key == "backoffMs") {
            if (!value.is_array() || value.empty()
                || !std::ranges::all_of(value, [](const json &v) {
                       return v.is_number_integer() && v.get<int>() >= 0;
                   })) {
                return fail(Error::invalid(typeError(name, "a non-empty array of milliseconds")));
            }
            settings.backoffMs = value.get<std::vector<int>>();
        } else {
            return fail(Error::invalid("unknown config key '" + name + "'"));
        }
    }
    return settings;
}

} // namespace

Result<Config> Config::fromJson(std::string_view text)
{
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        return fail(Error::invalid("the config is not valid JSON"));
    }
    if (!doc.is_object()) {
        return fail(Error::invalid("the config must be a JSON object"));
    }
    Config config;
    for (const auto &[key, value] : doc.items()) {
        if (key == "embedded") {
            if (!value.is_boolean()) {
                return fail(Error::invalid(typeError(key, "true or false")));
            }
            config.embedded = value.get<bool>();
        } else if (key == "kafka") {
            if (!value.is_object()) {
                return fail(Error::invalid(typeError(key, "an object of librdkafka properties")));
            }
            for (const auto &[name, property] : value.items()) {
                if (property.is_string()) {
                    config.kafka[name] = property.get<std::string>();
                } else if (property.is_number_integer() || property.is_boolean()) {
                    config.kafka[name] = property.dump();
                } else {
                    return fail(
                        Error::invalid(typeError("kafka." + name, "a string, number or boolean")));
                }
            }
        } else if (key == "data") {
            if (!value.is_string()) {
                return fail(Error::invalid(typeError(key, "a directory path")));
            }
            config.dataDir = value.get<std::string>();
        } else if (key == "partitions" || key == "mockBrokers") {
            if (!value.is_number_integer() || value.get<int>() < 1) {
                return fail(Error::invalid(typeError(key, "a positive whole number")));
            }
            (key == "partitions" ? config.partitions : config.mockBrokers) = value.get<int>();
        } else if (key == "groups") {
            if (!value.is_array()
                || !std::ranges::all_of(value, [](const json &g) { return g.is_string(); })) {
                return fail(Error::invalid(typeError(key, "an array of group names")));
            }
            config.groups = value.get<std::vector<std::string>>();
        } else if (key == "listen") {
            if (!value.is_string()) {
                return fail(Error::invalid(typeError(key, "\"host:port\" or \"off\"")));
            }
            config.listen = value.get<std::string>();
        } else if (key == "produceTimeoutMs" || key == "stallTimeoutMs" || key == "httpThreads"
                   || key == "lagIntervalMs" || key == "dedupWindowHours") {
            if (!value.is_number_integer() || value.get<int>() < 1) {
                return fail(Error::invalid(typeError(key, "a positive whole number")));
            }
            (key == "httpThreads"             ? config.httpThreads
                 : key == "lagIntervalMs"     ? config.lagIntervalMs
                 : key == "dedupWindowHours"  ? config.dedupWindowHours
                 : key == "stallTimeoutMs" ? config.stallTimeoutMs
                                           : config.produceTimeoutMs) = value.get<int>();
        } else if (key == "groupSettings") {
            if (!value.is_object()) {
                return fail(Error::invalid(typeError(key, "an object of group name → settings")));
            }
            for (const auto &[group, entry] : value.items()) {
                auto parsed = parseGroupSettings(group, entry);
                if (!parsed) {
                    return fail(parsed.error());
                }
                config.groupSettings[group] = *parsed;
            }
        } else if (key == "logLevel") {
            if (!value.is_string()) {
                return fail(Error::invalid(typeError(key, "a string")));
            }
            config.logLevel = value.get<std::string>();
        } else {
            return fail(Error::invalid("unknown config key '" + key + "'"));
        }
    }
    return config;
}

Result<Config> Config::fromFile(const std::string &path)
{
    std::ifstream file(path);
    if (!file) {
        return fail(Error::io("cannot read config file '" + path + "'"));
    }
    std::stringstream text;
    text << file.rdbuf();
    auto config = fromJson(text.str());
    if (!config) {
        return fail(Error::invalid(path + ": " + config.error().message));
    }
    return config;
}

Result<void> Config::applyEnvironment(const std::map<std::string, std::string> &environment)
{
    static constexpr std::string_view kafkaPrefix = "LOGDECK_KAFKA_";
    for (const auto &[name, value] : environment) {
        if (!name.starts_with("LOGDECK_")) {
            continue;
        }
        if (name == "LOGDECK_EMBEDDED") {
            auto flag = parseBool(name, value);
            if (!flag) {
                return fail(flag.error());
            }
            embedded = *flag;
        } else if (name == "LOGDECK_BROKER") {
            setBootstrapServers(value);
        } else if (name == "LOGDECK_DATA") {
            dataDir = value;
        } else if (name == "LOGDECK_DEMO_RATE") {
            auto rate = parsePositive(name, value == "0" ? "1" : value);
            if (!rate) {
                return fail(rate.error());
            }
            demoRate = value == "0" ? 0 : *rate;
        } else if (name == "LOGDECK_LISTEN") {
            listen = value;
        } else if (name == "LOGDECK_LOG_LEVEL") {
            logLevel = value;
        } else if (name == "LOGDECK_PARTITIONS") {
            auto count = parsePositive(name, value);
            if (!count) {
                return fail(count.error());
            }
            partitions = *count;
        } else if (name.starts_with(kafkaPrefix) && name.size() > kafkaPrefix.size()) {
            std::string property = name.substr(kafkaPrefix.size());
            std::ranges::transform(property, property.begin(), [](char c) {
                return c == '_' ? '.'
                                : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            });
            kafka[property] = value;
        }
        // Other LOGDECK_* variables belong to the scripts (LOGDECK_CACHE, ...).
    }
    return {};
}

std::map<std::string, std::string> Config::processEnvironment()
{
    std::map<std::string, std::string> result;
    for (char **entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string_view::npos) {
            result.emplace(text.substr(0, equals), text.substr(equals + 1));
        }
    }
    return result;
}

Result<void> Config::validate() const
{
    if (!embedded && bootstrapServers().empty()) {
        return fail(Error::invalid("no Kafka cluster given: set --broker HOST:PORT (or "
                                   "kafka.bootstrap.servers), or use --embedded"));
    }
    if (partitions < 1 || partitions > 1000) {
        return fail(Error::invalid("partitions must be between 1 and 1000"));
    }
    if (mockBrokers < 1 || mockBrokers > 9) {
        return fail(Error::invalid("mockBrokers must be between 1 and 9"));
    }
    for (const auto &group : groups) {
        const bool valid = !group.empty() && std::ranges::all_of(group, [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        });
        if (!valid) {
            return fail(Error::invalid("group name '" + group
                                       + "' may only use letters, digits, '-' and '_'"));
        }
    }
    if (auto level = log::parseLevel(logLevel); !level) {
        return fail(level.error());
    }
    if (listen != "off" && !listen.empty()) {
        const auto colon = listen.rfind(':');
        int port = -1;
        if (colon != std::string::npos) {
            const std::string digits = listen.substr(colon + 1);
            const auto [end, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), port);
            if (ec != std::errc() || end != digits.data() + digits.size()) {
                port = -1;
            }
        }
        if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
            return fail(
                Error::invalid("listen address '" + listen
                               + "' must be host:port (e.g. 127.0.0.1:8080, [::1]:8080) or off"));
        }
    }
    if (produceTimeoutMs < 100 || produceTimeoutMs > 60000) {
        return fail(Error::invalid("produceTimeoutMs must be between 100 and 60000"));
    }
    if (stallTimeoutMs < 50 || stallTimeoutMs > 60000) {
        return fail(Error::invalid("stallTimeoutMs must be between 50 and 60000"));
    }
    if (httpThreads < 1 || httpThreads > 8) {
        return fail(Error::invalid("httpThreads must be between 1 and 8"));
    }
    if (lagIntervalMs < 100 || lagIntervalMs > 60000) {
        return fail(Error::invalid("lagIntervalMs must be between 100 and 60000"));
    }
    if (dedupWindowHours < 1 || dedupWindowHours > 8760) {
        return fail(Error::invalid("dedupWindowHours must be between 1 and 8760"));
    }
    // A misspelt or ill-valued librdkafka property is a config error too, caught before
    // any client is made.
    if (auto properties = kafka::checkClientSettings(kafka); !properties) {
        return fail(properties.error());
    }
    return {};
}

std::optional<std::pair<std::string, std::uint16_t>> Config::listenAddress() const
{
    if (listen == "off") {
        return std::nullopt;
    }
    if (listen.empty()) {
        return std::make_pair(std::string("127.0.0.1"), std::uint16_t(embedded ? 0 : 8080));
    }
    const auto colon = listen.rfind(':');
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    return std::make_pair(host, static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1))));
}

Config::GroupSettings Config::settingsFor(const std::string &group) const
{
    const auto it = groupSettings.find(group);
    return it == groupSettings.end() ? GroupSettings {} : it->second;
}

std::string Config::effectiveDataDir() const
{
    if (!dataDir.empty()) {
        return dataDir;
    }
    if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
        return std::string(xdg) + "/logdeck";
    }
    const char *home = std::getenv("HOME");
    return std::string(home != nullptr ? home : ".") + "/.local/share/logdeck";
}

std::string Config::bootstrapServers() const
{
    const auto it = kafka.find("bootstrap.servers");
    return it == kafka.end() ? std::string() : it->second;
}

void Config::setBootstrapServers(const std::string &servers)
{
    kafka["bootstrap.servers"] = servers;
}

} // namespace logdeck
