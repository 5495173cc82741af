/* hull-uart-16550.c — a 16550A UART on the I/O bus.
 *
 * Decisions the header leaves open (docs/devices.md has the whole list):
 * - Transmission takes no time: a THR write hands the byte to the output
 *   callback (or, in loopback, to the receive FIFO), and THR/TSR are empty
 *   again when the write returns, so LSR.THRE and LSR.TEMT are always set.
 * - The THRE interrupt follows QEMU's serial model, which Linux's 8250
 *   driver (its THRE test and its transmit path) is known to work with:
 *   pending when IER.ETBEI goes from 0 to 1 (THR is empty), again after
 *   every THR write, and cleared by reading IIR while it is the reported
 *   source, by a THR write, or by clearing IER.ETBEI.
 * - The character timeout has no clock to wait for: while the FIFOs are on
 *   and the receive FIFO holds fewer bytes than the trigger level, the
 *   timeout has already expired (IIR 0xcc). At or above the trigger level it
 *   is a data-available interrupt (0xc4).
 * - Only overrun errors occur (a loopback byte into a full FIFO); parity,
 *   framing and break are never reported.
 * - The interrupt output is the internal request ANDed with MCR.OUT2, and
 *   off in loopback (the output pins, OUT2 among them, are inactive then),
 *   as a PC wires it. Only its rising edges are signalled.
 */
#include "config.h"

#include "hull-uart-16550.h"

#include <string.h>

#include "hull-error.h"
#include "hull-saved-state.h"
#include "hull-i18n.h"
#include "hull-sync.h"

#define FIFO_SIZE 16
#define QUEUE_SIZE HULL_UART_16550_INPUT_QUEUE
#define RESET_DIVISOR 12
#define CLOCK_BAUD 115200 /* 1.8432 MHz / 16 */

/* Register offsets. */
enum
{
  REG_RBR_THR_DLL = 0,
  REG_IER_DLM = 1,
  REG_IIR_FCR = 2,
  REG_LCR = 3,
  REG_MCR = 4,
  REG_LSR = 5,
  REG_MSR = 6,
  REG_SCR = 7,
};

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK 0x0f

#define IIR_NO_INT 0x01
#define IIR_MSI 0x00
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_DMA 0x08
#define FCR_TRIGGER 0xc0
#define FCR_STORED (FCR_ENABLE | FCR_DMA | FCR_TRIGGER)

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS LSR_OE /* the only error this model produces */

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

#define SAVE_VERSION 1
/* version, divisor, ier, lcr, mcr, fcr, scr, lsr errors, msr deltas, rbr,
 * THRE interrupt pending, receive FIFO (oldest first), input queue */
#define SAVE_TYPE "(uqyyyyyyyybayay)"
#define SAVE_FORMAT "(uqyyyyyyyyb@ay@ay)" /* the same, taking the arrays as GVariants */

/* The registers, FIFO and queue: what save/restore carries. */
typedef struct
{
  guint16 divisor;
  guint8 ier, lcr, mcr, fcr, scr;
  guint8 lsr_errors; /* LSR_ERRORS bits, cleared by reading LSR */
  guint8 msr_deltas; /* MSR_DELTAS bits, cleared by reading MSR */
  guint8 rbr;        /* the last byte read, returned again on an empty read */
  gboolean thr_ipending;
  guint8 rx[FIFO_SIZE];
  guint rx_head, rx_count;
  guint8 queue[QUEUE_SIZE];
  guint queue_head, queue_count;
} UartState;

typedef struct
{
  guint64 tx_bytes, rx_bytes, input_bytes, input_refused, overruns, interrupts;
} UartCounters;

struct _HullUart16550
{
  HullIoBus *bus;
  char *name;
  guint16 base;
  guint irq;
  void (*output) (gpointer data, const guint8 *bytes, gsize len);
  void (*raise_irq) (gpointer data, guint irq);
  void (*input_space) (gpointer data);
  gpointer data;

  HullMutex mutex; /* everything below */
  UartState s;
  guint8 msr_lines;       /* MSR's upper nibble as last computed, for the deltas */
  gboolean irq_level;     /* the interrupt output */
  gboolean refused_input; /* push_input() refused bytes: call input_space */
  UartCounters counters;
};

