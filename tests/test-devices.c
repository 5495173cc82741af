/* The device models of drivers/, driven through a real I/O bus's CpuIo as a
 * VP would drive them: 16550 UART, i8042, power-off port, debug port.
 * Locks are hull-sync.h's, so that a --enable-tsan build sees them. */
#include "config.h"

#include <string.h>

#include "drivers/hull-debug-port.h"
#include "drivers/hull-i8042.h"
#include "drivers/hull-power-port.h"
#include "drivers/hull-uart-16550.h"
#include "hull-error.h"
#include "hull-sync.h"

static const HullCpuIo *io;

static void
outb (HullIoBus *bus, guint16 port, guint8 value)
{
  io->write_io (bus, 0, port, &value, 1);
}

static guint8
inb (HullIoBus *bus, guint16 port)
{
  guint8 value = 0;

  io->read_io (bus, 0, port, &value, 1);
  return value;
}

/* The serialised @v (floating or not; consumed). */
static GBytes *
variant_bytes (GVariant *v)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (v);

  return g_variant_get_data_as_bytes (owned);
}

static GVariant *
inspect_node (HullInspectFunc func, gpointer object)
{
  g_autoptr (GError) error = NULL;
  GVariant *node = hull_inspect ("", 0, func, object, HULL_INSPECT_NO_TIMEOUT, &error);

  g_assert_no_error (error);
  return node;
}

static void
assert_field_uint (GVariant *node, const char *name, guint64 expected)
{
  guint64 value;

  g_assert_true (g_variant_lookup (node, name, "t", &value));
  g_assert_cmpuint (value, ==, expected);
}

static void
assert_field_string (GVariant *node, const char *name, const char *expected)
{
  const char *value;

  g_assert_true (g_variant_lookup (node, name, "&s", &value));
  g_assert_cmpstr (value, ==, expected);
}

static void
assert_field_bool (GVariant *node, const char *name, gboolean expected)
{
  gboolean value;

  g_assert_true (g_variant_lookup (node, name, "b", &value));
  g_assert_cmpint (value, ==, expected);
}

/* ================================================================== */
/* 16550 UART */

#define COM1 0x3f8
#define THR (COM1 + 0)
#define RBR (COM1 + 0)
#define DLL (COM1 + 0)
#define IER (COM1 + 1)
#define DLM (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

typedef struct
{
  HullIoBus *bus;
  HullUart16550 *uart;
  HullMutex lock; /* output */
  GByteArray *output;
  gint edges;       /* raise_irq calls */
  gint last_irq;    /* the irq they passed */
  gint space_calls; /* input_space calls */
} UartFixture;

static void
uart_output (gpointer data, const guint8 *bytes, gsize len)
{
  UartFixture *f = data;

  g_assert_cmpuint (len, ==, 1);
  hull_mutex_lock (&f->lock);
  g_byte_array_append (f->output, bytes, (guint)len);
  hull_mutex_unlock (&f->lock);
}

static void
uart_raise_irq (gpointer data, guint irq)
{
  UartFixture *f = data;

  g_atomic_int_set (&f->last_irq, (gint)irq);
  g_atomic_int_inc (&f->edges);
}

static void
uart_input_space (gpointer data)
{
  UartFixture *f = data;

  g_atomic_int_inc (&f->space_calls);
}

static HullUart16550 *
uart_new (UartFixture *f, HullIoBus *bus)
{
  g_autoptr (GError) error = NULL;
  HullUart16550Config config = {
    .name = "com1",
    .base = COM1,
    .irq = 4,
    .output = uart_output,
    .raise_irq = uart_raise_irq,
    .input_space = uart_input_space,
    .data = f,
  };
  HullUart16550 *uart = hull_uart_16550_new (bus, &config, &error);

  g_assert_no_error (error);
  g_assert_nonnull (uart);
  return uart;
}

static void
uart_setup (UartFixture *f, gconstpointer data)
{
  hull_mutex_init (&f->lock);
  f->output = g_byte_array_new ();
  f->bus = hull_io_bus_new ();
  f->uart = uart_new (f, f->bus);
}

static void
uart_teardown (UartFixture *f, gconstpointer data)
{
  hull_uart_16550_free (f->uart);
  hull_io_bus_unref (f->bus);
  g_byte_array_unref (f->output);
  hull_mutex_clear (&f->lock);
}

static gint
edges (UartFixture *f)
{
  return g_atomic_int_get (&f->edges);
}

static void
assert_output (UartFixture *f, const char *expected)
{
  hull_mutex_lock (&f->lock);
  g_assert_cmpmem (f->output->data, f->output->len, expected, strlen (expected));
  hull_mutex_unlock (&f->lock);
}

static void
test_uart_power_on_state (UartFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  HullUart16550Config config = { .base = COM1 };

  g_assert_cmphex (inb (f->bus, IER), ==, 0x00);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01);
  g_assert_cmphex (inb (f->bus, LCR), ==, 0x00);
  g_assert_cmphex (inb (f->bus, MCR), ==, 0x00);
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x60);
  g_assert_cmphex (inb (f->bus, MSR), ==, 0xb0);
  g_assert_cmphex (inb (f->bus, SCR), ==, 0x00);

  /* The ports are taken: a second UART there is refused by the bus. */
  g_assert_null (hull_uart_16550_new (f->bus, &config, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS);
}

