/* kvm-partition.c — the KVM VM: build (memory slots, the in-kernel irqchip
 * and PIT, the vCPUs), interrupts (MSIs, IO-APIC lines and routes, NMIs),
 * reset, save/restore of the VM-wide state, and inspect.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hull-error.h"
#include "hull-saved-state.h"
#include "hull-i18n.h"
#include "hull-inspect.h"

#include "kvm-private.h"

/* GVariant type of the partition's saved state: version, VP count, PIC
 * master, PIC slave, IO-APIC (raw kvm_pic_state / kvm_ioapic_state), PIT
 * (raw kvm_pit_state2), kvmclock (clock, flags), and the IO-APIC lines
 * routed to an MSI (line, address, data). */
#define KVM_PARTITION_SAVE_TYPE "(uuayayayay(tu)a(ytu))"
#define KVM_PARTITION_SAVE_FORMAT "(uu@ay@ay@ay@ay(tu)a(ytu))"

#define MSI_ADDRESS_BASE 0xfee00000u

static const HullPartitionOps kvm_partition_ops;

static KvmPartition *
kvm_partition (HullPartition *partition)
{
  return (KvmPartition *)partition;
}

static gboolean
failed (KvmPartition *self, GError **error, const char *what, int errsv)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_BACKEND_FAILED, _ ("domain '%s': %s failed: %s"),
               self->name, what, g_strerror (errsv));
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Interrupt routing */

/**
 * kvm_msi_to_kvm:
 * @self: the partition
 * @msi: an MSI in x86 architectural format (docs/kvm-backend.md, "Interrupts")
 * @address_lo: (out): KVM's address_lo
 * @address_hi: (out): KVM's address_hi (destination bits 31:8 in x2APIC format)
 * @data: (out): KVM's data
 *
 * Returns: FALSE when @msi is not an interrupt message or names a
 *   destination above 255 without KVM_CAP_X2APIC_API.
 */
gboolean
kvm_msi_to_kvm (KvmPartition *self, const HullMsi *msi, guint32 *address_lo, guint32 *address_hi,
                guint32 *data)
{
  guint32 low = (guint32)msi->address;
  guint32 dest = ((low >> 12) & 0xff) | (((low >> 5) & 0x7f) << 8)
                 | ((guint32)(msi->address >> 32) & 0xffffff00u);

  if ((low & 0xfff00000u) != MSI_ADDRESS_BASE)
    return FALSE;
  if (dest > 0xff && !self->x2apic_format)
    return FALSE;
  *address_lo = MSI_ADDRESS_BASE | ((dest & 0xff) << 12) | (low & 0xc);
  *address_hi = self->x2apic_format ? dest & 0xffffff00u : 0;
  *data = msi->data;
  return TRUE;
}

/* KVM's default routing (what KVM_CREATE_IRQCHIP installs) for the lines
 * without an MSI route; called with the lock held. */
static gboolean
apply_routes (KvmPartition *self, const KvmRoute *routes, GError **error)
{
  g_autofree struct kvm_irq_routing *table = NULL;
  guint n = 0;

  table = g_malloc0 (sizeof *table + (KVM_IOAPIC_LINES + 16) * sizeof table->entries[0]);
  for (guint gsi = 0; gsi < KVM_IOAPIC_LINES; gsi++)
    {
      struct kvm_irq_routing_entry *e = &table->entries[n++];

      e->gsi = gsi;
      if (routes[gsi].is_msi)
        {
          e->type = KVM_IRQ_ROUTING_MSI;
          if (!kvm_msi_to_kvm (self, &routes[gsi].msi, &e->u.msi.address_lo, &e->u.msi.address_hi,
                               &e->u.msi.data))
            {
              g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                           _ ("domain '%s': IO-APIC line %u: 0x%llx is not an MSI address this "
                              "partition can deliver"),
                           self->name, gsi, (unsigned long long)routes[gsi].msi.address);
              return FALSE;
            }
          continue;
        }
      e->type = KVM_IRQ_ROUTING_IRQCHIP;
      e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
      e->u.irqchip.pin = gsi;
      if (gsi < 16)
        {
          e = &table->entries[n++];
          e->gsi = gsi;
          e->type = KVM_IRQ_ROUTING_IRQCHIP;
          e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
          e->u.irqchip.pin = gsi % 8;
        }
    }
  table->nr = n;
  if (ioctl (self->vm_fd, KVM_SET_GSI_ROUTING, table) < 0)
    return failed (self, error, "KVM_SET_GSI_ROUTING", errno);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Irqchip and PIT state */

