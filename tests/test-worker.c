/* hull-vm --worker, driven as hulld drives it (docs/daemon.md): spawned with
 * a ready fd, then called over its peer-to-peer D-Bus socket with the
 * generated HullDBusWorker proxy. The test backend runs the guests.
 *
 * Every wait is bounded (WAIT_US); nothing passes or fails on timing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixfdlist.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hull-dbus.h"
#include "hull-error.h"
#include "test-util.h"

#define UUID "6f3c7e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
/* The longest any wait may take before the test fails. */
#define WAIT_US (60 * G_USEC_PER_SEC)

/* A guest that writes "Hi\n" on COM1 and then idles (its program ends). */
#define HELLO_PROGRAM                                                                              \
  "<hull:out port='0x3f8' value='0x48'/><hull:out port='0x3f8' value='0x69'/>"                     \
  "<hull:out port='0x3f8' value='0x0a'/>"
/* A guest that waits forever, doing nothing. */
#define IDLE_PROGRAM "<hull:spin usec='100000'/><hull:jump step='0'/>"
#define SERIAL "<serial type='pty'/>"

typedef struct
{
  char *dir; /* the runtime directory; also holds vm.xml and the log */
  char *xml;
  char *log;
  char *socket;
  char *status;
  GPid pid;
  gboolean reaped;
  int wait_status;
  char *ready; /* the ready line, without its newline */
  GDBusConnection *connection;
  HullDBusWorker *proxy;
  GPtrArray *states; /* State values, as PropertiesChanged brought them */
  GPtrArray *halts;  /* "kind: description" of each Halted */
} Worker;

/* ------------------------------------------------------------------ */
/* Helpers */

/* Writes the domain: VP 0 runs @program, @extra goes beside it in the
 * test program (faults), @devices in <devices>. */
static void
worker_init (Worker *worker, const char *program, const char *extra, const char *devices)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;

  worker->dir = g_dir_make_tmp ("test-worker-XXXXXX", &error);
  g_assert_no_error (error);
  worker->xml = g_build_filename (worker->dir, "vm.xml", NULL);
  worker->log = g_build_filename (worker->dir, "worker.log", NULL);
  worker->socket = g_build_filename (worker->dir, "vm", UUID ".sock", NULL);
  worker->status = g_build_filename (worker->dir, "vm", UUID ".status", NULL);
  worker->states = g_ptr_array_new_with_free_func (g_free);
  worker->halts = g_ptr_array_new_with_free_func (g_free);
  xml = g_strdup_printf ("<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'>\n"
                         "  <name>vm</name><uuid>" UUID "</uuid>\n"
                         "  <memory unit='MiB'>16</memory><vcpu>2</vcpu>\n"
                         "  <devices>%s</devices>\n"
                         "  <hull:test-program>\n"
                         "    <hull:vp index='0'>%s</hull:vp>%s\n"
                         "  </hull:test-program>\n"
                         "</domain>\n",
                         devices != NULL ? devices : "", program, extra != NULL ? extra : "");
  g_file_set_contents (worker->xml, xml, -1, &error);
  g_assert_no_error (error);
}

static void
worker_clear (Worker *worker)
{
  if (worker->proxy != NULL)
    g_signal_handlers_disconnect_by_data (worker->proxy, worker);
  g_clear_object (&worker->proxy);
  if (worker->connection != NULL)
    g_dbus_connection_close_sync (worker->connection, NULL, NULL);
  g_clear_object (&worker->connection);
  if (worker->pid > 0 && !worker->reaped)
    {
      kill (worker->pid, SIGKILL);
      waitpid (worker->pid, NULL, 0);
    }
  if (worker->dir != NULL)
    hull_test_remove_tree (worker->dir);
  g_free (worker->dir);
  g_free (worker->xml);
  g_free (worker->log);
  g_free (worker->socket);
  g_free (worker->status);
  g_free (worker->ready);
  g_clear_pointer (&worker->states, g_ptr_array_unref);
  g_clear_pointer (&worker->halts, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Worker, worker_clear)

/* In the child: a worker left behind by a failed test dies with the test
 * (the worker itself sets no parent-death signal: hulld's restart must not
 * kill VMs). */
static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Runs hull-vm --worker with the ready fd on 3, @fds[i] (not taken) on
 * 4 + i, and its output in the log; extra arguments follow,
 * NULL-terminated. Returns the ready fd's read end. */
static int
spawn_args_fds (Worker *worker, const char *const *args, const int *fds, guint n_fds)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) envp = g_get_environ ();
  int ready[2];
  int log_fd;
  int source_fds[8];
  int target_fds[8];

  g_assert_cmpuint (n_fds, <, G_N_ELEMENTS (source_fds));
  g_ptr_array_add (argv, g_test_build_filename (G_TEST_BUILT, "..", "daemon", "hull-vm", NULL));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");

  g_unix_open_pipe (ready, FD_CLOEXEC, &error);
  g_assert_no_error (error);
  log_fd = open (worker->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  g_assert_cmpint (log_fd, >=, 0);
  /* Above every target: no mapping overwrites another's source. */
  source_fds[0] = fcntl (ready[1], F_DUPFD_CLOEXEC, 16);
  target_fds[0] = 3;
  for (guint i = 0; i < n_fds; i++)
    {
      source_fds[i + 1] = fcntl (fds[i], F_DUPFD_CLOEXEC, 16);
      target_fds[i + 1] = 4 + (int)i;
    }
  g_spawn_async_with_pipes_and_fds (
      NULL, (const char *const *)argv->pdata, (const char *const *)envp,
      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, child_setup, NULL, -1, log_fd,
      log_fd, source_fds, target_fds, n_fds + 1, &worker->pid, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_fds + 1; i++)
    close (source_fds[i]);
  close (log_fd);
  close (ready[1]);
  return ready[0];
}

static int
spawn_args (Worker *worker, const char *const *args)
{
  return spawn_args_fds (worker, args, NULL, 0);
}

