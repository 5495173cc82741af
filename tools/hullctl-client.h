/* hullctl-client.h — hullctl's side of the daemon: which bus, the
 * connection, domain lookup by name or UUID, and the map from D-Bus errors
 * to exit statuses. */
#pragma once

#include <gio/gio.h>

#include "hull-dbus.h"
#include "hullctl.h"

G_BEGIN_DECLS

struct _HullctlContext
{
  /* G_BUS_TYPE_NONE until --system/--session says; then HULL_BUS, then the
   * session bus. */
  GBusType bus_type;
  GDBusConnection *connection;
  HullDBusManager *manager;
};

void hullctl_context_clear (HullctlContext *context);

/* "system" or "session", for messages. */
const char *hullctl_bus_name (const HullctlContext *context);

/**
 * hullctl_connect:
 * @context: the run
 * @signals: whether the manager proxy should deliver DomainEvent
 *
 * Connects to the chosen bus and makes the manager proxy, once. Does not
 * yet know whether hulld is there: the first call says (see
 * hullctl_report_error()).
 *
 * Returns: an exit status; HULLCTL_EXIT_OK on success, otherwise the error
 *   is printed.
 */
int hullctl_connect (HullctlContext *context, gboolean signals);

/**
 * hullctl_ping:
 * @context: a connected run
 *
 * Reads the manager's Version, starting hulld if the bus can.
 *
 * Returns: an exit status; the error is printed.
 */
int hullctl_ping (HullctlContext *context);

/**
 * hullctl_report_error:
 * @context: the run
 * @error: what a call to hulld failed with
 *
 * Prints "hullctl: <message>" (the remote error name stripped) and maps the
 * error: no bus or no hulld HULLCTL_EXIT_UNREACHABLE, a domain object that
 * went away HULLCTL_EXIT_NOT_FOUND, anything else (NotFound of a serial
 * port or an inspect path included) HULLCTL_EXIT_FAILED. A failed lookup
 * (hullctl_lookup_domain()) maps NotFound to HULLCTL_EXIT_NOT_FOUND.
 *
 * Returns: the exit status.
 */
int hullctl_report_error (HullctlContext *context, GError *error);

/**
 * hullctl_domain_proxy:
 * @context: a connected run
 * @path: a domain's object path
 * @error: where to put the error
 *
 * Returns: (transfer full): a proxy with the properties loaded.
 */
HullDBusDomain *hullctl_domain_proxy (HullctlContext *context, const char *path, GError **error);

/**
 * hullctl_list_domains:
 * @context: a connected run
 * @options: (transfer floating): ListDomains' options
 * @error: where to put the error
 *
 * Manager.ListDomains, then one ObjectManager.GetManagedObjects for every
 * domain's properties, rather than a proxy (a GetAll and a match rule) per
 * domain. The domains are ListDomains' (its set and its order, by name);
 * one undefined in between is left out.
 *
 * Returns: (transfer full) (nullable): a(oa{sv}), each domain's object path
 *   and its org.hullvm.Hull1.Domain properties (Name among them).
 */
GVariant *hullctl_list_domains (HullctlContext *context, GVariant *options, GError **error);

/**
 * hullctl_lookup_domain:
 * @context: the run (connected on demand)
 * @name: a domain's name, or its UUID
 * @status: (out): the exit status when %NULL is returned (already printed)
 *
 * LookupByName, then LookupByUUID when @name is a UUID that no domain is
 * named.
 *
 * Returns: (transfer full) (nullable): the domain's proxy.
 */
HullDBusDomain *hullctl_lookup_domain (HullctlContext *context, const char *name, int *status);

/* The domain's Name, or @fallback when the property is not known. */
const char *hullctl_domain_name (HullDBusDomain *domain, const char *fallback);

/* Prints @variant (a floating one is taken) as JSON on stdout, indented
 * when @pretty (json_gvariant_serialize()). */
void hullctl_print_json (GVariant *variant, gboolean pretty);

G_END_DECLS
