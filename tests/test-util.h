/* test-util.h — small helpers the test programs share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and, for a directory, everything below it. A symbolic
 * link is removed itself, never followed. */
void hull_test_remove_tree (const char *path);

/* A GSourceFunc that does nothing and stays: a periodic wake-up for loops
 * that re-check a deadline. */
gboolean hull_test_tick (gpointer user_data);

/* Iterates the thread-default main context until *@flag is set; aborts
 * the test naming @what after @limit_s seconds. */
void hull_test_wait_for (const gboolean *flag, const char *what, guint limit_s);

G_END_DECLS
