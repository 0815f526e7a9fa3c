#include "collector/http_server.h"

#include "common/log.h"
#include "common/thread_name.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <optional>
#include <thread>

namespace logdeck::collector {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

struct ServerState
{
    HttpServerOptions options;
    HttpServer::Handler handler;
    std::atomic<int> connections {0};
    std::atomic<std::int64_t> pending {0};
};

std::string_view reasonFor(int status)
{
    return http::obsolete_reason(static_cast<http::status>(status));
}

/// Writes the answer's bytes into `out` (reusing its capacity). A 202 is written tens of
/// thousands of times a second; building a Beast message and running its serializer for
/// each took 5-10% of the engine's throughput at 256 connections.
void renderResponse(const HttpResponse &response, bool keepAlive, bool head, std::string &out)
{
    out.clear();
    out += "HTTP/1.1 ";
    out += std::to_string(response.status);
    out += ' ';
    out += reasonFor(response.status);
    out += "\r\nServer: logdeck\r\nContent-Type: ";
    out += response.contentType;
    for (const auto &[name, value] : response.headers) {
        out += "\r\n";
        out += name;
        out += ": ";
        out += value;
    }
    if (!keepAlive) {
        out += "\r\nConnection: close";
    }
    out += "\r\nContent-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n\r\n";
    if (!head) {
        // A HEAD gets the headers a GET would get, Content-Length included, and never a
        // body: the client reads none, and any byte sent would start its next answer.
        out += response.body;
    }
}

/// One client connection: reads a request, hands it to the handler, writes the answer the
/// Responder delivers, and reads the next one while the client keeps the connection alive.
class Session : public std::enable_shared_from_this<Session>
{
    /// How long a closing connection's late bytes are read and dropped.
    static constexpr std::chrono::seconds kLingerTime {2};
    static constexpr std::size_t kKeptAnswerBytes = 16 * 1024;

public:
    Session(tcp::socket &&socket, std::shared_ptr<ServerState> state)
        : m_stream(std::move(socket))
        , m_state(std::move(state))
    {
    }

    ~Session() { m_state->connections.fetch_sub(1, std::memory_order_relaxed); }

    void start()
    {
        net::dispatch(m_stream.get_executor(), [self = shared_from_this()] { self->read(); });
    }

    /// Answers 503 and closes: the server is at its connection cap.
    void refuse()
    {
        net::dispatch(m_stream.get_executor(), [self = shared_from_this()] {
            HttpResponse response {503,
                                   R"({"error":"too many connections, retry later","field":""})",
                                   "application/json",
                                   {{"Retry-After", "1"}}};
            self->m_keepAlive = false;
            self->write(std::move(response));
        });
    }

private:
    void read()
    {
        m_parser.emplace();
        m_answeringHead = false;
        m_parser->body_limit(m_state->options.maxBodyBytes);
        m_parser->header_limit(16 * 1024);
        m_stream.expires_after(m_state->options.idleTimeout);
        http::async_read(
            m_stream, m_buffer, *m_parser,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(beast::error_code ec)
    {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout
            || ec == net::error::connection_reset || ec == net::error::operation_aborted
            || ec == net::error::eof) {
            close();
            return;
        }
        if (ec == http::error::body_limit) {
            m_keepAlive = false;
            write({413,
                   R"({"error":"the body is larger than the limit of 1 MiB","field":""})",
                   "application/json",
                   {}});
            return;
        }
        if (ec) {
            m_keepAlive = false;
            write(
                {400, R"({"error":"malformed HTTP request","field":""})", "application/json", {}});
            return;
        }
        auto message = m_parser->release();
        m_keepAlive = message.keep_alive();
        m_answeringHead = message.method() == http::verb::head;
        HttpRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        request.contentType = std::string(message[http::field::content_type]);
        request.authorization = std::string(message[http::field::authorization]);
        request.apiKey = std::string(message["X-Api-Key"]);
        request.body = std::move(message.body());
        request.receivedAt = std::chrono::steady_clock::now();
        // No timeout while the handler works: the answer comes from the broker.
        m_stream.expires_never();
        m_state->pending.fetch_add(1, std::memory_order_relaxed);
        auto answered = std::make_shared<std::atomic<bool>>(false);
        Responder responder = [self = shared_from_this(), answered](HttpResponse response) {
            if (answered->exchange(true)) {
                return; // exactly once
            }
            net::post(self->m_stream.get_executor(),
                      [self, response = std::move(response)]() mutable {
                          self->m_state->pending.fetch_sub(1, std::memory_order_relaxed);
                          self->write(std::move(response));
                      });
        };
        m_state->handler(std::move(request), std::move(responder));
    }

    void write(HttpResponse response)
    {
        renderResponse(response, m_keepAlive, m_answeringHead, m_out);
        m_stream.expires_after(m_state->options.idleTimeout);
        net::async_write(m_stream, net::buffer(m_out),
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             self->releaseLargeAnswer();
                             if (ec) {
                                 self->close();
                                 return;
                             }
                             if (!self->m_keepAlive) {
                                 self->lingeringClose();
                                 return;
                             }
                             self->read();
                         });
    }

    /// The answer buffer stays with the connection for the next 202, but a large answer
    /// (a 1,000-event batch, /metrics) is not kept on each of up to 4,096 idle connections.
    void releaseLargeAnswer()
    {
        if (m_out.capacity() > kKeptAnswerBytes) {
            std::string().swap(m_out);
        }
    }

