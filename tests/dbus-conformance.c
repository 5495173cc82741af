/* Hull's D-Bus API through an independent implementation: every call,
 * signal and file descriptor in the checks below goes through libdbus-1,
 * not GDBus, so what hulld puts on the wire is checked against the
 * reference library. Only the world around it (the private dbus-daemon and
 * hulld, dbus-harness.c) uses GLib. */
#include "config.h"

#include <dbus/dbus.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "dbus-harness.h"

#define NAME "org.hullvm.Hull1"
#define ROOT "/org/hullvm/Hull1"
#define MANAGER "org.hullvm.Hull1.Manager"
#define DOMAIN "org.hullvm.Hull1.Domain"
#define TIMEOUT_MS (HULL_TEST_TIMEOUT_S * 1000)
#define OBJECT_MANAGER "org.freedesktop.DBus.ObjectManager"

typedef struct
{
  HullTestWorld *world;
  DBusConnection *bus;
  GPtrArray *signals; /* what arrived, as strings, in order */
} Client;

static void
client_init (Client *client)
{
  DBusError error;

  dbus_error_init (&error);
  client->world = hull_test_world_new (TRUE);
  client->bus = dbus_connection_open_private (client->world->bus_address, &error);
  if (client->bus == NULL)
    g_error ("dbus_connection_open_private: %s: %s", error.name, error.message);
  dbus_connection_set_exit_on_disconnect (client->bus, FALSE);
  if (!dbus_bus_register (client->bus, &error))
    g_error ("dbus_bus_register: %s: %s", error.name, error.message);
  client->signals = g_ptr_array_new_with_free_func (g_free);
}

static void
client_clear (Client *client)
{
  dbus_connection_close (client->bus);
  dbus_connection_unref (client->bus);
  g_ptr_array_unref (client->signals);
  hull_test_world_free (client->world);
}

/* --- messages ------------------------------------------------------------ */

static void
append_options (DBusMessageIter *iter, const char *bool_key)
{
  DBusMessageIter dict, entry, variant;
  dbus_bool_t yes = TRUE;

  g_assert_true (dbus_message_iter_open_container (iter, DBUS_TYPE_ARRAY, "{sv}", &dict));
  if (bool_key != NULL)
    {
      g_assert_true (dbus_message_iter_open_container (&dict, DBUS_TYPE_DICT_ENTRY, NULL, &entry));
      g_assert_true (dbus_message_iter_append_basic (&entry, DBUS_TYPE_STRING, &bool_key));
      g_assert_true (dbus_message_iter_open_container (&entry, DBUS_TYPE_VARIANT, "b", &variant));
      g_assert_true (dbus_message_iter_append_basic (&variant, DBUS_TYPE_BOOLEAN, &yes));
      g_assert_true (dbus_message_iter_close_container (&entry, &variant));
      g_assert_true (dbus_message_iter_close_container (&dict, &entry));
    }
  g_assert_true (dbus_message_iter_close_container (iter, &dict));
}

/* A method call; @string (nullable) is a leading s argument, then the
 * options ({} or {@bool_key: true}). */
static DBusMessage *
new_call (const char *path, const char *interface, const char *method, const char *string,
          const char *bool_key)
{
  DBusMessage *message = dbus_message_new_method_call (NAME, path, interface, method);
  DBusMessageIter iter;

  g_assert_nonnull (message);
  dbus_message_iter_init_append (message, &iter);
  if (string != NULL)
    g_assert_true (dbus_message_iter_append_basic (&iter, DBUS_TYPE_STRING, &string));
  append_options (&iter, bool_key);
  return message;
}

/* Sends @message (consumed); the reply, or NULL with @error set. */
static DBusMessage *
client_send (Client *client, DBusMessage *message, DBusError *error)
{
  DBusMessage *reply
      = dbus_connection_send_with_reply_and_block (client->bus, message, TIMEOUT_MS, error);

  dbus_message_unref (message);
  return reply;
}

static DBusMessage *
send_ok (Client *client, DBusMessage *message)
{
  DBusError error;
  g_autofree char *what
      = g_strdup_printf ("%s.%s on %s", dbus_message_get_interface (message),
                         dbus_message_get_member (message), dbus_message_get_path (message));
  DBusMessage *reply;

  dbus_error_init (&error);
  reply = client_send (client, message, &error);
  if (reply == NULL)
    g_error ("%s: %s: %s", what, error.name, error.message);
  return reply;
}

