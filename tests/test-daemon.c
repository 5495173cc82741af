/* hulld over D-Bus (docs/dbus-api.md): every Manager and Domain method on
 * the test backend, the properties, events and ObjectManager signals they
 * cause, in their documented order. Each test owns its world: a private
 * dbus-daemon, temporary directories and its own hulld (dbus-harness.h).
 *
 * The other parts of this program: test-daemon-lifecycle.c (policies,
 * crashes, two domains, KVM), test-daemon-restart.c (daemon restarts,
 * reattach, autostart, persistence), test-daemon-bad-input.c (every way a
 * call can be wrong, and that it then changes nothing). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbus-harness.h"
#include "hull-error.h"

void test_daemon_add_lifecycle_tests (void);
void test_daemon_add_restart_tests (void);
void test_daemon_add_bad_input_tests (void);

#define MANAGER "org.hullvm.Hull1.Manager"
#define DOMAIN "org.hullvm.Hull1.Domain"

static GStrv
list_domains (HullTestWorld *world, GVariant *options)
{
  g_autoptr (GVariant) reply = hull_test_call_ok (
      world, HULL_DBUS_PATH, MANAGER, "ListDomains",
      g_variant_new ("(@a{sv})", options != NULL ? options : HULL_TEST_NO_OPTIONS), "(ao)");
  GStrv paths;

  g_variant_get (reply, "(^ao)", &paths);
  return paths;
}

static char *
lookup (HullTestWorld *world, const char *method, const char *key)
{
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, HULL_DBUS_PATH, MANAGER, method,
                           g_variant_new ("(s@a{sv})", key, HULL_TEST_NO_OPTIONS), "(o)");
  char *path;

  g_variant_get (reply, "(o)", &path);
  return path;
}

static GVariant *
domain_property (HullTestWorld *world, const char *path, const char *name)
{
  return hull_test_get_property (world, path, DOMAIN, name);
}

/* --- Manager ------------------------------------------------------------ */

