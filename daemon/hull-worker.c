/* hull-worker.c — hull-vm's worker mode (docs/daemon.md). */
#include "config.h"

#include "hull-worker.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gio/gunixfdlist.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hull-backend-loader.h"
#include "hull-console-server.h"
#include "hull-console.h"
#include "hull-dbus.h"
#include "hull-domain-def.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-machine.h"
#include "hull-ready-line.h"
#include "hull-worker-status.h"

/* How long Inspect waits for the VPs' parts of the tree. */
#define INSPECT_TIMEOUT_US (2 * G_USEC_PER_SEC)
#define INSPECT_DEFAULT_DEPTH 16
/* How long Stop waits for its reply to leave before exiting anyway. */
#define STOP_FLUSH_TIMEOUT_MS 5000

/* The states, and their names, are the status record's. */
typedef HullWorkerState WorkerState;
#define STATE_CREATED HULL_WORKER_STATE_CREATED
#define STATE_RUNNING HULL_WORKER_STATE_RUNNING
#define STATE_PAUSED HULL_WORKER_STATE_PAUSED
#define STATE_HALTED HULL_WORKER_STATE_HALTED
#define state_name(state) hull_worker_state_to_string (state)

struct _HullWorker
{
  char *uuid;
  char *socket_path;
  char *status_path;
  GMainLoop *loop;

  HullDomainDef *def;
  HullBackendLoader *loader;
  HullMachine *machine;
  HullConsole *consoles[HULL_DOMAIN_MAX_SERIALS];
  HullConsoleServer *servers[HULL_DOMAIN_MAX_SERIALS];
  guint64 console_bytes[HULL_DOMAIN_MAX_SERIALS]; /* atomic: added on VP threads */

  /* Given by hulld (-1: none); closed by hull_worker_free(). */
  int listen_fd; /* until the service takes it */
  int status_fd;
  int console_log_fd; /* until a console takes it */
  int kvm_fd;
  int kernel_fd;
  int initrd_fd;

  GDBusAuthObserver *observer;
  GDBusServer *server;       /* the socket we made, or */
  GSocketService *service;   /* hulld's listening socket (--listen-fd) */
  char *guid;                /* the service's connections' */
  GCancellable *cancellable; /* connections being set up */
  HullDBusWorker *skeleton;
  GPtrArray *connections; /* of GDBusConnection, the skeleton exported on each */

  WorkerState state;
  gboolean boot_pending; /* started paused: the machine has not started yet */
  guint boots;
  gint64 started;           /* g_get_real_time () at Start; 0 before */
  gint64 started_monotonic; /* g_get_monotonic_time () at Start */
  char *halt_kind;          /* the last halt's, "" before the first */

  guint n_inspects; /* Inspect threads under way */
  gboolean stopping;
  guint signal_sources[2];
  guint stop_timeout;
};

/* ------------------------------------------------------------------ */
/* Ready fd */

void
hull_worker_report_ready (int fd, const GError *error)
{
  g_autoptr (HullReadyLine) ready = hull_ready_line_new_for_error (error);
  g_autofree char *line = hull_ready_line_format (ready);
  const char *p;
  gsize left;

  p = line;
  left = strlen (line);
  while (left > 0)
    {
      gssize n = write (fd, p, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_printerr (_ ("hull-vm: cannot write to the ready fd %d: %s\n"), fd, g_strerror (errno));
          break;
        }
      p += n;
      left -= (gsize)n;
    }
  close (fd);
}

/* ------------------------------------------------------------------ */
/* Status record and state */

static gboolean
write_status (HullWorker *worker, GError **error)
{
  HullWorkerStatus status = {
    .pid = getpid (),
    .uuid = worker->uuid,
    .name = worker->def->name,
    .socket_path = worker->socket_path,
    .state = worker->state,
    .halt_kind = worker->halt_kind,
    .boots = worker->boots,
    .started = worker->started,
  };
  g_autofree char *data = NULL;
  gsize len;

  if (worker->status_fd >= 0)
    return hull_worker_status_write_fd (worker->status_fd, &status, error);
  data = hull_worker_status_format (&status, &len);
  if (!g_file_set_contents_full (worker->status_path, data, (gssize)len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      g_prefix_error (error, _ ("cannot write the status record: "));
      return FALSE;
    }
  return TRUE;
}

/* Sets the state, its property and the status record. The properties'
 * PropertiesChanged leaves before any reply or signal that follows. */
static void
set_state (HullWorker *worker, WorkerState state)
{
  g_autoptr (GError) error = NULL;

  worker->state = state;
  hull_dbus_worker_set_state (worker->skeleton, state_name (state));
  hull_dbus_worker_set_boots (worker->skeleton, worker->boots);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (worker->skeleton));
  if (!worker->stopping && !write_status (worker, &error))
    g_warning ("%s", error->message);
}

