#include "support/engine_process.h"

#include "consume/rollup_reader.h"

#include <QTcpServer>

namespace logdeck::test {

quint16 freeLocalPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

std::int64_t analyticsTotal(const std::string &dataDir)
{
    std::int64_t total = 0;
    if (auto rows = consume::readRollups(dataDir, std::string())) {
        for (const auto &row : *rows) {
            total += row.count;
        }
    }
    return total;
}

} // namespace logdeck::test
