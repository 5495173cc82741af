/* hull-x86-boot-private.h — what hull-x86-boot.c shares with the ELF and
 * bzImage loaders (not installed).
 *
 * A loader parses and checks its kernel against the layout and describes it
 * as a #HullKernelImage: the segments to copy, the entry point, the setup
 * header for the zero page and the kernel's limits. It writes nothing;
 * hull_x86_boot_load() writes once every check has passed.
 */
#pragma once

#include <glib.h>

#include "hull-x86-boot.h"

G_BEGIN_DECLS

/* struct boot_params (Documentation/arch/x86/zero-page.rst, boot.rst). */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_SETUP_HEADER 0x1f1 /* setup_sects: the setup header starts here */
#define BP_VID_MODE 0x1fa
#define BP_BOOT_FLAG 0x1fe
#define BP_JUMP 0x200
#define BP_HEADER 0x202
#define BP_VERSION 0x206
#define BP_TYPE_OF_LOADER 0x210
#define BP_LOADFLAGS 0x211
#define BP_RAMDISK_IMAGE 0x218
#define BP_RAMDISK_SIZE 0x21c
#define BP_CMD_LINE_PTR 0x228
#define BP_INITRD_ADDR_MAX 0x22c
#define BP_KERNEL_ALIGNMENT 0x230
#define BP_RELOCATABLE_KERNEL 0x234
#define BP_XLOADFLAGS 0x236
#define BP_CMDLINE_SIZE 0x238
#define BP_SETUP_DATA 0x250
#define BP_PREF_ADDRESS 0x258
#define BP_INIT_SIZE 0x260
#define BP_E820_TABLE 0x2d0
#define BP_SIZE 0x1000

#define BOOT_FLAG_MAGIC 0xaa55
#define HDRS_MAGIC 0x53726448 /* "HdrS" */
#define LOADED_HIGH 0x01
#define XLF_KERNEL_64 0x01
#define TYPE_OF_LOADER_UNDEFINED 0xff

#define GIB4 G_GUINT64_CONSTANT (0x100000000)

typedef unsigned long long ull;

/* A kernel or initrd being read. Regular files are read with pread();
 * anything else is read whole into @contents first, bounded. */
typedef struct
{
  char *name; /* for messages */
  int fd;
  gboolean close_fd;
  guint64 size;
  GBytes *contents; /* non-regular files only */
} HullBootFile;

/* A piece of the kernel: @file_size bytes from @file_offset copied to
 * @address, then zeros up to @mem_size. */
typedef struct
{
  guint64 address;
  guint64 file_offset;
  guint64 file_size;
  guint64 mem_size;
} HullBootSegment;

typedef struct
{
  HullKernelFormat format;
  guint64 entry;
  guint64 kernel_start;
  guint64 kernel_end;
  GArray *segments; /* HullBootSegment */
  /* The zero page as the loader leaves it: zeros but for the setup header
   * at BP_SETUP_HEADER, copied from a bzImage, synthesized for an ELF
   * kernel. hull_x86_boot_load() adds its own fields. */
  guint8 zero_page[BP_SIZE];
  guint16 protocol_version; /* 0 for ELF */
  guint64 cmdline_max;      /* bytes, without the NUL */
  guint64 initrd_addr_max;  /* the highest address the initrd may occupy */
} HullKernelImage;

gboolean hull_boot_file_read (HullBootFile *file, guint64 offset, gpointer buffer, gsize len,
                              GError **error);

/* Whether [start, end) is all RAM (contiguous ranges count as one). */
gboolean hull_x86_boot_ram_covers (const HullMemoryLayout *layout, guint64 start, guint64 end);

/* The end of the RAM range holding @address, or @address when it is not
 * RAM; for messages. */
guint64 hull_x86_boot_ram_end_at (const HullMemoryLayout *layout, guint64 address);

/* @head holds the file's first @head_len bytes (up to BP_SIZE). */
gboolean hull_elf_loader_parse (HullBootFile *file, const guint8 *head, gsize head_len,
                                const HullMemoryLayout *layout, HullKernelImage *image,
                                GError **error);
gboolean hull_bzimage_loader_parse (HullBootFile *file, const guint8 *head, gsize head_len,
                                    const HullMemoryLayout *layout, HullKernelImage *image,
                                    GError **error);

static inline guint16
hull_get_le16 (const guint8 *p)
{
  return (guint16)(p[0] | p[1] << 8);
}

static inline guint32
hull_get_le32 (const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static inline guint64
hull_get_le64 (const guint8 *p)
{
  return (guint64)hull_get_le32 (p) | (guint64)hull_get_le32 (p + 4) << 32;
}

static inline void
hull_put_le16 (guint8 *p, guint16 v)
{
  p[0] = (guint8)v;
  p[1] = (guint8)(v >> 8);
}

static inline void
hull_put_le32 (guint8 *p, guint32 v)
{
  hull_put_le16 (p, (guint16)v);
  hull_put_le16 (p + 2, (guint16)(v >> 16));
}

static inline void
hull_put_le64 (guint8 *p, guint64 v)
{
  hull_put_le32 (p, (guint32)v);
  hull_put_le32 (p + 4, (guint32)(v >> 32));
}

G_END_DECLS
