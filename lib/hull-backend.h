/* hull-backend.h — the contract between libhull and hypervisor backend plugins.
 *
 * A C rendering of the partition traits (../shared/docs/reference/
 * partition-semantics.md §1): Hypervisor → ProtoPartition → Partition plus one
 * ProcessorBinder per VP → Processor, bound on its own VP thread.
 *
 * A plugin is a GModule named hull-backend-<name>.so exporting
 *
 *   const HullBackendModule *hull_backend_module (void);
 *
 * Objects are structs whose first member is the public header below
 * (HullPartition, HullProcessor, …) holding the ops table; a backend embeds
 * that header at the start of its own struct. Callers go through the
 * hull_partition_*() / hull_processor_*() wrappers, which turn a NULL
 * optional op into HULL_ERROR_NOT_SUPPORTED.
 *
 * Thread rules, stated on every op:
 *   [any]  callable from any thread, never blocks
 *   [ctl]  the partition unit's control thread (with the VPs stopped where
 *          said)
 *   [vp]   the thread the processor was bound on, only
 *
 * Errors are GErrors in the HULL_ERROR domain (lib/hull-error.h), with
 * translated messages that name what failed.
 */
#pragma once

#include <glib.h>

#include "hull-domain-def.h"
#include "hull-inspect.h"
#include "hull-memory-layout.h"
#include "hull-topology.h"

G_BEGIN_DECLS

/* Bumped on any incompatible change to this file. */
#define HULL_BACKEND_ABI_VERSION 1

/* The symbol every plugin exports. */
#define HULL_BACKEND_MODULE_SYMBOL "hull_backend_module"

typedef struct _HullGuestMemory HullGuestMemory;

typedef struct _HullHypervisor HullHypervisor;
typedef struct _HullProtoPartition HullProtoPartition;
typedef struct _HullPartition HullPartition;
typedef struct _HullProcessorBinder HullProcessorBinder;
typedef struct _HullProcessor HullProcessor;

/* ------------------------------------------------------------------ */
/* VP exits */

/**
 * HullVpExit:
 * @HULL_VP_EXIT_STOPPED: the stop flag passed to run() was set
 * @HULL_VP_EXIT_YIELD: a yield was requested (hull_partition_request_yield())
 * @HULL_VP_EXIT_CANCEL: run again, possibly on another processor object
 * @HULL_VP_EXIT_POWER_OFF: the guest powered off
 * @HULL_VP_EXIT_RESET: the guest rebooted
 * @HULL_VP_EXIT_HIBERNATE: the guest hibernated
 * @HULL_VP_EXIT_TRIPLE_FAULT: the VP triple-faulted
 * @HULL_VP_EXIT_SINGLE_STEP: a debugger single step completed
 * @HULL_VP_EXIT_HW_BREAK: a hardware breakpoint hit (detail: breakpoint)
 * @HULL_VP_EXIT_FATAL: the backend cannot continue this VP (detail: message)
 */
typedef enum
{
  HULL_VP_EXIT_STOPPED,
  HULL_VP_EXIT_YIELD,
  HULL_VP_EXIT_CANCEL,
  HULL_VP_EXIT_POWER_OFF,
  HULL_VP_EXIT_RESET,
  HULL_VP_EXIT_HIBERNATE,
  HULL_VP_EXIT_TRIPLE_FAULT,
  HULL_VP_EXIT_SINGLE_STEP,
  HULL_VP_EXIT_HW_BREAK,
  HULL_VP_EXIT_FATAL,
} HullVpExit;

/**
 * HullVpExitDetail:
 * @vtl: the VTL the exit concerns
 * @breakpoint: HW_BREAK: which debug register
 * @message: FATAL: what went wrong, with the hardware detail (owned by the
 *   caller of run(), who frees it with g_free())
 *
 * Filled by run() for the exits that carry detail.
 */
typedef struct
{
  guint vtl;
  guint breakpoint;
  char *message;
} HullVpExitDetail;

const char *hull_vp_exit_to_string (HullVpExit exit);
gboolean hull_vp_exit_from_string (const char *name, HullVpExit *exit);

