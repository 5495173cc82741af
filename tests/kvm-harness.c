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
/* The bus: a CpuIo that records accesses */

guint64
load_le (const guint8 *buffer, gsize size)
{
  guint64 value = 0;

  for (gsize i = 0; i < size; i++)
    value |= (guint64)buffer[i] << (8 * i);
  return value;
}

void
store_le (guint8 *buffer, guint64 value, gsize size)
{
  for (gsize i = 0; i < size; i++)
    buffer[i] = (guint8)(value >> (8 * i));
}

static guint64
bus_key (gboolean mmio, guint64 address)
{
  return ((guint64)mmio << 63) | address;
}

/* Before any VP runs. */
void
bus_set_value (Bus *bus, gboolean mmio, guint64 address, guint64 value)
{
  g_hash_table_insert (bus->values, g_memdup2 (&(guint64){ bus_key (mmio, address) }, 8),
                       g_memdup2 (&value, 8));
}

static void bus_stop_vp (Bus *bus, guint vp);

static void
bus_read (Bus *bus, AccessKind kind, guint vp, guint64 address, guint8 *buffer, gsize len)
{
  guint64 key = bus_key (kind == ACCESS_MMIO_READ, address);
  guint64 *value;
  Access access = { kind, vp, address, len, 0 };

  hull_mutex_lock (&bus->lock);
  value = g_hash_table_lookup (bus->values, &key);
  store_le (buffer, value != NULL ? *value : G_MAXUINT64, len);
  access.value = load_le (buffer, len);
  g_array_append_val (bus->accesses, access);
  hull_mutex_unlock (&bus->lock);
  if (bus->hook != NULL)
    bus->hook (bus, &access, bus->hook_data);
}

static void
bus_write (Bus *bus, AccessKind kind, guint vp, guint64 address, const guint8 *buffer, gsize len)
{
  Access access = { kind, vp, address, len, load_le (buffer, len) };
  gboolean stop;

  hull_mutex_lock (&bus->lock);
  g_array_append_val (bus->accesses, access);
  bus->n_writes++;
  stop = (kind == ACCESS_OUT && address == STOP_PORT)
         || (bus->stop_after_writes != 0 && bus->n_writes == bus->stop_after_writes);
  hull_mutex_unlock (&bus->lock);
  if (bus->hook != NULL)
    bus->hook (bus, &access, bus->hook_data);
  /* What a device does from inside a callback: halt the VM. */
  if (stop)
    bus_stop_vp (bus, vp);
}

static gboolean
bus_is_mmio (gpointer data, guint64 address)
{
  return TRUE;
}

static gint
bus_acknowledge_pic_interrupt (gpointer data)
{
  return -1;
}

static void
bus_handle_eoi (gpointer data, guint32 irq)
{
}

static void
bus_read_mmio (gpointer data, guint vp, guint64 address, guint8 *buffer, gsize len)
{
  bus_read (data, ACCESS_MMIO_READ, vp, address, buffer, len);
}

static void
bus_write_mmio (gpointer data, guint vp, guint64 address, const guint8 *buffer, gsize len)
{
  bus_write (data, ACCESS_MMIO_WRITE, vp, address, buffer, len);
}

static void
bus_read_io (gpointer data, guint vp, guint16 port, guint8 *buffer, gsize len)
{
  bus_read (data, ACCESS_IN, vp, port, buffer, len);
}

static void
bus_write_io (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len)
{
  bus_write (data, ACCESS_OUT, vp, port, buffer, len);
}

static HullVpExit
bus_fatal_error (gpointer data, guint vp, const char *message)
{
  Bus *bus = data;

  hull_mutex_lock (&bus->lock);
  bus->fatal_errors++;
  hull_mutex_unlock (&bus->lock);
  return HULL_VP_EXIT_FATAL;
}

const HullCpuIo bus_io = {
  .is_mmio = bus_is_mmio,
  .acknowledge_pic_interrupt = bus_acknowledge_pic_interrupt,
  .handle_eoi = bus_handle_eoi,
  .read_mmio = bus_read_mmio,
  .write_mmio = bus_write_mmio,
  .read_io = bus_read_io,
  .write_io = bus_write_io,
  .fatal_error = bus_fatal_error,
};

