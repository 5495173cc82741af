/* Guest memory: regions from the layout, bounds-checked accesses, host
 * pointers. */
#include "config.h"

#include <string.h>

#include "hull-error.h"
#include "hull-guest-memory.h"

#define KIB(n) ((guint64)(n) << 10)
#define MIB(n) ((guint64)(n) << 20)
#define GIB(n) ((guint64)(n) << 30)

static HullGuestMemory *
new_default (guint64 ram_size)
{
  g_autoptr (HullMemoryLayout) layout = NULL;
  g_autoptr (GError) error = NULL;
  const HullMemoryRange *gaps;
  HullGuestMemory *mem;
  guint n_gaps;

  gaps = hull_memory_layout_default_mmio_gaps_x86_64 (&n_gaps);
  layout = hull_memory_layout_new (ram_size, gaps, n_gaps, NULL, &error);
  g_assert_no_error (error);
  mem = hull_guest_memory_new (layout, &error);
  g_assert_no_error (error);
  g_assert_nonnull (mem);
  return mem;
}

static void
assert_region (HullGuestMemory *mem, guint i, guint64 start, guint64 size)
{
  const HullGuestMemoryRegion *r = hull_guest_memory_get_region (mem, i);

  g_assert_nonnull (r);
  g_assert_cmphex (r->guest_address, ==, start);
  g_assert_cmphex (r->size, ==, size);
  g_assert_nonnull (r->host_address);
}

static void
test_layout_below_gap (void)
{
  g_autoptr (HullGuestMemory) mem = new_default (GIB (2));
  const HullGuestMemoryRegion *r;

  g_assert_cmpuint (hull_guest_memory_get_n_regions (mem), ==, 1);
  assert_region (mem, 0, 0, GIB (2));
  g_assert_cmphex (hull_guest_memory_get_size (mem), ==, GIB (2));

  /* Fresh memory reads as zeros, at both ends. */
  r = hull_guest_memory_get_region (mem, 0);
  g_assert_cmpuint (r->host_address[0], ==, 0);
  g_assert_cmpuint (r->host_address[r->size - 1], ==, 0);
}

/* 16 GiB around the default low gap [3 GiB, 4 GiB): [0, 3 GiB) and
 * [4 GiB, 17 GiB). MAP_NORESERVE keeps this cheap. */
static void
test_layout_split_around_low_gap (void)
{
  g_autoptr (HullGuestMemory) mem = new_default (GIB (16));
  const HullGuestMemoryRegion *low, *high;

  g_assert_cmpuint (hull_guest_memory_get_n_regions (mem), ==, 2);
  assert_region (mem, 0, 0, GIB (3));
  assert_region (mem, 1, GIB (4), GIB (13));
  g_assert_cmphex (hull_guest_memory_get_size (mem), ==, GIB (16));

  /* Separate mappings. */
  low = hull_guest_memory_get_region (mem, 0);
  high = hull_guest_memory_get_region (mem, 1);
  g_assert_true (high->host_address >= low->host_address + low->size
                 || low->host_address >= high->host_address + high->size);
}

