/* hullctl-domain.c — the domain commands: define, create, the lifecycle
 * (start, shutdown, destroy, …), autostart, list, dominfo, dumpxml and
 * inspect. Messages follow virsh's ("Domain 'web1' started"). */
#include "config.h"

#include "hullctl.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hull-domain-def.h"
#include "hull-i18n.h"
#include "hull-units.h"
#include "hullctl-client.h"

/* What `list` and `dominfo` show for a State; scripts use --json, which
 * carries the D-Bus value. */
static const char *
state_label (const char *state)
{
  if (state == NULL)
    return "-";
  if (strcmp (state, "shutoff") == 0)
    return _ ("shut off");
  if (strcmp (state, "running") == 0)
    return _ ("running");
  if (strcmp (state, "paused") == 0)
    return _ ("paused");
  if (strcmp (state, "crashed") == 0)
    return _ ("crashed");
  return state;
}

static const char *
or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "-";
}

/* A string property of @properties (a{sv} of org.hullvm.Hull1.Domain, as
 * GetManagedObjects gives them), or NULL, as a proxy's getter would say. */
static const char *
lookup_string (GVariant *properties, const char *name)
{
  const char *value = NULL;

  return g_variant_lookup (properties, name, "&s", &value) ? value : NULL;
}

/* A proxy's cached properties, as GetManagedObjects would give them. */
static GVariant *
proxy_properties (HullDBusDomain *domain)
{
  g_auto (GStrv) names = g_dbus_proxy_get_cached_property_names (G_DBUS_PROXY (domain));
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autoptr (GVariant) value
          = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (domain), names[i]);

      if (value != NULL)
        g_variant_builder_add (&builder, "{sv}", names[i], value);
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* The domain at @path with @properties as a{sv}, the keys of `list --json`
 * and `dominfo --json`. */
static GVariant *
domain_to_variant (const char *path, GVariant *properties)
{
  GVariantBuilder builder;
  gboolean persistent = FALSE, autostart = FALSE;
  guint32 owner = 0, vcpus = 0;
  guint64 memory = 0;

  g_variant_lookup (properties, "Persistent", "b", &persistent);
  g_variant_lookup (properties, "Autostart", "b", &autostart);
  g_variant_lookup (properties, "Owner", "u", &owner);
  g_variant_lookup (properties, "Vcpus", "u", &vcpus);
  g_variant_lookup (properties, "Memory", "t", &memory);
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
#define ADD_STRING(key, name)                                                                      \
  do                                                                                               \
    {                                                                                              \
      const char *value = lookup_string (properties, name);                                        \
      g_variant_builder_add (&builder, "{sv}", key, g_variant_new_string (value ? value : ""));    \
    }                                                                                              \
  while (0)
  ADD_STRING ("name", "Name");
  ADD_STRING ("uuid", "UUID");
  g_variant_builder_add (&builder, "{sv}", "path", g_variant_new_object_path (path));
  ADD_STRING ("state", "State");
  ADD_STRING ("reason", "StateReason");
  g_variant_builder_add (&builder, "{sv}", "persistent", g_variant_new_boolean (persistent));
  g_variant_builder_add (&builder, "{sv}", "autostart", g_variant_new_boolean (autostart));
  g_variant_builder_add (&builder, "{sv}", "owner", g_variant_new_uint32 (owner));
  g_variant_builder_add (&builder, "{sv}", "vcpus", g_variant_new_uint32 (vcpus));
  g_variant_builder_add (&builder, "{sv}", "memory", g_variant_new_uint64 (memory));
  ADD_STRING ("backend", "Backend");
#undef ADD_STRING
  return g_variant_builder_end (&builder);
}

/* ------------------------------------------------------------------ */
/* define, create */

static char *
read_definition (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (strcmp (path, "-") == 0)
    contents = hull_domain_def_read_fd (STDIN_FILENO, _ ("<stdin>"), &length, error);
  else if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  if (contents != NULL
      && (memchr (contents, '\0', length) != NULL || !g_utf8_validate (contents, length, NULL)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _ ("%s: not UTF-8 text"), path);
      return NULL;
    }
  return g_steal_pointer (&contents);
}

