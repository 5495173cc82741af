/* hull-power-port.c — the power-off port 0x604. */
#include "config.h"

#include "hull-power-port.h"

#include "hull-error.h"
#include "hull-saved-state.h"
#include "hull-i18n.h"
#include "hull-sync.h"

#define N_PORTS 2
#define SAVE_VERSION 1
#define SAVE_TYPE "(u)"

struct _HullPowerPort
{
  HullIoBus *bus;
  HullHalt *halt;
  HullMutex mutex; /* below */
  guint64 power_offs;
  guint64 ignored;
  gboolean has_last_ignored;
  guint32 last_ignored;
};

static void
power_port_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  for (gsize i = 0; i < len; i++)
    buf[i] = 0;
}

static void
power_port_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  HullPowerPort *port = device;
  guint32 value = 0;
  gboolean off;

  for (gsize i = 0; i < len; i++)
    value |= (guint32)buf[i] << (8 * i);
  off = offset == 0 && len == 2 && value == HULL_POWER_PORT_OFF_VALUE;

  hull_mutex_lock (&port->mutex);
  if (off)
    port->power_offs++;
  else
    {
      port->ignored++;
      port->has_last_ignored = TRUE;
      port->last_ignored = value;
    }
  hull_mutex_unlock (&port->mutex);

  if (off)
    {
      g_autoptr (HullHaltReason) reason = hull_halt_reason_new (HULL_HALT_POWER_OFF);

      reason->has_vp = TRUE;
      reason->vp = vp;
      hull_halt_halt (port->halt, reason);
    }
}

static const HullIoDeviceOps power_port_ops = {
  .read = power_port_read,
  .write = power_port_write,
};

HullPowerPort *
hull_power_port_new (HullIoBus *bus, HullHalt *halt, GError **error)
{
  HullPowerPort *port;

  g_return_val_if_fail (bus != NULL, NULL);
  g_return_val_if_fail (halt != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  port = g_new0 (HullPowerPort, 1);
  hull_mutex_init (&port->mutex);
  if (!hull_io_bus_register_pio (bus, "power-port", HULL_POWER_PORT, N_PORTS, &power_port_ops, port,
                                 error))
    {
      hull_mutex_clear (&port->mutex);
      g_free (port);
      return NULL;
    }
  port->bus = hull_io_bus_ref (bus);
  port->halt = hull_halt_ref (halt);
  return port;
}

void
hull_power_port_free (HullPowerPort *port)
{
  if (port == NULL)
    return;
  hull_io_bus_unregister (port->bus, port);
  hull_io_bus_unref (port->bus);
  hull_halt_unref (port->halt);
  hull_mutex_clear (&port->mutex);
  g_free (port);
}

void
hull_power_port_reset (HullPowerPort *port)
{
  g_return_if_fail (port != NULL);
}

GBytes *
hull_power_port_save (HullPowerPort *port)
{
  g_autoptr (GVariant) state = NULL;

  g_return_val_if_fail (port != NULL, NULL);

  state = g_variant_ref_sink (g_variant_new (SAVE_TYPE, (guint32)SAVE_VERSION));
  return g_variant_get_data_as_bytes (state);
}

gboolean
hull_power_port_restore (HullPowerPort *port, GBytes *bytes, GError **error)
{
  g_autoptr (GVariant) state = NULL;

  g_return_val_if_fail (port != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  state = hull_saved_state_open (bytes, SAVE_TYPE, SAVE_VERSION, error);
  if (state == NULL)
    {
      g_prefix_error (error, "%s", _ ("power port: "));
      return FALSE;
    }
  return TRUE;
}

guint64
hull_power_port_get_power_offs (HullPowerPort *port)
{
  guint64 n;

  g_return_val_if_fail (port != NULL, 0);

  hull_mutex_lock (&port->mutex);
  n = port->power_offs;
  hull_mutex_unlock (&port->mutex);
  return n;
}

guint64
hull_power_port_get_ignored (HullPowerPort *port)
{
  guint64 n;

  g_return_val_if_fail (port != NULL, 0);

  hull_mutex_lock (&port->mutex);
  n = port->ignored;
  hull_mutex_unlock (&port->mutex);
  return n;
}

void
hull_power_port_inspect (HullPowerPort *port, HullInspectRequest *request)
{
  guint64 power_offs, ignored;
  gboolean has_last;
  guint32 last;

  g_return_if_fail (port != NULL);
  g_return_if_fail (request != NULL);

  hull_mutex_lock (&port->mutex);
  power_offs = port->power_offs;
  ignored = port->ignored;
  has_last = port->has_last_ignored;
  last = port->last_ignored;
  hull_mutex_unlock (&port->mutex);

  hull_inspect_field_hex (request, "port", HULL_POWER_PORT);
  hull_inspect_counter (request, "power-offs", power_offs);
  hull_inspect_counter (request, "ignored-writes", ignored);
  if (has_last)
    hull_inspect_field_hex (request, "last-ignored", last);
}
