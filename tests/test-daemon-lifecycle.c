/* hulld's lifecycle policy (docs/daemon.md, "Halts and the lifecycle
 * policy"), dying workers, two domains side by side, and the KVM hello
 * guest driven over D-Bus. Part of test-daemon. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "dbus-harness.h"
#include "hull-error.h"

void test_daemon_add_lifecycle_tests (void);

#define MANAGER "org.hullvm.Hull1.Manager"
#define DOMAIN "org.hullvm.Hull1.Domain"

#ifndef HULL_TEST_GUESTS_DIR_DEFAULT
#define HULL_TEST_GUESTS_DIR_DEFAULT ""
#endif

static char *
stat_string (HullTestWorld *world, const char *path, const char *key)
{
  g_autoptr (GVariant) reply = hull_test_call_ok (
      world, path, DOMAIN, "GetStats", g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(a{sv})");
  g_autoptr (GVariant) stats = g_variant_get_child_value (reply, 0);
  char *value = NULL;

  if (!g_variant_lookup (stats, key, "s", &value))
    g_error ("%s: GetStats has no string \"%s\": %s", path, key, g_variant_print (stats, TRUE));
  return value;
}

static char *
console_log_path (HullTestWorld *world, const char *path)
{
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *name = g_strconcat (uuid, ".console.log", NULL);

  return g_build_filename (world->log_dir, name, NULL);
}

/* Nothing of the domain's worker is left in $runtime/vm. */
static void
assert_no_runtime_files (HullTestWorld *world, const char *path)
{
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  static const char *const suffixes[] = { ".sock", ".status", ".domain", ".xml" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s/vm/%s%s", world->runtime_dir, uuid, suffixes[i]);

      if (g_file_test (file, G_FILE_TEST_EXISTS))
        g_error ("%s is left behind", file);
    }
}

/* --- two domains and dying workers ----------------------------------------------- */

static void
test_two_domains (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *a = hull_test_define_domain (world, "a", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *b = hull_test_define_domain (world, "b", HULL_TEST_PROGRAM_HI_SPIN, NULL);
  g_autofree char *uuid_a = hull_test_domain_uuid (world, a);
  g_autofree char *uuid_b = hull_test_domain_uuid (world, b);
  g_autofree char *replay = NULL;
  g_autoptr (GError) error = NULL;
  GPid pid_a, pid_b;
  int fd;

  hull_test_domain_do (world, a, "Start");
  hull_test_domain_do (world, b, "Start");
  pid_a = hull_test_world_worker_pid (world, uuid_a);
  pid_b = hull_test_world_worker_pid (world, uuid_b);
  g_assert_cmpint (pid_a, >, 0);
  g_assert_cmpint (pid_b, >, 0);
  g_assert_cmpint (pid_a, !=, pid_b);

  hull_test_domain_do (world, a, "Pause");
  hull_test_domain_do (world, a, "Destroy");
  hull_test_assert_state (world, a, "shutoff", "destroyed");
  hull_test_wait_pid_gone (pid_a);

  /* b did not notice. */
  hull_test_assert_state (world, b, "running", "booted");
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid_b), ==, pid_b);
  g_assert_true (hull_test_pid_alive (pid_b));
  fd = hull_test_open_console (world, b, NULL, &error);
  g_assert_no_error (error);
  replay = hull_test_read_until (fd, "Hi\n");
  close (fd);
  hull_test_domain_do (world, b, "Pause");
  hull_test_domain_do (world, b, "Resume");
  hull_test_assert_state (world, b, "running", "unpaused");
}

/* kill -9 of a worker: its domain is crashed/worker-failed, the other one
 * keeps running; the crashed one starts again. */
