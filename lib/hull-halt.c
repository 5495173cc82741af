/* hull-halt.c — the halt object shared by VPs, devices and the partition unit. */
#include "config.h"

#include "hull-halt.h"

#include "hull-enum.h"
#include "hull-i18n.h"
#include "hull-sync.h"

HULL_ENUM_IMPL (hull_halt_kind, HullHaltKind, "power-off", "reset", "hibernate", "debug-break",
                "triple-fault", "single-step", "hw-breakpoint", "watchdog", "vp-failed")

struct _HullHalt
{
  gint ref_count; /* g_atomic_int_*: inline, so visible to TSan */
  HullMutex mutex;
  guint count;   /* halts minus clears */
  GQueue queued; /* HullHaltReason*, oldest first */
  HullHaltNotify notify;
  gpointer notify_data;
  guint notifying; /* notify calls in progress */
  HullCond idle;   /* notifying dropped to zero */
};

HullHaltReason *
hull_halt_reason_new (HullHaltKind kind)
{
  HullHaltReason *reason = g_new0 (HullHaltReason, 1);

  reason->kind = kind;
  return reason;
}

HullHaltReason *
hull_halt_reason_copy (const HullHaltReason *reason)
{
  HullHaltReason *copy;

  g_return_val_if_fail (reason != NULL, NULL);

  copy = g_memdup2 (reason, sizeof *reason);
  copy->message = g_strdup (reason->message);
  return copy;
}

void
hull_halt_reason_free (HullHaltReason *reason)
{
  if (reason == NULL)
    return;
  g_free (reason->message);
  g_free (reason);
}

char *
hull_halt_reason_describe (const HullHaltReason *reason)
{
  const char *kind = hull_halt_kind_to_string (reason->kind);

  if (reason->kind == HULL_HALT_VP_FAILED && reason->message != NULL)
    return g_strdup_printf (_ ("VP %u failed: %s"), reason->vp, reason->message);
  if (reason->kind == HULL_HALT_HW_BREAKPOINT)
    return g_strdup_printf (_ ("%s %u (VP %u)"), kind, reason->breakpoint, reason->vp);
  if (reason->has_vp)
    return g_strdup_printf (_ ("%s (VP %u)"), kind, reason->vp);
  return g_strdup (kind);
}

HullHalt *
hull_halt_new (void)
{
  HullHalt *halt = g_new0 (HullHalt, 1);

  halt->ref_count = 1;
  hull_mutex_init (&halt->mutex);
  hull_cond_init (&halt->idle);
  g_queue_init (&halt->queued);
  return halt;
}

HullHalt *
hull_halt_ref (HullHalt *halt)
{
  g_return_val_if_fail (halt != NULL, NULL);

  g_atomic_int_inc (&halt->ref_count);
  return halt;
}

void
hull_halt_unref (HullHalt *halt)
{
  if (halt == NULL || !g_atomic_int_dec_and_test (&halt->ref_count))
    return;
  g_queue_clear_full (&halt->queued, (GDestroyNotify)hull_halt_reason_free);
  hull_mutex_clear (&halt->mutex);
  g_free (halt);
}

void
hull_halt_set_notify (HullHalt *halt, HullHaltNotify notify, gpointer data)
{
  g_return_if_fail (halt != NULL);

  hull_mutex_lock (&halt->mutex);
  halt->notify = notify;
  halt->notify_data = data;
  /* A halt raised on another thread may be calling the old hook right now;
   * its owner may free what the hook uses once this returns. */
  while (halt->notifying > 0)
    hull_cond_wait (&halt->idle, &halt->mutex);
  hull_mutex_unlock (&halt->mutex);
}

void
hull_halt_halt (HullHalt *halt, const HullHaltReason *reason)
{
  HullHaltNotify notify;
  gpointer data;

  g_return_if_fail (halt != NULL);
  g_return_if_fail (reason != NULL);

  hull_mutex_lock (&halt->mutex);
  halt->count++;
  g_queue_push_tail (&halt->queued, hull_halt_reason_copy (reason));
  notify = halt->notify;
  data = halt->notify_data;
  if (notify != NULL)
    halt->notifying++;
  hull_mutex_unlock (&halt->mutex);

  if (notify == NULL)
    return;
  notify (data);
  hull_mutex_lock (&halt->mutex);
  if (--halt->notifying == 0)
    hull_cond_broadcast (&halt->idle);
  hull_mutex_unlock (&halt->mutex);
}

void
hull_halt_clear (HullHalt *halt)
{
  hull_mutex_lock (&halt->mutex);
  g_assert (halt->count > 0);
  halt->count--;
  hull_mutex_unlock (&halt->mutex);
}

guint
hull_halt_get_count (HullHalt *halt)
{
  guint count;

  hull_mutex_lock (&halt->mutex);
  count = halt->count;
  hull_mutex_unlock (&halt->mutex);
  return count;
}

HullHaltReason *
hull_halt_pop (HullHalt *halt)
{
  HullHaltReason *reason;

  hull_mutex_lock (&halt->mutex);
  reason = g_queue_pop_head (&halt->queued);
  hull_mutex_unlock (&halt->mutex);
  return reason;
}

void
hull_halt_assert_balanced (HullHalt *halt, guint held)
{
  hull_mutex_lock (&halt->mutex);
  g_assert_cmpuint (halt->count, ==, held + halt->queued.length);
  hull_mutex_unlock (&halt->mutex);
}
