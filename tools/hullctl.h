/* hullctl.h — the command table of hullctl and what commands share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses, as virsh and most tools use them. */
enum
{
  HULLCTL_EXIT_OK = 0,
  HULLCTL_EXIT_FAILED = 1, /* the command ran and failed, e.g. an invalid file */
  HULLCTL_EXIT_USAGE = 2,  /* bad command line */
};

typedef struct _HullctlCommand HullctlCommand;

/* argv[0] is the command's name; returns an exit status. */
typedef int (*HullctlCommandFunc) (const HullctlCommand *command, int argc, char **argv);

struct _HullctlCommand
{
  const char *name;
  const char *args;    /* usage synopsis after the name */
  const char *summary; /* one line, translatable (N_) */
  HullctlCommandFunc func;
};

int hullctl_cmd_validate (const HullctlCommand *command, int argc, char **argv);
int hullctl_cmd_format (const HullctlCommand *command, int argc, char **argv);
int hullctl_cmd_layout (const HullctlCommand *command, int argc, char **argv);

/* Parses a command's options (GOption handles --help). Returns FALSE when the
 * command should exit with *status; errors are already printed. */
gboolean hullctl_parse_options (const HullctlCommand *command, GOptionEntry *entries, int *argc,
                                char ***argv, int *status);

/* Prints "hullctl: <message>" to stderr. */
void hullctl_print_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
