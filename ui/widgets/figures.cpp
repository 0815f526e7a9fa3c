#include "widgets/figures.h"

#include <QLocale>
#include <array>
#include <cmath>

namespace logdeck::ui {

namespace {

const QLocale &english()
{
    static const QLocale locale(QLocale::English, QLocale::UnitedStates);
    return locale;
}

QString unknown()
{
    return QStringLiteral("–");
}

/// One decimal, without a trailing ".0": "12.5", "3".
QString oneDecimal(double value)
{
    QString text = english().toString(value, 'f', 1);
    if (text.endsWith(QLatin1String(".0"))) {
        text.chop(2);
    }
    return text;
}

/// A non-negative value in at most four characters with a unit prefix from `units`:
/// one decimal below 100, whole numbers up to 999, then the next unit.
template<std::size_t N>
QString compact(double value, const std::array<const char *, N> &units)
{
    for (std::size_t unit = 0; unit < N; ++unit) {
        const bool last = unit + 1 == N;
        const QString suffix = QString::fromLatin1(units[unit]);
        if (std::round(value * 10) / 10 < 100) {
            return oneDecimal(value) + suffix;
        }
        // Rounding 999.6 up must move to the next unit, not show "1000".
        if (std::round(value) < 1000 || last) {
            return english().toString(static_cast<qint64>(std::llround(value))) + suffix;
        }
        value /= 1000;
    }
    return unknown();
}

QString twoDigits(qint64 value)
{
    return QStringLiteral("%1").arg(value, 2, 10, QLatin1Char('0'));
}

} // namespace

QString formatRate(std::optional<double> perSecond)
{
    // A negative rate only comes from a counter that was reset: it says nothing.
    if (!perSecond || !std::isfinite(*perSecond) || *perSecond < 0) {
        return unknown();
    }
    const double value = *perSecond;
    if (value == 0) {
        return QStringLiteral("0/s");
    }
    // Rounding a trickle to "0/s" would claim that nothing flows.
    if (value < 0.05) {
        return QStringLiteral("<0.1/s");
    }
    static constexpr std::array units{"", "k", "M", "G", "T"};
    return compact(value, units) + QStringLiteral("/s");
}

QString formatCount(std::optional<qint64> count)
{
    if (!count) {
        return unknown();
    }
    const qint64 value = *count;
    if (value > -1'000'000 && value < 1'000'000) {
        return english().toString(value);
    }
    static constexpr std::array units{"M", "G", "T", "P"};
    const QString magnitude = compact(std::abs(static_cast<double>(value)) / 1e6, units);
    return value < 0 ? QStringLiteral("-") + magnitude : magnitude;
}

QString formatSeconds(std::optional<double> seconds)
{
    if (!seconds || std::isnan(*seconds)) {
        return unknown();
    }
    const double value = *seconds;
    if (std::isinf(value)) {
        return value > 0 ? QStringLiteral("∞") : unknown();
    }
    if (value <= 0) {
        return QStringLiteral("0s");
    }
    if (value < 1) {
        return QStringLiteral("<1s");
    }
    const qint64 whole = std::llround(value);
    if (whole < 60) {
        return QString::number(whole) + QLatin1Char('s');
    }
    if (whole < 3600) {
        return QString::number(whole / 60) + QLatin1Char('m') + twoDigits(whole % 60)
            + QLatin1Char('s');
    }
    if (whole < 86400) {
        return QString::number(whole / 3600) + QLatin1Char('h') + twoDigits(whole % 3600 / 60)
            + QLatin1Char('m');
    }
    return english().toString(whole / 86400) + QLatin1Char('d') + twoDigits(whole % 86400 / 3600)
        + QLatin1Char('h');
}

QString formatMilliseconds(std::optional<double> milliseconds)
{
    if (!milliseconds || !std::isfinite(*milliseconds) || *milliseconds < 0) {
        return unknown();
    }
    const double value = *milliseconds;
    if (std::round(value * 10) / 10 < 10) {
        return oneDecimal(value) + QStringLiteral(" ms");
    }
    if (std::round(value) < 1000) {
        return QString::number(std::llround(value)) + QStringLiteral(" ms");
    }
    static constexpr std::array units{" s"};
    return compact(value / 1000, units);
}

QString formatPercent(std::optional<double> fraction)
{
    if (!fraction || !std::isfinite(*fraction) || *fraction < 0) {
        return unknown();
    }
    const double percent = *fraction * 100;
    if (percent == 0) {
        return QStringLiteral("0%");
    }
    // A rare error is still an error: don't round it away.
    if (percent < 0.05) {
        return QStringLiteral("<0.1%");
    }
    if (std::round(percent * 10) / 10 < 10) {
        return oneDecimal(percent) + QLatin1Char('%');
    }
    return QString::number(std::llround(percent)) + QLatin1Char('%');
}

} // namespace logdeck::ui