/* Reads the ready line (or EOF), bounded. */
static char *
read_ready (int fd)
{
  g_autoptr (GString) line = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (strchr (line->str, '\n') == NULL)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      char buffer[256];
      gssize n;
      int left_ms = (int)((deadline - g_get_monotonic_time ()) / 1000);

      g_assert_cmpint (left_ms, >, 0);
      if (poll (&pfd, 1, left_ms) <= 0)
        continue;
      n = read (fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      g_string_append_len (line, buffer, n);
    }
  close (fd);
  if (line->len > 0 && line->str[line->len - 1] == '\n')
    g_string_truncate (line, line->len - 1);
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static void
print_log (Worker *worker)
{
  g_autofree char *text = NULL;

  if (g_file_get_contents (worker->log, &text, NULL, NULL))
    g_test_message ("worker log:\n%s", text);
}

/* Waits for the worker to exit and returns its exit status (it must exit,
 * not die of a signal). */
static int
wait_exit (Worker *worker)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;
  pid_t pid;

  while ((pid = waitpid (worker->pid, &worker->wait_status, WNOHANG)) == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      /* The connection's messages (a reply, "closed") keep coming. */
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_assert_cmpint (pid, ==, worker->pid);
  worker->reaped = TRUE;
  g_spawn_close_pid (worker->pid);
  print_log (worker);
  g_assert_true (WIFEXITED (worker->wait_status));
  return WEXITSTATUS (worker->wait_status);
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, GStrv invalidated, gpointer user_data)
{
  Worker *worker = user_data;
  const char *state;

  if (g_variant_lookup (changed, "State", "&s", &state))
    g_ptr_array_add (worker->states, g_strdup (state));
}

static void
on_halted (HullDBusWorker *proxy, const char *kind, const char *description, gpointer user_data)
{
  Worker *worker = user_data;

  g_ptr_array_add (worker->halts, g_strdup_printf ("%s: %s", kind, description));
}

static HullDBusWorker *
connect_proxy (Worker *worker, GDBusConnection **connection)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *escaped = g_dbus_address_escape_value (worker->socket);
  g_autofree char *address = g_strconcat ("unix:path=", escaped, NULL);
  HullDBusWorker *proxy;

  *connection = g_dbus_connection_new_for_address_sync (
      address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL, NULL, &error);
  g_assert_no_error (error);
  proxy = hull_dbus_worker_proxy_new_sync (*connection, G_DBUS_PROXY_FLAGS_NONE, NULL,
                                           HULL_DBUS_WORKER_PATH, NULL, &error);
  g_assert_no_error (error);
  return proxy;
}

static void
worker_connect (Worker *worker)
{
  worker->proxy = connect_proxy (worker, &worker->connection);
  g_signal_connect (worker->proxy, "g-properties-changed", G_CALLBACK (on_properties_changed),
                    worker);
  g_signal_connect (worker->proxy, "halted", G_CALLBACK (on_halted), worker);
}

/* Spawns the worker of the domain worker_init() wrote (with a console log
 * when it has a serial port), checks READY and connects. */
static void
worker_launch (Worker *worker)
{
  const char *args[] = {
    "--worker", "--uuid",     UUID, "--xml",         NULL, "--runtime-dir",
    NULL,       "--ready-fd", "3",  "--console-log", NULL, NULL,
  };
  g_autofree char *console_log = g_build_filename (worker->dir, "console.log", NULL);
  g_autofree char *xml = NULL;

  args[4] = worker->xml;
  args[6] = worker->dir;
  g_assert_true (g_file_get_contents (worker->xml, &xml, NULL, NULL));
  if (strstr (xml, "<serial") != NULL)
    args[10] = console_log;
  else
    args[9] = NULL;
  worker->ready = read_ready (spawn_args (worker, args));
  if (g_strcmp0 (worker->ready, "READY") != 0)
    print_log (worker);
  g_assert_cmpstr (worker->ready, ==, "READY");
  worker_connect (worker);
}

static void
worker_start (Worker *worker, const char *program, const char *devices)
{
  worker_init (worker, program, NULL, devices);
  worker_launch (worker);
}

/* Iterates the main context until @cond holds, bounded. */
#define WAIT_UNTIL(cond)                                                                           \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64 deadline_ = g_get_monotonic_time () + WAIT_US;                                          \
    while (!(cond))                                                                                \
      {                                                                                            \
        g_assert_cmpint (g_get_monotonic_time (), <, deadline_);                                   \
        g_main_context_iteration (NULL, FALSE);                                                    \
        g_usleep (1000);                                                                           \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

static void
wait_state (Worker *worker, const char *state)
{
  WAIT_UNTIL (g_strcmp0 (hull_dbus_worker_get_state (worker->proxy), state) == 0);
}

/* The State property as the worker has it now (not the proxy's cache). */
static char *
remote_state (Worker *worker)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) value = NULL;

  reply = g_dbus_connection_call_sync (
      worker->connection, NULL, HULL_DBUS_WORKER_PATH, "org.freedesktop.DBus.Properties", "Get",
      g_variant_new ("(ss)", "org.hullvm.Hull1.Worker", "State"), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_dup_string (value, NULL);
}

static GVariant *
empty_options (void)
{
  return g_variant_new ("a{sv}", NULL);
}

static GVariant *
stats (Worker *worker)
{
  g_autoptr (GError) error = NULL;
  GVariant *result = NULL;

  hull_dbus_worker_call_get_stats_sync (worker->proxy, empty_options (), &result, NULL, &error);
  g_assert_no_error (error);
  return result;
}

static guint64
stat_uint64 (Worker *worker, const char *key)
{
  g_autoptr (GVariant) dict = stats (worker);
  guint64 value = 0;

  g_assert_true (g_variant_lookup (dict, key, "t", &value));
  return value;
}

static guint32
stat_uint32 (Worker *worker, const char *key)
{
  g_autoptr (GVariant) dict = stats (worker);
  guint32 value = 0;

  g_assert_true (g_variant_lookup (dict, key, "u", &value));
  return value;
}

/* A field of the inspect tree at @path. */
static GVariant *
inspect_field (Worker *worker, const char *path, const char *field)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) tree = NULL;
  g_autoptr (GVariant) dict = NULL;
  GVariant *value;

  hull_dbus_worker_call_inspect_sync (worker->proxy, path, empty_options (), &tree, NULL, &error);
  g_assert_no_error (error);
  dict = g_variant_get_variant (tree);
  value = g_variant_lookup_value (dict, field, NULL);
  g_assert_nonnull (value);
  return value;
}

static guint64
uart_input_bytes (Worker *worker)
{
  g_autoptr (GVariant) value = inspect_field (worker, "devices/ttyS0", "input-bytes");

  return g_variant_get_uint64 (value);
}

static guint64
uart_input_refused (Worker *worker)
{
  g_autoptr (GVariant) value = inspect_field (worker, "devices/ttyS0", "input-refused");

  return g_variant_get_uint64 (value);
}

static void
call_start (Worker *worker, GVariant *options)
{
  g_autoptr (GError) error = NULL;

  hull_dbus_worker_call_start_sync (worker->proxy, options, NULL, &error);
  g_assert_no_error (error);
}

static void
call_stop (Worker *worker)
{
  g_autoptr (GError) error = NULL;

  hull_dbus_worker_call_stop_sync (worker->proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wait_exit (worker), ==, 0);
  g_assert_false (g_file_test (worker->socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (worker->status, G_FILE_TEST_EXISTS));
}

/* Asserts @error is HULL_ERROR @code from D-Bus name @name, with @message
 * in its text. */
static void
assert_dbus_error (const GError *error, HullError code, const char *name, const char *message)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_error (error, HULL_ERROR, (int)code);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, name);
  g_assert_nonnull (strstr (error->message, message));
}

