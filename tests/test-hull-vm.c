/* hull-vm in standalone mode, run as a developer would: the test backend
 * runs a domain to its first halt, and the exit status says which halt. */
#include "config.h"

#include <errno.h>
#include <glib.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <poll.h>
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

/* hull-vm's command line, NULL-terminated, from the variable arguments. */
static GPtrArray *
hull_vm_argv (const char *first, va_list args)
{
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_test_build_filename (G_TEST_BUILT, "..", "daemon", "hull-vm", NULL));
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* The tests read English messages, whatever the caller's locale. */
static GStrv
hull_vm_envp (void)
{
  GStrv envp = g_get_environ ();

  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  return g_environ_unsetenv (envp, "LANGUAGE");
}

/* g_spawn_sync() rather than GSubprocess: it uses no helper thread, so the
 * ThreadSanitizer run of this test sees no GLib-internal hand-offs. Stdin
 * is /dev/null: hull-vm sends its stdin to the guest. */
static void
hull_vm (Run *run, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = NULL;
  g_auto (GStrv) envp = hull_vm_envp ();
  g_autoptr (GError) error = NULL;
  int wait_status;
  va_list args;

  va_start (args, first);
  argv = hull_vm_argv (first, args);
  va_end (args);

  g_spawn_sync (NULL, (char **)argv->pdata, envp, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL,
                &run->out, &run->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  run->status = WEXITSTATUS (wait_status);
}

/* Like hull_vm(), with @input written to hull-vm's stdin, which is then
 * closed. No threads either: one poll() loop reads stdout and stderr. */
static void
hull_vm_with_input (Run *run, const char *input, const char *first, ...)
{
  g_autoptr (GPtrArray) argv = NULL;
  g_auto (GStrv) envp = hull_vm_envp ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) err = g_string_new (NULL);
  struct pollfd fds[2];
  GString *sinks[2] = { out, err };
  int in_fd, wait_status;
  GPid pid;
  va_list args;

  va_start (args, first);
  argv = hull_vm_argv (first, args);
  va_end (args);

  g_spawn_async_with_pipes (NULL, (char **)argv->pdata, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &pid, &in_fd, &fds[0].fd, &fds[1].fd, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (in_fd, input, strlen (input)), ==, (gssize)strlen (input));
  close (in_fd);

  fds[0].events = fds[1].events = POLLIN;
  while (fds[0].fd >= 0 || fds[1].fd >= 0)
    {
      if (poll (fds, 2, -1) < 0)
        {
          g_assert_cmpint (errno, ==, EINTR);
          continue;
        }
      for (guint i = 0; i < 2; i++)
        if (fds[i].fd >= 0 && fds[i].revents != 0)
          {
            char buffer[4096];
            gssize n = read (fds[i].fd, buffer, sizeof buffer);

            if (n > 0)
              g_string_append_len (sinks[i], buffer, n);
            else if (n == 0 || errno != EINTR)
              {
                close (fds[i].fd);
                fds[i].fd = -1; /* poll() ignores it */
              }
          }
    }
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFEXITED (wait_status));
  run->status = WEXITSTATUS (wait_status);
  run->out = g_string_free (g_steal_pointer (&out), FALSE);
  run->err = g_string_free (g_steal_pointer (&err), FALSE);
}

