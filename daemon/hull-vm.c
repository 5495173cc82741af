/* hull-vm — the per-VM worker.
 *
 * Worker mode, spawned by hulld (docs/daemon.md; daemon/hull-worker.c):
 *
 *   hull-vm --worker --uuid UUID --xml FILE --runtime-dir DIR
 *           [--console-log FILE] [--backend NAME] [--backend-dir DIR]
 *           [--xml-fd N] [--listen-fd N] [--status-fd N] [--console-log-fd N]
 *           [--kvm-fd N] [--kernel-fd N] [--initrd-fd N]
 *           [--speed hardware|emulated] --ready-fd N
 *
 * Standalone mode, for development and tests:
 *
 *   hull-vm --xml FILE [--backend NAME] [--backend-dir DIR] [--timeout SEC]
 *           [--inspect PATH] [--console-log FILE]
 *
 * loads the backend, builds the partition from the definition, runs it until
 * the first halt, prints the halt reason and exits with a status that says
 * which (see exit_status_for_halt(); also in the man page and README).
 * The guest's serial output goes to stdout (and serial port 0's to the
 * console log), and stdin goes to serial port 0 (docs/console.md).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "hull-backend-loader.h"
#include "hull-console.h"
#include "hull-domain-def.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-machine.h"
#include "hull-worker.h"

enum
{
  EXIT_POWER_OFF = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_RESET = 10,
  EXIT_HIBERNATE = 11,
  EXIT_TRIPLE_FAULT = 12,
  EXIT_VP_FAILED = 13,
  EXIT_OTHER_HALT = 14,
  EXIT_TIMED_OUT = 124,
  EXIT_INTERRUPTED = 130,
};

/* The serial port stdin and --console-log are for. */
#define INPUT_PORT 0

typedef struct
{
  GMainLoop *loop;
  HullMachine *machine;
  const HullDomainDef *def;
  char *inspect_path;
  int status;

  /* One per serial port: guest output waits in them for the main loop, so a
   * stalled stdout (a pager, a full pipe) or log never blocks a VP inside
   * the UART: a blocked VP would keep a stop from completing. Past the
   * console's queue limit, output is dropped and counted. */
  HullConsole *consoles[HULL_DOMAIN_MAX_SERIALS];
  guint64 reported_dropped;

  /* stdin, read on the main loop and pushed to INPUT_PORT's UART. */
  guint stdin_source;
  int stdin_flags;     /* fd 0's flags before O_NONBLOCK, to restore; -1: none */
  gboolean stdin_done; /* EOF or a read error */
  GByteArray *input;   /* read, refused by the full UART: sent on input_space */
} Run;

