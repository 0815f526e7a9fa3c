// The groups' reader of record values: any bytes a producer can write are read or refused
// with a reason, never a crash (a 100,000-level value once overflowed every group's stack).

#include "consume/processor.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    logdeck::kafka::ConsumedRecord record;
    record.topic = "events.raw";
    record.key = "acme";
    record.value.assign(reinterpret_cast<const char *>(data), size);
    logdeck::consume::Event event;
    std::string problem;
    if (!logdeck::consume::parseEvent(record, event, &problem) && problem.empty()) {
        std::fprintf(stderr, "a record value was refused without a reason\n");
        std::abort();
    }
    (void)logdeck::consume::isCompactEventValue(record.value);
    return 0;
}
