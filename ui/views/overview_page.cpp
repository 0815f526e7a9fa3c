#include "views/overview_page.h"

#include "kafka/topic_catalog.h"
#include "models/lag_models.h"
#include "widgets/figures.h"

#include <QLabel>
#include <QVBoxLayout>
#include <set>

namespace logdeck::ui {

namespace {

Health healthOf(ops::LagStatus status)
{
    switch (status) {
    case ops::LagStatus::Ok:
        return Health::Ok;
    case ops::LagStatus::Warn:
    case ops::LagStatus::Rewind:
        return Health::Warning;
    case ops::LagStatus::Stall:
    case ops::LagStatus::Stop:
        return Health::Error;
    case ops::LagStatus::Unknown:
        break;
    }
    return Health::Unknown;
}

} // namespace

OverviewPage::OverviewPage(QWidget *parent)
    : QWidget(parent)
    , m_headline(new QLabel(this))
    , m_diagram(new PipelineDiagram(this))
    , m_note(new QLabel(this))
{
    m_headline->setTextFormat(Qt::RichText);
    m_note->setTextFormat(Qt::RichText);
    m_note->setWordWrap(true);
    m_note->setStyleSheet(QStringLiteral("color: palette(mid);"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 12, 16, 12);
    layout->addWidget(m_headline);
    layout->addWidget(m_diagram, 1);
    layout->addWidget(m_note);
    connect(m_diagram, &PipelineDiagram::groupActivated, this, &OverviewPage::groupActivated);
}

PipelineDiagramData OverviewPage::diagramData(const ConsoleSnapshot &snapshot)
{
    PipelineDiagramData data;
    const IngestFigures &ingest = snapshot.ingest;
    data.collector.running = ingest.known;
    data.collector.eventsPerSecond = ingest.eventsPerSecond;
    data.collector.p50Ms = ingest.p50Ms;
    data.collector.p99Ms = ingest.p99Ms;
    data.collector.errorRate = ingest.errorRate;
    data.collector.spilling = ingest.spilling;
    data.collector.outboxDepth = ingest.outboxDepth;
    data.collector.url = ingest.url;

    data.source.name = QString::fromUtf8(kafka::topics::kRaw.data(), kafka::topics::kRaw.size());
    const ops::LagSnapshot *lag = snapshot.lag.get();

    // The pipeline's groups: those hosted here or by an engine on logdeck.status.
    std::vector<std::string> names;
    std::set<std::string> seen;
    for (const auto &hosted : snapshot.hostedGroups) {
        if (seen.insert(hosted.group).second) {
            names.push_back(hosted.group);
        }
    }
    if (lag != nullptr) {
        for (const auto &group : lag->groups) {
            if (!group.hostedBy.empty() && seen.insert(group.group).second) {
                names.push_back(group.group);
            }
        }
    }
    bool sourceMeasured = false;
    for (const auto &name : names) {
        const ops::GroupLag *groupLag = lag != nullptr ? lag->find(name) : nullptr;
        const HostedGroupFigures *hosted = snapshot.hosted(name);
        DiagramGroup group;
        group.name = QString::fromStdString(name);
        group.hostedHere = snapshot.mode != ConsoleMode::Attach;
        group.state = hosted != nullptr ? QString::fromStdString(hosted->state) : QString();
        group.deadLettered = hosted != nullptr ? hosted->deadLettered : std::nullopt;
        group.consumePerSecond = hosted != nullptr ? hosted->processedPerSecond : std::nullopt;
        if (name == "enrichment") {
            group.outputTopic = QString::fromUtf8(kafka::topics::kEnriched.data(),
                                                  kafka::topics::kEnriched.size());
        }
        if (groupLag != nullptr) {
            std::int64_t sourceLag = 0;
            std::int64_t retrying = 0;
            std::optional<double> produced;
            std::int64_t messages = 0;
            for (const auto &partition : groupLag->partitions) {
                const bool retry = partition.topic.starts_with(kafka::topics::kRetryPrefix);
                if (partition.lag >= 0) {
                    (retry ? retrying : sourceLag) += partition.lag;
                }
                if (partition.topic == kafka::topics::kRaw) {
                    if (partition.produceRate) {
                        produced = produced.value_or(0) + *partition.produceRate;
                    }
                    messages += std::max<std::int64_t>(partition.logEndOffset, 0);
                }
            }
            group.lag = sourceLag;
            group.retrying = retrying;
            group.timeLagSeconds = groupLag->timeLagSeconds;
            if (!group.consumePerSecond) {
                group.consumePerSecond = groupLag->consumeRate;
            }
            group.health = healthOf(groupLag->status);
            // OK needs no reason on the card; the tooltip has it for every status.
            group.healthText = groupLag->status == ops::LagStatus::Ok
                ? lagStatusText(groupLag->status)
                : lagStatusText(groupLag->status) + QStringLiteral(": ")
                    + lagStatusReason(groupLag->status);
            if (!sourceMeasured && messages > 0) {
                sourceMeasured = true;
                data.source.producePerSecond = produced;
                data.source.messages = messages;
            }
        } else {
            group.healthText = tr("Not sampled yet");
        }
        if (group.state == QLatin1String("paused") || group.state == QLatin1String("stopped")) {
            group.health = Health::Stopped;
            group.healthText = tr("Paused: it fetches nothing until resumed. ") + group.healthText;
        }
        data.groups.push_back(std::move(group));
    }
    return data;
}

void OverviewPage::showSnapshot(const ConsoleSnapshotPtr &snapshot)
{
    m_diagram->setData(diagramData(*snapshot));
    const IngestFigures &ingest = snapshot->ingest;
    m_headline->setText(
        tr("<span style='font-size:large;font-weight:600'>Pipeline</span>&nbsp;&nbsp; "
           "ingest <b>%1</b> · p50 <b>%2</b> · p99 <b>%3</b> · errors <b>%4</b> · outbox <b>%5</b>%6")
            .arg(formatRate(ingest.eventsPerSecond).toHtmlEscaped(),
                 formatMilliseconds(ingest.p50Ms).toHtmlEscaped(),
                 formatMilliseconds(ingest.p99Ms).toHtmlEscaped(),
                 formatPercent(ingest.errorRate).toHtmlEscaped(),
                 formatCount(ingest.outboxDepth).toHtmlEscaped(),
                 ingest.spilling ? tr(" · <span style='color:#b26a00;font-weight:600'>spilling "
                                      "to the outbox: Kafka is not taking events</span>")
                                 : QString()));
    QString note;
    if (snapshot->mode == ConsoleMode::Attach) {
        note = snapshot->engines.empty()
            ? tr("No Logdeck engine reports on logdeck.status%1: only the cluster's own figures "
                 "are shown. The Lag page lists every group.")
                  .arg(snapshot->enginesError.isEmpty()
                           ? QString()
                           : QStringLiteral(" (%1)").arg(snapshot->enginesError.toHtmlEscaped()))
            : (snapshot->engines.size() == 1
                   ? tr("1 engine reports on logdeck.status.")
                   : tr("%1 engines report on logdeck.status.").arg(snapshot->engines.size()))
                + tr(" Latency percentiles come only from a collector in this process.");
    } else {
        note = tr("Click a group to see its lag over time.");
    }
    m_note->setText(note);
}

} // namespace logdeck::ui
