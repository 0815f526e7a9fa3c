#include "kafka/client_settings.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace logdeck::kafka {

bool isSecretProperty(const std::string &name)
{
    static constexpr std::array<std::string_view, 5> markers = {
        "password", "secret", "sasl.jaas.config", "sasl.oauthbearer.config", "ssl.key.pem"};
    return std::ranges::any_of(
        markers, [&](std::string_view marker) { return name.find(marker) != std::string::npos; });
}

ClientSettings redacted(const ClientSettings &settings)
{
    ClientSettings copy = settings;
    for (auto &[name, value] : copy) {
        if (isSecretProperty(name)) {
            value = "[redacted]";
        }
    }
    return copy;
}

std::string headerValue(const Headers &headers, const std::string &name)
{
    const auto it = std::ranges::find(headers, name, &Header::name);
    return it == headers.end() ? std::string() : it->value;
}

} // namespace logdeck::kafka
