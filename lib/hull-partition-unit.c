/* hull-partition-unit.c — the partition unit (partition-semantics.md §2.3).
 *
 * Fields written by the control thread are also read by inspect from other
 * threads, so every write happens under unit->mutex.
 */
#include "config.h"

#include "hull-partition-unit.h"

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-saved-state.h"
#include "hull-sync.h"
#include "hull-vp-runner.h"

#define SAVED_STATE_VERSION 1
#define SAVED_STATE_TYPE "(uaya(uay))"

typedef enum
{
  REQUEST_START,
  REQUEST_STOP,
  REQUEST_RESET,
  REQUEST_SAVE,
  REQUEST_RESTORE,
  REQUEST_STOP_VPS,
  REQUEST_START_VPS,
  REQUEST_CLEAR_HALT,
  REQUEST_SET_INITIAL_REGS,
  REQUEST_ACCEPT_INITIAL_PAGES,
  REQUEST_QUIT,
} RequestKind;

typedef struct
{
  RequestKind kind;
  gconstpointer input; /* the request's argument */
  guint n_input;
  gboolean ok;
  gpointer output;
  GError *error;
  gboolean done;
} Request;

struct _HullPartitionUnit
{
  HullPartition *partition;
  HullHalt *halt;
  HullVpRunner **runners;
  guint n_vps;
  HullHaltCallback callback;
  gpointer user_data;
  GThread *control;

  HullMutex mutex;
  HullCond cond;      /* a request or a halt arrived */
  HullCond done_cond; /* a request finished */
  GQueue requests;

  /* The §2.3 state; the control thread writes it under the mutex. */
  gboolean unit_started;
  guint vp_stop_count;
  gboolean needs_reset;
  HullHaltReason *halt_reason; /* set: halted */
  gboolean halt_reported;      /* the callback has seen halt_reason */
  gboolean vpset_started;
  gboolean has_initial_regs;
  HullInitialRegs initial_regs;
};

struct _HullStopGuard
{
  HullPartitionUnit *unit;
};

/* ------------------------------------------------------------------ */
/* Invariants */

static void
assert_invariants (HullPartitionUnit *unit)
{
  /* vpset_started ⇒ unit_started ∧ no halt ∧ no stop guard (as when set). */
  if (unit->vpset_started)
    g_assert (unit->unit_started && unit->halt_reason == NULL && unit->vp_stop_count == 0);
  /* Every halt is queued, held as the reported reason, or cleared. */
  hull_halt_assert_balanced (unit->halt, unit->halt_reason != NULL ? 1 : 0);
}

/* ------------------------------------------------------------------ */
/* The VP set */

static void
vpset_start (HullPartitionUnit *unit)
{
  if (unit->vpset_started)
    return;
  for (guint i = 0; i < unit->n_vps; i++)
    hull_vp_runner_start (unit->runners[i]);
  hull_mutex_lock (&unit->mutex);
  unit->vpset_started = TRUE;
  hull_mutex_unlock (&unit->mutex);
}

static void
vpset_stop (HullPartitionUnit *unit)
{
  if (!unit->vpset_started)
    return;
  hull_vp_runners_stop ((HullVpRunner *const *)unit->runners, unit->n_vps);
  hull_mutex_lock (&unit->mutex);
  unit->vpset_started = FALSE;
  hull_mutex_unlock (&unit->mutex);
}

static void
report_halt (HullPartitionUnit *unit)
{
  if (unit->halt_reason == NULL || unit->halt_reported || !unit->unit_started)
    return;
  hull_mutex_lock (&unit->mutex);
  unit->halt_reported = TRUE;
  hull_mutex_unlock (&unit->mutex);
  if (unit->callback != NULL)
    unit->callback (unit->halt_reason, unit->user_data);
}

static void
try_start (HullPartitionUnit *unit)
{
  if (unit->unit_started && unit->halt_reason == NULL && unit->vp_stop_count == 0)
    {
      hull_mutex_lock (&unit->mutex);
      unit->needs_reset = TRUE;
      hull_mutex_unlock (&unit->mutex);
      vpset_start (unit);
    }
}

