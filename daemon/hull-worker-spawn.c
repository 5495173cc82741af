/* hull-worker-spawn.c — starting a hull-vm worker: hull_worker_client_spawn_async()
 * (hull-worker-client.h, docs/daemon.md, "Starting a worker").
 *
 * The setup builds the worker's argv, opens what the worker gets (its
 * definition, a listening socket, its status record, the console log, the
 * kernel and initrd with the owner's rights, the hypervisor device), starts
 * it with those fds in place and its privileges dropped in the child
 * (hull-privsep.h), then waits for its ready line and connects. On any
 * failure the worker is killed if needed, and the spawn returns only once
 * it is reaped. Part of HullWorkerClient (hull-worker-client-private.h).
 */
#include "config.h"

#include "hull-worker-client.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-key-record.h"
#include "hull-privsep.h"
#include "hull-ready-line.h"
#include "hull-worker-client-private.h"

/* How long a worker may take to say READY and accept the connection. */
#define READY_TIMEOUT_MS_DEFAULT 30000
/* The most hulld reads of a ready line, its '\n' included: the worker runs
 * as its owner, who must not make hulld buffer without bound. */
#define READY_LINE_MAX 4096
/* The fds' numbers in the worker: the ready fd, then what hulld opened
 * for it (docs/daemon.md). */
enum
{
  READY_FD = 3,
  LISTEN_FD,
  STATUS_FD,
  CONSOLE_LOG_FD,
  XML_FD,
  KVM_FD,
  KERNEL_FD,
  INITRD_FD,
  N_WORKER_FDS = INITRD_FD - READY_FD + 1,
};

typedef enum
{
  SETUP_READ,    /* waiting for the ready line */
  SETUP_CONNECT, /* READY: connecting, making the proxy */
} SetupPhase;

struct _SpawnData
{
  HullWorkerClient *client;  /* owned */
  GTask *task;               /* not owned: the task owns us */
  GCancellable *cancellable; /* our operations; cancelled on failure */
  GCancellable *user_cancellable;
  gulong user_cancelled_id;
  GInputStream *ready;
  char ready_line[READY_LINE_MAX + 1]; /* what was read of it, nul-terminated */
  gsize ready_length;
  char *socket_path;
  char *status_path;
  gboolean made_files; /* the socket and status record: removed on failure */
  guint ready_timeout_ms;

  /* Before the process starts. */
  GStrv argv;
  char *name; /* the domain's, for messages */
  char *xml_path;
  char *log_path;
  char *console_log_path;
  char *kvm_device;
  gboolean system;
  uid_t owner;
  HullUserCreds *creds; /* system mode, switching to the owner */
  HullPrivsepFlags privsep;
  char *privsep_error; /* the ERROR line's start, for the child */
  int kernel_fd;
  int initrd_fd;
  guint timeout_id; /* the setup deadline */
  guint grace_id;   /* failing: SIGKILL, or stop waiting after it */
  SetupPhase phase;
  gboolean failing;
  GError *error; /* failing: what to report; NULL: "exited during setup" */
};

static void
spawn_data_free (gpointer p)
{
  SpawnData *data = p;

  g_assert (data->timeout_id == 0 && data->grace_id == 0 && data->user_cancelled_id == 0);
  g_clear_object (&data->ready);
  g_clear_object (&data->cancellable);
  g_clear_object (&data->user_cancellable);
  g_clear_object (&data->client);
  g_free (data->socket_path);
  g_free (data->status_path);
  g_strfreev (data->argv);
  g_free (data->name);
  g_free (data->xml_path);
  g_free (data->log_path);
  g_free (data->console_log_path);
  g_free (data->kvm_device);
  g_clear_pointer (&data->creds, hull_user_creds_free);
  g_free (data->privsep_error);
  if (data->kernel_fd >= 0)
    close (data->kernel_fd);
  if (data->initrd_fd >= 0)
    close (data->initrd_fd);
  g_clear_error (&data->error);
  g_free (data);
}

