/* hull-x86-boot.h — x86-64 direct kernel boot: loads an ELF vmlinux or a
 * bzImage, its initrd and command line into guest memory and produces the
 * BSP's initial registers for the Linux 64-bit boot protocol.
 *
 * Backend-independent: it writes guest RAM through #HullGuestMemory and
 * returns a #HullInitialRegs for hull_partition_unit_set_initial_regs().
 * docs/x86-boot.md describes the memory map, the zero-page fields Hull sets
 * and every limit.
 *
 * Guest physical memory map (docs/x86-boot.md; everything below 1 MiB is
 * Hull's):
 *
 *   0x00000-0x004ff  left alone (real-mode IVT and BIOS data area)
 *   0x00500-0x0051f  GDT: null, null, code 0x10, data 0x18
 *   0x00520-0x00527  IDT: empty (limit 0), so any exception before the
 *                    kernel loads its own IDT shuts the VM down
 *   0x07000-0x07fff  zero page (struct boot_params); RSI points here
 *   0x08ff0          initial RSP and RBP (the stack grows down from here)
 *   0x09000-0x09fff  PML4
 *   0x0a000-0x0afff  PDPT
 *   0x0b000-0x0efff  4 page directories: 2 MiB pages identity-mapping 4 GiB
 *   0x10000-0x10fff  reserved for an AP trampoline (SIPI vector 0x10); the
 *                    loader does not write it
 *   0x20000-         command line, NUL-terminated
 *   0x9fc00-0xfffff  reserved in the e820 map (EBDA, VGA, BIOS)
 *   0x100000-        a bzImage's protected-mode code; ELF segments at p_paddr
 *   top of low RAM   the initrd, 4 KiB aligned, below the kernel's limit
 *
 * Segment attributes use the VMX access-rights layout (Intel SDM vol. 3,
 * "Guest Register State"), as #HullX86Segment carries them:
 *
 *   bits 0-3 type, bit 4 S (code/data), bits 5-6 DPL, bit 7 P,
 *   bit 12 AVL, bit 13 L (64-bit code), bit 14 D/B, bit 15 G
 *
 * so the flat 64-bit code segment is 0xa09b (G, L, P, S, execute/read,
 * accessed), the flat data segment 0xc093 (G, D/B, P, S, read/write,
 * accessed) and TR 0x008b (P, busy 64-bit TSS). Attributes 0 (P clear) mark
 * a segment unusable (LDTR). A segment's limit is in bytes, as in the VMCS
 * and struct kvm_segment: 0xffffffff for the flat segments, whose GDT
 * descriptors say 0xfffff pages. The GDT's descriptors carry the same
 * attribute bits: bits 0-7 as the access byte, bits 12-15 as the flags
 * nibble. TR has no GDT descriptor: KVM needs only its attributes to say a
 * present busy TSS, and the kernel loads its own TR.
 */
#pragma once

#include <glib.h>

#include "hull-backend.h"
#include "hull-guest-memory.h"
#include "hull-memory-layout.h"

G_BEGIN_DECLS

#define HULL_X86_BOOT_GDT 0x500
#define HULL_X86_BOOT_GDT_LIMIT 0x1f
#define HULL_X86_BOOT_IDT 0x520
#define HULL_X86_BOOT_IDT_LIMIT 0
#define HULL_X86_BOOT_ZERO_PAGE 0x7000
#define HULL_X86_BOOT_STACK 0x8ff0
#define HULL_X86_BOOT_PML4 0x9000
#define HULL_X86_BOOT_PDPT 0xa000
#define HULL_X86_BOOT_PD 0xb000
#define HULL_X86_BOOT_AP_TRAMPOLINE 0x10000
#define HULL_X86_BOOT_CMDLINE 0x20000
#define HULL_X86_BOOT_EBDA 0x9fc00
#define HULL_X86_BOOT_HIGH 0x100000

/* Selectors: __BOOT_CS and __BOOT_DS of Documentation/arch/x86/boot.rst. */
#define HULL_X86_BOOT_CS 0x10
#define HULL_X86_BOOT_DS 0x18

/* Segment attributes, VMX access-rights layout (see above). */
#define HULL_X86_SEGMENT_CODE64 0xa09b
#define HULL_X86_SEGMENT_DATA 0xc093
#define HULL_X86_SEGMENT_TSS64_BUSY 0x008b
/* TR's limit: a minimal 64-bit TSS. */
#define HULL_X86_BOOT_TR_LIMIT 0x67

