/* hull-worker-status.c — the worker's status record (hull-worker-status.h). */
#include "config.h"

#include "hull-worker-status.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hull-enum.h"
#include "hull-error.h"
#include "hull-halt.h"
#include "hull-i18n.h"
#include "hull-key-record.h"

#define GROUP "worker"

HULL_ENUM_IMPL (hull_worker_state, HullWorkerState, "created", "running", "paused", "halted")

void
hull_worker_status_free (HullWorkerStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->uuid);
  g_free (status->name);
  g_free (status->socket_path);
  g_free (status->halt_kind);
  g_free (status);
}

static GError *
damaged (const char *path, const char *reason)
{
  return g_error_new (HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                      _ ("the worker status record %s is damaged: %s"), path, reason);
}

/* The field checks that need no context; %NULL when sound. */
static char *
check_fields (const HullWorkerStatus *status)
{
  HullHaltKind kind;

  if (!g_uuid_string_is_valid (status->uuid))
    {
      g_autofree char *uuid = hull_key_record_quote (status->uuid);

      return g_strdup_printf (_ ("uuid=%s is not a UUID"), uuid);
    }
  if (!g_path_is_absolute (status->socket_path))
    {
      g_autofree char *socket = hull_key_record_quote (status->socket_path);

      return g_strdup_printf (_ ("the socket %s is not an absolute path"), socket);
    }
  if (status->halt_kind[0] != '\0' && !hull_halt_kind_from_string (status->halt_kind, &kind))
    {
      g_autofree char *halt_kind = hull_key_record_quote (status->halt_kind);

      return g_strdup_printf (_ ("halt-kind=%s is not a kind of halt"), halt_kind);
    }
  return NULL;
}

HullWorkerStatus *
hull_worker_status_parse (const char *data, gsize len, const char *path, GError **error)
{
  g_autoptr (HullWorkerStatus) status = g_new0 (HullWorkerStatus, 1);
  g_autoptr (GKeyFile) file = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *reason = NULL;
  gint64 pid = 0, started = 0;
  guint64 boots = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  file = hull_key_record_load (data, len, GROUP, &local_error);
  /* pid 0 and negative ones would signal process groups, 1 is init. */
  if (file == NULL
      || !hull_key_record_get_signed (file, GROUP, "pid", TRUE, 2, G_MAXINT, &pid, &local_error)
      || !hull_key_record_get_string (file, GROUP, "uuid", NULL, &status->uuid, &local_error)
      || !hull_key_record_get_string (file, GROUP, "name", "", &status->name, &local_error)
      || !hull_key_record_get_string (file, GROUP, "socket", NULL, &status->socket_path,
                                      &local_error)
      || !hull_key_record_get_string (file, GROUP, "state", "created", &state, &local_error)
      || !hull_key_record_get_string (file, GROUP, "halt-kind", "", &status->halt_kind,
                                      &local_error)
      || !hull_key_record_get_unsigned (file, GROUP, "boots", FALSE, 0, G_MAXUINT, &boots,
                                        &local_error)
      || !hull_key_record_get_signed (file, GROUP, "started", FALSE, 0, G_MAXINT64, &started,
                                      &local_error))
    {
      g_propagate_error (error, damaged (path, local_error->message));
      return NULL;
    }
  if (!hull_worker_state_from_string (state, &status->state))
    {
      g_autofree char *quoted = hull_key_record_quote (state);

      reason = g_strdup_printf (_ ("state=%s is not a worker state"), quoted);
    }
  else
    reason = check_fields (status);
  if (reason != NULL)
    {
      g_propagate_error (error, damaged (path, reason));
      return NULL;
    }
  status->pid = (GPid)pid;
  status->boots = (guint)boots;
  status->started = started;
  return g_steal_pointer (&status);
}

gboolean
hull_worker_status_check (const HullWorkerStatus *status, const char *runtime_dir, const char *uuid,
                          const char *path, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *recorded = NULL;
  g_autofree char *reason = NULL;

  g_return_val_if_fail (status != NULL, FALSE);
  g_return_val_if_fail (runtime_dir != NULL && uuid != NULL && path != NULL, FALSE);

  if (strcmp (status->uuid, uuid) != 0)
    reason = g_strdup_printf (_ ("it is for domain %s"), status->uuid);
  else
    {
      /* Compared as written, without following symbolic links: the
       * caller connects to the path it makes, never the recorded one. */
      name = g_strconcat (uuid, ".sock", NULL);
      expected = g_build_filename (runtime_dir, "vm", name, NULL);
      canonical = g_canonicalize_filename (expected, NULL);
      recorded = g_canonicalize_filename (status->socket_path, NULL);
      if (strcmp (canonical, recorded) != 0)
        {
          g_autofree char *quoted = hull_key_record_quote (status->socket_path);

          reason = g_strdup_printf (_ ("the socket %s is not %s"), quoted, expected);
        }
    }
  if (reason != NULL)
    {
      g_propagate_error (error, damaged (path, reason));
      return FALSE;
    }
  return TRUE;
}

char *
hull_worker_status_format (const HullWorkerStatus *status, gsize *len)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();

  g_return_val_if_fail (status != NULL, NULL);
  g_return_val_if_fail (status->uuid != NULL && status->name != NULL, NULL);
  g_return_val_if_fail (status->socket_path != NULL && status->halt_kind != NULL, NULL);
  g_return_val_if_fail (hull_worker_state_to_string (status->state) != NULL, NULL);

  g_key_file_set_int64 (file, GROUP, "pid", status->pid);
  g_key_file_set_string (file, GROUP, "uuid", status->uuid);
  g_key_file_set_string (file, GROUP, "name", status->name);
  g_key_file_set_string (file, GROUP, "socket", status->socket_path);
  g_key_file_set_string (file, GROUP, "state", hull_worker_state_to_string (status->state));
  g_key_file_set_string (file, GROUP, "halt-kind", status->halt_kind);
  g_key_file_set_uint64 (file, GROUP, "boots", status->boots);
  g_key_file_set_int64 (file, GROUP, "started", status->started);
  return g_key_file_to_data (file, len, NULL);
}

gboolean
hull_worker_status_write_fd (int fd, const HullWorkerStatus *status, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0, done = 0;

  g_return_val_if_fail (fd >= 0, FALSE);

  text = hull_worker_status_format (status, &len);
  g_return_val_if_fail (text != NULL, FALSE);
  while (done < len)
    {
      ssize_t n = pwrite (fd, text + done, len - done, (off_t)done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = n < 0 ? errno : EIO;

          g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot write the status record: %s"),
                       g_strerror (errsv));
          return FALSE;
        }
      done += (gsize)n;
    }
  if (ftruncate (fd, (off_t)len) < 0)
    {
      int errsv = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot write the status record: %s"),
                   g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

gboolean
hull_worker_status_equal (const HullWorkerStatus *a, const HullWorkerStatus *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return a->pid == b->pid && g_strcmp0 (a->uuid, b->uuid) == 0 && g_strcmp0 (a->name, b->name) == 0
         && g_strcmp0 (a->socket_path, b->socket_path) == 0 && a->state == b->state
         && g_strcmp0 (a->halt_kind, b->halt_kind) == 0 && a->boots == b->boots
         && a->started == b->started;
}
