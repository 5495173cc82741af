/* hull-memory-layout.h — guest physical address layout: where RAM, the MMIO
 * gaps and the optional VTL2 range sit.
 *
 * Follows OpenVMM's vm_topology MemoryLayout::new (memory.rs); see
 * docs/memory-layout.md for the default gaps and a worked example.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * HullMemoryRange:
 * @start: the first address of the range
 * @end: one past the last address of the range
 *
 * A half-open guest physical address range [@start, @end).
 */
typedef struct
{
  guint64 start;
  guint64 end;
} HullMemoryRange;

/**
 * HullAddressKind:
 * @HULL_ADDRESS_NONE: neither RAM nor MMIO
 * @HULL_ADDRESS_RAM: guest RAM
 * @HULL_ADDRESS_MMIO: inside an MMIO gap
 *
 * What hull_memory_layout_probe_address() found at an address.
 */
typedef enum
{
  HULL_ADDRESS_NONE,
  HULL_ADDRESS_RAM,
  HULL_ADDRESS_MMIO,
} HullAddressKind;

/**
 * HULL_MEMORY_LAYOUT_PAGE_SIZE:
 *
 * The alignment of every size and range boundary: 4 KiB.
 */
#define HULL_MEMORY_LAYOUT_PAGE_SIZE G_GUINT64_CONSTANT (0x1000)

/**
 * HULL_MEMORY_LAYOUT_MAX_ADDRESS:
 *
 * The end of the usable guest physical address space, 2^64 − 4 KiB. No range
 * ends above it.
 */
#define HULL_MEMORY_LAYOUT_MAX_ADDRESS G_GUINT64_CONSTANT (0xfffffffffffff000)

/**
 * HullMemoryLayout:
 *
 * An immutable, validated guest memory layout. Any thread may read it.
 */
typedef struct _HullMemoryLayout HullMemoryLayout;

/**
 * hull_memory_layout_default_mmio_gaps_x86_64:
 * @n_gaps: (out): number of gaps returned
 *
 * The default x86-64 MMIO gaps: [0xc0000000, 0x100000000), the 1 GiB below
 * 4 GiB for 32-bit BARs and the IO-APIC, LAPIC and HPET; and
 * [0x7c00000000, 0x8000000000), the 16 GiB below 512 GiB for 64-bit BARs.
 *
 * Returns: (transfer none) (array length=n_gaps): static, sorted gaps.
 */
const HullMemoryRange *hull_memory_layout_default_mmio_gaps_x86_64 (guint *n_gaps);

/**
 * hull_memory_layout_new:
 * @ram_size: bytes of RAM, non-zero and a multiple of 4 KiB
 * @mmio_gaps: (array length=n_gaps) (nullable): the MMIO gaps: each
 *   non-empty, 4 KiB aligned, ending at or below
 *   %HULL_MEMORY_LAYOUT_MAX_ADDRESS; sorted and non-overlapping
 * @n_gaps: number of entries in @mmio_gaps
 * @vtl2: (nullable): a range for VTL2 memory, above all RAM and outside the
 *   gaps
 * @error: return location for a #GError, or %NULL
 *
 * Places @ram_size bytes of RAM bottom-up in the holes between the gaps
 * below %HULL_MEMORY_LAYOUT_MAX_ADDRESS. The VTL2 range is RAM-like but not
 * part of the RAM ranges.
 *
 * Fails with %HULL_ERROR_INVALID_ARGUMENT for a bad size, gap or VTL2 range,
 * or when the gaps leave no room for any RAM, and with
 * %HULL_ERROR_LIMIT_EXCEEDED when only part of the RAM fits.
 *
 * Returns: (transfer full): a new layout, free with
 *   hull_memory_layout_free(); %NULL on error. The layout copies @mmio_gaps
 *   and @vtl2.
 */
HullMemoryLayout *hull_memory_layout_new (guint64 ram_size, const HullMemoryRange *mmio_gaps,
                                          guint n_gaps, const HullMemoryRange *vtl2,
                                          GError **error);

/**
 * hull_memory_layout_free:
 * @l: (nullable) (transfer full): a layout
 *
 * Frees @l.
 */
void hull_memory_layout_free (HullMemoryLayout *l);

/**
 * hull_memory_layout_get_ram:
 * @l: a layout
 * @n_ranges: (out): number of RAM ranges
 *
 * Returns: (transfer none) (array length=n_ranges): the RAM ranges in
 *   address order, owned by @l; at least one.
 */
const HullMemoryRange *hull_memory_layout_get_ram (const HullMemoryLayout *l, guint *n_ranges);

/**
 * hull_memory_layout_get_mmio:
 * @l: a layout
 * @n_ranges: (out): number of MMIO gaps
 *
 * Returns: (transfer none) (array length=n_ranges): the MMIO gaps in address
 *   order, owned by @l; %NULL when there are none.
 */
const HullMemoryRange *hull_memory_layout_get_mmio (const HullMemoryLayout *l, guint *n_ranges);

/**
 * hull_memory_layout_get_vtl2:
 * @l: a layout
 *
 * Returns: (transfer none) (nullable): the VTL2 range, owned by @l; %NULL if
 *   there is none.
 */
const HullMemoryRange *hull_memory_layout_get_vtl2 (const HullMemoryLayout *l);

/**
 * hull_memory_layout_get_ram_size:
 * @l: a layout
 *
 * Returns: the total bytes of RAM, as passed to hull_memory_layout_new().
 */
guint64 hull_memory_layout_get_ram_size (const HullMemoryLayout *l);

/**
 * hull_memory_layout_get_end_of_ram:
 * @l: a layout
 *
 * Returns: the end of the highest RAM range.
 */
guint64 hull_memory_layout_get_end_of_ram (const HullMemoryLayout *l);

/**
 * hull_memory_layout_get_max_ram_below_4gb:
 * @l: a layout
 *
 * Returns: the number of RAM bytes below 4 GiB.
 */
guint64 hull_memory_layout_get_max_ram_below_4gb (const HullMemoryLayout *l);

/**
 * hull_memory_layout_get_end_of_layout:
 * @l: a layout
 *
 * Returns: the highest end of any RAM range, MMIO gap or the VTL2 range.
 */
guint64 hull_memory_layout_get_end_of_layout (const HullMemoryLayout *l);

/**
 * hull_memory_layout_probe_address:
 * @l: a layout
 * @addr: a guest physical address
 *
 * Says whether @addr is RAM, MMIO or neither. The VTL2 range counts as
 * neither, as in the reference.
 *
 * Returns: what is at @addr.
 */
HullAddressKind hull_memory_layout_probe_address (const HullMemoryLayout *l, guint64 addr);

/**
 * hull_memory_layout_to_variant:
 * @l: a layout
 *
 * Describes @l for inspect and D-Bus as an a{sv} with keys ram-size (t),
 * end-of-ram (t), ram-below-4g (t), end-of-layout (t), ram (a(tt)), mmio
 * (a(tt)) and, when there is one, vtl2 ((tt)). Each (tt) is (start, end).
 *
 * Returns: (transfer floating): a new floating #GVariant.
 */
GVariant *hull_memory_layout_to_variant (const HullMemoryLayout *l);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullMemoryLayout, hull_memory_layout_free)

G_END_DECLS
