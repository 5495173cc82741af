/* hull-domain.h — one domain in hulld: its org.hullvm.Hull1.Domain object.
 *
 * A HullDomain is the Domain interface skeleton (it subclasses the
 * generated HullDBusDomainSkeleton and implements its methods), with the
 * domain's definitions, state and reason, owner, and while it runs the
 * HullWorkerClient of its hull-vm worker. It applies the lifecycle policy
 * when the worker reports a halt (docs/daemon.md). It knows nothing of the
 * daemon: it is handed the store, the directories and two callbacks at
 * construction. Main-loop only.
 */
#pragma once

#include <gio/gio.h>

#include "hull-authority.h"
#include "hull-backend-loader.h"
#include "hull-dbus.h"
#include "hull-domain-def.h"
#include "hull-domain-store.h"

G_BEGIN_DECLS

#define HULL_TYPE_DOMAIN (hull_domain_get_type ())
G_DECLARE_FINAL_TYPE (HullDomain, hull_domain, HULL, DOMAIN, HullDBusDomainSkeleton)

/**
 * HullDomainEnv:
 * @worker_path: the hull-vm binary
 * @runtime_dir: hulld's runtime directory
 * @log_dir: where worker and console logs go
 * @backend_dir: (nullable): where the worker finds backend plugins
 * @authority: authorizes the domain's methods (referenced)
 * @system: system mode: workers run as their domain's owner, without
 *   privileges (docs/policy.md, "Privilege separation")
 * @loader: (nullable): hulld's backends (referenced): a worker is told the
 *   speed hulld probed instead of probing again
 *
 * Where a domain's worker runs from; copied by hull_domain_new().
 */
typedef struct
{
  const char *worker_path;
  const char *runtime_dir;
  const char *log_dir;
  const char *backend_dir;
  HullAuthority *authority;
  gboolean system;
  HullBackendLoader *loader;
} HullDomainEnv;

/* A lifecycle event: the domain's properties are already updated and
 * flushed (PropertiesChanged sent) when this is called. */
typedef void (*HullDomainEventFunc) (HullDomain *domain, HullDomainEvent event, int detail,
                                     gpointer user_data);
/* The domain is to disappear: undefined while shut off, or a transient
 * domain stopped. Its last event was already emitted. */
typedef void (*HullDomainGoneFunc) (HullDomain *domain, gpointer user_data);
/* Whether Start may run @domain: its owner's quota (QuotaExceeded). */
typedef gboolean (*HullDomainCheckStartFunc) (HullDomain *domain, GError **error,
                                              gpointer user_data);

typedef struct
{
  HullDomainEventFunc event;
  HullDomainGoneFunc gone;
  gpointer user_data;
  HullDomainCheckStartFunc check_start; /* nullable */
} HullDomainCallbacks;

/**
 * hull_domain_new:
 * @store: where the domain's files are
 * @env: the worker's directories
 * @callbacks: events and removal; @callbacks->user_data must stay valid
 *   until hull_domain_detach()
 * @def: (transfer full): the definition the next Start runs (the stored
 *   one when @record says persistent)
 * @record: owner, persistent, autostart; state and reason to start in
 *
 * Returns: (transfer full): a domain, not exported anywhere yet
 */
HullDomain *hull_domain_new (HullDomainStore *store, const HullDomainEnv *env,
                             const HullDomainCallbacks *callbacks, HullDomainDef *def,
                             const HullDomainRecord *record);

/* Forgets the callbacks (the daemon goes away); a running worker is left
 * running. */
void hull_domain_detach (HullDomain *domain);

const char *hull_domain_get_object_path (HullDomain *domain);
const char *hull_domain_get_name (HullDomain *domain);
const char *hull_domain_get_uuid (HullDomain *domain);
HullDomainState hull_domain_get_state (HullDomain *domain);
/* Running or paused. */
gboolean hull_domain_is_active (HullDomain *domain);
gboolean hull_domain_get_persistent (HullDomain *domain);
gboolean hull_domain_get_autostart (HullDomain *domain);
guint32 hull_domain_get_owner (HullDomain *domain);
/* While the domain has a live definition (from Start until its worker is
 * gone) its vCPUs and memory count against its owner's quota: %TRUE and
 * those; %FALSE otherwise. */
gboolean hull_domain_get_live_size (HullDomain *domain, guint *vcpus, guint64 *memory);
/* The definition the next Start runs: its vCPUs and memory. */
void hull_domain_get_size (HullDomain *domain, guint *vcpus, guint64 *memory);

/**
 * hull_domain_redefine:
 * @domain: a domain
 * @def: (transfer full): a new definition with the same name and UUID
 * @error: %HULL_ERROR_IO when it cannot be stored (nothing changes)
 *
 * Stores @def as the domain's definition; a running domain keeps running
 * its live definition until it stops. Emits DEFINED/UPDATED, or
 * DEFINED/ADDED when the domain was transient.
 */
gboolean hull_domain_redefine (HullDomain *domain, HullDomainDef *def, GError **error);

/**
 * hull_domain_start_async:
 * @domain: a shut off or crashed domain
 * @live_def: (transfer full) (nullable): the definition to run; %NULL: a
 *   copy of the domain's definition
 * @paused: leave the VPs paused (state paused, reason starting-up)
 *
 * Spawns the worker and starts it. Fails with %HULL_ERROR_INVALID_STATE when
 * the domain is running or busy, or with the worker's error; then the
 * domain is shut off (reason failed, event STOPPED/FAILED) and a transient
 * one is gone.
 */
void hull_domain_start_async (HullDomain *domain, HullDomainDef *live_def, gboolean paused,
                              GAsyncReadyCallback callback, gpointer user_data);
gboolean hull_domain_start_finish (HullDomain *domain, GAsyncResult *result, GError **error);

/**
 * hull_domain_reattach_async:
 * @domain: a domain hulld has just loaded
 * @live_def: (transfer full): the definition its worker runs
 * @record: hulld's runtime record of it
 *
 * Reattaches to the worker an earlier hulld left running: a live worker's
 * state is taken over (a halt reported while hulld was away gets its
 * policy now); a dead one makes the domain crashed (worker-failed, event
 * CRASHED/100), its stale files are removed and a transient domain is gone.
 * Always succeeds.
 */
void hull_domain_reattach_async (HullDomain *domain, HullDomainDef *live_def,
                                 const HullDomainRecord *record, GAsyncReadyCallback callback,
                                 gpointer user_data);
void hull_domain_reattach_finish (HullDomain *domain, GAsyncResult *result);

G_END_DECLS