static void
flush_consoles (HullWorker *worker)
{
  for (guint i = 0; i < G_N_ELEMENTS (worker->consoles); i++)
    if (worker->consoles[i] != NULL)
      {
        hull_console_flush (worker->consoles[i]);
        hull_console_server_flush (worker->servers[i]);
      }
}

/* ------------------------------------------------------------------ */
/* Machine callbacks */

/* On VP threads. */
static void
on_console (HullMachine *machine, guint port, const guint8 *bytes, gsize len, gpointer user_data)
{
  HullWorker *worker = user_data;

  __atomic_add_fetch (&worker->console_bytes[port], len, __ATOMIC_RELAXED);
  hull_console_write (worker->consoles[port], bytes, len);
}

/* On a VP thread (or the one that reset the machine). */
static void
on_input_space (HullMachine *machine, guint port, gpointer user_data)
{
  HullWorker *worker = user_data;

  hull_console_server_input_space (worker->servers[port]);
}

/* On the main loop. The unit's reported halt is the truth: a delivery
 * that a Reset or ClearHalt overtook finds none (or a later one, already
 * reported) and is ignored. The halt is not acted on: hulld applies the
 * lifecycle policy. */
static void
on_halt (HullMachine *machine, const HullHaltReason *delivered, gpointer user_data)
{
  HullWorker *worker = user_data;
  g_autoptr (HullHaltReason) reason = NULL;
  g_autofree char *description = NULL;

  if (worker->stopping || worker->state == STATE_HALTED || worker->state == STATE_CREATED)
    return;
  reason = hull_partition_unit_get_halt_reason (hull_machine_get_unit (machine));
  if (reason == NULL)
    return;
  /* The guest's last output first. */
  flush_consoles (worker);
  description = hull_halt_reason_describe (reason);
  g_free (worker->halt_kind);
  worker->halt_kind = g_strdup (hull_halt_kind_to_string (reason->kind));
  g_print (_ ("hull-vm: domain '%s' halted: %s\n"), worker->def->name, description);
  hull_dbus_worker_set_halt_kind (worker->skeleton, worker->halt_kind);
  hull_dbus_worker_set_halt_description (worker->skeleton, description);
  set_state (worker, STATE_HALTED);
  hull_dbus_worker_emit_halted (worker->skeleton, worker->halt_kind, description);
}

/* ------------------------------------------------------------------ */
/* Stopping */

/* Stops the VPs, gets the consoles' output out and removes the socket and
 * the status record: what Stop, SIGTERM and SIGINT do before exiting.
 * Files hulld made (--listen-fd, --status-fd) are hulld's to remove: the
 * worker only stops listening. */
static void
stop (HullWorker *worker)
{
  if (worker->stopping)
    return;
  worker->stopping = TRUE;
  hull_partition_unit_stop (hull_machine_get_unit (worker->machine));
  flush_consoles (worker);
  if (worker->service != NULL)
    {
      g_socket_service_stop (worker->service);
      g_socket_listener_close (G_SOCKET_LISTENER (worker->service));
    }
  else
    /* Also removes the socket. */
    g_dbus_server_stop (worker->server);
  if (worker->status_fd < 0 && g_unlink (worker->status_path) < 0 && errno != ENOENT)
    g_warning (_ ("cannot remove '%s': %s"), worker->status_path, g_strerror (errno));
  g_print (_ ("hull-vm: domain '%s' stopped\n"), worker->def->name);
}

static gboolean
on_stop_timeout (gpointer user_data)
{
  HullWorker *worker = user_data;

  worker->stop_timeout = 0;
  g_main_loop_quit (worker->loop);
  return G_SOURCE_REMOVE;
}

static void
on_stop_flushed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HullWorker *worker = user_data;

  /* A failure: the peer is gone; there is no one left to tell. */
  g_dbus_connection_flush_finish (G_DBUS_CONNECTION (source), result, NULL);
  g_main_loop_quit (worker->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  HullWorker *worker = user_data;

  g_print (_ ("hull-vm: interrupted; stopping domain '%s'\n"), worker->def->name);
  stop (worker);
  g_main_loop_quit (worker->loop);
  return G_SOURCE_CONTINUE; /* removed by hull_worker_free() */
}

/* ------------------------------------------------------------------ */
/* Methods */

