/* fuzz-ready-line.c — libFuzzer target for the worker's ready line
 * (daemon/hull-ready-line.c: "READY" or "ERROR <code> <message>").
 *
 * Each input is parsed as one line. A parse returns a line exactly when it
 * sets no error (HULL_ERROR_CORRUPT_DATA). A parsed ERROR line has a
 * HULL_ERROR code and a message that is valid UTF-8, one line without
 * control characters, and stripped; every parsed line round-trips (format →
 * parse gives an equal line, formatting that gives the same text). The
 * writer's side is checked too: the line the worker writes for an error
 * whose message is the input (and whose code is taken from its first byte,
 * in range or not) always parses, with that code or HULL_ERROR_FAILED. Any
 * violation aborts; so does any GLib critical or warning.
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "fuzz-target.h"
#include "hull-error.h"
#include "hull-ready-line.h"

const char hull_fuzz_name[] = "ready-line";
const HullFuzzCorpus hull_fuzz_corpora[] = {
  { "seeds", { "fuzz", "corpus", "ready-line", NULL } },
  { NULL, { NULL } },
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hull_fuzz_setup ();
  return 0;
}

static void
check_message (const HullReadyLine *line, const char *text)
{
  const char *message = line->message;
  gsize len;

  if (line->code < 0 || line->code >= HULL_ERROR_N_CODES)
    hull_fuzz_fail ("a code out of range parsed", NULL, text, NULL);
  if (message == NULL || !g_utf8_validate (message, -1, NULL))
    hull_fuzz_fail ("a message that is not UTF-8", NULL, text, NULL);
  for (const char *p = message; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      hull_fuzz_fail ("a message with a control character", NULL, text, NULL);
  len = strlen (message);
  if (len > 0 && (g_ascii_isspace (message[0]) || g_ascii_isspace (message[len - 1])))
    hull_fuzz_fail ("a message that is not stripped", NULL, text, NULL);
}

/* Formats @line, which must parse back as an equal line, and returns the
 * text. */
static char *
check_round_trip (const HullReadyLine *line, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullReadyLine) again = NULL;
  g_autofree char *first = hull_ready_line_format (line);
  g_autofree char *second = NULL;

  if (first == NULL || !g_str_has_suffix (first, "\n") || strchr (first, '\n')[1] != '\0')
    hull_fuzz_fail (what, "the formatted line is not one line", first, NULL);
  again = hull_ready_line_parse (first, strlen (first), &error);
  if (again == NULL)
    hull_fuzz_fail (what, error->message, first, NULL);
  check_message (again, first);
  second = hull_ready_line_format (again);
  if (!hull_ready_line_equal (line, again) || strcmp (first, second) != 0)
    hull_fuzz_fail (what, "format → parse → format is not stable", first, second);
  return g_steal_pointer (&first);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *bytes = data != NULL ? (const char *)data : "";
  g_autoptr (GError) error = NULL;
  g_autoptr (HullReadyLine) line = NULL;
  g_autoptr (HullReadyLine) written = NULL;
  g_autoptr (GError) worker_error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *message = NULL;
  int code;

  /* The parser must not read past @size: libFuzzer's buffer has no nul. */
  line = hull_ready_line_parse (bytes, size, &error);
  if ((line == NULL) == (error == NULL))
    hull_fuzz_fail ("parse: a result must come with no error, a failure with one",
                    error != NULL ? error->message : NULL, NULL, NULL);
  if (error != NULL && !g_error_matches (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA))
    hull_fuzz_fail ("an error that is not HULL_ERROR_CORRUPT_DATA", error->message, NULL, NULL);
  if (line != NULL)
    {
      if (!line->ready)
        check_message (line, NULL);
      text = check_round_trip (line, "parsed line");
      g_clear_pointer (&text, g_free);
    }

  /* The worker's side: any GError it may report. The message is a C
   * string, so it ends at the first nul. */
  code = size > 0 ? (int)(gint8)bytes[0] : HULL_ERROR_FAILED;
  message = g_strndup (bytes, size);
  worker_error = g_error_new_literal (size > 1 && bytes[1] == 'x' ? G_FILE_ERROR : HULL_ERROR, code,
                                      message);
  written = hull_ready_line_new_for_error (worker_error);
  if (written->ready)
    hull_fuzz_fail ("an error was reported as READY", NULL, NULL, NULL);
  if (written->code != HULL_ERROR_FAILED
      && (worker_error->domain != HULL_ERROR || written->code != code))
    hull_fuzz_fail ("the written code is neither the error's nor FAILED", NULL, NULL, NULL);
  check_message (written, message);
  text = check_round_trip (written, "written line");
  return 0;
}
