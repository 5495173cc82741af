/* The I/O bus: registration rules, PIO/MMIO dispatch, unclaimed accesses,
 * concurrency and inspect. */
#include "config.h"

#include <string.h>

#include "hull-error.h"
#include "hull-inspect.h"
#include "hull-io-bus.h"

/* A device that records its last access and counts every one. */
typedef struct
{
  guint8 tag; /* read data: tag + offset + i */
  gint reads;
  gint writes;
  guint last_vp;
  guint64 last_offset;
  gsize last_len;
  guint8 last_data[8];
} TestDevice;

static void
test_device_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  TestDevice *d = device;

  g_assert_cmpuint (len, <=, 8);
  g_atomic_int_inc (&d->reads);
  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8)(d->tag + offset + i);
  d->last_vp = vp;
  d->last_offset = offset;
  d->last_len = len;
}

static void
test_device_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  TestDevice *d = device;

  g_assert_cmpuint (len, <=, 8);
  g_atomic_int_inc (&d->writes);
  memcpy (d->last_data, buf, len);
  d->last_vp = vp;
  d->last_offset = offset;
  d->last_len = len;
}

static const HullIoDeviceOps test_device_ops = {
  .read = test_device_read,
  .write = test_device_write,
};

/* The same callbacks without recording: safe from several threads. */
static void
counting_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  TestDevice *d = device;

  g_atomic_int_inc (&d->reads);
  memset (buf, d->tag, len);
}

static void
counting_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  TestDevice *d = device;

  g_atomic_int_inc (&d->writes);
}

static const HullIoDeviceOps counting_ops = {
  .read = counting_read,
  .write = counting_write,
};

static const HullCpuIo *io;

static void
register_pio_ok (HullIoBus *bus, const char *name, guint16 start, guint32 length,
                 const HullIoDeviceOps *ops, gpointer device)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (hull_io_bus_register_pio (bus, name, start, length, ops, device, &error));
  g_assert_no_error (error);
}

static void
register_mmio_ok (HullIoBus *bus, const char *name, guint64 start, guint64 length,
                  const HullIoDeviceOps *ops, gpointer device)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (hull_io_bus_register_mmio (bus, name, start, length, ops, device, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ */

static void
test_pio_dispatch (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  TestDevice com1 = { .tag = 0x10 }, below = { .tag = 0x20 }, above = { .tag = 0x30 };
  guint8 buf[4];
  const guint8 data[2] = { 0xab, 0xcd };

  register_pio_ok (bus, "com1", 0x3f8, 8, &test_device_ops, &com1);
  register_pio_ok (bus, "below", 0x3f0, 8, &test_device_ops, &below);
  register_pio_ok (bus, "above", 0x400, 1, &test_device_ops, &above);

  io->read_io (bus, 3, 0x3fa, buf, 1);
  g_assert_cmpint (com1.reads, ==, 1);
  g_assert_cmpuint (com1.last_vp, ==, 3);
  g_assert_cmpuint (com1.last_offset, ==, 2);
  g_assert_cmpuint (com1.last_len, ==, 1);
  g_assert_cmphex (buf[0], ==, 0x12);

  io->write_io (bus, 1, 0x3fc, data, 2);
  g_assert_cmpint (com1.writes, ==, 1);
  g_assert_cmpuint (com1.last_vp, ==, 1);
  g_assert_cmpuint (com1.last_offset, ==, 4);
  g_assert_cmpuint (com1.last_len, ==, 2);
  g_assert_cmpmem (com1.last_data, 2, data, 2);

  /* The first and last ports of each neighbour. */
  io->read_io (bus, 0, 0x3f0, buf, 4);
  g_assert_cmpint (below.reads, ==, 1);
  g_assert_cmpuint (below.last_offset, ==, 0);
  g_assert_cmphex (buf[3], ==, 0x23);
  io->read_io (bus, 0, 0x3ff, buf, 1);
  g_assert_cmpint (com1.reads, ==, 2);
  g_assert_cmpuint (com1.last_offset, ==, 7);
  io->read_io (bus, 0, 0x400, buf, 1);
  g_assert_cmpint (above.reads, ==, 1);

  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 0);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_writes (bus), ==, 0);
}

