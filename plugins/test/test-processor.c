/* test-processor.c — the test backend's binders and processors: the
 * interpreter of a VP's <hull:test-program> (docs/test-backend.md).
 *
 * Every processor op runs on the thread the processor was bound on, and
 * asserts it. The only state shared with other threads is the VP's yield
 * flag and the lock and condition that wake a waiting VP.
 */
#include "config.h"

#include <string.h>

#include "hull-backend.h"
#include "hull-error.h"
#include "hull-saved-state.h"
#include "hull-i18n.h"
#include "hull-inspect.h"

#include "test-backend-private.h"

typedef struct
{
  HullProcessor parent;
  TestVp *vp;
  GThread *thread;

  /* Architectural state: rip, rax and rcx of HULL_REGISTER_GROUP_REGISTERS. */
  guint64 pc;             /* the step that runs next; n_steps when finished */
  guint64 rax;            /* the last value IN or MMIO-READ read */
  guint64 spin_remaining; /* µs left of the spin at pc; 0 when none is under way */

  guint64 steps_executed;
  gboolean run_fault_pending;
  gboolean single_step;
  guint64 breakpoints[TEST_MAX_BREAKPOINTS];
  guint n_breakpoints;
  /* Like x86's RFLAGS.RF: the breakpoint at pc was reported, so the next
   * run executes the step instead of reporting it again. */
  gboolean resume;
} TestProcessor;

/* What running one step did. */
typedef enum
{
  STEP_NEXT,        /* done: go on with the next step */
  STEP_EXIT,        /* return *exit from run() */
  STEP_INTERRUPTED, /* a spin was cut short by a yield or stop */
} StepResult;

static const HullProcessorOps test_processor_ops;

#define ASSERT_VP_THREAD(self) g_assert ((self)->thread == g_thread_self ())

static TestProcessor *
test_processor (HullProcessor *processor)
{
  return (TestProcessor *)processor;
}

static gboolean
no_such_vtl (TestProcessor *self, guint vtl, GError **error)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
               _ ("VP %u: the test backend has no VTL %u"), self->vp->index, vtl);
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Binder */

static HullProcessor *
test_binder_bind (HullProcessorBinder *binder, GError **error)
{
  TestVp *vp = (TestVp *)binder;
  TestProcessor *self;

  if (vp->fault_bind)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED, _ ("injected fault: bind (VP %u)"),
                   vp->index);
      return NULL;
    }
  if (!g_atomic_int_compare_and_exchange (&vp->bound, 0, 1))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                   _ ("VP %u: its binder was already used"), vp->index);
      return NULL;
    }

  self = g_new0 (TestProcessor, 1);
  self->parent.ops = &test_processor_ops;
  self->parent.vp_index = vp->index;
  self->vp = vp;
  self->thread = g_thread_self ();
  self->run_fault_pending = vp->fault_run;
  return &self->parent;
}

const HullProcessorBinderOps test_binder_ops = {
  .bind = test_binder_bind,
};

/* ------------------------------------------------------------------ */
/* Running */

/* Waits until @deadline (monotonic µs), a yield or a stop. request_yield()
 * kicks the condition; a stop set without a kick is seen within
 * TEST_STOP_POLL_US. Returns whether the deadline passed. */
static gboolean
vp_wait (TestVp *vp, const gint *stop, gint64 deadline)
{
  gboolean reached = FALSE;

  hull_mutex_lock (&vp->lock);
  for (;;)
    {
      gint64 now;

      if (g_atomic_int_get (&vp->yield) || g_atomic_int_get (stop))
        break;
      now = g_get_monotonic_time ();
      if (now >= deadline)
        {
          reached = TRUE;
          break;
        }
      hull_cond_wait_until (&vp->wake, &vp->lock, MIN (deadline, now + TEST_STOP_POLL_US));
    }
  hull_mutex_unlock (&vp->lock);
  return reached;
}

static void
store_le (guint8 *buffer, guint64 value, gsize size)
{
  for (gsize i = 0; i < size; i++)
    buffer[i] = (guint8)(value >> (8 * i));
}

