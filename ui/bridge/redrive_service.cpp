#include "bridge/redrive_service.h"

#include "engine.h"
#include "engine_info.h"
#include "ops/redrive_runner.h"
#include "store/database.h"

#include <QElapsedTimer>
#include <QTimer>
#include <algorithm>
#include <filesystem>
#include <functional>

namespace logdeck::ui {

namespace {

constexpr std::chrono::milliseconds kClusterTimeout {15000};
/// The outcomes read the dead-letter topics: at least this long between two reads, and
/// three times as long as the last one took.
constexpr int kMinOutcomePollMs = 2000;

QString qs(const std::string &text)
{
    return QString::fromStdString(text);
}

RedrivePlanSummary summaryOf(const ops::RedrivePlan &plan)
{
    RedrivePlanSummary summary;
    summary.spec = plan.spec;
    summary.selected = static_cast<std::int64_t>(plan.candidates.size());
    summary.toMove = plan.toMove;
    summary.toSkip = plan.toSkip;
    summary.permanent = plan.permanent;
    summary.byGroup = plan.byGroup;
    summary.byTenant = plan.byTenant;
    summary.byErrorClass = plan.byErrorClass;
    summary.byTarget = plan.byTarget;
    for (const auto &candidate : plan.candidates) {
        if (!candidate.skip && ops::isPermanentFailure(candidate.letter)) {
            summary.permanentByErrorClass[candidate.letter.errorClass] += 1;
        }
    }
    return summary;
}

RedriveTaskInfo infoOf(store::RedriveTaskRow row)
{
    RedriveTaskInfo info;
    if (const auto spec = ops::RedriveSpec::fromJson(row.spec); spec) {
        info.rate = spec->ratePerSecond;
        info.target = qs(spec->target.toString());
    } else {
        info.target = QStringLiteral("?");
    }
    info.finished = ops::isFinishedRedriveState(row.state);
    info.row = std::move(row);
    return info;
}

} // namespace

/// Runs the tasks of an attached console, one at a time, on the service's second thread.
class RedriveRunWorker : public QObject
{
    Q_OBJECT

public:
    explicit RedriveRunWorker(RedriveService *service)
        : m_service(service)
    {
    }

    void run(std::uint64_t epoch, std::uint64_t generation,
             const ops::RedriveRunnerOptions &options, const std::string &taskId)
    {
        {
            const std::lock_guard lock(m_service->m_runMutex);
            if (m_service->m_runGeneration != epoch) {
                return; // the target changed before this run began
            }
            m_service->m_stopRun = false;
        }
        auto left = ops::runRedriveTaskHere(options, taskId, m_service->m_stopRun,
                                            /*waitWhilePaused=*/false);
        const QString id = qs(taskId);
        const QString state = left ? qs(left->state) : QString();
        const QString error = left ? qs(left->error) : qs(left.error().message);
        QMetaObject::invokeMethod(
            m_service,
            [service = m_service, generation, id, state, error] {
                if (service->m_target.generation == generation) {
                    Q_EMIT service->runEnded(id, state, error);
                }
            },
            Qt::QueuedConnection);
    }

private:
    RedriveService *m_service;
};

/// Lives on the service's thread; every member runs there.
class RedriveWorker : public QObject
{
    Q_OBJECT

public:
    explicit RedriveWorker(RedriveService *service)
        : m_service(service)
        , m_tasksTimer(new QTimer(this))
        , m_outcomesTimer(new QTimer(this))
    {
        m_tasksTimer->setInterval(RedriveService::kPollIntervalMs);
        connect(m_tasksTimer, &QTimer::timeout, this, [this] { listTasks(0); });
        m_outcomesTimer->setSingleShot(true);
        connect(m_outcomesTimer, &QTimer::timeout, this, &RedriveWorker::pollOutcomes);
    }

    void setTarget(OpsTarget target, std::uint64_t runEpoch)
    {
        m_target = std::move(target);
        m_runEpoch = runEpoch;
        m_db.reset();
        m_tasksTimer->stop();
        m_outcomesTimer->stop();
        if (!m_target.isSet()) {
            // Whoever shows the tasks of the old target shows none now.
            deliver([](RedriveService &service) { Q_EMIT service.tasksListed(0, {}, {}); });
        }
        setPolling(m_wantPolling, m_watched);
    }

