#include "support/demo_config.h"

namespace logdeck::test {

Config demoConfig()
{
    Config config;
    config.embedded = true;
    config.demoRate = 200;
    config.lagIntervalMs = 1000;
    return config;
}

} // namespace logdeck::test
