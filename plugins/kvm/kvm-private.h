/* kvm-private.h — the KVM backend's objects, shared by its files.
 *
 *   kvm-hypervisor.c  the module, /dev/kvm (open, probe) and proto partitions
 *   kvm-cpuid.c       the CPUID leaves each VP sees
 *   kvm-partition.c   the VM: memory slots, irqchip, routes, save/restore
 *   kvm-processor.c   binders and processors: the run loop and the kick
 *   kvm-regs.c        register groups and the architectural reset
 *   kvm-save.c        a processor's saved state
 *
 * docs/kvm-backend.md describes the backend; partition-semantics.md §4 is the
 * behaviour it follows.
 */
#pragma once

#include <glib.h>
#include <linux/kvm.h>
#include <pthread.h>

#include "hull-backend.h"
#include "hull-guest-memory.h"
#include "hull-sync.h"

G_BEGIN_DECLS

/* Inside the default low MMIO gap [3 GiB, 4 GiB), never RAM: VMX needs three
 * pages for the real-mode TSS and one for the identity-map page table. */
#define KVM_TSS_ADDRESS 0xfffbd000u
#define KVM_TSS_SIZE (3 * 4096u)
#define KVM_IDENTITY_MAP_ADDRESS 0xfffbc000u

#define KVM_IOAPIC_LINES 24
#define KVM_MAX_BREAKPOINTS 4

/* Version of both saved-state blobs. */
#define KVM_SAVE_VERSION 1

/* Exit reasons counted one by one; larger ones share the last counter. */
#define KVM_EXIT_COUNTERS 64

/* How often a VP idling after KVM_EXIT_HLT looks at its stop flag. */
#define KVM_IDLE_POLL_US (100 * G_TIME_SPAN_MILLISECOND)

/* The probe's timed loop: KVM_PROBE_LOOPS iterations of `dec ecx; jnz`, and
 * the per-instruction time that separates hardware from emulation. */
#define KVM_PROBE_LOOPS 5000
#define KVM_PROBE_HARDWARE_MAX_NS_PER_INSN 20

typedef struct _KvmPartition KvmPartition;

/**
 * KvmHypervisor:
 *
 * The open /dev/kvm, what it supports, and the cached probe result. All
 * immutable after open() except the probe fields, which only the control
 * thread touches.
 */
typedef struct
{
  HullHypervisor parent;
  int fd;
  gboolean own_fd;
  struct kvm_cpuid2 *supported_cpuid;
  guint max_vcpus;
  guint max_vcpu_id;
  gboolean has_x2apic_api;
  gsize xsave_size; /* bytes of KVM_GET_XSAVE(2) */
  gsize run_size;   /* KVM_GET_VCPU_MMAP_SIZE */

  gboolean probed;
  HullExecutionSpeed speed;
  guint64 probe_ps_per_insn; /* picoseconds per guest instruction */

  /* $HULL_KVM_TEST_ENTRY_DELAY_US, for tests only: run() sleeps this long
   * between its last look at the flags and KVM_RUN, widening the window a
   * kick without immediate_exit would be lost in. */
  gulong test_entry_delay_us;
} KvmHypervisor;

/* The topology facts CPUID needs. */
typedef struct
{
  HullApicMode apic_mode;
  guint vps_per_socket;
  guint threads_per_core;
} KvmCpuTopology;

typedef struct
{
  HullProtoPartition parent;
  KvmHypervisor *hypervisor;
  char *name;
  guint n_vps;
  guint32 *apic_ids;
  KvmCpuTopology topology;
} KvmProtoPartition;

/* Per-VP exit counters, written by the VP thread only (relaxed atomics, so
 * that inspect may read them from any thread). */
typedef struct
{
  guint64 exits[KVM_EXIT_COUNTERS];
  guint64 interrupted; /* KVM_RUN returned EINTR/EAGAIN */
  guint64 completions; /* immediate-exit re-entries that completed an exit */
} KvmVpCounters;

/**
 * KvmVp:
 *
 * One vCPU, owned by the partition; the binder is embedded. @fd, @run,
 * @cpuid and the initial state are set at build and immutable afterwards.
 *
 * The kick (docs/kvm-backend.md, "The kick"): @yield and @in_run are
 * sequentially consistent atomics; @lock guards @thread/@has_thread (so that
 * request_yield() never signals a thread that has unbound) and pairs with
 * @wake for a VP idling after a HLT exit.
 */
