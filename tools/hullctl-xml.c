/* hullctl-xml.c — offline commands on domain XML files: validate, format,
 * layout. They need no daemon. */
#include "config.h"

#include "hullctl.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hull-domain-def.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-units.h"

/* Reads FILE, or standard input for "-". Errors start with the file name.
 * @warnings is set on failure too (see hull_domain_def_parse()). */
static HullDomainDef *
load_definition (const char *path, HullDomainParseFlags flags, GPtrArray **warnings, GError **error)
{
  const char *name = _ ("<stdin>");
  g_autofree char *input = NULL;
  HullDomainDef *def;
  gsize length;

  if (strcmp (path, "-") != 0)
    return hull_domain_def_parse_file (path, flags, warnings, error);

  /* At most the size limit plus one byte, however much stdin holds. */
  input = hull_domain_def_read_fd (STDIN_FILENO, name, &length, error);
  if (input == NULL)
    return NULL;
  def = hull_domain_def_parse (input, length, flags, warnings, error);
  if (def == NULL)
    g_prefix_error (error, "%s: ", name);
  return def;
}

static void
print_warnings (const char *path, GPtrArray *warnings)
{
  for (guint i = 0; warnings != NULL && i < warnings->len; i++)
    g_printerr (_ ("%s: warning: %s\n"), path, (const char *)g_ptr_array_index (warnings, i));
}

/* ------------------------------------------------------------------ */

int
hullctl_cmd_validate (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean lenient = FALSE;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "lenient", 'l', 0, G_OPTION_ARG_NONE, &lenient,
      N_ ("Skip elements Hull does not support, listing each as a warning"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_ ("Print only problems"), NULL },
    { NULL },
  };
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    {
      hullctl_print_error (_ ("validate: name at least one file"));
      return HULLCTL_EXIT_USAGE;
    }
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) warnings = NULL;
      g_autoptr (HullDomainDef) def = load_definition (
          argv[i], lenient ? HULL_DOMAIN_PARSE_LENIENT : HULL_DOMAIN_PARSE_NONE, &warnings, &error);

      /* What was skipped, even when something else then failed. */
      print_warnings (argv[i], warnings);
      if (def == NULL)
        {
          /* Parse errors already name the file. */
          g_printerr ("%s\n", error->message);
          status = HULLCTL_EXIT_FAILED;
          continue;
        }
      if (!quiet)
        g_print (_ ("%s: domain '%s' is valid\n"), argv[i], def->name);
    }
  return status;
}

