/* hull-domain-format.c — HullDomainDef → canonical domain XML.
 *
 * One spelling per definition: single-quoted attributes, two-space indent,
 * the element order of docs/domain-xml.md, memory in KiB, hull: numbers in
 * hex. Parsing the output and formatting again gives the same text.
 */
#include "config.h"

#include "hull-domain-private.h"

/* Escapes for both text and single-quoted attributes. Characters an XML
 * parser would normalise (CR anywhere; tab and newline in attributes) become
 * character references so they survive a round trip. */
static void
append_escaped (GString *out, const char *text, gboolean attribute)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      switch (*p)
        {
          case '&':
            g_string_append (out, "&amp;");
            break;
          case '<':
            g_string_append (out, "&lt;");
            break;
          case '>':
            g_string_append (out, "&gt;");
            break;
          case '\'':
            g_string_append (out, attribute ? "&apos;" : "'");
            break;
          case '\r':
            g_string_append (out, "&#13;");
            break;
          case '\n':
            g_string_append (out, attribute ? "&#10;" : "\n");
            break;
          case '\t':
            g_string_append (out, attribute ? "&#9;" : "\t");
            break;
          default:
            g_string_append_c (out, *p);
        }
    }
}

static void
indent (GString *out, guint depth)
{
  for (guint i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

/* <name>text</name> */
static void
append_text_element (GString *out, guint depth, const char *name, const char *text)
{
  if (text == NULL)
    return;
  indent (out, depth);
  g_string_append_printf (out, "<%s>", name);
  append_escaped (out, text, FALSE);
  g_string_append_printf (out, "</%s>\n", name);
}

/* name='value' (with a leading space) */
static void
append_attr (GString *out, const char *name, const char *value)
{
  if (value == NULL)
    return;
  g_string_append_printf (out, " %s='", name);
  append_escaped (out, value, TRUE);
  g_string_append_c (out, '\'');
}

static void
append_hex_attr (GString *out, const char *name, guint64 value)
{
  g_string_append_printf (out, " %s='0x%" G_GINT64_MODIFIER "x'", name, value);
}

static void
append_uint_attr (GString *out, const char *name, guint64 value)
{
  g_string_append_printf (out, " %s='%" G_GUINT64_FORMAT "'", name, value);
}

static void
append_size (GString *out, const char *name, guint64 bytes)
{
  indent (out, 1);
  if (bytes % 1024 == 0)
    g_string_append_printf (out, "<%s unit='KiB'>%" G_GUINT64_FORMAT "</%s>\n", name, bytes / 1024,
                            name);
  else
    g_string_append_printf (out, "<%s unit='b'>%" G_GUINT64_FORMAT "</%s>\n", name, bytes, name);
}

static void
append_os (GString *out, const HullDomainDef *def)
{
  g_string_append (out, "  <os>\n");
  g_string_append_printf (out, "    <type arch='%s'>hvm</type>\n", hull_arch_to_string (def->arch));
  append_text_element (out, 2, "kernel", def->kernel);
  append_text_element (out, 2, "initrd", def->initrd);
  append_text_element (out, 2, "cmdline", def->cmdline);
  g_string_append (out, "  </os>\n");
}

static void
append_disk (GString *out, const HullDiskDef *disk)
{
  g_string_append (out, "    <disk");
  append_attr (out, "type", hull_disk_type_to_string (disk->type));
  g_string_append (out, " device='disk'>\n");
  if (disk->driver_name != NULL)
    {
      g_string_append (out, "      <driver");
      append_attr (out, "name", disk->driver_name);
      g_string_append (out, " type='raw'/>\n");
    }
  g_string_append (out, "      <source");
  append_attr (out, disk->type == HULL_DISK_FILE ? "file" : "dev", disk->source);
  g_string_append (out, "/>\n      <target");
  append_attr (out, "dev", disk->target_dev);
  g_string_append (out, " bus='virtio'/>\n");
  if (disk->readonly)
    g_string_append (out, "      <readonly/>\n");
  g_string_append (out, "    </disk>\n");
}

/* A console is written with the type and source of the serial it shows. */
static void
append_chardev (GString *out, const char *element, const HullChardevDef *chardev,
                const HullChardevDef *source, gboolean console)
{
  g_string_append_printf (out, "    <%s", element);
  append_attr (out, "type", hull_chardev_type_to_string (source->type));
  g_string_append (out, ">\n");
  if (source->path != NULL)
    {
      g_string_append (out, "      <source");
      if (source->type == HULL_CHARDEV_UNIX)
        append_attr (out, "mode", hull_unix_mode_to_string (source->mode));
      append_attr (out, "path", source->path);
      g_string_append (out, "/>\n");
    }
  g_string_append (out, "      <target");
  if (console)
    g_string_append (out, " type='serial'");
  append_uint_attr (out, "port", chardev->port);
  g_string_append_printf (out, "/>\n    </%s>\n", element);
}

static const HullChardevDef *
serial_for_console (const HullDomainDef *def, const HullChardevDef *console)
{
  for (guint i = 0; i < def->serials->len; i++)
    {
      const HullChardevDef *serial = g_ptr_array_index (def->serials, i);

      if (serial->port == console->port)
        return serial;
    }
  return console;
}

static void
append_devices (GString *out, const HullDomainDef *def)
{
  if (def->disks->len + def->serials->len + def->consoles->len == 0)
    return;
  g_string_append (out, "  <devices>\n");
  for (guint i = 0; i < def->disks->len; i++)
    append_disk (out, g_ptr_array_index (def->disks, i));
  for (guint i = 0; i < def->serials->len; i++)
    {
      const HullChardevDef *serial = g_ptr_array_index (def->serials, i);

      append_chardev (out, "serial", serial, serial, FALSE);
    }
  for (guint i = 0; i < def->consoles->len; i++)
    {
      const HullChardevDef *console = g_ptr_array_index (def->consoles, i);

      append_chardev (out, "console", console, serial_for_console (def, console), TRUE);
    }
  g_string_append (out, "  </devices>\n");
}

static void
append_range (GString *out, guint depth, const char *element, const HullMemoryRange *range)
{
  indent (out, depth);
  g_string_append_printf (out, "<hull:%s", element);
  append_hex_attr (out, "start", range->start);
  append_hex_attr (out, "size", range->end - range->start);
  g_string_append (out, "/>\n");
}

static void
append_step (GString *out, const HullTestStep *step)
{
  const gboolean port = step->kind == HULL_TEST_STEP_OUT || step->kind == HULL_TEST_STEP_IN;

  g_string_append_printf (out, "      <hull:%s", hull_test_step_kind_to_string (step->kind));
  switch (step->kind)
    {
      case HULL_TEST_STEP_OUT:
      case HULL_TEST_STEP_IN:
      case HULL_TEST_STEP_MMIO_WRITE:
      case HULL_TEST_STEP_MMIO_READ:
        append_hex_attr (out, port ? "port" : "addr", step->address);
        if (step->kind == HULL_TEST_STEP_OUT || step->kind == HULL_TEST_STEP_MMIO_WRITE)
          append_hex_attr (out, "value", step->value);
        else if (step->has_expect)
          append_hex_attr (out, "expect", step->value);
        append_uint_attr (out, "size", step->size);
        break;
      case HULL_TEST_STEP_SPIN:
        append_uint_attr (out, "usec", step->value);
        break;
      case HULL_TEST_STEP_JUMP:
        append_uint_attr (out, "step", step->value);
        break;
      case HULL_TEST_STEP_HALT:
        append_attr (out, "reason",
                     hull_test_halt_reason_to_string ((HullTestHaltReason)step->value));
        break;
      default:
        g_assert_not_reached ();
    }
  g_string_append (out, "/>\n");
}

static void
append_test_program (GString *out, const HullTestProgram *program)
{
  g_string_append (out, "  <hull:test-program>\n");
  for (guint i = 0; i < program->vps->len; i++)
    {
      const HullTestVpProgram *vp = g_ptr_array_index (program->vps, i);

      g_string_append_printf (out, "    <hull:vp index='%u'", vp->vp_index);
      if (vp->steps->len == 0)
        {
          g_string_append (out, "/>\n");
          continue;
        }
      g_string_append (out, ">\n");
      for (guint s = 0; s < vp->steps->len; s++)
        append_step (out, &g_array_index (vp->steps, HullTestStep, s));
      g_string_append (out, "    </hull:vp>\n");
    }
  for (guint i = 0; i < program->faults->len; i++)
    {
      const HullTestFault *fault = &g_array_index (program->faults, HullTestFault, i);

      g_string_append (out, "    <hull:fault");
      append_attr (out, "stage", hull_test_fault_stage_to_string (fault->stage));
      if (fault->has_vp)
        append_uint_attr (out, "vp", fault->vp_index);
      g_string_append (out, "/>\n");
    }
  g_string_append (out, "  </hull:test-program>\n");
}

/* Hull-only settings that differ from their defaults; empty if none. */
static void
append_hull (GString *out, const HullDomainDef *def)
{
  if (def->x2apic != HULL_X2APIC_REQUEST_SUPPORTED || def->user_mode_apic)
    {
      g_string_append (out, "  <hull:apic");
      append_attr (out, "x2apic", hull_x2apic_request_to_string (def->x2apic));
      append_attr (out, "user-mode", def->user_mode_apic ? "yes" : "no");
      g_string_append (out, "/>\n");
    }
  if (def->isolation != HULL_ISOLATION_NONE)
    {
      g_string_append (out, "  <hull:isolation");
      append_attr (out, "type", hull_isolation_type_to_string (def->isolation));
      g_string_append (out, "/>\n");
    }
  if (def->hyperv)
    g_string_append (out, "  <hull:hyperv state='on'/>\n");
  if (def->mmio_gaps != NULL)
    {
      if (def->mmio_gaps->len == 0)
        g_string_append (out, "  <hull:memory-layout/>\n");
      else
        {
          g_string_append (out, "  <hull:memory-layout>\n");
          for (guint i = 0; i < def->mmio_gaps->len; i++)
            append_range (out, 2, "mmio-gap", &g_array_index (def->mmio_gaps, HullMemoryRange, i));
          g_string_append (out, "  </hull:memory-layout>\n");
        }
    }
  if (def->has_vtl2)
    append_range (out, 1, "vtl2", &def->vtl2);
  if (def->test_program != NULL)
    append_test_program (out, def->test_program);
}

char *
hull_domain_def_format (const HullDomainDef *def)
{
  g_autoptr (GString) hull = g_string_new (NULL);
  GString *out = g_string_sized_new (1024);

  g_return_val_if_fail (def != NULL, NULL);

  append_hull (hull, def);

  g_string_append (out, "<domain");
  append_attr (out, "type", hull_domain_type_to_string (def->type));
  if (hull->len > 0)
    append_attr (out, "xmlns:hull", HULL_DOMAIN_XML_NAMESPACE);
  g_string_append (out, ">\n");

  append_text_element (out, 1, "name", def->name);
  append_text_element (out, 1, "uuid", def->uuid);
  append_text_element (out, 1, "title", def->title);
  append_text_element (out, 1, "description", def->description);
  append_size (out, "memory", def->memory);
  append_size (out, "currentMemory", def->current_memory);
  g_string_append_printf (out, "  <vcpu>%u</vcpu>\n", def->vcpus);
  if (def->topology_set)
    g_string_append_printf (out,
                            "  <cpu>\n"
                            "    <topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n"
                            "  </cpu>\n",
                            def->sockets, def->dies, def->cores, def->threads);
  append_os (out, def);
  append_text_element (out, 1, "on_poweroff", hull_lifecycle_action_to_string (def->on_poweroff));
  append_text_element (out, 1, "on_reboot", hull_lifecycle_action_to_string (def->on_reboot));
  append_text_element (out, 1, "on_crash", hull_lifecycle_action_to_string (def->on_crash));
  append_devices (out, def);
  g_string_append_len (out, hull->str, hull->len);
  g_string_append (out, "</domain>\n");
  return g_string_free (out, FALSE);
}
