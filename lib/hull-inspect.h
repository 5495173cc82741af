/* hull-inspect.h — a path-addressed inspect tree.
 *
 * An inspection asks for a path ("vp/0/registers") and a depth, and walks a
 * tree of nodes, each answered by a HullInspectFunc that adds fields and
 * children. Only the part of the tree the path selects is visited. A node may
 * be answered later on another thread (a VP's subtree is answered on its VP
 * thread): hull_inspect_defer(). The caller of hull_inspect() waits for
 * deferred nodes up to a deadline, so a stuck VP cannot hang it.
 *
 * The result is a GVariant of type a{sv}: fields are values, children are
 * nested a{sv}. A node that failed or missed the deadline is an a{sv} with
 * the single key "!error" holding a message.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HullInspectRequest HullInspectRequest;
typedef struct _HullInspectDeferred HullInspectDeferred;

/**
 * HullInspectFunc:
 * @object: the object being inspected
 * @request: the node to fill; valid only during the call (see
 *   hull_inspect_defer() to answer later)
 *
 * Answers one node of the tree.
 */
typedef void (*HullInspectFunc) (gpointer object, HullInspectRequest *request);

/* No deadline; for tests only. */
#define HULL_INSPECT_NO_TIMEOUT G_GINT64_CONSTANT (-1)
#define HULL_INSPECT_MAX_DEPTH 4096

/**
 * hull_inspect:
 * @path: a '/'-separated path, "" or "/" for the root
 * @depth: how many levels of children below the addressed node to expand
 *   (0: its own fields only), at most %HULL_INSPECT_MAX_DEPTH
 * @func: answers the root node
 * @object: passed to @func
 * @timeout_us: how long to wait for deferred nodes, or %HULL_INSPECT_NO_TIMEOUT
 * @error: %HULL_ERROR_NOT_FOUND when no node has @path,
 *   %HULL_ERROR_INVALID_ARGUMENT for a malformed path or depth
 *
 * Walks the tree [any thread]. Deferred nodes that miss the deadline are
 * reported as errors in the result; their late answers are discarded.
 *
 * Returns: (transfer full): the addressed node as a{sv}, never floating.
 */
GVariant *hull_inspect (const char *path, guint depth, HullInspectFunc func, gpointer object,
                        gint64 timeout_us, GError **error);

/**
 * hull_inspect_field:
 * @request: the node
 * @name: the field's name (no '/')
 * @value: (transfer floating): its value
 *
 * Adds a field. Ignored when the path addresses something else.
 */
void hull_inspect_field (HullInspectRequest *request, const char *name, GVariant *value);

void hull_inspect_field_string (HullInspectRequest *request, const char *name, const char *value);
void hull_inspect_field_bool (HullInspectRequest *request, const char *name, gboolean value);
void hull_inspect_field_uint (HullInspectRequest *request, const char *name, guint64 value);
void hull_inspect_field_int (HullInspectRequest *request, const char *name, gint64 value);
/* A number shown in hexadecimal: a string "0x…". */
void hull_inspect_field_hex (HullInspectRequest *request, const char *name, guint64 value);
/* A monotonically increasing count (same encoding as a uint). */
void hull_inspect_counter (HullInspectRequest *request, const char *name, guint64 value);

/**
 * hull_inspect_child:
 * @request: the node
 * @name: the child's name (no '/')
 * @func: answers the child; called at once, only if the path and depth
 *   select the child
 * @object: passed to @func
 *
 * Adds a child node.
 */
void hull_inspect_child (HullInspectRequest *request, const char *name, HullInspectFunc func,
                         gpointer object);

/**
 * hull_inspect_failed:
 * @request: the node
 * @message: why it cannot be answered
 *
 * Marks the node as failed; its fields are discarded.
 */
void hull_inspect_failed (HullInspectRequest *request, const char *message);

/**
 * hull_inspect_defer:
 * @request: the node, inside its HullInspectFunc
 *
 * Marks the node as answered later, possibly on another thread. The caller
 * must eventually call hull_inspect_deferred_complete() exactly once (or
 * hull_inspect_deferred_fail()), even after the deadline.
 *
 * Returns: (transfer full): the handle to answer with.
 */
HullInspectDeferred *hull_inspect_defer (HullInspectRequest *request);

/**
 * hull_inspect_deferred_get_request:
 * @deferred: a handle from hull_inspect_defer()
 *
 * Returns: (transfer none): the node to fill [any thread, one at a time];
 *   valid until hull_inspect_deferred_complete()
 */
HullInspectRequest *hull_inspect_deferred_get_request (HullInspectDeferred *deferred);

/* Finishes a deferred node and frees the handle [any thread]. */
void hull_inspect_deferred_complete (HullInspectDeferred *deferred);

/* Fails a deferred node with @message and frees the handle [any thread]. */
void hull_inspect_deferred_fail (HullInspectDeferred *deferred, const char *message);

G_END_DECLS
