/* hull-worker-status.h — the worker's status record,
 * $runtime/vm/<uuid>.status (docs/daemon.md, "The status record").
 *
 * One definition of the format for its writer (the worker, hull-worker.c)
 * and its reader (hulld reattaching, hull-worker-attach.c):
 *
 *   [worker]
 *   pid=1234                 required; 2 … G_MAXINT
 *   uuid=…                   required; a UUID
 *   name=…                   the domain's name; "" when absent
 *   socket=/run/hull/vm/<uuid>.sock   required; an absolute path
 *   state=running            created, running, paused, halted; created when absent
 *   halt-kind=               hull_halt_kind_to_string() or empty; empty when absent
 *   boots=1                  0 … G_MAXUINT; 0 when absent
 *   started=…                g_get_real_time() at Start, 0 … G_MAXINT64; 0 when absent
 *
 * Parsing takes bytes and needs nothing else (hull-key-record.h says what a
 * record may not contain); hull_worker_status_check() then holds the record
 * against what hulld expects: the domain's UUID, and the socket hulld would
 * have given the worker, $runtime/vm/<uuid>.sock (hulld then connects to the
 * path it makes, not the recorded one). So a record can never make hulld
 * connect anywhere else, nor signal pid 0, 1 or a process group.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  HULL_WORKER_STATE_CREATED,
  HULL_WORKER_STATE_RUNNING,
  HULL_WORKER_STATE_PAUSED,
  HULL_WORKER_STATE_HALTED,
} HullWorkerState;

const char *hull_worker_state_to_string (HullWorkerState state);
gboolean hull_worker_state_from_string (const char *name, HullWorkerState *state);

/**
 * HullWorkerStatus:
 * @pid: the worker's process id, > 1
 * @uuid: the domain's UUID
 * @name: the domain's name (informational)
 * @socket_path: the worker's D-Bus socket
 * @state: the worker's state
 * @halt_kind: the last halt's kind, "" before the first
 * @boots: how often the guest booted
 * @started: g_get_real_time() at Worker.Start, 0 before
 */
typedef struct
{
  GPid pid;
  char *uuid;
  char *name;
  char *socket_path;
  HullWorkerState state;
  char *halt_kind;
  guint boots;
  gint64 started;
} HullWorkerStatus;

void hull_worker_status_free (HullWorkerStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullWorkerStatus, hull_worker_status_free)

/**
 * hull_worker_status_parse:
 * @data: (array length=len): the record's bytes (need not end in a nul)
 * @len: their number
 * @path: the record's file, for messages
 * @error: %HULL_ERROR_CORRUPT_DATA: "the worker status record PATH is
 *   damaged: WHAT"
 *
 * Returns: (transfer full): the record, or %NULL
 */
HullWorkerStatus *hull_worker_status_parse (const char *data, gsize len, const char *path,
                                            GError **error);

/**
 * hull_worker_status_check:
 * @status: a parsed record
 * @runtime_dir: hulld's runtime directory
 * @uuid: the domain the record should be for
 * @path: the record's file, for messages
 * @error: %HULL_ERROR_CORRUPT_DATA, as for parsing
 *
 * Whether the record is for @uuid and names its socket,
 * @runtime_dir/vm/@uuid.sock (both made canonical as strings, with
 * g_canonicalize_filename(): "..", "." and "//" do not count, symbolic links
 * are not followed).
 */
gboolean hull_worker_status_check (const HullWorkerStatus *status, const char *runtime_dir,
                                   const char *uuid, const char *path, GError **error);

/**
 * hull_worker_status_format:
 * @status: a record whose strings are set and whose state is valid
 * @len: (out) (optional): the text's length
 *
 * Returns: (transfer full): the record's text, which
 *   hull_worker_status_parse() reads back as an equal record
 */
char *hull_worker_status_format (const HullWorkerStatus *status, gsize *len);

/**
 * hull_worker_status_write_fd:
 * @fd: the record, open for writing (hulld made it and passed it)
 * @status: as for hull_worker_status_format()
 * @error: %HULL_ERROR_IO
 *
 * Rewrites the record in place: its text in one pwrite() at offset 0, then
 * ftruncate() to its length. A reader may catch it half-written, so
 * readers read until two reads in a row agree (hull-worker-attach.c).
 */
gboolean hull_worker_status_write_fd (int fd, const HullWorkerStatus *status, GError **error);

gboolean hull_worker_status_equal (const HullWorkerStatus *a, const HullWorkerStatus *b);

G_END_DECLS
