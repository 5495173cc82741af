/* hull-x86-boot.c — the common part of direct kernel boot: files, format
 * detection, command line, initrd placement, e820 map, zero page, GDT, page
 * tables and registers.
 *
 * Two phases: everything is parsed, placed and checked first (the loaders
 * only describe the kernel as a HullKernelImage), then written. Only a file
 * that fails or shrinks while its contents are being copied can leave guest
 * memory half written.
 */
#include "config.h"

#include "hull-x86-boot.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hull-error.h"
#include "hull-i18n.h"
#include "hull-x86-boot-private.h"

#define PAGE_MASK (HULL_MEMORY_LAYOUT_PAGE_SIZE - 1)
#define COPY_CHUNK (1024 * 1024)

#define E820_RAM 1
#define E820_RESERVED 2
#define E820_ENTRY_SIZE 20

/* Page-table entry bits. */
#define PTE_PRESENT 0x1
#define PTE_WRITE 0x2
#define PTE_LARGE 0x80
#define N_PDS 4 /* 4 × 1 GiB */
#define PAGE_TABLES_SIZE (HULL_X86_BOOT_PD + N_PDS * 0x1000 - HULL_X86_BOOT_PML4)

/* The GDT and the IDT: [BOOT_TABLES, BOOT_TABLES + BOOT_TABLES_SIZE). */
#define BOOT_TABLES HULL_X86_BOOT_GDT
#define BOOT_TABLES_SIZE (HULL_X86_BOOT_IDT + 8 - HULL_X86_BOOT_GDT)

#define CR0_PE 0x00000001
#define CR0_ET 0x00000010
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define EFER_LME 0x00000100
#define EFER_LMA 0x00000400
#define RFLAGS_RESERVED 0x2

/* MTRRs as firmware leaves them (SeaBIOS): enabled, fixed ranges enabled,
 * write-back by default; the fixed ranges write-back but for the VGA window
 * 0xa0000-0xbffff (MTRRfix16K_A0000, index 2), uncachable. PAT: the power-on
 * value. */
#define MTRR_DEF_TYPE 0xc06
#define MTRR_FIXED_WB G_GUINT64_CONSTANT (0x0606060606060606)
#define MTRR_FIXED_VGA 2
#define PAT_DEFAULT G_GUINT64_CONSTANT (0x0007040600070406)

typedef struct
{
  guint64 address;
  guint64 size;
  guint32 type;
} E820Entry;

/* ------------------------------------------------------------------ */
/* Files */

#define BOOT_FILE_INIT                                                                             \
  {                                                                                                \
    NULL, -1, FALSE, 0, NULL                                                                       \
  }

static void
boot_file_clear (HullBootFile *file)
{
  if (file->close_fd && file->fd >= 0)
    close (file->fd);
  file->fd = -1;
  g_clear_pointer (&file->contents, g_bytes_unref);
  g_clear_pointer (&file->name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (HullBootFile, boot_file_clear)

/* Reads a non-regular file whole, up to @limit bytes. */
static gboolean
boot_file_slurp (HullBootFile *file, guint64 limit, GError **error)
{
  g_autoptr (GByteArray) data = g_byte_array_new ();
  guint8 buffer[64 * 1024];

  for (;;)
    {
      gssize n = read (file->fd, buffer, sizeof buffer);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot read '%s': %s"), file->name,
                       g_strerror (saved_errno));
          return FALSE;
        }
      if (n == 0)
        break;
      if ((guint64)n > limit - data->len)
        {
          g_autofree char *max = g_format_size_full (limit, G_FORMAT_SIZE_IEC_UNITS);

          g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                       _ ("%s: more than the %s of RAM below 4 GiB"), file->name, max);
          return FALSE;
        }
      g_byte_array_append (data, buffer, (guint)n);
    }
  file->size = data->len;
  file->contents = g_byte_array_free_to_bytes (g_steal_pointer (&data));
  return TRUE;
}

/* Opens @path, or takes @fd when it is >= 0; @what ("kernel") names the file
 * in messages when there is no path.
 * Files larger than @limit are refused. */
