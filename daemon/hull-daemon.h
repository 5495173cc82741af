/* hull-daemon.h — hulld's top-level object.
 *
 * Owns the ObjectManager at /org/hullvm/Hull1 with the Manager interface
 * (its methods are handled here), the domain table (by UUID and by name),
 * the Backend objects and the start-up sequence: load definitions,
 * reattach running workers, autostart (docs/daemon.md). Domains get what
 * they need at construction (HullDomainStore, directories, callbacks) and
 * never call back into the daemon otherwise. Owning the bus name is
 * hulld.c's job, once hull_daemon_start_async() is done. Main-loop only.
 */
#pragma once

#include <gio/gio.h>

#include "hull-authority.h"

G_BEGIN_DECLS

#define HULL_TYPE_DAEMON (hull_daemon_get_type ())
G_DECLARE_FINAL_TYPE (HullDaemon, hull_daemon, HULL, DAEMON, GObject)

/**
 * HullDaemonConfig:
 * @system: system mode (the Manager's Mode; 0755 runtime directory)
 * @state_dir: definitions and autostart marks
 * @runtime_dir: workers' sockets, status records, live definitions
 * @log_dir: worker and console logs
 * @backend_dir: (nullable): backend plugins; %NULL: $HULL_BACKEND_DIR or
 *   the installed directory
 * @worker_path: the hull-vm binary
 * @authority: who may call what, and the quotas (hull-authority.h); the
 *   daemon takes a reference
 */
typedef struct
{
  gboolean system;
  const char *state_dir;
  const char *runtime_dir;
  const char *log_dir;
  const char *backend_dir;
  const char *worker_path;
  HullAuthority *authority;
} HullDaemonConfig;

/**
 * hull_daemon_new:
 * @connection: the bus connection objects are exported on
 * @config: directories and mode; copied
 * @error: %HULL_ERROR_IO when a directory cannot be created
 *
 * Creates the directories and exports the Manager (no domains yet).
 *
 * Returns: (transfer full) (nullable): the daemon
 */
HullDaemon *hull_daemon_new (GDBusConnection *connection, const HullDaemonConfig *config,
                             GError **error);

/**
 * hull_daemon_start_async:
 * @daemon: a new daemon
 *
 * Loads the backends and the stored definitions (a broken file is moved
 * aside and reported, not fatal), reattaches the workers an earlier hulld
 * left running, then starts autostart domains once per host boot (their
 * starts are not waited for; failures are logged). Completes when every
 * domain is published with its real state: then own the bus name.
 */
void hull_daemon_start_async (HullDaemon *daemon, GAsyncReadyCallback callback, gpointer user_data);
gboolean hull_daemon_start_finish (HullDaemon *daemon, GAsyncResult *result, GError **error);

G_END_DECLS
