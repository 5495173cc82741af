/* hull-inspect.c — a path-addressed inspect tree (OpenVMM's support/inspect;
 * partition-semantics.md §5).
 *
 * Semantics this file decides (the header leaves them open):
 *
 * - Paths: "" and "/" are the root. One leading and one trailing '/' are
 *   tolerated; an empty component ("a//b", "//a") is
 *   %HULL_ERROR_INVALID_ARGUMENT, and so is a path of more than
 *   %HULL_INSPECT_MAX_DEPTH components.
 * - Walking: on the way to the addressed node, a node's fields are ignored
 *   and only the first child named after the next component is visited. On
 *   the node just above the addressed one, a *field* named after the last
 *   component is an answer too: the result is then { name: value }.
 * - Depth: at the addressed node, children are expanded while depth remains;
 *   a child beyond it is left out entirely (its func is not called).
 * - Duplicates: within one node the first field or child with a name wins; a
 *   later one is ignored (its func is not called) with a g_warning(), since
 *   it is a bug in the node's func. Only names that are collected are
 *   checked (on the walk, only the one that matches the path).
 * - Errors in the result: a failed node is { "!error": message }; a deferred
 *   node that missed the deadline is { "!error": "timed out after N ms" }.
 *   When the node that failed or timed out lies on the walk above the
 *   addressed node, the result is { "!error": "inspect node 'a/b': …" }
 *   naming it ('/' for the root).
 *
 * Concurrency: every hull_inspect() call has one InspectState, shared with
 * its deferred handles and freed by whichever of them lets go last.
 * The result tree (Node) is only read or written with state->mutex held and
 * only while state->finished is FALSE. Once hull_inspect() has stopped
 * waiting it sets finished, converts the tree to a GVariant and frees it;
 * a request that is still out (a late deferred answer) then keeps only its
 * reference to the state and discards whatever it is given.
 */
#include "config.h"

#include "hull-inspect.h"

#include <string.h>

#include "hull-error.h"
#include "hull-i18n.h"

#include "hull-sync.h"

/* Helgrind sees pthread locks but not GLib's futex-based GMutex and GCond
 * (hull-sync.h): unless HullMutex is a pthread mutex, tell it what
 * state->mutex does. And, in every build, that a handle's creation happens
 * before its use on another thread. No-ops unless run under valgrind. */
#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#define HULL_HAVE_HELGRIND 1
#endif
#endif
#if !defined(HULL_HAVE_HELGRIND) || defined(HULL_SYNC_PTHREAD)
#undef ANNOTATE_RWLOCK_CREATE
#undef ANNOTATE_RWLOCK_DESTROY
#undef ANNOTATE_RWLOCK_ACQUIRED
#undef ANNOTATE_RWLOCK_RELEASED
#define ANNOTATE_RWLOCK_CREATE(lock) ((void)0)
#define ANNOTATE_RWLOCK_DESTROY(lock) ((void)0)
#define ANNOTATE_RWLOCK_ACQUIRED(lock, is_w) ((void)0)
#define ANNOTATE_RWLOCK_RELEASED(lock, is_w) ((void)0)
#endif
#ifndef HULL_HAVE_HELGRIND
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void)0)
#define ANNOTATE_HAPPENS_AFTER(obj) ((void)0)
#endif

#define ERROR_KEY "!error"

typedef struct _Node Node;

/* A name in a node: a field (@value) or a child (@child). */
typedef struct
{
  char *name;
  GVariant *value;
  Node *child;
} Entry;

struct _Node
{
  GPtrArray *entries; /* (element-type Entry), insertion order; NULL if none */
  GHashTable *names;  /* name → Entry (borrowed), for duplicates; NULL if none */
  char *error;        /* hull_inspect_failed(): the node's whole answer */
  guint n_pending;    /* deferred handles of this node not yet answered */
};

typedef struct
{
  HullMutex mutex;
  HullCond cond;

  /* Immutable after hull_inspect() has set them up. */
  char **components; /* the path, split */
  guint n_components;
  guint depth;

  /* Protected by mutex. */
  guint ref_count;   /* hull_inspect() and every handle not yet answered */
  guint n_pending;   /* deferred handles not yet answered */
  gboolean finished; /* hull_inspect() stopped waiting; the tree is gone */
} InspectState;

