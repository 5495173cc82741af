/* Guest memory layout: validation, bottom-up RAM placement around the MMIO
 * gaps, VTL2 and address probing (reference: partition-semantics.md §3,
 * memory.rs). */
#include "config.h"

#include <string.h>

#include "hull-error.h"
#include "hull-memory-layout.h"

#define MIB(n) ((guint64)(n) << 20)
#define GIB(n) ((guint64)(n) << 30)
#define TOP HULL_MEMORY_LAYOUT_MAX_ADDRESS
#define HIGH_GAP_END G_GUINT64_CONSTANT (0x8000000000)

#define GAPS(...)                                                                                  \
  .gaps = (const HullMemoryRange[]){ __VA_ARGS__ },                                                \
  .n_gaps = G_N_ELEMENTS (((const HullMemoryRange[]){ __VA_ARGS__ }))
#define RAM(...)                                                                                   \
  .ram = (const HullMemoryRange[]){ __VA_ARGS__ },                                                 \
  .n_ram = G_N_ELEMENTS (((const HullMemoryRange[]){ __VA_ARGS__ }))
#define VTL2(s, e)                                                                                 \
  .vtl2 = &(const HullMemoryRange)                                                                 \
  {                                                                                                \
    (s), (e)                                                                                       \
  }
#define FAILS(code, substring) .error_code = (code), .error_substring = (substring)

typedef struct
{
  const char *path;
  guint64 ram_size;
  gboolean default_gaps;
  const HullMemoryRange *gaps;
  guint n_gaps;
  const HullMemoryRange *vtl2;
  /* An error (when error_substring is set), or the layout. */
  int error_code;
  const char *error_substring;
  const HullMemoryRange *ram;
  guint n_ram;
  guint64 end_of_ram;
  guint64 below_4g;
  guint64 end_of_layout;
} LayoutCase;

