/* test-daemon-policy.c — hulld's policy over D-Bus in session mode
 * (docs/policy.md): quotas on define, create and start from a hulld.conf,
 * a malformed hulld.conf stops hulld with the line, and a caller of
 * another uid is refused. Each refused call changes nothing, in memory or
 * on disk.
 *
 * The foreign caller: as root, this program runs itself again as "nobody"
 * (--as-client), connecting to a private bus whose policy lets any uid in;
 * not as root, that test is skipped. Multi-user policy in system mode is
 * the system-mode integration test's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dbus-harness.h"
#include "hull-error.h"

#define DOMAIN_IFACE "org.hullvm.Hull1.Domain"
#define MANAGER_IFACE "org.hullvm.Hull1.Manager"
#define NOT_AUTHORIZED "org.hullvm.Hull1.Error.NotAuthorized"
#define QUOTA_EXCEEDED "org.hullvm.Hull1.Error.QuotaExceeded"

/* The uid the test runs as, by name, for [quota user NAME]. */
static char *
my_name (void)
{
  struct passwd *pwd = getpwuid (getuid ());

  g_assert_nonnull (pwd);
  return g_strdup (pwd->pw_name);
}

/* Writes hulld.conf where a session hulld of @world looks for it. */
static char *
write_config (HullTestWorld *world, const char *text)
{
  g_autofree char *dir = g_build_filename (world->root, "xdg", "config", "hull", NULL);
  char *path = g_build_filename (dir, "hulld.conf", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* A world whose hulld runs with my [quota user] section @keys. */
static HullTestWorld *
world_with_quota (const char *keys)
{
  HullTestWorld *world = hull_test_world_new (FALSE);
  g_autofree char *name = my_name ();
  g_autofree char *text = g_strdup_printf ("# test quota\n[quota user %s]\n%s", name, keys);
  g_autofree char *path = write_config (world, text);

  hull_test_world_start_hulld (world);
  return world;
}

/* The call fails with QuotaExceeded; its message contains @part. */
static void
call_over_quota (HullTestWorld *world, const char *path, const char *interface, const char *method,
                 GVariant *parameters, const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = hull_test_call (world, path, interface, method, parameters, NULL, &error);
  g_autofree char *name = NULL;

  g_assert_null (reply);
  name = hull_test_error_name (error);
  g_assert_cmpstr (name, ==, QUOTA_EXCEEDED);
  g_test_message ("%s: %s", method, error->message);
  if (strstr (error->message, part) == NULL)
    g_error ("expected '%s' in '%s'", part, error->message);
}

static guint
count_domains (HullTestWorld *world)
{
  g_autoptr (GVariant) reply = hull_test_call_ok (
      world, HULL_DBUS_PATH, MANAGER_IFACE, "ListDomains", g_variant_new ("(a{sv})", NULL), "(ao)");
  g_autoptr (GVariant) paths = g_variant_get_child_value (reply, 0);

  return (guint)g_variant_n_children (paths);
}

/* ---- quotas ------------------------------------------------------------------- */

static void
test_quota_domains_on_define (void)
{
  g_autoptr (HullTestWorld) world = world_with_quota ("domains=1\n");
  g_autofree char *first_xml = hull_test_domain_xml (
      "first", "2b0f8e52-5d1c-4f44-9f0e-3a1d6c0b7e01", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *first = hull_test_define (world, first_xml);
  g_autofree char *xml = hull_test_domain_xml ("second", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GHashTable) before = hull_test_snapshot_dir (world->state_dir);
  g_autofree char *objects = hull_test_managed_objects_text (world);
  g_autoptr (GHashTable) after = NULL;
  g_autofree char *objects_after = NULL;
  g_autofree char *me = my_name ();
  g_autofree char *expected = g_strdup_printf (
      "user '%s' may have 1 domains; 1 are defined and domain 'second' would be one more", me);

  call_over_quota (world, HULL_DBUS_PATH, MANAGER_IFACE, "DefineXML",
                   g_variant_new ("(sa{sv})", xml, NULL), expected);
  /* Transient domains count too. */
  call_over_quota (world, HULL_DBUS_PATH, MANAGER_IFACE, "CreateXML",
                   g_variant_new ("(sa{sv})", xml, NULL), "would be one more");

  after = hull_test_snapshot_dir (world->state_dir);
  hull_test_assert_snapshots_equal (before, after);
  objects_after = hull_test_managed_objects_text (world);
  g_assert_cmpstr (objects, ==, objects_after);
  g_assert_cmpuint (count_domains (world), ==, 1);

  /* Redefining the one there is is no new domain. */
  g_free (hull_test_define (world, first_xml));
  /* Undefined, it leaves room. */
  hull_test_domain_do (world, first, "Undefine");
  g_free (hull_test_define (world, xml));
}

static void
test_quota_vcpus_on_start (void)
{
  g_autoptr (HullTestWorld) world = world_with_quota ("vcpus=1\n");
  g_autofree char *a = hull_test_define_domain (world, "a", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *b = hull_test_define_domain (world, "b", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *xml = hull_test_domain_xml ("c", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GHashTable) before = NULL;
  g_autoptr (GHashTable) after = NULL;
  g_autoptr (GHashTable) runtime_before = NULL;
  g_autoptr (GHashTable) runtime_after = NULL;
  g_autofree char *me = my_name ();
  g_autofree char *expected
      = g_strdup_printf ("user '%s' may run 1 vCPUs; 1 are running and domain 'b' needs 1", me);

  hull_test_domain_do (world, a, "Start");
  hull_test_assert_state (world, a, "running", "booted");

  before = hull_test_snapshot_dir (world->state_dir);
  runtime_before = hull_test_snapshot_dir (world->runtime_dir);
  call_over_quota (world, b, DOMAIN_IFACE, "Start", g_variant_new ("(a{sv})", NULL), expected);
  hull_test_assert_state (world, b, "shutoff", NULL);
  call_over_quota (world, HULL_DBUS_PATH, MANAGER_IFACE, "CreateXML",
                   g_variant_new ("(sa{sv})", xml, NULL), "vCPUs");
  after = hull_test_snapshot_dir (world->state_dir);
  runtime_after = hull_test_snapshot_dir (world->runtime_dir);
  hull_test_assert_snapshots_equal (before, after);
  g_assert_cmpuint (g_hash_table_size (runtime_before), ==, g_hash_table_size (runtime_after));
  g_assert_cmpuint (count_domains (world), ==, 2);

  /* Stopping one makes room for the other. */
  hull_test_domain_do (world, a, "Destroy");
  hull_test_domain_do (world, b, "Start");
  hull_test_assert_state (world, b, "running", "booted");
  hull_test_domain_do (world, b, "Destroy");
}

static void
test_quota_memory_on_start (void)
{
  /* The test domains have 16 MiB. */
  g_autoptr (HullTestWorld) world = world_with_quota ("memory=8MiB\n");
  g_autofree char *a = hull_test_define_domain (world, "a", HULL_TEST_PROGRAM_SPIN, NULL);

  call_over_quota (world, a, DOMAIN_IFACE, "Start", g_variant_new ("(a{sv})", NULL),
                   "of memory in all; 0 bytes are in use and domain 'a' needs 16 MiB");
  hull_test_assert_state (world, a, "shutoff", NULL);
}

static void
test_auth_no_user_interaction_accepted (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (TRUE);
  g_autofree char *a = hull_test_define_domain (world, "a", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autoptr (GVariant) reply = NULL;

  /* Every method takes the option (here: the owner is the caller, so
   * nothing to ask anyway). */
  reply = hull_test_call_ok (world, HULL_DBUS_PATH, MANAGER_IFACE, "ListDomains",
                             g_variant_new_parsed ("({'auth.no_user_interaction': <true>},)"),
                             "(ao)");
  g_clear_pointer (&reply, g_variant_unref);
  reply
      = hull_test_call_ok (world, a, DOMAIN_IFACE, "GetXMLDesc",
                           g_variant_new_parsed ("({'auth.no_user_interaction': <true>},)"), "(s)");
  g_clear_pointer (&reply, g_variant_unref);
  hull_test_call_fails (world, a, DOMAIN_IFACE, "Start",
                        g_variant_new_parsed ("({'auth.no_user_interaction': <'yes'>},)"),
                        "org.hullvm.Hull1.Error.InvalidArgument");
}

/* ---- a malformed hulld.conf ------------------------------------------------------ */

/* Runs hulld on @world's bus with @args added; its exit status and stderr. */
static int
run_hulld (HullTestWorld *world, const char *const *extra, char **err)
{
  const char *hulld = g_getenv ("HULL_TEST_HULLD");
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) envp = g_get_environ ();
  g_autofree char *xdg_config = g_build_filename (world->root, "xdg", "config", NULL);
  g_autoptr (GError) error = NULL;
  int status = 0;

  if (hulld == NULL || *hulld == '\0')
    hulld = HULL_TEST_HULLD_DEFAULT;
  g_ptr_array_add (argv, (char *)hulld);
  g_ptr_array_add (argv, (char *)"--session");
  g_ptr_array_add (argv, (char *)"--state-dir");
  g_ptr_array_add (argv, world->state_dir);
  g_ptr_array_add (argv, (char *)"--runtime-dir");
  g_ptr_array_add (argv, world->runtime_dir);
  g_ptr_array_add (argv, (char *)"--log-dir");
  g_ptr_array_add (argv, world->log_dir);
  for (guint i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (argv, (char *)extra[i]);
  g_ptr_array_add (argv, NULL);
  envp = g_environ_setenv (envp, "DBUS_SESSION_BUS_ADDRESS", world->bus_address, TRUE);
  envp = g_environ_setenv (envp, "XDG_CONFIG_HOME", xdg_config, TRUE);
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  g_spawn_sync (NULL, (char **)argv->pdata, envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, err,
                &status, &error);
  g_assert_no_error (error);
  g_test_message ("hulld: %s", *err);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
test_bad_config_refuses_to_start (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (FALSE);
  g_autofree char *path
      = write_config (world, "[quota]\ndomains=3\nvcpus=many\n[policy]\nauthority=auto\n");
  g_autofree char *where = g_strdup_printf ("%s:3: ", path);
  g_autofree char *given = g_build_filename (world->root, "given.conf", NULL);
  g_autofree char *given_where = g_strdup_printf ("%s:2: ", given);
  g_autofree char *missing = g_build_filename (world->root, "missing.conf", NULL);
  g_autofree char *err = NULL;
  const char *no_args[] = { NULL };
  const char *given_args[] = { "--config", given, NULL };
  const char *missing_args[] = { "--config", missing, NULL };

  /* The default file ($XDG_CONFIG_HOME/hull/hulld.conf). */
  g_assert_cmpint (run_hulld (world, no_args, &err), ==, 1);
  g_assert_nonnull (strstr (err, where));
  g_assert_nonnull (strstr (err, "vcpus must be a number"));
  g_clear_pointer (&err, g_free);

  /* --config FILE. */
  g_file_set_contents (given, "[policy]\nadmin-group=no-such-group-hull-test\n", -1, NULL);
  g_assert_cmpint (run_hulld (world, given_args, &err), ==, 1);
  g_assert_nonnull (strstr (err, given_where));
  g_assert_nonnull (strstr (err, "no-such-group-hull-test"));
  g_clear_pointer (&err, g_free);

  /* A --config that is not there is an error too (a missing default file
   * is not). */
  g_assert_cmpint (run_hulld (world, missing_args, &err), ==, 1);
  g_assert_nonnull (strstr (err, missing));

  /* It never got as far as the state directory. */
  g_assert_false (g_file_test (world->state_dir, G_FILE_TEST_EXISTS));
}

/* ---- a caller of another uid -------------------------------------------------------- */

/* --as-client ADDRESS PATH: as whoever we are, call ListDomains,
 * LookupByName("a"), DefineXML (strict, then lenient with an element to
 * skip), GetXMLDesc and Start on PATH; print each error's D-Bus name (or
 * "ok") on a line. */
static int
client_main (const char *address, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection = g_dbus_connection_new_for_address_sync (
      address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_autofree char *xml = hull_test_domain_xml ("mine", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  struct
  {
    const char *path;
    const char *interface;
    const char *method;
    GVariant *parameters;
  } calls[] = {
    { HULL_DBUS_PATH, MANAGER_IFACE, "ListDomains", g_variant_new ("(a{sv})", NULL) },
    { HULL_DBUS_PATH, MANAGER_IFACE, "LookupByName", g_variant_new ("(sa{sv})", "a", NULL) },
    { HULL_DBUS_PATH, MANAGER_IFACE, "DefineXML", g_variant_new ("(sa{sv})", xml, NULL) },
    { HULL_DBUS_PATH, MANAGER_IFACE, "DefineXML",
      g_variant_new ("(s@a{sv})",
                     "<domain type='test'><name>lenient</name><memory unit='MiB'>16</memory>"
                     "<vcpu>1</vcpu><frobnicate/></domain>",
                     g_variant_new_parsed ("{'lenient': <true>}")) },
    { path, DOMAIN_IFACE, "GetXMLDesc", g_variant_new ("(a{sv})", NULL) },
    { path, DOMAIN_IFACE, "Start", g_variant_new ("(a{sv})", NULL) },
    { path, DOMAIN_IFACE, "Undefine", g_variant_new ("(a{sv})", NULL) },
  };

  if (connection == NULL)
    {
      g_printerr ("cannot connect as uid %u: %s\n", (guint)getuid (), error->message);
      return 1;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_autoptr (GError) call_error = NULL;
      g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
          connection, HULL_DBUS_NAME, calls[i].path, calls[i].interface, calls[i].method,
          calls[i].parameters, NULL, G_DBUS_CALL_FLAGS_NONE, HULL_TEST_TIMEOUT_S * 1000, NULL,
          &call_error);
      g_autofree char *name = call_error != NULL ? hull_test_error_name (call_error) : NULL;

      g_print ("%s %s\n", calls[i].method, reply != NULL ? "ok" : name);
      if (call_error != NULL)
        g_printerr ("%s: %s\n", calls[i].method, call_error->message);
    }
  return 0;
}

typedef struct
{
  uid_t uid;
  gid_t gid;
} Identity;

static void
become (gpointer user_data)
{
  const Identity *who = user_data;

  if (setgroups (0, NULL) != 0 || setgid (who->gid) != 0 || setuid (who->uid) != 0)
    _exit (125);
}

static char *
skip_unless_root (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *argv[] = { "test", "-x", self, NULL };
  struct passwd *nobody;
  Identity who;
  int status = -1;

  if (getuid () != 0)
    return g_strdup ("needs root, to run a client as another uid");
  nobody = getpwnam ("nobody");
  if (nobody == NULL)
    return g_strdup ("there is no user 'nobody'");
  /* The client is this program run as nobody: a build tree under a
   * private (0700) directory keeps it out. */
  who = (Identity){ nobody->pw_uid, nobody->pw_gid };
  if (self == NULL
      || !g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, become, &who, NULL, NULL,
                        &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    return g_strdup ("user 'nobody' cannot run the test program from this build tree");
  return NULL;
}

/* Moves @world to a bus of its own that lets any uid connect (the
 * harness's session bus lets only its owner in). */
static void
open_bus_to_everyone (HullTestWorld *world)
{
  g_autofree char *dir = g_build_filename (world->root, "pbus", NULL);
  g_autofree char *socket = g_build_filename (dir, "socket", NULL);
  g_autofree char *conf = g_build_filename (dir, "bus.conf", NULL);
  g_autofree char *conf_arg = g_strconcat ("--config-file=", conf, NULL);
  g_autofree char *text = NULL;
  const char *argv[] = { hull_test_dbus_daemon (), conf_arg, "--nofork", "--nopidfile", NULL };
  g_autoptr (GError) error = NULL;
  gint64 deadline;

  g_assert_cmpint (chmod (world->root, 0711), ==, 0);
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  text = g_strdup_printf (
      "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
      " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
      "<busconfig>\n"
      "  <type>session</type>\n"
      "  <listen>unix:path=%s</listen>\n"
      "  <auth>EXTERNAL</auth>\n"
      "  <policy context=\"default\">\n"
      "    <allow user=\"*\"/>\n"
      "    <allow send_destination=\"*\"/>\n"
      "    <allow receive_sender=\"*\"/>\n"
      "    <allow own=\"*\"/>\n"
      "  </policy>\n"
      "</busconfig>\n",
      socket);
  g_file_set_contents (conf, text, -1, &error);
  g_assert_no_error (error);

  /* The harness's bus goes with the world's other leftovers. */
  g_spawn_async_with_pipes_and_fds (
      NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, -1,
      STDERR_FILENO, -1, NULL, NULL, 0, &world->bus_pid, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;
  while (!g_file_test (socket, G_FILE_TEST_EXISTS))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10000);
    }
  g_free (world->bus_address);
  world->bus_address = g_strconcat ("unix:path=", socket, NULL);
  g_clear_object (&world->connection);
  world->connection = g_dbus_connection_new_for_address_sync (
      world->bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (world->connection, FALSE);
}

static void
test_foreign_uid_refused (void)
{
  g_autoptr (HullTestWorld) world = hull_test_world_new (FALSE);
  g_autofree char *a = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GHashTable) before = NULL;
  g_autoptr (GHashTable) after = NULL;
  g_autoptr (GError) error = NULL;
  struct passwd *nobody = getpwnam ("nobody");
  Identity who = { nobody->pw_uid, nobody->pw_gid };
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  int status = 0;

  open_bus_to_everyone (world);
  hull_test_world_start_hulld (world);
  a = hull_test_define_domain (world, "a", HULL_TEST_PROGRAM_SPIN, NULL);
  before = hull_test_snapshot_dir (world->state_dir);

  {
    const char *argv[] = { self, "--as-client", world->bus_address, a, NULL };

    g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, become, &who, &out, &err, &status,
                  &error);
  }
  g_assert_no_error (error);
  g_test_message ("client (uid %u) said:\n%s%s", (guint)who.uid, out, err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  /* A session hulld serves its own uid (and root) only: every call. */
  g_assert_cmpstr (out, ==,
                   "ListDomains " NOT_AUTHORIZED "\n"
                   "LookupByName " NOT_AUTHORIZED "\n"
                   "DefineXML " NOT_AUTHORIZED "\n"
                   "DefineXML " NOT_AUTHORIZED "\n"
                   "GetXMLDesc " NOT_AUTHORIZED "\n"
                   "Start " NOT_AUTHORIZED "\n"
                   "Undefine " NOT_AUTHORIZED "\n");
  g_assert_nonnull (strstr (err, "may not call Start: this hulld serves user"));
  /* The refused caller's XML left nothing in hulld's log. */
  {
    g_autofree char *log_path = g_build_filename (world->root, "hulld.log", NULL);
    g_autofree char *log = NULL;

    g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
    g_assert_null (strstr (log, "skipped"));
    g_assert_null (strstr (log, "frobnicate"));
  }

  /* Nothing changed. */
  after = hull_test_snapshot_dir (world->state_dir);
  hull_test_assert_snapshots_equal (before, after);
  hull_test_assert_state (world, a, "shutoff", NULL);
  g_assert_cmpuint (count_domains (world), ==, 1);
}

/* hull_test_init() gives argv a new array, which LSan would call leaked
 * once main() no longer holds it. */
static char **volatile kept_argv;

int
main (int argc, char **argv)
{
  if (argc == 4 && g_str_equal (argv[1], "--as-client"))
    return client_main (argv[2], argv[3]);

  hull_test_init (&argc, &argv);
  kept_argv = argv;
  if (hull_test_dbus_daemon () == NULL)
    {
      g_print ("1..0 # SKIP no dbus-daemon\n");
      return 77;
    }
  hull_test_add ("/hull/daemon/policy/quota/domains-on-define-and-create",
                 test_quota_domains_on_define, NULL);
  hull_test_add ("/hull/daemon/policy/quota/vcpus-on-start-and-create", test_quota_vcpus_on_start,
                 NULL);
  hull_test_add ("/hull/daemon/policy/quota/memory-on-start", test_quota_memory_on_start, NULL);
  hull_test_add ("/hull/daemon/policy/options/auth-no-user-interaction",
                 test_auth_no_user_interaction_accepted, NULL);
  hull_test_add ("/hull/daemon/policy/config/malformed-refuses-to-start",
                 test_bad_config_refuses_to_start, NULL);
  hull_test_add ("/hull/daemon/policy/session/foreign-uid-not-authorized", test_foreign_uid_refused,
                 skip_unless_root);
  return g_test_run ();
}
