/* broken-abi.c — a plugin built for a backend ABI Hull does not have (999):
 * the loader refuses it with HULL_ERROR_ABI_MISMATCH before reading anything
 * past abi_version. */
#include "config.h"

#include "fake-hypervisor.h"

static const HullBackendModule broken_abi_module = {
  .abi_version = 999,
  .name = "broken-abi",
  .description = "A backend built for another ABI",
  .hypervisor = &fake_hypervisor_ops,
};

const HullBackendModule *
hull_backend_module (void)
{
  return &broken_abi_module;
}