    /// Closes after an answer the client may still be sending a body to (413, 400, 503):
    /// closing with unread bytes makes the kernel send a reset, which can destroy the answer
    /// before the client reads it. So stop sending, read and drop what still arrives, and
    /// close at the client's end of stream or after a bounded time (nginx's lingering close).
    void lingeringClose()
    {
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_stream.expires_after(kLingerTime);
        drain();
    }

    void drain()
    {
        m_buffer.clear();
        m_stream.async_read_some(m_buffer.prepare(64 * 1024),
                                 [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                     if (ec) {
                                         self->close();
                                         return;
                                     }
                                     self->drain();
                                 });
    }

    void close()
    {
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        m_stream.socket().close(ignored);
    }

    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::shared_ptr<ServerState> m_state;
    std::string m_out; ///< the answer being written (one at a time per connection)
    bool m_keepAlive = true;
    bool m_answeringHead = false; ///< the request being answered is a HEAD
};

} // namespace

/// A descriptor an I/O thread waits on (HttpServer::watch).
struct Watch
{
    Watch(net::strand<net::io_context::executor_type> &strand, int fd,
          std::function<void()> handler)
        : descriptor(strand, fd)
        , onReadable(std::move(handler))
    {
    }
    net::posix::stream_descriptor descriptor;
    std::function<void()> onReadable;
    bool active = true; ///< on the watch strand only
};

struct HttpServer::Impl
{
    net::io_context ioc;
    tcp::acceptor acceptor {net::make_strand(ioc)};
    net::strand<net::io_context::executor_type> watchStrand = net::make_strand(ioc);
    std::vector<std::unique_ptr<Watch>> watches; ///< on the watch strand only
    std::shared_ptr<ServerState> state = std::make_shared<ServerState>();
    std::vector<std::thread> threads;
    std::uint16_t port = 0;
    std::atomic<bool> stopped {false};

    explicit Impl(int threadCount)
        : ioc(threadCount)
    {
    }

    void arm(Watch &watch)
    {
        watch.descriptor.async_wait(
            net::posix::stream_descriptor::wait_read,
            net::bind_executor(watchStrand, [this, &watch](beast::error_code ec) {
                if (ec || !watch.active) {
                    return;
                }
                watch.onReadable();
                arm(watch);
            }));
    }

    void endWatches()
    {
        for (auto &watch : watches) {
            watch->active = false;
            beast::error_code ignored;
            watch->descriptor.cancel(ignored);
            (void)watch->descriptor.release(); // the fd stays its owner's
        }
    }

    void accept()
    {
        acceptor.async_accept(
            net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
                if (ec == net::error::operation_aborted || !acceptor.is_open()) {
                    return;
                }
                if (!ec) {
                    socket.set_option(tcp::no_delay(true), ec);
                    const int open = state->connections.fetch_add(1, std::memory_order_relaxed) + 1;
                    auto session = std::make_shared<Session>(std::move(socket), state);
                    if (open > state->options.maxConnections) {
                        session->refuse();
                    } else {
                        session->start();
                    }
                }
                accept();
            });
    }
};

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions &options,
                                                      Handler handler)
{
    const int threadCount = std::clamp(options.threads, 1, 8);
    auto impl = std::make_unique<Impl>(threadCount);
    impl->state->options = options;
    impl->state->handler = std::move(handler);
    beast::error_code ec;
    const auto address = net::ip::make_address(options.host, ec);
    if (ec) {
        return fail(Error::invalid("listen address '" + options.host + "' is not an IP address"));
    }
    const tcp::endpoint endpoint(address, options.port);
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        impl->acceptor.bind(endpoint, ec);
    }
    if (!ec) {
        impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return fail(Error::io("cannot listen on " + options.host + ":"
                              + std::to_string(options.port) + ": " + ec.message()));
    }
    impl->port = impl->acceptor.local_endpoint().port();
    impl->accept();
    for (int i = 0; i < threadCount; ++i) {
        impl->threads.emplace_back([ioc = &impl->ioc] {
            nameThisThread("ld-http");
            ioc->run();
        });
    }
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl)
    : d(std::move(impl))
{
}

HttpServer::~HttpServer()
{
    stop();
}

std::uint16_t HttpServer::port() const
{
    return d->port;
}

void HttpServer::stopAccepting()
{
    net::post(d->acceptor.get_executor(), [impl = d.get()] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
    });
}

std::int64_t HttpServer::pendingResponses() const
{
    return d->state->pending.load(std::memory_order_relaxed);
}

void HttpServer::watch(int fd, std::function<void()> onReadable)
{
    net::post(d->watchStrand, [impl = d.get(), fd, onReadable = std::move(onReadable)]() mutable {
        impl->watches.push_back(
            std::make_unique<Watch>(impl->watchStrand, fd, std::move(onReadable)));
        impl->arm(*impl->watches.back());
    });
}

void HttpServer::stopWatching()
{
    if (d->stopped.load()) {
        return; // the I/O threads are gone: nothing runs any more
    }
    auto done = std::make_shared<std::promise<void>>();
    auto ended = done->get_future();
    net::post(d->watchStrand, [impl = d.get(), done] {
        impl->endWatches();
        done->set_value();
    });
    ended.wait(); // the I/O threads run until stop(), which only this object calls
}

void HttpServer::stop()
{
    if (d->stopped.exchange(true)) {
        return;
    }
    stopAccepting();
    d->ioc.stop();
    for (auto &thread : d->threads) {
        thread.join();
    }
    d->threads.clear();
    d->endWatches(); // the threads are joined: no handler runs concurrently
}

} // namespace logdeck::collector
