/* bench-api — how long Hull's D-Bus API calls take, and libvirt's beside
 * them.
 *
 * The bench starts its own dbus-daemon (a private session bus), hulld on it
 * (test backend, and KVM when /dev/kvm works and the plugin is built) and,
 * when installed, libvirt-dbus --session on the same bus, whose
 * /org/libvirt/Test object is libvirt's test driver (test:///default) in that
 * process. Everything lives in one temporary directory (the runtime
 * directory on tmpfs, as /run is), removed at the end; every process it
 * started, hulld's workers included, is killed on exit.
 *
 * With 1, 100 and 1000 domains defined (in a pipelined batch, not timed), it
 * times from one GDBus client, one call at a time on the monotonic clock,
 * Hull's and libvirt's calls alternating so that both see the same machine:
 *
 *   Ping                 org.freedesktop.DBus.Peer.Ping: the bus round trip
 *   ListDomains          Manager.ListDomains({})   | Connect.ListDomains(0)
 *   LookupByName         Manager.LookupByName      | Connect.DomainLookupByName
 *   GetXMLDesc           Domain.GetXMLDesc({})     | Domain.GetXMLDesc(0)
 *   DefineXML-new        a domain not defined yet (undefined again, untimed)
 *   DefineXML-redefine   the same name and UUID, memory alternating
 *   Start-reply          Domain.Start({}) → its reply | Domain.Create(0)
 *   Start-running        Domain.Start({}) → PropertiesChanged State=running
 *                        (libvirt-dbus has no PropertiesChanged: its
 *                        Connect.DomainEvent STARTED)
 *
 * each started domain being destroyed again, untimed. Start with KVM boots
 * tests/guests/exits (exit=halt: it stays running, idle) in a hull-vm
 * worker. It also reads hulld's (and libvirt-dbus's) VmRSS and VmHWM at each
 * size, and the growth of ListDomains from 100 to 1000 domains.
 *
 * From the command line, one process per call: `hullctl list --all` and
 * `hullctl dumpxml` (when hullctl has them) against
 * `virsh -c test:///PATH list --all` and `dumpxml`, where PATH is a <node>
 * file with the same domains (virsh's test driver lives in the virsh
 * process, so each call parses them); and virsh running the same command
 * CLI_BATCH times in one process, each timed by virsh itself (-t).
 *
 * Lines for scripts (one per line):
 *   bench-api impl=I call=C domains=N median_us=… p90_us=… iterations=…
 *   bench-api compare impl=I other=O call=C domains=N hull_median_us=…
 *     other_median_us=… ratio=… goal=10 met=yes|no|n/a
 *   bench-api metric=list-growth impl=I from=N to=M ratio=… goal=10 met=…
 *   bench-api metric=rss impl=hulld|libvirt-dbus domains=N vmrss_kib=…
 *     vmhwm_kib=…
 *   bench-api metric=start-running impl=I domains=N median_us=…
 *     goal_us=20000 met=…
 *
 * It never fails on timing: exit 0 after printing; 77 when dbus-daemon or
 * hulld is missing; 1 when hulld does not come up or a Hull call fails.
 * Usage: bench-api [-n ITERATIONS] [-s STARTS] [-c 1,100,1000]
 * [--no-libvirt] [--no-kvm] [--no-cli] [--keep]. $HULLD, $HULL_VM and
 * $HULLCTL name other binaries.
 */
#define _GNU_SOURCE /* nftw() flags */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hull-dbus.h"

#ifndef HULLD_PATH
#define HULLD_PATH "daemon/hulld"
#endif
#ifndef HULL_VM_PATH
#define HULL_VM_PATH "daemon/hull-vm"
#endif
#ifndef HULLCTL_PATH
#define HULLCTL_PATH "tools/hullctl"
#endif
#ifndef HULL_LIB_DIR
#define HULL_LIB_DIR "lib/.libs"
#endif
#ifndef HULL_TEST_BACKEND_DIR
#define HULL_TEST_BACKEND_DIR "plugins/test/.libs"
#endif
#ifndef HULL_KVM_BACKEND_DIR
#define HULL_KVM_BACKEND_DIR "plugins/kvm/.libs"
#endif
#ifndef HULL_GUESTS_DIR
#define HULL_GUESTS_DIR "tests/guests"
#endif

#define HULL_MANAGER_IFACE "org.hullvm.Hull1.Manager"
#define HULL_DOMAIN_IFACE "org.hullvm.Hull1.Domain"
#define LIBVIRT_NAME "org.libvirt"
#define LIBVIRT_TEST_PATH "/org/libvirt/Test"
#define LIBVIRT_CONNECT_IFACE "org.libvirt.Connect"
#define LIBVIRT_DOMAIN_IFACE "org.libvirt.Domain"

#define CALL_TIMEOUT_MS 60000
#define STARTUP_TIMEOUT_US (30 * G_USEC_PER_SEC)
#define START_TIMEOUT_US (30 * G_USEC_PER_SEC)
#define LOOP_BUDGET_NS (G_GINT64_CONSTANT (5) * 1000000000) /* per timed loop */
#define MIN_SAMPLES 20
#define WARMUP 5
#define BATCH_WINDOW 64
#define CLI_RUNS 20
#define CLI_BATCH 100
#define GOAL_RATIO 10.0
#define GOAL_GROWTH 10.0
#define GOAL_START_US 20000.0

static gint opt_iterations = 200;
static gint opt_starts = 30;
static char *opt_counts = NULL;
static gboolean opt_no_libvirt = FALSE;
static gboolean opt_no_kvm = FALSE;
static gboolean opt_no_cli = FALSE;
static gboolean opt_keep = FALSE;

/* ------------------------------------------------------------------ */
/* Clock and statistics */

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* The value at quantile @q (nearest rank) of @samples, which it sorts. */
static gint64
quantile (GArray *samples, double q)
{
  guint rank;

  g_array_sort (samples, compare_int64);
  rank = (guint)(q * samples->len + 0.999999);
  return g_array_index (samples, gint64, CLAMP (rank, 1, samples->len) - 1);
}

typedef struct
{
  char *impl;
  char *call;
  guint domains;
  guint n;
  double median_us;
  double p90_us;
} Result;

static GPtrArray *results; /* Result */

static void
result_free (gpointer data)
{
  Result *r = data;

  g_free (r->impl);
  g_free (r->call);
  g_free (r);
}

static const Result *
find_result (const char *impl, const char *call, guint domains)
{
  for (guint i = 0; i < results->len; i++)
    {
      const Result *r = g_ptr_array_index (results, i);

      if (strcmp (r->impl, impl) == 0 && strcmp (r->call, call) == 0 && r->domains == domains)
        return r;
    }
  return NULL;
}

/* Records @samples (ns) and prints them; @samples is emptied. */
static void
record (const char *impl, const char *call, guint domains, GArray *samples)
{
  Result *r;

  if (samples->len == 0)
    {
      printf ("#   %-10s %-20s %5u domains: no samples\n", impl, call, domains);
      return;
    }
  r = g_new0 (Result, 1);
  r->impl = g_strdup (impl);
  r->call = g_strdup (call);
  r->domains = domains;
  r->n = samples->len;
  r->median_us = quantile (samples, 0.5) / 1000.0;
  r->p90_us = quantile (samples, 0.9) / 1000.0;
  g_ptr_array_add (results, r);
  printf ("bench-api impl=%s call=%s domains=%u median_us=%.1f p90_us=%.1f iterations=%u\n", impl,
          call, domains, r->median_us, r->p90_us, r->n);
  g_array_set_size (samples, 0);
}

/* ------------------------------------------------------------------ */
/* Processes */

static pid_t started[8]; /* every process we spawned, for the signal handler */
static volatile sig_atomic_t n_started;

static volatile pid_t worker_pids[4];
/* rm -rf of the temporary directories, prepared before any signal can come
 * (the handler may only fork and exec). */
static char *remove_argv[5];

/* Interrupted: kill what we started, remove the directories, die of the
 * signal. Async-signal-safe calls only. */
