/* hull-saved-state.h — opening a versioned saved-state blob.
 *
 * Every restore in Hull (partition unit, backends, devices) stores its state
 * as a GVariant whose first member is a "u" format version. Untrusted bytes
 * are only taken apart once they are known to be of the type, in normal form
 * and of the version the code reads; this is the one place that checks.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * hull_saved_state_open:
 * @bytes: a saved-state blob, as read from a file or a peer
 * @type: its GVariant type string, a tuple starting with "u" (the version)
 * @version: the version this code reads
 * @error: %HULL_ERROR_CORRUPT_DATA when @bytes is not a @type in normal form
 *   (a fixed-size type of the wrong size included) or has another version;
 *   the message does not name the object: callers prefix it
 *
 * Returns: (transfer full): the checked state, or %NULL.
 */
GVariant *hull_saved_state_open (GBytes *bytes, const char *type, guint32 version, GError **error);

G_END_DECLS
