#include "widgets/lag_chart.h"

#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QElapsedTimer>
#include <QGraphicsLayout>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QVBoxLayout>
#include <algorithm>
#include <array>
#include <cmath>

namespace logdeck::ui {

namespace {

using namespace std::chrono_literals;

// Past this many separate lines a series is decimated more coarsely until its gaps fit:
// only a value flapping between known and unknown gets there, and a line per gap would
// cost a chart item each.
constexpr std::size_t kMaxLinesPerSeries = 32;

// Distinguishable on white; the first two (one group's messages and seconds) most of all.
constexpr std::array<QRgb, 10> kPalette = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                           0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

const QColor kLabelColour(0x40, 0x40, 0x40);
const QColor kGridColour(0xe4, 0xe4, 0xe4);
const QColor kAxisLineColour(0xb0, 0xb0, 0xb0);

// Steps a reader takes in at a glance: 1, 2 and 5 times a power of ten, at least 1 (a count
// of messages is whole).
double countStep(double minimumStep)
{
    for (double magnitude = 1;; magnitude *= 10) {
        for (const double multiple : {1.0, 2.0, 5.0}) {
            if (multiple * magnitude >= minimumStep) {
                return multiple * magnitude;
            }
        }
    }
}

// Steps that fall on round clock values: seconds, minutes, hours, then days.
double durationStep(double minimumSeconds)
{
    static constexpr std::array<double, 20> steps = {
        0.1, 0.2, 0.5,  1,    2,    5,    10,   15,    30,    60,
        120, 300, 600,  900,  1800, 3600, 7200, 10800, 21600, 43200};
    for (const double step : steps) {
        if (step >= minimumSeconds) {
            return step;
        }
    }
    return 86400 * countStep(minimumSeconds / 86400);
}

QString countLabel(double count)
{
    if (count < 1e3) {
        return QString::number(count, 'g', 6);
    }
    if (count < 1e6) {
        return QString::number(count / 1e3, 'g', 4) + QStringLiteral(" k");
    }
    if (count < 1e9) {
        return QString::number(count / 1e6, 'g', 4) + QStringLiteral(" M");
    }
    return QString::number(count / 1e9, 'g', 4) + QStringLiteral(" G");
}

// In the unit of the step, so that every label of an axis reads the same way.
QString durationLabel(double seconds, double step)
{
    if (seconds == 0) {
        return QStringLiteral("0");
    }
    if (step < 60) {
        return QString::number(seconds, 'g', 6) + QStringLiteral(" s");
    }
    if (step < 3600) {
        return QString::number(seconds / 60, 'g', 6) + QStringLiteral(" min");
    }
    if (step < 86400) {
        return QString::number(seconds / 3600, 'g', 6) + QStringLiteral(" h");
    }
    return QString::number(seconds / 86400, 'g', 6) + QStringLiteral(" d");
}

// The runs of known points, one line each; unknown points are where lines break.
std::vector<QList<QPointF>> knownRuns(const std::vector<ChartPoint> &points, double &maxValue)
{
    std::vector<QList<QPointF>> runs;
    bool inRun = false;
    for (const ChartPoint &point : points) {
        if (!point.isKnown()) {
            inRun = false;
            continue;
        }
        if (!inRun) {
            runs.emplace_back();
            inRun = true;
        }
        runs.back().append(QPointF(static_cast<qreal>(point.timeMs), point.value));
        maxValue = std::max(maxValue, point.value);
    }
    return runs;
}

constexpr auto nameOf = [](const auto &series) -> const QString & { return series->name; };

void styleAxis(QAbstractAxis *axis, const QFont &font)
{
    axis->setLabelsFont(font);
    axis->setLabelsColor(kLabelColour);
    axis->setTitleFont(font);
    axis->setTitleBrush(kLabelColour);
    axis->setGridLineColor(kGridColour);
    axis->setLinePenColor(kAxisLineColour);
}

} // namespace

// Remembers what its last paint cost, to pace the redraws.
class LagChart::TimedChartView : public QChartView
{
public:
    using QChartView::QChartView;

