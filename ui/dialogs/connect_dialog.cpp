#include "dialogs/connect_dialog.h"

#include "kafka/admin_client.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QThread>
#include <QVBoxLayout>

namespace logdeck::ui {

namespace {

const QString kDemo = QStringLiteral("Demo (embedded cluster)");
const QString kLocal = QStringLiteral("Local broker (scripts/kafka)");

/// Properties that hold secrets, by name: librdkafka's passwords, keys and JAAS configs.
const QStringList kSecretProperties = {
    QStringLiteral("sasl.password"),      QStringLiteral("ssl.key.password"),
    QStringLiteral("ssl.keystore.password"), QStringLiteral("ssl.key.pem"),
    QStringLiteral("sasl.oauthbearer.client.secret"), QStringLiteral("sasl.jaas.config"),
};

QString errorStyle()
{
    return QStringLiteral("color: #c01c28;");
}

} // namespace

bool ConnectionProfile::isSecret(const std::string &property)
{
    const QString name = QString::fromStdString(property);
    return kSecretProperties.contains(name) || name.contains(QStringLiteral("password"))
        || name.contains(QStringLiteral("secret"));
}

Result<kafka::ClientSettings> ConnectionProfile::parseProperties(const QString &text)
{
    kafka::ClientSettings properties;
    int number = 0;
    for (const QString &raw : text.split(QLatin1Char('\n'))) {
        ++number;
        const QString line = raw.trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#'))) {
            continue;
        }
        const auto equals = line.indexOf(QLatin1Char('='));
        if (equals <= 0) {
            return fail(Error::invalid("line " + std::to_string(number) + " is not property=value: "
                                       + line.toStdString()));
        }
        properties[line.left(equals).trimmed().toStdString()] =
            line.mid(equals + 1).trimmed().toStdString();
    }
    return properties;
}

QList<ConnectionProfile> ConnectionProfile::saved()
{
    QList<ConnectionProfile> profiles;
    profiles.append({kDemo, ConsoleMode::Demo, {}, {}, false});
    profiles.append({kLocal, ConsoleMode::Attach, QStringLiteral("127.0.0.1:9092"), {}, false});
    QSettings settings;
    settings.beginGroup(QStringLiteral("profiles"));
    for (const QString &name : settings.childGroups()) {
        settings.beginGroup(name);
        ConnectionProfile profile;
        profile.name = settings.value(QStringLiteral("name"), name).toString();
        profile.mode = settings.value(QStringLiteral("mode")).toString() == QLatin1String("host")
            ? ConsoleMode::Host
            : ConsoleMode::Attach;
        profile.bootstrapServers = settings.value(QStringLiteral("bootstrap")).toString();
        profile.readOnly = settings.value(QStringLiteral("readOnly")).toBool();
        if (auto parsed = parseProperties(settings.value(QStringLiteral("properties")).toString())) {
            profile.properties = std::move(*parsed);
        }
        settings.endGroup();
        if (profile.name != kDemo && profile.name != kLocal) {
            profiles.append(profile);
        }
    }
    return profiles;
}

void ConnectionProfile::save(const ConnectionProfile &profile)
{
    QSettings settings;
    settings.setValue(QStringLiteral("lastProfile"), profile.name);
    if (profile.name == kDemo) {
        return;
    }
    QString properties;
    for (const auto &[key, value] : profile.properties) {
        if (!isSecret(key)) {
            properties += QString::fromStdString(key + "=" + value) + QLatin1Char('\n');
        }
    }
    settings.beginGroup(QStringLiteral("profiles"));
    settings.beginGroup(QString::fromLatin1(profile.name.toUtf8().toHex()));
    settings.setValue(QStringLiteral("name"), profile.name);
    settings.setValue(QStringLiteral("mode"), modeName(profile.mode));
    settings.setValue(QStringLiteral("bootstrap"), profile.bootstrapServers);
    settings.setValue(QStringLiteral("readOnly"), profile.readOnly);
    settings.setValue(QStringLiteral("properties"), properties);
}

