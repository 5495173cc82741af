/* dbus-harness.h — a private world for hulld's integration tests: a
 * dbus-daemon of its own, temporary state, runtime and log directories, a
 * backend directory with the test (and, when built, the KVM) plugin, and
 * hulld started, restarted or killed on demand. The teardown leaves no
 * process and no file behind, even when a test aborts: a guardian process
 * (a shell that waits for the test's pipe to close) kills whatever still
 * names the world's directory on its command line and removes it.
 *
 * Paths come from the environment the Makefile sets (HULL_TEST_HULLD,
 * HULL_TEST_WORKER, HULL_TEST_TEST_PLUGIN, HULL_TEST_KVM_PLUGIN,
 * DBUS_DAEMON), with the build tree's paths compiled in as defaults.
 * HULL_TEST_KEEP=1 keeps the directories (their path is printed).
 *
 * Everything here runs on the test's main thread; waits iterate the
 * thread-default main context and are bounded (HULL_TEST_TIMEOUT_S).
 */
#pragma once

#include <gio/gio.h>

#include "hull-dbus.h"

G_BEGIN_DECLS

/* Every wait in the tests gives up, failing the test, after this long. */
#define HULL_TEST_TIMEOUT_S 10

typedef struct
{
  char *root; /* everything below is removed by the teardown */
  char *state_dir;
  char *runtime_dir;
  char *log_dir;
  char *backend_dir;
  char *bus_address;
  GDBusConnection *connection; /* the test's connection to the private bus */
  GPid bus_pid;
  GPid hulld_pid;      /* 0 while hulld is not running */
  gboolean have_kvm;   /* the kvm plugin is in backend_dir */
  gboolean check_exit; /* the teardown fails the test if hulld crashed */
  int guardian_fd;
  GPid guardian_pid;
  guint runtime_generation;
} HullTestWorld;

/* The dbus-daemon to use, or NULL when there is none (then exit 77). */
const char *hull_test_dbus_daemon (void);

/* The kvm plugin the worlds link, or NULL when it is not built. */
const char *hull_test_kvm_plugin (void);

/* g_test_init() with --keep-going (a failed test does not stop the
 * others), and makes the process a child subreaper, so that workers
 * orphaned by a killed hulld are reaped by the test. Call from main(). */
void hull_test_init (int *argc, char ***argv);

/**
 * hull_test_add:
 * @path: the GTest path
 * @func: the test
 * @skip: (nullable): returns why the test cannot run here (it is then
 *   skipped), or %NULL
 *
 * Adds a test that runs in a subprocess of its own (g_test_trap_subprocess),
 * so that a failing one (an abort) does not hide the results of the others,
 * and no test inherits another's processes. Its stderr is the test's.
 */
void hull_test_add (const char *path, void (*func) (void), char *(*skip) (void));

/* A new world with its bus running and hulld started (unless
 * @start_hulld is FALSE). Fails the test (aborting it) on error. */
HullTestWorld *hull_test_world_new (gboolean start_hulld);
/* Stops hulld (SIGTERM, then SIGKILL), kills every leftover process of
 * the world, stops the bus and removes the directories. */
void hull_test_world_free (HullTestWorld *world);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullTestWorld, hull_test_world_free)

/* Starts hulld and waits until it owns org.hullvm.Hull1. */
void hull_test_world_start_hulld (HullTestWorld *world);
/* SIGTERM, and waits for hulld to exit and its name to go (fails the test
 * if it does not within the timeout, or if it crashed). */
void hull_test_world_stop_hulld (HullTestWorld *world);
/* SIGKILL, and waits for its name to go. Workers keep running. */
void hull_test_world_kill_hulld (HullTestWorld *world);
/* stop + start. */
void hull_test_world_restart_hulld (HullTestWorld *world);
/* Points the world at a new, empty runtime directory (as after a host
 * reboot); hulld must be stopped. Old workers keep running until the
 * teardown. */
void hull_test_world_new_runtime_dir (HullTestWorld *world);

/* The worker pid of the domain @uuid from $runtime/vm/<uuid>.status, or 0. */
GPid hull_test_world_worker_pid (HullTestWorld *world, const char *uuid);
/* Every pid in $runtime/vm/ *.status. */
GArray *hull_test_world_worker_pids (HullTestWorld *world);
/* Whether @pid is a process that is neither gone nor a zombie. */
gboolean hull_test_pid_alive (GPid pid);
/* Waits (bounded) until @pid is gone or a zombie. */
void hull_test_wait_pid_gone (GPid pid);