static void
test_worker_killed (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *victim = hull_test_define_domain (world, "victim", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *other = hull_test_define_domain (world, "other", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid_victim = hull_test_domain_uuid (world, victim);
  g_autofree char *uuid_other = hull_test_domain_uuid (world, other);
  GPid pid_victim, pid_other;

  hull_test_domain_do (world, victim, "Start");
  hull_test_domain_do (world, other, "Start");
  pid_victim = hull_test_world_worker_pid (world, uuid_victim);
  pid_other = hull_test_world_worker_pid (world, uuid_other);
  g_assert_cmpint (pid_victim, >, 0);
  g_assert_cmpint (pid_other, >, 0);

  g_assert_cmpint (kill (pid_victim, SIGKILL), ==, 0);
  hull_test_recorder_wait_change (recorder, victim, "victim", "crashed", "worker-failed",
                                  "crashed worker-failed", 0);
  hull_test_assert_state (world, victim, "crashed", "worker-failed");
  assert_no_runtime_files (world, victim);

  hull_test_assert_state (world, other, "running", "booted");
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid_other), ==, pid_other);
  g_assert_true (hull_test_pid_alive (pid_other));
  hull_test_domain_do (world, other, "Pause");
  hull_test_assert_state (world, other, "paused", "user");

  /* Nothing is kept of a dead worker: nothing to destroy or inspect. */
  hull_test_domain_do_fails (world, victim, "Destroy", HULL_ERROR_INVALID_STATE);
  hull_test_call_fails (world, victim, DOMAIN, "Inspect",
                        g_variant_new ("(s@a{sv})", "", HULL_TEST_NO_OPTIONS),
                        "org.hullvm.Hull1.Error.InvalidState");
  /* crashed → running. */
  hull_test_domain_do (world, victim, "Start");
  hull_test_assert_state (world, victim, "running", "booted");
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid_victim), >, 0);
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid_victim), !=, pid_victim);

  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event victim crashed *"), ==, 1);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event other crashed *"), ==, 0);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event other stopped *"), ==, 0);
}

/* --- policies ------------------------------------------------------------------------- */

static void
test_poweroff_destroy (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path
      = hull_test_define_domain (world, "pd", HULL_TEST_PROGRAM_HI_POWEROFF, NULL);
  g_autofree char *log = console_log_path (world, path);
  guint started, stopped;

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "shutoff", "shutdown");
  started = hull_test_recorder_wait (recorder, "event pd started booted", 0);
  stopped = hull_test_recorder_wait_change (recorder, path, "pd", "shutoff", "shutdown",
                                            "stopped shutdown", 0);
  g_assert_cmpuint (started, <, stopped);
  assert_no_runtime_files (world, path);
  /* The console log has the guest's last words. */
  hull_test_wait_file_contains (log, "Hi\n");
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event pd started booted"), ==, 1);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event pd stopped *"), ==, 1);
}

/* on_poweroff=preserve: paused/halted, the partition kept: Inspect and the
 * console work; ClearHalt lets it run on. */
static void
test_poweroff_preserve (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "pp", HULL_TEST_PROGRAM_HI_POWEROFF,
                                                   "<on_poweroff>preserve</on_poweroff>");
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *halt_kind = NULL, *replay = NULL;
  g_autoptr (GVariant) tree = NULL;
  g_autoptr (GError) error = NULL;
  GPid pid;
  int fd;

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "paused", "halted");
  hull_test_recorder_wait_change (recorder, path, "pp", "paused", "halted", "suspended paused", 0);
  pid = hull_test_world_worker_pid (world, uuid);
  g_assert_true (hull_test_pid_alive (pid));

  tree = hull_test_call_ok (world, path, DOMAIN, "Inspect",
                            g_variant_new ("(s@a{sv})", "", HULL_TEST_NO_OPTIONS), "(v)");
  g_assert_nonnull (tree);
  fd = hull_test_open_console (world, path, NULL, &error);
  g_assert_no_error (error);
  replay = hull_test_read_until (fd, "Hi\n");
  g_assert_cmpstr (replay, ==, "Hi\n");
  close (fd);

  /* A halted domain is not resumed, it is cleared. */
  hull_test_domain_do_fails (world, path, "Resume", HULL_ERROR_INVALID_STATE);
  /* GetStats tells the halt (docs/dbus-api.md). */
  halt_kind = stat_string (world, path, "halt-kind");
  g_assert_cmpstr (halt_kind, ==, "power-off");
  hull_test_domain_do (world, path, "ClearHalt");
  hull_test_assert_state (world, path, "running", "halt-cleared");
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid), ==, pid);
  hull_test_domain_do_fails (world, path, "ClearHalt", HULL_ERROR_INVALID_STATE);
  hull_test_domain_do (world, path, "Destroy");
  hull_test_assert_state (world, path, "shutoff", "destroyed");
  hull_test_wait_pid_gone (pid);
}