static gboolean
get_chips (KvmPartition *self, KvmChipState *chips, GError **error)
{
  memset (chips, 0, sizeof *chips);
  chips->pic_master.chip_id = KVM_IRQCHIP_PIC_MASTER;
  chips->pic_slave.chip_id = KVM_IRQCHIP_PIC_SLAVE;
  chips->ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
  if (ioctl (self->vm_fd, KVM_GET_IRQCHIP, &chips->pic_master) < 0
      || ioctl (self->vm_fd, KVM_GET_IRQCHIP, &chips->pic_slave) < 0
      || ioctl (self->vm_fd, KVM_GET_IRQCHIP, &chips->ioapic) < 0)
    return failed (self, error, "KVM_GET_IRQCHIP", errno);
  if (ioctl (self->vm_fd, KVM_GET_PIT2, &chips->pit) < 0)
    return failed (self, error, "KVM_GET_PIT2", errno);
  return TRUE;
}

static gboolean
set_chips (KvmPartition *self, const KvmChipState *chips, GError **error)
{
  if (ioctl (self->vm_fd, KVM_SET_IRQCHIP, &chips->pic_master) < 0
      || ioctl (self->vm_fd, KVM_SET_IRQCHIP, &chips->pic_slave) < 0
      || ioctl (self->vm_fd, KVM_SET_IRQCHIP, &chips->ioapic) < 0)
    return failed (self, error, "KVM_SET_IRQCHIP", errno);
  if (ioctl (self->vm_fd, KVM_SET_PIT2, &chips->pit) < 0)
    return failed (self, error, "KVM_SET_PIT2", errno);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Partition ops */

static const HullPartitionCaps *
kvm_partition_caps (HullPartition *partition)
{
  return &kvm_partition (partition)->caps;
}

static void
kvm_partition_request_yield (HullPartition *partition, guint vp)
{
  KvmPartition *self = kvm_partition (partition);

  g_return_if_fail (vp < self->n_vps);
  kvm_vp_request_yield (&self->vps[vp]);
}

/* KVM_SIGNAL_MSI is a VM ioctl: it does not wait for a running vCPU. */
static void
signal_msi (KvmPartition *self, guint32 address_lo, guint32 address_hi, guint32 data)
{
  struct kvm_msi msi = { .address_lo = address_lo, .address_hi = address_hi, .data = data };
  int r = ioctl (self->vm_fd, KVM_SIGNAL_MSI, &msi);

  hull_mutex_lock (&self->lock);
  if (r > 0)
    self->counters.msis++;
  else
    self->counters.msis_dropped++;
  hull_mutex_unlock (&self->lock);
  if (r < 0)
    g_debug ("domain '%s': KVM_SIGNAL_MSI 0x%x:0x%x 0x%x failed: %s", self->name, address_hi,
             address_lo, data, g_strerror (errno));
}

static void
kvm_partition_request_msi (HullPartition *partition, guint vtl, const HullMsi *msi)
{
  KvmPartition *self = kvm_partition (partition);
  guint32 lo, hi, data;

  g_return_if_fail (msi != NULL);

  if (vtl != 0 || !kvm_msi_to_kvm (self, msi, &lo, &hi, &data))
    {
      hull_mutex_lock (&self->lock);
      self->counters.msis_dropped++;
      hull_mutex_unlock (&self->lock);
      return;
    }
  signal_msi (self, lo, hi, data);
}

static void
kvm_partition_ioapic_set_route (HullPartition *partition, guint8 irq, const HullMsi *msi)
{
  KvmPartition *self = kvm_partition (partition);
  g_autoptr (GError) error = NULL;
  KvmRoute old;

  g_return_if_fail (irq < KVM_IOAPIC_LINES);

  hull_mutex_lock (&self->lock);
  old = self->routes[irq];
  self->routes[irq].is_msi = msi != NULL;
  if (msi != NULL)
    self->routes[irq].msi = *msi;
  else
    memset (&self->routes[irq].msi, 0, sizeof self->routes[irq].msi);
  if (apply_routes (self, self->routes, &error))
    self->counters.ioapic_routes++;
  else
    {
      self->routes[irq] = old;
      g_warning ("%s", error->message);
    }
  hull_mutex_unlock (&self->lock);
}

static void
kvm_partition_ioapic_assert (HullPartition *partition, guint8 irq)
{
  KvmPartition *self = kvm_partition (partition);
  struct kvm_irq_level line = { .irq = irq, .level = 1 };

  g_return_if_fail (irq < KVM_IOAPIC_LINES);

  /* An ISA edge: raise, then lower, the line of the in-kernel PIC and IO-APIC. */
  if (ioctl (self->vm_fd, KVM_IRQ_LINE, &line) < 0)
    g_debug ("domain '%s': KVM_IRQ_LINE %u failed: %s", self->name, irq, g_strerror (errno));
  line.level = 0;
  ioctl (self->vm_fd, KVM_IRQ_LINE, &line);
  hull_mutex_lock (&self->lock);
  self->counters.ioapic_asserts++;
  hull_mutex_unlock (&self->lock);
}

static void
kvm_partition_pulse_lint (HullPartition *partition, guint vp, guint vtl, guint8 lint)
{
  KvmPartition *self = kvm_partition (partition);

  g_return_if_fail (vp < self->n_vps);
  g_return_if_fail (lint <= 1);

  if (lint == 0 || vtl != 0)
    {
      /* LINT0 is the in-kernel PIC's INTR line, which KVM wires itself. */
      hull_mutex_lock (&self->lock);
      self->counters.lint0_ignored++;
      hull_mutex_unlock (&self->lock);
      return;
    }
  /* LINT1 is NMI, injected by the VP thread (kvm_vp_request_nmi()). */
  hull_mutex_lock (&self->lock);
  self->counters.nmis++;
  hull_mutex_unlock (&self->lock);
  kvm_vp_request_nmi (&self->vps[vp]);
}

static gboolean
kvm_partition_reset (HullPartition *partition, GError **error)
{
  KvmPartition *self = kvm_partition (partition);
  gboolean ok;

  hull_mutex_lock (&self->lock);
  memset (self->routes, 0, sizeof self->routes);
  ok = set_chips (self, &self->initial_chips, error) && apply_routes (self, self->routes, error);
  if (ok)
    self->counters.resets++;
  hull_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
kvm_partition_scrub_vtl (HullPartition *partition, guint vtl, GError **error)
{
  KvmPartition *self = kvm_partition (partition);

  if (vtl != 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("domain '%s': the kvm backend has no VTL %u"), self->name, vtl);
      return FALSE;
    }
  return kvm_partition_reset (partition, error);
}

/* ------------------------------------------------------------------ */
/* Save and restore */

typedef struct
{
  KvmChipState chips;
  struct kvm_clock_data clock;
  KvmRoute routes[KVM_IOAPIC_LINES];
} KvmVmState;

static gboolean
capture (KvmPartition *self, KvmVmState *state, GError **error)
{
  memset (state, 0, sizeof *state);
  if (!get_chips (self, &state->chips, error))
    return FALSE;
  if (ioctl (self->vm_fd, KVM_GET_CLOCK, &state->clock) < 0)
    return failed (self, error, "KVM_GET_CLOCK", errno);
  hull_mutex_lock (&self->lock);
  memcpy (state->routes, self->routes, sizeof state->routes);
  hull_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
apply (KvmPartition *self, const KvmVmState *state, GError **error)
{
  struct kvm_clock_data clock = { .clock = state->clock.clock };
  gboolean ok;

  if (!set_chips (self, &state->chips, error))
    return FALSE;
  if (ioctl (self->vm_fd, KVM_SET_CLOCK, &clock) < 0)
    return failed (self, error, "KVM_SET_CLOCK", errno);
  hull_mutex_lock (&self->lock);
  ok = apply_routes (self, state->routes, error);
  if (ok)
    memcpy (self->routes, state->routes, sizeof self->routes);
  hull_mutex_unlock (&self->lock);
  return ok;
}

static GVariant *
bytes_variant (gconstpointer data, gsize size)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, size, 1);
}

