/* Every way a call to hulld can be wrong (docs/dbus-api.md): signatures,
 * options, sizes, XML, names, UUIDs, states and conflicts. After each
 * failure nothing may have changed: the properties of every object, the
 * files in $state and the workers. Part of test-daemon. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "dbus-harness.h"
#include "hull-error.h"

void test_daemon_add_bad_input_tests (void);

#define MANAGER "org.hullvm.Hull1.Manager"
#define DOMAIN "org.hullvm.Hull1.Domain"
#define ERROR_PREFIX "org.hullvm.Hull1.Error."
#define INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"

/* A world with a domain in each state. */
typedef struct
{
  HullTestWorld *world;
  char *off;       /* shutoff/unknown */
  char *run;       /* running/booted, prints "Hi\n" */
  char *paused;    /* paused/user */
  char *halted;    /* paused/halted (on_poweroff=preserve) */
  char *transient; /* running, transient */
  char *off_uuid;
} Fixture;

static void
fixture_set_up (Fixture *fx, gconstpointer data)
{
  g_autofree char *transient_xml
      = hull_test_domain_xml ("transient", NULL, HULL_TEST_PROGRAM_SPIN, NULL);

  fx->world = hull_test_world_new (TRUE);
  fx->off = hull_test_define_domain (fx->world, "off", HULL_TEST_PROGRAM_SPIN, NULL);
  fx->run = hull_test_define_domain (fx->world, "run", HULL_TEST_PROGRAM_HI_SPIN, NULL);
  fx->paused = hull_test_define_domain (fx->world, "paused", HULL_TEST_PROGRAM_SPIN, NULL);
  fx->halted = hull_test_define_domain (fx->world, "halted", HULL_TEST_PROGRAM_HI_POWEROFF,
                                        "<on_poweroff>preserve</on_poweroff>");
  fx->transient = hull_test_create (fx->world, transient_xml);
  fx->off_uuid = hull_test_domain_uuid (fx->world, fx->off);
  hull_test_domain_do (fx->world, fx->run, "Start");
  hull_test_domain_do (fx->world, fx->paused, "Start");
  hull_test_domain_do (fx->world, fx->paused, "Pause");
  hull_test_domain_do (fx->world, fx->halted, "Start");
  hull_test_wait_state (fx->world, fx->halted, "paused", "halted");
}

static void
fixture_tear_down (Fixture *fx, gconstpointer data)
{
  hull_test_world_free (fx->world);
  g_free (fx->off);
  g_free (fx->run);
  g_free (fx->paused);
  g_free (fx->halted);
  g_free (fx->transient);
  g_free (fx->off_uuid);
}

/* --- nothing changed ----------------------------------------------------------- */

typedef struct
{
  char *objects;
  GHashTable *files;
  GArray *workers;
} Snapshot;

static void
snapshot_take (Fixture *fx, Snapshot *snapshot)
{
  snapshot->objects = hull_test_managed_objects_text (fx->world);
  snapshot->files = hull_test_snapshot_dir (fx->world->state_dir);
  snapshot->workers = hull_test_world_worker_pids (fx->world);
}

static void
snapshot_clear (Snapshot *snapshot)
{
  g_free (snapshot->objects);
  g_hash_table_unref (snapshot->files);
  g_array_unref (snapshot->workers);
}

static void
snapshot_check (Fixture *fx, const Snapshot *before, const char *what)
{
  Snapshot after;

  snapshot_take (fx, &after);
  if (!g_str_equal (before->objects, after.objects))
    g_error ("%s changed the objects:\n--- before\n%s\n--- after\n%s", what, before->objects,
             after.objects);
  hull_test_assert_snapshots_equal (before->files, after.files);
  g_assert_cmpuint (before->workers->len, ==, after.workers->len);
  for (guint i = 0; i < after.workers->len; i++)
    {
      GPid pid = g_array_index (after.workers, GPid, i);
      gboolean found = FALSE;

      for (guint j = 0; j < before->workers->len; j++)
        found = found || g_array_index (before->workers, GPid, j) == pid;
      if (!found || !hull_test_pid_alive (pid))
        g_error ("%s changed the workers", what);
    }
  snapshot_clear (&after);
}

/* Calls, expects one of @names (NULL-terminated) as the error, and checks
 * that nothing changed. @parameters is consumed. */
