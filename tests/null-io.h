/* null-io.h — the callbacks of a CpuIo with no devices behind it: reads
 * return all ones and writes are dropped, as on an empty bus. Test backends,
 * benches and the recording bus build their CpuIo from these and replace only
 * the callbacks they care about. */
#pragma once

#include "hull-backend.h"

G_BEGIN_DECLS

gboolean null_io_is_mmio (gpointer data, guint64 address); /* TRUE */
gint null_io_acknowledge_pic_interrupt (gpointer data);    /* -1: none pending */
void null_io_handle_eoi (gpointer data, guint32 irq);
void null_io_read_mmio (gpointer data, guint vp, guint64 address, guint8 *buffer, gsize len);
void null_io_write_mmio (gpointer data, guint vp, guint64 address, const guint8 *buffer, gsize len);
void null_io_read_io (gpointer data, guint vp, guint16 port, guint8 *buffer, gsize len);
void null_io_write_io (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len);
HullVpExit null_io_fatal_error (gpointer data, guint vp, const char *message); /* FATAL */

G_END_DECLS