static GKeyFile *
read_status (Worker *worker)
{
  g_autoptr (GError) error = NULL;
  GKeyFile *file = g_key_file_new ();

  g_key_file_load_from_file (file, worker->status, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  return file;
}

static void
assert_status (Worker *worker, const char *state, const char *halt_kind, guint boots)
{
  g_autoptr (GKeyFile) file = read_status (worker);
  g_autofree char *got_state = g_key_file_get_string (file, "worker", "state", NULL);
  g_autofree char *got_kind = g_key_file_get_string (file, "worker", "halt-kind", NULL);

  g_assert_cmpstr (got_state, ==, state);
  g_assert_cmpstr (got_kind, ==, halt_kind);
  g_assert_cmpuint (g_key_file_get_uint64 (file, "worker", "boots", NULL), ==, boots);
}

/* Opens a console; returns its fd. */
static int
open_console (Worker *worker, GVariant *options, GError **error)
{
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GVariant) handle = NULL;
  int fd;

  if (!hull_dbus_worker_call_open_console_sync (worker->proxy, options, NULL, &handle, &fds, NULL,
                                                error))
    return -1;
  g_assert_nonnull (fds);
  g_assert_cmpint (g_unix_fd_list_get_length (fds), ==, 1);
  fd = g_unix_fd_list_get (fds, g_variant_get_handle (handle), error);
  g_assert_cmpint (fd, >=, 0);
  return fd;
}

static GVariant *
console_options (gboolean read_only, gboolean force)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (read_only)
    g_variant_builder_add (&builder, "{sv}", "read-only", g_variant_new_boolean (TRUE));
  if (force)
    g_variant_builder_add (&builder, "{sv}", "force", g_variant_new_boolean (TRUE));
  return g_variant_builder_end (&builder);
}

/* Reads exactly @len bytes from @fd, bounded. */
static char *
read_exactly (int fd, gsize len)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (text->len < len)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      char buffer[256];
      gssize n;
      int left_ms = (int)((deadline - g_get_monotonic_time ()) / 1000);

      g_assert_cmpint (left_ms, >, 0);
      if (poll (&pfd, 1, left_ms) <= 0)
        continue;
      n = read (fd, buffer, MIN (sizeof buffer, len - text->len));
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      g_string_append_len (text, buffer, n);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
write_all (int fd, const char *bytes, gsize len)
{
  while (len > 0)
    {
      gssize n = write (fd, bytes, len);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      bytes += n;
      len -= (gsize)n;
    }
}

/* ------------------------------------------------------------------ */
/* Tests */

