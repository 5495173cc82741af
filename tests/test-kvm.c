/* The KVM backend (plugins/kvm), driven through the backend ABI directly.
 *
 * The plugin is loaded with g_module_open() from the build tree. Guests are
 * machine code in byte arrays below (assembled from the listing next to
 * each), placed in a HullGuestMemory and started in 64-bit mode the way
 * Hull's loader starts a kernel (docs/x86-boot.md): GDT at 0x500 (code 0x10,
 * data 0x18), identity-mapped 4 GiB at CR3 = 0x9000, IDT limit 0 (so any
 * exception ends in a triple fault). Each VP is bound and run on its own
 * thread, which takes jobs from the test, since processor ops may only run
 * on the bound thread. A small CpuIo records every access; a write to port
 * 0x81 sets the writer's stop flag, which is how most guests end. That
 * harness is kvm-harness.[ch].
 *
 * KVM on the project's machines is emulated (~1–4 µs per guest instruction,
 * ~10 µs per exit): guests are a few dozen instructions. Without a usable
 * /dev/kvm every case is skipped. Timing bounds are generous on purpose.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gmodule.h>
#include <string.h>
#include <unistd.h>

#include "hull-error.h"
#include "kvm-harness.h"

#define CODE 0x100000u /* guests start here */
#define MMIO_BASE 0xd0000000u

/* Set once by main(): why every case skips, or NULL. */
static const char *skip_reason;

/* ------------------------------------------------------------------ */
/* Guests (64-bit unless said otherwise) */

/* mov al,0x11; out 0x80,al; mov ax,0x2233; mov dx,0x84; out dx,ax;
 * mov eax,0x44556677; out dx,eax; in al,0x71; mov bl,al; mov dx,0x72;
 * in ax,dx; mov r9w,ax; mov dx,0x74; in eax,dx; mov r8d,eax;
 * lea rsi,[msg]; mov ecx,5; mov dx,0x3f8; rep outsb;
 * lea rdi,[buf]; mov ecx,3; mov dx,0x71; rep insb; out 0x81,al;
 * msg: "Hello"; buf: 0,0,0 (at CODE + 0x55) */
static const guint8 io_guest[] = {
  0xb0, 0x11, 0xe6, 0x80, 0x66, 0xb8, 0x33, 0x22, 0x66, 0xba, 0x84, 0x00, 0x66, 0xef, 0xb8,
  0x77, 0x66, 0x55, 0x44, 0xef, 0xe4, 0x71, 0x88, 0xc3, 0x66, 0xba, 0x72, 0x00, 0x66, 0xed,
  0x66, 0x41, 0x89, 0xc1, 0x66, 0xba, 0x74, 0x00, 0xed, 0x41, 0x89, 0xc0, 0x48, 0x8d, 0x35,
  0x1f, 0x00, 0x00, 0x00, 0xb9, 0x05, 0x00, 0x00, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xf3, 0x6e,
  0x48, 0x8d, 0x3d, 0x12, 0x00, 0x00, 0x00, 0xb9, 0x03, 0x00, 0x00, 0x00, 0x66, 0xba, 0x71,
  0x00, 0xf3, 0x6c, 0xe6, 0x81, 'H',  'e',  'l',  'l',  'o',  0x00, 0x00, 0x00,
};
#define IO_GUEST_BUF (CODE + 0x55)

/* mov eax,0x12345678; mov rbx,0xd0000000; mov [rbx],eax;
 * mov byte [rbx+4],0x9a; mov rcx,[rbx+8]; mov dx,[rbx+16]; out 0x81,al */
static const guint8 mmio_guest[] = {
  0xb8, 0x78, 0x56, 0x34, 0x12, 0x48, 0xbb, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x89,
  0x03, 0xc6, 0x43, 0x04, 0x9a, 0x48, 0x8b, 0x4b, 0x08, 0x66, 0x8b, 0x53, 0x10, 0xe6, 0x81,
};

/* mov rbx,0xd0000000; movdqu xmm0,[rbx]; movdqu [0x4000],xmm0;
 * movdqu [rbx+0x10],xmm0; out 0x81,al (needs CR4.OSFXSR). KVM splits each
 * 16-byte access into two 8-byte MMIO exits. */
static const guint8 split_mmio_guest[] = {
  0x48, 0xbb, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x00, 0x00, 0x00, 0xf3, 0x0f, 0x6f, 0x03, 0xf3,
  0x0f, 0x7f, 0x04, 0x25, 0x00, 0x40, 0x00, 0x00, 0xf3, 0x0f, 0x7f, 0x43, 0x10, 0xe6, 0x81,
};
#define SPLIT_MMIO_RAM 0x4000u

/* 1: inc rbx; mov eax,ebx; out 0x80,eax; jmp 1b */
static const guint8 counter_guest[] = { 0x48, 0xff, 0xc3, 0x89, 0xd8, 0xe7, 0x80, 0xeb, 0xf7 };

/* jmp $ */
static const guint8 spin_guest[] = { 0xeb, 0xfe };

/* ud2 (with IDT limit 0: #UD, #GP, #DF, shutdown) */
static const guint8 triple_fault_guest[] = { 0x0f, 0x0b };

/* mov rax,0x40000000; jmp rax: executes from an address without RAM */
static const guint8 fatal_guest[] = { 0x48, 0xc7, 0xc0, 0x00, 0x00, 0x00, 0x40, 0xff, 0xe0 };

/* nop x4; out 0x81,al */
static const guint8 debug_guest[] = { 0x90, 0x90, 0x90, 0x90, 0xe6, 0x81 };

/* out 0x90,eax; out 0x81,al */
static const guint8 ap_guest[] = { 0xe7, 0x90, 0xe6, 0x81 };

/* Real mode, at the reset vector: mov al,0x5a; out 0x80,al; out 0x81,al; jmp $ */
static const guint8 reset_vector_guest[] = { 0xb0, 0x5a, 0xe6, 0x80, 0xe6, 0x81, 0xeb, 0xfe };

/* ------------------------------------------------------------------ */
/* Hypervisor and proto partition */

static void
test_module (void)
{
  g_assert_cmpuint (backend->abi_version, ==, HULL_BACKEND_ABI_VERSION);
  g_assert_cmpstr (backend->name, ==, "kvm");
  g_assert_nonnull (backend->hypervisor->open);
  g_assert_nonnull (backend->hypervisor->probe);
}

static void
test_probe (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Vm) vm = NULL;
  g_autoptr (GVariant) node = NULL;
  HullExecutionSpeed speed = HULL_EXECUTION_UNKNOWN;
  gint64 start = g_get_monotonic_time ();

  g_assert_true (hypervisor->ops->probe (hypervisor, &speed, &error));
  g_assert_no_error (error);
  g_assert_true (speed == HULL_EXECUTION_HARDWARE || speed == HULL_EXECUTION_EMULATED);

  vm = vm_new (1);
  g_assert_cmpint (vm->partition->ops->caps (vm->partition)->speed, ==, speed);
  node = vm_inspect (vm, "");
  g_test_message ("probe: %s, %.1f ns per guest instruction (probe took %.1f ms)",
                  speed == HULL_EXECUTION_HARDWARE ? "hardware" : "emulated",
                  lookup_uint (node, "probe-ps-per-instruction") / 1000.0,
                  (g_get_monotonic_time () - start) / 1000.0);
}

