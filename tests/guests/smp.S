/* smp: start cpus=N processors (1..8) with INIT-SIPI-SIPI, count them. */
#include "guest.h"

#define LAPIC_ID        0x020
#define LAPIC_SVR       0x0f0
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define ICR_INIT        0x4500          /* INIT, level assert */
#define ICR_SIPI        (0x4600 | (AP_TRAMPOLINE >> 12))
#define WAIT_ROUNDS     100000          /* ~0.35 s here when a CPU is missing */

/* Selectors of the trampoline's own GDT. */
#define SEL_CODE32      0x08
#define SEL_DATA        0x10
#define SEL_CODE64      0x18

        .text
        .globl guest_main
guest_main:
        lea     key(%rip), %rdi
        mov     $5, %edx
        call    cmdline_arg
        test    %rax, %rax
        jz      bad
        movzbl  (%rax), %ebx            /* one digit 1..8, ending the word */
        sub     $'1', %ebx
        cmp     $7, %ebx
        ja      bad
        movzbl  1(%rax), %ecx
        cmp     $' ', %cl
        je      1f
        test    %cl, %cl
        jnz     bad
1:      inc     %ebx                    /* %ebx = N */

        /* The loader leaves the trampoline page to us: copy the code there. */
        lea     tramp_start(%rip), %rsi
        mov     $AP_TRAMPOLINE, %edi
        mov     $(tramp_end - tramp_start) >> 3, %ecx
        rep movsq

        mov     $LAPIC, %edi
        movl    $0x1ff, LAPIC_SVR(%rdi) /* software-enable the local APIC */
        mov     $1, %ecx                /* APIC ids are 0..N-1; we are 0 */
2:      cmp     %ebx, %ecx
        jae     3f
        mov     %ecx, %eax
        shl     $24, %eax
        mov     %eax, LAPIC_ICR_HI(%rdi)
        movl    $ICR_INIT, LAPIC_ICR_LO(%rdi)
        movl    $ICR_SIPI, LAPIC_ICR_LO(%rdi)
        movl    $ICR_SIPI, LAPIC_ICR_LO(%rdi)
        inc     %ecx
        jmp     2b

        /* Spin-check the counter; no timer, the emulated CPU is slow. */
3:      lea     -1(%rbx), %edx
        mov     $WAIT_ROUNDS, %ecx
4:      mov     ap_count(%rip), %ebp
        cmp     %edx, %ebp
        je      5f
        pause
        loop    4b
5:      inc     %ebp                    /* %ebp = K, CPUs up */

        lea     msg_smp(%rip), %rsi
        call    puts
        cmp     %ebx, %ebp
        je      6f
        lea     msg_only(%rip), %rsi
        call    puts
        lea     '0'(%rbp), %eax
        call    putc
        lea     msg_of(%rip), %rsi
        call    puts
6:      lea     '0'(%rbx), %eax
        call    putc
        lea     msg_up(%rip), %rsi
        jmp     puts

bad:
        lea     msg_bad(%rip), %rsi
        jmp     puts

/* The AP trampoline, copied to AP_TRAMPOLINE and entered there by SIPI in
   real mode with CS = AP_TRAMPOLINE >> 4, IP = 0.  Only position-independent
   code and offsets from tramp_start until the jump to 64-bit code. */
        .code16
tramp_start:
        cli
        mov     %cs, %ax
        mov     %ax, %ds
        lgdtl   tgdt_ptr - tramp_start          /* DS-relative */
        mov     %cr0, %eax
        or      $1, %al                         /* CR0.PE */
        mov     %eax, %cr0
        ljmpl   $SEL_CODE32, $(AP_TRAMPOLINE + tramp32 - tramp_start)

        .code32
tramp32:
        mov     $SEL_DATA, %eax
        mov     %eax, %ds
        mov     %eax, %es
        mov     %eax, %ss
        mov     %cr4, %eax
        or      $0x20, %eax                     /* CR4.PAE */
        mov     %eax, %cr4
        mov     $LOADER_PML4, %eax              /* the loader's 0-4 GiB map */
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx               /* EFER.LME */
        rdmsr
        or      $0x100, %eax
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax               /* CR0.PG: long mode is on */
        mov     %eax, %cr0
        ljmp    $SEL_CODE64, $ap_main           /* into the image, 64-bit */

        .balign 8
tgdt:   .quad   0
        .quad   0x00cf9b000000ffff              /* 0x08: flat 32-bit code */
        .quad   0x00cf93000000ffff              /* 0x10: flat data */
        .quad   0x00af9b000000ffff              /* 0x18: 64-bit code */
tgdt_ptr:
        .word   tgdt_ptr - tgdt - 1
        .long   AP_TRAMPOLINE + tgdt - tramp_start
        .balign 8                               /* copied in quadwords */
tramp_end:

        .code64
ap_main:
        movabs  LAPIC + LAPIC_ID, %eax
        shr     $24, %eax
        shl     $12, %eax
        lea     AP_STACKS(%rax), %rsp           /* a 4 KiB stack per AP */
        lock incl ap_count(%rip)
7:      cli
        hlt
        jmp     7b

        .section .rodata
key:    .ascii  "cpus="
msg_smp:
        .asciz  "smp: "
msg_only:
        .asciz  "only "
msg_of: .asciz  " of "
msg_up: .asciz  " CPUs up\n"
msg_bad:
        .asciz  "smp: need cpus=1..8\n"

        .data
        .balign 4
ap_count:
        .long   0
