/* hull-backend-test.c — the `test` backend: an in-process software backend
 * that interprets each VP's <hull:test-program> (docs/test-backend.md).
 *
 * This file holds the module, the hypervisor, the proto partition and the
 * partition; test-processor.c holds the binders and processors.
 */
#include "config.h"

#include <string.h>

#include <gmodule.h>

#include "hull-backend.h"
#include "hull-error.h"
#include "hull-saved-state.h"
#include "hull-i18n.h"
#include "hull-inspect.h"

#include "test-backend-private.h"

#define TEST_PHYSICAL_ADDRESS_BITS 46
#define TEST_PAGE_SIZE 4096
#define TEST_IOAPIC_LINES 24

static const HullHypervisorOps test_hypervisor_ops;

/* ------------------------------------------------------------------ */
/* VPs */

void
test_vp_init (TestVp *vp, guint index, guint32 apic_id, const HullTestVpProgram *program)
{
  memset (vp, 0, sizeof *vp);
  vp->binder.ops = &test_binder_ops;
  vp->binder.vp_index = index;
  vp->index = index;
  vp->apic_id = apic_id;
  if (program != NULL)
    {
      vp->has_program = TRUE;
      vp->n_steps = program->steps->len;
      vp->steps = g_memdup2 (program->steps->data, (gsize)vp->n_steps * sizeof (HullTestStep));
    }
  hull_mutex_init (&vp->lock);
  hull_cond_init (&vp->wake);
}

void
test_vp_clear (TestVp *vp)
{
  g_free (vp->steps);
  hull_mutex_clear (&vp->lock);
  hull_cond_clear (&vp->wake);
}

static void
test_vps_free (TestVp *vps, guint n_vps)
{
  if (vps == NULL)
    return;
  for (guint i = 0; i < n_vps; i++)
    test_vp_clear (&vps[i]);
  g_free (vps);
}

/* ------------------------------------------------------------------ */
/* Partition */

static TestPartition *
test_partition (HullPartition *partition)
{
  return (TestPartition *)partition;
}

static const HullPartitionCaps *
test_partition_caps (HullPartition *partition)
{
  return &test_partition (partition)->caps;
}

static void
test_partition_request_yield (HullPartition *partition, guint vp_index)
{
  TestPartition *self = test_partition (partition);
  TestVp *vp;

  g_return_if_fail (vp_index < self->n_vps);

  vp = &self->vps[vp_index];
  /* Set before taking the lock: a VP checks the flag under the lock before
   * it waits, so the wake-up cannot be lost. */
  g_atomic_int_set (&vp->yield, 1);
  hull_mutex_lock (&vp->lock);
  hull_cond_broadcast (&vp->wake);
  hull_mutex_unlock (&vp->lock);
}

static void
test_partition_request_msi (HullPartition *partition, guint vtl, const HullMsi *msi)
{
  TestPartition *self = test_partition (partition);

  hull_mutex_lock (&self->lock);
  self->counters.msis++;
  hull_mutex_unlock (&self->lock);
}

static void
test_partition_ioapic_set_route (HullPartition *partition, guint8 irq, const HullMsi *msi)
{
  TestPartition *self = test_partition (partition);

  g_return_if_fail (irq < TEST_IOAPIC_LINES);

  hull_mutex_lock (&self->lock);
  self->counters.ioapic_routes++;
  hull_mutex_unlock (&self->lock);
}

static void
test_partition_ioapic_assert (HullPartition *partition, guint8 irq)
{
  TestPartition *self = test_partition (partition);

  g_return_if_fail (irq < TEST_IOAPIC_LINES);

  hull_mutex_lock (&self->lock);
  self->counters.ioapic_asserts++;
  hull_mutex_unlock (&self->lock);
}

static void
test_partition_pulse_lint (HullPartition *partition, guint vp, guint vtl, guint8 lint)
{
  TestPartition *self = test_partition (partition);

  g_return_if_fail (vp < self->n_vps);
  g_return_if_fail (lint <= 1);

  hull_mutex_lock (&self->lock);
  self->counters.lint_pulses++;
  hull_mutex_unlock (&self->lock);
}

