/* x86-64 direct kernel boot: ELF and bzImage kernels synthesized here,
 * loaded into guest memory and read back. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hull-error.h"
#include "hull-guest-memory.h"
#include "hull-x86-boot.h"

#define KIB(n) ((guint64)(n) << 10)
#define MIB(n) ((guint64)(n) << 20)
#define GIB(n) ((guint64)(n) << 30)

/* The synthesized ELF kernel: two PT_LOAD segments around a PT_NOTE. */
#define ELF_PHOFF 0x40
#define ELF_PHDR_SIZE 56
#define ELF_SEG_A_OFFSET 0x1000
#define ELF_SEG_A_ADDR 0x200000
#define ELF_SEG_A_FILESZ 0x1000
#define ELF_SEG_A_MEMSZ 0x3000
#define ELF_SEG_B_OFFSET 0x2000
#define ELF_SEG_B_ADDR 0x400000
#define ELF_SEG_B_SIZE 0x800
#define ELF_ENTRY (ELF_SEG_A_ADDR + 0x40)
#define ELF_FILE_SIZE (ELF_SEG_B_OFFSET + ELF_SEG_B_SIZE)

/* Offsets into the ELF header and a program header. */
#define E_CLASS 4
#define E_TYPE 16
#define E_MACHINE 18
#define E_ENTRY 24
#define P_TYPE 0
#define P_OFFSET 8
#define P_PADDR 24
#define P_FILESZ 32
#define P_MEMSZ 40

/* Zero-page offsets, from zero-page.rst and boot.rst. */
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_SETUP_SECTS 0x1f1
#define ZP_VID_MODE 0x1fa
#define ZP_ROOT_DEV 0x1fc
#define ZP_BOOT_FLAG 0x1fe
#define ZP_JUMP 0x200
#define ZP_HEADER 0x202
#define ZP_VERSION 0x206
#define ZP_TYPE_OF_LOADER 0x210
#define ZP_LOADFLAGS 0x211
#define ZP_RAMDISK_IMAGE 0x218
#define ZP_RAMDISK_SIZE 0x21c
#define ZP_CMD_LINE_PTR 0x228
#define ZP_INITRD_ADDR_MAX 0x22c
#define ZP_KERNEL_ALIGNMENT 0x230
#define ZP_RELOCATABLE 0x234
#define ZP_XLOADFLAGS 0x236
#define ZP_CMDLINE_SIZE 0x238
#define ZP_PREF_ADDRESS 0x258
#define ZP_INIT_SIZE 0x260
#define ZP_HANDOVER_OFFSET 0x264
#define ZP_E820_TABLE 0x2d0

/* The synthesized bzImage. */
typedef struct
{
  guint16 version;
  guint8 loadflags;
  guint8 xloadflags;
  guint8 setup_sects;
  guint32 cmdline_size;
  guint32 initrd_addr_max;
  guint32 init_size;
  guint64 pref_address;
  guint32 payload_size;
} BzSpec;

static const BzSpec bz_default = {
  .version = 0x020f,
  .loadflags = 0x01,
  .xloadflags = 0x01,
  .setup_sects = 2,
  .cmdline_size = 255,
  .initrd_addr_max = 0x37ffffff,
  .init_size = 0x400000,
  .pref_address = 0x1000000,
  .payload_size = 0x1000,
};

/* pref_address + init_size for bz_default. */
#define BZ_KERNEL_END 0x1400000

typedef struct
{
  char *dir;
  GPtrArray *paths;
} Fixture;

/* ------------------------------------------------------------------ */
/* Helpers */

static void
put16 (guint8 *p, guint16 v)
{
  p[0] = (guint8)v;
  p[1] = (guint8)(v >> 8);
}

static void
put32 (guint8 *p, guint32 v)
{
  put16 (p, (guint16)v);
  put16 (p + 2, (guint16)(v >> 16));
}

static void
put64 (guint8 *p, guint64 v)
{
  put32 (p, (guint32)v);
  put32 (p + 4, (guint32)(v >> 32));
}

static guint16
get16 (const guint8 *p)
{
  return (guint16)(p[0] | p[1] << 8);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32)get16 (p) | (guint32)get16 (p + 2) << 16;
}

static guint64
get64 (const guint8 *p)
{
  return (guint64)get32 (p) | (guint64)get32 (p + 4) << 32;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("hull-x86-boot-XXXXXX", &error);
  g_assert_no_error (error);
  f->paths = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < f->paths->len; i++)
    g_unlink (g_ptr_array_index (f->paths, i));
  g_rmdir (f->dir);
  g_ptr_array_unref (f->paths);
  g_free (f->dir);
}

/* Writes @data to a new file in the fixture's directory. */
static const char *
write_file (Fixture *f, const char *name, const guint8 *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (f->dir, name, NULL);

  g_file_set_contents (path, (const char *)data, (gssize)len, &error);
  g_assert_no_error (error);
  g_ptr_array_add (f->paths, path);
  return path;
}

static const char *
write_bytes (Fixture *f, const char *name, GByteArray *bytes)
{
  return write_file (f, name, bytes->data, bytes->len);
}

/* A sparse file of @size bytes. */
static const char *
write_sparse (Fixture *f, const char *name, guint64 size)
{
  char *path = g_build_filename (f->dir, name, NULL);
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t)size), ==, 0);
  close (fd);
  g_ptr_array_add (f->paths, path);
  return path;
}

static guint8
elf_byte_a (gsize i)
{
  return (guint8)(i * 7 + 1);
}

static guint8
elf_byte_b (gsize i)
{
  return (guint8)(i * 13 + 5);
}

static guint8
bz_byte (gsize i)
{
  return (guint8)(i * 3 + 11);
}

static void
elf_phdr (guint8 *ph, guint32 type, guint64 offset, guint64 paddr, guint64 filesz, guint64 memsz)
{
  put32 (ph + P_TYPE, type);
  put32 (ph + 4, 0x7); /* p_flags RWX */
  put64 (ph + P_OFFSET, offset);
  put64 (ph + 16, paddr + G_GUINT64_CONSTANT (0xffffffff80000000)); /* p_vaddr */
  put64 (ph + P_PADDR, paddr);
  put64 (ph + P_FILESZ, filesz);
  put64 (ph + P_MEMSZ, memsz);
  put64 (ph + 48, 0x1000); /* p_align */
}

