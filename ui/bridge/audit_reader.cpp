#include "bridge/audit_reader.h"

namespace logdeck::ui {

AuditReader::AuditReader(QObject *parent)
    : QObject(parent)
    , m_runner(QStringLiteral("logdeck-audit"))
{
}

std::uint64_t AuditReader::request(const ops::AuditFilter &filter)
{
    struct Answer
    {
        AuditEntriesPtr entries;
        QString error;
    };
    return m_runner.run<Answer>(
        [filter](const OpsTarget &target) -> Answer {
            if (target.dataDir.empty()) {
                return {nullptr, tr("not connected")};
            }
            auto entries = ops::readAuditLog(target.dataDir, filter);
            if (!entries) {
                return {nullptr, QString::fromStdString(entries.error().message)};
            }
            return {std::make_shared<const std::vector<store::AuditEntry>>(std::move(*entries)),
                    {}};
        },
        [this](std::uint64_t id, Answer answer) { Q_EMIT read(id, answer.entries, answer.error); });
}

} // namespace logdeck::ui
