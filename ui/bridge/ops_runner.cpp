#include "bridge/ops_runner.h"

namespace logdeck::ui {

OpsRunner::OpsRunner(const QString &threadName, QObject *parent)
    : QObject(parent)
    , m_worker(new QObject)
{
    m_thread.setObjectName(threadName);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

OpsRunner::~OpsRunner()
{
    m_thread.quit();
    m_thread.wait();
}

} // namespace logdeck::ui
