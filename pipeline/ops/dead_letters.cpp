#include "ops/dead_letters.h"
#include "ops/record_address.h"

#include "common/json_depth.h"
#include "common/numbers.h"
#include "common/time_format.h"
#include "kafka/admin_client.h"
#include "kafka/partition_scan.h"
#include "kafka/record_headers.h"
#include "kafka/topic_catalog.h"

#include <QByteArray>
#include <QJsonArray>
#include <QUtf8StringView>
#include <algorithm>
#include <climits>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

namespace logdeck::ops {

namespace {

namespace h = kafka::headers;

bool has(const kafka::Headers &headers, const std::string &name)
{
    return std::ranges::any_of(headers, [&](const kafka::Header &hd) { return hd.name == name; });
}

bool containsIgnoringCase(std::string_view haystack, std::string_view needle)
{
    const auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    const auto found =
        std::ranges::search(haystack, needle, [&](char a, char b) { return lower(a) == lower(b); });
    return needle.empty() || !found.empty();
}

bool errorClassMatches(const std::string &actual, const std::string &wanted)
{
    return actual == wanted
        || (actual.size() > wanted.size() && actual.ends_with(wanted)
            && actual[actual.size() - wanted.size() - 1] == '.');
}

/// Reads the coordinates of one convention's headers into an origin, noting each header
/// that is missing or unreadable.
class OriginReader
{
public:
    OriginReader(const kafka::Headers &headers, DeadLetterOrigin &origin)
        : m_headers(headers), m_origin(origin)
    {}

    std::string text(const char *name)
    {
        const std::string value = kafka::headerValue(m_headers, name);
        if (value.empty()) {
            note(name, has(m_headers, name) ? "is empty" : "is missing");
        }
        return value;
    }

    /// A number of at most `max` in decimal text or, when `binaryBytes` is not 0, in exactly
    /// that many big-endian bytes (Spring's encoding). A binary value whose bytes are all
    /// digits reads as text: as binary it would be a partition or offset beyond 800 million.
    std::optional<std::int64_t> number(const char *name, std::int64_t max, int binaryBytes = 0)
    {
        if (!has(m_headers, name)) {
            note(name, "is missing");
            return std::nullopt;
        }
        const std::string value = kafka::headerValue(m_headers, name);
        std::optional<std::int64_t> number = parseInt64Exact(value);
        if (!number && binaryBytes > 0 && value.size() == static_cast<std::size_t>(binaryBytes)) {
            number = h::fromBigEndian(value);
        }
        if (!number && binaryBytes == 0) {
            note(name, "is not a decimal number");
            return std::nullopt;
        }
        if (!number) {
            note(name, "is " + std::to_string(value.size())
                     + " bytes long: neither a big-endian number of "
                     + std::to_string(binaryBytes) + " bytes nor decimal digits");
            return std::nullopt;
        }
        if (*number < 0 || *number > max) {
            note(name, "is out of range (" + std::to_string(*number) + ")");
            return std::nullopt;
        }
        return number;
    }

    std::optional<std::int32_t> partition(const char *name, int binaryBytes = 0)
    {
        const auto value = number(name, INT32_MAX, binaryBytes);
        if (!value) {
            return std::nullopt;
        }
        return static_cast<std::int32_t>(*value);
    }

private:
    void note(const char *name, const std::string &problem)
    {
        m_origin.notes.push_back(std::string(name) + " " + problem);
    }

