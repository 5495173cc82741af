/* hull-daemon.c — the Manager, the domain table and start-up
 * (hull-daemon.h, docs/daemon.md, docs/dbus-api.md). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hull-authority.h"
#include "hull-backend-loader.h"
#include "hull-capabilities.h"
#include "hull-daemon.h"
#include "hull-dbus.h"
#include "hull-domain-store.h"
#include "hull-domain.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-key-record.h"
#include "hull-node-devices.h"

/* The largest domain XML a D-Bus caller may send. */
#define HULL_DAEMON_MAX_XML (G_GUINT64_CONSTANT (1) << 20)

struct _HullDaemon
{
  GObject parent_instance;

  GDBusConnection *connection;
  gboolean system;
  char *log_dir;
  char *backend_dir;
  char *worker_path;

  HullDomainStore *store;
  HullAuthority *authority;
  HullBackendLoader *loader;
  GDBusObjectManagerServer *object_manager;
  HullDBusManager *manager;

  GHashTable *by_uuid; /* owned uuid → HullDomain (ref) */
  GHashTable *by_name; /* owned name → HullDomain */
  GPtrArray *backend_paths;
  HullNodeDevices *node_devices; /* host devices, from start-up on */
};

G_DEFINE_FINAL_TYPE (HullDaemon, hull_daemon, G_TYPE_OBJECT)

/* ---- the domain table ----------------------------------------------- */

static void
on_domain_event (HullDomain *domain, HullDomainEvent event, int detail, gpointer user_data)
{
  HullDaemon *self = user_data;

  hull_dbus_manager_emit_domain_event (self->manager, hull_domain_get_object_path (domain),
                                       hull_domain_get_name (domain), event, detail);
}

static void
on_domain_gone (HullDomain *domain, gpointer user_data)
{
  HullDaemon *self = user_data;

  g_debug ("domain '%s' removed", hull_domain_get_name (domain));
  /* The domain may be in the middle of one of its own methods: the last
   * reference goes from an idle callback, not from under it. */
  g_idle_add_once ((GSourceOnceFunc)g_object_unref, g_object_ref (domain));
  hull_domain_detach (domain);
  g_dbus_object_manager_server_unexport (self->object_manager,
                                         hull_domain_get_object_path (domain));
  g_hash_table_remove (self->by_name, hull_domain_get_name (domain));
  g_hash_table_remove (self->by_uuid, hull_domain_get_uuid (domain));
}

/* What @owner has, @leave_out (nullable) left out: domains, and the size
 * of those with a live definition (starting, running, kept after a
 * crash). */
static void
owner_usage (HullDaemon *self, guint32 owner, HullDomain *leave_out, HullQuotaUsage *usage)
{
  GHashTableIter iter;
  gpointer value;

  memset (usage, 0, sizeof *usage);
  g_hash_table_iter_init (&iter, self->by_uuid);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      guint vcpus;
      guint64 memory;

      if (value == leave_out || hull_domain_get_owner (value) != owner)
        continue;
      usage->domains++;
      if (hull_domain_get_live_size (value, &vcpus, &memory))
        {
          usage->vcpus += vcpus;
          usage->memory += memory;
        }
    }
}

/* Start's quota check: the owner's running domains and this one. */
static gboolean
on_domain_check_start (HullDomain *domain, GError **error, gpointer user_data)
{
  HullDaemon *self = user_data;
  HullQuotaUsage usage;
  guint vcpus;
  guint64 memory;

  owner_usage (self, hull_domain_get_owner (domain), domain, &usage);
  hull_domain_get_size (domain, &vcpus, &memory);
  return hull_authority_check_quota (self->authority, hull_domain_get_owner (domain), &usage,
                                     HULL_QUOTA_CHECK_RUNNING, hull_domain_get_name (domain), vcpus,
                                     memory, error);
}

