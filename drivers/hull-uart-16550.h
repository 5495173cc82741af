/* hull-uart-16550.h — a 16550A UART on the I/O bus (docs/devices.md).
 *
 * Eight ports from a base (0x3f8 for COM1): RBR/THR, IER, IIR/FCR, LCR,
 * MCR, LSR, MSR, SCR, and the DLL/DLM divisor latch behind LCR.DLAB; 16-byte
 * receive FIFO with trigger levels, the 16550A's interrupt priorities, THRE
 * interrupts as Linux's 8250 driver expects them, loopback, and OUT2 gating
 * the interrupt line as on PCs. Transmission is instantaneous (THR is always
 * empty again when the write returns) and the divisor only shows in inspect.
 *
 * Receiving: hull_uart_16550_push_input() puts bytes in a 1024-byte input
 * queue that stands for the serial line; they move into the receive FIFO
 * (16 bytes, or the single RBR without FIFOs) as the guest reads. Input never
 * overruns: what does not fit is refused, push_input() says how much it took,
 * and the input_space callback says when to try again.
 *
 * Threads: the port handlers run on VP threads, possibly several at once;
 * push_input() and the other functions may be called from any thread. All
 * state is under one lock, and the callbacks are called with no lock held.
 */
#pragma once

#include <glib.h>

#include "hull-inspect.h"
#include "hull-io-bus.h"

G_BEGIN_DECLS

typedef struct _HullUart16550 HullUart16550;

/* The number of ports a UART occupies. */
#define HULL_UART_16550_PORTS 8
/* The size of the input queue behind the receive FIFO. */
#define HULL_UART_16550_INPUT_QUEUE 1024

/**
 * HullUart16550Config:
 * @name: (nullable): the device's name on the bus and in messages ("com1");
 *   %NULL: "uart-16550"
 * @base: the first of its eight ports
 * @irq: the interrupt line, passed to @raise_irq
 * @output: (nullable): called with each transmitted byte (@len is 1), on the
 *   VP thread that wrote THR, with no lock held; not called in loopback.
 *   Bytes written by one VP, or by VPs the guest orders with its own locks,
 *   arrive in order; bytes from unsynchronised VPs may interleave in any
 *   order. It may call hull_uart_16550_push_input() but must not access the
 *   UART's ports.
 * @raise_irq: (nullable): called on each rising edge of the interrupt output
 *   (the internal interrupt request gated by MCR.OUT2, and off in loopback),
 *   on the thread that caused it, with no lock held
 * @input_space: (nullable): called, with no lock held, once after
 *   hull_uart_16550_push_input() refused bytes, as soon as the guest's reads
 *   (or a reset) make room again
 * @data: passed to the callbacks
 */
typedef struct
{
  const char *name;
  guint16 base;
  guint irq;
  void (*output) (gpointer data, const guint8 *bytes, gsize len);
  void (*raise_irq) (gpointer data, guint irq);
  void (*input_space) (gpointer data);
  gpointer data;
} HullUart16550Config;

/**
 * hull_uart_16550_new:
 * @bus: the bus to register on (referenced until hull_uart_16550_free())
 * @config: where and how; copied
 * @error: the bus's error when the ports are taken or out of range
 *
 * Creates a UART in its power-on state and registers its eight ports [any].
 *
 * Returns: (transfer full): the UART, or %NULL.
 */
HullUart16550 *hull_uart_16550_new (HullIoBus *bus, const HullUart16550Config *config,
                                    GError **error);

/**
 * hull_uart_16550_free:
 * @uart: (nullable): a UART
 *
 * Unregisters the ports and frees the UART [ctl, VPs stopped or out of its
 * handlers].
 */
void hull_uart_16550_free (HullUart16550 *uart);

/**
 * hull_uart_16550_reset:
 * @uart: a UART
 *
 * Puts the UART in its power-on state [any]: IER, FCR, LCR, MCR and SCR zero,
 * IIR 0x01, LSR 0x60, MSR 0xb0, divisor 12 (9600 baud), FIFOs and the input
 * queue empty. The interrupt output drops without a callback.
 */
void hull_uart_16550_reset (HullUart16550 *uart);

/**
 * hull_uart_16550_push_input:
 * @uart: a UART
 * @bytes: received bytes
 * @len: how many
 *
 * Receives @bytes from the line [any]: they go to the receive FIFO while it
 * has room (and the UART is not in loopback), then to the input queue.
 * Raises the receive interrupt when enabled.
 *
 * Returns: how many bytes were taken, from the start of @bytes; fewer than
 *   @len when the queue is full (input_space is called later).
 */
gsize hull_uart_16550_push_input (HullUart16550 *uart, const guint8 *bytes, gsize len);

/**
 * hull_uart_16550_save:
 * @uart: a UART
 *
 * Saves the guest-visible state [any; for a consistent machine snapshot,
 * with the VPs stopped]: registers, THRE interrupt, receive FIFO and input
 * queue, as a versioned GVariant (docs/devices.md). Counters are not saved.
 *
 * Returns: (transfer full): the blob.
 */
GBytes *hull_uart_16550_save (HullUart16550 *uart);

/**
 * hull_uart_16550_restore:
 * @uart: a UART
 * @state: a blob from hull_uart_16550_save()
 * @error: %HULL_ERROR_CORRUPT_DATA when @state is damaged, of another
 *   version or inconsistent
 *
 * Replaces the state by @state [any; VPs stopped]; on failure nothing
 * changes. The interrupt output takes the restored level without a
 * callback: the interrupt controller's own saved state holds any edge
 * already delivered.
 *
 * Returns: %TRUE on success.
 */
gboolean hull_uart_16550_restore (HullUart16550 *uart, GBytes *state, GError **error);

/**
 * hull_uart_16550_inspect:
 * @uart: a UART
 * @request: the node to fill
 *
 * A #HullInspectFunc [any]: fields base, irq, the registers (ier, iir, fcr,
 * lcr, mcr, lsr, msr, scr as hex), divisor, baud, fifo-enabled,
 * rx-trigger, rx-fifo, input-queued, loopback, irq-level, and counters
 * tx-bytes, rx-bytes, input-bytes, input-refused, overruns, interrupts.
 */
void hull_uart_16550_inspect (HullUart16550 *uart, HullInspectRequest *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullUart16550, hull_uart_16550_free)

G_END_DECLS
