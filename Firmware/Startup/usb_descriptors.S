/*
 * USB descriptors of the companion, shaped like a pico-sdk stdio_usb application so that picoctl
 * and picotool treat it as one: 2e8a:000a, class EF/02/01 (interface association), interfaces
 * 0+1 CDC-ACM (notification EP 0x81, data EP 0x02 OUT / 0x82 IN), interface 2 the reset
 * interface (vendor FF/00/01, no endpoints). The string descriptor 3 (serial: the flash unique
 * id) is built at run time. `companion_usb_descriptors()` returns the packed blob: device
 * descriptor, configuration descriptor, then string descriptors 0, 1, 2, 4, 5.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .section .rodata.companion_usb_blob, "a"
companion_usb_blob:
device:
    .byte 18, 1                 /* bLength, DEVICE */
    .hword 0x0200               /* bcdUSB 2.00 */
    .byte 0xEF, 0x02, 0x01      /* miscellaneous / common / interface association */
    .byte 64                    /* EP0 packet size */
    .hword 0x2E8A, 0x000A       /* Raspberry Pi, pico-sdk stdio_usb on RP2040 */
    .hword 0x0100               /* bcdDevice */
    .byte 1, 2, 3, 1            /* iManufacturer, iProduct, iSerialNumber, configurations */
config:
    .byte 9, 2
    .hword config_end - config
    .byte 3, 1, 0, 0x80, 50     /* interfaces, value, iConfiguration, bus powered, 100 mA */
    /* interface association: CDC on interfaces 0-1 */
    .byte 8, 0x0B, 0, 2, 0x02, 0x02, 0x00, 0
    /* interface 0: CDC communications, ACM */
    .byte 9, 4, 0, 0, 1, 0x02, 0x02, 0x00, 4
    .byte 5, 0x24, 0x00, 0x20, 0x01     /* header, CDC 1.20 */
    .byte 5, 0x24, 0x01, 0x00, 0x01     /* call management, data interface 1 */
    .byte 4, 0x24, 0x02, 0x02           /* ACM: line coding and serial state */
    .byte 5, 0x24, 0x06, 0x00, 0x01     /* union: control 0, data 1 */
    .byte 7, 5, 0x81, 0x03, 8, 0, 16    /* EP 0x81 interrupt, 8 bytes, 16 ms */
    /* interface 1: CDC data */
    .byte 9, 4, 1, 0, 2, 0x0A, 0x00, 0x00, 0
    .byte 7, 5, 0x02, 0x02, 64, 0, 0    /* EP 0x02 bulk OUT */
    .byte 7, 5, 0x82, 0x02, 64, 0, 0    /* EP 0x82 bulk IN */
    /* interface 2: pico-sdk reset interface */
    .byte 9, 4, 2, 0, 0, 0xFF, 0x00, 0x01, 5
config_end:

/* String descriptors 0, 1, 2, 4, 5 (UTF-16LE; 'X' stands for a space). */
    .byte 4, 3, 0x09, 0x04      /* 0: US English */
    .byte 2 + 2 * 12, 3         /* 1 */
    .irpc c, RaspberryXPi
    .ifc \c, X
    .byte ' ', 0
    .else
    .byte '\c', 0
    .endif
    .endr
    .byte 2 + 2 * 4, 3          /* 2 */
    .irpc c, Pico
    .byte '\c', 0
    .endr
    .byte 2 + 2 * 9, 3          /* 4 */
    .irpc c, BoardXCDC
    .ifc \c, X
    .byte ' ', 0
    .else
    .byte '\c', 0
    .endif
    .endr
    .byte 2 + 2 * 5, 3          /* 5 */
    .irpc c, Reset
    .byte '\c', 0
    .endr
    .byte 0

    .section .text.companion_usb_descriptors, "ax"
    .global companion_usb_descriptors
    .type companion_usb_descriptors, %function
    .thumb_func
companion_usb_descriptors:      /* const uint8_t *companion_usb_descriptors(void) */
    ldr r0, =companion_usb_blob
    bx lr
    .ltorg
