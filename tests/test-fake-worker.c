/* test-fake-worker — a stand-in for `hull-vm --worker` (docs/daemon.md) that
 * test-worker-client spawns to play the cases a real worker rarely shows.
 *
 * It takes hull-vm's worker command line and reads what to do from the
 * first line of its --xml file:
 *
 *   ready [ignore-stop]     serve Worker on the socket, write the status
 *                           record, say READY; Start sets State "running",
 *                           then the guest "powers off" (Halted, "halted");
 *                           Stop replies and exits 0 (ignore-stop: replies
 *                           and stays)
 *   error CODE MESSAGE      say "ERROR CODE MESSAGE" and exit 1
 *   exit N                  exit N without a word
 *   hang                    say nothing, stay
 *   garbage                 say "HELLO", stay
 *   flood                   write 1 MiB without a newline, stay
 *
 * Before anything else it writes its pid to $runtime/fake-<uuid>.pid and
 * checks what the client promised: its own session, stdin on /dev/null,
 * PR_SET_NO_NEW_PRIVS, and no file descriptor but 0, 1, 2, the ready fd and
 * the fds its options name (--listen-fd, --status-fd, ...), each open; a
 * broken promise is printed to stdout (the worker log) as "PROBLEM: ...".
 * It serves on --listen-fd (hulld's socket) and writes its status record to
 * --status-fd, as hull-vm does, and never removes either. It writes a line
 * to stdout and one to stderr, both of which should land in the log.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hull-dbus.h"

typedef struct
{
  GMainLoop *loop;
  HullDBusWorker *skeleton;
  char *socket_path;
  char *status_path;
  gboolean ignore_stop;
  char *guid;
} Fake;

/* The fds a worker command line names (--ready-fd N, --listen-fd N, ...),
 * read before GLib opens anything. */
static gboolean
is_named_fd (int argc, char **argv, int fd)
{
  for (int i = 1; i + 1 < argc; i++)
    if (g_str_has_prefix (argv[i], "--") && g_str_has_suffix (argv[i], "-fd")
        && atoi (argv[i + 1]) == fd)
      return TRUE;
  return FALSE;
}

/* Before GLib opens anything: only 0, 1, 2 and the fds named. */
static void
check_inherited (int argc, char **argv)
{
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *entry;
  struct stat in, null;

  if (getsid (0) != getpid ())
    printf ("PROBLEM: not in a session of its own\n");
  if (fstat (0, &in) < 0 || stat ("/dev/null", &null) < 0 || in.st_rdev != null.st_rdev)
    printf ("PROBLEM: stdin is not /dev/null\n");
  if (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
    printf ("PROBLEM: no PR_SET_NO_NEW_PRIVS\n");
  if (dir == NULL)
    return;
  while ((entry = readdir (dir)) != NULL)
    {
      int fd;

      if (entry->d_name[0] == '.')
        continue;
      fd = atoi (entry->d_name);
      if (fd > 2 && !is_named_fd (argc, argv, fd) && fd != dirfd (dir))
        printf ("PROBLEM: inherited fd %d\n", fd);
    }
  closedir (dir);
  fflush (stdout);
}

static void
say (int fd, const char *line)
{
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  if (write (fd, text, strlen (text)) < 0)
    printf ("PROBLEM: cannot write the ready line: %s\n", g_strerror (errno));
  close (fd);
}

static gboolean
power_off (gpointer user_data)
{
  Fake *fake = user_data;

  hull_dbus_worker_set_state (fake->skeleton, "halted");
  hull_dbus_worker_emit_halted (fake->skeleton, "power-off", "the guest powered off");
  return G_SOURCE_REMOVE;
}

static gboolean
on_start (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
          gpointer user_data)
{
  hull_dbus_worker_set_state (skeleton, "running");
  hull_dbus_worker_complete_start (skeleton, invocation);
  g_timeout_add (50, power_off, user_data);
  return TRUE;
}

static void
stop_flushed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fake *fake = user_data;

  g_dbus_connection_flush_finish (G_DBUS_CONNECTION (source), result, NULL);
  g_main_loop_quit (fake->loop);
}

static gboolean
on_stop (HullDBusWorker *skeleton, GDBusMethodInvocation *invocation, GVariant *options,
         gpointer user_data)
{
  Fake *fake = user_data;
  GDBusConnection *connection = g_dbus_method_invocation_get_connection (invocation);

  hull_dbus_worker_complete_stop (skeleton, invocation);
  if (fake->ignore_stop)
    return TRUE;
  g_dbus_connection_flush (connection, NULL, stop_flushed, fake);
  return TRUE;
}

static void
on_connection_closed (GDBusConnection *connection, gboolean vanished, GError *error,
                      gpointer user_data)
{
  Fake *fake = user_data;

  g_dbus_interface_skeleton_unexport_from_connection (G_DBUS_INTERFACE_SKELETON (fake->skeleton),
                                                      connection);
}

