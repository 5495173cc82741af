/* backend-test-harness.h — drives a backend plugin through the ABI for tests:
 * VMs built from XML, on a recording bus with a thread per VP.
 * Used by test-backend-test.c. */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-domain-def.h"
#include "hull-inspect.h"
#include "backend-asserts.h"
#include "recording-bus.h"
#include "vp-thread.h"

G_BEGIN_DECLS

/* The plugin under test; set once by main(). */
extern const HullBackendModule *backend;

/* A partition with a thread per VP; its bus is every VP's CpuIo. */
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

void vm_free (Vm *vm);
Vm *vm_try_new (const char *xml, GError **error);
gboolean vm_bind (Vm *vm, guint i, GError **error);
Vm *vm_new (const char *xml);
char *domain_xml (guint vcpus, const char *hull);
char *program_xml (guint vcpus, const char *program);
Vm *vm_new_program (guint vcpus, const char *program);
HullVpExit vm_run_detail (Vm *vm, guint i, HullVpExitDetail *detail);
HullVpExit vm_run (Vm *vm, guint i);
HullX86Registers vm_get_registers (Vm *vm, guint i);
gboolean vm_set_registers (Vm *vm, guint i, const HullX86Registers *regs, GError **error);
GBytes *vm_save (Vm *vm, guint i);
gboolean vm_restore (Vm *vm, guint i, GBytes *bytes, GError **error);
gboolean vm_set_debug_state (Vm *vm, guint i, gboolean single_step, const guint64 *breakpoints,
                             guint n_breakpoints, GError **error);
GVariant *vm_inspect_vp (Vm *vm, guint i);
GVariant *vm_inspect (Vm *vm, const char *path);
void vm_request_yield (Vm *vm, guint i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Vm, vm_free)

G_END_DECLS