/* on_poweroff=restart: the boot reruns; running/rebooted, no event. */
static void
test_poweroff_restart (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (
      world, "pr", "<hull:spin usec='50000'/><hull:halt reason='poweroff'/>",
      "<on_poweroff>restart</on_poweroff>");
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  hull_test_domain_do (world, path, "Start");
  while (hull_test_domain_boots (world, path) < 3)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
  hull_test_assert_state (world, path, "running", "rebooted");
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event pr stopped *"), ==, 0);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event pr started booted"), ==, 1);
}

/* on_reboot=restart (the default): a resetting guest keeps running; each
 * reset is a boot. */
static void
test_reboot_restart (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "rr", HULL_TEST_PROGRAM_RESET,
                                                   "<on_reboot>restart</on_reboot>");
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *rebooted = g_strdup_printf ("prop %s StateReason 'rebooted'", path);
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;
  GPid pid;

  hull_test_domain_do (world, path, "Start");
  pid = hull_test_world_worker_pid (world, uuid);
  while (hull_test_domain_boots (world, path) < 3)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("boots stays at %" G_GUINT64_FORMAT, hull_test_domain_boots (world, path));
      g_usleep (20000);
    }
  hull_test_recorder_wait (recorder, rebooted, 0);
  hull_test_assert_state (world, path, "running", "rebooted");
  /* The same worker: a reset is not a restart of the process. */
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid), ==, pid);
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event rr stopped *"), ==, 0);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event rr started booted"), ==, 1);
}

static void
test_reboot_destroy (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "rd", HULL_TEST_PROGRAM_RESET,
                                                   "<on_reboot>destroy</on_reboot>");

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "shutoff", "shutdown");
  hull_test_recorder_wait_change (recorder, path, "rd", "shutoff", "shutdown", "stopped shutdown",
                                  0);
  assert_no_runtime_files (world, path);
}

static void
test_reboot_preserve (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "rp", HULL_TEST_PROGRAM_RESET,
                                                   "<on_reboot>preserve</on_reboot>");
  g_autofree char *kind = NULL;
  g_autoptr (GVariant) tree = NULL;

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "paused", "halted");
  hull_test_recorder_wait_change (recorder, path, "rp", "paused", "halted", "suspended paused", 0);
  tree = hull_test_call_ok (world, path, DOMAIN, "Inspect",
                            g_variant_new ("(s@a{sv})", "", HULL_TEST_NO_OPTIONS), "(v)");
  kind = stat_string (world, path, "halt-kind");
  g_assert_cmpstr (kind, ==, "reset");
  hull_test_domain_do (world, path, "Destroy");
  hull_test_assert_state (world, path, "shutoff", "destroyed");
}

/* on_crash=destroy: CRASHED/PANICKED, then STOPPED/CRASHED. */
static void
test_crash_destroy (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "cd", HULL_TEST_PROGRAM_TRIPLE_FAULT,
                                                   "<on_crash>destroy</on_crash>");
  guint crashed, stopped;

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "shutoff", "crashed");
  crashed = hull_test_recorder_wait (recorder, "event cd crashed panicked", 0);
  stopped = hull_test_recorder_wait_change (recorder, path, "cd", "shutoff", "crashed",
                                            "stopped crashed", 0);
  g_assert_cmpuint (crashed, <, stopped);
  assert_no_runtime_files (world, path);
}

