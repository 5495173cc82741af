/* hull-io-bus.c — port and MMIO dispatch to device models; the CpuIo
 * callbacks.
 *
 * Each address space is a sorted array of non-overlapping ranges, searched
 * by bisection. The GRWLock's reader side covers only the lookup and the
 * range's access counter; the handler pointer and device are copied out and
 * called unlocked (see hull-io-bus.h for why). Counters are 64-bit atomics,
 * updated with relaxed ordering: they are statistics, not synchronization.
 */
#include "config.h"

#include "hull-io-bus.h"

#include <string.h>

#include "hull-error.h"
#include "hull-i18n.h"

#define PIO_SPACE_END G_GUINT64_CONSTANT (0x10000)
#define MAX_PIO_LEN 4
#define MAX_MMIO_LEN 8

typedef unsigned long long ull;

typedef enum
{
  SPACE_PIO,
  SPACE_MMIO,
  N_SPACES,
} Space;

typedef struct
{
  char *name;
  guint64 start;
  guint64 end; /* exclusive; start < end */
  HullIoDeviceOps ops;
  gpointer device;
  guint64 reads;  /* atomic */
  guint64 writes; /* atomic */
} IoRange;

/* last_unclaimed: 0 before the first, else 1 + (space << 1 | is_write). */
#define LAST_UNCLAIMED(space, is_write) (1 + ((gint)(space) << 1 | ((is_write) ? 1 : 0)))

struct _HullIoBus
{
  gatomicrefcount ref_count;
  GRWLock lock;
  GPtrArray *ranges[N_SPACES]; /* IoRange, sorted by start, guarded by lock */

  /* Atomic counters. */
  guint64 unclaimed_reads;
  guint64 unclaimed_writes;
  guint64 eois;
  guint64 fatal_errors;
  guint64 last_unclaimed_address;
  gint last_unclaimed;
};

static inline void
counter_inc (guint64 *counter)
{
  __atomic_fetch_add (counter, 1, __ATOMIC_RELAXED);
}

static inline guint64
counter_get (const guint64 *counter)
{
  return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

static void
io_range_free (gpointer data)
{
  IoRange *range = data;

  g_free (range->name);
  g_free (range);
}

HullIoBus *
hull_io_bus_new (void)
{
  HullIoBus *bus = g_new0 (HullIoBus, 1);

  g_atomic_ref_count_init (&bus->ref_count);
  g_rw_lock_init (&bus->lock);
  for (guint s = 0; s < N_SPACES; s++)
    bus->ranges[s] = g_ptr_array_new_with_free_func (io_range_free);
  return bus;
}

HullIoBus *
hull_io_bus_ref (HullIoBus *bus)
{
  g_return_val_if_fail (bus != NULL, NULL);

  g_atomic_ref_count_inc (&bus->ref_count);
  return bus;
}

void
hull_io_bus_unref (HullIoBus *bus)
{
  if (bus == NULL || !g_atomic_ref_count_dec (&bus->ref_count))
    return;

  for (guint s = 0; s < N_SPACES; s++)
    g_ptr_array_unref (bus->ranges[s]);
  g_rw_lock_clear (&bus->lock);
  g_free (bus);
}

/* The index of the first range starting above @addr (so the range that may
 * contain @addr is the one before it). Lock held. */
static guint
upper_bound (GPtrArray *ranges, guint64 addr)
{
  guint lo = 0, hi = ranges->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const IoRange *r = g_ptr_array_index (ranges, mid);

      if (r->start <= addr)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* The range holding all of [addr, addr + len), or NULL; len > 0. Lock held. */
static IoRange *
lookup (GPtrArray *ranges, guint64 addr, gsize len)
{
  guint i = upper_bound (ranges, addr);
  IoRange *r;

  if (i == 0)
    return NULL;
  r = g_ptr_array_index (ranges, i - 1);
  /* r->start <= addr; addr + len may overflow, end - addr cannot. */
  if (addr >= r->end || len > r->end - addr)
    return NULL;
  return r;
}

/* ------------------------------------------------------------------ */
/* Registration */

static gboolean
register_range (HullIoBus *bus, Space space, const char *name, guint64 start, guint64 end,
                const HullIoDeviceOps *ops, gpointer device, GError **error)
{
  GPtrArray *ranges = bus->ranges[space];
  const IoRange *clash = NULL;
  IoRange *range;
  guint i;

  g_rw_lock_writer_lock (&bus->lock);

  i = upper_bound (ranges, start);
  if (i > 0 && ((IoRange *)g_ptr_array_index (ranges, i - 1))->end > start)
    clash = g_ptr_array_index (ranges, i - 1);
  else if (i < ranges->len && ((IoRange *)g_ptr_array_index (ranges, i))->start < end)
    clash = g_ptr_array_index (ranges, i);

  if (clash != NULL)
    {
      if (space == SPACE_PIO)
        g_set_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                     _ ("I/O bus: port range 0x%llx-0x%llx of '%s' overlaps 0x%llx-0x%llx of "
                        "'%s'"),
                     (ull)start, (ull)end, name, (ull)clash->start, (ull)clash->end, clash->name);
      else
        g_set_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                     _ ("I/O bus: MMIO range 0x%llx-0x%llx of '%s' overlaps 0x%llx-0x%llx of "
                        "'%s'"),
                     (ull)start, (ull)end, name, (ull)clash->start, (ull)clash->end, clash->name);
      g_rw_lock_writer_unlock (&bus->lock);
      return FALSE;
    }

  range = g_new0 (IoRange, 1);
  range->name = g_strdup (name);
  range->start = start;
  range->end = end;
  range->ops = *ops;
  range->device = device;
  g_ptr_array_insert (ranges, (gint)i, range);

  g_rw_lock_writer_unlock (&bus->lock);
  return TRUE;
}

