/* test-config.c — hulld.conf: parsing, line-numbered errors and quota
 * resolution (daemon/hull-config.c, docs/policy.md). Uses the user and
 * group "root" (uid and gid 0) and the group "nogroup" or "daemon", which
 * every Debian system has. */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hull-config.h"
#include "hull-error.h"

static HullConfig *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  HullConfig *config = hull_config_parse (text, strlen (text), "hulld.conf", &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

/* Fails to parse, with a message that starts with "hulld.conf:LINE: " and
 * contains @part. */
static void
parse_fails (const char *text, guint line, const char *part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullConfig) config = hull_config_parse (text, strlen (text), "hulld.conf", &error);
  g_autofree char *prefix = g_strdup_printf ("hulld.conf:%u: ", line);

  g_assert_null (config);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_test_message ("%s", error->message);
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("expected '%s…', got '%s'", prefix, error->message);
  if (strstr (error->message, part) == NULL)
    g_error ("expected '%s' in '%s'", part, error->message);
}

/* A group other than root that exists here. */
static const char *
other_group (gid_t *gid)
{
  static const char *const names[] = { "nogroup", "daemon", "bin", "sys" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      struct group *group = getgrnam (names[i]);

      if (group != NULL && group->gr_gid != 0)
        {
          *gid = group->gr_gid;
          return names[i];
        }
    }
  g_assert_not_reached ();
}

static void
test_empty_is_default (void)
{
  g_autoptr (HullConfig) config = parse_ok ("");
  g_autoptr (HullConfig) comments = parse_ok ("# nothing\n\n   # indented\n");
  HullQuota quota;

  g_assert_cmpint (hull_config_get_authority (config), ==, HULL_CONFIG_AUTHORITY_AUTO);
  hull_config_get_quota (config, 1000, NULL, 0, &quota);
  g_assert_cmpuint (quota.domains, ==, HULL_QUOTA_UNLIMITED);
  g_assert_cmpuint (quota.vcpus, ==, HULL_QUOTA_UNLIMITED);
  g_assert_cmpuint (quota.memory, ==, HULL_QUOTA_UNLIMITED);
  g_assert_cmpint (hull_config_get_authority (comments), ==, HULL_CONFIG_AUTHORITY_AUTO);
}

static void
test_full (void)
{
  gid_t gid;
  const char *group = other_group (&gid);
  g_autofree char *text = g_strdup_printf ("# Hull\n"
                                           "[policy]\n"
                                           "admin-group = %s\n"
                                           "authority=builtin\n"
                                           "\n"
                                           "[quota]\n"
                                           "domains=10\n"
                                           "vcpus=16\n"
                                           "memory=32GiB\n"
                                           "[quota group %s]\n"
                                           "vcpus=unlimited\n"
                                           "memory = 512 MiB\r\n",
                                           group, group);
  g_autoptr (HullConfig) config = parse_ok (text);
  guint32 gids[] = { gid };
  HullQuota quota;

  g_assert_cmpuint (hull_config_get_admin_gid (config), ==, gid);
  g_assert_cmpint (hull_config_get_authority (config), ==, HULL_CONFIG_AUTHORITY_BUILTIN);
  /* No group: the defaults. */
  hull_config_get_quota (config, 1000, NULL, 0, &quota);
  g_assert_cmpuint (quota.domains, ==, 10);
  g_assert_cmpuint (quota.vcpus, ==, 16);
  g_assert_cmpuint (quota.memory, ==, G_GUINT64_CONSTANT (32) << 30);
  /* The group's keys, and the defaults for what it leaves out. */
  hull_config_get_quota (config, 1000, gids, 1, &quota);
  g_assert_cmpuint (quota.domains, ==, 10);
  g_assert_cmpuint (quota.vcpus, ==, HULL_QUOTA_UNLIMITED);
  g_assert_cmpuint (quota.memory, ==, 512 << 20);
}

static void
test_polkit_and_empty_admin_group (void)
{
  g_autoptr (HullConfig) config = parse_ok ("[policy]\nauthority=polkit\nadmin-group=\n");

  g_assert_cmpint (hull_config_get_authority (config), ==, HULL_CONFIG_AUTHORITY_POLKIT);
  g_assert_cmpuint (hull_config_get_admin_gid (config), ==, HULL_CONFIG_NO_GID);
}

