#include "cli/cli.h"
#include "cli/data_options.h"
#include "cli/dlq_options.h"
#include "cli/table.h"
#include "cli/usage.h"
#include "common/log.h"
#include "common/time_format.h"
#include "ops/dead_letters.h"
#include "ops/record_address.h"
#include "store/database.h"
#include "store/redrive_store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace logdeck::cli {

namespace {

constexpr std::chrono::seconds kReadTimeout {30};

const QString kCommands = QStringLiteral("list, show, redrive, tasks, pause, resume, cancel");

/// What in the letter's headers was missing or unreadable, in one line.
QString notesOf(const ops::DeadLetter &d)
{
    QStringList notes;
    for (const auto &note : d.notes) {
        notes.append(QString::fromStdString(note));
    }
    return notes.join(QStringLiteral("; "));
}

void printTable(const std::vector<ops::DeadLetter> &letters)
{
    Table table({"DEAD-LETTERED", "EVENT", "TENANT", "GROUP", "ERROR", "ATTEMPTS", "ID", "ORIGIN",
                 "NOTES"});
    table.alignRight(5);
    const auto orDash = [](const std::string &text) {
        return text.empty() ? std::string("-") : text;
    };
    for (const auto &d : letters) {
        table.addRow({formatRfc3339(d.timestampMs), orDash(d.eventId), orDash(d.tenant),
                      orDash(d.group), orDash(d.errorClass), std::to_string(d.attempts),
                      ops::coordinatesOf(d), ops::originOf(d),
                      d.notes.empty() ? std::string() : notesOf(d).toStdString()});
    }
    table.print();
    std::fprintf(stderr, "%zu dead-lettered record(s)\n", letters.size());
}

/// The ledger of one dead letter, when the data directory has a database.
Result<std::vector<store::RedriveRecord>> historyOf(const std::string &dataDir,
                                                    const ops::DeadLetter &letter)
{
    const std::string path = store::Database::pathIn(dataDir);
    if (std::error_code ec; !std::filesystem::exists(path, ec)) {
        return std::vector<store::RedriveRecord>();
    }
    auto db = store::Database::open(path);
    if (!db) {
        return fail(db.error());
    }
    return store::RedriveStore(**db).ledgerOfDeadLetter(letter.topic, letter.partition,
                                                        letter.offset);
}

QJsonObject redriveJson(const store::RedriveRecord &r)
{
    return {{QStringLiteral("redriveCount"), r.redriveCount},
            {QStringLiteral("task"), QString::fromStdString(r.taskId)},
            {QStringLiteral("target"),
             QString::fromStdString(
                 ops::formatRecordAddress(r.targetTopic, r.targetPartition, r.targetOffset))},
            {QStringLiteral("redrivenBy"), QString::fromStdString(r.redrivenBy)},
            {QStringLiteral("redrivenAt"), QString::fromStdString(formatRfc3339(r.redrivenAtMs))}};
}

/// A JSON field name as words: "originalTopic" -> "original topic", "id" -> "id".
std::string fieldName(const QString &key)
{
    std::string words;
    for (const QChar c : key) {
        if (c.isUpper()) {
            words += ' ';
        }
        words += c.toLower().toLatin1();
    }
    return words;
}

void printLetter(const ops::DeadLetter &d, const std::vector<store::RedriveRecord> &history)
{
    const QJsonObject fields = deadLetterJson(d);
    std::vector<std::vector<std::string>> fieldRows;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        QString text = it.value().isString() ? it.value().toString()
                                             : QString::number(it.value().toInteger());
        if (it.value().isNull()) {
            text = QStringLiteral("? (unknown)");
        } else if (it.value().isArray()) {
            text = notesOf(d);
        }
        fieldRows.push_back({fieldName(it.key()) + ":", text.toStdString()});
    }
    printColumns(fieldRows);
    std::printf("\nheaders:\n");
    std::vector<std::vector<std::string>> headerRows;
    for (const auto &h : d.headers) {
        headerRows.push_back({"  " + h.name, ops::headerText(h.value).toStdString()});
    }
    printColumns(headerRows);
    std::printf("\nkey: %s\n", d.key.c_str());
    const ops::ShownValue value = ops::showValue(d);
    if (value.encoding == ops::ShownValue::Encoding::Null) {
        std::printf("value: null\n");
    } else if (value.encoding == ops::ShownValue::Encoding::Base64) {
        std::printf("value (base64):\n%s\n", value.text.c_str());
    } else if (value.text.empty()) {
        std::printf("value: empty\n");
    } else {
        const QJsonDocument json = QJsonDocument::fromJson(QByteArray::fromStdString(value.text));
        std::printf("value:\n%s", json.isNull() ? (value.text + "\n").c_str()
                                                : json.toJson(QJsonDocument::Indented).constData());
    }
    std::printf("\nredrives:%s\n", history.empty() ? " none" : "");
    for (const auto &r : history) {
        std::printf("  #%d  %s  by %s  task %s  -> %s\n", r.redriveCount,
                    formatRfc3339(r.redrivenAtMs).c_str(), r.redrivenBy.c_str(), r.taskId.c_str(),
                    ops::formatRecordAddress(r.targetTopic, r.targetPartition, r.targetOffset)
                        .c_str());
    }
}

