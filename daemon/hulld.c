/* hulld — Hull's management daemon (docs/daemon.md, docs/dbus-api.md).
 *
 *   hulld [--session | --system] [--config FILE] [--state-dir DIR]
 *         [--runtime-dir DIR] [--log-dir DIR] [--backend-dir DIR]
 *         [--worker PATH] [--replace] [--verbose]
 *
 * Loads the domains, reattaches running workers, runs autostart, then owns
 * org.hullvm.Hull1. SIGTERM and SIGINT release the name and exit 0; running
 * VMs keep running (their workers are separate processes) and the next
 * hulld reattaches to them. Exit status 1: the bus, a directory or the name
 * is not available, or hulld.conf is malformed (docs/policy.md).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <sys/file.h>
#include <unistd.h>

#include "hull-authority.h"
#include "hull-config.h"
#include "hull-daemon.h"
#include "hull-dbus.h"
#include "hull-error.h"
#include "hull-i18n.h"

typedef struct
{
  GMainLoop *loop;
  GDBusConnection *connection;
  HullDaemon *daemon;
  GBusType bus_type;
  gboolean replace;
  guint owner_id;
  gboolean name_acquired;
  int status;
} Hulld;

static const char *
bus_name (GBusType type)
{
  return type == G_BUS_TYPE_SYSTEM ? "system" : "session";
}

static void
quit (Hulld *hulld, int status)
{
  hulld->status = status;
  g_main_loop_quit (hulld->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  Hulld *hulld = user_data;

  g_message (_ ("exiting; running domains keep running"));
  quit (hulld, 0);
  return G_SOURCE_CONTINUE;
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Hulld *hulld = user_data;

  hulld->name_acquired = TRUE;
  g_message (_ ("hulld %s ready: %s on the %s bus"), PACKAGE_VERSION, name,
             bus_name (hulld->bus_type));
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Hulld *hulld = user_data;

  if (hulld->name_acquired)
    {
      /* Replaced (hulld --replace): the new daemon takes over the VMs. The
       * name is not ours to release any more. */
      g_message (_ ("%s was taken over by another daemon; exiting"), name);
      hulld->owner_id = 0;
      quit (hulld, 0);
      return;
    }
  g_printerr (_ ("hulld: cannot own %s on the %s bus: is another hulld running?\n"), name,
              bus_name (hulld->bus_type));
  quit (hulld, 1);
}

static void
on_connection_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error,
                      gpointer user_data)
{
  Hulld *hulld = user_data;

  g_printerr (_ ("hulld: the %s bus went away%s%s\n"), bus_name (hulld->bus_type),
              error != NULL ? ": " : "", error != NULL ? error->message : "");
  quit (hulld, 1);
}

static void
daemon_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Hulld *hulld = user_data;
  g_autoptr (GError) local_error = NULL;
  /* Not queued behind another owner, and gone when replaced: */
  GBusNameOwnerFlags flags
      = G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT | G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE;

  if (!hull_daemon_start_finish (HULL_DAEMON (source), result, &local_error))
    {
      g_printerr ("hulld: %s\n", local_error->message);
      quit (hulld, 1);
      return;
    }
  if (hulld->replace)
    flags |= G_BUS_NAME_OWNER_FLAGS_REPLACE;
  /* Once everything is published with its real state: a client that sees
   * the name sees every domain. */
  hulld->owner_id = g_bus_own_name_on_connection (hulld->connection, HULL_DBUS_NAME, flags,
                                                  on_name_acquired, on_name_lost, hulld, NULL);
}

/* --replace: make the running hulld let go (it exits on losing the name,
 * leaving its workers running), then give the name back until start-up is
 * done, like a first start. */
static gboolean
take_over_name (Hulld *hulld, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) released = NULL;
  guint32 result;

  /* DBUS_NAME_FLAG_REPLACE_EXISTING | DBUS_NAME_FLAG_DO_NOT_QUEUE */
  reply = g_dbus_connection_call_sync (
      hulld->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "RequestName", g_variant_new ("(su)", HULL_DBUS_NAME, 2 | 4), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(u)", &result);
  /* 1: DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */
  if (result != 1)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                   _ ("%s is owned on the %s bus by a daemon that does not let itself be "
                      "replaced"),
                   HULL_DBUS_NAME, bus_name (hulld->bus_type));
      return FALSE;
    }
  released = g_dbus_connection_call_sync (
      hulld->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "ReleaseName", g_variant_new ("(s)", HULL_DBUS_NAME), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  return released != NULL;
}

/* Fails early, before touching any worker, when another hulld has the name
 * (unless --replace). */