struct _HullInspectRequest
{
  InspectState *state; /* borrowed from hull_inspect() or the handle */
  Node *node;          /* only dereferenced under state->mutex, !finished */
  guint level;         /* path components consumed to reach this node */
  guint depth;         /* levels of children still to expand (collecting) */
  gboolean deferred;   /* hull_inspect_defer() was called on this request */
  gboolean in_handle;  /* this is a HullInspectDeferred's own request */
};

struct _HullInspectDeferred
{
  HullInspectRequest request;
};

/* --- the result tree ------------------------------------------------- */

static void node_free (Node *node);

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->name);
  g_clear_pointer (&entry->value, g_variant_unref);
  g_clear_pointer (&entry->child, node_free);
  g_free (entry);
}

static Node *
node_new (void)
{
  return g_new0 (Node, 1);
}

static void
node_free (Node *node)
{
  g_clear_pointer (&node->names, g_hash_table_unref);
  g_clear_pointer (&node->entries, g_ptr_array_unref);
  g_free (node->error);
  g_free (node);
}

static Entry *
node_lookup (const Node *node, const char *name)
{
  return node->names != NULL ? g_hash_table_lookup (node->names, name) : NULL;
}

/* Adds @name unless the node has it already (first wins). Takes @value or
 * @child only on success. Called with the mutex held. */
static gboolean
node_add (Node *node, const char *name, GVariant *value, Node *child)
{
  Entry *entry;

  if (node_lookup (node, name) != NULL)
    return FALSE;
  if (node->entries == NULL)
    {
      node->entries = g_ptr_array_new_with_free_func (entry_free);
      node->names = g_hash_table_new (g_str_hash, g_str_equal);
    }
  entry = g_new0 (Entry, 1);
  entry->name = g_strdup (name);
  entry->value = value;
  entry->child = child;
  g_ptr_array_add (node->entries, entry);
  g_hash_table_insert (node->names, entry->name, entry);
  return TRUE;
}

static GVariant *
error_variant (const char *message)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", ERROR_KEY, g_variant_new_string (message));
  return g_variant_builder_end (&b);
}

/* Returns: (transfer floating). Called with the mutex held. */
static GVariant *
node_to_variant (const Node *node, const char *timed_out)
{
  GVariantBuilder b;

  if (node->error != NULL)
    return error_variant (node->error);
  if (node->n_pending > 0)
    return error_variant (timed_out);

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; node->entries != NULL && i < node->entries->len; i++)
    {
      const Entry *entry = g_ptr_array_index (node->entries, i);

      g_variant_builder_add (&b, "{sv}", entry->name,
                             entry->value != NULL ? entry->value
                                                  : node_to_variant (entry->child, timed_out));
    }
  return g_variant_builder_end (&b);
}

/* --- the shared state ------------------------------------------------ */

static InspectState *
inspect_state_new (void)
{
  InspectState *state = g_new0 (InspectState, 1);

  hull_mutex_init (&state->mutex);
  hull_cond_init (&state->cond);
  ANNOTATE_RWLOCK_CREATE (&state->mutex);
  state->ref_count = 1;
  return state;
}

static void
state_lock (InspectState *state)
{
  hull_mutex_lock (&state->mutex);
  ANNOTATE_RWLOCK_ACQUIRED (&state->mutex, 1);
}

static void
state_unlock (InspectState *state)
{
  ANNOTATE_RWLOCK_RELEASED (&state->mutex, 1);
  hull_mutex_unlock (&state->mutex);
}

/* hull_cond_wait_until() on state->cond; @deadline < 0 waits forever. Returns
 * FALSE once the deadline has passed. */
static gboolean
state_wait (InspectState *state, gint64 deadline)
{
  gboolean signalled = TRUE;

  ANNOTATE_RWLOCK_RELEASED (&state->mutex, 1);
  if (deadline < 0)
    hull_cond_wait (&state->cond, &state->mutex);
  else
    signalled = hull_cond_wait_until (&state->cond, &state->mutex, deadline);
  ANNOTATE_RWLOCK_ACQUIRED (&state->mutex, 1);
  return signalled;
}

