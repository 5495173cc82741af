/* hull-i18n.c — binding the "hull" gettext domain once. */
#include "config.h"

#include "hull-i18n.h"

#include <libintl.h>

void
hull_i18n_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      const char *dir = g_getenv ("HULL_LOCALEDIR");

      bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&done, 1);
    }
}

const char *
hull_gettext (const char *msgid)
{
  hull_i18n_init ();
  return g_dgettext (GETTEXT_PACKAGE, msgid);
}

const char *
hull_ngettext (const char *msgid, const char *msgid_plural, gulong n)
{
  hull_i18n_init ();
  return g_dngettext (GETTEXT_PACKAGE, msgid, msgid_plural, n);
}