static void
test_round_trip (void)
{
  g_autoptr (HullGuestMemory) mem = new_default (GIB (5));
  g_autoptr (GError) error = NULL;
  const guint64 addrs[] = { 0, KIB (4) - 3, GIB (3) - 16, GIB (4), GIB (6) - 16 };
  guint8 pattern[16], back[16];
  guint8 *p;

  for (gsize i = 0; i < G_N_ELEMENTS (addrs); i++)
    {
      for (gsize j = 0; j < sizeof pattern; j++)
        pattern[j] = (guint8)(i * 16 + j + 1);

      g_assert_true (hull_guest_memory_write (mem, addrs[i], pattern, sizeof pattern, &error));
      g_assert_no_error (error);
      memset (back, 0, sizeof back);
      g_assert_true (hull_guest_memory_read (mem, addrs[i], back, sizeof back, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (back, sizeof back, pattern, sizeof pattern);

      /* The host pointer sees the same bytes. */
      p = hull_guest_memory_get_pointer (mem, addrs[i], sizeof pattern);
      g_assert_nonnull (p);
      g_assert_cmpmem (p, sizeof pattern, pattern, sizeof pattern);
    }

  /* Writes through the pointer are visible to read(). */
  p = hull_guest_memory_get_pointer (mem, GIB (4) + 100, 1);
  g_assert_nonnull (p);
  *p = 0x5a;
  g_assert_true (hull_guest_memory_read (mem, GIB (4) + 100, back, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back[0], ==, 0x5a);

  /* fill */
  g_assert_true (hull_guest_memory_fill (mem, GIB (3) - 8, 0xa5, 8, &error));
  g_assert_no_error (error);
  g_assert_true (hull_guest_memory_read (mem, GIB (3) - 16, back, 16, &error));
  g_assert_no_error (error);
  for (gsize j = 0; j < 8; j++)
    g_assert_cmpuint (back[j], ==, (guint8)(2 * 16 + j + 1));
  for (gsize j = 8; j < 16; j++)
    g_assert_cmpuint (back[j], ==, 0xa5);
}

static void
test_zero_length (void)
{
  g_autoptr (HullGuestMemory) mem = new_default (GIB (1));
  g_autoptr (GError) error = NULL;
  guint8 byte = 0;

  /* An empty access touches nothing, wherever it is. */
  g_assert_true (hull_guest_memory_read (mem, GIB (2), &byte, 0, &error));
  g_assert_no_error (error);
  g_assert_true (hull_guest_memory_write (mem, G_MAXUINT64, &byte, 0, &error));
  g_assert_no_error (error);
  g_assert_true (hull_guest_memory_fill (mem, GIB (1), 0, 0, &error));
  g_assert_no_error (error);
}

typedef struct
{
  guint64 gpa;
  gsize len;
  const char *message;
} BadAccess;

/* RAM [0, 3 GiB) and [4 GiB, 5 GiB); gap [3 GiB, 4 GiB). */
static const BadAccess bad_accesses[] = {
  { GIB (3) - 4, 8,
    "guest physical range 0xbffffffc-0xc0000004 is not RAM: 0xc0000000 is in no RAM region" },
  { GIB (3), 1,
    "guest physical range 0xc0000000-0xc0000001 is not RAM: 0xc0000000 is in no RAM "
    "region" },
  { GIB (4) - 1, 2,
    "guest physical range 0xffffffff-0x100000001 is not RAM: 0xffffffff is in no RAM region" },
  { GIB (5) - 2, 4,
    "guest physical range 0x13ffffffe-0x140000002 is not RAM: 0x140000000 is in no RAM region" },
  { GIB (600), 16,
    "guest physical range 0x9600000000-0x9600000010 is not RAM: 0x9600000000 is "
    "in no RAM region" },
  /* A whole-RAM-sized access from 0 runs into the gap. */
  { 0, (gsize)GIB (4),
    "guest physical range 0x0-0x100000000 is not RAM: 0xc0000000 is in no RAM "
    "region" },
  /* gpa + len wraps. */
  { G_MAXUINT64 - 1, 4,
    "guest physical range of 0x4 bytes at 0xfffffffffffffffe wraps past the "
    "end of the address space" },
  { 0x1000, G_MAXSIZE,
    "guest physical range of 0xffffffffffffffff bytes at 0x1000 wraps past the "
    "end of the address space" },
  { G_MAXUINT64, 1,
    "guest physical range of 0x1 bytes at 0xffffffffffffffff wraps past the end "
    "of the address space" },
};

static void
test_bad_access (void)
{
  g_autoptr (HullGuestMemory) mem = new_default (GIB (4));
  guint8 sentinel[8];

  g_assert_cmpuint (hull_guest_memory_get_n_regions (mem), ==, 2);
  memset (sentinel, 0x11, sizeof sentinel);
  g_assert_true (hull_guest_memory_write (mem, GIB (3) - 8, sentinel, 8, NULL));

  for (gsize i = 0; i < G_N_ELEMENTS (bad_accesses); i++)
    {
      const BadAccess *b = &bad_accesses[i];
      g_autoptr (GError) error = NULL;
      guint8 buf[16] = { 0 };

      g_test_message ("access %" G_GSIZE_FORMAT " bytes at 0x%" G_GINT64_MODIFIER "x", b->len,
                      b->gpa);

      /* The large lengths are never copied: the range is checked first. */
      g_assert_false (hull_guest_memory_read (mem, b->gpa, buf, b->len, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, b->message);
      g_clear_error (&error);

      g_assert_false (hull_guest_memory_write (mem, b->gpa, buf, b->len, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, b->message);
      g_clear_error (&error);

      g_assert_false (hull_guest_memory_fill (mem, b->gpa, 0, b->len, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, b->message);

      g_assert_null (hull_guest_memory_get_pointer (mem, b->gpa, b->len));
    }

  /* The failed writes into the gap changed nothing before it. */
  {
    guint8 back[8];

    g_assert_true (hull_guest_memory_read (mem, GIB (3) - 8, back, 8, NULL));
    g_assert_cmpmem (back, 8, sentinel, 8);
  }
}

static void
test_pointer (void)
{
  g_autoptr (HullGuestMemory) mem = new_default (GIB (4));
  const HullGuestMemoryRegion *low = hull_guest_memory_get_region (mem, 0);
  const HullGuestMemoryRegion *high = hull_guest_memory_get_region (mem, 1);

  g_assert_true (hull_guest_memory_get_pointer (mem, 0, GIB (3)) == low->host_address);
  g_assert_true (hull_guest_memory_get_pointer (mem, 0x1234, 4) == low->host_address + 0x1234);
  g_assert_true (hull_guest_memory_get_pointer (mem, GIB (4), GIB (1)) == high->host_address);
  g_assert_true (hull_guest_memory_get_pointer (mem, GIB (5) - 1, 1)
                 == high->host_address + GIB (1) - 1);
  /* len 0: inside a region or nothing. */
  g_assert_true (hull_guest_memory_get_pointer (mem, GIB (1), 0) == low->host_address + GIB (1));
  g_assert_null (hull_guest_memory_get_pointer (mem, GIB (3), 0));

  /* Past a region's end, in the gap, above RAM, wrapping. */
  g_assert_null (hull_guest_memory_get_pointer (mem, 0, GIB (3) + 1));
  g_assert_null (hull_guest_memory_get_pointer (mem, GIB (3) - 1, 2));
  g_assert_null (hull_guest_memory_get_pointer (mem, GIB (3) + 4096, 1));
  g_assert_null (hull_guest_memory_get_pointer (mem, GIB (5), 1));
  g_assert_null (hull_guest_memory_get_pointer (mem, GIB (5) - 1, 2));
  g_assert_null (hull_guest_memory_get_pointer (mem, GIB (4), G_MAXSIZE));
  g_assert_null (hull_guest_memory_get_pointer (mem, G_MAXUINT64, 1));
}

/* Contiguous ranges are separate regions, and an access may span them. */
static void
test_contiguous_ranges (void)
{
  const HullMemoryRange ranges[] = {
    { 0, KIB (8) },
    { KIB (8), KIB (16) },
    { MIB (1), MIB (1) + KIB (4) },
  };
  g_autoptr (HullGuestMemory) mem = NULL;
  g_autoptr (GError) error = NULL;
  guint8 data[64], back[64];

  mem = hull_guest_memory_new_for_ranges (ranges, G_N_ELEMENTS (ranges), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hull_guest_memory_get_n_regions (mem), ==, 3);
  assert_region (mem, 0, 0, KIB (8));
  assert_region (mem, 1, KIB (8), KIB (8));
  assert_region (mem, 2, MIB (1), KIB (4));
  g_assert_cmphex (hull_guest_memory_get_size (mem), ==, KIB (20));

  for (gsize i = 0; i < sizeof data; i++)
    data[i] = (guint8)(0x80 + i);
  g_assert_true (hull_guest_memory_write (mem, KIB (8) - 32, data, sizeof data, &error));
  g_assert_no_error (error);
  g_assert_true (hull_guest_memory_read (mem, KIB (8) - 32, back, sizeof back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (back, sizeof back, data, sizeof data);

  /* Each half landed in its own mapping. */
  g_assert_cmpmem (hull_guest_memory_get_pointer (mem, KIB (8) - 32, 32), 32, data, 32);
  g_assert_cmpmem (hull_guest_memory_get_pointer (mem, KIB (8), 32), 32, data + 32, 32);
  /* A host pointer never spans mappings. */
  g_assert_null (hull_guest_memory_get_pointer (mem, KIB (8) - 32, 64));

  /* Spanning all of RAM in the first two regions works; one byte more does not. */
  g_assert_true (hull_guest_memory_fill (mem, 0, 0x42, (gsize)KIB (16), &error));
  g_assert_no_error (error);
  g_assert_false (hull_guest_memory_fill (mem, 0, 0x42, (gsize)KIB (16) + 1, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
}

static void
test_bad_ranges (void)
{
  const struct
  {
    HullMemoryRange ranges[2];
    guint n;
  } cases[] = {
    { { { 0, 0 } }, 1 },                          /* empty */
    { { { 0x800, 0x2000 } }, 1 },                 /* unaligned start */
    { { { 0, 0x1800 } }, 1 },                     /* unaligned end */
    { { { 0, 0x2000 }, { 0x1000, 0x3000 } }, 2 }, /* overlapping */
    { { { 0x4000, 0x5000 }, { 0, 0x1000 } }, 2 }, /* unsorted */
    { { { 0x2000, 0x1000 } }, 1 },                /* reversed */
    { { { 0 } }, 0 },                             /* none */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      HullGuestMemory *mem;

      mem = hull_guest_memory_new_for_ranges (cases[i].ranges, cases[i].n, &error);
      g_assert_null (mem);
      g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
      g_assert_true (g_str_has_prefix (error->message, "guest memory: "));
    }
}

/* More address space than the host has: mmap() fails with ENOMEM. Checked
 * in a subprocess, which runs natively even when this test runs under
 * valgrind (whose address space manager answers EINVAL instead). */
static void
test_mmap_failure (void)
{
  const HullMemoryRange ranges[] = {
    { 0, MIB (1) },
    { GIB (4), GIB (4) + (G_GUINT64_CONSTANT (1) << 62) },
  };
  g_autoptr (GError) error = NULL;
  HullGuestMemory *mem;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }

  mem = hull_guest_memory_new_for_ranges (ranges, G_N_ELEMENTS (ranges), &error);
  g_assert_null (mem);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED);
  g_assert_nonnull (strstr (error->message, "cannot map 0x4000000000000000 bytes for RAM range "
                                            "0x100000000-0x4000000100000000: "));
}

static void
test_ref (void)
{
  HullGuestMemory *mem = new_default (MIB (16));
  HullGuestMemory *ref = hull_guest_memory_ref (mem);

  g_assert_true (ref == mem);
  hull_guest_memory_unref (mem);
  /* Still mapped: one reference left. */
  g_assert_true (hull_guest_memory_write (ref, 0, "x", 1, NULL));
  hull_guest_memory_unref (ref);
  hull_guest_memory_unref (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hull/guest-memory/layout/below-low-gap", test_layout_below_gap);
  g_test_add_func ("/hull/guest-memory/layout/16g-split-around-low-gap",
                   test_layout_split_around_low_gap);
  g_test_add_func ("/hull/guest-memory/access/round-trip", test_round_trip);
  g_test_add_func ("/hull/guest-memory/access/zero-length-always-succeeds", test_zero_length);
  g_test_add_func ("/hull/guest-memory/access/outside-ram-refused", test_bad_access);
  g_test_add_func ("/hull/guest-memory/access/spans-contiguous-ranges", test_contiguous_ranges);
  g_test_add_func ("/hull/guest-memory/pointer/null-unless-inside-one-region", test_pointer);
  g_test_add_func ("/hull/guest-memory/new/bad-ranges-refused", test_bad_ranges);
  g_test_add_func ("/hull/guest-memory/new/mmap-enomem-is-limit-exceeded", test_mmap_failure);
  g_test_add_func ("/hull/guest-memory/ref-unref", test_ref);

  return g_test_run ();
}