/* ------------------------------------------------------------------ */
/* CpuIo: the callbacks run() makes, on the VP thread */

/**
 * HullCpuIo:
 * @is_mmio: whether @address is emulated MMIO (not RAM)
 * @acknowledge_pic_interrupt: PIC INTA; the vector, or -1 when none is pending
 * @handle_eoi: IO-APIC end of interrupt for a level-triggered @irq
 * @read_mmio: a guest read of @len bytes (1, 2, 4 or 8) at @address
 * @write_mmio: a guest write
 * @read_io: a guest port read of @len bytes (1, 2 or 4)
 * @write_io: a guest port write
 * @fatal_error: the policy hook for errors the backend cannot handle; returns
 *   the exit run() should report
 *
 * Implemented by the worker's I/O bus (lib/hull-io-bus.h). Every callback
 * runs on the calling VP's thread; device power events (i8042 reset, the
 * power-off port) go to the partition unit's HullHalt from inside them.
 */
typedef struct
{
  gboolean (*is_mmio) (gpointer data, guint64 address);
  gint (*acknowledge_pic_interrupt) (gpointer data);
  void (*handle_eoi) (gpointer data, guint32 irq);
  void (*read_mmio) (gpointer data, guint vp, guint64 address, guint8 *buffer, gsize len);
  void (*write_mmio) (gpointer data, guint vp, guint64 address, const guint8 *buffer, gsize len);
  void (*read_io) (gpointer data, guint vp, guint16 port, guint8 *buffer, gsize len);
  void (*write_io) (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len);
  HullVpExit (*fatal_error) (gpointer data, guint vp, const char *message);
} HullCpuIo;

/* ------------------------------------------------------------------ */
/* Register groups (ids are stable: they are in saved state) */

/**
 * HullRegisterGroup:
 *
 * The x86 VP state groups of partition-semantics.md §1.5, with its ids.
 * HULL_REGISTER_GROUP_REGISTERS uses #HullX86Registers and ACTIVITY
 * #HullX86Activity; the others are backend-defined blobs until a later ABI
 * version fixes their layout.
 */
typedef enum
{
  HULL_REGISTER_GROUP_REGISTERS = 1,
  HULL_REGISTER_GROUP_ACTIVITY = 2,
  HULL_REGISTER_GROUP_XSAVE = 3,
  HULL_REGISTER_GROUP_APIC = 4,
  HULL_REGISTER_GROUP_XCR0 = 5,
  HULL_REGISTER_GROUP_XSS = 6,
  HULL_REGISTER_GROUP_MTRRS = 7,
  HULL_REGISTER_GROUP_PAT = 8,
  HULL_REGISTER_GROUP_MSRS = 9,
  HULL_REGISTER_GROUP_DEBUG_REGS = 10,
  HULL_REGISTER_GROUP_TSC = 11,
  HULL_REGISTER_GROUP_CET = 12,
  HULL_REGISTER_GROUP_CET_SS = 13,
  HULL_REGISTER_GROUP_TSC_AUX = 14,
} HullRegisterGroup;

typedef struct
{
  guint64 base;
  guint32 limit;
  guint16 selector;
  guint16 attributes;
} HullX86Segment;

typedef struct
{
  guint64 base;
  guint16 limit;
} HullX86Table;

/* Group 1. */
typedef struct
{
  guint64 rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
  guint64 r8, r9, r10, r11, r12, r13, r14, r15;
  guint64 rip, rflags;
  HullX86Segment cs, ds, es, fs, gs, ss, tr, ldtr;
  HullX86Table gdtr, idtr;
  guint64 cr0, cr2, cr3, cr4, cr8, efer;
} HullX86Registers;

typedef enum
{
  HULL_MP_STATE_RUNNING,
  HULL_MP_STATE_WAIT_FOR_SIPI,
  HULL_MP_STATE_HALTED,
  HULL_MP_STATE_IDLE,
} HullMpState;

