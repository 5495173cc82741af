/* kvm-processor.c — the KVM backend's binders and processors: the run loop
 * of partition-semantics.md §4, the kick that request_yield() sends, and
 * debugging (single step, hardware breakpoints).
 *
 * Every processor op runs on the thread the processor was bound on, and
 * asserts it.
 *
 * The kick (docs/kvm-backend.md, "The kick"). Two sequentially consistent
 * flags per VP: @yield (set by request_yield(), cleared by the run() that
 * returns YIELD) and @in_run (set by the VP thread before its last look at
 * @yield and the stop flag, cleared after KVM_RUN returns).
 *
 *   requester:  CAS yield 0→1;  if in_run: immediate_exit = 1, pthread_kill
 *   VP thread:  in_run = 1;  if stop or yield: return;  KVM_RUN;  in_run = 0
 *
 * Either the VP thread sees yield = 1 and does not enter KVM_RUN, or the
 * requester sees in_run = 1 and kicks. A kick lands in KVM_RUN either way:
 * immediate_exit is written before the signal is sent, so a signal handled
 * just before the ioctl still leaves immediate_exit = 1 for KVM_RUN's entry
 * check, and a signal arriving inside KVM_RUN makes it return EINTR. A stale
 * immediate_exit (a kick that raced with an ordinary exit) costs one
 * spurious EINTR, after which the loop finds no flag and re-enters.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-inspect.h"

#include "kvm-private.h"

#define KVM_KICK_SIGNAL SIGRTMIN

#define DR6_BS (1u << 14)
#define DR7_FIXED 0x400u

typedef struct
{
  HullProcessor parent;
  KvmVp *vp;
  GThread *thread;

  /* An IO or MMIO exit was handled; KVM finishes the instruction on the
   * next KVM_RUN. */
  gboolean pending;

  gboolean single_step;
  guint n_breakpoints;
  guint64 breakpoints[KVM_MAX_BREAKPOINTS];
  /* A breakpoint was reported: step over its instruction with breakpoints
   * off (an instruction breakpoint fires again on re-entry otherwise). */
  gboolean step_over;
  gboolean stepping; /* the step over is under way */
} KvmProcessor;

static const HullProcessorOps kvm_processor_ops;

#define ASSERT_VP_THREAD(self) g_assert ((self)->thread == g_thread_self ())

static KvmProcessor *
kvm_processor (HullProcessor *processor)
{
  return (KvmProcessor *)processor;
}

/* ------------------------------------------------------------------ */
/* The kick */

static void
kick_handler (int signo)
{
  /* Nothing to do: the signal only has to interrupt KVM_RUN. A signal
   * fence (a compiler barrier; ThreadSanitizer refuses thread fences) keeps
   * the interrupted code's view of memory ordered around the handler. */
  __atomic_signal_fence (__ATOMIC_ACQUIRE);
}

/**
 * kvm_kick_signal_install:
 *
 * Installs the kick signal's handler, once per process. SA_RESTART is set:
 * KVM_RUN returns -EINTR, which the kernel never restarts, while other
 * system calls the VP thread makes (device callbacks) are spared a stray
 * EINTR from a kick that arrives after KVM_RUN returned.
 */
void
kvm_kick_signal_install (void)
{
  static gsize installed = 0;

  if (g_once_init_enter (&installed))
    {
      struct sigaction action = { 0 };

      action.sa_handler = kick_handler;
      sigemptyset (&action.sa_mask);
      action.sa_flags = SA_RESTART;
      if (sigaction (KVM_KICK_SIGNAL, &action, NULL) < 0)
        g_error ("cannot install the KVM kick signal handler: %s", g_strerror (errno));
      g_once_init_leave (&installed, 1);
    }
}

/* Makes the VP thread look at its flags soon: a signal if it may be in
 * KVM_RUN, a broadcast if it idles after a HLT exit. Takes @vp's lock only
 * around the signal, so that the thread cannot unbind (and exit) under it. */