static void
on_fatal_signal (int signo)
{
  pid_t pid;

  for (sig_atomic_t i = 0; i < n_started; i++)
    if (started[i] > 0)
      kill (started[i], SIGKILL);
  for (guint i = 0; i < G_N_ELEMENTS (worker_pids); i++)
    if (worker_pids[i] > 1)
      kill (worker_pids[i], SIGKILL);
  if (remove_argv[0] != NULL && (pid = fork ()) >= 0)
    {
      char *no_env[] = { NULL };

      if (pid == 0)
        {
          execve (remove_argv[0], remove_argv, no_env);
          _exit (127);
        }
      waitpid (pid, NULL, 0);
    }
  signal (signo, SIG_DFL);
  raise (signo);
}

/* Starts @argv with @envp, standard input on /dev/null, output on
 * @out_fd and @err_fd; the child gets SIGTERM when we die. */
static pid_t
spawn_process (char **argv, char **envp, int out_fd, int err_fd)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      int null_fd = open ("/dev/null", O_RDONLY);

      prctl (PR_SET_PDEATHSIG, SIGTERM);
      if (null_fd >= 0)
        dup2 (null_fd, 0);
      dup2 (out_fd, 1);
      dup2 (err_fd, 2);
      execve (argv[0], argv, envp);
      _exit (127);
    }
  if (pid > 0 && n_started < (sig_atomic_t)G_N_ELEMENTS (started))
    started[n_started++] = pid;
  return pid;
}

/* Whether @pid is still running (reaps it if not). */
static gboolean
process_alive (pid_t pid)
{
  int status;

  return pid > 0 && waitpid (pid, &status, WNOHANG) == 0;
}

/* SIGTERM, up to 5 s, then SIGKILL; reaps. */
static void
process_stop (pid_t pid)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  int status;

  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  while (waitpid (pid, &status, WNOHANG) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          break;
        }
      g_usleep (10000);
    }
  for (sig_atomic_t i = 0; i < n_started; i++)
    if (started[i] == pid)
      started[i] = 0;
}

/* In a build tree, a program linked with libhull is a libtool wrapper
 * script; run the real binary in .libs (with the build tree's libhull, see
 * the environment) so that no shell is timed. */
static char *
real_program (const char *env, const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *real = g_build_filename (dir, ".libs", base, NULL);
  g_autofree char *lt_name = g_strconcat ("lt-", base, NULL);
  g_autofree char *lt = g_build_filename (dir, ".libs", lt_name, NULL);

  if (g_getenv (env) != NULL)
    return g_strdup (g_getenv (env));
  if (g_file_test (real, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&real);
  if (g_file_test (lt, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&lt);
  return g_strdup (path);
}

/* Reads /proc/PID/status's @field in KiB, or -1. */
static glong
proc_status_kib (pid_t pid, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)pid);
  g_autofree char *text = NULL;
  const char *p;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strstr (text, field)) == NULL)
    return -1;
  return strtol (p + strlen (field), NULL, 10);
}

static int
remove_entry (const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
  remove (path);
  return 0;
}

/* ------------------------------------------------------------------ */
/* The environment: bus, hulld, libvirt-dbus */

typedef struct
{
  char *dir; /* the temporary directory */
  char **envp;
  char *bus_address;
  pid_t bus_pid;
  int bus_out;
  pid_t hulld_pid;
  char *hulld_log;
  char *runtime_dir;
  char *runtime_root; /* on tmpfs, when not inside dir */
  pid_t libvirt_pid;
  char *libvirt_log;
  GDBusConnection *bus;
} Env;

static void
write_file (const char *path, const char *text)
{
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, text, -1, &error))
    g_error ("bench-api: %s", error->message);
}

static int
open_log (const char *path)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  if (fd < 0)
    g_error ("bench-api: %s: %s", path, g_strerror (errno));
  return fd;
}

static void
print_log_tail (const char *what, const char *path)
{
  g_autofree char *text = NULL;
  gsize len = 0;

  if (path == NULL || !g_file_get_contents (path, &text, &len, NULL))
    return;
  printf ("# %s's output (%s):\n%s\n", what, path, len > 4000 ? text + len - 4000 : text);
}

static gboolean
start_bus (Env *env)
{
  g_autofree char *daemon = g_find_program_in_path ("dbus-daemon");
  g_autofree char *config = g_build_filename (env->dir, "bus.conf", NULL);
  g_autofree char *config_arg = g_strconcat ("--config-file=", config, NULL);
  g_autofree char *log = g_build_filename (env->dir, "dbus-daemon.log", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  GString *address = g_string_new (NULL);
  char *argv[] = { daemon, config_arg, (char *)"--nofork", (char *)"--print-address=1", NULL };
  gint64 deadline = g_get_monotonic_time () + STARTUP_TIMEOUT_US;
  int pipe_fds[2];
  int log_fd;

  text = g_markup_printf_escaped (
      "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
      " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
      "<busconfig>\n"
      "  <type>session</type>\n"
      "  <listen>unix:dir=%s</listen>\n"
      "  <auth>EXTERNAL</auth>\n"
      "  <policy context=\"default\">\n"
      "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
      "    <allow eavesdrop=\"true\"/>\n"
      "    <allow own=\"*\"/>\n"
      "  </policy>\n"
      "  <limit name=\"max_replies_per_connection\">50000</limit>\n"
      "  <limit name=\"reply_timeout\">300000</limit>\n"
      "</busconfig>\n",
      env->dir);
  write_file (config, text);
  if (pipe2 (pipe_fds, O_CLOEXEC) < 0)
    g_error ("bench-api: pipe: %s", g_strerror (errno));
  log_fd = open_log (log);
  env->bus_pid = spawn_process (argv, env->envp, pipe_fds[1], log_fd);
  close (pipe_fds[1]);
  close (log_fd);
  env->bus_out = pipe_fds[0];
  while (env->bus_pid > 0 && strchr (address->str, '\n') == NULL)
    {
      struct pollfd pfd = { env->bus_out, POLLIN, 0 };
      char buffer[256];
      ssize_t n;

      if (g_get_monotonic_time () > deadline || poll (&pfd, 1, 100) < 0)
        break;
      if (!(pfd.revents & (POLLIN | POLLHUP)))
        continue;
      n = read (env->bus_out, buffer, sizeof buffer);
      if (n <= 0)
        break;
      g_string_append_len (address, buffer, n);
    }
  if (strchr (address->str, '\n') == NULL)
    {
      printf ("# bench-api: dbus-daemon printed no address\n");
      print_log_tail ("dbus-daemon", log);
      g_string_free (address, TRUE);
      return FALSE;
    }
  env->bus_address = g_strstrip (g_string_free (address, FALSE));
  env->envp = g_environ_setenv (env->envp, "DBUS_SESSION_BUS_ADDRESS", env->bus_address, TRUE);
  /* Clients that look for the system bus find this one too. */
  env->envp = g_environ_setenv (env->envp, "DBUS_SYSTEM_BUS_ADDRESS", env->bus_address, TRUE);
  env->bus = g_dbus_connection_new_for_address_sync (
      env->bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);
  if (env->bus == NULL)
    {
      printf ("# bench-api: connecting to %s: %s\n", env->bus_address, error->message);
      return FALSE;
    }
  return TRUE;
}

/* Waits until @name has an owner on the bus, while @pid lives. */
static gboolean
wait_for_name (Env *env, const char *name, pid_t pid)
{
  gint64 deadline = g_get_monotonic_time () + STARTUP_TIMEOUT_US;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GVariant) reply = NULL;
      gboolean owned = FALSE;

      reply = g_dbus_connection_call_sync (
          env->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
          "NameHasOwner", g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
          G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, NULL);
      if (reply != NULL)
        g_variant_get (reply, "(b)", &owned);
      if (owned)
        return TRUE;
      if (!process_alive (pid))
        return FALSE;
      g_usleep (5000);
    }
  return FALSE;
}

static gboolean
start_hulld (Env *env, const char *hulld, const char *worker, const char *backend_dir)
{
  g_autofree char *state = g_build_filename (env->dir, "state", NULL);
  g_autofree char *log_dir = g_build_filename (env->dir, "log", NULL);
  char *argv[] = { (char *)hulld,
                   (char *)"--session",
                   (char *)"--state-dir",
                   state,
                   (char *)"--runtime-dir",
                   env->runtime_dir,
                   (char *)"--log-dir",
                   log_dir,
                   (char *)"--backend-dir",
                   (char *)backend_dir,
                   (char *)"--worker",
                   (char *)worker,
                   NULL };
  int log_fd;

  env->hulld_log = g_build_filename (env->dir, "hulld.log", NULL);
  log_fd = open_log (env->hulld_log);
  env->hulld_pid = spawn_process (argv, env->envp, log_fd, log_fd);
  close (log_fd);
  if (!wait_for_name (env, HULL_DBUS_NAME, env->hulld_pid))
    {
      printf ("# bench-api: hulld (%s) did not take %s\n", hulld, HULL_DBUS_NAME);
      return FALSE; /* main() prints its log */
    }
  return TRUE;
}

