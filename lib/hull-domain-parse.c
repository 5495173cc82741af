/* hull-domain-parse.c — domain XML → HullDomainDef (the parse phase).
 *
 * Per-value checks only (syntax, units, enumerations); defaults and checks of
 * values against each other are hull-domain-def.c's. Every error names the
 * element or attribute and its line.
 */
#include "config.h"

#include "hull-domain-private.h"

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-units.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/tree.h>
#include <string.h>

typedef struct
{
  HullDomainParseFlags flags;
  GPtrArray *warnings;
  HullDomainDef *def;
} ParseCtx;

typedef gboolean (*ElementParser) (ParseCtx *ctx, xmlNode *node, GError **error);

/* A parser for the children of one element; @data is that element's state. */
typedef gboolean (*ChildParser) (ParseCtx *ctx, xmlNode *child, gpointer data, GError **error);

/* ------------------------------------------------------------------ */
/* Node helpers */

static guint
node_line (xmlNode *node)
{
  long line = xmlGetLineNo (node);

  return line > 0 && line <= G_MAXUINT ? (guint)line : 0;
}

static gboolean
node_is_hull (xmlNode *node)
{
  return node->ns != NULL && node->ns->href != NULL
         && strcmp ((const char *)node->ns->href, HULL_DOMAIN_XML_NAMESPACE) == 0;
}

/* The element's name as users write it: "memory", "hull:vp", "{ns}name". */
static char *
node_display_name (xmlNode *node)
{
  if (node->ns == NULL)
    return g_strdup ((const char *)node->name);
  if (node_is_hull (node))
    return g_strdup_printf ("hull:%s", (const char *)node->name);
  return g_strdup_printf ("{%s}%s", (const char *)node->ns->href, (const char *)node->name);
}

static gboolean
node_is (xmlNode *node, gboolean hull, const char *name)
{
  if (hull ? !node_is_hull (node) : node->ns != NULL)
    return FALSE;
  return strcmp ((const char *)node->name, name) == 0;
}

static void G_GNUC_PRINTF (4, 5)
    set_node_error (GError **error, xmlNode *node, HullError code, const char *format, ...)
{
  g_autofree char *what = NULL;
  g_autofree char *display = node_display_name (node);
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  /* Translators: "line 12: <memory>: unknown unit 'XiB'" */
  g_set_error (error, HULL_ERROR, code, _ ("line %u: <%s>: %s"), node_line (node), display, what);
}

/* Something Hull does not support: an error, or in lenient mode a warning. */
static gboolean
unsupported (ParseCtx *ctx, xmlNode *node, const char *attribute, GError **error)
{
  g_autofree char *display = node_display_name (node);
  g_autofree char *message = NULL;

  if (attribute != NULL)
    message = g_strdup_printf (_ ("line %u: attribute '%s' of <%s> is not supported by Hull"),
                               node_line (node), attribute, display);
  else
    message = g_strdup_printf (_ ("line %u: element <%s> is not supported by Hull"),
                               node_line (node), display);

  if (ctx->flags & HULL_DOMAIN_PARSE_LENIENT)
    {
      g_ptr_array_add (ctx->warnings, g_steal_pointer (&message));
      return TRUE;
    }
  g_set_error_literal (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED, message);
  return FALSE;
}

/* Every attribute of @node must be in @allowed (a NULL-terminated list). */
static gboolean
check_attributes (ParseCtx *ctx, xmlNode *node, const char *const *allowed, GError **error)
{
  for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next)
    {
      const char *name = (const char *)attr->name;
      gboolean known = FALSE;

      if (attr->ns == NULL)
        for (const char *const *a = allowed; *a != NULL && !known; a++)
          known = strcmp (*a, name) == 0;
      if (!known)
        {
          g_autofree char *full = attr->ns != NULL && attr->ns->prefix != NULL
                                      ? g_strdup_printf ("%s:%s", attr->ns->prefix, name)
                                      : g_strdup (name);

          if (!unsupported (ctx, node, full, error))
            return FALSE;
        }
    }
  return TRUE;
}

static char *
get_attr (xmlNode *node, const char *name)
{
  xmlChar *value = xmlGetNoNsProp (node, (const xmlChar *)name);
  char *copy = g_strdup ((const char *)value);

  xmlFree (value);
  return copy;
}