int
hullctl_cmd_format (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean lenient = FALSE;
  GOptionEntry entries[] = {
    { "lenient", 'l', 0, G_OPTION_ARG_NONE, &lenient,
      N_ ("Skip elements Hull does not support, listing each as a warning"), NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) warnings = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autofree char *xml = NULL;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    {
      hullctl_print_error (_ ("format: name exactly one file (or - for standard input)"));
      return HULLCTL_EXIT_USAGE;
    }
  def = load_definition (argv[1], lenient ? HULL_DOMAIN_PARSE_LENIENT : HULL_DOMAIN_PARSE_NONE,
                         &warnings, &error);
  print_warnings (argv[1], warnings);
  if (def == NULL)
    {
      g_printerr ("%s\n", error->message);
      return HULLCTL_EXIT_FAILED;
    }
  xml = hull_domain_def_format (def);
  fputs (xml, stdout);
  return HULLCTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* layout */

static void
print_topology (const HullDomainDef *def, const HullProcessorTopology *topology)
{
  guint n_vps = hull_processor_topology_get_vp_count (topology);

  g_print ("%s\n", _ ("Processor topology"));
  g_print (_ ("  %u vCPUs: sockets=%u dies=%u cores=%u threads=%u, %u per socket\n"), n_vps,
           def->sockets, def->dies, def->cores, def->threads,
           hull_processor_topology_get_vps_per_socket (topology));
  g_print (_ ("  SMT %s, APIC mode %s, highest APIC id %u\n"),
           hull_processor_topology_get_smt_enabled (topology) ? _ ("on") : _ ("off"),
           hull_apic_mode_to_string (hull_processor_topology_get_apic_mode (topology)),
           hull_processor_topology_get_max_apic_id (topology));
  g_print ("\n  %4s %8s %6s %4s %5s %6s %4s\n", "VP", "APIC id", "socket", "die", "core", "thread",
           "node");
  for (guint i = 0; i < n_vps; i++)
    {
      const HullVpInfo *vp = hull_processor_topology_get_vp (topology, i);

      g_print ("  %4u %8u %6u %4u %5u %6u %4u%s\n", vp->vp_index, vp->apic_id, vp->socket, vp->die,
               vp->core, vp->thread, vp->vnode, vp->vp_index == 0 ? _ ("  (BSP)") : "");
    }
}

static void
print_range (const char *kind, const HullMemoryRange *range)
{
  g_autofree char *size = hull_units_format_size (range->end - range->start);

  g_print ("  %-5s 0x%016" G_GINT64_MODIFIER "x-0x%016" G_GINT64_MODIFIER "x  %s\n", kind,
           range->start, range->end, size);
}

static void
print_layout (const HullDomainDef *def, const HullMemoryLayout *layout)
{
  g_autofree char *ram = hull_units_format_size (hull_memory_layout_get_ram_size (layout));
  g_autofree char *below = NULL;
  const HullMemoryRange *ram_ranges, *mmio_ranges, *vtl2;
  guint n_ram, n_mmio;

  below = hull_units_format_size (hull_memory_layout_get_max_ram_below_4gb (layout));
  g_print ("%s\n", def->mmio_gaps != NULL ? _ ("Memory layout (custom MMIO gaps)")
                                          : _ ("Memory layout (default x86-64 MMIO gaps)"));

  /* One list in address order: RAM and MMIO interleave. */
  ram_ranges = hull_memory_layout_get_ram (layout, &n_ram);
  mmio_ranges = hull_memory_layout_get_mmio (layout, &n_mmio);
  for (guint r = 0, m = 0; r < n_ram || m < n_mmio;)
    {
      if (m >= n_mmio || (r < n_ram && ram_ranges[r].start < mmio_ranges[m].start))
        print_range (_ ("RAM"), &ram_ranges[r++]);
      else
        print_range (_ ("MMIO"), &mmio_ranges[m++]);
    }
  vtl2 = hull_memory_layout_get_vtl2 (layout);
  if (vtl2 != NULL)
    print_range (_ ("VTL2"), vtl2);
  g_print (_ ("\n  RAM %s, %s of it below 4 GiB; end of RAM 0x%llx; end of layout 0x%llx\n"), ram,
           below, (unsigned long long)hull_memory_layout_get_end_of_ram (layout),
           (unsigned long long)hull_memory_layout_get_end_of_layout (layout));
}

static int
print_json (const HullDomainDef *def, HullProcessorTopology *topology, HullMemoryLayout *layout)
{
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);
  g_autoptr (GVariant) all = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (def->name));
  g_variant_builder_add (&builder, "{sv}", "uuid", g_variant_new_string (def->uuid));
  g_variant_builder_add (&builder, "{sv}", "type",
                         g_variant_new_string (hull_domain_type_to_string (def->type)));
  g_variant_builder_add (&builder, "{sv}", "topology",
                         hull_processor_topology_to_variant (topology));
  g_variant_builder_add (&builder, "{sv}", "memory-layout", hull_memory_layout_to_variant (layout));
  all = g_variant_ref_sink (g_variant_builder_end (&builder));

  node = json_gvariant_serialize (all);
  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  return HULLCTL_EXIT_OK;
}

int
hullctl_cmd_layout (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON for scripts"), NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autoptr (HullProcessorTopology) topology = NULL;
  g_autoptr (HullMemoryLayout) layout = NULL;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (argc != 2)
    {
      hullctl_print_error (_ ("layout: name exactly one file (or - for standard input)"));
      return HULLCTL_EXIT_USAGE;
    }
  def = load_definition (argv[1], HULL_DOMAIN_PARSE_NONE, NULL, &error);
  /* A valid definition always yields both; the checks guard the contract. */
  if (def != NULL)
    topology = hull_domain_def_build_topology (def, &error);
  if (topology != NULL)
    layout = hull_domain_def_build_memory_layout (def, &error);
  if (layout == NULL)
    {
      g_printerr ("%s\n", error->message);
      return HULLCTL_EXIT_FAILED;
    }
  if (json)
    return print_json (def, topology, layout);

  g_print (_ ("Domain '%s' (%s), type %s\n\n"), def->name, def->uuid,
           hull_domain_type_to_string (def->type));
  print_topology (def, topology);
  g_print ("\n");
  print_layout (def, layout);
  return HULLCTL_EXIT_OK;
}
