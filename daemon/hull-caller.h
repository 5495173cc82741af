/* hull-caller.h — who is calling a D-Bus method.
 *
 * On a bus, the caller's uid comes from the bus daemon
 * (org.freedesktop.DBus.GetConnectionUnixUser on the sender); on a
 * peer-to-peer connection, from the connection's credentials. Main-loop
 * only; the bus call is asynchronous.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * hull_caller_get_uid_async:
 * @invocation: a method call being handled
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the result
 * @user_data: for @callback
 *
 * Finds the uid of @invocation's sender.
 */
void hull_caller_get_uid_async (GDBusMethodInvocation *invocation, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);

/**
 * hull_caller_get_uid_finish:
 * @result: the #GAsyncResult
 * @uid: (out): the caller's uid
 * @error: %HULL_ERROR_FAILED when the caller cannot be identified
 */
gboolean hull_caller_get_uid_finish (GAsyncResult *result, guint32 *uid, GError **error);

G_END_DECLS
