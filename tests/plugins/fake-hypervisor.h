/* fake-hypervisor.h — hypervisor ops shared by the loader's test plugins.
 *
 * open() succeeds, probe() reports emulated execution, and building a
 * partition is refused with HULL_ERROR_NOT_SUPPORTED: enough to be loaded,
 * probed and listed, nothing more. Each plugin links its own copy.
 */
#pragma once

#include <gmodule.h>

#include "hull-backend.h"

G_GNUC_INTERNAL extern const HullHypervisorOps fake_hypervisor_ops;

/* Every plugin exports this (lib/hull-backend.h). */
G_MODULE_EXPORT const HullBackendModule *hull_backend_module (void);
