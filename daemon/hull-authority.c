/* hull-authority.c — authorization and quotas (hull-authority.h,
 * docs/policy.md).
 *
 * An invocation being authorized is kept in an AuthData until the answer
 * is known; then it is either answered with the refusal, or handed back to
 * the skeleton's generated method_call with the decision attached as
 * qdata, so that the handler runs again from the top and this time goes
 * on. Whatever the handler checked before authorizing it checks again:
 * the domain table may have changed while polkit thought.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_POLKIT
#include <polkit/polkit.h>
#endif

#include "hull-authority.h"
#include "hull-caller.h"
#include "hull-error.h"
#include "hull-i18n.h"

#define POLKIT_NAME "org.freedesktop.PolicyKit1"

/* Callers of this uid can do anything. */
#define ROOT_UID 0

struct _HullAuthority
{
  GObject parent_instance;

  HullAuthorityMode mode;
  const HullConfig *config;
  guint32 daemon_uid;
#ifdef HAVE_POLKIT
  PolkitAuthority *polkit;
#endif
};

G_DEFINE_FINAL_TYPE (HullAuthority, hull_authority, G_TYPE_OBJECT)

static const char *const action_ids[HULL_ACTION_N] = {
  "org.hullvm.hull1.read",          "org.hullvm.hull1.create", "org.hullvm.hull1.manage-own",
  "org.hullvm.hull1.manage-others", "org.hullvm.hull1.host",
};

const char *
hull_action_to_id (HullAction action)
{
  g_return_val_if_fail (action < HULL_ACTION_N, NULL);
  return action_ids[action];
}

const char *
hull_authority_mode_to_string (HullAuthorityMode mode)
{
  switch (mode)
    {
      case HULL_AUTHORITY_SESSION:
        return "session";
      case HULL_AUTHORITY_BUILTIN:
        return "builtin";
      case HULL_AUTHORITY_POLKIT:
        return "polkit";
    }
  g_return_val_if_reached (NULL);
}

/* ---- names and groups ---------------------------------------------------- */

char *
hull_authority_user_name (guint32 uid)
{
  struct passwd pwd, *result = NULL;
  char buffer[4096];

  if (getpwuid_r ((uid_t)uid, &pwd, buffer, sizeof buffer, &result) == 0 && result != NULL)
    return g_strdup (result->pw_name);
  return g_strdup_printf (_ ("uid %u"), uid);
}

/* Every group @uid is in, its primary group included; none for a uid the
 * user database does not know. */
static GArray *
user_groups (guint32 uid)
{
  GArray *gids = g_array_new (FALSE, FALSE, sizeof (guint32));
  struct passwd pwd, *result = NULL;
  char buffer[4096];
  g_autofree gid_t *groups = NULL;
  int n = 32;

  if (getpwuid_r ((uid_t)uid, &pwd, buffer, sizeof buffer, &result) != 0 || result == NULL)
    return gids;
  for (;;)
    {
      int wanted = n;

      g_free (groups);
      groups = g_new (gid_t, n);
      if (getgrouplist (result->pw_name, result->pw_gid, groups, &wanted) >= 0)
        {
          n = wanted;
          break;
        }
      if (wanted <= n || wanted > 65536)
        {
          /* Cannot happen; the primary group at least. */
          groups[0] = result->pw_gid;
          n = 1;
          break;
        }
      n = wanted;
    }
  for (int i = 0; i < n; i++)
    {
      guint32 gid = groups[i];

      g_array_append_val (gids, gid);
    }
  return gids;
}

/* ---- the decision ----------------------------------------------------------- */

/* What a method does to a domain, for messages: "user 'alice' may not
 * <verb> domain 'web' owned by 'bob'". */
