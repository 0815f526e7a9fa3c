#pragma once
// What tests that run a whole engine as a process (logdeck-cli run) share.

#include <QtGlobal>
#include <cstdint>
#include <string>

namespace logdeck::test {

/// A free TCP port on 127.0.0.1, for an engine's --listen.
quint16 freeLocalPort();

/// The analytics group's count of events in `dataDir`, summed over its rollups (0 when the
/// group has counted nothing yet).
std::int64_t analyticsTotal(const std::string &dataDir);

} // namespace logdeck::test
