#include "bridge/dead_letter_service.h"

#include "common/time_format.h"
#include "kafka/record_headers.h"
#include "store/database.h"

#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>
#include <chrono>
#include <filesystem>

namespace logdeck::ui {

namespace {

using namespace std::chrono_literals;

/// How long the cluster may answer nothing before a read fails.
constexpr std::chrono::milliseconds kTimeout = 15s;
/// Progress is reported at most this often.
constexpr auto kProgressEvery = 200ms;

QString text(const Error &error)
{
    return QString::fromStdString(error.message);
}

/// Calls `report` at most every kProgressEvery.
class Throttle
{
public:
    bool due()
    {
        const auto now = std::chrono::steady_clock::now();
        if (now - m_last < kProgressEvery) {
            return false;
        }
        m_last = now;
        return true;
    }

private:
    std::chrono::steady_clock::time_point m_last {};
};

QString hexDump(const std::string &bytes)
{
    constexpr std::size_t kLine = 16;
    constexpr std::size_t kShown = 64 * 1024; // a bigger value is cut, and says so
    QString dump;
    const std::size_t size = std::min(bytes.size(), kShown);
    for (std::size_t at = 0; at < size; at += kLine) {
        QString hex;
        QString ascii;
        for (std::size_t i = at; i < at + kLine; ++i) {
            if (i < size) {
                const auto c = static_cast<unsigned char>(bytes[i]);
                hex += QStringLiteral("%1 ").arg(c, 2, 16, QLatin1Char('0'));
                ascii += QLatin1Char(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
            } else {
                hex += QStringLiteral("   ");
            }
            if (i % kLine == 7) {
                hex += QLatin1Char(' ');
            }
        }
        dump += QStringLiteral("%1  %2 |%3|\n").arg(at, 8, 16, QLatin1Char('0')).arg(hex, ascii);
    }
    if (bytes.size() > size) {
        dump += QObject::tr("… %1 more bytes\n").arg(bytes.size() - size);
    }
    return dump;
}

/// The headers as people read them, flagged where the decoding noted a problem.
std::vector<DecodedHeader> decodeHeaders(const ops::DeadLetter &letter)
{
    namespace h = kafka::headers;
    std::vector<DecodedHeader> result;
    for (const auto &header : letter.headers) {
        DecodedHeader d;
        d.name = QString::fromStdString(header.name);
        const std::string_view name = header.name;
        static const std::string_view logdeckNames[] = {
            h::kEventId,       h::kTenantId,        h::kContentType,      h::kReceivedAt,
            h::kOriginalTopic, h::kOriginalPartition, h::kOriginalOffset, h::kOriginalTimestamp,
            h::kFailingGroup,  h::kErrorClass,      h::kErrorMessage,     h::kAttempt,
            h::kDueAt,         h::kDueAtMs,         h::kAttempts,         h::kDeadLetteredAt,
            h::kRedriveCount,  h::kRedrivenBy,      h::kRedrivenAt,       h::kRedriveTask};
        d.family = name.starts_with(h::kSpringPrefix)         ? QStringLiteral("Spring")
            : name.starts_with(h::kConnectPrefix)              ? QStringLiteral("Connect")
            : std::ranges::find(logdeckNames, name) != std::end(logdeckNames)
            ? QStringLiteral("Logdeck")
            : QStringLiteral("Other");
        const bool springNumber = name == h::kSpringOriginalPartition
            || name == h::kSpringOriginalOffset || name == h::kSpringOriginalTimestamp;
        const bool binary = std::ranges::any_of(header.value, [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u < 0x20 && c != '\t' && c != '\n' && c != '\r';
        });
        if (springNumber && binary && (header.value.size() == 4 || header.value.size() == 8)) {
            d.value = QObject::tr("%1 (%2-byte big-endian)")
                          .arg(h::fromBigEndian(header.value))
                          .arg(header.value.size());
        } else if (binary) {
            d.value = ops::headerText(header.value);
        } else {
            d.value = QString::fromUtf8(header.value.data(),
                                        static_cast<qsizetype>(header.value.size()));
        }
        d.multiline = d.value.contains(QLatin1Char('\n'));
        for (const auto &note : letter.notes) {
            if (note.starts_with(header.name + " ")) {
                d.problem = QString::fromStdString(note.substr(header.name.size() + 1));
            }
        }
        result.push_back(std::move(d));
    }
    return result;
}

void describeValue(DeadLetterDetail &detail)
{
    const ops::ShownValue shown = ops::showValue(detail.letter);
    switch (shown.encoding) {
    case ops::ShownValue::Encoding::Null:
        detail.valueKind = QObject::tr("null");
        return;
    case ops::ShownValue::Encoding::Base64:
        detail.valueKind =
            QObject::tr("binary (%1 bytes)").arg(static_cast<qint64>(detail.letter.value.size()));
        detail.valueText = hexDump(detail.letter.value);
        return;
    case ops::ShownValue::Encoding::Text:
        break;
    }
    if (shown.text.empty()) {
        detail.valueKind = QObject::tr("empty");
        return;
    }
    QJsonParseError error {};
    const QJsonDocument json = QJsonDocument::fromJson(QByteArray::fromStdString(shown.text), &error);
    if (error.error == QJsonParseError::NoError && !json.isNull()) {
        detail.valueKind = QObject::tr("JSON");
        detail.valueText = QString::fromUtf8(json.toJson(QJsonDocument::Indented));
    } else {
        detail.valueKind = QObject::tr("text");
        detail.valueText = QString::fromStdString(shown.text);
    }
}

} // namespace

/// Where a worker reads, as of its last setTarget.
struct WorkerTarget
{
    std::uint64_t generation = 0;
    kafka::ClientSettings cluster;
    std::string dataDir;
};

/// Lives on the reader thread: the current query's reader and the redrive ledger.
class DeadLetterReaderWorker : public QObject
{
    Q_OBJECT

public:
    WorkerTarget target;
    std::uint64_t query = 0;
    ops::DeadLetterFilter filter;
    std::unique_ptr<ops::DeadLetterReader> reader;
    QString readerError;
    std::unique_ptr<store::Database> database;
    bool databaseTried = false;