static gboolean
boot_file_open (HullBootFile *file, const char *what, const char *path, int fd, guint64 limit,
                GError **error)
{
  struct stat st;

  file->fd = -1;
  file->name = path != NULL ? g_strdup (path) : g_strdup_printf (_ ("%s (fd %d)"), what, fd);
  if (fd >= 0)
    file->fd = fd;
  else
    {
      file->fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
      if (file->fd < 0)
        {
          int saved_errno = errno;

          g_set_error (error, HULL_ERROR,
                       saved_errno == ENOENT ? HULL_ERROR_NOT_FOUND : HULL_ERROR_IO,
                       _ ("cannot open '%s': %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
      file->close_fd = TRUE;
    }

  if (fstat (file->fd, &st) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot read '%s': %s"), file->name,
                   g_strerror (saved_errno));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT, _ ("%s: is a directory"),
                   file->name);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    return boot_file_slurp (file, limit, error);

  file->size = (guint64)st.st_size;
  if (file->size > limit)
    {
      g_autofree char *size = g_format_size_full (file->size, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *max = g_format_size_full (limit, G_FORMAT_SIZE_IEC_UNITS);

      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("%s: %s is more than the %s of RAM below 4 GiB"), file->name, size, max);
      return FALSE;
    }
  return TRUE;
}

gboolean
hull_boot_file_read (HullBootFile *file, guint64 offset, gpointer buffer, gsize len, GError **error)
{
  guint8 *out = buffer;

  if (len == 0)
    return TRUE;
  if (offset > file->size || len > file->size - offset)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("%s: truncated: %llu bytes at offset 0x%llx run past the end of the file "
                      "(%llu bytes)"),
                   file->name, (ull)len, (ull)offset, (ull)file->size);
      return FALSE;
    }
  if (file->contents != NULL)
    {
      memcpy (buffer, (const guint8 *)g_bytes_get_data (file->contents, NULL) + offset, len);
      return TRUE;
    }

  while (len > 0)
    {
      gssize n = pread (file->fd, out, MIN (len, (gsize)G_MAXSSIZE), (off_t)offset);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_set_error (error, HULL_ERROR, HULL_ERROR_IO, _ ("cannot read '%s': %s"), file->name,
                       g_strerror (saved_errno));
          return FALSE;
        }
      if (n == 0)
        {
          g_set_error (error, HULL_ERROR, HULL_ERROR_IO,
                       _ ("%s: unexpected end of file at offset 0x%llx (did the file shrink?)"),
                       file->name, (ull)offset);
          return FALSE;
        }
      out += n;
      offset += (guint64)n;
      len -= (gsize)n;
    }
  return TRUE;
}

/* Copies [@offset, @offset + @len) of @file to guest address @gpa, in place
 * when the range is one region, else through a bounce buffer. */
static gboolean
copy_to_guest (HullGuestMemory *memory, HullBootFile *file, guint64 offset, guint64 gpa,
               guint64 len, GError **error)
{
  g_autofree guint8 *bounce = NULL;
  guint8 *host;

  if (len == 0)
    return TRUE;
  if (file->contents != NULL)
    return hull_guest_memory_write (
        memory, gpa, (const guint8 *)g_bytes_get_data (file->contents, NULL) + offset, len, error);

  host = hull_guest_memory_get_pointer (memory, gpa, len);
  if (host != NULL)
    return hull_boot_file_read (file, offset, host, len, error);

  bounce = g_malloc (COPY_CHUNK);
  while (len > 0)
    {
      gsize n = (gsize)MIN (len, COPY_CHUNK);

      if (!hull_boot_file_read (file, offset, bounce, n, error)
          || !hull_guest_memory_write (memory, gpa, bounce, n, error))
        return FALSE;
      offset += n;
      gpa += n;
      len -= n;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* The layout */

gboolean
hull_x86_boot_ram_covers (const HullMemoryLayout *layout, guint64 start, guint64 end)
{
  const HullMemoryRange *ram;
  guint n;

  ram = hull_memory_layout_get_ram (layout, &n);
  for (guint i = 0; i < n && start < end; i++)
    if (ram[i].start <= start && start < ram[i].end)
      start = ram[i].end;
  return start >= end;
}

guint64
hull_x86_boot_ram_end_at (const HullMemoryLayout *layout, guint64 address)
{
  const HullMemoryRange *ram;
  guint n;

  ram = hull_memory_layout_get_ram (layout, &n);
  for (guint i = 0; i < n; i++)
    if (ram[i].start <= address && address < ram[i].end)
      address = ram[i].end;
  return address;
}

/* The end of the highest RAM below 4 GiB. */
static guint64
low_ram_end (const HullMemoryLayout *layout)
{
  const HullMemoryRange *ram;
  guint64 end = 0;
  guint n;

  ram = hull_memory_layout_get_ram (layout, &n);
  for (guint i = 0; i < n && ram[i].start < GIB4; i++)
    end = MIN (ram[i].end, GIB4);
  return end;
}

/* ------------------------------------------------------------------ */
/* Placement and checks */

static gboolean
check_cmdline (HullBootFile *kernel, const HullKernelImage *image, const char *cmdline,
               GError **error)
{
  /* The command line area ends where the e820 map's reserved area starts. */
  guint64 max = MIN (image->cmdline_max, HULL_X86_BOOT_EBDA - HULL_X86_BOOT_CMDLINE - 1);
  guint64 len = strlen (cmdline);

  if (len > max)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("%s: the command line has %llu bytes, more than the %llu the kernel "
                      "accepts"),
                   kernel->name, (ull)len, (ull)max);
      return FALSE;
    }
  return TRUE;
}