/* The most e820 entries the zero page holds. */
#define HULL_X86_BOOT_E820_MAX 128

/**
 * HullKernelFormat:
 * @HULL_KERNEL_FORMAT_ELF: an uncompressed ELF64 vmlinux, entered at e_entry
 * @HULL_KERNEL_FORMAT_BZIMAGE: a bzImage, entered at its 64-bit entry point
 */
typedef enum
{
  HULL_KERNEL_FORMAT_ELF,
  HULL_KERNEL_FORMAT_BZIMAGE,
} HullKernelFormat;

/**
 * HullBootSource:
 * @kernel_path: the kernel's path; names the file in messages
 * @kernel_fd: an open kernel file, or -1 to open @kernel_path; used in
 *   preference to the path and never closed
 * @initrd_path: (nullable): the initrd's path
 * @initrd_fd: an open initrd, or -1; as @kernel_fd. With both @initrd_path
 *   %NULL and @initrd_fd -1 there is no initrd.
 * @cmdline: (nullable): the kernel command line; %NULL is an empty one
 *
 * What to boot. Regular files are read in place with pread(), so an fd's
 * offset does not matter and does not change; other files (pipes, character
 * devices) are read from their current position, bounded by the RAM below
 * 4 GiB.
 */
typedef struct
{
  const char *kernel_path;
  int kernel_fd;
  const char *initrd_path;
  int initrd_fd;
  const char *cmdline;
} HullBootSource;

/**
 * HullBootInfo:
 * @format: the kernel's format
 * @regs: the initial registers, MTRRs and PAT
 * @entry: the guest physical entry point (RIP)
 * @kernel_start: the lowest address the kernel occupies
 * @kernel_end: one past the highest address the kernel needs, including a
 *   bzImage's init_size from its runtime start
 * @zero_page: the zero page's address (RSI)
 * @cmdline_address: where the command line is
 * @initrd_start: where the initrd is, 0 without one
 * @initrd_size: its size in bytes, 0 without one
 * @e820_entries: how many e820 entries the zero page holds
 * @protocol_version: a bzImage's boot protocol version (0x020c for 2.12);
 *   0 for an ELF kernel
 *
 * What hull_x86_boot_load() did.
 */
typedef struct
{
  HullKernelFormat format;
  HullInitialRegs regs;
  guint64 entry;
  guint64 kernel_start;
  guint64 kernel_end;
  guint64 zero_page;
  guint64 cmdline_address;
  guint64 initrd_start;
  guint64 initrd_size;
  guint e820_entries;
  guint16 protocol_version;
} HullBootInfo;

/**
 * hull_x86_boot_load:
 * @memory: guest RAM, laid out by @layout
 * @layout: the guest memory layout; its RAM must cover [0, 1 MiB) and the
 *   kernel
 * @source: the kernel, initrd and command line
 * @info: (out caller-allocates): what was loaded, and the registers
 * @error: return location for a #GError, or %NULL
 *
 * Detects the kernel's format (ELF magic, or a bzImage's 0xAA55 and "HdrS"),
 * checks everything (files, headers, the command line's length, where the
 * kernel and the initrd go, the e820 map) and only then writes the kernel,
 * initrd, command line, zero page, GDT, IDT and page tables into
 * @memory and fills @info [any thread, not concurrently with the guest].
 *
 * Errors name the file: %HULL_ERROR_NOT_FOUND for a missing file,
 * %HULL_ERROR_IO for one that cannot be read, %HULL_ERROR_INVALID_ARGUMENT
 * for a file that is not a kernel or is malformed or truncated,
 * %HULL_ERROR_NOT_SUPPORTED for a kernel Hull cannot boot (32-bit, boot
 * protocol before 2.12, no 64-bit entry) and %HULL_ERROR_LIMIT_EXCEEDED for
 * a command line, kernel or initrd that does not fit. A refused load leaves
 * @memory unchanged, except when a file fails or shrinks while its contents
 * are being copied.
 *
 * Returns: %TRUE on success.
 */
gboolean hull_x86_boot_load (HullGuestMemory *memory, const HullMemoryLayout *layout,
                             const HullBootSource *source, HullBootInfo *info, GError **error);

G_END_DECLS
