/* hull-console-server.c — serves one serial port's console to socket
 * clients. */
#include "config.h"

#include "hull-console-server.h"

#include <errno.h>
#include <poll.h>
#include <glib-unix.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hull-error.h"
#include "hull-i18n.h"

typedef struct
{
  HullConsoleServer *server;
  int fd;            /* our end: non-blocking */
  guint watch_id;    /* on the console */
  GSource *in;       /* reading; NULL while the UART refuses the writer's input */
  GSource *out;      /* waiting to write; NULL when nothing waits */
  GByteArray *queue; /* output the socket has not taken yet */
  gboolean writer;
  gboolean input_closed; /* the client shut down its write side */
} Client;

typedef struct
{
  GSource source;
  HullConsoleServer *server;
} SpaceSource;

struct _HullConsoleServer
{
  HullConsole *console;
  HullMachine *machine;
  guint port;
  char *domain_name;
  GMainContext *context;

  GPtrArray *clients; /* of Client */
  Client *writer;     /* one of them, or NULL */
  GByteArray *input;  /* read from a writer, refused by the UART so far */
  GSource *space;     /* woken by hull_console_server_input_space() */
};

static void client_read (Client *client);

static void
client_free (gpointer data)
{
  Client *client = data;

  if (client->watch_id != 0)
    hull_console_remove_watch (client->server->console, client->watch_id);
  if (client->in != NULL)
    {
      g_source_destroy (client->in);
      g_source_unref (client->in);
    }
  if (client->out != NULL)
    {
      g_source_destroy (client->out);
      g_source_unref (client->out);
    }
  close (client->fd);
  g_byte_array_unref (client->queue);
  g_free (client);
}

/* Disconnects @client and frees it; it must not be used afterwards. */
static void
client_drop (Client *client)
{
  HullConsoleServer *server = client->server;

  if (server->writer == client)
    server->writer = NULL;
  g_ptr_array_remove_fast (server->clients, client);
}

static void
client_stop_reading (Client *client)
{
  if (client->in == NULL)
    return;
  g_source_destroy (client->in);
  g_clear_pointer (&client->in, g_source_unref);
}

static gboolean on_client_writable (int fd, GIOCondition condition, gpointer user_data);

/* Writes what waits, as far as the socket takes it. Returns FALSE when the
 * client was dropped (a write error: it went away). */
static gboolean
client_write (Client *client)
{
  while (client->queue->len > 0)
    {
      gssize n
          = send (client->fd, client->queue->data, client->queue->len, MSG_NOSIGNAL | MSG_DONTWAIT);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        {
          if (client->out == NULL)
            {
              client->out = g_unix_fd_source_new (client->fd, G_IO_OUT);
              g_source_set_callback (client->out, G_SOURCE_FUNC (on_client_writable), client, NULL);
              g_source_set_static_name (client->out, "[hull] console client output");
              g_source_attach (client->out, client->server->context);
            }
          return TRUE;
        }
      if (n <= 0)
        {
          client_drop (client);
          return FALSE;
        }
      g_byte_array_remove_range (client->queue, 0, (guint)n);
    }
  if (client->out != NULL)
    {
      g_source_destroy (client->out);
      g_clear_pointer (&client->out, g_source_unref);
    }
  return TRUE;
}

static gboolean
on_client_writable (int fd, GIOCondition condition, gpointer user_data)
{
  /* client_write() removes this source once the queue is empty (or frees
   * the client). */
  client_write (user_data);
  return G_SOURCE_CONTINUE;
}

/* Queues @bytes for @client and writes what the socket takes. A client
 * that lets more than HULL_CONSOLE_SERVER_CLIENT_MAX bytes pile up is
 * disconnected: the guest's output is not held back for one slow reader.
 * Returns FALSE when the client was dropped. */
