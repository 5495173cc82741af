/* HullWorkerClient (daemon/hull-worker-client.c): spawning a worker and
 * reading its ready line, attaching to a running one, stopping, killing and
 * noticing a worker's death; against test-fake-worker for the edge cases
 * and ../daemon/hull-vm --worker with the test backend.
 *
 * Every wait is bounded (a hung test fails instead of hanging); no test
 * passes or fails on how long something took.
 */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hull-error.h"
#include "hull-worker-client.h"
#include "test-util.h"

/* Generous: the worker under the sanitizers, or valgrind. */
#define WAIT_LIMIT_S 60

#define UUID "6b0e8bd4-3f1c-4c56-9d8e-2a7c5f1e0b11"

typedef struct
{
  char *dir;         /* everything below */
  char *runtime_dir; /* with vm/ */
  char *xml_path;
  char *log_path;
  char *console_log_path;
  char *worker_path;
  HullWorkerSpawnOptions options;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *vm_dir = NULL;

  f->dir = g_dir_make_tmp ("hull-wc-XXXXXX", &error);
  g_assert_no_error (error);
  f->runtime_dir = g_build_filename (f->dir, "run", NULL);
  vm_dir = g_build_filename (f->runtime_dir, "vm", NULL);
  g_assert_cmpint (g_mkdir_with_parents (vm_dir, 0700), ==, 0);
  f->xml_path = g_build_filename (vm_dir, UUID ".xml", NULL);
  f->log_path = g_build_filename (f->dir, UUID ".log", NULL);
  f->console_log_path = g_build_filename (f->dir, UUID ".console.log", NULL);
  f->worker_path = g_test_build_filename (G_TEST_BUILT, "test-fake-worker", NULL);

  f->options.worker_path = f->worker_path;
  f->options.uuid = UUID;
  f->options.xml_path = f->xml_path;
  f->options.runtime_dir = f->runtime_dir;
  f->options.log_path = f->log_path;
  f->options.console_log_path = f->console_log_path;
  f->options.backend_dir = g_getenv ("HULL_BACKEND_DIR");
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  /* Run what is still pending (detached reapers, closing connections). */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  hull_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->runtime_dir);
  g_free (f->xml_path);
  g_free (f->log_path);
  g_free (f->console_log_path);
  g_free (f->worker_path);
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
read_log (Fixture *f)
{
  char *contents = NULL;

  if (!g_file_get_contents (f->log_path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

/* The fake worker's pid, from the file it writes first; 0 if absent. */
static GPid
fake_pid (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->runtime_dir, "fake-" UUID ".pid", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return (GPid)g_ascii_strtoll (text, NULL, 10);
}

/* No process, not even a zombie: our child was reaped. */
static gboolean
process_gone (GPid pid)
{
  return kill (pid, 0) < 0 && errno == ESRCH;
}

static void
assert_gone_soon (GPid pid)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_USEC_PER_SEC;
  guint id = g_timeout_add (20, hull_test_tick, NULL);

  while (!process_gone (pid))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("process %d is still there", (int)pid);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (id);
}

/* The fake's own checks: a session of its own, no stray fds. */
static void
assert_log_clean (Fixture *f)
{
  g_autofree char *log = read_log (f);

  g_assert_null (strstr (log, "PROBLEM"));
}

/* --- spawning ------------------------------------------------------------ */

typedef struct
{
  gboolean done;
  HullWorkerClient *client;
  GError *error;
} SpawnResult;

static void
spawned (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SpawnResult *r = user_data;

  r->client = hull_worker_client_spawn_finish (result, &r->error);
  r->done = TRUE;
}

static void
attached (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SpawnResult *r = user_data;

  r->client = hull_worker_client_attach_finish (result, &r->error);
  r->done = TRUE;
}

/* Spawns the fake worker told @mode; returns the client or sets @error. */
static HullWorkerClient *
spawn_fake (Fixture *f, const char *mode, GError **error)
{
  SpawnResult r = { 0 };

  write_file (f->xml_path, mode);
  hull_worker_client_spawn_async (&f->options, NULL, spawned, &r);
  hull_test_wait_for (&r.done, "the spawn", WAIT_LIMIT_S);
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.client;
}

static HullWorkerClient *
attach (Fixture *f, GError **error)
{
  SpawnResult r = { 0 };

  hull_worker_client_attach_async (f->runtime_dir, UUID, NULL, attached, &r);
  hull_test_wait_for (&r.done, "the attach", WAIT_LIMIT_S);
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.client;
}

typedef struct
{
  guint n_closed;
  gboolean closed;
  gboolean expected;
  guint n_halted;
  char *halt_kind;
  GPtrArray *states;
} Events;

static void
on_closed (HullWorkerClient *client, gboolean expected, gpointer user_data)
{
  Events *e = user_data;

  e->n_closed++;
  e->closed = TRUE;
  e->expected = expected;
}

static void
on_halted (HullWorkerClient *client, const char *kind, const char *description, gpointer user_data)
{
  Events *e = user_data;

  e->n_halted++;
  g_free (e->halt_kind);
  e->halt_kind = g_strdup (kind);
}

static void
on_state_changed (HullWorkerClient *client, const char *state, gpointer user_data)
{
  Events *e = user_data;

  g_ptr_array_add (e->states, g_strdup (state));
}

static void
events_watch (Events *e, HullWorkerClient *client)
{
  e->states = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (client, "closed", G_CALLBACK (on_closed), e);
  g_signal_connect (client, "halted", G_CALLBACK (on_halted), e);
  g_signal_connect (client, "state-changed", G_CALLBACK (on_state_changed), e);
}

static void
events_clear (Events *e)
{
  g_free (e->halt_kind);
  g_clear_pointer (&e->states, g_ptr_array_unref);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
} StopResult;

static void
stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StopResult *r = user_data;

  r->ok = hull_worker_client_stop_finish (HULL_WORKER_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
stop (HullWorkerClient *client)
{
  StopResult r = { 0 };

  hull_worker_client_stop_async (client, NULL, stopped, &r);
  hull_test_wait_for (&r.done, "the stop", WAIT_LIMIT_S);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
}

/* READY: a connected proxy; the worker got the documented command line,
 * its own session, the log as stdout and no stray fd; stop_async() asks it
 * to go, reaps it, and "closed" says it was expected. */
static void
test_spawn_ready_and_stop (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = spawn_fake (f, "ready", &error);
  g_autofree char *log = NULL;
  g_autofree char *socket_path = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  Events e = { 0 };
  HullDBusWorker *proxy;
  GPid pid;

  g_assert_no_error (error);
  g_assert_nonnull (client);
  pid = hull_worker_client_get_pid (client);
  g_assert_cmpint (pid, ==, fake_pid (f));
  proxy = hull_worker_client_get_proxy (client);
  g_assert_nonnull (proxy);
  g_assert_cmpstr (hull_dbus_worker_get_uuid (proxy), ==, UUID);
  g_assert_cmpstr (hull_dbus_worker_get_state (proxy), ==, "created");

  log = read_log (f);
  g_assert_nonnull (strstr (log, "fake worker for " UUID ": console-log "));
  g_assert_nonnull (strstr (log, f->console_log_path));
  g_assert_nonnull (strstr (log, "fake worker stderr"));
  assert_log_clean (f);

  events_watch (&e, client);
  stop (client);
  g_assert_cmpuint (e.n_closed, ==, 1);
  g_assert_true (e.expected);
  /* Reaped before the stop completed. */
  g_assert_true (process_gone (pid));
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));

  /* Stopping a stopped worker is fine, and says nothing more. */
  stop (client);
  g_assert_cmpuint (e.n_closed, ==, 1);
  events_clear (&e);
}

/* Worker.Halted and State changes come out as "halted" and
 * "state-changed". */
static void
test_signals (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = spawn_fake (f, "ready", &error);
  Events e = { 0 };
  gboolean halted_state = FALSE;
  gint64 deadline;

  g_assert_no_error (error);
  events_watch (&e, client);
  hull_dbus_worker_call_start (hull_worker_client_get_proxy (client), g_variant_new ("a{sv}", NULL),
                               NULL, NULL, NULL);

  deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_USEC_PER_SEC;
  while (e.n_halted == 0 || !halted_state)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("no halt");
      g_main_context_iteration (NULL, TRUE);
      halted_state = e.states->len > 0
                     && strcmp (g_ptr_array_index (e.states, e.states->len - 1), "halted") == 0;
    }
  g_assert_cmpuint (e.n_halted, ==, 1);
  g_assert_cmpstr (e.halt_kind, ==, "power-off");
  g_assert_cmpstr (g_ptr_array_index (e.states, 0), ==, "running");
  g_assert_cmpstr (hull_dbus_worker_get_state (hull_worker_client_get_proxy (client)), ==,
                   "halted");
  g_assert_cmpuint (e.n_closed, ==, 0);

  stop (client);
  g_assert_true (e.expected);
  events_clear (&e);
}

