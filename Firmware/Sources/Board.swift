// The board around the chip: GPIO, the LED on GP25, UART0 on GP0/GP1, the microsecond timer,
// chip identity and the flash unique id.

/// Bootrom and start-up helpers in Startup/startup.S.
@_extern(c, "companion_read_flash_unique_id")
func companionReadFlashUniqueID(_ out: UnsafeMutablePointer<UInt8>)

/// Reboots into the bootrom's USB boot mode (`reset_usb_boot`); does not return.
@_extern(c, "companion_reset_usb_boot")
func companionResetUSBBoot(_ gpioActivityMask: UInt32, _ disableInterfaceMask: UInt32)

/// SRAM outside the linker's RAM region (SRAM4, 0x20040000-0x20041000) holding fixed buffers,
/// so that no allocator is needed.
enum Scratch {
    /// The flash unique id, 8 bytes.
    static let uniqueID = UnsafeMutablePointer<UInt8>(bitPattern: 0x2004_0000)!
    /// The USB serial number as UTF-16 string descriptor, 2 + 32 bytes.
    static let serialDescriptor = UnsafeMutablePointer<UInt8>(bitPattern: 0x2004_0010)!
    /// Reply bytes of small control requests, 8 bytes.
    static let controlReply = UnsafeMutablePointer<UInt8>(bitPattern: 0x2004_0040)!
    /// The CDC line coding (rate, stop bits, parity, data bits), 7 bytes.
    static let lineCoding = UnsafeMutablePointer<UInt8>(bitPattern: 0x2004_0050)!
    /// Bytes received on CDC, waiting for the main loop, `cdcReceiveSize` bytes.
    static let cdcReceive = UnsafeMutablePointer<UInt8>(bitPattern: 0x2004_0080)!
    /// Size of the CDC receive buffer (one packet).
    static let cdcReceiveSize = 64
    /// The CDC transmit ring, `cdcRingSize` bytes.
    static let cdcRing = UnsafeMutablePointer<UInt8>(bitPattern: 0x2004_0400)!
    /// Size of the CDC transmit ring (a power of two).
    static let cdcRingSize = 2048
}

/// GPIO pin functions and pad set-up.
enum GPIO {
    /// Function select values of IO_BANK0 GPIOx_CTRL.
    static let functionUART: UInt32 = 2
    static let functionSIO: UInt32 = 5

    /// Routes `pin` to `function` with its input enabled and output not disabled.
    static func setFunction(_ pin: UInt32, _ function: UInt32) {
        writeMasked(RP2040.padsBank0 + 4 + 4 * pin, 1 << 6, (1 << 6) | (1 << 7))   // IE on, OD off
        write32(RP2040.ioBank0 + 4 + 8 * pin, function)
    }

    /// Makes `pin` a SIO output, initially low.
    static func makeOutput(_ pin: UInt32) {
        write32(RP2040.sio + 0x18, 1 << pin)   // GPIO_OUT_CLR
        write32(RP2040.sio + 0x24, 1 << pin)   // GPIO_OE_SET
        setFunction(pin, functionSIO)
    }

    /// Inverts output `pin`.
    static func toggle(_ pin: UInt32) {
        write32(RP2040.sio + 0x1C, 1 << pin)   // GPIO_OUT_XOR
    }
}

/// The Pico's LED pin.
let ledPin: UInt32 = 25

/// UART0 at 115200 8N1 on GP0 (TX) and GP1 (RX).
enum UART0 {
    /// Sets the UART up for `baud` from clk_peri at `ClockRates.system`.
    static func start(baud: UInt32 = 115_200) {
        unreset(ResetBit.uart0)
        let divider = 8 * ClockRates.system / baud
        write32(RP2040.uart0 + 0x24, divider >> 7)                  // IBRD
        write32(RP2040.uart0 + 0x28, ((divider & 0x7F) + 1) / 2)    // FBRD
        write32(RP2040.uart0 + 0x2C, (3 << 5) | (1 << 4))           // LCR_H: 8 bits, FIFOs
        write32(RP2040.uart0 + 0x30, (1 << 0) | (1 << 8) | (1 << 9))  // CR: UARTEN, TXE, RXE
        write32(RP2040.uart0 + 0x38, (1 << 4) | (1 << 6))           // IMSC: RX and RX timeout
        GPIO.setFunction(0, GPIO.functionUART)
        GPIO.setFunction(1, GPIO.functionUART)
    }

