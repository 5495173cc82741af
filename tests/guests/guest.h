/* Addresses and ports of Hull's x86 platform (docs/x86-boot.md). */
#define COM1                0x3f8
#define COM1_LSR            0x3fd
#define PORT_POST           0x80
#define PORT_I8042_CMD      0x64
#define I8042_CMD_RESET     0xfe
#define PORT_POWER_OFF      0x604
#define POWER_OFF_SLP_EN    0x2000
#define BOOT_TIMER          0xc0000000
#define BOOT_TIMER_MAGIC    123
#define LAPIC               0xfee00000
#define BP_E820_ENTRIES     0x1e8   /* offsets in struct boot_params: a byte */
#define BP_CMD_LINE_PTR     0x228   /* a u32 */
#define BP_E820_TABLE       0x2d0   /* entries of {u64 addr, u64 size, u32 type} */
#define E820_ENTRY_SIZE     20
#define E820_RAM            1
#define E820_RESERVED       2
#define LOADER_PML4         0x9000  /* the loader's identity map of 0-4 GiB */
#define AP_TRAMPOLINE       0x10000 /* reserved for guests; SIPI vector 0x10 */
#define AP_STACKS           0x30000 /* smp: 4 KiB per AP, below the stack top 0x30000 + id * 4 KiB */
