/* hull-key-record.c — strict reading of hulld's GKeyFile records
 * (hull-key-record.h). */
#include "config.h"

#include "hull-key-record.h"

#include <string.h>

#include "hull-error.h"
#include "hull-i18n.h"

static char *
quote (const char *value, gsize max)
{
  GString *quoted = g_string_sized_new (strlen (value));
  const char *p;

  for (p = value; *p != '\0' && quoted->len < max; p = g_utf8_next_char (p))
    {
      guchar c = (guchar)*p;

      if (c == '\n')
        g_string_append (quoted, "\\n");
      else if (c == '\t')
        g_string_append (quoted, "\\t");
      else if (c == '\r')
        g_string_append (quoted, "\\r");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (quoted, "\\x%02x", c);
      else
        g_string_append_len (quoted, p, g_utf8_next_char (p) - p);
    }
  if (*p != '\0')
    g_string_append (quoted, "…");
  return g_string_free (quoted, FALSE);
}

char *
hull_key_record_quote (const char *value)
{
  g_return_val_if_fail (value != NULL, NULL);
  return quote (value, HULL_KEY_RECORD_QUOTE_MAX);
}

GKeyFile *
hull_key_record_load (const char *data, gsize len, const char *group, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (group != NULL, NULL);

  if (len > HULL_KEY_RECORD_MAX_SIZE)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, _ ("it is larger than %llu bytes"),
                   (unsigned long long)HULL_KEY_RECORD_MAX_SIZE);
      return NULL;
    }
  if (len > 0 && memchr (data, '\0', len) != NULL)
    {
      g_set_error_literal (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                           _ ("it contains a nul byte"));
      return NULL;
    }
  if (!g_utf8_validate_len (data != NULL ? data : "", len, NULL))
    {
      g_set_error_literal (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, _ ("it is not UTF-8 text"));
      return NULL;
    }
  if (!g_key_file_load_from_data (file, data != NULL ? data : "", len, G_KEY_FILE_NONE,
                                  &local_error))
    {
      /* GKeyFile's message quotes the line it refuses. */
      g_autofree char *message = quote (local_error->message, 4 * HULL_KEY_RECORD_QUOTE_MAX);

      g_set_error_literal (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, message);
      return NULL;
    }
  if (!g_key_file_has_group (file, group))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, _ ("it has no [%s] group"), group);
      return NULL;
    }
  return g_steal_pointer (&file);
}

/* The raw value of @key, %NULL (and no error) when it is absent and not
 * @required. GKeyFile drops the spaces around '=', not those at the end of
 * the line: @chomp drops those too (for numbers and booleans). */
static char *
get_raw (GKeyFile *file, const char *group, const char *key, gboolean required, gboolean chomp,
         GError **error)
{
  char *raw = NULL;

  if (g_key_file_has_key (file, group, key, NULL))
    raw = g_key_file_get_value (file, group, key, NULL);
  if (raw != NULL && chomp)
    g_strchomp (raw);
  if (raw == NULL && required)
    g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, _ ("the key %s is missing"), key);
  return raw;
}

/* GKeyFile's escapes: \s, \n, \t, \r and \\. Done here rather than by
 * g_key_file_get_string(), which lets other escapes through and, for some
 * (an unknown one, then a '\' at the end), sets its GError twice: a GLib
 * warning. %NULL for anything else after a '\'. */
static char *
unescape (const char *raw)
{
  g_autoptr (GString) text = g_string_sized_new (strlen (raw));

  for (const char *p = raw; *p != '\0'; p++)
    {
      if (*p != '\\')
        {
          g_string_append_c (text, *p);
          continue;
        }
      switch (*++p)
        {
          case 's':
            g_string_append_c (text, ' ');
            break;
          case 'n':
            g_string_append_c (text, '\n');
            break;
          case 't':
            g_string_append_c (text, '\t');
            break;
          case 'r':
            g_string_append_c (text, '\r');
            break;
          case '\\':
            g_string_append_c (text, '\\');
            break;
          default: /* another escape, or a '\' that ends the value */
            return NULL;
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

gboolean
hull_key_record_get_string (GKeyFile *file, const char *group, const char *key,
                            const char *fallback, char **value, GError **error)
{
  g_autofree char *raw = NULL;
  char *text;

  g_return_val_if_fail (file != NULL && group != NULL && key != NULL && value != NULL, FALSE);

  raw = get_raw (file, group, key, fallback == NULL, FALSE, error);
  if (raw == NULL)
    {
      if (fallback == NULL)
        return FALSE;
      *value = g_strdup (fallback);
      return TRUE;
    }
  text = unescape (raw);
  if (text == NULL)
    {
      g_autofree char *quoted = hull_key_record_quote (raw);

      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, _ ("%s=%s is not a valid string"),
                   key, quoted);
      return FALSE;
    }
  *value = text;
  return TRUE;
}

gboolean
hull_key_record_get_signed (GKeyFile *file, const char *group, const char *key, gboolean required,
                            gint64 min, gint64 max, gint64 *value, GError **error)
{
  g_autofree char *raw = NULL;
  gint64 number;

  g_return_val_if_fail (file != NULL && group != NULL && key != NULL && value != NULL, FALSE);

  raw = get_raw (file, group, key, required, TRUE, error);
  if (raw == NULL)
    return !required;
  /* Unlike g_key_file_get_int64(): no quiet saturation; and no '+', as
   * g_ascii_string_to_unsigned() takes none. */
  if (raw[0] == '+' || !g_ascii_string_to_signed (raw, 10, min, max, &number, NULL))
    {
      g_autofree char *quoted = hull_key_record_quote (raw);

      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("%s=%s is not a number from %lld to %lld"), key, quoted, (long long)min,
                   (long long)max);
      return FALSE;
    }
  *value = number;
  return TRUE;
}

gboolean
hull_key_record_get_unsigned (GKeyFile *file, const char *group, const char *key, gboolean required,
                              guint64 min, guint64 max, guint64 *value, GError **error)
{
  g_autofree char *raw = NULL;
  guint64 number;

  g_return_val_if_fail (file != NULL && group != NULL && key != NULL && value != NULL, FALSE);

  raw = get_raw (file, group, key, required, TRUE, error);
  if (raw == NULL)
    return !required;
  if (!g_ascii_string_to_unsigned (raw, 10, min, max, &number, NULL))
    {
      g_autofree char *quoted = hull_key_record_quote (raw);

      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                   _ ("%s=%s is not a number from %llu to %llu"), key, quoted,
                   (unsigned long long)min, (unsigned long long)max);
      return FALSE;
    }
  *value = number;
  return TRUE;
}

gboolean
hull_key_record_get_boolean (GKeyFile *file, const char *group, const char *key, gboolean required,
                             gboolean *value, GError **error)
{
  g_autofree char *raw = NULL;

  g_return_val_if_fail (file != NULL && group != NULL && key != NULL && value != NULL, FALSE);

  raw = get_raw (file, group, key, required, TRUE, error);
  if (raw == NULL)
    return !required;
  /* What g_key_file_get_boolean() takes. */
  if (strcmp (raw, "true") == 0 || strcmp (raw, "1") == 0)
    *value = TRUE;
  else if (strcmp (raw, "false") == 0 || strcmp (raw, "0") == 0)
    *value = FALSE;
  else
    {
      g_autofree char *quoted = hull_key_record_quote (raw);

      g_set_error (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA, _ ("%s=%s is not true or false"),
                   key, quoted);
      return FALSE;
    }
  return TRUE;
}
