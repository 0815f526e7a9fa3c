#pragma once

#include "bridge/ops_target.h"

#include <QObject>
#include <QThread>
#include <cstdint>
#include <functional>
#include <memory>

namespace logdeck::ui {

/// One worker thread for a page's `ops::` calls against the session's OpsTarget: run()
/// does `work(target)` there and hands its result to `done` on the owner's thread with the
/// request's id, unless the target changed meanwhile (a late answer of an old connection is
/// dropped). Calls run one at a time, in order.
class OpsRunner : public QObject
{
    Q_OBJECT

public:
    explicit OpsRunner(const QString &threadName, QObject *parent = nullptr);
    ~OpsRunner() override;

    void setTarget(OpsTarget target) { m_target = std::move(target); }
    const OpsTarget &target() const { return m_target; }

    template <typename R>
    std::uint64_t run(std::function<R(const OpsTarget &)> work,
                      std::function<void(std::uint64_t, R)> done)
    {
        const auto id = ++m_lastRequest;
        QMetaObject::invokeMethod(
            m_worker,
            [this, id, target = m_target, work = std::move(work), done = std::move(done)] {
                auto result = std::make_shared<R>(work(target));
                // Back on the owner's thread, where `this` lives.
                QMetaObject::invokeMethod(
                    this,
                    [this, id, generation = target.generation, result, done] {
                        if (generation == m_target.generation) {
                            done(id, std::move(*result));
                        }
                    },
                    Qt::QueuedConnection);
            },
            Qt::QueuedConnection);
        return id;
    }

private:
    QThread m_thread;
    QObject *m_worker;
    OpsTarget m_target;
    std::uint64_t m_lastRequest = 0;
};

} // namespace logdeck::ui