static gboolean
require_attr (xmlNode *node, const char *name, char **value, GError **error)
{
  *value = get_attr (node, name);
  if (*value == NULL)
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID, _ ("attribute '%s' is missing"), name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_blank (const xmlChar *text)
{
  for (; text != NULL && *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

/* The next element child at or after @node, skipping comments, processing
 * instructions and white space; text elsewhere is an error. */
static gboolean
next_element (xmlNode *parent, xmlNode **node, GError **error)
{
  for (; *node != NULL; *node = (*node)->next)
    {
      switch ((*node)->type)
        {
          case XML_ELEMENT_NODE:
            return TRUE;
          case XML_TEXT_NODE:
          case XML_CDATA_SECTION_NODE:
            if (!is_blank ((*node)->content))
              {
                set_node_error (error, parent, HULL_ERROR_XML_INVALID,
                                _ ("unexpected text; this element holds only elements"));
                return FALSE;
              }
            break;
          default:
            break;
        }
    }
  return TRUE;
}

/* Calls @parse on each element child of @parent, passing @data. */
static gboolean
for_each_child (ParseCtx *ctx, xmlNode *parent, ChildParser parse, gpointer data, GError **error)
{
  for (xmlNode *child = parent->children;; child = child->next)
    {
      if (!next_element (parent, &child, error))
        return FALSE;
      if (child == NULL)
        return TRUE;
      if (!parse (ctx, child, data, error))
        return FALSE;
    }
}

/* An element that holds only attributes (@allowed): a child element is
 * unsupported() (an error, or a warning when lenient), text is an error;
 * comments, processing instructions and white space are fine. */
static gboolean
check_leaf (ParseCtx *ctx, xmlNode *node, const char *const *allowed, GError **error)
{
  if (!check_attributes (ctx, node, allowed, error))
    return FALSE;
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      switch (child->type)
        {
          case XML_ELEMENT_NODE:
            if (!unsupported (ctx, child, NULL, error))
              return FALSE;
            break;
          case XML_TEXT_NODE:
          case XML_CDATA_SECTION_NODE:
            if (!is_blank (child->content))
              {
                set_node_error (error, node, HULL_ERROR_XML_INVALID,
                                _ ("unexpected text; this element holds only attributes"));
                return FALSE;
              }
            break;
          default:
            break;
        }
    }
  return TRUE;
}

/* hull_domain_check_path() with the element and line added. */
static gboolean
check_path (xmlNode *node, const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (hull_domain_check_path (path, &local))
    return TRUE;
  set_node_error (error, node, local->code, "%s", local->message);
  return FALSE;
}

/* The text of an element that holds only text. */
static gboolean
get_text (xmlNode *node, char **text, GError **error)
{
  GString *out = g_string_new (NULL);

  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      if (child->type == XML_TEXT_NODE || child->type == XML_CDATA_SECTION_NODE)
        g_string_append (out, (const char *)child->content);
      else if (child->type == XML_ELEMENT_NODE)
        {
          g_string_free (out, TRUE);
          set_node_error (error, node, HULL_ERROR_XML_INVALID,
                          _ ("unexpected element <%s>; this element holds only text"),
                          (const char *)child->name);
          return FALSE;
        }
    }
  *text = g_string_free (out, FALSE);
  return TRUE;
}

static gboolean
get_trimmed_text (xmlNode *node, char **text, GError **error)
{
  if (!get_text (node, text, error))
    return FALSE;
  g_strstrip (*text);
  return TRUE;
}

/* Rejects a second occurrence of a singleton element. */
static gboolean
check_once (xmlNode *node, guint *seen_line, GError **error)
{
  if (*seen_line != 0)
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("duplicate element (the first is on line %u)"), *seen_line);
      return FALSE;
    }
  *seen_line = MAX (node_line (node), 1);
  return TRUE;
}

static gboolean
parse_decimal (xmlNode *node, const char *what, const char *text, guint64 max, guint64 *value,
               GError **error)
{
  if (!g_ascii_isdigit (text[0]) || !g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL))
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("%s '%s' is not a whole number from 0 to %llu"), what, text,
                      (unsigned long long)max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_uint_attr (xmlNode *node, const char *name, guint max, gboolean *present, guint *value,
                 GError **error)
{
  g_autofree char *text = get_attr (node, name);
  guint64 v;

  *present = text != NULL;
  if (text == NULL)
    return TRUE;
  g_strstrip (text);
  if (!parse_decimal (node, name, text, max, &v, error))
    return FALSE;
  *value = (guint)v;
  return TRUE;
}

/* A hull: number attribute: decimal or 0x-hex. */
static gboolean
parse_number_attr (xmlNode *node, const char *name, gboolean required, guint64 max,
                   gboolean *present, guint64 *value, GError **error)
{
  g_autofree char *text = get_attr (node, name);
  g_autoptr (GError) local = NULL;

  if (present != NULL)
    *present = text != NULL;
  if (text == NULL)
    {
      if (!required)
        return TRUE;
      set_node_error (error, node, HULL_ERROR_XML_INVALID, _ ("attribute '%s' is missing"), name);
      return FALSE;
    }
  if (!hull_units_parse_number (text, max, value, &local))
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID, _ ("attribute '%s': %s"), name,
                      local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_yes_no (xmlNode *node, const char *name, const char *yes, const char *no, gboolean *value,
              GError **error)
{
  g_autofree char *text = get_attr (node, name);

  if (text == NULL)
    return TRUE;
  if (strcmp (text, yes) == 0)
    *value = TRUE;
  else if (strcmp (text, no) == 0)
    *value = FALSE;
  else
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("attribute '%s' must be '%s' or '%s', not '%s'"), name, yes, no, text);
      return FALSE;
    }
  return TRUE;
}

#define ATTRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ATTRS ((const char *const[]){ NULL })

/* ------------------------------------------------------------------ */
/* General */

static gboolean
parse_name (ParseCtx *ctx, xmlNode *node, GError **error)
{
  if (!check_attributes (ctx, node, NO_ATTRS, error))
    return FALSE;
  return get_text (node, &ctx->def->name, error);
}

/* The RFC 4122 text form in lower case, from that form in either case or
 * from its 32 hexadecimal digits without dashes (libvirt accepts both);
 * NULL for anything else. */
static char *
canonical_uuid (const char *text)
{
  g_autofree char *dashed = NULL;

  if (g_uuid_string_is_valid (text))
    return g_ascii_strdown (text, -1);
  if (strlen (text) != 32)
    return NULL;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p))
      return NULL;
  dashed = g_strdup_printf ("%.8s-%.4s-%.4s-%.4s-%.12s", text, text + 8, text + 12, text + 16,
                            text + 20);
  return g_ascii_strdown (dashed, -1);
}

static gboolean
parse_uuid (ParseCtx *ctx, xmlNode *node, GError **error)
{
  g_autofree char *text = NULL;

  if (!check_attributes (ctx, node, NO_ATTRS, error) || !get_trimmed_text (node, &text, error))
    return FALSE;
  ctx->def->uuid = canonical_uuid (text);
  if (ctx->def->uuid == NULL)
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("'%s' is not a UUID (expected the form "
                         "4dea22b3-1d52-d8f3-2516-782e98ab3fa0, or its 32 hexadecimal digits "
                         "without dashes)"),
                      text);
      return FALSE;
    }
  return TRUE;
}

/* Validation checks that it is one line; it has the line number. */
static gboolean
parse_title (ParseCtx *ctx, xmlNode *node, GError **error)
{
  return check_attributes (ctx, node, NO_ATTRS, error) && get_text (node, &ctx->def->title, error);
}

