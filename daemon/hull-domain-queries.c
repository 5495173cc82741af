/* hull-domain-queries.c — a domain's read-only methods (hull-domain.h,
 * docs/dbus-api.md): GetXMLDesc, answered from the definition, and
 * OpenConsole, Inspect and GetStats, forwarded to the worker (GetStats adds
 * hulld's own statistics, and answers with those alone when no worker
 * runs). They change nothing about the domain, so they are allowed
 * whatever operation is in progress, except while its worker starts or
 * stops. Part of HullDomain (hull-domain-private.h).
 */
#include "config.h"

#include "hull-domain.h"
#include "hull-domain-private.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-worker-client.h"

static gboolean
handle_get_xmldesc (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  static const HullDBusOption allowed[] = { { "inactive", "b" } };
  HullDomain *self = HULL_DOMAIN (object);
  g_autofree char *xml = NULL;

  CHECK_OPTIONS (allowed, "GetXMLDesc");
  AUTHORIZE (HULL_ACTION_READ);
  if (hull_dbus_option_boolean (options, "inactive", FALSE))
    {
      if (!self->record.persistent)
        RETURN_INVALID_STATE (_ ("domain '%s' is transient: it has no stored definition"));
      xml = hull_domain_def_format (self->def);
    }
  else
    xml = hull_domain_def_format (hull_domain_current_def (self));
  hull_dbus_domain_complete_get_xmldesc (object, invocation, xml);
  return TRUE;
}

/* Read-only calls forwarded to the worker: allowed whatever runs. */
static gboolean
check_worker (HullDomain *self, GDBusMethodInvocation *invocation)
{
  if (self->worker == NULL || self->op == OP_STARTING || self->op == OP_STOPPING)
    {
      g_dbus_method_invocation_return_error (invocation, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                                             _ ("domain '%s' is not running"),
                                             hull_domain_name_of (self));
      return FALSE;
    }
  return TRUE;
}

static void
console_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HullDomain *self = g_task_get_source_object (task);
  GDBusMethodInvocation *invocation = g_task_get_task_data (task);
  g_autoptr (GVariant) fd = NULL;
  g_autoptr (GUnixFDList) fd_list = NULL;
  GError *local_error = NULL;

  if (!hull_dbus_worker_call_open_console_finish (HULL_DBUS_WORKER (source), &fd, &fd_list, result,
                                                  &local_error))
    {
      g_dbus_error_strip_remote_error (local_error);
      g_dbus_method_invocation_take_error (invocation, local_error);
      g_task_return_boolean (task, FALSE);
      return;
    }
  hull_dbus_domain_complete_open_console (HULL_DBUS_DOMAIN (self), invocation, fd_list, fd);
  g_task_return_boolean (task, TRUE);
}

/* The GTasks below only keep the domain alive and carry the invocation
 * (not referenced: it is answered exactly once). */
static GTask *
forward_task (HullDomain *self, GDBusMethodInvocation *invocation)
{
  GTask *task = g_task_new (self, NULL, NULL, NULL);

  g_task_set_task_data (task, invocation, NULL);
  return task;
}

static gboolean
handle_open_console (HullDBusDomain *object, GDBusMethodInvocation *invocation,
                     GUnixFDList *fd_list, GVariant *options)
{
  static const HullDBusOption allowed[]
      = { { "port", "u" }, { "read-only", "b" }, { "force", "b" } };
  HullDomain *self = HULL_DOMAIN (object);

  CHECK_OPTIONS (allowed, "OpenConsole");
  AUTHORIZE (HULL_ACTION_MANAGE_OWN);
  if (!check_worker (self, invocation))
    return TRUE;
  hull_dbus_worker_call_open_console (hull_worker_client_get_proxy (self->worker), options, NULL,
                                      NULL, console_opened, forward_task (self, invocation));
  return TRUE;
}

static void
inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HullDomain *self = g_task_get_source_object (task);
  GDBusMethodInvocation *invocation = g_task_get_task_data (task);
  g_autoptr (GVariant) tree = NULL;
  GError *local_error = NULL;

  if (!hull_dbus_worker_call_inspect_finish (HULL_DBUS_WORKER (source), &tree, result,
                                             &local_error))
    {
      g_dbus_error_strip_remote_error (local_error);
      g_dbus_method_invocation_take_error (invocation, local_error);
    }
  else
    hull_dbus_domain_complete_inspect (HULL_DBUS_DOMAIN (self), invocation, tree);
  g_task_return_boolean (task, TRUE);
}

