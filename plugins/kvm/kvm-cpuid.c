/* kvm-cpuid.c — the CPUID leaves a VP sees: KVM_GET_SUPPORTED_CPUID with the
 * VP's APIC id and the domain's topology patched in (docs/kvm-backend.md,
 * "CPUID").
 */
#include "config.h"

#include <string.h>

#include "kvm-private.h"

/* CPUID.1 */
#define CPUID_1_ECX_X2APIC (1u << 21)
#define CPUID_1_EDX_HTT (1u << 28)

/* KVM's paravirtual leaves (Documentation/virt/kvm/x86/cpuid.rst). */
#define KVM_CPUID_SIGNATURE 0x40000000u
#define KVM_CPUID_FEATURES 0x40000001u
#define KVM_SIGNATURE_EBX 0x4b4d564bu /* "KVMK" */
#define KVM_SIGNATURE_ECX 0x564b4d56u /* "VMKV" */
#define KVM_SIGNATURE_EDX 0x0000004du /* "M\0\0\0" */
#define KVM_FEATURE_NOP_IO_DELAY_BIT (1u << 1)
#define KVM_FEATURE_CLOCKSOURCE2_BIT (1u << 3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT_BIT (1u << 24)
/* The paravirtual features Hull offers: kvmclock and no port 0x80 delays.
 * Everything else (async page faults, steal time, PV EOI, PV IPIs and TLB
 * flushes, PV unhalt) carries per-VP state Hull does not save. */
#define KVM_FEATURES_KEPT                                                                          \
  (KVM_FEATURE_NOP_IO_DELAY_BIT | KVM_FEATURE_CLOCKSOURCE2_BIT                                     \
   | KVM_FEATURE_CLOCKSOURCE_STABLE_BIT_BIT)

/* Topology level types of leaves 0xB and 0x1F. */
#define TOPOLOGY_LEVEL_SMT 1
#define TOPOLOGY_LEVEL_CORE 2

#define DEFAULT_PHYSICAL_ADDRESS_BITS 36

/**
 * kvm_cpuid_find:
 * @cpuid: leaves
 * @function: the leaf
 * @index: the subleaf
 *
 * Returns: (transfer none) (nullable): the entry, or %NULL.
 */
