#include "collector/event_scan.h"

#include "collector/uuid7.h"
#include "common/time_format.h"

#include <algorithm>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <locale.h>
#include <nlohmann/json.hpp>

// What this file must reproduce, byte for byte, is parseBody + validateEvent
// (event_validation.cpp), which build a nlohmann::json DOM:
// - the body is strict RFC 8259 JSON as nlohmann's parser takes it: an optional UTF-8 BOM,
//   well-formed UTF-8, paired surrogate escapes, numbers that are finite as doubles, any
//   depth; anything else is 400;
// - duplicate keys: the last one wins; an event's keys are checked in sorted order, so the
//   field named by "unknown field" is the smallest unknown key, in a batch's envelope too;
// - the record value's attributes are nlohmann's dump() of the parsed object: keys sorted
//   and unique, no whitespace, strings re-escaped, numbers normalized. Attributes whose
//   objects already have strictly ascending keys (the usual case) are rewritten here in one
//   pass; any other attributes value goes through the DOM, as before.

namespace logdeck::collector {

namespace {

using nlohmann::json;

constexpr std::string_view kBodyNotJson = "the body is not valid JSON";

/// The raw text of a string token, between the quotes.
struct RawString
{
    const char *begin = nullptr;
    const char *end = nullptr;
    bool escaped = false; ///< contains a backslash escape