    const kafka::Headers &m_headers;
    DeadLetterOrigin &m_origin;
};

} // namespace

DeadLetterOrigin decodeDeadLetterOrigin(const kafka::Headers &headers)
{
    constexpr std::int64_t kMax = INT64_MAX;
    DeadLetterOrigin origin;
    OriginReader read(headers, origin);
    if (has(headers, h::kFailingGroup)) {
        origin.convention = "logdeck";
        origin.topic = read.text(h::kOriginalTopic);
        origin.partition = read.partition(h::kOriginalPartition);
        origin.offset = read.number(h::kOriginalOffset, kMax);
        origin.timestampMs = read.number(h::kOriginalTimestamp, kMax);
    } else if (has(headers, h::kSpringOriginalTopic)) {
        origin.convention = "spring";
        origin.topic = read.text(h::kSpringOriginalTopic);
        origin.partition = read.partition(h::kSpringOriginalPartition, 4);
        origin.offset = read.number(h::kSpringOriginalOffset, kMax, 8);
        origin.timestampMs = read.number(h::kSpringOriginalTimestamp, kMax, 8);
    } else if (has(headers, h::kConnectTopic)) {
        origin.convention = "connect"; // Connect records no original timestamp
        origin.topic = read.text(h::kConnectTopic);
        origin.partition = read.partition(h::kConnectPartition);
        origin.offset = read.number(h::kConnectOffset, kMax);
    } else {
        origin.convention = "unknown";
    }
    return origin;
}

DeadLetter decodeDeadLetter(const kafka::ConsumedRecord &record)
{
    const auto &hs = record.headers;
    auto header = [&](const char *name) {
        return kafka::headerValue(hs, name);
    };
    DeadLetter d;
    d.topic = record.topic;
    d.partition = record.partition;
    d.offset = record.offset;
    d.timestampMs = record.timestampMs;
    d.value = record.value;
    d.valueIsNull = record.valueIsNull;
    d.key = record.key;
    d.headers = record.headers;
    d.tenant = header(h::kTenantId).empty() ? record.key : header(h::kTenantId);
    d.eventId = header(h::kEventId);
    d.redriveCount = static_cast<int>(parseInt64(header(h::kRedriveCount), 0));
    if (d.eventId.empty()) {
        const auto value = parseJsonBounded(record.value);
        if (value.is_object() && value.contains("id") && value["id"].is_string()) {
            d.eventId = value["id"].get<std::string>();
        }
    }
    DeadLetterOrigin origin = decodeDeadLetterOrigin(hs);
    d.convention = origin.convention;
    d.originalTopic = std::move(origin.topic);
    d.originalPartition = origin.partition;
    d.originalOffset = origin.offset;
    d.originalTimestampMs = origin.timestampMs;
    d.notes = std::move(origin.notes);
    if (d.convention == "logdeck") {
        d.group = header(h::kFailingGroup);
        d.errorClass = header(h::kErrorClass);
        d.errorMessage = header(h::kErrorMessage);
        d.attempts = static_cast<int>(parseInt64(header(h::kAttempts), 1));
    } else if (d.convention == "spring") {
        d.group = header(h::kSpringOriginalGroup);
        d.errorClass = header(h::kSpringExceptionClass);
        d.errorMessage = header(h::kSpringExceptionMessage);
        d.attempts = 1;
    } else if (d.convention == "connect") {
        d.group = header(h::kConnectConnector);
        d.errorClass = header(h::kConnectExceptionClass);
        d.errorMessage = header(h::kConnectExceptionMessage);
        d.attempts = 1;
    }
    return d;
}

std::string coordinatesOf(const DeadLetter &letter)
{
    return formatRecordAddress(letter.topic, letter.partition, letter.offset);
}

std::string originOf(const DeadLetter &letter)
{
    return formatRecordAddress(letter.originalTopic, letter.originalPartition,
                               letter.originalOffset);
}

const char *ShownValue::encodingName() const
{
    switch (encoding) {
    case Encoding::Null:
        return "null";
    case Encoding::Text:
        return "text";
    case Encoding::Base64:
        break;
    }
    return "base64";
}

ShownValue showValue(const DeadLetter &letter)
{
    if (letter.valueIsNull) {
        return {};
    }
    const auto bytes = QByteArray::fromRawData(letter.value.data(),
                                               static_cast<qsizetype>(letter.value.size()));
    const bool printable = std::ranges::all_of(letter.value, [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r';
    });
    if (printable && QUtf8StringView(bytes).isValidUtf8()) {
        return {ShownValue::Encoding::Text, letter.value};
    }
    return {ShownValue::Encoding::Base64, bytes.toBase64().toStdString()};
}

QJsonObject deadLetterJson(const ops::DeadLetter &d)
{
    QJsonArray notes; // what in the headers was missing or unreadable
    for (const auto &note : d.notes) {
        notes.append(QString::fromStdString(note));
    }
    return {
        {QStringLiteral("eventId"), QString::fromStdString(d.eventId)},
        {QStringLiteral("tenant"), QString::fromStdString(d.tenant)},
        {QStringLiteral("group"), QString::fromStdString(d.group)},
        {QStringLiteral("errorClass"), QString::fromStdString(d.errorClass)},
        {QStringLiteral("errorMessage"), QString::fromStdString(d.errorMessage)},
        {QStringLiteral("attempts"), d.attempts},
        {QStringLiteral("originalTopic"), QString::fromStdString(d.originalTopic)},
        {QStringLiteral("originalPartition"),
         d.originalPartition ? QJsonValue(*d.originalPartition) : QJsonValue()},
        {QStringLiteral("originalOffset"),
         d.originalOffset ? QJsonValue(static_cast<qint64>(*d.originalOffset)) : QJsonValue()},
        {QStringLiteral("originalTimestamp"),
         d.originalTimestampMs
             ? QJsonValue(QString::fromStdString(formatRfc3339(*d.originalTimestampMs)))
             : QJsonValue()},
        {QStringLiteral("notes"), notes},
        {QStringLiteral("deadLetteredAt"), QString::fromStdString(formatRfc3339(d.timestampMs))},
        {QStringLiteral("topic"), QString::fromStdString(d.topic)},
        {QStringLiteral("partition"), d.partition},
        {QStringLiteral("offset"), static_cast<qint64>(d.offset)},
        {QStringLiteral("id"), QString::fromStdString(coordinatesOf(d))},
        {QStringLiteral("convention"), QString::fromStdString(d.convention)},
        {QStringLiteral("redriveCount"), d.redriveCount}};
}


QString headerText(const std::string &value)
{
    const bool text = std::ranges::all_of(
        value, [](char c) { return static_cast<unsigned char>(c) >= 0x20 || c == '\t'; });
    if (text) {
        return QString::fromStdString(value);
    }
    return QStringLiteral("0x") + QString::fromLatin1(QByteArray::fromStdString(value).toHex());
}

QJsonObject deadLetterRecordJson(const DeadLetter &d)
{
    QJsonObject object = deadLetterJson(d);
    QJsonObject headers;
    for (const auto &h : d.headers) {
        headers.insert(QString::fromStdString(h.name), headerText(h.value));
    }
    object.insert(QStringLiteral("headers"), headers);
    object.insert(QStringLiteral("key"), QString::fromStdString(d.key));
    const ShownValue value = showValue(d);
    object.insert(QStringLiteral("value"), value.encoding == ShownValue::Encoding::Null
                                               ? QJsonValue(QJsonValue::Null)
                                               : QJsonValue(QString::fromStdString(value.text)));
    object.insert(QStringLiteral("valueEncoding"), QString::fromLatin1(value.encodingName()));
    return object;
}

Result<void> setDeadLetterTimes(DeadLetterFilter &filter, const std::optional<std::string> &since,
                                const std::optional<std::string> &until, std::int64_t nowMs,
                                std::string_view prefix)
{
    const std::string p(prefix);
    for (const auto &[name, given, field] :
         {std::tuple("since", &since, &filter.sinceMs), std::tuple("until", &until, &filter.untilMs)}) {
        *field = std::nullopt;
        if (!*given) {
            continue;
        }
        const auto at = parseTimePoint(**given, nowMs);
        if (!at) {
            return fail(Error::invalid(p + name + " '" + **given
                                       + "' is neither an RFC 3339 time (2026-11-26T15:04:05Z) "
                                         "nor a duration ago (30s, 15m, 2h, 1d, 1w)"));
        }
        *field = *at;
    }
    if (filter.sinceMs && *filter.sinceMs > nowMs) {
        return fail(Error::invalid(p + "since " + *since
                                   + " is in the future: nothing can have been dead-lettered "
                                     "after it yet"));
    }
    if (filter.sinceMs && filter.untilMs && *filter.sinceMs >= *filter.untilMs) {
        return fail(Error::invalid(p + "since must be before " + p + "until"));
    }
    return {};
}

bool DeadLetterFilter::matches(const DeadLetter &d) const
{
    return (group.empty() || d.group == group) && (tenant.empty() || d.tenant == tenant)
        && (errorClass.empty() || errorClassMatches(d.errorClass, errorClass))
        && (originalTopic.empty() || d.originalTopic == originalTopic)
        && (!sinceMs || d.timestampMs >= *sinceMs) && (!untilMs || d.timestampMs < *untilMs)
        && (text.empty() || containsIgnoringCase(d.errorMessage, text)
            || containsIgnoringCase(d.value, text));
}

bool DeadLetterFilter::selectsEverything() const
{
    return group.empty() && tenant.empty() && errorClass.empty() && originalTopic.empty()
        && !sinceMs && !untilMs && text.empty();
}

namespace {

/// One poll waits at most this long, so that a stalled read notices its timeout.
constexpr std::chrono::milliseconds kPollWait {100};
/// Per partition, matching letters buffered ahead of the merge before its fetching pauses;
/// it resumes below half of it, early enough that a resumed fetch (which librdkafka takes
/// most of a second to start again) arrives before the merge needs it.
constexpr std::size_t kReadAhead = 5000;

/// The stretch of a topic a read covers: from `start` up to, not including, `end` of each
/// partition (the log end when the read began).
struct TopicRange
{
    std::string topic;
    std::vector<std::int64_t> start;
    std::vector<std::int64_t> end;

