/* unavailable.c — a valid backend named "unavailable" that cannot run: its
 * open() fails the way a backend without its device does. */
#include "config.h"

#include <gmodule.h>

#include "hull-backend.h"
#include "hull-error.h"

G_MODULE_EXPORT const HullBackendModule *hull_backend_module (void);

static HullHypervisor *
unavailable_open (const HullHypervisorConfig *config, GError **error)
{
  g_set_error_literal (error, HULL_ERROR, HULL_ERROR_BACKEND_UNAVAILABLE, "no /dev/fake");
  return NULL;
}

static gboolean
unavailable_probe (HullHypervisor *hypervisor, HullExecutionSpeed *speed, GError **error)
{
  g_assert_not_reached ();
}

static HullProtoPartition *
unavailable_new_proto_partition (HullHypervisor *hypervisor, const HullProtoPartitionConfig *config,
                                 GError **error)
{
  g_assert_not_reached ();
}

static void
unavailable_close (HullHypervisor *hypervisor)
{
  g_assert_not_reached ();
}

static const HullHypervisorOps unavailable_hypervisor_ops = {
  .open = unavailable_open,
  .probe = unavailable_probe,
  .new_proto_partition = unavailable_new_proto_partition,
  .close = unavailable_close,
};

static const HullBackendModule unavailable_module = {
  .abi_version = HULL_BACKEND_ABI_VERSION,
  .name = "unavailable",
  .description = "A backend whose device is missing",
  .hypervisor = &unavailable_hypervisor_ops,
};

const HullBackendModule *
hull_backend_module (void)
{
  return &unavailable_module;
}