/* NULL when libvirt-dbus runs; else why not (and it is not running). */
static char *
start_libvirt_dbus (Env *env)
{
  g_autofree char *program = g_find_program_in_path ("libvirt-dbus");
  char *argv[] = { NULL, (char *)"--session", NULL };
  int log_fd;

  if (program == NULL && g_file_test ("/usr/sbin/libvirt-dbus", G_FILE_TEST_IS_EXECUTABLE))
    program = g_strdup ("/usr/sbin/libvirt-dbus");
  if (program == NULL)
    return g_strdup ("libvirt-dbus is not installed");
  argv[0] = program;
  env->libvirt_log = g_build_filename (env->dir, "libvirt-dbus.log", NULL);
  log_fd = open_log (env->libvirt_log);
  env->libvirt_pid = spawn_process (argv, env->envp, log_fd, log_fd);
  close (log_fd);
  if (!wait_for_name (env, LIBVIRT_NAME, env->libvirt_pid))
    {
      g_autofree char *text = NULL;

      g_file_get_contents (env->libvirt_log, &text, NULL, NULL);
      process_stop (env->libvirt_pid);
      env->libvirt_pid = 0;
      return g_strdup_printf ("%s --session did not take %s on the private bus%s%s", program,
                              LIBVIRT_NAME, text != NULL && *text != '\0' ? ": " : "",
                              text != NULL ? g_strstrip (text) : "");
    }
  return NULL;
}

/* Kills the workers hulld left behind ($runtime/vm/<uuid>.status pid=). */
static void
kill_workers (Env *env)
{
  g_autofree char *vm_dir = g_build_filename (env->runtime_dir, "vm", NULL);
  g_autoptr (GDir) dir = g_dir_open (vm_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (vm_dir, name, NULL);
      g_autoptr (GKeyFile) key_file = g_key_file_new ();
      g_autofree char *cmdline_path = NULL;
      g_autofree char *cmdline = NULL;
      gint pid;

      if (!g_str_has_suffix (name, ".status")
          || !g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, NULL))
        continue;
      pid = g_key_file_get_integer (key_file, "worker", "pid", NULL);
      cmdline_path = g_strdup_printf ("/proc/%d/cmdline", pid);
      if (pid > 1 && g_file_get_contents (cmdline_path, &cmdline, NULL, NULL)
          && strstr (cmdline, "hull-vm") != NULL)
        kill (pid, SIGKILL);
    }
}

static void
env_clear (Env *env)
{
  g_clear_object (&env->bus);
  if (env->hulld_pid > 0)
    process_stop (env->hulld_pid);
  if (env->runtime_dir != NULL)
    kill_workers (env);
  if (env->libvirt_pid > 0)
    process_stop (env->libvirt_pid);
  if (env->bus_pid > 0)
    process_stop (env->bus_pid);
  if (env->bus_out > 0)
    close (env->bus_out);
  for (guint i = 0; i < 2; i++)
    {
      const char *dir = i == 0 ? env->dir : env->runtime_root;

      if (dir == NULL)
        continue;
      if (opt_keep)
        printf ("# kept %s\n", dir);
      else
        nftw (dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
  g_free (env->dir);
  g_free (env->runtime_root);
  g_strfreev (env->envp);
  g_free (env->bus_address);
  g_free (env->hulld_log);
  g_free (env->runtime_dir);
  g_free (env->libvirt_log);
}

/* ------------------------------------------------------------------ */
/* Hull and libvirt-dbus behind one set of calls */

typedef enum
{
  IMPL_HULL,
  IMPL_LIBVIRT,
} Impl;

typedef struct
{
  Impl impl;
  const char *label;
  GDBusConnection *bus;
  const char *dest;
  const char *manager_path;
  const char *manager_iface;
  const char *domain_iface;
  pid_t pid;
  guint defined;    /* bench-NNNN domains so far */
  char *first_path; /* bench-0000's object */
  guint serial;     /* for fresh names and UUIDs */
} Target;

/* Hull's trailing a{sv} options (empty), or libvirt's u flags (0), after @s
 * when not NULL. */
static GVariant *
params (Target *t, const char *s)
{
  if (t->impl == IMPL_LIBVIRT)
    return s != NULL ? g_variant_new ("(s)", s) : g_variant_new ("(u)", 0);
  return s != NULL ? g_variant_new ("(sa{sv})", s, NULL) : g_variant_new ("(a{sv})", NULL);
}

static GVariant *
call_manager (Target *t, const char *hull_method, const char *libvirt_method, GVariant *args,
              const char *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (t->bus, t->dest, t->manager_path, t->manager_iface,
                                      t->impl == IMPL_HULL ? hull_method : libvirt_method, args,
                                      reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL,
                                      error);
}

static GVariant *
call_domain (Target *t, const char *path, const char *hull_method, const char *libvirt_method,
             const char *reply_type, GError **error)
{
  return g_dbus_connection_call_sync (
      t->bus, t->dest, path, t->domain_iface, t->impl == IMPL_HULL ? hull_method : libvirt_method,
      params (t, NULL), reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
      G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, error);
}

static char *
domain_name (guint i)
{
  return g_strdup_printf ("bench-%04u", i);
}

/* The same document for both: libvirt's test driver wants <os><type>. */
static char *
domain_xml (const char *name, guint32 uuid_high, guint uuid_low, guint memory_mib)
{
  return g_strdup_printf ("<domain type='test'>\n"
                          "  <name>%s</name>\n"
                          "  <uuid>%08x-0000-4000-8000-%012x</uuid>\n"
                          "  <memory unit='MiB'>%u</memory>\n"
                          "  <vcpu>1</vcpu>\n"
                          "  <os><type arch='x86_64'>hvm</type></os>\n"
                          "</domain>\n",
                          name, uuid_high, uuid_low, memory_mib);
}

static char *
target_define (Target *t, const char *xml, GError **error)
{
  g_autoptr (GVariant) reply
      = call_manager (t, "DefineXML", "DomainDefineXML", params (t, xml), "(o)", error);
  char *path = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(o)", &path);
  return path;
}

static char *
target_lookup (Target *t, const char *name, GError **error)
{
  g_autoptr (GVariant) reply
      = call_manager (t, "LookupByName", "DomainLookupByName", params (t, name), "(o)", error);
  char *path = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(o)", &path);
  return path;
}

static gssize
target_list (Target *t, GError **error)
{
  g_autoptr (GVariant) reply
      = call_manager (t, "ListDomains", "ListDomains", params (t, NULL), "(ao)", error);
  g_autoptr (GVariant) paths = NULL;

  if (reply == NULL)
    return -1;
  paths = g_variant_get_child_value (reply, 0);
  return (gssize)g_variant_n_children (paths);
}

static gboolean
target_domain_call (Target *t, const char *path, const char *hull_method,
                    const char *libvirt_method, GError **error)
{
  g_autoptr (GVariant) reply = call_domain (t, path, hull_method, libvirt_method, NULL, error);

  return reply != NULL;
}

/* Batch definition: up to BATCH_WINDOW calls in flight. */
typedef struct
{
  guint outstanding;
  GError *error;
} Batch;

static void
batch_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Batch *batch = data;
  GError *error = NULL;
  GVariant *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply != NULL)
    g_variant_unref (reply);
  else if (batch->error == NULL)
    batch->error = error;
  else
    g_error_free (error);
  batch->outstanding--;
}