/* Called with the mutex held. */
static void
inspect_state_ref_locked (InspectState *state)
{
  g_assert (state->ref_count > 0);
  state->ref_count++;
}

/* Drops a reference and unlocks. The count lives under the mutex rather
 * than in an atomic, so that a late handle freeing the state is ordered
 * after everything hull_inspect() did (and helgrind can see that). */
static void
inspect_state_unref_unlock (InspectState *state)
{
  gboolean last;

  g_assert (state->ref_count > 0);
  last = --state->ref_count == 0;
  state_unlock (state);
  if (!last)
    return;

  ANNOTATE_RWLOCK_DESTROY (&state->mutex);
  hull_mutex_clear (&state->mutex);
  hull_cond_clear (&state->cond);
  g_strfreev (state->components);
  g_free (state);
}

/* Locks the state and returns TRUE when @request's node may be written:
 * hull_inspect() is still waiting and the node has not failed. On FALSE the
 * mutex is not held. */
static gboolean
request_lock (HullInspectRequest *request)
{
  InspectState *state = request->state;

  state_lock (state);
  if (state->finished || request->node->error != NULL)
    {
      state_unlock (state);
      return FALSE;
    }
  return TRUE;
}

static gboolean
request_is_walking (const HullInspectRequest *request)
{
  return request->level < request->state->n_components;
}

/* Whether a field or child called @name of @request's node is part of the
 * answer: everything at or below the addressed node, and on the walk only
 * the name the path continues with. */
static gboolean
request_selects (const HullInspectRequest *request, const char *name, gboolean is_child)
{
  const InspectState *state = request->state;

  if (!request_is_walking (request))
    return !is_child || request->depth > 0;
  if (!g_str_equal (name, state->components[request->level]))
    return FALSE;
  return is_child || request->level + 1 == state->n_components;
}

/* --- filling a node -------------------------------------------------- */

/* A name is a GVariant string, and '/' would make it unaddressable. */
static gboolean
name_is_valid (const char *name)
{
  return name != NULL && strchr (name, '/') == NULL && g_utf8_validate (name, -1, NULL);
}

void
hull_inspect_field (HullInspectRequest *request, const char *name, GVariant *value)
{
  g_autoptr (GVariant) owned = NULL;
  gboolean added;

  g_return_if_fail (value != NULL);
  owned = g_variant_ref_sink (value);
  g_return_if_fail (request != NULL);
  g_return_if_fail (!request->deferred);
  g_return_if_fail (name_is_valid (name));

  if (!request_selects (request, name, FALSE) || !request_lock (request))
    return;
  added = node_add (request->node, name, owned, NULL);
  if (added)
    owned = NULL;
  state_unlock (request->state);

  if (!added)
    g_warning ("inspect: duplicate field '%s' ignored", name);
}

void
hull_inspect_field_string (HullInspectRequest *request, const char *name, const char *value)
{
  g_autofree char *valid = NULL;

  g_return_if_fail (value != NULL);

  if (!g_utf8_validate (value, -1, NULL))
    value = valid = g_utf8_make_valid (value, -1);
  hull_inspect_field (request, name, g_variant_new_string (value));
}

void
hull_inspect_field_bool (HullInspectRequest *request, const char *name, gboolean value)
{
  hull_inspect_field (request, name, g_variant_new_boolean (value));
}

void
hull_inspect_field_uint (HullInspectRequest *request, const char *name, guint64 value)
{
  hull_inspect_field (request, name, g_variant_new_uint64 (value));
}

void
hull_inspect_field_int (HullInspectRequest *request, const char *name, gint64 value)
{
  hull_inspect_field (request, name, g_variant_new_int64 (value));
}

void
hull_inspect_field_hex (HullInspectRequest *request, const char *name, guint64 value)
{
  char buf[sizeof "0x" + 16];

  g_snprintf (buf, sizeof buf, "0x%" G_GINT64_MODIFIER "x", value);
  hull_inspect_field (request, name, g_variant_new_string (buf));
}

