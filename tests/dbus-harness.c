/* dbus-harness.c — private dbus-daemon + hulld worlds for the daemon's
 * integration tests (dbus-harness.h). */
#include "config.h"

#include "dbus-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hull-error.h"
#include "test-util.h"

#ifndef HULL_TEST_HULLD_DEFAULT
#define HULL_TEST_HULLD_DEFAULT "hulld"
#endif
#ifndef HULL_TEST_WORKER_DEFAULT
#define HULL_TEST_WORKER_DEFAULT "hull-vm"
#endif
#ifndef HULL_TEST_TEST_PLUGIN_DEFAULT
#define HULL_TEST_TEST_PLUGIN_DEFAULT ""
#endif
#ifndef HULL_TEST_KVM_PLUGIN_DEFAULT
#define HULL_TEST_KVM_PLUGIN_DEFAULT ""
#endif
#ifndef HULL_TEST_DBUS_DAEMON_DEFAULT
#define HULL_TEST_DBUS_DAEMON_DEFAULT ""
#endif

/* --- paths ------------------------------------------------------------- */

static const char *
env_or (const char *name, const char *fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? value : fallback;
}

const char *
hull_test_dbus_daemon (void)
{
  static char *path;

  if (path == NULL)
    {
      const char *configured = env_or ("DBUS_DAEMON", HULL_TEST_DBUS_DAEMON_DEFAULT);

      if (configured != NULL && g_path_is_absolute (configured)
          && g_file_test (configured, G_FILE_TEST_IS_EXECUTABLE))
        path = g_strdup (configured);
      else
        path = g_find_program_in_path ("dbus-daemon");
    }
  return path;
}

const char *
hull_test_kvm_plugin (void)
{
  const char *plugin = env_or ("HULL_TEST_KVM_PLUGIN", HULL_TEST_KVM_PLUGIN_DEFAULT);

  return plugin != NULL && *plugin != '\0' && g_file_test (plugin, G_FILE_TEST_EXISTS) ? plugin
                                                                                       : NULL;
}

/* --- processes -------------------------------------------------------------- */

/* Children reaped by reap_all (pid → wait status), so that the pids the
 * harness tracks can still be asked about after a waitpid (-1). The test is
 * a subreaper: workers orphaned by a killed hulld become its children. */
static GHashTable *reaped;

static void
reap_all (void)
{
  int status;
  pid_t pid;

  if (reaped == NULL)
    reaped = g_hash_table_new (NULL, NULL);
  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    g_hash_table_insert (reaped, GINT_TO_POINTER (pid), GINT_TO_POINTER (status));
}

/* Whether our child @pid has exited; its wait status in @status. */
static gboolean
child_exited (GPid pid, int *status)
{
  gpointer value;

  reap_all ();
  if (!g_hash_table_lookup_extended (reaped, GINT_TO_POINTER (pid), NULL, &value))
    return FALSE;
  g_hash_table_remove (reaped, GINT_TO_POINTER (pid));
  if (status != NULL)
    *status = GPOINTER_TO_INT (value);
  return TRUE;
}

/* Waits up to @timeout_ms for our child @pid; FALSE if it is still there. */
static gboolean
wait_child (GPid pid, int timeout_ms, int *status)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  do
    {
      if (child_exited (pid, status))
        return TRUE;
      g_usleep (5000);
    }
  while (g_get_monotonic_time () < deadline);
  return child_exited (pid, status);
}

gboolean
hull_test_pid_alive (GPid pid)
{
  g_autofree char *stat_path = NULL;
  g_autofree char *stat = NULL;
  const char *paren;

  if (pid <= 0)
    return FALSE;
  reap_all ();
  if (kill (pid, 0) != 0)
    return FALSE;
  /* A zombie (not reaped by its parent yet) is gone for our purposes. */
  stat_path = g_strdup_printf ("/proc/%d/stat", (int)pid);
  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return FALSE;
  paren = strrchr (stat, ')');
  return paren == NULL || paren[1] == '\0' || (paren[2] != 'Z' && paren[2] != 'X');
}

void
hull_test_wait_pid_gone (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (hull_test_pid_alive (pid))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("process %d still runs after %d s", (int)pid, HULL_TEST_TIMEOUT_S);
      g_usleep (5000);
    }
}

void
hull_test_init (int *argc, char ***argv)
{
  /* GTest stops at the first failure unless told to keep going; the
   * array lives as long as the process, as g_test_init() wants. */
  char **args = g_new0 (char *, *argc + 2);

  for (int i = 0; i < *argc; i++)
    args[i] = (*argv)[i];
  args[*argc] = (char *)"--keep-going";
  *argc += 1;
  *argv = args;
  g_test_init (argc, argv, NULL);

  /* Orphaned workers come to us, not to a PID 1 that may not reap. */
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    g_test_message ("PR_SET_CHILD_SUBREAPER: %s", g_strerror (errno));
  hull_error_quark (); /* registers the D-Bus error names */
  signal (SIGPIPE, SIG_IGN);
}

/* After a test that aborted: its guardian and whatever the guardian kills
 * come to us, the subreaper. Reap them all, so that no zombie outlives the
 * test program (PID 1 may not reap). */
static void
reap_orphans (void)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      int status;
      pid_t pid = waitpid (-1, &status, WNOHANG);

      if (pid < 0 && errno == ECHILD)
        return;
      if (pid > 0)
        continue;
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("# processes of a failed test still run after %d s\n", HULL_TEST_TIMEOUT_S);
          return;
        }
      g_usleep (5000);
    }
}

typedef struct
{
  void (*func) (void);
  char *(*skip) (void);
} IsolatedTest;

