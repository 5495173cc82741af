/* hull-elf-loader.c — an uncompressed ELF64 vmlinux for the 64-bit entry.
 *
 * Each PT_LOAD segment goes to its physical address (p_paddr) and the kernel
 * is entered at e_entry, which for Linux is phys_startup_64. There is no
 * setup header in the file, so one is synthesized with the fields the
 * kernel proper reads (docs/x86-boot.md). PVH entry notes
 * (XEN_ELFNOTE_PHYS32_ENTRY) are not used: the 64-bit entry needs none.
 *
 * The header fields are read byte by byte at offsetof() the <elf.h> structs,
 * so neither the host's byte order nor the buffer's alignment matters.
 */
#include "config.h"

#include <elf.h>
#include <stddef.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-x86-boot-private.h"

#define EH(field) offsetof (Elf64_Ehdr, field)
#define PH(field) offsetof (Elf64_Phdr, field)

/* The synthesized header claims boot protocol 2.15: Linux skips setup_data
 * before 2.09, and x86_64_start_reservations() takes a zero version to mean
 * the boot parameters were not copied yet. */
#define ELF_HEADER_VERSION 0x020f
/* COMMAND_LINE_SIZE is 2048 bytes with the NUL. */
#define ELF_CMDLINE_MAX 2047
/* As for bzImages whose header does not say (boot.rst). */
#define ELF_INITRD_ADDR_MAX 0x7fffffff

static gboolean
check_ident (HullBootFile *file, const guint8 *head, gsize head_len, GError **error)
{
  if (head_len < EI_NIDENT)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: truncated ELF header (%llu bytes, an ELF64 header has %u)"), file->name,
                   (ull)file->size, (guint)sizeof (Elf64_Ehdr));
      return FALSE;
    }
  if (head[EI_CLASS] == ELFCLASS32)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("%s: a 32-bit ELF file; Hull boots 64-bit (ELFCLASS64) x86-64 kernels"),
                   file->name);
      return FALSE;
    }
  if (head[EI_CLASS] != ELFCLASS64)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT, _ ("%s: unknown ELF class %u"),
                   file->name, head[EI_CLASS]);
      return FALSE;
    }
  if (head[EI_DATA] != ELFDATA2LSB)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("%s: not a little-endian ELF file, so not an x86-64 kernel"), file->name);
      return FALSE;
    }
  if (head_len < sizeof (Elf64_Ehdr))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: truncated ELF header (%llu bytes, an ELF64 header has %u)"), file->name,
                   (ull)file->size, (guint)sizeof (Elf64_Ehdr));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_ehdr (HullBootFile *file, const guint8 *head, GError **error)
{
  guint16 type = hull_get_le16 (head + EH (e_type));
  guint16 machine = hull_get_le16 (head + EH (e_machine));
  guint16 phentsize = hull_get_le16 (head + EH (e_phentsize));
  guint16 phnum = hull_get_le16 (head + EH (e_phnum));
  guint64 phoff = hull_get_le64 (head + EH (e_phoff));

  if (machine != EM_X86_64)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("%s: ELF machine %u is not x86-64 (%u)"), file->name, machine, EM_X86_64);
      return FALSE;
    }
  if (type != ET_EXEC)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_NOT_SUPPORTED,
                   _ ("%s: ELF type %u is not an executable (ET_EXEC) such as vmlinux"), file->name,
                   type);
      return FALSE;
    }
  if (phnum == 0 || phnum == PN_XNUM || phentsize < sizeof (Elf64_Phdr))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: bad ELF program header table (%u entries of %u bytes)"), file->name,
                   phnum, phentsize);
      return FALSE;
    }
  if (phoff > file->size || (guint64)phnum * phentsize > file->size - phoff)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: the ELF program headers at offset 0x%llx run past the end of the "
                      "file (%llu bytes)"),
                   file->name, (ull)phoff, (ull)file->size);
      return FALSE;
    }
  return TRUE;
}