static void
expect_error_in (Fixture *fx, const char *path, const char *interface, const char *method,
                 GVariant *parameters, const char *const *names)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *name = NULL;
  g_autofree char *what = NULL;
  g_autofree char *printed = NULL;
  Snapshot before;

  g_variant_ref_sink (parameters);
  printed = g_variant_print (parameters, TRUE);
  what = g_strdup_printf ("%s.%s%.200s on %s", interface, method, printed, path);
  snapshot_take (fx, &before);
  reply = hull_test_call (fx->world, path, interface, method, parameters, NULL, &error);
  g_variant_unref (parameters);
  if (reply != NULL)
    g_error ("%s succeeded; expected %s", what, names[0]);
  name = hull_test_error_name (error);
  if (name == NULL || !g_strv_contains (names, name))
    g_error ("%s: expected %s, got %s: %s", what, names[0], name, error->message);
  g_test_message ("%s: %s: %s", what, name, error->message);
  snapshot_check (fx, &before, what);
  snapshot_clear (&before);
}

static void
expect_error (Fixture *fx, const char *path, const char *interface, const char *method,
              GVariant *parameters, const char *name)
{
  const char *names[] = { name, NULL };

  expect_error_in (fx, path, interface, method, parameters, names);
}

static void
expect_hull_error (Fixture *fx, const char *path, const char *interface, const char *method,
                   GVariant *parameters, int code)
{
  expect_error (fx, path, interface, method, parameters, hull_error_dbus_name (code));
}

static const char *
path_for (Fixture *fx, const char *interface)
{
  return g_str_equal (interface, MANAGER) ? HULL_DBUS_PATH : fx->run;
}

/* --- signatures ---------------------------------------------------------------- */

/* Every method with arguments of the wrong type, too few or too many:
 * the bus library's InvalidArgs. Methods go to the running domain, so
 * that a Destroy that slipped through would show. */
static void
test_wrong_signature (Fixture *fx, gconstpointer data)
{
  GDBusInterfaceInfo *interfaces[]
      = { hull_dbus_manager_interface_info (), hull_dbus_domain_interface_info () };

  for (guint i = 0; i < G_N_ELEMENTS (interfaces); i++)
    for (GDBusMethodInfo **m = interfaces[i]->methods; *m != NULL; m++)
      {
        const char *path = path_for (fx, interfaces[i]->name);
        guint n_args = 0;
        g_autoptr (GVariantBuilder) ints = g_variant_builder_new (G_VARIANT_TYPE_TUPLE);
        g_autoptr (GVariantBuilder) more = g_variant_builder_new (G_VARIANT_TYPE_TUPLE);

        while ((*m)->in_args != NULL && (*m)->in_args[n_args] != NULL)
          n_args++;
        /* Each argument an int32. */
        for (guint a = 0; a < n_args; a++)
          g_variant_builder_add (ints, "i", 7);
        expect_error (fx, path, interfaces[i]->name, (*m)->name, g_variant_builder_end (ints),
                      INVALID_ARGS);
        /* None at all. */
        expect_error (fx, path, interfaces[i]->name, (*m)->name, g_variant_new ("()"),
                      INVALID_ARGS);
        /* One too many: the right ones (empty strings, false, {}) and a u. */
        for (guint a = 0; a < n_args; a++)
          {
            const char *sig = (*m)->in_args[a]->signature;

            if (g_str_equal (sig, "s"))
              g_variant_builder_add (more, "s", "");
            else if (g_str_equal (sig, "b"))
              g_variant_builder_add (more, "b", FALSE);
            else
              g_variant_builder_add_value (more, HULL_TEST_NO_OPTIONS);
          }
        g_variant_builder_add (more, "u", 1);
        expect_error (fx, path, interfaces[i]->name, (*m)->name, g_variant_builder_end (more),
                      INVALID_ARGS);
        /* The options as a{ss} rather than a{sv}. */
        if (n_args == 1)
          expect_error (fx, path, interfaces[i]->name, (*m)->name,
                        g_variant_new_parsed ("(@a{ss} {'paused': 'true'},)"), INVALID_ARGS);
      }
}

