/* hull-vp-runner.c — one VP's thread and state machine
 * (partition-semantics.md §2.2). */
#include "config.h"

#include "hull-vp-runner.h"

#include "hull-enum.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-sync.h"

HULL_ENUM_IMPL (hull_vp_runner_state, HullVpRunnerState, "stopped", "running", "halted")

/* Counts down completions of messages posted to several runners. */
typedef struct
{
  HullMutex mutex;
  HullCond cond;
  guint remaining;
} Latch;

typedef enum
{
  MESSAGE_START,
  MESSAGE_STOP,
  MESSAGE_CALL,
  MESSAGE_INSPECT,
} MessageKind;

typedef struct
{
  MessageKind kind;
  Latch *latch; /* STOP, CALL: counted down when done */
  HullVpCallFunc func;
  gpointer data;
  GError **error; /* CALL: where the failure goes */
  HullInspectDeferred *deferred;
} Message;

struct _HullVpRunner
{
  HullPartition *partition;
  HullProcessor *processor;
  HullHalt *halt;
  const HullCpuIo *io;
  gpointer io_data;
  guint index;
  GThread *thread;

  /* The mailbox. */
  HullMutex mutex;
  HullCond cond;
  GQueue messages;
  gboolean closed;
  gint stop; /* run()'s stop flag; set by every post */

  gint state; /* HullVpRunnerState, read with atomics from other threads */

  /* Binding handshake with hull_vp_runner_new(). */
  HullProcessorBinder *binder;
  gboolean bind_done;
  GError *bind_error;
};

static void
latch_init (Latch *latch, guint count)
{
  hull_mutex_init (&latch->mutex);
  hull_cond_init (&latch->cond);
  latch->remaining = count;
}

static void
latch_count_down (Latch *latch)
{
  hull_mutex_lock (&latch->mutex);
  g_assert (latch->remaining > 0);
  if (--latch->remaining == 0)
    hull_cond_broadcast (&latch->cond);
  hull_mutex_unlock (&latch->mutex);
}

static void
latch_wait_and_clear (Latch *latch)
{
  hull_mutex_lock (&latch->mutex);
  while (latch->remaining > 0)
    hull_cond_wait (&latch->cond, &latch->mutex);
  hull_mutex_unlock (&latch->mutex);
  hull_mutex_clear (&latch->mutex);
  hull_cond_clear (&latch->cond);
}

static void
set_state (HullVpRunner *runner, HullVpRunnerState state)
{
  g_atomic_int_set (&runner->state, state);
}

static HullVpRunnerState
get_state (HullVpRunner *runner)
{
  return (HullVpRunnerState)g_atomic_int_get (&runner->state);
}

/* Queues @message and kicks the VP: the stop flag ends a run() about to
 * start, the yield request one already inside the hypervisor. Returns FALSE,
 * queueing nothing, once the mailbox is closed. */
static gboolean
try_post (HullVpRunner *runner, Message *message)
{
  hull_mutex_lock (&runner->mutex);
  if (runner->closed)
    {
      hull_mutex_unlock (&runner->mutex);
      return FALSE;
    }
  g_queue_push_tail (&runner->messages, message);
  g_atomic_int_set (&runner->stop, 1);
  hull_cond_signal (&runner->cond);
  hull_mutex_unlock (&runner->mutex);
  hull_partition_request_yield (runner->partition, runner->index);
  return TRUE;
}

/* The control thread never posts to a runner it has freed. */
static void
post (HullVpRunner *runner, Message *message)
{
  gboolean posted = try_post (runner, message);

  g_assert (posted);
}

void
hull_vp_runner_kick (HullVpRunner *runner)
{
  hull_mutex_lock (&runner->mutex);
  g_atomic_int_set (&runner->stop, 1);
  hull_cond_signal (&runner->cond);
  hull_mutex_unlock (&runner->mutex);
  hull_partition_request_yield (runner->partition, runner->index);
}

/* ------------------------------------------------------------------ */
/* The VP thread */

static HullHaltReason *
halt_reason_for_exit (HullVpRunner *runner, HullVpExit exit, const HullVpExitDetail *detail)
{
  static const HullHaltKind kinds[] = {
    [HULL_VP_EXIT_POWER_OFF] = HULL_HALT_POWER_OFF,
    [HULL_VP_EXIT_RESET] = HULL_HALT_RESET,
    [HULL_VP_EXIT_HIBERNATE] = HULL_HALT_HIBERNATE,
    [HULL_VP_EXIT_TRIPLE_FAULT] = HULL_HALT_TRIPLE_FAULT,
    [HULL_VP_EXIT_SINGLE_STEP] = HULL_HALT_SINGLE_STEP,
    [HULL_VP_EXIT_HW_BREAK] = HULL_HALT_HW_BREAKPOINT,
    [HULL_VP_EXIT_FATAL] = HULL_HALT_VP_FAILED,
  };
  HullHaltReason *reason;

  g_assert (exit < G_N_ELEMENTS (kinds) && exit >= HULL_VP_EXIT_POWER_OFF);
  reason = hull_halt_reason_new (kinds[exit]);
  reason->has_vp = TRUE;
  reason->vp = runner->index;
  reason->breakpoint = detail->breakpoint;
  if (exit == HULL_VP_EXIT_FATAL)
    reason->message
        = g_strdup (detail->message != NULL ? detail->message : _ ("the backend gave no detail"));
  return reason;
}

