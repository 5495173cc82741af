/* hull-privsep.c — privilege separation (docs/policy.md). */
#include "config.h"

#include "hull-privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hull-error.h"
#include "hull-i18n.h"

/* PR_CAPBSET_DROP fails with EINVAL past the kernel's last capability;
 * capabilities fit in 64 bits (two capset words). */
#define MAX_CAPS 64

/* How long the opener's child may take for all the files: an open() can
 * block for good (a FUSE file system the owner serves), and it must not
 * keep a thread of hulld's, and the domain's Start, waiting forever. */
#define OPEN_TIMEOUT_S 30

/* --- users --------------------------------------------------------------- */

void
hull_user_creds_free (HullUserCreds *creds)
{
  if (creds == NULL)
    return;
  g_free (creds->groups);
  g_free (creds->name);
  g_free (creds);
}

/* getpwuid_r() with a buffer that grows: the name and primary group. */
static gboolean
lookup_passwd (uid_t uid, char **name, gid_t *gid)
{
  gsize size = 1024;

  for (;;)
    {
      g_autofree char *buffer = g_malloc (size);
      struct passwd pw, *found = NULL;
      int r = getpwuid_r (uid, &pw, buffer, size, &found);

      if (r == ERANGE && size < 1024 * 1024)
        {
          size *= 4;
          continue;
        }
      if (r != 0 || found == NULL)
        return FALSE;
      *name = g_strdup (pw.pw_name);
      *gid = pw.pw_gid;
      return TRUE;
    }
}

HullUserCreds *
hull_user_creds_lookup (uid_t uid, GError **error)
{
  g_autoptr (HullUserCreds) creds = g_new0 (HullUserCreds, 1);
  int n = 32;

  creds->uid = uid;
  if (!lookup_passwd (uid, &creds->name, &creds->gid))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                   _ ("user %llu is not in the passwd database"), (unsigned long long)uid);
      return NULL;
    }
  for (;;)
    {
      int got = n;

      creds->groups = g_renew (gid_t, creds->groups, n);
      if (getgrouplist (creds->name, creds->gid, creds->groups, &got) >= 0)
        {
          creds->n_groups = got;
          break;
        }
      if (got <= n || n >= 65536)
        {
          /* Cannot list them: the primary group alone. */
          creds->groups[0] = creds->gid;
          creds->n_groups = 1;
          break;
        }
      n = got;
    }
  return g_steal_pointer (&creds);
}

char *
hull_user_name (uid_t uid)
{
  char *name = NULL;
  gid_t gid;

  if (lookup_passwd (uid, &name, &gid))
    return name;
  return g_strdup_printf ("%llu", (unsigned long long)uid);
}

/* --- dropping privileges (async-signal-safe) ------------------------------ */

int
hull_privsep_drop (const HullUserCreds *creds, HullPrivsepFlags flags, const char **step)
{
  /* Raw system calls: glibc's set*id() wrappers synchronize all threads of
   * the process, which is not what a child of fork() may rely on. */
  if (flags & HULL_PRIVSEP_SWITCH_USER)
    {
      if (creds == NULL)
        {
          *step = "setgroups";
          return EINVAL;
        }
      *step = "setgroups";
      if (syscall (SYS_setgroups, (size_t)creds->n_groups, creds->groups) < 0)
        return errno;
      *step = "setresgid";
      if (syscall (SYS_setresgid, creds->gid, creds->gid, creds->gid) < 0)
        return errno;
    }
  if (flags & HULL_PRIVSEP_DROP_CAPS)
    {
      *step = "PR_CAPBSET_DROP";
      for (int cap = 0; cap < MAX_CAPS; cap++)
        if (prctl (PR_CAPBSET_DROP, (unsigned long)cap, 0UL, 0UL, 0UL) < 0)
          {
            if (errno == EINVAL)
              break; /* past the last capability */
            return errno;
          }
    }
  if (flags & HULL_PRIVSEP_SWITCH_USER)
    {
      *step = "setresuid";
      if (syscall (SYS_setresuid, creds->uid, creds->uid, creds->uid) < 0)
        return errno;
    }
  if (flags & HULL_PRIVSEP_DROP_CAPS)
    {
      struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
      struct __user_cap_data_struct data[2];

      memset (data, 0, sizeof data);
      *step = "capset";
      if (syscall (SYS_capset, &header, data) < 0)
        return errno;
      *step = "PR_CAP_AMBIENT_CLEAR_ALL";
      /* EINVAL: a kernel without ambient capabilities (before 4.3). */
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0UL, 0UL, 0UL) < 0 && errno != EINVAL)
        return errno;
    }
  *step = "PR_SET_NO_NEW_PRIVS";
  if (prctl (PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) < 0)
    return errno;
  return 0;
}

/* --- opening files as the owner -------------------------------------------- */

typedef struct
{
  char *domain;
  uid_t uid;
  gboolean switch_user;
  GPtrArray *whats; /* of char * */
  GPtrArray *paths; /* of char * */
} OpenData;

static void
open_data_free (gpointer p)
{
  OpenData *data = p;

  g_free (data->domain);
  g_ptr_array_unref (data->whats);
  g_ptr_array_unref (data->paths);
  g_free (data);
}

