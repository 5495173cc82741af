/* hulld restarts (docs/daemon.md, "Daemon restart"): definitions persist,
 * running workers are reattached whether hulld stopped or was killed, dead
 * ones are noticed, broken definitions are moved aside, and autostart runs
 * once per host boot. Part of test-daemon. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "dbus-harness.h"
#include "hull-error.h"

void test_daemon_add_restart_tests (void);

#define MANAGER "org.hullvm.Hull1.Manager"
#define DOMAIN "org.hullvm.Hull1.Domain"

static char *
xml_desc (HullTestWorld *world, const char *path)
{
  g_autoptr (GVariant) reply = hull_test_call_ok (
      world, path, DOMAIN, "GetXMLDesc", g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(s)");
  char *xml;

  g_variant_get (reply, "(s)", &xml);
  return xml;
}

static GStrv
list_domains (HullTestWorld *world)
{
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, HULL_DBUS_PATH, MANAGER, "ListDomains",
                           g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(ao)");
  GStrv paths;

  g_variant_get (reply, "(^ao)", &paths);
  return paths;
}

static void
assert_not_found (HullTestWorld *world, const char *name)
{
  hull_test_call_fails (world, HULL_DBUS_PATH, MANAGER, "LookupByName",
                        g_variant_new ("(s@a{sv})", name, HULL_TEST_NO_OPTIONS),
                        "org.hullvm.Hull1.Error.NotFound");
}

/* Definitions, autostart marks and every property survive a restart; the
 * object paths are the same. */
static void
test_persistence (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *a = hull_test_define_domain (world, "keep-a", HULL_TEST_PROGRAM_SPIN,
                                                "<on_poweroff>preserve</on_poweroff>");
  g_autofree char *b = hull_test_define_domain (world, "keep-b", HULL_TEST_PROGRAM_HI_SPIN, NULL);
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, a, DOMAIN, "SetAutostart",
                           g_variant_new ("(b@a{sv})", TRUE, HULL_TEST_NO_OPTIONS), NULL);
  g_autofree char *xml_a = xml_desc (world, a);
  g_autofree char *xml_b = xml_desc (world, b);
  g_autofree char *objects = hull_test_managed_objects_text (world);
  g_autoptr (GHashTable) files = hull_test_snapshot_dir (world->state_dir);
  g_autoptr (GHashTable) files_after = NULL;
  g_autofree char *xml_a_after = NULL, *xml_b_after = NULL, *objects_after = NULL;
  g_auto (GStrv) paths = NULL;

  hull_test_world_restart_hulld (world);

  paths = list_domains (world);
  g_assert_cmpuint (g_strv_length (paths), ==, 2);
  g_assert_cmpstr (paths[0], ==, a);
  g_assert_cmpstr (paths[1], ==, b);
  xml_a_after = xml_desc (world, a);
  xml_b_after = xml_desc (world, b);
  g_assert_cmpstr (xml_a_after, ==, xml_a);
  g_assert_cmpstr (xml_b_after, ==, xml_b);
  g_assert_true (hull_test_domain_boolean (world, a, "Autostart"));
  g_assert_false (hull_test_domain_boolean (world, b, "Autostart"));
  objects_after = hull_test_managed_objects_text (world);
  g_assert_cmpstr (objects_after, ==, objects);
  /* A restart rewrites nothing. */
  files_after = hull_test_snapshot_dir (world->state_dir);
  hull_test_assert_snapshots_equal (files, files_after);
}

/* kill -9 of hulld with domains running: the workers keep going, the new
 * hulld reattaches (same pids), consoles replay, events flow; a transient
 * domain is still transient. */