/* What an access decided to do once the lock is dropped. */
typedef struct
{
  guint8 tx[4]; /* at most one byte per port of a 4-byte access */
  gsize n_tx;
  gboolean raise;
  gboolean input_space;
} Actions;

/* ------------------------------------------------------------------ */
/* State helpers (lock held) */

static gboolean
fifo_enabled (const UartState *s)
{
  return (s->fcr & FCR_ENABLE) != 0;
}

static guint
rx_capacity (const UartState *s)
{
  return fifo_enabled (s) ? FIFO_SIZE : 1;
}

static guint
rx_trigger (const UartState *s)
{
  static const guint levels[] = { 1, 4, 8, 14 };

  return levels[(s->fcr & FCR_TRIGGER) >> 6];
}

static void
rx_push (UartState *s, guint8 byte)
{
  s->rx[(s->rx_head + s->rx_count) % FIFO_SIZE] = byte;
  s->rx_count++;
}

static guint8
rx_pop (UartState *s)
{
  guint8 byte = s->rx[s->rx_head];

  s->rx_head = (s->rx_head + 1) % FIFO_SIZE;
  s->rx_count--;
  return byte;
}

static void
rx_clear (UartState *s)
{
  s->rx_head = 0;
  s->rx_count = 0;
}

/* Moves queued input into the receive FIFO while it has room. In loopback
 * the receiver is cut off from the line, so the queue waits. */
static void
refill (UartState *s)
{
  if (s->mcr & MCR_LOOP)
    return;
  while (s->queue_count > 0 && s->rx_count < rx_capacity (s))
    {
      rx_push (s, s->queue[s->queue_head]);
      s->queue_head = (s->queue_head + 1) % QUEUE_SIZE;
      s->queue_count--;
    }
}

/* The modem status inputs: in loopback, the modem control outputs. */
static guint8
msr_lines (const UartState *s)
{
  guint8 mcr = s->mcr;

  if (!(mcr & MCR_LOOP))
    return MSR_CTS | MSR_DSR | MSR_DCD;
  return ((mcr & MCR_RTS) ? MSR_CTS : 0) | ((mcr & MCR_DTR) ? MSR_DSR : 0)
         | ((mcr & MCR_OUT1) ? MSR_RI : 0) | ((mcr & MCR_OUT2) ? MSR_DCD : 0);
}

static void
update_msr (HullUart16550 *uart)
{
  guint8 lines = msr_lines (&uart->s);
  guint8 changed = lines ^ uart->msr_lines;

  if (changed & MSR_CTS)
    uart->s.msr_deltas |= MSR_DCTS;
  if (changed & MSR_DSR)
    uart->s.msr_deltas |= MSR_DDSR;
  if ((changed & MSR_RI) && !(lines & MSR_RI))
    uart->s.msr_deltas |= MSR_TERI;
  if (changed & MSR_DCD)
    uart->s.msr_deltas |= MSR_DDCD;
  uart->msr_lines = lines;
}

/* The highest-priority pending interrupt, as IIR bits 0–3. */
static guint8
interrupt_id (const UartState *s)
{
  if ((s->ier & IER_ELSI) && s->lsr_errors != 0)
    return IIR_RLSI;
  if ((s->ier & IER_ERBFI) && s->rx_count > 0)
    return fifo_enabled (s) && s->rx_count < rx_trigger (s) ? IIR_CTI : IIR_RDI;
  if ((s->ier & IER_ETBEI) && s->thr_ipending)
    return IIR_THRI;
  if ((s->ier & IER_EDSSI) && (s->msr_deltas & MSR_DELTAS) != 0)
    return IIR_MSI;
  return IIR_NO_INT;
}

static guint8
iir_value (const UartState *s)
{
  return interrupt_id (s) | (fifo_enabled (s) ? IIR_FIFO : 0);
}

static guint8
lsr_value (const UartState *s)
{
  return (s->rx_count > 0 ? LSR_DR : 0) | s->lsr_errors | LSR_THRE | LSR_TEMT;
}

