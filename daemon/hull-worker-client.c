/* hull-worker-client.c — hulld's side of one hull-vm worker (docs/daemon.md).
 *
 * A client is born by spawning a worker (its child) or by attaching to one
 * an earlier hulld left running (not its child). Either way it owns the
 * peer-to-peer connection and the Worker proxy, and says once, through
 * "closed", that the worker is gone.
 *
 * Spawned workers are reaped with a child watch; a client dropped while its
 * worker still runs leaves behind a watch that only reaps (no callback into
 * the client), so no zombie is ever left. Attached workers cannot be reaped
 * (their parent is init or a subreaper): their end is seen only as the
 * connection closing.
 *
 * This file has the object, its signals, the connection and proxy, stop
 * and kill; starting a worker is in hull-worker-spawn.c and reattaching in
 * hull-worker-attach.c, with what they share in
 * hull-worker-client-private.h.
 */
#include "config.h"

#include "hull-worker-client.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-worker-client-private.h"

G_DEFINE_FINAL_TYPE (HullWorkerClient, hull_worker_client, G_TYPE_OBJECT)

enum
{
  SIGNAL_HALTED,
  SIGNAL_STATE_CHANGED,
  SIGNAL_CLOSED,
  N_SIGNALS,
};

static guint signals[N_SIGNALS];

/* --- helpers ----------------------------------------------------------- */

char *
hull_worker_client_file_path (const char *runtime_dir, const char *uuid, const char *suffix)
{
  g_autofree char *name = g_strconcat (uuid, suffix, NULL);

  return g_build_filename (runtime_dir, "vm", name, NULL);
}

guint
hull_worker_client_add_timeout (HullWorkerClient *client, guint ms, GSourceFunc func, gpointer data)
{
  g_autoptr (GSource) source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_set_static_name (source, "[hull] worker client timeout");
  return g_source_attach (source, client->context);
}

/* Whether the worker is still there as far as we can tell: a spawned one
 * until it is reaped, an attached one until its connection closes. */
static gboolean
worker_may_be_alive (HullWorkerClient *client)
{
  if (client->pid <= 0)
    return FALSE;
  if (client->spawned)
    return !client->reaped;
  return client->connection != NULL && !client->connection_closed;
}

/* SIGKILL, never to a pid that may have been reused: a spawned worker is
 * killed only before it is reaped (its pid stays ours until then). */
void
hull_worker_client_sigkill (HullWorkerClient *client)
{
  if (!worker_may_be_alive (client))
    return;
  if (kill (client->pid, SIGKILL) < 0 && errno != ESRCH)
    {
      int errsv = errno;

      g_warning (_ ("cannot kill the worker for domain %s (pid %d): %s"), client->uuid,
                 (int)client->pid, g_strerror (errsv));
    }
}

char *
hull_worker_client_describe_wait_status (int status)
{
  if (WIFEXITED (status))
    return g_strdup_printf (_ ("status %d"), WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    return g_strdup_printf (_ ("signal %d, %s"), WTERMSIG (status),
                            g_strsignal (WTERMSIG (status)));
  return g_strdup_printf (_ ("wait status %d"), status);
}

/* Reaps a spawned worker whose client is gone. */
static void
reap_detached (GPid pid, int status, gpointer user_data)
{
  g_spawn_close_pid (pid);
}

/* --- signals from the worker ------------------------------------------- */

static void stop_maybe_complete (HullWorkerClient *client, gboolean force);

/* The worker is gone (its connection closed or, spawned, it was reaped):
 * "closed", once, and pending stops complete once both have happened. */
static void
worker_gone (HullWorkerClient *client)
{
  g_object_ref (client);

  /* Reaped first: the connection follows as soon as GDBus reads EOF; closing
   * it ourselves makes that prompt. */
  if (client->reaped && client->connection != NULL && !client->connection_closed)
    g_dbus_connection_close (client->connection, NULL, NULL, NULL);

  /* hulld made the socket and the status record; a worker we stopped
   * leaves them to us. (One that died is its domain's to clean up.) */
  if (client->expected && !client->closed && client->runtime_dir != NULL)
    hull_worker_client_remove_stale (client->runtime_dir, client->uuid);
  if (!client->closed)
    {
      client->closed = TRUE;
      g_debug ("worker for domain %s closed (%s)", client->uuid,
               client->expected ? "expected" : "unexpected");
      g_signal_emit (client, signals[SIGNAL_CLOSED], 0, client->expected);
    }
  stop_maybe_complete (client, FALSE);

  g_object_unref (client);
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      gpointer user_data)
{
  HullWorkerClient *client = user_data;

  if (client->connection_closed)
    return;
  client->connection_closed = TRUE;
  if (client->setup != NULL)
    {
      /* Died during setup: wait for its exit status. */
      hull_worker_client_spawn_fail (client->setup, NULL, FALSE);
      return;
    }
  worker_gone (client);
}

void
hull_worker_client_on_child_exited (GPid pid, int status, gpointer user_data)
{
  HullWorkerClient *client = user_data;

  client->child_watch_id = 0;
  client->reaped = TRUE;
  client->wait_status = status;
  g_spawn_close_pid (pid);

  if (client->setup != NULL)
    {
      hull_worker_client_spawn_child_exited (client->setup);
      return;
    }
  if (!client->closed)
    {
      g_autofree char *how = hull_worker_client_describe_wait_status (status);

      g_debug ("worker for domain %s (pid %d) exited (%s)", client->uuid, (int)pid, how);
    }
  worker_gone (client);
}

static void
on_halted (HullDBusWorker *proxy, const char *kind, const char *description, gpointer user_data)
{
  g_signal_emit (user_data, signals[SIGNAL_HALTED], 0, kind, description);
}

static void
on_properties_changed (GDBusProxy *proxy, GVariant *changed, const char *const *invalidated,
                       gpointer user_data)
{
  HullWorkerClient *client = user_data;
  g_autoptr (GVariant) state = g_variant_lookup_value (changed, "State", G_VARIANT_TYPE_STRING);

  if (state == NULL && (invalidated == NULL || !g_strv_contains (invalidated, "State")))
    return;
  g_signal_emit (client, signals[SIGNAL_STATE_CHANGED], 0,
                 state != NULL ? g_variant_get_string (state, NULL) : "");
}

/* Takes @connection (exit-on-close off) and listens for its end. */
void
hull_worker_client_take_connection (HullWorkerClient *client, GDBusConnection *connection)
{
  g_assert (client->connection == NULL);
  client->connection = connection;
  g_dbus_connection_set_exit_on_close (connection, FALSE);
  client->connection_closed_id
      = g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), client);
}

