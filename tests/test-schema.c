/* The RelaxNG schema xml/schemas/domain.rng accepts the shipped examples, the
 * golden parser/formatter files and a set of valid variants, and rejects a set
 * of invalid documents. The parser agrees on both sets, and whatever the
 * formatter writes for the examples, golden inputs and valid variants matches
 * the schema. */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <libxml/parser.h>
#include "hull-domain-def.h"

#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>

/* libxml2 2.12 made the error argument of structured error handlers const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError HullXmlError;
#else
typedef xmlError HullXmlError;
#endif

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)

static xmlRelaxNG *schema;

/* Collects libxml2's messages, instead of letting it print them on stderr,
 * for the assertion messages. */
static void
collect_error (void *user_data, HullXmlError *error)
{
  GString *messages = user_data;
  const char *message = error->message != NULL ? error->message : "(no message)\n";

  if (error->file != NULL)
    g_string_append_printf (messages, "%s:%d: ", error->file, error->line);
  else if (error->line > 0)
    g_string_append_printf (messages, "line %d: ", error->line);
  g_string_append (messages, message);
  if (!g_str_has_suffix (message, "\n"))
    g_string_append_c (messages, '\n');
}

static xmlRelaxNG *
get_schema (void)
{
  if (schema == NULL)
    {
      g_autofree char *path
          = g_test_build_filename (G_TEST_DIST, "..", "xml", "schemas", "domain.rng", NULL);
      g_autoptr (GString) messages = g_string_new (NULL);
      g_autoptr (xmlRelaxNGParserCtxt) ctxt = xmlRelaxNGNewParserCtxt (path);

      g_assert_nonnull (ctxt);
      xmlRelaxNGSetParserStructuredErrors (ctxt, collect_error, messages);
      xmlSetStructuredErrorFunc (messages, collect_error);
      schema = xmlRelaxNGParse (ctxt);
      xmlSetStructuredErrorFunc (NULL, NULL);
      if (schema == NULL)
        g_error ("cannot load the schema %s:\n%s", path, messages->str);
    }
  return schema;
}

/* Parses a file (buffer NULL) or a buffer named name; NULL with the reason in
 * messages when it is not well-formed. */
static xmlDoc *
parse_document (const char *name, const char *buffer, GString *messages)
{
  xmlDoc *doc;

  xmlSetStructuredErrorFunc (messages, collect_error);
  if (buffer == NULL)
    doc = xmlReadFile (name, NULL, XML_PARSE_NONET);
  else
    doc = xmlReadMemory (buffer, (int)strlen (buffer), name, NULL, XML_PARSE_NONET);
  xmlSetStructuredErrorFunc (NULL, NULL);
  return doc;
}

static gboolean
validate_document (xmlDoc *doc, GString *messages)
{
  g_autoptr (xmlRelaxNGValidCtxt) ctxt = xmlRelaxNGNewValidCtxt (get_schema ());
  int rc;

  g_assert_nonnull (ctxt);
  xmlRelaxNGSetValidStructuredErrors (ctxt, collect_error, messages);
  xmlSetStructuredErrorFunc (messages, collect_error);
  rc = xmlRelaxNGValidateDoc (ctxt, doc);
  xmlSetStructuredErrorFunc (NULL, NULL);
  g_assert_cmpint (rc, >=, 0);
  return rc == 0;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Validates every *.xml in dir (sorted by name); reports each file that fails
 * and returns the number of files checked. */
static guint
validate_directory (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) handle = g_dir_open (dir, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (handle)) != NULL)
    if (g_str_has_suffix (name, ".xml"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autoptr (GString) messages = g_string_new (NULL);
      g_autoptr (xmlDoc) doc = parse_document (path, NULL, messages);

      if (doc == NULL)
        g_test_fail_printf ("%s is not well-formed:\n%s", path, messages->str);
      else if (!validate_document (doc, messages))
        g_test_fail_printf ("%s does not match the schema:\n%s", path, messages->str);
      else
        g_test_message ("%s: valid", path);
    }
  return names->len;
}

/* Parses @xml strictly with Hull's parser, formats the definition and
 * validates the output against the schema; fails the test (naming @name)
 * where any step fails. */
