/* Debian's kernel booted through daemon/hull-vm on the kvm backend
 * (docs/linux-boot.md). The kernel and busybox come from
 * scripts/fetch-test-kernel, in $HULL_TEST_DATA or HULL_TEST_DATA_DIR; a
 * test skips, saying why, when they are missing or /dev/kvm cannot be
 * opened.
 *
 * /hull/linux-boot/early          the ELF vmlinux: banner, command line and
 *                                 e820 map on the early serial console
 * /hull/linux-boot/bzimage-early  the same with the bzImage (hardware speed)
 * /hull/linux-boot/full           the bzImage and a busybox initramfs, to
 *                                 /init and a reset (hardware speed)
 *
 * hull-vm's standard output is read as it arrives; once everything expected
 * has been seen, hull-vm gets SIGTERM (exit status 130). It never outlives
 * the test: SIGKILL at the deadline, --timeout as a backstop, and
 * PR_SET_PDEATHSIG in case the test itself dies. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hull-domain-def.h"
#include "hull-memory-layout.h"

/* earlyprintk=serial registers the early console in setup_arch(), which
 * replays the log buffer: the banner, the "Command line:" echo and the e820
 * map are already in it. Without it nothing reaches the UART before
 * console_init(), long after "Memory:". panic=-1 and reboot=k end a failing
 * or finished guest with a reset through the i8042. */
#define EARLY_CMDLINE "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1 reboot=k"
/* The decompressor's KASLR would move the kernel around; not used for the
 * vmlinux, whose kernel proper does not know the option. */
#define BZIMAGE_CMDLINE EARLY_CMDLINE " nokaslr"

#define MEMORY_MIB 256
#define DEADLINE_S 120   /* from the spawn to the last expected line */
#define STOP_GRACE_S 20  /* from SIGTERM to the exit, then SIGKILL */
#define BACKSTOP_S "150" /* hull-vm's own --timeout */
#define MARKER "HULL-INIT-OK"

#define EXIT_RESET 10
#define EXIT_INTERRUPTED 130

/* ---- the test data ------------------------------------------------------- */

static char *
data_file (const char *name)
{
  const char *dir = g_getenv ("HULL_TEST_DATA");
  char *path
      = g_build_filename (dir != NULL && *dir != '\0' ? dir : HULL_TEST_DATA_DIR, name, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip_printf ("%s is missing: run scripts/fetch-test-kernel (docs/linux-boot.md)",
                          path);
      g_free (path);
      return NULL;
    }
  return path;
}