guint
bus_count (Bus *bus)
{
  guint n;

  hull_mutex_lock (&bus->lock);
  n = bus->accesses->len;
  hull_mutex_unlock (&bus->lock);
  return n;
}

guint
bus_count_kind (Bus *bus, AccessKind kind)
{
  guint n = 0;

  hull_mutex_lock (&bus->lock);
  for (guint i = 0; i < bus->accesses->len; i++)
    n += g_array_index (bus->accesses, Access, i).kind == kind;
  hull_mutex_unlock (&bus->lock);
  return n;
}

/* Forgets the accesses and writes recorded so far. */
void
bus_clear (Bus *bus)
{
  hull_mutex_lock (&bus->lock);
  g_array_set_size (bus->accesses, 0);
  bus->n_writes = 0;
  hull_mutex_unlock (&bus->lock);
}

void
assert_access (Bus *bus, guint i, AccessKind kind, guint vp, guint64 address, gsize size,
               guint64 value)
{
  Access access;

  hull_mutex_lock (&bus->lock);
  g_assert_cmpuint (i, <, bus->accesses->len);
  access = g_array_index (bus->accesses, Access, i);
  hull_mutex_unlock (&bus->lock);
  g_assert_cmpint (access.kind, ==, kind);
  g_assert_cmpuint (access.vp, ==, vp);
  g_assert_cmphex (access.address, ==, address);
  g_assert_cmpuint (access.size, ==, size);
  g_assert_cmphex (access.value, ==, value);
}

/* ------------------------------------------------------------------ */
/* VP threads: processor ops run on the thread that bound the processor */

static void
bus_stop_vp (Bus *bus, guint vp)
{
  g_atomic_int_set (&bus->vm->vps[vp].stop, 1);
}

static gpointer
vp_thread (gpointer data)
{
  Vp *vp = data;

  for (;;)
    {
      Job *job;
      gboolean quit;

      hull_mutex_lock (&vp->lock);
      while (g_queue_is_empty (&vp->jobs))
        hull_cond_wait (&vp->queued, &vp->lock);
      job = g_queue_pop_head (&vp->jobs);
      hull_mutex_unlock (&vp->lock);

      quit = job->func == NULL;
      if (!quit)
        job->func (vp, job->data);
      hull_mutex_lock (&vp->lock);
      job->done = TRUE;
      hull_cond_broadcast (&vp->finished);
      hull_mutex_unlock (&vp->lock);
      if (quit)
        return NULL;
    }
}

Job *
job_start (Vp *vp, VpFunc func, gpointer data)
{
  Job *job = g_new0 (Job, 1);

  job->vp = vp;
  job->func = func;
  job->data = data;
  hull_mutex_lock (&vp->lock);
  g_queue_push_tail (&vp->jobs, job);
  hull_cond_signal (&vp->queued);
  hull_mutex_unlock (&vp->lock);
  return job;
}

gboolean
job_wait (Job *job, gint64 timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gboolean done;

  hull_mutex_lock (&job->vp->lock);
  while (!job->done)
    if (!hull_cond_wait_until (&job->vp->finished, &job->vp->lock, deadline))
      break;
  done = job->done;
  hull_mutex_unlock (&job->vp->lock);
  return done;
}

void
vp_call (Vp *vp, VpFunc func, gpointer data)
{
  Job *job = job_start (vp, func, data);

  g_assert_true (job_wait (job, JOB_TIMEOUT_US));
  g_free (job);
}

void
call_clear (Call *call)
{
  g_clear_error (&call->error);
  g_clear_pointer (&call->detail.message, g_free);
  g_clear_pointer (&call->bytes, g_bytes_unref);
  g_clear_pointer (&call->inspected, g_variant_unref);
}

void
do_bind (Vp *vp, gpointer data)
{
  Call *call = data;

  vp->processor = vp->binder->ops->bind (vp->binder, &call->error);
  vp->binder = NULL;
  call->ok = vp->processor != NULL;
}

void
do_unbind (Vp *vp, gpointer data)
{
  vp->processor->ops->unbind (vp->processor);
  vp->processor = NULL;
}

