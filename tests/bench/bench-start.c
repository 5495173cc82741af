/* bench-start — from starting a hull-vm process to the first thing the
 * guest does, and what the process costs in memory.
 *
 * Each run spawns `hull-vm --xml X --backend-dir plugins/kvm/.libs` on a
 * domain (kvm, 1 vCPU, 64 MiB) that boots tests/guests/hello, with its
 * standard output on a pseudo-terminal (so that hull-vm's output is
 * line-buffered, as on a terminal), and times from just before fork()
 * (CLOCK_MONOTONIC):
 *
 *   ready        the first line ("domain … runs on backend …"): hull-vm has
 *                parsed the domain, loaded and probed the backend, built the
 *                partition and loaded the kernel; it starts the VM right
 *                after it;
 *   boot-timer   hull-vm's own figure: VM start → the guest's boot-timer
 *                write (its 4th instruction and first device access);
 *   first-write  ready + boot-timer: process start → the boot-timer write;
 *   hello        the line "Hello from a Hull guest" (printed by the guest
 *                after the boot-timer write: an upper bound for it);
 *   exit         the process has exited (after power off and teardown);
 *
 * and the peak RSS from wait4()'s ru_maxrss, for a 64 and a 512 MiB guest.
 * Then, once per size, an idle VM (tests/guests/exits, exit=halt) is looked
 * at in /proc while it runs: the resident guest RAM (the anonymous mapping
 * of the RAM's size) and the rest, split into anonymous and file-backed
 * (shared libraries) pages; "VMM overhead" is RSS minus guest RAM.
 *
 * If qemu-system-x86_64 is installed it also times it to its first QMP
 * greeting (-M none -S: no guest), a different milestone from any of
 * hull-vm's: a bare QEMU process ready to be told what to do.
 *
 * Lines for scripts:
 *   bench-start metric=NAME median_us=… p90_us=… runs=…
 *   bench-start metric=peak-rss-kib memory_mib=… median_kib=… max_kib=… runs=…
 *   bench-start metric=idle-rss memory_mib=… rss_kib=… guest_kib=… anon_kib=… file_kib=…
 *   bench-start metric=vmm-overhead-kib memory_mib=… kib=… goal_kib=5120
 *   bench-start metric=qemu-qmp-ready median_us=… p90_us=… runs=… peak_rss_kib=…
 *
 * Without a usable /dev/kvm, the KVM backend or the guests it says so and
 * exits 0; it never fails on timing. Usage: bench-start [RUNS] (default 20,
 * at least 10). $HULL_VM names another hull-vm.
 */
#define _GNU_SOURCE /* posix_openpt(), ptsname_r() */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define RUN_TIMEOUT_US (30 * G_USEC_PER_SEC)
#define IDLE_SETTLE_US (300 * G_TIME_SPAN_MILLISECOND)
#define HELLO_LINE "Hello from a Hull guest\n"
#define BOOT_TIMER_TEXT "the guest wrote the boot timer "

/* ------------------------------------------------------------------ */
/* A child process with its output on a pseudo-terminal */

typedef struct
{
  gsize end;    /* output length after this chunk */
  gint64 since; /* µs from spawn to the chunk's arrival */
} Chunk;

typedef struct
{
  pid_t pid;
  int master;
  gint64 spawned;
  GString *out;
  GArray *chunks; /* Chunk */
  gboolean eof;
} Child;

static void
child_clear (Child *c)
{
  if (c->master >= 0)
    close (c->master);
  c->master = -1;
  if (c->out != NULL)
    g_string_free (c->out, TRUE);
  c->out = NULL;
  g_clear_pointer (&c->chunks, g_array_unref);
}