/* A minimal vmlinux: ELF64 x86-64 ET_EXEC, PT_LOAD A, PT_NOTE, PT_LOAD B. */
static GByteArray *
build_elf (void)
{
  GByteArray *elf = g_byte_array_new ();
  guint8 *p;

  g_byte_array_set_size (elf, ELF_FILE_SIZE);
  p = elf->data;
  memset (p, 0, elf->len);
  memcpy (p, "\177ELF", 4);
  p[E_CLASS] = 2;            /* ELFCLASS64 */
  p[5] = 1;                  /* ELFDATA2LSB */
  p[6] = 1;                  /* EV_CURRENT */
  put16 (p + E_TYPE, 2);     /* ET_EXEC */
  put16 (p + E_MACHINE, 62); /* EM_X86_64 */
  put32 (p + 20, 1);
  put64 (p + E_ENTRY, ELF_ENTRY);
  put64 (p + 32, ELF_PHOFF);
  put16 (p + 52, 64);
  put16 (p + 54, ELF_PHDR_SIZE);
  put16 (p + 56, 3);

  elf_phdr (p + ELF_PHOFF, 1, ELF_SEG_A_OFFSET, ELF_SEG_A_ADDR, ELF_SEG_A_FILESZ, ELF_SEG_A_MEMSZ);
  elf_phdr (p + ELF_PHOFF + ELF_PHDR_SIZE, 4, 0, 0, 0, 0); /* PT_NOTE */
  elf_phdr (p + ELF_PHOFF + 2 * ELF_PHDR_SIZE, 1, ELF_SEG_B_OFFSET, ELF_SEG_B_ADDR, ELF_SEG_B_SIZE,
            ELF_SEG_B_SIZE);
  for (gsize i = 0; i < ELF_SEG_A_FILESZ; i++)
    p[ELF_SEG_A_OFFSET + i] = elf_byte_a (i);
  for (gsize i = 0; i < ELF_SEG_B_SIZE; i++)
    p[ELF_SEG_B_OFFSET + i] = elf_byte_b (i);
  return elf;
}

static guint8 *
elf_phdr_at (GByteArray *elf, guint i)
{
  return elf->data + ELF_PHOFF + i * ELF_PHDR_SIZE;
}

static gsize
bz_setup_sects (const BzSpec *spec)
{
  return spec->setup_sects == 0 ? 4 : spec->setup_sects;
}

/* A bzImage: boot sector and setup sectors holding the setup header, then
 * the protected-mode payload. */
static GByteArray *
build_bzimage (const BzSpec *spec)
{
  GByteArray *bz = g_byte_array_new ();
  gsize pm = (bz_setup_sects (spec) + 1) * 512;
  guint8 *p;

  g_byte_array_set_size (bz, (guint)(pm + spec->payload_size));
  p = bz->data;
  memset (p, 0, bz->len);
  p[ZP_SETUP_SECTS] = spec->setup_sects;
  put16 (p + ZP_VID_MODE, 0xffff);
  put16 (p + ZP_ROOT_DEV, 0x0801);
  put16 (p + ZP_BOOT_FLAG, 0xaa55);
  p[ZP_JUMP] = 0xeb;
  p[ZP_JUMP + 1] = 0x6a; /* the header ends at 0x26c */
  memcpy (p + ZP_HEADER, "HdrS", 4);
  put16 (p + ZP_VERSION, spec->version);
  p[ZP_LOADFLAGS] = spec->loadflags;
  put32 (p + ZP_INITRD_ADDR_MAX, spec->initrd_addr_max);
  put32 (p + ZP_KERNEL_ALIGNMENT, 0x200000);
  p[ZP_RELOCATABLE] = 1;
  p[ZP_XLOADFLAGS] = spec->xloadflags;
  put32 (p + ZP_CMDLINE_SIZE, spec->cmdline_size);
  put64 (p + ZP_PREF_ADDRESS, spec->pref_address);
  put32 (p + ZP_INIT_SIZE, spec->init_size);
  put32 (p + ZP_HANDOVER_OFFSET, 0x190);
  p[0x270] = 0x5a; /* past the header: must not reach the zero page */
  for (gsize i = 0; i < spec->payload_size; i++)
    p[pm + i] = bz_byte (i);
  return bz;
}

static HullMemoryLayout *
new_layout (guint64 ram_size)
{
  g_autoptr (GError) error = NULL;
  const HullMemoryRange *gaps;
  HullMemoryLayout *layout;
  guint n_gaps;

  gaps = hull_memory_layout_default_mmio_gaps_x86_64 (&n_gaps);
  layout = hull_memory_layout_new (ram_size, gaps, n_gaps, NULL, &error);
  g_assert_no_error (error);
  return layout;
}

static HullGuestMemory *
new_memory (const HullMemoryLayout *layout)
{
  g_autoptr (GError) error = NULL;
  HullGuestMemory *memory = hull_guest_memory_new (layout, &error);

  g_assert_no_error (error);
  return memory;
}

static HullBootSource
source_for (const char *kernel, const char *initrd, const char *cmdline)
{
  HullBootSource source = { kernel, -1, initrd, -1, cmdline };

  return source;
}

/* Loads @source into fresh memory of @ram_size bytes and expects success. */
static HullGuestMemory *
load_ok (const HullBootSource *source, guint64 ram_size, HullBootInfo *info)
{
  g_autoptr (HullMemoryLayout) layout = new_layout (ram_size);
  g_autoptr (GError) error = NULL;
  HullGuestMemory *memory = new_memory (layout);

  g_assert_true (hull_x86_boot_load (memory, layout, source, info, &error));
  g_assert_no_error (error);
  return memory;
}

static void
read_guest (HullGuestMemory *memory, guint64 gpa, gpointer buffer, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (hull_guest_memory_read (memory, gpa, buffer, len, &error));
  g_assert_no_error (error);
}

static guint64
read64 (HullGuestMemory *memory, guint64 gpa)
{
  guint8 b[8];

  read_guest (memory, gpa, b, sizeof b);
  return get64 (b);
}

static guint8 *
read_zero_page (HullGuestMemory *memory)
{
  guint8 *zp = g_malloc (4096);

  read_guest (memory, HULL_X86_BOOT_ZERO_PAGE, zp, 4096);
  return zp;
}

/* Whether every page of guest RAM reads as zero. Only resident pages are
 * compared: a page nobody touched is zero, and this keeps GiB-sized layouts
 * cheap. */
