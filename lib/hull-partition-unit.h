/* hull-partition-unit.h — the partition unit: the VM's run state machine.
 *
 * partition-semantics.md §2.3. A control thread owns the unit's state
 * (started, VP stop count, needs-reset, the reported halt) and carries out
 * every request — start, stop, reset, save, restore, stopping VPs
 * temporarily, clearing a halt, loading initial registers — one at a time,
 * together with the halts that VPs and devices raise. The public calls below
 * post a request and wait for it, so they may be made from any thread except
 * the control thread itself (the halt callback runs there).
 *
 * Only the first halt of a boot is reported; later ones are cleared as they
 * arrive. A halt that arrives while the unit is stopped (a guest power action
 * racing a pause) is kept and reported when the unit starts again.
 */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-halt.h"
#include "hull-inspect.h"

G_BEGIN_DECLS

typedef struct _HullPartitionUnit HullPartitionUnit;
typedef struct _HullStopGuard HullStopGuard;

/**
 * HullHaltCallback:
 * @reason: why the guest halted; valid during the call
 * @user_data: as given
 *
 * Called on the control thread when the first halt of a boot is reported.
 * It must not call back into the unit; marshal to your own thread
 * (g_main_context_invoke()) to react.
 */
typedef void (*HullHaltCallback) (const HullHaltReason *reason, gpointer user_data);

/**
 * hull_partition_unit_new:
 * @partition: (transfer full): the partition; destroyed by the unit
 * @binders: (array length=n_vps) (transfer full): one per VP in index order;
 *   consumed (the array itself stays the caller's)
 * @n_vps: their number
 * @halt: the halt object devices also use
 * @io: the CpuIo VPs call, with @io_data (outlives the unit)
 * @callback: told of halts, with @user_data
 * @error: a binding failure, naming the VP
 *
 * Binds every VP on its own thread and starts the control thread. The unit
 * starts stopped. On failure everything given is freed.
 *
 * Returns: (transfer full): the unit, or %NULL.
 */
HullPartitionUnit *hull_partition_unit_new (HullPartition *partition, HullProcessorBinder **binders,
                                            guint n_vps, HullHalt *halt, const HullCpuIo *io,
                                            gpointer io_data, HullHaltCallback callback,
                                            gpointer user_data, GError **error);

/* Stops the VPs, unbinds them, joins every thread and destroys the
 * partition. */
void hull_partition_unit_free (HullPartitionUnit *unit);

/* Starts the unit; VPs run unless halted or temporarily stopped. */
void hull_partition_unit_start (HullPartitionUnit *unit);

/* Stops the unit and its VPs. Halts that raced the stop are kept, not lost. */
void hull_partition_unit_stop (HullPartitionUnit *unit);

/**
 * hull_partition_unit_reset:
 * @unit: a stopped unit
 * @error: HULL_ERROR_INVALID_STATE while started; the backend's error
 *
 * Resets the partition and every VP (architectural reset), and clears the
 * halt. After a failure the partition is unusable until a reset succeeds.
 */
gboolean hull_partition_unit_reset (HullPartitionUnit *unit, GError **error);

/**
 * hull_partition_unit_save:
 * @unit: a unit whose VPs are stopped
 * @error: HULL_ERROR_INVALID_STATE while VPs run; the backend's error
 *
 * Returns: (transfer full): the partition's and every VP's state (the halt is
 *   not saved), or %NULL.
 */
GBytes *hull_partition_unit_save (HullPartitionUnit *unit, GError **error);

/**
 * hull_partition_unit_restore:
 * @unit: a unit whose VPs are stopped
 * @state: what hull_partition_unit_save() returned
 * @error: HULL_ERROR_CORRUPT_DATA for a damaged or foreign @state;
 *   HULL_ERROR_INVALID_STATE while VPs run
 *
 * On failure the VM is put back as it was (the current state is saved first).
 */
gboolean hull_partition_unit_restore (HullPartitionUnit *unit, GBytes *state, GError **error);

/* Stops the VPs until the guard is released; guards nest. */
HullStopGuard *hull_partition_unit_stop_vps (HullPartitionUnit *unit);
void hull_stop_guard_release (HullStopGuard *guard);

/* Clears the reported halt and lets the VPs run again; FALSE if there was
 * none. */
gboolean hull_partition_unit_clear_halt (HullPartitionUnit *unit);

/**
 * hull_partition_unit_set_initial_regs:
 * @unit: a unit that is stopped, or whose VPs are temporarily stopped
 * @regs: registers for the BSP, MTRRs and PAT for every VP
 * @error: HULL_ERROR_INVALID_STATE while VPs may run; the backend's error
 *
 * If the VM ran (or was restored) since the last reset, VTL 0 is scrubbed
 * first. Backends without MTRR or PAT state skip those groups.
 */
gboolean hull_partition_unit_set_initial_regs (HullPartitionUnit *unit, const HullInitialRegs *regs,
                                               GError **error);

/* Forwards to the partition; only before the unit first starts. */
gboolean hull_partition_unit_accept_initial_pages (HullPartitionUnit *unit,
                                                   const HullMemoryRange *ranges, guint n_ranges,
                                                   GError **error);

/* [any] The unit's state, the partition's and (on their threads) each VP's,
 * under "vp/<index>". */
void hull_partition_unit_inspect (HullPartitionUnit *unit, HullInspectRequest *request);

/* [any] A copy of the reported halt, or NULL. */
HullHaltReason *hull_partition_unit_get_halt_reason (HullPartitionUnit *unit);

guint hull_partition_unit_get_n_vps (HullPartitionUnit *unit);
HullPartition *hull_partition_unit_get_partition (HullPartitionUnit *unit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullPartitionUnit, hull_partition_unit_free)

G_END_DECLS
