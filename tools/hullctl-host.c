/* hullctl-host.c — the commands about the host and hulld rather than one
 * domain: capabilities, backends and event. */
#include "config.h"

#include "hullctl.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hull-i18n.h"
#include "hullctl-client.h"

/* ------------------------------------------------------------------ */
/* capabilities */

static void print_entry (int indent, const char *key, GVariant *value);

static gboolean
is_container (GVariant *value)
{
  return g_variant_is_container (value) && !g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT);
}

static GVariant *
unbox (GVariant *value)
{
  g_variant_ref (value);
  while (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *inner = g_variant_get_variant (value);

      g_variant_unref (value);
      value = inner;
    }
  return value;
}

static char *
scalar_text (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
      || g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH))
    return g_variant_dup_string (value, NULL);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_strdup (g_variant_get_boolean (value) ? _ ("yes") : _ ("no"));
  return g_variant_print (value, FALSE);
}

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  g_autoptr (GVariant) key_a = g_variant_get_child_value (*(GVariant *const *)a, 0);
  g_autoptr (GVariant) key_b = g_variant_get_child_value (*(GVariant *const *)b, 0);

  return g_variant_compare (key_a, key_b);
}

/* A dictionary: one "key: value" line per entry, sorted by key, nested ones
 * indented. */
static void
print_dict (int indent, GVariant *dict)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify)g_variant_unref);
  GVariantIter iter;
  GVariant *entry;

  g_variant_iter_init (&iter, dict);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    g_ptr_array_add (entries, entry);
  g_ptr_array_sort (entries, compare_entries);
  for (guint i = 0; i < entries->len; i++)
    {
      g_autoptr (GVariant) key = g_variant_get_child_value (entries->pdata[i], 0);
      g_autoptr (GVariant) value = g_variant_get_child_value (entries->pdata[i], 1);
      g_autofree char *key_text = scalar_text (key);

      print_entry (indent, key_text, value);
    }
}

static void
print_entry (int indent, const char *key, GVariant *boxed)
{
  g_autoptr (GVariant) value = unbox (boxed);
  gsize n;

  if (!is_container (value))
    {
      g_autofree char *text = scalar_text (value);

      g_print ("%*s%s: %s\n", indent, "", key, *text != '\0' ? text : "-");
      return;
    }
  n = g_variant_n_children (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_DICTIONARY))
    {
      g_print ("%*s%s:%s\n", indent, "", key, n == 0 ? " -" : "");
      print_dict (indent + 2, value);
      return;
    }
  /* An array or tuple: scalars on one line, containers one per item. */
  {
    g_autoptr (GString) line = g_string_new (NULL);
    gboolean flat = TRUE;

    for (gsize i = 0; i < n && flat; i++)
      {
        g_autoptr (GVariant) child = g_variant_get_child_value (value, i);
        g_autoptr (GVariant) item = unbox (child);

        if (is_container (item))
          flat = FALSE;
        else
          {
            g_autofree char *text = scalar_text (item);

            g_string_append_printf (line, "%s%s", i > 0 ? ", " : "", text);
          }
      }
    if (flat)
      {
        g_print ("%*s%s: %s\n", indent, "", key, n == 0 ? "-" : line->str);
        return;
      }
    g_print ("%*s%s:\n", indent, "", key);
    for (gsize i = 0; i < n; i++)
      {
        g_autoptr (GVariant) child = g_variant_get_child_value (value, i);
        g_autofree char *index = g_strdup_printf ("[%" G_GSIZE_FORMAT "]", i);

        print_entry (indent + 2, index, child);
      }
  }
}

int
hullctl_cmd_capabilities (HullctlContext *context, const HullctlCommand *command, int argc,
                          char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON for scripts"), NULL },
    { NULL },
  };
  g_autoptr (GVariant) capabilities = NULL;
  g_autoptr (GError) error = NULL;
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 0, 0))
    return HULLCTL_EXIT_USAGE;
  status = hullctl_connect (context, FALSE);
  if (status != HULLCTL_EXIT_OK)
    return status;
  if (!hull_dbus_manager_call_get_capabilities_sync (
          context->manager, g_variant_new ("a{sv}", NULL), &capabilities, NULL, &error))
    return hullctl_report_error (context, error);
  if (json)
    hullctl_print_json (capabilities, TRUE);
  else
    print_dict (0, capabilities);
  return HULLCTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* backends */