void
hull_inspect_counter (HullInspectRequest *request, const char *name, guint64 value)
{
  hull_inspect_field_uint (request, name, value);
}

void
hull_inspect_child (HullInspectRequest *request, const char *name, HullInspectFunc func,
                    gpointer object)
{
  HullInspectRequest child_request = { 0 };
  Node *child;
  gboolean added;

  g_return_if_fail (request != NULL);
  g_return_if_fail (!request->deferred);
  g_return_if_fail (name_is_valid (name));
  g_return_if_fail (func != NULL);

  if (!request_selects (request, name, TRUE) || !request_lock (request))
    return;
  child = node_new ();
  added = node_add (request->node, name, NULL, child);
  state_unlock (request->state);

  if (!added)
    {
      node_free (child);
      g_warning ("inspect: duplicate child '%s' ignored", name);
      return;
    }

  child_request.state = request->state;
  child_request.node = child;
  if (request_is_walking (request))
    {
      child_request.level = request->level + 1;
      child_request.depth = request->state->depth;
    }
  else
    {
      child_request.level = request->level;
      child_request.depth = request->depth - 1;
    }
  func (object, &child_request);
}

void
hull_inspect_failed (HullInspectRequest *request, const char *message)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (!request->deferred);
  g_return_if_fail (message != NULL);

  if (!request_lock (request))
    return;
  /* The entries stay until the tree is freed: a child may still have a
   * deferred handle pointing at it. They are not reported. */
  request->node->error = g_utf8_make_valid (message, -1);
  state_unlock (request->state);
}

/* --- deferral -------------------------------------------------------- */

HullInspectDeferred *
hull_inspect_defer (HullInspectRequest *request)
{
  InspectState *state;
  HullInspectDeferred *deferred;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (!request->deferred, NULL);
  g_return_val_if_fail (!request->in_handle, NULL);

  state = request->state;
  deferred = g_new0 (HullInspectDeferred, 1);
  deferred->request = *request;
  deferred->request.in_handle = TRUE;
  request->deferred = TRUE;

  state_lock (state);
  inspect_state_ref_locked (state);
  if (!state->finished)
    {
      state->n_pending++;
      request->node->n_pending++;
    }
  state_unlock (state);

  /* The caller hands the handle to another thread somehow. */
  ANNOTATE_HAPPENS_BEFORE (deferred);
  return deferred;
}

HullInspectRequest *
hull_inspect_deferred_get_request (HullInspectDeferred *deferred)
{
  g_return_val_if_fail (deferred != NULL, NULL);

  ANNOTATE_HAPPENS_AFTER (deferred);
  return &deferred->request;
}

void
hull_inspect_deferred_complete (HullInspectDeferred *deferred)
{
  InspectState *state;

  g_return_if_fail (deferred != NULL);

  ANNOTATE_HAPPENS_AFTER (deferred);
  state = deferred->request.state;
  state_lock (state);
  if (!state->finished)
    {
      g_assert (state->n_pending > 0 && deferred->request.node->n_pending > 0);
      deferred->request.node->n_pending--;
      if (--state->n_pending == 0)
        hull_cond_signal (&state->cond);
    }
  inspect_state_unref_unlock (state);
  g_free (deferred);
}

void
hull_inspect_deferred_fail (HullInspectDeferred *deferred, const char *message)
{
  g_return_if_fail (deferred != NULL);
  g_return_if_fail (message != NULL);

  hull_inspect_failed (&deferred->request, message);
  hull_inspect_deferred_complete (deferred);
}

/* --- the top-level call ---------------------------------------------- */

