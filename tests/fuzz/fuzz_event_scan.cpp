// The collector's request bodies: the one-pass scanner must answer every byte sequence as
// the DOM reference does (status, message, field and record value), for a single event and
// for a batch. A disagreement aborts, and libFuzzer keeps the input.

#include "support/event_scan_reference.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view body(reinterpret_cast<const char *>(data), size);
    for (const std::string &difference :
         {logdeck::test::singleDifferences(body), logdeck::test::batchDifferences(body, 4)}) {
        if (!difference.empty()) {
            std::fprintf(stderr, "scanner and DOM disagree: %s\n", difference.c_str());
            std::abort();
        }
    }
    return 0;
}