static void
test_uart_divisor_latch (UartFixture *f, gconstpointer data)
{
  g_autoptr (GVariant) node = NULL;

  outb (f->bus, IER, 0x05);
  outb (f->bus, LCR, 0x83); /* DLAB, 8N1 */
  g_assert_cmphex (inb (f->bus, DLL), ==, 12);
  g_assert_cmphex (inb (f->bus, DLM), ==, 0);
  outb (f->bus, DLL, 0x01);
  outb (f->bus, DLM, 0x02);
  g_assert_cmphex (inb (f->bus, DLL), ==, 0x01);
  g_assert_cmphex (inb (f->bus, DLM), ==, 0x02);

  /* Without DLAB the same offsets are RBR/THR and IER again. */
  outb (f->bus, LCR, 0x03);
  g_assert_cmphex (inb (f->bus, IER), ==, 0x05);
  assert_output (f, "");

  node = inspect_node ((HullInspectFunc)hull_uart_16550_inspect, f->uart);
  assert_field_uint (node, "divisor", 0x0201);
  assert_field_uint (node, "baud", 115200 / 0x0201);
  g_clear_pointer (&node, g_variant_unref);

  outb (f->bus, LCR, 0x80);
  outb (f->bus, DLM, 0x00);
  outb (f->bus, LCR, 0x03);
  node = inspect_node ((HullInspectFunc)hull_uart_16550_inspect, f->uart);
  assert_field_uint (node, "baud", 115200);
}

static void
test_uart_register_round_trip (UartFixture *f, gconstpointer data)
{
  static const guint8 values[] = { 0x00, 0x03, 0x1b, 0x5a, 0x7f };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      outb (f->bus, LCR, values[i]);
      g_assert_cmphex (inb (f->bus, LCR), ==, values[i]);
      outb (f->bus, MCR, values[i]);
      g_assert_cmphex (inb (f->bus, MCR), ==, values[i] & 0x1f);
      outb (f->bus, SCR, values[i] ^ 0xa5);
      g_assert_cmphex (inb (f->bus, SCR), ==, values[i] ^ 0xa5);
    }
  outb (f->bus, MCR, 0x00);
  outb (f->bus, IER, 0xff);
  g_assert_cmphex (inb (f->bus, IER), ==, 0x0f); /* Linux's IER probe */
  outb (f->bus, IER, 0x00);
  g_assert_cmphex (inb (f->bus, IER), ==, 0x00);

  /* LSR and MSR ignore writes. */
  outb (f->bus, LSR, 0x00);
  outb (f->bus, MSR, 0x00);
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x60);
  g_assert_cmphex (inb (f->bus, MSR) & 0xf0, ==, 0xb0);
}

static void
test_uart_transmit (UartFixture *f, gconstpointer data)
{
  g_autoptr (GVariant) node = NULL;
  const guint8 word[2] = { '!', 0x00 }; /* THR then IER */

  outb (f->bus, LCR, 0x03);
  for (const char *p = "hello"; *p != '\0'; p++)
    {
      g_assert_cmphex (inb (f->bus, LSR) & 0x60, ==, 0x60); /* as a polling driver does */
      outb (f->bus, THR, (guint8)*p);
    }
  assert_output (f, "hello");
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x60);

  /* A 2-byte write reaches THR and IER, like two byte cycles. */
  io->write_io (f->bus, 1, THR, word, 2);
  assert_output (f, "hello!");
  g_assert_cmpint (edges (f), ==, 0); /* no interrupt was enabled */

  node = inspect_node ((HullInspectFunc)hull_uart_16550_inspect, f->uart);
  assert_field_uint (node, "tx-bytes", 6);
  assert_field_string (node, "base", "0x3f8");
}

/* The sequence of Linux's 8250 driver: IER.THRI on, the interrupt arrives,
 * the handler reads IIR (THRE), writes THR, reads IIR again (nothing). */
static void
test_uart_thre_interrupt (UartFixture *f, gconstpointer data)
{
  outb (f->bus, MCR, 0x0b); /* DTR | RTS | OUT2 */
  g_assert_cmpint (edges (f), ==, 0);

  outb (f->bus, IER, 0x02);
  g_assert_cmpint (edges (f), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&f->last_irq), ==, 4);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x02);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01); /* reading IIR acknowledged it */
  g_assert_cmpint (edges (f), ==, 1);

  /* Writing THR: THR empties again at once, a new edge. */
  outb (f->bus, THR, 'x');
  g_assert_cmpint (edges (f), ==, 2);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x02);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01);

  /* Writing IER.THRI again with no change does not re-arm it… */
  outb (f->bus, IER, 0x02);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01);
  g_assert_cmpint (edges (f), ==, 2);
  /* …turning it off and on does (Linux's THRE test relies on it). */
  outb (f->bus, IER, 0x00);
  outb (f->bus, IER, 0x02);
  g_assert_cmpint (edges (f), ==, 3);

  /* Disabling it drops the request. */
  outb (f->bus, IER, 0x00);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01);
  g_assert_cmpint (edges (f), ==, 3);
  assert_output (f, "x");
}

static void
test_uart_receive (UartFixture *f, gconstpointer data)
{
  outb (f->bus, MCR, 0x08);
  g_assert_cmpuint (hull_uart_16550_push_input (f->uart, (const guint8 *)"abc", 3), ==, 3);
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x61); /* DR */
  g_assert_cmpint (edges (f), ==, 0);

  outb (f->bus, IER, 0x01);
  g_assert_cmpint (edges (f), ==, 1);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x04);
  g_assert_cmphex (inb (f->bus, RBR), ==, 'a');
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x04); /* more is there (from the queue) */
  g_assert_cmphex (inb (f->bus, RBR), ==, 'b');
  g_assert_cmphex (inb (f->bus, RBR), ==, 'c');
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x60);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01);
  g_assert_cmphex (inb (f->bus, RBR), ==, 'c'); /* empty: the last byte again */

  /* Input while the request is low is a new edge. */
  hull_uart_16550_push_input (f->uart, (const guint8 *)"d", 1);
  g_assert_cmpint (edges (f), ==, 2);
  g_assert_cmphex (inb (f->bus, RBR), ==, 'd');

  /* RX data outranks THRE; line status outranks both (see loopback). */
  outb (f->bus, IER, 0x03);
  hull_uart_16550_push_input (f->uart, (const guint8 *)"e", 1);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x04);
  g_assert_cmphex (inb (f->bus, RBR), ==, 'e');
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x02);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01);
}

