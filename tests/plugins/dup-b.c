/* dup-b.c — one of two valid plugins that both call themselves "dup": the
 * loader keeps the first file (in name order) and refuses the second. */
#include "config.h"

#include "fake-hypervisor.h"

static const HullBackendModule dup_module = {
  .abi_version = HULL_BACKEND_ABI_VERSION,
  .name = "dup",
  .description = "A duplicate backend name (b)",
  .hypervisor = &fake_hypervisor_ops,
};

const HullBackendModule *
hull_backend_module (void)
{
  return &dup_module;
}