    void setPolling(bool on, const QString &taskId)
    {
        const bool watchedChanged = taskId != m_watched;
        m_wantPolling = on;
        m_polling = on && m_target.isSet();
        m_watched = taskId;
        if (!m_polling) {
            m_tasksTimer->stop();
            m_outcomesTimer->stop();
            return;
        }
        if (!m_tasksTimer->isActive()) {
            m_tasksTimer->start();
            listTasks(0);
        }
        if (watchedChanged || !m_outcomesTimer->isActive()) {
            m_outcomesTimer->stop();
            if (!m_watched.isEmpty()) {
                pollOutcomes();
            }
        }
    }

    void plan(std::uint64_t id, const ops::RedriveSpec &spec)
    {
        auto planned = makePlan(spec);
        deliver([id, summary = planned ? summaryOf(*planned) : RedrivePlanSummary {},
                 error = errorOf(planned)](RedriveService &service) {
            Q_EMIT service.planned(id, summary, error);
        });
    }

    void start(std::uint64_t id, const ops::RedriveSpec &spec)
    {
        Result<std::string> task = fail(Error::unavailable("not connected"));
        if (m_target.engine) {
            task = m_target.engine->startRedrive(spec);
        } else if (m_target.isSet()) {
            // As `dlq redrive --execute`: the engine running on the data directory runs the
            // task; without one, it runs here.
            auto planned = makePlan(spec);
            auto db = database(true);
            task = !planned ? Result<std::string>(fail(planned.error()))
                : !db       ? Result<std::string>(fail(db.error()))
                            : ops::createRedriveTask(**db, *planned);
            if (task && !engineRunsOn(m_target.dataDir)) {
                runHere(*task);
            }
        }
        deliver([id, taskId = task ? qs(*task) : QString(),
                 error = errorOf(task)](RedriveService &service) {
            Q_EMIT service.started(id, taskId, error);
        });
        if (m_polling) {
            listTasks(0);
        }
    }

    void listTasks(std::uint64_t id)
    {
        Result<std::vector<store::RedriveTaskRow>> rows = fail(Error::unavailable("not connected"));
        if (m_target.engine) {
            rows = m_target.engine->redriveTasks(RedriveService::kTaskLimit);
        } else if (m_target.isSet()) {
            auto db = database(false);
            rows = !db   ? Result<std::vector<store::RedriveTaskRow>>(fail(db.error()))
                : !*db   ? std::vector<store::RedriveTaskRow> {} // no database: no task yet
                         : store::RedriveStore(**db).tasks(RedriveService::kTaskLimit);
        }
        RedriveTaskList tasks;
        if (rows) {
            for (auto &row : *rows) {
                tasks.push_back(infoOf(std::move(row)));
            }
        }
        deliver([id, tasks = std::move(tasks), error = errorOf(rows)](RedriveService &service) {
            Q_EMIT service.tasksListed(id, tasks, error);
        });
    }

    enum class Change { Pause, Resume, Cancel };

    void change(std::uint64_t id, const QString &taskId, Change what)
    {
        const std::string task = taskId.toStdString();
        Result<store::RedriveTaskRow> row = fail(Error::unavailable("not connected"));
        if (m_target.engine) {
            row = what == Change::Pause ? m_target.engine->pauseRedrive(task)
                : what == Change::Resume ? m_target.engine->resumeRedrive(task)
                                         : m_target.engine->cancelRedrive(task);
        } else if (m_target.isSet()) {
            auto db = database(true);
            row = !db                    ? Result<store::RedriveTaskRow>(fail(db.error()))
                : what == Change::Pause  ? ops::pauseRedriveTask(**db, task)
                : what == Change::Resume ? ops::resumeRedriveTask(**db, task)
                                         : ops::cancelRedriveTask(**db, task);
            // As `dlq resume` without an engine: the task runs here again.
            if (row && what == Change::Resume && !engineRunsOn(m_target.dataDir)) {
                runHere(task);
            }
        }
        deliver([id, taskId, state = row ? qs(row->state) : QString(),
                 error = errorOf(row)](RedriveService &service) {
            Q_EMIT service.taskChanged(id, taskId, state, error);
        });
        if (m_polling) {
            listTasks(0);
        }
    }

