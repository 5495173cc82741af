/* hull-caller.c — the uid behind a D-Bus method call (hull-caller.h). */
#include "config.h"

#include "hull-caller.h"
#include "hull-error.h"
#include "hull-i18n.h"

/* The uids the bus told us, per bus connection (its qdata): unique name →
 * CallerEntry. A unique name is never reused on a bus, so an entry stays
 * right as long as that client is connected; it is dropped when the bus
 * announces that the name is gone (NameOwnerChanged with no new owner), so
 * the cache holds only connected clients. One subscription per connection,
 * with no arg0 filter: a match rule per client would cost an AddMatch and a
 * RemoveMatch for each, and the system bus limits a connection's match
 * rules (512 by default). The signals for well-known names are ignored. */
typedef struct
{
  GHashTable *entries; /* unique name (owned) → CallerEntry (owned) */
} CallerCache;

typedef struct
{
  guint32 uid;
  /* While GetConnectionUnixUser is in flight: the GTasks waiting for it
   * (concurrent calls from one client share the lookup); NULL once known. */
  GPtrArray *waiters;
  /* The name went away while the lookup was in flight: do not keep it. */
  gboolean gone;
} CallerEntry;

static void
caller_entry_free (gpointer data)
{
  CallerEntry *entry = data;

  /* A lookup in flight holds a reference to the connection, and so to the
   * cache: an entry is never freed with waiters. */
  g_warn_if_fail (entry->waiters == NULL);
  g_free (entry);
}

static void
caller_cache_free (gpointer data)
{
  CallerCache *cache = data;

  /* The connection is being finalized: its subscriptions go with it. */
  g_hash_table_unref (cache->entries);
  g_free (cache);
}

static GQuark
caller_cache_quark (void)
{
  return g_quark_from_static_string ("hull-caller-cache");
}

static void
name_owner_changed (GDBusConnection *connection, const char *sender_name, const char *object_path,
                    const char *interface_name, const char *signal_name, GVariant *parameters,
                    gpointer user_data)
{
  CallerCache *cache = user_data;
  const char *name, *old_owner, *new_owner;
  CallerEntry *entry;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sss)")))
    return;
  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] != ':' || new_owner[0] != '\0')
    return;
  entry = g_hash_table_lookup (cache->entries, name);
  if (entry == NULL)
    return;
  if (entry->waiters != NULL)
    entry->gone = TRUE;
  else
    g_hash_table_remove (cache->entries, name);
}

static CallerCache *
caller_cache_get (GDBusConnection *connection)
{
  CallerCache *cache = g_object_get_qdata (G_OBJECT (connection), caller_cache_quark ());

  if (cache != NULL)
    return cache;
  cache = g_new0 (CallerCache, 1);
  cache->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, caller_entry_free);
  /* Subscribed before the first GetConnectionUnixUser is sent, so that the
   * bus applies the match rule first: a client that leaves after the bus
   * answered is always announced. */
  g_dbus_connection_signal_subscribe (connection, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                      "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, name_owner_changed, cache, NULL);
  g_object_set_qdata_full (G_OBJECT (connection), caller_cache_quark (), cache, caller_cache_free);
  return cache;
}

static void
got_unix_user (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *sender = user_data;
  CallerCache *cache = caller_cache_get (G_DBUS_CONNECTION (source));
  CallerEntry *entry = g_hash_table_lookup (cache->entries, sender);
  g_autoptr (GPtrArray) waiters = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) local_error = NULL;
  guint32 uid = 0;

  g_return_if_fail (entry != NULL && entry->waiters != NULL);
  waiters = g_steal_pointer (&entry->waiters);

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &local_error);
  if (reply != NULL)
    g_variant_get (reply, "(u)", &uid);
  else
    g_dbus_error_strip_remote_error (local_error);
  if (reply != NULL && !entry->gone)
    entry->uid = uid;
  else
    g_hash_table_remove (cache->entries, sender);

  for (guint i = 0; i < waiters->len; i++)
    {
      GTask *task = g_ptr_array_index (waiters, i);

      if (reply != NULL)
        g_task_return_int (task, uid);
      else
        g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_FAILED,
                                 _ ("cannot identify the caller %s: %s"), sender,
                                 local_error->message);
    }
}

void
hull_caller_get_uid_async (GDBusMethodInvocation *invocation, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  GDBusConnection *connection;
  const char *sender;
  CallerCache *cache;
  CallerEntry *entry;

  g_return_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hull_caller_get_uid_async);
  connection = g_dbus_method_invocation_get_connection (invocation);
  sender = g_dbus_method_invocation_get_sender (invocation);

  if (sender == NULL)
    {
      /* Peer to peer: the other end of the socket. */
      GCredentials *credentials = g_dbus_connection_get_peer_credentials (connection);
      g_autoptr (GError) local_error = NULL;
      uid_t uid;

      if (credentials == NULL)
        {
          g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_FAILED,
                                   _ ("cannot identify the caller: the connection has no "
                                      "credentials"));
          return;
        }
      uid = g_credentials_get_unix_user (credentials, &local_error);
      if (uid == (uid_t)-1)
        {
          g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_FAILED,
                                   _ ("cannot identify the caller: %s"), local_error->message);
          return;
        }
      g_task_return_int (task, uid);
      return;
    }

  cache = caller_cache_get (connection);
  entry = g_hash_table_lookup (cache->entries, sender);
  if (entry != NULL && entry->waiters == NULL)
    {
      g_task_return_int (task, entry->uid);
      return;
    }
  if (entry != NULL)
    {
      /* Already asked; @cancellable only takes effect when the answer comes. */
      g_ptr_array_add (entry->waiters, g_steal_pointer (&task));
      return;
    }

  entry = g_new0 (CallerEntry, 1);
  entry->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (entry->waiters, g_steal_pointer (&task));
  g_hash_table_insert (cache->entries, g_strdup (sender), entry);
  /* Shared by every waiter, so not cancelled by any one of them. */
  g_dbus_connection_call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "GetConnectionUnixUser",
                          g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, got_unix_user, g_strdup (sender));
}

gboolean
hull_caller_get_uid_finish (GAsyncResult *result, guint32 *uid, GError **error)
{
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  value = g_task_propagate_int (G_TASK (result), error);
  if (value < 0)
    return FALSE;
  *uid = (guint32)value;
  return TRUE;
}