    /// Sends one byte, waiting (bounded) for room in the FIFO.
    static func write(_ byte: UInt8) {
        _ = waitUntil { read32(RP2040.uart0 + 0x18) & (1 << 5) == 0 }   // FR.TXFF
        write32(RP2040.uart0, UInt32(byte))
    }

    /// The next received byte, if any.
    static func read() -> UInt8? {
        if read32(RP2040.uart0 + 0x18) & (1 << 4) != 0 { return nil }    // FR.RXFE
        return UInt8(truncatingIfNeeded: read32(RP2040.uart0))
    }
}

/// The 64-bit microsecond timer.
enum Timer {
    /// Microseconds since the timer came out of reset.
    static func now() -> UInt64 {
        while true {
            let high = read32(RP2040.timer + 0x24)    // TIMERAWH
            let low = read32(RP2040.timer + 0x28)     // TIMERAWL
            if read32(RP2040.timer + 0x24) == high {
                return UInt64(high) << 32 | UInt64(low)
            }
        }
    }

    /// Arms alarm 0 for `deadline` (the alarm compares the low 32 bits of the timer) and returns
    /// whether the deadline is still ahead once armed; if it has passed, sleeping would wait for
    /// the timer to wrap (71 minutes), so the caller must not sleep.
    static func armWakeup(at deadline: UInt64) -> Bool {
        write32(RP2040.timer + 0x34, 1)              // INTR: clear alarm 0
        write32(0xE000_E280, 1 << Interrupts.timer0) // NVIC_ICPR: forget an old alarm
        write32(RP2040.timer + 0x38, 1)              // INTE: alarm 0
        write32(RP2040.timer + 0x10, UInt32(truncatingIfNeeded: deadline))   // ALARM0 (arms it)
        return now() < deadline
    }
}

/// Chip identity as the bootrom and SYSINFO report it.
enum ChipInfo {
    /// The bootrom version byte at 0x13: 1 = B0, 2 = B1, 3 = B2.
    static func romVersion() -> UInt32 {
        (read32(0x10) >> 24) & 0xFF
    }

    /// SYSINFO.CHIP_ID's revision field.
    static func chipRevision() -> UInt32 {
        read32(RP2040.sysinfo) >> 28
    }

    /// The silicon step letter and digit ("B2") from the bootrom version.
    static func stepping() -> (letter: UInt8, digit: UInt8) {
        let version = romVersion()
        if version >= 1 && version <= 9 { return (UInt8(ascii: "B"), UInt8(ascii: "0") + UInt8(version - 1)) }
        return (UInt8(ascii: "?"), UInt8(ascii: "?"))
    }

    /// Reads the flash unique id into `Scratch.uniqueID` (all 0xFF if the flash has no 4Bh).
    static func readUniqueID() {
        for i in 0..<8 { Scratch.uniqueID[i] = 0 }
        companionReadFlashUniqueID(Scratch.uniqueID)
    }
}

/// NVIC interrupt numbers and helpers (interrupts stay masked by PRIMASK; WFI still wakes).
enum Interrupts {
    static let timer0: UInt32 = 0
    static let usbctrl: UInt32 = 5
    static let uart0: UInt32 = 20

    /// Clears latched pending interrupts.
    static func clearPending() {
        write32(0xE000_E280, 0xFFFF_FFFF)   // NVIC_ICPR
    }

    /// Sleeps until one of the interrupts in `mask` is raised.
    @inline(__always)
    static func sleep(wakingOn mask: UInt32) {
        companionSleep(mask)
    }
}

/// Enables the IRQs in `mask` and waits for one (Startup/startup.S).
@_extern(c, "companion_sleep")
func companionSleep(_ mask: UInt32)
