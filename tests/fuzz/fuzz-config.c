/* fuzz-config.c — libFuzzer target for hulld.conf (daemon/hull-config.c,
 * docs/policy.md).
 *
 * Each input is parsed as a hulld.conf. A parse either gives a
 * configuration or an error, never both and never neither; every error is
 * HULL_ERROR_INVALID_ARGUMENT and names the file and a line that exists
 * ("fuzz.conf:LINE: …", 1 ≤ LINE ≤ the input's line count): hulld promises
 * the line of whatever it refuses. A configuration resolves quotas for a
 * few uids and groups without complaint. Any violation aborts; so does any
 * GLib critical or warning.
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "fuzz-target.h"
#include "hull-config.h"
#include "hull-error.h"

const char hull_fuzz_name[] = "config";
const HullFuzzCorpus hull_fuzz_corpora[] = {
  { "seeds", { "fuzz", "corpus", "config", NULL } },
  { NULL, { NULL } },
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hull_fuzz_setup ();
  return 0;
}

static guint
count_lines (const uint8_t *data, size_t size)
{
  guint lines = 0;

  for (size_t i = 0; i < size; i++)
    if (data[i] == '\n')
      lines++;
  /* The last line need not end with a newline. */
  return size > 0 && data[size - 1] != '\n' ? lines + 1 : lines;
}

static void
check_error (const GError *error, const uint8_t *data, size_t size)
{
  const char *rest;
  char *end = NULL;
  guint64 line;

  if (!g_error_matches (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT))
    hull_fuzz_fail ("an error that is not INVALID_ARGUMENT", error->message, NULL, NULL);
  if (!g_utf8_validate (error->message, -1, NULL))
    hull_fuzz_fail ("an error message that is not UTF-8", NULL, NULL, NULL);
  if (!g_str_has_prefix (error->message, "fuzz.conf:"))
    hull_fuzz_fail ("an error that does not name the file", error->message, NULL, NULL);
  rest = error->message + strlen ("fuzz.conf:");
  line = g_ascii_strtoull (rest, &end, 10);
  if (end == rest || !g_str_has_prefix (end, ": "))
    hull_fuzz_fail ("an error without a line number", error->message, NULL, NULL);
  if (line < 1 || line > count_lines (data, size))
    hull_fuzz_fail ("an error on a line the input does not have", error->message, NULL, NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullConfig) config = hull_config_parse ((const char *)data, size, "fuzz.conf", &error);
  static const guint32 gids[] = { 0, 1, 100, 65534 };
  HullQuota quota;

  if ((config == NULL) == (error == NULL))
    hull_fuzz_fail ("a configuration and an error, or neither", NULL, NULL, NULL);
  if (config == NULL)
    {
      check_error (error, data, size);
      return 0;
    }
  hull_config_get_quota (config, 0, gids, G_N_ELEMENTS (gids), &quota);
  hull_config_get_quota (config, 1000, gids, G_N_ELEMENTS (gids), &quota);
  hull_config_get_quota (config, 1000, NULL, 0, &quota);
  if (hull_config_get_authority (config) > HULL_CONFIG_AUTHORITY_BUILTIN)
    hull_fuzz_fail ("an authority out of range", NULL, NULL, NULL);
  return 0;
}
