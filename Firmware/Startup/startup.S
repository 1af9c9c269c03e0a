/*
 * Start-up code of the picoctl companion firmware: boot2 image, vector table, SDK-layout binary
 * info header, reset handler (copies .data, zeroes .bss, calls the Swift `main`), the two
 * atomic shims Embedded Swift's volatile registers lower to on ARMv6-M, and small bootrom calls.
 * Everything else is Swift (Sources/).
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

/* ---- boot2: 252 bytes of code + CRC-32, made by build.sh ---------------------------------- */
    .section .boot2, "ax"
    .incbin BOOT2_BIN

/* ---- vector table (at 0x10000100, where boot2 points VTOR) -------------------------------- */
    .section .vectors, "a"
    .align 2
    .global companion_vectors
companion_vectors:
    .word __stack_top__
    .word companion_reset
    .rept 14
    .word companion_unhandled
    .endr
    .rept 32
    .word companion_wake_handler    /* IRQ 0-31 */
    .endr

/* ---- binary info header, in the first 256 bytes after boot2 ------------------------------- */
    .section .binary_info_header, "a"
    .align 2
    .word 0x7188ebf2
    .word __binary_info_start
    .word __binary_info_end
    .word companion_copy_table
    .word 0xe71aa390

/* ---- reset handler ------------------------------------------------------------------------ */
    .section .text.companion_reset, "ax"
    .global companion_reset
    .type companion_reset, %function
    .thumb_func
companion_reset:
    cpsid i                     /* interrupts stay masked: WFI still wakes on a pending IRQ */
    ldr r0, =__stack_top__
    msr msp, r0
    /* Walk the copy table (source, destination start, destination end; 0 ends it). */
    ldr r4, =companion_copy_table
1:  ldmia r4!, {r1, r2, r3}
    cmp r1, #0
    beq 3f
2:  cmp r2, r3
    bhs 1b
    ldmia r1!, {r0}
    stmia r2!, {r0}
    b 2b
3:  ldr r1, =__bss_start__
    ldr r2, =__bss_end__
    movs r0, #0
4:  cmp r1, r2
    bhs 5f
    stmia r1!, {r0}
    b 4b
5:  bl main
6:  wfi
    b 6b
    .ltorg

    .section .text.companion_unhandled, "ax"
    .type companion_unhandled, %function
    .thumb_func
companion_unhandled:
    bkpt #0
    b companion_unhandled

    .section .rodata.companion_copy_table, "a"
    .align 2
    .global companion_copy_table
companion_copy_table:
    .word __data_source__, __data_start__, __data_end__
    .word 0

/* ---- atomics: a volatile 32-bit register access is a plain aligned load or store ---------- */
    .section .time_critical.atomic_load_4, "ax"
    .global __atomic_load_4
    .type __atomic_load_4, %function
    .thumb_func
__atomic_load_4:                /* uint32_t __atomic_load_4(const volatile void *p, int order) */
    ldr r0, [r0]
    bx lr

    .section .time_critical.atomic_store_4, "ax"
    .global __atomic_store_4
    .type __atomic_store_4, %function
    .thumb_func
__atomic_store_4:               /* void __atomic_store_4(volatile void *p, uint32_t v, int order) */
    str r1, [r0]
    bx lr

/* ---- bootrom function table ----------------------------------------------------------------- */
    .section .time_critical.rom_func_lookup, "ax"
    .global companion_rom_func_lookup
    .type companion_rom_func_lookup, %function
    .thumb_func
companion_rom_func_lookup:      /* void *companion_rom_func_lookup(uint32_t code) */
    push {r4, lr}
    mov r1, r0
    movs r2, #0x14
    ldrh r0, [r2]               /* the ROM function table */
    movs r2, #0x18
    ldrh r2, [r2]               /* the ROM's table lookup routine */
    blx r2
    pop {r4, pc}

/* void companion_reset_usb_boot(uint32_t gpio_activity_mask, uint32_t disable_interface_mask):
   the bootrom's reset_usb_boot ('UB'); does not return. */
    .section .text.companion_reset_usb_boot, "ax"
    .global companion_reset_usb_boot
    .type companion_reset_usb_boot, %function
    .thumb_func
companion_reset_usb_boot:
    push {r4, r5, r6, lr}
    mov r4, r0
    mov r5, r1
    ldr r0, =0x4255             /* 'U','B' */
    bl companion_rom_func_lookup
    mov r2, r0
    mov r0, r4
    mov r1, r5
    blx r2
7:  b 7b
    .ltorg

/* void companion_read_flash_unique_id(uint8_t out[8]): flash command 4Bh, run from RAM with
   XIP off. Uses the bootrom's connect_internal_flash, flash_exit_xip, flash_flush_cache and
   flash_enter_cmd_xip (03h reads, as our boot2 sets up). Interrupts must be masked. */
    .section .time_critical.read_flash_unique_id, "ax"
    .global companion_read_flash_unique_id
    .type companion_read_flash_unique_id, %function
    .thumb_func
