/* hull-worker-attach.c — reattaching to a worker an earlier hulld left
 * running: hull_worker_client_attach_async() (hull-worker-client.h,
 * docs/daemon.md).
 *
 * Reads the worker's status record (in a thread, until two reads in a row
 * agree: the worker rewrites it in place), checks the pid it names is
 * alive, connects to the socket and checks that pid is the socket's peer
 * before trusting it. Part of HullWorkerClient
 * (hull-worker-client-private.h).
 */
#include "config.h"

#include "hull-worker-client.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-worker-client-private.h"
#include "hull-worker-status.h"

/* How often a status record is read at most, waiting for two reads in a
 * row to agree (its worker rewrites it in place), and the pause between. */
#define STATUS_READS_MAX 10
#define STATUS_READ_PAUSE_US 1000
/* Larger records are damaged (hull-key-record.h); one byte more tells. */
#define STATUS_SIZE_MAX (64 * 1024 + 1)

typedef struct
{
  HullWorkerClient *client;
  char *runtime_dir;
  char *status_path;
  char *socket_path;
} AttachData;

static void
attach_data_free (gpointer p)
{
  AttachData *data = p;

  g_clear_object (&data->client);
  g_free (data->runtime_dir);
  g_free (data->status_path);
  g_free (data->socket_path);
  g_free (data);
}

static void
attach_proxy_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  AttachData *data = g_task_get_task_data (task);
  HullWorkerClient *client = data->client;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDBusWorker) proxy = hull_dbus_worker_proxy_new_finish (result, &error);
  const char *uuid;

  if (proxy == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, HULL_ERROR,
                                 client->connection_closed
                                         || g_dbus_connection_is_closed (client->connection)
                                     ? HULL_ERROR_NOT_FOUND
                                     : HULL_ERROR_FAILED,
                                 _ ("cannot talk to the worker for domain %s at %s: %s"),
                                 client->uuid, data->socket_path, error->message);
      return;
    }
  uuid = hull_dbus_worker_get_uuid (proxy);
  if (uuid != NULL && strcmp (uuid, client->uuid) != 0)
    {
      g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                               _ ("%s: the worker there runs domain %s, not %s"), data->socket_path,
                               uuid, client->uuid);
      return;
    }
  hull_worker_client_take_proxy (client, g_steal_pointer (&proxy));
  if (client->connection_closed || g_dbus_connection_is_closed (client->connection))
    {
      g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                               _ ("the worker for domain %s went away"), client->uuid);
      return;
    }
  g_debug ("attached to the worker for domain %s (pid %d)", client->uuid, (int)client->pid);
  g_task_return_pointer (task, g_object_ref (client), g_object_unref);
}

/* The process at the other end of the socket (SO_PEERCRED) must be the
 * one the record names: a record cannot make us signal another process.
 * On a mismatch the pid is forgotten. */
static GError *
attach_check_peer (AttachData *data)
{
  HullWorkerClient *client = data->client;
  GIOStream *stream = g_dbus_connection_get_stream (client->connection);
  g_autoptr (GCredentials) credentials = NULL;
  g_autoptr (GError) error = NULL;
  GPid recorded = client->pid;
  pid_t peer = -1;

  if (G_IS_SOCKET_CONNECTION (stream))
    credentials = g_socket_get_credentials (
        g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream)), &error);
  if (credentials != NULL)
    peer = g_credentials_get_unix_pid (credentials, &error);
  if (peer == recorded)
    return NULL;
  client->pid = 0;
  if (peer < 0)
    return g_error_new (HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                        _ ("cannot tell which process serves %s, so the worker status record %s "
                           "(pid %d) cannot be trusted: %s"),
                        data->socket_path, data->status_path, (int)recorded,
                        error != NULL ? error->message : "");
  return g_error_new (HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                      _ ("the worker status record %s is damaged: it says pid %d, but pid %d "
                         "serves %s"),
                      data->status_path, (int)recorded, (int)peer, data->socket_path);
}

static void
attach_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  AttachData *data = g_task_get_task_data (task);
  HullWorkerClient *client = data->client;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection
      = g_dbus_connection_new_for_address_finish (result, &error);

  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (
            task, HULL_ERROR,
            g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
                    || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
                ? HULL_ERROR_NOT_FOUND
                : HULL_ERROR_IO,
            _ ("cannot connect to the worker for domain %s at %s: %s"), client->uuid,
            data->socket_path, error->message);
      return;
    }
  hull_worker_client_take_connection (client, g_steal_pointer (&connection));
  error = attach_check_peer (data);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  hull_dbus_worker_proxy_new (client->connection, G_DBUS_PROXY_FLAGS_NONE, NULL,
                              HULL_DBUS_WORKER_PATH, g_task_get_cancellable (task),
                              attach_proxy_ready, g_object_ref (task));
}

