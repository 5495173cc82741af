/* hull-domain-store.c — definitions, autostart marks and runtime records on
 * disk (hull-domain-store.h, docs/daemon.md). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hull-domain-store.h"
#include "hull-domain-record.h"
#include "hull-error.h"
#include "hull-i18n.h"

struct _HullDomainStore
{
  GObject parent_instance;

  char *state_dir;
  char *runtime_dir;
  char *domains_dir;   /* $state/domains */
  char *autostart_dir; /* $state/autostart */
  char *vm_dir;        /* $runtime/vm */
};

G_DEFINE_FINAL_TYPE (HullDomainStore, hull_domain_store, G_TYPE_OBJECT)

void
hull_stored_domain_free (HullStoredDomain *stored)
{
  if (stored == NULL)
    return;
  hull_domain_def_free (stored->def);
  g_free (stored);
}

static void
hull_domain_store_finalize (GObject *object)
{
  HullDomainStore *self = HULL_DOMAIN_STORE (object);

  g_free (self->state_dir);
  g_free (self->runtime_dir);
  g_free (self->domains_dir);
  g_free (self->autostart_dir);
  g_free (self->vm_dir);
  G_OBJECT_CLASS (hull_domain_store_parent_class)->finalize (object);
}

static void
hull_domain_store_class_init (HullDomainStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hull_domain_store_finalize;
}

static void
hull_domain_store_init (HullDomainStore *self)
{
}

HullDomainStore *
hull_domain_store_new (const char *state_dir, const char *runtime_dir)
{
  HullDomainStore *self;

  g_return_val_if_fail (state_dir != NULL, NULL);
  g_return_val_if_fail (runtime_dir != NULL, NULL);

  self = g_object_new (HULL_TYPE_DOMAIN_STORE, NULL);
  self->state_dir = g_strdup (state_dir);
  self->runtime_dir = g_strdup (runtime_dir);
  self->domains_dir = g_build_filename (state_dir, "domains", NULL);
  self->autostart_dir = g_build_filename (state_dir, "autostart", NULL);
  self->vm_dir = g_build_filename (runtime_dir, "vm", NULL);
  return self;
}

const char *
hull_domain_store_get_state_dir (HullDomainStore *store)
{
  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), NULL);
  return store->state_dir;
}

const char *
hull_domain_store_get_runtime_dir (HullDomainStore *store)
{
  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), NULL);
  return store->runtime_dir;
}

