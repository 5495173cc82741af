/* Domain XML: golden files, round trips, defaults, and every kind of bad input.
 *
 * Golden files: tests/xml/in/NAME.xml is parsed and formatted; the result
 * must equal tests/xml/out/NAME.xml. HULL_TEST_REGENERATE=1 rewrites the
 * outputs instead (review the diff).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hull-domain-def.h"
#include "hull-error.h"
#include "hull-units.h"

static char *
read_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* parse → format → parse → format gives the same text both times. */
static char *
assert_round_trip (const char *xml)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autoptr (HullDomainDef) again = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_no_error (error);
  first = hull_domain_def_format (def);
  again = hull_domain_def_parse (first, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_no_error (error);
  second = hull_domain_def_format (again);
  g_assert_cmpstr (first, ==, second);
  return g_steal_pointer (&first);
}

static void
test_golden (gconstpointer data)
{
  const char *name = data;
  g_autofree char *in_path = g_test_build_filename (G_TEST_DIST, "xml", "in", name, NULL);
  g_autofree char *out_path = g_test_build_filename (G_TEST_DIST, "xml", "out", name, NULL);
  g_autofree char *input = read_file (in_path);
  g_autofree char *formatted = assert_round_trip (input);
  g_autofree char *expected = NULL;

  if (g_strcmp0 (g_getenv ("HULL_TEST_REGENERATE"), "1") == 0)
    {
      g_autoptr (GError) error = NULL;

      g_file_set_contents (out_path, formatted, -1, &error);
      g_assert_no_error (error);
      return;
    }
  expected = read_file (out_path);
  g_assert_cmpstr (formatted, ==, expected);
  /* The golden output is itself canonical. */
  g_free (assert_round_trip (expected));
}

static void
test_example (gconstpointer data)
{
  g_autofree char *input = read_file (data);

  g_free (assert_round_trip (input));
}

/* ------------------------------------------------------------------ */

static HullDomainDef *
parse_ok (const char *xml)
{
  g_autoptr (GError) error = NULL;
  HullDomainDef *def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (def);
  return def;
}

#define DOMAIN_HEAD "<domain type='test'><name>t</name>"
#define DOMAIN_TAIL "</domain>"
#define BASIC DOMAIN_HEAD "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"

static void
test_memory_units (void)
{
  static const struct
  {
    const char *unit;
    guint64 value;
    guint64 bytes;
  } cases[] = {
    { NULL, 65536, G_GUINT64_CONSTANT (64) << 20 },
    { "b", 67108864, G_GUINT64_CONSTANT (64) << 20 },
    { "bytes", 67108864, G_GUINT64_CONSTANT (64) << 20 },
    { "KB", 67108864, 67108864000ULL },
    { "k", 65536, G_GUINT64_CONSTANT (64) << 20 },
    { "KiB", 65536, G_GUINT64_CONSTANT (64) << 20 },
    { "MB", 64, 64000000 },
    { "M", 64, G_GUINT64_CONSTANT (64) << 20 },
    { "MiB", 64, G_GUINT64_CONSTANT (64) << 20 },
    { "mib", 64, G_GUINT64_CONSTANT (64) << 20 },
    /* 2 GB is not a whole number of 4 KiB pages: rounded up (post-parse). */
    { "GB", 2, 2000003072 },
    { "G", 2, G_GUINT64_CONSTANT (2) << 30 },
    { "GiB", 2, G_GUINT64_CONSTANT (2) << 30 },
    { "TB", 1, 1000000000000ULL },
    { "T", 1, G_GUINT64_CONSTANT (1) << 40 },
    { "TiB", 1, G_GUINT64_CONSTANT (1) << 40 },
    { "PB", 1, 1000000000000000ULL },
    { "P", 1, G_GUINT64_CONSTANT (1) << 50 },
    { "PiB", 2, G_GUINT64_CONSTANT (2) << 50 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *unit_attr
          = cases[i].unit != NULL ? g_strdup_printf (" unit='%s'", cases[i].unit) : g_strdup ("");
      g_autofree char *xml = g_strdup_printf (DOMAIN_HEAD "<memory%s>%" G_GUINT64_FORMAT
                                                          "</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
                                              unit_attr, cases[i].value);
      g_autoptr (GError) error = NULL;
      g_autoptr (HullDomainDef) def = NULL;

      def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NO_VALIDATE, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (def->memory, ==, cases[i].bytes);
    }
  /* EiB and EB are units too; the values only fail the size limit. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (HullDomainDef) def = hull_domain_def_parse (
        DOMAIN_HEAD "<memory unit='EiB'>1</memory><vcpu>1</vcpu>" DOMAIN_TAIL, -1,
        HULL_DOMAIN_PARSE_NO_VALIDATE, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (def->memory, ==, G_GUINT64_CONSTANT (1) << 60);
  }
}

static void
test_post_parse_defaults (void)
{
  g_autoptr (HullDomainDef) def = parse_ok (DOMAIN_HEAD "<memory unit='MiB'>64</memory>"
                                                        "<vcpu>3</vcpu>" DOMAIN_TAIL);
  g_autoptr (HullDomainDef) other = parse_ok (DOMAIN_HEAD "<memory unit='MiB'>64</memory>"
                                                          "<vcpu>3</vcpu>" DOMAIN_TAIL);

  g_assert_true (g_uuid_string_is_valid (def->uuid));
  g_assert_cmpstr (def->uuid, !=, other->uuid);
  g_assert_cmpuint (def->current_memory, ==, def->memory);
  g_assert_true (def->topology_set);
  g_assert_cmpuint (def->sockets, ==, 3);
  g_assert_cmpuint (def->dies * def->cores * def->threads, ==, 1);
  g_assert_cmpint (def->arch, ==, HULL_ARCH_X86_64);
  g_assert_cmpint (def->on_poweroff, ==, HULL_LIFECYCLE_DESTROY);
  g_assert_cmpint (def->on_reboot, ==, HULL_LIFECYCLE_RESTART);
  g_assert_cmpint (def->on_crash, ==, HULL_LIFECYCLE_DESTROY);
  g_assert_cmpint (def->x2apic, ==, HULL_X2APIC_REQUEST_SUPPORTED);
  g_assert_null (def->mmio_gaps);
}

static void
test_topology_and_layout (void)
{
  g_autoptr (HullDomainDef) def = parse_ok (
      DOMAIN_HEAD "<memory unit='GiB'>4</memory><vcpu>12</vcpu>"
                  "<cpu><topology sockets='2' cores='3' threads='2'/></cpu>" DOMAIN_TAIL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HullProcessorTopology) topology = hull_domain_def_build_topology (def, &error);
  g_autoptr (HullMemoryLayout) layout = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (hull_processor_topology_get_vp_count (topology), ==, 12);
  g_assert_true (hull_processor_topology_get_smt_enabled (topology));
  /* 6 VPs per socket round up to 8 APIC ids per socket. */
  g_assert_cmpuint (hull_processor_topology_get_vp (topology, 6)->apic_id, ==, 8);

  layout = hull_domain_def_build_memory_layout (def, &error);
  g_assert_no_error (error);
  /* 3 GiB below the default 32-bit MMIO gap, the rest from 4 GiB. */
  g_assert_cmpuint (hull_memory_layout_get_max_ram_below_4gb (layout), ==,
                    G_GUINT64_CONSTANT (3) << 30);
  g_assert_cmpuint (hull_memory_layout_get_end_of_ram (layout), ==, G_GUINT64_CONSTANT (5) << 30);
}

static void
test_lenient (void)
{
  const char *xml = DOMAIN_HEAD "<memory unit='MiB' dumpCore='on'>64</memory><vcpu>1</vcpu>\n"
                                "<features><acpi/></features>\n"
                                "<devices><emulator>/usr/bin/qemu</emulator></devices>"
                                "<clock offset='utc'/>" DOMAIN_TAIL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) warnings = NULL;
  g_autoptr (HullDomainDef) strict = NULL;
  g_autoptr (HullDomainDef) lenient = NULL;

  strict = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, &warnings, &error);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "dumpCore"));
  g_assert_nonnull (strstr (error->message, "line 1"));
  g_assert_null (strict);
  /* A failed strict parse hands back an empty list of warnings. */
  g_assert_nonnull (warnings);
  g_assert_cmpuint (warnings->len, ==, 0);
  g_clear_pointer (&warnings, g_ptr_array_unref);
  g_clear_error (&error);

  lenient = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_LENIENT, &warnings, &error);
  g_assert_no_error (error);
  g_assert_nonnull (lenient);
  g_assert_cmpuint (warnings->len, ==, 4);
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 0), "'dumpCore'"));
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 1), "line 2: element <features>"));
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 2), "line 3: element <emulator>"));
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 3), "<clock>"));
  g_assert_cmpuint (lenient->memory, ==, G_GUINT64_CONSTANT (64) << 20);
}