    /// Returns whether the outcomes can still change (the task runs, or a moved record's
    /// outcome is still to come).
    bool outcomes(std::uint64_t id, const QString &taskId)
    {
        auto result = std::make_shared<RedriveTaskOutcomes>();
        Result<void> done;
        if (!m_target.isSet()) {
            done = fail(Error::unavailable("not connected"));
        } else if (auto db = database(false); !db || !*db) {
            done = !db ? Result<void>(fail(db.error()))
                       : Result<void>(fail(Error::notFound(
                             "no redrive task '" + taskId.toStdString() + "' in "
                             + m_target.dataDir)));
        } else if (auto details = ops::redriveTaskDetails(**db, taskId.toStdString());
                   !details) {
            done = fail(details.error());
        } else {
            result->details = std::move(*details);
            auto rows = ops::redriveOutcomes(m_target.cluster, m_target.dataDir,
                                             result->details.ledger, kClusterTimeout);
            if (rows) {
                result->outcomes = ops::RedriveOutcomeIndex(*rows);
                result->outcomesKnown = true;
            } else {
                result->outcomesError = qs(rows.error().message);
            }
        }
        bool changing = false;
        if (done) {
            const auto &task = result->details.task;
            changing = !ops::isFinishedRedriveState(task.state) || !result->outcomesKnown
                || result->outcomes.count(task.id, ops::RedriveOutcome::NotReached) > 0;
        }
        deliver([id, taskId, outcomes = done ? RedriveTaskOutcomesPtr(result) : nullptr,
                 error = errorOf(done)](RedriveService &service) {
            Q_EMIT service.outcomesReady(id, taskId, outcomes, error);
        });
        return changing;
    }

    void pollOutcomes()
    {
        if (!m_polling || m_watched.isEmpty()) {
            return;
        }
        QElapsedTimer took;
        took.start();
        if (outcomes(0, m_watched)) {
            m_outcomesTimer->start(
                std::max<int>(kMinOutcomePollMs, static_cast<int>(3 * took.elapsed())));
        }
    }

private:
    template<typename T>
    static QString errorOf(const Result<T> &result)
    {
        return result ? QString() : qs(result.error().message);
    }

    /// Hands `emitter` to the service's thread, where it runs unless the target changed.
    void deliver(std::function<void(RedriveService &)> emitter)
    {
        QMetaObject::invokeMethod(
            m_service,
            [service = m_service, generation = m_target.generation,
             emitter = std::move(emitter)] {
                if (service->m_target.generation == generation) {
                    emitter(*service);
                }
            },
            Qt::QueuedConnection);
    }

    /// The data directory's engine database, opened once per target. Without `create`,
    /// null (and no file made) when there is none yet.
    Result<store::Database *> database(bool create)
    {
        if (!m_target.isSet()) {
            return fail(Error::unavailable("not connected"));
        }
        if (!m_db) {
            const std::string path = store::Database::pathIn(m_target.dataDir);
            if (std::error_code ec; !create && !std::filesystem::exists(path, ec)) {
                return nullptr;
            }
            auto db = store::Database::open(path);
            if (!db) {
                return fail(db.error());
            }
            m_db = std::move(*db);
        }
        return m_db.get();
    }

    Result<ops::RedrivePlan> makePlan(const ops::RedriveSpec &spec)
    {
        auto db = database(true);
        if (!db) {
            return fail(db.error());
        }
        return ops::planRedrive(m_target.cluster, **db, spec, kClusterTimeout);
    }

    void runHere(const std::string &taskId)
    {
        ops::RedriveRunnerOptions options;
        options.cluster = m_target.cluster;
        options.dataDir = m_target.dataDir;
        options.runnerId = ops::foregroundRunnerId("console");
        QMetaObject::invokeMethod(
            m_service->m_runWorker,
            [worker = m_service->m_runWorker, epoch = m_runEpoch,
             generation = m_target.generation, options, taskId] {
                worker->run(epoch, generation, options, taskId);
            },
            Qt::QueuedConnection);
    }

