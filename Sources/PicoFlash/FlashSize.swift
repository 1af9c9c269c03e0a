import PicoBoot
import UF2

/// A board's flash size and how it was learnt; addresses past it would wrap to the start of the chip.
public struct FlashSize: Hashable, Sendable, CustomStringConvertible {
    /// Where the size came from.
    public enum Source: Hashable, Sendable {
        /// Given by the user (`--flash-size`).
        case option
        /// The flash's JEDEC id (command 0x9F) read by the RP2040 RAM helper.
        case jedecID(manufacturer: UInt8, memoryType: UInt8, capacity: UInt8)
        /// The RP2350 bootrom's flash device word (GET_INFO SYS), programmed in OTP.
        case flashDeviceInfo(FlashDeviceInfo)
        /// Reads at power-of-two offsets that return the start of flash again (the chip ignores
        /// the address bits above its size).
        case aliasing

        /// `jedec-id`, `flash-device-info`, `aliasing` or `option`: for JSON.
        public var name: String {
            switch self {
            case .option: "option"
            case .jedecID: "jedec-id"
            case .flashDeviceInfo: "flash-device-info"
            case .aliasing: "aliasing"
            }
        }

        /// Words for people: `JEDEC id ef 40 15`.
        public var words: String {
            switch self {
            case .option: "--flash-size"
            case .jedecID(let manufacturer, let type, let capacity):
                "JEDEC id " + [manufacturer, type, capacity].map { String(format2: $0) }.joined(separator: " ")
            case .flashDeviceInfo(let info): "GET_INFO flash device info 0x\(String(info.rawValue, radix: 16))"
            case .aliasing: "aliasing of reads"
            }
        }
    }

    /// The size in bytes.
    public var bytes: UInt32
    /// Where it came from.
    public var source: Source

    /// A size of `bytes` from `source`.
    public init(bytes: UInt32, source: Source) {
        self.bytes = bytes
        self.source = source
    }

    /// `2048 KiB (JEDEC id ef 40 15)`.
    public var description: String { "\(Self.text(bytes)) (\(source.words))" }

    /// `2048 KiB` or `16 MiB` for whole MiB of 4 MiB and up.
    public static func text(_ bytes: UInt32) -> String {
        bytes >= 4 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes / 1024) KiB"
    }

    /// The size a JEDEC id names: capacity byte n means 2^n bytes (0x15 = 2 MiB). nil for an id that
    /// says nothing (no answer: all 0x00 or 0xFF; a capacity code outside 64 KiB ... 2 GiB, as some
    /// vendors encode it otherwise). Sizes past the chip's window are cut to the window.
    public static func fromJEDEC(_ id: [UInt8], chip: Chip) -> FlashSize? {
        guard id.count == 3, id[0] != 0x00, id[0] != 0xFF, (0x10...0x1F).contains(id[2]) else { return nil }
        let bytes = UInt32(min(UInt64(1) << UInt64(id[2]), chip.flash.count))
        return FlashSize(bytes: bytes, source: .jedecID(manufacturer: id[0], memoryType: id[1], capacity: id[2]))
    }

    /// The size an RP2350 flash device word names, nil for the bootrom's default or no CS0 device.
    /// With a CS1 device the limit is the end of CS1's window (16 MiB + its size).
    public static func fromDeviceInfo(_ info: FlashDeviceInfo) -> FlashSize? {
        guard !info.isBootromDefault, info.cs0Size > 0 else { return nil }
        let bytes = info.cs1Size > 0 ? (16 << 20) + info.cs1Size : info.cs0Size
        return FlashSize(bytes: bytes, source: .flashDeviceInfo(info))
    }
}

extension String {
    /// Two lowercase hex digits.
    init(format2 byte: UInt8) {
        let digits = String(byte, radix: 16)
        self = digits.count == 1 ? "0" + digits : digits
    }
}
