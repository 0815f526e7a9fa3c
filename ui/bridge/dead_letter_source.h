#pragma once
// What a dead-letter table reads its rows from: pages of thin rows for the current query,
// asked for one at a time and answered later. The DeadLetterService reads them from Kafka;
// a test scripts them.

#include "ops/dead_letters.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <cstdint>
#include <memory>
#include <vector>

namespace logdeck::ui {

/// What the redrive ledger of the target's data directory says of one dead letter.
struct RedriveMark
{
    bool known = false; ///< false: no ledger to ask (attached without a data directory)
    int redriven = 0; ///< times it was redriven
    bool inTask = false; ///< a pending, running or paused task still has it to move
};

/// One page of a query's rows, oldest first, continuing the previous page.
struct DeadLetterPage
{
    std::uint64_t query = 0;
    std::vector<ops::DeadLetterSummary> rows;
    std::vector<RedriveMark> redrive; ///< one per row
    bool atEnd = false; ///< nothing matches after these rows
    std::int64_t scanned = 0; ///< records read so far, matching or not
    std::int64_t total = 0; ///< records between the topic's start and its end
    QString error; ///< why the page could not be read; rows are then empty
};
using DeadLetterPagePtr = std::shared_ptr<const DeadLetterPage>;

/// The source of a dead-letter table's pages.
class DeadLetterPageSource : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    /// Starts reading anew with `filter` (its topic included); returns the query's id,
    /// which the pages of this query carry.
    virtual std::uint64_t startQuery(const ops::DeadLetterFilter &filter) = 0;
    /// Asks for the next page of the latest query; `pageArrived` answers.
    virtual void requestPage(int pageSize) = 0;

Q_SIGNALS:
    void pageArrived(logdeck::ui::DeadLetterPagePtr page);
    /// While a page is being read: how far (records read of those in the topic).
    void pageProgress(std::uint64_t query, std::int64_t scanned, std::int64_t total);
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(logdeck::ui::DeadLetterPagePtr)