/* Defines bench-NNNN up to @count domains. */
static gboolean
target_populate (Target *t, guint count, GError **error)
{
  Batch batch = { 0, NULL };
  gint64 start = now_ns ();
  guint from = t->defined;

  if (t->defined == 0 && count > 0)
    {
      g_autofree char *name = domain_name (0);
      g_autofree char *xml = domain_xml (name, 0xbe000000, 0, 64);

      t->first_path = target_define (t, xml, error);
      if (t->first_path == NULL)
        return FALSE;
      t->defined = 1;
    }
  for (; t->defined < count && batch.error == NULL; t->defined++)
    {
      g_autofree char *name = domain_name (t->defined);
      g_autofree char *xml = domain_xml (name, 0xbe000000, t->defined, 64);

      while (batch.outstanding >= BATCH_WINDOW)
        g_main_context_iteration (NULL, TRUE);
      batch.outstanding++;
      g_dbus_connection_call (t->bus, t->dest, t->manager_path, t->manager_iface,
                              t->impl == IMPL_HULL ? "DefineXML" : "DomainDefineXML",
                              params (t, xml), G_VARIANT_TYPE ("(o)"),
                              G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, batch_done,
                              &batch);
    }
  while (batch.outstanding > 0)
    g_main_context_iteration (NULL, TRUE);
  if (batch.error != NULL)
    {
      g_propagate_error (error, batch.error);
      return FALSE;
    }
  if (count > from + 1)
    printf ("#   %s: defined %u more domains in %.2f s (batch of %u in flight, not timed)\n",
            t->label, count - from, (now_ns () - start) / 1e9, BATCH_WINDOW);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Timed loops */

typedef gboolean (*OpFunc) (Target *t, guint i, gint64 *elapsed_ns, GError **error);

/* Runs @op on each of @targets (the NULL ones skipped) WARMUP times
 * untimed, then up to @iterations times, alternating between the targets so
 * that both see the same machine (at least MIN_SAMPLES each, then until
 * LOOP_BUDGET_NS is spent), and records them. A target whose call fails is
 * reported and left out. */
static void
measure (Target **targets, guint n_targets, const char *call, guint domains, guint iterations,
         OpFunc op)
{
  GArray *samples[2] = { NULL, NULL };
  gboolean live[2] = { FALSE, FALSE };
  gint64 budget_end = G_MAXINT64;
  guint done = 0;

  g_assert (n_targets <= G_N_ELEMENTS (samples));
  for (guint k = 0; k < n_targets; k++)
    {
      live[k] = targets[k] != NULL;
      samples[k] = g_array_new (FALSE, FALSE, sizeof (gint64));
    }
  for (guint i = 0; i < WARMUP + iterations; i++)
    {
      if (i == WARMUP)
        budget_end = now_ns () + LOOP_BUDGET_NS;
      for (guint k = 0; k < n_targets; k++)
        {
          g_autoptr (GError) error = NULL;
          gint64 elapsed = 0;

          if (!live[k])
            continue;
          if (!op (targets[k], i, &elapsed, &error))
            {
              printf ("#   %-10s %-20s %5u domains: failed: %s\n", targets[k]->label, call, domains,
                      error->message);
              live[k] = FALSE;
              g_array_set_size (samples[k], 0);
              continue;
            }
          if (i >= WARMUP)
            g_array_append_val (samples[k], elapsed);
        }
      done = i + 1 > WARMUP ? i + 1 - WARMUP : 0;
      if (done >= MIN_SAMPLES && now_ns () > budget_end)
        break;
    }
  for (guint k = 0; k < n_targets; k++)
    {
      if (live[k])
        {
          if (done < iterations)
            printf ("#   %s %s: stopped after %u iterations (%.0f s budget)\n", targets[k]->label,
                    call, done, LOOP_BUDGET_NS / 1e9);
          record (targets[k]->label, call, domains, samples[k]);
        }
      g_array_unref (samples[k]);
    }
}

static gboolean
op_list (Target *t, guint i, gint64 *elapsed, GError **error)
{
  gint64 start = now_ns ();
  gssize n = target_list (t, error);

  *elapsed = now_ns () - start;
  if (n >= 0 && (guint)n < t->defined)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "ListDomains gave %zd domains, not %u", n,
                   t->defined);
      return FALSE;
    }
  return n >= 0;
}

/* org.freedesktop.DBus.Peer.Ping: answered by GDBus (GLib's, in hulld and
 * libvirt-dbus alike) without reaching the daemon's code — the bus round
 * trip every other call pays. */
static gboolean
op_ping (Target *t, guint i, gint64 *elapsed, GError **error)
{
  gint64 start = now_ns ();
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      t->bus, t->dest, t->manager_path, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
      G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, error);

  *elapsed = now_ns () - start;
  return reply != NULL;
}

static gboolean
op_lookup (Target *t, guint i, gint64 *elapsed, GError **error)
{
  g_autofree char *name = domain_name (t->defined / 2);
  gint64 start = now_ns ();
  g_autofree char *path = target_lookup (t, name, error);

  *elapsed = now_ns () - start;
  return path != NULL;
}

static gboolean
op_get_xml (Target *t, guint i, gint64 *elapsed, GError **error)
{
  gint64 start = now_ns ();
  g_autoptr (GVariant) reply
      = call_domain (t, t->first_path, "GetXMLDesc", "GetXMLDesc", "(s)", error);

  *elapsed = now_ns () - start;
  return reply != NULL;
}

static gboolean
op_define_new (Target *t, guint i, gint64 *elapsed, GError **error)
{
  g_autofree char *name = g_strdup_printf ("bench-new-%u", t->serial);
  g_autofree char *xml = domain_xml (name, 0xbf000000, t->serial++, 64);
  gint64 start = now_ns ();
  g_autofree char *path = target_define (t, xml, error);

  *elapsed = now_ns () - start;
  return path != NULL && target_domain_call (t, path, "Undefine", "Undefine", error);
}

static gboolean
op_redefine (Target *t, guint i, gint64 *elapsed, GError **error)
{
  g_autofree char *name = domain_name (0);
  g_autofree char *xml = domain_xml (name, 0xbe000000, 0, i % 2 == 0 ? 128 : 64);
  gint64 start = now_ns ();
  g_autofree char *path = target_define (t, xml, error);

  *elapsed = now_ns () - start;
  return path != NULL;
}

/* ------------------------------------------------------------------ */
/* Start → reply, Start → running */

typedef struct
{
  const char *path;
  gint64 start, reply, running;
  gboolean replied;
  GError *error;
} StartWait;

/* The start under way, for the signal handlers; NULL between starts. */
static StartWait *current_start;

static const char *runtime_dir_for_workers;

static void
start_wait_clear (gpointer data)
{
  StartWait *w = data;

  g_clear_error (&w->error);
}

static void
start_replied (GObject *source, GAsyncResult *result, gpointer data)
{
  StartWait *w = data;
  GVariant *reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &w->error);

  w->reply = now_ns ();
  w->replied = TRUE;
  if (reply != NULL)
    g_variant_unref (reply);
  g_rc_box_release_full (w, start_wait_clear);
}

