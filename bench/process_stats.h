#pragma once
// What the console benchmarks read of their own process.

#include <QFile>

namespace logdeck::bench {

/// Resident memory of this process in KiB (Linux); -1 when it cannot be read.
inline long rssKib()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').first().toLong();
        }
    }
    return -1;
}

} // namespace logdeck::bench
