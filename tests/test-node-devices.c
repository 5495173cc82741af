/* hulld's host devices (docs/daemon.md "Host devices", docs/dbus-api.md
 * "NodeDevice"): enumeration, hotplug through a udev daemon, and the kvm
 * backend's availability following its device. Each test owns its world:
 * a private dbus-daemon, temporary directories and its own hulld
 * (dbus-harness.h).
 *
 * Hotplug needs root, /dev/loop-control, losetup and a udev daemon: the
 * test starts /lib/systemd/systemd-udevd itself when none runs (and stops
 * it by its PID, and removes the /run/udev it made), and skips, saying
 * why, when any of that is missing. The block device it plugs is a new
 * loop device (LOOP_CTL_ADD, then losetup on a file, losetup -d,
 * LOOP_CTL_REMOVE): nothing of the host's is touched. A guardian shell
 * undoes both if the test aborts.
 *
 * /dev/kvm itself cannot be unplugged in a test: the availability test
 * points hulld at a file of its own (HULL_TEST_KVM_DEVICE) and removes and
 * recreates it. Every wait is bounded; nothing passes or fails on timing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <linux/loop.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbus-harness.h"
#include "hull-error.h"

#define MANAGER "org.hullvm.Hull1.Manager"
#define NODE_DEVICE "org.hullvm.Hull1.NodeDevice"
#define BACKEND "org.hullvm.Hull1.Backend"
#define ERROR_PREFIX "org.hullvm.Hull1.Error."
#define UDEVD "/lib/systemd/systemd-udevd"

static GStrv
list_node_devices (HullTestWorld *world, GVariant *options)
{
  g_autoptr (GVariant) reply = hull_test_call_ok (
      world, HULL_DBUS_PATH, MANAGER, "ListNodeDevices",
      g_variant_new ("(@a{sv})", options != NULL ? options : HULL_TEST_NO_OPTIONS), "(ao)");
  GStrv paths;

  g_variant_get (reply, "(^ao)", &paths);
  return paths;
}

static GVariant *
subsystem_option (const char *subsystem)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "subsystem", g_variant_new_string (subsystem));
  return g_variant_builder_end (&builder);
}

static char *
node_string (HullTestWorld *world, const char *path, const char *name)
{
  g_autoptr (GVariant) value = hull_test_get_property (world, path, NODE_DEVICE, name);

  return g_variant_dup_string (value, NULL);
}

/* The names in /sys/class/@class. */
static GPtrArray *
sysfs_class (const char *class)
{
  g_autofree char *dir_path = g_build_filename ("/sys/class", class, NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  return names;
}

/* --- enumeration ------------------------------------------------------------- */

/* Every device is published with its properties; the kvm device when the
 * host has one; the block devices are those of sysfs; the subsystem filter
 * filters; the ObjectManager has them all. */
static void
test_enumerate (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_auto (GStrv) all = list_node_devices (world, NULL);
  g_auto (GStrv) block = list_node_devices (world, subsystem_option ("block"));
  g_auto (GStrv) misc = list_node_devices (world, subsystem_option ("misc"));
  g_autoptr (GPtrArray) sysfs_block = sysfs_class ("block");
  g_autoptr (GVariant) objects = hull_test_managed_objects (world);
  g_autofree char *kvm_path = hull_dbus_node_device_path ("misc", "kvm");

  /* Sorted, and each one exported with the NodeDevice interface. */
  for (guint i = 0; all[i] != NULL; i++)
    {
      g_autoptr (GVariant) interfaces = g_variant_lookup_value (objects, all[i], NULL);

      g_assert_true (g_str_has_prefix (all[i], HULL_DBUS_NODE_DEVICE_PATH_PREFIX));
      if (i > 0)
        g_assert_cmpint (strcmp (all[i - 1], all[i]), <, 0);
      g_assert_nonnull (interfaces);
      g_assert_true (g_variant_lookup (interfaces, NODE_DEVICE, "@a{sv}", NULL));
    }

  /* The kvm device, the only one of misc. */
  if (g_file_test ("/sys/class/misc/kvm", G_FILE_TEST_EXISTS))
    {
      g_autofree char *name = node_string (world, kvm_path, "Name");
      g_autofree char *subsystem = node_string (world, kvm_path, "Subsystem");
      g_autofree char *node = node_string (world, kvm_path, "DeviceNode");
      g_autofree char *sysfs = node_string (world, kvm_path, "SysfsPath");
      g_autoptr (GVariant) properties
          = hull_test_get_property (world, kvm_path, NODE_DEVICE, "Properties");
      const char *devname = NULL;

      g_assert_cmpuint (g_strv_length (misc), ==, 1);
      g_assert_cmpstr (misc[0], ==, kvm_path);
      g_assert_true (g_strv_contains ((const char *const *)all, kvm_path));
      g_assert_cmpstr (name, ==, "kvm");
      g_assert_cmpstr (subsystem, ==, "misc");
      g_assert_cmpstr (node, ==, "/dev/kvm");
      g_assert_cmpstr (sysfs, ==, "/sys/devices/virtual/misc/kvm");
      g_assert_true (g_variant_lookup (properties, "DEVNAME", "&s", &devname));
      g_assert_true (g_str_has_suffix (devname, "kvm"));
    }
  else
    {
      g_test_message ("no /sys/class/misc/kvm: the kvm device is not listed");
      g_assert_cmpuint (g_strv_length (misc), ==, 0);
    }

  /* The block devices are sysfs's (none came or went in between, on a
   * test machine). */
  g_assert_cmpuint (g_strv_length (block), ==, sysfs_block->len);
  for (guint i = 0; i < sysfs_block->len; i++)
    {
      g_autofree char *path = hull_dbus_node_device_path ("block", sysfs_block->pdata[i]);
      g_autofree char *name = NULL;
      g_autofree char *subsystem = NULL;
      g_autofree char *node = NULL;

      g_assert_true (g_strv_contains ((const char *const *)block, path));
      name = node_string (world, path, "Name");
      subsystem = node_string (world, path, "Subsystem");
      node = node_string (world, path, "DeviceNode");
      g_assert_cmpstr (name, ==, sysfs_block->pdata[i]);
      g_assert_cmpstr (subsystem, ==, "block");
      g_assert_true (g_str_has_prefix (node, "/dev/"));
    }

  /* Net devices have no node. */
  {
    g_auto (GStrv) net = list_node_devices (world, subsystem_option ("net"));

    for (guint i = 0; net[i] != NULL; i++)
      {
        g_autofree char *node = node_string (world, net[i], "DeviceNode");
        g_autofree char *subsystem = node_string (world, net[i], "Subsystem");

        g_assert_cmpstr (node, ==, "");
        g_assert_cmpstr (subsystem, ==, "net");
      }
  }
}

/* Bad options change nothing and say what is wrong. */
static void
test_list_bad_options (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  GVariantBuilder builder;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  hull_test_call_fails (world, HULL_DBUS_PATH, MANAGER, "ListNodeDevices",
                        g_variant_new ("(@a{sv})", subsystem_option ("tty")),
                        ERROR_PREFIX "InvalidArgument");
  reply = hull_test_call (world, HULL_DBUS_PATH, MANAGER, "ListNodeDevices",
                          g_variant_new ("(@a{sv})", subsystem_option ("tty")), "(ao)", &error);
  g_assert_null (reply);
  g_assert_nonnull (strstr (error->message, "'tty'"));

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "subsystem", g_variant_new_uint32 (1));
  hull_test_call_fails (world, HULL_DBUS_PATH, MANAGER, "ListNodeDevices",
                        g_variant_new ("(@a{sv})", g_variant_builder_end (&builder)),
                        ERROR_PREFIX "InvalidArgument");
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&builder, "{sv}", "driver", g_variant_new_string ("kvm"));
  hull_test_call_fails (world, HULL_DBUS_PATH, MANAGER, "ListNodeDevices",
                        g_variant_new ("(@a{sv})", g_variant_builder_end (&builder)),
                        ERROR_PREFIX "InvalidArgument");
}

