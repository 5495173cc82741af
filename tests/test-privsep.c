/* Privilege separation (docs/policy.md): workers spawned through
 * HullWorkerClient in system mode run as the domain's owner with no
 * capabilities and PR_SET_NO_NEW_PRIVS, get the files hulld opened for
 * them, and the kernel and initrd are opened with the owner's rights.
 *
 * Needs root (CI runs it as root) and the `nobody` user; skipped with the
 * reason otherwise. Runs ../daemon/hull-vm --worker with the test backend,
 * and with the kvm backend and tests/guests/hello when /dev/kvm works.
 * Every wait is bounded.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hull-error.h"
#include "hull-worker-client.h"
#include "test-util.h"

#define WAIT_LIMIT_S 60
#define UUID "3d4c2b1a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

typedef struct
{
  char *dir; /* 0755: everything below */
  char *runtime_dir;
  char *xml_path;
  char *log_path;
  char *console_log_path;
  char *worker_path;
  uid_t nobody;
  gid_t nogroup;
  char *skip; /* why the test cannot run here, or NULL */
  HullWorkerSpawnOptions options;
} Fixture;

#define SKIP_IF_NEEDED(f)                                                                          \
  G_STMT_START                                                                                     \
  {                                                                                                \
    if ((f)->skip != NULL)                                                                         \
      {                                                                                            \
        g_test_skip ((f)->skip);                                                                   \
        return;                                                                                    \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

static void
become_nobody (gpointer user_data)
{
  const struct passwd *pw = user_data;

  if (setgroups (0, NULL) != 0 || setgid (pw->pw_gid) != 0 || setuid (pw->pw_uid) != 0)
    _exit (125);
}

/* Why this cannot run here, or NULL. */
static char *
skip_reason (uid_t *uid, gid_t *gid)
{
  g_autofree char *worker = g_test_build_filename (G_TEST_BUILT, "..", "daemon", "hull-vm", NULL);
  const char *argv[] = { "test", "-x", worker, NULL };
  struct passwd *pw;
  int status = -1;

  if (geteuid () != 0)
    return g_strdup ("needs root: it runs workers as another user");
  pw = getpwnam ("nobody");
  if (pw == NULL)
    return g_strdup ("there is no user 'nobody'");
  /* A build tree under a private (0700) directory keeps nobody out. */
  if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, become_nobody, pw, NULL, NULL,
                     &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    return g_strdup ("user 'nobody' cannot run the worker from this build tree");
  *uid = pw->pw_uid;
  *gid = pw->pw_gid;
  return NULL;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *vm_dir = NULL;

  f->dir = g_dir_make_tmp ("hull-privsep-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (f->dir, 0755), ==, 0);
  f->runtime_dir = g_build_filename (f->dir, "run", NULL);
  vm_dir = g_build_filename (f->runtime_dir, "vm", NULL);
  g_assert_cmpint (g_mkdir_with_parents (vm_dir, 0700), ==, 0);
  f->xml_path = g_build_filename (vm_dir, UUID ".xml", NULL);
  f->log_path = g_build_filename (f->dir, UUID ".log", NULL);
  f->console_log_path = g_build_filename (f->dir, UUID ".console.log", NULL);
  f->worker_path = g_test_build_filename (G_TEST_BUILT, "..", "daemon", "hull-vm", NULL);
  f->skip = skip_reason (&f->nobody, &f->nogroup);

  f->options.worker_path = f->worker_path;
  f->options.uuid = UUID;
  f->options.name = "ps";
  f->options.xml_path = f->xml_path;
  f->options.runtime_dir = f->runtime_dir;
  f->options.log_path = f->log_path;
  f->options.console_log_path = f->console_log_path;
  f->options.backend_dir = g_getenv ("HULL_BACKEND_DIR");
  f->options.system = TRUE;
  f->options.owner = f->nobody;
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (g_test_failed ())
    {
      g_autofree char *log = NULL;

      if (g_file_get_contents (f->log_path, &log, NULL, NULL))
        g_test_message ("worker log:\n%s", log);
    }
  hull_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->runtime_dir);
  g_free (f->xml_path);
  g_free (f->log_path);
  g_free (f->console_log_path);
  g_free (f->worker_path);
  g_free (f->skip);
}

static void
write_file (const char *path, const char *contents, mode_t mode)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, (int)mode, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, (int)mode), ==, 0);
}