/* ERROR <code> <message>: the worker's own error, code and message; the
 * worker is gone (reaped) when the spawn fails. */
static void
test_spawn_error_line (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client
      = spawn_fake (f, "error 3 domain 'vm': <vcpu> must be at least 1", &error);
  GPid pid = fake_pid (f);

  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID);
  g_assert_cmpstr (error->message, ==, "domain 'vm': <vcpu> must be at least 1");
  g_assert_cmpint (pid, >, 0);
  g_assert_true (process_gone (pid));
  assert_log_clean (f);
  /* The socket and status record we made for it are gone again. */
  {
    g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
    g_autofree char *status = g_build_filename (f->runtime_dir, "vm", UUID ".status", NULL);

    g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (status, G_FILE_TEST_EXISTS));
  }
}

/* What hulld opens for the worker arrives as fds on the documented numbers
 * (the fake checks that it has no others, and PR_SET_NO_NEW_PRIVS): the
 * kernel and initrd, the hypervisor device, with --speed; the socket and
 * status record hulld made are 0600, and removed after the stop. */
static void
test_spawn_files (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = NULL;
  g_autofree char *kernel = g_build_filename (f->dir, "vmlinux", NULL);
  g_autofree char *initrd = g_build_filename (f->dir, "initrd", NULL);
  g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  g_autofree char *status = g_build_filename (f->runtime_dir, "vm", UUID ".status", NULL);
  g_autofree char *log = NULL;
  GStatBuf st;

  write_file (kernel, "kernel");
  write_file (initrd, "initrd");
  f->options.kernel_path = kernel;
  f->options.initrd_path = initrd;
  f->options.kvm_device = "/dev/null";
  f->options.speed = "hardware";
  client = spawn_fake (f, "ready", &error);
  g_assert_no_error (error);
  log = read_log (f);
  g_assert_nonnull (strstr (log, "speed hardware, kvm-fd 8, kernel-fd 9, initrd-fd 10\n"));
  assert_log_clean (f);
  g_assert_cmpint (g_lstat (socket, &st), ==, 0);
  g_assert_true (S_ISSOCK (st.st_mode));
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (status, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (f->console_log_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  stop (client);
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (status, G_FILE_TEST_EXISTS));
}

/* Files hulld cannot open fail the start before any worker runs:
 * NotFound naming the user and a missing kernel; BackendUnavailable for a
 * device that is not there. Nothing is left behind. */
static void
test_spawn_open_errors (Fixture *f, gconstpointer data)
{
  g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  g_autofree char *status = g_build_filename (f->runtime_dir, "vm", UUID ".status", NULL);

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (HullWorkerClient) client = NULL;

    f->options.name = "web";
    f->options.owner = getuid ();
    f->options.kernel_path = "/nonexistent/vmlinux";
    client = spawn_fake (f, "ready", &error);
    g_assert_null (client);
    g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
    g_test_message ("%s", error->message);
    g_assert_true (g_str_has_prefix (error->message, "domain 'web': user '"));
    g_assert_nonnull (strstr (error->message, "' cannot read kernel '/nonexistent/vmlinux': "));
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (HullWorkerClient) client = NULL;

    f->options.kernel_path = NULL;
    f->options.kvm_device = "/nonexistent/kvm";
    client = spawn_fake (f, "ready", &error);
    g_assert_null (client);
    g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_UNAVAILABLE);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "/nonexistent/kvm"));
  }
  g_assert_cmpint (fake_pid (f), ==, 0);
  g_assert_false (g_file_test (f->log_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (status, G_FILE_TEST_EXISTS));
}