static void
test_uart_fifo_trigger (UartFixture *f, gconstpointer data)
{
  guint8 bytes[40];

  for (guint i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8)('A' + i);

  outb (f->bus, MCR, 0x08);
  outb (f->bus, FCR, 0x87); /* enable, clear both, trigger 8 */
  outb (f->bus, IER, 0x01);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0xc1);

  /* Below the trigger level: the (already expired) character timeout. */
  hull_uart_16550_push_input (f->uart, bytes, 3);
  g_assert_cmpint (edges (f), ==, 1);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0xcc);
  /* At the trigger level: data available. */
  hull_uart_16550_push_input (f->uart, bytes + 3, 5);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0xc4);
  g_assert_cmphex (inb (f->bus, RBR), ==, 'A');
  g_assert_cmphex (inb (f->bus, IIR), ==, 0xcc);

  /* FCR clears the receive FIFO. */
  outb (f->bus, FCR, 0x83);
  g_assert_cmphex (inb (f->bus, LSR) & 0x01, ==, 0);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0xc1);

  /* 40 bytes: 16 in the FIFO, 24 queued, read back in order. */
  outb (f->bus, FCR, 0xc1); /* trigger 14 */
  g_assert_cmpuint (hull_uart_16550_push_input (f->uart, bytes, sizeof bytes), ==, sizeof bytes);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0xc4);
  for (guint i = 0; i < sizeof bytes; i++)
    {
      g_assert_cmphex (inb (f->bus, LSR) & 0x01, ==, 0x01);
      g_assert_cmphex (inb (f->bus, RBR), ==, bytes[i]);
    }
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x60);

  /* Disabling the FIFOs leaves a 1-byte RBR. */
  outb (f->bus, FCR, 0x00);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01);
  hull_uart_16550_push_input (f->uart, bytes, 2);
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x04);
  g_assert_cmphex (inb (f->bus, RBR), ==, 'A');
  g_assert_cmphex (inb (f->bus, RBR), ==, 'B');
}

static void
test_uart_input_queue_full (UartFixture *f, gconstpointer data)
{
  g_autofree guint8 *bytes = g_malloc (2000);
  gsize taken;

  for (guint i = 0; i < 2000; i++)
    bytes[i] = (guint8)i;
  outb (f->bus, FCR, 0x01);

  /* 16 in the FIFO, 1024 in the queue; the rest is refused. */
  taken = hull_uart_16550_push_input (f->uart, bytes, 2000);
  g_assert_cmpuint (taken, ==, 16 + HULL_UART_16550_INPUT_QUEUE);
  g_assert_cmpuint (hull_uart_16550_push_input (f->uart, bytes + taken, 1), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&f->space_calls), ==, 0);

  /* One read makes room: input_space, once. */
  g_assert_cmphex (inb (f->bus, RBR), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&f->space_calls), ==, 1);
  g_assert_cmphex (inb (f->bus, RBR), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&f->space_calls), ==, 1);
  g_assert_cmpuint (hull_uart_16550_push_input (f->uart, bytes + taken, 2), ==, 2);

  for (guint i = 2; i < taken + 2; i++)
    g_assert_cmphex (inb (f->bus, RBR), ==, (guint8)i);
  g_assert_cmphex (inb (f->bus, LSR) & 0x01, ==, 0);

  /* A reset empties the queue and tells a refused writer. */
  taken = hull_uart_16550_push_input (f->uart, bytes, 2000);
  g_assert_cmpuint (taken, <, 2000);
  hull_uart_16550_reset (f->uart);
  g_assert_cmpint (g_atomic_int_get (&f->space_calls), ==, 2);
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x60);
}

static void
test_uart_loopback (UartFixture *f, gconstpointer data)
{
  g_autoptr (GVariant) node = NULL;

  /* Linux's loopback probe. */
  outb (f->bus, MCR, 0x1a); /* LOOP | RTS | OUT2 */
  g_assert_cmphex (inb (f->bus, MSR) & 0xf0, ==, 0x90);
  outb (f->bus, MCR, 0x1f);
  g_assert_cmphex (inb (f->bus, MSR), ==, 0xf0 | 0x02); /* DSR rose (a rising RI is no delta) */
  outb (f->bus, MCR, 0x10);
  g_assert_cmphex (inb (f->bus, MSR), ==, 0x0f); /* all fell; TERI on RI's fall */
  g_assert_cmphex (inb (f->bus, MSR), ==, 0x00);

  /* Transmitted bytes come back, not out. */
  outb (f->bus, THR, 'L');
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x61);
  g_assert_cmphex (inb (f->bus, RBR), ==, 'L');
  assert_output (f, "");

  /* The line is cut off: input waits in the queue. */
  hull_uart_16550_push_input (f->uart, (const guint8 *)"q", 1);
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x60);

  /* Without FIFOs a second byte overruns RBR. */
  outb (f->bus, IER, 0x04); /* line status interrupts */
  outb (f->bus, THR, '1');
  outb (f->bus, THR, '2');
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x06);
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x63); /* DR | OE */
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x61); /* reading cleared OE */
  g_assert_cmphex (inb (f->bus, IIR), ==, 0x01);
  g_assert_cmphex (inb (f->bus, RBR), ==, '2');
  g_assert_cmpint (edges (f), ==, 0); /* loopback keeps the line low */

  node = inspect_node ((HullInspectFunc)hull_uart_16550_inspect, f->uart);
  assert_field_uint (node, "overruns", 1);
  assert_field_bool (node, "loopback", TRUE);
  assert_field_uint (node, "input-queued", 1);

  /* Leaving loopback reconnects the line; the modem inputs return. */
  outb (f->bus, MCR, 0x00);
  g_assert_cmphex (inb (f->bus, RBR), ==, 'q');
  g_assert_cmphex (inb (f->bus, MSR), ==, 0xb0 | 0x0b);
  outb (f->bus, THR, 'o');
  assert_output (f, "o");
}

