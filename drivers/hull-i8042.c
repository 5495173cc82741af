/* hull-i8042.c — the PS/2 controller's ports 0x60/0x64 (what is emulated is
 * listed in the header). */
#include "config.h"

#include "hull-i8042.h"

#include "hull-error.h"
#include "hull-saved-state.h"
#include "hull-i18n.h"
#include "hull-sync.h"

/* Status register bits. */
#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_CMD 0x08      /* the last write went to the command port */
#define STR_UNLOCKED 0x10 /* keyboard not inhibited */

/* Command byte bits. */
#define CTR_KBDINT 0x01
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40
#define CTR_RESET (CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE)

/* Output port: bit 0 is the CPU reset line (active low), bit 1 A20. */
#define OUTPORT_RESET_LINE 0x01
#define OUTPORT_POWER_ON 0xcf

/* Commands. */
#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_READ_OUTPORT 0xd0
#define CMD_WRITE_OUTPORT 0xd1
#define CMD_WRITE_KBD_OUTBUF 0xd2
#define CMD_WRITE_AUX_OUTBUF 0xd3
#define CMD_WRITE_AUX 0xd4
#define CMD_PULSE_FIRST 0xf0

#define SELF_TEST_OK 0x55
#define AUX_TEST_NO_PORT 0x02 /* "clock line stuck high" */

#define SAVE_VERSION 1
/* version, command byte, output port, output buffer, pending command (0:
 * none), output buffer full, last write to the command port */
#define SAVE_TYPE "(uyyyybb)"

typedef struct
{
  guint8 ctr;
  guint8 outport;
  guint8 data;    /* the output buffer; read again while empty */
  guint8 pending; /* a command waiting for its data byte, or 0 */
  gboolean obf;
  gboolean last_was_command;
} I8042State;

typedef struct
{
  guint64 commands, unknown_commands, ignored_data, resets;
} I8042Counters;

struct _HullI8042
{
  HullIoBus *bus;
  HullHalt *halt;
  HullMutex mutex; /* below */
  I8042State s;
  I8042Counters counters;
};

static guint8
status_value (const I8042State *s)
{
  return (s->obf ? STR_OBF : 0) | ((s->ctr & CTR_SYS) ? STR_SYS : 0)
         | (s->last_was_command ? STR_CMD : 0) | STR_UNLOCKED;
}

static void
reply (I8042State *s, guint8 value)
{
  s->data = value;
  s->obf = TRUE;
}

/* Handles a command; returns whether it resets the CPU. */
static gboolean
command_write (HullI8042 *i8042, guint8 cmd)
{
  I8042State *s = &i8042->s;

  i8042->counters.commands++;
  s->last_was_command = TRUE;
  s->pending = 0; /* a new command abandons one waiting for data */

  switch (cmd)
    {
      case CMD_READ_CTR:
        reply (s, s->ctr);
        return FALSE;
      case CMD_WRITE_CTR:
      case CMD_WRITE_OUTPORT:
      case CMD_WRITE_KBD_OUTBUF:
      case CMD_WRITE_AUX_OUTBUF:
      case CMD_WRITE_AUX:
        s->pending = cmd;
        return FALSE;
      case CMD_AUX_DISABLE:
        s->ctr |= CTR_AUXDIS;
        return FALSE;
      case CMD_AUX_ENABLE:
        s->ctr &= ~CTR_AUXDIS;
        return FALSE;
      case CMD_AUX_TEST:
        reply (s, AUX_TEST_NO_PORT);
        return FALSE;
      case CMD_SELF_TEST:
        s->ctr |= CTR_SYS;
        reply (s, SELF_TEST_OK);
        return FALSE;
      case CMD_KBD_TEST:
        reply (s, 0x00);
        return FALSE;
      case CMD_KBD_DISABLE:
        s->ctr |= CTR_KBDDIS;
        return FALSE;
      case CMD_KBD_ENABLE:
        s->ctr &= ~CTR_KBDDIS;
        return FALSE;
      case CMD_READ_OUTPORT:
        reply (s, s->outport);
        return FALSE;
      default:
        /* 0xF0–0xFF pulse the output port's low lines whose bits are
         * clear: bit 0 is the reset line (0xFE). */
        if (cmd >= CMD_PULSE_FIRST)
          return !(cmd & OUTPORT_RESET_LINE);
        i8042->counters.unknown_commands++;
        return FALSE;
    }
}

