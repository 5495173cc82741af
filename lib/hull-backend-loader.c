/* hull-backend-loader.c — finds, checks, loads and lists backend plugins.
 *
 * The shape is udisks2's module manager and libvirt's driver loading: scan a
 * directory in a fixed order, look up one well-known symbol, check the ABI
 * version before touching anything else the plugin returns, keep good modules
 * resident, and keep going past bad files while remembering why each was
 * refused.
 */
#include "config.h"

#include "hull-backend-loader.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gmodule.h>

#include "hull-error.h"
#include "hull-i18n.h"

#ifndef BACKENDDIR
#error "BACKENDDIR must be defined by the build ($(libdir)/hull/backends)"
#endif

typedef struct
{
  char *path;      /* canonical */
  GModule *module; /* resident: never closed */
  const HullBackendModule *descriptor;
  gboolean probed;
  gboolean available;
  char *unavailable_reason;
  HullExecutionSpeed speed;
} Backend;

struct _HullBackendLoader
{
  gatomicrefcount ref_count;
  char *dir;
  GPtrArray *backends; /* of Backend, in load order */
  GPtrArray *failures; /* of GError, of the latest scan */
};

static void
backend_free (Backend *backend)
{
  /* backend->module is resident and stays in GLib's module list. */
  g_free (backend->path);
  g_free (backend->unavailable_reason);
  g_free (backend);
}

HullBackendInfo *
hull_backend_info_copy (const HullBackendInfo *info)
{
  HullBackendInfo *copy;

  g_return_val_if_fail (info != NULL, NULL);

  copy = g_new0 (HullBackendInfo, 1);
  copy->name = g_strdup (info->name);
  copy->description = g_strdup (info->description);
  copy->path = g_strdup (info->path);
  copy->available = info->available;
  copy->unavailable_reason = g_strdup (info->unavailable_reason);
  copy->speed = info->speed;
  return copy;
}

void
hull_backend_info_free (HullBackendInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->description);
  g_free (info->path);
  g_free (info->unavailable_reason);
  g_free (info);
}

HullBackendLoader *
hull_backend_loader_new (const char *dir)
{
  HullBackendLoader *loader;

  if (dir == NULL)
    {
      const char *env = g_getenv ("HULL_BACKEND_DIR");

      dir = (env != NULL && *env != '\0') ? env : BACKENDDIR;
    }

  loader = g_new0 (HullBackendLoader, 1);
  g_atomic_ref_count_init (&loader->ref_count);
  loader->dir = g_canonicalize_filename (dir, NULL);
  loader->backends = g_ptr_array_new_with_free_func ((GDestroyNotify)backend_free);
  loader->failures = g_ptr_array_new_with_free_func ((GDestroyNotify)g_error_free);
  return loader;
}

HullBackendLoader *
hull_backend_loader_ref (HullBackendLoader *loader)
{
  g_return_val_if_fail (loader != NULL, NULL);

  g_atomic_ref_count_inc (&loader->ref_count);
  return loader;
}

void
hull_backend_loader_unref (HullBackendLoader *loader)
{
  if (loader == NULL || !g_atomic_ref_count_dec (&loader->ref_count))
    return;
  g_free (loader->dir);
  g_ptr_array_unref (loader->backends);
  g_ptr_array_unref (loader->failures);
  g_free (loader);
}

const char *
hull_backend_loader_get_dir (HullBackendLoader *loader)
{
  g_return_val_if_fail (loader != NULL, NULL);

  return loader->dir;
}

static Backend *
find_backend (HullBackendLoader *loader, const char *name)
{
  for (guint i = 0; i < loader->backends->len; i++)
    {
      Backend *backend = g_ptr_array_index (loader->backends, i);

      if (strcmp (backend->descriptor->name, name) == 0)
        return backend;
    }
  return NULL;
}

static Backend *
find_backend_by_path (HullBackendLoader *loader, const char *path)
{
  for (guint i = 0; i < loader->backends->len; i++)
    {
      Backend *backend = g_ptr_array_index (loader->backends, i);

      if (strcmp (backend->path, path) == 0)
        return backend;
    }
  return NULL;
}

/* A name fit for <domain type='…'>, a D-Bus object and a file name: a
 * lowercase letter, then lowercase letters, digits, '-' and '_'. */