/* A call whose reply is one object path. */
static char *
call_for_path (Client *client, DBusMessage *message)
{
  DBusMessage *reply = send_ok (client, message);
  DBusError error;
  const char *path = NULL;
  char *copy;

  dbus_error_init (&error);
  g_assert_cmpstr (dbus_message_get_signature (reply), ==, "o");
  if (!dbus_message_get_args (reply, &error, DBUS_TYPE_OBJECT_PATH, &path, DBUS_TYPE_INVALID))
    g_error ("%s", error.message);
  copy = g_strdup (path);
  dbus_message_unref (reply);
  return copy;
}

static void
domain_call (Client *client, const char *path, const char *method)
{
  dbus_message_unref (send_ok (client, new_call (path, DOMAIN, method, NULL, NULL)));
}

static char *
get_string_property (Client *client, const char *path, const char *interface, const char *name)
{
  DBusMessage *message
      = dbus_message_new_method_call (NAME, path, DBUS_INTERFACE_PROPERTIES, "Get");
  DBusMessage *reply;
  DBusMessageIter iter, variant;
  const char *value;
  char *copy;

  dbus_message_append_args (message, DBUS_TYPE_STRING, &interface, DBUS_TYPE_STRING, &name,
                            DBUS_TYPE_INVALID);
  reply = send_ok (client, message);
  g_assert_cmpstr (dbus_message_get_signature (reply), ==, "v");
  dbus_message_iter_init (reply, &iter);
  dbus_message_iter_recurse (&iter, &variant);
  g_assert_cmpint (dbus_message_iter_get_arg_type (&variant), ==, DBUS_TYPE_STRING);
  dbus_message_iter_get_basic (&variant, &value);
  copy = g_strdup (value);
  dbus_message_unref (reply);
  return copy;
}

/* --- signals -------------------------------------------------------------- */

/* A variant's value as the GLib recorder prints it: 'text', true, 42. */
static char *
print_variant (DBusMessageIter *variant)
{
  DBusMessageIter value;

  dbus_message_iter_recurse (variant, &value);
  switch (dbus_message_iter_get_arg_type (&value))
    {
      case DBUS_TYPE_STRING:
        {
          const char *text;

          dbus_message_iter_get_basic (&value, &text);
          return g_strdup_printf ("'%s'", text);
        }
      case DBUS_TYPE_BOOLEAN:
        {
          dbus_bool_t b;

          dbus_message_iter_get_basic (&value, &b);
          return g_strdup (b ? "true" : "false");
        }
      default:
        return g_strdup ("*");
    }
}

static void
record_signal (Client *client, DBusMessage *message)
{
  const char *path = dbus_message_get_path (message);
  DBusError error;

  dbus_error_init (&error);
  if (dbus_message_is_signal (message, MANAGER, "DomainEvent"))
    {
      const char *domain, *name;
      dbus_int32_t event, detail;

      g_assert_cmpstr (dbus_message_get_signature (message), ==, "osii");
      g_assert_cmpstr (path, ==, ROOT);
      if (!dbus_message_get_args (message, &error, DBUS_TYPE_OBJECT_PATH, &domain, DBUS_TYPE_STRING,
                                  &name, DBUS_TYPE_INT32, &event, DBUS_TYPE_INT32, &detail,
                                  DBUS_TYPE_INVALID))
        g_error ("DomainEvent: %s", error.message);
      g_ptr_array_add (client->signals,
                       g_strdup_printf ("event %s %s %d %d", domain, name, event, detail));
    }
  else if (dbus_message_is_signal (message, DBUS_INTERFACE_PROPERTIES, "PropertiesChanged"))
    {
      DBusMessageIter iter, dict, entry;
      const char *interface;

      g_assert_cmpstr (dbus_message_get_signature (message), ==, "sa{sv}as");
      dbus_message_iter_init (message, &iter);
      dbus_message_iter_get_basic (&iter, &interface);
      dbus_message_iter_next (&iter);
      dbus_message_iter_recurse (&iter, &dict);
      while (dbus_message_iter_get_arg_type (&dict) == DBUS_TYPE_DICT_ENTRY)
        {
          const char *key;
          g_autofree char *value = NULL;

          dbus_message_iter_recurse (&dict, &entry);
          dbus_message_iter_get_basic (&entry, &key);
          dbus_message_iter_next (&entry);
          value = print_variant (&entry);
          g_ptr_array_add (client->signals, g_strdup_printf ("prop %s %s %s", path, key, value));
          dbus_message_iter_next (&dict);
        }
    }
  else if (dbus_message_is_signal (message, OBJECT_MANAGER, "InterfacesAdded"))
    {
      DBusMessageIter iter, dict, entry;
      const char *object;

      g_assert_cmpstr (dbus_message_get_signature (message), ==, "oa{sa{sv}}");
      dbus_message_iter_init (message, &iter);
      dbus_message_iter_get_basic (&iter, &object);
      dbus_message_iter_next (&iter);
      dbus_message_iter_recurse (&iter, &dict);
      while (dbus_message_iter_get_arg_type (&dict) == DBUS_TYPE_DICT_ENTRY)
        {
          const char *interface;

          dbus_message_iter_recurse (&dict, &entry);
          dbus_message_iter_get_basic (&entry, &interface);
          g_ptr_array_add (client->signals, g_strdup_printf ("added %s %s", object, interface));
          dbus_message_iter_next (&dict);
        }
    }
  else if (dbus_message_get_type (message) == DBUS_MESSAGE_TYPE_SIGNAL)
    g_ptr_array_add (client->signals,
                     g_strdup_printf ("signal %s %s.%s", path, dbus_message_get_interface (message),
                                      dbus_message_get_member (message)));
}

