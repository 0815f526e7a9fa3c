#pragma once

#include "bridge/ops_runner.h"
#include "ops/tenant_inspector.h"

#include <QMetaType>
#include <QObject>
#include <QStringList>
#include <atomic>
#include <memory>
#include <vector>

namespace logdeck::ui {

using TenantInspectionPtr = std::shared_ptr<const ops::TenantInspection>;
using EventTracePtr = std::shared_ptr<const ops::EventTrace>;

/// The Tenants page's engine calls, each on the service's thread against the session's
/// OpsTarget, with the same `ops::` functions as `logdeck-cli tenant inspect`
/// (inspectTenant, and traceEvent for --event). Every call returns a request id that its
/// answer carries; answers for an older target are dropped.
class TenantService : public QObject
{
    Q_OBJECT

public:
    explicit TenantService(QObject *parent = nullptr);

    void setTarget(const OpsTarget &target) { m_runner.setTarget(target); }
    const OpsTarget &target() const { return m_runner.target(); }

    /// The tenants of the data directory (ops::knownTenants).
    std::uint64_t listTenants();
    std::uint64_t inspect(const ops::TenantQuery &query);
    /// Follows `eventId` of `query.tenant` through every hop.
    std::uint64_t trace(const ops::TenantQuery &query, const QString &eventId);
    /// Writes `events` to `path` as JSON lines (ops::eventJson), replacing the file.
    std::uint64_t exportEvents(const QString &path, std::vector<ops::InspectedEvent> events);

    /// Where the inspector reads for `target`.
    static ops::InspectorSources sourcesOf(const OpsTarget &target);

Q_SIGNALS:
    /// `error` is empty on success, here and below.
    void tenantsListed(std::uint64_t requestId, const QStringList &tenants, const QString &error);
    void inspected(std::uint64_t requestId, logdeck::ui::TenantInspectionPtr inspection,
                   const QString &error);
    void traced(std::uint64_t requestId, logdeck::ui::EventTracePtr trace, const QString &error);
    void exported(std::uint64_t requestId, const QString &path, int events, const QString &error);

private:
    OpsRunner m_runner;
    /// A call that a newer one of its kind has replaced before it started is skipped: a
    /// user typing or refreshing fast queues only one inspection's worth of work.
    std::uint64_t m_inspectToken = 0;
    std::uint64_t m_traceToken = 0;
    std::shared_ptr<std::atomic<std::uint64_t>> m_latestInspect =
        std::make_shared<std::atomic<std::uint64_t>>(0);
    std::shared_ptr<std::atomic<std::uint64_t>> m_latestTrace =
        std::make_shared<std::atomic<std::uint64_t>>(0);
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(logdeck::ui::TenantInspectionPtr)
Q_DECLARE_METATYPE(logdeck::ui::EventTracePtr)
