#include "widgets/pipeline_diagram.h"

#include "widgets/figures.h"

#include <QEvent>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>
#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace logdeck::ui {

namespace {

constexpr int kMargin = 12;
constexpr qreal kRadius = 7;
constexpr int kBand = 4;
constexpr int kPadX = 10;
constexpr int kPadY = 7;
constexpr int kLineGap = 2;
constexpr int kChipGap = 3;
constexpr int kSpacing = 12;
constexpr int kTightSpacing = 6;
constexpr int kCardGrowth = 24;

struct ColumnWidth
{
    int min;
    int max;
};

// Left to right: collector, arrow, source topic, fan-out, group card, chip connector, chips.
// Between the two bounds every column grows by the same share of the spare width.
constexpr std::array<ColumnWidth, 7> kColumns{{
    {192, 240}, // the title "HTTP collector" and its state fit unelided
    {40, 96},
    {138, 190},
    {44, 150},
    {210, 340},
    {18, 26},
    {140, 190},
}};
enum ColumnIndex { Collector, Arrow, Source, FanOut, Card, Connector, Chips };

struct Fonts
{
    QFont body;
    QFont title;
    QFont small;
    int line;
    int titleLine;
    int smallLine;

    explicit Fonts(const QFont &base)
        : body(base)
        , title(base)
        , small(base)
    {
        title.setBold(true);
        if (base.pointSizeF() > 0) {
            title.setPointSizeF(base.pointSizeF() + 1);
            small.setPointSizeF(std::max(8.0, base.pointSizeF() - 1));
        }
        line = QFontMetrics(body).height();
        titleLine = QFontMetrics(title).height();
        smallLine = QFontMetrics(small).height();
    }

    int chipHeight() const { return line + 4; }
    int cardHeight() const
    {
        const int text = 2 * kPadY + titleLine + 2 * line + 2 * kLineGap;
        const int chips = 3 * chipHeight() + 2 * kChipGap;
        return std::max(text, chips);
    }
    int collectorHeight() const
    {
        return 2 * kPadY + titleLine + 5 * line + smallLine + 7 * kLineGap + 4;
    }
    int sourceHeight() const { return 2 * kPadY + smallLine + titleLine + 2 * line + 4 * kLineGap; }
};

QColor mix(const QColor &a, const QColor &b, qreal shareOfA)
{
    const qreal s = shareOfA;
    return QColor::fromRgbF(a.redF() * s + b.redF() * (1 - s), a.greenF() * s + b.greenF() * (1 - s),
                            a.blueF() * s + b.blueF() * (1 - s));
}

struct Colours
{
    QColor card;
    QColor text;
    QColor secondary;
    QColor border;
    QColor topicFill;
    QColor topicBorder;
    QColor connection;
    QColor highlight;
    QColor shadow;

