/* hull-config.c — hulld.conf (hull-config.h, docs/policy.md).
 *
 * GKeyFile reports most of its errors without a line number, and accepts
 * things hulld must refuse (a key set twice, a group given twice). So a
 * first pass walks the lines as GKeyFile would (the same rules for
 * comments, groups and key=value pairs) and remembers where each group and
 * key is; GKeyFile then reads the values (unescaping them), and each value
 * is checked with the line the first pass found for it.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "hull-config.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-units.h"

/* The default [policy] admin-group. */
#define DEFAULT_ADMIN_GROUP "hull"

enum
{
  KEY_DOMAINS,
  KEY_VCPUS,
  KEY_MEMORY,
  N_QUOTA_KEYS,
};

static const char *const quota_keys[N_QUOTA_KEYS] = { "domains", "vcpus", "memory" };

/* One [quota …] group: the keys it sets. */
typedef struct
{
  guint64 values[N_QUOTA_KEYS];
  guint set; /* 1 << KEY_… */
} QuotaSection;

struct _HullConfig
{
  guint32 admin_gid;
  HullConfigAuthority authority;
  QuotaSection defaults;
  GHashTable *users;  /* uid → QuotaSection */
  GHashTable *groups; /* gid → QuotaSection */
};

/* Where the first pass found something. */
typedef struct
{
  char *group;
  char *key; /* NULL for the group's header */
  guint line;
  QuotaSection *section; /* where the group's keys go; NULL for [policy] */
} Place;

static void
place_free (Place *place)
{
  g_free (place->group);
  g_free (place->key);
  g_free (place);
}

/* ---- names ------------------------------------------------------------- */

static gboolean
lookup_user (const char *name, guint32 *uid)
{
  struct passwd pwd, *result = NULL;
  char buffer[4096];

  if (getpwnam_r (name, &pwd, buffer, sizeof buffer, &result) != 0 || result == NULL)
    return FALSE;
  *uid = (guint32)result->pw_uid;
  return TRUE;
}

static gboolean
lookup_group (const char *name, guint32 *gid)
{
  struct group grp, *result = NULL;
  g_autofree char *buffer = NULL;
  gsize size = 4096;
  int status;

  /* Groups with many members need more than a page. */
  for (;;)
    {
      g_free (buffer);
      buffer = g_malloc (size);
      status = getgrnam_r (name, &grp, buffer, size, &result);
      if (status != ERANGE || size >= 1024 * 1024)
        break;
      size *= 4;
    }
  if (status != 0 || result == NULL)
    return FALSE;
  *gid = (guint32)result->gr_gid;
  return TRUE;
}

/* ---- the object ------------------------------------------------------------ */

static HullConfig *
config_new (void)
{
  HullConfig *config = g_new0 (HullConfig, 1);

  config->admin_gid = HULL_CONFIG_NO_GID;
  config->authority = HULL_CONFIG_AUTHORITY_AUTO;
  config->users = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  config->groups = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  return config;
}

HullConfig *
hull_config_new_default (void)
{
  HullConfig *config = config_new ();

  if (!lookup_group (DEFAULT_ADMIN_GROUP, &config->admin_gid))
    config->admin_gid = HULL_CONFIG_NO_GID;
  return config;
}

void
hull_config_free (HullConfig *config)
{
  if (config == NULL)
    return;
  g_hash_table_unref (config->users);
  g_hash_table_unref (config->groups);
  g_free (config);
}

guint32
hull_config_get_admin_gid (const HullConfig *config)
{
  g_return_val_if_fail (config != NULL, HULL_CONFIG_NO_GID);
  return config->admin_gid;
}

HullConfigAuthority
hull_config_get_authority (const HullConfig *config)
{
  g_return_val_if_fail (config != NULL, HULL_CONFIG_AUTHORITY_AUTO);
  return config->authority;
}

/* ---- the first pass: GKeyFile's line syntax, with line numbers ----------------- */

static gboolean G_GNUC_PRINTF (4, 5)
    fail_at (GError **error, const char *file_name, guint line, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT, "%s:%u: %s", file_name, line,
               message);
  return FALSE;
}

/* What a group header names: "policy", "quota", "quota user NAME" or
 * "quota group NAME"; the section the keys that follow go into, NULL for
 * [policy]. */
