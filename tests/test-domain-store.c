/* test-domain-store.c — hulld's files: durable definitions, load-all with
 * broken files moved aside, autostart marks, runtime records
 * (daemon/hull-domain-store.c, docs/daemon.md). */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hull-domain-store.h"
#include "hull-error.h"
#include "test-util.h"

#define UUID_A "6f3c7e0a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
#define UUID_B "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"

typedef struct
{
  char *dir;
  char *state_dir;
  char *runtime_dir;
  HullDomainStore *store;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("hull-domain-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->state_dir = g_build_filename (f->dir, "state", NULL);
  f->runtime_dir = g_build_filename (f->dir, "run", NULL);
  f->store = hull_domain_store_new (f->state_dir, f->runtime_dir);
  g_assert_true (hull_domain_store_prepare (f->store, 0700, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  hull_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->state_dir);
  g_free (f->runtime_dir);
}

static HullDomainDef *
make_def (const char *name, const char *uuid, guint memory_mib)
{
  g_autofree char *xml = NULL;
  g_autoptr (GError) error = NULL;
  HullDomainDef *def;

  xml = g_strdup_printf ("<domain type='test'><name>%s</name><uuid>%s</uuid>"
                         "<memory unit='MiB'>%u</memory><vcpu>1</vcpu></domain>",
                         name, uuid, memory_mib);
  def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_no_error (error);
  return def;
}

static char *
domains_file (Fixture *f, const char *name)
{
  return g_build_filename (f->state_dir, "domains", name, NULL);
}

static void
write_file (const char *path, const char *contents)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* Lists @dir's entries, sorted, joined by spaces. */
static char *
list_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **)names->pdata);
}

/* ---- persistent definitions ------------------------------------------- */

static void
test_prepare_dirs (Fixture *f, gconstpointer data)
{
  const char *subdirs[] = { "state/domains", "state/autostart", "run/vm" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, subdirs[i], NULL);
      GStatBuf st;

      g_assert_cmpint (g_stat (path, &st), ==, 0);
      g_assert_true (S_ISDIR (st.st_mode));
      g_assert_cmpint (st.st_mode & 0777, ==, 0700);
    }
}

static void
test_save_load (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) def = make_def ("web", UUID_A, 64);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) loaded = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  g_autofree char *path = domains_file (f, UUID_A ".xml");
  g_autofree char *contents = NULL;
  g_autofree char *expected = hull_domain_def_format (def);
  const HullStoredDomain *one;
  GStatBuf st;

  g_assert_true (hull_domain_store_save (f->store, def, 1234, &error));
  g_assert_no_error (error);

  /* Canonical XML, private to its owner. */
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, expected);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  loaded = hull_domain_store_load_all (f->store, 99, &failures);
  g_assert_cmpuint (failures->len, ==, 0);
  g_assert_cmpuint (loaded->len, ==, 1);
  one = g_ptr_array_index (loaded, 0);
  g_assert_cmpstr (one->def->name, ==, "web");
  g_assert_cmpstr (one->def->uuid, ==, UUID_A);
  g_assert_cmpuint (one->def->memory, ==, 64 << 20);
  g_assert_cmpuint (one->record.owner, ==, 1234);
  g_assert_true (one->record.persistent);
  g_assert_false (one->record.autostart);
  g_assert_cmpint (one->record.state, ==, HULL_DOMAIN_STATE_SHUTOFF);
}

/* A rewrite replaces the file whole and leaves no temporary behind. */
static void
test_save_replaces (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) first = make_def ("web", UUID_A, 64);
  g_autoptr (HullDomainDef) second = make_def ("web", UUID_A, 128);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) loaded = NULL;
  g_autofree char *dir = domains_file (f, "");
  g_autofree char *listing = NULL;

  g_assert_true (hull_domain_store_save (f->store, first, 1000, &error));
  g_assert_true (hull_domain_store_save (f->store, second, 1000, &error));
  g_assert_no_error (error);

  listing = list_dir (dir);
  g_assert_cmpstr (listing, ==, UUID_A ".meta " UUID_A ".xml");
  loaded = hull_domain_store_load_all (f->store, 0, NULL);
  g_assert_cmpuint (loaded->len, ==, 1);
  g_assert_cmpuint (((HullStoredDomain *)loaded->pdata[0])->def->memory, ==, 128 << 20);
}

