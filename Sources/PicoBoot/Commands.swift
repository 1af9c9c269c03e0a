/// Which way the data phase of a command flows.
public enum DataPhase: Hashable, Sendable {
    /// No data phase.
    case none
    /// `length` bytes from the host to the device (bulk OUT).
    case toDevice(length: UInt32)
    /// `length` bytes from the device to the host (bulk IN).
    case toHost(length: UInt32)

    /// The transfer length written in the command block.
    public var length: UInt32 {
        switch self {
        case .none: 0
        case .toDevice(let length), .toHost(let length): length
        }
    }
}

/// One PICOBOOT wire command: its id, argument encoding and data phase.
public protocol PicobootCommand: Sendable, CustomStringConvertible {
    /// The command id.
    static var id: PicobootCommandID { get }
    /// The number of argument bytes the bootrom expects.
    static var argumentSize: Int { get }
    /// The encoded arguments (exactly `argumentSize` bytes).
    var arguments: [UInt8] { get }
    /// The data phase this command carries.
    var dataPhase: DataPhase { get }
    /// The address the command is about, for error messages.
    var address: UInt32? { get }
}

extension PicobootCommand {
    /// No data phase unless the command says otherwise.
    public var dataPhase: DataPhase { .none }
    /// No address unless the command says otherwise.
    public var address: UInt32? { nil }
    /// The command's name and arguments.
    public var description: String { Self.id.name }

    /// The command block with this token.
    public func packet(token: UInt32) -> CommandPacket {
        CommandPacket(token: token, id: Self.id, arguments: arguments, transferLength: dataPhase.length)
    }
}

/// The 32-bit little-endian words of `values`.
@inlinable func words(_ values: UInt32...) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(values.count * 4)
    for value in values { out.appendUInt32(value) }
    return out
}

/// Hex text for an address.
func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// EXCLUSIVE_ACCESS (0x01): share the device with mass storage, lock it out, or lock and eject.
public struct ExclusiveAccess: PicobootCommand {
    /// The three access levels.
    public enum Mode: UInt8, Sendable {
        /// Mass storage keeps working.
        case shared = 0
        /// Mass-storage writes are refused.
        case exclusive = 1
        /// Exclusive, and the mass-storage medium is ejected.
        case exclusiveAndEject = 2
    }
    /// The command id.
    public static let id = PicobootCommandID.exclusiveAccess
    /// One byte.
    public static let argumentSize = 1
    /// The requested access.
    public var mode: Mode
    /// Requests `mode`.
    public init(_ mode: Mode) { self.mode = mode }
    /// The mode byte.
    public var arguments: [UInt8] { [mode.rawValue] }
    /// `EXCLUSIVE_ACCESS exclusive`.
    public var description: String { "EXCLUSIVE_ACCESS \(mode)" }
}

/// REBOOT (0x02, RP2040): reboot after `delay` ms into flash (`pc` 0) or into RAM code at `pc` with stack `sp`.
public struct Reboot: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.reboot
    /// Three words.
    public static let argumentSize = 12
    /// Where to start (0 = boot normally).
    public var pc: UInt32
    /// The initial stack pointer when `pc` is not 0.
    public var sp: UInt32
    /// Milliseconds before the reboot.
    public var delayMilliseconds: UInt32
    /// A reboot with these arguments.
    public init(pc: UInt32 = 0, sp: UInt32 = 0, delayMilliseconds: UInt32 = 500) {
        self.pc = pc
        self.sp = sp
        self.delayMilliseconds = delayMilliseconds
    }
    /// pc, sp, delay.
    public var arguments: [UInt8] { words(pc, sp, delayMilliseconds) }
    /// The entry point when rebooting into RAM.
    public var address: UInt32? { pc == 0 ? nil : pc }
    /// `REBOOT pc=0x20000000 sp=0x20042000 delay=500ms`.
    public var description: String { "REBOOT pc=\(hex(pc)) sp=\(hex(sp)) delay=\(delayMilliseconds)ms" }
}