static const char *
verb_of (const char *method)
{
  static const struct
  {
    const char *method;
    const char *verb;
  } verbs[] = {
    /* Translators: the verbs complete "user 'alice' may not … domain 'web'
     * owned by 'bob'". */
    { "Start", N_ ("start") },
    { "Shutdown", N_ ("shut down") },
    { "Destroy", N_ ("destroy") },
    { "Reboot", N_ ("reboot") },
    { "Reset", N_ ("reset") },
    { "Pause", N_ ("pause") },
    { "Resume", N_ ("resume") },
    { "ClearHalt", N_ ("clear the halt of") },
    { "Undefine", N_ ("undefine") },
    { "SetAutostart", N_ ("change the autostart of") },
    { "GetXMLDesc", N_ ("read the definition of") },
    { "OpenConsole", N_ ("open the console of") },
    { "Inspect", N_ ("inspect") },
    { "GetStats", N_ ("read the statistics of") },
    { "DefineXML", N_ ("redefine") },
    { "CreateXML", N_ ("create") },
  };

  for (gsize i = 0; method != NULL && i < G_N_ELEMENTS (verbs); i++)
    if (g_str_equal (method, verbs[i].method))
      return _ (verbs[i].verb);
  /* Translators: a D-Bus method without a verb of its own. */
  return _ ("use");
}

/* read and manage-own on someone else's domain need manage-others. */
static HullAction
effective_action (HullAction action, const HullAuthorityTarget *target, guint32 caller_uid)
{
  if (target != NULL && target->owner != caller_uid
      && (action == HULL_ACTION_READ || action == HULL_ACTION_MANAGE_OWN))
    return HULL_ACTION_MANAGE_OTHERS;
  return action;
}

/* The refusal's message: what the caller wanted, on what. */
void
hull_authority_set_refusal (GError **error, guint32 caller_uid, HullAction action,
                            const HullAuthorityTarget *target, const char *method)
{
  g_autofree char *caller = hull_authority_user_name (caller_uid);

  if (action == HULL_ACTION_HOST)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED,
                   _ ("user '%s' may not change the host's settings (%s)"), caller, method);
      return;
    }
  if (target != NULL && target->owner != caller_uid)
    {
      g_autofree char *owner = hull_authority_user_name (target->owner);

      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED,
                   _ ("user '%s' may not %s domain '%s' owned by '%s'"), caller, verb_of (method),
                   target->name, owner);
      return;
    }
  if (target != NULL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED,
                   _ ("user '%s' may not %s domain '%s'"), caller, verb_of (method), target->name);
      return;
    }
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED,
               _ ("user '%s' is not authorized to call %s (%s)"), caller, method,
               hull_action_to_id (action));
}

gboolean
hull_authority_decide (HullAuthorityMode mode, guint32 daemon_uid, guint32 caller_uid,
                       const guint32 *caller_gids, gsize n_gids, guint32 admin_gid,
                       HullAction action, const HullAuthorityTarget *target, const char *method,
                       HullAuthorityCaller *caller, GError **error)
{
  gboolean admin = FALSE;

  g_return_val_if_fail (mode == HULL_AUTHORITY_SESSION || mode == HULL_AUTHORITY_BUILTIN, FALSE);
  g_return_val_if_fail (action < HULL_ACTION_N, FALSE);
  g_return_val_if_fail (method != NULL, FALSE);

  if (caller_uid == ROOT_UID)
    admin = TRUE;
  else if (mode == HULL_AUTHORITY_SESSION)
    {
      /* A session hulld serves the user who runs it (and root). */
      if (caller_uid != daemon_uid)
        {
          g_autofree char *name = hull_authority_user_name (caller_uid);
          g_autofree char *daemon_name = hull_authority_user_name (daemon_uid);

          g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_AUTHORIZED,
                       _ ("user '%s' may not call %s: this hulld serves user '%s' only"), name,
                       method, daemon_name);
          return FALSE;
        }
      admin = TRUE;
    }
  else
    {
      for (gsize i = 0; admin_gid != HULL_CONFIG_NO_GID && i < n_gids; i++)
        admin = admin || caller_gids[i] == admin_gid;
      action = effective_action (action, target, caller_uid);
      if (!admin && (action == HULL_ACTION_MANAGE_OTHERS || action == HULL_ACTION_HOST))
        {
          hull_authority_set_refusal (error, caller_uid, action, target, method);
          return FALSE;
        }
    }
  if (caller != NULL)
    {
      caller->uid = caller_uid;
      caller->admin = admin;
    }
  return TRUE;
}