/* Checks PT_LOAD segment @index against the file and the layout. */
static gboolean
check_segment (HullBootFile *file, guint index, const HullBootSegment *s,
               const HullMemoryLayout *layout, GError **error)
{
  guint64 end = s->address + s->mem_size;

  if (s->file_size > s->mem_size)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: ELF segment %u has more file bytes (%llu) than memory bytes (%llu)"),
                   file->name, index, (ull)s->file_size, (ull)s->mem_size);
      return FALSE;
    }
  if (s->file_offset > file->size || s->file_size > file->size - s->file_offset)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: ELF segment %u (offset 0x%llx, %llu bytes) runs past the end of the "
                      "file (%llu bytes)"),
                   file->name, index, (ull)s->file_offset, (ull)s->file_size, (ull)file->size);
      return FALSE;
    }
  if (end < s->address || end > GIB4)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: ELF segment %u at 0x%llx (%llu bytes) ends above 4 GiB, outside the "
                      "identity map the kernel is entered with"),
                   file->name, index, (ull)s->address, (ull)s->mem_size);
      return FALSE;
    }
  if (s->address < HULL_X86_BOOT_HIGH)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: ELF segment %u at 0x%llx-0x%llx overlaps Hull's boot area below "
                      "1 MiB"),
                   file->name, index, (ull)s->address, (ull)end);
      return FALSE;
    }
  if (!hull_x86_boot_ram_covers (layout, s->address, end))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("%s: ELF segment %u at 0x%llx-0x%llx is not all in guest RAM (the RAM "
                      "from 1 MiB ends at 0x%llx)"),
                   file->name, index, (ull)s->address, (ull)end,
                   (ull)hull_x86_boot_ram_end_at (layout, HULL_X86_BOOT_HIGH));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_segments (HullBootFile *file, const guint8 *head, const HullMemoryLayout *layout,
               HullKernelImage *image, GError **error)
{
  guint16 phentsize = hull_get_le16 (head + EH (e_phentsize));
  guint16 phnum = hull_get_le16 (head + EH (e_phnum));
  guint64 phoff = hull_get_le64 (head + EH (e_phoff));
  g_autofree guint8 *table = g_malloc ((gsize)phnum * phentsize);

  if (!hull_boot_file_read (file, phoff, table, (gsize)phnum * phentsize, error))
    return FALSE;

  for (guint i = 0; i < phnum; i++)
    {
      const guint8 *ph = table + (gsize)i * phentsize;
      HullBootSegment s;

      if (hull_get_le32 (ph + PH (p_type)) != PT_LOAD)
        continue;
      s.address = hull_get_le64 (ph + PH (p_paddr));
      s.file_offset = hull_get_le64 (ph + PH (p_offset));
      s.file_size = hull_get_le64 (ph + PH (p_filesz));
      s.mem_size = hull_get_le64 (ph + PH (p_memsz));
      if (s.mem_size == 0 && s.file_size == 0)
        continue;
      if (!check_segment (file, i, &s, layout, error))
        return FALSE;

      if (image->segments->len == 0 || s.address < image->kernel_start)
        image->kernel_start = s.address;
      if (image->segments->len == 0 || s.address + s.mem_size > image->kernel_end)
        image->kernel_end = s.address + s.mem_size;
      g_array_append_val (image->segments, s);
    }

  if (image->segments->len == 0)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: the ELF file has no loadable (PT_LOAD) segments"), file->name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_entry (HullBootFile *file, HullKernelImage *image, GError **error)
{
  for (guint i = 0; i < image->segments->len; i++)
    {
      const HullBootSegment *s = &g_array_index (image->segments, HullBootSegment, i);

      if (image->entry >= s->address && image->entry - s->address < s->mem_size)
        return TRUE;
    }
  g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
               _ ("%s: the ELF entry point 0x%llx is outside the loaded segments"), file->name,
               (ull)image->entry);
  return FALSE;
}

/* The setup header Linux's kernel proper reads from the zero page; the
 * common code adds type_of_loader, cmd_line_ptr and the ramdisk fields. */
static void
synthesize_header (HullKernelImage *image)
{
  guint8 *zp = image->zero_page;

  hull_put_le16 (zp + BP_BOOT_FLAG, BOOT_FLAG_MAGIC);
  hull_put_le32 (zp + BP_HEADER, HDRS_MAGIC);
  hull_put_le16 (zp + BP_VERSION, ELF_HEADER_VERSION);
  zp[BP_LOADFLAGS] = LOADED_HIGH;
  hull_put_le32 (zp + BP_INITRD_ADDR_MAX, ELF_INITRD_ADDR_MAX);
  hull_put_le32 (zp + BP_CMDLINE_SIZE, ELF_CMDLINE_MAX);
}

gboolean
hull_elf_loader_parse (HullBootFile *file, const guint8 *head, gsize head_len,
                       const HullMemoryLayout *layout, HullKernelImage *image, GError **error)
{
  if (!check_ident (file, head, head_len, error) || !check_ehdr (file, head, error))
    return FALSE;

  image->format = HULL_KERNEL_FORMAT_ELF;
  image->entry = hull_get_le64 (head + EH (e_entry));
  if (!read_segments (file, head, layout, image, error) || !check_entry (file, image, error))
    return FALSE;

  synthesize_header (image);
  image->protocol_version = 0;
  image->cmdline_max = ELF_CMDLINE_MAX;
  image->initrd_addr_max = ELF_INITRD_ADDR_MAX;
  return TRUE;
}
