/* backend-test-harness.h — drives a backend plugin through the ABI for tests:
 * a recording CpuIo, one thread per VP running jobs, and VMs built from XML.
 * Used by test-backend-test.c. */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-domain-def.h"
#include "hull-inspect.h"
#include "hull-sync.h"

G_BEGIN_DECLS

#define PROMPT_US (5 * G_USEC_PER_SEC)             /* a kicked VP returns within this */
#define BLOCKED_US (200 * G_TIME_SPAN_MILLISECOND) /* a blocked VP stays so */
#define JOB_TIMEOUT_US (60 * G_USEC_PER_SEC)       /* anything else */

/* The plugin under test; set once by main(). */
extern const HullBackendModule *backend;

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

/* A device register: reads return @value, writes replace it. */
typedef struct
{
  gboolean mmio;
  guint64 address;
  guint64 value;
} Register;

/* Reads of addresses without a register return all ones and writes to them
 * are dropped, like an empty bus. */
typedef struct
{
  HullMutex lock;
  GArray *accesses;  /* Access */
  GArray *registers; /* Register */
  guint n_writes;    /* OUT and MMIO writes so far */
  guint yield_after; /* request a yield of the writer after this many writes; 0: never */
  gint *stop_after;  /* with stop_after_writes: set this stop flag inside the write */
  guint stop_after_writes;
  HullPartition *partition;
} Bus;

typedef struct _Vp Vp;

typedef void (*VpFunc) (Vp *vp, gpointer data);

/* A job's fields are under its VP's lock. */
typedef struct
{
  Vp *vp;
  VpFunc func; /* NULL: the thread exits */
  gpointer data;
  gboolean done;
} Job;

/* The job queue is a GQueue under a HullMutex rather than a GAsyncQueue,
 * whose internal futex lock thread checkers cannot see. */
struct _Vp
{
  guint index;
  GThread *thread;
  HullMutex lock;
  HullCond queued;   /* a job was queued */
  HullCond finished; /* a job is done */
  GQueue jobs;       /* Job */
  HullProcessorBinder *binder;
  HullProcessor *processor;
  Bus *bus;
  gint stop;
};

/* What the per-op jobs take and give back. */
typedef struct
{
  HullRegisterGroup group;
  gpointer buffer;
  gsize size;
  guint vtl;
  gboolean single_step;
  const guint64 *breakpoints;
  guint n_breakpoints;
  GBytes *bytes;
  const char *path;

  gboolean ok;
  GError *error;
  HullVpExit exit;
  HullVpExitDetail detail;
  GVariant *inspected;
} Call;

typedef struct
{
  HullDomainDef *def;
  HullProcessorTopology *topology;
  HullHypervisor *hypervisor;
  HullPartition *partition;
  guint n_vps;
  Vp *vps;
  Bus bus;
} Vm;

guint64 load_le (const guint8 *buffer, gsize size);
void store_le (guint8 *buffer, guint64 value, gsize size);
void bus_init (Bus *bus);
void bus_clear (Bus *bus);
void bus_add_register (Bus *bus, gboolean mmio, guint64 address, guint64 value);
Register *bus_find_register (Bus *bus, gboolean mmio, guint64 address);
void bus_record (Bus *bus, AccessKind kind, guint vp, guint64 address, gsize size, guint64 value);
void bus_after_write (Bus *bus, guint vp);
gboolean bus_is_mmio (gpointer data, guint64 address);
gint bus_acknowledge_pic_interrupt (gpointer data);
void bus_handle_eoi (gpointer data, guint32 irq);
void bus_read (Bus *bus, AccessKind kind, guint vp, guint64 address, guint8 *buffer, gsize len);
void bus_write (Bus *bus, AccessKind kind, guint vp, guint64 address, const guint8 *buffer,
                gsize len);
void bus_read_mmio (gpointer data, guint vp, guint64 address, guint8 *buffer, gsize len);
void bus_write_mmio (gpointer data, guint vp, guint64 address, const guint8 *buffer, gsize len);
void bus_read_io (gpointer data, guint vp, guint16 port, guint8 *buffer, gsize len);
void bus_write_io (gpointer data, guint vp, guint16 port, const guint8 *buffer, gsize len);
HullVpExit bus_fatal_error (gpointer data, guint vp, const char *message);
guint bus_count (Bus *bus);
Access bus_get (Bus *bus, guint i);
void assert_access (Bus *bus, guint i, AccessKind kind, guint vp, guint64 address, gsize size,
                    guint64 value);
gpointer vp_thread (gpointer data);
Job *job_start (Vp *vp, VpFunc func, gpointer data);
gboolean job_wait (Job *job, gint64 timeout_us);
void job_free (Job *job);
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
void inspect_processor (gpointer object, HullInspectRequest *request);
void do_inspect (Vp *vp, gpointer data);
void vm_free (Vm *vm);
Vm *vm_try_new (const char *xml, GError **error);
gboolean vm_bind (Vm *vm, guint i, GError **error);
Vm *vm_new (const char *xml);
char *domain_xml (guint vcpus, const char *hull);
char *program_xml (guint vcpus, const char *program);
Vm *vm_new_program (guint vcpus, const char *program);
HullVpExit vm_run_detail (Vm *vm, guint i, HullVpExitDetail *detail);
HullVpExit vm_run (Vm *vm, guint i);
void assert_exit (HullVpExit actual, HullVpExit expected);
HullX86Registers vm_get_registers (Vm *vm, guint i);
gboolean vm_set_registers (Vm *vm, guint i, const HullX86Registers *regs, GError **error);
GBytes *vm_save (Vm *vm, guint i);
gboolean vm_restore (Vm *vm, guint i, GBytes *bytes, GError **error);
gboolean vm_set_debug_state (Vm *vm, guint i, gboolean single_step, const guint64 *breakpoints,
                             guint n_breakpoints, GError **error);
GVariant *vm_inspect_vp (Vm *vm, guint i);
void inspect_partition (gpointer object, HullInspectRequest *request);
GVariant *vm_inspect (Vm *vm, const char *path);
guint64 lookup_uint (GVariant *node, const char *name);
void vm_request_yield (Vm *vm, guint i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vm, vm_free)

G_END_DECLS