void
do_run (Vp *vp, gpointer data)
{
  Call *call = data;

  call->exit
      = vp->processor->ops->run (vp->processor, &vp->stop, &bus_io, &vp->vm->bus, &call->detail);
}

void
do_get_state (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = hull_processor_get_state (vp->processor, 0, call->group, call->buffer, call->size,
                                       &call->error);
}

void
do_set_state (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = hull_processor_set_state (vp->processor, 0, call->group, call->buffer, call->size,
                                       &call->error);
}

void
do_save (Vp *vp, gpointer data)
{
  Call *call = data;

  call->bytes = vp->processor->ops->save (vp->processor, &call->error);
  call->ok = call->bytes != NULL;
}

void
do_restore (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = vp->processor->ops->restore (vp->processor, call->bytes, &call->error);
}

void
do_reset (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = hull_processor_reset (vp->processor, &call->error);
}

void
do_set_debug_state (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = vp->processor->ops->set_debug_state (
      vp->processor, 0, call->single_step, call->breakpoints, call->n_breakpoints, &call->error);
}

static void
inspect_processor (gpointer object, HullInspectRequest *request)
{
  HullProcessor *processor = object;

  processor->ops->inspect (processor, request);
}

void
do_inspect (Vp *vp, gpointer data)
{
  Call *call = data;

  call->inspected = hull_inspect ("", 1, inspect_processor, vp->processor, HULL_INSPECT_NO_TIMEOUT,
                                  &call->error);
}

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
    {
      Vp *vp = &vm->vps[i];

      if (vp->processor != NULL)
        vp_call (vp, do_unbind, NULL);
      vp_call (vp, NULL, NULL);
      g_thread_join (vp->thread);
      g_assert_true (g_queue_is_empty (&vp->jobs));
      hull_mutex_clear (&vp->lock);
      hull_cond_clear (&vp->queued);
      hull_cond_clear (&vp->finished);
    }
  if (vm->partition != NULL)
    vm->partition->ops->destroy (vm->partition);
  g_free (vm->vps);
  g_array_unref (vm->bus.accesses);
  g_hash_table_unref (vm->bus.values);
  hull_mutex_clear (&vm->bus.lock);
  hull_guest_memory_unref (vm->memory);
  hull_processor_topology_free (vm->topology);
  hull_domain_def_free (vm->def);
  g_free (vm);
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
  hull_mutex_init (&vm->bus.lock);
  vm->bus.accesses = g_array_new (FALSE, TRUE, sizeof (Access));
  vm->bus.values = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  vm->bus.vm = vm;

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

      vp->index = i;
      vp->vm = vm;
      vp->binder = binders[i];
      hull_mutex_init (&vp->lock);
      hull_cond_init (&vp->queued);
      hull_cond_init (&vp->finished);
      g_queue_init (&vp->jobs);
      vp->thread = g_thread_new ("test-kvm-vp", vp_thread, vp);
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
  Call call = { 0 };

  vp_call (&vm->vps[vp], do_save, &call);
  g_assert_no_error (call.error);
  return call.bytes;
}

gboolean
vm_restore (Vm *vm, guint vp, GBytes *bytes, GError **error)
{
  Call call = { .bytes = bytes };

  vp_call (&vm->vps[vp], do_restore, &call);
  call.bytes = NULL;
  if (call.error != NULL)
    g_propagate_error (error, g_steal_pointer (&call.error));
  return call.ok;
}

static void
inspect_partition (gpointer object, HullInspectRequest *request)
{
  HullPartition *partition = object;

  partition->ops->inspect (partition, request);
}

GVariant *
vm_inspect (Vm *vm, const char *path)
{
  g_autoptr (GError) error = NULL;
  GVariant *node
      = hull_inspect (path, 1, inspect_partition, vm->partition, HULL_INSPECT_NO_TIMEOUT, &error);

  g_assert_no_error (error);
  return node;
}

guint64
lookup_uint (GVariant *node, const char *key)
{
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (node, key, "t", &value));
  return value;
}

void
assert_exit (HullVpExit exit, HullVpExit expected)
{
  g_assert_cmpstr (hull_vp_exit_to_string (exit), ==, hull_vp_exit_to_string (expected));
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
