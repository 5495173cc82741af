/* hull-capabilities.c — Manager.GetCapabilities (hull-capabilities.h). */
#include "config.h"

#include "hull-capabilities.h"
#include "hull-domain-def.h"

const char *
hull_capabilities_speed_to_string (HullExecutionSpeed speed)
{
  switch (speed)
    {
      case HULL_EXECUTION_HARDWARE:
        return "hardware";
      case HULL_EXECUTION_EMULATED:
        return "emulated";
      case HULL_EXECUTION_UNKNOWN:
      default:
        return "unknown";
    }
}

static void
add_ranges (GPtrArray *ranges, const HullMemoryRange *r, guint n, const char *kind)
{
  for (guint i = 0; i < n; i++)
    {
      GVariantDict dict;

      g_variant_dict_init (&dict, NULL);
      g_variant_dict_insert (&dict, "kind", "s", kind);
      g_variant_dict_insert (&dict, "start", "t", r[i].start);
      g_variant_dict_insert (&dict, "size", "t", r[i].end - r[i].start);
      g_ptr_array_add (ranges, g_variant_ref_sink (g_variant_dict_end (&dict)));
    }
}

static int
compare_start (gconstpointer a, gconstpointer b)
{
  guint64 start_a = 0, start_b = 0;

  g_variant_lookup (*(GVariant *const *)a, "start", "t", &start_a);
  g_variant_lookup (*(GVariant *const *)b, "start", "t", &start_b);
  return start_a < start_b ? -1 : start_a > start_b;
}

/* The guest-physical map of the smallest domain Hull accepts: the minimum
 * RAM around the default x86-64 MMIO gaps. */
static GVariant *
default_memory_layout (void)
{
  g_autoptr (GPtrArray) ranges = g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
  g_autoptr (HullMemoryLayout) layout = NULL;
  g_autoptr (GError) local_error = NULL;
  const HullMemoryRange *gaps, *r;
  guint n_gaps, n;

  gaps = hull_memory_layout_default_mmio_gaps_x86_64 (&n_gaps);
  layout = hull_memory_layout_new (HULL_DOMAIN_MIN_MEMORY, gaps, n_gaps, NULL, &local_error);
  if (layout == NULL)
    {
      /* The defaults always make a layout; say so loudly if they stop to. */
      g_critical ("default memory layout: %s", local_error->message);
      return g_variant_new_array (G_VARIANT_TYPE_VARDICT, NULL, 0);
    }
  r = hull_memory_layout_get_ram (layout, &n);
  add_ranges (ranges, r, n, "ram");
  r = hull_memory_layout_get_mmio (layout, &n);
  add_ranges (ranges, r, n, "mmio");
  g_ptr_array_sort (ranges, compare_start);
  return g_variant_new_array (G_VARIANT_TYPE_VARDICT, (GVariant *const *)ranges->pdata,
                              ranges->len);
}

GVariant *
hull_capabilities_build (GPtrArray *backends)
{
  GVariantBuilder list;
  GVariantDict caps;

  g_return_val_if_fail (backends != NULL, NULL);

  g_variant_builder_init (&list, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < backends->len; i++)
    {
      const HullBackendInfo *info = g_ptr_array_index (backends, i);
      GVariantDict dict;

      g_variant_dict_init (&dict, NULL);
      g_variant_dict_insert (&dict, "name", "s", info->name);
      g_variant_dict_insert (&dict, "path", "s", info->path);
      g_variant_dict_insert (&dict, "available", "b", info->available);
      g_variant_dict_insert (&dict, "reason", "s",
                             info->unavailable_reason != NULL ? info->unavailable_reason : "");
      g_variant_dict_insert (&dict, "speed", "s", hull_capabilities_speed_to_string (info->speed));
      g_variant_builder_add_value (&list, g_variant_dict_end (&dict));
    }

  g_variant_dict_init (&caps, NULL);
  g_variant_dict_insert (&caps, "arch", "s", hull_arch_to_string (HULL_ARCH_X86_64));
  g_variant_dict_insert (&caps, "hull-version", "s", PACKAGE_VERSION);
  g_variant_dict_insert_value (&caps, "backends", g_variant_builder_end (&list));
  g_variant_dict_insert (&caps, "min-memory", "t", (guint64)HULL_DOMAIN_MIN_MEMORY);
  g_variant_dict_insert (&caps, "max-memory", "t", (guint64)HULL_DOMAIN_MAX_MEMORY);
  g_variant_dict_insert (&caps, "max-vcpus", "u", (guint32)HULL_DOMAIN_MAX_VCPUS);
  g_variant_dict_insert_value (&caps, "default-memory-layout", default_memory_layout ());
  return g_variant_dict_end (&caps);
}