static void
check_formatted (const char *name, const char *xml)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def
      = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_autoptr (GString) messages = g_string_new (NULL);
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *formatted = NULL;

  if (def == NULL)
    {
      g_test_fail_printf ("the parser rejects %s: %s", name, error->message);
      return;
    }
  formatted = hull_domain_def_format (def);
  doc = parse_document (name, formatted, messages);
  if (doc == NULL)
    g_test_fail_printf ("the formatted %s is not well-formed:\n%s\n%s", name, messages->str,
                        formatted);
  else if (!validate_document (doc, messages))
    g_test_fail_printf ("the formatted %s does not match the schema:\n%s\n%s", name, messages->str,
                        formatted);
}

/* Formats every *.xml in @dir; returns how many there were. */
static guint
check_formatted_directory (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) handle = g_dir_open (dir, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (handle)) != NULL)
    if (g_str_has_suffix (name, ".xml"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree char *contents = NULL;

      g_file_get_contents (path, &contents, NULL, &error);
      g_assert_no_error (error);
      check_formatted (path, contents);
    }
  return names->len;
}

/* What the formatter writes for the examples and the golden inputs matches
 * the schema. */
static void
test_formatted_output (void)
{
  g_autofree char *examples = g_test_build_filename (G_TEST_DIST, "..", "xml", "examples", NULL);
  g_autofree char *in = g_test_build_filename (G_TEST_DIST, "xml", "in", NULL);

  g_assert_cmpuint (check_formatted_directory (examples), >=, 5);
  g_assert_cmpuint (check_formatted_directory (in), >=, 1);
}

static void
test_examples (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "..", "xml", "examples", NULL);
  guint n_checked = validate_directory (dir);

  g_assert_cmpuint (n_checked, >=, 5);
}

static void
test_golden (void)
{
  const char *const subdirs[] = { "in", "out" };
  g_autoptr (GString) empty = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "xml", subdirs[i], NULL);
      guint n_checked = validate_directory (dir);

      g_test_message ("%s: checked %u *.xml", dir, n_checked);
      if (n_checked == 0)
        g_string_append_printf (empty, "%s%s", empty->len > 0 ? ", " : "", dir);
    }
  /* A skip would hide a failure: only skip when everything found passed. */
  if (empty->len > 0 && !g_test_failed ())
    g_test_skip_printf ("no golden *.xml files yet in %s", empty->str);
}

/* Inline documents: a domain with the required elements plus the part under
 * test. */
#define HULL_NS "xmlns:hull='https://hullvm.org/schemas/domain/1'"
#define REQUIRED "<name>t</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
#define KERNEL "<os><kernel>/boot/vmlinux</kernel></os>"
#define TEST_DOMAIN(body) "<domain type='test' " HULL_NS ">" REQUIRED body "</domain>"
#define KVM_DOMAIN(body) "<domain type='kvm' " HULL_NS ">" REQUIRED KERNEL body "</domain>"
#define TEST_DOMAIN_2(body)                                                                        \
  "<domain type='test' " HULL_NS                                                                   \
  "><name>t</name><memory unit='MiB'>64</memory><vcpu>2</vcpu>" body "</domain>"
#define DEVICES(body) TEST_DOMAIN ("<devices>" body "</devices>")
#define PROGRAM(steps)                                                                             \
  TEST_DOMAIN ("<hull:test-program><hull:vp index='0'>" steps "</hull:vp></hull:test-program>")

typedef struct
{
  const char *name;
  const char *xml;
} Document;