static gboolean
name_is_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > HULL_BACKEND_NAME_MAX || !g_ascii_islower (name[0]))
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (!g_ascii_islower (name[i]) && !g_ascii_isdigit (name[i]) && name[i] != '-'
        && name[i] != '_')
      return FALSE;
  return TRUE;
}

/* Checks what the plugin returned; the ABI version first, because with
 * another version nothing after it can be trusted to be where we look. */
static gboolean
check_descriptor (HullBackendLoader *loader, const char *path, const HullBackendModule *descriptor,
                  GError **error)
{
  const HullHypervisorOps *ops;
  const char *missing = NULL;
  Backend *other;

  if (descriptor == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("%s: hull_backend_module() returned no module descriptor"), path);
      return FALSE;
    }
  if (descriptor->abi_version != HULL_BACKEND_ABI_VERSION)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_ABI_MISMATCH,
                   _ ("%s: built for backend ABI %u, Hull has ABI %u"), path,
                   (guint)descriptor->abi_version, (guint)HULL_BACKEND_ABI_VERSION);
      return FALSE;
    }
  if (descriptor->name == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("%s: the backend module has no name"), path);
      return FALSE;
    }
  if (!name_is_valid (descriptor->name))
    {
      g_autofree char *escaped = g_strescape (descriptor->name, NULL);

      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("%s: invalid backend name '%s' (a lowercase letter, then up to %u "
                      "lowercase letters, digits, '-' or '_')"),
                   path, escaped, (guint)HULL_BACKEND_NAME_MAX - 1);
      return FALSE;
    }
  if (descriptor->description == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("%s: backend '%s' has no description"), path, descriptor->name);
      return FALSE;
    }
  ops = descriptor->hypervisor;
  if (ops == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("%s: backend '%s' has no hypervisor ops"), path, descriptor->name);
      return FALSE;
    }
  if (ops->open == NULL)
    missing = "open";
  else if (ops->probe == NULL)
    missing = "probe";
  else if (ops->new_proto_partition == NULL)
    missing = "new_proto_partition";
  else if (ops->close == NULL)
    missing = "close";
  if (missing != NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("%s: backend '%s' lacks the required hypervisor op %s"), path,
                   descriptor->name, missing);
      return FALSE;
    }
  other = find_backend (loader, descriptor->name);
  if (other != NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_ALREADY_EXISTS,
                   _ ("%s: backend '%s' is already provided by %s"), path, descriptor->name,
                   other->path);
      return FALSE;
    }
  return TRUE;
}

gboolean
hull_backend_loader_load_file (HullBackendLoader *loader, const char *path, GError **error)
{
  g_autofree char *canonical = NULL;
  const HullBackendModule *descriptor;
  HullBackendModuleFunc get_descriptor;
  gpointer symbol = NULL;
  GModule *module;
  GStatBuf st;
  Backend *backend;

  g_return_val_if_fail (loader != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  canonical = g_canonicalize_filename (path, NULL);
  if (find_backend_by_path (loader, canonical) != NULL)
    return TRUE;

  if (g_stat (canonical, &st) != 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOENT)
        g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND, _ ("%s: no such file"), canonical);
      else
        g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("%s: cannot read the file: %s"),
                     canonical, g_strerror (saved_errno));
      return FALSE;
    }

  module = g_module_open (canonical, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      const char *reason = g_module_error ();
      gsize len = strlen (canonical);

      if (reason == NULL)
        reason = _ ("unknown error");

      /* dlerror() usually starts with the path too; say it once. */
      if (strncmp (reason, canonical, len) == 0 && g_str_has_prefix (reason + len, ": "))
        reason += len + 2;
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("%s: not a loadable module: %s"), canonical, reason);
      return FALSE;
    }
  if (!g_module_symbol (module, HULL_BACKEND_MODULE_SYMBOL, &symbol) || symbol == NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED,
                   _ ("%s: no hull_backend_module symbol"), canonical);
      g_module_close (module);
      return FALSE;
    }

  get_descriptor = (HullBackendModuleFunc)symbol;
  descriptor = get_descriptor ();
  if (!check_descriptor (loader, canonical, descriptor, error))
    {
      /* Unloads the refused file, unless it is also loaded (and so
       * resident) as another path or by another loader: then this only
       * drops our reference. */
      g_module_close (module);
      return FALSE;
    }

  g_module_make_resident (module);
  backend = g_new0 (Backend, 1);
  backend->path = g_steal_pointer (&canonical);
  backend->module = module;
  backend->descriptor = descriptor;
  backend->speed = HULL_EXECUTION_UNKNOWN;
  g_ptr_array_add (loader->backends, backend);
  return TRUE;
}

