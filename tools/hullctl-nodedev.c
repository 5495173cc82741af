/* hullctl-nodedev.c — the host devices hulld publishes (NodeDevice
 * objects, docs/dbus-api.md): nodedev-list and nodedev-info. */
#include "config.h"

#include "hullctl.h"

#include <string.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hullctl-client.h"

/* One device as read from GetManagedObjects. */
typedef struct
{
  char *path;
  char *name;
  char *subsystem;
  char *sysfs_path;
  char *device_node;
  GVariant *properties; /* a{ss} */
} NodeDevice;

static void
node_device_free (NodeDevice *device)
{
  g_free (device->path);
  g_free (device->name);
  g_free (device->subsystem);
  g_free (device->sysfs_path);
  g_free (device->device_node);
  g_clear_pointer (&device->properties, g_variant_unref);
  g_free (device);
}

static char *
lookup_string (GVariant *properties, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (properties, key, "&s", &value))
    value = "";
  return g_strdup (value);
}

/* The NodeDevice objects in @paths, in that order, with their properties
 * (one GetManagedObjects: no round trip per device). A path that is gone
 * by then is left out. */
static GPtrArray *
read_devices (HullctlContext *context, const char *const *paths, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) objects = NULL;
  GPtrArray *devices;

  reply = g_dbus_connection_call_sync (context->connection, HULL_DBUS_NAME, HULL_DBUS_PATH,
                                       "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                       NULL, G_VARIANT_TYPE ("(a{oa{sa{sv}}})"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return NULL;
  objects = g_variant_get_child_value (reply, 0);
  devices = g_ptr_array_new_with_free_func ((GDestroyNotify)node_device_free);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autoptr (GVariant) interfaces = NULL;
      g_autoptr (GVariant) properties = NULL;
      NodeDevice *device;

      interfaces = g_variant_lookup_value (objects, paths[i], G_VARIANT_TYPE ("a{sa{sv}}"));
      if (interfaces == NULL)
        continue;
      properties = g_variant_lookup_value (interfaces, "org.hullvm.Hull1.NodeDevice",
                                           G_VARIANT_TYPE_VARDICT);
      if (properties == NULL)
        continue;
      device = g_new0 (NodeDevice, 1);
      device->path = g_strdup (paths[i]);
      device->name = lookup_string (properties, "Name");
      device->subsystem = lookup_string (properties, "Subsystem");
      device->sysfs_path = lookup_string (properties, "SysfsPath");
      device->device_node = lookup_string (properties, "DeviceNode");
      device->properties
          = g_variant_lookup_value (properties, "Properties", G_VARIANT_TYPE ("a{ss}"));
      if (device->properties == NULL)
        device->properties = g_variant_ref_sink (g_variant_new ("a{ss}", NULL));
      g_ptr_array_add (devices, device);
    }
  return devices;
}

/* ListNodeDevices (@subsystem: its filter, or NULL), then the devices. */
static GPtrArray *
list_devices (HullctlContext *context, const char *subsystem, GError **error)
{
  g_auto (GStrv) paths = NULL;
  GVariantBuilder options;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (subsystem != NULL)
    g_variant_builder_add (&options, "{sv}", "subsystem", g_variant_new_string (subsystem));
  if (!hull_dbus_manager_call_list_node_devices_sync (
          context->manager, g_variant_builder_end (&options), &paths, NULL, error))
    return NULL;
  return read_devices (context, (const char *const *)paths, error);
}

static GVariant *
device_to_variant (const NodeDevice *device)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "path", g_variant_new_string (device->path));
  g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (device->name));
  g_variant_builder_add (&builder, "{sv}", "subsystem", g_variant_new_string (device->subsystem));
  g_variant_builder_add (&builder, "{sv}", "sysfs_path", g_variant_new_string (device->sysfs_path));
  g_variant_builder_add (&builder, "{sv}", "device_node",
                         g_variant_new_string (device->device_node));
  g_variant_builder_add (&builder, "{sv}", "properties", device->properties);
  return g_variant_builder_end (&builder);
}

static const char *
or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "-";
}

/* ------------------------------------------------------------------ */
/* nodedev-list */