/* A halt message: stop the VPs first; keep the first halt of a boot, clear
 * later ones at once. */
static void
handle_halt (HullPartitionUnit *unit, HullHaltReason *reason)
{
  vpset_stop (unit);
  if (unit->halt_reason == NULL)
    {
      hull_mutex_lock (&unit->mutex);
      unit->halt_reason = reason;
      unit->halt_reported = FALSE;
      hull_mutex_unlock (&unit->mutex);
      report_halt (unit);
    }
  else
    {
      hull_halt_clear (unit->halt);
      hull_halt_reason_free (reason);
    }
}

static void
drain_halts (HullPartitionUnit *unit)
{
  HullHaltReason *reason;

  while ((reason = hull_halt_pop (unit->halt)) != NULL)
    handle_halt (unit, reason);
}

/* The halt's notify hook: wake the control thread and kick every VP, so none
 * stays in the guest. */
static void
on_halt (gpointer data)
{
  HullPartitionUnit *unit = data;

  hull_mutex_lock (&unit->mutex);
  hull_cond_signal (&unit->cond);
  hull_mutex_unlock (&unit->mutex);
  for (guint i = 0; i < unit->n_vps; i++)
    hull_vp_runner_kick (unit->runners[i]);
}

/* ------------------------------------------------------------------ */
/* Per-VP calls */

static gboolean
vp_reset (HullProcessor *processor, gpointer data, GError **error)
{
  return hull_processor_reset (processor, error);
}

static gboolean
vp_scrub (HullProcessor *processor, gpointer data, GError **error)
{
  return hull_processor_scrub (processor, 0, error);
}

/* Sets a group, treating a group the backend does not have as absent. */
static gboolean
set_optional_group (HullProcessor *processor, HullRegisterGroup group, gconstpointer buffer,
                    gsize size, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (hull_processor_set_state (processor, 0, group, buffer, size, &local))
    return TRUE;
  if (g_error_matches (local, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static gboolean
vp_set_initial_regs (HullProcessor *processor, gpointer data, GError **error)
{
  const HullInitialRegs *regs = data;

  if (processor->vp_index == 0
      && !hull_processor_set_state (processor, 0, HULL_REGISTER_GROUP_REGISTERS, &regs->registers,
                                    sizeof regs->registers, error))
    return FALSE;
  return set_optional_group (processor, HULL_REGISTER_GROUP_MTRRS, &regs->mtrrs, sizeof regs->mtrrs,
                             error)
         && set_optional_group (processor, HULL_REGISTER_GROUP_PAT, &regs->pat, sizeof regs->pat,
                                error);
}

typedef struct
{
  GBytes *blob;
} VpBlob;

static gboolean
vp_save (HullProcessor *processor, gpointer data, GError **error)
{
  VpBlob *out = data;

  if (processor->ops->flush_async != NULL)
    processor->ops->flush_async (processor);
  out->blob = processor->ops->save (processor, error);
  return out->blob != NULL;
}

static gboolean
vp_restore (HullProcessor *processor, gpointer data, GError **error)
{
  VpBlob *in = data;

  return processor->ops->restore (processor, in->blob, error);
}

/* ------------------------------------------------------------------ */
/* Requests, on the control thread */

static gboolean
require_stopped_vps (HullPartitionUnit *unit, const char *what, GError **error)
{
  if (!unit->vpset_started)
    return TRUE;
  g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
               _ ("cannot %s while the virtual processors run; stop or pause the VM first"), what);
  return FALSE;
}

static gboolean
do_reset (HullPartitionUnit *unit, GError **error)
{
  if (unit->unit_started)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                   _ ("cannot reset the partition while it is started; stop it first"));
      return FALSE;
    }
  g_assert (!unit->vpset_started);
  if (!hull_partition_reset (unit->partition, error)
      || !hull_vp_runners_call ((HullVpRunner *const *)unit->runners, unit->n_vps, vp_reset, NULL,
                                error))
    return FALSE;

  hull_mutex_lock (&unit->mutex);
  if (unit->halt_reason != NULL)
    {
      g_clear_pointer (&unit->halt_reason, hull_halt_reason_free);
      hull_halt_clear (unit->halt);
    }
  unit->needs_reset = FALSE;
  hull_mutex_unlock (&unit->mutex);
  return TRUE;
}

