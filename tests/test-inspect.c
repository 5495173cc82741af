/* The inspect tree: path selection, depth, errors, and deferred nodes
 * answered on other threads before or after the deadline (reference:
 * partition-semantics.md §5). */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "hull-error.h"
#include "hull-inspect.h"

/* Generous: the tests that wait for a deferred answer must never time out,
 * even under valgrind. */
#define LONG_TIMEOUT_US (60 * G_USEC_PER_SEC)
/* For the tests that expect the deadline to pass. */
#define SHORT_TIMEOUT_US (200 * 1000)
/* How late hull_inspect() may return after its deadline. */
#define SLACK_US (500 * 1000)

/* --- a mailbox for handing handles to threads ------------------------- */

/* A blocking FIFO of pointers, on pthread rather than Mailbox: these
 * tests run under helgrind, which understands pthread mutexes and condition
 * variables but not GLib's futex-based GMutex and GCond. */
typedef struct
{
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  GQueue items;
} Mailbox;

/* Tells a worker thread to stop. */
#define STOP GINT_TO_POINTER (1)

static Mailbox *
mailbox_new (void)
{
  Mailbox *mb = g_new0 (Mailbox, 1);

  pthread_mutex_init (&mb->mutex, NULL);
  pthread_cond_init (&mb->cond, NULL);
  g_queue_init (&mb->items);
  return mb;
}

static void
mailbox_free (Mailbox *mb)
{
  g_assert_true (g_queue_is_empty (&mb->items));
  pthread_cond_destroy (&mb->cond);
  pthread_mutex_destroy (&mb->mutex);
  g_free (mb);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mailbox, mailbox_free)

static void
mailbox_push (Mailbox *mb, gpointer item)
{
  pthread_mutex_lock (&mb->mutex);
  g_queue_push_tail (&mb->items, item);
  pthread_cond_signal (&mb->cond);
  pthread_mutex_unlock (&mb->mutex);
}

static gpointer
mailbox_pop (Mailbox *mb)
{
  gpointer item;

  pthread_mutex_lock (&mb->mutex);
  while (g_queue_is_empty (&mb->items))
    pthread_cond_wait (&mb->cond, &mb->mutex);
  item = g_queue_pop_head (&mb->items);
  pthread_mutex_unlock (&mb->mutex);
  return item;
}

static gpointer
mailbox_try_pop (Mailbox *mb)
{
  gpointer item;

  pthread_mutex_lock (&mb->mutex);
  item = g_queue_pop_head (&mb->items);
  pthread_mutex_unlock (&mb->mutex);
  return item;
}

static guint
mailbox_length (Mailbox *mb)
{
  guint n;

  pthread_mutex_lock (&mb->mutex);
  n = g_queue_get_length (&mb->items);
  pthread_mutex_unlock (&mb->mutex);
  return n;
}

/* --- a synthetic tree ------------------------------------------------- */

/* A node named @name with @fanout children "c0", "c1", … down @levels levels.
 * @calls counts how often its func ran (main thread only). */
typedef struct _TNode TNode;
struct _TNode
{
  char *name;
  guint calls;
  GPtrArray *children;
};

static void
tnode_free (TNode *node)
{
  g_ptr_array_unref (node->children);
  g_free (node->name);
  g_free (node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TNode, tnode_free)

static TNode *
tnode_new (const char *name, guint fanout, guint levels)
{
  TNode *node = g_new0 (TNode, 1);

  node->name = g_strdup (name);
  node->children = g_ptr_array_new_with_free_func ((GDestroyNotify)tnode_free);
  for (guint i = 0; levels > 0 && i < fanout; i++)
    {
      g_autofree char *child = g_strdup_printf ("c%u", i);

      g_ptr_array_add (node->children, tnode_new (child, fanout, levels - 1));
    }
  return node;
}

static TNode *
tnode_get (TNode *node, const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    node = g_ptr_array_index (node->children, parts[i][1] - '0');
  return node;
}

static guint
tnode_total_calls (const TNode *node)
{
  guint n = node->calls;

  for (guint i = 0; i < node->children->len; i++)
    n += tnode_total_calls (g_ptr_array_index (node->children, i));
  return n;
}

static void
tnode_func (gpointer object, HullInspectRequest *request)
{
  TNode *node = object;

  node->calls++;
  hull_inspect_field_string (request, "name", node->name);
  hull_inspect_field_uint (request, "n-children", node->children->len);
  for (guint i = 0; i < node->children->len; i++)
    {
      TNode *child = g_ptr_array_index (node->children, i);

      hull_inspect_child (request, child->name, tnode_func, child);
    }
}

/* The nested a{sv} at @key of @dict, or NULL. */
static GVariant *
lookup_child (GVariant *dict, const char *key)
{
  g_autoptr (GVariant) v = g_variant_lookup_value (dict, key, G_VARIANT_TYPE_VARDICT);

  return v != NULL ? g_variant_ref (v) : NULL;
}

static void
assert_error_value (GVariant *dict, const char *pattern)
{
  const char *message = NULL;

  g_assert_cmpuint (g_variant_n_children (dict), ==, 1);
  g_assert_true (g_variant_lookup (dict, "!error", "&s", &message));
  if (!g_pattern_match_simple (pattern, message))
    g_error ("\"!error\": '%s' does not match '%s'", message, pattern);
}

/* --- fields --------------------------------------------------------- */

static void
fields_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_field_string (request, "name", "web1");
  hull_inspect_field_bool (request, "running", TRUE);
  hull_inspect_field_uint (request, "memory", G_MAXUINT64);
  hull_inspect_field_int (request, "offset", -42);
  hull_inspect_field_hex (request, "cr0", 0x80050033);
  hull_inspect_counter (request, "exits", 17);
  hull_inspect_field (request, "pair", g_variant_new ("(uu)", 1, 2));
}