/// FLASH_ERASE (0x03): erase `size` bytes from `address`, both multiples of 4096.
public struct FlashErase: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.flashErase
    /// Two words.
    public static let argumentSize = 8
    /// The first byte to erase.
    public var start: UInt32
    /// The number of bytes.
    public var size: UInt32
    /// Erases `[address, address + size)`.
    public init(address: UInt32, size: UInt32) {
        self.start = address
        self.size = size
    }
    /// address, size.
    public var arguments: [UInt8] { words(start, size) }
    /// The first byte to erase.
    public var address: UInt32? { start }
    /// `FLASH_ERASE 0x10000000+4096`.
    public var description: String { "FLASH_ERASE \(hex(start))+\(size)" }
}

/// READ (0x84): read `size` bytes from `address`.
public struct Read: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.read
    /// Two words.
    public static let argumentSize = 8
    /// The first byte to read.
    public var start: UInt32
    /// The number of bytes (also the transfer length).
    public var size: UInt32
    /// Reads `[address, address + size)`.
    public init(address: UInt32, size: UInt32) {
        self.start = address
        self.size = size
    }
    /// address, size.
    public var arguments: [UInt8] { words(start, size) }
    /// `size` bytes to the host.
    public var dataPhase: DataPhase { .toHost(length: size) }
    /// The first byte to read.
    public var address: UInt32? { start }
    /// `READ 0x10000000+4096`.
    public var description: String { "READ \(hex(start))+\(size)" }
}

/// WRITE (0x05): write RAM, or program erased flash (address 256-aligned).
public struct Write: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.write
    /// Two words.
    public static let argumentSize = 8
    /// The first byte to write.
    public var start: UInt32
    /// The number of bytes (also the transfer length).
    public var size: UInt32
    /// Writes `size` bytes at `address`.
    public init(address: UInt32, size: UInt32) {
        self.start = address
        self.size = size
    }
    /// address, size.
    public var arguments: [UInt8] { words(start, size) }
    /// `size` bytes to the device.
    public var dataPhase: DataPhase { .toDevice(length: size) }
    /// The first byte to write.
    public var address: UInt32? { start }
    /// `WRITE 0x10000000+256`.
    public var description: String { "WRITE \(hex(start))+\(size)" }
}

/// EXIT_XIP (0x06): leave execute-in-place so the flash accepts erase and program.
public struct ExitXIP: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.exitXIP
    /// No arguments.
    public static let argumentSize = 0
    /// The command.
    public init() {}
    /// No bytes.
    public var arguments: [UInt8] { [] }
}

/// ENTER_CMD_XIP (0x07): put the flash back into execute-in-place.
public struct EnterCommandXIP: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.enterCommandXIP
    /// No arguments.
    public static let argumentSize = 0
    /// The command.
    public init() {}
    /// No bytes.
    public var arguments: [UInt8] { [] }
}

/// EXEC (0x08, RP2040): call the Thumb function at `address` in RAM; the ack comes when it returns.
public struct Exec: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.exec
    /// One word.
    public static let argumentSize = 4
    /// The function's address (bit 0 set for Thumb).
    public var entry: UInt32
    /// Calls the function at `address`.
    public init(address: UInt32) { entry = address }
    /// The address.
    public var arguments: [UInt8] { words(entry) }
    /// The function's address.
    public var address: UInt32? { entry }
    /// `EXEC 0x20000001`.
    public var description: String { "EXEC \(hex(entry))" }
}

/// VECTORIZE_FLASH (0x09, RP2040): copy the flash function table to RAM at `address`.
public struct VectorizeFlash: PicobootCommand {
    /// The command id.
    public static let id = PicobootCommandID.vectorizeFlash
    /// One word.
    public static let argumentSize = 4
    /// Where the table goes.
    public var table: UInt32
    /// Vectorizes into RAM at `address`.
    public init(address: UInt32) { table = address }
    /// The address.
    public var arguments: [UInt8] { words(table) }
    /// The table's address.
    public var address: UInt32? { table }
    /// `VECTORIZE_FLASH 0x20000000`.
    public var description: String { "VECTORIZE_FLASH \(hex(table))" }
}
