#include "views/demo_controls.h"

#include "bridge/group_control.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace logdeck::ui {

namespace {

constexpr int kSlowLatencyMs = 500;
/// With added latency, batches of at most this many events: 50 events/s at 500 ms, below
/// the demo's 200 requests/s, so the group's lag climbs.
constexpr std::size_t kSlowBatch = 25;

QDoubleSpinBox *percentBox(QWidget *parent)
{
    auto *box = new QDoubleSpinBox(parent);
    box->setRange(0, 100);
    box->setDecimals(1);
    box->setSingleStep(1);
    box->setSuffix(QStringLiteral(" %"));
    return box;
}

} // namespace

DemoControls::DemoControls(GroupControl *control, QWidget *parent)
    : QWidget(parent)
    , m_control(control)
    , m_rate(new QSpinBox(this))
    , m_tenants(new QSpinBox(this))
    , m_duplicates(percentBox(this))
    , m_poison(percentBox(this))
    , m_group(new QComboBox(this))
    , m_pause(new QPushButton(tr("Pause"), this))
    , m_failures(percentBox(this))
    , m_latency(new QSpinBox(this))
    , m_slow(new QPushButton(tr("Slow down"), this))
    , m_brokers(new QPushButton(tr("Stop the brokers"), this))
    , m_outcome(new QLabel(this))
{
    m_rate->setRange(0, 20000);
    m_rate->setSingleStep(100);
    m_rate->setSuffix(tr(" req/s"));
    m_tenants->setRange(0, 1000);
    m_tenants->setSpecialValueText(tr("all"));
    m_latency->setRange(0, 10000);
    m_latency->setSingleStep(100);
    m_latency->setSuffix(tr(" ms per batch"));
    m_pause->setObjectName(QStringLiteral("demoPause"));
    m_slow->setObjectName(QStringLiteral("demoSlow"));
    m_slow->setToolTip(tr("Adds %1 ms to every batch of the group and keeps batches to %2 "
                          "events, so it falls behind and its lag climbs")
                           .arg(kSlowLatencyMs)
                           .arg(kSlowBatch));
    m_latency->setToolTip(tr("Added to every batch, with batches of at most %1 events").arg(kSlowBatch));
    m_brokers->setToolTip(tr("Takes every broker of the embedded cluster down: the collector "
                             "spills to its outbox and the groups stall"));
    m_outcome->setWordWrap(true);

    auto *traffic = new QGroupBox(tr("Traffic"), this);
    auto *trafficForm = new QFormLayout(traffic);
    trafficForm->addRow(tr("Rate"), m_rate);
    trafficForm->addRow(tr("Tenants"), m_tenants);
    trafficForm->addRow(tr("Duplicates"), m_duplicates);
    trafficForm->addRow(tr("Poison events"), m_poison);
    auto *applyTraffic = new QPushButton(tr("Apply"), traffic);
    trafficForm->addRow(QString(), applyTraffic);

    auto *group = new QGroupBox(tr("Group"), this);
    auto *groupForm = new QFormLayout(group);
    groupForm->addRow(tr("Group"), m_group);
    auto *steer = new QHBoxLayout;
    steer->addWidget(m_pause);
    steer->addWidget(m_slow);
    groupForm->addRow(QString(), steer);
    groupForm->addRow(tr("Failures"), m_failures);
    groupForm->addRow(tr("Latency"), m_latency);
    auto *faultButtons = new QHBoxLayout;
    auto *applyFaultsButton = new QPushButton(tr("Apply"), group);
    auto *clearFaults = new QPushButton(tr("Clear"), group);
    faultButtons->addWidget(applyFaultsButton);
    faultButtons->addWidget(clearFaults);
    groupForm->addRow(QString(), faultButtons);

    auto *cluster = new QGroupBox(tr("Cluster"), this);
    auto *clusterLayout = new QVBoxLayout(cluster);
    clusterLayout->addWidget(m_brokers);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(traffic);
    layout->addWidget(group);
    layout->addWidget(cluster);
    layout->addWidget(m_outcome);
    layout->addStretch();

    connect(applyTraffic, &QPushButton::clicked, this, &DemoControls::applyTraffic);
    connect(m_pause, &QPushButton::clicked, this, [this] {
        const QString name = selectedGroup();
        const auto *hosted = m_snapshot ? m_snapshot->hosted(name.toStdString()) : nullptr;
        if (hosted != nullptr && hosted->state == "paused") {
            m_control->resumeGroup(name);
        } else if (!name.isEmpty()) {
            m_control->pauseGroup(name);
        }
    });
    connect(m_slow, &QPushButton::clicked, this, [this] {
        const bool slowed = m_latency->value() > 0;
        m_latency->setValue(slowed ? 0 : kSlowLatencyMs);
        this->applyFaults(m_failures->value() / 100.0, m_latency->value());
    });
    connect(applyFaultsButton, &QPushButton::clicked, this,
            [this] { this->applyFaults(m_failures->value() / 100.0, m_latency->value()); });
    connect(clearFaults, &QPushButton::clicked, this, [this] {
        m_failures->setValue(0);
        m_latency->setValue(0);
        this->applyFaults(0, 0);
    });
    connect(m_brokers, &QPushButton::clicked, this, [this] {
        m_control->setBrokersDown(!(m_snapshot && m_snapshot->brokersDown));
    });
    connect(m_group, &QComboBox::currentIndexChanged, this, [this] {
        // Faults are per group and the engine does not report them: start from none.
        m_failures->setValue(0);
        m_latency->setValue(0);
        if (m_snapshot) {
            showSnapshot(m_snapshot);
        }
    });
    connect(m_control, &GroupControl::finished, this, &DemoControls::showOutcome);
}