/* An fd passed in is used and left open. */
static void
test_device_fd (void)
{
  g_autoptr (GError) error = NULL;
  HullHypervisorConfig config = { .device_fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC) };
  HullHypervisor *hv;
  HullExecutionSpeed speed = HULL_EXECUTION_UNKNOWN;

  g_assert_cmpint (config.device_fd, >=, 0);
  hv = backend->hypervisor->open (&config, &error);
  g_assert_no_error (error);
  g_assert_true (hv->ops->probe (hv, &speed, &error));
  g_assert_no_error (error);
  hv->ops->close (hv);
  g_assert_cmpint (fcntl (config.device_fd, F_GETFD), !=, -1);
  close (config.device_fd);

  /* Not a KVM device: refused, saying so, and still not closed. */
  config.device_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  hv = backend->hypervisor->open (&config, &error);
  g_assert_null (hv);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "not a KVM device"));
  g_assert_cmpint (fcntl (config.device_fd, F_GETFD), !=, -1);
  close (config.device_fd);
}

static HullProtoPartition *
proto_new (HullDomainDef *def, HullProcessorTopology *topology, GError **error)
{
  HullProtoPartitionConfig config = { def, topology };

  return hypervisor->ops->new_proto_partition (hypervisor, &config, error);
}

static HullCpuidLeaf
find_leaf (GArray *leaves, guint32 function, guint32 index)
{
  for (guint i = 0; i < leaves->len; i++)
    {
      const HullCpuidLeaf *leaf = &g_array_index (leaves, HullCpuidLeaf, i);

      if (leaf->function == function && leaf->index == index)
        return *leaf;
    }
  g_error ("no CPUID leaf 0x%x.%u", function, index);
}

/* 2 cores × 2 threads: APIC ids, topology leaves, hypervisor leaves. */
static void
test_cpuid (void)
{
  g_autoptr (GError) error = NULL;
  HullDomainDef *def = def_new ();
  HullProcessorTopology *topology = topology_new (2, 2, HULL_X2APIC_REQUEST_SUPPORTED);
  HullProtoPartition *proto = proto_new (def, topology, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (proto->ops->max_physical_address_bits (proto), >=, 32);
  for (guint vp = 0; vp < 4; vp++)
    {
      g_autoptr (GArray) leaves = proto->ops->cpuid (proto, vp);
      HullCpuidLeaf leaf;

      leaf = find_leaf (leaves, 1, 0);
      g_assert_cmpuint (leaf.ebx >> 24, ==, vp);
      g_assert_true (leaf.ecx & (1u << 21)); /* x2APIC offered */
      g_assert_true (leaf.edx & (1u << 28)); /* HTT */
      leaf = find_leaf (leaves, 0xb, 0);
      g_assert_cmpuint (leaf.eax, ==, 1);
      g_assert_cmpuint (leaf.ebx, ==, 2);
      g_assert_cmphex (leaf.ecx, ==, 0x100);
      g_assert_cmpuint (leaf.edx, ==, vp);
      leaf = find_leaf (leaves, 0xb, 1);
      g_assert_cmpuint (leaf.eax, ==, 2);
      g_assert_cmpuint (leaf.ebx, ==, 4);
      g_assert_cmphex (leaf.ecx, ==, 0x201);
      leaf = find_leaf (leaves, 0xb, 2);
      g_assert_cmphex (leaf.ecx & 0xff00, ==, 0);
      /* Only KVM's signature and kvmclock/NOP_IO_DELAY features remain. */
      for (guint i = 0; i < leaves->len; i++)
        {
          const HullCpuidLeaf *l = &g_array_index (leaves, HullCpuidLeaf, i);

          if (l->function >= 0x40000000u && l->function < 0x40000100u)
            g_assert_cmphex (l->function, <=, 0x40000001u);
          if (l->function == 0x40000001u)
            g_assert_cmphex (l->eax & ~0x100000au, ==, 0);
        }
    }
  proto->ops->free (proto);
  hull_processor_topology_free (topology);

  /* xAPIC mode hides x2APIC. */
  topology = topology_new (1, 1, HULL_X2APIC_REQUEST_UNSUPPORTED);
  proto = proto_new (def, topology, &error);
  g_assert_no_error (error);
  {
    g_autoptr (GArray) leaves = proto->ops->cpuid (proto, 0);

    g_assert_false (find_leaf (leaves, 1, 0).ecx & (1u << 21));
    g_assert_false (find_leaf (leaves, 1, 0).edx & (1u << 28));
  }
  proto->ops->free (proto);
  hull_processor_topology_free (topology);
  hull_domain_def_free (def);
}

static void
assert_refused (HullDomainDef *def, const char *what)
{
  g_autoptr (GError) error = NULL;
  HullProcessorTopology *topology = topology_new (1, 1, HULL_X2APIC_REQUEST_SUPPORTED);
  HullProtoPartition *proto = proto_new (def, topology, &error);

  g_assert_null (proto);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, what));
  hull_processor_topology_free (topology);
  hull_domain_def_free (def);
}

static void
test_unsupported (void)
{
  HullDomainDef *def;

  def = def_new ();
  def->type = HULL_DOMAIN_TYPE_TEST;
  assert_refused (def, "'test'");
  def = def_new ();
  def->isolation = HULL_ISOLATION_SNP;
  assert_refused (def, "isolation");
  def = def_new ();
  def->hyperv = TRUE;
  assert_refused (def, "hyperv");
  def = def_new ();
  def->has_vtl2 = TRUE;
  def->vtl2.start = 0x100000000ull;
  def->vtl2.end = 0x100200000ull;
  assert_refused (def, "vtl2");
  def = def_new ();
  def->user_mode_apic = TRUE;
  assert_refused (def, "user-mode");
}

static void
test_caps (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  const HullPartitionCaps *caps = vm->partition->ops->caps (vm->partition);

  g_assert_cmpuint (caps->physical_address_bits, >=, 32);
  g_assert_false (caps->can_freeze_time);
  g_assert_true (caps->x2apic);
  g_assert_true (caps->speed == HULL_EXECUTION_HARDWARE || caps->speed == HULL_EXECUTION_EMULATED);
  g_assert_null (vm->partition->ops->accept_initial_pages);
}

/* ------------------------------------------------------------------ */
/* Exits */

static void
test_io (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  HullX86Registers regs;
  guint8 buf[3];
  const char *hello = "Hello";

  bus_set_value (&vm->bus, FALSE, 0x71, 0xa5);
  bus_set_value (&vm->bus, FALSE, 0x72, 0xbeef);
  bus_set_value (&vm->bus, FALSE, 0x74, 0xcafef00d);
  vm_start (vm, 0, CODE, io_guest, sizeof io_guest);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);

  g_assert_cmpuint (bus_count (&vm->bus), ==, 15);
  assert_access (&vm->bus, 0, ACCESS_OUT, 0, 0x80, 1, 0x11);
  assert_access (&vm->bus, 1, ACCESS_OUT, 0, 0x84, 2, 0x2233);
  assert_access (&vm->bus, 2, ACCESS_OUT, 0, 0x84, 4, 0x44556677);
  assert_access (&vm->bus, 3, ACCESS_IN, 0, 0x71, 1, 0xa5);
  assert_access (&vm->bus, 4, ACCESS_IN, 0, 0x72, 2, 0xbeef);
  assert_access (&vm->bus, 5, ACCESS_IN, 0, 0x74, 4, 0xcafef00d);
  for (guint i = 0; i < 5; i++)
    assert_access (&vm->bus, 6 + i, ACCESS_OUT, 0, 0x3f8, 1, (guint8)hello[i]);
  for (guint i = 0; i < 3; i++)
    assert_access (&vm->bus, 11 + i, ACCESS_IN, 0, 0x71, 1, 0xa5);
  assert_access (&vm->bus, 14, ACCESS_OUT, 0, STOP_PORT, 1, 0x0d);

  /* The values read reached the guest, and the last OUT completed. */
  regs = vm_get_registers (vm, 0);
  g_assert_cmphex (regs.rbx & 0xff, ==, 0xa5);
  g_assert_cmphex (regs.r9 & 0xffff, ==, 0xbeef);
  g_assert_cmphex (regs.r8, ==, 0xcafef00d);
  g_assert_cmphex (regs.rip, ==, CODE + 0x50);
  g_assert_true (hull_guest_memory_read (vm->memory, IO_GUEST_BUF, buf, sizeof buf, NULL));
  g_assert_cmphex (buf[0], ==, 0xa5);
  g_assert_cmphex (buf[2], ==, 0xa5);
}