/* Ends the setup: the client stops pointing at us, our sources go. */
static GTask *
spawn_end (SpawnData *data)
{
  HullWorkerClient *client = data->client;

  g_clear_handle_id (&data->timeout_id, g_source_remove);
  g_clear_handle_id (&data->grace_id, g_source_remove);
  if (data->user_cancelled_id != 0)
    {
      g_cancellable_disconnect (data->user_cancellable, data->user_cancelled_id);
      data->user_cancelled_id = 0;
    }
  g_clear_object (&data->ready);
  client->setup = NULL;
  return g_steal_pointer (&client->setup_task);
}

/* Removes the socket and status record we made for a worker that did not
 * get going. */
static void
spawn_remove_files (SpawnData *data)
{
  const char *paths[] = { data->socket_path, data->status_path };

  if (!data->made_files)
    return;
  data->made_files = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    if (g_unlink (paths[i]) < 0 && errno != ENOENT)
      {
        int errsv = errno;

        g_warning (_ ("cannot remove %s: %s"), paths[i], g_strerror (errsv));
      }
}

static void
spawn_return_error (SpawnData *data)
{
  HullWorkerClient *client = data->client;
  g_autoptr (GTask) task = spawn_end (data);
  GError *error = g_steal_pointer (&data->error);

  if (client->reaped)
    spawn_remove_files (data);
  if (error == NULL && client->reaped)
    {
      g_autofree char *how = hull_worker_client_describe_wait_status (client->wait_status);

      error = g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                           _ ("the worker for domain %s exited during setup (%s); see %s"),
                           client->uuid, how, client->log_path);
    }
  else if (error == NULL)
    error = g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                         _ ("the worker for domain %s stopped its setup but did not exit; see %s"),
                         client->uuid, client->log_path);
  else if (!client->reaped)
    g_warning (_ ("the worker for domain %s (pid %d) did not exit after SIGKILL"), client->uuid,
               (int)client->pid);
  g_task_return_error (task, error);
}

static gboolean
spawn_give_up (gpointer user_data)
{
  SpawnData *data = user_data;

  data->grace_id = 0;
  spawn_return_error (data);
  return G_SOURCE_REMOVE;
}

static void
spawn_kill (SpawnData *data)
{
  hull_worker_client_sigkill (data->client);
  g_clear_handle_id (&data->grace_id, g_source_remove);
  data->grace_id
      = hull_worker_client_add_timeout (data->client, KILL_GRACE_MS, spawn_give_up, data);
}

static gboolean
spawn_grace_expired (gpointer user_data)
{
  SpawnData *data = user_data;

  data->grace_id = 0;
  g_debug ("worker for domain %s did not exit after failing; killing it", data->client->uuid);
  spawn_kill (data);
  return G_SOURCE_REMOVE;
}

/* The setup failed with @error (taken; NULL: the worker went away, the
 * message is made from its exit status): stop what is in flight, make sure
 * the worker goes (at once, or after a grace period for one that reported
 * its own failure), and return once it is reaped. */
void
hull_worker_client_spawn_fail (SpawnData *data, GError *error, gboolean kill_now)
{
  if (data->failing)
    {
      g_clear_error (&error);
      return;
    }
  data->failing = TRUE;
  data->error = error;
  g_cancellable_cancel (data->cancellable);
  g_clear_handle_id (&data->timeout_id, g_source_remove);

  if (data->client->reaped)
    spawn_return_error (data);
  else if (kill_now)
    spawn_kill (data);
  else
    data->grace_id
        = hull_worker_client_add_timeout (data->client, EXIT_GRACE_MS, spawn_grace_expired, data);
}

void
hull_worker_client_spawn_child_exited (SpawnData *data)
{
  if (data->failing)
    spawn_return_error (data);
  else if (data->phase != SETUP_READ)
    hull_worker_client_spawn_fail (data, NULL, FALSE);
  /* else: the ready line (or EOF) is still in the pipe: its reader decides. */
}

static gboolean
spawn_timed_out (gpointer user_data)
{
  SpawnData *data = user_data;

  data->timeout_id = 0;
  hull_worker_client_spawn_fail (
      data,
      g_error_new (HULL_ERROR, HULL_ERROR_TIMED_OUT,
                   _ ("the worker for domain %s did not get ready within %g s; see %s"),
                   data->client->uuid, data->ready_timeout_ms / 1000.0, data->client->log_path),
      TRUE);
  return G_SOURCE_REMOVE;
}