static const Document invalid_documents[] = {
  { "wrong-root", "<vm type='test'>" REQUIRED "</vm>" },
  { "root-in-hull-namespace", "<hull:domain type='test' " HULL_NS ">" REQUIRED "</hull:domain>" },
  { "missing-type", "<domain>" REQUIRED "</domain>" },
  { "unknown-type", "<domain type='qemu'>" REQUIRED KERNEL "</domain>" },
  { "missing-name", "<domain type='test'><memory>65536</memory><vcpu>1</vcpu></domain>" },
  { "empty-name",
    "<domain type='test'><name></name><memory>65536</memory><vcpu>1</vcpu></domain>" },
  { "name-with-slash",
    "<domain type='test'><name>a/b</name><memory>65536</memory><vcpu>1</vcpu></domain>" },
  { "name-starting-with-dot",
    "<domain type='test'><name>.hidden</name><memory>65536</memory><vcpu>1</vcpu></domain>" },
  { "missing-memory", "<domain type='test'><name>t</name><vcpu>1</vcpu></domain>" },
  { "missing-vcpu", "<domain type='test'><name>t</name><memory>65536</memory></domain>" },
  { "bad-unit",
    "<domain type='test'><name>t</name><memory unit='MiBs'>64</memory><vcpu>1</vcpu></domain>" },
  { "negative-memory",
    "<domain type='test'><name>t</name><memory>-65536</memory><vcpu>1</vcpu></domain>" },
  { "vcpu-0", "<domain type='test'><name>t</name><memory>65536</memory><vcpu>0</vcpu></domain>" },
  { "vcpu-5000",
    "<domain type='test'><name>t</name><memory>65536</memory><vcpu>5000</vcpu></domain>" },
  { "vcpu-placement-auto", "<domain type='test'><name>t</name><memory>65536</memory><vcpu "
                           "placement='auto'>1</vcpu></domain>" },
  { "bad-uuid", TEST_DOMAIN ("<uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fag</uuid>") },
  { "uuid-31-digits", TEST_DOMAIN ("<uuid>4dea22b31d52d8f32516782e98ab3fa</uuid>") },
  { "uuid-some-dashes", TEST_DOMAIN ("<uuid>4dea22b3-1d52d8f3-2516-782e98ab3fa0</uuid>") },
  { "current-memory-zero", TEST_DOMAIN ("<currentMemory>0</currentMemory>") },
  { "title-two-lines", TEST_DOMAIN ("<title>one\ntwo</title>") },
  { "topology-sockets-0", TEST_DOMAIN ("<cpu><topology sockets='0'/></cpu>") },
  { "topology-clusters-2", TEST_DOMAIN ("<cpu><topology clusters='2'/></cpu>") },
  { "topology-child", TEST_DOMAIN ("<cpu><topology sockets='1'><numa/></topology></cpu>") },
  { "kernel-with-tab",
    "<domain type='kvm'>" REQUIRED "<os><kernel>/boot/vm&#9;linux</kernel></os></domain>" },
  { "relative-kernel-path",
    "<domain type='kvm'>" REQUIRED "<os><kernel>boot/vmlinux</kernel></os></domain>" },
  { "kvm-without-kernel", "<domain type='kvm'>" REQUIRED "<os><type>hvm</type></os></domain>" },
  { "initrd-without-kernel", TEST_DOMAIN ("<os><initrd>/boot/initrd.img</initrd></os>") },
  { "os-type-xen", TEST_DOMAIN ("<os><type>xen</type></os>") },
  { "arch-i686", TEST_DOMAIN ("<os><type arch='i686'>hvm</type></os>") },
  { "unknown-lifecycle-action", TEST_DOMAIN ("<on_crash>coredump-destroy</on_crash>") },
  { "serial-type-tcp",
    DEVICES ("<serial type='tcp'><source mode='bind' host='::' service='4555'/></serial>") },
  { "serial-port-7", DEVICES ("<serial type='pty'><target port='7'/></serial>") },
  { "serial-target-pci", DEVICES ("<serial type='pty'><target type='pci-serial'/></serial>") },
  { "serial-model-16550a",
    DEVICES ("<serial type='pty'><target><model name='16550a'/></target></serial>") },
  { "serial-target-text", DEVICES ("<serial type='pty'><target>0</target></serial>") },
  { "serial-path-with-newline",
    DEVICES ("<serial type='file'><source path='/var/log/a&#10;b'/></serial>") },
  { "console-target-model",
    DEVICES ("<console type='pty'><target><model name='isa-serial'/></target></console>") },
  { "serial-pty-with-source", DEVICES ("<serial type='pty'><source path='/dev/pts/3'/></serial>") },
  { "serial-unix-without-path", DEVICES ("<serial type='unix'><source mode='bind'/></serial>") },
  { "serial-unix-bad-mode",
    DEVICES ("<serial type='unix'><source mode='listen' path='/run/s.sock'/></serial>") },
  { "five-serial-ports", DEVICES ("<serial type='null'/><serial type='null'/><serial type='null'/>"
                                  "<serial type='null'/><serial type='null'/>") },
  { "console-target-virtio", DEVICES ("<console type='pty'><target type='virtio'/></console>") },
  { "disk-target-hda",
    DEVICES ("<disk type='file'><source file='/img/a.img'/><target dev='hda'/></disk>") },
  { "disk-file-with-source-dev",
    DEVICES ("<disk type='file'><source dev='/dev/sdb'/><target dev='vda'/></disk>") },
  { "disk-without-target", DEVICES ("<disk type='file'><source file='/img/a.img'/></disk>") },
  { "disk-driver-empty-name", DEVICES ("<disk type='file'><driver name=''/>"
                                       "<source file='/img/a.img'/><target dev='vda'/></disk>") },
  { "disk-target-text",
    DEVICES ("<disk type='file'><source file='/img/a.img'/><target dev='vda'>x</target></disk>") },
  { "disk-driver-qcow2", DEVICES ("<disk type='file'><driver name='hull' type='qcow2'/>"
                                  "<source file='/img/a.img'/><target dev='vda'/></disk>") },
  { "unknown-element-features", TEST_DOMAIN ("<features><acpi/></features>") },
  { "unknown-hull-element", TEST_DOMAIN ("<hull:balloon size='0x1000'/>") },
  { "hull-element-without-namespace", TEST_DOMAIN ("<apic x2apic='enabled'/>") },
  { "hull-element-inside-devices", DEVICES ("<hull:hyperv state='on'/>") },
  { "hull-element-twice", TEST_DOMAIN ("<hull:hyperv state='on'/><hull:hyperv state='off'/>") },
  { "bad-x2apic", TEST_DOMAIN ("<hull:apic x2apic='on'/>") },
  { "bad-isolation", TEST_DOMAIN ("<hull:isolation type='sev'/>") },
  { "hull-apic-child", TEST_DOMAIN ("<hull:apic x2apic='enabled'><hull:foo/></hull:apic>") },
  { "hull-vtl2-text",
    TEST_DOMAIN ("<hull:vtl2 start='0x100000000' size='0x1000'>text</hull:vtl2>") },
  { "test-program-on-kvm",
    KVM_DOMAIN ("<hull:test-program><hull:vp index='0'><hull:halt reason='poweroff'/></hull:vp>"
                "</hull:test-program>") },
  { "unknown-halt-reason", PROGRAM ("<hull:halt reason='shutdown'/>") },
  { "out-size-3", PROGRAM ("<hull:out port='0x3f8' value='0x48' size='3'/>") },
  { "in-size-8", PROGRAM ("<hull:in port='0x3f8' size='8'/>") },
  { "out-without-value", PROGRAM ("<hull:out port='0x3f8'/>") },
  { "hull-address-zz", PROGRAM ("<hull:mmio-write addr='zz' value='0x1'/>") },
  { "hull-number-negative", PROGRAM ("<hull:spin usec='-1'/>") },
  { "fault-build-with-vp",
    TEST_DOMAIN ("<hull:test-program><hull:fault stage='build' vp='0'/></hull:test-program>") },
};