static GVariant *
backend_to_variant (HullDBusBackend *backend)
{
  GVariantBuilder builder;
  const char *text;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  text = hull_dbus_backend_get_name (backend);
  g_variant_builder_add (&builder, "{sv}", "name", g_variant_new_string (text ? text : ""));
  text = hull_dbus_backend_get_path (backend);
  g_variant_builder_add (&builder, "{sv}", "path", g_variant_new_string (text ? text : ""));
  g_variant_builder_add (&builder, "{sv}", "available",
                         g_variant_new_boolean (hull_dbus_backend_get_available (backend)));
  text = hull_dbus_backend_get_reason (backend);
  g_variant_builder_add (&builder, "{sv}", "reason", g_variant_new_string (text ? text : ""));
  text = hull_dbus_backend_get_speed (backend);
  g_variant_builder_add (&builder, "{sv}", "speed", g_variant_new_string (text ? text : ""));
  return g_variant_builder_end (&builder);
}

static const char *
or_dash (const char *text)
{
  return text != NULL && *text != '\0' ? text : "-";
}

int
hullctl_cmd_backends (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print JSON for scripts"), NULL },
    { NULL },
  };
  g_autoptr (GPtrArray) backends = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) paths = NULL;
  int status = HULLCTL_EXIT_OK;
  int name_width, speed_width, available_width;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 0, 0))
    return HULLCTL_EXIT_USAGE;
  status = hullctl_connect (context, FALSE);
  if (status != HULLCTL_EXIT_OK)
    return status;
  if (!hull_dbus_manager_call_list_backends_sync (context->manager, g_variant_new ("a{sv}", NULL),
                                                  &paths, NULL, &error))
    return hullctl_report_error (context, error);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      HullDBusBackend *backend = hull_dbus_backend_proxy_new_sync (
          context->connection, G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS, HULL_DBUS_NAME, paths[i],
          NULL, NULL);

      if (backend != NULL && hull_dbus_backend_get_name (backend) != NULL)
        g_ptr_array_add (backends, backend);
      else
        g_clear_object (&backend);
    }

  if (json)
    {
      GVariantBuilder array;

      g_variant_builder_init (&array, G_VARIANT_TYPE ("aa{sv}"));
      for (guint i = 0; i < backends->len; i++)
        g_variant_builder_add_value (&array, backend_to_variant (g_ptr_array_index (backends, i)));
      hullctl_print_json (g_variant_builder_end (&array), TRUE);
      return HULLCTL_EXIT_OK;
    }

  name_width = g_utf8_strlen (_ ("Name"), -1);
  available_width = g_utf8_strlen (_ ("Available"), -1);
  speed_width = g_utf8_strlen (_ ("Speed"), -1);
  for (guint i = 0; i < backends->len; i++)
    {
      HullDBusBackend *backend = g_ptr_array_index (backends, i);

      name_width = MAX (name_width, (int)g_utf8_strlen (hull_dbus_backend_get_name (backend), -1));
      speed_width = MAX (speed_width,
                         (int)g_utf8_strlen (or_dash (hull_dbus_backend_get_speed (backend)), -1));
      available_width = MAX (available_width, (int)g_utf8_strlen (_ ("yes"), -1));
      available_width = MAX (available_width, (int)g_utf8_strlen (_ ("no"), -1));
    }
#define CELL(text, width) (text), (int)((width)-g_utf8_strlen ((text), -1)), ""
  g_print (" %s%*s   %s%*s   %s%*s   %s\n", CELL (_ ("Name"), name_width),
           CELL (_ ("Available"), available_width), CELL (_ ("Speed"), speed_width), _ ("Reason"));
  for (int i = 0; i < name_width + available_width + speed_width + 9 + 8; i++)
    g_print ("-");
  g_print ("\n");
  for (guint i = 0; i < backends->len; i++)
    {
      HullDBusBackend *backend = g_ptr_array_index (backends, i);
      const char *available = hull_dbus_backend_get_available (backend) ? _ ("yes") : _ ("no");

      g_print (" %s%*s   %s%*s   %s%*s   %s\n",
               CELL (hull_dbus_backend_get_name (backend), name_width),
               CELL (available, available_width),
               CELL (or_dash (hull_dbus_backend_get_speed (backend)), speed_width),
               or_dash (hull_dbus_backend_get_reason (backend)));
    }
#undef CELL
  g_print ("\n");
  return HULLCTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* event */

typedef struct
{
  HullctlContext *context;
  GMainLoop *loop;
  gboolean loop_mode;
  gboolean json;
  guint64 count;
  guint timeout_id;
  int status;
} EventWatch;

static void
print_event_json (const char *path, const char *name, int event, int detail)
{
  const char *event_name = hull_domain_event_to_string (event);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "domain");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "path");
  json_builder_add_string_value (builder, path);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event_name != NULL ? event_name : "unknown");
  json_builder_set_member_name (builder, "detail");
  json_builder_add_string_value (builder, hull_domain_event_detail_to_string (event, detail));
  json_builder_set_member_name (builder, "event-id");
  json_builder_add_int_value (builder, event);
  json_builder_set_member_name (builder, "detail-id");
  json_builder_add_int_value (builder, detail);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static void