#define HULL_HEAD                                                                                  \
  "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"            \
  "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"

/* A lenient parse that fails still hands back what it skipped before. */
static void
test_lenient_warnings_on_failure (void)
{
  const char *xml = BASIC "<features/>\n<on_crash>explode</on_crash>" DOMAIN_TAIL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) warnings = NULL;
  g_autoptr (HullDomainDef) def = NULL;

  def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_LENIENT, &warnings, &error);
  g_assert_null (def);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID);
  g_assert_nonnull (strstr (error->message, "'explode'"));
  g_assert_nonnull (warnings);
  g_assert_cmpuint (warnings->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 0), "element <features>"));
}

/* Children of elements that hold only attributes are listed, not dropped. */
static void
test_lenient_leaf_children (void)
{
  const char *xml = HULL_HEAD "<cpu><topology sockets='1'><numa/></topology></cpu>"
                              "<devices><disk type='file'><source file='/a'><seclabel/></source>"
                              "<target dev='vda'/></disk></devices>"
                              "<hull:apic x2apic='enabled'><hull:foo/></hull:apic>" DOMAIN_TAIL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) warnings = NULL;
  g_autoptr (HullDomainDef) def = NULL;

  def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_LENIENT, &warnings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (warnings->len, ==, 3);
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 0), "element <numa>"));
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 1), "element <seclabel>"));
  g_assert_nonnull (strstr (g_ptr_array_index (warnings, 2), "element <hull:foo>"));
  g_assert_cmpint (def->x2apic, ==, HULL_X2APIC_REQUEST_ENABLED);
}

/* libvirt rounds sizes up to KiB; Hull rounds memory and current memory up
 * to whole 4 KiB pages. */
static void
test_memory_rounded_up (void)
{
  g_autoptr (HullDomainDef) def = NULL;
  g_autoptr (HullDomainDef) gb = NULL;
  g_autofree char *xml = NULL;

  def = parse_ok (DOMAIN_HEAD "<memory unit='b'>16777217</memory><vcpu>1</vcpu>" DOMAIN_TAIL);
  g_assert_cmpuint (def->memory, ==, (G_GUINT64_CONSTANT (16) << 20) + 4096);
  g_assert_cmpuint (def->current_memory, ==, def->memory);

  gb = parse_ok (DOMAIN_HEAD
                 "<memory unit='GB'>1</memory>"
                 "<currentMemory unit='MB'>500</currentMemory><vcpu>1</vcpu>" DOMAIN_TAIL);
  /* 10^9 = 244140.625 pages; 5 × 10^8 = 122070.3125 pages. */
  g_assert_cmpuint (gb->memory, ==, G_GUINT64_CONSTANT (244141) * 4096);
  g_assert_cmpuint (gb->current_memory, ==, G_GUINT64_CONSTANT (122071) * 4096);
  xml = hull_domain_def_format (gb);
  g_assert_nonnull (strstr (xml, "<memory unit='KiB'>976564</memory>"));
  g_assert_nonnull (strstr (xml, "<currentMemory unit='KiB'>488284</currentMemory>"));
}