/* The initrd goes as high as it can below the kernel's initrd_addr_max and
 * 4 GiB, 4 KiB aligned, above the kernel: the top of the highest RAM range
 * where it fits. */
static gboolean
place_initrd (HullBootFile *initrd, const HullMemoryLayout *layout, const HullKernelImage *image,
              guint64 *address, GError **error)
{
  guint64 limit = MIN (image->initrd_addr_max + 1, GIB4);
  const HullMemoryRange *ram;
  guint n;

  ram = hull_memory_layout_get_ram (layout, &n);
  for (guint i = n; i-- > 0;)
    {
      guint64 top = MIN (ram[i].end, limit);
      guint64 start;

      if (ram[i].start >= limit || top < initrd->size)
        continue;
      start = (top - initrd->size) & ~PAGE_MASK;
      if (start >= MAX (ram[i].start, image->kernel_end))
        {
          *address = start;
          return TRUE;
        }
    }

  {
    g_autofree char *size = g_format_size_full (initrd->size, G_FORMAT_SIZE_IEC_UNITS);

    g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                 _ ("%s: an initrd of %s does not fit between the kernel's end at 0x%llx and "
                    "0x%llx (RAM below 4 GiB ends at 0x%llx)"),
                 initrd->name, size, (ull)image->kernel_end, (ull)(limit - 1),
                 (ull)low_ram_end (layout));
  }
  return FALSE;
}

static void
e820_add (GArray *map, guint64 start, guint64 end, guint32 type)
{
  E820Entry *last = map->len > 0 ? &g_array_index (map, E820Entry, map->len - 1) : NULL;
  E820Entry entry = { start, end - start, type };

  if (start >= end)
    return;
  if (last != NULL && last->type == type && last->address + last->size == start)
    last->size += entry.size;
  else
    g_array_append_val (map, entry);
}

/* RAM from the layout, with [EBDA, 1 MiB) reserved; the MMIO gaps are
 * left out. */
static GArray *
build_e820 (const HullMemoryLayout *layout, GError **error)
{
  g_autoptr (GArray) map = g_array_new (FALSE, FALSE, sizeof (E820Entry));
  const HullMemoryRange *ram;
  guint n;

  ram = hull_memory_layout_get_ram (layout, &n);
  for (guint i = 0; i < n; i++)
    {
      e820_add (map, ram[i].start, MIN (ram[i].end, HULL_X86_BOOT_EBDA), E820_RAM);
      if (ram[i].start < HULL_X86_BOOT_HIGH && ram[i].end > HULL_X86_BOOT_EBDA)
        e820_add (map, MAX (ram[i].start, HULL_X86_BOOT_EBDA), HULL_X86_BOOT_HIGH, E820_RESERVED);
      e820_add (map, MAX (ram[i].start, HULL_X86_BOOT_HIGH), ram[i].end, E820_RAM);
    }
  if (map->len > HULL_X86_BOOT_E820_MAX)
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_LIMIT_EXCEEDED,
                   _ ("the memory layout needs %u e820 entries; the zero page holds %u"), map->len,
                   HULL_X86_BOOT_E820_MAX);
      return NULL;
    }
  return g_steal_pointer (&map);
}