/* Splits @path into state->components. */
static gboolean
parse_path (InspectState *state, const char *path, GError **error)
{
  g_autofree char *trimmed = NULL;
  gsize len;

  if (path[0] == '\0' || g_str_equal (path, "/"))
    {
      state->components = g_new0 (char *, 1);
      return TRUE;
    }

  trimmed = g_strdup (path[0] == '/' ? path + 1 : path);
  len = strlen (trimmed);
  if (len > 0 && trimmed[len - 1] == '/')
    trimmed[len - 1] = '\0';
  if (trimmed[0] == '\0') /* "//" */
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("inspect path '%s' has an empty component"), path);
      return FALSE;
    }
  state->components = g_strsplit (trimmed, "/", -1);
  state->n_components = g_strv_length (state->components);

  if (state->n_components > HULL_INSPECT_MAX_DEPTH)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("inspect path has %u components, above the maximum of %u"),
                   state->n_components, (guint)HULL_INSPECT_MAX_DEPTH);
      return FALSE;
    }
  for (guint i = 0; i < state->n_components; i++)
    {
      if (state->components[i][0] == '\0')
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("inspect path '%s' has an empty component"), path);
          return FALSE;
        }
    }
  return TRUE;
}

/* The first @n components joined, or "/" for none. */
static char *
path_prefix (const InspectState *state, guint n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, '/');
      g_string_append (s, state->components[i]);
    }
  if (n == 0)
    g_string_append_c (s, '/');
  return g_string_free (s, FALSE);
}

/* Finds the addressed node in the tree and converts it. Called with the
 * mutex held. Returns: (transfer floating). */
static GVariant *
resolve (const InspectState *state, const Node *root, const char *timed_out, GError **error)
{
  const Node *node = root;

  for (guint i = 0; i < state->n_components; i++)
    {
      const char *message = node->error;
      const Entry *entry;

      if (message == NULL && node->n_pending > 0)
        message = timed_out;
      if (message != NULL)
        {
          g_autofree char *where = path_prefix (state, i);
          g_autofree char *full = g_strdup_printf (_ ("inspect node '%s': %s"), where, message);

          return error_variant (full);
        }

      entry = node_lookup (node, state->components[i]);
      if (entry == NULL)
        {
          g_autofree char *path = path_prefix (state, state->n_components);
          g_autofree char *missing = path_prefix (state, i + 1);

          g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                       _ ("inspect path '%s': no node '%s'"), path, missing);
          return NULL;
        }
      if (entry->value != NULL)
        {
          GVariantBuilder b;

          /* Only a field named after the last component is collected. */
          g_assert (i + 1 == state->n_components);
          g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
          g_variant_builder_add (&b, "{sv}", entry->name, entry->value);
          return g_variant_builder_end (&b);
        }
      node = entry->child;
    }
  return node_to_variant (node, timed_out);
}

GVariant *
hull_inspect (const char *path, guint depth, HullInspectFunc func, gpointer object,
              gint64 timeout_us, GError **error)
{
  InspectState *state;
  HullInspectRequest root_request = { 0 };
  Node *root;
  gint64 deadline = -1;
  g_autofree char *timed_out = NULL;
  GVariant *result;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (timeout_us >= 0 || timeout_us == HULL_INSPECT_NO_TIMEOUT, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (depth > HULL_INSPECT_MAX_DEPTH)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("inspect depth %u is above the maximum of %u"), depth,
                   (guint)HULL_INSPECT_MAX_DEPTH);
      return NULL;
    }

  if (timeout_us != HULL_INSPECT_NO_TIMEOUT)
    {
      gint64 now = g_get_monotonic_time ();

      deadline = timeout_us <= G_MAXINT64 - now ? now + timeout_us : G_MAXINT64;
    }

  state = inspect_state_new ();
  state->depth = depth;
  if (!parse_path (state, path, error))
    {
      state_lock (state);
      inspect_state_unref_unlock (state);
      return NULL;
    }

  root = node_new ();
  root_request.state = state;
  root_request.node = root;
  root_request.depth = depth;
  func (object, &root_request);

  if (timeout_us != HULL_INSPECT_NO_TIMEOUT)
    timed_out = g_strdup_printf (_ ("timed out after %llu ms"),
                                 (unsigned long long)((timeout_us + 999) / 1000));

  state_lock (state);
  while (state->n_pending > 0 && state_wait (state, deadline))
    ;
  state->finished = TRUE;
  result = resolve (state, root, timed_out, error);
  inspect_state_unref_unlock (state);

  /* No request touches the tree once finished is set. */
  node_free (root);

  return result != NULL ? g_variant_ref_sink (result) : NULL;
}
