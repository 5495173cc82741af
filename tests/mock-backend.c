/* mock-backend.c — an in-test backend whose VPs do exactly what a test says. */
#include "config.h"

#include "mock-backend.h"

#include <string.h>

#include "hull-error.h"
#include "hull-halt.h"
#include "null-io.h"

#define SAVE_TYPE "(ut)"

static MockVp *
mock_vp (HullProcessor *processor)
{
  return (MockVp *)processor;
}

static void
check_thread (MockVp *vp)
{
  if (vp->thread != g_thread_self ())
    vp->wrong_thread++;
}

/* ------------------------------------------------------------------ */
/* Processor */

static HullVpExit
vp_run (HullProcessor *processor, const gint *stop, const HullCpuIo *io, gpointer io_data,
        HullVpExitDetail *detail)
{
  MockVp *vp = mock_vp (processor);
  MockPartition *p = vp->partition;
  HullVpExit result;

  hull_mutex_lock (&p->mutex);
  check_thread (vp);
  vp->runs++;
  vp->in_run = TRUE;
  hull_cond_broadcast (&p->cond);
  for (;;)
    {
      if (g_atomic_int_get (stop))
        {
          result = HULL_VP_EXIT_STOPPED;
          break;
        }
      if (vp->yield)
        {
          /* Checked before any "guest instruction", as the ABI requires. */
          vp->yield = FALSE;
          vp->yield_latency = g_get_monotonic_time () - vp->yield_requested_at;
          result = HULL_VP_EXIT_YIELD;
          break;
        }
      if (vp->has_exit)
        {
          vp->has_exit = FALSE;
          result = vp->exit;
          if (result == HULL_VP_EXIT_FATAL)
            detail->message = g_strdup ("mock failure");
          break;
        }
      if (vp->io_halt)
        {
          guint8 value = 0x34;

          vp->io_halt = FALSE;
          hull_mutex_unlock (&p->mutex);
          io->write_io (io_data, processor->vp_index, MOCK_POWER_OFF_PORT, &value, 1);
          hull_mutex_lock (&p->mutex);
          continue;
        }
      vp->steps++;
      if (vp->spin)
        {
          hull_mutex_unlock (&p->mutex);
          g_thread_yield ();
          hull_mutex_lock (&p->mutex);
        }
      else
        hull_cond_wait (&p->cond, &p->mutex);
    }
  vp->in_run = FALSE;
  hull_cond_broadcast (&p->cond);
  hull_mutex_unlock (&p->mutex);
  return result;
}

static gboolean
vp_reset (HullProcessor *processor, GError **error)
{
  MockVp *vp = mock_vp (processor);

  hull_mutex_lock (&vp->partition->mutex);
  check_thread (vp);
  vp->resets++;
  vp->steps = 0;
  memset (&vp->registers, 0, sizeof vp->registers);
  vp->registers.rip = 0xfff0;
  hull_mutex_unlock (&vp->partition->mutex);
  return TRUE;
}

static gboolean
vp_scrub (HullProcessor *processor, guint vtl, GError **error)
{
  MockVp *vp = mock_vp (processor);

  hull_mutex_lock (&vp->partition->mutex);
  check_thread (vp);
  vp->scrubs++;
  hull_mutex_unlock (&vp->partition->mutex);
  return TRUE;
}

static gboolean
vp_set_state (HullProcessor *processor, guint vtl, HullRegisterGroup group, gconstpointer buffer,
              gsize size, GError **error)
{
  MockVp *vp = mock_vp (processor);
  gboolean ok = TRUE;

  hull_mutex_lock (&vp->partition->mutex);
  check_thread (vp);
  if (group == HULL_REGISTER_GROUP_REGISTERS && size == sizeof (HullX86Registers))
    {
      memcpy (&vp->registers, buffer, size);
      vp->initial_loads++;
    }
  else if (group == HULL_REGISTER_GROUP_MTRRS)
    vp->mtrr_loads++;
  else if (group != HULL_REGISTER_GROUP_PAT)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED, "mock: no group %d", group);
      ok = FALSE;
    }
  hull_mutex_unlock (&vp->partition->mutex);
  return ok;
}

static gboolean
vp_get_state (HullProcessor *processor, guint vtl, HullRegisterGroup group, gpointer buffer,
              gsize size, GError **error)
{
  MockVp *vp = mock_vp (processor);

  if (group != HULL_REGISTER_GROUP_REGISTERS || size != sizeof (HullX86Registers))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED, "mock: no group %d", group);
      return FALSE;
    }
  hull_mutex_lock (&vp->partition->mutex);
  check_thread (vp);
  memcpy (buffer, &vp->registers, size);
  hull_mutex_unlock (&vp->partition->mutex);
  return TRUE;
}

/* The saved "step" is what must survive save → restore. */
static GBytes *
vp_save (HullProcessor *processor, GError **error)
{
  MockVp *vp = mock_vp (processor);
  g_autoptr (GVariant) v = NULL;

  hull_mutex_lock (&vp->partition->mutex);
  check_thread (vp);
  v = g_variant_ref_sink (g_variant_new (SAVE_TYPE, processor->vp_index, vp->steps));
  hull_mutex_unlock (&vp->partition->mutex);
  return g_variant_get_data_as_bytes (v);
}

