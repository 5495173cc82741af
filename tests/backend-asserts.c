/* backend-asserts.c — see backend-asserts.h. */
#include "config.h"

#include "backend-asserts.h"

#include "hull-inspect.h"

void
assert_exit (HullVpExit actual, HullVpExit expected)
{
  g_assert_cmpstr (hull_vp_exit_to_string (actual), ==, hull_vp_exit_to_string (expected));
}

static void
inspect_partition (gpointer object, HullInspectRequest *request)
{
  HullPartition *partition = object;

  partition->ops->inspect (partition, request);
}

/* The node at @path of @partition's inspect tree; asserts it is there. */
GVariant *
partition_inspect (HullPartition *partition, const char *path)
{
  g_autoptr (GError) error = NULL;
  GVariant *node
      = hull_inspect (path, 1, inspect_partition, partition, HULL_INSPECT_NO_TIMEOUT, &error);

  g_assert_no_error (error);
  return node;
}

guint64
lookup_uint (GVariant *node, const char *key)
{
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (node, key, "t", &value));
  return value;
}