static const HullDBusOption no_options[] = { { NULL, NULL } };
static const HullDBusOption start_options[] = { { "paused", "b" } };
static const HullDBusOption inspect_options[] = { { "depth", "u" } };
static const HullDBusOption console_options[] = {
  { "port", "u" },
  { "read-only", "b" },
  { "force", "b" },
};

/* Replies with an error; TRUE, for the handlers to return. */
static gboolean
fail (GDBusMethodInvocation *invocation, GError *error)
{
  g_dbus_method_invocation_return_gerror (invocation, error);
  g_error_free (error);
  return TRUE;
}

/* Replies HULL_ERROR_INVALID_STATE with @format, which names the domain. */
#define fail_state(worker, invocation, format)                                                     \
  fail ((invocation),                                                                              \
        g_error_new (HULL_ERROR, HULL_ERROR_INVALID_STATE, (format), (worker)->def->name))

/* The checks every handler starts with: the options, and no Stop under
 * way. FALSE: the error reply is sent. */
static gboolean
check_call (HullWorker *worker, GDBusMethodInvocation *invocation, GVariant *options,
            const HullDBusOption *allowed, gsize n_allowed)
{
  GError *error = NULL;

  if (!hull_dbus_check_options (options, allowed, n_allowed,
                                g_dbus_method_invocation_get_method_name (invocation), &error))
    {
      fail (invocation, error);
      return FALSE;
    }
  if (worker->stopping)
    {
      fail_state (worker, invocation, _ ("domain '%s' is stopping"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
handle_start (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
              HullWorker *worker)
{
  if (!check_call (worker, invocation, options, start_options, G_N_ELEMENTS (start_options)))
    return TRUE;
  if (worker->state != STATE_CREATED)
    return fail_state (worker, invocation, _ ("domain '%s' has already been started"));

  worker->boots = 1;
  worker->started = g_get_real_time ();
  worker->started_monotonic = g_get_monotonic_time ();
  if (hull_dbus_option_boolean (options, "paused", FALSE))
    {
      worker->boot_pending = TRUE;
      set_state (worker, STATE_PAUSED);
    }
  else
    {
      hull_machine_start (worker->machine);
      set_state (worker, STATE_RUNNING);
    }
  hull_dbus_worker_complete_start (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_pause (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
              HullWorker *worker)
{
  if (!check_call (worker, invocation, options, no_options, 0))
    return TRUE;
  if (worker->state != STATE_RUNNING)
    return fail_state (worker, invocation, _ ("domain '%s' is not running"));

  hull_partition_unit_stop (hull_machine_get_unit (worker->machine));
  set_state (worker, STATE_PAUSED);
  hull_dbus_worker_complete_pause (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_resume (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
               HullWorker *worker)
{
  if (!check_call (worker, invocation, options, no_options, 0))
    return TRUE;
  if (worker->state != STATE_PAUSED)
    return fail_state (worker, invocation, _ ("domain '%s' is not paused"));

  if (worker->boot_pending)
    {
      worker->boot_pending = FALSE;
      hull_machine_start (worker->machine);
    }
  else
    hull_partition_unit_start (hull_machine_get_unit (worker->machine));
  set_state (worker, STATE_RUNNING);
  hull_dbus_worker_complete_resume (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_reset (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
              HullWorker *worker)
{
  GError *error = NULL;

  if (!check_call (worker, invocation, options, no_options, 0))
    return TRUE;
  if (worker->state == STATE_CREATED)
    return fail_state (worker, invocation, _ ("domain '%s' has not been started"));

  worker->boot_pending = FALSE;
  if (!hull_machine_reboot (worker->machine, &error))
    {
      /* The VPs are stopped; the partition waits for a Reset that works. */
      g_prefix_error (&error, _ ("domain '%s': cannot reset: "), worker->def->name);
      set_state (worker, STATE_PAUSED);
      return fail (invocation, error);
    }
  worker->boots++;
  set_state (worker, STATE_RUNNING);
  hull_dbus_worker_complete_reset (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_clear_halt (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
                   HullWorker *worker)
{
  HullPartitionUnit *unit = hull_machine_get_unit (worker->machine);

  if (!check_call (worker, invocation, options, no_options, 0))
    return TRUE;
  if (worker->state != STATE_HALTED)
    return fail_state (worker, invocation, _ ("domain '%s' is not halted"));

  hull_partition_unit_clear_halt (unit);
  /* Also when a Pause came between the halt and its report: the unit is
   * stopped then. */
  hull_partition_unit_start (unit);
  set_state (worker, STATE_RUNNING);
  hull_dbus_worker_complete_clear_halt (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_stop (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
             HullWorker *worker)
{
  GError *error = NULL;

  if (!hull_dbus_check_options (options, no_options, 0, "Stop", &error))
    return fail (invocation, error);
  stop (worker);
  hull_dbus_worker_complete_stop (skeleton, invocation);
  /* Exit once the reply has left (or after a while, if the peer does not
   * read it). */
  g_dbus_connection_flush (g_dbus_method_invocation_get_connection (invocation), NULL,
                           on_stop_flushed, worker);
  if (worker->stop_timeout == 0)
    worker->stop_timeout = g_timeout_add (STOP_FLUSH_TIMEOUT_MS, on_stop_timeout, worker);
  return TRUE;
}

typedef struct
{
  HullWorker *worker;
  GDBusMethodInvocation *invocation;
  char *path;
  guint depth;
} InspectCall;

static void
inspect_call_free (gpointer data)
{
  InspectCall *call = data;

  g_object_unref (call->invocation);
  g_free (call->path);
  g_free (call);
}

/* In a thread: hull_inspect() waits for the VPs up to its deadline, which
 * must not hold up the main loop. */
static void
inspect_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  InspectCall *call = task_data;
  GError *error = NULL;
  GVariant *tree;

  tree = hull_machine_inspect (call->worker->machine, call->path, call->depth, INSPECT_TIMEOUT_US,
                               &error);
  if (tree == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, tree, (GDestroyNotify)g_variant_unref);
}

static void
on_inspected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  InspectCall *call = g_task_get_task_data (G_TASK (result));
  HullWorker *worker = call->worker;
  GError *error = NULL;
  g_autoptr (GVariant) tree = g_task_propagate_pointer (G_TASK (result), &error);

  worker->n_inspects--;
  if (tree == NULL)
    fail (call->invocation, error);
  else
    hull_dbus_worker_complete_inspect (worker->skeleton, call->invocation,
                                       g_variant_new_variant (tree));
}

static gboolean
handle_inspect (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, const char *path,
                GVariant *options, HullWorker *worker)
{
  g_autoptr (GTask) task = NULL;
  InspectCall *call;

  if (!check_call (worker, invocation, options, inspect_options, G_N_ELEMENTS (inspect_options)))
    return TRUE;

  call = g_new0 (InspectCall, 1);
  call->worker = worker;
  call->invocation = g_object_ref (invocation);
  call->path = g_strdup (path);
  call->depth = hull_dbus_option_uint32 (options, "depth", INSPECT_DEFAULT_DEPTH);
  task = g_task_new (NULL, NULL, on_inspected, NULL);
  g_task_set_source_tag (task, handle_inspect);
  g_task_set_task_data (task, call, inspect_call_free);
  worker->n_inspects++;
  g_task_run_in_thread (task, inspect_thread);
  return TRUE;
}

static guint64
get_rss_bytes (void)
{
  g_autofree char *text = NULL;
  guint64 pages = 0;
  char **fields;

  if (!g_file_get_contents ("/proc/self/statm", &text, NULL, NULL))
    return 0;
  fields = g_strsplit (text, " ", 3);
  if (fields[0] != NULL && fields[1] != NULL)
    pages = g_ascii_strtoull (fields[1], NULL, 10);
  g_strfreev (fields);
  return pages * (guint64)sysconf (_SC_PAGESIZE);
}

static guint64
get_cpu_time_us (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) < 0)
    return 0;
  return (guint64)usage.ru_utime.tv_sec * G_USEC_PER_SEC + (guint64)usage.ru_utime.tv_usec
         + (guint64)usage.ru_stime.tv_sec * G_USEC_PER_SEC + (guint64)usage.ru_stime.tv_usec;
}

static gboolean
handle_get_stats (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
                  HullWorker *worker)
{
  HullConsole *console = worker->consoles[0];
  GVariantDict dict;
  gint64 uptime = 0;

  if (!check_call (worker, invocation, options, no_options, 0))
    return TRUE;

  if (worker->state != STATE_CREATED)
    uptime = g_get_monotonic_time () - worker->started_monotonic;
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "state", "s", state_name (worker->state));
  g_variant_dict_insert (&dict, "boots", "u", worker->boots);
  g_variant_dict_insert (&dict, "boot-time-us", "x", hull_machine_get_boot_time (worker->machine));
  g_variant_dict_insert (&dict, "uptime-us", "x", uptime);
  g_variant_dict_insert (&dict, "vcpus", "u", worker->def->vcpus);
  g_variant_dict_insert (&dict, "memory", "t", worker->def->memory);
  g_variant_dict_insert (&dict, "console-bytes", "t",
                         (guint64)__atomic_load_n (&worker->console_bytes[0], __ATOMIC_RELAXED));
  g_variant_dict_insert (&dict, "console-dropped", "t",
                         console != NULL ? hull_console_get_dropped (console) : 0);
  g_variant_dict_insert (&dict, "console-clients", "u",
                         console != NULL ? hull_console_server_get_n_clients (worker->servers[0])
                                         : 0);
  g_variant_dict_insert (&dict, "cpu-time-us", "t", get_cpu_time_us ());
  g_variant_dict_insert (&dict, "rss-bytes", "t", get_rss_bytes ());
  hull_dbus_worker_complete_get_stats (skeleton, invocation, g_variant_dict_end (&dict));
  return TRUE;
}

static gboolean
handle_open_console (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation,
                     GUnixFDList *in_fds, GVariant *options, HullWorker *worker)
{
  g_autoptr (GUnixFDList) fds = NULL;
  GError *error = NULL;
  guint port;
  int fd;

  if (!check_call (worker, invocation, options, console_options, G_N_ELEMENTS (console_options)))
    return TRUE;
  port = hull_dbus_option_uint32 (options, "port", 0);
  if (port >= G_N_ELEMENTS (worker->servers) || worker->servers[port] == NULL)
    return fail (invocation,
                 g_error_new (HULL_ERROR, HULL_ERROR_NOT_FOUND,
                              _ ("domain '%s' has no serial port %u"), worker->def->name, port));

  fd = hull_console_server_open (worker->servers[port],
                                 hull_dbus_option_boolean (options, "read-only", FALSE),
                                 hull_dbus_option_boolean (options, "force", FALSE), &error);
  if (fd < 0)
    return fail (invocation, error);
  fds = g_unix_fd_list_new_from_array (&fd, 1); /* takes fd */
  hull_dbus_worker_complete_open_console (skeleton, invocation, fds, g_variant_new_handle (0));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The socket */

static gboolean
on_allow_mechanism (GDBusAuthObserver *observer, const char *mechanism, gpointer user_data)
{
  return g_strcmp0 (mechanism, "EXTERNAL") == 0;
}

/* Only our own user and root are let in. [GDBus's thread] */
static gboolean
on_authorize_peer (GDBusAuthObserver *observer, GIOStream *stream, GCredentials *credentials,
                   gpointer user_data)
{
  uid_t uid;

  if (credentials == NULL)
    return FALSE;
  uid = g_credentials_get_unix_user (credentials, NULL);
  return uid != (uid_t)-1 && (uid == getuid () || uid == 0);
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      gpointer user_data)
{
  HullWorker *worker = user_data;

  /* Normal: hulld restarts, or a new hulld replaced the old one. */
  g_signal_handlers_disconnect_by_data (connection, worker);
  g_dbus_interface_skeleton_unexport_from_connection (G_DBUS_INTERFACE_SKELETON (worker->skeleton),
                                                      connection);
  g_ptr_array_remove (worker->connections, connection);
}

static gboolean
on_new_connection (GDBusServer *server, GDBusConnection *connection, gpointer user_data)
{
  HullWorker *worker = user_data;
  g_autoptr (GError) error = NULL;

  if (worker->stopping)
    return FALSE;
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (worker->skeleton), connection,
                                         HULL_DBUS_WORKER_PATH, &error))
    {
      g_warning (_ ("cannot export the worker interface: %s"), error->message);
      return FALSE;
    }
  g_ptr_array_add (worker->connections, g_object_ref (connection));
  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), worker);
  return TRUE;
}

static void
on_connection_made (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection = g_dbus_connection_new_finish (result, &error);
  HullWorker *worker;

  if (connection == NULL)
    {
      /* Cancelled: the worker is gone, user_data with it. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("a connection to the worker failed: %s", error->message);
      return;
    }
  worker = user_data;
  if (!on_new_connection (NULL, connection, worker))
    {
      g_dbus_connection_close (connection, NULL, NULL, NULL);
      return;
    }
  g_dbus_connection_start_message_processing (connection);
}

/* hulld's socket: each connection authenticates as GDBusServer's would
 * (EXTERNAL only, our uid or root), and is served once the skeleton is
 * exported on it. */
static gboolean
on_incoming (GSocketService *service, GSocketConnection *stream, GObject *source_object,
             gpointer user_data)
{
  HullWorker *worker = user_data;

  if (worker->stopping)
    return FALSE;
  g_dbus_connection_new (G_IO_STREAM (stream), worker->guid,
                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER
                             | G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
                         worker->observer, worker->cancellable, on_connection_made, worker);
  return TRUE;
}

static GDBusAuthObserver *
new_auth_observer (void)
{
  GDBusAuthObserver *observer = g_dbus_auth_observer_new ();

  g_signal_connect (observer, "allow-mechanism", G_CALLBACK (on_allow_mechanism), NULL);
  g_signal_connect (observer, "authorize-authenticated-peer", G_CALLBACK (on_authorize_peer), NULL);
  return observer;
}

/* Serves on hulld's listening socket @fd (taken). */
static gboolean
listen_fd (HullWorker *worker, int fd, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GSocket) socket = g_socket_new_from_fd (fd, &local_error);

  if (socket == NULL)
    {
      close (fd);
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("--listen-fd %d: %s"), fd,
                   local_error->message);
      return FALSE;
    }
  /* hulld bound it and listens; listening again makes the socket's
   * credentials ours: a client's SO_PEERCRED then names the worker, which
   * hulld checks against the status record when it reattaches. */
  if (!g_socket_listen (socket, &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("--listen-fd %d: %s"), fd,
                   local_error->message);
      return FALSE;
    }
  worker->observer = new_auth_observer ();
  worker->guid = g_dbus_generate_guid ();
  worker->cancellable = g_cancellable_new ();
  worker->service = g_socket_service_new ();
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (worker->service), socket, NULL,
                                     &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("--listen-fd %d: %s"), fd,
                   local_error->message);
      return FALSE;
    }
  g_signal_connect (worker->service, "incoming", G_CALLBACK (on_incoming), worker);
  g_socket_service_start (worker->service);
  return TRUE;
}

static gboolean
listen_socket (HullWorker *worker, const char *vm_dir, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *address = NULL;
  g_autofree char *guid = NULL;

  if (g_mkdir_with_parents (vm_dir, 0700) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot create directory '%s': %s"), vm_dir,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* A socket left by a worker that died. */
  if (g_unlink (worker->socket_path) < 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot remove the stale socket '%s': %s"),
                   worker->socket_path, g_strerror (saved_errno));
      return FALSE;
    }

  worker->observer = new_auth_observer ();
  escaped = g_dbus_address_escape_value (worker->socket_path);
  address = g_strconcat ("unix:path=", escaped, NULL);
  guid = g_dbus_generate_guid ();
  worker->server = g_dbus_server_new_sync (address, G_DBUS_SERVER_FLAGS_NONE, guid,
                                           worker->observer, NULL, &local_error);
  if (worker->server == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot listen on '%s': %s"),
                   worker->socket_path, local_error->message);
      return FALSE;
    }
  /* The directory is 0700 already; the socket is private too. */
  if (g_chmod (worker->socket_path, 0600) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot listen on '%s': %s"),
                   worker->socket_path, g_strerror (saved_errno));
      return FALSE;
    }
  g_signal_connect (worker->server, "new-connection", G_CALLBACK (on_new_connection), worker);
  g_dbus_server_start (worker->server);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Setup */

static gboolean
build_machine (HullWorker *worker, const HullWorkerOptions *options, GError **error)
{
  const HullDomainDef *def = worker->def;

  worker->loader = hull_backend_loader_new (options->backend_dir);
  if (!hull_backend_loader_load (worker->loader, error))
    return FALSE;

  for (guint i = 0; i < def->serials->len; i++)
    {
      const HullChardevDef *serial = g_ptr_array_index (def->serials, i);
      const char *log = serial->port == 0 ? options->console_log : NULL;

      if (serial->port == 0 && worker->console_log_fd >= 0)
        worker->consoles[0]
            = hull_console_new_for_fd (0, g_steal_fd (&worker->console_log_fd), log);
      else
        worker->consoles[serial->port] = hull_console_new (0, log, error);
      if (worker->consoles[serial->port] == NULL)
        return FALSE;
    }
  if ((options->console_log != NULL || options->console_log_fd >= 0) && worker->consoles[0] == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("--console-log: domain '%s' has no serial port 0"), def->name);
      return FALSE;
    }

  if (worker->initrd_fd >= 0 && def->initrd == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("--initrd-fd: domain '%s' has no initrd"), def->name);
      return FALSE;
    }
  if (worker->kernel_fd >= 0 && def->kernel == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("--kernel-fd: domain '%s' has no kernel"), def->name);
      return FALSE;
    }
  {
    const HullMachineFiles files = {
      .device_fd = worker->kvm_fd,
      .speed = options->speed,
      .kernel_fd = worker->kernel_fd,
      .initrd_fd = worker->initrd_fd,
    };

    worker->machine
        = hull_machine_new_with_files (def, worker->loader, options->backend, &files, NULL, error);
  }
  if (worker->machine == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (worker->consoles); i++)
    if (worker->consoles[i] != NULL)
      worker->servers[i]
          = hull_console_server_new (worker->consoles[i], worker->machine, i, def->name);
  hull_machine_set_halt_func (worker->machine, on_halt, worker);
  hull_machine_set_console_func (worker->machine, on_console, worker);
  hull_machine_set_input_space_func (worker->machine, on_input_space, worker);
  return TRUE;
}

