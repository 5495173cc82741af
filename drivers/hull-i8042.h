/* hull-i8042.h — the PS/2 controller's ports 0x60/0x64, enough for Linux's
 * i8042 driver to probe it and for its reset command (docs/devices.md).
 *
 * Emulated: the status register, the command byte (0x20/0x60), the
 * controller and keyboard-interface self-tests (0xAA → 0x55, 0xAB → 0x00),
 * disabling and enabling the keyboard and auxiliary interfaces (0xAD/0xAE,
 * 0xA7/0xA8, visible in the command byte), the output port (0xD0/0xD1),
 * writing the keyboard output buffer (0xD2), and the CPU reset: 0xFE (and
 * any pulse command 0xF0–0xFE with bit 0 clear), or an output-port write
 * with bit 0 clear, calls hull_halt_halt() with a RESET reason. Reads of
 * 0x60 with an empty output buffer return the last value again.
 *
 * Not emulated: a keyboard or mouse (no scancodes, no auxiliary port: 0xA9
 * answers 0x02, 0xD3's byte comes back without the AUXDATA status bit, so
 * Linux finds no AUX port at once instead of after a timeout, and 0xD4's
 * byte for the mouse is dropped), interrupts
 * (nothing but command replies ever reaches the output buffer, and Linux
 * polls for those), the controller RAM (0x21–0x3F, 0x61–0x7F), A20 gating
 * (the output port's bit 1 is only stored). Other commands and data bytes
 * with no command waiting for them are ignored and counted.
 *
 * Threads: the handlers run on VP threads, possibly several at once; state
 * is under a lock, and the halt is raised with no lock held.
 */
#pragma once

#include <glib.h>

#include "hull-halt.h"
#include "hull-inspect.h"
#include "hull-io-bus.h"

G_BEGIN_DECLS

typedef struct _HullI8042 HullI8042;

#define HULL_I8042_DATA_PORT 0x60
#define HULL_I8042_COMMAND_PORT 0x64

/**
 * hull_i8042_new:
 * @bus: the bus to register ports 0x60 and 0x64 on (referenced)
 * @halt: where the reset command goes (referenced)
 * @error: the bus's error when a port is taken
 *
 * Creates the controller in its power-on state [any]: command byte 0x65
 * (keyboard interrupt, system flag, AUX disabled, translation, as firmware
 * leaves it on a PC without a mouse), output port 0xcf, output buffer empty.
 *
 * Returns: (transfer full): the controller, or %NULL.
 */
HullI8042 *hull_i8042_new (HullIoBus *bus, HullHalt *halt, GError **error);

/* Unregisters the ports and frees the controller [ctl, VPs stopped]. */
void hull_i8042_free (HullI8042 *i8042);

/* Puts the controller in its power-on state [any]. */
void hull_i8042_reset (HullI8042 *i8042);

/**
 * hull_i8042_save:
 * @i8042: a controller
 *
 * Saves the command byte, output port, output buffer and a command waiting
 * for its data byte, as a versioned GVariant [any; VPs stopped for a
 * consistent snapshot]. Counters are not saved.
 *
 * Returns: (transfer full): the blob.
 */
GBytes *hull_i8042_save (HullI8042 *i8042);

/**
 * hull_i8042_restore:
 * @i8042: a controller
 * @state: a blob from hull_i8042_save()
 * @error: %HULL_ERROR_CORRUPT_DATA for a damaged, inconsistent or
 *   other-version blob
 *
 * Replaces the state by @state [any; VPs stopped]; on failure nothing
 * changes.
 *
 * Returns: %TRUE on success.
 */
gboolean hull_i8042_restore (HullI8042 *i8042, GBytes *state, GError **error);

/**
 * hull_i8042_inspect:
 * @i8042: a controller
 * @request: the node to fill
 *
 * A #HullInspectFunc [any]: fields status, command-byte, output-port,
 * output-buffer (hex), output-full, pending-command (hex, absent when none),
 * and counters commands, unknown-commands, ignored-data, resets.
 */
void hull_i8042_inspect (HullI8042 *i8042, HullInspectRequest *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullI8042, hull_i8042_free)

G_END_DECLS