static gboolean
handle_inspect (HullDBusDomain *object, GDBusMethodInvocation *invocation, const char *path,
                GVariant *options)
{
  static const HullDBusOption allowed[] = { { "depth", "u" } };
  HullDomain *self = HULL_DOMAIN (object);

  CHECK_OPTIONS (allowed, "Inspect");
  AUTHORIZE (HULL_ACTION_READ);
  if (!check_worker (self, invocation))
    return TRUE;
  hull_dbus_worker_call_inspect (hull_worker_client_get_proxy (self->worker), path, options, NULL,
                                 inspected, forward_task (self, invocation));
  return TRUE;
}

/* hulld's own statistics; they win over the worker's of the same name. */
static void
add_own_stats (HullDomain *self, GVariantDict *dict)
{
  const HullDomainDef *def = hull_domain_current_def (self);

  g_variant_dict_insert (dict, "state", "s", hull_domain_state_to_string (self->record.state));
  g_variant_dict_insert (dict, "state-reason", "s",
                         hull_domain_state_reason_to_string (self->record.reason));
  g_variant_dict_insert (dict, "owner", "u", self->record.owner);
  g_variant_dict_insert (dict, "vcpus", "u", def->vcpus);
  g_variant_dict_insert (dict, "memory", "t", def->memory);
  if (self->worker != NULL)
    {
      HullDBusWorker *proxy = hull_worker_client_get_proxy (self->worker);
      const char *halt_kind = hull_dbus_worker_get_halt_kind (proxy);
      const char *halt_description = hull_dbus_worker_get_halt_description (proxy);

      g_variant_dict_insert (dict, "pid", "u", (guint32)hull_worker_client_get_pid (self->worker));
      /* The last halt, as the worker published it. */
      if (halt_kind != NULL && *halt_kind != '\0')
        {
          g_variant_dict_insert (dict, "halt-kind", "s", halt_kind);
          g_variant_dict_insert (dict, "halt-description", "s",
                                 halt_description != NULL ? halt_description : "");
        }
    }
}

static void
got_stats (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  HullDomain *self = g_task_get_source_object (task);
  GDBusMethodInvocation *invocation = g_task_get_task_data (task);
  g_autoptr (GVariant) stats = NULL;
  GError *local_error = NULL;
  GVariantDict dict;

  if (!hull_dbus_worker_call_get_stats_finish (HULL_DBUS_WORKER (source), &stats, result,
                                               &local_error))
    {
      g_dbus_error_strip_remote_error (local_error);
      g_dbus_method_invocation_take_error (invocation, local_error);
      g_task_return_boolean (task, FALSE);
      return;
    }
  g_variant_dict_init (&dict, stats);
  add_own_stats (self, &dict);
  hull_dbus_domain_complete_get_stats (HULL_DBUS_DOMAIN (self), invocation,
                                       g_variant_dict_end (&dict));
  g_task_return_boolean (task, TRUE);
}

static gboolean
handle_get_stats (HullDBusDomain *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  HullDomain *self = HULL_DOMAIN (object);
  GVariantDict dict;

  CHECK_NO_OPTIONS ("GetStats");
  AUTHORIZE (HULL_ACTION_READ);
  if (self->worker != NULL && self->op != OP_STARTING && self->op != OP_STOPPING)
    {
      g_autoptr (GVariant) none = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));

      hull_dbus_worker_call_get_stats (hull_worker_client_get_proxy (self->worker), none, NULL,
                                       got_stats, forward_task (self, invocation));
      return TRUE;
    }
  g_variant_dict_init (&dict, NULL);
  add_own_stats (self, &dict);
  hull_dbus_domain_complete_get_stats (object, invocation, g_variant_dict_end (&dict));
  return TRUE;
}

void
hull_domain_queries_iface_init (HullDBusDomainIface *iface)
{
  iface->handle_get_xmldesc = handle_get_xmldesc;
  iface->handle_open_console = handle_open_console;
  iface->handle_inspect = handle_inspect;
  iface->handle_get_stats = handle_get_stats;
}
