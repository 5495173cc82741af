/* hullctl-client.c — the connection to hulld, domain lookup and the error
 * map every daemon command shares. */
#include "config.h"

#include "hullctl-client.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "hull-error.h"
#include "hull-i18n.h"

void
hullctl_context_clear (HullctlContext *context)
{
  g_clear_object (&context->manager);
  g_clear_object (&context->connection);
}

const char *
hullctl_bus_name (const HullctlContext *context)
{
  return context->bus_type == G_BUS_TYPE_SYSTEM ? "system" : "session";
}

/* --system/--session win; then HULL_BUS; then the session bus. */
static gboolean
resolve_bus (HullctlContext *context)
{
  const char *env = g_getenv ("HULL_BUS");

  if (context->bus_type != G_BUS_TYPE_NONE)
    return TRUE;
  if (env == NULL || *env == '\0' || strcmp (env, "session") == 0)
    context->bus_type = G_BUS_TYPE_SESSION;
  else if (strcmp (env, "system") == 0)
    context->bus_type = G_BUS_TYPE_SYSTEM;
  else
    {
      hullctl_print_error (_ ("HULL_BUS must be 'system' or 'session', not '%s'"), env);
      return FALSE;
    }
  return TRUE;
}

int
hullctl_connect (HullctlContext *context, gboolean signals)
{
  g_autoptr (GError) error = NULL;
  GDBusProxyFlags flags = G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES;

  if (context->manager != NULL)
    return HULLCTL_EXIT_OK;
  if (!resolve_bus (context))
    return HULLCTL_EXIT_USAGE;

  /* Registers org.hullvm.Hull1.Error.* so that remote errors arrive as
   * HULL_ERROR codes. */
  (void)HULL_ERROR;

  context->connection = g_bus_get_sync (context->bus_type, NULL, &error);
  if (context->connection == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      hullctl_print_error (_ ("cannot connect to the %s bus: %s"), hullctl_bus_name (context),
                           error->message);
      return HULLCTL_EXIT_UNREACHABLE;
    }
  /* A bus that goes away is reported, not a SIGTERM. */
  g_dbus_connection_set_exit_on_close (context->connection, FALSE);

  if (!signals)
    flags |= G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS;
  context->manager = hull_dbus_manager_proxy_new_sync (context->connection, flags, HULL_DBUS_NAME,
                                                       HULL_DBUS_PATH, NULL, &error);
  if (context->manager == NULL)
    return hullctl_report_error (context, error);
  return HULLCTL_EXIT_OK;
}

int
hullctl_ping (HullctlContext *context)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (
      context->connection, HULL_DBUS_NAME, HULL_DBUS_PATH, "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", HULL_DBUS_NAME ".Manager", "Version"), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    return hullctl_report_error (context, error);
  return HULLCTL_EXIT_OK;
}

static gboolean
is_unreachable (const GError *error)
{
  if (error->domain == G_DBUS_ERROR)
    switch (error->code)
      {
        case G_DBUS_ERROR_SERVICE_UNKNOWN:
        case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
        case G_DBUS_ERROR_NO_SERVER:
        case G_DBUS_ERROR_DISCONNECTED:
        case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
        case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
        case G_DBUS_ERROR_SPAWN_FAILED:
        case G_DBUS_ERROR_TIMED_OUT:
          return TRUE;
        default:
          return FALSE;
      }
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* @lookup: @error is from LookupByName/UUID, whose NotFound means "no such
 * domain"; elsewhere NotFound names something else (a serial port, an
 * inspect path, a kernel file) and is an ordinary failure. */
static int
report_error (HullctlContext *context, GError *error, gboolean lookup)
{
  g_dbus_error_strip_remote_error (error);
  if (is_unreachable (error))
    {
      hullctl_print_error (_ ("hulld is not reachable on the %s bus: %s"),
                           hullctl_bus_name (context), error->message);
      return HULLCTL_EXIT_UNREACHABLE;
    }
  hullctl_print_error ("%s", error->message);
  if ((lookup && g_error_matches (error, HULL_ERROR, HULL_ERROR_NOT_FOUND))
      || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT))
    return HULLCTL_EXIT_NOT_FOUND;
  return HULLCTL_EXIT_FAILED;
}