static gboolean
process_gone (GPid pid)
{
  return kill (pid, 0) < 0 && errno == ESRCH;
}

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

static HullWorkerClient *
spawn (Fixture *f, GError **error)
{
  SpawnResult r = { 0 };

  hull_worker_client_spawn_async (&f->options, NULL, spawned, &r);
  hull_test_wait_for (&r.done, "the spawn", WAIT_LIMIT_S);
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.client;
}

typedef struct
{
  gboolean done;
  gboolean closed;
  gboolean halted;
  char *halt_kind;
} Waits;

static void
stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Waits *w = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (hull_worker_client_stop_finish (HULL_WORKER_CLIENT (source), result, &error));
  g_assert_no_error (error);
  w->done = TRUE;
}

static void
stop (HullWorkerClient *client)
{
  Waits w = { 0 };
  GPid pid = hull_worker_client_get_pid (client);

  hull_worker_client_stop_async (client, NULL, stopped, &w);
  hull_test_wait_for (&w.done, "the stop", WAIT_LIMIT_S);
  g_assert_true (process_gone (pid));
}

static void
on_halted (HullWorkerClient *client, const char *kind, const char *description, gpointer data)
{
  Waits *w = data;

  g_free (w->halt_kind);
  w->halt_kind = g_strdup (kind);
  w->halted = TRUE;
}

/* One "Name:\tvalue" line of /proc/PID/status. */
static char *
proc_status_field (GPid pid, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int)pid);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *prefix = g_strconcat (name, ":", NULL);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      return g_strstrip (g_strdup (lines[i] + strlen (prefix)));
  g_error ("no %s in %s", name, path);
}

/* Asserts what the kernel says about the worker's credentials. */
static void
assert_unprivileged (GPid pid, uid_t uid, gid_t gid)
{
  static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
  g_autofree char *uids = g_strdup_printf ("%u\t%u\t%u\t%u", uid, uid, uid, uid);
  g_autofree char *gids = g_strdup_printf ("%u\t%u\t%u\t%u", gid, gid, gid, gid);

  for (gsize i = 0; i < G_N_ELEMENTS (caps); i++)
    {
      g_autofree char *value = proc_status_field (pid, caps[i]);

      g_test_message ("pid %d %s: %s", (int)pid, caps[i], value);
      g_assert_cmpstr (value, ==, "0000000000000000");
    }
  {
    g_autofree char *u = proc_status_field (pid, "Uid");
    g_autofree char *g = proc_status_field (pid, "Gid");
    g_autofree char *nnp = proc_status_field (pid, "NoNewPrivs");
    g_autofree char *groups = proc_status_field (pid, "Groups");

    g_test_message ("pid %d Uid: %s Gid: %s Groups: %s NoNewPrivs: %s", (int)pid, u, g, groups,
                    nnp);
    g_assert_cmpstr (u, ==, uids);
    g_assert_cmpstr (g, ==, gids);
    g_assert_cmpstr (nnp, ==, "1");
  }
}

/* The targets of /proc/PID/fd's links. */
static GPtrArray *
proc_fds (GPid pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/fd", (int)pid);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  GPtrArray *targets = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (dir_path, name, NULL);
      char *target = g_file_read_link (link, NULL);

      if (target != NULL)
        g_ptr_array_add (targets, target);
    }
  return targets;
}

static guint
count_fds_to (GPtrArray *targets, const char *path)
{
  guint n = 0;

  for (guint i = 0; i < targets->len; i++)
    if (g_strcmp0 (g_ptr_array_index (targets, i), path) == 0)
      n++;
  return n;
}

