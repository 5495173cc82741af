/* test-util.c — see test-util.h. */
#include "config.h"

#include "test-util.h"

#include <glib/gstdio.h>

void
hull_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || !g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      hull_test_remove_tree (child);
    }
  g_rmdir (path);
}

gboolean
hull_test_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
hull_test_wait_for (const gboolean *flag, const char *what, guint limit_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)limit_s * G_USEC_PER_SEC;
  guint id = g_timeout_add (100, hull_test_tick, NULL);

  while (!*flag)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("gave up waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (id);
}
