/* hull-sync.h — mutexes and condition variables for libhull's threaded core.
 *
 * GLib implements GMutex and GCond with raw futexes on Linux, which
 * ThreadSanitizer and helgrind cannot see: every access they protect looks
 * like a race. A --enable-tsan build (HULL_SYNC_PTHREAD) maps these types to
 * pthreads, which both tools understand; other builds use GLib's. Only code
 * shared between threads (VP runners, the partition unit, halt, inspect, the
 * I/O bus) needs them.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#ifdef HULL_SYNC_PTHREAD

#include <pthread.h>
#include <time.h>

typedef pthread_mutex_t HullMutex;
typedef pthread_cond_t HullCond;

static inline void
hull_mutex_init (HullMutex *mutex)
{
  pthread_mutex_init (mutex, NULL);
}

static inline void
hull_mutex_clear (HullMutex *mutex)
{
  pthread_mutex_destroy (mutex);
}

static inline void
hull_mutex_lock (HullMutex *mutex)
{
  pthread_mutex_lock (mutex);
}

static inline void
hull_mutex_unlock (HullMutex *mutex)
{
  pthread_mutex_unlock (mutex);
}

static inline void
hull_cond_init (HullCond *cond)
{
  pthread_condattr_t attr;

  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC); /* g_get_monotonic_time()'s clock */
  pthread_cond_init (cond, &attr);
  pthread_condattr_destroy (&attr);
}

static inline void
hull_cond_clear (HullCond *cond)
{
  pthread_cond_destroy (cond);
}

static inline void
hull_cond_wait (HullCond *cond, HullMutex *mutex)
{
  pthread_cond_wait (cond, mutex);
}

/* Waits until @end_time (g_get_monotonic_time() units); FALSE on timeout. */
static inline gboolean
hull_cond_wait_until (HullCond *cond, HullMutex *mutex, gint64 end_time)
{
  struct timespec ts = { end_time / G_USEC_PER_SEC, (end_time % G_USEC_PER_SEC) * 1000 };

  return pthread_cond_timedwait (cond, mutex, &ts) == 0;
}

static inline void
hull_cond_signal (HullCond *cond)
{
  pthread_cond_signal (cond);
}

static inline void
hull_cond_broadcast (HullCond *cond)
{
  pthread_cond_broadcast (cond);
}

#else /* GLib */

typedef GMutex HullMutex;
typedef GCond HullCond;

#define hull_mutex_init g_mutex_init
#define hull_mutex_clear g_mutex_clear
#define hull_mutex_lock g_mutex_lock
#define hull_mutex_unlock g_mutex_unlock
#define hull_cond_init g_cond_init
#define hull_cond_clear g_cond_clear
#define hull_cond_wait g_cond_wait
#define hull_cond_wait_until g_cond_wait_until
#define hull_cond_signal g_cond_signal
#define hull_cond_broadcast g_cond_broadcast

#endif

G_END_DECLS