static gboolean
test_partition_reset (HullPartition *partition, GError **error)
{
  TestPartition *self = test_partition (partition);

  hull_mutex_lock (&self->lock);
  memset (&self->counters, 0, sizeof self->counters);
  self->resets++;
  hull_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
test_partition_scrub_vtl (HullPartition *partition, guint vtl, GError **error)
{
  TestPartition *self = test_partition (partition);

  if (vtl != 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("domain '%s': the test backend has no VTL %u"), self->name, vtl);
      return FALSE;
    }
  hull_mutex_lock (&self->lock);
  memset (&self->counters, 0, sizeof self->counters);
  hull_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
test_partition_accept_initial_pages (HullPartition *partition, const HullMemoryRange *ranges,
                                     guint n_ranges, GError **error)
{
  TestPartition *self = test_partition (partition);
  guint64 pages = 0;

  g_return_val_if_fail (ranges != NULL || n_ranges == 0, FALSE);

  for (guint i = 0; i < n_ranges; i++)
    {
      const HullMemoryRange *r = &ranges[i];

      if (r->start >= r->end || r->start % TEST_PAGE_SIZE != 0 || r->end % TEST_PAGE_SIZE != 0)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("domain '%s': cannot accept pages [0x%llx, 0x%llx): not a non-empty "
                          "range of whole 4 KiB pages"),
                       self->name, (unsigned long long)r->start, (unsigned long long)r->end);
          return FALSE;
        }
      pages += (r->end - r->start) / TEST_PAGE_SIZE;
    }

  hull_mutex_lock (&self->lock);
  self->counters.accepted_ranges += n_ranges;
  self->counters.accepted_pages += pages;
  hull_mutex_unlock (&self->lock);
  return TRUE;
}

static GBytes *
test_partition_save (HullPartition *partition, GError **error)
{
  TestPartition *self = test_partition (partition);
  TestCounters c;
  g_autoptr (GVariant) state = NULL;

  hull_mutex_lock (&self->lock);
  c = self->counters;
  hull_mutex_unlock (&self->lock);

  state = g_variant_ref_sink (g_variant_new (
      TEST_PARTITION_SAVE_TYPE, (guint32)TEST_SAVE_VERSION, (guint32)self->n_vps, c.msis,
      c.ioapic_routes, c.ioapic_asserts, c.lint_pulses, c.accepted_ranges, c.accepted_pages));
  return g_variant_get_data_as_bytes (state);
}

static gboolean
test_partition_restore (HullPartition *partition, GBytes *bytes, GError **error)
{
  TestPartition *self = test_partition (partition);
  g_autoptr (GVariant) state = NULL;
  guint32 n_vps;
  TestCounters c;

  g_return_val_if_fail (bytes != NULL, FALSE);

  state = hull_saved_state_open (bytes, TEST_PARTITION_SAVE_TYPE, TEST_SAVE_VERSION, error);
  if (state == NULL)
    {
      g_prefix_error (error, _ ("domain '%s': partition: "), self->name);
      return FALSE;
    }
  g_variant_get (state, TEST_PARTITION_SAVE_TYPE, NULL, &n_vps, &c.msis, &c.ioapic_routes,
                 &c.ioapic_asserts, &c.lint_pulses, &c.accepted_ranges, &c.accepted_pages);
  if (n_vps != self->n_vps)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("domain '%s': the partition's saved state is for %u VPs, the partition "
                      "has %u"),
                   self->name, n_vps, self->n_vps);
      return FALSE;
    }

  hull_mutex_lock (&self->lock);
  self->counters = c;
  hull_mutex_unlock (&self->lock);
  return TRUE;
}

static void
inspect_vp_program (gpointer object, HullInspectRequest *request)
{
  const TestVp *vp = object;
  g_autoptr (GVariantBuilder) listing = g_variant_builder_new (G_VARIANT_TYPE_STRING_ARRAY);

  for (guint i = 0; i < vp->n_steps; i++)
    {
      const HullTestStep *step = &vp->steps[i];
      const char *kind = hull_test_step_kind_to_string (step->kind);
      g_autofree char *text = NULL;

      switch (step->kind)
        {
          case HULL_TEST_STEP_OUT:
          case HULL_TEST_STEP_MMIO_WRITE:
            text = g_strdup_printf ("%s 0x%" G_GINT64_MODIFIER "x 0x%" G_GINT64_MODIFIER "x/%u",
                                    kind, step->address, step->value, step->size);
            break;
          case HULL_TEST_STEP_IN:
          case HULL_TEST_STEP_MMIO_READ:
            if (step->has_expect)
              text = g_strdup_printf ("%s 0x%" G_GINT64_MODIFIER "x/%u expect 0x%" G_GINT64_MODIFIER
                                      "x",
                                      kind, step->address, step->size, step->value);
            else
              text = g_strdup_printf ("%s 0x%" G_GINT64_MODIFIER "x/%u", kind, step->address,
                                      step->size);
            break;
          case HULL_TEST_STEP_SPIN:
            text = g_strdup_printf ("%s %" G_GUINT64_FORMAT "us", kind, step->value);
            break;
          case HULL_TEST_STEP_JUMP:
            text = g_strdup_printf ("%s %" G_GUINT64_FORMAT, kind, step->value);
            break;
          case HULL_TEST_STEP_HALT:
            text = g_strdup_printf (
                "%s %s", kind, hull_test_halt_reason_to_string ((HullTestHaltReason)step->value));
            break;
          default:
            text = g_strdup (kind);
            break;
        }
      g_variant_builder_add (listing, "s", text);
    }

  hull_inspect_field_bool (request, "has-program", vp->has_program);
  hull_inspect_field_uint (request, "steps", vp->n_steps);
  hull_inspect_field (request, "listing", g_variant_builder_end (listing));
  hull_inspect_field_bool (request, "fault-bind", vp->fault_bind);
  hull_inspect_field_bool (request, "fault-run", vp->fault_run);
}

