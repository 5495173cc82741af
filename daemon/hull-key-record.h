/* hull-key-record.h — strict reading of the small GKeyFile records hulld and
 * its workers keep (docs/daemon.md): the worker status record, hulld's
 * .domain record and the .meta file.
 *
 * hull_key_record_load() refuses what GKeyFile would take in quietly: more
 * than HULL_KEY_RECORD_MAX_SIZE bytes, a nul byte, text that is not UTF-8,
 * no [group] at all. The getters read one key of that group. A key that is
 * absent is an error only when it is required (the value is then left
 * alone); a key that is present must hold a sound value: numbers are decimal
 * digits, in range (a '-' only for signed ones, never a '+'), booleans are
 * true/false/1/0 (white space at the end of the line is ignored for both, as
 * around the '='), strings use GKeyFile's escapes. Where a key appears twice
 * the last one counts (GKeyFile's rule). Keys and groups the reader does not
 * ask for are ignored (a newer writer may add some).
 *
 * Errors are %HULL_ERROR_CORRUPT_DATA with a translated message that says
 * what is wrong but not in which file: the caller puts that around it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* No record comes near this; a file that does is not one. */
#define HULL_KEY_RECORD_MAX_SIZE 65536

GKeyFile *hull_key_record_load (const char *data, gsize len, const char *group, GError **error);

/* @fallback: the value when the key is absent; %NULL: the key is required. */
gboolean hull_key_record_get_string (GKeyFile *file, const char *group, const char *key,
                                     const char *fallback, char **value, GError **error);
gboolean hull_key_record_get_signed (GKeyFile *file, const char *group, const char *key,
                                     gboolean required, gint64 min, gint64 max, gint64 *value,
                                     GError **error);
gboolean hull_key_record_get_unsigned (GKeyFile *file, const char *group, const char *key,
                                       gboolean required, guint64 min, guint64 max, guint64 *value,
                                       GError **error);
gboolean hull_key_record_get_boolean (GKeyFile *file, const char *group, const char *key,
                                      gboolean required, gboolean *value, GError **error);

/* @value (UTF-8) as a message may quote it: control characters escaped
 * (\n, \t, \r, \xNN), cut after HULL_KEY_RECORD_QUOTE_MAX bytes with "…".
 * A damaged file must not put line breaks or terminal escapes into logs. */
#define HULL_KEY_RECORD_QUOTE_MAX 120
char *hull_key_record_quote (const char *value);

G_END_DECLS