/* Creates a domain for @def and publishes it. */
static HullDomain *
add_domain (HullDaemon *self, HullDomainDef *def, const HullDomainRecord *record)
{
  const HullDomainCallbacks callbacks
      = { on_domain_event, on_domain_gone, self, on_domain_check_start };
  HullDomainEnv env = { 0 };
  g_autoptr (HullDBusObjectSkeleton) object = NULL;
  HullDomain *domain;

  env.worker_path = self->worker_path;
  env.runtime_dir = hull_domain_store_get_runtime_dir (self->store);
  env.log_dir = self->log_dir;
  env.backend_dir = self->backend_dir;
  env.authority = self->authority;
  env.system = self->system;
  env.loader = self->loader;
  domain = hull_domain_new (self->store, &env, &callbacks, def, record);

  g_hash_table_insert (self->by_uuid, g_strdup (hull_domain_get_uuid (domain)), domain);
  g_hash_table_insert (self->by_name, g_strdup (hull_domain_get_name (domain)), domain);
  object = hull_dbus_object_skeleton_new (hull_domain_get_object_path (domain));
  hull_dbus_object_skeleton_set_domain (object, HULL_DBUS_DOMAIN (domain));
  g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
  return domain;
}

/* The domain @def redefines (same name and UUID), or NULL for a new one;
 * AlreadyExists when the name or UUID is taken by another domain. */
static gboolean
find_conflict (HullDaemon *self, const HullDomainDef *def, HullDomain **existing, GError **error)
{
  HullDomain *by_uuid = g_hash_table_lookup (self->by_uuid, def->uuid);
  HullDomain *by_name = g_hash_table_lookup (self->by_name, def->name);

  if (by_uuid != NULL && by_uuid != by_name)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                   _ ("UUID %s is already used by domain '%s'"), def->uuid,
                   hull_domain_get_name (by_uuid));
      return FALSE;
    }
  if (by_name != NULL && by_uuid != by_name)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                   _ ("domain '%s' already exists with UUID %s"), def->name,
                   hull_domain_get_uuid (by_name));
      return FALSE;
    }
  *existing = by_uuid;
  return TRUE;
}

/* ---- Manager methods ------------------------------------------------- */

/* Whether the caller may do @action (hull-authority.h): %FALSE while that
 * is decided, and the handler returns; once allowed, the handler runs
 * again from the top and gets past this. */
static gboolean
authorize (HullDaemon *self, GDBusMethodInvocation *invocation, GVariant *options,
           HullAction action, const HullAuthorityTarget *target, gboolean want_admin)
{
  return hull_authority_authorize (self->authority, G_DBUS_INTERFACE_SKELETON (self->manager),
                                   invocation, options, action, target, want_admin);
}

/* Whether the authorized caller may see @domain: its owner, or an admin.
 * Others are told it does not exist. */
static gboolean
visible (GDBusMethodInvocation *invocation, HullDomain *domain)
{
  const HullAuthorityCaller *caller = hull_authority_get_caller (invocation);

  return caller->admin || hull_domain_get_owner (domain) == caller->uid;
}

/* Parses a caller's document: size limit first, then the parser's own
 * errors, unchanged. *@warnings: what was skipped (lenient), for
 * log_skipped() once the caller is authorized. */
static HullDomainDef *
parse_xml (const char *xml, gboolean lenient, GPtrArray **warnings, GError **error)
{
  gsize length = strlen (xml);

  if (length > HULL_DAEMON_MAX_XML)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("the domain XML is %llu bytes long, more than the limit of %llu bytes"),
                   (unsigned long long)length, (unsigned long long)HULL_DAEMON_MAX_XML);
      return NULL;
    }
  return hull_domain_def_parse (xml, length, lenient ? HULL_DOMAIN_PARSE_LENIENT : 0, warnings,
                                error);
}

/* The elements a lenient parse skipped, to the log: the caller chose the
 * text, so control characters are escaped (no forged log lines). */
