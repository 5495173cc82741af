/* hullctl — the command-line client of Hull.
 *
 * `hullctl [--system|--session] COMMAND [OPTIONS] [ARGS]`. validate, format
 * and layout work on domain XML files offline; the other commands talk to
 * hulld over D-Bus (hullctl-client.c).
 */
#include "config.h"

#include "hullctl.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "hull-i18n.h"
#include "hullctl-client.h"

static const HullctlCommand commands[] = {
  /* Offline. */
  { "validate", "[--lenient] FILE…", N_ ("Check domain XML files and report every problem"),
    hullctl_cmd_validate, FALSE },
  { "format", "[--lenient] FILE", N_ ("Print a domain XML file in canonical form"),
    hullctl_cmd_format, FALSE },
  { "layout", "[--json] FILE",
    N_ ("Show the processor topology and guest memory layout of a domain"), hullctl_cmd_layout,
    FALSE },
  /* Domains. */
  { "define", "[--lenient] FILE", N_ ("Define a persistent domain from an XML file"),
    hullctl_cmd_define, TRUE },
  { "create", "[--lenient] [--paused] FILE",
    N_ ("Create and start a transient domain from an XML file"), hullctl_cmd_create, TRUE },
  { "undefine", "NAME", N_ ("Remove a domain's stored definition"), hullctl_cmd_lifecycle, TRUE },
  { "start", "[--paused] NAME", N_ ("Start a domain"), hullctl_cmd_start, TRUE },
  { "shutdown", "[--timeout SEC] NAME", N_ ("Shut a domain down, waiting for the guest"),
    hullctl_cmd_shutdown, TRUE },
  { "destroy", "NAME", N_ ("Stop a domain at once"), hullctl_cmd_lifecycle, TRUE },
  { "reboot", "NAME", N_ ("Reboot a domain as the guest would (on_reboot applies)"),
    hullctl_cmd_lifecycle, TRUE },
  { "reset", "NAME", N_ ("Reset a domain's processors and devices and boot again"),
    hullctl_cmd_lifecycle, TRUE },
  { "suspend", "NAME", N_ ("Pause a running domain"), hullctl_cmd_lifecycle, TRUE },
  { "resume", "NAME", N_ ("Resume a paused domain"), hullctl_cmd_lifecycle, TRUE },
  { "clear-halt", "NAME", N_ ("Let a domain held at a preserved halt run again"),
    hullctl_cmd_lifecycle, TRUE },
  { "autostart", "[--disable] NAME", N_ ("Start a domain when hulld starts (once per boot)"),
    hullctl_cmd_autostart, TRUE },
  { "list", "[--all|--inactive] [--name|--json]", N_ ("List domains"), hullctl_cmd_list, TRUE },
  { "dominfo", "[--json] NAME", N_ ("Show a domain's state and resources"), hullctl_cmd_dominfo,
    TRUE },
  { "dumpxml", "[--inactive] NAME", N_ ("Print a domain's XML definition"), hullctl_cmd_dumpxml,
    TRUE },
  { "console", "[--port N] [--read-only] [--force] NAME",
    N_ ("Connect to a domain's serial console"), hullctl_cmd_console, TRUE },
  { "inspect", "[--depth N] NAME [PATH]", N_ ("Print a running domain's inspect tree as JSON"),
    hullctl_cmd_inspect, TRUE },
  /* The host. */
  { "event", "[--loop] [--timeout SEC] [--json]", N_ ("Print domain lifecycle events"),
    hullctl_cmd_event, TRUE },
  { "capabilities", "[--json]", N_ ("Show what the host and hulld can do"),
    hullctl_cmd_capabilities, TRUE },
  { "backends", "[--json]", N_ ("List the hypervisor backends and whether they can run"),
    hullctl_cmd_backends, TRUE },
  { "nodedev-list", "[--subsystem SUBSYSTEM] [--json]",
    N_ ("List the host devices hulld watches (kvm, block, net, usb, pci)"),
    hullctl_cmd_nodedev_list, TRUE },
  { "nodedev-info", "[--json] DEVICE", N_ ("Show a host device and its udev properties"),
    hullctl_cmd_nodedev_info, TRUE },
};

void
hullctl_print_error (const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("hullctl: %s\n", message);
}

static gboolean
set_bus (const char *option, G_GNUC_UNUSED const char *value, gpointer data,
         G_GNUC_UNUSED GError **error)
{
  HullctlContext *context = data;

  context->bus_type = strcmp (option, "--system") == 0 ? G_BUS_TYPE_SYSTEM : G_BUS_TYPE_SESSION;
  return TRUE;
}

