/* hull-dbus.c — names, paths and option checking shared by Hull's D-Bus
 * peers (hull-dbus.h). */
#include "config.h"

#include "hull-dbus.h"
#include "hull-enum.h"
#include "hull-error.h"
#include "hull-i18n.h"

HULL_ENUM_IMPL (hull_domain_state, HullDomainState, "shutoff", "running", "paused", "crashed")

HULL_ENUM_IMPL (hull_domain_state_reason, HullDomainStateReason, "unknown", "shutdown", "destroyed",
                "crashed", "failed", "booted", "unpaused", "rebooted", "crash-restarted",
                "halt-cleared", "user", "starting-up", "halted", "panicked", "worker-failed")

static const char *const event_names[] = {
  "defined", "undefined", "started",     "suspended", "resumed",
  "stopped", "shutdown",  "pmsuspended", "crashed",
};

const char *
hull_domain_event_to_string (int event)
{
  return hull_enum_to_string (event_names, G_N_ELEMENTS (event_names), event);
}

const char *
hull_domain_event_detail_to_string (int event, int detail)
{
  /* libvirt's detail names, for the details Hull emits. */
  static const char *const defined[] = { "added", "updated" };
  static const char *const undefined[] = { "removed" };
  static const char *const started[] = { "booted" };
  static const char *const suspended[] = { "paused" };
  static const char *const resumed[] = { "unpaused" };
  static const char *const stopped[]
      = { "shutdown", "destroyed", "crashed", "migrated", "saved", "failed" };
  static const char *const shutdown[] = { "finished" };
  static const char *const crashed[] = { "panicked" };
  const char *name = NULL;

#define DETAIL(table) hull_enum_to_string (table, G_N_ELEMENTS (table), detail)
  switch (event)
    {
      case HULL_DOMAIN_EVENT_DEFINED:
        name = DETAIL (defined);
        break;
      case HULL_DOMAIN_EVENT_UNDEFINED:
        name = DETAIL (undefined);
        break;
      case HULL_DOMAIN_EVENT_STARTED:
        name = DETAIL (started);
        break;
      case HULL_DOMAIN_EVENT_SUSPENDED:
        name = DETAIL (suspended);
        break;
      case HULL_DOMAIN_EVENT_RESUMED:
        name = DETAIL (resumed);
        break;
      case HULL_DOMAIN_EVENT_STOPPED:
        name = DETAIL (stopped);
        break;
      case HULL_DOMAIN_EVENT_SHUTDOWN:
        name = DETAIL (shutdown);
        break;
      case HULL_DOMAIN_EVENT_CRASHED:
        name = detail == HULL_EVENT_CRASHED_WORKER_FAILED ? "worker-failed" : DETAIL (crashed);
        break;
      default:
        break;
    }
#undef DETAIL
  return name != NULL ? name : "unknown";
}

char *
hull_dbus_domain_path (const char *uuid)
{
  g_autofree char *escaped = g_strdup (uuid);

  g_strdelimit (escaped, "-", '_');
  return g_strconcat (HULL_DBUS_DOMAIN_PATH_PREFIX, escaped, NULL);
}

char *
hull_dbus_backend_path (const char *name)
{
  g_autofree char *escaped = g_dbus_escape_object_path (name);

  return g_strconcat (HULL_DBUS_BACKEND_PATH_PREFIX, escaped, NULL);
}

char *
hull_dbus_node_device_path (const char *subsystem, const char *name)
{
  g_autofree char *escaped_subsystem = g_dbus_escape_object_path (subsystem);
  g_autofree char *escaped_name = g_dbus_escape_object_path (name);

  return g_strconcat (HULL_DBUS_NODE_DEVICE_PATH_PREFIX, escaped_subsystem, "_", escaped_name,
                      NULL);
}

gboolean
hull_dbus_check_options (GVariant *options, const HullDBusOption *allowed, gsize n_allowed,
                         const char *method, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *borrowed;

  g_return_val_if_fail (g_variant_is_of_type (options, G_VARIANT_TYPE_VARDICT), FALSE);

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &borrowed))
    {
      g_autoptr (GVariant) value = borrowed;
      gsize i;

      for (i = 0; i < n_allowed; i++)
        if (g_str_equal (key, allowed[i].name))
          break;
      if (i == n_allowed)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("%s: unknown option '%s'"), method, key);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (allowed[i].type)))
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("%s: option '%s' must be of type '%s', not '%s'"), method, key,
                       allowed[i].type, g_variant_get_type_string (value));
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
hull_dbus_option_boolean (GVariant *options, const char *name, gboolean fallback)
{
  gboolean value;

  if (!g_variant_lookup (options, name, "b", &value))
    return fallback;
  return value;
}

guint32
hull_dbus_option_uint32 (GVariant *options, const char *name, guint32 fallback)
{
  guint32 value;

  if (!g_variant_lookup (options, name, "u", &value))
    return fallback;
  return value;
}
