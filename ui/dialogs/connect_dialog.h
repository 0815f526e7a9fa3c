#pragma once

#include "bridge/console_snapshot.h"
#include "kafka/client_settings.h"

#include <QDialog>
#include <QString>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;

namespace logdeck::ui {

/// A saved way to connect: a cluster with its librdkafka properties, the mode and whether
/// mutations are hidden. Secrets (passwords, keys, JAAS configs) are never saved: they are
/// asked for each time.
struct ConnectionProfile
{
    QString name;
    ConsoleMode mode = ConsoleMode::Attach;
    QString bootstrapServers;
    kafka::ClientSettings properties; ///< without bootstrap.servers
    bool readOnly = false;

    /// Is this librdkafka property a secret (never shown in plain text, never saved)?
    static bool isSecret(const std::string &property);
    /// "key=value" lines into properties; the error names the line that is not one.
    static Result<kafka::ClientSettings> parseProperties(const QString &text);

    /// The saved profiles (QSettings), the built-in Demo and Local broker ones first.
    static QList<ConnectionProfile> saved();
    /// Saves `profile` (its secrets left out) and makes it the last one used.
    static void save(const ConnectionProfile &profile);
    static QString lastUsed();
};

/// Chooses or edits a connection profile, tests it (the failing broker or property named
/// beside the field) and returns it.
class ConnectDialog : public QDialog
{
    Q_OBJECT

public:
    explicit ConnectDialog(QWidget *parent = nullptr);

    /// The profile as filled in, secrets included.
    ConnectionProfile profile() const;

private:
    void loadProfile(int index);
    void testConnection();
    void showTestResult(const QString &error, const QString &summary);
    void accept() override;

    QList<ConnectionProfile> m_profiles;
    QComboBox *m_profile;
    QLineEdit *m_name;
    QLineEdit *m_bootstrap;
    QLabel *m_bootstrapError;
    QRadioButton *m_attach;
    QRadioButton *m_host;
    QCheckBox *m_readOnly;
    QPlainTextEdit *m_properties;
    QLabel *m_propertiesError;
    QLineEdit *m_secret;
    QComboBox *m_secretProperty;
    QPushButton *m_test;
    QLabel *m_testResult;
};

} // namespace logdeck::ui