/* --- hotplug ------------------------------------------------------------------- */

/* Undoes what the hotplug test did to the host if it aborts: the guardian
 * reads "udevd PID", "loop N", "run-udev" lines, and "-udevd", "-loop",
 * "-run-udev" once the test has undone them itself; at EOF it undoes what
 * is left. */
static const char host_guardian_script[]
    = "udevd=; loop=; run_udev=\n"
      "while IFS=' ' read -r what arg; do\n"
      "  case $what in\n"
      "    udevd) udevd=$arg;; -udevd) udevd=;;\n"
      "    loop) loop=$arg;; -loop) loop=;;\n"
      "    run-udev) run_udev=1;; -run-udev) run_udev=;;\n"
      "  esac\n"
      "done\n"
      "if [ -n \"$loop\" ]; then\n"
      "  losetup -d /dev/loop$loop 2>/dev/null\n"
      "  echo \"# host guardian: detached /dev/loop$loop (remove it with LOOP_CTL_REMOVE)\" >&2\n"
      "fi\n"
      "if [ -n \"$udevd\" ] && [ \"$(cat /proc/$udevd/comm 2>/dev/null)\" = systemd-udevd ]; then\n"
      "  kill \"$udevd\"; echo \"# host guardian: stopped systemd-udevd $udevd\" >&2\n"
      "fi\n"
      "[ -n \"$run_udev\" ] && sleep 1 && rm -rf /run/udev\n"
      "exit 0\n";

