/* hull-caller.c — the uid behind a D-Bus method call (hull-caller.h). */
#include "config.h"

#include "hull-caller.h"
#include "hull-error.h"
#include "hull-i18n.h"

static void
got_unix_user (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) local_error = NULL;
  guint32 uid;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &local_error);
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (local_error);
      g_task_return_new_error (task, HULL_ERROR, HULL_ERROR_FAILED,
                               _ ("cannot identify the caller %s: %s"),
                               (const char *)g_task_get_task_data (task), local_error->message);
      return;
    }
  g_variant_get (reply, "(u)", &uid);
  g_task_return_int (task, uid);
}

void
hull_caller_get_uid_async (GDBusMethodInvocation *invocation, GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  GDBusConnection *connection;
  const char *sender;

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

  g_task_set_task_data (task, g_strdup (sender), g_free);
  g_dbus_connection_call (
      connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionUnixUser", g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(u)"),
      G_DBUS_CALL_FLAGS_NONE, -1, cancellable, got_unix_user, g_steal_pointer (&task));
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
