/* hullctl — the command-line client of Hull.
 *
 * `hullctl COMMAND [OPTIONS] [ARGS]`. The commands here so far work on domain
 * XML files offline and need no daemon.
 */
#include "config.h"

#include "hullctl.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "hull-i18n.h"

static const HullctlCommand commands[] = {
  { "validate", "[--lenient] FILE…", N_ ("Check domain XML files and report every problem"),
    hullctl_cmd_validate },
  { "format", "[--lenient] FILE", N_ ("Print a domain XML file in canonical form"),
    hullctl_cmd_format },
  { "layout", "[--json] FILE",
    N_ ("Show the processor topology and guest memory layout of a domain"), hullctl_cmd_layout },
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

gboolean
hullctl_parse_options (const HullctlCommand *command, GOptionEntry *entries, int *argc,
                       char ***argv, int *status)
{
  g_autofree char *parameter = g_strdup_printf ("%s %s", command->name, command->args);
  g_autoptr (GOptionContext) context = g_option_context_new (parameter);
  g_autoptr (GError) error = NULL;

  g_option_context_set_summary (context, _ (command->summary));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      hullctl_print_error ("%s", error->message);
      *status = HULLCTL_EXIT_USAGE;
      return FALSE;
    }
  return TRUE;
}

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _ ("Usage: hullctl COMMAND [OPTIONS] [ARGUMENTS]"));
  fprintf (out, "%s\n", _ ("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, _ (commands[i].summary));
  fprintf (out, "\n%s\n", _ ("Run 'hullctl COMMAND --help' for the options of a command."));
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  hull_i18n_init ();
  g_set_prgname ("hullctl");

  if (argc < 2)
    {
      print_usage (stderr);
      return HULLCTL_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return HULLCTL_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("hullctl %s\n", PACKAGE_VERSION);
      return HULLCTL_EXIT_OK;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].func (&commands[i], argc - 1, argv + 1);

  hullctl_print_error (_ ("unknown command '%s'; run 'hullctl --help' for the list"), argv[1]);
  return HULLCTL_EXIT_USAGE;
}
