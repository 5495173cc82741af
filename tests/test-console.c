/* The worker's console (daemon/hull-console.c): ring, log, watches. */
#include "config.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hull-console.h"
#include "hull-error.h"

/* A temporary directory, removed with its files by the fixture's teardown. */
typedef struct
{
  char *dir;
  char *log;
} Fixture;

static void
fixture_set_up (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("test-console-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->log = g_build_filename (fixture->dir, "console.log", NULL);
}

static void
fixture_tear_down (Fixture *fixture, gconstpointer data)
{
  g_unlink (fixture->log);
  g_rmdir (fixture->dir);
  g_free (fixture->log);
  g_free (fixture->dir);
}

static GBytes *
read_log (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

/* Collects what a watch gets. */
static void
collect (HullConsole *console, const guint8 *bytes, gsize len, gpointer user_data)
{
  GByteArray *seen = user_data;

  g_assert_cmpuint (len, >, 0);
  g_byte_array_append (seen, bytes, (guint)len);
}

static void
drain_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* The ring keeps the last ring_size bytes, whatever the pieces. */
static void
test_ring_tail (void)
{
  g_autoptr (HullConsole) console = hull_console_new (100, NULL, NULL);
  g_autoptr (GByteArray) all = g_byte_array_new ();
  static const gsize pieces[] = { 1, 7, 13, 99, 100, 101, 3, 250, 50, 50, 0, 64 };
  g_autoptr (GBytes) empty = hull_console_get_ring (console);

  g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (pieces); i++)
    {
      g_autofree guint8 *piece = g_malloc (pieces[i] + 1);
      g_autoptr (GBytes) ring = NULL;
      gsize expect;

      for (gsize j = 0; j < pieces[i]; j++)
        piece[j] = (guint8)g_random_int ();
      hull_console_write (console, piece, pieces[i]);
      g_byte_array_append (all, piece, (guint)pieces[i]);

      ring = hull_console_get_ring (console);
      expect = MIN (all->len, 100);
      g_assert_cmpmem (g_bytes_get_data (ring, NULL), g_bytes_get_size (ring),
                       all->data + all->len - expect, expect);
    }
}

/* 0 is the default size, 64 KiB. */
static void
test_ring_default (void)
{
  g_autoptr (HullConsole) console = hull_console_new (0, NULL, NULL);
  g_autofree guint8 *data = g_malloc (100000);
  g_autoptr (GBytes) ring = NULL;

  for (gsize i = 0; i < 100000; i++)
    data[i] = (guint8)(i * 7);
  for (gsize i = 0; i < 100000; i += 1000)
    hull_console_write (console, data + i, 1000);
  ring = hull_console_get_ring (console);
  g_assert_cmpmem (g_bytes_get_data (ring, NULL), g_bytes_get_size (ring),
                   data + 100000 - HULL_CONSOLE_DEFAULT_RING_SIZE, HULL_CONSOLE_DEFAULT_RING_SIZE);
}

/* The log gets everything, appended to what was there, flushed by the main
 * context; the file is private. */
static void
test_log_content (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullConsole) console = NULL;
  g_autoptr (GString) expect = g_string_new ("before\n");
  g_autoptr (GBytes) log = NULL;
  struct stat st;

  g_file_set_contents (fixture->log, expect->str, -1, &error);
  g_assert_no_error (error);
  g_chmod (fixture->log, 0600);
  console = hull_console_new (16, fixture->log, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (hull_console_get_log_path (console), ==, fixture->log);

  for (guint i = 0; i < 500; i++)
    {
      g_autofree char *line = g_strdup_printf ("line %u of the guest's output\n", i);

      hull_console_write (console, (const guint8 *)line, strlen (line));
      g_string_append (expect, line);
      if (i % 100 == 0)
        drain_context ();
    }
  drain_context ();
  log = read_log (fixture->log);
  g_assert_cmpmem (g_bytes_get_data (log, NULL), g_bytes_get_size (log), expect->str, expect->len);
  g_assert_cmpuint (hull_console_get_dropped (console), ==, 0);

  g_clear_pointer (&console, hull_console_free);
  g_unlink (fixture->log);
  console = hull_console_new (16, fixture->log, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (fixture->log, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
}

/* A log that cannot be opened fails at creation, naming the file. */
static void
test_log_unwritable (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, "missing", "console.log", NULL);
  HullConsole *console = hull_console_new (0, path, &error);

  g_assert_null (console);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, g_strerror (ENOENT)));

  g_clear_error (&error);
  console = hull_console_new (0, fixture->dir, &error);
  g_assert_null (console);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, fixture->dir));
}

