// logdeck: the desktop console. With --demo it runs the whole pipeline in process on an
// embedded mock cluster; with --broker or --config it attaches to a real cluster (observes
// and steers, joins no group), or with --host runs the pipeline there.

#include "bridge/console_session.h"
#include "common/engine_options.h"
#include "common/log.h"
#include "main_window.h"
#include "views/dlq_page.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace {

/// Lag samples a screenshot waits for: enough for rates and a stretch of chart.
constexpr int kScreenshotSamples = 15;

struct ConsoleOptions {
    QCommandLineOption demo{
        QStringLiteral("demo"),
        QStringLiteral("Run the whole pipeline in process on an embedded mock cluster, with demo "
                       "controls.")};
    QCommandLineOption host{
        QStringLiteral("host"),
        QStringLiteral("With --broker or --config: run the pipeline's groups and collector in "
                       "this process (joins the groups). Without it the console attaches: it "
                       "observes and steers, and joins no group.")};
    QCommandLineOption readOnly{
        QStringLiteral("read-only"),
        QStringLiteral("Hide every action that changes the cluster or the pipeline.")};
    QCommandLineOption page{
        QStringLiteral("page"),
        QStringLiteral("Open on <name>: overview, lag, dlq, replay, tenants, fleet or audit."),
        QStringLiteral("name")};
    QCommandLineOption screenshot{
        QStringLiteral("screenshot"),
        QStringLiteral(
            "Save a picture of the window to <file> once live data has arrived, then quit."),
        QStringLiteral("file")};
};

void setApplicationNames()
{
    QCoreApplication::setOrganizationName(QStringLiteral("logdeck"));
    QCoreApplication::setApplicationName(QStringLiteral("logdeck"));
    QCoreApplication::setApplicationVersion(QString::fromStdString(logdeck::version()));
}

void addOptions(QCommandLineParser &parser, const ConsoleOptions &options)
{
    parser.setApplicationDescription(
        QStringLiteral("Logdeck, a console for Kafka event pipelines."));
    parser.addHelpOption();
    parser.addVersionOption();
    for (const auto *option :
         {&options.demo, &options.host, &options.readOnly, &options.page, &options.screenshot}) {
        parser.addOption(*option);
    }
    logdeck::app::addEngineOptions(parser);
}

// --help and --version answer without a display (over ssh, in a package's post-install
// check): a QCoreApplication serves them, and it needs no platform plugin.
bool asksForHelpOrVersion(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        for (const char *option : {"-h", "--help", "--help-all", "-?", "-v", "--version"}) {
            if (std::strcmp(argv[i], option) == 0) {
                return true;
            }
        }
    }
    return false;
}

bool hasDisplay(int argc, char **argv)
{
    for (const char *variable : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}) {
        const char *value = std::getenv(variable);
        if (value != nullptr && *value != '\0') {
            return true;
        }
    }
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "-platform") == 0) {
            return true;
        }
    }
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    const ConsoleOptions options;
    if (asksForHelpOrVersion(argc, argv)) {
        QCoreApplication app(argc, argv);
        setApplicationNames();
        QCommandLineParser parser;
        addOptions(parser, options);
        parser.process(app); // prints the help or the version and exits
    }
    if (!hasDisplay(argc, argv)) {
        std::fprintf(stderr,
                     "logdeck: no display (DISPLAY and WAYLAND_DISPLAY are unset), so the console "
                     "cannot open.\nlogdeck: run it in a desktop session, or use logdeck-cli for "
                     "the headless engine (logdeck-cli run --help).\n");
        return 1;
    }

    QApplication app(argc, argv);
    setApplicationNames();
    QApplication::setApplicationDisplayName(QStringLiteral("Logdeck"));
    QApplication::setDesktopFileName(QStringLiteral("logdeck"));

    QCommandLineParser parser;
    addOptions(parser, options);
    parser.process(app); // exits with usage on a bad option

    const bool demo = parser.isSet(options.demo);
    const bool cluster =
        parser.isSet(QStringLiteral("broker")) || parser.isSet(QStringLiteral("config"));
    if (parser.isSet(options.host) && !cluster) {
        std::fprintf(stderr, "logdeck: --host needs --broker or --config: the cluster to run on\n");
        return 2;
    }
    std::optional<logdeck::ui::MainWindow::Page> page;
    if (parser.isSet(options.page)) {
        page = logdeck::ui::MainWindow::pageFromName(parser.value(options.page));
        if (!page) {
            std::fprintf(stderr,
                         "logdeck: --page is overview, lag, dlq, replay, tenants, fleet or audit, "
                         "not '%s'\n",
                         qPrintable(parser.value(options.page)));
            return 2;
        }
    }
    std::optional<logdeck::Config> config;
    if (demo || cluster) {
        auto loaded = logdeck::app::configFromOptions(parser, demo);
        if (!loaded) {
            std::fprintf(stderr, "logdeck: %s\n", loaded.error().message.c_str());
            return 2;
        }
        logdeck::log::setLevel(*logdeck::log::parseLevel(loaded->logLevel));
        config = std::move(*loaded);
    }
    const auto mode = demo                     ? logdeck::ui::ConsoleMode::Demo
        : parser.isSet(options.host)           ? logdeck::ui::ConsoleMode::Host
                                               : logdeck::ui::ConsoleMode::Attach;

    logdeck::ui::ConsoleSession session;
    session.setReadOnly(parser.isSet(options.readOnly));
    logdeck::ui::MainWindow window(&session);
    window.show();

    if (parser.isSet(options.screenshot)) {
        const QString file = parser.value(options.screenshot);
        auto save = [&window, file] {
            const bool saved = window.grab().save(file);
            std::fprintf(saved ? stdout : stderr, saved ? "%s\n" : "logdeck: cannot write %s\n",
                         qPrintable(file));
            QApplication::exit(saved ? 0 : 1);
        };
        if (config) {
            // Live data: a few lag samples in, so that rates, health and the chart have
            // something to show; then a frame for the chart's coalesced redraw.
            auto sampled = std::make_shared<int>(0);
            const bool deadLetters = page == logdeck::ui::MainWindow::Page::DeadLetters;
            QObject::connect(&window, &logdeck::ui::MainWindow::snapshotShown, &window,
                             [save, sampled, deadLetters,
                              &window](const logdeck::ui::ConsoleSnapshotPtr &snapshot) {
                                 if (snapshot->lag && snapshot->lag->sampledAtMs > 0
                                     && ++*sampled == kScreenshotSamples) {
                                     if (!deadLetters) {
                                         QTimer::singleShot(600, save);
                                         return;
                                     }
                                     // The dead letters of these seconds, with the first
                                     // one open in the detail pane.
                                     QObject::connect(window.dlqPage(),
                                                      &logdeck::ui::DlqPage::detailShown, &window,
                                                      [save] { QTimer::singleShot(300, save); },
                                                      Qt::SingleShotConnection);
                                     window.dlqPage()->refresh();
                                 }
                             });
        } else {
            QTimer::singleShot(500, &window, save);
        }
    }
    if (config) {
        if (page) {
            QObject::connect(&session, &logdeck::ui::ConsoleSession::started, &window,
                             [&window, page] { window.showPage(*page); });
        }
        session.start(mode, *config);
    }
    return QApplication::exec();
}
