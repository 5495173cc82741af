/* hull-domain-store.h — what hulld keeps on disk about domains
 * (docs/daemon.md, "Directories").
 *
 * Persistent definitions live in $state/domains/<uuid>.xml (canonical XML,
 * written durably), each with a small GKeyFile $state/domains/<uuid>.meta
 * holding what is not part of the domain XML (the owner's uid); autostart is
 * the presence of $state/autostart/<uuid>. A running domain has its live
 * definition in $runtime/vm/<uuid>.xml (the file the worker runs) and
 * hulld's record of it in $runtime/vm/<uuid>.domain; $runtime/autostarted
 * says autostart already ran in this host boot.
 *
 * The store only reads and writes files: it keeps no domain state of its
 * own. Main-loop only; its calls block on the file system briefly (a
 * durable write syncs), never on other processes.
 */
#pragma once

#include <glib-object.h>

#include "hull-dbus.h"
#include "hull-domain-def.h"

G_BEGIN_DECLS

#define HULL_TYPE_DOMAIN_STORE (hull_domain_store_get_type ())
G_DECLARE_FINAL_TYPE (HullDomainStore, hull_domain_store, HULL, DOMAIN_STORE, GObject)

/**
 * HullDomainRecord:
 * @owner: the uid of the domain's creator
 * @persistent: whether a definition is stored in the state directory
 * @autostart: whether the autostart mark is set
 * @state: the domain's state (runtime records only; %HULL_DOMAIN_STATE_SHUTOFF
 *   for stored definitions)
 * @reason: why (runtime records only)
 *
 * What hulld knows about a domain beyond its definition.
 */
typedef struct
{
  guint32 owner;
  gboolean persistent;
  gboolean autostart;
  HullDomainState state;
  HullDomainStateReason reason;
} HullDomainRecord;

/**
 * HullStoredDomain:
 * @def: the definition (stored, or live for runtime records)
 * @record: the rest
 *
 * One domain read back by hull_domain_store_load_all() or
 * hull_domain_store_load_live_all().
 */
typedef struct
{
  HullDomainDef *def;
  HullDomainRecord record;
} HullStoredDomain;

void hull_stored_domain_free (HullStoredDomain *stored);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullStoredDomain, hull_stored_domain_free)

/**
 * hull_domain_store_new:
 * @state_dir: where definitions and autostart marks go
 * @runtime_dir: where live definitions and records go (its vm/
 *   subdirectory)
 *
 * Creates a store; nothing is touched until hull_domain_store_prepare().
 *
 * Returns: (transfer full): a new store
 */
HullDomainStore *hull_domain_store_new (const char *state_dir, const char *runtime_dir);

const char *hull_domain_store_get_state_dir (HullDomainStore *store);
const char *hull_domain_store_get_runtime_dir (HullDomainStore *store);

/**
 * hull_domain_store_prepare:
 * @store: a #HullDomainStore
 * @runtime_mode: the mode of the runtime directory itself when it must be
 *   created (0700; 0755 in system mode); everything else is 0700
 * @error: %HULL_ERROR_IO naming the directory that cannot be created
 *
 * Creates the state directory with domains/ and autostart/, and the runtime
 * directory with vm/, where missing.
 */
gboolean hull_domain_store_prepare (HullDomainStore *store, int runtime_mode, GError **error);

/* ---- persistent definitions ---------------------------------------- */

/* $state/domains/<uuid>.xml */
char *hull_domain_store_get_def_path (HullDomainStore *store, const char *uuid);

/**
 * hull_domain_store_save:
 * @store: a #HullDomainStore
 * @def: a valid definition
 * @owner: its owner's uid
 * @error: %HULL_ERROR_IO naming the file
 *
 * Writes @def's canonical XML and its .meta file, durably (a crash leaves
 * the old file or the new one). On failure nothing that existed before is
 * changed, and a .meta file this call created is removed again.
 */
gboolean hull_domain_store_save (HullDomainStore *store, const HullDomainDef *def, guint32 owner,
                                 GError **error);