static int
define_or_create (HullctlContext *context, const HullctlCommand *command, int argc, char **argv,
                  gboolean create)
{
  gboolean lenient = FALSE;
  gboolean paused = FALSE;
  GOptionEntry entries[] = {
    { "lenient", 'l', 0, G_OPTION_ARG_NONE, &lenient,
      N_ ("Skip elements Hull does not support (hulld logs them)"), NULL },
    { "paused", 0, 0, G_OPTION_ARG_NONE, &paused, N_ ("Leave the processors paused"), NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDBusDomain) domain = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *path = NULL;
  GVariantBuilder options;
  int status = HULLCTL_EXIT_OK;
  gboolean ok;

  if (!create)
    entries[1] = entries[2]; /* define has no --paused */
  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  xml = read_definition (argv[1], &error);
  if (xml == NULL)
    {
      hullctl_print_error ("%s", error->message);
      return HULLCTL_EXIT_FAILED;
    }
  status = hullctl_connect (context, FALSE);
  if (status != HULLCTL_EXIT_OK)
    return status;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (lenient)
    g_variant_builder_add (&options, "{sv}", "lenient", g_variant_new_boolean (TRUE));
  if (paused)
    g_variant_builder_add (&options, "{sv}", "paused", g_variant_new_boolean (TRUE));
  if (create)
    ok = hull_dbus_manager_call_create_xml_sync (
        context->manager, xml, g_variant_builder_end (&options), &path, NULL, &error);
  else
    ok = hull_dbus_manager_call_define_xml_sync (
        context->manager, xml, g_variant_builder_end (&options), &path, NULL, &error);
  if (!ok)
    return hullctl_report_error (context, error);

  /* The name as hulld stored it; without it, the object path. */
  domain = hullctl_domain_proxy (context, path, NULL);
  g_print (create ? _ ("Domain '%s' created from %s\n") : _ ("Domain '%s' defined from %s\n"),
           domain != NULL ? hullctl_domain_name (domain, path) : path, argv[1]);
  return HULLCTL_EXIT_OK;
}

int
hullctl_cmd_define (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  return define_or_create (context, command, argc, argv, FALSE);
}

int
hullctl_cmd_create (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  return define_or_create (context, command, argc, argv, TRUE);
}

/* ------------------------------------------------------------------ */
/* The lifecycle */

typedef gboolean (*DomainCall) (HullDBusDomain *proxy, GVariant *options, GCancellable *cancellable,
                                GError **error);

static const struct
{
  const char *command;
  DomainCall call;
} lifecycle[] = {
  { "undefine", hull_dbus_domain_call_undefine_sync },
  { "destroy", hull_dbus_domain_call_destroy_sync },
  { "reboot", hull_dbus_domain_call_reboot_sync },
  { "reset", hull_dbus_domain_call_reset_sync },
  { "suspend", hull_dbus_domain_call_pause_sync },
  { "resume", hull_dbus_domain_call_resume_sync },
  { "clear-halt", hull_dbus_domain_call_clear_halt_sync },
};

/* virsh's messages, each a literal so that its format is checked. */
static void
print_done (const char *command, const char *name)
{
  if (strcmp (command, "undefine") == 0)
    g_print (_ ("Domain '%s' has been undefined\n"), name);
  else if (strcmp (command, "destroy") == 0)
    g_print (_ ("Domain '%s' destroyed\n"), name);
  else if (strcmp (command, "reboot") == 0)
    g_print (_ ("Domain '%s' is being rebooted\n"), name);
  else if (strcmp (command, "reset") == 0)
    g_print (_ ("Domain '%s' was reset\n"), name);
  else if (strcmp (command, "suspend") == 0)
    g_print (_ ("Domain '%s' suspended\n"), name);
  else if (strcmp (command, "resume") == 0)
    g_print (_ ("Domain '%s' resumed\n"), name);
  else if (strcmp (command, "clear-halt") == 0)
    g_print (_ ("Domain '%s' released from its halt\n"), name);
  else if (strcmp (command, "start") == 0)
    g_print (_ ("Domain '%s' started\n"), name);
  else if (strcmp (command, "shutdown") == 0)
    g_print (_ ("Domain '%s' has been shut down\n"), name);
}

/* Looks NAME up, calls @call with @options (allowing it @timeout_msec, at
 * least 5 minutes), prints what @command did. */
static int
call_domain (HullctlContext *context, const char *command, const char *name, DomainCall call,
             GVariant *options, int timeout_msec)
{
  g_autoptr (GVariant) owned = g_variant_ref_sink (options);
  g_autoptr (HullDBusDomain) domain = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  domain = hullctl_lookup_domain (context, name, &status);
  if (domain == NULL)
    return status;
  /* The slow methods reply when the work is done (docs/dbus-api.md). */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (domain), MAX (timeout_msec, 300 * 1000));
  if (!call (domain, owned, NULL, &error))
    return hullctl_report_error (context, error);
  print_done (command, hullctl_domain_name (domain, name));
  return HULLCTL_EXIT_OK;
}

