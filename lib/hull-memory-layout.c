/* hull-memory-layout.c — guest physical memory layout (OpenVMM's vm_topology
 * MemoryLayout::new, memory.rs). */
#include "config.h"

#include "hull-memory-layout.h"

#include "hull-error.h"
#include "hull-i18n.h"

#define PAGE_MASK (HULL_MEMORY_LAYOUT_PAGE_SIZE - 1)
#define FOUR_GIB G_GUINT64_CONSTANT (0x100000000)

struct _HullMemoryLayout
{
  guint64 ram_size;
  GArray *ram;  /* HullMemoryRange, address order */
  GArray *mmio; /* HullMemoryRange, address order */
  gboolean has_vtl2;
  HullMemoryRange vtl2;
  guint64 end_of_ram;
  guint64 ram_below_4gb;
  guint64 end_of_layout;
};

static const HullMemoryRange default_mmio_gaps_x86_64[] = {
  /* 32-bit PCI BARs, IO-APIC (0xfec00000), LAPIC (0xfee00000), HPET. */
  { G_GUINT64_CONSTANT (0xc0000000), G_GUINT64_CONSTANT (0x100000000) },
  /* 64-bit BARs: 16 GiB below 512 GiB, inside a 39-bit address space. */
  { G_GUINT64_CONSTANT (0x7c00000000), G_GUINT64_CONSTANT (0x8000000000) },
};

/* Addresses go into messages as "%s": xgettext cannot read a msgid through
 * G_GINT64_MODIFIER, so the hex is formatted outside _(). */
static char *
format_addr (guint64 addr)
{
  return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", addr);
}

static char *
format_range (const HullMemoryRange *r)
{
  return g_strdup_printf ("0x%" G_GINT64_MODIFIER "x-0x%" G_GINT64_MODIFIER "x", r->start, r->end);
}

static gboolean
ranges_overlap (const HullMemoryRange *a, const HullMemoryRange *b)
{
  return a->start < b->end && b->start < a->end;
}

/* The highest 4 KiB aligned guint64 is HULL_MEMORY_LAYOUT_MAX_ADDRESS, so an
 * aligned range also ends at or below it. */
G_STATIC_ASSERT (HULL_MEMORY_LAYOUT_MAX_ADDRESS == G_MAXUINT64 - PAGE_MASK);

static gboolean
is_page_aligned (const HullMemoryRange *r)
{
  return (r->start & PAGE_MASK) == 0 && (r->end & PAGE_MASK) == 0;
}

const HullMemoryRange *
hull_memory_layout_default_mmio_gaps_x86_64 (guint *n_gaps)
{
  g_return_val_if_fail (n_gaps != NULL, NULL);

  *n_gaps = G_N_ELEMENTS (default_mmio_gaps_x86_64);
  return default_mmio_gaps_x86_64;
}

static gboolean
check_ram_size (guint64 ram_size, GError **error)
{
  if (ram_size == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("memory layout: RAM size is 0, it must be at least 4 KiB"));
      return FALSE;
    }
  if ((ram_size & PAGE_MASK) != 0)
    {
      g_autofree char *size = format_addr (ram_size);

      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("memory layout: RAM size %s is not a multiple of 4 KiB"), size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_gaps (const HullMemoryRange *gaps, guint n_gaps, GError **error)
{
  for (guint i = 0; i < n_gaps; i++)
    {
      const HullMemoryRange *gap = &gaps[i];
      g_autofree char *gap_str = format_range (gap);

      if (gap->start >= gap->end)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("memory layout: MMIO gap %u (%s) is empty"), i, gap_str);
          return FALSE;
        }
      if (!is_page_aligned (gap))
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("memory layout: MMIO gap %u (%s) is not 4 KiB aligned"), i, gap_str);
          return FALSE;
        }
      if (i > 0 && gap->start < gaps[i - 1].end)
        {
          g_autofree char *prev_str = format_range (&gaps[i - 1]);

          if (gap->start < gaps[i - 1].start)
            g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                         _ ("memory layout: MMIO gap %u (%s) is not sorted: it starts below "
                            "the previous gap %s"),
                         i, gap_str, prev_str);
          else
            g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                         _ ("memory layout: MMIO gap %u (%s) overlaps the previous gap %s"), i,
                         gap_str, prev_str);
          return FALSE;
        }
    }
  return TRUE;
}

/* RAM fills [0, MAX_ADDRESS) minus the gaps, bottom-up: each hole takes
 * min(remaining, hole). Returns the bytes that did not fit. */
