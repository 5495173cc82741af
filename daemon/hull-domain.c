/* hull-domain.c — one domain: the Domain interface, its worker and the
 * lifecycle policy (hull-domain.h, docs/daemon.md, docs/dbus-api.md).
 *
 * Every state change goes through set_state(), which updates the
 * properties (only those that change) and the runtime record; events go
 * through emit(), which flushes the properties first, so PropertiesChanged
 * always precedes the DomainEvent it belongs to.
 *
 * Slow work (spawning, stopping, worker calls) is asynchronous. While it
 * runs, self->op says what it is and conflicting calls fail with
 * InvalidState. A callback for work on a worker that has since gone away
 * (self->worker changed) only answers its caller: the state was already
 * dealt with when the worker went.
 *
 * This file has the lifecycle: the worker, the policy, Start and reattach,
 * the methods that change the domain, and the object. The read-only
 * methods are in hull-domain-queries.c; what both use is in
 * hull-domain-private.h.
 */
#include "config.h"

#include "hull-authority.h"
#include "hull-capabilities.h"
#include "hull-domain.h"
#include "hull-domain-private.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-lifecycle-policy.h"
#include "hull-worker-client.h"

static void hull_domain_iface_init (HullDBusDomainIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HullDomain, hull_domain, HULL_DBUS_TYPE_DOMAIN_SKELETON,
                               G_IMPLEMENT_INTERFACE (HULL_DBUS_TYPE_DOMAIN,
                                                      hull_domain_iface_init))

static void apply_halt (HullDomain *self, const char *kind);

/* ---- state and events ----------------------------------------------- */

const HullDomainDef *
hull_domain_current_def (HullDomain *self)
{
  return self->live_def != NULL ? self->live_def : self->def;
}

const char *
hull_domain_name_of (HullDomain *self)
{
  return self->def->name;
}

/* Sets the properties that differ from what the domain is now: only real
 * changes reach PropertiesChanged. */
static void
sync_properties (HullDomain *self)
{
  HullDBusDomain *iface = HULL_DBUS_DOMAIN (self);
  const HullDomainDef *def = hull_domain_current_def (self);
  const char *state = hull_domain_state_to_string (self->record.state);
  const char *reason = hull_domain_state_reason_to_string (self->record.reason);
  const char *backend = hull_domain_type_to_string (def->type);

  if (g_strcmp0 (hull_dbus_domain_get_name (iface), def->name) != 0)
    hull_dbus_domain_set_name (iface, def->name);
  if (g_strcmp0 (hull_dbus_domain_get_state (iface), state) != 0)
    hull_dbus_domain_set_state (iface, state);
  if (g_strcmp0 (hull_dbus_domain_get_state_reason (iface), reason) != 0)
    hull_dbus_domain_set_state_reason (iface, reason);
  if (hull_dbus_domain_get_persistent (iface) != self->record.persistent)
    hull_dbus_domain_set_persistent (iface, self->record.persistent);
  if (hull_dbus_domain_get_autostart (iface) != self->record.autostart)
    hull_dbus_domain_set_autostart (iface, self->record.autostart);
  if (hull_dbus_domain_get_owner (iface) != self->record.owner)
    hull_dbus_domain_set_owner (iface, self->record.owner);
  if (hull_dbus_domain_get_vcpus (iface) != def->vcpus)
    hull_dbus_domain_set_vcpus (iface, def->vcpus);
  if (hull_dbus_domain_get_memory (iface) != def->memory)
    hull_dbus_domain_set_memory (iface, def->memory);
  if (g_strcmp0 (hull_dbus_domain_get_backend (iface), backend) != 0)
    hull_dbus_domain_set_backend (iface, backend);
}

/* Keeps $runtime/vm/<uuid>.domain in step while there is a worker. */
static void
save_record (HullDomain *self)
{
  g_autoptr (GError) local_error = NULL;

  if (self->live_def == NULL)
    return;
  if (!hull_domain_store_save_record (self->store, self->def->uuid, hull_domain_name_of (self),
                                      &self->record, &local_error))
    g_warning (_ ("domain '%s': %s"), hull_domain_name_of (self), local_error->message);
}

static void
set_state (HullDomain *self, HullDomainState state, HullDomainStateReason reason)
{
  self->record.state = state;
  self->record.reason = reason;
  save_record (self);
  sync_properties (self);
}

static void
emit (HullDomain *self, HullDomainEvent event, int detail)
{
  g_debug ("domain '%s': event %s/%s", hull_domain_name_of (self),
           hull_domain_event_to_string (event), hull_domain_event_detail_to_string (event, detail));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
  if (self->callbacks.event != NULL)
    self->callbacks.event (self, event, detail, self->callbacks.user_data);
}

static void
gone (HullDomain *self)
{
  if (self->callbacks.gone != NULL)
    self->callbacks.gone (self, self->callbacks.user_data);
}

/* ---- the worker ---------------------------------------------------- */

static void on_worker_halted (HullWorkerClient *worker, const char *kind, const char *description,
                              gpointer user_data);
static void on_worker_closed (HullWorkerClient *worker, gboolean expected, gpointer user_data);

static void
take_worker (HullDomain *self, HullWorkerClient *worker)
{
  g_assert (self->worker == NULL);
  self->worker = worker;
  self->halted_id = g_signal_connect (worker, "halted", G_CALLBACK (on_worker_halted), self);
  self->closed_id = g_signal_connect (worker, "closed", G_CALLBACK (on_worker_closed), self);
}

/* Lets go of the worker and everything about it on disk. @kill: it is not
 * stopping on its own, make sure it goes. */