static void
write_test_domain (Fixture *f, const char *os)
{
  g_autofree char *xml = g_strdup_printf (
      "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'>\n"
      "  <name>ps</name><uuid>" UUID "</uuid><memory unit='MiB'>16</memory><vcpu>1</vcpu>\n"
      "  %s\n"
      "  <devices><serial type='pty'/></devices>\n"
      "  <hull:test-program>\n"
      "    <hull:vp index='0'><hull:spin usec='100000'/><hull:halt reason='poweroff'/></hull:vp>\n"
      "  </hull:test-program>\n"
      "</domain>\n",
      os);

  /* Root's, 0600, in a 0700 directory: the worker reads it through the
   * fd hulld passes. */
  write_file (f->xml_path, xml, 0600);
}

static void
assert_owned (const char *path, uid_t uid, mode_t mode)
{
  struct stat st;

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, uid);
  g_assert_cmpuint (st.st_mode & 07777, ==, mode);
}

/* The worker runs as nobody: uids, gids, no capability in any set, no new
 * privileges; it still runs the guest and answers on its socket; the
 * files hulld made are where they should be, owned as they should be. */
static void
test_as_owner (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = NULL;
  g_autoptr (GVariant) stats = NULL;
  g_autofree char *socket_path = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  g_autofree char *status_path = g_build_filename (f->runtime_dir, "vm", UUID ".status", NULL);
  g_autoptr (GPtrArray) fds = NULL;
  Waits w = { 0 };
  const char *state;
  GPid pid;

  SKIP_IF_NEEDED (f);

  write_test_domain (f, "");
  client = spawn (f, &error);
  g_assert_no_error (error);
  pid = hull_worker_client_get_pid (client);
  assert_unprivileged (pid, f->nobody, f->nogroup);
  {
    g_autofree char *groups = proc_status_field (pid, "Groups");
    g_autofree char *expected = g_strdup_printf ("%u", f->nogroup);

    g_assert_cmpstr (groups, ==, expected);
  }
  /* The test backend has no device: no /dev/kvm, nothing opened by hulld
   * but what the worker needs. */
  fds = proc_fds (pid);
  g_assert_cmpuint (count_fds_to (fds, "/dev/kvm"), ==, 0);
  g_assert_cmpuint (count_fds_to (fds, status_path), ==, 1);
  g_assert_cmpuint (count_fds_to (fds, f->console_log_path), ==, 1);

  assert_owned (socket_path, 0, 0600);
  {
    struct stat st;

    g_assert_cmpint (g_lstat (socket_path, &st), ==, 0);
    g_assert_true (S_ISSOCK (st.st_mode));
  }
  assert_owned (status_path, f->nobody, 0600);
  assert_owned (f->console_log_path, f->nobody, 0600);
  assert_owned (f->log_path, 0, 0600);

  /* It answers: Start, a halt, stats. */
  g_signal_connect (client, "halted", G_CALLBACK (on_halted), &w);
  g_assert_true (hull_dbus_worker_call_start_sync (hull_worker_client_get_proxy (client),
                                                   g_variant_new ("a{sv}", NULL), NULL, &error));
  g_assert_no_error (error);
  hull_test_wait_for (&w.halted, "the halt", WAIT_LIMIT_S);
  g_assert_cmpstr (w.halt_kind, ==, "power-off");
  state = hull_dbus_worker_get_state (hull_worker_client_get_proxy (client));
  g_assert_cmpstr (state, ==, "halted");
  g_assert_true (hull_dbus_worker_call_get_stats_sync (
      hull_worker_client_get_proxy (client), g_variant_new ("a{sv}", NULL), &stats, NULL, &error));
  g_assert_no_error (error);
  {
    guint boots = 0;

    g_assert_true (g_variant_lookup (stats, "boots", "u", &boots));
    g_assert_cmpuint (boots, ==, 1);
  }
  /* The status record is rewritten in place: still the worker's, still
   * the one file. */
  assert_owned (status_path, f->nobody, 0600);

  stop (client);
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (status_path, G_FILE_TEST_EXISTS));
  g_free (w.halt_kind);
}