/* READY comes after the socket listens and the status record is written. */
static void
test_ready (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GKeyFile) file = NULL;
  g_autofree char *vm_dir = NULL;
  g_autofree char *socket = NULL;
  g_autofree char *name = NULL;
  GStatBuf st;

  worker_start (&worker, IDLE_PROGRAM, SERIAL);

  file = read_status (&worker);
  g_assert_cmpint (g_key_file_get_int64 (file, "worker", "pid", NULL), ==, worker.pid);
  name = g_key_file_get_string (file, "worker", "name", NULL);
  g_assert_cmpstr (name, ==, "vm");
  socket = g_key_file_get_string (file, "worker", "socket", NULL);
  g_assert_cmpstr (socket, ==, worker.socket);
  g_assert_cmpint (g_key_file_get_int64 (file, "worker", "started", NULL), ==, 0);
  assert_status (&worker, "created", "", 0);
  {
    g_autofree char *uuid = g_key_file_get_string (file, "worker", "uuid", NULL);

    g_assert_cmpstr (uuid, ==, UUID);
  }

  vm_dir = g_build_filename (worker.dir, "vm", NULL);
  g_assert_cmpint (g_stat (vm_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (worker.socket, &st), ==, 0);
  g_assert_true (S_ISSOCK (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_cmpstr (hull_dbus_worker_get_uuid (worker.proxy), ==, UUID);
  g_assert_cmpstr (hull_dbus_worker_get_name (worker.proxy), ==, "vm");
  g_assert_cmpstr (hull_dbus_worker_get_state (worker.proxy), ==, "created");
  g_assert_cmpstr (hull_dbus_worker_get_halt_kind (worker.proxy), ==, "");
  g_assert_cmpuint (hull_dbus_worker_get_boots (worker.proxy), ==, 0);
  call_stop (&worker);
}

/* A stale socket file (a worker that died) does not stop a new worker. */
static void
test_stale_socket (void)
{
  g_auto (Worker) worker = { 0 };
  g_autofree char *vm_dir = NULL;

  worker_init (&worker, IDLE_PROGRAM, NULL, NULL);
  vm_dir = g_build_filename (worker.dir, "vm", NULL);
  g_assert_cmpint (g_mkdir (vm_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (worker.socket, "stale", -1, NULL));
  worker_launch (&worker);
  g_assert_cmpstr (hull_dbus_worker_get_state (worker.proxy), ==, "created");
  call_stop (&worker);
}

typedef struct
{
  const char *name;
  const char *program;        /* NULL: a malformed definition */
  const char *fault;          /* beside the program */
  const char *const extra[4]; /* more arguments */
  const char *ready_prefix;   /* "ERROR <code> " */
  const char *message;        /* in the ready line */
  int status;                 /* exit status */
} SetupCase;

static const SetupCase setup_cases[] = {
  { "bad-backend",
    IDLE_PROGRAM,
    NULL,
    { "--backend", "warp", NULL },
    "ERROR 5 ",
    "no backend named 'warp'",
    1 },
  { "malformed-xml", NULL, NULL, { NULL }, "ERROR 2 ", "vm.xml", 1 },
  { "build-fault",
    IDLE_PROGRAM,
    "<hull:fault stage='build'/>",
    { NULL },
    "ERROR 10 ",
    "domain 'vm': injected fault: build",
    1 },
  { "console-log",
    IDLE_PROGRAM,
    NULL,
    { "--console-log", "/nonexistent/console.log", NULL },
    "ERROR 13 ",
    "cannot open console log '/nonexistent/console.log'",
    1 },
  { "uuid-mismatch",
    IDLE_PROGRAM,
    NULL,
    { "--uuid", "00000000-0000-4000-8000-000000000000", NULL },
    "ERROR 1 ",
    "has the UUID " UUID,
    1 },
  { "usage", IDLE_PROGRAM, NULL, { "--timeout", "5", NULL }, "ERROR 1 ", "standalone mode", 2 },
};

/* A setup failure is one ERROR line with the HULL_ERROR code and message,
 * exit status 1 (2 for usage errors), and no socket or status record. */
static void
test_setup_error (gconstpointer data)
{
  const SetupCase *c = data;
  g_auto (Worker) worker = { 0 };
  g_autoptr (GPtrArray) args = g_ptr_array_new ();

  worker_init (&worker, c->program != NULL ? c->program : IDLE_PROGRAM, c->fault, SERIAL);
  if (c->program == NULL)
    g_assert_true (g_file_set_contents (worker.xml, "<domain type='test'><name>vm", -1, NULL));

  g_ptr_array_add (args, (gpointer) "--worker");
  /* The case's own --uuid comes last and wins. */
  g_ptr_array_add (args, (gpointer) "--uuid");
  g_ptr_array_add (args, (gpointer)UUID);
  g_ptr_array_add (args, (gpointer) "--xml");
  g_ptr_array_add (args, worker.xml);
  g_ptr_array_add (args, (gpointer) "--runtime-dir");
  g_ptr_array_add (args, worker.dir);
  g_ptr_array_add (args, (gpointer) "--ready-fd");
  g_ptr_array_add (args, (gpointer) "3");
  for (guint i = 0; c->extra[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer)c->extra[i]);
  g_ptr_array_add (args, NULL);

  worker.ready = read_ready (spawn_args (&worker, (const char *const *)args->pdata));
  g_test_message ("%s: %s", c->name, worker.ready);
  g_assert_true (g_str_has_prefix (worker.ready, c->ready_prefix));
  g_assert_nonnull (strstr (worker.ready, c->message));
  g_assert_null (strchr (worker.ready, '\n'));
  g_assert_cmpint (wait_exit (&worker), ==, c->status);
  g_assert_false (g_file_test (worker.socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (worker.status, G_FILE_TEST_EXISTS));
}

/* Start, Pause, Resume, Reset: each changes State (PropertiesChanged before
 * the reply), Boots and the status record. */
static void
test_lifecycle (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GKeyFile) file = NULL;
  const char *expected[] = { "running", "paused", "running", "paused", "running" };

  worker_start (&worker, IDLE_PROGRAM, SERIAL);

  call_start (&worker, empty_options ());
  wait_state (&worker, "running");
  g_assert_cmpuint (hull_dbus_worker_get_boots (worker.proxy), ==, 1);
  assert_status (&worker, "running", "", 1);
  file = read_status (&worker);
  g_assert_cmpint (g_key_file_get_int64 (file, "worker", "started", NULL), >, 0);

  hull_dbus_worker_call_pause_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  wait_state (&worker, "paused");
  assert_status (&worker, "paused", "", 1);

  hull_dbus_worker_call_resume_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  wait_state (&worker, "running");
  assert_status (&worker, "running", "", 1);

  hull_dbus_worker_call_reset_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (hull_dbus_worker_get_boots (worker.proxy) == 2);
  g_assert_cmpstr (hull_dbus_worker_get_state (worker.proxy), ==, "running");
  assert_status (&worker, "running", "", 2);

  /* Reset from paused runs again. */
  hull_dbus_worker_call_pause_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  hull_dbus_worker_call_reset_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (hull_dbus_worker_get_boots (worker.proxy) == 3);
  wait_state (&worker, "running");

  /* Each change came as its own PropertiesChanged (a Reset while running
   * changes Boots only). */
  g_assert_cmpuint (worker.states->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpstr (g_ptr_array_index (worker.states, i), ==, expected[i]);
  call_stop (&worker);
}

/* Start with "paused": the guest does not run until Resume. */
static void
test_start_paused (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  GVariantDict options;

  worker_start (&worker, HELLO_PROGRAM, SERIAL);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "paused", "b", TRUE);
  call_start (&worker, g_variant_dict_end (&options));
  wait_state (&worker, "paused");
  g_assert_cmpuint (hull_dbus_worker_get_boots (worker.proxy), ==, 1);
  g_assert_cmpuint (stat_uint64 (&worker, "console-bytes"), ==, 0);

  hull_dbus_worker_call_resume_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  wait_state (&worker, "running");
  WAIT_UNTIL (stat_uint64 (&worker, "console-bytes") == 3);
  call_stop (&worker);
}

typedef enum
{
  CALL_START,
  CALL_PAUSE,
  CALL_RESUME,
  CALL_RESET,
  CALL_CLEAR_HALT,
} Call;

static gboolean
call (Worker *worker, Call which, GVariant *options, GError **error)
{
  switch (which)
    {
      case CALL_START:
        return hull_dbus_worker_call_start_sync (worker->proxy, options, NULL, error);
      case CALL_PAUSE:
        return hull_dbus_worker_call_pause_sync (worker->proxy, options, NULL, error);
      case CALL_RESUME:
        return hull_dbus_worker_call_resume_sync (worker->proxy, options, NULL, error);
      case CALL_RESET:
        return hull_dbus_worker_call_reset_sync (worker->proxy, options, NULL, error);
      case CALL_CLEAR_HALT:
      default:
        return hull_dbus_worker_call_clear_halt_sync (worker->proxy, options, NULL, error);
    }
}

static void
assert_invalid_state (Worker *worker, Call which, const char *message)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (call (worker, which, empty_options (), &error));
  assert_dbus_error (error, HULL_ERROR_INVALID_STATE, "org.hullvm.Hull1.Error.InvalidState",
                     message);
}

/* Calls in the wrong state fail with InvalidState, naming the domain, and
 * change nothing. */
static void
test_wrong_state (void)
{
  g_auto (Worker) worker = { 0 };
  g_autofree char *created = NULL;
  g_autofree char *running = NULL;
  g_autofree char *paused = NULL;

  worker_start (&worker, IDLE_PROGRAM, SERIAL);
  assert_invalid_state (&worker, CALL_PAUSE, "domain 'vm' is not running");
  assert_invalid_state (&worker, CALL_RESUME, "domain 'vm' is not paused");
  assert_invalid_state (&worker, CALL_RESET, "domain 'vm' has not been started");
  assert_invalid_state (&worker, CALL_CLEAR_HALT, "domain 'vm' is not halted");
  created = remote_state (&worker);
  g_assert_cmpstr (created, ==, "created");
  assert_status (&worker, "created", "", 0);

  call_start (&worker, empty_options ());
  assert_invalid_state (&worker, CALL_START, "domain 'vm' has already been started");
  assert_invalid_state (&worker, CALL_RESUME, "domain 'vm' is not paused");
  assert_invalid_state (&worker, CALL_CLEAR_HALT, "domain 'vm' is not halted");
  running = remote_state (&worker);
  g_assert_cmpstr (running, ==, "running");

  g_assert_true (call (&worker, CALL_PAUSE, empty_options (), NULL));
  assert_invalid_state (&worker, CALL_PAUSE, "domain 'vm' is not running");
  assert_invalid_state (&worker, CALL_START, "domain 'vm' has already been started");
  paused = remote_state (&worker);
  g_assert_cmpstr (paused, ==, "paused");
  assert_status (&worker, "paused", "", 1);

  /* Only the two real changes were announced. */
  wait_state (&worker, "paused");
  g_assert_cmpuint (worker.states->len, ==, 2);
  call_stop (&worker);
}

/* Unknown and mistyped options are InvalidArgument, and change nothing. */
static void
test_options (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) unknown = NULL;
  g_autoptr (GError) mistyped = NULL;
  g_autoptr (GError) depth = NULL;
  g_autoptr (GError) port = NULL;
  g_autoptr (GError) no_port = NULL;
  g_autoptr (GVariant) tree = NULL;
  g_autofree char *state = NULL;
  GVariantDict options;
  int fd;

  worker_start (&worker, IDLE_PROGRAM, SERIAL);

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "bogus", "b", TRUE);
  g_assert_false (call (&worker, CALL_START, g_variant_dict_end (&options), &unknown));
  assert_dbus_error (unknown, HULL_ERROR_INVALID_ARGUMENT, "org.hullvm.Hull1.Error.InvalidArgument",
                     "Start: unknown option 'bogus'");

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "paused", "u", 1);
  g_assert_false (call (&worker, CALL_START, g_variant_dict_end (&options), &mistyped));
  assert_dbus_error (mistyped, HULL_ERROR_INVALID_ARGUMENT,
                     "org.hullvm.Hull1.Error.InvalidArgument",
                     "option 'paused' must be of type 'b', not 'u'");

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "depth", "s", "deep");
  g_assert_false (hull_dbus_worker_call_inspect_sync (
      worker.proxy, "", g_variant_dict_end (&options), &tree, NULL, &depth));
  assert_dbus_error (depth, HULL_ERROR_INVALID_ARGUMENT, "org.hullvm.Hull1.Error.InvalidArgument",
                     "option 'depth'");

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "port", "s", "0");
  fd = open_console (&worker, g_variant_dict_end (&options), &port);
  g_assert_cmpint (fd, ==, -1);
  assert_dbus_error (port, HULL_ERROR_INVALID_ARGUMENT, "org.hullvm.Hull1.Error.InvalidArgument",
                     "option 'port'");

  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "port", "u", 2);
  fd = open_console (&worker, g_variant_dict_end (&options), &no_port);
  g_assert_cmpint (fd, ==, -1);
  assert_dbus_error (no_port, HULL_ERROR_NOT_FOUND, "org.hullvm.Hull1.Error.NotFound",
                     "domain 'vm' has no serial port 2");

  state = remote_state (&worker);
  g_assert_cmpstr (state, ==, "created");
  call_stop (&worker);
}

