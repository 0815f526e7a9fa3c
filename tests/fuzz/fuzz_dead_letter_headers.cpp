// The dead-letter header decoders (Logdeck, Spring's kafka_dlt-*, Connect's
// __connect.errors.*): any header values give known coordinates or unknown ones with a
// note, never invented ones. The input is a list of headers: a byte picking the name, a
// length byte, then the value.

#include "kafka/record_headers.h"
#include "ops/dead_letters.h"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace {

namespace h = logdeck::kafka::headers;

// Every header the decoders read, and two they do not.
constexpr std::array<const char *, 16> kNames = {
    h::kSpringOriginalTopic,  h::kSpringOriginalPartition, h::kSpringOriginalOffset,
    h::kSpringOriginalTimestamp, h::kSpringExceptionClass, h::kSpringExceptionMessage,
    h::kConnectTopic,         h::kConnectPartition,        h::kConnectOffset,
    h::kConnectExceptionClass, h::kOriginalTopic,          h::kOriginalPartition,
    h::kOriginalOffset,       h::kOriginalTimestamp,       "error-class",
    "something-else"};

[[noreturn]] void invented(const char *what)
{
    std::fprintf(stderr, "a dead letter's %s was invented\n", what);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    logdeck::kafka::Headers headers;
    for (std::size_t i = 0; i + 2 <= size;) {
        const char *name = kNames[data[i] % kNames.size()];
        const std::size_t length = std::min<std::size_t>(data[i + 1], size - i - 2);
        headers.emplace_back(name, std::string(reinterpret_cast<const char *>(data) + i + 2, length));
        i += 2 + length;
    }
    const auto origin = logdeck::ops::decodeDeadLetterOrigin(headers);
    if (origin.partition && *origin.partition < 0) {
        invented("partition");
    }
    if (origin.offset && *origin.offset < 0) {
        invented("offset");
    }
    if (origin.convention != "unknown" && (!origin.partition || !origin.offset)
        && origin.notes.empty()) {
        invented("missing coordinate without a note");
    }
    return 0;
}