static void
test_mmio (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  HullX86Registers regs;

  bus_set_value (&vm->bus, TRUE, MMIO_BASE + 8, 0x1122334455667788ull);
  bus_set_value (&vm->bus, TRUE, MMIO_BASE + 16, 0x4321);
  vm_start (vm, 0, CODE, mmio_guest, sizeof mmio_guest);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);

  g_assert_cmpuint (bus_count (&vm->bus), ==, 5);
  assert_access (&vm->bus, 0, ACCESS_MMIO_WRITE, 0, MMIO_BASE, 4, 0x12345678);
  assert_access (&vm->bus, 1, ACCESS_MMIO_WRITE, 0, MMIO_BASE + 4, 1, 0x9a);
  assert_access (&vm->bus, 2, ACCESS_MMIO_READ, 0, MMIO_BASE + 8, 8, 0x1122334455667788ull);
  assert_access (&vm->bus, 3, ACCESS_MMIO_READ, 0, MMIO_BASE + 16, 2, 0x4321);
  regs = vm_get_registers (vm, 0);
  g_assert_cmphex (regs.rcx, ==, 0x1122334455667788ull);
  g_assert_cmphex (regs.rdx & 0xffff, ==, 0x4321);
}

enum
{
  SPLIT_YIELD = 1 << 0, /* the device asks for a yield rather than stopping */
  SPLIT_KICKS = 1 << 1, /* and another thread asks for yields all along */
};

#define SPLIT_ROUNDS 200

typedef struct
{
  Vm *vm;
  guint flags;
  guint interrupts;
} SplitMmio;

/* The device stops the VP, or asks it to yield, while it handles the first
 * fragment of each 16-byte access. */
static void
split_mmio_hook (Bus *bus, const Access *access, gpointer data)
{
  SplitMmio *split = data;

  if ((access->kind == ACCESS_MMIO_READ && access->address == MMIO_BASE)
      || (access->kind == ACCESS_MMIO_WRITE && access->address == MMIO_BASE + 0x10))
    {
      split->interrupts++;
      if (split->flags & SPLIT_YIELD)
        hull_partition_request_yield (split->vm->partition, access->vp);
      else
        g_atomic_int_set (&split->vm->vps[access->vp].stop, 1);
    }
}

/* A stop or yield that arrives between the two fragments of a split MMIO
 * access: run() must still hand the second fragment to the device before it
 * returns (completing an exit can give the next fragment's exit). */
static void
test_split_mmio (gconstpointer data)
{
  g_autoptr (Vm) vm = vm_new (1);
  SplitMmio split = { vm, GPOINTER_TO_UINT (data), 0 };
  HullX86Registers regs = long_mode_registers (CODE);
  HullVpExit interrupted = split.flags & SPLIT_YIELD ? HULL_VP_EXIT_YIELD : HULL_VP_EXIT_STOPPED;
  Kicker *kicker = NULL;
  guint runs = 0;

  regs.cr4 |= 0x200; /* OSFXSR */
  vm_write_tables (vm);
  vm_write (vm, CODE, split_mmio_guest, sizeof split_mmio_guest);
  vm->bus.hook = split_mmio_hook;
  vm->bus.hook_data = &split;
  if (split.flags & SPLIT_KICKS)
    kicker = kicker_start (vm, 0, 50);

  for (guint i = 0; i < SPLIT_ROUNDS; i++)
    {
      guint64 lo = 0x1716151413121110ull ^ ((guint64)i << 40);
      guint64 hi = 0x2726252423222120ull ^ ((guint64)i << 40);
      guint64 ram[2] = { 0, 0 };
      guint round_runs = 0;

      bus_clear (&vm->bus);
      bus_set_value (&vm->bus, TRUE, MMIO_BASE, lo);
      bus_set_value (&vm->bus, TRUE, MMIO_BASE + 8, hi);
      vm_write (vm, SPLIT_MMIO_RAM, ram, sizeof ram);
      g_assert_true (vm_set_state (vm, 0, HULL_REGISTER_GROUP_REGISTERS, &regs, sizeof regs, NULL));

      while (bus_count_kind (&vm->bus, ACCESS_OUT) == 0)
        {
          HullVpExit exit = vm_run (vm, 0);

          round_runs++;
          g_assert_cmpuint (round_runs, <, 100000);
          if (exit != HULL_VP_EXIT_YIELD)
            assert_exit (exit, HULL_VP_EXIT_STOPPED);
          /* Never back between the fragments of one access. */
          g_assert_cmpuint (bus_count_kind (&vm->bus, ACCESS_MMIO_READ) % 2, ==, 0);
          g_assert_cmpuint (bus_count_kind (&vm->bus, ACCESS_MMIO_WRITE) % 2, ==, 0);
          if (!(split.flags & SPLIT_KICKS) && round_runs < 3)
            assert_exit (exit, interrupted);
        }
      runs += round_runs;
      if (!(split.flags & SPLIT_KICKS))
        g_assert_cmpuint (round_runs, ==, 3); /* read, write, out 0x81 */

      g_assert_cmpuint (bus_count (&vm->bus), ==, 5);
      assert_access (&vm->bus, 0, ACCESS_MMIO_READ, 0, MMIO_BASE, 8, lo);
      assert_access (&vm->bus, 1, ACCESS_MMIO_READ, 0, MMIO_BASE + 8, 8, hi);
      assert_access (&vm->bus, 2, ACCESS_MMIO_WRITE, 0, MMIO_BASE + 0x10, 8, lo);
      assert_access (&vm->bus, 3, ACCESS_MMIO_WRITE, 0, MMIO_BASE + 0x18, 8, hi);
      assert_access (&vm->bus, 4, ACCESS_OUT, 0, STOP_PORT, 1, 0);
      g_assert_true (hull_guest_memory_read (vm->memory, SPLIT_MMIO_RAM, ram, sizeof ram, NULL));
      g_assert_cmphex (ram[0], ==, lo);
      g_assert_cmphex (ram[1], ==, hi);
      g_assert_cmphex (vm_get_registers (vm, 0).rip, ==, CODE + sizeof split_mmio_guest);
    }

  g_assert_cmpuint (split.interrupts, ==, 2 * SPLIT_ROUNDS);
  if (kicker != NULL)
    g_test_message ("%u rounds, %u runs, %u yield requests from the kicker", SPLIT_ROUNDS, runs,
                    kicker_stop (kicker));
}

static void
test_triple_fault (void)
{
  g_autoptr (Vm) vm = vm_new (1);

  vm_start (vm, 0, CODE, triple_fault_guest, sizeof triple_fault_guest);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_TRIPLE_FAULT);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 0);
}

/* Code fetched from an address without RAM: KVM cannot emulate it. */
static void
test_fatal (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  g_autofree char *message = NULL;

  vm_start (vm, 0, CODE, fatal_guest, sizeof fatal_guest);
  assert_exit (vm_run_detail (vm, 0, &message), HULL_VP_EXIT_FATAL);
  g_test_message ("%s", message);
  g_assert_nonnull (strstr (message, "KVM_EXIT_INTERNAL_ERROR"));
  g_assert_nonnull (strstr (message, "suberror"));
  g_assert_cmpuint (vm->bus.fatal_errors, ==, 1);
}