/* Runs the guest once; returns the state to continue in. */
static HullVpRunnerState
run_guest (HullVpRunner *runner)
{
  HullVpExitDetail detail = { 0 };
  g_autoptr (HullHaltReason) reason = NULL;
  HullVpExit exit;

  exit = runner->processor->ops->run (runner->processor, &runner->stop, runner->io, runner->io_data,
                                      &detail);
  switch (exit)
    {
      case HULL_VP_EXIT_STOPPED:
      case HULL_VP_EXIT_YIELD:
      case HULL_VP_EXIT_CANCEL:
        /* The mailbox and the halt count are read again before the next run. */
        g_free (detail.message);
        return HULL_VP_RUNNER_RUNNING;
      case HULL_VP_EXIT_POWER_OFF:
      case HULL_VP_EXIT_RESET:
      case HULL_VP_EXIT_HIBERNATE:
      case HULL_VP_EXIT_TRIPLE_FAULT:
      case HULL_VP_EXIT_SINGLE_STEP:
      case HULL_VP_EXIT_HW_BREAK:
      case HULL_VP_EXIT_FATAL:
        reason = halt_reason_for_exit (runner, exit, &detail);
        g_free (detail.message);
        hull_halt_halt (runner->halt, reason);
        return HULL_VP_RUNNER_HALTED;
      default:
        g_error ("VP %u: the backend returned unknown exit %d", runner->index, exit);
    }
}

static void
inspect_on_vp (HullVpRunner *runner, HullInspectDeferred *deferred)
{
  HullInspectRequest *request = hull_inspect_deferred_get_request (deferred);

  hull_inspect_field_string (request, "runner",
                             hull_vp_runner_state_to_string (get_state (runner)));
  if (runner->processor->ops->inspect != NULL)
    runner->processor->ops->inspect (runner->processor, request);
  hull_inspect_deferred_complete (deferred);
}

static void
handle_message (HullVpRunner *runner, Message *message)
{
  HullVpRunnerState state = get_state (runner);

  switch (message->kind)
    {
      case MESSAGE_START:
        g_assert (state == HULL_VP_RUNNER_STOPPED);
        set_state (runner, HULL_VP_RUNNER_RUNNING);
        break;
      case MESSAGE_STOP:
        set_state (runner, HULL_VP_RUNNER_STOPPED);
        latch_count_down (message->latch);
        break;
      case MESSAGE_CALL:
        if (!message->func (runner->processor, message->data, message->error))
          {
            g_autofree char *prefix = g_strdup_printf (_ ("VP %u: "), runner->index);

            /* Backends often name the VP themselves. */
            if (!g_str_has_prefix ((*message->error)->message, prefix))
              g_prefix_error (message->error, "%s", prefix);
          }
        latch_count_down (message->latch);
        break;
      case MESSAGE_INSPECT:
        inspect_on_vp (runner, message->deferred);
        break;
      default:
        g_assert_not_reached ();
    }
  g_free (message);
}

/* Waits for the next message, or for nothing when Running. Returns NULL when
 * there is none and the VP should run; sets *closed at teardown. */
static Message *
next_message (HullVpRunner *runner, gboolean *closed)
{
  Message *message;

  hull_mutex_lock (&runner->mutex);
  for (;;)
    {
      message = g_queue_pop_head (&runner->messages);
      if (message != NULL || runner->closed)
        break;
      if (get_state (runner) == HULL_VP_RUNNER_RUNNING)
        {
          /* Cleared under the lock: a later post sets it again, so run()
           * cannot miss a message. */
          g_atomic_int_set (&runner->stop, 0);
          break;
        }
      hull_cond_wait (&runner->cond, &runner->mutex);
    }
  *closed = message == NULL && runner->closed;
  hull_mutex_unlock (&runner->mutex);
  return message;
}