static gboolean
parse_description (ParseCtx *ctx, xmlNode *node, GError **error)
{
  if (!check_attributes (ctx, node, NO_ATTRS, error))
    return FALSE;
  return get_text (node, &ctx->def->description, error);
}

static gboolean
parse_size (ParseCtx *ctx, xmlNode *node, guint64 *bytes, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *unit = NULL;
  g_autoptr (GError) local = NULL;
  guint64 value;

  if (!check_attributes (ctx, node, ATTRS ("unit"), error)
      || !get_trimmed_text (node, &text, error))
    return FALSE;
  unit = get_attr (node, "unit");
  if (!parse_decimal (node, _ ("size"), text, G_MAXUINT64, &value, error))
    return FALSE;
  if (!hull_units_scale (value, unit, 1024, bytes, &local))
    {
      /* An unknown unit is a wrong value in the definition. */
      set_node_error (error, node,
                      local->code == HULL_ERROR_LIMIT_EXCEEDED ? HULL_ERROR_LIMIT_EXCEEDED
                                                               : HULL_ERROR_XML_INVALID,
                      "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_memory (ParseCtx *ctx, xmlNode *node, GError **error)
{
  return parse_size (ctx, node, &ctx->def->memory, error);
}

static gboolean
parse_current_memory (ParseCtx *ctx, xmlNode *node, GError **error)
{
  return parse_size (ctx, node, &ctx->def->current_memory, error);
}

static gboolean
parse_vcpu (ParseCtx *ctx, xmlNode *node, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *placement = NULL;
  guint64 value;

  if (!check_attributes (ctx, node, ATTRS ("placement"), error)
      || !get_trimmed_text (node, &text, error))
    return FALSE;
  placement = get_attr (node, "placement");
  if (placement != NULL && strcmp (placement, "static") != 0)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("placement '%s' is not supported; Hull places vCPUs statically"),
                      placement);
      return FALSE;
    }
  if (!parse_decimal (node, _ ("vCPU count"), text, G_MAXUINT, &value, error))
    return FALSE;
  ctx->def->vcpus = (guint)value;
  return TRUE;
}

static gboolean
parse_topology (ParseCtx *ctx, xmlNode *node, GError **error)
{
  HullDomainDef *def = ctx->def;
  static const char *const names[] = { "sockets", "dies", "cores", "threads" };
  guint *fields[] = { &def->sockets, &def->dies, &def->cores, &def->threads };
  gboolean present;
  guint clusters = 1;

  if (!check_once (node, &def->lines.topology, error)
      || !check_leaf (ctx, node, ATTRS ("sockets", "dies", "clusters", "cores", "threads"), error))
    return FALSE;
  def->topology_set = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      *fields[i] = 1;
      if (!parse_uint_attr (node, names[i], G_MAXUINT, &present, fields[i], error))
        return FALSE;
    }
  /* Newer libvirt writes clusters='1'; Hull's topology has no clusters. */
  if (!parse_uint_attr (node, "clusters", G_MAXUINT, &present, &clusters, error))
    return FALSE;
  if (clusters != 1)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("clusters='%u': topologies with clusters other than 1 are not supported"),
                      clusters);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_cpu_child (ParseCtx *ctx, xmlNode *node, gpointer data, GError **error)
{
  if (node_is (node, FALSE, "topology"))
    return parse_topology (ctx, node, error);
  return unsupported (ctx, node, NULL, error);
}

static gboolean
parse_cpu (ParseCtx *ctx, xmlNode *node, GError **error)
{
  if (!check_attributes (ctx, node, NO_ATTRS, error))
    return FALSE;
  return for_each_child (ctx, node, parse_cpu_child, NULL, error);
}

/* ------------------------------------------------------------------ */
/* <os> */

typedef struct
{
  guint type, kernel, initrd, cmdline;
} OsLines;

static gboolean
parse_os_type (ParseCtx *ctx, xmlNode *node, GError **error)
{
  g_autofree char *text = NULL;
  g_autofree char *arch = NULL;

  if (!check_attributes (ctx, node, ATTRS ("arch"), error)
      || !get_trimmed_text (node, &text, error))
    return FALSE;
  if (strcmp (text, "hvm") != 0)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("OS type '%s' is not supported; Hull runs 'hvm' guests"), text);
      return FALSE;
    }
  arch = get_attr (node, "arch");
  if (arch != NULL && !hull_arch_from_string (arch, &ctx->def->arch))
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("architecture '%s' is not supported; Hull runs 'x86_64' guests"), arch);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_path_text (ParseCtx *ctx, xmlNode *node, char **path, GError **error)
{
  return check_attributes (ctx, node, NO_ATTRS, error) && get_trimmed_text (node, path, error)
         && check_path (node, *path, error);
}

static gboolean
parse_os_child (ParseCtx *ctx, xmlNode *child, gpointer data, GError **error)
{
  HullDomainDef *def = ctx->def;
  OsLines *seen = data;

  if (node_is (child, FALSE, "type"))
    return check_once (child, &seen->type, error) && parse_os_type (ctx, child, error);
  if (node_is (child, FALSE, "kernel"))
    return check_once (child, &seen->kernel, error)
           && parse_path_text (ctx, child, &def->kernel, error);
  if (node_is (child, FALSE, "initrd"))
    return check_once (child, &seen->initrd, error)
           && parse_path_text (ctx, child, &def->initrd, error);
  if (node_is (child, FALSE, "cmdline"))
    return check_once (child, &seen->cmdline, error)
           && check_attributes (ctx, child, NO_ATTRS, error)
           && get_text (child, &def->cmdline, error);
  return unsupported (ctx, child, NULL, error);
}