static void
test_quota_resolution (void)
{
  gid_t gid;
  const char *group = other_group (&gid);
  g_autofree char *text = g_strdup_printf ("[quota]\n"
                                           "domains=2\n"
                                           "vcpus=2\n"
                                           "[quota group root]\n"
                                           "domains=5\n"
                                           "vcpus=1\n"
                                           "[quota group %s]\n"
                                           "domains=3\n"
                                           "vcpus=8\n"
                                           "memory=1GiB\n",
                                           group);
  g_autoptr (HullConfig) config = parse_ok (text);
  guint32 both[] = { 0, gid };
  guint32 unrelated[] = { 4242 };
  HullQuota quota;

  /* Several groups: the most generous value of each key. */
  hull_config_get_quota (config, 1000, both, 2, &quota);
  g_assert_cmpuint (quota.domains, ==, 5);
  g_assert_cmpuint (quota.vcpus, ==, 8);
  /* memory: root's group leaves it out, so [quota]'s (unlimited) wins. */
  g_assert_cmpuint (quota.memory, ==, HULL_QUOTA_UNLIMITED);
  /* Groups without a section do not matter. */
  hull_config_get_quota (config, 1000, unrelated, 1, &quota);
  g_assert_cmpuint (quota.domains, ==, 2);
  g_assert_cmpuint (quota.vcpus, ==, 2);
  /* Root is unlimited, whatever its groups say... */
  hull_config_get_quota (config, 0, both, 2, &quota);
  g_assert_cmpuint (quota.domains, ==, HULL_QUOTA_UNLIMITED);
  g_assert_cmpuint (quota.vcpus, ==, HULL_QUOTA_UNLIMITED);
}

static void
test_user_section_wins (void)
{
  g_autoptr (HullConfig) config
      = parse_ok ("[quota]\ndomains=2\nvcpus=4\n[quota group root]\ndomains=9\n"
                  "[quota user root]\ndomains=1\n");
  guint32 gids[] = { 0 };
  HullQuota quota;

  /* ...unless a user section names it: then that, over the groups. */
  hull_config_get_quota (config, 0, gids, 1, &quota);
  g_assert_cmpuint (quota.domains, ==, 1);
  g_assert_cmpuint (quota.vcpus, ==, 4);
  g_assert_cmpuint (quota.memory, ==, HULL_QUOTA_UNLIMITED);
}

static void
test_errors (void)
{
  /* Syntax. */
  parse_fails ("[policy]\nthis is not a pair\n", 2, "not a group header");
  parse_fails ("vcpus=1\n[quota]\n", 1, "before any group");
  parse_fails ("[quota\n", 1, "not a valid group header");
  parse_fails ("[quota] x\n", 1, "not a valid group header");
  parse_fails ("[]\n", 1, "not a valid group header");
  parse_fails ("\n\n=3\n", 3, "not a group header");
  parse_fails ("[quota]\nvcpus=1\n\xff\xfe\n", 3, "UTF-8");
  /* Groups and keys. */
  parse_fails ("# x\n[quotas]\n", 2, "unknown group [quotas]");
  parse_fails ("[quota person root]\n", 1, "unknown group");
  parse_fails ("[quota user]\n", 1, "unknown group");
  parse_fails ("[quota user no-such-user-hull-test]\n", 1,
               "no user named 'no-such-user-hull-test'");
  parse_fails ("[quota group no-such-group-hull-test]\n", 1,
               "no group named 'no-such-group-hull-test'");
  parse_fails ("[quota]\ndomains=1\n[policy]\nauthority=auto\n[quota]\n", 5, "given twice");
  parse_fails ("[quota user root]\n[quota user root]\n", 2, "given twice");
  parse_fails ("[quota]\nvcpus=1\n\n# again\nvcpus=2\n", 5, "set twice");
  parse_fails ("[quota]\ncpus=1\n", 2, "unknown key 'cpus' in [quota]");
  parse_fails ("[policy]\nvcpus=1\n", 2, "unknown key 'vcpus' in [policy]");
  parse_fails ("[quota]\nvcpus[de]=1\n", 2, "unknown key");
  /* Values. */
  parse_fails ("[policy]\nauthority=maybe\n", 2, "auto, polkit or builtin");
  parse_fails ("[policy]\nadmin-group=no-such-group-hull-test\n", 2, "no group named");
  parse_fails ("[quota]\ndomains=-1\n", 2, "domains must be a number");
  parse_fails ("[quota]\nvcpus=lots\n", 2, "vcpus must be a number");
  parse_fails ("[quota]\nvcpus=99999999999\n", 2, "vcpus");
  parse_fails ("[quota]\nmemory=8192\n", 2, "with a unit");
  parse_fails ("[quota]\nmemory=GiB\n", 2, "with a unit");
  parse_fails ("[quota]\nmemory=8 parsecs\n", 2, "memory");
  parse_fails ("[quota]\nmemory=99999999999999999999 GiB\n", 2, "memory");
  parse_fails ("[quota]\nmemory=\\q\n", 2, "");
}