static gboolean
open_group (HullConfig *config, const char *group, const char *file_name, guint line,
            QuotaSection **section, GError **error)
{
  g_auto (GStrv) words = NULL;
  guint32 id;

  *section = NULL;
  if (g_str_equal (group, "policy"))
    return TRUE;
  if (g_str_equal (group, "quota"))
    {
      *section = &config->defaults;
      return TRUE;
    }
  words = g_strsplit (group, " ", -1);
  if (g_strv_length (words) != 3 || !g_str_equal (words[0], "quota")
      || (!g_str_equal (words[1], "user") && !g_str_equal (words[1], "group")) || *words[2] == '\0')
    return fail_at (error, file_name, line,
                    _ ("unknown group [%s]: expected [policy], [quota], [quota user NAME] or "
                       "[quota group NAME]"),
                    group);
  if (g_str_equal (words[1], "user"))
    {
      if (!lookup_user (words[2], &id))
        return fail_at (error, file_name, line, _ ("[%s]: there is no user named '%s'"), group,
                        words[2]);
      if (g_hash_table_contains (config->users, GUINT_TO_POINTER (id)))
        return fail_at (error, file_name, line,
                        _ ("[%s]: user '%s' (uid %u) already has a quota group"), group, words[2],
                        id);
      *section = g_new0 (QuotaSection, 1);
      g_hash_table_insert (config->users, GUINT_TO_POINTER (id), *section);
      return TRUE;
    }
  if (!lookup_group (words[2], &id))
    return fail_at (error, file_name, line, _ ("[%s]: there is no group named '%s'"), group,
                    words[2]);
  if (g_hash_table_contains (config->groups, GUINT_TO_POINTER (id)))
    return fail_at (error, file_name, line,
                    _ ("[%s]: group '%s' (gid %u) already has a quota group"), group, words[2], id);
  *section = g_new0 (QuotaSection, 1);
  g_hash_table_insert (config->groups, GUINT_TO_POINTER (id), *section);
  return TRUE;
}

/* A group header as GKeyFile takes it: "[NAME]", then only blanks; NAME
 * not empty, without brackets or control characters. */
static char *
parse_group_line (const char *line)
{
  const char *end = strchr (line, ']');
  const char *p;

  if (end == NULL)
    return NULL;
  for (p = end + 1; *p == ' ' || *p == '\t'; p++)
    ;
  if (*p != '\0' || end == line + 1)
    return NULL;
  for (p = line + 1; p < end; p++)
    if (*p == '[' || g_ascii_iscntrl (*p))
      return NULL;
  return g_strndup (line + 1, end - line - 1);
}

/* Walks the lines; fills @places (each group header and key, in order)
 * and creates the quota sections. */
static gboolean
first_pass (HullConfig *config, const char *data, gsize length, const char *file_name,
            GPtrArray *places, GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *group = NULL;
  QuotaSection *section = NULL;
  const char *p = data;
  const char *end = data + length;
  guint line = 0;

  while (p < end)
    {
      const char *newline = memchr (p, '\n', end - p);
      gsize line_length = (newline != NULL ? newline : end) - p;
      g_autofree char *text = NULL;
      char *start;
      char *equals;

      line++;
      if (memchr (p, '\0', line_length) != NULL)
        return fail_at (error, file_name, line, _ ("the line contains a NUL byte"));
      if (!g_utf8_validate (p, line_length, NULL))
        return fail_at (error, file_name, line, _ ("the line is not valid UTF-8"));
      text = g_strndup (p, line_length);
      p = newline != NULL ? newline + 1 : end;
      if (line_length > 0 && text[line_length - 1] == '\r')
        text[line_length - 1] = '\0';
      for (start = text; g_ascii_isspace (*start); start++)
        ;
      if (*start == '\0' || *start == '#')
        continue;

      if (*start == '[')
        {
          g_autofree char *name = parse_group_line (start);
          Place *place;

          if (name == NULL)
            return fail_at (error, file_name, line, _ ("'%s' is not a valid group header"), start);
          if (g_hash_table_contains (seen, name))
            return fail_at (error, file_name, line, _ ("group [%s] is given twice"), name);
          if (!open_group (config, name, file_name, line, &section, error))
            return FALSE;
          g_hash_table_add (seen, g_strdup (name));
          g_free (group);
          group = g_steal_pointer (&name);
          place = g_new0 (Place, 1);
          place->group = g_strdup (group);
          place->line = line;
          place->section = section;
          g_ptr_array_add (places, place);
          continue;
        }

      equals = strchr (start, '=');
      if (equals == NULL || equals == start)
        return fail_at (error, file_name, line,
                        _ ("'%s' is not a group header, a key=value pair or a comment"), start);
      {
        g_autofree char *key = g_strndup (start, equals - start);
        g_autofree char *seen_key = NULL;
        gboolean known = FALSE;
        Place *place;

        g_strchomp (key);
        if (group == NULL)
          return fail_at (error, file_name, line,
                          _ ("key '%s' comes before any group (such as [quota])"), key);
        if (g_str_equal (group, "policy"))
          known = g_str_equal (key, "admin-group") || g_str_equal (key, "authority");
        else
          for (guint i = 0; i < N_QUOTA_KEYS; i++)
            known = known || g_str_equal (key, quota_keys[i]);
        if (!known)
          return fail_at (error, file_name, line,
                          g_str_equal (group, "policy")
                              ? _ ("unknown key '%s' in [%s]: expected admin-group or authority")
                              : _ ("unknown key '%s' in [%s]: expected domains, vcpus or memory"),
                          key, group);
        seen_key = g_strconcat (group, "\n", key, NULL);
        if (g_hash_table_contains (seen, seen_key))
          return fail_at (error, file_name, line, _ ("key '%s' is set twice in [%s]"), key, group);
        g_hash_table_add (seen, g_steal_pointer (&seen_key));
        place = g_new0 (Place, 1);
        place->group = g_strdup (group);
        place->key = g_steal_pointer (&key);
        place->line = line;
        place->section = section;
        g_ptr_array_add (places, place);
      }
    }
  return TRUE;
}