static void
spawn_user_cancelled (GCancellable *cancellable, gpointer user_data)
{
  /* Only that: our operations then fail with G_IO_ERROR_CANCELLED. */
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* An operation of the setup failed: cancellation is reported as such. */
static void
spawn_fail_operation (SpawnData *data, GError *error, const char *what)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      GError *wrapped = g_error_new (HULL_ERROR, HULL_ERROR_FAILED, "%s: %s", what, error->message);

      g_error_free (error);
      error = wrapped;
    }
  hull_worker_client_spawn_fail (data, error, TRUE);
}

static void
spawn_proxy_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SpawnData *data = g_task_get_task_data (task);
  HullWorkerClient *client = data->client;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDBusWorker) proxy = hull_dbus_worker_proxy_new_finish (result, &error);
  g_autoptr (GTask) setup_task = NULL;

  if (data->failing)
    return;
  if (proxy == NULL)
    {
      g_autofree char *what
          = g_strdup_printf (_ ("cannot talk to the worker for domain %s"), client->uuid);

      spawn_fail_operation (data, g_steal_pointer (&error), what);
      return;
    }
  hull_worker_client_take_proxy (client, g_steal_pointer (&proxy));
  if (client->connection_closed || g_dbus_connection_is_closed (client->connection))
    {
      hull_worker_client_spawn_fail (data, NULL, FALSE);
      return;
    }

  g_debug ("worker for domain %s (pid %d) is ready", client->uuid, (int)client->pid);
  setup_task = spawn_end (data);
  g_task_return_pointer (setup_task, g_object_ref (client), g_object_unref);
}

static void
spawn_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SpawnData *data = g_task_get_task_data (task);
  HullWorkerClient *client = data->client;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection
      = g_dbus_connection_new_for_address_finish (result, &error);

  if (data->failing)
    return;
  if (connection == NULL)
    {
      g_autofree char *what = g_strdup_printf (
          _ ("cannot connect to the worker for domain %s at %s"), client->uuid, data->socket_path);

      spawn_fail_operation (data, g_steal_pointer (&error), what);
      return;
    }
  hull_worker_client_take_connection (client, g_steal_pointer (&connection));
  if (g_dbus_connection_is_closed (client->connection))
    {
      client->connection_closed = TRUE;
      hull_worker_client_spawn_fail (data, NULL, FALSE);
      return;
    }
  hull_dbus_worker_proxy_new (client->connection, G_DBUS_PROXY_FLAGS_NONE, NULL,
                              HULL_DBUS_WORKER_PATH, data->cancellable, spawn_proxy_ready,
                              g_object_ref (task));
}

static void
spawn_connect (SpawnData *data)
{
  g_autofree char *escaped = g_dbus_address_escape_value (data->socket_path);
  g_autofree char *address = g_strconcat ("unix:path=", escaped, NULL);

  data->phase = SETUP_CONNECT;
  g_dbus_connection_new_for_address (address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL,
                                     data->cancellable, spawn_connected, g_object_ref (data->task));
}

/* An ERROR line: the worker's own error, code and message. */
static GError *
ready_line_error (HullWorkerClient *client, const HullReadyLine *line)
{
  if (line->message[0] == '\0')
    return g_error_new (HULL_ERROR, line->code,
                        _ ("the worker for domain %s failed without saying why; see %s"),
                        client->uuid, client->log_path);
  return g_error_new_literal (HULL_ERROR, line->code, line->message);
}

static void spawn_read_ready (SpawnData *data);