static void
drop_worker (HullDomain *self, gboolean kill)
{
  g_autoptr (HullWorkerClient) worker = g_steal_pointer (&self->worker);

  if (worker != NULL)
    {
      g_clear_signal_handler (&self->halted_id, worker);
      g_clear_signal_handler (&self->closed_id, worker);
      if (kill)
        hull_worker_client_kill (worker);
    }
  hull_worker_client_remove_stale (self->runtime_dir, self->def->uuid);
  hull_domain_store_remove_live (self->store, self->def->uuid);
  g_clear_pointer (&self->live_def, hull_domain_def_free);
  g_clear_pointer (&self->pending_halt, g_free);
}

static void
handle_pending_halt (HullDomain *self)
{
  g_autofree char *kind = g_steal_pointer (&self->pending_halt);

  if (kind != NULL && self->worker != NULL && self->op == OP_NONE)
    apply_halt (self, kind);
}

/* Answers the calls waiting for the worker to stop. */
static void
finish_stop_invocations (HullDomain *self, const GError *error)
{
  g_autoptr (GPtrArray) invocations = g_steal_pointer (&self->stop_invocations);

  self->stop_invocations = g_ptr_array_new ();
  for (guint i = 0; i < invocations->len; i++)
    {
      GDBusMethodInvocation *invocation = g_ptr_array_index (invocations, i);

      if (error != NULL)
        g_dbus_method_invocation_return_gerror (invocation, error);
      else
        g_dbus_method_invocation_return_value (invocation, NULL);
    }
}

static void
worker_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (HullDomain) self = user_data;
  HullWorkerClient *worker = HULL_WORKER_CLIENT (source);
  g_autoptr (GError) local_error = NULL;
  gboolean kill = FALSE;

  if (!hull_worker_client_stop_finish (worker, result, &local_error))
    {
      /* It is stopped all the same: a domain Destroy was asked of must end
       * up shut off. */
      g_warning (_ ("domain '%s': stopping the worker: %s"), hull_domain_name_of (self),
                 local_error->message);
      kill = TRUE;
    }
  if (self->worker != worker)
    {
      /* Cannot happen (the worker is only dropped here while stopping);
       * never leave a caller waiting all the same. */
      finish_stop_invocations (self, NULL);
      return;
    }
  drop_worker (self, kill);
  self->op = OP_NONE;
  set_state (self, HULL_DOMAIN_STATE_SHUTOFF, self->stop_reason);
  emit (self, HULL_DOMAIN_EVENT_STOPPED, self->stop_detail);
  finish_stop_invocations (self, NULL);
  if (!self->record.persistent)
    gone (self);
}

/* Stops the worker; the domain ends shut off with @reason and event
 * STOPPED/@detail. @invocation (nullable) is answered then. */
static void
stop_worker (HullDomain *self, HullDomainStateReason reason, int detail,
             GDBusMethodInvocation *invocation)
{
  g_assert (self->worker != NULL);

  if (invocation != NULL)
    g_ptr_array_add (self->stop_invocations, invocation);
  g_clear_handle_id (&self->shutdown_timer, g_source_remove);
  self->op = OP_STOPPING;
  self->stop_reason = reason;
  self->stop_detail = detail;
  hull_worker_client_stop_async (self->worker, NULL, worker_stopped, g_object_ref (self));
}

typedef enum
{
  CALL_PAUSE,
  CALL_RESUME,
  CALL_RESET,
  CALL_CLEAR_HALT,
} WorkerCall;

typedef struct
{
  HullDomain *self;
  HullWorkerClient *worker;
  GDBusMethodInvocation *invocation; /* nullable: the policy's own call */
  WorkerCall call;
  HullDomainState state;
  HullDomainStateReason reason;
  int event; /* -1: none */
  int detail;
} CallData;

static void
call_data_free (CallData *data)
{
  g_object_unref (data->self);
  g_object_unref (data->worker);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CallData, call_data_free)

static void
worker_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (CallData) data = user_data;
  HullDomain *self = data->self;
  HullDBusWorker *proxy = HULL_DBUS_WORKER (source);
  g_autoptr (GError) local_error = NULL;
  gboolean ok = FALSE;

  switch (data->call)
    {
      case CALL_PAUSE:
        ok = hull_dbus_worker_call_pause_finish (proxy, result, &local_error);
        break;
      case CALL_RESUME:
        ok = hull_dbus_worker_call_resume_finish (proxy, result, &local_error);
        break;
      case CALL_RESET:
        ok = hull_dbus_worker_call_reset_finish (proxy, result, &local_error);
        break;
      case CALL_CLEAR_HALT:
        ok = hull_dbus_worker_call_clear_halt_finish (proxy, result, &local_error);
        break;
    }
  if (!ok)
    g_dbus_error_strip_remote_error (local_error);

  if (self->worker != data->worker)
    {
      /* The worker died meanwhile; the domain is crashed already. */
      if (data->invocation != NULL)
        g_dbus_method_invocation_return_error (data->invocation, HULL_ERROR, HULL_ERROR_FAILED,
                                               _ ("the worker of domain '%s' died"),
                                               hull_domain_name_of (self));
      return;
    }
  self->op = OP_NONE;
  if (!ok)
    {
      if (data->invocation != NULL)
        g_dbus_method_invocation_return_gerror (data->invocation, local_error);
      else
        {
          /* The policy's Reset failed: keep the halted guest for a look. */
          g_warning (_ ("domain '%s': %s"), hull_domain_name_of (self), local_error->message);
          set_state (self, HULL_DOMAIN_STATE_PAUSED, HULL_DOMAIN_REASON_HALTED);
          emit (self, HULL_DOMAIN_EVENT_SUSPENDED, HULL_EVENT_SUSPENDED_PAUSED);
        }
      handle_pending_halt (self);
      return;
    }
  set_state (self, data->state, data->reason);
  if (data->event >= 0)
    emit (self, data->event, data->detail);
  if (data->invocation != NULL)
    g_dbus_method_invocation_return_value (data->invocation, NULL);
  handle_pending_halt (self);
}

