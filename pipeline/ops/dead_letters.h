#pragma once

#include "common/result.h"
#include "kafka/client_settings.h"
#include "kafka/consumer.h"

#include <QJsonObject>
#include <QString>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logdeck::ops {

/// Where a dead letter first failed, as its headers say. A coordinate whose header is
/// missing or unreadable is unknown (nothing), never a made-up number, and has a note.
struct DeadLetterOrigin
{
    std::string convention; ///< "logdeck", "spring", "connect" or "unknown"
    std::string topic; ///< empty when unknown
    std::optional<std::int32_t> partition;
    std::optional<std::int64_t> offset;
    std::optional<std::int64_t> timestampMs;
    std::vector<std::string> notes; ///< one per missing or unreadable header, naming it
};

/// Decodes the origin from dead-letter headers of any convention: Logdeck's and Kafka
/// Connect's numbers in decimal text, Spring Kafka's as 4-byte (partition) or 8-byte
/// (offset, timestamp) big-endian binary or in decimal text. Takes any bytes, never throws.
DeadLetterOrigin decodeDeadLetterOrigin(const kafka::Headers &headers);

/// One dead-lettered record, decoded from whichever convention wrote it: Logdeck's own
/// headers, Spring Kafka's `kafka_dlt-*`, or Kafka Connect's `__connect.errors.*`.
struct DeadLetter
{
    std::string topic; ///< the dead-letter topic
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::int64_t timestampMs = 0;
    std::string eventId;
    std::string tenant;
    std::string group; ///< the failing consumer group
    std::string errorClass;
    std::string errorMessage;
    int attempts = 0;
    std::string originalTopic;
    std::optional<std::int32_t> originalPartition; ///< nothing when unknown
    std::optional<std::int64_t> originalOffset; ///< nothing when unknown
    std::optional<std::int64_t> originalTimestampMs; ///< nothing when unknown
    std::vector<std::string> notes; ///< what in the headers was missing or unreadable
    std::string convention; ///< "logdeck", "spring", "connect" or "unknown"
    std::string value;
    bool valueIsNull = false; ///< a null value (a tombstone); `value` is then empty
    std::string key;
    kafka::Headers headers; ///< as the record carries them
    int redriveCount = 0; ///< how many redrives the event went through before this failure
};

/// Decodes the headers of a dead-letter record.
DeadLetter decodeDeadLetter(const kafka::ConsumedRecord &record);

/// "topic:partition:offset", the coordinates that name one dead letter.
std::string coordinatesOf(const DeadLetter &letter);

/// "topic:partition:offset" where the dead letter first failed, "?" for what is unknown.
std::string originOf(const DeadLetter &letter);

/// A record value as people are shown it: a null value stays null; UTF-8 text without
/// control characters (tab and line breaks allowed) as it is; any other bytes in base64,
/// so that nothing is dropped or replaced.
struct ShownValue
{
    enum class Encoding { Null, Text, Base64 };
    Encoding encoding = Encoding::Null;
    std::string text; ///< empty for Null

    /// "null", "text" or "base64".
    const char *encodingName() const;
};
ShownValue showValue(const DeadLetter &letter);

/// A dead letter's decoded fields as JSON (`dlq list --json`).
QJsonObject deadLetterJson(const DeadLetter &letter);
/// Those fields with the headers, key and value (`dlq show --json`, the console's export).
QJsonObject deadLetterRecordJson(const DeadLetter &letter);
/// A header value as text, or as "0x…" hex when it is binary (Spring's numbers).
QString headerText(const std::string &value);

/// The criteria every `dlq` command selects dead letters by. Empty criteria match all.
struct DeadLetterFilter
{
    std::string topic = "events.dlq"; ///< the dead-letter topic to read
    std::string group; ///< failing group (Spring: consumer group, Connect: connector)
    std::string tenant;
    /// Exact, or the last component of a qualified name: "PoisonEvent" matches
    /// "dev.logdeck.PoisonEvent".
    std::string errorClass;
    std::string originalTopic;
    std::optional<std::int64_t> sinceMs; ///< dead-lettered at or after (record timestamp)
    std::optional<std::int64_t> untilMs; ///< dead-lettered before
    std::string text; ///< substring of the error message or the value, ignoring ASCII case