static void
spawn_ready_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SpawnData *data = g_task_get_task_data (task);
  HullWorkerClient *client = data->client;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullReadyLine) parsed = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  const char *line = data->ready_line;
  const char *newline;
  gsize length;

  if (data->failing)
    return;
  if (n < 0)
    {
      g_autofree char *what = g_strdup_printf (
          _ ("cannot read the ready line of the worker for domain %s"), client->uuid);

      g_clear_object (&data->ready);
      spawn_fail_operation (data, g_steal_pointer (&error), what);
      return;
    }
  newline = memchr (data->ready_line + data->ready_length, '\n', (gsize)n);
  data->ready_length += (gsize)n;
  data->ready_line[data->ready_length] = '\0';
  if (newline == NULL && n > 0 && data->ready_length < READY_LINE_MAX)
    {
      spawn_read_ready (data);
      return;
    }
  /* One line, then the worker closes the fd: we are done with it. */
  g_clear_object (&data->ready);

  if (newline == NULL && n > 0)
    {
      hull_worker_client_spawn_fail (
          data,
          g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                       _ ("the worker for domain %s did not end its ready line within %d bytes; "
                          "see %s"),
                       client->uuid, READY_LINE_MAX, client->log_path),
          TRUE);
      return;
    }
  if (newline == NULL && data->ready_length == 0)
    {
      /* EOF: the worker is going away (or has); report its exit status. */
      hull_worker_client_spawn_fail (data, NULL, FALSE);
      return;
    }
  /* Up to its '\n', or all of it at EOF. */
  length = newline != NULL ? (gsize)(newline - line) : data->ready_length;

  parsed = hull_ready_line_parse (line, length, NULL);
  if (parsed != NULL && parsed->ready)
    spawn_connect (data);
  else if (parsed != NULL)
    hull_worker_client_spawn_fail (data, ready_line_error (client, parsed), FALSE);
  else
    {
      /* Quoted as sent, up to its trailing white space, nul bytes shown. */
      g_autofree char *valid = NULL;
      g_autofree char *quoted = NULL;

      while (length > 0 && g_ascii_isspace (line[length - 1]))
        length--;
      valid = g_utf8_make_valid (line, (gssize)length);
      quoted = hull_key_record_quote (valid);
      hull_worker_client_spawn_fail (
          data,
          g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                       _ ("the worker for domain %s sent \"%s\" instead of its ready "
                          "line; see %s"),
                       client->uuid, quoted, client->log_path),
          TRUE);
    }
}

/* Reads on, up to READY_LINE_MAX bytes in all. */
static void
spawn_read_ready (SpawnData *data)
{
  g_input_stream_read_async (data->ready, data->ready_line + data->ready_length,
                             READY_LINE_MAX - data->ready_length, G_PRIORITY_DEFAULT,
                             data->cancellable, spawn_ready_read, g_object_ref (data->task));
}

/* Writes @text, in full, to @fd [async-signal-safe]. */
static void
child_write (int fd, const char *text)
{
  size_t left = strlen (text);

  while (left > 0)
    {
      ssize_t n = write (fd, text, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      text += n;
      left -= (size_t)n;
    }
}

/* In the child, before exec (its fds are in place; nothing but
 * async-signal-safe calls: hulld has threads): a session of its own, so
 * that a terminal's signals to hulld do not reach it, and no privileges
 * but the owner's (hull-privsep.h). A failure is the worker's ERROR line:
 * "<the message hulld made> <step> (errno N)". No parent-death signal:
 * workers outlive a restarting hulld. */
static void
worker_child_setup (gpointer user_data)
{
  const SpawnData *data = user_data;
  const char *step = "";
  char number[16];
  int r, i = (int)sizeof number;

  setsid ();
  r = hull_privsep_drop (data->creds, data->privsep, &step);
  if (r == 0)
    return;
  number[--i] = '\0';
  do
    number[--i] = (char)('0' + r % 10);
  while ((r /= 10) > 0 && i > 0);
  child_write (READY_FD, data->privsep_error);
  child_write (READY_FD, step);
  child_write (READY_FD, " (errno ");
  child_write (READY_FD, number + i);
  child_write (READY_FD, ")\n");
  _exit (1);
}

static GStrv
spawn_argv (const HullWorkerSpawnOptions *options)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const struct
  {
    gboolean given;
    const char *option;
    int fd;
  } fds[] = {
    { TRUE, "--xml-fd", XML_FD },
    { TRUE, "--listen-fd", LISTEN_FD },
    { TRUE, "--status-fd", STATUS_FD },
    { options->console_log_path != NULL, "--console-log-fd", CONSOLE_LOG_FD },
    { options->kvm_device != NULL, "--kvm-fd", KVM_FD },
    { options->kernel_path != NULL, "--kernel-fd", KERNEL_FD },
    { options->initrd_path != NULL, "--initrd-fd", INITRD_FD },
    { TRUE, "--ready-fd", READY_FD },
  };

  g_strv_builder_add_many (builder, options->worker_path, "--worker", "--uuid", options->uuid,
                           "--xml", options->xml_path, "--runtime-dir", options->runtime_dir, NULL);
  if (options->console_log_path != NULL)
    g_strv_builder_add_many (builder, "--console-log", options->console_log_path, NULL);
  if (options->backend != NULL)
    g_strv_builder_add_many (builder, "--backend", options->backend, NULL);
  if (options->backend_dir != NULL)
    g_strv_builder_add_many (builder, "--backend-dir", options->backend_dir, NULL);
  if (options->speed != NULL)
    g_strv_builder_add_many (builder, "--speed", options->speed, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (fds); i++)
    if (fds[i].given)
      {
        g_autofree char *number = g_strdup_printf ("%d", fds[i].fd);

        g_strv_builder_add_many (builder, fds[i].option, number, NULL);
      }
  return g_strv_builder_end (builder);
}