/* Calls @call on the worker; on success the domain goes to @state/@reason
 * and emits @event/@detail (event -1: none). */
static void
worker_call (HullDomain *self, WorkerCall call, GDBusMethodInvocation *invocation,
             HullDomainState state, HullDomainStateReason reason, int event, int detail)
{
  HullDBusWorker *proxy = hull_worker_client_get_proxy (self->worker);
  g_autoptr (GVariant) options = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));
  CallData *data = g_new0 (CallData, 1);

  data->self = g_object_ref (self);
  data->worker = g_object_ref (self->worker);
  data->invocation = invocation;
  data->call = call;
  data->state = state;
  data->reason = reason;
  data->event = event;
  data->detail = detail;
  self->op = OP_CALL;

  switch (call)
    {
      case CALL_PAUSE:
        hull_dbus_worker_call_pause (proxy, options, NULL, worker_call_done, data);
        break;
      case CALL_RESUME:
        hull_dbus_worker_call_resume (proxy, options, NULL, worker_call_done, data);
        break;
      case CALL_RESET:
        hull_dbus_worker_call_reset (proxy, options, NULL, worker_call_done, data);
        break;
      case CALL_CLEAR_HALT:
        hull_dbus_worker_call_clear_halt (proxy, options, NULL, worker_call_done, data);
        break;
    }
}

/* ---- the lifecycle policy (hull-lifecycle-policy.c) -------------------- */

/* Carries out what the policy decided; @invocation (nullable: a halt) is
 * answered when it is done. */
static void
carry_out (HullDomain *self, const HullLifecycleOutcome *outcome, GDBusMethodInvocation *invocation)
{
  if (outcome->announce_crash)
    emit (self, HULL_DOMAIN_EVENT_CRASHED, HULL_EVENT_CRASHED_PANICKED);
  switch (outcome->step)
    {
      case HULL_LIFECYCLE_STEP_STOP:
        stop_worker (self, outcome->reason, outcome->detail, invocation);
        break;
      case HULL_LIFECYCLE_STEP_RESET:
        worker_call (self, CALL_RESET, invocation, outcome->state, outcome->reason, outcome->event,
                     outcome->detail);
        break;
      case HULL_LIFECYCLE_STEP_PAUSE:
        worker_call (self, CALL_PAUSE, invocation, outcome->state, outcome->reason, outcome->event,
                     outcome->detail);
        break;
      case HULL_LIFECYCLE_STEP_KEEP:
        set_state (self, outcome->state, outcome->reason);
        if (outcome->event >= 0)
          emit (self, outcome->event, outcome->detail);
        if (invocation != NULL)
          g_dbus_method_invocation_return_value (invocation, NULL);
        break;
    }
}

static void
apply_halt (HullDomain *self, const char *kind)
{
  HullLifecycleOutcome outcome;

  g_assert (self->worker != NULL && self->op == OP_NONE);

  /* A kind this hulld does not know (a newer worker): keep it for a look. */
  if (!hull_lifecycle_policy_for_halt (hull_domain_current_def (self), kind, &outcome))
    g_warning (_ ("domain '%s': unknown halt '%s'"), hull_domain_name_of (self), kind);
  carry_out (self, &outcome, NULL);
}

static void
on_worker_halted (HullWorkerClient *worker, const char *kind, const char *description,
                  gpointer user_data)
{
  HullDomain *self = user_data;

  g_message (_ ("domain '%s' halted: %s"), hull_domain_name_of (self),
             description != NULL && *description != '\0' ? description : kind);
  switch (self->op)
    {
      case OP_NONE:
        apply_halt (self, kind);
        break;
      case OP_SHUTDOWN_WAIT:
        /* What Shutdown waited for (or near enough): stop it now. */
        stop_worker (self, HULL_DOMAIN_REASON_SHUTDOWN, HULL_EVENT_STOPPED_SHUTDOWN, NULL);
        break;
      case OP_STOPPING:
        break;
      case OP_REATTACH:
      case OP_STARTING:
      case OP_CALL:
        g_free (self->pending_halt);
        self->pending_halt = g_strdup (kind);
        break;
    }
}

static void
on_worker_closed (HullWorkerClient *worker, gboolean expected, gpointer user_data)
{
  HullDomain *self = user_data;
  g_autoptr (GError) error = NULL;

  /* Stopping: worker_stopped() finishes the job. */
  if (expected || self->op == OP_STOPPING)
    return;

  g_warning (_ ("the worker of domain '%s' died; see %s/%s.log"), hull_domain_name_of (self),
             self->log_dir, self->def->uuid);
  drop_worker (self, FALSE);
  /* A start in progress fails on its own (its call to the worker fails). */
  if (self->op == OP_STARTING)
    return;
  if (self->op == OP_SHUTDOWN_WAIT)
    {
      g_clear_handle_id (&self->shutdown_timer, g_source_remove);
      error = g_error_new (HULL_ERROR, HULL_ERROR_FAILED, _ ("the worker of domain '%s' died"),
                           hull_domain_name_of (self));
    }
  self->op = OP_NONE;
  set_state (self, HULL_DOMAIN_STATE_CRASHED, HULL_DOMAIN_REASON_WORKER_FAILED);
  emit (self, HULL_DOMAIN_EVENT_CRASHED, HULL_EVENT_CRASHED_WORKER_FAILED);
  if (error != NULL)
    finish_stop_invocations (self, error);
  if (!self->record.persistent)
    gone (self);
}