    std::int64_t total() const
    {
        std::int64_t sum = 0;
        for (std::size_t p = 0; p < end.size(); ++p) {
            sum += std::max<std::int64_t>(0, end[p] - start[p]);
        }
        return sum;
    }
};

Result<TopicRange> rangeOf(const kafka::ClientSettings &settings, const std::string &topic,
                           std::chrono::milliseconds timeout,
                           const std::optional<DeadLetterCursor> &from)
{
    auto admin = kafka::AdminClient::create(settings);
    if (!admin) {
        return fail(admin.error());
    }
    auto cluster = (*admin)->describeCluster(timeout);
    if (!cluster) {
        return fail(cluster.error());
    }
    const auto info = std::ranges::find(cluster->topics, topic, &kafka::TopicInfo::name);
    if (info == cluster->topics.end()) {
        return fail(Error::notFound("topic '" + topic + "' does not exist"));
    }
    TopicRange range {topic, {}, {}};
    for (std::int32_t p = 0; p < info->partitions; ++p) {
        auto marks = (*admin)->watermarks(topic, p, timeout);
        if (!marks) {
            return fail(marks.error());
        }
        std::int64_t start = marks->low;
        if (from && static_cast<std::size_t>(p) < from->next.size()) {
            start = std::clamp(from->next[static_cast<std::size_t>(p)], marks->low, marks->high);
        }
        if (from && from->lastPerPartition) {
            start = std::max(start, marks->high - *from->lastPerPartition);
        }
        range.start.push_back(start);
        range.end.push_back(marks->high);
    }
    return range;
}

/// One consumer assigned to every partition of a range that has records to read, outside
/// any group; hands out the records of the range as they arrive, in any partition order.
class RangeScan
{
public:
    static Result<RangeScan> open(const kafka::ClientSettings &settings, TopicRange range)
    {
        RangeScan scan;
        scan.range = std::move(range);
        scan.next = scan.range.start;
        std::vector<kafka::TopicPartitionOffset> positions;
        for (std::size_t p = 0; p < scan.next.size(); ++p) {
            if (scan.next[p] < scan.range.end[p]) {
                positions.push_back(
                    {scan.range.topic, static_cast<std::int32_t>(p), scan.next[p]});
            }
        }
        if (positions.empty()) {
            return scan;
        }
        kafka::ClientSettings tuned = settings;
        // A bounded read-ahead: a browser holds a page, not the topic.
        tuned.try_emplace("queued.max.messages.kbytes", "16384");
        tuned.try_emplace("queued.min.messages", "20000");
        // A partition resumed after its read-ahead drained must not wait out a fetch held
        // open for partitions already at their end.
        tuned.try_emplace("fetch.wait.max.ms", "50");
        // assign() never joins the group, so the id only names this reader in broker logs.
        auto consumer = kafka::Consumer::create(tuned, "logdeck-dead-letter-reader");
        if (!consumer) {
            return fail(consumer.error());
        }
        if (auto assigned = (*consumer)->assign(positions); !assigned) {
            return fail(assigned.error());
        }
        scan.consumer = std::move(*consumer);
        scan.lastProgress = std::chrono::steady_clock::now();
        return scan;
    }