/* A root-owned domain's worker keeps uid 0 but no capability. */
static void
test_root_owner (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = NULL;
  GPid pid;

  SKIP_IF_NEEDED (f);

  f->options.owner = 0;
  write_test_domain (f, "");
  client = spawn (f, &error);
  g_assert_no_error (error);
  pid = hull_worker_client_get_pid (client);
  assert_unprivileged (pid, 0, 0);
  stop (client);
}

/* A kernel only root may read: nobody cannot boot it. NotAuthorized,
 * naming the user and the file; no worker was started, no file made. */
static void
test_kernel_unreadable (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = NULL;
  g_autofree char *kernel = g_build_filename (f->dir, "vmlinux", NULL);
  g_autofree char *os = g_strdup_printf ("<os><kernel>%s</kernel></os>", kernel);
  g_autofree char *socket_path = g_build_filename (f->runtime_dir, "vm", UUID ".sock", NULL);
  g_autofree char *status_path = g_build_filename (f->runtime_dir, "vm", UUID ".status", NULL);
  g_autofree char *expected = NULL;

  SKIP_IF_NEEDED (f);

  write_file (kernel, "not really a kernel", 0600);
  write_test_domain (f, os);
  f->options.kernel_path = kernel;
  client = spawn (f, &error);
  g_assert_null (client);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED);
  g_test_message ("%s", error->message);
  expected = g_strdup_printf ("domain 'ps': user 'nobody' cannot read kernel '%s': ", kernel);
  g_assert_true (g_str_has_prefix (error->message, expected));
  g_assert_false (g_file_test (f->log_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (status_path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* An unreadable initrd the same way; a missing one is NotFound. */
  {
    g_autofree char *initrd = g_build_filename (f->dir, "missing-initrd", NULL);

    g_assert_cmpint (g_chmod (kernel, 0644), ==, 0);
    f->options.initrd_path = initrd;
    client = spawn (f, &error);
    g_assert_null (client);
    g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, initrd));
    g_assert_nonnull (strstr (error->message, "'nobody'"));
  }
}

/* A kernel that is not a regular file: a FIFO (whose open() would block
 * the opener, and the Start, for good) or a device that never ends. The
 * start fails at once with InvalidArgument, for nobody (in the opener's
 * child) as for root (hulld opens it itself); no worker runs. */
static void
test_kernel_not_regular (Fixture *f, gconstpointer data)
{
  g_autofree char *fifo = g_build_filename (f->dir, "vmlinux.fifo", NULL);
  const char *const paths[] = { fifo, "/dev/zero", fifo };
  const uid_t owners[] = { f->nobody, f->nobody, 0 };

  SKIP_IF_NEEDED (f);

  g_assert_cmpint (mkfifo (fifo, 0666), ==, 0);
  g_assert_cmpint (g_chmod (fifo, 0666), ==, 0);
  write_test_domain (f, "");
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (HullWorkerClient) client = NULL;
      g_autofree char *expected = NULL;
      gint64 start = g_get_monotonic_time ();

      f->options.owner = owners[i];
      f->options.kernel_path = paths[i];
      client = spawn (f, &error);
      g_assert_null (client);
      g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s", error->message);
      expected = g_strdup_printf ("domain 'ps': kernel '%s' is not a regular file", paths[i]);
      g_assert_cmpstr (error->message, ==, expected);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
      g_assert_false (g_file_test (f->log_path, G_FILE_TEST_EXISTS));
    }
}

