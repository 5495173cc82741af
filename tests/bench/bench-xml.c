/* bench-xml.c — how long a domain XML round trip takes.
 *
 * For each *.xml in the examples directory (argv[1], else $HULL_EXAMPLES_DIR,
 * else the source tree's xml/examples), times hull_domain_def_parse() (parse,
 * post-parse defaults, validate) plus hull_domain_def_format() and the frees,
 * one iteration at a time on the monotonic clock, after a warm-up. Prints a
 * table and one machine-readable line per example:
 *
 *   bench-xml name=NAME bytes=N median_us=X p90_us=Y ops_per_s=Z iterations=N
 *
 * When libvirt's virsh (or else virt-xml-validate) is installed, it also
 * times libvirt on the same files, side by side; that includes starting a
 * process each time. Timings never fail the run: the exit status is 0 unless
 * the directory or the options are unusable.
 */
#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hull-domain-def.h"

#ifndef HULL_EXAMPLES_DIR
#define HULL_EXAMPLES_DIR "xml/examples"
#endif

#define LIBVIRT_ITERATIONS 20

static gint iterations = 2000;
static gint warmup = 200;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64)ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* g_ptr_array_sort() passes pointers to the elements. */
static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a;
  gint64 y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* The @p-th percentile (0..100) of @n sorted samples, nearest rank. */
static gint64
percentile (const gint64 *sorted, guint n, guint p)
{
  guint rank = (n * p + 99) / 100;

  return sorted[rank > 0 ? rank - 1 : 0];
}

static gboolean
round_trip (const char *xml, gsize length, GError **error)
{
  g_autoptr (HullDomainDef) def = NULL;
  g_autofree char *text = NULL;

  def = hull_domain_def_parse (xml, (gssize)length, HULL_DOMAIN_PARSE_NONE, NULL, error);
  if (def == NULL)
    return FALSE;
  text = hull_domain_def_format (def);
  return text != NULL;
}

typedef struct
{
  char *name;
  char *path;
  char *domain_name; /* <name>, for virsh */
  gsize bytes;
  double median_us;
  double p90_us;
  double ops_per_s;
} Result;

static void
result_free (gpointer data)
{
  Result *r = data;

  g_free (r->name);
  g_free (r->path);
  g_free (r->domain_name);
  g_free (r);
}

/* Times @path; NULL (and a message) when it does not parse. */
static Result *
bench_file (const char *dir, const char *file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *xml = NULL;
  g_autofree gint64 *samples = NULL;
  gsize length = 0;
  gint64 total = 0;
  Result *r;

  if (!g_file_get_contents (path, &xml, &length, &error))
    {
      printf ("%-28s %s\n", file, error->message);
      return NULL;
    }
  def = hull_domain_def_parse (xml, (gssize)length, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  if (def == NULL)
    {
      printf ("%-28s does not parse: %s\n", file, error->message);
      return NULL;
    }

  for (gint i = 0; i < warmup; i++)
    round_trip (xml, length, NULL);

  samples = g_new (gint64, iterations);
  for (gint i = 0; i < iterations; i++)
    {
      gint64 start = now_ns ();

      round_trip (xml, length, NULL);
      samples[i] = now_ns () - start;
      total += samples[i];
    }
  qsort (samples, (gsize)iterations, sizeof (gint64), compare_gint64);

  r = g_new0 (Result, 1);
  r->name = g_strndup (file, strlen (file) - strlen (".xml"));
  r->path = g_steal_pointer (&path);
  r->domain_name = g_strdup (def->name);
  r->bytes = length;
  r->median_us = percentile (samples, (guint)iterations, 50) / 1000.0;
  r->p90_us = percentile (samples, (guint)iterations, 90) / 1000.0;
  r->ops_per_s = total > 0 ? iterations * 1e9 / (double)total : 0.0;
  return r;
}

/* Median wall time of running @argv, in ms; < 0 when it fails. */
static double
time_command (char **argv, char **failure)
{
  gint64 samples[LIBVIRT_ITERATIONS];

  for (guint i = 0; i < LIBVIRT_ITERATIONS; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *err_text = NULL;
      gint64 start = now_ns ();
      int status = 0;

      if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                         NULL, NULL, &err_text, &status, &error)
          || !g_spawn_check_wait_status (status, &error))
        {
          g_autofree char *detail = g_strstrip (g_strdup (err_text != NULL ? err_text : ""));

          g_strdelimit (detail, "\n", ' ');
          *failure
              = g_strdup_printf ("%s%s%s", error->message, *detail != '\0' ? ": " : "", detail);
          return -1.0;
        }
      samples[i] = now_ns () - start;
    }
  qsort (samples, LIBVIRT_ITERATIONS, sizeof (gint64), compare_gint64);
  return percentile (samples, LIBVIRT_ITERATIONS, 50) / 1e6;
}