int
hullctl_report_error (HullctlContext *context, GError *error)
{
  return report_error (context, error, FALSE);
}

HullDBusDomain *
hullctl_domain_proxy (HullctlContext *context, const char *path, GError **error)
{
  return hull_dbus_domain_proxy_new_sync (context->connection,
                                          G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS, HULL_DBUS_NAME,
                                          path, NULL, error);
}

GVariant *
hullctl_list_domains (HullctlContext *context, GVariant *options, GError **error)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (options);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) objects = NULL;
  g_autoptr (GHashTable) by_path = NULL;
  g_auto (GStrv) paths = NULL;
  GVariantBuilder domains;
  GVariantIter iter;
  const char *path;
  GVariant *interfaces;

  if (!hull_dbus_manager_call_list_domains_sync (context->manager, owned, &paths, NULL, error))
    return NULL;
  g_variant_builder_init (&domains, G_VARIANT_TYPE ("a(oa{sv})"));
  if (paths[0] == NULL)
    return g_variant_ref_sink (g_variant_builder_end (&domains));

  reply = g_dbus_connection_call_sync (context->connection, HULL_DBUS_NAME, HULL_DBUS_PATH,
                                       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                       NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    {
      g_variant_builder_clear (&domains);
      return NULL;
    }

  /* The domains' properties by path (GetManagedObjects also has the
   * backends and node devices). */
  objects = g_variant_get_child_value (reply, 0);
  by_path = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
  g_variant_iter_init (&iter, objects);
  while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &path, &interfaces))
    {
      GVariant *properties
          = g_variant_lookup_value (interfaces, HULL_DBUS_NAME ".Domain", G_VARIANT_TYPE_VARDICT);

      if (properties != NULL)
        g_hash_table_insert (by_path, (gpointer)path, properties);
      g_variant_unref (interfaces);
    }

  for (guint i = 0; paths[i] != NULL; i++)
    {
      GVariant *properties = g_hash_table_lookup (by_path, paths[i]);
      g_autoptr (GVariant) name = NULL;

      /* Undefined since ListDomains. */
      if (properties == NULL)
        continue;
      name = g_variant_lookup_value (properties, "Name", G_VARIANT_TYPE_STRING);
      if (name != NULL)
        g_variant_builder_add (&domains, "(o@a{sv})", paths[i], properties);
    }
  return g_variant_ref_sink (g_variant_builder_end (&domains));
}

HullDBusDomain *
hullctl_lookup_domain (HullctlContext *context, const char *name, int *status)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  HullDBusDomain *domain;

  *status = hullctl_connect (context, FALSE);
  if (*status != HULLCTL_EXIT_OK)
    return NULL;
  if (!hull_dbus_manager_call_lookup_by_name_sync (
          context->manager, name, g_variant_new ("a{sv}", NULL), &path, NULL, &error))
    {
      if (!g_error_matches (error, HULL_ERROR, HULL_ERROR_NOT_FOUND)
          || !g_uuid_string_is_valid (name))
        {
          *status = report_error (context, error, TRUE);
          return NULL;
        }
      g_clear_error (&error);
      if (!hull_dbus_manager_call_lookup_by_uuid_sync (
              context->manager, name, g_variant_new ("a{sv}", NULL), &path, NULL, &error))
        {
          *status = report_error (context, error, TRUE);
          return NULL;
        }
    }
  domain = hullctl_domain_proxy (context, path, &error);
  if (domain == NULL)
    *status = hullctl_report_error (context, error);
  return domain;
}

const char *
hullctl_domain_name (HullDBusDomain *domain, const char *fallback)
{
  const char *name = hull_dbus_domain_get_name (domain);

  return name != NULL && *name != '\0' ? name : fallback;
}

void
hullctl_print_json (GVariant *variant, gboolean pretty)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (variant);
  g_autoptr (JsonNode) node = json_gvariant_serialize (owned);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}