/* Properties are read-only. */
static void
test_property_set (Fixture *fx, gconstpointer data)
{
  const char *names[] = { INVALID_ARGS, "org.freedesktop.DBus.Error.PropertyReadOnly",
                          "org.freedesktop.DBus.Error.AccessDenied", NULL };

  expect_error_in (fx, fx->run, "org.freedesktop.DBus.Properties", "Set",
                   g_variant_new ("(ssv)", DOMAIN, "State", g_variant_new_string ("shutoff")),
                   names);
  expect_error_in (fx, fx->off, "org.freedesktop.DBus.Properties", "Set",
                   g_variant_new ("(ssv)", DOMAIN, "Autostart", g_variant_new_boolean (TRUE)),
                   names);
  expect_error_in (fx, HULL_DBUS_PATH, "org.freedesktop.DBus.Properties", "Set",
                   g_variant_new ("(ssv)", MANAGER, "Mode", g_variant_new_string ("system")),
                   names);
}

/* --- options --------------------------------------------------------------------- */

/* Each method, with arguments that would succeed, plus @options. */
static void
expect_options_refused (Fixture *fx, GVariant *options_in)
{
  g_autoptr (GVariant) options = g_variant_ref_sink (options_in);
  g_autofree char *xml = hull_test_domain_xml ("newcomer", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  const int invalid = HULL_ERROR_INVALID_ARGUMENT;

  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                     g_variant_new ("(s@a{sv})", xml, options), invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "CreateXML",
                     g_variant_new ("(s@a{sv})", xml, options), invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "ListDomains",
                     g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "LookupByName",
                     g_variant_new ("(s@a{sv})", "off", options), invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "LookupByUUID",
                     g_variant_new ("(s@a{sv})", fx->off_uuid, options), invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "GetCapabilities",
                     g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "ListBackends",
                     g_variant_new ("(@a{sv})", options), invalid);

  expect_hull_error (fx, fx->off, DOMAIN, "Start", g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Shutdown", g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Destroy", g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Reboot", g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Reset", g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Pause", g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, fx->paused, DOMAIN, "Resume", g_variant_new ("(@a{sv})", options),
                     invalid);
  expect_hull_error (fx, fx->halted, DOMAIN, "ClearHalt", g_variant_new ("(@a{sv})", options),
                     invalid);
  expect_hull_error (fx, fx->off, DOMAIN, "Undefine", g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Undefine", g_variant_new ("(@a{sv})", options), invalid);
  expect_hull_error (fx, fx->off, DOMAIN, "SetAutostart",
                     g_variant_new ("(b@a{sv})", TRUE, options), invalid);
  expect_hull_error (fx, fx->off, DOMAIN, "GetXMLDesc", g_variant_new ("(@a{sv})", options),
                     invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "OpenConsole", g_variant_new ("(@a{sv})", options),
                     invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Inspect", g_variant_new ("(s@a{sv})", "", options),
                     invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "GetStats", g_variant_new ("(@a{sv})", options), invalid);
}

static void
test_unknown_options (Fixture *fx, gconstpointer data)
{
  expect_options_refused (fx, g_variant_new_parsed ("{'bogus': <true>}"));
  /* A known option of another method is unknown here ("inactive" is
   * GetXMLDesc's; GetXMLDesc itself gets "lenient"). */
  expect_options_refused (fx, g_variant_new_parsed ("{'nonsense': <@u 1>, 'x-y': <''>}"));
  expect_hull_error (fx, fx->run, DOMAIN, "Pause", g_variant_new_parsed ("({'timeout': <@u 1>},)"),
                     HULL_ERROR_INVALID_ARGUMENT);
  expect_hull_error (fx, fx->off, DOMAIN, "GetXMLDesc",
                     g_variant_new_parsed ("({'lenient': <true>},)"), HULL_ERROR_INVALID_ARGUMENT);
  expect_hull_error (fx, fx->run, DOMAIN, "Destroy", g_variant_new_parsed ("({'force': <true>},)"),
                     HULL_ERROR_INVALID_ARGUMENT);
}

static void
test_mistyped_options (Fixture *fx, gconstpointer data)
{
  g_autofree char *xml = hull_test_domain_xml ("newcomer", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  const int invalid = HULL_ERROR_INVALID_ARGUMENT;

  expect_hull_error (
      fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
      g_variant_new ("(s@a{sv})", xml, g_variant_new_parsed ("{'lenient': <'yes'>}")), invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "CreateXML",
                     g_variant_new ("(s@a{sv})", xml, g_variant_new_parsed ("{'paused': <1>}")),
                     invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "CreateXML",
                     g_variant_new ("(s@a{sv})", xml, g_variant_new_parsed ("{'lenient': <@u 0>}")),
                     invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "ListDomains",
                     g_variant_new_parsed ("({'active': <@u 1>},)"), invalid);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "ListDomains",
                     g_variant_new_parsed ("({'inactive': <'true'>},)"), invalid);
  expect_hull_error (fx, fx->off, DOMAIN, "Start", g_variant_new_parsed ("({'paused': <1>},)"),
                     invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Shutdown", g_variant_new_parsed ("({'timeout': <1>},)"),
                     invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Shutdown",
                     g_variant_new_parsed ("({'timeout': <@t 1>},)"), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Shutdown",
                     g_variant_new_parsed ("({'timeout': <<@u 1>>},)"), invalid);
  expect_hull_error (fx, fx->off, DOMAIN, "GetXMLDesc",
                     g_variant_new_parsed ("({'inactive': <'true'>},)"), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "OpenConsole", g_variant_new_parsed ("({'port': <0>},)"),
                     invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "OpenConsole",
                     g_variant_new_parsed ("({'read-only': <'yes'>},)"), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "OpenConsole",
                     g_variant_new_parsed ("({'force': <@u 1>},)"), invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Inspect", g_variant_new_parsed ("('', {'depth': <16>})"),
                     invalid);
  expect_hull_error (fx, fx->run, DOMAIN, "Inspect",
                     g_variant_new_parsed ("('', {'depth': <@t 16>})"), invalid);
}

/* --- sizes -------------------------------------------------------------------------- */

/* A valid domain whose <description> makes the document @size bytes. */
static char *
xml_of_size (const char *name, gsize size)
{
  g_autofree char *head
      = g_strdup_printf ("<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'>\n"
                         "  <name>%s</name><description>",
                         name);
  const char *tail = "</description>\n  <memory unit='MiB'>16</memory><vcpu>1</vcpu>\n"
                     "  <hull:test-program><hull:vp index='0'><hull:spin usec='100000'/>"
                     "<hull:jump step='0'/></hull:vp></hull:test-program>\n</domain>\n";
  GString *xml = g_string_new (head);
  gsize fixed = strlen (head) + strlen (tail);

  g_assert_cmpuint (size, >, fixed);
  for (gsize i = 0; i < size - fixed; i++)
    g_string_append_c (xml, i % 64 == 63 ? '\n' : 'x');
  g_string_append (xml, tail);
  g_assert_cmpuint (xml->len, ==, size);
  return g_string_free (xml, FALSE);
}

static void
test_huge_strings (Fixture *fx, gconstpointer data)
{
  g_autofree char *huge = xml_of_size ("huge", 2 * 1024 * 1024);
  g_autofree char *just_over = xml_of_size ("over", 1024 * 1024 + 1);
  g_autofree char *long_string = g_strnfill (100 * 1024, 'n');
  g_autofree char *long_name_xml
      = hull_test_domain_xml (long_string, NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *big_ok = xml_of_size ("big", 1024 * 1024 - 4096);
  const char *lookup_errors[] = { ERROR_PREFIX "NotFound", ERROR_PREFIX "InvalidArgument", NULL };
  const char *name_errors[] = { ERROR_PREFIX "XmlInvalid", ERROR_PREFIX "LimitExceeded", NULL };
  g_autofree char *path = NULL;

  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                     g_variant_new ("(s@a{sv})", huge, HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_LIMIT_EXCEEDED);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                     g_variant_new ("(s@a{sv})", just_over, HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_LIMIT_EXCEEDED);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "CreateXML",
                     g_variant_new ("(s@a{sv})", huge, HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_LIMIT_EXCEEDED);
  expect_error_in (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                   g_variant_new ("(s@a{sv})", long_name_xml, HULL_TEST_NO_OPTIONS), name_errors);
  expect_error_in (fx, HULL_DBUS_PATH, MANAGER, "LookupByName",
                   g_variant_new ("(s@a{sv})", long_string, HULL_TEST_NO_OPTIONS), lookup_errors);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "LookupByUUID",
                     g_variant_new ("(s@a{sv})", long_string, HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_INVALID_ARGUMENT);
  expect_error_in (fx, fx->run, DOMAIN, "Inspect",
                   g_variant_new ("(s@a{sv})", long_string, HULL_TEST_NO_OPTIONS), lookup_errors);

  /* Under the limit is fine. */
  path = hull_test_define (fx->world, big_ok);
  g_assert_true (hull_test_object_exists (fx->world, path));
}

/* --- XML ------------------------------------------------------------------------------- */

static void
test_invalid_xml (Fixture *fx, gconstpointer data)
{
  static const struct
  {
    const char *xml;
    int code;
  } cases[] = {
    { "", HULL_ERROR_XML_SYNTAX },
    { "not xml at all", HULL_ERROR_XML_SYNTAX },
    { "<domain type='test'><name>x</name>", HULL_ERROR_XML_SYNTAX },
    { "<domain type='test'><name>x</nam></domain>", HULL_ERROR_XML_SYNTAX },
    { "<domain type='test'><name>x</name></domain>", HULL_ERROR_XML_INVALID },
    { "<domain type='test'><name>x</name><memory unit='MiB'>16</memory><vcpu>0</vcpu></domain>",
      HULL_ERROR_XML_INVALID },
    { "<domain type='test'><name>x</name><memory unit='MiB'>1</memory><vcpu>1</vcpu></domain>",
      HULL_ERROR_XML_INVALID },
    { "<domain type='test'><name>a/b</name><memory unit='MiB'>16</memory><vcpu>1</vcpu></domain>",
      HULL_ERROR_XML_INVALID },
    { "<domain type='kvm'><name>x</name><memory unit='MiB'>16</memory><vcpu>1</vcpu></domain>",
      HULL_ERROR_XML_INVALID },
    { "<domain type='test'><name>x</name><memory unit='MiB'>16</memory><vcpu>1</vcpu>"
      "<frobnicate/></domain>",
      HULL_ERROR_NOT_SUPPORTED },
    { "<domain type='test'><name>x</name><uuid>not-a-uuid</uuid><memory unit='MiB'>16</memory>"
      "<vcpu>1</vcpu></domain>",
      HULL_ERROR_XML_INVALID },
  };
  g_autofree char *lenient_path = NULL;
  g_autoptr (GVariant) reply = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                         g_variant_new ("(s@a{sv})", cases[i].xml, HULL_TEST_NO_OPTIONS),
                         cases[i].code);
      expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "CreateXML",
                         g_variant_new ("(s@a{sv})", cases[i].xml, HULL_TEST_NO_OPTIONS),
                         cases[i].code);
    }
  /* A DOCTYPE (entities) is refused with some Hull error. */
  {
    const char *doctype = "<!DOCTYPE domain [<!ENTITY e 'x'>]><domain type='test'><name>&e;</name>"
                          "<memory unit='MiB'>16</memory><vcpu>1</vcpu></domain>";
    const char *names[] = { ERROR_PREFIX "XmlSyntax", ERROR_PREFIX "XmlInvalid",
                            ERROR_PREFIX "NotSupported", NULL };

    expect_error_in (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                     g_variant_new ("(s@a{sv})", doctype, HULL_TEST_NO_OPTIONS), names);
  }
  /* With "lenient", the unknown element is skipped. */
  reply = hull_test_call_ok (
      fx->world, HULL_DBUS_PATH, MANAGER, "DefineXML",
      g_variant_new ("(s@a{sv})",
                     "<domain type='test'><name>lenient</name><memory unit='MiB'>16</memory>"
                     "<vcpu>1</vcpu><frobnicate/></domain>",
                     g_variant_new_parsed ("{'lenient': <true>}")),
      "(o)");
  g_variant_get (reply, "(o)", &lenient_path);
  g_assert_true (hull_test_object_exists (fx->world, lenient_path));
  /* ... and logged once, the caller being authorized. */
  {
    g_autofree char *log_path = g_build_filename (fx->world->root, "hulld.log", NULL);
    g_autofree char *log = NULL;
    const char *line = "domain 'lenient': skipped: line 1: element <frobnicate> is not supported";
    const char *first;

    g_assert_true (g_file_get_contents (log_path, &log, NULL, NULL));
    first = strstr (log, line);
    g_assert_nonnull (first);
    g_assert_null (strstr (first + 1, line));
  }
}

