/* hull-power-port.h — the power-off port (docs/devices.md).
 *
 * A 16-bit write of 0x2000 to port 0x604 powers the machine off: it calls
 * hull_halt_halt() with a POWER_OFF reason. This is the ACPI PM1a control
 * register of QEMU's PC machines (SLP_EN with sleep type 0), so
 * `outw $0x2000, $0x604` works in Hull as it does there. Ports 0x604–0x605
 * are claimed; every other write (other values, other widths, port 0x605) is
 * ignored and counted, and reads return zeros.
 *
 * Threads: the handlers run on VP threads; the halt is raised with no lock
 * held.
 */
#pragma once

#include <glib.h>

#include "hull-halt.h"
#include "hull-inspect.h"
#include "hull-io-bus.h"

G_BEGIN_DECLS

typedef struct _HullPowerPort HullPowerPort;

#define HULL_POWER_PORT 0x604
#define HULL_POWER_PORT_OFF_VALUE 0x2000

/**
 * hull_power_port_new:
 * @bus: the bus to register ports 0x604–0x605 on (referenced)
 * @halt: where power-off goes (referenced)
 * @error: the bus's error when the ports are taken
 *
 * Returns: (transfer full): the port, or %NULL.
 */
HullPowerPort *hull_power_port_new (HullIoBus *bus, HullHalt *halt, GError **error);

/* Unregisters and frees the port [ctl, VPs stopped]. */
void hull_power_port_free (HullPowerPort *port);

/* Power-on state [any]: the port has none; counters are kept. */
void hull_power_port_reset (HullPowerPort *port);

/* A versioned GVariant with no state but its version, so that every device
 * saves alike [any]. (transfer full) */
GBytes *hull_power_port_save (HullPowerPort *port);

/* Checks @state (HULL_ERROR_CORRUPT_DATA when it is not a power port state
 * of this version) [any]. */
gboolean hull_power_port_restore (HullPowerPort *port, GBytes *state, GError **error);

/* [any] The number of power-off requests, and of ignored writes. */
guint64 hull_power_port_get_power_offs (HullPowerPort *port);
guint64 hull_power_port_get_ignored (HullPowerPort *port);

/* A #HullInspectFunc [any]: port (hex), counters power-offs and
 * ignored-writes, last-ignored (hex, absent before the first). */
void hull_power_port_inspect (HullPowerPort *port, HullInspectRequest *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullPowerPort, hull_power_port_free)

G_END_DECLS