static GBytes *
do_save (HullPartitionUnit *unit, GError **error)
{
  g_autoptr (GBytes) partition_blob = NULL;
  g_autofree VpBlob *blobs = NULL;
  g_autofree gpointer *data = NULL;
  GVariantBuilder vps;
  g_autoptr (GVariant) state = NULL;
  gboolean ok;

  if (!require_stopped_vps (unit, _ ("save the VM"), error))
    return NULL;
  partition_blob = unit->partition->ops->save (unit->partition, error);
  if (partition_blob == NULL)
    return NULL;

  blobs = g_new0 (VpBlob, unit->n_vps);
  data = g_new (gpointer, unit->n_vps);
  for (guint i = 0; i < unit->n_vps; i++)
    data[i] = &blobs[i];
  ok = hull_vp_runners_call ((HullVpRunner *const *)unit->runners, unit->n_vps, vp_save, data,
                             error);

  g_variant_builder_init (&vps, G_VARIANT_TYPE ("a(uay)"));
  for (guint i = 0; i < unit->n_vps; i++)
    {
      if (ok)
        g_variant_builder_add (
            &vps, "(u@ay)", i,
            g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, blobs[i].blob, TRUE));
      g_clear_pointer (&blobs[i].blob, g_bytes_unref);
    }
  if (!ok)
    {
      g_variant_builder_clear (&vps);
      return NULL;
    }
  state = g_variant_ref_sink (
      g_variant_new ("(u@ay@a(uay))", SAVED_STATE_VERSION,
                     g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, partition_blob, TRUE),
                     g_variant_builder_end (&vps)));
  return g_variant_get_data_as_bytes (state);
}

/* Checks the container before the backends see any of it. */
static gboolean
parse_saved_state (HullPartitionUnit *unit, GBytes *state, GBytes **partition_blob,
                   VpBlob *vp_blobs, GError **error)
{
  g_autoptr (GVariant) root = NULL;
  g_autoptr (GVariant) partition = NULL;
  g_autoptr (GVariant) vps = NULL;

  root = hull_saved_state_open (state, SAVED_STATE_TYPE, SAVED_STATE_VERSION, error);
  if (root == NULL)
    return FALSE;
  g_variant_get (root, "(u@ay@a(uay))", NULL, &partition, &vps);
  if (g_variant_n_children (vps) != unit->n_vps)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("the saved state has %u VPs; this VM has %u"),
                   (guint)g_variant_n_children (vps), unit->n_vps);
      return FALSE;
    }
  for (gsize i = 0; i < unit->n_vps; i++)
    {
      g_autoptr (GVariant) blob = NULL;
      guint32 index;

      g_variant_get_child (vps, i, "(u@ay)", &index, &blob);
      if (index >= unit->n_vps)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                       _ ("the saved state names VP %u; this VM has %u"), index, unit->n_vps);
          return FALSE;
        }
      if (vp_blobs[index].blob != NULL)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                       _ ("the saved state has VP %u twice"), index);
          return FALSE;
        }
      vp_blobs[index].blob = g_variant_get_data_as_bytes (blob);
    }
  *partition_blob = g_variant_get_data_as_bytes (partition);
  return TRUE;
}

static void
clear_blobs (HullPartitionUnit *unit, VpBlob *blobs)
{
  for (guint i = 0; i < unit->n_vps; i++)
    g_clear_pointer (&blobs[i].blob, g_bytes_unref);
}

/* Hands checked blobs to the partition and every VP. */
static gboolean
apply_blobs (HullPartitionUnit *unit, GBytes *partition_blob, VpBlob *blobs, GError **error)
{
  g_autofree gpointer *data = g_new (gpointer, unit->n_vps);

  for (guint i = 0; i < unit->n_vps; i++)
    data[i] = &blobs[i];
  return unit->partition->ops->restore (unit->partition, partition_blob, error)
         && hull_vp_runners_call ((HullVpRunner *const *)unit->runners, unit->n_vps, vp_restore,
                                  data, error);
}