    bool finished(std::size_t p) const { return next[p] >= range.end[p]; }

    bool allFinished() const
    {
        for (std::size_t p = 0; p < next.size(); ++p) {
            if (!finished(p)) {
                return false;
            }
        }
        return true;
    }

    /// Polls once and hands each record of the range to `visit`. Fails with Timeout when
    /// nothing of the range has arrived for `stallTimeout`.
    template <typename Visit>
    Result<void> pollOnce(std::chrono::milliseconds stallTimeout, Visit &&visit)
    {
        std::size_t count = 0;
        if (auto polled = consumer->pollInto(batch, count, 1000, kPollWait); !polled) {
            return fail(polled.error());
        }
        bool progressed = false;
        for (std::size_t i = 0; i < count; ++i) {
            const kafka::ConsumedRecord &record = batch[i];
            const auto p = static_cast<std::size_t>(record.partition);
            if (p >= next.size() || record.offset < next[p] || finished(p)) {
                continue;
            }
            progressed = true;
            if (record.offset >= range.end[p]) {
                next[p] = range.end[p]; // past a gap (compaction) at the end of the range
                continue;
            }
            next[p] = record.offset + 1;
            ++scanned;
            visit(p, record);
        }
        const auto now = std::chrono::steady_clock::now();
        if (progressed) {
            lastProgress = now;
        } else if (now - lastProgress >= stallTimeout) {
            std::string where;
            for (std::size_t p = 0; p < next.size(); ++p) {
                if (!finished(p)) {
                    where += (where.empty() ? "" : ", ") + std::to_string(p) + "@"
                        + std::to_string(next[p]) + " of " + std::to_string(range.end[p]);
                }
            }
            return fail(Error::timeout("reading " + range.topic + " stopped at partition "
                                       + where
                                       + ": the broker did not deliver the rest in time"));
        }
        return {};
    }

