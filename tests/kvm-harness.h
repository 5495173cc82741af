/* kvm-harness.h — drives the KVM backend plugin through the ABI for tests:
 * small VMs on a recording bus with a thread per VP, in the loader's 64-bit entry state (GDT at
 * 0x500, identity map at CR3 = 0x9000). Used by test-kvm.c. */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-domain-def.h"
#include "hull-guest-memory.h"
#include "hull-inspect.h"
#include "backend-asserts.h"
#include "recording-bus.h"
#include "vp-thread.h"

G_BEGIN_DECLS

#define RAM_SIZE (4u << 20)
#define STOP_PORT 0x81 /* a write here stops the writing VP */

/* Set once by main(); read-only afterwards. */
extern const HullBackendModule *backend;
extern HullHypervisor *hypervisor;

/* A partition with its VPs bound, each on its own thread. Its bus is every
 * VP's CpuIo; an OUT to STOP_PORT stops the writer. */
typedef struct
{
  HullDomainDef *def;
  HullProcessorTopology *topology;
  HullGuestMemory *memory;
  HullPartition *partition;
  guint n_vps;
  Vp *vps;
  Bus bus;
} Vm;

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
gsize xsave_size (void);

/* A thread that asks VP @vp to yield over and over, sleeping 0 to
 * @max_sleep_us between requests, until kicker_stop(). */
typedef struct _Kicker Kicker;
Kicker *kicker_start (Vm *vm, guint vp, guint max_sleep_us);
guint kicker_stop (Kicker *kicker); /* the requests made */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vm, vm_free)

G_END_DECLS