gboolean
hull_io_bus_register_pio (HullIoBus *bus, const char *name, guint16 start, guint32 length,
                          const HullIoDeviceOps *ops, gpointer device, GError **error)
{
  g_return_val_if_fail (bus != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (ops != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (length == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("I/O bus: the port range of '%s' at 0x%llx is empty"), name, (ull)start);
      return FALSE;
    }
  if (length > PIO_SPACE_END - start)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("I/O bus: the port range 0x%llx-0x%llx of '%s' runs past port 0xffff"),
                   (ull)start, (ull)start + length, name);
      return FALSE;
    }
  return register_range (bus, SPACE_PIO, name, start, (guint64)start + length, ops, device, error);
}

gboolean
hull_io_bus_register_mmio (HullIoBus *bus, const char *name, guint64 start, guint64 length,
                           const HullIoDeviceOps *ops, gpointer device, GError **error)
{
  g_return_val_if_fail (bus != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (ops != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (length == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("I/O bus: the MMIO range of '%s' at 0x%llx is empty"), name, (ull)start);
      return FALSE;
    }
  if (length > G_MAXUINT64 - start)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("I/O bus: the MMIO range of 0x%llx bytes at 0x%llx of '%s' runs past the "
                      "end of the address space"),
                   (ull)length, (ull)start, name);
      return FALSE;
    }
  return register_range (bus, SPACE_MMIO, name, start, start + length, ops, device, error);
}

void
hull_io_bus_unregister (HullIoBus *bus, gpointer device)
{
  g_return_if_fail (bus != NULL);

  g_rw_lock_writer_lock (&bus->lock);
  for (guint s = 0; s < N_SPACES; s++)
    {
      GPtrArray *ranges = bus->ranges[s];

      for (guint i = ranges->len; i-- > 0;)
        if (((IoRange *)g_ptr_array_index (ranges, i))->device == device)
          g_ptr_array_remove_index (ranges, i);
    }
  g_rw_lock_writer_unlock (&bus->lock);
}

/* ------------------------------------------------------------------ */
/* Dispatch */

static gboolean
valid_len (Space space, gsize len)
{
  return len == 1 || len == 2 || len == 4 || (space == SPACE_MMIO && len == 8);
}