static gboolean
output_level (const UartState *s)
{
  return interrupt_id (s) != IIR_NO_INT && (s->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
}

/* Recomputes the interrupt output; notes a rising edge. */
static void
update_irq (HullUart16550 *uart, Actions *actions)
{
  gboolean level = output_level (&uart->s);

  if (level && !uart->irq_level)
    {
      actions->raise = TRUE;
      uart->counters.interrupts++;
    }
  uart->irq_level = level;
}

/* Ends a locked operation: the interrupt output and the input_space
 * notification. */
static void
finish (HullUart16550 *uart, Actions *actions)
{
  update_irq (uart, actions);
  if (uart->refused_input && uart->s.queue_count < QUEUE_SIZE)
    {
      uart->refused_input = FALSE;
      actions->input_space = TRUE;
    }
}

/* Unlocks, then makes the calls the operation decided on. */
static void
unlock_and_call (HullUart16550 *uart, const Actions *actions)
{
  hull_mutex_unlock (&uart->mutex);

  if (uart->output != NULL)
    for (gsize i = 0; i < actions->n_tx; i++)
      uart->output (uart->data, &actions->tx[i], 1);
  if (actions->raise && uart->raise_irq != NULL)
    uart->raise_irq (uart->data, uart->irq);
  if (actions->input_space && uart->input_space != NULL)
    uart->input_space (uart->data);
}

/* ------------------------------------------------------------------ */
/* Register accesses (lock held) */

static void
transmit (HullUart16550 *uart, guint8 byte, Actions *actions)
{
  UartState *s = &uart->s;

  /* THR is full for an instant: the THRE interrupt drops… */
  s->thr_ipending = FALSE;
  update_irq (uart, actions);

  if (s->mcr & MCR_LOOP)
    {
      if (s->rx_count < rx_capacity (s))
        rx_push (s, byte);
      else
        {
          /* Without FIFOs the new byte overwrites RBR; with them it is lost. */
          if (!fifo_enabled (s))
            s->rx[s->rx_head] = byte;
          s->lsr_errors |= LSR_OE;
          uart->counters.overruns++;
        }
    }
  else
    {
      g_assert (actions->n_tx < G_N_ELEMENTS (actions->tx));
      actions->tx[actions->n_tx++] = byte;
      uart->counters.tx_bytes++;
    }

  /* …and is back once the byte has left. */
  s->thr_ipending = (s->ier & IER_ETBEI) != 0;
}

static void
write_fcr (UartState *s, guint8 value)
{
  /* Changing FCR0 empties both FIFOs; FCR0 = 0 leaves the other bits alone
   * but there is nothing to keep them for. */
  if ((value ^ s->fcr) & FCR_ENABLE)
    rx_clear (s);
  if (!(value & FCR_ENABLE))
    {
      s->fcr = 0;
      return;
    }
  if (value & FCR_CLEAR_RX)
    rx_clear (s);
  /* FCR_CLEAR_TX: the transmit FIFO is always empty. */
  s->fcr = value & FCR_STORED;
}

static void
write_register (HullUart16550 *uart, guint offset, guint8 value, Actions *actions)
{
  UartState *s = &uart->s;
  gboolean dlab = (s->lcr & LCR_DLAB) != 0;

  switch (offset)
    {
      case REG_RBR_THR_DLL:
        if (dlab)
          s->divisor = (s->divisor & 0xff00) | value;
        else
          transmit (uart, value, actions);
        break;
      case REG_IER_DLM:
        if (dlab)
          s->divisor = (guint16)((s->divisor & 0x00ff) | (value << 8));
        else
          {
            guint8 changed = (s->ier ^ value) & IER_MASK;

            s->ier = value & IER_MASK;
            /* ETBEI rising with THR empty makes the THRE interrupt pending
             * again, even if reading IIR had cleared it (Linux's THRE test
             * and Windows rely on it). */
            if (changed & IER_ETBEI)
              s->thr_ipending = (s->ier & IER_ETBEI) != 0;
          }
        break;
      case REG_IIR_FCR:
        write_fcr (s, value);
        refill (s);
        break;
      case REG_LCR:
        s->lcr = value;
        break;
      case REG_MCR:
        s->mcr = value & MCR_MASK;
        update_msr (uart);
        refill (s); /* leaving loopback reconnects the line */
        break;
      case REG_LSR:
      case REG_MSR:
        break; /* factory test registers: writes are ignored */
      case REG_SCR:
        s->scr = value;
        break;
      default:
        g_assert_not_reached ();
    }
  update_irq (uart, actions);
}

static guint8
read_register (HullUart16550 *uart, guint offset, Actions *actions)
{
  UartState *s = &uart->s;
  gboolean dlab = (s->lcr & LCR_DLAB) != 0;
  guint8 value;

  switch (offset)
    {
      case REG_RBR_THR_DLL:
        if (dlab)
          return s->divisor & 0xff;
        if (s->rx_count > 0)
          {
            s->rbr = rx_pop (s);
            uart->counters.rx_bytes++;
            refill (s);
            update_irq (uart, actions);
          }
        return s->rbr;
      case REG_IER_DLM:
        return dlab ? s->divisor >> 8 : s->ier;
      case REG_IIR_FCR:
        value = iir_value (s);
        if ((value & 0x0f) == IIR_THRI)
          {
            s->thr_ipending = FALSE;
            update_irq (uart, actions);
          }
        return value;
      case REG_LCR:
        return s->lcr;
      case REG_MCR:
        return s->mcr;
      case REG_LSR:
        value = lsr_value (s);
        s->lsr_errors = 0;
        update_irq (uart, actions);
        return value;
      case REG_MSR:
        value = uart->msr_lines | s->msr_deltas;
        s->msr_deltas = 0;
        update_irq (uart, actions);
        return value;
      case REG_SCR:
        return s->scr;
      default:
        g_assert_not_reached ();
    }
}

/* A 2- or 4-byte access reaches consecutive registers, as an ISA bus splits
 * it into byte cycles. */
static void
uart_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  HullUart16550 *uart = device;
  Actions actions = { 0 };

  hull_mutex_lock (&uart->mutex);
  for (gsize i = 0; i < len; i++)
    buf[i] = read_register (uart, (guint)(offset + i), &actions);
  finish (uart, &actions);
  unlock_and_call (uart, &actions);
}