static void
inspect_program (gpointer object, HullInspectRequest *request)
{
  TestPartition *self = object;

  for (guint i = 0; i < self->n_vps; i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "%u", i);
      hull_inspect_child (request, name, inspect_vp_program, &self->vps[i]);
    }
}

static void
test_partition_inspect (HullPartition *partition, HullInspectRequest *request)
{
  TestPartition *self = test_partition (partition);
  TestCounters c;
  guint64 resets;

  hull_mutex_lock (&self->lock);
  c = self->counters;
  resets = self->resets;
  hull_mutex_unlock (&self->lock);

  hull_inspect_field_string (request, "backend", "test");
  hull_inspect_field_string (request, "domain", self->name);
  hull_inspect_field_uint (request, "vp-count", self->n_vps);
  hull_inspect_counter (request, "msis", c.msis);
  hull_inspect_counter (request, "ioapic-routes", c.ioapic_routes);
  hull_inspect_counter (request, "ioapic-asserts", c.ioapic_asserts);
  hull_inspect_counter (request, "lint-pulses", c.lint_pulses);
  hull_inspect_counter (request, "accepted-ranges", c.accepted_ranges);
  hull_inspect_counter (request, "accepted-pages", c.accepted_pages);
  hull_inspect_counter (request, "resets", resets);
  hull_inspect_child (request, "program", inspect_program, self);
}

static void
test_partition_destroy (HullPartition *partition)
{
  TestPartition *self = test_partition (partition);

  for (guint i = 0; i < self->n_vps; i++)
    g_warn_if_fail (!g_atomic_int_get (&self->vps[i].bound));
  test_vps_free (self->vps, self->n_vps);
  hull_mutex_clear (&self->lock);
  g_free (self->name);
  g_free (self);
}

static const HullPartitionOps test_partition_ops = {
  .caps = test_partition_caps,
  .request_yield = test_partition_request_yield,
  .request_msi = test_partition_request_msi,
  .ioapic_set_route = test_partition_ioapic_set_route,
  .ioapic_assert = test_partition_ioapic_assert,
  .pulse_lint = test_partition_pulse_lint,
  .reset = test_partition_reset,
  .scrub_vtl = test_partition_scrub_vtl,
  .accept_initial_pages = test_partition_accept_initial_pages,
  .save = test_partition_save,
  .restore = test_partition_restore,
  .inspect = test_partition_inspect,
  .destroy = test_partition_destroy,
};

/* ------------------------------------------------------------------ */
/* Proto partition */

typedef struct
{
  HullProtoPartition parent;
  char *name;
  guint n_vps;
  TestVp *vps;
  gboolean fault_build;
  gboolean x2apic;
  guint vps_per_socket;
  gboolean smt;
} TestProtoPartition;

static void
test_proto_partition_free (HullProtoPartition *proto)
{
  TestProtoPartition *self = (TestProtoPartition *)proto;

  test_vps_free (self->vps, self->n_vps);
  g_free (self->name);
  g_free (self);
}

static guint8
test_proto_partition_max_physical_address_bits (HullProtoPartition *proto)
{
  return TEST_PHYSICAL_ADDRESS_BITS;
}

static guint
bits_for (guint n)
{
  guint bits = 0;

  while ((1u << bits) < n)
    bits++;
  return bits;
}

