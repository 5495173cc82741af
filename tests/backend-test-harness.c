/* backend-test-harness.c — see backend-test-harness.h. */
#include "config.h"

#include "backend-test-harness.h"

#include <gmodule.h>
#include <string.h>

#include "hull-error.h"

const HullBackendModule *backend;

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

void
bus_init (Bus *bus)
{
  hull_mutex_init (&bus->lock);
  bus->accesses = g_array_new (FALSE, TRUE, sizeof (Access));
  bus->registers = g_array_new (FALSE, TRUE, sizeof (Register));
}

void
bus_clear (Bus *bus)
{
  g_array_unref (bus->accesses);
  g_array_unref (bus->registers);
  hull_mutex_clear (&bus->lock);
}

/* Before any VP runs. */
void
bus_add_register (Bus *bus, gboolean mmio, guint64 address, guint64 value)
{
  Register reg = { mmio, address, value };

  g_array_append_val (bus->registers, reg);
}

/* Called with the lock held. */
Register *
bus_find_register (Bus *bus, gboolean mmio, guint64 address)
{
  for (guint i = 0; i < bus->registers->len; i++)
    {
      Register *reg = &g_array_index (bus->registers, Register, i);

      if (reg->mmio == mmio && reg->address == address)
        return reg;
    }
  return NULL;
}

/* Called with the lock held. */
void
bus_record (Bus *bus, AccessKind kind, guint vp, guint64 address, gsize size, guint64 value)
{
  Access access = { kind, vp, address, size, value };

  g_array_append_val (bus->accesses, access);
}

void
bus_after_write (Bus *bus, guint vp)
{
  gboolean yield, stop;

  hull_mutex_lock (&bus->lock);
  bus->n_writes++;
  yield = bus->yield_after != 0 && bus->n_writes == bus->yield_after;
  stop = bus->stop_after != NULL && bus->n_writes == bus->stop_after_writes;
  hull_mutex_unlock (&bus->lock);

  /* What a device does from inside a callback: halt the VM, or kick. */
  if (stop)
    g_atomic_int_set (bus->stop_after, 1);
  if (yield)
    bus->partition->ops->request_yield (bus->partition, vp);
}

gboolean
bus_is_mmio (gpointer data, guint64 address)
{
  return TRUE;
}

gint
bus_acknowledge_pic_interrupt (gpointer data)
{
  return -1;
}

void
bus_handle_eoi (gpointer data, guint32 irq)
{
}

void
bus_read (Bus *bus, AccessKind kind, guint vp, guint64 address, guint8 *buffer, gsize len)
{
  Register *reg;

  hull_mutex_lock (&bus->lock);
  reg = bus_find_register (bus, kind == ACCESS_MMIO_READ, address);
  if (reg != NULL)
    store_le (buffer, reg->value, len);
  else
    memset (buffer, 0xff, len);
  bus_record (bus, kind, vp, address, len, load_le (buffer, len));
  hull_mutex_unlock (&bus->lock);
}

void
bus_write (Bus *bus, AccessKind kind, guint vp, guint64 address, const guint8 *buffer, gsize len)
{
  guint64 value = load_le (buffer, len);
  Register *reg;

  hull_mutex_lock (&bus->lock);
  reg = bus_find_register (bus, kind == ACCESS_MMIO_WRITE, address);
  if (reg != NULL)
    reg->value = value;
  bus_record (bus, kind, vp, address, len, value);
  hull_mutex_unlock (&bus->lock);
  bus_after_write (bus, vp);
}

void
bus_read_mmio (gpointer data, guint vp, guint64 address, guint8 *buffer, gsize len)
{
  bus_read (data, ACCESS_MMIO_READ, vp, address, buffer, len);
}

void
bus_write_mmio (gpointer data, guint vp, guint64 address, const guint8 *buffer, gsize len)
{
  bus_write (data, ACCESS_MMIO_WRITE, vp, address, buffer, len);
}

void
bus_read_io (gpointer data, guint vp, guint16 port, guint8 *buffer, gsize len)
{
  bus_read (data, ACCESS_IN, vp, port, buffer, len);
}

void
bus_write_io (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len)
{
  bus_write (data, ACCESS_OUT, vp, port, buffer, len);
}

HullVpExit
bus_fatal_error (gpointer data, guint vp, const char *message)
{
  return HULL_VP_EXIT_FATAL;
}