    explicit Colours(const QPalette &palette)
    {
        const QColor window = palette.color(QPalette::Window);
        card = palette.color(QPalette::Base);
        text = palette.color(QPalette::Text);
        secondary = mix(text, card, 0.6);
        border = mix(text, card, 0.2);
        highlight = palette.color(QPalette::Highlight);
        topicFill = mix(highlight, card, 0.07);
        topicBorder = mix(highlight, card, 0.35);
        connection = mix(palette.color(QPalette::WindowText), window, 0.4);
        const bool dark = window.lightnessF() < 0.5;
        shadow = dark ? QColor(0, 0, 0, 60) : QColor(0, 0, 0, 20);
    }
};

QString healthLabel(Health health)
{
    switch (health) {
    case Health::Ok:
        return PipelineDiagram::tr("OK");
    case Health::Warning:
        return PipelineDiagram::tr("warning");
    case Health::Error:
        return PipelineDiagram::tr("error");
    case Health::Stopped:
        return PipelineDiagram::tr("stopped");
    case Health::Unknown:
        break;
    }
    return PipelineDiagram::tr("health unknown");
}

QString healthTextOf(const DiagramGroup &group)
{
    return group.healthText.isEmpty() ? healthLabel(group.health) : group.healthText;
}

/// The collector has no health of its own in the data: stopped is stopped, and spilling
/// to the outbox means Kafka isn't taking events.
Health collectorHealth(const DiagramCollector &collector)
{
    if (!collector.running) {
        return Health::Stopped;
    }
    return collector.spilling ? Health::Warning : Health::Ok;
}

bool hasDeadLetters(const DiagramGroup &group)
{
    return group.deadLettered.value_or(0) > 0;
}

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

void drawCard(QPainter &painter, const QRect &rect, const QColor &fill, const QColor &border,
              const Colours &colours, std::optional<QColor> band = std::nullopt,
              qreal radius = kRadius)
{
    QPainterPath path;
    path.addRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius);
    painter.save();
    painter.translate(0, 1);
    painter.fillPath(path, colours.shadow);
    painter.restore();
    painter.fillPath(path, fill);
    if (band) {
        painter.save();
        painter.setClipPath(path);
        painter.fillRect(QRect(rect.left(), rect.top(), kBand, rect.height()), *band);
        painter.restore();
    }
    painter.setPen(QPen(border, 1));
    painter.setBrush(Qt::NoBrush);
    painter.drawPath(path);
}

/// The width a text needs; rounding the advance down would make the text elide itself.
int textWidth(const QFont &font, const QString &text)
{
    return int(std::ceil(QFontMetricsF(font).horizontalAdvance(text))) + 1;
}

void drawText(QPainter &painter, const QFont &font, const QColor &colour, const QRect &rect,
              Qt::Alignment align, const QString &text, Qt::TextElideMode elide = Qt::ElideRight)
{
    painter.setFont(font);
    painter.setPen(colour);
    const QString shown = QFontMetrics(font).elidedText(text, elide, rect.width());
    painter.drawText(rect, int(align | Qt::AlignVCenter), shown);
}

/// A label on the left and its figure right-aligned; the figure wins when space is short.
void drawStat(QPainter &painter, const Fonts &fonts, const Colours &colours, const QRect &row,
              const QString &label, const QString &value, const QColor &valueColour)
{
    const int valueWidth = std::min(row.width(), textWidth(fonts.body, value));
    drawText(painter, fonts.body, valueColour, row, Qt::AlignRight, value);
    const QRect labelRow(row.left(), row.top(), row.width() - valueWidth - 8, row.height());
    if (labelRow.width() > 0) {
        drawText(painter, fonts.body, colours.secondary, labelRow, Qt::AlignLeft, label);
    }
}

void drawArrowHead(QPainter &painter, const QPointF &tip, const QColor &colour)
{
    const QPolygonF head{tip, tip + QPointF(-7, -3.5), tip + QPointF(-7, 3.5)};
    painter.setPen(Qt::NoPen);
    painter.setBrush(colour);
    painter.drawPolygon(head);
}

QRect contentRect(const QRect &card, bool band)
{
    const int left = card.left() + (band ? kBand : 0) + kPadX;
    return QRect(left, card.top() + kPadY, card.right() - kPadX - left + 1,
                 card.height() - 2 * kPadY);
}

} // namespace