static gboolean
memory_is_zero (HullGuestMemory *memory)
{
  static const guint8 zeros[4096];

  for (guint i = 0; i < hull_guest_memory_get_n_regions (memory); i++)
    {
      const HullGuestMemoryRegion *r = hull_guest_memory_get_region (memory, i);
      gsize n_pages = (gsize)(r->size / sizeof zeros);
      g_autofree unsigned char *resident = g_malloc (n_pages);

      g_assert_cmpint (mincore (r->host_address, (size_t)r->size, resident), ==, 0);
      for (gsize p = 0; p < n_pages; p++)
        if ((resident[p] & 1) != 0
            && memcmp (r->host_address + p * sizeof zeros, zeros, sizeof zeros) != 0)
          return FALSE;
    }
  return TRUE;
}

/* Loads @source into fresh memory and expects @code, a message containing
 * @message, and untouched memory. */
static void
assert_refused_in (const HullMemoryLayout *layout, const HullBootSource *source, HullError code,
                   const char *message)
{
  g_autoptr (HullGuestMemory) memory = new_memory (layout);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = NULL;
  HullBootInfo info;

  g_assert_false (hull_x86_boot_load (memory, layout, source, &info, &error));
  g_assert_error (error, HULL_ERROR, (gint)code);
  g_test_message ("refused: %s", error->message);
  /* g_format_size() puts a no-break space before the unit. */
  text = g_string_new (error->message);
  g_string_replace (text, "\u00a0", " ", 0);
  if (strstr (text->str, message) == NULL)
    g_error ("expected '%s' in '%s'", message, text->str);
  g_assert_true (memory_is_zero (memory));
}

static void
assert_refused (const HullBootSource *source, guint64 ram_size, HullError code, const char *message)
{
  g_autoptr (HullMemoryLayout) layout = new_layout (ram_size);

  assert_refused_in (layout, source, code, message);
}

static void
assert_elf_refused (Fixture *f, GByteArray *elf, guint64 ram_size, HullError code,
                    const char *message)
{
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, NULL);

  assert_refused (&source, ram_size, code, message);
  g_byte_array_unref (elf);
}

static void
assert_bz_refused (Fixture *f, const BzSpec *spec, guint64 ram_size, HullError code,
                   const char *message)
{
  g_autoptr (GByteArray) bz = build_bzimage (spec);
  HullBootSource source = source_for (write_bytes (f, "bzImage", bz), NULL, NULL);

  assert_refused (&source, ram_size, code, message);
}

/* ------------------------------------------------------------------ */
/* ELF */

static void
test_elf_segments (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  g_autoptr (HullMemoryLayout) layout = new_layout (MIB (32));
  g_autoptr (HullGuestMemory) memory = new_memory (layout);
  g_autoptr (GError) error = NULL;
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, NULL);
  guint8 a[ELF_SEG_A_MEMSZ], b[ELF_SEG_B_SIZE];
  HullBootInfo info;

  /* Stale bytes where the bss goes: the loader must clear them. */
  g_assert_true (hull_guest_memory_fill (memory, ELF_SEG_A_ADDR + ELF_SEG_A_FILESZ, 0xee,
                                         ELF_SEG_A_MEMSZ - ELF_SEG_A_FILESZ, NULL));
  g_assert_true (hull_x86_boot_load (memory, layout, &source, &info, &error));
  g_assert_no_error (error);

  g_assert_cmpint (info.format, ==, HULL_KERNEL_FORMAT_ELF);
  g_assert_cmphex (info.entry, ==, ELF_ENTRY);
  g_assert_cmphex (info.kernel_start, ==, ELF_SEG_A_ADDR);
  g_assert_cmphex (info.kernel_end, ==, ELF_SEG_B_ADDR + ELF_SEG_B_SIZE);
  g_assert_cmpuint (info.protocol_version, ==, 0);

  read_guest (memory, ELF_SEG_A_ADDR, a, sizeof a);
  for (gsize i = 0; i < sizeof a; i++)
    g_assert_cmpuint (a[i], ==, i < ELF_SEG_A_FILESZ ? elf_byte_a (i) : 0);
  read_guest (memory, ELF_SEG_B_ADDR, b, sizeof b);
  for (gsize i = 0; i < sizeof b; i++)
    g_assert_cmpuint (b[i], ==, elf_byte_b (i));
}

/* No setup header in the file: Hull synthesizes the fields Linux reads. */
static void
test_elf_zero_page (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, "console=ttyS0");
  g_autoptr (HullGuestMemory) memory = NULL;
  g_autofree guint8 *zp = NULL;
  HullBootInfo info;

  memory = load_ok (&source, MIB (32), &info);
  zp = read_zero_page (memory);
  g_assert_cmphex (get16 (zp + ZP_BOOT_FLAG), ==, 0xaa55);
  g_assert_cmpmem (zp + ZP_HEADER, 4, "HdrS", 4);
  g_assert_cmphex (get16 (zp + ZP_VERSION), ==, 0x020f);
  g_assert_cmphex (zp[ZP_TYPE_OF_LOADER], ==, 0xff);
  g_assert_cmphex (zp[ZP_LOADFLAGS], ==, 0x01);
  g_assert_cmphex (get32 (zp + ZP_CMD_LINE_PTR), ==, HULL_X86_BOOT_CMDLINE);
  g_assert_cmpuint (get32 (zp + ZP_CMDLINE_SIZE), ==, 2047);
  g_assert_cmphex (get32 (zp + ZP_INITRD_ADDR_MAX), ==, 0x7fffffff);
  g_assert_cmpuint (get32 (zp + ZP_RAMDISK_IMAGE), ==, 0);
  g_assert_cmpuint (get32 (zp + ZP_RAMDISK_SIZE), ==, 0);
  g_assert_cmpuint (zp[ZP_E820_ENTRIES], ==, 3);
  g_assert_cmpuint (info.e820_entries, ==, 3);
}

/* 2047 bytes plus the NUL is COMMAND_LINE_SIZE. */
static void
test_elf_cmdline_limit (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  g_autofree char *longest = g_strnfill (2047, 'x');
  g_autofree char *too_long = g_strnfill (2048, 'x');
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, longest);
  g_autoptr (HullGuestMemory) memory = NULL;
  char buffer[2048];
  HullBootInfo info;

  memory = load_ok (&source, MIB (32), &info);
  read_guest (memory, HULL_X86_BOOT_CMDLINE, buffer, sizeof buffer);
  g_assert_cmpuint (buffer[2047], ==, 0);
  g_assert_cmpstr (buffer, ==, longest);

  source.cmdline = too_long;
  assert_refused (&source, MIB (32), HULL_ERROR_LIMIT_EXCEEDED,
                  "the command line has 2048 bytes, more than the 2047");
}

