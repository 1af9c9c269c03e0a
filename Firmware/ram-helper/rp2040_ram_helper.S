/*
 * RP2040 RAM helper for picoctl (issue 9): a position-independent routine that picoctl writes
 * into SRAM over PICOBOOT WRITE and runs with PICOBOOT EXEC; it returns to the bootrom (bx lr)
 * so that PICOBOOT keeps working. Bootrom functions are found through the ROM function table by
 * their two-letter codes, never by fixed addresses.
 *
 * The ABI is PicoBoot's `RAMHelperABI` with its default layout: code at C (EXEC C | 1), the
 * parameter block at P = C + 0x1000, little-endian words:
 *   P+0x00  operation: 1 erase, 2 CRC, 3 flash unique id, 4 CRC of SRAM (the host's self-check),
 *           5 flash JEDEC id
 *   P+0x04  flash address (XIP address, 0x10000000-based, 4096-aligned)
 *   P+0x08  size in bytes (multiple of 4096; any size for operation 4)
 *   P+0x0c  status, preset to 0xFFFFFFFF by the host: 0 done, 1 range or alignment refused,
 *           2 more sectors than the table holds (1024), 3 unknown operation
 *   P+0x10  CRC table: one CRC-32/MPEG-2 word per 4 KiB sector (operation 2); for operation 3
 *           the flash's 8-byte unique id, for operation 5 its 3-byte JEDEC id (manufacturer,
 *           memory type, capacity: 2^capacity bytes), in the order the flash sends them
 *
 * erase: the bootrom's flash_range_erase(offset, size, 65536, 0xD8): 64 KiB block erases where
 *   the range allows, 4 KiB sector erases elsewhere, between connect_internal_flash +
 *   flash_exit_xip and flash_flush_cache. Leaves the flash as after PICOBOOT EXIT_XIP.
 * CRC: CRC-32/MPEG-2 (polynomial 0x04C11DB7, init 0xFFFFFFFF, not reflected, no final xor) of
 *   each sector, read through the cached XIP window (one flash transaction per 8-byte cache
 *   line rather than one per byte, as the uncached alias would cost) after connect_internal_flash,
 *   flash_exit_xip, flash_flush_cache and flash_enter_cmd_xip. Leaves XIP on (as after
 *   PICOBOOT ENTER_CMD_XIP).
 * CRC of SRAM (operation 4): as CRC, over SRAM from a 4096-aligned address for any size (the last
 *   word covers a partial 4 KiB), flash untouched; the host checks the helper with it on its own
 *   code, as many bytes as it wrote, without reading anything back.
 * unique id (operation 3) and JEDEC id (operation 5; address 0x10000000, size 0): after
 *   connect_internal_flash and flash_exit_xip, chip select is forced low through IO_QSPI's SS
 *   override and the SSI (left by flash_exit_xip in 8-bit serial mode) exchanges the command
 *   (0x4B, 4 dummy bytes, the 8 id bytes; or 0x9F and the 3 id bytes), one byte in flight at a
 *   time (as pico-sdk's flash_do_cmd does); then chip select is released, flash_flush_cache and
 *   flash_enter_cmd_xip run. Leaves XIP on.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .equ MAGIC,        0x31485052   /* "RPH1" */
    .equ PARAMS,       0x1000       /* parameter block offset from the code */
    .equ P_OPERATION,  0x00
    .equ P_ADDRESS,    0x04
    .equ P_SIZE,       0x08
    .equ P_STATUS,     0x0c
    .equ P_TABLE,      0x10
    .equ MAX_SECTORS,  1024
    .equ SECTOR,       4096
    .equ FLASH_BASE,   0x10000000
    .equ FLASH_END,    0x11000000   /* the 16 MiB XIP window */
    .equ SSI_BASE,     0x18000000
    .equ SSI_SR,       0x28
    .equ SSI_DR0,      0x60
    .equ SSI_SR_RFNE,  0x08
    .equ QSPI_SS_CTRL, 0x4001800c   /* IO_QSPI GPIO_QSPI_SS_CTRL */
    .equ OUTOVER_MASK, 0x300
    .equ OUTOVER_LOW,  0x200
    /* a flash command exchange: command byte | bytes before the answer << 8 | bytes in all << 16 */
    .equ UID_EXCHANGE,   0x4b | (5 << 8) | (13 << 16)   /* command, 4 dummy bytes, 8 id bytes */
    .equ JEDEC_EXCHANGE, 0x9f | (1 << 8) | (4 << 16)    /* command, manufacturer, type, capacity */

    .section .text
    .global helper_start
