/* The test backend (plugins/test), driven through the backend ABI directly.
 *
 * The plugin is loaded with g_module_open() from the build tree. Domains are
 * parsed from XML; each VP is bound and run on its own thread, which takes
 * jobs from the test (bind, run, get_state, …), since processor ops may only
 * run on the bound thread. A small CpuIo records every access. Locks are
 * hull-sync.h's, so that a --enable-tsan build sees them.
 *
 * Timing bounds are generous on purpose: a yielded 10 s spin must return
 * within 5 s, and "still blocked" means "not returned after 100–200 ms".
 */
#include "config.h"

#include <gmodule.h>
#include <string.h>

#include "backend-test-harness.h"
#include "hull-error.h"

/* ------------------------------------------------------------------ */
/* Module, hypervisor, proto partition */

static void
test_module (void)
{
  g_autoptr (GError) error = NULL;
  HullHypervisor *hypervisor;
  HullExecutionSpeed speed = HULL_EXECUTION_UNKNOWN;

  g_assert_cmpuint (backend->abi_version, ==, HULL_BACKEND_ABI_VERSION);
  g_assert_cmpstr (backend->name, ==, "test");
  g_assert_nonnull (backend->description);

  hypervisor = backend->hypervisor->open (&(HullHypervisorConfig){ .device_fd = -1 }, &error);
  g_assert_no_error (error);
  g_assert_true (backend->hypervisor->probe (hypervisor, &speed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (speed, ==, HULL_EXECUTION_EMULATED);
  backend->hypervisor->close (hypervisor);
}

static void
test_caps (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, "");
  const HullPartitionCaps *caps = vm->partition->ops->caps (vm->partition);

  g_assert_cmpuint (caps->physical_address_bits, ==, 46);
  g_assert_true (caps->can_freeze_time);
  g_assert_true (caps->x2apic);
  g_assert_cmpint (caps->speed, ==, HULL_EXECUTION_EMULATED);
}

static const HullCpuidLeaf *
find_leaf (GArray *leaves, guint32 function, guint32 index)
{
  for (guint i = 0; i < leaves->len; i++)
    {
      const HullCpuidLeaf *leaf = &g_array_index (leaves, HullCpuidLeaf, i);

      if (leaf->function == function && leaf->index == index)
        return leaf;
    }
  g_assert_not_reached ();
}

/* 2 sockets × 3 cores: APIC ids 0, 1, 2, 4, 5, 6 (sockets are 4 apart). */
static void
test_cpuid (void)
{
  static const guint32 apic_ids[] = { 0, 1, 2, 4, 5, 6 };
  g_autoptr (GError) error = NULL;
  g_autoptr (HullDomainDef) def = NULL;
  g_autoptr (HullProcessorTopology) topology = NULL;
  g_autofree char *xml = NULL;
  HullHypervisor *hypervisor;
  HullProtoPartition *proto;

  xml = g_strdup_printf ("<domain type='test'><name>cpuid</name><memory unit='MiB'>16</memory>"
                         "<vcpu>6</vcpu><cpu><topology sockets='2' cores='3'/></cpu></domain>");
  def = hull_domain_def_parse (xml, -1, HULL_DOMAIN_PARSE_NONE, NULL, &error);
  g_assert_no_error (error);
  topology = hull_domain_def_build_topology (def, &error);
  g_assert_no_error (error);
  hypervisor = backend->hypervisor->open (NULL, &error);
  g_assert_no_error (error);
  proto = hypervisor->ops->new_proto_partition (
      hypervisor, &(HullProtoPartitionConfig){ .def = def, .topology = topology }, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (proto->ops->max_physical_address_bits (proto), ==, 46);

  for (guint vp = 0; vp < G_N_ELEMENTS (apic_ids); vp++)
    {
      g_autoptr (GArray) leaves = proto->ops->cpuid (proto, vp);

      g_assert_cmphex (find_leaf (leaves, 1, 0)->ebx >> 24, ==, apic_ids[vp]);
      g_assert_cmphex (find_leaf (leaves, 0xb, 0)->edx, ==, apic_ids[vp]);
      g_assert_cmphex (find_leaf (leaves, 0xb, 1)->edx, ==, apic_ids[vp]);
      /* The core level's shift covers a socket: 3 VPs need 2 bits. */
      g_assert_cmpuint (find_leaf (leaves, 0xb, 1)->eax, ==, 2);
      g_assert_cmpuint (find_leaf (leaves, 0x80000008, 0)->eax & 0xff, ==, 46);
    }

  proto->ops->free (proto);
  backend->hypervisor->close (hypervisor);
}

static void
assert_refused (const char *xml, const char *substring)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Vm) vm = vm_try_new (xml, &error);

  g_assert_null (vm);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
  g_test_message ("refused: %s", error->message);
  if (strstr (error->message, substring) == NULL)
    g_error ("'%s' does not mention '%s'", error->message, substring);
}

static void
test_unsupported (void)
{
  g_autofree char *isolation = domain_xml (1, "<hull:isolation type='vbs'/>");
  g_autofree char *hyperv = domain_xml (1, "<hull:hyperv state='on'/>");
  g_autofree char *vtl2 = domain_xml (1, "<hull:vtl2 start='0x10000000' size='0x200000'/>");
  g_autofree char *user_apic = domain_xml (1, "<hull:apic user-mode='yes'/>");

  assert_refused (isolation, "does not support <hull:isolation>");
  assert_refused (hyperv, "does not support <hull:hyperv state='on'>");
  assert_refused (vtl2, "does not support <hull:vtl2>");
  assert_refused (user_apic, "does not support <hull:apic user-mode='yes'>");
  assert_refused ("<domain type='kvm'><name>k</name><memory unit='MiB'>16</memory><vcpu>1</vcpu>"
                  "<os><type>hvm</type><kernel>/boot/vmlinuz</kernel></os></domain>",
                  "only domains of type 'test', not 'kvm'");
}