/* --- names, UUIDs, objects ------------------------------------------------------------- */

static void
test_not_found (Fixture *fx, gconstpointer data)
{
  const char *no_object[]
      = { "org.freedesktop.DBus.Error.UnknownMethod", "org.freedesktop.DBus.Error.UnknownObject",
          "org.freedesktop.DBus.Error.UnknownInterface", NULL };
  g_autofree char *ghost = hull_dbus_domain_path ("00000000-0000-4000-8000-000000000000");
  const char *not_uuids[] = { "",
                              "not-a-uuid",
                              "6695eb01-f6a4-8304-79aa-97f2502e193",
                              "6695eb01-f6a4-8304-79aa-97f2502e193ff",
                              "6695eb01_f6a4_8304_79aa_97f2502e193f",
                              "6695eb01-f6a4-8304-79aa-97f2502e193g" };

  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "LookupByName",
                     g_variant_new ("(s@a{sv})", "nope", HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_NOT_FOUND);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "LookupByName",
                     g_variant_new ("(s@a{sv})", "", HULL_TEST_NO_OPTIONS), HULL_ERROR_NOT_FOUND);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "LookupByName",
                     g_variant_new ("(s@a{sv})", "OFF", HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_NOT_FOUND);
  expect_hull_error (
      fx, HULL_DBUS_PATH, MANAGER, "LookupByUUID",
      g_variant_new ("(s@a{sv})", "00000000-0000-4000-8000-000000000000", HULL_TEST_NO_OPTIONS),
      HULL_ERROR_NOT_FOUND);
  for (guint i = 0; i < G_N_ELEMENTS (not_uuids); i++)
    expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "LookupByUUID",
                       g_variant_new ("(s@a{sv})", not_uuids[i], HULL_TEST_NO_OPTIONS),
                       HULL_ERROR_INVALID_ARGUMENT);

  /* No object there. */
  expect_error_in (fx, ghost, DOMAIN, "Start", g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS),
                   no_object);
  expect_error_in (fx, ghost, "org.freedesktop.DBus.Properties", "GetAll",
                   g_variant_new ("(s)", DOMAIN), no_object);
  expect_error_in (fx, HULL_DBUS_PATH, MANAGER, "NoSuchMethod",
                   g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), no_object);
  /* The Domain interface is not on the Manager's object. */
  expect_error_in (fx, HULL_DBUS_PATH, DOMAIN, "Start",
                   g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS), no_object);

  /* Serial ports and inspect paths. */
  expect_hull_error (fx, fx->run, DOMAIN, "OpenConsole",
                     g_variant_new_parsed ("({'port': <@u 3>},)"), HULL_ERROR_NOT_FOUND);
  expect_hull_error (fx, fx->run, DOMAIN, "OpenConsole",
                     g_variant_new_parsed ("({'port': <@u 4000000000>},)"), HULL_ERROR_NOT_FOUND);
  expect_hull_error (fx, fx->run, DOMAIN, "Inspect",
                     g_variant_new ("(s@a{sv})", "no/such/node", HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_NOT_FOUND);
}