/* Starts @argv with @envp, its standard streams on a new pty. */
static gboolean
child_spawn (Child *c, char **argv, char **envp)
{
  char slave_name[128];

  *c = (Child){ .pid = -1, .master = -1 };
  c->master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (c->master < 0 || grantpt (c->master) < 0 || unlockpt (c->master) < 0
      || ptsname_r (c->master, slave_name, sizeof slave_name) != 0)
    {
      fprintf (stderr, "bench-start: pseudo-terminal: %s\n", g_strerror (errno));
      return FALSE;
    }
  c->out = g_string_new (NULL);
  c->chunks = g_array_new (FALSE, FALSE, sizeof (Chunk));

  /* Only async-signal-safe calls between fork() and exec(). */
  c->spawned = g_get_monotonic_time ();
  c->pid = fork ();
  if (c->pid == 0)
    {
      int slave = open (slave_name, O_RDWR | O_NOCTTY);
      struct termios tio;

      if (slave < 0)
        _exit (127);
      if (tcgetattr (slave, &tio) == 0)
        {
          cfmakeraw (&tio); /* no "\n" → "\r\n" */
          tcsetattr (slave, TCSANOW, &tio);
        }
      /* Standard input too: QEMU's -qmp stdio must not see end of file. */
      dup2 (slave, 0);
      dup2 (slave, 1);
      dup2 (slave, 2);
      if (slave > 2)
        close (slave);
      execve (argv[0], argv, envp);
      _exit (127);
    }
  if (c->pid < 0)
    {
      fprintf (stderr, "bench-start: fork: %s\n", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* Reads one chunk of output; FALSE at end of output or after @deadline. */
static gboolean
child_pump (Child *c, gint64 deadline)
{
  struct pollfd pfd = { c->master, POLLIN, 0 };
  char buffer[4096];
  gint64 now = g_get_monotonic_time ();
  ssize_t n;

  if (c->eof || now >= deadline)
    return FALSE;
  switch (poll (&pfd, 1, (int)MAX ((deadline - now) / 1000, 1)))
    {
      case -1:
        return errno == EINTR;
      case 0:
        return g_get_monotonic_time () < deadline;
      default:
        break;
    }
  n = read (c->master, buffer, sizeof buffer);
  if (n > 0)
    {
      Chunk chunk = { 0, g_get_monotonic_time () - c->spawned };

      g_string_append_len (c->out, buffer, n);
      chunk.end = c->out->len;
      g_array_append_val (c->chunks, chunk);
      return TRUE;
    }
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return TRUE;
  c->eof = TRUE; /* EIO: every copy of the slave is closed */
  return FALSE;
}

/* µs from spawn to the arrival of @needle's last byte, or -1. */
static gint64
child_find (Child *c, const char *needle, gint64 deadline)
{
  for (;;)
    {
      const char *p = strstr (c->out->str, needle);

      if (p != NULL)
        {
          gsize end = (gsize)(p - c->out->str) + strlen (needle);

          for (guint i = 0; i < c->chunks->len; i++)
            if (g_array_index (c->chunks, Chunk, i).end >= end)
              return g_array_index (c->chunks, Chunk, i).since;
        }
      if (!child_pump (c, deadline))
        return -1;
    }
}

/* Reads to the end of the output (killing the child at @deadline) and reaps
 * it; returns µs from spawn to the reaping. */
static gint64
child_reap (Child *c, gint64 deadline, int *status, struct rusage *usage)
{
  while (child_pump (c, deadline))
    ;
  if (!c->eof)
    kill (c->pid, SIGKILL);
  while (wait4 (c->pid, status, 0, usage) < 0)
    if (errno != EINTR)
      {
        memset (usage, 0, sizeof *usage);
        *status = -1;
        break;
      }
  return g_get_monotonic_time () - c->spawned;
}

/* ------------------------------------------------------------------ */
/* Statistics */

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* The value at quantile @q (nearest rank) of @samples, which it sorts. */
static gint64
quantile (GArray *samples, double q)
{
  guint rank;

  g_array_sort (samples, compare_int64);
  rank = (guint)(q * samples->len + 0.999999);
  return g_array_index (samples, gint64, CLAMP (rank, 1, samples->len) - 1);
}

static void
print_metric (const char *name, GArray *samples, const char *what)
{
  gint64 median, p90;

  if (samples->len == 0)
    {
      printf ("# %-12s no samples\n", name);
      return;
    }
  median = quantile (samples, 0.5);
  p90 = quantile (samples, 0.9);
  printf ("bench-start metric=%s median_us=%" G_GINT64_FORMAT " p90_us=%" G_GINT64_FORMAT
          " runs=%u\n",
          name, median, p90, samples->len);
  printf ("#   %-12s %8.2f ms median, %8.2f ms p90: %s\n", name, median / 1000.0, p90 / 1000.0,
          what);
}

/* ------------------------------------------------------------------ */
/* hull-vm */

static char *
write_domain (const char *name, const char *kernel, guint memory_mib, const char *cmdline)
{
  g_autofree char *cmdline_xml = cmdline != NULL
                                     ? g_markup_printf_escaped ("<cmdline>%s</cmdline>", cmdline)
                                     : g_strdup ("");
  g_autofree char *xml
      = g_markup_printf_escaped ("<domain type='kvm'>\n"
                                 "  <name>%s</name><memory unit='MiB'>%u</memory><vcpu>1</vcpu>\n"
                                 "  <os><kernel>%s</kernel>",
                                 name, memory_mib, kernel);
  g_autofree char *full = g_strconcat (xml, cmdline_xml,
                                       "</os>\n"
                                       "  <devices><serial type='pty'/></devices>\n"
                                       "</domain>\n",
                                       NULL);
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("bench-start-XXXXXX.xml", &path, &error);

  if (fd < 0)
    g_error ("bench-start: %s", error->message);
  close (fd);
  if (!g_file_set_contents (path, full, -1, &error))
    g_error ("bench-start: %s", error->message);
  return path;
}

/* The program to run for HULL_VM_PATH: in a build tree that is a libtool
 * wrapper script, whose shell would be timed too; run the real binary in
 * .libs next to it, with the build tree's libhull. */
static char *
hull_vm_program (char ***envp)
{
  const char *override = g_getenv ("HULL_VM");
  g_autofree char *dir = g_path_get_dirname (HULL_VM_PATH);
  g_autofree char *real = g_build_filename (dir, ".libs", "hull-vm", NULL);

  if (override != NULL)
    return g_strdup (override);
  if (g_file_test (real, G_FILE_TEST_IS_EXECUTABLE))
    {
      const char *old = g_environ_getenv (*envp, "LD_LIBRARY_PATH");
      g_autofree char *path = old != NULL && *old != '\0'
                                  ? g_strconcat (HULL_LIB_DIR, ":", old, NULL)
                                  : g_strdup (HULL_LIB_DIR);

      *envp = g_environ_setenv (*envp, "LD_LIBRARY_PATH", path, TRUE);
      return g_steal_pointer (&real);
    }
  return g_strdup (HULL_VM_PATH);
}

static char **
hull_vm_argv (const char *program, const char *xml)
{
  const char *argv[]
      = { program, "--xml", xml, "--backend-dir", HULL_KVM_BACKEND_DIR, "--timeout", "20", NULL };

  return g_strdupv ((char **)argv);
}

typedef struct
{
  gint64 ready, boot_timer, first_write, hello, exit;
  glong maxrss_kib;
} Sample;

/* One hello run; FALSE (and the output on stderr) if it did not go as
 * expected. */
static gboolean
run_hello (char **argv, char **envp, Sample *s)
{
  Child c;
  int status = 0;
  struct rusage usage;
  gint64 deadline;
  const char *timer;
  gboolean ok;

  if (!child_spawn (&c, argv, envp))
    {
      child_clear (&c);
      return FALSE;
    }
  deadline = c.spawned + RUN_TIMEOUT_US;
  s->ready = child_find (&c, "\n", deadline);
  s->hello = child_find (&c, HELLO_LINE, deadline);
  s->exit = child_reap (&c, deadline, &status, &usage);
  s->maxrss_kib = usage.ru_maxrss;
  timer = strstr (c.out->str, BOOT_TIMER_TEXT);
  s->boot_timer = timer != NULL ? g_ascii_strtoll (timer + strlen (BOOT_TIMER_TEXT), NULL, 10) : -1;
  s->first_write = s->ready >= 0 && s->boot_timer >= 0 ? s->ready + s->boot_timer : -1;
  ok = status != -1 && WIFEXITED (status) && WEXITSTATUS (status) == 0 && s->ready >= 0
       && s->hello >= 0 && s->boot_timer >= 0;
  if (!ok)
    fprintf (stderr, "bench-start: %s did not run as expected (wait status 0x%x):\n%s\n", argv[0],
             (guint)status, c.out->str);
  child_clear (&c);
  return ok;
}

typedef struct
{
  glong rss, anon, file, shmem, guest;
} Idle;

static glong
status_field (const char *status, const char *name)
{
  const char *p = strstr (status, name);

  return p != NULL ? strtol (p + strlen (name), NULL, 10) : -1;
}

/* Resident KiB of the private anonymous rw mapping of exactly @size_kib. */
static glong
guest_ram_rss (pid_t pid, glong size_kib)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/smaps", (int)pid);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean candidate = FALSE, sized = FALSE;
  glong total = -1;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = lines[i];
      char perms[8] = "";
      char rest[8] = "";

      if (g_ascii_isxdigit (l[0]) && strchr (l, '-') != NULL && strchr (l, '-') < strchr (l, ' '))
        {
          /* "start-end perms offset dev inode [path]" */
          int n = sscanf (l, "%*s %7s %*s %*s %*s %7s", perms, rest);

          candidate = n == 1 && strcmp (perms, "rw-p") == 0;
          sized = FALSE;
        }
      else if (candidate && g_str_has_prefix (l, "Size:"))
        sized = strtol (l + 5, NULL, 10) == size_kib;
      else if (candidate && sized && g_str_has_prefix (l, "Rss:"))
        total = MAX (total, 0) + strtol (l + 4, NULL, 10);
    }
  return total;
}

/* An idle VM looked at in /proc while it runs. */
static gboolean
run_idle (char **argv, char **envp, guint memory_mib, Idle *idle)
{
  g_autofree char *path = NULL;
  g_autofree char *status_text = NULL;
  struct rusage usage;
  Child c;
  int status = 0;
  gint64 deadline;
  gboolean ok = FALSE;

  if (!child_spawn (&c, argv, envp))
    {
      child_clear (&c);
      return FALSE;
    }
  deadline = c.spawned + RUN_TIMEOUT_US;
  if (child_find (&c, "\n", deadline) >= 0)
    {
      /* The guest halts after under 100 instructions. */
      while (child_pump (&c, g_get_monotonic_time () + IDLE_SETTLE_US))
        ;
      path = g_strdup_printf ("/proc/%d/status", (int)c.pid);
      if (!c.eof && g_file_get_contents (path, &status_text, NULL, NULL))
        {
          idle->rss = status_field (status_text, "VmRSS:");
          idle->anon = status_field (status_text, "RssAnon:");
          idle->file = status_field (status_text, "RssFile:");
          idle->shmem = status_field (status_text, "RssShmem:");
          idle->guest = guest_ram_rss (c.pid, (glong)memory_mib * 1024);
          ok = idle->rss >= 0;
        }
      kill (c.pid, SIGTERM);
    }
  child_reap (&c, g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &status, &usage);
  if (!ok)
    fprintf (stderr, "bench-start: the idle VM did not stay up:\n%s\n", c.out->str);
  child_clear (&c);
  return ok;
}

/* ------------------------------------------------------------------ */
/* QEMU, if installed */

static void
run_qemu (guint runs, char **envp)
{
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");
  g_autoptr (GArray) ready = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) rss = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (qemu == NULL)
    {
      printf ("# qemu: not installed\n");
      return;
    }
  for (guint i = 0; i <= runs; i++) /* run 0 warms up */
    {
      const char *argv[]
          = { qemu,          "-accel",          "kvm", "-M",   "none",  "-display", "none",
              "-nodefaults", "-no-user-config", "-S",  "-qmp", "stdio", NULL };
      struct rusage usage;
      Child c;
      int status = 0;
      gint64 t;

      if (!child_spawn (&c, (char **)argv, envp))
        {
          child_clear (&c);
          return;
        }
      t = child_find (&c, "{\"QMP\"", c.spawned + RUN_TIMEOUT_US);
      kill (c.pid, SIGTERM);
      child_reap (&c, g_get_monotonic_time () + 5 * G_USEC_PER_SEC, &status, &usage);
      if (t < 0)
        {
          printf ("# qemu: no QMP greeting from %s:\n%s\n", qemu, c.out->str);
          child_clear (&c);
          return;
        }
      if (i > 0)
        {
          gint64 kib = usage.ru_maxrss;

          g_array_append_val (ready, t);
          g_array_append_val (rss, kib);
        }
      child_clear (&c);
    }
  printf ("\n# %s -accel kvm -M none -S -qmp stdio (no guest)\n", qemu);
  printf ("bench-start metric=qemu-qmp-ready median_us=%" G_GINT64_FORMAT
          " p90_us=%" G_GINT64_FORMAT " runs=%u peak_rss_kib=%" G_GINT64_FORMAT "\n",
          quantile (ready, 0.5), quantile (ready, 0.9), ready->len, quantile (rss, 0.5));
  printf ("#   qemu-qmp-ready %8.2f ms median: process start → first QMP greeting (QEMU ready "
          "for commands, no machine, no guest; not the same milestone as hull-vm's 'ready')\n",
          quantile (ready, 0.5) / 1000.0);
}