typedef struct
{
  int guardian_fd;
  GPid guardian_pid;
  GPid udevd_pid; /* ours; 0 when a udev daemon was already running */
  gboolean made_run_udev;
  int loop_control;
  int loop_index; /* -1: none added */
  char *image;
} Host;

static void host_tell (Host *host, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
host_tell (Host *host, const char *format, ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  g_assert_cmpint (write (host->guardian_fd, line, strlen (line)), ==, (gssize)strlen (line));
  g_assert_cmpint (write (host->guardian_fd, "\n", 1), ==, 1);
}

/* Whether a process named systemd-udevd (or udevd) runs. */
static gboolean
udevd_running (void)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename ("/proc", name, "comm", NULL);
      g_autofree char *comm = NULL;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (comm_path, &comm, NULL, NULL))
        continue;
      g_strchomp (comm);
      if (g_str_equal (comm, "systemd-udevd") || g_str_equal (comm, "udevd"))
        return TRUE;
    }
  return FALSE;
}

static gboolean
run_quietly (const char *const *argv, char **out)
{
  int status = -1;

  if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, out, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

static void
host_start (Host *host, const char *root)
{
  const char *guardian_argv[]
      = { "/bin/sh", "-c", host_guardian_script, "hull-test-host-guardian", NULL };
  const char *udevd_argv[] = { UDEVD, NULL };
  const char *ping_argv[] = { "udevadm", "control", "--ping", "--timeout=1", NULL };
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  host->loop_index = -1;
  host->loop_control = -1;
  g_spawn_async_with_pipes (NULL, (char **)guardian_argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
                            NULL, &host->guardian_pid, &host->guardian_fd, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fcntl (host->guardian_fd, F_SETFD, FD_CLOEXEC), ==, 0);

  if (udevd_running ())
    g_test_message ("a udev daemon runs already: the test uses it");
  else
    {
      host->made_run_udev = !g_file_test ("/run/udev", G_FILE_TEST_EXISTS);
      if (host->made_run_udev)
        host_tell (host, "run-udev");
      g_spawn_async_with_pipes_and_fds (NULL, udevd_argv, NULL,
                                        G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
                                        NULL, NULL, -1, STDERR_FILENO, STDERR_FILENO, NULL, NULL, 0,
                                        &host->udevd_pid, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      host_tell (host, "udevd %d", (int)host->udevd_pid);
      g_test_message ("started %s, PID %d", UDEVD, (int)host->udevd_pid);
    }

  /* Ready when it answers. */
  deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;
  while (!run_quietly (ping_argv, NULL))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the udev daemon does not answer 'udevadm control --ping' within %d s",
                 HULL_TEST_TIMEOUT_S);
      g_usleep (20000);
    }

  host->image = g_build_filename (root, "loop.img", NULL);
  {
    int fd = g_open (host->image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, 10 << 20), ==, 0);
    close (fd);
  }
  host->loop_control = open ("/dev/loop-control", O_RDWR | O_CLOEXEC);
  g_assert_cmpint (host->loop_control, >=, 0);
}