static void
run_isolated (gconstpointer data)
{
  const IsolatedTest *test = data;
  g_autofree char *reason = NULL;

  if (g_test_subprocess ())
    {
      test->func ();
      return;
    }
  if (test->skip != NULL && (reason = test->skip ()) != NULL)
    {
      g_test_skip (reason);
      return;
    }
  /* Every wait inside is bounded by HULL_TEST_TIMEOUT_S; this bounds the
   * whole test as well. */
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  reap_orphans ();
  if (!g_test_trap_has_passed ())
    g_test_fail_printf ("%s failed (its messages are above)", g_test_get_path ());
}

void
hull_test_add (const char *path, void (*func) (void), char *(*skip) (void))
{
  /* Static, not allocated: a test's subprocess exits from inside
   * g_test_run(), and LeakSanitizer would report each registration. */
  static IsolatedTest tests[256];
  static guint n_tests;
  IsolatedTest *test;

  g_assert_cmpuint (n_tests, <, G_N_ELEMENTS (tests));
  test = &tests[n_tests++];
  test->func = func;
  test->skip = skip;
  g_test_add_data_func (path, test, run_isolated);
}

/* Every process but us whose command line mentions @root/ (hulld, the bus,
 * workers: each is given a path under it). */
static GArray *
find_world_processes (const char *root, GPid except)
{
  g_autofree char *needle = g_strconcat (root, "/", NULL);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  if (proc == NULL)
    return pids;
  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize len;
      char *end = NULL;
      GPid pid = (GPid)g_ascii_strtoll (name, &end, 10);

      if (end == name || *end != '\0' || pid == getpid () || pid == except)
        continue;
      path = g_strdup_printf ("/proc/%s/cmdline", name);
      if (!g_file_get_contents (path, &cmdline, &len, NULL))
        continue;
      for (gsize i = 0; i < len; i += strlen (cmdline + i) + 1)
        if (strstr (cmdline + i, needle) != NULL)
          {
            g_array_append_val (pids, pid);
            break;
          }
    }
  return pids;
}

/* The guardian: a shell that waits on a pipe from the test. When the pipe
 * closes without "ok" (the test aborted or was killed), it shows the
 * world's logs, kills its processes and removes it. */
static const char guardian_script[]
    = "root=$1; keep=$2\n"
      "IFS= read -r line\n"
      "if [ \"$line\" = ok ]; then exit 0; fi\n"
      "for f in \"$root\"/hulld.log \"$root\"/log/*.log; do\n"
      "  [ -r \"$f\" ] && { echo \"# --- $f\"; sed 's/^/# /' \"$f\"; } >&2\n"
      "done\n"
      "for p in /proc/[0-9]*; do\n"
      "  pid=${p#/proc/}\n"
      "  [ \"$pid\" = $$ ] && continue\n"
      "  cmd=$(tr '\\0' ' ' 2>/dev/null < \"$p/cmdline\") || continue\n"
      "  case \"$cmd\" in *\"$root/\"*) kill -9 \"$pid\" 2>/dev/null;; esac\n"
      "done\n"
      "[ \"$keep\" = 1 ] || rm -rf \"$root\"\n";

