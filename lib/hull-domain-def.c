/* hull-domain-def.c — the domain model: defaults, validation, and the three
 * parse phases put together. Parsing is in hull-domain-parse.c, formatting in
 * hull-domain-format.c. */
#include "config.h"

#include "hull-domain-private.h"

#include "hull-enum.h"
#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-units.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

HULL_ENUM_IMPL (hull_domain_type, HullDomainType, "kvm", "test")
HULL_ENUM_IMPL (hull_arch, HullArch, "x86_64")
HULL_ENUM_IMPL (hull_lifecycle_action, HullLifecycleAction, "destroy", "restart", "preserve",
                "rename-restart", "coredump-destroy", "coredump-restart")
HULL_ENUM_IMPL (hull_chardev_type, HullChardevType, "pty", "file", "unix", "null")
HULL_ENUM_IMPL (hull_unix_mode, HullUnixMode, "bind", "connect")
HULL_ENUM_IMPL (hull_disk_type, HullDiskType, "file", "block")
HULL_ENUM_IMPL (hull_isolation_type, HullIsolationType, "none", "vbs", "snp", "tdx")

/* ------------------------------------------------------------------ */
/* Construction */

HullChardevDef *
hull_chardev_def_new (HullChardevType type)
{
  HullChardevDef *chardev = g_new0 (HullChardevDef, 1);

  chardev->type = type;
  return chardev;
}

HullChardevDef *
hull_chardev_def_copy (const HullChardevDef *chardev)
{
  HullChardevDef *copy;

  g_return_val_if_fail (chardev != NULL, NULL);

  copy = g_memdup2 (chardev, sizeof *chardev);
  copy->path = g_strdup (chardev->path);
  return copy;
}

void
hull_chardev_def_free (HullChardevDef *chardev)
{
  if (chardev == NULL)
    return;
  g_free (chardev->path);
  g_free (chardev);
}

HullDiskDef *
hull_disk_def_new (void)
{
  return g_new0 (HullDiskDef, 1);
}

void
hull_disk_def_free (HullDiskDef *disk)
{
  if (disk == NULL)
    return;
  g_free (disk->source);
  g_free (disk->target_dev);
  g_free (disk->driver_name);
  g_free (disk);
}

HullDomainDef *
hull_domain_def_new (void)
{
  HullDomainDef *def = g_new0 (HullDomainDef, 1);

  def->type = HULL_DOMAIN_TYPE_KVM;
  def->arch = HULL_ARCH_X86_64;
  def->on_poweroff = HULL_LIFECYCLE_DESTROY;
  def->on_reboot = HULL_LIFECYCLE_RESTART;
  def->on_crash = HULL_LIFECYCLE_DESTROY;
  def->x2apic = HULL_X2APIC_REQUEST_SUPPORTED;
  def->isolation = HULL_ISOLATION_NONE;
  def->disks = g_ptr_array_new_with_free_func ((GDestroyNotify)hull_disk_def_free);
  def->serials = g_ptr_array_new_with_free_func ((GDestroyNotify)hull_chardev_def_free);
  def->consoles = g_ptr_array_new_with_free_func ((GDestroyNotify)hull_chardev_def_free);
  return def;
}

void
hull_domain_def_free (HullDomainDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  g_free (def->uuid);
  g_free (def->title);
  g_free (def->description);
  g_free (def->kernel);
  g_free (def->initrd);
  g_free (def->cmdline);
  g_ptr_array_unref (def->disks);
  g_ptr_array_unref (def->serials);
  g_ptr_array_unref (def->consoles);
  g_clear_pointer (&def->mmio_gaps, g_array_unref);
  hull_test_program_free (def->test_program);
  g_free (def);
}

/* ------------------------------------------------------------------ */
/* Paths */

