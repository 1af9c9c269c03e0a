/*
 * Second-stage boot loader (boot2) for the picoctl companion firmware.
 *
 * The RP2040 bootrom copies the first 256 bytes of flash to 0x20041f00, checks the CRC-32 in the
 * last word and jumps here with lr = 0. We configure the SSI for execute-in-place with standard
 * 03h serial reads (works with every SPI NOR flash, no quad set-up), then vector into the
 * application's table at 0x10000100. Called with lr != 0 (to re-enable XIP after a flash
 * command), it returns instead.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .equ SSI_BASE,        0x18000000
    .equ SSI_CTRLR0,      0x00
    .equ SSI_CTRLR1,      0x04
    .equ SSI_SSIENR,      0x08
    .equ SSI_BAUDR,       0x14
    .equ SSI_SPI_CTRLR0,  0xf4
    .equ CLKDIV,          4
    /* CTRLR0: frame format standard SPI (0 << 21), 32-bit frames (31 << 16), EEPROM read (3 << 8) */
    .equ CTRLR0_XIP,      ((31 << 16) | (3 << 8))
    /* SPI_CTRLR0: XIP command 03h (<< 24), 8-bit instruction (2 << 8), 24-bit address (6 << 2),
       instruction and address both serial (0) */
    .equ SPI_CTRLR0_XIP,  ((0x03 << 24) | (2 << 8) | (6 << 2))
    .equ XIP_BASE,        0x10000000
    .equ VTOR,            0xe000ed08

    .section .text
    .global _stage2_boot
    .type _stage2_boot, %function
    .thumb_func
_stage2_boot:
    push {lr}
    ldr r3, =SSI_BASE
    movs r1, #0
    str r1, [r3, #SSI_SSIENR]
    movs r1, #CLKDIV
    str r1, [r3, #SSI_BAUDR]
    ldr r1, =CTRLR0_XIP
    str r1, [r3, #SSI_CTRLR0]
    ldr r1, =SPI_CTRLR0_XIP
    ldr r0, =(SSI_BASE + SSI_SPI_CTRLR0)
    str r1, [r0]
    movs r1, #0
    str r1, [r3, #SSI_CTRLR1]
    movs r1, #1
    str r1, [r3, #SSI_SSIENR]

    pop {r0}
    cmp r0, #0
    beq vector_into_flash
    bx r0
vector_into_flash:
    ldr r0, =(XIP_BASE + 0x100)
    ldr r1, =VTOR
    str r0, [r1]
    ldmia r0, {r0, r1}
    msr msp, r0
    bx r1
    .ltorg
