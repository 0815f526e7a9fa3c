#pragma once

#include "bridge/ops_target.h"
#include "bridge/tenant_service.h"

#include <QWidget>
#include <cstdint>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace logdeck::ui {

class EventPathModel;
class TenantTimelineModel;

/// The tenant inspector: pick a tenant (completed from the data directory's tenants), see
/// its events newest first with a state chip per group (processed, pending, retry, DLQ,
/// redriven; unknown grey), narrow them by time range, state, group and text, follow the
/// selected event through every hop with times, and export the shown events as JSON lines.
/// The same ops::inspectTenant and ops::traceEvent as `logdeck-cli tenant inspect`, on the
/// service's thread.
class TenantsPage : public QWidget
{
    Q_OBJECT

public:
    explicit TenantsPage(QWidget *parent = nullptr);

    /// Where to inspect; lists the tenants, and in demo mode inspects the first one.
    void setTarget(const OpsTarget &target);
    /// Inspects `tenant` with the page's time range.
    void inspect(const QString &tenant);
    /// Inspects the current tenant again (F5).
    void refresh();
    /// Writes the shown events to `path` as JSON lines, on the service's thread.
    void exportTo(const QString &path);

    QString tenant() const;
    QStringList knownTenants() const { return m_tenants; }
    TenantTimelineModel *timelineModel() const { return m_timeline; }
    EventPathModel *pathModel() const { return m_path; }
    QTableView *timelineView() const { return m_timelineView; }
    TenantService *service() { return &m_service; }
    /// The line under the filters: what was inspected, or why not.
    QString statusText() const;
    QComboBox *stateFilter() const { return m_stateFilter; }
    /// While shown, the tenant is inspected again this often.
    static constexpr int kPollIntervalMs = 5000;
    QComboBox *groupFilter() const { return m_groupFilter; }
    QLineEdit *textFilter() const { return m_textFilter; }

Q_SIGNALS:
    /// An inspection arrived and is shown (or failed: `error`).
    void inspectionShown(const QString &error);
    void traceShown(const QString &error);
    void exportFinished(const QString &path, const QString &error);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void showTenants(std::uint64_t id, const QStringList &tenants, const QString &error);
    void showInspection(std::uint64_t id, const TenantInspectionPtr &inspection,
                        const QString &error);
    void showTrace(std::uint64_t id, const EventTracePtr &trace, const QString &error);
    void applyFilter();
    void eventSelected();
    ops::TenantQuery query() const;

    TenantService m_service;
    OpsTarget m_target;
    QStringList m_tenants;
    QComboBox *m_tenantChoice;
    QComboBox *m_range;
    QComboBox *m_stateFilter;
    QComboBox *m_groupFilter;
    QLineEdit *m_textFilter;
    QPushButton *m_inspectButton;
    QPushButton *m_exportButton;
    QLabel *m_status;
    TenantTimelineModel *m_timeline;
    QTableView *m_timelineView;
    QLabel *m_eventTitle;
    QLabel *m_pathSummary;
    EventPathModel *m_path;
    QTableView *m_pathView;
    QString m_inspected; ///< the tenant of the last inspection asked for
    std::uint64_t m_tenantsRequest = 0;
    std::uint64_t m_inspectRequest = 0;
    std::uint64_t m_traceRequest = 0;
    std::uint64_t m_exportRequest = 0;
    bool m_preselect = false;
    bool m_inspecting = false;
    QTimer *m_poll;
};

} // namespace logdeck::ui
