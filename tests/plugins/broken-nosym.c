/* broken-nosym.c — a loadable module that does not export
 * hull_backend_module (a misspelt entry point, as happens). */
#include "config.h"

#include <gmodule.h>

#include "hull-backend.h"

G_MODULE_EXPORT const HullBackendModule *hull_backend_modul (void);

const HullBackendModule *
hull_backend_modul (void)
{
  return NULL;
}
