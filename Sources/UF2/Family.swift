/// A UF2 family id: the word that names which chip (or which kind of payload) a block is for.
public struct Family: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 32-bit id stored in word 7 of a block when flag 0x2000 is set.
    public var rawValue: UInt32

    /// Wraps a raw family id.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// RP2040 (Arm Cortex-M0+).
    public static let rp2040 = Family(rawValue: 0xe48b_ff56)
    /// "Absolute": written as-is at its address, whatever the partition layout (RP2350).
    public static let absolute = Family(rawValue: 0xe48b_ff57)
    /// Data, not code (RP2350).
    public static let data = Family(rawValue: 0xe48b_ff58)
    /// RP2350, Arm secure image.
    public static let rp2350ArmS = Family(rawValue: 0xe48b_ff59)
    /// RP2350, RISC-V image.
    public static let rp2350RiscV = Family(rawValue: 0xe48b_ff5a)
    /// RP2350, Arm non-secure image.
    public static let rp2350ArmNS = Family(rawValue: 0xe48b_ff5b)
    /// Firmware for the CYW43 wireless chip.
    public static let cyw43 = Family(rawValue: 0xe48b_ff55)

    /// Every family this library knows by name.
    public static let known: [Family] = [.rp2040, .absolute, .data, .rp2350ArmS, .rp2350RiscV, .rp2350ArmNS, .cyw43]

    /// The name picotool and the SDK use (`rp2040`, `rp2350-arm-s`, ...), or nil for an unknown id.
    public var name: String? {
        switch self {
        case .rp2040: "rp2040"
        case .absolute: "absolute"
        case .data: "data"
        case .rp2350ArmS: "rp2350-arm-s"
        case .rp2350RiscV: "rp2350-riscv"
        case .rp2350ArmNS: "rp2350-arm-ns"
        case .cyw43: "cyw43-firmware"
        default: nil
        }
    }

    /// Parses a family name (`rp2040`, `rp2350-arm-s`, ...) or a number (`0xe48bff56`, decimal).
    public init?(parsing text: String) {
        let lower = text.lowercased()
        if let family = Family.known.first(where: { $0.name == lower }) {
            self = family
        } else if lower.hasPrefix("0x"), let value = UInt32(lower.dropFirst(2), radix: 16) {
            self.init(rawValue: value)
        } else if let value = UInt32(lower) {
            self.init(rawValue: value)
        } else {
            return nil
        }
    }

    /// The chip whose bootrom accepts this family, if it names one.
    public var chip: Chip? {
        switch self {
        case .rp2040: .rp2040
        case .rp2350ArmS, .rp2350RiscV, .rp2350ArmNS: .rp2350
        default: nil
        }
    }

    /// `rp2040 (0xe48bff56)`, or the bare hex id when unknown.
    public var description: String {
        let hex = "0x" + String(rawValue, radix: 16)
        return name.map { "\($0) (\(hex))" } ?? hex
    }
}