static void
run_clear (Run *run)
{
  for (guint i = 0; i < G_N_ELEMENTS (run->consoles); i++)
    g_clear_pointer (&run->consoles[i], hull_console_free);
  g_clear_pointer (&run->input, g_byte_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static int
exit_status_for_halt (HullHaltKind kind)
{
  switch (kind)
    {
      case HULL_HALT_POWER_OFF:
        return EXIT_POWER_OFF;
      case HULL_HALT_RESET:
        return EXIT_RESET;
      case HULL_HALT_HIBERNATE:
        return EXIT_HIBERNATE;
      case HULL_HALT_TRIPLE_FAULT:
        return EXIT_TRIPLE_FAULT;
      case HULL_HALT_VP_FAILED:
        return EXIT_VP_FAILED;
      case HULL_HALT_DEBUG_BREAK:
      case HULL_HALT_SINGLE_STEP:
      case HULL_HALT_HW_BREAKPOINT:
      case HULL_HALT_WATCHDOG:
      default:
        return EXIT_OTHER_HALT;
    }
}

static void
print_inspect (Run *run)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) tree = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;

  tree = hull_machine_inspect (run->machine, run->inspect_path, 16, 2 * G_USEC_PER_SEC, &error);
  if (tree == NULL)
    {
      g_printerr ("hull-vm: %s\n", error->message);
      return;
    }
  node = json_gvariant_serialize (tree);
  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
report_dropped (Run *run)
{
  guint64 dropped = 0;

  for (guint i = 0; i < G_N_ELEMENTS (run->consoles); i++)
    if (run->consoles[i] != NULL)
      dropped += hull_console_get_dropped (run->consoles[i]);
  if (dropped > run->reported_dropped)
    g_printerr (_ ("hull-vm: %llu bytes of guest output were dropped (stdout too slow)\n"),
                (unsigned long long)(dropped - run->reported_dropped));
  run->reported_dropped = dropped;
}

/* Writes what the consoles hold to stdout (through on_console_output()). */
static void
flush_consoles (Run *run)
{
  for (guint i = 0; i < G_N_ELEMENTS (run->consoles); i++)
    if (run->consoles[i] != NULL)
      hull_console_flush (run->consoles[i]);
  report_dropped (run);
}

/* On the main loop: a console's watch. */
static void
on_console_output (HullConsole *console, const guint8 *bytes, gsize len, gpointer user_data)
{
  Run *run = user_data;

  fwrite (bytes, 1, len, stdout);
  fflush (stdout);
  report_dropped (run);
}

/* On VP threads: hand the guest's serial output to the port's console. */
static void
on_console (HullMachine *machine, guint port, const guint8 *bytes, gsize len, gpointer user_data)
{
  Run *run = user_data;

  hull_console_write (run->consoles[port], bytes, len);
}

/* Stops reading stdin for good and gives fd 0 its flags back. */
static void
stop_input (Run *run)
{
  g_clear_handle_id (&run->stdin_source, g_source_remove);
  run->stdin_done = TRUE;
  if (run->stdin_flags >= 0)
    fcntl (STDIN_FILENO, F_SETFL, run->stdin_flags);
  run->stdin_flags = -1;
}

static gboolean
on_stdin (int fd, GIOCondition condition, gpointer user_data)
{
  Run *run = user_data;
  guint8 buffer[4096];
  gssize n;
  gsize taken;

  n = read (fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;
  if (n <= 0)
    {
      /* EOF or an error: the guest keeps running without input. */
      if (n < 0)
        g_printerr (_ ("hull-vm: cannot read standard input: %s\n"), g_strerror (errno));
      run->stdin_source = 0;
      stop_input (run);
      return G_SOURCE_REMOVE;
    }
  taken = hull_machine_push_console_input (run->machine, INPUT_PORT, buffer, (gsize)n);
  if (taken == (gsize)n)
    return G_SOURCE_CONTINUE;
  /* The UART's queue is full: keep the rest and stop reading until the
   * guest has read some (on_input_space()). */
  g_byte_array_append (run->input, buffer + taken, (guint)((gsize)n - taken));
  run->stdin_source = 0;
  return G_SOURCE_REMOVE;
}

static void
watch_stdin (Run *run)
{
  run->stdin_source = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, run);
}

/* On the main loop: the UART has room for the input it refused. */
static gboolean
on_input_space (gpointer user_data)
{
  Run *run = user_data;
  gsize taken;

  if (run->input->len == 0)
    return G_SOURCE_REMOVE;
  taken = hull_machine_push_console_input (run->machine, INPUT_PORT, run->input->data,
                                           run->input->len);
  g_byte_array_remove_range (run->input, 0, (guint)taken);
  /* Still full: input_space comes again. */
  if (run->input->len == 0 && !run->stdin_done)
    watch_stdin (run);
  return G_SOURCE_REMOVE;
}

/* On a VP thread (or the main loop): marshal to the main loop. */
static void
on_uart_input_space (HullMachine *machine, guint port, gpointer user_data)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, on_input_space, user_data, NULL);
}

/* Reads stdin, whatever it is (a terminal stays in its cooked mode), on the
 * main loop; nothing when there is no stdin or no INPUT_PORT. */
