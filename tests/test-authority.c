/* test-authority.c — the session rule and the built-in policy as a pure
 * decision over (caller uid, caller groups, admin gid, owner, action)
 * (daemon/hull-authority.c, docs/policy.md). uid 0 is "root" everywhere;
 * the other uids are made up, so messages name them "uid N". */
#include "config.h"

#include <string.h>

#include "hull-authority.h"
#include "hull-error.h"

#define ALICE 40001
#define BOB 40002
#define ADMINS 40100
#define STAFF 40101

static const HullAuthorityTarget alices = { "web", "8f1c0d8e-3c2a-4b8a-9d55-0d6f2d4a1b01", ALICE };
static const HullAuthorityTarget roots = { "db", "8f1c0d8e-3c2a-4b8a-9d55-0d6f2d4a1b02", 0 };

static gboolean
builtin (guint32 caller, const guint32 *gids, gsize n_gids, HullAction action,
         const HullAuthorityTarget *target, const char *method, HullAuthorityCaller *out,
         GError **error)
{
  return hull_authority_decide (HULL_AUTHORITY_BUILTIN, 0, caller, gids, n_gids, ADMINS, action,
                                target, method, out, error);
}

static void
test_action_ids (void)
{
  g_assert_cmpstr (hull_action_to_id (HULL_ACTION_READ), ==, "org.hullvm.hull1.read");
  g_assert_cmpstr (hull_action_to_id (HULL_ACTION_CREATE), ==, "org.hullvm.hull1.create");
  g_assert_cmpstr (hull_action_to_id (HULL_ACTION_MANAGE_OWN), ==, "org.hullvm.hull1.manage-own");
  g_assert_cmpstr (hull_action_to_id (HULL_ACTION_MANAGE_OTHERS), ==,
                   "org.hullvm.hull1.manage-others");
  g_assert_cmpstr (hull_action_to_id (HULL_ACTION_HOST), ==, "org.hullvm.hull1.host");
}