/* A code out of range, or not a number: HULL_ERROR_FAILED, same message. */
static void
test_spawn_error_bad_code (Fixture *f, gconstpointer data)
{
  const char *modes[] = { "error 9999 too far", "error -1 too far", "error x too far" };

  for (gsize i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (HullWorkerClient) client = spawn_fake (f, modes[i], &error);

      g_assert_null (client);
      g_assert_error (error, HULL_ERROR, HULL_ERROR_FAILED);
      g_assert_cmpstr (error->message, ==, "too far");
      g_assert_true (process_gone (fake_pid (f)));
    }
}

/* Exit without a line: FAILED, naming the exit status and the log; no
 * zombie. */
static void
test_spawn_exit_without_line (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = spawn_fake (f, "exit 7", &error);
  GPid pid = fake_pid (f);

  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "exited during setup (status 7)"));
  g_assert_nonnull (strstr (error->message, f->log_path));
  g_assert_nonnull (strstr (error->message, UUID));
  g_assert_cmpint (pid, >, 0);
  g_assert_true (process_gone (pid));
}

/* A binary that is not there: FAILED naming it, nothing spawned. */
static void
test_spawn_no_binary (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = NULL;

  f->options.worker_path = "/nonexistent/hull-vm";
  client = spawn_fake (f, "ready", &error);
  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent/hull-vm"));
}