/* on_crash=preserve: crashed/panicked, kept for Inspect; Destroy ends it. */
static void
test_crash_preserve (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "cp", HULL_TEST_PROGRAM_TRIPLE_FAULT,
                                                   "<on_crash>preserve</on_crash>");
  g_autofree char *kind = NULL;
  g_autoptr (GVariant) tree = NULL;

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "crashed", "panicked");
  hull_test_recorder_wait_change (recorder, path, "cp", "crashed", "panicked", "crashed panicked",
                                  0);
  tree = hull_test_call_ok (world, path, DOMAIN, "Inspect",
                            g_variant_new ("(s@a{sv})", "", HULL_TEST_NO_OPTIONS), "(v)");
  /* Not paused: Resume is refused; Start too (it is not shut off). */
  hull_test_domain_do_fails (world, path, "Resume", HULL_ERROR_INVALID_STATE);
  hull_test_domain_do_fails (world, path, "Start", HULL_ERROR_INVALID_STATE);
  kind = stat_string (world, path, "halt-kind");
  g_assert_cmpstr (kind, ==, "triple-fault");
  hull_test_domain_do (world, path, "Destroy");
  hull_test_assert_state (world, path, "shutoff", "destroyed");
  assert_no_runtime_files (world, path);
}

/* on_crash=restart: running/crash-restarted, CRASHED/PANICKED each time. */
static void
test_crash_restart (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (
      world, "cr", "<hull:spin usec='50000'/><hull:halt reason='triple-fault'/>",
      "<on_crash>restart</on_crash>");

  hull_test_domain_do (world, path, "Start");
  hull_test_recorder_wait_change (recorder, path, "cr", NULL, "crash-restarted", "crashed panicked",
                                  0);
  hull_test_assert_state (world, path, "running", "crash-restarted");
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event cr stopped *"), ==, 0);
}

/* A VP that fails is a crash (vp-failed → on_crash). */
static void
test_vp_failed (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (
      world, "vf", "<hull:spin usec='1000'/><hull:in port='0x64' expect='0x1c'/>", NULL);

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "shutoff", "crashed");
  hull_test_recorder_wait (recorder, "event vf stopped crashed", 0);
}