PipelineDiagram::PipelineDiagram(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setAccessibleName(tr("Pipeline diagram"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void PipelineDiagram::setData(PipelineDiagramData data)
{
    const bool sameGroups = std::equal(
        data.groups.begin(), data.groups.end(), m_data.groups.begin(), m_data.groups.end(),
        [](const DiagramGroup &a, const DiagramGroup &b) {
            return a.name == b.name && a.outputTopic.isEmpty() == b.outputTopic.isEmpty();
        });
    m_data = std::move(data);
    if (!sameGroups) {
        m_geometry.reset();
        updateGeometry();
        if (groupIndex(m_hoveredGroup) < 0) {
            setHoveredGroup({});
        }
    }
    update();
}

QColor PipelineDiagram::healthColour(Health health)
{
    switch (health) {
    case Health::Ok:
        return QColor(0x2e, 0x9d, 0x4f);
    case Health::Warning:
        return QColor(0xd0, 0x8a, 0x00);
    case Health::Error:
        return QColor(0xc6, 0x28, 0x28);
    case Health::Stopped:
        return QColor(0xa6, 0x7c, 0x7c);
    case Health::Unknown:
        break;
    }
    return QColor(0x8e, 0x8e, 0x8e);
}

QRect PipelineDiagram::collectorRect() const
{
    return geometry().collector;
}

QRect PipelineDiagram::sourceRect() const
{
    return geometry().source;
}

QRect PipelineDiagram::groupRect(const QString &group) const
{
    const int index = groupIndex(group);
    return index < 0 ? QRect() : geometry().groups[std::size_t(index)].card;
}

QRect PipelineDiagram::chipRect(const QString &group, Chip chip) const
{
    const int index = groupIndex(group);
    if (index < 0) {
        return {};
    }
    const GroupGeometry &where = geometry().groups[std::size_t(index)];
    switch (chip) {
    case Chip::Retry:
        return where.retry;
    case Chip::DeadLetter:
        return where.deadLetter;
    case Chip::Output:
        return where.output;
    }
    return {};
}

QString PipelineDiagram::groupAt(const QPoint &pos) const
{
    const Geometry &where = geometry();
    for (std::size_t i = 0; i < where.groups.size(); ++i) {
        if (where.groups[i].card.contains(pos)) {
            return m_data.groups[i].name;
        }
    }
    return {};
}

QString PipelineDiagram::toolTipAt(const QPoint &pos) const
{
    const Geometry &where = geometry();
    if (where.collector.contains(pos)) {
        const DiagramCollector &c = m_data.collector;
        QString tip = tr("<b>HTTP collector</b> · %1")
                          .arg(c.running ? tr("running") : tr("stopped"));
        if (!c.url.isEmpty()) {
            tip += QStringLiteral("<br>") + escaped(c.url);
        }
        tip += QStringLiteral("<br>")
            + tr("Accepting %1 · p50 %2 · p99 %3 · errors %4")
                  .arg(formatRate(c.eventsPerSecond), formatMilliseconds(c.p50Ms),
                       formatMilliseconds(c.p99Ms), formatPercent(c.errorRate));
        tip += QStringLiteral("<br>") + tr("Outbox: %1 events").arg(formatCount(c.outboxDepth));
        if (c.spilling) {
            tip += QStringLiteral("<br>")
                + tr("Kafka isn't taking events: they wait in the outbox and are sent when it "
                     "recovers.");
        }
        return tip;
    }
    if (where.source.contains(pos)) {
        return tr("<b>%1</b> · Kafka topic<br>Produced %2 · %3 messages")
            .arg(escaped(m_data.source.name), formatRate(m_data.source.producePerSecond),
                 formatCount(m_data.source.messages));
    }
    for (std::size_t i = 0; i < where.groups.size(); ++i) {
        const DiagramGroup &group = m_data.groups[i];
        const GroupGeometry &g = where.groups[i];
        if (g.card.contains(pos)) {
            QString tip = QStringLiteral("<b>%1</b>").arg(escaped(group.name));
            if (!group.state.isEmpty()) {
                tip += QStringLiteral(" · ") + escaped(group.state);
            }
            tip += QStringLiteral("<br><span style=\"color:%1\">●</span> %2")
                       .arg(healthColour(group.health).name(), escaped(healthTextOf(group)));
            tip += QStringLiteral("<br>")
                + tr("Consuming %1 · lag %2 messages, %3 behind")
                      .arg(formatRate(group.consumePerSecond), formatCount(group.lag),
                           formatSeconds(group.timeLagSeconds));
            tip += QStringLiteral("<br>")
                + tr("Retrying %1 · dead-lettered %2")
                      .arg(formatCount(group.retrying), formatCount(group.deadLettered));
            if (!group.outputTopic.isEmpty()) {
                tip += QStringLiteral("<br>") + tr("Writes to %1").arg(escaped(group.outputTopic));
            }
            tip += QStringLiteral("<br>")
                + (group.hostedHere ? tr("Run by this engine.") : tr("Run by another engine."));
            tip += QStringLiteral("<br><i>") + tr("Click to show its lag.")
                + QStringLiteral("</i>");
            return tip;
        }
        if (g.retry.contains(pos)) {
            return tr("<b>%1</b> retry topic<br>%2 messages waiting to be retried")
                .arg(escaped(group.name), formatCount(group.retrying));
        }
        if (g.deadLetter.contains(pos)) {
            return tr("<b>%1</b> dead-letter topic<br>%2 messages that failed for good")
                .arg(escaped(group.name), formatCount(group.deadLettered));
        }
        if (g.output.contains(pos)) {
            return tr("<b>%1</b> writes to <b>%2</b>")
                .arg(escaped(group.name), escaped(group.outputTopic));
        }
    }
    return {};
}

QSize PipelineDiagram::sizeHint() const
{
    const Fonts fonts(font());
    int width = 2 * kMargin;
    for (const ColumnWidth &column : kColumns) {
        width += (column.min + column.max) / 2;
    }
    const int n = int(m_data.groups.size());
    const int card = fonts.cardHeight() + kCardGrowth / 2;
    const int groups = n == 0 ? card : n * card + (n - 1) * kSpacing;
    return {width, 2 * kMargin + std::max(fonts.collectorHeight(), groups)};
}

QSize PipelineDiagram::minimumSizeHint() const
{
    const Fonts fonts(font());
    int width = 2 * kMargin;
    for (const ColumnWidth &column : kColumns) {
        width += column.min;
    }
    const int n = int(m_data.groups.size());
    const int groups =
        n == 0 ? fonts.cardHeight() : n * fonts.cardHeight() + (n - 1) * kTightSpacing;
    return {width, 2 * kMargin + std::max(fonts.collectorHeight(), groups)};
}

const PipelineDiagram::Geometry &PipelineDiagram::geometry() const
{
    if (!m_geometry || m_geometry->size != size()) {
        m_geometry = computeGeometry(size());
    }
    return *m_geometry;
}

PipelineDiagram::Geometry PipelineDiagram::computeGeometry(QSize size) const
{
    const Fonts fonts(font());
    Geometry result;
    result.size = size;

    int minWidth = 0;
    int maxWidth = 0;
    for (const ColumnWidth &column : kColumns) {
        minWidth += column.min;
        maxWidth += column.max;
    }
    const int available = size.width() - 2 * kMargin;
    const double growth =
        std::clamp(double(available - minWidth) / double(maxWidth - minWidth), 0.0, 1.0);
    std::array<int, kColumns.size()> widths{};
    int total = 0;
    for (std::size_t i = 0; i < kColumns.size(); ++i) {
        widths[i] = kColumns[i].min + int(growth * (kColumns[i].max - kColumns[i].min));
        total += widths[i];
    }
    std::array<int, kColumns.size()> lefts{};
    lefts[0] = kMargin + std::max(0, (available - total) / 2);
    for (std::size_t i = 1; i < kColumns.size(); ++i) {
        lefts[i] = lefts[i - 1] + widths[i - 1];
    }

    const int availableHeight = size.height() - 2 * kMargin;
    const int n = int(m_data.groups.size());
    const int cardMin = fonts.cardHeight();
    const int spacing =
        availableHeight >= n * cardMin + (n - 1) * kSpacing ? kSpacing : kTightSpacing;
    const int cardHeight =
        n == 0 ? cardMin
               : std::clamp((availableHeight - (n - 1) * spacing) / n, cardMin,
                            cardMin + kCardGrowth);
    const int columnHeight = n == 0 ? cardMin : n * cardHeight + (n - 1) * spacing;
    const int centreY = kMargin + availableHeight / 2;
    const auto centred = [&](int height) { return std::max(kMargin, centreY - height / 2); };

    result.collector = QRect(lefts[Collector], centred(fonts.collectorHeight()), widths[Collector],
                             fonts.collectorHeight());
    result.source = QRect(lefts[Source], centred(fonts.sourceHeight()), widths[Source],
                          fonts.sourceHeight());
    const int columnTop = centred(columnHeight);
    result.groupColumn = QRect(lefts[Card], columnTop,
                               widths[Card] + widths[Connector] + widths[Chips], columnHeight);

    for (int i = 0; i < n; ++i) {
        const DiagramGroup &group = m_data.groups[std::size_t(i)];
        GroupGeometry where;
        where.card = QRect(lefts[Card], columnTop + i * (cardHeight + spacing), widths[Card],
                           cardHeight);
        const int chips = group.outputTopic.isEmpty() ? 2 : 3;
        const int chipHeight =
            std::min(fonts.chipHeight(), (cardHeight - (chips - 1) * kChipGap) / chips);
        const int stack = chips * chipHeight + (chips - 1) * kChipGap;
        int top = where.card.top() + (cardHeight - stack) / 2;
        const auto nextChip = [&] {
            const QRect chip(lefts[Chips], top, widths[Chips], chipHeight);
            top += chipHeight + kChipGap;
            return chip;
        };
        where.retry = nextChip();
        where.deadLetter = nextChip();
        if (chips == 3) {
            where.output = nextChip();
        }
        result.groups.push_back(where);
    }
    return result;
}

int PipelineDiagram::groupIndex(const QString &group) const
{
    if (group.isEmpty()) {
        return -1;
    }
    const auto found = std::find_if(m_data.groups.begin(), m_data.groups.end(),
                                    [&](const DiagramGroup &g) { return g.name == group; });
    return found == m_data.groups.end() ? -1 : int(found - m_data.groups.begin());
}

void PipelineDiagram::setHoveredGroup(const QString &group)
{
    if (group == m_hoveredGroup) {
        return;
    }
    m_hoveredGroup = group;
    if (group.isEmpty()) {
        unsetCursor();
    } else {
        setCursor(Qt::PointingHandCursor);
    }
    update();
}

bool PipelineDiagram::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const QString tip = toolTipAt(help->pos());
        if (tip.isEmpty()) {
            QToolTip::hideText();
            event->ignore();
        } else {
            QToolTip::showText(help->globalPos(), tip, this);
        }
        return true;
    }
    return QWidget::event(event);
}

void PipelineDiagram::resizeEvent(QResizeEvent *event)
{
    m_geometry.reset();
    QWidget::resizeEvent(event);
}

void PipelineDiagram::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) {
        m_geometry.reset();
        updateGeometry();
    }
    QWidget::changeEvent(event);
}

