/* kvm-harness.h — drives the KVM backend plugin through the ABI for tests:
 * a recording CpuIo, one thread per VP running jobs, and small VMs with the
 * loader's 64-bit entry state (GDT at 0x500, identity map at CR3 = 0x9000).
 * Used by test-kvm.c. */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-domain-def.h"
#include "hull-guest-memory.h"
#include "hull-inspect.h"
#include "hull-sync.h"

G_BEGIN_DECLS

#define PROMPT_US (5 * G_USEC_PER_SEC)             /* a kicked VP returns within this */
#define BLOCKED_US (200 * G_TIME_SPAN_MILLISECOND) /* a blocked VP stays so */
#define JOB_TIMEOUT_US (60 * G_USEC_PER_SEC)       /* anything else */

#define RAM_SIZE (4u << 20)
#define STOP_PORT 0x81 /* a write here stops the writing VP */

/* Set once by main(); read-only afterwards. */
extern const HullBackendModule *backend;
extern HullHypervisor *hypervisor;

/* ------------------------------------------------------------------ */
/* The bus: a CpuIo that records accesses */

typedef enum
{
  ACCESS_OUT,
  ACCESS_IN,
  ACCESS_MMIO_WRITE,
  ACCESS_MMIO_READ,
} AccessKind;

typedef struct
{
  AccessKind kind;
  guint vp;
  guint64 address;
  gsize size;
  guint64 value;
} Access;

typedef struct _Vm Vm;
typedef struct _Bus Bus;

/* Called on the VP's thread after each access is recorded, outside the
 * bus's lock: what a device does from inside its callback. */
typedef void (*BusHook) (Bus *bus, const Access *access, gpointer data);

/* Reads return the value set for the port or address (all ones when none),
 * truncated to the access size. */
struct _Bus
{
  HullMutex lock;
  GArray *accesses;   /* Access */
  GHashTable *values; /* (mmio << 63 | address) → value */
  guint fatal_errors;
  guint stop_after_writes; /* also stop the writer after this many writes; 0: never */
  guint n_writes;
  BusHook hook; /* set while no VP runs */
  gpointer hook_data;
  Vm *vm;
};

/* The bus's CpuIo; its data is a Bus. */
extern const HullCpuIo bus_io;

guint64 load_le (const guint8 *buffer, gsize size);
void store_le (guint8 *buffer, guint64 value, gsize size);
void bus_set_value (Bus *bus, gboolean mmio, guint64 address, guint64 value);
guint bus_count (Bus *bus);
guint bus_count_kind (Bus *bus, AccessKind kind);
void bus_clear (Bus *bus);
void assert_access (Bus *bus, guint i, AccessKind kind, guint vp, guint64 address, gsize size,
                    guint64 value);

/* ------------------------------------------------------------------ */
/* VP threads: processor ops run on the thread that bound the processor */

typedef struct _Vp Vp;
typedef void (*VpFunc) (Vp *vp, gpointer data);

typedef struct
{
  Vp *vp;
  VpFunc func; /* NULL: the thread exits */
  gpointer data;
  gboolean done; /* under the VP's lock */
} Job;

struct _Vp
{
  guint index;
  GThread *thread;
  HullMutex lock;
  HullCond queued;
  HullCond finished;
  GQueue jobs;
  HullProcessorBinder *binder;
  HullProcessor *processor;
  Vm *vm;
  gint stop;
};

/* A partition with its VPs bound, each on its own thread. */
struct _Vm
{
  HullDomainDef *def;
  HullProcessorTopology *topology;
  HullGuestMemory *memory;
  HullPartition *partition;
  guint n_vps;
  Vp *vps;
  Bus bus;
};

/* What the per-op jobs (do_*) take and give back. */
typedef struct
{
  HullRegisterGroup group;
  gpointer buffer;
  gsize size;
  gboolean single_step;
  const guint64 *breakpoints;
  guint n_breakpoints;
  GBytes *bytes;

  gboolean ok;
  GError *error;
  HullVpExit exit;
  HullVpExitDetail detail;
  GVariant *inspected;
} Call;

Job *job_start (Vp *vp, VpFunc func, gpointer data);
gboolean job_wait (Job *job, gint64 timeout_us);
void vp_call (Vp *vp, VpFunc func, gpointer data);
void call_clear (Call *call);
void do_bind (Vp *vp, gpointer data);
void do_unbind (Vp *vp, gpointer data);
void do_run (Vp *vp, gpointer data);
void do_get_state (Vp *vp, gpointer data);
void do_set_state (Vp *vp, gpointer data);
void do_save (Vp *vp, gpointer data);
void do_restore (Vp *vp, gpointer data);
void do_reset (Vp *vp, gpointer data);
void do_set_debug_state (Vp *vp, gpointer data);
void do_inspect (Vp *vp, gpointer data);

/* ------------------------------------------------------------------ */
/* VMs */

HullDomainDef *def_new (void);
HullProcessorTopology *topology_new (guint cores, guint threads, HullX2ApicRequest x2apic);
HullGuestMemory *memory_new (gboolean reset_rom);
void vm_free (Vm *vm);
Vm *vm_new_on (HullHypervisor *hv, guint n_vps, gboolean reset_rom);
Vm *vm_new_full (guint n_vps, gboolean reset_rom);
Vm *vm_new (guint n_vps);
void vm_write (Vm *vm, guint64 gpa, gconstpointer data, gsize len);
gboolean vm_set_state (Vm *vm, guint vp, HullRegisterGroup group, gconstpointer buffer, gsize size,
                       GError **error);
void vm_get_state (Vm *vm, guint vp, HullRegisterGroup group, gpointer buffer, gsize size);
HullX86Registers vm_get_registers (Vm *vm, guint vp);
HullX86Registers long_mode_registers (guint64 rip);
void vm_write_tables (Vm *vm);
void vm_start (Vm *vm, guint vp, guint64 gpa, const guint8 *code, gsize len);
HullVpExit vm_run_detail (Vm *vm, guint vp, char **message);
HullVpExit vm_run (Vm *vm, guint vp);
GBytes *vm_save (Vm *vm, guint vp);
gboolean vm_restore (Vm *vm, guint vp, GBytes *bytes, GError **error);
GVariant *vm_inspect (Vm *vm, const char *path);
guint64 lookup_uint (GVariant *node, const char *key);
void assert_exit (HullVpExit exit, HullVpExit expected);
gsize xsave_size (void);

/* A thread that asks VP @vp to yield over and over, sleeping 0 to
 * @max_sleep_us between requests, until kicker_stop(). */
typedef struct _Kicker Kicker;
Kicker *kicker_start (Vm *vm, guint vp, guint max_sleep_us);
guint kicker_stop (Kicker *kicker); /* the requests made */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vm, vm_free)

G_END_DECLS
