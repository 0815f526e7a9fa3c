#pragma once

#include "bridge/console_snapshot.h"
#include "widgets/pipeline_diagram.h"

#include <QWidget>

class QLabel;

namespace logdeck::ui {

/// The pipeline at a glance: collector → events.raw → each Logdeck group (retry, DLQ,
/// output) with rates, lag and health, and the ingest figures above it.
class OverviewPage : public QWidget
{
    Q_OBJECT

public:
    explicit OverviewPage(QWidget *parent = nullptr);

    void showSnapshot(const ConsoleSnapshotPtr &snapshot);
    PipelineDiagram *diagram() const { return m_diagram; }

    /// What the diagram shows for `snapshot` (public for tests).
    static PipelineDiagramData diagramData(const ConsoleSnapshot &snapshot);

Q_SIGNALS:
    void groupActivated(const QString &group);

private:
    QLabel *m_headline;
    PipelineDiagram *m_diagram;
    QLabel *m_note;
};

} // namespace logdeck::ui