static GBytes *
kvm_partition_save (HullPartition *partition, GError **error)
{
  KvmPartition *self = kvm_partition (partition);
  g_autoptr (GVariant) variant = NULL;
  GVariantBuilder routes;
  KvmVmState state;

  if (!capture (self, &state, error))
    return NULL;

  g_variant_builder_init (&routes, G_VARIANT_TYPE ("a(ytu)"));
  for (guint i = 0; i < KVM_IOAPIC_LINES; i++)
    if (state.routes[i].is_msi)
      g_variant_builder_add (&routes, "(ytu)", (guint8)i, state.routes[i].msi.address,
                             state.routes[i].msi.data);
  variant = g_variant_ref_sink (g_variant_new (
      KVM_PARTITION_SAVE_FORMAT, (guint32)KVM_SAVE_VERSION, (guint32)self->n_vps,
      bytes_variant (&state.chips.pic_master.chip.pic, sizeof (struct kvm_pic_state)),
      bytes_variant (&state.chips.pic_slave.chip.pic, sizeof (struct kvm_pic_state)),
      bytes_variant (&state.chips.ioapic.chip.ioapic, sizeof (struct kvm_ioapic_state)),
      bytes_variant (&state.chips.pit, sizeof (struct kvm_pit_state2)), (guint64)state.clock.clock,
      (guint32)state.clock.flags, &routes));
  return g_variant_get_data_as_bytes (variant);
}

