/* recording-bus.c — see recording-bus.h. */
#include "config.h"

#include "recording-bus.h"

#include <string.h>

#include "null-io.h"

guint64
load_le (const guint8 *buffer, gsize size)
{
  guint64 value = 0;

  for (gsize i = 0; i < size; i++)
    value |= (guint64)buffer[i] << (8 * i);
  return value;
}

void
store_le (guint8 *buffer, guint64 value, gsize size)
{
  for (gsize i = 0; i < size; i++)
    buffer[i] = (guint8)(value >> (8 * i));
}

void
bus_init (Bus *bus)
{
  memset (bus, 0, sizeof *bus);
  hull_mutex_init (&bus->lock);
  bus->accesses = g_array_new (FALSE, TRUE, sizeof (Access));
  bus->values = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  bus->stop_port = -1;
}

void
bus_destroy (Bus *bus)
{
  g_array_unref (bus->accesses);
  g_hash_table_unref (bus->values);
  hull_mutex_clear (&bus->lock);
}

static guint64
bus_key (gboolean mmio, guint64 address)
{
  return ((guint64)mmio << 63) | address;
}

/* Before any VP runs. */
void
bus_set_value (Bus *bus, gboolean mmio, guint64 address, guint64 value)
{
  g_hash_table_insert (bus->values, g_memdup2 (&(guint64){ bus_key (mmio, address) }, 8),
                       g_memdup2 (&value, 8));
}

static void
bus_read (Bus *bus, AccessKind kind, guint vp, guint64 address, guint8 *buffer, gsize len)
{
  guint64 key = bus_key (kind == ACCESS_MMIO_READ, address);
  guint64 *value;
  Access access = { kind, vp, address, len, 0 };

  hull_mutex_lock (&bus->lock);
  value = g_hash_table_lookup (bus->values, &key);
  store_le (buffer, value != NULL ? *value : G_MAXUINT64, len);
  access.value = load_le (buffer, len);
  g_array_append_val (bus->accesses, access);
  hull_mutex_unlock (&bus->lock);
  if (bus->hook != NULL)
    bus->hook (bus, &access, bus->hook_data);
}

static void
bus_write (Bus *bus, AccessKind kind, guint vp, guint64 address, const guint8 *buffer, gsize len)
{
  guint64 key = bus_key (kind == ACCESS_MMIO_WRITE, address);
  Access access = { kind, vp, address, len, load_le (buffer, len) };
  guint64 *value;
  gboolean stop, yield;

  hull_mutex_lock (&bus->lock);
  value = g_hash_table_lookup (bus->values, &key);
  if (value != NULL)
    *value = access.value;
  g_array_append_val (bus->accesses, access);
  bus->n_writes++;
  stop = (kind == ACCESS_OUT && bus->stop_port >= 0 && address == (guint64)bus->stop_port)
         || (bus->stop_after_writes != 0 && bus->n_writes == bus->stop_after_writes);
  yield = bus->yield_after_writes != 0 && bus->n_writes == bus->yield_after_writes;
  hull_mutex_unlock (&bus->lock);
  if (bus->hook != NULL)
    bus->hook (bus, &access, bus->hook_data);
  /* What a device does from inside a callback: halt the VM, or kick. */
  if (stop)
    bus->stop_vp (bus->vp_data, vp);
  if (yield)
    bus->yield_vp (bus->vp_data, vp);
}

static void
bus_read_mmio (gpointer data, guint vp, guint64 address, guint8 *buffer, gsize len)
{
  bus_read (data, ACCESS_MMIO_READ, vp, address, buffer, len);
}

static void
bus_write_mmio (gpointer data, guint vp, guint64 address, const guint8 *buffer, gsize len)
{
  bus_write (data, ACCESS_MMIO_WRITE, vp, address, buffer, len);
}

static void
bus_read_io (gpointer data, guint vp, guint16 port, guint8 *buffer, gsize len)
{
  bus_read (data, ACCESS_IN, vp, port, buffer, len);
}

static void
bus_write_io (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len)
{
  bus_write (data, ACCESS_OUT, vp, port, buffer, len);
}

static HullVpExit
bus_fatal_error (gpointer data, guint vp, const char *message)
{
  Bus *bus = data;

  hull_mutex_lock (&bus->lock);
  bus->fatal_errors++;
  hull_mutex_unlock (&bus->lock);
  return HULL_VP_EXIT_FATAL;
}

const HullCpuIo bus_io = {
  .is_mmio = null_io_is_mmio,
  .acknowledge_pic_interrupt = null_io_acknowledge_pic_interrupt,
  .handle_eoi = null_io_handle_eoi,
  .read_mmio = bus_read_mmio,
  .write_mmio = bus_write_mmio,
  .read_io = bus_read_io,
  .write_io = bus_write_io,
  .fatal_error = bus_fatal_error,
};

/* Forgets the accesses and writes recorded so far. */
void
bus_clear (Bus *bus)
{
  hull_mutex_lock (&bus->lock);
  g_array_set_size (bus->accesses, 0);
  bus->n_writes = 0;
  hull_mutex_unlock (&bus->lock);
}

guint
bus_count (Bus *bus)
{
  guint n;

  hull_mutex_lock (&bus->lock);
  n = bus->accesses->len;
  hull_mutex_unlock (&bus->lock);
  return n;
}

guint
bus_count_kind (Bus *bus, AccessKind kind)
{
  guint n = 0;

  hull_mutex_lock (&bus->lock);
  for (guint i = 0; i < bus->accesses->len; i++)
    n += g_array_index (bus->accesses, Access, i).kind == kind;
  hull_mutex_unlock (&bus->lock);
  return n;
}

Access
bus_get (Bus *bus, guint i)
{
  Access access;

  hull_mutex_lock (&bus->lock);
  g_assert_cmpuint (i, <, bus->accesses->len);
  access = g_array_index (bus->accesses, Access, i);
  hull_mutex_unlock (&bus->lock);
  return access;
}

void
assert_access (Bus *bus, guint i, AccessKind kind, guint vp, guint64 address, gsize size,
               guint64 value)
{
  Access access = bus_get (bus, i);

  g_assert_cmpint (access.kind, ==, kind);
  g_assert_cmpuint (access.vp, ==, vp);
  g_assert_cmphex (access.address, ==, address);
  g_assert_cmpuint (access.size, ==, size);
  g_assert_cmphex (access.value, ==, value);
}