int
hullctl_cmd_nodedev_list (HullctlContext *context, const HullctlCommand *command, int argc,
                          char **argv)
{
  gboolean json = FALSE;
  g_autofree char *subsystem = NULL;
  GOptionEntry entries[] = {
    { "subsystem", 0, 0, G_OPTION_ARG_STRING, &subsystem,
      N_ ("Only devices of this subsystem: misc, block, net, usb or pci"), N_ ("SUBSYSTEM") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON for scripts"), NULL },
    { NULL },
  };
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GError) error = NULL;
  int status = HULLCTL_EXIT_OK;
  int name_width, subsystem_width;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 0, 0))
    return HULLCTL_EXIT_USAGE;
  status = hullctl_connect (context, FALSE);
  if (status != HULLCTL_EXIT_OK)
    return status;
  devices = list_devices (context, subsystem, &error);
  if (devices == NULL)
    return hullctl_report_error (context, error);

  if (json)
    {
      GVariantBuilder array;

      g_variant_builder_init (&array, G_VARIANT_TYPE ("aa{sv}"));
      for (guint i = 0; i < devices->len; i++)
        g_variant_builder_add_value (&array, device_to_variant (g_ptr_array_index (devices, i)));
      hullctl_print_json (g_variant_builder_end (&array), TRUE);
      return HULLCTL_EXIT_OK;
    }

  name_width = g_utf8_strlen (_ ("Name"), -1);
  subsystem_width = g_utf8_strlen (_ ("Subsystem"), -1);
  for (guint i = 0; i < devices->len; i++)
    {
      const NodeDevice *device = g_ptr_array_index (devices, i);

      name_width = MAX (name_width, (int)g_utf8_strlen (device->name, -1));
      subsystem_width = MAX (subsystem_width, (int)g_utf8_strlen (device->subsystem, -1));
    }
#define CELL(text, width) (text), (int)((width)-g_utf8_strlen ((text), -1)), ""
  g_print (" %s%*s   %s%*s   %s\n", CELL (_ ("Name"), name_width),
           CELL (_ ("Subsystem"), subsystem_width), _ ("Device node"));
  for (int i = 0; i < name_width + subsystem_width + (int)g_utf8_strlen (_ ("Device node"), -1) + 8;
       i++)
    g_print ("-");
  g_print ("\n");
  for (guint i = 0; i < devices->len; i++)
    {
      const NodeDevice *device = g_ptr_array_index (devices, i);

      g_print (" %s%*s   %s%*s   %s\n", CELL (device->name, name_width),
               CELL (device->subsystem, subsystem_width), or_dash (device->device_node));
    }
#undef CELL
  g_print ("\n");
  return HULLCTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* nodedev-info */

/* @which: an object path, "SUBSYSTEM/NAME", a device node or a name; a name
 * that more than one subsystem has is ambiguous. */
static const NodeDevice *
find_device (GPtrArray *devices, const char *which, GError **error)
{
  const NodeDevice *found = NULL;
  const char *slash = strchr (which, '/');

  for (guint i = 0; i < devices->len; i++)
    {
      const NodeDevice *device = g_ptr_array_index (devices, i);
      gboolean match;

      if (which[0] == '/')
        match = g_str_equal (device->path, which) || g_str_equal (device->device_node, which);
      else if (slash != NULL)
        match = strncmp (device->subsystem, which, slash - which) == 0
                && device->subsystem[slash - which] == '\0'
                && g_str_equal (device->name, slash + 1);
      else
        match = g_str_equal (device->name, which);
      if (!match)
        continue;
      if (found != NULL)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("'%s' names devices of subsystems %s and %s; say which, as %s/%s"), which,
                       found->subsystem, device->subsystem, device->subsystem, which);
          return NULL;
        }
      found = device;
    }
  if (found == NULL)
    g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                 _ ("no host device '%s' (hullctl nodedev-list lists them)"), which);
  return found;
}

int
hullctl_cmd_nodedev_info (HullctlContext *context, const HullctlCommand *command, int argc,
                          char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON for scripts"), NULL },
    { NULL },
  };
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GError) error = NULL;
  const NodeDevice *device;
  int status = HULLCTL_EXIT_OK;
  GVariantIter iter;
  const char *key, *value;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  status = hullctl_connect (context, FALSE);
  if (status != HULLCTL_EXIT_OK)
    return status;
  devices = list_devices (context, NULL, &error);
  if (devices == NULL)
    return hullctl_report_error (context, error);
  device = find_device (devices, argv[1], &error);
  if (device == NULL)
    {
      hullctl_print_error ("%s", error->message);
      return g_error_matches (error, HULL_ERROR, HULL_ERROR_NOT_FOUND) ? HULLCTL_EXIT_NOT_FOUND
                                                                       : HULLCTL_EXIT_FAILED;
    }

  if (json)
    {
      hullctl_print_json (device_to_variant (device), TRUE);
      return HULLCTL_EXIT_OK;
    }
  g_print ("%-13s %s\n", _ ("Name:"), device->name);
  g_print ("%-13s %s\n", _ ("Subsystem:"), device->subsystem);
  g_print ("%-13s %s\n", _ ("Sysfs path:"), device->sysfs_path);
  g_print ("%-13s %s\n", _ ("Device node:"), or_dash (device->device_node));
  g_print ("%-13s %s\n", _ ("Object path:"), device->path);
  g_print ("%s\n", _ ("Properties:"));
  g_variant_iter_init (&iter, device->properties);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    g_print ("  %s=%s\n", key, value);
  return HULLCTL_EXIT_OK;
}