static const LayoutCase layout_cases[] = {
  /* The default x86-64 gaps: [3 GiB, 4 GiB) and [496 GiB, 512 GiB). */
  { .path = "/hull/memory-layout/default/2g",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    RAM ({ 0, GIB (2) }),
    .end_of_ram = GIB (2),
    .below_4g = GIB (2),
    .end_of_layout = HIGH_GAP_END },
  { .path = "/hull/memory-layout/default/3g-fills-low-hole",
    .ram_size = GIB (3),
    .default_gaps = TRUE,
    RAM ({ 0, GIB (3) }),
    .end_of_ram = GIB (3),
    .below_4g = GIB (3),
    .end_of_layout = HIGH_GAP_END },
  { .path = "/hull/memory-layout/default/4g-splits-at-low-gap",
    .ram_size = GIB (4),
    .default_gaps = TRUE,
    RAM ({ 0, GIB (3) }, { GIB (4), GIB (5) }),
    .end_of_ram = GIB (5),
    .below_4g = GIB (3),
    .end_of_layout = HIGH_GAP_END },
  { .path = "/hull/memory-layout/default/495g-fills-up-to-high-gap",
    .ram_size = GIB (495),
    .default_gaps = TRUE,
    RAM ({ 0, GIB (3) }, { GIB (4), GIB (496) }),
    .end_of_ram = GIB (496),
    .below_4g = GIB (3),
    .end_of_layout = HIGH_GAP_END },
  { .path = "/hull/memory-layout/default/600g-above-high-gap",
    .ram_size = GIB (600),
    .default_gaps = TRUE,
    RAM ({ 0, GIB (3) }, { GIB (4), GIB (496) }, { GIB (512), GIB (617) }),
    .end_of_ram = GIB (617),
    .below_4g = GIB (3),
    .end_of_layout = GIB (617) },

  { .path = "/hull/memory-layout/placement/no-gaps",
    .ram_size = GIB (1),
    RAM ({ 0, GIB (1) }),
    .end_of_ram = GIB (1),
    .below_4g = GIB (1),
    .end_of_layout = GIB (1) },
  { .path = "/hull/memory-layout/placement/whole-address-space",
    .ram_size = TOP,
    RAM ({ 0, TOP }),
    .end_of_ram = TOP,
    .below_4g = GIB (4),
    .end_of_layout = TOP },
  { .path = "/hull/memory-layout/placement/gap-at-zero",
    .ram_size = MIB (16),
    GAPS ({ 0, MIB (1) }),
    RAM ({ MIB (1), MIB (17) }),
    .end_of_ram = MIB (17),
    .below_4g = MIB (16),
    .end_of_layout = MIB (17) },
  { .path = "/hull/memory-layout/placement/ram-ends-at-gap",
    .ram_size = GIB (1),
    GAPS ({ GIB (1), GIB (2) }),
    RAM ({ 0, GIB (1) }),
    .end_of_ram = GIB (1),
    .below_4g = GIB (1),
    .end_of_layout = GIB (2) },
  { .path = "/hull/memory-layout/placement/adjacent-gaps",
    .ram_size = GIB (2),
    GAPS ({ GIB (1), GIB (2) }, { GIB (2), GIB (3) }),
    RAM ({ 0, GIB (1) }, { GIB (3), GIB (4) }),
    .end_of_ram = GIB (4),
    .below_4g = GIB (2),
    .end_of_layout = GIB (4) },
  /* RAM bytes below 4 GiB, not the highest RAM address below it. */
  { .path = "/hull/memory-layout/placement/below-4g-counts-bytes",
    .ram_size = GIB (4),
    GAPS ({ GIB (1), GIB (2) }),
    RAM ({ 0, GIB (1) }, { GIB (2), GIB (5) }),
    .end_of_ram = GIB (5),
    .below_4g = GIB (3),
    .end_of_layout = GIB (5) },
  { .path = "/hull/memory-layout/placement/gap-straddles-4g",
    .ram_size = GIB (4),
    GAPS ({ 0xe0000000, 0x120000000 }),
    RAM ({ 0, 0xe0000000 }, { 0x120000000, 0x140000000 }),
    .end_of_ram = 0x140000000,
    .below_4g = 0xe0000000,
    .end_of_layout = 0x140000000 },
  { .path = "/hull/memory-layout/placement/last-page",
    .ram_size = 0x1000,
    GAPS ({ 0, TOP - 0x1000 }),
    RAM ({ TOP - 0x1000, TOP }),
    .end_of_ram = TOP,
    .below_4g = 0,
    .end_of_layout = TOP },

  { .path = "/hull/memory-layout/vtl2/above-ram",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    VTL2 (0x10000000000, 0x10004000000),
    RAM ({ 0, GIB (2) }),
    .end_of_ram = GIB (2),
    .below_4g = GIB (2),
    .end_of_layout = 0x10004000000 },
  { .path = "/hull/memory-layout/vtl2/at-end-of-ram",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    VTL2 (GIB (2), GIB (2) + MIB (64)),
    RAM ({ 0, GIB (2) }),
    .end_of_ram = GIB (2),
    .below_4g = GIB (2),
    .end_of_layout = HIGH_GAP_END },

  /* BadSize */
  { .path = "/hull/memory-layout/bad-size/zero",
    .ram_size = 0,
    .default_gaps = TRUE,
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "RAM size is 0") },
  { .path = "/hull/memory-layout/bad-size/unaligned",
    .ram_size = 0x1001,
    .default_gaps = TRUE,
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "RAM size 0x1001 is not a multiple of 4 KiB") },
  { .path = "/hull/memory-layout/bad-size/half-page",
    .ram_size = GIB (1) + 0x800,
    .default_gaps = TRUE,
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "RAM size 0x40000800 is not a multiple of 4 KiB") },

  /* BadMemoryRanges */
  { .path = "/hull/memory-layout/bad-gaps/unsorted",
    .ram_size = GIB (1),
    GAPS ({ GIB (2), GIB (3) }, { GIB (1), 0x60000000 }),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "MMIO gap 1 (0x40000000-0x60000000) is not sorted: it "
                                        "starts below the previous gap 0x80000000-0xc0000000") },
  { .path = "/hull/memory-layout/bad-gaps/overlapping",
    .ram_size = GIB (1),
    GAPS ({ GIB (1), GIB (3) }, { GIB (2), GIB (4) }),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "MMIO gap 1 (0x80000000-0x100000000) overlaps the "
                                        "previous gap 0x40000000-0xc0000000") },
  { .path = "/hull/memory-layout/bad-gaps/duplicate",
    .ram_size = GIB (1),
    GAPS ({ GIB (1), GIB (2) }, { GIB (1), GIB (2) }),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "MMIO gap 1 (0x40000000-0x80000000) overlaps") },
  { .path = "/hull/memory-layout/bad-gaps/empty",
    .ram_size = GIB (1),
    GAPS ({ GIB (1), GIB (1) }),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "MMIO gap 0 (0x40000000-0x40000000) is empty") },
  { .path = "/hull/memory-layout/bad-gaps/inverted",
    .ram_size = GIB (1),
    GAPS ({ GIB (1), GIB (2) }, { GIB (4), GIB (3) }),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "MMIO gap 1 (0x100000000-0xc0000000) is empty") },
  { .path = "/hull/memory-layout/bad-gaps/unaligned-start",
    .ram_size = GIB (1),
    GAPS ({ 0x800, 0x2000 }),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "MMIO gap 0 (0x800-0x2000) is not 4 KiB aligned") },
  { .path = "/hull/memory-layout/bad-gaps/unaligned-end",
    .ram_size = GIB (1),
    GAPS ({ 0, 0x1000 }, { GIB (1), GIB (1) + 0x10 }),
    FAILS (HULL_ERROR_INVALID_ARGUMENT,
           "MMIO gap 1 (0x40000000-0x40000010) is not 4 KiB aligned") },

  /* No RAM / exhausted */
  { .path = "/hull/memory-layout/no-ram",
    .ram_size = GIB (1),
    GAPS ({ 0, TOP }),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "leaving no room for RAM") },
  { .path = "/hull/memory-layout/exhausted/one-page-short",
    .ram_size = 0x2000,
    GAPS ({ 0x1000, TOP }),
    FAILS (HULL_ERROR_LIMIT_EXCEEDED,
           "RAM size 0x2000 does not fit outside the MMIO gaps, 0x1000 bytes are left over") },
  { .path = "/hull/memory-layout/exhausted/default-gaps",
    .ram_size = TOP,
    .default_gaps = TRUE,
    FAILS (HULL_ERROR_LIMIT_EXCEEDED, "0x440000000 bytes are left over") },

  /* VTL2 */
  { .path = "/hull/memory-layout/vtl2/before-end-of-ram",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    VTL2 (GIB (1), GIB (1) + MIB (2)),
    FAILS (HULL_ERROR_INVALID_ARGUMENT,
           "VTL2 range 0x40000000-0x40200000 starts below the end of RAM, 0x80000000") },
  { .path = "/hull/memory-layout/vtl2/overlaps-end-of-ram",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    VTL2 (GIB (2) - 0x1000, GIB (2) + 0x1000),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "starts below the end of RAM, 0x80000000") },
  { .path = "/hull/memory-layout/vtl2/overlaps-low-gap",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    VTL2 (0xff000000, 0x101000000),
    FAILS (HULL_ERROR_INVALID_ARGUMENT,
           "VTL2 range 0xff000000-0x101000000 overlaps MMIO gap 0 (0xc0000000-0x100000000)") },
  { .path = "/hull/memory-layout/vtl2/inside-high-gap",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    VTL2 (0x7c00000000, 0x7c00200000),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "overlaps MMIO gap 1 (0x7c00000000-0x8000000000)") },
  { .path = "/hull/memory-layout/vtl2/empty",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    VTL2 (GIB (8), GIB (8)),
    FAILS (HULL_ERROR_INVALID_ARGUMENT, "VTL2 range 0x200000000-0x200000000 is empty") },
  { .path = "/hull/memory-layout/vtl2/unaligned",
    .ram_size = GIB (2),
    .default_gaps = TRUE,
    VTL2 (GIB (8) + 0x10, GIB (9)),
    FAILS (HULL_ERROR_INVALID_ARGUMENT,
           "VTL2 range 0x200000010-0x240000000 is not 4 KiB aligned") },
};