/* Handles a write to the data port; returns whether it resets the CPU. */
static gboolean
data_write (HullI8042 *i8042, guint8 value)
{
  I8042State *s = &i8042->s;
  guint8 pending = s->pending;

  s->last_was_command = FALSE;
  s->pending = 0;
  switch (pending)
    {
      case CMD_WRITE_CTR:
        s->ctr = value;
        return FALSE;
      case CMD_WRITE_OUTPORT:
        s->outport = value;
        return !(value & OUTPORT_RESET_LINE);
      case CMD_WRITE_KBD_OUTBUF:
      case CMD_WRITE_AUX_OUTBUF:
        /* With no AUX port, 0xD3's byte arrives as keyboard data. */
        reply (s, value);
        return FALSE;
      case CMD_WRITE_AUX:
      default:
        /* To the mouse or the keyboard, neither of which is there. */
        i8042->counters.ignored_data++;
        return FALSE;
    }
}

static void
raise_reset (HullI8042 *i8042, guint vp)
{
  g_autoptr (HullHaltReason) reason = hull_halt_reason_new (HULL_HALT_RESET);

  reason->has_vp = TRUE;
  reason->vp = vp;
  hull_halt_halt (i8042->halt, reason);
}

static void
data_port_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  HullI8042 *i8042 = device;

  hull_mutex_lock (&i8042->mutex);
  buf[0] = i8042->s.data;
  i8042->s.obf = FALSE;
  hull_mutex_unlock (&i8042->mutex);
}

static void
data_port_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  HullI8042 *i8042 = device;
  gboolean reset;

  hull_mutex_lock (&i8042->mutex);
  reset = data_write (i8042, buf[0]);
  if (reset)
    i8042->counters.resets++;
  hull_mutex_unlock (&i8042->mutex);
  if (reset)
    raise_reset (i8042, vp);
}

static void
command_port_read (gpointer device, guint vp, guint64 offset, guint8 *buf, gsize len)
{
  HullI8042 *i8042 = device;

  hull_mutex_lock (&i8042->mutex);
  buf[0] = status_value (&i8042->s);
  hull_mutex_unlock (&i8042->mutex);
}

static void
command_port_write (gpointer device, guint vp, guint64 offset, const guint8 *buf, gsize len)
{
  HullI8042 *i8042 = device;
  gboolean reset;

  hull_mutex_lock (&i8042->mutex);
  reset = command_write (i8042, buf[0]);
  if (reset)
    i8042->counters.resets++;
  hull_mutex_unlock (&i8042->mutex);
  if (reset)
    raise_reset (i8042, vp);
}

/* Both ports are one byte wide, so the bus only passes 1-byte accesses. */
static const HullIoDeviceOps data_port_ops = {
  .read = data_port_read,
  .write = data_port_write,
};

static const HullIoDeviceOps command_port_ops = {
  .read = command_port_read,
  .write = command_port_write,
};

static void
reset_state (I8042State *s)
{
  *s = (I8042State){ .ctr = CTR_RESET, .outport = OUTPORT_POWER_ON };
}