/* A log that fails later is reported once; the console keeps working. */
static void
test_log_write_error (void)
{
  g_autoptr (HullConsole) console = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) seen = g_byte_array_new ();
  g_autoptr (GBytes) ring = NULL;

  if (!g_file_test ("/dev/full", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /dev/full");
      return;
    }
  console = hull_console_new (0, "/dev/full", &error);
  g_assert_no_error (error);
  hull_console_add_watch (console, collect, seen);

  hull_console_write (console, (const guint8 *)"one", 3);
  g_test_expect_message (NULL, G_LOG_LEVEL_WARNING, "*cannot write console log '/dev/full'*");
  hull_console_flush (console);
  g_test_assert_expected_messages ();
  /* Not again. */
  hull_console_write (console, (const guint8 *)"two", 3);
  hull_console_flush (console);

  g_assert_cmpmem (seen->data, seen->len, "onetwo", 6);
  ring = hull_console_get_ring (console);
  g_assert_cmpmem (g_bytes_get_data (ring, NULL), g_bytes_get_size (ring), "onetwo", 6);
}

/* Freeing flushes to the log and the watches. */
static void
test_flush_on_free (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) seen = g_byte_array_new ();
  HullConsole *console = hull_console_new (0, fixture->log, &error);
  g_autoptr (GBytes) log = NULL;

  g_assert_no_error (error);
  hull_console_add_watch (console, collect, seen);
  hull_console_write (console, (const guint8 *)"unflushed", 9);
  log = read_log (fixture->log);
  g_assert_cmpuint (g_bytes_get_size (log), ==, 0);
  g_assert_cmpuint (seen->len, ==, 0);

  hull_console_free (console);
  g_clear_pointer (&log, g_bytes_unref);
  log = read_log (fixture->log);
  g_assert_cmpmem (g_bytes_get_data (log, NULL), g_bytes_get_size (log), "unflushed", 9);
  g_assert_cmpmem (seen->data, seen->len, "unflushed", 9);
  /* Nothing is left on the context. */
  drain_context ();
}

#define N_WRITERS 4
#define N_RECORDS 4000
#define RECORD_SIZE 16

typedef struct
{
  HullConsole *console;
  char tag;
  gint *done;
} Writer;

/* One record per write: tag, 8-digit sequence number, tag 6 times, newline. */
static gpointer
write_records (gpointer data)
{
  Writer *writer = data;

  for (guint i = 0; i < N_RECORDS; i++)
    {
      char record[RECORD_SIZE + 1];

      g_snprintf (record, sizeof record, "%c%08u%c%c%c%c%c%c\n", writer->tag, i, writer->tag,
                  writer->tag, writer->tag, writer->tag, writer->tag, writer->tag);
      hull_console_write (writer->console, (const guint8 *)record, RECORD_SIZE);
    }
  g_atomic_int_inc (writer->done);
  return NULL;
}

static void
check_records (const guint8 *data, gsize len)
{
  guint next[N_WRITERS] = { 0 };

  g_assert_cmpuint (len, ==, N_WRITERS * N_RECORDS * RECORD_SIZE);
  for (gsize offset = 0; offset < len; offset += RECORD_SIZE)
    {
      const char *record = (const char *)data + offset;
      guint writer = (guint)(record[0] - 'A');
      g_autofree char *digits = g_strndup (record + 1, 8);

      g_assert_cmpuint (writer, <, N_WRITERS);
      for (guint i = 9; i < RECORD_SIZE - 1; i++)
        g_assert_cmpint (record[i], ==, record[0]);
      g_assert_cmpint (record[RECORD_SIZE - 1], ==, '\n');
      /* Each writer's records in its order. */
      g_assert_cmpuint (g_ascii_strtoull (digits, NULL, 10), ==, next[writer]);
      next[writer]++;
    }
  for (guint i = 0; i < N_WRITERS; i++)
    g_assert_cmpuint (next[i], ==, N_RECORDS);
}

/* Four threads write at once while the main context flushes: every byte
 * reaches the log and the watch, no write is split. */
static void
test_concurrent (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullConsole) console = hull_console_new (0, fixture->log, &error);
  g_autoptr (GByteArray) seen = g_byte_array_new ();
  g_autoptr (GBytes) log = NULL;
  g_autoptr (GBytes) ring = NULL;
  GThread *threads[N_WRITERS];
  Writer writers[N_WRITERS];
  gint done = 0;
  gsize ring_size;

  g_assert_no_error (error);
  hull_console_add_watch (console, collect, seen);
  for (guint i = 0; i < N_WRITERS; i++)
    {
      writers[i] = (Writer){ console, (char)('A' + i), &done };
      threads[i] = g_thread_new ("writer", write_records, &writers[i]);
    }
  while (g_atomic_int_get (&done) < N_WRITERS)
    g_main_context_iteration (NULL, FALSE);
  for (guint i = 0; i < N_WRITERS; i++)
    g_thread_join (threads[i]);
  hull_console_flush (console);

  g_assert_cmpuint (hull_console_get_dropped (console), ==, 0);
  log = read_log (fixture->log);
  check_records (g_bytes_get_data (log, NULL), g_bytes_get_size (log));
  g_assert_cmpmem (seen->data, seen->len, g_bytes_get_data (log, NULL), g_bytes_get_size (log));
  ring = hull_console_get_ring (console);
  ring_size = g_bytes_get_size (ring);
  g_assert_cmpuint (ring_size, ==, HULL_CONSOLE_DEFAULT_RING_SIZE);
  g_assert_cmpmem (g_bytes_get_data (ring, NULL), ring_size,
                   (const guint8 *)g_bytes_get_data (log, NULL) + seen->len - ring_size, ring_size);
}