static gboolean
corrupt (KvmPartition *self, GError **error, const char *why)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
               _ ("domain '%s': the partition's saved state is damaged: %s"), self->name, why);
  return FALSE;
}

/* Copies the byte array @child into @dest, which must be exactly @size. */
static gboolean
take_bytes (GVariant *child, gpointer dest, gsize size)
{
  gsize n = 0;
  gconstpointer data = g_variant_get_fixed_array (child, &n, 1);

  if (n != size)
    return FALSE;
  memcpy (dest, data, size);
  return TRUE;
}

/* Decodes and checks @bytes completely, without touching the VM. */
static gboolean
decode_state (KvmPartition *self, GBytes *bytes, KvmVmState *state, GError **error)
{
  g_autoptr (GVariant) variant = NULL;
  g_autoptr (GVariant) master = NULL, slave = NULL, ioapic = NULL, pit = NULL;
  g_autoptr (GVariantIter) routes = NULL;
  guint32 n_vps, flags;
  guint64 clock, address;
  guint32 data;
  guint8 irq;

  variant = hull_saved_state_open (bytes, KVM_PARTITION_SAVE_TYPE, KVM_SAVE_VERSION, error);
  if (variant == NULL)
    {
      g_prefix_error (error, _ ("domain '%s': partition: "), self->name);
      return FALSE;
    }
  g_variant_get (variant, KVM_PARTITION_SAVE_FORMAT, NULL, &n_vps, NULL, NULL, NULL, NULL, NULL,
                 NULL, NULL);
  if (n_vps != self->n_vps)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("domain '%s': the partition's saved state is for %u VPs, the partition "
                      "has %u"),
                   self->name, n_vps, self->n_vps);
      return FALSE;
    }

  memset (state, 0, sizeof *state);
  state->chips.pic_master.chip_id = KVM_IRQCHIP_PIC_MASTER;
  state->chips.pic_slave.chip_id = KVM_IRQCHIP_PIC_SLAVE;
  state->chips.ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
  g_variant_get (variant, KVM_PARTITION_SAVE_FORMAT, NULL, NULL, &master, &slave, &ioapic, &pit,
                 &clock, &flags, &routes);
  if (!take_bytes (master, &state->chips.pic_master.chip.pic, sizeof (struct kvm_pic_state))
      || !take_bytes (slave, &state->chips.pic_slave.chip.pic, sizeof (struct kvm_pic_state))
      || !take_bytes (ioapic, &state->chips.ioapic.chip.ioapic, sizeof (struct kvm_ioapic_state))
      || !take_bytes (pit, &state->chips.pit, sizeof (struct kvm_pit_state2)))
    return corrupt (self, error, _ ("an interrupt controller or timer state has the wrong size"));
  state->clock.clock = clock;
  state->clock.flags = flags;

  while (g_variant_iter_next (routes, "(ytu)", &irq, &address, &data))
    {
      HullMsi msi = { address, data };
      guint32 lo, hi, d;

      if (irq >= KVM_IOAPIC_LINES || state->routes[irq].is_msi)
        return corrupt (self, error, _ ("an IO-APIC route names a bad or repeated line"));
      if (!kvm_msi_to_kvm (self, &msi, &lo, &hi, &d))
        return corrupt (self, error, _ ("an IO-APIC route is not a deliverable MSI"));
      state->routes[irq].is_msi = TRUE;
      state->routes[irq].msi = msi;
    }
  return TRUE;
}

