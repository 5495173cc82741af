/* fuzz-target.h — what each libFuzzer target in tests/fuzz gives fuzz-main.c
 * (its name and seed corpora), and what they share: the process setup and
 * the failure report.
 *
 * A target defines hull_fuzz_name ("worker-status": its tests are
 * /hull/fuzz/worker-status/…) and hull_fuzz_corpora, directories relative
 * to $G_TEST_SRCDIR (the tests source directory), ended by an entry whose
 * label is %NULL. Under libFuzzer these are unused.
 */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *label;  /* the test path's part: /hull/fuzz/NAME/corpus/LABEL/FILE */
  const char *dir[4]; /* path components under $G_TEST_SRCDIR, %NULL-terminated */
} HullFuzzCorpus;

extern const char hull_fuzz_name[];
extern const HullFuzzCorpus hull_fuzz_corpora[];

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Prints the message, and aborts for a critical or a warning: abort()
 * (SIGABRT) rather than GLib's breakpoint (SIGTRAP), which libFuzzer would
 * not catch and save the input of. */
static inline GLogWriterOutput
hull_fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                      gpointer user_data)
{
  g_log_writer_standard_streams (level, fields, n_fields, user_data);
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    abort ();
  return G_LOG_WRITER_HANDLED;
}

/* Before GLib's slice allocator starts: ASan and LSan see every block; a
 * GLib critical or warning (a g_return_if_fail that fires, a GError set
 * twice) is a bug. */
static inline void
hull_fuzz_setup (void)
{
  g_setenv ("G_SLICE", "always-malloc", FALSE);
  g_setenv ("G_DEBUG", "gc-friendly", FALSE);
  g_log_set_writer_func (hull_fuzz_log_writer, NULL, NULL);
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

/* Reports a broken invariant (with the texts involved) and aborts, which
 * libFuzzer and the GTest runner both take as a crash. */
G_GNUC_NORETURN static inline void
hull_fuzz_fail (const char *what, const char *details, const char *first, const char *second)
{
  fprintf (stderr, "fuzz-%s: %s%s%s\n", hull_fuzz_name, what, details != NULL ? ": " : "",
           details != NULL ? details : "");
  if (first != NULL)
    fprintf (stderr, "--- first ---\n%s\n", first);
  if (second != NULL)
    fprintf (stderr, "--- second ---\n%s\n", second);
  fflush (stderr);
  abort ();
}

G_END_DECLS
