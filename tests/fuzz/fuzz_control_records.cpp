// The records of logdeck.control and logdeck.status: every decoder answers any bytes with a
// value or an error that says what the record is not, and never throws (an uncaught
// nlohmann type_error once terminated every engine).

#include "ops/control_plane.h"

#include <cstdio>
#include <cstdlib>

namespace {

template<typename Decoded>
void expectDecodedOrNamed(const Decoded &decoded)
{
    if (!decoded && !decoded.error().message.starts_with("not a")) {
        std::fprintf(stderr, "unexpected error: %s\n", decoded.error().message.c_str());
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view value(reinterpret_cast<const char *>(data), size);
    expectDecodedOrNamed(logdeck::ops::decodeCommand(value));
    expectDecodedOrNamed(logdeck::ops::decodeHeartbeat(value));
    expectDecodedOrNamed(logdeck::ops::decodeAck(value));
    return 0;
}