/* $state/domains/<uuid>.xml and friends. */
char *hull_test_world_definition_path (HullTestWorld *world, const char *uuid);

/* Every regular file under @dir (relative path → contents), to compare a
 * directory before and after a failed call. */
GHashTable *hull_test_snapshot_dir (const char *dir);
void hull_test_assert_snapshots_equal (GHashTable *before, GHashTable *after);

/* --- domains ------------------------------------------------------------ */

/* Test-backend programs for VP 0 (docs/test-backend.md). */
/* Runs forever, waiting most of the time. */
#define HULL_TEST_PROGRAM_SPIN "<hull:spin usec='100000'/><hull:jump step='0'/>"
/* Prints "Hi\n" on COM1, then runs forever. */
#define HULL_TEST_PROGRAM_HI_SPIN                                                                  \
  "<hull:out port='0x3f8' value='0x48'/><hull:out port='0x3f8' value='0x69'/>"                     \
  "<hull:out port='0x3f8' value='0x0a'/><hull:spin usec='100000'/><hull:jump step='3'/>"
/* Prints "Hi\n", then powers off. */
#define HULL_TEST_PROGRAM_HI_POWEROFF                                                              \
  "<hull:out port='0x3f8' value='0x48'/><hull:out port='0x3f8' value='0x69'/>"                     \
  "<hull:out port='0x3f8' value='0x0a'/><hull:halt reason='poweroff'/>"
/* Resets every 50 ms. */
#define HULL_TEST_PROGRAM_RESET "<hull:spin usec='50000'/><hull:halt reason='reset'/>"
/* Triple-faults at once. */
#define HULL_TEST_PROGRAM_TRIPLE_FAULT "<hull:halt reason='triple-fault'/>"

/**
 * hull_test_domain_xml:
 * @name: the domain's name
 * @uuid: (nullable): its UUID, or %NULL for none (a random one)
 * @program: VP 0's steps
 * @lifecycle: (nullable): extra elements after <vcpu>, e.g.
 *   "<on_poweroff>preserve</on_poweroff>"
 *
 * Returns: a one-VP test-backend domain with serial port 0.
 */
char *hull_test_domain_xml (const char *name, const char *uuid, const char *program,
                            const char *lifecycle);

/* Manager.DefineXML of hull_test_domain_xml (@name, NULL, @program,
 * @lifecycle): the object path. */
char *hull_test_define_domain (HullTestWorld *world, const char *name, const char *program,
                               const char *lifecycle);

/* --- calls --------------------------------------------------------------- */

/* g_dbus_connection_call_sync() to hulld with the harness's timeout; the
 * reply, or NULL with @error set. @reply_type may be NULL. */
GVariant *hull_test_call (HullTestWorld *world, const char *path, const char *interface,
                          const char *method, GVariant *parameters, const char *reply_type,
                          GError **error);
/* A Manager or Domain method that must succeed; the reply. */
GVariant *hull_test_call_ok (HullTestWorld *world, const char *path, const char *interface,
                             const char *method, GVariant *parameters, const char *reply_type);
/* A method that must fail with the D-Bus error @error_name. */
void hull_test_call_fails (HullTestWorld *world, const char *path, const char *interface,
                           const char *method, GVariant *parameters, const char *error_name);
/* The error's D-Bus name (g_dbus_error_get_remote_error()). */
char *hull_test_error_name (const GError *error);

/* Manager.DefineXML / CreateXML that must succeed: the object path. */
char *hull_test_define (HullTestWorld *world, const char *xml);
char *hull_test_create (HullTestWorld *world, const char *xml);
/* Domain.<method> ({} options) that must succeed. */
void hull_test_domain_do (HullTestWorld *world, const char *path, const char *method);
/* Domain.<method> ({} options) that must fail with HULL_ERROR @code. */
void hull_test_domain_do_fails (HullTestWorld *world, const char *path, const char *method,
                                int code);

/* Properties.Get (from hulld, not a cache). */
GVariant *hull_test_get_property (HullTestWorld *world, const char *path, const char *interface,
                                  const char *name);
char *hull_test_domain_string (HullTestWorld *world, const char *path, const char *name);
gboolean hull_test_domain_boolean (HullTestWorld *world, const char *path, const char *name);
/* Fails the test unless State and StateReason are @state and @reason. */
void hull_test_assert_state (HullTestWorld *world, const char *path, const char *state,
                             const char *reason);
/* Waits (bounded) until State and StateReason are @state and @reason
 * (@reason NULL: any). */