/* Silence: TIMED_OUT after the ready timeout, the worker killed and
 * reaped. */
static void
test_spawn_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = NULL;
  GPid pid;

  f->options.ready_timeout_ms = 1500;
  client = spawn_fake (f, "hang", &error);
  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, f->log_path));
  pid = fake_pid (f);
  if (pid == 0)
    g_test_message ("the fake did not get to write its pid in time; not checking it is gone");
  else
    g_assert_true (process_gone (pid));
}

/* Something else than READY or ERROR: FAILED quoting it, worker killed. */
static void
test_spawn_garbage (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = spawn_fake (f, "garbage", &error);

  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "\"HELLO\""));
  g_assert_true (process_gone (fake_pid (f)));
}

/* A ready line without an end: hulld reads no more than 4096 bytes of it,
 * then fails the start with FAILED naming the limit; the worker (blocked
 * writing the rest) is killed and reaped. */
static void
test_spawn_flood (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = spawn_fake (f, "flood", &error);
  GPid pid = fake_pid (f);

  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, UUID));
  g_assert_nonnull (strstr (error->message, "4096 bytes"));
  g_assert_nonnull (strstr (error->message, f->log_path));
  g_assert_cmpint (pid, >, 0);
  g_assert_true (process_gone (pid));
}

/* Spawns "ready" with @path planted as a link to a file of "secret": the
 * start fails with IO saying @reason before any worker runs, the target
 * is untouched. */
static void
assert_link_refused (Fixture *f, const char *path, gboolean symbolic, const char *reason)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = NULL;
  g_autofree char *target = g_build_filename (f->dir, "target", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  g_autofree char *status = g_build_filename (f->runtime_dir, "vm", UUID ".status", NULL);
  GStatBuf st;

  write_file (target, "secret");
  g_assert_cmpint (g_chmod (target, 0644), ==, 0);
  if (symbolic)
    g_assert_cmpint (symlink (target, path), ==, 0);
  else
    g_assert_cmpint (link (target, path), ==, 0);

  client = spawn_fake (f, "ready", &error);
  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_true (g_str_has_suffix (error->message, reason));
  g_assert_cmpint (fake_pid (f), ==, 0);
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (status, G_FILE_TEST_EXISTS));

  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "secret");
  g_assert_cmpint (g_stat (target, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);
  g_assert_cmpint (st.st_uid, ==, getuid ());
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_unlink (target), ==, 0);
}

/* The console log and the log are opened only when they are regular files
 * of one link: a symbolic or hard link planted there (to expose the next
 * owner's output) fails the start; so does a FIFO, without blocking. */