/* ---- Start ----------------------------------------------------------- */

/* The definition a start runs: a copy, so a redefinition while it runs
 * leaves it alone. Canonical XML round-trips (tests/xml), so the parse
 * fails only if that is broken. */
static HullDomainDef *
copy_def (const HullDomainDef *def, GError **error)
{
  g_autofree char *xml = hull_domain_def_format (def);

  return hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, error);
}

static void
start_failed (HullDomain *self, GTask *task, GError *error)
{
  drop_worker (self, TRUE);
  self->op = OP_NONE;
  set_state (self, HULL_DOMAIN_STATE_SHUTOFF, HULL_DOMAIN_REASON_FAILED);
  emit (self, HULL_DOMAIN_EVENT_STOPPED, HULL_EVENT_STOPPED_FAILED);
  g_task_return_error (task, error);
  if (!self->record.persistent)
    gone (self);
}

static void
worker_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HullDomain *self = g_task_get_source_object (task);
  HullWorkerClient *worker = g_task_get_task_data (task);
  GError *local_error = NULL;

  if (!hull_dbus_worker_call_start_finish (HULL_DBUS_WORKER (source), result, &local_error))
    {
      g_dbus_error_strip_remote_error (local_error);
      start_failed (self, task, local_error);
      return;
    }
  if (self->worker != worker)
    {
      start_failed (self, task,
                    g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                                 _ ("the worker of domain '%s' died while starting"),
                                 hull_domain_name_of (self)));
      return;
    }
  self->op = OP_NONE;
  set_state (self, self->start_paused ? HULL_DOMAIN_STATE_PAUSED : HULL_DOMAIN_STATE_RUNNING,
             self->start_paused ? HULL_DOMAIN_REASON_STARTING_UP : HULL_DOMAIN_REASON_BOOTED);
  emit (self, HULL_DOMAIN_EVENT_STARTED, HULL_EVENT_STARTED_BOOTED);
  if (self->start_paused)
    emit (self, HULL_DOMAIN_EVENT_SUSPENDED, HULL_EVENT_SUSPENDED_PAUSED);
  g_task_return_boolean (task, TRUE);
  handle_pending_halt (self);
}

static void
worker_spawned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HullDomain *self = g_task_get_source_object (task);
  g_autoptr (GVariant) options = NULL;
  GError *local_error = NULL;
  HullWorkerClient *worker;

  worker = hull_worker_client_spawn_finish (result, &local_error);
  if (worker == NULL)
    {
      start_failed (self, task, local_error);
      return;
    }
  take_worker (self, worker);
  g_task_set_task_data (task, g_object_ref (worker), g_object_unref);

  options = g_variant_ref_sink (
      g_variant_new_parsed ("{'paused': <%b>}", (gboolean)self->start_paused));
  hull_dbus_worker_call_start (hull_worker_client_get_proxy (worker), options, NULL, worker_started,
                               g_steal_pointer (&task));
}

static gboolean
has_serial_port_0 (const HullDomainDef *def)
{
  for (guint i = 0; def->serials != NULL && i < def->serials->len; i++)
    if (((const HullChardevDef *)g_ptr_array_index (def->serials, i))->port == 0)
      return TRUE;
  return FALSE;
}

static gboolean
check_idle (HullDomain *self, GError **error)
{
  if (self->op != OP_NONE)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                   _ ("an operation is in progress on domain '%s'"), hull_domain_name_of (self));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_startable (HullDomain *self, GError **error)
{
  if (!check_idle (self, error))
    return FALSE;
  if (self->worker != NULL && self->record.state == HULL_DOMAIN_STATE_CRASHED)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                   _ ("domain '%s' keeps its crashed guest for inspection; destroy it first"),
                   hull_domain_name_of (self));
      return FALSE;
    }
  if (self->worker != NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                   _ ("domain '%s' is already running"), hull_domain_name_of (self));
      return FALSE;
    }
  return TRUE;
}

/* The speed hulld's probe found for @backend ("hardware", "emulated"), or
 * NULL (unknown, unavailable): the worker then probes itself. */
static const char *
backend_speed (HullDomain *self, const char *backend)
{
  g_autoptr (GPtrArray) backends = NULL;

  if (self->loader == NULL)
    return NULL;
  backends = hull_backend_loader_list (self->loader);
  for (guint i = 0; i < backends->len; i++)
    {
      const HullBackendInfo *info = g_ptr_array_index (backends, i);

      if (g_strcmp0 (info->name, backend) == 0)
        return info->available && info->speed != HULL_EXECUTION_UNKNOWN
                   ? hull_capabilities_speed_to_string (info->speed)
                   : NULL;
    }
  return NULL;
}

