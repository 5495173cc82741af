/* hull-domain-private.h — what the domain model's files share (not installed). */
#pragma once

#include "hull-domain-def.h"

G_BEGIN_DECLS

/* The parse phase alone: XML → definition, no defaults, no validation. */
HullDomainDef *hull_domain_def_parse_document (const char *xml, gsize length,
                                               HullDomainParseFlags flags, GPtrArray *warnings,
                                               GError **error);

G_END_DECLS
