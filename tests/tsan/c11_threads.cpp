// Linked into every program of a TSan build (LOGDECK_SANITIZE=thread). librdkafka uses C11
// threads, mutexes and condition variables, which TSan does not intercept: its threads have
// no TSan state and crash in their first malloc, and its locking is invisible, so every
// hand-over through its queues looks like a race. These definitions take precedence over
// glibc's and do what glibc does, through the pthread calls that TSan intercepts (glibc's
// mtx_t and cnd_t are a pthread_mutex_t and a pthread_cond_t).

#include <cerrno>
#include <cstdint>
#include <new>
#include <pthread.h>
#include <threads.h>

namespace {

struct Start
{
    thrd_start_t function;
    void *argument;
};

void *runThread(void *start)
{
    const Start s = *static_cast<Start *>(start);
    delete static_cast<Start *>(start);
    return reinterpret_cast<void *>(static_cast<std::intptr_t>(s.function(s.argument)));
}

int fromErrno(int error)
{
    return error == 0 ? thrd_success : error == ENOMEM || error == EAGAIN ? thrd_nomem : thrd_error;
}

} // namespace

extern "C" int thrd_create(thrd_t *thread, thrd_start_t function, void *argument)
{
    auto *start = new (std::nothrow) Start {function, argument};
    if (start == nullptr) {
        return thrd_nomem;
    }
    const int error = pthread_create(thread, nullptr, runThread, start);
    if (error != 0) {
        delete start;
    }
    return fromErrno(error);
}

extern "C" int thrd_join(thrd_t thread, int *result)
{
    void *value = nullptr;
    const int error = pthread_join(thread, &value);
    if (error == 0 && result != nullptr) {
        *result = static_cast<int>(reinterpret_cast<std::intptr_t>(value));
    }
    return fromErrno(error);
}

extern "C" int thrd_detach(thrd_t thread)
{
    return fromErrno(pthread_detach(thread));
}

namespace {

pthread_mutex_t *asPthread(mtx_t *mutex)
{
    return reinterpret_cast<pthread_mutex_t *>(mutex);
}

pthread_cond_t *asPthread(cnd_t *condition)
{
    return reinterpret_cast<pthread_cond_t *>(condition);
}

int fromWaitErrno(int error)
{
    return error == ETIMEDOUT ? thrd_timedout : error == EBUSY ? thrd_busy : fromErrno(error);
}

} // namespace

extern "C" int mtx_init(mtx_t *mutex, int type)
{
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    if ((type & mtx_recursive) != 0) {
        pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
    }
    const int error = pthread_mutex_init(asPthread(mutex), &attributes);
    pthread_mutexattr_destroy(&attributes);
    return fromErrno(error);
}

extern "C" void mtx_destroy(mtx_t *mutex)
{
    pthread_mutex_destroy(asPthread(mutex));
}

extern "C" int mtx_lock(mtx_t *mutex)
{
    return fromErrno(pthread_mutex_lock(asPthread(mutex)));
}

extern "C" int mtx_trylock(mtx_t *mutex)
{
    return fromWaitErrno(pthread_mutex_trylock(asPthread(mutex)));
}

extern "C" int mtx_timedlock(mtx_t *__restrict mutex, const struct timespec *__restrict until)
{
    return fromWaitErrno(pthread_mutex_timedlock(asPthread(mutex), until));
}

extern "C" int mtx_unlock(mtx_t *mutex)
{
    return fromErrno(pthread_mutex_unlock(asPthread(mutex)));
}

extern "C" int cnd_init(cnd_t *condition)
{
    return fromErrno(pthread_cond_init(asPthread(condition), nullptr));
}

extern "C" void cnd_destroy(cnd_t *condition)
{
    pthread_cond_destroy(asPthread(condition));
}

extern "C" int cnd_signal(cnd_t *condition)
{
    return fromErrno(pthread_cond_signal(asPthread(condition)));
}

extern "C" int cnd_broadcast(cnd_t *condition)
{
    return fromErrno(pthread_cond_broadcast(asPthread(condition)));
}

extern "C" int cnd_wait(cnd_t *condition, mtx_t *mutex)
{
    return fromErrno(pthread_cond_wait(asPthread(condition), asPthread(mutex)));
}

extern "C" int cnd_timedwait(cnd_t *__restrict condition, mtx_t *__restrict mutex,
                             const struct timespec *__restrict until)
{
    return fromWaitErrno(pthread_cond_timedwait(asPthread(condition), asPthread(mutex), until));
}