static void
kick (KvmVp *vp)
{
  hull_mutex_lock (&vp->lock);
  if (vp->has_thread && g_atomic_int_get (&vp->in_run))
    {
      __atomic_store_n (&vp->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
      pthread_kill (vp->thread, KVM_KICK_SIGNAL);
      g_atomic_int_inc (&vp->kicks);
    }
  hull_cond_broadcast (&vp->wake);
  hull_mutex_unlock (&vp->lock);
}

/**
 * kvm_vp_request_yield:
 * @vp: the VP
 *
 * request_yield() [any]: idempotent, never waits for the VP.
 */
void
kvm_vp_request_yield (KvmVp *vp)
{
  if (!g_atomic_int_compare_and_exchange (&vp->yield, 0, 1))
    return; /* already requested: that request's kick covers this one */
  g_atomic_int_inc (&vp->yields_requested);
  kick (vp);
}

/**
 * kvm_vp_request_nmi:
 * @vp: the VP
 *
 * pulse_lint(LINT1) [any]: the VP thread injects the NMI with KVM_NMI
 * before its next KVM_RUN. KVM_NMI is a vCPU ioctl, which waits for the
 * vCPU mutex KVM_RUN holds, so only the VP thread may issue it without
 * blocking. Pulses before the injection merge into one, as NMIs do.
 */
void
kvm_vp_request_nmi (KvmVp *vp)
{
  if (!g_atomic_int_compare_and_exchange (&vp->nmi, 0, 1))
    return;
  kick (vp);
}

/* ------------------------------------------------------------------ */
/* Binder */

static HullProcessor *
kvm_binder_bind (HullProcessorBinder *binder, GError **error)
{
  KvmVp *vp = (KvmVp *)binder;
  KvmProcessor *self;
  sigset_t kick;

  if (!g_atomic_int_compare_and_exchange (&vp->bound, 0, 1))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                   _ ("VP %u: its binder was already used"), vp->index);
      return NULL;
    }

  self = g_new0 (KvmProcessor, 1);
  self->parent.ops = &kvm_processor_ops;
  self->parent.vp_index = vp->index;
  self->vp = vp;
  self->thread = g_thread_self ();

  /* The kick must be deliverable to this thread. */
  sigemptyset (&kick);
  sigaddset (&kick, KVM_KICK_SIGNAL);
  pthread_sigmask (SIG_UNBLOCK, &kick, NULL);

  hull_mutex_lock (&vp->lock);
  vp->thread = pthread_self ();
  vp->has_thread = TRUE;
  hull_mutex_unlock (&vp->lock);
  return &self->parent;
}

const HullProcessorBinderOps kvm_binder_ops = {
  .bind = kvm_binder_bind,
};

/* ------------------------------------------------------------------ */
/* Debugging */

static gboolean
apply_guest_debug (KvmProcessor *self, gboolean step_over, GError **error)
{
  struct kvm_guest_debug debug = { 0 };

  if (self->single_step || step_over)
    debug.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
  if (!step_over && self->n_breakpoints > 0)
    {
      debug.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
      debug.arch.debugreg[7] = DR7_FIXED;
      for (guint i = 0; i < self->n_breakpoints; i++)
        {
          /* Local enable, R/W = 00 (instruction), LEN = 00. */
          debug.arch.debugreg[i] = self->breakpoints[i];
          debug.arch.debugreg[7] |= 1u << (2 * i);
        }
    }
  if (ioctl (self->vp->fd, KVM_SET_GUEST_DEBUG, &debug) < 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("VP %u: KVM_SET_GUEST_DEBUG failed: %s"), self->vp->index,
                   g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
kvm_processor_set_debug_state (HullProcessor *processor, guint vtl, gboolean single_step,
                               const guint64 *breakpoints, guint n_breakpoints, GError **error)
{
  KvmProcessor *self = kvm_processor (processor);

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (breakpoints != NULL || n_breakpoints == 0, FALSE);

  if (vtl != 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("VP %u: the kvm backend has no VTL %u"), self->vp->index, vtl);
      return FALSE;
    }
  if (n_breakpoints > KVM_MAX_BREAKPOINTS)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("VP %u: %u breakpoints asked for, x86 has %u"), self->vp->index,
                   n_breakpoints, KVM_MAX_BREAKPOINTS);
      return FALSE;
    }
  self->single_step = single_step;
  self->n_breakpoints = n_breakpoints;
  if (n_breakpoints > 0)
    memcpy (self->breakpoints, breakpoints, n_breakpoints * sizeof *breakpoints);
  self->step_over = FALSE;
  self->stepping = FALSE;
  return apply_guest_debug (self, FALSE, error);
}