/* ---- authorizing an invocation ---------------------------------------------- */

typedef struct
{
  HullAuthority *authority;
  GDBusInterfaceSkeleton *skeleton;
  GDBusMethodInvocation *invocation; /* answered or handed on exactly once */
  HullAction action;
  gboolean has_target;
  HullAuthorityTarget target; /* strings owned */
  gboolean want_admin;
  gboolean interactive;
  gboolean asking_admin; /* polkit: the want_admin question is out */
  HullAuthorityCaller caller;
} AuthData;

static void
auth_data_free (AuthData *data)
{
  g_object_unref (data->authority);
  g_object_unref (data->skeleton);
  g_free ((char *)data->target.name);
  g_free ((char *)data->target.uuid);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AuthData, auth_data_free)

static GQuark
caller_quark (void)
{
  return g_quark_from_static_string ("hull-authority-caller");
}

const HullAuthorityCaller *
hull_authority_get_caller (GDBusMethodInvocation *invocation)
{
  g_return_val_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation), NULL);
  return g_object_get_qdata (G_OBJECT (invocation), caller_quark ());
}

static const HullAuthorityTarget *
target_of (AuthData *data)
{
  return data->has_target ? &data->target : NULL;
}

static void
refuse (AuthData *data, GError *error)
{
  g_debug ("%s: %s", g_dbus_method_invocation_get_method_name (data->invocation), error->message);
  g_dbus_method_invocation_take_error (data->invocation, error);
}

/* Allowed: the handler runs again, from the top, and goes on this time. */
static void
grant (AuthData *data)
{
  GDBusMethodInvocation *invocation = data->invocation;
  GDBusInterfaceVTable *vtable;

  if (g_dbus_interface_skeleton_get_connection (data->skeleton) == NULL)
    {
      /* Unexported meanwhile: the domain is gone. */
      g_dbus_method_invocation_return_error (invocation, HULL_ERROR, HULL_ERROR_NOT_FOUND,
                                             _ ("the object %s was removed"),
                                             g_dbus_method_invocation_get_object_path (invocation));
      return;
    }
  g_object_set_qdata_full (G_OBJECT (invocation), caller_quark (),
                           g_memdup2 (&data->caller, sizeof data->caller), g_free);
  vtable = g_dbus_interface_skeleton_get_vtable (data->skeleton);
  vtable->method_call (g_dbus_method_invocation_get_connection (invocation),
                       g_dbus_method_invocation_get_sender (invocation),
                       g_dbus_method_invocation_get_object_path (invocation),
                       g_dbus_method_invocation_get_interface_name (invocation),
                       g_dbus_method_invocation_get_method_name (invocation),
                       g_dbus_method_invocation_get_parameters (invocation), invocation,
                       data->skeleton);
}

static void
decide_locally (AuthData *data)
{
  HullAuthority *self = data->authority;
  g_autoptr (GArray) gids = user_groups (data->caller.uid);
  GError *local_error = NULL;
  HullAuthorityMode mode
      = self->mode == HULL_AUTHORITY_POLKIT ? HULL_AUTHORITY_BUILTIN : self->mode;

  if (!hull_authority_decide (
          mode, self->daemon_uid, data->caller.uid, (guint32 *)gids->data, gids->len,
          hull_config_get_admin_gid (self->config), data->action, target_of (data),
          g_dbus_method_invocation_get_method_name (data->invocation), &data->caller, &local_error))
    {
      refuse (data, local_error);
      return;
    }
  grant (data);
}

#ifdef HAVE_POLKIT

