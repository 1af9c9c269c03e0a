/// A PICOBOOT status code, as the bootrom reports it in the command status.
///
/// The one place where device status codes become words.
public struct PicobootStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 32-bit code on the wire.
    public var rawValue: UInt32

    /// Wraps a raw status code.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The command succeeded.
    public static let ok = PicobootStatus(rawValue: 0)
    /// The bootrom does not know the command id.
    public static let unknownCommand = PicobootStatus(rawValue: 1)
    /// The argument byte count does not match the command.
    public static let invalidCommandLength = PicobootStatus(rawValue: 2)
    /// The transfer length does not fit the command.
    public static let invalidTransferLength = PicobootStatus(rawValue: 3)
    /// The address is outside the memory the command may touch.
    public static let invalidAddress = PicobootStatus(rawValue: 4)
    /// The address or size is not aligned to the flash unit.
    public static let badAlignment = PicobootStatus(rawValue: 5)
    /// A mass-storage write interleaved with a PICOBOOT write.
    public static let interleavedWrite = PicobootStatus(rawValue: 6)
    /// The device is rebooting.
    public static let rebooting = PicobootStatus(rawValue: 7)
    /// The bootrom failed without a more precise reason.
    public static let unknownError = PicobootStatus(rawValue: 8)
    /// The command is not allowed in the bootrom's current state.
    public static let invalidState = PicobootStatus(rawValue: 9)
    /// The command is not permitted (secure boot, locked OTP).
    public static let notPermitted = PicobootStatus(rawValue: 10)
    /// An argument is out of range.
    public static let invalidArgument = PicobootStatus(rawValue: 11)
    /// The answer does not fit in the transfer length.
    public static let bufferTooSmall = PicobootStatus(rawValue: 12)
    /// A precondition of the command is not met.
    public static let preconditionNotMet = PicobootStatus(rawValue: 13)
    /// The data was modified while the command ran.
    public static let modifiedData = PicobootStatus(rawValue: 14)
    /// The data is invalid.
    public static let invalidData = PicobootStatus(rawValue: 15)
    /// The requested item does not exist.
    public static let notFound = PicobootStatus(rawValue: 16)
    /// The modification is not supported.
    public static let unsupportedModification = PicobootStatus(rawValue: 17)

    /// The word picotool and the datasheet use (`INVALID_ADDRESS`), or `STATUS_<n>` for an unknown code.
    public var name: String {
        switch rawValue {
        case 0: "OK"
        case 1: "UNKNOWN_CMD"
        case 2: "INVALID_CMD_LENGTH"
        case 3: "INVALID_TRANSFER_LENGTH"
        case 4: "INVALID_ADDRESS"
        case 5: "BAD_ALIGNMENT"
        case 6: "INTERLEAVED_WRITE"
        case 7: "REBOOTING"
        case 8: "UNKNOWN_ERROR"
        case 9: "INVALID_STATE"
        case 10: "NOT_PERMITTED"
        case 11: "INVALID_ARG"
        case 12: "BUFFER_TOO_SMALL"
        case 13: "PRECONDITION_NOT_MET"
        case 14: "MODIFIED_DATA"
        case 15: "INVALID_DATA"
        case 16: "NOT_FOUND"
        case 17: "UNSUPPORTED_MODIFICATION"
        default: "STATUS_\(rawValue)"
        }
    }

    /// A sentence a user can read.
    public var meaning: String {
        switch rawValue {
        case 0: "the command succeeded"
        case 1: "the bootrom does not know this command (not supported on this chip)"
        case 2: "the command's argument size is wrong"
        case 3: "the transfer length does not fit the command"
        case 4: "the address is outside the memory this command may touch"
        case 5: "the address or size is not aligned (flash: erase 4096 bytes, write 256 bytes)"
        case 6: "a drag-and-drop (mass-storage) write interleaved with this one"
        case 7: "the board is rebooting"
        case 8: "the bootrom reported an unspecified error"
        case 9: "the command is not allowed in the bootrom's current state"
        case 10: "the command is not permitted on this board (secure boot or locked OTP)"
        case 11: "an argument is out of range"
        case 12: "the answer does not fit in the requested length"
        case 13: "a precondition of the command is not met"
        case 14: "the data changed while the command ran"
        case 15: "the data is invalid"
        case 16: "the requested item does not exist"
        case 17: "the modification is not supported"
        default: "the bootrom returned an unknown status code"
        }
    }

    /// `INVALID_ADDRESS (4)`.
    public var description: String { "\(name) (\(rawValue))" }
}

/// The 16-byte answer to GET_COMMAND_STATUS: the last command's token, status and id.
public struct CommandStatus: Hashable, Sendable, CustomStringConvertible {
    /// The token of the command the status is about.
    public var token: UInt32
    /// Its status code.
    public var status: PicobootStatus
    /// Its command id.
    public var commandID: UInt8
    /// True while the command still runs (a long erase).
    public var inProgress: Bool

    /// The size of the encoded status.
    public static let size = 16

    /// A status with these fields.
    public init(token: UInt32, status: PicobootStatus, commandID: UInt8, inProgress: Bool) {
        self.token = token
        self.status = status
        self.commandID = commandID
        self.inProgress = inProgress
    }

    /// Decodes the 16 bytes of GET_COMMAND_STATUS; nil when fewer than 16 bytes arrived.
    public init?(bytes: [UInt8]) {
        guard bytes.count >= Self.size else { return nil }
        token = bytes.readUInt32(at: 0)
        status = PicobootStatus(rawValue: bytes.readUInt32(at: 4))
        commandID = bytes[8]
        inProgress = bytes[9] != 0
    }

    /// The 16 bytes a device sends.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.size)
        out.appendUInt32(token)
        out.appendUInt32(status.rawValue)
        out.append(commandID)
        out.append(inProgress ? 1 : 0)
        out.append(contentsOf: [UInt8](repeating: 0, count: 6))
        return out
    }

    /// `token 7, command 0x03, INVALID_ADDRESS (4)`.
    public var description: String {
        "token \(token), command 0x\(String(commandID, radix: 16)), \(status)\(inProgress ? ", in progress" : "")"
    }
}

extension Array where Element == UInt8 {
    /// The little-endian bytes of `words` (GET_INFO answers are word lists).
    public init(littleEndianWords words: [UInt32]) {
        self.init()
        reserveCapacity(words.count * 4)
        for word in words { appendUInt32(word) }
    }

    /// Appends a little-endian 32-bit word.
    @inlinable mutating func appendUInt32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }

    /// Appends a little-endian 16-bit word.
    @inlinable mutating func appendUInt16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    /// Reads a little-endian 32-bit word at `offset`.
    @inlinable public func readUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }

    /// Reads a little-endian 16-bit word at `offset`.
    @inlinable func readUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }
}