/* ------------------------------------------------------------------ */
/* Steps */

static void
test_io_order (void)
{
  g_autoptr (Vm) vm = vm_new_program (
      1, "<hull:vp index='0'>"
         "<hull:out port='0x3f8' value='0x48'/>"
         "<hull:out port='0x70' value='0x1234' size='2'/>"
         "<hull:in port='0x64' expect='0x1c'/>"
         "<hull:mmio-write addr='0xd0000000' value='0xdeadbeef' size='4'/>"
         "<hull:mmio-read addr='0xd0000000' expect='0xdeadbeef' size='4'/>"
         "<hull:mmio-write addr='0xd0001000' value='0x1122334455667788' size='8'/>"
         "<hull:mmio-read addr='0xd0001000' size='2'/>"
         "<hull:in port='0x71' size='4'/>"
         "<hull:halt reason='poweroff'/>"
         "</hull:vp>");
  HullX86Registers regs;

  bus_set_value (&vm->bus, FALSE, 0x64, 0x1c);
  bus_set_value (&vm->bus, TRUE, 0xd0000000, 0);
  bus_set_value (&vm->bus, TRUE, 0xd0001000, 0);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);

  g_assert_cmpuint (bus_count (&vm->bus), ==, 8);
  assert_access (&vm->bus, 0, ACCESS_OUT, 0, 0x3f8, 1, 0x48);
  assert_access (&vm->bus, 1, ACCESS_OUT, 0, 0x70, 2, 0x1234);
  assert_access (&vm->bus, 2, ACCESS_IN, 0, 0x64, 1, 0x1c);
  assert_access (&vm->bus, 3, ACCESS_MMIO_WRITE, 0, 0xd0000000, 4, 0xdeadbeef);
  assert_access (&vm->bus, 4, ACCESS_MMIO_READ, 0, 0xd0000000, 4, 0xdeadbeef);
  assert_access (&vm->bus, 5, ACCESS_MMIO_WRITE, 0, 0xd0001000, 8, 0x1122334455667788);
  assert_access (&vm->bus, 6, ACCESS_MMIO_READ, 0, 0xd0001000, 2, 0x7788);
  assert_access (&vm->bus, 7, ACCESS_IN, 0, 0x71, 4, 0xffffffff);

  /* rip: past the halt; rax: the last value read. */
  regs = vm_get_registers (vm, 0);
  g_assert_cmpuint (regs.rip, ==, 9);
  g_assert_cmphex (regs.rax, ==, 0xffffffff);
}

static void
test_io_expect_mismatch (void)
{
  g_autoptr (Vm) vm = vm_new_program (2, "<hull:vp index='0'>"
                                         "<hull:out port='0x80' value='0x1'/>"
                                         "<hull:in port='0x60' expect='0x42'/>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>"
                                         "<hull:vp index='1'>"
                                         "<hull:mmio-read addr='0xd0002000' expect='0x5'/>"
                                         "</hull:vp>");
  HullVpExitDetail detail;
  HullX86Registers regs;

  assert_exit (vm_run_detail (vm, 0, &detail), HULL_VP_EXIT_FATAL);
  g_assert_cmpstr (detail.message, ==, "VP 0 step 1: in 0x60 read 0xff expected 0x42");
  g_free (detail.message);
  /* The failed step did not complete; rax holds what it read. */
  regs = vm_get_registers (vm, 0);
  g_assert_cmpuint (regs.rip, ==, 1);
  g_assert_cmphex (regs.rax, ==, 0xff);

  assert_exit (vm_run_detail (vm, 1, &detail), HULL_VP_EXIT_FATAL);
  g_assert_cmpstr (detail.message, ==,
                   "VP 1 step 0: mmio-read 0xd0002000 read 0xffffffff expected 0x5");
  g_free (detail.message);
}

static void
test_halt_reasons (void)
{
  g_autoptr (Vm) vm
      = vm_new_program (4, "<hull:vp index='0'>"
                           "<hull:halt reason='reset'/>"
                           "<hull:out port='0x80' value='0x2'/>"
                           "<hull:halt reason='poweroff'/>"
                           "</hull:vp>"
                           "<hull:vp index='1'><hull:halt reason='hibernate'/></hull:vp>"
                           "<hull:vp index='2'><hull:halt reason='triple-fault'/></hull:vp>"
                           "<hull:vp index='3'><hull:halt reason='poweroff'/></hull:vp>");

  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_RESET);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 0);
  /* The halt completed: the next run goes on after it. */
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 1);
  assert_exit (vm_run (vm, 1), HULL_VP_EXIT_HIBERNATE);
  assert_exit (vm_run (vm, 2), HULL_VP_EXIT_TRIPLE_FAULT);
  assert_exit (vm_run (vm, 3), HULL_VP_EXIT_POWER_OFF);
}

