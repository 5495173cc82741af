/* good-fake.c — a valid, minimal backend named "fake" for the loader tests:
 * it can be found, checked, probed (emulated execution) and listed, and
 * refuses to build partitions. */
#include "config.h"

#include "fake-hypervisor.h"

static const HullBackendModule fake_module = {
  .abi_version = HULL_BACKEND_ABI_VERSION,
  .name = "fake",
  .description = "A fake backend for the loader tests",
  .hypervisor = &fake_hypervisor_ops,
};

const HullBackendModule *
hull_backend_module (void)
{
  return &fake_module;
}
