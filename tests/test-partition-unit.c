/* The partition unit and VP runners against partition-semantics.md §2:
 * each test names the table row it pins. A mock backend (mock-backend.c)
 * lets the test decide when each VP exits and records what ran where. */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "hull-error.h"
#include "hull-partition-unit.h"
#include "hull-vp-runner.h"
#include "mock-backend.h"

/* Generous bounds: never assert tight timing; only that things happen. */
#define WAIT (10 * G_USEC_PER_SEC)
#define SETTLE (50 * 1000)

typedef struct
{
  MockPartition *mock;
  HullHalt *halt;
  HullPartitionUnit *unit;
  guint n_vps;
  /* Halts reported to the callback (HullHaltReason*). A HullMutex, not a
   * GAsyncQueue, so ThreadSanitizer sees the hand-off. */
  HullMutex mutex;
  HullCond cond;
  GQueue halts;
} Fixture;

static void
on_halt (const HullHaltReason *reason, gpointer user_data)
{
  Fixture *f = user_data;

  hull_mutex_lock (&f->mutex);
  g_queue_push_tail (&f->halts, hull_halt_reason_copy (reason));
  hull_cond_broadcast (&f->cond);
  hull_mutex_unlock (&f->mutex);
}

static void
fixture_setup_n (Fixture *f, guint n_vps)
{
  g_autofree HullProcessorBinder **binders = NULL;
  g_autoptr (GError) error = NULL;

  f->n_vps = n_vps;
  f->mock = mock_partition_new (n_vps, &binders);
  f->halt = hull_halt_new ();
  hull_mutex_init (&f->mutex);
  hull_cond_init (&f->cond);
  g_queue_init (&f->halts);
  f->unit = hull_partition_unit_new (&f->mock->base, binders, n_vps, f->halt, mock_cpu_io (),
                                     f->halt, on_halt, f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->unit);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  fixture_setup_n (f, GPOINTER_TO_UINT (data) != 0 ? GPOINTER_TO_UINT (data) : 2);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  hull_partition_unit_free (f->unit);
  hull_halt_unref (f->halt);
  g_queue_clear_full (&f->halts, (GDestroyNotify)hull_halt_reason_free);
  hull_mutex_clear (&f->mutex);
  hull_cond_clear (&f->cond);
}

/* The next reported halt, or NULL if none comes within @timeout_us. */
static HullHaltReason *
next_halt (Fixture *f, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  HullHaltReason *reason;

  hull_mutex_lock (&f->mutex);
  while (f->halts.length == 0)
    if (!hull_cond_wait_until (&f->cond, &f->mutex, deadline))
      break;
  reason = g_queue_pop_head (&f->halts);
  hull_mutex_unlock (&f->mutex);
  return reason;
}

static void
assert_no_halt_reported (Fixture *f)
{
  HullHaltReason *reason = next_halt (f, SETTLE);

  if (reason != NULL)
    g_error ("unexpected halt report: %s", hull_halt_kind_to_string (reason->kind));
}

static void
assert_all_in_run (Fixture *f)
{
  for (guint i = 0; i < f->n_vps; i++)
    g_assert_true (mock_wait_in_run (f->mock, i, TRUE, WAIT));
}

static void
assert_none_in_run (Fixture *f)
{
  for (guint i = 0; i < f->n_vps; i++)
    g_assert_true (mock_wait_in_run (f->mock, i, FALSE, WAIT));
}

static void
assert_no_wrong_thread (Fixture *f)
{
  for (guint i = 0; i < f->n_vps; i++)
    g_assert_cmpuint (mock_vp_snapshot (f->mock, i).wrong_thread, ==, 0);
}

/* ------------------------------------------------------------------ */
/* VP runner table (§2.2) */

/* Stopped + Start → Running: the VP enters the guest. */
static void
test_runner_start_runs (Fixture *f, gconstpointer data)
{
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).runs, ==, 0);
  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  assert_no_wrong_thread (f);
}