void
hull_domain_start_async (HullDomain *self, HullDomainDef *live_def, gboolean paused,
                         GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (HullDomainDef) owned_def = live_def;
  g_autoptr (GTask) task = NULL;
  g_autofree char *xml_path = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *console_log_path = NULL;
  g_autofree char *log_base = NULL;
  g_autofree char *console_base = NULL;
  HullWorkerSpawnOptions options = { 0 };
  const char *backend;
  GError *local_error = NULL;

  g_return_if_fail (HULL_IS_DOMAIN (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, hull_domain_start_async);
  if (!check_startable (self, &local_error))
    {
      g_task_return_error (task, local_error);
      return;
    }
  self->live_def
      = owned_def != NULL ? g_steal_pointer (&owned_def) : copy_def (self->def, &local_error);
  if (self->live_def == NULL
      || !hull_domain_store_save_live (self->store, self->live_def, &self->record, &local_error))
    {
      g_clear_pointer (&self->live_def, hull_domain_def_free);
      g_prefix_error (&local_error, _ ("cannot start domain '%s': "), hull_domain_name_of (self));
      start_failed (self, task, local_error);
      return;
    }
  self->op = OP_STARTING;
  self->start_paused = paused;

  log_base = g_strconcat (self->def->uuid, ".log", NULL);
  console_base = g_strconcat (self->def->uuid, ".console.log", NULL);
  xml_path = hull_domain_store_get_live_def_path (self->store, self->def->uuid);
  log_path = g_build_filename (self->log_dir, log_base, NULL);
  console_log_path = g_build_filename (self->log_dir, console_base, NULL);
  options.worker_path = self->worker_path;
  options.uuid = self->def->uuid;
  options.xml_path = xml_path;
  options.runtime_dir = self->runtime_dir;
  options.log_path = log_path;
  /* The console log is serial port 0's; without one there is none. */
  options.console_log_path = has_serial_port_0 (self->live_def) ? console_log_path : NULL;
  options.backend = NULL;
  options.backend_dir = self->backend_dir;
  /* Privilege separation (docs/policy.md): the worker runs as the owner
   * (system mode) and gets what it may not open itself. */
  options.name = hull_domain_name_of (self);
  options.system = self->system;
  options.owner = self->record.owner;
  options.kernel_path = self->live_def->kernel;
  options.initrd_path = self->live_def->initrd;
  backend = hull_domain_type_to_string (self->live_def->type);
  options.kvm_device = g_strcmp0 (backend, "kvm") == 0 ? "/dev/kvm" : NULL;
  options.speed = backend_speed (self, backend);
  g_message (_ ("starting domain '%s'"), hull_domain_name_of (self));
  hull_worker_client_spawn_async (&options, NULL, worker_spawned, g_steal_pointer (&task));
}

gboolean
hull_domain_start_finish (HullDomain *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- reattach --------------------------------------------------------- */

static void
worker_attached (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HullDomain *self = g_task_get_source_object (task);
  g_autoptr (GError) local_error = NULL;
  HullWorkerClient *worker;
  HullDomainRecord *was = g_task_get_task_data (task);
  const char *worker_state;

  self->op = OP_NONE;
  worker = hull_worker_client_attach_finish (result, &local_error);
  if (worker == NULL)
    {
      g_warning (_ ("domain '%s' was running, but its worker is gone: %s"),
                 hull_domain_name_of (self), local_error->message);
      drop_worker (self, FALSE);
      set_state (self, HULL_DOMAIN_STATE_CRASHED, HULL_DOMAIN_REASON_WORKER_FAILED);
      emit (self, HULL_DOMAIN_EVENT_CRASHED, HULL_EVENT_CRASHED_WORKER_FAILED);
      g_task_return_boolean (task, TRUE);
      if (!self->record.persistent)
        gone (self);
      return;
    }
  take_worker (self, worker);
  worker_state = hull_dbus_worker_get_state (hull_worker_client_get_proxy (worker));
  g_message (_ ("domain '%s': reattached to its worker (pid %d, %s)"), hull_domain_name_of (self),
             (int)hull_worker_client_get_pid (worker), worker_state);

  if (g_strcmp0 (worker_state, "running") == 0)
    set_state (self, HULL_DOMAIN_STATE_RUNNING,
               was->state == HULL_DOMAIN_STATE_RUNNING ? was->reason : HULL_DOMAIN_REASON_UNPAUSED);
  else if (g_strcmp0 (worker_state, "paused") == 0)
    set_state (self, HULL_DOMAIN_STATE_PAUSED,
               was->state == HULL_DOMAIN_STATE_PAUSED && was->reason != HULL_DOMAIN_REASON_HALTED
                   ? was->reason
                   : HULL_DOMAIN_REASON_USER);
  else if (g_strcmp0 (worker_state, "halted") == 0)
    {
      gboolean preserved
          = (was->state == HULL_DOMAIN_STATE_PAUSED && was->reason == HULL_DOMAIN_REASON_HALTED)
            || (was->state == HULL_DOMAIN_STATE_CRASHED
                && was->reason == HULL_DOMAIN_REASON_PANICKED);

      if (preserved)
        set_state (self, was->state, was->reason);
      else
        {
          /* It halted while no hulld was there to apply the policy. */
          const char *kind = hull_dbus_worker_get_halt_kind (hull_worker_client_get_proxy (worker));

          set_state (self, HULL_DOMAIN_STATE_RUNNING,
                     was->state == HULL_DOMAIN_STATE_RUNNING ? was->reason
                                                             : HULL_DOMAIN_REASON_BOOTED);
          /* No kind (cannot happen): apply_halt() keeps it for a look. */
          apply_halt (self, kind != NULL ? kind : "");
        }
    }
  else
    {
      /* "created": the earlier hulld went away while starting it. */
      g_warning (_ ("domain '%s': its worker was never started; stopping it"),
                 hull_domain_name_of (self));
      stop_worker (self, HULL_DOMAIN_REASON_FAILED, HULL_EVENT_STOPPED_FAILED, NULL);
    }
  g_task_return_boolean (task, TRUE);
}

void
hull_domain_reattach_async (HullDomain *self, HullDomainDef *live_def,
                            const HullDomainRecord *record, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (HULL_IS_DOMAIN (self));
  g_return_if_fail (self->op == OP_NONE && self->worker == NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, hull_domain_reattach_async);
  g_task_set_task_data (task, g_memdup2 (record, sizeof *record), g_free);

  g_clear_pointer (&self->live_def, hull_domain_def_free);
  self->live_def = live_def;
  self->op = OP_REATTACH;
  /* Until the worker answers, show what the record says. */
  self->record.state = record->state;
  self->record.reason = record->reason;
  sync_properties (self);
  hull_worker_client_attach_async (self->runtime_dir, self->def->uuid, NULL, worker_attached,
                                   g_steal_pointer (&task));
}

void
hull_domain_reattach_finish (HullDomain *self, GAsyncResult *result)
{
  g_return_if_fail (g_task_is_valid (result, self));
  g_task_propagate_boolean (G_TASK (result), NULL);
}

/* ---- method handlers -------------------------------------------------- */

/* Whether the caller may do @action to this domain (hull-authority.h):
 * %FALSE while that is decided, and the handler returns; once allowed, it
 * runs again from the top and gets past this. */
gboolean
hull_domain_authorize (HullDomain *self, GDBusMethodInvocation *invocation, GVariant *options,
                       HullAction action)
{
  const HullAuthorityTarget target
      = { hull_domain_name_of (self), self->def->uuid, self->record.owner };

  return hull_authority_authorize (self->authority, G_DBUS_INTERFACE_SKELETON (self), invocation,
                                   options, action, &target, FALSE);
}

/* Answers with InvalidState unless the domain is idle with a worker. */
static gboolean
check_running (HullDomain *self, GDBusMethodInvocation *invocation)
{
  GError *local_error = NULL;

  if (!check_idle (self, &local_error))
    {
      g_dbus_method_invocation_take_error (invocation, local_error);
      return FALSE;
    }
  if (self->worker == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                                             _ ("domain '%s' is not running"),
                                             hull_domain_name_of (self));
      return FALSE;
    }
  return TRUE;
}

static void
started_for_invocation (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  GError *local_error = NULL;

  if (hull_domain_start_finish (HULL_DOMAIN (source), result, &local_error))
    g_dbus_method_invocation_return_value (invocation, NULL);
  else
    g_dbus_method_invocation_take_error (invocation, local_error);
}

static gboolean
handle_start (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  static const HullDBusOption allowed[] = { { "paused", "b" } };
  HullDomain *self = HULL_DOMAIN (object);
  GError *local_error = NULL;

  CHECK_OPTIONS (allowed, "Start");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  /* Not running already first, then the owner's quota. */
  if (!check_startable (self, &local_error)
      || (self->callbacks.check_start != NULL
          && !self->callbacks.check_start (self, &local_error, self->callbacks.user_data)))
    {
      g_dbus_method_invocation_take_error (invocation, local_error);
      return TRUE;
    }
  hull_domain_start_async (self, NULL, hull_dbus_option_boolean (options, "paused", FALSE),
                           started_for_invocation, invocation);
  return TRUE;
}

static gboolean
shutdown_timeout (gpointer user_data)
{
  HullDomain *self = user_data;

  self->shutdown_timer = 0;
  g_message (_ ("domain '%s' did not power off in time; stopping it"), hull_domain_name_of (self));
  stop_worker (self, HULL_DOMAIN_REASON_SHUTDOWN, HULL_EVENT_STOPPED_SHUTDOWN, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
handle_shutdown (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  static const HullDBusOption allowed[] = { { "timeout", "u" } };
  HullDomain *self = HULL_DOMAIN (object);
  guint32 timeout;

  CHECK_OPTIONS (allowed, "Shutdown");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!check_running (self, invocation))
    return TRUE;
  timeout = hull_dbus_option_uint32 (options, "timeout", 0);
  if (timeout == 0)
    {
      stop_worker (self, HULL_DOMAIN_REASON_SHUTDOWN, HULL_EVENT_STOPPED_SHUTDOWN, invocation);
      return TRUE;
    }
  g_ptr_array_add (self->stop_invocations, invocation);
  self->op = OP_SHUTDOWN_WAIT;
  /* Milliseconds, not g_timeout_add_seconds(): that one may fire up to a
   * second early, and the guest is promised the whole timeout. */
  self->shutdown_timer
      = g_timeout_add_full (G_PRIORITY_DEFAULT, MIN (timeout, G_MAXUINT / 1000) * 1000,
                            shutdown_timeout, g_object_ref (self), g_object_unref);
  return TRUE;
}

static gboolean
handle_destroy (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);

  CHECK_NO_OPTIONS ("Destroy");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  /* Destroy cuts a Shutdown's wait short; that Shutdown succeeds with it. */
  if (self->op == OP_SHUTDOWN_WAIT)
    {
      stop_worker (self, HULL_DOMAIN_REASON_DESTROYED, HULL_EVENT_STOPPED_DESTROYED, invocation);
      return TRUE;
    }
  if (!check_running (self, invocation))
    return TRUE;
  stop_worker (self, HULL_DOMAIN_REASON_DESTROYED, HULL_EVENT_STOPPED_DESTROYED, invocation);
  return TRUE;
}

static gboolean
handle_reboot (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);
  HullLifecycleOutcome outcome;

  CHECK_NO_OPTIONS ("Reboot");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!check_running (self, invocation))
    return TRUE;
  if (self->record.state != HULL_DOMAIN_STATE_RUNNING
      && self->record.state != HULL_DOMAIN_STATE_PAUSED)
    RETURN_INVALID_STATE (_ ("domain '%s' is not running"));
  hull_lifecycle_policy_for_reboot (self->live_def, &outcome);
  carry_out (self, &outcome, invocation);
  return TRUE;
}

