#include "models/time_text.h"

#include "widgets/figures.h"

#include <QDateTime>

namespace logdeck::ui {

QString timestampText(std::int64_t unixMs)
{
    if (unixMs <= 0) {
        return QStringLiteral("–");
    }
    return QDateTime::fromMSecsSinceEpoch(unixMs).toString(
        QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
}

QString timeOfDayText(std::int64_t unixMs)
{
    if (unixMs <= 0) {
        return QStringLiteral("–");
    }
    const QDateTime time = QDateTime::fromMSecsSinceEpoch(unixMs);
    const QDate today = QDate::currentDate();
    if (time.date() == today) {
        return time.toString(QStringLiteral("HH:mm:ss.zzz"));
    }
    if (time.date().year() == today.year()) {
        return time.toString(QStringLiteral("MM-dd HH:mm:ss.zzz"));
    }
    return timestampText(unixMs);
}

QString durationText(std::int64_t ms)
{
    if (ms < 0) {
        return QStringLiteral("–");
    }
    if (ms < 1000) {
        return QStringLiteral("%1 ms").arg(ms);
    }
    if (ms < 10'000) {
        return QStringLiteral("%1 s").arg(static_cast<double>(ms) / 1000.0, 0, 'f', 1);
    }
    return formatSeconds(static_cast<double>(ms) / 1000.0);
}

} // namespace logdeck::ui