/* Group 2. */
typedef struct
{
  guint32 mp_state; /* HullMpState */
  gboolean nmi_pending;
  gboolean nmi_masked;
  gboolean interrupt_shadow;
  guint64 pending_event;
} HullX86Activity;

/* Group 7: MTRRdefType, the 11 fixed-range MTRRs, 8 variable pairs. */
typedef struct
{
  guint64 def_type;
  guint64 fixed[11];
  guint64 variable[16];
} HullX86Mtrrs;

/**
 * HullInitialRegs:
 * @registers: the BSP's registers (group 1)
 * @mtrrs: for every VP (group 7)
 * @pat: for every VP (group 8)
 *
 * What a loader sets before the first start (partition-semantics.md §1.5).
 */
typedef struct
{
  HullX86Registers registers;
  HullX86Mtrrs mtrrs;
  guint64 pat;
} HullInitialRegs;

/* ------------------------------------------------------------------ */
/* Configuration */

typedef enum
{
  HULL_EXECUTION_UNKNOWN,
  HULL_EXECUTION_HARDWARE, /* guest code runs at hardware speed */
  HULL_EXECUTION_EMULATED, /* guest code is emulated or interpreted */
} HullExecutionSpeed;

/**
 * HullHypervisorConfig:
 * @device_fd: an already-open device (such as /dev/kvm) to use, or -1 to
 *   open it; the backend does not close it
 */
typedef struct
{
  int device_fd;
} HullHypervisorConfig;

/**
 * HullProtoPartitionConfig:
 * @def: the domain definition (backends read their own hull: settings, such
 *   as the test backend's program, from it)
 * @topology: the processor topology
 *
 * Requests a backend does not recognize (isolation, Hyper-V, VTL2, user-mode
 * APIC in @def) must fail new_proto_partition with HULL_ERROR_NOT_SUPPORTED.
 */
typedef struct
{
  const HullDomainDef *def;
  const HullProcessorTopology *topology;
} HullProtoPartitionConfig;

/**
 * HullPartitionConfig:
 * @layout: the guest memory layout
 * @memory: guest RAM, laid out by @layout; the partition keeps a reference
 */
typedef struct
{
  const HullMemoryLayout *layout;
  HullGuestMemory *memory;
} HullPartitionConfig;

/**
 * HullPartitionCaps:
 * @physical_address_bits: guest physical address width
 * @can_freeze_time: whether the TSC stops while the VM is stopped
 * @x2apic: whether VPs run with x2APIC available
 * @speed: how guest code executes
 */
typedef struct
{
  guint8 physical_address_bits;
  gboolean can_freeze_time;
  gboolean x2apic;
  HullExecutionSpeed speed;
} HullPartitionCaps;

typedef struct
{
  guint32 function;
  guint32 index;
  guint32 eax, ebx, ecx, edx;
} HullCpuidLeaf;

typedef struct
{
  guint64 address;
  guint32 data;
} HullMsi;

/* ------------------------------------------------------------------ */
/* Ops tables */

/**
 * HullHypervisorOps:
 * @open: [ctl] creates the hypervisor object; fails when the backend cannot
 *   run here, saying why (no device, permission, API version, capability)
 * @probe: [ctl] a real proof of life (for KVM: run a few guest instructions);
 *   sets *@speed; fails with HULL_ERROR_BACKEND_UNAVAILABLE and the reason
 * @new_proto_partition: [ctl] starts building a partition
 * @close: [ctl] frees the hypervisor; every partition made from it is gone
 */
typedef struct
{
  HullHypervisor *(*open) (const HullHypervisorConfig *config, GError **error);
  gboolean (*probe) (HullHypervisor *hypervisor, HullExecutionSpeed *speed, GError **error);
  HullProtoPartition *(*new_proto_partition) (HullHypervisor *hypervisor,
                                              const HullProtoPartitionConfig *config,
                                              GError **error);
  void (*close) (HullHypervisor *hypervisor);
} HullHypervisorOps;

