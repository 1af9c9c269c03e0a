/// How the RP2350 last booted: the four words of GET_INFO SYS `bootInfo` (`boot_info_t` of the
/// pico-sdk header `pico/bootrom.h`; type values `BOOT_TYPE_*` and partition values
/// `BOOT_PARTITION_*` of `boot/bootrom_constants.h`).
public struct BootInfo: Hashable, Sendable {
    /// Byte 0 of word 0: the partition the diagnostic word describes (negative: a BOOT_PARTITION_* value).
    public var diagnosticPartition: Int8
    /// Byte 1 of word 0: the boot type (bit 7 set when a bootloader chained into the image).
    public var type: UInt8
    /// Byte 2 of word 0: the partition booted, -1 when none.
    public var partition: Int8
    /// Byte 3 of word 0: try-before-you-buy and update flags.
    public var tbybAndUpdate: UInt8
    /// The boot diagnostic word.
    public var diagnostic: UInt32
    /// The two reboot parameters.
    public var parameters: (UInt32, UInt32)

    /// Decodes the four words; nil when there are fewer.
    public init?(words: [UInt32]) {
        guard words.count >= 4 else { return nil }
        diagnosticPartition = Int8(bitPattern: UInt8(truncatingIfNeeded: words[0]))
        type = UInt8(truncatingIfNeeded: words[0] >> 8)
        partition = Int8(bitPattern: UInt8(truncatingIfNeeded: words[0] >> 16))
        tbybAndUpdate = UInt8(truncatingIfNeeded: words[0] >> 24)
        diagnostic = words[1]
        parameters = (words[2], words[3])
    }

    /// `normal`, `bootsel`, `ram image`, `flash update`, `pc/sp` (BOOT_TYPE_*), `+ chained` when chained.
    public var typeName: String {
        let base: String
        switch type & 0x7f {
        case 0: base = "normal"
        case 2: base = "bootsel"
        case 3: base = "ram image"
        case 4: base = "flash update"
        case 0xd: base = "pc/sp"
        case let other: base = "type \(other)"
        }
        return type & 0x80 != 0 ? base + " (chained)" : base
    }

    /// `2`, or `none` (-1), `slot 0` (-2), `slot 1` (-3), `window` (-4) as BOOT_PARTITION_* name them.
    public static func partitionName(_ value: Int8) -> String {
        switch value {
        case -1: "none"
        case -2: "slot 0"
        case -3: "slot 1"
        case -4: "window"
        default: value >= 0 ? "\(value)" : "\(value)"
        }
    }

    /// Compares the decoded fields.
    public static func == (a: BootInfo, b: BootInfo) -> Bool {
        a.diagnosticPartition == b.diagnosticPartition && a.type == b.type && a.partition == b.partition
            && a.tbybAndUpdate == b.tbybAndUpdate && a.diagnostic == b.diagnostic
            && a.parameters.0 == b.parameters.0 && a.parameters.1 == b.parameters.1
    }

    /// Hashes the decoded fields.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(partition)
        hasher.combine(diagnostic)
    }
}