static HullMemoryLayout *
build_layout (const LayoutCase *c, const HullMemoryRange **gaps, guint *n_gaps, GError **error)
{
  *gaps = c->gaps;
  *n_gaps = c->n_gaps;
  if (c->default_gaps)
    *gaps = hull_memory_layout_default_mmio_gaps_x86_64 (n_gaps);
  return hull_memory_layout_new (c->ram_size, *gaps, *n_gaps, c->vtl2, error);
}

static void
assert_ranges_equal (const HullMemoryRange *got, guint n_got, const HullMemoryRange *want,
                     guint n_want)
{
  g_assert_cmpuint (n_got, ==, n_want);
  for (guint i = 0; i < n_want; i++)
    {
      g_assert_cmphex (got[i].start, ==, want[i].start);
      g_assert_cmphex (got[i].end, ==, want[i].end);
    }
}

static void
test_layout (gconstpointer data)
{
  const LayoutCase *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullMemoryLayout) l = NULL;
  const HullMemoryRange *gaps, *ram, *mmio, *vtl2;
  guint n_gaps, n_ram, n_mmio;
  guint64 total = 0;

  l = build_layout (c, &gaps, &n_gaps, &error);
  if (c->error_substring != NULL)
    {
      g_assert_error (error, HULL_ERROR, c->error_code);
      g_assert_null (l);
      if (strstr (error->message, c->error_substring) == NULL)
        g_error ("message \"%s\" lacks \"%s\"", error->message, c->error_substring);
      return;
    }

  g_assert_no_error (error);
  g_assert_nonnull (l);

  ram = hull_memory_layout_get_ram (l, &n_ram);
  assert_ranges_equal (ram, n_ram, c->ram, c->n_ram);
  mmio = hull_memory_layout_get_mmio (l, &n_mmio);
  assert_ranges_equal (mmio, n_mmio, gaps, n_gaps);
  g_assert_true (n_mmio > 0 || mmio == NULL);

  /* Invariants: RAM is page aligned, sums to ram_size and avoids the gaps. */
  for (guint i = 0; i < n_ram; i++)
    {
      g_assert_cmphex (ram[i].start & 0xfff, ==, 0);
      g_assert_cmphex (ram[i].end & 0xfff, ==, 0);
      g_assert_cmphex (ram[i].start, <, ram[i].end);
      total += ram[i].end - ram[i].start;
      for (guint j = 0; j < n_gaps; j++)
        g_assert_true (ram[i].end <= gaps[j].start || gaps[j].end <= ram[i].start);
    }
  g_assert_cmphex (total, ==, c->ram_size);

  vtl2 = hull_memory_layout_get_vtl2 (l);
  if (c->vtl2 == NULL)
    g_assert_null (vtl2);
  else
    assert_ranges_equal (vtl2, 1, c->vtl2, 1);

  g_assert_cmphex (hull_memory_layout_get_ram_size (l), ==, c->ram_size);
  g_assert_cmphex (hull_memory_layout_get_end_of_ram (l), ==, c->end_of_ram);
  g_assert_cmphex (hull_memory_layout_get_max_ram_below_4gb (l), ==, c->below_4g);
  g_assert_cmphex (hull_memory_layout_get_end_of_layout (l), ==, c->end_of_layout);
}