static void
log_skipped (const HullDomainDef *def, GPtrArray *warnings)
{
  g_autofree char *name = hull_key_record_quote (def->name);

  for (guint i = 0; warnings != NULL && i < warnings->len; i++)
    {
      g_autofree char *warning
          = hull_key_record_quote ((const char *)g_ptr_array_index (warnings, i));

      g_message (_ ("domain '%s': skipped: %s"), name, warning);
    }
}

typedef struct
{
  HullDaemon *self;
  GDBusMethodInvocation *invocation; /* answered exactly once; not referenced */
  HullDomainDef *def;
  gboolean create;
  gboolean paused;
} DefineData;

static void
define_data_free (DefineData *data)
{
  g_object_unref (data->self);
  hull_domain_def_free (data->def);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DefineData, define_data_free)

static void
created (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  HullDomain *domain = HULL_DOMAIN (source);
  GError *local_error = NULL;

  /* On failure the transient domain is gone already. */
  if (!hull_domain_start_finish (domain, result, &local_error))
    g_dbus_method_invocation_take_error (invocation, local_error);
  else
    g_dbus_method_invocation_return_value (
        invocation, g_variant_new ("(o)", hull_domain_get_object_path (domain)));
}

/* Defines or creates for the authorized @caller, who owns what is new. */
static void
define_as (DefineData *owned_data, const HullAuthorityCaller *caller)
{
  g_autoptr (DefineData) data = owned_data;
  HullDaemon *self = data->self;
  GDBusMethodInvocation *invocation = data->invocation;
  HullDomain *existing = NULL;
  HullDomainRecord record = { 0 };
  HullDomain *domain;
  GError *local_error = NULL;
  guint32 owner = caller->uid;
  HullQuotaUsage usage;

  /* Checked now, after the authorization: the table may have changed
   * meanwhile. */
  if (!find_conflict (self, data->def, &existing, &local_error))
    {
      g_dbus_method_invocation_take_error (invocation, local_error);
      return;
    }
  if (existing != NULL && !data->create && hull_domain_get_owner (existing) != owner
      && !caller->admin)
    {
      const HullAuthorityTarget target
          = { hull_domain_get_name (existing), hull_domain_get_uuid (existing),
              hull_domain_get_owner (existing) };

      hull_authority_set_refusal (&local_error, owner, HULL_ACTION_MANAGE_OTHERS, &target,
                                  "DefineXML");
      g_dbus_method_invocation_take_error (invocation, local_error);
      return;
    }
  owner_usage (self, owner, NULL, &usage);

  if (data->create)
    {
      if (existing != NULL)
        {
          g_dbus_method_invocation_return_error (invocation, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                                                 _ ("domain '%s' already exists"), data->def->name);
          return;
        }
      if (!hull_authority_check_quota (
              self->authority, owner, &usage, HULL_QUOTA_CHECK_DOMAINS | HULL_QUOTA_CHECK_RUNNING,
              data->def->name, data->def->vcpus, data->def->memory, &local_error))
        {
          g_dbus_method_invocation_take_error (invocation, local_error);
          return;
        }
      record.owner = owner;
      record.persistent = FALSE;
      domain = add_domain (self, g_steal_pointer (&data->def), &record);
      g_message (_ ("domain '%s' created by uid %u"), hull_domain_get_name (domain), owner);
      hull_domain_start_async (domain, NULL, data->paused, created, invocation);
      return;
    }

  if (existing != NULL)
    {
      if (!hull_domain_redefine (existing, g_steal_pointer (&data->def), &local_error))
        {
          g_dbus_method_invocation_take_error (invocation, local_error);
          return;
        }
      hull_dbus_manager_complete_define_xml (self->manager, invocation,
                                             hull_domain_get_object_path (existing));
      return;
    }

  if (!hull_authority_check_quota (self->authority, owner, &usage, HULL_QUOTA_CHECK_DOMAINS,
                                   data->def->name, 0, 0, &local_error))
    {
      g_dbus_method_invocation_take_error (invocation, local_error);
      return;
    }
  /* The file first: if it cannot be written, nothing changed. */
  if (!hull_domain_store_save (self->store, data->def, owner, &local_error))
    {
      g_dbus_method_invocation_take_error (invocation, local_error);
      return;
    }
  record.owner = owner;
  record.persistent = TRUE;
  record.autostart = hull_domain_store_get_autostart (self->store, data->def->uuid);
  domain = add_domain (self, g_steal_pointer (&data->def), &record);
  g_message (_ ("domain '%s' defined by uid %u"), hull_domain_get_name (domain), owner);
  /* InterfacesAdded went out with the export: the event follows it. */
  on_domain_event (domain, HULL_DOMAIN_EVENT_DEFINED, HULL_EVENT_DEFINED_ADDED, self);
  hull_dbus_manager_complete_define_xml (self->manager, invocation,
                                         hull_domain_get_object_path (domain));
}

