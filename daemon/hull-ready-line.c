/* hull-ready-line.c — the worker's ready line (hull-ready-line.h). */
#include "config.h"

#include "hull-ready-line.h"

#include <string.h>

#include "hull-error.h"
#include "hull-i18n.h"

#define READY "READY"
#define ERROR_PREFIX "ERROR "

void
hull_ready_line_free (HullReadyLine *line)
{
  if (line == NULL)
    return;
  g_free (line->message);
  g_free (line);
}

/* Valid UTF-8, ASCII control characters as spaces, no spaces around it. */
static char *
normalize_message (const char *text, gssize len)
{
  char *message = g_utf8_make_valid (text, len);

  for (char *p = message; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  return g_strstrip (message);
}

static int
normalize_code (int code)
{
  return code >= 0 && code < HULL_ERROR_N_CODES ? code : HULL_ERROR_FAILED;
}

HullReadyLine *
hull_ready_line_parse (const char *data, gsize len, GError **error)
{
  g_autoptr (HullReadyLine) line = g_new0 (HullReadyLine, 1);
  g_autofree char *code_text = NULL;
  const char *rest, *space, *end;
  guint64 code;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  /* The line ends at its '\n' (if any), without trailing white space. */
  while (len > 0 && g_ascii_isspace (data[len - 1]))
    len--;
  if (len > 0 && (memchr (data, '\0', len) != NULL || memchr (data, '\n', len) != NULL))
    {
      g_set_error_literal (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                           _ ("the ready line contains a nul byte or a line break"));
      return NULL;
    }
  if (len == strlen (READY) && memcmp (data, READY, len) == 0)
    {
      line->ready = TRUE;
      line->code = HULL_ERROR_FAILED;
      line->message = g_strdup ("");
      return g_steal_pointer (&line);
    }
  if (len < strlen (ERROR_PREFIX) || memcmp (data, ERROR_PREFIX, strlen (ERROR_PREFIX)) != 0)
    {
      g_set_error_literal (error, HULL_ERROR, HULL_ERROR_CORRUPT_DATA,
                           _ ("the ready line is neither READY nor ERROR <code> <message>"));
      return NULL;
    }

  rest = data + strlen (ERROR_PREFIX);
  end = data + len;
  space = memchr (rest, ' ', (gsize)(end - rest));
  code_text = g_strndup (rest, (gsize)((space != NULL ? space : end) - rest));
  if (!g_ascii_string_to_unsigned (code_text, 10, 0, HULL_ERROR_N_CODES - 1, &code, NULL))
    code = HULL_ERROR_FAILED;
  line->code = (int)code;
  line->message = space != NULL ? normalize_message (space + 1, end - (space + 1)) : g_strdup ("");
  return g_steal_pointer (&line);
}

HullReadyLine *
hull_ready_line_new_for_error (const GError *error)
{
  HullReadyLine *line = g_new0 (HullReadyLine, 1);

  line->ready = error == NULL;
  line->code = error != NULL && error->domain == HULL_ERROR ? normalize_code (error->code)
                                                            : HULL_ERROR_FAILED;
  line->message = error != NULL ? normalize_message (error->message, -1) : g_strdup ("");
  return line;
}

char *
hull_ready_line_format (const HullReadyLine *line)
{
  g_autofree char *message = NULL;

  g_return_val_if_fail (line != NULL, NULL);

  if (line->ready)
    return g_strdup (READY "\n");
  /* One line: a multi-line message (several XML errors) is joined. */
  message = normalize_message (line->message != NULL ? line->message : "", -1);
  return g_strdup_printf (ERROR_PREFIX "%d %s\n", normalize_code (line->code), message);
}

gboolean
hull_ready_line_equal (const HullReadyLine *a, const HullReadyLine *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->ready || b->ready)
    return a->ready == b->ready;
  return a->code == b->code && g_strcmp0 (a->message, b->message) == 0;
}
