#include "ops/audit_trail.h"

#include "store/database.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <system_error>

namespace logdeck::ops {

namespace {

/// With filters the database cannot apply, this many of the newest entries are searched.
constexpr int kSearchDepth = 20000;

std::string lowered(std::string text)
{
    std::ranges::transform(text, text.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool containsFolded(const std::string &haystack, const std::string &needleLowered)
{
    return needleLowered.empty() || lowered(haystack).find(needleLowered) != std::string::npos;
}

nlohmann::json parsed(const std::string &text)
{
    return nlohmann::json::parse(text, nullptr, false);
}

void flatten(const nlohmann::json &value, const std::string &path,
             std::map<std::string, std::string> &leaves)
{
    if (value.is_object() && !value.empty()) {
        for (const auto &[key, item] : value.items()) {
            flatten(item, path.empty() ? key : path + "." + key, leaves);
        }
    } else if (value.is_array() && !value.empty()) {
        for (std::size_t i = 0; i < value.size(); ++i) {
            flatten(value[i], path + "[" + std::to_string(i) + "]", leaves);
        }
    } else {
        leaves[path] = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
}

std::map<std::string, std::string> leavesOf(const std::string &text)
{
    std::map<std::string, std::string> leaves;
    const auto value = parsed(text);
    if (value.is_discarded()) {
        leaves[""] = text;
    } else if (!(value.is_object() && value.empty())) {
        flatten(value, "", leaves);
    }
    return leaves;
}

} // namespace

bool AuditFilter::matches(const store::AuditEntry &entry) const
{
    if (!operation.empty() && entry.operation != operation) {
        return false;
    }
    if ((sinceMs && entry.atMs < *sinceMs) || (untilMs && entry.atMs > *untilMs)) {
        return false;
    }
    if (!containsFolded(entry.target, lowered(target))) {
        return false;
    }
    const std::string needle = lowered(text);
    return needle.empty()
        || std::ranges::any_of(
               std::initializer_list<const std::string *> {
                   &entry.operation, &entry.target, &entry.user, &entry.host, &entry.parameters,
                   &entry.before, &entry.after, &entry.result},
               [&](const std::string *field) { return containsFolded(*field, needle); });
}

Result<std::vector<store::AuditEntry>> readAuditLog(const std::string &dataDir,
                                                    const AuditFilter &filter)
{
    const std::string path = store::Database::pathIn(dataDir);
    if (std::error_code ec; !std::filesystem::exists(path, ec)) {
        return std::vector<store::AuditEntry> {};
    }
    auto db = store::Database::open(path);
    if (!db) {
        return fail(db.error());
    }
    const bool narrowed =
        !filter.target.empty() || !filter.text.empty() || filter.sinceMs || filter.untilMs;
    auto listed = store::AuditLog(**db).list(narrowed ? std::max(filter.limit, kSearchDepth)
                                                      : filter.limit,
                                             filter.operation);
    if (!listed || !narrowed) {
        return listed;
    }
    std::vector<store::AuditEntry> matching;
    for (auto &entry : *listed) {
        if (filter.matches(entry)) {
            matching.push_back(std::move(entry));
        }
    }
    if (matching.size() > static_cast<std::size_t>(std::max(filter.limit, 0))) {
        matching.erase(matching.begin(),
                       matching.end() - static_cast<std::ptrdiff_t>(std::max(filter.limit, 0)));
    }
    return matching;
}

std::string auditActor(const store::AuditEntry &entry)
{
    return entry.user + "@" + entry.host;
}

std::string indentedJson(const std::string &text)
{
    const auto value = parsed(text);
    return value.is_discarded()
        ? text
        : value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string auditParametersText(const std::string &parameters)
{
    std::string text;
    for (const auto &[path, value] : leavesOf(parameters)) {
        // Strings without their quotes: "group=analytics", not "group=\"analytics\"".
        const bool quoted = value.size() >= 2 && value.front() == '"' && value.back() == '"'
            && value.find_first_of(" \\", 1) == std::string::npos;
        const std::string shown = quoted ? value.substr(1, value.size() - 2) : value;
        text += (text.empty() ? "" : " ") + (path.empty() ? shown : path + "=" + shown);
    }
    return text.empty() ? "-" : text;
}

std::vector<AuditChange> auditChanges(const store::AuditEntry &entry)
{
    const auto before = leavesOf(entry.before);
    const auto after = leavesOf(entry.after);
    std::map<std::string, AuditChange> fields;
    for (const auto &[path, value] : before) {
        fields[path] = {path, value, {}};
    }
    for (const auto &[path, value] : after) {
        auto &field = fields[path];
        field.field = path;
        field.after = value;
    }
    std::vector<AuditChange> changes;
    changes.reserve(fields.size());
    for (auto &[path, change] : fields) {
        changes.push_back(std::move(change));
    }
    return changes;
}

} // namespace logdeck::ops
