/* hull-lifecycle-policy.h — what a halt does to a domain (docs/daemon.md,
 * "Halts and the lifecycle policy").
 *
 * A pure decision: given the running definition and the worker's halt kind
 * (or a Reboot request), which step hulld takes, where the domain ends and
 * which lifecycle event it emits. HullDomain carries the step out.
 */
#pragma once

#include "hull-dbus.h"
#include "hull-domain-def.h"

G_BEGIN_DECLS

/**
 * HullLifecycleStep:
 * @HULL_LIFECYCLE_STEP_STOP: stop the worker (the domain ends shut off)
 * @HULL_LIFECYCLE_STEP_RESET: Worker.Reset: the guest boots again
 * @HULL_LIFECYCLE_STEP_PAUSE: Worker.Pause (Reboot with on_reboot=preserve:
 *   there is no halt to keep)
 * @HULL_LIFECYCLE_STEP_KEEP: keep the halted worker as it is, for
 *   inspection, until ClearHalt or Destroy
 */
typedef enum
{
  HULL_LIFECYCLE_STEP_STOP,
  HULL_LIFECYCLE_STEP_RESET,
  HULL_LIFECYCLE_STEP_PAUSE,
  HULL_LIFECYCLE_STEP_KEEP,
} HullLifecycleStep;

/**
 * HullLifecycleOutcome:
 * @step: what to do
 * @state: the domain's state once @step is done
 * @reason: and its reason
 * @announce_crash: emit CRASHED/PANICKED before @step (a crash whose
 *   domain is stopped: that event, then STOPPED/CRASHED)
 * @event: the event once @step is done (a #HullDomainEvent), or -1 for none
 * @detail: its detail
 */
typedef struct
{
  HullLifecycleStep step;
  HullDomainState state;
  HullDomainStateReason reason;
  gboolean announce_crash;
  int event;
  int detail;
} HullLifecycleOutcome;

/**
 * hull_lifecycle_policy_for_halt:
 * @def: the definition the worker runs
 * @halt_kind: the worker's halt kind (hull_halt_kind_to_string())
 * @outcome: (out): what to do
 *
 * power-off and hibernate follow on_poweroff, reset on_reboot,
 * triple-fault, vp-failed and watchdog on_crash; debug halts are kept.
 *
 * Returns: %FALSE for a kind this hulld does not know (a newer worker);
 *   @outcome then keeps the halted guest
 */
gboolean hull_lifecycle_policy_for_halt (const HullDomainDef *def, const char *halt_kind,
                                         HullLifecycleOutcome *outcome);

/**
 * hull_lifecycle_policy_for_reboot:
 * @def: the definition the worker runs
 * @outcome: (out): what Domain.Reboot does: on_reboot, as if the guest
 *   had reset, except that preserve pauses (there is no halt to keep)
 */
void hull_lifecycle_policy_for_reboot (const HullDomainDef *def, HullLifecycleOutcome *outcome);

G_END_DECLS
