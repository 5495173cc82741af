/* hullctl's offline commands, run as a user would: exit statuses, messages,
 * canonical output and JSON. */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs hullctl with @argv (NULL-terminated), feeding @input, with @env
 * (NULL or "NAME=value" pairs; "NAME" alone unsets) set. */
static void
hullctl_envv (Run *run, const char *const *env, const char *input, const char *const *args)
{
  g_autofree char *tool = g_test_build_filename (G_TEST_BUILT, "..", "tools", "hullctl", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, tool);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);

  /* The tests read English messages, whatever the caller's locale. */
  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "LANGUAGE");
  /* Never the caller's buses, whatever a test asks for. */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                "unix:path=/nonexistent/hull-test-session-bus", TRUE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SYSTEM_BUS_ADDRESS",
                                "unix:path=/nonexistent/hull-test-system-bus", TRUE);
  g_subprocess_launcher_unsetenv (launcher, "HULL_BUS");
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      const char *equals = strchr (env[i], '=');
      g_autofree char *name = g_strndup (env[i], equals != NULL ? equals - env[i] : -1);

      if (equals != NULL)
        g_subprocess_launcher_setenv (launcher, name, equals + 1, TRUE);
      else
        g_subprocess_launcher_unsetenv (launcher, name);
    }
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    g_error ("hullctl %s: killed by signal %d; stderr: %s", (const char *)argv->pdata[1],
             g_subprocess_get_term_sig (process), run->err);
  run->status = g_subprocess_get_exit_status (process);
}

/* Runs hullctl with a NULL-terminated argument list, feeding @input. */
static void
hullctl (Run *run, const char *input, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  va_start (ap, input);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  hullctl_envv (run, NULL, input, (const char *const *)args->pdata);
}

/* Likewise with environment settings (see hullctl_envv()). */
static void
hullctl_env (Run *run, const char *const *env, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  va_start (ap, env);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  hullctl_envv (run, env, NULL, (const char *const *)args->pdata);
}

static char *
dist_file (const char *first, ...)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  const char *part;
  va_list args;

  g_ptr_array_add (parts, (gpointer)g_test_get_dir (G_TEST_DIST));
  g_ptr_array_add (parts, (gpointer)first);
  va_start (args, first);
  while ((part = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (parts, (gpointer)part);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **)parts->pdata);
}

static char *
write_temp (const char *contents)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("hullctl-XXXXXX.xml", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_validate_examples (void)
{
  g_autofree char *minimal = dist_file ("..", "xml", "examples", "minimal.xml", NULL);
  g_autofree char *smt = dist_file ("..", "xml", "examples", "multi-socket-smt.xml", NULL);
  g_auto (Run) run = { 0 };

  hullctl (&run, NULL, "validate", minimal, smt, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "domain 'minimal' is valid"));
  g_assert_nonnull (strstr (run.out, "domain 'smt16' is valid"));
  g_assert_cmpstr (run.err, ==, "");
}

static void
test_validate_reports_line_and_fails (void)
{
  g_autofree char *bad
      = write_temp ("<domain type='test'>\n<name>x</name>\n<memory unit='XiB'>1</memory>\n"
                    "<vcpu>1</vcpu>\n</domain>\n");
  g_autofree char *minimal = dist_file ("..", "xml", "examples", "minimal.xml", NULL);
  g_auto (Run) run = { 0 };

  hullctl (&run, NULL, "validate", bad, minimal, NULL);
  g_assert_cmpint (run.status, ==, 1);
  /* The bad file is reported with its name and line; the good one still is checked. */
  g_assert_true (g_str_has_prefix (run.err, bad));
  g_assert_nonnull (strstr (run.err, "line 3: <memory>: unknown unit 'XiB'"));
  g_assert_nonnull (strstr (run.out, "domain 'minimal' is valid"));
  g_unlink (bad);
}