static gboolean
kvm_partition_restore (HullPartition *partition, GBytes *bytes, GError **error)
{
  KvmPartition *self = kvm_partition (partition);
  g_autoptr (GError) local = NULL;
  KvmVmState state, previous;

  g_return_val_if_fail (bytes != NULL, FALSE);

  if (!decode_state (self, bytes, &state, error) || !capture (self, &previous, error))
    return FALSE;
  if (apply (self, &state, &local))
    return TRUE;

  /* KVM refused part of it: put back what was there. */
  if (!apply (self, &previous, NULL))
    g_warning ("domain '%s': could not roll back a failed restore", self->name);
  g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
               _ ("domain '%s': the partition's saved state was refused: %s"), self->name,
               local->message);
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Inspect and destroy */

static void
inspect_slots (gpointer object, HullInspectRequest *request)
{
  KvmPartition *self = object;

  for (guint i = 0; i < self->n_slots; i++)
    {
      const HullGuestMemoryRegion *r = hull_guest_memory_get_region (self->memory, i);
      char name[16];
      g_autofree char *text = NULL;

      g_snprintf (name, sizeof name, "%u", i);
      text = g_strdup_printf ("0x%llx+0x%llx @%p", (unsigned long long)r->guest_address,
                              (unsigned long long)r->size, (void *)r->host_address);
      hull_inspect_field_string (request, name, text);
    }
}

static void
inspect_exits (gpointer object, HullInspectRequest *request)
{
  KvmPartition *self = object;

  for (guint reason = 0; reason < KVM_EXIT_COUNTERS; reason++)
    {
      guint64 total = 0;
      const char *name;

      for (guint i = 0; i < self->n_vps; i++)
        total += kvm_counter_get (&self->vps[i].counters.exits[reason]);
      if (total == 0)
        continue;
      name = kvm_exit_reason_name (reason);
      if (g_str_has_prefix (name, "KVM_EXIT_"))
        {
          g_autofree char *lower = g_ascii_strdown (name + strlen ("KVM_EXIT_"), -1);

          hull_inspect_counter (request, lower, total);
        }
      else
        hull_inspect_counter (request, "other", total);
    }
}