/* Sets @error to the message, ": " and errno's text; returns -1. */
static int G_GNUC_PRINTF (2, 3) fail_open (GError **error, const char *format, ...)
{
  int errsv = errno;
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, HULL_ERROR, HULL_ERROR_IO, "%s: %s", message, g_strerror (errsv));
  return -1;
}

/* $runtime/vm/<uuid>.sock, bound and listening: mode 0600, ours (only hulld
 * connects; the worker accepts on the fd). A stale one is replaced. */
static int
make_listen_socket (const char *path, const char *uuid, GError **error)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof address.sun_path)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO,
                   _ ("cannot make the socket of the worker for domain %s, %s: the path is too "
                      "long"),
                   uuid, path);
      return -1;
    }
  strcpy (address.sun_path, path);
  if (g_unlink (path) < 0 && errno != ENOENT)
    return fail_open (error, _ ("cannot remove the stale socket of the worker for domain %s, %s"),
                      uuid, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return fail_open (error, _ ("cannot make the socket of the worker for domain %s, %s"), uuid,
                      path);
  if (bind (fd, (struct sockaddr *)&address, sizeof address) < 0 || chmod (path, 0600) < 0
      || listen (fd, 16) < 0)
    {
      int errsv = errno;

      close (fd);
      errno = errsv;
      return fail_open (error, _ ("cannot make the socket of the worker for domain %s, %s"), uuid,
                        path);
    }
  return fd;
}

/* Opens @path (made 0600 if new) not following a symbolic link: an
 * existing file must be a regular file with no other hard link, which an
 * earlier owner could have planted to read what is written for the next.
 * Returns the fd (blocking), or -1 with *@reason, a translated text. */
static int
open_regular_file (const char *path, int flags, const char **reason)
{
  struct stat st;
  int fd = g_open (path, flags | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK, 0600);
  int errsv, status_flags;

  if (fd < 0)
    {
      errsv = errno;
      if (errsv == ELOOP && g_lstat (path, &st) == 0 && S_ISLNK (st.st_mode))
        *reason = _ ("it is a symbolic link");
      else
        *reason = g_strerror (errsv);
      return -1;
    }
  if (fstat (fd, &st) < 0)
    *reason = g_strerror (errno);
  else if (!S_ISREG (st.st_mode))
    *reason = _ ("it is not a regular file");
  else if (st.st_nlink != 1)
    *reason = _ ("it has other hard links");
  else if ((status_flags = fcntl (fd, F_GETFL)) < 0
           || fcntl (fd, F_SETFL, status_flags & ~O_NONBLOCK) < 0)
    *reason = g_strerror (errno);
  else
    return fd;
  close (fd);
  return -1;
}

/* A file hulld makes for the worker: 0600, the owner's in system mode. */
static int
open_worker_file (SpawnData *data, const char *path, int flags, const char *what, GError **error)
{
  const char *reason = NULL;
  int fd = open_regular_file (path, flags, &reason);

  if (fd < 0)
    {
      g_autofree char *message = g_strdup_printf (_ ("cannot open the %s of domain %s, %s"), what,
                                                  data->client->uuid, path);

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, "%s: %s", message, reason);
      return -1;
    }
  if (data->creds != NULL && fchown (fd, data->owner, (gid_t)-1) < 0)
    {
      int errsv = errno;

      close (fd);
      errno = errsv;
      return fail_open (error, _ ("cannot give the %s of domain %s, %s, to its owner"), what,
                        data->client->uuid, path);
    }
  return fd;
}