/* --- states ----------------------------------------------------------------------------- */

static void
expect_state_error (Fixture *fx, const char *path, const char *method)
{
  expect_hull_error (fx, path, DOMAIN, method, g_variant_new ("(@a{sv})", HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_INVALID_STATE);
}

static void
test_wrong_state (Fixture *fx, gconstpointer data)
{
  static const char *const off_refuses[]
      = { "Shutdown", "Destroy", "Reboot", "Reset", "Pause", "Resume", "ClearHalt", "OpenConsole" };
  g_autoptr (GError) error = NULL;
  int holder;

  for (guint i = 0; i < G_N_ELEMENTS (off_refuses); i++)
    expect_state_error (fx, fx->off, off_refuses[i]);
  expect_hull_error (fx, fx->off, DOMAIN, "Inspect",
                     g_variant_new ("(s@a{sv})", "", HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_INVALID_STATE);

  expect_state_error (fx, fx->run, "Start");
  expect_state_error (fx, fx->run, "Resume");
  expect_state_error (fx, fx->run, "ClearHalt");
  expect_state_error (fx, fx->transient, "Start");

  expect_state_error (fx, fx->paused, "Start");
  expect_state_error (fx, fx->paused, "Pause");
  expect_state_error (fx, fx->paused, "ClearHalt");

  expect_state_error (fx, fx->halted, "Start");
  expect_state_error (fx, fx->halted, "Pause");
  expect_state_error (fx, fx->halted, "Resume");

  expect_state_error (fx, fx->transient, "Undefine");
  expect_hull_error (fx, fx->transient, DOMAIN, "SetAutostart",
                     g_variant_new ("(b@a{sv})", TRUE, HULL_TEST_NO_OPTIONS),
                     HULL_ERROR_INVALID_STATE);
  expect_hull_error (fx, fx->transient, DOMAIN, "GetXMLDesc",
                     g_variant_new_parsed ("({'inactive': <true>},)"), HULL_ERROR_INVALID_STATE);

  /* A console with a writer. */
  holder = hull_test_open_console (fx->world, fx->run, NULL, &error);
  g_assert_no_error (error);
  expect_state_error (fx, fx->run, "OpenConsole");
  close (holder);
}

/* --- conflicts -------------------------------------------------------------------------- */

static void
test_conflicts (Fixture *fx, gconstpointer data)
{
  g_autofree char *run_uuid = hull_test_domain_uuid (fx->world, fx->run);
  g_autofree char *off_other_uuid = hull_test_domain_xml (
      "off", "8c0e2a54-2d0b-4f6e-9a49-7b0b7a5b1f10", HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *off_uuid_other_name
      = hull_test_domain_xml ("renamed", fx->off_uuid, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *run_name = hull_test_domain_xml ("run", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *transient_name
      = hull_test_domain_xml ("transient", NULL, HULL_TEST_PROGRAM_SPIN, NULL);
  g_autofree char *run_uuid_xml
      = hull_test_domain_xml ("fresh", run_uuid, HULL_TEST_PROGRAM_SPIN, NULL);
  const int exists = HULL_ERROR_ALREADY_EXISTS;

  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                     g_variant_new ("(s@a{sv})", off_other_uuid, HULL_TEST_NO_OPTIONS), exists);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                     g_variant_new ("(s@a{sv})", off_uuid_other_name, HULL_TEST_NO_OPTIONS),
                     exists);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                     g_variant_new ("(s@a{sv})", transient_name, HULL_TEST_NO_OPTIONS), exists);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "DefineXML",
                     g_variant_new ("(s@a{sv})", run_uuid_xml, HULL_TEST_NO_OPTIONS), exists);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "CreateXML",
                     g_variant_new ("(s@a{sv})", run_name, HULL_TEST_NO_OPTIONS), exists);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "CreateXML",
                     g_variant_new ("(s@a{sv})", off_other_uuid, HULL_TEST_NO_OPTIONS), exists);
  expect_hull_error (fx, HULL_DBUS_PATH, MANAGER, "CreateXML",
                     g_variant_new ("(s@a{sv})", run_uuid_xml, HULL_TEST_NO_OPTIONS), exists);
}

