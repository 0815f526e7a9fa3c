#include "cli/usage.h"

#include "cli/cli.h"

#include <cstdio>

namespace logdeck::cli {

namespace {

QString usageText(QCommandLineParser &parser, const QString &synopsis)
{
    // QCommandLineParser's first line names only the program; replace it with the
    // command's own synopsis.
    QString help = parser.helpText();
    const qsizetype firstLineEnd = help.indexOf(QLatin1Char('\n'));
    return QStringLiteral("Usage: logdeck-cli ") + synopsis + help.mid(firstLineEnd);
}

} // namespace

bool parseCommandLine(QCommandLineParser &parser, const QStringList &arguments,
                      const QString &synopsis, int &exitCode)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help(QStringList {QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!parser.parse(arguments)) {
        printError(parser.errorText());
        std::fputs(qPrintable(usageText(parser, synopsis)), stderr);
        exitCode = UsageError;
        return false;
    }
    if (parser.isSet(help)) {
        std::fputs(qPrintable(usageText(parser, synopsis)), stdout);
        exitCode = Ok;
        return false;
    }
    return true;
}

void printError(const QString &message)
{
    std::fprintf(stderr, "logdeck-cli: %s\n", qPrintable(message));
}

void printError(const std::string &message)
{
    std::fprintf(stderr, "logdeck-cli: %s\n", message.c_str());
}

} // namespace logdeck::cli
