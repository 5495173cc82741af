/* hull-config.h — hulld.conf: who is an administrator, which authority
 * decides, and the quotas (docs/policy.md).
 *
 * A GKeyFile with three kinds of group:
 *
 *   [policy]             admin-group=NAME, authority=auto|polkit|builtin
 *   [quota]              domains=N, vcpus=N, memory=SIZE (everyone's default)
 *   [quota user NAME]    the same keys, for one user
 *   [quota group NAME]   the same keys, for the members of a group
 *
 * Anything else (an unknown group or key, a bad value, a name that is not
 * a user or group, a key set twice, a group given twice, a line that is
 * not GKeyFile syntax) is an error that names the file and the line: hulld
 * refuses to run with a policy it did not understand. Parsing is a pure
 * function of the bytes (and of the user and group database), so it can be
 * fuzzed (tests/fuzz/fuzz-config.c).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A quota value meaning "no limit". */
#define HULL_QUOTA_UNLIMITED G_MAXUINT64

/* No gid (admin-group is unset, or the default group does not exist). */
#define HULL_CONFIG_NO_GID G_MAXUINT32

/**
 * HullConfigAuthority:
 * @HULL_CONFIG_AUTHORITY_AUTO: polkit when polkitd is on the system bus,
 *   else the built-in policy
 * @HULL_CONFIG_AUTHORITY_POLKIT: polkit only (hulld fails to start without it)
 * @HULL_CONFIG_AUTHORITY_BUILTIN: the built-in policy only
 *
 * [policy] authority=; only used in system mode.
 */
typedef enum
{
  HULL_CONFIG_AUTHORITY_AUTO,
  HULL_CONFIG_AUTHORITY_POLKIT,
  HULL_CONFIG_AUTHORITY_BUILTIN,
} HullConfigAuthority;

/**
 * HullQuota:
 * @domains: how many domains (defined and transient) a user may have
 * @vcpus: how many vCPUs a user's running domains may have in total
 * @memory: how many bytes of memory a user's running domains may have in
 *   total
 *
 * Limits, each %HULL_QUOTA_UNLIMITED when there is none.
 */
typedef struct
{
  guint64 domains;
  guint64 vcpus;
  guint64 memory;
} HullQuota;

/**
 * HullQuotaUsage:
 * @domains: the user's domains now (defined and transient)
 * @vcpus: the vCPUs of the user's running domains now
 * @memory: the memory of the user's running domains now, in bytes
 */
typedef struct
{
  guint64 domains;
  guint64 vcpus;
  guint64 memory;
} HullQuotaUsage;

typedef struct _HullConfig HullConfig;

/**
 * hull_config_new_default:
 *
 * Returns: (transfer full): the configuration of a missing file:
 *   admin-group "hull" when that group exists, authority auto, no quotas.
 */
HullConfig *hull_config_new_default (void);

/**
 * hull_config_parse:
 * @data: the file's bytes (need not be nul-terminated)
 * @length: how many
 * @file_name: the name to put in messages
 * @error: %HULL_ERROR_INVALID_ARGUMENT: "FILE:LINE: what is wrong"
 *
 * Returns: (transfer full) (nullable): the configuration
 */
HullConfig *hull_config_parse (const char *data, gsize length, const char *file_name,
                               GError **error);

/**
 * hull_config_load:
 * @path: a hulld.conf
 * @must_exist: whether a missing file is an error (--config) or means the
 *   defaults
 * @error: %HULL_ERROR_IO when it cannot be read, or hull_config_parse()'s
 *
 * Returns: (transfer full) (nullable): the configuration
 */
HullConfig *hull_config_load (const char *path, gboolean must_exist, GError **error);

void hull_config_free (HullConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullConfig, hull_config_free)

/* [policy] admin-group's gid, or %HULL_CONFIG_NO_GID. */
guint32 hull_config_get_admin_gid (const HullConfig *config);
HullConfigAuthority hull_config_get_authority (const HullConfig *config);

/**
 * hull_config_get_quota:
 * @config: a configuration
 * @uid: the user
 * @gids: (array length=n_gids): every group @uid is in (primary included)
 * @n_gids: how many
 * @quota: (out): @uid's limits
 *
 * Resolves a user's quota: root (uid 0) is unlimited unless a
 * [quota user root] group exists. A [quota user NAME] group for @uid wins;
 * else the most generous of the [quota group NAME] groups @uid is in, key
 * by key; else [quota]. A key a user or group section leaves out is
 * [quota]'s.
 */
void hull_config_get_quota (const HullConfig *config, guint32 uid, const guint32 *gids,
                            gsize n_gids, HullQuota *quota);

/**
 * HullQuotaCheck:
 * @HULL_QUOTA_CHECK_DOMAINS: one more domain (DefineXML of a new domain,
 *   CreateXML)
 * @HULL_QUOTA_CHECK_RUNNING: one more running domain (Start, CreateXML)
 */
typedef enum
{
  HULL_QUOTA_CHECK_DOMAINS = 1 << 0,
  HULL_QUOTA_CHECK_RUNNING = 1 << 1,
} HullQuotaCheck;

/**
 * hull_quota_check:
 * @quota: the user's limits
 * @usage: what the user has now (without @domain_name)
 * @checks: what is about to be added
 * @user_name: for the message
 * @domain_name: the domain about to be defined or started
 * @vcpus: its vCPUs (%HULL_QUOTA_CHECK_RUNNING)
 * @memory: its memory in bytes (%HULL_QUOTA_CHECK_RUNNING)
 * @error: %HULL_ERROR_QUOTA_EXCEEDED with the numbers: "user 'alice' may
 *   run 4 vCPUs; 3 are running and domain 'web' needs 2"
 *
 * Returns: %TRUE when the quota allows it.
 */
gboolean hull_quota_check (const HullQuota *quota, const HullQuotaUsage *usage,
                           HullQuotaCheck checks, const char *user_name, const char *domain_name,
                           guint64 vcpus, guint64 memory, GError **error);

G_END_DECLS
