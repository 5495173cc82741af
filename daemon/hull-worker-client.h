/* hull-worker-client.h — hulld's side of one hull-vm worker (docs/daemon.md).
 *
 * Spawns a worker for a domain (or reattaches to a running one after a
 * daemon restart), waits for its ready line, connects to its peer-to-peer
 * socket and hands out the generated HullDBusWorker proxy for calls. It
 * tells its owner when the worker halts, changes state, or goes away, and
 * reaps the processes it spawned. Main-loop only: every function and signal
 * runs on the thread-default GMainContext it was created on.
 *
 * Dropping the last reference closes the connection but leaves the worker
 * running (a restarting hulld reattaches to it); a spawned worker is still
 * reaped when it exits, by a child watch that no longer refers to the
 * client.
 */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include "hull-dbus.h"

G_BEGIN_DECLS

#define HULL_TYPE_WORKER_CLIENT (hull_worker_client_get_type ())
G_DECLARE_FINAL_TYPE (HullWorkerClient, hull_worker_client, HULL, WORKER_CLIENT, GObject)

/**
 * HullWorkerSpawnOptions:
 * @worker_path: the hull-vm binary
 * @uuid: the domain's UUID
 * @xml_path: the live definition the worker runs ($runtime/vm/<uuid>.xml)
 * @runtime_dir: hulld's runtime directory (the worker uses its vm/)
 * @log_path: the worker's stdout and stderr ($log/<uuid>.log)
 * @console_log_path: (nullable): serial port 0's log
 * @backend: (nullable): the backend's name; %NULL: the domain's type
 * @backend_dir: (nullable): where plugins are; %NULL: the worker's default
 * @ready_timeout_ms: how long the worker may take to say READY (and to
 *   accept the connection); 0: the default, 30 s
 * @name: (nullable): the domain's name, for messages; %NULL: the UUID
 * @system: system mode: the worker runs as @owner (with @owner's groups),
 *   without capabilities (docs/policy.md); hulld must be root for an
 *   @owner other than itself
 * @owner: the domain's owner: whose rights open @kernel_path and
 *   @initrd_path, and (system mode) who owns the status record and console
 *   log and runs the worker
 * @kernel_path: (nullable): the definition's kernel, opened with @owner's
 *   rights and passed (--kernel-fd)
 * @initrd_path: (nullable): its initrd, likewise (--initrd-fd)
 * @kvm_device: (nullable): a hypervisor device to open read-write and pass
 *   (--kvm-fd), "/dev/kvm" for a kvm domain
 * @speed: (nullable): the backend's speed as hulld probed it, "hardware"
 *   or "emulated" (--speed); %NULL: the worker probes
 */
typedef struct
{
  const char *worker_path;
  const char *uuid;
  const char *xml_path;
  const char *runtime_dir;
  const char *log_path;
  const char *console_log_path;
  const char *backend;
  const char *backend_dir;
  guint ready_timeout_ms;
  const char *name;
  gboolean system;
  uid_t owner;
  const char *kernel_path;
  const char *initrd_path;
  const char *kvm_device;
  const char *speed;
} HullWorkerSpawnOptions;

/**
 * hull_worker_client_spawn_async:
 *
 * Starts a worker and connects to it once it says READY. The worker is
 * built but not started: call Worker.Start through the proxy. On failure
 * the error is the worker's own (its ERROR line: code and message), or
 * %HULL_ERROR_FAILED naming its log when it died without one (with its
 * exit status), %HULL_ERROR_TIMED_OUT when it said nothing in time, and no
 * process is left behind: the worker is killed if needed and reaped before
 * the call completes. Cancelling @cancellable ends the setup the same way,
 * with %G_IO_ERROR_CANCELLED.
 *
 * The worker gets stdin from /dev/null, stdout and stderr appended to
 * @options->log_path (created 0600), a session of its own (setsid()),
 * PR_SET_NO_NEW_PRIVS, and no fd but the ready pipe and what hulld opened
 * for it (docs/daemon.md, "Starting a worker"): the live definition
 * (--xml-fd), its socket $runtime/vm/<uuid>.sock, bound and listening
 * (--listen-fd; mode 0600, hulld's: only hulld connects), its status record
 * (--status-fd), the console log (--console-log-fd), the kernel and initrd
 * (opened with the owner's rights: %HULL_ERROR_NOT_AUTHORIZED or
 * %HULL_ERROR_NOT_FOUND naming the user and the file when they cannot be)
 * and the hypervisor device (%HULL_ERROR_BACKEND_UNAVAILABLE when it cannot
 * be opened). In system mode it runs as the owner with no capabilities
 * (setgroups, setresgid, the bounding set, setresuid, capset, the ambient
 * set); a failure there is reported as the worker's ERROR line. When the
 * setup fails, the socket and status record are removed again.
 */