static void
test_reattach_after_kill (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = NULL;
  g_autofree char *run = hull_test_define_domain (world, "run", HULL_TEST_PROGRAM_HI_SPIN, NULL);
  g_autofree char *off = hull_test_define_domain (world, "off", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *paused = hull_test_define_domain (world, "held", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *transient_xml
      = hull_test_domain_xml ("fleeting", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *transient = hull_test_create (world, transient_xml);
  g_autofree char *uuid_run = hull_test_domain_uuid (world, run);
  g_autofree char *uuid_paused = hull_test_domain_uuid (world, paused);
  g_autofree char *uuid_transient = hull_test_domain_uuid (world, transient);
  g_autofree char *uuid_log = g_strconcat (uuid_run, ".console.log", NULL);
  g_autofree char *log = g_build_filename (world->log_dir, uuid_log, NULL);
  g_autofree char *replay = NULL;
  g_autofree char *removed = g_strdup_printf ("removed %s " DOMAIN, transient);
  g_autoptr (GError) error = NULL;
  GPid pid_run, pid_paused, pid_transient;
  int fd;

  hull_test_domain_do (world, run, "Start");
  hull_test_domain_do (world, paused, "Start");
  hull_test_domain_do (world, paused, "Pause");
  pid_run = hull_test_world_worker_pid (world, uuid_run);
  pid_paused = hull_test_world_worker_pid (world, uuid_paused);
  pid_transient = hull_test_world_worker_pid (world, uuid_transient);
  hull_test_wait_file_contains (log, "Hi\n");

  hull_test_world_kill_hulld (world);
  g_assert_true (hull_test_pid_alive (pid_run));
  g_assert_true (hull_test_pid_alive (pid_paused));
  g_assert_true (hull_test_pid_alive (pid_transient));
  recorder = hull_test_recorder_new (world);
  hull_test_world_start_hulld (world);

  hull_test_assert_state (world, run, "running", NULL);
  hull_test_assert_state (world, paused, "paused", NULL);
  hull_test_assert_state (world, off, "shutoff", NULL);
  hull_test_assert_state (world, transient, "running", NULL);
  g_assert_false (hull_test_domain_boolean (world, transient, "Persistent"));
  g_assert_true (hull_test_domain_boolean (world, run, "Persistent"));
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid_run), ==, pid_run);
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid_paused), ==, pid_paused);
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid_transient), ==, pid_transient);
  g_assert_cmpuint (hull_test_domain_boots (world, run), ==, 1);

  /* The console still answers, with the ring. */
  fd = hull_test_open_console (world, run, NULL, &error);
  g_assert_no_error (error);
  replay = hull_test_read_until (fd, "Hi\n");
  g_assert_cmpstr (replay, ==, "Hi\n");
  close (fd);

  /* Events flow. */
  hull_test_domain_do (world, run, "Pause");
  hull_test_recorder_wait_change (recorder, run, "run", "paused", "user", "suspended paused", 0);
  hull_test_domain_do (world, paused, "Resume");
  hull_test_recorder_wait_change (recorder, paused, "held", "running", "unpaused",
                                  "resumed unpaused", 0);
  hull_test_domain_do (world, transient, "Destroy");
  hull_test_recorder_wait (recorder, "event fleeting stopped destroyed", 0);
  hull_test_recorder_wait (recorder, removed, 0);
  hull_test_wait_pid_gone (pid_transient);
  hull_test_domain_do (world, run, "Destroy");
  hull_test_wait_pid_gone (pid_run);
  hull_test_assert_state (world, run, "shutoff", "destroyed");

  /* Nothing was started again. */
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event run started *"), ==, 0);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event held started *"), ==, 0);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event fleeting started *"), ==, 0);
}

/* A clean stop (SIGTERM) leaves the domains running as well. */
static void
test_reattach_after_stop (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *path = hull_test_define_domain (world, "calm", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  GPid pid;

  hull_test_domain_do (world, path, "Start");
  pid = hull_test_world_worker_pid (world, uuid);
  hull_test_world_restart_hulld (world);
  g_assert_true (hull_test_pid_alive (pid));
  hull_test_assert_state (world, path, "running", NULL);
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid), ==, pid);
  hull_test_domain_do (world, path, "Reset");
  hull_test_assert_state (world, path, "running", "rebooted");
  g_assert_cmpuint (hull_test_domain_boots (world, path), ==, 2);
}