static void
test_validate_lenient_warns (void)
{
  g_autofree char *file
      = write_temp ("<domain type='test'><name>x</name><memory unit='MiB'>64</memory>"
                    "<vcpu>1</vcpu>\n<features><acpi/></features></domain>\n");
  g_auto (Run) strict = { 0 };
  g_auto (Run) lenient = { 0 };

  hullctl (&strict, NULL, "validate", file, NULL);
  g_assert_cmpint (strict.status, ==, 1);
  g_assert_nonnull (strstr (strict.err, "element <features> is not supported"));

  hullctl (&lenient, NULL, "validate", "--lenient", file, NULL);
  g_assert_cmpint (lenient.status, ==, 0);
  g_assert_nonnull (strstr (lenient.err, "warning: line 2: element <features> is not supported"));
  g_assert_nonnull (strstr (lenient.out, "is valid"));
  g_unlink (file);
}

static void
test_format_golden (void)
{
  g_autofree char *in = dist_file ("xml", "in", "kernel-boot.xml", NULL);
  g_autofree char *out = dist_file ("xml", "out", "kernel-boot.xml", NULL);
  g_autofree char *expected = NULL;
  g_auto (Run) run = { 0 };

  g_assert_true (g_file_get_contents (out, &expected, NULL, NULL));
  hullctl (&run, NULL, "format", in, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, expected);
}

static void
test_format_stdin (void)
{
  g_autofree char *in = dist_file ("xml", "in", "units.xml", NULL);
  g_autofree char *out = dist_file ("xml", "out", "units.xml", NULL);
  g_autofree char *input = NULL;
  g_autofree char *expected = NULL;
  g_auto (Run) run = { 0 };
  g_auto (Run) bad = { 0 };

  g_assert_true (g_file_get_contents (in, &input, NULL, NULL));
  g_assert_true (g_file_get_contents (out, &expected, NULL, NULL));
  hullctl (&run, input, "format", "-", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, expected);

  hullctl (&bad, "<domain", "format", "-", NULL);
  g_assert_cmpint (bad.status, ==, 1);
  g_assert_true (g_str_has_prefix (bad.err, "<stdin>: line 1: malformed XML"));
  g_assert_cmpstr (bad.out, ==, "");
}

static void
test_layout_json (void)
{
  g_autofree char *file = dist_file ("..", "xml", "examples", "multi-socket-smt.xml", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };
  JsonObject *root, *topology, *layout;
  JsonArray *vps, *ram;

  hullctl (&run, NULL, "layout", "--json", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  json_parser_load_from_data (parser, run.out, -1, &error);
  g_assert_no_error (error);

  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "name"), ==, "smt16");
  topology = json_object_get_object_member (root, "topology");
  g_assert_cmpint (json_object_get_int_member (topology, "vp-count"), ==, 16);
  g_assert_true (json_object_get_boolean_member (topology, "smt"));
  vps = json_object_get_array_member (topology, "vps");
  g_assert_cmpuint (json_array_get_length (vps), ==, 16);
  /* VP 9: socket 1, core 0, thread 1; 8 VPs per socket is already a power of two. */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (vps, 9), "apic-id"),
                   ==, 9);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (vps, 9), "socket"),
                   ==, 1);

  layout = json_object_get_object_member (root, "memory-layout");
  g_assert_cmpint (json_object_get_int_member (layout, "ram-size"), ==,
                   json_object_get_int_member (layout, "end-of-ram") - G_GINT64_CONSTANT (1 << 30));
  ram = json_object_get_array_member (layout, "ram");
  g_assert_cmpuint (json_array_get_length (ram), ==, 2);
  g_assert_cmpint (json_array_get_int_element (json_array_get_array_element (ram, 0), 1), ==,
                   G_GINT64_CONSTANT (0xc0000000));
}

