/* backend-test-harness.c — see backend-test-harness.h. */
#include "config.h"

#include "backend-test-harness.h"

#include "hull-error.h"

const HullBackendModule *backend;

/* ------------------------------------------------------------------ */
/* VMs */

void
vm_free (Vm *vm)
{
  for (guint i = 0; i < vm->n_vps; i++)
    vp_finish (&vm->vps[i]);
  g_free (vm->vps);
  if (vm->partition != NULL)
    vm->partition->ops->destroy (vm->partition);
  if (vm->hypervisor != NULL)
    backend->hypervisor->close (vm->hypervisor);
  hull_processor_topology_free (vm->topology);
  hull_domain_def_free (vm->def);
  bus_destroy (&vm->bus);
  g_free (vm);
}

/* The bus's devices stop the writing VP, or kick it. */
static void
vm_stop_vp (gpointer data, guint i)
{
  Vm *vm = data;

  g_atomic_int_set (&vm->vps[i].stop, 1);
}

static void
vm_yield_vp (gpointer data, guint i)
{
  Vm *vm = data;

  hull_partition_request_yield (vm->partition, i);
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
  vm->bus.stop_vp = vm_stop_vp;
  vm->bus.yield_vp = vm_yield_vp;
  vm->bus.vp_data = vm;
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

  vm->n_vps = hull_processor_topology_get_vp_count (vm->topology);
  vm->vps = g_new0 (Vp, vm->n_vps);
  for (guint i = 0; i < vm->n_vps; i++)
    {
      g_assert_cmpuint (binders[i]->vp_index, ==, i);
      vp_start (&vm->vps[i], i, binders[i], &vm->bus);
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
  return vp_save (&vm->vps[i]);
}

gboolean
vm_restore (Vm *vm, guint i, GBytes *bytes, GError **error)
{
  return vp_restore (&vm->vps[i], bytes, error);
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

GVariant *
vm_inspect (Vm *vm, const char *path)
{
  return partition_inspect (vm->partition, path);
}

void
vm_request_yield (Vm *vm, guint i)
{
  hull_partition_request_yield (vm->partition, i);
}