static void
kvm_partition_inspect (HullPartition *partition, HullInspectRequest *request)
{
  KvmPartition *self = kvm_partition (partition);
  guint64 kicks = 0, yields = 0, interrupted = 0;
  KvmCounters c;

  hull_mutex_lock (&self->lock);
  c = self->counters;
  hull_mutex_unlock (&self->lock);
  for (guint i = 0; i < self->n_vps; i++)
    {
      kicks += (guint)g_atomic_int_get (&self->vps[i].kicks);
      yields += (guint)g_atomic_int_get (&self->vps[i].yields_requested);
      interrupted += kvm_counter_get (&self->vps[i].counters.interrupted);
    }

  hull_inspect_field_string (request, "backend", "kvm");
  hull_inspect_field_string (request, "domain", self->name);
  hull_inspect_field_uint (request, "vp-count", self->n_vps);
  hull_inspect_field_string (request, "irqchip", "in-kernel (PIC, IO-APIC, PIT, LAPIC)");
  hull_inspect_field_bool (request, "x2apic-api", self->x2apic_format);
  hull_inspect_field_uint (request, "physical-address-bits", self->caps.physical_address_bits);
  hull_inspect_field_string (request, "speed",
                             self->caps.speed == HULL_EXECUTION_HARDWARE   ? "hardware"
                             : self->caps.speed == HULL_EXECUTION_EMULATED ? "emulated"
                                                                           : "unknown");
  hull_inspect_field_uint (request, "probe-ps-per-instruction",
                           self->hypervisor->probe_ps_per_insn);
  hull_inspect_field_uint (request, "memory-slots", self->n_slots);
  hull_inspect_child (request, "slots", inspect_slots, self);
  hull_inspect_counter (request, "msis", c.msis);
  hull_inspect_counter (request, "msis-dropped", c.msis_dropped);
  hull_inspect_counter (request, "ioapic-routes", c.ioapic_routes);
  hull_inspect_counter (request, "ioapic-asserts", c.ioapic_asserts);
  hull_inspect_counter (request, "nmis", c.nmis);
  hull_inspect_counter (request, "lint0-ignored", c.lint0_ignored);
  hull_inspect_counter (request, "resets", c.resets);
  hull_inspect_counter (request, "yield-requests", yields);
  hull_inspect_counter (request, "kicks", kicks);
  hull_inspect_counter (request, "interrupted-runs", interrupted);
  hull_inspect_child (request, "exits", inspect_exits, self);
}

static void
vp_clear (KvmPartition *self, KvmVp *vp)
{
  if (vp->run != NULL)
    munmap (vp->run, self->hypervisor->run_size);
  if (vp->fd >= 0)
    close (vp->fd);
  g_free (vp->cpuid);
  g_free (vp->initial_xsave);
  hull_mutex_clear (&vp->lock);
  hull_cond_clear (&vp->wake);
}

static void
partition_free (KvmPartition *self)
{
  for (guint i = 0; i < self->n_vps; i++)
    vp_clear (self, &self->vps[i]);
  g_free (self->vps);
  if (self->vm_fd >= 0)
    close (self->vm_fd);
  hull_guest_memory_unref (self->memory);
  hull_mutex_clear (&self->lock);
  g_free (self->name);
  g_free (self);
}

static void
kvm_partition_destroy (HullPartition *partition)
{
  KvmPartition *self = kvm_partition (partition);

  for (guint i = 0; i < self->n_vps; i++)
    g_warn_if_fail (!g_atomic_int_get (&self->vps[i].bound));
  partition_free (self);
}