/* Opens what the worker gets (fds[i] is the worker's READY_FD + i; -1:
 * none). The log is fds[0] until the ready pipe takes its place. */
static gboolean
open_worker_fds (SpawnData *data, int *fds, GError **error)
{
  const char *uuid = data->client->uuid;
  g_autofree char *vm_dir = g_path_get_dirname (data->socket_path);

  if (g_mkdir_with_parents (vm_dir, 0700) < 0)
    {
      fail_open (error, _ ("cannot make the directory for domain %s, %s"), uuid, vm_dir);
      return FALSE;
    }
  fds[XML_FD - READY_FD] = g_open (data->xml_path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
  if (fds[XML_FD - READY_FD] < 0)
    {
      fail_open (error, _ ("cannot open the definition of domain %s, %s"), uuid, data->xml_path);
      return FALSE;
    }
  if (data->kvm_device != NULL)
    {
      fds[KVM_FD - READY_FD] = g_open (data->kvm_device, O_RDWR | O_CLOEXEC | O_NOCTTY, 0);
      if (fds[KVM_FD - READY_FD] < 0)
        {
          int errsv = errno;

          g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_UNAVAILABLE,
                       _ ("domain '%s': backend 'kvm' is not available: cannot open %s: %s"),
                       data->name, data->kvm_device, g_strerror (errsv));
          return FALSE;
        }
    }
  if (data->console_log_path != NULL)
    {
      fds[CONSOLE_LOG_FD - READY_FD] = open_worker_file (
          data, data->console_log_path, O_WRONLY | O_APPEND | O_CREAT, _ ("console log"), error);
      if (fds[CONSOLE_LOG_FD - READY_FD] < 0)
        return FALSE;
    }

  /* The worker's own files: from here on, removed again on failure. */
  fds[LISTEN_FD - READY_FD] = make_listen_socket (data->socket_path, uuid, error);
  if (fds[LISTEN_FD - READY_FD] < 0)
    return FALSE;
  data->made_files = TRUE;
  if (g_unlink (data->status_path) < 0 && errno != ENOENT)
    {
      fail_open (error, _ ("cannot remove the stale status record of domain %s, %s"), uuid,
                 data->status_path);
      return FALSE;
    }
  fds[STATUS_FD - READY_FD] = open_worker_file (data, data->status_path, O_RDWR | O_CREAT | O_EXCL,
                                                _ ("status record"), error);
  if (fds[STATUS_FD - READY_FD] < 0)
    return FALSE;

  /* Passed on, then closed with the rest. */
  fds[KERNEL_FD - READY_FD] = g_steal_fd (&data->kernel_fd);
  fds[INITRD_FD - READY_FD] = g_steal_fd (&data->initrd_fd);
  return TRUE;
}

/* Starts the process: stdin from /dev/null, stdout and stderr appended to
 * the log, the ready pipe's write end as READY_FD, what hulld opened for it
 * from LISTEN_FD on, and nothing else. Returns the read end, or -1. */