int
hullctl_cmd_lifecycle (HullctlContext *context, const HullctlCommand *command, int argc,
                       char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  for (guint i = 0; i < G_N_ELEMENTS (lifecycle); i++)
    if (strcmp (command->name, lifecycle[i].command) == 0)
      return call_domain (context, command->name, argv[1], lifecycle[i].call,
                          g_variant_new ("a{sv}", NULL), 0);
  g_return_val_if_reached (HULLCTL_EXIT_FAILED);
}

int
hullctl_cmd_start (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean paused = FALSE;
  GOptionEntry entries[] = {
    { "paused", 0, 0, G_OPTION_ARG_NONE, &paused,
      N_ ("Leave the processors paused until 'hullctl resume'"), NULL },
    { NULL },
  };
  GVariantBuilder options;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (paused)
    g_variant_builder_add (&options, "{sv}", "paused", g_variant_new_boolean (TRUE));
  return call_domain (context, command->name, argv[1], hull_dbus_domain_call_start_sync,
                      g_variant_builder_end (&options), 0);
}

int
hullctl_cmd_shutdown (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  int timeout = 0;
  GOptionEntry entries[] = {
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
      N_ ("Wait up to SEC seconds for the guest to power off (default 0)"), N_ ("SEC") },
    { NULL },
  };
  GVariantBuilder options;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  if (timeout < 0 || timeout > 24 * 3600)
    {
      hullctl_print_error (_ ("shutdown: --timeout must be between 0 and 86400 seconds"));
      return HULLCTL_EXIT_USAGE;
    }
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (timeout > 0)
    g_variant_builder_add (&options, "{sv}", "timeout", g_variant_new_uint32 (timeout));
  /* The call lasts as long as the guest takes, and a little more. */
  return call_domain (context, command->name, argv[1], hull_dbus_domain_call_shutdown_sync,
                      g_variant_builder_end (&options), (timeout + 60) * 1000);
}

int
hullctl_cmd_autostart (HullctlContext *context, const HullctlCommand *command, int argc,
                       char **argv)
{
  gboolean disable = FALSE;
  GOptionEntry entries[] = {
    { "disable", 0, 0, G_OPTION_ARG_NONE, &disable, N_ ("Turn autostart off"), NULL },
    { NULL },
  };
  g_autoptr (HullDBusDomain) domain = NULL;
  g_autoptr (GError) error = NULL;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  domain = hullctl_lookup_domain (context, argv[1], &status);
  if (domain == NULL)
    return status;
  if (!hull_dbus_domain_call_set_autostart_sync (domain, !disable, g_variant_new ("a{sv}", NULL),
                                                 NULL, &error))
    return hullctl_report_error (context, error);
  g_print (disable ? _ ("Domain '%s' unmarked as autostarted\n")
                   : _ ("Domain '%s' marked as autostarted\n"),
           hullctl_domain_name (domain, argv[1]));
  return HULLCTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* list */

static int
display_width (const char *text)
{
  return (int)g_utf8_strlen (text, -1);
}

/* Appends @text left-aligned in @width columns (by characters, not bytes). */
static void
print_cell (GString *out, const char *text, int width, gboolean last)
{
  if (last)
    g_string_append_printf (out, "%s\n", text);
  else
    g_string_append_printf (out, "%s%*s   ", text, MAX (width - display_width (text), 0), "");
}

/* The cells of a domain's row in `list`. */
static void
table_cells (GVariant *properties, const char *cells[4])
{
  cells[0] = or_dash (lookup_string (properties, "Name"));
  cells[1] = state_label (lookup_string (properties, "State"));
  cells[2] = or_dash (lookup_string (properties, "StateReason"));
  cells[3] = or_dash (lookup_string (properties, "Backend"));
}

/* @domains: a(oa{sv}) (hullctl_list_domains()). One write: g_print()
 * flushes stdout each time. */
static void
print_table (GVariant *domains)
{
  const char *headers[4] = { _ ("Name"), _ ("State"), _ ("Reason"), _ ("Backend") };
  gsize n = g_variant_n_children (domains);
  g_autoptr (GString) out = g_string_new (NULL);
  int widths[4];
  int total = 0;

  for (guint c = 0; c < 4; c++)
    widths[c] = display_width (headers[c]);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) properties = NULL;
      const char *cells[4];

      g_variant_get_child (domains, i, "(&o@a{sv})", NULL, &properties);
      table_cells (properties, cells);
      for (guint c = 0; c < 4; c++)
        widths[c] = MAX (widths[c], display_width (cells[c]));
    }

  g_string_append_c (out, ' ');
  for (guint c = 0; c < 4; c++)
    {
      print_cell (out, headers[c], widths[c], c == 3);
      total += widths[c] + 3;
    }
  for (int i = 0; i < total; i++)
    g_string_append_c (out, '-');
  g_string_append_c (out, '\n');
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) properties = NULL;
      const char *cells[4];

      g_variant_get_child (domains, i, "(&o@a{sv})", NULL, &properties);
      table_cells (properties, cells);
      g_string_append_c (out, ' ');
      for (guint c = 0; c < 4; c++)
        print_cell (out, cells[c], widths[c], c == 3);
    }
  g_string_append_c (out, '\n');
  g_print ("%s", out->str);
}

