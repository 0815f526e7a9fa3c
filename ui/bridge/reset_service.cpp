#include "bridge/reset_service.h"

namespace logdeck::ui {

/// Lives on the service's thread: the jobs run there, one after another.
class ResetWorker : public QObject
{
    Q_OBJECT
};

namespace {

QString messageOf(const Error &error)
{
    return QString::fromStdString(error.message);
}

} // namespace

ResetService::ResetService(QObject *parent)
    : QObject(parent)
    , m_worker(new ResetWorker)
{
    m_thread.setObjectName(QStringLiteral("logdeck-reset"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

ResetService::~ResetService()
{
    if (m_running) {
        m_running->cancel();
    }
    m_thread.quit();
    m_thread.wait();
}

void ResetService::setTarget(const OpsTarget &target)
{
    m_target = target;
}

ops::ResetContext ResetService::context() const
{
    ops::ResetContext context;
    context.cluster = m_target.cluster;
    context.dataDir = m_target.dataDir;
    context.mockCluster = m_target.mockCluster;
    return context;
}

void ResetService::post(std::function<std::function<void()>()> work)
{
    QMetaObject::invokeMethod(
        m_worker,
        [this, work = std::move(work)] {
            auto deliver = work();
            QMetaObject::invokeMethod(this, std::move(deliver), Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

std::uint64_t ResetService::postPlan(std::function<Result<ops::ResetPlan>(const ops::ResetContext &)> make)
{
    const auto id = ++m_lastRequest;
    const auto generation = m_target.generation;
    const bool set = m_target.isSet();
    post([this, id, generation, set, context = context(),
          make = std::move(make)]() -> std::function<void()> {
        if (!set) {
            return [this, id] { Q_EMIT planReady(id, nullptr, tr("not connected")); };
        }
        auto made = make(context);
        return [this, id, generation, made = std::move(made)] {
            if (!current(generation)) {
                return;
            }
            made ? Q_EMIT planReady(id, std::make_shared<const ops::ResetPlan>(*made), {})
                 : Q_EMIT planReady(id, nullptr, messageOf(made.error()));
        };
    });
    return id;
}

std::uint64_t ResetService::plan(const ops::ResetRequest &request)
{
    return postPlan([request](const ops::ResetContext &context) {
        return ops::planReset(context, request);
    });
}

std::uint64_t ResetService::execute(const ops::ResetPlan &plan)
{
    const auto id = ++m_lastRequest;
    const auto generation = m_target.generation;
    auto cancellation = std::make_shared<ops::ResetCancellation>();
    m_running = cancellation;
    post([this, id, generation, context = context(), plan,
          cancellation]() -> std::function<void()> {
        const auto progress = [this, id, generation](const ops::ResetProgress &step) {
            QMetaObject::invokeMethod(
                this,
                [this, id, generation, step] {
                    if (current(generation)) {
                        Q_EMIT stepReached(id, step.step, QString::fromStdString(step.text),
                                           step.atMs);
                    }
                },
                Qt::QueuedConnection);
        };
        auto done = ops::executeReset(context, plan, progress, cancellation.get());
        return [this, id, generation, cancellation, done = std::move(done)] {
            if (m_running == cancellation) {
                m_running.reset();
            }
            if (!current(generation)) {
                return;
            }
            done ? Q_EMIT executeFinished(id, std::make_shared<const ops::ResetOutcome>(*done), {})
                 : Q_EMIT executeFinished(id, nullptr, messageOf(done.error()));
        };
    });
    return id;
}

bool ResetService::cancel()
{
    return m_running && m_running->cancel();
}

std::uint64_t ResetService::history(const QString &group)
{
    const auto id = ++m_lastRequest;
    const auto generation = m_target.generation;
    post([this, id, generation, dataDir = m_target.dataDir,
          group = group.toStdString()]() -> std::function<void()> {
        auto listed = dataDir.empty() ? Result<std::vector<ops::ResetRecord>>(
                                            std::vector<ops::ResetRecord> {})
                                      : ops::listResets(dataDir, 200, group);
        return [this, id, generation, listed = std::move(listed)] {
            if (!current(generation)) {
                return;
            }
            listed ? Q_EMIT historyReady(id, *listed, {})
                   : Q_EMIT historyReady(id, {}, messageOf(listed.error()));
        };
    });
    return id;
}

std::uint64_t ResetService::undoPlan(const ops::ResetRecord &record)
{
    return postPlan([record](const ops::ResetContext &context) -> Result<ops::ResetPlan> {
        auto request = ops::undoRequest(record);
        if (!request) {
            return fail(request.error());
        }
        return ops::planReset(context, *request);
    });
}

} // namespace logdeck::ui

#include "reset_service.moc"