/* A guest power-off: Halted, State "halted", the halt's kind and
 * description, the status record; the worker does not act on it. ClearHalt
 * lets the VPs run again; Reset boots again, and the guest halts again. */
static void
test_halt (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;

  worker_start (&worker, HELLO_PROGRAM "<hull:halt reason='poweroff'/>", SERIAL);
  call_start (&worker, empty_options ());
  WAIT_UNTIL (worker.halts->len == 1);
  g_assert_cmpstr (g_ptr_array_index (worker.halts, 0), ==, "power-off: power-off (VP 0)");
  /* The properties came before the signal. */
  g_assert_cmpstr (hull_dbus_worker_get_state (worker.proxy), ==, "halted");
  g_assert_cmpstr (hull_dbus_worker_get_halt_kind (worker.proxy), ==, "power-off");
  g_assert_cmpstr (hull_dbus_worker_get_halt_description (worker.proxy), ==, "power-off (VP 0)");
  assert_status (&worker, "halted", "power-off", 1);
  /* The guest's output reached the console log before the halt. */
  g_assert_cmpuint (stat_uint64 (&worker, "console-bytes"), ==, 3);
  assert_invalid_state (&worker, CALL_PAUSE, "domain 'vm' is not running");
  assert_invalid_state (&worker, CALL_RESUME, "domain 'vm' is not paused");

  hull_dbus_worker_call_clear_halt_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  wait_state (&worker, "running");
  assert_status (&worker, "running", "power-off", 1);

  hull_dbus_worker_call_reset_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (worker.halts->len == 2);
  wait_state (&worker, "halted");
  g_assert_cmpuint (hull_dbus_worker_get_boots (worker.proxy), ==, 2);
  assert_status (&worker, "halted", "power-off", 2);
  WAIT_UNTIL (stat_uint64 (&worker, "console-bytes") == 6);
  call_stop (&worker);

  /* Serial port 0's output is in the console log, twice. */
  {
    g_autofree char *log = g_build_filename (worker.dir, "console.log", NULL);
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
    g_assert_cmpstr (text, ==, "Hi\nHi\n");
  }
}

/* Inspect returns the machine's tree as a variant; a wrong path is
 * NotFound. */
static void
test_inspect (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) domain = NULL;
  g_autoptr (GVariant) backend = NULL;
  g_autoptr (GVariant) name = NULL;
  g_autoptr (GVariant) tree = NULL;
  g_autoptr (GVariant) unit = NULL;
  g_autoptr (GVariant) root = NULL;
  GVariantDict options;

  worker_start (&worker, IDLE_PROGRAM, SERIAL);
  call_start (&worker, empty_options ());
  domain = inspect_field (&worker, "", "domain");
  g_assert_cmpstr (g_variant_get_string (domain, NULL), ==, "vm");
  backend = inspect_field (&worker, "", "backend");
  g_assert_cmpstr (g_variant_get_string (backend, NULL), ==, "test");
  name = inspect_field (&worker, "devices/ttyS0", "name");
  g_assert_cmpstr (g_variant_get_string (name, NULL), ==, "ttyS0");

  /* depth 0: the root's own fields, no children. */
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "depth", "u", 0);
  hull_dbus_worker_call_inspect_sync (worker.proxy, "", g_variant_dict_end (&options), &tree, NULL,
                                      &error);
  g_assert_no_error (error);
  root = g_variant_get_variant (tree);
  unit = g_variant_lookup_value (root, "unit", NULL);
  g_assert_null (unit);

  g_clear_pointer (&tree, g_variant_unref);
  g_assert_false (hull_dbus_worker_call_inspect_sync (worker.proxy, "no/such/node",
                                                      empty_options (), &tree, NULL, &error));
  assert_dbus_error (error, HULL_ERROR_NOT_FOUND, "org.hullvm.Hull1.Error.NotFound", "");
  call_stop (&worker);
}

