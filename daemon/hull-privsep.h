/* hull-privsep.h — privilege separation: a domain's owner, their rights
 * and a worker without privileges (docs/policy.md, "Privilege separation").
 *
 * In system mode hulld (root) runs each worker as the domain's owner, with
 * no capabilities and PR_SET_NO_NEW_PRIVS, and opens the files the worker
 * needs but may not open itself. The kernel and initrd a domain names are
 * opened with the owner's rights: a user cannot boot a file they cannot
 * read. hulld never changes its own credentials (it has GDBus threads);
 * it forks a short-lived child that does, opens the files and sends them
 * back over a socket (SCM_RIGHTS).
 */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/**
 * HullUserCreds:
 * @uid: the user
 * @gid: their primary group
 * @groups: (array length=n_groups): their supplementary groups (with @gid)
 * @n_groups: how many
 * @name: their login name, or the uid in decimal when the passwd database
 *   does not know them
 *
 * Looked up before a fork(): the child only uses them.
 */
typedef struct
{
  uid_t uid;
  gid_t gid;
  gid_t *groups;
  int n_groups;
  char *name;
} HullUserCreds;

/**
 * hull_user_creds_lookup:
 * @uid: a user id
 * @error: %HULL_ERROR_NOT_FOUND when the passwd database has no such user
 *
 * getpwuid_r() and getgrouplist().
 *
 * Returns: (transfer full): the user's credentials, or %NULL
 */
HullUserCreds *hull_user_creds_lookup (uid_t uid, GError **error);
void hull_user_creds_free (HullUserCreds *creds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullUserCreds, hull_user_creds_free)

/* The user's name for messages: the login name or the uid in decimal. */
char *hull_user_name (uid_t uid);

/**
 * HullPrivsepFlags:
 * @HULL_PRIVSEP_SWITCH_USER: become the user: setgroups(), setresgid(),
 *   setresuid() (needs root)
 * @HULL_PRIVSEP_DROP_CAPS: drop every capability: the bounding set (needs
 *   CAP_SETPCAP, so before the uid changes), then the permitted, effective
 *   and inheritable sets (capset()) and the ambient set
 */
typedef enum
{
  HULL_PRIVSEP_SWITCH_USER = 1 << 0,
  HULL_PRIVSEP_DROP_CAPS = 1 << 1,
} HullPrivsepFlags;

/**
 * hull_privsep_drop:
 * @creds: (nullable): the user to become; needed for
 *   %HULL_PRIVSEP_SWITCH_USER
 * @flags: what to drop
 * @step: (out): on failure, the step that failed (a static string, the
 *   system call's name)
 *
 * In a child between fork() and exec(): async-signal-safe (raw system
 * calls only). In this order: setgroups, setresgid, the capability
 * bounding set, setresuid, capset and the ambient set, and always
 * PR_SET_NO_NEW_PRIVS last.
 *
 * Returns: 0, or the errno of the step that failed
 */
int hull_privsep_drop (const HullUserCreds *creds, HullPrivsepFlags flags, const char **step);

/**
 * HullFileRequest:
 * @what: what the file is for messages, translated ("kernel", "initrd")
 * @path: the file
 */
typedef struct
{
  const char *what;
  const char *path;
} HullFileRequest;

/**
 * hull_file_opener_open_async:
 * @domain: the domain's name, for messages
 * @uid: the user whose rights count
 * @switch_user: open as @uid in a forked child (hulld is root and @uid is
 *   not); %FALSE: open them here, in a thread, with hulld's own rights
 * @requests: (array length=n_requests): the files, opened O_RDONLY
 * @n_requests: how many
 *
 * Opens each file for reading with @uid's rights. The first that fails
 * fails the call, with a message naming the domain, the user, the file and
 * the reason ("domain 'web': user 'alice' cannot read kernel
 * '/root/vmlinux': Permission denied"): %HULL_ERROR_NOT_FOUND for ENOENT
 * and ENOTDIR, %HULL_ERROR_NOT_AUTHORIZED for EACCES and EPERM,
 * %HULL_ERROR_IO otherwise; %HULL_ERROR_INVALID_ARGUMENT for what is not a
 * regular file (a FIFO is never waited on: O_NONBLOCK, then fstat());
 * %HULL_ERROR_TIMED_OUT when the child takes more than 30 s (it is killed).
 * No fd is left open then.
 */
void hull_file_opener_open_async (const char *domain, uid_t uid, gboolean switch_user,
                                  const HullFileRequest *requests, guint n_requests,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);

/**
 * hull_file_opener_open_finish:
 *
 * Returns: (transfer full): an array of n_requests fds (close-on-exec), in
 *   the order asked for, to close and g_free(); %NULL on failure
 */
int *hull_file_opener_open_finish (GAsyncResult *result, GError **error);

G_END_DECLS