/* in run + Stop(ack) → Stopped: run() returns, the ack comes after. */
static void
test_runner_stop_in_run (Fixture *f, gconstpointer data)
{
  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  hull_partition_unit_stop (f->unit);
  /* stop() returns after every ack, so no VP is in the guest any more. */
  for (guint i = 0; i < f->n_vps; i++)
    g_assert_false (mock_vp_snapshot (f->mock, i).in_run);
}

/* in run + State(ev) → run ev on the VP thread, stay Running. */
static void
test_runner_state_in_run (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) tree = NULL;
  guint64 runs;
  gboolean on_thread;
  guint64 steps;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  runs = mock_vp_snapshot (f->mock, 1).runs;

  tree = hull_inspect ("vp/1", 1, (HullInspectFunc)hull_partition_unit_inspect, f->unit, WAIT,
                       &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (tree, "on-bound-thread", "b", &on_thread));
  g_assert_true (on_thread);
  g_assert_true (g_variant_lookup (tree, "steps", "t", &steps));
  /* The VP left run() for the inspection and went back in. */
  g_assert_true (mock_wait_runs (f->mock, 1, runs, WAIT));
  g_assert_true (mock_wait_in_run (f->mock, 1, TRUE, WAIT));
}

/* Stopped + State(ev) → run ev on the VP thread; state unchanged. */
static void
test_runner_state_when_stopped (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  HullInitialRegs regs = { 0 };

  regs.registers.rip = 0x100000;
  g_assert_true (hull_partition_unit_set_initial_regs (f->unit, &regs, &error));
  g_assert_no_error (error);
  /* Registers on the BSP only; MTRRs (and PAT) on every VP. */
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).initial_loads, ==, 1);
  g_assert_cmphex (mock_vp_snapshot (f->mock, 0).registers.rip, ==, 0x100000);
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 1).initial_loads, ==, 0);
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 1).mtrr_loads, ==, 1);
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).runs, ==, 0);
  assert_no_wrong_thread (f);
}

/* in run + run returns a halt reason → Halt::halt, Halted; the other VPs
 * (in run + halt fired) leave the guest too. */
static void
test_runner_guest_halt (Fixture *f, gconstpointer data)
{
  g_autoptr (HullHaltReason) reason = NULL;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  mock_vp_exit (f->mock, 1, HULL_VP_EXIT_TRIPLE_FAULT);
  reason = next_halt (f, WAIT);
  g_assert_nonnull (reason);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_TRIPLE_FAULT);
  g_assert_true (reason->has_vp);
  g_assert_cmpuint (reason->vp, ==, 1);
  /* VPs are stopped before a halt is reported. */
  for (guint i = 0; i < f->n_vps; i++)
    g_assert_false (mock_vp_snapshot (f->mock, i).in_run);
}

/* Running, on entry with halt_count ≠ 0 → Halted without running the guest. */
static void
test_runner_no_entry_while_halted (Fixture *f, gconstpointer data)
{
  g_autoptr (HullHaltReason) reason = NULL;
  guint64 runs[2];

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  mock_vp_exit (f->mock, 0, HULL_VP_EXIT_POWER_OFF);
  reason = next_halt (f, WAIT);
  g_assert_nonnull (reason);
  for (guint i = 0; i < 2; i++)
    runs[i] = mock_vp_snapshot (f->mock, i).runs;
  /* Starting again does not run a halted VM. */
  hull_partition_unit_start (f->unit);
  g_usleep (SETTLE);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (mock_vp_snapshot (f->mock, i).runs, ==, runs[i]);
}

/* in run + Cancel → run again, no halt. */
static void
test_runner_cancel_reruns (Fixture *f, gconstpointer data)
{
  guint64 runs;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  runs = mock_vp_snapshot (f->mock, 0).runs;
  mock_vp_exit (f->mock, 0, HULL_VP_EXIT_CANCEL);
  g_assert_true (mock_wait_runs (f->mock, 0, runs, WAIT));
  g_assert_true (mock_wait_in_run (f->mock, 0, TRUE, WAIT));
  assert_no_halt_reported (f);
}

