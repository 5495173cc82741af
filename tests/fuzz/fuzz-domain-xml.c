/* fuzz-domain-xml.c — libFuzzer target for the domain XML parser and formatter.
 *
 * Each input is parsed strictly and then leniently. Whenever a parse
 * succeeds, the definition must round-trip: parse → format → parse → format
 * gives the same text both times, and the formatted text must match the
 * RelaxNG schema (xml/schemas/domain.rng: $HULL_SCHEMA, or the path the
 * build gives as HULL_SCHEMA_PATH). A strict success must also be a lenient
 * success with nothing skipped, formatting to the same text. Any violation
 * aborts, and so does any GLib critical or warning (a g_return_if_fail that
 * fires is a bug). Built with -fsanitize=fuzzer it is a libFuzzer target;
 * fuzz-main.c runs it over the seed corpora in ordinary builds.
 */
#include "config.h"

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

#include "fuzz-target.h"
#include "hull-domain-def.h"

/* libxml2 2.12 made the error argument of structured error handlers const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError HullXmlError;
#else
typedef xmlError HullXmlError;
#endif

const char hull_fuzz_name[] = "domain-xml";
const HullFuzzCorpus hull_fuzz_corpora[] = {
  { "examples", { "..", "xml", "examples", NULL } },
  { "xml-in", { "xml", "in", NULL } },
  { "seeds", { "fuzz", "corpus", "domain-xml", NULL } },
  { NULL, { NULL } },
};

/* Loaded once by LLVMFuzzerInitialize(), kept for the life of the process. */
static xmlRelaxNG *schema;

G_GNUC_NORETURN static void
fail (const char *what, const char *details, const char *first, const char *second)
{
  fprintf (stderr, "fuzz-domain-xml: %s%s%s\n", what, details != NULL ? ": " : "",
           details != NULL ? details : "");
  if (first != NULL)
    fprintf (stderr, "--- first ---\n%s", first);
  if (second != NULL)
    fprintf (stderr, "--- second ---\n%s", second);
  fflush (stderr);
  abort ();
}

/* Collects libxml2's messages for the failure report. */
static void
collect_error (void *user_data, HullXmlError *error)
{
  GString *messages = user_data;

  if (error->line > 0)
    g_string_append_printf (messages, "line %d: ", error->line);
  g_string_append (messages, error->message != NULL ? error->message : "(no message)\n");
}

static void
load_schema (void)
{
  const char *path = g_getenv ("HULL_SCHEMA");
  g_autoptr (GString) messages = g_string_new (NULL);
  xmlRelaxNGParserCtxt *context;

#ifdef HULL_SCHEMA_PATH
  if (path == NULL || *path == '\0')
    path = HULL_SCHEMA_PATH;
#endif
  if (path == NULL || *path == '\0')
    fail ("no schema: set HULL_SCHEMA to xml/schemas/domain.rng", NULL, NULL, NULL);
  context = xmlRelaxNGNewParserCtxt (path);
  if (context == NULL)
    fail ("cannot create a RelaxNG parser", path, NULL, NULL);
  xmlRelaxNGSetParserStructuredErrors (context, collect_error, messages);
  schema = xmlRelaxNGParse (context);
  xmlRelaxNGFreeParserCtxt (context);
  if (schema == NULL)
    fail ("cannot load the schema", path, messages->str, NULL);
}

