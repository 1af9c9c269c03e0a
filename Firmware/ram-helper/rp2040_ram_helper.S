/*
 * RP2040 RAM helper for picoctl (issue 9): small position-independent routines that picoctl
 * writes into SRAM over PICOBOOT WRITE and runs with PICOBOOT EXEC. Each returns to the bootrom
 * (bx lr) so PICOBOOT keeps working. Bootrom functions are found through the ROM function table
 * by their two-letter codes, never by fixed addresses.
 *
 * Layout (offsets from the load address L, which must be 4-aligned):
 *   L+0x00  entry: erase     (EXEC L+0x00; Thumb bit added by the bootrom)
 *   L+0x04  entry: crc32     (EXEC L+0x04)
 *   L+0x08  u32 magic 0x31485052 ("RPH1")
 *   L+0x0c  u32 status: picoctl writes 0xFFFFFFFF; 0 = done, 1 = bad arguments
 *   L+0x10  u32 flash offset (from the start of flash, 4096-aligned)
 *   L+0x14  u32 byte count (multiple of 4096)
 *   L+0x18  u32 result: sectors processed
 *   L+0x1c  u32 offset of the CRC table from L (read-only; the table is the last thing in the
 *           helper, so the caller reserves 4 bytes per sector after the helper's bytes)
 *   L+0x20  code
 *
 * erase: the bootrom's flash_range_erase(offset, count, 65536, 0xD8): 64 KiB block erases where
 *   the range allows, 4 KiB sector erases elsewhere, between connect_internal_flash +
 *   flash_exit_xip and flash_flush_cache. Leaves the flash in serial command mode, as after
 *   PICOBOOT EXIT_XIP.
 * crc32: for each 4 KiB sector of the range, CRC-32/ISO-HDLC (zlib's crc32: reflected polynomial
 *   0xEDB88320, init and final xor 0xFFFFFFFF) into the table at L + RESULTS, one u32 per
 *   sector. Reads through the XIP window (uncached alias 0x13000000) after
 *   connect_internal_flash, flash_exit_xip, flash_flush_cache and flash_enter_cmd_xip; leaves
 *   XIP on, as after PICOBOOT ENTER_CMD_XIP.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .equ MAGIC,        0x31485052
    .equ P_STATUS,     0x0c
    .equ P_OFFSET,     0x10
    .equ P_COUNT,      0x14
    .equ P_RESULT,     0x18
    .equ SECTOR,       4096
    .equ XIP_NOCACHE,  0x13000000

    .section .text
    .global helper_start
helper_start:
    b erase                     /* entries are 4 bytes apart */
    nop
    b crc32
    nop
    .word MAGIC
    .word 0xffffffff            /* status */
    .word 0                     /* flash offset */
    .word 0                     /* byte count */
    .word 0                     /* result */
    .word results - helper_start /* offset of the CRC table, for picoctl to read */

/* r0 = code -> r0 = ROM function. Clobbers r1-r3. */
    .thumb_func
rom_lookup:
    push {r4, lr}
    mov r1, r0
    movs r2, #0x14
    ldrh r0, [r2]
    movs r2, #0x18
    ldrh r2, [r2]
    blx r2
    pop {r4, pc}

/* Checks the arguments: r4 = base; returns with Z clear (bne) when bad. Sets r5 = offset,
   r6 = count. */
    .thumb_func
