/* hull-worker-client-private.h — what the three files of HullWorkerClient
 * share: the instance struct and the helpers they call across files.
 *
 * Private: not installed, and included only by hull-worker-client.c (the
 * object, its signals, the connection and proxy, stop and kill),
 * hull-worker-spawn.c (starting a worker) and hull-worker-attach.c
 * (reattaching to a running one). Everything else uses
 * hull-worker-client.h. Main-loop only, like the object.
 */
#pragma once

#include <gio/gio.h>

#include "hull-worker-client.h"

G_BEGIN_DECLS

/* How long a worker may take to exit on its own: after its ERROR line (or
 * EOF) during setup, and after Worker.Stop. */
#define EXIT_GRACE_MS 5000
/* How long a worker sent SIGKILL may take to go before we stop waiting (a
 * process stuck in the kernel). */
#define KILL_GRACE_MS 5000

/* A setup in progress (hull-worker-spawn.c). */
typedef struct _SpawnData SpawnData;

struct _HullWorkerClient
{
  GObject parent_instance;

  GMainContext *context; /* where every source and signal runs */
  char *uuid;
  char *runtime_dir; /* whose vm/ has the worker's socket and status record */
  char *log_path;    /* spawned workers only: named in messages */

  GPid pid;
  gboolean spawned;
  guint child_watch_id;
  gboolean reaped;
  int wait_status;

  GDBusConnection *connection;
  gulong connection_closed_id;
  gboolean connection_closed;
  HullDBusWorker *proxy;
  gulong halted_id;
  gulong properties_changed_id;

  gboolean expected; /* stop_async() or kill() was asked for */
  gboolean closed;   /* "closed" was emitted */

  GCancellable *cancellable; /* our own calls (Stop); cancelled in dispose */
  GList *stop_tasks;         /* GTask *, pending stop_async() calls */
  gboolean stop_called;
  guint stop_timeout_id; /* SIGKILL when the worker ignores Stop */
  guint gone_timeout_id; /* stop waiting for a worker SIGKILL did not end */

  /* While spawning: the task (owned; it owns the client through its data,
   * a cycle broken when the task returns) and its data. */
  GTask *setup_task;
  SpawnData *setup;
};

/* --- helpers (hull-worker-client.c) ---------------------------------------- */

/* $runtime_dir/vm/<uuid><suffix>. */
char *hull_worker_client_file_path (const char *runtime_dir, const char *uuid, const char *suffix);
/* A timeout on the client's context; returns its source id. */
guint hull_worker_client_add_timeout (HullWorkerClient *client, guint ms, GSourceFunc func,
                                      gpointer data);
/* SIGKILL, never to a pid that may have been reused. */
void hull_worker_client_sigkill (HullWorkerClient *client);
/* A wait status in words, for messages. */
char *hull_worker_client_describe_wait_status (int status);
/* Takes @connection (exit-on-close off) and listens for its end. */
void hull_worker_client_take_connection (HullWorkerClient *client, GDBusConnection *connection);
/* Takes @proxy and forwards its Halted signal and State changes. */
void hull_worker_client_take_proxy (HullWorkerClient *client, HullDBusWorker *proxy);
/* The child watch of a spawned worker (user_data: the client). */
void hull_worker_client_on_child_exited (GPid pid, int status, gpointer user_data);

/* --- the setup (hull-worker-spawn.c) ----------------------------------------- */

/* The setup failed with @error (taken; NULL: the worker went away): the
 * worker is made to go and the spawn returns once it is reaped. */
void hull_worker_client_spawn_fail (SpawnData *data, GError *error, gboolean kill_now);
/* The worker was reaped during the setup. */
void hull_worker_client_spawn_child_exited (SpawnData *data);

G_END_DECLS