int list(const QStringList &arguments)
{
    const QString synopsis = QStringLiteral(
        "dlq list [filters] [--limit N | --tail N] [--data DIR | --broker LIST] [--json]");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Lists dead-lettered records with their failure: Logdeck's own headers, Spring Kafka's\n"
        "kafka_dlt-* and Kafka Connect's __connect.errors.* are all decoded. The cluster is the\n"
        "running engine's (from the data directory) unless --broker is given. Oldest first;\n"
        "--limit N stops reading after the first N matches, --tail N reads only the last N\n"
        "records of each partition and shows the newest N of them that match."));
    addDeadLetterFilterOptions(parser);
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print a JSON array.")});
    parser.addOption({QStringLiteral("limit"),
                      QStringLiteral("Only the oldest N matching dead letters."),
                      QStringLiteral("N")});
    parser.addOption({QStringLiteral("tail"),
                      QStringLiteral("Only the newest N (read from the last N records of each "
                                     "partition)."),
                      QStringLiteral("N")});
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    if (!parser.positionalArguments().isEmpty()) {
        printError(QStringLiteral("dlq list takes no arguments, only options: '%1'")
                       .arg(parser.positionalArguments().join(QLatin1Char(' '))));
        return UsageError;
    }
    auto filter = deadLetterFilterFrom(parser);
    if (!filter) {
        printError(filter.error().message);
        return UsageError;
    }
    ops::DeadLetterWindow window;
    if (parser.isSet(QStringLiteral("limit")) && parser.isSet(QStringLiteral("tail"))) {
        printError(QStringLiteral("give --limit or --tail, not both"));
        return UsageError;
    }
    for (const char *name : {"limit", "tail"}) {
        const QString option = QString::fromLatin1(name);
        if (!parser.isSet(option)) {
            continue;
        }
        bool ok = false;
        const int count = parser.value(option).toInt(&ok);
        if (!ok || count <= 0) {
            printError(QStringLiteral("--%1 expects a positive whole number, not '%2'")
                           .arg(option, parser.value(option)));
            return UsageError;
        }
        window.side = option == QLatin1String("tail") ? ops::DeadLetterWindow::Side::Last
                                                      : ops::DeadLetterWindow::Side::First;
        window.count = static_cast<std::size_t>(count);
    }
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        printError(cluster.error().message);
        return exitCodeFor(cluster.error());
    }
    auto letters = ops::readDeadLetters(*cluster, *filter, kReadTimeout, window);
    if (!letters) {
        printError(letters.error().message);
        return RuntimeError;
    }
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const auto &d : *letters) {
            array.append(deadLetterJson(d));
        }
        std::fputs(QJsonDocument(array).toJson(QJsonDocument::Indented).constData(), stdout);
    } else {
        printTable(*letters);
    }
    return Ok;
}

