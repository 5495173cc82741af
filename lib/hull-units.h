/* hull-units.h — libvirt's scaled sizes and Hull's number syntax. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * hull_units_scale:
 * @value: the number as written
 * @unit: (nullable): a libvirt unit ("KiB", "M", "GB", "bytes", …, matched
 *   case-insensitively); %NULL or "" means @default_unit
 * @default_unit: the unit used when @unit is %NULL or empty, in bytes
 * @result: (out): @value × the unit, in bytes
 * @error: %HULL_ERROR_INVALID_ARGUMENT for an unknown unit,
 *   %HULL_ERROR_LIMIT_EXCEEDED when the product does not fit in 64 bits
 *   (the message names @unit, or the unit @default_unit stands for)
 *
 * Returns: %TRUE on success.
 */
gboolean hull_units_scale (guint64 value, const char *unit, guint64 default_unit, guint64 *result,
                           GError **error);

/**
 * hull_units_parse_number:
 * @text: decimal digits, or "0x" followed by hexadecimal digits; no sign,
 *   no spaces
 * @max: the largest value accepted
 * @result: (out): the value
 * @error: %HULL_ERROR_INVALID_ARGUMENT for anything else; a value above @max
 *   (or above 64 bits) is reported as such, with @max in the base @text
 *   was written in
 *
 * Returns: %TRUE on success.
 */
gboolean hull_units_parse_number (const char *text, guint64 max, guint64 *result, GError **error);

/**
 * hull_units_format_size:
 * @bytes: a size
 *
 * Returns: (transfer full): @bytes in the largest binary unit that divides
 *   it exactly, for messages: "512 MiB", "4 KiB", "1000 bytes" (translated).
 */
char *hull_units_format_size (guint64 bytes);

G_END_DECLS