static void
start_guardian (HullTestWorld *world)
{
  const char *argv[] = { "/bin/sh",
                         "-c",
                         guardian_script,
                         "hull-test-guardian",
                         world->root,
                         env_or ("HULL_TEST_KEEP", "0"),
                         NULL };
  g_autoptr (GError) error = NULL;

  g_spawn_async_with_pipes (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &world->guardian_pid, &world->guardian_fd, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (fcntl (world->guardian_fd, F_SETFD, FD_CLOEXEC), ==, 0);
}

/* --- the bus ------------------------------------------------------------------ */

static char *
read_line_bounded (int fd, const char *what)
{
  g_autoptr (GString) line = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (strchr (line->str, '\n') == NULL)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      int left = (int)((deadline - g_get_monotonic_time ()) / 1000);
      char buffer[256];
      gssize n;

      if (left <= 0)
        g_error ("%s: nothing within %d s", what, HULL_TEST_TIMEOUT_S);
      if (poll (&pfd, 1, left) <= 0)
        continue;
      n = read (fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        g_error ("%s: EOF before a line (read \"%s\")", what, line->str);
      g_string_append_len (line, buffer, n);
    }
  *strchr (line->str, '\n') = '\0';
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
start_bus (HullTestWorld *world)
{
  g_autofree char *address_arg = g_strdup_printf ("--address=unix:path=%s/bus", world->root);
  const char *argv[]
      = { hull_test_dbus_daemon (), "--session", "--nofork", "--nopidfile", address_arg,
          "--print-address=3",      NULL };
  g_autoptr (GError) error = NULL;
  int fds[2];
  int source_fds[1], target_fds[1] = { 3 };

  g_assert_nonnull (argv[0]);
  g_unix_open_pipe (fds, FD_CLOEXEC, &error);
  g_assert_no_error (error);
  source_fds[0] = fds[1];
  /* Its stdout goes to our stderr: stdout is the TAP stream. */
  g_spawn_async_with_pipes_and_fds (
      NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, -1,
      STDERR_FILENO, -1, source_fds, target_fds, 1, &world->bus_pid, NULL, NULL, NULL, &error);
  close (fds[1]);
  g_assert_no_error (error);
  world->bus_address = read_line_bounded (fds[0], "dbus-daemon --print-address");
  close (fds[0]);

  world->connection = g_dbus_connection_new_for_address_sync (
      world->bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_set_exit_on_close (world->connection, FALSE);
}

static gboolean
name_has_owner (HullTestWorld *world)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      world->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new ("(s)", HULL_DBUS_NAME), G_VARIANT_TYPE ("(b)"),
      G_DBUS_CALL_FLAGS_NONE, HULL_TEST_TIMEOUT_S * 1000, NULL, &error);
  gboolean owned;

  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* --- hulld ------------------------------------------------------------------------ */

static void
describe_status (GString *out, int status)
{
  if (WIFEXITED (status))
    g_string_append_printf (out, "exit status %d", WEXITSTATUS (status));
  else if (WIFSIGNALED (status))
    g_string_append_printf (out, "signal %d (%s)", WTERMSIG (status),
                            g_strsignal (WTERMSIG (status)));
  else
    g_string_append_printf (out, "wait status 0x%x", status);
}

void
hull_test_world_start_hulld (HullTestWorld *world)
{
  const char *hulld = env_or ("HULL_TEST_HULLD", HULL_TEST_HULLD_DEFAULT);
  const char *worker = env_or ("HULL_TEST_WORKER", HULL_TEST_WORKER_DEFAULT);
  const char *args[] = { hulld,           "--session",        "--state-dir", world->state_dir,
                         "--runtime-dir", world->runtime_dir, "--log-dir",   world->log_dir,
                         "--backend-dir", world->backend_dir, "--worker",    worker };
  /* HULL_TEST_HULLD_PREFIX: a command line to run hulld under, e.g.
   * "libtool --mode=execute valgrind --log-file=/tmp/vg.%p". */
  g_auto (GStrv) prefix = NULL;
  g_autoptr (GPtrArray) argv_array = g_ptr_array_new ();
  const char *const *argv;
  g_auto (GStrv) envp = g_get_environ ();
  g_autofree char *xdg = g_build_filename (world->root, "xdg", NULL);
  g_autofree char *xdg_runtime = g_build_filename (xdg, "runtime", NULL);
  g_autofree char *xdg_config = g_build_filename (xdg, "config", NULL);
  g_autofree char *xdg_state = g_build_filename (xdg, "state", NULL);
  g_autofree char *no_system_bus = g_strdup_printf ("unix:path=%s/no-system-bus", world->root);
  g_autofree char *log_path = g_build_filename (world->root, "hulld.log", NULL);
  g_autoptr (GError) error = NULL;
  gint64 deadline;
  int log_fd;

  g_assert_cmpint (world->hulld_pid, ==, 0);
  if (!g_file_test (hulld, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("hulld is not built: %s", hulld);
  if (g_getenv ("HULL_TEST_HULLD_PREFIX") != NULL
      && !g_shell_parse_argv (g_getenv ("HULL_TEST_HULLD_PREFIX"), NULL, &prefix, &error))
    g_error ("HULL_TEST_HULLD_PREFIX: %s", error->message);
  for (guint i = 0; prefix != NULL && prefix[i] != NULL; i++)
    g_ptr_array_add (argv_array, prefix[i]);
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    g_ptr_array_add (argv_array, (gpointer)args[i]);
  g_ptr_array_add (argv_array, NULL);
  argv = (const char *const *)argv_array->pdata;
  g_mkdir_with_parents (xdg_runtime, 0700);
  envp = g_environ_setenv (envp, "DBUS_SESSION_BUS_ADDRESS", world->bus_address, TRUE);
  envp = g_environ_setenv (envp, "DBUS_SYSTEM_BUS_ADDRESS", no_system_bus, TRUE);
  envp = g_environ_setenv (envp, "HULL_WORKER", worker, TRUE);
  envp = g_environ_setenv (envp, "HULL_BACKEND_DIR", world->backend_dir, TRUE);
  envp = g_environ_setenv (envp, "XDG_RUNTIME_DIR", xdg_runtime, TRUE);
  envp = g_environ_setenv (envp, "XDG_CONFIG_HOME", xdg_config, TRUE);
  envp = g_environ_setenv (envp, "XDG_STATE_HOME", xdg_state, TRUE);
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_setenv (envp, "G_DEBUG", "gc-friendly,fatal-criticals", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");

  /* hulld's output goes to a log that the guardian shows when a test
   * aborts, and to stderr (the test's log) at the teardown. */
  log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  g_assert_cmpint (log_fd, >=, 0);
  g_spawn_async_with_pipes_and_fds (NULL, argv, (const char *const *)envp,
                                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, NULL,
                                    NULL, -1, log_fd, log_fd, NULL, NULL, 0, &world->hulld_pid,
                                    NULL, NULL, NULL, &error);
  close (log_fd);
  g_assert_no_error (error);

  deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;
  while (!name_has_owner (world))
    {
      int status;

      if (child_exited (world->hulld_pid, &status))
        {
          g_autoptr (GString) message = g_string_new ("hulld exited before owning its name: ");
          g_autofree char *log = NULL;

          describe_status (message, status);
          world->hulld_pid = 0;
          g_file_get_contents (log_path, &log, NULL, NULL);
          g_error ("%s\n%s", message->str, log != NULL ? log : "");
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("hulld did not own %s within %d s", HULL_DBUS_NAME, HULL_TEST_TIMEOUT_S);
      g_usleep (10000);
    }
}

static void
wait_name_gone (HullTestWorld *world)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (name_has_owner (world))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s still owned %d s after hulld exited", HULL_DBUS_NAME, HULL_TEST_TIMEOUT_S);
      g_usleep (5000);
    }
}

/* SIGTERM; fails the test if hulld does not exit in time or crashes. */
static void
terminate_hulld (HullTestWorld *world)
{
  int status = 0;

  if (world->hulld_pid == 0)
    return;
  kill (world->hulld_pid, SIGTERM);
  if (!wait_child (world->hulld_pid, HULL_TEST_TIMEOUT_S * 1000, &status))
    {
      kill (world->hulld_pid, SIGKILL);
      wait_child (world->hulld_pid, HULL_TEST_TIMEOUT_S * 1000, &status);
      world->hulld_pid = 0;
      if (world->check_exit)
        {
          g_printerr ("hulld did not exit within %d s of SIGTERM\n", HULL_TEST_TIMEOUT_S);
          g_test_fail_printf ("hulld did not exit within %d s of SIGTERM", HULL_TEST_TIMEOUT_S);
        }
      return;
    }
  world->hulld_pid = 0;
  if (world->check_exit
      && !((WIFEXITED (status) && WEXITSTATUS (status) == 0)
           || (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM)))
    {
      g_autoptr (GString) message = g_string_new ("hulld, stopped with SIGTERM, ended with ");

      describe_status (message, status);
      g_printerr ("%s\n", message->str);
      g_test_fail_printf ("%s", message->str);
    }
}

void
hull_test_world_stop_hulld (HullTestWorld *world)
{
  g_assert_cmpint (world->hulld_pid, !=, 0);
  terminate_hulld (world);
  wait_name_gone (world);
}

void
hull_test_world_kill_hulld (HullTestWorld *world)
{
  g_assert_cmpint (world->hulld_pid, !=, 0);
  kill (world->hulld_pid, SIGKILL);
  if (!wait_child (world->hulld_pid, HULL_TEST_TIMEOUT_S * 1000, NULL))
    g_error ("hulld still runs %d s after SIGKILL", HULL_TEST_TIMEOUT_S);
  world->hulld_pid = 0;
  wait_name_gone (world);
}

void
hull_test_world_restart_hulld (HullTestWorld *world)
{
  hull_test_world_stop_hulld (world);
  hull_test_world_start_hulld (world);
}

void
hull_test_world_new_runtime_dir (HullTestWorld *world)
{
  g_assert_cmpint (world->hulld_pid, ==, 0);
  g_free (world->runtime_dir);
  world->runtime_dir = g_strdup_printf ("%s/runtime%u", world->root, ++world->runtime_generation);
}

/* --- the world ---------------------------------------------------------------------- */

static void
link_plugin (HullTestWorld *world, const char *plugin, const char *name)
{
  g_autofree char *link = NULL;

  if (plugin == NULL || *plugin == '\0' || !g_file_test (plugin, G_FILE_TEST_EXISTS))
    return;
  link = g_build_filename (world->backend_dir, name, NULL);
  g_assert_cmpint (symlink (plugin, link), ==, 0);
  if (g_str_equal (name, "hull-backend-kvm.so"))
    world->have_kvm = TRUE;
}

HullTestWorld *
hull_test_world_new (gboolean start_hulld)
{
  HullTestWorld *world = g_new0 (HullTestWorld, 1);
  g_autoptr (GError) error = NULL;
  const char *test_plugin = env_or ("HULL_TEST_TEST_PLUGIN", HULL_TEST_TEST_PLUGIN_DEFAULT);

  world->guardian_fd = -1;
  world->check_exit = TRUE;
  world->root = g_dir_make_tmp ("hull-dtest-XXXXXX", &error);
  g_assert_no_error (error);
  start_guardian (world);
  if (g_strcmp0 (g_getenv ("HULL_TEST_KEEP"), "1") == 0)
    g_test_message ("world: %s", world->root);

  /* hulld creates state, runtime and log itself (docs/daemon.md). */
  world->state_dir = g_build_filename (world->root, "state", NULL);
  world->runtime_dir = g_build_filename (world->root, "runtime", NULL);
  world->log_dir = g_build_filename (world->root, "log", NULL);
  world->backend_dir = g_build_filename (world->root, "backends", NULL);
  g_assert_cmpint (g_mkdir (world->backend_dir, 0700), ==, 0);
  if (!g_file_test (test_plugin, G_FILE_TEST_EXISTS))
    g_error ("the test backend is not built: %s", test_plugin);
  link_plugin (world, test_plugin, "hull-backend-test.so");
  link_plugin (world, hull_test_kvm_plugin (), "hull-backend-kvm.so");

  start_bus (world);
  if (start_hulld)
    hull_test_world_start_hulld (world);
  return world;
}

/* hulld's log, into the test's log (stderr, with TAP's comment mark). */
static void
show_log (HullTestWorld *world, const char *path)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL) || *contents == '\0')
    return;
  g_printerr ("# --- %s\n", path);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' || lines[i + 1] != NULL)
      g_printerr ("# %s\n", lines[i]);
}

static void
show_logs (HullTestWorld *world)
{
  g_autofree char *hulld_log = g_build_filename (world->root, "hulld.log", NULL);
  g_autoptr (GDir) dir = g_dir_open (world->log_dir, 0, NULL);
  const char *name;

  show_log (world, hulld_log);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (world->log_dir, name, NULL);

      if (g_str_has_suffix (name, ".log"))
        show_log (world, path);
    }
}

