#pragma once

#include "common/result.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace logdeck::collector {

/// One HTTP request, read in full.
struct HttpRequest
{
    std::string method;
    std::string target; ///< path and query
    std::string contentType;
    std::string authorization; ///< the Authorization header
    std::string apiKey; ///< the X-Api-Key header
    std::string body;
    std::chrono::steady_clock::time_point receivedAt;
};

struct HttpResponse
{
    int status = 200;
    std::string body;
    std::string contentType = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
};

/// Completes one request. Call it exactly once, from any thread: the response is written
/// on the connection's own executor. Safe after the client has gone away.
using Responder = std::function<void(HttpResponse)>;

struct HttpServerOptions
{
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080; ///< 0 picks a free port
    std::size_t maxBodyBytes = (1U << 20) + (64U << 10); ///< 1 MiB of events plus envelope
    std::chrono::milliseconds idleTimeout {15000}; ///< a request must arrive whole within this
    int maxConnections = 4096;
    int threads = 1;
};

/// An HTTP/1.1 server on Boost.Beast with keep-alive, body and header limits, a read
/// timeout and a connection cap. Handlers run on an I/O thread and must not block; they
/// answer later through the Responder.
class HttpServer
{
public:
    using Handler = std::function<void(HttpRequest &&, Responder)>;

    static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions &options,
                                                     Handler handler);
    ~HttpServer();
    HttpServer(const HttpServer &) = delete;
    HttpServer &operator=(const HttpServer &) = delete;

    std::uint16_t port() const;

    /// Stops taking new connections; open ones keep being served.
    void stopAccepting();

    /// Requests handed to the handler and not yet answered.
    std::int64_t pendingResponses() const;

    /// Calls `onReadable` on an I/O thread each time `fd` is readable (it must make it
    /// unreadable again), until stopWatching(). The descriptor stays the caller's.
    void watch(int fd, std::function<void()> onReadable);
    /// Stops every watch; once it returns no `onReadable` runs or will run.
    void stopWatching();

    /// Closes every connection and joins the I/O threads. Idempotent.
    void stop();

private:
    struct Impl;
    explicit HttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace logdeck::collector