/* --system and --session, which every daemon command takes. */
static const GOptionEntry connection_entries[] = {
  { "system", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, set_bus,
    N_ ("Talk to the system hulld"), NULL },
  { "session", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, set_bus,
    N_ ("Talk to the session hulld (the default, unless HULL_BUS=system)"), NULL },
  { NULL },
};

gboolean
hullctl_parse_options (HullctlContext *context, const HullctlCommand *command,
                       GOptionEntry *entries, int *argc, char ***argv, int *status)
{
  g_autofree char *parameter = g_strdup_printf ("%s %s", command->name, command->args);
  g_autoptr (GOptionContext) option_context = g_option_context_new (parameter);
  GOptionGroup *main_group = g_option_group_new (NULL, NULL, NULL, context, NULL);
  g_autoptr (GError) error = NULL;

  /* One group, so that --help shows the command's options and the bus
   * options together, and set_bus() gets @context. */
  g_option_group_add_entries (main_group, entries);
  if (command->daemon)
    g_option_group_add_entries (main_group, connection_entries);
  /* The group's own domain: the context's covers only its own texts. */
  g_option_group_set_translation_domain (main_group, GETTEXT_PACKAGE);
  g_option_context_set_main_group (option_context, main_group);
  g_option_context_set_translation_domain (option_context, GETTEXT_PACKAGE);
  g_option_context_set_summary (option_context, _ (command->summary));
  if (!g_option_context_parse (option_context, argc, argv, &error))
    {
      hullctl_print_error ("%s", error->message);
      *status = HULLCTL_EXIT_USAGE;
      return FALSE;
    }
  return TRUE;
}

gboolean
hullctl_check_args (const HullctlCommand *command, int argc, int min, int max)
{
  int n = argc - 1;

  if (n >= min && n <= max)
    return TRUE;
  hullctl_print_error (_ ("%s: usage: hullctl %s %s"), command->name, command->name, command->args);
  return FALSE;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _ ("Usage: hullctl COMMAND [OPTIONS] [ARGUMENTS]"));
  fprintf (out, "%s\n\n",
           _ ("Global options (before the command): --system, --session (default: $HULL_BUS, "
              "else session), --help, --version"));
  fprintf (out, "%s\n", _ ("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-13s %s\n", commands[i].name, _ (commands[i].summary));
  fprintf (out, "\n%s\n", _ ("Run 'hullctl COMMAND --help' for the options of a command."));
  fprintf (out, "%s\n",
           _ ("Exit status: 0 success, 1 failed, 2 usage error, 3 hulld not reachable, "
              "4 no such domain."));
}

int
main (int argc, char **argv)
{
  HullctlContext context = { G_BUS_TYPE_NONE, NULL, NULL };
  int status = HULLCTL_EXIT_USAGE;
  int first;

  setlocale (LC_ALL, "");
  hull_i18n_init ();
  g_set_prgname ("hullctl");

  /* Global options, before the command. */
  for (first = 1; first < argc && argv[first][0] == '-'; first++)
    {
      if (strcmp (argv[first], "--help") == 0 || strcmp (argv[first], "-h") == 0)
        {
          print_usage (stdout);
          return HULLCTL_EXIT_OK;
        }
      if (strcmp (argv[first], "--version") == 0)
        {
          printf ("hullctl %s\n", PACKAGE_VERSION);
          return HULLCTL_EXIT_OK;
        }
      if (strcmp (argv[first], "--system") == 0)
        context.bus_type = G_BUS_TYPE_SYSTEM;
      else if (strcmp (argv[first], "--session") == 0)
        context.bus_type = G_BUS_TYPE_SESSION;
      else
        {
          hullctl_print_error (_ ("unknown option '%s'; run 'hullctl --help' for the list"),
                               argv[first]);
          return HULLCTL_EXIT_USAGE;
        }
    }
  if (first >= argc)
    {
      print_usage (stderr);
      return HULLCTL_EXIT_USAGE;
    }
  if (strcmp (argv[first], "help") == 0)
    {
      print_usage (stdout);
      return HULLCTL_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[first], commands[i].name) == 0)
      {
        status = commands[i].func (&context, &commands[i], argc - first, argv + first);
        hullctl_context_clear (&context);
        return status;
      }

  hullctl_print_error (_ ("unknown command '%s'; run 'hullctl --help' for the list"), argv[first]);
  return status;
}