int show(const QStringList &arguments)
{
    const QString synopsis =
        QStringLiteral("dlq show ID [--topic T] [--data DIR | --broker LIST] [--json]");
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Shows one dead letter: every decoded field, every header, the value (pretty-printed\n"
        "when it is JSON) and its redrives from the ledger. ID is an event id (every dead\n"
        "letter of that event is shown) or a record address: topic:partition:offset (as\n"
        "Logdeck prints it) or topic[partition]@offset."));
    parser.addPositionalArgument(
        QStringLiteral("ID"),
        QStringLiteral("Event id, or topic:partition:offset, or topic[partition]@offset."));
    parser.addOption({QStringLiteral("topic"),
                      QStringLiteral("The dead-letter topic (default events.dlq, or the topic of "
                                     "a topic:partition:offset ID)."),
                      QStringLiteral("name"), QStringLiteral("events.dlq")});
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    int exitCode = Ok;
    if (!parseClusterCommand(parser, arguments, synopsis, exitCode)) {
        return exitCode;
    }
    if (parser.positionalArguments().size() != 1) {
        printError(QStringLiteral("dlq show needs exactly one ID (event id, or "
                                  "topic:partition:offset, or topic[partition]@offset)"));
        return UsageError;
    }
    const std::string id = parser.positionalArguments().first().toStdString();
    if (ops::looksLikeRecordAddress(id)) {
        if (auto address = ops::parseRecordAddress(id); !address) {
            printError(address.error().message);
            return UsageError;
        }
    }
    ops::DeadLetterFilter filter;
    filter.topic = parser.value(QStringLiteral("topic")).toStdString();
    if (const auto coordinates = ops::parseCoordinates(id);
        coordinates && !parser.isSet(QStringLiteral("topic"))) {
        filter.topic = coordinates->topic;
    }
    auto cluster = clusterFrom(parser);
    if (!cluster) {
        printError(cluster.error().message);
        return exitCodeFor(cluster.error());
    }
    // An address names one record: read just that one.
    const auto address = ops::parseCoordinates(id);
    Result<std::vector<ops::DeadLetter>> letters;
    if (address) {
        auto letter = ops::readDeadLetterAt(
            *cluster, {filter.topic, address->partition, address->offset}, kReadTimeout);
        letters = letter ? Result<std::vector<ops::DeadLetter>>(
                               std::vector<ops::DeadLetter> {std::move(*letter)})
                         : fail(letter.error());
    } else {
        letters = ops::readDeadLetters(*cluster, filter, kReadTimeout);
    }
    if (!letters) {
        printError(letters.error().message);
        return RuntimeError;
    }
    const auto found = address ? *letters : ops::findDeadLetters(*letters, id);
    if (found.empty()) {
        printError("no dead letter '" + id + "' in " + filter.topic);
        return RuntimeError;
    }
    QJsonArray array;
    for (std::size_t i = 0; i < found.size(); ++i) {
        const auto &d = found[i];
        auto history = historyOf(dataDirFrom(parser), d);
        if (!history) {
            printError(history.error().message);
            return RuntimeError;
        }
        if (parser.isSet(QStringLiteral("json"))) {
            QJsonObject object = ops::deadLetterRecordJson(d);
            QJsonArray redrives;
            for (const auto &r : *history) {
                redrives.append(redriveJson(r));
            }
            object.insert(QStringLiteral("redrives"), redrives);
            array.append(object);
        } else {
            if (i > 0) {
                std::printf("\n----\n\n");
            }
            printLetter(d, *history);
        }
    }
    if (parser.isSet(QStringLiteral("json"))) {
        std::fputs(QJsonDocument(array).toJson(QJsonDocument::Indented).constData(), stdout);
    }
    return Ok;
}

} // namespace

int dlqCommand(const QStringList &arguments)
{
    const QString command = arguments.size() > 1 ? arguments.at(1) : QString();
    if (command.isEmpty() || command.startsWith(QLatin1Char('-'))) {
        if (command == QLatin1String("--help") || command == QLatin1String("-h")) {
            std::printf("Usage: logdeck-cli dlq <command> [options]\n\nCommands: %s\n"
                        "'logdeck-cli dlq <command> --help' describes a command's options.\n",
                        qPrintable(kCommands));
            return Ok;
        }
        printError(QStringLiteral("dlq needs a command: ") + kCommands);
        return UsageError;
    }
    log::setLevel(log::Level::Warn);
    QStringList rest = arguments.mid(2);
    rest.prepend(arguments.at(0));
    if (command == QLatin1String("list")) {
        return list(rest);
    }
    if (command == QLatin1String("show")) {
        return show(rest);
    }
    if (command == QLatin1String("redrive")) {
        return dlq::redrive(rest);
    }
    if (command == QLatin1String("tasks")) {
        return dlq::tasks(rest);
    }
    if (command == QLatin1String("pause") || command == QLatin1String("resume")
        || command == QLatin1String("cancel")) {
        return dlq::controlTask(command, rest);
    }
    printError(
        QStringLiteral("unknown dlq command '%1'; the commands are %2").arg(command, kCommands));
    return UsageError;
}

} // namespace logdeck::cli
