/* hull_saved_state_open(): the one check every restore relies on. */
#include "config.h"

#include <string.h>

#include "hull-error.h"
#include "hull-saved-state.h"

#define TYPE "(uqt)" /* fixed size: version, a short, a long */

static GBytes *
state_bytes (guint32 version)
{
  g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_new (TYPE, version, 7, 42));

  return g_variant_get_data_as_bytes (v);
}

static void
test_good (void)
{
  g_autoptr (GBytes) bytes = state_bytes (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) state = hull_saved_state_open (bytes, TYPE, 3, &error);
  guint16 q;
  guint64 t;

  g_assert_no_error (error);
  g_variant_get (state, TYPE, NULL, &q, &t);
  g_assert_cmpuint (q, ==, 7);
  g_assert_cmpuint (t, ==, 42);
}

static void
test_wrong_version (void)
{
  g_autoptr (GBytes) bytes = state_bytes (2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) state = hull_saved_state_open (bytes, TYPE, 3, &error);

  g_assert_null (state);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  g_assert_nonnull (strstr (error->message, "format version 2"));
  g_assert_nonnull (strstr (error->message, "reads version 3"));
}

/* A fixed-size type read from too few or too many bytes would come out as
 * zeros rather than fail: the size is checked. */
static void
test_wrong_size (void)
{
  g_autoptr (GBytes) good = state_bytes (3);
  g_autoptr (GBytes) shorter = g_bytes_new_from_bytes (good, 0, g_bytes_get_size (good) - 1);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) state
          = hull_saved_state_open (i == 0 ? shorter : empty, TYPE, 3, &error);

      g_assert_null (state);
      g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
      g_assert_nonnull (strstr (error->message, "damaged"));
    }
}

/* A variable-size type whose framing is garbage is not in normal form. */
static void
test_not_normal_form (void)
{
  static const guint8 garbage[] = { 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x20 };
  g_autoptr (GBytes) bytes = g_bytes_new_static (garbage, sizeof garbage);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) state = hull_saved_state_open (bytes, "(uaya(uay))", 1, &error);

  g_assert_null (state);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/saved-state/good", test_good);
  g_test_add_func ("/hull/saved-state/wrong-version", test_wrong_version);
  g_test_add_func ("/hull/saved-state/wrong-size", test_wrong_size);
  g_test_add_func ("/hull/saved-state/not-normal-form", test_not_normal_form);
  return g_test_run ();
}
