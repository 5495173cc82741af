/* hull-debug-port.h — the POST code port 0x80 and the boot timer page
 * (docs/devices.md).
 *
 * Port 0x80: each byte written is recorded as the last POST code and
 * counted (Linux also writes it as an I/O delay). Reads return 0xff, as
 * from a write-only POST card. Wider accesses are not claimed.
 *
 * Boot timer: the 4 KiB MMIO page at 0xc0000000 (Firecracker's address).
 * The first 1-byte write of 123 at offset 0 records the time since the
 * start time (hull_debug_port_set_start_time(); the device's creation until
 * then) and calls the boot_timer callback with it; later ones are counted
 * only, until a reset. Other writes are ignored and counted; reads return
 * zeros.
 *
 * Threads: the handlers run on VP threads; the callback is called with no
 * lock held.
 */
#pragma once

#include <glib.h>

#include "hull-inspect.h"
#include "hull-io-bus.h"

G_BEGIN_DECLS

typedef struct _HullDebugPort HullDebugPort;

#define HULL_DEBUG_PORT_POST 0x80
#define HULL_DEBUG_PORT_BOOT_TIMER G_GUINT64_CONSTANT (0xc0000000)
#define HULL_DEBUG_PORT_BOOT_TIMER_SIZE 0x1000
#define HULL_DEBUG_PORT_BOOT_MAGIC 123

/**
 * HullDebugPortConfig:
 * @boot_timer: (nullable): called once per boot, on the VP thread that
 *   wrote the magic byte, with the boot time in microseconds
 * @data: passed to @boot_timer
 */
typedef struct
{
  void (*boot_timer) (gpointer data, gint64 usec);
  gpointer data;
} HullDebugPortConfig;

/**
 * hull_debug_port_new:
 * @bus: the bus to register port 0x80 and the boot timer page on
 *   (referenced)
 * @config: (nullable): the callback; copied
 * @error: the bus's error when the port or the page is taken
 *
 * Returns: (transfer full): the device, or %NULL.
 */
HullDebugPort *hull_debug_port_new (HullIoBus *bus, const HullDebugPortConfig *config,
                                    GError **error);

/* Unregisters and frees the device [ctl, VPs stopped]. */
void hull_debug_port_free (HullDebugPort *port);

/* [any] Forgets the POST code and the boot time, so the next boot is timed;
 * keeps the start time and the counters. */
void hull_debug_port_reset (HullDebugPort *port);

/* [any] Sets the time boot times are measured from, in
 * g_get_monotonic_time() microseconds; the worker sets it when it starts the
 * VM. */
void hull_debug_port_set_start_time (HullDebugPort *port, gint64 start_time);

/* [any] The last POST code (0 before any) and how many were written. */
guint8 hull_debug_port_get_post_code (HullDebugPort *port);
guint64 hull_debug_port_get_post_count (HullDebugPort *port);

/* [any] The recorded boot time in microseconds, or -1 when none is. */
gint64 hull_debug_port_get_boot_time (HullDebugPort *port);

/**
 * hull_debug_port_save:
 * @port: a device
 *
 * Saves the last POST code, the POST count and the boot time as a versioned
 * GVariant [any]. The start time is host time and is not saved.
 *
 * Returns: (transfer full): the blob.
 */
GBytes *hull_debug_port_save (HullDebugPort *port);

/* [any; VPs stopped] The inverse; HULL_ERROR_CORRUPT_DATA for a damaged or
 * other-version blob, which changes nothing. */
gboolean hull_debug_port_restore (HullDebugPort *port, GBytes *state, GError **error);

/* A #HullInspectFunc [any]: post-code (hex, absent before the first),
 * boot-time-us (absent before the boot timer fired), counters post-writes,
 * boot-timer-writes, ignored-writes. */
void hull_debug_port_inspect (HullDebugPort *port, HullInspectRequest *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullDebugPort, hull_debug_port_free)

G_END_DECLS