static void
uart_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  HullUart16550 *uart = device;
  Actions actions = { 0 };

  hull_mutex_lock (&uart->mutex);
  for (gsize i = 0; i < len; i++)
    write_register (uart, (guint)(offset + i), buf[i], &actions);
  finish (uart, &actions);
  unlock_and_call (uart, &actions);
}

static const HullIoDeviceOps uart_ops = {
  .read = uart_read,
  .write = uart_write,
};

/* ------------------------------------------------------------------ */
/* Public API */

static void
reset_state (HullUart16550 *uart)
{
  memset (&uart->s, 0, sizeof uart->s);
  uart->s.divisor = RESET_DIVISOR;
  uart->msr_lines = msr_lines (&uart->s);
  uart->irq_level = FALSE;
}

HullUart16550 *
hull_uart_16550_new (HullIoBus *bus, const HullUart16550Config *config, GError **error)
{
  HullUart16550 *uart;

  g_return_val_if_fail (bus != NULL, NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uart = g_new0 (HullUart16550, 1);
  uart->name = g_strdup (config->name != NULL ? config->name : "uart-16550");
  uart->base = config->base;
  uart->irq = config->irq;
  uart->output = config->output;
  uart->raise_irq = config->raise_irq;
  uart->input_space = config->input_space;
  uart->data = config->data;
  hull_mutex_init (&uart->mutex);
  reset_state (uart);

  if (!hull_io_bus_register_pio (bus, uart->name, config->base, HULL_UART_16550_PORTS, &uart_ops,
                                 uart, error))
    {
      hull_mutex_clear (&uart->mutex);
      g_free (uart->name);
      g_free (uart);
      return NULL;
    }
  uart->bus = hull_io_bus_ref (bus);
  return uart;
}

void
hull_uart_16550_free (HullUart16550 *uart)
{
  if (uart == NULL)
    return;
  hull_io_bus_unregister (uart->bus, uart);
  hull_io_bus_unref (uart->bus);
  hull_mutex_clear (&uart->mutex);
  g_free (uart->name);
  g_free (uart);
}

void
hull_uart_16550_reset (HullUart16550 *uart)
{
  Actions actions = { 0 };

  g_return_if_fail (uart != NULL);

  hull_mutex_lock (&uart->mutex);
  reset_state (uart);
  finish (uart, &actions);
  unlock_and_call (uart, &actions);
}

gsize
hull_uart_16550_push_input (HullUart16550 *uart, const guint8 *bytes, gsize len)
{
  UartState *s;
  Actions actions = { 0 };
  gsize taken;

  g_return_val_if_fail (uart != NULL, 0);
  g_return_val_if_fail (bytes != NULL || len == 0, 0);

  hull_mutex_lock (&uart->mutex);
  s = &uart->s;
  for (taken = 0; taken < len; taken++)
    {
      if (s->queue_count == QUEUE_SIZE)
        break;
      s->queue[(s->queue_head + s->queue_count) % QUEUE_SIZE] = bytes[taken];
      s->queue_count++;
      refill (s);
    }
  uart->counters.input_bytes += taken;
  if (taken < len)
    {
      uart->counters.input_refused += len - taken;
      uart->refused_input = TRUE;
    }
  update_irq (uart, &actions);
  unlock_and_call (uart, &actions);
  return taken;
}

GBytes *
hull_uart_16550_save (HullUart16550 *uart)
{
  g_autoptr (GVariant) state = NULL;
  guint8 rx[FIFO_SIZE];
  g_autofree guint8 *queue = g_malloc (QUEUE_SIZE);
  UartState *s;
  guint n_rx, n_queue;

  g_return_val_if_fail (uart != NULL, NULL);

  hull_mutex_lock (&uart->mutex);
  s = &uart->s;
  n_rx = s->rx_count;
  for (guint i = 0; i < n_rx; i++)
    rx[i] = s->rx[(s->rx_head + i) % FIFO_SIZE];
  n_queue = s->queue_count;
  for (guint i = 0; i < n_queue; i++)
    queue[i] = s->queue[(s->queue_head + i) % QUEUE_SIZE];
  state = g_variant_ref_sink (
      g_variant_new (SAVE_FORMAT, (guint32)SAVE_VERSION, s->divisor, s->ier, s->lcr, s->mcr, s->fcr,
                     s->scr, s->lsr_errors, s->msr_deltas, s->rbr, s->thr_ipending,
                     g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, rx, n_rx, 1),
                     g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, queue, n_queue, 1)));
  hull_mutex_unlock (&uart->mutex);
  return g_variant_get_data_as_bytes (state);
}