static gboolean
make_dir (const char *path, int mode, GError **error)
{
  if (g_mkdir_with_parents (path, mode) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot create directory '%s': %s"), path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
hull_domain_store_prepare (HullDomainStore *store, int runtime_mode, GError **error)
{
  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);

  return make_dir (store->state_dir, 0700, error) && make_dir (store->domains_dir, 0700, error)
         && make_dir (store->autostart_dir, 0700, error)
         && make_dir (store->runtime_dir, runtime_mode, error)
         && make_dir (store->vm_dir, 0700, error);
}

/* ---- files ---------------------------------------------------------- */

/* A durable, atomic write (docs/daemon.md): the old file or the new one
 * survives a crash, never a mix. */
static gboolean
write_file (const char *path, const char *contents, gssize length, gboolean durable, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  GFileSetContentsFlags flags = G_FILE_SET_CONTENTS_CONSISTENT;

  if (durable)
    flags |= G_FILE_SET_CONTENTS_DURABLE;
  if (!g_file_set_contents_full (path, contents, length, flags, 0600, &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot write '%s': %s"), path,
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* Removes @path; a file that is not there is already removed. */
static gboolean
remove_file (const char *path, GError **error)
{
  if (g_unlink (path) < 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot remove '%s': %s"), path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static char *
file_in (const char *dir, const char *uuid, const char *suffix)
{
  g_autofree char *base = g_strconcat (uuid, suffix, NULL);

  return g_build_filename (dir, base, NULL);
}

char *
hull_domain_store_get_def_path (HullDomainStore *store, const char *uuid)
{
  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), NULL);
  return file_in (store->domains_dir, uuid, ".xml");
}

char *
hull_domain_store_get_live_def_path (HullDomainStore *store, const char *uuid)
{
  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), NULL);
  return file_in (store->vm_dir, uuid, ".xml");
}

/* ---- persistent definitions ----------------------------------------- */

gboolean
hull_domain_store_save (HullDomainStore *store, const HullDomainDef *def, guint32 owner,
                        GError **error)
{
  g_autofree char *xml = NULL;
  g_autofree char *path = NULL;
  g_autofree char *meta_path = NULL;
  g_autofree char *meta = NULL;
  gboolean had_meta;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);
  g_return_val_if_fail (def != NULL && def->uuid != NULL, FALSE);

  xml = hull_domain_def_format (def);
  path = hull_domain_store_get_def_path (store, def->uuid);
  meta_path = file_in (store->domains_dir, def->uuid, ".meta");

  meta = hull_domain_meta_format (owner);

  /* The .meta first: a definition never appears without its owner. */
  had_meta = g_file_test (meta_path, G_FILE_TEST_EXISTS);
  if (!write_file (meta_path, meta, -1, TRUE, error))
    return FALSE;
  if (!write_file (path, xml, -1, TRUE, error))
    {
      if (!had_meta)
        remove_file (meta_path, NULL);
      return FALSE;
    }
  return TRUE;
}

gboolean
hull_domain_store_delete (HullDomainStore *store, const char *uuid, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *meta_path = NULL;
  g_autofree char *mark = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);
  g_return_val_if_fail (uuid != NULL, FALSE);

  path = hull_domain_store_get_def_path (store, uuid);
  if (!remove_file (path, error))
    return FALSE;
  /* The definition is gone: leftovers are harmless, so only report them. */
  meta_path = file_in (store->domains_dir, uuid, ".meta");
  mark = g_build_filename (store->autostart_dir, uuid, NULL);
  if (!remove_file (meta_path, &local_error) || !remove_file (mark, &local_error))
    g_warning ("%s", local_error->message);
  return TRUE;
}

gboolean
hull_domain_store_set_autostart (HullDomainStore *store, const char *uuid, gboolean autostart,
                                 GError **error)
{
  g_autofree char *mark = NULL;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);
  g_return_val_if_fail (uuid != NULL, FALSE);

  mark = g_build_filename (store->autostart_dir, uuid, NULL);
  if (autostart)
    return write_file (mark, "", 0, TRUE, error);
  return remove_file (mark, error);
}

gboolean
hull_domain_store_get_autostart (HullDomainStore *store, const char *uuid)
{
  g_autofree char *mark = NULL;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);
  g_return_val_if_fail (uuid != NULL, FALSE);

  mark = g_build_filename (store->autostart_dir, uuid, NULL);
  return g_file_test (mark, G_FILE_TEST_EXISTS);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* The sorted names in @dir ending in @suffix, without it. */
