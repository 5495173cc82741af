/* hull-units.c — libvirt's scaled sizes and Hull's number syntax. */
#include "config.h"

#include "hull-units.h"

#include "hull-error.h"
#include "hull-i18n.h"

#include <string.h>

/* The power of 1000 or 1024 a unit letter stands for. */
static int
unit_exponent (char c)
{
  static const char letters[] = "kmgtpe";
  const char *p = strchr (letters, g_ascii_tolower (c));

  return (c != '\0' && p != NULL) ? (int)(p - letters) + 1 : -1;
}

/* libvirt's rule: "b"/"byte"/"bytes"; a letter alone or with "iB" is binary;
 * the letter with "B" is decimal. Case does not matter. */
static gboolean
unit_multiplier (const char *unit, guint64 *multiplier)
{
  int exponent;
  guint64 base;

  if (g_ascii_strcasecmp (unit, "b") == 0 || g_ascii_strcasecmp (unit, "byte") == 0
      || g_ascii_strcasecmp (unit, "bytes") == 0)
    {
      *multiplier = 1;
      return TRUE;
    }
  exponent = unit_exponent (unit[0]);
  if (exponent < 0)
    return FALSE;
  if (unit[1] == '\0' || g_ascii_strcasecmp (unit + 1, "iB") == 0)
    base = 1024;
  else if (g_ascii_strcasecmp (unit + 1, "B") == 0)
    base = 1000;
  else
    return FALSE;

  *multiplier = 1;
  for (int i = 0; i < exponent; i++)
    *multiplier *= base;
  return TRUE;
}

gboolean
hull_units_scale (guint64 value, const char *unit, guint64 default_unit, guint64 *result,
                  GError **error)
{
  guint64 multiplier = default_unit;

  g_return_val_if_fail (result != NULL, FALSE);

  if (unit != NULL && *unit != '\0' && !unit_multiplier (unit, &multiplier))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("unknown unit '%s' (use b, KiB, MiB, GiB, TiB, PiB, EiB, KB, MB, GB, TB, PB "
                      "or EB)"),
                   unit);
      return FALSE;
    }
  if (!g_uint64_checked_mul (result, value, multiplier))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("%llu %s does not fit in 64 bits"), (unsigned long long)value,
                   unit != NULL && *unit != '\0' ? unit : "KiB");
      return FALSE;
    }
  return TRUE;
}

gboolean
hull_units_parse_number (const char *text, guint64 max, guint64 *result, GError **error)
{
  guint base = 10;
  const char *digits = text;
  guint64 value;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    {
      base = 16;
      digits = text + 2;
    }
  /* g_ascii_string_to_unsigned() accepts a leading '+'; Hull does not. */
  if (!g_ascii_isxdigit (digits[0])
      || !g_ascii_string_to_unsigned (digits, base, 0, G_MAXUINT64, &value, NULL))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("'%s' is not a number (write decimal digits, or 0x and hexadecimal digits)"),
                   text);
      return FALSE;
    }
  if (value > max)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s is larger than the maximum 0x%llx"), text, (unsigned long long)max);
      return FALSE;
    }
  *result = value;
  return TRUE;
}

char *
hull_units_format_size (guint64 bytes)
{
  static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  int i = -1;

  while (bytes != 0 && i + 1 < (int)G_N_ELEMENTS (names) && (bytes & 1023) == 0)
    {
      bytes >>= 10;
      i++;
    }
  if (i < 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", bytes, names[i]);
}