static void
test_jump_loop (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, "<hull:vp index='0'>"
                                         "<hull:out port='0x80' value='0x0'/>"
                                         "<hull:out port='0x81' value='0x1'/>"
                                         "<hull:jump step='0'/>"
                                         "</hull:vp>");
  g_autoptr (GVariant) node = NULL;

  /* The 7th write kicks the VP from inside the device callback. */
  vm->bus.yield_after_writes = 7;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_YIELD);

  g_assert_cmpuint (bus_count (&vm->bus), ==, 7);
  for (guint i = 0; i < 7; i++)
    assert_access (&vm->bus, i, ACCESS_OUT, 0, 0x80 + i % 2, 1, i % 2);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 1);
  node = vm_inspect_vp (vm, 0);
  /* 7 outs and 3 jumps. */
  g_assert_cmpuint (lookup_uint (node, "steps-executed"), ==, 10);
}

/* request_yield really interrupts a spinning step, and the next run()
 * continues that step. */
static void
test_spin_yield (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, "<hull:vp index='0'>"
                                         "<hull:out port='0x80' value='0x1'/>"
                                         "<hull:spin usec='10000000'/>"
                                         "<hull:out port='0x80' value='0x2'/>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>");
  g_autoptr (GError) error = NULL;
  Call call = { 0 };
  HullX86Registers regs;
  guint64 remaining;
  gint64 start;
  Job *job;

  start = g_get_monotonic_time ();
  job = job_start (&vm->vps[0], do_run, &call);
  g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  vm_request_yield (vm, 0);
  g_assert_true (job_wait (job, PROMPT_US));
  g_assert_cmpint (g_get_monotonic_time () - start, <, PROMPT_US);
  job_free (job);
  assert_exit (call.exit, HULL_VP_EXIT_YIELD);

  regs = vm_get_registers (vm, 0);
  g_assert_cmpuint (regs.rip, ==, 1);
  g_assert_cmpuint (regs.rcx, >, 0);
  g_assert_cmpuint (regs.rcx, <, 10000000);
  remaining = regs.rcx;
  g_assert_cmpuint (bus_count (&vm->bus), ==, 1);

  /* Still spinning on the next run, until kicked again. */
  job = job_start (&vm->vps[0], do_run, &call);
  g_assert_false (job_wait (job, BLOCKED_US));
  vm_request_yield (vm, 0);
  g_assert_true (job_wait (job, PROMPT_US));
  job_free (job);
  assert_exit (call.exit, HULL_VP_EXIT_YIELD);
  regs = vm_get_registers (vm, 0);
  g_assert_cmpuint (regs.rip, ==, 1);
  g_assert_cmpuint (regs.rcx, <, remaining);

  /* Shorten what is left (rcx) to 1 ms: the spin ends, the step after it
   * runs, and the step before it does not run again. */
  regs.rcx = 1000;
  vm_set_registers (vm, 0, &regs, &error);
  g_assert_no_error (error);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 2);
  assert_access (&vm->bus, 0, ACCESS_OUT, 0, 0x80, 1, 1);
  assert_access (&vm->bus, 1, ACCESS_OUT, 0, 0x80, 1, 2);
}

static void
test_spin_completes (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, "<hull:vp index='0'>"
                                         "<hull:spin usec='2000'/>"
                                         "<hull:spin usec='0'/>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>");
  gint64 start = g_get_monotonic_time ();

  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 2000);
  g_assert_cmpuint (vm_get_registers (vm, 0).rcx, ==, 0);
}

static const char spin_program[] = "<hull:vp index='0'>"
                                   "<hull:out port='0x80' value='0x1'/>"
                                   "<hull:spin usec='10000000'/>"
                                   "<hull:halt reason='poweroff'/>"
                                   "</hull:vp>";

static void
test_stop_before_run (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, spin_program);

  g_atomic_int_set (&vm->vps[0].stop, 1);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 0);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 0);
}

/* A stop with a kick ends a spin at once; a stop without one is still seen. */
static void
test_stop_spinning (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, spin_program);
  Call call = { 0 };
  Job *job;

  job = job_start (&vm->vps[0], do_run, &call);
  g_assert_false (job_wait (job, BLOCKED_US));
  g_atomic_int_set (&vm->vps[0].stop, 1);
  vm_request_yield (vm, 0);
  g_assert_true (job_wait (job, PROMPT_US));
  job_free (job);
  assert_exit (call.exit, HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 1);

  /* Consume the kick, then stop without one. */
  g_atomic_int_set (&vm->vps[0].stop, 0);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_YIELD);
  job = job_start (&vm->vps[0], do_run, &call);
  g_assert_false (job_wait (job, BLOCKED_US));
  g_atomic_int_set (&vm->vps[0].stop, 1);
  g_assert_true (job_wait (job, PROMPT_US));
  job_free (job);
  assert_exit (call.exit, HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 1);
}

/* A device that stops the VM from inside a callback: no further step runs. */
static void
test_stop_from_device (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, "<hull:vp index='0'>"
                                         "<hull:out port='0x80' value='0x1'/>"
                                         "<hull:out port='0x80' value='0x2'/>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>");

  vm->bus.stop_after_writes = 1;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_STOPPED);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 1);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 1);
}

/* A yield asked for before run() returns YIELD before any step runs; asking
 * twice yields once. */
static void
test_yield_before_run (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, "<hull:vp index='0'>"
                                         "<hull:out port='0x80' value='0x1'/>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>");

  vm_request_yield (vm, 0);
  vm_request_yield (vm, 0);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_YIELD);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 0);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 0);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 1);
}