    std::string_view view() const { return {begin, static_cast<std::size_t>(end - begin)}; }
};

int hexValue(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/// Four hex digits at `p` (the caller made sure they are there and valid).
unsigned hex4(const char *p)
{
    return static_cast<unsigned>((hexValue(p[0]) << 12) | (hexValue(p[1]) << 8)
                                 | (hexValue(p[2]) << 4) | hexValue(p[3]));
}

void appendUtf8(std::string &out, unsigned codepoint)
{
    if (codepoint < 0x80) {
        out += static_cast<char>(codepoint);
    } else if (codepoint < 0x800) {
        out += static_cast<char>(0xC0 | (codepoint >> 6));
        out += static_cast<char>(0x80 | (codepoint & 0x3F));
    } else if (codepoint < 0x10000) {
        out += static_cast<char>(0xE0 | (codepoint >> 12));
        out += static_cast<char>(0x80 | ((codepoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codepoint & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (codepoint >> 18));
        out += static_cast<char>(0x80 | ((codepoint >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((codepoint >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (codepoint & 0x3F));
    }
}

/// The string's value; `raw` was validated by Scanner::string.
void decode(const RawString &raw, std::string &out)
{
    out.clear();
    if (!raw.escaped) {
        out.append(raw.begin, raw.end);
        return;
    }
    for (const char *p = raw.begin; p < raw.end;) {
        if (*p != '\\') {
            const char *run = p;
            while (p < raw.end && *p != '\\') {
                ++p;
            }
            out.append(run, p);
            continue;
        }
        const char c = p[1];
        p += 2;
        switch (c) {
        case 'b':
            out += '\b';
            break;
        case 'f':
            out += '\f';
            break;
        case 'n':
            out += '\n';
            break;
        case 'r':
            out += '\r';
            break;
        case 't':
            out += '\t';
            break;
        case 'u': {
            unsigned codepoint = hex4(p);
            p += 4;
            if (codepoint >= 0xD800 && codepoint <= 0xDBFF) {
                const unsigned low = hex4(p + 2);
                p += 6;
                codepoint = 0x10000 + ((codepoint - 0xD800) << 10) + (low - 0xDC00);
            }
            appendUtf8(out, codepoint);
            break;
        }
        default: // '"', '\\', '/'
            out += c;
            break;
        }
    }
}

/// The string as nlohmann's dump() writes it, from its raw token.
void appendCanonical(std::string &out, const RawString &raw, std::string &scratch)
{
    if (!raw.escaped) {
        // Without escapes the token holds no '"', '\\' or control character: dump() would
        // write exactly these bytes.
        out += '"';
        out.append(raw.begin, raw.end);
        out += '"';
        return;
    }
    decode(raw, scratch);
    appendJsonString(out, scratch);
}

locale_t cLocale()
{
    static const locale_t locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
    return locale;
}

/// What the parser makes of a number token that is not a 64-bit integer: strtod's double,
/// which nlohmann refuses ("number overflow") when it is not finite.
bool tokenToDouble(std::string_view token, double &value, std::string &scratch)
{
    scratch.assign(token);
    value = strtod_l(scratch.c_str(), nullptr, cLocale());
    return std::isfinite(value);
}

/// True when the integer token is stored as a 64-bit integer (signed when negative), as
/// nlohmann's strtoll/strtoull do; `negativeZero` for "-0", which dump() writes as "0".
bool fitsInteger(std::string_view token, bool &negativeZero)
{
    const char *first = token.data();
    const char *last = token.data() + token.size();
    if (token.front() == '-') {
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(first, last, value);
        negativeZero = ec == std::errc() && value == 0;
        return ec == std::errc() && end == last;
    }
    negativeZero = false;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(first, last, value);
    return ec == std::errc() && end == last;
}

/// Scratch buffers, reused by every request of a thread.
struct Scratch
{
    std::vector<std::uint8_t> containers; ///< 1 object, 0 array, innermost last
    std::vector<std::string> previousKeys; ///< per open object while rewriting
    std::string key;
    std::string text;
    std::string number;
    std::string attributes;
    std::string unknownKey;
    std::string envelopeUnknownKey; ///< a batch envelope's smallest unknown key
    std::string occurredRaw; ///< the last occurredAt and its normalized form
    std::string occurredText;
    std::int64_t occurredMs = 0;
    std::int64_t receivedMs = -1;
    std::string receivedText;
};

Scratch &scratch()
{
    thread_local Scratch instance;
    return instance;
}

/// Gives back what an unusually deep or large body made the scratch buffers hold.
struct ScratchTrim
{
    Scratch &s;
    ~ScratchTrim()
    {
        constexpr std::size_t kKeep = 64 * 1024;
        if (s.previousKeys.size() > 64) {
            s.previousKeys.resize(64);
            s.previousKeys.shrink_to_fit();
        }
        if (s.containers.capacity() > kKeep) {
            std::vector<std::uint8_t>().swap(s.containers);
        }
        for (std::string *text :
             {&s.key, &s.text, &s.number, &s.attributes, &s.unknownKey, &s.envelopeUnknownKey}) {
            if (text->capacity() > kKeep) {
                std::string().swap(*text);
            }
        }
    }
};

/// Where a value rewritten by Scanner::value goes, and what was learned on the way.
struct Rewrite
{
    std::string *out = nullptr;
    bool unsorted = false; ///< some object's keys are not strictly ascending: out is unusable
    std::size_t topKeys = 0; ///< keys of the outermost object
    bool poison = false; ///< the outermost object has "logdeck.poison": true
    bool controlKey = false; ///< a key of the outermost object has a control character
    std::size_t depth = 0; ///< how deep the value nests (the outermost object is 1)
};

class Scanner
{
public:
    Scanner(std::string_view text, Scratch &scratch)
        : p(text.data())
        , end(text.data() + text.size())
        , s(scratch)
    {
    }

    bool failed = false;

    bool fail()
    {
        failed = true;
        return false;
    }

    /// The UTF-8 byte order mark nlohmann skips at the start of the input.
    bool bom()
    {
        if (p < end && static_cast<unsigned char>(*p) == 0xEF) {
            if (end - p < 3 || static_cast<unsigned char>(p[1]) != 0xBB
                || static_cast<unsigned char>(p[2]) != 0xBF) {
                return fail();
            }
            p += 3;
        }
        return true;
    }

    void whitespace()
    {
        while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
            ++p;
        }
    }

    bool atEnd() const { return p == end; }
    bool peek(char c) const { return p < end && *p == c; }

    bool consume(char c)
    {
        if (p < end && *p == c) {
            ++p;
            return true;
        }
        return fail();
    }

    /// A string token at p (which is '"').
    bool string(RawString &raw)
    {
        ++p;
        raw.begin = p;
        raw.escaped = false;
        while (true) {
            while (p < end) {
                const auto c = static_cast<unsigned char>(*p);
                if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                    break;
                }
                ++p;
            }
            if (p >= end) {
                return fail();
            }
            const auto c = static_cast<unsigned char>(*p);
            if (c == '"') {
                raw.end = p;
                ++p;
                return true;
            }
            if (c == '\\') {
                raw.escaped = true;
                if (!escape()) {
                    return false;
                }
            } else if (c < 0x20 || !utf8Sequence()) {
                return fail();
            }
        }
    }

    /// A container opens inside the ones in s.containers: how deep the value nests so far.
    void noteOpened(Rewrite *rewrite) const
    {
        if (rewrite != nullptr) {
            rewrite->depth = std::max(rewrite->depth, s.containers.size() + 1);
        }
    }

    /// Any value at p; rewritten into `rewrite->out` as dump() would write it when given.
    bool value(Rewrite *rewrite)
    {
        std::string *out = rewrite != nullptr ? rewrite->out : nullptr;
        s.containers.clear();
        std::size_t objectDepth = 0;
        bool poisonKey = false;
        while (true) {
            // A value starts here.
            if (p >= end) {
                return fail();
            }
            const bool poisonValue = poisonKey;
            poisonKey = false;
            bool opened = false;
            switch (*p) {
            case '{':
                ++p;
                noteOpened(rewrite);
                if (out != nullptr) {
                    *out += '{';
                }
                whitespace();
                if (peek('}')) {
                    ++p;
                    if (out != nullptr) {
                        *out += '}';
                    }
                    break;
                }
                s.containers.push_back(1);
                ++objectDepth;
                if (!member(rewrite, out, objectDepth, true, poisonKey)) {
                    return false;
                }
                opened = true;
                break;
            case '[':
                ++p;
                noteOpened(rewrite);
                if (out != nullptr) {
                    *out += '[';
                }
                whitespace();
                if (peek(']')) {
                    ++p;
                    if (out != nullptr) {
                        *out += ']';
                    }
                    break;
                }
                s.containers.push_back(0);
                opened = true;
                break;
            case '"': {
                RawString raw;
                if (!string(raw)) {
                    return false;
                }
                if (out != nullptr) {
                    appendCanonical(*out, raw, s.text);
                }
                break;
            }
            case 't':
                if (!literal("true")) {
                    return false;
                }
                if (out != nullptr) {
                    *out += "true";
                    if (poisonValue && objectDepth == 1) {
                        rewrite->poison = true;
                    }
                }
                break;
            case 'f':
                if (!literal("false")) {
                    return false;
                }
                if (out != nullptr) {
                    *out += "false";
                }
                break;
            case 'n':
                if (!literal("null")) {
                    return false;
                }
                if (out != nullptr) {
                    *out += "null";
                }
                break;
            default:
                if (!number(out)) {
                    return false;
                }
                break;
            }
            if (opened) {
                continue;
            }
            // A value ended: close what ends with it, up to the next value.
            while (true) {
                if (s.containers.empty()) {
                    return true;
                }
                whitespace();
                if (p >= end) {
                    return fail();
                }
                const bool inObject = s.containers.back() == 1;
                if (*p == ',') {
                    ++p;
                    if (out != nullptr) {
                        *out += ',';
                    }
                    whitespace();
                    if (inObject && !member(rewrite, out, objectDepth, false, poisonKey)) {
                        return false;
                    }
                    break;
                }
                if (*p != (inObject ? '}' : ']')) {
                    return fail();
                }
                ++p;
                if (out != nullptr) {
                    *out += inObject ? '}' : ']';
                }
                if (inObject) {
                    --objectDepth;
                }
                s.containers.pop_back();
            }
        }
    }

    /// A number token at p, checked as nlohmann's lexer and parser do.
    bool number(std::string *out)
    {
        const char *begin = p;
        if (peek('-')) {
            ++p;
        }
        if (peek('0')) {
            ++p;
        } else if (p < end && *p >= '1' && *p <= '9') {
            digits();
        } else {
            return fail();
        }
        bool integer = true;
        if (peek('.')) {
            ++p;
            integer = false;
            if (digits() == 0) {
                return fail();
            }
        }
        if (p < end && (*p == 'e' || *p == 'E')) {
            ++p;
            integer = false;
            if (p < end && (*p == '+' || *p == '-')) {
                ++p;
            }
            if (digits() == 0) {
                return fail();
            }
        }
        const std::string_view token(begin, static_cast<std::size_t>(p - begin));
        bool negativeZero = false;
        if (integer && fitsInteger(token, negativeZero)) {
            if (out != nullptr) {
                if (negativeZero) {
                    *out += '0';
                } else {
                    out->append(token);
                }
            }
            return true;
        }
        double value = 0;
        if (!tokenToDouble(token, value, s.number)) {
            return fail(); // "number overflow"
        }
        if (out != nullptr) {
            *out += json(value).dump();
        }
        return true;
    }

    const char *position() const { return p; }

private:
    std::size_t digits()
    {
        const char *start = p;
        while (p < end && *p >= '0' && *p <= '9') {
            ++p;
        }
        return static_cast<std::size_t>(p - start);
    }

    bool literal(std::string_view word)
    {
        if (static_cast<std::size_t>(end - p) < word.size()
            || std::memcmp(p, word.data(), word.size()) != 0) {
            return fail();
        }
        p += word.size();
        return true;
    }

    /// An object's key and colon, at p; checks the keys' order while rewriting.
    bool member(Rewrite *rewrite, std::string *&out, std::size_t objectDepth, bool first,
                bool &poisonKey)
    {
        if (!peek('"')) {
            return fail();
        }
        RawString raw;
        if (!string(raw)) {
            return false;
        }
        whitespace();
        if (!consume(':')) {
            return false;
        }
        whitespace();
        if (out == nullptr) {
            return true;
        }
        if (s.previousKeys.size() < objectDepth) {
            s.previousKeys.resize(objectDepth);
        }
        std::string &previous = s.previousKeys[objectDepth - 1];
        std::string_view key = raw.view();
        if (raw.escaped) {
            decode(raw, s.key);
            key = s.key;
        }
        if (!first && !(std::string_view(previous) < key)) {
            // dump() sorts and deduplicates: the caller goes through the DOM instead.
            rewrite->unsorted = true;
            out = nullptr;
            return true;
        }
        previous.assign(key);
        appendCanonical(*out, raw, s.text);
        *out += ':';
        if (objectDepth == 1) {
            ++rewrite->topKeys;
            poisonKey = key == kPoisonAttribute;
            rewrite->controlKey = rewrite->controlKey || hasControlCharacter(key);
        }
        return true;
    }

    /// \ and what follows, at p.
    bool escape()
    {
        ++p;
        if (p >= end) {
            return fail();
        }
        switch (*p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            ++p;
            return true;
        case 'u': {
            ++p;
            if (!hexDigits()) {
                return false;
            }
            const unsigned codepoint = hex4(p - 4);
            if (codepoint >= 0xDC00 && codepoint <= 0xDFFF) {
                return fail();
            }
            if (codepoint >= 0xD800 && codepoint <= 0xDBFF) {
                if (end - p < 2 || p[0] != '\\' || p[1] != 'u') {
                    return fail();
                }
                p += 2;
                if (!hexDigits()) {
                    return false;
                }
                const unsigned low = hex4(p - 4);
                if (low < 0xDC00 || low > 0xDFFF) {
                    return fail();
                }
            }
            return true;
        }
        default:
            return fail();
        }
    }

    bool hexDigits()
    {
        if (end - p < 4) {
            return fail();
        }
        for (int i = 0; i < 4; ++i) {
            if (hexValue(p[i]) < 0) {
                return fail();
            }
        }
        p += 4;
        return true;
    }

    /// One well-formed multi-byte UTF-8 sequence at p (Unicode's table 3-7).
    bool utf8Sequence()
    {
        const auto c = static_cast<unsigned char>(*p);
        const auto in = [this](std::ptrdiff_t i, unsigned char low, unsigned char high) {
            return end - p > i && static_cast<unsigned char>(p[i]) >= low
                && static_cast<unsigned char>(p[i]) <= high;
        };
        std::ptrdiff_t length = 0;
        bool ok = false;
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
            ok = in(1, 0x80, 0xBF);
        } else if (c == 0xE0) {
            length = 3;
            ok = in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF);
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            length = 3;
            ok = in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF);
        } else if (c == 0xED) {
            length = 3;
            ok = in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF);
        } else if (c == 0xF0) {
            length = 4;
            ok = in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF);
        } else if (c >= 0xF1 && c <= 0xF3) {
            length = 4;
            ok = in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF);
        } else if (c == 0xF4) {
            length = 4;
            ok = in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF);
        }
        if (!ok) {
            return fail();
        }
        p += length;
        return true;
    }