static int
find_signal (Client *client, const char *entry)
{
  for (guint i = 0; i < client->signals->len; i++)
    if (g_str_equal (g_ptr_array_index (client->signals, i), entry))
      return (int)i;
  return -1;
}

/* Reads messages (bounded) until @entry has arrived; its index. */
static guint
wait_signal (Client *client, const char *entry)
{
  gint64 deadline = g_get_monotonic_time () + HULL_TEST_TIMEOUT_S * G_USEC_PER_SEC;
  int found;

  for (;;)
    {
      DBusMessage *message;

      while ((message = dbus_connection_pop_message (client->bus)) != NULL)
        {
          record_signal (client, message);
          dbus_message_unref (message);
        }
      if ((found = find_signal (client, entry)) >= 0)
        return (guint)found;
      if (g_get_monotonic_time () > deadline)
        {
          for (guint i = 0; i < client->signals->len; i++)
            g_test_message ("signal %u: %s", i, (char *)g_ptr_array_index (client->signals, i));
          g_error ("no \"%s\" within %d s (signals above)", entry, HULL_TEST_TIMEOUT_S);
        }
      if (!dbus_connection_read_write (client->bus, 50))
        g_error ("the bus connection closed");
    }
}

static void
add_match (Client *client)
{
  DBusError error;

  dbus_error_init (&error);
  dbus_bus_add_match (client->bus, "type='signal',sender='" NAME "'", &error);
  if (dbus_error_is_set (&error))
    g_error ("AddMatch: %s", error.message);
}

static char *
domain_xml (const char *name, const char *program)
{
  return hull_test_domain_xml (name, NULL, program, NULL);
}

/* --- the checks ----------------------------------------------------------------- */

static GStrv
list_domains (Client *client)
{
  DBusMessage *reply = send_ok (client, new_call (ROOT, MANAGER, "ListDomains", NULL, NULL));
  DBusError error;
  char **paths = NULL;
  int n = 0;
  GStrv copy;

  dbus_error_init (&error);
  g_assert_cmpstr (dbus_message_get_signature (reply), ==, "ao");
  if (!dbus_message_get_args (reply, &error, DBUS_TYPE_ARRAY, DBUS_TYPE_OBJECT_PATH, &paths, &n,
                              DBUS_TYPE_INVALID))
    g_error ("%s", error.message);
  copy = g_strdupv (paths);
  dbus_free_string_array (paths);
  dbus_message_unref (reply);
  g_assert_cmpuint (g_strv_length (copy), ==, (guint)n);
  return copy;
}

/* ListDomains, DefineXML, Start; DomainEvent and PropertiesChanged in the
 * documented order. */
