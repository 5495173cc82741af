/* hull-guest-memory.h — guest RAM: host memory behind the RAM ranges of a
 * memory layout.
 *
 * Each RAM range gets its own anonymous private mapping (MAP_NORESERVE: pages
 * are only backed when touched). The mapping never changes after
 * hull_guest_memory_new(), so every function here may be called from any
 * thread without locks; concurrent accesses to different bytes do not
 * interfere, and concurrent accesses to the same bytes behave like the
 * guest's own racing accesses (no atomicity beyond memcpy's).
 */
#pragma once

#include <glib.h>

#include "hull-memory-layout.h"

G_BEGIN_DECLS

/* Also declared, identically, by hull-backend.h: C11 allows the repetition. */
typedef struct _HullGuestMemory HullGuestMemory;

/**
 * HullGuestMemoryRegion:
 * @guest_address: the first guest physical address of the region
 * @size: its size in bytes (a non-zero multiple of 4 KiB)
 * @host_address: where the region is mapped in this process
 *
 * One RAM range and its host mapping; a backend turns each into a memory
 * slot. Owned by the #HullGuestMemory, valid while it lives.
 */
typedef struct
{
  guint64 guest_address;
  guint64 size;
  guint8 *host_address;
} HullGuestMemoryRegion;

/**
 * hull_guest_memory_new:
 * @layout: the guest memory layout
 * @error: return location for a #GError, or %NULL
 *
 * Maps one region per RAM range of @layout (the VTL2 range is not mapped).
 * The memory reads as zeros.
 *
 * Fails with %HULL_ERROR_LIMIT_EXCEEDED when the host cannot provide the
 * address space (ENOMEM, or a range larger than the host address space) and
 * with %HULL_ERROR_IO for any other mmap() failure.
 *
 * Returns: (transfer full): new guest memory, release with
 *   hull_guest_memory_unref(); %NULL on error.
 */
HullGuestMemory *hull_guest_memory_new (const HullMemoryLayout *layout, GError **error);

/**
 * hull_guest_memory_new_for_ranges:
 * @ranges: (array length=n_ranges): the RAM ranges: non-empty, 4 KiB aligned,
 *   ending at or below %HULL_MEMORY_LAYOUT_MAX_ADDRESS, sorted and not
 *   overlapping (contiguous ranges are allowed)
 * @n_ranges: number of ranges, at least one
 * @error: return location for a #GError, or %NULL
 *
 * Like hull_guest_memory_new() for explicit ranges (tests, and memory that is
 * not laid out by a #HullMemoryLayout). Fails with
 * %HULL_ERROR_INVALID_ARGUMENT for ranges that break the rules above, and
 * otherwise as hull_guest_memory_new().
 *
 * Returns: (transfer full): new guest memory, or %NULL on error.
 */
HullGuestMemory *hull_guest_memory_new_for_ranges (const HullMemoryRange *ranges, guint n_ranges,
                                                   GError **error);

/**
 * hull_guest_memory_ref:
 * @mem: guest memory
 *
 * Takes a reference [any thread].
 *
 * Returns: (transfer full): @mem
 */
HullGuestMemory *hull_guest_memory_ref (HullGuestMemory *mem);

/**
 * hull_guest_memory_unref:
 * @mem: (nullable) (transfer full): guest memory
 *
 * Drops a reference [any thread]; the last one unmaps the memory, after
 * which no host pointer obtained from @mem may be used.
 */
void hull_guest_memory_unref (HullGuestMemory *mem);

/**
 * hull_guest_memory_get_n_regions:
 * @mem: guest memory
 *
 * Returns: the number of regions, at least one.
 */
guint hull_guest_memory_get_n_regions (HullGuestMemory *mem);

/**
 * hull_guest_memory_get_region:
 * @mem: guest memory
 * @i: a region index, below hull_guest_memory_get_n_regions()
 *
 * Returns: (transfer none): region @i, in guest address order, owned by @mem.
 */
const HullGuestMemoryRegion *hull_guest_memory_get_region (HullGuestMemory *mem, guint i);

/**
 * hull_guest_memory_get_size:
 * @mem: guest memory
 *
 * Returns: the total size of all regions in bytes.
 */
guint64 hull_guest_memory_get_size (HullGuestMemory *mem);

/**
 * hull_guest_memory_read:
 * @mem: guest memory
 * @gpa: the guest physical address to read from
 * @buffer: (out caller-allocates) (array length=len): where to copy to
 * @len: how many bytes to read
 * @error: return location for a #GError, or %NULL
 *
 * Copies [@gpa, @gpa + @len) out of guest RAM [any thread]. The range may
 * span regions only where they are contiguous. A range that touches
 * anything that is not RAM (an MMIO gap, past the end of RAM, or wrapping
 * past the top of the address space) fails with
 * %HULL_ERROR_INVALID_ARGUMENT and copies nothing. @len 0 succeeds.
 *
 * Returns: %TRUE on success.
 */
gboolean hull_guest_memory_read (HullGuestMemory *mem, guint64 gpa, gpointer buffer, gsize len,
                                 GError **error);

/**
 * hull_guest_memory_write:
 * @mem: guest memory
 * @gpa: the guest physical address to write to
 * @buffer: (array length=len): the bytes to write
 * @len: how many bytes to write
 * @error: return location for a #GError, or %NULL
 *
 * Copies @buffer into guest RAM [any thread]; fails like
 * hull_guest_memory_read(), writing nothing then.
 *
 * Returns: %TRUE on success.
 */
gboolean hull_guest_memory_write (HullGuestMemory *mem, guint64 gpa, gconstpointer buffer,
                                  gsize len, GError **error);

/**
 * hull_guest_memory_fill:
 * @mem: guest memory
 * @gpa: the guest physical address to start at
 * @byte: the value to store
 * @len: how many bytes to set
 * @error: return location for a #GError, or %NULL
 *
 * Sets [@gpa, @gpa + @len) to @byte [any thread]; fails like
 * hull_guest_memory_read(), changing nothing then.
 *
 * Returns: %TRUE on success.
 */
gboolean hull_guest_memory_fill (HullGuestMemory *mem, guint64 gpa, guint8 byte, gsize len,
                                 GError **error);

/**
 * hull_guest_memory_get_pointer:
 * @mem: guest memory
 * @gpa: a guest physical address
 * @len: the number of bytes the caller will access
 *
 * Translates a guest physical range to a host pointer [any thread], for
 * callers that access guest RAM in place (loaders, virtqueues).
 *
 * Returns: (transfer none) (nullable): the host address of @gpa, valid while
 *   @mem lives; %NULL unless [@gpa, @gpa + @len) lies entirely inside one
 *   region (for @len 0: unless @gpa is inside a region).
 */
guint8 *hull_guest_memory_get_pointer (HullGuestMemory *mem, guint64 gpa, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullGuestMemory, hull_guest_memory_unref)

G_END_DECLS