int
hullctl_cmd_list (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean all = FALSE, inactive = FALSE, names = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_ ("List inactive domains too"), NULL },
    { "inactive", 0, 0, G_OPTION_ARG_NONE, &inactive,
      N_ ("List only inactive domains (shut off or crashed)"), NULL },
    { "name", 0, 0, G_OPTION_ARG_NONE, &names, N_ ("Print only the names, one per line"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON for scripts"), NULL },
    { NULL },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) domains = NULL;
  GVariantBuilder options;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 0, 0))
    return HULLCTL_EXIT_USAGE;
  if (names && json)
    {
      hullctl_print_error (_ ("list: --name and --json exclude each other"));
      return HULLCTL_EXIT_USAGE;
    }
  status = hullctl_connect (context, FALSE);
  if (status != HULLCTL_EXIT_OK)
    return status;

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (inactive)
    g_variant_builder_add (&options, "{sv}", "inactive", g_variant_new_boolean (TRUE));
  else if (!all)
    g_variant_builder_add (&options, "{sv}", "active", g_variant_new_boolean (TRUE));
  /* Two calls, however many domains. */
  domains = hullctl_list_domains (context, g_variant_builder_end (&options), &error);
  if (domains == NULL)
    return hullctl_report_error (context, error);

  if (names || json)
    {
      g_autoptr (GString) out = g_string_new (NULL);
      GVariantBuilder array;
      GVariantIter iter;
      const char *path;
      GVariant *properties;

      g_variant_builder_init (&array, G_VARIANT_TYPE ("aa{sv}"));
      g_variant_iter_init (&iter, domains);
      while (g_variant_iter_next (&iter, "(&o@a{sv})", &path, &properties))
        {
          if (names)
            g_string_append_printf (out, "%s\n", lookup_string (properties, "Name"));
          else
            g_variant_builder_add_value (&array, domain_to_variant (path, properties));
          g_variant_unref (properties);
        }
      if (json)
        hullctl_print_json (g_variant_builder_end (&array), TRUE);
      else
        {
          g_variant_builder_clear (&array);
          g_print ("%s", out->str);
        }
    }
  else
    print_table (domains);
  return HULLCTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* dominfo */

static char *
owner_text (guint32 uid)
{
  struct passwd *entry = getpwuid (uid);

  if (entry != NULL)
    return g_strdup_printf ("%u (%s)", uid, entry->pw_name);
  return g_strdup_printf ("%u", uid);
}

