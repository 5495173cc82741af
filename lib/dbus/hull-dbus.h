/* hull-dbus.h — what daemon, worker, hullctl and tests share about Hull's
 * D-Bus API (docs/dbus-api.md): names, object paths, the domain state and
 * lifecycle event model, and option checking. The interfaces themselves are
 * generated from xml/dbus/ by gdbus-codegen into hull-dbus-generated.h
 * (HullDBusManager, HullDBusDomain, HullDBusBackend, HullDBusNodeDevice,
 * HullDBusWorker).
 */
#pragma once

#include <gio/gio.h>

#include "hull-dbus-generated.h"

G_BEGIN_DECLS

#define HULL_DBUS_NAME "org.hullvm.Hull1"
#define HULL_DBUS_PATH "/org/hullvm/Hull1"
#define HULL_DBUS_DOMAIN_PATH_PREFIX HULL_DBUS_PATH "/domain/_"
#define HULL_DBUS_BACKEND_PATH_PREFIX HULL_DBUS_PATH "/backend/"
#define HULL_DBUS_NODE_DEVICE_PATH_PREFIX HULL_DBUS_PATH "/nodedev/"
#define HULL_DBUS_WORKER_PATH HULL_DBUS_PATH "/Worker"

/**
 * HullDomainState:
 *
 * A domain's state, libvirt's virDomainState subset. The D-Bus property
 * carries the name (hull_domain_state_to_string()).
 */
typedef enum
{
  HULL_DOMAIN_STATE_SHUTOFF,
  HULL_DOMAIN_STATE_RUNNING,
  HULL_DOMAIN_STATE_PAUSED,
  HULL_DOMAIN_STATE_CRASHED,
} HullDomainState;

/**
 * HullDomainStateReason:
 *
 * Why a domain is in its state (names in docs/dbus-api.md):
 * - shutoff: UNKNOWN (never started), SHUTDOWN (the guest powered off, or
 *   Shutdown), DESTROYED, CRASHED (on_crash=destroy), FAILED (the worker
 *   could not start);
 * - running: BOOTED, UNPAUSED, REBOOTED (by on_reboot/on_poweroff=restart or
 *   Reset), CRASH_RESTARTED (on_crash=restart), HALT_CLEARED;
 * - paused: USER, STARTING_UP (Start with "paused"), HALTED (a preserved
 *   power-off, reset or debug halt, on_*=preserve);
 * - crashed: PANICKED (a preserved crash halt, on_crash=preserve),
 *   WORKER_FAILED (the worker process died).
 */
typedef enum
{
  HULL_DOMAIN_REASON_UNKNOWN,
  HULL_DOMAIN_REASON_SHUTDOWN,
  HULL_DOMAIN_REASON_DESTROYED,
  HULL_DOMAIN_REASON_CRASHED,
  HULL_DOMAIN_REASON_FAILED,
  HULL_DOMAIN_REASON_BOOTED,
  HULL_DOMAIN_REASON_UNPAUSED,
  HULL_DOMAIN_REASON_REBOOTED,
  HULL_DOMAIN_REASON_CRASH_RESTARTED,
  HULL_DOMAIN_REASON_HALT_CLEARED,
  HULL_DOMAIN_REASON_USER,
  HULL_DOMAIN_REASON_STARTING_UP,
  HULL_DOMAIN_REASON_HALTED,
  HULL_DOMAIN_REASON_PANICKED,
  HULL_DOMAIN_REASON_WORKER_FAILED,
} HullDomainStateReason;

/* Lifecycle events: libvirt's virDomainEventType values, so that tools
 * that know libvirt's numbers read Hull's. */
typedef enum
{
  HULL_DOMAIN_EVENT_DEFINED = 0,
  HULL_DOMAIN_EVENT_UNDEFINED = 1,
  HULL_DOMAIN_EVENT_STARTED = 2,
  HULL_DOMAIN_EVENT_SUSPENDED = 3,
  HULL_DOMAIN_EVENT_RESUMED = 4,
  HULL_DOMAIN_EVENT_STOPPED = 5,
  HULL_DOMAIN_EVENT_SHUTDOWN = 6,
  HULL_DOMAIN_EVENT_PMSUSPENDED = 7,
  HULL_DOMAIN_EVENT_CRASHED = 8,
} HullDomainEvent;