/* Undefine of a running domain: transient until it stops. */
static void
test_undefine_running (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "ur", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *file = hull_test_world_definition_path (world, uuid);
  g_autofree char *persistent = g_strdup_printf ("prop %s Persistent false", path);
  g_autofree char *removed = g_strdup_printf ("removed %s " DOMAIN, path);
  g_autoptr (GVariant) reply = NULL;
  guint undefined, stopped;
  GPid pid;

  hull_test_domain_do (world, path, "Start");
  pid = hull_test_world_worker_pid (world, uuid);
  hull_test_domain_do (world, path, "Undefine");
  undefined = hull_test_recorder_wait (recorder, "event ur undefined removed", 0);
  g_assert_cmpint (hull_test_recorder_find (recorder, persistent, 0), >=, 0);
  g_assert_false (hull_test_domain_boolean (world, path, "Persistent"));
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  hull_test_assert_state (world, path, "running", "booted");
  g_assert_true (hull_test_object_exists (world, path));
  g_assert_true (hull_test_pid_alive (pid));

  /* Transient now. */
  hull_test_domain_do_fails (world, path, "Undefine", HULL_ERROR_INVALID_STATE);
  hull_test_call_fails (world, path, DOMAIN, "SetAutostart",
                        g_variant_new ("(b@a{sv})", TRUE, HULL_TEST_NO_OPTIONS),
                        "org.hullvm.Hull1.Error.InvalidState");
  hull_test_call_fails (world, path, DOMAIN, "GetXMLDesc",
                        g_variant_new_parsed ("({'inactive': <true>},)"),
                        "org.hullvm.Hull1.Error.InvalidState");
  reply = hull_test_call_ok (world, path, DOMAIN, "GetXMLDesc",
                             g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(s)");

  hull_test_domain_do (world, path, "Destroy");
  stopped = hull_test_recorder_wait (recorder, "event ur stopped destroyed", undefined);
  g_assert_cmpuint (hull_test_recorder_wait (recorder, removed, 0), >, stopped);
  g_assert_false (hull_test_object_exists (world, path));
  hull_test_wait_pid_gone (pid);
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event ur undefined removed"), ==, 1);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
}

/* A domain whose machine cannot be built (an injected fault). */
static char *
fault_xml (const char *name)
{
  return g_strdup_printf ("<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'>\n"
                          "  <name>%s</name><memory unit='MiB'>16</memory><vcpu>1</vcpu>\n"
                          "  <devices><serial type='pty'/></devices>\n"
                          "  <hull:test-program><hull:vp index='0'><hull:halt reason='poweroff'/>"
                          "</hull:vp><hull:fault stage='build'/></hull:test-program>\n"
                          "</domain>\n",
                          name);
}

/* A worker that cannot build the machine: Start fails with its error, the
 * domain is shutoff/failed, nothing is left running. CreateXML creates
 * nothing. */
static void
test_start_failure (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *persistent_xml = fault_xml ("broken");
  g_autofree char *transient_xml = fault_xml ("broken-transient");
  g_autofree char *path = hull_test_define (world, persistent_xml);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GArray) pids = NULL;
  g_autoptr (GVariant) objects = NULL;

  reply = hull_test_call (world, path, DOMAIN, "Start",
                          g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED);
  g_assert_nonnull (strstr (error->message, "injected fault: build"));
  g_clear_error (&error);
  hull_test_assert_state (world, path, "shutoff", "failed");
  /* State stays shutoff: only StateReason changes. */
  hull_test_recorder_wait_change (recorder, path, "broken", NULL, "failed", "stopped failed", 0);
  assert_no_runtime_files (world, path);
  pids = hull_test_world_worker_pids (world);
  g_assert_cmpuint (pids->len, ==, 0);

  reply = hull_test_call (world, HULL_DBUS_PATH, MANAGER, "CreateXML",
                          g_variant_new ("(s@a{sv})", transient_xml, HULL_TEST_NO_OPTIONS), NULL,
                          &error);
  g_assert_null (reply);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED);
  /* Only "broken" is left among the domain objects. */
  objects = hull_test_managed_objects (world);
  {
    GVariantIter iter;
    const char *object_path;
    guint domains = 0;

    g_variant_iter_init (&iter, objects);
    while (g_variant_iter_next (&iter, "{&o@a{sa{sv}}}", &object_path, NULL))
      if (g_str_has_prefix (object_path, HULL_DBUS_DOMAIN_PATH_PREFIX))
        domains++;
    g_assert_cmpuint (domains, ==, 1);
  }
  hull_test_call_fails (world, HULL_DBUS_PATH, MANAGER, "LookupByName",
                        g_variant_new ("(s@a{sv})", "broken-transient", HULL_TEST_NO_OPTIONS),
                        "org.hullvm.Hull1.Error.NotFound");
}

/* A kernel file that is not there: Start fails with NotFound naming it,
 * the domain is shutoff/failed, nothing runs. Without a usable kvm
 * backend, BackendUnavailable instead. */
static void
test_start_missing_kernel (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  const char *xml = "<domain type='kvm'><name>nokernel</name><memory unit='MiB'>64</memory>"
                    "<vcpu>1</vcpu><os><kernel>/nonexistent/vmlinux</kernel></os></domain>";
  g_autofree char *path = hull_test_define (world, xml);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GArray) pids = NULL;

  reply = hull_test_call (world, path, DOMAIN, "Start",
                          g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), NULL, &error);
  g_assert_null (reply);
  g_test_message ("Start: %s", error->message);
  if (world->have_kvm && g_file_test ("/dev/kvm", G_FILE_TEST_EXISTS))
    {
      g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
      g_assert_nonnull (strstr (error->message, "/nonexistent/vmlinux"));
    }
  else
    g_assert_true (g_error_matches (error, HULL_ERROR, HULL_ERROR_BACKEND_UNAVAILABLE)
                   || g_error_matches (error, HULL_ERROR, HULL_ERROR_NOT_FOUND));
  hull_test_assert_state (world, path, "shutoff", "failed");
  assert_no_runtime_files (world, path);
  pids = hull_test_world_worker_pids (world);
  g_assert_cmpuint (pids->len, ==, 0);
}

