#pragma once
// Reading the audit log of a data directory: what `logdeck-cli audit list` and the
// console's Audit page share.

#include "common/result.h"
#include "store/audit_log.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace logdeck::ops {

/// Which audit entries to read.
struct AuditFilter
{
    std::string operation; ///< exactly this operation; empty: every one
    std::string target; ///< the target contains this (case-insensitive); empty: any
    /// Any field (operation, target, user, host, parameters, before, after, result) contains
    /// this (case-insensitive); empty: any.
    std::string text;
    std::optional<std::int64_t> sinceMs; ///< at or after
    std::optional<std::int64_t> untilMs; ///< at or before
    int limit = 100; ///< the newest `limit` matching entries

    bool matches(const store::AuditEntry &entry) const;
};

/// The newest `filter.limit` entries of DATA/logdeck.db that match, oldest first. Empty when
/// the directory has no database yet: nothing was ever done there, and reading must not
/// create one. Blocks on the disk: not on a UI thread.
Result<std::vector<store::AuditEntry>> readAuditLog(const std::string &dataDir,
                                                    const AuditFilter &filter);

/// Who did it: "user@host".
std::string auditActor(const store::AuditEntry &entry);

/// An entry's parameters on one line as `field=value` pairs, nested fields by their path
/// (`scope.topics[0]=orders`), strings unquoted unless they hold a blank; "-" for none.
std::string auditParametersText(const std::string &parameters);

/// A JSON text indented by two spaces per level, keys in order; any other text as it is.
std::string indentedJson(const std::string &text);

/// One field of an entry's before and after, for a side-by-side view.
struct AuditChange
{
    std::string field; ///< its path: "state.engine-1", "offsets[2].offset"; "" for the whole
    std::string before; ///< the value as compact JSON; empty when the field was absent
    std::string after;
    bool changed() const { return before != after; }
};

/// Every leaf field of the entry's before and after, in path order. A text that is not
/// JSON is one field "" holding that text.
std::vector<AuditChange> auditChanges(const store::AuditEntry &entry);

} // namespace logdeck::ops