QString ConnectionProfile::lastUsed()
{
    return QSettings().value(QStringLiteral("lastProfile")).toString();
}

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent)
    , m_profiles(ConnectionProfile::saved())
    , m_profile(new QComboBox(this))
    , m_name(new QLineEdit(this))
    , m_bootstrap(new QLineEdit(this))
    , m_bootstrapError(new QLabel(this))
    , m_attach(new QRadioButton(tr("Attach: observe and steer, join no group"), this))
    , m_host(new QRadioButton(tr("Host: run the pipeline's groups and collector here"), this))
    , m_readOnly(new QCheckBox(tr("Read-only: hide every action that changes something"), this))
    , m_properties(new QPlainTextEdit(this))
    , m_propertiesError(new QLabel(this))
    , m_secret(new QLineEdit(this))
    , m_secretProperty(new QComboBox(this))
    , m_test(new QPushButton(tr("Test connection"), this))
    , m_testResult(new QLabel(this))
{
    setWindowTitle(tr("Connect to a Cluster"));
    setMinimumWidth(560);
    for (const auto &profile : m_profiles) {
        m_profile->addItem(profile.name);
    }
    m_profile->addItem(tr("New profile…"));
    m_bootstrap->setPlaceholderText(QStringLiteral("host1:9092,host2:9092"));
    m_properties->setPlaceholderText(
        QStringLiteral("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=ops"));
    m_properties->setMaximumHeight(110);
    m_secret->setEchoMode(QLineEdit::Password);
    m_secret->setPlaceholderText(tr("not saved; asked for each time"));
    for (const QString &property : kSecretProperties) {
        m_secretProperty->addItem(property);
    }
    for (QLabel *label : {m_bootstrapError, m_propertiesError}) {
        label->setStyleSheet(errorStyle());
        label->setWordWrap(true);
        label->hide();
    }
    m_testResult->setWordWrap(true);
    m_host->setToolTip(tr("Joins the configured groups: their partitions are shared with any "
                          "other member. Attach mode only observes."));

    auto *form = new QFormLayout;
    form->addRow(tr("Profile"), m_profile);
    form->addRow(tr("Name"), m_name);
    form->addRow(tr("Bootstrap servers"), m_bootstrap);
    form->addRow(QString(), m_bootstrapError);
    auto *modes = new QVBoxLayout;
    modes->addWidget(m_attach);
    modes->addWidget(m_host);
    modes->addWidget(m_readOnly);
    form->addRow(tr("Mode"), modes);
    form->addRow(tr("Properties"), m_properties);
    form->addRow(QString(), m_propertiesError);
    auto *secret = new QHBoxLayout;
    secret->addWidget(m_secretProperty);
    secret->addWidget(m_secret, 1);
    form->addRow(tr("Secret"), secret);
    auto *test = new QHBoxLayout;
    test->addWidget(m_test);
    test->addWidget(m_testResult, 1);
    form->addRow(QString(), test);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    connect(m_profile, &QComboBox::currentIndexChanged, this, &ConnectDialog::loadProfile);
    connect(m_test, &QPushButton::clicked, this, &ConnectDialog::testConnection);

    const int last = m_profile->findText(ConnectionProfile::lastUsed());
    m_profile->setCurrentIndex(last >= 0 ? last : 1);
    loadProfile(m_profile->currentIndex());
}

void ConnectDialog::loadProfile(int index)
{
    const bool isNew = index < 0 || index >= m_profiles.size();
    const ConnectionProfile profile = isNew ? ConnectionProfile {} : m_profiles.at(index);
    const bool demo = profile.mode == ConsoleMode::Demo;
    m_name->setText(isNew ? QString() : profile.name);
    m_name->setReadOnly(!isNew && index < 2);
    m_bootstrap->setText(profile.bootstrapServers);
    m_attach->setChecked(profile.mode != ConsoleMode::Host);
    m_host->setChecked(profile.mode == ConsoleMode::Host);
    m_readOnly->setChecked(profile.readOnly);
    QString properties;
    for (const auto &[key, value] : profile.properties) {
        properties += QString::fromStdString(key + "=" + value) + QLatin1Char('\n');
    }
    m_properties->setPlainText(properties);
    for (QWidget *field : std::initializer_list<QWidget *> {
             m_bootstrap, m_attach, m_host, m_readOnly, m_properties, m_secret, m_secretProperty,
             m_test}) {
        field->setEnabled(!demo);
    }
    m_bootstrapError->hide();
    m_propertiesError->hide();
    m_testResult->clear();
}