static GPtrArray *
list_names (const char *dir, const char *suffix)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *entry;

  d = g_dir_open (dir, 0, &local_error);
  if (d == NULL)
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("%s", local_error->message);
      return g_steal_pointer (&names);
    }
  while ((entry = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (entry, suffix) && strlen (entry) > strlen (suffix))
      g_ptr_array_add (names, g_strndup (entry, strlen (entry) - strlen (suffix)));
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

/* The owner a .meta file names; @default_owner (and a warning, unless the
 * file is simply not there) when it cannot be read or is damaged. */
static guint32
load_owner (const char *meta_path, guint32 default_owner)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  guint32 owner;

  if (!g_file_get_contents (meta_path, &contents, &length, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning (_ ("%s: %s; the domain's owner is now uid %u"), meta_path, local_error->message,
                   default_owner);
      return default_owner;
    }
  if (!hull_domain_meta_parse (contents, length, meta_path, &owner, &local_error))
    {
      g_warning (_ ("%s; the domain's owner is now uid %u"), local_error->message, default_owner);
      return default_owner;
    }
  return owner;
}

/* Reports @error about @path, moves the file aside and keeps the error. */
static void
move_aside (const char *path, GError *error, GPtrArray *failures)
{
  g_autofree char *broken = g_strconcat (path, ".broken", NULL);

  if (g_rename (path, broken) < 0)
    {
      int saved_errno = errno;

      g_warning (_ ("%s; it could not be moved aside: %s"), error->message,
                 g_strerror (saved_errno));
    }
  else
    g_warning (_ ("%s; moved aside to '%s'"), error->message, broken);
  g_ptr_array_add (failures, error);
}

GPtrArray *
hull_domain_store_load_all (HullDomainStore *store, guint32 default_owner, GPtrArray **failures)
{
  g_autoptr (GPtrArray) domains = NULL;
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), NULL);

  domains = g_ptr_array_new_with_free_func ((GDestroyNotify)hull_stored_domain_free);
  names = list_names (store->domains_dir, ".xml");
  for (guint i = 0; i < names->len; i++)
    {
      const char *uuid = g_ptr_array_index (names, i);
      g_autofree char *path = hull_domain_store_get_def_path (store, uuid);
      g_autofree char *meta_path = file_in (store->domains_dir, uuid, ".meta");
      g_autoptr (HullDomainDef) def = NULL;
      GError *local_error = NULL;
      HullStoredDomain *stored;
      const char *other;

      def = hull_domain_def_parse_file (path, HULL_DOMAIN_PARSE_NONE, NULL, &local_error);
      if (def == NULL)
        {
          move_aside (path, local_error, errors);
          continue;
        }
      if (g_strcmp0 (def->uuid, uuid) != 0)
        {
          move_aside (path,
                      g_error_new (HULL_ERROR, HULL_ERROR_XML_INVALID,
                                   _ ("%s: the definition's UUID is %s, not the one its file "
                                      "name says"),
                                   path, def->uuid),
                      errors);
          continue;
        }
      other = g_hash_table_lookup (by_name, def->name);
      if (other != NULL)
        {
          move_aside (path,
                      g_error_new (HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                                   _ ("%s: domain '%s' is already defined by %s.xml"), path,
                                   def->name, other),
                      errors);
          continue;
        }
      g_hash_table_insert (by_name, g_strdup (def->name), g_strdup (uuid));

      stored = g_new0 (HullStoredDomain, 1);
      stored->record.owner = load_owner (meta_path, default_owner);
      stored->record.persistent = TRUE;
      stored->record.autostart = hull_domain_store_get_autostart (store, uuid);
      stored->record.state = HULL_DOMAIN_STATE_SHUTOFF;
      stored->record.reason = HULL_DOMAIN_REASON_UNKNOWN;
      stored->def = g_steal_pointer (&def);
      g_ptr_array_add (domains, stored);
    }
  if (failures != NULL)
    *failures = g_steal_pointer (&errors);
  return g_steal_pointer (&domains);
}

/* ---- running domains ------------------------------------------------ */

gboolean
hull_domain_store_save_record (HullDomainStore *store, const char *uuid, const char *name,
                               const HullDomainRecord *record, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *data = NULL;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);
  g_return_val_if_fail (uuid != NULL && name != NULL && record != NULL, FALSE);

  data = hull_live_record_format (uuid, name, record);
  g_return_val_if_fail (data != NULL, FALSE);
  path = file_in (store->vm_dir, uuid, ".domain");
  /* The runtime directory does not survive a reboot: no need to sync. */
  return write_file (path, data, -1, FALSE, error);
}

gboolean
hull_domain_store_save_live (HullDomainStore *store, const HullDomainDef *def,
                             const HullDomainRecord *record, GError **error)
{
  g_autofree char *xml = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);
  g_return_val_if_fail (def != NULL && record != NULL, FALSE);

  xml = hull_domain_def_format (def);
  path = hull_domain_store_get_live_def_path (store, def->uuid);
  if (!write_file (path, xml, -1, FALSE, error))
    return FALSE;
  if (!hull_domain_store_save_record (store, def->uuid, def->name, record, error))
    {
      remove_file (path, NULL);
      return FALSE;
    }
  return TRUE;
}