void
hull_test_world_free (HullTestWorld *world)
{
  g_autoptr (GArray) leftovers = NULL;
  int status;

  if (world == NULL)
    return;
  terminate_hulld (world);
  /* Workers (hulld leaves them running), and anything else of ours. */
  leftovers = find_world_processes (world->root, world->bus_pid);
  for (guint i = 0; i < leftovers->len; i++)
    kill (g_array_index (leftovers, GPid, i), SIGKILL);
  for (guint i = 0; i < leftovers->len; i++)
    hull_test_wait_pid_gone (g_array_index (leftovers, GPid, i));

  g_clear_object (&world->connection);
  if (world->bus_pid != 0)
    {
      kill (world->bus_pid, SIGTERM);
      if (!wait_child (world->bus_pid, HULL_TEST_TIMEOUT_S * 1000, &status))
        {
          kill (world->bus_pid, SIGKILL);
          wait_child (world->bus_pid, HULL_TEST_TIMEOUT_S * 1000, &status);
        }
    }

  if (g_test_failed () || g_getenv ("HULL_TEST_VERBOSE") != NULL)
    show_logs (world);
  if (g_strcmp0 (g_getenv ("HULL_TEST_KEEP"), "1") != 0)
    hull_test_remove_tree (world->root);

  if (world->guardian_fd >= 0)
    {
      G_GNUC_UNUSED gssize n = write (world->guardian_fd, "ok\n", 3);

      close (world->guardian_fd);
      wait_child (world->guardian_pid, HULL_TEST_TIMEOUT_S * 1000, NULL);
    }
  g_free (world->root);
  g_free (world->state_dir);
  g_free (world->runtime_dir);
  g_free (world->log_dir);
  g_free (world->backend_dir);
  g_free (world->bus_address);
  g_free (world);
}

