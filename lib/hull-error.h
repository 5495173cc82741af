/* hull-error.h — the HULL_ERROR domain: one code per kind of failure.
 *
 * Every code maps one-to-one to a D-Bus error name
 * org.hullvm.Hull1.Error.<Name> (see hull_error_dbus_name()).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * HullError:
 * @HULL_ERROR_FAILED: a failure with no more specific code (Failed)
 * @HULL_ERROR_INVALID_ARGUMENT: a caller passed a bad value (InvalidArgument)
 * @HULL_ERROR_XML_SYNTAX: a document is not well-formed XML (XmlSyntax)
 * @HULL_ERROR_XML_INVALID: a well-formed definition says something wrong or
 *   inconsistent (XmlInvalid)
 * @HULL_ERROR_XML_SCHEMA: a document does not match the RelaxNG schema (XmlSchema)
 * @HULL_ERROR_NOT_FOUND: no such domain, backend, device or file (NotFound)
 * @HULL_ERROR_ALREADY_EXISTS: the name or UUID is taken (AlreadyExists)
 * @HULL_ERROR_INVALID_STATE: the object is in the wrong state for the request
 *   (InvalidState)
 * @HULL_ERROR_NOT_SUPPORTED: Hull, or the chosen backend, does not support the
 *   element, attribute, value or operation (NotSupported)
 * @HULL_ERROR_NOT_AUTHORIZED: the caller may not do this (NotAuthorized)
 * @HULL_ERROR_BACKEND_FAILED: the hypervisor backend failed (BackendFailed)
 * @HULL_ERROR_BACKEND_UNAVAILABLE: the backend cannot run on this host
 *   (BackendUnavailable)
 * @HULL_ERROR_ABI_MISMATCH: a plugin was built for another ABI (AbiMismatch)
 * @HULL_ERROR_IO: reading or writing a file or socket failed (Io)
 * @HULL_ERROR_QUOTA_EXCEEDED: a per-user or per-group quota would be
 *   exceeded (QuotaExceeded)
 * @HULL_ERROR_LIMIT_EXCEEDED: a fixed limit (size, count) would be exceeded
 *   (LimitExceeded)
 * @HULL_ERROR_CORRUPT_DATA: a stored file (snapshot, status record) is
 *   damaged (CorruptData)
 * @HULL_ERROR_GUEST_FAILED: the guest did something fatal (GuestFailed)
 * @HULL_ERROR_TIMED_OUT: an operation did not finish in time (TimedOut)
 * @HULL_ERROR_CANCELLED: the operation was cancelled (Cancelled)
 *
 * Error codes of the %HULL_ERROR domain. Values are stable: they are part of
 * the D-Bus API and of saved files.
 */
typedef enum
{
  HULL_ERROR_FAILED,
  HULL_ERROR_INVALID_ARGUMENT,
  HULL_ERROR_XML_SYNTAX,
  HULL_ERROR_XML_INVALID,
  HULL_ERROR_XML_SCHEMA,
  HULL_ERROR_NOT_FOUND,
  HULL_ERROR_ALREADY_EXISTS,
  HULL_ERROR_INVALID_STATE,
  HULL_ERROR_NOT_SUPPORTED,
  HULL_ERROR_NOT_AUTHORIZED,
  HULL_ERROR_BACKEND_FAILED,
  HULL_ERROR_BACKEND_UNAVAILABLE,
  HULL_ERROR_ABI_MISMATCH,
  HULL_ERROR_IO,
  HULL_ERROR_QUOTA_EXCEEDED,
  HULL_ERROR_LIMIT_EXCEEDED,
  HULL_ERROR_CORRUPT_DATA,
  HULL_ERROR_GUEST_FAILED,
  HULL_ERROR_TIMED_OUT,
  HULL_ERROR_CANCELLED,
} HullError;

/* One past the last code; not a code itself. */
#define HULL_ERROR_N_CODES (HULL_ERROR_CANCELLED + 1)

/**
 * HULL_ERROR:
 *
 * The error domain of libhull. The first use registers every code with
 * GDBus, so a #GError crossing D-Bus keeps its domain and code.
 */
#define HULL_ERROR (hull_error_quark ())

GQuark hull_error_quark (void);

/**
 * hull_error_dbus_name:
 * @code: a #HullError
 *
 * Returns: (transfer none): the D-Bus error name for @code, such as
 *   "org.hullvm.Hull1.Error.NotFound"; %NULL for a value that is not a code.
 */
const char *hull_error_dbus_name (HullError code);

G_END_DECLS
