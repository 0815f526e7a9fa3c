#pragma once

#include "bridge/ops_runner.h"
#include "ops/audit_trail.h"

#include <QMetaType>
#include <QObject>
#include <memory>
#include <vector>

namespace logdeck::ui {

using AuditEntriesPtr = std::shared_ptr<const std::vector<store::AuditEntry>>;

/// Reads the audit log of the OpsTarget's data directory on its own thread, with the same
/// ops::readAuditLog as `logdeck-cli audit list`.
class AuditReader : public QObject
{
    Q_OBJECT

public:
    explicit AuditReader(QObject *parent = nullptr);

    void setTarget(const OpsTarget &target) { m_runner.setTarget(target); }
    const OpsTarget &target() const { return m_runner.target(); }

    /// The newest matching entries; answered by `read`.
    std::uint64_t request(const ops::AuditFilter &filter);

Q_SIGNALS:
    /// `entries` oldest first, as the log lists them; `error` empty on success.
    void read(std::uint64_t requestId, logdeck::ui::AuditEntriesPtr entries, const QString &error);

private:
    OpsRunner m_runner;
};

} // namespace logdeck::ui

Q_DECLARE_METATYPE(logdeck::ui::AuditEntriesPtr)