static gboolean
kvm_usable (void)
{
  int fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);

  if (fd < 0)
    {
      g_test_skip_printf ("cannot open /dev/kvm: %s", g_strerror (errno));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static char *
write_temp (const char *template, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp (template, &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
write_domain (const char *kernel, const char *initrd, const char *cmdline)
{
  g_autofree char *kernel_xml = g_markup_printf_escaped ("<kernel>%s</kernel>", kernel);
  g_autofree char *initrd_xml
      = initrd != NULL ? g_markup_printf_escaped ("<initrd>%s</initrd>", initrd) : g_strdup ("");
  g_autofree char *cmdline_xml = g_markup_printf_escaped ("<cmdline>%s</cmdline>", cmdline);
  g_autofree char *xml = g_strdup_printf ("<domain type='kvm'>\n"
                                          "  <name>linux</name>\n"
                                          "  <memory unit='MiB'>%u</memory><vcpu>1</vcpu>\n"
                                          "  <os>%s%s%s</os>\n"
                                          "  <devices><serial type='pty'/></devices>\n"
                                          "</domain>\n",
                                          MEMORY_MIB, kernel_xml, initrd_xml, cmdline_xml);

  return write_temp ("hull-linux-XXXXXX.xml", xml, strlen (xml));
}

/* ---- the e820 map Hull builds (docs/x86-boot.md) -------------------------- */

#define E820_EBDA 0x9fc00
#define E820_HIGH 0x100000

typedef struct
{
  guint64 start, end;
  const char *type;
} E820Entry;

static void
e820_add (GArray *map, guint64 start, guint64 end, const char *type)
{
  E820Entry *last = map->len > 0 ? &g_array_index (map, E820Entry, map->len - 1) : NULL;

  if (start >= end)
    return;
  if (last != NULL && last->end == start && strcmp (last->type, type) == 0)
    last->end = end;
  else
    g_array_append_val (map, ((E820Entry){ start, end, type }));
}

/* The lines Linux prints after "BIOS-e820: " for the domain in @xml_path:
 * RAM below 0x9fc00 usable, [0x9fc00, 1 MiB) reserved, RAM from 1 MiB on
 * usable; ranges inclusive, as the kernel prints them. */
static GPtrArray *
expected_e820 (const char *xml_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def
      = hull_domain_def_parse_file (xml_path, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_autoptr (HullMemoryLayout) layout = NULL;
  g_autoptr (GArray) map = g_array_new (FALSE, FALSE, sizeof (E820Entry));
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  const HullMemoryRange *ram;
  guint n_ram;

  g_assert_no_error (error);
  layout = hull_domain_def_build_memory_layout (def, &error);
  g_assert_no_error (error);
  ram = hull_memory_layout_get_ram (layout, &n_ram);
  for (guint i = 0; i < n_ram; i++)
    {
      e820_add (map, ram[i].start, MIN (ram[i].end, E820_EBDA), "usable");
      e820_add (map, MAX (ram[i].start, E820_EBDA), MIN (ram[i].end, E820_HIGH), "reserved");
      e820_add (map, MAX (ram[i].start, E820_HIGH), ram[i].end, "usable");
    }
  for (guint i = 0; i < map->len; i++)
    {
      const E820Entry *e = &g_array_index (map, E820Entry, i);

      /* Linux's %#018Lx: "0x" and 16 digits, also for 0. */
      g_ptr_array_add (lines, g_strdup_printf ("[mem 0x%016" G_GINT64_MODIFIER
                                               "x-0x%016" G_GINT64_MODIFIER "x] %s",
                                               e->start, e->end - 1, e->type));
    }
  return lines;
}

/* ---- a busybox initramfs (cpio "newc") ------------------------------------ */

static void
cpio_pad (GByteArray *a)
{
  static const guint8 zeros[4] = { 0 };

  g_byte_array_append (a, zeros, (4 - a->len % 4) % 4);
}

static void
cpio_add (GByteArray *a, guint32 ino, const char *name, guint32 mode, guint32 rdev_major,
          guint32 rdev_minor, const void *data, gsize size)
{
  char header[6 + 13 * 8 + 1];

  g_assert_cmpuint (size, <=, G_MAXUINT32);
  /* magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
   * rdevmajor, rdevminor, namesize (with the NUL), check */
  g_snprintf (header, sizeof header, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
              ino, mode, 0u, 0u, S_ISDIR (mode) ? 2u : 1u, 0u, (guint32)size, 0u, 0u, rdev_major,
              rdev_minor, (guint32)strlen (name) + 1, 0u);
  g_byte_array_append (a, (const guint8 *)header, sizeof header - 1);
  g_byte_array_append (a, (const guint8 *)name, strlen (name) + 1);
  cpio_pad (a);
  if (size > 0)
    g_byte_array_append (a, data, size);
  cpio_pad (a);
}

/* /init mounts /proc, prints the marker on the console and reboots: the
 * kernel resets through the i8042 (reboot=k), hull-vm exits with 10. */
static char *
write_initramfs (const char *busybox_path)
{
  static const char init[] = "#!/bin/busybox sh\n"
                             "/bin/busybox mount -t proc proc /proc\n"
                             "echo " MARKER " > /dev/console\n"
                             "/bin/busybox reboot -f\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) a = g_byte_array_new ();
  g_autofree char *busybox = NULL;
  gsize busybox_len = 0;
  guint32 ino = 1;

  g_file_get_contents (busybox_path, &busybox, &busybox_len, &error);
  g_assert_no_error (error);
  cpio_add (a, ino++, "bin", S_IFDIR | 0755, 0, 0, NULL, 0);
  cpio_add (a, ino++, "bin/busybox", S_IFREG | 0755, 0, 0, busybox, busybox_len);
  cpio_add (a, ino++, "dev", S_IFDIR | 0755, 0, 0, NULL, 0);
  cpio_add (a, ino++, "dev/console", S_IFCHR | 0600, 5, 1, NULL, 0);
  cpio_add (a, ino++, "proc", S_IFDIR | 0755, 0, 0, NULL, 0);
  cpio_add (a, ino++, "init", S_IFREG | 0755, 0, 0, init, strlen (init));
  cpio_add (a, 0, "TRAILER!!!", 0, 0, 0, NULL, 0);
  return write_temp ("hull-linux-XXXXXX.cpio", a->data, a->len);
}

/* ---- running hull-vm ----------------------------------------------------- */

typedef struct
{
  GPid pid;
  gboolean exited;
  int status; /* the exit status, or -1: killed by a signal */
  int fds[2]; /* stdout, stderr; -1 once at EOF */
  gint64 start;
  GString *out;
  GString *err;
  GString *line; /* the stdout line being received */
  gint64 line_start;

  /* What has been seen (times in µs since the spawn, -1: not yet). */
  char *speed; /* "emulated", "hardware speed", … */
  gint64 banner_us;
  char *banner;
  char *cmdline;
  GPtrArray *e820;
  gint64 e820_us;
  gboolean e820_done; /* a line after the e820 lines */
  gint64 marker_us;
} Vm;

static void
vm_clear (Vm *vm)
{
  g_assert_true (vm->pid == 0 || vm->exited);
  for (guint i = 0; i < G_N_ELEMENTS (vm->fds); i++)
    if (vm->fds[i] >= 0)
      close (vm->fds[i]);
  if (vm->out != NULL)
    g_string_free (vm->out, TRUE);
  if (vm->err != NULL)
    g_string_free (vm->err, TRUE);
  if (vm->line != NULL)
    g_string_free (vm->line, TRUE);
  g_free (vm->speed);
  g_free (vm->banner);
  g_free (vm->cmdline);
  g_clear_pointer (&vm->e820, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Vm, vm_clear)

static void
child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
vm_spawn (Vm *vm, const char *xml_path)
{
  g_autofree char *tool = g_test_build_filename (G_TEST_BUILT, "..", "daemon", "hull-vm", NULL);
  const char *argv[] = { tool,        "--xml",    xml_path, "--backend-dir", HULL_KVM_BACKEND_DIR,
                         "--timeout", BACKSTOP_S, NULL };
  g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "LC_ALL", "C.UTF-8", TRUE);
  g_autoptr (GError) error = NULL;

  envp = g_environ_unsetenv (envp, "LANGUAGE");
  *vm = (Vm){ .fds = { -1, -1 }, .status = -1, .banner_us = -1, .e820_us = -1, .marker_us = -1 };
  vm->out = g_string_new (NULL);
  vm->err = g_string_new (NULL);
  vm->line = g_string_new (NULL);
  vm->e820 = g_ptr_array_new_with_free_func (g_free);
  vm->start = g_get_monotonic_time ();
  g_spawn_async_with_pipes (NULL, (char **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
                            &vm->pid, NULL, &vm->fds[0], &vm->fds[1], &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (vm->fds); i++)
    g_assert_cmpint (fcntl (vm->fds[i], F_SETFL, O_NONBLOCK), ==, 0);
}

static double
seconds (gint64 us)
{
  return us / (double)G_USEC_PER_SEC;
}

/* One whole stdout line, without the "\r\n" of the 8250 console. */
static void
vm_line (Vm *vm, char *line, gint64 at)
{
  const char *text = line;
  gsize len = strlen (line);
  const char *rest;

  while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
    line[--len] = '\0';
  /* printk's "[    0.000000] " time stamp */
  if (text[0] == '[' && (rest = strstr (text, "] ")) != NULL)
    text = rest + 2;

  if (vm->speed == NULL && g_str_has_prefix (text, "hull-vm: domain ")
      && (rest = strstr (text, " runs on backend ")) != NULL && (rest = strchr (rest, '(')) != NULL)
    vm->speed = g_strndup (rest + 1, strcspn (rest + 1, ")"));
  if (vm->banner_us < 0 && g_str_has_prefix (text, "Linux version "))
    {
      vm->banner_us = at;
      vm->banner = g_strdup (text);
    }
  if (vm->cmdline == NULL && g_str_has_prefix (text, "Command line: "))
    vm->cmdline = g_strdup (text + strlen ("Command line: "));
  if (!vm->e820_done && g_str_has_prefix (text, "BIOS-e820: "))
    {
      g_ptr_array_add (vm->e820, g_strdup (text + strlen ("BIOS-e820: ")));
      vm->e820_us = at;
    }
  else if (vm->e820->len > 0)
    vm->e820_done = TRUE;
  if (vm->marker_us < 0 && strstr (text, MARKER) != NULL)
    vm->marker_us = at;
}

static void
vm_stdout (Vm *vm, const char *data, gsize len, gint64 now)
{
  while (len > 0)
    {
      const char *nl = memchr (data, '\n', len);
      gsize n = nl != NULL ? (gsize)(nl - data) + 1 : len;

      if (vm->line->len == 0)
        vm->line_start = now - vm->start;
      g_string_append_len (vm->line, data, n);
      if (nl != NULL)
        {
          vm_line (vm, vm->line->str, vm->line_start);
          g_string_truncate (vm->line, 0);
        }
      data += n;
      len -= n;
    }
}

typedef gboolean (*VmDoneFunc) (const Vm *vm);

/* Reads hull-vm's output until @done says so (TRUE), both pipes are at EOF
 * or @deadline (monotonic µs) passes (FALSE). */
static gboolean
vm_read (Vm *vm, VmDoneFunc done, gint64 deadline)
{
  while (done == NULL || !done (vm))
    {
      struct pollfd pfds[2];
      nfds_t n = 0;
      gint64 now = g_get_monotonic_time ();
      int r;

      for (guint i = 0; i < G_N_ELEMENTS (vm->fds); i++)
        if (vm->fds[i] >= 0)
          pfds[n++] = (struct pollfd){ .fd = vm->fds[i], .events = POLLIN };
      if (n == 0 || now >= deadline)
        return FALSE;
      r = poll (pfds, n, (int)MIN ((deadline - now + 999) / 1000, 1000));
      if (r < 0 && errno != EINTR)
        g_error ("poll: %s", g_strerror (errno));
      for (nfds_t j = 0; r > 0 && j < n; j++)
        if (pfds[j].revents != 0)
          {
            char buf[4096];
            ssize_t got = read (pfds[j].fd, buf, sizeof buf);
            int which = pfds[j].fd == vm->fds[0] ? 0 : 1;

            if (got < 0 && (errno == EAGAIN || errno == EINTR))
              continue;
            if (got <= 0)
              {
                close (vm->fds[which]);
                vm->fds[which] = -1;
                continue;
              }
            if (which == 0)
              {
                g_string_append_len (vm->out, buf, got);
                vm_stdout (vm, buf, got, g_get_monotonic_time ());
              }
            else
              g_string_append_len (vm->err, buf, got);
          }
    }
  return TRUE;
}

static void
vm_reap (Vm *vm)
{
  int wait_status;

  while (waitpid (vm->pid, &wait_status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  vm->exited = TRUE;
  vm->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  g_spawn_close_pid (vm->pid);
}

/* Stops hull-vm (SIGTERM, SIGKILL if it has not ended STOP_GRACE_S later,
 * or at once with @kill), drains its output and reaps it. */
static void
vm_stop (Vm *vm, gboolean kill_it)
{
  if (vm->exited)
    return;
  kill (vm->pid, kill_it ? SIGKILL : SIGTERM);
  if (!vm_read (vm, NULL, g_get_monotonic_time () + STOP_GRACE_S * G_USEC_PER_SEC) && !kill_it
      && (vm->fds[0] >= 0 || vm->fds[1] >= 0))
    {
      g_test_message ("hull-vm did not end %d s after SIGTERM: SIGKILL", STOP_GRACE_S);
      kill (vm->pid, SIGKILL);
    }
  vm_reap (vm);
}

/* Waits for @done (or the end of hull-vm's output) until the deadline; at
 * the deadline hull-vm is killed and the test fails with what it printed. */
static void
vm_wait (Vm *vm, VmDoneFunc done, const char *what)
{
  if (vm_read (vm, done, vm->start + DEADLINE_S * G_USEC_PER_SEC))
    return;
  if (vm->fds[0] < 0 && vm->fds[1] < 0)
    {
      vm_reap (vm);
      if (done == NULL)
        return;
      g_test_message ("hull-vm exited with %d before %s:\n%s%s", vm->status, what, vm->out->str,
                      vm->err->str);
    }
  else
    {
      vm_stop (vm, TRUE);
      g_test_message ("no %s within %d s: hull-vm killed; its output:\n%s%s", what, DEADLINE_S,
                      vm->out->str, vm->err->str);
    }
  g_test_fail_printf ("no %s", what);
}

static gboolean
done_speed (const Vm *vm)
{
  return vm->speed != NULL;
}

static gboolean
done_early (const Vm *vm)
{
  return vm->banner_us >= 0 && vm->cmdline != NULL && vm->e820_done;
}

/* Starts hull-vm and returns TRUE if the backend runs guest code at
 * hardware speed; otherwise stops it, skips with @why and returns FALSE. */
static gboolean
vm_spawn_at_hardware_speed (Vm *vm, const char *xml_path, const char *why)
{
  vm_spawn (vm, xml_path);
  vm_wait (vm, done_speed, "\"runs on backend\" line");
  if (vm->speed != NULL && strcmp (vm->speed, "hardware speed") == 0)
    return TRUE;
  vm_stop (vm, FALSE);
  if (vm->speed != NULL)
    g_test_skip_printf ("the kvm backend runs guest code %s here: %s", vm->speed, why);
  return FALSE;
}

/* ---- the tests ------------------------------------------------------------ */

static void
check_early (const char *kernel_name, const char *cmdline, gboolean only_at_hardware_speed)
{
  g_autofree char *kernel = NULL;
  g_autofree char *xml = NULL;
  g_autoptr (GPtrArray) expected = NULL;
  g_auto (Vm) vm = { 0 };
  g_autofree char *expected_text = NULL;
  g_autofree char *seen_text = NULL;

  if (!kvm_usable () || (kernel = data_file (kernel_name)) == NULL)
    return;
  xml = write_domain (kernel, NULL, cmdline);
  expected = expected_e820 (xml);
  if (only_at_hardware_speed)
    {
      if (!vm_spawn_at_hardware_speed (
              &vm, xml,
              "the bzImage's decompressor alone takes about a minute (HULL_TEST_LINUX_SLOW=1 runs "
              "it anyway)"))
        {
          g_unlink (xml);
          return;
        }
    }
  else
    vm_spawn (&vm, xml);
  vm_wait (&vm, done_early, "banner, command line and e820 map");
  vm_stop (&vm, FALSE);
  g_unlink (xml);
  if (g_test_failed ())
    return;

  g_test_message ("%s on backend 'kvm' (%s): first banner byte after %.2f s, last e820 line "
                  "after %.2f s",
                  kernel_name, vm.speed != NULL ? vm.speed : "?", seconds (vm.banner_us),
                  seconds (vm.e820_us));
  g_test_message ("%s", vm.banner);
  g_assert_cmpstr (vm.cmdline, ==, cmdline);
  g_ptr_array_add (expected, NULL);
  g_ptr_array_add (vm.e820, NULL);
  expected_text = g_strjoinv ("\n", (char **)expected->pdata);
  seen_text = g_strjoinv ("\n", (char **)vm.e820->pdata);
  g_assert_cmpstr (seen_text, ==, expected_text);
  if (vm.status != EXIT_INTERRUPTED)
    g_error ("hull-vm exited with %d after SIGTERM, not %d:\n%s", vm.status, EXIT_INTERRUPTED,
             vm.err->str);
}

/* The ELF vmlinux: the kernel proper from its first instruction. */
static void
test_early (void)
{
  check_early ("vmlinux", EARLY_CMDLINE, FALSE);
}

/* The bzImage: its decompressor first (LZ4 for the cloud kernel), about a
 * minute under emulation here, so only at hardware speed. */
static void
test_bzimage_early (void)
{
  check_early ("vmlinuz", BZIMAGE_CMDLINE, g_getenv ("HULL_TEST_LINUX_SLOW") == NULL);
}

static void
test_full (void)
{
  g_autofree char *kernel = NULL;
  g_autofree char *busybox = NULL;
  g_autofree char *initrd = NULL;
  g_autofree char *xml = NULL;
  g_auto (Vm) vm = { 0 };

  if (!kvm_usable () || (kernel = data_file ("vmlinuz")) == NULL
      || (busybox = data_file ("busybox")) == NULL)
    return;
  initrd = write_initramfs (busybox);
  xml = write_domain (kernel, initrd, BZIMAGE_CMDLINE);
  if (vm_spawn_at_hardware_speed (&vm, xml,
                                  "a full Linux boot cannot finish there (PVM cannot deliver the "
                                  "int3 of the kernel's early self-test; docs/linux-boot.md)"))
    {
      vm_wait (&vm, NULL, "end of the boot");
      vm_stop (&vm, TRUE);
    }
  g_unlink (xml);
  g_unlink (initrd);
  if (vm.speed == NULL || strcmp (vm.speed, "hardware speed") != 0 || g_test_failed ())
    return;

  g_test_message ("full boot: banner after %.2f s, " MARKER " after %.2f s, status %d",
                  seconds (vm.banner_us), seconds (vm.marker_us), vm.status);
  if (vm.marker_us < 0 || vm.status != EXIT_RESET)
    g_error ("expected \"" MARKER "\" and a reset (status %d), got status %d:\n%s%s", EXIT_RESET,
             vm.status, vm.out->str, vm.err->str);
  g_assert_nonnull (strstr (vm.out->str, "halted: reset"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/linux-boot/early", test_early);
  g_test_add_func ("/hull/linux-boot/bzimage-early", test_bzimage_early);
  g_test_add_func ("/hull/linux-boot/full", test_full);
  return g_test_run ();
}