/* --- files ---------------------------------------------------------------------- */

static gboolean
read_status (const char *path, char **uuid, GPid *pid)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  gint64 value;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
    return FALSE;
  value = g_key_file_get_int64 (file, "worker", "pid", &error);
  if (error != NULL || value <= 0)
    return FALSE;
  *pid = (GPid)value;
  *uuid = g_key_file_get_string (file, "worker", "uuid", NULL);
  return TRUE;
}

GArray *
hull_test_world_worker_pids (HullTestWorld *world)
{
  g_autofree char *vm_dir = g_build_filename (world->runtime_dir, "vm", NULL);
  g_autoptr (GDir) dir = g_dir_open (vm_dir, 0, NULL);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (vm_dir, name, NULL);
      g_autofree char *uuid = NULL;
      GPid pid;

      if (g_str_has_suffix (name, ".status") && read_status (path, &uuid, &pid))
        g_array_append_val (pids, pid);
    }
  return pids;
}

GPid
hull_test_world_worker_pid (HullTestWorld *world, const char *uuid)
{
  g_autofree char *name = g_strconcat (uuid, ".status", NULL);
  g_autofree char *path = g_build_filename (world->runtime_dir, "vm", name, NULL);
  g_autofree char *recorded = NULL;
  GPid pid;

  if (!read_status (path, &recorded, &pid))
    return 0;
  return pid;
}

char *
hull_test_world_definition_path (HullTestWorld *world, const char *uuid)
{
  g_autofree char *name = g_strconcat (uuid, ".xml", NULL);

  return g_build_filename (world->state_dir, "domains", name, NULL);
}

static void
snapshot_into (GHashTable *snapshot, const char *dir, const char *prefix)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *relative
          = *prefix != '\0' ? g_strconcat (prefix, "/", name, NULL) : g_strdup (name);
      char *contents = NULL;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_hash_table_insert (snapshot, g_strconcat (relative, "/", NULL), g_strdup ("<dir>"));
          snapshot_into (snapshot, path, relative);
        }
      else if (g_file_get_contents (path, &contents, NULL, NULL))
        g_hash_table_insert (snapshot, g_steal_pointer (&relative), contents);
      else
        g_hash_table_insert (snapshot, g_steal_pointer (&relative), g_strdup ("<unreadable>"));
    }
}

GHashTable *
hull_test_snapshot_dir (const char *dir)
{
  GHashTable *snapshot = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  snapshot_into (snapshot, dir, "");
  return snapshot;
}

void
hull_test_assert_snapshots_equal (GHashTable *before, GHashTable *after)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *now = g_hash_table_lookup (after, key);

      if (now == NULL)
        g_error ("file %s disappeared", (char *)key);
      if (!g_str_equal (now, value))
        g_error ("file %s changed:\n--- before\n%s\n--- after\n%s", (char *)key, (char *)value,
                 now);
    }
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (before, key))
      g_error ("file %s appeared:\n%s", (char *)key, (char *)value);
}

/* --- domains --------------------------------------------------------------------- */

char *
hull_test_domain_xml (const char *name, const char *uuid, const char *program,
                      const char *lifecycle)
{
  g_autofree char *uuid_element
      = uuid != NULL ? g_strdup_printf ("  <uuid>%s</uuid>\n", uuid) : g_strdup ("");

  return g_strdup_printf (
      "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'>\n"
      "  <name>%s</name>\n"
      "%s"
      "  <memory unit='MiB'>16</memory>\n"
      "  <vcpu>1</vcpu>\n"
      "  %s\n"
      "  <devices><serial type='pty'/></devices>\n"
      "  <hull:test-program><hull:vp index='0'>%s</hull:vp></hull:test-program>\n"
      "</domain>\n",
      name, uuid_element, lifecycle != NULL ? lifecycle : "", program);
}

char *
hull_test_define_domain (HullTestWorld *world, const char *name, const char *program,
                         const char *lifecycle)
{
  g_autofree char *xml = hull_test_domain_xml (name, NULL, program, lifecycle);

  return hull_test_define (world, xml);
}

/* --- calls ---------------------------------------------------------------------- */

GVariant *
hull_test_call (HullTestWorld *world, const char *path, const char *interface, const char *method,
                GVariant *parameters, const char *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (
      world->connection, HULL_DBUS_NAME, path, interface, method, parameters,
      reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START,
      HULL_TEST_TIMEOUT_S * 1000, NULL, error);
}

GVariant *
hull_test_call_ok (HullTestWorld *world, const char *path, const char *interface,
                   const char *method, GVariant *parameters, const char *reply_type)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply = hull_test_call (world, path, interface, method, parameters, reply_type, &error);

  if (reply == NULL)
    g_error ("%s.%s on %s failed: %s", interface, method, path, error->message);
  return reply;
}

char *
hull_test_error_name (const GError *error)
{
  char *name = g_dbus_error_get_remote_error (error);

  if (name == NULL && error->domain == HULL_ERROR)
    name = g_strdup (hull_error_dbus_name (error->code));
  return name;
}

void
hull_test_call_fails (HullTestWorld *world, const char *path, const char *interface,
                      const char *method, GVariant *parameters, const char *error_name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = hull_test_call (world, path, interface, method, parameters, NULL, &error);
  g_autofree char *name = NULL;

  if (reply != NULL)
    g_error ("%s.%s on %s succeeded; expected %s", interface, method, path, error_name);
  name = hull_test_error_name (error);
  if (g_strcmp0 (name, error_name) != 0)
    g_error ("%s.%s on %s: expected %s, got %s: %s", interface, method, path, error_name, name,
             error->message);
}

