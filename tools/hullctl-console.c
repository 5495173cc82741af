/* hullctl-console.c — `hullctl console`: joins the terminal (or a pipe) to
 * a domain's serial port through the socket OpenConsole hands over.
 *
 * On a terminal, stdin goes raw (cfmakeraw) so that every key reaches the
 * guest, and Ctrl-] (0x1d, virsh's escape) disconnects; the terminal is
 * restored on every way out, SIGINT, SIGTERM and SIGHUP included. From a
 * pipe, input is copied as it is; at its end the socket's write side is shut
 * and the guest's output is printed until hulld closes the socket.
 *
 * Input waits in @pending while the socket is full, and stdin is not read
 * meanwhile: a guest that reads slowly slows the writer, never the output.
 */
#include "config.h"

#include "hullctl.h"

#include <errno.h>
#include <glib-unix.h>
#include <gio/gunixfdlist.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "hull-i18n.h"
#include "hullctl-client.h"

#define ESCAPE_CHAR 0x1d /* Ctrl-] */

typedef struct
{
  GMainLoop *loop;
  int sock;
  gboolean tty;       /* stdin is a terminal, now raw */
  gboolean read_only; /* input is read only to see the escape */
  gboolean raw;
  struct termios saved;
  guint stdin_watch;
  guint sock_in_watch;
  guint sock_out_watch;
  GByteArray *pending; /* stdin bytes the socket has not taken yet */
  gboolean stdin_done; /* EOF, or the socket takes no more input */
  gboolean write_shut;
  int signal; /* the one that ended the session, or 0 */
  int status;
} Console;

static gboolean on_stdin (int fd, GIOCondition condition, gpointer data);
static gboolean on_socket_writable (int fd, GIOCondition condition, gpointer data);

static void
console_quit (Console *console, int status)
{
  if (console->status == HULLCTL_EXIT_OK)
    console->status = status;
  g_main_loop_quit (console->loop);
}

/* A message while the terminal may be raw: "\r\n" ends the line. */
static void
console_warn (Console *console, const char *message)
{
  g_printerr ("hullctl: %s%s", message, console->raw ? "\r\n" : "\n");
}

/* Writes all of @data to stdout, even when stdout is non-blocking. */
static gboolean
write_stdout (const guint8 *data, gsize length)
{
  while (length > 0)
    {
      ssize_t n = write (STDOUT_FILENO, data, length);

      if (n < 0)
        {
          struct pollfd poll_fd = { STDOUT_FILENO, POLLOUT, 0 };

          if (errno == EINTR)
            continue;
          if (errno != EAGAIN)
            return FALSE;
          poll (&poll_fd, 1, -1);
          continue;
        }
      data += n;
      length -= n;
    }
  return TRUE;
}

static void
watch_stdin (Console *console, gboolean on)
{
  if (on && console->stdin_watch == 0 && (!console->stdin_done || console->tty))
    console->stdin_watch
        = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, console);
  else if (!on && console->stdin_watch != 0)
    g_clear_handle_id (&console->stdin_watch, g_source_remove);
}

/* Nothing more will be sent: the guest sees the end of the input. */
static void
shut_write_side (Console *console)
{
  if (console->write_shut)
    return;
  console->write_shut = TRUE;
  shutdown (console->sock, SHUT_WR);
}

/* The socket takes no more input (the write side went to a --force, or the
 * peer shut its read side): keep showing the output. */
static void
input_refused (Console *console)
{
  console_warn (console, _ ("the console takes no more input"));
  g_byte_array_set_size (console->pending, 0);
  console->stdin_done = TRUE;
  console->write_shut = TRUE;
  g_clear_handle_id (&console->sock_out_watch, g_source_remove);
  /* On a terminal, the escape must still work. */
  watch_stdin (console, console->tty);
}

