#pragma once

#include "bridge/audit_reader.h"

#include <QWidget>
#include <cstdint>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTableView;
class QTimer;

namespace logdeck::ui {

class AuditChangeModel;
class AuditLogModel;

/// The audit log of the data directory, newest first, as `logdeck-cli audit list` reads it
/// (ops::readAuditLog, on the reader's thread): filtered by operation, target, text and
/// time range; the selected entry's parameters pretty-printed and its before and after side
/// by side, changed fields highlighted. Read again when shown, on F5, and every few seconds
/// while visible.
class AuditPage : public QWidget
{
    Q_OBJECT

public:
    explicit AuditPage(QWidget *parent = nullptr);

    void setTarget(const OpsTarget &target);
    /// Reads the log again with the page's filters.
    void refresh();
    /// Picks the operation filter ("" for every operation) and reads again.
    void setOperationFilter(const QString &operation);

    AuditLogModel *logModel() const { return m_log; }
    AuditChangeModel *changeModel() const { return m_changes; }
    QTableView *logView() const { return m_logView; }
    QString parametersText() const;
    QString statusText() const;
    QLineEdit *textFilter() const { return m_text; }
    QLineEdit *targetFilter() const { return m_target; }

    static constexpr int kPollIntervalMs = 3000;

Q_SIGNALS:
    /// A read arrived and is shown (`error` empty) or failed.
    void logShown(const QString &error);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void showLog(std::uint64_t id, const AuditEntriesPtr &entries, const QString &error);
    void entrySelected();
    ops::AuditFilter filter() const;

    AuditReader m_reader;
    QComboBox *m_operation;
    QLineEdit *m_target;
    QLineEdit *m_text;
    QComboBox *m_range;
    QLabel *m_status;
    AuditLogModel *m_log;
    QTableView *m_logView;
    QLabel *m_entryTitle;
    QPlainTextEdit *m_parameters;
    AuditChangeModel *m_changes;
    QTableView *m_changeView;
    QPlainTextEdit *m_before;
    QPlainTextEdit *m_after;
    QTimer *m_poll;
    std::uint64_t m_request = 0;
};

} // namespace logdeck::ui