static void
test_elf_not_a_kernel (Fixture *f, gconstpointer data)
{
  static const guint8 text[] = "#!/bin/sh\necho this is not a kernel\n";
  HullBootSource source = source_for (write_file (f, "script", text, sizeof text), NULL, NULL);

  assert_refused (&source, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                  "script: not an ELF vmlinux or a bzImage kernel");
  source.kernel_path = write_file (f, "empty", text, 0);
  assert_refused (&source, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                  "not an ELF vmlinux or a bzImage kernel");
}

static void
test_elf_truncated_header (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  g_byte_array_set_size (elf, 40);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT, "truncated ELF header");
}

static void
test_elf_load_past_file (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put64 (elf_phdr_at (elf, 2) + P_FILESZ, 0x1000);
  put64 (elf_phdr_at (elf, 2) + P_MEMSZ, 0x1000);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                      "ELF segment 2 (offset 0x2000, 4096 bytes) runs past the end of the file");
}

static void
test_elf_phdrs_past_file (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put64 (elf->data + 32, ELF_FILE_SIZE - 10);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                      "program headers at offset 0x27f6 run past the end");
}

static void
test_elf_outside_ram (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put64 (elf_phdr_at (elf, 2) + P_PADDR, MIB (40));
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_LIMIT_EXCEEDED,
                      "ELF segment 2 at 0x2800000-0x2800800 is not all in guest RAM");

  /* Straddling the end of RAM. */
  elf = build_elf ();
  put64 (elf_phdr_at (elf, 2) + P_PADDR, MIB (32) - 0x400);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_LIMIT_EXCEEDED, "is not all in guest RAM");

  /* In the 32-bit MMIO gap, or above 4 GiB. */
  elf = build_elf ();
  put64 (elf_phdr_at (elf, 2) + P_PADDR, GIB (3));
  assert_elf_refused (f, elf, GIB (4), HULL_ERROR_LIMIT_EXCEEDED, "is not all in guest RAM");
  elf = build_elf ();
  put64 (elf_phdr_at (elf, 2) + P_PADDR, GIB (4));
  assert_elf_refused (f, elf, GIB (6), HULL_ERROR_INVALID_ARGUMENT, "ends above 4 GiB");
  elf = build_elf ();
  put64 (elf_phdr_at (elf, 2) + P_PADDR, G_GUINT64_CONSTANT (0xfffffffffffffc00));
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT, "ends above 4 GiB");
}

static void
test_elf_boot_area (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put64 (elf_phdr_at (elf, 0) + P_PADDR, 0x6000);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                      "ELF segment 0 at 0x6000-0x9000 overlaps Hull's boot area below 1 MiB");
  /* Ending just past 1 MiB's start still overlaps. */
  elf = build_elf ();
  put64 (elf_phdr_at (elf, 0) + P_PADDR, 0xff000);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT, "boot area below 1 MiB");
}

static void
test_elf_32bit (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  elf->data[E_CLASS] = 1;
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_NOT_SUPPORTED, "a 32-bit ELF file");
}

static void
test_elf_wrong_machine (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put16 (elf->data + E_MACHINE, 183); /* EM_AARCH64 */
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_NOT_SUPPORTED, "ELF machine 183 is not x86-64");
}

static void
test_elf_not_executable (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put16 (elf->data + E_TYPE, 3); /* ET_DYN */
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_NOT_SUPPORTED,
                      "ELF type 3 is not an executable");
}

static void
test_elf_bad_entry (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put64 (elf->data + E_ENTRY, 0x300000);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                      "entry point 0x300000 is outside the loaded segments");
}

static void
test_elf_no_load (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put32 (elf_phdr_at (elf, 0) + P_TYPE, 4);
  put32 (elf_phdr_at (elf, 2) + P_TYPE, 4);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                      "no loadable (PT_LOAD) segments");
}

static void
test_elf_filesz_over_memsz (Fixture *f, gconstpointer data)
{
  GByteArray *elf = build_elf ();

  put64 (elf_phdr_at (elf, 0) + P_MEMSZ, 0x10);
  assert_elf_refused (f, elf, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                      "more file bytes (4096) than memory bytes (16)");
}

/* ------------------------------------------------------------------ */
/* bzImage */

static void
test_bzimage_load (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) bz = build_bzimage (&bz_default);
  HullBootSource source = source_for (write_bytes (f, "bzImage", bz), NULL, "quiet");
  g_autoptr (HullGuestMemory) memory = NULL;
  g_autofree guint8 *zp = NULL;
  g_autofree guint8 *payload = g_malloc (bz_default.payload_size);
  HullBootInfo info;

  memory = load_ok (&source, MIB (32), &info);
  g_assert_cmpint (info.format, ==, HULL_KERNEL_FORMAT_BZIMAGE);
  g_assert_cmphex (info.protocol_version, ==, 0x020f);
  g_assert_cmphex (info.entry, ==, 0x100200);
  g_assert_cmphex (info.kernel_start, ==, 0x100000);
  g_assert_cmphex (info.kernel_end, ==, BZ_KERNEL_END);

  read_guest (memory, 0x100000, payload, bz_default.payload_size);
  for (gsize i = 0; i < bz_default.payload_size; i++)
    g_assert_cmpuint (payload[i], ==, bz_byte (i));

  /* The header is copied from 0x1f1 to its end, 0x26c; Hull's fields on
   * top. */
  zp = read_zero_page (memory);
  g_assert_cmpmem (zp + ZP_SETUP_SECTS, ZP_VID_MODE - ZP_SETUP_SECTS, bz->data + ZP_SETUP_SECTS,
                   ZP_VID_MODE - ZP_SETUP_SECTS);
  g_assert_cmpmem (zp + ZP_ROOT_DEV, ZP_TYPE_OF_LOADER - ZP_ROOT_DEV, bz->data + ZP_ROOT_DEV,
                   ZP_TYPE_OF_LOADER - ZP_ROOT_DEV);
  g_assert_cmphex (get16 (zp + ZP_ROOT_DEV), ==, 0x0801);
  g_assert_cmphex (get32 (zp + ZP_HANDOVER_OFFSET), ==, 0x190);
  g_assert_cmphex (get32 (zp + ZP_INIT_SIZE), ==, bz_default.init_size);
  g_assert_cmphex (zp[0x270], ==, 0);
  g_assert_cmphex (get16 (zp + ZP_VID_MODE), ==, 0);
  g_assert_cmphex (zp[ZP_TYPE_OF_LOADER], ==, 0xff);
  g_assert_cmphex (get32 (zp + ZP_CMD_LINE_PTR), ==, HULL_X86_BOOT_CMDLINE);
  g_assert_cmphex (get32 (zp + ZP_EXT_CMD_LINE_PTR), ==, 0);
  g_assert_cmpuint (get32 (zp + ZP_CMDLINE_SIZE), ==, 255);
  g_assert_cmphex (zp[ZP_XLOADFLAGS], ==, 0x01);
}

