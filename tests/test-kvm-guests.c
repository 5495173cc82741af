/* The bundled guests (tests/guests) booted through hull-vm on the KVM
 * backend: the loader, the devices and the backend together. Skipped (77)
 * only where /dev/kvm cannot be opened. */
#include "config.h"

#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct
{
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* A domain booting @kernel (a guest's name in tests/guests, or a path). */
static char *
write_domain (const char *name, const char *kernel_file, guint vcpus, const char *cmdline)
{
  g_autofree char *kernel = g_path_is_absolute (kernel_file)
                                ? g_strdup (kernel_file)
                                : g_build_filename (HULL_GUESTS_DIR, kernel_file, NULL);
  g_autofree char *cmdline_xml = cmdline != NULL
                                     ? g_markup_printf_escaped ("<cmdline>%s</cmdline>", cmdline)
                                     : g_strdup ("");
  g_autofree char *xml
      = g_strdup_printf ("<domain type='kvm'>\n"
                         "  <name>%s</name><memory unit='MiB'>64</memory><vcpu>%u</vcpu>\n"
                         "  <os><kernel>%s</kernel>%s</os>\n"
                         "  <devices><serial type='pty'/></devices>\n"
                         "</domain>\n",
                         name, vcpus, kernel, cmdline_xml);
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("hull-kvm-XXXXXX.xml", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, xml, -1, &error);
  g_assert_no_error (error);
  return path;
}

/* Runs hull-vm on @xml_path; with @inspect, it prints the inspect tree under
   that path as JSON after the halt. */
static void
hull_vm (Run *run, const char *xml_path, const char *timeout, const char *inspect)
{
  g_autofree char *tool = g_test_build_filename (G_TEST_BUILT, "..", "daemon", "hull-vm", NULL);
  const char *argv[] = { tool,
                         "--xml",
                         xml_path,
                         "--backend-dir",
                         HULL_KVM_BACKEND_DIR,
                         "--timeout",
                         timeout,
                         inspect != NULL ? "--inspect" : NULL,
                         inspect, /* optional */
                         NULL };
  g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "LC_ALL", "C.UTF-8", TRUE);
  g_autoptr (GError) error = NULL;
  int wait_status;

  envp = g_environ_unsetenv (envp, "LANGUAGE");
  g_spawn_sync (NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &run->out, &run->err,
                &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  run->status = WEXITSTATUS (wait_status);
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

typedef struct
{
  const char *name;
  const char *guest;
  guint vcpus;
  const char *cmdline;
  int status;
  const char *out[4];
  const char *inspect; /* an inspect path, or NULL */
  const char *counter; /* a counter under it that must reach min_count */
  guint64 min_count;
} GuestCase;

/* What hello prints for a 64 MiB domain: Hull's e820 map, inclusive ends. */
#define HELLO_E820                                                                                 \
  "e820: 0x0000000000000000-0x000000000009fbff usable\n"                                           \
  "e820: 0x000000000009fc00-0x00000000000fffff reserved\n"                                         \
  "e820: 0x0000000000100000-0x0000000003ffffff usable\n"

static const GuestCase cases[] = {
  { "hello",
    "hello",
    1,
    "console=ttyS0 hello=1",
    0,
    { "Hello from a Hull guest\ncmdline: console=ttyS0 hello=1\n" HELLO_E820,
      "wrote the boot timer", "halted: power-off" } },
  { "hello/reboot",
    "hello",
    1,
    "reboot",
    10,
    { "Hello from a Hull guest\ncmdline: reboot\n" HELLO_E820, "wrote the boot timer",
      "halted: reset" } },
  { "exits/poweroff", "exits", 1, "exit=poweroff", 0, { "halted: power-off" } },
  { "exits/reset", "exits", 1, "exit=reset", 10, { "halted: reset" } },
  { "exits/triple-fault", "exits", 1, "exit=triple-fault", 12, { "halted: triple-fault (VP 0)" } },
  { "exits/io", "exits", 1, "exit=io", 0, { "AB", "halted: power-off" } },
  { "exits/mmio", "exits", 1, "exit=mmio", 0, { "halted: power-off" } },
  { "exits/storm",
    "exits",
    1,
    "exit=storm",
    0,
    { "halted: power-off" },
    "devices/debug-port",
    "post-writes",
    10000 },
  { "exits/unknown", "exits", 1, "exit=nope", 0, { "exits: unknown exit", "halted: power-off" } },
  { "smp/2", "smp", 2, "cpus=2", 0, { "smp: 2 CPUs up", "halted: power-off" } },
  { "smp/4", "smp", 4, "cpus=4", 0, { "smp: 4 CPUs up", "halted: power-off" } },
};

/* The counter @name in the JSON object that ends @out (hull-vm --inspect
   prints it last, after the halt line). */
static guint64
inspect_counter (const char *out, const char *name)
{
  g_autofree char *key = g_strdup_printf ("\"%s\" : ", name);
  const char *json = strrchr (out, '{');
  const char *field;
  char *end = NULL;
  guint64 value;

  if (json == NULL || (field = strstr (json, key)) == NULL)
    g_error ("no \"%s\" in the inspect output:\n%s", name, out);
  value = g_ascii_strtoull (field + strlen (key), &end, 10);
  g_assert_true (end != field + strlen (key));
  return value;
}

static void
test_guest (gconstpointer data)
{
  const GuestCase *c = data;
  g_autofree char *path = NULL;
  g_auto (Run) run = { 0 };

  if (!kvm_usable ())
    return;
  path = write_domain (c->guest, c->guest, c->vcpus, c->cmdline);
  hull_vm (&run, path, "120", c->inspect);
  g_test_message ("%s: status %d\n%s%s", c->name, run.status, run.out, run.err);
  g_assert_cmpint (run.status, ==, c->status);
  for (guint i = 0; i < G_N_ELEMENTS (c->out) && c->out[i] != NULL; i++)
    if (strstr (run.out, c->out[i]) == NULL)
      g_error ("%s: output lacks \"%s\":\n%s", c->name, c->out[i], run.out);
  if (c->counter != NULL)
    g_assert_cmpuint (inspect_counter (run.out, c->counter), >=, c->min_count);
  g_unlink (path);
}

/* A guest that halts with interrupts off idles; the deadline stops it. */
static void
test_idle_guest_times_out (void)
{
  g_autofree char *path = NULL;
  g_auto (Run) run = { 0 };

  if (!kvm_usable ())
    return;
  path = write_domain ("exits", "exits", 1, "exit=halt");
  hull_vm (&run, path, "2", NULL);
  g_assert_cmpint (run.status, ==, 124);
  g_unlink (path);
}

/* A kernel file that is not a kernel is refused before anything runs. */
static void
test_not_a_kernel (void)
{
  g_autofree char *source = g_test_build_filename (G_TEST_DIST, "test-kvm-guests.c", NULL);
  g_autofree char *xml = NULL;
  g_auto (Run) run = { 0 };

  if (!kvm_usable ())
    return;
  xml = write_domain ("not-a-kernel", source, 1, NULL);
  hull_vm (&run, xml, "10", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "not an ELF vmlinux or a bzImage"));
  g_unlink (xml);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strconcat ("/hull/kvm-guests/", cases[i].name, NULL);

      g_test_add_data_func (name, &cases[i], test_guest);
    }
  g_test_add_func ("/hull/kvm-guests/idle-guest-times-out", test_idle_guest_times_out);
  g_test_add_func ("/hull/kvm-guests/not-a-kernel-refused", test_not_a_kernel);
  return g_test_run ();
}
