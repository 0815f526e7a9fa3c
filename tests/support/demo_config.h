#pragma once
// The configuration of the console tests that run the embedded demo.

#include "config.h"

namespace logdeck::test {

/// The embedded demo at 200 requests a second, lag measured every second.
Config demoConfig();

} // namespace logdeck::test
