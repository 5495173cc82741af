/* hull-enum.c — string tables for enums. */
#include "config.h"

#include "hull-enum.h"

const char *
hull_enum_to_string (const char *const *names, guint n_names, int value)
{
  if (value < 0 || (guint)value >= n_names)
    return NULL;
  return names[value];
}

gboolean
hull_enum_from_string (const char *const *names, guint n_names, const char *name, int *value)
{
  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    if (g_strcmp0 (names[i], name) == 0)
      {
        *value = (int)i;
        return TRUE;
      }
  return FALSE;
}