static void
test_mmio_dispatch (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  TestDevice hpet = { .tag = 0x40 }, top = { .tag = 0x50 };
  const guint8 data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  guint8 buf[8];

  register_mmio_ok (bus, "hpet", 0xfed00000, 0x1000, &test_device_ops, &hpet);
  /* The highest possible range ends at 2^64 - 1. */
  register_mmio_ok (bus, "top", G_MAXUINT64 - 0x1000, 0x1000, &test_device_ops, &top);

  io->read_mmio (bus, 2, 0xfed00010, buf, 8);
  g_assert_cmpint (hpet.reads, ==, 1);
  g_assert_cmpuint (hpet.last_vp, ==, 2);
  g_assert_cmpuint (hpet.last_offset, ==, 0x10);
  g_assert_cmpuint (hpet.last_len, ==, 8);
  g_assert_cmphex (buf[0], ==, 0x50);
  g_assert_cmphex (buf[7], ==, 0x57);

  io->write_mmio (bus, 0, 0xfed00ff8, data, 8);
  g_assert_cmpint (hpet.writes, ==, 1);
  g_assert_cmpuint (hpet.last_offset, ==, 0xff8);
  g_assert_cmpmem (hpet.last_data, 8, data, 8);

  io->read_mmio (bus, 0, G_MAXUINT64 - 8, buf, 8);
  g_assert_cmpint (top.reads, ==, 1);
  g_assert_cmpuint (top.last_offset, ==, 0xff8);

  g_assert_true (io->is_mmio (bus, 0xfed00000));
  g_assert_true (io->is_mmio (bus, 0xfed00fff));
  g_assert_false (io->is_mmio (bus, 0xfed01000));
  g_assert_false (io->is_mmio (bus, 0xfecfffff));
  g_assert_false (io->is_mmio (bus, 0));
  g_assert_true (io->is_mmio (bus, G_MAXUINT64 - 1));
  g_assert_false (io->is_mmio (bus, G_MAXUINT64));
}

/* PIO and MMIO are separate spaces: the same numbers do not clash. */
static void
test_spaces_separate (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  TestDevice port = { .tag = 1 }, mem = { .tag = 2 };
  guint8 buf[1];

  register_pio_ok (bus, "port", 0x80, 1, &test_device_ops, &port);
  register_mmio_ok (bus, "mem", 0x80, 1, &test_device_ops, &mem);
  io->read_io (bus, 0, 0x80, buf, 1);
  io->read_mmio (bus, 0, 0x80, buf, 1);
  g_assert_cmpint (port.reads, ==, 1);
  g_assert_cmpint (mem.reads, ==, 1);
}

typedef struct
{
  gint64 start; /* relative to the registered range */
  guint64 length;
} Range;