/* A fatal exit becomes a VP-failed halt carrying the backend's detail. */
static void
test_runner_fatal_is_halt (Fixture *f, gconstpointer data)
{
  g_autoptr (HullHaltReason) reason = NULL;
  g_autofree char *text = NULL;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  mock_vp_exit (f->mock, 0, HULL_VP_EXIT_FATAL);
  reason = next_halt (f, WAIT);
  g_assert_nonnull (reason);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_VP_FAILED);
  text = hull_halt_reason_describe (reason);
  g_assert_cmpstr (text, ==, "VP 0 failed: mock failure");
}

/* Stopped/Halted + mailbox closed → teardown; in run + closed → stop. Every
 * processor is unbound on its own thread before the partition is destroyed
 * (the mock asserts the order). */
static void
test_runner_teardown_while_running (void)
{
  Fixture f = { 0 };

  fixture_setup_n (&f, 4);
  hull_partition_unit_start (f.unit);
  assert_all_in_run (&f);
  fixture_teardown (&f, NULL);
}

static void
test_runner_teardown_while_halted (void)
{
  Fixture f = { 0 };
  g_autoptr (HullHaltReason) reason = NULL;

  fixture_setup_n (&f, 2);
  hull_partition_unit_start (f.unit);
  assert_all_in_run (&f);
  mock_vp_exit (f.mock, 0, HULL_VP_EXIT_RESET);
  reason = next_halt (&f, WAIT);
  g_assert_nonnull (reason);
  fixture_teardown (&f, NULL);
}

/* in run + Start → panic (asserted on the VP thread). */
static void
test_runner_start_twice_aborts (void)
{
  if (g_test_subprocess ())
    {
      g_autofree HullProcessorBinder **binders = NULL;
      MockPartition *mock = mock_partition_new (1, &binders);
      g_autoptr (HullHalt) halt = hull_halt_new ();
      HullVpRunner *runner
          = hull_vp_runner_new (&mock->base, binders[0], halt, mock_cpu_io (), halt, NULL);

      hull_vp_runner_start (runner);
      mock_wait_in_run (mock, 0, TRUE, WAIT);
      hull_vp_runner_start (runner);
      g_usleep (WAIT); /* the VP thread aborts the process */
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*assertion failed*state == HULL_VP_RUNNER_STOPPED*");
}

/* A binding failure is reported, naming the VP, and frees everything. */
typedef struct
{
  HullProcessorBinder base;
} FailingBinder;

static HullProcessor *
failing_bind (HullProcessorBinder *binder, GError **error)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED, "no VP for you");
  g_free (binder);
  return NULL;
}

static const HullProcessorBinderOps failing_binder_ops = { .bind = failing_bind };

static void
test_unit_bind_failure (void)
{
  g_autofree HullProcessorBinder **binders = NULL;
  MockPartition *mock = mock_partition_new (3, &binders);
  g_autoptr (HullHalt) halt = hull_halt_new ();
  g_autoptr (GError) error = NULL;
  FailingBinder *failing = g_new0 (FailingBinder, 1);
  HullPartitionUnit *unit;
  gint destroyed = 0;

  /* VP 1 fails; VP 2's binder must still be consumed. */
  g_free (binders[1]);
  failing->base.ops = &failing_binder_ops;
  failing->base.vp_index = 1;
  binders[1] = &failing->base;
  mock->destroyed_flag = &destroyed;
  unit = hull_partition_unit_new (&mock->base, binders, 3, halt, mock_cpu_io (), halt, NULL, NULL,
                                  &error);
  g_assert_null (unit);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED);
  g_assert_cmpstr (error->message, ==, "VP 1: cannot bind the processor: no VP for you");
  g_assert_cmpint (destroyed, ==, 1);
}

/* ------------------------------------------------------------------ */
/* Unit table (§2.3) */

/* reset: partition reset, then every VP on its thread; clears the halt; the
 * VM reruns from the start. */