static void
test_layout_table (void)
{
  g_autofree char *file = dist_file ("xml", "in", "hull-settings.xml", NULL);
  g_auto (Run) run = { 0 };

  hullctl (&run, NULL, "layout", file, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Domain 'hull-settings'"));
  g_assert_nonnull (strstr (run.out, "(BSP)"));
  g_assert_nonnull (strstr (run.out, "APIC mode x2apic-enabled"));
  g_assert_nonnull (strstr (run.out, "Memory layout (custom MMIO gaps)"));
  g_assert_nonnull (strstr (run.out, "RAM   0x0000000000000000-0x0000000040000000  1 GiB"));
  g_assert_nonnull (strstr (run.out, "VTL2  0x0000000200000000-0x0000000202000000  32 MiB"));
}

static void
test_usage_errors (void)
{
  g_auto (Run) none = { 0 };
  g_auto (Run) unknown = { 0 };
  g_auto (Run) missing = { 0 };
  g_auto (Run) option = { 0 };

  hullctl (&none, NULL, NULL);
  g_assert_cmpint (none.status, ==, 2);
  g_assert_nonnull (strstr (none.err, "Usage: hullctl COMMAND"));

  hullctl (&unknown, NULL, "frobnicate", NULL);
  g_assert_cmpint (unknown.status, ==, 2);
  g_assert_nonnull (strstr (unknown.err, "unknown command 'frobnicate'"));

  hullctl (&missing, NULL, "layout", NULL);
  g_assert_cmpint (missing.status, ==, 2);

  hullctl (&option, NULL, "validate", "--bogus", "x.xml", NULL);
  g_assert_cmpint (option.status, ==, 2);
  g_assert_nonnull (strstr (option.err, "--bogus"));
}

/* libxml2 reports some errors (encoding conversion) through its global
 * handlers; hullctl must print only its own one-line message. */
static void
test_validate_bad_encoding_quiet (void)
{
  g_autofree char *file = write_temp ("<?xml version='1.0' encoding='ISO-2022-JP'?>"
                                      "<domain>\x1b\xff</domain>");
  g_auto (Run) run = { 0 };
  g_auto (GStrv) lines = NULL;

  hullctl (&run, NULL, "validate", file, NULL);
  g_assert_cmpint (run.status, ==, 1);
  lines = g_strsplit (run.err, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2); /* one line and the empty rest */
  g_assert_true (g_str_has_prefix (lines[0], file));
  g_assert_nonnull (strstr (lines[0], "malformed XML"));
  g_unlink (file);
}

/* A device or pipe that never ends is refused at the size limit, not read
 * until memory runs out. */
static void
test_validate_endless_input (void)
{
  g_auto (Run) run = { 0 };

  hullctl (&run, NULL, "validate", "/dev/zero", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "/dev/zero: more than 4194304 bytes of domain XML"));
}

/* In lenient mode, what was skipped is listed even when the file then fails
 * for another reason, and before that error. */
static void
test_validate_lenient_warns_before_error (void)
{
  g_autofree char *file
      = write_temp ("<domain type='test'><name>x</name>\n<features/>\n<memory unit='XiB'>1</memory>"
                    "<vcpu>1</vcpu></domain>\n");
  g_auto (Run) run = { 0 };
  const char *warning, *error;

  hullctl (&run, NULL, "validate", "--lenient", file, NULL);
  g_assert_cmpint (run.status, ==, 1);
  warning = strstr (run.err, "warning: line 2: element <features> is not supported");
  error = strstr (run.err, "line 3: <memory>: unknown unit 'XiB'");
  g_assert_nonnull (warning);
  g_assert_nonnull (error);
  g_assert_true (warning < error);
  g_unlink (file);
}

static void
test_missing_file (void)
{
  g_auto (Run) run = { 0 };

  hullctl (&run, NULL, "layout", "/nonexistent/web1.xml", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "/nonexistent/web1.xml"));
}

/* Every command, offline and daemon, as `hullctl --help` must list it. */
static const char *const all_commands[] = {
  "validate", "format",  "layout",  "define",  "create", "undefine",     "start",     "shutdown",
  "destroy",  "reboot",  "reset",   "suspend", "resume", "clear-halt",   "autostart", "list",
  "dominfo",  "dumpxml", "console", "inspect", "event",  "capabilities", "backends",
};