/* GetStats has every documented key, with its type. */
static void
test_stats (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GVariant) dict = NULL;
  static const struct
  {
    const char *key;
    const char *type;
  } keys[] = {
    { "state", "s" },         { "boots", "u" },           { "boot-time-us", "x" },
    { "uptime-us", "x" },     { "vcpus", "u" },           { "memory", "t" },
    { "console-bytes", "t" }, { "console-dropped", "t" }, { "cpu-time-us", "t" },
    { "rss-bytes", "t" },
  };
  const char *state;
  guint64 memory, rss;

  worker_start (&worker, HELLO_PROGRAM, SERIAL);
  call_start (&worker, empty_options ());
  WAIT_UNTIL (stat_uint64 (&worker, "console-bytes") == 3);
  dict = stats (&worker);
  {
    g_autofree char *text = g_variant_print (dict, TRUE);

    g_test_message ("%s", text);
  }
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr (GVariant) value = g_variant_lookup_value (dict, keys[i].key, NULL);

      g_assert_nonnull (value);
      g_assert_cmpstr (g_variant_get_type_string (value), ==, keys[i].type);
    }
  g_assert_true (g_variant_lookup (dict, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "running");
  g_assert_cmpuint (stat_uint32 (&worker, "vcpus"), ==, 2);
  g_assert_true (g_variant_lookup (dict, "memory", "t", &memory));
  g_assert_cmpuint (memory, ==, 16 * 1024 * 1024);
  g_assert_true (g_variant_lookup (dict, "rss-bytes", "t", &rss));
  g_assert_cmpuint (rss, >, 0);
  call_stop (&worker);
}

/* A console opened after the guest wrote gets the ring first. */
static void
test_console_ring (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  int fd;

  worker_start (&worker, HELLO_PROGRAM, SERIAL);
  call_start (&worker, empty_options ());
  WAIT_UNTIL (stat_uint64 (&worker, "console-bytes") == 3);
  fd = open_console (&worker, console_options (TRUE, FALSE), &error);
  g_assert_no_error (error);
  text = read_exactly (fd, 3);
  g_assert_cmpstr (text, ==, "Hi\n");
  close (fd);
  call_stop (&worker);
}

/* Two readers connected before the guest runs get the same live output. */
static void
test_console_readers (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  GVariantDict options;
  int a, b;

  worker_start (&worker, HELLO_PROGRAM HELLO_PROGRAM, SERIAL);
  g_variant_dict_init (&options, NULL);
  g_variant_dict_insert (&options, "paused", "b", TRUE);
  call_start (&worker, g_variant_dict_end (&options));
  a = open_console (&worker, console_options (TRUE, FALSE), &error);
  g_assert_no_error (error);
  b = open_console (&worker, console_options (FALSE, FALSE), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stat_uint32 (&worker, "console-clients"), ==, 2);

  g_assert_true (call (&worker, CALL_RESUME, empty_options (), NULL));
  first = read_exactly (a, 6);
  second = read_exactly (b, 6);
  g_assert_cmpstr (first, ==, "Hi\nHi\n");
  g_assert_cmpstr (second, ==, "Hi\nHi\n");

  /* A reader that goes away is dropped. */
  close (a);
  WAIT_UNTIL (stat_uint32 (&worker, "console-clients") == 1);
  close (b);
  WAIT_UNTIL (stat_uint32 (&worker, "console-clients") == 0);
  call_stop (&worker);
}

/* One writer at a time; "force" takes the write side over and the old
 * writer stays as a reader, whose input is discarded. Input reaches the
 * guest's UART (its input-bytes counter: the test backend's guests cannot
 * echo what they read). */
static void
test_console_writer (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) busy = NULL;
  int first, reader, second;

  worker_start (&worker, IDLE_PROGRAM, SERIAL);
  call_start (&worker, empty_options ());
  first = open_console (&worker, empty_options (), &error);
  g_assert_no_error (error);

  g_assert_cmpint (open_console (&worker, empty_options (), &busy), ==, -1);
  assert_dbus_error (busy, HULL_ERROR_INVALID_STATE, "org.hullvm.Hull1.Error.InvalidState",
                     "the console of domain 'vm' is in use; use force to take it over");
  reader = open_console (&worker, console_options (TRUE, FALSE), &error);
  g_assert_no_error (error);

  write_all (first, "ab", 2);
  WAIT_UNTIL (uart_input_bytes (&worker) == 2);
  /* A reader's input goes nowhere: it is read and dropped, then its EOF. */
  write_all (reader, "xyz", 3);
  close (reader);
  WAIT_UNTIL (stat_uint32 (&worker, "console-clients") == 1);
  g_assert_cmpuint (uart_input_bytes (&worker), ==, 2);

  second = open_console (&worker, console_options (FALSE, TRUE), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (stat_uint32 (&worker, "console-clients"), ==, 2);
  /* The old writer is a reader now. */
  write_all (first, "xyz", 3);
  close (first);
  WAIT_UNTIL (stat_uint32 (&worker, "console-clients") == 1);
  g_assert_cmpuint (uart_input_bytes (&worker), ==, 2);
  write_all (second, "c", 1);
  WAIT_UNTIL (uart_input_bytes (&worker) == 3);
  close (second);
  call_stop (&worker);
}

/* A client that shuts down its write side (hullctl console with piped
 * input that ended) stays connected as a reader and keeps getting output
 * until it closes; it also gives up the write side. */
static void
test_console_half_close (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *later = NULL;
  int fd, writer;

  worker_start (&worker,
                "<hull:out port='0x3f8' value='0x2e'/><hull:spin usec='2000'/>"
                "<hull:jump step='0'/>",
                SERIAL);
  call_start (&worker, empty_options ());
  fd = open_console (&worker, empty_options (), &error);
  g_assert_no_error (error);
  first = read_exactly (fd, 1);
  g_assert_cmpint (shutdown (fd, SHUT_WR), ==, 0);
  /* The write side is free again... */
  writer = open_console (&worker, empty_options (), &error);
  g_assert_no_error (error);
  close (writer);
  /* ...and the half-closed client still reads the guest's output. */
  later = read_exactly (fd, 4);
  g_assert_cmpstr (later, ==, "....");
  WAIT_UNTIL (stat_uint32 (&worker, "console-clients") == 1);
  close (fd);
  WAIT_UNTIL (stat_uint32 (&worker, "console-clients") == 0);
  call_stop (&worker);
}

/* More input than the UART holds waits for the guest to read it: the
 * worker stops reading the client while the UART refuses, and resumes when
 * the guest makes room. The guest reads COM1's RBR in a loop. */