    const char *p;
    const char *end;
    Scratch &s;
};

std::unexpected<RejectedEvent> reject(std::string error, std::string field, int status = 422)
{
    return std::unexpected<RejectedEvent>(
        RejectedEvent {status, std::move(error), std::move(field)});
}

std::unexpected<RejectedEvent> notJson()
{
    return reject(std::string(kBodyNotJson), "", 400);
}

bool isIdCharacter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == ':';
}

bool isTypeCharacter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/// What one event object said, its last occurrence of each field winning as in the DOM.
struct EventFields
{
    enum Field { Id, Campaign, Type, Occurred, Count };
    struct Text
    {
        bool present = false;
        bool isString = false;
        RawString raw;
    };
    Text text[Count];
    bool hasAttributes = false;
    bool attributesObject = false;
    const char *attributesBegin = nullptr;
    const char *attributesEnd = nullptr;
    Rewrite attributes;
    bool hasUnknown = false; ///< s.unknownKey holds the smallest unknown key
};

/// Reads one event object at the scanner's position (which is '{').
bool readEvent(Scanner &scanner, Scratch &s, EventFields &fields)
{
    scanner.consume('{');
    scanner.whitespace();
    if (scanner.peek('}')) {
        return scanner.consume('}');
    }
    while (true) {
        if (!scanner.peek('"')) {
            return scanner.fail();
        }
        RawString raw;
        if (!scanner.string(raw)) {
            return false;
        }
        scanner.whitespace();
        if (!scanner.consume(':')) {
            return false;
        }
        scanner.whitespace();
        std::string_view key = raw.view();
        if (raw.escaped) {
            decode(raw, s.key);
            key = s.key;
        }
        int field = -1;
        if (key == "id") {
            field = EventFields::Id;
        } else if (key == "campaignId") {
            field = EventFields::Campaign;
        } else if (key == "type") {
            field = EventFields::Type;
        } else if (key == "occurredAt") {
            field = EventFields::Occurred;
        }
        if (field >= 0) {
            auto &text = fields.text[field];
            text.present = true;
            text.isString = scanner.peek('"');
            if (!(text.isString ? scanner.string(text.raw) : scanner.value(nullptr))) {
                return false;
            }
        } else if (key == "attributes") {
            fields.hasAttributes = true;
            fields.attributesObject = scanner.peek('{');
            fields.attributesBegin = scanner.position();
            fields.attributes = {};
            if (fields.attributesObject) {
                s.attributes.clear();
                fields.attributes.out = &s.attributes;
            }
            if (!scanner.value(fields.attributesObject ? &fields.attributes : nullptr)) {
                return false;
            }
            fields.attributesEnd = scanner.position();
        } else {
            if (!fields.hasUnknown || key < std::string_view(s.unknownKey)) {
                s.unknownKey.assign(key);
                fields.hasUnknown = true;
            }
            if (!scanner.value(nullptr)) {
                return false;
            }
        }
        scanner.whitespace();
        if (scanner.peek(',')) {
            scanner.consume(',');
            scanner.whitespace();
            continue;
        }
        return scanner.consume('}');
    }
}

