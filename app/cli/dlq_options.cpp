#include "cli/dlq_options.h"

#include "cli/cli.h"
#include "common/time_format.h"

#include <QJsonArray>

namespace logdeck::cli {

void addDeadLetterFilterOptions(QCommandLineParser &parser)
{
    parser.addOptions({
        {QStringLiteral("topic"), QStringLiteral("The dead-letter topic (default events.dlq)."),
         QStringLiteral("name"), QStringLiteral("events.dlq")},
        {QStringLiteral("group"),
         QStringLiteral("Only dead letters of this failing group (Spring: consumer group, "
                        "Connect: connector)."),
         QStringLiteral("group")},
        {QStringLiteral("tenant"), QStringLiteral("Only this tenant's dead letters."),
         QStringLiteral("tenant")},
        {QStringLiteral("error-class"),
         QStringLiteral("Only this error class (exact, or the last part of a qualified name)."),
         QStringLiteral("class")},
        {QStringLiteral("original-topic"),
         QStringLiteral("Only dead letters that first failed on this topic."),
         QStringLiteral("topic")},
        {QStringLiteral("since"),
         QStringLiteral("Dead-lettered at or after T: RFC 3339, or a duration ago (30s, 15m, "
                        "2h, 1d, 1w)."),
         QStringLiteral("T")},
        {QStringLiteral("until"), QStringLiteral("Dead-lettered before T (same forms as --since)."),
         QStringLiteral("T")},
        {QStringLiteral("text"),
         QStringLiteral("Only dead letters whose error message or value contains S (any case)."),
         QStringLiteral("S")},
    });
}

Result<ops::DeadLetterFilter> deadLetterFilterFrom(const QCommandLineParser &parser)
{
    ops::DeadLetterFilter filter;
    auto text = [&](const char *name) {
        return parser.value(QString::fromLatin1(name)).toStdString();
    };
    filter.topic = text("topic");
    filter.group = text("group");
    filter.tenant = text("tenant");
    filter.errorClass = text("error-class");
    filter.originalTopic = text("original-topic");
    filter.text = text("text");
    if (filter.topic.empty()) {
        return fail(Error::invalid("--topic needs a topic name"));
    }
    const auto given = [&](const char *name) {
        return parser.isSet(QString::fromLatin1(name)) ? std::optional(text(name)) : std::nullopt;
    };
    if (auto times = ops::setDeadLetterTimes(filter, given("since"), given("until"), nowMillis(),
                                             "--");
        !times) {
        return fail(times.error());
    }
    return filter;
}

int exitCodeFor(const Error &error)
{
    return error.code == Error::Code::InvalidArgument ? UsageError : RuntimeError;
}

} // namespace logdeck::cli
