/* fuzz-domain-record.c — libFuzzer target for hulld's .domain record and
 * .meta file (daemon/hull-domain-record.c).
 *
 * Both are small GKeyFiles with a [domain] group, so each input is parsed
 * as both. A parse succeeds exactly when it sets no error, and its error is
 * HULL_ERROR_CORRUPT_DATA naming the file, in UTF-8 without control
 * characters (what it quotes of the file is escaped). A .domain record that
 * parses has a valid UUID, owner, state and reason and round-trips: format →
 * parse gives an equal record, and formatting that gives the same text; a
 * .meta file that parses gives an owner that formats and parses back to
 * itself. Any violation aborts; so does any GLib critical or warning.
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "fuzz-target.h"
#include "hull-domain-record.h"
#include "hull-error.h"

#define RECORD_PATH "/run/hull/vm/fuzz.domain"
#define META_PATH "/var/lib/hull/domains/fuzz.meta"

const char hull_fuzz_name[] = "domain-record";
const HullFuzzCorpus hull_fuzz_corpora[] = {
  { "seeds", { "fuzz", "corpus", "domain-record", NULL } },
  { NULL, { NULL } },
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hull_fuzz_setup ();
  return 0;
}

static void
check_error (const GError *error, const char *path)
{
  if (!g_error_matches (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA))
    hull_fuzz_fail ("an error that is not HULL_ERROR_CORRUPT_DATA", error->message, NULL, NULL);
  if (strstr (error->message, path) == NULL)
    hull_fuzz_fail ("an error that does not name the file", error->message, NULL, NULL);
  if (!g_utf8_validate (error->message, -1, NULL))
    hull_fuzz_fail ("an error message that is not UTF-8", NULL, NULL, NULL);
  /* The file's content is quoted escaped: no line breaks, no escapes. */
  for (const char *p = error->message; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      hull_fuzz_fail ("an error message with a control character", error->message, NULL, NULL);
}

static void
fuzz_live_record (const char *bytes, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullLiveRecord) live = NULL;
  g_autoptr (HullLiveRecord) again = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  live = hull_live_record_parse (bytes, size, RECORD_PATH, &error);
  if ((live == NULL) == (error == NULL))
    hull_fuzz_fail (".domain: a result must come with no error, a failure with one",
                    error != NULL ? error->message : NULL, NULL, NULL);
  if (live == NULL)
    {
      check_error (error, RECORD_PATH);
      return;
    }

  first = hull_live_record_format (live->uuid, live->name, &live->record);
  if (first == NULL)
    hull_fuzz_fail (".domain: a parsed record does not format", NULL, NULL, NULL);
  if (!g_uuid_string_is_valid (live->uuid) || live->record.owner == G_MAXUINT32)
    hull_fuzz_fail (".domain: a record with a bad UUID or owner parsed", NULL, first, NULL);
  again = hull_live_record_parse (first, strlen (first), RECORD_PATH, &error);
  if (again == NULL)
    hull_fuzz_fail (".domain: the formatted record does not parse", error->message, first, NULL);
  second = hull_live_record_format (again->uuid, again->name, &again->record);
  if (!hull_live_record_equal (live, again))
    hull_fuzz_fail (".domain: parse → format → parse gives another record", NULL, first, second);
  if (strcmp (first, second) != 0)
    hull_fuzz_fail (".domain: format → parse → format is not stable", NULL, first, second);
}

static void
fuzz_meta (const char *bytes, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  guint32 owner = 0, again = 0;
  gboolean ok;

  ok = hull_domain_meta_parse (bytes, size, META_PATH, &owner, &error);
  if (ok != (error == NULL))
    hull_fuzz_fail (".meta: a result must come with no error, a failure with one",
                    error != NULL ? error->message : NULL, NULL, NULL);
  if (!ok)
    {
      check_error (error, META_PATH);
      return;
    }
  if (owner == G_MAXUINT32)
    hull_fuzz_fail (".meta: the owner (uid_t) -1 parsed", NULL, NULL, NULL);
  text = hull_domain_meta_format (owner);
  if (!hull_domain_meta_parse (text, strlen (text), META_PATH, &again, &error))
    hull_fuzz_fail (".meta: the formatted file does not parse", error->message, text, NULL);
  if (again != owner)
    hull_fuzz_fail (".meta: format → parse gives another owner", NULL, text, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *bytes = data != NULL ? (const char *)data : "";

  /* The parsers must not read past @size: libFuzzer's buffer has no nul. */
  fuzz_live_record (bytes, size);
  fuzz_meta (bytes, size);
  return 0;
}