static void
start_input (Run *run)
{
  g_autoptr (GError) error = NULL;
  int flags = fcntl (STDIN_FILENO, F_GETFL);

  run->stdin_flags = -1;
  run->stdin_done = TRUE;
  if (flags < 0 || run->consoles[INPUT_PORT] == NULL)
    return;
  if ((flags & O_NONBLOCK) == 0)
    {
      if (!g_unix_set_fd_nonblocking (STDIN_FILENO, TRUE, &error))
        {
          g_printerr (_ ("hull-vm: cannot read standard input: %s\n"), error->message);
          return;
        }
      run->stdin_flags = flags;
    }
  run->stdin_done = FALSE;
  hull_machine_set_input_space_func (run->machine, on_uart_input_space, run);
  watch_stdin (run);
}

static void
on_halt (HullMachine *machine, const HullHaltReason *reason, gpointer user_data)
{
  Run *run = user_data;
  g_autofree char *text = hull_halt_reason_describe (reason);
  gint64 boot_time = hull_machine_get_boot_time (machine);

  /* The guest's output before the halt line. */
  flush_consoles (run);
  if (boot_time >= 0)
    g_print (_ ("hull-vm: the guest wrote the boot timer %lld µs after start\n"),
             (long long)boot_time);
  g_print (_ ("hull-vm: domain '%s' halted: %s\n"), run->def->name, text);
  run->status = exit_status_for_halt (reason->kind);
  g_main_loop_quit (run->loop);
}

static gboolean
on_timeout (gpointer data)
{
  Run *run = data;

  g_printerr (_ ("hull-vm: domain '%s' did not halt in time; stopping it\n"), run->def->name);
  run->status = EXIT_TIMED_OUT;
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE; /* removed by main() */
}

static gboolean
on_signal (gpointer data)
{
  Run *run = data;

  g_printerr (_ ("hull-vm: interrupted; stopping domain '%s'\n"), run->def->name);
  run->status = EXIT_INTERRUPTED;
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE; /* removed by main() */
}

static const char *
speed_name (HullExecutionSpeed speed)
{
  switch (speed)
    {
      case HULL_EXECUTION_HARDWARE:
        return _ ("hardware speed");
      case HULL_EXECUTION_EMULATED:
        return _ ("emulated");
      case HULL_EXECUTION_UNKNOWN:
      default:
        return _ ("unknown speed");
    }
}

/* Worker mode's options; the rest are shared with standalone mode. */
typedef struct
{
  gboolean enabled;
  char *uuid;
  char *runtime_dir;
  int ready_fd;
  /* Files hulld opened for us (docs/daemon.md); -1: none. */
  int xml_fd;
  int listen_fd;
  int status_fd;
  int console_log_fd;
  int kvm_fd;
  int kernel_fd;
  int initrd_fd;
  char *speed;
} WorkerArgs;

/* Checks the fd options: each one given must be open; they become
 * close-on-exec. NULL, or a message. */
static char *
check_worker_fds (WorkerArgs *args)
{
  const struct
  {
    const char *option;
    int fd;
  } fds[] = {
    { "--xml-fd", args->xml_fd },       { "--listen-fd", args->listen_fd },
    { "--status-fd", args->status_fd }, { "--console-log-fd", args->console_log_fd },
    { "--kvm-fd", args->kvm_fd },       { "--kernel-fd", args->kernel_fd },
    { "--initrd-fd", args->initrd_fd },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (fds); i++)
    {
      if (fds[i].fd == -1)
        continue;
      if (fds[i].fd <= 2 || fds[i].fd == args->ready_fd || fcntl (fds[i].fd, F_GETFD) < 0)
        return g_strdup_printf (_ ("%s %d is not an open file descriptor of its own"),
                                fds[i].option, fds[i].fd);
      for (gsize j = 0; j < i; j++)
        if (fds[j].fd == fds[i].fd)
          return g_strdup_printf (_ ("%s and %s are the same file descriptor"), fds[j].option,
                                  fds[i].option);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (fds); i++)
    if (fds[i].fd != -1)
      fcntl (fds[i].fd, F_SETFD, FD_CLOEXEC);
  return NULL;
}