static guint64
place_ram (guint64 ram_size, const HullMemoryRange *gaps, guint n_gaps, GArray *ram)
{
  guint64 remaining = ram_size;
  guint64 hole_start = 0;

  for (guint i = 0; i <= n_gaps && remaining > 0; i++)
    {
      guint64 hole_end = i < n_gaps ? gaps[i].start : HULL_MEMORY_LAYOUT_MAX_ADDRESS;

      if (hole_end > hole_start)
        {
          HullMemoryRange r = { hole_start, hole_start + MIN (remaining, hole_end - hole_start) };

          g_array_append_val (ram, r);
          remaining -= r.end - r.start;
        }
      if (i < n_gaps)
        hole_start = gaps[i].end;
    }
  return remaining;
}

static gboolean
check_vtl2 (const HullMemoryRange *vtl2, const HullMemoryRange *gaps, guint n_gaps,
            guint64 end_of_ram, GError **error)
{
  g_autofree char *vtl2_str = format_range (vtl2);

  if (vtl2->start >= vtl2->end)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("memory layout: VTL2 range %s is empty"), vtl2_str);
      return FALSE;
    }
  if (!is_page_aligned (vtl2))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("memory layout: VTL2 range %s is not 4 KiB aligned"), vtl2_str);
      return FALSE;
    }
  for (guint i = 0; i < n_gaps; i++)
    {
      if (ranges_overlap (vtl2, &gaps[i]))
        {
          g_autofree char *gap_str = format_range (&gaps[i]);

          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("memory layout: VTL2 range %s overlaps MMIO gap %u (%s)"), vtl2_str, i,
                       gap_str);
          return FALSE;
        }
    }
  /* RAM is placed bottom-up, so everything below end_of_ram is RAM or a
   * gap: this also rejects any overlap with RAM. */
  if (vtl2->start < end_of_ram)
    {
      g_autofree char *end_str = format_addr (end_of_ram);

      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("memory layout: VTL2 range %s starts below the end of RAM, %s; "
                      "it must lie above all RAM"),
                   vtl2_str, end_str);
      return FALSE;
    }
  return TRUE;
}

static guint64
ram_bytes_below_4gb (GArray *ram)
{
  guint64 total = 0;

  for (guint i = 0; i < ram->len; i++)
    {
      const HullMemoryRange *r = &g_array_index (ram, HullMemoryRange, i);

      if (r->start < FOUR_GIB)
        total += MIN (r->end, FOUR_GIB) - r->start;
    }
  return total;
}

HullMemoryLayout *
hull_memory_layout_new (guint64 ram_size, const HullMemoryRange *mmio_gaps, guint n_gaps,
                        const HullMemoryRange *vtl2, GError **error)
{
  g_autoptr (GArray) ram = NULL;
  g_autoptr (GArray) mmio = NULL;
  HullMemoryLayout *l;
  guint64 unplaced, end_of_ram;

  g_return_val_if_fail (n_gaps == 0 || mmio_gaps != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_ram_size (ram_size, error) || !check_gaps (mmio_gaps, n_gaps, error))
    return NULL;

  ram = g_array_new (FALSE, FALSE, sizeof (HullMemoryRange));
  unplaced = place_ram (ram_size, mmio_gaps, n_gaps, ram);
  if (ram->len == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("memory layout: the MMIO gaps cover the whole address space, leaving no "
                      "room for RAM"));
      return NULL;
    }
  if (unplaced > 0)
    {
      g_autofree char *size = format_addr (ram_size);
      g_autofree char *missing = format_addr (unplaced);

      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("memory layout: RAM size %s does not fit outside the MMIO gaps, "
                      "%s bytes are left over"),
                   size, missing);
      return NULL;
    }

  end_of_ram = g_array_index (ram, HullMemoryRange, ram->len - 1).end;
  if (vtl2 != NULL && !check_vtl2 (vtl2, mmio_gaps, n_gaps, end_of_ram, error))
    return NULL;

  mmio = g_array_sized_new (FALSE, FALSE, sizeof (HullMemoryRange), n_gaps);
  g_array_append_vals (mmio, mmio_gaps, n_gaps);

  l = g_new0 (HullMemoryLayout, 1);
  l->ram_size = ram_size;
  l->end_of_ram = end_of_ram;
  l->ram_below_4gb = ram_bytes_below_4gb (ram);
  l->end_of_layout = end_of_ram;
  if (n_gaps > 0)
    l->end_of_layout = MAX (l->end_of_layout, mmio_gaps[n_gaps - 1].end);
  if (vtl2 != NULL)
    {
      l->has_vtl2 = TRUE;
      l->vtl2 = *vtl2;
      l->end_of_layout = MAX (l->end_of_layout, vtl2->end);
    }
  l->ram = g_steal_pointer (&ram);
  l->mmio = g_steal_pointer (&mmio);
  return l;
}