/* ------------------------------------------------------------------ */
/* Running */

static HullVpExit
fatal (KvmProcessor *self, const HullCpuIo *io, gpointer io_data, HullVpExitDetail *detail,
       char *message)
{
  detail->message = message;
  if (io->fatal_error == NULL)
    return HULL_VP_EXIT_FATAL;
  return io->fatal_error (io_data, self->vp->index, message);
}

static const char *
internal_error_name (guint32 suberror)
{
  switch (suberror)
    {
      case KVM_INTERNAL_ERROR_EMULATION:
        return "emulation failure";
      case KVM_INTERNAL_ERROR_SIMUL_EX:
        return "exception while delivering an exception";
      case KVM_INTERNAL_ERROR_DELIVERY_EV:
        return "exit while delivering an event";
      case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
        return "unexpected hardware exit";
      default:
        return "unknown";
    }
}

/* The FATAL message for an exit the backend cannot handle, naming the exit
 * and KVM's hardware detail. */
static char *
describe_fatal_exit (KvmProcessor *self)
{
  struct kvm_run *run = self->vp->run;
  guint vp = self->vp->index;

  switch (run->exit_reason)
    {
      case KVM_EXIT_INTERNAL_ERROR:
        {
          GString *data = g_string_new (NULL);
          guint n = MIN (run->internal.ndata, (guint32)G_N_ELEMENTS (run->internal.data));
          char *message;

          for (guint i = 0; i < n; i++)
            g_string_append_printf (data, " 0x%llx", (unsigned long long)run->internal.data[i]);
          message = g_strdup_printf (_ ("VP %u: KVM_EXIT_INTERNAL_ERROR, suberror %u (%s), "
                                        "%u data words:%s"),
                                     vp, run->internal.suberror,
                                     internal_error_name (run->internal.suberror), n, data->str);
          g_string_free (data, TRUE);
          return message;
        }
      case KVM_EXIT_FAIL_ENTRY:
        return g_strdup_printf (_ ("VP %u: KVM_EXIT_FAIL_ENTRY, hardware entry failure reason "
                                   "0x%llx, host CPU %u"),
                                vp,
                                (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
                                run->fail_entry.cpu);
      case KVM_EXIT_UNKNOWN:
        return g_strdup_printf (_ ("VP %u: KVM_EXIT_UNKNOWN, hardware exit reason 0x%llx"), vp,
                                (unsigned long long)run->hw.hardware_exit_reason);
      case KVM_EXIT_SYSTEM_EVENT:
        return g_strdup_printf (_ ("VP %u: KVM_EXIT_SYSTEM_EVENT of unknown type %u"), vp,
                                run->system_event.type);
      default:
        return g_strdup_printf (_ ("VP %u: unexpected exit %s (%u)"), vp,
                                kvm_exit_reason_name (run->exit_reason), run->exit_reason);
    }
}

/* Calls the device callbacks of a port exit: `count` repetitions (string
 * I/O) of `size` bytes each, in kvm_run's data page. */
static gboolean
handle_io (KvmProcessor *self, const HullCpuIo *io, gpointer io_data)
{
  struct kvm_run *run = self->vp->run;
  gsize size = run->io.size;
  guint8 *data = (guint8 *)run + run->io.data_offset;

  if ((size != 1 && size != 2 && size != 4)
      || run->io.data_offset + (guint64)run->io.count * size
             > self->vp->partition->hypervisor->run_size)
    return FALSE;
  for (guint32 i = 0; i < run->io.count; i++, data += size)
    {
      if (run->io.direction == KVM_EXIT_IO_OUT)
        io->write_io (io_data, self->vp->index, run->io.port, data, size);
      else
        io->read_io (io_data, self->vp->index, run->io.port, data, size);
    }
  return TRUE;
}

static gboolean
handle_mmio (KvmProcessor *self, const HullCpuIo *io, gpointer io_data)
{
  struct kvm_run *run = self->vp->run;

  if (run->mmio.len == 0 || run->mmio.len > sizeof run->mmio.data)
    return FALSE;
  if (run->mmio.is_write)
    io->write_mmio (io_data, self->vp->index, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
  else
    io->read_mmio (io_data, self->vp->index, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
  return TRUE;
}

static gboolean
handle_debug (KvmProcessor *self, HullVpExitDetail *detail, HullVpExit *exit)
{
  guint64 dr6 = self->vp->run->debug.arch.dr6;

  if (dr6 & DR6_BS)
    {
      *exit = HULL_VP_EXIT_SINGLE_STEP;
      return TRUE;
    }
  for (guint i = 0; i < KVM_MAX_BREAKPOINTS; i++)
    if (dr6 & (1u << i))
      {
        detail->breakpoint = i;
        self->step_over = TRUE;
        *exit = HULL_VP_EXIT_HW_BREAK;
        return TRUE;
      }
  return FALSE;
}

/* Handles the exit in kvm_run. Returns TRUE when run() returns *@exit,
 * FALSE to go on running. */
static gboolean
handle_exit (KvmProcessor *self, const HullCpuIo *io, gpointer io_data, HullVpExitDetail *detail,
             HullVpExit *exit)
{
  struct kvm_run *run = self->vp->run;

  switch (run->exit_reason)
    {
      case KVM_EXIT_IO:
        if (!handle_io (self, io, io_data))
          break;
        self->pending = TRUE;
        return FALSE;
      case KVM_EXIT_MMIO:
        if (!handle_mmio (self, io, io_data))
          break;
        self->pending = TRUE;
        return FALSE;
      case KVM_EXIT_HLT:
        /* Only without an in-kernel LAPIC, which Hull always creates. */
        self->vp->idle = TRUE;
        return FALSE;
      case KVM_EXIT_INTR:
        return FALSE;
      case KVM_EXIT_SHUTDOWN:
        *exit = HULL_VP_EXIT_TRIPLE_FAULT;
        return TRUE;
      case KVM_EXIT_SYSTEM_EVENT:
        switch (run->system_event.type)
          {
            case KVM_SYSTEM_EVENT_SHUTDOWN:
              *exit = HULL_VP_EXIT_POWER_OFF;
              return TRUE;
            case KVM_SYSTEM_EVENT_RESET:
              *exit = HULL_VP_EXIT_RESET;
              return TRUE;
            case KVM_SYSTEM_EVENT_CRASH:
              *exit = HULL_VP_EXIT_TRIPLE_FAULT;
              return TRUE;
            default:
              break;
          }
        break;
      case KVM_EXIT_DEBUG:
        if (handle_debug (self, detail, exit))
          return TRUE;
        break;
      default:
        break;
    }
  *exit = fatal (self, io, io_data, detail, describe_fatal_exit (self));
  return TRUE;
}

/* After KVM_EXIT_HLT without an in-kernel LAPIC: wait for a kick. */
static void
idle_wait (KvmVp *vp, const gint *stop)
{
  hull_mutex_lock (&vp->lock);
  while (!g_atomic_int_get (&vp->yield) && !g_atomic_int_get (stop))
    hull_cond_wait_until (&vp->wake, &vp->lock, g_get_monotonic_time () + KVM_IDLE_POLL_US);
  hull_mutex_unlock (&vp->lock);
}

/* Ends a step over a reported breakpoint after the KVM_RUN that did it.
 * Returns TRUE when the exit was that step's own trap (swallowed unless the
 * debugger single-steps). */
static gboolean
end_step_over (KvmProcessor *self, const HullCpuIo *io, gpointer io_data, HullVpExitDetail *detail,
               HullVpExit *exit, gboolean *report)
{
  g_autoptr (GError) error = NULL;
  struct kvm_run *run = self->vp->run;

  self->stepping = FALSE;
  self->step_over = FALSE;
  if (!apply_guest_debug (self, FALSE, &error))
    {
      *exit = fatal (self, io, io_data, detail, g_strdup (error->message));
      *report = TRUE;
      return TRUE;
    }
  if (run->exit_reason == KVM_EXIT_DEBUG && (run->debug.arch.dr6 & DR6_BS))
    {
      *exit = HULL_VP_EXIT_SINGLE_STEP;
      *report = self->single_step;
      return TRUE;
    }
  return FALSE;
}

/* run(). Once it has decided to return STOPPED or YIELD (@leaving), it
 * still has to finish the instruction of a handled IO or MMIO exit, which
 * KVM does only on the next KVM_RUN: it re-enters with immediate_exit = 1,
 * so that KVM completes the exit and returns EINTR without running the
 * guest. Completing may instead give a new exit of the same instruction (the
 * second fragment of a split MMIO access: a 16-byte access, or one that
 * crosses a page), which goes to the device like any other and is completed
 * in turn. run() returns only with nothing pending, or on a guest exit. */
static HullVpExit
kvm_processor_run (HullProcessor *processor, const gint *stop, const HullCpuIo *io,
                   gpointer io_data, HullVpExitDetail *detail)
{
  KvmProcessor *self = kvm_processor (processor);
  KvmVp *vp = self->vp;
  KvmVpCounters *counters = &vp->counters;
  HullVpExit exit = HULL_VP_EXIT_CANCEL;
  gboolean leaving = FALSE; /* exit is STOPPED or YIELD, once nothing is pending */

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (stop != NULL && io != NULL && detail != NULL, HULL_VP_EXIT_CANCEL);

  detail->vtl = 0;
  detail->breakpoint = 0;
  detail->message = NULL;

  for (;;)
    {
      gboolean report = TRUE;
      int r, errsv;

      /* Announce KVM_RUN, then look at the flags one last time (the kick
       * protocol, at the top of this file). Also after every device
       * callback: a device may have stopped the partition or asked for a
       * yield. */
      g_atomic_int_set (&vp->in_run, 1);
      if (!leaving && g_atomic_int_get (stop))
        {
          exit = HULL_VP_EXIT_STOPPED;
          leaving = TRUE;
        }
      else if (!leaving && g_atomic_int_get (&vp->yield)
               && g_atomic_int_compare_and_exchange (&vp->yield, 1, 0))
        {
          exit = HULL_VP_EXIT_YIELD;
          leaving = TRUE;
        }

      if (leaving)
        {
          if (!self->pending)
            break;
          /* Complete the pending exit without running the guest. */
          __atomic_store_n (&vp->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
          kvm_counter_add (&counters->completions, 1);
        }
      else
        {
          if (g_atomic_int_get (&vp->nmi) && g_atomic_int_compare_and_exchange (&vp->nmi, 1, 0)
              && ioctl (vp->fd, KVM_NMI, 0) < 0)
            g_warning ("VP %u: KVM_NMI failed: %s", vp->index, g_strerror (errno));
          if (vp->idle)
            {
              g_atomic_int_set (&vp->in_run, 0);
              idle_wait (vp, stop);
              continue;
            }
          if (self->step_over && !self->stepping)
            {
              g_autoptr (GError) error = NULL;

              if (!apply_guest_debug (self, TRUE, &error))
                {
                  exit = fatal (self, io, io_data, detail, g_strdup (error->message));
                  break;
                }
              self->stepping = TRUE;
            }
          if (G_UNLIKELY (vp->partition->hypervisor->test_entry_delay_us != 0))
            g_usleep (vp->partition->hypervisor->test_entry_delay_us);
        }

      r = ioctl (vp->fd, KVM_RUN, 0);
      errsv = errno;
      /* A release store is enough here: a requester that still reads 1
       * sends one kick too many, which costs a spurious EINTR at most. */
      __atomic_store_n (&vp->in_run, 0, __ATOMIC_RELEASE);
      self->pending = FALSE; /* KVM_RUN completed the last exit's instruction */
      if (r < 0 || leaving)
        __atomic_store_n (&vp->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
      if (r < 0)
        {
          if (errsv == EINTR || errsv == EAGAIN)
            {
              if (!leaving)
                kvm_counter_add (&counters->interrupted, 1);
              continue;
            }
          exit = fatal (
              self, io, io_data, detail,
              g_strdup_printf (_ ("VP %u: KVM_RUN failed: %s"), vp->index, g_strerror (errsv)));
          break;
        }

      kvm_counter_add (&counters->exits[MIN (vp->run->exit_reason, KVM_EXIT_COUNTERS - 1)], 1);
      if (self->stepping && end_step_over (self, io, io_data, detail, &exit, &report))
        {
          if (report)
            break;
          continue;
        }
      /* While leaving too: the exit a completion gave (the next fragment)
       * reaches the device, and a guest exit replaces STOPPED or YIELD. */
      if (handle_exit (self, io, io_data, detail, &exit))
        break;
    }

  g_atomic_int_set (&vp->in_run, 0);
  g_assert (!self->pending);
  return exit;
}

static void
kvm_processor_flush_async (HullProcessor *processor)
{
  ASSERT_VP_THREAD (kvm_processor (processor));
}

/* ------------------------------------------------------------------ */
/* State: kvm-regs.c does the work */

static gboolean
no_such_vtl (KvmProcessor *self, guint vtl, GError **error)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
               _ ("VP %u: the kvm backend has no VTL %u"), self->vp->index, vtl);
  return FALSE;
}

static gboolean
kvm_processor_reset (HullProcessor *processor, GError **error)
{
  KvmProcessor *self = kvm_processor (processor);

  ASSERT_VP_THREAD (self);
  g_assert (!self->pending);
  self->step_over = FALSE;
  if (self->stepping)
    {
      self->stepping = FALSE;
      if (!apply_guest_debug (self, FALSE, error))
        return FALSE;
    }
  return kvm_vp_reset (self->vp, error);
}

static gboolean
kvm_processor_scrub (HullProcessor *processor, guint vtl, GError **error)
{
  KvmProcessor *self = kvm_processor (processor);

  ASSERT_VP_THREAD (self);
  if (vtl != 0)
    return no_such_vtl (self, vtl, error);
  return kvm_processor_reset (processor, error);
}

static gboolean
kvm_processor_get_state (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                         gpointer buffer, gsize size, GError **error)
{
  KvmProcessor *self = kvm_processor (processor);

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (buffer != NULL, FALSE);
  if (vtl != 0)
    return no_such_vtl (self, vtl, error);
  return kvm_vp_get_state (self->vp, group, buffer, size, error);
}

static gboolean
kvm_processor_set_state (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                         gconstpointer buffer, gsize size, GError **error)
{
  KvmProcessor *self = kvm_processor (processor);

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (buffer != NULL, FALSE);
  if (vtl != 0)
    return no_such_vtl (self, vtl, error);
  if (!kvm_vp_set_state (self->vp, group, buffer, size, error))
    return FALSE;
  /* New registers: a breakpoint reported at the old rip no longer applies. */
  if (group == HULL_REGISTER_GROUP_REGISTERS)
    self->step_over = FALSE;
  return TRUE;
}

static GBytes *
kvm_processor_save (HullProcessor *processor, GError **error)
{
  KvmProcessor *self = kvm_processor (processor);

  ASSERT_VP_THREAD (self);
  g_assert (!self->pending);
  return kvm_vp_save (self->vp, error);
}

static gboolean
kvm_processor_restore (HullProcessor *processor, GBytes *state, GError **error)
{
  KvmProcessor *self = kvm_processor (processor);

  ASSERT_VP_THREAD (self);
  g_return_val_if_fail (state != NULL, FALSE);
  if (!kvm_vp_restore (self->vp, state, error))
    return FALSE;
  self->step_over = FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Inspect and unbind */

static void
inspect_exits (gpointer object, HullInspectRequest *request)
{
  KvmVp *vp = object;

  for (guint reason = 0; reason < KVM_EXIT_COUNTERS; reason++)
    {
      guint64 n = kvm_counter_get (&vp->counters.exits[reason]);
      const char *name = kvm_exit_reason_name (reason);
      g_autofree char *lower = NULL;

      if (n == 0)
        continue;
      if (g_str_has_prefix (name, "KVM_EXIT_"))
        name += strlen ("KVM_EXIT_");
      lower = g_ascii_strdown (name, -1);
      hull_inspect_counter (request, lower, n);
    }
}

static const char *
cpu_mode (const struct kvm_sregs *sregs)
{
  if (!(sregs->cr0 & 1))
    return "real";
  if (sregs->efer & (1u << 10))
    return sregs->cs.l ? "long" : "compatibility";
  return "protected";
}

static void
kvm_processor_inspect (HullProcessor *processor, HullInspectRequest *request)
{
  KvmProcessor *self = kvm_processor (processor);
  KvmVp *vp = self->vp;
  struct kvm_regs regs;
  struct kvm_sregs sregs;
  struct kvm_mp_state mp;

  ASSERT_VP_THREAD (self);

  hull_inspect_field_uint (request, "apic-id", vp->apic_id);
  if (ioctl (vp->fd, KVM_GET_REGS, &regs) == 0 && ioctl (vp->fd, KVM_GET_SREGS, &sregs) == 0)
    {
      hull_inspect_field_string (request, "mode", cpu_mode (&sregs));
      hull_inspect_field_hex (request, "rip", regs.rip);
      hull_inspect_field_hex (request, "rsp", regs.rsp);
      hull_inspect_field_hex (request, "rflags", regs.rflags);
      hull_inspect_field_hex (request, "cs", sregs.cs.selector);
      hull_inspect_field_hex (request, "cr0", sregs.cr0);
      hull_inspect_field_hex (request, "cr3", sregs.cr3);
      hull_inspect_field_hex (request, "cr4", sregs.cr4);
      hull_inspect_field_hex (request, "efer", sregs.efer);
    }
  if (ioctl (vp->fd, KVM_GET_MP_STATE, &mp) == 0)
    hull_inspect_field_uint (request, "kvm-mp-state", mp.mp_state);
  hull_inspect_field_bool (request, "idle-after-hlt", vp->idle);
  hull_inspect_field_bool (request, "single-step", self->single_step);
  hull_inspect_field_uint (request, "breakpoints", self->n_breakpoints);
  hull_inspect_counter (request, "interrupted-runs", kvm_counter_get (&vp->counters.interrupted));
  hull_inspect_counter (request, "completions", kvm_counter_get (&vp->counters.completions));
  hull_inspect_counter (request, "kicks", (guint)g_atomic_int_get (&vp->kicks));
  hull_inspect_child (request, "exits", inspect_exits, vp);
}

static void
kvm_processor_unbind (HullProcessor *processor)
{
  KvmProcessor *self = kvm_processor (processor);
  KvmVp *vp = self->vp;

  ASSERT_VP_THREAD (self);
  g_assert (!self->pending);
  if (self->single_step || self->n_breakpoints > 0 || self->stepping)
    {
      self->single_step = FALSE;
      self->n_breakpoints = 0;
      apply_guest_debug (self, FALSE, NULL);
    }
  hull_mutex_lock (&vp->lock);
  vp->has_thread = FALSE;
  hull_mutex_unlock (&vp->lock);
  g_atomic_int_set (&vp->bound, 0);
  g_free (self);
}

static const HullProcessorOps kvm_processor_ops = {
  .run = kvm_processor_run,
  .flush_async = kvm_processor_flush_async,
  .reset = kvm_processor_reset,
  .scrub = kvm_processor_scrub,
  .set_debug_state = kvm_processor_set_debug_state,
  .get_state = kvm_processor_get_state,
  .set_state = kvm_processor_set_state,
  .save = kvm_processor_save,
  .restore = kvm_processor_restore,
  .inspect = kvm_processor_inspect,
  .unbind = kvm_processor_unbind,
};