/* Hull: PropertiesChanged (s a{sv} as) with State "running". */
static void
on_properties_changed (GDBusConnection *bus, const char *sender, const char *path,
                       const char *iface, const char *signal_name, GVariant *parameters,
                       gpointer data)
{
  StartWait *w = current_start;
  g_autoptr (GVariant) changed = NULL;
  const char *state = NULL;
  const char *changed_iface = NULL;

  if (w == NULL || w->running != 0 || strcmp (path, w->path) != 0
      || !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;
  g_variant_get (parameters, "(&s@a{sv}@as)", &changed_iface, &changed, NULL);
  if (strcmp (changed_iface, HULL_DOMAIN_IFACE) == 0
      && g_variant_lookup (changed, "State", "&s", &state) && strcmp (state, "running") == 0)
    w->running = now_ns ();
}

/* libvirt-dbus: Connect.DomainEvent (o i i) STARTED for our domain. */
static void
on_domain_event (GDBusConnection *bus, const char *sender, const char *path, const char *iface,
                 const char *signal_name, GVariant *parameters, gpointer data)
{
  StartWait *w = current_start;
  const char *domain = NULL;
  gint32 event = -1, detail = -1;

  if (w == NULL || w->running != 0 || !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(oii)")))
    return;
  g_variant_get (parameters, "(&oii)", &domain, &event, &detail);
  if (strcmp (domain, w->path) == 0 && event == HULL_DOMAIN_EVENT_STARTED)
    w->running = now_ns ();
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Notes the running workers' pids for on_fatal_signal() (untimed). */
static void
note_workers (void)
{
  g_autofree char *vm_dir = g_build_filename (runtime_dir_for_workers, "vm", NULL);
  g_autoptr (GDir) dir = g_dir_open (vm_dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL && n < G_N_ELEMENTS (worker_pids))
    {
      g_autofree char *path = g_build_filename (vm_dir, name, NULL);
      g_autoptr (GKeyFile) key_file = g_key_file_new ();

      if (g_str_has_suffix (name, ".status")
          && g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, NULL))
        worker_pids[n++] = g_key_file_get_integer (key_file, "worker", "pid", NULL);
    }
  while (n < G_N_ELEMENTS (worker_pids))
    worker_pids[n++] = 0;
}

/* One Start (Create) of @path; fills @reply_ns and @running_ns (-1 when the
 * running state was not announced within 2 s of the reply). */
static gboolean
start_once (Target *t, const char *path, gint64 *reply_ns, gint64 *running_ns, GError **error)
{
  StartWait *w = g_rc_box_new0 (StartWait);
  gboolean timed_out = FALSE;
  gboolean ok = FALSE;
  guint timeout;

  w->path = path;
  current_start = w;
  timeout = g_timeout_add (START_TIMEOUT_US / 1000, on_timeout, &timed_out);
  w->start = now_ns ();
  g_dbus_connection_call (t->bus, t->dest, path, t->domain_iface,
                          t->impl == IMPL_HULL ? "Start" : "Create", params (t, NULL), NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, CALL_TIMEOUT_MS, NULL, start_replied,
                          g_rc_box_acquire (w));
  while (!w->replied && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (w->replied && w->error == NULL && w->running == 0 && !timed_out)
    {
      g_source_remove (timeout);
      timeout = g_timeout_add (2000, on_timeout, &timed_out);
      while (w->running == 0 && !timed_out)
        g_main_context_iteration (NULL, TRUE);
    }
  if (!timed_out)
    g_source_remove (timeout);
  current_start = NULL;
  if (t->impl == IMPL_HULL && runtime_dir_for_workers != NULL)
    note_workers ();

  if (!w->replied)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no reply to Start within %d s",
                 (int)(START_TIMEOUT_US / G_USEC_PER_SEC));
  else if (w->error != NULL)
    g_propagate_error (error, g_error_copy (w->error));
  else
    {
      *reply_ns = w->reply - w->start;
      *running_ns = w->running != 0 ? w->running - w->start : -1;
      ok = TRUE;
    }
  g_rc_box_release_full (w, start_wait_clear);
  return ok;
}

/* Start → reply and → running, @runs times after 1 warm-up, destroying
 * each time (untimed). One signal subscription for the series, so that no
 * AddMatch goes to the bus while a start is timed. */
static void
measure_starts (Target *t, const char *impl_label, const char *path, guint domains, guint runs)
{
  g_autoptr (GArray) replies = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) running = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint unobserved = 0;
  guint subscription;
  GVariant *reply;

  if (t->impl == IMPL_HULL)
    subscription = g_dbus_connection_signal_subscribe (
        t->bus, NULL, "org.freedesktop.DBus.Properties", "PropertiesChanged", path,
        HULL_DOMAIN_IFACE, G_DBUS_SIGNAL_FLAGS_NONE, on_properties_changed, NULL, NULL);
  else
    subscription = g_dbus_connection_signal_subscribe (
        t->bus, NULL, LIBVIRT_CONNECT_IFACE, "DomainEvent", LIBVIRT_TEST_PATH, NULL,
        G_DBUS_SIGNAL_FLAGS_NONE, on_domain_event, NULL, NULL);
  /* A round trip to the bus: the match rule is in place before we start. */
  reply = g_dbus_connection_call_sync (t->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetId", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, NULL);
  g_clear_pointer (&reply, g_variant_unref);
  for (guint i = 0; i <= runs; i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 reply_ns = 0, running_ns = 0;

      if (!start_once (t, path, &reply_ns, &running_ns, &error))
        {
          printf ("#   %-10s Start %5u domains: failed: %s\n", impl_label, domains, error->message);
          break;
        }
      if (!target_domain_call (t, path, "Destroy", "Destroy", &error))
        {
          printf ("#   %-10s Destroy %5u domains: failed: %s\n", impl_label, domains,
                  error->message);
          break;
        }
      for (guint k = 0; k < G_N_ELEMENTS (worker_pids); k++)
        worker_pids[k] = 0;
      if (i == 0)
        continue;
      g_array_append_val (replies, reply_ns);
      if (running_ns >= 0)
        g_array_append_val (running, running_ns);
      else
        unobserved++;
    }
  g_dbus_connection_signal_unsubscribe (t->bus, subscription);
  if (unobserved > 0)
    printf ("#   %s: the running state was not announced within 2 s of Start's reply in %u of %u "
            "runs\n",
            impl_label, unobserved, runs);
  record (impl_label, "Start-reply", domains, replies);
  record (impl_label, "Start-running", domains, running);
}

/* ------------------------------------------------------------------ */
/* Command line: one process per call */

/* Runs @argv 1 + @runs times, its output to /dev/null, and adds the wall
 * time (ns) of all but the first to @samples; FALSE and @failure when a run
 * fails. */
static gboolean
time_command (char **argv, char **envp, guint runs, GArray *samples, char **failure)
{
  for (guint i = 0; i <= runs; i++) /* run 0 warms up */
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *err_text = NULL;
      gint64 start = now_ns ();
      gint64 elapsed;
      int status = 0;

      if (!g_spawn_sync (NULL, argv, envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err_text,
                         &status, &error)
          || !g_spawn_check_wait_status (status, &error))
        {
          g_autofree char *detail = g_strstrip (g_strdup (err_text != NULL ? err_text : ""));

          g_strdelimit (detail, "\n", ' ');
          *failure
              = g_strdup_printf ("%s%s%s", error->message, *detail != '\0' ? ": " : "", detail);
          return FALSE;
        }
      elapsed = now_ns () - start;
      if (i > 0)
        g_array_append_val (samples, elapsed);
    }
  return TRUE;
}

static void
time_cli (const char *impl, const char *call, guint domains, char **argv, char **envp, guint runs)
{
  g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *failure = NULL;

  if (time_command (argv, envp, runs, samples, &failure))
    record (impl, call, domains, samples);
  else
    printf ("#   %s %s: failed: %s\n", impl, call, failure);
}

/* A test:/// <node> file with bench-0000 … for virsh. */
static char *
write_node_file (const char *dir, guint count)
{
  g_autofree char *file = g_strdup_printf ("node-%u.xml", count);
  char *path = g_build_filename (dir, file, NULL);
  GString *text = g_string_new ("<node>\n");

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *name = domain_name (i);
      g_autofree char *xml = domain_xml (name, 0xbe000000, i, 64);

      g_string_append (text, xml);
    }
  g_string_append (text, "</node>\n");
  write_file (path, text->str);
  g_string_free (text, TRUE);
  return path;
}

/* Whether `hullctl --help` lists @command. */
static gboolean
hullctl_has (const char *help, const char *command)
{
  g_auto (GStrv) lines = g_strsplit (help != NULL ? help : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) words = g_strsplit_set (g_strstrip (lines[i]), " \t", 2);

      if (words[0] != NULL && strcmp (words[0], command) == 0)
        return TRUE;
    }
  return FALSE;
}

typedef struct
{
  char *virsh;
  char *hullctl;
  char *hullctl_help;
  char *dir;
  char **envp;
} Cli;