static guint64
load_le (const guint8 *buffer, gsize size)
{
  guint64 value = 0;

  for (gsize i = 0; i < size; i++)
    value |= (guint64)buffer[i] << (8 * i);
  return value;
}

/* IN and MMIO-READ: the value lands in rax; a mismatch with the expected
 * value is fatal, and the step does not complete. */
static gboolean
check_read (TestProcessor *self, const HullTestStep *step, const guint8 *buffer,
            HullVpExitDetail *detail)
{
  guint64 value = load_le (buffer, step->size);

  self->rax = value;
  if (!step->has_expect || value == step->value)
    return TRUE;
  detail->message = g_strdup_printf (
      _ ("VP %u step %u: %s 0x%llx read 0x%llx expected 0x%llx"), self->vp->index, (guint)self->pc,
      hull_test_step_kind_to_string (step->kind), (unsigned long long)step->address,
      (unsigned long long)value, (unsigned long long)step->value);
  return FALSE;
}

/* Returns whether the spin at pc completed; otherwise spin_remaining holds
 * what is left for the next run(). */
static gboolean
spin (TestProcessor *self, const gint *stop, const HullTestStep *step)
{
  gint64 now = g_get_monotonic_time ();
  gint64 deadline;

  if (self->spin_remaining == 0)
    self->spin_remaining = step->value;
  if (self->spin_remaining == 0)
    return TRUE;

  deadline = now + (gint64)MIN (self->spin_remaining, (guint64)(G_MAXINT64 - now));
  if (!vp_wait (self->vp, stop, deadline))
    {
      now = g_get_monotonic_time ();
      if (now < deadline)
        {
          self->spin_remaining = (guint64)(deadline - now);
          return FALSE;
        }
    }
  self->spin_remaining = 0;
  return TRUE;
}

static HullVpExit
halt_exit (guint64 reason)
{
  switch (reason)
    {
      case HULL_TEST_HALT_POWEROFF:
        return HULL_VP_EXIT_POWER_OFF;
      case HULL_TEST_HALT_RESET:
        return HULL_VP_EXIT_RESET;
      case HULL_TEST_HALT_HIBERNATE:
        return HULL_VP_EXIT_HIBERNATE;
      case HULL_TEST_HALT_TRIPLE_FAULT:
        return HULL_VP_EXIT_TRIPLE_FAULT;
      default:
        g_assert_not_reached ();
    }
}

static StepResult
execute_step (TestProcessor *self, const gint *stop, const HullCpuIo *io, gpointer io_data,
              HullVpExitDetail *detail, HullVpExit *exit)
{
  TestVp *vp = self->vp;
  const HullTestStep *step = &vp->steps[self->pc];
  guint8 buffer[8] = { 0 };

  g_assert (step->size <= sizeof buffer);

  switch (step->kind)
    {
      case HULL_TEST_STEP_OUT:
        store_le (buffer, step->value, step->size);
        io->write_io (io_data, vp->index, (guint16)step->address, buffer, step->size);
        break;
      case HULL_TEST_STEP_IN:
        io->read_io (io_data, vp->index, (guint16)step->address, buffer, step->size);
        if (!check_read (self, step, buffer, detail))
          {
            *exit = HULL_VP_EXIT_FATAL;
            return STEP_EXIT;
          }
        break;
      case HULL_TEST_STEP_MMIO_WRITE:
        store_le (buffer, step->value, step->size);
        io->write_mmio (io_data, vp->index, step->address, buffer, step->size);
        break;
      case HULL_TEST_STEP_MMIO_READ:
        io->read_mmio (io_data, vp->index, step->address, buffer, step->size);
        if (!check_read (self, step, buffer, detail))
          {
            *exit = HULL_VP_EXIT_FATAL;
            return STEP_EXIT;
          }
        break;
      case HULL_TEST_STEP_SPIN:
        if (!spin (self, stop, step))
          return STEP_INTERRUPTED;
        break;
      case HULL_TEST_STEP_JUMP:
        self->pc = step->value;
        self->steps_executed++;
        return STEP_NEXT;
      case HULL_TEST_STEP_HALT:
        self->pc++;
        self->steps_executed++;
        *exit = halt_exit (step->value);
        return STEP_EXIT;
      default:
        g_assert_not_reached ();
    }

  self->pc++;
  self->steps_executed++;
  return STEP_NEXT;
}

