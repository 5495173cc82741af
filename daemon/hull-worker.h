/* hull-worker.h — hull-vm's worker mode (docs/daemon.md).
 *
 * One worker runs one domain for hulld: it builds the machine (stopped),
 * a console per serial port, and serves org.hullvm.Hull1.Worker on a
 * peer-to-peer D-Bus socket, $runtime/vm/<uuid>.sock. It keeps the status
 * record $runtime/vm/<uuid>.status up to date and reports halts; hulld
 * decides what to do about them. Main-loop only: everything runs on the
 * thread-default GMainContext of the caller of hull_worker_new().
 */
#pragma once

#include <glib.h>

#include "hull-backend.h"

G_BEGIN_DECLS

typedef struct _HullWorker HullWorker;

/**
 * HullWorkerOptions:
 * @uuid: the domain's UUID (names the socket and the status record; must
 *   be the definition's)
 * @xml_path: the definition to run
 * @runtime_dir: hulld's runtime directory; the worker uses its vm/
 * @console_log: (nullable): serial port 0's log
 * @backend: (nullable): the backend's name; %NULL: the domain's type
 * @backend_dir: (nullable): where plugins are; %NULL: the default
 * @xml_fd: the definition, open for reading (then @xml_path only names
 *   it), or -1
 * @listen_fd: a listening socket to serve on instead of making
 *   $runtime/vm/<uuid>.sock, or -1
 * @status_fd: the status record, open for writing, to rewrite in place
 *   instead of writing $runtime/vm/<uuid>.status, or -1
 * @console_log_fd: serial port 0's log, open for appending (then
 *   @console_log only names it), or -1
 * @kvm_fd: the hypervisor device, open, for the machine (/dev/kvm), or -1
 * @kernel_fd: the definition's kernel, open for reading, or -1
 * @initrd_fd: its initrd, open for reading, or -1
 * @speed: the backend's speed as hulld probed it, or
 *   %HULL_EXECUTION_UNKNOWN to probe it
 *
 * Every fd given is the worker's (closed by hull_worker_free(), or by
 * hull_worker_new() when it fails). With @listen_fd and @status_fd hulld
 * made those files and removes them: the worker never unlinks them.
 */
typedef struct
{
  const char *uuid;
  const char *xml_path;
  const char *runtime_dir;
  const char *console_log;
  const char *backend;
  const char *backend_dir;
  int xml_fd;
  int listen_fd;
  int status_fd;
  int console_log_fd;
  int kvm_fd;
  int kernel_fd;
  int initrd_fd;
  HullExecutionSpeed speed;
} HullWorkerOptions;

/**
 * hull_worker_new:
 * @options: what to run
 * @error: a %HULL_ERROR saying what failed: the definition, the backend,
 *   the console log, the socket or the status record
 *
 * Sets the worker up: the machine is built but not started, the socket
 * listens and the status record is written ("created"). Takes every fd in
 * @options, on success and failure alike.
 *
 * Returns: (transfer full): the worker, or %NULL.
 */
HullWorker *hull_worker_new (const HullWorkerOptions *options, GError **error);

/**
 * hull_worker_free:
 * @worker: (nullable): a worker
 *
 * Stops the VPs and frees everything. Leaves the socket and status record
 * unless the worker was stopped (Worker.Stop, SIGTERM, SIGINT) and made
 * them itself.
 */
void hull_worker_free (HullWorker *worker);

/**
 * hull_worker_run:
 * @worker: a worker from hull_worker_new()
 *
 * Serves until Worker.Stop (or SIGTERM, SIGINT) has been answered.
 *
 * Returns: the process's exit status (0).
 */
int hull_worker_run (HullWorker *worker);

/**
 * hull_worker_report_ready:
 * @fd: hulld's ready fd
 * @error: (nullable): %NULL for success, or the setup failure
 *
 * Writes "READY\n", or "ERROR <code> <message>\n" (a %HULL_ERROR code; other
 * domains' errors as %HULL_ERROR_FAILED), to @fd and closes it. A write
 * failure (hulld went away) is only logged.
 */
void hull_worker_report_ready (int fd, const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullWorker, hull_worker_free)

G_END_DECLS