/* @path with control characters as \xNN, for messages. */
static char *
escape_controls (const char *path)
{
  GString *out = g_string_new (NULL);

  for (const char *p = path; *p != '\0'; p++)
    {
      if ((guchar)*p < 0x20 || *p == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guint)(guchar)*p);
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

gboolean
hull_domain_check_path (const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);

  for (const char *p = path; *p != '\0'; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      {
        g_autofree char *shown = escape_controls (path);

        g_set_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                     _ ("path '%s' contains a control character"), shown);
        return FALSE;
      }
  if (!g_path_is_absolute (path))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_XML_INVALID,
                   _ ("path '%s' is not absolute; write the full path from '/'"), path);
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Post-parse defaults */

static HullChardevDef *
find_serial (const HullDomainDef *def, guint port)
{
  for (guint i = 0; i < def->serials->len; i++)
    {
      HullChardevDef *serial = g_ptr_array_index (def->serials, i);

      if (serial->port_set && serial->port == port)
        return serial;
    }
  return NULL;
}

/* libvirt rounds sizes up to whole KiB; Hull's guest memory comes in 4 KiB
 * pages, so it rounds up to those. Rounding cannot overflow below the 4 PiB
 * maximum; a size so close to 2^64 that it would is left as it is, for
 * validation to reject as too large. */
static void
round_up_to_page (guint64 *bytes)
{
  guint64 sum;

  if (*bytes % HULL_MEMORY_LAYOUT_PAGE_SIZE != 0
      && g_uint64_checked_add (&sum, *bytes, HULL_MEMORY_LAYOUT_PAGE_SIZE - 1))
    *bytes = sum & ~(HULL_MEMORY_LAYOUT_PAGE_SIZE - 1);
}

