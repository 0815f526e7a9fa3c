#include "models/dead_letter_model.h"

#include "ops/record_address.h"

#include <QBrush>
#include <QColor>
#include <QDateTime>
#include <QLocale>
#include <cstring>

namespace logdeck::ui {

namespace {

const QColor kGrey(0x6b, 0x6b, 0x6b);
const QColor kAmber(0xb2, 0x6a, 0x00);

QString timeText(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
}

} // namespace

std::uint32_t StringPool::intern(const std::string &text)
{
    QString string = QString::fromStdString(text);
    const auto found = m_ids.constFind(string);
    if (found != m_ids.constEnd()) {
        return found.value();
    }
    const auto id = static_cast<std::uint32_t>(m_strings.size());
    m_ids.insert(string, id);
    m_strings.append(std::move(string));
    return id;
}

std::size_t StringPool::bytes() const
{
    std::size_t sum = 0;
    for (const QString &s : m_strings) {
        sum += static_cast<std::size_t>(s.capacity()) * 2 + 64;
    }
    return sum;
}

void StringPool::clear()
{
    m_strings.clear();
    m_ids.clear();
}

DeadLetterModel::DeadLetterModel(DeadLetterPageSource *source, QObject *parent)
    : QAbstractTableModel(parent)
    , m_source(source)
{
    connect(m_source, &DeadLetterPageSource::pageArrived, this, &DeadLetterModel::addPage);
    connect(m_source, &DeadLetterPageSource::pageProgress, this,
            [this](std::uint64_t query, std::int64_t scanned, std::int64_t total) {
                if (query == m_query && m_reading) {
                    m_scanned = scanned;
                    m_total = total;
                    Q_EMIT stateChanged();
                }
            });
}

void DeadLetterModel::setQuery(const ops::DeadLetterFilter &filter)
{
    beginResetModel();
    m_filter = filter;
    m_rows = {};
    m_text.clear();
    m_textUsed = 0;
    m_pool.clear();
    m_error.clear();
    m_atEnd = false;
    m_reading = false;
    m_scanned = 0;
    m_total = 0;
    m_pagesRequested = 0;
    m_query = m_source->startQuery(filter);
    endResetModel();
    fetchMore({});
}

bool DeadLetterModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_atEnd && !m_reading && m_error.isEmpty() && m_query != 0;
}

void DeadLetterModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent)) {
        return;
    }
    m_reading = true;
    ++m_pagesRequested;
    m_source->requestPage(m_pageSize);
    Q_EMIT stateChanged();
}

std::uint64_t DeadLetterModel::storeText(const std::string &text, std::uint16_t &length)
{
    const std::size_t size = std::min<std::size_t>(text.size(), UINT16_MAX);
    length = static_cast<std::uint16_t>(size);
    if (m_text.empty() || m_textUsed + size > kTextChunk) {
        m_text.push_back(std::make_unique_for_overwrite<char[]>(kTextChunk));
        m_textUsed = 0;
    }
    std::memcpy(m_text.back().get() + m_textUsed, text.data(), size);
    const std::uint64_t at = (m_text.size() - 1) * kTextChunk + m_textUsed;
    m_textUsed += size;
    return at;
}

QString DeadLetterModel::textAt(const Row &row) const
{
    const char *chunk = m_text[row.messageAt / kTextChunk].get();
    return QString::fromUtf8(chunk + row.messageAt % kTextChunk, row.messageLength);
}

void DeadLetterModel::addPage(const DeadLetterPagePtr &page)
{
    if (!page || page->query != m_query) {
        return;
    }
    m_reading = false;
    m_scanned = page->scanned;
    m_total = page->total;
    if (!page->error.isEmpty()) {
        m_error = page->error;
        Q_EMIT stateChanged();
        return;
    }
    m_atEnd = page->atEnd;
    if (!page->rows.empty()) {
        const int first = rowCount();
        beginInsertRows({}, first, first + static_cast<int>(page->rows.size()) - 1);
        for (std::size_t i = 0; i < page->rows.size(); ++i) {
            const ops::DeadLetterSummary &s = page->rows[i];
            Row row;
            row.timestampMs = s.timestampMs;
            row.offset = s.offset;
            row.partition = s.partition;
            row.originalOffset = s.originalOffset.value_or(-1);
            row.originalPartition = s.originalPartition.value_or(-1);
            row.tenant = m_pool.intern(s.tenant);
            row.group = m_pool.intern(s.group);
            row.errorClass = m_pool.intern(s.errorClass);
            row.originalTopic = m_pool.intern(s.originalTopic);
            row.messageAt = storeText(s.errorMessage, row.messageLength);
            row.attempts = static_cast<std::uint16_t>(std::clamp(s.attempts, 0, 65535));
            row.noteCount = static_cast<std::uint8_t>(std::clamp(s.noteCount, 0, 255));
            if (i < page->redrive.size() && page->redrive[i].known) {
                row.flags |= kRedriveKnown;
                row.flags |= page->redrive[i].inTask ? kInTask : 0;
                row.redriven =
                    static_cast<std::uint16_t>(std::clamp(page->redrive[i].redriven, 0, 65535));
            }
            m_rows.push_back(row);
        }
        endInsertRows();
    }
    Q_EMIT stateChanged();
}

std::int32_t DeadLetterModel::partitionAt(int row) const
{
    return m_rows.at(static_cast<std::size_t>(row)).partition;
}

std::int64_t DeadLetterModel::offsetAt(int row) const
{
    return m_rows.at(static_cast<std::size_t>(row)).offset;
}