static gboolean
client_send (Client *client, const guint8 *bytes, gsize len)
{
  HullConsoleServer *server = client->server;

  if (client->queue->len + len > HULL_CONSOLE_SERVER_CLIENT_MAX)
    {
      g_message (_ ("domain '%s': a console client of serial port %u fell more than %u bytes "
                    "behind; disconnecting it"),
                 server->domain_name, server->port, (guint)HULL_CONSOLE_SERVER_CLIENT_MAX);
      client_drop (client);
      return FALSE;
    }
  g_byte_array_append (client->queue, bytes, (guint)len);
  return client_write (client);
}

/* The console's watch, on the main context. */
static void
on_output (HullConsole *console, const guint8 *bytes, gsize len, gpointer user_data)
{
  client_send (user_data, bytes, len);
}

/* Gives the UART what it refused before; TRUE when nothing is left. */
static gboolean
push_input (HullConsoleServer *server)
{
  gsize taken;

  if (server->input->len == 0)
    return TRUE;
  taken = hull_machine_push_console_input (server->machine, server->port, server->input->data,
                                           server->input->len);
  g_byte_array_remove_range (server->input, 0, (guint)taken);
  return server->input->len == 0;
}

/* After EOF: whether the peer closed its socket (both directions: AF_UNIX
 * then polls HUP), rather than only shutting down its write side. */