/* A state KVM refuses outright, and one it accepts but cannot run. */
static void
test_invalid_state (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  HullX86Registers before, regs;
  HullVpExit exit;

  vm_start (vm, 0, CODE, triple_fault_guest, sizeof triple_fault_guest);
  before = vm_get_registers (vm, 0);
  regs = before;
  regs.cr0 = 0x80000010; /* paging without protection */
  g_assert_false (vm_set_state (vm, 0, HULL_REGISTER_GROUP_REGISTERS, &regs, sizeof regs, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_test_message ("cr0 PG without PE: %s", error->message);
  regs = vm_get_registers (vm, 0);
  g_assert_cmpmem (&regs, sizeof regs, &before, sizeof before);
  g_clear_error (&error);

  /* CS not present: VMX refuses the entry (FAIL_ENTRY); an emulator may
   * ignore it and run into the ud2 (triple fault). */
  regs.cs.attributes &= ~0x80;
  g_assert_true (vm_set_state (vm, 0, HULL_REGISTER_GROUP_REGISTERS, &regs, sizeof regs, &error));
  g_assert_no_error (error);
  exit = vm_run_detail (vm, 0, &message);
  g_test_message ("CS not present: %s%s%s", hull_vp_exit_to_string (exit),
                  message != NULL ? ": " : "", message != NULL ? message : "");
  g_assert_true (exit == HULL_VP_EXIT_TRIPLE_FAULT || exit == HULL_VP_EXIT_FATAL);
}

/* ------------------------------------------------------------------ */
/* Stop and yield */

static void
test_stop_before_run (void)
{
  g_autoptr (Vm) vm = vm_new (1);

  vm_start (vm, 0, CODE, counter_guest, sizeof counter_guest);
  g_atomic_int_set (&vm->vps[0].stop, 1);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 0);
  g_assert_cmphex (vm_get_registers (vm, 0).rip, ==, CODE);
}

/* A device stops the VP from inside its callback: the OUT completes. */
static void
test_stop_from_device (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  HullX86Registers regs;

  vm_start (vm, 0, CODE, counter_guest, sizeof counter_guest);
  vm->bus.stop_after_writes = 3;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 3);
  for (guint i = 0; i < 3; i++)
    assert_access (&vm->bus, i, ACCESS_OUT, 0, 0x80, 4, i + 1);
  regs = vm_get_registers (vm, 0);
  g_assert_cmphex (regs.rip, ==, CODE + 7);
  g_assert_cmpuint (regs.rbx, ==, 3);

  vm->bus.stop_after_writes = 5;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 5);
  assert_access (&vm->bus, 3, ACCESS_OUT, 0, 0x80, 4, 4);
}

static void
test_yield_before_run (void)
{
  g_autoptr (Vm) vm = vm_new (1);

  vm_start (vm, 0, CODE, counter_guest, sizeof counter_guest);
  hull_partition_request_yield (vm->partition, 0);
  hull_partition_request_yield (vm->partition, 0);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_YIELD);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 0);
  g_assert_cmphex (vm_get_registers (vm, 0).rip, ==, CODE);

  /* Two requests, one yield: the next run runs the guest. */
  vm->bus.stop_after_writes = 1;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 1);
}

typedef struct
{
  guint n;
  gint started;
  gint returned;
  gint bad;
  HullVpExit bad_exit;
  gboolean sleep_every_4th;
} Stress;

static void
do_stress (Vp *vp, gpointer data)
{
  Stress *stress = data;

  for (guint i = 0; i < stress->n; i++)
    {
      HullVpExitDetail detail = { 0 };
      HullVpExit exit;

      g_atomic_int_inc (&stress->started);
      /* Every fourth kick arrives while this thread is outside run(). */
      if (stress->sleep_every_4th && i % 4 == 0)
        g_usleep (500);
      exit = vp->processor->ops->run (vp->processor, &vp->stop, &bus_io, vp->bus, &detail);
      g_free (detail.message);
      if (exit != HULL_VP_EXIT_YIELD && !g_atomic_int_get (&stress->bad))
        {
          stress->bad_exit = exit;
          g_atomic_int_set (&stress->bad, 1);
        }
      g_atomic_int_inc (&stress->returned);
    }
}

/* Waits for *@counter to reach @value, sleeping between looks or, with
 * @busy, spinning (to act within a microsecond of the change). */
static gboolean
wait_for_count (gint *counter, gint value, gboolean busy, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  while (g_atomic_int_get (counter) < value)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      if (!busy)
        g_usleep (10);
    }
  return TRUE;
}

/* @n kicks of a guest in `jmp $`. With @at_entry most kicks are sent within
 * a few microseconds of the VP starting run(), between run()'s last look at
 * the flags and KVM_RUN (the lost-wakeup window, which the caller widens),
 * one in eight inside the guest; otherwise at varying moments: while the VP
 * is outside run(), soon after it started, and well inside the guest.
 * Every kick must be answered. */
static void
kick_stress (HullHypervisor *hv, guint n, gboolean at_entry)
{
  g_autoptr (Vm) vm = vm_new_on (hv, 1, FALSE);
  g_autoptr (GVariant) node = NULL;
  Stress stress = { .n = n, .sleep_every_4th = !at_entry };
  gint64 start, worst = 0;
  Job *job;

  vm_start (vm, 0, CODE, spin_guest, sizeof spin_guest);
  start = g_get_monotonic_time ();
  job = job_start (&vm->vps[0], do_stress, &stress);
  for (guint i = 0; i < stress.n; i++)
    {
      gint64 kicked;

      g_assert_true (wait_for_count (&stress.started, (gint)i + 1, at_entry, PROMPT_US));
      if (at_entry && i % 8 == 7)
        g_usleep (100); /* past the hook's sleep: into KVM_RUN */
      else if (at_entry)
        for (volatile guint spin = 0; spin < (i % 64) * 40; spin++)
          ;
      else
        switch (i % 4)
          {
            case 0:
              break; /* the VP sleeps before run(): the flag is set first */
            case 1:
              g_usleep (i % 50);
              break;
            case 2:
              for (volatile guint spin = 0; spin < (i % 7) * 100; spin++)
                ;
              break;
            default:
              g_usleep (200);
              break;
          }
      kicked = g_get_monotonic_time ();
      hull_partition_request_yield (vm->partition, 0);
      if (!wait_for_count (&stress.returned, (gint)i + 1, FALSE, PROMPT_US))
        g_error ("kick %u was lost: run() did not return within %d s", i,
                 (int)(PROMPT_US / G_USEC_PER_SEC));
      worst = MAX (worst, g_get_monotonic_time () - kicked);
    }
  g_assert_true (job_wait (job, JOB_TIMEOUT_US));
  job_free (job);
  g_assert_false (stress.bad);

  node = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (node, "yield-requests"), ==, stress.n);
  g_assert_cmpuint (lookup_uint (node, "kicks"), <=, stress.n);
  g_test_message ("%u kicks in %.1f ms, slowest answered in %.2f ms; %u signals sent, %u runs "
                  "interrupted",
                  stress.n, (g_get_monotonic_time () - start) / 1000.0, worst / 1000.0,
                  (guint)lookup_uint (node, "kicks"),
                  (guint)lookup_uint (node, "interrupted-runs"));
}

static void
test_kick_stress (void)
{
  kick_stress (hypervisor, 1000, FALSE);
}

/* The backend's test hook makes run() sleep 50 µs between its last look at
 * the flags and KVM_RUN, so that the kicks land there: a kick that only
 * signalled (no immediate_exit) would be lost in that window. */