static void
test_root_fields (void)
{
  const char *paths[] = { "", "/" };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) v = NULL;
      const char *s = NULL;
      gboolean b = FALSE;
      guint64 t = 0;
      gint64 x = 0;
      guint32 p1 = 0, p2 = 0;

      v = hull_inspect (paths[i], 0, fields_func, NULL, HULL_INSPECT_NO_TIMEOUT, &error);
      g_assert_no_error (error);
      g_assert_nonnull (v);
      g_assert_false (g_variant_is_floating (v));
      g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_VARDICT));
      g_assert_cmpuint (g_variant_n_children (v), ==, 7);

      g_assert_true (g_variant_lookup (v, "name", "&s", &s));
      g_assert_cmpstr (s, ==, "web1");
      g_assert_true (g_variant_lookup (v, "running", "b", &b));
      g_assert_true (b);
      g_assert_true (g_variant_lookup (v, "memory", "t", &t));
      g_assert_cmpuint (t, ==, G_MAXUINT64);
      g_assert_true (g_variant_lookup (v, "offset", "x", &x));
      g_assert_cmpint (x, ==, -42);
      g_assert_true (g_variant_lookup (v, "cr0", "&s", &s));
      g_assert_cmpstr (s, ==, "0x80050033");
      g_assert_true (g_variant_lookup (v, "exits", "t", &t));
      g_assert_cmpuint (t, ==, 17);
      g_assert_true (g_variant_lookup (v, "pair", "(uu)", &p1, &p2));
      g_assert_cmpuint (p1, ==, 1);
      g_assert_cmpuint (p2, ==, 2);
    }
}

/* Fields keep the order the func added them in. */
static void
test_fields_keep_order (void)
{
  g_autoptr (GVariant) v = NULL;
  const char *expected[] = { "name", "running", "memory", "offset", "cr0", "exits", "pair" };

  v = hull_inspect ("", 0, fields_func, NULL, HULL_INSPECT_NO_TIMEOUT, NULL);
  g_assert_cmpuint (g_variant_n_children (v), ==, G_N_ELEMENTS (expected));
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const char *key = NULL;

      g_variant_get_child (v, i, "{&sv}", &key, NULL);
      g_assert_cmpstr (key, ==, expected[i]);
    }
}

static void
hex_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_field_hex (request, "zero", 0);
  hull_inspect_field_hex (request, "word", 0xDEADBEEF);
  hull_inspect_field_hex (request, "max", G_MAXUINT64);
}

static void
test_hex (void)
{
  g_autoptr (GVariant) v = NULL;
  const char *s = NULL;

  v = hull_inspect ("", 0, hex_func, NULL, HULL_INSPECT_NO_TIMEOUT, NULL);
  g_assert_true (g_variant_lookup (v, "zero", "&s", &s));
  g_assert_cmpstr (s, ==, "0x0");
  g_assert_true (g_variant_lookup (v, "word", "&s", &s));
  g_assert_cmpstr (s, ==, "0xdeadbeef");
  g_assert_true (g_variant_lookup (v, "max", "&s", &s));
  g_assert_cmpstr (s, ==, "0xffffffffffffffff");
}

static void
invalid_utf8_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_field_string (request, "name",
                             "a\xff"
                             "b");
}

static void
test_string_made_valid (void)
{
  g_autoptr (GVariant) v = NULL;
  const char *s = NULL;

  v = hull_inspect ("", 0, invalid_utf8_func, NULL, HULL_INSPECT_NO_TIMEOUT, NULL);
  g_assert_true (g_variant_lookup (v, "name", "&s", &s));
  g_assert_true (g_utf8_validate (s, -1, NULL));
  g_assert_true (g_str_has_prefix (s, "a"));
  g_assert_true (g_str_has_suffix (s, "b"));
}

static void
slash_name_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_field_string (request, "a/b", "unaddressable");
  hull_inspect_field_string (request, "ok", "yes");
}