/* Past the queue's limit, writes are dropped until the next flush; the
 * ring still has them. */
static void
test_drops (Fixture *fixture, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullConsole) console = hull_console_new (0, fixture->log, &error);
  g_autofree guint8 *chunk = g_malloc (1024);
  g_autoptr (GBytes) log = NULL;
  g_autoptr (GBytes) ring = NULL;
  gsize log_size;

  g_assert_no_error (error);
  memset (chunk, 'x', 1024);
  for (guint i = 0; i < HULL_CONSOLE_QUEUE_MAX / 1024; i++)
    hull_console_write (console, chunk, 1024);
  g_assert_cmpuint (hull_console_get_dropped (console), ==, 0);
  hull_console_write (console, (const guint8 *)"lost", 4);
  /* Smaller than the room left, but after a drop: dropped too. */
  memset (chunk, 'y', 1024);
  hull_console_write (console, chunk, 1);
  g_assert_cmpuint (hull_console_get_dropped (console), ==, 5);
  ring = hull_console_get_ring (console);
  g_assert_cmpmem ((const guint8 *)g_bytes_get_data (ring, NULL) + g_bytes_get_size (ring) - 5, 5,
                   "losty", 5);

  hull_console_flush (console);
  hull_console_write (console, (const guint8 *)"kept", 4);
  hull_console_flush (console);
  log = read_log (fixture->log);
  log_size = g_bytes_get_size (log);
  g_assert_cmpuint (log_size, ==, HULL_CONSOLE_QUEUE_MAX + 4);
  g_assert_cmpmem ((const guint8 *)g_bytes_get_data (log, NULL) + log_size - 5, 5, "xkept", 5);
}

static guint remove_id;

static void
collect_and_remove (HullConsole *console, const guint8 *bytes, gsize len, gpointer user_data)
{
  collect (console, bytes, len, user_data);
  if (remove_id != 0)
    hull_console_remove_watch (console, remove_id);
  remove_id = 0;
}

/* Watches run on the context; attach joins the ring and the watch without
 * gap or repetition; a watch removed during a flush is not called again. */
static void
test_watches (void)
{
  g_autoptr (HullConsole) console = hull_console_new (0, NULL, NULL);
  g_autoptr (GByteArray) first = g_byte_array_new ();
  g_autoptr (GByteArray) second = g_byte_array_new ();
  g_autoptr (GByteArray) attached = g_byte_array_new ();
  g_autoptr (GBytes) ring = NULL;
  guint id;

  hull_console_add_watch (console, collect_and_remove, first);
  remove_id = hull_console_add_watch (console, collect, second);
  hull_console_write (console, (const guint8 *)"abc", 3);
  /* Not yet flushed: the ring has it, the watches not yet. */
  id = hull_console_attach (console, collect, attached, &ring);
  g_assert_cmpuint (id, !=, 0);
  g_assert_cmpmem (g_bytes_get_data (ring, NULL), g_bytes_get_size (ring), "abc", 3);
  hull_console_write (console, (const guint8 *)"def", 3);
  g_assert_cmpuint (first->len, ==, 0);
  drain_context ();

  g_assert_cmpmem (first->data, first->len, "abcdef", 6);
  /* Removed by the first watch before its turn. */
  g_assert_cmpuint (second->len, ==, 0);
  g_assert_cmpmem (attached->data, attached->len, "def", 3);

  hull_console_remove_watch (console, id);
  hull_console_write (console, (const guint8 *)"g", 1);
  hull_console_flush (console);
  g_assert_cmpmem (first->data, first->len, "abcdefg", 7);
  g_assert_cmpmem (attached->data, attached->len, "def", 3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/console/ring/keeps-the-tail", test_ring_tail);
  g_test_add_func ("/hull/console/ring/default-size", test_ring_default);
  g_test_add ("/hull/console/log/content", Fixture, NULL, fixture_set_up, test_log_content,
              fixture_tear_down);
  g_test_add ("/hull/console/log/unwritable", Fixture, NULL, fixture_set_up, test_log_unwritable,
              fixture_tear_down);
  g_test_add_func ("/hull/console/log/write-error-once", test_log_write_error);
  g_test_add ("/hull/console/flush-on-free", Fixture, NULL, fixture_set_up, test_flush_on_free,
              fixture_tear_down);
  g_test_add ("/hull/console/concurrent-writes", Fixture, NULL, fixture_set_up, test_concurrent,
              fixture_tear_down);
  g_test_add ("/hull/console/drops-when-queue-full", Fixture, NULL, fixture_set_up, test_drops,
              fixture_tear_down);
  g_test_add_func ("/hull/console/watches", test_watches);
  return g_test_run ();
}
