/* hull-i18n.h — gettext for libhull (private to the tree, not installed).
 *
 * _() looks a message up in the "hull" domain. The first lookup binds the
 * domain to LOCALEDIR, or to $HULL_LOCALEDIR when set (uninstalled runs and
 * tests), with UTF-8 output.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *hull_gettext (const char *msgid) G_GNUC_FORMAT (1);
const char *hull_ngettext (const char *msgid, const char *msgid_plural, gulong n) G_GNUC_FORMAT (1)
    G_GNUC_FORMAT (2);
void hull_i18n_init (void);

#undef _
#undef N_
#define _(String) hull_gettext (String)
#define N_(String) (String)

G_END_DECLS