static const HullPartitionOps kvm_partition_ops = {
  .caps = kvm_partition_caps,
  .request_yield = kvm_partition_request_yield,
  .request_msi = kvm_partition_request_msi,
  .ioapic_set_route = kvm_partition_ioapic_set_route,
  .ioapic_assert = kvm_partition_ioapic_assert,
  .pulse_lint = kvm_partition_pulse_lint,
  .reset = kvm_partition_reset,
  .scrub_vtl = kvm_partition_scrub_vtl,
  .accept_initial_pages = NULL,
  .save = kvm_partition_save,
  .restore = kvm_partition_restore,
  .inspect = kvm_partition_inspect,
  .destroy = kvm_partition_destroy,
};

/* ------------------------------------------------------------------ */
/* Build */

static gboolean
add_memory_slots (KvmPartition *self, HullGuestMemory *memory, GError **error)
{
  guint n = hull_guest_memory_get_n_regions (memory);

  for (guint i = 0; i < n; i++)
    {
      const HullGuestMemoryRegion *r = hull_guest_memory_get_region (memory, i);
      struct kvm_userspace_memory_region slot = {
        .slot = i,
        .guest_phys_addr = r->guest_address,
        .memory_size = r->size,
        .userspace_addr = (guint64)(guintptr)r->host_address,
      };

      if (r->guest_address < KVM_TSS_ADDRESS + KVM_TSS_SIZE
          && r->guest_address + r->size > KVM_IDENTITY_MAP_ADDRESS)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                       _ ("domain '%s': RAM [0x%llx, 0x%llx) overlaps [0x%x, 0x%x), which KVM "
                          "needs for its TSS and identity map (keep it in an MMIO gap)"),
                       self->name, (unsigned long long)r->guest_address,
                       (unsigned long long)(r->guest_address + r->size), KVM_IDENTITY_MAP_ADDRESS,
                       KVM_TSS_ADDRESS + KVM_TSS_SIZE);
          return FALSE;
        }
      if (ioctl (self->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        return failed (self, error, "KVM_SET_USER_MEMORY_REGION", errno);
      self->n_slots = i + 1;
    }
  return TRUE;
}