    std::chrono::nanoseconds lastPaintCost() const { return m_lastPaintCost; }

protected:
    void paintEvent(QPaintEvent *event) override
    {
        QElapsedTimer timer;
        timer.start();
        QChartView::paintEvent(event);
        m_lastPaintCost = std::chrono::nanoseconds(timer.nsecsElapsed());
    }

private:
    std::chrono::nanoseconds m_lastPaintCost{0};
};

struct LagChart::Series
{
    QString name;
    Unit unit = Unit::Messages;
    SeriesBuffer buffer;
    QPen pen; // its width follows the number of series, at each redraw
    // One line per run of known values; lines[0] carries the legend entry.
    std::vector<QLineSeries *> lines;
    QString legendName;
    qsizetype shownPoints = 0;
};

LagChart::LagChart(QWidget *parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_view(new TimedChartView(m_chart, this))
    , m_timeAxis(new QDateTimeAxis(m_chart))
    , m_messagesAxis(new QCategoryAxis(m_chart))
    , m_secondsAxis(new QCategoryAxis(m_chart))
    , m_notice(new QLabel(m_view->viewport()))
{
    m_chart->setTheme(QChart::ChartThemeLight);
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->setBackgroundRoundness(0);
    m_chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->legend()->setFont(font());
    m_chart->legend()->setLabelColor(kLabelColour);

    const QFont axisFont = font();
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_messagesAxis, Qt::AlignLeft);
    m_chart->addAxis(m_secondsAxis, Qt::AlignRight);
    for (QAbstractAxis *axis :
         std::initializer_list<QAbstractAxis *>{m_timeAxis, m_messagesAxis, m_secondsAxis}) {
        styleAxis(axis, axisFont);
    }
    m_messagesAxis->setTitleText(tr("Lag (messages)"));
    m_secondsAxis->setTitleText(tr("Lag (time)"));
    for (QCategoryAxis *axis : {m_messagesAxis, m_secondsAxis}) {
        axis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
        axis->setStartValue(0);
    }
    // Two grids that do not line up read as noise; the left axis draws the only one.
    m_secondsAxis->setGridLineVisible(false);
    m_secondsAxis->setVisible(false);

    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setFrameShape(QFrame::NoFrame);

    m_notice->setAlignment(Qt::AlignCenter);
    m_notice->setAttribute(Qt::WA_TransparentForMouseEvents);
    QFont noticeFont = font();
    noticeFont.setPointSizeF(noticeFont.pointSizeF() * 1.2);
    m_notice->setFont(noticeFont);
    m_notice->setStyleSheet(QStringLiteral("color: #808080; background: transparent;"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    setMinimumSize(320, 200);

    m_redrawTimer.setSingleShot(true);
    m_redrawTimer.setInterval(kRedrawDelay);
    connect(&m_redrawTimer, &QTimer::timeout, this, &LagChart::redraw);
    connect(&m_clock, &QTimer::timeout, this, &LagChart::markDirty);

    setWindow(m_window);
    applyScale(Unit::Messages, 0, 5);
    applyScale(Unit::Seconds, 0, 5);
}

LagChart::~LagChart() = default;

void LagChart::setWindow(std::chrono::seconds window)
{
    m_window = std::clamp(window, kShortestWindow, kLongestWindow);
    m_timeAxis->setFormat(m_window <= 1h ? QStringLiteral("hh:mm:ss")
                                         : QStringLiteral("dd MMM hh:mm"));
    updateClockInterval();
    markDirty();
}

void LagChart::setSeries(const QString &name, Unit unit, std::vector<ChartPoint> history)
{
    seriesFor(name, unit).buffer.replaceAll(std::move(history));
    markDirty();
}

void LagChart::appendPoint(const QString &name, Unit unit, ChartPoint point)
{
    if (seriesFor(name, unit).buffer.append(point)) {
        markDirty();
    }
}

void LagChart::removeSeries(const QString &name)
{
    const auto it = std::ranges::find(m_series, name, nameOf);
    if (it == m_series.end()) {
        return;
    }
    for (QLineSeries *line : (*it)->lines) {
        m_chart->removeSeries(line);
        delete line;
    }
    m_series.erase(it);
    markDirty();
}

void LagChart::clear()
{
    while (!m_series.empty()) {
        removeSeries(m_series.back()->name);
    }
}

QStringList LagChart::seriesNames() const
{
    QStringList names;
    names.reserve(static_cast<qsizetype>(m_series.size()));
    for (const auto &series : m_series) {
        names.append(series->name);
    }
    return names;
}

qsizetype LagChart::shownPointCount(const QString &name) const
{
    const auto it = std::ranges::find(m_series, name, nameOf);
    return it == m_series.end() ? 0 : (*it)->shownPoints;
}

QString LagChart::notice() const
{
    return m_notice->isVisibleTo(m_view) ? m_notice->text() : QString();
}

std::chrono::milliseconds LagChart::redrawDelay() const
{
    return std::chrono::milliseconds(m_redrawTimer.interval());
}

QValueAxis *LagChart::valueAxis(Unit unit) const
{
    return unit == Unit::Messages ? m_messagesAxis : m_secondsAxis;
}

void LagChart::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_clock.start();
    markDirty();
}

void LagChart::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_clock.stop();
}

void LagChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    updateClockInterval();
    markDirty();
}

