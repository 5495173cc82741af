/* hull-authority.h — who may call which method on which domain
 * (docs/policy.md).
 *
 * Every Manager and Domain handler starts with hull_authority_authorize():
 * it finds the caller's uid from the bus (hull-caller.h; never from the
 * arguments), decides, and then either answers NotAuthorized (saying what
 * was refused) or calls the handler again, through the skeleton's vtable,
 * with the decision attached to the invocation
 * (hull_authority_get_caller()). So a handler reads:
 *
 *   check its options; if (!hull_authority_authorize (…)) return TRUE; work.
 *
 * Three ways to decide:
 * - session mode: only hulld's own uid and root may call (no polkit);
 * - system mode with polkit: the org.hullvm.hull1.* actions, with the
 *   domain's name, UUID and owner and the verb as details, interactive
 *   unless the options say "auth.no_user_interaction": true;
 * - system mode without polkit (or authority=builtin): root and members of
 *   [policy] admin-group may do everything, others read, create and manage
 *   their own domains.
 * The "-others" action replaces read and manage-own when the caller is not
 * the domain's owner. Root is always allowed. Main-loop only.
 */
#pragma once

#include <gio/gio.h>

#include "hull-config.h"
#include "hull-dbus.h"

G_BEGIN_DECLS

/**
 * HullAction:
 * @HULL_ACTION_READ: list, look up, capabilities, backends; a domain's XML,
 *   statistics and inspect tree (org.hullvm.hull1.read)
 * @HULL_ACTION_CREATE: define or create a new domain (org.hullvm.hull1.create)
 * @HULL_ACTION_MANAGE_OWN: lifecycle, console, undefine, autostart,
 *   redefinition of one's own domain (org.hullvm.hull1.manage-own)
 * @HULL_ACTION_MANAGE_OTHERS: anything on a domain someone else owns,
 *   reading it included (org.hullvm.hull1.manage-others)
 * @HULL_ACTION_HOST: host settings (org.hullvm.hull1.host)
 */
typedef enum
{
  HULL_ACTION_READ,
  HULL_ACTION_CREATE,
  HULL_ACTION_MANAGE_OWN,
  HULL_ACTION_MANAGE_OTHERS,
  HULL_ACTION_HOST,
} HullAction;

#define HULL_ACTION_N (HULL_ACTION_HOST + 1)

/* The polkit action id: "org.hullvm.hull1.read", … */
const char *hull_action_to_id (HullAction action);

/**
 * HullAuthorityMode:
 * @HULL_AUTHORITY_SESSION: hulld's uid and root only
 * @HULL_AUTHORITY_BUILTIN: the built-in policy
 * @HULL_AUTHORITY_POLKIT: polkit decides
 */
typedef enum
{
  HULL_AUTHORITY_SESSION,
  HULL_AUTHORITY_BUILTIN,
  HULL_AUTHORITY_POLKIT,
} HullAuthorityMode;

const char *hull_authority_mode_to_string (HullAuthorityMode mode);

/**
 * HullAuthorityTarget:
 * @name: the domain's name
 * @uuid: its UUID
 * @owner: its owner's uid
 *
 * The domain a call is about.
 */
typedef struct
{
  const char *name;
  const char *uuid;
  guint32 owner;
} HullAuthorityTarget;

/**
 * HullAuthorityCaller:
 * @uid: the caller's uid, from the bus
 * @admin: the caller may act on every domain (root, the admin group, a
 *   granted manage-others): ListDomains shows them all, lookups find them
 *
 * What an authorized invocation carries.
 */
typedef struct
{
  guint32 uid;
  gboolean admin;
} HullAuthorityCaller;

/**
 * hull_authority_decide:
 * @mode: %HULL_AUTHORITY_SESSION or %HULL_AUTHORITY_BUILTIN
 * @daemon_uid: the uid hulld runs as (session mode)
 * @caller_uid: the caller
 * @caller_gids: (array length=n_gids): every group the caller is in
 * @n_gids: how many
 * @admin_gid: [policy] admin-group, or %HULL_CONFIG_NO_GID
 * @action: what the call needs (read or manage-own become manage-others
 *   when @target is someone else's)
 * @target: (nullable): the domain the call is about
 * @method: the D-Bus method, for the message ("Start")
 * @caller: (out) (optional): the caller's uid and admin flag when allowed
 * @error: %HULL_ERROR_NOT_AUTHORIZED saying what was refused: "user 'alice'
 *   may not start domain 'web' owned by 'bob'"
 *
 * The decision of the session rule and of the built-in policy, as a pure
 * function (no bus; names only for the message).
 *
 * Returns: whether the call is allowed.
 */