static const HullCpuIo bus_io = {
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

Access
bus_get (Bus *bus, guint i)
{
  Access access;

  hull_mutex_lock (&bus->lock);
  g_assert_cmpuint (i, <, bus->accesses->len);
  access = g_array_index (bus->accesses, Access, i);
  hull_mutex_unlock (&bus->lock);
  return access;
}

void
assert_access (Bus *bus, guint i, AccessKind kind, guint vp, guint64 address, gsize size,
               guint64 value)
{
  Access access = bus_get (bus, i);

  g_assert_cmpint (access.kind, ==, kind);
  g_assert_cmpuint (access.vp, ==, vp);
  g_assert_cmphex (access.address, ==, address);
  g_assert_cmpuint (access.size, ==, size);
  g_assert_cmphex (access.value, ==, value);
}

/* ------------------------------------------------------------------ */
/* VP threads: processor ops run on the thread that bound the processor */

gpointer
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

/* Whether the job finished within @timeout_us. */
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

/* After job_wait() said it is done. */
void
job_free (Job *job)
{
  g_free (job);
}

/* Runs @func on @vp's thread and waits for it. */
void
vp_call (Vp *vp, VpFunc func, gpointer data)
{
  Job *job = job_start (vp, func, data);

  g_assert_true (job_wait (job, JOB_TIMEOUT_US));
  job_free (job);
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
  vp->binder = NULL; /* consumed, also on failure */
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

  call->exit = vp->processor->ops->run (vp->processor, &vp->stop, &bus_io, vp->bus, &call->detail);
}

void
do_get_state (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = hull_processor_get_state (vp->processor, call->vtl, call->group, call->buffer,
                                       call->size, &call->error);
}

void
do_set_state (Vp *vp, gpointer data)
{
  Call *call = data;

  call->ok = hull_processor_set_state (vp->processor, call->vtl, call->group, call->buffer,
                                       call->size, &call->error);
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

  call->ok
      = vp->processor->ops->set_debug_state (vp->processor, call->vtl, call->single_step,
                                             call->breakpoints, call->n_breakpoints, &call->error);
}

void
inspect_processor (gpointer object, HullInspectRequest *request)
{
  HullProcessor *processor = object;

  processor->ops->inspect (processor, request);
}

void
do_inspect (Vp *vp, gpointer data)
{
  Call *call = data;

  call->inspected = hull_inspect (call->path, 1, inspect_processor, vp->processor,
                                  HULL_INSPECT_NO_TIMEOUT, &call->error);
}

/* ------------------------------------------------------------------ */
/* VMs */

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
      hull_mutex_clear (&vp->lock);
      hull_cond_clear (&vp->queued);
      hull_cond_clear (&vp->finished);
    }
  g_free (vm->vps);
  if (vm->partition != NULL)
    vm->partition->ops->destroy (vm->partition);
  if (vm->hypervisor != NULL)
    backend->hypervisor->close (vm->hypervisor);
  hull_processor_topology_free (vm->topology);
  hull_domain_def_free (vm->def);
  bus_clear (&vm->bus);
  g_free (vm);
}

/* Parses @xml and builds its partition, with a thread per VP (not bound). */
Vm *
vm_try_new (const char *xml, GError **error)
{
  g_autoptr (Vm) vm = g_new0 (Vm, 1);
  HullProtoPartitionConfig proto_config = { 0 };
  HullPartitionConfig config = { 0 };
  HullProtoPartition *proto;
  HullProcessorBinder **binders = NULL;

  bus_init (&vm->bus);
  vm->def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, error);
  if (vm->def == NULL)
    return NULL;
  vm->topology = hull_domain_def_build_topology (vm->def, error);
  if (vm->topology == NULL)
    return NULL;
  vm->hypervisor = backend->hypervisor->open (&(HullHypervisorConfig){ .device_fd = -1 }, error);
  if (vm->hypervisor == NULL)
    return NULL;

  proto_config.def = vm->def;
  proto_config.topology = vm->topology;
  proto = vm->hypervisor->ops->new_proto_partition (vm->hypervisor, &proto_config, error);
  if (proto == NULL)
    return NULL;
  g_assert_cmpuint (proto->ops->max_physical_address_bits (proto), ==, 46);
  vm->partition = proto->ops->build (proto, &config, &binders, error);
  if (vm->partition == NULL)
    return NULL;
  vm->bus.partition = vm->partition;

  vm->n_vps = hull_processor_topology_get_vp_count (vm->topology);
  vm->vps = g_new0 (Vp, vm->n_vps);
  for (guint i = 0; i < vm->n_vps; i++)
    {
      Vp *vp = &vm->vps[i];
      g_autofree char *name = g_strdup_printf ("vp%u", i);

      g_assert_cmpuint (binders[i]->vp_index, ==, i);
      vp->index = i;
      vp->binder = binders[i];
      vp->bus = &vm->bus;
      hull_mutex_init (&vp->lock);
      hull_cond_init (&vp->queued);
      hull_cond_init (&vp->finished);
      g_queue_init (&vp->jobs);
      vp->thread = g_thread_new (name, vp_thread, vp);
    }
  g_free (binders);
  return g_steal_pointer (&vm);
}