void DemoControls::showSnapshot(const ConsoleSnapshotPtr &snapshot)
{
    m_snapshot = snapshot;
    if (snapshot->traffic && !m_trafficShown) {
        m_trafficShown = true;
        m_rate->setValue(static_cast<int>(snapshot->traffic->rate));
        m_tenants->setValue(snapshot->traffic->tenants);
        m_duplicates->setValue(snapshot->traffic->duplicateRate * 100);
        m_poison->setValue(snapshot->traffic->poisonRate * 100);
    }
    QStringList groups;
    for (const auto &hosted : snapshot->hostedGroups) {
        groups << QString::fromStdString(hosted.group);
    }
    QStringList shown;
    for (int i = 0; i < m_group->count(); ++i) {
        shown << m_group->itemText(i);
    }
    if (groups != shown) {
        const QString current = m_group->currentText();
        const QSignalBlocker blocker(m_group);
        m_group->clear();
        m_group->addItems(groups);
        m_group->setCurrentIndex(std::max(0, static_cast<int>(groups.indexOf(current))));
    }
    const auto *hosted = snapshot->hosted(selectedGroup().toStdString());
    m_pause->setText(hosted != nullptr && hosted->state == "paused" ? tr("Resume") : tr("Pause"));
    m_slow->setText(m_latency->value() > 0 ? tr("Speed up") : tr("Slow down"));
    m_brokers->setText(snapshot->brokersDown ? tr("Start the brokers") : tr("Stop the brokers"));
}

QString DemoControls::selectedGroup() const
{
    return m_group->currentText();
}

void DemoControls::selectGroup(const QString &group)
{
    if (const int index = m_group->findText(group); index >= 0) {
        m_group->setCurrentIndex(index);
    }
}

void DemoControls::applyTraffic()
{
    DemoTraffic traffic;
    traffic.rate = m_rate->value();
    traffic.tenants = m_tenants->value();
    traffic.duplicateRate = m_duplicates->value() / 100.0;
    traffic.poisonRate = m_poison->value() / 100.0;
    m_control->setTraffic(traffic);
}

void DemoControls::applyFaults(double failureRate, int latencyMs)
{
    if (selectedGroup().isEmpty()) {
        return;
    }
    consume::FaultInjection faults;
    faults.transientFailureRate = failureRate;
    faults.addedLatency = std::chrono::milliseconds(latencyMs);
    faults.maxBatch = latencyMs > 0 ? kSlowBatch : 0;
    m_control->setGroupFaults(selectedGroup(), faults);
    m_slow->setText(latencyMs > 0 ? tr("Speed up") : tr("Slow down"));
}

void DemoControls::showOutcome(std::uint64_t, const QString &description, const QString &error)
{
    m_outcome->setText(error.isEmpty()
                           ? tr("%1: done").arg(description)
                           : QStringLiteral("<span style='color:#c01c28'>%1</span>")
                                 .arg(tr("%1 failed: %2").arg(description, error).toHtmlEscaped()));
}

} // namespace logdeck::ui