/* A definition that cannot be written changes nothing: no .meta is left
 * behind for it either. */
static void
test_save_failure_changes_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) def = make_def ("web", UUID_A, 64);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = domains_file (f, UUID_A ".xml");
  g_autofree char *meta = domains_file (f, UUID_A ".meta");

  /* A directory where the file should go: the final rename fails. */
  g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
  g_assert_false (hull_domain_store_save (f->store, def, 1000, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_IO);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_false (g_file_test (meta, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
}

static void
test_load_sorted_and_default_owner (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) a = make_def ("alpha", UUID_A, 64);
  g_autoptr (HullDomainDef) b = make_def ("beta", UUID_B, 64);
  g_autoptr (GPtrArray) loaded = NULL;
  g_autofree char *meta = domains_file (f, UUID_A ".meta");

  g_assert_true (hull_domain_store_save (f->store, a, 1000, NULL));
  g_assert_true (hull_domain_store_save (f->store, b, 2000, NULL));
  /* No .meta (an older hulld, or copied by hand): the default owner. */
  g_assert_cmpint (g_unlink (meta), ==, 0);

  loaded = hull_domain_store_load_all (f->store, 4242, NULL);
  g_assert_cmpuint (loaded->len, ==, 2);
  /* File-name order: UUID_B < UUID_A. */
  g_assert_cmpstr (((HullStoredDomain *)loaded->pdata[0])->def->name, ==, "beta");
  g_assert_cmpuint (((HullStoredDomain *)loaded->pdata[0])->record.owner, ==, 2000);
  g_assert_cmpstr (((HullStoredDomain *)loaded->pdata[1])->def->name, ==, "alpha");
  g_assert_cmpuint (((HullStoredDomain *)loaded->pdata[1])->record.owner, ==, 4242);
}

static void
test_broken_moved_aside (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) good = make_def ("good", UUID_B, 64);
  g_autoptr (GPtrArray) loaded = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GPtrArray) failures_again = NULL;
  g_autofree char *path = domains_file (f, UUID_A ".xml");
  g_autofree char *broken = domains_file (f, UUID_A ".xml.broken");
  const GError *failure;

  g_assert_true (hull_domain_store_save (f->store, good, 1000, NULL));
  write_file (path, "<domain type='test'><name>bad</name>");

  g_test_expect_message ("Hull", G_LOG_LEVEL_WARNING, "*" UUID_A ".xml*moved aside*");
  loaded = hull_domain_store_load_all (f->store, 0, &failures);
  g_test_assert_expected_messages ();

  /* The good one loads; the bad one is reported with its file and the
   * parser's message, and renamed. */
  g_assert_cmpuint (loaded->len, ==, 1);
  g_assert_cmpstr (((HullStoredDomain *)loaded->pdata[0])->def->name, ==, "good");
  g_assert_cmpuint (failures->len, ==, 1);
  failure = g_ptr_array_index (failures, 0);
  g_assert_error (failure, HULL_ERROR, HULL_ERROR_XML_SYNTAX);
  g_assert_nonnull (strstr (failure->message, path));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (broken, G_FILE_TEST_EXISTS));

  /* Moved aside once: the next start is quiet. */
  again = hull_domain_store_load_all (f->store, 0, &failures_again);
  g_assert_cmpuint (again->len, ==, 1);
  g_assert_cmpuint (failures_again->len, ==, 0);
}

/* Valid XML that is not what its file name says is broken too. */
static void
test_uuid_mismatch_moved_aside (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) def = make_def ("web", UUID_B, 64);
  g_autofree char *xml = hull_domain_def_format (def);
  g_autofree char *path = domains_file (f, UUID_A ".xml");
  g_autofree char *broken = domains_file (f, UUID_A ".xml.broken");
  g_autoptr (GPtrArray) loaded = NULL;
  g_autoptr (GPtrArray) failures = NULL;

  write_file (path, xml);
  g_test_expect_message ("Hull", G_LOG_LEVEL_WARNING, "*moved aside*");
  loaded = hull_domain_store_load_all (f->store, 0, &failures);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (loaded->len, ==, 0);
  g_assert_cmpuint (failures->len, ==, 1);
  g_assert_error ((GError *)g_ptr_array_index (failures, 0), HULL_ERROR, HULL_ERROR_XML_INVALID);
  g_assert_true (g_file_test (broken, G_FILE_TEST_EXISTS));
}