/* Side by side with libvirt's own round trip, when it is installed. */
static void
bench_libvirt (GPtrArray *results)
{
  g_autofree char *virsh = g_find_program_in_path ("virsh");
  g_autofree char *validate = g_find_program_in_path ("virt-xml-validate");

  printf ("\n");
  if (virsh == NULL && validate == NULL)
    {
      printf ("libvirt: not installed (no virsh or virt-xml-validate in PATH)\n");
      return;
    }
  if (virsh != NULL)
    printf ("libvirt: virsh -c test:///default 'define FILE; dumpxml NAME', median of %d runs "
            "(includes starting virsh)\n",
            LIBVIRT_ITERATIONS);
  else
    printf ("libvirt: virt-xml-validate FILE domain, median of %d runs (includes starting "
            "xmllint; schema check only)\n",
            LIBVIRT_ITERATIONS);
  printf ("%-28s %12s %12s\n", "example", "libvirt ms", "hull ms");

  for (guint i = 0; i < results->len; i++)
    {
      Result *r = g_ptr_array_index (results, i);
      g_autofree char *failure = NULL;
      g_autofree char *script = NULL;
      double ms;

      if (virsh != NULL)
        {
          g_autofree char *quoted_path = g_shell_quote (r->path);
          g_autofree char *quoted_name = g_shell_quote (r->domain_name);
          char *argv[]
              = { virsh, (char *)"-q", (char *)"-c", (char *)"test:///default", NULL, NULL };

          script = g_strdup_printf ("define %s; dumpxml %s", quoted_path, quoted_name);
          argv[4] = script;
          ms = time_command (argv, &failure);
        }
      else
        {
          char *argv[] = { validate, r->path, (char *)"domain", NULL };

          ms = time_command (argv, &failure);
        }

      if (ms < 0)
        printf ("%-28s failed: %s\n", r->name, failure);
      else
        {
          printf ("%-28s %12.3f %12.4f\n", r->name, ms, r->median_us / 1000.0);
          printf ("bench-xml-libvirt name=%s median_ms=%.3f\n", r->name, ms);
        }
    }
}

int
main (int argc, char **argv)
{
  const GOptionEntry entries[] = {
    { "iterations", 'n', 0, G_OPTION_ARG_INT, &iterations, "Timed round trips per example", "N" },
    { "warmup", 'w', 0, G_OPTION_ARG_INT, &warmup, "Untimed round trips first", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("[EXAMPLES-DIR]");
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) results = g_ptr_array_new_with_free_func (result_free);
  const char *dir;
  const char *file;

  g_option_context_set_summary (context,
                                "Times parse + validate + format of each example domain XML.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-xml: %s\n", error->message);
      return 2;
    }
  if (argc > 2 || iterations < 1 || warmup < 0)
    {
      g_printerr ("bench-xml: usage: bench-xml [-n N] [-w N] [EXAMPLES-DIR]\n");
      return 2;
    }

  if (argc == 2)
    dir = argv[1];
  else if (g_getenv ("HULL_EXAMPLES_DIR") != NULL)
    dir = g_getenv ("HULL_EXAMPLES_DIR");
  else
    dir = HULL_EXAMPLES_DIR;

  d = g_dir_open (dir, 0, &error);
  if (d == NULL)
    {
      g_printerr ("bench-xml: %s\n", error->message);
      return 1;
    }
  while ((file = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (file, ".xml"))
      g_ptr_array_add (files, g_strdup (file));
  g_ptr_array_sort (files, compare_strings);

  printf ("Hull domain XML round trip (parse + post-parse + validate + format + free)\n");
  printf ("examples: %s; %d iterations after %d warm-up, per example\n\n", dir, iterations, warmup);
  printf ("%-28s %8s %12s %12s %12s\n", "example", "bytes", "median us", "p90 us", "ops/s");
  for (guint i = 0; i < files->len; i++)
    {
      Result *r = bench_file (dir, g_ptr_array_index (files, i));

      if (r == NULL)
        continue;
      printf ("%-28s %8" G_GSIZE_FORMAT " %12.2f %12.2f %12.0f\n", r->name, r->bytes, r->median_us,
              r->p90_us, r->ops_per_s);
      g_ptr_array_add (results, r);
    }

  printf ("\n");
  for (guint i = 0; i < results->len; i++)
    {
      Result *r = g_ptr_array_index (results, i);

      printf ("bench-xml name=%s bytes=%" G_GSIZE_FORMAT
              " median_us=%.2f p90_us=%.2f ops_per_s=%.0f iterations=%d\n",
              r->name, r->bytes, r->median_us, r->p90_us, r->ops_per_s, iterations);
    }

  bench_libvirt (results);
  return 0;
}
