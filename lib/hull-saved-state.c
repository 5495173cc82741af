/* hull-saved-state.c — opening a versioned saved-state blob. */
#include "config.h"

#include "hull-saved-state.h"

#include "hull-error.h"
#include "hull-i18n.h"

GVariant *
hull_saved_state_open (GBytes *bytes, const char *type, guint32 version, GError **error)
{
  g_autoptr (GVariant) state = NULL;
  guint32 found;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (type != NULL && g_str_has_prefix (type, "(u"), NULL);

  state = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE));
  /* A fixed-size type of the wrong size reads as zeros, and only the normal
   * form is safe to take apart. */
  if (g_variant_get_size (state) != g_bytes_get_size (bytes) || !g_variant_is_normal_form (state))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("the saved state is damaged (%llu bytes that are not such a state)"),
                   (unsigned long long)g_bytes_get_size (bytes));
      return NULL;
    }
  g_variant_get_child (state, 0, "u", &found);
  if (found != version)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("the saved state has format version %u; this Hull reads version %u"), found,
                   version);
      return NULL;
    }
  return g_steal_pointer (&state);
}