/**
 * HullProtoPartitionOps:
 * @max_physical_address_bits: [ctl] the widest guest physical address the
 *   partition can have; the caller sizes the layout with it
 * @cpuid: [ctl] the default x86 CPUID leaves for VP @vp_index (APIC id and
 *   topology leaves patched); returns an array of #HullCpuidLeaf
 * @build: [ctl] consumes @proto (also on failure) and returns the partition
 *   and one binder per VP in VP-index order (*@binders is a g_new array of
 *   the topology's VP count, freed by the caller with g_free())
 * @free: [ctl] abandons a proto partition that will not be built
 */
typedef struct
{
  guint8 (*max_physical_address_bits) (HullProtoPartition *proto);
  GArray *(*cpuid) (HullProtoPartition *proto, guint vp_index);
  HullPartition *(*build) (HullProtoPartition *proto, const HullPartitionConfig *config,
                           HullProcessorBinder ***binders, GError **error);
  void (*free) (HullProtoPartition *proto);
} HullProtoPartitionOps;

/**
 * HullPartitionOps:
 * @caps: [any] immutable capabilities
 * @request_yield: [any] makes VP @vp's run() return HULL_VP_EXIT_YIELD soon:
 *   at once if it is inside the hypervisor, else from the next run() before
 *   any guest instruction executes. Idempotent; never blocks; the only
 *   cross-thread kick.
 * @request_msi: [any] an MSI in x86 architectural format
 * @ioapic_set_route: [any] routes IO-APIC line @irq (< 24) to @msi, or off
 *   when @msi is %NULL
 * @ioapic_assert: [any] asserts IO-APIC line @irq
 * @pulse_lint: [any] pulses LINT0/LINT1 of VP @vp
 * @reset: [ctl, VPs stopped] resets VM-wide state; the caller then resets
 *   every processor on its VP thread. %NULL: unsupported. After a failure the
 *   partition is unusable until a reset succeeds.
 * @scrub_vtl: [ctl, VPs stopped] the same pattern for one VTL; %NULL:
 *   unsupported
 * @accept_initial_pages: [ctl, before the first start] for isolated guests;
 *   %NULL: unsupported
 * @save: [ctl, VPs stopped] VM-wide state as a blob
 * @restore: [ctl, VPs stopped] the inverse; rejects a damaged blob with
 *   HULL_ERROR_CORRUPT_DATA and changes nothing then
 * @inspect: [any] fills an inspect node
 * @destroy: [ctl] after every processor is unbound
 */
typedef struct
{
  const HullPartitionCaps *(*caps) (HullPartition *partition);
  void (*request_yield) (HullPartition *partition, guint vp);
  void (*request_msi) (HullPartition *partition, guint vtl, const HullMsi *msi);
  void (*ioapic_set_route) (HullPartition *partition, guint8 irq, const HullMsi *msi);
  void (*ioapic_assert) (HullPartition *partition, guint8 irq);
  void (*pulse_lint) (HullPartition *partition, guint vp, guint vtl, guint8 lint);
  gboolean (*reset) (HullPartition *partition, GError **error);
  gboolean (*scrub_vtl) (HullPartition *partition, guint vtl, GError **error);
  gboolean (*accept_initial_pages) (HullPartition *partition, const HullMemoryRange *ranges,
                                    guint n_ranges, GError **error);
  GBytes *(*save) (HullPartition *partition, GError **error);
  gboolean (*restore) (HullPartition *partition, GBytes *state, GError **error);
  void (*inspect) (HullPartition *partition, HullInspectRequest *request);
  void (*destroy) (HullPartition *partition);
} HullPartitionOps;

/**
 * HullProcessorBinderOps:
 * @bind: [vp] consumes the binder (also on failure) and returns the
 *   processor bound to the calling thread
 */
typedef struct
{
  HullProcessor *(*bind) (HullProcessorBinder *binder, GError **error);
} HullProcessorBinderOps;