static gboolean
apply_state (HullPartitionUnit *unit, GBytes *state, GError **error)
{
  g_autoptr (GBytes) partition_blob = NULL;
  g_autofree VpBlob *blobs = g_new0 (VpBlob, unit->n_vps);
  gboolean ok = parse_saved_state (unit, state, &partition_blob, blobs, error)
                && apply_blobs (unit, partition_blob, blobs, error);

  clear_blobs (unit, blobs);
  return ok;
}

/* The container is checked before anything changes. A backend may still
 * reject its own part after others were applied, so the current state is
 * saved first and put back on failure: a damaged file changes nothing. */
static gboolean
do_restore (HullPartitionUnit *unit, GBytes *state, GError **error)
{
  g_autoptr (GBytes) partition_blob = NULL;
  g_autofree VpBlob *blobs = g_new0 (VpBlob, unit->n_vps);
  g_autoptr (GBytes) snapshot = NULL;
  g_autoptr (GError) rollback_error = NULL;
  gboolean ok = FALSE;

  if (!require_stopped_vps (unit, _ ("restore the VM"), error)
      || !parse_saved_state (unit, state, &partition_blob, blobs, error))
    goto out;
  snapshot = do_save (unit, error);
  if (snapshot == NULL)
    {
      g_prefix_error (error, _ ("cannot keep the current state before restoring: "));
      goto out;
    }
  /* §2.3: restore sets needs_reset, so loading initial registers scrubs. */
  hull_mutex_lock (&unit->mutex);
  unit->needs_reset = TRUE;
  hull_mutex_unlock (&unit->mutex);
  ok = apply_blobs (unit, partition_blob, blobs, error);
  if (!ok && !apply_state (unit, snapshot, &rollback_error))
    g_prefix_error (error,
                    _ ("the VM is left half restored and must be reset (putting back its "
                       "previous state failed too: %s): "),
                    rollback_error->message);
out:
  clear_blobs (unit, blobs);
  return ok;
}

static gboolean
do_set_initial_regs (HullPartitionUnit *unit, const HullInitialRegs *regs, GError **error)
{
  gpointer *data;
  gboolean ok;

  if (unit->unit_started && unit->vp_stop_count == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                   _ ("cannot load initial registers while the VM runs"));
      return FALSE;
    }
  g_assert (!unit->vpset_started);
  if (unit->needs_reset)
    {
      /* The VM ran since its last reset: scrub VTL 0 before loading. */
      if (!hull_partition_scrub_vtl (unit->partition, 0, error)
          || !hull_vp_runners_call ((HullVpRunner *const *)unit->runners, unit->n_vps, vp_scrub,
                                    NULL, error))
        return FALSE;
      hull_mutex_lock (&unit->mutex);
      unit->needs_reset = FALSE;
      hull_mutex_unlock (&unit->mutex);
    }
  data = g_new (gpointer, unit->n_vps);
  for (guint i = 0; i < unit->n_vps; i++)
    data[i] = (gpointer)regs;
  ok = hull_vp_runners_call ((HullVpRunner *const *)unit->runners, unit->n_vps, vp_set_initial_regs,
                             data, error);
  g_free (data);
  if (ok)
    {
      hull_mutex_lock (&unit->mutex);
      unit->initial_regs = *regs;
      unit->has_initial_regs = TRUE;
      hull_mutex_unlock (&unit->mutex);
    }
  return ok;
}

static gboolean
do_clear_halt (HullPartitionUnit *unit)
{
  if (unit->halt_reason == NULL)
    return FALSE;
  g_assert (!unit->vpset_started);
  hull_mutex_lock (&unit->mutex);
  g_clear_pointer (&unit->halt_reason, hull_halt_reason_free);
  unit->halt_reported = FALSE;
  hull_mutex_unlock (&unit->mutex);
  hull_halt_clear (unit->halt);
  try_start (unit);
  return TRUE;
}