static void
test_bzimage_setup_sects_zero (Fixture *f, gconstpointer data)
{
  BzSpec spec = bz_default;
  g_autoptr (GByteArray) bz = NULL;
  g_autoptr (HullGuestMemory) memory = NULL;
  HullBootSource source;
  guint8 first[16];
  HullBootInfo info;

  spec.setup_sects = 0; /* means 4: the payload starts at 5 × 512 */
  bz = build_bzimage (&spec);
  source = source_for (write_bytes (f, "bzImage", bz), NULL, NULL);
  memory = load_ok (&source, MIB (32), &info);
  read_guest (memory, 0x100000, first, sizeof first);
  for (gsize i = 0; i < sizeof first; i++)
    g_assert_cmpuint (first[i], ==, bz_byte (i));
}

static void
test_bzimage_old_protocol (Fixture *f, gconstpointer data)
{
  BzSpec spec = bz_default;

  spec.version = 0x020b;
  assert_bz_refused (f, &spec, MIB (32), HULL_ERROR_NOT_SUPPORTED,
                     "boot protocol 2.11 is too old; Hull needs 2.12 for the 64-bit entry");
}

static void
test_bzimage_no_kernel_64 (Fixture *f, gconstpointer data)
{
  BzSpec spec = bz_default;

  spec.xloadflags = 0x02;
  assert_bz_refused (f, &spec, MIB (32), HULL_ERROR_NOT_SUPPORTED,
                     "XLF_KERNEL_64 is not set in xloadflags");
}

static void
test_bzimage_loaded_low (Fixture *f, gconstpointer data)
{
  BzSpec spec = bz_default;

  spec.loadflags = 0;
  assert_bz_refused (f, &spec, MIB (32), HULL_ERROR_NOT_SUPPORTED, "LOADED_HIGH is not set");
}

static void
test_bzimage_cmdline_too_long (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) bz = build_bzimage (&bz_default);
  g_autofree char *fits = g_strnfill (255, 'a');
  g_autofree char *too_long = g_strnfill (256, 'a');
  HullBootSource source = source_for (write_bytes (f, "bzImage", bz), NULL, fits);
  g_autoptr (HullGuestMemory) memory = NULL;
  HullBootInfo info;

  memory = load_ok (&source, MIB (32), &info);
  source.cmdline = too_long;
  assert_refused (&source, MIB (32), HULL_ERROR_LIMIT_EXCEEDED,
                  "bzImage: the command line has 256 bytes, more than the 255 the kernel accepts");
}

static void
test_bzimage_too_big_for_ram (Fixture *f, gconstpointer data)
{
  BzSpec spec = bz_default;

  spec.init_size = MIB (20); /* from 16 MiB: needs 36 MiB */
  assert_bz_refused (f, &spec, MIB (32), HULL_ERROR_LIMIT_EXCEEDED,
                     "the kernel needs RAM from 0x100000 to 0x2400000");
}

static void
test_bzimage_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) bz = build_bzimage (&bz_default);
  HullBootSource source = source_for (NULL, NULL, NULL);

  /* The payload would start at 0x600; the file ends inside the setup. */
  g_byte_array_set_size (bz, 0x500);
  source.kernel_path = write_bytes (f, "bzImage", bz);
  assert_refused (&source, MIB (32), HULL_ERROR_INVALID_ARGUMENT, "truncated bzImage");
  /* The file ends inside the setup header. */
  g_byte_array_set_size (bz, 0x240);
  source.kernel_path = write_bytes (f, "bzImage2", bz);
  assert_refused (&source, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                  "truncated bzImage: the setup header ends at 0x26c, the file has 576 bytes");
  /* A header too short for its protocol. */
  g_byte_array_set_size (bz, 0x600 + 0x1000);
  bz->data[0x201] = 0x50;
  source.kernel_path = write_bytes (f, "bzImage3", bz);
  assert_refused (&source, MIB (32), HULL_ERROR_INVALID_ARGUMENT,
                  "the setup header ends at 0x252, too short for boot protocol 2.15");
}

/* ------------------------------------------------------------------ */
/* Common setup */

static void
test_cmdline (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) bz = build_bzimage (&bz_default);
  HullBootSource source
      = source_for (write_bytes (f, "bzImage", bz), NULL, "console=ttyS0 panic=1");
  g_autoptr (HullGuestMemory) memory = NULL;
  g_autoptr (HullGuestMemory) empty = NULL;
  char buffer[32];
  HullBootInfo info;

  memory = load_ok (&source, MIB (32), &info);
  g_assert_cmphex (info.cmdline_address, ==, 0x20000);
  read_guest (memory, 0x20000, buffer, sizeof buffer);
  g_assert_cmpmem (buffer, 22, "console=ttyS0 panic=1", 22); /* with the NUL */

  /* No command line is an empty one, still pointed to. */
  source.cmdline = NULL;
  empty = load_ok (&source, MIB (32), &info);
  read_guest (empty, 0x20000, buffer, 1);
  g_assert_cmpuint (buffer[0], ==, 0);
}

/* 6 GiB: RAM [0, 3 GiB) and [4 GiB, 7 GiB) around the low MMIO gap. */
static void
test_e820_above_4g (Fixture *f, gconstpointer data)
{
  static const struct
  {
    guint64 address, size;
    guint32 type;
  } expected[] = {
    { 0, 0x9fc00, 1 },
    { 0x9fc00, 0x100000 - 0x9fc00, 2 },
    { 0x100000, GIB (3) - 0x100000, 1 },
    { GIB (4), GIB (3), 1 },
  };
  g_autoptr (GByteArray) elf = build_elf ();
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, NULL);
  g_autoptr (HullGuestMemory) memory = NULL;
  g_autofree guint8 *zp = NULL;
  HullBootInfo info;

  memory = load_ok (&source, GIB (6), &info);
  zp = read_zero_page (memory);
  g_assert_cmpuint (info.e820_entries, ==, G_N_ELEMENTS (expected));
  g_assert_cmpuint (zp[ZP_E820_ENTRIES], ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const guint8 *e = zp + ZP_E820_TABLE + i * 20;

      g_assert_cmphex (get64 (e), ==, expected[i].address);
      g_assert_cmphex (get64 (e + 8), ==, expected[i].size);
      g_assert_cmpuint (get32 (e + 16), ==, expected[i].type);
    }
  g_assert_cmphex (get64 (zp + ZP_E820_TABLE + G_N_ELEMENTS (expected) * 20), ==, 0);
}