static void
add_leaf (GArray *leaves, guint32 function, guint32 index, guint32 eax, guint32 ebx, guint32 ecx,
          guint32 edx)
{
  HullCpuidLeaf leaf = { function, index, eax, ebx, ecx, edx };

  g_array_append_val (leaves, leaf);
}

/* "HullTestVirt" as CPUID 0 returns it: EBX, EDX, ECX. */
#define VENDOR_EBX 0x6c6c7548u /* "Hull" */
#define VENDOR_EDX 0x74736554u /* "Test" */
#define VENDOR_ECX 0x74726956u /* "Virt" */

static GArray *
test_proto_partition_cpuid (HullProtoPartition *proto, guint vp_index)
{
  TestProtoPartition *self = (TestProtoPartition *)proto;
  GArray *leaves;
  guint32 apic_id;
  guint smt_bits, core_bits;

  g_return_val_if_fail (vp_index < self->n_vps, NULL);

  apic_id = self->vps[vp_index].apic_id;
  smt_bits = self->smt ? 1 : 0;
  core_bits = bits_for (self->vps_per_socket);
  leaves = g_array_new (FALSE, TRUE, sizeof (HullCpuidLeaf));

  add_leaf (leaves, 0x0, 0, 0xb, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX);
  /* Family 6 model 0x55; EBX: APIC id, logical processors per package, 8-byte
   * CLFLUSH lines; ECX: x2APIC (21), hypervisor (31); EDX: FPU (0), TSC (4),
   * MSR (5), APIC (9), HTT (28) when a package has more than one. */
  add_leaf (leaves, 0x1, 0, 0x00050650,
            ((apic_id & 0xff) << 24) | ((MIN (self->vps_per_socket, 0xffu)) << 16) | (8 << 8),
            (self->x2apic ? 1u << 21 : 0) | (1u << 31),
            (1u << 0) | (1u << 4) | (1u << 5) | (1u << 9)
                | (self->vps_per_socket > 1 ? 1u << 28 : 0));
  /* Extended topology: the SMT level, then the core level. */
  add_leaf (leaves, 0xb, 0, smt_bits, self->smt ? 2 : 1, 0 | (1 << 8), apic_id);
  add_leaf (leaves, 0xb, 1, core_bits, self->vps_per_socket, 1 | (2 << 8), apic_id);
  add_leaf (leaves, 0x80000000, 0, 0x80000008, 0, 0, 0);
  /* Physical and linear address widths. */
  add_leaf (leaves, 0x80000008, 0, TEST_PHYSICAL_ADDRESS_BITS | (48 << 8), 0, 0, 0);
  return leaves;
}

static HullPartition *
test_proto_partition_build (HullProtoPartition *proto, const HullPartitionConfig *config,
                            HullProcessorBinder ***binders, GError **error)
{
  TestProtoPartition *self = (TestProtoPartition *)proto;
  TestPartition *partition;

  g_return_val_if_fail (binders != NULL, NULL);

  if (self->fault_build)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED, _ ("injected fault: build"));
      test_proto_partition_free (proto);
      return NULL;
    }

  partition = g_new0 (TestPartition, 1);
  partition->parent.ops = &test_partition_ops;
  partition->caps.physical_address_bits = TEST_PHYSICAL_ADDRESS_BITS;
  partition->caps.can_freeze_time = TRUE;
  partition->caps.x2apic = TRUE;
  partition->caps.speed = HULL_EXECUTION_EMULATED;
  partition->name = g_steal_pointer (&self->name);
  partition->n_vps = self->n_vps;
  partition->vps = g_steal_pointer (&self->vps);
  hull_mutex_init (&partition->lock);

  *binders = g_new (HullProcessorBinder *, partition->n_vps);
  for (guint i = 0; i < partition->n_vps; i++)
    {
      partition->vps[i].partition = partition;
      (*binders)[i] = &partition->vps[i].binder;
    }

  test_proto_partition_free (proto);
  return &partition->parent;
}

static const HullProtoPartitionOps test_proto_partition_ops = {
  .max_physical_address_bits = test_proto_partition_max_physical_address_bits,
  .cpuid = test_proto_partition_cpuid,
  .build = test_proto_partition_build,
  .free = test_proto_partition_free,
};

/* ------------------------------------------------------------------ */
/* Hypervisor */

typedef struct
{
  HullHypervisor parent;
} TestHypervisor;

static HullHypervisor *
test_hypervisor_open (const HullHypervisorConfig *config, GError **error)
{
  TestHypervisor *self = g_new0 (TestHypervisor, 1);

  self->parent.ops = &test_hypervisor_ops;
  return &self->parent;
}

