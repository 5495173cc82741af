/* fake-hypervisor.c — see fake-hypervisor.h. */
#include "config.h"

#include "fake-hypervisor.h"

#include "hull-error.h"

static HullHypervisor *
fake_open (const HullHypervisorConfig *config, GError **error)
{
  return g_new0 (HullHypervisor, 1);
}

static gboolean
fake_probe (HullHypervisor *hypervisor, HullExecutionSpeed *speed, GError **error)
{
  *speed = HULL_EXECUTION_EMULATED;
  return TRUE;
}

static HullProtoPartition *
fake_new_proto_partition (HullHypervisor *hypervisor, const HullProtoPartitionConfig *config,
                          GError **error)
{
  g_set_error_literal (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                       "this test backend builds no partitions");
  return NULL;
}

static void
fake_close (HullHypervisor *hypervisor)
{
  g_free (hypervisor);
}

const HullHypervisorOps fake_hypervisor_ops = {
  .open = fake_open,
  .probe = fake_probe,
  .new_proto_partition = fake_new_proto_partition,
  .close = fake_close,
};
