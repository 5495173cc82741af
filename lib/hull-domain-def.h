/* hull-domain-def.h — a domain definition: the model behind domain XML.
 *
 * The format is a libvirt-compatible subset plus Hull-only settings in the
 * https://hullvm.org/schemas/domain/1 namespace; docs/domain-xml.md describes
 * it. Parsing runs three phases (parse, post-parse defaults, validate);
 * formatting is canonical and round-trips.
 */
#pragma once

#include <glib.h>

#include "hull-memory-layout.h"
#include "hull-test-program.h"
#include "hull-topology.h"

G_BEGIN_DECLS

#define HULL_DOMAIN_XML_NAMESPACE "https://hullvm.org/schemas/domain/1"

/* Limits checked by validation. */
#define HULL_DOMAIN_MIN_MEMORY (G_GUINT64_CONSTANT (16) << 20)
#define HULL_DOMAIN_MAX_MEMORY (G_GUINT64_CONSTANT (1) << 52)
/* The x86 physical address limit (52 bits): RAM, MMIO gaps and the VTL2
 * range all end at or below it. */
#define HULL_DOMAIN_MAX_ADDRESS (G_GUINT64_CONSTANT (1) << 52)
#define HULL_DOMAIN_MAX_VCPUS 4096
#define HULL_DOMAIN_MAX_SERIALS 4
#define HULL_DOMAIN_MAX_NAME 64
#define HULL_DOMAIN_XML_MAX_SIZE (4 << 20)

typedef enum
{
  HULL_DOMAIN_TYPE_KVM,
  HULL_DOMAIN_TYPE_TEST,
} HullDomainType;

typedef enum
{
  HULL_ARCH_X86_64,
} HullArch;

/* libvirt's virDomainLifecycleAction; Hull runs the first three. */
typedef enum
{
  HULL_LIFECYCLE_DESTROY,
  HULL_LIFECYCLE_RESTART,
  HULL_LIFECYCLE_PRESERVE,
  HULL_LIFECYCLE_RENAME_RESTART,
  HULL_LIFECYCLE_COREDUMP_DESTROY,
  HULL_LIFECYCLE_COREDUMP_RESTART,
} HullLifecycleAction;

typedef enum
{
  HULL_CHARDEV_PTY,
  HULL_CHARDEV_FILE,
  HULL_CHARDEV_UNIX,
  HULL_CHARDEV_NULL,
} HullChardevType;

typedef enum
{
  HULL_UNIX_MODE_BIND,
  HULL_UNIX_MODE_CONNECT,
} HullUnixMode;

typedef enum
{
  HULL_DISK_FILE,
  HULL_DISK_BLOCK,
} HullDiskType;

typedef enum
{
  HULL_ISOLATION_NONE,
  HULL_ISOLATION_VBS,
  HULL_ISOLATION_SNP,
  HULL_ISOLATION_TDX,
} HullIsolationType;

/**
 * HullChardevDef:
 * @type: how the host side is connected
 * @path: (nullable): file or socket path (FILE, UNIX)
 * @mode: UNIX: listen (bind) or connect
 * @port: the serial port (0..3): a serial's target port, or the port a
 *   console shows
 * @port_set: whether @port was given (post-parse assigns the others)
 * @line: source line
 */
typedef struct
{
  HullChardevType type;
  char *path;
  HullUnixMode mode;
  guint port;
  gboolean port_set;
  guint line;
} HullChardevDef;

/**
 * HullDiskDef:
 * @type: file or block device
 * @source: absolute path of the image or device
 * @target_dev: guest name, vd[a-z]+
 * @driver_name: (nullable): the <driver name>, kept as given
 * @readonly: the guest may not write
 * @line: source line
 */
typedef struct
{
  HullDiskType type;
  char *source;
  char *target_dev;
  char *driver_name;
  gboolean readonly;
  guint line;
} HullDiskDef;

/* Source lines of elements that validation reports on; 0 = absent. */
typedef struct
{
  guint domain;
  guint name;
  guint title;
  guint memory;
  guint current_memory;
  guint vcpu;
  guint topology;
  guint os;
  guint memory_layout;
  guint vtl2;
  guint test_program;
  guint on_poweroff, on_reboot, on_crash;
} HullDomainDefLines;