static const Document valid_documents[] = {
  { "unit-G",
    "<domain type='test'><name>t</name><memory unit='G'>1</memory><vcpu>1</vcpu></domain>" },
  { "unit-bytes", "<domain type='test'><name>t</name><memory "
                  "unit='bytes'>67108864</memory><vcpu>1</vcpu></domain>" },
  { "unit-KB", "<domain type='test'><name>t</name><memory unit='KB'>65536</memory>"
               "<currentMemory unit='kib'>32768</currentMemory><vcpu>1</vcpu></domain>" },
  { "no-unit",
    "<domain type='test'><name>t</name><memory>65536</memory><vcpu>4096</vcpu></domain>" },
  { "uuid-upper-case", TEST_DOMAIN ("<uuid>4DEA22B3-1D52-D8F3-2516-782E98AB3FA0</uuid>") },
  { "uuid-without-dashes", TEST_DOMAIN ("<uuid>4dea22b31d52d8f32516782e98ab3fa0</uuid>") },
  { "memory-1-GB", "<domain type='test'><name>t</name><memory unit='GB'>1</memory>"
                   "<currentMemory unit='b'>12345678</currentMemory><vcpu>1</vcpu></domain>" },
  { "topology-clusters-1",
    "<domain type='test'><name>t</name><memory>65536</memory><vcpu>2</vcpu>"
    "<cpu><topology sockets='1' dies='1' clusters='1' cores='2' threads='1'/></cpu></domain>" },
  { "virsh-dumpxml-serial",
    DEVICES ("<serial type='pty'><target type='isa-serial' port='0'><model name='isa-serial'/>"
             "</target></serial><console type='pty'><target type='serial' port='0'/></console>") },
  { "comments-in-leaves", DEVICES ("<disk type='file'><source file='/img/a.img'><!-- c --></source>"
                                   "<target dev='vda'> </target></disk>") },
  { "order-shuffled",
    "<domain type='kvm' " HULL_NS ">"
    "<hull:vtl2 start='0x100000000' size='0x200000'/>"
    "<devices><serial type='pty'/><disk type='block'><readonly/><target dev='vdb'/>"
    "<source dev='/dev/vg0/data'/></disk><serial type='null'/></devices>"
    "<on_crash>preserve</on_crash><vcpu placement='static'>2</vcpu>"
    "<os><cmdline>quiet</cmdline><kernel>/boot/vmlinux</kernel><type>hvm</type></os>"
    "<memory unit='GiB'>1</memory><cpu><topology threads='2'/></cpu><title>T</title>"
    "<name>shuffled</name><on_poweroff>restart</on_poweroff>"
    "<hull:apic user-mode='yes'/></domain>" },
  { "hull-numbers-decimal",
    TEST_DOMAIN_2 (
        "<hull:memory-layout>"
        "<hull:mmio-gap start='3221225472' size='1073741824'/></hull:memory-layout>"
        "<hull:vtl2 start='4294967296' size='33554432'/><hull:test-program><hull:vp index='1'>"
        "<hull:out port='1016' value='72' size='1'/><hull:in port='100' expect='28'/>"
        "<hull:mmio-write addr='3489660928' value='1' size='8'/><hull:spin usec='10'/>"
        "<hull:jump step='0'/></hull:vp><hull:fault stage='run' vp='1'/>"
        "</hull:test-program>") },
  { "empty-memory-layout", TEST_DOMAIN ("<hull:memory-layout/>") },
  { "text-with-white-space",
    "<domain type='kvm'>\n  <name>t</name>\n  <uuid>\n    4dea22b3-1d52-d8f3-2516-782e98ab3fa0\n"
    "  </uuid>\n  <memory unit='MiB'>\n    64\n  </memory>\n  <vcpu> 1 </vcpu>\n"
    "  <os>\n    <type> hvm </type>\n    <kernel>\n      /boot/vmlinux\n    </kernel>\n  </os>\n"
    "  <on_reboot> destroy </on_reboot>\n</domain>\n" },
  { "faults-before-programs",
    TEST_DOMAIN_2 ("<hull:test-program><hull:fault stage='bind'/><hull:fault stage='run' vp='0x1'/>"
                   "<hull:vp index='0'><hull:halt reason='poweroff'/></hull:vp><hull:vp index='1'/>"
                   "</hull:test-program>") },
  { "serial-file-unix-console",
    DEVICES ("<serial type='file'><source path='/var/log/t.log'/><target port='3'/></serial>"
             "<console type='unix'><source mode='connect' path='/run/t.sock'/>"
             "<target type='serial' port='1'/></console>"
             "<serial type='unix'><target port='1'/>"
             "<source mode='connect' path='/run/t.sock'/></serial>") },
  { "canonical", "<domain type='kvm' " HULL_NS ">\n"
                 "  <name>web1</name>\n"
                 "  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>\n"
                 "  <memory unit='KiB'>524288</memory>\n"
                 "  <currentMemory unit='KiB'>524288</currentMemory>\n"
                 "  <vcpu placement='static'>4</vcpu>\n"
                 "  <cpu>\n"
                 "    <topology sockets='1' dies='1' cores='2' threads='2'/>\n"
                 "  </cpu>\n"
                 "  <os>\n"
                 "    <type arch='x86_64'>hvm</type>\n"
                 "    <kernel>/var/lib/hull/boot/vmlinux</kernel>\n"
                 "  </os>\n"
                 "  <on_poweroff>destroy</on_poweroff>\n"
                 "  <on_reboot>restart</on_reboot>\n"
                 "  <on_crash>destroy</on_crash>\n"
                 "  <devices>\n"
                 "    <disk type='file' device='disk'>\n"
                 "      <driver name='hull' type='raw'/>\n"
                 "      <source file='/var/lib/hull/images/web1.img'/>\n"
                 "      <target dev='vda' bus='virtio'/>\n"
                 "    </disk>\n"
                 "    <serial type='pty'>\n"
                 "      <target port='0'/>\n"
                 "    </serial>\n"
                 "    <console type='pty'>\n"
                 "      <target type='serial' port='0'/>\n"
                 "    </console>\n"
                 "  </devices>\n"
                 "  <hull:apic x2apic='unsupported'/>\n"
                 "  <hull:isolation type='snp'/>\n"
                 "  <hull:hyperv state='on'/>\n"
                 "  <hull:memory-layout>\n"
                 "    <hull:mmio-gap start='0xc0000000' size='0x40000000'/>\n"
                 "  </hull:memory-layout>\n"
                 "  <hull:vtl2 start='0x800000000' size='0x2000000'/>\n"
                 "</domain>\n" },
  { "canonical-test-program", "<domain type='test' " HULL_NS ">\n"
                              "  <name>t</name>\n"
                              "  <memory unit='KiB'>65536</memory>\n"
                              "  <vcpu placement='static'>2</vcpu>\n"
                              "  <hull:test-program>\n"
                              "    <hull:vp index='1'>\n"
                              "      <hull:out port='0x3f8' value='0x48' size='0x1'/>\n"
                              "      <hull:in port='0x64' expect='0x1c' size='0x2'/>\n"
                              "      <hull:mmio-write addr='0xd0000000' value='0x1' size='0x8'/>\n"
                              "      <hull:mmio-read addr='0xd0000000' size='0x4'/>\n"
                              "      <hull:halt reason='hibernate'/>\n"
                              "    </hull:vp>\n"
                              "    <hull:fault stage='build'/>\n"
                              "  </hull:test-program>\n"
                              "</domain>\n" },
};