void PipelineDiagram::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        m_pressedGroup = groupAt(event->position().toPoint());
    }
    QWidget::mousePressEvent(event);
}

void PipelineDiagram::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton) {
        const QString group = groupAt(event->position().toPoint());
        const bool clicked = !group.isEmpty() && group == m_pressedGroup;
        m_pressedGroup.clear();
        if (clicked) {
            Q_EMIT groupActivated(group);
        }
    }
    QWidget::mouseReleaseEvent(event);
}

void PipelineDiagram::mouseMoveEvent(QMouseEvent *event)
{
    setHoveredGroup(groupAt(event->position().toPoint()));
    QWidget::mouseMoveEvent(event);
}

void PipelineDiagram::leaveEvent(QEvent *event)
{
    setHoveredGroup({});
    QWidget::leaveEvent(event);
}

void PipelineDiagram::paintEvent(QPaintEvent * /*event*/)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const Geometry &where = geometry();
    paintConnections(painter, where);
    paintCollector(painter, where.collector);
    paintSource(painter, where.source);
    for (std::size_t i = 0; i < where.groups.size(); ++i) {
        paintGroup(painter, m_data.groups[i], where.groups[i]);
    }
    if (m_data.groups.empty()) {
        const Colours colours(palette());
        const QRect note(where.groupColumn.left(), where.groupColumn.top(),
                         kColumns[Card].min, where.groupColumn.height());
        painter.setPen(QPen(colours.border, 1, Qt::DashLine));
        painter.setBrush(Qt::NoBrush);
        painter.drawRoundedRect(QRectF(note).adjusted(0.5, 0.5, -0.5, -0.5), kRadius, kRadius);
        drawText(painter, font(), colours.secondary, note.adjusted(kPadX, 0, -kPadX, 0),
                 Qt::AlignCenter, tr("No consumer groups"));
    }
}

