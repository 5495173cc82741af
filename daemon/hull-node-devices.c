/* hull-node-devices.c — host devices through GUdev, and the kvm backend's
 * availability following the kvm device (hull-node-devices.h,
 * docs/daemon.md "Host devices"). */
#include "config.h"

#include "hull-node-devices.h"

#include <gudev/gudev.h>
#include <string.h>

#include "hull-capabilities.h"
#include "hull-error.h"
#include "hull-i18n.h"

struct _HullNodeDevices
{
  GObject parent_instance;

  GDBusObjectManagerServer *object_manager;
  HullDBusManager *manager;
  HullBackendLoader *loader;
  HullAuthority *authority; /* nullable */
  GUdevClient *client;

  GHashTable *by_path;  /* owned object path → HullDBusObjectSkeleton (ref) */
  GHashTable *by_sysfs; /* owned sysfs path → object path (borrowed from by_path) */
  gulong list_handler;

  char *kvm_device;
  GFileMonitor *kvm_monitor;
  gboolean kvm_present; /* as last seen */
};

G_DEFINE_FINAL_TYPE (HullNodeDevices, hull_node_devices, G_TYPE_OBJECT)

/* What GUdev is asked to watch ("subsystem" or "subsystem/devtype"). */
static const char *const monitored[] = { "misc", "block", "net", "usb/usb_device", "pci", NULL };
/* The subsystems as D-Bus shows them, in enumeration order. */
static const char *const subsystems[] = { "misc", "block", "net", "usb", "pci", NULL };

/* Whether hulld publishes @device: from misc only the kvm device, from usb
 * only whole devices (not their interfaces), everything of the others. */
static gboolean
wanted (GUdevDevice *device)
{
  const char *subsystem = g_udev_device_get_subsystem (device);
  const char *name = g_udev_device_get_name (device);

  if (subsystem == NULL || name == NULL)
    return FALSE;
  if (g_str_equal (subsystem, "misc"))
    return g_str_equal (name, "kvm");
  if (g_str_equal (subsystem, "usb"))
    return g_strcmp0 (g_udev_device_get_devtype (device), "usb_device") == 0;
  return g_strv_contains (subsystems, subsystem);
}

static gboolean
is_kvm (GUdevDevice *device)
{
  return g_strcmp0 (g_udev_device_get_subsystem (device), "misc") == 0
         && g_strcmp0 (g_udev_device_get_name (device), "kvm") == 0;
}

/* D-Bus strings must be UTF-8; udev's need not be. */
static char *
valid_utf8 (const char *text)
{
  return g_utf8_make_valid (text != NULL ? text : "", -1);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* udev's properties, sorted by key (so that an unchanged set compares
 * equal and no PropertiesChanged goes out for it). */
static GVariant *
device_properties (GUdevDevice *device)
{
  const char *const *keys = g_udev_device_get_property_keys (device);
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  GVariantBuilder builder;

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    g_ptr_array_add (sorted, (gpointer)keys[i]);
  g_ptr_array_sort (sorted, compare_strings);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; i < sorted->len; i++)
    {
      g_autofree char *key = valid_utf8 (sorted->pdata[i]);
      g_autofree char *value = valid_utf8 (g_udev_device_get_property (device, sorted->pdata[i]));

      g_variant_builder_add (&builder, "{ss}", key, value);
    }
  return g_variant_builder_end (&builder);
}

/* Updates what can change (the node, the properties): the skeleton sends
 * PropertiesChanged for what did. */
static void
update_node_device (HullDBusNodeDevice *node_device, GUdevDevice *device)
{
  g_autofree char *node = valid_utf8 (g_udev_device_get_device_file (device));

  hull_dbus_node_device_set_device_node (node_device, node);
  hull_dbus_node_device_set_properties (node_device, device_properties (device));
}

static HullDBusNodeDevice *
lookup_node_device (HullNodeDevices *self, const char *path)
{
  HullDBusObject *object = g_hash_table_lookup (self->by_path, path);

  if (object == NULL)
    return NULL;
  /* The object keeps its interface: a borrowed pointer is enough. */
  return g_object_get_data (G_OBJECT (object), "hull-node-device");
}

/* Exports @device (or updates it, when it is already there). @announce:
 * emit NodeDeviceAdded (not for the start-up enumeration). */
