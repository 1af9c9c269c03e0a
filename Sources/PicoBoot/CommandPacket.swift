/// A PICOBOOT command id; bit 7 set means the data phase flows device to host.
public struct PicobootCommandID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The id byte on the wire.
    public var rawValue: UInt8

    /// Wraps a raw id byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// 0x01: take or release exclusive access (mass-storage writes refused while held).
    public static let exclusiveAccess = PicobootCommandID(rawValue: 0x01)
    /// 0x02: reboot, optionally into RAM code (RP2040 only).
    public static let reboot = PicobootCommandID(rawValue: 0x02)
    /// 0x03: erase whole 4 KiB flash sectors.
    public static let flashErase = PicobootCommandID(rawValue: 0x03)
    /// 0x84: read memory.
    public static let read = PicobootCommandID(rawValue: 0x84)
    /// 0x05: write RAM or program erased flash.
    public static let write = PicobootCommandID(rawValue: 0x05)
    /// 0x06: leave XIP mode so the flash takes commands.
    public static let exitXIP = PicobootCommandID(rawValue: 0x06)
    /// 0x07: return the flash to XIP mode.
    public static let enterCommandXIP = PicobootCommandID(rawValue: 0x07)
    /// 0x08: call a Thumb function in RAM (RP2040 only).
    public static let exec = PicobootCommandID(rawValue: 0x08)
    /// 0x09: point the flash function vectors at RAM (RP2040 only).
    public static let vectorizeFlash = PicobootCommandID(rawValue: 0x09)
    /// 0x0a: reboot with a type and parameters (RP2350 only).
    public static let reboot2 = PicobootCommandID(rawValue: 0x0a)
    /// 0x8b: read system, partition or UF2 information (RP2350 only).
    public static let getInfo = PicobootCommandID(rawValue: 0x8b)
    /// 0x8c: read OTP rows (RP2350 only).
    public static let otpRead = PicobootCommandID(rawValue: 0x8c)
    /// 0x0d: write OTP rows (RP2350 only).
    public static let otpWrite = PicobootCommandID(rawValue: 0x0d)

    /// True when the data phase flows from the device to the host.
    public var isDeviceToHost: Bool { rawValue & 0x80 != 0 }

    /// The datasheet name (`FLASH_ERASE`), or `CMD_0x..` for an unknown id.
    public var name: String {
        switch rawValue {
        case 0x01: "EXCLUSIVE_ACCESS"
        case 0x02: "REBOOT"
        case 0x03: "FLASH_ERASE"
        case 0x84: "READ"
        case 0x05: "WRITE"
        case 0x06: "EXIT_XIP"
        case 0x07: "ENTER_CMD_XIP"
        case 0x08: "EXEC"
        case 0x09: "VECTORIZE_FLASH"
        case 0x0a: "REBOOT2"
        case 0x8b: "GET_INFO"
        case 0x8c: "OTP_READ"
        case 0x0d: "OTP_WRITE"
        default: "CMD_0x" + String(rawValue, radix: 16)
        }
    }

    /// `FLASH_ERASE (0x03)`.
    public var description: String { "\(name) (0x\(String(rawValue, radix: 16)))" }
}

/// The 32-byte command block every PICOBOOT exchange starts with.
public struct CommandPacket: Hashable, Sendable {
    /// The magic word at offset 0.
    public static let magic: UInt32 = 0x431f_d10b
    /// The encoded size.
    public static let size = 32

    /// The host-chosen token the device echoes in its status.
    public var token: UInt32
    /// The command id.
    public var id: PicobootCommandID
    /// The argument bytes (at most 16; their count is the command's argument size).
    public var arguments: [UInt8]
    /// The number of bytes in the data phase.
    public var transferLength: UInt32

    /// A packet with these fields.
    public init(token: UInt32, id: PicobootCommandID, arguments: [UInt8], transferLength: UInt32) {
        precondition(arguments.count <= 16, "PICOBOOT arguments are at most 16 bytes")
        self.token = token
        self.id = id
        self.arguments = arguments
        self.transferLength = transferLength
    }

    /// The 32 bytes sent on bulk OUT.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.size)
        out.appendUInt32(Self.magic)
        out.appendUInt32(token)
        out.append(id.rawValue)
        out.append(UInt8(arguments.count))
        out.appendUInt16(0)
        out.appendUInt32(transferLength)
        out.append(contentsOf: arguments)
        out.append(contentsOf: [UInt8](repeating: 0, count: 16 - arguments.count))
        return out
    }

    /// Why 32 bytes are not a command block.
    public enum DecodeError: Error, Hashable, Sendable {
        /// Not exactly 32 bytes.
        case wrongSize(Int)
        /// The magic word is wrong.
        case badMagic(UInt32)
        /// The argument count byte is above 16.
        case argumentCountTooLarge(UInt8)
    }

    /// Decodes a command block (what a device does with the 32 bytes it receives).
    public init(bytes: [UInt8]) throws(DecodeError) {
        guard bytes.count == Self.size else { throw .wrongSize(bytes.count) }
        let magic = bytes.readUInt32(at: 0)
        guard magic == Self.magic else { throw .badMagic(magic) }
        let count = bytes[9]
        guard count <= 16 else { throw .argumentCountTooLarge(count) }
        token = bytes.readUInt32(at: 4)
        id = PicobootCommandID(rawValue: bytes[8])
        transferLength = bytes.readUInt32(at: 12)
        arguments = Array(bytes[16..<(16 + Int(count))])
    }

    /// The little-endian 32-bit argument at byte `offset` (0 when the arguments are shorter).
    public func argumentWord(at offset: Int) -> UInt32 {
        guard offset + 4 <= arguments.count else { return 0 }
        return arguments.readUInt32(at: offset)
    }

    /// The little-endian 16-bit argument at byte `offset` (0 when the arguments are shorter).
    public func argumentHalfword(at offset: Int) -> UInt16 {
        guard offset + 2 <= arguments.count else { return 0 }
        return arguments.readUInt16(at: offset)
    }

    /// The argument byte at `offset` (0 when the arguments are shorter).
    public func argumentByte(at offset: Int) -> UInt8 {
        offset < arguments.count ? arguments[offset] : 0
    }
}