/* The formatter's output must be valid by the schema. */
static void
check_schema (const char *text, const char *mode)
{
  g_autoptr (GString) messages = g_string_new (NULL);
  g_autofree char *what = NULL;
  xmlRelaxNGValidCtxt *context;
  xmlDoc *doc;
  int rc;

  xmlSetStructuredErrorFunc (messages, collect_error);
  doc = xmlReadMemory (text, (int)strlen (text), "formatted.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlSetStructuredErrorFunc (NULL, NULL);
  if (doc == NULL)
    {
      what = g_strdup_printf ("%s: the formatted definition is not well-formed", mode);
      fail (what, messages->str, text, NULL);
    }
  context = xmlRelaxNGNewValidCtxt (schema);
  if (context == NULL)
    fail ("cannot create a RelaxNG validation context", NULL, NULL, NULL);
  xmlRelaxNGSetValidStructuredErrors (context, collect_error, messages);
  rc = xmlRelaxNGValidateDoc (context, doc);
  xmlRelaxNGFreeValidCtxt (context);
  xmlFreeDoc (doc);
  if (rc != 0)
    {
      what = g_strdup_printf ("%s: the formatted definition does not match the schema", mode);
      fail (what, messages->str, text, NULL);
    }
}

/* Formats @def, checks the round trip and the schema, and returns the first
 * formatting. */
static char *
check_round_trip (const HullDomainDef *def, const char *mode)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) again = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *what = NULL;

  first = hull_domain_def_format (def);
  if (first == NULL || !g_str_has_suffix (first, "\n"))
    {
      what
          = g_strdup_printf ("%s: the formatted definition is empty or has no final newline", mode);
      fail (what, NULL, first, NULL);
    }
  check_schema (first, mode);

  again = hull_domain_def_parse (first, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  if (again == NULL)
    {
      what = g_strdup_printf ("%s: the formatted definition does not parse", mode);
      fail (what, error != NULL ? error->message : "(no GError set)", first, NULL);
    }
  if (error != NULL)
    fail ("a successful parse set an error", error->message, first, NULL);

  second = hull_domain_def_format (again);
  if (g_strcmp0 (first, second) != 0)
    {
      what = g_strdup_printf ("%s: parse → format → parse → format is not stable", mode);
      fail (what, NULL, first, second);
    }
  return g_steal_pointer (&first);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hull_fuzz_setup ();
  xmlInitParser ();
  load_schema ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *xml = data != NULL ? (const char *)data : "";
  g_autoptr (GError) strict_error = NULL;
  g_autoptr (GError) lenient_error = NULL;
  g_autoptr (GPtrArray) strict_warnings = NULL;
  g_autoptr (GPtrArray) lenient_warnings = NULL;
  g_autoptr (HullDomainDef) strict = NULL;
  g_autoptr (HullDomainDef) lenient = NULL;
  g_autofree char *strict_text = NULL;
  g_autofree char *lenient_text = NULL;

  /* The parser must not read past @size: libFuzzer's buffer has no nul. */
  strict = hull_domain_def_parse (xml, (gssize)size, HULL_DOMAIN_PARSE_NONE, &strict_warnings,
                                  &strict_error);
  if ((strict == NULL) == (strict_error == NULL))
    fail ("strict parse: a result must come with no error, a failure with one",
          strict_error != NULL ? strict_error->message : NULL, NULL, NULL);
  if (strict != NULL && (strict_warnings == NULL || strict_warnings->len != 0))
    fail ("strict parse: the warnings must be an empty array", NULL, NULL, NULL);
  if (strict != NULL)
    strict_text = check_round_trip (strict, "strict");

  lenient = hull_domain_def_parse (xml, (gssize)size, HULL_DOMAIN_PARSE_LENIENT, &lenient_warnings,
                                   &lenient_error);
  if ((lenient == NULL) == (lenient_error == NULL))
    fail ("lenient parse: a result must come with no error, a failure with one",
          lenient_error != NULL ? lenient_error->message : NULL, NULL, NULL);
  if (lenient != NULL && lenient_warnings == NULL)
    fail ("lenient parse: no warnings array", NULL, NULL, NULL);

  if (strict != NULL)
    {
      /* Strict acceptance implies lenient acceptance of the same thing. */
      if (lenient == NULL)
        fail ("strict parse succeeded but lenient parse failed", lenient_error->message,
              strict_text, NULL);
      if (lenient_warnings->len != 0)
        fail ("strict parse succeeded but lenient parse skipped something",
              g_ptr_array_index (lenient_warnings, 0), strict_text, NULL);
      /* Post-parse picks a random UUID when none is given; use the same. */
      if (g_strcmp0 (strict->uuid, lenient->uuid) != 0)
        {
          g_free (lenient->uuid);
          lenient->uuid = g_strdup (strict->uuid);
        }
    }
  if (lenient != NULL)
    lenient_text = check_round_trip (lenient, "lenient");
  if (strict != NULL && g_strcmp0 (strict_text, lenient_text) != 0)
    fail ("strict and lenient parses differ", NULL, strict_text, lenient_text);

  return 0;
}
