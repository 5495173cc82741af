/* hull-backend.c — the wrappers around the backend ABI's optional ops. */
#include "config.h"

#include "hull-backend.h"

#include "hull-enum.h"
#include "hull-error.h"
#include "hull-i18n.h"

HULL_ENUM_IMPL (hull_vp_exit, HullVpExit, "stopped", "yield", "cancel", "power-off", "reset",
                "hibernate", "triple-fault", "single-step", "hw-break", "fatal")

static gboolean
not_supported (GError **error, const char *what)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED, _ ("the backend does not support %s"),
               what);
  return FALSE;
}

gboolean
hull_partition_reset (HullPartition *partition, GError **error)
{
  g_return_val_if_fail (partition != NULL, FALSE);

  if (partition->ops->reset == NULL)
    return not_supported (error, _ ("resetting a partition"));
  return partition->ops->reset (partition, error);
}

gboolean
hull_partition_scrub_vtl (HullPartition *partition, guint vtl, GError **error)
{
  g_return_val_if_fail (partition != NULL, FALSE);

  if (partition->ops->scrub_vtl == NULL)
    return not_supported (error, _ ("scrubbing a VTL"));
  return partition->ops->scrub_vtl (partition, vtl, error);
}

gboolean
hull_partition_accept_initial_pages (HullPartition *partition, const HullMemoryRange *ranges,
                                     guint n_ranges, GError **error)
{
  g_return_val_if_fail (partition != NULL, FALSE);

  if (partition->ops->accept_initial_pages == NULL)
    return not_supported (error, _ ("accepting initial pages"));
  return partition->ops->accept_initial_pages (partition, ranges, n_ranges, error);
}

void
hull_partition_request_yield (HullPartition *partition, guint vp)
{
  g_return_if_fail (partition != NULL);

  partition->ops->request_yield (partition, vp);
}

gboolean
hull_processor_reset (HullProcessor *processor, GError **error)
{
  g_return_val_if_fail (processor != NULL, FALSE);

  if (processor->ops->reset == NULL)
    return not_supported (error, _ ("resetting a processor"));
  return processor->ops->reset (processor, error);
}

gboolean
hull_processor_scrub (HullProcessor *processor, guint vtl, GError **error)
{
  g_return_val_if_fail (processor != NULL, FALSE);

  if (processor->ops->scrub == NULL)
    return not_supported (error, _ ("scrubbing a processor"));
  return processor->ops->scrub (processor, vtl, error);
}

gboolean
hull_processor_set_state (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                          gconstpointer buffer, gsize size, GError **error)
{
  g_return_val_if_fail (processor != NULL, FALSE);

  if (processor->ops->set_state == NULL)
    return not_supported (error, _ ("setting register state"));
  return processor->ops->set_state (processor, vtl, group, buffer, size, error);
}

gboolean
hull_processor_get_state (HullProcessor *processor, guint vtl, HullRegisterGroup group,
                          gpointer buffer, gsize size, GError **error)
{
  g_return_val_if_fail (processor != NULL, FALSE);

  if (processor->ops->get_state == NULL)
    return not_supported (error, _ ("reading register state"));
  return processor->ops->get_state (processor, vtl, group, buffer, size, error);
}