gboolean hull_authority_decide (HullAuthorityMode mode, guint32 daemon_uid, guint32 caller_uid,
                                const guint32 *caller_gids, gsize n_gids, guint32 admin_gid,
                                HullAction action, const HullAuthorityTarget *target,
                                const char *method, HullAuthorityCaller *caller, GError **error);

#define HULL_TYPE_AUTHORITY (hull_authority_get_type ())
G_DECLARE_FINAL_TYPE (HullAuthority, hull_authority, HULL, AUTHORITY, GObject)

/**
 * hull_authority_new:
 * @system: system mode (else the session rule applies)
 * @config: [policy] and [quota]; borrowed, must outlive the authority
 * @error: %HULL_ERROR_NOT_SUPPORTED when authority=polkit and polkit is
 *   not built in or not running
 *
 * In system mode with authority=auto, polkit decides when polkitd owns
 * (or can be activated as) org.freedesktop.PolicyKit1 on the system bus,
 * the built-in policy otherwise. Blocks for that check: call before the
 * main loop runs.
 *
 * Returns: (transfer full) (nullable): the authority
 */
HullAuthority *hull_authority_new (gboolean system, const HullConfig *config, GError **error);

/* For tests: an authority with @mode, whatever the bus has. */
HullAuthority *hull_authority_new_with_mode (HullAuthorityMode mode, const HullConfig *config);

HullAuthorityMode hull_authority_get_mode (HullAuthority *authority);

/**
 * hull_authority_check_options:
 * @options: a method's a{sv}
 * @allowed: (array length=n_allowed): the method's own options
 *
 * hull_dbus_check_options() with "auth.no_user_interaction" (b), which
 * every method accepts, added to @allowed.
 */
gboolean hull_authority_check_options (GVariant *options, const HullDBusOption *allowed,
                                       gsize n_allowed, const char *method, GError **error);

/* hull_authority_check_options() for a method handler: a refusal is
 * returned to @invocation (InvalidArgument), and the handler stops. */
gboolean hull_authority_check_invocation_options (GDBusMethodInvocation *invocation,
                                                  GVariant *options, const HullDBusOption *allowed,
                                                  gsize n_allowed, const char *method);

/**
 * hull_authority_authorize:
 * @authority: the authority
 * @skeleton: the interface @invocation was dispatched on
 * @invocation: the call (its handler's)
 * @options: the call's options (checked already)
 * @action: what the call needs
 * @target: (nullable): the domain it is about; copied
 * @want_admin: find out whether the caller may see every domain (for
 *   ListDomains and the lookups; polkit: a manage-others check without
 *   user interaction)
 *
 * Returns: %TRUE when @invocation was authorized already: the handler goes
 *   on (hull_authority_get_caller() says who calls). %FALSE when the
 *   handler must return now: @invocation is being authorized, and is then
 *   either answered with the refusal or handled again.
 */
gboolean hull_authority_authorize (HullAuthority *authority, GDBusInterfaceSkeleton *skeleton,
                                   GDBusMethodInvocation *invocation, GVariant *options,
                                   HullAction action, const HullAuthorityTarget *target,
                                   gboolean want_admin);

/* The decision attached to an authorized invocation, or NULL. */
const HullAuthorityCaller *hull_authority_get_caller (GDBusMethodInvocation *invocation);

/**
 * hull_authority_check_quota:
 * @authority: the authority
 * @owner: the user the domain counts for
 * @usage: what @owner has now, the domain itself left out
 * @checks: what is about to be added
 * @domain_name: the domain
 * @vcpus: its vCPUs
 * @memory: its memory in bytes
 * @error: %HULL_ERROR_QUOTA_EXCEEDED (hull_quota_check())
 *
 * Resolves @owner's quota from the configuration (the user's name and
 * groups from the user database) and checks it.
 */
gboolean hull_authority_check_quota (HullAuthority *authority, guint32 owner,
                                     const HullQuotaUsage *usage, HullQuotaCheck checks,
                                     const char *domain_name, guint64 vcpus, guint64 memory,
                                     GError **error);

/**
 * hull_authority_set_refusal:
 * @error: where the error goes
 * @caller_uid: who was refused
 * @action: the action that was refused (after the -others upgrade)
 * @target: (nullable): the domain
 * @method: the D-Bus method
 *
 * Sets %HULL_ERROR_NOT_AUTHORIZED saying what was refused: "user 'alice'
 * may not start domain 'web' owned by 'bob'".
 */
void hull_authority_set_refusal (GError **error, guint32 caller_uid, HullAction action,
                                 const HullAuthorityTarget *target, const char *method);

/* A user's name for messages: the login name, or "uid N". */
char *hull_authority_user_name (guint32 uid);

G_END_DECLS