const std::string &receivedAtText(Scratch &s, std::int64_t receivedAtMs)
{
    if (receivedAtMs != s.receivedMs) {
        s.receivedText = formatRfc3339(receivedAtMs);
        s.receivedMs = receivedAtMs;
    }
    return s.receivedText;
}

/// validateEvent's checks, in its order, over what readEvent found.
std::expected<IngestEvent, RejectedEvent> checkEvent(Scratch &s, const EventFields &fields,
                                                     const std::string &tenant,
                                                     std::int64_t receivedAtMs)
{
    if (fields.hasUnknown) {
        return std::unexpected(unknownField(s.unknownKey));
    }
    IngestEvent result;
    const auto &id = fields.text[EventFields::Id];
    if (id.present) {
        if (id.isString) {
            decode(id.raw, result.id);
        }
        if (!id.isString || result.id.empty() || result.id.size() > kMaxIdLength
            || !std::ranges::all_of(result.id, isIdCharacter)) {
            return reject("id must be 1 to 128 characters of letters, digits, '-', '_', '.' or ':'",
                          "id");
        }
    }

    const auto &campaign = fields.text[EventFields::Campaign];
    if (!campaign.present) {
        return reject("campaignId is required", "campaignId");
    }
    if (campaign.isString) {
        decode(campaign.raw, result.campaignId);
    }
    if (!campaign.isString || result.campaignId.empty() || result.campaignId.size() > 128) {
        return reject("campaignId must be a string of 1 to 128 characters", "campaignId");
    }
    if (hasControlCharacter(result.campaignId)) {
        return reject(std::string(kCampaignIdControl), "campaignId");
    }

    const auto &type = fields.text[EventFields::Type];
    if (!type.present) {
        return reject("type is required", "type");
    }
    if (type.isString) {
        decode(type.raw, result.type);
    }
    if (!type.isString || result.type.empty() || result.type.size() > 64
        || !std::ranges::all_of(result.type, isTypeCharacter)) {
        return reject("type must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'", "type");
    }

    const auto &occurred = fields.text[EventFields::Occurred];
    if (!occurred.present) {
        return reject("occurredAt is required", "occurredAt");
    }
    if (!occurred.isString) {
        return reject("occurredAt must be an RFC 3339 date-time, e.g. 2026-11-26T15:04:05Z",
                      "occurredAt");
    }
    decode(occurred.raw, s.text);
    if (s.text != s.occurredRaw || s.occurredText.empty()) {
        const auto occurredMs = parseRfc3339(s.text);
        if (!occurredMs) {
            return reject("occurredAt must be an RFC 3339 date-time, e.g. 2026-11-26T15:04:05Z",
                          "occurredAt");
        }
        s.occurredRaw = s.text;
        s.occurredMs = *occurredMs;
        s.occurredText = formatRfc3339(*occurredMs);
    }
    if (s.occurredMs < kEarliestOccurredAtMs || s.occurredMs > kLatestOccurredAtMs) {
        return reject(std::string(kOccurredAtOutOfRange), "occurredAt");
    }
    result.occurredAtMs = s.occurredMs;

    const std::string *attributes = nullptr;
    std::string domAttributes;
    if (fields.hasAttributes) {
        if (!fields.attributesObject) {
            return reject("attributes must be a JSON object", "attributes");
        }
        if (fields.attributes.depth > kMaxAttributeDepth) {
            // Before the DOM below: its dump() recurses once per level.
            return reject(std::string(kAttributesTooDeep), "attributes");
        }
        std::size_t keys = fields.attributes.topKeys;
        bool controlKey = fields.attributes.controlKey;
        result.poison = fields.attributes.poison;
        attributes = &s.attributes;
        if (fields.attributes.unsorted) {
            // Keys out of order or repeated: let the DOM sort and deduplicate them.
            const json dom =
                json::parse(fields.attributesBegin, fields.attributesEnd, nullptr, false);
            if (dom.is_discarded()) {
                return notJson(); // not reached: the scanner took the same text already
            }
            keys = dom.size();
            controlKey = hasKeyWithControlCharacter(dom);
            const auto poison = dom.find(kPoisonAttribute);
            result.poison = poison != dom.end() && poison->is_boolean() && poison->get<bool>();
            domAttributes = dom.dump();
            attributes = &domAttributes;
        }
        if (keys > kMaxAttributes) {
            return reject("attributes may have at most 64 keys", "attributes");
        }
        if (controlKey) {
            return reject(std::string(kAttributeKeyControl), "attributes");
        }
    }

    if (!id.present) {
        result.id = makeUuid7(receivedAtMs);
    }
    const std::string &receivedText = receivedAtText(s, receivedAtMs);
    std::string &value = result.value;
    value.reserve(96 + result.id.size() + tenant.size() + result.campaignId.size()
                  + result.type.size() + s.occurredText.size() + receivedText.size()
                  + (attributes != nullptr ? attributes->size() : 2));
    value += R"({"id":)";
    appendQuoted(value, result.id);
    value += R"(,"tenant":)";
    appendQuoted(value, tenant);
    value += R"(,"campaignId":)";
    if (campaign.raw.escaped) {
        appendQuoted(value, result.campaignId);
    } else {
        // No escapes: no '"', '\\' or control character, so appendQuoted adds only quotes.
        value += '"';
        value += result.campaignId;
        value += '"';
    }
    value += R"(,"type":")";
    value += result.type;
    value += R"(","occurredAt":")";
    value += s.occurredText;
    value += R"(","receivedAt":")";
    value += receivedText;
    value += R"(","attributes":)";
    if (attributes != nullptr) {
        value += *attributes;
    } else {
        value += "{}";
    }
    value += '}';
    return result;
}

