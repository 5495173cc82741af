/* hull-enum.h — string tables for enums (private to the tree).
 *
 * HULL_ENUM_IMPL (hull_foo, HullFoo, "a", "b") defines
 *   const char *hull_foo_to_string (HullFoo value);            NULL if out of range
 *   gboolean hull_foo_from_string (const char *s, HullFoo *value);
 * for an enum whose values are 0, 1, … in the order of the strings.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *hull_enum_to_string (const char *const *names, guint n_names, int value);
gboolean hull_enum_from_string (const char *const *names, guint n_names, const char *name,
                                int *value);

#define HULL_ENUM_IMPL(prefix, Type, ...)                                                          \
  static const char *const prefix##_names[] = { __VA_ARGS__ };                                     \
  const char *prefix##_to_string (Type value)                                                      \
  {                                                                                                \
    return hull_enum_to_string (prefix##_names, G_N_ELEMENTS (prefix##_names), (int)value);        \
  }                                                                                                \
  gboolean prefix##_from_string (const char *name, Type *value)                                    \
  {                                                                                                \
    int v;                                                                                         \
    if (!hull_enum_from_string (prefix##_names, G_N_ELEMENTS (prefix##_names), name, &v))          \
      return FALSE;                                                                                \
    *value = (Type)v;                                                                              \
    return TRUE;                                                                                   \
  }

G_END_DECLS