ConnectionProfile ConnectDialog::profile() const
{
    const int index = m_profile->currentIndex();
    ConnectionProfile profile;
    if (index >= 0 && index < m_profiles.size() && m_profiles.at(index).mode == ConsoleMode::Demo) {
        return m_profiles.at(index);
    }
    profile.name = m_name->text().trimmed().isEmpty() ? m_bootstrap->text().trimmed()
                                                      : m_name->text().trimmed();
    profile.mode = m_host->isChecked() ? ConsoleMode::Host : ConsoleMode::Attach;
    profile.bootstrapServers = m_bootstrap->text().trimmed();
    profile.readOnly = m_readOnly->isChecked();
    if (auto parsed = ConnectionProfile::parseProperties(m_properties->toPlainText())) {
        profile.properties = std::move(*parsed);
    }
    if (!m_secret->text().isEmpty()) {
        profile.properties[m_secretProperty->currentText().toStdString()] =
            m_secret->text().toStdString();
    }
    return profile;
}

void ConnectDialog::testConnection()
{
    m_bootstrapError->hide();
    m_propertiesError->hide();
    const ConnectionProfile tested = profile();
    if (tested.bootstrapServers.isEmpty()) {
        showTestResult(tr("bootstrap servers are empty"), {});
        return;
    }
    if (auto parsed = ConnectionProfile::parseProperties(m_properties->toPlainText()); !parsed) {
        showTestResult(QString::fromStdString(parsed.error().message), {});
        return;
    }
    m_test->setEnabled(false);
    m_testResult->setText(tr("Testing…"));
    kafka::ClientSettings settings = tested.properties;
    settings["bootstrap.servers"] = tested.bootstrapServers.toStdString();
    // Blocks for up to the timeout: on a thread of its own, the answer queued back.
    QPointer<ConnectDialog> dialog(this);
    QThread *thread = QThread::create([dialog, settings] {
        QString error;
        QString summary;
        auto admin = kafka::AdminClient::create(settings);
        if (!admin) {
            error = QString::fromStdString(admin.error().message);
        } else if (auto cluster = (*admin)->describeCluster(std::chrono::seconds(5)); !cluster) {
            error = QString::fromStdString(cluster.error().message);
        } else {
            summary = (cluster->brokers.size() == 1 ? tr("Connected: 1 broker") : tr("Connected: %1 brokers").arg(cluster->brokers.size()))
                + (cluster->clusterId.empty()
                       ? QString()
                       : tr(", cluster %1").arg(QString::fromStdString(cluster->clusterId)));
        }
        QMetaObject::invokeMethod(
            qApp,
            [dialog, error, summary] {
                if (dialog) {
                    dialog->showTestResult(error, summary);
                }
            },
            Qt::QueuedConnection);
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

void ConnectDialog::showTestResult(const QString &error, const QString &summary)
{
    m_test->setEnabled(true);
    if (error.isEmpty()) {
        m_testResult->setStyleSheet(QStringLiteral("color: #1b7f3b;"));
        m_testResult->setText(summary);
        return;
    }
    m_testResult->clear();
    // librdkafka names a bad property in its message; anything else is about reaching brokers.
    const bool aboutProperty = error.contains(QStringLiteral("property"))
        || error.contains(QStringLiteral("line "));
    QLabel *beside = aboutProperty ? m_propertiesError : m_bootstrapError;
    beside->setText(error);
    beside->show();
}

void ConnectDialog::accept()
{
    const ConnectionProfile chosen = profile();
    if (chosen.mode != ConsoleMode::Demo) {
        if (chosen.bootstrapServers.isEmpty()) {
            showTestResult(tr("bootstrap servers are empty"), {});
            return;
        }
        if (auto parsed = ConnectionProfile::parseProperties(m_properties->toPlainText());
            !parsed) {
            showTestResult(QString::fromStdString(parsed.error().message), {});
            return;
        }
    }
    ConnectionProfile::save(chosen);
    QDialog::accept();
}

} // namespace logdeck::ui