static gboolean
breakpoint_at (TestProcessor *self, guint64 pc, guint *index)
{
  for (guint i = 0; i < self->n_breakpoints; i++)
    if (self->breakpoints[i] == pc)
      {
        *index = i;
        return TRUE;
      }
  return FALSE;
}

static HullVpExit
test_processor_run (HullProcessor *processor, const gint *stop, const HullCpuIo *io,
                    gpointer io_data, HullVpExitDetail *detail)
{
  TestProcessor *self = test_processor (processor);
  TestVp *vp = self->vp;

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (stop != NULL && io != NULL && detail != NULL, HULL_VP_EXIT_CANCEL);

  detail->vtl = 0;
  detail->breakpoint = 0;
  detail->message = NULL;

  for (;;)
    {
      HullVpExit exit = HULL_VP_EXIT_CANCEL;
      guint breakpoint;

      /* Checked before every step, and again after each step, since device
       * callbacks may stop the partition or ask for a yield. */
      if (g_atomic_int_get (stop))
        return HULL_VP_EXIT_STOPPED;
      if (g_atomic_int_compare_and_exchange (&vp->yield, 1, 0))
        return HULL_VP_EXIT_YIELD;

      if (self->run_fault_pending)
        {
          self->run_fault_pending = FALSE;
          detail->message = g_strdup_printf (_ ("injected fault: run (VP %u)"), vp->index);
          return HULL_VP_EXIT_FATAL;
        }

      if (self->pc >= vp->n_steps)
        {
          /* Finished, or no program: idle until kicked. */
          vp_wait (vp, stop, G_MAXINT64);
          continue;
        }

      if (!self->resume && breakpoint_at (self, self->pc, &breakpoint))
        {
          self->resume = TRUE;
          detail->breakpoint = breakpoint;
          return HULL_VP_EXIT_HW_BREAK;
        }

      switch (execute_step (self, stop, io, io_data, detail, &exit))
        {
          case STEP_NEXT:
            self->resume = FALSE;
            if (self->single_step)
              return HULL_VP_EXIT_SINGLE_STEP;
            break;
          case STEP_EXIT:
            if (exit != HULL_VP_EXIT_FATAL)
              self->resume = FALSE;
            return exit;
          case STEP_INTERRUPTED:
            break;
          default:
            g_assert_not_reached ();
        }
    }
}

static void
test_processor_flush_async (HullProcessor *processor)
{
  ASSERT_VP_THREAD (test_processor (processor));
}

static void
architectural_reset (TestProcessor *self)
{
  self->pc = 0;
  self->rax = 0;
  self->spin_remaining = 0;
  self->resume = FALSE;
}

static gboolean
test_processor_reset (HullProcessor *processor, GError **error)
{
  TestProcessor *self = test_processor (processor);

  ASSERT_VP_THREAD (self);
  architectural_reset (self);
  return TRUE;
}

static gboolean
test_processor_scrub (HullProcessor *processor, guint vtl, GError **error)
{
  TestProcessor *self = test_processor (processor);

  ASSERT_VP_THREAD (self);
  if (vtl != 0)
    return no_such_vtl (self, vtl, error);
  architectural_reset (self);
  return TRUE;
}