static void
add_device (HullNodeDevices *self, GUdevDevice *device, gboolean announce)
{
  g_autofree char *name = valid_utf8 (g_udev_device_get_name (device));
  g_autofree char *subsystem = valid_utf8 (g_udev_device_get_subsystem (device));
  g_autofree char *sysfs = valid_utf8 (g_udev_device_get_sysfs_path (device));
  g_autofree char *path = hull_dbus_node_device_path (subsystem, name);
  g_autoptr (HullDBusNodeDevice) node_device = NULL;
  g_autoptr (HullDBusObjectSkeleton) object = NULL;
  HullDBusNodeDevice *existing = lookup_node_device (self, path);

  if (existing != NULL)
    {
      update_node_device (existing, device);
      return;
    }

  node_device = hull_dbus_node_device_skeleton_new ();
  hull_dbus_node_device_set_name (node_device, name);
  hull_dbus_node_device_set_subsystem (node_device, subsystem);
  hull_dbus_node_device_set_sysfs_path (node_device, sysfs);
  update_node_device (node_device, device);
  object = hull_dbus_object_skeleton_new (path);
  hull_dbus_object_skeleton_set_node_device (object, node_device);
  g_object_set_data_full (G_OBJECT (object), "hull-node-device", g_object_ref (node_device),
                          g_object_unref);
  g_dbus_object_manager_server_export (self->object_manager, G_DBUS_OBJECT_SKELETON (object));
  g_hash_table_insert (self->by_sysfs, g_strdup (sysfs), path);
  g_hash_table_insert (self->by_path, g_steal_pointer (&path), g_steal_pointer (&object));

  if (announce)
    {
      const char *object_path = g_hash_table_lookup (self->by_sysfs, sysfs);

      g_debug ("node device %s added (%s)", object_path, sysfs);
      hull_dbus_manager_emit_node_device_added (self->manager, object_path, name, subsystem);
    }
}

/* Unexports the device at @path, if there is one, and says so. */
static void
remove_path (HullNodeDevices *self, const char *path)
{
  HullDBusNodeDevice *node_device = lookup_node_device (self, path);
  g_autofree char *object_path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *subsystem = NULL;
  const char *sysfs;

  if (node_device == NULL)
    return;
  object_path = g_strdup (path);
  name = g_strdup (hull_dbus_node_device_get_name (node_device));
  subsystem = g_strdup (hull_dbus_node_device_get_subsystem (node_device));
  sysfs = hull_dbus_node_device_get_sysfs_path (node_device);
  if (g_strcmp0 (g_hash_table_lookup (self->by_sysfs, sysfs), object_path) == 0)
    g_hash_table_remove (self->by_sysfs, sysfs);
  g_dbus_object_manager_server_unexport (self->object_manager, object_path);
  g_hash_table_remove (self->by_path, object_path);
  g_debug ("node device %s removed", object_path);
  hull_dbus_manager_emit_node_device_removed (self->manager, object_path, name, subsystem);
}

static void
remove_device (HullNodeDevices *self, GUdevDevice *device)
{
  g_autofree char *name = valid_utf8 (g_udev_device_get_name (device));
  g_autofree char *subsystem = valid_utf8 (g_udev_device_get_subsystem (device));
  g_autofree char *path = hull_dbus_node_device_path (subsystem, name);

  remove_path (self, path);
}

/* ---- the kvm backend follows the kvm device --------------------------- */

static void
publish_backend (HullNodeDevices *self, const HullBackendInfo *info)
{
  g_autofree char *path = hull_dbus_backend_path (info->name);
  g_autoptr (GDBusObject) object
      = g_dbus_object_manager_get_object (G_DBUS_OBJECT_MANAGER (self->object_manager), path);
  g_autoptr (HullDBusBackend) backend = NULL;

  if (object == NULL || !HULL_DBUS_IS_OBJECT (object))
    return;
  backend = hull_dbus_object_get_backend (HULL_DBUS_OBJECT (object));
  if (backend == NULL)
    return;
  /* Only what changed goes out, in one PropertiesChanged. */
  hull_dbus_backend_set_available (backend, info->available);
  hull_dbus_backend_set_reason (backend,
                                info->unavailable_reason != NULL ? info->unavailable_reason : "");
  hull_dbus_backend_set_speed (backend, hull_capabilities_speed_to_string (info->speed));
}

/* Brings the kvm backend in line with its device: unavailable while the
 * device is missing, probed again when it comes back (or, with @reprobe,
 * whenever udev says something about it). */