/* More RAM ranges than the zero page's 128 e820 entries: 130 gaps of 1 MiB
 * with 1 MiB of RAM between them make 131 ranges, the first split in 3. */
static void
test_e820_too_many (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, NULL);
  g_autofree HullMemoryRange *gaps = g_new (HullMemoryRange, 130);
  g_autoptr (HullMemoryLayout) layout = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 130; i++)
    {
      gaps[i].start = MIB (16) + MIB (2) * i;
      gaps[i].end = gaps[i].start + MIB (1);
    }
  layout = hull_memory_layout_new (MIB (16 + 130), gaps, 130, NULL, &error);
  g_assert_no_error (error);
  assert_refused_in (layout, &source, HULL_ERROR_LIMIT_EXCEEDED,
                     "needs 133 e820 entries; the zero page holds 128");
}

static void
test_layout_without_low_ram (Fixture *f, gconstpointer data)
{
  static const HullMemoryRange gap = { 0, 0x100000 };
  g_autoptr (GByteArray) elf = build_elf ();
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, NULL);
  g_autoptr (HullMemoryLayout) layout = NULL;
  g_autoptr (GError) error = NULL;

  layout = hull_memory_layout_new (MIB (32), &gap, 1, NULL, &error);
  g_assert_no_error (error);
  assert_refused_in (layout, &source, HULL_ERROR_INVALID_ARGUMENT,
                     "the memory layout has no RAM at 0x0-0x100000");
}

static void
test_page_tables (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, NULL);
  g_autoptr (HullGuestMemory) memory = NULL;
  HullBootInfo info;

  memory = load_ok (&source, MIB (32), &info);
  g_assert_cmphex (read64 (memory, 0x9000), ==, 0xa003);
  g_assert_cmphex (read64 (memory, 0x9008), ==, 0);
  for (guint i = 0; i < 4; i++)
    g_assert_cmphex (read64 (memory, 0xa000 + i * 8), ==, (0xb000 + i * 0x1000) | 0x3);
  g_assert_cmphex (read64 (memory, 0xa020), ==, 0);
  /* 2 MiB pages, present, writable: the first, one in the second GiB, the
   * last below 4 GiB. */
  g_assert_cmphex (read64 (memory, 0xb000), ==, 0x83);
  g_assert_cmphex (read64 (memory, 0xb008), ==, 0x200083);
  g_assert_cmphex (read64 (memory, 0xc000 + 5 * 8), ==, GIB (1) + MIB (10) + 0x83);
  g_assert_cmphex (read64 (memory, 0xeff8), ==, GIB (4) - MIB (2) + 0x83);
}

static void
test_gdt (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, NULL);
  g_autoptr (HullGuestMemory) memory = NULL;
  HullBootInfo info;

  memory = load_ok (&source, MIB (32), &info);
  g_assert_cmphex (read64 (memory, 0x500), ==, 0);
  g_assert_cmphex (read64 (memory, 0x508), ==, 0);
  /* Flat: base 0, limit 0xfffff pages. */
  g_assert_cmphex (read64 (memory, 0x510), ==, G_GUINT64_CONSTANT (0x00af9b000000ffff));
  g_assert_cmphex (read64 (memory, 0x518), ==, G_GUINT64_CONSTANT (0x00cf93000000ffff));
  /* Nothing else: the IDT follows, empty. */
  g_assert_cmphex (read64 (memory, 0x520), ==, 0);
}

static void
assert_segment (const HullX86Segment *s, guint16 selector, guint16 attributes, guint64 base,
                guint32 limit)
{
  g_assert_cmphex (s->selector, ==, selector);
  g_assert_cmphex (s->attributes, ==, attributes);
  g_assert_cmphex (s->base, ==, base);
  g_assert_cmphex (s->limit, ==, limit);
}

static void
test_registers (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) bz = build_bzimage (&bz_default);
  HullBootSource source = source_for (write_bytes (f, "bzImage", bz), NULL, NULL);
  g_autoptr (HullGuestMemory) memory = NULL;
  const HullX86Registers *r;
  HullBootInfo info;

  memory = load_ok (&source, MIB (32), &info);
  r = &info.regs.registers;
  g_assert_cmphex (r->rip, ==, 0x100200);
  g_assert_cmphex (r->rsi, ==, 0x7000);
  g_assert_cmphex (info.zero_page, ==, 0x7000);
  g_assert_cmphex (r->rsp, ==, 0x8ff0);
  g_assert_cmphex (r->rbp, ==, 0x8ff0);
  g_assert_cmphex (r->rax | r->rbx | r->rcx | r->rdx | r->rdi | r->r8 | r->r15, ==, 0);
  g_assert_cmphex (r->rflags, ==, 0x2);
  g_assert_cmphex (r->cr0, ==, 0x80000011);
  g_assert_cmphex (r->cr3, ==, 0x9000);
  g_assert_cmphex (r->cr4, ==, 0x20);
  g_assert_cmphex (r->efer, ==, 0x500);
  assert_segment (&r->cs, 0x10, 0xa09b, 0, 0xffffffff);
  assert_segment (&r->ds, 0x18, 0xc093, 0, 0xffffffff);
  assert_segment (&r->es, 0x18, 0xc093, 0, 0xffffffff);
  assert_segment (&r->ss, 0x18, 0xc093, 0, 0xffffffff);
  assert_segment (&r->fs, 0x18, 0xc093, 0, 0xffffffff);
  assert_segment (&r->gs, 0x18, 0xc093, 0, 0xffffffff);
  assert_segment (&r->tr, 0, 0x8b, 0, 0x67);
  assert_segment (&r->ldtr, 0, 0, 0, 0);
  g_assert_cmphex (r->gdtr.base, ==, 0x500);
  g_assert_cmphex (r->gdtr.limit, ==, 0x1f);
  g_assert_cmphex (r->idtr.base, ==, 0x520);
  g_assert_cmphex (r->idtr.limit, ==, 0);

  g_assert_cmphex (info.regs.mtrrs.def_type, ==, 0xc06);
  g_assert_cmphex (info.regs.mtrrs.fixed[0], ==, G_GUINT64_CONSTANT (0x0606060606060606));
  g_assert_cmphex (info.regs.mtrrs.fixed[2], ==, 0);
  g_assert_cmphex (info.regs.mtrrs.fixed[10], ==, G_GUINT64_CONSTANT (0x0606060606060606));
  g_assert_cmphex (info.regs.mtrrs.variable[1], ==, 0);
  g_assert_cmphex (info.regs.pat, ==, G_GUINT64_CONSTANT (0x0007040600070406));
}

