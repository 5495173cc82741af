/* kvm-save.c — a processor's saved state: every register group the VP has,
 * as (id, bytes) in id order (partition-semantics.md §1.5), validated
 * completely before anything is set, and rolled back when KVM refuses a
 * value.
 */
#include "config.h"

#include <string.h>

#include "hull-error.h"
#include "hull-saved-state.h"
#include "hull-i18n.h"

#include "kvm-private.h"

/* GVariant type of a processor's saved state: version, VP index, and every
 * present register group as (id, bytes) in id order. */
#define KVM_PROCESSOR_SAVE_TYPE "(uua(uay))"

/* The groups, in id (and restore) order. */
static const HullRegisterGroup all_groups[] = {
  HULL_REGISTER_GROUP_REGISTERS, HULL_REGISTER_GROUP_ACTIVITY, HULL_REGISTER_GROUP_XSAVE,
  HULL_REGISTER_GROUP_APIC,      HULL_REGISTER_GROUP_XCR0,     HULL_REGISTER_GROUP_MTRRS,
  HULL_REGISTER_GROUP_PAT,       HULL_REGISTER_GROUP_MSRS,     HULL_REGISTER_GROUP_DEBUG_REGS,
  HULL_REGISTER_GROUP_TSC,       HULL_REGISTER_GROUP_TSC_AUX,
};

/**
 * kvm_vp_save:
 * @vp: the VP, stopped
 * @error: return location for a #GError
 *
 * Returns: (transfer full): every present group as (id, bytes), in id order.
 */
GBytes *
kvm_vp_save (KvmVp *vp, GError **error)
{
  g_autoptr (GVariant) state = NULL;
  GVariantBuilder groups;

  g_variant_builder_init (&groups, G_VARIANT_TYPE ("a(uay)"));
  for (guint i = 0; i < G_N_ELEMENTS (all_groups); i++)
    {
      HullRegisterGroup group = all_groups[i];
      gsize size = kvm_vp_group_size (vp, group);
      g_autofree guint8 *buffer = NULL;

      if (!kvm_vp_group_present (vp, group))
        continue;
      buffer = g_malloc0 (size);
      if (!kvm_vp_get_state (vp, group, buffer, size, error))
        {
          g_variant_builder_clear (&groups);
          return NULL;
        }
      g_variant_builder_add (&groups, "(u@ay)", (guint32)group,
                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, buffer, size, 1));
    }
  state = g_variant_ref_sink (
      g_variant_new ("(uua(uay))", (guint32)KVM_SAVE_VERSION, (guint32)vp->index, &groups));
  return g_variant_get_data_as_bytes (state);
}

static gboolean
corrupt (KvmVp *vp, GError **error, const char *why)
{
  g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, _ ("VP %u: saved state is damaged: %s"),
               vp->index, why);
  return FALSE;
}

/* Checks @variant completely: version, VP, and exactly the present groups,
 * in id order, each of its size. */
static gboolean
check_saved (KvmVp *vp, GVariant *variant, GError **error)
{
  g_autoptr (GVariant) groups = NULL;
  guint32 index;
  guint next = 0;

  g_variant_get (variant, "(uu@a(uay))", NULL, &index, &groups);
  if (index != vp->index)
    return corrupt (vp, error, _ ("it belongs to another VP"));
  for (gsize i = 0; i < g_variant_n_children (groups); i++)
    {
      g_autoptr (GVariant) data = NULL;
      guint32 id;

      g_variant_get_child (groups, i, "(u@ay)", &id, &data);
      while (next < G_N_ELEMENTS (all_groups) && !kvm_vp_group_present (vp, all_groups[next]))
        next++;
      if (next == G_N_ELEMENTS (all_groups) || id != (guint32)all_groups[next])
        return corrupt (vp, error, _ ("its register groups are not the ones this VP has"));
      if (g_variant_get_size (data) != kvm_vp_group_size (vp, all_groups[next]))
        return corrupt (vp, error, _ ("a register group has the wrong size"));
      next++;
    }
  while (next < G_N_ELEMENTS (all_groups) && !kvm_vp_group_present (vp, all_groups[next]))
    next++;
  if (next != G_N_ELEMENTS (all_groups))
    return corrupt (vp, error, _ ("a register group is missing"));
  return TRUE;
}

static gboolean
apply_saved (KvmVp *vp, GVariant *variant, GError **error)
{
  g_autoptr (GVariant) groups = g_variant_get_child_value (variant, 2);

  for (gsize i = 0; i < g_variant_n_children (groups); i++)
    {
      g_autoptr (GVariant) data = NULL;
      guint32 id;
      gsize size;
      gconstpointer bytes;

      g_variant_get_child (groups, i, "(u@ay)", &id, &data);
      bytes = g_variant_get_fixed_array (data, &size, 1);
      if (!kvm_vp_set_state (vp, (HullRegisterGroup)id, bytes, size, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * kvm_vp_restore:
 * @vp: the VP, stopped
 * @bytes: what kvm_vp_save() returned
 * @error: return location for a #GError
 *
 * Sets the groups in id order. A damaged blob, or one KVM refuses, is
 * %HULL_ERROR_CORRUPT_DATA and leaves the VP as it was.
 */
gboolean
kvm_vp_restore (KvmVp *vp, GBytes *bytes, GError **error)
{
  g_autoptr (GVariant) variant = NULL;
  g_autoptr (GVariant) previous = NULL;
  g_autoptr (GBytes) snapshot = NULL;
  g_autoptr (GError) local = NULL;

  variant = hull_saved_state_open (bytes, KVM_PROCESSOR_SAVE_TYPE, KVM_SAVE_VERSION, error);
  if (variant == NULL)
    {
      g_prefix_error (error, _ ("VP %u: "), vp->index);
      return FALSE;
    }
  if (!check_saved (vp, variant, error))
    return FALSE;
  snapshot = kvm_vp_save (vp, error);
  if (snapshot == NULL)
    return FALSE;
  if (apply_saved (vp, variant, &local))
    return TRUE;

  previous = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE (KVM_PROCESSOR_SAVE_TYPE), snapshot, FALSE));
  if (!apply_saved (vp, previous, NULL))
    g_warning ("VP %u: could not roll back a failed restore", vp->index);
  return corrupt (vp, error, local->message);
}