static void
test_overlap_refused (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  g_autoptr (GError) error = NULL;
  TestDevice a = { 0 }, b = { 0 };
  /* Against [0x60, 0x68) and [0x10000000, 0x10001000). */
  const Range clashes[] = {
    { 0, 8 },   /* the same */
    { 4, 8 },   /* starts inside */
    { -4, 8 },  /* ends inside */
    { -4, 16 }, /* contains */
    { 2, 2 },   /* is contained */
    { 7, 1 },   /* the last unit */
    { -1, 2 },  /* the first unit */
  };

  register_pio_ok (bus, "kbd", 0x60, 8, &test_device_ops, &a);
  register_mmio_ok (bus, "dev-a", 0x10000000, 0x1000, &test_device_ops, &a);

  g_assert_false (hull_io_bus_register_pio (bus, "other", 0x64, 1, &test_device_ops, &b, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==,
                   "I/O bus: port range 0x64-0x65 of 'other' overlaps 0x60-0x68 of 'kbd'");
  g_clear_error (&error);

  g_assert_false (
      hull_io_bus_register_mmio (bus, "dev-b", 0x10000800, 0x1000, &test_device_ops, &b, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS);
  g_assert_cmpstr (error->message, ==,
                   "I/O bus: MMIO range 0x10000800-0x10001800 of 'dev-b' overlaps "
                   "0x10000000-0x10001000 of 'dev-a'");
  g_clear_error (&error);

  for (gsize i = 0; i < G_N_ELEMENTS (clashes); i++)
    {
      guint64 pio_start = 0x60 + clashes[i].start;
      guint64 mmio_start = 0x10000000 + clashes[i].start * 0x200;

      g_assert_false (hull_io_bus_register_pio (bus, "other", (guint16)pio_start,
                                                (guint32)clashes[i].length, &test_device_ops, &b,
                                                &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS);
      g_assert_nonnull (strstr (error->message, "'kbd'"));
      g_clear_error (&error);

      g_assert_false (hull_io_bus_register_mmio (
          bus, "other", mmio_start, clashes[i].length * 0x200, &test_device_ops, &b, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS);
      g_assert_nonnull (strstr (error->message, "'dev-a'"));
      g_clear_error (&error);
    }

  /* Touching ranges are fine, on both sides. */
  register_pio_ok (bus, "before", 0x5f, 1, &test_device_ops, &b);
  register_pio_ok (bus, "after", 0x68, 8, &test_device_ops, &b);
  register_mmio_ok (bus, "before", 0xfff0000, 0x10000, &test_device_ops, &b);
  register_mmio_ok (bus, "after", 0x10001000, 0x1000, &test_device_ops, &b);

  /* A refused registration changed nothing. */
  {
    guint8 buf[1];

    io->read_io (bus, 0, 0x64, buf, 1);
    g_assert_cmpint (a.reads, ==, 1);
    g_assert_cmpint (b.reads, ==, 0);
  }
}

static void
test_bad_range_refused (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  g_autoptr (GError) error = NULL;
  TestDevice d = { 0 };

  g_assert_false (hull_io_bus_register_pio (bus, "d", 0x60, 0, &test_device_ops, &d, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "I/O bus: the port range of 'd' at 0x60 is empty");
  g_clear_error (&error);

  g_assert_false (hull_io_bus_register_pio (bus, "d", 0xfff0, 0x11, &test_device_ops, &d, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "I/O bus: the port range 0xfff0-0x10001 of 'd' runs past port 0xffff");
  g_clear_error (&error);

  g_assert_false (
      hull_io_bus_register_pio (bus, "d", 0, G_MAXUINT32, &test_device_ops, &d, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (hull_io_bus_register_mmio (bus, "d", 0x1000, 0, &test_device_ops, &d, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "I/O bus: the MMIO range of 'd' at 0x1000 is empty");
  g_clear_error (&error);

  /* Ending exactly at 2^64 needs an end past the last address: refused. */
  g_assert_false (hull_io_bus_register_mmio (bus, "d", G_MAXUINT64 - 0xfff, 0x1000,
                                             &test_device_ops, &d, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "I/O bus: the MMIO range of 0x1000 bytes at 0xfffffffffffff000 of 'd' runs "
                   "past the end of the address space");
  g_clear_error (&error);

  g_assert_false (
      hull_io_bus_register_mmio (bus, "d", 1, G_MAXUINT64, &test_device_ops, &d, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* The whole port space, and the last port, are fine. */
  register_pio_ok (bus, "all", 0, 0x10000, &test_device_ops, &d);
  hull_io_bus_unregister (bus, &d);
  register_pio_ok (bus, "last", 0xffff, 1, &test_device_ops, &d);
}

static void
assert_all_ones (const guint8 *buf, gsize len)
{
  for (gsize i = 0; i < len; i++)
    g_assert_cmphex (buf[i], ==, 0xff);
}

static void
test_unclaimed (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  guint8 buf[8] = { 0 };
  const guint8 data[8] = { 0 };

  io->read_io (bus, 0, 0x80, buf, 4);
  assert_all_ones (buf, 4);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 1);

  memset (buf, 0, sizeof buf);
  io->read_mmio (bus, 0, 0xfee00000, buf, 8);
  assert_all_ones (buf, 8);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 2);

  io->write_io (bus, 0, 0x80, data, 1);
  io->write_mmio (bus, 0, 0xfee00000, data, 4);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_writes (bus), ==, 2);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 2);
}

/* An access that starts in a range but runs past its end is unclaimed. */
static void
test_past_range_end (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  TestDevice port = { .tag = 1 }, mem = { .tag = 2 };
  guint8 buf[8];
  const guint8 data[8] = { 0 };

  register_pio_ok (bus, "port", 0x61, 1, &test_device_ops, &port);
  register_pio_ok (bus, "next", 0x62, 2, &test_device_ops, &port);
  register_mmio_ok (bus, "mem", 0xd0000000, 0x100, &test_device_ops, &mem);

  /* Runs into the next range: still not one range's access. */
  memset (buf, 0, sizeof buf);
  io->read_io (bus, 0, 0x61, buf, 2);
  assert_all_ones (buf, 2);
  io->write_io (bus, 0, 0x62, data, 4);
  memset (buf, 0, sizeof buf);
  io->read_mmio (bus, 0, 0xd00000fc, buf, 8);
  assert_all_ones (buf, 8);
  io->write_mmio (bus, 0, 0xd00000ff, data, 2);
  /* Starts below the range. */
  io->read_mmio (bus, 0, 0xcffffffc, buf, 8);
  /* At the very top of the address space, where address + len wraps. */
  io->read_mmio (bus, 0, G_MAXUINT64 - 3, buf, 8);

  g_assert_cmpint (port.reads + port.writes, ==, 0);
  g_assert_cmpint (mem.reads + mem.writes, ==, 0);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 4);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_writes (bus), ==, 2);
}

/* A length no real access has is unclaimed, and never writes past what a
 * valid access could. */
static void
test_bad_len (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  TestDevice d = { .tag = 1 };
  guint8 buf[32];
  const guint8 data[32] = { 0 };
  const gsize pio_lens[] = { 0, 3, 8, 16, G_MAXSIZE };
  const gsize mmio_lens[] = { 0, 3, 5, 16, G_MAXSIZE };
  guint64 expected = 0;

  register_pio_ok (bus, "all-ports", 0, 0x10000, &test_device_ops, &d);
  register_mmio_ok (bus, "low-mmio", 0, 0x100000, &test_device_ops, &d);

  for (gsize i = 0; i < G_N_ELEMENTS (pio_lens); i++)
    {
      gsize len = pio_lens[i];

      memset (buf, 0, sizeof buf);
      io->read_io (bus, 0, 0x100, buf, len);
      assert_all_ones (buf, MIN (len, 4));
      for (gsize j = MIN (len, 4); j < sizeof buf; j++)
        g_assert_cmphex (buf[j], ==, 0);
      io->write_io (bus, 0, 0x100, data, len);
      expected++;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (mmio_lens); i++)
    {
      gsize len = mmio_lens[i];

      memset (buf, 0, sizeof buf);
      io->read_mmio (bus, 0, 0x100, buf, len);
      assert_all_ones (buf, MIN (len, 8));
      for (gsize j = MIN (len, 8); j < sizeof buf; j++)
        g_assert_cmphex (buf[j], ==, 0);
      io->write_mmio (bus, 0, 0x100, data, len);
      expected++;
    }

  /* A NULL buffer is survived too. */
  io->read_io (bus, 0, 0x100, NULL, 1);
  io->write_mmio (bus, 0, 0x100, NULL, 4);

  g_assert_cmpint (d.reads + d.writes, ==, 0);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, expected + 1);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_writes (bus), ==, expected + 1);
}

static void
test_unregister (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  TestDevice a = { .tag = 1 }, b = { .tag = 2 };
  guint8 buf[4];

  register_pio_ok (bus, "a", 0x70, 2, &test_device_ops, &a);
  register_pio_ok (bus, "a-more", 0x72, 2, &test_device_ops, &a);
  register_pio_ok (bus, "b", 0x74, 2, &test_device_ops, &b);
  register_mmio_ok (bus, "a", 0xfec00000, 0x1000, &test_device_ops, &a);

  hull_io_bus_unregister (bus, &a);
  hull_io_bus_unregister (bus, &a); /* already gone */
  hull_io_bus_unregister (bus, NULL);

  io->read_io (bus, 0, 0x70, buf, 1);
  io->read_io (bus, 0, 0x72, buf, 1);
  io->read_mmio (bus, 0, 0xfec00000, buf, 4);
  g_assert_false (io->is_mmio (bus, 0xfec00000));
  g_assert_cmpint (a.reads, ==, 0);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 3);

  io->read_io (bus, 0, 0x74, buf, 1);
  g_assert_cmpint (b.reads, ==, 1);

  /* The space is free again. */
  register_pio_ok (bus, "b-moved", 0x70, 4, &test_device_ops, &b);
  io->read_io (bus, 0, 0x73, buf, 1);
  g_assert_cmpint (b.reads, ==, 2);
  g_assert_cmpuint (b.last_offset, ==, 3);
}

/* A range with no read op reads as all ones; one with no write op drops
 * writes. Neither access is unclaimed. */
static void
test_null_ops (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  const HullIoDeviceOps no_ops = { NULL, NULL };
  int device;
  guint8 buf[4] = { 0 };

  register_pio_ok (bus, "post", 0x80, 1, &no_ops, &device);
  io->read_io (bus, 0, 0x80, buf, 1);
  g_assert_cmphex (buf[0], ==, 0xff);
  g_assert_cmphex (buf[1], ==, 0);
  io->write_io (bus, 0, 0x80, buf, 1);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 0);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_writes (bus), ==, 0);
}

/* A device moving its own range from inside a handler (a PCI BAR write)
 * does not deadlock. */
typedef struct
{
  HullIoBus *bus;
  guint64 bar;
} BarDevice;

static void
bar_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  memset (buf, 0x77, len);
}