/* A name with '/' could never be addressed: it is a programming error. */
static void
test_slash_in_name_rejected (void)
{
  g_autoptr (GVariant) v = NULL;

  g_test_expect_message ("Hull", G_LOG_LEVEL_CRITICAL, "*name_is_valid*");
  v = hull_inspect ("", 0, slash_name_func, NULL, HULL_INSPECT_NO_TIMEOUT, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (g_variant_n_children (v), ==, 1);
  g_assert_true (g_variant_lookup (v, "ok", "&s", NULL));
}

/* --- paths ----------------------------------------------------------- */

static void
test_path_visits_only_selected_branch (void)
{
  g_autoptr (TNode) tree = tnode_new ("root", 3, 3);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;
  const char *s = NULL;

  v = hull_inspect ("c1/c2", 0, tnode_func, tree, HULL_INSPECT_NO_TIMEOUT, &error);
  g_assert_no_error (error);

  /* root, c1 and c1/c2, once each; nothing else. */
  g_assert_cmpuint (tree->calls, ==, 1);
  g_assert_cmpuint (tnode_get (tree, "c1")->calls, ==, 1);
  g_assert_cmpuint (tnode_get (tree, "c1/c2")->calls, ==, 1);
  g_assert_cmpuint (tnode_total_calls (tree), ==, 3);

  /* Only the addressed node's fields; its children are not expanded. */
  g_assert_cmpuint (g_variant_n_children (v), ==, 2);
  g_assert_true (g_variant_lookup (v, "name", "&s", &s));
  g_assert_cmpstr (s, ==, "c2");
}

static void
test_path_slashes_tolerated (void)
{
  const char *paths[] = { "c1/c0", "/c1/c0", "c1/c0/", "/c1/c0/" };

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (TNode) tree = tnode_new ("root", 2, 2);
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) v = NULL;
      const char *s = NULL;

      v = hull_inspect (paths[i], 0, tnode_func, tree, HULL_INSPECT_NO_TIMEOUT, &error);
      g_assert_no_error (error);
      g_assert_true (g_variant_lookup (v, "name", "&s", &s));
      g_assert_cmpstr (s, ==, "c0");
      g_assert_cmpuint (tnode_get (tree, "c1/c0")->calls, ==, 1);
      g_assert_cmpuint (tnode_total_calls (tree), ==, 3);
    }
}