static void
set_started (HullPartitionUnit *unit, gboolean started)
{
  hull_mutex_lock (&unit->mutex);
  unit->unit_started = started;
  hull_mutex_unlock (&unit->mutex);
}

static void
set_stop_count (HullPartitionUnit *unit, guint count)
{
  hull_mutex_lock (&unit->mutex);
  unit->vp_stop_count = count;
  hull_mutex_unlock (&unit->mutex);
}

static void
handle_request (HullPartitionUnit *unit, Request *request)
{
  switch (request->kind)
    {
      case REQUEST_START:
        set_started (unit, TRUE);
        report_halt (unit); /* one that arrived while stopped */
        try_start (unit);
        request->ok = TRUE;
        break;
      case REQUEST_STOP:
        vpset_stop (unit);
        set_started (unit, FALSE);
        drain_halts (unit); /* a racing guest power action is kept */
        request->ok = TRUE;
        break;
      case REQUEST_RESET:
        request->ok = do_reset (unit, &request->error);
        break;
      case REQUEST_SAVE:
        request->output = do_save (unit, &request->error);
        request->ok = request->output != NULL;
        break;
      case REQUEST_RESTORE:
        request->ok = do_restore (unit, (GBytes *)request->input, &request->error);
        break;
      case REQUEST_STOP_VPS:
        vpset_stop (unit);
        set_stop_count (unit, unit->vp_stop_count + 1);
        request->ok = TRUE;
        break;
      case REQUEST_START_VPS:
        g_assert (unit->vp_stop_count > 0);
        set_stop_count (unit, unit->vp_stop_count - 1);
        try_start (unit);
        request->ok = TRUE;
        break;
      case REQUEST_CLEAR_HALT:
        request->ok = do_clear_halt (unit);
        break;
      case REQUEST_SET_INITIAL_REGS:
        request->ok = do_set_initial_regs (unit, request->input, &request->error);
        break;
      case REQUEST_ACCEPT_INITIAL_PAGES:
        if (unit->unit_started)
          {
            g_set_error (&request->error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                         _ ("initial pages can be accepted only while the VM is stopped"));
            request->ok = FALSE;
          }
        else
          request->ok = hull_partition_accept_initial_pages (unit->partition, request->input,
                                                             request->n_input, &request->error);
        break;
      case REQUEST_QUIT:
      default:
        g_assert_not_reached ();
    }
}

static gpointer
control_thread (gpointer data)
{
  HullPartitionUnit *unit = data;

  for (;;)
    {
      HullHaltReason *reason;
      Request *request = NULL;

      hull_mutex_lock (&unit->mutex);
      while ((reason = hull_halt_pop (unit->halt)) == NULL
             && (request = g_queue_pop_head (&unit->requests)) == NULL)
        hull_cond_wait (&unit->cond, &unit->mutex);
      hull_mutex_unlock (&unit->mutex);

      /* Halts first: a request then sees them settled. */
      if (reason != NULL)
        handle_halt (unit, reason);
      else if (request->kind == REQUEST_QUIT)
        {
          vpset_stop (unit);
          drain_halts (unit);
          hull_mutex_lock (&unit->mutex);
          request->done = TRUE;
          hull_cond_broadcast (&unit->done_cond);
          hull_mutex_unlock (&unit->mutex);
          return NULL;
        }
      else
        {
          handle_request (unit, request);
          hull_mutex_lock (&unit->mutex);
          request->done = TRUE;
          hull_cond_broadcast (&unit->done_cond);
          hull_mutex_unlock (&unit->mutex);
        }
      assert_invariants (unit);
    }
}

/* Posts @request and waits for the control thread to finish it. */
static gboolean
submit (HullPartitionUnit *unit, Request *request, GError **error)
{
  g_assert (g_thread_self () != unit->control);

  hull_mutex_lock (&unit->mutex);
  g_queue_push_tail (&unit->requests, request);
  hull_cond_signal (&unit->cond);
  while (!request->done)
    hull_cond_wait (&unit->done_cond, &unit->mutex);
  hull_mutex_unlock (&unit->mutex);

  if (request->error != NULL)
    g_propagate_error (error, request->error);
  return request->ok;
}