static gboolean
parse_os (ParseCtx *ctx, xmlNode *node, GError **error)
{
  OsLines seen = { 0 };

  return check_attributes (ctx, node, NO_ATTRS, error)
         && for_each_child (ctx, node, parse_os_child, &seen, error);
}

static gboolean
parse_lifecycle (xmlNode *node, HullLifecycleAction *action, GError **error)
{
  g_autofree char *text = NULL;

  if (!get_trimmed_text (node, &text, error))
    return FALSE;
  if (!hull_lifecycle_action_from_string (text, action))
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("unknown action '%s' (use destroy, restart or preserve)"), text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_on_poweroff (ParseCtx *ctx, xmlNode *node, GError **error)
{
  return check_attributes (ctx, node, NO_ATTRS, error)
         && parse_lifecycle (node, &ctx->def->on_poweroff, error);
}

static gboolean
parse_on_reboot (ParseCtx *ctx, xmlNode *node, GError **error)
{
  return check_attributes (ctx, node, NO_ATTRS, error)
         && parse_lifecycle (node, &ctx->def->on_reboot, error);
}

static gboolean
parse_on_crash (ParseCtx *ctx, xmlNode *node, GError **error)
{
  return check_attributes (ctx, node, NO_ATTRS, error)
         && parse_lifecycle (node, &ctx->def->on_crash, error);
}

/* ------------------------------------------------------------------ */
/* <devices> */

/* What <disk> has seen of its children. */
typedef struct
{
  HullDiskDef *disk;
  guint driver, source, target, readonly;
} DiskState;

static gboolean
parse_disk_driver (ParseCtx *ctx, HullDiskDef *disk, xmlNode *node, GError **error)
{
  g_autofree char *format = NULL;

  if (!check_leaf (ctx, node, ATTRS ("name", "type"), error))
    return FALSE;
  disk->driver_name = get_attr (node, "name");
  if (disk->driver_name != NULL && disk->driver_name[0] == '\0')
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("the driver name is empty; leave out 'name' instead"));
      return FALSE;
    }
  format = get_attr (node, "type");
  if (format != NULL && strcmp (format, "raw") != 0)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("image format '%s' is not supported; Hull reads raw images"), format);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_disk_target (ParseCtx *ctx, HullDiskDef *disk, xmlNode *node, GError **error)
{
  g_autofree char *bus = NULL;

  if (!check_leaf (ctx, node, ATTRS ("dev", "bus"), error)
      || !require_attr (node, "dev", &disk->target_dev, error))
    return FALSE;
  bus = get_attr (node, "bus");
  if (bus != NULL && strcmp (bus, "virtio") != 0)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("disk bus '%s' is not supported; Hull's disks are on 'virtio'"), bus);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_disk_child (ParseCtx *ctx, xmlNode *child, gpointer data, GError **error)
{
  DiskState *state = data;
  HullDiskDef *disk = state->disk;

  if (node_is (child, FALSE, "driver"))
    return check_once (child, &state->driver, error) && parse_disk_driver (ctx, disk, child, error);
  if (node_is (child, FALSE, "source"))
    {
      const char *attr = disk->type == HULL_DISK_FILE ? "file" : "dev";

      return check_once (child, &state->source, error)
             && check_leaf (ctx, child, ATTRS (attr), error)
             && require_attr (child, attr, &disk->source, error)
             && check_path (child, disk->source, error);
    }
  if (node_is (child, FALSE, "target"))
    return check_once (child, &state->target, error) && parse_disk_target (ctx, disk, child, error);
  if (node_is (child, FALSE, "readonly"))
    {
      if (!check_once (child, &state->readonly, error) || !check_leaf (ctx, child, NO_ATTRS, error))
        return FALSE;
      disk->readonly = TRUE;
      return TRUE;
    }
  return unsupported (ctx, child, NULL, error);
}

static gboolean
parse_disk (ParseCtx *ctx, xmlNode *node, GError **error)
{
  g_autoptr (HullDiskDef) disk = hull_disk_def_new ();
  g_autofree char *type = NULL;
  g_autofree char *device = NULL;
  DiskState state = { .disk = disk };

  disk->line = node_line (node);
  if (!check_attributes (ctx, node, ATTRS ("type", "device"), error)
      || !require_attr (node, "type", &type, error))
    return FALSE;
  if (!hull_disk_type_from_string (type, &disk->type))
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("disk type '%s' is not supported (use 'file' or 'block')"), type);
      return FALSE;
    }
  device = get_attr (node, "device");
  if (device != NULL && strcmp (device, "disk") != 0)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("disk device '%s' is not supported (use 'disk')"), device);
      return FALSE;
    }
  if (!for_each_child (ctx, node, parse_disk_child, &state, error))
    return FALSE;
  if (disk->source == NULL)
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID, _ ("<source> is missing"));
      return FALSE;
    }
  if (disk->target_dev == NULL)
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID, _ ("<target> is missing"));
      return FALSE;
    }
  g_ptr_array_add (ctx->def->disks, g_steal_pointer (&disk));
  return TRUE;
}

/* What <serial> or <console> has seen of its children. */
typedef struct
{
  HullChardevDef *chardev;
  gboolean console;
  guint source, target;
} ChardevState;

static gboolean
parse_chardev_source (ParseCtx *ctx, HullChardevDef *chardev, xmlNode *node, GError **error)
{
  g_autofree char *mode = NULL;

  switch (chardev->type)
    {
      case HULL_CHARDEV_FILE:
        if (!check_leaf (ctx, node, ATTRS ("path"), error))
          return FALSE;
        break;
      case HULL_CHARDEV_UNIX:
        if (!check_leaf (ctx, node, ATTRS ("path", "mode"), error))
          return FALSE;
        mode = get_attr (node, "mode");
        if (mode != NULL && !hull_unix_mode_from_string (mode, &chardev->mode))
          {
            set_node_error (error, node, HULL_ERROR_XML_INVALID,
                            _ ("mode '%s' is neither 'bind' nor 'connect'"), mode);
            return FALSE;
          }
        break;
      case HULL_CHARDEV_PTY:
      case HULL_CHARDEV_NULL:
      default:
        set_node_error (error, node, HULL_ERROR_XML_INVALID,
                        _ ("a '%s' character device takes no <source>"),
                        hull_chardev_type_to_string (chardev->type));
        return FALSE;
    }
  return require_attr (node, "path", &chardev->path, error)
         && check_path (node, chardev->path, error);
}