static void
follow_kvm_device (HullNodeDevices *self, gboolean reprobe)
{
  gboolean present = g_file_test (self->kvm_device, G_FILE_TEST_EXISTS);
  g_autoptr (HullBackendInfo) info = NULL;
  g_autoptr (GError) local_error = NULL;

  if (present == self->kvm_present && !reprobe)
    return;
  self->kvm_present = present;
  if (hull_backend_loader_find (self->loader, HULL_NODE_DEVICES_KVM_BACKEND, NULL) == NULL)
    return; /* no kvm backend loaded: nothing follows the device */

  if (present)
    hull_backend_loader_probe (self->loader, HULL_NODE_DEVICES_KVM_BACKEND, &info, &local_error);
  else
    {
      g_autofree char *reason
          = g_strdup_printf (_ ("the KVM device %s is not present"), self->kvm_device);

      hull_backend_loader_set_unavailable (self->loader, HULL_NODE_DEVICES_KVM_BACKEND, reason,
                                           &info, &local_error);
    }
  if (info == NULL)
    {
      g_warning ("%s", local_error->message);
      return;
    }
  g_message (_ ("backend '%s': %s"), info->name,
             info->available ? hull_capabilities_speed_to_string (info->speed)
                             : info->unavailable_reason);
  publish_backend (self, info);
}

static void
on_kvm_device_changed (GFileMonitor *monitor, GFile *file, GFile *other_file,
                       GFileMonitorEvent event, gpointer user_data)
{
  follow_kvm_device (HULL_NODE_DEVICES (user_data), FALSE);
}

/* ---- uevents --------------------------------------------------------------- */

static void
on_uevent (GUdevClient *client, const char *action, GUdevDevice *device, gpointer user_data)
{
  HullNodeDevices *self = user_data;

  if (!wanted (device))
    return;
  g_debug ("uevent %s %s/%s", action, g_udev_device_get_subsystem (device),
           g_udev_device_get_name (device));
  if (g_str_equal (action, "remove"))
    remove_device (self, device);
  else
    {
      if (g_str_equal (action, "move"))
        {
          /* A renamed device (a network interface): the old name goes. */
          const char *old = g_udev_device_get_property (device, "DEVPATH_OLD");
          g_autofree char *old_sysfs = old != NULL ? g_strconcat ("/sys", old, NULL) : NULL;
          const char *old_path
              = old_sysfs != NULL ? g_hash_table_lookup (self->by_sysfs, old_sysfs) : NULL;

          if (old_path != NULL)
            {
              g_autofree char *copy = g_strdup (old_path);

              remove_path (self, copy);
            }
        }
      /* add, move, and change, bind, unbind, online, offline (an update;
       * an add for a device not seen before). */
      add_device (self, device, TRUE);
    }
  if (is_kvm (device))
    follow_kvm_device (self, TRUE);
}

/* ---- Manager.ListNodeDevices ----------------------------------------------- */

static gboolean
handle_list_node_devices (HullDBusManager *manager, GDBusMethodInvocation *invocation,
                          GVariant *options, gpointer user_data)
{
  static const HullDBusOption allowed[] = { { "subsystem", "s" } };
  HullNodeDevices *self = user_data;
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();
  const char *subsystem = NULL;
  GHashTableIter iter;
  gpointer key, value;

  if (!hull_authority_check_invocation_options (invocation, options, allowed,
                                                G_N_ELEMENTS (allowed), "ListNodeDevices"))
    return TRUE;
  /* Called again, from the top, once the caller is authorized. */
  if (self->authority != NULL
      && !hull_authority_authorize (self->authority, G_DBUS_INTERFACE_SKELETON (manager),
                                    invocation, options, HULL_ACTION_READ, NULL, FALSE))
    return TRUE;
  g_variant_lookup (options, "subsystem", "&s", &subsystem);
  if (subsystem != NULL && !g_strv_contains (subsystems, subsystem))
    {
      g_autofree char *known = g_strjoinv (", ", (char **)subsystems);

      g_dbus_method_invocation_return_error (
          invocation, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
          _ ("ListNodeDevices: hulld does not watch the subsystem '%s'; it watches %s"), subsystem,
          known);
      return TRUE;
    }

  g_hash_table_iter_init (&iter, self->by_path);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      HullDBusNodeDevice *node_device = g_object_get_data (value, "hull-node-device");

      if (subsystem == NULL
          || g_strcmp0 (hull_dbus_node_device_get_subsystem (node_device), subsystem) == 0)
        g_ptr_array_add (paths, key);
    }
  g_ptr_array_sort (paths, compare_strings);
  g_ptr_array_add (paths, NULL);
  hull_dbus_manager_complete_list_node_devices (manager, invocation,
                                                (const char *const *)paths->pdata);
  return TRUE;
}

/* ---- the object ------------------------------------------------------------ */