/* ------------------------------------------------------------------ */
/* Public API */

HullPartitionUnit *
hull_partition_unit_new (HullPartition *partition, HullProcessorBinder **binders, guint n_vps,
                         HullHalt *halt, const HullCpuIo *io, gpointer io_data,
                         HullHaltCallback callback, gpointer user_data, GError **error)
{
  HullPartitionUnit *unit;

  g_return_val_if_fail (partition != NULL, NULL);
  g_return_val_if_fail (binders != NULL && n_vps > 0, NULL);
  g_return_val_if_fail (halt != NULL, NULL);
  g_return_val_if_fail (io != NULL, NULL);

  unit = g_new0 (HullPartitionUnit, 1);
  unit->partition = partition;
  unit->halt = hull_halt_ref (halt);
  unit->n_vps = n_vps;
  unit->callback = callback;
  unit->user_data = user_data;
  hull_mutex_init (&unit->mutex);
  hull_cond_init (&unit->cond);
  hull_cond_init (&unit->done_cond);
  g_queue_init (&unit->requests);

  unit->runners = g_new0 (HullVpRunner *, n_vps);
  for (guint i = 0; i < n_vps; i++)
    {
      g_assert (binders[i]->vp_index == i);
      unit->runners[i] = hull_vp_runner_new (partition, binders[i], halt, io, io_data, error);
      binders[i] = NULL;
      if (unit->runners[i] == NULL)
        {
          /* A binder is consumed only by binding it on its own thread, so
           * the remaining ones get a runner that is torn down at once. */
          for (guint j = i + 1; j < n_vps; j++)
            {
              HullVpRunner *extra
                  = hull_vp_runner_new (partition, binders[j], halt, io, io_data, NULL);

              binders[j] = NULL;
              hull_vp_runner_free (extra);
            }
          hull_partition_unit_free (unit);
          return NULL;
        }
    }

  hull_halt_set_notify (halt, on_halt, unit);
  unit->control = g_thread_new ("hull-unit", control_thread, unit);
  return unit;
}

void
hull_partition_unit_free (HullPartitionUnit *unit)
{
  if (unit == NULL)
    return;
  if (unit->control != NULL)
    {
      Request request = { .kind = REQUEST_QUIT };

      submit (unit, &request, NULL);
      g_thread_join (unit->control);
      hull_halt_set_notify (unit->halt, NULL, NULL);
    }
  for (guint i = 0; i < unit->n_vps; i++)
    hull_vp_runner_free (unit->runners[i]);
  g_free (unit->runners);
  /* Every processor is unbound now. */
  unit->partition->ops->destroy (unit->partition);
  hull_halt_reason_free (unit->halt_reason);
  hull_halt_unref (unit->halt);
  g_queue_clear (&unit->requests);
  hull_mutex_clear (&unit->mutex);
  hull_cond_clear (&unit->cond);
  hull_cond_clear (&unit->done_cond);
  g_free (unit);
}

void
hull_partition_unit_start (HullPartitionUnit *unit)
{
  Request request = { .kind = REQUEST_START };

  g_return_if_fail (unit != NULL);
  submit (unit, &request, NULL);
}

void
hull_partition_unit_stop (HullPartitionUnit *unit)
{
  Request request = { .kind = REQUEST_STOP };

  g_return_if_fail (unit != NULL);
  submit (unit, &request, NULL);
}

gboolean
hull_partition_unit_reset (HullPartitionUnit *unit, GError **error)
{
  Request request = { .kind = REQUEST_RESET };

  g_return_val_if_fail (unit != NULL, FALSE);
  return submit (unit, &request, error);
}

GBytes *
hull_partition_unit_save (HullPartitionUnit *unit, GError **error)
{
  Request request = { .kind = REQUEST_SAVE };

  g_return_val_if_fail (unit != NULL, NULL);
  if (!submit (unit, &request, error))
    return NULL;
  return request.output;
}