/* A VP without a program, or past its last step, blocks until kicked. */
static void
test_idle (void)
{
  g_autoptr (Vm) vm = vm_new_program (2, "<hull:vp index='0'>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>");
  HullX86Activity activity;
  Call state
      = { .group = HULL_REGISTER_GROUP_ACTIVITY, .buffer = &activity, .size = sizeof activity };
  g_autoptr (GVariant) node = NULL;
  const char *name = NULL;

  for (guint i = 0; i < 2; i++)
    {
      Call call = { 0 };
      Job *job;

      if (i == 0)
        {
          vp_call (&vm->vps[0], do_get_state, &state);
          g_assert_true (state.ok);
          g_assert_cmpuint (activity.mp_state, ==, HULL_MP_STATE_RUNNING);
          assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
        }
      vp_call (&vm->vps[i], do_get_state, &state);
      g_assert_true (state.ok);
      g_assert_cmpuint (activity.mp_state, ==, HULL_MP_STATE_HALTED);

      job = job_start (&vm->vps[i], do_run, &call);
      g_assert_false (job_wait (job, BLOCKED_US));
      vm_request_yield (vm, i);
      g_assert_true (job_wait (job, PROMPT_US));
      job_free (job);
      assert_exit (call.exit, HULL_VP_EXIT_YIELD);
    }

  node = vm_inspect_vp (vm, 1);
  g_assert_true (g_variant_lookup (node, "state", "&s", &name));
  g_assert_cmpstr (name, ==, "idle");
  g_assert_cmpuint (lookup_uint (node, "pc"), ==, 0);
}

/* ------------------------------------------------------------------ */
/* Faults */

static void
test_fault_build (void)
{
  g_autofree char *xml = program_xml (1, "<hull:fault stage='build'/>");
  g_autoptr (GError) error = NULL;
  g_autoptr (Vm) vm = vm_try_new (xml, &error);

  g_assert_null (vm);
  g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED);
  g_assert_cmpstr (error->message, ==, "injected fault: build");
}

static void
test_fault_bind (void)
{
  g_autofree char *one = program_xml (2, "<hull:fault stage='bind' vp='1'/>");
  g_autofree char *all = program_xml (2, "<hull:fault stage='bind'/>");
  g_autoptr (GError) error = NULL;
  g_autoptr (Vm) vm = vm_try_new (one, &error);
  g_autoptr (Vm) vm_all = NULL;

  g_assert_no_error (error);
  g_assert_true (vm_bind (vm, 0, &error));
  g_assert_no_error (error);
  g_assert_false (vm_bind (vm, 1, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED);
  g_assert_cmpstr (error->message, ==, "injected fault: bind (VP 1)");
  g_clear_error (&error);

  vm_all = vm_try_new (all, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *message = g_strdup_printf ("injected fault: bind (VP %u)", i);

      g_assert_false (vm_bind (vm_all, i, &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED);
      g_assert_cmpstr (error->message, ==, message);
      g_clear_error (&error);
    }
}

static void
test_fault_run (void)
{
  g_autoptr (Vm) vm = vm_new_program (2, "<hull:vp index='0'>"
                                         "<hull:out port='0x80' value='0x1'/>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>"
                                         "<hull:vp index='1'>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>"
                                         "<hull:fault stage='run' vp='0'/>");
  HullVpExitDetail detail;

  assert_exit (vm_run_detail (vm, 0, &detail), HULL_VP_EXIT_FATAL);
  g_assert_cmpstr (detail.message, ==, "injected fault: run (VP 0)");
  g_free (detail.message);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 0);
  /* Only the first run fails; VP 1 has no fault. */
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 1);
  assert_exit (vm_run (vm, 1), HULL_VP_EXIT_POWER_OFF);
}

/* ------------------------------------------------------------------ */
/* Reset and state */

static const char three_outs[] = "<hull:vp index='0'>"
                                 "<hull:out port='0x80' value='0x1'/>"
                                 "<hull:out port='0x80' value='0x2'/>"
                                 "<hull:in port='0x71'/>"
                                 "<hull:out port='0x80' value='0x3'/>"
                                 "<hull:halt reason='poweroff'/>"
                                 "</hull:vp>";

static void
test_reset (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, three_outs);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) before = NULL;
  g_autoptr (GVariant) after = NULL;
  HullMsi msi = { 0xfee00000, 0x30 };
  Call call = { 0 };
  HullX86Registers regs;

  vm->bus.yield_after_writes = 3;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_YIELD);
  regs = vm_get_registers (vm, 0);
  g_assert_cmpuint (regs.rip, ==, 4);
  g_assert_cmphex (regs.rax, ==, 0xff);
  vm->partition->ops->request_msi (vm->partition, 0, &msi);
  before = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (before, "msis"), ==, 1);

  /* VM-wide first, then the processor on its thread. */
  g_assert_true (hull_partition_reset (vm->partition, &error));
  g_assert_no_error (error);
  vp_call (&vm->vps[0], do_reset, &call);
  g_assert_true (call.ok);

  after = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (after, "msis"), ==, 0);
  g_assert_cmpuint (lookup_uint (after, "resets"), ==, 1);
  regs = vm_get_registers (vm, 0);
  g_assert_cmpuint (regs.rip, ==, 0);
  g_assert_cmphex (regs.rax, ==, 0);

  /* The program starts over. */
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 8);
  assert_access (&vm->bus, 4, ACCESS_OUT, 0, 0x80, 1, 1);
}