/* <model name='isa-serial'/> in a serial port's <target>, as virsh dumpxml
 * writes it: the only model Hull has, so the formatter leaves it out. */
static gboolean
parse_serial_model (ParseCtx *ctx, xmlNode *node, gpointer data, GError **error)
{
  guint *seen = data;
  g_autofree char *name = NULL;

  if (!node_is (node, FALSE, "model"))
    return unsupported (ctx, node, NULL, error);
  if (!check_once (node, seen, error) || !check_leaf (ctx, node, ATTRS ("name"), error)
      || !require_attr (node, "name", &name, error))
    return FALSE;
  if (strcmp (name, "isa-serial") != 0)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("serial port model '%s' is not supported; Hull's serial ports are "
                         "'isa-serial'"),
                      name);
      return FALSE;
    }
  return TRUE;
}

/* A serial port's target: type='isa-serial' (the default, left out by the
 * formatter), a port and an optional <model>. */
static gboolean
parse_serial_target (ParseCtx *ctx, HullChardevDef *chardev, xmlNode *node, GError **error)
{
  g_autofree char *type = NULL;
  guint seen_model = 0;

  if (!check_attributes (ctx, node, ATTRS ("type", "port"), error))
    return FALSE;
  type = get_attr (node, "type");
  if (type != NULL && strcmp (type, "isa-serial") != 0)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("serial target type '%s' is not supported; Hull's serial ports are "
                         "'isa-serial'"),
                      type);
      return FALSE;
    }
  return parse_uint_attr (node, "port", G_MAXUINT, &chardev->port_set, &chardev->port, error)
         && for_each_child (ctx, node, parse_serial_model, &seen_model, error);
}

static gboolean
parse_console_target (ParseCtx *ctx, HullChardevDef *chardev, xmlNode *node, GError **error)
{
  g_autofree char *type = NULL;

  if (!check_leaf (ctx, node, ATTRS ("type", "port"), error))
    return FALSE;
  type = get_attr (node, "type");
  if (type != NULL && strcmp (type, "serial") != 0)
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("console type '%s' is not supported; Hull's console is a serial port"),
                      type);
      return FALSE;
    }
  return parse_uint_attr (node, "port", G_MAXUINT, &chardev->port_set, &chardev->port, error);
}

static gboolean
parse_chardev_child (ParseCtx *ctx, xmlNode *child, gpointer data, GError **error)
{
  ChardevState *state = data;

  if (node_is (child, FALSE, "source"))
    return check_once (child, &state->source, error)
           && parse_chardev_source (ctx, state->chardev, child, error);
  if (node_is (child, FALSE, "target"))
    return check_once (child, &state->target, error)
           && (state->console ? parse_console_target (ctx, state->chardev, child, error)
                              : parse_serial_target (ctx, state->chardev, child, error));
  return unsupported (ctx, child, NULL, error);
}

static gboolean
parse_chardev (ParseCtx *ctx, xmlNode *node, gboolean console, GError **error)
{
  g_autoptr (HullChardevDef) chardev = hull_chardev_def_new (HULL_CHARDEV_PTY);
  g_autofree char *type = NULL;
  ChardevState state = { .chardev = chardev, .console = console };

  chardev->line = node_line (node);
  if (!check_attributes (ctx, node, ATTRS ("type"), error)
      || !require_attr (node, "type", &type, error))
    return FALSE;
  if (!hull_chardev_type_from_string (type, &chardev->type))
    {
      set_node_error (error, node, HULL_ERROR_NOT_SUPPORTED,
                      _ ("character device type '%s' is not supported (use pty, file, unix or "
                         "null)"),
                      type);
      return FALSE;
    }
  if (!for_each_child (ctx, node, parse_chardev_child, &state, error))
    return FALSE;
  if ((chardev->type == HULL_CHARDEV_FILE || chardev->type == HULL_CHARDEV_UNIX)
      && chardev->path == NULL)
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("a '%s' character device needs <source path='…'/>"), type);
      return FALSE;
    }
  if (console && !chardev->port_set)
    {
      chardev->port = 0;
      chardev->port_set = TRUE;
    }
  g_ptr_array_add (console ? ctx->def->consoles : ctx->def->serials, g_steal_pointer (&chardev));
  return TRUE;
}

static gboolean
parse_device (ParseCtx *ctx, xmlNode *node, gpointer data, GError **error)
{
  if (node_is (node, FALSE, "disk"))
    return parse_disk (ctx, node, error);
  if (node_is (node, FALSE, "serial"))
    return parse_chardev (ctx, node, FALSE, error);
  if (node_is (node, FALSE, "console"))
    return parse_chardev (ctx, node, TRUE, error);
  return unsupported (ctx, node, NULL, error);
}

static gboolean
parse_devices (ParseCtx *ctx, xmlNode *node, GError **error)
{
  if (!check_attributes (ctx, node, NO_ATTRS, error))
    return FALSE;
  return for_each_child (ctx, node, parse_device, NULL, error);
}

/* ------------------------------------------------------------------ */
/* hull: namespace */

static gboolean
parse_hull_apic (ParseCtx *ctx, xmlNode *node, GError **error)
{
  g_autofree char *x2apic = NULL;

  if (!check_leaf (ctx, node, ATTRS ("x2apic", "user-mode"), error))
    return FALSE;
  x2apic = get_attr (node, "x2apic");
  if (x2apic != NULL && !hull_x2apic_request_from_string (x2apic, &ctx->def->x2apic))
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("x2apic '%s' is not one of supported, unsupported, enabled"), x2apic);
      return FALSE;
    }
  return parse_yes_no (node, "user-mode", "yes", "no", &ctx->def->user_mode_apic, error);
}