static gboolean
handle_reset (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);

  CHECK_NO_OPTIONS ("Reset");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!check_running (self, invocation))
    return TRUE;
  worker_call (self, CALL_RESET, invocation, HULL_DOMAIN_STATE_RUNNING, HULL_DOMAIN_REASON_REBOOTED,
               -1, 0);
  return TRUE;
}

static gboolean
handle_pause (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);

  CHECK_NO_OPTIONS ("Pause");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!check_running (self, invocation))
    return TRUE;
  if (self->record.state == HULL_DOMAIN_STATE_PAUSED)
    RETURN_INVALID_STATE (_ ("domain '%s' is already paused"));
  if (self->record.state != HULL_DOMAIN_STATE_RUNNING)
    RETURN_INVALID_STATE (_ ("domain '%s' is not running"));
  worker_call (self, CALL_PAUSE, invocation, HULL_DOMAIN_STATE_PAUSED, HULL_DOMAIN_REASON_USER,
               HULL_DOMAIN_EVENT_SUSPENDED, HULL_EVENT_SUSPENDED_PAUSED);
  return TRUE;
}

static gboolean
handle_resume (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);

  CHECK_NO_OPTIONS ("Resume");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!check_running (self, invocation))
    return TRUE;
  if (self->record.state == HULL_DOMAIN_STATE_PAUSED
      && self->record.reason == HULL_DOMAIN_REASON_HALTED)
    RETURN_INVALID_STATE (_ ("domain '%s' is stopped by a halt; use ClearHalt to let it "
                             "run again"));
  if (self->record.state != HULL_DOMAIN_STATE_PAUSED)
    RETURN_INVALID_STATE (_ ("domain '%s' is not paused"));
  worker_call (self, CALL_RESUME, invocation, HULL_DOMAIN_STATE_RUNNING,
               HULL_DOMAIN_REASON_UNPAUSED, HULL_DOMAIN_EVENT_RESUMED, HULL_EVENT_RESUMED_UNPAUSED);
  return TRUE;
}