/* Details, libvirt's numbers for each event. */
enum
{
  HULL_EVENT_DEFINED_ADDED = 0,
  HULL_EVENT_DEFINED_UPDATED = 1,
  HULL_EVENT_UNDEFINED_REMOVED = 0,
  HULL_EVENT_STARTED_BOOTED = 0,
  HULL_EVENT_SUSPENDED_PAUSED = 0,
  HULL_EVENT_RESUMED_UNPAUSED = 0,
  HULL_EVENT_STOPPED_SHUTDOWN = 0,
  HULL_EVENT_STOPPED_DESTROYED = 1,
  HULL_EVENT_STOPPED_CRASHED = 2,
  HULL_EVENT_STOPPED_FAILED = 5,
  HULL_EVENT_SHUTDOWN_FINISHED = 0,
  HULL_EVENT_CRASHED_PANICKED = 0,
  /* Hull's: the worker process died (libvirt has no worker). */
  HULL_EVENT_CRASHED_WORKER_FAILED = 100,
};

const char *hull_domain_state_to_string (HullDomainState state);
gboolean hull_domain_state_from_string (const char *name, HullDomainState *state);
const char *hull_domain_state_reason_to_string (HullDomainStateReason reason);
gboolean hull_domain_state_reason_from_string (const char *name, HullDomainStateReason *reason);

/* "defined", "undefined", "started", ... or NULL for a value out of range. */
const char *hull_domain_event_to_string (int event);
/* "added", "booted", "destroyed", ...; "unknown" for a detail Hull does
 * not name. */
const char *hull_domain_event_detail_to_string (int event, int detail);

/**
 * hull_dbus_domain_path:
 * @uuid: a domain's UUID in its text form
 *
 * Returns: (transfer full): /org/hullvm/Hull1/domain/_<uuid, '-' as '_'>.
 */
char *hull_dbus_domain_path (const char *uuid);

/* /org/hullvm/Hull1/backend/<name> (the name escaped as
 * g_dbus_escape_object_path() does). */
char *hull_dbus_backend_path (const char *name);

/**
 * hull_dbus_node_device_path:
 * @subsystem: a udev subsystem ("block")
 * @name: a device's kernel name in it ("loop0")
 *
 * Each part is escaped as g_dbus_escape_object_path() does (so the '_'
 * between them is the only bare one, and different devices get different
 * paths): "block", "loop0" gives /org/hullvm/Hull1/nodedev/block_loop0;
 * "pci", "0000:00:02.0" gives .../nodedev/pci_0000_3a00_3a02_2e0.
 *
 * Returns: (transfer full): the device's object path
 */
char *hull_dbus_node_device_path (const char *subsystem, const char *name);

/**
 * HullDBusOption:
 * @name: the key in the a{sv}
 * @type: its GVariant type string
 *
 * One option a method accepts.
 */
typedef struct
{
  const char *name;
  const char *type;
} HullDBusOption;

/**
 * hull_dbus_check_options:
 * @options: an a{sv} from a caller
 * @allowed: (array length=n_allowed): what the method accepts
 * @n_allowed: how many
 * @method: the method's name, for the message
 * @error: %HULL_ERROR_INVALID_ARGUMENT naming the unknown option or the
 *   one of the wrong type
 *
 * Returns: whether every key of @options is allowed, with its type.
 */
gboolean hull_dbus_check_options (GVariant *options, const HullDBusOption *allowed, gsize n_allowed,
                                  const char *method, GError **error);

/* An options dictionary's boolean @name, or @fallback when absent (after
 * hull_dbus_check_options()). */
gboolean hull_dbus_option_boolean (GVariant *options, const char *name, gboolean fallback);
guint32 hull_dbus_option_uint32 (GVariant *options, const char *name, guint32 fallback);

G_END_DECLS