static void
test_spawn_planted_logs (Fixture *f, gconstpointer data)
{
  assert_link_refused (f, f->console_log_path, TRUE, ": it is a symbolic link");
  assert_link_refused (f, f->console_log_path, FALSE, ": it has other hard links");
  assert_link_refused (f, f->log_path, TRUE, ": it is a symbolic link");
  assert_link_refused (f, f->log_path, FALSE, ": it has other hard links");

  {
    g_autoptr (GError) error = NULL;
    g_autoptr (HullWorkerClient) client = NULL;

    g_unlink (f->console_log_path); /* made by the starts above */
    g_assert_cmpint (mkfifo (f->console_log_path, 0600), ==, 0);
    client = spawn_fake (f, "ready", &error);
    g_assert_null (client);
    g_assert_error (error, HULL_ERROR, HULL_ERROR_IO);
    g_test_message ("%s", error->message);
    g_assert_cmpint (fake_pid (f), ==, 0);
    g_assert_cmpint (g_unlink (f->console_log_path), ==, 0);
  }

  /* Regular files of one link are fine, and appended to. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (HullWorkerClient) client = NULL;
    g_autofree char *log = NULL;

    write_file (f->console_log_path, "");
    write_file (f->log_path, "earlier\n");
    client = spawn_fake (f, "ready", &error);
    g_assert_no_error (error);
    log = read_log (f);
    g_assert_true (g_str_has_prefix (log, "earlier\n"));
    assert_log_clean (f);
    stop (client);
  }
}

static void
cancel_soon (GCancellable *cancellable)
{
  g_cancellable_cancel (cancellable);
}

/* Cancelling a spawn kills and reaps the worker, and says CANCELLED. */
static void
test_spawn_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  SpawnResult r = { 0 };
  GPid pid = 0;
  gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_USEC_PER_SEC;
  guint id = g_timeout_add (20, hull_test_tick, NULL);

  write_file (f->xml_path, "hang");
  hull_worker_client_spawn_async (&f->options, cancellable, spawned, &r);
  /* Once it runs (its pid file is there), cancel. */
  while (pid == 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the fake did not start");
      g_main_context_iteration (NULL, TRUE);
      pid = fake_pid (f);
    }
  g_source_remove (id);
  g_idle_add_once ((GSourceOnceFunc)cancel_soon, cancellable);
  hull_test_wait_for (&r.done, "the cancelled spawn", WAIT_LIMIT_S);
  g_assert_null (r.client);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&r.error);
  g_assert_true (process_gone (pid));
}

/* --- death and kill ---------------------------------------------------------- */

/* kill -9 from outside: "closed" with expected = FALSE, once; reaped. */
static void
test_closed_unexpected (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = spawn_fake (f, "ready", &error);
  Events e = { 0 };
  GPid pid;

  g_assert_no_error (error);
  events_watch (&e, client);
  pid = hull_worker_client_get_pid (client);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  hull_test_wait_for (&e.closed, "closed", WAIT_LIMIT_S);
  g_assert_false (e.expected);
  assert_gone_soon (pid);
  g_assert_cmpuint (e.n_closed, ==, 1);

  /* Stopping a dead worker succeeds. */
  stop (client);
  g_assert_cmpuint (e.n_closed, ==, 1);
  events_clear (&e);
}

/* hull_worker_client_kill(): "closed" with expected = TRUE. */
static void
test_kill (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = spawn_fake (f, "ready", &error);
  Events e = { 0 };
  GPid pid;

  g_assert_no_error (error);
  events_watch (&e, client);
  pid = hull_worker_client_get_pid (client);
  hull_worker_client_kill (client);
  hull_test_wait_for (&e.closed, "closed", WAIT_LIMIT_S);
  g_assert_true (e.expected);
  assert_gone_soon (pid);
  g_assert_cmpuint (e.n_closed, ==, 1);
  events_clear (&e);
}

/* A worker that answers Stop but stays is killed, and the stop succeeds. */
static void
test_stop_ignored (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = spawn_fake (f, "ready ignore-stop", &error);
  g_autofree char *log = NULL;
  Events e = { 0 };
  GPid pid;

  g_assert_no_error (error);
  events_watch (&e, client);
  pid = hull_worker_client_get_pid (client);
  stop (client);
  g_assert_cmpuint (e.n_closed, ==, 1);
  g_assert_true (e.expected);
  g_assert_true (process_gone (pid));
  log = read_log (f);
  g_assert_null (strstr (log, "stopped"));
  events_clear (&e);
}