static gboolean
on_new_connection (GDBusServer *server, GDBusConnection *connection, gpointer user_data)
{
  Fake *fake = user_data;
  g_autoptr (GError) error = NULL;

  g_signal_connect (connection, "closed", G_CALLBACK (on_connection_closed), fake);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (fake->skeleton), connection,
                                         HULL_DBUS_WORKER_PATH, &error))
    {
      printf ("PROBLEM: cannot export: %s\n", error->message);
      return FALSE;
    }
  return TRUE;
}

static void
on_connection_made (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) connection = g_dbus_connection_new_finish (result, &error);

  if (connection == NULL)
    {
      printf ("PROBLEM: a connection failed: %s\n", error->message);
      return;
    }
  if (on_new_connection (NULL, connection, user_data))
    g_dbus_connection_start_message_processing (connection);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *stream, GObject *source, gpointer data)
{
  Fake *fake = data;

  g_dbus_connection_new (G_IO_STREAM (stream), fake->guid,
                         G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_SERVER
                             | G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
                         NULL, NULL, on_connection_made, fake);
  return TRUE;
}

static int
serve (const char *uuid, const char *runtime_dir, int ready_fd, int listen_fd, int status_fd,
       gboolean ignore_stop)
{
  g_autofree char *socket_name = g_strconcat (uuid, ".sock", NULL);
  g_autofree char *status_name = g_strconcat (uuid, ".status", NULL);
  g_autofree char *guid = g_dbus_generate_guid ();
  g_autoptr (GSocketService) service = g_socket_service_new ();
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GKeyFile) record = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length;
  Fake fake = { .ignore_stop = ignore_stop, .guid = guid };

  fake.loop = g_main_loop_new (NULL, FALSE);
  fake.socket_path = g_build_filename (runtime_dir, "vm", socket_name, NULL);
  fake.status_path = g_build_filename (runtime_dir, "vm", status_name, NULL);
  fake.skeleton = hull_dbus_worker_skeleton_new ();
  hull_dbus_worker_set_uuid (fake.skeleton, uuid);
  hull_dbus_worker_set_name (fake.skeleton, "fake");
  hull_dbus_worker_set_state (fake.skeleton, "created");
  hull_dbus_worker_set_halt_kind (fake.skeleton, "");
  hull_dbus_worker_set_halt_description (fake.skeleton, "");
  g_signal_connect (fake.skeleton, "handle-start", G_CALLBACK (on_start), &fake);
  g_signal_connect (fake.skeleton, "handle-stop", G_CALLBACK (on_stop), &fake);

  socket = g_socket_new_from_fd (listen_fd, &error);
  /* Listening again makes SO_PEERCRED name us, as hull-vm does. */
  if (socket == NULL || !g_socket_listen (socket, &error)
      || !g_socket_listener_add_socket (G_SOCKET_LISTENER (service), socket, NULL, &error))
    {
      g_autofree char *line = g_strdup_printf ("ERROR 13 fake: %s", error->message);

      say (ready_fd, line);
      return 1;
    }
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), &fake);
  g_socket_service_start (service);

  g_key_file_set_int64 (record, "worker", "pid", getpid ());
  g_key_file_set_string (record, "worker", "uuid", uuid);
  g_key_file_set_string (record, "worker", "name", "fake");
  g_key_file_set_string (record, "worker", "socket", fake.socket_path);
  g_key_file_set_string (record, "worker", "state", "created");
  text = g_key_file_to_data (record, &length, NULL);
  if (pwrite (status_fd, text, length, 0) != (ssize_t)length || ftruncate (status_fd, length) < 0)
    printf ("PROBLEM: cannot write the status record: %s\n", g_strerror (errno));

  say (ready_fd, "READY");
  g_main_loop_run (fake.loop);
  printf ("stopped\n");

  g_socket_service_stop (service);
  g_object_unref (fake.skeleton);
  g_main_loop_unref (fake.loop);
  g_free (fake.socket_path);
  g_free (fake.status_path);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autofree char *uuid = NULL, *xml = NULL, *runtime_dir = NULL, *console_log = NULL;
  g_autofree char *backend = NULL, *backend_dir = NULL, *mode = NULL, *pid_name = NULL;
  g_autofree char *pid_path = NULL, *pid_text = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *speed = NULL;
  gboolean worker = FALSE;
  int ready_fd = -1, xml_fd = -1, listen_fd = -1, status_fd = -1, console_log_fd = -1;
  int kvm_fd = -1, kernel_fd = -1, initrd_fd = -1;
  GOptionEntry entries[] = {
    { "worker", 0, 0, G_OPTION_ARG_NONE, &worker, NULL, NULL },
    { "uuid", 0, 0, G_OPTION_ARG_STRING, &uuid, NULL, NULL },
    { "xml", 0, 0, G_OPTION_ARG_FILENAME, &xml, NULL, NULL },
    { "runtime-dir", 0, 0, G_OPTION_ARG_FILENAME, &runtime_dir, NULL, NULL },
    { "console-log", 0, 0, G_OPTION_ARG_FILENAME, &console_log, NULL, NULL },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend, NULL, NULL },
    { "backend-dir", 0, 0, G_OPTION_ARG_FILENAME, &backend_dir, NULL, NULL },
    { "ready-fd", 0, 0, G_OPTION_ARG_INT, &ready_fd, NULL, NULL },
    { "xml-fd", 0, 0, G_OPTION_ARG_INT, &xml_fd, NULL, NULL },
    { "listen-fd", 0, 0, G_OPTION_ARG_INT, &listen_fd, NULL, NULL },
    { "status-fd", 0, 0, G_OPTION_ARG_INT, &status_fd, NULL, NULL },
    { "console-log-fd", 0, 0, G_OPTION_ARG_INT, &console_log_fd, NULL, NULL },
    { "kvm-fd", 0, 0, G_OPTION_ARG_INT, &kvm_fd, NULL, NULL },
    { "kernel-fd", 0, 0, G_OPTION_ARG_INT, &kernel_fd, NULL, NULL },
    { "initrd-fd", 0, 0, G_OPTION_ARG_INT, &initrd_fd, NULL, NULL },
    { "speed", 0, 0, G_OPTION_ARG_STRING, &speed, NULL, NULL },
    { NULL },
  };

  check_inherited (argc, argv);

  context = g_option_context_new (NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      printf ("PROBLEM: %s\n", error->message);
      return 2;
    }
  if (!worker || uuid == NULL || xml == NULL || runtime_dir == NULL || ready_fd != 3 || xml_fd < 0
      || listen_fd < 0 || status_fd < 0 || (console_log != NULL) != (console_log_fd >= 0))
    {
      printf ("PROBLEM: not a worker command line\n");
      return 2;
    }
  printf ("fake worker for %s: console-log %s, backend %s, backend-dir %s, speed %s, "
          "kvm-fd %d, kernel-fd %d, initrd-fd %d\n",
          uuid, console_log != NULL ? console_log : "-", backend != NULL ? backend : "-",
          backend_dir != NULL ? backend_dir : "-", speed != NULL ? speed : "-", kvm_fd, kernel_fd,
          initrd_fd);
  fflush (stdout);
  fprintf (stderr, "fake worker stderr\n");

  pid_name = g_strdup_printf ("fake-%s.pid", uuid);
  pid_path = g_build_filename (runtime_dir, pid_name, NULL);
  pid_text = g_strdup_printf ("%d", (int)getpid ());
  if (!g_file_set_contents (pid_path, pid_text, -1, &error))
    {
      printf ("PROBLEM: %s\n", error->message);
      return 2;
    }
  /* The definition comes through --xml-fd; --xml only names it. */
  {
    char buffer[4096];
    ssize_t n = read (xml_fd, buffer, sizeof buffer - 1);

    if (n < 0)
      {
        printf ("PROBLEM: cannot read --xml-fd: %s\n", g_strerror (errno));
        return 2;
      }
    buffer[n] = '\0';
    mode = g_strdup (buffer);
  }
  g_strstrip (mode);

  if (g_str_has_prefix (mode, "ready"))
    return serve (uuid, runtime_dir, ready_fd, listen_fd, status_fd,
                  strstr (mode, "ignore-stop") != NULL);
  if (g_str_has_prefix (mode, "error "))
    {
      g_autofree char *line = g_strconcat ("ERROR ", mode + strlen ("error "), NULL);

      say (ready_fd, line);
      return 1;
    }
  if (g_str_has_prefix (mode, "exit "))
    return atoi (mode + strlen ("exit "));
  if (strcmp (mode, "garbage") == 0)
    {
      if (write (ready_fd, "HELLO\n", 6) != 6)
        return 1;
    }
  else if (strcmp (mode, "flood") == 0)
    {
      g_autofree char *junk = g_malloc (1024 * 1024);

      /* Blocks once hulld stops reading; hulld then kills us. */
      memset (junk, 'x', 1024 * 1024);
      for (gsize done = 0; done < 1024 * 1024;)
        {
          ssize_t n = write (ready_fd, junk + done, 1024 * 1024 - done);

          if (n <= 0)
            return 1;
          done += (gsize)n;
        }
    }
  else if (strcmp (mode, "hang") != 0)
    {
      printf ("PROBLEM: unknown mode '%s'\n", mode);
      return 2;
    }
  for (;;)
    pause ();
}