static gboolean
is_backend_file_name (const char *name)
{
  gsize len = strlen (name);
  gsize prefix_len = strlen (HULL_BACKEND_FILE_PREFIX);
  gsize suffix_len = strlen (HULL_BACKEND_FILE_SUFFIX);

  return len > prefix_len + suffix_len && g_str_has_prefix (name, HULL_BACKEND_FILE_PREFIX)
         && g_str_has_suffix (name, HULL_BACKEND_FILE_SUFFIX);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* The scan's one error: also recorded, so that a listing shows it. */
static gboolean
dir_failed (HullBackendLoader *loader, int saved_errno, GError **error)
{
  GError *dir_error;

  if (saved_errno == ENOENT)
    dir_error = g_error_new (HULL_ERROR, HULL_ERROR_NOT_FOUND,
                             _ ("the backend directory %s does not exist"), loader->dir);
  else
    dir_error
        = g_error_new (HULL_ERROR, HULL_ERROR_IO, _ ("cannot read the backend directory %s: %s"),
                       loader->dir, g_strerror (saved_errno));
  g_ptr_array_add (loader->failures, g_error_copy (dir_error));
  g_propagate_error (error, dir_error);
  return FALSE;
}

gboolean
hull_backend_loader_load (HullBackendLoader *loader, GError **error)
{
  g_autoptr (GPtrArray) names = NULL;
  int saved_errno;
  DIR *dir;

  g_return_val_if_fail (loader != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_ptr_array_set_size (loader->failures, 0);

  /* opendir(), not g_dir_open(): errno makes a better message than GDir's
   * error, which repeats the path, and GDir hides readdir() failures. */
  dir = opendir (loader->dir);
  if (dir == NULL)
    return dir_failed (loader, errno, error);

  names = g_ptr_array_new_with_free_func (g_free);
  for (;;)
    {
      struct dirent *entry;

      errno = 0;
      entry = readdir (dir);
      if (entry == NULL)
        break;
      if (is_backend_file_name (entry->d_name))
        g_ptr_array_add (names, g_strdup (entry->d_name));
    }
  saved_errno = errno;
  closedir (dir);
  if (saved_errno != 0)
    return dir_failed (loader, saved_errno, error);

  /* Byte order, not the locale's: the same on every host. */
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (loader->dir, g_ptr_array_index (names, i), NULL);
      GError *file_error = NULL;

      if (!hull_backend_loader_load_file (loader, path, &file_error))
        g_ptr_array_add (loader->failures, file_error);
    }
  return TRUE;
}

GPtrArray *
hull_backend_loader_get_failures (HullBackendLoader *loader)
{
  GPtrArray *failures;

  g_return_val_if_fail (loader != NULL, NULL);

  failures = g_ptr_array_new_full (loader->failures->len, (GDestroyNotify)g_error_free);
  for (guint i = 0; i < loader->failures->len; i++)
    g_ptr_array_add (failures, g_error_copy (g_ptr_array_index (loader->failures, i)));
  return failures;
}

static int
compare_backends (gconstpointer a, gconstpointer b)
{
  const Backend *backend_a = *(const Backend *const *)a;
  const Backend *backend_b = *(const Backend *const *)b;

  return strcmp (backend_a->descriptor->name, backend_b->descriptor->name);
}

/* The loaded backends, by name; the array does not own them. */
static GPtrArray *
sorted_backends (HullBackendLoader *loader)
{
  GPtrArray *sorted = g_ptr_array_new_full (loader->backends->len, NULL);

  for (guint i = 0; i < loader->backends->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (loader->backends, i));
  g_ptr_array_sort (sorted, compare_backends);
  return sorted;
}

const HullBackendModule *
hull_backend_loader_find (HullBackendLoader *loader, const char *name, GError **error)
{
  g_autoptr (GPtrArray) sorted = NULL;
  g_autoptr (GString) names = NULL;
  Backend *backend;

  g_return_val_if_fail (loader != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  backend = find_backend (loader, name);
  if (backend != NULL)
    return backend->descriptor;

  if (loader->backends->len == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                   _ ("no backend named '%s': no backends are loaded from %s"), name, loader->dir);
      return NULL;
    }

  sorted = sorted_backends (loader);
  names = g_string_new (NULL);
  for (guint i = 0; i < sorted->len; i++)
    {
      Backend *each = g_ptr_array_index (sorted, i);

      if (i > 0)
        g_string_append (names, ", ");
      g_string_append (names, each->descriptor->name);
    }
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND,
               _ ("no backend named '%s'; the loaded backends are: %s"), name, names->str);
  return NULL;
}