static void
test_console_backpressure (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *input = g_malloc (8192);
  int fd;

  memset (input, 'q', 8192);
  worker_start (&worker,
                "<hull:in port='0x3f8' size='1'/><hull:spin usec='20'/><hull:jump step='0'/>",
                SERIAL);
  fd = open_console (&worker, empty_options (), &error);
  g_assert_no_error (error);
  /* Before the guest runs: the UART's queue fills and refuses the rest. */
  write_all (fd, input, 8192);
  WAIT_UNTIL (uart_input_refused (&worker) > 0);
  g_assert_cmpuint (uart_input_bytes (&worker), <, 8192);
  call_start (&worker, empty_options ());
  WAIT_UNTIL (uart_input_bytes (&worker) == 8192);
  close (fd);
  call_stop (&worker);
}

/* A reader that never reads is disconnected once it is far behind; the
 * guest keeps running and other clients are not held up. */
static void
test_console_slow_reader (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  int slow;
  gsize got = 0;

  worker_start (&worker, "<hull:out port='0x3f8' value='0x41'/><hull:jump step='0'/>", SERIAL);
  slow = open_console (&worker, console_options (TRUE, FALSE), &error);
  g_assert_no_error (error);
  call_start (&worker, empty_options ());
  WAIT_UNTIL (stat_uint32 (&worker, "console-clients") == 0);
  g_assert_true (call (&worker, CALL_PAUSE, empty_options (), NULL));
  /* What was sent before the disconnect is there, then EOF. */
  for (;;)
    {
      char buffer[65536];
      gssize n = read (slow, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >=, 0);
      if (n == 0)
        break;
      got += (gsize)n;
    }
  g_assert_cmpuint (got, >, 0);
  g_assert_cmpuint (stat_uint64 (&worker, "console-bytes"), >, 1024 * 1024);
  close (slow);
  call_stop (&worker);
}

/* The worker outlives its client's connection (hulld restarting) and
 * serves several connections at once: each sees every property change. */
static void
test_reconnect (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GDBusConnection) other = NULL;
  g_autoptr (HullDBusWorker) other_proxy = NULL;
  g_autofree char *state = NULL;

  worker_start (&worker, IDLE_PROGRAM, SERIAL);
  call_start (&worker, empty_options ());

  g_signal_handlers_disconnect_by_data (worker.proxy, &worker);
  g_clear_object (&worker.proxy);
  g_dbus_connection_close_sync (worker.connection, NULL, NULL);
  g_clear_object (&worker.connection);

  worker_connect (&worker);
  state = remote_state (&worker);
  g_assert_cmpstr (state, ==, "running");
  g_assert_cmpstr (hull_dbus_worker_get_state (worker.proxy), ==, "running");
  g_assert_cmpint (waitpid (worker.pid, NULL, WNOHANG), ==, 0);

  /* A second connection: both get the change. */
  other_proxy = connect_proxy (&worker, &other);
  g_assert_true (call (&worker, CALL_PAUSE, empty_options (), NULL));
  wait_state (&worker, "paused");
  WAIT_UNTIL (g_strcmp0 (hull_dbus_worker_get_state (other_proxy), "paused") == 0);
  g_clear_object (&other_proxy);
  g_dbus_connection_close_sync (other, NULL, NULL);
  call_stop (&worker);
}

