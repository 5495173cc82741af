/* bench-exits — port I/O exits per second through Hull's KVM run loop
 * (processor->ops->run() of plugins/kvm with a CpuIo that does nothing)
 * against a bare KVM_RUN loop in this program, on the same guest:
 *
 *   0x1000: out 0x80, al; jmp 0x1000      (real mode)
 *
 * Each round times N exits on both paths, alternating; the medians and
 * their ratio (goal: Hull ≥ 95 % of bare) are printed as lines
 *   bench-exits path=hull|bare exits=… median_s=… exits_per_s=… rounds=…
 *   bench-exits ratio=…
 * Without a usable /dev/kvm it says so and exits 0; it never fails on
 * timing. Usage: bench-exits [EXITS [ROUNDS]] (defaults 20000 and 5).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gmodule.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hull-backend.h"
#include "hull-domain-def.h"
#include "hull-error.h"
#include "hull-guest-memory.h"
#include "hull-topology.h"
#include "null-io.h"

#define GUEST_RIP 0x1000
#define RAM_SIZE (1u << 20)

/* out 0x80, al; jmp GUEST_RIP */
static const guint8 guest[] = { 0xe6, 0x80, 0xeb, 0xfc };

/* ------------------------------------------------------------------ */
/* Hull's path */

typedef struct
{
  guint64 exits;
  guint64 limit;
  gint stop;
} Counter;

static void
io_write_port (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len)
{
  Counter *counter = data;

  if (++counter->exits == counter->limit)
    g_atomic_int_set (&counter->stop, 1);
}

/* No devices: only the port writes are counted. */
static const HullCpuIo noop_io = {
  .is_mmio = null_io_is_mmio,
  .acknowledge_pic_interrupt = null_io_acknowledge_pic_interrupt,
  .handle_eoi = null_io_handle_eoi,
  .read_mmio = null_io_read_mmio,
  .write_mmio = null_io_write_mmio,
  .read_io = null_io_read_io,
  .write_io = io_write_port,
  .fatal_error = null_io_fatal_error,
};

typedef struct
{
  GModule *module;
  HullHypervisor *hypervisor;
  HullDomainDef *def;
  HullProcessorTopology *topology;
  HullGuestMemory *memory;
  HullPartition *partition;
  HullProcessor *processor;
} HullVm;

static gboolean
hull_vm_init (HullVm *vm, GError **error)
{
  const HullMemoryRange range = { 0, RAM_SIZE };
  HullHypervisorConfig hv_config = { .device_fd = -1 };
  HullProtoPartitionConfig proto_config = { 0 };
  HullPartitionConfig config = { 0 };
  g_autofree HullProcessorBinder **binders = NULL;
  const HullBackendModule *backend;
  HullBackendModuleFunc func = NULL;
  HullProtoPartition *proto;
  HullX86Registers regs;

  vm->module = g_module_open (HULL_KVM_BACKEND_PATH, G_MODULE_BIND_LOCAL);
  if (vm->module == NULL
      || !g_module_symbol (vm->module, HULL_BACKEND_MODULE_SYMBOL, (gpointer *)&func))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_FOUND, "cannot load %s: %s",
                   HULL_KVM_BACKEND_PATH, g_module_error ());
      return FALSE;
    }
  backend = func ();
  vm->hypervisor = backend->hypervisor->open (&hv_config, error);
  if (vm->hypervisor == NULL)
    return FALSE;
  vm->def = hull_domain_def_new ();
  vm->def->name = g_strdup ("bench-exits");
  vm->topology = hull_processor_topology_new (1, 1, 1, 1, HULL_X2APIC_REQUEST_SUPPORTED, 0, error);
  vm->memory = vm->topology != NULL ? hull_guest_memory_new_for_ranges (&range, 1, error) : NULL;
  if (vm->memory == NULL)
    return FALSE;
  memcpy (hull_guest_memory_get_pointer (vm->memory, GUEST_RIP, sizeof guest), guest, sizeof guest);

  proto_config.def = vm->def;
  proto_config.topology = vm->topology;
  proto = vm->hypervisor->ops->new_proto_partition (vm->hypervisor, &proto_config, error);
  if (proto == NULL)
    return FALSE;
  config.memory = vm->memory;
  vm->partition = proto->ops->build (proto, &config, &binders, error);
  if (vm->partition == NULL)
    return FALSE;
  /* Bound on this thread, which runs it. */
  vm->processor = binders[0]->ops->bind (binders[0], error);
  if (vm->processor == NULL)
    return FALSE;

  /* From the reset state: real mode with CS at 0. */
  if (!hull_processor_get_state (vm->processor, 0, HULL_REGISTER_GROUP_REGISTERS, &regs,
                                 sizeof regs, error))
    return FALSE;
  regs.cs.base = 0;
  regs.cs.selector = 0;
  regs.rip = GUEST_RIP;
  return hull_processor_set_state (vm->processor, 0, HULL_REGISTER_GROUP_REGISTERS, &regs,
                                   sizeof regs, error);
}