void PipelineDiagram::paintConnections(QPainter &painter, const Geometry &where) const
{
    const Colours colours(palette());
    painter.save();
    const int sourceY = where.source.center().y();

    // Collector to source topic: dashed while the collector doesn't deliver.
    const bool delivering = m_data.collector.running && !m_data.collector.spilling;
    const QPointF from(where.collector.right() + 1, sourceY);
    const QPointF to(where.source.left() - 1, sourceY);
    painter.setPen(QPen(colours.connection, 1.5, delivering ? Qt::SolidLine : Qt::DashLine,
                        Qt::FlatCap));
    painter.drawLine(from, to - QPointF(6, 0));
    drawArrowHead(painter, to, colours.connection);

    const int n = int(where.groups.size());
    for (int i = 0; i < n; ++i) {
        const DiagramGroup &group = m_data.groups[std::size_t(i)];
        const GroupGeometry &g = where.groups[std::size_t(i)];
        const bool hovered = group.name == m_hoveredGroup;
        const QColor colour = hovered ? colours.highlight : colours.connection;

        // Lines leave from the middle half of the topic's edge so they don't merge.
        const qreal spread = where.source.height() * 0.5;
        const qreal startY = n == 1 ? sourceY : sourceY - spread / 2 + spread * i / (n - 1);
        const QPointF start(where.source.right() + 1, startY);
        const QPointF end(g.card.left() - 1, g.card.center().y());
        const qreal bend = (end.x() - start.x()) * 0.5;
        QPainterPath path(start);
        const QPointF beforeHead = end - QPointF(6, 0);
        path.cubicTo(start + QPointF(bend, 0), QPointF(end.x() - bend, end.y()), beforeHead);
        const bool stopped = group.health == Health::Stopped;
        painter.setPen(QPen(colour, hovered ? 2.0 : 1.5, stopped ? Qt::DashLine : Qt::SolidLine,
                            Qt::FlatCap));
        painter.setBrush(Qt::NoBrush);
        painter.drawPath(path);
        drawArrowHead(painter, end, colour);

        // A bracket from the card to its topic chips.
        const QRect last = g.output.isNull() ? g.deadLetter : g.output;
        const qreal busX = (g.card.right() + g.retry.left()) / 2.0 + 0.5;
        painter.setPen(QPen(colours.connection, 1.2));
        painter.drawLine(QPointF(g.card.right() + 1, g.card.center().y() + 0.5),
                         QPointF(busX, g.card.center().y() + 0.5));
        painter.drawLine(QPointF(busX, g.retry.center().y() + 0.5),
                         QPointF(busX, last.center().y() + 0.5));
        for (const QRect &chip : {g.retry, g.deadLetter, g.output}) {
            if (!chip.isNull()) {
                painter.drawLine(QPointF(busX, chip.center().y() + 0.5),
                                 QPointF(chip.left(), chip.center().y() + 0.5));
            }
        }
    }
    painter.restore();
}