gboolean
vm_bind (Vm *vm, guint i, GError **error)
{
  Call call = { 0 };

  vp_call (&vm->vps[i], do_bind, &call);
  if (!call.ok)
    g_propagate_error (error, g_steal_pointer (&call.error));
  return call.ok;
}

/* A VM with every VP bound. */
Vm *
vm_new (const char *xml)
{
  g_autoptr (GError) error = NULL;
  Vm *vm = vm_try_new (xml, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < vm->n_vps; i++)
    {
      vm_bind (vm, i, &error);
      g_assert_no_error (error);
    }
  return vm;
}

/* A test domain with @vcpus VPs and the hull: elements in @hull. */
char *
domain_xml (guint vcpus, const char *hull)
{
  return g_strdup_printf ("<domain type='test' xmlns:hull='https://hullvm.org/schemas/domain/1'>\n"
                          "  <name>backend-test</name>\n"
                          "  <memory unit='MiB'>16</memory>\n"
                          "  <vcpu>%u</vcpu>\n"
                          "%s\n"
                          "</domain>\n",
                          vcpus, hull);
}

/* A test domain whose <hull:test-program> holds @program. */
char *
program_xml (guint vcpus, const char *program)
{
  g_autofree char *hull = g_strdup_printf ("<hull:test-program>%s</hull:test-program>", program);

  return domain_xml (vcpus, hull);
}

Vm *
vm_new_program (guint vcpus, const char *program)
{
  g_autofree char *xml = program_xml (vcpus, program);

  return vm_new (xml);
}

/* Runs VP @i to its next exit; *@message gets the detail's message. */
HullVpExit
vm_run_detail (Vm *vm, guint i, HullVpExitDetail *detail)
{
  Call call = { 0 };
  HullVpExit exit;

  vp_call (&vm->vps[i], do_run, &call);
  exit = call.exit;
  *detail = call.detail;
  return exit;
}

HullVpExit
vm_run (Vm *vm, guint i)
{
  HullVpExitDetail detail;
  HullVpExit exit = vm_run_detail (vm, i, &detail);

  g_assert_null (detail.message);
  return exit;
}

void
assert_exit (HullVpExit actual, HullVpExit expected)
{
  g_assert_cmpstr (hull_vp_exit_to_string (actual), ==, hull_vp_exit_to_string (expected));
}

HullX86Registers
vm_get_registers (Vm *vm, guint i)
{
  HullX86Registers regs;
  Call call = { .group = HULL_REGISTER_GROUP_REGISTERS, .buffer = &regs, .size = sizeof regs };

  vp_call (&vm->vps[i], do_get_state, &call);
  g_assert_no_error (call.error);
  g_assert_true (call.ok);
  return regs;
}

gboolean
vm_set_registers (Vm *vm, guint i, const HullX86Registers *regs, GError **error)
{
  Call call
      = { .group = HULL_REGISTER_GROUP_REGISTERS, .buffer = (gpointer)regs, .size = sizeof *regs };

  vp_call (&vm->vps[i], do_set_state, &call);
  if (call.error != NULL)
    g_propagate_error (error, g_steal_pointer (&call.error));
  return call.ok;
}

GBytes *
vm_save (Vm *vm, guint i)
{
  Call call = { 0 };

  vp_call (&vm->vps[i], do_save, &call);
  g_assert_no_error (call.error);
  return call.bytes;
}

gboolean
vm_restore (Vm *vm, guint i, GBytes *bytes, GError **error)
{
  Call call = { .bytes = bytes };

  vp_call (&vm->vps[i], do_restore, &call);
  if (call.error != NULL)
    g_propagate_error (error, g_steal_pointer (&call.error));
  return call.ok;
}

gboolean
vm_set_debug_state (Vm *vm, guint i, gboolean single_step, const guint64 *breakpoints,
                    guint n_breakpoints, GError **error)
{
  Call call
      = { .single_step = single_step, .breakpoints = breakpoints, .n_breakpoints = n_breakpoints };

  vp_call (&vm->vps[i], do_set_debug_state, &call);
  if (call.error != NULL)
    g_propagate_error (error, g_steal_pointer (&call.error));
  return call.ok;
}

/* The processor's inspect node (its fields). */
GVariant *
vm_inspect_vp (Vm *vm, guint i)
{
  Call call = { .path = "" };

  vp_call (&vm->vps[i], do_inspect, &call);
  g_assert_no_error (call.error);
  return call.inspected;
}

void
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
lookup_uint (GVariant *node, const char *name)
{
  guint64 value = G_MAXUINT64;

  g_assert_true (g_variant_lookup (node, name, "t", &value));
  return value;
}

void
vm_request_yield (Vm *vm, guint i)
{
  hull_partition_request_yield (vm->partition, i);
}
