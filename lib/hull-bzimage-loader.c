/* hull-bzimage-loader.c — a bzImage through its 64-bit entry point
 * (Documentation/arch/x86/boot.rst, boot protocol 2.12 and later).
 *
 * The real-mode setup code is not run: the protected-mode code goes to
 * 1 MiB and is entered at 1 MiB + 0x200 in long mode. Its decompressor moves
 * to its runtime start (pref_address, or the load address rounded up to
 * kernel_alignment when that is higher) and needs init_size bytes from
 * there, so that is the memory the kernel is given.
 */
#include "config.h"

#include <string.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-x86-boot-private.h"

/* Protocol 2.12 added xloadflags and XLF_KERNEL_64. */
#define MIN_PROTOCOL 0x020c
#define SECTOR_SIZE 512
#define ENTRY_64_OFFSET 0x200

static gboolean
check_header (HullBootFile *file, const guint8 *head, gsize head_len, gsize *header_end,
              GError **error)
{
  guint16 version;
  gsize end;

  if (head_len < BP_VERSION + 2)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: truncated bzImage setup header (%llu bytes)"), file->name,
                   (ull)file->size);
      return FALSE;
    }
  version = hull_get_le16 (head + BP_VERSION);
  end = BP_JUMP + 2 + head[BP_JUMP + 1]; /* 0x202 + the jump's offset */
  if (version < MIN_PROTOCOL)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("%s: boot protocol %u.%02u is too old; Hull needs 2.12 for the 64-bit "
                      "entry"),
                   file->name, version >> 8, version & 0xffu);
      return FALSE;
    }
  /* The jump at 0x200 says where the header ends; the file must hold all
   * of it, and a 2.12 header reaches init_size (0x260-0x263). */
  if (end > head_len)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: truncated bzImage: the setup header ends at 0x%llx, the file has "
                      "%llu bytes"),
                   file->name, (ull)end, (ull)file->size);
      return FALSE;
    }
  if (end < BP_INIT_SIZE + 4)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: the setup header ends at 0x%llx, too short for boot protocol %u.%02u"),
                   file->name, (ull)end, version >> 8, version & 0xffu);
      return FALSE;
    }
  if ((head[BP_XLOADFLAGS] & XLF_KERNEL_64) == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("%s: the kernel has no 64-bit entry point (XLF_KERNEL_64 is not set in "
                      "xloadflags)"),
                   file->name);
      return FALSE;
    }
  if ((head[BP_LOADFLAGS] & LOADED_HIGH) == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("%s: a zImage loaded below 1 MiB (LOADED_HIGH is not set in loadflags); "
                      "Hull boots bzImages"),
                   file->name);
      return FALSE;
    }
  *header_end = end;
  return TRUE;
}

/* Where the decompressor runs: boot/compressed/head_64.S moves a relocatable
 * kernel to its load address rounded up to kernel_alignment, never below
 * LOAD_PHYSICAL_ADDR (pref_address); a fixed kernel goes to pref_address. */
static guint64
runtime_start (const guint8 *head)
{
  guint64 start = HULL_X86_BOOT_HIGH;
  guint32 align = hull_get_le32 (head + BP_KERNEL_ALIGNMENT);
  guint64 pref = hull_get_le64 (head + BP_PREF_ADDRESS);

  if (head[BP_RELOCATABLE_KERNEL] != 0 && align != 0 && (align & (align - 1)) == 0)
    start = (start + align - 1) & ~(guint64)(align - 1);
  return MAX (start, pref);
}

gboolean
hull_bzimage_loader_parse (HullBootFile *file, const guint8 *head, gsize head_len,
                           const HullMemoryLayout *layout, HullKernelImage *image, GError **error)
{
  guint setup_sects = head[BP_SETUP_HEADER];
  guint64 pm_offset, pm_size, start, end;
  HullBootSegment segment;
  gsize header_end;

  if (!check_header (file, head, head_len, &header_end, error))
    return FALSE;

  if (setup_sects == 0)
    setup_sects = 4;
  pm_offset = (guint64)(setup_sects + 1) * SECTOR_SIZE;
  if (pm_offset >= file->size || file->size - pm_offset <= ENTRY_64_OFFSET)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: truncated bzImage: %llu bytes, but the protected-mode code starts at "
                      "offset 0x%llx and the 64-bit entry is 0x%x bytes into it"),
                   file->name, (ull)file->size, (ull)pm_offset, ENTRY_64_OFFSET);
      return FALSE;
    }
  pm_size = file->size - pm_offset;

  /* A 64-bit pref_address far out is refused below, without overflowing. */
  start = runtime_start (head);
  end = start > GIB4 ? start : start + hull_get_le32 (head + BP_INIT_SIZE);
  end = MAX (end, HULL_X86_BOOT_HIGH + pm_size);
  if (end > GIB4 || !hull_x86_boot_ram_covers (layout, HULL_X86_BOOT_HIGH, end))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("%s: the kernel needs RAM from 0x%x to 0x%llx (%llu bytes of code, "
                      "init_size 0x%x from 0x%llx), but the RAM from 1 MiB ends at 0x%llx"),
                   file->name, HULL_X86_BOOT_HIGH, (ull)end, (ull)pm_size,
                   hull_get_le32 (head + BP_INIT_SIZE), (ull)start,
                   (ull)hull_x86_boot_ram_end_at (layout, HULL_X86_BOOT_HIGH));
      return FALSE;
    }

  segment.address = HULL_X86_BOOT_HIGH;
  segment.file_offset = pm_offset;
  segment.file_size = pm_size;
  segment.mem_size = pm_size;
  g_array_append_val (image->segments, segment);

  image->format = HULL_KERNEL_FORMAT_BZIMAGE;
  image->entry = HULL_X86_BOOT_HIGH + ENTRY_64_OFFSET;
  image->kernel_start = HULL_X86_BOOT_HIGH;
  image->kernel_end = end;
  memcpy (image->zero_page + BP_SETUP_HEADER, head + BP_SETUP_HEADER, header_end - BP_SETUP_HEADER);
  image->protocol_version = hull_get_le16 (head + BP_VERSION);
  image->cmdline_max = hull_get_le32 (head + BP_CMDLINE_SIZE);
  image->initrd_addr_max = hull_get_le32 (head + BP_INITRD_ADDR_MAX);
  return TRUE;
}