static gboolean
parse_speed (const char *name, HullExecutionSpeed *speed)
{
  if (name == NULL)
    *speed = HULL_EXECUTION_UNKNOWN;
  else if (g_str_equal (name, "hardware"))
    *speed = HULL_EXECUTION_HARDWARE;
  else if (g_str_equal (name, "emulated"))
    *speed = HULL_EXECUTION_EMULATED;
  else if (g_str_equal (name, "unknown"))
    *speed = HULL_EXECUTION_UNKNOWN;
  else
    return FALSE;
  return TRUE;
}

/* Closes the fds given to a worker that does not start. */
static void
close_worker_fds (WorkerArgs *args)
{
  int *fds[] = { &args->xml_fd, &args->listen_fd, &args->status_fd, &args->console_log_fd,
                 &args->kvm_fd, &args->kernel_fd, &args->initrd_fd };

  for (gsize i = 0; i < G_N_ELEMENTS (fds); i++)
    if (*fds[i] > 2 && *fds[i] != args->ready_fd)
      close (g_steal_fd (fds[i]));
}

/* Worker mode: set up, say READY (or ERROR) on the ready fd, serve. */
static int
run_worker (const WorkerArgs *args, const HullWorkerOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullWorker) worker = NULL;

  worker = hull_worker_new (options, &error);
  hull_worker_report_ready (args->ready_fd, error);
  if (worker == NULL)
    {
      g_printerr ("hull-vm: %s\n", error->message);
      return EXIT_FAILED;
    }
  return hull_worker_run (worker);
}

/* A usage error in worker mode also goes to the ready fd, if there is one,
 * so that hulld can report it. */
static int
worker_usage_error (const WorkerArgs *args, const char *message)
{
  g_printerr ("hull-vm: %s\n", message);
  if (args->ready_fd >= 0 && fcntl (args->ready_fd, F_GETFD) >= 0)
    {
      g_autoptr (GError) error
          = g_error_new_literal (HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT, message);

      hull_worker_report_ready (args->ready_fd, error);
    }
  return EXIT_USAGE;
}