static void
test_uart_out2_gates_irq (UartFixture *f, gconstpointer data)
{
  g_autoptr (GVariant) node = NULL;

  /* Pending inside, but OUT2 is off: no edge. */
  outb (f->bus, IER, 0x02);
  g_assert_cmpint (edges (f), ==, 0);
  node = inspect_node ((HullInspectFunc)hull_uart_16550_inspect, f->uart);
  assert_field_bool (node, "irq-level", FALSE);
  assert_field_string (node, "iir", "0x2");
  g_clear_pointer (&node, g_variant_unref);

  /* OUT2 connects the line: the edge. */
  outb (f->bus, MCR, 0x08);
  g_assert_cmpint (edges (f), ==, 1);
  node = inspect_node ((HullInspectFunc)hull_uart_16550_inspect, f->uart);
  assert_field_bool (node, "irq-level", TRUE);
  g_clear_pointer (&node, g_variant_unref);

  /* Off and on again: another edge. */
  outb (f->bus, MCR, 0x00);
  outb (f->bus, MCR, 0x08);
  g_assert_cmpint (edges (f), ==, 2);

  /* Loopback disconnects it even with OUT2. */
  outb (f->bus, MCR, 0x18);
  outb (f->bus, MCR, 0x08);
  g_assert_cmpint (edges (f), ==, 3);
  outb (f->bus, MCR, 0x18);
  outb (f->bus, IER, 0x00);
  outb (f->bus, IER, 0x02);
  g_assert_cmpint (edges (f), ==, 3);
}

static void
program_uart (HullIoBus *bus)
{
  outb (bus, LCR, 0x83);
  outb (bus, DLL, 0x03);
  outb (bus, DLM, 0x00);
  outb (bus, LCR, 0x1b);
  outb (bus, FCR, 0xc7);
  outb (bus, MCR, 0x0b);
  outb (bus, SCR, 0x5a);
  outb (bus, IER, 0x03);
}

static void
test_uart_save_restore (UartFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) saved = NULL;
  g_autoptr (GBytes) again = NULL;
  g_autoptr (HullIoBus) bus2 = hull_io_bus_new ();
  UartFixture f2 = { 0 };
  guint8 input[40];

  for (guint i = 0; i < sizeof input; i++)
    input[i] = (guint8)(0x40 + i);

  /* Mid-transmission: half a message out, input half read, THRE pending. */
  program_uart (f->bus);
  for (const char *p = "Linux ve"; *p != '\0'; p++)
    outb (f->bus, THR, (guint8)*p);
  hull_uart_16550_push_input (f->uart, input, sizeof input);
  for (guint i = 0; i < 3; i++)
    g_assert_cmphex (inb (f->bus, RBR), ==, input[i]);
  saved = hull_uart_16550_save (f->uart);

  hull_mutex_init (&f2.lock);
  f2.output = g_byte_array_new ();
  f2.uart = uart_new (&f2, bus2);
  g_assert_true (hull_uart_16550_restore (f2.uart, saved, &error));
  g_assert_no_error (error);
  g_assert_cmpint (edges (&f2), ==, 0); /* the level is restored, not re-signalled */

  /* The same state, byte for byte. */
  again = hull_uart_16550_save (f2.uart);
  g_assert_true (g_bytes_equal (saved, again));

  /* Both continue identically. */
  for (guint16 reg = 1; reg < 8; reg++)
    if (reg != 2) /* IIR reads have side effects: compared below */
      g_assert_cmphex (inb (bus2, COM1 + reg), ==, inb (f->bus, COM1 + reg));
  g_assert_cmphex (inb (bus2, IIR), ==, 0xc4);
  for (guint i = 3; i < sizeof input; i++)
    g_assert_cmphex (inb (bus2, RBR), ==, input[i]);
  g_assert_cmphex (inb (bus2, IIR), ==, 0xc2); /* THRE was still pending */
  for (const char *p = "rsion"; *p != '\0'; p++)
    outb (bus2, THR, (guint8)*p);
  assert_output (f, "Linux ve");
  assert_output (&f2, "rsion");
  outb (bus2, LCR, 0x9b);
  g_assert_cmphex (inb (bus2, DLL), ==, 0x03);

  hull_uart_16550_free (f2.uart);
  g_byte_array_unref (f2.output);
  hull_mutex_clear (&f2.lock);
}

static GBytes *
uart_blob (guint32 version, guint8 ier, guint8 mcr, guint8 fcr, gboolean thr_ipending, gsize n_rx,
           gsize n_queue)
{
  guint8 rx[32] = { 0 };
  g_autofree guint8 *queue = g_malloc0 (n_queue + 1);

  g_assert_cmpuint (n_rx, <=, sizeof rx);
  return variant_bytes (
      g_variant_new ("(uqyyyyyyyyb@ay@ay)", version, (guint16)1, ier, (guint8)0x03, mcr, fcr,
                     (guint8)0, (guint8)0, (guint8)0, (guint8)0, thr_ipending,
                     g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, rx, n_rx, 1),
                     g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, queue, n_queue, 1)));
}