static char *
manager_path_call (HullTestWorld *world, const char *method, const char *xml)
{
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, HULL_DBUS_PATH, "org.hullvm.Hull1.Manager", method,
                           g_variant_new ("(s@a{sv})", xml, HULL_TEST_NO_OPTIONS), "(o)");
  char *path;

  g_variant_get (reply, "(o)", &path);
  return path;
}

char *
hull_test_define (HullTestWorld *world, const char *xml)
{
  return manager_path_call (world, "DefineXML", xml);
}

char *
hull_test_create (HullTestWorld *world, const char *xml)
{
  return manager_path_call (world, "CreateXML", xml);
}

void
hull_test_domain_do (HullTestWorld *world, const char *path, const char *method)
{
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, path, "org.hullvm.Hull1.Domain", method,
                           g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), NULL);
}

void
hull_test_domain_do_fails (HullTestWorld *world, const char *path, const char *method, int code)
{
  hull_test_call_fails (world, path, "org.hullvm.Hull1.Domain", method,
                        g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS),
                        hull_error_dbus_name (code));
}

GVariant *
hull_test_get_property (HullTestWorld *world, const char *path, const char *interface,
                        const char *name)
{
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, path, "org.freedesktop.DBus.Properties", "Get",
                           g_variant_new ("(ss)", interface, name), "(v)");
  GVariant *value;

  g_variant_get (reply, "(v)", &value);
  return value;
}

char *
hull_test_domain_string (HullTestWorld *world, const char *path, const char *name)
{
  g_autoptr (GVariant) value
      = hull_test_get_property (world, path, "org.hullvm.Hull1.Domain", name);

  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING));
  return g_variant_dup_string (value, NULL);
}

gboolean
hull_test_domain_boolean (HullTestWorld *world, const char *path, const char *name)
{
  g_autoptr (GVariant) value
      = hull_test_get_property (world, path, "org.hullvm.Hull1.Domain", name);

  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN));
  return g_variant_get_boolean (value);
}

char *
hull_test_domain_uuid (HullTestWorld *world, const char *path)
{
  return hull_test_domain_string (world, path, "UUID");
}

void
hull_test_assert_state (HullTestWorld *world, const char *path, const char *state,
                        const char *reason)
{
  g_autofree char *now = hull_test_domain_string (world, path, "State");
  g_autofree char *why = hull_test_domain_string (world, path, "StateReason");

  if (!g_str_equal (now, state) || (reason != NULL && !g_str_equal (why, reason)))
    g_error ("%s: state %s/%s, expected %s/%s", path, now, why, state,
             reason != NULL ? reason : "*");
}

void
hull_test_wait_state (HullTestWorld *world, const char *path, const char *state, const char *reason)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *now = hull_test_domain_string (world, path, "State");
      g_autofree char *why = hull_test_domain_string (world, path, "StateReason");

      if (g_str_equal (now, state) && (reason == NULL || g_str_equal (why, reason)))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: still %s/%s after %d s, expected %s/%s", path, now, why, HULL_TEST_TIMEOUT_S,
                 state, reason != NULL ? reason : "*");
      g_usleep (10000);
    }
}

guint64
hull_test_domain_boots (HullTestWorld *world, const char *path)
{
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, path, "org.hullvm.Hull1.Domain", "GetStats",
                           g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), "(a{sv})");
  g_autoptr (GVariant) stats = g_variant_get_child_value (reply, 0);
  g_autoptr (GVariant) boots = g_variant_lookup_value (stats, "boots", NULL);

  if (boots == NULL)
    g_error ("%s: GetStats has no \"boots\": %s", path, g_variant_print (stats, TRUE));
  if (g_variant_is_of_type (boots, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (boots);
  if (g_variant_is_of_type (boots, G_VARIANT_TYPE_UINT64))
    return g_variant_get_uint64 (boots);
  g_error ("%s: \"boots\" is a %s", path, g_variant_get_type_string (boots));
}

GVariant *
hull_test_managed_objects (HullTestWorld *world)
{
  g_autoptr (GVariant) reply
      = hull_test_call_ok (world, HULL_DBUS_PATH, "org.freedesktop.DBus.ObjectManager",
                           "GetManagedObjects", NULL, "(a{oa{sa{sv}}})");

  return g_variant_get_child_value (reply, 0);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* The keys of the dictionary @dict, sorted. */
static GPtrArray *
sorted_keys (GVariant *dict)
{
  GPtrArray *keys = g_ptr_array_new_with_free_func (g_free);
  GVariantIter iter;
  GVariant *entry;

  g_variant_iter_init (&iter, dict);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr (GVariant) key = g_variant_get_child_value (entry, 0);

      g_ptr_array_add (keys, g_variant_dup_string (key, NULL));
      g_variant_unref (entry);
    }
  g_ptr_array_sort (keys, compare_strings);
  return keys;
}

char *
hull_test_managed_objects_text (HullTestWorld *world)
{
  g_autoptr (GVariant) objects = hull_test_managed_objects (world);
  g_autoptr (GPtrArray) paths = sorted_keys (objects);
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);
      g_autoptr (GVariant) interfaces = g_variant_lookup_value (objects, path, NULL);
      g_autoptr (GPtrArray) names = NULL;

      /* Host devices change on their own (udev): not Hull's state. */
      if (g_str_has_prefix (path, HULL_DBUS_NODE_DEVICE_PATH_PREFIX))
        continue;
      names = sorted_keys (interfaces);
      g_string_append_printf (text, "%s\n", path);
      for (guint j = 0; j < names->len; j++)
        {
          const char *name = g_ptr_array_index (names, j);
          g_autoptr (GVariant) props = g_variant_lookup_value (interfaces, name, NULL);
          g_autoptr (GPtrArray) keys = sorted_keys (props);

          g_string_append_printf (text, "  %s\n", name);
          for (guint k = 0; k < keys->len; k++)
            {
              const char *key = g_ptr_array_index (keys, k);
              g_autoptr (GVariant) value = g_variant_lookup_value (props, key, NULL);
              g_autofree char *printed = g_variant_print (value, TRUE);

              g_string_append_printf (text, "    %s = %s\n", key, printed);
            }
        }
    }
  return g_string_free (text, FALSE);
}

