/* hull-backend-loader.h — finds, loads and lists hypervisor backend plugins.
 *
 * A backend is a GModule named hull-backend-<anything>.so in the backend
 * directory ($(libdir)/hull/backends, or $HULL_BACKEND_DIR) exporting
 * hull_backend_module() (lib/hull-backend.h). The loader checks each file,
 * keeps the good ones resident (they are never unloaded) and records why each
 * bad one was refused, without letting one bad file stop the others.
 *
 * Thread rules: a loader is used from one thread at a time (the daemon's main
 * thread, or the worker's control thread), because probing calls the
 * backends' [ctl] ops. The modules it returns stay valid for the life of the
 * process.
 */
#pragma once

#include <glib.h>

#include "hull-backend.h"

G_BEGIN_DECLS

/* The file name pattern of a backend plugin: prefix, then suffix. */
#define HULL_BACKEND_FILE_PREFIX "hull-backend-"
#define HULL_BACKEND_FILE_SUFFIX ".so"

/* The longest backend name, in bytes. */
#define HULL_BACKEND_NAME_MAX 32

typedef struct _HullBackendLoader HullBackendLoader;

/**
 * HullBackendInfo:
 * @name: the backend's name ("kvm", "test")
 * @description: one line for people
 * @path: the file the backend was loaded from
 * @available: whether the backend can run on this host, as last probed
 * @unavailable_reason: why not, when @available is %FALSE; %NULL otherwise
 * @speed: how guest code executes, as the probe reported it;
 *   %HULL_EXECUTION_UNKNOWN when the backend is unavailable
 *
 * One backend as listed by hull_backend_loader_list(); a copy the caller
 * owns and frees with hull_backend_info_free().
 */
typedef struct
{
  char *name;
  char *description;
  char *path;
  gboolean available;
  char *unavailable_reason;
  HullExecutionSpeed speed;
} HullBackendInfo;

/**
 * hull_backend_info_copy:
 * @info: a #HullBackendInfo
 *
 * Returns: (transfer full): a deep copy of @info
 */
HullBackendInfo *hull_backend_info_copy (const HullBackendInfo *info);

/**
 * hull_backend_info_free:
 * @info: (nullable): a #HullBackendInfo
 *
 * Frees @info and its strings.
 */
void hull_backend_info_free (HullBackendInfo *info);

/**
 * hull_backend_loader_new:
 * @dir: (nullable): the directory to scan; %NULL for $HULL_BACKEND_DIR when
 *   it is set and not empty, else the configured backend directory
 *   ($(libdir)/hull/backends)
 *
 * Creates a loader; nothing is read until hull_backend_loader_load().
 *
 * Returns: (transfer full): a new loader, freed with
 *   hull_backend_loader_unref()
 */
HullBackendLoader *hull_backend_loader_new (const char *dir);

/**
 * hull_backend_loader_ref:
 * @loader: a #HullBackendLoader
 *
 * Returns: (transfer full): @loader, with one more reference
 */
HullBackendLoader *hull_backend_loader_ref (HullBackendLoader *loader);

/**
 * hull_backend_loader_unref:
 * @loader: (nullable): a #HullBackendLoader
 *
 * Drops a reference; the last one frees the loader. The loaded modules stay
 * resident.
 */
void hull_backend_loader_unref (HullBackendLoader *loader);

/**
 * hull_backend_loader_get_dir:
 * @loader: a #HullBackendLoader
 *
 * Returns: (transfer none): the directory @loader scans
 */
const char *hull_backend_loader_get_dir (HullBackendLoader *loader);

/**
 * hull_backend_loader_load:
 * @loader: a #HullBackendLoader
 * @error: return location for a #GError
 *
 * Scans the directory for hull-backend-*.so files, in byte order of their
 * names, and loads each with hull_backend_loader_load_file()'s checks. A file
 * that fails is recorded (hull_backend_loader_get_failures()) and does not
 * stop the others. Files already loaded by this loader are skipped, so
 * calling this again picks up newly installed plugins; the failures are
 * those of the latest scan.
 *
 * A directory that does not exist or cannot be read is the only error: the
 * loader then keeps what it had (an empty list the first time), and the same
 * error is also recorded as the scan's only failure, so a listing shows it.
 *
 * Returns: %FALSE, with HULL_ERROR_NOT_FOUND or HULL_ERROR_IO naming the
 *   directory, when it cannot be read; %TRUE otherwise, even if some files
 *   were refused
 */
gboolean hull_backend_loader_load (HullBackendLoader *loader, GError **error);