/* Dropping a client leaves its worker running (and still reaps it later). */
static void
test_drop_keeps_worker (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  HullWorkerClient *client = spawn_fake (f, "ready", &error);
  g_autoptr (HullWorkerClient) again = NULL;
  Events e = { 0 };
  GPid pid;

  g_assert_no_error (error);
  pid = hull_worker_client_get_pid (client);
  g_object_unref (client);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (process_gone (pid));

  /* Attach reads the status record and talks to the same worker. */
  again = attach (f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (hull_worker_client_get_pid (again), ==, pid);
  g_assert_cmpstr (hull_dbus_worker_get_uuid (hull_worker_client_get_proxy (again)), ==, UUID);
  g_assert_cmpstr (hull_dbus_worker_get_state (hull_worker_client_get_proxy (again)), ==,
                   "created");

  events_watch (&e, again);
  stop (again);
  g_assert_cmpuint (e.n_closed, ==, 1);
  g_assert_true (e.expected);
  /* Not the attached client's child: the first client's reaper gets it. */
  assert_gone_soon (pid);
  events_clear (&e);
}

/* An attached worker that dies: "closed", unexpected (the connection is all
 * an attached client sees). */
static void
test_attach_closed_unexpected (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  HullWorkerClient *client = spawn_fake (f, "ready", &error);
  g_autoptr (HullWorkerClient) again = NULL;
  Events e = { 0 };
  GPid pid;

  g_assert_no_error (error);
  pid = hull_worker_client_get_pid (client);
  g_object_unref (client);
  again = attach (f, &error);
  g_assert_no_error (error);
  events_watch (&e, again);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  hull_test_wait_for (&e.closed, "closed", WAIT_LIMIT_S);
  g_assert_false (e.expected);
  assert_gone_soon (pid);
  events_clear (&e);
}

/* --- attach failures --------------------------------------------------------- */

static void
assert_attach_fails (Fixture *f, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = attach (f, &error);

  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("'%s' does not name '%s'", error->message, needle);
}

static char *
status_path (Fixture *f)
{
  return g_build_filename (f->runtime_dir, "vm", UUID ".status", NULL);
}

static void
write_record (Fixture *f, GPid pid, const char *uuid, const char *socket)
{
  g_autofree char *path = status_path (f);
  g_autofree char *text = g_strdup_printf ("[worker]\npid=%d\nuuid=%s\nsocket=%s\nstate=running\n",
                                           (int)pid, uuid, socket);

  write_file (path, text);
}

/* A process id that was ours and is gone. */
static GPid
dead_pid (void)
{
  const char *argv[] = { "/bin/true", NULL };
  g_autoptr (GError) error = NULL;
  GPid pid;
  int status;

  g_spawn_async (NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error);
  g_assert_no_error (error);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_spawn_close_pid (pid);
  return pid;
}

/* A socket file nobody listens on (connect() is refused). */
static char *
refusing_socket (Fixture *f)
{
  char *path = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
  g_assert_cmpint (bind (fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  close (fd);
  return path;
}

static void
test_attach_not_found (Fixture *f, gconstpointer data)
{
  g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  g_autofree char *refusing = NULL;

  /* No record. */
  assert_attach_fails (f, HULL_ERROR_NOT_FOUND, UUID ".status");

  /* A dead pid. */
  write_record (f, dead_pid (), UUID, socket);
  assert_attach_fails (f, HULL_ERROR_NOT_FOUND, UUID);

  /* A live pid (ours), no socket. */
  write_record (f, getpid (), UUID, socket);
  assert_attach_fails (f, HULL_ERROR_NOT_FOUND, socket);

  /* A live pid, a socket that refuses. */
  refusing = refusing_socket (f);
  write_record (f, getpid (), UUID, refusing);
  assert_attach_fails (f, HULL_ERROR_NOT_FOUND, refusing);
}

/* A record whose pid is alive but not the process serving the socket
 * (SO_PEERCRED): CorruptData, and that pid is never signalled (it is
 * ours here); the real worker is left alone. */
static void
test_attach_pid_mismatch (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  HullWorkerClient *client = spawn_fake (f, "ready", &error);
  g_autoptr (HullWorkerClient) again = NULL;
  g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  GPid pid;

  g_assert_no_error (error);
  pid = hull_worker_client_get_pid (client);
  g_object_unref (client);
  write_record (f, getpid (), UUID, socket);
  again = attach (f, &error);
  g_assert_null (again);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, UUID ".status"));
  g_assert_false (process_gone (pid));

  /* Reaped by the dropped client's watch. */
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  assert_gone_soon (pid);
}

static void
test_attach_corrupt (Fixture *f, gconstpointer data)
{
  g_autofree char *path = status_path (f);
  g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  const char *garbage[] = {
    "\x01\x02 not a key file",
    "[worker]\nuuid=" UUID "\nsocket=/x.sock\n",          /* no pid */
    "[worker]\npid=abc\nuuid=" UUID "\nsocket=/x.sock\n", /* not a number */
    "[worker]\npid=0\nuuid=" UUID "\nsocket=/x.sock\n",   /* not a pid */
    "[worker]\npid=1234\nuuid=" UUID "\n",                /* no socket */
    "[worker]\npid=1234\nsocket=/x.sock\n",               /* no uuid */
    "[worker]\npid=1234\nuuid=" UUID "\nsocket=x.sock\n", /* relative */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (garbage); i++)
    {
      write_file (path, garbage[i]);
      assert_attach_fails (f, HULL_ERROR_CORRUPT_DATA, path);
    }

  /* Another domain's record. */
  write_record (f, getpid (), "00000000-0000-4000-8000-000000000000", socket);
  assert_attach_fails (f, HULL_ERROR_CORRUPT_DATA, path);
}

/* --- stale files ------------------------------------------------------------- */

static void
test_remove_stale (Fixture *f, gconstpointer data)
{
  g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  g_autofree char *status = status_path (f);

  write_file (socket, "");
  write_file (status, "");
  write_file (f->xml_path, "kept");
  hull_worker_client_remove_stale (f->runtime_dir, UUID);
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (status, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (f->xml_path, G_FILE_TEST_EXISTS));

  /* Nothing there: nothing to say. */
  hull_worker_client_remove_stale (f->runtime_dir, UUID);
}

/* --- the real worker ---------------------------------------------------------- */

/* ../daemon/hull-vm, if it has worker mode yet. */
static char *
real_worker (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "..", "daemon", "hull-vm", NULL);
  const char *argv[] = { path, "--help", NULL };
  g_autofree char *out = NULL;

  if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                     NULL, NULL)
      || strstr (out, "--worker") == NULL)
    return NULL;
  return g_steal_pointer (&path);
}