load_arguments:
    ldr r5, [r4, #P_OFFSET]
    ldr r6, [r4, #P_COUNT]
    ldr r0, =(SECTOR - 1)
    mov r1, r5
    orrs r1, r6
    tst r1, r0                  /* both 4096-aligned */
    bne 1f
    cmp r6, #0
    beq 2f
    ldr r0, =0x01000000         /* within 16 MiB */
    adds r1, r5, r6
    cmp r1, r0
    bhi 2f
    cmp r1, r5                  /* no wrap-around */
    blo 2f
    movs r0, #0
    cmp r0, #0                  /* Z set: good */
1:  bx lr
2:  movs r0, #1
    cmp r0, #0                  /* Z clear: bad */
    bx lr

    .thumb_func
bad_arguments:
    movs r0, #1
    str r0, [r4, #P_STATUS]
    pop {r4, r5, r6, r7, pc}

/* r4 = L, from the PC (ADR cannot reach backwards on ARMv6-M). */
.macro base_address
9:  mov r4, pc                  /* address of this instruction + 4 */
    ldr r1, =(9b + 4 - helper_start)
    subs r4, r4, r1
.endm

    .thumb_func
erase:
    push {r4, r5, r6, r7, lr}
    base_address
    bl load_arguments
    bne bad_arguments
    ldr r0, =0x4649             /* 'IF' connect_internal_flash */
    bl rom_lookup
    blx r0
    ldr r0, =0x5845             /* 'EX' flash_exit_xip */
    bl rom_lookup
    blx r0
    ldr r0, =0x4552             /* 'RE' flash_range_erase */
    bl rom_lookup
    mov r7, r0
    mov r0, r5
    mov r1, r6
    movs r2, #1
    lsls r2, r2, #16            /* 64 KiB blocks */
    movs r3, #0xd8              /* block erase command */
    blx r7
    ldr r0, =0x4346             /* 'FC' flash_flush_cache */
    bl rom_lookup
    blx r0
    lsrs r0, r6, #12
    str r0, [r4, #P_RESULT]
    movs r0, #0
    str r0, [r4, #P_STATUS]
    pop {r4, r5, r6, r7, pc}

    .thumb_func
crc32:
    push {r4, r5, r6, r7, lr}
    base_address
    bl load_arguments
    bne bad_arguments
    ldr r0, =0x4649             /* 'IF' */
    bl rom_lookup
    blx r0
    ldr r0, =0x5845             /* 'EX' */
    bl rom_lookup
    blx r0
    ldr r0, =0x4346             /* 'FC' */
    bl rom_lookup
    blx r0
    ldr r0, =0x5843             /* 'CX' flash_enter_cmd_xip */
    bl rom_lookup
    blx r0
    /* r5 = read pointer, r6 = end, r7 = output pointer */
    ldr r0, =XIP_NOCACHE
    adds r5, r5, r0
    adds r6, r6, r5
    adr r7, results
    movs r0, #0
    str r0, [r4, #P_RESULT]
next_sector:
    cmp r5, r6
    bhs crc_done
    ldr r3, =SECTOR
    adds r3, r3, r5             /* r3 = end of this sector */
    movs r0, #0
    mvns r0, r0                 /* crc = 0xFFFFFFFF */
    adr r2, nibble_table
next_byte:
    ldrb r1, [r5]
    adds r5, #1
    eors r0, r1
    /* two nibble steps: crc = (crc >> 4) ^ table[crc & 15] */
    movs r1, #15
    ands r1, r0
    lsls r1, r1, #2
    ldr r1, [r2, r1]
    lsrs r0, r0, #4
    eors r0, r1
    movs r1, #15
    ands r1, r0
    lsls r1, r1, #2
    ldr r1, [r2, r1]
    lsrs r0, r0, #4
    eors r0, r1
    cmp r5, r3
    blo next_byte
    mvns r0, r0
    stmia r7!, {r0}
    ldr r0, [r4, #P_RESULT]
    adds r0, #1
    str r0, [r4, #P_RESULT]
    b next_sector
crc_done:
    movs r0, #0
    str r0, [r4, #P_STATUS]
    pop {r4, r5, r6, r7, pc}

    .ltorg
    .align 2
nibble_table:                   /* CRC-32 (0xEDB88320) of each nibble value */
    .word 0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac
    .word 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c
    .word 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c
    .word 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c
    .align 2
results:                        /* CRC table: one u32 per sector (room is the caller's) */