static gboolean
handle_clear_halt (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);
  gboolean halted;

  CHECK_NO_OPTIONS ("ClearHalt");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!check_running (self, invocation))
    return TRUE;
  halted = (self->record.state == HULL_DOMAIN_STATE_PAUSED
            && self->record.reason == HULL_DOMAIN_REASON_HALTED)
           || (self->record.state == HULL_DOMAIN_STATE_CRASHED
               && self->record.reason == HULL_DOMAIN_REASON_PANICKED);
  if (!halted)
    RETURN_INVALID_STATE (_ ("domain '%s' is not halted"));
  worker_call (self, CALL_CLEAR_HALT, invocation, HULL_DOMAIN_STATE_RUNNING,
               HULL_DOMAIN_REASON_HALT_CLEARED, HULL_DOMAIN_EVENT_RESUMED,
               HULL_EVENT_RESUMED_UNPAUSED);
  return TRUE;
}

static gboolean
handle_undefine (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);
  GError *local_error = NULL;

  CHECK_NO_OPTIONS ("Undefine");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!self->record.persistent)
    RETURN_INVALID_STATE (_ ("domain '%s' is transient: nothing to undefine"));
  if (!hull_domain_store_delete (self->store, self->def->uuid, &local_error))
    {
      g_dbus_method_invocation_take_error (invocation, local_error);
      return TRUE;
    }
  self->record.persistent = FALSE;
  self->record.autostart = FALSE;
  save_record (self);
  sync_properties (self);
  emit (self, HULL_DOMAIN_EVENT_UNDEFINED, HULL_EVENT_UNDEFINED_REMOVED);
  hull_dbus_domain_complete_undefine (object, invocation);
  if (self->worker == NULL && self->op == OP_NONE)
    gone (self);
  return TRUE;
}

static gboolean
handle_set_autostart (HullDBusDomain *object, GDBusMethodInvocation *invocation, gboolean autostart,
                      GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);
  GError *local_error = NULL;

  CHECK_NO_OPTIONS ("SetAutostart");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!self->record.persistent)
    RETURN_INVALID_STATE (_ ("domain '%s' is transient: it cannot autostart"));
  if (!hull_domain_store_set_autostart (self->store, self->def->uuid, autostart, &local_error))
    {
      g_dbus_method_invocation_take_error (invocation, local_error);
      return TRUE;
    }
  self->record.autostart = autostart;
  save_record (self);
  sync_properties (self);
  hull_dbus_domain_complete_set_autostart (object, invocation);
  return TRUE;
}

static void
hull_domain_iface_init (HullDBusDomainIface *iface)
{
  iface->handle_start = handle_start;
  iface->handle_shutdown = handle_shutdown;
  iface->handle_destroy = handle_destroy;
  iface->handle_reboot = handle_reboot;
  iface->handle_reset = handle_reset;
  iface->handle_pause = handle_pause;
  iface->handle_resume = handle_resume;
  iface->handle_clear_halt = handle_clear_halt;
  iface->handle_undefine = handle_undefine;
  iface->handle_set_autostart = handle_set_autostart;
  /* The read-only methods: hull-domain-queries.c. */
  hull_domain_queries_iface_init (iface);
}

/* ---- the object ------------------------------------------------------- */

static void
hull_domain_dispose (GObject *object)
{
  HullDomain *self = HULL_DOMAIN (object);

  /* A running worker outlives hulld: let go of it without stopping it. */
  if (self->worker != NULL)
    {
      g_clear_signal_handler (&self->halted_id, self->worker);
      g_clear_signal_handler (&self->closed_id, self->worker);
      g_clear_object (&self->worker);
    }
  g_clear_handle_id (&self->shutdown_timer, g_source_remove);
  g_clear_object (&self->store);
  g_clear_object (&self->authority);
  G_OBJECT_CLASS (hull_domain_parent_class)->dispose (object);
}

