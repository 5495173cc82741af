/* hull-ready-line.h — the line a worker writes to hulld's ready fd
 * (docs/daemon.md, "Starting a worker"): "READY", or
 * "ERROR <code> <message>".
 *
 * One definition for the worker (hull_worker_report_ready() formats it) and
 * hulld (hull-worker-spawn.c parses it). A line is read up to its '\n';
 * trailing white space (a "\r" too) is ignored. What parses:
 *
 * - "READY" exactly;
 * - "ERROR " then a code and, after one space, a message: a code that is not
 *   a decimal %HULL_ERROR code (out of range, signed, not a number) is read
 *   as %HULL_ERROR_FAILED; the message is made valid UTF-8, its control
 *   characters become spaces and its ends are stripped (it may end up
 *   empty: the worker said nothing useful).
 *
 * Anything else — another word, leading spaces, a nul byte, a second line —
 * is not a ready line.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * HullReadyLine:
 * @ready: %TRUE for "READY"; the rest is for ERROR lines
 * @code: a %HULL_ERROR code
 * @message: one line of UTF-8, no control characters, stripped; may be ""
 */
typedef struct
{
  gboolean ready;
  int code;
  char *message;
} HullReadyLine;

void hull_ready_line_free (HullReadyLine *line);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullReadyLine, hull_ready_line_free)

/**
 * hull_ready_line_parse:
 * @data: (array length=len): the line, with or without its '\n'
 * @len: its length
 * @error: %HULL_ERROR_CORRUPT_DATA when it is not a ready line
 *
 * Returns: (transfer full): the line, or %NULL
 */
HullReadyLine *hull_ready_line_parse (const char *data, gsize len, GError **error);

/**
 * hull_ready_line_new_for_error:
 * @error: (nullable): %NULL for READY, or the setup's failure (another
 *   domain's error is reported as %HULL_ERROR_FAILED)
 *
 * Returns: (transfer full): the line that reports it
 */
HullReadyLine *hull_ready_line_new_for_error (const GError *error);

/**
 * hull_ready_line_format:
 * @line: a line
 *
 * Returns: (transfer full): "READY\n" or "ERROR <code> <message>\n", which
 *   hull_ready_line_parse() reads back as an equal line (the message
 *   normalised as parsing does, a code out of range as %HULL_ERROR_FAILED)
 */
char *hull_ready_line_format (const HullReadyLine *line);

gboolean hull_ready_line_equal (const HullReadyLine *a, const HullReadyLine *b);

G_END_DECLS