/* Two files with one name: the first (by file name) wins. */
static void
test_duplicate_name_moved_aside (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) a = make_def ("web", UUID_A, 64);
  g_autoptr (HullDomainDef) b = make_def ("web", UUID_B, 64);
  g_autofree char *broken = domains_file (f, UUID_A ".xml.broken");
  g_autoptr (GPtrArray) loaded = NULL;
  g_autoptr (GPtrArray) failures = NULL;

  g_assert_true (hull_domain_store_save (f->store, a, 1000, NULL));
  g_assert_true (hull_domain_store_save (f->store, b, 1000, NULL));
  g_test_expect_message ("Hull", G_LOG_LEVEL_WARNING, "*'web' is already defined*");
  loaded = hull_domain_store_load_all (f->store, 0, &failures);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (loaded->len, ==, 1);
  g_assert_cmpstr (((HullStoredDomain *)loaded->pdata[0])->def->uuid, ==, UUID_B);
  g_assert_error ((GError *)g_ptr_array_index (failures, 0), HULL_ERROR, HULL_ERROR_ALREADY_EXISTS);
  g_assert_true (g_file_test (broken, G_FILE_TEST_EXISTS));
}

static void
test_autostart_marks (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) def = make_def ("web", UUID_A, 64);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) loaded = NULL;
  g_autofree char *mark = g_build_filename (f->state_dir, "autostart", UUID_A, NULL);

  g_assert_true (hull_domain_store_save (f->store, def, 1000, NULL));
  g_assert_false (hull_domain_store_get_autostart (f->store, UUID_A));

  g_assert_true (hull_domain_store_set_autostart (f->store, UUID_A, TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (mark, G_FILE_TEST_EXISTS));
  g_assert_true (hull_domain_store_get_autostart (f->store, UUID_A));
  loaded = hull_domain_store_load_all (f->store, 0, NULL);
  g_assert_true (((HullStoredDomain *)loaded->pdata[0])->record.autostart);

  /* Setting twice, clearing twice: both fine. */
  g_assert_true (hull_domain_store_set_autostart (f->store, UUID_A, TRUE, &error));
  g_assert_true (hull_domain_store_set_autostart (f->store, UUID_A, FALSE, &error));
  g_assert_true (hull_domain_store_set_autostart (f->store, UUID_A, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (mark, G_FILE_TEST_EXISTS));
  g_assert_false (hull_domain_store_get_autostart (f->store, UUID_A));
}

static void
test_delete (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) def = make_def ("web", UUID_A, 64);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) loaded = NULL;
  g_autofree char *dir = domains_file (f, "");
  g_autofree char *autostart_dir = g_build_filename (f->state_dir, "autostart", NULL);
  g_autofree char *listing = NULL;
  g_autofree char *marks = NULL;

  g_assert_true (hull_domain_store_save (f->store, def, 1000, NULL));
  g_assert_true (hull_domain_store_set_autostart (f->store, UUID_A, TRUE, NULL));
  g_assert_true (hull_domain_store_delete (f->store, UUID_A, &error));
  g_assert_no_error (error);

  /* Definition, .meta and autostart mark all gone. */
  listing = list_dir (dir);
  g_assert_cmpstr (listing, ==, "");
  marks = list_dir (autostart_dir);
  g_assert_cmpstr (marks, ==, "");
  loaded = hull_domain_store_load_all (f->store, 0, NULL);
  g_assert_cmpuint (loaded->len, ==, 0);

  /* Deleting what is not there is not an error. */
  g_assert_true (hull_domain_store_delete (f->store, UUID_A, &error));
  g_assert_no_error (error);
}

/* ---- runtime records ----------------------------------------------------- */