static void
test_invalid (gconstpointer data)
{
  const Document *document = data;
  g_autoptr (GString) messages = g_string_new (NULL);
  g_autoptr (xmlDoc) doc = parse_document (document->name, document->xml, messages);

  if (doc == NULL)
    {
      g_test_fail_printf ("%s is not well-formed:\n%s", document->name, messages->str);
      return;
    }
  if (validate_document (doc, messages))
    {
      g_test_fail_printf ("the schema accepts %s:\n%s", document->name, document->xml);
      return;
    }
  g_test_message ("%s rejected:\n%s", document->name, messages->str);

  /* The parser rejects it too. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (HullDomainDef) def
        = hull_domain_def_parse (document->xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);

    if (def != NULL)
      g_test_fail_printf ("the parser accepts %s:\n%s", document->name, document->xml);
    else
      g_test_message ("the parser says: %s", error->message);
  }
}

static void
test_valid (gconstpointer data)
{
  const Document *document = data;
  g_autoptr (GString) messages = g_string_new (NULL);
  g_autoptr (xmlDoc) doc = parse_document (document->name, document->xml, messages);

  if (doc == NULL)
    {
      g_test_fail_printf ("%s is not well-formed:\n%s", document->name, messages->str);
      return;
    }
  if (!validate_document (doc, messages))
    g_test_fail_printf ("the schema rejects %s:\n%s", document->name, messages->str);
  /* The parser accepts it, and its canonical form matches the schema. */
  check_formatted (document->name, document->xml);
}

int
main (int argc, char **argv)
{
  int rc;

  LIBXML_TEST_VERSION;
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hull/schema/examples", test_examples);
  g_test_add_func ("/hull/schema/golden", test_golden);
  g_test_add_func ("/hull/schema/formatted-output", test_formatted_output);
  for (gsize i = 0; i < G_N_ELEMENTS (invalid_documents); i++)
    {
      g_autofree char *path
          = g_strconcat ("/hull/schema/invalid/", invalid_documents[i].name, NULL);

      g_test_add_data_func (path, &invalid_documents[i], test_invalid);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (valid_documents); i++)
    {
      g_autofree char *path
          = g_strconcat ("/hull/schema/valid-variants/", valid_documents[i].name, NULL);

      g_test_add_data_func (path, &valid_documents[i], test_valid);
    }

  rc = g_test_run ();
  g_clear_pointer (&schema, xmlRelaxNGFree);
  return rc;
}