    TopicRange range;
    std::vector<std::int64_t> next;
    std::unique_ptr<kafka::Consumer> consumer;
    std::vector<kafka::ConsumedRecord> batch;
    std::int64_t scanned = 0;
    std::chrono::steady_clock::time_point lastProgress;
};

bool endsWithIgnoringCase(std::string_view text, std::string_view suffix)
{
    return text.size() > suffix.size()
        && containsIgnoringCase(text.substr(text.size() - suffix.size()), suffix);
}

} // namespace

DeadLetterSummary summarize(const DeadLetter &letter, std::size_t maxMessageBytes)
{
    DeadLetterSummary s;
    s.partition = letter.partition;
    s.offset = letter.offset;
    s.timestampMs = letter.timestampMs;
    s.eventId = letter.eventId;
    s.tenant = letter.tenant;
    s.group = letter.group;
    s.errorClass = letter.errorClass;
    if (letter.errorMessage.size() <= maxMessageBytes) {
        s.errorMessage = letter.errorMessage;
    } else {
        std::size_t cut = maxMessageBytes;
        // Back to the first byte of a UTF-8 character (continuation bytes are 10xxxxxx).
        while (cut > 0 && (static_cast<unsigned char>(letter.errorMessage[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        s.errorMessage = letter.errorMessage.substr(0, cut) + "\u2026";
    }
    s.attempts = letter.attempts;
    s.originalTopic = letter.originalTopic;
    s.originalPartition = letter.originalPartition;
    s.originalOffset = letter.originalOffset;
    s.convention = letter.convention;
    s.noteCount = static_cast<int>(letter.notes.size());
    return s;
}

struct DeadLetterReader::State
{
    DeadLetterFilter filter;
    Options options;
    RangeScan scan;
    std::vector<std::deque<DeadLetter>> buffered;
    std::vector<bool> paused;
};

DeadLetterReader::DeadLetterReader(std::unique_ptr<State> state)
    : m_state(std::move(state))
{}

DeadLetterReader::~DeadLetterReader() = default;

Result<std::unique_ptr<DeadLetterReader>>
DeadLetterReader::open(const kafka::ClientSettings &settings, const DeadLetterFilter &filter,
                       std::chrono::milliseconds timeout, Options options)
{
    auto range = rangeOf(settings, filter.topic, timeout, options.from);
    if (!range) {
        return fail(range.error());
    }
    auto scan = RangeScan::open(settings, std::move(*range));
    if (!scan) {
        return fail(scan.error());
    }
    auto state = std::make_unique<State>();
    state->filter = filter;
    state->options = std::move(options);
    state->scan = std::move(*scan);
    state->buffered.resize(state->scan.next.size());
    state->paused.resize(state->scan.next.size(), false);
    return std::unique_ptr<DeadLetterReader>(new DeadLetterReader(std::move(state)));
}

Result<std::vector<DeadLetter>> DeadLetterReader::nextLetters(std::size_t pageSize,
                                                              std::chrono::milliseconds stallTimeout,
                                                              const Progress &progress)
{
    State &s = *m_state;
    std::vector<DeadLetter> page;
    const std::size_t partitions = s.buffered.size();
    s.scan.lastProgress = std::chrono::steady_clock::now();
    while (page.size() < pageSize) {
        // The merge: the oldest head of all partitions, once every partition that may still
        // bring an older letter has one buffered.
        std::optional<std::size_t> oldest;
        bool waiting = false;
        for (std::size_t p = 0; p < partitions; ++p) {
            const auto &queue = s.buffered[p];
            if (queue.empty()) {
                waiting = waiting || !s.scan.finished(p);
                continue;
            }
            // Partitions in ascending order: a tie goes to the lower partition.
            if (!oldest
                || queue.front().timestampMs < s.buffered[*oldest].front().timestampMs) {
                oldest = p;
            }
        }
        if (!waiting) {
            if (!oldest) {
                break; // the end
            }
            page.push_back(std::move(s.buffered[*oldest].front()));
            s.buffered[*oldest].pop_front();
            continue;
        }
        if (auto adjusted = adjustFetching(); !adjusted) {
            return fail(adjusted.error());
        }
        auto polled = s.scan.pollOnce(stallTimeout, [&](std::size_t p,
                                                        const kafka::ConsumedRecord &record) {
            DeadLetter letter = decodeDeadLetter(record);
            if (!s.filter.matches(letter)) {
                return;
            }
            if (!s.options.keepPayload) {
                letter.value = std::string();
                letter.key = std::string();
                letter.headers = kafka::Headers();
            }
            s.buffered[p].push_back(std::move(letter));
        });
        if (!polled) {
            return fail(polled.error());
        }
        if (progress && !progress(s.scan.scanned, s.scan.range.total())) {
            return fail(Error::cancelled("reading " + s.filter.topic + " was stopped"));
        }
    }
    // Partitions drained below the low mark fetch again while the caller looks at the page.
    if (auto adjusted = adjustFetching(); !adjusted) {
        return fail(adjusted.error());
    }
    return page;
}

Result<void> DeadLetterReader::adjustFetching()
{
    State &s = *m_state;
    for (std::size_t p = 0; p < s.buffered.size(); ++p) {
        if (s.scan.finished(p)) {
            continue;
        }
        const std::size_t held = s.buffered[p].size();
        const bool pause = !s.paused[p] && held >= kReadAhead;
        const bool resume = s.paused[p] && held < kReadAhead / 2;
        if (!pause && !resume) {
            continue;
        }
        const std::vector<kafka::TopicPartition> tp {
            {s.scan.range.topic, static_cast<std::int32_t>(p)}};
        if (auto changed = pause ? s.scan.consumer->pause(tp) : s.scan.consumer->resume(tp);
            !changed) {
            return fail(changed.error());
        }
        s.paused[p] = pause;
    }
    return {};
}

Result<std::vector<DeadLetterSummary>>
DeadLetterReader::nextPage(std::size_t pageSize, std::chrono::milliseconds stallTimeout,
                           const Progress &progress)
{
    auto letters = nextLetters(pageSize, stallTimeout, progress);
    if (!letters) {
        return fail(letters.error());
    }
    std::vector<DeadLetterSummary> page;
    page.reserve(letters->size());
    for (const auto &letter : *letters) {
        page.push_back(summarize(letter));
    }
    return page;
}

bool DeadLetterReader::atEnd() const
{
    return m_state->scan.allFinished()
        && std::ranges::all_of(m_state->buffered, [](const auto &q) { return q.empty(); });
}

DeadLetterCursor DeadLetterReader::cursor() const
{
    DeadLetterCursor cursor;
    for (std::size_t p = 0; p < m_state->buffered.size(); ++p) {
        cursor.next.push_back(m_state->buffered[p].empty() ? m_state->scan.next[p]
                                                           : m_state->buffered[p].front().offset);
    }
    return cursor;
}

const DeadLetterFilter &DeadLetterReader::filter() const
{
    return m_state->filter;
}

int DeadLetterReader::partitionCount() const
{
    return static_cast<int>(m_state->buffered.size());
}

std::int64_t DeadLetterReader::scanned() const
{
    return m_state->scan.scanned;
}

std::int64_t DeadLetterReader::total() const
{
    return m_state->scan.range.total();
}

Result<std::vector<DeadLetter>> readDeadLetters(const kafka::ClientSettings &settings,
                                                const DeadLetterFilter &filter,
                                                std::chrono::milliseconds timeout)
{
    auto reader = DeadLetterReader::open(settings, filter, timeout, {.keepPayload = true, .from = std::nullopt});
    if (!reader) {
        return fail(reader.error());
    }
    std::vector<DeadLetter> result;
    while (!(*reader)->atEnd()) {
        auto page = (*reader)->nextLetters(1000, timeout);
        if (!page) {
            return fail(page.error());
        }
        std::ranges::move(*page, std::back_inserter(result));
    }
    // Oldest first even where a partition's timestamps go backwards (the merge then follows
    // the partition's order).
    std::ranges::stable_sort(result, [](const DeadLetter &a, const DeadLetter &b) {
        return std::tie(a.timestampMs, a.partition, a.offset)
            < std::tie(b.timestampMs, b.partition, b.offset);
    });
    return result;
}

Result<std::vector<DeadLetter>> readDeadLetters(const kafka::ClientSettings &settings,
                                                const DeadLetterFilter &filter,
                                                std::chrono::milliseconds timeout,
                                                DeadLetterWindow window)
{
    if (window.side == DeadLetterWindow::Side::All) {
        return readDeadLetters(settings, filter, timeout);
    }
    const bool tail = window.side == DeadLetterWindow::Side::Last;
    DeadLetterReader::Options options {.keepPayload = true, .from = std::nullopt};
    if (tail) {
        options.from = DeadLetterCursor {{}, static_cast<std::int64_t>(window.count)};
    }
    auto reader = DeadLetterReader::open(settings, filter, timeout, options);
    if (!reader) {
        return fail(reader.error());
    }
    std::vector<DeadLetter> result;
    while (!(*reader)->atEnd() && (tail || result.size() < window.count)) {
        auto page = (*reader)->nextLetters(tail ? 1000 : window.count - result.size(), timeout);
        if (!page) {
            return fail(page.error());
        }
        std::ranges::move(*page, std::back_inserter(result));
    }
    if (tail && result.size() > window.count) {
        // The newest `count` by the reader's order (record time, then partition and offset).
        result.erase(result.begin(),
                     result.begin() + static_cast<std::ptrdiff_t>(result.size() - window.count));
    }
    return result;
}

Result<DeadLetter> readDeadLetterAt(const kafka::ClientSettings &settings,
                                    const kafka::TopicPartitionOffset &at,
                                    std::chrono::milliseconds timeout)
{
    const std::string name =
        at.topic + ":" + std::to_string(at.partition) + ":" + std::to_string(at.offset);
    auto admin = kafka::AdminClient::create(settings);
    if (!admin) {
        return fail(admin.error());
    }
    auto marks = (*admin)->watermarks(at.topic, at.partition, timeout);
    if (!marks) {
        return fail(marks.error());
    }
    if (at.offset < marks->low || at.offset >= marks->high) {
        return fail(Error::notFound("no dead letter " + name + ": the partition holds offsets "
                                    + std::to_string(marks->low) + " to "
                                    + std::to_string(marks->high - 1)));
    }
    std::optional<DeadLetter> found;
    auto scanned = kafka::scanPartition(
        settings, {{at.topic, at.partition}, at.offset, at.offset + 1},
        [&](const kafka::ConsumedRecord &record) { found = decodeDeadLetter(record); }, timeout);
    if (!scanned) {
        return fail(scanned.error());
    }
    if (!found) {
        return fail(Error::notFound("no dead letter " + name + ": the record was deleted or "
                                    "compacted away"));
    }
    return std::move(*found);
}

Result<DeadLetterCounts>
countDeadLetters(const kafka::ClientSettings &settings, const DeadLetterFilter &filter,
                 std::chrono::milliseconds stallTimeout,
                 const std::function<bool(std::int64_t scanned, std::int64_t total)> &progress)
{
    auto range = rangeOf(settings, filter.topic, stallTimeout, std::nullopt);
    if (!range) {
        return fail(range.error());
    }
    auto scan = RangeScan::open(settings, std::move(*range));
    if (!scan) {
        return fail(scan.error());
    }
    std::map<std::tuple<std::string, std::string, std::string>, std::int64_t> counts;
    DeadLetterCounts result;
    while (!scan->allFinished()) {
        auto polled = scan->pollOnce(stallTimeout, [&](std::size_t,
                                                       const kafka::ConsumedRecord &record) {
            const DeadLetter letter = decodeDeadLetter(record);
            if (filter.matches(letter)) {
                ++counts[{letter.errorClass, letter.group, letter.tenant}];
                ++result.matched;
            }
        });
        if (!polled) {
            return fail(polled.error());
        }
        if (progress && !progress(scan->scanned, scan->range.total())) {
            return fail(Error::cancelled("counting " + filter.topic + " was stopped"));
        }
    }
    result.scanned = scan->scanned;
    for (auto &[key, count] : counts) {
        result.groups.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), count});
    }
    std::ranges::stable_sort(result.groups, std::ranges::greater {}, &DeadLetterGroupCount::count);
    return result;
}

bool looksLikeDeadLetterTopic(std::string_view topic)
{
    return topic == kafka::topics::kDeadLetter || endsWithIgnoringCase(topic, ".dlq")
        || endsWithIgnoringCase(topic, "-dlq") || endsWithIgnoringCase(topic, ".dlt")
        || endsWithIgnoringCase(topic, "-dlt");
}

Result<std::vector<std::string>> listDeadLetterTopics(const kafka::ClientSettings &settings,
                                                      std::chrono::milliseconds timeout)
{
    auto admin = kafka::AdminClient::create(settings);
    if (!admin) {
        return fail(admin.error());
    }
    auto counts = (*admin)->partitionCounts(timeout);
    if (!counts) {
        return fail(counts.error());
    }
    std::vector<std::string> topics;
    for (const auto &[name, partitions] : *counts) {
        if (looksLikeDeadLetterTopic(name)) {
            topics.push_back(name);
        }
    }
    return topics;
}

std::optional<kafka::TopicPartitionOffset> parseCoordinates(std::string_view id)
{
    auto address = parseRecordAddress(id);
    return address ? std::optional(std::move(*address)) : std::nullopt;
}

std::vector<DeadLetter> findDeadLetters(const std::vector<DeadLetter> &letters,
                                        const std::string &id)
{
    std::vector<DeadLetter> found;
    const auto coordinates = parseCoordinates(id);
    for (const auto &letter : letters) {
        const bool named = coordinates
            ? letter.topic == coordinates->topic && letter.partition == coordinates->partition
                && letter.offset == coordinates->offset
            : letter.eventId == id;
        if (named) {
            found.push_back(letter);
        }
    }
    return found;
}

} // namespace logdeck::ops
