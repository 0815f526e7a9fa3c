#pragma once

#include <expected>
#include <string>
#include <utility>

namespace logdeck {

/// What went wrong, in words a user can act on. `retriable` tells callers whether the
/// same call may succeed later (a broker that is down) or never will (a bad setting).
struct Error
{
    enum class Code {
        InvalidArgument, ///< bad input: a flag, a config value, a request field
        NotFound,
        Unavailable, ///< broker or peer unreachable, queue full: try again later
        Timeout,
        Io, ///< file system or database
        Kafka, ///< any other librdkafka error
        Internal,
        Cancelled,
        Unsupported, ///< the cluster cannot do it (the embedded mock cluster, an old broker)
        StateLost, ///< stored state is gone (a truncated database): an operator must choose
    };

    Code code = Code::Internal;
    std::string message;
    bool retriable = false;

    static Error invalid(std::string message)
    {
        return {Code::InvalidArgument, std::move(message), false};
    }
    static Error notFound(std::string message)
    {
        return {Code::NotFound, std::move(message), false};
    }
    static Error cancelled(std::string message)
    {
        return {Code::Cancelled, std::move(message), false};
    }
    static Error unavailable(std::string message)
    {
        return {Code::Unavailable, std::move(message), true};
    }
    static Error timeout(std::string message) { return {Code::Timeout, std::move(message), true}; }
    static Error io(std::string message) { return {Code::Io, std::move(message), false}; }
    static Error internal(std::string message)
    {
        return {Code::Internal, std::move(message), false};
    }
};

/// Every fallible engine call returns a Result; exceptions never cross a thread, a slot or
/// a librdkafka callback.
template<typename T>
using Result = std::expected<T, Error>;

/// Shorthand for returning an error from a function that returns Result<T>.
inline std::unexpected<Error> fail(Error error)
{
    return std::unexpected<Error>(std::move(error));
}

} // namespace logdeck
