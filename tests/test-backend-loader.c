/* Backend loader: finding, checking, refusing, listing and probing plugins.
 *
 * The plugins are in plugins/ (built by `make check` into plugins/.libs, next
 * to a text file named like a plugin): two good ones ("fake", available and
 * emulated; "unavailable", whose open() fails), a pair that both call
 * themselves "dup", and files broken in one way each.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "hull-backend-loader.h"
#include "hull-error.h"

static char *
plugin_dir (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_BUILT, "plugins", ".libs", NULL);

  return g_canonicalize_filename (dir, NULL);
}

static char *
plugin_path (const char *name)
{
  g_autofree char *dir = plugin_dir ();
  g_autofree char *file = g_strconcat ("hull-backend-", name, ".so", NULL);

  return g_build_filename (dir, file, NULL);
}

static HullBackendLoader *
load_plugin_dir (void)
{
  g_autofree char *dir = plugin_dir ();
  g_autoptr (HullBackendLoader) loader = hull_backend_loader_new (dir);
  g_autoptr (GError) error = NULL;

  g_assert_true (hull_backend_loader_load (loader, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&loader);
}

/* The loaded backends' names, in listing order, joined with spaces. */
static char *
listed_names (HullBackendLoader *loader)
{
  g_autoptr (GPtrArray) list = hull_backend_loader_list (loader);
  g_autoptr (GString) names = g_string_new (NULL);

  for (guint i = 0; i < list->len; i++)
    {
      HullBackendInfo *info = g_ptr_array_index (list, i);

      g_string_append_printf (names, "%s%s", i > 0 ? " " : "", info->name);
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static void
assert_failure (const GError *error, int code, const char *file, const char *problem)
{
  g_autofree char *path = plugin_path (file);
  g_autofree char *prefix = g_strconcat (path, ": ", NULL);

  g_assert_error (error, HULL_ERROR, code);
  if (!g_str_has_prefix (error->message, prefix) || strstr (error->message, problem) == NULL)
    g_error ("'%s' does not start with '%s' and say '%s'", error->message, prefix, problem);
}

/* ------------------------------------------------------------------ */

static void
test_list_good_backends (void)
{
  g_autoptr (HullBackendLoader) loader = load_plugin_dir ();
  g_autoptr (GPtrArray) list = hull_backend_loader_list (loader);
  g_autofree char *fake_path = plugin_path ("good-fake");
  g_autofree char *dup_path = plugin_path ("dup-a");
  HullBackendInfo *info;

  g_assert_cmpuint (list->len, ==, 3);

  info = g_ptr_array_index (list, 0);
  g_assert_cmpstr (info->name, ==, "dup");
  g_assert_cmpstr (info->path, ==, dup_path);

  info = g_ptr_array_index (list, 1);
  g_assert_cmpstr (info->name, ==, "fake");
  g_assert_cmpstr (info->description, ==, "A fake backend for the loader tests");
  g_assert_cmpstr (info->path, ==, fake_path);
  g_assert_true (info->available);
  g_assert_null (info->unavailable_reason);
  g_assert_cmpint (info->speed, ==, HULL_EXECUTION_EMULATED);

  info = g_ptr_array_index (list, 2);
  g_assert_cmpstr (info->name, ==, "unavailable");
  g_assert_false (info->available);
  g_assert_cmpstr (info->unavailable_reason, ==, "no /dev/fake");
  g_assert_cmpint (info->speed, ==, HULL_EXECUTION_UNKNOWN);
}

/* One failure per refused file, in name order, each naming the file. */
static void
test_failures_name_files (void)
{
  g_autoptr (HullBackendLoader) loader = load_plugin_dir ();
  g_autoptr (GPtrArray) failures = hull_backend_loader_get_failures (loader);
  g_autofree char *dup_a = plugin_path ("dup-a");
  g_autofree char *dup_problem = g_strdup_printf ("backend 'dup' is already provided by %s", dup_a);

  g_assert_cmpuint (failures->len, ==, 5);
  assert_failure (g_ptr_array_index (failures, 0), HULL_ERROR_ABI_MISMATCH, "broken-abi",
                  "built for backend ABI 999, Hull has ABI 1");
  assert_failure (g_ptr_array_index (failures, 1), HULL_ERROR_BACKEND_FAILED, "broken-nosym",
                  "no hull_backend_module symbol");
  assert_failure (g_ptr_array_index (failures, 2), HULL_ERROR_BACKEND_FAILED, "broken-null-ops",
                  "backend 'null-ops' has no hypervisor ops");
  assert_failure (g_ptr_array_index (failures, 3), HULL_ERROR_ALREADY_EXISTS, "dup-b", dup_problem);
  assert_failure (g_ptr_array_index (failures, 4), HULL_ERROR_BACKEND_FAILED, "garbage",
                  "not a loadable module: ");
}

typedef struct
{
  const char *path;
  const char *file;
  int code;
  const char *problem;
} LoadFileCase;

static const LoadFileCase load_file_cases[] = {
  { "/hull/backend-loader/load-file/good", "good-fake", -1, NULL },
  { "/hull/backend-loader/load-file/unavailable-still-loads", "unavailable", -1, NULL },
  { "/hull/backend-loader/load-file/abi-mismatch", "broken-abi", HULL_ERROR_ABI_MISMATCH,
    "built for backend ABI 999, Hull has ABI 1" },
  { "/hull/backend-loader/load-file/no-symbol", "broken-nosym", HULL_ERROR_BACKEND_FAILED,
    "no hull_backend_module symbol" },
  { "/hull/backend-loader/load-file/no-hypervisor-ops", "broken-null-ops",
    HULL_ERROR_BACKEND_FAILED, "has no hypervisor ops" },
  { "/hull/backend-loader/load-file/not-a-module", "garbage", HULL_ERROR_BACKEND_FAILED,
    "not a loadable module: " },
  { "/hull/backend-loader/load-file/missing", "no-such-plugin", HULL_ERROR_NOT_FOUND,
    "no such file" },
};

/* The same checks for one explicit file, on a fresh loader. */
static void
test_load_file (gconstpointer data)
{
  const LoadFileCase *tc = data;
  g_autoptr (HullBackendLoader) loader = hull_backend_loader_new ("/nonexistent");
  g_autofree char *path = plugin_path (tc->file);
  g_autoptr (GPtrArray) failures = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  ok = hull_backend_loader_load_file (loader, path, &error);
  if (tc->code < 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      list = hull_backend_loader_list (loader);
      g_assert_cmpuint (list->len, ==, 1);
    }
  else
    {
      g_assert_false (ok);
      assert_failure (error, tc->code, tc->file, tc->problem);
      list = hull_backend_loader_list (loader);
      g_assert_cmpuint (list->len, ==, 0);
    }
  /* Explicit loads are reported to the caller, not recorded. */
  failures = hull_backend_loader_get_failures (loader);
  g_assert_cmpuint (failures->len, ==, 0);
}

/* The second file with a name already taken is refused, naming the first. */
static void
test_load_file_duplicate (void)
{
  g_autoptr (HullBackendLoader) loader = hull_backend_loader_new ("/nonexistent");
  g_autofree char *dup_a = plugin_path ("dup-a");
  g_autofree char *dup_b = plugin_path ("dup-b");
  g_autofree char *problem = g_strdup_printf ("backend 'dup' is already provided by %s", dup_a);
  g_autoptr (GError) error = NULL;
  g_autofree char *names = NULL;

  g_assert_true (hull_backend_loader_load_file (loader, dup_a, &error));
  g_assert_no_error (error);
  g_assert_false (hull_backend_loader_load_file (loader, dup_b, &error));
  assert_failure (error, HULL_ERROR_ALREADY_EXISTS, "dup-b", problem);
  names = listed_names (loader);
  g_assert_cmpstr (names, ==, "dup");
}

/* Paths are made absolute and canonical, and loading one file again is a
 * no-op. */
static void
test_load_file_same_file_twice (void)
{
  g_autoptr (HullBackendLoader) loader = hull_backend_loader_new ("/nonexistent");
  g_autofree char *dir = plugin_dir ();
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *absolute = plugin_path ("good-fake");
  g_autofree char *dotted
      = g_build_filename (dir, "..", ".libs", "hull-backend-good-fake.so", NULL);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  HullBackendInfo *info;

  g_assert_true (hull_backend_loader_load_file (loader, absolute, &error));
  g_assert_no_error (error);
  g_assert_true (hull_backend_loader_load_file (loader, dotted, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chdir (dir), ==, 0);
  g_assert_true (hull_backend_loader_load_file (loader, "hull-backend-good-fake.so", &error));
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  g_assert_no_error (error);

  list = hull_backend_loader_list (loader);
  g_assert_cmpuint (list->len, ==, 1);
  info = g_ptr_array_index (list, 0);
  g_assert_cmpstr (info->path, ==, absolute);
}

static void
test_missing_dir (void)
{
  g_autoptr (HullBackendLoader) loader = hull_backend_loader_new ("/nonexistent/hull/backends");
  g_autoptr (GPtrArray) failures = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  GError *failure;

  g_assert_false (hull_backend_loader_load (loader, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==,
                   "the backend directory /nonexistent/hull/backends does not exist");

  /* Not fatal for listing: nothing listed, and the reason among the failures. */
  list = hull_backend_loader_list (loader);
  g_assert_cmpuint (list->len, ==, 0);
  failures = hull_backend_loader_get_failures (loader);
  g_assert_cmpuint (failures->len, ==, 1);
  failure = g_ptr_array_index (failures, 0);
  g_assert_error (failure, HULL_ERROR, HULL_ERROR_NOT_FOUND);
  g_assert_cmpstr (failure->message, ==, error->message);

  g_clear_error (&error);
  g_assert_null (hull_backend_loader_find (loader, "fake", &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==,
                   "no backend named 'fake': no backends are loaded from "
                   "/nonexistent/hull/backends");
}

static void
test_dir_is_a_file (void)
{
  g_autofree char *garbage = plugin_path ("garbage");
  g_autoptr (HullBackendLoader) loader = hull_backend_loader_new (garbage);
  g_autoptr (GError) error = NULL;

  g_assert_false (hull_backend_loader_load (loader, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_IO);
  g_assert_true (g_str_has_prefix (error->message, "cannot read the backend directory "));
  g_assert_nonnull (strstr (error->message, garbage));
}

static void
test_find (void)
{
  g_autoptr (HullBackendLoader) loader = load_plugin_dir ();
  const HullBackendModule *module;
  HullHypervisorConfig config = { .device_fd = -1 };
  HullHypervisor *hypervisor;
  g_autoptr (GError) error = NULL;

  module = hull_backend_loader_find (loader, "fake", &error);
  g_assert_no_error (error);
  g_assert_nonnull (module);
  g_assert_cmpuint (module->abi_version, ==, HULL_BACKEND_ABI_VERSION);
  g_assert_cmpstr (module->name, ==, "fake");

  hypervisor = module->hypervisor->open (&config, &error);
  g_assert_no_error (error);
  g_assert_null (module->hypervisor->new_proto_partition (hypervisor, NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
  module->hypervisor->close (hypervisor);

  /* Unavailable backends are found too: availability is the probe's. */
  g_clear_error (&error);
  module = hull_backend_loader_find (loader, "unavailable", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (module->name, ==, "unavailable");
}

static void
test_find_unknown_lists_names (void)
{
  g_autoptr (HullBackendLoader) loader = load_plugin_dir ();
  g_autoptr (GError) error = NULL;

  g_assert_null (hull_backend_loader_find (loader, "nope", &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
  g_assert_cmpstr (error->message, ==,
                   "no backend named 'nope'; the loaded backends are: dup, fake, unavailable");
}

static void
test_probe (void)
{
  g_autoptr (HullBackendLoader) loader = load_plugin_dir ();
  g_autoptr (HullBackendInfo) info = NULL;
  g_autoptr (HullBackendInfo) copy = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (hull_backend_loader_probe (loader, "unavailable", &info, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "unavailable");
  g_assert_false (info->available);
  g_assert_cmpstr (info->unavailable_reason, ==, "no /dev/fake");

  copy = hull_backend_info_copy (info);
  g_assert_cmpstr (copy->unavailable_reason, ==, "no /dev/fake");
  g_assert_true (copy->unavailable_reason != info->unavailable_reason);
  g_clear_pointer (&info, hull_backend_info_free);

  g_assert_true (hull_backend_loader_probe (loader, "fake", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (hull_backend_loader_probe (loader, "fake", &info, &error));
  g_assert_true (info->available);
  g_assert_null (info->unavailable_reason);
  g_assert_cmpint (info->speed, ==, HULL_EXECUTION_EMULATED);

  g_assert_false (hull_backend_loader_probe (loader, "nope", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);

  hull_backend_loader_probe_all (loader);
  hull_backend_loader_probe_all (loader);
  list = hull_backend_loader_list (loader);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_false (((HullBackendInfo *)g_ptr_array_index (list, 2))->available);
}

/* hulld's kvm device gone: unavailable without a probe, listed so, until
 * the next probe. */
static void
test_set_unavailable (void)
{
  g_autoptr (HullBackendLoader) loader = load_plugin_dir ();
  g_autoptr (HullBackendInfo) info = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (
      hull_backend_loader_set_unavailable (loader, "fake", "the device is gone", &info, &error));
  g_assert_no_error (error);
  g_assert_false (info->available);
  g_assert_cmpstr (info->unavailable_reason, ==, "the device is gone");
  g_assert_cmpint (info->speed, ==, HULL_EXECUTION_UNKNOWN);
  g_clear_pointer (&info, hull_backend_info_free);

  /* The listing shows it (no probe behind its back). */
  list = hull_backend_loader_list (loader);
  for (guint i = 0; i < list->len; i++)
    {
      const HullBackendInfo *each = g_ptr_array_index (list, i);

      if (g_str_equal (each->name, "fake"))
        {
          g_assert_false (each->available);
          g_assert_cmpstr (each->unavailable_reason, ==, "the device is gone");
        }
    }

  /* The next probe says what the backend says. */
  g_assert_true (hull_backend_loader_probe (loader, "fake", &info, &error));
  g_assert_true (info->available);
  g_assert_null (info->unavailable_reason);

  g_assert_false (hull_backend_loader_set_unavailable (loader, "nope", "x", NULL, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND);
}

static void
test_env_dir (void)
{
  g_autofree char *dir = plugin_dir ();
  g_autofree char *saved = g_strdup (g_getenv ("HULL_BACKEND_DIR"));
  g_autoptr (HullBackendLoader) loader = NULL;
  g_autoptr (HullBackendLoader) empty_env = NULL;
  g_autoptr (HullBackendLoader) explicit_dir = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *names = NULL;

  g_setenv ("HULL_BACKEND_DIR", dir, TRUE);
  loader = hull_backend_loader_new (NULL);
  explicit_dir = hull_backend_loader_new ("/nonexistent");
  g_setenv ("HULL_BACKEND_DIR", "", TRUE);
  empty_env = hull_backend_loader_new (NULL);
  if (saved != NULL)
    g_setenv ("HULL_BACKEND_DIR", saved, TRUE);
  else
    g_unsetenv ("HULL_BACKEND_DIR");

  g_assert_cmpstr (hull_backend_loader_get_dir (loader), ==, dir);
  g_assert_true (hull_backend_loader_load (loader, &error));
  g_assert_no_error (error);
  names = listed_names (loader);
  g_assert_cmpstr (names, ==, "dup fake unavailable");

  /* An explicit directory wins over the environment. */
  g_assert_cmpstr (hull_backend_loader_get_dir (explicit_dir), ==, "/nonexistent");
  /* An empty variable is unset: the configured directory. */
  g_assert_true (g_path_is_absolute (hull_backend_loader_get_dir (empty_env)));
  g_assert_true (g_str_has_suffix (hull_backend_loader_get_dir (empty_env), "/hull/backends"));
}

/* Loading again, or from a second loader, keeps one copy of each backend;
 * the modules stay resident after every loader is gone. */
static void
test_resident (void)
{
  g_autoptr (HullBackendLoader) first = load_plugin_dir ();
  g_autoptr (HullBackendLoader) second = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  g_autoptr (GError) error = NULL;
  HullHypervisorConfig config = { .device_fd = -1 };
  const HullBackendModule *from_first;
  const HullBackendModule *from_second;
  HullExecutionSpeed speed = HULL_EXECUTION_UNKNOWN;
  HullHypervisor *hypervisor;
  g_autofree char *names = NULL;

  g_assert_true (hull_backend_loader_load (first, &error));
  g_assert_no_error (error);
  names = listed_names (first);
  g_assert_cmpstr (names, ==, "dup fake unavailable");
  failures = hull_backend_loader_get_failures (first);
  g_assert_cmpuint (failures->len, ==, 5);

  second = load_plugin_dir ();
  from_first = hull_backend_loader_find (first, "fake", &error);
  from_second = hull_backend_loader_find (second, "fake", &error);
  g_assert_no_error (error);
  g_assert_true (from_first == from_second);

  g_clear_pointer (&first, hull_backend_loader_unref);
  g_clear_pointer (&second, hull_backend_loader_unref);

  hypervisor = from_first->hypervisor->open (&config, &error);
  g_assert_no_error (error);
  g_assert_true (from_first->hypervisor->probe (hypervisor, &speed, &error));
  g_assert_cmpint (speed, ==, HULL_EXECUTION_EMULATED);
  from_first->hypervisor->close (hypervisor);
}

static void
test_ref_counting (void)
{
  HullBackendLoader *loader = hull_backend_loader_new ("/nonexistent");

  g_assert_true (hull_backend_loader_ref (loader) == loader);
  hull_backend_loader_unref (loader);
  g_assert_cmpstr (hull_backend_loader_get_dir (loader), ==, "/nonexistent");
  hull_backend_loader_unref (loader);
  hull_backend_loader_unref (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/hull/backend-loader/load/lists-good-backends", test_list_good_backends);
  g_test_add_func ("/hull/backend-loader/load/failures-name-files", test_failures_name_files);
  g_test_add_func ("/hull/backend-loader/load/missing-dir-is-not-found", test_missing_dir);
  g_test_add_func ("/hull/backend-loader/load/dir-is-a-file", test_dir_is_a_file);
  g_test_add_func ("/hull/backend-loader/load/modules-stay-resident", test_resident);
  for (gsize i = 0; i < G_N_ELEMENTS (load_file_cases); i++)
    g_test_add_data_func (load_file_cases[i].path, &load_file_cases[i], test_load_file);
  g_test_add_func ("/hull/backend-loader/load-file/duplicate-name", test_load_file_duplicate);
  g_test_add_func ("/hull/backend-loader/load-file/same-file-twice",
                   test_load_file_same_file_twice);
  g_test_add_func ("/hull/backend-loader/find/known", test_find);
  g_test_add_func ("/hull/backend-loader/find/unknown-lists-names", test_find_unknown_lists_names);
  g_test_add_func ("/hull/backend-loader/probe", test_probe);
  g_test_add_func ("/hull/backend-loader/set-unavailable", test_set_unavailable);
  g_test_add_func ("/hull/backend-loader/dir/env-when-null", test_env_dir);
  g_test_add_func ("/hull/backend-loader/ref-counting", test_ref_counting);
  return g_test_run ();
}
