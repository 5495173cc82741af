/* hull-console.c — the worker's console for one serial port. */
#include "config.h"

#include "hull-console.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-sync.h"

typedef struct
{
  guint id;
  HullConsoleWatchFunc func;
  gpointer user_data;
  guint64 start; /* the first byte it gets, counted as hull_console_write() sees them */
  gboolean removed;
} Watch;

typedef struct
{
  GSource source;
  HullConsole *console;
} FlushSource;

struct _HullConsole
{
  /* Set at creation. */
  GMainContext *context;
  GSource *source; /* woken by hull_console_write() through its ready time */
  char *log_path;
  int log_fd;
  gsize ring_size;

  /* The owner's. */
  gboolean log_failed; /* a write error was reported */
  GPtrArray *watches;  /* of Watch */
  guint next_watch_id;
  gboolean flushing; /* calling the watches */

  HullMutex mutex;
  guint8 *ring;
  gsize ring_head; /* the oldest byte */
  gsize ring_len;
  GByteArray *queue;   /* for the log and the watches */
  guint64 queue_start; /* the number of queue->data[0] */
  guint64 written;     /* bytes written: the number of the next one */
  gboolean dropping;   /* a write was dropped since the last flush */
  guint64 dropped;
  gboolean scheduled; /* the source's ready time is set */
};

static gboolean
flush_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  hull_console_flush (((FlushSource *)source)->console);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs flush_source_funcs = {
  .dispatch = flush_source_dispatch,
};

HullConsole *
hull_console_new (gsize ring_size, const char *log_path, GError **error)
{
  int log_fd = -1;

  if (log_path != NULL)
    {
      log_fd = g_open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (log_fd < 0)
        {
          int saved_errno = errno;

          g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot open console log '%s': %s"),
                       log_path, g_strerror (saved_errno));
          return NULL;
        }
    }
  return hull_console_new_for_fd (ring_size, log_fd, log_path);
}

