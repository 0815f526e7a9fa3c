#pragma once

#include <QColor>
#include <QRect>
#include <QString>
#include <QWidget>
#include <optional>
#include <vector>

class QPainter;

namespace logdeck::ui {

/// How a node is doing, as judged by the page that fills the diagram. Each has its own
/// colour: green, amber, red, grey-red and grey. Unknown is never drawn as Ok.
enum class Health { Ok, Warning, Error, Stopped, Unknown };

/// The HTTP collector at the head of the pipeline. Its band is grey-red when stopped,
/// amber while spilling to the outbox and green otherwise.
struct DiagramCollector
{
    bool running = false;
    std::optional<double> eventsPerSecond; ///< accepted events per second
    std::optional<double> p50Ms;           ///< request latency, median
    std::optional<double> p99Ms;           ///< request latency, 99th percentile
    std::optional<double> errorRate;       ///< refused or failed requests, 0..1
    bool spilling = false;                 ///< Kafka isn't taking events: they go to the outbox
    std::optional<qint64> outboxDepth;     ///< events waiting in the outbox
    QString url;                           ///< where clients send their events
};

/// A Kafka topic the pipeline reads, such as events.raw.
struct DiagramTopic
{
    QString name;
    std::optional<double> producePerSecond;
    std::optional<qint64> messages;
};

/// A consumer group with its retry, dead-letter and (optional) output topics.
struct DiagramGroup
{
    QString name;
    QString state; ///< as the engine words it: "running", "paused", …
    Health health = Health::Unknown;
    QString healthText; ///< the full reason, e.g. "STALL: committed offsets not moving"
    std::optional<double> consumePerSecond;
    std::optional<qint64> lag;             ///< messages behind the end of the source topic
    std::optional<double> timeLagSeconds;  ///< age of the oldest unprocessed message
    std::optional<qint64> retrying;        ///< messages waiting on the retry topic
    std::optional<qint64> deadLettered;    ///< messages on the dead-letter topic
    QString outputTopic;                   ///< empty when the group writes nowhere
    bool hostedHere = true;                ///< run by this engine rather than another one
};

/// Everything the diagram shows; std::nullopt figures read "–", never 0.
struct PipelineDiagramData
{
    DiagramCollector collector;
    DiagramTopic source;
    std::vector<DiagramGroup> groups;
};

/// The pipeline as a live left-to-right diagram: the collector, an arrow to the source
/// topic, then one card per consumer group fanning out from it, each with chips for its
/// retry topic, its dead-letter topic (red while it holds messages) and its output topic.
/// Cards show a health band and text; hovering shows the full reason; clicking a group
/// emits groupActivated. The layout fills the widget's size (1–8 groups from about
/// 750×300 up) and is centred when the widget is wider than the diagram needs.
class PipelineDiagram : public QWidget
{
    Q_OBJECT

public:
    /// The small topic boxes attached to a group card.
    enum class Chip { Retry, DeadLetter, Output };

    explicit PipelineDiagram(QWidget *parent = nullptr);

    /// Shows new figures; the layout changes only when the groups do.
    void setData(PipelineDiagramData data);
    const PipelineDiagramData &data() const { return m_data; }

    /// The colour of a health band and dot.
    static QColor healthColour(Health health);

    /// Where the nodes are drawn at the widget's current size; an empty rect for a group
    /// or chip that isn't shown.
    QRect collectorRect() const;
    QRect sourceRect() const;
    QRect groupRect(const QString &group) const;
    QRect chipRect(const QString &group, Chip chip) const;
    /// The group whose card is at `pos`, or empty.
    QString groupAt(const QPoint &pos) const;
    /// The tooltip shown at `pos` (rich text), or empty.
    QString toolTipAt(const QPoint &pos) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    /// A group's card was clicked (the overview then shows that group's lag).
    void groupActivated(const QString &group);

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    struct GroupGeometry
    {
        QRect card;
        QRect retry;
        QRect deadLetter;
        QRect output;
    };
    struct Geometry
    {
        QSize size;
        QRect collector;
        QRect source;
        QRect groupColumn; ///< where the cards go; holds a note when there are none
        std::vector<GroupGeometry> groups; ///< in the order of m_data.groups
    };

    const Geometry &geometry() const;
    Geometry computeGeometry(QSize size) const;
    int groupIndex(const QString &group) const;
    void setHoveredGroup(const QString &group);

    void paintCollector(QPainter &painter, const QRect &rect) const;
    void paintSource(QPainter &painter, const QRect &rect) const;
    void paintGroup(QPainter &painter, const DiagramGroup &group, const GroupGeometry &where)
        const;
    void paintConnections(QPainter &painter, const Geometry &geometry) const;

    PipelineDiagramData m_data;
    mutable std::optional<Geometry> m_geometry;
    QString m_hoveredGroup;
    QString m_pressedGroup;
};

} // namespace logdeck::ui