static void
test_unit_reset_clears_halt_and_reruns (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullHaltReason) reason = NULL;
  g_autoptr (HullHaltReason) held = NULL;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  mock_vp_exit (f->mock, 0, HULL_VP_EXIT_RESET);
  reason = next_halt (f, WAIT);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_RESET);
  held = hull_partition_unit_get_halt_reason (f->unit);
  g_assert_nonnull (held);

  /* Reset refuses to run while the unit is started. */
  g_assert_false (hull_partition_unit_reset (f->unit, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE);
  g_clear_error (&error);

  hull_partition_unit_stop (f->unit);
  g_assert_true (hull_partition_unit_reset (f->unit, &error));
  g_assert_no_error (error);
  g_assert_null (hull_partition_unit_get_halt_reason (f->unit));
  g_assert_cmpuint (f->mock->resets, ==, 1);
  for (guint i = 0; i < f->n_vps; i++)
    {
      MockVp vp = mock_vp_snapshot (f->mock, i);

      g_assert_cmpuint (vp.resets, ==, 1);
      g_assert_cmpuint (vp.steps, ==, 0);
    }
  assert_no_wrong_thread (f);
  g_assert_cmpuint (hull_halt_get_count (f->halt), ==, 0);

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
}

/* reset that fails leaves the halt in place and says why. */
static void
test_unit_reset_failure (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->mock->fail_reset = TRUE;
  g_assert_false (hull_partition_unit_reset (f->unit, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED);
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).resets, ==, 0);
}

/* Halt(r): only the first halt per boot is reported; two VPs halting at once
 * give one report, and the count stays balanced. */
static void
test_unit_two_halts_one_report (Fixture *f, gconstpointer data)
{
  g_autoptr (HullHaltReason) first = NULL;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  mock_vp_exit (f->mock, 0, HULL_VP_EXIT_POWER_OFF);
  mock_vp_exit (f->mock, 1, HULL_VP_EXIT_TRIPLE_FAULT);
  first = next_halt (f, WAIT);
  g_assert_nonnull (first);
  assert_no_halt_reported (f);
  /* Both halted (one reason held, the other cleared) or the second never
   * ran its exit because the first stopped it: either way one count. */
  g_assert_cmpuint (hull_halt_get_count (f->halt), ==, 1);
}

/* A device raising a halt from inside write_io on a VP thread is a halt like
 * a VP's own. */
static void
test_unit_device_halt (Fixture *f, gconstpointer data)
{
  g_autoptr (HullHaltReason) reason = NULL;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  mock_vp_io_halt (f->mock, 1);
  reason = next_halt (f, WAIT);
  g_assert_nonnull (reason);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_POWER_OFF);
  assert_none_in_run (f);
}

/* stop drains racing halts: a halt raised while the unit is stopped (a guest
 * power action racing a pause) is kept and reported after resume. */
static void
test_unit_halt_during_pause_reported_after_resume (Fixture *f, gconstpointer data)
{
  g_autoptr (HullHaltReason) device = hull_halt_reason_new (HULL_HALT_POWER_OFF);
  g_autoptr (HullHaltReason) reason = NULL;
  guint64 runs;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  hull_partition_unit_stop (f->unit);
  runs = mock_vp_snapshot (f->mock, 0).runs;

  hull_halt_halt (f->halt, device);
  assert_no_halt_reported (f);

  hull_partition_unit_start (f->unit);
  reason = next_halt (f, WAIT);
  g_assert_nonnull (reason);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_POWER_OFF);
  /* Halted: the VPs did not go back into the guest. */
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).runs, ==, runs);
}

/* ClearHalt: with a halt, clears it and resumes in place; without, FALSE. */
static void
test_unit_clear_halt (Fixture *f, gconstpointer data)
{
  g_autoptr (HullHaltReason) reason = NULL;
  guint64 steps;

  g_assert_false (hull_partition_unit_clear_halt (f->unit));
  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  mock_vp_exit (f->mock, 0, HULL_VP_EXIT_HW_BREAK);
  reason = next_halt (f, WAIT);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_HW_BREAKPOINT);
  steps = mock_vp_snapshot (f->mock, 0).steps;

  g_assert_true (hull_partition_unit_clear_halt (f->unit));
  assert_all_in_run (f);
  /* Resumed in place: no reset happened. */
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).resets, ==, 0);
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).steps, >=, steps);
  g_assert_cmpuint (hull_halt_get_count (f->halt), ==, 0);
  g_assert_false (hull_partition_unit_clear_halt (f->unit));
}