static void
set_unavailable (Backend *backend, const GError *error)
{
  backend->available = FALSE;
  backend->speed = HULL_EXECUTION_UNKNOWN;
  backend->unavailable_reason
      = g_strdup (error != NULL ? error->message : _ ("the backend failed without saying why"));
}

static void
probe_backend (Backend *backend)
{
  const HullHypervisorOps *ops = backend->descriptor->hypervisor;
  HullHypervisorConfig config = { .device_fd = -1 };
  HullExecutionSpeed speed = HULL_EXECUTION_UNKNOWN;
  g_autoptr (GError) local_error = NULL;
  HullHypervisor *hypervisor;
  gboolean ok;

  backend->probed = TRUE;
  g_clear_pointer (&backend->unavailable_reason, g_free);

  hypervisor = ops->open (&config, &local_error);
  if (hypervisor == NULL)
    {
      set_unavailable (backend, local_error);
      return;
    }
  ok = ops->probe (hypervisor, &speed, &local_error);
  ops->close (hypervisor);
  if (!ok)
    {
      set_unavailable (backend, local_error);
      return;
    }
  backend->available = TRUE;
  backend->speed = speed;
}

static HullBackendInfo *
backend_info (const Backend *backend)
{
  HullBackendInfo *info = g_new0 (HullBackendInfo, 1);

  info->name = g_strdup (backend->descriptor->name);
  info->description = g_strdup (backend->descriptor->description);
  info->path = g_strdup (backend->path);
  info->available = backend->available;
  info->unavailable_reason = g_strdup (backend->unavailable_reason);
  info->speed = backend->speed;
  return info;
}

gboolean
hull_backend_loader_probe (HullBackendLoader *loader, const char *name, HullBackendInfo **info,
                           GError **error)
{
  Backend *backend;

  g_return_val_if_fail (loader != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (hull_backend_loader_find (loader, name, error) == NULL)
    return FALSE;
  backend = find_backend (loader, name);
  probe_backend (backend);
  if (info != NULL)
    *info = backend_info (backend);
  return TRUE;
}

gboolean
hull_backend_loader_set_unavailable (HullBackendLoader *loader, const char *name,
                                     const char *reason, HullBackendInfo **info, GError **error)
{
  Backend *backend;

  g_return_val_if_fail (loader != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  backend = find_backend (loader, name);
  if (backend == NULL)
    {
      /* The error that lists the loaded backends. */
      hull_backend_loader_find (loader, name, error);
      return FALSE;
    }
  backend->probed = TRUE;
  backend->available = FALSE;
  backend->speed = HULL_EXECUTION_UNKNOWN;
  g_free (backend->unavailable_reason);
  backend->unavailable_reason = g_strdup (reason);
  if (info != NULL)
    *info = backend_info (backend);
  return TRUE;
}

void
hull_backend_loader_probe_all (HullBackendLoader *loader)
{
  g_return_if_fail (loader != NULL);

  for (guint i = 0; i < loader->backends->len; i++)
    probe_backend (g_ptr_array_index (loader->backends, i));
}

GPtrArray *
hull_backend_loader_list (HullBackendLoader *loader)
{
  g_autoptr (GPtrArray) sorted = NULL;
  GPtrArray *list;

  g_return_val_if_fail (loader != NULL, NULL);

  sorted = sorted_backends (loader);
  list = g_ptr_array_new_full (sorted->len, (GDestroyNotify)hull_backend_info_free);
  for (guint i = 0; i < sorted->len; i++)
    {
      Backend *backend = g_ptr_array_index (sorted, i);

      if (!backend->probed)
        probe_backend (backend);
      g_ptr_array_add (list, backend_info (backend));
    }
  return list;
}