static gboolean
define_or_create (HullDaemon *self, GDBusMethodInvocation *invocation, const char *xml,
                  GVariant *options, gboolean create)
{
  static const HullDBusOption define_options[] = { { "lenient", "b" } };
  static const HullDBusOption create_options[] = { { "lenient", "b" }, { "paused", "b" } };
  DefineData *data;
  HullDomainDef *def;
  HullDomain *existing;
  g_autoptr (GPtrArray) warnings = NULL;
  GError *local_error = NULL;

  if (!(create
            ? hull_authority_check_invocation_options (invocation, options, create_options,
                                                       G_N_ELEMENTS (create_options), "CreateXML")
            : hull_authority_check_invocation_options (invocation, options, define_options,
                                                       G_N_ELEMENTS (define_options), "DefineXML")))
    return TRUE;
  def = parse_xml (xml, hull_dbus_option_boolean (options, "lenient", FALSE), &warnings,
                   &local_error);
  if (def == NULL)
    {
      g_dbus_method_invocation_take_error (invocation, local_error);
      return TRUE;
    }
  /* A new domain needs create; redefining one needs the rights on it. */
  existing = g_hash_table_lookup (self->by_uuid, def->uuid);
  if (existing == NULL)
    existing = g_hash_table_lookup (self->by_name, def->name);
  if (existing != NULL && !create)
    {
      const HullAuthorityTarget target
          = { hull_domain_get_name (existing), hull_domain_get_uuid (existing),
              hull_domain_get_owner (existing) };

      if (!authorize (self, invocation, options, HULL_ACTION_MANAGE_OWN, &target, FALSE))
        {
          hull_domain_def_free (def);
          return TRUE;
        }
    }
  else if (!authorize (self, invocation, options, HULL_ACTION_CREATE, NULL, FALSE))
    {
      hull_domain_def_free (def);
      return TRUE;
    }
  /* Only now: a refused caller does not write to the log. */
  log_skipped (def, warnings);
  data = g_new0 (DefineData, 1);
  data->self = g_object_ref (self);
  data->invocation = invocation;
  data->def = def;
  data->create = create;
  data->paused = hull_dbus_option_boolean (options, "paused", FALSE);
  define_as (data, hull_authority_get_caller (invocation));
  return TRUE;
}

static gboolean
handle_define_xml (HullDBusManager *manager, GDBusMethodInvocation *invocation, const char *xml,
                   GVariant *options, gpointer user_data)
{
  return define_or_create (user_data, invocation, xml, options, FALSE);
}

static gboolean
handle_create_xml (HullDBusManager *manager, GDBusMethodInvocation *invocation, const char *xml,
                   GVariant *options, gpointer user_data)
{
  return define_or_create (user_data, invocation, xml, options, TRUE);
}

static int
compare_by_name (gconstpointer a, gconstpointer b)
{
  return strcmp (hull_domain_get_name (*(HullDomain *const *)a),
                 hull_domain_get_name (*(HullDomain *const *)b));
}