static gpointer
runner_thread (gpointer data)
{
  HullVpRunner *runner = data;
  gboolean closed = FALSE;

  /* Bind on this thread; the processor is affine to it from now on. */
  runner->processor = runner->binder->ops->bind (runner->binder, &runner->bind_error);
  runner->binder = NULL;
  hull_mutex_lock (&runner->mutex);
  runner->bind_done = TRUE;
  hull_cond_broadcast (&runner->cond);
  hull_mutex_unlock (&runner->mutex);
  if (runner->processor == NULL)
    return NULL;

  while (!closed)
    {
      Message *message = next_message (runner, &closed);

      if (message != NULL)
        handle_message (runner, message);
      else if (closed)
        break;
      else if (hull_halt_get_count (runner->halt) != 0)
        set_state (runner, HULL_VP_RUNNER_HALTED); /* never enter the guest while halted */
      else
        set_state (runner, run_guest (runner));
    }

  runner->processor->ops->unbind (runner->processor);
  runner->processor = NULL;
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Control side */

HullVpRunner *
hull_vp_runner_new (HullPartition *partition, HullProcessorBinder *binder, HullHalt *halt,
                    const HullCpuIo *io, gpointer io_data, GError **error)
{
  HullVpRunner *runner;
  g_autofree char *name = NULL;

  g_return_val_if_fail (partition != NULL, NULL);
  g_return_val_if_fail (binder != NULL, NULL);
  g_return_val_if_fail (halt != NULL, NULL);
  g_return_val_if_fail (io != NULL, NULL);

  runner = g_new0 (HullVpRunner, 1);
  runner->partition = partition;
  runner->binder = binder;
  runner->index = binder->vp_index;
  runner->halt = hull_halt_ref (halt);
  runner->io = io;
  runner->io_data = io_data;
  runner->state = HULL_VP_RUNNER_STOPPED;
  hull_mutex_init (&runner->mutex);
  hull_cond_init (&runner->cond);
  g_queue_init (&runner->messages);

  name = g_strdup_printf ("hull-vp%u", runner->index);
  runner->thread = g_thread_new (name, runner_thread, runner);

  hull_mutex_lock (&runner->mutex);
  while (!runner->bind_done)
    hull_cond_wait (&runner->cond, &runner->mutex);
  hull_mutex_unlock (&runner->mutex);

  if (runner->bind_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&runner->bind_error),
                                  _ ("VP %u: cannot bind the processor: "), runner->index);
      g_thread_join (runner->thread);
      runner->thread = NULL;
      hull_vp_runner_free (runner);
      return NULL;
    }
  return runner;
}

void
hull_vp_runner_free (HullVpRunner *runner)
{
  if (runner == NULL)
    return;
  if (runner->thread != NULL)
    {
      /* Closing also ends a run() in progress (partition-semantics §2.2). */
      hull_mutex_lock (&runner->mutex);
      runner->closed = TRUE;
      g_atomic_int_set (&runner->stop, 1);
      hull_cond_signal (&runner->cond);
      hull_mutex_unlock (&runner->mutex);
      hull_partition_request_yield (runner->partition, runner->index);
      g_thread_join (runner->thread);
    }
  /* Messages the thread never took: only inspections can be left. */
  for (Message *m; (m = g_queue_pop_head (&runner->messages)) != NULL; g_free (m))
    {
      g_assert (m->kind == MESSAGE_INSPECT);
      hull_inspect_deferred_fail (m->deferred, _ ("the VP was torn down"));
    }
  g_clear_error (&runner->bind_error);
  hull_halt_unref (runner->halt);
  hull_mutex_clear (&runner->mutex);
  hull_cond_clear (&runner->cond);
  g_free (runner);
}

guint
hull_vp_runner_get_index (HullVpRunner *runner)
{
  return runner->index;
}

HullVpRunnerState
hull_vp_runner_get_state (HullVpRunner *runner)
{
  return get_state (runner);
}

void
hull_vp_runner_start (HullVpRunner *runner)
{
  Message *message = g_new0 (Message, 1);

  message->kind = MESSAGE_START;
  post (runner, message);
}

void
hull_vp_runners_stop (HullVpRunner *const *runners, guint n_runners)
{
  Latch latch;

  latch_init (&latch, n_runners);
  for (guint i = 0; i < n_runners; i++)
    {
      Message *message = g_new0 (Message, 1);

      message->kind = MESSAGE_STOP;
      message->latch = &latch;
      post (runners[i], message);
    }
  latch_wait_and_clear (&latch);
}

gboolean
hull_vp_runners_call (HullVpRunner *const *runners, guint n_runners, HullVpCallFunc func,
                      gpointer *data, GError **error)
{
  g_autofree GError **errors = g_new0 (GError *, n_runners);
  gboolean ok = TRUE;
  Latch latch;

  latch_init (&latch, n_runners);
  for (guint i = 0; i < n_runners; i++)
    {
      Message *message = g_new0 (Message, 1);

      message->kind = MESSAGE_CALL;
      message->latch = &latch;
      message->func = func;
      message->data = data != NULL ? data[i] : NULL;
      message->error = &errors[i];
      post (runners[i], message);
    }
  latch_wait_and_clear (&latch);

  for (guint i = 0; i < n_runners; i++)
    if (errors[i] != NULL)
      {
        if (ok)
          g_propagate_error (error, errors[i]);
        else
          g_error_free (errors[i]);
        ok = FALSE;
      }
  return ok;
}

gboolean
hull_vp_runner_call (HullVpRunner *runner, HullVpCallFunc func, gpointer data, GError **error)
{
  return hull_vp_runners_call (&runner, 1, func, &data, error);
}

void
hull_vp_runner_inspect (HullVpRunner *runner, HullInspectRequest *request)
{
  Message *message = g_new0 (Message, 1);

  message->kind = MESSAGE_INSPECT;
  message->deferred = hull_inspect_defer (request);
  if (!try_post (runner, message))
    {
      hull_inspect_deferred_fail (message->deferred, _ ("the VP was torn down"));
      g_free (message);
    }
}