static void
bench_cli (Cli *cli, guint domains)
{
  g_autofree char *first = domain_name (0);

  if (cli->virsh != NULL)
    {
      g_autofree char *node = write_node_file (cli->dir, domains);
      g_autofree char *uri = g_strconcat ("test://", node, NULL);
      char *list[]
          = { cli->virsh, (char *)"-q", (char *)"-c", uri, (char *)"list", (char *)"--all", NULL };
      char *dumpxml[]
          = { cli->virsh, (char *)"-q", (char *)"-c", uri, (char *)"dumpxml", first, NULL };
      guint runs = domains >= 1000 ? CLI_RUNS / 2 : CLI_RUNS;

      time_cli ("virsh", "list", domains, list, cli->envp, runs);
      time_cli ("virsh", "dumpxml", domains, dumpxml, cli->envp, runs);

      /* The same command CLI_BATCH times in one virsh process, each timed
       * by virsh itself (-t: "(Time: N ms)" after each command). */
      for (guint c = 0; c < 2; c++)
        {
          g_autofree char *command
              = c == 0 ? g_strdup ("list --all") : g_strdup_printf ("dumpxml %s", first);
          g_autoptr (GArray) samples = g_array_new (FALSE, FALSE, sizeof (gint64));
          g_autoptr (GError) error = NULL;
          g_autofree char *out = NULL;
          g_autofree char *err = NULL;
          GString *script = g_string_new (command);
          char *argv[] = { cli->virsh, (char *)"-t", (char *)"-q", (char *)"-c", uri, NULL, NULL };
          int wait_status = 0;

          for (guint k = 1; k < CLI_BATCH; k++)
            g_string_append_printf (script, "; %s", command);
          argv[5] = script->str;
          if (g_spawn_sync (NULL, argv, cli->envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                            &wait_status, &error)
              && g_spawn_check_wait_status (wait_status, &error))
            {
              const char *p = out;

              /* The first command of the process is a warm-up. */
              for (guint k = 0; (p = strstr (p, "(Time: ")) != NULL; k++)
                {
                  gint64 ns = (gint64)(g_ascii_strtod (p + 7, NULL) * 1e6);

                  if (k > 0)
                    g_array_append_val (samples, ns);
                  p += 7;
                }
              record ("virsh-in-process", c == 0 ? "list" : "dumpxml", domains, samples);
            }
          else
            printf ("#   virsh -t (one process) %s: failed: %s %s\n", command, error->message,
                    err != NULL ? err : "");
          g_string_free (script, TRUE);
        }
    }
  if (cli->hullctl != NULL)
    {
      char *list[] = { cli->hullctl, (char *)"--session", (char *)"list", (char *)"--all", NULL };
      char *dumpxml[] = { cli->hullctl, (char *)"--session", (char *)"dumpxml", first, NULL };

      if (hullctl_has (cli->hullctl_help, "list"))
        time_cli ("hullctl", "list", domains, list, cli->envp, CLI_RUNS);
      if (hullctl_has (cli->hullctl_help, "dumpxml"))
        time_cli ("hullctl", "dumpxml", domains, dumpxml, cli->envp, CLI_RUNS);
    }
}

/* ------------------------------------------------------------------ */
/* Reports */

static void
print_rss (const char *impl, pid_t pid, guint domains)
{
  glong rss = proc_status_kib (pid, "VmRSS:");
  glong hwm = proc_status_kib (pid, "VmHWM:");

  if (rss < 0)
    return;
  printf ("bench-api metric=rss impl=%s domains=%u vmrss_kib=%ld vmhwm_kib=%ld\n", impl, domains,
          rss, hwm);
}

/* One row: @hull_impl's @hull_call against @other_impl's @other_call. */
static void
print_compare (const char *hull_impl, const char *hull_call, const char *other_impl,
               const char *other_call, guint domains, gboolean ratio_goal)
{
  const Result *h = find_result (hull_impl, hull_call, domains);
  const Result *o = find_result (other_impl, other_call, domains);
  const char *call = other_call;
  char hull_text[48] = "-", other_text[48] = "-", ratio_text[24] = "-";
  char hull_net[24] = "", other_net[24] = "";
  const char *met = "";

  if (h == NULL && o == NULL)
    return;
  if (h != NULL)
    g_snprintf (hull_text, sizeof hull_text, "%10.1f %10.1f", h->median_us, h->p90_us);
  if (o != NULL)
    g_snprintf (other_text, sizeof other_text, "%10.1f %10.1f", o->median_us, o->p90_us);
  if (h != NULL && o != NULL && h->median_us > 0)
    {
      double ratio = o->median_us / h->median_us;

      g_snprintf (ratio_text, sizeof ratio_text, "%.2f", ratio);
      if (ratio_goal)
        met = ratio >= GOAL_RATIO ? "yes" : "no";
      printf ("bench-api compare impl=%s other=%s call=%s domains=%u hull_median_us=%.1f "
              "other_median_us=%.1f ratio=%.2f goal=%.0f met=%s\n",
              hull_impl, other_impl, call, domains, h->median_us, o->median_us, ratio, GOAL_RATIO,
              ratio_goal ? met : "n/a");
    }
  /* Beside the D-Bus calls: what each daemon adds to the bus round trip
   * (median minus Ping's median). */
  if (ratio_goal && strcmp (other_impl, "libvirt") == 0 && strcmp (call, "Ping") != 0)
    {
      const Result *hp = find_result (hull_impl, "Ping", domains);
      const Result *op = find_result (other_impl, "Ping", domains);

      if (h != NULL && hp != NULL)
        g_snprintf (hull_net, sizeof hull_net, "%.0f", h->median_us - hp->median_us);
      if (o != NULL && op != NULL)
        g_snprintf (other_net, sizeof other_net, "%.0f", o->median_us - op->median_us);
    }
  printf ("# %-20s %6u  %21s  %21s  %8s  %-4s %8s %8s\n", call, domains, hull_text, other_text,
          ratio_text, met, hull_net, other_net);
}

static void
print_growth (const char *impl, guint low, guint high)
{
  const Result *a = find_result (impl, "ListDomains", low);
  const Result *b = find_result (impl, "ListDomains", high);
  double ratio;

  if (a == NULL || b == NULL || a->median_us <= 0)
    return;
  ratio = b->median_us / a->median_us;
  printf ("bench-api metric=list-growth impl=%s from=%u to=%u ratio=%.2f goal=%.0f met=%s\n", impl,
          low, high, ratio, GOAL_GROWTH, ratio <= GOAL_GROWTH ? "yes" : "no");
  printf ("#   %s: ListDomains %.1f µs at %u → %.1f µs at %u domains: ×%.2f for ×%.0f domains "
          "(goal: no worse than linear, ≤ ×%.0f)\n",
          impl, a->median_us, low, b->median_us, high, ratio, (double)high / low, GOAL_GROWTH);
}

static void
print_start_goal (const char *impl, guint domains)
{
  const Result *r = find_result (impl, "Start-running", domains);

  if (r == NULL)
    return;
  printf ("bench-api metric=start-running impl=%s domains=%u median_us=%.1f goal_us=%.0f met=%s\n",
          impl, domains, r->median_us, GOAL_START_US, r->median_us < GOAL_START_US ? "yes" : "no");
}

/* ------------------------------------------------------------------ */

static gboolean
kvm_usable (char **reason)
{
  g_autofree char *plugin = g_build_filename (HULL_KVM_BACKEND_DIR, "hull-backend-kvm.so", NULL);
  g_autofree char *exits = g_build_filename (HULL_GUESTS_DIR, "exits", NULL);

  if (opt_no_kvm)
    *reason = g_strdup ("--no-kvm");
  else if (access ("/dev/kvm", R_OK | W_OK) != 0)
    *reason = g_strdup_printf ("/dev/kvm: %s", g_strerror (errno));
  else if (!g_file_test (plugin, G_FILE_TEST_EXISTS))
    *reason = g_strdup_printf ("no KVM backend at %s", plugin);
  else if (!g_file_test (exits, G_FILE_TEST_EXISTS))
    *reason = g_strdup_printf ("the guests are not built in %s", HULL_GUESTS_DIR);
  else
    return TRUE;
  return FALSE;
}

static char *
kvm_domain_xml (void)
{
  g_autofree char *exits = g_build_filename (HULL_GUESTS_DIR, "exits", NULL);

  return g_markup_printf_escaped ("<domain type='kvm'>\n"
                                  "  <name>bench-kvm</name>\n"
                                  "  <memory unit='MiB'>64</memory>\n"
                                  "  <vcpu>1</vcpu>\n"
                                  "  <os><kernel>%s</kernel><cmdline>exit=halt</cmdline></os>\n"
                                  "  <devices><serial type='pty'/></devices>\n"
                                  "</domain>\n",
                                  exits);
}

/* Links every plugin into one directory for hulld's --backend-dir. */
static char *
make_backend_dir (const char *dir, gboolean kvm)
{
  char *backends = g_build_filename (dir, "backends", NULL);
  const char *sources[2][2] = { { HULL_TEST_BACKEND_DIR, "hull-backend-test.so" },
                                { HULL_KVM_BACKEND_DIR, "hull-backend-kvm.so" } };

  g_mkdir_with_parents (backends, 0700);
  for (guint i = 0; i < (kvm ? 2u : 1u); i++)
    {
      g_autofree char *from = g_build_filename (sources[i][0], sources[i][1], NULL);
      g_autofree char *to = g_build_filename (backends, sources[i][1], NULL);

      if (symlink (from, to) < 0)
        printf ("# bench-api: symlink %s: %s\n", to, g_strerror (errno));
    }
  return backends;
}