int
main (int argc, char **argv)
{
  g_autofree char *xml = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *backend_dir = NULL;
  g_autofree char *inspect_path = NULL;
  g_autofree char *console_log = NULL;
  int timeout = 0;
  WorkerArgs worker = {
    .ready_fd = -1,
    .xml_fd = -1,
    .listen_fd = -1,
    .status_fd = -1,
    .console_log_fd = -1,
    .kvm_fd = -1,
    .kernel_fd = -1,
    .initrd_fd = -1,
  };
  GOptionEntry entries[] = {
    { "xml", 0, 0, G_OPTION_ARG_FILENAME, &xml, N_ ("The domain definition to run"), N_ ("FILE") },
    { "backend", 0, 0, G_OPTION_ARG_STRING, &backend,
      N_ ("The backend to use (default: the domain's type)"), N_ ("NAME") },
    { "backend-dir", 0, 0, G_OPTION_ARG_FILENAME, &backend_dir,
      N_ ("Where backend plugins are (default: $HULL_BACKEND_DIR or the installed ones)"),
      N_ ("DIR") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
      N_ ("Stop the VM if it has not halted after SEC seconds (exit status 124)"), N_ ("SEC") },
    { "inspect", 0, 0, G_OPTION_ARG_STRING, &inspect_path,
      N_ ("After the halt, print the inspect tree under PATH as JSON (\"\" for all)"),
      N_ ("PATH") },
    { "console-log", 0, 0, G_OPTION_ARG_FILENAME, &console_log,
      N_ ("Append the guest's output on serial port 0 to FILE"), N_ ("FILE") },
    { "worker", 0, 0, G_OPTION_ARG_NONE, &worker.enabled,
      N_ ("Run as hulld's worker: serve the domain on a D-Bus socket"), NULL },
    { "uuid", 0, 0, G_OPTION_ARG_STRING, &worker.uuid, N_ ("Worker mode: the domain's UUID"),
      N_ ("UUID") },
    { "runtime-dir", 0, 0, G_OPTION_ARG_FILENAME, &worker.runtime_dir,
      N_ ("Worker mode: hulld's runtime directory (the socket goes to its vm/)"), N_ ("DIR") },
    { "ready-fd", 0, 0, G_OPTION_ARG_INT, &worker.ready_fd,
      N_ ("Worker mode: write READY or ERROR to this file descriptor"), N_ ("N") },
    { "xml-fd", 0, 0, G_OPTION_ARG_INT, &worker.xml_fd,
      N_ ("Worker mode: read the definition from this fd (--xml names it)"), N_ ("N") },
    { "listen-fd", 0, 0, G_OPTION_ARG_INT, &worker.listen_fd,
      N_ ("Worker mode: serve on this listening socket instead of making one"), N_ ("N") },
    { "status-fd", 0, 0, G_OPTION_ARG_INT, &worker.status_fd,
      N_ ("Worker mode: rewrite the status record in this fd instead of making one"), N_ ("N") },
    { "console-log-fd", 0, 0, G_OPTION_ARG_INT, &worker.console_log_fd,
      N_ ("Worker mode: append serial port 0's output to this fd (--console-log names it)"),
      N_ ("N") },
    { "kvm-fd", 0, 0, G_OPTION_ARG_INT, &worker.kvm_fd,
      N_ ("Worker mode: the hypervisor device, already open"), N_ ("N") },
    { "kernel-fd", 0, 0, G_OPTION_ARG_INT, &worker.kernel_fd,
      N_ ("Worker mode: the definition's kernel, already open"), N_ ("N") },
    { "initrd-fd", 0, 0, G_OPTION_ARG_INT, &worker.initrd_fd,
      N_ ("Worker mode: the definition's initrd, already open"), N_ ("N") },
    { "speed", 0, 0, G_OPTION_ARG_STRING, &worker.speed,
      N_ ("Worker mode: the backend's speed as hulld probed it (hardware, emulated)"),
      N_ ("SPEED") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autoptr (HullBackendLoader) loader = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  /* Cleared after the machine: no console is freed under a running VP. */
  g_auto (Run) run = { .stdin_flags = -1 };
  g_autoptr (HullMachine) machine = NULL;
  guint sources[3] = { 0 };

  setlocale (LC_ALL, "");
  hull_i18n_init ();

  context = g_option_context_new (NULL);
  g_option_context_set_summary (
      context, _ ("Run one virtual machine until it halts, or (--worker) serve it to hulld."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hull-vm: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (worker.enabled)
    {
      HullWorkerOptions options = {
        .uuid = worker.uuid,
        .xml_path = xml,
        .runtime_dir = worker.runtime_dir,
        .console_log = console_log,
        .backend = backend,
        .backend_dir = backend_dir,
        .xml_fd = worker.xml_fd,
        .listen_fd = worker.listen_fd,
        .status_fd = worker.status_fd,
        .console_log_fd = worker.console_log_fd,
        .kvm_fd = worker.kvm_fd,
        .kernel_fd = worker.kernel_fd,
        .initrd_fd = worker.initrd_fd,
      };
      g_autofree char *bad_fd = NULL;
      int status;

      if (worker.ready_fd < 0 || fcntl (worker.ready_fd, F_GETFD) < 0)
        status = worker_usage_error (&worker, _ ("--worker needs an open --ready-fd N"));
      else if ((bad_fd = check_worker_fds (&worker)) != NULL)
        status = worker_usage_error (&worker, bad_fd);
      else if (!parse_speed (worker.speed, &options.speed))
        status = worker_usage_error (&worker, _ ("--speed must be \"hardware\" or \"emulated\""));
      else if (xml == NULL || worker.uuid == NULL || worker.runtime_dir == NULL || argc > 1)
        status = worker_usage_error (
            &worker, _ ("--worker needs --uuid UUID, --xml FILE and --runtime-dir DIR"));
      else if (timeout != 0 || inspect_path != NULL)
        status = worker_usage_error (
            &worker, _ ("--timeout and --inspect are for standalone mode, not --worker"));
      else
        {
          fcntl (worker.ready_fd, F_SETFD, FD_CLOEXEC);
          /* The worker takes the fds, whatever happens. */
          status = run_worker (&worker, &options);
        }
      if (status == EXIT_USAGE)
        close_worker_fds (&worker);
      g_free (worker.uuid);
      g_free (worker.runtime_dir);
      g_free (worker.speed);
      return status;
    }
  if (worker.uuid != NULL || worker.runtime_dir != NULL || worker.ready_fd >= 0
      || worker.xml_fd != -1 || worker.listen_fd != -1 || worker.status_fd != -1
      || worker.console_log_fd != -1 || worker.kvm_fd != -1 || worker.kernel_fd != -1
      || worker.initrd_fd != -1 || worker.speed != NULL)
    {
      g_printerr (_ ("hull-vm: --uuid, --runtime-dir, --ready-fd and the fd and --speed "
                     "options need --worker\n"));
      g_free (worker.uuid);
      g_free (worker.runtime_dir);
      g_free (worker.speed);
      return EXIT_USAGE;
    }
  if (xml == NULL || argc > 1 || timeout < 0)
    {
      g_printerr (_ ("hull-vm: give the domain with --xml FILE (see --help)\n"));
      return EXIT_USAGE;
    }

  def = hull_domain_def_parse_file (xml, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  if (def == NULL)
    {
      g_printerr ("hull-vm: %s\n", error->message);
      return EXIT_FAILED;
    }
  loader = hull_backend_loader_new (backend_dir);
  if (!hull_backend_loader_load (loader, &error))
    {
      g_printerr ("hull-vm: %s\n", error->message);
      return EXIT_FAILED;
    }

  for (guint i = 0; i < def->serials->len; i++)
    {
      const HullChardevDef *serial = g_ptr_array_index (def->serials, i);
      const char *log = serial->port == INPUT_PORT ? console_log : NULL;

      run.consoles[serial->port] = hull_console_new (0, log, &error);
      if (run.consoles[serial->port] == NULL)
        {
          g_printerr ("hull-vm: %s\n", error->message);
          return EXIT_FAILED;
        }
      hull_console_add_watch (run.consoles[serial->port], on_console_output, &run);
    }
  if (console_log != NULL && run.consoles[INPUT_PORT] == NULL)
    {
      g_printerr (_ ("hull-vm: --console-log: domain '%s' has no serial port 0\n"), def->name);
      return EXIT_FAILED;
    }

  loop = g_main_loop_new (NULL, FALSE);
  machine = hull_machine_new (def, loader, backend, -1, NULL, &error);
  if (machine == NULL)
    {
      g_printerr ("hull-vm: %s\n", error->message);
      return EXIT_FAILED;
    }
  run.loop = loop;
  run.machine = machine;
  run.def = def;
  run.inspect_path = inspect_path;
  run.status = EXIT_FAILED;
  run.input = g_byte_array_new ();
  hull_machine_set_halt_func (machine, on_halt, &run);
  hull_machine_set_console_func (machine, on_console, &run);
  start_input (&run);

  sources[0] = g_unix_signal_add (SIGINT, on_signal, &run);
  sources[1] = g_unix_signal_add (SIGTERM, on_signal, &run);
  if (timeout > 0)
    sources[2] = g_timeout_add_seconds (timeout, on_timeout, &run);

  g_print (_ ("hull-vm: domain '%s' runs on backend '%s' (%s) with %u VPs\n"), def->name,
           hull_machine_get_backend (machine)->name, speed_name (hull_machine_get_speed (machine)),
           def->vcpus);
  hull_machine_start (machine);
  g_main_loop_run (loop);
  hull_partition_unit_stop (hull_machine_get_unit (machine));
  /* The VPs are stopped: no more output comes; write what is left. */
  flush_consoles (&run);
  stop_input (&run);
  while (g_idle_remove_by_data (&run))
    ;

  if (inspect_path != NULL)
    print_inspect (&run);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    if (sources[i] != 0)
      g_source_remove (sources[i]);
  return run.status;
}
