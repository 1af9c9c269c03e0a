/// Why a firmware file could not be read or converted. Each case carries its evidence, and
/// `description` is the sentence a user reads, with the fix where there is one.
public enum FirmwareError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file has no bytes at all.
    case empty
    /// The content is none of UF2, ELF or BIN (only raised when a type must be detected and cannot be).
    case unrecognizedFormat
    /// No block of the UF2 file has all three magics.
    case noValidUF2Blocks(fileSize: Int)
    /// The ELF header is shorter than 52 bytes or its program header table lies past the end.
    case elfTruncated(needed: UInt64, fileSize: Int)
    /// The ELF file is not 32-bit (class byte at offset 4).
    case elfWrongClass(UInt8)
    /// The ELF file is not little-endian (data byte at offset 5).
    case elfWrongEndianness(UInt8)
    /// The ELF machine is neither Arm (40) nor RISC-V (243).
    case elfWrongMachine(UInt16)
    /// The ELF version words are not 1.
    case elfBadVersion
    /// The ELF OS/ABI byte is neither 0 (none) nor 3 (GNU), which picotool refuses too.
    case elfUnsupportedABI(UInt8)
    /// The ELF header size field is not 52.
    case elfBadHeaderSize(UInt16)
    /// A program header's file bytes lie past the end of the file.
    case elfSegmentPastEnd(index: Int, offset: UInt32, size: UInt32, fileSize: Int)
    /// Two loadable segments claim the same address.
    case overlappingSegments(address: UInt32, previousEnd: UInt64)
    /// A segment lies outside the memory of the target chip.
    case segmentOutsideMemory(address: UInt32, end: UInt64, chip: String)
    /// A flash image has file contents for RAM (the SDK refuses it too).
    case contentsInUninitializedMemory(address: UInt32)
    /// The ELF entry point is not in any loaded segment, so flash or RAM image cannot be decided.
    case entryPointNotMapped(entry: UInt32)
    /// An RP2040 RAM image must be entered at its lowest address.
    case ramEntryPointNotLowest(entry: UInt32, expected: UInt32)
    /// The RP2040 bootrom cannot enter an image in XIP SRAM.
    case ramEntryInXIPSRAM(entry: UInt32)
    /// The image defines no byte to write.
    case emptyImage
    /// Flattening the image to a BIN would span more than `limit` bytes.
    case spanTooLarge(start: UInt32, end: UInt64, limit: UInt64)
    /// A BIN placed at `offset` would run past the 32-bit address space.
    case binTooLarge(offset: UInt32, size: Int)
    /// The file is larger than the largest file of its format a Pico can use (`FirmwareFile.sizeLimit`);
    /// `size` is nil when a pipe or device showed it by going on past the limit.
    case fileTooLarge(size: UInt64?, format: FirmwareFile.Format, limit: Int)

    /// What to do about it, where there is something to do.
    public var fix: String? {
        switch self {
        case .unrecognizedFormat: "name the type with --type uf2, --type elf or --type bin"
        case .noValidUF2Blocks: "if it is a raw image, read it with --type bin"
        case .elfWrongClass, .elfWrongMachine: "build for the Pico (pico-sdk with PICO_PLATFORM rp2040, rp2350-arm-s or rp2350-riscv)"
        case .segmentOutsideMemory: "check the linker script, or name the chip with --family"
        case .spanTooLarge: "look for a block far from the rest with `picoctl uf2 validate`"
        default: nil
        }
    }

    /// The sentence a user reads.
    public var description: String {
        switch self {
        case .empty: "the file is empty (0 bytes)"
        case .unrecognizedFormat: "not a UF2, ELF or BIN file"
        case .noValidUF2Blocks(let size):
            "no UF2 block with valid magics in \(size) bytes: this is not a UF2 file"
        case .elfTruncated(let needed, let size): "the ELF file is cut short: it needs \(needed) bytes and has \(size)"
        case .elfWrongClass(let c):
            c == 2 ? "this is a 64-bit ELF file; Pico programs are 32-bit Arm or RISC-V"
                : "this ELF file has an unknown class (\(c)); Pico programs are 32-bit Arm or RISC-V ELF files"
        case .elfWrongEndianness(let e):
            e == 2 ? "this ELF file is big-endian; Pico programs are little-endian" : "this ELF file has an unknown byte order (\(e)); Pico programs are little-endian"
        case .elfWrongMachine(let m):
            "this ELF file was built for another processor (ELF machine \(m)); Pico programs are for Arm (40) or RISC-V (243)"
        case .elfBadVersion: "this ELF file has an unknown version (not 1): it is damaged or not an ELF file"
        case .elfUnsupportedABI(let abi): "this ELF file is for an operating system (OS/ABI \(abi)); Pico programs are bare-metal (OS/ABI 0 or 3)"
        case .elfBadHeaderSize(let size): "the ELF header is \(size) bytes, not 52: the file is damaged or not a 32-bit ELF file"
        case .elfSegmentPastEnd(let i, let off, let size, let fileSize):
            "ELF program header \(i): \(size) bytes at file offset \(hex32(off)) run past the end of the file (\(fileSize) bytes); the file is truncated"
        case .overlappingSegments(let address, let end):
            "segments overlap: one starts at \(hex32(address)) before the previous one ends at \(hex64(end))"
        case .segmentOutsideMemory(let a, let e, let chip):
            "segment \(hex32(a))..\(hex64(e)) lies outside \(chip) flash and RAM"
        case .contentsInUninitializedMemory(let a):
            "a flash image has file contents for RAM at \(hex32(a)) (the SDK refuses it too); link the data into flash with a RAM load address"
        case .entryPointNotMapped(let e):
            "entry point \(hex32(e)) is not in a loaded segment, so it is neither a flash nor a RAM image"
        case .ramEntryPointNotLowest(let entry, let expected):
            "an RP2040 RAM image must start at its entry point: expected \(hex32(expected)), entry is \(hex32(entry))"
        case .ramEntryInXIPSRAM(let e):
            "the RP2040 bootrom cannot enter a RAM image in XIP SRAM (entry \(hex32(e)))"
        case .emptyImage: "the image has no bytes to write"
        case .spanTooLarge(let start, let end, let limit):
            "the image spans \(hex32(start))..\(hex64(end)), more than \(limit >> 20) MiB as a BIN"
        case .binTooLarge(let off, let size): "\(size) bytes at \(hex32(off)) run past the 32-bit address space"
        case .fileTooLarge(let size, let format, let limit):
            (size.map { "the file has \($0) bytes" } ?? "the input goes on past \(limit >> 20) MiB")
                + ", more than the largest \(format.rawValue.uppercased()) picoctl reads (\(limit >> 20) MiB: \(FirmwareFile.sizeLimitReason(of: format)))"
        }
    }
}