/* ------------------------------------------------------------------ */
/* What gets written */

static void
build_zero_page (guint8 *zp, const HullKernelImage *image, GArray *e820, guint64 initrd_start,
                 guint64 initrd_size)
{
  memcpy (zp, image->zero_page, BP_SIZE);
  zp[BP_TYPE_OF_LOADER] = TYPE_OF_LOADER_UNDEFINED;
  hull_put_le16 (zp + BP_VID_MODE, 0);
  hull_put_le32 (zp + BP_CMD_LINE_PTR, HULL_X86_BOOT_CMDLINE);
  hull_put_le32 (zp + BP_EXT_CMD_LINE_PTR, 0);
  hull_put_le32 (zp + BP_RAMDISK_IMAGE, (guint32)initrd_start);
  hull_put_le32 (zp + BP_EXT_RAMDISK_IMAGE, (guint32)(initrd_start >> 32));
  hull_put_le32 (zp + BP_RAMDISK_SIZE, (guint32)initrd_size);
  hull_put_le32 (zp + BP_EXT_RAMDISK_SIZE, (guint32)(initrd_size >> 32));
  hull_put_le64 (zp + BP_SETUP_DATA, 0); /* no setup_data list */

  zp[BP_E820_ENTRIES] = (guint8)e820->len;
  for (guint i = 0; i < e820->len; i++)
    {
      const E820Entry *e = &g_array_index (e820, E820Entry, i);
      guint8 *p = zp + BP_E820_TABLE + i * E820_ENTRY_SIZE;

      hull_put_le64 (p, e->address);
      hull_put_le64 (p + 8, e->size);
      hull_put_le32 (p + 16, e->type);
    }
}

/* A segment descriptor; @attributes in the VMX access-rights layout carry
 * the access byte (bits 0-7) and the flags nibble (bits 12-15). */
static guint64
gdt_entry (guint16 attributes, guint32 base, guint32 limit)
{
  return ((guint64)(base & 0xff000000u) << 32) | ((guint64)(base & 0x00ffffffu) << 16)
         | (limit & 0xffffu) | ((guint64)(limit & 0xf0000u) << 32)
         | ((guint64)(attributes & 0xf0ffu) << 40);
}

/* GDT at 0x500 (null, null, code, data) and an empty IDT at 0x520. */
static void
build_boot_tables (guint8 *tables)
{
  guint8 *gdt = tables + (HULL_X86_BOOT_GDT - BOOT_TABLES);

  memset (tables, 0, BOOT_TABLES_SIZE);
  hull_put_le64 (gdt + HULL_X86_BOOT_CS, gdt_entry (HULL_X86_SEGMENT_CODE64, 0, 0xfffff));
  hull_put_le64 (gdt + HULL_X86_BOOT_DS, gdt_entry (HULL_X86_SEGMENT_DATA, 0, 0xfffff));
}

