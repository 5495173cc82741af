/* Translated error messages: libhull's messages come out in German under
 * LANGUAGE=de, from the catalogue that tests/Makefile.am builds from po/de.po
 * into $HULL_LOCALEDIR, and in English for a language with no catalogue.
 * D-Bus error names are never translated. */
#include "config.h"

#include <gio/gio.h>
#include <locale.h>
#include <string.h>

#include "hull-domain-def.h"
#include "hull-error.h"

/* The catalogue is built by "make check"; without it the German tests would
 * see English text, so its absence is a failure, not a skip. */
static void
assert_catalogue (void)
{
  const char *dir = g_getenv ("HULL_LOCALEDIR");
  g_autofree char *mo = NULL;

  g_assert_nonnull (dir);
  mo = g_build_filename (dir, "de", "LC_MESSAGES", "hull.mo", NULL);
  if (!g_file_test (mo, G_FILE_TEST_IS_REGULAR))
    g_error ("message catalogue %s is missing (build it with \"make check\")", mo);
}

static GError *
parse_error (const char *xml)
{
  g_autoptr (GError) error = NULL;
  HullDomainDef *def;

  def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_null (def);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  return g_steal_pointer (&error);
}

static void
test_german_error (void)
{
  static const char xml[] = "<domain type='test'>\n"
                            "  <name>de</name>\n"
                            "  <memory unit='XiB'>64</memory>\n"
                            "  <vcpu>1</vcpu>\n"
                            "</domain>\n";
  g_autoptr (GError) error = NULL;

  assert_catalogue ();
  error = parse_error (xml);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "Zeile 3: <memory>: "));
  g_assert_nonnull (strstr (error->message, "unbekannte Einheit"));
  g_assert_nonnull (strstr (error->message, "'XiB'"));
  g_assert_nonnull (strstr (error->message, "verwenden Sie"));
  g_assert_null (strstr (error->message, "unknown unit"));
  g_assert_null (strstr (error->message, "line 3"));
}

static void
test_german_validation (void)
{
  static const char xml[] = "<domain type='test'>\n"
                            "  <name>klein</name>\n"
                            "  <memory unit='MiB'>8</memory>\n"
                            "  <vcpu>1</vcpu>\n"
                            "</domain>\n";
  g_autoptr (GError) error = NULL;

  assert_catalogue ();
  error = parse_error (xml);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "Domäne 'klein': Zeile 3: "));
  g_assert_nonnull (strstr (error->message, "Speicher"));
  g_assert_nonnull (strstr (error->message, "Minimum von 16 MiB"));
  g_assert_null (strstr (error->message, "is below"));
}

/* What must stay English under LANGUAGE=de is the D-Bus error name, which
 * clients match on. */
static void
test_dbus_names_untranslated (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *remote = NULL;

  g_assert_cmpstr (hull_error_dbus_name (HULL_ERROR_XML_INVALID), ==,
                   "org.hullvm.Hull1.Error.XmlInvalid");
  g_assert_cmpstr (hull_error_dbus_name (HULL_ERROR_INVALID_ARGUMENT), ==,
                   "org.hullvm.Hull1.Error.InvalidArgument");

  error = parse_error ("<domain type='test'><name>x</name>"
                       "<memory unit='MiB'>8</memory><vcpu>1</vcpu></domain>");
  remote = g_dbus_error_encode_gerror (error);
  g_assert_cmpstr (remote, ==, "org.hullvm.Hull1.Error.XmlInvalid");
}

/* Plural forms come from the catalogue too. */
static void
test_german_plural (void)
{
  g_autoptr (GError) error = NULL;

  assert_catalogue ();
  error = parse_error ("<domain type='test'><name>k</name>"
                       "<memory unit='b'>1000</memory><vcpu>1</vcpu></domain>");
  g_assert_nonnull (strstr (error->message, "Speicher 4 KiB"));
  g_clear_error (&error);
  error = parse_error ("<domain type='test'><name>k</name><memory unit='MiB'>64</memory>"
                       "<currentMemory>0</currentMemory><vcpu>1</vcpu></domain>");
  g_assert_nonnull (strstr (error->message, "0 Bytes"));
}

/* A language with no catalogue (French) falls back to the English
 * messages. gettext caches lookups per process, so this runs in a fresh
 * subprocess that sets LANGUAGE before libhull translates anything. */
static void
test_fallback_to_english (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;

      g_setenv ("LANGUAGE", "fr", TRUE);
      setlocale (LC_ALL, "");
      error = parse_error ("<domain type='test'>\n<name>fr</name>\n"
                           "<memory unit='XiB'>64</memory><vcpu>1</vcpu></domain>");
      g_assert_cmpstr (error->message, ==,
                       "line 3: <memory>: unknown unit 'XiB' (use b, KiB, MiB, GiB, TiB, PiB, "
                       "EiB, KB, MB, GB, TB, PB or EB)");
      return;
    }
  assert_catalogue ();
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int argc, char **argv)
{
  /* glibc ignores LANGUAGE in the "C" locale, not in C.UTF-8. */
  g_setenv ("LANGUAGE", "de", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  setlocale (LC_ALL, "");

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/i18n/german-error", test_german_error);
  g_test_add_func ("/hull/i18n/german-validation", test_german_validation);
  g_test_add_func ("/hull/i18n/german-plural", test_german_plural);
  g_test_add_func ("/hull/i18n/dbus-error-names-untranslated", test_dbus_names_untranslated);
  g_test_add_func ("/hull/i18n/fallback-to-english", test_fallback_to_english);
  return g_test_run ();
}