static void
test_state_round_trip (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, three_outs);
  g_autoptr (GError) error = NULL;
  HullX86Registers regs = { 0 };
  HullX86Registers got;

  regs.rip = 3;
  regs.rax = 0x55;
  g_assert_true (vm_set_registers (vm, 0, &regs, &error));
  g_assert_no_error (error);
  got = vm_get_registers (vm, 0);
  g_assert_cmpuint (got.rip, ==, 3);
  g_assert_cmphex (got.rax, ==, 0x55);
  g_assert_cmpuint (got.rcx, ==, 0);

  /* Execution continues at the step set. */
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 1);
  assert_access (&vm->bus, 0, ACCESS_OUT, 0, 0x80, 1, 3);

  /* The end of the program is a valid place to be. */
  regs.rip = 5;
  g_assert_true (vm_set_registers (vm, 0, &regs, &error));
  g_assert_no_error (error);
}

static void
test_state_refused (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, three_outs);
  g_autoptr (GError) error = NULL;
  HullX86Registers regs = { 0 };
  HullX86Registers before;
  guint8 small[8];
  Call call = { 0 };

  regs.rip = 2;
  regs.rax = 0x77;
  g_assert_true (vm_set_registers (vm, 0, &regs, &error));
  before = vm_get_registers (vm, 0);

  /* A pc beyond the program. */
  regs.rip = 6;
  g_assert_false (vm_set_registers (vm, 0, &regs, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* Spin time left on a step that is not a spin. */
  regs.rip = 1;
  regs.rcx = 5;
  g_assert_false (vm_set_registers (vm, 0, &regs, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* Nothing changed. */
  regs = vm_get_registers (vm, 0);
  g_assert_cmpmem (&regs, sizeof regs, &before, sizeof before);

  /* The wrong size, both ways. */
  call = (Call){ .group = HULL_REGISTER_GROUP_REGISTERS, .buffer = small, .size = sizeof small };
  vp_call (&vm->vps[0], do_set_state, &call);
  g_assert_error (call.error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  call_clear (&call);
  vp_call (&vm->vps[0], do_get_state, &call);
  g_assert_error (call.error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  call_clear (&call);

  /* Groups the backend does not have, and VTLs. */
  call = (Call){ .group = HULL_REGISTER_GROUP_XSAVE, .buffer = small, .size = sizeof small };
  vp_call (&vm->vps[0], do_get_state, &call);
  g_assert_error (call.error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
  call_clear (&call);
  call = (Call){
    .group = HULL_REGISTER_GROUP_REGISTERS, .buffer = &regs, .size = sizeof regs, .vtl = 1
  };
  vp_call (&vm->vps[0], do_get_state, &call);
  g_assert_error (call.error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
  call_clear (&call);

  regs = vm_get_registers (vm, 0);
  g_assert_cmpmem (&regs, sizeof regs, &before, sizeof before);
}

static void
test_activity (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, three_outs);
  HullX86Activity activity = { 0 };
  Call call
      = { .group = HULL_REGISTER_GROUP_ACTIVITY, .buffer = &activity, .size = sizeof activity };

  vp_call (&vm->vps[0], do_get_state, &call);
  g_assert_true (call.ok);
  g_assert_cmpuint (activity.mp_state, ==, HULL_MP_STATE_RUNNING);
  /* Setting what it is round-trips; anything else is refused. */
  vp_call (&vm->vps[0], do_set_state, &call);
  g_assert_no_error (call.error);
  g_assert_true (call.ok);
  activity.mp_state = HULL_MP_STATE_WAIT_FOR_SIPI;
  vp_call (&vm->vps[0], do_set_state, &call);
  g_assert_error (call.error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  call_clear (&call);

  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  vp_call (&vm->vps[0], do_get_state, &call);
  g_assert_true (call.ok);
  g_assert_cmpuint (activity.mp_state, ==, HULL_MP_STATE_HALTED);
}

/* ------------------------------------------------------------------ */
/* Save and restore */

static void
test_save_restore (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, three_outs);
  g_autoptr (Vm) fresh = vm_new_program (1, three_outs);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) saved = NULL;
  g_autoptr (GBytes) partition_saved = NULL;
  HullMsi msi = { 0xfee00000, 0x31 };

  /* Stop after the second write: at step 2 (the IN). */
  vm->bus.yield_after_writes = 2;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_YIELD);
  saved = vm_save (vm, 0);
  vm->partition->ops->request_msi (vm->partition, 0, &msi);
  partition_saved = vm->partition->ops->save (vm->partition, &error);
  g_assert_no_error (error);

  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 4);

  /* Back into the same partition: the IN and the last OUT run again. */
  g_assert_true (vm_restore (vm, 0, saved, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 2);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 6);
  assert_access (&vm->bus, 4, ACCESS_IN, 0, 0x71, 1, 0xff);
  assert_access (&vm->bus, 5, ACCESS_OUT, 0, 0x80, 1, 3);

  /* Into a freshly built partition. */
  g_assert_true (fresh->partition->ops->restore (fresh->partition, partition_saved, &error));
  g_assert_no_error (error);
  g_assert_true (vm_restore (fresh, 0, saved, &error));
  g_assert_no_error (error);
  assert_exit (vm_run (fresh, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&fresh->bus), ==, 2);
  assert_access (&fresh->bus, 0, ACCESS_IN, 0, 0x71, 1, 0xff);
  assert_access (&fresh->bus, 1, ACCESS_OUT, 0, 0x80, 1, 3);
  {
    g_autoptr (GVariant) node = vm_inspect (fresh, "");

    g_assert_cmpuint (lookup_uint (node, "msis"), ==, 1);
  }
}

/* A spin cut short is saved with what is left of it. */
static void
test_save_restore_spin (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, spin_program);
  g_autoptr (Vm) fresh = vm_new_program (1, spin_program);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) saved = NULL;
  HullX86Registers regs;
  Call call = { 0 };
  Job *job;

  job = job_start (&vm->vps[0], do_run, &call);
  g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  vm_request_yield (vm, 0);
  g_assert_true (job_wait (job, PROMPT_US));
  job_free (job);
  assert_exit (call.exit, HULL_VP_EXIT_YIELD);
  saved = vm_save (vm, 0);

  g_assert_true (vm_restore (fresh, 0, saved, &error));
  g_assert_no_error (error);
  regs = vm_get_registers (fresh, 0);
  g_assert_cmpuint (regs.rip, ==, 1);
  g_assert_cmpuint (regs.rcx, >, 0);
  g_assert_cmpuint (regs.rcx, <, 10000000);
}

static GBytes *
processor_blob (guint32 version, guint32 vp, guint64 pc, guint64 rax, guint64 spin)
{
  g_autoptr (GVariant) v
      = g_variant_ref_sink (g_variant_new ("(uuttt)", version, vp, pc, rax, spin));

  return g_variant_get_data_as_bytes (v);
}

static GBytes *
partition_blob (guint32 version, guint32 n_vps)
{
  g_autoptr (GVariant) v
      = g_variant_ref_sink (g_variant_new ("(uutttttt)", version, n_vps, (guint64)7, (guint64)0,
                                           (guint64)0, (guint64)0, (guint64)0, (guint64)0));

  return g_variant_get_data_as_bytes (v);
}

static GBytes *
truncated (GBytes *bytes, gssize delta)
{
  gsize size = g_bytes_get_size (bytes);
  guint8 *data = g_malloc0 (size + 8);

  memcpy (data, g_bytes_get_data (bytes, NULL), size);
  return g_bytes_new_take (data, size + delta);
}

static void
test_restore_corrupt (void)
{
  g_autoptr (Vm) vm = vm_new_program (2, three_outs);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) good = NULL;
  g_autoptr (GBytes) other_vp = NULL;
  g_autoptr (GBytes) partition_good = NULL;
  g_autoptr (GVariant) counters = NULL;
  g_autoptr (GPtrArray) bad = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  g_autoptr (GPtrArray) partition_bad
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  HullX86Registers before, after;
  HullMsi msi = { 0xfee00000, 0x32 };

  vm->bus.yield_after_writes = 1;
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_YIELD);
  before = vm_get_registers (vm, 0);
  good = vm_save (vm, 0);
  other_vp = vm_save (vm, 1);

  g_ptr_array_add (bad, g_bytes_new (NULL, 0));
  g_ptr_array_add (bad, truncated (good, -1));
  g_ptr_array_add (bad, truncated (good, 1));
  g_ptr_array_add (bad, g_bytes_new_static ("garbage, garbage, garbage, garb", 32));
  g_ptr_array_add (bad, processor_blob (2, 0, 1, 0, 0));           /* version */
  g_ptr_array_add (bad, g_bytes_ref (other_vp));                   /* VP index */
  g_ptr_array_add (bad, processor_blob (1, 0, 6, 0, 0));           /* pc past the end */
  g_ptr_array_add (bad, processor_blob (1, 0, 1, 0, 100));         /* spin on an OUT */
  g_ptr_array_add (bad, processor_blob (1, 0, G_MAXUINT64, 0, 0)); /* pc */

  for (guint i = 0; i < bad->len; i++)
    {
      g_assert_false (vm_restore (vm, 0, g_ptr_array_index (bad, i), &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
      g_clear_error (&error);
      after = vm_get_registers (vm, 0);
      g_assert_cmpmem (&after, sizeof after, &before, sizeof before);
    }
  /* The good blob still restores. */
  g_assert_true (vm_restore (vm, 0, good, &error));
  g_assert_no_error (error);

  /* The partition's blob. */
  vm->partition->ops->request_msi (vm->partition, 0, &msi);
  partition_good = vm->partition->ops->save (vm->partition, &error);
  g_assert_no_error (error);
  g_ptr_array_add (partition_bad, g_bytes_new (NULL, 0));
  g_ptr_array_add (partition_bad, truncated (partition_good, -8));
  g_ptr_array_add (partition_bad, truncated (partition_good, 1));
  g_ptr_array_add (partition_bad, partition_blob (2, 2));
  g_ptr_array_add (partition_bad, partition_blob (1, 3));
  for (guint i = 0; i < partition_bad->len; i++)
    {
      g_assert_false (vm->partition->ops->restore (vm->partition,
                                                   g_ptr_array_index (partition_bad, i), &error));
      g_assert_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA);
      g_clear_error (&error);
    }
  counters = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (counters, "msis"), ==, 1);
}