static void
test_live_records (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) def = make_def ("web", UUID_A, 64);
  HullDomainRecord record = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) live = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  g_autoptr (GPtrArray) none = NULL;
  g_autofree char *xml_path = hull_domain_store_get_live_def_path (f->store, UUID_A);
  g_autofree char *vm_dir = g_build_filename (f->runtime_dir, "vm", NULL);
  g_autofree char *listing = NULL;
  const HullStoredDomain *one;

  record.owner = 1000;
  record.persistent = FALSE;
  record.autostart = FALSE;
  record.state = HULL_DOMAIN_STATE_SHUTOFF;
  record.reason = HULL_DOMAIN_REASON_UNKNOWN;
  g_assert_true (hull_domain_store_save_live (f->store, def, &record, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (xml_path, G_FILE_TEST_EXISTS));

  record.state = HULL_DOMAIN_STATE_PAUSED;
  record.reason = HULL_DOMAIN_REASON_HALTED;
  g_assert_true (hull_domain_store_save_record (f->store, UUID_A, "web", &record, &error));
  g_assert_no_error (error);

  live = hull_domain_store_load_live_all (f->store, &failures);
  g_assert_cmpuint (failures->len, ==, 0);
  g_assert_cmpuint (live->len, ==, 1);
  one = g_ptr_array_index (live, 0);
  g_assert_cmpstr (one->def->name, ==, "web");
  g_assert_cmpuint (one->record.owner, ==, 1000);
  g_assert_false (one->record.persistent);
  g_assert_cmpint (one->record.state, ==, HULL_DOMAIN_STATE_PAUSED);
  g_assert_cmpint (one->record.reason, ==, HULL_DOMAIN_REASON_HALTED);

  hull_domain_store_remove_live (f->store, UUID_A);
  listing = list_dir (vm_dir);
  g_assert_cmpstr (listing, ==, "");
  none = hull_domain_store_load_live_all (f->store, NULL);
  g_assert_cmpuint (none->len, ==, 0);
}

/* A damaged record is reported and removed: it cannot be reattached. */
static void
test_live_record_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (HullDomainDef) def = make_def ("web", UUID_A, 64);
  HullDomainRecord record
      = { 1000, TRUE, FALSE, HULL_DOMAIN_STATE_RUNNING, HULL_DOMAIN_REASON_BOOTED };
  g_autoptr (GPtrArray) live = NULL;
  g_autoptr (GPtrArray) failures = NULL;
  g_autofree char *record_path = g_build_filename (f->runtime_dir, "vm", UUID_A ".domain", NULL);
  g_autofree char *vm_dir = g_build_filename (f->runtime_dir, "vm", NULL);
  g_autofree char *listing = NULL;

  g_assert_true (hull_domain_store_save_live (f->store, def, &record, NULL));
  write_file (record_path, "[domain]\nuuid=" UUID_A "\nowner=1000\npersistent=true\n"
                           "state=exploded\nreason=booted\n");
  g_test_expect_message ("Hull", G_LOG_LEVEL_WARNING, "*cannot reattach domain " UUID_A "*");
  live = hull_domain_store_load_live_all (f->store, &failures);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (live->len, ==, 0);
  g_assert_cmpuint (failures->len, ==, 1);
  g_assert_error ((GError *)g_ptr_array_index (failures, 0), HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  listing = list_dir (vm_dir);
  g_assert_cmpstr (listing, ==, "");
}

static void
test_autostart_done (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (hull_domain_store_get_autostart_done (f->store));
  g_assert_true (hull_domain_store_set_autostart_done (f->store, &error));
  g_assert_no_error (error);
  g_assert_true (hull_domain_store_get_autostart_done (f->store));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/hull/domain-store/prepare-creates-private-dirs", test_prepare_dirs);
  ADD ("/hull/domain-store/save-load-round-trip", test_save_load);
  ADD ("/hull/domain-store/save-replaces-whole-file", test_save_replaces);
  ADD ("/hull/domain-store/save-failure-changes-nothing", test_save_failure_changes_nothing);
  ADD ("/hull/domain-store/load-sorted-default-owner", test_load_sorted_and_default_owner);
  ADD ("/hull/domain-store/broken-file-moved-aside", test_broken_moved_aside);
  ADD ("/hull/domain-store/uuid-mismatch-moved-aside", test_uuid_mismatch_moved_aside);
  ADD ("/hull/domain-store/duplicate-name-moved-aside", test_duplicate_name_moved_aside);
  ADD ("/hull/domain-store/autostart-marks", test_autostart_marks);
  ADD ("/hull/domain-store/delete-removes-everything", test_delete);
  ADD ("/hull/domain-store/live-records", test_live_records);
  ADD ("/hull/domain-store/live-record-damaged", test_live_record_damaged);
  ADD ("/hull/domain-store/autostart-done-mark", test_autostart_done);
#undef ADD

  return g_test_run ();
}