/* ---- values ------------------------------------------------------------------ */

/* "unlimited", or a number (memory: with a unit, "8GiB", "512 MiB"). */
static gboolean
parse_quota_value (const char *text, guint key, guint64 *value, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *number = NULL;
  const char *unit;
  guint64 count;

  if (g_str_equal (text, "unlimited"))
    {
      *value = HULL_QUOTA_UNLIMITED;
      return TRUE;
    }
  if (key != KEY_MEMORY)
    {
      if (!hull_units_parse_number (text, G_MAXUINT32, value, &local_error))
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                       _ ("%s must be a number or 'unlimited': %s"), quota_keys[key],
                       local_error->message);
          return FALSE;
        }
      return TRUE;
    }
  for (unit = text; g_ascii_isdigit (*unit); unit++)
    ;
  number = g_strndup (text, unit - text);
  while (*unit == ' ' || *unit == '\t')
    unit++;
  if (*number == '\0' || *unit == '\0')
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("memory must be a size with a unit, such as 8GiB or 512MiB, or "
                      "'unlimited', not '%s'"),
                   text);
      return FALSE;
    }
  if (!hull_units_parse_number (number, G_MAXUINT64, &count, &local_error)
      || !hull_units_scale (count, unit, 1, value, &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT, _ ("memory: %s"),
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_value (HullConfig *config, GKeyFile *key_file, const Place *place, const char *file_name,
            GError **error)
{
  QuotaSection *section = place->section;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *value = g_key_file_get_string (key_file, place->group, place->key, &local_error);

  /* GKeyFile may return a value and an error (a bad escape). */
  if (value == NULL || local_error != NULL)
    return fail_at (error, file_name, place->line, "%s",
                    local_error != NULL ? local_error->message : "?");
  g_strstrip (value);

  if (section == NULL)
    {
      /* [policy] */
      if (g_str_equal (place->key, "authority"))
        {
          if (g_str_equal (value, "auto"))
            config->authority = HULL_CONFIG_AUTHORITY_AUTO;
          else if (g_str_equal (value, "polkit"))
            config->authority = HULL_CONFIG_AUTHORITY_POLKIT;
          else if (g_str_equal (value, "builtin"))
            config->authority = HULL_CONFIG_AUTHORITY_BUILTIN;
          else
            return fail_at (error, file_name, place->line,
                            _ ("authority must be auto, polkit or builtin, not '%s'"), value);
          return TRUE;
        }
      /* admin-group: empty means none. */
      if (*value == '\0')
        config->admin_gid = HULL_CONFIG_NO_GID;
      else if (!lookup_group (value, &config->admin_gid))
        return fail_at (error, file_name, place->line,
                        _ ("admin-group: there is no group named '%s'"), value);
      return TRUE;
    }

  for (guint i = 0; i < N_QUOTA_KEYS; i++)
    if (g_str_equal (place->key, quota_keys[i]))
      {
        if (!parse_quota_value (value, i, &section->values[i], &local_error))
          return fail_at (error, file_name, place->line, "%s", local_error->message);
        section->set |= 1u << i;
        return TRUE;
      }
  g_assert_not_reached ();
}

HullConfig *
hull_config_parse (const char *data, gsize length, const char *file_name, GError **error)
{
  g_autoptr (HullConfig) config = hull_config_new_default ();
  g_autoptr (GPtrArray) places = g_ptr_array_new_with_free_func ((GDestroyNotify)place_free);
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (file_name != NULL, NULL);

  if (!first_pass (config, data != NULL ? data : "", length, file_name, places, error))
    return NULL;
  /* The first pass accepted only what GKeyFile accepts. */
  if (length > 0
      && !g_key_file_load_from_data (key_file, data, length, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT, "%s: %s", file_name,
                   local_error->message);
      return NULL;
    }
  for (guint i = 0; i < places->len; i++)
    {
      const Place *place = g_ptr_array_index (places, i);

      if (place->key != NULL && !read_value (config, key_file, place, file_name, error))
        return NULL;
    }
  return g_steal_pointer (&config);
}

HullConfig *
hull_config_load (const char *path, gboolean must_exist, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      if (!must_exist && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return hull_config_new_default ();
      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot read the configuration: %s"),
                   local_error->message);
      return NULL;
    }
  return hull_config_parse (data, length, path, error);
}

/* ---- quotas ------------------------------------------------------------------- */

static void
effective (const HullConfig *config, const QuotaSection *section, guint64 values[N_QUOTA_KEYS])
{
  for (guint i = 0; i < N_QUOTA_KEYS; i++)
    {
      if (section != NULL && (section->set & (1u << i)) != 0)
        values[i] = section->values[i];
      else if ((config->defaults.set & (1u << i)) != 0)
        values[i] = config->defaults.values[i];
      else
        values[i] = HULL_QUOTA_UNLIMITED;
    }
}

void
hull_config_get_quota (const HullConfig *config, guint32 uid, const guint32 *gids, gsize n_gids,
                       HullQuota *quota)
{
  const QuotaSection *section;
  guint64 values[N_QUOTA_KEYS];
  gboolean any_group = FALSE;

  g_return_if_fail (config != NULL && quota != NULL);

  section = g_hash_table_lookup (config->users, GUINT_TO_POINTER (uid));
  if (section != NULL)
    effective (config, section, values);
  else if (uid == 0)
    for (guint i = 0; i < N_QUOTA_KEYS; i++)
      values[i] = HULL_QUOTA_UNLIMITED;
  else
    {
      for (gsize g = 0; g < n_gids; g++)
        {
          guint64 group_values[N_QUOTA_KEYS];

          section = g_hash_table_lookup (config->groups, GUINT_TO_POINTER (gids[g]));
          if (section == NULL)
            continue;
          effective (config, section, group_values);
          for (guint i = 0; i < N_QUOTA_KEYS; i++)
            values[i] = any_group ? MAX (values[i], group_values[i]) : group_values[i];
          any_group = TRUE;
        }
      if (!any_group)
        effective (config, NULL, values);
    }
  quota->domains = values[KEY_DOMAINS];
  quota->vcpus = values[KEY_VCPUS];
  quota->memory = values[KEY_MEMORY];
}

/* @used + @needed > @limit, without overflowing. */
static gboolean
exceeds (guint64 limit, guint64 used, guint64 needed)
{
  return limit != HULL_QUOTA_UNLIMITED && (needed > limit || used > limit - needed);
}

gboolean
hull_quota_check (const HullQuota *quota, const HullQuotaUsage *usage, HullQuotaCheck checks,
                  const char *user_name, const char *domain_name, guint64 vcpus, guint64 memory,
                  GError **error)
{
  g_return_val_if_fail (quota != NULL && usage != NULL, FALSE);
  g_return_val_if_fail (user_name != NULL && domain_name != NULL, FALSE);

  if ((checks & HULL_QUOTA_CHECK_DOMAINS) != 0 && exceeds (quota->domains, usage->domains, 1))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_QUOTA_EXCEEDED,
                   _ ("user '%s' may have %llu domains; %llu are defined and domain '%s' would "
                      "be one more"),
                   user_name, (unsigned long long)quota->domains,
                   (unsigned long long)usage->domains, domain_name);
      return FALSE;
    }
  if ((checks & HULL_QUOTA_CHECK_RUNNING) == 0)
    return TRUE;
  if (exceeds (quota->vcpus, usage->vcpus, vcpus))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_QUOTA_EXCEEDED,
                   _ ("user '%s' may run %llu vCPUs; %llu are running and domain '%s' needs "
                      "%llu"),
                   user_name, (unsigned long long)quota->vcpus, (unsigned long long)usage->vcpus,
                   domain_name, (unsigned long long)vcpus);
      return FALSE;
    }
  if (exceeds (quota->memory, usage->memory, memory))
    {
      g_autofree char *limit = hull_units_format_size (quota->memory);
      g_autofree char *used = hull_units_format_size (usage->memory);
      g_autofree char *needed = hull_units_format_size (memory);

      g_set_error (error, HULL_ERROR, HULL_ERROR_QUOTA_EXCEEDED,
                   _ ("user '%s' may run domains with %s of memory in all; %s are in use and "
                      "domain '%s' needs %s"),
                   user_name, limit, used, domain_name, needed);
      return FALSE;
    }
  return TRUE;
}
