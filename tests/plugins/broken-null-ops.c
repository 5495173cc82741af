/* broken-null-ops.c — the right ABI version, but no hypervisor ops. */
#include "config.h"

#include <gmodule.h>

#include "hull-backend.h"

G_MODULE_EXPORT const HullBackendModule *hull_backend_module (void);

static const HullBackendModule null_ops_module = {
  .abi_version = HULL_BACKEND_ABI_VERSION,
  .name = "null-ops",
  .description = "A backend without hypervisor ops",
  .hypervisor = NULL,
};

const HullBackendModule *
hull_backend_module (void)
{
  return &null_ops_module;
}