/* A new loop device (one that does not exist yet: its add and remove are
 * real uevents; attaching a file to an existing one is only a change). */
static int
host_add_loop (Host *host)
{
  for (int index = 200; index < 1000; index++)
    {
      int result = ioctl (host->loop_control, LOOP_CTL_ADD, index);

      if (result >= 0)
        {
          host->loop_index = result;
          host_tell (host, "loop %d", result);
          return result;
        }
      g_assert_cmpint (errno, ==, EEXIST);
    }
  g_error ("no free loop device number between 200 and 999");
}

static void
host_remove_loop (Host *host)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  if (host->loop_index < 0)
    return;
  /* udev's rules may still hold it open for a moment: EBUSY. */
  while (ioctl (host->loop_control, LOOP_CTL_REMOVE, host->loop_index) < 0)
    {
      if (errno != EBUSY || g_get_monotonic_time () > deadline)
        g_error ("LOOP_CTL_REMOVE %d: %s", host->loop_index, g_strerror (errno));
      g_usleep (20000);
    }
  host->loop_index = -1;
  host_tell (host, "-loop");
}

static void
host_stop (Host *host)
{
  int status;

  host_remove_loop (host);
  if (host->loop_control >= 0)
    close (host->loop_control);
  if (host->image != NULL)
    g_unlink (host->image);
  g_free (host->image);
  if (host->udevd_pid > 0)
    {
      gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;
      pid_t pid;

      kill (host->udevd_pid, SIGTERM);
      while ((pid = waitpid (host->udevd_pid, &status, WNOHANG)) == 0)
        {
          if (g_get_monotonic_time () > deadline)
            {
              g_test_message ("systemd-udevd %d ignored SIGTERM for %d s: SIGKILL",
                              (int)host->udevd_pid, HULL_TEST_TIMEOUT_S);
              kill (host->udevd_pid, SIGKILL);
              waitpid (host->udevd_pid, &status, 0);
              break;
            }
          g_usleep (10000);
        }
      g_test_message ("stopped systemd-udevd %d", (int)host->udevd_pid);
      host_tell (host, "-udevd");
      host->udevd_pid = 0;
    }
  if (host->made_run_udev)
    {
      const char *rm_argv[] = { "rm", "-rf", "/run/udev", NULL };

      g_assert_true (run_quietly (rm_argv, NULL));
      host_tell (host, "-run-udev");
    }
  close (host->guardian_fd);
  waitpid (host->guardian_pid, &status, 0);
  g_assert_false (udevd_running () && host->udevd_pid != 0);
}

static char *
skip_hotplug (void)
{
  g_autofree char *losetup = g_find_program_in_path ("losetup");
  g_autofree char *udevadm = g_find_program_in_path ("udevadm");

  if (getuid () != 0)
    return g_strdup ("plugging a loop device needs root");
  if (!g_file_test ("/dev/loop-control", G_FILE_TEST_EXISTS))
    return g_strdup ("no /dev/loop-control");
  if (losetup == NULL)
    return g_strdup ("no losetup");
  if (!udevd_running () && (!g_file_test (UDEVD, G_FILE_TEST_IS_EXECUTABLE) || udevadm == NULL))
    return g_strdup ("no udev daemon runs and " UDEVD " (Debian's udev) is not installed");
  return NULL;
}

