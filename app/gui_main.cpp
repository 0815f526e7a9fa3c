// logdeck: the desktop console. With --demo it runs the whole pipeline in process on an
// embedded mock cluster; with --broker or --config it connects to a real cluster.

#include "bridge/engine_bridge.h"
#include "common/engine_options.h"
#include "common/log.h"
#include "main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace {

struct ConsoleOptions {
    QCommandLineOption demo{
        QStringLiteral("demo"),
        QStringLiteral("Run the whole pipeline in process on an embedded mock cluster.")};
    QCommandLineOption screenshot{
        QStringLiteral("screenshot"),
        QStringLiteral(
            "Save a picture of the main window to <file> once it shows live data, then quit."),
        QStringLiteral("file")};
};

void setApplicationNames()
{
    QCoreApplication::setApplicationName(QStringLiteral("logdeck"));
    QCoreApplication::setApplicationVersion(QString::fromStdString(logdeck::version()));
}

void addOptions(QCommandLineParser &parser, const ConsoleOptions &options)
{
    parser.setApplicationDescription(
        QStringLiteral("Logdeck, a console for Kafka event pipelines."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(options.demo);
    parser.addOption(options.screenshot);
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
    const QCommandLineOption &demo = options.demo;
    const QCommandLineOption &screenshot = options.screenshot;
    parser.process(app); // exits with usage on a bad option

    const bool wantsEngine = parser.isSet(demo) || parser.isSet(QStringLiteral("broker"))
        || parser.isSet(QStringLiteral("config"));
    std::optional<logdeck::Config> config;
    if (wantsEngine) {
        auto loaded = logdeck::app::configFromOptions(parser, parser.isSet(demo));
        if (!loaded) {
            std::fprintf(stderr, "logdeck: %s\n", loaded.error().message.c_str());
            return 2;
        }
        logdeck::log::setLevel(*logdeck::log::parseLevel(loaded->logLevel));
        config = std::move(*loaded);
    }

    logdeck::ui::EngineBridge bridge;
    logdeck::ui::MainWindow window(&bridge);
    window.show();

    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        auto save = [&window, file] {
            const bool saved = window.grab().save(file);
            std::fprintf(saved ? stdout : stderr, saved ? "%s\n" : "logdeck: cannot write %s\n",
                         qPrintable(file));
            QApplication::exit(saved ? 0 : 1);
        };
        if (config) {
            // Wait for the third live status, so the groups show a rate, then let the
            // tables settle for a frame.
            auto shown = std::make_shared<int>(0);
            QObject::connect(&window, &logdeck::ui::MainWindow::statusShown, &window,
                             [save, shown] {
                                 if (++*shown == 3) {
                                     QTimer::singleShot(300, save);
                                 }
                             });
        } else {
            QTimer::singleShot(500, &window, save);
        }
    }
    if (config) {
        bridge.startEngine(*config);
    }
    return QApplication::exec();
}