/**
 * hull_domain_store_delete:
 * @store: a #HullDomainStore
 * @uuid: a domain's UUID
 * @error: %HULL_ERROR_IO when the definition cannot be removed
 *
 * Removes the stored definition, then its .meta file and autostart mark. A
 * file that is already gone is not an error. Fails before anything is
 * removed if the definition cannot be.
 */
gboolean hull_domain_store_delete (HullDomainStore *store, const char *uuid, GError **error);

/**
 * hull_domain_store_set_autostart:
 * @store: a #HullDomainStore
 * @uuid: a domain's UUID
 * @autostart: set or clear the mark
 * @error: %HULL_ERROR_IO
 */
gboolean hull_domain_store_set_autostart (HullDomainStore *store, const char *uuid,
                                          gboolean autostart, GError **error);
gboolean hull_domain_store_get_autostart (HullDomainStore *store, const char *uuid);

/**
 * hull_domain_store_load_all:
 * @store: a #HullDomainStore
 * @failures: (out) (optional) (element-type GError) (transfer full): one
 *   error per file moved aside, in file-name order
 *
 * Reads every $state/domains/<uuid>.xml (strictly: they are canonical
 * XML). A file that cannot be read, parsed or validated, whose definition
 * has another UUID than its name says, or whose domain name an earlier file
 * already uses, is reported (g_warning() with the file and the reason),
 * renamed to <file>.broken and skipped. A missing or damaged .meta file gives
 * @default_owner.
 *
 * Returns: (transfer full) (element-type HullStoredDomain): the domains, in
 *   file-name order
 */
GPtrArray *hull_domain_store_load_all (HullDomainStore *store, guint32 default_owner,
                                       GPtrArray **failures);

/* ---- running domains ----------------------------------------------- */

/* $runtime/vm/<uuid>.xml, the file a worker is started on. */
char *hull_domain_store_get_live_def_path (HullDomainStore *store, const char *uuid);

/**
 * hull_domain_store_save_live:
 * @store: a #HullDomainStore
 * @def: the definition the worker will run
 * @record: hulld's record of the domain
 * @error: %HULL_ERROR_IO
 *
 * Writes $runtime/vm/<uuid>.xml and $runtime/vm/<uuid>.domain (mode 0600).
 */
gboolean hull_domain_store_save_live (HullDomainStore *store, const HullDomainDef *def,
                                      const HullDomainRecord *record, GError **error);

/**
 * hull_domain_store_save_record:
 * @store: a #HullDomainStore
 * @uuid: a running domain's UUID
 * @name: its name (for people reading the file)
 * @record: the record
 * @error: %HULL_ERROR_IO
 *
 * Rewrites $runtime/vm/<uuid>.domain, atomically.
 */
gboolean hull_domain_store_save_record (HullDomainStore *store, const char *uuid, const char *name,
                                        const HullDomainRecord *record, GError **error);

/* Removes $runtime/vm/<uuid>.xml and .domain; missing files are fine. */
void hull_domain_store_remove_live (HullDomainStore *store, const char *uuid);

/**
 * hull_domain_store_load_live_all:
 * @store: a #HullDomainStore
 * @failures: (out) (optional) (element-type GError) (transfer full): one
 *   error per damaged pair of files
 *
 * Reads every $runtime/vm/<uuid>.domain and its live definition. A pair
 * that cannot be read is reported, removed (it describes a domain that
 * cannot be reattached) and skipped.
 *
 * Returns: (transfer full) (element-type HullStoredDomain): the running
 *   domains hulld recorded, in file-name order
 */
GPtrArray *hull_domain_store_load_live_all (HullDomainStore *store, GPtrArray **failures);

/* Whether $runtime/autostarted exists. */
gboolean hull_domain_store_get_autostart_done (HullDomainStore *store);
/* Creates $runtime/autostarted. */
gboolean hull_domain_store_set_autostart_done (HullDomainStore *store, GError **error);

G_END_DECLS