static void
test_help_lists_every_command (void)
{
  g_auto (Run) run = { 0 };

  hullctl (&run, NULL, "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (all_commands); i++)
    {
      g_autofree char *line = g_strdup_printf ("\n  %s ", all_commands[i]);

      if (strstr (run.out, line) == NULL)
        g_error ("'hullctl --help' does not list '%s':\n%s", all_commands[i], run.out);
    }
  g_assert_nonnull (strstr (run.out, "3 hulld not reachable"));

  /* Each command has its own --help; the daemon ones offer the buses. */
  for (guint i = 0; i < G_N_ELEMENTS (all_commands); i++)
    {
      g_auto (Run) help = { 0 };
      g_autofree char *usage = g_strdup_printf ("] %s ", all_commands[i]);

      hullctl (&help, NULL, all_commands[i], "--help", NULL);
      g_assert_cmpint (help.status, ==, 0);
      g_assert_nonnull (strstr (help.out, usage));
      if (i >= 3)
        g_assert_nonnull (strstr (help.out, "--system"));
    }
}

static void
assert_usage_error (const char *const *env, const char *message, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_auto (Run) run = { 0 };
  const char *arg;
  va_list ap;

  va_start (ap, message);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  hullctl_envv (&run, env, NULL, (const char *const *)args->pdata);
  if (run.status != 2 || strstr (run.err, message) == NULL)
    g_error ("hullctl %s: status %d, stderr '%s'; expected 2 and '%s'",
             (const char *)args->pdata[0], run.status, run.err, message);
  g_assert_cmpstr (run.out, ==, "");
}

/* Usage errors are found before any bus is tried: exit 2, whatever the
 * buses. */
static void
test_daemon_usage_errors (void)
{
  const char *const bad_bus[] = { "HULL_BUS=tcp", NULL };

  assert_usage_error (NULL, "start: usage: hullctl start [--paused] NAME", "start", NULL);
  assert_usage_error (NULL, "usage: hullctl destroy NAME", "destroy", "a", "b", NULL);
  assert_usage_error (NULL, "usage: hullctl list", "list", "web1", NULL);
  assert_usage_error (NULL, "--bogus", "dominfo", "--bogus", "web1", NULL);
  assert_usage_error (NULL, "abc", "shutdown", "--timeout", "abc", "web1", NULL);
  assert_usage_error (NULL, "--timeout must be between 0 and 86400", "shutdown", "--timeout", "-1",
                      "web1", NULL);
  assert_usage_error (NULL, "--name and --json exclude each other", "list", "--name", "--json",
                      NULL);
  assert_usage_error (NULL, "--port must not be negative", "console", "--port", "-1", "web1", NULL);
  assert_usage_error (NULL, "--depth must not be negative", "inspect", "--depth", "-2", "web1",
                      NULL);
  assert_usage_error (NULL, "unknown option '--bogus'", "--bogus", "list", NULL);
  assert_usage_error (NULL, "usage: hullctl event", "event", "extra", NULL);
  assert_usage_error (bad_bus, "HULL_BUS must be 'system' or 'session', not 'tcp'", "list", NULL);
}

/* No bus at the address: exit 3, naming the bus. */
static void
test_no_bus_exits_3 (void)
{
  const char *const system_env[] = { "HULL_BUS=system", NULL };
  const char *const system_default[] = { "HULL_BUS=system", NULL };
  g_auto (Run) session = { 0 };
  g_auto (Run) system = { 0 };
  g_auto (Run) by_env = { 0 };
  g_auto (Run) flag_wins = { 0 };
  g_auto (Run) event = { 0 };

  hullctl (&session, NULL, "list", NULL);
  g_assert_cmpint (session.status, ==, 3);
  g_assert_true (g_str_has_prefix (session.err, "hullctl: cannot connect to the session bus: "));
  g_assert_cmpstr (session.out, ==, "");

  hullctl (&system, NULL, "--system", "dominfo", "web1", NULL);
  g_assert_cmpint (system.status, ==, 3);
  g_assert_true (g_str_has_prefix (system.err, "hullctl: cannot connect to the system bus: "));

  hullctl_env (&by_env, system_env, "start", "web1", NULL);
  g_assert_cmpint (by_env.status, ==, 3);
  g_assert_nonnull (strstr (by_env.err, "the system bus"));

  /* The command line beats HULL_BUS, after the command too. */
  hullctl_env (&flag_wins, system_default, "capabilities", "--session", NULL);
  g_assert_cmpint (flag_wins.status, ==, 3);
  g_assert_nonnull (strstr (flag_wins.err, "the session bus"));

  hullctl (&event, NULL, "event", "--loop", NULL);
  g_assert_cmpint (event.status, ==, 3);
}

/* A private dbus-daemon with nothing on it. */
typedef struct
{
  GSubprocess *process;
  char *address;
  char *config;
} EmptyBus;

static void
empty_bus_stop (EmptyBus *bus)
{
  if (bus->process != NULL)
    {
      g_subprocess_force_exit (bus->process);
      g_subprocess_wait (bus->process, NULL, NULL);
    }
  g_clear_object (&bus->process);
  if (bus->config != NULL)
    g_unlink (bus->config);
  g_clear_pointer (&bus->config, g_free);
  g_clear_pointer (&bus->address, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EmptyBus, empty_bus_stop)

/* FALSE (the test skipped) when there is no dbus-daemon. */
static gboolean
empty_bus_start (EmptyBus *bus)
{
  const char *env = g_getenv ("DBUS_DAEMON");
  g_autofree char *daemon = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  int fd;

  daemon = env != NULL && *env != '\0' && strcmp (env, "no") != 0
               ? g_strdup (env)
               : g_find_program_in_path ("dbus-daemon");
  if (daemon == NULL)
    {
      g_test_skip ("no dbus-daemon");
      return FALSE;
    }
  /* No service directories: nothing can be activated. */
  fd = g_file_open_tmp ("hullctl-bus-XXXXXX.conf", &bus->config, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (bus->config,
                       "<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen>"
                       "<auth>EXTERNAL</auth><policy context='default'>"
                       "<allow send_destination='*' eavesdrop='true'/>"
                       "<allow eavesdrop='true'/><allow own='*'/></policy></busconfig>",
                       -1, &error);
  g_assert_no_error (error);
  {
    g_autofree char *config_arg = g_strdup_printf ("--config-file=%s", bus->config);

    bus->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, daemon, config_arg,
                                     "--nofork", "--print-address=1", NULL);
  }
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus->process));
  bus->address = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bus->address);
  return TRUE;
}