static void
hull_domain_finalize (GObject *object)
{
  HullDomain *self = HULL_DOMAIN (object);

  g_assert (self->stop_invocations == NULL || self->stop_invocations->len == 0);
  g_clear_pointer (&self->stop_invocations, g_ptr_array_unref);
  g_free (self->worker_path);
  g_free (self->runtime_dir);
  g_free (self->log_dir);
  g_free (self->backend_dir);
  g_clear_pointer (&self->loader, hull_backend_loader_unref);
  g_free (self->path);
  g_free (self->pending_halt);
  hull_domain_def_free (self->def);
  hull_domain_def_free (self->live_def);
  G_OBJECT_CLASS (hull_domain_parent_class)->finalize (object);
}

static void
hull_domain_class_init (HullDomainClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hull_domain_dispose;
  object_class->finalize = hull_domain_finalize;

  /* A worker's errors come back as HULL_ERROR codes only once the domain
   * is registered with GDBus, which its first use does: make sure it is
   * used before any worker can answer. */
  (void)hull_error_quark ();
}

static void
hull_domain_init (HullDomain *self)
{
  self->stop_invocations = g_ptr_array_new ();
}

HullDomain *
hull_domain_new (HullDomainStore *store, const HullDomainEnv *env,
                 const HullDomainCallbacks *callbacks, HullDomainDef *def,
                 const HullDomainRecord *record)
{
  HullDomain *self;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), NULL);
  g_return_val_if_fail (env != NULL && callbacks != NULL && record != NULL, NULL);
  g_return_val_if_fail (HULL_IS_AUTHORITY (env->authority), NULL);
  g_return_val_if_fail (def != NULL && def->uuid != NULL, NULL);

  self = g_object_new (HULL_TYPE_DOMAIN, NULL);
  self->store = g_object_ref (store);
  self->authority = g_object_ref (env->authority);
  self->worker_path = g_strdup (env->worker_path);
  self->runtime_dir = g_strdup (env->runtime_dir);
  self->log_dir = g_strdup (env->log_dir);
  self->backend_dir = g_strdup (env->backend_dir);
  self->system = env->system;
  self->loader = env->loader != NULL ? hull_backend_loader_ref (env->loader) : NULL;
  self->callbacks = *callbacks;
  self->def = def;
  self->record = *record;
  self->path = hull_dbus_domain_path (def->uuid);
  hull_dbus_domain_set_uuid (HULL_DBUS_DOMAIN (self), def->uuid);
  sync_properties (self);
  return self;
}

void
hull_domain_detach (HullDomain *self)
{
  g_return_if_fail (HULL_IS_DOMAIN (self));
  memset (&self->callbacks, 0, sizeof self->callbacks);
}

const char *
hull_domain_get_object_path (HullDomain *self)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), NULL);
  return self->path;
}

const char *
hull_domain_get_name (HullDomain *self)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), NULL);
  return self->def->name;
}

const char *
hull_domain_get_uuid (HullDomain *self)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), NULL);
  return self->def->uuid;
}

HullDomainState
hull_domain_get_state (HullDomain *self)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), HULL_DOMAIN_STATE_SHUTOFF);
  return self->record.state;
}

gboolean
hull_domain_is_active (HullDomain *self)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), FALSE);
  return self->record.state == HULL_DOMAIN_STATE_RUNNING
         || self->record.state == HULL_DOMAIN_STATE_PAUSED;
}

gboolean
hull_domain_get_persistent (HullDomain *self)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), FALSE);
  return self->record.persistent;
}

gboolean
hull_domain_get_autostart (HullDomain *self)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), FALSE);
  return self->record.autostart;
}

guint32
hull_domain_get_owner (HullDomain *self)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), 0);
  return self->record.owner;
}

gboolean
hull_domain_get_live_size (HullDomain *self, guint *vcpus, guint64 *memory)
{
  g_return_val_if_fail (HULL_IS_DOMAIN (self), FALSE);

  if (self->live_def == NULL)
    return FALSE;
  *vcpus = self->live_def->vcpus;
  *memory = self->live_def->memory;
  return TRUE;
}

void
hull_domain_get_size (HullDomain *self, guint *vcpus, guint64 *memory)
{
  g_return_if_fail (HULL_IS_DOMAIN (self));

  *vcpus = self->def->vcpus;
  *memory = self->def->memory;
}

gboolean
hull_domain_redefine (HullDomain *self, HullDomainDef *def, GError **error)
{
  g_autoptr (HullDomainDef) owned = def;
  gboolean was_persistent;

  g_return_val_if_fail (HULL_IS_DOMAIN (self), FALSE);
  g_return_val_if_fail (def != NULL, FALSE);
  g_return_val_if_fail (g_strcmp0 (def->uuid, self->def->uuid) == 0, FALSE);
  g_return_val_if_fail (g_strcmp0 (def->name, self->def->name) == 0, FALSE);

  if (!hull_domain_store_save (self->store, def, self->record.owner, error))
    return FALSE;
  /* A running transient domain becomes persistent: so must its mark. */
  was_persistent = self->record.persistent;
  hull_domain_def_free (self->def);
  self->def = g_steal_pointer (&owned);
  self->record.persistent = TRUE;
  self->record.autostart = hull_domain_store_get_autostart (self->store, self->def->uuid);
  save_record (self);
  sync_properties (self);
  emit (self, HULL_DOMAIN_EVENT_DEFINED,
        was_persistent ? HULL_EVENT_DEFINED_UPDATED : HULL_EVENT_DEFINED_ADDED);
  return TRUE;
}