/* SIGTERM stops the worker as Stop does: exit 0, files removed. */
static void
test_sigterm (void)
{
  g_auto (Worker) worker = { 0 };

  worker_start (&worker, IDLE_PROGRAM, SERIAL);
  call_start (&worker, empty_options ());
  g_assert_cmpint (kill (worker.pid, SIGTERM), ==, 0);
  g_assert_cmpint (wait_exit (&worker), ==, 0);
  g_assert_false (g_file_test (worker.socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (worker.status, G_FILE_TEST_EXISTS));
}

/* What hulld makes for a worker (docs/daemon.md): the socket, bound and
 * listening; the status record, empty; the console log; the definition. */
typedef struct
{
  int listen_fd;
  int status_fd;
  int console_log_fd;
  int xml_fd;
  char *console_log;
} HulldFiles;

static void
hulld_files_open (Worker *worker, HulldFiles *files)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  g_autofree char *vm_dir = g_build_filename (worker->dir, "vm", NULL);

  g_assert_cmpint (g_mkdir (vm_dir, 0700), ==, 0);
  g_assert_cmpuint (strlen (worker->socket), <, sizeof address.sun_path);
  strcpy (address.sun_path, worker->socket);
  files->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (files->listen_fd, >=, 0);
  g_assert_cmpint (bind (files->listen_fd, (struct sockaddr *)&address, sizeof address), ==, 0);
  g_assert_cmpint (listen (files->listen_fd, 16), ==, 0);
  files->status_fd = open (worker->status, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  g_assert_cmpint (files->status_fd, >=, 0);
  files->console_log = g_build_filename (worker->dir, "console.log", NULL);
  files->console_log_fd
      = open (files->console_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  g_assert_cmpint (files->console_log_fd, >=, 0);
  files->xml_fd = open (worker->xml, O_RDONLY | O_CLOEXEC);
  g_assert_cmpint (files->xml_fd, >=, 0);
}

static void
hulld_files_close (HulldFiles *files)
{
  close (files->listen_fd);
  close (files->status_fd);
  close (files->console_log_fd);
  close (files->xml_fd);
  g_free (files->console_log);
}

/* The record as read through hulld's own fd: the same file, rewritten in
 * place. */
static char *
read_status_fd (int fd)
{
  char buffer[4096];
  gssize n = pread (fd, buffer, sizeof buffer - 1, 0);

  g_assert_cmpint (n, >, 0);
  buffer[n] = '\0';
  return g_strdup (buffer);
}

/* hulld's way: --listen-fd, --status-fd, --console-log-fd and --xml-fd
 * (the --xml path only names it, and is gone) run the same lifecycle; the
 * status record is rewritten in place (hulld's fd sees each state) and
 * Stop leaves the socket and status record to hulld. */
static void
test_fds (void)
{
  g_auto (Worker) worker = { 0 };
  g_autoptr (GError) error = NULL;
  g_autofree char *log = NULL;
  g_autofree char *text = NULL;
  HulldFiles files;
  struct stat before, after;
  const char *args[] = {
    "--worker",  "--uuid",           UUID,       "--xml",       NULL, "--runtime-dir",
    NULL,        "--ready-fd",       "3",        "--listen-fd", "4",  "--status-fd",
    "5",         "--console-log-fd", "6",        "--xml-fd",    "7",  "--console-log",
    "named.log", "--speed",          "emulated", NULL,
  };

  worker_init (&worker, HELLO_PROGRAM, NULL, SERIAL);
  hulld_files_open (&worker, &files);
  {
    const int fds[] = { files.listen_fd, files.status_fd, files.console_log_fd, files.xml_fd };

    args[4] = worker.xml;
    args[6] = worker.dir;
    g_assert_cmpint (g_unlink (worker.xml), ==, 0);
    g_assert_cmpint (fstat (files.status_fd, &before), ==, 0);
    worker.ready = read_ready (spawn_args_fds (&worker, args, fds, G_N_ELEMENTS (fds)));
  }
  if (g_strcmp0 (worker.ready, "READY") != 0)
    print_log (&worker);
  g_assert_cmpstr (worker.ready, ==, "READY");
  worker_connect (&worker);
  text = read_status_fd (files.status_fd);
  g_assert_nonnull (strstr (text, "state=created\n"));
  g_clear_pointer (&text, g_free);

  call_start (&worker, empty_options ());
  wait_state (&worker, "running");
  assert_status (&worker, "running", "", 1);
  text = read_status_fd (files.status_fd);
  g_assert_nonnull (strstr (text, "state=running\n"));
  g_clear_pointer (&text, g_free);
  hull_dbus_worker_call_pause_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  wait_state (&worker, "paused");
  text = read_status_fd (files.status_fd);
  g_assert_nonnull (strstr (text, "state=paused\n"));
  /* Shorter than with "running": the tail was cut off. */
  g_assert_cmpint (fstat (files.status_fd, &after), ==, 0);
  g_assert_cmpuint (strlen (text), ==, (gsize)after.st_size);
  g_clear_pointer (&text, g_free);
  g_assert_cmpint (g_stat (worker.status, &after), ==, 0);
  g_assert_cmpuint (after.st_ino, ==, before.st_ino);

  /* The guest's output reached the log hulld opened. */
  WAIT_UNTIL (g_file_get_contents (files.console_log, &log, NULL, NULL)
              && strstr (log, "Hi\n") != NULL);

  hull_dbus_worker_call_stop_sync (worker.proxy, empty_options (), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wait_exit (&worker), ==, 0);
  /* hulld's to remove, not the worker's. */
  g_assert_true (g_file_test (worker.socket, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (worker.status, G_FILE_TEST_EXISTS));
  hulld_files_close (&files);
}

/* --kernel-fd is read instead of the definition's path: a path that does
 * not exist does not matter, the fd's contents do. --kernel-fd without a
 * kernel, a closed fd and a bad --speed are usage errors. */
static void
test_fd_errors (void)
{
  static const struct
  {
    const char *option;
    const char *value; /* NULL: an fd to a file that is not a kernel */
    const char *message;
    int status;
  } cases[] = {
    { "--kernel-fd", NULL, "kernel", 1 },
    { "--kernel-fd", "9", "--kernel-fd 9 is not an open file descriptor", 2 },
    { "--listen-fd", "3", "--listen-fd 3 is not an open file descriptor", 2 },
    { "--speed", "warp", "--speed must be", 2 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (Worker) worker = { 0 };
      g_autofree char *junk = NULL;
      int fd = -1;
      const char *args[] = {
        "--worker",
        "--uuid",
        UUID,
        "--xml",
        NULL,
        "--runtime-dir",
        NULL,
        "--ready-fd",
        "3",
        cases[i].option,
        cases[i].value != NULL ? cases[i].value : "4",
        NULL,
      };

      worker_init (&worker, IDLE_PROGRAM, NULL, NULL);
      if (cases[i].value == NULL)
        {
          /* A definition naming a kernel that is not there; the fd is what
           * counts. */
          g_autofree char *xml = NULL;
          g_autofree char *with_kernel = NULL;
          g_auto (GStrv) parts = NULL;

          g_assert_true (g_file_get_contents (worker.xml, &xml, NULL, NULL));
          parts = g_strsplit (xml, "<devices>", 2);
          with_kernel = g_strconcat (parts[0], "<os><kernel>/nonexistent/vmlinux</kernel></os>",
                                     "<devices>", parts[1], NULL);
          g_assert_true (g_file_set_contents (worker.xml, with_kernel, -1, NULL));
          junk = g_build_filename (worker.dir, "junk", NULL);
          g_assert_true (g_file_set_contents (junk, "this is not a kernel", -1, NULL));
          fd = open (junk, O_RDONLY | O_CLOEXEC);
          g_assert_cmpint (fd, >=, 0);
        }
      args[4] = worker.xml;
      args[6] = worker.dir;
      worker.ready = read_ready (spawn_args_fds (&worker, args, &fd, fd >= 0 ? 1 : 0));
      g_test_message ("%s %s: %s", cases[i].option, cases[i].value, worker.ready);
      g_assert_true (g_str_has_prefix (worker.ready, "ERROR "));
      g_assert_nonnull (strstr (worker.ready, cases[i].message));
      if (cases[i].value == NULL)
        g_assert_null (strstr (worker.ready, "/nonexistent/vmlinux: No such file"));
      g_assert_cmpint (wait_exit (&worker), ==, cases[i].status);
      if (fd >= 0)
        close (fd);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Registers the HULL_ERROR D-Bus names, so that errors map back. */
  (void)HULL_ERROR;

  g_test_add_func ("/hull/worker/ready", test_ready);
  g_test_add_func ("/hull/worker/stale-socket", test_stale_socket);
  for (guint i = 0; i < G_N_ELEMENTS (setup_cases); i++)
    {
      g_autofree char *name = g_strconcat ("/hull/worker/setup-error/", setup_cases[i].name, NULL);

      g_test_add_data_func (name, &setup_cases[i], test_setup_error);
    }
  g_test_add_func ("/hull/worker/lifecycle", test_lifecycle);
  g_test_add_func ("/hull/worker/start-paused", test_start_paused);
  g_test_add_func ("/hull/worker/wrong-state", test_wrong_state);
  g_test_add_func ("/hull/worker/options", test_options);
  g_test_add_func ("/hull/worker/halt", test_halt);
  g_test_add_func ("/hull/worker/inspect", test_inspect);
  g_test_add_func ("/hull/worker/stats", test_stats);
  g_test_add_func ("/hull/worker/console/ring", test_console_ring);
  g_test_add_func ("/hull/worker/console/readers", test_console_readers);
  g_test_add_func ("/hull/worker/console/writer", test_console_writer);
  g_test_add_func ("/hull/worker/console/half-close", test_console_half_close);
  g_test_add_func ("/hull/worker/console/backpressure", test_console_backpressure);
  g_test_add_func ("/hull/worker/console/slow-reader", test_console_slow_reader);
  g_test_add_func ("/hull/worker/reconnect", test_reconnect);
  g_test_add_func ("/hull/worker/sigterm", test_sigterm);
  g_test_add_func ("/hull/worker/fds", test_fds);
  g_test_add_func ("/hull/worker/fd-errors", test_fd_errors);
  return g_test_run ();
}
