/* hull-guest-memory.c — guest RAM mapped per RAM range.
 *
 * One mmap() per range rather than one reservation sliced up: the address
 * space used is the RAM size, not the span of the layout (a layout may put
 * RAM far above the gaps, even near the top of the 64-bit space, which one
 * reservation could not cover), and each region is what a backend registers
 * as a memory slot anyway. */
#include "config.h"

#include "hull-guest-memory.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "hull-error.h"
#include "hull-i18n.h"

#define PAGE_MASK (HULL_MEMORY_LAYOUT_PAGE_SIZE - 1)

struct _HullGuestMemory
{
  gatomicrefcount ref_count;
  guint n_regions;
  HullGuestMemoryRegion *regions; /* guest address order */
  guint64 size;
};

typedef unsigned long long ull;

static void
unmap_regions (HullGuestMemoryRegion *regions, guint n)
{
  for (guint i = 0; i < n; i++)
    if (regions[i].host_address != NULL)
      munmap (regions[i].host_address, (size_t)regions[i].size);
}

static gboolean
check_ranges (const HullMemoryRange *ranges, guint n_ranges, GError **error)
{
  if (n_ranges == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("guest memory: there are no RAM ranges"));
      return FALSE;
    }

  for (guint i = 0; i < n_ranges; i++)
    {
      const HullMemoryRange *r = &ranges[i];

      if (r->start >= r->end || (r->start & PAGE_MASK) != 0 || (r->end & PAGE_MASK) != 0)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("guest memory: RAM range 0x%llx-0x%llx is empty or not 4 KiB aligned"),
                       (ull)r->start, (ull)r->end);
          return FALSE;
        }
      if (i > 0 && r->start < ranges[i - 1].end)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("guest memory: RAM range 0x%llx-0x%llx overlaps or precedes "
                          "0x%llx-0x%llx"),
                       (ull)r->start, (ull)r->end, (ull)ranges[i - 1].start,
                       (ull)ranges[i - 1].end);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
map_region (HullGuestMemoryRegion *region, GError **error)
{
  void *p;
  int saved_errno;

  if (region->size > G_MAXSIZE)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("guest memory: RAM range 0x%llx-0x%llx is larger than the host "
                      "address space"),
                   (ull)region->guest_address, (ull)(region->guest_address + region->size));
      return FALSE;
    }

  p = mmap (NULL, (size_t)region->size, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    {
      saved_errno = errno;
      g_set_error (error, HULL_ERROR,
                   saved_errno == ENOMEM ? HULL_ERROR_LIMIT_EXCEEDED : HULL_ERROR_IO,
                   _ ("guest memory: cannot map 0x%llx bytes for RAM range 0x%llx-0x%llx: %s"),
                   (ull)region->size, (ull)region->guest_address,
                   (ull)(region->guest_address + region->size), g_strerror (saved_errno));
      return FALSE;
    }

#ifdef MADV_DONTFORK
  /* A child forked by the worker (a helper process) must not share guest
   * RAM copy-on-write with the running guest. Best effort. */
  (void)madvise (p, (size_t)region->size, MADV_DONTFORK);
#endif

  region->host_address = p;
  return TRUE;
}

HullGuestMemory *
hull_guest_memory_new_for_ranges (const HullMemoryRange *ranges, guint n_ranges, GError **error)
{
  g_autofree HullGuestMemoryRegion *regions = NULL;
  HullGuestMemory *mem;
  guint64 size = 0;

  g_return_val_if_fail (ranges != NULL || n_ranges == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_ranges (ranges, n_ranges, error))
    return NULL;

  regions = g_new0 (HullGuestMemoryRegion, n_ranges);
  for (guint i = 0; i < n_ranges; i++)
    {
      regions[i].guest_address = ranges[i].start;
      regions[i].size = ranges[i].end - ranges[i].start;
      if (!map_region (&regions[i], error))
        {
          unmap_regions (regions, i);
          return NULL;
        }
      /* Sorted, non-overlapping ranges below 2^64: the sum fits. */
      size += regions[i].size;
    }

  mem = g_new0 (HullGuestMemory, 1);
  g_atomic_ref_count_init (&mem->ref_count);
  mem->n_regions = n_ranges;
  mem->regions = g_steal_pointer (&regions);
  mem->size = size;
  return mem;
}