/* A preserved halt is reattached as such: Inspect and ClearHalt work. */
static void
test_reattach_halted (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *path = hull_test_define_domain (world, "frozen", HULL_TEST_PROGRAM_HI_POWEROFF,
                                                   "<on_poweroff>preserve</on_poweroff>");
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autoptr (GVariant) tree = NULL;
  GPid pid;

  hull_test_domain_do (world, path, "Start");
  hull_test_wait_state (world, path, "paused", "halted");
  pid = hull_test_world_worker_pid (world, uuid);
  hull_test_world_kill_hulld (world);
  hull_test_world_start_hulld (world);
  hull_test_assert_state (world, path, "paused", "halted");
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid), ==, pid);
  tree = hull_test_call_ok (world, path, DOMAIN, "Inspect",
                            g_variant_new ("(s@a{sv})", "", HULL_TEST_NO_OPTIONS), "(v)");
  hull_test_domain_do (world, path, "ClearHalt");
  hull_test_assert_state (world, path, "running", "halt-cleared");
}

/* Workers that died while hulld was away: the persistent domain is
 * crashed/worker-failed with its stale files removed, the transient one
 * is gone. */
static void
test_worker_died_while_away (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *path = hull_test_define_domain (world, "lost", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *transient_xml
      = hull_test_domain_xml ("lost-transient", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *transient = hull_test_create (world, transient_xml);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *uuid_transient = hull_test_domain_uuid (world, transient);
  g_autofree char *status = g_strdup_printf ("%s/vm/%s.status", world->runtime_dir, uuid);
  g_autofree char *socket = g_strdup_printf ("%s/vm/%s.sock", world->runtime_dir, uuid);
  g_autofree char *record = g_strdup_printf ("%s/vm/%s.domain", world->runtime_dir, uuid);
  g_autofree char *transient_record
      = g_strdup_printf ("%s/vm/%s.domain", world->runtime_dir, uuid_transient);
  GPid pid, pid_transient;

  hull_test_domain_do (world, path, "Start");
  pid = hull_test_world_worker_pid (world, uuid);
  pid_transient = hull_test_world_worker_pid (world, uuid_transient);
  hull_test_world_kill_hulld (world);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (kill (pid_transient, SIGKILL), ==, 0);
  hull_test_wait_pid_gone (pid);
  hull_test_wait_pid_gone (pid_transient);
  hull_test_world_start_hulld (world);

  hull_test_assert_state (world, path, "crashed", "worker-failed");
  g_assert_false (g_file_test (status, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (record, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (transient_record, G_FILE_TEST_EXISTS));
  assert_not_found (world, "lost-transient");
  g_assert_false (hull_test_object_exists (world, transient));
  /* And it starts again. */
  hull_test_domain_do (world, path, "Start");
  hull_test_assert_state (world, path, "running", "booted");
}

/* Broken definitions are moved aside; the others load; hulld runs. */
static void
test_corrupt_definition (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *good = hull_test_define_domain (world, "good", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *garbled
      = hull_test_define_domain (world, "garbled", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *invalid
      = hull_test_define_domain (world, "invalid", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid_garbled = hull_test_domain_uuid (world, garbled);
  g_autofree char *uuid_invalid = hull_test_domain_uuid (world, invalid);
  g_autofree char *file_garbled = hull_test_world_definition_path (world, uuid_garbled);
  g_autofree char *file_invalid = hull_test_world_definition_path (world, uuid_invalid);
  g_autofree char *broken_garbled = g_strconcat (file_garbled, ".broken", NULL);
  g_autofree char *broken_invalid = g_strconcat (file_invalid, ".broken", NULL);
  g_autofree char *invalid_xml
      = hull_test_domain_xml ("invalid", uuid_invalid, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *vcpu_zero = NULL, *again_path = NULL, *contents = NULL;
  g_autofree char *again_xml = hull_test_domain_xml ("garbled", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) paths = NULL;
  char *at;

  hull_test_world_stop_hulld (world);
  g_file_set_contents (file_garbled, "<domain type='test'><name>garbled</na", -1, &error);
  g_assert_no_error (error);
  /* Well-formed, but no valid domain: zero vCPUs. */
  at = strstr (invalid_xml, "<vcpu>1</vcpu>");
  g_assert_nonnull (at);
  memcpy (at, "<vcpu>0</vcpu>", strlen ("<vcpu>0</vcpu>"));
  g_file_set_contents (file_invalid, invalid_xml, -1, &error);
  g_assert_no_error (error);

  hull_test_world_start_hulld (world);
  paths = list_domains (world);
  g_assert_cmpuint (g_strv_length (paths), ==, 1);
  g_assert_cmpstr (paths[0], ==, good);
  g_assert_false (g_file_test (file_garbled, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (file_invalid, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (broken_garbled, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "<domain type='test'><name>garbled</na");
  g_assert_true (g_file_test (broken_invalid, G_FILE_TEST_IS_REGULAR));
  assert_not_found (world, "garbled");
  assert_not_found (world, "invalid");

  /* The daemon works: the good domain starts; the name is free again. */
  hull_test_domain_do (world, good, "Start");
  hull_test_assert_state (world, good, "running", "booted");
  again_path = hull_test_define (world, again_xml);
  g_assert_true (hull_test_object_exists (world, again_path));
  /* A second restart leaves the .broken files alone. */
  hull_test_world_restart_hulld (world);
  g_assert_true (g_file_test (broken_garbled, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (broken_invalid, G_FILE_TEST_IS_REGULAR));
  g_strfreev (paths);
  paths = list_domains (world);
  g_assert_cmpuint (g_strv_length (paths), ==, 2);
}

/* Autostart once per host boot: not on a daemon restart (same runtime
 * directory), again after a "reboot" (a fresh one); a reattached domain is
 * not started twice. */
static void
test_autostart_once_per_boot (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autoptr (HullTestRecorder) recorder = hull_test_recorder_new (world);
  g_autofree char *path = hull_test_define_domain (world, "boot", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *manual = hull_test_define_domain (world, "manual", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *uuid = hull_test_domain_uuid (world, path);
  g_autofree char *mark = g_build_filename (world->runtime_dir, "autostarted", NULL);
  g_autofree char *mark2 = NULL;
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, path, DOMAIN, "SetAutostart",
                           g_variant_new ("(b@a{sv})", TRUE, HULL_TEST_NO_OPTIONS), NULL);
  GPid pid;

  g_assert_true (g_file_test (mark, G_FILE_TEST_EXISTS));

  /* A daemon restart: autostart already ran this boot. */
  hull_test_world_restart_hulld (world);
  hull_test_assert_state (world, path, "shutoff", NULL);

  /* A host reboot: a fresh runtime directory. */
  hull_test_world_stop_hulld (world);
  hull_test_world_new_runtime_dir (world);
  hull_test_world_start_hulld (world);
  mark2 = g_build_filename (world->runtime_dir, "autostarted", NULL);
  g_assert_true (g_file_test (mark2, G_FILE_TEST_EXISTS));
  hull_test_wait_state (world, path, "running", "booted");
  hull_test_recorder_wait (recorder, "event boot started booted", 0);
  hull_test_assert_state (world, manual, "shutoff", NULL);
  pid = hull_test_world_worker_pid (world, uuid);
  g_assert_cmpint (pid, >, 0);

  /* hulld killed and started again: the running domain is reattached,
   * not started a second time. */
  hull_test_world_kill_hulld (world);
  hull_test_world_start_hulld (world);
  hull_test_assert_state (world, path, "running", NULL);
  g_assert_cmpint (hull_test_world_worker_pid (world, uuid), ==, pid);

  /* Destroyed, then hulld restarted: it stays off. */
  hull_test_domain_do (world, path, "Destroy");
  hull_test_world_restart_hulld (world);
  hull_test_assert_state (world, path, "shutoff", NULL);
  hull_test_recorder_sync (recorder, world);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event boot started booted"), ==, 1);
  g_assert_cmpuint (hull_test_recorder_count (recorder, "event manual started *"), ==, 0);
}

void
test_daemon_add_restart_tests (void)
{
  hull_test_add ("/hull/daemon/restart/persistence", test_persistence, NULL);
  hull_test_add ("/hull/daemon/restart/reattach-after-kill", test_reattach_after_kill, NULL);
  hull_test_add ("/hull/daemon/restart/reattach-after-stop", test_reattach_after_stop, NULL);
  hull_test_add ("/hull/daemon/restart/reattach-halted", test_reattach_halted, NULL);
  hull_test_add ("/hull/daemon/restart/worker-died-while-away", test_worker_died_while_away, NULL);
  hull_test_add ("/hull/daemon/restart/corrupt-definition", test_corrupt_definition, NULL);
  hull_test_add ("/hull/daemon/restart/autostart-once-per-boot", test_autostart_once_per_boot,
                 NULL);
}