static gboolean
parse_hull_isolation (ParseCtx *ctx, xmlNode *node, GError **error)
{
  g_autofree char *type = NULL;

  if (!check_leaf (ctx, node, ATTRS ("type"), error) || !require_attr (node, "type", &type, error))
    return FALSE;
  if (!hull_isolation_type_from_string (type, &ctx->def->isolation))
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("isolation type '%s' is not one of none, vbs, snp, tdx"), type);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_hull_hyperv (ParseCtx *ctx, xmlNode *node, GError **error)
{
  g_autofree char *state = NULL;

  if (!check_leaf (ctx, node, ATTRS ("state"), error)
      || !require_attr (node, "state", &state, error))
    return FALSE;
  return parse_yes_no (node, "state", "on", "off", &ctx->def->hyperv, error);
}

/* start + size attributes → [start, start + size) */
static gboolean
parse_range (ParseCtx *ctx, xmlNode *node, HullMemoryRange *range, GError **error)
{
  guint64 start, size;

  if (!check_leaf (ctx, node, ATTRS ("start", "size"), error)
      || !parse_number_attr (node, "start", TRUE, G_MAXUINT64, NULL, &start, error)
      || !parse_number_attr (node, "size", TRUE, G_MAXUINT64, NULL, &size, error))
    return FALSE;
  if (!g_uint64_checked_add (&range->end, start, size))
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("the range 0x%llx + 0x%llx ends beyond the 64-bit address space"),
                      (unsigned long long)start, (unsigned long long)size);
      return FALSE;
    }
  range->start = start;
  return TRUE;
}

static gboolean
parse_hull_mmio_gap (ParseCtx *ctx, xmlNode *node, gpointer data, GError **error)
{
  HullMemoryRange range;

  if (!node_is (node, TRUE, "mmio-gap"))
    return unsupported (ctx, node, NULL, error);
  if (!parse_range (ctx, node, &range, error))
    return FALSE;
  g_array_append_val (ctx->def->mmio_gaps, range);
  return TRUE;
}

static gboolean
parse_hull_memory_layout (ParseCtx *ctx, xmlNode *node, GError **error)
{
  if (!check_attributes (ctx, node, NO_ATTRS, error))
    return FALSE;
  ctx->def->mmio_gaps = g_array_new (FALSE, TRUE, sizeof (HullMemoryRange));
  return for_each_child (ctx, node, parse_hull_mmio_gap, NULL, error);
}

static gboolean
parse_hull_vtl2 (ParseCtx *ctx, xmlNode *node, GError **error)
{
  ctx->def->has_vtl2 = TRUE;
  return parse_range (ctx, node, &ctx->def->vtl2, error);
}

/* The access size, then the value written or the value expected, of an
 * I/O port or MMIO step. */
static gboolean
parse_step_access (xmlNode *node, HullTestStep *step, gboolean port, gboolean writes,
                   GError **error)
{
  gboolean has_size;
  guint64 size;
  guint64 max;

  if (!parse_number_attr (node, "size", FALSE, 8, &has_size, &size, error))
    return FALSE;
  if (has_size)
    {
      if (size != 1 && size != 2 && size != 4 && (port || size != 8))
        {
          set_node_error (error, node, HULL_ERROR_XML_INVALID,
                          port ? _ ("size %llu is not 1, 2 or 4")
                               : _ ("size %llu is not 1, 2, 4 or 8"),
                          (unsigned long long)size);
          return FALSE;
        }
      step->size = (guint8)size;
    }
  max = step->size == 8 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << (8 * step->size)) - 1;
  if (writes)
    return parse_number_attr (node, "value", TRUE, max, NULL, &step->value, error);
  return parse_number_attr (node, "expect", FALSE, max, &step->has_expect, &step->value, error);
}

/* <hull:out port value size/>, <hull:in port expect size/> */
static gboolean
parse_step_port (ParseCtx *ctx, xmlNode *node, HullTestStep *step, GError **error)
{
  gboolean out = step->kind == HULL_TEST_STEP_OUT;

  step->size = 1;
  return check_leaf (ctx, node,
                     out ? ATTRS ("port", "value", "size") : ATTRS ("port", "expect", "size"),
                     error)
         && parse_number_attr (node, "port", TRUE, G_MAXUINT16, NULL, &step->address, error)
         && parse_step_access (node, step, TRUE, out, error);
}

/* <hull:mmio-write addr value size/>, <hull:mmio-read addr expect size/> */
static gboolean
parse_step_mmio (ParseCtx *ctx, xmlNode *node, HullTestStep *step, GError **error)
{
  gboolean write = step->kind == HULL_TEST_STEP_MMIO_WRITE;

  step->size = 4;
  return check_leaf (ctx, node,
                     write ? ATTRS ("addr", "value", "size") : ATTRS ("addr", "expect", "size"),
                     error)
         && parse_number_attr (node, "addr", TRUE, G_MAXUINT64, NULL, &step->address, error)
         && parse_step_access (node, step, FALSE, write, error);
}

/* <hull:spin usec/>, <hull:jump step/>: one 32-bit number. */
static gboolean
parse_step_number (ParseCtx *ctx, xmlNode *node, const char *name, HullTestStep *step,
                   GError **error)
{
  return check_leaf (ctx, node, ATTRS (name), error)
         && parse_number_attr (node, name, TRUE, G_MAXUINT32, NULL, &step->value, error);
}