HullGuestMemory *
hull_guest_memory_new (const HullMemoryLayout *layout, GError **error)
{
  const HullMemoryRange *ram;
  guint n_ram = 0;

  g_return_val_if_fail (layout != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ram = hull_memory_layout_get_ram (layout, &n_ram);
  return hull_guest_memory_new_for_ranges (ram, n_ram, error);
}

HullGuestMemory *
hull_guest_memory_ref (HullGuestMemory *mem)
{
  g_return_val_if_fail (mem != NULL, NULL);

  g_atomic_ref_count_inc (&mem->ref_count);
  return mem;
}

void
hull_guest_memory_unref (HullGuestMemory *mem)
{
  if (mem == NULL || !g_atomic_ref_count_dec (&mem->ref_count))
    return;

  unmap_regions (mem->regions, mem->n_regions);
  g_free (mem->regions);
  g_free (mem);
}

guint
hull_guest_memory_get_n_regions (HullGuestMemory *mem)
{
  g_return_val_if_fail (mem != NULL, 0);

  return mem->n_regions;
}

const HullGuestMemoryRegion *
hull_guest_memory_get_region (HullGuestMemory *mem, guint i)
{
  g_return_val_if_fail (mem != NULL, NULL);
  g_return_val_if_fail (i < mem->n_regions, NULL);

  return &mem->regions[i];
}

guint64
hull_guest_memory_get_size (HullGuestMemory *mem)
{
  g_return_val_if_fail (mem != NULL, 0);

  return mem->size;
}

/* The region containing @gpa, or NULL. */
static const HullGuestMemoryRegion *
find_region (HullGuestMemory *mem, guint64 gpa)
{
  guint lo = 0, hi = mem->n_regions;

  /* The first region whose start is above @gpa is at lo when this ends. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (mem->regions[mid].guest_address <= gpa)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return NULL;

  /* Region sizes are never 0, and guest_address + size never wraps. */
  if (gpa - mem->regions[lo - 1].guest_address < mem->regions[lo - 1].size)
    return &mem->regions[lo - 1];
  return NULL;
}

/* Whether [gpa, gpa + len) is all RAM; len > 0. */
static gboolean
check_access (HullGuestMemory *mem, guint64 gpa, guint64 len, GError **error)
{
  guint64 addr, end;

  if (len > G_MAXUINT64 - gpa)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("guest physical range of 0x%llx bytes at 0x%llx wraps past the end of "
                      "the address space"),
                   (ull)len, (ull)gpa);
      return FALSE;
    }

  end = gpa + len;
  for (addr = gpa; addr < end;)
    {
      const HullGuestMemoryRegion *r = find_region (mem, addr);

      if (r == NULL)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("guest physical range 0x%llx-0x%llx is not RAM: 0x%llx is in no RAM "
                          "region"),
                       (ull)gpa, (ull)end, (ull)addr);
          return FALSE;
        }
      addr = r->guest_address + r->size;
    }
  return TRUE;
}

typedef enum
{
  ACCESS_READ,
  ACCESS_WRITE,
  ACCESS_FILL,
} AccessKind;

/* Checks the whole range first, so a failed access changes nothing. */
static gboolean
access_range (HullGuestMemory *mem, AccessKind kind, guint64 gpa, guint8 *out, const guint8 *in,
              guint8 byte, gsize len, GError **error)
{
  guint64 addr, end;
  gsize done = 0;

  if (len == 0)
    return TRUE;
  if (!check_access (mem, gpa, len, error))
    return FALSE;

  end = gpa + len;
  for (addr = gpa; addr < end;)
    {
      const HullGuestMemoryRegion *r = find_region (mem, addr);
      guint64 offset = addr - r->guest_address;
      gsize chunk = (gsize)MIN (end - addr, r->size - offset);
      guint8 *host = r->host_address + offset;

      switch (kind)
        {
          case ACCESS_READ:
            memcpy (out + done, host, chunk);
            break;
          case ACCESS_WRITE:
            memcpy (host, in + done, chunk);
            break;
          case ACCESS_FILL:
            memset (host, byte, chunk);
            break;
        }
      done += chunk;
      addr += chunk;
    }
  return TRUE;
}

gboolean
hull_guest_memory_read (HullGuestMemory *mem, guint64 gpa, gpointer buffer, gsize len,
                        GError **error)
{
  g_return_val_if_fail (mem != NULL, FALSE);
  g_return_val_if_fail (buffer != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return access_range (mem, ACCESS_READ, gpa, buffer, NULL, 0, len, error);
}

gboolean
hull_guest_memory_write (HullGuestMemory *mem, guint64 gpa, gconstpointer buffer, gsize len,
                         GError **error)
{
  g_return_val_if_fail (mem != NULL, FALSE);
  g_return_val_if_fail (buffer != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return access_range (mem, ACCESS_WRITE, gpa, NULL, buffer, 0, len, error);
}

gboolean
hull_guest_memory_fill (HullGuestMemory *mem, guint64 gpa, guint8 byte, gsize len, GError **error)
{
  g_return_val_if_fail (mem != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return access_range (mem, ACCESS_FILL, gpa, NULL, NULL, byte, len, error);
}

guint8 *
hull_guest_memory_get_pointer (HullGuestMemory *mem, guint64 gpa, gsize len)
{
  const HullGuestMemoryRegion *r;
  guint64 offset;

  g_return_val_if_fail (mem != NULL, NULL);

  r = find_region (mem, gpa);
  if (r == NULL)
    return NULL;
  offset = gpa - r->guest_address;
  if (len > r->size - offset)
    return NULL;
  return r->host_address + offset;
}
