/* hull-vp-runner.h — one VP's thread and state machine.
 *
 * partition-semantics.md §2.2: a runner owns a thread on which it binds its
 * processor, then serves a mailbox: Start, Stop (acknowledged), calls that run
 * on the VP thread (reset, scrub, register access, save, restore, inspect).
 * While Running it calls the processor's run() in a loop; every post sets the
 * processor's stop flag and requests a yield, so a message always kicks the VP
 * out of the hypervisor. A guest halt exit goes to the shared HullHalt and
 * the runner becomes Halted; so do all other runners once the halt count is
 * non-zero.
 *
 * The partition unit's control thread is the only caller, except
 * hull_vp_runner_kick() [any] and hull_vp_runner_inspect() [any].
 */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-halt.h"
#include "hull-inspect.h"

G_BEGIN_DECLS

typedef enum
{
  HULL_VP_RUNNER_STOPPED,
  HULL_VP_RUNNER_RUNNING,
  HULL_VP_RUNNER_HALTED,
} HullVpRunnerState;

const char *hull_vp_runner_state_to_string (HullVpRunnerState state);
gboolean hull_vp_runner_state_from_string (const char *name, HullVpRunnerState *state);

typedef struct _HullVpRunner HullVpRunner;

/* Runs on the VP thread, outside run(). */
typedef gboolean (*HullVpCallFunc) (HullProcessor *processor, gpointer data, GError **error);

/**
 * hull_vp_runner_new:
 * @partition: the partition (outlives the runner)
 * @binder: (transfer full): the VP's binder, consumed
 * @halt: the shared halt object
 * @io: the CpuIo run() calls, with @io_data
 * @error: the binder's error when binding fails
 *
 * Starts the VP thread and binds the processor there; returns once bound.
 * The runner starts in the Stopped state.
 *
 * Returns: (transfer full): the runner, or %NULL if binding failed.
 */
HullVpRunner *hull_vp_runner_new (HullPartition *partition, HullProcessorBinder *binder,
                                  HullHalt *halt, const HullCpuIo *io, gpointer io_data,
                                  GError **error);

/* Closes the mailbox, stops a running VP, unbinds and joins the thread. */
void hull_vp_runner_free (HullVpRunner *runner);

guint hull_vp_runner_get_index (HullVpRunner *runner);

/* [any] The state as of the last transition. */
HullVpRunnerState hull_vp_runner_get_state (HullVpRunner *runner);

/* Posts Start; the runner must be Stopped (asserted on the VP thread). */
void hull_vp_runner_start (HullVpRunner *runner);

/* [any] Kicks the VP out of run() so it re-reads its mailbox and the halt
 * count. */
void hull_vp_runner_kick (HullVpRunner *runner);

/* Posts Stop to each runner, then waits until every one is Stopped. */
void hull_vp_runners_stop (HullVpRunner *const *runners, guint n_runners);

/**
 * hull_vp_runners_call:
 * @runners: the runners
 * @n_runners: how many
 * @func: what to run on each VP thread, concurrently
 * @data: an array of @n_runners pointers, data[i] for runners[i]; or %NULL
 * @error: the first failure, prefixed with its VP
 *
 * Runs @func on every VP thread, outside run(), and waits for all.
 *
 * Returns: %TRUE if every call succeeded.
 */
gboolean hull_vp_runners_call (HullVpRunner *const *runners, guint n_runners, HullVpCallFunc func,
                               gpointer *data, GError **error);

/* The same for one VP. */
gboolean hull_vp_runner_call (HullVpRunner *runner, HullVpCallFunc func, gpointer data,
                              GError **error);

/* [any] Answers @request on the VP thread: defers it and returns at once. */
void hull_vp_runner_inspect (HullVpRunner *runner, HullInspectRequest *request);

G_END_DECLS