static gboolean
handle_list_domains (HullDBusManager *manager, GDBusMethodInvocation *invocation, GVariant *options,
                     gpointer user_data)
{
  static const HullDBusOption allowed[] = { { "active", "b" }, { "inactive", "b" } };
  HullDaemon *self = user_data;
  g_autoptr (GPtrArray) domains = g_ptr_array_new ();
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  gboolean active, inactive;
  GHashTableIter iter;
  gpointer value;

  if (!hull_authority_check_invocation_options (invocation, options, allowed,
                                                G_N_ELEMENTS (allowed), "ListDomains")
      || !authorize (self, invocation, options, HULL_ACTION_READ, NULL, TRUE))
    return TRUE;
  active = hull_dbus_option_boolean (options, "active", FALSE);
  inactive = hull_dbus_option_boolean (options, "inactive", FALSE);
  if (!active && !inactive)
    active = inactive = TRUE;

  g_hash_table_iter_init (&iter, self->by_uuid);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if ((hull_domain_is_active (value) ? active : inactive) && visible (invocation, value))
      g_ptr_array_add (domains, value);
  g_ptr_array_sort (domains, compare_by_name);
  for (guint i = 0; i < domains->len; i++)
    g_ptr_array_add (paths, (gpointer)hull_domain_get_object_path (domains->pdata[i]));
  g_ptr_array_add (paths, NULL);
  hull_dbus_manager_complete_list_domains (manager, invocation, (const char *const *)paths->pdata);
  return TRUE;
}

static gboolean
handle_lookup_by_name (HullDBusManager *manager, GDBusMethodInvocation *invocation,
                       const char *name, GVariant *options, gpointer user_data)
{
  HullDaemon *self = user_data;
  HullDomain *domain;

  if (!hull_authority_check_invocation_options (invocation, options, NULL, 0, "LookupByName")
      || !authorize (self, invocation, options, HULL_ACTION_READ, NULL, TRUE))
    return TRUE;
  domain = g_hash_table_lookup (self->by_name, name);
  if (domain == NULL || !visible (invocation, domain))
    {
      g_dbus_method_invocation_return_error (invocation, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                                             _ ("no domain named '%s'"), name);
      return TRUE;
    }
  hull_dbus_manager_complete_lookup_by_name (manager, invocation,
                                             hull_domain_get_object_path (domain));
  return TRUE;
}

static gboolean
handle_lookup_by_uuid (HullDBusManager *manager, GDBusMethodInvocation *invocation,
                       const char *uuid, GVariant *options, gpointer user_data)
{
  HullDaemon *self = user_data;
  g_autofree char *lower = NULL;
  HullDomain *domain;

  if (!hull_authority_check_invocation_options (invocation, options, NULL, 0, "LookupByUUID")
      || !authorize (self, invocation, options, HULL_ACTION_READ, NULL, TRUE))
    return TRUE;
  if (!g_uuid_string_is_valid (uuid))
    {
      g_dbus_method_invocation_return_error (invocation, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                                             _ ("'%s' is not a UUID"), uuid);
      return TRUE;
    }
  lower = g_ascii_strdown (uuid, -1);
  domain = g_hash_table_lookup (self->by_uuid, lower);
  if (domain == NULL || !visible (invocation, domain))
    {
      g_dbus_method_invocation_return_error (invocation, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                                             _ ("no domain with UUID %s"), lower);
      return TRUE;
    }
  hull_dbus_manager_complete_lookup_by_uuid (manager, invocation,
                                             hull_domain_get_object_path (domain));
  return TRUE;
}