static void
test_uart_corrupt_state_refused (UartFixture *f, gconstpointer data)
{
  g_autoptr (GBytes) good = NULL;
  g_autoptr (GBytes) before = NULL;
  GBytes *bad[10];
  gsize size;
  const guint8 *raw;

  /* The blob helper makes a valid state when asked to. */
  good = uart_blob (1, 0x01, 0x08, 0xc1, FALSE, 16, 3);
  g_assert_true (hull_uart_16550_restore (f->uart, good, NULL));
  g_assert_cmphex (inb (f->bus, LSR), ==, 0x61);

  program_uart (f->bus);
  hull_uart_16550_push_input (f->uart, (const guint8 *)"keep", 4);
  before = hull_uart_16550_save (f->uart);
  raw = g_bytes_get_data (before, &size);

  bad[0] = g_bytes_new (NULL, 0);
  bad[1] = g_bytes_new (raw, size / 2);                  /* truncated */
  bad[2] = g_bytes_new ("garbage!", 8);                  /* not a state */
  bad[3] = uart_blob (2, 0, 0, 0, FALSE, 0, 0);          /* another version */
  bad[4] = uart_blob (1, 0, 0, 0, FALSE, 2, 0);          /* 2 bytes in a 1-byte RBR */
  bad[5] = uart_blob (1, 0, 0, 0x01, FALSE, 17, 0);      /* over the FIFO */
  bad[6] = uart_blob (1, 0x10, 0, 0, FALSE, 0, 0);       /* IER bit 4 */
  bad[7] = uart_blob (1, 0, 0, 0, TRUE, 0, 0);           /* THRE pending, disabled */
  bad[8] = uart_blob (1, 0, 0, 0x01, FALSE, 3, 5);       /* queue behind a FIFO with room */
  bad[9] = uart_blob (1, 0, 0x10, 0x01, FALSE, 0, 1025); /* over the queue */

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) after = NULL;

      g_test_message ("blob %u", i);
      g_assert_false (hull_uart_16550_restore (f->uart, bad[i], &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
      g_assert_nonnull (strstr (error->message, "com1"));
      after = hull_uart_16550_save (f->uart);
      g_assert_true (g_bytes_equal (before, after));
      g_bytes_unref (bad[i]);
    }
}

typedef struct
{
  UartFixture *f;
  guint vp;
} Writer;

#define WRITES_PER_THREAD 2000

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;

  for (guint i = 0; i < WRITES_PER_THREAD; i++)
    {
      guint8 value = (guint8)('A' + w->vp);
      guint8 status;

      io->read_io (w->f->bus, w->vp, LSR, &status, 1);
      io->write_io (w->f->bus, w->vp, THR, &value, 1);
      if (i % 64 == 0)
        io->read_io (w->f->bus, w->vp, IIR, &status, 1);
    }
  return NULL;
}

static gpointer
reader_thread (gpointer data)
{
  Writer *w = data;
  guint received = 0;

  while (received < WRITES_PER_THREAD)
    {
      guint8 byte = 'r', status;

      received += (guint)hull_uart_16550_push_input (w->f->uart, &byte, 1);
      io->read_io (w->f->bus, w->vp, LSR, &status, 1);
      if (status & 0x01)
        io->read_io (w->f->bus, w->vp, RBR, &byte, 1);
    }
  return NULL;
}

static void
test_uart_concurrent_output (UartFixture *f, gconstpointer data)
{
  Writer writers[5];
  GThread *threads[5];
  guint counts[4] = { 0 };

  outb (f->bus, MCR, 0x08);
  outb (f->bus, FCR, 0x01);
  outb (f->bus, IER, 0x03);
  for (guint t = 0; t < 5; t++)
    {
      writers[t] = (Writer){ f, t };
      threads[t] = g_thread_new ("vp", t < 4 ? writer_thread : reader_thread, &writers[t]);
    }
  for (guint t = 0; t < 5; t++)
    g_thread_join (threads[t]);

  hull_mutex_lock (&f->lock);
  g_assert_cmpuint (f->output->len, ==, 4 * WRITES_PER_THREAD);
  for (guint i = 0; i < f->output->len; i++)
    {
      guint t = f->output->data[i] - 'A';

      g_assert_cmpuint (t, <, 4);
      counts[t]++;
    }
  hull_mutex_unlock (&f->lock);
  for (guint t = 0; t < 4; t++)
    g_assert_cmpuint (counts[t], ==, WRITES_PER_THREAD);
}

static void
test_uart_free_unregisters (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  HullUart16550Config config = { .base = 0x2f8, .irq = 3 };
  HullUart16550 *uart = hull_uart_16550_new (bus, &config, NULL);

  g_assert_nonnull (uart);
  g_assert_cmphex (inb (bus, 0x2fd), ==, 0x60);
  hull_uart_16550_free (uart);
  g_assert_cmphex (inb (bus, 0x2fd), ==, 0xff);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 1);
}

/* ================================================================== */
/* i8042 */

typedef struct
{
  HullIoBus *bus;
  HullHalt *halt;
  HullI8042 *i8042;
} I8042Fixture;

static void
i8042_setup (I8042Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->bus = hull_io_bus_new ();
  f->halt = hull_halt_new ();
  f->i8042 = hull_i8042_new (f->bus, f->halt, &error);
  g_assert_no_error (error);
}

static void
i8042_teardown (I8042Fixture *f, gconstpointer data)
{
  hull_i8042_free (f->i8042);
  hull_halt_unref (f->halt);
  hull_io_bus_unref (f->bus);
}

/* i8042_command() as Linux writes it: wait for IBF clear, write the
 * command and parameters, wait for OBF and read each reply. */
