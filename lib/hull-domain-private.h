/* hull-domain-private.h — what the domain model's files share (not installed). */
#pragma once

#include "hull-domain-def.h"

G_BEGIN_DECLS

/* The parse phase alone: XML → definition, no defaults, no validation. */
HullDomainDef *hull_domain_def_parse_document (const char *xml, gsize length,
                                               HullDomainParseFlags flags, GPtrArray *warnings,
                                               GError **error);

/* A host path in a definition (kernel, initrd, disk source, character device
 * path): absolute, and free of control characters (below 0x20, and 0x7f),
 * which the schema does not allow and which no real path should contain.
 * Fails with %HULL_ERROR_XML_INVALID naming the path; callers add the
 * element or line. */
gboolean hull_domain_check_path (const char *path, GError **error);

G_END_DECLS