    bool matches(const DeadLetter &letter) const;
    /// True when no criterion narrows the selection (the topic alone).
    bool selectsEverything() const;
};

/// Sets the filter's since and until from RFC 3339 times or durations ago (30s, 15m, 2h, 1d,
/// 1w); nothing leaves one unset. InvalidArgument, naming the criterion as `prefix` +
/// "since" or "until", for a time of neither form, a since in the future, or a since not
/// before the until.
Result<void> setDeadLetterTimes(DeadLetterFilter &filter, const std::optional<std::string> &since,
                                const std::optional<std::string> &until, std::int64_t nowMs,
                                std::string_view prefix);

/// Reads every record of `filter.topic` present now (from the first offset to the log end),
/// without joining a group, and keeps the decoded ones `filter` matches, oldest first: a
/// DeadLetterReader's pages, put together. `timeout`: how long the broker may deliver
/// nothing while records are still due.
/// NotFound when the topic does not exist.
Result<std::vector<DeadLetter>> readDeadLetters(const kafka::ClientSettings &settings,
                                                const DeadLetterFilter &filter,
                                                std::chrono::milliseconds timeout);

/// How much of a dead-letter topic a list wants.
struct DeadLetterWindow
{
    enum class Side { All, First, Last };
    Side side = Side::All;
    std::size_t count = 0; ///< for First and Last
};

/// readDeadLetters for a window: the oldest `count` matching letters (reading stops there),
/// or the newest `count` among the last `count` records of each partition (only those are
/// read), oldest first either way.
Result<std::vector<DeadLetter>> readDeadLetters(const kafka::ClientSettings &settings,
                                                const DeadLetterFilter &filter,
                                                std::chrono::milliseconds timeout,
                                                DeadLetterWindow window);

/// One row of a dead-letter table: what a list shows of a dead letter, without its value,
/// key or headers (those are read again, by coordinates, when someone looks at one).
struct DeadLetterSummary
{
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::int64_t timestampMs = 0;
    std::string eventId;
    std::string tenant;
    std::string group; ///< the failing consumer group
    std::string errorClass;
    std::string errorMessage; ///< cut to at most kSummaryMessageBytes, at a character boundary
    int attempts = 0;
    std::string originalTopic;
    std::optional<std::int32_t> originalPartition;
    std::optional<std::int64_t> originalOffset;
    std::string convention;
    int noteCount = 0; ///< how many headers were missing or unreadable

    static constexpr std::size_t kSummaryMessageBytes = 240;
};

/// The summary of `letter`: its message cut at `maxMessageBytes` without splitting a UTF-8
/// character ("…" marks the cut).
DeadLetterSummary summarize(const DeadLetter &letter,
                            std::size_t maxMessageBytes = DeadLetterSummary::kSummaryMessageBytes);

/// Where a paged read of a dead-letter topic stands: for each partition (by number), the
/// next offset to read. A reader opened at a cursor goes on where the one that gave it
/// stopped.
struct DeadLetterCursor
{
    std::vector<std::int64_t> next;
    /// When set: start no earlier than this many records before each partition's end, so
    /// that a tail reads only the records it may show.
    std::optional<std::int64_t> lastPerPartition;
};

/// Reads a dead-letter topic page by page with one consumer assigned to every partition,
/// outside any group (nothing is committed), keeping what `filter` matches while reading.
/// Pages come oldest first across partitions: a merge by record timestamp, ties by
/// partition and offset (the order of readDeadLetters, exactly so when each partition's
/// timestamps do not go backwards). The end is the topic's log end when the reader opened.
/// Owned and used by one thread.
class DeadLetterReader
{
public:
    struct Options
    {
        /// Keep each letter's value, key and headers (readDeadLetters, export); a browser
        /// wants summaries only, which keeps the read-ahead small.
        bool keepPayload = false;
        /// Where to start; the first offset of each partition when nothing (or for a
        /// partition the cursor does not name).
        std::optional<DeadLetterCursor> from;
    };
    /// (records read so far, records between the start and the end), after each batch;
    /// false stops the read with Cancelled, after which the reader is done with.
    using Progress = std::function<bool(std::int64_t scanned, std::int64_t total)>;

