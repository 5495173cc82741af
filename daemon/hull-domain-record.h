/* hull-domain-record.h — the two small files hulld keeps beside domain XML
 * (docs/daemon.md, "Directories"), as bytes: one definition of each format
 * for the store's writer and its reader.
 *
 * $runtime/vm/<uuid>.domain, hulld's record of a running domain:
 *
 *   [domain]
 *   uuid=…             required; a UUID
 *   name=web           informational; "" when absent
 *   owner=1000         required; a uid, 0 … 4294967294
 *   persistent=true    required; true/false (1/0)
 *   autostart=false    false when absent
 *   state=running      required; hull_domain_state_to_string()
 *   reason=booted      required; hull_domain_state_reason_to_string()
 *
 * $state/domains/<uuid>.meta, what a stored definition has beyond its XML:
 *
 *   [domain]
 *   owner=1000         required; a uid, 0 … 4294967294
 *
 * (4294967295 is (uid_t) -1, "no user".) hull-key-record.h says what else a
 * file may not contain. Errors are %HULL_ERROR_CORRUPT_DATA naming the file.
 */
#pragma once

#include <glib.h>

#include "hull-domain-store.h"

G_BEGIN_DECLS

/**
 * HullLiveRecord:
 * @uuid: the domain's UUID
 * @name: its name (for people reading the file)
 * @record: the rest
 */
typedef struct
{
  char *uuid;
  char *name;
  HullDomainRecord record;
} HullLiveRecord;

void hull_live_record_free (HullLiveRecord *live);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullLiveRecord, hull_live_record_free)

/**
 * hull_live_record_parse:
 * @data: (array length=len): the file's bytes (need not end in a nul)
 * @len: their number
 * @path: the file, for messages
 * @error: "the domain record PATH is damaged: WHAT"
 *
 * Returns: (transfer full): the record, or %NULL
 */
HullLiveRecord *hull_live_record_parse (const char *data, gsize len, const char *path,
                                        GError **error);

/* The file's text for @record, read back as an equal record. @record's
 * state and reason must be valid. */
char *hull_live_record_format (const char *uuid, const char *name, const HullDomainRecord *record);

gboolean hull_live_record_equal (const HullLiveRecord *a, const HullLiveRecord *b);

/**
 * hull_domain_meta_parse:
 * @data: (array length=len): the .meta file's bytes
 * @len: their number
 * @path: the file, for messages
 * @owner: (out): the owner's uid
 * @error: "the domain metadata file PATH is damaged: WHAT"
 */
gboolean hull_domain_meta_parse (const char *data, gsize len, const char *path, guint32 *owner,
                                 GError **error);

char *hull_domain_meta_format (guint32 owner);

G_END_DECLS