typedef struct
{
  HullProcessorBinder binder;
  KvmPartition *partition;
  guint index;
  guint32 apic_id;
  int fd;
  struct kvm_run *run;
  struct kvm_cpuid2 *cpuid;
  guint32 reset_rdx;         /* CPUID.1 EAX */
  guint64 initial_apic_base; /* after creation (x2APIC mode applied) */
  struct kvm_lapic_state initial_lapic;
  guint8 *initial_xsave; /* hypervisor->xsave_size bytes */

  gboolean idle; /* VP thread only: halted after KVM_EXIT_HLT (no in-kernel LAPIC) */

  gint yield;            /* atomic: request_yield() happened, run() has not returned YIELD yet */
  gint nmi;              /* atomic: pulse_lint(LINT1) happened, run() has not injected it yet */
  gint in_run;           /* atomic: the VP thread may be in KVM_RUN (set before its last check) */
  gint bound;            /* atomic: a processor is bound */
  gint kicks;            /* atomic: signals sent */
  gint yields_requested; /* atomic: request_yield() calls that set the flag */

  HullMutex lock;
  HullCond wake;
  gboolean has_thread; /* under @lock */
  pthread_t thread;    /* under @lock */

  KvmVpCounters counters;
} KvmVp;

/* An IO-APIC line's route: KVM's default irqchip route, or an MSI. */
typedef struct
{
  gboolean is_msi;
  HullMsi msi;
} KvmRoute;

/* Partition counters, under the partition's lock. */
typedef struct
{
  guint64 msis;
  guint64 msis_dropped;
  guint64 ioapic_routes;
  guint64 ioapic_asserts;
  guint64 nmis;
  guint64 lint0_ignored;
  guint64 resets;
} KvmCounters;

/* The VM-wide state save() captures, and reset() restores to its initial value. */
typedef struct
{
  struct kvm_irqchip pic_master;
  struct kvm_irqchip pic_slave;
  struct kvm_irqchip ioapic;
  struct kvm_pit_state2 pit;
} KvmChipState;

struct _KvmPartition
{
  HullPartition parent;
  HullPartitionCaps caps;
  KvmHypervisor *hypervisor;
  char *name;
  int vm_fd;
  gboolean x2apic_format; /* KVM_CAP_X2APIC_API with 32-bit ids is on */
  KvmCpuTopology topology;
  HullGuestMemory *memory;
  guint n_slots;
  guint n_vps;
  KvmVp *vps;
  KvmChipState initial_chips;

  HullMutex lock; /* @routes, @counters */
  KvmRoute routes[KVM_IOAPIC_LINES];
  KvmCounters counters;
};

/* kvm-hypervisor.c */
gboolean kvm_hypervisor_ensure_probed (KvmHypervisor *self);
const char *kvm_exit_reason_name (guint32 reason);
void kvm_counter_add (guint64 *counter, guint64 n);
guint64 kvm_counter_get (const guint64 *counter);

/* kvm-cpuid.c */
struct kvm_cpuid2 *kvm_cpuid_for_vp (const struct kvm_cpuid2 *supported,
                                     const KvmCpuTopology *topology, guint32 apic_id);
guint8 kvm_cpuid_physical_address_bits (const struct kvm_cpuid2 *cpuid);
const struct kvm_cpuid_entry2 *kvm_cpuid_find (const struct kvm_cpuid2 *cpuid, guint32 function,
                                               guint32 index);

/* kvm-hypervisor.c */
void kvm_proto_partition_free (KvmProtoPartition *proto);

/* kvm-partition.c */
HullPartition *kvm_partition_build (KvmProtoPartition *proto, const HullPartitionConfig *config,
                                    HullProcessorBinder ***binders, GError **error);
gboolean kvm_msi_to_kvm (KvmPartition *self, const HullMsi *msi, guint32 *address_lo,
                         guint32 *address_hi, guint32 *data);

/* kvm-processor.c */
extern const HullProcessorBinderOps kvm_binder_ops;
void kvm_kick_signal_install (void);
void kvm_vp_request_yield (KvmVp *vp);
void kvm_vp_request_nmi (KvmVp *vp);

/* kvm-regs.c */
gboolean kvm_vp_get_state (KvmVp *vp, HullRegisterGroup group, gpointer buffer, gsize size,
                           GError **error);
gboolean kvm_vp_set_state (KvmVp *vp, HullRegisterGroup group, gconstpointer buffer, gsize size,
                           GError **error);
gboolean kvm_vp_group_present (KvmVp *vp, HullRegisterGroup group);
gsize kvm_vp_group_size (KvmVp *vp, HullRegisterGroup group);
gboolean kvm_vp_reset (KvmVp *vp, GError **error);
gboolean kvm_vp_capture_initial_state (KvmVp *vp, GError **error);

/* kvm-save.c */
GBytes *kvm_vp_save (KvmVp *vp, GError **error);
gboolean kvm_vp_restore (KvmVp *vp, GBytes *state, GError **error);

G_END_DECLS