/* A path whose last component names a field answers { name: value }. */
static void
test_path_to_field (void)
{
  g_autoptr (TNode) tree = tnode_new ("root", 2, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;
  const char *s = NULL;

  v = hull_inspect ("c1/name", 5, tnode_func, tree, HULL_INSPECT_NO_TIMEOUT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_n_children (v), ==, 1);
  g_assert_true (g_variant_lookup (v, "name", "&s", &s));
  g_assert_cmpstr (s, ==, "c1");
  /* c1's children are not visited: the field is below c1, not a node. */
  g_assert_cmpuint (tnode_total_calls (tree), ==, 2);
}

typedef struct
{
  const char *path;
  const char *message;
} NotFoundCase;

static void
test_path_not_found (void)
{
  const NotFoundCase cases[] = {
    { "nope", "inspect path 'nope': no node 'nope'" },
    { "c1/nope/deeper", "inspect path 'c1/nope/deeper': no node 'c1/nope'" },
    /* Depth beyond the tree. */
    { "c0/c0/c0/c0", "inspect path 'c0/c0/c0/c0': no node 'c0/c0/c0/c0'" },
    /* A field is not a node: nothing lies below it. */
    { "c1/name/x", "inspect path 'c1/name/x': no node 'c1/name'" },
    { "/nope/", "inspect path 'nope': no node 'nope'" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (TNode) tree = tnode_new ("root", 2, 3);
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) v = NULL;

      v = hull_inspect (cases[i].path, 1, tnode_func, tree, HULL_INSPECT_NO_TIMEOUT, &error);
      g_assert_null (v);
      g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

static void
test_path_invalid (void)
{
  const char *paths[] = { "a//b", "//a", "a//", "//" };
  g_autoptr (TNode) tree = tnode_new ("root", 1, 1);

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *expected
          = g_strdup_printf ("inspect path '%s' has an empty component", paths[i]);

      g_assert_null (hull_inspect (paths[i], 0, tnode_func, tree, 0, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (error->message, ==, expected);
    }
  /* The func is never called for a malformed request. */
  g_assert_cmpuint (tnode_total_calls (tree), ==, 0);
}

static void
test_path_too_deep (void)
{
  g_autoptr (TNode) tree = tnode_new ("root", 1, 1);
  g_autoptr (GString) path = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;

  for (guint i = 0; i < HULL_INSPECT_MAX_DEPTH + 1; i++)
    g_string_append (path, i == 0 ? "a" : "/a");
  g_assert_null (hull_inspect (path->str, 0, tnode_func, tree, 0, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "inspect path has 4097 components, above the maximum of 4096");
  g_clear_error (&error);

  /* Exactly the maximum is a valid path (here, one that does not exist). */
  g_string_truncate (path, path->len - 2);
  v = hull_inspect (path->str, 0, tnode_func, tree, 0, &error);
  g_assert_null (v);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
  g_assert_cmpuint (tnode_total_calls (tree), ==, 1);
}

static void
test_depth_too_large (void)
{
  g_autoptr (TNode) tree = tnode_new ("root", 1, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;

  g_assert_null (hull_inspect ("", HULL_INSPECT_MAX_DEPTH + 1, tnode_func, tree, 0, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==, "inspect depth 4097 is above the maximum of 4096");
  g_assert_cmpuint (tnode_total_calls (tree), ==, 0);

  v = hull_inspect ("", HULL_INSPECT_MAX_DEPTH, tnode_func, tree, 0, NULL);
  g_assert_nonnull (v);
  g_assert_cmpuint (tnode_total_calls (tree), ==, 2);
}

/* --- depth ----------------------------------------------------------- */

static void
test_depth_0 (void)
{
  g_autoptr (TNode) tree = tnode_new ("root", 2, 3);
  g_autoptr (GVariant) v = NULL;

  v = hull_inspect ("", 0, tnode_func, tree, HULL_INSPECT_NO_TIMEOUT, NULL);
  /* Fields only; children omitted entirely and never visited. */
  g_assert_cmpuint (g_variant_n_children (v), ==, 2);
  g_assert_true (g_variant_lookup (v, "name", "&s", NULL));
  g_assert_true (g_variant_lookup (v, "n-children", "t", NULL));
  g_assert_false (g_variant_lookup (v, "c0", "@a{sv}", NULL));
  g_assert_cmpuint (tnode_total_calls (tree), ==, 1);
}

static void
test_depth_1 (void)
{
  g_autoptr (TNode) tree = tnode_new ("root", 2, 3);
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) c0 = NULL;
  g_autoptr (GVariant) c1 = NULL;
  const char *s = NULL;

  v = hull_inspect ("", 1, tnode_func, tree, HULL_INSPECT_NO_TIMEOUT, NULL);
  g_assert_cmpuint (g_variant_n_children (v), ==, 4);
  c0 = lookup_child (v, "c0");
  c1 = lookup_child (v, "c1");
  g_assert_nonnull (c0);
  g_assert_nonnull (c1);
  /* Children with their fields, and no grandchildren. */
  g_assert_cmpuint (g_variant_n_children (c0), ==, 2);
  g_assert_true (g_variant_lookup (c1, "name", "&s", &s));
  g_assert_cmpstr (s, ==, "c1");
  g_assert_cmpuint (tnode_total_calls (tree), ==, 3);
}

static void
test_depth_2 (void)
{
  g_autoptr (TNode) tree = tnode_new ("root", 2, 3);
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) c1 = NULL;
  g_autoptr (GVariant) c1c0 = NULL;
  const char *s = NULL;

  v = hull_inspect ("", 2, tnode_func, tree, HULL_INSPECT_NO_TIMEOUT, NULL);
  c1 = lookup_child (v, "c1");
  g_assert_cmpuint (g_variant_n_children (c1), ==, 4);
  c1c0 = lookup_child (c1, "c0");
  g_assert_true (g_variant_lookup (c1c0, "name", "&s", &s));
  g_assert_cmpstr (s, ==, "c0");
  g_assert_cmpuint (g_variant_n_children (c1c0), ==, 2);
  /* root + 2 + 4 */
  g_assert_cmpuint (tnode_total_calls (tree), ==, 7);
}

/* Depth counts from the addressed node, not from the root. */
static void
test_depth_below_path (void)
{
  g_autoptr (TNode) tree = tnode_new ("root", 2, 3);
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) c0 = NULL;

  v = hull_inspect ("c1", 1, tnode_func, tree, HULL_INSPECT_NO_TIMEOUT, NULL);
  g_assert_cmpuint (g_variant_n_children (v), ==, 4);
  c0 = lookup_child (v, "c0");
  g_assert_cmpuint (g_variant_n_children (c0), ==, 2);
  g_assert_cmpuint (tnode_total_calls (tree), ==, 4);
  g_assert_cmpuint (tnode_get (tree, "c0")->calls, ==, 0);
}

/* --- duplicates ------------------------------------------------------- */

static void
count_func (gpointer object, HullInspectRequest *request)
{
  guint *calls = object;

  (*calls)++;
  hull_inspect_field_uint (request, "calls", *calls);
}

static void
duplicates_func (gpointer object, HullInspectRequest *request)
{
  guint *calls = object;

  hull_inspect_field_string (request, "a", "first");
  hull_inspect_field_string (request, "a", "second");
  hull_inspect_child (request, "kid", count_func, calls);
  hull_inspect_child (request, "kid", count_func, calls);
  hull_inspect_field_string (request, "kid", "a field");
}

static void
test_duplicates_first_wins (void)
{
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) kid = NULL;
  const char *s = NULL;
  guint calls = 0;

  g_test_expect_message ("Hull", G_LOG_LEVEL_WARNING, "*duplicate field 'a'*");
  g_test_expect_message ("Hull", G_LOG_LEVEL_WARNING, "*duplicate child 'kid'*");
  g_test_expect_message ("Hull", G_LOG_LEVEL_WARNING, "*duplicate field 'kid'*");
  v = hull_inspect ("", 1, duplicates_func, &calls, HULL_INSPECT_NO_TIMEOUT, NULL);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (g_variant_n_children (v), ==, 2);
  g_assert_true (g_variant_lookup (v, "a", "&s", &s));
  g_assert_cmpstr (s, ==, "first");
  kid = lookup_child (v, "kid");
  g_assert_nonnull (kid);
  /* The ignored duplicate child's func never ran. */
  g_assert_cmpuint (calls, ==, 1);
}

/* --- failed nodes ----------------------------------------------------- */

static void
failing_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_field_string (request, "discarded", "yes");
  hull_inspect_child (request, "also-discarded", count_func, object);
  hull_inspect_failed (request, "VP 3 is not running");
  hull_inspect_field_string (request, "after", "ignored");
  hull_inspect_failed (request, "second failure ignored");
}

static void
with_failing_child_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_field_string (request, "name", "parent");
  hull_inspect_child (request, "broken", failing_func, object);
}

static void
test_failed_node (void)
{
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) broken = NULL;
  guint calls = 0;

  v = hull_inspect ("", 5, with_failing_child_func, &calls, HULL_INSPECT_NO_TIMEOUT, NULL);
  g_assert_cmpuint (g_variant_n_children (v), ==, 2);
  broken = lookup_child (v, "broken");
  assert_error_value (broken, "VP 3 is not running");

  g_clear_pointer (&v, g_variant_unref);
  v = hull_inspect ("broken", 0, with_failing_child_func, &calls, HULL_INSPECT_NO_TIMEOUT, NULL);
  assert_error_value (v, "VP 3 is not running");
}

