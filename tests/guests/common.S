/* Shared code of Hull's test guests: entry, serial output, power off,
   command-line lookup.  Entered as docs/x86-boot.md says: 64-bit mode, the
   loader's identity map of 0-4 GiB (CR3 = 0x9000), RSI = zero page,
   RSP = 0x8ff0, interrupts off.  Each guest defines guest_main. */

#include "guest.h"

        .text
        .globl _start, puts, putc, poweroff, hang, cmdline_arg

_start:
        mov     %rsi, zero_page(%rip)
        call    guest_main
        /* fall through: a guest that returns powers off */

/* Power off: a 16-bit write of SLP_EN to PM1a_CNT.  If nothing is there,
   stop forever with interrupts off. */
poweroff:
        mov     $PORT_POWER_OFF, %edx
        mov     $POWER_OFF_SLP_EN, %eax
        out     %ax, %dx
hang:
        cli
        hlt
        jmp     hang

/* puts: write the NUL-terminated string at %rsi to COM1.
   putc: write the byte in %al.  Clobber %rax, %rcx, %rdx, %rsi. */
puts:
        lodsb
        test    %al, %al
        jz      1f
        call    putc
        jmp     puts
1:      ret

putc:
        mov     %eax, %ecx
        mov     $COM1_LSR, %edx
2:      in      %dx, %al        /* one read per byte: THR is ready on Hull */
        test    $0x20, %al      /* LSR.THRE */
        jz      2b
        mov     $COM1, %edx
        mov     %ecx, %eax
        out     %al, %dx
        ret

/* cmdline_arg: find the word that starts with the key at %rdi (%edx bytes
   long, no NUL) in the command line.  Returns %rax = the byte after the key
   in that word, or 0.  Clobbers %rcx, %rsi, %r8. */
cmdline_arg:
        mov     zero_page(%rip), %rax
        mov     BP_CMD_LINE_PTR(%rax), %eax     /* zero-extends */
        test    %eax, %eax
        jz      5f
3:      mov     %rax, %rsi
        mov     %rdi, %r8
        mov     %edx, %ecx
        repe cmpsb              /* stops at the NUL too: the key has none */
        mov     %r8, %rdi
        je      6f
4:      movzbl  (%rax), %ecx    /* no match: skip past the next space */
        inc     %rax
        jrcxz   5f
        cmp     $' ', %cl
        jne     4b
        jmp     3b
5:      xor     %eax, %eax
        ret
6:      mov     %rsi, %rax
        ret

        .data
        .balign 8
zero_page:
        .quad   0