gboolean
hull_test_object_exists (HullTestWorld *world, const char *path)
{
  g_autoptr (GVariant) objects = hull_test_managed_objects (world);
  g_autoptr (GVariant) object = g_variant_lookup_value (objects, path, NULL);

  return object != NULL;
}

int
hull_test_open_console (HullTestWorld *world, const char *path, GVariant *options, GError **error)
{
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_with_unix_fd_list_sync (
      world->connection, HULL_DBUS_NAME, path, "org.hullvm.Hull1.Domain", "OpenConsole",
      g_variant_new ("(@a{sv})", options != NULL ? options : HULL_TEST_NO_OPTIONS),
      G_VARIANT_TYPE ("(h)"), G_DBUS_CALL_FLAGS_NONE, HULL_TEST_TIMEOUT_S * 1000, NULL, &fds, NULL,
      error);
  gint32 handle;

  if (reply == NULL)
    return -1;
  g_variant_get (reply, "(h)", &handle);
  g_assert_nonnull (fds);
  g_assert_cmpint (handle, <, g_unix_fd_list_get_length (fds));
  return g_unix_fd_list_get (fds, handle, error);
}

char *
hull_test_read_until (int fd, const char *expected)
{
  g_autoptr (GString) read_so_far = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (strstr (read_so_far->str, expected) == NULL)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      int left = (int)((deadline - g_get_monotonic_time ()) / 1000);
      char buffer[4096];
      gssize n;

      if (left <= 0)
        g_error ("no \"%s\" within %d s; read \"%s\"", expected, HULL_TEST_TIMEOUT_S,
                 g_strescape (read_so_far->str, NULL));
      if (poll (&pfd, 1, left) <= 0)
        continue;
      n = read (fd, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        g_error ("EOF before \"%s\"; read \"%s\"", expected, g_strescape (read_so_far->str, NULL));
      g_string_append_len (read_so_far, buffer, n);
    }
  return g_string_free (g_steal_pointer (&read_so_far), FALSE);
}

void
hull_test_wait_file_contains (const char *path, const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (path, &contents, NULL, NULL) && strstr (contents, expected) != NULL)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: no \"%s\" within %d s (it holds \"%s\")", path, expected, HULL_TEST_TIMEOUT_S,
                 contents != NULL ? g_strescape (contents, NULL) : "");
      g_usleep (10000);
    }
}

void
hull_test_wait_until (gboolean (*done) (gpointer data), gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: not within %d s", what, HULL_TEST_TIMEOUT_S);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
}

/* --- signals ------------------------------------------------------------------ */

static void
record_properties (HullTestRecorder *recorder, const char *path, GVariant *parameters)
{
  g_autoptr (GVariant) changed = NULL;
  g_autofree const char **invalidated = NULL;
  const char *interface;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_get (parameters, "(&s@a{sv}^a&s)", &interface, &changed, &invalidated);
  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autofree char *printed = g_variant_print (value, FALSE);

      g_ptr_array_add (recorder->entries, g_strdup_printf ("prop %s %s %s", path, key, printed));
      g_variant_unref (value);
    }
  for (guint i = 0; invalidated[i] != NULL; i++)
    g_ptr_array_add (recorder->entries, g_strdup_printf ("prop %s %s ?", path, invalidated[i]));
}

