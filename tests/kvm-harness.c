/* kvm-harness.c — see kvm-harness.h. */
#include "config.h"

#include "kvm-harness.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

const HullBackendModule *backend;
HullHypervisor *hypervisor;

/* ------------------------------------------------------------------ */
/* VMs */

HullDomainDef *
def_new (void)
{
  HullDomainDef *def = hull_domain_def_new ();

  def->type = HULL_DOMAIN_TYPE_KVM;
  def->name = g_strdup ("kvm-test");
  return def;
}

/* @cores VPs in one socket, @threads per core. */
HullProcessorTopology *
topology_new (guint cores, guint threads, HullX2ApicRequest x2apic)
{
  g_autoptr (GError) error = NULL;
  HullProcessorTopology *topology
      = hull_processor_topology_new (1, 1, cores, threads, x2apic, 0, &error);

  g_assert_no_error (error);
  return topology;
}

/* RAM [0, 4 MiB), and with @reset_rom 64 KiB below 4 GiB for the reset vector. */
HullGuestMemory *
memory_new (gboolean reset_rom)
{
  const HullMemoryRange ranges[] = { { 0, RAM_SIZE }, { 0xffff0000u, 0x100000000u } };
  g_autoptr (GError) error = NULL;
  HullGuestMemory *memory = hull_guest_memory_new_for_ranges (ranges, reset_rom ? 2 : 1, &error);

  g_assert_no_error (error);
  return memory;
}

void
vm_free (Vm *vm)
{
  for (guint i = 0; i < vm->n_vps; i++)
    vp_finish (&vm->vps[i]);
  if (vm->partition != NULL)
    vm->partition->ops->destroy (vm->partition);
  g_free (vm->vps);
  bus_destroy (&vm->bus);
  hull_guest_memory_unref (vm->memory);
  hull_processor_topology_free (vm->topology);
  hull_domain_def_free (vm->def);
  g_free (vm);
}

/* The bus's devices stop the writing VP. */
static void
vm_stop_vp (gpointer data, guint vp)
{
  Vm *vm = data;

  g_atomic_int_set (&vm->vps[vp].stop, 1);
}

/* Builds and binds a VM of @n_vps VPs (one socket, one thread per core) on
 * @hv. */
Vm *
vm_new_on (HullHypervisor *hv, guint n_vps, gboolean reset_rom)
{
  g_autoptr (GError) error = NULL;
  HullProtoPartitionConfig proto_config = { 0 };
  HullPartitionConfig config = { 0 };
  HullProtoPartition *proto;
  HullProcessorBinder **binders = NULL;
  Vm *vm = g_new0 (Vm, 1);

  vm->def = def_new ();
  vm->topology = topology_new (n_vps, 1, HULL_X2APIC_REQUEST_SUPPORTED);
  vm->memory = memory_new (reset_rom);
  vm->n_vps = n_vps;
  bus_init (&vm->bus);
  vm->bus.stop_port = STOP_PORT;
  vm->bus.stop_vp = vm_stop_vp;
  vm->bus.vp_data = vm;

  proto_config.def = vm->def;
  proto_config.topology = vm->topology;
  proto = hv->ops->new_proto_partition (hv, &proto_config, &error);
  g_assert_no_error (error);
  config.memory = vm->memory;
  vm->partition = proto->ops->build (proto, &config, &binders, &error);
  g_assert_no_error (error);

  vm->vps = g_new0 (Vp, n_vps);
  for (guint i = 0; i < n_vps; i++)
    {
      Vp *vp = &vm->vps[i];
      Call call = { 0 };

      vp_start (vp, i, binders[i], &vm->bus);
      vp_call (vp, do_bind, &call);
      g_assert_no_error (call.error);
      g_assert_true (call.ok);
    }
  g_free (binders);
  return vm;
}

Vm *
vm_new_full (guint n_vps, gboolean reset_rom)
{
  return vm_new_on (hypervisor, n_vps, reset_rom);
}

Vm *
vm_new (guint n_vps)
{
  return vm_new_full (n_vps, FALSE);
}

void
vm_write (Vm *vm, guint64 gpa, gconstpointer data, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (hull_guest_memory_write (vm->memory, gpa, data, len, &error));
  g_assert_no_error (error);
}

gboolean
vm_set_state (Vm *vm, guint vp, HullRegisterGroup group, gconstpointer buffer, gsize size,
              GError **error)
{
  Call call = { .group = group, .buffer = (gpointer)buffer, .size = size };

  vp_call (&vm->vps[vp], do_set_state, &call);
  if (call.error != NULL)
    g_propagate_error (error, g_steal_pointer (&call.error));
  return call.ok;
}

void
vm_get_state (Vm *vm, guint vp, HullRegisterGroup group, gpointer buffer, gsize size)
{
  Call call = { .group = group, .buffer = buffer, .size = size };

  vp_call (&vm->vps[vp], do_get_state, &call);
  g_assert_no_error (call.error);
  g_assert_true (call.ok);
}

HullX86Registers
vm_get_registers (Vm *vm, guint vp)
{
  HullX86Registers regs;

  vm_get_state (vm, vp, HULL_REGISTER_GROUP_REGISTERS, &regs, sizeof regs);
  return regs;
}

static HullX86Segment
segment (guint16 selector, guint32 limit, guint16 attributes)
{
  HullX86Segment s = { 0, limit, selector, attributes };

  return s;
}

