/* hull-console-server.h — serves one serial port's console to socket
 * clients (docs/console.md, "OpenConsole").
 *
 * Each client is one end of a socketpair that the worker hands out through
 * Worker.OpenConsole. A client first gets the console's ring (what the
 * guest wrote before it connected), then the live output, without gap or
 * repetition (hull_console_attach()). Any number of clients read; at most
 * one writes: its bytes go to the guest's UART, as fast as the guest takes
 * them. A client's output waits in its own buffer, so a slow reader never
 * blocks the VPs or the other clients; one that falls
 * HULL_CONSOLE_SERVER_CLIENT_MAX bytes behind is disconnected.
 *
 * Threads: everything runs on the thread-default GMainContext of the
 * creator, but hull_console_server_input_space() [any].
 */
#pragma once

#include <glib.h>

#include "hull-console.h"
#include "hull-machine.h"

G_BEGIN_DECLS

typedef struct _HullConsoleServer HullConsoleServer;

/* Output bytes a client may have waiting at most; past that, it is
 * disconnected. */
#define HULL_CONSOLE_SERVER_CLIENT_MAX (1024 * 1024)

/**
 * hull_console_server_new:
 * @console: the port's console (outlives the server)
 * @machine: where input goes (outlives the server)
 * @port: the serial port
 * @domain_name: the domain's name, for messages
 *
 * Returns: (transfer full): a server without clients.
 */
HullConsoleServer *hull_console_server_new (HullConsole *console, HullMachine *machine, guint port,
                                            const char *domain_name);

/**
 * hull_console_server_free:
 * @server: (nullable): a server
 *
 * Disconnects every client and frees the server [owner; after the VPs are
 * stopped, so that no input-space call is under way or to come].
 */
void hull_console_server_free (HullConsoleServer *server);

/**
 * hull_console_server_open:
 * @server: a server
 * @read_only: the client only reads
 * @force: take the write side from the client that holds it, which stays
 *   connected as a reader
 * @error: %HULL_ERROR_INVALID_STATE when another client writes and @force
 *   is not set; %HULL_ERROR_IO when no socket can be made
 *
 * Adds a client.
 *
 * Returns: the client's end of the socketpair (the caller owns it; blocking,
 *   close-on-exec), or -1.
 */
int hull_console_server_open (HullConsoleServer *server, gboolean read_only, gboolean force,
                              GError **error);

/**
 * hull_console_server_input_space:
 * @server: a server
 *
 * Tells the server the UART has room for input again [any thread; from the
 * machine's input-space callback]. The server resumes on its main context.
 */
void hull_console_server_input_space (HullConsoleServer *server);

/**
 * hull_console_server_flush:
 * @server: a server
 *
 * Tries once, without blocking, to write what each client has waiting.
 */
void hull_console_server_flush (HullConsoleServer *server);

/* The number of clients connected, and whether one writes. */
guint hull_console_server_get_n_clients (HullConsoleServer *server);
gboolean hull_console_server_has_writer (HullConsoleServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullConsoleServer, hull_console_server_free)

G_END_DECLS