LagChart::Series &LagChart::seriesFor(const QString &name, Unit unit)
{
    const auto it = std::ranges::find(m_series, name, nameOf);
    if (it != m_series.end()) {
        if ((*it)->unit != unit) {
            attach(**it, unit);
        }
        return **it;
    }
    auto series = std::make_unique<Series>();
    series->name = name;
    series->unit = unit;
    series->buffer = SeriesBuffer(SeriesBuffer::kDefaultCapacity, kLongestWindow);
    const auto colour = kPalette.at(static_cast<std::size_t>(m_colourIndex) % kPalette.size());
    series->pen = QPen(QColor(colour));
    // Round caps would join the segments more smoothly but cost twice the painting.
    series->pen.setCapStyle(Qt::FlatCap);
    ++m_colourIndex;
    addLine(*series);
    m_series.push_back(std::move(series));
    return *m_series.back();
}

QLineSeries *LagChart::addLine(Series &series)
{
    auto *line = new QLineSeries;
    line->setName(series.legendName.isEmpty() ? series.name : series.legendName);
    m_chart->addSeries(line);
    line->attachAxis(m_timeAxis);
    line->attachAxis(valueAxis(series.unit));
    line->setPen(series.pen);
    if (!series.lines.empty()) {
        for (QLegendMarker *marker : m_chart->legend()->markers(line)) {
            marker->setVisible(false);
        }
    }
    series.lines.push_back(line);
    return line;
}

void LagChart::attach(Series &series, Unit unit)
{
    for (QLineSeries *line : series.lines) {
        line->detachAxis(valueAxis(series.unit));
        line->attachAxis(valueAxis(unit));
    }
    series.unit = unit;
}

void LagChart::markDirty()
{
    m_dirty = true;
    if (isVisible() && !m_redrawTimer.isActive()) {
        m_redrawTimer.start();
    }
}

void LagChart::redraw()
{
    if (!isVisible() || !m_dirty) {
        return;
    }
    m_dirty = false;
    QElapsedTimer timer;
    timer.start();

    const qint64 windowMs = std::chrono::milliseconds(m_window).count();
    qint64 toMs = QDateTime::currentMSecsSinceEpoch();
    for (const auto &series : m_series) {
        if (!series->buffer.isEmpty()) {
            toMs = std::max(toMs, series->buffer.points().back().timeMs);
        }
    }
    const qint64 fromMs = toMs - windowMs;
    const int columns = plotColumns();
    const qint64 bucketMs = std::max<qint64>(1, (windowMs + columns - 1) / columns);

    double maxMessages = 0;
    double maxSeconds = 0;
    bool hasMessages = false;
    bool hasSeconds = false;
    bool knownInView = false;
    std::vector<std::vector<QList<QPointF>>> runsOfSeries;
    runsOfSeries.reserve(m_series.size());
    for (const auto &series : m_series) {
        double maxValue = 0;
        std::vector<QList<QPointF>> runs;
        for (qint64 width = bucketMs;; width *= 2) {
            runs = knownRuns(decimateMinMax(series->buffer.points(), fromMs, toMs, width),
                             maxValue);
            if (runs.size() <= kMaxLinesPerSeries) {
                break;
            }
        }
        knownInView = knownInView || !runs.empty();
        if (series->unit == Unit::Messages) {
            hasMessages = true;
            maxMessages = std::max(maxMessages, maxValue);
        } else {
            hasSeconds = true;
            maxSeconds = std::max(maxSeconds, maxValue);
        }
        runsOfSeries.push_back(std::move(runs));
    }

    // Qt Charts lays out every line again when an axis range changes and again when its
    // points are replaced; the layout costs most of a redraw. Emptying the lines first
    // makes the axis changes cheap, so each line is laid out once.
    const qreal width = lineWidth();
    for (const auto &series : m_series) {
        if (series->pen.widthF() != width) {
            series->pen.setWidthF(width);
            for (QLineSeries *line : series->lines) {
                line->setPen(series->pen);
            }
        }
        for (QLineSeries *line : series->lines) {
            if (line->count() > 0) {
                line->clear();
            }
        }
    }
    const int maxIntervals = std::clamp(static_cast<int>(m_chart->plotArea().height() / 45), 2, 6);
    const bool leftAxis = hasMessages || !hasSeconds;
    m_messagesAxis->setVisible(leftAxis);
    m_secondsAxis->setVisible(hasSeconds);
    // Without a value axis on a side, the time axis's end label needs the margin instead.
    const QMargins margins(leftAxis ? 4 : 32, 12, hasSeconds ? 4 : 32, 0);
    if (m_chart->margins() != margins) {
        m_chart->setMargins(margins);
    }
    applyScale(Unit::Messages, maxMessages, maxIntervals);
    applyScale(Unit::Seconds, maxSeconds, maxIntervals);
    m_timeAxis->setTickCount(std::clamp(columns / 120 + 1, 3, 9));
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(fromMs),
                         QDateTime::fromMSecsSinceEpoch(toMs));
    for (std::size_t i = 0; i < m_series.size(); ++i) {
        showRuns(*m_series[i], std::move(runsOfSeries[i]));
    }

    QString notice;
    if (!knownInView) {
        const bool knownEarlier = std::ranges::any_of(
            m_series, [](const auto &series) { return series->buffer.hasKnownValue(); });
        notice = knownEarlier ? tr("No data in this window") : tr("No data yet");
    }
    m_notice->setText(notice);
    m_notice->setVisible(!notice.isEmpty());
    placeNotice();
    ++m_redrawCount;

    // The pause after a redraw is (1 - share) / share times what the redraw and its painting
    // took (wall time: a busy machine gets fewer redraws), within bounds that keep it live.
    const auto cost = std::chrono::nanoseconds(timer.nsecsElapsed()) + m_view->lastPaintCost();
    const auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(
        cost * ((1 - kCpuShare) / kCpuShare));
    // A redraw with nothing to show (the first, usually the dearest: fonts, layout) does not
    // hold back the one that brings the first points.
    m_redrawTimer.setInterval(knownInView ? std::clamp(pause, kRedrawDelay, kLongestRedrawDelay)
                                          : kRedrawDelay);
    // The clock only slides the axis when no data has redrawn the chart for a while.
    m_clock.start();
}