static void
test_builtin_owner (void)
{
  const guint32 staff[] = { STAFF };
  HullAuthorityCaller caller = { 0 };
  g_autoptr (GError) error = NULL;

  /* A user reads, creates and manages their own domains... */
  g_assert_true (builtin (ALICE, staff, 1, HULL_ACTION_READ, NULL, "ListDomains", &caller, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (caller.uid, ==, ALICE);
  g_assert_false (caller.admin);
  g_assert_true (builtin (ALICE, staff, 1, HULL_ACTION_CREATE, NULL, "DefineXML", NULL, &error));
  g_assert_true (builtin (ALICE, staff, 1, HULL_ACTION_MANAGE_OWN, &alices, "Start", NULL, &error));
  g_assert_true (builtin (ALICE, staff, 1, HULL_ACTION_READ, &alices, "GetXMLDesc", NULL, &error));
  g_assert_no_error (error);
}

static void
test_builtin_others_refused (void)
{
  const guint32 staff[] = { STAFF };
  g_autoptr (GError) error = NULL;

  /* ...but nobody else's, not even to read them. */
  g_assert_false (builtin (BOB, staff, 1, HULL_ACTION_MANAGE_OWN, &alices, "Start", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED);
  g_assert_cmpstr (error->message, ==,
                   "user 'uid 40002' may not start domain 'web' owned by "
                   "'uid 40001'");
  g_clear_error (&error);

  g_assert_false (builtin (BOB, staff, 1, HULL_ACTION_READ, &alices, "GetXMLDesc", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED);
  g_assert_cmpstr (error->message, ==,
                   "user 'uid 40002' may not read the definition of domain "
                   "'web' owned by 'uid 40001'");
  g_clear_error (&error);

  g_assert_false (
      builtin (ALICE, NULL, 0, HULL_ACTION_MANAGE_OWN, &roots, "Undefine", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED);
  g_assert_cmpstr (error->message, ==,
                   "user 'uid 40001' may not undefine domain 'db' owned by "
                   "'root'");
  g_clear_error (&error);

  /* Asking for manage-others directly is the same. */
  g_assert_false (
      builtin (ALICE, staff, 1, HULL_ACTION_MANAGE_OTHERS, &roots, "Destroy", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED);
  g_clear_error (&error);

  /* Host settings are for admins. */
  g_assert_false (builtin (ALICE, staff, 1, HULL_ACTION_HOST, NULL, "SetHost", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED);
  g_assert_nonnull (strstr (error->message, "host"));
}

static void
test_builtin_admins (void)
{
  const guint32 groups[] = { STAFF, ADMINS };
  HullAuthorityCaller caller = { 0 };
  g_autoptr (GError) error = NULL;

  /* A member of the admin group (any of its groups) may do everything. */
  g_assert_true (
      builtin (BOB, groups, 2, HULL_ACTION_MANAGE_OWN, &alices, "Destroy", &caller, &error));
  g_assert_no_error (error);
  g_assert_true (caller.admin);
  g_assert_true (builtin (BOB, groups, 2, HULL_ACTION_HOST, NULL, "SetHost", NULL, &error));
  g_assert_no_error (error);

  /* So does root, in no group at all. */
  g_assert_true (builtin (0, NULL, 0, HULL_ACTION_MANAGE_OWN, &alices, "Start", &caller, &error));
  g_assert_no_error (error);
  g_assert_true (caller.admin);
  g_assert_cmpuint (caller.uid, ==, 0);
}

static void
test_builtin_no_admin_group (void)
{
  const guint32 groups[] = { ADMINS };
  g_autoptr (GError) error = NULL;

  /* Without an admin group, only root is an admin. */
  g_assert_false (hull_authority_decide (HULL_AUTHORITY_BUILTIN, 0, BOB, groups, 1,
                                         HULL_CONFIG_NO_GID, HULL_ACTION_MANAGE_OWN, &alices,
                                         "Start", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED);
}

static void
test_session (void)
{
  HullAuthorityCaller caller = { 0 };
  g_autoptr (GError) error = NULL;

  /* A session hulld of ALICE's: ALICE and root may do everything... */
  g_assert_true (hull_authority_decide (HULL_AUTHORITY_SESSION, ALICE, ALICE, NULL, 0,
                                        HULL_CONFIG_NO_GID, HULL_ACTION_MANAGE_OWN, &roots, "Start",
                                        &caller, &error));
  g_assert_no_error (error);
  g_assert_true (caller.admin);
  g_assert_true (hull_authority_decide (HULL_AUTHORITY_SESSION, ALICE, 0, NULL, 0,
                                        HULL_CONFIG_NO_GID, HULL_ACTION_HOST, NULL, "SetHost",
                                        &caller, &error));
  g_assert_no_error (error);

  /* ...anyone else nothing, even reading, even in the admin group. */
  const guint32 groups[] = { ADMINS };
  g_assert_false (hull_authority_decide (HULL_AUTHORITY_SESSION, ALICE, BOB, groups, 1, ADMINS,
                                         HULL_ACTION_READ, NULL, "ListDomains", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED);
  g_assert_cmpstr (error->message, ==,
                   "user 'uid 40002' may not call ListDomains: this hulld "
                   "serves user 'uid 40001' only");
}

static void
test_options (void)
{
  static const HullDBusOption allowed[] = { { "paused", "b" } };
  g_autoptr (GVariant) good
      = g_variant_ref_sink (g_variant_new_parsed ("{'auth.no_user_interaction': <true>, "
                                                  "'paused': <false>}"));
  g_autoptr (GVariant) bad_type
      = g_variant_ref_sink (g_variant_new_parsed ("{'auth.no_user_interaction': <1>}"));
  g_autoptr (GVariant) unknown = g_variant_ref_sink (g_variant_new_parsed ("{'auth.uid': <0>}"));
  g_autoptr (GError) error = NULL;

  /* Every method takes auth.no_user_interaction (b); nothing else about
   * authorization, and certainly no uid, comes from the caller. */
  g_assert_true (hull_authority_check_options (good, allowed, 1, "Start", &error));
  g_assert_no_error (error);
  g_assert_false (hull_authority_check_options (bad_type, NULL, 0, "Destroy", &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (hull_authority_check_options (unknown, NULL, 0, "Destroy", &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/authority/action-ids", test_action_ids);
  g_test_add_func ("/hull/authority/builtin/owner-manages-own", test_builtin_owner);
  g_test_add_func ("/hull/authority/builtin/others-refused-with-message",
                   test_builtin_others_refused);
  g_test_add_func ("/hull/authority/builtin/admins-and-root-may-all", test_builtin_admins);
  g_test_add_func ("/hull/authority/builtin/no-admin-group", test_builtin_no_admin_group);
  g_test_add_func ("/hull/authority/session/own-uid-and-root-only", test_session);
  g_test_add_func ("/hull/authority/options/auth-no-user-interaction", test_options);
  return g_test_run ();
}
