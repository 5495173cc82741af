/* Shared code of Hull's test guests: entry, serial output (strings and hex
   numbers), power off, command-line lookup.  Entered as docs/x86-boot.md
   says: 64-bit mode, the loader's identity map of 0-4 GiB (CR3 = 0x9000),
   RSI = zero page (also kept in zero_page), RSP = 0x8ff0, interrupts off.
   Each guest defines guest_main. */

#include "guest.h"

        .text
        .globl _start, puts, putc, puthex, poweroff, hang, cmdline_arg, cmdline_word
        .globl zero_page

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

/* puthex: write %rdi as "0x" and 16 lowercase hex digits.  Clobbers %rax,
   %rcx, %rdx, %rsi, %rdi, %r8. */
puthex:
        mov     $'0', %al
        call    putc
        mov     $'x', %al
        call    putc
        mov     $16, %r8d
        lea     hexdigits(%rip), %rsi
7:      rol     $4, %rdi        /* the top nibble first */
        mov     %edi, %eax
        and     $0xf, %eax
        movzbl  (%rsi,%rax), %eax
        call    putc
        dec     %r8d
        jnz     7b
        ret

/* cmdline_arg: find the word that starts with the key at %rdi (%edx bytes
   long, no NUL) in the command line.  Returns %rax = the byte after the key
   in that word, or 0.  cmdline_word: the same, but the word must be the key
   alone ("reboot", not "reboot=k").  Both clobber %rcx, %rsi, %r8, %r9. */
cmdline_word:
        mov     $1, %r9d
        jmp     0f
cmdline_arg:
        xor     %r9d, %r9d
0:      mov     zero_page(%rip), %rax
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
6:      test    %r9d, %r9d      /* cmdline_word: the key must end the word */
        jz      8f
        movzbl  (%rsi), %ecx
        jrcxz   8f
        cmp     $' ', %cl
        jne     4b
8:      mov     %rsi, %rax
        ret

        .section .rodata
hexdigits:
        .ascii  "0123456789abcdef"

        .data
        .balign 8
zero_page:
        .quad   0
