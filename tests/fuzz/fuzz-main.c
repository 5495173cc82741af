/* fuzz-main.c — runs a libFuzzer target without libFuzzer, as GTest cases.
 *
 * The target (fuzz-target.h) names itself and its seed corpora; with no
 * file arguments, every file of those is one test case,
 *
 *   /hull/fuzz/NAME/corpus/LABEL/FILE
 *
 * (for domain-xml: examples = ../xml/examples, xml-in = xml/in, seeds =
 * fuzz/corpus/domain-xml; for the others: seeds = fuzz/corpus/NAME, under
 * $G_TEST_SRCDIR), so the corpus is a regression test in any `make check`,
 * with any compiler. Arguments left over after GTest's own options name
 * files, or directories whose files are all run, instead
 * (/hull/fuzz/NAME/input/FILE): that is how a crash libFuzzer saved is
 * reproduced. Arguments starting with '-' (libFuzzer flags) are ignored.
 *
 * Each input is copied into a buffer of exactly its size, without the nul
 * g_file_get_contents() adds, so ASan catches a parser reading past the end,
 * as under libFuzzer.
 */
#include "config.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "fuzz-target.h"

/* g_ptr_array_sort() passes pointers to the elements. */
static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static void
test_input (gconstpointer data)
{
  const char *path = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree guint8 *exact = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  g_test_message ("%s (%" G_GSIZE_FORMAT " bytes)", path, length);

  exact = g_memdup2 (contents, length);
  LLVMFuzzerTestOneInput (exact, length);
}

static void
test_unreadable_dir (gconstpointer data)
{
  g_test_message ("cannot list %s", (const char *)data);
  g_test_fail ();
}

/* Adds a test for @path under a name unique in @names. */
static void
add_input (GHashTable *names, const char *prefix, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *name = g_strconcat (prefix, base, NULL);

  for (guint n = 2; g_hash_table_contains (names, name); n++)
    {
      g_free (name);
      name = g_strdup_printf ("%s%s~%u", prefix, base, n);
    }
  g_hash_table_add (names, name);
  /* Test data lives as long as the program. */
  g_test_add_data_func_full (name, g_strdup (path), test_input, g_free);
}

/* Adds a test for each regular, non-hidden file in @dir, in name order. */
static void
add_dir (GHashTable *names, const char *prefix, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    {
      g_autofree char *test = g_strconcat (prefix, "unreadable", NULL);

      g_hash_table_add (names, g_strdup (test));
      g_test_add_data_func_full (test, g_strdup (error->message), test_unreadable_dir, g_free);
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      char *path = g_build_filename (dir, name, NULL);

      if (name[0] != '.' && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (paths, path);
      else
        g_free (path);
    }
  g_ptr_array_sort (paths, compare_strings);
  for (guint i = 0; i < paths->len; i++)
    add_input (names, prefix, g_ptr_array_index (paths, i));
}

int
main (int argc, char **argv)
{
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *prefix = g_strconcat ("/hull/fuzz/", hull_fuzz_name, "/", NULL);
  g_autofree char *input_prefix = g_strconcat (prefix, "input/", NULL);
  gboolean any_input = FALSE;

  LLVMFuzzerInitialize (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  for (int i = 1; i < argc; i++)
    {
      if (argv[i][0] == '-')
        continue;
      any_input = TRUE;
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        add_dir (names, input_prefix, argv[i]);
      else
        add_input (names, input_prefix, argv[i]);
    }

  if (!any_input)
    for (const HullFuzzCorpus *corpus = hull_fuzz_corpora; corpus->label != NULL; corpus++)
      {
        g_autofree char *corpus_prefix = g_strconcat (prefix, "corpus/", corpus->label, "/", NULL);
        g_autofree char *dir = g_build_filenamev ((char **)corpus->dir);
        g_autofree char *path = g_test_build_filename (G_TEST_DIST, dir, NULL);

        add_dir (names, corpus_prefix, path);
      }

  return g_test_run ();
}