static void
note_unclaimed (HullIoBus *bus, Space space, gboolean is_write, guint64 addr)
{
  counter_inc (is_write ? &bus->unclaimed_writes : &bus->unclaimed_reads);
  /* Exchanges rather than stores: on x86 a relaxed store is a plain mov,
   * which helgrind reports as a race; an exchange is a locked instruction
   * it understands. This is the slow path, so the cost does not matter. A
   * reader may pair one access's address with another's kind; it is a
   * diagnostic. */
  (void)__atomic_exchange_n (&bus->last_unclaimed_address, addr, __ATOMIC_RELAXED);
  (void)g_atomic_int_exchange (&bus->last_unclaimed, LAST_UNCLAIMED (space, is_write));
}

static void
bus_read (HullIoBus *bus, Space space, guint vp, guint64 addr, guint8 *buf, gsize len)
{
  void (*read_fn) (gpointer, guint, guint64, guint8 *, gsize) = NULL;
  gpointer device = NULL;
  guint64 offset = 0;
  gboolean claimed = FALSE;

  if (buf != NULL && valid_len (space, len))
    {
      IoRange *r;

      g_rw_lock_reader_lock (&bus->lock);
      r = lookup (bus->ranges[space], addr, len);
      if (r != NULL)
        {
          counter_inc (&r->reads);
          read_fn = r->ops.read;
          device = r->device;
          offset = addr - r->start;
          claimed = TRUE;
        }
      g_rw_lock_reader_unlock (&bus->lock);
    }

  if (!claimed)
    {
      note_unclaimed (bus, space, FALSE, addr);
      if (buf != NULL)
        memset (buf, 0xff, MIN (len, space == SPACE_PIO ? MAX_PIO_LEN : MAX_MMIO_LEN));
    }
  else if (read_fn != NULL)
    read_fn (device, vp, offset, buf, len);
  else
    memset (buf, 0xff, len);
}

static void
bus_write (HullIoBus *bus, Space space, guint vp, guint64 addr, const guint8 *buf, gsize len)
{
  void (*write_fn) (gpointer, guint, guint64, const guint8 *, gsize) = NULL;
  gpointer device = NULL;
  guint64 offset = 0;
  gboolean claimed = FALSE;

  if (buf != NULL && valid_len (space, len))
    {
      IoRange *r;

      g_rw_lock_reader_lock (&bus->lock);
      r = lookup (bus->ranges[space], addr, len);
      if (r != NULL)
        {
          counter_inc (&r->writes);
          write_fn = r->ops.write;
          device = r->device;
          offset = addr - r->start;
          claimed = TRUE;
        }
      g_rw_lock_reader_unlock (&bus->lock);
    }

  if (!claimed)
    note_unclaimed (bus, space, TRUE, addr);
  else if (write_fn != NULL)
    write_fn (device, vp, offset, buf, len);
}

static gboolean
cpu_io_is_mmio (gpointer data, guint64 address)
{
  HullIoBus *bus = data;
  gboolean found;

  g_rw_lock_reader_lock (&bus->lock);
  found = lookup (bus->ranges[SPACE_MMIO], address, 1) != NULL;
  g_rw_lock_reader_unlock (&bus->lock);
  return found;
}

static gint
cpu_io_acknowledge_pic_interrupt (gpointer data)
{
  return -1;
}

static void
cpu_io_handle_eoi (gpointer data, guint32 irq)
{
  HullIoBus *bus = data;

  counter_inc (&bus->eois);
}

static void
cpu_io_read_mmio (gpointer data, guint vp, guint64 address, guint8 *buffer, gsize len)
{
  bus_read (data, SPACE_MMIO, vp, address, buffer, len);
}

static void
cpu_io_write_mmio (gpointer data, guint vp, guint64 address, const guint8 *buffer, gsize len)
{
  bus_write (data, SPACE_MMIO, vp, address, buffer, len);
}

static void
cpu_io_read_io (gpointer data, guint vp, guint16 port, guint8 *buffer, gsize len)
{
  bus_read (data, SPACE_PIO, vp, port, buffer, len);
}

static void
cpu_io_write_io (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len)
{
  bus_write (data, SPACE_PIO, vp, port, buffer, len);
}