/**
 * HullDomainDef:
 *
 * A parsed domain definition. Sizes are in bytes. Fields are public, like
 * libvirt's virDomainDef; change them only through a parse or before
 * hull_domain_def_validate().
 */
typedef struct
{
  HullDomainType type;
  char *name;
  char *uuid; /* lower-case RFC 4122 text form */
  char *title;
  char *description;

  guint64 memory;
  guint64 current_memory;
  guint vcpus;

  gboolean topology_set;
  guint sockets, dies, cores, threads;

  HullArch arch;
  char *kernel;
  char *initrd;
  char *cmdline;

  HullLifecycleAction on_poweroff;
  HullLifecycleAction on_reboot;
  HullLifecycleAction on_crash;

  GPtrArray *disks;    /* HullDiskDef */
  GPtrArray *serials;  /* HullChardevDef */
  GPtrArray *consoles; /* HullChardevDef */

  /* hull: namespace */
  HullX2ApicRequest x2apic;
  gboolean user_mode_apic;
  HullIsolationType isolation;
  gboolean hyperv;
  GArray *mmio_gaps; /* HullMemoryRange; NULL = the default gaps */
  gboolean has_vtl2;
  HullMemoryRange vtl2;
  HullTestProgram *test_program; /* NULL when absent */

  HullDomainDefLines lines;
} HullDomainDef;

/**
 * HullDomainParseFlags:
 * @HULL_DOMAIN_PARSE_NONE: strict parsing
 * @HULL_DOMAIN_PARSE_LENIENT: skip elements and attributes Hull does not
 *   support, listing each as a warning, instead of failing
 * @HULL_DOMAIN_PARSE_NO_VALIDATE: stop after post-parse defaults
 */
typedef enum
{
  HULL_DOMAIN_PARSE_NONE = 0,
  HULL_DOMAIN_PARSE_LENIENT = 1 << 0,
  HULL_DOMAIN_PARSE_NO_VALIDATE = 1 << 1,
} HullDomainParseFlags;

HullDomainDef *hull_domain_def_new (void);
void hull_domain_def_free (HullDomainDef *def);

/**
 * hull_domain_def_parse:
 * @xml: the document
 * @length: its length, or -1 if nul-terminated
 * @flags: #HullDomainParseFlags
 * @warnings: (out) (optional) (element-type utf8) (transfer full): with
 *   %HULL_DOMAIN_PARSE_LENIENT, what was skipped; an empty array otherwise.
 *   Set on failure too, to what was skipped before the error, so that a
 *   caller can show the warnings along with the error.
 * @error: %HULL_ERROR_XML_SYNTAX (not well-formed), %HULL_ERROR_XML_INVALID
 *   (wrong or inconsistent values), %HULL_ERROR_NOT_SUPPORTED (an element,
 *   attribute or value Hull does not support), %HULL_ERROR_LIMIT_EXCEEDED (too
 *   large); messages name the element and its line
 *
 * Parses, applies defaults and validates a definition.
 *
 * Returns: (transfer full): the definition, or %NULL with @error set.
 */
HullDomainDef *hull_domain_def_parse (const char *xml, gssize length, HullDomainParseFlags flags,
                                      GPtrArray **warnings, GError **error);

/**
 * hull_domain_def_parse_file:
 * @path: a file (any kind that can be read: a regular file, a FIFO, a
 *   character device, /dev/fd/N)
 * @flags, @warnings, @error: as for hull_domain_def_parse(); a file that
 *   does not exist gives %HULL_ERROR_NOT_FOUND, one that cannot be read
 *   %HULL_ERROR_IO, one with more than %HULL_DOMAIN_XML_MAX_SIZE bytes
 *   %HULL_ERROR_LIMIT_EXCEEDED (see hull_domain_def_read_fd()); every
 *   message names @path
 *
 * Returns: (transfer full): the definition, or %NULL with @error set.
 */
HullDomainDef *hull_domain_def_parse_file (const char *path, HullDomainParseFlags flags,
                                           GPtrArray **warnings, GError **error);