void hull_worker_client_spawn_async (const HullWorkerSpawnOptions *options,
                                     GCancellable *cancellable, GAsyncReadyCallback callback,
                                     gpointer user_data);
HullWorkerClient *hull_worker_client_spawn_finish (GAsyncResult *result, GError **error);

/**
 * hull_worker_client_attach_async:
 * @runtime_dir: hulld's runtime directory
 * @uuid: the domain's UUID
 *
 * Reattaches to a worker left running by an earlier hulld: reads
 * $runtime/vm/<uuid>.status, checks its pid is alive and connects to its
 * socket. Fails with %HULL_ERROR_NOT_FOUND when there is no live worker
 * (no record, a dead pid, a refused socket) and %HULL_ERROR_CORRUPT_DATA for
 * a damaged record (unparsable, no pid or socket, another domain's UUID,
 * or a pid that is not the socket's peer — SO_PEERCRED — which is then
 * never signalled), naming the file; the caller then removes the stale
 * files (hull_worker_client_remove_stale()). The record is rewritten in
 * place by its worker: it is read until two reads in a row agree.
 *
 * An attached worker is not our child: it cannot be reaped (its parent is
 * init or a subreaper), and its death is seen only as its connection
 * closing.
 */
void hull_worker_client_attach_async (const char *runtime_dir, const char *uuid,
                                      GCancellable *cancellable, GAsyncReadyCallback callback,
                                      gpointer user_data);
HullWorkerClient *hull_worker_client_attach_finish (GAsyncResult *result, GError **error);

/* Removes $runtime/vm/<uuid>.{sock,status} of a worker that is gone (or
 * stopped: hulld made them, the worker does not remove them). */
void hull_worker_client_remove_stale (const char *runtime_dir, const char *uuid);

/* The proxy for Worker calls; its State, HaltKind, … properties are kept
 * up to date. (transfer none) */
HullDBusWorker *hull_worker_client_get_proxy (HullWorkerClient *client);
/* The worker's process id (an attached worker's from its status record);
 * still returned after the worker is gone. */
GPid hull_worker_client_get_pid (HullWorkerClient *client);

/**
 * hull_worker_client_stop_async:
 *
 * Calls Worker.Stop and completes when the worker's connection has closed
 * (and, for a spawned worker, the process is reaped). The "closed" signal
 * then carries expected = TRUE, and the worker's socket and status record
 * are removed (hulld made them; the worker does not remove them). If the worker does not go within
 * a few seconds (5), or refuses Stop, it is killed (SIGKILL) and the call still succeeds; so does
 * stopping a worker that is already gone. A worker that survives SIGKILL for 5 more seconds (stuck
 * in the kernel) is given up on with a warning: the call succeeds, "closed" is emitted, and a
 * spawned one is still reaped whenever it exits. Cancelling @cancellable does not stop the stop:
 * the call completes as usual, then with %G_IO_ERROR_CANCELLED.
 */
void hull_worker_client_stop_async (HullWorkerClient *client, GCancellable *cancellable,
                                    GAsyncReadyCallback callback, gpointer user_data);
gboolean hull_worker_client_stop_finish (HullWorkerClient *client, GAsyncResult *result,
                                         GError **error);

/* Kills the worker (SIGKILL) without asking; "closed" follows (expected =
 * TRUE). Does nothing once the worker is gone: a reaped pid is never
 * signalled. */
void hull_worker_client_kill (HullWorkerClient *client);

/*
 * Signals:
 * - "halted" (const char *kind, const char *description): Worker.Halted.
 * - "state-changed" (const char *state): the worker's State property changed.
 * - "closed" (gboolean expected): the worker is gone: its connection closed
 *   or, spawned, it was reaped, whichever came first; expected is TRUE
 *   after hull_worker_client_stop_async() or _kill(), FALSE when the worker
 *   died on its own. Emitted once; the client is useless afterwards.
 */

G_END_DECLS