static void
test_manager_properties (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (GVariant) version = hull_test_get_property (world, HULL_DBUS_PATH, MANAGER, "Version");
  g_autoptr (GVariant) mode = hull_test_get_property (world, HULL_DBUS_PATH, MANAGER, "Mode");
  g_auto (GStrv) none = list_domains (world, NULL);

  g_assert_cmpstr (g_variant_get_string (version, NULL), ==, PACKAGE_VERSION);
  g_assert_cmpstr (g_variant_get_string (mode, NULL), ==, "session");
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

/* A new domain: its object, properties, file, InterfacesAdded before
 * DEFINED/ADDED. */
static void
test_manager_define (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  const char *uuid = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0";
  g_autofree char *xml = hull_test_domain_xml ("web1", uuid, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *path = hull_test_define (world, xml);
  g_autofree char *expected_path = hull_dbus_domain_path (uuid);
  g_autofree char *file = hull_test_world_definition_path (world, uuid);
  g_autofree char *added = g_strdup_printf ("added %s " DOMAIN, path);
  g_autofree char *contents = NULL;
  g_autoptr (GVariant) desc = NULL;
  const char *desc_xml;
  g_autoptr (GVariant) owner = NULL, vcpus = NULL, memory = NULL;
  g_autofree char *uuid_prop = NULL, *backend = NULL, *name = NULL;
  g_auto (GStrv) paths = NULL;
  guint event;
  struct stat st;

  g_assert_cmpstr (path, ==, expected_path);
  event = hull_test_recorder_wait (recorder, "event web1 defined added", 0);
  g_assert_cmpint (hull_test_recorder_find (recorder, added, 0), >=, 0);
  g_assert_cmpint (hull_test_recorder_find (recorder, added, 0), <, (int)event);

  paths = list_domains (world, NULL);
  g_assert_cmpuint (g_strv_length (paths), ==, 1);
  g_assert_cmpstr (paths[0], ==, path);
  g_assert_true (hull_test_object_exists (world, path));

  name = hull_test_domain_string (world, path, "Name");
  uuid_prop = hull_test_domain_uuid (world, path);
  backend = hull_test_domain_string (world, path, "Backend");
  owner = domain_property (world, path, "Owner");
  vcpus = domain_property (world, path, "Vcpus");
  memory = domain_property (world, path, "Memory");
  g_assert_cmpstr (name, ==, "web1");
  g_assert_cmpstr (uuid_prop, ==, uuid);
  g_assert_cmpstr (backend, ==, "test");
  g_assert_cmpuint (g_variant_get_uint32 (owner), ==, getuid ());
  g_assert_cmpuint (g_variant_get_uint32 (vcpus), ==, 1);
  g_assert_cmpuint (g_variant_get_uint64 (memory), ==, 16 * 1024 * 1024);
  hull_test_assert_state (world, path, "shutoff", "unknown");
  g_assert_true (hull_test_domain_boolean (world, path, "Persistent"));
  g_assert_false (hull_test_domain_boolean (world, path, "Autostart"));

  /* The stored definition: canonical XML, private. */
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  desc = hull_test_call_ok (world, path, DOMAIN, "GetXMLDesc",
                            g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(s)");
  g_variant_get (desc, "(&s)", &desc_xml);
  g_assert_cmpstr (desc_xml, ==, contents);
  g_assert_nonnull (strstr (contents, "<name>web1</name>"));
  g_assert_nonnull (strstr (contents, uuid));

  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event web1 defined added"), ==, 1);
}

/* A definition without a UUID gets one; its path follows from it. */
static void
test_manager_define_random_uuid (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *path = hull_test_define_domain (world, "anon", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *expected = hull_dbus_domain_path (uuid);
  g_autofree char *file = hull_test_world_definition_path (world, uuid);

  g_assert_true (g_uuid_string_is_valid (uuid));
  g_assert_cmpstr (path, ==, expected);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
}

/* The same name and UUID again: the same object, DEFINED/UPDATED, the new
 * definition stored. While it runs, the running definition stays what
 * GetXMLDesc shows, and "inactive" shows the stored one. */
static void
test_manager_redefine (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  const char *uuid = "0b7c5e0e-54d4-4a36-8e3f-6f7a2a1c9d01";
  g_autofree char *first = hull_test_domain_xml ("vm", uuid, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *second
      = hull_test_domain_xml ("vm", uuid, HULL_TEST_PROGRAM_SPIN, "<on_reboot>destroy</on_reboot>");
  g_autofree char *path = hull_test_define (world, first);
  g_autofree char *again = NULL;
  g_autofree char *file = hull_test_world_definition_path (world, uuid);
  g_autofree char *stored = NULL;
  g_autoptr (GVariant) live = NULL, inactive = NULL;
  g_auto (GStrv) paths = NULL;
  const char *live_xml, *inactive_xml;

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "running", "booted");

  again = hull_test_define (world, second);
  g_assert_cmpstr (again, ==, path);
  hull_test_recorder_wait (recorder, "event vm defined updated", 0);
  g_assert_true (g_file_get_contents (file, &stored, NULL, NULL));
  g_assert_nonnull (strstr (stored, "<on_reboot>destroy</on_reboot>"));

  live = hull_test_call_ok (world, path, DOMAIN, "GetXMLDesc",
                            g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(s)");
  inactive = hull_test_call_ok (world, path, DOMAIN, "GetXMLDesc",
                                g_variant_new_parsed ("(@a{sv} {'inactive': <true>},)"), "(s)");
  g_variant_get (live, "(&s)", &live_xml);
  g_variant_get (inactive, "(&s)", &inactive_xml);
  g_assert_null (strstr (live_xml, "<on_reboot>destroy</on_reboot>"));
  g_assert_cmpstr (inactive_xml, ==, stored);

  /* The new definition takes effect at the next start. */
  hull_test_domain_do (world, path, "Destroy");
  g_clear_pointer (&live, g_variant_unref);
  live = hull_test_call_ok (world, path, DOMAIN, "GetXMLDesc",
                            g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(s)");
  g_variant_get (live, "(&s)", &live_xml);
  g_assert_cmpstr (live_xml, ==, stored);
  paths = list_domains (world, NULL);
  g_assert_cmpuint (g_strv_length (paths), ==, 1);
}

static void
test_manager_list_domains (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *c = hull_test_define_domain (world, "charlie", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *a = hull_test_define_domain (world, "alpha", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *b = hull_test_define_domain (world, "bravo", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *d = hull_test_define_domain (world, "delta", HULL_TEST_PROGRAM_SPIN, NULL);
  g_auto (GStrv) all = NULL, active = NULL, inactive = NULL, both = NULL;

  hull_test_domain_do (world, b, "Start");
  hull_test_domain_do (world, d, "Start");
  hull_test_domain_do (world, d, "Pause");

  all = list_domains (world, NULL);
  g_assert_cmpuint (g_strv_length (all), ==, 4);
  g_assert_cmpstr (all[0], ==, a);
  g_assert_cmpstr (all[1], ==, b);
  g_assert_cmpstr (all[2], ==, c);
  g_assert_cmpstr (all[3], ==, d);

  active = list_domains (world, g_variant_new_parsed ("{'active': <true>}"));
  g_assert_cmpuint (g_strv_length (active), ==, 2);
  g_assert_cmpstr (active[0], ==, b);
  g_assert_cmpstr (active[1], ==, d);

  inactive = list_domains (world, g_variant_new_parsed ("{'inactive': <true>}"));
  g_assert_cmpuint (g_strv_length (inactive), ==, 2);
  g_assert_cmpstr (inactive[0], ==, a);
  g_assert_cmpstr (inactive[1], ==, c);

  both = list_domains (world, g_variant_new_parsed ("{'active': <true>, 'inactive': <true>}"));
  g_assert_cmpuint (g_strv_length (both), ==, 4);
}

static void
test_manager_lookup (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  const char *uuid = "6695eb01-f6a4-8304-79aa-97f2502e193f";
  g_autofree char *xml = hull_test_domain_xml ("finder", uuid, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *path = hull_test_define (world, xml);
  g_autofree char *by_name = lookup (world, "LookupByName", "finder");
  g_autofree char *by_uuid = lookup (world, "LookupByUUID", uuid);
  g_autofree char *upper = g_ascii_strup (uuid, -1);
  g_autofree char *by_upper = lookup (world, "LookupByUUID", upper);

  g_assert_cmpstr (by_name, ==, path);
  g_assert_cmpstr (by_uuid, ==, path);
  g_assert_cmpstr (by_upper, ==, path);
  hull_test_call_fails (world, HULL_DBUS_PATH, MANAGER, "LookupByName",
                        g_variant_new ("(s@a{sv})", "Finder", HULL_TEST_NO_OPTIONS),
                        "org.hullvm.Hull1.Error.NotFound");
  hull_test_call_fails (
      world, HULL_DBUS_PATH, MANAGER, "LookupByUUID",
      g_variant_new ("(s@a{sv})", "6695eb01-f6a4-8304-79aa-97f2502e1940", HULL_TEST_NO_OPTIONS),
      "org.hullvm.Hull1.Error.NotFound");
}

static void
test_manager_capabilities (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, HULL_DBUS_PATH, MANAGER, "GetCapabilities",
                           g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(a{sv})");
  g_autoptr (GVariant) caps = g_variant_get_child_value (reply, 0);
  g_autoptr (GVariant) backends = NULL, layout = NULL;
  const char *arch, *version;
  guint64 min_memory, max_memory;
  guint32 max_vcpus;
  gboolean saw_test = FALSE;
  GVariantIter iter;
  GVariant *backend;
  g_autofree char *printed = g_variant_print (caps, TRUE);

  g_test_message ("capabilities: %s", printed);
  g_assert_true (g_variant_lookup (caps, "arch", "&s", &arch));
  g_assert_cmpstr (arch, ==, "x86_64");
  g_assert_true (g_variant_lookup (caps, "hull-version", "&s", &version));
  g_assert_cmpstr (version, ==, PACKAGE_VERSION);
  g_assert_true (g_variant_lookup (caps, "min-memory", "t", &min_memory));
  g_assert_true (g_variant_lookup (caps, "max-memory", "t", &max_memory));
  g_assert_cmpuint (min_memory, ==, 16 * 1024 * 1024);
  g_assert_cmpuint (min_memory, <, max_memory);
  g_assert_true (g_variant_lookup (caps, "max-vcpus", "u", &max_vcpus));
  g_assert_cmpuint (max_vcpus, ==, 4096);

  backends = g_variant_lookup_value (caps, "backends", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_nonnull (backends);
  g_variant_iter_init (&iter, backends);
  while ((backend = g_variant_iter_next_value (&iter)) != NULL)
    {
      const char *name, *path, *reason, *speed;
      gboolean available;

      g_assert_true (g_variant_lookup (backend, "name", "&s", &name));
      g_assert_true (g_variant_lookup (backend, "path", "&s", &path));
      g_assert_true (g_variant_lookup (backend, "available", "b", &available));
      g_assert_true (g_variant_lookup (backend, "reason", "&s", &reason));
      g_assert_true (g_variant_lookup (backend, "speed", "&s", &speed));
      if (g_str_equal (name, "test"))
        {
          saw_test = TRUE;
          g_assert_true (available);
          g_assert_cmpstr (reason, ==, "");
          g_assert_cmpstr (speed, ==, "emulated");
        }
      g_variant_unref (backend);
    }
  g_assert_true (saw_test);

  layout = g_variant_lookup_value (caps, "default-memory-layout", G_VARIANT_TYPE ("aa{sv}"));
  g_assert_nonnull (layout);
  g_assert_cmpuint (g_variant_n_children (layout), >, 0);
}

static void
test_manager_backends (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, HULL_DBUS_PATH, MANAGER, "ListBackends",
                           g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(ao)");
  g_autofree char *test_path = hull_dbus_backend_path ("test");
  g_autofree char *kvm_path = hull_dbus_backend_path ("kvm");
  g_auto (GStrv) paths = NULL;
  g_autoptr (GVariant) name = NULL, path = NULL, available = NULL, reason = NULL, speed = NULL;

  g_variant_get (reply, "(^ao)", &paths);
  g_assert_true (g_strv_contains ((const char *const *)paths, test_path));
  g_assert_cmpuint (g_strv_length (paths), ==, world->have_kvm ? 2 : 1);
  if (world->have_kvm)
    {
      /* Sorted by name. */
      g_assert_cmpstr (paths[0], ==, kvm_path);
      g_assert_cmpstr (paths[1], ==, test_path);
    }
  g_assert_true (hull_test_object_exists (world, test_path));

  name = hull_test_get_property (world, test_path, "org.hullvm.Hull1.Backend", "Name");
  path = hull_test_get_property (world, test_path, "org.hullvm.Hull1.Backend", "Path");
  available = hull_test_get_property (world, test_path, "org.hullvm.Hull1.Backend", "Available");
  reason = hull_test_get_property (world, test_path, "org.hullvm.Hull1.Backend", "Reason");
  speed = hull_test_get_property (world, test_path, "org.hullvm.Hull1.Backend", "Speed");
  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, "test");
  g_assert_true (g_str_has_suffix (g_variant_get_string (path, NULL), "hull-backend-test.so"));
  g_assert_true (g_variant_get_boolean (available));
  g_assert_cmpstr (g_variant_get_string (reason, NULL), ==, "");
  g_assert_cmpstr (g_variant_get_string (speed, NULL), ==, "emulated");
}

/* A transient domain: running at once, no file, gone when it stops. */
static void
test_manager_create (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *xml = hull_test_domain_xml ("transient", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *path = hull_test_create (world, xml);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *file = hull_test_world_definition_path (world, uuid);
  g_autofree char *removed = g_strdup_printf ("removed %s " DOMAIN, path);
  g_autofree char *added = g_strdup_printf ("added %s " DOMAIN, path);
  g_auto (GStrv) left = NULL;
  guint stopped;
  GPid pid;

  hull_test_assert_state (world, path, "running", "booted");
  g_assert_false (hull_test_domain_boolean (world, path, "Persistent"));
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  hull_test_recorder_wait (recorder, added, 0);
  hull_test_recorder_wait (recorder, "event transient started booted", 0);
  pid = hull_test_world_worker_pid (world, uuid);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (hull_test_pid_alive (pid));

  hull_test_domain_do (world, path, "Destroy");
  stopped = hull_test_recorder_wait (recorder, "event transient stopped destroyed", 0);
  g_assert_cmpuint (hull_test_recorder_wait (recorder, removed, 0), >, stopped);
  g_assert_false (hull_test_object_exists (world, path));
  hull_test_call_fails (world, HULL_DBUS_PATH, MANAGER, "LookupByName",
                        g_variant_new ("(s@a{sv})", "transient", HULL_TEST_NO_OPTIONS),
                        "org.hullvm.Hull1.Error.NotFound");
  hull_test_wait_pid_gone (pid);
  left = list_domains (world, NULL);
  g_assert_cmpuint (g_strv_length (left), ==, 0);
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event transient started booted"), ==, 1);
}

static void
test_manager_create_paused (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *xml = hull_test_domain_xml ("held", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GVariant) reply = hull_test_call_ok (
      world, HULL_DBUS_PATH, MANAGER, "CreateXML",
      g_variant_new ("(s@a{sv})", xml, g_variant_new_parsed ("{'paused': <true>}")), "(o)");
  const char *path;

  g_variant_get (reply, "(&o)", &path);
  hull_test_assert_state (world, path, "paused", "starting-up");
  hull_test_domain_do (world, path, "Resume");
  hull_test_assert_state (world, path, "running", "unpaused");
}

/* --- Domain ------------------------------------------------------------------ */

/* Start and Destroy: the state, the worker, the notifications in order,
 * STARTED/BOOTED exactly once. */
static void
test_domain_start_destroy (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "sd", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *status = g_strdup_printf ("%s/vm/%s.status", world->runtime_dir, uuid);
  g_autofree char *socket = g_strdup_printf ("%s/vm/%s.sock", world->runtime_dir, uuid);
  g_autofree char *live = g_strdup_printf ("%s/vm/%s.xml", world->runtime_dir, uuid);
  g_autofree char *record = g_strdup_printf ("%s/vm/%s.domain", world->runtime_dir, uuid);
  guint started, stopped;
  GPid pid;

  hull_test_domain_do (world, path, "Start");
  /* Start replies when the domain runs. */
  hull_test_assert_state (world, path, "running", "booted");
  started = hull_test_recorder_wait_change (recorder, path, "sd", "running", "booted",
                                            "started booted", 0);
  pid = hull_test_world_worker_pid (world, uuid);
  g_assert_cmpint (pid, >, 0);
  g_assert_true (hull_test_pid_alive (pid));
  g_assert_true (g_file_test (socket, G_FILE_TEST_EXISTS));
  /* The live definition and hulld's record of the running domain. */
  g_assert_true (g_file_test (live, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (record, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (hull_test_domain_boots (world, path), ==, 1);

  hull_test_domain_do (world, path, "Destroy");
  hull_test_assert_state (world, path, "shutoff", "destroyed");
  stopped = hull_test_recorder_wait_change (recorder, path, "sd", "shutoff", "destroyed",
                                            "stopped destroyed", started + 1);
  g_assert_cmpuint (stopped, >, started);
  hull_test_wait_pid_gone (pid);
  g_assert_false (g_file_test (status, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
  /* A stopped persistent domain stays. */
  g_assert_true (hull_test_object_exists (world, path));

  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event sd started booted"), ==, 1);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event sd stopped *"), ==, 1);

  /* And it starts again. */
  hull_test_domain_do (world, path, "Start");
  hull_test_assert_state (world, path, "running", "booted");
  hull_test_recorder_wait (recorder, "event sd started booted", stopped + 1);
}

static void
test_domain_start_paused (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "sp", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GVariant) reply = hull_test_call_ok (
      world, path, DOMAIN, "Start", g_variant_new_parsed ("({'paused': <true>},)"), NULL);
  guint resumed;

  hull_test_assert_state (world, path, "paused", "starting-up");
  hull_test_recorder_wait (recorder, "event sp started booted", 0);
  hull_test_domain_do (world, path, "Resume");
  hull_test_assert_state (world, path, "running", "unpaused");
  resumed = hull_test_recorder_wait_change (recorder, path, "sp", "running", "unpaused",
                                            "resumed unpaused", 0);
  g_assert_cmpuint (resumed, >, hull_test_recorder_find (recorder, "event sp started booted", 0));
}

static void
test_domain_pause_resume (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "pr", HULL_TEST_PROGRAM_SPIN, NULL);
  guint at;

  hull_test_domain_do (world, path, "Start");
  hull_test_domain_do (world, path, "Pause");
  hull_test_assert_state (world, path, "paused", "user");
  at = hull_test_recorder_wait_change (recorder, path, "pr", "paused", "user", "suspended paused",
                                       0);
  hull_test_domain_do (world, path, "Resume");
  hull_test_assert_state (world, path, "running", "unpaused");
  hull_test_recorder_wait_change (recorder, path, "pr", "running", "unpaused", "resumed unpaused",
                                  at + 1);
  /* Paused twice: two events each. */
  hull_test_domain_do (world, path, "Pause");
  hull_test_domain_do (world, path, "Resume");
  hull_test_recorder_wait_count (recorder, "event pr resumed unpaused", 2);
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event pr suspended paused"), ==, 2);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event pr resumed unpaused"), ==, 2);
}

/* Shutdown with no power-off from the guest: stopped after the timeout. */
static void
test_domain_shutdown (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "sh", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GVariant) reply = NULL;
  gint64 before;

  hull_test_domain_do (world, path, "Start");
  hull_test_domain_do (world, path, "Shutdown");
  hull_test_assert_state (world, path, "shutoff", "shutdown");
  hull_test_recorder_wait_change (recorder, path, "sh", "shutoff", "shutdown", "stopped shutdown",
                                  0);

  /* With a timeout of 1 s, from a paused domain. */
  hull_test_domain_do (world, path, "Start");
  hull_test_domain_do (world, path, "Pause");
  before = g_get_monotonic_time ();
  reply = hull_test_call_ok (world, path, DOMAIN, "Shutdown",
                             g_variant_new_parsed ("({'timeout': <@u 1>},)"), NULL);
  g_assert_cmpint (g_get_monotonic_time () - before, >=, G_USEC_PER_SEC);
  hull_test_assert_state (world, path, "shutoff", "shutdown");
}

/* Reboot applies on_reboot; Reset boots again whatever it says. */
static void
test_domain_reboot_reset (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *restart = hull_test_define_domain (world, "rr", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *destroy = hull_test_define_domain (world, "rd", HULL_TEST_PROGRAM_SPIN,
                                                      "<on_reboot>destroy</on_reboot>");

  hull_test_domain_do (world, restart, "Start");
  hull_test_domain_do (world, restart, "Reboot");
  hull_test_assert_state (world, restart, "running", "rebooted");
  g_assert_cmpuint (hull_test_domain_boots (world, restart), ==, 2);
  hull_test_domain_do (world, restart, "Reset");
  hull_test_assert_state (world, restart, "running", "rebooted");
  g_assert_cmpuint (hull_test_domain_boots (world, restart), ==, 3);
  /* Reboot from paused. */
  hull_test_domain_do (world, restart, "Pause");
  hull_test_domain_do (world, restart, "Reboot");
  hull_test_assert_state (world, restart, "running", "rebooted");

  hull_test_domain_do (world, destroy, "Start");
  hull_test_domain_do (world, destroy, "Reset");
  hull_test_assert_state (world, destroy, "running", "rebooted");
  g_assert_cmpuint (hull_test_domain_boots (world, destroy), ==, 2);
  hull_test_domain_do (world, destroy, "Reboot");
  hull_test_assert_state (world, destroy, "shutoff", "shutdown");
  hull_test_recorder_wait_change (recorder, destroy, "rd", "shutoff", "shutdown",
                                  "stopped shutdown", 0);

  /* A reboot that restarts is no lifecycle event. */
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event rr started booted"), ==, 1);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event rr stopped *"), ==, 0);
}

static void
test_domain_autostart (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "auto", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *mark = g_build_filename (world->state_dir, "autostart", uuid, NULL);
  g_autofree char *on = g_strdup_printf ("prop %s Autostart true", path);
  g_autofree char *off = g_strdup_printf ("prop %s Autostart false", path);
  g_autoptr (GVariant) r1 = NULL, r2 = NULL, r3 = NULL;

  r1 = hull_test_call_ok (world, path, DOMAIN, "SetAutostart",
                          g_variant_new ("(b@a{sv})", TRUE, HULL_TEST_NO_OPTIONS), NULL);
  g_assert_true (hull_test_domain_boolean (world, path, "Autostart"));
  g_assert_true (g_file_test (mark, G_FILE_TEST_EXISTS));
  hull_test_recorder_wait (recorder, on, 0);

  /* No change, no signal. */
  r2 = hull_test_call_ok (world, path, DOMAIN, "SetAutostart",
                          g_variant_new ("(b@a{sv})", TRUE, HULL_TEST_NO_OPTIONS), NULL);
  r3 = hull_test_call_ok (world, path, DOMAIN, "SetAutostart",
                          g_variant_new ("(b@a{sv})", FALSE, HULL_TEST_NO_OPTIONS), NULL);
  g_assert_false (hull_test_domain_boolean (world, path, "Autostart"));
  g_assert_false (g_file_test (mark, G_FILE_TEST_EXISTS));
  hull_test_recorder_wait (recorder, off, 0);
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, on), ==, 1);
  /* Autostart does not start anything now. */
  hull_test_assert_state (world, path, "shutoff", "unknown");
}

/* Undefine of a shut-off domain: UNDEFINED before InterfacesRemoved, the
 * file and the autostart mark gone. */
static void
test_domain_undefine (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "gone", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *file = hull_test_world_definition_path (world, uuid);
  g_autofree char *mark = g_build_filename (world->state_dir, "autostart", uuid, NULL);
  g_autofree char *removed = g_strdup_printf ("removed %s " DOMAIN, path);
  g_auto (GStrv) left = NULL;
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, path, DOMAIN, "SetAutostart",
                           g_variant_new ("(b@a{sv})", TRUE, HULL_TEST_NO_OPTIONS), NULL);
  guint undefined;

  g_assert_true (g_file_test (mark, G_FILE_TEST_EXISTS));
  hull_test_domain_do (world, path, "Undefine");
  undefined = hull_test_recorder_wait (recorder, "event gone undefined removed", 0);
  g_assert_cmpuint (hull_test_recorder_wait (recorder, removed, 0), >, undefined);
  g_assert_false (hull_test_object_exists (world, path));
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (mark, G_FILE_TEST_EXISTS));
  left = list_domains (world, NULL);
  g_assert_cmpuint (g_strv_length (left), ==, 0);
  hull_test_call_fails (world, HULL_DBUS_PATH, MANAGER, "LookupByUUID",
                        g_variant_new ("(s@a{sv})", uuid, HULL_TEST_NO_OPTIONS),
                        "org.hullvm.Hull1.Error.NotFound");
}

/* Waits (bounded) until ttyS0 of @path got @count bytes of input. */
static void
wait_uart_input (HullTestWorld *world, const char *path, guint64 count)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (GVariant) reply = hull_test_call_ok (
          world, path, DOMAIN, "Inspect",
          g_variant_new ("(s@a{sv})", "devices/ttyS0", HULL_TEST_NO_OPTIONS), "(v)");
      g_autoptr (GVariant) tree = g_variant_get_child_value (reply, 0);
      g_autoptr (GVariant) node = g_variant_get_variant (tree);
      g_autoptr (GVariant) value = g_variant_lookup_value (node, "input-bytes", NULL);
      guint64 got = 0;

      if (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
        got = g_variant_get_uint64 (value);
      if (got >= count)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("ttyS0 got %" G_GUINT64_FORMAT " bytes of input, not %" G_GUINT64_FORMAT
                 ", within %d s: %s",
                 got, count, HULL_TEST_TIMEOUT_S, g_variant_print (node, TRUE));
      g_usleep (10000);
    }
}

/* OpenConsole replays the ring, then live output; read-only and force;
 * input reaches the guest. */
static void
test_domain_console (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *path = hull_test_define_domain (world, "con", HULL_TEST_PROGRAM_HI_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *log_name = g_strconcat (uuid, ".console.log", NULL);
  g_autofree char *log = g_build_filename (world->log_dir, log_name, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *replay = NULL, *replay_ro = NULL, *replay_forced = NULL;
  int fd, ro, forced, refused;

  hull_test_domain_do (world, path, "Start");
  /* The guest printed before anyone connected. */
  hull_test_wait_file_contains (log, "Hi\n");

  fd = hull_test_open_console (world, path, NULL, &error);
  g_assert_no_error (error);
  replay = hull_test_read_until (fd, "Hi\n");
  g_assert_cmpstr (replay, ==, "Hi\n");

  /* A reader besides the writer. */
  ro = hull_test_open_console (world, path, g_variant_new_parsed ("{'read-only': <true>}"), &error);
  g_assert_no_error (error);
  replay_ro = hull_test_read_until (ro, "Hi\n");
  g_assert_cmpstr (replay_ro, ==, "Hi\n");

  /* force takes the write side. */
  forced = hull_test_open_console (world, path, g_variant_new_parsed ("{'force': <true>}"), &error);
  g_assert_no_error (error);
  replay_forced = hull_test_read_until (forced, "Hi\n");
  g_assert_cmpstr (replay_forced, ==, "Hi\n");

  /* A second writer without force is refused. */
  refused = hull_test_open_console (world, path, NULL, &error);
  g_assert_cmpint (refused, ==, -1);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE);
  g_clear_error (&error);

  /* No serial port 1. */
  g_assert_cmpint (
      hull_test_open_console (world, path, g_variant_new_parsed ("{'port': <@u 1>}"), &error), ==,
      -1);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* What the writer writes reaches the guest's UART. */
  g_assert_cmpint (write (forced, "AB", 2), ==, 2);
  wait_uart_input (world, path, 2);

  close (fd);
  close (ro);
  close (forced);
}

static void
test_domain_inspect (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *path = hull_test_define_domain (world, "insp", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GVariant) all = NULL, shallow = NULL;
  g_autofree char *printed = NULL;

  hull_test_domain_do (world, path, "Start");
  all = hull_test_call_ok (world, path, DOMAIN, "Inspect",
                           g_variant_new ("(s@a{sv})", "", HULL_TEST_NO_OPTIONS), "(v)");
  printed = g_variant_print (all, FALSE);
  g_test_message ("inspect: %.2000s", printed);
  g_assert_nonnull (strstr (printed, "io-bus"));
  shallow = hull_test_call_ok (world, path, DOMAIN, "Inspect",
                               g_variant_new_parsed ("('', {'depth': <@u 1>})"), "(v)");
  {
    g_autofree char *printed_shallow = g_variant_print (shallow, FALSE);

    g_assert_cmpuint (strlen (printed_shallow), <=, strlen (printed));
  }
  hull_test_call_fails (world, path, DOMAIN, "Inspect",
                        g_variant_new ("(s@a{sv})", "no/such/node", HULL_TEST_NO_OPTIONS),
                        "org.hullvm.Hull1.Error.NotFound");
}

static void
test_domain_stats (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *path = hull_test_define_domain (world, "st", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autoptr (GVariant) off = NULL, on = NULL;
  g_autoptr (GVariant) off_stats = NULL, on_stats = NULL;
  const char *state, *reason;
  guint32 owner, vcpus, pid, boots;
  guint64 memory;

  off = hull_test_call_ok (world, path, DOMAIN, "GetStats",
                           g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(a{sv})");
  off_stats = g_variant_get_child_value (off, 0);
  g_assert_true (g_variant_lookup (off_stats, "state", "&s", &state));
  g_assert_true (g_variant_lookup (off_stats, "state-reason", "&s", &reason));
  g_assert_true (g_variant_lookup (off_stats, "owner", "u", &owner));
  g_assert_true (g_variant_lookup (off_stats, "vcpus", "u", &vcpus));
  g_assert_true (g_variant_lookup (off_stats, "memory", "t", &memory));
  g_assert_cmpstr (state, ==, "shutoff");
  g_assert_cmpstr (reason, ==, "unknown");
  g_assert_cmpuint (owner, ==, getuid ());
  g_assert_cmpuint (vcpus, ==, 1);
  g_assert_cmpuint (memory, ==, 16 * 1024 * 1024);
  g_assert_false (g_variant_lookup (off_stats, "pid", "u", &pid));

  hull_test_domain_do (world, path, "Start");
  on = hull_test_call_ok (world, path, DOMAIN, "GetStats",
                          g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(a{sv})");
  on_stats = g_variant_get_child_value (on, 0);
  {
    g_autofree char *printed_stats = g_variant_print (on_stats, TRUE);

    g_test_message ("stats: %s", printed_stats);
  }
  g_assert_true (g_variant_lookup (on_stats, "pid", "u", &pid));
  g_assert_cmpint ((GPid)pid, ==, hull_test_world_worker_pid (world, uuid));
  g_assert_true (g_variant_lookup (on_stats, "boots", "u", &boots));
  g_assert_cmpuint (boots, ==, 1);
  for (guint i = 0; i < 6; i++)
    {
      static const char *const keys[] = { "boot-time-us", "uptime-us",     "cpu-time-us",
                                          "rss-bytes",    "console-bytes", "console-dropped" };
      g_autoptr (GVariant) value = g_variant_lookup_value (on_stats, keys[i], NULL);

      if (value == NULL)
        g_error ("GetStats of a running domain lacks \"%s\"", keys[i]);
    }
}

/* GetManagedObjects lists the Manager's children with their properties. */
static void
test_object_manager (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "om", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GVariant) objects = hull_test_managed_objects (world);
  g_autoptr (GVariant) object = g_variant_lookup_value (objects, path, NULL);
  g_autoptr (GVariant) props = NULL;
  g_autofree char *added = g_strdup_printf ("added %s " DOMAIN, path);
  g_autofree char *removed = g_strdup_printf ("removed %s " DOMAIN, path);
  const char *name;

  g_assert_nonnull (object);
  props = g_variant_lookup_value (object, DOMAIN, NULL);
  g_assert_nonnull (props);
  g_assert_true (g_variant_lookup (props, "Name", "&s", &name));
  g_assert_cmpstr (name, ==, "om");

  hull_test_recorder_wait (recorder, added, 0);
  hull_test_domain_do (world, path, "Undefine");
  hull_test_recorder_wait (recorder, removed, 0);
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, added), ==, 1);
  g_assert_cmpuint (hull_test_recorder_count (recorder, removed), ==, 1);
}

/* While a slow call runs on a domain, other state changes of it are
 * refused with InvalidState; other domains and reads are served. */
typedef struct
{
  GVariant *reply;
  GError *error;
  gboolean done;
} AsyncCall;

static void
async_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  AsyncCall *call = user_data;

  call->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &call->error);
  call->done = TRUE;
}

static gboolean
async_is_done (gpointer data)
{
  return ((AsyncCall *)data)->done;
}

static void
test_domain_busy (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *path = hull_test_define_domain (world, "busy", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *other = hull_test_define_domain (world, "free", HULL_TEST_PROGRAM_SPIN, NULL);
  AsyncCall call = { 0 };

  hull_test_domain_do (world, path, "Start");
  /* Shutdown waits 3 s for a guest that never powers off. */
  g_dbus_connection_call (world->connection, HULL_DBUS_NAME, path, DOMAIN, "Shutdown",
                          g_variant_new_parsed ("({'timeout': <@u 3>},)"), NULL,
                          G_DBUS_CALL_FLAGS_NONE, HULL_TEST_TIMEOUT_S * 1000, NULL, async_done,
                          &call);
  /* hulld handles one connection's calls in order: Shutdown runs first. */
  hull_test_domain_do_fails (world, path, "Pause", HULL_ERROR_INVALID_STATE);
  hull_test_domain_do_fails (world, path, "Reset", HULL_ERROR_INVALID_STATE);
  hull_test_domain_do (world, other, "Start");
  hull_test_assert_state (world, path, "running", NULL);
  hull_test_wait_until (async_is_done, &call, "Shutdown's reply");
  g_assert_no_error (call.error);
  g_variant_unref (call.reply);
  hull_test_assert_state (world, path, "shutoff", "shutdown");
  hull_test_assert_state (world, other, "running", "booted");
}

int
main (int argc, char **argv)
{
  hull_test_init (&argc, &argv);
  if (hull_test_dbus_daemon () == NULL)
    {
      g_print ("1..0 # SKIP no dbus-daemon\n");
      return 77;
    }

  hull_test_add ("/hull/daemon/manager/properties", test_manager_properties, NULL);
  hull_test_add ("/hull/daemon/manager/define", test_manager_define, NULL);
  hull_test_add ("/hull/daemon/manager/define-random-uuid", test_manager_define_random_uuid, NULL);
  hull_test_add ("/hull/daemon/manager/redefine", test_manager_redefine, NULL);
  hull_test_add ("/hull/daemon/manager/list-domains", test_manager_list_domains, NULL);
  hull_test_add ("/hull/daemon/manager/lookup", test_manager_lookup, NULL);
  hull_test_add ("/hull/daemon/manager/capabilities", test_manager_capabilities, NULL);
  hull_test_add ("/hull/daemon/manager/backends", test_manager_backends, NULL);
  hull_test_add ("/hull/daemon/manager/create", test_manager_create, NULL);
  hull_test_add ("/hull/daemon/manager/create-paused", test_manager_create_paused, NULL);
  hull_test_add ("/hull/daemon/domain/start-destroy", test_domain_start_destroy, NULL);
  hull_test_add ("/hull/daemon/domain/start-paused", test_domain_start_paused, NULL);
  hull_test_add ("/hull/daemon/domain/pause-resume", test_domain_pause_resume, NULL);
  hull_test_add ("/hull/daemon/domain/shutdown", test_domain_shutdown, NULL);
  hull_test_add ("/hull/daemon/domain/reboot-reset", test_domain_reboot_reset, NULL);
  hull_test_add ("/hull/daemon/domain/autostart", test_domain_autostart, NULL);
  hull_test_add ("/hull/daemon/domain/undefine", test_domain_undefine, NULL);
  hull_test_add ("/hull/daemon/domain/console", test_domain_console, NULL);
  hull_test_add ("/hull/daemon/domain/inspect", test_domain_inspect, NULL);
  hull_test_add ("/hull/daemon/domain/stats", test_domain_stats, NULL);
  hull_test_add ("/hull/daemon/domain/busy", test_domain_busy, NULL);
  hull_test_add ("/hull/daemon/object-manager", test_object_manager, NULL);
  test_daemon_add_lifecycle_tests ();
  test_daemon_add_restart_tests ();
  test_daemon_add_bad_input_tests ();
  return g_test_run ();
}
