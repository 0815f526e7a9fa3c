// logdeck-cli: the headless engine and the operations commands. Data goes to stdout,
// diagnostics to stderr; exit codes are 0 (done), 1 (runtime error), 2 (usage error).

#include "cli/cli.h"
#include "cli/usage.h"
#include "engine.h"

#include <QCoreApplication>
#include <cstdio>
#include <functional>

namespace {

struct Command
{
    const char *name;
    const char *summary;
    std::function<int(const QStringList &)> run;
};

const std::vector<Command> &commands()
{
    static const std::vector<Command> table = {
        {"run", "Run the pipeline engine headless (--embedded for a mock cluster)",
         logdeck::cli::runCommand},
        {"loadgen", "Send events to a collector at a set rate and report latency",
         logdeck::cli::loadgenCommand},
        {"tenants", "Manage tenants and their API keys (see 'tenant' to inspect events)",
         logdeck::cli::tenantsCommand},
        {"tenant", "Inspect a tenant's events: where each one is in every group",
         logdeck::cli::tenantCommand},
        {"audit", "List the audit log of mutating operations", logdeck::cli::auditCommand},
        {"rollups", "Print the analytics group's counts per tenant, campaign, type and minute",
         logdeck::cli::rollupsCommand},
        {"dlq", "Browse dead letters (Logdeck, Spring, Connect headers) and redrive them as tasks",
         logdeck::cli::dlqCommand},
        {"groups", "List, describe, reset, pause and resume consumer groups",
         logdeck::cli::groupsCommand},
        {"lag", "Show consumer lag, time lag, time to drain and health (--watch to follow)",
         logdeck::cli::lagCommand},
        {"fleet", "List the Logdeck engines on the cluster and the groups each runs",
         logdeck::cli::fleetCommand},
    };
    return table;
}

void printUsage(std::FILE *out)
{
    std::fputs("Usage: logdeck-cli <command> [options]\n"
               "       logdeck-cli --version | --help\n\n"
               "Runs and operates Logdeck's Kafka event pipeline from a terminal.\n\n"
               "Commands:\n",
               out);
    for (const auto &command : commands()) {
        std::fprintf(out, "  %-10s %s\n", command.name, command.summary);
    }
    std::fputs("\n'logdeck-cli <command> --help' describes a command's options.\n", out);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("logdeck-cli"));
    QCoreApplication::setApplicationVersion(QString::fromStdString(logdeck::version()));

    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() < 2) {
        printUsage(stderr);
        return logdeck::cli::UsageError;
    }
    const QString first = arguments.at(1);
    if (first == QLatin1String("--help") || first == QLatin1String("-h")
        || first == QLatin1String("help")) {
        printUsage(stdout);
        return logdeck::cli::Ok;
    }
    if (first == QLatin1String("--version") || first == QLatin1String("version")) {
        std::printf("logdeck-cli %s\n", logdeck::version().c_str());
        return logdeck::cli::Ok;
    }
    for (const auto &command : commands()) {
        if (first == QLatin1String(command.name)) {
            // The command parses its own options; argv[0] stands in for the program name.
            QStringList rest = arguments.mid(2);
            rest.prepend(arguments.at(0));
            return command.run(rest);
        }
    }
    if (first.startsWith(QLatin1Char('-'))) {
        logdeck::cli::printError(QStringLiteral("unknown option '%1'").arg(first));
    } else {
        logdeck::cli::printError(QStringLiteral("unknown command '%1'").arg(first));
    }
    printUsage(stderr);
    return logdeck::cli::UsageError;
}