/* <hull:halt reason/> */
static gboolean
parse_step_halt (ParseCtx *ctx, xmlNode *node, HullTestStep *step, GError **error)
{
  g_autofree char *reason = NULL;
  HullTestHaltReason r;

  if (!check_leaf (ctx, node, ATTRS ("reason"), error)
      || !require_attr (node, "reason", &reason, error))
    return FALSE;
  if (!hull_test_halt_reason_from_string (reason, &r))
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("halt reason '%s' is not one of poweroff, reset, hibernate, "
                         "triple-fault"),
                      reason);
      return FALSE;
    }
  step->value = r;
  return TRUE;
}

/* One step of a <hull:vp> program. */
static gboolean
parse_step (ParseCtx *ctx, xmlNode *node, gpointer data, GError **error)
{
  HullTestVpProgram *vp = data;
  HullTestStep step = { .line = node_line (node) };
  gboolean ok;

  if (!node_is_hull (node)
      || !hull_test_step_kind_from_string ((const char *)node->name, &step.kind))
    return unsupported (ctx, node, NULL, error);

  switch (step.kind)
    {
      case HULL_TEST_STEP_OUT:
      case HULL_TEST_STEP_IN:
        ok = parse_step_port (ctx, node, &step, error);
        break;
      case HULL_TEST_STEP_MMIO_WRITE:
      case HULL_TEST_STEP_MMIO_READ:
        ok = parse_step_mmio (ctx, node, &step, error);
        break;
      case HULL_TEST_STEP_SPIN:
        ok = parse_step_number (ctx, node, "usec", &step, error);
        break;
      case HULL_TEST_STEP_JUMP:
        ok = parse_step_number (ctx, node, "step", &step, error);
        break;
      case HULL_TEST_STEP_HALT:
        ok = parse_step_halt (ctx, node, &step, error);
        break;
      default:
        g_assert_not_reached ();
    }
  if (!ok)
    return FALSE;
  g_array_append_val (vp->steps, step);
  return TRUE;
}

static gboolean
parse_hull_vp (ParseCtx *ctx, xmlNode *node, GError **error)
{
  HullTestVpProgram *vp;
  guint64 index;

  if (!check_attributes (ctx, node, ATTRS ("index"), error)
      || !parse_number_attr (node, "index", TRUE, G_MAXUINT32, NULL, &index, error))
    return FALSE;
  vp = hull_test_program_add_vp (ctx->def->test_program, (guint)index, node_line (node));
  return for_each_child (ctx, node, parse_step, vp, error);
}

static gboolean
parse_hull_fault (ParseCtx *ctx, xmlNode *node, GError **error)
{
  HullTestFault fault = { 0 };
  g_autofree char *stage = NULL;
  guint64 vp = 0;

  fault.line = node_line (node);
  if (!check_leaf (ctx, node, ATTRS ("stage", "vp"), error)
      || !require_attr (node, "stage", &stage, error))
    return FALSE;
  if (!hull_test_fault_stage_from_string (stage, &fault.stage))
    {
      set_node_error (error, node, HULL_ERROR_XML_INVALID,
                      _ ("fault stage '%s' is not one of build, bind, run"), stage);
      return FALSE;
    }
  if (!parse_number_attr (node, "vp", FALSE, G_MAXUINT32, &fault.has_vp, &vp, error))
    return FALSE;
  fault.vp_index = (guint)vp;
  g_array_append_val (ctx->def->test_program->faults, fault);
  return TRUE;
}

static gboolean
parse_hull_test_program_child (ParseCtx *ctx, xmlNode *node, gpointer data, GError **error)
{
  if (node_is (node, TRUE, "vp"))
    return parse_hull_vp (ctx, node, error);
  if (node_is (node, TRUE, "fault"))
    return parse_hull_fault (ctx, node, error);
  return unsupported (ctx, node, NULL, error);
}

static gboolean
parse_hull_test_program (ParseCtx *ctx, xmlNode *node, GError **error)
{
  if (!check_attributes (ctx, node, NO_ATTRS, error))
    return FALSE;
  ctx->def->test_program = hull_test_program_new ();
  return for_each_child (ctx, node, parse_hull_test_program_child, NULL, error);
}

/* ------------------------------------------------------------------ */
/* <domain> */

typedef struct
{
  gboolean hull;
  const char *name;
  ElementParser parse;
  gsize line_offset; /* into HullDomainDefLines, or G_MAXSIZE for a private slot */
} DomainElement;

#define LINE(field) G_STRUCT_OFFSET (HullDomainDefLines, field)
#define NO_LINE G_MAXSIZE

static const DomainElement domain_elements[] = {
  { FALSE, "name", parse_name, LINE (name) },
  { FALSE, "uuid", parse_uuid, NO_LINE },
  { FALSE, "title", parse_title, LINE (title) },
  { FALSE, "description", parse_description, NO_LINE },
  { FALSE, "memory", parse_memory, LINE (memory) },
  { FALSE, "currentMemory", parse_current_memory, LINE (current_memory) },
  { FALSE, "vcpu", parse_vcpu, LINE (vcpu) },
  { FALSE, "cpu", parse_cpu, NO_LINE },
  { FALSE, "os", parse_os, LINE (os) },
  { FALSE, "on_poweroff", parse_on_poweroff, LINE (on_poweroff) },
  { FALSE, "on_reboot", parse_on_reboot, LINE (on_reboot) },
  { FALSE, "on_crash", parse_on_crash, LINE (on_crash) },
  { FALSE, "devices", parse_devices, NO_LINE },
  { TRUE, "apic", parse_hull_apic, NO_LINE },
  { TRUE, "isolation", parse_hull_isolation, NO_LINE },
  { TRUE, "hyperv", parse_hull_hyperv, NO_LINE },
  { TRUE, "memory-layout", parse_hull_memory_layout, LINE (memory_layout) },
  { TRUE, "vtl2", parse_hull_vtl2, LINE (vtl2) },
  { TRUE, "test-program", parse_hull_test_program, LINE (test_program) },
};