static int
spawn_process (SpawnData *data, GPid *pid, GError **error)
{
  const char *uuid = data->client->uuid;
  g_autoptr (GError) local_error = NULL;
  const char *reason = NULL;
  int log_fd = -1, pipe_fds[2] = { -1, -1 };
  int fds[N_WORKER_FDS], source_fds[N_WORKER_FDS], target_fds[N_WORKER_FDS];
  int n_fds = 0;
  gboolean ok = FALSE;

  for (int i = 0; i < N_WORKER_FDS; i++)
    fds[i] = -1;
  if (!open_worker_fds (data, fds, error))
    goto out;
  log_fd = open_regular_file (data->log_path, O_WRONLY | O_APPEND | O_CREAT, &reason);
  if (log_fd < 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO,
                   _ ("cannot open the log of the worker for domain %s, %s: %s"), uuid,
                   data->log_path, reason);
      goto out;
    }
  if (!g_unix_open_pipe (pipe_fds, FD_CLOEXEC, &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO,
                   _ ("cannot make the ready pipe of the worker for domain %s: %s"), uuid,
                   local_error->message);
      goto out;
    }
  fds[0] = pipe_fds[1];
  pipe_fds[1] = -1;

  /* Every source above every target: no mapping overwrites another's
   * source, and none is a no-op dup2() that would keep close-on-exec. */
  for (int i = 0; i < N_WORKER_FDS; i++)
    {
      int high;

      if (fds[i] < 0)
        continue;
      high = fcntl (fds[i], F_DUPFD_CLOEXEC, READY_FD + N_WORKER_FDS);
      if (high < 0)
        {
          fail_open (error, _ ("cannot pass files to the worker for domain %s"), uuid);
          goto out;
        }
      close (fds[i]);
      fds[i] = high;
      source_fds[n_fds] = high;
      target_fds[n_fds] = READY_FD + i;
      n_fds++;
    }

  ok = g_spawn_async_with_pipes_and_fds (
      NULL, (const char *const *)data->argv, NULL,
      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL, worker_child_setup, data, -1, log_fd,
      log_fd, source_fds, target_fds, (gsize)n_fds, pid, NULL, NULL, NULL, &local_error);
  if (!ok)
    g_set_error (error, HULL_ERROR, HULL_ERROR_FAILED,
                 _ ("cannot start the worker for domain %s (%s): %s"), uuid, data->argv[0],
                 local_error != NULL ? local_error->message : g_strerror (errno));

out:
  if (log_fd >= 0)
    close (log_fd);
  for (int i = 0; i < N_WORKER_FDS; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (pipe_fds[1] >= 0)
    close (pipe_fds[1]);
  if (!ok)
    {
      if (pipe_fds[0] >= 0)
        close (pipe_fds[0]);
      spawn_remove_files (data);
      return -1;
    }
  return pipe_fds[0];
}

/* Starts the process, now that the files are open, and waits for its
 * ready line. */