static guint8
i8042_command (I8042Fixture *f, guint8 cmd, const int *param, gboolean reply)
{
  g_assert_cmphex (inb (f->bus, 0x64) & 0x02, ==, 0);
  outb (f->bus, 0x64, cmd);
  if (param != NULL)
    outb (f->bus, 0x60, (guint8)*param);
  if (!reply)
    return 0;
  g_assert_cmphex (inb (f->bus, 0x64) & 0x01, ==, 0x01);
  return inb (f->bus, 0x60);
}

static void
test_i8042_self_test (I8042Fixture *f, gconstpointer data)
{
  /* Linux's flush: nothing waiting. */
  g_assert_cmphex (inb (f->bus, 0x64) & 0x01, ==, 0);

  g_assert_cmphex (i8042_command (f, 0xaa, NULL, TRUE), ==, 0x55);
  g_assert_cmphex (inb (f->bus, 0x64) & 0x01, ==, 0); /* read: buffer empty */
  g_assert_cmphex (inb (f->bus, 0x60), ==, 0x55);     /* the last value again */
  g_assert_cmphex (i8042_command (f, 0xab, NULL, TRUE), ==, 0x00);
  g_assert_cmpuint (hull_halt_get_count (f->halt), ==, 0);
}

static void
test_i8042_command_byte (I8042Fixture *f, gconstpointer data)
{
  const int ctr = 0x56;
  g_autoptr (GVariant) node = NULL;

  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x65);
  /* Linux's CTR read loop wants two equal reads. */
  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x65);

  i8042_command (f, 0x60, &ctr, FALSE);
  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x56);

  i8042_command (f, 0xae, NULL, FALSE);
  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x46);
  i8042_command (f, 0xad, NULL, FALSE);
  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x56);
  i8042_command (f, 0xa8, NULL, FALSE);
  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x56);
  i8042_command (f, 0xa7, NULL, FALSE);
  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x76);
  i8042_command (f, 0xa8, NULL, FALSE);
  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x56);

  node = inspect_node ((HullInspectFunc)hull_i8042_inspect, f->i8042);
  assert_field_string (node, "command-byte", "0x56");
  assert_field_uint (node, "unknown-commands", 0);
}

static void
test_i8042_status_bits (I8042Fixture *f, gconstpointer data)
{
  const int ctr = 0x00;

  /* System flag (from the command byte), keyboard not inhibited. */
  g_assert_cmphex (inb (f->bus, 0x64), ==, 0x14);
  outb (f->bus, 0x64, 0x20);
  g_assert_cmphex (inb (f->bus, 0x64), ==, 0x1d); /* OBF, last write a command */
  inb (f->bus, 0x60);
  g_assert_cmphex (inb (f->bus, 0x64), ==, 0x1c);

  /* Writing a command byte without the system flag clears it. */
  i8042_command (f, 0x60, &ctr, FALSE);
  g_assert_cmphex (inb (f->bus, 0x64), ==, 0x10); /* last write was data */
  /* The self-test sets it again. */
  i8042_command (f, 0xaa, NULL, TRUE);
  g_assert_cmphex (inb (f->bus, 0x64), ==, 0x1c);

  /* An unknown command and keyboard data are counted, nothing else. */
  outb (f->bus, 0x64, 0xc0);
  outb (f->bus, 0x60, 0xf2); /* atkbd's GET ID: no keyboard answers */
  g_assert_cmphex (inb (f->bus, 0x64), ==, 0x14);
  {
    g_autoptr (GVariant) node = inspect_node ((HullInspectFunc)hull_i8042_inspect, f->i8042);

    assert_field_uint (node, "unknown-commands", 1);
    assert_field_uint (node, "ignored-data", 1);
  }
}

/* Linux's i8042_check_aux() finds no AUX port without a timeout. */
static void
test_i8042_no_aux_port (I8042Fixture *f, gconstpointer data)
{
  const int loop = 0x5a;
  guint8 status;

  outb (f->bus, 0x64, 0xd3);
  outb (f->bus, 0x60, (guint8)loop);
  status = inb (f->bus, 0x64);
  g_assert_cmphex (status & 0x01, ==, 0x01);
  g_assert_cmphex (status & 0x20, ==, 0); /* not AUX data: "auxerr" */
  g_assert_cmphex (inb (f->bus, 0x60), ==, 0x5a);
  g_assert_cmphex (i8042_command (f, 0xa9, NULL, TRUE), ==, 0x02);

  /* 0xD2 writes the keyboard output buffer; 0xD4's byte goes nowhere. */
  i8042_command (f, 0xd2, &loop, FALSE);
  g_assert_cmphex (inb (f->bus, 0x60), ==, 0x5a);
  i8042_command (f, 0xd4, &loop, FALSE);
  g_assert_cmphex (inb (f->bus, 0x64) & 0x01, ==, 0);
}

static void
test_i8042_reset (I8042Fixture *f, gconstpointer data)
{
  g_autoptr (HullHaltReason) reason = NULL;
  g_autoptr (GVariant) node = NULL;
  const int a20 = 0xdf, reset = 0xde;
  guint8 cmd = 0xfe;

  io->write_io (f->bus, 2, 0x64, &cmd, 1);
  g_assert_cmpuint (hull_halt_get_count (f->halt), ==, 1);
  reason = hull_halt_pop (f->halt);
  g_assert_nonnull (reason);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_RESET);
  g_assert_true (reason->has_vp);
  g_assert_cmpuint (reason->vp, ==, 2);
  g_assert_null (hull_halt_pop (f->halt));
  hull_halt_assert_balanced (f->halt, 1);
  hull_halt_clear (f->halt);

  /* 0xFF pulses nothing; the output port's A20 bit does not reset. */
  outb (f->bus, 0x64, 0xff);
  g_assert_cmphex (i8042_command (f, 0xd0, NULL, TRUE), ==, 0xcf);
  i8042_command (f, 0xd1, &a20, FALSE);
  g_assert_cmphex (i8042_command (f, 0xd0, NULL, TRUE), ==, 0xdf);
  g_assert_cmpuint (hull_halt_get_count (f->halt), ==, 0);

  /* Clearing the output port's reset line does. */
  i8042_command (f, 0xd1, &reset, FALSE);
  g_assert_cmpuint (hull_halt_get_count (f->halt), ==, 1);
  g_clear_pointer (&reason, hull_halt_reason_free);
  reason = hull_halt_pop (f->halt);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_RESET);
  hull_halt_clear (f->halt);

  node = inspect_node ((HullInspectFunc)hull_i8042_inspect, f->i8042);
  assert_field_uint (node, "resets", 2);
}