static gboolean
vp_restore (HullProcessor *processor, GBytes *state, GError **error)
{
  MockVp *vp = mock_vp (processor);
  g_autoptr (GVariant) v
      = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (SAVE_TYPE), state, FALSE));
  guint32 index;
  guint64 steps;

  if (!g_variant_is_normal_form (v))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, "mock: bad VP blob");
      return FALSE;
    }
  g_variant_get (v, SAVE_TYPE, &index, &steps);
  if (index != processor->vp_index)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, "mock: blob of VP %u", index);
      return FALSE;
    }
  hull_mutex_lock (&vp->partition->mutex);
  check_thread (vp);
  vp->steps = steps;
  vp->restores++;
  hull_mutex_unlock (&vp->partition->mutex);
  return TRUE;
}

static void
vp_inspect (HullProcessor *processor, HullInspectRequest *request)
{
  MockVp *vp = mock_vp (processor);

  hull_mutex_lock (&vp->partition->mutex);
  check_thread (vp);
  hull_inspect_field_uint (request, "steps", vp->steps);
  hull_inspect_field_bool (request, "on-bound-thread", vp->thread == g_thread_self ());
  hull_mutex_unlock (&vp->partition->mutex);
}

static void
vp_unbind (HullProcessor *processor)
{
  MockVp *vp = mock_vp (processor);

  hull_mutex_lock (&vp->partition->mutex);
  check_thread (vp);
  vp->thread = NULL;
  hull_mutex_unlock (&vp->partition->mutex);
}

static const HullProcessorOps vp_ops = {
  .run = vp_run,
  .reset = vp_reset,
  .scrub = vp_scrub,
  .get_state = vp_get_state,
  .set_state = vp_set_state,
  .save = vp_save,
  .restore = vp_restore,
  .inspect = vp_inspect,
  .unbind = vp_unbind,
};

/* ------------------------------------------------------------------ */
/* Binder */

typedef struct
{
  HullProcessorBinder base;
  MockPartition *partition;
} MockBinder;

static HullProcessor *
binder_bind (HullProcessorBinder *binder, GError **error)
{
  MockBinder *b = (MockBinder *)binder;
  MockVp *vp = b->partition->vps[binder->vp_index];

  hull_mutex_lock (&b->partition->mutex);
  vp->thread = g_thread_self ();
  b->partition->bound_any = TRUE;
  hull_mutex_unlock (&b->partition->mutex);
  g_free (b);
  return &vp->base;
}

static const HullProcessorBinderOps binder_ops = { .bind = binder_bind };

/* ------------------------------------------------------------------ */
/* Partition */

static MockPartition *
mock_partition (HullPartition *partition)
{
  return (MockPartition *)partition;
}

static const HullPartitionCaps mock_caps = { 46, TRUE, TRUE, HULL_EXECUTION_EMULATED };

static const HullPartitionCaps *
partition_caps (HullPartition *partition)
{
  return &mock_caps;
}

static void
partition_request_yield (HullPartition *partition, guint vp)
{
  MockPartition *p = mock_partition (partition);

  hull_mutex_lock (&p->mutex);
  if (!p->vps[vp]->yield)
    p->vps[vp]->yield_requested_at = g_get_monotonic_time ();
  p->vps[vp]->yield = TRUE;
  p->yields++;
  hull_cond_broadcast (&p->cond);
  hull_mutex_unlock (&p->mutex);
}

static gboolean
partition_reset (HullPartition *partition, GError **error)
{
  MockPartition *p = mock_partition (partition);
  gboolean ok;

  hull_mutex_lock (&p->mutex);
  ok = !p->fail_reset;
  if (ok)
    p->resets++;
  else
    g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED, "mock: reset failed");
  hull_mutex_unlock (&p->mutex);
  return ok;
}

static gboolean
partition_scrub (HullPartition *partition, guint vtl, GError **error)
{
  MockPartition *p = mock_partition (partition);

  hull_mutex_lock (&p->mutex);
  p->scrubs++;
  hull_mutex_unlock (&p->mutex);
  return TRUE;
}

static gboolean
partition_accept (HullPartition *partition, const HullMemoryRange *ranges, guint n_ranges,
                  GError **error)
{
  MockPartition *p = mock_partition (partition);

  hull_mutex_lock (&p->mutex);
  p->accepted += n_ranges;
  hull_mutex_unlock (&p->mutex);
  return TRUE;
}

static GBytes *
partition_save (HullPartition *partition, GError **error)
{
  MockPartition *p = mock_partition (partition);

  hull_mutex_lock (&p->mutex);
  p->saves++;
  hull_mutex_unlock (&p->mutex);
  return g_bytes_new_static ("mock", 4);
}

static gboolean
partition_restore (HullPartition *partition, GBytes *state, GError **error)
{
  MockPartition *p = mock_partition (partition);
  gsize size;
  const char *data = g_bytes_get_data (state, &size);

  if (size != 4 || memcmp (data, "mock", 4) != 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, "mock: bad partition blob");
      return FALSE;
    }
  hull_mutex_lock (&p->mutex);
  p->restores++;
  hull_mutex_unlock (&p->mutex);
  return TRUE;
}