static void
test_kick_at_entry (void)
{
  g_autoptr (GError) error = NULL;
  HullHypervisorConfig config = { .device_fd = -1 };
  HullHypervisor *hv;

  g_setenv ("HULL_KVM_TEST_ENTRY_DELAY_US", "50", TRUE);
  hv = backend->hypervisor->open (&config, &error);
  g_unsetenv ("HULL_KVM_TEST_ENTRY_DELAY_US");
  g_assert_no_error (error);
  kick_stress (hv, 2000, TRUE);
  hv->ops->close (hv);
}

/* An AP waiting for SIPI blocks inside KVM_RUN until kicked. */
static void
test_ap_waits_until_kicked (void)
{
  g_autoptr (Vm) vm = vm_new (2);
  HullX86Activity activity;
  Call call = { 0 };
  Job *job;

  vm_get_state (vm, 0, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity);
  g_assert_cmpuint (activity.mp_state, ==, HULL_MP_STATE_RUNNING);
  vm_get_state (vm, 1, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity);
  g_assert_cmpuint (activity.mp_state, ==, HULL_MP_STATE_WAIT_FOR_SIPI);

  job = job_start (&vm->vps[1], do_run, &call);
  g_assert_false (job_wait (job, BLOCKED_US));
  hull_partition_request_yield (vm->partition, 1);
  g_assert_true (job_wait (job, PROMPT_US));
  job_free (job);
  assert_exit (call.exit, HULL_VP_EXIT_YIELD);
  vm_get_state (vm, 1, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity);
  g_assert_cmpuint (activity.mp_state, ==, HULL_MP_STATE_WAIT_FOR_SIPI);
}

/* LINT1 is an NMI; with IDT limit 0 the guest triple-faults on it. */
static void
test_nmi (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  g_autoptr (GVariant) node = NULL;
  Call call = { 0 };
  Job *job;

  vm_start (vm, 0, CODE, spin_guest, sizeof spin_guest);
  vm->partition->ops->pulse_lint (vm->partition, 0, 0, 0); /* LINT0: ignored */
  job = job_start (&vm->vps[0], do_run, &call);
  g_assert_false (job_wait (job, BLOCKED_US));
  vm->partition->ops->pulse_lint (vm->partition, 0, 0, 1);
  g_assert_true (job_wait (job, PROMPT_US));
  job_free (job);
  assert_exit (call.exit, HULL_VP_EXIT_TRIPLE_FAULT);
  node = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (node, "nmis"), ==, 1);
  g_assert_cmpuint (lookup_uint (node, "lint0-ignored"), ==, 1);
}

/* ------------------------------------------------------------------ */
/* Register groups */

/* Sets @size bytes of @group and reads them back. */
static void
assert_round_trip (Vm *vm, HullRegisterGroup group, gconstpointer value, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *got = g_malloc0 (size);

  g_assert_true (vm_set_state (vm, 0, group, value, size, &error));
  g_assert_no_error (error);
  vm_get_state (vm, 0, group, got, size);
  for (gsize i = 0; i < size; i++)
    if (got[i] != ((const guint8 *)value)[i])
      g_error ("group %u: byte %u is 0x%02x, set 0x%02x", group, (guint)i, got[i],
               ((const guint8 *)value)[i]);
}

static void
test_state_round_trip (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  const HullPartitionCaps *caps = vm->partition->ops->caps (vm->partition);
  guint64 phys_mask = (G_GUINT64_CONSTANT (1) << caps->physical_address_bits) - 1;
  HullX86Registers regs = long_mode_registers (CODE);
  HullX86Activity activity = { 0 };
  HullX86Mtrrs mtrrs = { 0 };
  guint64 pat = 0x0007010600070106ull, tsc = 0, tsc_after = 0;
  gsize xsave_len = xsave_size ();
  g_autofree guint8 *xsave = g_malloc0 (xsave_len);
  guint8 apic[8 + 1024];

  /* Registers: the loader's 64-bit entry state, every GPR distinct. */
  vm_write_tables (vm);
  for (guint i = 0; i < 16; i++)
    (&regs.rax)[i] = 0x1111111111111111ull * (i + 1) + i;
  regs.rsp = 0x8ff0;
  regs.cr2 = 0x1234000;
  regs.cr8 = 0x5;
  assert_round_trip (vm, HULL_REGISTER_GROUP_REGISTERS, &regs, sizeof regs);

  /* Activity: halted, NMI pending and masked, STI shadow, an interrupt
   * being injected (vector 0x30); then running again. */
  activity.mp_state = HULL_MP_STATE_HALTED;
  activity.nmi_pending = TRUE;
  activity.nmi_masked = TRUE;
  activity.interrupt_shadow = TRUE;
  activity.pending_event = (1u << 31) | 0x30;
  assert_round_trip (vm, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity);
  memset (&activity, 0, sizeof activity);
  activity.pending_event
      = (1u << 31) | (3u << 8) | (1u << 11) | 13 | (0x18ull << 32); /* #GP(0x18) */
  assert_round_trip (vm, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity);
  memset (&activity, 0, sizeof activity);
  assert_round_trip (vm, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity);

  /* MTRRs: write-back by default, UC fixed range, one 2 GiB variable range. */
  mtrrs.def_type = 0xc06;
  for (guint i = 0; i < 11; i++)
    mtrrs.fixed[i] = 0x0606060606060606ull;
  mtrrs.fixed[2] = 0;
  mtrrs.variable[0] = 0x80000000ull | 0;
  mtrrs.variable[1] = (phys_mask & ~0x7fffffffull) | 0x800;
  assert_round_trip (vm, HULL_REGISTER_GROUP_MTRRS, &mtrrs, sizeof mtrrs);
  assert_round_trip (vm, HULL_REGISTER_GROUP_PAT, &pat, sizeof pat);

  /* XSAVE: x87 control word and MXCSR in the legacy area, marked present in
   * the header (a clear XSTATE_BV bit means "initial state"). */
  vm_get_state (vm, 0, HULL_REGISTER_GROUP_XSAVE, xsave, xsave_len);
  g_assert_cmphex (load_le (xsave + 24, 4), ==, 0x1f80);
  store_le (xsave, 0x027f, 2);
  store_le (xsave + 24, 0x1fa0, 4);
  store_le (xsave + 512, load_le (xsave + 512, 8) | 0x3, 8); /* XSTATE_BV: x87, SSE */
  assert_round_trip (vm, HULL_REGISTER_GROUP_XSAVE, xsave, xsave_len);

  /* APIC: base (enabled, BSP) and the TPR. */
  vm_get_state (vm, 0, HULL_REGISTER_GROUP_APIC, apic, sizeof apic);
  g_assert_cmphex (load_le (apic, 8) & ~0xfffull, ==, 0xfee00000);
  g_assert_true (load_le (apic, 8) & (1u << 8));
  store_le (apic + 8 + 0x80, 0x20, 4);
  g_assert_true (vm_set_state (vm, 0, HULL_REGISTER_GROUP_APIC, apic, sizeof apic, NULL));
  memset (apic, 0, sizeof apic);
  vm_get_state (vm, 0, HULL_REGISTER_GROUP_APIC, apic, sizeof apic);
  g_assert_cmphex (load_le (apic + 8 + 0x80, 4), ==, 0x20); /* (PPR follows, KVM computes it) */

  /* The TSC moves on from what was set. */
  tsc = 1000000;
  g_assert_true (vm_set_state (vm, 0, HULL_REGISTER_GROUP_TSC, &tsc, sizeof tsc, NULL));
  vm_get_state (vm, 0, HULL_REGISTER_GROUP_TSC, &tsc_after, sizeof tsc_after);
  g_assert_cmpuint (tsc_after, >=, tsc);

  /* Debug registers and the syscall MSRs are backend blobs (docs). */
  {
    guint64 debug[6] = { 0x1000, 0, 0, 0, 0xffff0ff0, 0x401 };
    guint64 msrs[9] = { 0 };

    assert_round_trip (vm, HULL_REGISTER_GROUP_DEBUG_REGS, debug, sizeof debug);
    vm_get_state (vm, 0, HULL_REGISTER_GROUP_MSRS, msrs, sizeof msrs);
    msrs[1] = 0xffffffff81000000ull; /* LSTAR */
    msrs[5] = 0x10;                  /* SYSENTER_CS */
    assert_round_trip (vm, HULL_REGISTER_GROUP_MSRS, msrs, sizeof msrs);
  }
}