HullConsole *
hull_console_new_for_fd (gsize ring_size, int log_fd, const char *log_path)
{
  HullConsole *console;

  console = g_new0 (HullConsole, 1);
  console->context = g_main_context_ref_thread_default ();
  console->log_path = g_strdup (log_path);
  console->log_fd = log_fd;
  console->ring_size = ring_size != 0 ? ring_size : HULL_CONSOLE_DEFAULT_RING_SIZE;
  console->ring = g_malloc (console->ring_size);
  console->watches = g_ptr_array_new_with_free_func (g_free);
  console->next_watch_id = 1;
  console->queue = g_byte_array_new ();
  hull_mutex_init (&console->mutex);

  console->source = g_source_new (&flush_source_funcs, sizeof (FlushSource));
  ((FlushSource *)console->source)->console = console;
  g_source_set_priority (console->source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_static_name (console->source, "[hull] console");
  g_source_attach (console->source, console->context);
  return console;
}

void
hull_console_free (HullConsole *console)
{
  if (console == NULL)
    return;
  hull_console_flush (console);
  g_source_destroy (console->source);
  g_source_unref (console->source);
  g_main_context_unref (console->context);
  if (console->log_fd >= 0)
    close (console->log_fd);
  g_free (console->log_path);
  g_ptr_array_unref (console->watches);
  hull_mutex_clear (&console->mutex);
  g_free (console->ring);
  g_byte_array_unref (console->queue);
  g_free (console);
}

/* Lock held. */
static void
ring_append (HullConsole *console, const guint8 *bytes, gsize len)
{
  gsize size = console->ring_size;
  gsize tail, first;

  if (len >= size)
    {
      memcpy (console->ring, bytes + len - size, size);
      console->ring_head = 0;
      console->ring_len = size;
      return;
    }
  tail = (console->ring_head + console->ring_len) % size;
  first = MIN (len, size - tail);
  memcpy (console->ring + tail, bytes, first);
  memcpy (console->ring, bytes + first, len - first);
  if (console->ring_len + len > size)
    {
      console->ring_head = (tail + len) % size;
      console->ring_len = size;
    }
  else
    console->ring_len += len;
}

/* Lock held. */
static GBytes *
ring_copy (HullConsole *console)
{
  guint8 *copy;
  gsize first;

  /* memcpy() may not be handed g_malloc (0)'s NULL, even for 0 bytes. */
  if (console->ring_len == 0)
    return g_bytes_new (NULL, 0);
  copy = g_malloc (console->ring_len);
  first = MIN (console->ring_len, console->ring_size - console->ring_head);

  memcpy (copy, console->ring + console->ring_head, first);
  memcpy (copy + first, console->ring, console->ring_len - first);
  return g_bytes_new_take (copy, console->ring_len);
}

void
hull_console_write (HullConsole *console, const guint8 *bytes, gsize len)
{
  g_return_if_fail (console != NULL);
  g_return_if_fail (bytes != NULL || len == 0);

  if (len == 0)
    return;
  hull_mutex_lock (&console->mutex);
  ring_append (console, bytes, len);
  if (!console->dropping && len <= HULL_CONSOLE_QUEUE_MAX - console->queue->len)
    g_byte_array_append (console->queue, bytes, len);
  else
    {
      console->dropping = TRUE;
      console->dropped += len;
    }
  console->written += len;
  if (!console->scheduled)
    {
      /* Thread-safe; wakes the context up. */
      console->scheduled = TRUE;
      g_source_set_ready_time (console->source, 0);
    }
  hull_mutex_unlock (&console->mutex);
}

static void
write_log (HullConsole *console, const guint8 *bytes, gsize len)
{
  while (len > 0)
    {
      gssize n = write (console->log_fd, bytes, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved_errno = n < 0 ? errno : ENOSPC;

          /* Once: a full disk must not flood the journal. The next flush
           * tries again. */
          if (!console->log_failed)
            g_warning (_ ("cannot write console log '%s': %s"), console->log_path,
                       g_strerror (saved_errno));
          console->log_failed = TRUE;
          return;
        }
      bytes += n;
      len -= (gsize)n;
    }
}

void
hull_console_flush (HullConsole *console)
{
  g_autoptr (GByteArray) queue = NULL;
  guint64 start, end;

  g_return_if_fail (console != NULL);

  if (console->flushing)
    return;
  g_source_set_ready_time (console->source, -1);
  hull_mutex_lock (&console->mutex);
  queue = g_steal_pointer (&console->queue);
  console->queue = g_byte_array_new ();
  start = console->queue_start;
  console->queue_start = console->written;
  console->dropping = FALSE;
  console->scheduled = FALSE;
  hull_mutex_unlock (&console->mutex);

  if (queue->len == 0)
    return;
  if (console->log_fd >= 0)
    write_log (console, queue->data, queue->len);

  end = start + queue->len;
  console->flushing = TRUE;
  /* By index: a watch may add watches (they start later than @end) or
   * remove some (marked, and swept below). */
  for (guint i = 0; i < console->watches->len; i++)
    {
      Watch *watch = g_ptr_array_index (console->watches, i);
      gsize skip;

      if (watch->removed || watch->start >= end)
        continue;
      skip = watch->start > start ? (gsize)(watch->start - start) : 0;
      watch->func (console, queue->data + skip, queue->len - skip, watch->user_data);
    }
  console->flushing = FALSE;
  for (guint i = console->watches->len; i > 0; i--)
    if (((Watch *)g_ptr_array_index (console->watches, i - 1))->removed)
      g_ptr_array_remove_index (console->watches, i - 1);
}

GBytes *
hull_console_get_ring (HullConsole *console)
{
  GBytes *ring;

  g_return_val_if_fail (console != NULL, NULL);

  hull_mutex_lock (&console->mutex);
  ring = ring_copy (console);
  hull_mutex_unlock (&console->mutex);
  return ring;
}

guint
hull_console_attach (HullConsole *console, HullConsoleWatchFunc func, gpointer user_data,
                     GBytes **ring)
{
  Watch *watch;

  g_return_val_if_fail (console != NULL, 0);
  g_return_val_if_fail (func != NULL, 0);

  watch = g_new0 (Watch, 1);
  watch->id = console->next_watch_id++;
  watch->func = func;
  watch->user_data = user_data;
  hull_mutex_lock (&console->mutex);
  watch->start = console->written;
  if (ring != NULL)
    *ring = ring_copy (console);
  hull_mutex_unlock (&console->mutex);
  g_ptr_array_add (console->watches, watch);
  return watch->id;
}

guint
hull_console_add_watch (HullConsole *console, HullConsoleWatchFunc func, gpointer user_data)
{
  return hull_console_attach (console, func, user_data, NULL);
}

void
hull_console_remove_watch (HullConsole *console, guint id)
{
  g_return_if_fail (console != NULL);

  for (guint i = 0; i < console->watches->len; i++)
    {
      Watch *watch = g_ptr_array_index (console->watches, i);

      if (watch->id != id || watch->removed)
        continue;
      if (console->flushing)
        watch->removed = TRUE;
      else
        g_ptr_array_remove_index (console->watches, i);
      return;
    }
  g_critical ("%s: no console watch %u", G_STRFUNC, id);
}

guint64
hull_console_get_dropped (HullConsole *console)
{
  guint64 dropped;

  g_return_val_if_fail (console != NULL, 0);

  hull_mutex_lock (&console->mutex);
  dropped = console->dropped;
  hull_mutex_unlock (&console->mutex);
  return dropped;
}

const char *
hull_console_get_log_path (HullConsole *console)
{
  g_return_val_if_fail (console != NULL, NULL);

  return console->log_path;
}