gboolean
hull_partition_unit_restore (HullPartitionUnit *unit, GBytes *state, GError **error)
{
  Request request = { .kind = REQUEST_RESTORE, .input = state };

  g_return_val_if_fail (unit != NULL, FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  return submit (unit, &request, error);
}

HullStopGuard *
hull_partition_unit_stop_vps (HullPartitionUnit *unit)
{
  Request request = { .kind = REQUEST_STOP_VPS };
  HullStopGuard *guard;

  g_return_val_if_fail (unit != NULL, NULL);
  submit (unit, &request, NULL);
  guard = g_new0 (HullStopGuard, 1);
  guard->unit = unit;
  return guard;
}

void
hull_stop_guard_release (HullStopGuard *guard)
{
  Request request = { .kind = REQUEST_START_VPS };

  g_return_if_fail (guard != NULL);
  submit (guard->unit, &request, NULL);
  g_free (guard);
}

gboolean
hull_partition_unit_clear_halt (HullPartitionUnit *unit)
{
  Request request = { .kind = REQUEST_CLEAR_HALT };

  g_return_val_if_fail (unit != NULL, FALSE);
  return submit (unit, &request, NULL);
}

gboolean
hull_partition_unit_set_initial_regs (HullPartitionUnit *unit, const HullInitialRegs *regs,
                                      GError **error)
{
  Request request = { .kind = REQUEST_SET_INITIAL_REGS, .input = regs };

  g_return_val_if_fail (unit != NULL, FALSE);
  g_return_val_if_fail (regs != NULL, FALSE);
  return submit (unit, &request, error);
}

gboolean
hull_partition_unit_accept_initial_pages (HullPartitionUnit *unit, const HullMemoryRange *ranges,
                                          guint n_ranges, GError **error)
{
  Request request = { .kind = REQUEST_ACCEPT_INITIAL_PAGES, .input = ranges, .n_input = n_ranges };

  g_return_val_if_fail (unit != NULL, FALSE);
  return submit (unit, &request, error);
}

HullHaltReason *
hull_partition_unit_get_halt_reason (HullPartitionUnit *unit)
{
  HullHaltReason *copy = NULL;

  hull_mutex_lock (&unit->mutex);
  if (unit->halt_reason != NULL)
    copy = hull_halt_reason_copy (unit->halt_reason);
  hull_mutex_unlock (&unit->mutex);
  return copy;
}

guint
hull_partition_unit_get_n_vps (HullPartitionUnit *unit)
{
  return unit->n_vps;
}

HullPartition *
hull_partition_unit_get_partition (HullPartitionUnit *unit)
{
  return unit->partition;
}

static void
inspect_vp (gpointer object, HullInspectRequest *request)
{
  hull_vp_runner_inspect (object, request);
}

static void
inspect_vps (gpointer object, HullInspectRequest *request)
{
  HullPartitionUnit *unit = object;

  for (guint i = 0; i < unit->n_vps; i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "%u", i);
      hull_inspect_child (request, name, inspect_vp, unit->runners[i]);
    }
}

static void
inspect_partition (gpointer object, HullInspectRequest *request)
{
  HullPartition *partition = object;

  if (partition->ops->inspect != NULL)
    partition->ops->inspect (partition, request);
}

void
hull_partition_unit_inspect (HullPartitionUnit *unit, HullInspectRequest *request)
{
  g_autofree char *halt = NULL;

  hull_mutex_lock (&unit->mutex);
  hull_inspect_field_bool (request, "started", unit->unit_started);
  hull_inspect_field_bool (request, "vps-started", unit->vpset_started);
  hull_inspect_field_uint (request, "vp-stop-count", unit->vp_stop_count);
  hull_inspect_field_bool (request, "needs-reset", unit->needs_reset);
  if (unit->halt_reason != NULL)
    halt = hull_halt_reason_describe (unit->halt_reason);
  hull_mutex_unlock (&unit->mutex);

  hull_inspect_field_string (request, "halted", halt != NULL ? halt : "");
  hull_inspect_field_uint (request, "halt-count", hull_halt_get_count (unit->halt));
  hull_inspect_child (request, "partition", inspect_partition, unit->partition);
  hull_inspect_child (request, "vp", inspect_vps, unit);
}
