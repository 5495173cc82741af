/* vp-thread.h — one thread per VP that binds its processor and runs jobs on
 * it, since processor ops must run on the thread that bound the processor;
 * and the jobs (do_*) that run each op, against a recording bus. Shared by
 * the backend harnesses. */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-sync.h"
#include "recording-bus.h"

G_BEGIN_DECLS

#define PROMPT_US (5 * G_USEC_PER_SEC)             /* a kicked VP returns within this */
#define BLOCKED_US (200 * G_TIME_SPAN_MILLISECOND) /* a blocked VP stays so */
#define JOB_TIMEOUT_US (60 * G_USEC_PER_SEC)       /* anything else */

typedef struct _Vp Vp;
typedef void (*VpFunc) (Vp *vp, gpointer data);

typedef struct
{
  Vp *vp;
  VpFunc func; /* NULL: the thread exits */
  gpointer data;
  gboolean done; /* under the VP's lock */
} Job;

/* The job queue is a GQueue under a HullMutex rather than a GAsyncQueue,
 * whose internal futex lock thread checkers cannot see. */
struct _Vp
{
  guint index;
  GThread *thread;
  HullMutex lock;
  HullCond queued;             /* a job was queued */
  HullCond finished;           /* a job is done */
  GQueue jobs;                 /* Job */
  HullProcessorBinder *binder; /* until do_bind consumes it */
  HullProcessor *processor;
  Bus *bus; /* do_run's CpuIo */
  gint stop;
};

void vp_start (Vp *vp, guint index, HullProcessorBinder *binder, Bus *bus);
void vp_finish (Vp *vp);

Job *job_start (Vp *vp, VpFunc func, gpointer data);
gboolean job_wait (Job *job, gint64 timeout_us);
void job_free (Job *job);
void vp_call (Vp *vp, VpFunc func, gpointer data);

/* What the per-op jobs (do_*) take and give back. */
typedef struct
{
  HullRegisterGroup group;
  gpointer buffer;
  gsize size;
  guint vtl;
  gboolean single_step;
  const guint64 *breakpoints;
  guint n_breakpoints;
  GBytes *bytes;
  const char *path; /* do_inspect's; NULL: the processor's own node */

  gboolean ok;
  GError *error;
  HullVpExit exit;
  HullVpExitDetail detail;
  GVariant *inspected;
} Call;

void call_clear (Call *call);
void do_bind (Vp *vp, gpointer data);
void do_unbind (Vp *vp, gpointer data);
void do_run (Vp *vp, gpointer data);
void do_get_state (Vp *vp, gpointer data);
void do_set_state (Vp *vp, gpointer data);
void do_save (Vp *vp, gpointer data);
void do_restore (Vp *vp, gpointer data);
void do_reset (Vp *vp, gpointer data);
void do_set_debug_state (Vp *vp, gpointer data);
void do_inspect (Vp *vp, gpointer data);

GBytes *vp_save (Vp *vp);
gboolean vp_restore (Vp *vp, GBytes *bytes, GError **error);

G_END_DECLS
