/* hull-lifecycle-policy.c — the halt → on_* → outcome table
 * (hull-lifecycle-policy.h, docs/daemon.md). */
#include "config.h"

#include "hull-halt.h"
#include "hull-lifecycle-policy.h"

static void
set (HullLifecycleOutcome *o, HullLifecycleStep step, HullDomainState state,
     HullDomainStateReason reason, gboolean announce_crash, int event, int detail)
{
  o->step = step;
  o->state = state;
  o->reason = reason;
  o->announce_crash = announce_crash;
  o->event = event;
  o->detail = detail;
}

/* @action for a halt; @crash: it is on_crash's. */
static void
decide (HullLifecycleAction action, gboolean crash, HullLifecycleOutcome *o)
{
  switch (action)
    {
      case HULL_LIFECYCLE_DESTROY:
      case HULL_LIFECYCLE_COREDUMP_DESTROY:
        if (crash)
          set (o, HULL_LIFECYCLE_STEP_STOP, HULL_DOMAIN_STATE_SHUTOFF, HULL_DOMAIN_REASON_CRASHED,
               TRUE, HULL_DOMAIN_EVENT_STOPPED, HULL_EVENT_STOPPED_CRASHED);
        else
          set (o, HULL_LIFECYCLE_STEP_STOP, HULL_DOMAIN_STATE_SHUTOFF, HULL_DOMAIN_REASON_SHUTDOWN,
               FALSE, HULL_DOMAIN_EVENT_STOPPED, HULL_EVENT_STOPPED_SHUTDOWN);
        break;
      case HULL_LIFECYCLE_RESTART:
      case HULL_LIFECYCLE_RENAME_RESTART:
      case HULL_LIFECYCLE_COREDUMP_RESTART:
        /* A crash's event follows the state it leads to, as every event
         * follows its properties. */
        if (crash)
          set (o, HULL_LIFECYCLE_STEP_RESET, HULL_DOMAIN_STATE_RUNNING,
               HULL_DOMAIN_REASON_CRASH_RESTARTED, FALSE, HULL_DOMAIN_EVENT_CRASHED,
               HULL_EVENT_CRASHED_PANICKED);
        else
          set (o, HULL_LIFECYCLE_STEP_RESET, HULL_DOMAIN_STATE_RUNNING, HULL_DOMAIN_REASON_REBOOTED,
               FALSE, -1, 0);
        break;
      case HULL_LIFECYCLE_PRESERVE:
      default:
        if (crash)
          set (o, HULL_LIFECYCLE_STEP_KEEP, HULL_DOMAIN_STATE_CRASHED, HULL_DOMAIN_REASON_PANICKED,
               FALSE, HULL_DOMAIN_EVENT_CRASHED, HULL_EVENT_CRASHED_PANICKED);
        else
          set (o, HULL_LIFECYCLE_STEP_KEEP, HULL_DOMAIN_STATE_PAUSED, HULL_DOMAIN_REASON_HALTED,
               FALSE, HULL_DOMAIN_EVENT_SUSPENDED, HULL_EVENT_SUSPENDED_PAUSED);
        break;
    }
}

gboolean
hull_lifecycle_policy_for_halt (const HullDomainDef *def, const char *halt_kind,
                                HullLifecycleOutcome *outcome)
{
  HullHaltKind kind;

  g_return_val_if_fail (def != NULL && outcome != NULL, FALSE);

  if (halt_kind == NULL || !hull_halt_kind_from_string (halt_kind, &kind))
    {
      decide (HULL_LIFECYCLE_PRESERVE, FALSE, outcome);
      return FALSE;
    }
  switch (kind)
    {
      case HULL_HALT_POWER_OFF:
      case HULL_HALT_HIBERNATE:
        decide (def->on_poweroff, FALSE, outcome);
        break;
      case HULL_HALT_RESET:
        decide (def->on_reboot, FALSE, outcome);
        break;
      case HULL_HALT_TRIPLE_FAULT:
      case HULL_HALT_VP_FAILED:
      case HULL_HALT_WATCHDOG:
        decide (def->on_crash, TRUE, outcome);
        break;
      case HULL_HALT_DEBUG_BREAK:
      case HULL_HALT_SINGLE_STEP:
      case HULL_HALT_HW_BREAKPOINT:
      default:
        decide (HULL_LIFECYCLE_PRESERVE, FALSE, outcome);
        break;
    }
  return TRUE;
}

void
hull_lifecycle_policy_for_reboot (const HullDomainDef *def, HullLifecycleOutcome *outcome)
{
  g_return_if_fail (def != NULL && outcome != NULL);

  decide (def->on_reboot, FALSE, outcome);
  if (outcome->step == HULL_LIFECYCLE_STEP_KEEP)
    set (outcome, HULL_LIFECYCLE_STEP_PAUSE, HULL_DOMAIN_STATE_PAUSED, HULL_DOMAIN_REASON_USER,
         FALSE, HULL_DOMAIN_EVENT_SUSPENDED, HULL_EVENT_SUSPENDED_PAUSED);
}
