/* fuzz-worker-status.c — libFuzzer target for the worker's status record
 * (daemon/hull-worker-status.c, $runtime/vm/<uuid>.status).
 *
 * Each input is parsed as a record. A parse returns a record exactly when it
 * sets no error, and its error is HULL_ERROR_CORRUPT_DATA naming the file,
 * in UTF-8 without control characters (what it quotes of the file is
 * escaped). A record that parses must hold what the header promises (a pid
 * > 1, a UUID, an absolute socket path, a known state and halt kind) and
 * must round-trip: format → parse gives an equal record, and formatting that
 * gives the same text. It is then held against hulld's expectations
 * (hull_worker_status_check()): for its own UUID it passes exactly when its
 * socket is $runtime/vm/<uuid>.sock, and for another domain's UUID it never
 * passes. Any violation aborts; so does any GLib critical or warning.
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "fuzz-target.h"
#include "hull-error.h"
#include "hull-halt.h"
#include "hull-worker-status.h"

#define PATH "/run/hull/vm/fuzz.status"
#define RUNTIME_DIR "/run/hull"
#define OTHER_UUID "00000000-0000-4000-8000-000000000000"

const char hull_fuzz_name[] = "worker-status";
const HullFuzzCorpus hull_fuzz_corpora[] = {
  { "seeds", { "fuzz", "corpus", "worker-status", NULL } },
  { NULL, { NULL } },
};

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hull_fuzz_setup ();
  return 0;
}

static void
check_error (const GError *error)
{
  if (!g_error_matches (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA))
    hull_fuzz_fail ("an error that is not HULL_ERROR_CORRUPT_DATA", error->message, NULL, NULL);
  if (strstr (error->message, PATH) == NULL)
    hull_fuzz_fail ("an error that does not name the file", error->message, NULL, NULL);
  if (!g_utf8_validate (error->message, -1, NULL))
    hull_fuzz_fail ("an error message that is not UTF-8", NULL, NULL, NULL);
  /* The file's content is quoted escaped: no line breaks, no escapes. */
  for (const char *p = error->message; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      hull_fuzz_fail ("an error message with a control character", error->message, NULL, NULL);
}

static void
check_fields (const HullWorkerStatus *status, const char *text)
{
  HullHaltKind kind;

  if (status->pid < 2)
    hull_fuzz_fail ("a pid below 2 parsed", NULL, text, NULL);
  if (status->uuid == NULL || !g_uuid_string_is_valid (status->uuid))
    hull_fuzz_fail ("a record without a valid UUID parsed", NULL, text, NULL);
  if (status->name == NULL || status->halt_kind == NULL)
    hull_fuzz_fail ("a record without a name or halt kind string parsed", NULL, text, NULL);
  if (status->socket_path == NULL || !g_path_is_absolute (status->socket_path))
    hull_fuzz_fail ("a record without an absolute socket parsed", NULL, text, NULL);
  if (hull_worker_state_to_string (status->state) == NULL)
    hull_fuzz_fail ("a record with an unknown state parsed", NULL, text, NULL);
  if (status->halt_kind[0] != '\0' && !hull_halt_kind_from_string (status->halt_kind, &kind))
    hull_fuzz_fail ("a record with an unknown halt kind parsed", NULL, text, NULL);
  if (status->started < 0)
    hull_fuzz_fail ("a negative start time parsed", NULL, text, NULL);
}

static void
check_against_hulld (const HullWorkerStatus *status, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *socket_name = g_strconcat (status->uuid, ".sock", NULL);
  g_autofree char *expected = g_build_filename (RUNTIME_DIR, "vm", socket_name, NULL);
  g_autofree char *recorded = g_canonicalize_filename (status->socket_path, "/");
  gboolean ok = hull_worker_status_check (status, RUNTIME_DIR, status->uuid, PATH, &error);

  if (ok != (error == NULL))
    hull_fuzz_fail ("check: a result must come with no error, a failure with one", NULL, text,
                    NULL);
  if (error != NULL)
    check_error (error);
  if (ok != (strcmp (recorded, expected) == 0))
    hull_fuzz_fail (ok ? "check passed a socket outside the runtime directory"
                       : "check refused the domain's own socket",
                    status->socket_path, text, NULL);
  g_clear_error (&error);

  if (strcmp (status->uuid, OTHER_UUID) != 0
      && hull_worker_status_check (status, RUNTIME_DIR, OTHER_UUID, PATH, &error))
    hull_fuzz_fail ("check passed another domain's record", NULL, text, NULL);
  if (error != NULL)
    check_error (error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *bytes = data != NULL ? (const char *)data : "";
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorkerStatus) status = NULL;
  g_autoptr (HullWorkerStatus) again = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  gsize first_len = 0, second_len = 0;

  /* The parser must not read past @size: libFuzzer's buffer has no nul. */
  status = hull_worker_status_parse (bytes, size, PATH, &error);
  if ((status == NULL) == (error == NULL))
    hull_fuzz_fail ("parse: a result must come with no error, a failure with one",
                    error != NULL ? error->message : NULL, NULL, NULL);
  if (status == NULL)
    {
      check_error (error);
      return 0;
    }

  first = hull_worker_status_format (status, &first_len);
  if (first == NULL || strlen (first) != first_len)
    hull_fuzz_fail ("format: no text, or a wrong length", NULL, first, NULL);
  check_fields (status, first);

  again = hull_worker_status_parse (first, first_len, PATH, &error);
  if (again == NULL)
    hull_fuzz_fail ("the formatted record does not parse", error->message, first, NULL);
  if (!hull_worker_status_equal (status, again))
    {
      second = hull_worker_status_format (again, NULL);
      hull_fuzz_fail ("parse → format → parse gives another record", NULL, first, second);
    }
  second = hull_worker_status_format (again, &second_len);
  if (strcmp (first, second) != 0)
    hull_fuzz_fail ("format → parse → format is not stable", NULL, first, second);

  check_against_hulld (status, first);
  return 0;
}
