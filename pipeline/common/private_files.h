#pragma once
// The data directory holds API key hashes and tenants' events: only its owner may read it.

#include "common/result.h"

#include <string>

namespace logdeck {

/// Creates `dir` and its missing parents; `dir` itself is made 0700. An existing directory
/// keeps its mode: changing it would surprise whoever set it.
Result<void> createPrivateDirectory(const std::string &dir);

/// Creates an empty `path` with mode 0600 unless it exists, so that what is written into it
/// later (SQLite's -wal and -shm files take the database's mode) stays private.
Result<void> createPrivateFile(const std::string &path);

/// True when users other than the owner may read or enter `dir`.
bool isOpenToOthers(const std::string &dir);

} // namespace logdeck