helper_start:
    b main
    nop
    .word MAGIC                 /* +4: identifies the helper */
    .word PARAMS                /* +8: where it expects its parameter block */

/* r0 = code -> r0 = ROM function. Clobbers r1-r3. */
    .thumb_func
rom_lookup:
    push {r4, lr}
    mov r1, r0
    movs r2, #0x14
    ldrh r0, [r2]               /* the ROM function table */
    movs r2, #0x18
    ldrh r2, [r2]               /* the ROM's table lookup routine */
    blx r2
    pop {r4, pc}

/* Calls the ROM function with code r0 (no arguments). */
    .thumb_func
rom_call:
    push {r4, lr}
    bl rom_lookup
    blx r0
    pop {r4, pc}

    .thumb_func
main:
    push {r4, r5, r6, r7, lr}
9:  mov r4, pc                  /* address of this instruction + 4 */
    ldr r1, =(9b + 4 - helper_start - PARAMS)
    subs r4, r4, r1             /* r4 = parameter block */
    ldr r5, [r4, #P_ADDRESS]
    ldr r6, [r4, #P_SIZE]
    /* range and alignment: the address always, the size except for a CRC of SRAM */
    ldr r0, =(SECTOR - 1)
    tst r5, r0
    bne refuse_range
    ldr r1, [r4, #P_OPERATION]
    cmp r1, #4
    beq crc
    tst r6, r0
    bne refuse_range
    ldr r0, =FLASH_BASE
    cmp r5, r0
    blo refuse_range
    ldr r0, =FLASH_END
    cmp r5, r0
    bhs refuse_range
    subs r1, r0, r5             /* room left in the window */
    cmp r6, r1
    bhi refuse_range
    ldr r0, [r4, #P_OPERATION]
    cmp r0, #1
    beq erase
    cmp r0, #2
    beq crc
    cmp r0, #3
    beq unique_id
    cmp r0, #5
    beq jedec_id
    movs r0, #3
    b finish
refuse_range:
    movs r0, #1
finish:
    str r0, [r4, #P_STATUS]
    pop {r4, r5, r6, r7, pc}

erase:
    cmp r6, #0
    beq done
    ldr r0, =0x4649             /* 'IF' connect_internal_flash */
    bl rom_call
    ldr r0, =0x5845             /* 'EX' flash_exit_xip */
    bl rom_call
    ldr r0, =0x4552             /* 'RE' flash_range_erase */
    bl rom_lookup
    mov r7, r0
    ldr r0, =FLASH_BASE
    subs r0, r5, r0             /* flash offset */
    mov r1, r6
    movs r2, #1
    lsls r2, r2, #16            /* 64 KiB blocks */
    movs r3, #0xd8              /* block erase command */
    blx r7
    ldr r0, =0x4346             /* 'FC' flash_flush_cache */
    bl rom_call
done:
    movs r0, #0
    b finish

crc:
    ldr r0, =(MAX_SECTORS * SECTOR)
    cmp r6, r0
    bls 1f
    movs r0, #2
    b finish
1:  ldr r0, [r4, #P_OPERATION]
    cmp r0, #4
    beq crc_loop                /* SRAM: no flash set-up */
    ldr r0, =0x4649             /* 'IF' */
    bl rom_call
    ldr r0, =0x5845             /* 'EX' */
    bl rom_call
    ldr r0, =0x4346             /* 'FC' */
    bl rom_call
    ldr r0, =0x5843             /* 'CX' flash_enter_cmd_xip */
    bl rom_call
crc_loop:
    /* r5 = read pointer (cached XIP, flushed above), r6 = end, r7 = table */
    adds r6, r6, r5
    mov r7, r4
    adds r7, #P_TABLE
    adr r2, nibble_table
next_sector:
    cmp r5, r6
    bhs done
    ldr r3, =SECTOR
    adds r3, r3, r5             /* end of this sector */
    cmp r3, r6
    bls 4f
    mov r3, r6                  /* a last, partial sector (CRC of SRAM only) */
4:  movs r0, #0
    mvns r0, r0                 /* crc = 0xFFFFFFFF */
next_byte:
    ldrb r1, [r5]
    adds r5, #1
    lsls r1, r1, #24
    eors r0, r1                 /* crc ^= byte << 24 */
    /* two nibble steps: crc = (crc << 4) ^ table[crc >> 28] */
    lsrs r1, r0, #28
    lsls r1, r1, #2
    ldr r1, [r2, r1]
    lsls r0, r0, #4
    eors r0, r1
    lsrs r1, r0, #28
    lsls r1, r1, #2
    ldr r1, [r2, r1]
    lsls r0, r0, #4
    eors r0, r1
    cmp r5, r3
    blo next_byte
    stmia r7!, {r0}
    b next_sector

unique_id:
    ldr r5, =UID_EXCHANGE
    b flash_command
jedec_id:
    ldr r5, =JEDEC_EXCHANGE
flash_command:                  /* r5 = the exchange (see UID_EXCHANGE) */
    ldr r0, =0x4649             /* 'IF' */
    bl rom_call
    ldr r0, =0x5845             /* 'EX' */
    bl rom_call
    ldr r3, =QSPI_SS_CTRL       /* chip select low */
    ldr r1, [r3]
    ldr r2, =OUTOVER_MASK
    bics r1, r2
    ldr r2, =OUTOVER_LOW
    orrs r1, r2
    str r1, [r3]
    ldr r2, =SSI_BASE
    mov r7, r4
    adds r7, #P_TABLE
    uxtb r3, r5                 /* the command byte */
    lsrs r6, r5, #16
    mov r12, r6                 /* bytes in all */
    lsrs r6, r5, #8
    uxtb r6, r6                 /* bytes before the answer */
    movs r5, #0                 /* byte index */
uid_next:
    movs r0, #0
    cmp r5, #0
    bne 1f
    mov r0, r3
1:  str r0, [r2, #SSI_DR0]
2:  ldr r0, [r2, #SSI_SR]
    movs r1, #SSI_SR_RFNE
    tst r0, r1
    beq 2b
    ldr r0, [r2, #SSI_DR0]
    cmp r5, r6
    blo 3f
    subs r1, r5, r6
    strb r0, [r7, r1]
3:  adds r5, #1
    cmp r5, r12
    blo uid_next
    ldr r3, =QSPI_SS_CTRL       /* chip select back to normal (no override) */
    ldr r1, [r3]
    ldr r2, =OUTOVER_MASK
    bics r1, r2
    str r1, [r3]
    ldr r0, =0x5845             /* 'EX' again: leaves SSI and chip select as the ROM's own flash calls do */
    bl rom_call
    ldr r0, =0x4346             /* 'FC' */
    bl rom_call
    ldr r0, =0x5843             /* 'CX' */
    bl rom_call
    b done

    .ltorg
    .align 2
nibble_table:                   /* CRC-32/MPEG-2 step of each high nibble (polynomial 0x04C11DB7) */
    .word 0x00000000, 0x04c11db7, 0x09823b6e, 0x0d4326d9
    .word 0x130476dc, 0x17c56b6b, 0x1a864db2, 0x1e475005
    .word 0x2608edb8, 0x22c9f00f, 0x2f8ad6d6, 0x2b4bcb61
    .word 0x350c9b64, 0x31cd86d3, 0x3c8ea00a, 0x384fbdbd
