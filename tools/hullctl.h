/* hullctl.h — the command table of hullctl and what commands share. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses: a small stable set that scripts may test (hullctl(1),
 * README.md). */
enum
{
  HULLCTL_EXIT_OK = 0,
  HULLCTL_EXIT_FAILED = 1,      /* the command ran and failed, e.g. an invalid file, or the
                                 * daemon refused or failed the operation */
  HULLCTL_EXIT_USAGE = 2,       /* bad command line */
  HULLCTL_EXIT_UNREACHABLE = 3, /* no bus, or hulld is not on it */
  HULLCTL_EXIT_NOT_FOUND = 4,   /* no such domain (NotFound) */
};

/* The state of one hullctl run: which bus, and the connection once made
 * (hullctl-client.h). */
typedef struct _HullctlContext HullctlContext;

typedef struct _HullctlCommand HullctlCommand;

/* argv[0] is the command's name; returns an exit status. */
typedef int (*HullctlCommandFunc) (HullctlContext *context, const HullctlCommand *command, int argc,
                                   char **argv);

struct _HullctlCommand
{
  const char *name;
  const char *args;    /* usage synopsis after the name */
  const char *summary; /* one line, translatable (N_) */
  HullctlCommandFunc func;
  gboolean daemon; /* talks to hulld: takes --system/--session */
};

/* Offline (hullctl-xml.c). */
int hullctl_cmd_validate (HullctlContext *context, const HullctlCommand *command, int argc,
                          char **argv);
int hullctl_cmd_format (HullctlContext *context, const HullctlCommand *command, int argc,
                        char **argv);
int hullctl_cmd_layout (HullctlContext *context, const HullctlCommand *command, int argc,
                        char **argv);

/* Domains (hullctl-domain.c). */
int hullctl_cmd_define (HullctlContext *context, const HullctlCommand *command, int argc,
                        char **argv);
int hullctl_cmd_create (HullctlContext *context, const HullctlCommand *command, int argc,
                        char **argv);
int hullctl_cmd_lifecycle (HullctlContext *context, const HullctlCommand *command, int argc,
                           char **argv);
int hullctl_cmd_start (HullctlContext *context, const HullctlCommand *command, int argc,
                       char **argv);
int hullctl_cmd_shutdown (HullctlContext *context, const HullctlCommand *command, int argc,
                          char **argv);
int hullctl_cmd_autostart (HullctlContext *context, const HullctlCommand *command, int argc,
                           char **argv);
int hullctl_cmd_list (HullctlContext *context, const HullctlCommand *command, int argc,
                      char **argv);
int hullctl_cmd_dominfo (HullctlContext *context, const HullctlCommand *command, int argc,
                         char **argv);
int hullctl_cmd_dumpxml (HullctlContext *context, const HullctlCommand *command, int argc,
                         char **argv);
int hullctl_cmd_inspect (HullctlContext *context, const HullctlCommand *command, int argc,
                         char **argv);

/* The console (hullctl-console.c). */
int hullctl_cmd_console (HullctlContext *context, const HullctlCommand *command, int argc,
                         char **argv);

/* The host (hullctl-host.c). */
int hullctl_cmd_capabilities (HullctlContext *context, const HullctlCommand *command, int argc,
                              char **argv);
int hullctl_cmd_backends (HullctlContext *context, const HullctlCommand *command, int argc,
                          char **argv);
int hullctl_cmd_event (HullctlContext *context, const HullctlCommand *command, int argc,
                       char **argv);

/* Host devices (hullctl-nodedev.c). */
int hullctl_cmd_nodedev_list (HullctlContext *context, const HullctlCommand *command, int argc,
                              char **argv);
int hullctl_cmd_nodedev_info (HullctlContext *context, const HullctlCommand *command, int argc,
                              char **argv);

/* Parses a command's options (GOption handles --help); a daemon command also
 * takes --system and --session. Returns FALSE when the command should exit
 * with *status; errors are already printed. */
gboolean hullctl_parse_options (HullctlContext *context, const HullctlCommand *command,
                                GOptionEntry *entries, int *argc, char ***argv, int *status);

/* Checks that exactly @min..@max arguments follow the command's name;
 * otherwise prints "COMMAND: usage: …" and returns FALSE (exit status
 * HULLCTL_EXIT_USAGE). */
gboolean hullctl_check_args (const HullctlCommand *command, int argc, int min, int max);

/* Prints "hullctl: <message>" to stderr. */
void hullctl_print_error (const char *format, ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
