/* hull-domain-record.c — hulld's .domain and .meta files
 * (hull-domain-record.h). */
#include "config.h"

#include "hull-domain-record.h"

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-key-record.h"

#define GROUP "domain"
/* (uid_t) -1 means "no user" to chown() and friends: nobody's uid. */
#define MAX_UID (G_MAXUINT32 - 1)

void
hull_live_record_free (HullLiveRecord *live)
{
  if (live == NULL)
    return;
  g_free (live->uuid);
  g_free (live->name);
  g_free (live);
}

HullLiveRecord *
hull_live_record_parse (const char *data, gsize len, const char *path, GError **error)
{
  g_autoptr (HullLiveRecord) live = g_new0 (HullLiveRecord, 1);
  g_autoptr (GKeyFile) file = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *state = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *invalid = NULL;
  guint64 owner = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  file = hull_key_record_load (data, len, GROUP, &local_error);
  if (file == NULL
      || !hull_key_record_get_string (file, GROUP, "uuid", NULL, &live->uuid, &local_error)
      || !hull_key_record_get_string (file, GROUP, "name", "", &live->name, &local_error)
      || !hull_key_record_get_unsigned (file, GROUP, "owner", TRUE, 0, MAX_UID, &owner,
                                        &local_error)
      || !hull_key_record_get_boolean (file, GROUP, "persistent", TRUE, &live->record.persistent,
                                       &local_error)
      /* Optional: autostart follows the state directory for persistent ones. */
      || !hull_key_record_get_boolean (file, GROUP, "autostart", FALSE, &live->record.autostart,
                                       &local_error)
      || !hull_key_record_get_string (file, GROUP, "state", NULL, &state, &local_error)
      || !hull_key_record_get_string (file, GROUP, "reason", NULL, &reason, &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("the domain record %s is damaged: %s"), path, local_error->message);
      return NULL;
    }
  if (!g_uuid_string_is_valid (live->uuid))
    {
      g_autofree char *quoted = hull_key_record_quote (live->uuid);

      invalid = g_strdup_printf (_ ("uuid=%s is not a UUID"), quoted);
    }
  else if (!hull_domain_state_from_string (state, &live->record.state))
    {
      g_autofree char *quoted = hull_key_record_quote (state);

      invalid = g_strdup_printf (_ ("state=%s is not a domain state"), quoted);
    }
  else if (!hull_domain_state_reason_from_string (reason, &live->record.reason))
    {
      g_autofree char *quoted = hull_key_record_quote (reason);

      invalid = g_strdup_printf (_ ("reason=%s is not a state reason"), quoted);
    }
  if (invalid != NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("the domain record %s is damaged: %s"), path, invalid);
      return NULL;
    }
  live->record.owner = (guint32)owner;
  return g_steal_pointer (&live);
}

char *
hull_live_record_format (const char *uuid, const char *name, const HullDomainRecord *record)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  const char *state, *reason;

  g_return_val_if_fail (uuid != NULL && name != NULL && record != NULL, NULL);
  state = hull_domain_state_to_string (record->state);
  reason = hull_domain_state_reason_to_string (record->reason);
  g_return_val_if_fail (state != NULL && reason != NULL, NULL);

  g_key_file_set_string (file, GROUP, "uuid", uuid);
  g_key_file_set_string (file, GROUP, "name", name);
  g_key_file_set_uint64 (file, GROUP, "owner", record->owner);
  g_key_file_set_boolean (file, GROUP, "persistent", record->persistent);
  g_key_file_set_boolean (file, GROUP, "autostart", record->autostart);
  g_key_file_set_string (file, GROUP, "state", state);
  g_key_file_set_string (file, GROUP, "reason", reason);
  return g_key_file_to_data (file, NULL, NULL);
}

gboolean
hull_live_record_equal (const HullLiveRecord *a, const HullLiveRecord *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return g_strcmp0 (a->uuid, b->uuid) == 0 && g_strcmp0 (a->name, b->name) == 0
         && a->record.owner == b->record.owner && !a->record.persistent == !b->record.persistent
         && !a->record.autostart == !b->record.autostart && a->record.state == b->record.state
         && a->record.reason == b->record.reason;
}

gboolean
hull_domain_meta_parse (const char *data, gsize len, const char *path, guint32 *owner,
                        GError **error)
{
  g_autoptr (GKeyFile) file = NULL;
  g_autoptr (GError) local_error = NULL;
  guint64 value = 0;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (path != NULL && owner != NULL, FALSE);

  file = hull_key_record_load (data, len, GROUP, &local_error);
  if (file == NULL
      || !hull_key_record_get_unsigned (file, GROUP, "owner", TRUE, 0, MAX_UID, &value,
                                        &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("the domain metadata file %s is damaged: %s"), path, local_error->message);
      return FALSE;
    }
  *owner = (guint32)value;
  return TRUE;
}

char *
hull_domain_meta_format (guint32 owner)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();

  g_key_file_set_uint64 (file, GROUP, "owner", owner);
  return g_key_file_to_data (file, NULL, NULL);
}
