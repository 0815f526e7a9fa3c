#pragma once

namespace logdeck {

/// Names the calling thread, so `top -H`, perf and gdb tell the engine's threads apart
/// (the kernel keeps 15 characters; longer names are cut).
void nameThisThread(const char *name);

} // namespace logdeck