static gboolean
test_processor_set_debug_state (HullProcessor *processor, guint vtl, gboolean single_step,
                                const guint64 *breakpoints, guint n_breakpoints, GError **error)
{
  TestProcessor *self = test_processor (processor);

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (breakpoints != NULL || n_breakpoints == 0, FALSE);

  if (vtl != 0)
    return no_such_vtl (self, vtl, error);
  if (n_breakpoints > TEST_MAX_BREAKPOINTS)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("VP %u: %u breakpoints asked for, the test backend has %u"), self->vp->index,
                   n_breakpoints, TEST_MAX_BREAKPOINTS);
      return FALSE;
    }
  self->single_step = single_step;
  self->n_breakpoints = n_breakpoints;
  if (n_breakpoints > 0)
    memcpy (self->breakpoints, breakpoints, n_breakpoints * sizeof *breakpoints);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* State */

/* Whether @pc, @spin_remaining make a state the program can be in. */
static gboolean
state_is_valid (TestProcessor *self, guint64 pc, guint64 spin_remaining)
{
  if (pc > self->vp->n_steps)
    return FALSE;
  if (spin_remaining != 0
      && (pc == self->vp->n_steps || self->vp->steps[pc].kind != HULL_TEST_STEP_SPIN))
    return FALSE;
  return TRUE;
}

static gboolean
check_size (TestProcessor *self, HullRegisterGroup group, gsize size, gsize expected,
            GError **error)
{
  if (size == expected)
    return TRUE;
  g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
               _ ("VP %u: register group %u is %llu bytes, not %llu"), self->vp->index,
               (guint)group, (unsigned long long)expected, (unsigned long long)size);
  return FALSE;
}

static gboolean
no_such_group (TestProcessor *self, HullRegisterGroup group, GError **error)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
               _ ("VP %u: the test backend has no register group %u"), self->vp->index,
               (guint)group);
  return FALSE;
}

static HullMpState
mp_state (TestProcessor *self)
{
  return self->pc >= self->vp->n_steps ? HULL_MP_STATE_HALTED : HULL_MP_STATE_RUNNING;
}

static gboolean
test_processor_get_state (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                          gpointer buffer, gsize size, GError **error)
{
  TestProcessor *self = test_processor (processor);

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (buffer != NULL, FALSE);

  if (vtl != 0)
    return no_such_vtl (self, vtl, error);
  switch (group)
    {
      case HULL_REGISTER_GROUP_REGISTERS:
        {
          HullX86Registers regs = { 0 };

          if (!check_size (self, group, size, sizeof regs, error))
            return FALSE;
          regs.rip = self->pc;
          regs.rax = self->rax;
          regs.rcx = self->spin_remaining;
          memcpy (buffer, &regs, sizeof regs);
          return TRUE;
        }
      case HULL_REGISTER_GROUP_ACTIVITY:
        {
          HullX86Activity activity = { 0 };

          if (!check_size (self, group, size, sizeof activity, error))
            return FALSE;
          activity.mp_state = mp_state (self);
          memcpy (buffer, &activity, sizeof activity);
          return TRUE;
        }
      default:
        return no_such_group (self, group, error);
    }
}

static gboolean
test_processor_set_state (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                          gconstpointer buffer, gsize size, GError **error)
{
  TestProcessor *self = test_processor (processor);

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (buffer != NULL, FALSE);

  if (vtl != 0)
    return no_such_vtl (self, vtl, error);
  switch (group)
    {
      case HULL_REGISTER_GROUP_REGISTERS:
        {
          HullX86Registers regs;

          if (!check_size (self, group, size, sizeof regs, error))
            return FALSE;
          memcpy (&regs, buffer, sizeof regs);
          if (!state_is_valid (self, regs.rip, regs.rcx))
            {
              g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                           _ ("VP %u: cannot go to step %llu with %llu µs of spin left: the "
                              "program has %u steps"),
                           self->vp->index, (unsigned long long)regs.rip,
                           (unsigned long long)regs.rcx, self->vp->n_steps);
              return FALSE;
            }
          self->pc = regs.rip;
          self->rax = regs.rax;
          self->spin_remaining = regs.rcx;
          self->resume = FALSE;
          return TRUE;
        }
      case HULL_REGISTER_GROUP_ACTIVITY:
        {
          HullX86Activity activity;

          if (!check_size (self, group, size, sizeof activity, error))
            return FALSE;
          memcpy (&activity, buffer, sizeof activity);
          /* The activity follows from the program counter: accept only what
           * it already is, so that a saved set of groups restores. */
          if (activity.mp_state != mp_state (self) || activity.nmi_pending || activity.nmi_masked
              || activity.interrupt_shadow || activity.pending_event != 0)
            {
              g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                           _ ("VP %u: the test backend cannot take this activity state at step "
                              "%llu (mp_state %u)"),
                           self->vp->index, (unsigned long long)self->pc, activity.mp_state);
              return FALSE;
            }
          return TRUE;
        }
      default:
        return no_such_group (self, group, error);
    }
}

