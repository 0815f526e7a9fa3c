#include "support/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

namespace logdeck::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct HttpClient::Impl
{
    std::string host;
    std::uint16_t port;
    net::io_context ioc;
    std::optional<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    int connectionsOpened = 0;
};

HttpClient::HttpClient(std::string host, std::uint16_t port)
    : d(new Impl {std::move(host), port, {}, {}, {}, 0})
{
}

HttpClient::~HttpClient()
{
    delete d;
}

HttpResult HttpClient::request(const std::string &method, const std::string &target,
                               const std::string &body,
                               const std::map<std::string, std::string> &headers,
                               std::chrono::milliseconds timeout)
{
    HttpResult result;
    for (int attempt = 0; attempt < 2; ++attempt) {
        beast::error_code ec;
        if (!d->stream) {
            d->stream.emplace(d->ioc);
            d->stream->expires_after(timeout);
            d->stream->connect(net::ip::tcp::endpoint(net::ip::make_address(d->host), d->port), ec);
            if (ec) {
                d->stream.reset();
                result.error = "connect: " + ec.message();
                return result;
            }
            d->buffer.clear();
            ++d->connectionsOpened;
        }
        http::request<http::string_body> req {http::string_to_verb(method), target, 11};
        req.set(http::field::host, d->host);
        for (const auto &[name, value] : headers) {
            req.set(name, value);
        }
        req.body() = body;
        req.prepare_payload();
        d->stream->expires_after(timeout);
        http::write(*d->stream, req, ec);
        http::response_parser<http::string_body> parser;
        parser.body_limit(64U << 20);
        // A HEAD answer has the headers of a GET's, Content-Length included, and no body.
        parser.skip(req.method() == http::verb::head);
        if (!ec) {
            http::read(*d->stream, d->buffer, parser, ec);
        }
        if (ec) {
            // A kept-alive connection the server closed: reconnect once.
            d->stream.reset();
            result.error = ec.message();
            continue;
        }
        auto response = parser.release();
        result.status = static_cast<int>(response.result_int());
        result.body = response.body();
        result.error.clear();
        for (const auto &field : response) {
            std::string name(field.name_string());
            for (auto &c : name) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            result.headers[name] = std::string(field.value());
        }
        if (!response.keep_alive()) {
            d->stream.reset();
        }
        return result;
    }
    return result;
}

int HttpClient::connectionsOpened() const
{
    return d->connectionsOpened;
}

HttpResult HttpClient::postJson(const std::string &target, const std::string &key,
                                const std::string &body)
{
    return request("POST", target, body,
                   {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
}

} // namespace logdeck::test
