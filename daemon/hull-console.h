/* hull-console.h — the worker's console for one serial port (docs/console.md).
 *
 * The guest's serial output goes to hull_console_write() on VP threads,
 * which never blocks: it copies the bytes into a ring buffer that keeps the
 * last ring_size bytes (what a client that connects later is replayed) and
 * queues them for the main context. There a source writes the queue to the
 * log file, if any, and hands it to the watches (hull-vm prints to stdout,
 * OpenConsole clients get their socket). A stalled log or watch therefore
 * never blocks a VP; past HULL_CONSOLE_QUEUE_MAX unflushed bytes, new output
 * is counted as dropped instead of queued (the ring still gets it).
 *
 * Threads: hull_console_write(), hull_console_get_ring() and
 * hull_console_get_dropped() may be called from any thread; everything else
 * on the thread that owns the GMainContext the console was created on.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HullConsole HullConsole;

/* The ring's size when hull_console_new() is given 0. */
#define HULL_CONSOLE_DEFAULT_RING_SIZE (64 * 1024)
/* Bytes queued for the log and the watches at most. */
#define HULL_CONSOLE_QUEUE_MAX (1024 * 1024)

/**
 * HullConsoleWatchFunc:
 * @console: the console
 * @bytes: output written since the last call, in order
 * @len: how many bytes (never 0)
 * @user_data: the data given to hull_console_add_watch()
 *
 * Called on the console's main context, after the bytes are in the log. It
 * may add and remove watches, and call anything but hull_console_free().
 */
typedef void (*HullConsoleWatchFunc) (HullConsole *console, const guint8 *bytes, gsize len,
                                      gpointer user_data);

/**
 * hull_console_new:
 * @ring_size: how many of the last output bytes to keep; 0:
 *   %HULL_CONSOLE_DEFAULT_RING_SIZE
 * @log_path: (nullable): a file to append all output to, created with mode
 *   0600 if missing
 * @error: %HULL_ERROR_IO naming @log_path when it cannot be opened
 *
 * Creates a console whose log and watches run on the thread-default main
 * context.
 *
 * Returns: (transfer full): the console, or %NULL.
 */
HullConsole *hull_console_new (gsize ring_size, const char *log_path, GError **error);

/**
 * hull_console_new_for_fd:
 * @ring_size: as for hull_console_new()
 * @log_fd: (transfer full): the log, already open for appending (hulld
 *   opens it for a worker that may not), or -1 for none
 * @log_name: (nullable): names the log in messages
 *
 * Like hull_console_new(); the console closes @log_fd when freed.
 */
HullConsole *hull_console_new_for_fd (gsize ring_size, int log_fd, const char *log_name);

/**
 * hull_console_free:
 * @console: (nullable): a console
 *
 * Flushes, then frees the console [owner; no hull_console_write() running
 * or to come].
 */
void hull_console_free (HullConsole *console);

/**
 * hull_console_write:
 * @console: a console
 * @bytes: output
 * @len: how many bytes
 *
 * Appends @bytes to the ring and queues them for the log and the watches
 * [any thread; never blocks on I/O]. Concurrent calls are serialised: the
 * bytes of one call are never interleaved with another's. When the queue
 * cannot take all of @bytes, they are dropped (and counted), and so is
 * every write until the next flush, so that the log has one gap rather
 * than many.
 */
void hull_console_write (HullConsole *console, const guint8 *bytes, gsize len);

/**
 * hull_console_flush:
 * @console: a console
 *
 * Writes what is queued to the log and hands it to the watches now, rather
 * than when the main context gets to it [owner]. Does nothing when called
 * from a watch.
 */
void hull_console_flush (HullConsole *console);

/**
 * hull_console_get_ring:
 * @console: a console
 *
 * [any thread]
 *
 * Returns: (transfer full): a copy of the ring: the last ring_size bytes
 *   written (fewer if less was written), oldest first.
 */
GBytes *hull_console_get_ring (HullConsole *console);

/**
 * hull_console_add_watch:
 * @console: a console
 * @func: called with output
 * @user_data: passed to @func
 *
 * Watches the output [owner]: @func gets every byte written after this call
 * that is not dropped, on the console's main context.
 *
 * Returns: the watch's id (never 0), for hull_console_remove_watch().
 */
guint hull_console_add_watch (HullConsole *console, HullConsoleWatchFunc func, gpointer user_data);

/**
 * hull_console_attach:
 * @console: a console
 * @func: called with output
 * @user_data: passed to @func
 * @ring: (out) (transfer full): the ring at the time the watch starts
 *
 * Like hull_console_add_watch() [owner], but takes the ring's copy
 * atomically with the start of the watch: @ring followed by the bytes @func
 * gets is the output without gap or repetition (but for dropped bytes). For
 * a client that connects to a running guest.
 *
 * Returns: the watch's id.
 */
guint hull_console_attach (HullConsole *console, HullConsoleWatchFunc func, gpointer user_data,
                           GBytes **ring);

/* Stops a watch [owner]; it is not called again, even later in the same
 * flush. */
void hull_console_remove_watch (HullConsole *console, guint id);

/* Bytes that found the queue full and reached neither the log nor the
 * watches (they are in the ring), since the console was created [any]. */
guint64 hull_console_get_dropped (HullConsole *console);

/* The log's path, or %NULL. */
const char *hull_console_get_log_path (HullConsole *console);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullConsole, hull_console_free)

G_END_DECLS
