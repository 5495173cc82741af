/* backend-asserts.h — checks on what a backend reports, shared by the backend
 * harnesses: exits compared by name (so a failure says which) and inspect
 * nodes read with the lookup asserted. */
#pragma once

#include <glib.h>

#include "hull-backend.h"

G_BEGIN_DECLS

void assert_exit (HullVpExit actual, HullVpExit expected);
GVariant *partition_inspect (HullPartition *partition, const char *path);
guint64 lookup_uint (GVariant *node, const char *key);

G_END_DECLS
