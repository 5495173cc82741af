/* hull-io-bus.h — the I/O bus: routes a VP's port and MMIO accesses to the
 * device models that registered the address ranges. It is the #HullCpuIo
 * implementation a worker passes to run().
 *
 * Locking: the range tables are guarded by a GRWLock. A dispatch holds the
 * reader side only to look the range up and count the access, then calls
 * the device with no lock held. So VP threads never wait for each other,
 * and a device callback may itself register or unregister ranges (a PCI BAR
 * moved by a config-space write) without deadlocking.
 *
 * Guest accesses never fail: an access that no range claims completely
 * reads as all ones (0xff bytes) and a write to it is dropped; both are
 * counted. Nothing a guest does on the bus can crash the process.
 */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-inspect.h"

G_BEGIN_DECLS

typedef struct _HullIoBus HullIoBus;

/**
 * HullIoDeviceOps:
 * @read: fills @buf with @len bytes read at @offset from the start of the
 *   range; %NULL: the range reads as all ones
 * @write: handles a write of @len bytes at @offset; %NULL: writes are
 *   dropped
 *
 * A device's handlers for one or more ranges. They run on the VP thread that
 * made the access ([vp]), possibly on several VP threads at once, so the
 * device does its own locking. @len is 1, 2 or 4 for ports and 1, 2, 4 or 8
 * for MMIO, and the access lies entirely inside the range. The bus copies
 * the ops at registration.
 */
typedef struct
{
  void (*read) (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len);
  void (*write) (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len);
} HullIoDeviceOps;

/**
 * hull_io_bus_new:
 *
 * Returns: (transfer full): a new, empty bus; release with
 *   hull_io_bus_unref().
 */
HullIoBus *hull_io_bus_new (void);

/**
 * hull_io_bus_ref:
 * @bus: a bus
 *
 * Takes a reference [any thread].
 *
 * Returns: (transfer full): @bus
 */
HullIoBus *hull_io_bus_ref (HullIoBus *bus);

/**
 * hull_io_bus_unref:
 * @bus: (nullable) (transfer full): a bus
 *
 * Drops a reference [any thread]; the last one frees the bus (no VP may be
 * using it then).
 */
void hull_io_bus_unref (HullIoBus *bus);

/**
 * hull_io_bus_register_pio:
 * @bus: a bus
 * @name: the device's name, for messages and inspect
 * @start: the first port
 * @length: the number of ports, non-zero; @start + @length at most 0x10000
 * @ops: the device's handlers (copied)
 * @device: passed to the handlers; owned by the caller, who keeps it alive
 *   until it is unregistered and no VP is inside its handlers
 * @error: return location for a #GError, or %NULL
 *
 * Claims ports [@start, @start + @length) for @device [any thread, also from
 * inside a device handler]. Fails with %HULL_ERROR_INVALID_ARGUMENT for an
 * empty range or one past port 0xffff, and with %HULL_ERROR_ALREADY_EXISTS
 * when it overlaps a registered port range (the message names both devices
 * and ranges).
 *
 * Returns: %TRUE on success.
 */
gboolean hull_io_bus_register_pio (HullIoBus *bus, const char *name, guint16 start, guint32 length,
                                   const HullIoDeviceOps *ops, gpointer device, GError **error);

/**
 * hull_io_bus_register_mmio:
 * @bus: a bus
 * @name: the device's name
 * @start: the first guest physical address
 * @length: the size in bytes, non-zero; @start + @length must not overflow
 * @ops: the device's handlers (copied)
 * @device: passed to the handlers, as for hull_io_bus_register_pio()
 * @error: return location for a #GError, or %NULL
 *
 * Claims [@start, @start + @length) for @device, like
 * hull_io_bus_register_pio() for the MMIO space. The bus does not check the
 * range against the memory layout.
 *
 * Returns: %TRUE on success.
 */
gboolean hull_io_bus_register_mmio (HullIoBus *bus, const char *name, guint64 start, guint64 length,
                                    const HullIoDeviceOps *ops, gpointer device, GError **error);

/**
 * hull_io_bus_unregister:
 * @bus: a bus
 * @device: a device passed to the register functions
 *
 * Removes every port and MMIO range of @device [any thread, also from inside
 * a device handler]. Accesses that start afterwards no longer reach
 * @device; a handler already running on another VP thread may still be
 * finishing, so free @device only with the VPs stopped. Unknown devices are
 * ignored.
 */
void hull_io_bus_unregister (HullIoBus *bus, gpointer device);

/**
 * hull_io_bus_get_cpu_io:
 *
 * The #HullCpuIo callbacks of the bus, to pass to run() with the bus as
 * io_data. is_mmio() is %TRUE inside registered MMIO ranges;
 * acknowledge_pic_interrupt() returns -1 (there is no PIC yet); handle_eoi()
 * is counted and otherwise ignored; fatal_error() returns
 * %HULL_VP_EXIT_FATAL. An access with a @len other than 1, 2, 4 (or 8 for
 * MMIO) is unclaimed; such a read sets at most 4 (ports) or 8 (MMIO) bytes.
 *
 * Returns: (transfer none): static callbacks.
 */
const HullCpuIo *hull_io_bus_get_cpu_io (void);

/**
 * hull_io_bus_inspect:
 * @bus: a bus
 * @request: the node to fill
 *
 * A #HullInspectFunc [any thread]: fields unclaimed-reads, unclaimed-writes,
 * eois, fatal-errors (counters), last-unclaimed (a string such as
 * "mmio read 0xfed00000", absent before the first unclaimed access) and children
 * "pio" and "mmio" with one child per range, named after its start address
 * ("0x3f8"), with fields device, start, end (exclusive), reads and writes.
 */
void hull_io_bus_inspect (HullIoBus *bus, HullInspectRequest *request);

/**
 * hull_io_bus_get_unclaimed_reads:
 * @bus: a bus
 *
 * Returns: how many reads no range claimed [any thread].
 */
guint64 hull_io_bus_get_unclaimed_reads (HullIoBus *bus);

/**
 * hull_io_bus_get_unclaimed_writes:
 * @bus: a bus
 *
 * Returns: how many writes no range claimed [any thread].
 */
guint64 hull_io_bus_get_unclaimed_writes (HullIoBus *bus);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullIoBus, hull_io_bus_unref)

G_END_DECLS