static void
partition_inspect (HullPartition *partition, HullInspectRequest *request)
{
  MockPartition *p = mock_partition (partition);

  hull_mutex_lock (&p->mutex);
  hull_inspect_counter (request, "resets", p->resets);
  hull_mutex_unlock (&p->mutex);
}

static void
partition_destroy (HullPartition *partition)
{
  MockPartition *p = mock_partition (partition);

  if (p->destroyed_flag != NULL)
    *p->destroyed_flag = 1;
  for (guint i = 0; i < p->n_vps; i++)
    {
      g_assert_null (p->vps[i]->thread); /* destroy comes after every unbind */
      g_free (p->vps[i]);
    }
  g_free (p->vps);
  hull_mutex_clear (&p->mutex);
  hull_cond_clear (&p->cond);
  g_free (p);
}

static const HullPartitionOps partition_ops = {
  .caps = partition_caps,
  .request_yield = partition_request_yield,
  .reset = partition_reset,
  .scrub_vtl = partition_scrub,
  .accept_initial_pages = partition_accept,
  .save = partition_save,
  .restore = partition_restore,
  .inspect = partition_inspect,
  .destroy = partition_destroy,
};

MockPartition *
mock_partition_new (guint n_vps, HullProcessorBinder ***binders)
{
  MockPartition *p = g_new0 (MockPartition, 1);

  p->base.ops = &partition_ops;
  hull_mutex_init (&p->mutex);
  hull_cond_init (&p->cond);
  p->n_vps = n_vps;
  p->vps = g_new0 (MockVp *, n_vps);
  *binders = g_new0 (HullProcessorBinder *, n_vps);
  for (guint i = 0; i < n_vps; i++)
    {
      MockBinder *binder = g_new0 (MockBinder, 1);

      p->vps[i] = g_new0 (MockVp, 1);
      p->vps[i]->base.ops = &vp_ops;
      p->vps[i]->base.vp_index = i;
      p->vps[i]->partition = p;
      binder->base.ops = &binder_ops;
      binder->base.vp_index = i;
      binder->partition = p;
      (*binders)[i] = &binder->base;
    }
  return p;
}

/* ------------------------------------------------------------------ */
/* CpuIo: a power-off port, as a chipset device would have */

static gboolean
io_is_mmio (gpointer data, guint64 address)
{
  return FALSE;
}

static void
io_write_port (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len)
{
  if (port == MOCK_POWER_OFF_PORT)
    {
      g_autoptr (HullHaltReason) reason = hull_halt_reason_new (HULL_HALT_POWER_OFF);

      hull_halt_halt (data, reason);
    }
}

static const HullCpuIo mock_io = {
  .is_mmio = io_is_mmio,
  .acknowledge_pic_interrupt = null_io_acknowledge_pic_interrupt,
  .handle_eoi = null_io_handle_eoi,
  .read_mmio = null_io_read_mmio,
  .write_mmio = null_io_write_mmio,
  .read_io = null_io_read_io,
  .write_io = io_write_port,
  .fatal_error = null_io_fatal_error,
};

const HullCpuIo *
mock_cpu_io (void)
{
  return &mock_io;
}

/* ------------------------------------------------------------------ */
/* Test controls */

void
mock_vp_exit (MockPartition *p, guint vp, HullVpExit exit)
{
  hull_mutex_lock (&p->mutex);
  p->vps[vp]->has_exit = TRUE;
  p->vps[vp]->exit = exit;
  hull_cond_broadcast (&p->cond);
  hull_mutex_unlock (&p->mutex);
}

void
mock_vp_io_halt (MockPartition *p, guint vp)
{
  hull_mutex_lock (&p->mutex);
  p->vps[vp]->io_halt = TRUE;
  hull_cond_broadcast (&p->cond);
  hull_mutex_unlock (&p->mutex);
}

gboolean
mock_wait_in_run (MockPartition *p, guint vp, gboolean in_run, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gboolean reached;

  hull_mutex_lock (&p->mutex);
  while (p->vps[vp]->in_run != in_run)
    if (!hull_cond_wait_until (&p->cond, &p->mutex, deadline))
      break;
  reached = p->vps[vp]->in_run == in_run;
  hull_mutex_unlock (&p->mutex);
  return reached;
}

gboolean
mock_wait_runs (MockPartition *p, guint vp, guint64 runs, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gboolean reached;

  hull_mutex_lock (&p->mutex);
  while (p->vps[vp]->runs <= runs)
    if (!hull_cond_wait_until (&p->cond, &p->mutex, deadline))
      break;
  reached = p->vps[vp]->runs > runs;
  hull_mutex_unlock (&p->mutex);
  return reached;
}

MockVp
mock_vp_snapshot (MockPartition *p, guint vp)
{
  MockVp copy;

  hull_mutex_lock (&p->mutex);
  copy = *p->vps[vp];
  hull_mutex_unlock (&p->mutex);
  return copy;
}
