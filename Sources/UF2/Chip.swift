/// A half-open address range `[start, end)` in a chip's 32-bit address space.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    /// The first address in the range.
    public var start: UInt32
    /// One past the last address (may be 0x1_0000_0000 for the top of memory, so it is 64-bit).
    public var end: UInt64

    /// A range from `start` up to but not including `end`.
    public init(start: UInt32, end: UInt64) {
        precondition(UInt64(start) <= end, "range end before start")
        self.start = start
        self.end = end
    }

    /// The number of bytes in the range.
    public var count: UInt64 { end - UInt64(start) }

    /// True when `address` lies in the range.
    public func contains(_ address: UInt32) -> Bool { UInt64(address) >= UInt64(start) && UInt64(address) < end }

    /// True when the whole of `[address, address + length)` lies in the range.
    public func contains(_ address: UInt32, length: UInt64) -> Bool {
        UInt64(address) >= UInt64(start) && UInt64(address) + length <= end
    }

    /// `0x10000000..0x10200000`.
    public var description: String {
        "0x" + String(start, radix: 16, uppercase: false).leftPadded(to: 8) + "..0x"
            + String(end, radix: 16, uppercase: false).leftPadded(to: 8)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// What one chip of the family looks like to a host: memory map, flash units, USB ids and families.
///
/// Chips are data: behaviour that differs between them reads these fields instead of switching on the chip.
public struct Chip: Hashable, Sendable, CustomStringConvertible {
    /// `rp2040` or `rp2350`.
    public var name: String
    /// The XIP window where flash appears (the largest flash the chip can address).
    public var flash: AddressRange
    /// Main SRAM.
    public var sram: AddressRange
    /// XIP cache used as SRAM.
    public var xipSRAM: AddressRange
    /// The bootrom.
    public var rom: AddressRange
    /// Flash erase unit in bytes.
    public var sectorSize: UInt32
    /// Flash program unit in bytes.
    public var pageSize: UInt32
    /// The family ids its bootrom accepts.
    public var families: [Family]
    /// The family the SDK writes for its flash images by default.
    public var defaultFamily: Family
    /// USB product id of its bootrom in BOOTSEL mode (vendor 0x2e8a).
    public var bootselProductID: UInt16
    /// USB product id of a pico-sdk app with `stdio_usb` on this chip.
    public var appProductID: UInt16
    /// Whether the bootrom has REBOOT, EXEC and VECTORIZE_FLASH (RP2040) or REBOOT2 and GET_INFO (RP2350).
    public var hasExec: Bool
    /// Whether a flash image starts with a 256-byte boot2 stage ending in a CRC-32.
    public var hasBoot2: Bool

    /// The Raspberry Pi USB vendor id.
    public static let raspberryPiVendorID: UInt16 = 0x2e8a

    /// RP2040: Cortex-M0+, up to 16 MiB of flash, 264 KiB of SRAM.
    public static let rp2040 = Chip(
        name: "rp2040",
        flash: AddressRange(start: 0x1000_0000, end: 0x1100_0000),
        sram: AddressRange(start: 0x2000_0000, end: 0x2004_2000),
        xipSRAM: AddressRange(start: 0x1500_0000, end: 0x1500_4000),
        rom: AddressRange(start: 0, end: 0x4000),
        sectorSize: 4096, pageSize: 256,
        families: [.rp2040], defaultFamily: .rp2040,
        bootselProductID: 0x0003, appProductID: 0x000a,
        hasExec: true, hasBoot2: true)

    /// RP2350: Cortex-M33 or Hazard3, up to 32 MiB of flash over two chip selects, 520 KiB of SRAM.
    public static let rp2350 = Chip(
        name: "rp2350",
        flash: AddressRange(start: 0x1000_0000, end: 0x1200_0000),
        sram: AddressRange(start: 0x2000_0000, end: 0x2008_2000),
        xipSRAM: AddressRange(start: 0x13ff_c000, end: 0x1400_0000),
        rom: AddressRange(start: 0, end: 0x8000),
        sectorSize: 4096, pageSize: 256,
        families: [.rp2350ArmS, .rp2350RiscV, .rp2350ArmNS, .absolute, .data], defaultFamily: .rp2350ArmS,
        bootselProductID: 0x000f, appProductID: 0x0009,
        hasExec: false, hasBoot2: false)

    /// Both chips.
    public static let all: [Chip] = [.rp2040, .rp2350]

    /// The chip with this name (`rp2040`, `rp2350`), case-insensitive.
    public static func named(_ name: String) -> Chip? { all.first { $0.name == name.lowercased() } }

    /// True when `[address, address + length)` lies wholly in flash, SRAM or XIP SRAM.
    public func isLoadable(_ address: UInt32, length: UInt64) -> Bool {
        flash.contains(address, length: length) || sram.contains(address, length: length)
            || xipSRAM.contains(address, length: length)
    }

    /// The chip's name.
    public var description: String { name }
}