/**
 * HullProcessorOps:
 * @run: [vp] runs the VP until an exit needs the caller. Returns
 *   HULL_VP_EXIT_STOPPED once g_atomic_int_get (@stop) is non-zero, YIELD
 *   after request_yield(), or a guest exit. May block inside the hypervisor
 *   until one of those. Completes any pending port or MMIO exit before it
 *   returns, so state is consistent for save; keeps its state so that the
 *   next call continues. Calls @io on this thread.
 * @flush_async: [vp] completes asynchronous requests before a save
 * @reset: [vp, VPs stopped] architectural reset (after the partition's reset)
 * @scrub: [vp, VPs stopped] resets one VTL's state
 * @set_debug_state: [vp] single step and hardware breakpoints; %NULL:
 *   unsupported
 * @get_state: [vp] copies register group @group into @buffer of @size bytes
 *   (which must be the group's size); HULL_ERROR_NOT_SUPPORTED for a group
 *   the backend does not have
 * @set_state: [vp] the inverse
 * @save: [vp, stopped] every group present, as a blob
 * @restore: [vp, stopped] the inverse; HULL_ERROR_CORRUPT_DATA for a damaged
 *   blob, changing nothing
 * @inspect: [vp] fills an inspect node
 * @unbind: [vp] frees the processor
 */
typedef struct
{
  HullVpExit (*run) (HullProcessor *processor, const gint *stop, const HullCpuIo *io,
                     gpointer io_data, HullVpExitDetail *detail);
  void (*flush_async) (HullProcessor *processor);
  gboolean (*reset) (HullProcessor *processor, GError **error);
  gboolean (*scrub) (HullProcessor *processor, guint vtl, GError **error);
  gboolean (*set_debug_state) (HullProcessor *processor, guint vtl, gboolean single_step,
                               const guint64 *breakpoints, guint n_breakpoints, GError **error);
  gboolean (*get_state) (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                         gpointer buffer, gsize size, GError **error);
  gboolean (*set_state) (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                         gconstpointer buffer, gsize size, GError **error);
  GBytes *(*save) (HullProcessor *processor, GError **error);
  gboolean (*restore) (HullProcessor *processor, GBytes *state, GError **error);
  void (*inspect) (HullProcessor *processor, HullInspectRequest *request);
  void (*unbind) (HullProcessor *processor);
} HullProcessorOps;

/* ------------------------------------------------------------------ */
/* Object headers: the first member of each backend object */

struct _HullHypervisor
{
  const HullHypervisorOps *ops;
};

struct _HullProtoPartition
{
  const HullProtoPartitionOps *ops;
};

struct _HullPartition
{
  const HullPartitionOps *ops;
};

struct _HullProcessorBinder
{
  const HullProcessorBinderOps *ops;
  guint vp_index;
};

struct _HullProcessor
{
  const HullProcessorOps *ops;
  guint vp_index;
};

/**
 * HullBackendModule:
 * @abi_version: %HULL_BACKEND_ABI_VERSION the plugin was built with
 * @name: the backend's name, as in <domain type='…'> ("kvm", "test")
 * @description: one line for people
 * @hypervisor: the hypervisor ops
 *
 * What hull_backend_module() returns; static data of the plugin.
 */
typedef struct
{
  guint32 abi_version;
  const char *name;
  const char *description;
  const HullHypervisorOps *hypervisor;
} HullBackendModule;

typedef const HullBackendModule *(*HullBackendModuleFunc) (void);

/* ------------------------------------------------------------------ */
/* Wrappers: NULL optional ops become HULL_ERROR_NOT_SUPPORTED */

gboolean hull_partition_reset (HullPartition *partition, GError **error);
gboolean hull_partition_scrub_vtl (HullPartition *partition, guint vtl, GError **error);
gboolean hull_partition_accept_initial_pages (HullPartition *partition,
                                              const HullMemoryRange *ranges, guint n_ranges,
                                              GError **error);
void hull_partition_request_yield (HullPartition *partition, guint vp);

gboolean hull_processor_reset (HullProcessor *processor, GError **error);
gboolean hull_processor_scrub (HullProcessor *processor, guint vtl, GError **error);
gboolean hull_processor_set_state (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                                   gconstpointer buffer, gsize size, GError **error);
gboolean hull_processor_get_state (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                                   gpointer buffer, gsize size, GError **error);

G_END_DECLS