/* A bus without hulld: exit 3, saying so; not a hang. */
static void
test_no_hulld_exits_3 (void)
{
  g_auto (EmptyBus) bus = { 0 };
  g_autofree char *variable = NULL;
  const char *env[2];
  const char *const commands[][3] = {
    { "list", NULL },         { "dominfo", "web1", NULL }, { "start", "web1", NULL },
    { "capabilities", NULL }, { "event", NULL },
  };

  if (!empty_bus_start (&bus))
    return;
  variable = g_strdup_printf ("DBUS_SESSION_BUS_ADDRESS=%s", bus.address);
  env[0] = variable;
  env[1] = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto (Run) run = { 0 };

      hullctl_envv (&run, env, NULL, commands[i]);
      if (run.status != 3
          || !g_str_has_prefix (run.err, "hullctl: hulld is not reachable on the session bus: "))
        g_error ("hullctl %s: status %d, stderr '%s'", commands[i][0], run.status, run.err);
      g_assert_cmpstr (run.out, ==, "");
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/hullctl/validate/examples-are-valid", test_validate_examples);
  g_test_add_func ("/hull/hullctl/validate/reports-line-and-fails",
                   test_validate_reports_line_and_fails);
  g_test_add_func ("/hull/hullctl/validate/lenient-warns", test_validate_lenient_warns);
  g_test_add_func ("/hull/hullctl/validate/bad-encoding-is-one-line",
                   test_validate_bad_encoding_quiet);
  g_test_add_func ("/hull/hullctl/format/matches-golden", test_format_golden);
  g_test_add_func ("/hull/hullctl/format/reads-stdin", test_format_stdin);
  g_test_add_func ("/hull/hullctl/layout/json", test_layout_json);
  g_test_add_func ("/hull/hullctl/layout/table", test_layout_table);
  g_test_add_func ("/hull/hullctl/usage-errors-exit-2", test_usage_errors);
  g_test_add_func ("/hull/hullctl/missing-file", test_missing_file);
  g_test_add_func ("/hull/hullctl/validate/endless-input-refused", test_validate_endless_input);
  g_test_add_func ("/hull/hullctl/validate/lenient-warns-before-error",
                   test_validate_lenient_warns_before_error);
  g_test_add_func ("/hull/hullctl/help-lists-every-command", test_help_lists_every_command);
  g_test_add_func ("/hull/hullctl/daemon/usage-errors-exit-2", test_daemon_usage_errors);
  g_test_add_func ("/hull/hullctl/daemon/no-bus-exits-3", test_no_bus_exits_3);
  g_test_add_func ("/hull/hullctl/daemon/no-hulld-exits-3", test_no_hulld_exits_3);
  return g_test_run ();
}
