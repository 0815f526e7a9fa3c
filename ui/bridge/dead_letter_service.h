#pragma once

#include "bridge/dead_letter_source.h"
#include "bridge/ops_target.h"
#include "ops/dead_letters.h"
#include "store/redrive_store.h"

#include <QStringList>
#include <QThread>
#include <atomic>
#include <memory>
#include <utility>
#include <vector>

namespace logdeck::ui {

class DeadLetterReaderWorker;
class DeadLetterBulkWorker;

/// One header of a dead letter, decoded for people.
struct DecodedHeader
{
    QString name;
    QString family; ///< "Logdeck", "Spring", "Connect" or "Other"
    QString value; ///< text; Spring's binary numbers as the number; other bytes as 0x… hex
    bool multiline = false; ///< a stack trace or other text of several lines
    QString problem; ///< why the header is flagged (unreadable, empty); empty when fine
};

/// One dead letter in full, for the detail pane: value, key and headers, and its redrives.
struct DeadLetterDetail
{
    ops::DeadLetter letter;
    std::vector<DecodedHeader> headers;
    QString valueKind; ///< "JSON", "text", "binary (N bytes)", "empty" or "null"
    QString valueText; ///< JSON pretty-printed, text as it is, binary as a hex dump
    QString recordJson; ///< the letter as `dlq show --json` prints it, pretty-printed
    std::vector<store::RedriveRecord> history; ///< from the target's ledger, oldest first
    QString historyError; ///< why the ledger could not be read
    QString error; ///< why the letter could not be read; `letter` is then empty
};
using DeadLetterDetailPtr = std::shared_ptr<const DeadLetterDetail>;
using DeadLetterCountsPtr = std::shared_ptr<const ops::DeadLetterCounts>;

/// Dead letters of the target's cluster, read as `logdeck-cli dlq` reads them (the same
/// ops:: calls): the dead-letter topics, a paged query (one reader per query, assigned, in
/// no group, committing nothing), one letter in full by its coordinates, counts by error
/// class × group × tenant, and an export to a JSON-lines file. Pages and letters are read on
/// one thread, counts and exports on another, so neither waits for the other. Answers carry
/// the id their call returned; those for an older target (generation) are dropped.
class DeadLetterService : public DeadLetterPageSource
{
    Q_OBJECT

public:
    explicit DeadLetterService(QObject *parent = nullptr);
    ~DeadLetterService() override;

    /// Sets `filter`'s since and until from the console's fields as `dlq list` reads
    /// --since and --until; returns why they do not make a filter (empty when they do).
    static QString setTimes(ops::DeadLetterFilter &filter, const std::optional<std::string> &since,
                            const std::optional<std::string> &until);

    /// Where to read; drops the current query, count and export.
    void setTarget(const OpsTarget &target);
    const OpsTarget &target() const { return m_target; }

    /// The cluster's dead-letter topics (named like one) and events.dlq: `topicsListed`.
    std::uint64_t listTopics();

    std::uint64_t startQuery(const ops::DeadLetterFilter &filter) override;
    void requestPage(int pageSize) override;

    /// One letter by its coordinates: `detailReady`.
    std::uint64_t fetchDetail(const std::string &topic, std::int32_t partition,
                              std::int64_t offset);

    /// Counts what `filter` matches in its whole topic: `countProgress`, then `countsReady`.
    /// Stops a count still running.
    std::uint64_t countGroups(const ops::DeadLetterFilter &filter);

    /// Writes the letters at `coordinates` (partition, offset) of `filter.topic`, or every
    /// letter `filter` matches when `coordinates` is empty, one JSON object a line (the
    /// fields of `dlq show --json`), to `path`: `exportProgress`, then `exportFinished`.
    std::uint64_t exportLetters(const ops::DeadLetterFilter &filter,
                                std::vector<std::pair<std::int32_t, std::int64_t>> coordinates,
                                const QString &path);

    /// Stops a count or an export.
    void cancelBulk();

Q_SIGNALS:
    void topicsListed(std::uint64_t requestId, const QStringList &topics, const QString &error);
    void detailReady(std::uint64_t requestId, logdeck::ui::DeadLetterDetailPtr detail);
    void countProgress(std::uint64_t requestId, qint64 scanned, qint64 total);
    void countsReady(std::uint64_t requestId, logdeck::ui::DeadLetterCountsPtr counts,
                     const QString &error);
    void exportProgress(std::uint64_t requestId, qint64 written, qint64 scanned, qint64 total);
    void exportFinished(std::uint64_t requestId, qint64 written, const QString &error);

private:
    /// Runs `work` on the reader's (or the bulk) thread; `work` gets the generation it was
    /// posted for and answers through answer().
    template <typename Work>
    void onReader(Work work);
    template <typename Work>
    void onBulk(Work work);
    /// Runs `emitIt` on this object's thread if the target is still `generation`'s.
    template <typename Emit>
    void answer(std::uint64_t generation, Emit emitIt);

    OpsTarget m_target;
    QThread m_readerThread;
    QThread m_bulkThread;
    DeadLetterReaderWorker *m_reader;
    DeadLetterBulkWorker *m_bulk;
    std::uint64_t m_lastRequest = 0;
    /// Shared with the workers: a page read stops when its query is no longer the latest,
    /// a count or export when its request is no longer the latest bulk one.
    std::shared_ptr<std::atomic<std::uint64_t>> m_latestQuery;
    std::shared_ptr<std::atomic<std::uint64_t>> m_latestBulk;
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(logdeck::ui::DeadLetterDetailPtr)
Q_DECLARE_METATYPE(logdeck::ui::DeadLetterCountsPtr)