void hull_test_wait_state (HullTestWorld *world, const char *path, const char *state,
                           const char *reason);
/* The UUID property. */
char *hull_test_domain_uuid (HullTestWorld *world, const char *path);
/* GetStats' "boots" (a u or t). */
guint64 hull_test_domain_boots (HullTestWorld *world, const char *path);
/* ObjectManager.GetManagedObjects, as a{oa{sa{sv}}}. */
GVariant *hull_test_managed_objects (HullTestWorld *world);
/* GetManagedObjects as text in a canonical order (objects, interfaces and
 * properties sorted), to compare two snapshots; host devices (nodedev/)
 * are left out, since udev changes them. */
char *hull_test_managed_objects_text (HullTestWorld *world);
/* Whether an object is exported at @path (GetManagedObjects). */
gboolean hull_test_object_exists (HullTestWorld *world, const char *path);

/* Domain.OpenConsole: a blocking socket, or -1 with @error set. */
int hull_test_open_console (HullTestWorld *world, const char *path, GVariant *options,
                            GError **error);
/* Reads @fd (bounded) until what was read contains @expected; returns all
 * that was read. */
char *hull_test_read_until (int fd, const char *expected);
/* Waits (bounded) until the file @path contains @expected. */
void hull_test_wait_file_contains (const char *path, const char *expected);

/* Iterates the default main context until @done returns TRUE (bounded;
 * @what names the condition in the failure message). */
void hull_test_wait_until (gboolean (*done) (gpointer data), gpointer data, const char *what);

/* --- signals ---------------------------------------------------------------- */

/**
 * HullTestRecorder:
 *
 * Every signal hulld sends, in arrival order, as strings:
 * - "event NAME EVENT DETAIL" (Manager.DomainEvent, with the names of
 *   hull_domain_event_to_string() and hull_domain_event_detail_to_string()),
 * - "prop PATH PROPERTY VALUE" for each changed property of a
 *   PropertiesChanged, the value printed by g_variant_print() (strings
 *   quoted: "prop /org/.../_x State 'running'"), "prop PATH PROPERTY ?" for
 *   an invalidated one,
 * - "added PATH INTERFACE" / "removed PATH INTERFACE" (ObjectManager),
 * - "signal PATH INTERFACE.MEMBER" for anything else.
 */
typedef struct
{
  GDBusConnection *connection;
  guint subscription;
  GPtrArray *entries;
} HullTestRecorder;

HullTestRecorder *hull_test_recorder_new (HullTestWorld *world);
void hull_test_recorder_free (HullTestRecorder *recorder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullTestRecorder, hull_test_recorder_free)

/* Makes sure every signal hulld sent before now is recorded: a round trip
 * to hulld, then the main context is drained. */
void hull_test_recorder_sync (HullTestRecorder *recorder, HullTestWorld *world);
/* The index of the first entry from @from on that equals @entry (or starts
 * with it when @entry ends with '*'), or -1. */
int hull_test_recorder_find (HullTestRecorder *recorder, const char *entry, guint from);
/* Waits (bounded) for such an entry; its index. */
guint hull_test_recorder_wait (HullTestRecorder *recorder, const char *entry, guint from);
/* Waits (bounded) until @count entries match @entry. */
void hull_test_recorder_wait_count (HullTestRecorder *recorder, const char *entry, guint count);
/* How many entries equal (or match) @entry. */
guint hull_test_recorder_count (HullTestRecorder *recorder, const char *entry);
/**
 * hull_test_recorder_wait_change:
 * @path: the domain's object path
 * @name: its name
 * @state: (nullable): the State the change announces, or %NULL when State
 *   does not change
 * @reason: (nullable): likewise for StateReason
 * @event: (nullable): "EVENT DETAIL" of the DomainEvent (e.g. "started
 *   booted"), or %NULL when the change has no event
 * @from: where to look from
 *
 * Waits for the change, and checks the documented order: the properties'
 * PropertiesChanged before the event. Returns: the index of the event (of
 * the last property when there is none).
 */
guint hull_test_recorder_wait_change (HullTestRecorder *recorder, const char *path,
                                      const char *name, const char *state, const char *reason,
                                      const char *event, guint from);
/* Prints every entry with g_test_message(). */
void hull_test_recorder_dump (HullTestRecorder *recorder);

/* An empty a{sv}. */
#define HULL_TEST_NO_OPTIONS g_variant_new ("a{sv}", NULL)

G_END_DECLS