/* What the child sends for each file: 0 and the fd (SCM_RIGHTS), or the
 * errno of open() (or NOT_REGULAR); a negative index: becoming the user
 * failed. */
typedef struct
{
  int index;
  int error;
} OpenReply;

/* Not an errno: the path names something else than a regular file (a FIFO
 * whose open() or read() would block, a device that never ends, a
 * directory). */
#define NOT_REGULAR (-1)

/* Opens @path for reading, only if it is a regular file: O_NONBLOCK, so
 * that a FIFO does not block open(), then fstat(), then blocking again.
 * Returns the fd, or -1 with *@errsv set (an errno, or NOT_REGULAR).
 * Async-signal-safe: also used in the opener's child. */
static int
open_regular (const char *path, int *errsv)
{
  struct stat st;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

  if (fd < 0)
    {
      *errsv = errno;
      return -1;
    }
  if (fstat (fd, &st) < 0)
    *errsv = errno;
  else if (!S_ISREG (st.st_mode))
    *errsv = NOT_REGULAR;
  else if (fcntl (fd, F_SETFL, O_RDONLY) < 0)
    *errsv = errno;
  else
    return fd;
  close (fd);
  return -1;
}

static void
close_fds (int *fds, guint n)
{
  for (guint i = 0; i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
}

static GError *
open_error (OpenData *data, guint index, int errsv)
{
  g_autofree char *user = hull_user_name (data->uid);
  int code;

  if (errsv == NOT_REGULAR)
    return g_error_new (HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                        _ ("domain '%s': %s '%s' is not a regular file"), data->domain,
                        (const char *)g_ptr_array_index (data->whats, index),
                        (const char *)g_ptr_array_index (data->paths, index));
  if (errsv == ENOENT || errsv == ENOTDIR)
    code = HULL_ERROR_NOT_FOUND;
  else if (errsv == EACCES || errsv == EPERM)
    code = HULL_ERROR_NOT_AUTHORIZED;
  else
    code = HULL_ERROR_IO;
  return g_error_new (HULL_ERROR, code, _ ("domain '%s': user '%s' cannot read %s '%s': %s"),
                      data->domain, user, (const char *)g_ptr_array_index (data->whats, index),
                      (const char *)g_ptr_array_index (data->paths, index), g_strerror (errsv));
}

/* In the child: nothing but async-signal-safe calls. */
static void G_GNUC_NORETURN
open_child (int sock, const HullUserCreds *creds, char **paths, guint n)
{
  const char *step = NULL;
  OpenReply reply = { -1, 0 };
  int r = hull_privsep_drop (creds, HULL_PRIVSEP_SWITCH_USER, &step);

  if (r != 0)
    {
      reply.error = r;
      (void)!send (sock, &reply, sizeof reply, MSG_NOSIGNAL);
      _exit (1);
    }
  for (guint i = 0; i < n; i++)
    {
      union
      {
        char buffer[CMSG_SPACE (sizeof (int))];
        struct cmsghdr align;
      } control;
      struct iovec iov = { &reply, sizeof reply };
      struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
      int errsv = 0;
      int fd = open_regular (paths[i], &errsv);

      reply.index = (int)i;
      reply.error = fd < 0 ? errsv : 0;
      if (fd >= 0)
        {
          struct cmsghdr *cmsg;

          memset (&control, 0, sizeof control);
          msg.msg_control = control.buffer;
          msg.msg_controllen = sizeof control.buffer;
          cmsg = CMSG_FIRSTHDR (&msg);
          cmsg->cmsg_level = SOL_SOCKET;
          cmsg->cmsg_type = SCM_RIGHTS;
          cmsg->cmsg_len = CMSG_LEN (sizeof (int));
          memcpy (CMSG_DATA (cmsg), &fd, sizeof (int));
        }
      if (sendmsg (sock, &msg, MSG_NOSIGNAL) < 0)
        _exit (1);
      if (fd >= 0)
        close (fd);
      if (reply.error != 0)
        break;
    }
  _exit (0);
}

/* Receives one reply and its fd (or -1), by @deadline (monotonic time).
 * FALSE: the child went away, or *@timed_out. */
static gboolean
receive_reply (int sock, gint64 deadline, OpenReply *reply, int *fd, gboolean *timed_out)
{
  union
  {
    char buffer[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { reply, sizeof *reply };
  struct msghdr msg = { .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buffer,
                        .msg_controllen = sizeof control.buffer };
  ssize_t n;

  *fd = -1;
  *timed_out = FALSE;
  for (;;)
    {
      struct pollfd pfd = { .fd = sock, .events = POLLIN };
      gint64 left = deadline - g_get_monotonic_time ();
      int r;

      if (left <= 0)
        {
          *timed_out = TRUE;
          return FALSE;
        }
      r = poll (&pfd, 1, (int)MIN ((left + 999) / 1000, G_MAXINT));
      if (r > 0)
        break;
      if (r < 0 && errno != EINTR)
        return FALSE;
    }
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof *reply)
    return FALSE;
  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR (&msg); cmsg != NULL; cmsg = CMSG_NXTHDR (&msg, cmsg))
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS
        && cmsg->cmsg_len == CMSG_LEN (sizeof (int)))
      memcpy (fd, CMSG_DATA (cmsg), sizeof (int));
  return TRUE;
}