static void polkit_check (AuthData *data, HullAction action, gboolean interactive);

static void
polkit_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (AuthData) data = user_data;
  g_autoptr (PolkitAuthorizationResult) answer = NULL;
  g_autoptr (GError) local_error = NULL;
  HullAction action = effective_action (data->action, target_of (data), data->caller.uid);
  const char *method = g_dbus_method_invocation_get_method_name (data->invocation);
  gboolean authorized;

  answer = polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), result,
                                                        &local_error);
  authorized = answer != NULL && polkit_authorization_result_get_is_authorized (answer);

  /* The second question: may this caller see every domain? */
  if (data->asking_admin)
    {
      data->caller.admin = authorized;
      grant (data);
      return;
    }

  if (!authorized)
    {
      GError *refusal = NULL;

      hull_authority_set_refusal (&refusal, data->caller.uid, action, target_of (data), method);
      if (local_error != NULL)
        g_prefix_error (&refusal, _ ("polkit failed (%s): "), local_error->message);
      else if (polkit_authorization_result_get_is_challenge (answer))
        g_prefix_error (&refusal, data->interactive
                                      ? _ ("authentication is required and no agent answered: ")
                                      : _ ("authentication is required, and the call did not allow "
                                           "user interaction: "));
      else if (polkit_authorization_result_get_dismissed (answer))
        g_prefix_error (&refusal, _ ("the authentication dialog was dismissed: "));
      refuse (data, refusal);
      return;
    }
  data->caller.admin = action == HULL_ACTION_MANAGE_OTHERS;
  if (data->want_admin && !data->caller.admin)
    {
      data->asking_admin = TRUE;
      polkit_check (g_steal_pointer (&data), HULL_ACTION_MANAGE_OTHERS, FALSE);
      return;
    }
  grant (data);
}

static const char *
polkit_message (HullAction action, gboolean has_target)
{
  switch (action)
    {
      case HULL_ACTION_READ:
        return has_target ? N_ ("Authentication is required to read virtual machine "
                                "$(domain.name)")
                          : N_ ("Authentication is required to list virtual machines");
      case HULL_ACTION_CREATE:
        return N_ ("Authentication is required to create a virtual machine");
      case HULL_ACTION_MANAGE_OWN:
        return N_ ("Authentication is required to manage virtual machine $(domain.name)");
      case HULL_ACTION_MANAGE_OTHERS:
        return has_target ? N_ ("Authentication is required to access virtual machine "
                                "$(domain.name), which belongs to another user")
                          : N_ ("Authentication is required to see the virtual machines of "
                                "other users");
      case HULL_ACTION_HOST:
        return N_ ("Authentication is required to change the virtualization host's settings");
    }
  g_return_val_if_reached (NULL);
}

/* Takes @data. */
static void
polkit_check (AuthData *data, HullAction action, gboolean interactive)
{
  const char *sender = g_dbus_method_invocation_get_sender (data->invocation);
  g_autoptr (PolkitSubject) subject = NULL;
  g_autoptr (PolkitDetails) details = polkit_details_new ();
  g_autofree char *owner = NULL;

  if (sender == NULL)
    {
      /* Peer to peer: there is no bus name for polkit to look at. */
      decide_locally (data);
      auth_data_free (data);
      return;
    }
  subject = polkit_system_bus_name_new (sender);
  polkit_details_insert (details, "verb",
                         g_dbus_method_invocation_get_method_name (data->invocation));
  if (data->has_target)
    {
      owner = g_strdup_printf ("%u", data->target.owner);
      polkit_details_insert (details, "domain.name", data->target.name);
      polkit_details_insert (details, "domain.uuid", data->target.uuid);
      polkit_details_insert (details, "domain.owner", owner);
    }
  polkit_details_insert (details, "polkit.message", polkit_message (action, data->has_target));
  polkit_details_insert (details, "polkit.gettext_domain", GETTEXT_PACKAGE);
  polkit_authority_check_authorization (
      data->authority->polkit, subject, hull_action_to_id (action), details,
      interactive ? POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION
                  : POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE,
      NULL, polkit_checked, data);
}