static const HullIoDeviceOps bar_ops = { bar_read, NULL };

static void
bar_config_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  BarDevice *d = device;
  g_autoptr (GError) error = NULL;
  guint32 value;

  g_assert_cmpuint (len, ==, 4);
  memcpy (&value, buf, 4);
  hull_io_bus_unregister (d->bus, &d->bar);
  d->bar = value;
  g_assert_true (
      hull_io_bus_register_mmio (d->bus, "bar0", d->bar, 0x1000, &bar_ops, &d->bar, &error));
  g_assert_no_error (error);
}

static const HullIoDeviceOps config_ops = { NULL, bar_config_write };

static void
test_register_from_handler (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  BarDevice d = { bus, 0xe0000000 };
  guint32 new_bar = 0xe1000000;
  guint8 buf[4];

  register_pio_ok (bus, "config", 0xcfc, 4, &config_ops, &d);
  register_mmio_ok (bus, "bar0", d.bar, 0x1000, &bar_ops, &d.bar);

  io->write_io (bus, 0, 0xcfc, (const guint8 *)&new_bar, 4);
  g_assert_false (io->is_mmio (bus, 0xe0000000));
  g_assert_true (io->is_mmio (bus, 0xe1000000));
  io->read_mmio (bus, 0, 0xe1000004, buf, 4);
  g_assert_cmphex (buf[0], ==, 0x77);
}

