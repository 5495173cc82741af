/* hull-halt.h — the halt object shared by VPs, devices and the partition unit.
 *
 * Whatever stops the guest as a whole (a VP's power-off or triple-fault exit,
 * the i8042 reset command, the power-off port) calls hull_halt_halt(). That
 * counts the halt, queues its reason for the partition unit, and calls the
 * unit's notify hook, which kicks every VP out of the hypervisor. A VP does
 * not enter the guest while the count is non-zero
 * (partition-semantics.md §2.1).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HULL_HALT_POWER_OFF,
  HULL_HALT_RESET,
  HULL_HALT_HIBERNATE,
  HULL_HALT_DEBUG_BREAK,
  HULL_HALT_TRIPLE_FAULT,
  HULL_HALT_SINGLE_STEP,
  HULL_HALT_HW_BREAKPOINT,
  HULL_HALT_WATCHDOG,
  HULL_HALT_VP_FAILED,
} HullHaltKind;

/**
 * HullHaltReason:
 * @kind: why the guest stopped
 * @has_vp: whether one VP caused it
 * @vp: that VP
 * @breakpoint: HW_BREAKPOINT: which one
 * @message: (nullable): VP_FAILED: what failed
 */
typedef struct
{
  HullHaltKind kind;
  gboolean has_vp;
  guint vp;
  guint breakpoint;
  char *message;
} HullHaltReason;

HullHaltReason *hull_halt_reason_new (HullHaltKind kind);
HullHaltReason *hull_halt_reason_copy (const HullHaltReason *reason);
void hull_halt_reason_free (HullHaltReason *reason);
/* "power-off", "triple-fault (VP 1)", "VP 0 failed: …" */
char *hull_halt_reason_describe (const HullHaltReason *reason);
const char *hull_halt_kind_to_string (HullHaltKind kind);
gboolean hull_halt_kind_from_string (const char *name, HullHaltKind *kind);

typedef struct _HullHalt HullHalt;

/* Called by hull_halt_halt() after the halt is queued, on the halting thread
 * and without locks held. */
typedef void (*HullHaltNotify) (gpointer data);

HullHalt *hull_halt_new (void);
HullHalt *hull_halt_ref (HullHalt *halt);
void hull_halt_unref (HullHalt *halt);

/* Sets the hook; the partition unit owns it. Returns only once no call of
 * the previous hook is in progress, so its data may then be freed. */
void hull_halt_set_notify (HullHalt *halt, HullHaltNotify notify, gpointer data);

/**
 * hull_halt_halt:
 * @halt: the halt object
 * @reason: why; copied
 *
 * [any] Counts a halt and queues @reason. After it returns, no VP enters the
 * guest until the count drops back to zero.
 */
void hull_halt_halt (HullHalt *halt, const HullHaltReason *reason);

/* [ctl] Undoes one halt; the count must be above zero. */
void hull_halt_clear (HullHalt *halt);

/* [any] The number of halts not yet cleared. */
guint hull_halt_get_count (HullHalt *halt);

/* [ctl] The oldest queued reason, or NULL; (transfer full). */
HullHaltReason *hull_halt_pop (HullHalt *halt);

/* [ctl] Asserts count = @held + queued reasons: each halt is either queued,
 * held as the reported reason, or cleared. */
void hull_halt_assert_balanced (HullHalt *halt, guint held);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullHalt, hull_halt_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullHaltReason, hull_halt_reason_free)

G_END_DECLS