/* ------------------------------------------------------------------ */

static const char *
skip_reason (void)
{
  static char reason[512];
  g_autofree char *plugin = g_build_filename (HULL_KVM_BACKEND_DIR, "hull-backend-kvm.so", NULL);
  g_autofree char *hello = g_build_filename (HULL_GUESTS_DIR, "hello", NULL);
  g_autofree char *exits = g_build_filename (HULL_GUESTS_DIR, "exits", NULL);

  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    g_snprintf (reason, sizeof reason, "/dev/kvm: %s", g_strerror (errno));
  else if (g_getenv ("HULL_VM") == NULL && !g_file_test (HULL_VM_PATH, G_FILE_TEST_EXISTS))
    g_snprintf (reason, sizeof reason, "%s is not built", HULL_VM_PATH);
  else if (!g_file_test (plugin, G_FILE_TEST_EXISTS))
    g_snprintf (reason, sizeof reason, "no KVM backend at %s", plugin);
  else if (!g_file_test (hello, G_FILE_TEST_EXISTS) || !g_file_test (exits, G_FILE_TEST_EXISTS))
    g_snprintf (reason, sizeof reason, "the guests are not built in %s", HULL_GUESTS_DIR);
  else
    return NULL;
  return reason;
}

/* Frees @samples. */
static void
print_rss (guint memory_mib, GArray *samples)
{
  printf ("bench-start metric=peak-rss-kib memory_mib=%u median_kib=%" G_GINT64_FORMAT
          " max_kib=%" G_GINT64_FORMAT " runs=%u\n",
          memory_mib, quantile (samples, 0.5), quantile (samples, 1.0), samples->len);
  g_array_unref (samples);
}