/* Sends what it can of @pending; reads stdin again only once all is gone. */
static void
flush_pending (Console *console)
{
  while (console->pending->len > 0)
    {
      ssize_t n = send (console->sock, console->pending->data, console->pending->len,
                        MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (n < 0)
        {
          input_refused (console);
          return;
        }
      g_byte_array_remove_range (console->pending, 0, n);
    }
  if (console->pending->len > 0)
    {
      watch_stdin (console, FALSE);
      if (console->sock_out_watch == 0)
        console->sock_out_watch
            = g_unix_fd_add (console->sock, G_IO_OUT | G_IO_ERR, on_socket_writable, console);
      return;
    }
  g_clear_handle_id (&console->sock_out_watch, g_source_remove);
  if (console->stdin_done && !console->tty)
    shut_write_side (console);
  else
    watch_stdin (console, TRUE);
}

static gboolean
on_socket_writable (int fd, GIOCondition condition, gpointer data)
{
  Console *console = data;

  console->sock_out_watch = 0;
  flush_pending (console);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stdin (int fd, GIOCondition condition, gpointer data)
{
  Console *console = data;
  guint8 buffer[4096];
  ssize_t n = read (fd, buffer, sizeof buffer);
  guint8 *escape;

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      console->stdin_watch = 0;
      /* A terminal that hangs up ends the session. */
      if (console->tty)
        {
          console_quit (console, HULLCTL_EXIT_OK);
          return G_SOURCE_REMOVE;
        }
      console->stdin_done = TRUE;
      if (!console->read_only)
        flush_pending (console);
      return G_SOURCE_REMOVE;
    }

  escape = console->tty ? memchr (buffer, ESCAPE_CHAR, n) : NULL;
  if (escape != NULL)
    n = escape - buffer;
  if (!console->read_only && !console->stdin_done)
    g_byte_array_append (console->pending, buffer, n);
  if (escape != NULL)
    {
      /* What came before the escape still goes, as far as it can now. */
      if (!console->read_only && !console->stdin_done && console->pending->len > 0)
        (void)send (console->sock, console->pending->data, console->pending->len,
                    MSG_NOSIGNAL | MSG_DONTWAIT);
      console_quit (console, HULLCTL_EXIT_OK);
      return G_SOURCE_CONTINUE;
    }
  if (!console->read_only && !console->stdin_done)
    flush_pending (console);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_socket_readable (int fd, GIOCondition condition, gpointer data)
{
  Console *console = data;
  guint8 buffer[65536];
  ssize_t n = recv (fd, buffer, sizeof buffer, MSG_DONTWAIT);

  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* hulld closed the console: the domain stopped, or the port went. */
      console->sock_in_watch = 0;
      console_quit (console, HULLCTL_EXIT_OK);
      return G_SOURCE_REMOVE;
    }
  if (!write_stdout (buffer, n))
    {
      /* Whoever read our output is gone (`| head`): nothing left to do. */
      console->sock_in_watch = 0;
      console_quit (console, HULLCTL_EXIT_OK);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer data, int signum)
{
  Console *console = data;

  console->signal = signum;
  console_quit (console, HULLCTL_EXIT_FAILED);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_sigint (gpointer data)
{
  return on_signal (data, SIGINT);
}

static gboolean
on_sigterm (gpointer data)
{
  return on_signal (data, SIGTERM);
}

static gboolean
on_sighup (gpointer data)
{
  return on_signal (data, SIGHUP);
}

static gboolean
make_raw (Console *console)
{
  struct termios raw;

  if (tcgetattr (STDIN_FILENO, &console->saved) != 0)
    return FALSE;
  raw = console->saved;
  cfmakeraw (&raw);
  if (tcsetattr (STDIN_FILENO, TCSAFLUSH, &raw) != 0)
    return FALSE;
  console->raw = TRUE;
  return TRUE;
}

static void
restore_terminal (Console *console)
{
  if (!console->raw)
    return;
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &console->saved);
  console->raw = FALSE;
}

/* Runs the session on @sock (taken); returns the exit status. */
static int
run_console (int sock, const char *name, gboolean read_only)
{
  Console console = { 0 };
  guint signal_ids[3];
  int status;

  console.sock = sock;
  console.read_only = read_only;
  console.tty = isatty (STDIN_FILENO);
  console.pending = g_byte_array_new ();
  console.loop = g_main_loop_new (NULL, FALSE);
  console.status = HULLCTL_EXIT_OK;
  g_unix_set_fd_nonblocking (sock, TRUE, NULL);

  g_printerr (_ ("Connected to domain '%s'\n"), name);
  if (console.tty)
    g_printerr ("%s\n", _ ("Escape character is ^]"));

  /* Installed before the terminal goes raw, so that no signal finds it raw
   * without a handler to restore it. */
  signal_ids[0] = g_unix_signal_add (SIGINT, on_sigint, &console);
  signal_ids[1] = g_unix_signal_add (SIGTERM, on_sigterm, &console);
  signal_ids[2] = g_unix_signal_add (SIGHUP, on_sighup, &console);
  signal (SIGPIPE, SIG_IGN);
  if (console.tty && !make_raw (&console))
    console.tty = FALSE; /* not a usable terminal after all: a plain copy */

  console.sock_in_watch
      = g_unix_fd_add (sock, G_IO_IN | G_IO_HUP | G_IO_ERR, on_socket_readable, &console);
  /* From a pipe, read-only reads nothing; on a terminal, only the escape. */
  if (console.tty || !read_only)
    watch_stdin (&console, TRUE);

  g_main_loop_run (console.loop);

  restore_terminal (&console);
  if (console.tty)
    g_printerr ("\n");
  for (guint i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  watch_stdin (&console, FALSE);
  g_clear_handle_id (&console.sock_in_watch, g_source_remove);
  g_clear_handle_id (&console.sock_out_watch, g_source_remove);
  close (sock);
  g_byte_array_unref (console.pending);
  g_main_loop_unref (console.loop);
  status = console.status;
  if (console.signal != 0)
    {
      /* Die of the signal, as the caller expects, with the terminal sane. */
      signal (console.signal, SIG_DFL);
      raise (console.signal);
    }
  return status;
}

int
hullctl_cmd_console (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  int port = 0;
  gboolean read_only = FALSE;
  gboolean force = FALSE;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, N_ ("Serial port N (default 0, COM1)"), N_ ("N") },
    { "read-only", 'r', 0, G_OPTION_ARG_NONE, &read_only,
      N_ ("Only show the output; send no input"), NULL },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      N_ ("Take the input side from the client that holds it"), NULL },
    { NULL },
  };
  g_autoptr (HullDBusDomain) domain = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) handle = NULL;
  g_autoptr (GUnixFDList) fds = NULL;
  GVariantBuilder options;
  int status = HULLCTL_EXIT_OK;
  int sock;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  if (port < 0)
    {
      hullctl_print_error (_ ("console: --port must not be negative"));
      return HULLCTL_EXIT_USAGE;
    }
  domain = hullctl_lookup_domain (context, argv[1], &status);
  if (domain == NULL)
    return status;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (port != 0)
    g_variant_builder_add (&options, "{sv}", "port", g_variant_new_uint32 (port));
  if (read_only)
    g_variant_builder_add (&options, "{sv}", "read-only", g_variant_new_boolean (TRUE));
  if (force)
    g_variant_builder_add (&options, "{sv}", "force", g_variant_new_boolean (TRUE));
  if (!hull_dbus_domain_call_open_console_sync (domain, g_variant_builder_end (&options), NULL,
                                                &handle, &fds, NULL, &error))
    return hullctl_report_error (context, error);
  if (fds == NULL)
    {
      hullctl_print_error (_ ("console: hulld sent no file descriptor"));
      return HULLCTL_EXIT_FAILED;
    }
  sock = g_unix_fd_list_get (fds, g_variant_get_handle (handle), &error);
  if (sock < 0)
    {
      hullctl_print_error ("console: %s", error->message);
      return HULLCTL_EXIT_FAILED;
    }
  return run_console (sock, hullctl_domain_name (domain, argv[1]), read_only);
}