/* The partition unit reports the exit and its detail; this only counts. */
static HullVpExit
cpu_io_fatal_error (gpointer data, guint vp, const char *message)
{
  HullIoBus *bus = data;

  counter_inc (&bus->fatal_errors);
  g_debug ("VP %u: fatal error: %s", vp, message != NULL ? message : "(no message)");
  return HULL_VP_EXIT_FATAL;
}

static const HullCpuIo cpu_io = {
  .is_mmio = cpu_io_is_mmio,
  .acknowledge_pic_interrupt = cpu_io_acknowledge_pic_interrupt,
  .handle_eoi = cpu_io_handle_eoi,
  .read_mmio = cpu_io_read_mmio,
  .write_mmio = cpu_io_write_mmio,
  .read_io = cpu_io_read_io,
  .write_io = cpu_io_write_io,
  .fatal_error = cpu_io_fatal_error,
};

const HullCpuIo *
hull_io_bus_get_cpu_io (void)
{
  return &cpu_io;
}

guint64
hull_io_bus_get_unclaimed_reads (HullIoBus *bus)
{
  g_return_val_if_fail (bus != NULL, 0);

  return counter_get (&bus->unclaimed_reads);
}

guint64
hull_io_bus_get_unclaimed_writes (HullIoBus *bus)
{
  g_return_val_if_fail (bus != NULL, 0);

  return counter_get (&bus->unclaimed_writes);
}

/* ------------------------------------------------------------------ */
/* Inspect */

/* Called by inspect_space with the reader lock held. */
static void
inspect_range (gpointer object, HullInspectRequest *request)
{
  IoRange *range = object;

  hull_inspect_field_string (request, "device", range->name);
  hull_inspect_field_hex (request, "start", range->start);
  hull_inspect_field_hex (request, "end", range->end);
  hull_inspect_counter (request, "reads", counter_get (&range->reads));
  hull_inspect_counter (request, "writes", counter_get (&range->writes));
}

static void
inspect_space (HullIoBus *bus, Space space, HullInspectRequest *request)
{
  GPtrArray *ranges = bus->ranges[space];

  g_rw_lock_reader_lock (&bus->lock);
  for (guint i = 0; i < ranges->len; i++)
    {
      IoRange *range = g_ptr_array_index (ranges, i);
      char name[32];

      g_snprintf (name, sizeof name, "0x%llx", (ull)range->start);
      hull_inspect_child (request, name, inspect_range, range);
    }
  g_rw_lock_reader_unlock (&bus->lock);
}

static void
inspect_pio (gpointer object, HullInspectRequest *request)
{
  inspect_space (object, SPACE_PIO, request);
}

static void
inspect_mmio (gpointer object, HullInspectRequest *request)
{
  inspect_space (object, SPACE_MMIO, request);
}

void
hull_io_bus_inspect (HullIoBus *bus, HullInspectRequest *request)
{
  gint last;

  g_return_if_fail (bus != NULL);
  g_return_if_fail (request != NULL);

  hull_inspect_counter (request, "unclaimed-reads", counter_get (&bus->unclaimed_reads));
  hull_inspect_counter (request, "unclaimed-writes", counter_get (&bus->unclaimed_writes));
  hull_inspect_counter (request, "eois", counter_get (&bus->eois));
  hull_inspect_counter (request, "fatal-errors", counter_get (&bus->fatal_errors));

  last = g_atomic_int_get (&bus->last_unclaimed);
  if (last != 0)
    {
      Space space = (Space)((last - 1) >> 1);
      gboolean is_write = ((last - 1) & 1) != 0;
      g_autofree char *text = g_strdup_printf (
          "%s %s 0x%llx", space == SPACE_PIO ? "pio" : "mmio", is_write ? "write" : "read",
          (ull)__atomic_load_n (&bus->last_unclaimed_address, __ATOMIC_RELAXED));

      hull_inspect_field_string (request, "last-unclaimed", text);
    }

  hull_inspect_child (request, "pio", inspect_pio, bus);
  hull_inspect_child (request, "mmio", inspect_mmio, bus);
}