/* Opens the files as @data->uid in a child; fills @fds. */
static GError *
open_as_user (OpenData *data, int *fds)
{
  g_autoptr (HullUserCreds) creds = NULL;
  g_autofree char *user = NULL;
  GError *error = NULL;
  guint n = data->paths->len;
  int sv[2], status;
  pid_t pid;
  gint64 deadline;

  creds = hull_user_creds_lookup (data->uid, &error);
  if (creds == NULL)
    {
      g_prefix_error (&error, _ ("domain '%s': "), data->domain);
      return error;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      int errsv = errno;

      return g_error_new (HULL_ERROR, HULL_ERROR_IO, _ ("domain '%s': cannot make a socket: %s"),
                          data->domain, g_strerror (errsv));
    }
  pid = fork ();
  if (pid < 0)
    {
      int errsv = errno;

      close (sv[0]);
      close (sv[1]);
      return g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                          _ ("domain '%s': cannot fork to open its files: %s"), data->domain,
                          g_strerror (errsv));
    }
  if (pid == 0)
    {
      close (sv[0]);
      open_child (sv[1], creds, (char **)data->paths->pdata, n);
    }
  close (sv[1]);

  deadline = g_get_monotonic_time () + OPEN_TIMEOUT_S * G_USEC_PER_SEC;
  for (guint i = 0; i < n && error == NULL; i++)
    {
      OpenReply reply;
      gboolean timed_out;
      int fd;

      if (!receive_reply (sv[0], deadline, &reply, &fd, &timed_out))
        {
          if (timed_out)
            {
              /* Stuck in open(): a fatal signal ends even that. */
              kill (pid, SIGKILL);
              error = g_error_new (HULL_ERROR, HULL_ERROR_TIMED_OUT,
                                   _ ("domain '%s': opening its files as user '%s' took more "
                                      "than %d s"),
                                   data->domain, creds->name, OPEN_TIMEOUT_S);
            }
          else
            error
                = g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                               _ ("domain '%s': the process opening its files as user '%s' failed"),
                               data->domain, creds->name);
        }
      else if (reply.index < 0)
        error = g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                             _ ("domain '%s': cannot become user '%s' to open its files: %s"),
                             data->domain, creds->name, g_strerror (reply.error));
      else if (reply.index != (int)i || (reply.error == 0 && fd < 0))
        {
          if (fd >= 0)
            close (fd);
          error = g_error_new (HULL_ERROR, HULL_ERROR_FAILED,
                               _ ("domain '%s': the process opening its files as user '%s' "
                                  "sent a wrong reply"),
                               data->domain, creds->name);
        }
      else if (reply.error != 0)
        error = open_error (data, i, reply.error);
      else
        fds[i] = fd;
    }
  close (sv[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return error;
}

static GError *
open_directly (OpenData *data, int *fds)
{
  for (guint i = 0; i < data->paths->len; i++)
    {
      int errsv = 0;

      fds[i] = open_regular (g_ptr_array_index (data->paths, i), &errsv);
      if (fds[i] < 0)
        return open_error (data, i, errsv);
    }
  return NULL;
}

static void
open_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  OpenData *data = task_data;
  guint n = data->paths->len;
  g_autofree int *fds = g_new (int, MAX (n, 1));
  GError *error;

  for (guint i = 0; i < n; i++)
    fds[i] = -1;
  error = data->switch_user ? open_as_user (data, fds) : open_directly (data, fds);
  if (error != NULL)
    {
      close_fds (fds, n);
      g_task_return_error (task, error);
    }
  else if (g_cancellable_is_cancelled (cancellable))
    {
      close_fds (fds, n);
      g_task_return_error_if_cancelled (task);
    }
  else
    g_task_return_pointer (task, g_steal_pointer (&fds), g_free);
}

void
hull_file_opener_open_async (const char *domain, uid_t uid, gboolean switch_user,
                             const HullFileRequest *requests, guint n_requests,
                             GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  OpenData *data;

  g_return_if_fail (domain != NULL);
  g_return_if_fail (requests != NULL || n_requests == 0);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hull_file_opener_open_async);
  g_task_set_name (task, "[hull] hull_file_opener_open_async");
  /* Cancelled or not, the thread returns what it opened or closes it. */
  g_task_set_return_on_cancel (task, FALSE);

  data = g_new0 (OpenData, 1);
  data->domain = g_strdup (domain);
  data->uid = uid;
  data->switch_user = switch_user;
  data->whats = g_ptr_array_new_with_free_func (g_free);
  data->paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_requests; i++)
    {
      g_ptr_array_add (data->whats, g_strdup (requests[i].what));
      g_ptr_array_add (data->paths, g_strdup (requests[i].path));
    }
  g_task_set_task_data (task, data, open_data_free);
  g_task_run_in_thread (task, open_thread);
}

int *
hull_file_opener_open_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hull_file_opener_open_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