/* The loader's 64-bit entry state (docs/x86-boot.md), at @rip. */
HullX86Registers
long_mode_registers (guint64 rip)
{
  HullX86Registers r;

  memset (&r, 0, sizeof r);
  r.rip = rip;
  r.rsp = r.rbp = 0x8ff0;
  r.rsi = 0x7000;
  r.rflags = 0x2;
  r.cs = segment (0x10, 0xffffffff, 0xa09b);
  r.ds = r.es = r.fs = r.gs = r.ss = segment (0x18, 0xffffffff, 0xc093);
  r.tr = segment (0, 0x67, 0x008b);
  r.gdtr.base = 0x500;
  r.gdtr.limit = 31;
  r.idtr.base = 0x520;
  r.idtr.limit = 0;
  r.cr0 = 0x80000011;
  r.cr3 = 0x9000;
  r.cr4 = 0x20;
  r.efer = 0x500;
  return r;
}

/* GDT and identity-mapped page tables for 4 GiB (2 MiB pages). */
void
vm_write_tables (Vm *vm)
{
  const guint64 gdt[4] = { 0, 0, 0x00af9b000000ffffull, 0x00cf93000000ffffull };
  guint8 page[4096];

  vm_write (vm, 0x500, gdt, sizeof gdt);
  memset (page, 0, sizeof page);
  store_le (page, 0xa000 | 0x3, 8);
  vm_write (vm, 0x9000, page, sizeof page);
  memset (page, 0, sizeof page);
  for (guint i = 0; i < 4; i++)
    store_le (page + 8 * i, (0xb000 + 0x1000 * i) | 0x3, 8);
  vm_write (vm, 0xa000, page, sizeof page);
  for (guint pd = 0; pd < 4; pd++)
    {
      for (guint i = 0; i < 512; i++)
        store_le (page + 8 * i, (((guint64)pd * 512 + i) << 21) | 0x83, 8);
      vm_write (vm, 0xb000 + 0x1000 * pd, page, sizeof page);
    }
}

/* Loads @code at @gpa and points VP @vp at it in 64-bit mode. */
void
vm_start (Vm *vm, guint vp, guint64 gpa, const guint8 *code, gsize len)
{
  g_autoptr (GError) error = NULL;
  HullX86Registers regs = long_mode_registers (gpa);

  vm_write_tables (vm);
  vm_write (vm, gpa, code, len);
  g_assert_true (vm_set_state (vm, vp, HULL_REGISTER_GROUP_REGISTERS, &regs, sizeof regs, &error));
  g_assert_no_error (error);
}

/* Runs VP @vp once; the caller frees the message. */
HullVpExit
vm_run_detail (Vm *vm, guint vp, char **message)
{
  Call call = { 0 };

  vp_call (&vm->vps[vp], do_run, &call);
  if (message != NULL)
    *message = g_steal_pointer (&call.detail.message);
  g_assert_null (call.detail.message);
  return call.exit;
}

HullVpExit
vm_run (Vm *vm, guint vp)
{
  g_autofree char *message = NULL;
  HullVpExit exit = vm_run_detail (vm, vp, &message);

  if (message != NULL)
    g_test_message ("VP %u: %s", vp, message);
  g_atomic_int_set (&vm->vps[vp].stop, 0);
  return exit;
}

GBytes *
vm_save (Vm *vm, guint vp)
{
  return vp_save (&vm->vps[vp]);
}

gboolean
vm_restore (Vm *vm, guint vp, GBytes *bytes, GError **error)
{
  return vp_restore (&vm->vps[vp], bytes, error);
}

GVariant *
vm_inspect (Vm *vm, const char *path)
{
  return partition_inspect (vm->partition, path);
}

/* XSAVE is KVM_GET_XSAVE2's size, at least struct kvm_xsave. */
gsize
xsave_size (void)
{
  int fd = open ("/dev/kvm", O_RDWR | O_CLOEXEC);
  int n = ioctl (fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);

  close (fd);
  return MAX ((gsize)MAX (n, 0), sizeof (struct kvm_xsave));
}

/* ------------------------------------------------------------------ */
/* Kicker */

struct _Kicker
{
  Vm *vm;
  guint vp;
  guint max_sleep_us;
  gint quit;
  guint requests;
  GThread *thread;
};

static gpointer
kicker_thread (gpointer data)
{
  Kicker *kicker = data;

  while (!g_atomic_int_get (&kicker->quit))
    {
      hull_partition_request_yield (kicker->vm->partition, kicker->vp);
      kicker->requests++;
      g_usleep (g_random_int_range (0, (gint32)kicker->max_sleep_us + 1));
    }
  return NULL;
}

Kicker *
kicker_start (Vm *vm, guint vp, guint max_sleep_us)
{
  Kicker *kicker = g_new0 (Kicker, 1);

  kicker->vm = vm;
  kicker->vp = vp;
  kicker->max_sleep_us = max_sleep_us;
  kicker->thread = g_thread_new ("test-kvm-kicker", kicker_thread, kicker);
  return kicker;
}

guint
kicker_stop (Kicker *kicker)
{
  guint requests;

  g_atomic_int_set (&kicker->quit, 1);
  g_thread_join (kicker->thread);
  requests = kicker->requests;
  g_free (kicker);
  return requests;
}