/* --- KVM --------------------------------------------------------------------------- */

#define HELLO_E820                                                                                 \
  "e820: 0x0000000000000000-0x000000000009fbff usable\n"                                           \
  "e820: 0x000000000009fc00-0x00000000000fffff reserved\n"                                         \
  "e820: 0x0000000000100000-0x0000000003ffffff usable\n"

/* Why the KVM tests cannot run here, or NULL. */
static char *
kvm_skip (void)
{
  int fd;

  if (hull_test_kvm_plugin () == NULL)
    return g_strdup ("the kvm backend is not built");
  fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return g_strdup_printf ("cannot open /dev/kvm: %s", g_strerror (errno));
  close (fd);
  return NULL;
}

/* The world, with KVM usable, or NULL after g_test_skip(). */
static HullTestWorld *
kvm_world (void)
{
  g_autoptr (HullTestWorld) world = NULL;
  g_autofree char *kvm_path = hull_dbus_backend_path ("kvm");
  g_autoptr (GVariant) available = NULL, reason = NULL;
  int fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);

  if (fd < 0)
    {
      g_test_skip_printf ("cannot open /dev/kvm: %s", g_strerror (errno));
      return NULL;
    }
  close (fd);
  world = hull_test_world_new (TRUE);
  if (!world->have_kvm)
    {
      g_test_skip ("the kvm backend is not built");
      return NULL;
    }
  available = hull_test_get_property (world, kvm_path, "org.hullvm.Hull1.Backend", "Available");
  reason = hull_test_get_property (world, kvm_path, "org.hullvm.Hull1.Backend", "Reason");
  if (!g_variant_get_boolean (available))
    {
      g_test_skip_printf ("the kvm backend is unavailable: %s",
                          g_variant_get_string (reason, NULL));
      return NULL;
    }
  return g_steal_pointer (&world);
}

static char *
hello_xml (const char *name, const char *on_poweroff)
{
  const char *dir = g_getenv ("HULL_TEST_GUESTS_DIR");
  g_autofree char *kernel = g_build_filename (
      dir != NULL && *dir != '\0' ? dir : HULL_TEST_GUESTS_DIR_DEFAULT, "hello", NULL);

  if (!g_file_test (kernel, G_FILE_TEST_IS_REGULAR))
    g_error ("the hello guest is not built: %s", kernel);
  return g_strdup_printf (
      "<domain type='kvm'>\n"
      "  <name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\n"
      "  <os><kernel>%s</kernel><cmdline>console=ttyS0 via=dbus</cmdline></os>\n"
      "  <on_poweroff>%s</on_poweroff>\n"
      "  <devices><serial type='pty'/></devices>\n"
      "</domain>\n",
      name, kernel, on_poweroff);
}

/* hello started paused, its console opened, resumed: the banner arrives
 * live, then it powers off: shutoff/shutdown, STOPPED/SHUTDOWN. */