static gboolean
handle_get_capabilities (HullDBusManager *manager, GDBusMethodInvocation *invocation,
                         GVariant *options, gpointer user_data)
{
  HullDaemon *self = user_data;
  g_autoptr (GPtrArray) backends = NULL;

  if (!hull_authority_check_invocation_options (invocation, options, NULL, 0, "GetCapabilities")
      || !authorize (self, invocation, options, HULL_ACTION_READ, NULL, FALSE))
    return TRUE;
  backends = hull_backend_loader_list (self->loader);
  hull_dbus_manager_complete_get_capabilities (manager, invocation,
                                               hull_capabilities_build (backends));
  return TRUE;
}

static gboolean
handle_list_backends (HullDBusManager *manager, GDBusMethodInvocation *invocation,
                      GVariant *options, gpointer user_data)
{
  HullDaemon *self = user_data;
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  if (!hull_authority_check_invocation_options (invocation, options, NULL, 0, "ListBackends")
      || !authorize (self, invocation, options, HULL_ACTION_READ, NULL, FALSE))
    return TRUE;
  /* Borrowed strings: the copy must not free them. */
  for (guint i = 0; i < self->backend_paths->len; i++)
    g_ptr_array_add (paths, self->backend_paths->pdata[i]);
  g_ptr_array_add (paths, NULL);
  hull_dbus_manager_complete_list_backends (manager, invocation, (const char *const *)paths->pdata);
  return TRUE;
}

/* ---- start-up ----------------------------------------------------------- */

/* Probes the backends once and publishes one Backend object each. */
static void
load_backends (HullDaemon *self)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  g_autoptr (GPtrArray) backends = NULL;

  if (!hull_backend_loader_load (self->loader, &local_error))
    g_warning ("%s", local_error->message);
  failures = hull_backend_loader_get_failures (self->loader);
  for (guint i = 0; i < failures->len; i++)
    if (local_error == NULL)
      g_warning ("%s", ((GError *)g_ptr_array_index (failures, i))->message);

  backends = hull_backend_loader_list (self->loader);
  for (guint i = 0; i < backends->len; i++)
    {
      const HullBackendInfo *info = g_ptr_array_index (backends, i);
      g_autoptr (HullDBusBackend) backend = hull_dbus_backend_skeleton_new ();
      g_autoptr (HullDBusObjectSkeleton) object = NULL;
      char *path = hull_dbus_backend_path (info->name);

      hull_dbus_backend_set_name (backend, info->name);
      hull_dbus_backend_set_path (backend, info->path);
      hull_dbus_backend_set_available (backend, info->available);
      hull_dbus_backend_set_reason (
          backend, info->unavailable_reason != NULL ? info->unavailable_reason : "");
      hull_dbus_backend_set_speed (backend, hull_capabilities_speed_to_string (info->speed));
      object = hull_dbus_object_skeleton_new (path);
      hull_dbus_object_skeleton_set_backend (object, backend);
      g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
      g_ptr_array_add (self->backend_paths, path);
      g_message (_ ("backend '%s': %s"), info->name,
                 info->available ? hull_capabilities_speed_to_string (info->speed)
                                 : info->unavailable_reason);
    }
}

static void
load_definitions (HullDaemon *self)
{
  g_autoptr (GPtrArray) stored = NULL;

  /* A definition without a .meta file belongs to whoever runs hulld. */
  stored = hull_domain_store_load_all (self->store, (guint32)getuid (), NULL);
  for (guint i = 0; i < stored->len; i++)
    {
      HullStoredDomain *one = g_ptr_array_index (stored, i);

      add_domain (self, g_steal_pointer (&one->def), &one->record);
    }
  g_message (hull_ngettext ("%u domain defined", "%u domains defined", stored->len), stored->len);
}

typedef struct
{
  guint pending;
} StartData;

static void
autostarted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HullDomain *domain = HULL_DOMAIN (source);
  g_autoptr (GError) local_error = NULL;

  if (!hull_domain_start_finish (domain, result, &local_error))
    g_warning (_ ("autostart of domain '%s' failed: %s"), hull_domain_get_name (domain),
               local_error->message);
}

