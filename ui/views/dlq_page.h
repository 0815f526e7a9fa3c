#pragma once

#include "bridge/dead_letter_service.h"
#include "bridge/ops_target.h"
#include "ops/redrive.h"

#include <QWidget>
#include <cstdint>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QStackedWidget;
class QTableView;
class QTextBrowser;
class QTimer;

namespace logdeck::ui {

class ConsoleSession;
class DeadLetterGroupModel;
class DeadLetterModel;

/// The dead letters of any dead-letter topic of the cluster: a table read page by page as
/// it is scrolled (stays quick at a million letters), the filters of `logdeck-cli dlq list`
/// plus free text, a grouped view (counts by error class × group × tenant), and beside the
/// table the selected letter in full: decoded headers, stack traces, the value as JSON,
/// text or a hex dump. Copy, export to JSON lines, and redrive (the selection or everything
/// matching) are asked of the window through `redriveRequested`.
class DlqPage : public QWidget
{
    Q_OBJECT

public:
    explicit DlqPage(ConsoleSession *session, QWidget *parent = nullptr);

    void setTarget(const OpsTarget &target);
    /// Shows or hides the redrive buttons (read-only mode hides them).
    void setMutationsAllowed(bool allowed);
    bool mutationsVisible() const;

    /// The filter the bar shows, as the table was last asked for; `error` says why the
    /// fields do not make one (a bad time).
    ops::DeadLetterFilter currentFilter() const { return m_applied; }
    void setTopic(const QString &topic);
    /// Fills the bar's fields (empty: no criterion) and applies them.
    void setFilterFields(const QString &group, const QString &tenant, const QString &errorClass,
                         const QString &text = {});
    void applyFilter();
    void clearFilter();
    void setGrouped(bool grouped);
    /// Re-reads the topic from its start.
    void refresh();
    /// Writes the selected letters, or every one matching the filter, to `path`.
    void exportTo(const QString &path, bool selectedOnly);

    DeadLetterModel *model() const { return m_model; }
    DeadLetterGroupModel *groupModel() const { return m_groups; }
    QTableView *table() const { return m_table; }
    QTableView *groupTable() const { return m_groupTable; }
    DeadLetterService *service() const { return m_service; }
    /// The status line and the error beside it, as shown (plain text).
    QString statusText() const;
    QString errorText() const;
    /// The detail pane as plain text; empty when nothing is selected.
    QString detailText() const;
    QString exportStatusText() const;
    QPushButton *redriveSelectedButton() const { return m_redriveSelected; }
    QPushButton *redriveAllButton() const { return m_redriveAll; }

Q_SIGNALS:
    /// Redrive: the selection (spec.ids are coordinates) or everything matching the filter.
    void redriveRequested(const logdeck::ops::RedriveSpec &spec);
    /// A letter's detail is shown in the pane.
    void detailShown(const QString &coordinates);
    void exportFinished(qint64 written, const QString &error);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    QWidget *createFilterBar();
    QWidget *createDetailPane();
    void startQuery(const ops::DeadLetterFilter &filter);
    void updateStatus();
    void selectionChanged();
    void showDetail(std::uint64_t requestId, const DeadLetterDetailPtr &detail);
    void showCounts(std::uint64_t requestId, const DeadLetterCountsPtr &counts,
                    const QString &error);
    void groupActivated(const QModelIndex &index);
    void showTopics(std::uint64_t requestId, const QStringList &topics, const QString &error);
    void requestRedrive(bool selectedOnly);
    void copyDetail();
    void chooseExport(bool selectedOnly);
    std::vector<int> selectedRows() const;

    ConsoleSession *m_session;
    DeadLetterService *m_service;
    DeadLetterModel *m_model;
    DeadLetterGroupModel *m_groups;
    QSortFilterProxyModel *m_groupsSorted;
    OpsTarget m_target;
    ops::DeadLetterFilter m_applied;
    bool m_mutationsAllowed = false;

    QComboBox *m_topic;
    QLineEdit *m_group;
    QLineEdit *m_tenant;
    QLineEdit *m_errorClass;
    QLineEdit *m_originalTopic;
    QLineEdit *m_since;
    QLineEdit *m_until;
    QLineEdit *m_text;
    QCheckBox *m_grouped;
    QLabel *m_status;
    QLabel *m_error;
    QStackedWidget *m_views;
    QTableView *m_table;
    QTableView *m_groupTable;
    QLabel *m_detailTitle;
    QTextBrowser *m_detail;
    QPushButton *m_copy;
    QPushButton *m_exportSelected;
    QPushButton *m_exportAll;
    QLabel *m_exportStatus;
    QPushButton *m_redriveSelected;
    QPushButton *m_redriveAll;
    QTimer *m_autoRefresh;

    std::uint64_t m_topicsRequest = 0;
    std::uint64_t m_detailRequest = 0;
    std::uint64_t m_countRequest = 0;
    std::uint64_t m_exportRequest = 0;
    QString m_countStatus;
    QString m_detailCoordinates;
    DeadLetterDetailPtr m_shownDetail;
};

} // namespace logdeck::ui
