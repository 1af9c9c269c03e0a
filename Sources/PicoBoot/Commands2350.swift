/// REBOOT2 (0x0a, RP2350): reboot with a type in the low nibble of `flags` and two parameters.
public struct Reboot2: PicobootCommand {
    /// The reboot types (low nibble of the flags).
    public enum Kind: UInt32, Sendable {
        /// Boot normally.
        case normal = 0x0
        /// Into BOOTSEL: `p0` bootsel flags, `p1` activity LED gpio.
        case bootsel = 0x2
        /// Into a RAM image: `p0` base, `p1` size.
        case ramImage = 0x3
        /// Flash update boot of the image at `p0`.
        case flashUpdate = 0x4
    }
    /// Flag bit: boot on the Arm cores (`REBOOT2_FLAG_REBOOT_TO_ARM`, `boot/picoboot_constants.h`).
    public static let toArmFlag: UInt32 = 0x10
    /// Flag bit: boot on the RISC-V cores (`REBOOT2_FLAG_REBOOT_TO_RISCV`, `boot/picoboot_constants.h`).
    public static let toRiscVFlag: UInt32 = 0x20
    /// The command id.
    public static let id = PicobootCommandID.reboot2
    /// Four words.
    public static let argumentSize = 16
    /// Type in the low nibble, plus modifier bits.
    public var flags: UInt32
    /// Milliseconds before the reboot.
    public var delayMilliseconds: UInt32
    /// First parameter.
    public var p0: UInt32
    /// Second parameter.
    public var p1: UInt32
    /// A reboot with raw flags and parameters.
    public init(flags: UInt32, delayMilliseconds: UInt32 = 500, p0: UInt32 = 0, p1: UInt32 = 0) {
        self.flags = flags
        self.delayMilliseconds = delayMilliseconds
        self.p0 = p0
        self.p1 = p1
    }
    /// A reboot of one of the known kinds.
    public init(_ kind: Kind, delayMilliseconds: UInt32 = 500, p0: UInt32 = 0, p1: UInt32 = 0) {
        self.init(flags: kind.rawValue, delayMilliseconds: delayMilliseconds, p0: p0, p1: p1)
    }
    /// flags, delay, p0, p1.
    public var arguments: [UInt8] { words(flags, delayMilliseconds, p0, p1) }
    /// `REBOOT2 flags=0x3 delay=500ms p0=0x20000000 p1=0x1000`.
    public var description: String {
        "REBOOT2 flags=0x\(String(flags, radix: 16)) delay=\(delayMilliseconds)ms p0=\(hex(p0)) p1=\(hex(p1))"
    }
}

/// GET_INFO (0x8b, RP2350): read up to 256 bytes of information; word 0 of the answer is a word count.
public struct GetInfo: PicobootCommand {
    /// What to ask for.
    public enum Kind: UInt8, Sendable {
        /// Chip, flash device, CPU and boot information (mask in `params[0]`).
        case system = 1
        /// The partition table.
        case partitionTable = 2
        /// The partition a UF2 of family `params[0]` would go to.
        case uf2TargetPartition = 3
        /// The status of the last UF2 download.
        case uf2Status = 4
    }
    /// The command id.
    public static let id = PicobootCommandID.getInfo
    /// Sixteen bytes.
    public static let argumentSize = 16
    /// The information type byte.
    public var kind: UInt8
    /// The parameter byte.
    public var param: UInt8
    /// The 16-bit parameter.
    public var wordParam: UInt16
    /// Three 32-bit parameters.
    public var params: (UInt32, UInt32, UInt32)
    /// The number of bytes to read back (at most 256).
    public var length: UInt32
    /// Asks for `kind` with parameters, reading `length` bytes.
    public init(_ kind: Kind, param: UInt8 = 0, wordParam: UInt16 = 0,
                params: (UInt32, UInt32, UInt32) = (0, 0, 0), length: UInt32 = 256) {
        self.kind = kind.rawValue
        self.param = param
        self.wordParam = wordParam
        self.params = params
        self.length = length
    }
    /// type, param, wparam, three words.
    public var arguments: [UInt8] {
        var out: [UInt8] = [kind, param]
        out.appendUInt16(wordParam)
        out.append(contentsOf: words(params.0, params.1, params.2))
        return out
    }
    /// `length` bytes to the host.
    public var dataPhase: DataPhase { .toHost(length: length) }
    /// `GET_INFO type=1`.
    public var description: String { "GET_INFO type=\(kind) params=\(hex(params.0))" }
}

/// OTP_READ (0x8c, RP2350): read `count` OTP rows from `row`, with ECC (2 bytes a row) or raw (4 bytes a row).
public struct OTPRead: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.otpRead
    /// Five bytes.
    public static let argumentSize = 5
    /// The first row.
    public var row: UInt16
    /// The number of rows.
    public var count: UInt16
    /// True for ECC-corrected 16-bit rows, false for raw 24-bit rows in 32-bit words.
    public var ecc: Bool
    /// Reads `count` rows from `row`.
    public init(row: UInt16, count: UInt16, ecc: Bool = true) {
        self.row = row
        self.count = count
        self.ecc = ecc
    }
    /// row, count, ecc.
    public var arguments: [UInt8] {
        var out: [UInt8] = []
        out.appendUInt16(row)
        out.appendUInt16(count)
        out.append(ecc ? 1 : 0)
        return out
    }
    /// Two or four bytes a row to the host.
    public var dataPhase: DataPhase { .toHost(length: UInt32(count) * (ecc ? 2 : 4)) }
    /// `OTP_READ row=0x0 count=4 ecc`.
    public var description: String { "OTP_READ row=0x\(String(row, radix: 16)) count=\(count)\(ecc ? " ecc" : " raw")" }
}