/* A path through a failed node answers with the error, naming that node. */
static void
test_failed_ancestor (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;
  guint calls = 0;

  v = hull_inspect ("broken/also-discarded", 0, with_failing_child_func, &calls,
                    HULL_INSPECT_NO_TIMEOUT, &error);
  g_assert_no_error (error);
  assert_error_value (v, "inspect node 'broken': VP 3 is not running");
}

/* --- deferred nodes ---------------------------------------------------- */

static gpointer
complete_vp_thread (gpointer data)
{
  HullInspectDeferred *deferred = data;
  HullInspectRequest *request = hull_inspect_deferred_get_request (deferred);

  g_usleep (10 * 1000);
  hull_inspect_field_string (request, "state", "running");
  hull_inspect_field_hex (request, "rip", 0xfff0);
  hull_inspect_deferred_complete (deferred);
  return NULL;
}

static void
vp_func (gpointer object, HullInspectRequest *request)
{
  GThread **thread = object;

  hull_inspect_field_string (request, "sync-field", "kept");
  *thread = g_thread_new ("vp", complete_vp_thread, hull_inspect_defer (request));
}

static void
partition_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_field_uint (request, "vp-count", 1);
  hull_inspect_child (request, "vp0", vp_func, object);
}

static void
test_defer_completed_on_thread (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) vp0 = NULL;
  GThread *thread = NULL;
  const char *s = NULL;

  v = hull_inspect ("", 1, partition_func, &thread, LONG_TIMEOUT_US, &error);
  g_assert_no_error (error);
  g_thread_join (thread);

  vp0 = lookup_child (v, "vp0");
  g_assert_nonnull (vp0);
  g_assert_cmpuint (g_variant_n_children (vp0), ==, 3);
  g_assert_true (g_variant_lookup (vp0, "sync-field", "&s", &s));
  g_assert_cmpstr (s, ==, "kept");
  g_assert_true (g_variant_lookup (vp0, "state", "&s", &s));
  g_assert_cmpstr (s, ==, "running");
  g_assert_true (g_variant_lookup (vp0, "rip", "&s", &s));
  g_assert_cmpstr (s, ==, "0xfff0");
}

/* The root itself can be deferred. */
static void
root_defer_func (gpointer object, HullInspectRequest *request)
{
  GThread **thread = object;

  *thread = g_thread_new ("root", complete_vp_thread, hull_inspect_defer (request));
}

static void
test_defer_root (void)
{
  g_autoptr (GVariant) v = NULL;
  GThread *thread = NULL;
  const char *s = NULL;

  v = hull_inspect ("/", 0, root_defer_func, &thread, LONG_TIMEOUT_US, NULL);
  g_thread_join (thread);
  g_assert_true (g_variant_lookup (v, "state", "&s", &s));
  g_assert_cmpstr (s, ==, "running");
}

/* A stuck node: its handle is kept and answered after hull_inspect() has
 * returned, on another thread, with fields, children and a nested deferral
 * (which is answered too). Nothing of it may reach the result, and nothing
 * may leak or be touched after being freed (valgrind). */
typedef struct
{
  HullInspectDeferred *stuck;
  HullInspectDeferred *nested;
  guint late_child_calls;
} StuckCtx;

static void
late_child_func (gpointer object, HullInspectRequest *request)
{
  StuckCtx *ctx = object;

  ctx->late_child_calls++;
  hull_inspect_field_string (request, "late", "yes");
  ctx->nested = hull_inspect_defer (request);
}

static gpointer
late_answer_thread (gpointer data)
{
  StuckCtx *ctx = data;
  HullInspectRequest *request = hull_inspect_deferred_get_request (ctx->stuck);

  hull_inspect_field_string (request, "state", "late");
  hull_inspect_child (request, "late-child", late_child_func, ctx);
  hull_inspect_failed (request, "too late anyway");
  hull_inspect_deferred_complete (ctx->stuck);
  if (ctx->nested != NULL)
    {
      hull_inspect_field_uint (hull_inspect_deferred_get_request (ctx->nested), "x", 1);
      hull_inspect_deferred_complete (ctx->nested);
    }
  return NULL;
}

static void
stuck_vp_func (gpointer object, HullInspectRequest *request)
{
  StuckCtx *ctx = object;

  hull_inspect_field_string (request, "before-defer", "not shown");
  ctx->stuck = hull_inspect_defer (request);
}

static void
stuck_partition_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_field_string (request, "name", "web1");
  hull_inspect_child (request, "vp0", stuck_vp_func, object);
  hull_inspect_child (request, "vp1", fields_func, NULL);
}

