/* hull-caller.h — who is calling a D-Bus method.
 *
 * On a bus, the caller's uid comes from the bus daemon
 * (org.freedesktop.DBus.GetConnectionUnixUser on the sender), asked once
 * per client: the answer is kept per unique name (never reused on a bus)
 * until the bus announces that the client left (NameOwnerChanged). On a
 * peer-to-peer connection, it comes from the connection's credentials.
 * Main-loop only (the thread-default context of the first bus lookup); the
 * bus call is asynchronous.
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
 * Finds the uid of @invocation's sender. Concurrent lookups for one sender
 * share one bus call; a cancelled @cancellable takes effect when it answers.
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