static gboolean
corrupt (HullUart16550 *uart, GError **error, const char *why)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
               _ ("serial port '%s': the saved state is damaged: %s"), uart->name, why);
  return FALSE;
}

/* Decodes and checks @bytes into @s (nothing else is touched). */
static gboolean
parse_state (HullUart16550 *uart, GBytes *bytes, UartState *s, GError **error)
{
  g_autoptr (GVariant) state = NULL;
  g_autoptr (GVariant) rx = NULL;
  g_autoptr (GVariant) queue = NULL;
  const guint8 *data;
  gsize n;
  gboolean thr_ipending;

  state = hull_saved_state_open (bytes, SAVE_TYPE, SAVE_VERSION, error);
  if (state == NULL)
    {
      g_prefix_error (error, _ ("serial port '%s': "), uart->name);
      return FALSE;
    }
  g_variant_get (state, SAVE_FORMAT, NULL, &s->divisor, &s->ier, &s->lcr, &s->mcr, &s->fcr, &s->scr,
                 &s->lsr_errors, &s->msr_deltas, &s->rbr, &thr_ipending, &rx, &queue);
  s->thr_ipending = thr_ipending;
  if ((s->ier & ~IER_MASK) != 0 || (s->mcr & ~MCR_MASK) != 0 || (s->fcr & ~FCR_STORED) != 0
      || (s->lsr_errors & ~LSR_ERRORS) != 0 || (s->msr_deltas & ~MSR_DELTAS) != 0)
    return corrupt (uart, error, _ ("a register has bits set that the UART never sets"));
  if (s->thr_ipending && !(s->ier & IER_ETBEI))
    return corrupt (uart, error, _ ("a THRE interrupt is pending while it is disabled"));

  data = g_variant_get_fixed_array (rx, &n, 1);
  if (n > rx_capacity (s))
    return corrupt (uart, error, _ ("the receive FIFO holds more bytes than it can"));
  if (n > 0)
    memcpy (s->rx, data, n);
  s->rx_count = (guint)n;

  data = g_variant_get_fixed_array (queue, &n, 1);
  if (n > QUEUE_SIZE)
    return corrupt (uart, error, _ ("the input queue holds more bytes than it can"));
  if (n > 0)
    memcpy (s->queue, data, n);
  s->queue_count = (guint)n;
  if (n > 0 && !(s->mcr & MCR_LOOP) && s->rx_count < rx_capacity (s))
    return corrupt (uart, error, _ ("input is queued while the receive FIFO has room"));
  return TRUE;
}