static void
test_defer_timeout (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) vp0 = NULL;
  g_autoptr (GVariant) vp1 = NULL;
  StuckCtx ctx = { 0 };
  gint64 start, elapsed;

  start = g_get_monotonic_time ();
  v = hull_inspect ("", 1, stuck_partition_func, &ctx, SHORT_TIMEOUT_US, &error);
  elapsed = g_get_monotonic_time () - start;
  g_assert_no_error (error);
  g_assert_nonnull (ctx.stuck);

  /* It waited for the deadline, and not much longer. */
  g_assert_cmpint (elapsed, >=, SHORT_TIMEOUT_US);
  g_assert_cmpint (elapsed, <, SHORT_TIMEOUT_US + SLACK_US);

  g_assert_cmpuint (g_variant_n_children (v), ==, 3);
  vp0 = lookup_child (v, "vp0");
  assert_error_value (vp0, "timed out after 200 ms");
  /* Its siblings are answered normally. */
  vp1 = lookup_child (v, "vp1");
  g_assert_cmpuint (g_variant_n_children (vp1), ==, 7);

  /* Free the result first: the late answer must not need it. */
  g_clear_pointer (&v, g_variant_unref);
  g_clear_pointer (&vp0, g_variant_unref);
  g_clear_pointer (&vp1, g_variant_unref);
  g_thread_join (g_thread_new ("late", late_answer_thread, &ctx));
  /* Once the answer is discarded, children are not visited. */
  g_assert_cmpuint (ctx.late_child_calls, ==, 0);
  g_assert_null (ctx.nested);
}

/* The path leads through a deferred node that times out. */
static void
test_defer_timeout_on_path (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;
  StuckCtx ctx = { 0 };

  v = hull_inspect ("vp0/registers", 0, stuck_partition_func, &ctx, SHORT_TIMEOUT_US, &error);
  g_assert_no_error (error);
  assert_error_value (v, "inspect node 'vp0': timed out after 200 ms");

  g_thread_join (g_thread_new ("late", late_answer_thread, &ctx));
}

/* Nested deferral, and a path that runs through deferred nodes: "vp0" is
 * answered on thread A, which adds "regs" and defers it to thread B, which
 * adds "cr0". */
typedef struct
{
  Mailbox *queue; /* HullInspectDeferred to answer, then STOP */
} Worker;

static void
regs_func (gpointer object, HullInspectRequest *request)
{
  Worker *b = object;

  hull_inspect_field_string (request, "answered-by", "deferring");
  mailbox_push (b->queue, hull_inspect_defer (request));
}

static gpointer
worker_b_thread (gpointer data)
{
  Worker *b = data;
  HullInspectDeferred *deferred;

  while ((deferred = mailbox_pop (b->queue)) != STOP)
    {
      HullInspectRequest *request = hull_inspect_deferred_get_request (deferred);

      g_usleep (5 * 1000);
      hull_inspect_field_hex (request, "cr0", 0x11);
      hull_inspect_deferred_complete (deferred);
    }
  return NULL;
}

typedef struct
{
  HullInspectDeferred *deferred;
  Worker *b;
} NestedJob;

static gpointer
worker_a_thread (gpointer data)
{
  NestedJob *job = data;
  HullInspectRequest *request = hull_inspect_deferred_get_request (job->deferred);

  g_usleep (5 * 1000);
  hull_inspect_field_string (request, "answered-by", "a");
  hull_inspect_child (request, "regs", regs_func, job->b);
  hull_inspect_deferred_complete (job->deferred);
  return NULL;
}

typedef struct
{
  Worker *b;
  NestedJob job;
  GThread *a;
} NestedCtx;

static void
nested_vp_func (gpointer object, HullInspectRequest *request)
{
  NestedCtx *ctx = object;

  ctx->job.deferred = hull_inspect_defer (request);
  ctx->job.b = ctx->b;
  ctx->a = g_thread_new ("a", worker_a_thread, &ctx->job);
}

static void
nested_partition_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_child (request, "vp0", nested_vp_func, object);
}

static void
run_nested (const char *path, guint depth, GVariant **out)
{
  Worker b = { mailbox_new () };
  NestedCtx ctx = { &b };
  GThread *thread_b = g_thread_new ("b", worker_b_thread, &b);
  g_autoptr (GError) error = NULL;

  *out = hull_inspect (path, depth, nested_partition_func, &ctx, LONG_TIMEOUT_US, &error);
  g_assert_no_error (error);
  g_thread_join (ctx.a);
  mailbox_push (b.queue, STOP);
  g_thread_join (thread_b);
  mailbox_free (b.queue);
}

static void
test_defer_nested (void)
{
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) vp0 = NULL;
  g_autoptr (GVariant) regs = NULL;
  const char *s = NULL;

  run_nested ("", 5, &v);
  vp0 = lookup_child (v, "vp0");
  g_assert_true (g_variant_lookup (vp0, "answered-by", "&s", &s));
  g_assert_cmpstr (s, ==, "a");
  regs = lookup_child (vp0, "regs");
  g_assert_nonnull (regs);
  g_assert_cmpuint (g_variant_n_children (regs), ==, 2);
  g_assert_true (g_variant_lookup (regs, "answered-by", "&s", &s));
  g_assert_cmpstr (s, ==, "deferring");
  g_assert_true (g_variant_lookup (regs, "cr0", "&s", &s));
  g_assert_cmpstr (s, ==, "0x11");
}