static void
print_idle (guint memory_mib, const Idle *idle)
{
  printf ("bench-start metric=idle-rss memory_mib=%u rss_kib=%ld guest_kib=%ld anon_kib=%ld "
          "file_kib=%ld shmem_kib=%ld\n",
          memory_mib, idle->rss, idle->guest, idle->anon, idle->file, idle->shmem);
  if (idle->guest < 0)
    {
      printf ("#   %u MiB guest: RSS %ld KiB (the guest RAM mapping was not found)\n", memory_mib,
              idle->rss);
      return;
    }
  printf ("bench-start metric=vmm-overhead-kib memory_mib=%u kib=%ld goal_kib=5120\n", memory_mib,
          idle->rss - idle->guest);
  printf ("#   %u MiB guest: RSS %ld KiB = guest RAM %ld KiB + VMM %ld KiB (anonymous %ld KiB, "
          "shared libraries and other file pages %ld KiB)\n",
          memory_mib, idle->rss, idle->guest, idle->rss - idle->guest, idle->anon - idle->guest,
          idle->file + idle->shmem);
}

int
main (int argc, char **argv)
{
  g_autofree char *hello = g_build_filename (HULL_GUESTS_DIR, "hello", NULL);
  g_autofree char *exits = g_build_filename (HULL_GUESTS_DIR, "exits", NULL);
  g_autofree char *program = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  g_autoptr (GArray) ready = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) boot_timer = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) first_write = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) hello_line = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) exited = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *rss[2] = { g_array_new (FALSE, FALSE, sizeof (gint64)),
                     g_array_new (FALSE, FALSE, sizeof (gint64)) };
  const guint sizes[2] = { 64, 512 };
  char *xml[2][2] = { { NULL } };
  guint runs = argc > 1 ? (guint)g_ascii_strtoull (argv[1], NULL, 10) : 20;
  const char *reason = skip_reason ();
  gboolean ok = TRUE;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (reason != NULL)
    {
      printf ("# bench-start: %s; skipped\n", reason);
      return 0;
    }
  runs = MAX (runs, 10);
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");
  program = hull_vm_program (&envp);
  for (guint m = 0; m < 2; m++)
    {
      xml[m][0] = write_domain ("bench-start-hello", hello, sizes[m], NULL);
      xml[m][1] = write_domain ("bench-start-idle", exits, sizes[m], "exit=halt");
    }

  printf ("# %s, kvm, 1 vCPU, tests/guests/hello, 64 MiB (and 512 MiB, interleaved, for the "
          "RSS); %u runs after 1 warm-up\n# times from just before fork():\n",
          program, runs);
  for (guint i = 0; i <= runs && ok; i++)
    for (guint m = 0; m < 2 && ok; m++)
      {
        g_auto (GStrv) a = hull_vm_argv (program, xml[m][0]);
        Sample s;
        gint64 kib;

        ok = run_hello (a, envp, &s);
        if (!ok || i == 0)
          continue;
        kib = s.maxrss_kib;
        g_array_append_val (rss[m], kib);
        if (m != 0)
          continue;
        g_array_append_val (ready, s.ready);
        g_array_append_val (boot_timer, s.boot_timer);
        g_array_append_val (first_write, s.first_write);
        g_array_append_val (hello_line, s.hello);
        g_array_append_val (exited, s.exit);
      }
  if (ok)
    {
      print_metric ("ready", ready, "process start → first output line (VM built, about to start)");
      print_metric ("boot-timer", boot_timer, "VM start → boot-timer write (hull-vm's figure)");
      print_metric (
          "first-write", first_write,
          "ready + boot-timer: process start → the guest's boot-timer write (goal: 5 ms)");
      print_metric ("hello", hello_line, "process start → \"Hello from a Hull guest\" line");
      print_metric ("exit", exited, "process start → exit after power off");

      printf ("\n# peak RSS (wait4 ru_maxrss) of the same hello runs:\n");
      for (guint m = 0; m < 2; m++)
        print_rss (sizes[m], g_steal_pointer (&rss[m]));

      printf ("\n# an idle VM (tests/guests/exits exit=halt) in /proc while it runs "
              "(goal: VMM under 5 MiB):\n");
      for (guint m = 0; m < 2; m++)
        {
          g_auto (GStrv) a = hull_vm_argv (program, xml[m][1]);
          Idle idle = { 0 };

          if (run_idle (a, envp, sizes[m], &idle))
            print_idle (sizes[m], &idle);
        }
      printf ("\n");
      run_qemu (MIN (runs, 10u), envp);
    }

  for (guint m = 0; m < 2; m++)
    {
      if (rss[m] != NULL)
        g_array_unref (rss[m]);
      for (guint k = 0; k < 2; k++)
        {
          g_unlink (xml[m][k]);
          g_free (xml[m][k]);
        }
    }
  return ok ? 0 : 1;
}