void
hull_worker_client_take_proxy (HullWorkerClient *client, HullDBusWorker *proxy)
{
  g_assert (client->proxy == NULL);
  client->proxy = proxy;
  client->halted_id = g_signal_connect (proxy, "halted", G_CALLBACK (on_halted), client);
  client->properties_changed_id = g_signal_connect (proxy, "g-properties-changed",
                                                    G_CALLBACK (on_properties_changed), client);
}

/* --- stale files ------------------------------------------------------------ */

void
hull_worker_client_remove_stale (const char *runtime_dir, const char *uuid)
{
  static const char *const suffixes[] = { ".sock", ".status" };

  g_return_if_fail (runtime_dir != NULL);
  g_return_if_fail (uuid != NULL && strchr (uuid, '/') == NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = hull_worker_client_file_path (runtime_dir, uuid, suffixes[i]);

      if (g_unlink (path) < 0 && errno != ENOENT)
        {
          int errsv = errno;

          g_warning (_ ("cannot remove %s: %s"), path, g_strerror (errsv));
        }
    }
}

/* --- accessors ----------------------------------------------------------- */

HullDBusWorker *
hull_worker_client_get_proxy (HullWorkerClient *client)
{
  g_return_val_if_fail (HULL_IS_WORKER_CLIENT (client), NULL);

  return client->proxy;
}

GPid
hull_worker_client_get_pid (HullWorkerClient *client)
{
  g_return_val_if_fail (HULL_IS_WORKER_CLIENT (client), 0);

  return client->pid;
}

/* --- stop and kill --------------------------------------------------------- */

/* Completes the pending stops once the worker is gone: its connection
 * closed and, spawned, reaped; or (@force) when we give up waiting. */
static void
stop_maybe_complete (HullWorkerClient *client, gboolean force)
{
  GList *tasks;

  if (client->stop_tasks == NULL)
    return;
  if (!force
      && !(client->closed && (client->connection == NULL || client->connection_closed)
           && (!client->spawned || client->reaped)))
    return;

  g_clear_handle_id (&client->stop_timeout_id, g_source_remove);
  g_clear_handle_id (&client->gone_timeout_id, g_source_remove);
  tasks = g_steal_pointer (&client->stop_tasks);
  for (GList *l = tasks; l != NULL; l = l->next)
    {
      g_task_return_boolean (l->data, TRUE);
      g_object_unref (l->data);
    }
  g_list_free (tasks);
}

static gboolean
stop_gone_timed_out (gpointer user_data)
{
  HullWorkerClient *client = user_data;

  client->gone_timeout_id = 0;
  g_warning (_ ("the worker for domain %s (pid %d) did not exit after SIGKILL"), client->uuid,
             (int)client->pid);
  g_object_ref (client);
  if (!client->closed)
    {
      client->closed = TRUE;
      g_signal_emit (client, signals[SIGNAL_CLOSED], 0, TRUE);
    }
  stop_maybe_complete (client, TRUE);
  g_object_unref (client);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_timed_out (gpointer user_data)
{
  HullWorkerClient *client = user_data;

  client->stop_timeout_id = 0;
  g_debug ("worker for domain %s did not stop in time; killing it", client->uuid);
  hull_worker_client_sigkill (client);
  client->gone_timeout_id
      = hull_worker_client_add_timeout (client, KILL_GRACE_MS, stop_gone_timed_out, client);
  return G_SOURCE_REMOVE;
}

static void
stop_replied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (HullWorkerClient) client = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply != NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Gone already (the connection closed under the call): nothing to do.
   * Alive but refusing: it will not go by itself. */
  if (client->connection == NULL || client->connection_closed
      || g_dbus_connection_is_closed (client->connection))
    return;
  g_debug ("worker for domain %s failed to stop (%s); killing it", client->uuid, error->message);
  hull_worker_client_sigkill (client);
}