void PipelineDiagram::paintCollector(QPainter &painter, const QRect &rect) const
{
    const Fonts fonts(font());
    const Colours colours(palette());
    const DiagramCollector &c = m_data.collector;
    const Health health = collectorHealth(c);
    drawCard(painter, rect, colours.card, colours.border, colours, healthColour(health));

    const QRect content = contentRect(rect, true);
    int y = content.top();
    const QRect titleRow(content.left(), y, content.width(), fonts.titleLine);
    const QString status = !c.running ? tr("stopped") : c.spilling ? tr("spilling") : tr("running");
    const QColor statusColour = health == Health::Ok ? colours.secondary : healthColour(health);
    const int statusWidth = textWidth(fonts.small, status);
    drawText(painter, fonts.small, statusColour, titleRow, Qt::AlignRight, status);
    drawText(painter, fonts.title, colours.text,
             titleRow.adjusted(0, 0, -statusWidth - 6, 0), Qt::AlignLeft, tr("HTTP collector"));
    y += fonts.titleLine + kLineGap + 4;

    const auto row = [&](const QString &label, const QString &value, const QColor &colour) {
        drawStat(painter, fonts, colours, QRect(content.left(), y, content.width(), fonts.line),
                 label, value, colour);
        y += fonts.line + kLineGap;
    };
    row(tr("Accepted"), formatRate(c.eventsPerSecond), colours.text);
    row(tr("p50"), formatMilliseconds(c.p50Ms), colours.text);
    row(tr("p99"), formatMilliseconds(c.p99Ms), colours.text);
    // A few refused requests are normal (clients send bad events); a share is not.
    const double errors = c.errorRate.value_or(0);
    row(tr("Errors"), formatPercent(c.errorRate),
        errors >= 0.05   ? healthColour(Health::Error)
        : errors >= 0.01 ? healthColour(Health::Warning)
                         : colours.text);
    row(tr("Outbox"), formatCount(c.outboxDepth),
        c.spilling ? healthColour(Health::Warning) : colours.text);
    drawText(painter, fonts.small, colours.secondary,
             QRect(content.left(), y, content.width(), fonts.smallLine), Qt::AlignLeft,
             c.url.isEmpty() ? tr("address unknown") : c.url, Qt::ElideMiddle);
}