    /// NotFound when the topic does not exist.
    static Result<std::unique_ptr<DeadLetterReader>> open(const kafka::ClientSettings &settings,
                                                          const DeadLetterFilter &filter,
                                                          std::chrono::milliseconds timeout,
                                                          Options options);
    ~DeadLetterReader();
    DeadLetterReader(const DeadLetterReader &) = delete;
    DeadLetterReader &operator=(const DeadLetterReader &) = delete;

    /// The next up to `pageSize` matching letters; fewer only at the end. Fails with Timeout
    /// when the broker delivers nothing for `stallTimeout` while records are still due.
    Result<std::vector<DeadLetter>> nextLetters(std::size_t pageSize,
                                                std::chrono::milliseconds stallTimeout,
                                                const Progress &progress = {});
    /// nextLetters() as summaries.
    Result<std::vector<DeadLetterSummary>> nextPage(std::size_t pageSize,
                                                    std::chrono::milliseconds stallTimeout,
                                                    const Progress &progress = {});

    /// True when every matching letter up to the end has been handed out.
    bool atEnd() const;
    /// Where the next page starts.
    DeadLetterCursor cursor() const;
    const DeadLetterFilter &filter() const;
    int partitionCount() const;
    /// Records read so far, matching or not, and how many lie between the start and the end.
    std::int64_t scanned() const;
    std::int64_t total() const;

private:
    struct State;
    /// Pauses the partitions far ahead of the merge and resumes those that caught up.
    Result<void> adjustFetching();
    explicit DeadLetterReader(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

/// The one dead letter at `at`, with its value and headers. NotFound when the topic has no
/// record there (never written, deleted or compacted away).
Result<DeadLetter> readDeadLetterAt(const kafka::ClientSettings &settings,
                                    const kafka::TopicPartitionOffset &at,
                                    std::chrono::milliseconds timeout);

/// How many dead letters fail with one error class in one group for one tenant.
struct DeadLetterGroupCount
{
    std::string errorClass;
    std::string group;
    std::string tenant;
    std::int64_t count = 0;
};

/// The matching dead letters of a whole topic counted by error class, group and tenant,
/// the largest count first.
struct DeadLetterCounts
{
    std::vector<DeadLetterGroupCount> groups;
    std::int64_t matched = 0;
    std::int64_t scanned = 0;
};

/// Counts what `filter` matches in its topic, in any order. `progress`, called after each
/// batch, returns false to stop: the result is then Cancelled.
Result<DeadLetterCounts>
countDeadLetters(const kafka::ClientSettings &settings, const DeadLetterFilter &filter,
                 std::chrono::milliseconds stallTimeout,
                 const std::function<bool(std::int64_t scanned, std::int64_t total)> &progress = {});

/// Whether `topic` is named like a dead-letter topic: "*.dlq", "*-dlq", "*.DLT", "*-dlt"
/// (any case), or Logdeck's events.dlq.
bool looksLikeDeadLetterTopic(std::string_view topic);

/// The cluster's topics named like dead-letter topics, sorted.
Result<std::vector<std::string>> listDeadLetterTopics(const kafka::ClientSettings &settings,
                                                      std::chrono::milliseconds timeout);

/// parseRecordAddress (either spelling); nothing when `id` is not a record address (then it
/// is an event id).
std::optional<kafka::TopicPartitionOffset> parseCoordinates(std::string_view id);

/// The dead letters among `letters` that `id` names: the one at its record address (either
/// spelling), or every one of an event id (an event can be dead-lettered
/// more than once).
std::vector<DeadLetter> findDeadLetters(const std::vector<DeadLetter> &letters,
                                        const std::string &id);

} // namespace logdeck::ops