void
hull_memory_layout_free (HullMemoryLayout *l)
{
  if (l == NULL)
    return;
  g_array_unref (l->ram);
  g_array_unref (l->mmio);
  g_free (l);
}

const HullMemoryRange *
hull_memory_layout_get_ram (const HullMemoryLayout *l, guint *n_ranges)
{
  g_return_val_if_fail (l != NULL, NULL);
  g_return_val_if_fail (n_ranges != NULL, NULL);

  *n_ranges = l->ram->len;
  return (const HullMemoryRange *)l->ram->data;
}

const HullMemoryRange *
hull_memory_layout_get_mmio (const HullMemoryLayout *l, guint *n_ranges)
{
  g_return_val_if_fail (l != NULL, NULL);
  g_return_val_if_fail (n_ranges != NULL, NULL);

  *n_ranges = l->mmio->len;
  return l->mmio->len > 0 ? (const HullMemoryRange *)l->mmio->data : NULL;
}

const HullMemoryRange *
hull_memory_layout_get_vtl2 (const HullMemoryLayout *l)
{
  g_return_val_if_fail (l != NULL, NULL);
  return l->has_vtl2 ? &l->vtl2 : NULL;
}

guint64
hull_memory_layout_get_ram_size (const HullMemoryLayout *l)
{
  g_return_val_if_fail (l != NULL, 0);
  return l->ram_size;
}

guint64
hull_memory_layout_get_end_of_ram (const HullMemoryLayout *l)
{
  g_return_val_if_fail (l != NULL, 0);
  return l->end_of_ram;
}

guint64
hull_memory_layout_get_max_ram_below_4gb (const HullMemoryLayout *l)
{
  g_return_val_if_fail (l != NULL, 0);
  return l->ram_below_4gb;
}

guint64
hull_memory_layout_get_end_of_layout (const HullMemoryLayout *l)
{
  g_return_val_if_fail (l != NULL, 0);
  return l->end_of_layout;
}

static gboolean
array_contains (GArray *ranges, guint64 addr)
{
  for (guint i = 0; i < ranges->len; i++)
    {
      const HullMemoryRange *r = &g_array_index (ranges, HullMemoryRange, i);

      if (addr >= r->start && addr < r->end)
        return TRUE;
    }
  return FALSE;
}

HullAddressKind
hull_memory_layout_probe_address (const HullMemoryLayout *l, guint64 addr)
{
  g_return_val_if_fail (l != NULL, HULL_ADDRESS_NONE);

  if (array_contains (l->ram, addr))
    return HULL_ADDRESS_RAM;
  if (array_contains (l->mmio, addr))
    return HULL_ADDRESS_MMIO;
  return HULL_ADDRESS_NONE;
}

static GVariant *
ranges_to_variant (GArray *ranges)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(tt)"));
  for (guint i = 0; i < ranges->len; i++)
    {
      const HullMemoryRange *r = &g_array_index (ranges, HullMemoryRange, i);

      g_variant_builder_add (&b, "(tt)", r->start, r->end);
    }
  return g_variant_builder_end (&b);
}

GVariant *
hull_memory_layout_to_variant (const HullMemoryLayout *l)
{
  GVariantBuilder b;

  g_return_val_if_fail (l != NULL, NULL);

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "ram-size", g_variant_new_uint64 (l->ram_size));
  g_variant_builder_add (&b, "{sv}", "end-of-ram", g_variant_new_uint64 (l->end_of_ram));
  g_variant_builder_add (&b, "{sv}", "ram-below-4g", g_variant_new_uint64 (l->ram_below_4gb));
  g_variant_builder_add (&b, "{sv}", "end-of-layout", g_variant_new_uint64 (l->end_of_layout));
  g_variant_builder_add (&b, "{sv}", "ram", ranges_to_variant (l->ram));
  g_variant_builder_add (&b, "{sv}", "mmio", ranges_to_variant (l->mmio));
  if (l->has_vtl2)
    g_variant_builder_add (&b, "{sv}", "vtl2", g_variant_new ("(tt)", l->vtl2.start, l->vtl2.end));
  return g_variant_builder_end (&b);
}