typedef struct
{
  GPtrArray *entries; /* "added PATH NAME SUBSYSTEM", "removed ..." */
} NodeSignals;

static void
on_node_signal (GDBusConnection *connection, const char *sender, const char *path,
                const char *interface, const char *member, GVariant *parameters, gpointer user_data)
{
  NodeSignals *signals = user_data;
  const char *object, *name, *subsystem;

  if (!g_str_equal (member, "NodeDeviceAdded") && !g_str_equal (member, "NodeDeviceRemoved"))
    return;
  g_assert_true (g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oss)")));
  g_variant_get (parameters, "(&o&s&s)", &object, &name, &subsystem);
  g_ptr_array_add (signals->entries,
                   g_strdup_printf ("%s %s %s %s",
                                    g_str_equal (member, "NodeDeviceAdded") ? "added" : "removed",
                                    object, name, subsystem));
}

typedef struct
{
  NodeSignals *signals;
  const char *entry;
} SignalWait;

static gboolean
has_signal (gpointer data)
{
  SignalWait *wait = data;

  for (guint i = 0; i < wait->signals->entries->len; i++)
    if (g_str_equal (wait->signals->entries->pdata[i], wait->entry))
      return TRUE;
  return FALSE;
}

/* A loop device that is added, attached, detached and removed: the object
 * appears (InterfacesAdded, then NodeDeviceAdded) and goes (InterfacesRemoved,
 * then NodeDeviceRemoved). */
static void
test_hotplug_loop (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (FALSE);
  Host host = { 0 };
  NodeSignals signals = { g_ptr_array_new_with_free_func (g_free) };
  g_autoptr (HullTestRecorder) recorder = NULL;
  g_autofree char *name = NULL;
  g_autofree char *node = NULL;
  g_autofree char *path = NULL;
  g_autofree char *added = NULL;
  g_autofree char *removed = NULL;
  g_autofree char *added_signal = NULL;
  g_autofree char *removed_signal = NULL;
  guint subscription;
  int index;

  /* udev first: hulld's monitor listens to a udev daemon that runs. */
  host_start (&host, world->root);
  hull_test_world_start_hulld (world);
  recorder = hull_test_recorder_new (world);
  subscription = g_dbus_connection_signal_subscribe (world->connection, NULL, MANAGER, NULL,
                                                     HULL_DBUS_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                     on_node_signal, &signals, NULL);

  index = host_add_loop (&host);
  name = g_strdup_printf ("loop%d", index);
  node = g_strdup_printf ("/dev/loop%d", index);
  path = hull_dbus_node_device_path ("block", name);
  g_test_message ("plugged %s (%s)", node, path);
  added = g_strdup_printf ("added %s " NODE_DEVICE, path);
  added_signal = g_strdup_printf ("added %s %s block", path, name);
  {
    SignalWait wait = { &signals, added_signal };
    guint object_added, signal_added;
    g_autofree char *subsystem = NULL;
    g_autofree char *device_node = NULL;
    g_autofree char *sysfs = NULL;
    g_auto (GStrv) block = NULL;

    hull_test_wait_until (has_signal, &wait, "NodeDeviceAdded for the new loop device");
    /* The object is there before it is announced. */
    object_added = hull_test_recorder_wait (recorder, added, 0);
    signal_added = hull_test_recorder_wait (
        recorder, "signal " HULL_DBUS_PATH " " MANAGER ".NodeDeviceAdded", 0);
    g_assert_cmpuint (object_added, <, signal_added);
    g_assert_true (hull_test_object_exists (world, path));
    subsystem = node_string (world, path, "Subsystem");
    device_node = node_string (world, path, "DeviceNode");
    sysfs = node_string (world, path, "SysfsPath");
    g_assert_cmpstr (subsystem, ==, "block");
    g_assert_cmpstr (device_node, ==, node);
    g_assert_true (g_str_has_suffix (sysfs, name));
    block = list_node_devices (world, subsystem_option ("block"));
    g_assert_true (g_strv_contains ((const char *const *)block, path));
  }

  /* Attach and detach a file: changes (not adds) of the same object. */
  {
    const char *attach[] = { "losetup", node, host.image, NULL };
    const char *detach[] = { "losetup", "-d", node, NULL };

    g_assert_true (run_quietly (attach, NULL));
    g_assert_true (run_quietly (detach, NULL));
  }

  host_remove_loop (&host);
  removed_signal = g_strdup_printf ("removed %s %s block", path, name);
  removed = g_strdup_printf ("removed %s " NODE_DEVICE, path);
  {
    SignalWait wait = { &signals, removed_signal };
    int object_removed;
    guint signal_removed;
    guint n_added = 0;

    hull_test_wait_until (has_signal, &wait, "NodeDeviceRemoved for the loop device");
    signal_removed = hull_test_recorder_wait (
        recorder, "signal " HULL_DBUS_PATH " " MANAGER ".NodeDeviceRemoved", 0);
    object_removed = hull_test_recorder_find (recorder, removed, 0);
    g_assert_cmpint (object_removed, >=, 0);
    g_assert_cmpuint ((guint)object_removed, <, signal_removed);
    g_assert_false (hull_test_object_exists (world, path));
    /* Added once: the attach and detach were changes. */
    for (guint i = 0; i < signals.entries->len; i++)
      if (g_str_equal (signals.entries->pdata[i], added_signal))
        n_added++;
    g_assert_cmpuint (n_added, ==, 1);
  }

  g_dbus_connection_signal_unsubscribe (world->connection, subscription);
  hull_test_world_stop_hulld (world);
  host_stop (&host);
  g_ptr_array_unref (signals.entries);
}