static void
test_default_gaps (void)
{
  static const HullMemoryRange want[] = {
    { 0xc0000000, 0x100000000 },
    { 0x7c00000000, 0x8000000000 },
  };
  const HullMemoryRange *gaps;
  guint n = 0;

  gaps = hull_memory_layout_default_mmio_gaps_x86_64 (&n);
  assert_ranges_equal (gaps, n, want, G_N_ELEMENTS (want));
  /* The LAPIC and IO-APIC are inside the low gap. */
  g_assert_cmphex (gaps[0].start, <=, 0xfec00000);
  g_assert_cmphex (gaps[0].end, >, 0xfee00fff);
}

typedef struct
{
  guint64 addr;
  HullAddressKind kind;
} ProbeCase;

static void
test_probe_address (void)
{
  /* 4 GiB with the default gaps and VTL2 at 1 TiB:
   * RAM [0, 3G) and [4G, 5G), MMIO [3G, 4G) and [496G, 512G). */
  static const ProbeCase cases[] = {
    { 0, HULL_ADDRESS_RAM },
    { 0xbfffffff, HULL_ADDRESS_RAM },
    { 0xc0000000, HULL_ADDRESS_MMIO },
    { 0xfec00000, HULL_ADDRESS_MMIO },
    { 0xfee00000, HULL_ADDRESS_MMIO },
    { 0xffffffff, HULL_ADDRESS_MMIO },
    { 0x100000000, HULL_ADDRESS_RAM },
    { 0x13fffffff, HULL_ADDRESS_RAM },
    { 0x140000000, HULL_ADDRESS_NONE },
    { 0x7bffffffff, HULL_ADDRESS_NONE },
    { 0x7c00000000, HULL_ADDRESS_MMIO },
    { 0x7fffffffff, HULL_ADDRESS_MMIO },
    { 0x8000000000, HULL_ADDRESS_NONE },
    { 0x10000000000, HULL_ADDRESS_NONE }, /* VTL2 is neither */
    { G_MAXUINT64, HULL_ADDRESS_NONE },
  };
  static const HullMemoryRange vtl2 = { 0x10000000000, 0x10004000000 };
  g_autoptr (GError) error = NULL;
  g_autoptr (HullMemoryLayout) l = NULL;
  const HullMemoryRange *gaps;
  guint n_gaps;

  gaps = hull_memory_layout_default_mmio_gaps_x86_64 (&n_gaps);
  l = hull_memory_layout_new (GIB (4), gaps, n_gaps, &vtl2, &error);
  g_assert_no_error (error);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("address 0x%" G_GINT64_MODIFIER "x", cases[i].addr);
      g_assert_cmpint (hull_memory_layout_probe_address (l, cases[i].addr), ==, cases[i].kind);
    }
}