static void
test_define_start (void)
{
  Client client = { 0 };
  g_autofree char *xml = domain_xml ("conformant", HULL_TEST_PROGRAM_SPIN);
  g_autofree char *path = NULL, *state = NULL;
  g_autofree char *defined = NULL, *added = NULL, *started = NULL, *running = NULL, *booted = NULL;
  g_auto (GStrv) before = NULL, after = NULL;
  guint at_defined, at_started;

  client_init (&client);
  add_match (&client);
  before = list_domains (&client);
  g_assert_cmpuint (g_strv_length (before), ==, 0);

  path = call_for_path (&client, new_call (ROOT, MANAGER, "DefineXML", xml, NULL));
  g_assert_true (g_str_has_prefix (path, ROOT "/domain/_"));
  after = list_domains (&client);
  g_assert_cmpuint (g_strv_length (after), ==, 1);
  g_assert_cmpstr (after[0], ==, path);

  defined = g_strdup_printf ("event %s conformant 0 0", path);
  added = g_strdup_printf ("added %s " DOMAIN, path);
  at_defined = wait_signal (&client, defined);
  g_assert_cmpint (find_signal (&client, added), >=, 0);
  g_assert_cmpint (find_signal (&client, added), <, (int)at_defined);

  domain_call (&client, path, "Start");
  state = get_string_property (&client, path, DOMAIN, "State");
  g_assert_cmpstr (state, ==, "running");
  started = g_strdup_printf ("event %s conformant 2 0", path);
  running = g_strdup_printf ("prop %s State 'running'", path);
  booted = g_strdup_printf ("prop %s StateReason 'booted'", path);
  at_started = wait_signal (&client, started);
  /* Properties first, then the event (docs/dbus-api.md). */
  g_assert_cmpint (find_signal (&client, running), >=, 0);
  g_assert_cmpint (find_signal (&client, running), <, (int)at_started);
  g_assert_cmpint (find_signal (&client, booted), >=, 0);
  g_assert_cmpint (find_signal (&client, booted), <, (int)at_started);

  domain_call (&client, path, "Destroy");
  g_free (started);
  started = g_strdup_printf ("event %s conformant 5 1", path);
  wait_signal (&client, started);
  client_clear (&client);
}

/* OpenConsole hands over a unix fd that reads the guest's output. */
static void
test_console_fd (void)
{
  Client client = { 0 };
  g_autofree char *xml = domain_xml ("talker", HULL_TEST_PROGRAM_HI_SPIN);
  g_autofree char *path = NULL, *uuid = NULL, *log = NULL, *log_name = NULL, *output = NULL;
  DBusMessage *reply;
  DBusError error;
  int fd = -1;

  client_init (&client);
  g_assert_true (dbus_connection_can_send_type (client.bus, DBUS_TYPE_UNIX_FD));
  path = call_for_path (&client, new_call (ROOT, MANAGER, "DefineXML", xml, NULL));
  domain_call (&client, path, "Start");
  uuid = get_string_property (&client, path, DOMAIN, "UUID");
  log_name = g_strconcat (uuid, ".console.log", NULL);
  log = g_build_filename (client.world->log_dir, log_name, NULL);
  hull_test_wait_file_contains (log, "Hi\n");

  reply = send_ok (&client, new_call (path, DOMAIN, "OpenConsole", NULL, NULL));
  g_assert_cmpstr (dbus_message_get_signature (reply), ==, "h");
  dbus_error_init (&error);
  if (!dbus_message_get_args (reply, &error, DBUS_TYPE_UNIX_FD, &fd, DBUS_TYPE_INVALID))
    g_error ("OpenConsole's reply: %s", error.message);
  dbus_message_unref (reply);
  g_assert_cmpint (fd, >=, 0);
  output = hull_test_read_until (fd, "Hi\n");
  g_assert_cmpstr (output, ==, "Hi\n");
  close (fd);
  client_clear (&client);
}

static char *
introspect (Client *client, const char *path)
{
  DBusMessage *reply
      = send_ok (client, dbus_message_new_method_call (NAME, path, DBUS_INTERFACE_INTROSPECTABLE,
                                                       "Introspect"));
  DBusError error;
  const char *xml;
  char *copy;

  dbus_error_init (&error);
  if (!dbus_message_get_args (reply, &error, DBUS_TYPE_STRING, &xml, DBUS_TYPE_INVALID))
    g_error ("Introspect: %s", error.message);
  copy = g_strdup (xml);
  dbus_message_unref (reply);
  return copy;
}

static void
assert_contains (const char *haystack, const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("no %s in:\n%s", needle, haystack);
}

/* Introspection data of each object names its interfaces and their
 * signatures as xml/dbus/ declares them. */