static void
enumerate (HullNodeDevices *self)
{
  for (guint i = 0; subsystems[i] != NULL; i++)
    {
      GList *devices = g_udev_client_query_by_subsystem (self->client, subsystems[i]);

      for (GList *l = devices; l != NULL; l = l->next)
        if (wanted (l->data))
          add_device (self, l->data, FALSE);
      g_list_free_full (devices, g_object_unref);
    }
  g_debug ("%u node devices", g_hash_table_size (self->by_path));
}

static void
hull_node_devices_dispose (GObject *object)
{
  HullNodeDevices *self = HULL_NODE_DEVICES (object);

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  if (self->kvm_monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->kvm_monitor, self);
      g_file_monitor_cancel (self->kvm_monitor);
    }
  g_clear_object (&self->kvm_monitor);
  if (self->manager != NULL && self->list_handler != 0)
    g_signal_handler_disconnect (self->manager, self->list_handler);
  self->list_handler = 0;
  /* The objects stay with the ObjectManager, as the domains' do: at exit
   * hulld drops both, and nobody needs an InterfacesRemoved per device. */
  g_clear_pointer (&self->by_sysfs, g_hash_table_unref);
  g_clear_pointer (&self->by_path, g_hash_table_unref);
  g_clear_object (&self->manager);
  g_clear_object (&self->object_manager);
  g_clear_pointer (&self->loader, hull_backend_loader_unref);
  g_clear_object (&self->authority);
  G_OBJECT_CLASS (hull_node_devices_parent_class)->dispose (object);
}

static void
hull_node_devices_finalize (GObject *object)
{
  HullNodeDevices *self = HULL_NODE_DEVICES (object);

  g_free (self->kvm_device);
  G_OBJECT_CLASS (hull_node_devices_parent_class)->finalize (object);
}

static void
hull_node_devices_class_init (HullNodeDevicesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hull_node_devices_dispose;
  object_class->finalize = hull_node_devices_finalize;
}

static void
hull_node_devices_init (HullNodeDevices *self)
{
  self->by_path = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->by_sysfs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

HullNodeDevices *
hull_node_devices_new (GDBusObjectManagerServer *object_manager, HullDBusManager *manager,
                       HullBackendLoader *loader, HullAuthority *authority)
{
  HullNodeDevices *self;
  const char *test_device = g_getenv ("HULL_TEST_KVM_DEVICE");
  g_autoptr (GFile) kvm_file = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (G_IS_DBUS_OBJECT_MANAGER_SERVER (object_manager), NULL);
  g_return_val_if_fail (HULL_DBUS_IS_MANAGER (manager), NULL);
  g_return_val_if_fail (loader != NULL, NULL);
  g_return_val_if_fail (authority == NULL || HULL_IS_AUTHORITY (authority), NULL);

  self = g_object_new (HULL_TYPE_NODE_DEVICES, NULL);
  self->object_manager = g_object_ref (object_manager);
  self->manager = g_object_ref (manager);
  self->loader = hull_backend_loader_ref (loader);
  self->authority = authority != NULL ? g_object_ref (authority) : NULL;
  self->list_handler = g_signal_connect (manager, "handle-list-node-devices",
                                         G_CALLBACK (handle_list_node_devices), self);

  /* Events need a udev daemon (none: enumeration still works, from sysfs). */
  self->client = g_udev_client_new ((const char *const *)monitored);
  g_signal_connect (self->client, "uevent", G_CALLBACK (on_uevent), self);
  enumerate (self);

  if (test_device != NULL && *test_device != '\0')
    {
      /* Tests only (docs/daemon.md): a file the test creates and removes. */
      self->kvm_device = g_strdup (test_device);
      g_message (_ ("the kvm backend follows %s (HULL_TEST_KVM_DEVICE), not %s"), test_device,
                 HULL_NODE_DEVICES_KVM_DEVICE);
    }
  else
    self->kvm_device = g_strdup (HULL_NODE_DEVICES_KVM_DEVICE);
  /* The node appearing and disappearing, seen with or without a udev
   * daemon; udev's events on the device make hulld probe again as well. */
  kvm_file = g_file_new_for_path (self->kvm_device);
  self->kvm_monitor = g_file_monitor_file (kvm_file, G_FILE_MONITOR_NONE, NULL, &local_error);
  if (self->kvm_monitor != NULL)
    g_signal_connect (self->kvm_monitor, "changed", G_CALLBACK (on_kvm_device_changed), self);
  else
    g_warning (_ ("cannot watch %s: %s"), self->kvm_device, local_error->message);
  /* The backends were probed at start-up: only a missing device changes
   * what they said. */
  self->kvm_present = TRUE;
  follow_kvm_device (self, FALSE);
  return self;
}