static void
assert_initrd_at (HullGuestMemory *memory, const HullBootInfo *info, guint64 start, guint64 size,
                  const guint8 *contents)
{
  g_autofree guint8 *zp = read_zero_page (memory);
  g_autofree guint8 *copy = g_malloc (size);

  g_assert_cmphex (info->initrd_start, ==, start);
  g_assert_cmphex (info->initrd_size, ==, size);
  g_assert_cmphex (get32 (zp + ZP_RAMDISK_IMAGE), ==, start);
  g_assert_cmphex (get32 (zp + ZP_RAMDISK_SIZE), ==, size);
  g_assert_cmphex (get32 (zp + ZP_EXT_RAMDISK_IMAGE), ==, 0);
  g_assert_cmphex (get32 (zp + ZP_EXT_RAMDISK_SIZE), ==, 0);
  read_guest (memory, start, copy, size);
  g_assert_cmpmem (copy, size, contents, size);
}

static void
test_initrd_placement (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  g_autoptr (GByteArray) bz = NULL;
  g_autofree guint8 *contents = g_malloc (5000);
  HullBootSource source = source_for (NULL, NULL, NULL);
  g_autoptr (HullGuestMemory) m1 = NULL;
  g_autoptr (HullGuestMemory) m2 = NULL;
  g_autoptr (HullGuestMemory) m3 = NULL;
  BzSpec spec = bz_default;
  HullBootInfo info;

  for (gsize i = 0; i < 5000; i++)
    contents[i] = (guint8)(i ^ 0x5a);
  source.initrd_path = write_file (f, "initrd", contents, 5000);

  /* The top of RAM, 4 KiB aligned. */
  source.kernel_path = write_bytes (f, "vmlinux", elf);
  m1 = load_ok (&source, MIB (32), &info);
  assert_initrd_at (m1, &info, MIB (32) - 0x2000, 5000, contents);

  /* With more RAM, the ELF limit (2 GiB) is the top. */
  m2 = load_ok (&source, GIB (6), &info);
  assert_initrd_at (m2, &info, GIB (2) - 0x2000, 5000, contents);

  /* A bzImage's initrd_addr_max is the last byte it may use. */
  spec.initrd_addr_max = MIB (24) - 1;
  bz = build_bzimage (&spec);
  source.kernel_path = write_bytes (f, "bzImage", bz);
  m3 = load_ok (&source, MIB (32), &info);
  assert_initrd_at (m3, &info, MIB (24) - 0x2000, 5000, contents);
}

static void
test_initrd_too_big (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) bz = build_bzimage (&bz_default);
  HullBootSource source = source_for (write_bytes (f, "bzImage", bz), NULL, NULL);

  /* 16 MiB does not fit between the kernel's end at 20 MiB and 32 MiB. */
  source.initrd_path = write_sparse (f, "initrd", MIB (16));
  assert_refused (&source, MIB (32), HULL_ERROR_LIMIT_EXCEEDED,
                  "initrd: an initrd of 16.0 MiB does not fit between the kernel's end at "
                  "0x1400000 and 0x37ffffff (RAM below 4 GiB ends at 0x2000000)");
  /* Larger than all the RAM. */
  source.initrd_path = write_sparse (f, "huge", MIB (40));
  assert_refused (&source, MIB (32), HULL_ERROR_LIMIT_EXCEEDED,
                  "huge: 40.0 MiB is more than the 32.0 MiB of RAM below 4 GiB");
}

static void
test_empty_initrd (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  HullBootSource source = source_for (write_bytes (f, "vmlinux", elf), NULL, NULL);
  g_autoptr (HullGuestMemory) memory = NULL;
  HullBootInfo info;

  source.initrd_path = write_file (f, "initrd", (const guint8 *)"", 0);
  memory = load_ok (&source, MIB (32), &info);
  g_assert_cmphex (info.initrd_start, ==, 0);
  g_assert_cmphex (info.initrd_size, ==, 0);
}

static void
test_missing_files (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) elf = build_elf ();
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
  HullBootSource source = source_for (missing, NULL, NULL);

  assert_refused (&source, MIB (32), HULL_ERROR_NOT_FOUND, "cannot open '");
  source.kernel_path = write_bytes (f, "vmlinux", elf);
  source.initrd_path = missing;
  assert_refused (&source, MIB (32), HULL_ERROR_NOT_FOUND, "missing");
  source.kernel_path = f->dir;
  source.initrd_path = NULL;
  assert_refused (&source, MIB (32), HULL_ERROR_INVALID_ARGUMENT, "is a directory");
}

/* An fd wins over the path, is read in place and stays open. */
static void
test_kernel_fd (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) bz = build_bzimage (&bz_default);
  g_autoptr (GByteArray) elf = build_elf ();
  const char *path = write_bytes (f, "bzImage", bz);
  HullBootSource source = source_for ("/nonexistent/kernel", NULL, NULL);
  g_autoptr (HullGuestMemory) memory = NULL;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  int initrd_fd;
  HullBootInfo info;
  guint8 byte;

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (lseek (fd, 100, SEEK_SET), ==, 100);
  initrd_fd = g_open (write_bytes (f, "initrd", elf), O_RDONLY | O_CLOEXEC, 0);
  g_assert_cmpint (initrd_fd, >=, 0);
  source.kernel_fd = fd;
  source.initrd_fd = initrd_fd;
  memory = load_ok (&source, MIB (32), &info);
  g_assert_cmpint (info.format, ==, HULL_KERNEL_FORMAT_BZIMAGE);
  g_assert_cmpuint (info.initrd_size, ==, ELF_FILE_SIZE);
  read_guest (memory, 0x100000, &byte, 1);
  g_assert_cmpuint (byte, ==, bz_byte (0));

  /* Neither fd is closed nor moved. */
  g_assert_cmpint (lseek (fd, 0, SEEK_CUR), ==, 100);
  g_assert_cmpint (lseek (initrd_fd, 0, SEEK_CUR), ==, 0);
  g_assert_cmpint (close (fd), ==, 0);
  g_assert_cmpint (close (initrd_fd), ==, 0);
}