static void
test_introspect (void)
{
  Client client = { 0 };
  g_autofree char *xml = domain_xml ("seen", HULL_TEST_PROGRAM_SPIN);
  g_autofree char *path = NULL, *root = NULL, *manager = NULL, *domain = NULL, *backend = NULL,
                  *backend_path = hull_dbus_backend_path ("test"), *domains = NULL;

  client_init (&client);
  path = call_for_path (&client, new_call (ROOT, MANAGER, "DefineXML", xml, NULL));

  root = introspect (&client, "/");
  assert_contains (root, "<node name=\"org\"");
  manager = introspect (&client, ROOT);
  assert_contains (manager, "<interface name=\"org.hullvm.Hull1.Manager\">");
  assert_contains (manager, "<interface name=\"org.freedesktop.DBus.ObjectManager\">");
  assert_contains (manager, "<interface name=\"org.freedesktop.DBus.Properties\">");
  assert_contains (manager, "<method name=\"DefineXML\">");
  assert_contains (manager, "<signal name=\"DomainEvent\">");
  assert_contains (manager, "<node name=\"domain\"");
  assert_contains (manager, "<node name=\"backend\"");
  domains = introspect (&client, ROOT "/domain");
  assert_contains (domains, strrchr (path, '/') + 1);
  domain = introspect (&client, path);
  assert_contains (domain, "<interface name=\"org.hullvm.Hull1.Domain\">");
  assert_contains (domain, "<method name=\"OpenConsole\">");
  assert_contains (domain, "<arg type=\"h\" name=\"fd\" direction=\"out\"/>");
  assert_contains (domain, "<property type=\"s\" name=\"State\" access=\"read\"/>");
  backend = introspect (&client, backend_path);
  assert_contains (backend, "<interface name=\"org.hullvm.Hull1.Backend\">");
  client_clear (&client);
}

/* Errors carry Hull's names and a message. */
static void
test_errors (void)
{
  Client client = { 0 };
  DBusError error;
  DBusMessage *reply;
  DBusMessage *bad;
  dbus_uint32_t seven = 7;

  client_init (&client);
  dbus_error_init (&error);
  reply = client_send (&client, new_call (ROOT, MANAGER, "LookupByName", "nobody", NULL), &error);
  g_assert_null (reply);
  g_assert_cmpstr (error.name, ==, "org.hullvm.Hull1.Error.NotFound");
  g_assert_nonnull (strstr (error.message, "nobody"));
  dbus_error_free (&error);

  reply = client_send (&client, new_call (ROOT, MANAGER, "DefineXML", "<domain", NULL), &error);
  g_assert_null (reply);
  g_assert_cmpstr (error.name, ==, "org.hullvm.Hull1.Error.XmlSyntax");
  dbus_error_free (&error);

  reply = client_send (&client, new_call (ROOT, MANAGER, "ListDomains", NULL, "bogus"), &error);
  g_assert_null (reply);
  g_assert_cmpstr (error.name, ==, "org.hullvm.Hull1.Error.InvalidArgument");
  g_assert_nonnull (strstr (error.message, "bogus"));
  dbus_error_free (&error);

  bad = dbus_message_new_method_call (NAME, ROOT, MANAGER, "ListDomains");
  dbus_message_append_args (bad, DBUS_TYPE_UINT32, &seven, DBUS_TYPE_INVALID);
  reply = client_send (&client, bad, &error);
  g_assert_null (reply);
  g_assert_cmpstr (error.name, ==, DBUS_ERROR_INVALID_ARGS);
  dbus_error_free (&error);
  client_clear (&client);
}