/* Takes libvirt's default "test" domain away, so that it holds exactly the
 * bench's domains. */
static void
libvirt_drop_default (Target *t)
{
  g_autofree char *path = target_lookup (t, "test", NULL);

  if (path == NULL)
    return;
  target_domain_call (t, path, "Destroy", "Destroy", NULL);
  target_domain_call (t, path, "Undefine", "Undefine", NULL);
}

static guint *
parse_counts (guint *n)
{
  g_auto (GStrv) parts = g_strsplit (opt_counts != NULL ? opt_counts : "1,100,1000", ",", -1);
  guint *counts = g_new0 (guint, g_strv_length (parts) + 1);

  *n = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 v = g_ascii_strtoull (parts[i], NULL, 10);

      if (v >= 1 && v <= 100000 && (*n == 0 || v > counts[*n - 1]))
        counts[(*n)++] = (guint)v;
    }
  return counts;
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "iterations", 'n', 0, G_OPTION_ARG_INT, &opt_iterations,
      "Timed calls per cheap call and size (default 200)", "N" },
    { "starts", 's', 0, G_OPTION_ARG_INT, &opt_starts, "Timed starts per size (default 30)", "N" },
    { "counts", 'c', 0, G_OPTION_ARG_STRING, &opt_counts,
      "Numbers of defined domains (default 1,100,1000)", "N,N,…" },
    { "no-libvirt", 0, 0, G_OPTION_ARG_NONE, &opt_no_libvirt, "Do not compare with libvirt", NULL },
    { "no-kvm", 0, 0, G_OPTION_ARG_NONE, &opt_no_kvm, "Do not start KVM domains", NULL },
    { "no-cli", 0, 0, G_OPTION_ARG_NONE, &opt_no_cli, "Do not time hullctl and virsh", NULL },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the temporary directory", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *dbus_daemon = g_find_program_in_path ("dbus-daemon");
  g_autofree char *hulld = real_program ("HULLD", HULLD_PATH);
  g_autofree char *worker = real_program ("HULL_VM", HULL_VM_PATH);
  g_autofree char *backend_dir = NULL;
  g_autofree char *kvm_reason = NULL;
  g_autofree char *libvirt_reason = NULL;
  g_autofree guint *counts = NULL;
  g_autofree char *ld_path = NULL;
  Env env = { 0 };
  Cli cli = { 0 };
  Target hull = { .impl = IMPL_HULL,
                  .label = "hull",
                  .dest = HULL_DBUS_NAME,
                  .manager_path = HULL_DBUS_PATH,
                  .manager_iface = HULL_MANAGER_IFACE,
                  .domain_iface = HULL_DOMAIN_IFACE };
  Target libvirt = { .impl = IMPL_LIBVIRT,
                     .label = "libvirt",
                     .dest = LIBVIRT_NAME,
                     .manager_path = LIBVIRT_TEST_PATH,
                     .manager_iface = LIBVIRT_CONNECT_IFACE,
                     .domain_iface = LIBVIRT_DOMAIN_IFACE };
  gboolean have_libvirt = FALSE;
  gboolean kvm;
  guint n_counts;
  gint64 begin = now_ns ();
  int status = 0;
  const char *dbus_calls[]
      = { "Ping",          "ListDomains",        "LookupByName", "GetXMLDesc",
          "DefineXML-new", "DefineXML-redefine", "Start-reply",  "Start-running" };
  struct sigaction action = { 0 };

  setvbuf (stdout, NULL, _IOLBF, 0);
  g_option_context_set_summary (context, "Times Hull's D-Bus API (hulld on a private bus) and "
                                         "libvirt's (libvirt-dbus, virsh) side by side.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || opt_iterations < 1
      || opt_starts < 1)
    {
      g_printerr ("bench-api: %s\n", error != NULL ? error->message : "bad numbers");
      return 2;
    }
  counts = parse_counts (&n_counts);
  if (n_counts == 0)
    {
      g_printerr ("bench-api: --counts: no usable number\n");
      return 2;
    }
  if (dbus_daemon == NULL)
    {
      printf ("# bench-api: dbus-daemon is not installed; skipped\n");
      return 77;
    }
  if (!g_file_test (hulld, G_FILE_TEST_IS_EXECUTABLE))
    {
      printf ("# bench-api: %s is not built; skipped\n", hulld);
      return 77;
    }

  results = g_ptr_array_new_with_free_func (result_free);

  /* One temporary tree for everything; XDG and HOME inside it, so that
   * neither hulld nor libvirt touch the user's. */
  env.dir = g_dir_make_tmp ("bench-api-XXXXXX", &error);
  if (env.dir == NULL)
    g_error ("bench-api: %s", error->message);
  /* The runtime directory on tmpfs, as /run/hull and $XDG_RUNTIME_DIR
   * are: hulld and the workers fsync their records there, which costs
   * nothing on tmpfs and a disk flush elsewhere. */
  {
    struct statfs fs;

    if (statfs ("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC)
      env.runtime_root = g_mkdtemp (g_strdup ("/dev/shm/bench-api-XXXXXX"));
    env.runtime_dir
        = g_build_filename (env.runtime_root != NULL ? env.runtime_root : env.dir, "runtime", NULL);
  }
  runtime_dir_for_workers = env.runtime_dir;
  if (!opt_keep)
    {
      remove_argv[0] = g_find_program_in_path ("rm");
      remove_argv[1] = (char *)"-rf";
      remove_argv[2] = env.dir;
      remove_argv[3] = env.runtime_root;
    }
  action.sa_handler = on_fatal_signal;
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
  sigaction (SIGHUP, &action, NULL);
  env.envp = g_get_environ ();
  {
    const char *xdg[][2] = { { "HOME", "home" },
                             { "XDG_CONFIG_HOME", "home/config" },
                             { "XDG_CACHE_HOME", "home/cache" },
                             { "XDG_DATA_HOME", "home/data" },
                             { "XDG_STATE_HOME", "home/state" },
                             { "XDG_RUNTIME_DIR", "xdg-runtime" } };

    for (guint i = 0; i < G_N_ELEMENTS (xdg); i++)
      {
        g_autofree char *path = g_build_filename (env.dir, xdg[i][1], NULL);

        g_mkdir_with_parents (path, 0700);
        env.envp = g_environ_setenv (env.envp, xdg[i][0], path, TRUE);
      }
  }
  {
    const char *old = g_environ_getenv (env.envp, "LD_LIBRARY_PATH");

    ld_path = old != NULL && *old != '\0' ? g_strconcat (HULL_LIB_DIR, ":", old, NULL)
                                          : g_strdup (HULL_LIB_DIR);
  }
  env.envp = g_environ_setenv (env.envp, "LD_LIBRARY_PATH", ld_path, TRUE);
  env.envp = g_environ_setenv (env.envp, "LC_ALL", "C.UTF-8", TRUE);
  env.envp = g_environ_unsetenv (env.envp, "LANGUAGE");
  env.envp = g_environ_unsetenv (env.envp, "DBUS_STARTER_ADDRESS");
  env.envp = g_environ_unsetenv (env.envp, "HULL_BUS");

  kvm = kvm_usable (&kvm_reason);
  backend_dir = make_backend_dir (env.dir, kvm);

  printf ("# bench-api: Hull's D-Bus API (hulld %s, worker %s) on a private dbus-daemon; %d "
          "iterations per call (at most %.0f s each, at least %d), %d starts; %u warm-up calls\n",
          hulld, worker, opt_iterations, LOOP_BUDGET_NS / 1e9, MIN_SAMPLES, opt_starts, WARMUP);
  printf ("# definitions in %s/state (durable writes: fsync), runtime directory %s%s\n", env.dir,
          env.runtime_dir, env.runtime_root != NULL ? " (tmpfs)" : " (not tmpfs: no /dev/shm)");
  if (!start_bus (&env))
    {
      status = 1;
      goto out;
    }
  if (!start_hulld (&env, hulld, worker, backend_dir))
    {
      status = 1;
      goto out;
    }
  hull.bus = env.bus;
  hull.pid = env.hulld_pid;

  if (opt_no_libvirt)
    libvirt_reason = g_strdup ("--no-libvirt");
  else
    libvirt_reason = start_libvirt_dbus (&env);
  if (libvirt_reason == NULL)
    {
      g_autoptr (GError) probe_error = NULL;

      libvirt.bus = env.bus;
      libvirt.pid = env.libvirt_pid;
      if (target_list (&libvirt, &probe_error) < 0)
        libvirt_reason = g_strdup_printf ("libvirt-dbus runs, but %s ListDomains failed: %s",
                                          LIBVIRT_TEST_PATH, probe_error->message);
      else
        {
          have_libvirt = TRUE;
          libvirt_drop_default (&libvirt);
        }
    }
  if (have_libvirt)
    printf ("# libvirt: libvirt-dbus --session on the same bus, %s (test:///default, in the "
            "libvirt-dbus process)\n",
            LIBVIRT_TEST_PATH);
  else
    printf ("# libvirt: not compared over D-Bus: %s\n", libvirt_reason);
  if (!kvm)
    printf ("# kvm: not measured: %s\n", kvm_reason);

  if (!opt_no_cli)
    {
      g_autofree char *hullctl = real_program ("HULLCTL", HULLCTL_PATH);
      char *help_argv[] = { hullctl, (char *)"--help", NULL };
      g_autofree char *out = NULL, *err = NULL;

      cli.virsh = g_find_program_in_path ("virsh");
      cli.dir = env.dir;
      cli.envp = env.envp;
      if (cli.virsh == NULL)
        printf ("# virsh: not installed, no command-line comparison\n");
      if (g_file_test (hullctl, G_FILE_TEST_IS_EXECUTABLE)
          && g_spawn_sync (NULL, help_argv, env.envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, NULL,
                           NULL))
        {
          cli.hullctl = g_steal_pointer (&hullctl);
          cli.hullctl_help = g_strconcat (out, err, NULL);
          if (!hullctl_has (cli.hullctl_help, "list") || !hullctl_has (cli.hullctl_help, "dumpxml"))
            printf ("# hullctl: has no 'list' or 'dumpxml' command yet; those rows are missing\n");
        }
      else
        printf ("# hullctl: not built, no command-line figures for Hull\n");
    }

  for (guint c = 0; c < n_counts; c++)
    {
      guint n = counts[c];
      Target *targets[2] = { &hull, have_libvirt ? &libvirt : NULL };

      printf ("\n# --- %u defined domain%s ---\n", n, n == 1 ? "" : "s");
      for (guint k = 0; k < 2; k++)
        {
          Target *t = targets[k];

          if (t == NULL || target_populate (t, n, &error))
            continue;
          printf ("# %s: defining %u domains failed: %s\n", t->label, n, error->message);
          g_clear_error (&error);
          if (t->impl == IMPL_HULL)
            {
              status = 1;
              goto out;
            }
          targets[k] = NULL;
          have_libvirt = FALSE;
        }
      /* Hull and libvirt alternate call by call (their lines print in
       * pairs). */
      measure (targets, 2, "Ping", n, (guint)opt_iterations, op_ping);
      measure (targets, 2, "ListDomains", n, (guint)opt_iterations, op_list);
      measure (targets, 2, "LookupByName", n, (guint)opt_iterations, op_lookup);
      measure (targets, 2, "GetXMLDesc", n, (guint)opt_iterations, op_get_xml);
      measure (targets, 2, "DefineXML-new", n, (guint)opt_iterations, op_define_new);
      measure (targets, 2, "DefineXML-redefine", n, (guint)opt_iterations, op_redefine);
      for (guint k = 0; k < 2; k++)
        if (targets[k] != NULL)
          measure_starts (targets[k], targets[k]->label, targets[k]->first_path, n,
                          (guint)opt_starts);
      if (kvm)
        {
          g_autofree char *xml = kvm_domain_xml ();

          /* Defined for this series only, so that the other series see
           * exactly n domains. */
          g_autofree char *kvm_path = target_define (&hull, xml, &error);

          if (kvm_path == NULL)
            {
              printf ("#   hull-kvm: DefineXML failed: %s\n", error->message);
              g_clear_error (&error);
              kvm = FALSE;
            }
          else
            {
              measure_starts (&hull, "hull-kvm", kvm_path, n, (guint)MAX (opt_starts * 2 / 3, 10));
              if (!target_domain_call (&hull, kvm_path, "Undefine", "Undefine", &error))
                {
                  printf ("#   hull-kvm: Undefine failed: %s\n", error->message);
                  g_clear_error (&error);
                }
            }
        }
      print_rss ("hulld", env.hulld_pid, n);
      if (have_libvirt)
        print_rss ("libvirt-dbus", env.libvirt_pid, n);
      if (cli.virsh != NULL || cli.hullctl != NULL)
        bench_cli (&cli, n);
    }

  /* Summary */
  printf ("\n# Hull over D-Bus vs libvirt-dbus (test:///default), µs; ratio = libvirt / hull "
          "(goal: ≥ %.0f×)\n",
          GOAL_RATIO);
  printf ("# %-20s %6s  %21s  %21s  %8s  %-4s %8s %8s\n", "call", "doms", "hull median    p90",
          "libvirt median    p90", "ratio", "10x", "hull-", "libvirt-");
  printf ("# %-20s %6s  %21s  %21s  %8s  %-4s %8s %8s\n", "", "", "", "", "", "", "Ping", "Ping");
  for (guint i = 0; i < G_N_ELEMENTS (dbus_calls); i++)
    for (guint c = 0; c < n_counts; c++)
      print_compare ("hull", dbus_calls[i], "libvirt", dbus_calls[i], counts[c], TRUE);
  printf ("\n# Start on KVM (tests/guests/exits, exit=halt; a hull-vm worker per start), µs\n");
  for (guint c = 0; c < n_counts; c++)
    {
      print_compare ("hull-kvm", "Start-reply", "libvirt", "Start-reply", counts[c], FALSE);
      print_compare ("hull-kvm", "Start-running", "libvirt", "Start-running", counts[c], FALSE);
    }
  if (cli.virsh != NULL || cli.hullctl != NULL)
    {
      printf (
          "\n# Command line, one process per call: hullctl vs virsh -c test:///NODE-FILE, µs\n");
      for (guint c = 0; c < n_counts; c++)
        {
          print_compare ("hullctl", "list", "virsh", "list", counts[c], TRUE);
          print_compare ("hullctl", "dumpxml", "virsh", "dumpxml", counts[c], TRUE);
        }
      printf ("# virsh running %u commands in one process, each timed by virsh -t (no process "
              "start, no RPC: libvirt's library and test driver in the virsh process), against "
              "Hull over D-Bus, µs\n",
              CLI_BATCH);
      for (guint c = 0; c < n_counts; c++)
        {
          print_compare ("hull", "ListDomains", "virsh-in-process", "list", counts[c], FALSE);
          print_compare ("hull", "GetXMLDesc", "virsh-in-process", "dumpxml", counts[c], FALSE);
        }
    }
  printf ("\n# Goals\n");
  printf ("#   per call: ≥ %.0f× lower latency than libvirt (compare lines, met=)\n", GOAL_RATIO);
  for (guint c = 1; c < n_counts; c++)
    {
      print_growth ("hull", counts[c - 1], counts[c]);
      if (have_libvirt)
        print_growth ("libvirt", counts[c - 1], counts[c]);
    }
  printf ("#   Start → running < %.0f ms:\n", GOAL_START_US / 1000);
  for (guint c = 0; c < n_counts; c++)
    {
      print_start_goal ("hull", counts[c]);
      print_start_goal ("hull-kvm", counts[c]);
    }
  printf ("# total %.1f s\n", (now_ns () - begin) / 1e9);

out:
  if (status != 0)
    print_log_tail ("hulld", env.hulld_log);
  env_clear (&env);
  g_free (cli.virsh);
  g_free (cli.hullctl);
  g_free (cli.hullctl_help);
  g_free (hull.first_path);
  g_free (libvirt.first_path);
  g_free (opt_counts);
  g_free (remove_argv[0]);
  g_clear_pointer (&results, g_ptr_array_unref);
  return status;
}