static void
test_i8042_save_restore (I8042Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) saved = NULL;
  g_autoptr (GBytes) after = NULL;
  g_autoptr (GBytes) bad_version = NULL;
  g_autoptr (GBytes) bad_pending = NULL;
  g_autoptr (GBytes) truncated = NULL;
  g_autoptr (GError) error = NULL;
  gsize size;
  const guint8 *raw;

  /* A command waiting for its data byte survives. */
  outb (f->bus, 0x64, 0xaa);
  outb (f->bus, 0x64, 0x60);
  saved = hull_i8042_save (f->i8042);
  hull_i8042_reset (f->i8042);
  g_assert_cmphex (inb (f->bus, 0x64), ==, 0x14);
  g_assert_true (hull_i8042_restore (f->i8042, saved, &error));
  g_assert_no_error (error);
  outb (f->bus, 0x60, 0x47);
  g_assert_cmphex (i8042_command (f, 0x20, NULL, TRUE), ==, 0x47);

  bad_version = variant_bytes (g_variant_new ("(uyyyybb)", 9, 0x65, 0xcf, 0, 0, FALSE, FALSE));
  bad_pending = variant_bytes (g_variant_new ("(uyyyybb)", 1, 0x65, 0xcf, 0, 0xaa, FALSE, TRUE));
  raw = g_bytes_get_data (saved, &size);
  truncated = g_bytes_new (raw, size - 1);
  g_clear_pointer (&saved, g_bytes_unref);
  saved = hull_i8042_save (f->i8042);
  for (guint i = 0; i < 3; i++)
    {
      GBytes *bad = i == 0 ? bad_version : i == 1 ? bad_pending : truncated;

      g_clear_error (&error);
      g_assert_false (hull_i8042_restore (f->i8042, bad, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
    }
  after = hull_i8042_save (f->i8042);
  g_assert_true (g_bytes_equal (saved, after));
}

/* ================================================================== */
/* Power-off port */

static void
test_power_port (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  g_autoptr (HullHalt) halt = hull_halt_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (HullPowerPort) port = hull_power_port_new (bus, halt, &error);
  g_autoptr (HullHaltReason) reason = NULL;
  g_autoptr (GVariant) node = NULL;
  g_autoptr (GBytes) saved = NULL;
  const guint8 off[2] = { 0x00, 0x20 }, other[2] = { 0x34, 0x12 }, byte = 0x20;
  guint8 buf[2] = { 0xff, 0xff };

  g_assert_no_error (error);

  /* Other values, widths and the upper port are ignored. */
  io->write_io (bus, 0, 0x604, other, 2);
  io->write_io (bus, 0, 0x604, off, 1);
  io->write_io (bus, 0, 0x605, &byte, 1);
  g_assert_cmpuint (hull_halt_get_count (halt), ==, 0);
  g_assert_cmpuint (hull_power_port_get_ignored (port), ==, 3);
  io->read_io (bus, 0, 0x604, buf, 2);
  g_assert_cmphex (buf[0] | buf[1], ==, 0);

  /* outw $0x2000, $0x604 */
  io->write_io (bus, 1, 0x604, off, 2);
  g_assert_cmpuint (hull_halt_get_count (halt), ==, 1);
  reason = hull_halt_pop (halt);
  g_assert_cmpint (reason->kind, ==, HULL_HALT_POWER_OFF);
  g_assert_cmpuint (reason->vp, ==, 1);
  g_assert_cmpuint (hull_power_port_get_power_offs (port), ==, 1);

  node = inspect_node ((HullInspectFunc)hull_power_port_inspect, port);
  assert_field_uint (node, "power-offs", 1);
  assert_field_uint (node, "ignored-writes", 3);
  assert_field_string (node, "last-ignored", "0x20");

  saved = hull_power_port_save (port);
  g_assert_true (hull_power_port_restore (port, saved, &error));
  g_assert_no_error (error);
  {
    g_autoptr (GBytes) bad = g_bytes_new ("x", 1);

    g_assert_false (hull_power_port_restore (port, bad, &error));
    g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  }
}

/* ================================================================== */
/* Debug port */

typedef struct
{
  gint calls;
  gint64 usec;
} BootTimer;

static void
boot_timer_cb (gpointer data, gint64 usec)
{
  BootTimer *t = data;

  t->usec = usec;
  g_atomic_int_inc (&t->calls);
}

static void
test_debug_port_post_codes (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  g_autoptr (HullDebugPort) port = hull_debug_port_new (bus, NULL, NULL);
  g_autoptr (GVariant) node = NULL;
  g_autoptr (GBytes) saved = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (port);
  node = inspect_node ((HullInspectFunc)hull_debug_port_inspect, port);
  g_assert_null (g_variant_lookup_value (node, "post-code", NULL));
  g_clear_pointer (&node, g_variant_unref);

  outb (bus, 0x80, 0x40);
  outb (bus, 0x80, 0x41);
  g_assert_cmphex (hull_debug_port_get_post_code (port), ==, 0x41);
  g_assert_cmpuint (hull_debug_port_get_post_count (port), ==, 2);
  g_assert_cmphex (inb (bus, 0x80), ==, 0xff);

  node = inspect_node ((HullInspectFunc)hull_debug_port_inspect, port);
  assert_field_string (node, "post-code", "0x41");
  assert_field_uint (node, "post-writes", 2);

  saved = hull_debug_port_save (port);
  hull_debug_port_reset (port);
  g_assert_cmphex (hull_debug_port_get_post_code (port), ==, 0);
  g_assert_true (hull_debug_port_restore (port, saved, &error));
  g_assert_no_error (error);
  g_assert_cmphex (hull_debug_port_get_post_code (port), ==, 0x41);
  {
    g_autoptr (GBytes) bad = variant_bytes (
        g_variant_new ("(ubytx)", 1, FALSE, 0x41, G_GUINT64_CONSTANT (1), G_GINT64_CONSTANT (-1)));

    g_assert_false (hull_debug_port_restore (port, bad, &error));
    g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  }
}

static void
test_debug_port_boot_timer (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  BootTimer timer = { 0 };
  HullDebugPortConfig config = { boot_timer_cb, &timer };
  g_autoptr (HullDebugPort) port = hull_debug_port_new (bus, &config, NULL);
  g_autoptr (GVariant) node = NULL;
  const guint64 base = HULL_DEBUG_PORT_BOOT_TIMER;
  guint8 magic = 123, other = 124, buf[4] = { 0xff, 0xff, 0xff, 0xff };
  const guint8 wide[4] = { 123, 0, 0, 0 };
  gint64 first;

  g_assert_true (io->is_mmio (bus, base));
  g_assert_cmpint (hull_debug_port_get_boot_time (port), ==, -1);
  hull_debug_port_set_start_time (port, g_get_monotonic_time () - 5000);

  /* Not the magic: other values, offsets and widths. */
  io->write_mmio (bus, 0, base, &other, 1);
  io->write_mmio (bus, 0, base + 1, &magic, 1);
  io->write_mmio (bus, 0, base, wide, 4);
  g_assert_cmpint (timer.calls, ==, 0);

  io->write_mmio (bus, 0, base, &magic, 1);
  g_assert_cmpint (timer.calls, ==, 1);
  g_assert_cmpint (timer.usec, >=, 5000);
  first = hull_debug_port_get_boot_time (port);
  g_assert_cmpint (first, ==, timer.usec);

  /* Once per boot. */
  io->write_mmio (bus, 1, base, &magic, 1);
  g_assert_cmpint (timer.calls, ==, 1);
  g_assert_cmpint (hull_debug_port_get_boot_time (port), ==, first);
  io->read_mmio (bus, 0, base, buf, 4);
  g_assert_cmphex (buf[0] | buf[1] | buf[2] | buf[3], ==, 0);

  node = inspect_node ((HullInspectFunc)hull_debug_port_inspect, port);
  g_assert_true (g_variant_lookup (node, "boot-time-us", "x", &first));
  g_assert_cmpint (first, ==, timer.usec);
  assert_field_uint (node, "boot-timer-writes", 2);
  assert_field_uint (node, "ignored-writes", 3);

  /* A reset times the next boot. */
  hull_debug_port_reset (port);
  io->write_mmio (bus, 0, base, &magic, 1);
  g_assert_cmpint (timer.calls, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  io = hull_io_bus_get_cpu_io ();

#define UART_TEST(path, func)                                                                      \
  g_test_add ("/hull/devices/uart/" path, UartFixture, NULL, uart_setup, func, uart_teardown)
#define I8042_TEST(path, func)                                                                     \
  g_test_add ("/hull/devices/i8042/" path, I8042Fixture, NULL, i8042_setup, func, i8042_teardown)

  UART_TEST ("power-on-state", test_uart_power_on_state);
  UART_TEST ("divisor-latch", test_uart_divisor_latch);
  UART_TEST ("lcr-mcr-scr-round-trip", test_uart_register_round_trip);
  UART_TEST ("transmit-calls-output", test_uart_transmit);
  UART_TEST ("thre-interrupt-raise-and-ack", test_uart_thre_interrupt);
  UART_TEST ("receive-sets-dr-and-interrupts", test_uart_receive);
  UART_TEST ("fifo-trigger-levels", test_uart_fifo_trigger);
  UART_TEST ("input-queue-full-refuses", test_uart_input_queue_full);
  UART_TEST ("loopback", test_uart_loopback);
  UART_TEST ("out2-gates-irq", test_uart_out2_gates_irq);
  UART_TEST ("save-restore-mid-transmission", test_uart_save_restore);
  UART_TEST ("corrupt-state-refused", test_uart_corrupt_state_refused);
  UART_TEST ("concurrent-output", test_uart_concurrent_output);
  g_test_add_func ("/hull/devices/uart/free-unregisters", test_uart_free_unregisters);

  I8042_TEST ("self-test", test_i8042_self_test);
  I8042_TEST ("command-byte", test_i8042_command_byte);
  I8042_TEST ("status-bits", test_i8042_status_bits);
  I8042_TEST ("no-aux-port", test_i8042_no_aux_port);
  I8042_TEST ("reset-halts-once", test_i8042_reset);
  I8042_TEST ("save-restore", test_i8042_save_restore);

  g_test_add_func ("/hull/devices/power-port/power-off", test_power_port);
  g_test_add_func ("/hull/devices/debug-port/post-codes", test_debug_port_post_codes);
  g_test_add_func ("/hull/devices/debug-port/boot-timer-once", test_debug_port_boot_timer);

  return g_test_run ();
}