/* Once per host boot ($runtime/autostarted): start what is marked. */
static void
autostart (HullDaemon *self)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) domains = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  if (hull_domain_store_get_autostart_done (self->store))
    {
      g_debug ("autostart already ran in this boot");
      return;
    }
  if (!hull_domain_store_set_autostart_done (self->store, &local_error))
    g_warning ("%s", local_error->message);

  g_hash_table_iter_init (&iter, self->by_uuid);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (hull_domain_get_autostart (value)
        && hull_domain_get_state (value) != HULL_DOMAIN_STATE_RUNNING
        && hull_domain_get_state (value) != HULL_DOMAIN_STATE_PAUSED)
      g_ptr_array_add (domains, g_object_ref (value));
  g_ptr_array_sort (domains, compare_by_name);
  for (guint i = 0; i < domains->len; i++)
    {
      g_clear_error (&local_error);
      if (!on_domain_check_start (domains->pdata[i], &local_error, self))
        {
          g_warning (_ ("not autostarting domain '%s': %s"),
                     hull_domain_get_name (domains->pdata[i]), local_error->message);
          continue;
        }
      g_message (_ ("autostarting domain '%s'"), hull_domain_get_name (domains->pdata[i]));
      hull_domain_start_async (domains->pdata[i], NULL, FALSE, autostarted, NULL);
    }
}

static void
start_step_done (GTask *task)
{
  HullDaemon *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);

  if (--data->pending > 0)
    return;
  autostart (self);
  g_task_return_boolean (task, TRUE);
}

static void
reattached (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;

  hull_domain_reattach_finish (HULL_DOMAIN (source), result);
  start_step_done (task);
}

/* Domains an earlier hulld left running, transient ones included. */
static void
reattach_all (HullDaemon *self, GTask *task)
{
  g_autoptr (GPtrArray) live = hull_domain_store_load_live_all (self->store, NULL);
  StartData *data = g_task_get_task_data (task);

  for (guint i = 0; i < live->len; i++)
    {
      HullStoredDomain *one = g_ptr_array_index (live, i);
      HullDomain *domain = g_hash_table_lookup (self->by_uuid, one->def->uuid);
      HullDomainRecord record = one->record;
      HullDomainDef *live_def = g_steal_pointer (&one->def);

      if (domain == NULL)
        {
          HullDomain *clash = g_hash_table_lookup (self->by_name, live_def->name);
          g_autofree char *xml = NULL;

          if (clash != NULL)
            {
              g_warning (_ ("domain %s left running as '%s', but a domain of that name is "
                            "defined with UUID %s; ignoring the running one"),
                         live_def->uuid, live_def->name, hull_domain_get_uuid (clash));
              hull_domain_def_free (live_def);
              continue;
            }
          /* A transient domain (or one whose definition went away): the
           * live definition is all there is. */
          xml = hull_domain_def_format (live_def);
          record.persistent = FALSE;
          record.autostart = FALSE;
          domain = add_domain (
              self, hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, NULL), &record);
        }
      else
        record.owner = hull_domain_get_owner (domain);
      data->pending++;
      hull_domain_reattach_async (domain, live_def, &record, reattached, g_object_ref (task));
    }
}

void
hull_daemon_start_async (HullDaemon *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  StartData *data;

  g_return_if_fail (HULL_IS_DAEMON (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, hull_daemon_start_async);
  data = g_new0 (StartData, 1);
  g_task_set_task_data (task, data, g_free);

  load_backends (self);
  self->node_devices
      = hull_node_devices_new (self->object_manager, self->manager, self->loader, self->authority);
  load_definitions (self);
  /* One count for this function, so the last reattach cannot finish the
   * task before every reattach has begun. */
  data->pending = 1;
  reattach_all (self, task);
  start_step_done (task);
}

gboolean
hull_daemon_start_finish (HullDaemon *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the object ----------------------------------------------------------- */

static void
hull_daemon_dispose (GObject *object)
{
  HullDaemon *self = HULL_DAEMON (object);

  if (self->by_uuid != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      /* Workers keep running: domains only let go of them. */
      g_hash_table_iter_init (&iter, self->by_uuid);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        hull_domain_detach (value);
    }
  g_clear_object (&self->node_devices);
  if (self->object_manager != NULL)
    g_dbus_object_manager_server_set_connection (self->object_manager, NULL);
  g_clear_object (&self->object_manager);
  if (self->manager != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->manager));
  g_clear_object (&self->manager);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->by_uuid, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->authority);
  g_clear_pointer (&self->loader, hull_backend_loader_unref);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (hull_daemon_parent_class)->dispose (object);
}