/* Takes pid and socket from the record; %NULL when it is sound and names
 * our domain's socket (hull-worker-status.h). */
static GError *
attach_parse_record (AttachData *data, const char *contents, gsize length)
{
  HullWorkerClient *client = data->client;
  g_autoptr (HullWorkerStatus) status = NULL;
  GError *error = NULL;

  status = hull_worker_status_parse (contents, length, data->status_path, &error);
  if (status == NULL
      || !hull_worker_status_check (status, data->runtime_dir, client->uuid, data->status_path,
                                    &error))
    return error;
  client->pid = status->pid;
  /* The path we make, not the recorded one (which only equals it). */
  data->socket_path = hull_worker_client_file_path (data->runtime_dir, client->uuid, ".sock");
  return NULL;
}

/* Reads @path whole (up to STATUS_SIZE_MAX bytes); NULL with errno set. */
static GBytes *
read_record_once (const char *path)
{
  g_autofree char *buffer = g_malloc (STATUS_SIZE_MAX);
  gsize length = 0;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);

  if (fd < 0)
    return NULL;
  while (length < STATUS_SIZE_MAX)
    {
      ssize_t n = read (fd, buffer + length, STATUS_SIZE_MAX - length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          close (fd);
          errno = errsv;
          return NULL;
        }
      if (n == 0)
        break;
      length += (gsize)n;
    }
  close (fd);
  return g_bytes_new_take (g_realloc (g_steal_pointer (&buffer), MAX (length, 1)), length);
}

/* The worker rewrites its record in place (pwrite, then ftruncate): read it
 * until two reads in a row agree, a few times at most; the last read is
 * what the parser then judges. */
static void
read_record_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr (GBytes) previous = NULL;

  for (guint i = 0; i < STATUS_READS_MAX; i++)
    {
      g_autoptr (GBytes) bytes = read_record_once (path);

      if (bytes == NULL)
        {
          int errsv = errno;

          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv), "%s",
                                   g_strerror (errsv));
          return;
        }
      if (previous != NULL && g_bytes_equal (previous, bytes))
        break;
      g_clear_pointer (&previous, g_bytes_unref);
      previous = g_steal_pointer (&bytes);
      if (i + 1 < STATUS_READS_MAX)
        g_usleep (STATUS_READ_PAUSE_US);
    }
  g_task_return_pointer (task, g_steal_pointer (&previous), (GDestroyNotify)g_bytes_unref);
}

static void
attach_record_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  AttachData *data = g_task_get_task_data (task);
  HullWorkerClient *client = data->client;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *address = NULL;
  const char *contents;
  gsize length;

  bytes = g_task_propagate_pointer (G_TASK (result), &error);
  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                                 _ ("no worker runs domain %s: %s does not exist"), client->uuid,
                                 data->status_path);
      else
        g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_IO,
                                 _ ("cannot read the worker status record %s: %s"),
                                 data->status_path, error->message);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  contents = g_bytes_get_data (bytes, &length);
  error = attach_parse_record (data, contents != NULL ? contents : "", length);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* EPERM: alive, not ours to signal; the socket decides. */
  if (kill (client->pid, 0) < 0 && errno == ESRCH)
    {
      g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                               _ ("the worker for domain %s (pid %d) is gone"), client->uuid,
                               (int)client->pid);
      return;
    }

  escaped = g_dbus_address_escape_value (data->socket_path);
  address = g_strconcat ("unix:path=", escaped, NULL);
  g_dbus_connection_new_for_address (address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT, NULL,
                                     g_task_get_cancellable (task), attach_connected,
                                     g_object_ref (task));
}

void
hull_worker_client_attach_async (const char *runtime_dir, const char *uuid,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GTask) read_task = NULL;
  AttachData *data;

  g_return_if_fail (runtime_dir != NULL);
  g_return_if_fail (uuid != NULL && strchr (uuid, '/') == NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hull_worker_client_attach_async);
  g_task_set_name (task, "[hull] hull_worker_client_attach_async");

  data = g_new0 (AttachData, 1);
  data->client = g_object_new (HULL_TYPE_WORKER_CLIENT, NULL);
  data->client->uuid = g_strdup (uuid);
  data->client->runtime_dir = g_strdup (runtime_dir);
  data->runtime_dir = g_strdup (runtime_dir);
  data->status_path = hull_worker_client_file_path (runtime_dir, uuid, ".status");
  g_task_set_task_data (task, data, attach_data_free);

  read_task = g_task_new (NULL, cancellable, attach_record_loaded, g_object_ref (task));
  g_task_set_source_tag (read_task, read_record_thread);
  g_task_set_name (read_task, "[hull] read a worker status record");
  g_task_set_task_data (read_task, g_strdup (data->status_path), g_free);
  g_task_run_in_thread (read_task, read_record_thread);
}

HullWorkerClient *
hull_worker_client_attach_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hull_worker_client_attach_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