static gboolean
client_closed (int fd)
{
  struct pollfd pfd = { .fd = fd };

  return poll (&pfd, 1, 0) != 0 && (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

static gboolean
on_client_hangup (int fd, GIOCondition condition, gpointer user_data)
{
  client_drop (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_client_readable (int fd, GIOCondition condition, gpointer user_data)
{
  Client *client = user_data;
  HullConsoleServer *server = client->server;
  guint8 buffer[4096];
  gssize n;
  gsize taken;

  n = read (fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n < 0)
    {
      /* The client is gone. */
      client_drop (client);
      return G_SOURCE_REMOVE;
    }
  if (n == 0 && client_closed (fd))
    {
      client_drop (client);
      return G_SOURCE_REMOVE;
    }
  if (n == 0)
    {
      /* The client shut down only its write side (a pipe's input ended):
       * it still reads, so it stays, as a reader, until it hangs up. */
      client->input_closed = TRUE;
      if (server->writer == client)
        {
          server->writer = NULL;
          client->writer = FALSE;
        }
      g_clear_pointer (&client->in, g_source_unref);
      client->in = g_unix_fd_source_new (fd, G_IO_HUP | G_IO_ERR);
      g_source_set_callback (client->in, G_SOURCE_FUNC (on_client_hangup), client, NULL);
      g_source_set_static_name (client->in, "[hull] console client hang-up");
      g_source_attach (client->in, server->context);
      return G_SOURCE_REMOVE;
    }
  if (!client->writer)
    return G_SOURCE_CONTINUE; /* a reader's input is discarded */
  taken = hull_machine_push_console_input (server->machine, server->port, buffer, (gsize)n);
  if (taken == (gsize)n)
    return G_SOURCE_CONTINUE;
  /* The UART is full: keep the rest, and read no more from the writer
   * until the guest has taken it (on_space()). */
  g_byte_array_append (server->input, buffer + taken, (guint)((gsize)n - taken));
  client_stop_reading (client);
  return G_SOURCE_REMOVE;
}

static void
client_read (Client *client)
{
  if (client->in != NULL || client->input_closed)
    return;
  client->in = g_unix_fd_source_new (client->fd, G_IO_IN);
  g_source_set_callback (client->in, G_SOURCE_FUNC (on_client_readable), client, NULL);
  g_source_set_static_name (client->in, "[hull] console client input");
  g_source_attach (client->in, client->server->context);
}

/* On the main context: the UART has room. */
static gboolean
space_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  HullConsoleServer *server = ((SpaceSource *)source)->server;

  /* Before pushing: a wake-up that comes during the push is not lost. */
  g_source_set_ready_time (source, -1);
  if (push_input (server) && server->writer != NULL)
    client_read (server->writer);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs space_source_funcs = {
  .dispatch = space_source_dispatch,
};

HullConsoleServer *
hull_console_server_new (HullConsole *console, HullMachine *machine, guint port,
                         const char *domain_name)
{
  HullConsoleServer *server;

  g_return_val_if_fail (console != NULL, NULL);
  g_return_val_if_fail (machine != NULL, NULL);

  server = g_new0 (HullConsoleServer, 1);
  server->console = console;
  server->machine = machine;
  server->port = port;
  server->domain_name = g_strdup (domain_name);
  server->context = g_main_context_ref_thread_default ();
  server->clients = g_ptr_array_new_with_free_func (client_free);
  server->input = g_byte_array_new ();
  server->space = g_source_new (&space_source_funcs, sizeof (SpaceSource));
  ((SpaceSource *)server->space)->server = server;
  g_source_set_static_name (server->space, "[hull] console input space");
  g_source_attach (server->space, server->context);
  return server;
}

void
hull_console_server_free (HullConsoleServer *server)
{
  if (server == NULL)
    return;
  server->writer = NULL;
  g_ptr_array_unref (server->clients);
  g_source_destroy (server->space);
  g_source_unref (server->space);
  g_byte_array_unref (server->input);
  g_main_context_unref (server->context);
  g_free (server->domain_name);
  g_free (server);
}

int
hull_console_server_open (HullConsoleServer *server, gboolean read_only, gboolean force,
                          GError **error)
{
  g_autoptr (GBytes) ring = NULL;
  g_autoptr (GError) local_error = NULL;
  Client *client;
  int fds[2];

  g_return_val_if_fail (server != NULL, -1);

  if (!read_only && server->writer != NULL && !force)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_STATE,
                   _ ("the console of domain '%s' is in use; use force to take it over"),
                   server->domain_name);
      return -1;
    }
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO,
                   _ ("domain '%s': cannot create a console socket: %s"), server->domain_name,
                   g_strerror (saved_errno));
      return -1;
    }
  if (!g_unix_set_fd_nonblocking (fds[0], TRUE, &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO,
                   _ ("domain '%s': cannot create a console socket: %s"), server->domain_name,
                   local_error->message);
      close (fds[0]);
      close (fds[1]);
      return -1;
    }

  client = g_new0 (Client, 1);
  client->server = server;
  client->fd = fds[0];
  client->queue = g_byte_array_new ();
  g_ptr_array_add (server->clients, client);
  if (!read_only)
    {
      /* The old writer stays, as a reader. */
      if (server->writer != NULL)
        {
          server->writer->writer = FALSE;
          client_read (server->writer);
        }
      server->writer = client;
      client->writer = TRUE;
    }

  client->watch_id = hull_console_attach (server->console, on_output, client, &ring);
  /* The ring is at most the console's ring size, far below the limit, and
   * the new socket is empty: this cannot drop the client. */
  if (g_bytes_get_size (ring) > 0)
    client_send (client, g_bytes_get_data (ring, NULL), g_bytes_get_size (ring));
  /* A new writer waits for what the UART refused from the last one. */
  if (!client->writer || server->input->len == 0)
    client_read (client);
  return fds[1];
}

void
hull_console_server_input_space (HullConsoleServer *server)
{
  /* Thread-safe; wakes the context up. */
  g_source_set_ready_time (server->space, 0);
}

void
hull_console_server_flush (HullConsoleServer *server)
{
  g_return_if_fail (server != NULL);

  /* Backwards: client_write() may drop a client (remove_fast moves the
   * last one into its place). */
  for (guint i = server->clients->len; i > 0; i--)
    if (i <= server->clients->len)
      client_write (g_ptr_array_index (server->clients, i - 1));
}

guint
hull_console_server_get_n_clients (HullConsoleServer *server)
{
  return server->clients->len;
}

gboolean
hull_console_server_has_writer (HullConsoleServer *server)
{
  return server->writer != NULL;
}