int
hullctl_cmd_dominfo (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON for scripts"), NULL },
    { NULL },
  };
  g_autoptr (HullDBusDomain) domain = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *vcpus = NULL;
  g_autofree char *memory = NULL;
  int status = HULLCTL_EXIT_OK;
  int width = 0;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  domain = hullctl_lookup_domain (context, argv[1], &status);
  if (domain == NULL)
    return status;
  if (json)
    {
      g_autoptr (GVariant) properties = proxy_properties (domain);

      hullctl_print_json (
          domain_to_variant (g_dbus_proxy_get_object_path (G_DBUS_PROXY (domain)), properties),
          TRUE);
      return HULLCTL_EXIT_OK;
    }

  owner = owner_text (hull_dbus_domain_get_owner (domain));
  vcpus = g_strdup_printf ("%u", hull_dbus_domain_get_vcpus (domain));
  memory = hull_units_format_size (hull_dbus_domain_get_memory (domain));
  {
    const char *rows[][2] = {
      { _ ("Name:"), or_dash (hull_dbus_domain_get_name (domain)) },
      { _ ("UUID:"), or_dash (hull_dbus_domain_get_uuid (domain)) },
      { _ ("State:"), state_label (hull_dbus_domain_get_state (domain)) },
      { _ ("Reason:"), or_dash (hull_dbus_domain_get_state_reason (domain)) },
      { _ ("Persistent:"), hull_dbus_domain_get_persistent (domain) ? _ ("yes") : _ ("no") },
      { _ ("Autostart:"), hull_dbus_domain_get_autostart (domain) ? _ ("enable") : _ ("disable") },
      { _ ("Owner:"), owner },
      { _ ("vCPUs:"), vcpus },
      { _ ("Memory:"), memory },
      { _ ("Backend:"), or_dash (hull_dbus_domain_get_backend (domain)) },
    };

    for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
      width = MAX (width, display_width (rows[i][0]));
    for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
      g_print ("%s%*s %s\n", rows[i][0], width - display_width (rows[i][0]), "", rows[i][1]);
  }
  return HULLCTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* dumpxml, inspect */

int
hullctl_cmd_dumpxml (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean inactive = FALSE;
  GOptionEntry entries[] = {
    { "inactive", 0, 0, G_OPTION_ARG_NONE, &inactive,
      N_ ("The stored definition rather than the running one"), NULL },
    { NULL },
  };
  g_autoptr (HullDBusDomain) domain = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = NULL;
  GVariantBuilder options;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 1))
    return HULLCTL_EXIT_USAGE;
  domain = hullctl_lookup_domain (context, argv[1], &status);
  if (domain == NULL)
    return status;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (inactive)
    g_variant_builder_add (&options, "{sv}", "inactive", g_variant_new_boolean (TRUE));
  if (!hull_dbus_domain_call_get_xmldesc_sync (domain, g_variant_builder_end (&options), &xml, NULL,
                                               &error))
    return hullctl_report_error (context, error);
  fputs (xml, stdout);
  if (*xml != '\0' && !g_str_has_suffix (xml, "\n"))
    fputc ('\n', stdout);
  return HULLCTL_EXIT_OK;
}

int
hullctl_cmd_inspect (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  int depth = G_MININT; /* not given */
  GOptionEntry entries[] = {
    { "depth", 'd', 0, G_OPTION_ARG_INT, &depth, N_ ("Descend at most N levels (default 16)"),
      N_ ("N") },
    { NULL },
  };
  g_autoptr (HullDBusDomain) domain = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) tree = NULL;
  GVariantBuilder options;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 1, 2))
    return HULLCTL_EXIT_USAGE;
  if (depth != G_MININT && depth < 0)
    {
      hullctl_print_error (_ ("inspect: --depth must not be negative"));
      return HULLCTL_EXIT_USAGE;
    }
  domain = hullctl_lookup_domain (context, argv[1], &status);
  if (domain == NULL)
    return status;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (depth != G_MININT)
    g_variant_builder_add (&options, "{sv}", "depth", g_variant_new_uint32 (depth));
  if (!hull_dbus_domain_call_inspect_sync (domain, argc > 2 ? argv[2] : "",
                                           g_variant_builder_end (&options), &tree, NULL, &error))
    return hullctl_report_error (context, error);
  /* The generated code hands over the "v" itself. */
  while (g_variant_is_of_type (tree, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *inner = g_variant_get_variant (tree);

      g_variant_unref (tree);
      tree = inner;
    }
  hullctl_print_json (tree, TRUE);
  return HULLCTL_EXIT_OK;
}