HullI8042 *
hull_i8042_new (HullIoBus *bus, HullHalt *halt, GError **error)
{
  HullI8042 *i8042;

  g_return_val_if_fail (bus != NULL, NULL);
  g_return_val_if_fail (halt != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  i8042 = g_new0 (HullI8042, 1);
  hull_mutex_init (&i8042->mutex);
  reset_state (&i8042->s);
  if (!hull_io_bus_register_pio (bus, "i8042", HULL_I8042_DATA_PORT, 1, &data_port_ops, i8042,
                                 error)
      || !hull_io_bus_register_pio (bus, "i8042", HULL_I8042_COMMAND_PORT, 1, &command_port_ops,
                                    i8042, error))
    {
      hull_io_bus_unregister (bus, i8042);
      hull_mutex_clear (&i8042->mutex);
      g_free (i8042);
      return NULL;
    }
  i8042->bus = hull_io_bus_ref (bus);
  i8042->halt = hull_halt_ref (halt);
  return i8042;
}

void
hull_i8042_free (HullI8042 *i8042)
{
  if (i8042 == NULL)
    return;
  hull_io_bus_unregister (i8042->bus, i8042);
  hull_io_bus_unref (i8042->bus);
  hull_halt_unref (i8042->halt);
  hull_mutex_clear (&i8042->mutex);
  g_free (i8042);
}

void
hull_i8042_reset (HullI8042 *i8042)
{
  g_return_if_fail (i8042 != NULL);

  hull_mutex_lock (&i8042->mutex);
  reset_state (&i8042->s);
  hull_mutex_unlock (&i8042->mutex);
}

GBytes *
hull_i8042_save (HullI8042 *i8042)
{
  g_autoptr (GVariant) state = NULL;
  I8042State s;

  g_return_val_if_fail (i8042 != NULL, NULL);

  hull_mutex_lock (&i8042->mutex);
  s = i8042->s;
  hull_mutex_unlock (&i8042->mutex);

  state = g_variant_ref_sink (g_variant_new (SAVE_TYPE, (guint32)SAVE_VERSION, s.ctr, s.outport,
                                             s.data, s.pending, s.obf, s.last_was_command));
  return g_variant_get_data_as_bytes (state);
}

static gboolean
valid_pending (guint8 pending)
{
  switch (pending)
    {
      case 0:
      case CMD_WRITE_CTR:
      case CMD_WRITE_OUTPORT:
      case CMD_WRITE_KBD_OUTBUF:
      case CMD_WRITE_AUX_OUTBUF:
      case CMD_WRITE_AUX:
        return TRUE;
      default:
        return FALSE;
    }
}

gboolean
hull_i8042_restore (HullI8042 *i8042, GBytes *bytes, GError **error)
{
  g_autoptr (GVariant) state = NULL;
  I8042State s;

  g_return_val_if_fail (i8042 != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  state = hull_saved_state_open (bytes, SAVE_TYPE, SAVE_VERSION, error);
  if (state == NULL)
    {
      g_prefix_error (error, "%s", _ ("i8042: "));
      return FALSE;
    }
  g_variant_get (state, SAVE_TYPE, NULL, &s.ctr, &s.outport, &s.data, &s.pending, &s.obf,
                 &s.last_was_command);
  if (!valid_pending (s.pending))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("i8042: the saved state is damaged: command 0x%02x cannot wait for data"),
                   s.pending);
      return FALSE;
    }
  if (s.pending != 0 && !s.last_was_command)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("i8042: the saved state is damaged: a command waits for data but data "
                      "was written last"));
      return FALSE;
    }

  hull_mutex_lock (&i8042->mutex);
  i8042->s = s;
  hull_mutex_unlock (&i8042->mutex);
  return TRUE;
}

void
hull_i8042_inspect (HullI8042 *i8042, HullInspectRequest *request)
{
  I8042State s;
  I8042Counters c;

  g_return_if_fail (i8042 != NULL);
  g_return_if_fail (request != NULL);

  hull_mutex_lock (&i8042->mutex);
  s = i8042->s;
  c = i8042->counters;
  hull_mutex_unlock (&i8042->mutex);

  hull_inspect_field_hex (request, "status", status_value (&s));
  hull_inspect_field_hex (request, "command-byte", s.ctr);
  hull_inspect_field_hex (request, "output-port", s.outport);
  hull_inspect_field_hex (request, "output-buffer", s.data);
  hull_inspect_field_bool (request, "output-full", s.obf);
  if (s.pending != 0)
    hull_inspect_field_hex (request, "pending-command", s.pending);
  hull_inspect_counter (request, "commands", c.commands);
  hull_inspect_counter (request, "unknown-commands", c.unknown_commands);
  hull_inspect_counter (request, "ignored-data", c.ignored_data);
  hull_inspect_counter (request, "resets", c.resets);
}