/// One element of a batch (or the whole single-event body) at the scanner's position.
/// `check` false only syntax-checks it.
bool scanOne(Scanner &scanner, Scratch &s, const std::string &tenant, std::int64_t receivedAtMs,
             bool check, std::expected<IngestEvent, RejectedEvent> *result)
{
    if (!scanner.peek('{')) {
        if (!scanner.value(nullptr)) {
            return false;
        }
        if (check) {
            *result = reject("an event must be a JSON object", "");
        }
        return true;
    }
    if (!check) {
        return scanner.value(nullptr);
    }
    EventFields fields;
    if (!readEvent(scanner, s, fields)) {
        return false;
    }
    *result = checkEvent(s, fields, tenant, receivedAtMs);
    return true;
}

} // namespace

void appendJsonString(std::string &out, std::string_view text)
{
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    const char *run = text.data();
    const char *const last = text.data() + text.size();
    for (const char *p = text.data(); p < last; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        out.append(run, p);
        run = p + 1;
        out += '\\';
        switch (c) {
        case '"':
            out += '"';
            break;
        case '\\':
            out += '\\';
            break;
        case '\b':
            out += 'b';
            break;
        case '\t':
            out += 't';
            break;
        case '\n':
            out += 'n';
            break;
        case '\f':
            out += 'f';
            break;
        case '\r':
            out += 'r';
            break;
        default:
            out += "u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
            break;
        }
    }
    out.append(run, last);
    out += '"';
}