static void
test_kvm_hello (void)
{
  g_autoptr (HullTestWorld) world = kvm_world ();
  g_autoptr (HullTestRecorder) recorder = NULL;
  g_autofree char *xml = NULL, *path = NULL, *output = NULL, *log = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  guint started, stopped;
  int fd;

  if (world == NULL)
    return;
  recorder = hull_test_recorder_new (world);
  xml = hello_xml ("hello", "destroy");
  path = hull_test_define (world, xml);
  reply = hull_test_call_ok (world, path, DOMAIN, "Start",
                             g_variant_new_parsed ("({'paused': <true>},)"), NULL);
  hull_test_assert_state (world, path, "paused", "starting-up");
  fd = hull_test_open_console (world, path, NULL, &error);
  g_assert_no_error (error);
  hull_test_domain_do (world, path, "Resume");
  output = hull_test_read_until (fd, HELLO_E820);
  g_assert_nonnull (
      strstr (output, "Hello from a Hull guest\ncmdline: console=ttyS0 via=dbus\n" HELLO_E820));
  close (fd);

  hull_test_wait_state (world, path, "shutoff", "shutdown");
  started = hull_test_recorder_wait (recorder, "event hello started booted", 0);
  stopped = hull_test_recorder_wait_change (recorder, path, "hello", "shutoff", "shutdown",
                                            "stopped shutdown", 0);
  g_assert_cmpuint (started, <, stopped);
  log = console_log_path (world, path);
  hull_test_wait_file_contains (log, "Hello from a Hull guest\n");
  assert_no_runtime_files (world, path);
}

/* hello with on_poweroff=preserve: after its power-off, OpenConsole
 * replays the ring, banner included. */
static void
test_kvm_hello_replay (void)
{
  g_autoptr (HullTestWorld) world = kvm_world ();
  g_autofree char *xml = NULL, *path = NULL, *output = NULL;
  g_autoptr (GError) error = NULL;
  int fd;

  if (world == NULL)
    return;
  xml = hello_xml ("hello-kept", "preserve");
  path = hull_test_define (world, xml);
  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "paused", "halted");
  fd = hull_test_open_console (world, path, NULL, &error);
  g_assert_no_error (error);
  output = hull_test_read_until (fd, HELLO_E820);
  g_assert_true (
      g_str_has_prefix (output, "Hello from a Hull guest\ncmdline: console=ttyS0 via=dbus\n"));
  close (fd);
  hull_test_domain_do (world, path, "Destroy");
  hull_test_assert_state (world, path, "shutoff", "destroyed");
}

void
test_daemon_add_lifecycle_tests (void)
{
  hull_test_add ("/hull/daemon/lifecycle/two-domains", test_two_domains, NULL);
  hull_test_add ("/hull/daemon/lifecycle/worker-killed", test_worker_killed, NULL);
  hull_test_add ("/hull/daemon/lifecycle/poweroff-destroy", test_poweroff_destroy, NULL);
  hull_test_add ("/hull/daemon/lifecycle/poweroff-preserve", test_poweroff_preserve, NULL);
  hull_test_add ("/hull/daemon/lifecycle/poweroff-restart", test_poweroff_restart, NULL);
  hull_test_add ("/hull/daemon/lifecycle/reboot-restart", test_reboot_restart, NULL);
  hull_test_add ("/hull/daemon/lifecycle/reboot-destroy", test_reboot_destroy, NULL);
  hull_test_add ("/hull/daemon/lifecycle/reboot-preserve", test_reboot_preserve, NULL);
  hull_test_add ("/hull/daemon/lifecycle/crash-destroy", test_crash_destroy, NULL);
  hull_test_add ("/hull/daemon/lifecycle/crash-preserve", test_crash_preserve, NULL);
  hull_test_add ("/hull/daemon/lifecycle/crash-restart", test_crash_restart, NULL);
  hull_test_add ("/hull/daemon/lifecycle/vp-failed", test_vp_failed, NULL);
  hull_test_add ("/hull/daemon/lifecycle/undefine-running", test_undefine_running, NULL);
  hull_test_add ("/hull/daemon/lifecycle/start-failure", test_start_failure, NULL);
  hull_test_add ("/hull/daemon/lifecycle/start-missing-kernel", test_start_missing_kernel, NULL);
  hull_test_add ("/hull/daemon/kvm/hello", test_kvm_hello, kvm_skip);
  hull_test_add ("/hull/daemon/kvm/hello-replay", test_kvm_hello_replay, kvm_skip);
}