static GBytes *
test_processor_save (HullProcessor *processor, GError **error)
{
  TestProcessor *self = test_processor (processor);
  g_autoptr (GVariant) state = NULL;

  ASSERT_VP_THREAD (self);

  state = g_variant_ref_sink (g_variant_new (TEST_PROCESSOR_SAVE_TYPE, (guint32)TEST_SAVE_VERSION,
                                             (guint32)self->vp->index, self->pc, self->rax,
                                             self->spin_remaining));
  return g_variant_get_data_as_bytes (state);
}

static gboolean
corrupt (TestProcessor *self, const char *why, GError **error)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, _ ("VP %u: saved state is damaged: %s"),
               self->vp->index, why);
  return FALSE;
}

static gboolean
test_processor_restore (HullProcessor *processor, GBytes *bytes, GError **error)
{
  TestProcessor *self = test_processor (processor);
  g_autoptr (GVariant) state = NULL;
  guint32 index;
  guint64 pc, rax, spin_remaining;

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (bytes != NULL, FALSE);

  state = hull_saved_state_open (bytes, TEST_PROCESSOR_SAVE_TYPE, TEST_SAVE_VERSION, error);
  if (state == NULL)
    {
      g_prefix_error (error, _ ("VP %u: "), self->vp->index);
      return FALSE;
    }
  g_variant_get (state, TEST_PROCESSOR_SAVE_TYPE, NULL, &index, &pc, &rax, &spin_remaining);
  if (index != self->vp->index)
    return corrupt (self, _ ("it belongs to another VP"), error);
  if (!state_is_valid (self, pc, spin_remaining))
    return corrupt (self, _ ("its program counter is not a step of this VP's program"), error);

  self->pc = pc;
  self->rax = rax;
  self->spin_remaining = spin_remaining;
  self->resume = FALSE;
  return TRUE;
}

static void
test_processor_inspect (HullProcessor *processor, HullInspectRequest *request)
{
  TestProcessor *self = test_processor (processor);
  const char *state;

  ASSERT_VP_THREAD (self);

  if (!self->vp->has_program)
    state = "idle";
  else if (self->pc >= self->vp->n_steps)
    state = "finished";
  else
    state = "running";

  hull_inspect_field_string (request, "state", state);
  hull_inspect_field_uint (request, "pc", self->pc);
  hull_inspect_field_hex (request, "rax", self->rax);
  hull_inspect_field_uint (request, "spin-remaining-us", self->spin_remaining);
  hull_inspect_counter (request, "steps-executed", self->steps_executed);
  hull_inspect_field_bool (request, "single-step", self->single_step);
  hull_inspect_field_uint (request, "breakpoints", self->n_breakpoints);
}

static void
test_processor_unbind (HullProcessor *processor)
{
  TestProcessor *self = test_processor (processor);

  ASSERT_VP_THREAD (self);
  g_atomic_int_set (&self->vp->bound, 0);
  g_free (self);
}

static const HullProcessorOps test_processor_ops = {
  .run = test_processor_run,
  .flush_async = test_processor_flush_async,
  .reset = test_processor_reset,
  .scrub = test_processor_scrub,
  .set_debug_state = test_processor_set_debug_state,
  .get_state = test_processor_get_state,
  .set_state = test_processor_set_state,
  .save = test_processor_save,
  .restore = test_processor_restore,
  .inspect = test_processor_inspect,
  .unbind = test_processor_unbind,
};