static void
test_cpu_io_misc (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();

  g_assert_cmpint (io->acknowledge_pic_interrupt (bus), ==, -1);
  io->handle_eoi (bus, 10);
  g_assert_cmpint (io->fatal_error (bus, 1, "unhandled exit 0x42"), ==, HULL_VP_EXIT_FATAL);
  g_assert_cmpint (io->fatal_error (bus, 1, NULL), ==, HULL_VP_EXIT_FATAL);
}

static void
test_ref (void)
{
  HullIoBus *bus = hull_io_bus_new ();

  g_assert_true (hull_io_bus_ref (bus) == bus);
  hull_io_bus_unref (bus);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, 0);
  hull_io_bus_unref (bus);
  hull_io_bus_unref (NULL);
}

/* ------------------------------------------------------------------ */
/* Concurrency: 4 VP threads dispatch while another thread registers and
 * unregisters an unrelated range. */

#define N_VP_THREADS 4

typedef struct
{
  HullIoBus *bus;
  TestDevice pio_dev;
  TestDevice mmio_dev;
  guint iterations;
  gint stop;
  gint churns;
} ConcurrentCtx;

typedef struct
{
  ConcurrentCtx *ctx;
  guint vp;
  guint bad_data;
} VpThread;

static gpointer
vp_thread (gpointer data)
{
  VpThread *t = data;
  ConcurrentCtx *ctx = t->ctx;
  guint8 buf[8];

  for (guint i = 0; i < ctx->iterations; i++)
    {
      switch (i % 4)
        {
          case 0:
            io->read_io (ctx->bus, t->vp, 0x3f8 + i % 8, buf, 1);
            t->bad_data += buf[0] != ctx->pio_dev.tag;
            break;
          case 1:
            io->write_mmio (ctx->bus, t->vp, 0xfed00000 + (i % 512) * 8, buf, 8);
            break;
          case 2:
            /* Unclaimed, next to the churning range. */
            io->read_io (ctx->bus, t->vp, 0x2ff, buf, 2);
            t->bad_data += buf[0] != 0xff || buf[1] != 0xff;
            break;
          case 3:
            io->write_io (ctx->bus, t->vp, 0x1f0, buf, 1);
            break;
        }
    }
  return NULL;
}