/* Validation still refuses unaligned sizes in definitions built in code. */
static void
test_validate_unaligned_memory (void)
{
  g_autoptr (HullDomainDef) def = parse_ok (BASIC DOMAIN_TAIL);
  g_autoptr (GError) error = NULL;

  def->current_memory = def->memory - 512;
  g_assert_false (hull_domain_def_validate (def, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID);
  g_assert_nonnull (strstr (error->message, "multiple of 4 KiB"));
}

static void
test_uuid_without_dashes (void)
{
  g_autoptr (HullDomainDef) def
      = parse_ok (BASIC "<uuid> 4DEA22B31D52D8F32516782E98AB3FA0 </uuid>" DOMAIN_TAIL);
  g_autofree char *xml = hull_domain_def_format (def);

  g_assert_cmpstr (def->uuid, ==, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
  g_assert_nonnull (strstr (xml, "<uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>"));
}

/* virsh dumpxml's serial port and newer libvirt's clusters='1'. */
static void
test_libvirt_serial_and_clusters (void)
{
  g_autoptr (HullDomainDef) def = parse_ok (
      DOMAIN_HEAD "<memory unit='MiB'>64</memory><vcpu>2</vcpu>"
                  "<cpu><topology sockets='1' dies='1' clusters='1' cores='2' threads='1'/></cpu>"
                  "<devices><serial type='pty'><target type='isa-serial' port='1'>"
                  "<model name='isa-serial'/></target></serial>"
                  "<console type='pty'><target type='serial' port='1'/></console>"
                  "</devices>" DOMAIN_TAIL);
  g_autofree char *xml = hull_domain_def_format (def);
  const HullChardevDef *serial = g_ptr_array_index (def->serials, 0);

  g_assert_cmpuint (def->cores, ==, 2);
  g_assert_cmpuint (serial->port, ==, 1);
  /* The canonical form leaves out what has only one possible value. */
  g_assert_null (strstr (xml, "clusters"));
  g_assert_null (strstr (xml, "isa-serial"));
  g_assert_null (strstr (xml, "<model"));
  g_assert_nonnull (strstr (xml, "<target port='1'/>"));
}

/* The 52-bit limit itself is fine. */
static void
test_layout_at_address_limit (void)
{
  g_autoptr (HullDomainDef) def = parse_ok (
      HULL_HEAD "<hull:memory-layout><hull:mmio-gap start='0xffffffef00000' size='0x100000'/>"
                "</hull:memory-layout>"
                "<hull:vtl2 start='0xffffffffff000' size='0x1000'/>" DOMAIN_TAIL);

  g_assert_cmpuint (def->vtl2.end, ==, HULL_DOMAIN_MAX_ADDRESS);
  g_assert_cmpuint (g_array_index (def->mmio_gaps, HullMemoryRange, 0).end, ==,
                    HULL_DOMAIN_MAX_ADDRESS - 0x1000000);
}

/* ------------------------------------------------------------------ */
/* Numbers and units */

static void
test_units_scale_overflow_names_unit (void)
{
  static const struct
  {
    const char *unit;
    guint64 default_unit;
    const char *needle;
  } cases[] = {
    { NULL, 1024, "18446744073709551615 KiB does not fit" },
    { NULL, G_GUINT64_CONSTANT (1) << 20, "18446744073709551615 MiB does not fit" },
    { "", 1000, "18446744073709551615 KB does not fit" },
    { NULL, 3, "18446744073709551615 units of 3 bytes do not fit" },
    { "GiB", 1024, "18446744073709551615 GiB does not fit" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      guint64 result;

      g_assert_false (
          hull_units_scale (G_MAXUINT64, cases[i].unit, cases[i].default_unit, &result, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
    }
}

static void
test_units_parse_number_maximum (void)
{
  static const struct
  {
    const char *text;
    guint64 max;
    const char *needle;
  } cases[] = {
    { "65536", G_MAXUINT16, "65536 is larger than the maximum 65535" },
    { "0x10000", G_MAXUINT16, "0x10000 is larger than the maximum 0xffff" },
    { "0x10000000000000000", G_MAXUINT64,
      "0x10000000000000000 is larger than the maximum 0xffffffffffffffff" },
    { "99999999999999999999999", G_MAXUINT32,
      "99999999999999999999999 is larger than the maximum 4294967295" },
    { "0xfg", G_MAXUINT64, "'0xfg' is not a number" },
    { "+1", G_MAXUINT64, "'+1' is not a number" },
    { "0x", G_MAXUINT64, "'0x' is not a number" },
  };
  guint64 value;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (hull_units_parse_number (cases[i].text, cases[i].max, &value, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
    }
  g_assert_true (hull_units_parse_number ("0xFFFF", G_MAXUINT16, &value, NULL));
  g_assert_cmpuint (value, ==, 0xffff);
}

static void
test_units_format_size (void)
{
  static const struct
  {
    guint64 bytes;
    const char *text;
  } cases[] = {
    { 0, "0 bytes" },
    { 1, "1 byte" },
    { 1000, "1000 bytes" },
    { 4096, "4 KiB" },
    { 1025 * 1024, "1025 KiB" },
    { G_GUINT64_CONSTANT (1) << 60, "1 EiB" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = hull_units_format_size (cases[i].bytes);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* g_return_val_if_fail() before anything is allocated: no leak (valgrind). */
static void
test_program_add_vp_null (void)
{
  g_test_expect_message ("Hull", G_LOG_LEVEL_CRITICAL, "*program != NULL*");
  g_assert_null (hull_test_program_add_vp (NULL, 0, 1));
  g_test_assert_expected_messages ();
}

/* ------------------------------------------------------------------ */
/* Bad input: each case names the error code and words the message must
 * contain, so a wrong or vague message fails the test. */

typedef struct
{
  const char *name;
  const char *xml;
  HullError code;
  const char *needles[3];
} BadCase;

static const BadCase bad_cases[] = {
  { "empty", "", HULL_ERROR_XML_SYNTAX, { "malformed XML" } },
  { "malformed",
    "<domain type='test'>\n<name>x</nam>",
    HULL_ERROR_XML_SYNTAX,
    { "line 2", "malformed XML" } },
  { "non-utf8",
    "<domain type='test'><name>\xff\xfe</name></domain>",
    HULL_ERROR_XML_SYNTAX,
    { "line 1", "UTF-8" } },
  { "doctype",
    "<!DOCTYPE domain [<!ENTITY a 'aaaa'>]>\n<domain type='test'/>",
    HULL_ERROR_XML_INVALID,
    { "DOCTYPE" } },
  { "wrong-root", "<vm type='test'/>", HULL_ERROR_XML_INVALID, { "<vm>", "<domain>" } },
  { "no-type", "<domain><name>x</name></domain>", HULL_ERROR_XML_INVALID, { "'type' is missing" } },
  { "type-qemu", "<domain type='qemu'/>", HULL_ERROR_NOT_SUPPORTED, { "'qemu'", "kvm" } },
  { "no-name",
    "<domain type='test'><memory>65536</memory><vcpu>1</vcpu></domain>",
    HULL_ERROR_XML_INVALID,
    { "<name> is missing" } },
  { "no-memory",
    "<domain type='test'><name>x</name><vcpu>1</vcpu></domain>",
    HULL_ERROR_XML_INVALID,
    { "<memory> is missing" } },
  { "no-vcpu",
    "<domain type='test'><name>x</name><memory>65536</memory></domain>",
    HULL_ERROR_XML_INVALID,
    { "<vcpu> is missing" } },
  { "unknown-unit",
    DOMAIN_HEAD "\n<memory unit='XiB'>1</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "line 2", "<memory>", "'XiB'" } },
  { "memory-overflow",
    DOMAIN_HEAD "<memory unit='EiB'>99999</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "<memory>", "99999", "64 bits" } },
  { "memory-too-large",
    DOMAIN_HEAD "<memory unit='EiB'>1</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "domain 't'", "1 EiB", "4 PiB maximum" } },
  { "memory-digits-overflow",
    DOMAIN_HEAD "<memory>99999999999999999999999</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<memory>", "99999999999999999999999" } },
  { "memory-negative",
    DOMAIN_HEAD "<memory>-1</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'-1'", "whole number" } },
  { "memory-too-small",
    DOMAIN_HEAD "<memory unit='MiB'>3</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "domain 't'", "3 MiB", "16 MiB minimum" } },
  { "memory-ends-above-52-bits",
    DOMAIN_HEAD "\n<memory unit='PiB'>4</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "line 2", "RAM of 4 PiB ends at 0x10000440000000",
      "above the 52-bit physical address limit" } },
  { "current-memory-zero",
    BASIC "<currentMemory>0</currentMemory>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "current memory 0 bytes", "above zero" } },
  { "current-above-memory",
    DOMAIN_HEAD "<memory unit='MiB'>64</memory><currentMemory unit='MiB'>128</currentMemory>"
                "<vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "current memory 128 MiB", "64 MiB" } },
  { "vcpu-zero",
    DOMAIN_HEAD "<memory unit='MiB'>64</memory><vcpu>0</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "at least one vCPU" } },
  { "vcpu-million",
    DOMAIN_HEAD "<memory unit='MiB'>64</memory><vcpu>1000000</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "1000000 vCPUs", "4096" } },
  { "vcpu-text",
    DOMAIN_HEAD "<memory unit='MiB'>64</memory><vcpu>two</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<vcpu>", "'two'" } },
  { "vcpu-placement-auto",
    DOMAIN_HEAD "<memory unit='MiB'>64</memory><vcpu placement='auto'>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "placement 'auto'" } },
  { "topology-mismatch",
    BASIC "<cpu>\n<topology sockets='2' cores='2' threads='1'/></cpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "line 2", "sockets=2, dies=1, cores=2, threads=1", "vCPU count 1" } },
  { "topology-zero",
    BASIC "<cpu><topology sockets='0'/></cpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "at least 1" } },
  { "topology-huge",
    DOMAIN_HEAD "<memory unit='MiB'>64</memory><vcpu>4</vcpu><cpu><topology sockets='4294967295' "
                "cores='4294967295' threads='2'/></cpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "does not match the vCPU count 4" } },
  { "topology-threads-3",
    DOMAIN_HEAD
    "<memory unit='MiB'>64</memory><vcpu>3</vcpu><cpu><topology threads='3'/></cpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "domain 't'", "thread" } },
  { "xapic-too-many",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>256</vcpu><hull:apic x2apic='unsupported'/>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "domain 't'", "APIC" } },
  { "duplicate-memory",
    DOMAIN_HEAD "<memory>65536</memory>\n<memory>65536</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "line 2", "<memory>", "duplicate element (the first is on line 1)" } },
  { "duplicate-kernel",
    "<domain type='kvm'><name>t</name><memory>65536</memory><vcpu>1</vcpu>"
    "<os><kernel>/a</kernel><kernel>/b</kernel></os>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<kernel>", "duplicate" } },
  { "bad-uuid",
    BASIC "<uuid>not-a-uuid</uuid>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<uuid>", "'not-a-uuid'", "is not a UUID" } },
  { "uuid-short",
    BASIC "<uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa</uuid>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "is not a UUID" } },
  { "name-slash",
    "<domain type='test'><name>a/b</name><memory>65536</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<name>", "'/'" } },
  { "name-empty",
    "<domain type='test'><name></name><memory>65536</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<name>", "empty" } },
  { "name-dot",
    "<domain type='test'><name>.hidden</name><memory>65536</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'.'" } },
  { "name-too-long",
    "<domain "
    "type='test'><name>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</name>"
    "<memory>65536</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "64 bytes" } },
  { "name-control",
    "<domain type='test'><name>a&#9;b</name><memory>65536</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "control characters" } },
  { "title-newline",
    BASIC "\n<title>a\nb</title>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "line 2", "<title>", "single line" } },
  { "uuid-31-digits",
    BASIC "<uuid>4dea22b31d52d8f32516782e98ab3fa</uuid>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "is not a UUID" } },
  { "uuid-some-dashes",
    BASIC "<uuid>4dea22b3-1d52d8f3-2516-782e98ab3fa0</uuid>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "is not a UUID" } },
  { "uuid-32-non-hex",
    BASIC "<uuid>4dea22b31d52d8f32516782e98ab3fag</uuid>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "is not a UUID" } },
  { "kernel-control-character",
    "<domain type='kvm'><name>t</name><memory>65536</memory><vcpu>1</vcpu>"
    "<os><kernel>/boot/vm&#9;linux</kernel></os>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<kernel>", "path '/boot/vm\\x09linux'", "contains a control character" } },
  { "initrd-control-character",
    BASIC "<os><kernel>/k</kernel><initrd>/init&#13;rd</initrd></os>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<initrd>", "contains a control character" } },
  { "disk-source-control-character",
    BASIC "<devices><disk type='file'><source file='/a&#10;b'/><target dev='vda'/></disk>"
          "</devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<source>", "'/a\\x0ab'", "contains a control character" } },
  { "chardev-path-control-character",
    BASIC "<devices><serial type='file'><source path='/log&#9;'/></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<source>", "contains a control character" } },
  { "disk-driver-name-empty",
    BASIC "<devices><disk type='file'><driver name=''/><source file='/a'/><target dev='vda'/>"
          "</disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<driver>", "driver name is empty" } },
  { "topology-child",
    BASIC "<cpu><topology sockets='1' cores='2'><numa/></topology></cpu>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <numa> is not supported" } },
  { "topology-text",
    BASIC "<cpu><topology sockets='1'>2</topology></cpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<topology>", "unexpected text" } },
  { "topology-clusters-2",
    BASIC "<cpu><topology clusters='2'/></cpu>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "clusters='2'", "clusters other than 1" } },
  { "topology-clusters-text",
    BASIC "<cpu><topology clusters='one'/></cpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "clusters 'one'", "whole number" } },
  { "serial-target-model-x",
    BASIC "<devices><serial type='pty'><target port='0'><model name='x'/></target></serial>"
          "</devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "<model>", "model 'x'", "isa-serial" } },
  { "serial-target-model-no-name",
    BASIC "<devices><serial type='pty'><target><model/></target></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<model>", "'name' is missing" } },
  { "serial-target-model-twice",
    BASIC "<devices><serial type='pty'><target><model name='isa-serial'/>"
          "<model name='isa-serial'/></target></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<model>", "duplicate" } },
  { "serial-target-other-child",
    BASIC
    "<devices><serial type='pty'><target><alias name='s'/></target></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <alias>" } },
  { "serial-target-type-pci",
    BASIC "<devices><serial type='pty'><target type='pci-serial'/></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "serial target type 'pci-serial'" } },
  { "serial-target-text",
    BASIC "<devices><serial type='pty'><target>0</target></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<target>", "unexpected text" } },
  { "console-target-model",
    BASIC "<devices><console type='pty'><target port='0'><model name='isa-serial'/></target>"
          "</console></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <model> is not supported" } },
  { "chardev-source-child",
    BASIC "<devices><serial type='file'><source path='/log'><seclabel/></source></serial>"
          "</devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <seclabel>" } },
  { "disk-target-text",
    BASIC "<devices><disk type='file'><source file='/a'/><target dev='vda'>junk</target></disk>"
          "</devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<target>", "unexpected text" } },
  { "disk-driver-child",
    BASIC "<devices><disk type='file'><driver type='raw'><iotune/></driver><source file='/a'/>"
          "<target dev='vda'/></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <iotune>" } },
  { "disk-source-child",
    BASIC "<devices><disk type='file'><source file='/a'><reservations/></source>"
          "<target dev='vda'/></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <reservations>" } },
  { "disk-readonly-text",
    BASIC "<devices><disk type='file'><source file='/a'/><target dev='vda'/>"
          "<readonly>yes</readonly></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<readonly>", "unexpected text" } },
  { "hull-apic-child",
    HULL_HEAD "<hull:apic x2apic='enabled'><hull:foo/></hull:apic>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <hull:foo>" } },
  { "hull-isolation-text",
    HULL_HEAD "<hull:isolation type='vbs'>strong</hull:isolation>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<hull:isolation>", "unexpected text" } },
  { "hull-hyperv-child",
    HULL_HEAD "<hull:hyperv state='on'><hull:relaxed/></hull:hyperv>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <hull:relaxed>" } },
  { "hull-mmio-gap-child",
    HULL_HEAD "<hull:memory-layout><hull:mmio-gap start='0xc0000000' size='0x1000'><x/>"
              "</hull:mmio-gap></hull:memory-layout>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <x>" } },
  { "hull-vtl2-text",
    HULL_HEAD "<hull:vtl2 start='0x100000000' size='0x1000'>text</hull:vtl2>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<hull:vtl2>", "unexpected text" } },
  { "program-step-child",
    HULL_HEAD "<hull:test-program><hull:vp index='0'><hull:halt reason='reset'><hull:now/>"
              "</hull:halt></hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <hull:now>" } },
  { "program-step-text",
    HULL_HEAD "<hull:test-program><hull:vp index='0'><hull:spin usec='1'>long</hull:spin>"
              "</hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<hull:spin>", "unexpected text" } },
  { "program-fault-text",
    HULL_HEAD
    "<hull:test-program><hull:fault stage='run'>now</hull:fault></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<hull:fault>", "unexpected text" } },
  { "relative-kernel",
    "<domain type='kvm'><name>t</name><memory>65536</memory><vcpu>1</vcpu>"
    "<os><kernel>boot/vmlinux</kernel></os>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<kernel>", "'boot/vmlinux'", "not absolute" } },
  { "relative-initrd",
    BASIC "<os><kernel>/k</kernel><initrd>initrd.img</initrd></os>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<initrd>", "not absolute" } },
  { "kvm-without-kernel",
    "<domain type='kvm'><name>t</name><memory>65536</memory><vcpu>1</vcpu>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<kernel>", "no firmware" } },
  { "cmdline-without-kernel",
    BASIC "<os><cmdline>quiet</cmdline></os>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "need a <kernel>" } },
  { "os-type-linux",
    BASIC "<os><type>linux</type></os>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "'linux'", "hvm" } },
  { "arch-arm",
    BASIC "<os><type arch='aarch64'>hvm</type></os>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "'aarch64'" } },
  { "os-boot-dev",
    BASIC "<os><boot dev='hd'/></os>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "element <boot>" } },
  { "machine-attr",
    BASIC "<os><type machine='pc'>hvm</type></os>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "attribute 'machine' of <type>" } },
  { "unknown-element",
    BASIC "\n\n<features/>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "line 3", "element <features> is not supported" } },
  { "foreign-namespace",
    BASIC "<q:commandline xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'/>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "{http://libvirt.org/schemas/domain/qemu/1.0}commandline" } },
  { "unknown-hull-element",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:turbo/>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "<hull:turbo>" } },
  { "text-in-devices",
    BASIC "<devices>junk</devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<devices>", "unexpected text" } },
  { "element-in-name",
    "<domain type='test'><name><b>x</b></name>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<name>", "unexpected element <b>" } },
  { "lifecycle-unknown",
    BASIC "<on_crash>explode</on_crash>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<on_crash>", "'explode'" } },
  { "lifecycle-coredump-poweroff",
    BASIC "<on_poweroff>coredump-destroy</on_poweroff>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<on_poweroff>", "only to <on_crash>" } },
  { "lifecycle-rename-restart",
    BASIC "<on_reboot>rename-restart</on_reboot>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "'rename-restart'", "not supported" } },
  { "serial-tcp",
    BASIC "<devices><serial type='tcp'/></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "'tcp'" } },
  { "serial-file-no-path",
    BASIC "<devices><serial type='file'/></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<serial>", "source path" } },
  { "serial-pty-source",
    BASIC "<devices><serial type='pty'><source path='/x'/></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'pty'", "no <source>" } },
  { "serial-port-7",
    BASIC "<devices><serial type='pty'><target port='7'/></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "serial port 7", "0 to 3" } },
  { "serial-port-twice",
    BASIC "<devices><serial type='pty'><target port='0'/></serial>\n"
          "<serial type='null'><target port='0'/></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "line 2", "serial port 0 is already used" } },
  { "serial-five",
    BASIC "<devices><serial type='null'/><serial type='null'/><serial type='null'/>"
          "<serial type='null'/><serial type='null'/></devices>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "at most 4 serial ports" } },
  { "unix-bad-mode",
    BASIC
    "<devices><serial type='unix'><source mode='listen' path='/s'/></serial></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'listen'" } },
  { "console-virtio",
    BASIC "<devices><console type='pty'><target type='virtio'/></console></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "'virtio'" } },
  { "console-no-serial",
    BASIC "<devices><serial type='pty'/><console type='pty'><target "
          "port='1'/></console></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "serial port 1" } },
  { "console-mismatch",
    BASIC "<devices><serial type='null'/><console type='pty'/></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "console differs from serial port 0" } },
  { "disk-network",
    BASIC "<devices><disk type='network'/></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "disk type 'network'" } },
  { "disk-cdrom",
    BASIC "<devices><disk type='file' device='cdrom'/></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "'cdrom'" } },
  { "disk-qcow2",
    BASIC "<devices><disk type='file'><driver type='qcow2'/></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "'qcow2'", "raw" } },
  { "disk-no-source",
    BASIC "<devices><disk type='file'><target dev='vda'/></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<disk>", "<source> is missing" } },
  { "disk-wrong-source",
    BASIC "<devices><disk type='file'><source dev='/dev/sda'/></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "attribute 'dev' of <source>" } },
  { "disk-relative",
    BASIC "<devices><disk type='file'><source file='a.img'/><target "
          "dev='vda'/></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'a.img'", "not absolute" } },
  { "disk-hda",
    BASIC "<devices><disk type='file'><source file='/a.img'/><target "
          "dev='hda'/></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'hda'", "virtio disk name" } },
  { "disk-ide",
    BASIC "<devices><disk type='file'><source file='/a'/><target dev='vda' bus='ide'/></disk>"
          "</devices>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "bus 'ide'" } },
  { "disk-twice",
    BASIC "<devices><disk type='file'><source file='/a'/><target dev='vda'/></disk>"
          "<disk type='file'><source file='/b'/><target dev='vda'/></disk></devices>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'vda' is already used" } },
  { "hull-bad-number",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:vtl2 start='zz' size='0x1000'/>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<hull:vtl2>", "'start'", "'zz' is not a number" } },
  { "hull-number-overflow-hex",
    HULL_HEAD "<hull:vtl2 start='0x10000000000000000' size='0x1000'/>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'start'", "is larger than the maximum 0xffffffffffffffff" } },
  { "hull-number-overflow-decimal",
    HULL_HEAD "<hull:test-program><hull:vp index='0'><hull:spin usec='99999999999999999999'/>"
              "</hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'usec'", "is larger than the maximum 4294967295" } },
  { "hull-mmio-gap-above-52-bits",
    HULL_HEAD "\n<hull:memory-layout><hull:mmio-gap start='0xf000000000000000' size='0x1000'/>"
              "</hull:memory-layout>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "line 2", "MMIO gap at 0xf000000000000000 ends at 0xf000000000001000",
      "above the 52-bit physical address limit" } },
  { "hull-vtl2-above-52-bits",
    HULL_HEAD "<hull:vtl2 start='0xfffffffff0000000' size='0x1000'/>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "VTL2 range ends at 0xfffffffff0001000", "above the 52-bit physical address limit" } },
  { "hull-vtl2-just-above-52-bits",
    HULL_HEAD "<hull:vtl2 start='0xffffffffff000' size='0x2000'/>" DOMAIN_TAIL,
    HULL_ERROR_LIMIT_EXCEEDED,
    { "ends at 0x10000000001000", "52-bit" } },
  { "hull-range-wraps",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
    "<hull:vtl2 start='0xffffffffffff0000' size='0x100000'/>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "beyond the 64-bit address space" } },
  { "hull-gaps-overlap",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu>\n<hull:memory-layout>"
    "<hull:mmio-gap start='0x10000000' size='0x10000000'/>"
    "<hull:mmio-gap start='0x18000000' size='0x10000000'/></hull:memory-layout>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "domain 't'", "line 2", "overlap" } },
  { "hull-vtl2-below-ram",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
    "<hull:vtl2 start='0x1000000' size='0x100000'/>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "domain 't'", "VTL2" } },
  { "hull-x2apic-bad",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:apic x2apic='maybe'/>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'maybe'" } },
  { "program-on-kvm",
    "<domain type='kvm' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><kernel>/k</kernel></os>"
    "<hull:test-program/>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "type='test'" } },
  { "program-vp-out-of-range",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program>\n<hull:vp index='1'/>"
    "</hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "line 2", "index='1'" } },
  { "program-vp-twice",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program><hull:vp index='0'/>"
    "<hull:vp index='0'/></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "VP 0 already has a program" } },
  { "program-jump-past-end",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program><hull:vp index='0'>"
    "<hull:jump step='5'/></hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "step='5'", "past the end" } },
  { "program-out-size-3",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program><hull:vp index='0'>"
    "<hull:out port='0x80' value='1' size='3'/></hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "<hull:out>", "size 3" } },
  { "program-out-value-too-big",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program><hull:vp index='0'>"
    "<hull:out port='0x80' value='0x100'/></hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'value'", "0x100" } },
  { "program-port-too-big",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program><hull:vp index='0'>"
    "<hull:in port='0x10000'/></hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'port'", "larger than the maximum 0xffff" } },
  { "program-port-too-big-decimal",
    HULL_HEAD "<hull:test-program><hull:vp index='0'><hull:in port='65536'/></hull:vp>"
              "</hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'port'", "65536 is larger than the maximum 65535" } },
  { "program-halt-reason",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program><hull:vp index='0'>"
    "<hull:halt reason='nap'/></hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "'nap'" } },
  { "program-unknown-step",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program><hull:vp index='0'>"
    "<hull:nop/></hull:vp></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_NOT_SUPPORTED,
    { "<hull:nop>" } },
  { "fault-build-vp",
    "<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'><name>t</name>"
    "<memory unit='MiB'>64</memory><vcpu>1</vcpu><hull:test-program>"
    "<hull:fault stage='build' vp='0'/></hull:test-program>" DOMAIN_TAIL,
    HULL_ERROR_XML_INVALID,
    { "build fault", "'vp'" } },
};

static void
test_bad_input (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def
      = hull_domain_def_parse (c->xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);

  g_assert_null (def);
  g_assert_nonnull (error);
  g_test_message ("%s: %s", c->name, error->message);
  g_assert_error (error, HULL_ERROR, (gint)c->code);
  for (guint i = 0; i < G_N_ELEMENTS (c->needles) && c->needles[i] != NULL; i++)
    if (strstr (error->message, c->needles[i]) == NULL)
      g_error ("%s: message \"%s\" does not contain \"%s\"", c->name, error->message,
               c->needles[i]);
}

static void
test_bad_huge_document (void)
{
  gsize size = 50 * 1024 * 1024;
  g_autofree char *xml = g_malloc (size + 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;

  memset (xml, ' ', size);
  memcpy (xml, "<domain type='test'>", 20);
  xml[size] = '\0';
  def = hull_domain_def_parse (xml, size, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_null (def);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "52428800 bytes"));
}

static void
test_bad_huge_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("hull-huge-XXXXXX.xml", &path, &error);

  g_assert_no_error (error);
  /* A sparse 50 MB file: refused from its size before it is read. */
  g_assert_cmpint (ftruncate (fd, 50 * 1024 * 1024), ==, 0);
  close (fd);
  def = hull_domain_def_parse_file (path, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_null (def);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED);
  g_assert_nonnull (strstr (error->message, path));
  g_unlink (path);
}

static void
test_bad_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = hull_domain_def_parse_file ("/nonexistent/hull/web1.xml",
                                                              HULL_DOMAIN_PARSE_NONE, NULL, &error);

  g_assert_null (def);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/hull/web1.xml"));
}

/* /dev/zero never ends: refused after the limit, not read until memory runs
 * out. */
static void
test_file_dev_zero (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (HullDomainDef) def = NULL;

  if (!g_file_test ("/dev/zero", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no /dev/zero");
      return;
    }
  def = hull_domain_def_parse_file ("/dev/zero", HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_null (def);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED);
  g_assert_cmpstr (error->message, ==, "/dev/zero: more than 4194304 bytes of domain XML");
  g_assert_cmpfloat (g_timer_elapsed (timer, NULL), <, 30.0);
}

/* Writes 5 MB into the file descriptor or the FIFO it opens, until the
 * reader goes away (EPIPE; SIGPIPE is ignored). */
typedef struct
{
  const char *fifo;
  int fd;
  gsize written;
} Writer;

static gpointer
write_5mb (gpointer data)
{
  Writer *writer = data;
  static char chunk[64 * 1024];
  int fd = writer->fifo != NULL ? open (writer->fifo, O_WRONLY | O_CLOEXEC) : writer->fd;

  g_assert_cmpint (fd, >=, 0);
  memset (chunk, ' ', sizeof chunk);
  while (writer->written < 5 * 1000 * 1000)
    {
      ssize_t n = write (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      writer->written += (gsize)n;
    }
  close (fd);
  return NULL;
}

static void
test_file_fifo (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hull-fifo-XXXXXX", &error);
  g_autofree char *path = NULL;
  Writer writer = { 0 };
  GThread *thread;

  g_assert_no_error (error);
  path = g_build_filename (dir, "domain.xml", NULL);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  writer.fifo = path;
  thread = g_thread_new ("fifo-writer", write_5mb, &writer);
  def = hull_domain_def_parse_file (path, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_thread_join (thread);
  g_assert_null (def);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "more than 4194304 bytes of domain XML"));
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_read_fd_pipe (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  Writer writer = { 0 };
  GThread *thread;
  gsize length = 0;
  int fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  writer.fd = fds[1];
  thread = g_thread_new ("pipe-writer", write_5mb, &writer);
  contents = hull_domain_def_read_fd (fds[0], "pipe", &length, &error);
  close (fds[0]);
  g_thread_join (thread);
  g_assert_null (contents);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED);
  g_assert_cmpstr (error->message, ==, "pipe: more than 4194304 bytes of domain XML");
}

/* Exactly the limit is fine; the document is returned whole. */
static void
test_read_fd_at_limit (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  int fd = g_file_open_tmp ("hull-limit-XXXXXX.xml", &path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (ftruncate (fd, HULL_DOMAIN_XML_MAX_SIZE), ==, 0);
  contents = hull_domain_def_read_fd (fd, path, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (length, ==, HULL_DOMAIN_XML_MAX_SIZE);
  g_assert_cmpint (contents[length], ==, '\0');
  close (fd);
  g_unlink (path);
}

static void
test_file_directory (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hull-dir-XXXXXX", &error);

  g_assert_no_error (error);
  def = hull_domain_def_parse_file (dir, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_null (def);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_IO);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, dir));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_file_errors_name_the_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("hull-bad-XXXXXX.xml", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, "<domain type='test'>\n<name>x</name>\n<vcpu>1</vcpu>\n</domain>\n",
                       -1, &error);
  g_assert_no_error (error);
  def = hull_domain_def_parse_file (path, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_null (def);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, "<memory> is missing"));
  g_unlink (path);
}

/* ------------------------------------------------------------------ */

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *)a, *(char *const *)b);
}

static void
add_dir_tests (const char *prefix, const char *dir, GTestDataFunc func, gboolean names_only)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".xml"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_assert_cmpuint (names->len, >, 0);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      g_autofree char *base = g_strndup (n, strlen (n) - 4);
      g_autofree char *path = g_strconcat (prefix, base, NULL);
      char *arg = names_only ? g_strdup (n) : g_build_filename (dir, n, NULL);

      /* Test data lives as long as the program. */
      g_test_add_data_func_full (path, arg, func, g_free);
    }
}

int
main (int argc, char **argv)
{
  g_autofree char *in_dir = NULL;
  g_autofree char *examples_dir = NULL;

  g_test_init (&argc, &argv, NULL);
  /* The FIFO and pipe writers see EPIPE when the reader stops. */
  signal (SIGPIPE, SIG_IGN);

  in_dir = g_test_build_filename (G_TEST_DIST, "xml", "in", NULL);
  examples_dir = g_test_build_filename (G_TEST_DIST, "..", "xml", "examples", NULL);
  add_dir_tests ("/hull/xml/golden/", in_dir, test_golden, TRUE);
  add_dir_tests ("/hull/xml/examples/", examples_dir, test_example, FALSE);

  g_test_add_func ("/hull/xml/parse/memory-units", test_memory_units);
  g_test_add_func ("/hull/xml/post-parse/defaults", test_post_parse_defaults);
  g_test_add_func ("/hull/xml/topology-and-layout", test_topology_and_layout);
  g_test_add_func ("/hull/xml/parse/lenient-lists-what-it-skips", test_lenient);
  g_test_add_func ("/hull/xml/parse/lenient-warnings-on-failure", test_lenient_warnings_on_failure);
  g_test_add_func ("/hull/xml/parse/lenient-leaf-children", test_lenient_leaf_children);
  g_test_add_func ("/hull/xml/post-parse/memory-rounded-up-to-4k", test_memory_rounded_up);
  g_test_add_func ("/hull/xml/validate/unaligned-memory", test_validate_unaligned_memory);
  g_test_add_func ("/hull/xml/parse/uuid-without-dashes", test_uuid_without_dashes);
  g_test_add_func ("/hull/xml/parse/libvirt-serial-and-clusters", test_libvirt_serial_and_clusters);
  g_test_add_func ("/hull/xml/validate/layout-at-address-limit", test_layout_at_address_limit);
  g_test_add_func ("/hull/units/scale-overflow-names-unit", test_units_scale_overflow_names_unit);
  g_test_add_func ("/hull/units/parse-number-maximum", test_units_parse_number_maximum);
  g_test_add_func ("/hull/units/format-size", test_units_format_size);
  g_test_add_func ("/hull/test-program/add-vp-null", test_program_add_vp_null);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/hull/xml/bad/", bad_cases[i].name, NULL);

      g_test_add_data_func (path, &bad_cases[i], test_bad_input);
    }
  g_test_add_func ("/hull/xml/bad/huge-document", test_bad_huge_document);
  g_test_add_func ("/hull/xml/bad/huge-file", test_bad_huge_file);
  g_test_add_func ("/hull/xml/bad/missing-file", test_bad_missing_file);
  g_test_add_func ("/hull/xml/bad/file-errors-name-the-file", test_file_errors_name_the_file);
  g_test_add_func ("/hull/xml/bad/file-dev-zero", test_file_dev_zero);
  g_test_add_func ("/hull/xml/bad/file-fifo-5mb", test_file_fifo);
  g_test_add_func ("/hull/xml/bad/file-directory", test_file_directory);
  g_test_add_func ("/hull/xml/read-fd/pipe-5mb", test_read_fd_pipe);
  g_test_add_func ("/hull/xml/read-fd/at-limit", test_read_fd_at_limit);
  return g_test_run ();
}
