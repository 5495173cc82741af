/* hull-units.c — libvirt's scaled sizes and Hull's number syntax. */
#include "config.h"

#include "hull-units.h"

#include "hull-error.h"
#include "hull-i18n.h"

#include <string.h>

/* xgettext knows ngettext() (po/Makevars names only _ and N_); look the
 * plural up in libhull's domain. */
#define ngettext(msgid, msgid_plural, n) hull_ngettext (msgid, msgid_plural, n)

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

/* The name of a unit of @multiplier bytes, or NULL if it has none. */
static const char *
unit_name (guint64 multiplier)
{
  static const char *const binary[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  static const char *const decimal[] = { "KB", "MB", "GB", "TB", "PB", "EB" };
  guint64 b = 1, d = 1;

  if (multiplier == 1)
    return "b";
  for (guint i = 0; i < G_N_ELEMENTS (binary); i++)
    {
      b *= 1024;
      d *= 1000;
      if (multiplier == b)
        return binary[i];
      if (multiplier == d)
        return decimal[i];
    }
  return NULL;
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
      const char *name = unit != NULL && *unit != '\0' ? unit : unit_name (multiplier);

      if (name != NULL)
        g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                     _ ("%llu %s does not fit in 64 bits"), (unsigned long long)value, name);
      else
        g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                     _ ("%llu units of %llu bytes do not fit in 64 bits"),
                     (unsigned long long)value, (unsigned long long)multiplier);
      return FALSE;
    }
  return TRUE;
}

gboolean
hull_units_parse_number (const char *text, guint64 max, guint64 *result, GError **error)
{
  guint base = 10;
  const char *digits = text;
  guint64 value = 0;
  g_autoptr (GError) local = NULL;
  gboolean overflow = FALSE;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    {
      base = 16;
      digits = text + 2;
    }
  /* g_ascii_string_to_unsigned() accepts a leading '+'; Hull does not. */
  if (g_ascii_isxdigit (digits[0])
      && !g_ascii_string_to_unsigned (digits, base, 0, G_MAXUINT64, &value, &local))
    overflow = g_error_matches (local, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS);
  if (!g_ascii_isxdigit (digits[0]) || (local != NULL && !overflow))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("'%s' is not a number (write decimal digits, or 0x and hexadecimal digits)"),
                   text);
      return FALSE;
    }
  /* The maximum in the base the number was written in. */
  if (overflow || value > max)
    {
      if (base == 16)
        g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                     _ ("%s is larger than the maximum 0x%llx"), text, (unsigned long long)max);
      else
        g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                     _ ("%s is larger than the maximum %llu"), text, (unsigned long long)max);
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
  /* Below 1 KiB, or not a whole number of KiB: "1 byte", "1000 bytes". */
  if (i < 0)
    return g_strdup_printf (ngettext ("%llu byte", "%llu bytes", (gulong)MIN (bytes, G_MAXULONG)),
                            (unsigned long long)bytes);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", bytes, names[i]);
}