/* StopVps / StartVps: guards nest; the VPs run only when all are released. */
static void
test_unit_stop_guards_nest (Fixture *f, gconstpointer data)
{
  HullStopGuard *outer, *inner;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  outer = hull_partition_unit_stop_vps (f->unit);
  assert_none_in_run (f);
  inner = hull_partition_unit_stop_vps (f->unit);
  hull_stop_guard_release (inner);
  g_usleep (SETTLE);
  for (guint i = 0; i < f->n_vps; i++)
    g_assert_false (mock_vp_snapshot (f->mock, i).in_run);
  hull_stop_guard_release (outer);
  assert_all_in_run (f);
}

/* A guard taken while the unit is stopped does not start it on release. */
static void
test_unit_guard_on_stopped_unit (Fixture *f, gconstpointer data)
{
  HullStopGuard *guard = hull_partition_unit_stop_vps (f->unit);

  hull_stop_guard_release (guard);
  g_usleep (SETTLE);
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).runs, ==, 0);
}

/* SetInitialRegs: refused while VPs may run; allowed under a stop guard;
 * after the VM ran, VTL 0 is scrubbed first (needs_reset). */
static void
test_unit_set_initial_regs_auto_scrub (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  HullInitialRegs regs = { 0 };
  HullStopGuard *guard;

  /* Before any start: no scrub. */
  g_assert_true (hull_partition_unit_set_initial_regs (f->unit, &regs, &error));
  g_assert_cmpuint (f->mock->scrubs, ==, 0);

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  g_assert_false (hull_partition_unit_set_initial_regs (f->unit, &regs, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE);
  g_clear_error (&error);

  guard = hull_partition_unit_stop_vps (f->unit);
  g_assert_true (hull_partition_unit_set_initial_regs (f->unit, &regs, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->mock->scrubs, ==, 1);
  for (guint i = 0; i < f->n_vps; i++)
    g_assert_cmpuint (mock_vp_snapshot (f->mock, i).scrubs, ==, 1);
  /* needs_reset was cleared: loading again does not scrub again. */
  g_assert_true (hull_partition_unit_set_initial_regs (f->unit, &regs, &error));
  g_assert_cmpuint (f->mock->scrubs, ==, 1);
  hull_stop_guard_release (guard);
  assert_all_in_run (f);
  assert_no_wrong_thread (f);
}

/* AcceptInitialPages: forwarded while stopped; refused while started. */
static void
test_unit_accept_initial_pages (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  HullMemoryRange ranges[2] = { { 0, 0x1000 }, { 0x2000, 0x3000 } };

  g_assert_true (hull_partition_unit_accept_initial_pages (f->unit, ranges, 2, &error));
  g_assert_cmpuint (f->mock->accepted, ==, 2);
  hull_partition_unit_start (f->unit);
  g_assert_false (hull_partition_unit_accept_initial_pages (f->unit, ranges, 2, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE);
}

/* save → restore continues at the same step; restore sets needs_reset. */
static void
test_unit_save_restore (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) state = NULL;
  HullInitialRegs regs = { 0 };
  Fixture other = { 0 };
  guint64 steps[2];

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  g_assert_null (hull_partition_unit_save (f->unit, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE);
  g_clear_error (&error);

  hull_partition_unit_stop (f->unit);
  for (guint i = 0; i < 2; i++)
    steps[i] = mock_vp_snapshot (f->mock, i).steps;
  state = hull_partition_unit_save (f->unit, &error);
  g_assert_no_error (error);

  /* Into a fresh VM. */
  fixture_setup_n (&other, 2);
  g_assert_true (hull_partition_unit_restore (other.unit, state, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpuint (mock_vp_snapshot (other.mock, i).steps, ==, steps[i]);
      g_assert_cmpuint (mock_vp_snapshot (other.mock, i).restores, ==, 1);
    }
  /* A restored VM has run before: loading registers scrubs first. */
  g_assert_true (hull_partition_unit_set_initial_regs (other.unit, &regs, &error));
  g_assert_cmpuint (other.mock->scrubs, ==, 1);
  fixture_teardown (&other, NULL);
}

/* A damaged or foreign saved state is refused and changes nothing. */
static void
test_unit_restore_corrupt (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) good = NULL;
  g_autoptr (GBytes) truncated = NULL;
  g_autoptr (GBytes) garbage = g_bytes_new_static ("\x01\x02\x03", 3);
  Fixture three = { 0 };

  good = hull_partition_unit_save (f->unit, &error);
  g_assert_no_error (error);
  truncated = g_bytes_new_from_bytes (good, 0, g_bytes_get_size (good) / 2);

  g_assert_false (hull_partition_unit_restore (f->unit, garbage, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  g_clear_error (&error);
  g_assert_false (hull_partition_unit_restore (f->unit, truncated, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  g_clear_error (&error);

  /* A 2-VP state into a 3-VP VM. */
  fixture_setup_n (&three, 3);
  g_assert_false (hull_partition_unit_restore (three.unit, good, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  g_assert_nonnull (strstr (error->message, "2 VPs; this VM has 3"));
  fixture_teardown (&three, NULL);

  for (guint i = 0; i < 2; i++)
    g_assert_cmpuint (mock_vp_snapshot (f->mock, i).restores, ==, 0);
  g_assert_cmpuint (f->mock->restores, ==, 0);
}

/* Inspect answers the unit's fields and each VP's subtree on its thread. */
static void
test_unit_inspect (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) tree = NULL;
  g_autoptr (GVariant) vps = NULL;
  gboolean started;

  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  tree = hull_inspect ("", 3, (HullInspectFunc)hull_partition_unit_inspect, f->unit, WAIT, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_lookup (tree, "started", "b", &started));
  g_assert_true (started);
  vps = g_variant_lookup_value (tree, "vp", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (vps);
  g_assert_cmpuint (g_variant_n_children (vps), ==, f->n_vps);
}

/* A state whose VP 1 part the backend rejects: the container is fine, so
 * the partition and VP 0 are restored before the failure. Nothing may stay
 * changed. */
static void
test_unit_restore_rolls_back (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) state = NULL;
  g_autoptr (GVariant) root = NULL;
  g_autoptr (GVariant) partition = NULL;
  g_autoptr (GVariant) vps = NULL;
  g_autoptr (GVariant) bad = NULL;
  g_autoptr (GBytes) bad_state = NULL;
  GVariant *children[2];
  guint32 version;
  guint64 steps_before, runs;

  /* A state saved early … */
  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  hull_partition_unit_stop (f->unit);
  state = hull_partition_unit_save (f->unit, &error);
  g_assert_no_error (error);

  /* … and VP 0 moved on since (the run count is read before the exit, or
   * the rerun could already have happened). */
  hull_partition_unit_start (f->unit);
  assert_all_in_run (f);
  runs = mock_vp_snapshot (f->mock, 0).runs;
  mock_vp_exit (f->mock, 0, HULL_VP_EXIT_CANCEL);
  g_assert_true (mock_wait_runs (f->mock, 0, runs, WAIT));
  hull_partition_unit_stop (f->unit);
  steps_before = mock_vp_snapshot (f->mock, 0).steps;

  root = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE ("(uaya(uay))"), state, FALSE));
  g_variant_get (root, "(u@ay@a(uay))", &version, &partition, &vps);
  children[0] = g_variant_get_child_value (vps, 0);
  {
    g_autoptr (GVariant) blob = g_variant_get_child_value (children[0], 1);
    g_autoptr (GBytes) bytes = g_variant_get_data_as_bytes (blob);
    g_autoptr (GVariant) saved
        = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(ut)"), bytes, FALSE));
    guint32 index;
    guint64 saved_steps;

    /* Otherwise a restore that kept the file's VP 0 would look rolled back. */
    g_variant_get (saved, "(ut)", &index, &saved_steps);
    g_assert_cmpuint (saved_steps, !=, steps_before);
  }
  children[1] = g_variant_new (
      "(u@ay)", 1, g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, "x", 1, TRUE, NULL, NULL));
  bad = g_variant_ref_sink (
      g_variant_new ("(u@ay@a(uay))", version, partition, g_variant_new_array (NULL, children, 2)));
  g_variant_unref (children[0]);
  bad_state = g_variant_get_data_as_bytes (bad);

  g_assert_false (hull_partition_unit_restore (f->unit, bad_state, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  g_assert_null (strstr (error->message, "VP 1: VP 1"));
  /* VP 0 was restored from the file, then put back. */
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).restores, >=, 2);
  g_assert_cmpuint (mock_vp_snapshot (f->mock, 0).steps, ==, steps_before);
}

/* A halt raised on a non-VP thread (a device timer) while the unit is freed
 * must not touch the freed unit (ASan and valgrind runs would see it). */
typedef struct
{
  HullHalt *halt;
  gint quit;
} Raiser;

static gpointer
raise_halts (gpointer data)
{
  Raiser *raiser = data;

  while (!g_atomic_int_get (&raiser->quit))
    {
      g_autoptr (HullHaltReason) reason = hull_halt_reason_new (HULL_HALT_WATCHDOG);

      hull_halt_halt (raiser->halt, reason);
      g_thread_yield ();
    }
  return NULL;
}

static void
test_unit_free_while_halting (void)
{
  for (guint i = 0; i < 50; i++)
    {
      Fixture f = { 0 };
      Raiser raiser = { 0 };
      GThread *thread;

      fixture_setup_n (&f, 2);
      raiser.halt = f.halt;
      thread = g_thread_new ("raiser", raise_halts, &raiser);
      hull_partition_unit_start (f.unit);
      g_usleep (g_random_int_range (0, 2000));
      hull_partition_unit_free (f.unit);
      f.unit = NULL;
      g_atomic_int_set (&raiser.quit, 1);
      g_thread_join (thread);
      hull_halt_unref (f.halt);
      g_queue_clear_full (&f.halts, (GDestroyNotify)hull_halt_reason_free);
      hull_mutex_clear (&f.mutex);
      hull_cond_clear (&f.cond);
    }
}

/* ------------------------------------------------------------------ */
/* Races under load */

typedef struct
{
  Fixture *f;
  gint quit;
  guint injected;
} Injector;

/* Raises device halts at random moments, as a chipset would. */
static gpointer
inject_halts (gpointer data)
{
  Injector *injector = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);

  while (!g_atomic_int_get (&injector->quit))
    {
      g_autoptr (HullHaltReason) reason = hull_halt_reason_new (HULL_HALT_RESET);

      g_usleep (g_rand_int_range (rand, 100, 3000));
      hull_halt_halt (injector->f->halt, reason);
      injector->injected++;
    }
  return NULL;
}

/* 1000 start/stop/pause cycles with 8 spinning VPs and halts raised at random
 * times: no deadlock, no lost halt (each boot's halt is reported by the next
 * start at the latest), the halt count balanced (asserted by the unit after
 * every message). */
static void
test_stress_cycles (void)
{
  Fixture f = { 0 };
  Injector injector = { &f, 0, 0 };
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  GThread *thread;
  guint reports = 0, clears = 0;
  guint cycles = g_test_slow () ? 10000 : 1000;

  fixture_setup_n (&f, 8);
  for (guint i = 0; i < 8; i++)
    f.mock->vps[i]->spin = TRUE;
  thread = g_thread_new ("injector", inject_halts, &injector);

  for (guint cycle = 0; cycle < cycles; cycle++)
    {
      HullStopGuard *guard;
      HullHaltReason *held;

      hull_partition_unit_start (f.unit);
      switch (g_rand_int_range (rand, 0, 3))
        {
          case 0:
            guard = hull_partition_unit_stop_vps (f.unit);
            hull_stop_guard_release (guard);
            break;
          case 1:
            hull_partition_unit_stop (f.unit);
            hull_partition_unit_start (f.unit);
            break;
          default:
            break;
        }
      hull_partition_unit_stop (f.unit);

      /* After a start, a held halt has been reported; clear it for the next
       * boot. */
      for (HullHaltReason *r; (r = next_halt (&f, 0)) != NULL; hull_halt_reason_free (r))
        reports++;
      held = hull_partition_unit_get_halt_reason (f.unit);
      if (held != NULL)
        {
          g_clear_pointer (&held, hull_halt_reason_free);
          hull_partition_unit_start (f.unit);
          for (HullHaltReason *r; (r = next_halt (&f, SETTLE)) != NULL; hull_halt_reason_free (r))
            reports++;
          hull_partition_unit_stop (f.unit);
          g_assert_true (hull_partition_unit_clear_halt (f.unit));
          clears++;
          hull_partition_unit_stop (f.unit);
        }
      /* Every held halt was reported before it was cleared. */
      g_assert_cmpuint (reports, >=, clears);
    }

  g_atomic_int_set (&injector.quit, 1);
  g_thread_join (thread);
  g_test_message ("%u cycles, %u halts injected, %u reported, %u cleared by the client", cycles,
                  injector.injected, reports, clears);
  g_assert_cmpuint (injector.injected, >, 0);
  g_assert_cmpuint (reports, >, 0);
  fixture_teardown (&f, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                            \
  g_test_add ("/hull/partition-unit/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("runner/stopped-start-runs", test_runner_start_runs);
  ADD ("runner/in-run-stop-acks-stopped", test_runner_stop_in_run);
  ADD ("runner/in-run-state-runs-on-vp-and-continues", test_runner_state_in_run);
  ADD ("runner/stopped-state-runs-on-vp", test_runner_state_when_stopped);
  ADD ("runner/in-run-halt-reason-halts-all", test_runner_guest_halt);
  ADD ("runner/halted-count-blocks-entry", test_runner_no_entry_while_halted);
  ADD ("runner/in-run-cancel-reruns", test_runner_cancel_reruns);
  ADD ("runner/fatal-exit-is-vp-failed-halt", test_runner_fatal_is_halt);
  g_test_add_func ("/hull/partition-unit/runner/teardown-while-running",
                   test_runner_teardown_while_running);
  g_test_add_func ("/hull/partition-unit/runner/teardown-while-halted",
                   test_runner_teardown_while_halted);
  g_test_add_func ("/hull/partition-unit/runner/in-run-start-aborts",
                   test_runner_start_twice_aborts);
  g_test_add_func ("/hull/partition-unit/bind-failure-names-vp", test_unit_bind_failure);

  ADD ("unit/reset-clears-halt-and-reruns", test_unit_reset_clears_halt_and_reruns);
  ADD ("unit/reset-failure", test_unit_reset_failure);
  ADD ("unit/two-halts-one-report", test_unit_two_halts_one_report);
  ADD ("unit/device-halt-from-vp-thread", test_unit_device_halt);
  ADD ("unit/halt-during-pause-reported-after-resume",
       test_unit_halt_during_pause_reported_after_resume);
  ADD ("unit/clear-halt-resumes-in-place", test_unit_clear_halt);
  ADD ("unit/stop-guards-nest", test_unit_stop_guards_nest);
  ADD ("unit/stop-guard-on-stopped-unit", test_unit_guard_on_stopped_unit);
  ADD ("unit/set-initial-regs-auto-scrub", test_unit_set_initial_regs_auto_scrub);
  ADD ("unit/accept-initial-pages", test_unit_accept_initial_pages);
  ADD ("unit/save-restore-same-step", test_unit_save_restore);
  ADD ("unit/restore-corrupt-changes-nothing", test_unit_restore_corrupt);
  ADD ("unit/inspect-vps-on-their-threads", test_unit_inspect);
  ADD ("unit/restore-failure-rolls-back", test_unit_restore_rolls_back);
  g_test_add_func ("/hull/partition-unit/unit/free-while-a-device-halts",
                   test_unit_free_while_halting);
  g_test_add_func ("/hull/partition-unit/stress/1000-cycles-8-vps", test_stress_cycles);
#undef ADD

  return g_test_run ();
}