#endif /* HAVE_POLKIT */

static void
got_caller (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (AuthData) data = user_data;
  GError *local_error = NULL;

  if (!hull_caller_get_uid_finish (result, &data->caller.uid, &local_error))
    {
      refuse (data, local_error);
      return;
    }
#ifdef HAVE_POLKIT
  /* Root may do anything: no need to ask. */
  if (data->authority->mode == HULL_AUTHORITY_POLKIT && data->caller.uid != ROOT_UID)
    {
      HullAction action = effective_action (data->action, target_of (data), data->caller.uid);

      polkit_check (g_steal_pointer (&data), action, data->interactive);
      return;
    }
#endif
  decide_locally (data);
}

gboolean
hull_authority_authorize (HullAuthority *self, GDBusInterfaceSkeleton *skeleton,
                          GDBusMethodInvocation *invocation, GVariant *options, HullAction action,
                          const HullAuthorityTarget *target, gboolean want_admin)
{
  AuthData *data;

  g_return_val_if_fail (HULL_IS_AUTHORITY (self), FALSE);
  g_return_val_if_fail (G_IS_DBUS_INTERFACE_SKELETON (skeleton), FALSE);
  g_return_val_if_fail (G_IS_DBUS_METHOD_INVOCATION (invocation), FALSE);
  g_return_val_if_fail (action < HULL_ACTION_N, FALSE);

  if (hull_authority_get_caller (invocation) != NULL)
    return TRUE;

  data = g_new0 (AuthData, 1);
  data->authority = g_object_ref (self);
  data->skeleton = g_object_ref (skeleton);
  data->invocation = invocation;
  data->action = action;
  data->want_admin = want_admin;
  data->interactive
      = options == NULL || !hull_dbus_option_boolean (options, "auth.no_user_interaction", FALSE);
  if (target != NULL)
    {
      data->has_target = TRUE;
      data->target.name = g_strdup (target->name);
      data->target.uuid = g_strdup (target->uuid);
      data->target.owner = target->owner;
    }
  hull_caller_get_uid_async (invocation, NULL, got_caller, data);
  return FALSE;
}

gboolean
hull_authority_check_options (GVariant *options, const HullDBusOption *allowed, gsize n_allowed,
                              const char *method, GError **error)
{
  g_autofree HullDBusOption *all = g_new (HullDBusOption, n_allowed + 1);

  if (n_allowed > 0)
    memcpy (all, allowed, n_allowed * sizeof *allowed);
  all[n_allowed].name = "auth.no_user_interaction";
  all[n_allowed].type = "b";
  return hull_dbus_check_options (options, all, n_allowed + 1, method, error);
}

gboolean
hull_authority_check_invocation_options (GDBusMethodInvocation *invocation, GVariant *options,
                                         const HullDBusOption *allowed, gsize n_allowed,
                                         const char *method)
{
  GError *local_error = NULL;

  if (hull_authority_check_options (options, allowed, n_allowed, method, &local_error))
    return TRUE;
  g_dbus_method_invocation_take_error (invocation, local_error);
  return FALSE;
}

/* ---- quotas ------------------------------------------------------------------ */

gboolean
hull_authority_check_quota (HullAuthority *self, guint32 owner, const HullQuotaUsage *usage,
                            HullQuotaCheck checks, const char *domain_name, guint64 vcpus,
                            guint64 memory, GError **error)
{
  g_autoptr (GArray) gids = NULL;
  g_autofree char *name = NULL;
  HullQuota quota;

  g_return_val_if_fail (HULL_IS_AUTHORITY (self), FALSE);

  gids = user_groups (owner);
  hull_config_get_quota (self->config, owner, (guint32 *)gids->data, gids->len, &quota);
  if (quota.domains == HULL_QUOTA_UNLIMITED && quota.vcpus == HULL_QUOTA_UNLIMITED
      && quota.memory == HULL_QUOTA_UNLIMITED)
    return TRUE;
  name = hull_authority_user_name (owner);
  return hull_quota_check (&quota, usage, checks, name, domain_name, vcpus, memory, error);
}