static gboolean
test_hypervisor_probe (HullHypervisor *hypervisor, HullExecutionSpeed *speed, GError **error)
{
  if (speed != NULL)
    *speed = HULL_EXECUTION_EMULATED;
  return TRUE;
}

static gboolean
refuse (const HullDomainDef *def, const char *setting, GError **error)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
               _ ("domain '%s': the test backend does not support %s"), def->name, setting);
  return FALSE;
}

static gboolean
check_def (const HullDomainDef *def, guint n_vps, GError **error)
{
  if (def->type != HULL_DOMAIN_TYPE_TEST)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("domain '%s': the test backend runs only domains of type 'test', not '%s'"),
                   def->name, hull_domain_type_to_string (def->type));
      return FALSE;
    }
  if (def->isolation != HULL_ISOLATION_NONE)
    return refuse (def, _ ("<hull:isolation> other than 'none'"), error);
  if (def->hyperv)
    return refuse (def, _ ("<hull:hyperv state='on'>"), error);
  if (def->has_vtl2)
    return refuse (def, _ ("<hull:vtl2>"), error);
  if (def->user_mode_apic)
    return refuse (def, _ ("<hull:apic user-mode='yes'>"), error);
  if (def->test_program != NULL && !hull_test_program_validate (def->test_program, n_vps, error))
    {
      g_prefix_error (error, _ ("domain '%s': "), def->name);
      return FALSE;
    }
  return TRUE;
}

static HullProtoPartition *
test_hypervisor_new_proto_partition (HullHypervisor *hypervisor,
                                     const HullProtoPartitionConfig *config, GError **error)
{
  const HullDomainDef *def;
  const HullTestProgram *program;
  TestProtoPartition *self;
  guint n_vps;

  g_return_val_if_fail (config != NULL && config->def != NULL && config->topology != NULL, NULL);

  def = config->def;
  program = def->test_program;
  n_vps = hull_processor_topology_get_vp_count (config->topology);
  if (!check_def (def, n_vps, error))
    return NULL;

  self = g_new0 (TestProtoPartition, 1);
  self->parent.ops = &test_proto_partition_ops;
  self->name = g_strdup (def->name);
  self->n_vps = n_vps;
  self->x2apic = hull_processor_topology_get_apic_mode (config->topology) != HULL_APIC_MODE_XAPIC;
  self->vps_per_socket = hull_processor_topology_get_vps_per_socket (config->topology);
  self->smt = hull_processor_topology_get_smt_enabled (config->topology);
  self->vps = g_new0 (TestVp, n_vps);
  for (guint i = 0; i < n_vps; i++)
    {
      const HullVpInfo *info = hull_processor_topology_get_vp (config->topology, i);

      test_vp_init (&self->vps[i], i, info->apic_id,
                    program != NULL ? hull_test_program_find_vp (program, i) : NULL);
    }

  for (guint i = 0; program != NULL && i < program->faults->len; i++)
    {
      const HullTestFault *fault = &g_array_index (program->faults, HullTestFault, i);

      if (fault->stage == HULL_TEST_FAULT_BUILD)
        {
          self->fault_build = TRUE;
          continue;
        }
      /* Bind and run faults hit one VP, or every VP when none is named. */
      for (guint v = 0; v < n_vps; v++)
        {
          if (fault->has_vp && fault->vp_index != v)
            continue;
          if (fault->stage == HULL_TEST_FAULT_BIND)
            self->vps[v].fault_bind = TRUE;
          else
            self->vps[v].fault_run = TRUE;
        }
    }

  return &self->parent;
}

static void
test_hypervisor_close (HullHypervisor *hypervisor)
{
  g_free (hypervisor);
}

static const HullHypervisorOps test_hypervisor_ops = {
  .open = test_hypervisor_open,
  .probe = test_hypervisor_probe,
  .new_proto_partition = test_hypervisor_new_proto_partition,
  .close = test_hypervisor_close,
};

/* ------------------------------------------------------------------ */
/* Module */

static const HullBackendModule test_backend_module = {
  .abi_version = HULL_BACKEND_ABI_VERSION,
  .name = "test",
  .description = "In-process software backend that interprets <hull:test-program>",
  .hypervisor = &test_hypervisor_ops,
};

G_MODULE_EXPORT const HullBackendModule *hull_backend_module (void);

G_MODULE_EXPORT const HullBackendModule *
hull_backend_module (void)
{
  return &test_backend_module;
}