std::expected<IngestEvent, RejectedEvent>
scanEvent(std::string_view body, const std::string &tenant, std::int64_t receivedAtMs)
{
    Scratch &s = scratch();
    const ScratchTrim trim {s};
    Scanner scanner(body, s);
    std::expected<IngestEvent, RejectedEvent> result = reject("", "");
    if (!scanner.bom()) {
        return notJson();
    }
    scanner.whitespace();
    if (!scanOne(scanner, s, tenant, receivedAtMs, true, &result)) {
        return notJson();
    }
    scanner.whitespace();
    if (!scanner.atEnd()) {
        return notJson();
    }
    return result;
}

std::expected<ScannedEvents, RejectedEvent> scanBatch(std::string_view body,
                                                      const std::string &tenant,
                                                      std::int64_t receivedAtMs,
                                                      std::size_t maxEvents)
{
    Scratch &s = scratch();
    const ScratchTrim trim {s};
    Scanner scanner(body, s);
    ScannedEvents events;
    std::size_t count = 0;
    bool isList = false; // the events are a JSON array (the body, or its last "events")
    bool hasUnknownKey = false; // the envelope has keys besides "events"

    // The events array at the scanner's position (which is '[').
    const auto readEvents = [&]() -> bool {
        events.clear();
        count = 0;
        isList = true;
        scanner.consume('[');
        scanner.whitespace();
        if (scanner.peek(']')) {
            return scanner.consume(']');
        }
        while (true) {
            const bool check = count < maxEvents;
            if (check) {
                events.emplace_back(reject("", ""));
            }
            if (!scanOne(scanner, s, tenant, receivedAtMs, check,
                         check ? &events.back() : nullptr)) {
                return false;
            }
            ++count;
            scanner.whitespace();
            if (scanner.peek(',')) {
                scanner.consume(',');
                scanner.whitespace();
                continue;
            }
            return scanner.consume(']');
        }
    };

    if (!scanner.bom()) {
        return notJson();
    }
    scanner.whitespace();
    if (scanner.peek('[')) {
        if (!readEvents()) {
            return notJson();
        }
    } else if (scanner.peek('{')) {
        scanner.consume('{');
        scanner.whitespace();
        bool more = !scanner.peek('}');
        while (more) {
            RawString raw;
            if (!scanner.peek('"') || !scanner.string(raw)) {
                return notJson();
            }
            scanner.whitespace();
            if (!scanner.consume(':')) {
                return notJson();
            }
            scanner.whitespace();
            std::string_view key = raw.view();
            if (raw.escaped) {
                decode(raw, s.key);
                key = s.key;
            }
            if (key == "events" && scanner.peek('[')) {
                if (!readEvents()) {
                    return notJson();
                }
            } else {
                if (key == "events") {
                    // A later "events" replaces an earlier one, as in the DOM.
                    isList = false;
                    events.clear();
                } else if (!hasUnknownKey || key < std::string_view(s.envelopeUnknownKey)) {
                    s.envelopeUnknownKey.assign(key);
                    hasUnknownKey = true;
                }
                if (!scanner.value(nullptr)) {
                    return notJson();
                }
            }
            scanner.whitespace();
            more = scanner.peek(',');
            if (more) {
                scanner.consume(',');
                scanner.whitespace();
            }
        }
        if (!scanner.consume('}')) {
            return notJson();
        }
    } else if (!scanner.value(nullptr)) {
        return notJson();
    }
    scanner.whitespace();
    if (!scanner.atEnd() || scanner.failed) {
        return notJson();
    }
    if (hasUnknownKey) {
        return std::unexpected(unknownField(s.envelopeUnknownKey));
    }
    if (!isList) {
        return reject("a batch is {\"events\": [ ... ]}", "events");
    }
    if (count == 0) {
        return reject("the batch has no events", "events");
    }
    if (count > maxEvents) {
        return reject("a batch holds at most " + std::to_string(maxEvents) + " events, not "
                          + std::to_string(count),
                      "events", 413);
    }
    return events;
}