/* A 2-VP test domain with @devices; VP 0 runs @program, VP 1 idles. */
static char *
write_domain_with_devices (const char *program, const char *extra, const char *devices)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *xml
      = g_strdup_printf ("<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'>\n"
                         "  <name>vm</name><memory unit='MiB'>16</memory><vcpu>2</vcpu>\n"
                         "  <devices>%s</devices>\n"
                         "  <hull:test-program>\n"
                         "    <hull:vp index='0'>%s</hull:vp>\n"
                         "    %s\n"
                         "  </hull:test-program>\n"
                         "</domain>\n",
                         devices != NULL ? devices : "", program, extra != NULL ? extra : "");
  char *path = NULL;
  int fd = g_file_open_tmp ("hull-vm-XXXXXX.xml", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, xml, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* A 2-VP test domain; VP 0 runs @program, VP 1 idles. */
static char *
write_domain (const char *program, const char *extra)
{
  return write_domain_with_devices (program, extra, NULL);
}

typedef struct
{
  const char *name;
  const char *program;
  const char *extra;
  int status;
  const char *out; /* in stdout */
  const char *err; /* in stderr */
} HaltCase;

static const HaltCase halt_cases[] = {
  { "power-off", "<hull:out port='0x80' value='1'/><hull:halt reason='poweroff'/>", NULL, 0,
    "halted: power-off (VP 0)", NULL },
  { "reset", "<hull:halt reason='reset'/>", NULL, 10, "halted: reset (VP 0)", NULL },
  { "hibernate", "<hull:halt reason='hibernate'/>", NULL, 11, "halted: hibernate (VP 0)", NULL },
  { "triple-fault", "<hull:spin usec='10'/><hull:halt reason='triple-fault'/>", NULL, 12,
    "halted: triple-fault (VP 0)", NULL },
  { "vp-failed-guest", "<hull:in port='0x64' expect='0x1c'/>", NULL, 13, "VP 0 failed: VP 0 step 0",
    NULL },
  /* VP 0 spins for long enough that VP 1's fault is the first halt; the halt
   * then interrupts the spin. */
  { "vp-failed-injected", "<hull:spin usec='30000000'/><hull:halt reason='poweroff'/>",
    "<hull:fault stage='run' vp='1'/>", 13, "VP 1 failed: injected fault: run", NULL },
  { "build-fault", "<hull:halt reason='poweroff'/>", "<hull:fault stage='build'/>", 1, NULL,
    "domain 'vm': injected fault: build" },
  { "bind-fault", "<hull:halt reason='poweroff'/>", "<hull:fault stage='bind' vp='1'/>", 1, NULL,
    "VP 1: cannot bind the processor" },
};

static void
test_halt (gconstpointer data)
{
  const HaltCase *c = data;
  g_autofree char *path = write_domain (c->program, c->extra);
  g_auto (Run) run = { 0 };

  hull_vm (&run, "--xml", path, "--timeout", "60", NULL);
  g_test_message ("%s: status %d\n%s%s", c->name, run.status, run.out, run.err);
  g_assert_cmpint (run.status, ==, c->status);
  if (c->out != NULL)
    g_assert_nonnull (strstr (run.out, c->out));
  if (c->err != NULL)
    g_assert_nonnull (strstr (run.err, c->err));
  g_unlink (path);
}

/* The bundled example runs to its power-off. */
static void
test_example (void)
{
  g_autofree char *path
      = g_test_build_filename (G_TEST_DIST, "..", "xml", "examples", "test-program.xml", NULL);
  g_auto (Run) run = { 0 };

  hull_vm (&run, "--xml", path, "--timeout", "60", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (
      strstr (run.out, "domain 'program' runs on backend 'test' (emulated) with 2 VPs"));
  g_assert_nonnull (strstr (run.out, "halted: power-off (VP 0)"));
}

/* A guest that never halts is stopped at the deadline. */
static void
test_timeout (void)
{
  g_autofree char *path = write_domain ("<hull:spin usec='1000'/><hull:jump step='0'/>", NULL);
  g_auto (Run) run = { 0 };

  hull_vm (&run, "--xml", path, "--timeout", "1", NULL);
  g_assert_cmpint (run.status, ==, 124);
  g_assert_nonnull (strstr (run.err, "did not halt in time"));
  g_unlink (path);
}

/* --inspect prints the machine's tree as JSON after the halt. */
static void
test_inspect (void)
{
  g_autofree char *path
      = write_domain ("<hull:out port='0x80' value='7'/><hull:out port='0x99' value='1'/>"
                      "<hull:halt reason='poweroff'/>",
                      NULL);
  g_auto (Run) run = { 0 };

  hull_vm (&run, "--xml", path, "--inspect", "io-bus", NULL);
  g_assert_cmpint (run.status, ==, 0);
  /* Port 0x80 is the debug port; nothing is at 0x99: counted as unclaimed. */
  g_assert_nonnull (strstr (run.out, "\"unclaimed-writes\" : 1"));
  g_assert_nonnull (strstr (run.out, "\"last-unclaimed\" : \"pio write 0x99\""));
  g_unlink (path);
}

/* --console-log gets serial port 0's output, stdout too, before the halt
 * line. */
static void
test_console_log (void)
{
  g_autofree char *path
      = g_test_build_filename (G_TEST_DIST, "..", "xml", "examples", "test-program.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hull-vm-XXXXXX", &error);
  g_autofree char *log = NULL;
  g_autofree char *contents = NULL;
  g_auto (Run) run = { 0 };
  const char *hi, *halted;

  g_assert_no_error (error);
  log = g_build_filename (dir, "console.log", NULL);
  hull_vm (&run, "--xml", path, "--timeout", "60", "--console-log", log, NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_file_get_contents (log, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, "Hi\n");
  hi = strstr (run.out, "Hi\n");
  halted = strstr (run.out, "halted: power-off");
  g_assert_nonnull (hi);
  g_assert_nonnull (halted);
  g_assert_true (hi < halted);
  g_unlink (log);
  g_rmdir (dir);
}

static void
test_console_log_errors (void)
{
  g_autofree char *example
      = g_test_build_filename (G_TEST_DIST, "..", "xml", "examples", "test-program.xml", NULL);
  g_autofree char *no_serial = write_domain ("<hull:halt reason='poweroff'/>", NULL);
  g_auto (Run) unwritable = { 0 };
  g_auto (Run) no_port = { 0 };

  hull_vm (&unwritable, "--xml", example, "--console-log", "/nonexistent/console.log", NULL);
  g_assert_cmpint (unwritable.status, ==, 1);
  g_assert_nonnull (strstr (unwritable.err, "cannot open console log '/nonexistent/console.log'"));

  hull_vm (&no_port, "--xml", no_serial, "--console-log", "/nonexistent/console.log", NULL);
  g_assert_cmpint (no_port.status, ==, 1);
  g_assert_nonnull (strstr (no_port.err, "has no serial port 0"));
  g_unlink (no_serial);
}

/* Bytes on hull-vm's stdin reach the guest through serial port 0: VP 0
 * gives them 200 ms to arrive (the test backend has no conditional jump to
 * poll with), checks COM1's LSR (0x61: data ready, transmitter empty),
 * reads 'a' from RBR (another value fails the VP: exit 13) and powers off.
 * EOF on stdin, right after the 'a', stops nothing. */
static void
test_stdin_input (void)
{
  g_autofree char *path = write_domain_with_devices ("<hull:spin usec='200000'/>"
                                                     "<hull:in port='0x3fd' expect='0x61'/>"
                                                     "<hull:in port='0x3f8' expect='0x61'/>"
                                                     "<hull:halt reason='poweroff'/>",
                                                     NULL, "<serial type='pty'/>");
  g_auto (Run) run = { 0 };

  hull_vm_with_input (&run, "a", "--xml", path, "--timeout", "60", "--inspect", "devices/ttyS0",
                      NULL);
  g_test_message ("status %d\n%s%s", run.status, run.out, run.err);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "halted: power-off (VP 0)"));
  g_assert_nonnull (strstr (run.out, "\"input-bytes\" : 1"));
  g_unlink (path);
}

static void
test_errors (void)
{
  g_autofree char *path = write_domain ("<hull:halt reason='poweroff'/>", NULL);
  g_auto (Run) usage = { 0 };
  g_auto (Run) missing = { 0 };
  g_auto (Run) backend = { 0 };

  hull_vm (&usage, NULL);
  g_assert_cmpint (usage.status, ==, 2);
  g_assert_nonnull (strstr (usage.err, "--xml FILE"));

  hull_vm (&missing, "--xml", "/nonexistent/vm.xml", NULL);
  g_assert_cmpint (missing.status, ==, 1);
  g_assert_nonnull (strstr (missing.err, "/nonexistent/vm.xml"));

  hull_vm (&backend, "--xml", path, "--backend", "warp", NULL);
  g_assert_cmpint (backend.status, ==, 1);
  g_assert_nonnull (strstr (backend.err, "no backend named 'warp'"));
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (halt_cases); i++)
    {
      g_autofree char *name = g_strconcat ("/hull/hull-vm/halt/", halt_cases[i].name, NULL);

      g_test_add_data_func (name, &halt_cases[i], test_halt);
    }
  g_test_add_func ("/hull/hull-vm/example-runs-to-power-off", test_example);
  g_test_add_func ("/hull/hull-vm/timeout-stops-the-vm", test_timeout);
  g_test_add_func ("/hull/hull-vm/inspect-after-halt", test_inspect);
  g_test_add_func ("/hull/hull-vm/console-log", test_console_log);
  g_test_add_func ("/hull/hull-vm/console-log-errors", test_console_log_errors);
  g_test_add_func ("/hull/hull-vm/stdin-reaches-the-guest", test_stdin_input);
  g_test_add_func ("/hull/hull-vm/errors", test_errors);
  return g_test_run ();
}