void
hull_domain_store_remove_live (HullDomainStore *store, const char *uuid)
{
  g_autofree char *xml_path = NULL;
  g_autofree char *record_path = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_if_fail (HULL_IS_DOMAIN_STORE (store));
  g_return_if_fail (uuid != NULL);

  xml_path = file_in (store->vm_dir, uuid, ".xml");
  record_path = file_in (store->vm_dir, uuid, ".domain");
  if (!remove_file (record_path, &local_error) || !remove_file (xml_path, &local_error))
    g_warning ("%s", local_error->message);
}

/* Reads $runtime/vm/<uuid>.domain, which must be @uuid's. */
static gboolean
load_record (const char *path, const char *uuid, HullDomainRecord *record, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (HullLiveRecord) live = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot read '%s': %s"), path,
                   local_error->message);
      return FALSE;
    }
  live = hull_live_record_parse (contents, length, path, error);
  if (live == NULL)
    return FALSE;
  if (g_strcmp0 (live->uuid, uuid) != 0)
    {
      g_autofree char *reason = g_strdup_printf (_ ("it is for domain %s"), live->uuid);

      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("the domain record %s is damaged: %s"), path, reason);
      return FALSE;
    }
  *record = live->record;
  return TRUE;
}

GPtrArray *
hull_domain_store_load_live_all (HullDomainStore *store, GPtrArray **failures)
{
  g_autoptr (GPtrArray) domains = NULL;
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  g_autoptr (GPtrArray) names = NULL;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), NULL);

  domains = g_ptr_array_new_with_free_func ((GDestroyNotify)hull_stored_domain_free);
  names = list_names (store->vm_dir, ".domain");
  for (guint i = 0; i < names->len; i++)
    {
      const char *uuid = g_ptr_array_index (names, i);
      g_autofree char *record_path = file_in (store->vm_dir, uuid, ".domain");
      g_autofree char *xml_path = file_in (store->vm_dir, uuid, ".xml");
      g_autoptr (HullStoredDomain) stored = g_new0 (HullStoredDomain, 1);
      GError *local_error = NULL;

      if (!load_record (record_path, uuid, &stored->record, &local_error)
          || (stored->def
              = hull_domain_def_parse_file (xml_path, HULL_DOMAIN_PARSE_NONE, NULL, &local_error))
                 == NULL)
        {
          g_warning (_ ("cannot reattach domain %s: %s"), uuid, local_error->message);
          g_ptr_array_add (errors, local_error);
          hull_domain_store_remove_live (store, uuid);
          continue;
        }
      if (g_strcmp0 (stored->def->uuid, uuid) != 0)
        {
          local_error = g_error_new (HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                                     _ ("%s: the definition's UUID is %s, not the one its file "
                                        "name says"),
                                     xml_path, stored->def->uuid);
          g_warning (_ ("cannot reattach domain %s: %s"), uuid, local_error->message);
          g_ptr_array_add (errors, local_error);
          hull_domain_store_remove_live (store, uuid);
          continue;
        }
      g_ptr_array_add (domains, g_steal_pointer (&stored));
    }
  if (failures != NULL)
    *failures = g_steal_pointer (&errors);
  return g_steal_pointer (&domains);
}

gboolean
hull_domain_store_get_autostart_done (HullDomainStore *store)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);

  path = g_build_filename (store->runtime_dir, "autostarted", NULL);
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
hull_domain_store_set_autostart_done (HullDomainStore *store, GError **error)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (HULL_IS_DOMAIN_STORE (store), FALSE);

  path = g_build_filename (store->runtime_dir, "autostarted", NULL);
  return write_file (path, "", 0, FALSE, error);
}