/* PML4 → PDPT → 4 PDs of 2 MiB pages identity-mapping [0, 4 GiB). */
static void
build_page_tables (guint8 *tables)
{
  guint8 *pml4 = tables;
  guint8 *pdpt = tables + (HULL_X86_BOOT_PDPT - HULL_X86_BOOT_PML4);
  guint8 *pd = tables + (HULL_X86_BOOT_PD - HULL_X86_BOOT_PML4);

  memset (tables, 0, PAGE_TABLES_SIZE);
  hull_put_le64 (pml4, HULL_X86_BOOT_PDPT | PTE_PRESENT | PTE_WRITE);
  for (guint i = 0; i < N_PDS; i++)
    hull_put_le64 (pdpt + i * 8, (HULL_X86_BOOT_PD + i * 0x1000) | PTE_PRESENT | PTE_WRITE);
  for (guint i = 0; i < N_PDS * 512; i++)
    hull_put_le64 (pd + i * 8, ((guint64)i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE);
}

static HullX86Segment
segment (guint16 selector, guint16 attributes)
{
  HullX86Segment s = { 0, 0xffffffff, selector, attributes };

  return s;
}

static void
build_registers (HullInitialRegs *regs, guint64 entry)
{
  HullX86Registers *r = &regs->registers;

  memset (regs, 0, sizeof *regs);
  r->rip = entry;
  r->rsi = HULL_X86_BOOT_ZERO_PAGE;
  r->rsp = HULL_X86_BOOT_STACK;
  r->rbp = HULL_X86_BOOT_STACK;
  r->rflags = RFLAGS_RESERVED;
  r->cs = segment (HULL_X86_BOOT_CS, HULL_X86_SEGMENT_CODE64);
  r->ds = segment (HULL_X86_BOOT_DS, HULL_X86_SEGMENT_DATA);
  r->es = r->ds;
  r->fs = r->ds;
  r->gs = r->ds;
  r->ss = r->ds;
  /* No descriptor behind it: VM entry wants a present busy TSS in TR, and
   * the kernel loads its own before it needs one. */
  r->tr.limit = HULL_X86_BOOT_TR_LIMIT;
  r->tr.attributes = HULL_X86_SEGMENT_TSS64_BUSY;
  /* LDTR stays all zero: not present, so unusable. */
  r->gdtr.base = HULL_X86_BOOT_GDT;
  r->gdtr.limit = HULL_X86_BOOT_GDT_LIMIT;
  r->idtr.base = HULL_X86_BOOT_IDT;
  r->idtr.limit = HULL_X86_BOOT_IDT_LIMIT;
  r->cr0 = CR0_PE | CR0_ET | CR0_PG;
  r->cr3 = HULL_X86_BOOT_PML4;
  r->cr4 = CR4_PAE;
  r->efer = EFER_LME | EFER_LMA;

  regs->mtrrs.def_type = MTRR_DEF_TYPE;
  for (guint i = 0; i < G_N_ELEMENTS (regs->mtrrs.fixed); i++)
    regs->mtrrs.fixed[i] = i == MTRR_FIXED_VGA ? 0 : MTRR_FIXED_WB;
  regs->pat = PAT_DEFAULT;
}

/* ------------------------------------------------------------------ */
/* The entry point */

static gboolean
parse_kernel (HullBootFile *kernel, const HullMemoryLayout *layout, HullKernelImage *image,
              GError **error)
{
  guint8 head[BP_SIZE];
  gsize head_len = (gsize)MIN (kernel->size, sizeof head);

  if (!hull_boot_file_read (kernel, 0, head, head_len, error))
    return FALSE;

  if (head_len >= SELFMAG && memcmp (head, ELFMAG, SELFMAG) == 0)
    return hull_elf_loader_parse (kernel, head, head_len, layout, image, error);
  if (head_len >= BP_HEADER + 4 && hull_get_le16 (head + BP_BOOT_FLAG) == BOOT_FLAG_MAGIC
      && hull_get_le32 (head + BP_HEADER) == HDRS_MAGIC)
    return hull_bzimage_loader_parse (kernel, head, head_len, layout, image, error);

  g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
               _ ("%s: not an ELF vmlinux or a bzImage kernel"), kernel->name);
  return FALSE;
}

static gboolean
write_kernel (HullGuestMemory *memory, HullBootFile *kernel, const HullKernelImage *image,
              GError **error)
{
  for (guint i = 0; i < image->segments->len; i++)
    {
      const HullBootSegment *s = &g_array_index (image->segments, HullBootSegment, i);

      if (!copy_to_guest (memory, kernel, s->file_offset, s->address, s->file_size, error)
          || !hull_guest_memory_fill (memory, s->address + s->file_size, 0,
                                      s->mem_size - s->file_size, error))
        return FALSE;
    }
  return TRUE;
}