static gboolean
check_name_free (Hulld *hulld, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  gboolean has_owner;

  if (hulld->replace)
    return take_over_name (hulld, error);
  reply = g_dbus_connection_call_sync (
      hulld->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new ("(s)", HULL_DBUS_NAME), G_VARIANT_TYPE ("(b)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(b)", &has_owner);
  if (has_owner)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                   _ ("%s is already owned on the %s bus: is another hulld running? (--replace "
                      "takes over)"),
                   HULL_DBUS_NAME, bus_name (hulld->bus_type));
      return FALSE;
    }
  return TRUE;
}

/* One hulld per runtime directory, whatever bus it is on: two would fight
 * over the same workers. The lock goes with the process. */
static gboolean
lock_runtime_dir (const char *runtime_dir, int mode, guint wait_ms, GError **error)
{
  g_autofree char *path = g_build_filename (runtime_dir, "hulld.lock", NULL);
  int fd;
  int result;

  if (g_mkdir_with_parents (runtime_dir, mode) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot create directory '%s': %s"),
                   runtime_dir, g_strerror (saved_errno));
      return FALSE;
    }
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot open '%s': %s"), path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  /* A replaced hulld needs a moment to exit: before the main loop runs,
   * waiting here blocks nothing. */
  while ((result = flock (fd, LOCK_EX | LOCK_NB)) < 0 && errno == EWOULDBLOCK && wait_ms >= 50)
    {
      g_usleep (50 * 1000);
      wait_ms -= 50;
    }
  if (result < 0)
    {
      int saved_errno = errno;

      close (fd);
      if (saved_errno == EWOULDBLOCK)
        g_set_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                     _ ("another hulld is using the runtime directory '%s'"), runtime_dir);
      else
        g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot lock '%s': %s"), path,
                     g_strerror (saved_errno));
      return FALSE;
    }
  /* Kept open (and locked) until exit; workers do not inherit it. */
  return TRUE;
}