on_domain_event (HullDBusManager *manager, const char *path, const char *name, int event,
                 int detail, gpointer data)
{
  EventWatch *watch = data;
  const char *event_name = hull_domain_event_to_string (event);

  if (watch->json)
    print_event_json (path, name, event, detail);
  else if (event_name != NULL)
    g_print (_ ("event '%s' for domain '%s': %s\n"), event_name, name,
             hull_domain_event_detail_to_string (event, detail));
  else
    g_print (_ ("event %d for domain '%s': %d\n"), event, name, detail);
  /* One line at a time, for whoever reads a pipe. */
  fflush (stdout);
  watch->count++;
  if (!watch->loop_mode)
    g_main_loop_quit (watch->loop);
}

static gboolean
on_event_signal (gpointer data)
{
  EventWatch *watch = data;

  g_main_loop_quit (watch->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_event_timeout (gpointer data)
{
  EventWatch *watch = data;

  if (watch->count == 0 && !watch->loop_mode)
    {
      hullctl_print_error (_ ("no event before the timeout"));
      watch->status = HULLCTL_EXIT_FAILED;
    }
  watch->timeout_id = 0;
  g_main_loop_quit (watch->loop);
  return G_SOURCE_REMOVE;
}

static void
on_name_owner (GObject *proxy, GParamSpec *pspec, gpointer data)
{
  EventWatch *watch = data;
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner != NULL)
    return;
  hullctl_print_error (_ ("hulld left the %s bus"), hullctl_bus_name (watch->context));
  watch->status = HULLCTL_EXIT_UNREACHABLE;
  g_main_loop_quit (watch->loop);
}

static void
on_closed (GDBusConnection *connection, gboolean remote_peer_vanished, GError *error, gpointer data)
{
  EventWatch *watch = data;

  hullctl_print_error (_ ("the connection to the %s bus closed"),
                       hullctl_bus_name (watch->context));
  watch->status = HULLCTL_EXIT_UNREACHABLE;
  g_main_loop_quit (watch->loop);
}

int
hullctl_cmd_event (HullctlContext *context, const HullctlCommand *command, int argc, char **argv)
{
  gboolean loop_mode = FALSE, json = FALSE;
  int timeout = 0;
  GOptionEntry entries[] = {
    { "loop", 0, 0, G_OPTION_ARG_NONE, &loop_mode,
      N_ ("Keep printing events until interrupted (default: exit after the first)"), NULL },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, N_ ("Stop waiting after SEC seconds"),
      N_ ("SEC") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print one JSON object per event and line"),
      NULL },
    { NULL },
  };
  EventWatch watch = { 0 };
  guint sources[3];
  gulong handlers[3];
  int status = HULLCTL_EXIT_OK;

  if (!hullctl_parse_options (context, command, entries, &argc, &argv, &status))
    return status;
  if (!hullctl_check_args (command, argc, 0, 0))
    return HULLCTL_EXIT_USAGE;
  if (timeout < 0)
    {
      hullctl_print_error (_ ("event: --timeout must not be negative"));
      return HULLCTL_EXIT_USAGE;
    }
  status = hullctl_connect (context, TRUE);
  if (status != HULLCTL_EXIT_OK)
    return status;
  /* The signal subscription is in place once hulld has answered. */
  status = hullctl_ping (context);
  if (status != HULLCTL_EXIT_OK)
    return status;

  watch.context = context;
  watch.loop = g_main_loop_new (NULL, FALSE);
  watch.loop_mode = loop_mode;
  watch.json = json;
  watch.status = HULLCTL_EXIT_OK;
  handlers[0]
      = g_signal_connect (context->manager, "domain-event", G_CALLBACK (on_domain_event), &watch);
  handlers[1] = g_signal_connect (context->manager, "notify::g-name-owner",
                                  G_CALLBACK (on_name_owner), &watch);
  handlers[2] = g_signal_connect (context->connection, "closed", G_CALLBACK (on_closed), &watch);
  sources[0] = g_unix_signal_add (SIGINT, on_event_signal, &watch);
  sources[1] = g_unix_signal_add (SIGTERM, on_event_signal, &watch);
  sources[2] = g_unix_signal_add (SIGHUP, on_event_signal, &watch);
  if (timeout > 0)
    watch.timeout_id = g_timeout_add_seconds (timeout, on_event_timeout, &watch);

  g_main_loop_run (watch.loop);

  g_clear_handle_id (&watch.timeout_id, g_source_remove);
  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);
  g_signal_handler_disconnect (context->manager, handlers[0]);
  g_signal_handler_disconnect (context->manager, handlers[1]);
  g_signal_handler_disconnect (context->connection, handlers[2]);
  g_main_loop_unref (watch.loop);
  return watch.status;
}
