/* Error domain: every code has its own D-Bus name, and GDBus maps both ways. */
#include "config.h"

#include <gio/gio.h>

#include "hull-error.h"

static void
test_dbus_names_unique (void)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (int code = 0; code < HULL_ERROR_N_CODES; code++)
    {
      const char *name = hull_error_dbus_name (code);

      g_assert_nonnull (name);
      g_assert_true (g_str_has_prefix (name, "org.hullvm.Hull1.Error."));
      g_assert_true (g_hash_table_add (seen, (gpointer)name));
    }
  g_assert_null (hull_error_dbus_name (HULL_ERROR_N_CODES));
  g_assert_null (hull_error_dbus_name ((HullError)-1));
}

static void
test_dbus_round_trip (void)
{
  for (int code = 0; code < HULL_ERROR_N_CODES; code++)
    {
      g_autoptr (GError) error = g_error_new (HULL_ERROR, code, "domain 'x': code %d", code);
      g_autofree char *remote = g_dbus_error_encode_gerror (error);
      g_autoptr (GError) back = NULL;

      g_assert_cmpstr (remote, ==, hull_error_dbus_name (code));
      back = g_dbus_error_new_for_dbus_error (remote, "domain 'x': message");
      g_assert_error (back, HULL_ERROR, code);
      g_dbus_error_strip_remote_error (back);
      g_assert_cmpstr (back->message, ==, "domain 'x': message");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/error/dbus-names-unique", test_dbus_names_unique);
  g_test_add_func ("/hull/error/dbus-round-trip", test_dbus_round_trip);
  return g_test_run ();
}