static gpointer
churn_thread (gpointer data)
{
  ConcurrentCtx *ctx = data;
  TestDevice churn = { 0 };

  while (!g_atomic_int_get (&ctx->stop))
    {
      g_autoptr (GError) error = NULL;

      if (!hull_io_bus_register_pio (ctx->bus, "churn", 0x300, 8, &counting_ops, &churn, &error)
          || !hull_io_bus_register_mmio (ctx->bus, "churn", 0xfee00000, 0x1000, &counting_ops,
                                         &churn, &error))
        g_error ("churn: %s", error->message);
      g_thread_yield ();
      hull_io_bus_unregister (ctx->bus, &churn);
      g_atomic_int_inc (&ctx->churns);
    }
  return NULL;
}

static void
test_concurrent (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  ConcurrentCtx ctx = { .bus = bus, .pio_dev = { .tag = 0x5a }, .mmio_dev = { .tag = 0x6b } };
  VpThread threads[N_VP_THREADS];
  GThread *vps[N_VP_THREADS];
  GThread *churn;
  guint64 per_kind;

  ctx.iterations = 100000; /* per VP thread, a multiple of 4 */
  per_kind = (guint64)ctx.iterations / 4 * N_VP_THREADS;

  register_pio_ok (bus, "com1", 0x3f8, 8, &counting_ops, &ctx.pio_dev);
  register_mmio_ok (bus, "hpet", 0xfed00000, 0x1000, &counting_ops, &ctx.mmio_dev);

  churn = g_thread_new ("churn", churn_thread, &ctx);
  for (guint i = 0; i < N_VP_THREADS; i++)
    {
      threads[i] = (VpThread){ .ctx = &ctx, .vp = i };
      vps[i] = g_thread_new ("vp", vp_thread, &threads[i]);
    }
  for (guint i = 0; i < N_VP_THREADS; i++)
    g_thread_join (vps[i]);
  g_atomic_int_set (&ctx.stop, 1);
  g_thread_join (churn);

  g_test_message ("%d register/unregister rounds", g_atomic_int_get (&ctx.churns));
  for (guint i = 0; i < N_VP_THREADS; i++)
    g_assert_cmpuint (threads[i].bad_data, ==, 0);
  g_assert_cmpuint (g_atomic_int_get (&ctx.pio_dev.reads), ==, per_kind);
  g_assert_cmpuint (g_atomic_int_get (&ctx.pio_dev.writes), ==, 0);
  g_assert_cmpuint (g_atomic_int_get (&ctx.mmio_dev.writes), ==, per_kind);
  g_assert_cmpuint (g_atomic_int_get (&ctx.mmio_dev.reads), ==, 0);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_reads (bus), ==, per_kind);
  g_assert_cmpuint (hull_io_bus_get_unclaimed_writes (bus), ==, per_kind);
}

/* ------------------------------------------------------------------ */
/* Inspect */

static void
inspect_bus (gpointer object, HullInspectRequest *request)
{
  hull_io_bus_inspect (object, request);
}

static void
assert_uint (GVariant *dict, const char *key, guint64 expected)
{
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (dict, key, "t", &value));
  g_assert_cmpuint (value, ==, expected);
}

static void
assert_string (GVariant *dict, const char *key, const char *expected)
{
  const char *value = NULL;

  g_assert_true (g_variant_lookup (dict, key, "&s", &value));
  g_assert_cmpstr (value, ==, expected);
}

