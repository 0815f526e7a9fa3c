#include "bridge/tenant_service.h"

#include <QFile>
#include <QSaveFile>

namespace logdeck::ui {

namespace {

const QString kNotConnected = QObject::tr("not connected");
const QString kSuperseded = QObject::tr("superseded by a newer request");

QString errorText(const Error &error)
{
    return QString::fromStdString(error.message);
}

} // namespace

TenantService::TenantService(QObject *parent)
    : QObject(parent)
    , m_runner(QStringLiteral("logdeck-tenants"))
{
}

ops::InspectorSources TenantService::sourcesOf(const OpsTarget &target)
{
    ops::InspectorSources sources;
    sources.cluster = target.cluster;
    sources.dataDir = target.dataDir;
    return sources;
}

std::uint64_t TenantService::listTenants()
{
    struct Answer
    {
        QStringList tenants;
        QString error;
    };
    return m_runner.run<Answer>(
        [](const OpsTarget &target) -> Answer {
            if (target.dataDir.empty()) {
                return {{}, kNotConnected};
            }
            auto tenants = ops::knownTenants(target.dataDir);
            if (!tenants) {
                return {{}, errorText(tenants.error())};
            }
            Answer answer;
            for (const auto &tenant : *tenants) {
                answer.tenants.append(QString::fromStdString(tenant));
            }
            return answer;
        },
        [this](std::uint64_t id, Answer answer) {
            Q_EMIT tenantsListed(id, answer.tenants, answer.error);
        });
}

std::uint64_t TenantService::inspect(const ops::TenantQuery &query)
{
    struct Answer
    {
        TenantInspectionPtr inspection;
        QString error;
    };
    const auto token = ++m_inspectToken;
    m_latestInspect->store(token);
    return m_runner.run<Answer>(
        [query, token, latest = m_latestInspect](const OpsTarget &target) -> Answer {
            if (token != latest->load()) {
                return {nullptr, kSuperseded}; // a newer inspection is queued: skip this one
            }
            if (!target.isSet()) {
                return {nullptr, kNotConnected};
            }
            auto inspection = ops::inspectTenant(sourcesOf(target), query);
            if (!inspection) {
                return {nullptr, errorText(inspection.error())};
            }
            return {std::make_shared<const ops::TenantInspection>(std::move(*inspection)), {}};
        },
        [this](std::uint64_t id, Answer answer) {
            Q_EMIT inspected(id, answer.inspection, answer.error);
        });
}

std::uint64_t TenantService::trace(const ops::TenantQuery &query, const QString &eventId)
{
    struct Answer
    {
        EventTracePtr trace;
        QString error;
    };
    const auto token = ++m_traceToken;
    m_latestTrace->store(token);
    return m_runner.run<Answer>(
        [query, event = eventId.toStdString(), token,
         latest = m_latestTrace](const OpsTarget &target) -> Answer {
            if (token != latest->load()) {
                return {nullptr, kSuperseded};
            }
            if (!target.isSet()) {
                return {nullptr, kNotConnected};
            }
            auto trace = ops::traceEvent(sourcesOf(target), query, event);
            if (!trace) {
                return {nullptr, errorText(trace.error())};
            }
            return {std::make_shared<const ops::EventTrace>(std::move(*trace)), {}};
        },
        [this](std::uint64_t id, Answer answer) { Q_EMIT traced(id, answer.trace, answer.error); });
}

std::uint64_t TenantService::exportEvents(const QString &path,
                                          std::vector<ops::InspectedEvent> events)
{
    const auto count = static_cast<int>(events.size());
    return m_runner.run<QString>(
        [path, events = std::move(events)](const OpsTarget &) -> QString {
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
                return tr("cannot write %1: %2").arg(path, file.errorString());
            }
            for (const auto &event : events) {
                file.write(QByteArray::fromStdString(ops::eventJson(event)));
                file.write("\n");
            }
            if (!file.commit()) {
                return tr("cannot write %1: %2").arg(path, file.errorString());
            }
            return {};
        },
        [this, path, count](std::uint64_t id, QString error) {
            Q_EMIT exported(id, path, count, error);
        });
}

} // namespace logdeck::ui