static void
test_state_refused (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  g_autoptr (GError) error = NULL;
  HullX86Activity activity = { 0 };
  guint8 small[8] = { 0 };

  /* The wrong size. */
  g_assert_false (vm_set_state (vm, 0, HULL_REGISTER_GROUP_REGISTERS, small, sizeof small, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* Groups the backend does not have. */
  g_assert_false (vm_set_state (vm, 0, HULL_REGISTER_GROUP_XSS, small, sizeof small, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_false (vm_set_state (vm, 0, HULL_REGISTER_GROUP_CET, small, sizeof small, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  /* Activity that cannot be. */
  activity.mp_state = 9;
  g_assert_false (
      vm_set_state (vm, 0, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  activity.mp_state = HULL_MP_STATE_RUNNING;
  activity.pending_event = (1u << 31) | (3u << 8) | 40; /* exception vector 40 */
  g_assert_false (
      vm_set_state (vm, 0, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------------ */
/* Reset */

static void
test_reset (void)
{
  g_autoptr (Vm) vm = vm_new_full (1, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) node = NULL;
  g_autoptr (GArray) leaves = NULL;
  HullProtoPartition *proto;
  HullX86Registers regs;
  HullX86Activity activity;
  Call call = { 0 };

  proto = proto_new (vm->def, vm->topology, &error);
  g_assert_no_error (error);
  leaves = proto->ops->cpuid (proto, 0);
  proto->ops->free (proto);

  vm_start (vm, 0, CODE, triple_fault_guest, sizeof triple_fault_guest);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_TRIPLE_FAULT);

  /* VM-wide first, then the processor on its thread. */
  g_assert_true (hull_partition_reset (vm->partition, &error));
  g_assert_no_error (error);
  vp_call (&vm->vps[0], do_reset, &call);
  g_assert_no_error (call.error);
  g_assert_true (call.ok);

  regs = vm_get_registers (vm, 0);
  g_assert_cmphex (regs.rip, ==, 0xfff0);
  g_assert_cmphex (regs.cs.base, ==, 0xffff0000);
  g_assert_cmphex (regs.cs.selector, ==, 0xf000);
  g_assert_cmphex (regs.cr0, ==, 0x60000010);
  g_assert_cmphex (regs.rflags, ==, 0x2);
  g_assert_cmphex (regs.efer, ==, 0);
  g_assert_cmphex (regs.rdx, ==, find_leaf (leaves, 1, 0).eax);
  vm_get_state (vm, 0, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity);
  g_assert_cmpuint (activity.mp_state, ==, HULL_MP_STATE_RUNNING);

  /* It runs again from the reset vector, in real mode. */
  vm_write (vm, 0xfffffff0u, reset_vector_guest, sizeof reset_vector_guest);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 2);
  assert_access (&vm->bus, 0, ACCESS_OUT, 0, 0x80, 1, 0x5a);
  assert_access (&vm->bus, 1, ACCESS_OUT, 0, STOP_PORT, 1, 0x5a);
  g_assert_cmphex (vm_get_registers (vm, 0).rip, ==, 0xfff6);

  node = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (node, "resets"), ==, 1);
  g_assert_true (hull_partition_scrub_vtl (vm->partition, 0, &error));
  g_assert_false (hull_partition_scrub_vtl (vm->partition, 1, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
}

/* ------------------------------------------------------------------ */
/* Save and restore */

static void
copy_ram (Vm *from, Vm *to)
{
  memcpy (hull_guest_memory_get_pointer (to->memory, 0, RAM_SIZE),
          hull_guest_memory_get_pointer (from->memory, 0, RAM_SIZE), RAM_SIZE);
}

/* A counter loop saved after 5 OUTs goes on at 6 in a fresh partition. */
static void
test_save_restore (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  g_autoptr (Vm) fresh = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) partition_state = NULL;
  g_autoptr (GBytes) vp_state = NULL;
  HullX86Registers before, after;

  vm_start (vm, 0, CODE, counter_guest, sizeof counter_guest);
  vm->bus.stop_after_writes = 5;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  assert_access (&vm->bus, 4, ACCESS_OUT, 0, 0x80, 4, 5);
  before = vm_get_registers (vm, 0);
  partition_state = vm->partition->ops->save (vm->partition, &error);
  g_assert_no_error (error);
  vp_state = vm_save (vm, 0);
  g_test_message ("saved state: partition %u bytes, VP %u bytes",
                  (guint)g_bytes_get_size (partition_state), (guint)g_bytes_get_size (vp_state));

  fresh = vm_new (1);
  copy_ram (vm, fresh);
  g_assert_true (fresh->partition->ops->restore (fresh->partition, partition_state, &error));
  g_assert_no_error (error);
  g_assert_true (vm_restore (fresh, 0, vp_state, &error));
  g_assert_no_error (error);
  after = vm_get_registers (fresh, 0);
  g_assert_cmpmem (&after, sizeof after, &before, sizeof before);

  fresh->bus.stop_after_writes = 3;
  assert_exit (vm_run (fresh, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&fresh->bus), ==, 3);
  for (guint i = 0; i < 3; i++)
    assert_access (&fresh->bus, i, ACCESS_OUT, 0, 0x80, 4, 6 + i);
}

/* Rebuilds a VP blob with one thing changed. */
typedef enum
{
  DAMAGE_VERSION,
  DAMAGE_VP,
  DAMAGE_DROP_LAST_GROUP,
  DAMAGE_SHORT_GROUP,
  DAMAGE_UNKNOWN_GROUP,
  DAMAGE_BAD_CR0,
} Damage;

static GBytes *
damage (GBytes *saved, Damage how)
{
  g_autoptr (GVariant) v
      = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(uua(uay))"), saved, FALSE));
  g_autoptr (GVariant) groups = NULL;
  g_autoptr (GVariant) rebuilt = NULL;
  GVariantBuilder builder;
  guint32 version, vp;
  gsize n;

  g_variant_get (v, "(uu@a(uay))", &version, &vp, &groups);
  n = g_variant_n_children (groups);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(uay)"));
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) data = NULL;
      guint32 id;
      gsize size;
      const guint8 *bytes;
      g_autofree guint8 *copy = NULL;

      g_variant_get_child (groups, i, "(u@ay)", &id, &data);
      bytes = g_variant_get_fixed_array (data, &size, 1);
      copy = g_memdup2 (bytes, size);
      if (how == DAMAGE_DROP_LAST_GROUP && i == n - 1)
        continue;
      if (how == DAMAGE_SHORT_GROUP && id == HULL_REGISTER_GROUP_REGISTERS)
        size -= 8;
      if (how == DAMAGE_UNKNOWN_GROUP && id == HULL_REGISTER_GROUP_PAT)
        id = HULL_REGISTER_GROUP_CET;
      if (how == DAMAGE_BAD_CR0 && id == HULL_REGISTER_GROUP_REGISTERS)
        ((HullX86Registers *)copy)->cr0 = 0x80000010;
      g_variant_builder_add (&builder, "(u@ay)", id,
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, copy, size, 1));
    }
  rebuilt = g_variant_ref_sink (g_variant_new ("(uua(uay))",
                                               how == DAMAGE_VERSION ? version + 1 : version,
                                               how == DAMAGE_VP ? vp + 1 : vp, &builder));
  return g_variant_get_data_as_bytes (rebuilt);
}

static void
assert_vp_restore_refused (Vm *vm, GBytes *bytes, const HullX86Registers *expected)
{
  g_autoptr (GError) error = NULL;
  HullX86Registers regs;

  g_assert_false (vm_restore (vm, 0, bytes, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  regs = vm_get_registers (vm, 0);
  g_assert_cmpmem (&regs, sizeof regs, expected, sizeof *expected);
}

static void
test_restore_corrupt (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  g_autoptr (Vm) two = vm_new (2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) saved = NULL;
  g_autoptr (GBytes) garbage = g_bytes_new_static ("garbage", 7);
  g_autoptr (GBytes) truncated = NULL;
  g_autoptr (GBytes) other = NULL;
  HullX86Registers before, moved;

  vm_start (vm, 0, CODE, counter_guest, sizeof counter_guest);
  vm->bus.stop_after_writes = 2;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  saved = vm_save (vm, 0);
  /* Registers that differ from the saved ones, to see that nothing changes. */
  moved = vm_get_registers (vm, 0);
  moved.rbx = 0x77;
  g_assert_true (vm_set_state (vm, 0, HULL_REGISTER_GROUP_REGISTERS, &moved, sizeof moved, NULL));
  before = vm_get_registers (vm, 0);

  assert_vp_restore_refused (vm, garbage, &before);
  truncated = g_bytes_new_from_bytes (saved, 0, g_bytes_get_size (saved) / 2);
  assert_vp_restore_refused (vm, truncated, &before);
  for (Damage how = DAMAGE_VERSION; how <= DAMAGE_BAD_CR0; how++)
    {
      g_autoptr (GBytes) damaged = damage (saved, how);

      assert_vp_restore_refused (vm, damaged, &before);
    }

  /* The partition's blob: garbage, and one from a partition of 2 VPs. */
  g_assert_false (vm->partition->ops->restore (vm->partition, garbage, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  g_clear_error (&error);
  other = two->partition->ops->save (two->partition, &error);
  g_assert_no_error (error);
  g_assert_false (vm->partition->ops->restore (vm->partition, other, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
  g_clear_error (&error);

  /* The good blob still restores, and the guest goes on from it. */
  g_assert_true (vm_restore (vm, 0, saved, &error));
  g_assert_no_error (error);
  vm->bus.stop_after_writes = 3;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  assert_access (&vm->bus, 2, ACCESS_OUT, 0, 0x80, 4, 3);
}

/* ------------------------------------------------------------------ */
/* Several VPs */

/* The APs wait for SIPI; the test starts them (ACTIVITY RUNNING with
 * 64-bit registers) and every VP reports its own value. */
static void
test_smp (gconstpointer data)
{
  guint n_vps = GPOINTER_TO_UINT (data);
  g_autoptr (Vm) vm = vm_new (n_vps);
  Call calls[4] = { { 0 } };
  Job *jobs[4];

  vm_write_tables (vm);
  vm_write (vm, CODE, ap_guest, sizeof ap_guest);
  for (guint i = 0; i < n_vps; i++)
    {
      HullX86Registers regs = long_mode_registers (CODE);
      HullX86Activity activity = { .mp_state = HULL_MP_STATE_RUNNING };
      HullX86Activity got;
      Call call = { 0 };
      const char *mode = NULL;

      vm_get_state (vm, i, HULL_REGISTER_GROUP_ACTIVITY, &got, sizeof got);
      g_assert_cmpuint (got.mp_state, ==,
                        i == 0 ? HULL_MP_STATE_RUNNING : HULL_MP_STATE_WAIT_FOR_SIPI);
      regs.rax = 0x100 + i;
      g_assert_true (vm_set_state (vm, i, HULL_REGISTER_GROUP_REGISTERS, &regs, sizeof regs, NULL));
      g_assert_true (
          vm_set_state (vm, i, HULL_REGISTER_GROUP_ACTIVITY, &activity, sizeof activity, NULL));
      vp_call (&vm->vps[i], do_inspect, &call);
      g_assert_no_error (call.error);
      g_assert_cmpuint (lookup_uint (call.inspected, "apic-id"), ==, i);
      g_assert_true (g_variant_lookup (call.inspected, "mode", "&s", &mode));
      g_assert_cmpstr (mode, ==, "long");
      call_clear (&call);
    }
  for (guint i = 0; i < n_vps; i++)
    jobs[i] = job_start (&vm->vps[i], do_run, &calls[i]);
  for (guint i = 0; i < n_vps; i++)
    {
      g_assert_true (job_wait (jobs[i], JOB_TIMEOUT_US));
      job_free (jobs[i]);
      assert_exit (calls[i].exit, HULL_VP_EXIT_STOPPED);
    }

  g_assert_cmpuint (bus_count (&vm->bus), ==, 2 * n_vps);
  for (guint i = 0; i < bus_count (&vm->bus); i++)
    {
      Access access = bus_get (&vm->bus, i);

      if (access.address == 0x90)
        g_assert_cmphex (access.value, ==, 0x100 + access.vp);
      else
        g_assert_cmphex (access.address, ==, STOP_PORT);
    }
}

/* ------------------------------------------------------------------ */
/* Debugging */

static void
test_debug (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  const guint64 breakpoints[2] = { CODE + 0x100, CODE + 3 };
  Call call = { .single_step = TRUE };

  vm_start (vm, 0, CODE, debug_guest, sizeof debug_guest);
  vp_call (&vm->vps[0], do_set_debug_state, &call);
  g_assert_no_error (call.error);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_SINGLE_STEP);
  g_assert_cmphex (vm_get_registers (vm, 0).rip, ==, CODE + 1);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_SINGLE_STEP);
  g_assert_cmphex (vm_get_registers (vm, 0).rip, ==, CODE + 2);

  /* A breakpoint on the fourth NOP, then past it. */
  call = (Call){ .breakpoints = breakpoints, .n_breakpoints = 2 };
  vp_call (&vm->vps[0], do_set_debug_state, &call);
  g_assert_no_error (call.error);
  call = (Call){ 0 };
  vp_call (&vm->vps[0], do_run, &call);
  assert_exit (call.exit, HULL_VP_EXIT_HW_BREAK);
  g_assert_cmpuint (call.detail.breakpoint, ==, 1);
  g_assert_cmphex (vm_get_registers (vm, 0).rip, ==, CODE + 3);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 1);

  call = (Call){ .breakpoints = breakpoints, .n_breakpoints = 5 };
  vp_call (&vm->vps[0], do_set_debug_state, &call);
  g_assert_error (call.error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  call_clear (&call);
}

/* ------------------------------------------------------------------ */
/* Interrupts, inspect */

static GVariant *
saved_routes (HullPartition *partition)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = partition->ops->save (partition, &error);
  g_autoptr (GVariant) state = NULL;

  g_assert_no_error (error);
  state = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE ("(uuayayayay(tu)a(ytu))"), bytes, FALSE));
  return g_variant_get_child_value (state, 7);
}

static void
test_interrupts (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  g_autoptr (Vm) fresh = vm_new (1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) node = NULL;
  g_autoptr (GVariant) routes = NULL;
  g_autoptr (GBytes) state = NULL;
  HullMsi msi = { 0xfee00000, 0x30 };
  HullPartition *p = vm->partition;

  p->ops->request_msi (p, 0, &msi);
  p->ops->ioapic_set_route (p, 4, &msi);
  p->ops->ioapic_set_route (p, 4, NULL);
  p->ops->ioapic_set_route (p, 5, &msi);
  p->ops->ioapic_assert (p, 4);
  p->ops->ioapic_assert (p, 5);
  node = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (node, "msis") + lookup_uint (node, "msis-dropped"), ==, 1);
  g_assert_cmpuint (lookup_uint (node, "ioapic-routes"), ==, 3);
  g_assert_cmpuint (lookup_uint (node, "ioapic-asserts"), ==, 2);

  /* Routes are saved state. */
  routes = saved_routes (p);
  g_assert_cmpuint (g_variant_n_children (routes), ==, 1);
  state = p->ops->save (p, &error);
  g_assert_no_error (error);
  g_assert_true (fresh->partition->ops->restore (fresh->partition, state, &error));
  g_assert_no_error (error);
  g_clear_pointer (&routes, g_variant_unref);
  routes = saved_routes (fresh->partition);
  g_assert_cmpuint (g_variant_n_children (routes), ==, 1);

  /* Reset puts back KVM's default routing. */
  g_assert_true (hull_partition_reset (fresh->partition, &error));
  g_clear_pointer (&routes, g_variant_unref);
  routes = saved_routes (fresh->partition);
  g_assert_cmpuint (g_variant_n_children (routes), ==, 0);
}

static void
test_inspect (void)
{
  g_autoptr (Vm) vm = vm_new (1);
  g_autoptr (GVariant) node = NULL;
  g_autoptr (GVariant) exits = NULL;
  const char *name = NULL;
  Call call = { 0 };

  bus_set_value (&vm->bus, FALSE, 0x71, 0xa5);
  vm_start (vm, 0, CODE, io_guest, sizeof io_guest);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);

  node = vm_inspect (vm, "");
  g_assert_true (g_variant_lookup (node, "backend", "&s", &name));
  g_assert_cmpstr (name, ==, "kvm");
  g_assert_cmpuint (lookup_uint (node, "memory-slots"), ==, 1);
  exits = vm_inspect (vm, "exits");
  g_assert_cmpuint (lookup_uint (exits, "io"), >=, 10);

  vp_call (&vm->vps[0], do_inspect, &call);
  g_assert_no_error (call.error);
  g_assert_true (g_variant_lookup (call.inspected, "mode", "&s", &name));
  g_assert_cmpstr (name, ==, "long");
  g_assert_cmpuint (lookup_uint (call.inspected, "completions"), ==, 1);
  call_clear (&call);
}

/* Processor ops check that they run on the bound thread. */
static void
test_wrong_thread (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (Vm) vm = vm_new (1);
      HullX86Registers regs;

      hull_processor_get_state (vm->vps[0].processor, 0, HULL_REGISTER_GROUP_REGISTERS, &regs,
                                sizeof regs, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*thread == g_thread_self*");
}

/* ------------------------------------------------------------------ */

typedef struct
{
  const char *path;
  GTestDataFunc func;
  gconstpointer data;
} Case;

static void
test_simple (gconstpointer data)
{
  ((void (*) (void))data) ();
}

#define SIMPLE(path, func)                                                                         \
  {                                                                                                \
    path, test_simple, (gconstpointer)(gsize)func                                                  \
  }

/* Every case skips without a usable /dev/kvm. */
static void
run_case (gconstpointer data)
{
  const Case *c = data;

  if (skip_reason != NULL)
    {
      g_test_skip (skip_reason);
      return;
    }
  c->func (c->data);
}

int
main (int argc, char **argv)
{
  static const Case cases[] = {
    SIMPLE ("/hull/kvm/module", test_module),
    SIMPLE ("/hull/kvm/probe", test_probe),
    SIMPLE ("/hull/kvm/open/device-fd", test_device_fd),
    SIMPLE ("/hull/kvm/cpuid/topology", test_cpuid),
    SIMPLE ("/hull/kvm/unsupported-settings-refused", test_unsupported),
    SIMPLE ("/hull/kvm/caps", test_caps),
    SIMPLE ("/hull/kvm/exit/io", test_io),
    SIMPLE ("/hull/kvm/exit/mmio", test_mmio),
    { "/hull/kvm/exit/split-mmio/stop-between-fragments", test_split_mmio, GUINT_TO_POINTER (0) },
    { "/hull/kvm/exit/split-mmio/yield-between-fragments", test_split_mmio,
      GUINT_TO_POINTER (SPLIT_YIELD) },
    { "/hull/kvm/exit/split-mmio/stop-between-fragments-kicked", test_split_mmio,
      GUINT_TO_POINTER (SPLIT_KICKS) },
    { "/hull/kvm/exit/split-mmio/yield-between-fragments-kicked", test_split_mmio,
      GUINT_TO_POINTER (SPLIT_YIELD | SPLIT_KICKS) },
    SIMPLE ("/hull/kvm/exit/triple-fault", test_triple_fault),
    SIMPLE ("/hull/kvm/exit/fatal-internal-error", test_fatal),
    SIMPLE ("/hull/kvm/exit/invalid-state", test_invalid_state),
    SIMPLE ("/hull/kvm/stop/before-run", test_stop_before_run),
    SIMPLE ("/hull/kvm/stop/from-device-callback", test_stop_from_device),
    SIMPLE ("/hull/kvm/yield/before-run-runs-nothing", test_yield_before_run),
    SIMPLE ("/hull/kvm/yield/1000-kicks-none-lost", test_kick_stress),
    SIMPLE ("/hull/kvm/yield/kicks-at-run-entry-none-lost", test_kick_at_entry),
    SIMPLE ("/hull/kvm/yield/ap-waits-until-kicked", test_ap_waits_until_kicked),
    SIMPLE ("/hull/kvm/lint/nmi", test_nmi),
    SIMPLE ("/hull/kvm/state/round-trip", test_state_round_trip),
    SIMPLE ("/hull/kvm/state/refused", test_state_refused),
    SIMPLE ("/hull/kvm/reset/reruns-from-reset-vector", test_reset),
    SIMPLE ("/hull/kvm/save-restore/continues-in-fresh-partition", test_save_restore),
    SIMPLE ("/hull/kvm/save-restore/corrupt-refused", test_restore_corrupt),
    { "/hull/kvm/smp/2", test_smp, GUINT_TO_POINTER (2) },
    { "/hull/kvm/smp/4", test_smp, GUINT_TO_POINTER (4) },
    SIMPLE ("/hull/kvm/debug/step-and-breakpoints", test_debug),
    SIMPLE ("/hull/kvm/interrupts/routes-and-counters", test_interrupts),
    SIMPLE ("/hull/kvm/inspect", test_inspect),
    SIMPLE ("/hull/kvm/processor/wrong-thread-aborts", test_wrong_thread),
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *reason = NULL;
  HullHypervisorConfig config = { .device_fd = -1 };
  HullBackendModuleFunc func = NULL;
  GModule *module;
  int fd, ret;

  g_test_init (&argc, &argv, NULL);

  module = g_module_open (HULL_KVM_BACKEND_PATH, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    g_error ("cannot load %s: %s", HULL_KVM_BACKEND_PATH, g_module_error ());
  if (!g_module_symbol (module, HULL_BACKEND_MODULE_SYMBOL, (gpointer *)&func) || func == NULL)
    g_error ("%s has no %s", HULL_KVM_BACKEND_PATH, HULL_BACKEND_MODULE_SYMBOL);
  backend = func ();

  fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    reason = g_strdup_printf ("/dev/kvm: %s", g_strerror (errno));
  else
    {
      close (fd);
      hypervisor = backend->hypervisor->open (&config, &error);
      if (hypervisor == NULL)
        reason = g_strdup (error->message);
    }
  skip_reason = reason;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], run_case);
  ret = g_test_run ();

  if (hypervisor != NULL)
    hypervisor->ops->close (hypervisor);
  g_module_close (module);
  return ret;
}
