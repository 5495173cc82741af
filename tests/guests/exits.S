/* exits: take the one exit path named by "exit=NAME" on the command line. */
#include "guest.h"

        .text
        .globl guest_main
guest_main:
        lea     key(%rip), %rdi
        mov     $5, %edx
        call    cmdline_arg
        test    %rax, %rax
        jz      unknown
        /* Walk the table: {handler (4 bytes), length (1), name}. */
        lea     table(%rip), %rbx
1:      movzbl  4(%rbx), %ecx
        jrcxz   unknown
        lea     5(%rbx), %rdi
        mov     %rax, %rsi
        repe cmpsb
        jne     2f
        movzbl  (%rsi), %edx    /* the name must end the word */
        cmp     $' ', %dl
        je      3f
        test    %dl, %dl
        jz      3f
2:      movzbl  4(%rbx), %ecx
        lea     5(%rbx,%rcx), %rbx
        jmp     1b
3:      mov     (%rbx), %eax
        jmp     *%rax

unknown:
        lea     msg_unknown(%rip), %rsi
        call    puts
        jmp     poweroff

do_reset:
        mov     $I8042_CMD_RESET, %al
        out     %al, $PORT_I8042_CMD
        jmp     hang

/* No usable IDT: #UD -> #GP -> #DF -> shutdown. */
do_triple_fault:
        lidt    null_idt(%rip)
        ud2

do_spin:
        jmp     do_spin

do_io:
        mov     $0x11, %al
        out     %al, $PORT_POST
        in      $PORT_POST, %al
        mov     $COM1_LSR, %edx
        in      %dx, %al
        mov     $COM1, %edx
        mov     $'A', %al
        out     %al, %dx
        mov     $'B', %al
        out     %al, %dx
        jmp     poweroff

/* 0xd0000000 is in the low MMIO gap and claimed by no device. */
do_mmio:
        mov     $0xd0000000, %eax
        mov     (%rax), %ecx
        movl    $0x12345678, (%rax)
        jmp     poweroff

/* An exit storm: STORM_EXITS byte writes to the POST port, then power off. */
#define STORM_EXITS 10000
do_storm:
        mov     $STORM_EXITS, %ecx
        mov     $0x5a, %al
5:      out     %al, $PORT_POST
        loop    5b
        jmp     poweroff

/* A 64-bit counter at 2 MiB that a save/restore test can watch. */
do_count:
        mov     $0x200000, %eax
4:      incq    (%rax)
        jmp     4b

        .section .rodata
key:    .ascii  "exit="
msg_unknown:
        .asciz  "exits: unknown exit\n"

#define ENTRY(name, handler) \
        .long handler; .byte 9f - 8f; 8: .ascii name; 9:
table:
        ENTRY ("poweroff", poweroff)
        ENTRY ("reset", do_reset)
        ENTRY ("triple-fault", do_triple_fault)
        ENTRY ("halt", hang)
        ENTRY ("spin", do_spin)
        ENTRY ("io", do_io)
        ENTRY ("mmio", do_mmio)
        ENTRY ("count", do_count)
        ENTRY ("storm", do_storm)
        .long   0
        .byte   0

        .balign 2
null_idt:
        .word   0
        .quad   0