static void
test_to_variant (void)
{
  static const HullMemoryRange vtl2 = { 0x10000000000, 0x10004000000 };
  g_autoptr (GError) error = NULL;
  g_autoptr (HullMemoryLayout) plain = NULL;
  g_autoptr (HullMemoryLayout) with_vtl2 = NULL;
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) w = NULL;
  g_autoptr (GVariant) ram = NULL;
  g_autoptr (GVariant) mmio = NULL;
  const HullMemoryRange *gaps;
  guint n_gaps;
  guint64 t, start, end;

  gaps = hull_memory_layout_default_mmio_gaps_x86_64 (&n_gaps);
  plain = hull_memory_layout_new (GIB (4), gaps, n_gaps, NULL, &error);
  g_assert_no_error (error);
  v = hull_memory_layout_to_variant (plain);
  g_assert_true (g_variant_is_floating (v));
  g_variant_ref_sink (v);
  g_assert_cmpstr (g_variant_get_type_string (v), ==, "a{sv}");

  g_assert_true (g_variant_lookup (v, "ram-size", "t", &t));
  g_assert_cmphex (t, ==, GIB (4));
  g_assert_true (g_variant_lookup (v, "end-of-ram", "t", &t));
  g_assert_cmphex (t, ==, GIB (5));
  g_assert_true (g_variant_lookup (v, "ram-below-4g", "t", &t));
  g_assert_cmphex (t, ==, GIB (3));
  g_assert_true (g_variant_lookup (v, "end-of-layout", "t", &t));
  g_assert_cmphex (t, ==, HIGH_GAP_END);
  g_assert_false (g_variant_lookup (v, "vtl2", "(tt)", &start, &end));

  ram = g_variant_lookup_value (v, "ram", G_VARIANT_TYPE ("a(tt)"));
  g_assert_nonnull (ram);
  g_assert_cmpuint (g_variant_n_children (ram), ==, 2);
  g_variant_get_child (ram, 1, "(tt)", &start, &end);
  g_assert_cmphex (start, ==, GIB (4));
  g_assert_cmphex (end, ==, GIB (5));
  mmio = g_variant_lookup_value (v, "mmio", G_VARIANT_TYPE ("a(tt)"));
  g_assert_nonnull (mmio);
  g_assert_cmpuint (g_variant_n_children (mmio), ==, 2);
  g_variant_get_child (mmio, 0, "(tt)", &start, &end);
  g_assert_cmphex (start, ==, 0xc0000000);
  g_assert_cmphex (end, ==, 0x100000000);

  with_vtl2 = hull_memory_layout_new (GIB (4), gaps, n_gaps, &vtl2, &error);
  g_assert_no_error (error);
  w = g_variant_ref_sink (hull_memory_layout_to_variant (with_vtl2));
  g_assert_true (g_variant_lookup (w, "vtl2", "(tt)", &start, &end));
  g_assert_cmphex (start, ==, vtl2.start);
  g_assert_cmphex (end, ==, vtl2.end);
  g_assert_true (g_variant_lookup (w, "end-of-layout", "t", &t));
  g_assert_cmphex (t, ==, vtl2.end);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (layout_cases); i++)
    g_test_add_data_func (layout_cases[i].path, &layout_cases[i], test_layout);
  g_test_add_func ("/hull/memory-layout/default-gaps", test_default_gaps);
  g_test_add_func ("/hull/memory-layout/probe-address", test_probe_address);
  g_test_add_func ("/hull/memory-layout/to-variant", test_to_variant);

  return g_test_run ();
}