const struct kvm_cpuid_entry2 *
kvm_cpuid_find (const struct kvm_cpuid2 *cpuid, guint32 function, guint32 index)
{
  for (guint i = 0; i < cpuid->nent; i++)
    {
      const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

      if (e->function == function
          && (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
        return e;
    }
  return NULL;
}

/**
 * kvm_cpuid_physical_address_bits:
 * @cpuid: leaves
 *
 * Returns: the physical address width CPUID 0x80000008 reports, or 36.
 */
guint8
kvm_cpuid_physical_address_bits (const struct kvm_cpuid2 *cpuid)
{
  const struct kvm_cpuid_entry2 *e = kvm_cpuid_find (cpuid, 0x80000008u, 0);

  if (e == NULL || (e->eax & 0xff) == 0)
    return DEFAULT_PHYSICAL_ADDRESS_BITS;
  return (guint8)(e->eax & 0xff);
}

static guint
bits_for (guint n)
{
  guint bits = 0;

  while (bits < 31 && (1u << bits) < n)
    bits++;
  return bits;
}

static struct kvm_cpuid_entry2 *
add_entry (struct kvm_cpuid2 *cpuid, guint32 function, guint32 index, guint32 flags)
{
  struct kvm_cpuid_entry2 *e = &cpuid->entries[cpuid->nent++];

  memset (e, 0, sizeof *e);
  e->function = function;
  e->index = index;
  e->flags = flags;
  return e;
}

/* Leaf 0xB or 0x1F: the SMT level, the core level, then the end marker. */
static void
add_topology_leaf (struct kvm_cpuid2 *cpuid, guint32 function, const KvmCpuTopology *topology,
                   guint32 apic_id)
{
  struct kvm_cpuid_entry2 *e;

  e = add_entry (cpuid, function, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
  e->eax = bits_for (topology->threads_per_core);
  e->ebx = topology->threads_per_core;
  e->ecx = 0 | (TOPOLOGY_LEVEL_SMT << 8);
  e->edx = apic_id;
  e = add_entry (cpuid, function, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
  e->eax = bits_for (topology->vps_per_socket);
  e->ebx = topology->vps_per_socket;
  e->ecx = 1 | (TOPOLOGY_LEVEL_CORE << 8);
  e->edx = apic_id;
  e = add_entry (cpuid, function, 2, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
  e->ecx = 2;
  e->edx = apic_id;
}

static void
patch_leaf (struct kvm_cpuid_entry2 *e, const KvmCpuTopology *topology, guint32 apic_id)
{
  guint ids_per_package = 1u << bits_for (topology->vps_per_socket);
  guint cores = MAX (topology->vps_per_socket / topology->threads_per_core, 1u);

  switch (e->function)
    {
      case 0x1:
        /* APIC id, addressable logical processor ids per package. */
        e->ebx = (e->ebx & 0x0000ffffu) | ((apic_id & 0xffu) << 24)
                 | (MIN (ids_per_package, 0xffu) << 16);
        if (topology->vps_per_socket > 1)
          e->edx |= CPUID_1_EDX_HTT;
        else
          e->edx &= ~CPUID_1_EDX_HTT;
        if (topology->apic_mode == HULL_APIC_MODE_XAPIC)
          e->ecx &= ~CPUID_1_ECX_X2APIC;
        break;
      case 0x4:
        /* Deterministic cache parameters: cores per package, and the
         * logical processors sharing each cache (L1/L2 per core, L3 per
         * package). */
        if ((e->eax & 0x1f) != 0)
          {
            guint level = (e->eax >> 5) & 0x7;
            guint sharing = level <= 2 ? topology->threads_per_core : ids_per_package;

            e->eax = (e->eax & 0x00003fffu) | ((MIN (1u << bits_for (cores), 64u) - 1) << 26)
                     | ((MIN (sharing, 4096u) - 1) << 14);
          }
        break;
      case 0x8000001e:
        /* AMD extended APIC id and core id. */
        e->eax = apic_id;
        e->ebx = (e->ebx & ~0xffffu) | ((apic_id >> bits_for (topology->threads_per_core)) & 0xff)
                 | ((topology->threads_per_core - 1) << 8);
        break;
      default:
        break;
    }
}

/**
 * kvm_cpuid_for_vp:
 * @supported: KVM_GET_SUPPORTED_CPUID
 * @topology: the domain's topology
 * @apic_id: the VP's APIC id
 *
 * Builds the leaves for one VP: @supported with leaf 1's APIC id, HTT and
 * x2APIC bits, leaf 4's core counts, leaves 0xB (and 0x1F when KVM has it)
 * rebuilt from @topology, and KVM's paravirtual leaves cut down to kvmclock
 * and NOP_IO_DELAY.
 *
 * Returns: (transfer full): the leaves, free with g_free().
 */
struct kvm_cpuid2 *
kvm_cpuid_for_vp (const struct kvm_cpuid2 *supported, const KvmCpuTopology *topology,
                  guint32 apic_id)
{
  const struct kvm_cpuid_entry2 *leaf0 = kvm_cpuid_find (supported, 0, 0);
  const struct kvm_cpuid_entry2 *signature = kvm_cpuid_find (supported, KVM_CPUID_SIGNATURE, 0);
  const struct kvm_cpuid_entry2 *features = kvm_cpuid_find (supported, KVM_CPUID_FEATURES, 0);
  gboolean has_1f = kvm_cpuid_find (supported, 0x1f, 0) != NULL;
  guint capacity = supported->nent + 8;
  struct kvm_cpuid2 *cpuid;
  struct kvm_cpuid_entry2 *e;

  cpuid = g_malloc0 (sizeof *cpuid + capacity * sizeof cpuid->entries[0]);
  for (guint i = 0; i < supported->nent; i++)
    {
      const struct kvm_cpuid_entry2 *s = &supported->entries[i];

      if (s->function == 0xb || s->function == 0x1f
          || (s->function >= 0x40000000u && s->function <= 0x400000ffu))
        continue;
      e = &cpuid->entries[cpuid->nent++];
      *e = *s;
      patch_leaf (e, topology, apic_id);
    }

  if (leaf0 != NULL && leaf0->eax >= 0xb)
    add_topology_leaf (cpuid, 0xb, topology, apic_id);
  if (has_1f)
    add_topology_leaf (cpuid, 0x1f, topology, apic_id);

  if (signature != NULL && signature->ebx == KVM_SIGNATURE_EBX
      && signature->ecx == KVM_SIGNATURE_ECX && signature->edx == KVM_SIGNATURE_EDX
      && features != NULL)
    {
      e = add_entry (cpuid, KVM_CPUID_SIGNATURE, 0, 0);
      e->eax = KVM_CPUID_FEATURES;
      e->ebx = KVM_SIGNATURE_EBX;
      e->ecx = KVM_SIGNATURE_ECX;
      e->edx = KVM_SIGNATURE_EDX;
      e = add_entry (cpuid, KVM_CPUID_FEATURES, 0, 0);
      e->eax = features->eax & KVM_FEATURES_KEPT;
    }

  g_assert (cpuid->nent <= capacity);
  return cpuid;
}
