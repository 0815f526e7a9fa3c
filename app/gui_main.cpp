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
#include <memory>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("logdeck"));
    QApplication::setApplicationDisplayName(QStringLiteral("Logdeck"));
    QApplication::setApplicationVersion(QString::fromStdString(logdeck::version()));
    QApplication::setDesktopFileName(QStringLiteral("logdeck"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Logdeck, a console for Kafka event pipelines."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(
        QStringLiteral("demo"),
        QStringLiteral("Run the whole pipeline in process on an embedded mock cluster."));
    const QCommandLineOption screenshot(
        QStringLiteral("screenshot"),
        QStringLiteral(
            "Save a picture of the main window to <file> once it shows live data, then quit."),
        QStringLiteral("file"));
    parser.addOption(demo);
    parser.addOption(screenshot);
    logdeck::app::addEngineOptions(parser);
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