/* KVM as nobody, who may not open /dev/kvm: the worker uses the one fd
 * hulld opened, boots tests/guests/hello from a copy nobody can read,
 * through the kernel fd hulld opened as nobody (the worker keeps it: a
 * reboot reads it again), and the guest powers off after its banner. The
 * test backend cannot boot a kernel, so without KVM this is skipped. */
static void
test_kvm (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerClient) client = NULL;
  g_autofree char *source = g_test_build_filename (G_TEST_BUILT, "guests", "hello", NULL);
  g_autofree char *kernel = g_build_filename (f->dir, "hello", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *console = NULL;
  g_autoptr (GPtrArray) fds = NULL;
  Waits w = { 0 };
  gsize length;
  GPid pid;
  int fd;

  SKIP_IF_NEEDED (f);

  fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      g_test_skip_printf ("cannot open /dev/kvm: %s", g_strerror (errno));
      return;
    }
  close (fd);
  if (!g_file_test (HULL_KVM_BACKEND_DIR "/hull-backend-kvm.so", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the kvm backend is not built");
      return;
    }
  if (!g_file_get_contents (source, &contents, &length, NULL))
    {
      g_test_skip_printf ("the hello guest is not built: %s", source);
      return;
    }
  g_assert_true (g_file_set_contents (kernel, contents, (gssize)length, NULL));
  g_assert_cmpint (g_chmod (kernel, 0644), ==, 0);
  xml = g_strdup_printf (
      "<domain type='kvm'>\n"
      "  <name>ps</name><uuid>" UUID "</uuid>\n"
      "  <memory unit='MiB'>64</memory><vcpu>1</vcpu>\n"
      "  <os><kernel>%s</kernel><cmdline>console=ttyS0 as=nobody</cmdline></os>\n"
      "  <devices><serial type='pty'/></devices>\n"
      "</domain>\n",
      kernel);
  write_file (f->xml_path, xml, 0600);
  f->options.backend_dir = HULL_KVM_BACKEND_DIR;
  f->options.kernel_path = kernel;
  f->options.kvm_device = "/dev/kvm";
  client = spawn (f, &error);
  g_assert_no_error (error);
  pid = hull_worker_client_get_pid (client);
  assert_unprivileged (pid, f->nobody, f->nogroup);
  fds = proc_fds (pid);
  g_assert_cmpuint (count_fds_to (fds, "/dev/kvm"), ==, 1);
  g_assert_cmpuint (count_fds_to (fds, kernel), ==, 1);
  {
    struct stat st;

    g_assert_cmpint (stat ("/dev/kvm", &st), ==, 0);
    g_test_message ("/dev/kvm: uid %u gid %u mode %o (nobody may%s open it)", st.st_uid, st.st_gid,
                    st.st_mode & 0777, (st.st_mode & 0006) == 0006 ? "" : " not");
  }

  g_signal_connect (client, "halted", G_CALLBACK (on_halted), &w);
  g_assert_true (hull_dbus_worker_call_start_sync (hull_worker_client_get_proxy (client),
                                                   g_variant_new ("a{sv}", NULL), NULL, &error));
  g_assert_no_error (error);
  hull_test_wait_for (&w.halted, "hello's power-off", WAIT_LIMIT_S);
  g_assert_cmpstr (w.halt_kind, ==, "power-off");
  stop (client);
  g_assert_true (g_file_get_contents (f->console_log_path, &console, NULL, NULL));
  g_assert_nonnull (
      strstr (console, "Hello from a Hull guest\ncmdline: console=ttyS0 as=nobody\n"));
  g_free (w.halt_kind);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  signal (SIGPIPE, SIG_IGN);

#define ADD(path, func)                                                                            \
  g_test_add ("/hull/privsep/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("worker/as-owner", test_as_owner);
  ADD ("worker/root-owner", test_root_owner);
  ADD ("kernel/unreadable", test_kernel_unreadable);
  ADD ("kernel/not-regular", test_kernel_not_regular);
  ADD ("kvm/hello-as-nobody", test_kvm);
#undef ADD

  return g_test_run ();
}
