/*
 * Binary info in the pico-sdk layout, decoded by `picoctl info` and by picotool: an array of
 * pointers to entries (between __binary_info_start and __binary_info_end, found through the
 * header in startup.S), each entry a u16 type and the tag 'RP'. build.sh passes
 * COMPANION_VERSION, COMPANION_BUILD_DATE and COMPANION_URL.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .equ TAG_RP,              0x5052
    .equ TYPE_ID_AND_INT,     5
    .equ TYPE_ID_AND_STRING,  6
    .equ TYPE_PINS_WITH_FUNC, 8
    .equ TYPE_PINS_WITH_NAME, 9
    .equ ID_PROGRAM_NAME,     0x02031c86
    .equ ID_PROGRAM_VERSION,  0x11a9bc3a
    .equ ID_BUILD_DATE,       0x9da22254
    .equ ID_BINARY_END,       0x68f465de
    .equ ID_URL,              0x1856239a
    .equ ID_DESCRIPTION,      0xb6a07c19
    .equ ID_FEATURE,          0xa1f4b453
    .equ ID_BOOT2_NAME,       0x7f8882e1
    .equ PINS_ENCODING_MULTI, 2
    .equ GPIO_FUNC_UART,      2

/* An id + string entry named \label with string \text. */
.macro bi_string label, id, text
    .section .rodata.bi_entry_\label, "a"
    .align 2
bi_entry_\label:
    .hword TYPE_ID_AND_STRING, TAG_RP
    .word \id
    .word bi_text_\label
    .section .rodata.bi_text_\label, "aS"
bi_text_\label:
    .asciz "\text"
    .section .binary_info.keep.\label, "a"
    .align 2
    .word bi_entry_\label
.endm

    bi_string program_name, ID_PROGRAM_NAME, "picoctl-companion"
    bi_string program_version, ID_PROGRAM_VERSION, COMPANION_VERSION
    bi_string build_date, ID_BUILD_DATE, COMPANION_BUILD_DATE
    bi_string url, ID_URL, COMPANION_URL
    bi_string description, ID_DESCRIPTION, "Board and cable check for picoctl: UART and USB CDC log, reset interface"
    bi_string feature_uart, ID_FEATURE, "UART stdin / stdout"
    bi_string feature_usb, ID_FEATURE, "USB stdin / stdout"
    bi_string feature_reset, ID_FEATURE, "USB reset interface"
    bi_string boot2_name, ID_BOOT2_NAME, "boot2_generic_03h"

    /* Binary end: the last flash byte of the image. */
    .section .rodata.bi_entry_binary_end, "a"
    .align 2
bi_entry_binary_end:
    .hword TYPE_ID_AND_INT, TAG_RP
    .word ID_BINARY_END
    .word __flash_binary_end
    .section .binary_info.keep.binary_end, "a"
    .align 2
    .word bi_entry_binary_end

    /* UART0 TX/RX on GP0/GP1: pin encoding as the SDK's bi_2pins_with_func(0, 1, UART). */
    .section .rodata.bi_entry_uart_pins, "a"
    .align 2
bi_entry_uart_pins:
    .hword TYPE_PINS_WITH_FUNC, TAG_RP
    .word PINS_ENCODING_MULTI | (GPIO_FUNC_UART << 3) | (0 << 7) | (1 << 12) | (1 << 17)
    .section .binary_info.keep.uart_pins, "a"
    .align 2
    .word bi_entry_uart_pins

    /* The LED on GP25, as bi_1pin_with_name(25, "On-board LED"). */
    .section .rodata.bi_entry_led_pin, "a"
    .align 2
bi_entry_led_pin:
    .hword TYPE_PINS_WITH_NAME, TAG_RP
    .word 1 << 25
    .word bi_text_led_pin
    .section .rodata.bi_text_led_pin, "aS"
bi_text_led_pin:
    .asciz "On-board LED"
    .section .binary_info.keep.led_pin, "a"
    .align 2
    .word bi_entry_led_pin
