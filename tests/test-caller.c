/* test-caller.c — hull_caller_get_uid_async() on a bus (daemon/hull-caller.c):
 * the bus is asked for a client's uid once, concurrent calls share the
 * question, and the answer is forgotten when the client disconnects.
 *
 * The test's own connection to a private bus (dbus-harness.h, no hulld)
 * plays hulld: it exports a method whose handler looks its caller up, and a
 * filter counts the GetConnectionUnixUser calls it sends. Clients are more
 * connections to the same bus. */
#include "config.h"

#include <unistd.h>

#include "dbus-harness.h"
#include "hull-caller.h"
#include "hull-error.h"

#define TEST_PATH "/org/hullvm/Test"
#define TEST_INTERFACE "org.hullvm.Test"

static const char introspection_xml[]
    = "<node><interface name='" TEST_INTERFACE "'>"
      "<method name='WhoAmI'><arg type='u' name='uid' direction='out'/></method>"
      "<method name='Hold'/>"
      "</interface></node>";

typedef struct
{
  HullTestWorld *world;
  GDBusConnection *server; /* the world's connection */
  guint registration;
  guint filter;
  gint lookups;                /* GetConnectionUnixUser sent (atomic: GDBus's thread) */
  GDBusMethodInvocation *held; /* a Hold call, not answered */
} Fixture;

static GDBusMessage *
count_lookups (GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
               gpointer user_data)
{
  Fixture *fixture = user_data;

  if (!incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL
      && g_strcmp0 (g_dbus_message_get_destination (message), "org.freedesktop.DBus") == 0
      && g_strcmp0 (g_dbus_message_get_member (message), "GetConnectionUnixUser") == 0)
    g_atomic_int_inc (&fixture->lookups);
  return message;
}

static guint
lookups (Fixture *fixture)
{
  return (guint)g_atomic_int_get (&fixture->lookups);
}

static void
who_am_i_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GDBusMethodInvocation *invocation = user_data;
  GError *error = NULL;
  guint32 uid;

  if (hull_caller_get_uid_finish (result, &uid, &error))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", uid));
  else
    g_dbus_method_invocation_take_error (invocation, error);
}

static void
method_call (GDBusConnection *connection, const char *sender, const char *object_path,
             const char *interface_name, const char *method_name, GVariant *parameters,
             GDBusMethodInvocation *invocation, gpointer user_data)
{
  Fixture *fixture = user_data;

  if (g_str_equal (method_name, "WhoAmI"))
    hull_caller_get_uid_async (invocation, NULL, who_am_i_done, invocation);
  else
    {
      g_assert_null (fixture->held);
      fixture->held = g_object_ref (invocation);
    }
}

static const GDBusInterfaceVTable vtable = { method_call, NULL, NULL, { NULL } };

static void
fixture_init (Fixture *fixture)
{
  g_autoptr (GDBusNodeInfo) node = NULL;
  g_autoptr (GError) error = NULL;

  fixture->world = hull_test_world_new (FALSE);
  fixture->server = fixture->world->connection;
  node = g_dbus_node_info_new_for_xml (introspection_xml, &error);
  g_assert_no_error (error);
  fixture->registration = g_dbus_connection_register_object (
      fixture->server, TEST_PATH, node->interfaces[0], &vtable, fixture, NULL, &error);
  g_assert_no_error (error);
  fixture->filter = g_dbus_connection_add_filter (fixture->server, count_lookups, fixture, NULL);
}

static void
fixture_clear (Fixture *fixture)
{
  g_dbus_connection_remove_filter (fixture->server, fixture->filter);
  g_dbus_connection_unregister_object (fixture->server, fixture->registration);
  hull_test_world_free (fixture->world);
}

static GDBusConnection *
new_client (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *client = g_dbus_connection_new_for_address_sync (
      fixture->world->bus_address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, &error);

  g_assert_no_error (error);
  return client;
}

/* --- calls ----------------------------------------------------------------- */

typedef struct
{
  gboolean done;
  GVariant *reply;
  GError *error;
} Reply;

static void
reply_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reply *reply = user_data;

  reply->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &reply->error);
  reply->done = TRUE;
}

static gboolean
reply_is_done (gpointer data)
{
  return ((Reply *)data)->done;
}

static void
send_who_am_i (Fixture *fixture, GDBusConnection *client, Reply *reply)
{
  g_dbus_connection_call (client, g_dbus_connection_get_unique_name (fixture->server), TEST_PATH,
                          TEST_INTERFACE, "WhoAmI", NULL, G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, HULL_TEST_TIMEOUT_S * 1000, NULL, reply_done,
                          reply);
}

/* Waits for @reply: the uid WhoAmI returned. */
static guint32
reply_uid (Reply *reply)
{
  guint32 uid;

  hull_test_wait_until (reply_is_done, reply, "WhoAmI's reply");
  g_assert_no_error (reply->error);
  g_variant_get (reply->reply, "(u)", &uid);
  g_clear_pointer (&reply->reply, g_variant_unref);
  return uid;
}

/* WhoAmI from @client: the uid the server found. */
static guint32
who_am_i (Fixture *fixture, GDBusConnection *client)
{
  Reply reply = { 0 };

  send_who_am_i (fixture, client, &reply);
  return reply_uid (&reply);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  guint32 uid;
  GError *error;
} Lookup;

