/* null-io.c — see null-io.h. */
#include "config.h"

#include "null-io.h"

#include <string.h>

gboolean
null_io_is_mmio (gpointer data, guint64 address)
{
  return TRUE;
}

gint
null_io_acknowledge_pic_interrupt (gpointer data)
{
  return -1;
}

void
null_io_handle_eoi (gpointer data, guint32 irq)
{
}

void
null_io_read_mmio (gpointer data, guint vp, guint64 address, guint8 *buffer, gsize len)
{
  memset (buffer, 0xff, len);
}

void
null_io_write_mmio (gpointer data, guint vp, guint64 address, const guint8 *buffer, gsize len)
{
}

void
null_io_read_io (gpointer data, guint vp, guint16 port, guint8 *buffer, gsize len)
{
  memset (buffer, 0xff, len);
}

void
null_io_write_io (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len)
{
}

HullVpExit
null_io_fatal_error (gpointer data, guint vp, const char *message)
{
  return HULL_VP_EXIT_FATAL;
}