/* GetAll of a domain: each property with its declared type. */
static void
test_properties (void)
{
  static const struct
  {
    const char *name;
    int type;
  } expected[] = {
    { "Name", DBUS_TYPE_STRING },        { "UUID", DBUS_TYPE_STRING },
    { "State", DBUS_TYPE_STRING },       { "StateReason", DBUS_TYPE_STRING },
    { "Persistent", DBUS_TYPE_BOOLEAN }, { "Autostart", DBUS_TYPE_BOOLEAN },
    { "Owner", DBUS_TYPE_UINT32 },       { "Vcpus", DBUS_TYPE_UINT32 },
    { "Memory", DBUS_TYPE_UINT64 },      { "Backend", DBUS_TYPE_STRING },
  };
  Client client = { 0 };
  g_autofree char *xml = domain_xml ("typed", HULL_TEST_PROGRAM_SPIN);
  g_autofree char *path = NULL;
  const char *interface = DOMAIN;
  DBusMessage *message, *reply;
  DBusMessageIter iter, dict, entry, variant;
  guint seen = 0;

  client_init (&client);
  path = call_for_path (&client, new_call (ROOT, MANAGER, "DefineXML", xml, NULL));
  message = dbus_message_new_method_call (NAME, path, DBUS_INTERFACE_PROPERTIES, "GetAll");
  dbus_message_append_args (message, DBUS_TYPE_STRING, &interface, DBUS_TYPE_INVALID);
  reply = send_ok (&client, message);
  g_assert_cmpstr (dbus_message_get_signature (reply), ==, "a{sv}");
  dbus_message_iter_init (reply, &iter);
  dbus_message_iter_recurse (&iter, &dict);
  while (dbus_message_iter_get_arg_type (&dict) == DBUS_TYPE_DICT_ENTRY)
    {
      const char *key;

      dbus_message_iter_recurse (&dict, &entry);
      dbus_message_iter_get_basic (&entry, &key);
      dbus_message_iter_next (&entry);
      dbus_message_iter_recurse (&entry, &variant);
      for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
        if (g_str_equal (key, expected[i].name))
          {
            if (dbus_message_iter_get_arg_type (&variant) != expected[i].type)
              g_error ("property %s has type '%c'", key, dbus_message_iter_get_arg_type (&variant));
            seen++;
          }
      dbus_message_iter_next (&dict);
    }
  dbus_message_unref (reply);
  g_assert_cmpuint (seen, ==, G_N_ELEMENTS (expected));
  client_clear (&client);
}

/* GetManagedObjects: the domain with its interface. */
static void
test_managed_objects (void)
{
  Client client = { 0 };
  g_autofree char *xml = domain_xml ("managed", HULL_TEST_PROGRAM_SPIN);
  g_autofree char *path = NULL;
  DBusMessage *reply;
  DBusMessageIter iter, objects, object, interfaces, interface;
  gboolean found = FALSE;

  client_init (&client);
  path = call_for_path (&client, new_call (ROOT, MANAGER, "DefineXML", xml, NULL));
  reply = send_ok (&client,
                   dbus_message_new_method_call (NAME, ROOT, OBJECT_MANAGER, "GetManagedObjects"));
  g_assert_cmpstr (dbus_message_get_signature (reply), ==, "a{oa{sa{sv}}}");
  dbus_message_iter_init (reply, &iter);
  dbus_message_iter_recurse (&iter, &objects);
  while (dbus_message_iter_get_arg_type (&objects) == DBUS_TYPE_DICT_ENTRY)
    {
      const char *object_path;

      dbus_message_iter_recurse (&objects, &object);
      dbus_message_iter_get_basic (&object, &object_path);
      if (g_str_equal (object_path, path))
        {
          dbus_message_iter_next (&object);
          dbus_message_iter_recurse (&object, &interfaces);
          while (dbus_message_iter_get_arg_type (&interfaces) == DBUS_TYPE_DICT_ENTRY)
            {
              const char *name;

              dbus_message_iter_recurse (&interfaces, &interface);
              dbus_message_iter_get_basic (&interface, &name);
              found = found || g_str_equal (name, DOMAIN);
              dbus_message_iter_next (&interfaces);
            }
        }
      dbus_message_iter_next (&objects);
    }
  dbus_message_unref (reply);
  g_assert_true (found);
  client_clear (&client);
}

int
main (int argc, char **argv)
{
  hull_test_init (&argc, &argv);
  if (hull_test_dbus_daemon () == NULL)
    {
      g_print ("1..0 # SKIP no dbus-daemon\n");
      return 77;
    }
  hull_test_add ("/hull/dbus-conformance/define-start", test_define_start, NULL);
  hull_test_add ("/hull/dbus-conformance/console-fd", test_console_fd, NULL);
  hull_test_add ("/hull/dbus-conformance/introspect", test_introspect, NULL);
  hull_test_add ("/hull/dbus-conformance/errors", test_errors, NULL);
  hull_test_add ("/hull/dbus-conformance/properties", test_properties, NULL);
  hull_test_add ("/hull/dbus-conformance/managed-objects", test_managed_objects, NULL);
  return g_test_run ();
}
