/* hello: mark the boot time, greet on COM1 with the command line and the
   e820 map from the zero page, then power off, or reset the machine through
   the i8042 if "reboot" is a word of the command line. */
#include "guest.h"

        .text
        .globl guest_main
guest_main:
        mov     $BOOT_TIMER, %eax
        movb    $BOOT_TIMER_MAGIC, (%rax)
        lea     msg_hello(%rip), %rsi   /* the banner and "cmdline: " */
        call    puts
        mov     zero_page(%rip), %rbx
        mov     BP_CMD_LINE_PTR(%rbx), %esi     /* zero-extends */
        test    %esi, %esi
        jz      1f
        call    puts
1:      mov     $'\n', %al
        call    putc

        movzbl  BP_E820_ENTRIES(%rbx), %r12d
        lea     BP_E820_TABLE(%rbx), %rbx
2:      test    %r12d, %r12d
        jz      5f
        lea     msg_e820(%rip), %rsi
        call    puts
        mov     (%rbx), %rdi            /* addr */
        call    puthex
        mov     $'-', %al
        call    putc
        mov     (%rbx), %rdi
        add     8(%rbx), %rdi           /* + size - 1: the last byte, as Linux prints */
        dec     %rdi
        call    puthex
        mov     16(%rbx), %edi          /* type */
        lea     msg_usable(%rip), %rsi
        cmp     $E820_RAM, %edi
        je      3f
        lea     msg_reserved(%rip), %rsi
        cmp     $E820_RESERVED, %edi
        je      3f
        lea     msg_type(%rip), %rsi
        call    puts
        call    putdec
        lea     msg_nl(%rip), %rsi
3:      call    puts
        add     $E820_ENTRY_SIZE, %rbx
        dec     %r12d
        jmp     2b

5:      lea     key_reboot(%rip), %rdi
        mov     $6, %edx
        call    cmdline_word
        test    %rax, %rax
        jz      poweroff
        mov     $I8042_CMD_RESET, %al
        out     %al, $PORT_I8042_CMD
        jmp     hang

/* putdec: write %edi in decimal.  Clobbers %rax, %rcx, %rdx, %rsi, %r8. */
putdec:
        mov     %edi, %eax
        mov     $10, %r8d
        xor     %esi, %esi              /* digits pushed */
6:      xor     %edx, %edx
        div     %r8d
        add     $'0', %edx
        push    %rdx
        inc     %esi
        test    %eax, %eax
        jnz     6b
7:      pop     %rax
        call    putc                    /* keeps %rsi */
        dec     %esi
        jnz     7b
        ret

        .section .rodata
msg_hello:
        .ascii  "Hello from a Hull guest\n"
        .asciz  "cmdline: "
msg_e820:
        .asciz  "e820: "
msg_usable:
        .asciz  " usable\n"
msg_reserved:
        .asciz  " reserved\n"
msg_type:
        .asciz  " type "
msg_nl:
        .asciz  "\n"
key_reboot:
        .ascii  "reboot"
