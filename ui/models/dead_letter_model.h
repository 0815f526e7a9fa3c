#pragma once
// The dead-letter table's models: thin rows read page by page from a DeadLetterPageSource
// (canFetchMore/fetchMore; sorting and filtering are new queries, never a proxy over every
// row), and the grouped counts by error class × group × tenant.

#include "bridge/dead_letter_source.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QStringList>
#include <deque>
#include <memory>
#include <vector>

namespace logdeck::ui {

/// Strings many rows share (tenants, groups, error classes, topics), stored once.
class StringPool
{
public:
    std::uint32_t intern(const std::string &text);
    const QString &at(std::uint32_t id) const { return m_strings[static_cast<qsizetype>(id)]; }
    qsizetype size() const { return m_strings.size(); }
    std::size_t bytes() const;
    void clear();

private:
    QStringList m_strings;
    QHash<QString, std::uint32_t> m_ids;
};

class DeadLetterModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column {
        Time,
        Tenant,
        Group,
        ErrorClass,
        Message,
        Attempts,
        Origin,
        RedriveState,
        ColumnCount
    };
    enum Role {
        CoordinatesRole = Qt::UserRole + 1, ///< "topic:partition:offset"
        PartitionRole,
        OffsetRole,
        TimestampRole, ///< ms since the epoch
    };
    /// Rows asked for at a time.
    static constexpr int kPageSize = 1000;

    explicit DeadLetterModel(DeadLetterPageSource *source, QObject *parent = nullptr);

    /// Drops every row and reads anew: the first page is asked for at once.
    void setQuery(const ops::DeadLetterFilter &filter);
    const ops::DeadLetterFilter &filter() const { return m_filter; }
    void setPageSize(int rows) { m_pageSize = rows; }

    bool isReading() const { return m_reading; }
    bool atEnd() const { return m_atEnd; }
    QString error() const { return m_error; }
    /// Records read for this query so far, and in the topic (when known).
    std::int64_t scanned() const { return m_scanned; }
    std::int64_t total() const { return m_total; }
    /// Pages asked of the source for this query.
    int pagesRequested() const { return m_pagesRequested; }

    std::int32_t partitionAt(int row) const;
    std::int64_t offsetAt(int row) const;
    QString coordinatesAt(int row) const;
    /// Memory the rows hold (row records, message text, shared strings), in bytes.
    std::size_t bytesUsed() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

Q_SIGNALS:
    /// Reading started or stopped, the end was reached, an error came, or progress moved.
    void stateChanged();

private:
    /// 64 bytes; the message lives in m_text.
    struct Row
    {
        std::int64_t timestampMs = 0;
        std::int64_t offset = 0;
        std::int64_t originalOffset = -1; ///< -1: unknown
        std::uint64_t messageAt = 0; ///< into m_text
        std::int32_t partition = 0;
        std::int32_t originalPartition = -1; ///< -1: unknown
        std::uint32_t tenant = 0;
        std::uint32_t group = 0;
        std::uint32_t errorClass = 0;
        std::uint32_t originalTopic = 0;
        std::uint16_t messageLength = 0; ///< UTF-8 bytes
        std::uint16_t attempts = 0;
        std::uint16_t redriven = 0;
        std::uint8_t flags = 0;
        std::uint8_t noteCount = 0;
    };
    static constexpr std::uint8_t kRedriveKnown = 1;
    static constexpr std::uint8_t kInTask = 2;
    static constexpr std::size_t kTextChunk = 1 << 20;

    void addPage(const DeadLetterPagePtr &page);
    std::uint64_t storeText(const std::string &text, std::uint16_t &length);
    QString textAt(const Row &row) const;
    QString originText(const Row &row) const;
    QString redriveText(const Row &row) const;

    DeadLetterPageSource *m_source;
    ops::DeadLetterFilter m_filter;
    std::uint64_t m_query = 0;
    int m_pageSize = kPageSize;
    int m_pagesRequested = 0;
    bool m_reading = false;
    bool m_atEnd = true;
    QString m_error;
    std::int64_t m_scanned = 0;
    std::int64_t m_total = 0;
    std::deque<Row> m_rows;
    std::vector<std::unique_ptr<char[]>> m_text; ///< chunks of kTextChunk bytes
    std::size_t m_textUsed = 0; ///< bytes used in the last chunk
    StringPool m_pool;
};

/// Counts by error class × failing group × tenant; a row names a filter.
class DeadLetterGroupModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { ErrorClass, Group, Tenant, Count, ColumnCount };
    enum Role { SortRole = Qt::UserRole + 1 };

    using QAbstractTableModel::QAbstractTableModel;

    void setCounts(std::shared_ptr<const ops::DeadLetterCounts> counts);
    const ops::DeadLetterGroupCount *groupAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::shared_ptr<const ops::DeadLetterCounts> m_counts;
};

} // namespace logdeck::ui