static void
lookup_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Lookup *lookup = user_data;

  lookup->ok = hull_caller_get_uid_finish (result, &lookup->uid, &lookup->error);
  lookup->done = TRUE;
}

static gboolean
lookup_is_done (gpointer data)
{
  return ((Lookup *)data)->done;
}

/* hull_caller_get_uid_async() on @invocation, waited for. */
static void
lookup_caller (GDBusMethodInvocation *invocation, Lookup *lookup)
{
  hull_caller_get_uid_async (invocation, NULL, lookup_done, lookup);
  hull_test_wait_until (lookup_is_done, lookup, "hull_caller_get_uid_async");
}

static gboolean
is_held (gpointer data)
{
  return ((Fixture *)data)->held != NULL;
}

static void
name_owner_changed (GDBusConnection *connection, const char *sender_name, const char *object_path,
                    const char *interface_name, const char *signal_name, GVariant *parameters,
                    gpointer user_data)
{
  const char *new_owner;

  g_variant_get_child (parameters, 2, "&s", &new_owner);
  if (*new_owner == '\0')
    *(gboolean *)user_data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *)data;
}

/* --- tests ------------------------------------------------------------------ */

/* One question to the bus per client, however many calls it makes. */
static void
test_caller_cached (void)
{
  Fixture fixture = { 0 };
  g_autoptr (GDBusConnection) a = NULL;
  g_autoptr (GDBusConnection) b = NULL;
  g_autoptr (GDBusConnection) c = NULL;
  Reply first = { 0 }, second = { 0 };

  fixture_init (&fixture);
  a = new_client (&fixture);
  b = new_client (&fixture);
  c = new_client (&fixture);

  g_assert_cmpuint (who_am_i (&fixture, a), ==, getuid ());
  g_assert_cmpuint (lookups (&fixture), ==, 1);
  /* The second call from a: no round trip. */
  g_assert_cmpuint (who_am_i (&fixture, a), ==, getuid ());
  g_assert_cmpuint (who_am_i (&fixture, a), ==, getuid ());
  g_assert_cmpuint (lookups (&fixture), ==, 1);

  /* Another client is another question. */
  g_assert_cmpuint (who_am_i (&fixture, b), ==, getuid ());
  g_assert_cmpuint (lookups (&fixture), ==, 2);

  /* Two calls in flight before the bus answers: one question. */
  send_who_am_i (&fixture, c, &first);
  send_who_am_i (&fixture, c, &second);
  g_assert_cmpuint (reply_uid (&first), ==, getuid ());
  g_assert_cmpuint (reply_uid (&second), ==, getuid ());
  g_assert_cmpuint (lookups (&fixture), ==, 3);

  fixture_clear (&fixture);
}

/* The answer goes when the client disconnects: looking up a call of a client
 * that left asks the bus again (which no longer knows it). */
static void
test_caller_forgotten (void)
{
  Fixture fixture = { 0 };
  g_autoptr (GDBusConnection) a = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  Lookup cached = { 0 }, gone = { 0 };
  gboolean left = FALSE;
  guint watch;

  fixture_init (&fixture);
  a = new_client (&fixture);
  name = g_strdup (g_dbus_connection_get_unique_name (a));

  g_assert_cmpuint (who_am_i (&fixture, a), ==, getuid ());
  g_assert_cmpuint (lookups (&fixture), ==, 1);

  /* A call of a's that the server keeps, to look it up later. */
  g_dbus_connection_call (a, g_dbus_connection_get_unique_name (fixture.server), TEST_PATH,
                          TEST_INTERFACE, "Hold", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          NULL, NULL);
  hull_test_wait_until (is_held, &fixture, "the Hold call");
  lookup_caller (fixture.held, &cached);
  g_assert_no_error (cached.error);
  g_assert_true (cached.ok);
  g_assert_cmpuint (cached.uid, ==, getuid ());
  g_assert_cmpuint (lookups (&fixture), ==, 1);

  /* a leaves; the bus says so. This subscription comes after the cache's, so
   * the cache has seen the signal when ours arrives; the drain is for good
   * measure. */
  watch = g_dbus_connection_signal_subscribe (
      fixture.server, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
      "/org/freedesktop/DBus", name, G_DBUS_SIGNAL_FLAGS_NONE, name_owner_changed, &left, NULL);
  g_dbus_connection_close_sync (a, NULL, &error);
  g_assert_no_error (error);
  hull_test_wait_until (is_true, &left, "a's name to go");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_dbus_connection_signal_unsubscribe (fixture.server, watch);

  lookup_caller (fixture.held, &gone);
  g_assert_false (gone.ok);
  g_assert_error (gone.error, HULL_ERROR, HULL_ERROR_FAILED);
  g_assert_cmpuint (lookups (&fixture), ==, 2);
  g_clear_error (&gone.error);

  /* Takes the invocation; the reply goes nowhere. */
  g_dbus_method_invocation_return_value (g_steal_pointer (&fixture.held), NULL);
  fixture_clear (&fixture);
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

  hull_test_add ("/hull/caller/cached", test_caller_cached, NULL);
  hull_test_add ("/hull/caller/forgotten", test_caller_forgotten, NULL);
  return g_test_run ();
}
