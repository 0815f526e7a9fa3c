#include "cli/cli.h"
#include "cli/usage.h"
#include "common/engine_options.h"
#include "common/log.h"
#include "engine.h"

#include <csignal>
#include <cstdio>

namespace logdeck::cli {

namespace {

/// What `run --check-config` found, as key=value lines like those `run` prints. No
/// librdkafka property is shown but the cluster's address: others may be secrets.
void printConfigSummary(const Config &config, const QString &configFile)
{
    std::string listen = "off";
    if (const auto address = config.listenAddress()) {
        listen = !config.listen.empty() ? config.listen
                 : address->second == 0 ? address->first + ":0 (any free port)"
                                        : address->first + ":" + std::to_string(address->second);
    }
    std::string groups;
    for (const auto &group : config.groups) {
        groups += (groups.empty() ? "" : ",") + group;
    }
    const std::string cluster =
        config.embedded ? std::string("(embedded mock cluster)") : config.bootstrapServers();
    // As Engine::start chooses it: embedded without a directory keeps nothing.
    const std::string data = config.embedded && config.dataDir.empty()
        ? std::string("(a temporary directory, deleted on exit)")
        : config.effectiveDataDir();
    std::fprintf(stdout,
                 "config=%s\nmode=%s\nbootstrap.servers=%s\ndata=%s\nlisten=%s\ngroups=%s\n",
                 configFile.isEmpty() ? "(none)" : qUtf8Printable(configFile),
                 config.embedded ? "embedded" : "broker", cluster.c_str(),
                 data.c_str(), listen.c_str(), groups.c_str());
}

} // namespace

int runCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Runs the pipeline engine headless until SIGINT or SIGTERM: the HTTP collector and the\n"
        "pipeline's topics on the cluster given by --broker or the config, or, with --embedded,\n"
        "on an in-process mock Kafka cluster with demo tenants. Once ready it prints\n"
        "bootstrap.servers=..., collector=http://... and, when embedded, key.<tenant>=<API key>\n"
        "lines on stdout. On SIGTERM it answers or spills every request in flight, then exits.\n"
        "With --check-config it only loads the settings (--config file, then LOGDECK_*\n"
        "variables, then flags), prints config=, mode=, bootstrap.servers=, data=, listen=\n"
        "and groups= lines and exits 0, or names the first problem and exits 2; it contacts\n"
        "no broker and touches no file but the config."));
    const QCommandLineOption embedded(
        QStringLiteral("embedded"),
        QStringLiteral("Run on an in-process mock Kafka cluster; nothing is kept."));
    parser.addOption(embedded);
    const QCommandLineOption checkConfig(
        QStringLiteral("check-config"),
        QStringLiteral("Check the settings, print a summary and exit; start nothing."));
    parser.addOption(checkConfig);
    app::addEngineOptions(parser);
    int exitCode = Ok;
    if (!parseCommandLine(parser, arguments, QStringLiteral("run [options]"), exitCode)) {
        return exitCode;
    }
    if (!parser.positionalArguments().isEmpty()) {
        printError(QStringLiteral("run takes no arguments, got '%1'")
                       .arg(parser.positionalArguments().first()));
        return UsageError;
    }
    auto config = app::configFromOptions(parser, parser.isSet(embedded));
    if (!config) {
        printError(config.error().message);
        return UsageError;
    }
    if (parser.isSet(checkConfig)) {
        printConfigSummary(*config, parser.value(QStringLiteral("config")));
        return Ok;
    }
    log::setLevel(*log::parseLevel(config->logLevel));

    // Block the stop signals before any engine thread starts, so that every thread
    // inherits the mask and only sigwait() below receives them.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    Engine engine(std::move(*config));
    if (auto started = engine.start(); !started) {
        printError(started.error().message);
        return RuntimeError;
    }
    // What scripts need, as key=value lines on stdout.
    std::fprintf(stdout, "bootstrap.servers=%s\n", engine.bootstrapServers().c_str());
    if (const std::string url = engine.collectorUrl(); !url.empty()) {
        std::fprintf(stdout, "collector=%s\n", url.c_str());
    }
    for (const auto &[tenant, key] : engine.demoKeys()) {
        std::fprintf(stdout, "key.%s=%s\n", tenant.c_str(), key.c_str());
    }
    std::fflush(stdout);
    std::fprintf(stderr, "logdeck-cli: engine running (%s, Kafka at %s); stop with Ctrl+C\n",
                 engine.config().embedded ? "embedded mock cluster" : "broker mode",
                 engine.bootstrapServers().c_str());

    int signal = 0;
    sigwait(&stopSignals, &signal);
    log::info("engine.stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
    engine.stop();
    return Ok;
}

} // namespace logdeck::cli