static void
hull_vm_clear (HullVm *vm)
{
  if (vm->processor != NULL)
    vm->processor->ops->unbind (vm->processor);
  if (vm->partition != NULL)
    vm->partition->ops->destroy (vm->partition);
  hull_guest_memory_unref (vm->memory);
  if (vm->topology != NULL)
    hull_processor_topology_free (vm->topology);
  hull_domain_def_free (vm->def);
  if (vm->hypervisor != NULL)
    vm->hypervisor->ops->close (vm->hypervisor);
  if (vm->module != NULL)
    g_module_close (vm->module);
}

/* Seconds for @n exits through run(), or a negative value on failure. */
static double
hull_vm_time (HullVm *vm, guint64 n)
{
  Counter counter = { .limit = n };
  HullVpExitDetail detail = { 0 };
  gint64 start = g_get_monotonic_time ();
  HullVpExit exit;

  exit = vm->processor->ops->run (vm->processor, &counter.stop, &noop_io, &counter, &detail);
  if (exit != HULL_VP_EXIT_STOPPED)
    {
      fprintf (stderr, "bench-exits: run() returned %s: %s\n", hull_vp_exit_to_string (exit),
               detail.message != NULL ? detail.message : "");
      g_free (detail.message);
      return -1;
    }
  return (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
}

/* ------------------------------------------------------------------ */
/* The bare loop: the same VM set up by hand */

typedef struct
{
  int kvm, vm, vcpu;
  guint8 *memory;
  struct kvm_run *run;
  gsize run_size;
} BareVm;

static gboolean
bare_vm_init (BareVm *b, GError **error)
{
  struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
  struct kvm_userspace_memory_region region = { .memory_size = RAM_SIZE };
  struct kvm_sregs sregs;
  struct kvm_regs regs = { .rip = GUEST_RIP, .rflags = 2 };

  b->kvm = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (b->kvm < 0 || (b->vm = ioctl (b->kvm, KVM_CREATE_VM, 0)) < 0
      || ioctl (b->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0
      || ioctl (b->vm, KVM_CREATE_IRQCHIP, 0) < 0 || ioctl (b->vm, KVM_CREATE_PIT2, &pit) < 0)
    goto fail;
  b->memory = mmap (NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (b->memory == MAP_FAILED)
    goto fail;
  memcpy (b->memory + GUEST_RIP, guest, sizeof guest);
  region.userspace_addr = (guint64)(guintptr)b->memory;
  if (ioctl (b->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0
      || (b->vcpu = ioctl (b->vm, KVM_CREATE_VCPU, 0)) < 0)
    goto fail;
  b->run_size = (gsize)ioctl (b->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  b->run = mmap (NULL, b->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, b->vcpu, 0);
  if (b->run == MAP_FAILED || ioctl (b->vcpu, KVM_GET_SREGS, &sregs) < 0)
    goto fail;
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  if (ioctl (b->vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl (b->vcpu, KVM_SET_REGS, &regs) < 0)
    goto fail;
  return TRUE;

fail:
  g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_UNAVAILABLE, "bare KVM setup: %s",
               g_strerror (errno));
  return FALSE;
}

/* Seconds for @n exits of a plain KVM_RUN loop, or a negative value. */
static double
bare_vm_time (BareVm *b, guint64 n)
{
  gint64 start = g_get_monotonic_time ();

  for (guint64 i = 0; i < n; i++)
    if (ioctl (b->vcpu, KVM_RUN, 0) < 0 || b->run->exit_reason != KVM_EXIT_IO
        || b->run->io.port != 0x80)
      {
        fprintf (stderr, "bench-exits: bare KVM_RUN: unexpected exit %u\n", b->run->exit_reason);
        return -1;
      }
  return (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
}

/* ------------------------------------------------------------------ */

static int
compare (gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *samples)
{
  g_array_sort (samples, compare);
  return g_array_index (samples, double, samples->len / 2);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) hull_s = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) bare_s = g_array_new (FALSE, FALSE, sizeof (double));
  guint64 n = argc > 1 ? g_ascii_strtoull (argv[1], NULL, 10) : 20000;
  guint rounds = argc > 2 ? (guint)g_ascii_strtoull (argv[2], NULL, 10) : 5;
  HullVm vm = { 0 };
  BareVm bare = { .kvm = -1, .vm = -1, .vcpu = -1 };
  double h, b;

  if (n == 0)
    n = 20000;
  if (rounds == 0)
    rounds = 5;
  if (access ("/dev/kvm", R_OK | W_OK) != 0)
    {
      printf ("# bench-exits: /dev/kvm: %s; skipped\n", g_strerror (errno));
      return 0;
    }
  if (!hull_vm_init (&vm, &error) || !bare_vm_init (&bare, &error))
    {
      printf ("# bench-exits: %s; skipped\n", error->message);
      hull_vm_clear (&vm);
      return 0;
    }

  printf ("# port I/O exits (out 0x80 + jmp, real mode), %" G_GUINT64_FORMAT
          " exits x %u rounds, %s execution\n",
          n, rounds,
          vm.partition->ops->caps (vm.partition)->speed == HULL_EXECUTION_HARDWARE ? "hardware"
                                                                                   : "emulated");
  /* Warm-up, then alternate so that drift hits both paths alike. */
  if (hull_vm_time (&vm, n / 10 + 1) < 0 || bare_vm_time (&bare, n / 10 + 1) < 0)
    return 1;
  for (guint r = 0; r < rounds; r++)
    {
      double hs = hull_vm_time (&vm, n), bs = bare_vm_time (&bare, n);

      if (hs < 0 || bs < 0)
        return 1;
      g_array_append_val (hull_s, hs);
      g_array_append_val (bare_s, bs);
    }
  h = median (hull_s);
  b = median (bare_s);
  printf ("bench-exits path=hull exits=%" G_GUINT64_FORMAT
          " median_s=%.4f exits_per_s=%.0f rounds=%u\n",
          n, h, n / h, rounds);
  printf ("bench-exits path=bare exits=%" G_GUINT64_FORMAT
          " median_s=%.4f exits_per_s=%.0f rounds=%u\n",
          n, b, n / b, rounds);
  printf ("bench-exits ratio=%.3f\n", b / h);
  printf ("# Hull reaches %.1f %% of the bare loop's exit rate (goal: >= 95 %%); %.2f us per "
          "exit vs %.2f us\n",
          100 * b / h, 1e6 * h / n, 1e6 * b / n);
  printf ("# qemu: no in-process equivalent to time side by side\n");

  munmap (bare.run, bare.run_size);
  close (bare.vcpu);
  munmap (bare.memory, RAM_SIZE);
  close (bare.vm);
  close (bare.kvm);
  hull_vm_clear (&vm);
  return 0;
}