gboolean
hull_uart_16550_restore (HullUart16550 *uart, GBytes *bytes, GError **error)
{
  g_autofree UartState *s = g_new0 (UartState, 1);
  Actions actions = { 0 };

  g_return_val_if_fail (uart != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!parse_state (uart, bytes, s, error))
    return FALSE;

  hull_mutex_lock (&uart->mutex);
  uart->s = *s;
  /* The lines follow MCR; their deltas came with the state. */
  uart->msr_lines = msr_lines (&uart->s);
  uart->irq_level = output_level (&uart->s);
  finish (uart, &actions);
  unlock_and_call (uart, &actions);
  return TRUE;
}

void
hull_uart_16550_inspect (HullUart16550 *uart, HullInspectRequest *request)
{
  UartState s; /* a copy, so the fields are added with no lock held */
  UartCounters c;
  guint8 msr;
  gboolean level;

  g_return_if_fail (uart != NULL);
  g_return_if_fail (request != NULL);

  hull_mutex_lock (&uart->mutex);
  s = uart->s;
  msr = uart->msr_lines | uart->s.msr_deltas;
  level = uart->irq_level;
  c = uart->counters;
  hull_mutex_unlock (&uart->mutex);

  hull_inspect_field_string (request, "name", uart->name);
  hull_inspect_field_hex (request, "base", uart->base);
  hull_inspect_field_uint (request, "irq", uart->irq);
  hull_inspect_field_hex (request, "ier", s.ier);
  hull_inspect_field_hex (request, "iir", iir_value (&s));
  hull_inspect_field_hex (request, "fcr", s.fcr);
  hull_inspect_field_hex (request, "lcr", s.lcr);
  hull_inspect_field_hex (request, "mcr", s.mcr);
  hull_inspect_field_hex (request, "lsr", lsr_value (&s));
  hull_inspect_field_hex (request, "msr", msr);
  hull_inspect_field_hex (request, "scr", s.scr);
  hull_inspect_field_uint (request, "divisor", s.divisor);
  hull_inspect_field_uint (request, "baud", s.divisor != 0 ? CLOCK_BAUD / s.divisor : 0);
  hull_inspect_field_bool (request, "fifo-enabled", fifo_enabled (&s));
  hull_inspect_field_uint (request, "rx-trigger", rx_trigger (&s));
  hull_inspect_field_uint (request, "rx-fifo", s.rx_count);
  hull_inspect_field_uint (request, "input-queued", s.queue_count);
  hull_inspect_field_bool (request, "loopback", (s.mcr & MCR_LOOP) != 0);
  hull_inspect_field_bool (request, "irq-level", level);
  hull_inspect_counter (request, "tx-bytes", c.tx_bytes);
  hull_inspect_counter (request, "rx-bytes", c.rx_bytes);
  hull_inspect_counter (request, "input-bytes", c.input_bytes);
  hull_inspect_counter (request, "input-refused", c.input_refused);
  hull_inspect_counter (request, "overruns", c.overruns);
  hull_inspect_counter (request, "interrupts", c.interrupts);
}