static void
write_real_domain (Fixture *f, const char *uuid)
{
  g_autofree char *xml = g_strdup_printf (
      "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'>\n"
      "  <name>wc</name><uuid>%s</uuid><memory unit='MiB'>16</memory><vcpu>1</vcpu>\n"
      "  <devices><serial type='pty'/></devices>\n"
      "  <hull:test-program>\n"
      "    <hull:vp index='0'><hull:halt reason='poweroff'/></hull:vp>\n"
      "  </hull:test-program>\n"
      "</domain>\n",
      uuid);

  write_file (f->xml_path, xml);
}

/* hull-vm --worker with the test backend: READY, Start, the halt comes
 * through, Stop ends it and it removes its files. */
static void
test_real_worker (Fixture *f, gconstpointer data)
{
  g_autofree char *path = real_worker ();
  g_autofree char *socket = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  g_autofree char *status = status_path (f);
  g_autoptr (HullWorkerClient) client = NULL;
  g_autoptr (HullWorkerClient) again = NULL;
  g_autoptr (GError) error = NULL;
  SpawnResult r = { 0 };
  Events e = { 0 };
  GPid pid;

  if (path == NULL)
    {
      g_test_skip ("hull-vm has no --worker mode yet");
      return;
    }
  f->options.worker_path = path;
  write_real_domain (f, UUID);
  hull_worker_client_spawn_async (&f->options, NULL, spawned, &r);
  hull_test_wait_for (&r.done, "the spawn", WAIT_LIMIT_S);
  g_assert_no_error (r.error);
  client = r.client;
  pid = hull_worker_client_get_pid (client);
  g_assert_true (g_file_test (status, G_FILE_TEST_EXISTS));
  g_assert_cmpstr (hull_dbus_worker_get_uuid (hull_worker_client_get_proxy (client)), ==, UUID);
  g_assert_cmpstr (hull_dbus_worker_get_state (hull_worker_client_get_proxy (client)), ==,
                   "created");

  /* A second client, attached, sees the same worker. */
  again = attach (f, &error);
  g_assert_no_error (error);
  g_assert_cmpint (hull_worker_client_get_pid (again), ==, pid);
  g_clear_object (&again);

  events_watch (&e, client);
  hull_dbus_worker_call_start (hull_worker_client_get_proxy (client), g_variant_new ("a{sv}", NULL),
                               NULL, NULL, NULL);
  {
    gint64 deadline = g_get_monotonic_time () + WAIT_LIMIT_S * G_USEC_PER_SEC;

    while (e.n_halted == 0)
      {
        if (g_get_monotonic_time () > deadline)
          g_error ("no halt from the real worker");
        g_main_context_iteration (NULL, TRUE);
      }
  }
  g_assert_cmpstr (e.halt_kind, ==, "power-off");
  g_assert_cmpuint (e.states->len, >, 0);

  stop (client);
  g_assert_cmpuint (e.n_closed, ==, 1);
  g_assert_true (e.expected);
  g_assert_true (process_gone (pid));
  g_assert_false (g_file_test (socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (status, G_FILE_TEST_EXISTS));
  events_clear (&e);
}

/* The real worker's ERROR line (a definition for another UUID) arrives as
 * its code and message. */
static void
test_real_worker_error (Fixture *f, gconstpointer data)
{
  g_autofree char *path = real_worker ();
  SpawnResult r = { 0 };

  if (path == NULL)
    {
      g_test_skip ("hull-vm has no --worker mode yet");
      return;
    }
  f->options.worker_path = path;
  write_real_domain (f, "00000000-0000-4000-8000-000000000000");
  hull_worker_client_spawn_async (&f->options, NULL, spawned, &r);
  hull_test_wait_for (&r.done, "the spawn", WAIT_LIMIT_S);
  g_assert_null (r.client);
  g_assert_error (r.error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (r.error->message, "00000000-0000-4000-8000-000000000000"));
  g_clear_error (&r.error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Workers killed by the tests must not take us with them. */
  signal (SIGPIPE, SIG_IGN);

#define ADD(path, func)                                                                            \
  g_test_add ("/hull/worker-client/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("spawn/ready-and-stop", test_spawn_ready_and_stop);
  ADD ("spawn/error-line", test_spawn_error_line);
  ADD ("spawn/error-line-bad-code", test_spawn_error_bad_code);
  ADD ("spawn/exit-without-line", test_spawn_exit_without_line);
  ADD ("spawn/no-binary", test_spawn_no_binary);
  ADD ("spawn/timeout", test_spawn_timeout);
  ADD ("spawn/garbage", test_spawn_garbage);
  ADD ("spawn/flood", test_spawn_flood);
  ADD ("spawn/planted-logs", test_spawn_planted_logs);
  ADD ("spawn/cancel", test_spawn_cancel);
  ADD ("spawn/files", test_spawn_files);
  ADD ("spawn/open-errors", test_spawn_open_errors);
  ADD ("signals/halted-and-state", test_signals);
  ADD ("closed/unexpected", test_closed_unexpected);
  ADD ("closed/kill", test_kill);
  ADD ("stop/ignored-then-killed", test_stop_ignored);
  ADD ("attach/after-drop", test_drop_keeps_worker);
  ADD ("attach/closed-unexpected", test_attach_closed_unexpected);
  ADD ("attach/not-found", test_attach_not_found);
  ADD ("attach/corrupt", test_attach_corrupt);
  ADD ("attach/pid-mismatch", test_attach_pid_mismatch);
  ADD ("remove-stale", test_remove_stale);
  ADD ("real-worker/run-and-stop", test_real_worker);
  ADD ("real-worker/error-line", test_real_worker_error);
#undef ADD

  return g_test_run ();
}