/**
 * hull_backend_loader_load_file:
 * @loader: a #HullBackendLoader
 * @path: a plugin file (any name)
 * @error: return location for a #GError
 *
 * Loads one plugin. Errors name @path and say what is wrong:
 * HULL_ERROR_NOT_FOUND (no such file), HULL_ERROR_BACKEND_FAILED (not a
 * loadable module, no hull_backend_module symbol, no descriptor, a descriptor
 * with missing fields or ops, an invalid name), HULL_ERROR_ABI_MISMATCH
 * (built for another HULL_BACKEND_ABI_VERSION), HULL_ERROR_ALREADY_EXISTS
 * (another file already provides a backend of that name). The failure is
 * returned, not recorded among hull_backend_loader_get_failures(). Loading a
 * file this loader has already loaded succeeds and does nothing.
 *
 * Returns: whether the backend is now loaded
 */
gboolean hull_backend_loader_load_file (HullBackendLoader *loader, const char *path,
                                        GError **error);

/**
 * hull_backend_loader_get_failures:
 * @loader: a #HullBackendLoader
 *
 * Returns: (transfer full) (element-type GError): copies of the errors of the
 *   latest hull_backend_loader_load(), one per refused file (or one for an
 *   unreadable directory), in scan order
 */
GPtrArray *hull_backend_loader_get_failures (HullBackendLoader *loader);

/**
 * hull_backend_loader_find:
 * @loader: a #HullBackendLoader
 * @name: a backend name
 * @error: return location for a #GError
 *
 * Looks up a loaded backend by name, whether or not it is available.
 *
 * Returns: (transfer none) (nullable): the module, valid for the life of the
 *   process; %NULL with HULL_ERROR_NOT_FOUND, listing the loaded backends,
 *   when there is none of that name
 */
const HullBackendModule *hull_backend_loader_find (HullBackendLoader *loader, const char *name,
                                                   GError **error);

/**
 * hull_backend_loader_probe:
 * @loader: a #HullBackendLoader
 * @name: a backend name
 * @info: (out) (optional) (transfer full): the backend's listing after the
 *   probe
 * @error: return location for a #GError
 *
 * Finds out whether backend @name can run here: opens its hypervisor (with
 * no device fd), probes it and closes it again. A backend that fails either
 * step is unavailable, with the backend's error message as the reason; that
 * is a result, not an error of this call. The result is kept for
 * hull_backend_loader_list().
 *
 * Calls the backend's [ctl] ops on the calling thread; the KVM backend runs a
 * few guest instructions, so this takes milliseconds, not microseconds.
 *
 * Returns: %FALSE with HULL_ERROR_NOT_FOUND only when there is no backend
 *   @name
 */
gboolean hull_backend_loader_probe (HullBackendLoader *loader, const char *name,
                                    HullBackendInfo **info, GError **error);

/**
 * hull_backend_loader_set_unavailable:
 * @loader: a #HullBackendLoader
 * @name: a backend name
 * @reason: why backend @name cannot run here now, for people
 * @info: (out) (optional) (transfer full): the backend's listing afterwards
 * @error: return location for a #GError
 *
 * Records, without probing, that backend @name is unavailable for
 * @reason, as a failed probe would; hull_backend_loader_list() shows it
 * until the next hull_backend_loader_probe(). For a caller that knows
 * better than a probe could tell, such as hulld when the device a backend
 * needs has gone away (docs/daemon.md, host devices).
 *
 * Returns: %FALSE with HULL_ERROR_NOT_FOUND only when there is no backend
 *   @name
 */
gboolean hull_backend_loader_set_unavailable (HullBackendLoader *loader, const char *name,
                                              const char *reason, HullBackendInfo **info,
                                              GError **error);

/**
 * hull_backend_loader_probe_all:
 * @loader: a #HullBackendLoader
 *
 * Probes every loaded backend again, as hull_backend_loader_probe() does
 * (for example after a device such as /dev/kvm appeared or went away).
 */
void hull_backend_loader_probe_all (HullBackendLoader *loader);

/**
 * hull_backend_loader_list:
 * @loader: a #HullBackendLoader
 *
 * Lists the loaded backends, sorted by name, with their availability. A
 * backend not probed yet is probed first (see hull_backend_loader_probe());
 * the others show their last probe's result.
 *
 * Returns: (transfer full) (element-type HullBackendInfo): the backends;
 *   empty when none is loaded
 */
GPtrArray *hull_backend_loader_list (HullBackendLoader *loader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullBackendInfo, hull_backend_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullBackendLoader, hull_backend_loader_unref)

G_END_DECLS
