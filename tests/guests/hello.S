/* hello: mark the boot time, greet on COM1, power off. */
#include "guest.h"

        .text
        .globl guest_main
guest_main:
        mov     $BOOT_TIMER, %eax
        movb    $BOOT_TIMER_MAGIC, (%rax)
        lea     msg(%rip), %rsi
        jmp     puts            /* returns to _start, which powers off */

        .section .rodata
msg:    .asciz  "Hello from a Hull guest\n"
