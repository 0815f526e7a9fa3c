#pragma once

#include "common/result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace logdeck::store {

class Database;

namespace detail {
class Statement;
}

/// One point of a group's lag history.
struct LagHistoryPoint
{
    std::int64_t atMs = 0;
    std::int64_t lagMessages = 0; ///< summed over the group's partitions
    std::optional<double> lagSeconds; ///< the group's largest time lag; unknown: nullopt
    std::optional<double> rate; ///< messages consumed per second; unknown: nullopt
    std::string status; ///< Burrow's status name: OK, WARN, REWIND, STALL, STOP
};

/// The `lag_history` table of the engine's database: each group's lag at 1 s resolution for
/// the last hour and at 1 min resolution (largest lag of the minute, last status and rate)
/// for 7 days, so that lag charts survive a restart.
class LagHistory
{
public:
    static constexpr std::int64_t kFineResolutionS = 1;
    static constexpr std::int64_t kCoarseResolutionS = 60;
    static constexpr std::int64_t kFineRetentionS = 3600;
    static constexpr std::int64_t kCoarseRetentionS = 7 * 24 * 3600;

    /// Works on `db`, which must outlive it and belongs to the same thread.
    explicit LagHistory(Database &db);
    ~LagHistory();
    LagHistory(const LagHistory &) = delete;
    LagHistory &operator=(const LagHistory &) = delete;

    /// Records one sample of each group in one transaction: its 1 s row, and merges it into
    /// its minute's row (the larger lag wins; status and rate are the latest).
    Result<void> record(const std::vector<std::pair<std::string, LagHistoryPoint>> &samples);

    /// Deletes rows past their resolution's retention, as of `nowMs`.
    Result<void> prune(std::int64_t nowMs);

    /// `group`'s points from `fromMs` to `toMs` inclusive, oldest first: 1 s rows when the
    /// range lies within the last hour of `nowMs`, else 1 min rows.
    Result<std::vector<LagHistoryPoint>> read(const std::string &group, std::int64_t fromMs,
                                              std::int64_t toMs, std::int64_t nowMs);

private:
    Database &m_db;
    std::unique_ptr<detail::Statement> m_insertFine;
    std::unique_ptr<detail::Statement> m_mergeCoarse;
};

} // namespace logdeck::store