    RedriveService *m_service;
    OpsTarget m_target;
    std::uint64_t m_runEpoch = 0;
    std::unique_ptr<store::Database> m_db;
    QTimer *m_tasksTimer;
    QTimer *m_outcomesTimer;
    bool m_wantPolling = false; ///< what the panel asked for, kept across targets
    bool m_polling = false;
    QString m_watched;
};

RedriveService::RedriveService(QObject *parent)
    : QObject(parent)
    , m_worker(new RedriveWorker(this))
    , m_runWorker(new RedriveRunWorker(this))
{
    qRegisterMetaType<RedrivePlanSummary>();
    qRegisterMetaType<RedriveTaskList>();
    qRegisterMetaType<RedriveTaskOutcomesPtr>();
    m_thread.setObjectName(QStringLiteral("logdeck-redrive"));
    m_runThread.setObjectName(QStringLiteral("logdeck-redrive-run"));
    m_worker->moveToThread(&m_thread);
    m_runWorker->moveToThread(&m_runThread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(&m_runThread, &QThread::finished, m_runWorker, &QObject::deleteLater);
    m_thread.start();
    m_runThread.start();
}

RedriveService::~RedriveService()
{
    stop();
    m_thread.quit();
    m_runThread.quit();
    m_thread.wait();
    m_runThread.wait();
}

void RedriveService::stopRuns(std::uint64_t epoch)
{
    const std::lock_guard lock(m_runMutex);
    m_runGeneration = epoch;
    m_stopRun = true;
}

void RedriveService::setTarget(const OpsTarget &target)
{
    m_target = target;
    std::uint64_t epoch = 0;
    {
        const std::lock_guard lock(m_runMutex);
        epoch = m_runGeneration + 1;
    }
    stopRuns(epoch);
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, target, epoch] { worker->setTarget(target, epoch); },
        Qt::QueuedConnection);
}

void RedriveService::stop()
{
    std::uint64_t epoch = 0;
    {
        const std::lock_guard lock(m_runMutex);
        epoch = m_runGeneration + 1;
    }
    stopRuns(epoch);
    OpsTarget none;
    none.generation = m_target.generation + 1;
    m_target = none;
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, none, epoch] { worker->setTarget(none, epoch); },
        Qt::BlockingQueuedConnection);
    // The run in hand sees the stop before its next batch and pauses its task.
    QMetaObject::invokeMethod(m_runWorker, [] {}, Qt::BlockingQueuedConnection);
}

std::uint64_t RedriveService::post(std::function<void(RedriveWorker &, std::uint64_t)> work)
{
    const auto id = ++m_lastRequest;
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, id, work = std::move(work)] { work(*worker, id); },
        Qt::QueuedConnection);
    return id;
}

std::uint64_t RedriveService::plan(const ops::RedriveSpec &spec)
{
    return post([spec](RedriveWorker &worker, std::uint64_t id) { worker.plan(id, spec); });
}

std::uint64_t RedriveService::start(const ops::RedriveSpec &spec)
{
    return post([spec](RedriveWorker &worker, std::uint64_t id) { worker.start(id, spec); });
}

std::uint64_t RedriveService::listTasks()
{
    return post([](RedriveWorker &worker, std::uint64_t id) { worker.listTasks(id); });
}

std::uint64_t RedriveService::pause(const QString &taskId)
{
    return post([taskId](RedriveWorker &worker, std::uint64_t id) {
        worker.change(id, taskId, RedriveWorker::Change::Pause);
    });
}

std::uint64_t RedriveService::resume(const QString &taskId)
{
    return post([taskId](RedriveWorker &worker, std::uint64_t id) {
        worker.change(id, taskId, RedriveWorker::Change::Resume);
    });
}

std::uint64_t RedriveService::cancel(const QString &taskId)
{
    return post([taskId](RedriveWorker &worker, std::uint64_t id) {
        worker.change(id, taskId, RedriveWorker::Change::Cancel);
    });
}

std::uint64_t RedriveService::requestOutcomes(const QString &taskId)
{
    return post(
        [taskId](RedriveWorker &worker, std::uint64_t id) { (void)worker.outcomes(id, taskId); });
}

void RedriveService::setPolling(bool on, const QString &taskId)
{
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, on, taskId] { worker->setPolling(on, taskId); },
        Qt::QueuedConnection);
}

} // namespace logdeck::ui

#include "redrive_service.moc"
