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
