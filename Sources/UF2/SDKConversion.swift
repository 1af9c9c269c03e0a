/// Conversions that must match the pico-sdk's output byte for byte: ELF→UF2, BIN→UF2, and the
/// image selection they share with ELF→BIN.
public enum SDKConversion {
    /// Whether an ELF image is written to flash or loaded into RAM.
    public enum ImageKind: String, Hashable, Sendable {
        /// Runs from flash (the entry point's load address is in flash).
        case flash
        /// Loaded into SRAM or XIP SRAM by the bootrom (entry point in RAM).
        case ram
    }

    /// The bytes an ELF file puts on the chip, chosen the way the SDK chooses them.
    public struct LoadImage: Hashable, Sendable {
        /// The loaded bytes by physical address (bootrom segments dropped).
        public var image: MemoryImage
        /// Flash or RAM image.
        public var kind: ImageKind
        /// The ELF entry point.
        public var entry: UInt32
        /// The ELF machine.
        public var machine: ELFFile.Machine
    }

    private enum RangeKind { case contents, noContents, ignore }
    private struct Range { var from: UInt64; var to: UInt64; var kind: RangeKind }

    private static func ranges(for chip: Chip, kind: ImageKind) -> [Range] {
        switch kind {
        case .flash:
            [Range(from: UInt64(chip.flash.start), to: chip.flash.end, kind: .contents),
             Range(from: UInt64(chip.sram.start), to: chip.sram.end, kind: .noContents),
             Range(from: 0x2100_0000, to: 0x2104_0000, kind: .noContents)]
        case .ram:
            [Range(from: UInt64(chip.sram.start), to: chip.sram.end, kind: .contents),
             Range(from: UInt64(chip.xipSRAM.start), to: chip.xipSRAM.end, kind: .contents),
             Range(from: UInt64(chip.rom.start), to: chip.rom.end, kind: .ignore)]
        }
    }

    /// The chip whose memory map the SDK uses for `family`: RP2040 for `rp2040`, RP2350 otherwise.
    public static func chip(for family: Family) -> Chip { family == .rp2040 ? .rp2040 : .rp2350 }

    /// Selects an ELF file's loaded bytes as picotool does: flash or RAM image by where the entry
    /// point is loaded; segments checked against that image's memory; bootrom segments ignored;
    /// RP2040 RAM images must be entered at their lowest page.
    public static func loadImage(of elf: ELFFile, family: Family) throws(FirmwareError) -> LoadImage {
        let chip = chip(for: family)
        let inRange = { (ranges: [Range], address: UInt32) in
            ranges.contains { $0.kind == .contents && UInt64(address) >= $0.from && UInt64(address) < $0.to }
        }
        var kind: ImageKind? = nil
        for (header, _) in elf.loadSegments {
            let start = header.virtualAddress
            guard UInt64(elf.entry) >= UInt64(start), UInt64(elf.entry) < UInt64(start) + UInt64(header.mappedSize) else { continue }
            let effective = elf.entry &+ header.physicalAddress &- header.virtualAddress
            if inRange(ranges(for: chip, kind: .ram), effective) { kind = .ram; break }
            if inRange(ranges(for: chip, kind: .flash), effective) { kind = .flash; break }
        }
        guard let kind else { throw .entryPointNotMapped(entry: elf.entry) }
        let valid = ranges(for: chip, kind: kind)
        func range(_ address: UInt32, _ size: UInt32) -> Range? {
            valid.first { $0.from <= UInt64(address) && $0.to >= UInt64(address) + UInt64(size) }
        }
        var segments: [MemoryImage.Segment] = []
        for header in elf.programHeaders where header.isLoadable {
            let mapped = header.mappedSize
            if mapped > 0 {
                guard let r = range(header.physicalAddress, mapped) else {
                    throw .segmentOutsideMemory(address: header.physicalAddress,
                                                end: UInt64(header.physicalAddress) + UInt64(mapped), chip: chip.name)
                }
                if r.kind == .noContents { throw .contentsInUninitializedMemory(address: header.physicalAddress) }
                if r.kind == .contents {
                    segments.append(elf.segment(of: header))
                }
            }
            if header.memorySize > header.fileSize {
                let start = header.physicalAddress &+ header.fileSize
                guard range(start, header.memorySize - header.fileSize) != nil else {
                    throw .segmentOutsideMemory(address: start, end: UInt64(start) + UInt64(header.memorySize - header.fileSize),
                                                chip: chip.name)
                }
            }
        }
        let image: MemoryImage
        do { image = try MemoryImage(segments: segments) } catch {
            throw .overlappingSegments(address: error.address, previousEnd: error.previousEnd)
        }
        guard !image.isEmpty else { throw .emptyImage }
        if kind == .ram && family == .rp2040 {
            try checkRP2040Entry(elf: elf, image: image, chip: chip)
        }
        return LoadImage(image: image, kind: kind, entry: elf.entry, machine: elf.machine)
    }

    private static func checkRP2040Entry(elf: ELFFile, image: MemoryImage, chip: Chip) throws(FirmwareError) {
        let thumb: UInt32 = elf.machine == .arm ? 1 : 0
        let pages = UF2Writer.pageAddresses(of: image, completeSectors: false)
        let mainRAM = pages.first { chip.sram.contains($0) }.map { $0 | thumb }
        let xipRAM = pages.first { chip.xipSRAM.contains($0) }.map { $0 | thumb }
        let expected = mainRAM ?? xipRAM ?? UInt32.max
        if let xipRAM, elf.entry == xipRAM { throw .ramEntryInXIPSRAM(entry: elf.entry) }
        if elf.entry != expected { throw .ramEntryPointNotLowest(entry: elf.entry, expected: expected) }
    }

