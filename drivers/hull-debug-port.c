/* hull-debug-port.c — the POST code port and the boot timer page. */
#include "config.h"

#include "hull-debug-port.h"

#include "hull-error.h"
#include "hull-saved-state.h"
#include "hull-i18n.h"
#include "hull-sync.h"

#define SAVE_VERSION 1
/* version, a POST code was written, last POST code, POST writes, boot time
 * in µs (-1: none) */
#define SAVE_TYPE "(ubytx)"

struct _HullDebugPort
{
  HullIoBus *bus;
  void (*boot_timer) (gpointer data, gint64 usec);
  gpointer data;

  HullMutex mutex; /* below */
  gint64 start_time;
  gboolean has_post_code;
  guint8 post_code;
  guint64 post_count;
  gint64 boot_time; /* -1: not yet */
  guint64 boot_timer_writes;
  guint64 ignored;
};

static void
post_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = 0xff;
}

static void
post_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  HullDebugPort *port = device;

  hull_mutex_lock (&port->mutex);
  port->has_post_code = TRUE;
  port->post_code = buf[0];
  port->post_count++;
  hull_mutex_unlock (&port->mutex);
}

static void
boot_timer_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = 0;
}

static void
boot_timer_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  HullDebugPort *port = device;
  gint64 now = g_get_monotonic_time ();
  gint64 fired = -1;

  hull_mutex_lock (&port->mutex);
  if (offset != 0 || len != 1 || buf[0] != HULL_DEBUG_PORT_BOOT_MAGIC)
    port->ignored++;
  else
    {
      port->boot_timer_writes++;
      if (port->boot_time < 0)
        fired = port->boot_time = MAX (now - port->start_time, 0);
    }
  hull_mutex_unlock (&port->mutex);

  if (fired >= 0 && port->boot_timer != NULL)
    port->boot_timer (port->data, fired);
}

static const HullIoDeviceOps post_ops = {
  .read = post_read,
  .write = post_write,
};

static const HullIoDeviceOps boot_timer_ops = {
  .read = boot_timer_read,
  .write = boot_timer_write,
};

HullDebugPort *
hull_debug_port_new (HullIoBus *bus, const HullDebugPortConfig *config, GError **error)
{
  HullDebugPort *port;

  g_return_val_if_fail (bus != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  port = g_new0 (HullDebugPort, 1);
  if (config != NULL)
    {
      port->boot_timer = config->boot_timer;
      port->data = config->data;
    }
  hull_mutex_init (&port->mutex);
  port->start_time = g_get_monotonic_time ();
  port->boot_time = -1;
  if (!hull_io_bus_register_pio (bus, "debug-port", HULL_DEBUG_PORT_POST, 1, &post_ops, port, error)
      || !hull_io_bus_register_mmio (bus, "boot-timer", HULL_DEBUG_PORT_BOOT_TIMER,
                                     HULL_DEBUG_PORT_BOOT_TIMER_SIZE, &boot_timer_ops, port, error))
    {
      hull_io_bus_unregister (bus, port);
      hull_mutex_clear (&port->mutex);
      g_free (port);
      return NULL;
    }
  port->bus = hull_io_bus_ref (bus);
  return port;
}

void
hull_debug_port_free (HullDebugPort *port)
{
  if (port == NULL)
    return;
  hull_io_bus_unregister (port->bus, port);
  hull_io_bus_unref (port->bus);
  hull_mutex_clear (&port->mutex);
  g_free (port);
}

void
hull_debug_port_reset (HullDebugPort *port)
{
  g_return_if_fail (port != NULL);

  hull_mutex_lock (&port->mutex);
  port->has_post_code = FALSE;
  port->post_code = 0;
  port->boot_time = -1;
  hull_mutex_unlock (&port->mutex);
}

void
hull_debug_port_set_start_time (HullDebugPort *port, gint64 start_time)
{
  g_return_if_fail (port != NULL);

  hull_mutex_lock (&port->mutex);
  port->start_time = start_time;
  hull_mutex_unlock (&port->mutex);
}

guint8
hull_debug_port_get_post_code (HullDebugPort *port)
{
  guint8 code;

  g_return_val_if_fail (port != NULL, 0);

  hull_mutex_lock (&port->mutex);
  code = port->post_code;
  hull_mutex_unlock (&port->mutex);
  return code;
}

guint64
hull_debug_port_get_post_count (HullDebugPort *port)
{
  guint64 count;

  g_return_val_if_fail (port != NULL, 0);

  hull_mutex_lock (&port->mutex);
  count = port->post_count;
  hull_mutex_unlock (&port->mutex);
  return count;
}

gint64
hull_debug_port_get_boot_time (HullDebugPort *port)
{
  gint64 usec;

  g_return_val_if_fail (port != NULL, -1);

  hull_mutex_lock (&port->mutex);
  usec = port->boot_time;
  hull_mutex_unlock (&port->mutex);
  return usec;
}

GBytes *
hull_debug_port_save (HullDebugPort *port)
{
  g_autoptr (GVariant) state = NULL;

  g_return_val_if_fail (port != NULL, NULL);

  hull_mutex_lock (&port->mutex);
  state = g_variant_ref_sink (g_variant_new (SAVE_TYPE, (guint32)SAVE_VERSION, port->has_post_code,
                                             port->post_code, port->post_count, port->boot_time));
  hull_mutex_unlock (&port->mutex);
  return g_variant_get_data_as_bytes (state);
}

gboolean
hull_debug_port_restore (HullDebugPort *port, GBytes *bytes, GError **error)
{
  g_autoptr (GVariant) state = NULL;
  gboolean has_post_code;
  guint8 post_code;
  guint64 post_count;
  gint64 boot_time;

  g_return_val_if_fail (port != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  state = hull_saved_state_open (bytes, SAVE_TYPE, SAVE_VERSION, error);
  if (state == NULL)
    {
      g_prefix_error (error, "%s", _ ("debug port: "));
      return FALSE;
    }
  g_variant_get (state, SAVE_TYPE, NULL, &has_post_code, &post_code, &post_count, &boot_time);
  if (boot_time < -1 || (!has_post_code && post_code != 0) || (has_post_code && post_count == 0))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("debug port: the saved state is inconsistent"));
      return FALSE;
    }

  hull_mutex_lock (&port->mutex);
  port->has_post_code = has_post_code;
  port->post_code = post_code;
  port->post_count = post_count;
  port->boot_time = boot_time;
  hull_mutex_unlock (&port->mutex);
  return TRUE;
}

void
hull_debug_port_inspect (HullDebugPort *port, HullInspectRequest *request)
{
  gboolean has_post_code;
  guint8 post_code;
  guint64 post_count, boot_timer_writes, ignored;
  gint64 boot_time;

  g_return_if_fail (port != NULL);
  g_return_if_fail (request != NULL);

  hull_mutex_lock (&port->mutex);
  has_post_code = port->has_post_code;
  post_code = port->post_code;
  post_count = port->post_count;
  boot_time = port->boot_time;
  boot_timer_writes = port->boot_timer_writes;
  ignored = port->ignored;
  hull_mutex_unlock (&port->mutex);

  if (has_post_code)
    hull_inspect_field_hex (request, "post-code", post_code);
  if (boot_time >= 0)
    hull_inspect_field_int (request, "boot-time-us", boot_time);
  hull_inspect_counter (request, "post-writes", post_count);
  hull_inspect_counter (request, "boot-timer-writes", boot_timer_writes);
  hull_inspect_counter (request, "ignored-writes", ignored);
}