/* ------------------------------------------------------------------ */
/* Debug exits */

static void
test_single_step (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, "<hull:vp index='0'>"
                                         "<hull:out port='0x80' value='0x1'/>"
                                         "<hull:jump step='3'/>"
                                         "<hull:halt reason='reset'/>"
                                         "<hull:out port='0x80' value='0x2'/>"
                                         "<hull:halt reason='poweroff'/>"
                                         "</hull:vp>");
  g_autoptr (GError) error = NULL;
  static const guint expected_pc[] = { 1, 3, 4 };

  g_assert_true (vm_set_debug_state (vm, 0, TRUE, NULL, 0, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expected_pc); i++)
    {
      assert_exit (vm_run (vm, 0), HULL_VP_EXIT_SINGLE_STEP);
      g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, expected_pc[i]);
    }
  g_assert_cmpuint (bus_count (&vm->bus), ==, 2);
  /* A halt is reported as itself. */
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
}

static void
test_breakpoints (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, three_outs);
  g_autoptr (GError) error = NULL;
  static const guint64 breakpoints[] = { 3, 0 };
  static const guint64 too_many[] = { 0, 1, 2, 3, 4 };
  HullVpExitDetail detail;

  g_assert_true (vm_set_debug_state (vm, 0, FALSE, breakpoints, 2, &error));
  g_assert_no_error (error);

  /* Step 0 is breakpoint 1: reported before the step runs. */
  assert_exit (vm_run_detail (vm, 0, &detail), HULL_VP_EXIT_HW_BREAK);
  g_assert_cmpuint (detail.breakpoint, ==, 1);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 0);
  /* Resuming runs the step, up to breakpoint 0 at step 3. */
  assert_exit (vm_run_detail (vm, 0, &detail), HULL_VP_EXIT_HW_BREAK);
  g_assert_cmpuint (detail.breakpoint, ==, 0);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 3);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 3);
  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  g_assert_cmpuint (bus_count (&vm->bus), ==, 4);

  g_assert_false (vm_set_debug_state (vm, 0, FALSE, too_many, 5, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------------ */
/* Partition-wide operations */

static void
test_partition_counters (void)
{
  g_autoptr (Vm) vm = vm_new_program (2, three_outs);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) node = NULL;
  g_autoptr (GVariant) program = NULL;
  g_autoptr (GVariant) vp = NULL;
  g_autofree const char **listing = NULL;
  HullMsi msi = { 0xfee00000, 0x40 };
  HullMemoryRange ranges[] = { { 0x0, 0x2000 }, { 0x100000, 0x101000 } };
  HullMemoryRange bad_range = { 0x1000, 0x1800 };

  vm->partition->ops->request_msi (vm->partition, 0, &msi);
  vm->partition->ops->request_msi (vm->partition, 0, &msi);
  vm->partition->ops->ioapic_set_route (vm->partition, 3, &msi);
  vm->partition->ops->ioapic_set_route (vm->partition, 3, NULL);
  vm->partition->ops->ioapic_assert (vm->partition, 3);
  vm->partition->ops->pulse_lint (vm->partition, 1, 0, 1);
  g_assert_true (hull_partition_accept_initial_pages (vm->partition, ranges, 2, &error));
  g_assert_no_error (error);
  g_assert_false (hull_partition_accept_initial_pages (vm->partition, &bad_range, 1, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  node = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (node, "vp-count"), ==, 2);
  g_assert_cmpuint (lookup_uint (node, "msis"), ==, 2);
  g_assert_cmpuint (lookup_uint (node, "ioapic-routes"), ==, 2);
  g_assert_cmpuint (lookup_uint (node, "ioapic-asserts"), ==, 1);
  g_assert_cmpuint (lookup_uint (node, "lint-pulses"), ==, 1);
  g_assert_cmpuint (lookup_uint (node, "accepted-ranges"), ==, 2);
  g_assert_cmpuint (lookup_uint (node, "accepted-pages"), ==, 3);

  /* The program summary. */
  program = vm_inspect (vm, "program/0");
  g_assert_cmpuint (lookup_uint (program, "steps"), ==, 5);
  g_assert_true (g_variant_lookup (program, "listing", "^a&s", &listing));
  g_assert_cmpuint (g_strv_length ((char **)listing), ==, 5);
  g_assert_cmpstr (listing[0], ==, "out 0x80 0x1/1");
  g_assert_cmpstr (listing[4], ==, "halt poweroff");
  vp = vm_inspect (vm, "program/1");
  g_assert_cmpuint (lookup_uint (vp, "steps"), ==, 0);

  /* Scrubbing VTL 0 clears the counters; there is no other VTL. */
  g_assert_true (hull_partition_scrub_vtl (vm->partition, 0, &error));
  g_assert_no_error (error);
  g_clear_pointer (&node, g_variant_unref);
  node = vm_inspect (vm, "");
  g_assert_cmpuint (lookup_uint (node, "msis"), ==, 0);
  g_assert_false (hull_partition_scrub_vtl (vm->partition, 2, &error));
  g_assert_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED);
}

static void
test_inspect_processor (void)
{
  g_autoptr (Vm) vm = vm_new_program (1, three_outs);
  g_autoptr (GVariant) node = NULL;
  const char *state = NULL;
  const char *rax = NULL;

  assert_exit (vm_run (vm, 0), HULL_VP_EXIT_POWER_OFF);
  node = vm_inspect_vp (vm, 0);
  g_assert_true (g_variant_lookup (node, "state", "&s", &state));
  g_assert_cmpstr (state, ==, "finished");
  g_assert_cmpuint (lookup_uint (node, "pc"), ==, 5);
  g_assert_true (g_variant_lookup (node, "rax", "&s", &rax));
  g_assert_cmpstr (rax, ==, "0xff");
  g_assert_cmpuint (lookup_uint (node, "steps-executed"), ==, 5);
}

/* Processor ops check that they run on the bound thread. */
static void
test_wrong_thread (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (Vm) vm = vm_new_program (1, three_outs);
      HullX86Registers regs;

      hull_processor_get_state (vm->vps[0].processor, 0, HULL_REGISTER_GROUP_REGISTERS, &regs,
                                sizeof regs, NULL);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*thread == g_thread_self*");
}

/* xml/examples/test-program.xml, on a bus without devices (as the example
 * expects): VP 0 runs to its power-off while VP 1 runs alongside; VP 1 is
 * then stopped. */
static void
test_example (void)
{
  g_autofree char *path
      = g_test_build_filename (G_TEST_DIST, "..", "xml", "examples", "test-program.xml", NULL);
  g_autofree char *xml = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (Vm) vm = NULL;
  Call call0 = { 0 }, call1 = { 0 };
  Job *job0, *job1;
  GString *serial = g_string_new (NULL);

  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  vm = vm_new (xml);
  g_assert_cmpuint (vm->n_vps, ==, 2);

  job1 = job_start (&vm->vps[1], do_run, &call1);
  job0 = job_start (&vm->vps[0], do_run, &call0);
  g_assert_true (job_wait (job0, JOB_TIMEOUT_US));
  job_free (job0);
  g_assert_cmpstr (call0.detail.message, ==, NULL);
  assert_exit (call0.exit, HULL_VP_EXIT_POWER_OFF);

  g_atomic_int_set (&vm->vps[1].stop, 1);
  vm_request_yield (vm, 1);
  g_assert_true (job_wait (job1, PROMPT_US));
  job_free (job1);
  g_assert_cmpstr (call1.detail.message, ==, NULL);
  assert_exit (call1.exit, HULL_VP_EXIT_STOPPED);

  for (guint i = 0; i < bus_count (&vm->bus); i++)
    {
      Access access = bus_get (&vm->bus, i);

      if (access.vp == 0 && access.kind == ACCESS_OUT && access.address == 0x3f8)
        g_string_append_c (serial, (char)access.value);
    }
  g_assert_cmpstr (serial->str, ==, "Hi\n");
  g_string_free (serial, TRUE);
  g_assert_cmpuint (vm_get_registers (vm, 0).rip, ==, 10);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  GModule *module;
  HullBackendModuleFunc func = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  module = g_module_open (HULL_TEST_BACKEND_PATH, G_MODULE_BIND_LOCAL);
  if (module == NULL)
    g_error ("cannot load %s: %s", HULL_TEST_BACKEND_PATH, g_module_error ());
  if (!g_module_symbol (module, HULL_BACKEND_MODULE_SYMBOL, (gpointer *)&func) || func == NULL)
    g_error ("%s has no %s", HULL_TEST_BACKEND_PATH, HULL_BACKEND_MODULE_SYMBOL);
  backend = func ();

  g_test_add_func ("/hull/backend-test/module", test_module);
  g_test_add_func ("/hull/backend-test/caps", test_caps);
  g_test_add_func ("/hull/backend-test/cpuid/apic-ids", test_cpuid);
  g_test_add_func ("/hull/backend-test/unsupported-settings-refused", test_unsupported);
  g_test_add_func ("/hull/backend-test/io/in-order", test_io_order);
  g_test_add_func ("/hull/backend-test/io/expect-mismatch-is-fatal", test_io_expect_mismatch);
  g_test_add_func ("/hull/backend-test/halt/reasons", test_halt_reasons);
  g_test_add_func ("/hull/backend-test/jump/loop", test_jump_loop);
  g_test_add_func ("/hull/backend-test/spin/yield-interrupts-and-resumes", test_spin_yield);
  g_test_add_func ("/hull/backend-test/spin/completes", test_spin_completes);
  g_test_add_func ("/hull/backend-test/stop/before-run", test_stop_before_run);
  g_test_add_func ("/hull/backend-test/stop/while-spinning", test_stop_spinning);
  g_test_add_func ("/hull/backend-test/stop/from-device-callback", test_stop_from_device);
  g_test_add_func ("/hull/backend-test/yield/before-run-runs-no-step", test_yield_before_run);
  g_test_add_func ("/hull/backend-test/idle/blocks-until-kicked", test_idle);
  g_test_add_func ("/hull/backend-test/fault/build", test_fault_build);
  g_test_add_func ("/hull/backend-test/fault/bind", test_fault_bind);
  g_test_add_func ("/hull/backend-test/fault/run", test_fault_run);
  g_test_add_func ("/hull/backend-test/reset/pc-to-zero", test_reset);
  g_test_add_func ("/hull/backend-test/state/round-trip", test_state_round_trip);
  g_test_add_func ("/hull/backend-test/state/refused", test_state_refused);
  g_test_add_func ("/hull/backend-test/state/activity", test_activity);
  g_test_add_func ("/hull/backend-test/save-restore/continues", test_save_restore);
  g_test_add_func ("/hull/backend-test/save-restore/spin", test_save_restore_spin);
  g_test_add_func ("/hull/backend-test/save-restore/corrupt-refused", test_restore_corrupt);
  g_test_add_func ("/hull/backend-test/debug/single-step", test_single_step);
  g_test_add_func ("/hull/backend-test/debug/breakpoints", test_breakpoints);
  g_test_add_func ("/hull/backend-test/partition/counters-and-inspect", test_partition_counters);
  g_test_add_func ("/hull/backend-test/processor/inspect", test_inspect_processor);
  g_test_add_func ("/hull/backend-test/processor/wrong-thread-aborts", test_wrong_thread);
  g_test_add_func ("/hull/backend-test/example/test-program", test_example);

  ret = g_test_run ();
  g_module_close (module);
  return ret;
}
