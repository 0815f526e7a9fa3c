#pragma once

#include "widgets/series_decimation.h"

#include <QStringList>
#include <QTimer>
#include <QWidget>
#include <chrono>
#include <memory>
#include <vector>

QT_BEGIN_NAMESPACE
class QCategoryAxis;
class QChart;
class QDateTimeAxis;
class QLabel;
class QLineSeries;
class QValueAxis;
QT_END_NAMESPACE

namespace logdeck::ui {

/// A live chart of consumer-group lag over a window that ends now: series in messages on
/// the left axis, series in seconds on the right one, local time along the bottom.
///
/// Changing data only marks the chart dirty; a single-shot timer redraws at most every
/// kRedrawDelay, so a burst of appends costs one redraw. A redraw decimates each series to
/// the plot's pixel columns (decimateMinMax) and hands each line to Qt Charts with one
/// replace(). A chart whose redraw and painting take long (many series) waits longer
/// between redraws, up to kLongestRedrawDelay, so that it uses about kCpuShare of a core at
/// most. Series live in SeriesBuffers, so memory stays bounded however long it runs.
///
/// The time axis slides with wall time (or with the newest point if that is later), also
/// when no data arrives; the value axes scale to what is in view, starting at 0. A chart
/// with more than four series draws thinner lines.
///
/// An unknown value (NaN) breaks the line; a series with nothing known in the window is
/// drawn empty, never as zero, its legend entry says "no data yet", and when nothing at
/// all is known in view the plot says so (notice()). Time without points is bridged: to
/// show that a value became unknown (e.g. the engine disconnected), append a NaN point.
///
/// A hidden chart does not redraw; it catches up when shown.
class LagChart : public QWidget
{
    Q_OBJECT

public:
    enum class Unit { Messages, Seconds };

    static constexpr std::chrono::seconds kShortestWindow = std::chrono::minutes(1);
    static constexpr std::chrono::seconds kLongestWindow = std::chrono::days(7);
    static constexpr std::chrono::milliseconds kRedrawDelay{250};
    static constexpr std::chrono::milliseconds kLongestRedrawDelay{2000};
    static constexpr double kCpuShare = 0.1;

    explicit LagChart(QWidget *parent = nullptr);
    ~LagChart() override;

    /// The x axis spans [now - window, now]. Clamped to kShortestWindow ... kLongestWindow.
    void setWindow(std::chrono::seconds window);
    std::chrono::seconds window() const { return m_window; }

    /// Replaces a series' points (e.g. history from the engine), creating the series if it
    /// is new and moving it to `unit`'s axis if it was on the other. Need not be sorted.
    void setSeries(const QString &name, Unit unit, std::vector<ChartPoint> history);
    /// Appends a live point to a series, creating it if it is new. A point older than the
    /// series' newest one is ignored.
    void appendPoint(const QString &name, Unit unit, ChartPoint point);
    void removeSeries(const QString &name);
    /// Removes every series.
    void clear();

    /// The series' names in the order they were added.
    QStringList seriesNames() const;
    /// The points the last redraw handed to the chart for a series, over all its lines.
    qsizetype shownPointCount(const QString &name) const;
    /// The text over the plot when nothing known is in view ("No data yet"), else empty.
    QString notice() const;
    /// Redraws done so far; data changes between two redraws are coalesced into one.
    int redrawCount() const { return m_redrawCount; }
    /// The wait between a data change and its redraw: kRedrawDelay, longer as redraws
    /// get costly, at most kLongestRedrawDelay.
    std::chrono::milliseconds redrawDelay() const;

    /// The Qt Charts objects, for styling (e.g. hiding the legend) and for tests.
    QChart *chart() const { return m_chart; }
    QDateTimeAxis *timeAxis() const { return m_timeAxis; }
    QValueAxis *valueAxis(Unit unit) const;

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    class TimedChartView;
    struct Series;
    struct AxisScale
    {
        double top = 0;
        double step = 0;
        friend bool operator==(const AxisScale &, const AxisScale &) = default;
    };

    Series &seriesFor(const QString &name, Unit unit);
    QLineSeries *addLine(Series &series);
    void attach(Series &series, Unit unit);
    void markDirty();
    void redraw();
    void showRuns(Series &series, std::vector<QList<QPointF>> runs);
    void applyScale(Unit unit, double maxValue, int maxIntervals);
    void updateClockInterval();
    void placeNotice();
    /// The plot's width in pixels: the number of columns a series is decimated to.
    int plotColumns() const;
    /// Thinner lines when there are many: easier to tell apart, and cheaper to paint.
    qreal lineWidth() const;

    QChart *m_chart;
    TimedChartView *m_view;
    QDateTimeAxis *m_timeAxis;
    QCategoryAxis *m_messagesAxis;
    QCategoryAxis *m_secondsAxis;
    QLabel *m_notice;
    std::vector<std::unique_ptr<Series>> m_series;
    std::chrono::seconds m_window = std::chrono::hours(1);
    AxisScale m_messagesScale;
    AxisScale m_secondsScale;
    QTimer m_redrawTimer;
    // Keeps the time axis sliding while no data arrives.
    QTimer m_clock;
    int m_colourIndex = 0;
    int m_redrawCount = 0;
    bool m_dirty = true;
};

} // namespace logdeck::ui