static void
test_nul_byte (void)
{
  static const char text[] = "[quota]\nvcpus=1\0\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (HullConfig) config = hull_config_parse (text, sizeof text - 1, "x.conf", &error);

  g_assert_null (config);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_assert_true (g_str_has_prefix (error->message, "x.conf:2: "));
}

static void
test_load (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hull-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "hulld.conf", NULL);
  g_autoptr (HullConfig) missing = NULL;
  g_autoptr (HullConfig) loaded = NULL;

  g_assert_no_error (error);
  /* A missing default file is the defaults; a missing --config is an error. */
  missing = hull_config_load (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (missing);
  g_assert_null (hull_config_load (path, TRUE, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_IO);
  g_clear_error (&error);

  g_file_set_contents (path, "[quota]\n\nvcpus=x\n", -1, &error);
  g_assert_no_error (error);
  g_assert_null (hull_config_load (path, FALSE, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  /* The file's path and the line. */
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, ".conf:3: "));
  g_clear_error (&error);

  g_file_set_contents (path, "[quota]\nvcpus=3\n", -1, &error);
  loaded = hull_config_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loaded);
  g_unlink (path);
  g_rmdir (dir);
}

/* The example xml/hulld.conf (installed) is a valid file. */
static void
test_example (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "xml", "hulld.conf", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (HullConfig) config = hull_config_load (path, TRUE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpint (hull_config_get_authority (config), ==, HULL_CONFIG_AUTHORITY_AUTO);
}

static void
test_quota_check (void)
{
  HullQuota quota = { 2, 4, G_GUINT64_CONSTANT (1) << 30 };
  HullQuotaUsage usage = { 1, 3, 512 << 20 };
  HullQuotaUsage full = { 2, 0, 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (
      hull_quota_check (&quota, &usage, HULL_QUOTA_CHECK_DOMAINS, "alice", "web", 2, 0, &error));
  g_assert_no_error (error);
  g_assert_true (
      hull_quota_check (&quota, &usage, HULL_QUOTA_CHECK_RUNNING, "alice", "web", 1, 0, &error));
  g_assert_no_error (error);

  g_assert_false (
      hull_quota_check (&quota, &full, HULL_QUOTA_CHECK_DOMAINS, "alice", "web", 0, 0, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_QUOTA_EXCEEDED);
  g_assert_cmpstr (error->message, ==,
                   "user 'alice' may have 2 domains; 2 are defined and domain 'web' would be "
                   "one more");
  g_clear_error (&error);

  g_assert_false (
      hull_quota_check (&quota, &usage, HULL_QUOTA_CHECK_RUNNING, "alice", "web", 2, 0, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_QUOTA_EXCEEDED);
  g_assert_cmpstr (error->message, ==,
                   "user 'alice' may run 4 vCPUs; 3 are running and domain "
                   "'web' needs 2");
  g_clear_error (&error);

  g_assert_false (hull_quota_check (&quota, &usage, HULL_QUOTA_CHECK_RUNNING, "alice", "web", 1,
                                    G_GUINT64_CONSTANT (768) << 20, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_QUOTA_EXCEEDED);
  g_assert_cmpstr (error->message, ==,
                   "user 'alice' may run domains with 1 GiB of memory in all; 512 MiB are in use "
                   "and domain 'web' needs 768 MiB");
  g_clear_error (&error);

  /* No overflow with huge needs. */
  g_assert_false (hull_quota_check (&quota, &usage, HULL_QUOTA_CHECK_RUNNING, "alice", "web",
                                    G_MAXUINT64, 0, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_QUOTA_EXCEEDED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/config/empty-is-default", test_empty_is_default);
  g_test_add_func ("/hull/config/full", test_full);
  g_test_add_func ("/hull/config/polkit-and-empty-admin-group", test_polkit_and_empty_admin_group);
  g_test_add_func ("/hull/config/quota/most-generous-group", test_quota_resolution);
  g_test_add_func ("/hull/config/quota/user-section-wins", test_user_section_wins);
  g_test_add_func ("/hull/config/errors-name-the-line", test_errors);
  g_test_add_func ("/hull/config/nul-byte", test_nul_byte);
  g_test_add_func ("/hull/config/load", test_load);
  g_test_add_func ("/hull/config/example-parses", test_example);
  g_test_add_func ("/hull/quota/check-messages", test_quota_check);
  return g_test_run ();
}