static void
test_defer_nested_on_path (void)
{
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) field = NULL;
  const char *s = NULL;

  run_nested ("vp0/regs", 0, &v);
  g_assert_cmpuint (g_variant_n_children (v), ==, 2);
  g_assert_true (g_variant_lookup (v, "cr0", "&s", &s));
  g_assert_cmpstr (s, ==, "0x11");

  run_nested ("vp0/regs/cr0", 0, &field);
  g_assert_cmpuint (g_variant_n_children (field), ==, 1);
  g_assert_true (g_variant_lookup (field, "cr0", "&s", &s));
  g_assert_cmpstr (s, ==, "0x11");
}

static gpointer
fail_thread (gpointer data)
{
  HullInspectDeferred *deferred = data;

  hull_inspect_field_string (hull_inspect_deferred_get_request (deferred), "x", "discarded");
  hull_inspect_deferred_fail (deferred, "VP thread is gone");
  return NULL;
}

static void
fail_vp_func (gpointer object, HullInspectRequest *request)
{
  GThread **thread = object;

  *thread = g_thread_new ("fail", fail_thread, hull_inspect_defer (request));
}

static void
fail_partition_func (gpointer object, HullInspectRequest *request)
{
  hull_inspect_child (request, "vp0", fail_vp_func, object);
}

static void
test_defer_failed (void)
{
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) vp0 = NULL;
  GThread *thread = NULL;

  v = hull_inspect ("", 1, fail_partition_func, &thread, LONG_TIMEOUT_US, NULL);
  g_thread_join (thread);
  vp0 = lookup_child (v, "vp0");
  assert_error_value (vp0, "VP thread is gone");
}

/* 1000 deferred children answered by 8 threads, in whatever order. */
#define STRESS_CHILDREN 1000
#define STRESS_THREADS 8

static void
stress_child_func (gpointer object, HullInspectRequest *request)
{
  mailbox_push (object, hull_inspect_defer (request));
}

static void
stress_root_func (gpointer object, HullInspectRequest *request)
{
  for (guint i = 0; i < STRESS_CHILDREN; i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "vp%u", i);
      hull_inspect_child (request, name, stress_child_func, object);
    }
}

static gpointer
stress_thread (gpointer data)
{
  Mailbox *queue = data;
  HullInspectDeferred *deferred;

  while ((deferred = mailbox_pop (queue)) != STOP)
    {
      HullInspectRequest *request = hull_inspect_deferred_get_request (deferred);
      g_autofree char *thread_name = g_strdup_printf ("%p", (void *)g_thread_self ());

      hull_inspect_field_string (request, "thread", thread_name);
      hull_inspect_field_bool (request, "done", TRUE);
      hull_inspect_deferred_complete (deferred);
    }
  return NULL;
}

static void
test_defer_stress (void)
{
  g_autoptr (Mailbox) queue = mailbox_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;
  GThread *threads[STRESS_THREADS];
  GVariantIter iter;
  const char *key = NULL;
  GVariant *child = NULL;
  guint n = 0;

  for (guint i = 0; i < STRESS_THREADS; i++)
    threads[i] = g_thread_new ("stress", stress_thread, queue);

  v = hull_inspect ("", 1, stress_root_func, queue, LONG_TIMEOUT_US, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < STRESS_THREADS; i++)
    mailbox_push (queue, STOP);
  for (guint i = 0; i < STRESS_THREADS; i++)
    g_thread_join (threads[i]);

  /* Every child, in the order they were added, fully answered. */
  g_assert_cmpuint (g_variant_n_children (v), ==, STRESS_CHILDREN);
  g_variant_iter_init (&iter, v);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &child))
    {
      g_autofree char *expected = g_strdup_printf ("vp%u", n++);
      gboolean done = FALSE;

      g_assert_cmpstr (key, ==, expected);
      g_assert_true (g_variant_lookup (child, "done", "b", &done));
      g_assert_true (done);
      g_assert_cmpuint (g_variant_n_children (child), ==, 2);
      g_variant_unref (child);
    }
  g_assert_cmpuint (n, ==, STRESS_CHILDREN);
}

/* The same, with a deadline that passes while the threads are answering:
 * each child is either answered or timed out, and answers racing the
 * deadline are safe (valgrind, helgrind). */
static gpointer
racing_thread (gpointer data)
{
  Mailbox *queue = data;
  HullInspectDeferred *deferred;
  guint n = 0;

  while ((deferred = mailbox_pop (queue)) != STOP)
    {
      HullInspectRequest *request = hull_inspect_deferred_get_request (deferred);

      if (n++ % 4 == 0)
        g_usleep (1000);
      hull_inspect_field_bool (request, "done", TRUE);
      hull_inspect_child (request, "nested", stress_child_func, queue);
      hull_inspect_deferred_complete (deferred);
    }
  return NULL;
}