gboolean
hull_domain_def_post_parse (HullDomainDef *def, GError **error)
{
  g_return_val_if_fail (def != NULL, FALSE);

  if (def->uuid == NULL)
    def->uuid = g_uuid_string_random ();
  round_up_to_page (&def->memory);
  round_up_to_page (&def->current_memory);
  /* An explicit <currentMemory>0</currentMemory> stays, for validation. */
  if (def->current_memory == 0 && def->lines.current_memory == 0)
    def->current_memory = def->memory;
  if (!def->topology_set)
    {
      def->sockets = def->vcpus;
      def->dies = def->cores = def->threads = 1;
      def->topology_set = TRUE;
    }

  /* A console is a view of a serial port; give it one if there is none. */
  if (def->serials->len == 0 && def->consoles->len > 0)
    g_ptr_array_add (def->serials, hull_chardev_def_copy (g_ptr_array_index (def->consoles, 0)));

  /* Serial ports without a target port take the lowest free one. */
  for (guint i = 0; i < def->serials->len; i++)
    {
      HullChardevDef *serial = g_ptr_array_index (def->serials, i);
      guint port = 0;

      if (serial->port_set)
        continue;
      while (find_serial (def, port) != NULL)
        port++;
      serial->port = port;
      serial->port_set = TRUE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Validation */

static void G_GNUC_PRINTF (5, 6) set_def_error (GError **error, const HullDomainDef *def,
                                                guint line, HullError code, const char *format, ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (line != 0)
    g_set_error (error, HULL_ERROR, code, _ ("domain '%s': line %u: %s"), def->name, line, what);
  else
    g_set_error (error, HULL_ERROR, code, _ ("domain '%s': %s"), def->name, what);
}

static gboolean
validate_name (const HullDomainDef *def, GError **error)
{
  const char *name = def->name;
  gsize length = name != NULL ? strlen (name) : 0;
  const char *problem = NULL;

  if (length == 0)
    problem = _ ("a domain name may not be empty");
  else if (length > HULL_DOMAIN_MAX_NAME)
    problem = _ ("a domain name may have at most 64 bytes");
  else if (!g_utf8_validate (name, length, NULL))
    problem = _ ("a domain name must be UTF-8");
  else if (strchr (name, '/') != NULL)
    problem = _ ("a domain name may not contain '/'");
  else if (name[0] == '.')
    problem = _ ("a domain name may not start with '.'");
  else if (g_ascii_isspace (name[0]) || g_ascii_isspace (name[length - 1]))
    problem = _ ("a domain name may not start or end with white space");
  else
    for (const char *p = name; *p != '\0' && problem == NULL; p = g_utf8_next_char (p))
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        problem = _ ("a domain name may not contain control characters");

  if (problem != NULL)
    {
      g_autofree char *shown = g_strescape (name != NULL ? name : "", NULL);

      g_set_error (error, HULL_ERROR,
                   length > HULL_DOMAIN_MAX_NAME ? HULL_ERROR_LIMIT_EXCEEDED
                                                 : HULL_ERROR_XML_INVALID,
                   _ ("line %u: <name>: '%s': %s"), def->lines.name, shown, problem);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_memory (const HullDomainDef *def, GError **error)
{
  g_autofree char *size = hull_units_format_size (def->memory);

  if (def->memory < HULL_DOMAIN_MIN_MEMORY)
    {
      set_def_error (error, def, def->lines.memory, HULL_ERROR_XML_INVALID,
                     _ ("memory %s is below the 16 MiB minimum"), size);
      return FALSE;
    }
  if (def->memory > HULL_DOMAIN_MAX_MEMORY)
    {
      set_def_error (error, def, def->lines.memory, HULL_ERROR_LIMIT_EXCEEDED,
                     _ ("memory %s is above the 4 PiB maximum"), size);
      return FALSE;
    }
  /* Post-parse rounds parsed sizes; this catches definitions built in code. */
  if (def->memory % HULL_MEMORY_LAYOUT_PAGE_SIZE != 0)
    {
      set_def_error (error, def, def->lines.memory, HULL_ERROR_XML_INVALID,
                     _ ("memory %s is not a multiple of 4 KiB"), size);
      return FALSE;
    }
  if (def->current_memory > def->memory || def->current_memory == 0
      || def->current_memory % HULL_MEMORY_LAYOUT_PAGE_SIZE != 0)
    {
      g_autofree char *current = hull_units_format_size (def->current_memory);

      set_def_error (error, def, def->lines.current_memory, HULL_ERROR_XML_INVALID,
                     _ ("current memory %s must be above zero, a multiple of 4 KiB and at most "
                        "memory %s"),
                     current, size);
      return FALSE;
    }
  return TRUE;
}

/* The topology's own errors are about the definition: report them as such. */
static void
adopt_error (GError **error, GError *local, const HullDomainDef *def, guint line)
{
  HullError code = local->code == HULL_ERROR_LIMIT_EXCEEDED ? HULL_ERROR_LIMIT_EXCEEDED
                                                            : HULL_ERROR_XML_INVALID;

  set_def_error (error, def, line, code, "%s", local->message);
  g_error_free (local);
}

/* hull_domain_check_path() with the domain and line added. */
static gboolean
check_path (const HullDomainDef *def, guint line, const char *path, GError **error)
{
  GError *local = NULL;

  if (hull_domain_check_path (path, &local))
    return TRUE;
  set_def_error (error, def, line, local->code, "%s", local->message);
  g_error_free (local);
  return FALSE;
}

static gboolean
validate_cpus (const HullDomainDef *def, GError **error)
{
  guint64 product;
  GError *local = NULL;
  g_autoptr (HullProcessorTopology) topology = NULL;
  guint line = def->lines.topology != 0 ? def->lines.topology : def->lines.vcpu;

  if (def->vcpus == 0)
    {
      set_def_error (error, def, def->lines.vcpu, HULL_ERROR_XML_INVALID,
                     _ ("a domain needs at least one vCPU"));
      return FALSE;
    }
  if (def->vcpus > HULL_DOMAIN_MAX_VCPUS)
    {
      set_def_error (error, def, def->lines.vcpu, HULL_ERROR_LIMIT_EXCEEDED,
                     _ ("%u vCPUs is more than the maximum of %d"), def->vcpus,
                     HULL_DOMAIN_MAX_VCPUS);
      return FALSE;
    }
  if (def->sockets == 0 || def->dies == 0 || def->cores == 0 || def->threads == 0)
    {
      set_def_error (error, def, line, HULL_ERROR_XML_INVALID,
                     _ ("<topology>: sockets, dies, cores and threads must each be at least 1"));
      return FALSE;
    }
  product = (guint64)def->sockets * def->dies;
  if (product > HULL_DOMAIN_MAX_VCPUS || (product *= def->cores) > HULL_DOMAIN_MAX_VCPUS
      || (product *= def->threads) != def->vcpus)
    {
      set_def_error (error, def, line, HULL_ERROR_XML_INVALID,
                     _ ("the topology (sockets=%u, dies=%u, cores=%u, threads=%u) does not "
                        "match the vCPU count %u"),
                     def->sockets, def->dies, def->cores, def->threads, def->vcpus);
      return FALSE;
    }
  topology = hull_domain_def_build_topology (def, &local);
  if (topology == NULL)
    {
      adopt_error (error, local, def, line);
      return FALSE;
    }
  return TRUE;
}

/* Nothing may end above the 52-bit physical address limit: the guest could
 * not address it (and 64-bit addresses do not survive JSON's int64). */
static gboolean
validate_address_limit (const HullDomainDef *def, GError **error)
{
  for (guint i = 0; def->mmio_gaps != NULL && i < def->mmio_gaps->len; i++)
    {
      const HullMemoryRange *gap = &g_array_index (def->mmio_gaps, HullMemoryRange, i);

      if (gap->end > HULL_DOMAIN_MAX_ADDRESS)
        {
          set_def_error (error, def, def->lines.memory_layout, HULL_ERROR_LIMIT_EXCEEDED,
                         _ ("the MMIO gap at 0x%llx ends at 0x%llx, above the 52-bit physical "
                            "address limit"),
                         (unsigned long long)gap->start, (unsigned long long)gap->end);
          return FALSE;
        }
    }
  if (def->has_vtl2 && def->vtl2.end > HULL_DOMAIN_MAX_ADDRESS)
    {
      set_def_error (error, def, def->lines.vtl2, HULL_ERROR_LIMIT_EXCEEDED,
                     _ ("the VTL2 range ends at 0x%llx, above the 52-bit physical address "
                        "limit"),
                     (unsigned long long)def->vtl2.end);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_layout (const HullDomainDef *def, GError **error)
{
  GError *local = NULL;
  g_autoptr (HullMemoryLayout) layout = NULL;
  guint line = def->lines.memory_layout;
  guint64 end_of_ram;

  if (!validate_address_limit (def, error))
    return FALSE;
  layout = hull_domain_def_build_memory_layout (def, &local);
  if (layout == NULL)
    {
      if (line == 0)
        line = def->lines.vtl2 != 0 ? def->lines.vtl2 : def->lines.memory;
      adopt_error (error, local, def, line);
      return FALSE;
    }
  /* RAM goes around the gaps, so it can end above the limit even when its
   * size is below it. */
  end_of_ram = hull_memory_layout_get_end_of_ram (layout);
  if (end_of_ram > HULL_DOMAIN_MAX_ADDRESS)
    {
      g_autofree char *size = hull_units_format_size (def->memory);

      set_def_error (error, def, def->lines.memory, HULL_ERROR_LIMIT_EXCEEDED,
                     _ ("RAM of %s ends at 0x%llx, above the 52-bit physical address limit"), size,
                     (unsigned long long)end_of_ram);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_os (const HullDomainDef *def, GError **error)
{
  const char *const paths[] = { def->kernel, def->initrd };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    if (paths[i] != NULL && !check_path (def, def->lines.os, paths[i], error))
      return FALSE;
  if (def->kernel == NULL && (def->initrd != NULL || def->cmdline != NULL))
    {
      set_def_error (error, def, def->lines.os, HULL_ERROR_XML_INVALID,
                     _ ("<initrd> and <cmdline> need a <kernel>"));
      return FALSE;
    }
  if (def->type == HULL_DOMAIN_TYPE_KVM && def->kernel == NULL)
    {
      set_def_error (error, def, def->lines.os != 0 ? def->lines.os : def->lines.domain,
                     HULL_ERROR_XML_INVALID,
                     _ ("a 'kvm' domain boots a kernel directly and needs <os><kernel>; Hull has "
                        "no firmware"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_lifecycle_one (const HullDomainDef *def, const char *element, HullLifecycleAction action,
                        gboolean crash, guint line, GError **error)
{
  if ((action == HULL_LIFECYCLE_COREDUMP_DESTROY || action == HULL_LIFECYCLE_COREDUMP_RESTART)
      && !crash)
    {
      set_def_error (error, def, line, HULL_ERROR_XML_INVALID,
                     _ ("<%s>: '%s' applies only to <on_crash>"), element,
                     hull_lifecycle_action_to_string (action));
      return FALSE;
    }
  if (action > HULL_LIFECYCLE_PRESERVE)
    {
      set_def_error (error, def, line, HULL_ERROR_NOT_SUPPORTED,
                     _ ("<%s>: action '%s' is not supported (use destroy, restart or preserve)"),
                     element, hull_lifecycle_action_to_string (action));
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_lifecycle (const HullDomainDef *def, GError **error)
{
  return validate_lifecycle_one (def, "on_poweroff", def->on_poweroff, FALSE,
                                 def->lines.on_poweroff, error)
         && validate_lifecycle_one (def, "on_reboot", def->on_reboot, FALSE, def->lines.on_reboot,
                                    error)
         && validate_lifecycle_one (def, "on_crash", def->on_crash, TRUE, def->lines.on_crash,
                                    error);
}

static gboolean
validate_chardev_path (const HullDomainDef *def, const HullChardevDef *chardev, GError **error)
{
  gboolean needs_path = chardev->type == HULL_CHARDEV_FILE || chardev->type == HULL_CHARDEV_UNIX;

  if (needs_path && chardev->path == NULL)
    {
      set_def_error (error, def, chardev->line, HULL_ERROR_XML_INVALID,
                     _ ("a '%s' character device needs <source path='…'/>"),
                     hull_chardev_type_to_string (chardev->type));
      return FALSE;
    }
  if (needs_path && !check_path (def, chardev->line, chardev->path, error))
    return FALSE;
  if (!needs_path && chardev->path != NULL)
    {
      set_def_error (error, def, chardev->line, HULL_ERROR_XML_INVALID,
                     _ ("a '%s' character device takes no <source>"),
                     hull_chardev_type_to_string (chardev->type));
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_serials (const HullDomainDef *def, GError **error)
{
  if (def->serials->len > HULL_DOMAIN_MAX_SERIALS)
    {
      const HullChardevDef *extra = g_ptr_array_index (def->serials, HULL_DOMAIN_MAX_SERIALS);

      set_def_error (error, def, extra->line, HULL_ERROR_LIMIT_EXCEEDED,
                     _ ("a domain has at most %d serial ports"), HULL_DOMAIN_MAX_SERIALS);
      return FALSE;
    }
  for (guint i = 0; i < def->serials->len; i++)
    {
      const HullChardevDef *serial = g_ptr_array_index (def->serials, i);

      if (!validate_chardev_path (def, serial, error))
        return FALSE;
      if (serial->port >= HULL_DOMAIN_MAX_SERIALS)
        {
          set_def_error (error, def, serial->line, HULL_ERROR_XML_INVALID,
                         _ ("serial port %u does not exist; ports are 0 to 3 (ttyS0 to ttyS3)"),
                         serial->port);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        {
          const HullChardevDef *other = g_ptr_array_index (def->serials, j);

          if (other->port == serial->port)
            {
              set_def_error (error, def, serial->line, HULL_ERROR_XML_INVALID,
                             _ ("serial port %u is already used (line %u)"), serial->port,
                             other->line);
              return FALSE;
            }
        }
    }
  for (guint i = 0; i < def->consoles->len; i++)
    {
      const HullChardevDef *console = g_ptr_array_index (def->consoles, i);
      const HullChardevDef *serial = find_serial (def, console->port);

      if (serial == NULL)
        {
          set_def_error (error, def, console->line, HULL_ERROR_XML_INVALID,
                         _ ("the console shows serial port %u, which the domain does not have"),
                         console->port);
          return FALSE;
        }
      if (console->type != serial->type || g_strcmp0 (console->path, serial->path) != 0
          || (console->type == HULL_CHARDEV_UNIX && console->mode != serial->mode))
        {
          set_def_error (error, def, console->line, HULL_ERROR_XML_INVALID,
                         _ ("the console differs from serial port %u (line %u); a console has "
                            "the type and source of its serial port"),
                         console->port, serial->line);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
is_virtio_disk_name (const char *dev)
{
  if (dev == NULL || !g_str_has_prefix (dev, "vd") || dev[2] == '\0' || strlen (dev) > 5)
    return FALSE;
  for (const char *p = dev + 2; *p != '\0'; p++)
    if (*p < 'a' || *p > 'z')
      return FALSE;
  return TRUE;
}

static gboolean
validate_disks (const HullDomainDef *def, GError **error)
{
  for (guint i = 0; i < def->disks->len; i++)
    {
      const HullDiskDef *disk = g_ptr_array_index (def->disks, i);

      if (disk->source == NULL)
        {
          set_def_error (error, def, disk->line, HULL_ERROR_XML_INVALID,
                         _ ("a disk needs a <source>"));
          return FALSE;
        }
      if (!check_path (def, disk->line, disk->source, error))
        return FALSE;
      if (!is_virtio_disk_name (disk->target_dev))
        {
          set_def_error (error, def, disk->line, HULL_ERROR_XML_INVALID,
                         _ ("disk target '%s' is not a virtio disk name (vda, vdb, …)"),
                         disk->target_dev != NULL ? disk->target_dev : "");
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        {
          const HullDiskDef *other = g_ptr_array_index (def->disks, j);

          if (strcmp (other->target_dev, disk->target_dev) == 0)
            {
              set_def_error (error, def, disk->line, HULL_ERROR_XML_INVALID,
                             _ ("disk target '%s' is already used (line %u)"), disk->target_dev,
                             other->line);
              return FALSE;
            }
        }
    }
  return TRUE;
}

static gboolean
validate_test_program (const HullDomainDef *def, GError **error)
{
  GError *local = NULL;

  if (def->test_program == NULL)
    return TRUE;
  if (def->type != HULL_DOMAIN_TYPE_TEST)
    {
      set_def_error (error, def, def->lines.test_program, HULL_ERROR_XML_INVALID,
                     _ ("<hull:test-program> needs <domain type='test'>"));
      return FALSE;
    }
  if (!hull_test_program_validate (def->test_program, def->vcpus, &local))
    {
      set_def_error (error, def, 0, local->code, "%s", local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}

gboolean
hull_domain_def_validate (const HullDomainDef *def, GError **error)
{
  g_return_val_if_fail (def != NULL, FALSE);

  if (!validate_name (def, error))
    return FALSE;
  if (def->uuid == NULL || !g_uuid_string_is_valid (def->uuid))
    {
      set_def_error (error, def, 0, HULL_ERROR_XML_INVALID, _ ("the domain has no valid UUID"));
      return FALSE;
    }
  if (def->title != NULL && strpbrk (def->title, "\r\n") != NULL)
    {
      set_def_error (error, def, def->lines.title, HULL_ERROR_XML_INVALID,
                     _ ("<title>: a title must be a single line"));
      return FALSE;
    }
  return validate_memory (def, error) && validate_cpus (def, error) && validate_layout (def, error)
         && validate_os (def, error) && validate_lifecycle (def, error)
         && validate_serials (def, error) && validate_disks (def, error)
         && validate_test_program (def, error);
}

/* ------------------------------------------------------------------ */
/* Derived objects */

HullProcessorTopology *
hull_domain_def_build_topology (const HullDomainDef *def, GError **error)
{
  g_return_val_if_fail (def != NULL, NULL);
  g_return_val_if_fail (def->topology_set, NULL);

  return hull_processor_topology_new (def->sockets, def->dies, def->cores, def->threads,
                                      def->x2apic, 0, error);
}

HullMemoryLayout *
hull_domain_def_build_memory_layout (const HullDomainDef *def, GError **error)
{
  const HullMemoryRange *gaps;
  guint n_gaps;

  g_return_val_if_fail (def != NULL, NULL);

  if (def->mmio_gaps != NULL)
    {
      gaps = (const HullMemoryRange *)def->mmio_gaps->data;
      n_gaps = def->mmio_gaps->len;
    }
  else
    gaps = hull_memory_layout_default_mmio_gaps_x86_64 (&n_gaps);
  return hull_memory_layout_new (def->memory, gaps, n_gaps, def->has_vtl2 ? &def->vtl2 : NULL,
                                 error);
}

/* ------------------------------------------------------------------ */
/* The three phases */

HullDomainDef *
hull_domain_def_parse (const char *xml, gssize length, HullDomainParseFlags flags,
                       GPtrArray **warnings, GError **error)
{
  g_autoptr (GPtrArray) collected = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (HullDomainDef) def = NULL;
  gboolean ok;

  g_return_val_if_fail (xml != NULL, NULL);

  def = hull_domain_def_parse_document (xml, length < 0 ? strlen (xml) : (gsize)length, flags,
                                        collected, error);
  ok = def != NULL && hull_domain_def_post_parse (def, error)
       && ((flags & HULL_DOMAIN_PARSE_NO_VALIDATE) || hull_domain_def_validate (def, error));
  /* On failure too: what a lenient parse skipped helps explain the error. */
  if (warnings != NULL)
    *warnings = g_steal_pointer (&collected);
  return ok ? g_steal_pointer (&def) : NULL;
}

char *
hull_domain_def_read_fd (int fd, const char *name, gsize *length, GError **error)
{
  /* One byte more than the limit tells a document that is too large. */
  const gsize limit = (gsize)HULL_DOMAIN_XML_MAX_SIZE + 1;
  gsize allocated = 64 * 1024;
  gsize size = 0;
  g_autofree char *buffer = NULL;

  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (length != NULL, NULL);

  buffer = g_malloc (allocated + 1);
  while (size < limit)
    {
      gssize n;

      if (size == allocated)
        {
          allocated = MIN (allocated * 2, limit);
          buffer = g_realloc (buffer, allocated + 1);
        }
      n = read (fd, buffer + size, allocated - size);
      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot read '%s': %s"), name,
                       g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        {
          buffer[size] = '\0';
          *length = size;
          return g_steal_pointer (&buffer);
        }
      size += (gsize)n;
    }
  g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
               _ ("%s: more than %d bytes of domain XML"), name, HULL_DOMAIN_XML_MAX_SIZE);
  return NULL;
}

HullDomainDef *
hull_domain_def_parse_file (const char *path, HullDomainParseFlags flags, GPtrArray **warnings,
                            GError **error)
{
  g_autofree char *contents = NULL;
  HullDomainDef *def;
  gsize length;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  /* Not only regular files: a FIFO, /dev/stdin or <(command) work too, and
   * hull_domain_def_read_fd() bounds what is read from any of them. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, saved_errno == ENOENT ? HULL_ERROR_NOT_FOUND : HULL_ERROR_IO,
                   _ ("cannot open '%s': %s"), path, g_strerror (saved_errno));
      return NULL;
    }
  contents = hull_domain_def_read_fd (fd, path, &length, error);
  close (fd);
  if (contents == NULL)
    return NULL;
  def = hull_domain_def_parse (contents, length, flags, warnings, error);
  if (def == NULL)
    g_prefix_error (error, "%s: ", path);
  return def;
}