    /// ELF→UF2 as the SDK builds it. `packageAddress` moves the image (first page) there;
    /// `absoluteBlockAddress` adds the RP2350-E10 block (the SDK passes `--abs-block` for RP2350).
    public static func elfToUF2(_ elf: ELFFile, family: Family, packageAddress: UInt32? = nil,
                                absoluteBlockAddress: UInt32? = nil) throws(FirmwareError) -> [UInt8] {
        let load = try loadImage(of: elf, family: family)
        let (image, pages) = try uf2Pages(load.image, kind: load.kind, packageAddress: packageAddress)
        return try UF2Writer.write(image, pages: pages, options: .init(family: family, completeSectors: false,
                                                                        absoluteBlockAddress: absoluteBlockAddress))
    }

    /// The image and page addresses of an ELF load image's UF2 (see `elfToUF2`): flash images get
    /// their sectors completed, then the whole is moved to `packageAddress` when given.
    public static func uf2Pages(_ loaded: MemoryImage, kind: ImageKind,
                                packageAddress: UInt32? = nil) throws(FirmwareError) -> (image: MemoryImage, pages: [UInt32]) {
        var image = loaded
        // Sector completion happens before packaging, as in picotool.
        var pages = UF2Writer.pageAddresses(of: image, completeSectors: kind == .flash)
        if let packageAddress, let first = pages.first, let last = pages.last, packageAddress != first {
            let delta = packageAddress &- first
            let end = UInt64(packageAddress) + UInt64(last - first) + 256
            guard end <= 0x1_0000_0000 else { throw .segmentOutsideMemory(address: packageAddress, end: end, chip: "any") }
            image = relocated(image, by: delta)
            pages = pages.map { $0 &+ delta }
        }
        return (image, pages)
    }

    /// BIN→UF2 as picotool does it: the bytes paged from `address`, no sector completion.
    public static func binToUF2(_ bytes: [UInt8], address: UInt32 = 0x1000_0000, family: Family,
                                absoluteBlockAddress: UInt32? = nil) throws(FirmwareError) -> [UInt8] {
        let image = try binImage(bytes, address: address)
        return try UF2Writer.write(image, options: .init(family: family, absoluteBlockAddress: absoluteBlockAddress))
    }

    /// A BIN file's bytes placed at `address`.
    public static func binImage(_ bytes: [UInt8], address: UInt32) throws(FirmwareError) -> MemoryImage {
        try binImage(ArraySource(bytes), address: address)
    }

    /// A BIN file's bytes placed at `address`, read from `source` when used.
    static func binImage(_ source: any ImageSource, address: UInt32) throws(FirmwareError) -> MemoryImage {
        guard source.size > 0 else { throw .empty }
        guard UInt64(address) + UInt64(source.size) <= 0x1_0000_0000 else { throw .binTooLarge(offset: address, size: source.size) }
        return try! MemoryImage(segments: [.init(address: address, extent: FileExtent(source: source, fileOffset: 0, count: source.size))])
    }

    /// The largest span `flatten` fills (a UF2 with one stray block would otherwise ask for gigabytes).
    public static let flattenLimit: UInt64 = 64 << 20

    /// The image flattened from its lowest to its highest address, gaps filled with `fill`; throws
    /// `.emptyImage`, or `.spanTooLarge` past `limit` bytes.
    public static func flatten(_ image: MemoryImage, fill: UInt8 = 0, limit: UInt64 = flattenLimit) throws(FirmwareError) -> (address: UInt32, bytes: [UInt8]) {
        let low = try flatSpan(image, limit: limit).start
        var out = [UInt8](repeating: fill, count: Int(image.endAddress! - UInt64(low)))
        for segment in image.segments {
            let at = Int(UInt64(segment.address) - UInt64(low))
            out.withUnsafeMutableBytes { segment.copyBytes(from: 0, into: UnsafeMutableRawBufferPointer(rebasing: $0[at..<(at + segment.count)])) }
        }
        return (low, out)
    }

    /// Where `flatten` would start and end; throws `.emptyImage`, or `.spanTooLarge` past `limit` bytes.
    public static func flatSpan(_ image: MemoryImage, limit: UInt64 = flattenLimit) throws(FirmwareError) -> AddressRange {
        guard let low = image.lowestAddress, let end = image.endAddress else { throw .emptyImage }
        guard end - UInt64(low) <= limit else { throw .spanTooLarge(start: low, end: end, limit: limit) }
        return AddressRange(start: low, end: end)
    }

    /// `flatten` handed to `emit` piece by piece (the segments' bytes in pieces of at most 1 MiB,
    /// gaps as `fill` in pieces of at most 64 KiB), so that no flat copy is made; call `flatSpan`
    /// first for its checks.
    public static func flatten(_ image: MemoryImage, fill: UInt8 = 0, to emit: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let gap = [UInt8](repeating: fill, count: 64 << 10)
        var at = UInt64(image.lowestAddress ?? 0)
        for segment in image.segments {
            while at < UInt64(segment.address) {
                let n = Int(min(UInt64(gap.count), UInt64(segment.address) - at))
                try gap.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                at += UInt64(n)
            }
            try segment.withBytes { try emit($0) }
            at = segment.end
        }
    }

    /// The image moved by `delta` (wrapping, as picotool's 32-bit arithmetic does).
    public static func relocated(_ image: MemoryImage, by delta: UInt32) -> MemoryImage {
        guard delta != 0 else { return image }
        let moved = image.segments.map { $0.moved(to: $0.address &+ delta) }
        return (try? MemoryImage(segments: moved)) ?? image
    }
}