static void
spawn_begin (GTask *task)
{
  SpawnData *data = g_task_get_task_data (task);
  HullWorkerClient *client = data->client;
  g_autoptr (GError) error = NULL;
  int ready_fd;

  if (data->user_cancellable != NULL && g_cancellable_is_cancelled (data->user_cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _ ("starting the worker for domain %s was cancelled"), client->uuid);
      return;
    }
  ready_fd = spawn_process (data, &client->pid, &error);
  if (ready_fd < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_debug ("spawned the worker for domain %s, pid %d", client->uuid, (int)client->pid);

  {
    g_autoptr (GSource) watch = g_child_watch_source_new (client->pid);

    g_source_set_callback (watch, G_SOURCE_FUNC (hull_worker_client_on_child_exited), client, NULL);
    g_source_set_static_name (watch, "[hull] worker child watch");
    client->child_watch_id = g_source_attach (watch, client->context);
  }

  client->setup = data;
  client->setup_task = g_object_ref (task);
  data->phase = SETUP_READ;
  data->timeout_id
      = hull_worker_client_add_timeout (client, data->ready_timeout_ms, spawn_timed_out, data);
  if (data->user_cancellable != NULL)
    data->user_cancelled_id
        = g_cancellable_connect (data->user_cancellable, G_CALLBACK (spawn_user_cancelled),
                                 g_object_ref (data->cancellable), g_object_unref);

  data->ready = g_unix_input_stream_new (ready_fd, TRUE);
  spawn_read_ready (data);
}

static void
spawn_files_opened (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  SpawnData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree int *fds = hull_file_opener_open_finish (result, &error);
  guint i = 0;

  if (fds == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->argv != NULL && g_strv_contains ((const char *const *)data->argv, "--kernel-fd"))
    data->kernel_fd = fds[i++];
  if (g_strv_contains ((const char *const *)data->argv, "--initrd-fd"))
    data->initrd_fd = fds[i++];
  spawn_begin (task);
}

/* In system mode: how the worker is started, and what it says when that
 * fails. FALSE: the owner is unknown. */
static gboolean
spawn_prepare_privsep (SpawnData *data, GError **error)
{
  g_autofree char *user = NULL;
  g_autofree char *message = NULL;

  data->privsep = 0;
  if (!data->system)
    return TRUE;
  if (geteuid () == 0)
    data->privsep = HULL_PRIVSEP_SWITCH_USER | HULL_PRIVSEP_DROP_CAPS;
  else if (data->owner != geteuid ())
    data->privsep = HULL_PRIVSEP_SWITCH_USER; /* fails: only root may */
  if (data->privsep & HULL_PRIVSEP_SWITCH_USER)
    {
      data->creds = hull_user_creds_lookup (data->owner, error);
      if (data->creds == NULL)
        {
          g_prefix_error (error, _ ("cannot start domain '%s': "), data->name);
          return FALSE;
        }
    }
  user = hull_user_name (data->owner);
  message = g_strdup_printf (
      _ ("cannot run the worker for domain '%s' as user '%s' without privileges:"), data->name,
      user);
  data->privsep_error = g_strdup_printf ("ERROR %d %s ", HULL_ERROR_FAILED, message);
  /* One line: the ready line's. */
  g_strdelimit (data->privsep_error, "\r\n", ' ');
  return TRUE;
}

/**
 * hull_worker_client_spawn_async:
 *
 * See the header. Cancelling @cancellable ends the setup like any failure
 * (the worker is killed and reaped) with %G_IO_ERROR_CANCELLED.
 */
void
hull_worker_client_spawn_async (const HullWorkerSpawnOptions *options, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  HullWorkerClient *client;
  SpawnData *data;
  HullFileRequest requests[2];
  guint n_requests = 0;

  g_return_if_fail (options != NULL);
  g_return_if_fail (options->worker_path != NULL && options->uuid != NULL);
  g_return_if_fail (options->xml_path != NULL && options->runtime_dir != NULL);
  g_return_if_fail (options->log_path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hull_worker_client_spawn_async);
  g_task_set_name (task, "[hull] hull_worker_client_spawn_async");
  /* We answer cancellation ourselves, after the worker is gone: a task that
   * turned a success into CANCELLED would drop a running worker. */
  g_task_set_check_cancellable (task, FALSE);

  client = g_object_new (HULL_TYPE_WORKER_CLIENT, NULL);
  client->uuid = g_strdup (options->uuid);
  client->log_path = g_strdup (options->log_path);
  client->runtime_dir = g_strdup (options->runtime_dir);
  client->spawned = TRUE;

  data = g_new0 (SpawnData, 1);
  data->client = client;
  data->task = task;
  data->cancellable = g_cancellable_new ();
  data->user_cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  data->socket_path = hull_worker_client_file_path (options->runtime_dir, options->uuid, ".sock");
  data->status_path = hull_worker_client_file_path (options->runtime_dir, options->uuid, ".status");
  data->ready_timeout_ms
      = options->ready_timeout_ms != 0 ? options->ready_timeout_ms : READY_TIMEOUT_MS_DEFAULT;
  data->argv = spawn_argv (options);
  data->name = g_strdup (options->name != NULL ? options->name : options->uuid);
  data->xml_path = g_strdup (options->xml_path);
  data->log_path = g_strdup (options->log_path);
  data->console_log_path = g_strdup (options->console_log_path);
  data->kvm_device = g_strdup (options->kvm_device);
  data->system = options->system;
  data->owner = options->owner;
  data->kernel_fd = -1;
  data->initrd_fd = -1;
  g_task_set_task_data (task, data, spawn_data_free);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _ ("starting the worker for domain %s was cancelled"), client->uuid);
      return;
    }
  if (!spawn_prepare_privsep (data, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (options->kernel_path != NULL)
    requests[n_requests++] = (HullFileRequest){ _ ("kernel"), options->kernel_path };
  if (options->initrd_path != NULL)
    requests[n_requests++] = (HullFileRequest){ _ ("initrd"), options->initrd_path };
  if (n_requests == 0)
    {
      spawn_begin (task);
      return;
    }
  /* With the owner's rights: hulld (root) opens them as the owner in a
   * child of its own, except for root's domains. Otherwise hulld is the
   * owner (session mode), or is not root and has no other rights to use. */
  hull_file_opener_open_async (data->name, options->owner,
                               options->system && geteuid () == 0 && options->owner != 0, requests,
                               n_requests, cancellable, spawn_files_opened, g_object_ref (task));
}

HullWorkerClient *
hull_worker_client_spawn_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hull_worker_client_spawn_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
