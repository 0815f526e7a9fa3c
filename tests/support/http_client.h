#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace logdeck::test {

/// A response as a test sees it; status 0 when the request could not be made.
struct HttpResult
{
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers; ///< lower-case names
    std::string error;
};

/// A plain blocking HTTP/1.1 client for tests: one connection, kept alive across calls.
class HttpClient
{
public:
    HttpClient(std::string host, std::uint16_t port);
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    HttpResult request(const std::string &method, const std::string &target,
                       const std::string &body = {},
                       const std::map<std::string, std::string> &headers = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));

    /// POST with `Authorization: Bearer key` and `Content-Type: application/json`.
    HttpResult postJson(const std::string &target, const std::string &key, const std::string &body);

    /// Connections opened so far: 1 after any number of requests on one kept-alive one.
    int connectionsOpened() const;

private:
    struct Impl;
    Impl *d;
};

} // namespace logdeck::test
