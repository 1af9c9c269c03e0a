/// A firmware file read into memory: its format, the bytes it puts on the chip, and its families.
///
/// ```swift
/// let file = try FirmwareFile.read(bytes: contents)          // UF2, ELF or BIN, detected
/// print(file.format, file.families, file.image.byteCount)
/// let uf2 = try UF2Writer.write(file.image, options: .init(family: file.family ?? .rp2040))
/// ```
public struct FirmwareFile: Sendable {
    /// The three formats.
    public enum Format: String, Hashable, Sendable, CaseIterable {
        /// USB Flashing Format: 512-byte blocks.
        case uf2
        /// An ELF executable.
        case elf
        /// Raw bytes placed at an offset.
        case bin
    }

    /// The file's format.
    public var format: Format
    /// The bytes for the main family (UF2: the first chip family in the file; ELF: the SDK's load image).
    public var image: MemoryImage
    /// Every family, in order of first appearance (UF2), or the one implied by the content (ELF, BIN).
    public var families: [Family]
    /// Each UF2 family's own image (the E10 absolute block and not-main-flash blocks excluded).
    public var imagesByFamily: [Family: MemoryImage]
    /// UF2: the number of 512-byte blocks in the file.
    public var blockCount: Int?
    /// UF2: true when the file starts with the RP2350-E10 absolute block.
    public var hasAbsoluteBlock: Bool
    /// UF2: blocks flagged not main flash (0x1), which bootroms and this reader skip.
    public var notMainFlashBlocks: Int = 0
    /// ELF: the entry point.
    public var entryPoint: UInt32?
    /// ELF: the machine.
    public var machine: ELFFile.Machine?
    /// Flash or RAM image (from the ELF entry point, else from the lowest address).
    public var kind: SDKConversion.ImageKind
    /// ELF: why the SDK would refuse to convert this file, when it would (the image then holds every segment).
    public var conversionProblem: FirmwareError?

    /// The main family.
    public var family: Family? { families.first { $0.chip != nil } ?? families.first }

    /// The chip the main family targets, else the chip the addresses imply.
    public var chip: Chip? { family?.chip ?? (family == .absolute || family == .data ? .rp2350 : nil) }

    /// The largest file of `format` that can hold an image a Pico can use; readers refuse larger
    /// inputs before reading them whole. UF2: the 64 MiB of blocks that carry 32 MiB of flash (the
    /// RP2350's window), 2 MiB more for RAM images and other blocks. BIN: 32 MiB of flash. ELF:
    /// 256 MiB, since debug information often makes an ELF many times larger than its image.
    public static func sizeLimit(of format: Format) -> Int {
        switch format {
        case .uf2: return 66 << 20
        case .bin: return Int(Chip.rp2350.flash.count)
        case .elf: return 256 << 20
        }
    }

    /// Why `sizeLimit(of:)` is what it is, in a few words.
    public static func sizeLimitReason(of format: Format) -> String {
        switch format {
        case .uf2: "the blocks of 32 MiB of flash plus RAM"
        case .bin: "the largest flash a Pico addresses"
        case .elf: "room for debug information beside 32 MiB of flash"
        }
    }

    /// The format the content shows: ELF magic, a first UF2 block's magics, else BIN.
    public static func detectFormat(_ bytes: [UInt8]) -> Format {
        if ELFFile.hasMagic(bytes) { return .elf }
        if bytes.count >= 8, bytes.u32(at: 0) == UF2Block.magicStart0, bytes.u32(at: 4) == UF2Block.magicStart1 { return .uf2 }
        return .bin
    }

    /// Reads any firmware file. `type` overrides detection; `offset` places a BIN (default
    /// 0x10000000); `family` overrides the family an ELF or BIN would be given.
    public static func read(bytes: [UInt8], type: Format? = nil, offset: UInt32 = 0x1000_0000,
                            family: Family? = nil) throws(FirmwareError) -> FirmwareFile {
        try read(source: ArraySource(bytes), type: type, offset: offset, family: family)
    }