void
hull_worker_client_stop_async (HullWorkerClient *client, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (HULL_IS_WORKER_CLIENT (client));
  g_return_if_fail (client->setup == NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, hull_worker_client_stop_async);
  g_task_set_name (task, "[hull] hull_worker_client_stop_async");

  client->expected = TRUE;
  client->stop_tasks = g_list_append (client->stop_tasks, task);

  if (!client->stop_called && !client->closed)
    {
      client->stop_called = TRUE;
      g_dbus_proxy_call (G_DBUS_PROXY (client->proxy), "Stop", g_variant_new ("(a{sv})", NULL),
                         G_DBUS_CALL_FLAGS_NONE, EXIT_GRACE_MS, client->cancellable, stop_replied,
                         g_object_ref (client));
    }
  if (client->stop_timeout_id == 0 && client->gone_timeout_id == 0 && !client->closed)
    client->stop_timeout_id
        = hull_worker_client_add_timeout (client, EXIT_GRACE_MS, stop_timed_out, client);

  /* Gone already: complete (in a later iteration, as GTask does). */
  stop_maybe_complete (client, FALSE);
}

gboolean
hull_worker_client_stop_finish (HullWorkerClient *client, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hull_worker_client_stop_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
hull_worker_client_kill (HullWorkerClient *client)
{
  g_return_if_fail (HULL_IS_WORKER_CLIENT (client));

  client->expected = TRUE;
  hull_worker_client_sigkill (client);
}

/* --- GObject --------------------------------------------------------------- */

static void
hull_worker_client_dispose (GObject *object)
{
  HullWorkerClient *client = HULL_WORKER_CLIENT (object);
  GList *tasks;

  /* A setup holds a reference until it ends. */
  g_assert (client->setup == NULL && client->setup_task == NULL);

  g_clear_handle_id (&client->stop_timeout_id, g_source_remove);
  g_clear_handle_id (&client->gone_timeout_id, g_source_remove);
  g_cancellable_cancel (client->cancellable);

  /* Only g_object_run_dispose() gets here with stops pending (they hold
   * references). */
  tasks = g_steal_pointer (&client->stop_tasks);
  for (GList *l = tasks; l != NULL; l = l->next)
    {
      g_task_return_new_error (l->data, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _ ("the client of the worker for domain %s was disposed"),
                               client->uuid);
      g_object_unref (l->data);
    }
  g_list_free (tasks);

  if (client->proxy != NULL)
    {
      g_clear_signal_handler (&client->halted_id, client->proxy);
      g_clear_signal_handler (&client->properties_changed_id, client->proxy);
      g_clear_object (&client->proxy);
    }
  if (client->connection != NULL)
    {
      g_clear_signal_handler (&client->connection_closed_id, client->connection);
      if (!g_dbus_connection_is_closed (client->connection))
        g_dbus_connection_close (client->connection, NULL, NULL, NULL);
      g_clear_object (&client->connection);
    }

  /* The worker may well run on (hulld dropped it, or is shutting down):
   * keep reaping it, without calling back into this object. */
  if (client->child_watch_id != 0)
    {
      g_autoptr (GSource) watch = g_child_watch_source_new (client->pid);

      g_clear_handle_id (&client->child_watch_id, g_source_remove);
      g_source_set_callback (watch, G_SOURCE_FUNC (reap_detached), NULL, NULL);
      g_source_set_static_name (watch, "[hull] detached worker reaper");
      g_source_attach (watch, client->context);
    }

  G_OBJECT_CLASS (hull_worker_client_parent_class)->dispose (object);
}

static void
hull_worker_client_finalize (GObject *object)
{
  HullWorkerClient *client = HULL_WORKER_CLIENT (object);

  g_clear_object (&client->cancellable);
  g_free (client->uuid);
  g_free (client->runtime_dir);
  g_free (client->log_path);
  g_main_context_unref (client->context);

  G_OBJECT_CLASS (hull_worker_client_parent_class)->finalize (object);
}

static void
hull_worker_client_init (HullWorkerClient *client)
{
  client->context = g_main_context_ref_thread_default ();
  client->cancellable = g_cancellable_new ();
}

static void
hull_worker_client_class_init (HullWorkerClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hull_worker_client_dispose;
  object_class->finalize = hull_worker_client_finalize;

  /**
   * HullWorkerClient::halted:
   * @kind: hull_halt_kind_to_string()'s name of the halt
   * @description: what the worker says about it
   *
   * The worker's Halted signal.
   */
  signals[SIGNAL_HALTED]
      = g_signal_new ("halted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                      G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  /**
   * HullWorkerClient::state-changed:
   * @state: the worker's new State ("created", "running", "paused", "halted")
   */
  signals[SIGNAL_STATE_CHANGED]
      = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * HullWorkerClient::closed:
   * @expected: whether stop_async() or kill() asked for it
   *
   * The worker is gone; emitted once.
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                         NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}