companion_read_flash_unique_id:
    push {r4, r5, r6, r7, lr}
    sub sp, #16
    mov r7, r0
    ldr r0, =0x4649             /* 'I','F' connect_internal_flash */
    bl companion_rom_func_lookup
    str r0, [sp, #0]
    ldr r0, =0x5845             /* 'E','X' flash_exit_xip */
    bl companion_rom_func_lookup
    str r0, [sp, #4]
    ldr r0, =0x4346             /* 'F','C' flash_flush_cache */
    bl companion_rom_func_lookup
    str r0, [sp, #8]
    ldr r0, =0x5843             /* 'C','X' flash_enter_cmd_xip */
    bl companion_rom_func_lookup
    str r0, [sp, #12]
    ldr r0, [sp, #0]
    blx r0
    ldr r0, [sp, #4]
    blx r0
    /* chip select low: IO_QSPI GPIO_QSPI_SS_CTRL.OUTOVER = 2 */
    ldr r4, =0x4001800c
    ldr r1, [r4]
    ldr r2, =0x300
    bics r1, r2
    ldr r2, =0x200
    orrs r1, r2
    str r1, [r4]
    ldr r5, =0x18000000         /* SSI */
    movs r6, #0                 /* bytes sent */
    movs r3, #0                 /* bytes received */
10: cmp r3, #13
    beq 13f
    cmp r6, #13
    bge 11f
    ldr r1, [r5, #0x28]         /* SR */
    movs r2, #2                 /* TFNF */
    tst r1, r2
    beq 11f
    subs r2, r6, r3
    cmp r2, #14
    bge 11f
    movs r2, #0
    cmp r6, #0
    bne 14f
    movs r2, #0x4b
14: str r2, [r5, #0x60]         /* DR0 */
    adds r6, #1
11: ldr r1, [r5, #0x28]
    movs r2, #8                 /* RFNE */
    tst r1, r2
    beq 10b
    ldr r2, [r5, #0x60]
    cmp r3, #5
    blt 12f
    subs r0, r3, #5
    strb r2, [r7, r0]
12: adds r3, #1
    b 10b
13: /* chip select high: OUTOVER = 3 */
    ldr r1, [r4]
    ldr r2, =0x300
    orrs r1, r2
    str r1, [r4]
    ldr r0, [sp, #8]
    blx r0
    ldr r0, [sp, #12]
    blx r0
    add sp, #16
    pop {r4, r5, r6, r7, pc}
    .ltorg

/* void companion_sleep(uint32_t irq_mask): lets the IRQs in irq_mask wake the core and waits.
   A woken IRQ's handler only masks itself in the NVIC again (the main loop polls the hardware),
   so a level that stays high cannot keep the core in its handler. */
    .section .text.companion_sleep, "ax"
    .global companion_sleep
    .type companion_sleep, %function
    .thumb_func
companion_sleep:
    cpsid i
    ldr r1, =0xe000e100         /* NVIC_ISER */
    str r0, [r1]
    wfi
    cpsie i
    nop
    bx lr
    .ltorg

    .section .text.companion_wake_handler, "ax"
    .type companion_wake_handler, %function
    .thumb_func
companion_wake_handler:
    mrs r0, ipsr
    subs r0, #16
    movs r1, #1
    lsls r1, r0
    ldr r2, =0xe000e180         /* NVIC_ICER */
    str r1, [r2]
    bx lr
    .ltorg

/* ---- 32-bit division on the SIO hardware divider (8 cycles) -------------------------------- */
    .section .time_critical.aeabi_uidivmod, "ax"
    .global __aeabi_uidiv
    .global __aeabi_uidivmod
    .type __aeabi_uidiv, %function
    .type __aeabi_uidivmod, %function
    .thumb_func
__aeabi_uidiv:                  /* r0 / r1 -> r0 */
    .thumb_func
__aeabi_uidivmod:               /* r0 / r1 -> r0 quotient, r1 remainder */
    ldr r3, =0xd0000000
    str r0, [r3, #0x60]         /* DIV_UDIVIDEND */
    str r1, [r3, #0x64]         /* DIV_UDIVISOR */
    b 1f
1:  b 1f
1:  b 1f
1:  b 1f
1:  ldr r1, [r3, #0x74]         /* DIV_REMAINDER */
    ldr r0, [r3, #0x70]         /* DIV_QUOTIENT (read last) */
    bx lr
    .ltorg

/* ---- memory helpers the compiler may call ---------------------------------------------------- */
    .section .text.companion_memset, "ax"
    .global memset
    .type memset, %function
    .thumb_func
memset:                         /* void *memset(void *d, int c, size_t n) */
    mov r3, r0
1:  cmp r2, #0
    beq 2f
    strb r1, [r3]
    adds r3, #1
    subs r2, #1
    b 1b
2:  bx lr

    .global __aeabi_memclr
    .global __aeabi_memclr4
    .global __aeabi_memclr8
    .type __aeabi_memclr, %function
    .thumb_func
__aeabi_memclr:                 /* void __aeabi_memclr(void *d, size_t n) */
    .thumb_func
__aeabi_memclr4:
    .thumb_func
__aeabi_memclr8:
    mov r2, r1
    movs r1, #0
    b memset

    .section .text.companion_memcpy, "ax"
    .global memcpy
    .global memmove
    .global __aeabi_memcpy
    .global __aeabi_memcpy4
    .global __aeabi_memmove
    .type memcpy, %function
    .thumb_func
memmove:
    .thumb_func
memcpy:                         /* void *memcpy(void *d, const void *s, size_t n); forward copy */
    .thumb_func
__aeabi_memcpy:
    .thumb_func
__aeabi_memcpy4:
    .thumb_func
__aeabi_memmove:
    cmp r0, r1
    bhi 3f
    mov r3, r0
1:  cmp r2, #0
    beq 2f
    push {r4}
    ldrb r4, [r1]
    strb r4, [r3]
    pop {r4}
    adds r1, #1
    adds r3, #1
    subs r2, #1
    b 1b
2:  bx lr
3:  /* overlapping with destination above source: copy backwards */
    cmp r2, #0
    beq 2b
    subs r2, #1
    ldrb r3, [r1, r2]
    strb r3, [r0, r2]
    b 3b
