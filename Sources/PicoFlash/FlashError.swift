import PicoBoot
import UF2

/// Why a flash operation could not be planned or carried out.
public enum FlashError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The image's family is not one the board's bootrom accepts.
    case familyMismatch(image: Family, board: Chip)
    /// The image defines no byte.
    case emptyImage
    /// Part of the image lies outside the chip's flash and RAM.
    case outsideMemory(address: UInt32, length: UInt64, chip: Chip)
    /// The image mixes flash and RAM addresses.
    case mixedFlashAndRAM(flashAddress: UInt32, ramAddress: UInt32)
    /// The image extends past the board's flash.
    case beyondFlash(end: UInt64, flashSize: UInt32)
    /// A range (image, erase, read) reaches past the end of the board's flash, where addresses wrap
    /// to the start of the chip.
    case pastEndOfFlash(AddressRange, size: FlashSize, end: UInt64)
    /// A partially covered sector's current contents are needed to keep the bytes the image does not define.
    case contentsNeeded(sector: UInt32)
    /// Reading back after writing found different bytes.
    case verifyFailed(address: UInt32, expected: UInt8, actual: UInt8)
    /// A range to read or erase is not allowed (alignment, memory).
    case invalidRange(AddressRange, reason: String)
    /// The operation needs a bootrom command this chip lacks.
    case unsupported(operation: String, chip: Chip)
    /// The device failed a PICOBOOT command.
    case device(PicobootError)
    /// The image cannot go where the board's partition table (or `--partition`) says.
    case placement(PartitionPlacement.Refusal)
    /// The bootrom answered something that cannot be decoded.
    case unexpectedAnswer(command: String, detail: String)

    /// What happened, one sentence with the evidence.
    public var description: String {
        switch self {
        case .familyMismatch(let family, let chip):
            "the image is for family \(family) but the board is an \(chip.name) (it accepts \(chip.families.map(\.description).joined(separator: ", ")))"
        case .emptyImage:
            "the image defines no bytes"
        case .outsideMemory(let address, let length, let chip):
            "\(length) bytes at \(hex(address)) lie outside the \(chip.name)'s flash and RAM"
        case .mixedFlashAndRAM(let flash, let ram):
            "the image mixes flash (\(hex(flash))) and RAM (\(hex(ram))) addresses"
        case .beyondFlash(let end, let size):
            "the image ends at 0x\(String(end, radix: 16)), past the board's \(size / 1024) KiB of flash"
        case .pastEndOfFlash(let range, let size, let end):
            "\(range) (\(range.count) bytes) reaches past the end of the board's flash at 0x\(String(end, radix: 16)): "
                + "\(size.bytes) bytes, \(size); nothing was changed"
        case .contentsNeeded(let sector):
            "the sector at \(hex(sector)) is partly covered by the image; its current contents must be read first"
        case .verifyFailed(let address, let expected, let actual):
            "verify failed at \(hex(address)): expected 0x\(String(expected, radix: 16)), read 0x\(String(actual, radix: 16))"
        case .invalidRange(let range, let reason):
            "cannot use range \(range): \(reason)"
        case .unsupported(let operation, let chip):
            "\(operation) is not available on \(chip.name)"
        case .device(let error):
            error.description
        case .placement(let refusal):
            refusal.description
        case .unexpectedAnswer(let command, let detail):
            "the board's answer to \(command) cannot be decoded (\(detail))"
        }
    }

    /// What the user can do about it, when there is something.
    public var fix: String? {
        switch self {
        case .familyMismatch: "build the image for this board, or pass --force to use it anyway"
        case .emptyImage: "check that the file holds loadable data"
        case .outsideMemory, .mixedFlashAndRAM: "check the image's addresses against the board (flash 0x10000000, RAM 0x20000000)"
        case .beyondFlash: "use a smaller image or a board with more flash"
        case .pastEndOfFlash: "use an image or range that fits, or pass --flash-size BYTES if the board's flash is larger than that"
        case .contentsNeeded: nil
        case .verifyFailed: "flash again; if it fails at the same place the flash may be worn or write-protected"
        case .invalidRange: "align flash ranges to 4096 bytes and keep them inside the chip's flash"
        case .unsupported: nil
        case .device(let error): error.fix
        case .placement(let refusal): refusal.fix
        case .unexpectedAnswer: nil
        }
    }
}

/// `0x10000000`.
func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