    void retarget(WorkerTarget next)
    {
        target = std::move(next);
        reader.reset();
        readerError.clear();
        database.reset();
        databaseTried = false;
    }

    /// The ledger of the target's data directory, when it has one; never creates one.
    store::Database *ledger()
    {
        if (!databaseTried) {
            databaseTried = true;
            const std::string path = store::Database::pathIn(target.dataDir);
            std::error_code ec;
            if (!target.dataDir.empty() && std::filesystem::exists(path, ec)) {
                if (auto db = store::Database::open(path)) {
                    database = std::move(*db);
                }
            }
        }
        return database.get();
    }

    std::vector<RedriveMark> marksOf(const std::vector<ops::DeadLetterSummary> &rows)
    {
        std::vector<RedriveMark> marks(rows.size());
        store::Database *db = ledger();
        if (db == nullptr || rows.empty()) {
            return marks;
        }
        std::vector<std::pair<std::int32_t, std::int64_t>> coordinates;
        coordinates.reserve(rows.size());
        for (const auto &row : rows) {
            coordinates.emplace_back(row.partition, row.offset);
        }
        auto states = store::RedriveStore(*db).redriveStates(filter.topic, coordinates);
        if (!states) {
            return marks;
        }
        for (std::size_t i = 0; i < rows.size(); ++i) {
            marks[i] = {true, (*states)[i].redriven, (*states)[i].inTask};
        }
        return marks;
    }
};

/// Lives on the bulk thread: counts and exports, one at a time.
class DeadLetterBulkWorker : public QObject
{
    Q_OBJECT

public:
    WorkerTarget target;
};

DeadLetterService::DeadLetterService(QObject *parent)
    : DeadLetterPageSource(parent)
    , m_reader(new DeadLetterReaderWorker)
    , m_bulk(new DeadLetterBulkWorker)
    , m_latestQuery(std::make_shared<std::atomic<std::uint64_t>>(0))
    , m_latestBulk(std::make_shared<std::atomic<std::uint64_t>>(0))
{
    qRegisterMetaType<DeadLetterPagePtr>();
    qRegisterMetaType<DeadLetterDetailPtr>();
    qRegisterMetaType<DeadLetterCountsPtr>();
    m_readerThread.setObjectName(QStringLiteral("logdeck-dlq-reader"));
    m_bulkThread.setObjectName(QStringLiteral("logdeck-dlq-bulk"));
    m_reader->moveToThread(&m_readerThread);
    m_bulk->moveToThread(&m_bulkThread);
    connect(&m_readerThread, &QThread::finished, m_reader, &QObject::deleteLater);
    connect(&m_bulkThread, &QThread::finished, m_bulk, &QObject::deleteLater);
    m_readerThread.start();
    m_bulkThread.start();
}

DeadLetterService::~DeadLetterService()
{
    m_latestQuery->store(UINT64_MAX);
    m_latestBulk->store(UINT64_MAX);
    for (QThread *thread : {&m_readerThread, &m_bulkThread}) {
        thread->quit();
        thread->wait();
    }
}

template <typename Work>
void DeadLetterService::onReader(Work work)
{
    QMetaObject::invokeMethod(
        m_reader, [worker = m_reader, work = std::move(work)]() mutable { work(*worker); },
        Qt::QueuedConnection);
}

template <typename Work>
void DeadLetterService::onBulk(Work work)
{
    QMetaObject::invokeMethod(
        m_bulk, [worker = m_bulk, work = std::move(work)]() mutable { work(*worker); },
        Qt::QueuedConnection);
}

template <typename Emit>
void DeadLetterService::answer(std::uint64_t generation, Emit emitIt)
{
    QMetaObject::invokeMethod(
        this,
        [this, generation, emitIt = std::move(emitIt)] {
            if (generation == m_target.generation) {
                emitIt();
            }
        },
        Qt::QueuedConnection);
}

QString DeadLetterService::setTimes(ops::DeadLetterFilter &filter,
                                   const std::optional<std::string> &since,
                                   const std::optional<std::string> &until)
{
    auto set = ops::setDeadLetterTimes(filter, since, until, nowMillis(), "");
    if (!set) {
        QString message = text(set.error());
        message[0] = message[0].toUpper();
        return message;
    }
    return {};
}

void DeadLetterService::setTarget(const OpsTarget &target)
{
    m_target = target;
    m_latestQuery->store(++m_lastRequest);
    m_latestBulk->store(m_lastRequest);
    WorkerTarget next {target.generation, target.cluster, target.dataDir};
    onReader([next](DeadLetterReaderWorker &worker) { worker.retarget(next); });
    onBulk([next](DeadLetterBulkWorker &worker) { worker.target = next; });
}

std::uint64_t DeadLetterService::listTopics()
{
    const auto id = ++m_lastRequest;
    onReader([this, id](DeadLetterReaderWorker &worker) {
        QStringList topics;
        QString error;
        if (worker.target.cluster.empty()) {
            error = tr("not connected");
        } else if (auto found = ops::listDeadLetterTopics(worker.target.cluster, kTimeout)) {
            for (const auto &name : *found) {
                topics << QString::fromStdString(name);
            }
        } else {
            error = text(found.error());
        }
        answer(worker.target.generation,
               [this, id, topics, error] { Q_EMIT topicsListed(id, topics, error); });
    });
    return id;
}

std::uint64_t DeadLetterService::startQuery(const ops::DeadLetterFilter &filter)
{
    const auto id = ++m_lastRequest;
    m_latestQuery->store(id);
    onReader([id, filter](DeadLetterReaderWorker &worker) {
        worker.query = id;
        worker.filter = filter;
        worker.reader.reset(); // opened by the first page, so that a newer query skips it
        worker.readerError.clear();
    });
    return id;
}

void DeadLetterService::requestPage(int pageSize)
{
    const auto latest = m_latestQuery;
    onReader([this, pageSize, latest](DeadLetterReaderWorker &worker) {
        const std::uint64_t query = worker.query;
        if (latest->load() != query) {
            return; // a newer query or target is on its way
        }
        auto page = std::make_shared<DeadLetterPage>();
        page->query = query;
        const auto done = [&] {
            answer(worker.target.generation, [this, page = DeadLetterPagePtr(page)] {
                Q_EMIT pageArrived(page);
            });
        };
        if (worker.target.cluster.empty()) {
            page->error = tr("not connected");
            return done();
        }
        if (!worker.reader && worker.readerError.isEmpty()) {
            auto opened = ops::DeadLetterReader::open(worker.target.cluster, worker.filter,
                                                      kTimeout, {});
            if (opened) {
                worker.reader = std::move(*opened);
            } else {
                worker.readerError = text(opened.error());
            }
        }
        if (!worker.reader) {
            page->error = worker.readerError;
            return done();
        }
        Throttle throttle;
        const std::uint64_t generation = worker.target.generation;
        auto rows = worker.reader->nextPage(
            static_cast<std::size_t>(std::max(1, pageSize)), kTimeout,
            [&](std::int64_t scanned, std::int64_t total) {
                if (throttle.due()) {
                    answer(generation, [this, query, scanned, total] {
                        Q_EMIT pageProgress(query, scanned, total);
                    });
                }
                return latest->load() == query;
            });
        page->scanned = worker.reader->scanned();
        page->total = worker.reader->total();
        if (!rows) {
            worker.reader.reset();
            if (rows.error().code == Error::Code::Cancelled) {
                return;
            }
            worker.readerError = text(rows.error());
            page->error = worker.readerError;
            return done();
        }
        page->rows = std::move(*rows);
        page->redrive = worker.marksOf(page->rows);
        page->atEnd = worker.reader->atEnd();
        done();
    });
}

std::uint64_t DeadLetterService::fetchDetail(const std::string &topic, std::int32_t partition,
                                             std::int64_t offset)
{
    const auto id = ++m_lastRequest;
    onReader([this, id, topic, partition, offset](DeadLetterReaderWorker &worker) {
        auto detail = std::make_shared<DeadLetterDetail>();
        if (worker.target.cluster.empty()) {
            detail->error = tr("not connected");
        } else if (auto letter = ops::readDeadLetterAt(worker.target.cluster,
                                                       {topic, partition, offset}, kTimeout)) {
            detail->letter = std::move(*letter);
            detail->headers = decodeHeaders(detail->letter);
            describeValue(*detail);
            detail->recordJson = QString::fromUtf8(
                QJsonDocument(ops::deadLetterRecordJson(detail->letter)).toJson(QJsonDocument::Indented));
            if (store::Database *db = worker.ledger()) {
                auto history = store::RedriveStore(*db).ledgerOfDeadLetter(topic, partition,
                                                                            offset);
                if (history) {
                    detail->history = std::move(*history);
                } else {
                    detail->historyError = text(history.error());
                }
            }
        } else {
            detail->error = text(letter.error());
        }
        answer(worker.target.generation, [this, id, detail = DeadLetterDetailPtr(detail)] {
            Q_EMIT detailReady(id, detail);
        });
    });
    return id;
}

std::uint64_t DeadLetterService::countGroups(const ops::DeadLetterFilter &filter)
{
    const auto id = ++m_lastRequest;
    m_latestBulk->store(id);
    onBulk([this, id, filter, latest = m_latestBulk](DeadLetterBulkWorker &worker) {
        if (latest->load() != id) {
            return;
        }
        const std::uint64_t generation = worker.target.generation;
        if (worker.target.cluster.empty()) {
            answer(generation, [this, id] {
                Q_EMIT countsReady(id, {}, tr("not connected"));
            });
            return;
        }
        Throttle throttle;
        auto counts = ops::countDeadLetters(
            worker.target.cluster, filter, kTimeout,
            [&](std::int64_t scanned, std::int64_t total) {
                if (throttle.due()) {
                    answer(generation, [this, id, scanned, total] {
                        Q_EMIT countProgress(id, scanned, total);
                    });
                }
                return latest->load() == id;
            });
        if (!counts && counts.error().code == Error::Code::Cancelled) {
            return;
        }
        DeadLetterCountsPtr result =
            counts ? std::make_shared<const ops::DeadLetterCounts>(std::move(*counts)) : nullptr;
        const QString error = counts ? QString() : text(counts.error());
        answer(generation, [this, id, result, error] { Q_EMIT countsReady(id, result, error); });
    });
    return id;
}

std::uint64_t DeadLetterService::exportLetters(
    const ops::DeadLetterFilter &filter,
    std::vector<std::pair<std::int32_t, std::int64_t>> coordinates, const QString &path)
{
    const auto id = ++m_lastRequest;
    m_latestBulk->store(id);
    onBulk([this, id, filter, coordinates = std::move(coordinates), path,
            latest = m_latestBulk](DeadLetterBulkWorker &worker) {
        const std::uint64_t generation = worker.target.generation;
        qint64 written = 0;
        const auto finish = [&](const QString &error) {
            answer(generation, [this, id, written, error] {
                Q_EMIT exportFinished(id, written, error);
            });
        };
        if (latest->load() != id) {
            return finish(tr("stopped"));
        }
        if (worker.target.cluster.empty()) {
            return finish(tr("not connected"));
        }
        // Written to a temporary file and renamed at the end: a stopped or failed export
        // leaves no half file behind.
        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly)) {
            return finish(tr("cannot write %1: %2").arg(path, file.errorString()));
        }
        const auto write = [&](const ops::DeadLetter &letter) {
            file.write(QJsonDocument(ops::deadLetterRecordJson(letter)).toJson(QJsonDocument::Compact));
            file.write("\n");
            ++written;
        };
        Throttle throttle;
        if (!coordinates.empty()) {
            for (const auto &[partition, offset] : coordinates) {
                if (latest->load() != id) {
                    return finish(tr("stopped"));
                }
                auto letter = ops::readDeadLetterAt(worker.target.cluster,
                                                    {filter.topic, partition, offset}, kTimeout);
                if (!letter) {
                    return finish(text(letter.error()));
                }
                write(*letter);
            }
        } else {
            auto reader = ops::DeadLetterReader::open(worker.target.cluster, filter, kTimeout,
                                                      {.keepPayload = true, .from = std::nullopt});
            if (!reader) {
                return finish(text(reader.error()));
            }
            while (!(*reader)->atEnd()) {
                auto page = (*reader)->nextLetters(
                    500, kTimeout, [&](std::int64_t scanned, std::int64_t total) {
                        if (throttle.due()) {
                            answer(generation, [this, id, written, scanned, total] {
                                Q_EMIT exportProgress(id, written, scanned, total);
                            });
                        }
                        return latest->load() == id;
                    });
                if (!page) {
                    return finish(page.error().code == Error::Code::Cancelled ? tr("stopped")
                                                                             : text(page.error()));
                }
                for (const auto &letter : *page) {
                    write(letter);
                }
            }
        }
        if (!file.commit()) {
            return finish(tr("cannot write %1: %2").arg(path, file.errorString()));
        }
        finish({});
    });
    return id;
}

void DeadLetterService::cancelBulk()
{
    m_latestBulk->store(++m_lastRequest);
}

} // namespace logdeck::ui

#include "dead_letter_service.moc"