    /// Reads any firmware file through `source`, as `read(bytes:)` does; the image refers to the
    /// file's bytes (read when used) instead of holding a copy.
    public static func read(source: any ImageSource, type: Format? = nil, offset: UInt32 = 0x1000_0000,
                            family: Family? = nil) throws(FirmwareError) -> FirmwareFile {
        guard source.size > 0 else { throw .empty }
        switch type ?? detectFormat(source.bytes(at: 0, count: min(source.size, 8))) {
        case .uf2: return try readUF2(source)
        case .elf: return try readELF(ELFFile(source: source), family: family)
        case .bin:
            let image = try SDKConversion.binImage(source, address: offset)
            let fam = family ?? guessFamily(image: image, machine: nil)
            return FirmwareFile(format: .bin, image: image, families: [fam], imagesByFamily: [fam: image],
                                blockCount: nil, hasAbsoluteBlock: false, entryPoint: nil, machine: nil,
                                kind: kindByAddress(image), conversionProblem: nil)
        }
    }

    static func kindByAddress(_ image: MemoryImage) -> SDKConversion.ImageKind {
        guard let low = image.lowestAddress else { return .flash }
        return Chip.rp2350.flash.contains(low) ? .flash : .ram
    }

    static func readELF(_ elf: ELFFile, family: Family?) throws(FirmwareError) -> FirmwareFile {
        let fam = family ?? guessFamily(elf)
        do {
            let load = try SDKConversion.loadImage(of: elf, family: fam)
            return FirmwareFile(format: .elf, image: load.image, families: [fam], imagesByFamily: [fam: load.image],
                                blockCount: nil, hasAbsoluteBlock: false, entryPoint: elf.entry, machine: elf.machine,
                                kind: load.kind, conversionProblem: nil)
        } catch {
            // The SDK would refuse it: the image then holds every segment by physical address.
            let all = try elf.memoryImage()
            return FirmwareFile(format: .elf, image: all, families: [fam], imagesByFamily: [fam: all],
                                blockCount: nil, hasAbsoluteBlock: false, entryPoint: elf.entry, machine: elf.machine,
                                kind: kindByAddress(all), conversionProblem: error)
        }
    }

    /// `guessFamily(image:machine:)` of an ELF file's segments, without copying them.
    static func guessFamily(_ elf: ELFFile) -> Family {
        let spans = elf.loadSegments.map { (address: $0.header.physicalAddress, length: UInt64($0.header.mappedSize)) }
            .sorted { $0.address < $1.address }
        // Segments that overlap or pass 2^32 make no image (as `memoryImage()` refuses them).
        let valid = zip(spans, spans.dropFirst()).allSatisfy { UInt64($0.address) + $0.length <= UInt64($1.address) }
            && spans.allSatisfy { UInt64($0.address) + $0.length <= 0x1_0000_0000 }
        guard valid else { return guessFamily(spans: [], metadata: nil, machine: elf.machine) }
        // The segments refer to the file: the IMAGE_DEF search reads only what it looks at.
        let probe = try? MemoryImage(segments: elf.loadSegments.map { elf.segment(of: $0.header) })
        return guessFamily(spans: spans, metadata: probe.flatMap(MetadataBlock.find(in:)), machine: elf.machine)
    }

    /// The family an image implies: RISC-V or an RP2350 IMAGE_DEF or RP2350-only addresses mean
    /// RP2350; otherwise RP2040.
    public static func guessFamily(image: MemoryImage, machine: ELFFile.Machine?) -> Family {
        if machine == .riscV { return .rp2350RiscV }
        return guessFamily(spans: image.segments.map { ($0.address, UInt64($0.count)) },
                           metadata: MetadataBlock.find(in: image), machine: machine)
    }

    static func guessFamily(spans: [(address: UInt32, length: UInt64)], metadata: MetadataBlock?, machine: ELFFile.Machine?) -> Family {
        if machine == .riscV { return .rp2350RiscV }
        if let block = metadata, let family = block.impliedFamily { return family }
        for span in spans {
            let inRP2040 = Chip.rp2040.isLoadable(span.address, length: span.length)
            if !inRP2040 && Chip.rp2350.isLoadable(span.address, length: span.length) { return .rp2350ArmS }
        }
        return .rp2040
    }
}