static void
export_skeleton (HullWorker *worker)
{
  worker->skeleton = hull_dbus_worker_skeleton_new ();
  hull_dbus_worker_set_uuid (worker->skeleton, worker->uuid);
  hull_dbus_worker_set_name (worker->skeleton, worker->def->name);
  hull_dbus_worker_set_state (worker->skeleton, state_name (worker->state));
  hull_dbus_worker_set_halt_kind (worker->skeleton, "");
  hull_dbus_worker_set_halt_description (worker->skeleton, "");
  hull_dbus_worker_set_boots (worker->skeleton, 0);
  g_signal_connect (worker->skeleton, "handle-start", G_CALLBACK (handle_start), worker);
  g_signal_connect (worker->skeleton, "handle-pause", G_CALLBACK (handle_pause), worker);
  g_signal_connect (worker->skeleton, "handle-resume", G_CALLBACK (handle_resume), worker);
  g_signal_connect (worker->skeleton, "handle-reset", G_CALLBACK (handle_reset), worker);
  g_signal_connect (worker->skeleton, "handle-clear-halt", G_CALLBACK (handle_clear_halt), worker);
  g_signal_connect (worker->skeleton, "handle-stop", G_CALLBACK (handle_stop), worker);
  g_signal_connect (worker->skeleton, "handle-inspect", G_CALLBACK (handle_inspect), worker);
  g_signal_connect (worker->skeleton, "handle-get-stats", G_CALLBACK (handle_get_stats), worker);
  g_signal_connect (worker->skeleton, "handle-open-console", G_CALLBACK (handle_open_console),
                    worker);
}