static gboolean
parse_domain (ParseCtx *ctx, xmlNode *root, GError **error)
{
  HullDomainDef *def = ctx->def;
  guint seen[G_N_ELEMENTS (domain_elements)] = { 0 };
  g_autofree char *type = NULL;

  if (root->ns != NULL || strcmp ((const char *)root->name, "domain") != 0)
    {
      g_autofree char *display = node_display_name (root);

      g_set_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                   _ ("line %u: the root element is <%s>; a domain definition starts with "
                      "<domain>"),
                   node_line (root), display);
      return FALSE;
    }
  def->lines.domain = node_line (root);
  if (!check_attributes (ctx, root, ATTRS ("type"), error)
      || !require_attr (root, "type", &type, error))
    return FALSE;
  if (!hull_domain_type_from_string (type, &def->type))
    {
      set_node_error (error, root, HULL_ERROR_NOT_SUPPORTED,
                      _ ("domain type '%s' is not supported (use 'kvm' or 'test')"), type);
      return FALSE;
    }

  for (xmlNode *child = root->children;; child = child->next)
    {
      const DomainElement *element = NULL;
      gsize i;

      if (!next_element (root, &child, error))
        return FALSE;
      if (child == NULL)
        break;
      for (i = 0; i < G_N_ELEMENTS (domain_elements) && element == NULL; i++)
        if (node_is (child, domain_elements[i].hull, domain_elements[i].name))
          element = &domain_elements[i];
      if (element == NULL)
        {
          if (!unsupported (ctx, child, NULL, error))
            return FALSE;
          continue;
        }
      i--;
      if (!check_once (child, &seen[i], error))
        return FALSE;
      if (element->line_offset != NO_LINE)
        G_STRUCT_MEMBER (guint, &def->lines, element->line_offset) = seen[i];
      if (!element->parse (ctx, child, error))
        return FALSE;
    }

  if (def->name == NULL)
    {
      set_node_error (error, root, HULL_ERROR_XML_INVALID, _ ("<name> is missing"));
      return FALSE;
    }
  if (def->lines.memory == 0)
    {
      set_node_error (error, root, HULL_ERROR_XML_INVALID, _ ("<memory> is missing"));
      return FALSE;
    }
  if (def->lines.vcpu == 0)
    {
      set_node_error (error, root, HULL_ERROR_XML_INVALID, _ ("<vcpu> is missing"));
      return FALSE;
    }
  return TRUE;
}

static void
ignore_generic_error (void *context, const char *format, ...)
{
}

static void
ignore_structured_error (void *context, const xmlError *error)
{
}

/* Parses with libxml2's own error reporting silenced: some errors (encoding
 * conversion, I/O) bypass XML_PARSE_NOERROR and go to its global handlers,
 * which print to stderr. The handlers are per thread in libxml2, so
 * swapping them around one parse is safe; the parser context still records
 * the last error for our message. */
static xmlDoc *
read_quietly (xmlParserCtxt *parser, const char *xml, int length)
{
  xmlGenericErrorFunc saved_generic = xmlGenericError;
  void *saved_generic_context = xmlGenericErrorContext;
  xmlStructuredErrorFunc saved_structured = xmlStructuredError;
  void *saved_structured_context = xmlStructuredErrorContext;
  xmlDoc *doc;

  xmlSetGenericErrorFunc (NULL, ignore_generic_error);
  xmlSetStructuredErrorFunc (NULL, (xmlStructuredErrorFunc)ignore_structured_error);
  doc = xmlCtxtReadMemory (parser, xml, length, "domain.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                               | XML_PARSE_BIG_LINES | XML_PARSE_NOCDATA);
  xmlSetGenericErrorFunc (saved_generic_context, saved_generic);
  xmlSetStructuredErrorFunc (saved_structured_context, saved_structured);
  return doc;
}

static gpointer
init_libxml (gpointer data)
{
  xmlInitParser ();
  return NULL;
}

HullDomainDef *
hull_domain_def_parse_document (const char *xml, gsize length, HullDomainParseFlags flags,
                                GPtrArray *warnings, GError **error)
{
  static GOnce once = G_ONCE_INIT;
  g_autoptr (HullDomainDef) def = NULL;
  xmlParserCtxt *parser;
  xmlDoc *doc;
  ParseCtx ctx;
  gboolean ok;

  g_once (&once, init_libxml, NULL);

  if (length > HULL_DOMAIN_XML_MAX_SIZE)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("the domain XML is %zu bytes, more than the limit of %d"), length,
                   HULL_DOMAIN_XML_MAX_SIZE);
      return NULL;
    }
  G_STATIC_ASSERT (HULL_DOMAIN_XML_MAX_SIZE < G_MAXINT);

  parser = xmlNewParserCtxt ();
  if (parser == NULL)
    g_error ("out of memory creating an XML parser");
  doc = read_quietly (parser, xml, (int)length);
  if (doc == NULL || !parser->wellFormed)
    {
      const xmlError *err = xmlCtxtGetLastError (parser);
      g_autofree char *message
          = g_strstrip (g_strdup (err != NULL && err->message != NULL ? err->message : "?"));

      /* libxml2 adds detail on further lines; keep the message on one. */
      g_strdelimit (message, "\n", ' ');

      g_set_error (error, HULL_ERROR, HULL_ERROR_XML_SYNTAX, _ ("line %d: malformed XML: %s"),
                   err != NULL ? err->line : 0, message);
      xmlFreeDoc (doc);
      xmlFreeParserCtxt (parser);
      return NULL;
    }
  xmlFreeParserCtxt (parser);

  if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      g_set_error_literal (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                           _ ("a domain definition may not have a <!DOCTYPE> (Hull expands no "
                              "entities)"));
      xmlFreeDoc (doc);
      return NULL;
    }

  def = hull_domain_def_new ();
  ctx = (ParseCtx){ .flags = flags, .warnings = warnings, .def = def };
  ok = parse_domain (&ctx, xmlDocGetRootElement (doc), error);
  xmlFreeDoc (doc);
  return ok ? g_steal_pointer (&def) : NULL;
}
