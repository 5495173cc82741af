/* A whole machine (daemon/hull-machine.c: KVM backend, loader, devices,
 * partition unit) running the bundled guests: pause and resume of a running
 * guest, reboot and re-run, and how fast a spinning guest answers. Skipped
 * (77) only where /dev/kvm cannot be opened. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hull-machine.h"
#include "hull-sync.h"

#define WAIT (30 * G_USEC_PER_SEC)
#define COUNTER_ADDRESS 0x200000 /* tests/guests/exits.S, exit=count */

typedef struct
{
  HullDomainDef *def;
  HullBackendLoader *loader;
  HullMachine *machine;
  HullMutex mutex; /* guards output: the console runs on VP threads */
  GString *output;
  guint halts;
  HullHaltKind last_halt;
} Fixture;

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

static void
on_console (HullMachine *machine, guint port, const guint8 *bytes, gsize len, gpointer data)
{
  Fixture *f = data;

  hull_mutex_lock (&f->mutex);
  g_string_append_len (f->output, (const char *)bytes, len);
  hull_mutex_unlock (&f->mutex);
}

static void
on_halt (HullMachine *machine, const HullHaltReason *reason, gpointer data)
{
  Fixture *f = data;

  f->halts++;
  f->last_halt = reason->kind;
}

static gboolean
fixture_init (Fixture *f, const char *guest, const char *cmdline)
{
  g_autofree char *kernel = g_build_filename (HULL_GUESTS_DIR, guest, NULL);
  g_autofree char *xml = NULL;
  g_autoptr (GError) error = NULL;

  if (!kvm_usable ())
    return FALSE;
  xml = g_markup_printf_escaped ("<domain type='kvm'><name>%s</name>"
                                 "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                                 "<os><kernel>%s</kernel><cmdline>%s</cmdline></os>"
                                 "<devices><serial type='pty'/></devices></domain>",
                                 guest, kernel, cmdline);
  f->def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_no_error (error);
  f->loader = hull_backend_loader_new (HULL_KVM_BACKEND_DIR);
  g_assert_true (hull_backend_loader_load (f->loader, &error));
  f->machine = hull_machine_new (f->def, f->loader, NULL, -1, NULL, &error);
  g_assert_no_error (error);
  hull_mutex_init (&f->mutex);
  f->output = g_string_new (NULL);
  hull_machine_set_console_func (f->machine, on_console, f);
  hull_machine_set_halt_func (f->machine, on_halt, f);
  return TRUE;
}

static void
fixture_clear (Fixture *f)
{
  g_clear_pointer (&f->machine, hull_machine_free);
  g_clear_pointer (&f->loader, hull_backend_loader_unref);
  g_clear_pointer (&f->def, hull_domain_def_free);
  if (f->output != NULL)
    {
      g_string_free (f->output, TRUE);
      hull_mutex_clear (&f->mutex);
    }
}

static guint64
read_counter (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  guint64 value = 0;

  g_assert_true (hull_guest_memory_read (hull_machine_get_memory (f->machine), COUNTER_ADDRESS,
                                         &value, sizeof value, &error));
  return value;
}

/* Waits until the guest's counter passes @above. */
static guint64
wait_counter_above (Fixture *f, guint64 above)
{
  gint64 deadline = g_get_monotonic_time () + WAIT;
  guint64 value;

  while ((value = read_counter (f)) <= above)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
  return value;
}

static void
wait_halts (Fixture *f, guint halts)
{
  gint64 deadline = g_get_monotonic_time () + WAIT;

  while (f->halts < halts)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static guint
count_occurrences (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* A running guest stops counting while paused and resumes where it was. */
static void
test_pause_resume (void)
{
  Fixture f = { 0 };
  HullStopGuard *guard;
  guint64 paused, later;

  if (!fixture_init (&f, "exits", "exit=count"))
    return;
  hull_machine_start (f.machine);
  wait_counter_above (&f, 0);

  guard = hull_partition_unit_stop_vps (hull_machine_get_unit (f.machine));
  paused = read_counter (&f);
  g_usleep (100 * 1000);
  later = read_counter (&f);
  g_assert_cmpuint (later, ==, paused);

  hull_stop_guard_release (guard);
  later = wait_counter_above (&f, paused);
  g_test_message ("counter %" G_GUINT64_FORMAT " when paused, then %" G_GUINT64_FORMAT, paused,
                  later);
  g_assert_cmpuint (f.halts, ==, 0);
  fixture_clear (&f);
}

/* After a power-off, a reboot resets everything, reloads the kernel and the
 * guest runs from its entry again. */
static void
test_reboot_reruns (void)
{
  Fixture f = { 0 };
  g_autoptr (GError) error = NULL;

  if (!fixture_init (&f, "hello", ""))
    return;
  hull_machine_start (f.machine);
  wait_halts (&f, 1);
  g_assert_cmpint (f.last_halt, ==, HULL_HALT_POWER_OFF);

  g_assert_true (hull_machine_reboot (f.machine, &error));
  g_assert_no_error (error);
  wait_halts (&f, 2);
  g_assert_cmpint (f.last_halt, ==, HULL_HALT_POWER_OFF);
  hull_mutex_lock (&f.mutex);
  g_assert_cmpuint (count_occurrences (f.output->str, "Hello from a Hull guest\n"), ==, 2);
  hull_mutex_unlock (&f.mutex);
  g_assert_cmpint (hull_machine_get_boot_time (f.machine), >=, 0);
  fixture_clear (&f);
}

static int
compare_times (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* Inspecting a VP that spins in the guest kicks it out of KVM_RUN, answers
 * on its thread and lets it run on: every round trip completes. */
static void
test_inspect_spinning_guest (void)
{
  Fixture f = { 0 };
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));

  if (!fixture_init (&f, "exits", "exit=count"))
    return;
  hull_machine_start (f.machine);
  wait_counter_above (&f, 0);
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) tree = NULL;
      gint64 start = g_get_monotonic_time (), elapsed;
      g_autofree char *runner = NULL;

      tree = hull_machine_inspect (f.machine, "unit/vp/0", 0, WAIT, &error);
      g_assert_no_error (error);
      elapsed = g_get_monotonic_time () - start;
      g_array_append_val (times, elapsed);
      g_assert_true (g_variant_lookup (tree, "runner", "s", &runner));
      g_assert_cmpstr (runner, ==, "running");
    }
  g_array_sort (times, compare_times);
  g_test_message ("inspect round trip of a spinning VP: median %" G_GINT64_FORMAT
                  " us, max %" G_GINT64_FORMAT " us",
                  g_array_index (times, gint64, times->len / 2),
                  g_array_index (times, gint64, times->len - 1));
  /* Still running and counting afterwards. */
  wait_counter_above (&f, read_counter (&f));
  fixture_clear (&f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hull/kvm-machine/pause-resume", test_pause_resume);
  g_test_add_func ("/hull/kvm-machine/reboot-reruns", test_reboot_reruns);
  g_test_add_func ("/hull/kvm-machine/inspect-spinning-guest", test_inspect_spinning_guest);
  return g_test_run ();
}