void PipelineDiagram::paintSource(QPainter &painter, const QRect &rect) const
{
    const Fonts fonts(font());
    const Colours colours(palette());
    drawCard(painter, rect, colours.topicFill, colours.topicBorder, colours);

    const QRect content = contentRect(rect, false);
    int y = content.top();
    drawText(painter, fonts.small, colours.secondary,
             QRect(content.left(), y, content.width(), fonts.smallLine), Qt::AlignLeft,
             tr("Kafka topic"));
    y += fonts.smallLine + kLineGap;
    drawText(painter, fonts.title, colours.text,
             QRect(content.left(), y, content.width(), fonts.titleLine), Qt::AlignLeft,
             m_data.source.name.isEmpty() ? tr("source topic") : m_data.source.name,
             Qt::ElideMiddle);
    y += fonts.titleLine + kLineGap;
    drawStat(painter, fonts, colours, QRect(content.left(), y, content.width(), fonts.line),
             tr("Produced"), formatRate(m_data.source.producePerSecond), colours.text);
    y += fonts.line + kLineGap;
    drawStat(painter, fonts, colours, QRect(content.left(), y, content.width(), fonts.line),
             tr("Messages"), formatCount(m_data.source.messages), colours.text);
}

void PipelineDiagram::paintGroup(QPainter &painter, const DiagramGroup &group,
                                 const GroupGeometry &where) const
{
    const Fonts fonts(font());
    const Colours colours(palette());
    const QColor health = healthColour(group.health);
    const bool hovered = group.name == m_hoveredGroup;
    drawCard(painter, where.card, colours.card, hovered ? colours.highlight : colours.border,
             colours, health);

    const QRect content = contentRect(where.card, true);
    const int textHeight = fonts.titleLine + 2 * fonts.line + 2 * kLineGap;
    int y = content.top() + std::max(0, (content.height() - textHeight) / 2);

    // Name on the left; state and, for a group run elsewhere, a "remote" tag on the right.
    const QRect titleRow(content.left(), y, content.width(), fonts.titleLine);
    int right = titleRow.right() + 1;
    if (!group.hostedHere) {
        const QString remote = tr("remote");
        const int width = textWidth(fonts.small, remote) + 10;
        const QRect tag(right - width, titleRow.center().y() - fonts.smallLine / 2, width,
                        fonts.smallLine);
        painter.setPen(QPen(colours.border, 1));
        painter.setBrush(Qt::NoBrush);
        painter.drawRoundedRect(QRectF(tag).adjusted(0.5, 0.5, -0.5, -0.5), tag.height() / 2.0,
                                tag.height() / 2.0);
        drawText(painter, fonts.small, colours.secondary, tag, Qt::AlignCenter, remote);
        right = tag.left() - 6;
    }
    if (!group.state.isEmpty()) {
        const int width = textWidth(fonts.small, group.state);
        drawText(painter, fonts.small, colours.secondary,
                 QRect(right - width, titleRow.top(), width, titleRow.height()), Qt::AlignRight,
                 group.state);
        right -= width + 8;
    }
    drawText(painter, fonts.title, colours.text,
             QRect(titleRow.left(), y, right - titleRow.left(), fonts.titleLine), Qt::AlignLeft,
             group.name);
    y += fonts.titleLine + kLineGap;

    // Health: a dot in its colour, then the reason.
    const int dot = 8;
    painter.setPen(Qt::NoPen);
    painter.setBrush(health);
    painter.drawEllipse(QRectF(content.left() + 0.5, y + (fonts.line - dot) / 2.0, dot, dot));
    const QColor reasonColour = group.health == Health::Error     ? health
                              : group.health == Health::Warning ? colours.text
                                                                : colours.secondary;
    drawText(painter, fonts.body, reasonColour,
             QRect(content.left() + dot + 6, y, content.width() - dot - 6, fonts.line),
             Qt::AlignLeft, healthTextOf(group));
    y += fonts.line + kLineGap;

    // Figures as label/value runs; runs that don't fit are left out whole.
    const std::array<std::pair<QString, QString>, 3> runs{{
        {QString(), formatRate(group.consumePerSecond)},
        {tr("lag"), formatCount(group.lag)},
        {tr("behind"), formatSeconds(group.timeLagSeconds)},
    }};
    int x = content.left();
    for (const auto &[label, value] : runs) {
        const QString labelText = label.isEmpty() ? QString() : label + QLatin1Char(' ');
        const int labelWidth = labelText.isEmpty() ? 0 : textWidth(fonts.body, labelText);
        const int valueWidth = textWidth(fonts.body, value);
        if (x + labelWidth + valueWidth > content.right() + 1) {
            break;
        }
        drawText(painter, fonts.body, colours.secondary, QRect(x, y, labelWidth, fonts.line),
                 Qt::AlignLeft, labelText);
        drawText(painter, fonts.body, colours.text,
                 QRect(x + labelWidth, y, valueWidth, fonts.line), Qt::AlignLeft, value);
        x += labelWidth + valueWidth + 14;
    }

    // Chips: the group's retry, dead-letter and output topics.
    const auto chip = [&](const QRect &rect, const QString &label, const QString &value,
                          bool alarm) {
        const QColor red = healthColour(Health::Error);
        drawCard(painter, rect, alarm ? mix(red, colours.card, 0.12) : colours.topicFill,
                 alarm ? red : colours.topicBorder, colours, std::nullopt, rect.height() / 2.0);
        const QRect inner = rect.adjusted(rect.height() / 2, 0, -rect.height() / 2, 0);
        QFont valueFont = fonts.body;
        valueFont.setBold(alarm);
        const int labelWidth = std::min(inner.width(), textWidth(fonts.body, label));
        drawText(painter, fonts.body, alarm ? red : colours.secondary, inner, Qt::AlignLeft,
                 label);
        drawText(painter, valueFont, alarm ? red : colours.text,
                 inner.adjusted(labelWidth + 6, 0, 0, 0), Qt::AlignRight, value, Qt::ElideMiddle);
    };
    chip(where.retry, tr("retry"), formatCount(group.retrying), false);
    chip(where.deadLetter, tr("DLQ"), formatCount(group.deadLettered), hasDeadLetters(group));
    if (!where.output.isNull()) {
        chip(where.output, tr("out"), group.outputTopic, false);
    }
}

} // namespace logdeck::ui