static gboolean
create_vm (KvmPartition *self, HullGuestMemory *memory, GError **error)
{
  KvmHypervisor *hv = self->hypervisor;
  guint64 identity_map = KVM_IDENTITY_MAP_ADDRESS;
  struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

  self->vm_fd = ioctl (hv->fd, KVM_CREATE_VM, 0);
  if (self->vm_fd < 0)
    return failed (self, error, "KVM_CREATE_VM", errno);
  if (hv->has_x2apic_api)
    {
      struct kvm_enable_cap cap = {
        .cap = KVM_CAP_X2APIC_API,
        .args[0] = KVM_X2APIC_API_USE_32BIT_IDS | KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK,
      };

      if (ioctl (self->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
        return failed (self, error, "KVM_ENABLE_CAP(KVM_CAP_X2APIC_API)", errno);
      self->x2apic_format = TRUE;
    }
  if (ioctl (self->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDRESS) < 0)
    return failed (self, error, "KVM_SET_TSS_ADDR", errno);
  if (ioctl (self->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity_map) < 0)
    return failed (self, error, "KVM_SET_IDENTITY_MAP_ADDR", errno);
  if (ioctl (self->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
    return failed (self, error, "KVM_CREATE_IRQCHIP", errno);
  if (ioctl (self->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
    return failed (self, error, "KVM_CREATE_PIT2", errno);

  self->memory = hull_guest_memory_ref (memory);
  if (!add_memory_slots (self, memory, error))
    return FALSE;
  if (!get_chips (self, &self->initial_chips, error))
    return FALSE;
  /* KVM's BSP is vCPU id 0 unless told otherwise. */
  if (self->vps[0].apic_id != 0
      && ioctl (self->vm_fd, KVM_SET_BOOT_CPU_ID, (unsigned long)self->vps[0].apic_id) < 0)
    return failed (self, error, "KVM_SET_BOOT_CPU_ID", errno);
  return TRUE;
}

static gboolean
create_vcpu (KvmPartition *self, KvmVp *vp, GError **error)
{
  KvmHypervisor *hv = self->hypervisor;
  const struct kvm_cpuid_entry2 *leaf1;
  void *run;

  vp->fd = ioctl (self->vm_fd, KVM_CREATE_VCPU, (unsigned long)vp->apic_id);
  if (vp->fd < 0)
    return failed (self, error, "KVM_CREATE_VCPU", errno);
  run = mmap (NULL, hv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vp->fd, 0);
  if (run == MAP_FAILED)
    return failed (self, error, "mmap of kvm_run", errno);
  vp->run = run;
  vp->cpuid = kvm_cpuid_for_vp (hv->supported_cpuid, &self->topology, vp->apic_id);
  if (ioctl (vp->fd, KVM_SET_CPUID2, vp->cpuid) < 0)
    return failed (self, error, "KVM_SET_CPUID2", errno);
  leaf1 = kvm_cpuid_find (vp->cpuid, 1, 0);
  vp->reset_rdx = leaf1 != NULL ? leaf1->eax : 0x600;
  if (!kvm_vp_capture_initial_state (vp, error) || !kvm_vp_reset (vp, error))
    {
      g_prefix_error (error, _ ("domain '%s': "), self->name);
      return FALSE;
    }
  return TRUE;
}

/**
 * kvm_partition_build:
 * @proto: (transfer full): the proto partition, consumed also on failure
 * @config: memory and layout
 * @binders: (out): one binder per VP, in VP order
 * @error: return location for a #GError
 *
 * Creates the VM with the in-kernel irqchip and PIT, one memory slot per
 * guest memory region, and every vCPU in VP order with vCPU id = APIC id,
 * each reset to the architectural state.
 *
 * Returns: (transfer full): the partition, or %NULL.
 */
HullPartition *
kvm_partition_build (KvmProtoPartition *proto, const HullPartitionConfig *config,
                     HullProcessorBinder ***binders, GError **error)
{
  KvmPartition *self;

  g_return_val_if_fail (config != NULL && config->memory != NULL && binders != NULL, NULL);

  self = g_new0 (KvmPartition, 1);
  self->parent.ops = &kvm_partition_ops;
  self->hypervisor = proto->hypervisor;
  self->name = g_steal_pointer (&proto->name);
  self->vm_fd = -1;
  self->topology = proto->topology;
  self->n_vps = proto->n_vps;
  hull_mutex_init (&self->lock);
  self->vps = g_new0 (KvmVp, self->n_vps);
  for (guint i = 0; i < self->n_vps; i++)
    {
      KvmVp *vp = &self->vps[i];

      vp->binder.ops = &kvm_binder_ops;
      vp->binder.vp_index = i;
      vp->partition = self;
      vp->index = i;
      vp->apic_id = proto->apic_ids[i];
      vp->fd = -1;
      hull_mutex_init (&vp->lock);
      hull_cond_init (&vp->wake);
    }
  kvm_proto_partition_free (proto);

  /* The probe runs its own small VM; do it before this one exists. */
  kvm_hypervisor_ensure_probed (self->hypervisor);

  if (!create_vm (self, config->memory, error))
    goto fail;
  for (guint i = 0; i < self->n_vps; i++)
    if (!create_vcpu (self, &self->vps[i], error))
      goto fail;

  self->caps.physical_address_bits
      = kvm_cpuid_physical_address_bits (self->hypervisor->supported_cpuid);
  self->caps.can_freeze_time = FALSE;
  self->caps.x2apic = self->topology.apic_mode != HULL_APIC_MODE_XAPIC;
  self->caps.speed = self->hypervisor->speed;

  *binders = g_new (HullProcessorBinder *, self->n_vps);
  for (guint i = 0; i < self->n_vps; i++)
    (*binders)[i] = &self->vps[i].binder;
  return &self->parent;

fail:
  partition_free (self);
  return NULL;
}