/* The boot structures below 1 MiB. */
static gboolean
write_boot_area (HullGuestMemory *memory, const HullKernelImage *image, GArray *e820,
                 const char *cmdline, guint64 initrd_start, guint64 initrd_size, GError **error)
{
  g_autofree guint8 *zero_page = g_malloc (BP_SIZE);
  g_autofree guint8 *page_tables = g_malloc (PAGE_TABLES_SIZE);
  guint8 tables[BOOT_TABLES_SIZE];

  build_boot_tables (tables);
  build_zero_page (zero_page, image, e820, initrd_start, initrd_size);
  build_page_tables (page_tables);

  return hull_guest_memory_write (memory, BOOT_TABLES, tables, sizeof tables, error)
         && hull_guest_memory_write (memory, HULL_X86_BOOT_ZERO_PAGE, zero_page, BP_SIZE, error)
         && hull_guest_memory_write (memory, HULL_X86_BOOT_PML4, page_tables, PAGE_TABLES_SIZE,
                                     error)
         && hull_guest_memory_write (memory, HULL_X86_BOOT_CMDLINE, cmdline, strlen (cmdline) + 1,
                                     error);
}

gboolean
hull_x86_boot_load (HullGuestMemory *memory, const HullMemoryLayout *layout,
                    const HullBootSource *source, HullBootInfo *info, GError **error)
{
  g_auto (HullBootFile) kernel = BOOT_FILE_INIT;
  g_auto (HullBootFile) initrd = BOOT_FILE_INIT;
  g_autoptr (GArray) segments = g_array_new (FALSE, FALSE, sizeof (HullBootSegment));
  g_autoptr (GArray) e820 = NULL;
  g_autofree HullKernelImage *image = g_new0 (HullKernelImage, 1);
  const char *cmdline;
  guint64 initrd_start = 0, limit;

  g_return_val_if_fail (memory != NULL, FALSE);
  g_return_val_if_fail (layout != NULL, FALSE);
  g_return_val_if_fail (source != NULL, FALSE);
  g_return_val_if_fail (source->kernel_path != NULL || source->kernel_fd >= 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cmdline = source->cmdline != NULL ? source->cmdline : "";
  image->segments = segments;

  if (!hull_x86_boot_ram_covers (layout, 0, HULL_X86_BOOT_HIGH))
    {
      g_set_error (error, HULL_ERROR, HULL_ERROR_INVALID_ARGUMENT,
                   _ ("the memory layout has no RAM at 0x0-0x%x, where Hull puts the zero page, "
                      "page tables and command line"),
                   HULL_X86_BOOT_HIGH);
      return FALSE;
    }
  /* Neither file can be larger than the RAM it must fit in. */
  limit = hull_memory_layout_get_max_ram_below_4gb (layout);

  if (!boot_file_open (&kernel, _ ("kernel"), source->kernel_path, source->kernel_fd, limit, error)
      || !parse_kernel (&kernel, layout, image, error)
      || !check_cmdline (&kernel, image, cmdline, error))
    return FALSE;
  if ((source->initrd_path != NULL || source->initrd_fd >= 0)
      && (!boot_file_open (&initrd, _ ("initrd"), source->initrd_path, source->initrd_fd, limit,
                           error)
          || (initrd.size > 0 && !place_initrd (&initrd, layout, image, &initrd_start, error))))
    return FALSE;
  e820 = build_e820 (layout, error);
  if (e820 == NULL)
    return FALSE;

  /* Everything is checked: write. */
  if (!write_kernel (memory, &kernel, image, error)
      || (initrd.size > 0 && !copy_to_guest (memory, &initrd, 0, initrd_start, initrd.size, error))
      || !write_boot_area (memory, image, e820, cmdline, initrd_start, initrd.size, error))
    return FALSE;

  memset (info, 0, sizeof *info);
  info->format = image->format;
  build_registers (&info->regs, image->entry);
  info->entry = image->entry;
  info->kernel_start = image->kernel_start;
  info->kernel_end = image->kernel_end;
  info->zero_page = HULL_X86_BOOT_ZERO_PAGE;
  info->cmdline_address = HULL_X86_BOOT_CMDLINE;
  info->initrd_start = initrd_start;
  info->initrd_size = initrd.size;
  info->e820_entries = e820->len;
  info->protocol_version = image->protocol_version;
  return TRUE;
}