HullWorker *
hull_worker_new (const HullWorkerOptions *options, GError **error)
{
  g_autoptr (HullWorker) worker = NULL;
  g_autofree char *vm_dir = NULL;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->uuid != NULL, NULL);
  g_return_val_if_fail (options->xml_path != NULL, NULL);
  g_return_val_if_fail (options->runtime_dir != NULL, NULL);

  /* hulld going away closes our sockets; writes to them must fail, not
   * kill us. */
  signal (SIGPIPE, SIG_IGN);

  worker = g_new0 (HullWorker, 1);
  /* Ours from now on, closed by hull_worker_free() if not before. */
  worker->listen_fd = options->listen_fd;
  worker->status_fd = options->status_fd;
  worker->console_log_fd = options->console_log_fd;
  worker->kvm_fd = options->kvm_fd;
  worker->kernel_fd = options->kernel_fd;
  worker->initrd_fd = options->initrd_fd;
  worker->uuid = g_ascii_strdown (options->uuid, -1);
  worker->halt_kind = g_strdup ("");
  worker->connections = g_ptr_array_new_with_free_func (g_object_unref);
  worker->loop = g_main_loop_new (NULL, FALSE);
  vm_dir = g_build_filename (options->runtime_dir, "vm", NULL);
  {
    g_autofree char *socket_name = g_strconcat (worker->uuid, ".sock", NULL);
    g_autofree char *status_name = g_strconcat (worker->uuid, ".status", NULL);

    worker->socket_path = g_build_filename (vm_dir, socket_name, NULL);
    worker->status_path = g_build_filename (vm_dir, status_name, NULL);
  }

  if (!g_uuid_string_is_valid (options->uuid))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT, _ ("'%s' is not a UUID"),
                   options->uuid);
      if (options->xml_fd >= 0)
        close (options->xml_fd);
      return NULL;
    }
  if (options->xml_fd >= 0)
    {
      g_autofree char *xml = NULL;
      gsize length;

      xml = hull_domain_def_read_fd (options->xml_fd, options->xml_path, &length, error);
      close (options->xml_fd);
      if (xml != NULL)
        {
          worker->def
              = hull_domain_def_parse (xml, (gssize)length, HULL_DOMAIN_PARSE_NONE, NULL, error);
          if (worker->def == NULL)
            g_prefix_error (error, "%s: ", options->xml_path);
        }
    }
  else
    worker->def
        = hull_domain_def_parse_file (options->xml_path, HULL_DOMAIN_PARSE_NONE, NULL, error);
  if (worker->def == NULL)
    return NULL;
  if (g_strcmp0 (worker->def->uuid, worker->uuid) != 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("domain '%s' has the UUID %s, not %s"), worker->def->name, worker->def->uuid,
                   worker->uuid);
      return NULL;
    }
  if (!build_machine (worker, options, error))
    return NULL;

  export_skeleton (worker);
  if (!(worker->listen_fd >= 0 ? listen_fd (worker, g_steal_fd (&worker->listen_fd), error)
                               : listen_socket (worker, vm_dir, error))
      || !write_status (worker, error))
    return NULL;
  worker->signal_sources[0] = g_unix_signal_add (SIGTERM, on_signal, worker);
  worker->signal_sources[1] = g_unix_signal_add (SIGINT, on_signal, worker);
  g_print (_ ("hull-vm: domain '%s' is ready on backend '%s' at %s\n"), worker->def->name,
           hull_machine_get_backend (worker->machine)->name, worker->socket_path);
  return g_steal_pointer (&worker);
}