static void
test_inspect (void)
{
  g_autoptr (HullIoBus) bus = hull_io_bus_new ();
  g_autoptr (GVariant) root = NULL;
  g_autoptr (GVariant) pio = NULL;
  g_autoptr (GVariant) mmio = NULL;
  g_autoptr (GVariant) com1 = NULL;
  g_autoptr (GVariant) hpet = NULL;
  g_autoptr (GVariant) leaf = NULL;
  g_autoptr (GError) error = NULL;
  TestDevice d = { 0 };
  guint8 buf[8] = { 0 };

  root = hull_inspect ("", 3, inspect_bus, bus, HULL_INSPECT_NO_TIMEOUT, &error);
  g_assert_no_error (error);
  assert_uint (root, "unclaimed-reads", 0);
  g_assert_false (g_variant_lookup (root, "last-unclaimed", "&s", NULL));
  g_clear_pointer (&root, g_variant_unref);

  register_pio_ok (bus, "com1", 0x3f8, 8, &test_device_ops, &d);
  register_pio_ok (bus, "pic", 0x20, 2, &test_device_ops, &d);
  register_mmio_ok (bus, "hpet", 0xfed00000, 0x400, &test_device_ops, &d);

  io->read_io (bus, 0, 0x3f8, buf, 1);
  io->read_io (bus, 0, 0x3fd, buf, 1);
  io->write_io (bus, 0, 0x3f8, buf, 1);
  io->write_mmio (bus, 0, 0xfed000f0, buf, 8);
  io->read_io (bus, 0, 0x80, buf, 1);
  io->write_io (bus, 0, 0x81, buf, 1);
  io->write_mmio (bus, 0, 0xfee000b0, buf, 4);
  io->handle_eoi (bus, 4);
  io->fatal_error (bus, 0, "test");

  root = hull_inspect ("", 3, inspect_bus, bus, HULL_INSPECT_NO_TIMEOUT, &error);
  g_assert_no_error (error);
  assert_uint (root, "unclaimed-reads", 1);
  assert_uint (root, "unclaimed-writes", 2);
  assert_uint (root, "eois", 1);
  assert_uint (root, "fatal-errors", 1);
  assert_string (root, "last-unclaimed", "mmio write 0xfee000b0");

  pio = g_variant_lookup_value (root, "pio", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (pio);
  g_assert_cmpuint (g_variant_n_children (pio), ==, 2);
  com1 = g_variant_lookup_value (pio, "0x3f8", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (com1);
  assert_string (com1, "device", "com1");
  assert_string (com1, "start", "0x3f8");
  assert_string (com1, "end", "0x400");
  assert_uint (com1, "reads", 2);
  assert_uint (com1, "writes", 1);

  mmio = g_variant_lookup_value (root, "mmio", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (mmio);
  hpet = g_variant_lookup_value (mmio, "0xfed00000", G_VARIANT_TYPE_VARDICT);
  g_assert_nonnull (hpet);
  assert_string (hpet, "device", "hpet");
  assert_string (hpet, "end", "0xfed00400");
  assert_uint (hpet, "reads", 0);
  assert_uint (hpet, "writes", 1);

  /* A path selects one range. */
  leaf = hull_inspect ("pio/0x20", 0, inspect_bus, bus, HULL_INSPECT_NO_TIMEOUT, &error);
  g_assert_no_error (error);
  assert_string (leaf, "device", "pic");
  assert_uint (leaf, "reads", 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  io = hull_io_bus_get_cpu_io ();

  g_test_add_func ("/hull/io-bus/pio/dispatch-with-offset", test_pio_dispatch);
  g_test_add_func ("/hull/io-bus/mmio/dispatch-with-offset", test_mmio_dispatch);
  g_test_add_func ("/hull/io-bus/pio-and-mmio-are-separate-spaces", test_spaces_separate);
  g_test_add_func ("/hull/io-bus/register/overlap-refused", test_overlap_refused);
  g_test_add_func ("/hull/io-bus/register/empty-or-wrapping-refused", test_bad_range_refused);
  g_test_add_func ("/hull/io-bus/register/from-inside-a-handler", test_register_from_handler);
  g_test_add_func ("/hull/io-bus/unregister/removes-every-range", test_unregister);
  g_test_add_func ("/hull/io-bus/unclaimed/reads-all-ones-and-counts", test_unclaimed);
  g_test_add_func ("/hull/io-bus/unclaimed/access-past-range-end", test_past_range_end);
  g_test_add_func ("/hull/io-bus/unclaimed/bad-length", test_bad_len);
  g_test_add_func ("/hull/io-bus/null-ops-claim-without-handler", test_null_ops);
  g_test_add_func ("/hull/io-bus/cpu-io/pic-eoi-fatal", test_cpu_io_misc);
  g_test_add_func ("/hull/io-bus/ref-unref", test_ref);
  g_test_add_func ("/hull/io-bus/concurrent/dispatch-while-registering", test_concurrent);
  g_test_add_func ("/hull/io-bus/inspect/ranges-and-counters", test_inspect);

  return g_test_run ();
}
