/* hull-vm — the per-VM worker.
 *
 * Standalone mode, for development and tests:
 *
 *   hull-vm --xml FILE [--backend NAME] [--backend-dir DIR] [--timeout SEC]
 *           [--inspect PATH]
 *
 * loads the backend, builds the partition from the definition, runs it until
 * the first halt, prints the halt reason and exits with a status that says
 * which (see exit_status_for_halt(); also in the man page and README).
 */
#include "config.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <stdio.h>

#include "hull-backend-loader.h"
#include "hull-domain-def.h"
#include "hull-i18n.h"
#include "hull-machine.h"
#include "hull-sync.h"

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

/* Guest output waits here for the main loop, so a stalled stdout (a pager,
 * a full pipe) never blocks a VP inside the UART: a blocked VP would keep a
 * stop from completing. Past the cap, output is dropped and counted. */
#define CONSOLE_BUFFER_MAX (1 << 20)

typedef struct
{
  GMainLoop *loop;
  HullMachine *machine;
  const HullDomainDef *def;
  char *inspect_path;
  int status;

  HullMutex console_lock;
  GByteArray *console; /* bytes not yet written */
  gboolean flush_pending;
  guint64 console_dropped;
} Run;

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
flush_console (Run *run)
{
  g_autoptr (GByteArray) pending = NULL;
  guint64 dropped;

  hull_mutex_lock (&run->console_lock);
  pending = g_steal_pointer (&run->console);
  run->console = g_byte_array_new ();
  run->flush_pending = FALSE;
  dropped = run->console_dropped;
  run->console_dropped = 0;
  hull_mutex_unlock (&run->console_lock);

  if (pending->len > 0)
    fwrite (pending->data, 1, pending->len, stdout);
  if (dropped > 0)
    g_printerr (_ ("hull-vm: %llu bytes of guest output were dropped (stdout too slow)\n"),
                (unsigned long long)dropped);
  fflush (stdout);
}

static gboolean
on_flush_console (gpointer data)
{
  flush_console (data);
  return G_SOURCE_REMOVE;
}

/* On VP threads: queue the guest's serial output for the main loop. */
static void
on_console (HullMachine *machine, guint port, const guint8 *bytes, gsize len, gpointer user_data)
{
  Run *run = user_data;
  gboolean schedule;

  hull_mutex_lock (&run->console_lock);
  if (run->console->len + len <= CONSOLE_BUFFER_MAX)
    g_byte_array_append (run->console, bytes, len);
  else
    run->console_dropped += len;
  schedule = !run->flush_pending;
  run->flush_pending = TRUE;
  hull_mutex_unlock (&run->console_lock);
  if (schedule)
    g_idle_add (on_flush_console, run);
}

static void
on_halt (HullMachine *machine, const HullHaltReason *reason, gpointer user_data)
{
  Run *run = user_data;
  g_autofree char *text = hull_halt_reason_describe (reason);
  gint64 boot_time = hull_machine_get_boot_time (machine);

  flush_console (run);
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

int
main (int argc, char **argv)
{
  g_autofree char *xml = NULL;
  g_autofree char *backend = NULL;
  g_autofree char *backend_dir = NULL;
  g_autofree char *inspect_path = NULL;
  int timeout = 0;
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
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autoptr (HullBackendLoader) loader = NULL;
  g_autoptr (HullMachine) machine = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  guint sources[3] = { 0 };
  Run run = { 0 };

  setlocale (LC_ALL, "");
  hull_i18n_init ();

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _ ("Run one virtual machine until it halts."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("hull-vm: %s\n", error->message);
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

  loop = g_main_loop_new (NULL, FALSE);
  machine = hull_machine_new (def, loader, backend, -1, NULL, &error);
  if (machine == NULL)
    {
      g_printerr ("hull-vm: %s\n", error->message);
      return EXIT_FAILED;
    }
  run = (Run){ loop, machine, def, inspect_path, EXIT_FAILED };
  hull_mutex_init (&run.console_lock);
  run.console = g_byte_array_new ();
  hull_machine_set_halt_func (machine, on_halt, &run);
  hull_machine_set_console_func (machine, on_console, &run);

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
  g_idle_remove_by_data (&run);
  flush_console (&run);

  if (inspect_path != NULL)
    print_inspect (&run);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    if (sources[i] != 0)
      g_source_remove (sources[i]);
  g_byte_array_unref (run.console);
  hull_mutex_clear (&run.console_lock);
  return run.status;
}