/* A pipe is read whole, bounded by the RAM below 4 GiB. */
static void
test_kernel_pipe (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) bz = build_bzimage (&bz_default);
  HullBootSource source = source_for (NULL, NULL, NULL);
  g_autoptr (HullGuestMemory) memory = NULL;
  guint8 last;
  HullBootInfo info;
  int fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  g_assert_cmpint (write (fds[1], bz->data, bz->len), ==, (gssize)bz->len);
  close (fds[1]);
  source.kernel_fd = fds[0];
  memory = load_ok (&source, MIB (32), &info);
  close (fds[0]);
  g_assert_cmpint (info.format, ==, HULL_KERNEL_FORMAT_BZIMAGE);
  read_guest (memory, 0x100000 + bz_default.payload_size - 1, &last, 1);
  g_assert_cmpuint (last, ==, bz_byte (bz_default.payload_size - 1));

  /* An endless character device. */
  if (g_file_test ("/dev/zero", G_FILE_TEST_EXISTS))
    {
      source.kernel_fd = -1;
      source.kernel_path = "/dev/zero";
      assert_refused (&source, MIB (32), HULL_ERROR_LIMIT_EXCEEDED,
                      "/dev/zero: more than the 32.0 MiB of RAM below 4 GiB");
    }
}

/* A real Debian kernel, when one is installed: the header fields the loader
 * relies on. $HULL_TEST_BZIMAGE names another. */
static char *
find_debian_kernel (void)
{
  const char *env = g_getenv ("HULL_TEST_BZIMAGE");
  const char *dirs[] = { "/boot", "/usr/lib/modules" };

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autoptr (GDir) dir = g_dir_open (dirs[i], 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = i == 0 ? g_build_filename (dirs[i], name, NULL)
                                         : g_build_filename (dirs[i], name, "vmlinuz", NULL);

          if ((i == 1 || g_str_has_prefix (name, "vmlinuz-")) && g_access (path, R_OK) == 0)
            return g_steal_pointer (&path);
        }
    }
  return NULL;
}

static void
test_debian_bzimage (Fixture *f, gconstpointer data)
{
  g_autofree char *path = find_debian_kernel ();
  g_autoptr (HullGuestMemory) memory = NULL;
  g_autofree guint8 *zp = NULL;
  HullBootSource source = source_for (path, NULL, "console=ttyS0");
  HullBootInfo info;

  if (path == NULL)
    {
      g_test_skip ("no readable kernel in /boot/vmlinuz-* or /usr/lib/modules/*/vmlinuz");
      return;
    }
  g_test_message ("kernel: %s", path);
  memory = load_ok (&source, MIB (512), &info);
  zp = read_zero_page (memory);
  g_assert_cmpint (info.format, ==, HULL_KERNEL_FORMAT_BZIMAGE);
  g_assert_cmphex (info.protocol_version, >=, 0x020c);
  g_assert_cmphex (get16 (zp + ZP_VERSION), ==, info.protocol_version);
  g_assert_cmphex (zp[ZP_XLOADFLAGS] & 0x01, ==, 0x01);
  g_assert_cmphex (zp[ZP_LOADFLAGS] & 0x01, ==, 0x01);
  g_assert_cmphex (zp[ZP_TYPE_OF_LOADER], ==, 0xff);
  g_assert_cmpuint (get32 (zp + ZP_CMDLINE_SIZE), >=, 255);
  g_assert_cmphex (info.entry, ==, 0x100200);
  g_assert_cmphex (info.kernel_end, >, 0x100000 + get32 (zp + ZP_INIT_SIZE) / 2);
  g_test_message ("protocol 0x%04x, init_size 0x%x, kernel end 0x%llx", info.protocol_version,
                  get32 (zp + ZP_INIT_SIZE), (unsigned long long)info.kernel_end);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func)                                                                            \
  g_test_add ("/hull/x86-boot/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("elf/segments", test_elf_segments);
  ADD ("elf/zero-page", test_elf_zero_page);
  ADD ("elf/cmdline-limit", test_elf_cmdline_limit);
  ADD ("elf/not-a-kernel", test_elf_not_a_kernel);
  ADD ("elf/truncated-header", test_elf_truncated_header);
  ADD ("elf/load-past-file", test_elf_load_past_file);
  ADD ("elf/phdrs-past-file", test_elf_phdrs_past_file);
  ADD ("elf/outside-ram", test_elf_outside_ram);
  ADD ("elf/over-boot-area", test_elf_boot_area);
  ADD ("elf/32-bit", test_elf_32bit);
  ADD ("elf/wrong-machine", test_elf_wrong_machine);
  ADD ("elf/not-executable", test_elf_not_executable);
  ADD ("elf/entry-outside-segments", test_elf_bad_entry);
  ADD ("elf/no-load-segments", test_elf_no_load);
  ADD ("elf/filesz-over-memsz", test_elf_filesz_over_memsz);
  ADD ("bzimage/load", test_bzimage_load);
  ADD ("bzimage/setup-sects-zero", test_bzimage_setup_sects_zero);
  ADD ("bzimage/old-protocol", test_bzimage_old_protocol);
  ADD ("bzimage/no-kernel-64", test_bzimage_no_kernel_64);
  ADD ("bzimage/loaded-low", test_bzimage_loaded_low);
  ADD ("bzimage/cmdline-too-long", test_bzimage_cmdline_too_long);
  ADD ("bzimage/too-big-for-ram", test_bzimage_too_big_for_ram);
  ADD ("bzimage/truncated", test_bzimage_truncated);
  ADD ("bzimage/debian-kernel", test_debian_bzimage);
  ADD ("cmdline", test_cmdline);
  ADD ("e820/above-4g", test_e820_above_4g);
  ADD ("e820/too-many-ranges", test_e820_too_many);
  ADD ("layout-without-low-ram", test_layout_without_low_ram);
  ADD ("page-tables", test_page_tables);
  ADD ("gdt", test_gdt);
  ADD ("registers", test_registers);
  ADD ("initrd/placement", test_initrd_placement);
  ADD ("initrd/too-big", test_initrd_too_big);
  ADD ("initrd/empty", test_empty_initrd);
  ADD ("missing-files", test_missing_files);
  ADD ("kernel-fd", test_kernel_fd);
  ADD ("kernel-pipe", test_kernel_pipe);

#undef ADD
  return g_test_run ();
}
