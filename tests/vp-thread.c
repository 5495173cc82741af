/* vp-thread.c — see vp-thread.h. */
#include "config.h"

#include "vp-thread.h"

#include "hull-inspect.h"

static gpointer
vp_thread (gpointer data)
{
  Vp *vp = data;

  for (;;)
    {
      Job *job;
      gboolean quit;

      hull_mutex_lock (&vp->lock);
      while (g_queue_is_empty (&vp->jobs))
        hull_cond_wait (&vp->queued, &vp->lock);
      job = g_queue_pop_head (&vp->jobs);
      hull_mutex_unlock (&vp->lock);

      quit = job->func == NULL;
      if (!quit)
        job->func (vp, job->data);
      hull_mutex_lock (&vp->lock);
      job->done = TRUE;
      hull_cond_broadcast (&vp->finished);
      hull_mutex_unlock (&vp->lock);
      if (quit)
        return NULL;
    }
}

/* Starts @vp's thread; @binder stays unbound until do_bind. */
void
vp_start (Vp *vp, guint index, HullProcessorBinder *binder, Bus *bus)
{
  g_autofree char *name = g_strdup_printf ("vp%u", index);

  vp->index = index;
  vp->binder = binder;
  vp->bus = bus;
  hull_mutex_init (&vp->lock);
  hull_cond_init (&vp->queued);
  hull_cond_init (&vp->finished);
  g_queue_init (&vp->jobs);
  vp->thread = g_thread_new (name, vp_thread, vp);
}

/* Unbinds the processor if bound and ends the thread. */
void
vp_finish (Vp *vp)
{
  if (vp->processor != NULL)
    vp_call (vp, do_unbind, NULL);
  vp_call (vp, NULL, NULL);
  g_thread_join (vp->thread);
  g_assert_true (g_queue_is_empty (&vp->jobs));
  hull_mutex_clear (&vp->lock);
  hull_cond_clear (&vp->queued);
  hull_cond_clear (&vp->finished);
}

Job *
job_start (Vp *vp, VpFunc func, gpointer data)
{
  Job *job = g_new0 (Job, 1);

  job->vp = vp;
  job->func = func;
  job->data = data;
  hull_mutex_lock (&vp->lock);
  g_queue_push_tail (&vp->jobs, job);
  hull_cond_signal (&vp->queued);
  hull_mutex_unlock (&vp->lock);
  return job;
}

/* Whether the job finished within @timeout_us. */
gboolean
job_wait (Job *job, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gboolean done;

  hull_mutex_lock (&job->vp->lock);
  while (!job->done)
    if (!hull_cond_wait_until (&job->vp->finished, &job->vp->lock, deadline))
      break;
  done = job->done;
  hull_mutex_unlock (&job->vp->lock);
  return done;
}

/* After job_wait() said it is done. */
void
job_free (Job *job)
{
  g_free (job);
}

/* Runs @func on @vp's thread and waits for it. */
void
vp_call (Vp *vp, VpFunc func, gpointer data)
{
  Job *job = job_start (vp, func, data);

  g_assert_true (job_wait (job, JOB_TIMEOUT_US));
  job_free (job);
}

void
call_clear (Call *call)
{
  g_clear_error (&call->error);
  g_clear_pointer (&call->detail.message, g_free);
  g_clear_pointer (&call->bytes, g_bytes_unref);
  g_clear_pointer (&call->inspected, g_variant_unref);
}

void
do_bind (Vp *vp, gpointer data)
{
  Call *call = data;

  vp->processor = vp->binder->ops->bind (vp->binder, &call->error);
  vp->binder = NULL; /* consumed, also on failure */
  call->ok = vp->processor != NULL;
}

void
do_unbind (Vp *vp, gpointer data)
{
  vp->processor->ops->unbind (vp->processor);
  vp->processor = NULL;
}

void
do_run (Vp *vp, gpointer data)
{
  Call *call = data;

  call->exit = vp->processor->ops->run (vp->processor, &vp->stop, &bus_io, vp->bus, &call->detail);
}

void
do_get_state (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = hull_processor_get_state (vp->processor, call->vtl, call->group, call->buffer,
                                       call->size, &call->error);
}

void
do_set_state (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = hull_processor_set_state (vp->processor, call->vtl, call->group, call->buffer,
                                       call->size, &call->error);
}

void
do_save (Vp *vp, gpointer data)
{
  Call *call = data;

  call->bytes = vp->processor->ops->save (vp->processor, &call->error);
  call->ok = call->bytes != NULL;
}

void
do_restore (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = vp->processor->ops->restore (vp->processor, call->bytes, &call->error);
}

void
do_reset (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = hull_processor_reset (vp->processor, &call->error);
}

void
do_set_debug_state (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok
      = vp->processor->ops->set_debug_state (vp->processor, call->vtl, call->single_step,
                                             call->breakpoints, call->n_breakpoints, &call->error);
}

static void
inspect_processor (gpointer object, HullInspectRequest *request)
{
  HullProcessor *processor = object;

  processor->ops->inspect (processor, request);
}

void
do_inspect (Vp *vp, gpointer data)
{
  Call *call = data;

  call->inspected = hull_inspect (call->path != NULL ? call->path : "", 1, inspect_processor,
                                  vp->processor, HULL_INSPECT_NO_TIMEOUT, &call->error);
}

/* Saves @vp's processor; asserts it can. */
GBytes *
vp_save (Vp *vp)
{
  Call call = { 0 };

  vp_call (vp, do_save, &call);
  g_assert_no_error (call.error);
  return call.bytes;
}

gboolean
vp_restore (Vp *vp, GBytes *bytes, GError **error)
{
  Call call = { .bytes = bytes };

  vp_call (vp, do_restore, &call);
  if (call.error != NULL)
    g_propagate_error (error, g_steal_pointer (&call.error));
  return call.ok;
}