BatchAnswer::BatchAnswer(std::size_t events)
{
    m_text.reserve(16 + events * 64);
    m_text += R"({"results":[)";
    m_entryEnds.reserve(events);
}

void BatchAnswer::refused(const RejectedEvent &rejected)
{
    m_text += m_entryEnds.empty() ? R"({"error":)" : R"(,{"error":)";
    appendJsonString(m_text, rejected.error);
    m_text += R"(,"field":)";
    appendJsonString(m_text, rejected.field);
    m_text += R"(,"index":)";
    m_text += std::to_string(m_entryEnds.size());
    m_text += R"(,"status":)";
    m_text += std::to_string(rejected.status);
    m_text += '}';
    m_entryEnds.push_back(m_text.size());
}

void BatchAnswer::accepted(std::string_view id)
{
    m_text += m_entryEnds.empty() ? R"({"id":)" : R"(,{"id":)";
    appendJsonString(m_text, id);
    m_text += R"(,"index":)";
    m_text += std::to_string(m_entryEnds.size());
    m_text += R"(,"status":202})";
    m_entryEnds.push_back(m_text.size());
}

std::string BatchAnswer::finish(const std::vector<std::uint8_t> &stored)
{
    if (std::ranges::all_of(stored, [](std::uint8_t s) { return s != 0; })) {
        m_text += "]}";
        return std::move(m_text);
    }
    const std::string_view written = m_text;
    std::string answer;
    answer.reserve(written.size() + 64 * stored.size());
    answer += R"({"results":[)";
    std::size_t begin = answer.size();
    for (std::size_t i = 0; i < m_entryEnds.size(); ++i) {
        const std::size_t end = m_entryEnds[i];
        const std::string_view entry = written.substr(begin, end - begin);
        if (i >= stored.size() || stored[i] != 0) {
            answer += entry; // stored, or refused up front
        } else {
            // {"id":…,"index":N,"status":202} → {"error":…,"id":…,"index":N,"status":503}
            const std::size_t open = entry.find('{') + 1;
            answer += entry.substr(0, open);
            answer += R"("error":"the event could not be stored; retry later",)";
            answer += entry.substr(open, entry.size() - open - 4);
            answer += "503}";
        }
        begin = end;
    }
    answer += "]}";
    m_text.clear();
    return answer;
}

} // namespace logdeck::collector