static void
test_defer_stress_racing_deadline (void)
{
  g_autoptr (Mailbox) queue = mailbox_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = NULL;
  GThread *threads[STRESS_THREADS];
  GVariantIter iter;
  const char *key = NULL;
  GVariant *child = NULL;
  gpointer item;
  guint n = 0;
  guint n_timed_out = 0;

  for (guint i = 0; i < STRESS_THREADS; i++)
    threads[i] = g_thread_new ("racing", racing_thread, queue);

  v = hull_inspect ("", 2, stress_root_func, queue, 20 * 1000, &error);
  g_assert_no_error (error);

  /* Let the threads drain the queue (nested handles included) before
   * stopping them: every handle must be answered. */
  while (mailbox_length (queue) > 0)
    g_usleep (1000);
  for (guint i = 0; i < STRESS_THREADS; i++)
    mailbox_push (queue, STOP);
  for (guint i = 0; i < STRESS_THREADS; i++)
    g_thread_join (threads[i]);
  /* A nested handle pushed after a thread saw its stop marker. */
  while ((item = mailbox_try_pop (queue)) != NULL)
    hull_inspect_deferred_complete (item);

  g_assert_cmpuint (g_variant_n_children (v), ==, STRESS_CHILDREN);
  g_variant_iter_init (&iter, v);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &child))
    {
      const char *message = NULL;
      gboolean done = FALSE;

      n++;
      if (g_variant_lookup (child, "!error", "&s", &message))
        {
          g_assert_cmpstr (message, ==, "timed out after 20 ms");
          n_timed_out++;
        }
      else
        {
          g_autoptr (GVariant) nested = lookup_child (child, "nested");

          g_assert_true (g_variant_lookup (child, "done", "b", &done));
          g_assert_true (done);
          g_assert_nonnull (nested);
        }
      g_variant_unref (child);
    }
  g_assert_cmpuint (n, ==, STRESS_CHILDREN);
  g_test_message ("%u answered, %u timed out", n - n_timed_out, n_timed_out);
}

/* --- JSON ---------------------------------------------------------- */

static void
test_json (void)
{
  g_autoptr (GVariant) v = NULL;
  g_autoptr (JsonNode) json = NULL;
  g_autofree char *text = NULL;
  JsonObject *root;
  JsonObject *vp1;
  GThread *thread = NULL;

  v = hull_inspect ("", 1, partition_func, &thread, LONG_TIMEOUT_US, NULL);
  g_thread_join (thread);

  json = json_gvariant_serialize (v);
  g_assert_cmpint (json_node_get_node_type (json), ==, JSON_NODE_OBJECT);
  root = json_node_get_object (json);
  g_assert_cmpint (json_object_get_int_member (root, "vp-count"), ==, 1);
  vp1 = json_object_get_object_member (root, "vp0");
  g_assert_nonnull (vp1);
  g_assert_cmpstr (json_object_get_string_member (vp1, "rip"), ==, "0xfff0");
  g_assert_cmpstr (json_object_get_string_member (vp1, "state"), ==, "running");

  text = json_to_string (json, FALSE);
  g_assert_nonnull (strstr (text, "\"rip\":\"0xfff0\""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hull/inspect/root/fields", test_root_fields);
  g_test_add_func ("/hull/inspect/root/fields-keep-order", test_fields_keep_order);
  g_test_add_func ("/hull/inspect/field/hex-lower-case", test_hex);
  g_test_add_func ("/hull/inspect/field/string-made-valid-utf8", test_string_made_valid);
  g_test_add_func ("/hull/inspect/field/slash-in-name-rejected", test_slash_in_name_rejected);
  g_test_add_func ("/hull/inspect/path/visits-only-selected-branch",
                   test_path_visits_only_selected_branch);
  g_test_add_func ("/hull/inspect/path/slashes-tolerated", test_path_slashes_tolerated);
  g_test_add_func ("/hull/inspect/path/to-field", test_path_to_field);
  g_test_add_func ("/hull/inspect/path/not-found", test_path_not_found);
  g_test_add_func ("/hull/inspect/path/empty-component-invalid", test_path_invalid);
  g_test_add_func ("/hull/inspect/path/too-deep-invalid", test_path_too_deep);
  g_test_add_func ("/hull/inspect/depth/too-large-invalid", test_depth_too_large);
  g_test_add_func ("/hull/inspect/depth/0-fields-only", test_depth_0);
  g_test_add_func ("/hull/inspect/depth/1-children-with-fields", test_depth_1);
  g_test_add_func ("/hull/inspect/depth/2-grandchildren", test_depth_2);
  g_test_add_func ("/hull/inspect/depth/counts-from-addressed-node", test_depth_below_path);
  g_test_add_func ("/hull/inspect/duplicates/first-wins", test_duplicates_first_wins);
  g_test_add_func ("/hull/inspect/failed/node", test_failed_node);
  g_test_add_func ("/hull/inspect/failed/ancestor-on-path", test_failed_ancestor);
  g_test_add_func ("/hull/inspect/defer/completed-on-thread", test_defer_completed_on_thread);
  g_test_add_func ("/hull/inspect/defer/root", test_defer_root);
  g_test_add_func ("/hull/inspect/defer/timeout-then-late-answer", test_defer_timeout);
  g_test_add_func ("/hull/inspect/defer/timeout-on-path", test_defer_timeout_on_path);
  g_test_add_func ("/hull/inspect/defer/nested", test_defer_nested);
  g_test_add_func ("/hull/inspect/defer/nested-on-path", test_defer_nested_on_path);
  g_test_add_func ("/hull/inspect/defer/failed", test_defer_failed);
  g_test_add_func ("/hull/inspect/defer/stress-1000-children-8-threads", test_defer_stress);
  g_test_add_func ("/hull/inspect/defer/stress-racing-deadline", test_defer_stress_racing_deadline);
  g_test_add_func ("/hull/inspect/json", test_json);

  return g_test_run ();
}