void LagChart::showRuns(Series &series, std::vector<QList<QPointF>> runs)
{
    while (series.lines.size() < runs.size()) {
        addLine(series);
    }
    qsizetype shown = 0;
    for (std::size_t i = 0; i < series.lines.size(); ++i) {
        QLineSeries *line = series.lines[i];
        if (i < runs.size()) {
            // A known point between two gaps has no segment to draw: show it as a dot.
            const bool lonePoint = runs[i].size() == 1;
            if (line->pointsVisible() != lonePoint) {
                line->setPointsVisible(lonePoint);
            }
            shown += runs[i].size();
            line->replace(runs[i]);
        }
    }
    series.shownPoints = shown;

    QString legendName = series.name;
    if (runs.empty()) {
        legendName = series.buffer.hasKnownValue()
            ? tr("%1 (no data in this window)").arg(series.name)
            : tr("%1 (no data yet)").arg(series.name);
    }
    if (legendName != series.legendName) {
        series.legendName = legendName;
        series.lines.front()->setName(legendName);
    }
}

void LagChart::applyScale(Unit unit, double maxValue, int maxIntervals)
{
    // Headroom keeps the peak off the frame; an axis with nothing above zero still shows a
    // few steps, so that a flat line at zero reads as zero.
    const double needed = std::max(maxValue * 1.05, unit == Unit::Messages ? 5.0 : 1.0);
    const double minimumStep = needed / maxIntervals;
    const double step = unit == Unit::Messages ? countStep(minimumStep) : durationStep(minimumStep);
    const auto intervals = static_cast<int>(std::ceil(needed / step - 1e-9));
    const AxisScale scale{intervals * step, step};

    AxisScale &current = unit == Unit::Messages ? m_messagesScale : m_secondsScale;
    if (scale == current) {
        return;
    }
    current = scale;
    QCategoryAxis *axis = unit == Unit::Messages ? m_messagesAxis : m_secondsAxis;
    for (const QString &label : axis->categoriesLabels()) {
        axis->remove(label);
    }
    for (int i = 0; i <= intervals; ++i) {
        const double value = i * step;
        axis->append(unit == Unit::Messages ? countLabel(value) : durationLabel(value, step),
                     value);
    }
    axis->setRange(0, scale.top);
}

void LagChart::updateClockInterval()
{
    // Slide by about a pixel a tick, but not more often than the data comes in (1 Hz).
    const qint64 windowMs = std::chrono::milliseconds(m_window).count();
    const qint64 columnMs = windowMs / plotColumns();
    m_clock.setInterval(static_cast<int>(std::clamp<qint64>(columnMs, 1000, 60000)));
}

void LagChart::placeNotice()
{
    const QRectF plot = m_chart->mapToScene(m_chart->plotArea()).boundingRect();
    m_notice->setGeometry(m_view->mapFromScene(plot).boundingRect());
}

qreal LagChart::lineWidth() const
{
    return m_series.size() <= 4 ? 2 : 1;
}

int LagChart::plotColumns() const
{
    const auto plotWidth = static_cast<int>(m_chart->plotArea().width());
    return plotWidth > 0 ? plotWidth : std::max(1, width());
}

} // namespace logdeck::ui