/**
 * hull_domain_def_read_fd:
 * @fd: a file descriptor open for reading; not closed
 * @name: what @fd is, for messages: a file name, "<stdin>"
 * @length: (out): the number of bytes read
 * @error: %HULL_ERROR_LIMIT_EXCEEDED when @fd holds more than
 *   %HULL_DOMAIN_XML_MAX_SIZE bytes (found by reading one byte more, never
 *   further, so an endless source such as /dev/zero or a pipe fails
 *   quickly), %HULL_ERROR_IO when reading fails (a directory, say); the
 *   message names @name
 *
 * Reads a domain XML document from @fd to its end. Blocks while @fd does.
 *
 * Returns: (transfer full): the bytes read plus a terminating nul, or %NULL
 *   with @error set.
 */
char *hull_domain_def_read_fd (int fd, const char *name, gsize *length, GError **error);

/**
 * hull_domain_def_post_parse:
 * @def: a definition straight from the parser
 * @error: %HULL_ERROR_XML_INVALID when a default cannot be chosen
 *
 * Fills in defaults: UUID, current memory, topology, serial ports behind
 * consoles and serial target ports; rounds memory and current memory up to
 * a multiple of 4 KiB. Idempotent.
 */
gboolean hull_domain_def_post_parse (HullDomainDef *def, GError **error);

/**
 * hull_domain_def_validate:
 * @def: a definition after hull_domain_def_post_parse()
 * @error: as for hull_domain_def_parse()
 *
 * Checks values against each other and against Hull's limits, and that the
 * processor topology and memory layout can be built. Changes nothing.
 */
gboolean hull_domain_def_validate (const HullDomainDef *def, GError **error);

/**
 * hull_domain_def_format:
 * @def: a valid definition
 *
 * Returns: (transfer full): canonical XML, ending in a newline.
 */
char *hull_domain_def_format (const HullDomainDef *def);

/**
 * hull_domain_def_build_topology:
 * @def: a definition after post-parse
 * @error: the topology's error
 *
 * Returns: (transfer full): the processor topology @def describes.
 */
HullProcessorTopology *hull_domain_def_build_topology (const HullDomainDef *def, GError **error);

/**
 * hull_domain_def_build_memory_layout:
 * @def: a definition after post-parse
 * @error: the layout's error
 *
 * Returns: (transfer full): RAM of @def's size around its MMIO gaps (the
 *   x86-64 defaults unless <hull:memory-layout> gives others).
 */
HullMemoryLayout *hull_domain_def_build_memory_layout (const HullDomainDef *def, GError **error);

const char *hull_domain_type_to_string (HullDomainType type);
gboolean hull_domain_type_from_string (const char *name, HullDomainType *type);
const char *hull_arch_to_string (HullArch arch);
gboolean hull_arch_from_string (const char *name, HullArch *arch);
const char *hull_lifecycle_action_to_string (HullLifecycleAction action);
gboolean hull_lifecycle_action_from_string (const char *name, HullLifecycleAction *action);
const char *hull_chardev_type_to_string (HullChardevType type);
gboolean hull_chardev_type_from_string (const char *name, HullChardevType *type);
const char *hull_unix_mode_to_string (HullUnixMode mode);
gboolean hull_unix_mode_from_string (const char *name, HullUnixMode *mode);
const char *hull_disk_type_to_string (HullDiskType type);
gboolean hull_disk_type_from_string (const char *name, HullDiskType *type);
const char *hull_isolation_type_to_string (HullIsolationType type);
gboolean hull_isolation_type_from_string (const char *name, HullIsolationType *type);

HullChardevDef *hull_chardev_def_new (HullChardevType type);
HullChardevDef *hull_chardev_def_copy (const HullChardevDef *chardev);
void hull_chardev_def_free (HullChardevDef *chardev);
HullDiskDef *hull_disk_def_new (void);
void hull_disk_def_free (HullDiskDef *disk);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullDomainDef, hull_domain_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullChardevDef, hull_chardev_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HullDiskDef, hull_disk_def_free)

G_END_DECLS