int
main (int argc, char **argv)
{
  gboolean opt_session = FALSE, opt_system = FALSE, opt_replace = FALSE, opt_verbose = FALSE;
  g_autofree char *opt_state_dir = NULL;
  g_autofree char *opt_runtime_dir = NULL;
  g_autofree char *opt_log_dir = NULL;
  g_autofree char *opt_backend_dir = NULL;
  g_autofree char *opt_worker = NULL;
  g_autofree char *opt_config = NULL;
  const GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_NONE, &opt_session,
      N_ ("Serve the session bus, with per-user directories (the default)"), NULL },
    { "system", 0, 0, G_OPTION_ARG_NONE, &opt_system,
      N_ ("Serve the system bus, with system directories"), NULL },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &opt_config,
      N_ ("The policy and quota configuration (default: $sysconfdir/hull/hulld.conf with "
          "--system, $XDG_CONFIG_HOME/hull/hulld.conf with --session)"),
      N_ ("FILE") },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_state_dir,
      N_ ("Where definitions and autostart marks are kept"), N_ ("DIR") },
    { "runtime-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_runtime_dir,
      N_ ("Where worker sockets and status records are kept"), N_ ("DIR") },
    { "log-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_log_dir, N_ ("Where worker logs go"),
      N_ ("DIR") },
    { "backend-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_backend_dir,
      N_ ("Where backend plugins are (default: $HULL_BACKEND_DIR or the installed ones)"),
      N_ ("DIR") },
    { "worker", 0, 0, G_OPTION_ARG_FILENAME, &opt_worker,
      N_ ("The hull-vm binary (default: $HULL_WORKER or the installed one)"), N_ ("PATH") },
    { "replace", 0, 0, G_OPTION_ARG_NONE, &opt_replace, N_ ("Take over from a running hulld"),
      NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, N_ ("Log debugging messages"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  HullDaemonConfig config = { 0 };
  Hulld hulld = { 0 };
  g_autofree char *state_dir = NULL;
  g_autofree char *runtime_dir = NULL;
  g_autofree char *log_dir = NULL;
  g_autofree char *worker_path = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr (HullConfig) policy = NULL;
  g_autoptr (HullAuthority) authority = NULL;

  setlocale (LC_ALL, "");
  hull_i18n_init ();

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _ ("Hull's VM management daemon."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &local_error))
    {
      g_printerr ("hulld: %s\n", local_error->message);
      return 2;
    }
  if (opt_session && opt_system)
    {
      g_printerr (_ ("hulld: --session and --system cannot be combined\n"));
      return 2;
    }
  if (argc > 1)
    {
      g_printerr (_ ("hulld: unexpected argument '%s'\n"), argv[1]);
      return 2;
    }
  if (opt_verbose)
    g_log_set_debug_enabled (TRUE);

  hulld.bus_type = opt_system ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
  hulld.replace = opt_replace;
  if (opt_system)
    {
      state_dir = g_strdup (opt_state_dir != NULL ? opt_state_dir : HULL_LOCALSTATEDIR "/lib/hull");
      runtime_dir = g_strdup (opt_runtime_dir != NULL ? opt_runtime_dir : "/run/hull");
      log_dir = g_strdup (opt_log_dir != NULL ? opt_log_dir : HULL_LOCALSTATEDIR "/log/hull");
    }
  else
    {
      state_dir = opt_state_dir != NULL ? g_strdup (opt_state_dir)
                                        : g_build_filename (g_get_user_config_dir (), "hull", NULL);
      runtime_dir = opt_runtime_dir != NULL
                        ? g_strdup (opt_runtime_dir)
                        : g_build_filename (g_get_user_runtime_dir (), "hull", NULL);
      log_dir = opt_log_dir != NULL
                    ? g_strdup (opt_log_dir)
                    : g_build_filename (g_get_user_state_dir (), "hull", "log", NULL);
    }
  /* A policy hulld did not understand is no policy to run with. */
  if (opt_config != NULL)
    config_path = g_strdup (opt_config);
  else if (opt_system)
    config_path = g_build_filename (HULL_SYSCONFDIR, "hull", "hulld.conf", NULL);
  else
    config_path = g_build_filename (g_get_user_config_dir (), "hull", "hulld.conf", NULL);
  policy = hull_config_load (config_path, opt_config != NULL, &local_error);
  if (policy == NULL)
    {
      g_printerr (_ ("hulld: refusing to start: %s\n"), local_error->message);
      return 1;
    }

  if (opt_worker != NULL)
    worker_path = g_strdup (opt_worker);
  else if (g_getenv ("HULL_WORKER") != NULL && *g_getenv ("HULL_WORKER") != '\0')
    worker_path = g_strdup (g_getenv ("HULL_WORKER"));
  else
    worker_path = g_strdup (HULL_LIBEXECDIR "/hull/hull-vm");

  hulld.connection = g_bus_get_sync (hulld.bus_type, NULL, &local_error);
  if (hulld.connection == NULL)
    {
      g_printerr (_ ("hulld: cannot connect to the %s bus: %s\n"), bus_name (hulld.bus_type),
                  local_error->message);
      return 1;
    }
  g_dbus_connection_set_exit_on_close (hulld.connection, FALSE);
  if (!check_name_free (&hulld, &local_error)
      || !lock_runtime_dir (runtime_dir, opt_system ? 0755 : 0700, opt_replace ? 10000 : 0,
                            &local_error))
    {
      g_printerr ("hulld: %s\n", local_error->message);
      g_object_unref (hulld.connection);
      return 1;
    }

  authority = hull_authority_new (opt_system, policy, &local_error);
  if (authority == NULL)
    {
      g_printerr (_ ("hulld: refusing to start: %s\n"), local_error->message);
      g_object_unref (hulld.connection);
      return 1;
    }
  g_message (_ ("authorization: %s (configuration %s)"),
             hull_authority_mode_to_string (hull_authority_get_mode (authority)), config_path);

  config.system = opt_system;
  config.authority = authority;
  config.state_dir = state_dir;
  config.runtime_dir = runtime_dir;
  config.log_dir = log_dir;
  config.backend_dir = opt_backend_dir;
  config.worker_path = worker_path;
  hulld.daemon = hull_daemon_new (hulld.connection, &config, &local_error);
  if (hulld.daemon == NULL)
    {
      g_printerr ("hulld: %s\n", local_error->message);
      g_object_unref (hulld.connection);
      return 1;
    }
  g_debug ("state %s, runtime %s, logs %s, worker %s", state_dir, runtime_dir, log_dir,
           worker_path);

  loop = g_main_loop_new (NULL, FALSE);
  hulld.loop = loop;
  g_unix_signal_add (SIGTERM, on_signal, &hulld);
  g_unix_signal_add (SIGINT, on_signal, &hulld);
  g_signal_connect (hulld.connection, "closed", G_CALLBACK (on_connection_closed), &hulld);
  hull_daemon_start_async (hulld.daemon, daemon_started, &hulld);
  g_main_loop_run (loop);

  if (hulld.owner_id != 0)
    g_bus_unown_name (hulld.owner_id);
  g_signal_handlers_disconnect_by_data (hulld.connection, &hulld);
  g_clear_object (&hulld.daemon);
  g_clear_object (&authority);
  g_dbus_connection_flush_sync (hulld.connection, NULL, NULL);
  g_object_unref (hulld.connection);
  return hulld.status;
}
