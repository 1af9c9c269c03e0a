// Memory-mapped register access for the RP2040, through `_Volatile` so that every access is a
// real load or store. Only 32-bit accesses are used: they lower to `__atomic_load_4` /
// `__atomic_store_4`, which Startup/startup.S provides as plain `ldr` / `str`.

import _Volatile

/// Reads the 32-bit register at `address`.
@inline(__always)
func read32(_ address: UInt32) -> UInt32 {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(address)).load()
}

/// Writes `value` to the 32-bit register at `address`.
@inline(__always)
func write32(_ address: UInt32, _ value: UInt32) {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(address)).store(value)
}

/// Sets `mask` in a peripheral register through its atomic set alias (+0x2000).
@inline(__always)
func setBits(_ address: UInt32, _ mask: UInt32) {
    write32(address | 0x2000, mask)
}

/// Clears `mask` in a peripheral register through its atomic clear alias (+0x3000).
@inline(__always)
func clearBits(_ address: UInt32, _ mask: UInt32) {
    write32(address | 0x3000, mask)
}

/// Replaces the bits of `mask` in a register with those of `value` (read-modify-write).
@inline(__always)
func writeMasked(_ address: UInt32, _ value: UInt32, _ mask: UInt32) {
    write32(address, (read32(address) & ~mask) | (value & mask))
}

/// Spins until `condition` holds or `limit` polls have passed; returns whether it held. Every
/// wait on hardware is bounded so that an emulator that does not model a status bit cannot hang
/// the firmware.
@inline(__always)
func waitUntil(limit: Int = 100_000, _ condition: () -> Bool) -> Bool {
    var remaining = limit
    while remaining > 0 {
        if condition() { return true }
        remaining -= 1
    }
    return false
}

/// Base addresses and register offsets of the RP2040 blocks the firmware drives.
enum RP2040 {
    static let sysinfo: UInt32 = 0x4000_0000
    static let clocks: UInt32 = 0x4000_8000
    static let resets: UInt32 = 0x4000_C000
    static let ioBank0: UInt32 = 0x4001_4000
    static let padsBank0: UInt32 = 0x4001_C000
    static let xosc: UInt32 = 0x4002_4000
    static let pllSys: UInt32 = 0x4002_8000
    static let pllUSB: UInt32 = 0x4002_C000
    static let uart0: UInt32 = 0x4003_4000
    static let timer: UInt32 = 0x4005_4000
    static let watchdog: UInt32 = 0x4005_8000
    static let usbDPRAM: UInt32 = 0x5010_0000
    static let usbRegs: UInt32 = 0x5011_0000
    static let sio: UInt32 = 0xD000_0000
    static let ppb: UInt32 = 0xE000_0000
}

/// Bits of the RESETS block's RESET and RESET_DONE registers.
enum ResetBit {
    static let ioBank0: UInt32 = 1 << 5
    static let padsBank0: UInt32 = 1 << 8
    static let pllSys: UInt32 = 1 << 12
    static let pllUSB: UInt32 = 1 << 13
    static let timer: UInt32 = 1 << 21
    static let uart0: UInt32 = 1 << 22
    static let usbctrl: UInt32 = 1 << 24
}

/// Takes the blocks in `mask` out of reset and waits (bounded) until they are ready.
func unreset(_ mask: UInt32) {
    clearBits(RP2040.resets, mask)
    _ = waitUntil { read32(RP2040.resets + 0x8) & mask == mask }
}

/// Puts the blocks in `mask` into reset.
func reset(_ mask: UInt32) {
    setBits(RP2040.resets, mask)
}