QString DeadLetterModel::coordinatesAt(int row) const
{
    const Row &r = m_rows.at(static_cast<std::size_t>(row));
    return QStringLiteral("%1:%2:%3")
        .arg(QString::fromStdString(m_filter.topic))
        .arg(r.partition)
        .arg(r.offset);
}

std::size_t DeadLetterModel::bytesUsed() const
{
    return m_rows.size() * sizeof(Row) + m_text.size() * kTextChunk + m_pool.bytes();
}

int DeadLetterModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int DeadLetterModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString DeadLetterModel::originText(const Row &row) const
{
    const QString &topic = m_pool.at(row.originalTopic);
    return QString::fromStdString(ops::formatRecordAddress(
        topic.isEmpty() ? std::string("?") : topic.toStdString(),
        row.originalPartition < 0 ? std::nullopt : std::optional(row.originalPartition),
        row.originalOffset < 0 ? std::nullopt : std::optional(row.originalOffset)));
}

QString DeadLetterModel::redriveText(const Row &row) const
{
    if ((row.flags & kRedriveKnown) == 0) {
        return QStringLiteral("–");
    }
    if ((row.flags & kInTask) != 0) {
        return tr("in a task");
    }
    if (row.redriven == 0) {
        return tr("none");
    }
    return row.redriven == 1 ? tr("redriven once") : tr("redriven %1 times").arg(row.redriven);
}

QVariant DeadLetterModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount()) {
        return {};
    }
    const Row &row = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Time:
            return timeText(row.timestampMs);
        case Tenant:
        case Group:
        case ErrorClass: {
            const QString &text = m_pool.at(index.column() == Tenant ? row.tenant
                                            : index.column() == Group ? row.group
                                                                      : row.errorClass);
            return text.isEmpty() ? QStringLiteral("–") : text;
        }
        case Message:
            return textAt(row);
        case Attempts:
            return static_cast<int>(row.attempts);
        case Origin:
            return originText(row);
        case RedriveState:
            return redriveText(row);
        default:
            return {};
        }
    case Qt::ToolTipRole:
        if (index.column() == Message) {
            return textAt(row);
        }
        if (index.column() == Origin && row.noteCount > 0) {
            return tr("Some of its headers are missing or unreadable: see the detail pane.");
        }
        if (index.column() == RedriveState && (row.flags & kRedriveKnown) == 0) {
            return tr("Unknown: no redrive ledger in this console's data directory.");
        }
        return {};
    case Qt::ForegroundRole: {
        const bool unknown = (index.column() == RedriveState && (row.flags & kRedriveKnown) == 0)
            || (index.column() == Tenant && m_pool.at(row.tenant).isEmpty())
            || (index.column() == Group && m_pool.at(row.group).isEmpty())
            || (index.column() == ErrorClass && m_pool.at(row.errorClass).isEmpty());
        if (unknown) {
            return QBrush(kGrey);
        }
        if (index.column() == Origin && row.noteCount > 0) {
            return QBrush(kAmber);
        }
        if (index.column() == RedriveState && (row.flags & kInTask) != 0) {
            return QBrush(kAmber);
        }
        return {};
    }
    case Qt::TextAlignmentRole:
        return index.column() == Attempts ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                          : QVariant();
    case CoordinatesRole:
        return coordinatesAt(index.row());
    case PartitionRole:
        return row.partition;
    case OffsetRole:
        return static_cast<qint64>(row.offset);
    case TimestampRole:
        return static_cast<qint64>(row.timestampMs);
    default:
        return {};
    }
}

QVariant DeadLetterModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case Time:
        return tr("Time");
    case Tenant:
        return tr("Tenant");
    case Group:
        return tr("Failing group");
    case ErrorClass:
        return tr("Error class");
    case Message:
        return tr("Message");
    case Attempts:
        return tr("Attempts");
    case Origin:
        return tr("Origin");
    case RedriveState:
        return tr("Redrive state");
    default:
        return {};
    }
}

void DeadLetterGroupModel::setCounts(std::shared_ptr<const ops::DeadLetterCounts> counts)
{
    beginResetModel();
    m_counts = std::move(counts);
    endResetModel();
}

const ops::DeadLetterGroupCount *DeadLetterGroupModel::groupAt(int row) const
{
    if (!m_counts || row < 0 || row >= rowCount()) {
        return nullptr;
    }
    return &m_counts->groups[static_cast<std::size_t>(row)];
}

int DeadLetterGroupModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() || !m_counts ? 0 : static_cast<int>(m_counts->groups.size());
}

int DeadLetterGroupModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DeadLetterGroupModel::data(const QModelIndex &index, int role) const
{
    const ops::DeadLetterGroupCount *group = index.isValid() ? groupAt(index.row()) : nullptr;
    if (group == nullptr) {
        return {};
    }
    const auto text = [](const std::string &s) {
        return s.empty() ? QStringLiteral("–") : QString::fromStdString(s);
    };
    if (role == Qt::DisplayRole || role == SortRole) {
        switch (index.column()) {
        case ErrorClass:
            return text(group->errorClass);
        case Group:
            return text(group->group);
        case Tenant:
            return text(group->tenant);
        case Count:
            return role == SortRole ? QVariant(static_cast<qint64>(group->count))
                                    : QVariant(QLocale().toString(static_cast<qint64>(group->count)));
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() == Count) {
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant DeadLetterGroupModel::headerData(int section, Qt::Orientation orientation,
                                          int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case ErrorClass:
        return tr("Error class");
    case Group:
        return tr("Failing group");
    case Tenant:
        return tr("Tenant");
    case Count:
        return tr("Dead letters");
    default:
        return {};
    }
}

} // namespace logdeck::ui