/* --- kvm availability ------------------------------------------------------------ */

static char *
skip_no_kvm_plugin (void)
{
  if (hull_test_kvm_plugin () == NULL)
    return g_strdup ("the kvm backend is not built");
  return NULL;
}

static gboolean
backend_boolean (HullTestWorld *world, const char *path, const char *name)
{
  g_autoptr (GVariant) value = hull_test_get_property (world, path, BACKEND, name);

  return g_variant_get_boolean (value);
}

static char *
backend_string (HullTestWorld *world, const char *path, const char *name)
{
  g_autoptr (GVariant) value = hull_test_get_property (world, path, BACKEND, name);

  return g_variant_dup_string (value, NULL);
}

/* GetCapabilities' entry for the kvm backend agrees with the object. */
static void
assert_capabilities_agree (HullTestWorld *world, gboolean available, const char *reason)
{
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, HULL_DBUS_PATH, MANAGER, "GetCapabilities",
                           g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(a{sv})");
  g_autoptr (GVariant) capabilities = g_variant_get_child_value (reply, 0);
  g_autoptr (GVariant) backends = NULL;
  GVariantIter iter;
  GVariant *backend;
  gboolean found = FALSE;

  backends = g_variant_lookup_value (capabilities, "backends", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_nonnull (backends);
  g_variant_iter_init (&iter, backends);
  while ((backend = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *name = NULL, *backend_reason = NULL;
      gboolean backend_available = FALSE;

      g_variant_lookup (backend, "name", "&s", &name);
      if (g_strcmp0 (name, "kvm") == 0)
        {
          found = TRUE;
          g_assert_true (g_variant_lookup (backend, "available", "b", &backend_available));
          g_assert_true (g_variant_lookup (backend, "reason", "&s", &backend_reason));
          g_assert_cmpint (backend_available, ==, available);
          g_assert_cmpstr (backend_reason, ==, reason);
        }
      g_variant_unref (backend);
    }
  g_assert_true (found);
}

/* The kvm backend is unavailable, saying why, while its device is missing,
 * and what its probe says again once the device is back; each change with
 * a PropertiesChanged on the Backend object. */
static void
test_kvm_availability (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (FALSE);
  g_autoptr (HullTestRecorder) recorder = NULL;
  g_autofree char *device = g_build_filename (world->root, "fake-kvm", NULL);
  g_autofree char *backend = hull_dbus_backend_path ("kvm");
  g_autofree char *reason_before = NULL;
  g_autofree char *reason_missing = NULL;
  g_autofree char *reason_back = NULL;
  g_autofree char *reason_entry = g_strdup_printf ("prop %s Reason *", backend);
  g_autofree char *available_false = g_strdup_printf ("prop %s Available false", backend);
  g_autofree char *available_true = g_strdup_printf ("prop %s Available true", backend);
  gboolean available_before;
  guint mark;

  g_assert_true (g_file_set_contents (device, "", 0, NULL));
  g_setenv ("HULL_TEST_KVM_DEVICE", device, TRUE);
  hull_test_world_start_hulld (world);
  g_unsetenv ("HULL_TEST_KVM_DEVICE");
  recorder = hull_test_recorder_new (world);

  available_before = backend_boolean (world, backend, "Available");
  reason_before = backend_string (world, backend, "Reason");
  g_test_message ("kvm backend at start: available %d, reason '%s'", available_before,
                  reason_before);
  assert_capabilities_agree (world, available_before, reason_before);

  /* Gone. */
  g_assert_cmpint (g_unlink (device), ==, 0);
  mark = hull_test_recorder_wait (recorder, reason_entry, 0);
  g_assert_false (backend_boolean (world, backend, "Available"));
  reason_missing = backend_string (world, backend, "Reason");
  g_assert_nonnull (strstr (reason_missing, device));
  if (available_before)
    g_assert_cmpint (hull_test_recorder_find (recorder, available_false, 0), >=, 0);
  assert_capabilities_agree (world, FALSE, reason_missing);

  /* Back: probed again. */
  g_assert_true (g_file_set_contents (device, "", 0, NULL));
  hull_test_recorder_wait (recorder, reason_entry, mark + 1);
  g_assert_cmpint (backend_boolean (world, backend, "Available"), ==, available_before);
  reason_back = backend_string (world, backend, "Reason");
  g_assert_cmpstr (reason_back, ==, reason_before);
  if (available_before)
    g_assert_cmpint (hull_test_recorder_find (recorder, available_true, mark), >=, 0);
  assert_capabilities_agree (world, available_before, reason_before);
}

/* A kvm device missing when hulld starts: unavailable from the start. */
static void
test_kvm_missing_at_start (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (FALSE);
  g_autofree char *device = g_build_filename (world->root, "no-kvm", NULL);
  g_autofree char *backend = hull_dbus_backend_path ("kvm");
  g_autofree char *reason = NULL;

  g_setenv ("HULL_TEST_KVM_DEVICE", device, TRUE);
  hull_test_world_start_hulld (world);
  g_unsetenv ("HULL_TEST_KVM_DEVICE");
  g_assert_false (backend_boolean (world, backend, "Available"));
  reason = backend_string (world, backend, "Reason");
  g_assert_nonnull (strstr (reason, device));
  assert_capabilities_agree (world, FALSE, reason);
}

int
main (int argc, char **argv)
{
  hull_test_init (&argc, &argv);
  if (hull_test_dbus_daemon () == NULL)
    {
      g_printerr ("no dbus-daemon: skipping\n");
      return 77;
    }
  hull_test_add ("/node-devices/enumerate", test_enumerate, NULL);
  hull_test_add ("/node-devices/list-bad-options", test_list_bad_options, NULL);
  hull_test_add ("/node-devices/hotplug-loop", test_hotplug_loop, skip_hotplug);
  hull_test_add ("/node-devices/kvm-availability", test_kvm_availability, skip_no_kvm_plugin);
  hull_test_add ("/node-devices/kvm-missing-at-start", test_kvm_missing_at_start,
                 skip_no_kvm_plugin);
  return g_test_run ();
}