static void
hull_daemon_finalize (GObject *object)
{
  HullDaemon *self = HULL_DAEMON (object);

  g_free (self->log_dir);
  g_free (self->backend_dir);
  g_free (self->worker_path);
  g_ptr_array_unref (self->backend_paths);
  G_OBJECT_CLASS (hull_daemon_parent_class)->finalize (object);
}

static void
hull_daemon_class_init (HullDaemonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hull_daemon_dispose;
  object_class->finalize = hull_daemon_finalize;
}

static void
hull_daemon_init (HullDaemon *self)
{
  self->by_uuid = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->backend_paths = g_ptr_array_new_with_free_func (g_free);
}

HullDaemon *
hull_daemon_new (GDBusConnection *connection, const HullDaemonConfig *config, GError **error)
{
  g_autoptr (HullDaemon) self = NULL;

  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (HULL_IS_AUTHORITY (config->authority), NULL);

  self = g_object_new (HULL_TYPE_DAEMON, NULL);
  self->connection = g_object_ref (connection);
  self->authority = g_object_ref (config->authority);
  self->system = config->system;
  self->log_dir = g_strdup (config->log_dir);
  self->worker_path = g_strdup (config->worker_path);
  self->store = hull_domain_store_new (config->state_dir, config->runtime_dir);
  if (!hull_domain_store_prepare (self->store, config->system ? 0755 : 0700, error))
    return NULL;
  if (g_mkdir_with_parents (config->log_dir, 0700) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot create directory '%s': %s"),
                   config->log_dir, g_strerror (saved_errno));
      return NULL;
    }
  self->loader = hull_backend_loader_new (config->backend_dir);
  /* Workers look where hulld looked. */
  self->backend_dir = g_strdup (hull_backend_loader_get_dir (self->loader));

  self->manager = hull_dbus_manager_skeleton_new ();
  hull_dbus_manager_set_version (self->manager, PACKAGE_VERSION);
  hull_dbus_manager_set_mode (self->manager, config->system ? "system" : "session");
  g_signal_connect (self->manager, "handle-define-xml", G_CALLBACK (handle_define_xml), self);
  g_signal_connect (self->manager, "handle-create-xml", G_CALLBACK (handle_create_xml), self);
  g_signal_connect (self->manager, "handle-list-domains", G_CALLBACK (handle_list_domains), self);
  g_signal_connect (self->manager, "handle-lookup-by-name", G_CALLBACK (handle_lookup_by_name),
                    self);
  g_signal_connect (self->manager, "handle-lookup-by-uuid", G_CALLBACK (handle_lookup_by_uuid),
                    self);
  g_signal_connect (self->manager, "handle-get-capabilities", G_CALLBACK (handle_get_capabilities),
                    self);
  g_signal_connect (self->manager, "handle-list-backends", G_CALLBACK (handle_list_backends), self);

  /* The Manager sits beside the ObjectManager at /org/hullvm/Hull1, which
   * only manages the objects below it. */
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->manager), connection,
                                         HULL_DBUS_PATH, error))
    return NULL;
  self->object_manager = g_dbus_object_manager_server_new (HULL_DBUS_PATH);
  g_dbus_object_manager_server_set_connection (self->object_manager, connection);
  return g_steal_pointer (&self);
}