/* ---- the object ---------------------------------------------------------------- */

static void
hull_authority_dispose (GObject *object)
{
#ifdef HAVE_POLKIT
  HullAuthority *self = HULL_AUTHORITY (object);

  g_clear_object (&self->polkit);
#endif
  G_OBJECT_CLASS (hull_authority_parent_class)->dispose (object);
}

static void
hull_authority_class_init (HullAuthorityClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hull_authority_dispose;
}

static void
hull_authority_init (HullAuthority *self)
{
  self->daemon_uid = (guint32)getuid ();
}

HullAuthority *
hull_authority_new_with_mode (HullAuthorityMode mode, const HullConfig *config)
{
  HullAuthority *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (mode != HULL_AUTHORITY_POLKIT, NULL);

  self = g_object_new (HULL_TYPE_AUTHORITY, NULL);
  self->mode = mode;
  self->config = config;
  return self;
}

HullAuthorityMode
hull_authority_get_mode (HullAuthority *self)
{
  g_return_val_if_fail (HULL_IS_AUTHORITY (self), HULL_AUTHORITY_SESSION);
  return self->mode;
}

#ifdef HAVE_POLKIT
/* Whether polkitd runs, or can be started, on the system bus. */
static gboolean
polkit_present (GError **error)
{
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, error);
  g_autoptr (GVariant) owned = NULL;
  g_autoptr (GVariant) activatable = NULL;
  g_autofree const char **names = NULL;
  gboolean has_owner;

  if (bus == NULL)
    return FALSE;
  owned = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", POLKIT_NAME), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (owned == NULL)
    return FALSE;
  g_variant_get (owned, "(b)", &has_owner);
  if (has_owner)
    return TRUE;
  activatable = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                             "org.freedesktop.DBus", "ListActivatableNames", NULL,
                                             G_VARIANT_TYPE ("(as)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                             NULL, error);
  if (activatable == NULL)
    return FALSE;
  g_variant_get (activatable, "(^a&s)", &names);
  if (g_strv_contains (names, POLKIT_NAME))
    return TRUE;
  g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
               _ ("%s is neither running nor activatable on the system bus"), POLKIT_NAME);
  return FALSE;
}
#endif

HullAuthority *
hull_authority_new (gboolean system, const HullConfig *config, GError **error)
{
  g_autoptr (HullAuthority) self = NULL;
  HullConfigAuthority wanted;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  if (!system)
    return hull_authority_new_with_mode (HULL_AUTHORITY_SESSION, config);
  wanted = hull_config_get_authority (config);
  if (wanted == HULL_CONFIG_AUTHORITY_BUILTIN)
    return hull_authority_new_with_mode (HULL_AUTHORITY_BUILTIN, config);

#ifdef HAVE_POLKIT
  self = g_object_new (HULL_TYPE_AUTHORITY, NULL);
  self->mode = HULL_AUTHORITY_POLKIT;
  self->config = config;
  if (polkit_present (&local_error))
    self->polkit = polkit_authority_get_sync (NULL, &local_error);
  if (self->polkit != NULL)
    return g_steal_pointer (&self);
#else
  local_error
      = g_error_new (HULL_ERROR, HULL_ERROR_NOT_SUPPORTED, _ ("hulld was built without polkit"));
#endif
  if (wanted == HULL_CONFIG_AUTHORITY_POLKIT)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("the configuration asks for polkit (authority=polkit), but it is not "
                      "available: %s"),
                   local_error->message);
      return NULL;
    }
  g_message (_ ("polkit is not available (%s): the built-in policy decides"), local_error->message);
  return hull_authority_new_with_mode (HULL_AUTHORITY_BUILTIN, config);
}
