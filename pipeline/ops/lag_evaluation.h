#pragma once
// The lag monitor's pure logic, free of Kafka and clocks so that it can be tested on
// crafted data: Burrow's health rules over a window of commits, and kafka-lag-exporter's
// interpolation of a partition's log-end history.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>

namespace logdeck::ops {

/// Burrow's partition health, ordered by how urgently it needs a person: a group takes
/// the worst status of its partitions.
enum class LagStatus {
    Ok, ///< caught up at some point in the window, or lag going down
    Unknown, ///< lag waits and what consumes it cannot be read yet (members unknown)
    Warn, ///< commits advance but lag grew across the whole window
    Rewind, ///< the committed offset went backwards (usually an offset reset)
    Stall, ///< the consumer is alive and committing, but its offset does not move
    Stop, ///< no commit for longer than the window spans, with lag waiting
};

/// "OK", "WARN", "REWIND", "STALL" or "STOP".
std::string_view lagStatusName(LagStatus status);

/// The status named by lagStatusName(), or nullopt.
std::optional<LagStatus> lagStatusFromName(std::string_view name);

/// The more urgent of two statuses.
LagStatus worseOf(LagStatus a, LagStatus b);

/// One entry of a partition's commit window: the committed offset, the lag when it was
/// seen, and when.
struct CommitSample
{
    std::int64_t offset = 0;
    std::int64_t lag = 0;
    std::int64_t atMs = 0;
};

/// Burrow's evaluation of one partition (github.com/linkedin/Burrow/wiki/Consumer-Lag-
/// Evaluation-Rules), in Burrow's order:
/// 1. no lag now: OK;
/// 2. STOP when the time since the last commit exceeds the window's span (and at least
///    `minStopAfterMs`, so a window of one commit is not judged on nothing);
/// 3. if the lag was zero anywhere in the window: OK;
/// 4. REWIND when an offset is lower than the one before it;
/// 5. STALL when a full window of commits all carry the same offset;
/// 6. WARN when, over a full window, the lag never decreased and ended higher than it
///    started (Burrow's "not decreasing", minus a flat line: a consumer exactly keeping
///    pace is not falling behind);
/// 7. otherwise OK.
/// `window` is oldest first; STALL and WARN need `windowSize` entries.
LagStatus evaluatePartition(std::span<const CommitSample> window, std::size_t windowSize,
                            std::int64_t currentLag, std::int64_t nowMs,
                            std::int64_t minStopAfterMs);

/// A partition's log-end offset over time: a bounded table of (offset, time) points, as
/// kafka-lag-exporter keeps, to estimate when the log end passed a given offset, i.e. when
/// the record at that offset was written.
class LogEndTimeline
{
public:
    explicit LogEndTimeline(std::size_t capacity = 900);

    /// Records the log end seen at `atMs`. A flat run keeps only its first and last point;
    /// a log end lower than the last (topic recreated, truncated) starts the table again;
    /// when full, every second point of the older half goes, so the table covers a longer
    /// time at a coarser grain instead of forgetting.
    void add(std::int64_t logEndOffset, std::int64_t atMs);

    /// The last time the log end was at `offset` (for a committed offset: when the
    /// consumer's position was the head of the log). Interpolated between the last point
    /// at or below `offset` and the next one; the last point's time when `offset` is its
    /// offset; extrapolated back with the table's average rate when `offset` is older than
    /// the first point. nullopt when the table cannot say: empty, `offset` beyond the last
    /// point, or no growth to extrapolate with.
    std::optional<std::int64_t> timeAtOffset(std::int64_t offset) const;

    std::size_t size() const { return m_points.size(); }

private:
    struct Point
    {
        std::int64_t offset;
        std::int64_t atMs;
    };
    std::size_t m_capacity;
    std::deque<Point> m_points;
};

} // namespace logdeck::ops