int
hull_worker_run (HullWorker *worker)
{
  g_return_val_if_fail (worker != NULL, 1);

  g_main_loop_run (worker->loop);
  return 0;
}

void
hull_worker_free (HullWorker *worker)
{
  if (worker == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (worker->signal_sources); i++)
    if (worker->signal_sources[i] != 0)
      g_source_remove (worker->signal_sources[i]);
  g_clear_handle_id (&worker->stop_timeout, g_source_remove);
  /* Inspect threads use the machine; they end by their deadline. */
  while (worker->n_inspects > 0)
    g_main_context_iteration (NULL, TRUE);

  if (worker->machine != NULL)
    {
      /* No VP runs any more: no output, no input-space calls. */
      hull_partition_unit_stop (hull_machine_get_unit (worker->machine));
      hull_machine_set_input_space_func (worker->machine, NULL, NULL);
    }
  if (worker->server != NULL)
    {
      if (g_dbus_server_is_active (worker->server))
        g_dbus_server_stop (worker->server);
      g_object_unref (worker->server);
    }
  if (worker->service != NULL)
    {
      g_signal_handlers_disconnect_by_data (worker->service, worker);
      g_socket_service_stop (worker->service);
      g_socket_listener_close (G_SOCKET_LISTENER (worker->service));
      g_object_unref (worker->service);
    }
  if (worker->cancellable != NULL)
    {
      g_cancellable_cancel (worker->cancellable);
      g_object_unref (worker->cancellable);
    }
  if (worker->skeleton != NULL)
    {
      g_signal_handlers_disconnect_by_data (worker->skeleton, worker);
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (worker->skeleton));
    }
  for (guint i = 0; i < worker->connections->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (worker->connections, i), worker);
  g_ptr_array_unref (worker->connections);
  g_clear_object (&worker->skeleton);
  g_clear_object (&worker->observer);

  for (guint i = 0; i < G_N_ELEMENTS (worker->servers); i++)
    g_clear_pointer (&worker->servers[i], hull_console_server_free);
  /* Before the consoles: the VPs are their writers. */
  g_clear_pointer (&worker->machine, hull_machine_free);
  for (guint i = 0; i < G_N_ELEMENTS (worker->consoles); i++)
    g_clear_pointer (&worker->consoles[i], hull_console_free);
  g_clear_pointer (&worker->loader, hull_backend_loader_unref);
  /* After the machine: it read the kernel and used the device until now. */
  {
    int *fds[] = { &worker->listen_fd, &worker->status_fd, &worker->console_log_fd,
                   &worker->kvm_fd,    &worker->kernel_fd, &worker->initrd_fd };

    for (gsize i = 0; i < G_N_ELEMENTS (fds); i++)
      if (*fds[i] >= 0)
        close (g_steal_fd (fds[i]));
  }
  g_clear_pointer (&worker->def, hull_domain_def_free);
  g_main_loop_unref (worker->loop);
  g_free (worker->halt_kind);
  g_free (worker->socket_path);
  g_free (worker->status_path);
  g_free (worker->guid);
  g_free (worker->uuid);
  g_free (worker);
}
