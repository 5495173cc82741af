/* hull-error.c — the HULL_ERROR domain and its D-Bus error names. */
#include "config.h"

#include "hull-error.h"

#include <gio/gio.h>

/* Indexed by HullError; the order is the enum's. */
static const GDBusErrorEntry hull_error_entries[] = {
  { HULL_ERROR_FAILED, "org.hullvm.Hull1.Error.Failed" },
  { HULL_ERROR_INVALID_ARGUMENT, "org.hullvm.Hull1.Error.InvalidArgument" },
  { HULL_ERROR_XML_SYNTAX, "org.hullvm.Hull1.Error.XmlSyntax" },
  { HULL_ERROR_XML_INVALID, "org.hullvm.Hull1.Error.XmlInvalid" },
  { HULL_ERROR_XML_SCHEMA, "org.hullvm.Hull1.Error.XmlSchema" },
  { HULL_ERROR_NOT_FOUND, "org.hullvm.Hull1.Error.NotFound" },
  { HULL_ERROR_ALREADY_EXISTS, "org.hullvm.Hull1.Error.AlreadyExists" },
  { HULL_ERROR_INVALID_STATE, "org.hullvm.Hull1.Error.InvalidState" },
  { HULL_ERROR_NOT_SUPPORTED, "org.hullvm.Hull1.Error.NotSupported" },
  { HULL_ERROR_NOT_AUTHORIZED, "org.hullvm.Hull1.Error.NotAuthorized" },
  { HULL_ERROR_BACKEND_FAILED, "org.hullvm.Hull1.Error.BackendFailed" },
  { HULL_ERROR_BACKEND_UNAVAILABLE, "org.hullvm.Hull1.Error.BackendUnavailable" },
  { HULL_ERROR_ABI_MISMATCH, "org.hullvm.Hull1.Error.AbiMismatch" },
  { HULL_ERROR_IO, "org.hullvm.Hull1.Error.Io" },
  { HULL_ERROR_QUOTA_EXCEEDED, "org.hullvm.Hull1.Error.QuotaExceeded" },
  { HULL_ERROR_LIMIT_EXCEEDED, "org.hullvm.Hull1.Error.LimitExceeded" },
  { HULL_ERROR_CORRUPT_DATA, "org.hullvm.Hull1.Error.CorruptData" },
  { HULL_ERROR_GUEST_FAILED, "org.hullvm.Hull1.Error.GuestFailed" },
  { HULL_ERROR_TIMED_OUT, "org.hullvm.Hull1.Error.TimedOut" },
  { HULL_ERROR_CANCELLED, "org.hullvm.Hull1.Error.Cancelled" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (hull_error_entries) == HULL_ERROR_N_CODES);

GQuark
hull_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("hull-error-quark", &quark, hull_error_entries,
                                      G_N_ELEMENTS (hull_error_entries));
  return (GQuark)quark;
}

const char *
hull_error_dbus_name (HullError code)
{
  if ((guint)code >= G_N_ELEMENTS (hull_error_entries))
    return NULL;
  g_assert (hull_error_entries[code].error_code == (gint)code);
  return hull_error_entries[code].dbus_error_name;
}