/* Each test in a world of its own (hull_test_add runs it in a subprocess). */
#define ISOLATED(func)                                                                             \
  static void func##_isolated (void)                                                               \
  {                                                                                                \
    Fixture fx = { 0 };                                                                            \
                                                                                                   \
    fixture_set_up (&fx, NULL);                                                                    \
    func (&fx, NULL);                                                                              \
    fixture_tear_down (&fx, NULL);                                                                 \
  }
ISOLATED (test_wrong_signature)
ISOLATED (test_property_set)
ISOLATED (test_unknown_options)
ISOLATED (test_mistyped_options)
ISOLATED (test_huge_strings)
ISOLATED (test_invalid_xml)
ISOLATED (test_not_found)
ISOLATED (test_wrong_state)
ISOLATED (test_conflicts)
#undef ISOLATED

void
test_daemon_add_bad_input_tests (void)
{
#define ADD(name, func) hull_test_add ("/hull/daemon/bad-input/" name, func##_isolated, NULL)
  ADD ("wrong-signature", test_wrong_signature);
  ADD ("property-set", test_property_set);
  ADD ("unknown-options", test_unknown_options);
  ADD ("mistyped-options", test_mistyped_options);
  ADD ("huge-strings", test_huge_strings);
  ADD ("invalid-xml", test_invalid_xml);
  ADD ("not-found", test_not_found);
  ADD ("wrong-state", test_wrong_state);
  ADD ("conflicts", test_conflicts);
#undef ADD
}