static void
on_signal (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
           const char *member, GVariant *parameters, gpointer user_data)
{
  HullTestRecorder *recorder = user_data;

  if (!g_str_has_prefix (path, HULL_DBUS_PATH))
    return;
  if (g_str_equal (interface, "org.hullvm.Hull1.Manager") && g_str_equal (member, "DomainEvent")
      && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(osii)")))
    {
      const char *domain, *name;
      gint32 event, detail;
      const char *event_name;

      g_variant_get (parameters, "(&o&sii)", &domain, &name, &event, &detail);
      event_name = hull_domain_event_to_string (event);
      g_ptr_array_add (recorder->entries,
                       g_strdup_printf ("event %s %s %s", name,
                                        event_name != NULL ? event_name : "?",
                                        hull_domain_event_detail_to_string (event, detail)));
    }
  else if (g_str_equal (interface, "org.freedesktop.DBus.Properties")
           && g_str_equal (member, "PropertiesChanged")
           && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    record_properties (recorder, path, parameters);
  else if (g_str_equal (interface, "org.freedesktop.DBus.ObjectManager")
           && g_str_equal (member, "InterfacesAdded")
           && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oa{sa{sv}})")))
    {
      g_autoptr (GVariantIter) ifaces = NULL;
      const char *object, *name;

      g_variant_get (parameters, "(&oa{sa{sv}})", &object, &ifaces);
      while (g_variant_iter_next (ifaces, "{&s@a{sv}}", &name, NULL))
        g_ptr_array_add (recorder->entries, g_strdup_printf ("added %s %s", object, name));
    }
  else if (g_str_equal (interface, "org.freedesktop.DBus.ObjectManager")
           && g_str_equal (member, "InterfacesRemoved")
           && g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oas)")))
    {
      g_autofree const char **names = NULL;
      const char *object;

      g_variant_get (parameters, "(&o^a&s)", &object, &names);
      for (guint i = 0; names[i] != NULL; i++)
        g_ptr_array_add (recorder->entries, g_strdup_printf ("removed %s %s", object, names[i]));
    }
  else
    g_ptr_array_add (recorder->entries,
                     g_strdup_printf ("signal %s %s.%s", path, interface, member));
}

HullTestRecorder *
hull_test_recorder_new (HullTestWorld *world)
{
  HullTestRecorder *recorder = g_new0 (HullTestRecorder, 1);

  recorder->connection = g_object_ref (world->connection);
  recorder->entries = g_ptr_array_new_with_free_func (g_free);
  /* No sender: a restarted hulld has a new unique name; the path prefix
   * keeps the bus's own signals out. One subscription: one queue, so
   * the entries keep the order of arrival. */
  recorder->subscription
      = g_dbus_connection_signal_subscribe (world->connection, NULL, NULL, NULL, NULL, NULL,
                                            G_DBUS_SIGNAL_FLAGS_NONE, on_signal, recorder, NULL);
  return recorder;
}

void
hull_test_recorder_free (HullTestRecorder *recorder)
{
  if (recorder == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (recorder->connection, recorder->subscription);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (recorder->connection);
  g_ptr_array_unref (recorder->entries);
  g_free (recorder);
}

void
hull_test_recorder_sync (HullTestRecorder *recorder, HullTestWorld *world)
{
  /* A property read goes through hulld's main loop (unlike Peer.Ping,
   * which GDBus answers on its own thread): what the loop emitted before
   * it is on the wire ahead of the reply. */
  g_autoptr (GVariant) reply
      = hull_test_get_property (world, HULL_DBUS_PATH, "org.hullvm.Hull1.Manager", "Version");

  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
entry_matches (const char *entry, const char *pattern)
{
  gsize len = strlen (pattern);

  if (len > 0 && pattern[len - 1] == '*')
    return strncmp (entry, pattern, len - 1) == 0;
  return g_str_equal (entry, pattern);
}

int
hull_test_recorder_find (HullTestRecorder *recorder, const char *entry, guint from)
{
  for (guint i = from; i < recorder->entries->len; i++)
    if (entry_matches (g_ptr_array_index (recorder->entries, i), entry))
      return (int)i;
  return -1;
}

guint
hull_test_recorder_wait (HullTestRecorder *recorder, const char *entry, guint from)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;
  int found;

  while ((found = hull_test_recorder_find (recorder, entry, from)) < 0)
    {
      if (g_get_monotonic_time () > deadline)
        {
          hull_test_recorder_dump (recorder);
          g_error ("no signal \"%s\" within %d s (signals above)", entry, HULL_TEST_TIMEOUT_S);
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
  return (guint)found;
}

void
hull_test_recorder_wait_count (HullTestRecorder *recorder, const char *entry, guint count)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;

  while (hull_test_recorder_count (recorder, entry) < count)
    {
      if (g_get_monotonic_time () > deadline)
        {
          hull_test_recorder_dump (recorder);
          g_error ("fewer than %u signals \"%s\" within %d s (signals above)", count, entry,
                   HULL_TEST_TIMEOUT_S);
        }
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
}

guint
hull_test_recorder_count (HullTestRecorder *recorder, const char *entry)
{
  guint count = 0;

  for (guint i = 0; i < recorder->entries->len; i++)
    if (entry_matches (g_ptr_array_index (recorder->entries, i), entry))
      count++;
  return count;
}

void
hull_test_recorder_dump (HullTestRecorder *recorder)
{
  for (guint i = 0; i < recorder->entries->len; i++)
    g_test_message ("signal %u: %s", i, (char *)g_ptr_array_index (recorder->entries, i));
}

guint
hull_test_recorder_wait_change (HullTestRecorder *recorder, const char *path, const char *name,
                                const char *state, const char *reason, const char *event,
                                guint from)
{
  g_autofree char *state_entry
      = state != NULL ? g_strdup_printf ("prop %s State '%s'", path, state) : NULL;
  g_autofree char *reason_entry
      = reason != NULL ? g_strdup_printf ("prop %s StateReason '%s'", path, reason) : NULL;
  g_autofree char *event_entry
      = event != NULL ? g_strdup_printf ("event %s %s", name, event) : NULL;
  int state_at = -1, reason_at = -1;
  guint last = from;

  if (event_entry != NULL)
    {
      last = hull_test_recorder_wait (recorder, event_entry, from);
      /* The properties were flushed before the event (docs/dbus-api.md). */
      if (state_entry != NULL)
        state_at = hull_test_recorder_find (recorder, state_entry, from);
      if (reason_entry != NULL)
        reason_at = hull_test_recorder_find (recorder, reason_entry, from);
      if ((state_entry != NULL && (state_at < 0 || (guint)state_at > last))
          || (reason_entry != NULL && (reason_at < 0 || (guint)reason_at > last)))
        {
          /* Say whether they come late or never. */
          gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

          while (g_get_monotonic_time () < deadline)
            if (!g_main_context_iteration (NULL, FALSE))
              g_usleep (2000);
          hull_test_recorder_dump (recorder);
          g_error (
              "\"%s\" came without \"%s\" / \"%s\" before it (signals above; %s)", event_entry,
              state_entry != NULL ? state_entry : "-", reason_entry != NULL ? reason_entry : "-",
              (state_entry == NULL || hull_test_recorder_find (recorder, state_entry, from) >= 0)
                      && (reason_entry == NULL
                          || hull_test_recorder_find (recorder, reason_entry, from) >= 0)
                  ? "they came after it"
                  : "not even within 1 s after it");
        }
      return last;
    }
  if (state_entry != NULL)
    last = MAX (last, hull_test_recorder_wait (recorder, state_entry, from));
  if (reason_entry != NULL)
    last = MAX (last, hull_test_recorder_wait (recorder, reason_entry, from));
  return last;
}
